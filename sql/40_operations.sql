-- The mutating operations. Each takes the acting partner and its parameters as jsonb and
-- returns its result as jsonb: {"status": "succeeded"|"rejected", ..., "errors": [...]}.
-- logic.run_operation wraps every one of them with idempotency, dry-run and auditing of
-- rejections, so the API functions and batches share one path.

-- Locks the customer of a subscription (the one lock order of every operation: the
-- customer row first) and returns the subscription as it is now, or NULL when it does
-- not exist for the partner. Only a customer the partner sees is locked: another
-- partner's writes never wait for (nor reveal themselves to) a refused request. A
-- customer stays visible once it is (links are never removed), so the check holds.
CREATE OR REPLACE FUNCTION logic.lock_subscription(p_partner text, p_subscription_id uuid)
RETURNS core.subscriptions LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_customer uuid := (SELECT customer_id FROM core.subscriptions WHERE id = p_subscription_id);
    s core.subscriptions;
BEGIN
    IF v_customer IS NULL OR NOT logic.customer_visible(p_partner, v_customer) THEN
        RETURN NULL;
    END IF;
    PERFORM 1 FROM core.customers c WHERE c.id = v_customer FOR NO KEY UPDATE;
    SELECT * INTO s FROM core.subscriptions WHERE id = p_subscription_id;
    RETURN s;
END $$;

-- The customers of a set of requests ({subscription_id, ...} each) that the partner sees,
-- locked in id order (the order every set-based apply path takes them in, so that two
-- never wait on each other); only those are locked, as in logic.lock_subscription.
CREATE OR REPLACE FUNCTION logic.lock_request_customers(p_partner text, p_parameters jsonb[])
RETURNS uuid[] LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_customers uuid[] := ARRAY(SELECT DISTINCT s.customer_id FROM core.subscriptions s
                                WHERE s.id = ANY (ARRAY(SELECT (p ->> 'subscription_id')::uuid FROM unnest(p_parameters) p))
                                  AND logic.customer_visible(p_partner, s.customer_id));
BEGIN
    PERFORM 1 FROM core.customers c WHERE c.id = ANY (v_customers) ORDER BY c.id FOR NO KEY UPDATE;
    RETURN v_customers;
END $$;

-- After logic.lock_request_customers (its customers p_customers): raises unless the
-- requests found name subscriptions of distinct customers, as a set-based apply path of
-- one request per customer needs (p_caller names it in the message).
CREATE OR REPLACE FUNCTION logic.require_distinct_customers(p_caller text, p_parameters jsonb[], p_customers uuid[])
RETURNS void LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT (SELECT count(DISTINCT s.customer_id) = count(*)
            FROM unnest(p_parameters) p JOIN core.subscriptions s ON s.id = (p ->> 'subscription_id')::uuid
            WHERE s.customer_id = ANY (p_customers)) THEN
        RAISE EXCEPTION '%: the requests of one call must be of distinct customers', p_caller;
    END IF;
END $$;

-- Idempotency. Returns the stored result of a request id used with the same operation
-- and parameters, a request_id_reused rejection when they differ, NULL when unused.
CREATE OR REPLACE FUNCTION logic.request_replay(p_partner text, p_request_id text, p_operation text, p_parameters jsonb)
RETURNS jsonb LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    r core.request_ids;
BEGIN
    IF p_request_id IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT * INTO r FROM core.request_ids WHERE partner_id = p_partner AND request_id = p_request_id;
    IF r.request_id IS NULL THEN
        RETURN NULL;
    END IF;
    IF r.operation = p_operation AND r.parameters = p_parameters THEN
        RETURN r.result;
    END IF;
    -- Audited against the subscription named (its customer only when visible), and shaped
    -- like the operation's own result (SPEC 6: source_subscription_id, quantity, ...).
    PERFORM logic.audit_rejection(p_operation, ARRAY['request_id_reused'], p_parameters, p_request_id);
    RETURN logic.result(ARRAY['request_id_reused'], CASE WHEN p_parameters ? 'subscription_id' THEN jsonb_build_object(
        'source_subscription_id', p_parameters -> 'subscription_id', 'target_subscription_id', NULL,
        'quantity', p_parameters -> 'quantity') ELSE '{}' END,
        p_partner, p_parameters || jsonb_build_object('request_id', p_request_id, 'operation', p_operation));
END $$;

-- Stores the first result of a request id. A concurrent twin that committed first
-- makes this a serialization failure, which the C++ layer retries into a replay.
CREATE OR REPLACE FUNCTION logic.request_remember(p_partner text, p_request_id text, p_operation text,
                                                 p_parameters jsonb, p_result jsonb)
RETURNS jsonb LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF p_request_id IS NOT NULL THEN  -- the set form (sql/40_operations.sql) with one request
        PERFORM logic.requests_remember(p_partner, p_operation, ARRAY[p_request_id], ARRAY[p_parameters], ARRAY[p_result]);
    END IF;
    RETURN p_result;
END $$;

-- An operation's result: its fields, the outcome and the error objects. With the partner
-- and what the request named, the errors carry their details (logic.error_objects).
CREATE OR REPLACE FUNCTION logic.result(p_codes text[], p_fields jsonb, p_partner text DEFAULT NULL,
                                       p_request jsonb DEFAULT '{}')
RETURNS jsonb LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    -- The outcome comes last so that a field named status in p_fields cannot mask it.
    RETURN p_fields || jsonb_build_object('status', CASE WHEN cardinality(p_codes) = 0 THEN 'succeeded' ELSE 'rejected' END,
                                          'errors', CASE WHEN cardinality(p_codes) = 0 THEN '[]'::jsonb
                                                         WHEN p_partner IS NULL THEN logic.describe_errors(p_codes, '{}', p_request)
                                                         ELSE logic.error_objects(p_partner, p_codes, p_request) END);
END $$;

-- A refusal of one code (logic.result) whose description names the case at hand
-- (p_description; the code's own description when none is given). Its next_step is
-- what to do about it.
CREATE OR REPLACE FUNCTION logic.refusal(p_code text, p_fields jsonb, p_description text DEFAULT NULL)
RETURNS jsonb LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN (SELECT r.result || jsonb_build_object('errors', jsonb_build_array(r.error || jsonb_build_object(
                   'description', coalesce(p_description, r.error ->> 'description'))))
        FROM (SELECT x.result, x.result -> 'errors' -> 0 AS error
              FROM (SELECT logic.result(ARRAY[p_code], p_fields, NULL, p_fields) AS result) x) r);
END $$;

-- The request ids of the platform's administrations (partners, links, logins, the
-- catalog) are kept under this key in place of a partner: no partner id is empty
-- (core.partner_id_pattern), so they are one namespace of their own, which no partner
-- reads (the rows of core.request_ids a partner sees are its own) and whichever partner
-- the owner's session names does not change.
CREATE OR REPLACE FUNCTION logic.platform_request_key()
RETURNS text LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN '';
END $$;

-- Starts a platform administration (audited under no partner, with its request id and
-- comment): the stored result of its request id (logic.request_replay: the same operation
-- and parameters), a request_id_reused refusal, or NULL when the request id is new.
CREATE OR REPLACE FUNCTION logic.platform_begin(p_operation text, p_parameters jsonb, p_request_id text,
                                               p_comment text DEFAULT NULL)
RETURNS jsonb LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_replay jsonb;
BEGIN
    PERFORM logic.begin_operation(p_operation, p_request_id, p_comment, p_platform => true);
    v_replay := logic.request_replay(logic.platform_request_key(), p_request_id, p_operation, p_parameters);
    RETURN v_replay || jsonb_build_object('request_id', p_request_id);
END $$;

-- The result of a platform administration, its request id remembered with it (as
-- logic.run_operation does).
CREATE OR REPLACE FUNCTION logic.platform_result(p_operation text, p_parameters jsonb, p_request_id text, p_result jsonb)
RETURNS jsonb LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp BEGIN ATOMIC
    SELECT logic.request_remember(logic.platform_request_key(), p_request_id, p_operation, p_parameters, p_result)
           || jsonb_build_object('request_id', p_request_id);
END;

-- A refusal of a platform administration (partners, links, logins): audited under no
-- partner, like its changes, and returned as the operations' coded result, its request
-- id remembered (logic.platform_begin has been called).
CREATE OR REPLACE FUNCTION logic.platform_refusal(p_operation text, p_code text, p_parameters jsonb, p_description text,
                                                 p_request_id text DEFAULT NULL)
RETURNS jsonb LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM logic.audit_rejection(p_operation, ARRAY[p_code], p_parameters, p_request_id);
    RETURN logic.platform_result(p_operation, p_parameters, p_request_id, logic.refusal(p_code, p_parameters, p_description));
