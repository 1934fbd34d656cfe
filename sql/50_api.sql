-- The API: one function per operation of SPEC 6. Mutations go through
-- logic.run_operation (idempotency, dry run, audit); reads return jsonb. All run with the
-- owner's rights and a pinned search_path, and see only the acting partner's customers.

CREATE OR REPLACE FUNCTION api.partner_add(p_id text, p_name text, p_comment text DEFAULT NULL,
                                           p_request_id text DEFAULT NULL)
RETURNS jsonb LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_name text := logic.require_display_name(p_name, 'partner name');
    v_parameters jsonb := jsonb_build_object('id', p_id, 'name', v_name);
    v_result jsonb := logic.platform_begin('add_partner', v_parameters, p_request_id, p_comment);
BEGIN
    IF v_result IS NOT NULL THEN  -- a replay, or the request id reused
        RETURN v_result;
    END IF;
    PERFORM 1 FROM core.partners WHERE id = p_id;
    IF FOUND THEN
        RETURN logic.platform_refusal('add_partner', 'partner_exists', v_parameters,
                                      format('Partner %s already exists.', p_id), p_request_id);
    END IF;
    BEGIN
        INSERT INTO core.partners (id, name) VALUES (p_id, v_name);
    EXCEPTION WHEN check_violation THEN  -- the id format the table allows (check_partners_id_format)
        PERFORM logic.raise_error('invalid_argument', format(
            'partner id %s: up to 64 lower-case letters, digits, dots, dashes and underscores, starting with a letter or digit',
            to_json(p_id)));
    END;
    RETURN logic.platform_result('add_partner', v_parameters, p_request_id,
                                 jsonb_build_object('status', 'succeeded', 'id', p_id, 'name', v_name, 'errors', '[]'::jsonb));
END $$;
COMMENT ON FUNCTION api.partner_add IS
'Adds a CSP reseller partner. Returns {status, id, name, request_id, errors}; an id that exists is refused (partner_exists),
audited. p_comment (a reason or ticket) and p_request_id are kept in the audit events; a request id used before with the
same parameters returns its first result (logic.platform_begin), with others request_id_reused.';

CREATE OR REPLACE FUNCTION api.customer_add(p_name text, p_id uuid DEFAULT NULL, p_domain text DEFAULT NULL,
                                            p_request_id text DEFAULT NULL, p_dry_run boolean DEFAULT false,
                                            p_comment text DEFAULT NULL)
RETURNS jsonb LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT logic.run_operation('add_customer', jsonb_strip_nulls(jsonb_build_object('name', p_name, 'id', p_id,
                              'domain', p_domain)), p_request_id, p_dry_run, p_comment => p_comment)
$$;
COMMENT ON FUNCTION api.customer_add IS 'Adds a customer tenant for the acting partner. Returns {status, id, name, domain, request_id, errors}; an id or
domain that exists is refused (customer_exists), audited. p_comment is kept in the audit events.';

-- The platform's record that an existing tenant accepted a partner's reseller invitation
-- (owner only, SPEC 7.1): from then on the customer is visible to that partner too.
CREATE OR REPLACE FUNCTION api.customer_link(p_customer_id uuid, p_partner_id text, p_comment text DEFAULT NULL,
                                             p_request_id text DEFAULT NULL)
RETURNS jsonb LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_parameters jsonb := jsonb_build_object('customer_id', p_customer_id, 'partner_id', p_partner_id);
    v_result jsonb;
BEGIN
    PERFORM 1 FROM core.customers WHERE id = p_customer_id FOR NO KEY UPDATE;  -- the customer's lock first
    v_result := logic.platform_begin('link_customer', v_parameters, p_request_id, p_comment);
    IF v_result IS NOT NULL THEN  -- a replay, or the request id reused
        RETURN v_result;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM core.customers WHERE id = p_customer_id) THEN
        RETURN logic.platform_refusal('link_customer', 'customer_not_found', v_parameters,
                                      format('Customer %s does not exist.', p_customer_id), p_request_id);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM core.partners WHERE id = p_partner_id) THEN
        RETURN logic.platform_refusal('link_customer', 'partner_not_found', v_parameters,
                                      format('Partner %s does not exist.', p_partner_id), p_request_id);
    END IF;
    IF logic.customer_visible(p_partner_id, p_customer_id) THEN
        RETURN logic.platform_refusal('link_customer', 'customer_already_linked', v_parameters,
                                      format('Customer %s is already visible to partner %s.', p_customer_id, p_partner_id),
                                      p_request_id);
    END IF;
    INSERT INTO core.partner_customers (partner_id, customer_id, how) VALUES (p_partner_id, p_customer_id, 'linked');
    RETURN logic.platform_result('link_customer', v_parameters, p_request_id,
                                 jsonb_build_object('status', 'succeeded', 'errors', '[]'::jsonb) || v_parameters);
