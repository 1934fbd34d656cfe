-- core.upgrade_options stores the upgrade rules of every subscription a partner sold
-- that is in force, for the reports (sql/35_upgrade_options.sql). After every kind of
-- change the rules read (operations, direct SQL, the catalog), in the same transaction,
-- what is stored equals the rules computed afresh; what moves with the clock (a
-- relationship running out, no write) shows without a write; and the reports built on
-- it equal the live evaluation.
BEGIN;
SELECT plan(18);

CREATE TEMP TABLE fx (partner text, rival text, a uuid, b uuid, c uuid, a1 uuid, a2 uuid, b1 uuid, b2 uuid, c1 uuid,
                      addon uuid);
INSERT INTO fx (rival) SELECT test.act_as_new_partner('rival');
UPDATE fx SET partner = test.act_as_new_partner();
UPDATE fx SET a = test.new_customer(), b = test.new_customer(), c = test.new_customer(false);
UPDATE fx SET a1 = test.new_subscription(a, 'o365-business', 10, p_billing_cycle => 'annual'),
              a2 = test.new_subscription(a, 'o365-business-essentials'),
              b1 = test.new_subscription(b, 'o365-business-premium'),
              b2 = test.new_subscription(b, 'o365-proplus'),
              c1 = test.new_subscription(c, 'o365-business');

