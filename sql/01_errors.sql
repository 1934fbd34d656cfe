-- The error-code contract (SPEC 3 and 4), the one list of the project's codes. Re-applied
-- on every migrate; the build also reads the rows below (src/shared/sql_rows.awk: literal
-- values only) and src/shared/errors.cpp maps each SQLSTATE to its code and exit code
-- from them (tests/db/error_codes_agree_test.cpp checks the two agree).
--
-- SU099 is internal and deliberately not in the table: a dry run raises it to roll back
-- its subtransaction once the result is known, and catches it at once (logic.run_operation
-- in 40_operations, logic.batch_apply_set in 70_batches). It never leaves the
-- function that raised it, so no caller, and no user, ever sees it.
INSERT INTO core.error_codes (code, sqlstate, exit_code, description) VALUES
    ('subscription_not_found',                       'SU001', 1,  'The subscription does not exist.'),
    ('offer_not_found',                              'SU002', 1,  'The offer does not exist or is retired.'),
    ('customer_not_found',                           'SU003', 1,  'The customer does not exist.'),
    ('partner_not_found',                            'SU004', 1,  'The partner does not exist.'),
    ('relationship_not_found',                       'SU005', 1,  'No such delegated-admin relationship.'),
    ('service_not_found',                            'SU006', 1,  'The service does not exist.'),
    ('batch_not_found',                              'SU007', 1,  'The batch does not exist for the acting partner.'),
    ('user_not_found',                               'SU008', 1,  'The user does not exist for the customer.'),
    ('into_subscription_not_found',                  'SU009', 1,  'The subscription to upgrade into does not exist.'),
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
    ('license_quantity_exceeded',                    'SU026', 1,  'The subscription''s assigned licenses would exceed its quantity.'),
    ('quantity_below_assigned_licenses',             'SU027', 1,  'The quantity would fall below the licenses assigned to users.'),
    ('license_transfer_quantity_insufficient',       'SU028', 1,  'The target''s quantity is below the licenses assigned on the source.'),
    ('into_subscription_other_customer',             'SU050', 1,  'The subscription to upgrade into is another customer''s.'),
    ('into_subscription_other_offer',                'SU051', 1,  'The subscription to upgrade into is not of the target offer.'),
    ('into_subscription_other_billing_cycle',        'SU052', 1,  'The subscription to upgrade into has another billing cycle than the source.'),
    ('into_subscription_not_active',                 'SU053', 1,  'The subscription to upgrade into is not active.'),
    ('into_subscription_not_reseller_of_record',     'SU054', 1,  'The subscription to upgrade into was not sold by the acting partner.'),
    ('relationship_already_active',                  'SU030', 1,  'The customer already has an active delegated-admin partner for this service.'),
    ('relationship_exists',                          'SU031', 1,  'The partner already has an open relationship with this customer for this service.'),
    ('invalid_relationship_transition',              'SU032', 1,  'The relationship cannot move to that status.'),
    ('relationship_expiry_out_of_range',             'SU033', 1,  'A relationship expires after activation and at most two years after it.'),
    ('partner_exists',                               'SU034', 1,  'A partner with that id already exists.'),
    ('customer_exists',                              'SU035', 1,  'A customer with that id or domain already exists.'),
    ('customer_already_linked',                      'SU036', 1,  'The customer is already visible to that partner.'),
    ('customer_ambiguous',                           'SU037', 1,  'More than one customer matches: name one by its id, domain or full name.'),
    ('user_exists',                                  'SU039', 1,  'A user with that user principal name already exists in the customer.'),
    ('subscription_ambiguous',                       'SU038', 1,  'More than one subscription id starts with that prefix: give more characters.'),
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
RETURNS text LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN CASE WHEN cardinality(p_values) > 1
                THEN array_to_string(p_values[:cardinality(p_values) - 1], ', ') || ' or ' || p_values[cardinality(p_values)]
                ELSE p_values[1] END;
END $$;

