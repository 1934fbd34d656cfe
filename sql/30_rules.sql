-- THE upgrade rules (SPEC 3), defined once, in logic.upgrade_path_facts. Every consumer
-- reads them through logic.upgrade_evaluations (the listing, the upgrade, batches) or
-- core.upgrade_options (the reports: the same facts, stored); nothing else re-states a rule.

-- A subscription counts for the rules unless cancelled or replaced by an upgrade
-- (a replaced source is suspended with reason `upgraded` and can never come back).
-- Of its status and status_reason, not of the row: called for every subscription a
-- rule reads, and a row argument costs a copy of the row per call.
CREATE OR REPLACE FUNCTION logic.subscription_in_force(p_status text, p_status_reason text)
RETURNS boolean LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN p_status <> 'cancelled' AND p_status_reason IS DISTINCT FROM 'upgraded';
END $$;


-- The rules on the source subscription itself (its status, its reseller of record),
-- shared by upgrades and license changes.
CREATE OR REPLACE FUNCTION logic.sold_and_active_errors(p_partner text, p_status text, p_reseller_partner_id text)
RETURNS text[] LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN array_remove(ARRAY[
        CASE WHEN p_status IN ('suspended', 'cancelled') THEN 'subscription_status_not_active' END,
        CASE WHEN p_status = 'pending' THEN 'subscription_not_provisioned' END,
        CASE WHEN p_reseller_partner_id IS DISTINCT FROM p_partner THEN 'not_reseller_of_record' END
    ], NULL);
END $$;

-- The catalog side of the rules, per upgrade path: the target's service, the offers with
-- a plan the upgrade would add (conflicting_service_types), the target's billing cycles
-- (offer_does_not_support_billing_cycle). Stored in core.upgrade_path_catalog whenever
-- the catalog changes (sql/35_upgrade_options.sql), read by every evaluation.
CREATE OR REPLACE FUNCTION logic.upgrade_path_catalog_refresh()
RETURNS void LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp BEGIN ATOMIC
    DELETE FROM core.upgrade_path_catalog;
    INSERT INTO core.upgrade_path_catalog (source_offer_id, target_offer_id, service_id, plan_conflicting_offers,
                                           target_billing_cycles)
    SELECT up.source_offer_id, up.target_offer_id, t.service_id,
           ARRAY(SELECT op.offer_id FROM core.offer_service_plans op
                 WHERE op.service_plan_id IN (
                     SELECT tp.service_plan_id FROM core.offer_service_plans tp WHERE tp.offer_id = up.target_offer_id
                     EXCEPT
                     SELECT sp.service_plan_id FROM core.offer_service_plans sp WHERE sp.offer_id = up.source_offer_id)),
           ARRAY(SELECT b.billing_cycle FROM core.offer_billing_cycles b WHERE b.offer_id = up.target_offer_id)
    FROM core.upgrade_paths up
    JOIN core.offers t ON t.id = up.target_offer_id;
END;

