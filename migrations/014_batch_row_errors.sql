-- 014 — a batch row's outcome as the single command returns it, and the one shortest id
-- prefix.
-- 1. errors: the row's error objects {code, description, details, next_step}, written
--    with its outcome; NULL on the rows processed before this column (api.batch_rows then
--    describes their error_codes without details).
ALTER TABLE core.batch_rows
    ADD COLUMN errors jsonb,
    ADD CONSTRAINT check_batch_rows_errors_array CHECK (errors IS NULL OR jsonb_typeof(errors) = 'array');
COMMENT ON COLUMN core.batch_rows.errors IS
'The error objects of the row''s outcome ({code, description, details, next_step}, [] when none); NULL before migration 014.';
-- 2. The fewest leading characters of an id that name it (a subscription, a batch): what
--    the command line accepts and the shortest a table shows.
CREATE FUNCTION core.id_prefix_min_length() RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN 8;
COMMENT ON FUNCTION core.id_prefix_min_length IS
'The shortest prefix of an id (subscription, batch) that the command line accepts and a table shows.';