-- What each error tells the operator beyond its code (SPEC 7.2): a specific description
-- and the next step, {placeholders} filled from the error's details and the request
-- (logic.error_objects, sql/38_error_details.sql). A code with cases has one row per value
-- of its details' "status" (of a license change's quantity_out_of_range: its "change",
-- add or remove); case '' is the default. The one place these sentences live.
DELETE FROM core.error_guidance;
INSERT INTO core.error_guidance (code, "case", description, next_step) VALUES
    ('subscription_not_found', '', 'Subscription {subscription_id} does not exist.',
     'find the subscription: subctl subscription list --customer CUSTOMER'),
    ('offer_not_found', '', 'Offer {offer} does not exist or is retired.',
     'see the offers: subctl catalog show'),
    ('customer_not_found', '', 'Customer {customer_id} does not exist.',
     'find the customer: subctl customer list --search TEXT'),
    ('customer_ambiguous', '', NULL,
     'name one customer by its id or domain (subctl customer list --search TEXT lists them)'),
    ('subscription_ambiguous', '', NULL,
     'give more characters of the subscription id, or all of it'),
    ('subscription_does_not_have_any_upgrade_paths', '', 'No upgrade path leaves offer {offer}.',
     'the customer buys the other offer as a new subscription: subctl subscription add {customer_id} --offer OFFER --quantity N (subctl catalog show --view paths lists the upgrade paths)'),
    ('subscription_target_offer_not_found', '', '{target_offer} is not an upgrade of offer {offer} (its upgrades: {targets}).',
     'choose one of its upgrades: subctl upgrades {subscription_id}'),
    ('subscription_status_not_active', 'suspended', 'Subscription {subscription_id} is suspended.',
     'reactivate it first: subctl subscription reactivate {subscription_id}'),
    ('subscription_status_not_active', 'cancelled', 'Subscription {subscription_id} is cancelled.',
     'a cancelled subscription stays cancelled: the customer buys the offer anew (subctl subscription add {customer_id} --offer OFFER --quantity N)'),
    ('subscription_status_not_active', 'upgraded', 'Subscription {subscription_id} was replaced by its upgrade {upgraded_to}.',
     'work on the subscription that replaced it: subctl subscription show {upgraded_to}'),
    ('subscription_not_provisioned', '', 'Subscription {subscription_id} is still pending.',
     'once it is provisioned: subctl subscription activate {subscription_id}'),
    ('not_reseller_of_record', '', 'Subscription {subscription_id} (channel {channel}) was not sold by you.',
     'only its seller can change it: the customer asks its seller (21Vianet for channel direct, its other reseller otherwise), or buys the offer from you: subctl subscription add {customer_id} --offer OFFER --quantity N'),
    ('delegated_admin_permissions_disabled', 'none', 'You have no delegated-admin relationship with this customer for {service}.',
     'request one: subctl relationship request {customer_id} --service {service}; once the customer accepts it: subctl relationship accept {customer_id} --service {service}'),
    ('delegated_admin_permissions_disabled', 'requested', 'Your delegated-admin relationship for {service} waits for the customer to accept it.',
     'the customer accepts the invitation in the Office 365 admin center operated by 21Vianet; then record it: subctl relationship accept {customer_id} --service {service}'),
    ('delegated_admin_permissions_disabled', 'expired', 'Your delegated-admin relationship for {service} expired at {expires_at}.',
     'request a new one: subctl relationship request {customer_id} --service {service}; once the customer accepts it: subctl relationship accept {customer_id} --service {service}'),
    ('delegated_admin_permissions_disabled', 'removed', 'Your delegated-admin relationship for {service} was removed.',
     'request a new one: subctl relationship request {customer_id} --service {service}; once the customer accepts it: subctl relationship accept {customer_id} --service {service}'),
    ('delegated_admin_permissions_disabled', 'held_by_another_partner', 'Another partner holds the customer''s delegated-admin privileges for {service}.',
     'the customer removes the other partner''s delegated-admin privileges in the Office 365 admin center operated by 21Vianet; then: subctl relationship request {customer_id} --service {service}'),
    ('conflicting_service_types', '', 'The customer already has {plans}, which {target_offer} adds, in subscriptions {subscriptions}.',
     'the customer cancels subscriptions {subscriptions} first: {cancel_steps}; then upgrade again'),
    ('target_offer_already_owned', '', 'The customer already has {target_offer} in subscriptions {subscriptions}.',
     'add licenses to the one it has instead (subctl licenses add ID N, if sold by you), or the customer cancels it with its seller first'),
    ('subscription_add_ons_present', '', 'Subscription {subscription_id} has add-ons {add_ons}.',
     'cancel the add-ons first: subctl subscription cancel ID, for each of {add_ons}'),
    ('offer_does_not_support_billing_cycle', '', '{offer} is not sold {billing_cycle} (only {supported}).',
     'choose an offer sold {billing_cycle}: subctl catalog show'),
    ('quantity_out_of_range', '', '{asked} licenses is outside the range of {offer}: {min} to {max}.',
     'ask for {min} to {max} licenses of {offer}'),
    ('quantity_out_of_range', 'remove', 'Removing {licenses} licenses would leave {asked}, outside the range of {offer}: {min} to {max}.',
     'subscription {subscription_id} has {current} licenses and {offer} needs {min} to {max}: remove fewer'),
    ('quantity_out_of_range', 'add', 'Adding {licenses} licenses would make {asked}, outside the range of {offer}: {min} to {max}.',
     'subscription {subscription_id} has {current} licenses and {offer} allows {min} to {max}: add fewer'),
    ('version_mismatch', '', 'Subscription {subscription_id} is at version {current}, not {expected}.',
     'look at it again (subctl subscription show {subscription_id}) and retry with --if-version {current}'),
    ('request_id_reused', '', 'Request id {request_id} was already used with other parameters.',
     'give this request a new --request-id'),
    ('quantity_cannot_be_decreased', '', 'Licenses cannot be removed from annual subscription {subscription_id}.',
     'licenses of an annual subscription can only be added; remove them at its renewal'),
    ('invalid_status_transition', '', 'Subscription {subscription_id} is {status}: {operation} does not apply to it.',
     'see its status: subctl subscription show {subscription_id}'),
    ('add_on_parent_invalid', '', NULL,
     'an add-on needs --parent with a subscription of this customer of an offer it is an add-on to: subctl catalog show'),
    ('service_not_found', '', NULL, 'see the services: subctl catalog show'),
    ('customer_exists', '', NULL,
     'if it is the same tenant, the platform links it to you once the customer accepts your reseller invitation (subctl customer link CUSTOMER PARTNER, run by the owner); otherwise check the id and domain'),
    ('customer_already_linked', '', NULL, 'nothing to do: the partner already sees the customer'),
    ('partner_exists', '', NULL, 'choose another partner id'),
    ('partner_not_found', '', NULL, 'check the partner id, or add the partner first: subctl partner add ID --name NAME'),
    ('relationship_exists', '', NULL,
     'nothing to request: see it with subctl relationship list --customer {customer_id}; once the customer accepts it: subctl relationship accept {customer_id} --service {service_id}'),
    ('invalid_relationship_transition', '', NULL,
     'see the relationship: subctl relationship list --customer {customer_id}; a new one starts with subctl relationship request {customer_id} --service {service_id}'),
    ('relationship_already_active', '', NULL,
     'the customer removes the active delegated-admin relationship for {service_id} in the Office 365 admin center operated by 21Vianet; then accept again'),
    ('relationship_not_found', '', NULL, 'see the relationships: subctl relationship list --customer {customer_id}'),
    ('user_not_found', '', 'Users {users} do not exist for customer {customer_id}.',
     'see its users: subctl user list --customer {customer_id}; add one: subctl user add {customer_id} --upn NAME@DOMAIN'),
    ('user_exists', '', 'User {upn} already exists in customer {customer_id}.',
     'nothing to add: see the users with subctl user list --customer {customer_id}'),
    ('license_quantity_exceeded', '', 'Subscription {subscription_id} has {quantity} licenses and {assigned} assigned: {asked} more would exceed it.',
     'add licenses first (subctl licenses add {subscription_id} {missing}), or assign fewer users'),
    ('quantity_below_assigned_licenses', '', 'Subscription {subscription_id} has {assigned} licenses assigned to users: its quantity cannot go down to {quantity}.',
     'unassign licenses first: subctl license unassign {subscription_id} USER...'),
    ('license_transfer_quantity_insufficient', '', '{quantity} licenses of {target_offer} cannot hold the {assigned} licenses assigned on subscription {subscription_id}.',
     'upgrade with --quantity {assigned} or more; or unassign licenses first (subctl license unassign {subscription_id} USER...); or upgrade with --no-license-transfer and reassign them afterwards'),
    ('license_transfer_quantity_insufficient', 'into', 'Subscription {into_subscription_id} ({target_offer}) would have {quantity} licenses, {into_assigned} of them assigned: the other {available} cannot hold the {assigned} licenses assigned on subscription {subscription_id}.',
     'upgrade with --quantity {needed} or more; or unassign licenses first (subctl license unassign {subscription_id} USER...); or upgrade with --no-license-transfer and reassign them afterwards'),
    ('quantity_out_of_range', 'into', '{asked} licenses is outside the range of {offer}: {min} to {max} (subscription {into_subscription_id} has {into_quantity}, {added} more were asked).',
     'ask for 1 to {room} more licenses of subscription {into_subscription_id}, or upgrade without --into'),
    ('into_subscription_not_found', '', 'Subscription {into_subscription_id} to upgrade into does not exist.',
     'find the customer''s subscriptions: subctl subscription list --customer CUSTOMER; or upgrade without --into (a new subscription of the target offer)'),
    ('into_subscription_other_customer', '', 'Subscription {into_subscription_id} is of customer {into_customer_id}, not of customer {customer_id} of subscription {subscription_id}.',
     'upgrade into a subscription of customer {customer_id} (subctl subscription list --customer {customer_id}), or without --into'),
    ('into_subscription_other_offer', '', 'Subscription {into_subscription_id} is of {into_offer}, not of the target offer {target_offer}.',
     'leave out --to (the target is then the offer of {into_subscription_id}), or upgrade into a subscription of {target_offer}'),
    ('into_subscription_other_billing_cycle', '', 'Subscription {into_subscription_id} is billed {into_billing_cycle}, subscription {subscription_id} {billing_cycle}.',
     'upgrade into a {billing_cycle} subscription of the target offer, or without --into (a new {billing_cycle} subscription)'),
    ('into_subscription_not_active', 'suspended', 'Subscription {into_subscription_id} to upgrade into is suspended.',
     'reactivate it first: subctl subscription reactivate {into_subscription_id}'),
    ('into_subscription_not_active', 'pending', 'Subscription {into_subscription_id} to upgrade into is still pending.',
     'once it is provisioned: subctl subscription activate {into_subscription_id}'),
    ('into_subscription_not_active', 'cancelled', 'Subscription {into_subscription_id} to upgrade into is cancelled.',
     'a cancelled subscription stays cancelled: upgrade without --into (a new subscription of the target offer)'),
    ('into_subscription_not_active', 'upgraded', 'Subscription {into_subscription_id} to upgrade into was replaced by its upgrade {upgraded_to}.',
     'upgrade into the subscription that replaced it, if of the target offer (subctl subscription show {upgraded_to}), or without --into'),
    ('into_subscription_not_reseller_of_record', '', 'Subscription {into_subscription_id} (channel {into_channel}) was not sold by you.',
     'only a subscription you sold can grow: the customer cancels it with its seller (21Vianet for channel direct, its other reseller otherwise), then upgrade without --into'),
    ('relationship_expiry_out_of_range', '', NULL,
     'give --expires after now and at most two years after activation, or none for the longest');