-- For each subscription and each upgrade path leaving its offer: every error code that
-- applies for partner p_partner (NULL: each subscription's own reseller), in the SPEC's
-- order, both while the partner's delegated-admin relationship for the target's service
-- is in force and without it, and the date that relationship expires: everything but the
-- clock, so that core.upgrade_options can store it. With p_sold_in_force_only, only the
-- subscriptions the partner sold that are in force (what the reports show).
-- Set-based, so that evaluating every subscription is a few hash joins: the rules
-- that look at the customer's other subscriptions read two per-customer aggregates
-- (window functions over the customer's subscriptions: the offers in force, the
-- subscriptions with live add-ons), and the catalog side of each path (the offers with a
-- plan the upgrade would add, the target's billing cycles) is read from
-- core.upgrade_path_catalog.
-- p_customer_ids: the customers whose subscriptions are evaluated (the window's
-- partition key, read through the customer index), so that a caller reads only the
-- customers it looks at. PL/pgSQL, so that its plan is kept for the session: a SQL
-- function with a SET clause is never inlined into its caller, and would be planned
-- again by every statement that calls it. Planned as its caller says: the readers of a
-- few customers (logic.upgrade_evaluations, logic.upgrade_request_errors) keep the
-- generic plan (the customer index), as planning it again for each call would cost more
-- than running it; a refresh of many customers plans it for their number.
-- Two readings of SPEC 3 used here: "another in-force subscription of the customer with
-- a conflicting plan" needs no "another" (the subscription's own offer has only source
-- plans, which the added plans exclude); an add-on always belongs to its parent's
-- customer (check_subscriptions_add_on_parent), so the customer's live add-on parents
-- are all that subscription_add_ons_present needs.
-- p_into: the existing subscriptions upgrades go into (upgrade --into), at most one per
-- customer and each of the customer of its request's source: such a subscription is the
-- target itself, so it counts neither as owning the target offer nor as holding the
-- plans the upgrade adds (the other rules hold as they are).
CREATE OR REPLACE FUNCTION logic.upgrade_path_facts(p_customer_ids uuid[], p_partner text,
                                                   p_sold_in_force_only boolean DEFAULT false, p_into uuid[] DEFAULT '{}')
RETURNS TABLE (subscription_id uuid, target_offer_id text, customer_id uuid, partner_id text, source_offer_id text,
               relationship_expires_at timestamptz, error_codes_related text[], error_codes_unrelated text[])
LANGUAGE plpgsql STABLE ROWS 10 SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    SELECT c.id, p.target_offer_id, c.customer_id, c.partner_id, c.offer_id, r.expires_at,
           x.subscription_errors || x.path_errors,
           x.subscription_errors || '{delegated_admin_permissions_disabled}'::text[] || x.path_errors
    FROM (SELECT s.id, s.customer_id, s.offer_id, s.status, s.partner_id, s.billing_cycle, s.in_force,
                 array_agg(s.offer_id) FILTER (WHERE s.in_force AND s.id <> ALL (coalesce(p_into, '{}')))
                     OVER customer AS offers_in_force,
                 array_agg(s.parent_subscription_id) FILTER (WHERE s.parent_subscription_id IS NOT NULL
                                                            AND s.status <> 'cancelled') OVER customer AS live_add_on_parents
          -- (OFFSET 0: whether each subscription is in force, computed once per subscription)
          FROM (SELECT s.*, logic.subscription_in_force(s.status, s.status_reason) AS in_force FROM core.subscriptions s
                WHERE s.customer_id = ANY (p_customer_ids) OFFSET 0) s
          WINDOW customer AS (PARTITION BY s.customer_id)) c
    JOIN core.upgrade_path_catalog p ON p.source_offer_id = c.offer_id
    -- at most one row: one active relationship per customer and service (unique index)
    LEFT JOIN core.relationships r
           ON r.customer_id = c.customer_id AND r.service_id = p.service_id
          AND r.partner_id = coalesce(p_partner, c.partner_id) AND r.status = 'active'
    CROSS JOIN LATERAL (SELECT logic.sold_and_active_errors(coalesce(p_partner, c.partner_id), c.status, c.partner_id)
                               AS subscription_errors,
                               array_remove(ARRAY[
               CASE WHEN c.offers_in_force && p.plan_conflicting_offers THEN 'conflicting_service_types' END,
               CASE WHEN p.target_offer_id = ANY (c.offers_in_force) THEN 'target_offer_already_owned' END,
               CASE WHEN c.id = ANY (c.live_add_on_parents) THEN 'subscription_add_ons_present' END,
               CASE WHEN c.billing_cycle <> ALL (p.target_billing_cycles) THEN 'offer_does_not_support_billing_cycle' END
                               ], NULL) AS path_errors) x
    WHERE NOT p_sold_in_force_only OR (c.partner_id = coalesce(p_partner, c.partner_id) AND c.in_force);
END $$;
COMMENT ON FUNCTION logic.upgrade_path_facts IS
'Every upgrade path of every subscription of some customers with the error codes that apply for a partner with and without its relationship: the one definition of the upgrade rules.';

-- delegated_admin_permissions_disabled is the one rule that moves with the clock: the
-- relationship is in force until it expires. Of the two values kept for a path (codes or
-- bit masks, with and without the relationship), the one that holds now.
CREATE OR REPLACE FUNCTION logic.by_relationship_now(p_relationship_expires_at timestamptz, p_related anyelement,
                                                    p_unrelated anyelement)
RETURNS anyelement LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN CASE WHEN p_relationship_expires_at > statement_timestamp() THEN p_related ELSE p_unrelated END;
END $$;

-- The rules now: for each subscription of the customers p_customer_ids and each upgrade
-- path, every error code that applies for partner p_partner (see logic.upgrade_path_facts).
CREATE OR REPLACE FUNCTION logic.upgrade_evaluations(p_customer_ids uuid[], p_partner text,
                                                    p_sold_in_force_only boolean DEFAULT false, p_into uuid[] DEFAULT '{}')
RETURNS TABLE (subscription_id uuid, customer_id uuid, source_offer_id text, target_offer_id text,
               error_codes text[])
LANGUAGE plpgsql STABLE ROWS 10 SET plan_cache_mode = force_generic_plan SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN QUERY
    SELECT f.subscription_id, f.customer_id, f.source_offer_id, f.target_offer_id,
           logic.by_relationship_now(f.relationship_expires_at, f.error_codes_related, f.error_codes_unrelated)
    FROM logic.upgrade_path_facts(p_customer_ids, p_partner, p_sold_in_force_only, p_into) f;
END $$;
COMMENT ON FUNCTION logic.upgrade_evaluations IS
'Every upgrade path of every subscription of some customers with all the error codes that apply for a partner now (logic.upgrade_path_facts at this time).';

-- quantity_out_of_range, shared by upgrades, license changes and subscription add.
CREATE OR REPLACE FUNCTION logic.quantity_in_range(p_offer_id text, p_quantity bigint)
RETURNS boolean LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN EXISTS (SELECT 1 FROM core.offers WHERE id = p_offer_id
                   AND p_quantity BETWEEN min_quantity AND max_quantity);
END $$;

-- The customers of some subscriptions (those logic.upgrade_evaluations evaluates).
-- Called once per statement.
CREATE OR REPLACE FUNCTION logic.customer_ids_of(p_subscriptions core.subscriptions[])
RETURNS uuid[] LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN (SELECT array_agg(x.customer_id) FROM unnest(p_subscriptions) x);
END $$;

-- The licenses of a subscription assigned to users.
CREATE OR REPLACE FUNCTION logic.licenses_assigned(p_subscription_id uuid)
RETURNS bigint LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN (SELECT count(*) FROM core.license_assignments a WHERE a.subscription_id = p_subscription_id);
END $$;

-- The license rules (SPEC 7.3), each defined here once; the tables hold the invariant
-- behind them (migrations/013_users.sql). license_quantity_exceeded: p_asked more
-- assignments on a subscription of p_quantity with p_assigned.
CREATE OR REPLACE FUNCTION logic.license_assignment_errors(p_assigned bigint, p_asked bigint, p_quantity bigint)
RETURNS text[] LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN CASE WHEN p_assigned + p_asked > p_quantity THEN ARRAY['license_quantity_exceeded'] ELSE '{}'::text[] END;
END $$;
-- quantity_below_assigned_licenses: a subscription's quantity lowered to p_quantity.
CREATE OR REPLACE FUNCTION logic.license_quantity_errors(p_assigned bigint, p_quantity bigint)
RETURNS text[] LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN CASE WHEN p_quantity < p_assigned THEN ARRAY['quantity_below_assigned_licenses'] ELSE '{}'::text[] END;
END $$;
-- license_transfer_quantity_insufficient: an upgrade that moves the source's p_assigned
-- assignments (p_transfer, the default) to a target of p_quantity licenses.
CREATE OR REPLACE FUNCTION logic.license_transfer_errors(p_transfer boolean, p_assigned bigint, p_quantity bigint)
RETURNS text[] LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN CASE WHEN coalesce(p_transfer, true) AND p_assigned > p_quantity
                THEN ARRAY['license_transfer_quantity_insufficient'] ELSE '{}'::text[] END;
END $$;

-- The rules of an upgrade into an existing subscription (upgrade --into): p_into_id as
-- asked, p_into that subscription when the partner sees it (else NULL), for the source
-- p_source and the target offer p_target_offer_id. It must be the acting partner's active
-- subscription of the target offer, of the source's customer and billing cycle.
CREATE OR REPLACE FUNCTION logic.upgrade_into_errors(p_partner text, p_source core.subscriptions, p_into_id uuid,
                                                    p_into core.subscriptions, p_target_offer_id text)
RETURNS text[] LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN CASE WHEN p_into_id IS NULL THEN '{}'::text[]
                WHEN p_into.id IS NULL THEN ARRAY['into_subscription_not_found']
                ELSE array_remove(ARRAY[
        CASE WHEN p_into.customer_id <> p_source.customer_id THEN 'into_subscription_other_customer' END,
        CASE WHEN p_into.offer_id IS DISTINCT FROM p_target_offer_id THEN 'into_subscription_other_offer' END,
        CASE WHEN p_into.billing_cycle <> p_source.billing_cycle THEN 'into_subscription_other_billing_cycle' END,
        CASE WHEN p_into.status <> 'active' THEN 'into_subscription_not_active' END,
        CASE WHEN p_into.partner_id IS DISTINCT FROM p_partner THEN 'into_subscription_not_reseller_of_record' END
                ], NULL) END;
END $$;

-- The subscriptions some upgrades go into that are of their own source's customer (the
-- p_into of logic.upgrade_path_facts).
CREATE OR REPLACE FUNCTION logic.into_ids_of(p_sources core.subscriptions[], p_intos core.subscriptions[])
RETURNS uuid[] LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN (SELECT coalesce(array_agg((p_intos[i]).id), '{}') FROM generate_subscripts(p_sources, 1) AS i
            WHERE (p_intos[i]).customer_id = (p_sources[i]).customer_id);
