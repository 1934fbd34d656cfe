-- Applying a declarative catalog (config/catalog/*.toml, converted to jsonb by the C++
-- layer): validated whole, then applied idempotently. Offers that disappeared are
-- retired, never deleted; the upgrade paths become exactly the file's.
--
-- {"services": [{"id", "name", "plans": [..]}],
--  "offers": [{"id", "name", "service", "plans": [..], "billing_cycles": [..], "min", "max",
--              "add_on_to": [..], "upgrades_to": [..]}]}

-- A license quantity written as text (a catalog's min or max, a batch row's quantity): a
-- whole number from 1 to core.quantity_max(), no sign and no more digits than that has.
-- (PL/pgSQL: called for every row of a batch file, and its plan is kept)
CREATE OR REPLACE FUNCTION logic.quantity_text_valid(p_value text)
RETURNS boolean LANGUAGE plpgsql IMMUTABLE STRICT SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN CASE WHEN p_value ~ ('^[0-9]{1,' || length(core.quantity_max()::text) || '}$')
                THEN p_value::bigint BETWEEN 1 AND core.quantity_max() ELSE false END;
END $$;

-- Every problem of a catalog document, one line each, naming the entry.
CREATE OR REPLACE FUNCTION logic.catalog_problems(c jsonb)
RETURNS SETOF text LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp BEGIN ATOMIC
    WITH RECURSIVE services AS (SELECT s ->> 'id' AS id, s FROM jsonb_array_elements(coalesce(c -> 'services', '[]')) s),
         plans AS (SELECT s.id AS service_id, p #>> '{}' AS id
                   FROM services s, jsonb_array_elements(coalesce(s.s -> 'plans', '[]')) p),
         offers AS (SELECT o ->> 'id' AS id, o FROM jsonb_array_elements(coalesce(c -> 'offers', '[]')) o),
         paths AS (SELECT o.id AS source, t #>> '{}' AS target
                   FROM offers o, jsonb_array_elements(coalesce(o.o -> 'upgrades_to', '[]')) t),
         closure (source, target, trail) AS (
             SELECT source, target, ARRAY[source, target] FROM paths
             UNION ALL
             SELECT c.source, p.target, c.trail || p.target
             FROM closure c JOIN paths p ON p.source = c.target
             WHERE NOT p.target = ANY (c.trail[2:]))
    SELECT 'catalog has no offers' WHERE NOT EXISTS (SELECT 1 FROM offers)
    UNION ALL
    SELECT format('service %s: duplicate id', id) FROM services GROUP BY id HAVING count(*) > 1
    UNION ALL
    SELECT format('offer %s: duplicate id', id) FROM offers GROUP BY id HAVING count(*) > 1
    UNION ALL
    SELECT format('service %s: id must be lower-case kebab-case', coalesce(id, '(missing)'))
    FROM services WHERE id IS NULL OR id !~ core.catalog_id_pattern()
    UNION ALL
    SELECT format('offer %s: id must be lower-case kebab-case', coalesce(id, '(missing)'))
    FROM offers WHERE id IS NULL OR id !~ core.catalog_id_pattern()
    UNION ALL
    SELECT format('offer %s: name must have 1 to %s characters', id, core.display_name_max_length())
    FROM offers WHERE length(coalesce(o ->> 'name', '')) NOT BETWEEN 1 AND core.display_name_max_length()
    UNION ALL
    SELECT format('offer %s: unknown service %s', id, coalesce(o ->> 'service', '(missing)'))
    FROM offers WHERE NOT EXISTS (SELECT 1 FROM services s WHERE s.id = offers.o ->> 'service')
    UNION ALL
    SELECT format('offer %s: unknown service plan %s', o.id, p #>> '{}')
    FROM offers o, jsonb_array_elements(coalesce(o.o -> 'plans', '[]')) p
    WHERE NOT EXISTS (SELECT 1 FROM plans WHERE plans.id = p #>> '{}' AND plans.service_id = o.o ->> 'service')
    UNION ALL
    SELECT format('offer %s: unknown billing cycle %s', o.id, b #>> '{}')
    FROM offers o, jsonb_array_elements(coalesce(o.o -> 'billing_cycles', '[]')) b
    WHERE b #>> '{}' <> ALL (core.billing_cycles())
    UNION ALL
    SELECT format('offer %s: needs at least one billing cycle', id)
    FROM offers WHERE jsonb_array_length(coalesce(o -> 'billing_cycles', '[]')) = 0
    UNION ALL
    SELECT format('offer %s: min and max must be whole numbers with 1 <= min <= max <= %s (min %s, max %s)',
                  id, core.quantity_max(), coalesce(o ->> 'min', '1'), coalesce(o ->> 'max', '(missing)'))
    FROM offers
    WHERE NOT logic.quantity_text_valid(coalesce(o ->> 'min', '1')) OR NOT logic.quantity_text_valid(coalesce(o ->> 'max', ''))
       OR (o ->> 'max')::bigint < coalesce(o ->> 'min', '1')::bigint
    UNION ALL
    SELECT format('offer %s: add-on to unknown offer %s', o.id, a #>> '{}')
    FROM offers o, jsonb_array_elements(coalesce(o.o -> 'add_on_to', '[]')) a
    WHERE NOT EXISTS (SELECT 1 FROM offers p WHERE p.id = a #>> '{}' AND p.o -> 'add_on_to' IS NULL)
    UNION ALL
    SELECT format('offer %s: upgrade path to unknown offer %s', source, target)
    FROM paths WHERE NOT EXISTS (SELECT 1 FROM offers WHERE id = target)
    UNION ALL
    SELECT format('offer %s: upgrade path to itself', source) FROM paths WHERE source = target
    UNION ALL
    SELECT format('offer %s: upgrade path %s -> %s involves an add-on', source, source, target)
    FROM paths p WHERE EXISTS (SELECT 1 FROM offers o WHERE o.id IN (p.source, p.target) AND o.o -> 'add_on_to' IS NOT NULL)
    UNION ALL
    SELECT format('offer %s: upgrade path %s -> %s crosses services', p.source, p.source, p.target)
    FROM paths p JOIN offers s ON s.id = p.source JOIN offers t ON t.id = p.target
    WHERE s.o ->> 'service' <> t.o ->> 'service'
    UNION ALL
    SELECT DISTINCT format('offer %s: upgrade paths form a cycle', source)
    FROM closure WHERE source = target AND source <> trail[2];
END;

-- jit off: the planner's guesses for jsonb_array_elements and the recursive closure make
-- JIT compile these tiny queries, which took about a second per apply. Warnings only:
-- the NOTICE of dropping a temp table that does not exist is noise.
CREATE OR REPLACE FUNCTION api.catalog_apply(p_catalog jsonb, p_comment text DEFAULT NULL, p_request_id text DEFAULT NULL)
RETURNS jsonb LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET jit = off
    SET client_min_messages = warning AS $$
DECLARE
    v_problems text[] := ARRAY(SELECT logic.catalog_problems(p_catalog) ORDER BY 1);
    v_before jsonb;
    v_after jsonb;
    v_comment text := logic.require_comment(p_comment);  -- checked even when nothing changes
    -- the request names the document by its digest (a request id replays only the same document)
    v_parameters jsonb := jsonb_build_object('catalog_sha256', encode(sha256(convert_to(p_catalog::text, 'UTF8')), 'hex'));
    v_result jsonb;
BEGIN
    IF cardinality(v_problems) > 0 THEN
        PERFORM logic.raise_error('invalid_catalog', 'invalid catalog: ' || array_to_string(v_problems, '; '),
                                 array_to_string(v_problems, E'\n'));
    END IF;
    -- One catalog change at a time.
    LOCK TABLE core.offers IN SHARE ROW EXCLUSIVE MODE;
    v_result := logic.platform_begin('catalog_apply', v_parameters, p_request_id, v_comment);
    IF v_result IS NOT NULL THEN  -- a replay, or the request id reused
        RETURN v_result;
    END IF;
    v_before := api.catalog();

    -- Set-valued attributes become exactly the file's. Paths that go are deleted before the
    -- offers change, so that an offer leaving every path may become an add-on.
    DROP TABLE IF EXISTS pg_temp.catalog_offer_sets;
    CREATE TEMP TABLE catalog_offer_sets ON COMMIT DROP AS
    SELECT x ->> 'id' AS offer_id, 'plan' AS kind, v #>> '{}' AS value
    FROM jsonb_array_elements(p_catalog -> 'offers') x, jsonb_array_elements(coalesce(x -> 'plans', '[]')) v
    UNION ALL
    SELECT x ->> 'id', 'cycle', v #>> '{}'
    FROM jsonb_array_elements(p_catalog -> 'offers') x, jsonb_array_elements(coalesce(x -> 'billing_cycles', '[]')) v
    UNION ALL
    SELECT x ->> 'id', 'parent', v #>> '{}'
    FROM jsonb_array_elements(p_catalog -> 'offers') x, jsonb_array_elements(coalesce(x -> 'add_on_to', '[]')) v
    UNION ALL
    SELECT x ->> 'id', 'path', v #>> '{}'
    FROM jsonb_array_elements(p_catalog -> 'offers') x, jsonb_array_elements(coalesce(x -> 'upgrades_to', '[]')) v;

    DELETE FROM core.upgrade_paths u WHERE NOT EXISTS (
        SELECT 1 FROM catalog_offer_sets WHERE kind = 'path' AND offer_id = u.source_offer_id AND value = u.target_offer_id);

    INSERT INTO core.services (id, name)
    SELECT s ->> 'id', coalesce(s ->> 'name', s ->> 'id') FROM jsonb_array_elements(p_catalog -> 'services') s
    ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name WHERE services.name IS DISTINCT FROM EXCLUDED.name;

    INSERT INTO core.service_plans (id, service_id)
    SELECT p #>> '{}', s ->> 'id'
    FROM jsonb_array_elements(p_catalog -> 'services') s, jsonb_array_elements(coalesce(s -> 'plans', '[]')) p
    ON CONFLICT (id) DO NOTHING;

    INSERT INTO core.offers AS o (id, service_id, name, min_quantity, max_quantity, is_add_on, retired)
    SELECT x ->> 'id', x ->> 'service', x ->> 'name', coalesce((x ->> 'min')::integer, 1), (x ->> 'max')::integer,
           x -> 'add_on_to' IS NOT NULL, false
    FROM jsonb_array_elements(p_catalog -> 'offers') x
    ON CONFLICT (id) DO UPDATE
        SET service_id = EXCLUDED.service_id, name = EXCLUDED.name, min_quantity = EXCLUDED.min_quantity,
            max_quantity = EXCLUDED.max_quantity, is_add_on = EXCLUDED.is_add_on, retired = false
        WHERE (o.service_id, o.name, o.min_quantity, o.max_quantity, o.is_add_on, o.retired)
              IS DISTINCT FROM (EXCLUDED.service_id, EXCLUDED.name, EXCLUDED.min_quantity,
                                EXCLUDED.max_quantity, EXCLUDED.is_add_on, false);

    UPDATE core.offers SET retired = true
    WHERE NOT retired AND id NOT IN (SELECT x ->> 'id' FROM jsonb_array_elements(p_catalog -> 'offers') x);

    DELETE FROM core.offer_service_plans u WHERE NOT EXISTS (
        SELECT 1 FROM catalog_offer_sets WHERE kind = 'plan' AND offer_id = u.offer_id AND value = u.service_plan_id);
    DELETE FROM core.offer_billing_cycles u WHERE NOT EXISTS (
        SELECT 1 FROM catalog_offer_sets WHERE kind = 'cycle' AND offer_id = u.offer_id AND value = u.billing_cycle);
    DELETE FROM core.offer_add_on_parents u WHERE NOT EXISTS (
        SELECT 1 FROM catalog_offer_sets WHERE kind = 'parent' AND offer_id = u.add_on_offer_id AND value = u.parent_offer_id);
    INSERT INTO core.offer_service_plans SELECT offer_id, value FROM catalog_offer_sets WHERE kind = 'plan'
        ON CONFLICT DO NOTHING;
    INSERT INTO core.offer_billing_cycles SELECT offer_id, value FROM catalog_offer_sets WHERE kind = 'cycle'
        ON CONFLICT DO NOTHING;
    INSERT INTO core.offer_add_on_parents SELECT offer_id, value FROM catalog_offer_sets WHERE kind = 'parent'
        ON CONFLICT DO NOTHING;
    INSERT INTO core.upgrade_paths SELECT offer_id, value FROM catalog_offer_sets WHERE kind = 'path'
        ON CONFLICT DO NOTHING;

    v_after := api.catalog();
    -- one event either way (every attempted operation has one): no changed fields when
    -- the document was the catalog already
    INSERT INTO core.audit_events (operation, operator, partner_id, source, entity, changes, outcome, request_id, comment)
    VALUES ('catalog_apply', logic.acting_operator(), logic.acting_audit_partner(), logic.acting_source(), 'catalog',
            CASE WHEN v_after IS DISTINCT FROM v_before THEN jsonb_build_object('catalog', jsonb_build_array(v_before, v_after))
                 ELSE '{}' END, 'succeeded', p_request_id, v_comment);
    RETURN logic.platform_result('catalog_apply', v_parameters, p_request_id, jsonb_build_object(
        'status', 'succeeded', 'changed', v_after IS DISTINCT FROM v_before,
        'offers', jsonb_array_length(v_after -> 'offers'), 'upgrade_paths', jsonb_array_length(v_after -> 'upgrade_paths'),
        'errors', '[]'::jsonb));
END $$;
COMMENT ON FUNCTION api.catalog_apply IS
'Applies a catalog document (validated whole; idempotent; missing offers are retired).
Returns {status, changed, offers, upgrade_paths, request_id, errors}; raises SU060 naming every invalid entry. p_comment and
p_request_id are kept in its audit event; a request id used before with the same document returns its first result, with
another request_id_reused.';

CREATE OR REPLACE FUNCTION api.catalog()
RETURNS jsonb LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT jsonb_build_object(
        'offers', coalesce((SELECT jsonb_agg(jsonb_build_object(
            'id', o.id, 'name', o.name, 'service', o.service_id, 'min', o.min_quantity, 'max', o.max_quantity,
            'add_on', o.is_add_on, 'retired', o.retired,
            'plans', ARRAY(SELECT service_plan_id FROM core.offer_service_plans WHERE offer_id = o.id ORDER BY 1),
            'billing_cycles', ARRAY(SELECT billing_cycle FROM core.offer_billing_cycles WHERE offer_id = o.id ORDER BY 1),
            'add_on_to', ARRAY(SELECT parent_offer_id FROM core.offer_add_on_parents WHERE add_on_offer_id = o.id ORDER BY 1),
            'upgrades_to', ARRAY(SELECT target_offer_id FROM core.upgrade_paths WHERE source_offer_id = o.id ORDER BY 1))
            ORDER BY o.id) FROM core.offers o), '[]'),
        'upgrade_paths', coalesce((SELECT jsonb_agg(jsonb_build_object('source_offer', source_offer_id,
                                                                      'target_offer', target_offer_id)
                                            ORDER BY source_offer_id, target_offer_id)
                                   FROM core.upgrade_paths), '[]'))
$$;
COMMENT ON FUNCTION api.catalog IS 'The catalog: offers (with plans, billing cycles, add-on parents, upgrade targets) and upgrade paths.';
