-- Constraints of core.subscriptions, each met by a direct INSERT/UPDATE as a psql user
-- would write it (the database is the last line of defence): quantity, status, billing
-- cycle, channel <=> reseller, add-on parents, upgrade links, versions.
BEGIN;
SELECT plan(34);

CREATE TEMP TABLE fx (partner text, customer uuid, other_customer uuid, e3 uuid, big_e3 uuid,
                      business uuid, add_on uuid, tiny_offer text);
INSERT INTO fx (partner) SELECT test.act_as_new_partner();
UPDATE fx SET customer = test.new_customer(), other_customer = test.new_customer();
UPDATE fx SET e3 = test.new_subscription(customer, 'o365-e3'),
              big_e3 = test.new_subscription(customer, 'o365-e3', 500),
              business = test.new_subscription(customer, 'o365-business');
UPDATE fx SET add_on = test.new_subscription(customer, 'o365-extra-file-storage', p_parent => e3);
-- An offer whose minimum is above 1, to reach the lower end of the offer's range.
UPDATE fx SET tiny_offer = test.new_offer('test-min-five', 'Five or more', 10, 5, p_billing_cycles => '{}');

-- ------------------------------------------------------------ quantity
-- check_subscriptions_quantity is shadowed by the range trigger (offers start at 1 or
-- more), so it is met with that trigger switched off for two statements.
ALTER TABLE core.subscriptions DISABLE TRIGGER check_subscriptions_quantity_in_offer_range;
SELECT throws_ok($$INSERT INTO core.subscriptions (customer_id, offer_id, quantity, billing_cycle, channel, partner_id)
                   SELECT customer, 'o365-business', 0, 'monthly', 'csp', partner FROM fx$$,
                 '23514', 'new row for relation "subscriptions" violates check constraint "check_subscriptions_quantity"',
                 'insert: quantity 0 violates check_subscriptions_quantity');
SELECT throws_ok($$UPDATE core.subscriptions SET quantity = -3 WHERE id = (SELECT business FROM fx)$$,
                 '23514', 'new row for relation "subscriptions" violates check constraint "check_subscriptions_quantity"',
                 'update: a negative quantity violates check_subscriptions_quantity');
ALTER TABLE core.subscriptions ENABLE TRIGGER check_subscriptions_quantity_in_offer_range;

SELECT throws_ok($$INSERT INTO core.subscriptions (customer_id, offer_id, quantity, billing_cycle, channel, partner_id)
                   SELECT customer, 'o365-business', 301, 'monthly', 'csp', partner FROM fx$$,
                 'SU020', 'check_subscriptions_quantity_in_offer_range: quantity 301 is outside 1..300 of offer o365-business',
                 'insert: a quantity above the offer''s max is refused');
SELECT throws_ok($$INSERT INTO core.subscriptions (customer_id, offer_id, quantity, billing_cycle, channel, partner_id)
                   SELECT customer, tiny_offer, 4, 'monthly', 'csp', partner FROM fx$$,
                 'SU020', 'check_subscriptions_quantity_in_offer_range: quantity 4 is outside 5..10 of offer test-min-five',
                 'insert: a quantity below the offer''s min is refused');
SELECT throws_ok($$UPDATE core.subscriptions SET quantity = 301 WHERE id = (SELECT business FROM fx)$$,
                 'SU020', 'check_subscriptions_quantity_in_offer_range: quantity 301 is outside 1..300 of offer o365-business',
                 'update: a quantity above the offer''s max is refused');
SELECT throws_ok($$UPDATE core.subscriptions SET offer_id = 'o365-business-premium' WHERE id = (SELECT big_e3 FROM fx)$$,
                 'SU020', 'check_subscriptions_quantity_in_offer_range: quantity 500 is outside 1..300 of offer o365-business-premium',
                 'update: moving to an offer whose max is below the quantity is refused');
SELECT lives_ok($$UPDATE core.subscriptions SET quantity = 300 WHERE id = (SELECT business FROM fx)$$,
                'update: the offer''s max itself is allowed');

-- ------------------------------------------------------------ status, billing cycle, channel
SELECT throws_ok($$INSERT INTO core.subscriptions (customer_id, offer_id, quantity, billing_cycle, channel, partner_id, status)
                   SELECT customer, 'o365-e1', 1, 'monthly', 'csp', partner, 'expired' FROM fx$$,
                 '23514', 'new row for relation "subscriptions" violates check constraint "check_subscriptions_status"',
                 'insert: a status outside the set violates check_subscriptions_status');
SELECT throws_ok($$UPDATE core.subscriptions SET status = 'deleted' WHERE id = (SELECT business FROM fx)$$,
                 '23514', 'new row for relation "subscriptions" violates check constraint "check_subscriptions_status"',
                 'update: a status outside the set violates check_subscriptions_status');
