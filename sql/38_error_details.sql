-- Error objects (SPEC 7.2): {code, description, details, next_step}. The rules decide the
-- codes (sql/30_rules.sql); this file says, for a code that applies, what it is about:
-- the details, read from the same tables and predicates the rules read
-- (logic.subscription_in_force, core.upgrade_path_catalog), only for the codes that
-- apply. The sentences are core.error_guidance's (sql/01_errors.sql). A detail never
-- names another partner: a subscription another partner sold shows its id, offer and
-- channel, and sold_by_you false.

-- The acting partner's delegated-admin relationship with a customer for a service, as of
-- now: {status, expires_at}, status one of active, held_by_another_partner (another
-- partner's is active: only one may be), requested, expired, removed, none. The first
-- that holds, in that order; of the partner's past ones, the latest (an open one, then
-- the last requested).
CREATE OR REPLACE FUNCTION logic.relationship_state(p_partner text, p_customer_id uuid, p_service_id text)
RETURNS jsonb LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    r core.relationships;
BEGIN
    SELECT * INTO r FROM core.relationships
    WHERE customer_id = p_customer_id AND service_id = p_service_id AND partner_id = p_partner AND status = 'active';
    IF r.id IS NOT NULL AND r.expires_at > statement_timestamp() THEN
        RETURN jsonb_build_object('status', 'active', 'expires_at', r.expires_at);
    END IF;
    IF EXISTS (SELECT 1 FROM core.relationships o
               WHERE o.customer_id = p_customer_id AND o.service_id = p_service_id AND o.status = 'active'
                 AND o.partner_id <> p_partner AND o.expires_at > statement_timestamp()) THEN
        RETURN jsonb_build_object('status', 'held_by_another_partner', 'expires_at', NULL);
    END IF;
    SELECT * INTO r FROM core.relationships
    WHERE customer_id = p_customer_id AND service_id = p_service_id AND partner_id = p_partner
    ORDER BY status = 'requested' DESC, status = 'active' DESC, requested_at DESC, ended_at DESC NULLS FIRST
    LIMIT 1;
    RETURN jsonb_build_object(
        'status', CASE WHEN r.id IS NULL THEN 'none' WHEN r.status = 'active' THEN 'expired' ELSE r.status END,
        'expires_at', r.expires_at);
END $$;

-- The subscriptions of a customer in force among some offers, as details show them, but
-- p_except (the subscription an upgrade goes into, which the rules do not count).
-- PL/pgSQL for its cached plan: it runs once per error object of the listing.
CREATE OR REPLACE FUNCTION logic.subscriptions_detail(p_partner text, p_customer_id uuid, p_offer_ids text[],
                                                     p_plans text[] DEFAULT NULL, p_except uuid DEFAULT NULL)
RETURNS jsonb LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN (SELECT coalesce(jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
                       'id', x.id, 'offer', x.offer_id, 'channel', x.channel,
                       'sold_by_you', x.partner_id IS NOT DISTINCT FROM p_partner,
                       'plans', CASE WHEN p_plans IS NOT NULL THEN to_jsonb(ARRAY(
                           SELECT op.service_plan_id FROM core.offer_service_plans op
                           WHERE op.offer_id = x.offer_id AND op.service_plan_id = ANY (p_plans) ORDER BY 1)) END))
                       ORDER BY x.created_at, x.id), '[]')
            FROM core.subscriptions x
            WHERE x.customer_id = p_customer_id AND x.offer_id = ANY (p_offer_ids) AND logic.subscription_in_force(x.status, x.status_reason)
              AND x.id IS DISTINCT FROM p_except);
END $$;

-- The details of each code that applies to a request of partner p_partner (p_request:
-- what it named: subscription_id, target_offer, offer_id, customer_id, quantity (the
-- quantity asked, or the total a license change would reach), billing_cycle, if_version,
-- request_id, operation), as {code: details}; and the request completed with the
-- subscription's customer and offer (only of a subscription the partner sees). p_source:
-- that subscription when the caller has read it and checked that the partner sees it (the
-- upgrades listing, once for all its targets), not read again; ignored unless it is the
-- subscription the request names.
CREATE OR REPLACE FUNCTION logic.error_objects(p_partner text, p_codes text[], p_request jsonb,
                                              p_source core.subscriptions DEFAULT NULL)
