-- THE upgrade rules (SPEC 3), defined once. Every consumer (the listing, the upgrade,
-- batches, reports) reads core.upgrade_evaluations; nothing else re-states a rule.

-- A subscription counts for the rules unless cancelled or replaced by an upgrade
-- (a replaced source is suspended with reason `upgraded` and can never come back).
CREATE OR REPLACE FUNCTION core.subscription_in_force(s core.subscriptions)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT s.status <> 'cancelled' AND s.status_reason IS DISTINCT FROM 'upgraded'
$$;

-- Whether the partner holds an active, unexpired delegated-admin relationship.
-- Expiry is honoured at the moment of the check: no job needs to have run.
CREATE OR REPLACE FUNCTION core.has_delegated_admin(p_partner text, p_customer_id uuid, p_service_id text)
RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM core.relationships r
                   WHERE r.customer_id = p_customer_id AND r.service_id = p_service_id
                     AND r.partner_id = p_partner AND r.status = 'active'
                     AND r.expires_at > statement_timestamp())
$$;

-- The rules on the source subscription itself, shared by upgrades and license changes.
CREATE OR REPLACE FUNCTION core.sold_and_active_errors(p_partner text, s core.subscriptions)
RETURNS text[] LANGUAGE sql STABLE AS $$
    SELECT array_remove(ARRAY[
        CASE WHEN s.status IN ('suspended', 'cancelled') THEN 'subscription_status_not_active' END,
        CASE WHEN s.status = 'pending' THEN 'subscription_not_provisioned' END,
        CASE WHEN s.partner_id IS DISTINCT FROM p_partner THEN 'not_reseller_of_record' END
    ], NULL)
$$;

-- For each subscription and each upgrade path leaving its offer: every error code that
-- applies for partner p_partner, in the SPEC's order. Inlined by the planner, so a
-- WHERE on subscription_id or customer_id reaches the indexes.
CREATE OR REPLACE FUNCTION core.upgrade_evaluations(p_partner text)
RETURNS TABLE (subscription_id uuid, customer_id uuid, source_offer_id text, target_offer_id text,
               error_codes text[])
LANGUAGE sql STABLE AS $$
    SELECT s.id, s.customer_id, s.offer_id, p.target_offer_id,
           core.sold_and_active_errors(p_partner, s) || array_remove(ARRAY[
               CASE WHEN NOT core.has_delegated_admin(p_partner, s.customer_id, t.service_id)
                    THEN 'delegated_admin_permissions_disabled' END,
               CASE WHEN EXISTS (
                        SELECT 1 FROM core.subscriptions o
                        JOIN core.offer_service_plans op ON op.offer_id = o.offer_id
                        WHERE o.customer_id = s.customer_id AND o.id <> s.id AND core.subscription_in_force(o)
                          AND op.service_plan_id IN (
                              SELECT tp.service_plan_id FROM core.offer_service_plans tp WHERE tp.offer_id = p.target_offer_id
                              EXCEPT
                              SELECT sp.service_plan_id FROM core.offer_service_plans sp WHERE sp.offer_id = s.offer_id))
                    THEN 'conflicting_service_types' END,
               CASE WHEN EXISTS (
                        SELECT 1 FROM core.subscriptions o
                        WHERE o.customer_id = s.customer_id AND o.offer_id = p.target_offer_id
                          AND core.subscription_in_force(o))
                    THEN 'target_offer_already_owned' END,
               CASE WHEN EXISTS (
                        SELECT 1 FROM core.subscriptions a
                        WHERE a.parent_subscription_id = s.id AND a.status <> 'cancelled')
                    THEN 'subscription_add_ons_present' END,
               CASE WHEN NOT EXISTS (
                        SELECT 1 FROM core.offer_billing_cycles b
                        WHERE b.offer_id = p.target_offer_id AND b.billing_cycle = s.billing_cycle)
                    THEN 'offer_does_not_support_billing_cycle' END
           ], NULL)
    FROM core.subscriptions s
    JOIN core.upgrade_paths p ON p.source_offer_id = s.offer_id
    JOIN core.offers t ON t.id = p.target_offer_id
$$;
COMMENT ON FUNCTION core.upgrade_evaluations IS
'Every upgrade path of every subscription with all the error codes that apply for a partner: the one definition of the upgrade rules.';

-- quantity_out_of_range, shared by upgrades, license changes and subscription add.
CREATE OR REPLACE FUNCTION core.quantity_in_range(p_offer_id text, p_quantity bigint)
RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM core.offers WHERE id = p_offer_id
                   AND p_quantity BETWEEN min_quantity AND max_quantity)