-- Stored = computed afresh, for every customer (not only the test's: nothing else moved).
CREATE FUNCTION pg_temp.stored_is_fresh(p_what text) RETURNS text LANGUAGE sql AS $$
    SELECT set_eq('SELECT * FROM core.upgrade_options',
                  'SELECT * FROM logic.upgrade_options_of(ARRAY(SELECT id FROM core.customers))',
                  'stored = computed afresh after ' || p_what)
$$;
-- The report = the live rules for the acting partner's subscriptions in force.
CREATE FUNCTION pg_temp.report_is_live(p_what text) RETURNS text LANGUAGE sql AS $$
    SELECT set_eq('SELECT subscription_id, customer_id, source_offer_id, target_offer_id, error_codes
                   FROM report.upgrade_options',
                  format('SELECT subscription_id, customer_id, source_offer_id, target_offer_id, error_codes
                          FROM logic.upgrade_evaluations(ARRAY(SELECT id FROM core.customers), %L, true)', logic.acting_partner()),
                  'report.upgrade_options = the live rules ' || p_what)
$$;

SELECT isnt_empty('SELECT FROM core.upgrade_options o JOIN fx ON o.subscription_id IN (fx.a1, fx.b1, fx.c1)',
                  'the new subscriptions have stored options');
SELECT pg_temp.stored_is_fresh('subscriptions were added');

-- Operations: an upgrade, a suspension, an add-on and its cancellation, a license change.
SELECT api.upgrade(a1, 'o365-e3') FROM fx \g /dev/null
SELECT api.subscription_change('suspend', b2) FROM fx \g /dev/null
UPDATE fx SET addon = test.new_subscription(b, 'o365-extra-file-storage', 1, p_parent => b1);
SELECT ok((SELECT 'subscription_add_ons_present' = ANY (logic.error_codes_of(error_mask_related))
           FROM core.upgrade_options o, fx WHERE o.subscription_id = fx.b1 AND o.target_offer_id = 'o365-e3'),
          'an add-on shows on its parent''s stored options at once');
SELECT api.subscription_change('cancel', addon) FROM fx \g /dev/null
SELECT api.licenses_change('add', a2, 3) FROM fx \g /dev/null
SELECT pg_temp.stored_is_fresh('an upgrade, a suspension, an add-on and its cancellation, a license change');
-- Inside an operation the refresh waits for its end (logic.upgrade_options_defer); once it
-- returned, a direct write in the same transaction is refreshed at once again (below).
SELECT is(coalesce(current_setting('subctl.upgrade_options_deferred', true), '')
          || coalesce(current_setting('subctl.upgrade_options_pending', true), ''), '',
          'an operation leaves no deferred refresh behind');

-- Relationships: customer c gets one; b loses its own.
SELECT test.new_relationship(c) FROM fx \g /dev/null
SELECT api.relationship_change('remove', b, 'office365') FROM fx \g /dev/null
SELECT pg_temp.stored_is_fresh('relationships accepted and removed');
SELECT pg_temp.report_is_live('after those changes');

-- Direct SQL by the owner: a status, a reseller, a deletion.
UPDATE core.subscriptions SET status = 'pending' WHERE id = (SELECT a2 FROM fx);
SELECT test.link(c, rival) FROM fx;  -- a reseller of record sees the customer (SPEC 7.1)
UPDATE core.subscriptions SET partner_id = (SELECT rival FROM fx) WHERE id = (SELECT c1 FROM fx);
SELECT is_empty('SELECT FROM core.upgrade_options o JOIN fx ON o.subscription_id = fx.c1 AND o.partner_id = fx.partner',
                'a subscription sold to another reseller leaves the partner''s options');
DELETE FROM core.subscriptions WHERE id = (SELECT b2 FROM fx);  -- its plans no longer conflict with b1's paths
SELECT pg_temp.stored_is_fresh('direct SQL updates and a deletion');

-- The catalog: E3 stops taking annual billing; the path catalog and every option follow.
DELETE FROM core.offer_billing_cycles WHERE offer_id = 'o365-e3' AND billing_cycle = 'annual';
SELECT is((SELECT target_billing_cycles FROM core.upgrade_path_catalog
           WHERE source_offer_id = 'o365-business' AND target_offer_id = 'o365-e3'),
          '{monthly}', 'the path catalog follows a change of billing cycles');
SELECT pg_temp.stored_is_fresh('a catalog change');
SELECT pg_temp.report_is_live('after the catalog change');

-- The clock: a's relationship runs out 0.2 s from now; no write happens after that.
UPDATE core.relationships SET expires_at = clock_timestamp() + interval '0.2 seconds'
WHERE customer_id = (SELECT a FROM fx) AND status = 'active';
SELECT pg_sleep(0.3);
SELECT ok((SELECT bool_and('delegated_admin_permissions_disabled' = ANY (error_codes))
           FROM report.upgrade_options, fx WHERE customer_id = fx.a),
          'a relationship that ran out since it was stored blocks the upgrade in the report at once');
SELECT pg_temp.report_is_live('after the relationship ran out');

-- Masks: every stored code has a bit, and a mask gives back its codes.
SELECT is_empty('SELECT FROM logic.upgrade_options_of(ARRAY(SELECT id FROM core.customers)) o,
                        logic.upgrade_path_facts(ARRAY(SELECT id FROM core.customers), NULL, true) f, unnest(f.error_codes_unrelated) c
                 JOIN core.error_codes e ON e.code = c
                 WHERE f.subscription_id = o.subscription_id AND logic.error_bit(e.sqlstate) IS NULL',
                'every code the rules give has a bit');
SELECT is_empty('SELECT FROM logic.upgrade_path_facts(ARRAY(SELECT id FROM core.customers), NULL, true) f
                 WHERE logic.error_codes_of(logic.error_mask(f.error_codes_unrelated)) <> f.error_codes_unrelated
                    OR logic.error_codes_of(logic.error_mask(f.error_codes_related)) <> f.error_codes_related',
                'a set of codes goes to a mask and back unchanged, in the rules'' order');

-- report.blocked_upgrades: the distinct counts of subscriptions, paths and customers per
-- code over the live rules.
SELECT set_eq('SELECT * FROM report.blocked_upgrades',
              format($$SELECT code, count(DISTINCT e.subscription_id) AS subscriptions, count(*) AS paths,
                              count(DISTINCT e.customer_id) AS customers,
                              count(*) FILTER (WHERE cardinality(e.error_codes) = 1) AS alone
                       FROM logic.upgrade_evaluations(ARRAY(SELECT id FROM core.customers), %L, true) e,
                            unnest(e.error_codes) code GROUP BY code$$,
                     (SELECT partner FROM fx)),
              'report.blocked_upgrades = the distinct counts over the live rules');

-- A full refresh (every migrate runs one) changes nothing.
CREATE TEMP TABLE before AS SELECT * FROM core.upgrade_options;
SELECT logic.upgrade_options_refresh(NULL);
SELECT set_eq('SELECT * FROM core.upgrade_options', 'SELECT * FROM before', 'a full refresh gives the same rows');

SELECT * FROM finish();
ROLLBACK;