END $$;

CREATE OR REPLACE FUNCTION logic.subscription_json(p_partner text, s core.subscriptions)
RETURNS jsonb LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    -- Another partner's identity is never shown: only the acting partner's own id.
    RETURN jsonb_build_object(
        'id', s.id, 'customer_id', s.customer_id, 'offer_id', s.offer_id, 'quantity', s.quantity,
        'status', s.status, 'status_reason', s.status_reason, 'channel', s.channel,
        'partner_id', CASE WHEN s.partner_id = p_partner THEN s.partner_id END,
        'billing_cycle', s.billing_cycle, 'version', s.version,
        'parent_subscription_id', s.parent_subscription_id,
        'upgraded_to', s.upgraded_to_subscription_id, 'upgraded_from', s.upgraded_from_subscription_id,
        'created_at', s.created_at, 'updated_at', s.updated_at);
END $$;

-- What is left to do after an upgrade (SPEC 7.2 next_steps). Without users recorded on
-- the source (p_assigned 0), outside subctl: the users' licenses move to the new
-- subscription in the Office 365 admin center operated by 21Vianet. Users recorded with
-- licenses of the source moved with them, unless the upgrade left them there
-- (upgrade_only): then they are to be reassigned. Fewer licenses than before leave users
-- without one; p_into: the target is an existing subscription that grew by p_quantity.
CREATE OR REPLACE FUNCTION logic.upgrade_next_steps(p_source_offer text, p_source_quantity bigint, p_target_offer text,
                                                   p_quantity bigint, p_upgrade_type text DEFAULT 'upgrade_with_license_transfer',
                                                   p_assigned bigint DEFAULT 0, p_source_id uuid DEFAULT NULL,
                                                   p_target_id uuid DEFAULT NULL, p_customer_id uuid DEFAULT NULL,
                                                   p_into boolean DEFAULT false)
RETURNS jsonb LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN CASE WHEN p_assigned = 0 THEN jsonb_build_array(format(
               'assign the users of %s their licenses of %s in the Office 365 admin center operated by 21Vianet',
               p_source_offer, p_target_offer))
                WHEN p_upgrade_type = 'upgrade_only' THEN jsonb_build_array(format(
               'reassign the %s of the suspended subscription %s (%s) to %s (%s): subctl license unassign %s USER... then subctl license assign %s USER... (subctl user list --customer %s lists them)',
               CASE WHEN p_assigned = 1 THEN '1 user who holds a license' ELSE p_assigned || ' users who hold licenses' END, p_source_id, p_source_offer, p_target_id, p_target_offer, p_source_id, p_target_id, p_customer_id))
                ELSE '[]'::jsonb END
           || CASE WHEN p_quantity < p_source_quantity THEN jsonb_build_array(format(
               CASE WHEN p_into THEN '%s had %s licenses and %s grew by %s: choose the %s users who lose theirs in the Office 365 admin center operated by 21Vianet'
                    ELSE '%s had %s licenses and %s has %s: choose the %s users who lose theirs in the Office 365 admin center operated by 21Vianet' END,
               p_source_offer, p_source_quantity, p_target_offer, p_quantity, p_source_quantity - p_quantity)) ELSE '[]' END;
END $$;

