-- Results published to citizens (issue 22). kpis.public: an admin's choice that the KPI's
-- values appear on the public board of each unit it is measured for (audited like every
-- catalog change). ratings.comment: what a citizen wrote with a rating, kept only when the form
-- asked for it; comment_shown: whether it passed screening and may appear on the public board.
ALTER TABLE kpis ADD COLUMN public BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE ratings ADD COLUMN comment TEXT;
ALTER TABLE ratings ADD COLUMN comment_shown BOOLEAN NOT NULL DEFAULT FALSE;
-- The public board reads one unit's ratings by month and its newest comments.
CREATE INDEX ratings_by_unit ON ratings (unit_id, at);
