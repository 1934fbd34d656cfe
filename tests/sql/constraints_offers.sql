-- Constraints of the catalog tables (services, service plans, offers, billing cycles,
-- add-on parents), each met by a direct INSERT/UPDATE as a psql user would write it.
BEGIN;
SELECT plan(12);

SELECT throws_ok($$INSERT INTO core.services (id, name) VALUES ('Office 365', 'Office')$$,
                 '23514', 'new row for relation "services" violates check constraint "check_services_id_format"',
                 'insert: a service id with capitals and spaces violates check_services_id_format');
SELECT throws_ok($$INSERT INTO core.service_plans (id, service_id) VALUES ('exchange_online', 'office365')$$,
                 '23514', 'new row for relation "service_plans" violates check constraint "check_service_plans_id_format"',
                 'insert: a service plan id with an underscore violates check_service_plans_id_format');

SELECT throws_ok($$INSERT INTO core.offers (id, service_id, name, max_quantity) VALUES ('O365-E5', 'office365', 'E5', 10)$$,
                 '23514', 'new row for relation "offers" violates check constraint "check_offers_id_format"',
                 'insert: an offer id in capitals violates check_offers_id_format');
SELECT throws_ok(format($$INSERT INTO core.offers (id, service_id, name, max_quantity) VALUES (%L, 'office365', 'Long', 10)$$,
                        'o365-' || repeat('x', 60)),
                 '23514', 'new row for relation "offers" violates check constraint "check_offers_id_format"',
                 'insert: an offer id of 65 characters violates check_offers_id_format');
SELECT throws_ok($$UPDATE core.offers SET name = '' WHERE id = 'o365-e1'$$,
                 '23514', 'new row for relation "offers" violates check constraint "check_offers_name_length"',
                 'update: an empty offer name violates check_offers_name_length');
SELECT throws_ok($$UPDATE core.offers SET name = repeat('n', 201) WHERE id = 'o365-e1'$$,
                 '23514', 'new row for relation "offers" violates check constraint "check_offers_name_length"',
                 'update: an offer name of 201 characters violates check_offers_name_length');
SELECT throws_ok($$INSERT INTO core.offers (id, service_id, name, min_quantity, max_quantity)
                   VALUES ('o365-e5', 'office365', 'E5', 0, 10)$$,
                 '23514', 'new row for relation "offers" violates check constraint "check_offers_min_quantity"',
                 'insert: min 0 violates check_offers_min_quantity');
SELECT throws_ok($$UPDATE core.offers SET min_quantity = 301 WHERE id = 'o365-business'$$,
                 '23514', 'new row for relation "offers" violates check constraint "check_offers_quantity_range"',
                 'update: min above max violates check_offers_quantity_range');
SELECT throws_ok($$INSERT INTO core.offers (id, service_id, name, min_quantity, max_quantity)
                   VALUES ('o365-e5', 'office365', 'E5', 5, 4)$$,
                 '23514', 'new row for relation "offers" violates check constraint "check_offers_quantity_range"',
                 'insert: max below min violates check_offers_quantity_range');

SELECT throws_ok($$INSERT INTO core.offer_billing_cycles VALUES ('o365-e1', 'triennial')$$,
                 '23514', 'new row for relation "offer_billing_cycles" violates check constraint "check_offer_billing_cycles_billing_cycle"',
                 'insert: billing cycle triennial violates check_offer_billing_cycles_billing_cycle');
SELECT throws_ok($$INSERT INTO core.offer_add_on_parents VALUES ('o365-extra-file-storage', 'o365-extra-file-storage')$$,
                 '23514', 'new row for relation "offer_add_on_parents" violates check constraint "check_offer_add_on_parents_no_self"',
                 'insert: an add-on allowed on itself violates check_offer_add_on_parents_no_self');
SELECT throws_ok($$UPDATE core.offer_add_on_parents SET parent_offer_id = add_on_offer_id
                   WHERE add_on_offer_id = 'o365-extra-file-storage' AND parent_offer_id = 'o365-e1'$$,
                 '23514', 'new row for relation "offer_add_on_parents" violates check constraint "check_offer_add_on_parents_no_self"',
                 'update: an add-on allowed on itself violates check_offer_add_on_parents_no_self');

SELECT * FROM finish();
ROLLBACK;