END $$;

-- The error codes of upgrade requests: the rules above for (subscription, target) plus
-- those that depend on the request (path exists, the subscription upgraded into,
-- quantity, expected version). Set-based: request i is (p_sources[i],
-- p_target_offer_ids[i], p_quantities[i], p_if_versions[i]); one row (ord = i) per
-- request, with the source's assigned licenses. p_transfers[i] false: request i leaves
-- them on the source (upgrade_only). p_into_ids[i]: request i goes into that existing
-- subscription (p_intos[i] as the partner sees it, else NULL), which grows by
-- p_quantities[i] licenses (the range applies to its new quantity) and takes the
-- source's licenses beside its own (a user holding both keeps one). Only the requests'
-- customers and subscriptions are evaluated. A single upgrade passes one request, a
-- batch wave many. PL/pgSQL for its kept plan (see logic.upgrade_path_facts).
CREATE OR REPLACE FUNCTION logic.upgrade_request_errors(p_partner text, p_sources core.subscriptions[],
                                                       p_target_offer_ids text[], p_quantities bigint[],
                                                       p_if_versions bigint[], p_transfers boolean[] DEFAULT NULL,
                                                       p_into_ids uuid[] DEFAULT NULL,
                                                       p_intos core.subscriptions[] DEFAULT NULL)
