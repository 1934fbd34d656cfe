-- 023 — every function of core pins its search_path.
--
-- The functions below had SQL-standard bodies, whose names were resolved when they were
-- created, so no caller's search_path changed what they read; but the project's rule is
-- that every function pins its search_path, and a SET clause is what a reader (and
-- tests/sql/access_search_path.sql) can check. A SQL function with a SET clause is never
-- inlined: the two that run for every audit event appended (the chain it belongs to, its
-- hash) become PL/pgSQL, whose expression is evaluated without an executor of its own.
-- Their results, and so every stored hash and every constraint, are unchanged.
-- (The functions of logic, api and report are rebuilt from sql/ on every migrate and
-- carry the clause there.)
CREATE OR REPLACE FUNCTION core.audit_event_digest(e core.audit_events, p_previous_id bigint, p_previous_hash bytea)
RETURNS bytea LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN sha256(coalesce(p_previous_hash, '\x'::bytea) || convert_to(jsonb_build_array(
        e.id, p_previous_id, (extract(epoch FROM e.occurred_at) * 1000000)::bigint, e.operation, e.operator, e.partner_id,
        e.source, e.entity, e.entity_id, e.subscription_id, e.subscription_version, e.customer_id, e.changes, e.outcome,
        e.error_codes, e.request_id, e.batch_id, e.comment, e.offer_id, e.login_role)::text, 'UTF8'));
END $$;

CREATE OR REPLACE FUNCTION core.audit_chain_of(p_customer_id uuid, p_partner_id text)
RETURNS text LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN CASE WHEN p_customer_id IS NOT NULL THEN 'customer:' || p_customer_id
                WHEN p_partner_id IS NOT NULL THEN 'partner:' || p_partner_id ELSE 'platform' END;
END $$;

ALTER FUNCTION core.batch_actions() SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION core.batch_id_pattern() SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION core.batch_row_statuses() SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION core.billing_cycles() SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION core.catalog_id_pattern() SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION core.channels() SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION core.display_name_format_character(text) SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION core.display_name_max_length() SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION core.display_name_problem(text) SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION core.display_name_trimmed(text) SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION core.id_max_length() SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION core.id_prefix_min_length() SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION core.partner_id_pattern() SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION core.quantity_max() SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION core.relationship_statuses() SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION core.request_id_max_length() SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION core.subscription_initial_statuses() SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION core.subscription_statuses() SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION core.uuid_pattern() SET search_path = pg_catalog, pg_temp;
