-- The migration tracking table: every file of migrations/ is recorded once, with its
-- number and the SHA-256 of its text as on disk. (Re-applying everything is run by the
-- [db] tests in tests/db/migrate_test.cpp, since it needs the binary.)
BEGIN;
SELECT plan(4);

-- Read on the client side (psql runs as the developer, the server may not see the tree).
CREATE TEMP TABLE migration_files (name text, content_base64 text);
\copy migration_files FROM PROGRAM 'cd "$SUBCTL_HOME/migrations" && for f in *.sql; do printf "%s\t%s\n" "$f" "$(base64 -w0 "$f")"; done'

SELECT isnt_empty($$SELECT 1 FROM migration_files$$, 'migrations/ holds migration files');
SELECT set_eq($$SELECT name FROM core.schema_migrations$$, $$SELECT name FROM migration_files$$,
              'every file of migrations/ is recorded, and nothing else');
SELECT is_empty($$SELECT name FROM core.schema_migrations WHERE version <> split_part(name, '_', 1)::int$$,
                'each migration is recorded under the number its name starts with');
SELECT set_eq($$SELECT name, checksum FROM core.schema_migrations$$,
              $$SELECT name, encode(sha256(decode(content_base64, 'base64')), 'hex') FROM migration_files$$,
              'each recorded checksum is the SHA-256 of the file on disk');

SELECT * FROM finish();
ROLLBACK;
