-- The code schemas (logic: the rules, operations, triggers and their functions; api;
-- report) hold only code and are rebuilt from scratch, so that a function removed or
-- re-typed in sql/ never lingers in a database. Dropping logic drops the triggers and
-- policies on the tables of core with it: sql/ makes them again in this transaction.
DROP SCHEMA IF EXISTS logic CASCADE;
CREATE SCHEMA logic;
COMMENT ON SCHEMA logic IS 'The code of subctl over the tables of core: rules, operations, triggers (rebuilt by every migrate).';
DROP SCHEMA IF EXISTS api CASCADE;
CREATE SCHEMA api;
COMMENT ON SCHEMA api IS 'The subctl API: every operation is one function call here.';
DROP SCHEMA IF EXISTS report CASCADE;
CREATE SCHEMA report;
COMMENT ON SCHEMA report IS 'Documented read-only reports over subctl data.';
