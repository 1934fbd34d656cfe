-- 011 — the operator's flow (SPEC 7.2): finding a customer by a part of its name or
-- domain, and errors that say what to do next.
--
-- 1. pg_trgm (contrib) in a schema of its own that only the owner may create objects in
--    (a new schema grants nothing to PUBLIC): nothing a login creates can stand in for its
--    operator classes. The code never calls it: the customer search is ILIKE (pg_catalog's
--    operator), which the trigram indexes below serve, so no function is bound to it.
--    An existing pg_trgm in another schema is refused rather than moved under its users.
DO $$
DECLARE
    v_schema name := (SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
                      WHERE e.extname = 'pg_trgm');
BEGIN
    IF v_schema IS NOT NULL AND v_schema <> 'trgm' THEN
        RAISE EXCEPTION 'pg_trgm is installed in schema %; subctl needs it in its own schema trgm', v_schema
            USING HINT = 'ALTER EXTENSION pg_trgm SET SCHEMA trgm (after CREATE SCHEMA trgm), then migrate again';
    END IF;
END $$;
CREATE SCHEMA IF NOT EXISTS trgm;
REVOKE ALL ON SCHEMA trgm FROM PUBLIC;
COMMENT ON SCHEMA trgm IS 'pg_trgm (contrib), for the trigram indexes of the customer search; no login creates objects here.';
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA trgm;

-- `customer list --search TEXT` and a CUSTOMER given by a part of its name: ILIKE
-- '%text%' on the name or the domain (stored lower-case) reads these indexes.
CREATE INDEX index_customers_name_trgm ON core.customers USING gin (name trgm.gin_trgm_ops);
CREATE INDEX index_customers_domain_trgm ON core.customers USING gin (domain trgm.gin_trgm_ops);

-- 2. What an error object says beyond its code (SPEC 7.2): a specific description and the
--    next step, templates whose {placeholders} are filled from the error's details (and
--    the request: subscription_id, target_offer, ...). A code may have one row per case
--    (the value of its details' "status": the relationship's for
--    delegated_admin_permissions_disabled, the subscription's for
--    subscription_status_not_active); case '' is the default. Filled by sql/01_errors.sql.
CREATE TABLE core.error_guidance (
    code        text NOT NULL REFERENCES core.error_codes (code) ON DELETE CASCADE,
    "case"      text NOT NULL DEFAULT '',
    description text,
    next_step   text NOT NULL,
    PRIMARY KEY (code, "case"),
    CONSTRAINT check_error_guidance_next_step CHECK (length(next_step) > 0)
);
COMMENT ON TABLE core.error_guidance IS
'Per error code (and case: the details'' status), the specific description and the next step, with {placeholders} filled from the details.';

-- 3. A relationship's state for the Details page and delegated_admin_permissions_disabled
--    (logic.relationship_state): a partner's past relationships with a customer, and
--    whether another partner holds one, read by customer.
CREATE INDEX index_relationships_customer_service ON core.relationships (customer_id, service_id, partner_id);
