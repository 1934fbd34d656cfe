-- 010 — each vocabulary written once.
--
-- 1. The transient SQLSTATEs: failures that a fresh attempt of the same transaction may
--    clear. sql/01_errors.sql fills the table (the build generates the C++ side from the
--    same rows); batches re-raise these instead of rejecting the row, the client retries
--    those marked retried itself and reports the others as exit 75 at once.
CREATE TABLE core.transient_sqlstates (
    sqlstate    char(5) PRIMARY KEY,
    code        text NOT NULL,
    retried     boolean NOT NULL,
    description text NOT NULL,
    CONSTRAINT unique_transient_sqlstates_code UNIQUE (code),
    CONSTRAINT check_transient_sqlstates_sqlstate CHECK (sqlstate ~ '^[0-9A-Z]{5}$' AND sqlstate !~ '^SU')
);
COMMENT ON TABLE core.transient_sqlstates IS
'PostgreSQL SQLSTATEs that a fresh attempt may clear (exit 75); retried: the client retries the transaction itself.';

-- 2. The vocabularies of the schema, each a constant function here: the tables' CHECK
--    constraints (replaced under their names, so a violation reads as before), the code
--    in sql/ and, generated at build time by cmake/sql_rows.awk, the C++ read them. A
--    constant function folds into a constant where it is used, so a check costs what the
--    literal list cost. A later migration that changes one replaces the function.
CREATE FUNCTION core.channels() RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN ARRAY['csp', 'direct', 'other-reseller'];
COMMENT ON FUNCTION core.channels IS
'How a subscription was sold: csp (by a partner, its reseller of record), direct (by the platform), other-reseller.';
CREATE FUNCTION core.billing_cycles() RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN ARRAY['monthly', 'annual'];
COMMENT ON FUNCTION core.billing_cycles IS 'The billing cycles of offers and subscriptions.';
CREATE FUNCTION core.subscription_statuses() RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN ARRAY['pending', 'active', 'suspended', 'cancelled'];
COMMENT ON FUNCTION core.subscription_statuses IS 'The statuses of a subscription (state machine: sql/40_operations).';
CREATE FUNCTION core.subscription_initial_statuses() RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN ARRAY['pending', 'active'];
COMMENT ON FUNCTION core.subscription_initial_statuses IS 'The statuses a subscription may be recorded in.';
CREATE FUNCTION core.relationship_statuses() RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN ARRAY['requested', 'active', 'removed', 'expired'];
COMMENT ON FUNCTION core.relationship_statuses IS 'The statuses of a delegated-admin relationship.';
CREATE FUNCTION core.batch_actions() RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN ARRAY['upgrade', 'add_licenses', 'remove_licenses', 'suspend', 'reactivate', 'cancel'];
COMMENT ON FUNCTION core.batch_actions IS 'The actions a batch file''s row may name.';
CREATE FUNCTION core.batch_row_statuses() RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN ARRAY['pending', 'applied', 'rejected', 'already_applied', 'dry_run'];
COMMENT ON FUNCTION core.batch_row_statuses IS 'The statuses of a batch row.';

-- Formats and limits.
CREATE FUNCTION core.catalog_id_pattern() RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN '^[a-z][a-z0-9]*(-[a-z0-9]+)*$';
COMMENT ON FUNCTION core.catalog_id_pattern IS 'Service, service plan and offer ids: lower-case kebab-case.';
CREATE FUNCTION core.partner_id_pattern() RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN '^[a-z0-9][a-z0-9._-]*$';
COMMENT ON FUNCTION core.partner_id_pattern IS 'Partner ids.';
CREATE FUNCTION core.batch_id_pattern() RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN '^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$';
COMMENT ON FUNCTION core.batch_id_pattern IS 'Batch ids (a batch''s name, or the sha256 of its file).';
CREATE FUNCTION core.id_max_length() RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN 64;
COMMENT ON FUNCTION core.id_max_length IS 'The longest service, service plan, offer or partner id.';
CREATE FUNCTION core.uuid_pattern() RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
COMMENT ON FUNCTION core.uuid_pattern IS
'A subscription or customer id as a command argument or a batch field: a UUID in its canonical 8-4-4-4-12 form.';
CREATE FUNCTION core.quantity_max() RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN 2147483647;
COMMENT ON FUNCTION core.quantity_max IS 'The largest license quantity (a quantity is a whole number from 1).';
CREATE FUNCTION core.request_id_max_length() RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN 200;
COMMENT ON FUNCTION core.request_id_max_length IS 'The longest request id (idempotency key; at least 1 character).';
CREATE FUNCTION core.display_name_max_length() RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN 200;
COMMENT ON FUNCTION core.display_name_max_length IS 'The longest name of a customer, partner or offer (at least 1 character).';