END $$;
COMMENT ON FUNCTION api.customer_link IS
'Owner only: records that a customer accepted a partner''s reseller invitation; the customer becomes visible to that partner.
Returns {status, customer_id, partner_id, request_id, errors}. Refusals (customer_not_found, partner_not_found,
customer_already_linked) are coded results, audited under no partner. p_comment and p_request_id are kept in the audit
events; a request id used before with the same parameters returns its first result, with others request_id_reused.';

-- With p_search: those whose name or domain contains it, case-insensitive (ILIKE, served
-- by the trigram indexes of migrations/011_search.sql; planned for the text given, so
-- that a rare text reads the index and a frequent one the partner's links).
CREATE OR REPLACE FUNCTION api.customers(p_search text DEFAULT NULL)
RETURNS jsonb LANGUAGE plpgsql STABLE SECURITY DEFINER SET plan_cache_mode = force_custom_plan
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_partner text := logic.require_partner();
    v_pattern text := '%' || logic.like_literal(btrim(p_search)) || '%';
BEGIN
    -- no name is longer, and the trigrams of a long text cost the server its length
    IF length(btrim(p_search)) > core.display_name_max_length() THEN
        PERFORM logic.raise_error('invalid_argument',
            format('the search text has %s characters; a name has at most %s', length(btrim(p_search)), core.display_name_max_length()),
            NULL, 'search a part of the name or domain');
    END IF;
    IF p_search IS NULL THEN
        RETURN (SELECT coalesce(jsonb_agg(jsonb_build_object('id', c.id, 'name', c.name, 'domain', c.domain,
                                                             'created_at', c.created_at) ORDER BY c.name, c.id), '[]')
                FROM core.partner_customers pc JOIN core.customers c ON c.id = pc.customer_id
                WHERE pc.partner_id = v_partner);
    END IF;
    RETURN (SELECT coalesce(jsonb_agg(jsonb_build_object('id', c.id, 'name', c.name, 'domain', c.domain,
                                                         'created_at', c.created_at) ORDER BY c.name, c.id), '[]')
            FROM core.customers c
            WHERE (c.name ILIKE v_pattern OR c.domain ILIKE v_pattern) AND logic.customer_visible(v_partner, c.id));
END $$;
COMMENT ON FUNCTION api.customers IS
'The customers that exist for the acting partner; with p_search, those whose name or domain contains it (case-insensitive).';

CREATE OR REPLACE FUNCTION api.relationship_change(p_operation text, p_customer_id uuid, p_service_id text,
                                                   p_expires_at timestamptz DEFAULT NULL,
                                                   p_request_id text DEFAULT NULL, p_dry_run boolean DEFAULT false,
                                                   p_comment text DEFAULT NULL)
RETURNS jsonb LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF p_operation NOT IN ('request', 'accept', 'remove') THEN
        PERFORM logic.raise_error('invalid_argument', format('unknown relationship operation %s', p_operation));
    END IF;
    RETURN logic.run_operation(p_operation || '_relationship',
                              jsonb_strip_nulls(jsonb_build_object('customer_id', p_customer_id,
                                  'service_id', p_service_id, 'expires_at', p_expires_at)),
                              p_request_id, p_dry_run, p_comment => p_comment);
END $$;
COMMENT ON FUNCTION api.relationship_change IS
'Requests, accepts (recorded for the customer) or removes the acting partner''s delegated-admin relationship.
Returns the relationship with {status, relationship_status, request_id, errors}; a refusal is status rejected, audited.
p_comment is kept in the audit events.';

CREATE OR REPLACE FUNCTION api.relationships(p_customer_id uuid DEFAULT NULL)
RETURNS jsonb LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'id', r.id, 'customer_id', r.customer_id, 'service_id', r.service_id,
               'status', CASE WHEN r.status = 'active' AND r.expires_at <= statement_timestamp() THEN 'expired'
                              ELSE r.status END,
               'requested_at', r.requested_at, 'activated_at', r.activated_at, 'expires_at', r.expires_at,
               'ended_at', r.ended_at) ORDER BY r.requested_at, r.id), '[]')
    FROM core.relationships r
    WHERE r.partner_id = logic.require_partner() AND (p_customer_id IS NULL OR r.customer_id = p_customer_id)