SELECT throws_ok($$INSERT INTO core.subscriptions (customer_id, offer_id, quantity, billing_cycle, channel, partner_id)
                   SELECT customer, 'o365-e1', 1, 'weekly', 'csp', partner FROM fx$$,
                 '23514', 'new row for relation "subscriptions" violates check constraint "check_subscriptions_billing_cycle"',
                 'insert: billing cycle weekly violates check_subscriptions_billing_cycle');
SELECT throws_ok($$UPDATE core.subscriptions SET billing_cycle = 'Annual' WHERE id = (SELECT business FROM fx)$$,
                 '23514', 'new row for relation "subscriptions" violates check constraint "check_subscriptions_billing_cycle"',
                 'update: billing cycle Annual violates check_subscriptions_billing_cycle');
SELECT throws_ok($$INSERT INTO core.subscriptions (customer_id, offer_id, quantity, billing_cycle, channel)
                   SELECT customer, 'o365-e1', 1, 'monthly', 'retail' FROM fx$$,
                 '23514', 'new row for relation "subscriptions" violates check constraint "check_subscriptions_channel"',
                 'insert: channel retail violates check_subscriptions_channel');
SELECT throws_ok($$INSERT INTO core.subscriptions (customer_id, offer_id, quantity, billing_cycle, channel)
                   SELECT customer, 'o365-e1', 1, 'monthly', 'csp' FROM fx$$,
                 '23514', 'new row for relation "subscriptions" violates check constraint "check_subscriptions_csp_has_reseller"',
                 'insert: channel csp without a partner violates check_subscriptions_csp_has_reseller');
SELECT throws_ok($$INSERT INTO core.subscriptions (customer_id, offer_id, quantity, billing_cycle, channel, partner_id)
                   SELECT customer, 'o365-e1', 1, 'monthly', 'direct', partner FROM fx$$,
                 '23514', 'new row for relation "subscriptions" violates check constraint "check_subscriptions_csp_has_reseller"',
                 'insert: channel direct with a partner violates check_subscriptions_csp_has_reseller');
SELECT throws_ok($$UPDATE core.subscriptions SET channel = 'other-reseller' WHERE id = (SELECT business FROM fx)$$,
                 '23514', 'new row for relation "subscriptions" violates check constraint "check_subscriptions_csp_has_reseller"',
                 'update: leaving channel csp but keeping the partner violates check_subscriptions_csp_has_reseller');
SELECT throws_ok($$UPDATE core.subscriptions SET partner_id = NULL WHERE id = (SELECT business FROM fx)$$,
                 '23514', 'new row for relation "subscriptions" violates check constraint "check_subscriptions_csp_has_reseller"',
                 'update: dropping the partner of a csp subscription violates check_subscriptions_csp_has_reseller');
SELECT throws_ok($$INSERT INTO core.subscriptions (customer_id, offer_id, quantity, billing_cycle, channel)
                   SELECT customer, 'o365-e9', 1, 'monthly', 'direct' FROM fx$$,
                 '23503', 'insert or update on table "subscriptions" violates foreign key constraint "subscriptions_offer_id_fkey"',
                 'insert: an unknown offer violates the offer foreign key');

-- ------------------------------------------------------------ status reason and upgrade links
SELECT throws_ok($$UPDATE core.subscriptions SET status_reason = 'operator' WHERE id = (SELECT business FROM fx)$$,
                 '23514', 'new row for relation "subscriptions" violates check constraint "check_subscriptions_status_reason"',
                 'update: an active subscription with a status reason violates check_subscriptions_status_reason');
SELECT throws_ok($$UPDATE core.subscriptions SET status = 'suspended', status_reason = 'bored' WHERE id = (SELECT business FROM fx)$$,
                 '23514', 'new row for relation "subscriptions" violates check constraint "check_subscriptions_status_reason"',
                 'update: an unknown status reason violates check_subscriptions_status_reason');
SELECT throws_ok($$UPDATE core.subscriptions SET upgraded_to_subscription_id = (SELECT e3 FROM fx) WHERE id = (SELECT business FROM fx)$$,
                 '23514', 'new row for relation "subscriptions" violates check constraint "check_subscriptions_upgraded_is_suspended"',
                 'update: an active subscription pointing to an upgrade violates check_subscriptions_upgraded_is_suspended');
SELECT throws_ok($$INSERT INTO core.subscriptions (customer_id, offer_id, quantity, billing_cycle, channel, version)
                   SELECT customer, 'o365-e1', 1, 'monthly', 'direct', 0 FROM fx$$,
                 '23514', 'new row for relation "subscriptions" violates check constraint "check_subscriptions_version"',
                 'insert: version 0 violates check_subscriptions_version');

-- ------------------------------------------------------------ add-on parents
SELECT throws_ok($$INSERT INTO core.subscriptions (customer_id, offer_id, quantity, billing_cycle, channel, partner_id)
                   SELECT customer, 'o365-extra-file-storage', 1, 'monthly', 'csp', partner FROM fx$$,
                 'SU025', 'check_subscriptions_add_on_parent: add-on o365-extra-file-storage needs a parent subscription of the same customer with an allowed offer',
                 'insert: an add-on without a parent is refused');
