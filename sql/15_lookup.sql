-- Naming a customer or a subscription the way an operator does (SPEC 7.2): a customer by
-- its id, primary domain or name, a subscription by its id or a unique prefix of it.
-- Only what the partner sees is ever matched, counted or listed: another partner's
-- customer or subscription is "not found", never a candidate.

-- A text as a LIKE/ILIKE pattern that matches it literally.
CREATE OR REPLACE FUNCTION logic.like_literal(p_text text)
RETURNS text LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN replace(replace(replace(p_text, E'\\', E'\\\\'), '%', E'\\%'), '_', E'\\_');
END $$;

-- The customer of p_partner that p_text names: its id, its primary domain, the exact name
-- (case-insensitive) of one visible customer, else a part of a name that only one
-- visible customer has. Several: customer_ambiguous, the candidates in the message (and
-- as JSON in the detail); none: customer_not_found. A whole name is read from the index on
-- lower(name) (migrations/012), a part of one with ILIKE from the trigram index (011).
-- p_partner NULL is the platform, which sees every customer (api.customer_resolve passes
-- it only for the schema owner's session acting for no partner).
CREATE OR REPLACE FUNCTION logic.resolve_customer(p_partner text, p_text text)
RETURNS uuid LANGUAGE plpgsql STABLE SET plan_cache_mode = force_custom_plan SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_text text := btrim(p_text);
    v_ids uuid[];
    v_candidates jsonb;
BEGIN
    IF v_text IS NULL OR v_text = '' THEN
        PERFORM logic.raise_error('invalid_argument', 'CUSTOMER is empty: give its id, domain or name');
    END IF;
    IF v_text ~* '^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$' THEN
        IF logic.customer_visible(p_partner, v_text::uuid)
           OR (p_partner IS NULL AND EXISTS (SELECT 1 FROM core.customers WHERE id = v_text::uuid)) THEN
            RETURN v_text::uuid;
        END IF;
        PERFORM logic.raise_error('customer_not_found', format('customer %s does not exist', lower(v_text)));
    END IF;
    SELECT array_agg(c.id) INTO v_ids FROM core.customers c
    WHERE c.domain = lower(v_text) AND (p_partner IS NULL OR logic.customer_visible(p_partner, c.id));
    IF cardinality(v_ids) = 1 THEN
        RETURN v_ids[1];
    END IF;
    IF length(v_text) > core.display_name_max_length() THEN  -- no name is as long: not read
        PERFORM logic.raise_error('customer_not_found', format('no customer has the id or domain %s', to_json(left(v_text, 80) || '…')),
                                 NULL, 'subctl customer list --search TEXT');
    END IF;
    v_ids := ARRAY(SELECT c.id FROM core.customers c
                   WHERE lower(c.name) = lower(v_text) AND (p_partner IS NULL OR logic.customer_visible(p_partner, c.id))
                   ORDER BY c.name, c.id LIMIT 11);
    IF cardinality(v_ids) = 0 THEN
        v_ids := ARRAY(SELECT c.id FROM core.customers c
                       WHERE c.name ILIKE '%' || logic.like_literal(v_text) || '%' AND (p_partner IS NULL OR logic.customer_visible(p_partner, c.id))
                       ORDER BY c.name, c.id LIMIT 11);
    END IF;
    IF cardinality(v_ids) = 1 THEN
        RETURN v_ids[1];
    ELSIF cardinality(v_ids) = 0 THEN
        PERFORM logic.raise_error('customer_not_found', format('no customer has the id, domain or name %s', to_json(v_text)),
                                 NULL, 'subctl customer list --search TEXT');
    END IF;
    SELECT jsonb_agg(jsonb_build_object('id', c.id, 'name', c.name, 'domain', c.domain) ORDER BY c.name, c.id)
    INTO v_candidates FROM core.customers c WHERE c.id = ANY (v_ids[1:10]);
    PERFORM logic.raise_error('customer_ambiguous',
        format('%s matches %s customers: %s', to_json(v_text), CASE WHEN cardinality(v_ids) > 10 THEN 'more than 10' ELSE cardinality(v_ids)::text END,
               (SELECT string_agg(format('%s (%s%s)', x ->> 'name', coalesce((x ->> 'domain') || ', ', ''), x ->> 'id'), '; ')
                FROM jsonb_array_elements(v_candidates) x)),
        v_candidates::text, 'name one by its id or domain');
    RETURN NULL;  -- not reached: logic.raise_error raises
END $$;

-- The subscription of p_partner's customers that p_text names: its id, or a prefix of at
-- least core.id_prefix_min_length() hexadecimal digits of it (with or without the hyphens
-- of the canonical form), read as a range of the primary key. Several:
-- subscription_ambiguous with the candidates; none: subscription_not_found; fewer digits:
-- invalid_argument.
CREATE OR REPLACE FUNCTION logic.resolve_subscription(p_partner text, p_text text)
RETURNS uuid LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_text text := lower(btrim(p_text));
    v_hex text := replace(lower(btrim(p_text)), '-', '');
    v_low uuid;
    v_high uuid;
    v_ids uuid[];
BEGIN
    IF v_text IS NULL OR v_hex !~ '^[0-9a-f]{1,32}$' THEN
        PERFORM logic.raise_error('invalid_argument', format('SUBSCRIPTION %s is not a subscription id or a prefix of one',
                                                             to_json(p_text)));
    END IF;
    IF length(v_hex) < core.id_prefix_min_length() THEN
        PERFORM logic.raise_error('invalid_argument', format('SUBSCRIPTION %s is too short: give at least %s characters of the id',
                                                             to_json(p_text), core.id_prefix_min_length()));
    END IF;
    v_low := rpad(v_hex, 32, '0')::uuid;
    v_high := rpad(v_hex, 32, 'f')::uuid;
    IF position('-' IN v_text) > 0 AND left(v_low::text, length(v_text)) <> v_text THEN
        PERFORM logic.raise_error('invalid_argument', format('SUBSCRIPTION %s: hyphens go where the canonical form has them (8-4-4-4-12)',
                                                             to_json(p_text)));
    END IF;
    v_ids := ARRAY(SELECT s.id FROM core.subscriptions s
                   WHERE s.id BETWEEN v_low AND v_high AND logic.customer_visible(p_partner, s.customer_id)
                   ORDER BY s.id LIMIT 11);
    IF cardinality(v_ids) = 1 THEN
        RETURN v_ids[1];
    ELSIF cardinality(v_ids) = 0 THEN
        PERFORM logic.raise_error('subscription_not_found', format('subscription %s does not exist',
            CASE WHEN length(v_hex) = 32 THEN v_low::text ELSE v_text || '...' END));
    END IF;
    PERFORM logic.raise_error('subscription_ambiguous',
        format('%s is the start of %s subscription ids: %s', to_json(p_text),
               CASE WHEN cardinality(v_ids) > 10 THEN 'more than 10' ELSE cardinality(v_ids)::text END,
               (SELECT string_agg(format('%s (%s)', s.id, s.offer_id), ', ' ORDER BY s.id)
                FROM core.subscriptions s WHERE s.id = ANY (v_ids[1:10]))),
        (SELECT jsonb_agg(jsonb_build_object('id', s.id, 'customer_id', s.customer_id, 'offer_id', s.offer_id) ORDER BY s.id)
         FROM core.subscriptions s WHERE s.id = ANY (v_ids[1:10]))::text,
        'give more characters of the id');
    RETURN NULL;  -- not reached: logic.raise_error raises
END $$;