-- A template with {name} placeholders filled from p_values: a string or number as it is,
-- an array as its elements (an object by its id) joined with ", ", none as "none"; a
-- placeholder without a value stays. Simple expressions only (no query): it runs twice
-- per error object of the upgrade listing.
CREATE OR REPLACE FUNCTION logic.fill_template(p_template text, p_values jsonb)
RETURNS text LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
-- (split once at each "{": a name is what follows it up to the next "}", if made of a-z
-- and _ only; string functions on the short pieces, no regular expression)
DECLARE
    v_parts text[] := string_to_array(p_template, '{');
    v_out text := coalesce(v_parts[1], '');
    v_part text;
    v_close integer;
    v jsonb;
    t text;
BEGIN
    IF p_template IS NULL THEN
        RETURN NULL;
    END IF;
    FOR i IN 2 .. coalesce(array_length(v_parts, 1), 0) LOOP
        v_part := v_parts[i];
        v_close := strpos(v_part, '}');
        v := CASE WHEN v_close > 1 AND translate(left(v_part, v_close - 1), 'abcdefghijklmnopqrstuvwxyz_', '') = ''
                  THEN p_values -> left(v_part, v_close - 1) END;
        IF v IS NULL OR jsonb_typeof(v) = 'null' THEN
            v_out := v_out || '{' || v_part;
            CONTINUE;
        END IF;
        IF jsonb_typeof(v) <> 'array' THEN
            t := v #>> '{}';
        ELSIF jsonb_array_length(v) = 0 THEN
            t := 'none';
        ELSE  -- ["a", "b"] as a, b; objects by their ids (ids, offers and plans hold no quotes)
            t := CASE WHEN jsonb_typeof(v -> 0) = 'object' THEN jsonb_path_query_array(v, '$[*].id') ELSE v END::text;
            t := replace(substr(t, 2, length(t) - 2), '"', '');
        END IF;
        v_out := v_out || t || substr(v_part, v_close + 1);
    END LOOP;
    RETURN v_out;