SELECT throws_ok($$INSERT INTO core.subscriptions (customer_id, offer_id, quantity, billing_cycle, channel, partner_id, parent_subscription_id)
                   SELECT customer, 'o365-extra-file-storage', 1, 'monthly', 'csp', partner, business FROM fx$$,
                 'SU025', 'check_subscriptions_add_on_parent: add-on o365-extra-file-storage needs a parent subscription of the same customer with an allowed offer',
                 'insert: an add-on under a parent offer it is not allowed on is refused');
SELECT throws_ok($$INSERT INTO core.subscriptions (customer_id, offer_id, quantity, billing_cycle, channel, partner_id, parent_subscription_id)
                   SELECT other_customer, 'o365-extra-file-storage', 1, 'monthly', 'csp', partner, e3 FROM fx$$,
                 'SU025', 'check_subscriptions_add_on_parent: add-on o365-extra-file-storage needs a parent subscription of the same customer with an allowed offer',
                 'insert: an add-on under another customer''s subscription is refused');
SELECT throws_ok($$INSERT INTO core.subscriptions (customer_id, offer_id, quantity, billing_cycle, channel, partner_id, parent_subscription_id)
                   SELECT customer, 'o365-e1', 1, 'monthly', 'csp', partner, e3 FROM fx$$,
                 'SU025', 'check_subscriptions_add_on_parent: offer o365-e1 is not an add-on and takes no parent',
                 'insert: a non-add-on with a parent is refused');
SELECT throws_ok($$UPDATE core.subscriptions SET parent_subscription_id = (SELECT business FROM fx) WHERE id = (SELECT add_on FROM fx)$$,
                 'SU025', 'check_subscriptions_add_on_parent: add-on o365-extra-file-storage needs a parent subscription of the same customer with an allowed offer',
                 'update: moving an add-on under a parent offer it is not allowed on is refused');
SELECT throws_ok($$UPDATE core.subscriptions SET parent_subscription_id = (SELECT e3 FROM fx) WHERE id = (SELECT big_e3 FROM fx)$$,
                 'SU025', 'check_subscriptions_add_on_parent: offer o365-e3 is not an add-on and takes no parent',
                 'update: giving a non-add-on a parent is refused');
SELECT throws_ok(format($$UPDATE core.subscriptions SET offer_id = 'o365-business' WHERE id = %L$$, (SELECT e3 FROM fx)),
                 'SU025', format('check_subscriptions_add_on_parent: subscription %s has add-ons that need a parent of an allowed offer of their customer',
                                 (SELECT e3 FROM fx)),
                 'update: a parent cannot move to an offer its add-ons are not allowed on');
-- check_subscriptions_not_own_parent is shadowed by the add-on trigger, hence met without it.
ALTER TABLE core.subscriptions DISABLE TRIGGER check_subscriptions_add_on_parent;
SELECT throws_ok($$UPDATE core.subscriptions SET parent_subscription_id = id WHERE id = (SELECT add_on FROM fx)$$,
                 '23514', 'new row for relation "subscriptions" violates check constraint "check_subscriptions_not_own_parent"',
                 'update: a subscription that is its own parent violates check_subscriptions_not_own_parent');
ALTER TABLE core.subscriptions ENABLE TRIGGER check_subscriptions_add_on_parent;

-- ------------------------------------------------------------ versions
CREATE TEMP TABLE before AS SELECT id, version, updated_at FROM core.subscriptions WHERE id = (SELECT e3 FROM fx);
UPDATE core.subscriptions SET quantity = quantity + 2 WHERE id = (SELECT e3 FROM fx);
SELECT is((SELECT s.version FROM core.subscriptions s WHERE s.id = (SELECT e3 FROM fx)),
          (SELECT version + 1 FROM before), 'a change bumps the version by one');
SELECT cmp_ok((SELECT s.updated_at FROM core.subscriptions s WHERE s.id = (SELECT e3 FROM fx)),
              '>', (SELECT updated_at FROM before), 'a change moves updated_at');
UPDATE before SET version = s.version, updated_at = s.updated_at FROM core.subscriptions s WHERE s.id = before.id;
UPDATE core.subscriptions SET quantity = quantity, status = status WHERE id = (SELECT e3 FROM fx);
SELECT is((SELECT s.version FROM core.subscriptions s WHERE s.id = (SELECT e3 FROM fx)),
          (SELECT version FROM before), 'a no-op update keeps the version');
SELECT is((SELECT s.updated_at FROM core.subscriptions s WHERE s.id = (SELECT e3 FROM fx)),
          (SELECT updated_at FROM before), 'a no-op update keeps updated_at');
UPDATE core.subscriptions SET version = 1 WHERE id = (SELECT e3 FROM fx);
SELECT is((SELECT s.version FROM core.subscriptions s WHERE s.id = (SELECT e3 FROM fx)),
          (SELECT version FROM before), 'a direct write cannot rewind the version');

SELECT * FROM finish();
ROLLBACK;
