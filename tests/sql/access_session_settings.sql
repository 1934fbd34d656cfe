-- A PL/pgSQL body is parsed in the session that first calls it, with that session's
-- settings. A login that turns standard_conforming_strings off before anything runs
-- (so that '\x' reads as 'x') gets the same results as any other session: the hash of a
-- new chain's first event (which every later session verifies), LIKE escaping, batch
-- line cleaning, the comment check, the error templates.
SET standard_conforming_strings = off;
BEGIN;
SELECT plan(6);

SELECT test.act_as_new_partner('scs-a') \g /dev/null
SELECT test.new_customer() AS customer \gset
SELECT is((SELECT e.chain_hash FROM core.audit_events e WHERE e.customer_id = :'customer' ORDER BY e.id LIMIT 1),
          (SELECT core.audit_event_digest(e, NULL, decode('', 'hex')) FROM core.audit_events e
           WHERE e.customer_id = :'customer' ORDER BY e.id LIMIT 1),
          'a new chain''s first event is hashed after an empty previous hash');
SELECT is((SELECT count(*) FROM logic.audit_chains(ARRAY[:'customer'::uuid], NULL, NULL) c WHERE c.status <> 'ok'), 0::bigint,
          'its chain verifies');
SELECT is(logic.like_literal(E'a\\b%c_d'), E'a\\\\b\\%c\\_d', 'like_literal escapes the backslash, % and _');
SELECT is(logic.batch_line_fields(1, E'\uFEFFaction,"x"\r'), '{action,x}', 'a batch''s first line loses its byte order mark and CR');
SELECT throws_like($$SELECT logic.require_comment(E'two\u2028lines')$$, '%control character%',
                   'a comment with a line separator is refused');
SELECT is(logic.fill_template('{a} and {b}', '{"a": "x", "b": ["p", "q"]}'), 'x and p, q',
          'a template''s placeholders are filled');

SELECT * FROM finish();
ROLLBACK;
