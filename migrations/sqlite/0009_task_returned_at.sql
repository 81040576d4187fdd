-- When a task was last returned (by the `at` of the return): a return voids the submission before
-- it, so an acceptance with no submission since counts from its own time (the on-time rule in
-- README "On time"). Rows from before this column count as never returned.
ALTER TABLE tasks ADD COLUMN returned_at INTEGER;