RETURNS TABLE (ord bigint, error_codes text[], licenses_assigned bigint)
LANGUAGE plpgsql STABLE SET plan_cache_mode = force_generic_plan SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    SELECT s.ordinality, array_remove(ARRAY[
               CASE WHEN p_if_versions[s.ordinality] IS NOT NULL AND p_if_versions[s.ordinality] <> s.version THEN 'version_mismatch' END,
               CASE WHEN NOT EXISTS (SELECT 1 FROM core.upgrade_paths WHERE source_offer_id = s.offer_id)
                    THEN 'subscription_does_not_have_any_upgrade_paths'
                    WHEN e.target_offer_id IS NULL AND NOT (p_into_ids[s.ordinality] IS NOT NULL AND (p_intos[s.ordinality]).id IS NULL
                                                            AND p_target_offer_ids[s.ordinality] IS NULL)
                    THEN 'subscription_target_offer_not_found' END], NULL)
           || logic.upgrade_into_errors(p_partner, p_sources[s.ordinality], p_into_ids[s.ordinality], p_intos[s.ordinality],
                                       p_target_offer_ids[s.ordinality])
           || array_remove(ARRAY[
               -- an upgrade into a subscription not found has no quantity to check
               CASE WHEN e.target_offer_id IS NOT NULL AND (p_into_ids[s.ordinality] IS NULL OR (p_intos[s.ordinality]).id IS NOT NULL)
                         AND (p_quantities[s.ordinality] < 1 OR NOT logic.quantity_in_range(p_target_offer_ids[s.ordinality],
                                  coalesce((p_intos[s.ordinality]).quantity, 0) + p_quantities[s.ordinality]))
                    THEN 'quantity_out_of_range' END], NULL)
           || coalesce(e.error_codes, '{}')
           || CASE WHEN e.target_offer_id IS NULL THEN '{}'::text[]
                   WHEN p_into_ids[s.ordinality] IS NULL
                   THEN logic.license_transfer_errors(p_transfers[s.ordinality], a.assigned, p_quantities[s.ordinality])
                   WHEN (p_intos[s.ordinality]).id IS NOT NULL
                   -- the licenses the grown subscription has beyond those it already assigns
                   THEN logic.license_transfer_errors(p_transfers[s.ordinality], a.moving,
                            (p_intos[s.ordinality]).quantity + p_quantities[s.ordinality]
                            - (SELECT count(*) FROM core.license_assignments t WHERE t.subscription_id = (p_intos[s.ordinality]).id))
                   ELSE '{}'::text[] END,
           a.assigned
    FROM unnest(p_sources) WITH ORDINALITY AS s
    -- written out, not logic.licenses_assigned(): one join for every request, where a
    -- call per request cost more than the rest of the rules. moving: those of users who
    -- hold no license of the subscription upgraded into.
    CROSS JOIN LATERAL (SELECT count(*) AS assigned,
                               count(*) FILTER (WHERE p_into_ids[s.ordinality] IS NOT NULL AND NOT EXISTS (
                                   SELECT 1 FROM core.license_assignments t
                                   WHERE t.subscription_id = p_into_ids[s.ordinality] AND t.user_id = la.user_id)) AS moving
                        FROM core.license_assignments la WHERE la.subscription_id = s.id) a
    LEFT JOIN (SELECT e.* FROM logic.upgrade_evaluations(logic.customer_ids_of(p_sources), p_partner, false,
                                                         logic.into_ids_of(p_sources, p_intos)) e
               WHERE e.subscription_id = ANY (ARRAY(SELECT x.id FROM unnest(p_sources) x))) e
           ON e.subscription_id = s.id AND e.target_offer_id = p_target_offer_ids[s.ordinality];
END $$;
