-- plpgsql_check over every PL/pgSQL function of the schemas logic, api, report and core:
-- no error and no warning (performance warnings included) beyond the explained
-- exclusions below. The extension is created inside this test's transaction, which is
-- rolled back: it never becomes part of the application's database.
BEGIN;
SELECT plan(4);
CREATE EXTENSION plpgsql_check;

-- The temporary tables some functions read exist only while an operation runs. Running
-- those operations once on empty or unchanged input leaves them in this transaction with
-- their true shape, so the checker reads the statements that use them.
DO $$
BEGIN
    PERFORM test.act_as_new_partner('lint');
    PERFORM api.batch_begin();                                      -- pg_temp.batch_lines
    PERFORM api.batch_register(NULL, repeat('0', 64), 'lint.csv');  -- batch_fields, batch_errors
    PERFORM api.catalog_apply(test.catalog_document());             -- catalog_offer_sets (changes nothing)
END $$;

-- What is checked: each function once; a trigger function once per table it is attached
-- to, with the transition tables its triggers on that table declare (the updates trigger
-- declares both old_rows and new_rows).
CREATE TEMP TABLE lint_targets AS
SELECT p.oid AS function, t.relid, t.old_table, t.new_table
FROM pg_proc p
JOIN pg_language l ON l.oid = p.prolang AND l.lanname = 'plpgsql'
LEFT JOIN LATERAL (SELECT tg.tgrelid AS relid, max(tg.tgoldtable) AS old_table, max(tg.tgnewtable) AS new_table
                   FROM pg_trigger tg WHERE tg.tgfoid = p.oid GROUP BY tg.tgrelid) t ON true
WHERE p.pronamespace IN ('logic'::regnamespace, 'api'::regnamespace, 'report'::regnamespace, 'core'::regnamespace);

CREATE TEMP TABLE lint_findings AS
SELECT x.function::regprocedure::text AS function, x.relid::regclass::text AS relation, c.lineno, c.level,
       c.sqlstate, c.message, c.detail
FROM lint_targets x,
     plpgsql_check_function_tb(x.function, coalesce(x.relid, 0), fatal_errors => false, other_warnings => true,
                               performance_warnings => true, extra_warnings => true,
                               oldtable => x.old_table, newtable => x.new_table) c
WHERE x.relid IS NOT NULL OR (SELECT prorettype FROM pg_proc WHERE oid = x.function) <> 'trigger'::regtype;

-- Exclusions: findings that are not faults, each with its reason.
CREATE TEMP TABLE lint_exclusions (function text, sqlstate text, reason text);
INSERT INTO lint_exclusions VALUES
    -- One trigger function serves several tables and branches on TG_TABLE_NAME; the checker
    -- reads every branch against the one table it is given, so a branch written for another
    -- table names columns this one lacks. Excused only for a column of another table the
    -- function is attached to (see lint_excused below).
    ('logic.audit_row_changes()', '42703', 'branches on TG_TABLE_NAME: each table''s branch names its own key columns'),
    ('logic.upgrade_options_follow()', '42703', 'branches on TG_TABLE_NAME: each table''s branch names its own columns');

CREATE TEMP VIEW lint_excused AS
SELECT f.*, e.reason
FROM lint_findings f
JOIN lint_exclusions e ON e.function = f.function AND e.sqlstate = f.sqlstate
WHERE EXISTS (SELECT 1 FROM pg_trigger tg JOIN pg_attribute a ON a.attrelid = tg.tgrelid
              WHERE tg.tgfoid = f.function::regprocedure AND tg.tgrelid <> f.relation::regclass
                AND a.attnum > 0 AND NOT a.attisdropped
                AND a.attname = substring(f.message FROM '^column (?:[a-z_]+\.)?"?([a-z_]+)"?'));

-- A trigger function attached to no table cannot be checked (its NEW and OLD have no
-- type), and is left out above: none may exist.
SELECT is_empty($$SELECT function::regprocedure FROM lint_targets
                  WHERE relid IS NULL AND (SELECT prorettype FROM pg_proc WHERE oid = function) = 'trigger'::regtype$$,
                'every PL/pgSQL trigger function is attached to a table, so it is checked against one');

SELECT is_empty($$SELECT function, relation, lineno, level, sqlstate, message, detail FROM lint_findings
                  EXCEPT SELECT function, relation, lineno, level, sqlstate, message, detail FROM lint_excused
                  ORDER BY function, relation, lineno$$,
                'plpgsql_check finds no error and no warning (performance included) beyond the explained exclusions');

SELECT is_empty($$SELECT function, sqlstate FROM lint_exclusions
                  EXCEPT SELECT function, sqlstate FROM lint_excused$$,
                'every exclusion still excuses a finding');

-- The check itself works: a function with a wrong-typed assignment and an unused variable.
CREATE FUNCTION pg_temp.lint_canary() RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    v_unused integer;
    v_result jsonb := '[]';
BEGIN
    RETURN v_result;
END $$;
SELECT set_has($$SELECT message FROM plpgsql_check_function_tb('pg_temp.lint_canary()', fatal_errors => false,
                                                              performance_warnings => true)$$,
              $$VALUES ('target type is different type than source type'), ('unused variable "v_unused"')$$,
              'the checker reports a wrong-typed assignment and an unused variable');

SELECT * FROM finish();
ROLLBACK;
