-- core.upgrade_options: the upgrade rules (logic.upgrade_path_facts) of every subscription
-- a partner sold that is in force, stored, so that the reports read them instead of
-- evaluating the rules over a partner's whole subscription set at every read. Kept by
-- triggers on every table the rules read, in the transaction of the change: a report
-- never shows a state the database was not in. What moves with the clock (the
-- relationship's expiry) is stored both ways and chosen when read (logic.by_relationship_now).

-- A set of error codes as a bit mask, for narrow rows and set-wise counting: bit n stands
-- for the code of SQLSTATE SUnnn (the upgrade rules' codes are SU012-SU019, numbered in
-- the SPEC's order); codes from SU063 on have no bit
-- (tests/sql/reports_upgrade_options_stored.sql checks every stored code has one).
CREATE OR REPLACE FUNCTION logic.error_bit(p_sqlstate text)
RETURNS bigint LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN CASE WHEN substr(p_sqlstate, 3)::int < 63 THEN 1::bigint << substr(p_sqlstate, 3)::int END;
END $$;
CREATE OR REPLACE FUNCTION logic.error_mask(p_codes text[])
RETURNS bigint LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN (SELECT coalesce(bit_or(logic.error_bit(e.sqlstate)), 0) FROM core.error_codes e WHERE e.code = ANY (p_codes));
END $$;
-- The codes of a mask, in SQLSTATE order (the rules' order). With the owner's rights: the
-- report views call it for a reporter, who reads no table of core.
CREATE OR REPLACE FUNCTION logic.error_codes_of(p_mask bigint)
RETURNS text[] LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT ARRAY(SELECT e.code FROM core.error_codes e WHERE p_mask & logic.error_bit(e.sqlstate) <> 0 ORDER BY e.sqlstate)
$$;

-- The rows of core.upgrade_options for some customers: the rules for each subscription's
-- own reseller, each distinct set of codes masked once. PL/pgSQL for its kept plan (see
-- logic.upgrade_path_facts); planned as its caller says (logic.upgrade_options_refresh).
CREATE OR REPLACE FUNCTION logic.upgrade_options_of(p_customer_ids uuid[])
RETURNS SETOF core.upgrade_options LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN QUERY
    WITH f AS MATERIALIZED (SELECT * FROM logic.upgrade_path_facts(p_customer_ids, NULL, true)),
    code_sets AS MATERIALIZED (
        SELECT s.codes, logic.error_mask(s.codes) AS mask
        FROM (SELECT f.error_codes_related AS codes FROM f UNION SELECT f.error_codes_unrelated FROM f) s)
    SELECT f.subscription_id, f.target_offer_id, f.customer_id, f.partner_id, f.source_offer_id,
           f.relationship_expires_at, r.mask, u.mask
    FROM f
    JOIN code_sets r ON r.codes = f.error_codes_related
    JOIN code_sets u ON u.codes = f.error_codes_unrelated;
END $$;

-- Recomputes the stored upgrade options of some customers (NULL: of every customer).
-- Takes the customers' locks first, in id order like every operation (which holds them
-- already): two transactions that change one customer refresh it one after the other,
-- and the later one reads what the earlier one committed. The few customers of one
-- operation use the session's generic plans of the rules' statements (planning them
-- again at each call would cost more than running them); more customers (a batch wave,
-- a mass change, all) get plans made for their number (plan_cache_mode, set here for the
-- functions this one calls: logic.upgrade_options_of, logic.upgrade_path_facts).
CREATE OR REPLACE FUNCTION logic.upgrade_options_refresh(p_customer_ids uuid[])
RETURNS void LANGUAGE plpgsql VOLATILE SET plan_cache_mode = force_generic_plan SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_customer_ids uuid[] := p_customer_ids;
BEGIN
    IF v_customer_ids IS NULL THEN
        LOCK TABLE core.upgrade_options IN EXCLUSIVE MODE;
        DELETE FROM core.upgrade_options;
        v_customer_ids := ARRAY(SELECT id FROM core.customers);
    ELSE
        PERFORM 1 FROM core.customers WHERE id = ANY (v_customer_ids) ORDER BY id FOR NO KEY UPDATE;
        DELETE FROM core.upgrade_options WHERE customer_id = ANY (v_customer_ids);
    END IF;
    IF cardinality(v_customer_ids) > 16 THEN  -- until this function returns (its SET clause)
        PERFORM set_config('plan_cache_mode', 'force_custom_plan', true);
    END IF;
    INSERT INTO core.upgrade_options SELECT * FROM logic.upgrade_options_of(v_customer_ids);
END $$;
COMMENT ON FUNCTION logic.upgrade_options_refresh IS
'Recomputes core.upgrade_options for some customers (NULL: all) from logic.upgrade_path_facts.';

-- Inside an operation (logic.run_operation, a batch chunk: logic.upgrade_options_deferred)
-- the customers a statement changed are only noted (subctl.upgrade_options_pending) and
-- refreshed once when the operation ends (logic.upgrade_options_flush), still in its
-- transaction: an upgrade's two statements (the target's INSERT, the source's UPDATE)
-- and a batch wave's cost one refresh, not one each. Only reports read the stored rows,
-- and no operation reads a report.
CREATE OR REPLACE FUNCTION logic.upgrade_options_deferred()
RETURNS boolean LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN coalesce(logic.setting('upgrade_options_deferred') = 'on', false);
END $$;

-- Begins deferring (see above); returns whether an enclosing operation already did, in
-- which case that one flushes.
CREATE OR REPLACE FUNCTION logic.upgrade_options_defer()
RETURNS boolean LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_enclosed boolean := logic.upgrade_options_deferred();
BEGIN
    IF NOT v_enclosed THEN
        PERFORM set_config('subctl.upgrade_options_deferred', 'on', true);
    END IF;
    RETURN v_enclosed;
END $$;

-- Ends deferring begun by logic.upgrade_options_defer (unless p_enclosed: the enclosing
-- operation ends it) and refreshes the customers noted since, once each.
CREATE OR REPLACE FUNCTION logic.upgrade_options_flush(p_enclosed boolean DEFAULT false)
RETURNS void LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_customers uuid[];
BEGIN
    IF p_enclosed THEN
        RETURN;
    END IF;
    v_customers := ARRAY(SELECT DISTINCT c::uuid FROM unnest(string_to_array(logic.setting('upgrade_options_pending'), ',')) c);
    PERFORM set_config('subctl.upgrade_options_pending', '', true),
            set_config('subctl.upgrade_options_deferred', '', true);
    IF cardinality(v_customers) > 0 THEN
        PERFORM logic.upgrade_options_refresh(v_customers);
    END IF;
END $$;

-- After each statement on a table the rules read: the customers whose rows changed in
-- what the rules read (subscriptions, relationships) are refreshed (inside an operation:
-- noted, see above); a change of the catalog's paths, plans, cycles or an offer's service
-- (or a TRUNCATE) refreshes everyone at once.
CREATE OR REPLACE FUNCTION logic.upgrade_options_follow()
RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_customers uuid[];
    v_catalog_changed boolean := false;
BEGIN
    -- one statement per kind of trigger: each names only the transition tables it has
    IF TG_OP = 'TRUNCATE' THEN
        v_catalog_changed := true;
    ELSIF TG_TABLE_NAME = 'subscriptions' AND TG_OP = 'UPDATE' THEN
        -- the columns logic.upgrade_path_facts reads (a license change reads none)
        SELECT array_agg(DISTINCT c) INTO v_customers
        FROM old_rows o JOIN new_rows n USING (id), unnest(ARRAY[o.customer_id, n.customer_id]) c
        WHERE (o.customer_id, o.offer_id, o.status, o.status_reason, o.partner_id, o.billing_cycle, o.parent_subscription_id)
              IS DISTINCT FROM
              (n.customer_id, n.offer_id, n.status, n.status_reason, n.partner_id, n.billing_cycle, n.parent_subscription_id);
    ELSIF TG_TABLE_NAME = 'relationships' AND TG_OP = 'UPDATE' THEN
        SELECT array_agg(DISTINCT c) INTO v_customers
        FROM old_rows o JOIN new_rows n USING (id), unnest(ARRAY[o.customer_id, n.customer_id]) c
        WHERE (o.customer_id, o.service_id, o.partner_id, o.status, o.expires_at)
              IS DISTINCT FROM (n.customer_id, n.service_id, n.partner_id, n.status, n.expires_at);
    ELSIF TG_TABLE_NAME IN ('subscriptions', 'relationships') AND TG_OP = 'INSERT' THEN
        SELECT array_agg(DISTINCT customer_id) INTO v_customers FROM new_rows;
    ELSIF TG_TABLE_NAME IN ('subscriptions', 'relationships') THEN
        SELECT array_agg(DISTINCT customer_id) INTO v_customers FROM old_rows;
    ELSIF TG_TABLE_NAME = 'offers' THEN  -- of an offer, the rules read only its service
        v_catalog_changed := EXISTS (SELECT FROM old_rows o JOIN new_rows n USING (id)
                                     WHERE o.service_id IS DISTINCT FROM n.service_id);
    ELSIF TG_OP = 'DELETE' THEN
        v_catalog_changed := EXISTS (SELECT FROM old_rows);
    ELSE
        v_catalog_changed := EXISTS (SELECT FROM new_rows);
    END IF;
    IF v_catalog_changed THEN
        PERFORM logic.upgrade_path_catalog_refresh(), logic.upgrade_options_refresh(NULL);
    ELSIF v_customers IS NOT NULL AND logic.upgrade_options_deferred() THEN
        PERFORM set_config('subctl.upgrade_options_pending',
                           concat_ws(',', logic.setting('upgrade_options_pending'), array_to_string(v_customers, ',')), true);
    ELSIF v_customers IS NOT NULL THEN
        PERFORM logic.upgrade_options_refresh(v_customers);
    END IF;
    RETURN NULL;
END $$;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['subscriptions', 'relationships', 'upgrade_paths', 'offer_service_plans',
                             'offer_billing_cycles'] LOOP
        PERFORM logic.create_statement_triggers(t, 'upgrade_options', 'logic.upgrade_options_follow');
        EXECUTE format('CREATE OR REPLACE TRIGGER upgrade_options_truncates AFTER TRUNCATE ON core.%I '
                       'FOR EACH STATEMENT EXECUTE FUNCTION logic.upgrade_options_follow()', t);
    END LOOP;
END $$;
-- an offer's inserts and deletions change no path (paths reference offers), its service does
CREATE OR REPLACE TRIGGER upgrade_options_updates AFTER UPDATE ON core.offers
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION logic.upgrade_options_follow();

-- Every migrate: the rules above may have changed.
SELECT logic.upgrade_path_catalog_refresh(), logic.upgrade_options_refresh(NULL);
