-- 010 — each vocabulary written once.
--
-- 1. The transient SQLSTATEs: failures that a fresh attempt of the same transaction may
--    clear. sql/01_errors.sql fills the table (the build generates the C++ side from the
--    same rows); batches re-raise these instead of rejecting the row, the client retries
--    those marked retried itself and reports the others as exit 75 at once.
CREATE TABLE core.transient_sqlstates (
    sqlstate    char(5) PRIMARY KEY,
    code        text NOT NULL,
    retried     boolean NOT NULL,
    description text NOT NULL,
    CONSTRAINT unique_transient_sqlstates_code UNIQUE (code),
    CONSTRAINT check_transient_sqlstates_sqlstate CHECK (sqlstate ~ '^[0-9A-Z]{5}$' AND sqlstate !~ '^SU')
);
COMMENT ON TABLE core.transient_sqlstates IS
'PostgreSQL SQLSTATEs that a fresh attempt may clear (exit 75); retried: the client retries the transaction itself.';