CREATE OR REPLACE FUNCTION core.display_name_problem(p_name text) RETURNS text LANGUAGE sql IMMUTABLE STRICT
RETURN CASE
    WHEN core.display_name_trimmed(p_name) = '' THEN 'is empty'
    WHEN core.display_name_trimmed(p_name) <> p_name THEN 'has leading or trailing spaces'
    WHEN length(p_name) > core.display_name_max_length()
        THEN format('has %s characters, more than %s', length(p_name), core.display_name_max_length())
    WHEN p_name ~ '[[:cntrl:]]' THEN 'holds a control character'
    WHEN core.display_name_format_character(p_name) IS NOT NULL
        THEN format('holds the invisible formatting character U+%s (Unicode category Cf)',
                    upper(lpad(to_hex(ascii(core.display_name_format_character(p_name))), 4, '0')))
END;

-- The constraints that wrote a vocabulary out, now reading it (same names, validated).
ALTER TABLE core.subscriptions
    DROP CONSTRAINT check_subscriptions_status,
    ADD CONSTRAINT check_subscriptions_status CHECK (status = ANY (core.subscription_statuses())),
    DROP CONSTRAINT check_subscriptions_billing_cycle,
    ADD CONSTRAINT check_subscriptions_billing_cycle CHECK (billing_cycle = ANY (core.billing_cycles())),
    DROP CONSTRAINT check_subscriptions_channel,
    ADD CONSTRAINT check_subscriptions_channel CHECK (channel = ANY (core.channels()));
ALTER TABLE core.offer_billing_cycles
    DROP CONSTRAINT check_offer_billing_cycles_billing_cycle,
    ADD CONSTRAINT check_offer_billing_cycles_billing_cycle CHECK (billing_cycle = ANY (core.billing_cycles()));
ALTER TABLE core.relationships
    DROP CONSTRAINT check_relationships_status,
    ADD CONSTRAINT check_relationships_status CHECK (status = ANY (core.relationship_statuses()));
ALTER TABLE core.batches
    DROP CONSTRAINT check_batches_id_format,
    ADD CONSTRAINT check_batches_id_format CHECK (id ~ core.batch_id_pattern());
ALTER TABLE core.batch_rows
    DROP CONSTRAINT check_batch_rows_action,
    ADD CONSTRAINT check_batch_rows_action CHECK (action = ANY (core.batch_actions())),
    DROP CONSTRAINT check_batch_rows_status,
    ADD CONSTRAINT check_batch_rows_status CHECK (status = ANY (core.batch_row_statuses())),
    DROP CONSTRAINT check_batch_rows_request_id_length,
    ADD CONSTRAINT check_batch_rows_request_id_length
        CHECK (length(request_id) BETWEEN 1 AND core.request_id_max_length());
ALTER TABLE core.request_ids
    DROP CONSTRAINT check_request_ids_request_id_length,
    ADD CONSTRAINT check_request_ids_request_id_length
        CHECK (length(request_id) BETWEEN 1 AND core.request_id_max_length());
ALTER TABLE core.services
    DROP CONSTRAINT check_services_id_format,
    ADD CONSTRAINT check_services_id_format CHECK (id ~ core.catalog_id_pattern() AND length(id) <= core.id_max_length());
ALTER TABLE core.service_plans
    DROP CONSTRAINT check_service_plans_id_format,
    ADD CONSTRAINT check_service_plans_id_format
        CHECK (id ~ core.catalog_id_pattern() AND length(id) <= core.id_max_length());
ALTER TABLE core.offers
    DROP CONSTRAINT check_offers_id_format,
    ADD CONSTRAINT check_offers_id_format CHECK (id ~ core.catalog_id_pattern() AND length(id) <= core.id_max_length()),
    DROP CONSTRAINT check_offers_name_length,
    ADD CONSTRAINT check_offers_name_length CHECK (length(name) BETWEEN 1 AND core.display_name_max_length());
ALTER TABLE core.partners
    DROP CONSTRAINT check_partners_id_format,
    ADD CONSTRAINT check_partners_id_format CHECK (id ~ core.partner_id_pattern() AND length(id) <= core.id_max_length()),
    DROP CONSTRAINT check_partners_name_length,
    ADD CONSTRAINT check_partners_name_length
        CHECK (length(name) >= 1 AND length(name) <= core.display_name_max_length() AND name !~ '[[:cntrl:]]');
ALTER TABLE core.customers
    DROP CONSTRAINT check_customers_name_length,
    ADD CONSTRAINT check_customers_name_length
        CHECK (length(name) >= 1 AND length(name) <= core.display_name_max_length() AND name !~ '[[:cntrl:]]');