END $$;

-- The error objects of a list of codes, in the given order (SPEC 7.2): {code, description,
-- details, next_step}. p_details maps a code to its details (logic.error_objects);
-- p_request holds what the request named (subscription_id, target_offer, ...), which the
-- templates may use as well.
CREATE OR REPLACE FUNCTION logic.describe_errors(p_codes text[], p_details jsonb DEFAULT '{}',
                                                p_request jsonb DEFAULT '{}')
RETURNS jsonb LANGUAGE plpgsql STABLE SET plan_cache_mode = force_generic_plan SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    -- One statement for every code (a listing asks for a few per target), planned once
    -- per session: each code's guidance of its case (the details' status or change) if
    -- any, else its general one.
    RETURN (SELECT coalesce(jsonb_agg(jsonb_build_object(
                       'code', c.code,
                       'description', coalesce(logic.fill_template(g.description, v.vals), e.description),
                       'details', coalesce(p_details -> c.code, '{}'),
                       'next_step', logic.fill_template(g.next_step, v.vals)) ORDER BY c.ord), '[]')
            FROM unnest(p_codes) WITH ORDINALITY AS c (code, ord)
            CROSS JOIN LATERAL (SELECT coalesce(p_request, '{}'::jsonb) || coalesce(p_details -> c.code, '{}'::jsonb) AS vals) v
            LEFT JOIN core.error_codes e ON e.code = c.code
            LEFT JOIN LATERAL (
                SELECT x.description, x.next_step FROM core.error_guidance x
                WHERE x.code = c.code  -- (guidance only of a known code: its foreign key)
                  AND x."case" IN ('', coalesce(p_details -> c.code ->> 'status', p_details -> c.code ->> 'change', ''))
                ORDER BY x."case" DESC LIMIT 1) g ON true);
END $$;
