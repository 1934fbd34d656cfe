-- 009 — the code leaves core. Tables (and the few functions their constraints and stored
-- hashes depend on) stay in core; every other function moves to schema logic, which
-- `subctl migrate` drops and rebuilds whole from sql/ like api and report. The functions
-- that sql/ made in core until now are dropped here, once, with what depended on them
-- (the triggers and policies on core's tables, the report views: sql/ makes them again
-- in this transaction).
DO $$
DECLARE
    f regprocedure;
BEGIN
    FOR f IN SELECT p.oid::regprocedure FROM pg_proc p
             WHERE p.pronamespace = 'core'::regnamespace
               AND p.proname NOT IN ('display_name_trimmed', 'display_name_format_character', 'display_name_problem',
                                   'audit_event_digest', 'audit_chain_of')
    LOOP
        EXECUTE format('DROP FUNCTION %s CASCADE', f);
    END LOOP;
END $$;
