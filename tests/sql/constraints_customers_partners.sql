-- Constraints of core.partners and core.customers, each met by a direct INSERT/UPDATE as
-- a psql user would write it; and the links that make a customer exist for a partner.
BEGIN;
SELECT plan(24);

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

-- Visibility (SPEC 7.1): a customer exists for the partner that added it, and for a
-- partner the platform linked to it; a relationship or a subscription written in SQL for
-- any other partner is refused, whoever writes it.
SELECT ok(EXISTS (SELECT 1 FROM core.partner_customers pc JOIN fx ON pc.partner_id = fx.partner AND pc.customer_id = fx.customer
                  WHERE pc.how = 'added'),
          'a customer exists for the partner that added it');
SELECT throws_ok($$INSERT INTO core.relationships (partner_id, customer_id, service_id) SELECT other_partner, customer, 'office365' FROM fx$$,
                 '23503', NULL, 'a relationship written in SQL for a partner that does not see the customer is refused');
INSERT INTO core.partners (id, name) VALUES ('test-third-partner', 'Third');
SELECT throws_ok($$INSERT INTO core.subscriptions (customer_id, offer_id, quantity, billing_cycle, channel, partner_id, recorded_by_partner_id)
                   SELECT customer, 'o365-e1', 1, 'monthly', 'csp', 'test-third-partner', 'test-third-partner' FROM fx$$,
                 '23503', NULL, 'a subscription written in SQL for a reseller that does not see the customer is refused');
SELECT test.link(customer, other_partner) FROM fx;
SELECT ok(EXISTS (SELECT 1 FROM core.partner_customers pc JOIN fx ON pc.partner_id = fx.other_partner AND pc.customer_id = fx.customer
                  WHERE pc.how = 'linked'),
          'a customer linked by the platform exists for that partner');
SELECT lives_ok($$INSERT INTO core.relationships (partner_id, customer_id, service_id) SELECT other_partner, customer, 'office365' FROM fx$$,
                'a linked partner may hold a relationship with the customer');

-- check_*_name_visible: a display name is trimmed and holds no invisible formatting
-- character (Unicode Cf), whoever writes it; the API trims and names the problem.
SELECT throws_ok($$UPDATE core.customers SET name = ' Contoso' WHERE id = (SELECT customer FROM fx)$$,
                 '23514', 'new row for relation "customers" violates check constraint "check_customers_name_visible"',
                 'update: a customer name with a leading space violates check_customers_name_visible');
SELECT throws_ok(format('UPDATE core.customers SET name = %L WHERE id = %L', 'Contoso' || chr(8238) || 'gnp.exe', (SELECT customer FROM fx)),
                 '23514', 'new row for relation "customers" violates check constraint "check_customers_name_visible"',
                 'update: a bidirectional override (U+202E) in a customer name violates check_customers_name_visible');
SELECT throws_ok(format('UPDATE core.partners SET name = %L WHERE id = %L', 'Con' || chr(8203) || 'toso', (SELECT partner FROM fx)),
                 '23514', 'new row for relation "partners" violates check constraint "check_partners_name_visible"',
                 'update: a zero-width space (U+200B) in a partner name violates check_partners_name_visible');
SELECT throws_ok($$SELECT api.customer_add('   ')$$, 'SU041', 'the customer name is empty',
                 'api: a customer name of spaces only is refused, invalid_argument');
SELECT throws_ok(format('SELECT api.customer_add(%L)', 'Contoso' || chr(8238) || 'gnp.exe'), 'SU041',
                 'the customer name holds the invisible formatting character U+202E (Unicode category Cf)',
                 'api: a bidirectional override is refused, naming the code point and not echoing the name');
SELECT throws_ok(format('SELECT api.partner_add(%L, %L)', 'zw-partner', 'Zero' || chr(65279) || 'Width'), 'SU041',
                 'the partner name holds the invisible formatting character U+FEFF (Unicode category Cf)',
                 'api: a zero-width no-break space in a partner name is refused');
SELECT is(api.customer_add(' ' || chr(12288) || 'Contoso Shanghai  ') ->> 'name', 'Contoso Shanghai',
          'api: a name is stored trimmed (ideographic space included)');
SELECT throws_ok($$SELECT api.customer_add('Bad domain', NULL, 'BAD DOMAIN')$$, 'SU041',
                 'domain "BAD DOMAIN" is not a domain name: dot-separated labels of letters, digits and inner hyphens, e.g. contoso.partner.onmschina.cn',
                 'api: a malformed domain is refused with a sentence, not the constraint''s name');

SELECT * FROM finish();
ROLLBACK;
