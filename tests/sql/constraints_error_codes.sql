-- Constraints of core.error_codes, the contract between the SQL rules, the C++ layer and
-- operators' scripts: project SQLSTATEs only, one code per SQLSTATE, documented exit codes.
BEGIN;
SELECT plan(4);

SELECT throws_ok($$INSERT INTO core.error_codes VALUES ('test_duplicate', 'SU001', 1, 'Same SQLSTATE as subscription_not_found.')$$,
                 '23505', 'duplicate key value violates unique constraint "unique_error_codes_sqlstate"',
                 'a second code with an existing SQLSTATE violates unique_error_codes_sqlstate');
SELECT throws_ok($$INSERT INTO core.error_codes VALUES ('test_builtin', '23514', 1, 'A PostgreSQL SQLSTATE.')$$,
                 '23514', 'new row for relation "error_codes" violates check constraint "check_error_codes_sqlstate_project_class"',
                 'a PostgreSQL SQLSTATE violates check_error_codes_sqlstate_project_class');
SELECT throws_ok($$INSERT INTO core.error_codes VALUES ('test_class', 'SU000', 1, 'The class itself.')$$,
                 '23514', 'new row for relation "error_codes" violates check constraint "check_error_codes_sqlstate_project_class"',
                 'SQLSTATE SU000 (the bare class) violates check_error_codes_sqlstate_project_class');
SELECT throws_ok($$UPDATE core.error_codes SET exit_code = 2 WHERE code = 'offer_not_found'$$,
                 '23514', 'new row for relation "error_codes" violates check constraint "check_error_codes_exit_code"',
                 'exit code 2 violates check_error_codes_exit_code');

SELECT * FROM finish();
ROLLBACK;
