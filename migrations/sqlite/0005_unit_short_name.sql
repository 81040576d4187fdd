-- A unit's short name (e.g. "BQL DA dân dụng" for "Ban Quản lý các dự án đầu tư xây dựng công
-- trình dân dụng"): what tiles on a wall show when the full name cannot fit. Optional: the full
-- name is shown wherever the data gives no short one.
ALTER TABLE units ADD COLUMN short_name TEXT;