$$;
COMMENT ON FUNCTION api.relationships IS 'The acting partner''s relationships, with expiry applied as of now.';

CREATE OR REPLACE FUNCTION api.subscription_add(p_customer_id uuid, p_offer_id text, p_quantity bigint,
                                                p_billing_cycle text DEFAULT 'monthly', p_channel text DEFAULT 'csp',
                                                p_status text DEFAULT 'active', p_parent_id uuid DEFAULT NULL,
                                                p_request_id text DEFAULT NULL, p_dry_run boolean DEFAULT false,
                                                p_comment text DEFAULT NULL)
RETURNS jsonb LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF p_channel <> ALL (core.channels()) THEN
        PERFORM logic.raise_error('invalid_argument',
                                  format('channel %s is not %s', p_channel, logic.one_of(core.channels())));
    END IF;
    IF p_status <> ALL (core.subscription_initial_statuses()) THEN
        PERFORM logic.raise_error('invalid_argument', format('a new subscription is %s, not %s',
                                                             logic.one_of(core.subscription_initial_statuses()), p_status));
    END IF;
    IF p_billing_cycle <> ALL (core.billing_cycles()) THEN
        PERFORM logic.raise_error('invalid_argument',
                                  format('billing cycle %s is not %s', p_billing_cycle, logic.one_of(core.billing_cycles())));
    END IF;
    RETURN logic.run_operation('add_subscription', jsonb_build_object(
        'customer_id', p_customer_id, 'offer_id', p_offer_id, 'quantity', p_quantity,
        'billing_cycle', p_billing_cycle, 'channel', p_channel, 'status', p_status,
        'parent_subscription_id', p_parent_id), p_request_id, p_dry_run, p_comment => p_comment);
END $$;
COMMENT ON FUNCTION api.subscription_add IS
'Records a subscription bought through any channel (csp: sold by the acting partner). Returns the subscription
(status: the outcome; subscription_status: its state) and request_id. p_comment is kept in the audit events.';

CREATE OR REPLACE FUNCTION api.subscriptions(p_customer_id uuid DEFAULT NULL)
RETURNS jsonb LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT coalesce(jsonb_agg(logic.subscription_json(pc.partner_id, s) ORDER BY s.customer_id, s.created_at, s.id), '[]')
    FROM core.partner_customers pc JOIN core.subscriptions s ON s.customer_id = pc.customer_id
    WHERE pc.partner_id = logic.require_partner() AND (p_customer_id IS NULL OR pc.customer_id = p_customer_id)
$$;
COMMENT ON FUNCTION api.subscriptions IS 'The subscriptions of the acting partner''s customers (all channels).';

CREATE OR REPLACE FUNCTION api.subscription(p_id uuid)
RETURNS jsonb LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_partner text := logic.require_partner();
    s core.subscriptions;
BEGIN
    SELECT * INTO s FROM core.subscriptions WHERE id = p_id;
    IF s.id IS NULL OR NOT logic.customer_visible(v_partner, s.customer_id) THEN
        PERFORM logic.raise_error('subscription_not_found', format('subscription %s does not exist', p_id));
    END IF;
    RETURN logic.subscription_json(v_partner, s) || jsonb_build_object('licenses_assigned', logic.licenses_assigned(s.id));
END $$;
COMMENT ON FUNCTION api.subscription IS 'One subscription of the acting partner''s customers, with licenses_assigned; SU001 otherwise.';

CREATE OR REPLACE FUNCTION api.subscription_change(p_operation text, p_subscription_id uuid,
                                                   p_request_id text DEFAULT NULL, p_if_version bigint DEFAULT NULL,
                                                   p_dry_run boolean DEFAULT false, p_comment text DEFAULT NULL)
RETURNS jsonb LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF p_operation NOT IN ('activate', 'suspend', 'reactivate', 'cancel') THEN
        PERFORM logic.raise_error('invalid_argument', format('unknown status operation %s', p_operation));
    END IF;
    RETURN logic.run_operation(p_operation, jsonb_strip_nulls(jsonb_build_object(
        'subscription_id', p_subscription_id, 'if_version', p_if_version)), p_request_id, p_dry_run, p_comment => p_comment);
