-- The error-code contract (SPEC 3 and 4), the one list of the project's codes. Re-applied
-- on every migrate; the build also reads the rows below (src/shared/sql_rows.awk: literal
-- values only) and src/shared/errors.cpp maps each SQLSTATE to its code and exit code
-- from them (tests/db/error_codes_agree_test.cpp checks the two agree).
--
-- SU099 is internal and deliberately not in the table: a dry run raises it to roll back
-- its subtransaction once the result is known, and catches it at once (logic.run_operation
-- in 40_operations, logic.batch_apply_upgrades in 70_batches). It never leaves the
-- function that raised it, so no caller, and no user, ever sees it.
INSERT INTO core.error_codes (code, sqlstate, exit_code, description) VALUES
    ('subscription_not_found',                       'SU001', 1,  'The subscription does not exist.'),
    ('offer_not_found',                              'SU002', 1,  'The offer does not exist or is retired.'),
    ('customer_not_found',                           'SU003', 1,  'The customer does not exist.'),
    ('partner_not_found',                            'SU004', 1,  'The partner does not exist.'),
    ('relationship_not_found',                       'SU005', 1,  'No such delegated-admin relationship.'),
    ('service_not_found',                            'SU006', 1,  'The service does not exist.'),
    ('batch_not_found',                              'SU007', 1,  'The batch does not exist for the acting partner.'),
    ('subscription_does_not_have_any_upgrade_paths', 'SU010', 1,  'No upgrade path leaves the subscription''s offer.'),
    ('subscription_target_offer_not_found',          'SU011', 1,  'The target offer is not an upgrade path of the subscription''s offer.'),
    ('subscription_status_not_active',               'SU012', 1,  'The subscription is suspended or cancelled.'),
    ('subscription_not_provisioned',                 'SU013', 1,  'The subscription is still pending.'),
    ('not_reseller_of_record',                       'SU014', 1,  'The subscription was not sold by the acting partner.'),
    ('delegated_admin_permissions_disabled',         'SU015', 1,  'No active delegated-admin relationship with this customer for the offer''s service.'),
    ('conflicting_service_types',                    'SU016', 1,  'The customer already has a subscription that includes a service the target adds.'),
    ('target_offer_already_owned',                   'SU017', 1,  'The customer already has a subscription of the target offer.'),
    ('subscription_add_ons_present',                 'SU018', 1,  'The subscription has add-on subscriptions.'),
    ('offer_does_not_support_billing_cycle',         'SU019', 1,  'The offer does not support the billing cycle.'),
    ('quantity_out_of_range',                        'SU020', 1,  'The license quantity is outside the offer''s range.'),
    ('version_mismatch',                             'SU021', 1,  'The subscription has changed since the expected version.'),
    ('request_id_reused',                            'SU022', 1,  'The request id was already used with other parameters.'),
    ('quantity_cannot_be_decreased',                 'SU023', 1,  'Licenses cannot be removed from an annual subscription.'),
    ('invalid_status_transition',                    'SU024', 1,  'The subscription cannot move to that status.'),
    ('add_on_parent_invalid',                        'SU025', 1,  'An add-on needs a parent subscription of an allowed offer of the same customer; other offers take no parent.'),
    ('relationship_already_active',                  'SU030', 1,  'The customer already has an active delegated-admin partner for this service.'),
    ('relationship_exists',                          'SU031', 1,  'The partner already has an open relationship with this customer for this service.'),
    ('invalid_relationship_transition',              'SU032', 1,  'The relationship cannot move to that status.'),
    ('relationship_expiry_out_of_range',             'SU033', 1,  'A relationship expires after activation and at most two years after it.'),
    ('partner_exists',                               'SU034', 1,  'A partner with that id already exists.'),
    ('customer_exists',                              'SU035', 1,  'A customer with that id or domain already exists.'),
    ('customer_already_linked',                      'SU036', 1,  'The customer is already visible to that partner.'),
    ('partner_context_missing',                      'SU040', 78, 'No acting partner: set --partner, SUBCTL_PARTNER or the config file.'),
    ('partner_not_permitted',                        'SU042', 78, 'The database login is mapped to another partner.'),
    ('invalid_argument',                             'SU041', 65, 'A value is not valid.'),
    ('invalid_catalog',                              'SU060', 65, 'The catalog is not valid.'),
    ('upgrade_path_invalid',                         'SU061', 1,  'Upgrade paths join two non-add-on offers of one service, without cycles.'),
    ('audit_events_append_only',                     'SU070', 1,  'Audit events cannot be changed or deleted.'),
    ('audit_chain_broken',                           'SU071', 1,  'An audit event was changed, removed or inserted out of order.')
ON CONFLICT (code) DO UPDATE
    SET sqlstate = EXCLUDED.sqlstate, exit_code = EXCLUDED.exit_code, description = EXCLUDED.description;

-- The transient SQLSTATEs (PostgreSQL's own): a fresh attempt of the same transaction may
-- succeed. Batches re-raise them rather than reject a row (logic.is_transient_sqlstate);
-- the client retries those marked retried in its transaction loop (bounded, jittered) and
-- reports the others at once as exit 75, "try again": waiting out a lock or statement
-- timeout again would only double the wait. The build reads these rows as well.
DELETE FROM core.transient_sqlstates;
INSERT INTO core.transient_sqlstates (sqlstate, code, retried, description) VALUES
    ('40001', 'serialization_failure', true,  'Two transactions conflicted; one of them must run again.'),
    ('40P01', 'deadlock_detected',     true,  'Two transactions waited for each other; one of them must run again.'),
    ('55P03', 'lock_not_available',    false, 'A lock was not granted within lock_timeout.'),
    ('57014', 'query_canceled',        false, 'The statement was cancelled (statement_timeout or a cancel request).');

CREATE OR REPLACE FUNCTION logic.raise_error(p_code text, p_message text DEFAULT NULL,
                                            p_detail text DEFAULT NULL, p_hint text DEFAULT NULL)
RETURNS void LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    e core.error_codes;
BEGIN
    SELECT * INTO STRICT e FROM core.error_codes WHERE code = p_code;
    RAISE EXCEPTION USING ERRCODE = e.sqlstate,
        MESSAGE = coalesce(p_message, e.description),
        DETAIL = coalesce(p_detail, ''), HINT = coalesce(p_hint, '');
END $$;
COMMENT ON FUNCTION logic.raise_error IS 'Raises the project SQLSTATE of an error code with message, detail and hint.';

-- A vocabulary in a sentence: 'a', 'a or b', 'a, b or c'.
CREATE OR REPLACE FUNCTION logic.one_of(p_values text[])
RETURNS text LANGUAGE sql IMMUTABLE BEGIN ATOMIC
    SELECT CASE WHEN cardinality(p_values) > 1
                THEN array_to_string(p_values[:cardinality(p_values) - 1], ', ') || ' or ' || p_values[cardinality(p_values)]
                ELSE p_values[1] END;
END;

-- [{code, description}] for a list of codes, in the given order.
CREATE OR REPLACE FUNCTION logic.describe_errors(p_codes text[])
RETURNS jsonb LANGUAGE sql STABLE BEGIN ATOMIC
    SELECT coalesce(jsonb_agg(jsonb_build_object('code', c.code, 'description', e.description) ORDER BY c.ord), '[]')
    FROM unnest(p_codes) WITH ORDINALITY AS c (code, ord)
    LEFT JOIN core.error_codes e ON e.code = c.code;
END;
