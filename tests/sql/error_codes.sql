-- The error-code contract: every code the code raises is in the table, and every code
-- the SPEC names exists. (The SQLSTATE format is core.error_codes' own CHECK.)
BEGIN;
SELECT plan(3);

SELECT is_empty($$SELECT DISTINCT m[1] FROM pg_proc p, regexp_matches(p.prosrc, 'raise_error\(''([a-z_]+)''', 'g') m
                  WHERE p.pronamespace IN ('logic'::regnamespace, 'api'::regnamespace)
                    AND m[1] NOT IN (SELECT code FROM core.error_codes)$$,
                'every code raised by logic.raise_error in logic and api is in core.error_codes');
SELECT set_has($$SELECT code FROM core.error_codes$$,
               $$VALUES ('subscription_not_found'), ('offer_not_found'),
                        ('subscription_does_not_have_any_upgrade_paths'), ('subscription_target_offer_not_found'),
                        ('subscription_status_not_active'), ('subscription_not_provisioned'),
                        ('not_reseller_of_record'), ('delegated_admin_permissions_disabled'),
                        ('conflicting_service_types'), ('target_offer_already_owned'),
                        ('subscription_add_ons_present'), ('offer_does_not_support_billing_cycle'),
                        ('quantity_out_of_range'), ('version_mismatch'), ('request_id_reused'),
                        ('quantity_cannot_be_decreased'), ('invalid_status_transition')$$,
               'every code of the SPEC exists');
SELECT throws_ok($$SELECT logic.raise_error('version_mismatch')$$, 'SU021',
                 'The subscription has changed since the expected version.',
                 'logic.raise_error raises the code''s SQLSTATE and description');

SELECT * FROM finish();
ROLLBACK;
