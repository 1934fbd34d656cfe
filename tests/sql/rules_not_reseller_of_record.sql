-- not_reseller_of_record: the acting partner did not sell the source: bought directly from
-- 21Vianet, through another reseller, or sold by another CSP partner of the customer.
BEGIN;
SELECT plan(25);

CREATE TEMP TABLE fx (partner text, rival text, rival_name text, customer uuid, direct uuid, other uuid, rivals uuid);
INSERT INTO fx (rival) SELECT test.act_as_new_partner('rival');
UPDATE fx SET rival_name = (SELECT name FROM core.partners WHERE id = rival), customer = test.new_customer(false);
UPDATE fx SET rivals = test.new_subscription(customer, 'o365-business-essentials');
UPDATE fx SET partner = test.act_as_new_partner();
-- The rival's customer accepted the partner's invitation too, and a relationship with it.
SELECT test.link(customer, partner) FROM fx;
SELECT test.new_relationship(customer) FROM fx;
UPDATE fx SET direct = test.new_subscription(customer, 'o365-business', p_channel => 'direct'),
              other = test.new_subscription(customer, 'o365-business', p_channel => 'other-reseller');

SELECT is(test.listed_codes(direct, 'o365-proplus'), '{not_reseller_of_record}', 'direct: listed with the code') FROM fx;
SELECT is(test.listed_codes(other, 'o365-proplus'), '{not_reseller_of_record}', 'other-reseller: listed with the code') FROM fx;
SELECT is(test.listed_codes(rivals, 'o365-e1'), '{not_reseller_of_record}', 'another partner''s: listed with the code') FROM fx;
SELECT test.is_rejected(format('api.upgrade(%L, %L)', direct, 'o365-proplus'), customer,
                        '{not_reseller_of_record}', 'upgrade of a direct subscription') FROM fx;
SELECT test.is_rejected(format('api.upgrade(%L, %L)', other, 'o365-proplus'), customer,
                        '{not_reseller_of_record}', 'upgrade of an other-reseller subscription') FROM fx;
SELECT test.is_rejected(format('api.upgrade(%L, %L)', rivals, 'o365-e1'), customer,
                        '{not_reseller_of_record}', 'upgrade of another partner''s subscription') FROM fx;
SELECT test.is_rejected(format('api.licenses_change(%L, %L, 1)', 'add', rivals), customer,
                        '{not_reseller_of_record}', 'licenses add on another partner''s subscription') FROM fx;
SELECT test.is_rejected(format('api.subscription_change(%L, %L)', 'suspend', rivals), customer,
                        '{not_reseller_of_record}', 'suspend of another partner''s subscription') FROM fx;
SELECT is(api.subscription(rivals) -> 'partner_id', 'null', 'the rival''s id is not shown') FROM fx;
SELECT ok(strpos(api.upgrades(rivals)::text || api.upgrade(rivals, 'o365-e1')::text || api.subscriptions(customer)::text,
                 rival) = 0
          AND strpos(api.upgrades(rivals)::text || api.upgrade(rivals, 'o365-e1')::text, rival_name) = 0,
          'listing, rejection and subscription list name neither the rival''s id nor its name') FROM fx;

SELECT * FROM finish();
ROLLBACK;