RETURNS jsonb LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_read boolean := p_source.id IS NOT NULL AND coalesce(p_source.id = (p_request ->> 'subscription_id')::uuid, false);
    s core.subscriptions := CASE WHEN v_read THEN p_source END;
    i core.subscriptions;  -- the subscription an upgrade goes into (upgrade --into)
    v_request jsonb := coalesce(p_request, '{}'::jsonb);
    v_target text := v_request ->> 'target_offer';
    v_offer text;
    v_customer uuid;
    v_code text;
    d jsonb;
    v_details jsonb := '{}'::jsonb;
BEGIN
    IF coalesce(cardinality(p_codes), 0) = 0 THEN  -- an eligible target, a succeeded operation
        RETURN '[]'::jsonb;
    END IF;
    IF s.id IS NULL AND v_request ? 'subscription_id' THEN
        SELECT * INTO s FROM core.subscriptions WHERE id = (v_request ->> 'subscription_id')::uuid;
    END IF;
    v_customer := coalesce(s.customer_id, (v_request ->> 'customer_id')::uuid);
    IF NOT v_read AND NOT logic.customer_visible(p_partner, v_customer) THEN  -- nothing of what the partner cannot see
        s := NULL;
        v_customer := NULL;
    END IF;
    IF v_request ? 'into_subscription_id' THEN
        SELECT * INTO i FROM core.subscriptions WHERE id = (v_request ->> 'into_subscription_id')::uuid;
        IF i.id IS NOT NULL AND NOT logic.customer_visible(p_partner, i.customer_id) THEN
            i := NULL;
        END IF;
    END IF;
    v_offer := coalesce(s.offer_id, v_request ->> 'offer_id');
    v_request := v_request || jsonb_strip_nulls(jsonb_build_object('customer_id', v_customer, 'offer', v_offer));
    -- One small statement per code that applies (a single statement with a branch per code
    -- would start every branch's plan at each call).
    FOREACH v_code IN ARRAY p_codes LOOP
        IF v_code = 'subscription_not_found' THEN
            d := jsonb_build_object('subscription_id', v_request -> 'subscription_id');
        ELSIF v_code = 'customer_not_found' THEN
            d := jsonb_build_object('customer_id', v_request -> 'customer_id');
        ELSIF v_code = 'offer_not_found' THEN
            d := jsonb_build_object('offer', coalesce(v_target, v_request ->> 'offer_id'));
        ELSIF v_code = 'subscription_does_not_have_any_upgrade_paths' THEN
            d := jsonb_build_object('offer', s.offer_id);
        ELSIF v_code = 'subscription_target_offer_not_found' THEN
            d := jsonb_build_object('offer', s.offer_id, 'target_offer', v_target,
                                    'targets', to_jsonb(ARRAY(SELECT p.target_offer_id FROM core.upgrade_paths p
                                                              WHERE p.source_offer_id = s.offer_id ORDER BY 1)));
        ELSIF v_code = 'subscription_status_not_active' THEN
            d := jsonb_build_object('status', CASE WHEN s.status_reason = 'upgraded' THEN 'upgraded' ELSE s.status END,
                                    'upgraded_to', s.upgraded_to_subscription_id);
        ELSIF v_code = 'subscription_not_provisioned' THEN
            d := jsonb_build_object('status', s.status);
        ELSIF v_code = 'not_reseller_of_record' THEN
            d := jsonb_build_object('channel', s.channel, 'sold_by_you', false);
        ELSIF v_code = 'delegated_admin_permissions_disabled' THEN
            SELECT jsonb_build_object('service', o.service_id) || logic.relationship_state(p_partner, v_customer, o.service_id)
            INTO d FROM core.offers o WHERE o.id = coalesce(v_target, v_offer);
        ELSIF v_code = 'conflicting_service_types' THEN
            -- the subscriptions in force of an offer with a plan the target adds beyond the
            -- source (core.upgrade_path_catalog, as the rule reads it), and those plans
            SELECT logic.subscriptions_detail(p_partner, v_customer, p.plan_conflicting_offers, ARRAY(
                       SELECT tp.service_plan_id FROM core.offer_service_plans tp WHERE tp.offer_id = v_target
                       EXCEPT
                       SELECT sp.service_plan_id FROM core.offer_service_plans sp WHERE sp.offer_id = s.offer_id), i.id)
            INTO d FROM core.upgrade_path_catalog p WHERE p.source_offer_id = s.offer_id AND p.target_offer_id = v_target;
            -- the next step names how each is cancelled: the partner's own by the command,
            -- the others by their seller
            v_request := v_request || jsonb_build_object('cancel_steps', (
                SELECT string_agg(CASE WHEN (x.e ->> 'sold_by_you')::boolean THEN 'subctl subscription cancel ' || (x.e ->> 'id')
                                       WHEN x.e ->> 'channel' = 'direct' THEN (x.e ->> 'id') || ' with 21Vianet (channel direct)'
                                       ELSE (x.e ->> 'id') || ' with its other reseller' END, '; ' ORDER BY x.ord)
                FROM jsonb_array_elements(d) WITH ORDINALITY AS x (e, ord)));
            d := jsonb_build_object('plans', (SELECT coalesce(jsonb_agg(DISTINCT pl), '[]')
                                              FROM jsonb_array_elements(d) y, jsonb_array_elements(y -> 'plans') pl),
                                    'subscriptions', d);
        ELSIF v_code = 'target_offer_already_owned' THEN
            d := jsonb_build_object('offer', v_target,
                                    'subscriptions', logic.subscriptions_detail(p_partner, v_customer, ARRAY[v_target],
                                                                                p_except => i.id));
        ELSIF v_code = 'subscription_add_ons_present' THEN
            d := jsonb_build_object('add_ons', to_jsonb(ARRAY(SELECT x.id FROM core.subscriptions x
                                                              WHERE x.parent_subscription_id = s.id AND x.status <> 'cancelled'
                                                              ORDER BY x.created_at, x.id)));
        ELSIF v_code = 'offer_does_not_support_billing_cycle' THEN
            d := jsonb_build_object('offer', coalesce(v_target, v_offer),
                                    'billing_cycle', coalesce(s.billing_cycle, v_request ->> 'billing_cycle'),
                                    'supported', to_jsonb(ARRAY(SELECT b.billing_cycle FROM core.offer_billing_cycles b
                                                                WHERE b.offer_id = coalesce(v_target, v_offer) ORDER BY 1)));
        ELSIF v_code = 'quantity_out_of_range' THEN
            -- of a license change (change add or remove): the licenses the operator named and
            -- the subscription's quantity besides the total asked
            SELECT jsonb_build_object('offer', o.id, 'min', o.min_quantity, 'max', o.max_quantity, 'asked', v_request -> 'quantity')
                   || CASE WHEN v_request ? 'change' THEN jsonb_build_object('change', v_request -> 'change',
                          'licenses', v_request -> 'licenses', 'current', s.quantity) ELSE '{}' END
                   -- upgrade --into: the quantity asked is what the subscription grows to
                   || CASE WHEN i.id IS NOT NULL THEN jsonb_build_object(
                          'status', 'into', 'into_subscription_id', i.id, 'into_quantity', i.quantity,
                          'added', v_request -> 'quantity_added', 'room', greatest(o.max_quantity - i.quantity, 0)) ELSE '{}' END
            INTO d FROM core.offers o WHERE o.id = coalesce(v_target, v_offer);
        ELSIF v_code = 'version_mismatch' THEN
            d := jsonb_build_object('expected', v_request -> 'if_version', 'current', s.version);
        ELSIF v_code = 'request_id_reused' THEN
            d := jsonb_build_object('request_id', v_request -> 'request_id');
        ELSIF v_code = 'quantity_cannot_be_decreased' THEN
            d := jsonb_build_object('billing_cycle', s.billing_cycle);
        ELSIF v_code = 'invalid_status_transition' THEN
            d := jsonb_build_object('status', s.status, 'operation', v_request -> 'operation');
        ELSIF v_code = 'user_not_found' THEN
            d := jsonb_build_object('users', coalesce(v_request -> 'users_not_found', v_request -> 'users'));
        ELSIF v_code = 'user_exists' THEN
            d := jsonb_build_object('upn', v_request -> 'upn');
        ELSIF v_code = 'license_quantity_exceeded' THEN
            d := jsonb_build_object('assigned', (v_request ->> 'assigned')::bigint, 'quantity', s.quantity,
                                    'asked', (v_request ->> 'asked')::bigint,
                                    'missing', (v_request ->> 'assigned')::bigint + (v_request ->> 'asked')::bigint - s.quantity);
        ELSIF v_code = 'quantity_below_assigned_licenses' THEN
            d := jsonb_build_object('assigned', logic.licenses_assigned(s.id), 'quantity', v_request -> 'quantity');
        ELSIF v_code = 'license_transfer_quantity_insufficient' AND i.id IS NOT NULL THEN
            -- into an existing subscription: the source's licenses of users who hold none of
            -- it, and the licenses it has beyond those it assigns (logic.upgrade_request_errors)
            SELECT jsonb_build_object('status', 'into', 'into_subscription_id', i.id,
                                      'assigned', x.moving, 'quantity', (v_request ->> 'quantity')::bigint,
                                      'into_assigned', x.into_assigned,
                                      'available', (v_request ->> 'quantity')::bigint - x.into_assigned,
                                      'needed', (v_request ->> 'quantity_added')::bigint + x.moving
                                                - ((v_request ->> 'quantity')::bigint - x.into_assigned))
            INTO d
            FROM (SELECT (SELECT count(*) FROM core.license_assignments a
                          WHERE a.subscription_id = s.id AND NOT EXISTS (
                              SELECT 1 FROM core.license_assignments t WHERE t.subscription_id = i.id AND t.user_id = a.user_id))
                         AS moving,
                         logic.licenses_assigned(i.id) AS into_assigned) x;
        ELSIF v_code = 'license_transfer_quantity_insufficient' THEN
            d := jsonb_build_object('assigned', logic.licenses_assigned(s.id), 'quantity', v_request -> 'quantity');
        ELSIF v_code = 'into_subscription_not_found' THEN
            d := jsonb_build_object('into_subscription_id', v_request -> 'into_subscription_id');
        ELSIF v_code = 'into_subscription_other_customer' THEN
            d := jsonb_build_object('into_subscription_id', i.id, 'into_customer_id', i.customer_id);
        ELSIF v_code = 'into_subscription_other_offer' THEN
            d := jsonb_build_object('into_subscription_id', i.id, 'into_offer', i.offer_id, 'target_offer', v_target);
        ELSIF v_code = 'into_subscription_other_billing_cycle' THEN
            d := jsonb_build_object('into_subscription_id', i.id, 'into_billing_cycle', i.billing_cycle,
                                    'billing_cycle', s.billing_cycle);
        ELSIF v_code = 'into_subscription_not_active' THEN
            d := jsonb_build_object('into_subscription_id', i.id,
                                    'status', CASE WHEN i.status_reason = 'upgraded' THEN 'upgraded' ELSE i.status END,
                                    'upgraded_to', i.upgraded_to_subscription_id);
        ELSIF v_code = 'into_subscription_not_reseller_of_record' THEN
            d := jsonb_build_object('into_subscription_id', i.id, 'into_channel', i.channel, 'sold_by_you', false);
        ELSIF v_code = 'add_on_parent_invalid' THEN
            d := jsonb_build_object('offer', v_offer, 'parent_subscription_id', v_request -> 'parent_subscription_id');
        ELSE
            d := '{}';
        END IF;
        v_details := v_details || jsonb_build_object(v_code, coalesce(d, '{}'));
    END LOOP;
    RETURN logic.describe_errors(p_codes, v_details, v_request);
END $$;
COMMENT ON FUNCTION logic.error_objects IS
'The error objects {code, description, details, next_step} of the codes that apply to a request of a partner.';