-- upgrade {subscription_id, target_offer?, into_subscription_id?, quantity?, if_version?,
-- license_transfer?}: THE apply path of upgrades, set-based. Request i has the parameters
-- p_parameters[i] and, when p_request_ids is given, the request id p_request_ids[i]
-- (recorded in its audit events; otherwise they carry subctl.request_id). The requests
-- must name subscriptions of distinct customers (a batch wave; a single upgrade is one
-- request): every rule looks inside one customer, so they are independent and evaluated
-- on one snapshot. Locks the customers in id order, evaluates every request
-- (logic.upgrade_request_errors), then one INSERT of the new targets, one UPDATE of the
-- existing targets (into_subscription_id: that subscription of the acting partner grows
-- by the quantity, default the source's; target_offer defaults to its offer) and one
-- UPDATE of the sources. One row per request (ord = i) with the operation's result;
-- rejections are neither audited nor remembered here.
-- Generic plans: planning the rules afresh for every call (the plan cache's choice for a
-- statement over arrays whose length it cannot know) cost more than applying them.
CREATE OR REPLACE FUNCTION logic.upgrade_apply(p_partner text, p_parameters jsonb[], p_request_ids text[] DEFAULT NULL)
RETURNS TABLE (ord bigint, result jsonb) LANGUAGE plpgsql VOLATILE SET plan_cache_mode = force_generic_plan SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_sources core.subscriptions[];
    v_found bigint[];  -- the ord of each found source
    v_targets text[];
    v_quantities bigint[];
    v_if_versions bigint[];
    v_transfers boolean[];
    v_into_ids uuid[];  -- the subscription each found source goes into, as asked (NULL: a new one)
    v_intos core.subscriptions[];  -- that subscription when the partner sees it
    v_customers_distinct boolean;
    v_customers uuid[];
    v_moving uuid[];  -- the sources whose assignments move, if upgraded
BEGIN
    v_customers := logic.lock_request_customers(p_partner, p_parameters);
    -- The sources as they are now (after the locks), when they exist for the partner; the
    -- subscriptions they go into are read after the same locks (one of another customer
    -- is refused, never changed).
    SELECT array_agg(s ORDER BY r.ord), array_agg(r.ord ORDER BY r.ord),
           array_agg(coalesce(r.p ->> 'target_offer', i.offer_id) ORDER BY r.ord),
           array_agg(coalesce((r.p ->> 'quantity')::bigint, s.quantity) ORDER BY r.ord),
           array_agg((r.p ->> 'if_version')::bigint ORDER BY r.ord),
           array_agg(coalesce((r.p ->> 'license_transfer')::boolean, true) ORDER BY r.ord),
           array_agg((r.p ->> 'into_subscription_id')::uuid ORDER BY r.ord),
           array_agg(i ORDER BY r.ord),
           -- the sources whose users' licenses move if they are upgraded (an active source
           -- is replaced by its upgrade here); none in the usual case
           array_agg(s.id) FILTER (WHERE coalesce((r.p ->> 'license_transfer')::boolean, true) AND s.status = 'active'
                                     AND EXISTS (SELECT 1 FROM core.license_assignments a WHERE a.subscription_id = s.id)),
           count(DISTINCT s.customer_id) = count(*)
    INTO v_sources, v_found, v_targets, v_quantities, v_if_versions, v_transfers, v_into_ids, v_intos, v_moving,
         v_customers_distinct
    FROM unnest(p_parameters) WITH ORDINALITY AS r (p, ord)
    JOIN core.subscriptions s ON s.id = (r.p ->> 'subscription_id')::uuid
    LEFT JOIN core.subscriptions i ON i.id = (r.p ->> 'into_subscription_id')::uuid
                                  AND logic.customer_visible(p_partner, i.customer_id)
    WHERE s.customer_id = ANY (v_customers);
    IF NOT v_customers_distinct THEN
        RAISE EXCEPTION 'logic.upgrade_apply: the requests of one call must be of distinct customers';
    END IF;
    IF p_request_ids IS NOT NULL THEN  -- each audit event under its own request's id (a target it grows too)
        PERFORM set_config('subctl.request_ids', coalesce((
            SELECT jsonb_object_agg(x.id, p_request_ids[v_found[x.i]])
            FROM generate_subscripts(v_found, 1) AS g (i)
            CROSS JOIN LATERAL (VALUES (g.i, (v_sources[g.i]).id), (g.i, (v_intos[g.i]).id)) AS x (i, id)
            WHERE p_request_ids[v_found[x.i]] IS NOT NULL AND x.id IS NOT NULL), '{}')::text, true);
    END IF;
    RETURN QUERY
    WITH requests AS (
        SELECT r.ord, (r.p ->> 'subscription_id')::uuid AS source_id, r.p ->> 'target_offer' AS target_offer,
               (r.p ->> 'into_subscription_id')::uuid AS into_id,
               (r.p ->> 'quantity')::bigint AS quantity, r.p -> 'if_version' AS if_version,
               CASE WHEN coalesce((r.p ->> 'license_transfer')::boolean, true) THEN 'upgrade_with_license_transfer'
                    ELSE 'upgrade_only' END AS upgrade_type
        FROM unnest(p_parameters) WITH ORDINALITY AS r (p, ord)),
    evaluated AS MATERIALIZED (  -- a found source is v_sources[e.i], as read after the locks
        SELECT r.ord, r.source_id, coalesce(v_targets[e.i], r.target_offer) AS target_offer, r.into_id,
               (v_sources[e.i]).customer_id, (v_sources[e.i]).billing_cycle,
               coalesce(v_quantities[e.i], r.quantity) AS quantity,
               -- the target's quantity: the quantity asked, or what the existing one grows to
               coalesce((v_intos[e.i]).quantity, 0) + coalesce(v_quantities[e.i], r.quantity) AS target_quantity,
               r.if_version, r.upgrade_type,
               (v_sources[e.i]).offer_id AS source_offer, (v_sources[e.i]).quantity AS source_quantity,
               CASE WHEN e.ord IS NULL THEN ARRAY['subscription_not_found'] ELSE e.error_codes END AS codes,
               coalesce(e.licenses_assigned, 0) AS licenses_assigned
        FROM requests r
        LEFT JOIN (SELECT v_found[x.ord] AS ord, x.ord AS i, x.error_codes, x.licenses_assigned
                   FROM logic.upgrade_request_errors(p_partner, v_sources, v_targets, v_quantities, v_if_versions,
                                                     v_transfers, v_into_ids, v_intos) x) e
               ON e.ord = r.ord),
    targets AS (
        INSERT INTO core.subscriptions (customer_id, offer_id, quantity, billing_cycle, status, channel,
                                        partner_id, recorded_by_partner_id, upgraded_from_subscription_id)
        SELECT e.customer_id, e.target_offer, e.quantity, e.billing_cycle, 'active', 'csp', p_partner, p_partner, e.source_id
        FROM evaluated e WHERE cardinality(e.codes) = 0 AND e.into_id IS NULL ORDER BY e.ord
        RETURNING id, upgraded_from_subscription_id),
    grown AS (
        UPDATE core.subscriptions t SET quantity = e.target_quantity
        FROM evaluated e WHERE cardinality(e.codes) = 0 AND t.id = e.into_id
        RETURNING t.id, e.source_id AS upgraded_from_subscription_id),
    upgraded AS (
        SELECT t.id, t.upgraded_from_subscription_id FROM targets t
        UNION ALL
        SELECT g.id, g.upgraded_from_subscription_id FROM grown g),
    sources AS (
        UPDATE core.subscriptions s
        SET status = 'suspended', status_reason = 'upgraded', upgraded_to_subscription_id = t.id
        FROM upgraded t WHERE s.id = t.upgraded_from_subscription_id
        RETURNING s.id)
    SELECT e.ord, logic.result(e.codes, jsonb_build_object(
               'source_subscription_id', e.source_id, 'target_offer', e.target_offer,
               'target_subscription_id', t.id, 'quantity', e.target_quantity, 'upgrade_type', e.upgrade_type,
               'licenses_transferred', CASE WHEN t.id IS NOT NULL AND e.upgrade_type = 'upgrade_with_license_transfer'
                                            THEN e.licenses_assigned ELSE 0 END)
               || CASE WHEN e.into_id IS NOT NULL
                       THEN jsonb_build_object('into_subscription_id', e.into_id, 'quantity_added', e.quantity) ELSE '{}' END
               || CASE WHEN t.id IS NOT NULL THEN jsonb_build_object('next_steps', logic.upgrade_next_steps(
                      e.source_offer, e.source_quantity, e.target_offer, e.quantity, e.upgrade_type,
                      e.licenses_assigned, e.source_id, t.id, e.customer_id, e.into_id IS NOT NULL)) ELSE '{}' END,
               p_partner, jsonb_strip_nulls(jsonb_build_object(
                   'subscription_id', e.source_id, 'target_offer', e.target_offer, 'quantity', e.target_quantity,
                   'if_version', e.if_version, 'into_subscription_id', e.into_id,
                   'quantity_added', CASE WHEN e.into_id IS NOT NULL THEN e.quantity END)))
    FROM evaluated e LEFT JOIN upgraded t ON t.upgraded_from_subscription_id = e.source_id
    ORDER BY e.ord;
    -- The users' licenses move with each upgrade that transfers them: one statement for the
    -- whole set, and none when no source has assignments (the usual case: an index probe
    -- per source was all it cost). Of the sources read above, those upgraded here are
    -- replaced now. A user who already holds a license of a target upgraded into keeps
    -- that one.
    IF v_moving IS NOT NULL THEN
        IF p_request_ids IS NOT NULL THEN  -- a moved license's events under its upgrade's request id, on both ends
            -- (MATERIALIZED: the setting parsed once, not again for every entry)
            PERFORM set_config('subctl.request_ids', (
                WITH r AS MATERIALIZED (SELECT current_setting('subctl.request_ids')::jsonb AS ids)
                SELECT r.ids || coalesce(jsonb_object_agg(s.upgraded_to_subscription_id, m.value) FILTER (WHERE s.id IS NOT NULL), '{}')
                FROM r
                LEFT JOIN LATERAL jsonb_each(r.ids) m ON true
                LEFT JOIN core.subscriptions s ON s.id = m.key::uuid AND s.id = ANY (v_moving) AND s.status_reason = 'upgraded'
                                               AND s.upgraded_to_subscription_id IS NOT NULL
                GROUP BY r.ids)::text, true);
        END IF;
        WITH moved AS (
            DELETE FROM core.license_assignments a USING core.subscriptions s
            WHERE a.subscription_id = s.id AND s.id = ANY (v_moving) AND s.status_reason = 'upgraded'
            RETURNING s.upgraded_to_subscription_id AS target_id, a.user_id, a.customer_id, a.assigned_at)
        INSERT INTO core.license_assignments (subscription_id, user_id, customer_id, assigned_at)
        SELECT m.target_id, m.user_id, m.customer_id, m.assigned_at FROM moved m
        ON CONFLICT (subscription_id, user_id) DO NOTHING;
    END IF;
    IF p_request_ids IS NOT NULL THEN
        PERFORM set_config('subctl.request_ids', '', true);
    END IF;
END $$;

CREATE OR REPLACE FUNCTION logic.op_upgrade(p_partner text, p jsonb)
RETURNS jsonb LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN (SELECT u.result FROM logic.upgrade_apply(p_partner, ARRAY[p]) u);
END $$;

