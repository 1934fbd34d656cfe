-- Constraints of core.partners and core.customers, each met by a direct INSERT/UPDATE as
-- a psql user would write it; and the links that make a customer exist for a partner.
BEGIN;
SELECT plan(14);

CREATE TEMP TABLE fx (partner text, other_partner text, customer uuid);
INSERT INTO fx (other_partner) SELECT test.act_as_new_partner();
UPDATE fx SET partner = test.act_as_new_partner();
UPDATE fx SET customer = test.new_customer(false);

SELECT throws_ok($$INSERT INTO core.partners (id, name) VALUES ('Contoso Reseller', 'Contoso')$$,
                 '23514', 'new row for relation "partners" violates check constraint "check_partners_id_format"',
                 'insert: a partner id with capitals and a space violates check_partners_id_format');
SELECT throws_ok(format($$INSERT INTO core.partners (id, name) VALUES (%L, 'Long')$$, repeat('p', 65)),
                 '23514', 'new row for relation "partners" violates check constraint "check_partners_id_format"',
                 'insert: a partner id of 65 characters violates check_partners_id_format');
SELECT throws_ok($$INSERT INTO core.partners (id, name) VALUES ('contoso', '')$$,
                 '23514', 'new row for relation "partners" violates check constraint "check_partners_name_length"',
                 'insert: an empty partner name violates check_partners_name_length');
SELECT throws_ok($$UPDATE core.partners SET name = repeat('n', 201) WHERE id = (SELECT partner FROM fx)$$,
                 '23514', 'new row for relation "partners" violates check constraint "check_partners_name_length"',
                 'update: a partner name of 201 characters violates check_partners_name_length');
SELECT throws_ok($$UPDATE core.partners SET name = E'Contoso\nDROP TABLE' WHERE id = (SELECT partner FROM fx)$$,
                 '23514', 'new row for relation "partners" violates check constraint "check_partners_name_length"',
                 'update: a control character in a partner name violates check_partners_name_length');

SELECT throws_ok($$INSERT INTO core.customers (id, name) VALUES (gen_random_uuid(), '')$$,
                 '23514', 'new row for relation "customers" violates check constraint "check_customers_name_length"',
                 'insert: an empty customer name violates check_customers_name_length');
SELECT throws_ok($$UPDATE core.customers SET name = repeat('n', 201) WHERE id = (SELECT customer FROM fx)$$,
                 '23514', 'new row for relation "customers" violates check constraint "check_customers_name_length"',
                 'update: a customer name of 201 characters violates check_customers_name_length');
SELECT throws_ok($$UPDATE core.customers SET name = E'Tab\tName' WHERE id = (SELECT customer FROM fx)$$,
                 '23514', 'new row for relation "customers" violates check constraint "check_customers_name_length"',
                 'update: a control character in a customer name violates check_customers_name_length');
SELECT throws_ok($$INSERT INTO core.customers (id, name, domain) VALUES (gen_random_uuid(), 'Contoso', 'not a domain')$$,
                 '23514', 'new row for relation "customers" violates check constraint "check_customers_domain_format"',
                 'insert: a domain with spaces violates check_customers_domain_format');
SELECT throws_ok(format($$UPDATE core.customers SET domain = %L WHERE id = %L$$,
                        repeat(repeat('a', 63) || '.', 4) || 'cn', (SELECT customer FROM fx)),
                 '23514', 'new row for relation "customers" violates check constraint "check_customers_domain_format"',
                 'update: a well-formed domain of 258 characters violates check_customers_domain_format');
UPDATE core.customers SET domain = 'contoso-test.partner.onmschina.cn' WHERE id = (SELECT customer FROM fx);
SELECT throws_ok($$INSERT INTO core.customers (id, name, domain)
                   VALUES (gen_random_uuid(), 'Contoso again', 'contoso-test.partner.onmschina.cn')$$,
                 '23505', 'duplicate key value violates unique constraint "unique_customers_domain"',
                 'insert: a second customer with the same domain violates unique_customers_domain');

-- link_partner_customer: a customer exists for the partner that added it and for every
-- partner with a relationship or a subscription with it, whoever writes the row.
INSERT INTO core.relationships (partner_id, customer_id, service_id) SELECT other_partner, customer, 'office365' FROM fx;
SELECT ok(EXISTS (SELECT 1 FROM core.partner_customers pc JOIN fx ON pc.partner_id = fx.partner AND pc.customer_id = fx.customer),
          'a customer exists for the partner that added it');
SELECT ok(EXISTS (SELECT 1 FROM core.partner_customers pc JOIN fx ON pc.partner_id = fx.other_partner AND pc.customer_id = fx.customer),
          'a relationship written in SQL makes the customer exist for its partner');
INSERT INTO core.partners (id, name) VALUES ('test-third-partner', 'Third');
INSERT INTO core.subscriptions (customer_id, offer_id, quantity, billing_cycle, channel, partner_id)
SELECT customer, 'o365-e1', 1, 'monthly', 'csp', 'test-third-partner' FROM fx;
SELECT ok(EXISTS (SELECT 1 FROM core.partner_customers pc JOIN fx ON pc.customer_id = fx.customer
                  WHERE pc.partner_id = 'test-third-partner'),
          'a subscription written in SQL makes the customer exist for its reseller');

SELECT * FROM finish();
ROLLBACK;
