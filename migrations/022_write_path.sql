-- 022 — cheaper writes, the same rules and the same stored hashes.
--
-- 1. core.audit_event_digest is STABLE, as its body is (jsonb_build_array and convert_to
--    are STABLE). Declared IMMUTABLE, PostgreSQL would not inline it into the statement
--    or expression that calls it, and called it as a function for every event appended.
--    Its definition, and so every stored hash, is unchanged.
ALTER FUNCTION core.audit_event_digest(core.audit_events, bigint, bytea) STABLE;

-- 2. The check after each statement that adds or moves license assignments counts the
--    assignments of each subscription the statement touched, one index probe each. As a
--    join of those subscriptions with every assignment it was planned as a merge join
--    over the whole table, for every upgrade wave that moves licenses.
CREATE OR REPLACE FUNCTION core.check_license_assignments()
RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_subscription uuid;
    v_quantity integer;
    v_assigned bigint;
BEGIN
    IF NOT EXISTS (SELECT FROM new_rows) THEN
        RETURN NULL;
    END IF;
    PERFORM 1 FROM core.customers c WHERE c.id IN (SELECT n.customer_id FROM new_rows n) ORDER BY c.id FOR NO KEY UPDATE;
    SELECT n.subscription_id INTO v_subscription FROM new_rows n JOIN core.subscriptions s ON s.id = n.subscription_id
    WHERE s.customer_id <> n.customer_id LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'check_violation', CONSTRAINT = 'check_license_assignments_customer',
            TABLE = 'license_assignments', SCHEMA = 'core',
            MESSAGE = format('check_license_assignments_customer: subscription %s is not of the user''s customer', v_subscription);
    END IF;
    SELECT s.id, s.quantity, a.assigned INTO v_subscription, v_quantity, v_assigned
    FROM (SELECT DISTINCT n.subscription_id FROM new_rows n) n
    JOIN core.subscriptions s ON s.id = n.subscription_id
    CROSS JOIN LATERAL (SELECT count(*) AS assigned FROM core.license_assignments a
                        WHERE a.subscription_id = n.subscription_id) a
    WHERE a.assigned > s.quantity LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'SU026', CONSTRAINT = 'check_license_assignments_within_quantity',
            MESSAGE = format('check_license_assignments_within_quantity: subscription %s would hold %s assigned licenses, more than its quantity %s',
                             v_subscription, v_assigned, v_quantity);
    END IF;
    RETURN NULL;
END $$;