END $$;
COMMENT ON FUNCTION api.subscription_change IS
'Moves a subscription through its state machine: activate, suspend, reactivate, cancel (cancels add-ons too).
Returns {status (the outcome), subscription_status, version, cancelled_add_ons, request_id, errors}. p_comment is kept in the audit events.';

-- With p_quantity, the target's licenses asked (default: the source's): the listing then
-- also says whether that quantity fits the target's range and holds the licenses assigned
-- on the source, by the rules the upgrade itself applies (sql/30_rules.sql). With p_into,
-- each target as an upgrade into that existing subscription (growing by p_quantity) would
-- be judged: the upgrade's own rules (logic.upgrade_request_errors), request by request.
CREATE OR REPLACE FUNCTION api.upgrades(p_subscription_id uuid, p_quantity bigint DEFAULT NULL, p_into uuid DEFAULT NULL)
RETURNS jsonb LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_partner text := logic.require_partner();
    v_quantity bigint;
    v_assigned bigint;
    v_source core.subscriptions;
    v_into core.subscriptions;
BEGIN
    SELECT * INTO v_source FROM core.subscriptions s
    WHERE s.id = p_subscription_id AND logic.customer_visible(v_partner, s.customer_id);
    v_quantity := coalesce(p_quantity, v_source.quantity);
    IF v_source.id IS NULL THEN
        PERFORM logic.raise_error('subscription_not_found', format('subscription %s does not exist', p_subscription_id));
    END IF;
    IF p_into IS NOT NULL THEN
        SELECT * INTO v_into FROM core.subscriptions x WHERE x.id = p_into AND logic.customer_visible(v_partner, x.customer_id);
        RETURN (SELECT coalesce(jsonb_agg(jsonb_build_object(
                           'target_offer', p.target_offer_id,
                           'target_offer_name', (SELECT o.name FROM core.offers o WHERE o.id = p.target_offer_id),
                           'eligible', cardinality(x.error_codes) = 0,
                           'errors', logic.error_objects(v_partner, x.error_codes, jsonb_strip_nulls(jsonb_build_object(
                               'subscription_id', p_subscription_id, 'target_offer', p.target_offer_id,
                               'into_subscription_id', p_into, 'quantity', coalesce(v_into.quantity, 0) + v_quantity,
                               'quantity_added', v_quantity)), v_source))
                           ORDER BY p.target_offer_id), '[]')
                FROM core.upgrade_paths p
                CROSS JOIN LATERAL logic.upgrade_request_errors(v_partner, ARRAY[v_source], ARRAY[p.target_offer_id],
                                                               ARRAY[v_quantity], ARRAY[NULL::bigint], NULL, ARRAY[p_into],
                                                               ARRAY[v_into]) x
                WHERE p.source_offer_id = v_source.offer_id);
    END IF;
    v_assigned := logic.licenses_assigned(p_subscription_id);  -- (the --into rules count them themselves)
    RETURN (SELECT coalesce(jsonb_agg(jsonb_build_object(
                       'target_offer', x.target_offer_id,
                       'target_offer_name', (SELECT o.name FROM core.offers o WHERE o.id = x.target_offer_id),
                       'eligible', cardinality(x.codes) = 0,
                       'errors', logic.error_objects(v_partner, x.codes, jsonb_build_object(
                           'subscription_id', p_subscription_id, 'target_offer', x.target_offer_id)
                           || CASE WHEN p_quantity IS NOT NULL THEN jsonb_build_object('quantity', p_quantity) ELSE '{}' END
                           || CASE WHEN 'license_transfer_quantity_insufficient' = ANY (x.codes)
                                   THEN jsonb_build_object('quantity', v_quantity) ELSE '{}' END, v_source))
                       ORDER BY x.target_offer_id), '[]')
            FROM (SELECT e.target_offer_id,
                         CASE WHEN p_quantity IS NOT NULL AND NOT logic.quantity_in_range(e.target_offer_id, p_quantity)
                              THEN ARRAY['quantity_out_of_range'] ELSE '{}' END
                         || e.error_codes || logic.license_transfer_errors(true, v_assigned, v_quantity) AS codes
                  FROM logic.upgrade_evaluations(ARRAY[v_source.customer_id], v_partner) e
                  WHERE e.subscription_id = p_subscription_id) x);
