-- 024 — the chain digest reads the same in every session.
--
-- Migration 023 made core.audit_event_digest PL/pgSQL, whose body is parsed in the
-- session that first calls it, with that session's settings: with
-- standard_conforming_strings off (which any login may set) its '\x' literal read as the
-- byte "x", so a chain's first event written by such a session would carry another hash
-- than every other session computes. The empty previous hash is now written '', read the
-- same whatever the setting; the digest is otherwise unchanged.
CREATE OR REPLACE FUNCTION core.audit_event_digest(e core.audit_events, p_previous_id bigint, p_previous_hash bytea)
RETURNS bytea LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN sha256(coalesce(p_previous_hash, ''::bytea) || convert_to(jsonb_build_array(
        e.id, p_previous_id, (extract(epoch FROM e.occurred_at) * 1000000)::bigint, e.operation, e.operator, e.partner_id,
        e.source, e.entity, e.entity_id, e.subscription_id, e.subscription_version, e.customer_id, e.changes, e.outcome,
        e.error_codes, e.request_id, e.batch_id, e.comment, e.offer_id, e.login_role)::text, 'UTF8'));
END $$;
