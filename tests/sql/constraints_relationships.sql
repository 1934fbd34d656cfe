-- Constraints of core.relationships, each met by a direct INSERT/UPDATE as a psql user
-- would write it: the status set, dates of active relationships, expiry at most two
-- years after activation, one active partner per (customer, service), one open
-- relationship per (partner, customer, service).
BEGIN;
SELECT plan(13);

CREATE TEMP TABLE fx (partner text, other_partner text, customer uuid, lone_customer uuid, active_relationship uuid);
INSERT INTO fx (other_partner) SELECT test.act_as_new_partner();
UPDATE fx SET partner = test.act_as_new_partner();
UPDATE fx SET customer = test.new_customer(), lone_customer = test.new_customer(false);
UPDATE fx SET active_relationship = r.id FROM core.relationships r
WHERE r.customer_id = fx.customer AND r.partner_id = fx.partner AND r.status = 'active';

SELECT throws_ok($$INSERT INTO core.relationships (partner_id, customer_id, service_id, status)
                   SELECT partner, lone_customer, 'office365', 'pending' FROM fx$$,
                 '23514', 'new row for relation "relationships" violates check constraint "check_relationships_status"',
                 'insert: status pending violates check_relationships_status');
SELECT throws_ok($$UPDATE core.relationships SET status = 'deleted' WHERE id = (SELECT active_relationship FROM fx)$$,
                 '23514', 'new row for relation "relationships" violates check constraint "check_relationships_status"',
                 'update: status deleted violates check_relationships_status');
SELECT throws_ok($$INSERT INTO core.relationships (partner_id, customer_id, service_id, status, expires_at)
                   SELECT partner, lone_customer, 'office365', 'active', now() + interval '1 year' FROM fx$$,
                 '23514', 'new row for relation "relationships" violates check constraint "check_relationships_active_has_dates"',
                 'insert: active without activated_at violates check_relationships_active_has_dates');
SELECT throws_ok($$UPDATE core.relationships SET expires_at = NULL WHERE id = (SELECT active_relationship FROM fx)$$,
                 '23514', 'new row for relation "relationships" violates check constraint "check_relationships_active_has_dates"',
                 'update: an active relationship without expiry violates check_relationships_active_has_dates');

SELECT throws_ok($$INSERT INTO core.relationships (partner_id, customer_id, service_id, status, activated_at, expires_at)
                   SELECT partner, lone_customer, 'office365', 'active', now(), now() + interval '2 years 1 second' FROM fx$$,
                 '23514', 'new row for relation "relationships" violates check constraint "check_relationships_expires_within_two_years"',
                 'insert: expiry past two years after activation violates check_relationships_expires_within_two_years');
SELECT throws_ok($$INSERT INTO core.relationships (partner_id, customer_id, service_id, status, activated_at, expires_at)
                   SELECT partner, lone_customer, 'office365', 'active', now(), now() FROM fx$$,
                 '23514', 'new row for relation "relationships" violates check constraint "check_relationships_expires_within_two_years"',
                 'insert: expiry at activation violates check_relationships_expires_within_two_years');
SELECT throws_ok($$UPDATE core.relationships SET expires_at = activated_at + interval '3 years'
                   WHERE id = (SELECT active_relationship FROM fx)$$,
                 '23514', 'new row for relation "relationships" violates check constraint "check_relationships_expires_within_two_years"',
                 'update: moving the expiry three years out violates check_relationships_expires_within_two_years');
SELECT lives_ok($$UPDATE core.relationships SET expires_at = activated_at + interval '2 years'
                  WHERE id = (SELECT active_relationship FROM fx)$$,
                'update: exactly two years after activation is allowed');

SELECT throws_ok($$INSERT INTO core.relationships (partner_id, customer_id, service_id, status, activated_at, expires_at)
                   SELECT other_partner, customer, 'office365', 'active', now(), now() + interval '1 year' FROM fx$$,
                 '23505', 'duplicate key value violates unique constraint "unique_relationships_active_customer_service"',
                 'insert: a second active partner for the customer and service is refused');
SELECT throws_ok($$INSERT INTO core.relationships (partner_id, customer_id, service_id) SELECT other_partner, customer, 'office365' FROM fx$$,
                 '23503', NULL,
                 'insert: a relationship of a partner that does not see the customer is refused (relationships_partner_sees_customer)');
SELECT test.link(customer, other_partner) FROM fx;
INSERT INTO core.relationships (partner_id, customer_id, service_id) SELECT other_partner, customer, 'office365' FROM fx;
SELECT throws_ok($$UPDATE core.relationships SET status = 'active', activated_at = now(), expires_at = now() + interval '1 year'
                   WHERE partner_id = (SELECT other_partner FROM fx) AND customer_id = (SELECT customer FROM fx)$$,
                 '23505', 'duplicate key value violates unique constraint "unique_relationships_active_customer_service"',
                 'update: activating a second partner for the customer and service is refused');
SELECT throws_ok($$INSERT INTO core.relationships (partner_id, customer_id, service_id) SELECT partner, customer, 'office365' FROM fx$$,
                 '23505', 'duplicate key value violates unique constraint "unique_relationships_open_partner_customer_service"',
                 'insert: a second open relationship of one partner with the customer and service is refused');
SELECT lives_ok($$UPDATE core.relationships SET status = 'removed', ended_at = now() WHERE id = (SELECT active_relationship FROM fx);
                  UPDATE core.relationships SET status = 'active', activated_at = now(), expires_at = now() + interval '1 year'
                  WHERE partner_id = (SELECT other_partner FROM fx) AND customer_id = (SELECT customer FROM fx)$$,
                'once the first partner is removed, another partner may become active');

SELECT * FROM finish();
ROLLBACK;