END $$;
COMMENT ON FUNCTION api.upgrades IS
'Every upgrade target of a subscription: eligible, and all the errors that apply (the "Upgrade now" check); with
p_quantity, for that many licenses of the target (default: the source''s quantity); with p_into, as an upgrade into
that existing subscription growing by p_quantity licenses (upgrade --into).';

-- p_license_transfer false: upgrade_only, the users' licenses stay on the suspended
-- source (named in the request only then, so that a request id of an upgrade made before
-- licenses were recorded replays as the same request). p_into_subscription_id: upgrade
-- into that existing subscription (p_target_offer_id may then be NULL: its offer).
-- PL/pgSQL, not SQL: its one statement is planned once per session, not at every call.
CREATE OR REPLACE FUNCTION api.upgrade(p_subscription_id uuid, p_target_offer_id text, p_quantity bigint DEFAULT NULL,
                                       p_request_id text DEFAULT NULL, p_if_version bigint DEFAULT NULL,
                                       p_dry_run boolean DEFAULT false, p_comment text DEFAULT NULL,
                                       p_license_transfer boolean DEFAULT true, p_into_subscription_id uuid DEFAULT NULL)
RETURNS jsonb LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN logic.run_operation('upgrade', jsonb_strip_nulls(jsonb_build_object(
        'subscription_id', p_subscription_id, 'target_offer', p_target_offer_id, 'quantity', p_quantity,
        'if_version', p_if_version, 'license_transfer', CASE WHEN NOT p_license_transfer THEN false END,
        'into_subscription_id', p_into_subscription_id)),
        p_request_id, p_dry_run, p_comment => p_comment);
END $$;
COMMENT ON FUNCTION api.upgrade IS
'Upgrades a subscription to a target offer: creates the target, suspends the source (reason upgraded), and moves the
users'' licenses to the target (p_license_transfer false: they stay on the source). With p_into_subscription_id, the
target is that existing active subscription of the acting partner (same customer and billing cycle; p_target_offer_id
NULL: its offer), which grows by p_quantity licenses (default: the source''s). Returns {status,
source_subscription_id, target_subscription_id, quantity (the target''s), upgrade_type, licenses_transferred,
next_steps, request_id, errors}, and into_subscription_id and quantity_added for an upgrade into. p_comment is kept in
the audit events.';

CREATE OR REPLACE FUNCTION api.licenses_change(p_operation text, p_subscription_id uuid, p_quantity bigint,
                                               p_request_id text DEFAULT NULL, p_if_version bigint DEFAULT NULL,
                                               p_dry_run boolean DEFAULT false, p_comment text DEFAULT NULL)
RETURNS jsonb LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF p_operation NOT IN ('add', 'remove') THEN
        PERFORM logic.raise_error('invalid_argument', format('unknown license operation %s', p_operation));
    END IF;
    RETURN logic.run_operation(p_operation || '_licenses', jsonb_strip_nulls(jsonb_build_object(
        'subscription_id', p_subscription_id, 'quantity', p_quantity, 'if_version', p_if_version)),
        p_request_id, p_dry_run, p_comment => p_comment);
END $$;
COMMENT ON FUNCTION api.licenses_change IS
'Adds or removes licenses of a subscription sold by the acting partner (annual: add only).
Returns {status, source_subscription_id, quantity, version, subscription_status, request_id, errors}. p_comment is kept in the audit events.';

CREATE OR REPLACE FUNCTION api.partner_login_map(p_login_role name, p_partner_id text, p_comment text DEFAULT NULL,
                                                 p_request_id text DEFAULT NULL)
