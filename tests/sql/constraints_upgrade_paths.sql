-- Constraints of core.upgrade_paths, each met by a direct INSERT/UPDATE as a psql user
-- would write it, on the shipped catalog: no self-loop, no cycle, same service on both
-- ends, never to or from an add-on, and no offer on a path may become an add-on.
BEGIN;
SELECT plan(13);

INSERT INTO core.services (id, name) VALUES ('test-azure', 'Azure (test)');
SELECT test.new_offer('test-azure-plan', 'Azure plan', 10, p_billing_cycles => '{}', p_service => 'test-azure'),
       test.new_offer('test-lone-offer', 'Lone offer', 10, p_billing_cycles => '{}') \g /dev/null

-- check_upgrade_paths_no_self_loop is shadowed by the cycle check of the shape trigger
-- (a self-loop is a cycle of one), so it is met with that trigger switched off.
ALTER TABLE core.upgrade_paths DISABLE TRIGGER check_upgrade_paths_shape;
SELECT throws_ok($$INSERT INTO core.upgrade_paths VALUES ('o365-e1', 'o365-e1')$$,
                 '23514', 'new row for relation "upgrade_paths" violates check constraint "check_upgrade_paths_no_self_loop"',
                 'insert: a self-loop violates check_upgrade_paths_no_self_loop');
SELECT throws_ok($$UPDATE core.upgrade_paths SET target_offer_id = 'o365-business-premium'
                   WHERE (source_offer_id, target_offer_id) = ('o365-business-premium', 'o365-e3')$$,
                 '23514', 'new row for relation "upgrade_paths" violates check constraint "check_upgrade_paths_no_self_loop"',
                 'update: turning a path into a self-loop violates check_upgrade_paths_no_self_loop');
ALTER TABLE core.upgrade_paths ENABLE TRIGGER check_upgrade_paths_shape;
SELECT throws_ok($$INSERT INTO core.upgrade_paths VALUES ('o365-e1', 'o365-e1')$$,
                 'SU061', 'check_upgrade_paths_no_cycle: o365-e1 -> o365-e1 closes a cycle',
                 'insert: with the shape trigger on, a self-loop is refused as a cycle');

SELECT throws_ok($$INSERT INTO core.upgrade_paths VALUES ('o365-e3', 'o365-business-premium')$$,
                 'SU061', 'check_upgrade_paths_no_cycle: o365-e3 -> o365-business-premium closes a cycle',
                 'insert: a path back to its source closes a two-offer cycle');
SELECT throws_ok($$INSERT INTO core.upgrade_paths VALUES ('o365-e3', 'o365-business-essentials')$$,
                 'SU061', 'check_upgrade_paths_no_cycle: o365-e3 -> o365-business-essentials closes a cycle',
                 'insert: essentials -> premium -> e3 -> essentials closes a longer cycle');
SELECT throws_ok($$UPDATE core.upgrade_paths SET source_offer_id = 'o365-e3', target_offer_id = 'o365-business'
                   WHERE (source_offer_id, target_offer_id) = ('o365-business-essentials', 'o365-e1')$$,
                 'SU061', 'check_upgrade_paths_no_cycle: o365-e3 -> o365-business closes a cycle',
                 'update: re-pointing a path so that it closes a cycle is refused');

SELECT throws_ok($$INSERT INTO core.upgrade_paths VALUES ('o365-e3', 'test-azure-plan')$$,
                 'SU061', 'check_upgrade_paths_same_service: o365-e3 (office365) -> test-azure-plan (test-azure) crosses services',
                 'insert: a path across services is refused');
SELECT throws_ok($$UPDATE core.upgrade_paths SET target_offer_id = 'test-azure-plan'
                   WHERE (source_offer_id, target_offer_id) = ('o365-business-premium', 'o365-e3')$$,
                 'SU061', 'check_upgrade_paths_same_service: o365-business-premium (office365) -> test-azure-plan (test-azure) crosses services',
                 'update: re-pointing a path to another service is refused');

SELECT throws_ok($$INSERT INTO core.upgrade_paths VALUES ('o365-e1', 'o365-extra-file-storage')$$,
                 'SU061', 'check_upgrade_paths_no_add_ons: o365-e1 -> o365-extra-file-storage involves an add-on',
                 'insert: a path to an add-on is refused');
SELECT throws_ok($$INSERT INTO core.upgrade_paths VALUES ('o365-extra-file-storage', 'o365-e1')$$,
                 'SU061', 'check_upgrade_paths_no_add_ons: o365-extra-file-storage -> o365-e1 involves an add-on',
                 'insert: a path from an add-on is refused');

SELECT throws_ok($$UPDATE core.offers SET is_add_on = true WHERE id = 'o365-e3'$$,
                 'SU061', 'check_upgrade_paths_no_add_ons: offer o365-e3 is on an upgrade path',
                 'update: the target of an upgrade path cannot become an add-on');
SELECT throws_ok($$UPDATE core.offers SET is_add_on = true WHERE id = 'o365-business'$$,
                 'SU061', 'check_upgrade_paths_no_add_ons: offer o365-business is on an upgrade path',
                 'update: the source of an upgrade path cannot become an add-on');
SELECT lives_ok($$UPDATE core.offers SET is_add_on = true WHERE id = 'test-lone-offer'$$,
                'update: an offer on no upgrade path may become an add-on');

SELECT * FROM finish();
ROLLBACK;