$$;

-- The error codes of upgrade requests: the rules above for (subscription, target) plus
-- those that depend on the request (path exists, quantity, expected version). Set-based:
-- request i is (p_sources[i], p_target_offer_ids[i], p_quantities[i], p_if_versions[i]);
-- one row (ord = i) per request. Only the requests' customers and subscriptions are
-- evaluated. A single upgrade passes one request, a batch wave many.
DROP FUNCTION IF EXISTS core.upgrade_request_errors(text, core.subscriptions, text, bigint, bigint);
CREATE OR REPLACE FUNCTION core.upgrade_request_errors(p_partner text, p_sources core.subscriptions[],
                                                       p_target_offer_ids text[], p_quantities bigint[],
                                                       p_if_versions bigint[])
RETURNS TABLE (ord bigint, error_codes text[])
LANGUAGE sql STABLE AS $$
    SELECT s.ordinality, array_remove(ARRAY[
               CASE WHEN p_if_versions[s.ordinality] IS NOT NULL AND p_if_versions[s.ordinality] <> s.version THEN 'version_mismatch' END,
               CASE WHEN NOT EXISTS (SELECT 1 FROM core.upgrade_paths WHERE source_offer_id = s.offer_id)
                    THEN 'subscription_does_not_have_any_upgrade_paths'
                    WHEN e.target_offer_id IS NULL THEN 'subscription_target_offer_not_found' END,
               CASE WHEN e.target_offer_id IS NOT NULL
                         AND NOT core.quantity_in_range(p_target_offer_ids[s.ordinality], p_quantities[s.ordinality])
                    THEN 'quantity_out_of_range' END
           ], NULL) || coalesce(e.error_codes, '{}')
    FROM unnest(p_sources) WITH ORDINALITY AS s
    LEFT JOIN (SELECT e.* FROM core.upgrade_evaluations(p_partner) e
               WHERE e.customer_id = ANY (ARRAY(SELECT x.customer_id FROM unnest(p_sources) x))
                 AND e.subscription_id = ANY (ARRAY(SELECT x.id FROM unnest(p_sources) x))) e
           ON e.subscription_id = s.id AND e.target_offer_id = p_target_offer_ids[s.ordinality]
$$;

-- Locks the customer of a subscription (the one lock order of every operation: the
-- customer row first) and returns the subscription as it is now, or NULL when it does
-- not exist for the partner.
CREATE OR REPLACE FUNCTION core.lock_subscription(p_partner text, p_subscription_id uuid)
RETURNS core.subscriptions LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    s core.subscriptions;
BEGIN
    PERFORM 1 FROM core.customers c
    WHERE c.id = (SELECT customer_id FROM core.subscriptions WHERE id = p_subscription_id)
    FOR NO KEY UPDATE;
    SELECT * INTO s FROM core.subscriptions WHERE id = p_subscription_id;
    IF s.id IS NULL OR NOT core.customer_visible(p_partner, s.customer_id) THEN
        RETURN NULL;
    END IF;
    RETURN s;
END $$;

-- Idempotency. Returns the stored result of a request id used with the same operation
-- and parameters, a request_id_reused rejection when they differ, NULL when unused.
CREATE OR REPLACE FUNCTION core.request_replay(p_partner text, p_request_id text, p_operation text, p_parameters jsonb)
RETURNS jsonb LANGUAGE plpgsql VOLATILE AS $$
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
    PERFORM core.audit_rejection(p_operation, ARRAY['request_id_reused'], p_parameters, p_request_id);
    RETURN core.result(ARRAY['request_id_reused'], CASE WHEN p_parameters ? 'subscription_id' THEN jsonb_build_object(
        'source_subscription_id', p_parameters -> 'subscription_id', 'target_subscription_id', NULL,
        'quantity', p_parameters -> 'quantity') ELSE '{}' END);
END $$;

-- Stores the first result of a request id. A concurrent twin that committed first
-- makes this a serialization failure, which the C++ layer retries into a replay.
CREATE OR REPLACE FUNCTION core.request_remember(p_partner text, p_request_id text, p_operation text,
                                                 p_parameters jsonb, p_result jsonb)
RETURNS jsonb LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    IF p_request_id IS NULL THEN
        RETURN p_result;
    END IF;
    INSERT INTO core.request_ids (partner_id, request_id, operation, parameters, result)
    VALUES (p_partner, p_request_id, p_operation, p_parameters, p_result)
    ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'serialization_failure',
            MESSAGE = format('request id %s was used concurrently; retry to get its result', p_request_id);
    END IF;
    RETURN p_result;
END $$;