RETURNS jsonb LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_parameters jsonb := jsonb_build_object('login_role', p_login_role, 'partner_id', p_partner_id);
    v_result jsonb;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = p_login_role) THEN
        PERFORM logic.raise_error('invalid_argument', format('there is no database role %s', p_login_role), NULL,
                                 'create it first: CREATE ROLE name LOGIN; GRANT subctl_operator TO name');
    END IF;
    -- audited: who gave which login to which partner
    v_result := logic.platform_begin('map_login', v_parameters, p_request_id, p_comment);
    IF v_result IS NOT NULL THEN  -- a replay, or the request id reused
        RETURN v_result;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM core.partners WHERE id = p_partner_id) THEN
        RETURN logic.platform_refusal('map_login', 'partner_not_found', v_parameters,
                                      format('Partner %s does not exist.', p_partner_id), p_request_id);
    END IF;
    INSERT INTO core.partner_logins (login_role, partner_id) VALUES (p_login_role, p_partner_id)
    ON CONFLICT (login_role) DO UPDATE SET partner_id = EXCLUDED.partner_id, mapped_at = now();
    RETURN logic.platform_result('map_login', v_parameters, p_request_id,
                                 jsonb_build_object('status', 'succeeded', 'errors', '[]'::jsonb) || v_parameters);
END $$;
COMMENT ON FUNCTION api.partner_login_map IS
'Maps a database login to the one partner it acts for (owner only). The login then acts and is recorded as itself.
Returns {status, login_role, partner_id, request_id, errors}. An unknown partner is refused (partner_not_found) as a coded
result, audited under no partner. p_comment and p_request_id are kept in the audit events; a request id used before with
the same parameters returns its first result, with others request_id_reused.';

CREATE OR REPLACE FUNCTION api.user_add(p_customer_id uuid, p_upn text, p_display_name text DEFAULT NULL,
                                       p_request_id text DEFAULT NULL, p_dry_run boolean DEFAULT false,
                                       p_comment text DEFAULT NULL)
RETURNS jsonb LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT logic.run_operation('add_user', jsonb_strip_nulls(jsonb_build_object(
        'customer_id', p_customer_id, 'upn', p_upn, 'display_name', p_display_name)),
        p_request_id, p_dry_run, p_comment => p_comment)
$$;
COMMENT ON FUNCTION api.user_add IS
'Adds a user (user principal name NAME@DOMAIN, unique in the customer whatever its case) to a customer of the acting
partner. Returns {status, id, customer_id, upn, display_name, request_id, errors}; refusals (customer_not_found,
user_exists) are audited. p_comment is kept in the audit events.';

CREATE OR REPLACE FUNCTION api.users(p_customer_id uuid)
RETURNS jsonb LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_partner text := logic.require_partner();
BEGIN
    IF p_customer_id IS NULL OR NOT logic.customer_visible(v_partner, p_customer_id) THEN
        PERFORM logic.raise_error('customer_not_found', format('customer %s does not exist', p_customer_id));
    END IF;
    RETURN (SELECT coalesce(jsonb_agg(jsonb_build_object(
                       'id', u.id, 'upn', u.upn, 'display_name', u.display_name, 'created_at', u.created_at,
                       'licenses', to_jsonb(ARRAY(SELECT a.subscription_id FROM core.license_assignments a
                                                  WHERE a.user_id = u.id ORDER BY a.assigned_at, a.subscription_id)))
                       ORDER BY lower(u.upn), u.id), '[]')
            FROM core.users u WHERE u.customer_id = p_customer_id);
END $$;
COMMENT ON FUNCTION api.users IS
'The users of a customer of the acting partner, each with the subscriptions whose licenses it holds.';

CREATE OR REPLACE FUNCTION api.license_change(p_operation text, p_subscription_id uuid, p_users text[],
                                              p_request_id text DEFAULT NULL, p_dry_run boolean DEFAULT false,
                                              p_comment text DEFAULT NULL)
RETURNS jsonb LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF p_operation NOT IN ('assign', 'unassign') THEN
        PERFORM logic.raise_error('invalid_argument', format('unknown license operation %s', p_operation));
    END IF;
    IF coalesce(cardinality(p_users), 0) = 0 THEN
        PERFORM logic.raise_error('invalid_argument', 'no user named: give one or more users (id or user principal name)');
    END IF;
    RETURN logic.run_operation(p_operation || '_license', jsonb_build_object(
        'subscription_id', p_subscription_id, 'users', to_jsonb(p_users)), p_request_id, p_dry_run, p_comment => p_comment);
END $$;
COMMENT ON FUNCTION api.license_change IS
'Assigns or unassigns licenses of a subscription to users of its customer (each an id or user principal name), all or
nothing. Returns {status, subscription_id, quantity, licenses_assigned, assigned|unassigned, unchanged, request_id,
errors}: every user not found (user_not_found) and the licenses missing (license_quantity_exceeded). p_comment is kept
in the audit events.';
