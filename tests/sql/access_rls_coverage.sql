-- Row-level security covers every table that holds partner data: a new table with a
-- partner, customer or batch column and no policy fails this test.
BEGIN;
SELECT plan(2);

CREATE TEMP VIEW partner_tables AS
SELECT c.oid::regclass AS table_name, c.relrowsecurity AS rls,
       EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid) AS has_policy
FROM pg_class c
WHERE c.relnamespace = 'core'::regnamespace AND c.relkind IN ('r', 'p')
  AND (c.relname = 'partners' OR EXISTS (
           SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND NOT a.attisdropped AND a.attnum > 0
             AND a.attname IN ('partner_id', 'customer_id', 'batch_id', 'login_role')));

SELECT is(ARRAY(SELECT table_name::text FROM partner_tables WHERE NOT rls ORDER BY 1), '{}',
          'row-level security is enabled on every table holding partner data');
SELECT is(ARRAY(SELECT table_name::text FROM partner_tables WHERE NOT has_policy ORDER BY 1), '{}',
          'every table holding partner data has a policy');

SELECT * FROM finish();
ROLLBACK;
