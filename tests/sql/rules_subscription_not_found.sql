-- subscription_not_found: an unknown subscription id, and another partner's subscription
-- of a customer that does not exist for the acting partner, are reported the same way,
-- by every operation, and never show the other partner's identity.
BEGIN;
SELECT plan(22);

CREATE TEMP TABLE fx (owner text, owner_name text, stranger text, customer uuid, s uuid, missing uuid);
INSERT INTO fx (owner) SELECT test.act_as_new_partner('owner');
UPDATE fx SET owner_name = (SELECT name FROM core.partners WHERE id = owner), customer = test.new_customer(),
              missing = gen_random_uuid();
UPDATE fx SET s = test.new_subscription(customer, 'o365-business');
UPDATE fx SET stranger = test.act_as_new_partner('stranger');

SELECT throws_ok(format('SELECT api.upgrades(%L)', missing), 'SU001', format('subscription %s does not exist', missing),
                 'upgrades of an unknown subscription: subscription_not_found') FROM fx;
SELECT throws_ok(format('SELECT api.upgrades(%L)', s), 'SU001', format('subscription %s does not exist', s),
                 'upgrades of another partner''s subscription: the same error as an unknown one') FROM fx;
SELECT throws_ok(format('SELECT api.subscription(%L)', s), 'SU001', format('subscription %s does not exist', s),
                 'subscription show of another partner''s subscription: the same error') FROM fx;

SELECT test.is_rejected(format('api.upgrade(%L, %L)', missing, 'o365-e3'), missing, '{subscription_not_found}',
                        'upgrade of an unknown subscription') FROM fx;
SELECT test.is_rejected(format('api.upgrade(%L, %L)', s, 'o365-e3'), customer, '{subscription_not_found}',
                        'upgrade of another partner''s subscription') FROM fx;
SELECT test.is_rejected(format('api.licenses_change(%L, %L, 1)', 'add', s), customer, '{subscription_not_found}',
                        'licenses add on another partner''s subscription') FROM fx;
SELECT test.is_rejected(format('api.subscription_change(%L, %L)', 'cancel', s), customer, '{subscription_not_found}',
                        'cancel of another partner''s subscription') FROM fx;

-- Nothing tells the hidden subscription from a missing one, and nothing names its owner.
SELECT is(replace(api.upgrade(s, 'o365-e3')::text, s::text, 'ID'),
          replace(api.upgrade(missing, 'o365-e3')::text, missing::text, 'ID'),
          'the rejection of a hidden subscription equals that of a missing one (the id asked aside)') FROM fx;
SELECT ok(strpos(api.upgrade(s, 'o365-e3')::text, owner) = 0 AND strpos(api.upgrade(s, 'o365-e3')::text, owner_name) = 0,
          'the rejection names neither the owner''s id nor its name') FROM fx;
SELECT is((SELECT customer_id FROM core.audit_events WHERE partner_id = stranger AND subscription_id = s
           ORDER BY id DESC LIMIT 1), NULL,
          'the stranger''s audit event does not link the hidden customer') FROM fx;

SELECT * FROM finish();
ROLLBACK;
