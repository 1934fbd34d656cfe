-- The API of the operator's flow (SPEC 7.2): naming a customer or a subscription as an
-- operator does, a customer's page and a subscription's Details page. A command that
-- takes CUSTOMER or SUBSCRIPTION calls api.customer_resolve / api.subscription_resolve
-- in the same statement, and passes the id to the function it runs: one resolver for
-- every command, and every other API function keeps taking ids.
-- A full id is passed on as it is: the function it names answers for it as for any id
-- (an operation with its coded, audited refusal; a listing with nothing). NULL (an
-- optional argument not given) stays NULL: the resolvers are STRICT.

CREATE OR REPLACE FUNCTION api.customer_resolve(p_customer text)
RETURNS uuid LANGUAGE sql STABLE STRICT SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT CASE WHEN btrim(p_customer) ~ core.uuid_pattern() THEN btrim(p_customer)::uuid
                -- the schema owner acting for no partner is the platform: every customer
                WHEN logic.acting_partner() IS NULL AND logic.login_is_owner() THEN logic.resolve_customer(NULL, p_customer)
                ELSE logic.resolve_customer(logic.require_partner(), p_customer) END
$$;
COMMENT ON FUNCTION api.customer_resolve IS
'The id of the acting partner''s customer named by its id, primary domain, exact name or a part of a name only it has
(for the schema owner acting for no partner: any customer). A full id is returned as it is; NULL gives NULL.
Raises customer_ambiguous (SU037, the candidates as JSON in the detail) or customer_not_found (SU003).';

CREATE OR REPLACE FUNCTION api.subscription_resolve(p_subscription text)
RETURNS uuid LANGUAGE sql STABLE STRICT SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT CASE WHEN btrim(p_subscription) ~ core.uuid_pattern() THEN btrim(p_subscription)::uuid
                ELSE logic.resolve_subscription(logic.require_partner(), p_subscription) END
$$;
COMMENT ON FUNCTION api.subscription_resolve IS
'The id of the subscription (of the acting partner''s customers) named by its id or a unique prefix of core.id_prefix_min_length()+ hex digits.
A full id is returned as it is; NULL gives NULL.
Raises subscription_ambiguous (SU038), subscription_not_found (SU001) or invalid_argument (SU041).';

-- `customer show`: the customer, how the partner sees it, its subscriptions counted by
-- status (every channel) and the partner's relationship with it for every service.
CREATE OR REPLACE FUNCTION api.customer(p_customer text)
RETURNS jsonb LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_partner text := logic.require_partner();
    v_id uuid := logic.resolve_customer(v_partner, p_customer);
BEGIN
    RETURN (SELECT jsonb_build_object(
                'id', c.id, 'name', c.name, 'domain', c.domain, 'created_at', c.created_at,
                'how', pc.how, 'linked_at', pc.linked_at,
                'subscriptions', (SELECT jsonb_object_agg(st.status, (SELECT count(*) FROM core.subscriptions s
                                                                       WHERE s.customer_id = c.id AND s.status = st.status))
                                  FROM unnest(core.subscription_statuses()) AS st (status)),
                'relationships', (SELECT jsonb_agg(jsonb_build_object('service', sv.id)
                                                   || logic.relationship_state(v_partner, c.id, sv.id) ORDER BY sv.id)
                                  FROM core.services sv))
            FROM core.customers c JOIN core.partner_customers pc ON pc.customer_id = c.id AND pc.partner_id = v_partner
            WHERE c.id = v_id);
END $$;
COMMENT ON FUNCTION api.customer IS
'One customer of the acting partner (named as api.customer_resolve accepts): how it is seen (added/linked), its subscriptions by status, the relationship per service.';

-- `subscription show`, the Details page: the subscription (SPEC 6's fields), its offer's
-- name, its add-ons in force, the partner's relationship for the offer's service, and
-- the upgrade listing (api.upgrades itself) with upgrade_now when a target is eligible.
CREATE OR REPLACE FUNCTION api.subscription_details(p_subscription_id uuid)
RETURNS jsonb LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_partner text := logic.require_partner();
    s core.subscriptions;
    o core.offers;
    v_upgrades jsonb;
BEGIN
    SELECT * INTO s FROM core.subscriptions WHERE id = p_subscription_id;
    IF s.id IS NULL OR NOT logic.customer_visible(v_partner, s.customer_id) THEN
        PERFORM logic.raise_error('subscription_not_found', format('subscription %s does not exist', p_subscription_id));
    END IF;
    SELECT * INTO o FROM core.offers WHERE id = s.offer_id;
    v_upgrades := api.upgrades(p_subscription_id);
    RETURN logic.subscription_json(v_partner, s) || jsonb_build_object(
        'offer_name', o.name,
        'add_ons', to_jsonb(ARRAY(SELECT a.id FROM core.subscriptions a
                                  WHERE a.parent_subscription_id = s.id AND a.status <> 'cancelled'
                                  ORDER BY a.created_at, a.id)),
        'licenses_assigned', logic.licenses_assigned(s.id),
        'relationship', logic.relationship_state(v_partner, s.customer_id, o.service_id),
        'upgrade_now', jsonb_path_exists(v_upgrades, '$[*] ? (@.eligible == true)'),
        'upgrades', v_upgrades);
END $$;
COMMENT ON FUNCTION api.subscription_details IS
'The Details page of a subscription: its fields, offer_name, add_ons, licenses_assigned, relationship {status, expires_at}, upgrade_now and upgrades (as api.upgrades).';