-- add_licenses / remove_licenses {subscription_id, quantity, if_version?}: THE apply path
-- of license changes, set-based like logic.upgrade_apply (whose notes hold here: requests
-- of distinct customers, p_request_ids for the audit events, one row per request with its
-- result, rejections neither audited nor remembered here). p_sign: 1 adds, -1 removes.
-- A customer may have several requests if they all name one subscription (a batch's run
-- of a customer's rows): they are evaluated in order, each seeing the ones before it, up
-- to the first that is rejected; those after it are not applied and come back with a
-- NULL result, to be asked again once it has been audited. Locks the customers the
-- partner sees in id order, evaluates every request on one snapshot, then one UPDATE of
-- the quantities; a subscription changed by several requests gets a version and an audit
-- event per request (subctl.steps and step_counts, see logic.bump_subscriptions_version),
-- as one by one.
CREATE OR REPLACE FUNCTION logic.licenses_apply(p_partner text, p_parameters jsonb[], p_sign integer,
                                               p_request_ids text[] DEFAULT NULL)
RETURNS TABLE (ord bigint, result jsonb) LANGUAGE plpgsql VOLATILE SET plan_cache_mode = force_generic_plan SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_customers uuid[];
    v_customers_distinct boolean;
    -- the evaluated requests, one array per field, in request order
    v_ords bigint[];
    v_ids uuid[];
    v_found uuid[];
    v_steps bigint[];
    v_deltas bigint[];
    v_if_versions jsonb[];
    v_versions bigint[];
    v_statuses text[];
    v_quantities bigint[];
    v_new_quantities bigint[];
    v_codes text[];  -- each request's codes joined by commas
    v_outcomes text[];
    v_stepped boolean;
BEGIN
    v_customers := logic.lock_request_customers(p_partner, p_parameters);
    SELECT count(DISTINCT s.customer_id) = count(DISTINCT s.id) INTO v_customers_distinct
    FROM unnest(p_parameters) p JOIN core.subscriptions s ON s.id = (p ->> 'subscription_id')::uuid
    WHERE s.customer_id = ANY (v_customers);
    IF NOT v_customers_distinct THEN
        RAISE EXCEPTION 'logic.licenses_apply: the requests of one call must be of distinct customers or of one subscription';
    END IF;
    WITH requests AS (
        SELECT r.ord, (r.p ->> 'subscription_id')::uuid AS id, (r.p ->> 'quantity')::bigint AS delta,
               -- clamped: a huge delta is simply out of range, never an arithmetic overflow
               least(greatest((r.p ->> 'quantity')::bigint, 0), 4294967296) AS clamped,
               r.p -> 'if_version' AS if_version
        FROM unnest(p_parameters) WITH ORDINALITY AS r (p, ord)),
    stepped AS (  -- (read after the locks) each request as the ones before it of its subscription leave it
        SELECT r.*, s.id AS found, s.status, s.partner_id, s.billing_cycle, s.offer_id,
               row_number() OVER w AS step,
               s.version + row_number() OVER w - 1 AS version,
               s.quantity + p_sign * coalesce(sum(r.clamped) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)::bigint AS quantity
        FROM requests r
        LEFT JOIN core.subscriptions s ON s.id = r.id AND s.customer_id = ANY (v_customers)
        WINDOW w AS (PARTITION BY r.id ORDER BY r.ord)),
    -- MATERIALIZED: each request's codes computed once, not again where each reads them
    evaluated AS MATERIALIZED (
        SELECT e.*, e.quantity + p_sign * e.clamped AS new_quantity,
               CASE WHEN e.found IS NULL THEN ARRAY['subscription_not_found'] ELSE
                   array_remove(ARRAY[CASE WHEN (e.if_version #>> '{}')::bigint <> e.version THEN 'version_mismatch' END], NULL)
                   || logic.sold_and_active_errors(p_partner, e.status, e.partner_id)
                   || array_remove(ARRAY[
                       CASE WHEN p_sign < 0 AND e.billing_cycle = 'annual' THEN 'quantity_cannot_be_decreased' END,
                       CASE WHEN e.delta < 1 OR NOT logic.quantity_in_range(e.offer_id, e.quantity + p_sign * e.clamped)
                            THEN 'quantity_out_of_range' END], NULL)
                   || CASE WHEN p_sign < 0 THEN logic.license_quantity_errors(logic.licenses_assigned(e.found),
                                                    e.quantity + p_sign * e.clamped)
                           ELSE '{}' END END AS codes
        FROM stepped e),
    ranked AS (
        SELECT e.*, min(e.step) FILTER (WHERE cardinality(e.codes) > 0) OVER (PARTITION BY e.id) AS first_rejected
        FROM evaluated e)
    SELECT array_agg(e.ord ORDER BY e.ord), array_agg(e.id ORDER BY e.ord), array_agg(e.found ORDER BY e.ord),
           array_agg(e.step ORDER BY e.ord), array_agg(e.delta ORDER BY e.ord), array_agg(e.if_version ORDER BY e.ord),
           array_agg(e.version ORDER BY e.ord), array_agg(e.status ORDER BY e.ord), array_agg(e.quantity ORDER BY e.ord),
           array_agg(e.new_quantity ORDER BY e.ord), array_agg(array_to_string(e.codes, ',') ORDER BY e.ord),
           array_agg(CASE WHEN e.step > e.first_rejected THEN 'deferred'
                          WHEN cardinality(e.codes) > 0 THEN 'rejected' ELSE 'applied' END ORDER BY e.ord),
           bool_or(e.step > 1 AND cardinality(e.codes) = 0 AND e.step < coalesce(e.first_rejected, e.step + 1))
    INTO v_ords, v_ids, v_found, v_steps, v_deltas, v_if_versions, v_versions, v_statuses, v_quantities,
         v_new_quantities, v_codes, v_outcomes, v_stepped
    FROM ranked e;
    IF p_request_ids IS NOT NULL THEN  -- each audit event under its own request's id: an applied one's
        PERFORM set_config('subctl.request_ids', coalesce((
            SELECT jsonb_object_agg(e.found::text, p_request_ids[e.ord])
            FROM unnest(v_found, v_ords, v_outcomes) AS e (found, ord, outcome)
            WHERE e.outcome = 'applied' AND p_request_ids[e.ord] IS NOT NULL), '{}')::text, true);
    END IF;
    IF v_stepped THEN  -- {subscription id: [[quantity, request id] of each request applied, in order]}
        PERFORM set_config('subctl.steps', jsonb_object_agg(x.id, x.steps)::text, true),
                set_config('subctl.step_counts', jsonb_object_agg(x.id, jsonb_array_length(x.steps))::text, true)
        FROM (SELECT e.found::text AS id, jsonb_agg(jsonb_build_array(e.new_quantity, p_request_ids[e.ord]) ORDER BY e.step) AS steps
              FROM unnest(v_found, v_new_quantities, v_ords, v_steps, v_outcomes) AS e (found, new_quantity, ord, step, outcome)
              WHERE e.outcome = 'applied'
              GROUP BY e.found HAVING count(*) > 1) x;
    END IF;
    UPDATE core.subscriptions s SET quantity = x.new_quantity
    FROM (SELECT DISTINCT ON (e.found) e.found AS id, e.new_quantity
          FROM unnest(v_found, v_new_quantities, v_steps, v_outcomes) AS e (found, new_quantity, step, outcome)
          WHERE e.outcome = 'applied'
          ORDER BY e.found, e.step DESC) x
    WHERE s.id = x.id;
    IF v_stepped THEN
        PERFORM set_config('subctl.steps', '', true), set_config('subctl.step_counts', '', true);
    END IF;
    IF p_request_ids IS NOT NULL THEN
        PERFORM set_config('subctl.request_ids', '', true);
    END IF;
    -- (read after the UPDATE: a rejection's details see the requests applied before it)
    RETURN QUERY
    SELECT e.ord, CASE WHEN e.outcome <> 'deferred' THEN logic.result(
               string_to_array(e.codes, ','), jsonb_build_object(
               'source_subscription_id', e.id, 'target_subscription_id', NULL,
               'quantity', CASE WHEN e.outcome = 'applied' THEN e.new_quantity ELSE e.quantity END,
               'version', e.version + CASE WHEN e.outcome = 'applied' THEN 1 ELSE 0 END,
               'subscription_status', e.status),
               p_partner, jsonb_strip_nulls(jsonb_build_object('subscription_id', e.id, 'quantity', e.new_quantity,
                                                               'if_version', e.if_version,
                                                               'change', CASE WHEN p_sign < 0 THEN 'remove' ELSE 'add' END,
                                                               'licenses', e.delta))) END
    FROM unnest(v_ords, v_ids, v_deltas, v_if_versions, v_versions, v_statuses, v_quantities, v_new_quantities, v_codes,
                v_outcomes) AS e (ord, id, delta, if_version, version, status, quantity, new_quantity, codes, outcome)
    ORDER BY e.ord;
END $$;

CREATE OR REPLACE FUNCTION logic.op_change_licenses(p_partner text, p jsonb, p_sign integer)
RETURNS jsonb LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN (SELECT l.result FROM logic.licenses_apply(p_partner, ARRAY[p], p_sign) l);
END $$;

-- activate / suspend / reactivate / cancel {subscription_id, if_version?}
-- State machine (SPEC 3): pending -> active, active <-> suspended, active|suspended ->
-- cancelled (terminal; cancels the add-ons too). A source replaced by an upgrade stays
-- suspended. The reseller of record may change a csp subscription; the partner that
-- recorded a direct or other-reseller subscription may record its changes.
-- THE apply path of status changes, set-based: request i has the parameters
-- p_parameters[i] and, when p_request_ids is given, the request id p_request_ids[i]
-- (recorded in the audit events of its subscription, its add-ons and their released
-- licenses; otherwise they carry subctl.request_id). The requests must name subscriptions
-- of distinct customers (a batch wave; a single command is one request): every rule looks
-- inside one customer, so they are evaluated on one snapshot after locking the customers
-- in id order. Then one UPDATE of the subscriptions and, for cancel, one UPDATE of their
-- add-ons and one DELETE of the licenses they held. One row per request (ord = i) with
-- the operation's result; rejections are neither audited nor remembered here.
CREATE OR REPLACE FUNCTION logic.status_apply(p_partner text, p_parameters jsonb[], p_operation text,
                                             p_request_ids text[] DEFAULT NULL)
RETURNS TABLE (ord bigint, result jsonb) LANGUAGE plpgsql VOLATILE SET plan_cache_mode = force_generic_plan SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_to text := CASE p_operation WHEN 'suspend' THEN 'suspended' WHEN 'cancel' THEN 'cancelled' ELSE 'active' END;
    v_customers uuid[];
    v_evaluated jsonb;
    v_applied uuid[];
    v_add_on_ids uuid[] := '{}'::uuid[];
    v_add_on_parents uuid[] := '{}'::uuid[];
    v_changed jsonb := '{}'::jsonb;  -- {subscription id: [status, version]} of the changed ones
    v_add_ons jsonb := '{}'::jsonb;  -- {subscription id: [its add-ons cancelled]}
    v_released jsonb := '{}'::jsonb;  -- {subscription id: licenses released}
BEGIN
    IF p_operation NOT IN ('activate', 'suspend', 'reactivate', 'cancel') THEN
        RAISE EXCEPTION 'logic.status_apply: unknown operation %', p_operation;
    END IF;
    v_customers := logic.lock_request_customers(p_partner, p_parameters);
    PERFORM logic.require_distinct_customers('logic.status_apply', p_parameters, v_customers);
    SELECT jsonb_agg(jsonb_build_object('ord', e.ord, 'id', e.id, 'found', e.found, 'status', e.status,
                                        'version', e.version, 'if_version', e.if_version,
                                        'request_id', p_request_ids[e.ord], 'codes', to_jsonb(e.codes)) ORDER BY e.ord)
    INTO v_evaluated
    FROM (SELECT r.ord, (r.p ->> 'subscription_id')::uuid AS id, r.p -> 'if_version' AS if_version,
                 s.id AS found, s.status, s.version,
                 CASE WHEN s.id IS NULL THEN ARRAY['subscription_not_found'] ELSE array_remove(ARRAY[
                     CASE WHEN (r.p ->> 'if_version')::bigint <> s.version THEN 'version_mismatch' END,
                     CASE WHEN NOT (s.partner_id = p_partner OR (s.channel <> 'csp' AND s.recorded_by_partner_id = p_partner))
                          THEN 'not_reseller_of_record' END,
                     CASE WHEN NOT CASE p_operation
                                       WHEN 'activate' THEN s.status = 'pending'
                                       WHEN 'suspend' THEN s.status = 'active'
                                       WHEN 'reactivate' THEN s.status = 'suspended' AND s.status_reason IS DISTINCT FROM 'upgraded'
                                       WHEN 'cancel' THEN s.status IN ('active', 'suspended') END
                          THEN 'invalid_status_transition' END], NULL) END AS codes
          FROM unnest(p_parameters) WITH ORDINALITY AS r (p, ord)
          LEFT JOIN core.subscriptions s ON s.id = (r.p ->> 'subscription_id')::uuid AND s.customer_id = ANY (v_customers)) e;
    v_applied := ARRAY(SELECT (e ->> 'found')::uuid FROM jsonb_array_elements(v_evaluated) e
                       WHERE jsonb_array_length(e -> 'codes') = 0);
    IF v_to = 'cancelled' AND cardinality(v_applied) > 0 THEN  -- (read under the locks: they stay as read)
        SELECT coalesce(array_agg(a.id ORDER BY a.id), '{}'), coalesce(array_agg(a.parent_subscription_id ORDER BY a.id), '{}')
        INTO v_add_on_ids, v_add_on_parents
        FROM core.subscriptions a WHERE a.parent_subscription_id = ANY (v_applied) AND a.status <> 'cancelled';
    END IF;
    IF p_request_ids IS NOT NULL THEN  -- each audit event under its own request's id (an add-on: its parent's)
        PERFORM set_config('subctl.request_ids', coalesce((
            SELECT jsonb_object_agg(x.id, x.request_id)
            FROM (SELECT e ->> 'found' AS id, e -> 'request_id' AS request_id FROM jsonb_array_elements(v_evaluated) e
                  WHERE jsonb_array_length(e -> 'codes') = 0
                  UNION ALL
                  SELECT a.id::text, e -> 'request_id' FROM unnest(v_add_on_ids, v_add_on_parents) AS a (id, parent)
                  JOIN jsonb_array_elements(v_evaluated) e ON e ->> 'found' = a.parent::text) x
            WHERE x.request_id <> 'null'), '{}')::text, true);
    END IF;
    IF cardinality(v_applied) > 0 THEN
        WITH changed AS (
            UPDATE core.subscriptions s
            SET status = v_to, status_reason = CASE WHEN v_to = 'active' THEN NULL ELSE 'operator' END
            WHERE s.id = ANY (v_applied)
            RETURNING s.id, s.status, s.version)
        SELECT coalesce(jsonb_object_agg(c.id, jsonb_build_array(c.status, c.version)), '{}') INTO v_changed FROM changed c;
    END IF;
    IF cardinality(v_add_on_ids) > 0 THEN
        UPDATE core.subscriptions a SET status = 'cancelled', status_reason = 'parent_cancelled'
        WHERE a.id = ANY (v_add_on_ids);
        SELECT jsonb_object_agg(x.parent, x.ids) INTO v_add_ons
        FROM (SELECT a.parent, jsonb_agg(a.id ORDER BY a.id) AS ids FROM unnest(v_add_on_ids, v_add_on_parents) AS a (id, parent)
              GROUP BY a.parent) x;
    END IF;
    -- a cancelled subscription (and its add-ons) holds no user's license
    IF v_to = 'cancelled' AND EXISTS (SELECT 1 FROM core.license_assignments a
                                      WHERE a.subscription_id = ANY (v_applied || v_add_on_ids)) THEN
        WITH released AS (
            DELETE FROM core.license_assignments a WHERE a.subscription_id = ANY (v_applied || v_add_on_ids)
            RETURNING a.subscription_id)
        SELECT coalesce(jsonb_object_agg(x.parent, x.n), '{}') INTO v_released
        FROM (SELECT coalesce(o.parent, r.subscription_id) AS parent, count(*) AS n
              FROM released r LEFT JOIN unnest(v_add_on_ids, v_add_on_parents) AS o (id, parent) ON o.id = r.subscription_id
              GROUP BY 1) x;
    END IF;
    IF p_request_ids IS NOT NULL THEN
        PERFORM set_config('subctl.request_ids', '', true);
    END IF;
    RETURN QUERY
    SELECT (e ->> 'ord')::bigint, logic.result(ARRAY(SELECT jsonb_array_elements_text(e -> 'codes')), jsonb_build_object(
               'subscription_id', e -> 'id',
               'subscription_status', coalesce(v_changed -> (e ->> 'found') -> 0, e -> 'status'),
               'version', coalesce(v_changed -> (e ->> 'found') -> 1, e -> 'version'),
               'cancelled_add_ons', coalesce(v_add_ons -> (e ->> 'found'), '[]'),
               'licenses_released', coalesce((v_released ->> (e ->> 'found'))::bigint, 0::bigint)),
               p_partner, jsonb_strip_nulls(jsonb_build_object('subscription_id', e -> 'id', 'operation', p_operation,
                                                               'if_version', e -> 'if_version')))
    FROM jsonb_array_elements(v_evaluated) e
    ORDER BY (e ->> 'ord')::bigint;
END $$;

CREATE OR REPLACE FUNCTION logic.op_set_status(p_partner text, p jsonb, p_operation text)
RETURNS jsonb LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN (SELECT l.result FROM logic.status_apply(p_partner, ARRAY[p], p_operation) l);
END $$;

-- subscription add {customer_id, offer_id, quantity, billing_cycle, channel, status, parent_subscription_id}
CREATE OR REPLACE FUNCTION logic.op_add_subscription(p_partner text, p jsonb)
RETURNS jsonb LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_customer uuid := (p ->> 'customer_id')::uuid;
    v_offer core.offers;
    v_channel text := coalesce(p ->> 'channel', 'csp');
    v_cycle text := coalesce(p ->> 'billing_cycle', 'monthly');
    v_quantity bigint := (p ->> 'quantity')::bigint;
    v_parent uuid := (p ->> 'parent_subscription_id')::uuid;
    v_codes text[];
    s core.subscriptions;
    v_visible boolean := logic.customer_visible(p_partner, v_customer);
BEGIN
    IF v_visible THEN  -- only a customer the partner sees is locked (see logic.lock_subscription)
        PERFORM 1 FROM core.customers WHERE id = v_customer FOR NO KEY UPDATE;
    END IF;
    SELECT * INTO v_offer FROM core.offers WHERE id = p ->> 'offer_id' AND NOT retired;
    -- A customer the partner cannot see: that, and nothing that would tell about its data.
    v_codes := CASE WHEN NOT v_visible THEN ARRAY['customer_not_found'] ELSE array_remove(ARRAY[
        CASE WHEN v_offer.id IS NULL THEN 'offer_not_found' END,
        CASE WHEN v_offer.id IS NOT NULL AND NOT EXISTS (
                 SELECT 1 FROM core.offer_billing_cycles WHERE offer_id = v_offer.id AND billing_cycle = v_cycle)
             THEN 'offer_does_not_support_billing_cycle' END,
        CASE WHEN v_offer.id IS NOT NULL AND NOT logic.quantity_in_range(v_offer.id, v_quantity)
             THEN 'quantity_out_of_range' END,
        CASE WHEN v_offer.id IS NOT NULL AND (v_offer.is_add_on <> (v_parent IS NOT NULL) OR (v_parent IS NOT NULL AND NOT EXISTS (
                 SELECT 1 FROM core.subscriptions ps JOIN core.offer_add_on_parents ap
                          ON ap.parent_offer_id = ps.offer_id AND ap.add_on_offer_id = v_offer.id
                 WHERE ps.id = v_parent AND ps.customer_id = v_customer AND ps.status <> 'cancelled')))
             THEN 'add_on_parent_invalid' END], NULL) END;
    IF cardinality(v_codes) = 0 THEN
        INSERT INTO core.subscriptions (customer_id, offer_id, quantity, billing_cycle, status, channel,
                                        partner_id, recorded_by_partner_id, parent_subscription_id)
        VALUES (v_customer, v_offer.id, v_quantity, v_cycle, coalesce(p ->> 'status', 'active'), v_channel,
                CASE WHEN v_channel = 'csp' THEN p_partner END, p_partner, v_parent)
        RETURNING * INTO s;
        RETURN logic.result(v_codes, logic.subscription_json(p_partner, s)
                                    || jsonb_build_object('subscription_status', s.status));
    END IF;
    RETURN logic.result(v_codes, jsonb_build_object('id', NULL), p_partner, jsonb_strip_nulls(jsonb_build_object(
        'customer_id', v_customer, 'offer_id', p ->> 'offer_id', 'quantity', v_quantity, 'billing_cycle', v_cycle,
        'parent_subscription_id', v_parent)));
END $$;

-- customer add {name, id?, domain?}
CREATE OR REPLACE FUNCTION logic.op_add_customer(p_partner text, p jsonb)
RETURNS jsonb LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    c core.customers;
    v_name text := logic.require_display_name(p ->> 'name', 'customer name');
    v_domain text := lower(p ->> 'domain');
BEGIN
    -- Another partner's tenant: that it exists, and nothing more (SPEC 7.1).
    IF EXISTS (SELECT 1 FROM core.customers WHERE id = (p ->> 'id')::uuid OR domain = v_domain) THEN
        RETURN logic.refusal('customer_exists', jsonb_build_object('id', p ->> 'id', 'name', v_name, 'domain', v_domain));
    END IF;
    BEGIN
        INSERT INTO core.customers (id, name, domain, created_by_partner_id)
        VALUES (coalesce((p ->> 'id')::uuid, gen_random_uuid()), v_name, v_domain, p_partner)
        RETURNING * INTO c;
    EXCEPTION WHEN check_violation THEN  -- the format the table allows (check_customers_domain_format)
        PERFORM logic.raise_error('invalid_argument', format(
            'domain %s is not a domain name: dot-separated labels of letters, digits and inner hyphens, e.g. contoso.partner.onmschina.cn',
            to_json(p ->> 'domain')));
    END;
    RETURN logic.result('{}', jsonb_build_object('id', c.id, 'name', c.name, 'domain', c.domain));
END $$;

-- A display name (customers, partners), trimmed; invalid_argument naming what is wrong
-- (core.display_name_problem, the rule the tables check) without echoing the name.
CREATE OR REPLACE FUNCTION logic.require_display_name(p_name text, p_what text)
RETURNS text LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_name text := core.display_name_trimmed(p_name);
    v_problem text := core.display_name_problem(v_name);
BEGIN
    IF v_problem IS NOT NULL THEN
        PERFORM logic.raise_error('invalid_argument', format('the %s %s', p_what, v_problem), NULL,
                                 format('a name is 1-%s visible characters', core.display_name_max_length()));
    END IF;
    RETURN v_name;
END $$;

-- relationship_expiry_out_of_range: a relationship expires in the future and at most two
-- years after its activation, which is now or later: checked when it is requested (an
-- expiry given then) and when it is accepted. Returns the refusal's sentence, or NULL.
CREATE OR REPLACE FUNCTION logic.relationship_expiry_problem(p_expires_at timestamptz)
RETURNS text LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN (SELECT format('--expires %s is outside the allowed range: after %s and at most two years after activation (%s when activated now).',
                      CASE WHEN isfinite(p_expires_at) THEN to_char(p_expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
                           ELSE p_expires_at::text END,
                      to_char(statement_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                      to_char((statement_timestamp() + interval '2 years') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))
        WHERE p_expires_at <= statement_timestamp() OR p_expires_at > statement_timestamp() + interval '2 years');
END $$;

-- relationship request / accept / remove {customer_id, service_id, expires_at?}
-- Lifecycle requested -> active -> removed, or expired at expires_at (which counts
-- from the moment it passes; a change marks such rows expired first). At most one
-- active partner per customer and service. A refusal (the first rule broken, in the
-- order below) changes nothing; its record is the acting partner's open relationship
-- as it is, if any.
CREATE OR REPLACE FUNCTION logic.op_relationship(p_partner text, p jsonb, p_operation text)
RETURNS jsonb LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_customer uuid := (p ->> 'customer_id')::uuid;
    v_service text := p ->> 'service_id';
    v_expires timestamptz := (p ->> 'expires_at')::timestamptz;
    r core.relationships;
    v_code text;
    v_description text;  -- the case at hand (logic.refusal)
BEGIN
    -- Only a customer the partner sees (SPEC 7.1): a relationship never makes one visible.
    IF NOT logic.customer_visible(p_partner, v_customer) THEN
        v_code := 'customer_not_found';
        v_description := format('Customer %s does not exist.', v_customer);
    ELSE
        PERFORM 1 FROM core.customers WHERE id = v_customer FOR NO KEY UPDATE;
        IF NOT EXISTS (SELECT 1 FROM core.services WHERE id = v_service) THEN
            v_code := 'service_not_found';
            v_description := format('Service %s does not exist.', v_service);
        END IF;
    END IF;
    IF v_code IS NULL THEN
        -- the open relationship, an active one whose expiry passed not counting
        SELECT * INTO r FROM core.relationships
        WHERE partner_id = p_partner AND customer_id = v_customer AND service_id = v_service
          AND (status = 'requested' OR (status = 'active' AND expires_at > statement_timestamp()));
        IF p_operation = 'request' THEN
            v_description := logic.relationship_expiry_problem(v_expires);
            IF v_description IS NOT NULL THEN
                v_code := 'relationship_expiry_out_of_range';
            ELSIF r.id IS NOT NULL THEN
                v_code := 'relationship_exists';
                v_description := format('Relationship %s is already %s.', r.id, r.status);
            END IF;
        ELSIF p_operation = 'accept' THEN
            v_expires := coalesce(v_expires, r.expires_at, statement_timestamp() + interval '2 years');
            IF r.id IS NULL OR r.status <> 'requested' THEN
                v_code := 'invalid_relationship_transition';
                v_description := 'There is no requested relationship to accept.';
            ELSIF EXISTS (SELECT 1 FROM core.relationships WHERE customer_id = v_customer AND service_id = v_service
                          AND status = 'active' AND expires_at > statement_timestamp()) THEN
                v_code := 'relationship_already_active';
            ELSE
                v_description := logic.relationship_expiry_problem(v_expires);
                IF v_description IS NOT NULL THEN
                    v_code := 'relationship_expiry_out_of_range';
                END IF;
            END IF;
        ELSIF r.id IS NULL THEN
            v_code := 'relationship_not_found';
            v_description := format('No requested or active relationship with customer %s for %s.', v_customer, v_service);
        END IF;
    END IF;
    IF v_code IS NOT NULL THEN
        -- (jsonb_populate_record: every field, null ones too, when there is none)
        RETURN logic.refusal(v_code, to_jsonb(jsonb_populate_record(r, '{}')) || jsonb_build_object('customer_id', v_customer, 'service_id', v_service,
                                                                      'relationship_status', r.status),
                             v_description);
    END IF;
    UPDATE core.relationships SET status = 'expired', ended_at = expires_at
    WHERE customer_id = v_customer AND service_id = v_service AND status = 'active'
      AND expires_at <= statement_timestamp();
    IF p_operation = 'request' THEN
        INSERT INTO core.relationships (partner_id, customer_id, service_id, expires_at)
        VALUES (p_partner, v_customer, v_service, v_expires) RETURNING * INTO r;
    ELSIF p_operation = 'accept' THEN
        UPDATE core.relationships SET status = 'active', activated_at = statement_timestamp(), expires_at = v_expires
        WHERE id = r.id RETURNING * INTO r;
    ELSE
        UPDATE core.relationships SET status = 'removed', ended_at = statement_timestamp()
        WHERE id = r.id RETURNING * INTO r;
    END IF;
    RETURN logic.result('{}', to_jsonb(r) || jsonb_build_object('relationship_status', r.status));
END $$;

-- user add {customer_id, upn, display_name?}: a user of a customer the partner sees, its
-- user principal name unique in the customer whatever its case.
CREATE OR REPLACE FUNCTION logic.op_add_user(p_partner text, p jsonb)
RETURNS jsonb LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_customer uuid := (p ->> 'customer_id')::uuid;
    v_upn text := p ->> 'upn';
    v_name text := CASE WHEN p ? 'display_name' THEN logic.require_display_name(p ->> 'display_name', 'user name') END;
    u core.users;
BEGIN
    IF NOT logic.customer_visible(p_partner, v_customer) THEN
        RETURN logic.result(ARRAY['customer_not_found'], jsonb_build_object('id', NULL), p_partner,
                            jsonb_strip_nulls(jsonb_build_object('customer_id', v_customer, 'upn', v_upn)));
    END IF;
    PERFORM 1 FROM core.customers WHERE id = v_customer FOR NO KEY UPDATE;
    SELECT * INTO u FROM core.users WHERE customer_id = v_customer AND lower(upn) = lower(v_upn);
    IF u.id IS NOT NULL THEN
        RETURN logic.result(ARRAY['user_exists'], jsonb_build_object('id', u.id), p_partner,
                            jsonb_build_object('customer_id', v_customer, 'upn', u.upn));
    END IF;
    BEGIN
        INSERT INTO core.users (customer_id, upn, display_name) VALUES (v_customer, v_upn, v_name) RETURNING * INTO u;
    EXCEPTION WHEN check_violation THEN  -- the format the table allows (check_users_upn_format)
        PERFORM logic.raise_error('invalid_argument', format(
            'user principal name %s is not NAME@DOMAIN: a name of letters, digits and . _ + '' -, @, a domain name, e.g. anna@contoso.partner.onmschina.cn',
            to_json(v_upn)));
    END;
    RETURN logic.result('{}', jsonb_build_object('id', u.id, 'customer_id', u.customer_id, 'upn', u.upn,
                                                 'display_name', u.display_name, 'created_at', u.created_at));
END $$;

-- license assign / unassign {subscription_id, users: [USER...]}: THE apply path of license
-- assignments, set-based like logic.licenses_apply (whose notes hold here: requests of
-- distinct customers, p_request_ids for the audit events, one row per request with its
-- result, rejections neither audited nor remembered here). p_operation: assign or
-- unassign. USER is a user's id or user principal name (any case), of the subscription's
-- customer. Each request is all or nothing: every user not found is named, and the
-- licenses the assignment would need beyond the quantity. A user who already holds
-- (assign) or does not hold (unassign) a license of the subscription is left as it is.
-- Unassigning needs only the reseller of record: the licenses left on a suspended source
-- of an upgrade are unassigned there. Locks the customers the partner sees in id order,
-- evaluates every request on one snapshot, then one INSERT (assign) or DELETE (unassign)
-- of the users of every request applied; a request applied with nothing to change gets
-- one audit event of its own (logic.audit_requests), the others one per row changed.
CREATE OR REPLACE FUNCTION logic.license_assignments_apply(p_partner text, p_parameters jsonb[], p_operation text,
                                                          p_request_ids text[] DEFAULT NULL)
RETURNS TABLE (ord bigint, result jsonb) LANGUAGE plpgsql VOLATILE SET plan_cache_mode = force_generic_plan SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_customers uuid[];
    v_ords bigint[];
    v_results jsonb[];
    v_unchanged bigint[];  -- the requests applied with nothing to change
BEGIN
    IF p_operation NOT IN ('assign', 'unassign') THEN
        RAISE EXCEPTION 'logic.license_assignments_apply: unknown operation %', p_operation;
    END IF;
    v_customers := logic.lock_request_customers(p_partner, p_parameters);
    PERFORM logic.require_distinct_customers('logic.license_assignments_apply', p_parameters, v_customers);
    IF p_request_ids IS NOT NULL THEN  -- each audit event under its own request's id
        PERFORM set_config('subctl.request_ids', coalesce((
            SELECT jsonb_object_agg(p_parameters[i] ->> 'subscription_id', p_request_ids[i])
            FROM generate_subscripts(p_parameters, 1) AS i WHERE p_request_ids[i] IS NOT NULL), '{}')::text, true);
    END IF;
    WITH found AS MATERIALIZED (  -- each request's subscription (read after the locks) and its licenses assigned
        SELECT r.ord, (r.p ->> 'subscription_id')::uuid AS id, r.p -> 'users' AS users, s.id AS found,
               s.customer_id, s.status, s.quantity, s.partner_id,
               CASE WHEN s.id IS NOT NULL THEN (SELECT count(*) FROM core.license_assignments a
                                                WHERE a.subscription_id = s.id) END AS assigned
        FROM unnest(p_parameters) WITH ORDINALITY AS r (p, ord)
        LEFT JOIN core.subscriptions s ON s.id = (r.p ->> 'subscription_id')::uuid AND s.customer_id = ANY (v_customers)),
    named AS MATERIALIZED (  -- each user named by a request of a found subscription, found or not
        SELECT f.ord, x.name, x.n, u.id AS user_id, u.upn,
               EXISTS (SELECT 1 FROM core.license_assignments a WHERE a.subscription_id = f.found AND a.user_id = u.id) AS holds
        FROM found f
        CROSS JOIN LATERAL jsonb_array_elements_text(f.users) WITH ORDINALITY AS x (name, n)
        -- one index probe per name (a user principal name is never a UUID): a join on
        -- either of them would read every user of the customer
        LEFT JOIN LATERAL (
            SELECT y.id, y.upn FROM core.users y WHERE y.customer_id = f.customer_id AND lower(y.upn) = lower(x.name)
            UNION ALL
            SELECT y.id, y.upn FROM core.users y
            WHERE y.id = CASE WHEN x.name ~* core.uuid_pattern() THEN x.name::uuid END AND y.customer_id = f.customer_id
            LIMIT 1) u ON true
        WHERE f.found IS NOT NULL),
    changing AS MATERIALIZED (  -- the users whose license would change, once each
        SELECT DISTINCT n.ord, n.user_id, n.upn FROM named n
        WHERE n.user_id IS NOT NULL AND n.holds = (p_operation = 'unassign')),
    evaluated AS MATERIALIZED (
        SELECT f.ord, f.id, f.found, f.users, f.customer_id, f.status, f.quantity, f.assigned,
               -- of a found subscription: the users found, those not found (in the order named), the changes
               CASE WHEN f.found IS NOT NULL THEN (SELECT count(DISTINCT n.user_id) FROM named n WHERE n.ord = f.ord) END AS users_found,
               CASE WHEN f.found IS NOT NULL THEN (SELECT coalesce(jsonb_agg(n.name ORDER BY n.n), '[]') FROM named n
                                                   WHERE n.ord = f.ord AND n.user_id IS NULL) END AS missing,
               CASE WHEN f.found IS NOT NULL THEN (SELECT count(*) FROM changing c WHERE c.ord = f.ord) END AS asked,
               f.partner_id
        FROM found f),
    decided AS MATERIALIZED (
        SELECT e.*,
               CASE WHEN e.found IS NULL THEN ARRAY['subscription_not_found'] ELSE
                   CASE WHEN p_operation = 'assign' THEN logic.sold_and_active_errors(p_partner, e.status, e.partner_id)
                        WHEN e.partner_id IS DISTINCT FROM p_partner THEN ARRAY['not_reseller_of_record']
                        ELSE '{}' END
                   || CASE WHEN jsonb_array_length(e.missing) > 0 THEN ARRAY['user_not_found'] ELSE '{}' END
                   || CASE WHEN p_operation = 'assign' THEN logic.license_assignment_errors(e.assigned, e.asked, e.quantity)
                           ELSE '{}' END END AS codes
        FROM evaluated e),
    assigned AS (
        INSERT INTO core.license_assignments (subscription_id, user_id, customer_id)
        SELECT d.found, c.user_id, d.customer_id
        FROM decided d JOIN changing c ON c.ord = d.ord
        WHERE p_operation = 'assign' AND cardinality(d.codes) = 0
        ORDER BY d.ord, c.user_id),
    unassigned AS (
        DELETE FROM core.license_assignments a USING decided d JOIN changing c ON c.ord = d.ord
        WHERE p_operation = 'unassign' AND cardinality(d.codes) = 0
          AND a.subscription_id = d.found AND a.user_id = c.user_id)
    SELECT array_agg(d.ord ORDER BY d.ord), array_agg(logic.result(d.codes, jsonb_build_object(
               'subscription_id', d.id, 'subscription_status', d.status, 'quantity', d.quantity,
               'licenses_assigned', d.assigned + CASE WHEN cardinality(d.codes) > 0 THEN 0
                                                      WHEN p_operation = 'assign' THEN d.asked ELSE -d.asked END,
               CASE WHEN p_operation = 'assign' THEN 'assigned' ELSE 'unassigned' END,
               CASE WHEN cardinality(d.codes) = 0
                    THEN (SELECT coalesce(jsonb_agg(jsonb_build_object('id', c.user_id, 'upn', c.upn) ORDER BY c.upn), '[]')
                          FROM changing c WHERE c.ord = d.ord)
                    ELSE '[]' END,
               'unchanged', coalesce(d.users_found, 0) - coalesce(d.asked, 0)),
               p_partner, jsonb_build_object('subscription_id', d.id, 'users', d.users, 'operation', p_operation,
                                             'users_not_found', d.missing, 'asked', d.asked, 'assigned', d.assigned))
               ORDER BY d.ord),
           array_agg(d.ord ORDER BY d.ord) FILTER (WHERE cardinality(d.codes) = 0 AND d.asked = 0)
    INTO v_ords, v_results, v_unchanged
    FROM decided d;
    -- A request applied with nothing to change has an event all the same (no changed fields).
    IF v_unchanged IS NOT NULL THEN
        PERFORM logic.audit_requests(p_operation || '_license', (
            SELECT jsonb_agg(jsonb_build_object('error_codes', '[]'::jsonb, 'parameters', p_parameters[o],
                                                'request_id', coalesce(p_request_ids[o], logic.setting('request_id')))
                             ORDER BY o)
            FROM unnest(v_unchanged) o));
    END IF;
    IF p_request_ids IS NOT NULL THEN
        PERFORM set_config('subctl.request_ids', '', true);
    END IF;
    RETURN QUERY SELECT x.ord, x.result FROM unnest(v_ords, v_results) AS x (ord, result);
END $$;

CREATE OR REPLACE FUNCTION logic.op_license_assignment(p_partner text, p jsonb, p_operation text)
RETURNS jsonb LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN (SELECT l.result FROM logic.license_assignments_apply(p_partner, ARRAY[p], p_operation) l);
END $$;

-- The operations by name: the single dispatch used by the API and by batches.
CREATE OR REPLACE FUNCTION logic.dispatch_operation(p_partner text, p_operation text, p jsonb)
RETURNS jsonb LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN CASE p_operation
        WHEN 'upgrade' THEN logic.op_upgrade(p_partner, p)
        WHEN 'add_licenses' THEN logic.op_change_licenses(p_partner, p, 1)
        WHEN 'remove_licenses' THEN logic.op_change_licenses(p_partner, p, -1)
        WHEN 'activate' THEN logic.op_set_status(p_partner, p, p_operation)
        WHEN 'suspend' THEN logic.op_set_status(p_partner, p, p_operation)
        WHEN 'reactivate' THEN logic.op_set_status(p_partner, p, p_operation)
        WHEN 'cancel' THEN logic.op_set_status(p_partner, p, p_operation)
        WHEN 'add_subscription' THEN logic.op_add_subscription(p_partner, p)
        WHEN 'add_customer' THEN logic.op_add_customer(p_partner, p)
        WHEN 'request_relationship' THEN logic.op_relationship(p_partner, p, 'request')
        WHEN 'accept_relationship' THEN logic.op_relationship(p_partner, p, 'accept')
        WHEN 'remove_relationship' THEN logic.op_relationship(p_partner, p, 'remove')
        WHEN 'add_user' THEN logic.op_add_user(p_partner, p)
        WHEN 'assign_license' THEN logic.op_license_assignment(p_partner, p, 'assign')
        WHEN 'unassign_license' THEN logic.op_license_assignment(p_partner, p, 'unassign')
    END;
END $$;

-- Runs one operation for the acting partner: replays a known request id, otherwise
-- applies it, audits a rejection, remembers the request id. A dry run executes the
-- very same code, the replay included, inside a subtransaction that is always rolled
-- back (so not even the audit of a reused request id stays). The result names its
-- request id (the stored result does not: the set-based path stores the same results);
-- p_comment goes to the audit events, not into the request: a replay with another
-- comment is the same request.
CREATE OR REPLACE FUNCTION logic.run_operation(p_operation text, p_parameters jsonb, p_request_id text,
                                              p_dry_run boolean, p_batch_id text DEFAULT NULL,
                                              p_comment text DEFAULT NULL)
RETURNS jsonb LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_partner text := logic.require_partner();
    v_result jsonb;
    v_dry_run_result text;
    v_enclosed boolean;
BEGIN
    IF p_dry_run THEN
        BEGIN
            v_result := logic.run_operation(p_operation, p_parameters, p_request_id, false, p_batch_id, p_comment);
            RAISE EXCEPTION USING ERRCODE = 'SU099', MESSAGE = 'dry run', DETAIL = v_result::text;
        EXCEPTION WHEN SQLSTATE 'SU099' THEN
            GET STACKED DIAGNOSTICS v_dry_run_result = PG_EXCEPTION_DETAIL;
        END;
        -- A request id used before with these parameters: the replay a real run would
        -- return, its status the stored one, saying that it is a replay (nothing is
        -- applied either way).
        IF EXISTS (SELECT 1 FROM core.request_ids WHERE partner_id = v_partner AND request_id = p_request_id
                   AND operation = p_operation AND parameters = p_parameters) THEN
            RETURN v_dry_run_result::jsonb || jsonb_build_object('replayed', true);
        END IF;
        -- No dry run has a target (SPEC 7.2): one it would create is gone with it, and one
        -- it would grow (upgrade --into) is named by into_subscription_id.
        v_result := jsonb_set(v_dry_run_result::jsonb, '{status}', '"dry_run"');
        IF v_result ? 'target_subscription_id' THEN
            v_result := jsonb_set(v_result, '{target_subscription_id}', 'null');
        END IF;
        RETURN v_result;
    END IF;
    PERFORM logic.begin_operation(p_operation, p_request_id, p_comment, p_batch_id);
    v_result := logic.request_replay(v_partner, p_request_id, p_operation, p_parameters);
    IF v_result IS NOT NULL THEN
        RETURN v_result || jsonb_build_object('request_id', p_request_id);
    END IF;
    v_enclosed := logic.upgrade_options_defer();  -- one refresh of the stored options, at the end
    v_result := logic.dispatch_operation(v_partner, p_operation, p_parameters);
    IF v_result ->> 'status' = 'rejected' THEN
        PERFORM logic.audit_rejection(
            p_operation, ARRAY(SELECT e ->> 'code' FROM jsonb_array_elements(v_result -> 'errors') e),
            p_parameters, p_request_id);
    END IF;
    PERFORM logic.upgrade_options_flush(v_enclosed);
    RETURN logic.request_remember(v_partner, p_request_id, p_operation, p_parameters, v_result)
           || jsonb_build_object('request_id', p_request_id);
END $$;

-- logic.request_remember for many requests of one operation: request i has the id
-- p_request_ids[i], the parameters p_parameters[i] and the result p_results[i] (one
-- without an id or a result is skipped), one INSERT. A request id a concurrent twin
-- stored first is a serialization failure, which the C++ layer retries (the retry
-- replays it).
CREATE OR REPLACE FUNCTION logic.requests_remember(p_partner text, p_operation text, p_request_ids text[],
                                                  p_parameters jsonb[], p_results jsonb[])
RETURNS void LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_missing text;
BEGIN
    IF cardinality(p_request_ids) IS DISTINCT FROM cardinality(p_parameters)
       OR cardinality(p_request_ids) IS DISTINCT FROM cardinality(p_results) THEN
        RAISE EXCEPTION 'logic.requests_remember: % request ids, % parameters, % results',
            cardinality(p_request_ids), cardinality(p_parameters), cardinality(p_results);
    END IF;
    WITH requests AS (
        SELECT r.request_id, r.parameters, r.result
        FROM unnest(p_request_ids, p_parameters, p_results) AS r (request_id, parameters, result)
        WHERE r.request_id IS NOT NULL AND r.result IS NOT NULL),
    stored AS (
        INSERT INTO core.request_ids (partner_id, request_id, operation, parameters, result)
        SELECT p_partner, r.request_id, p_operation, r.parameters, r.result FROM requests r
        ON CONFLICT DO NOTHING
        RETURNING request_id)
    SELECT min(r.request_id) INTO v_missing FROM requests r
    WHERE r.request_id NOT IN (SELECT s.request_id FROM stored s);
    IF v_missing IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'serialization_failure',
            MESSAGE = format('request id %s was used concurrently; retry to get its result', v_missing);
    END IF;
END $$;
