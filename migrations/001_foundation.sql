-- 001 — the foundation: catalog, partners, customers, relationships, subscriptions,
-- audit trail and idempotency keys. Tables live in the private schema `core`; the API
-- (schema `api`) and the reports (schema `report`) are code, re-created from sql/
-- after the migrations in the same transaction; so are the triggers and their functions.

CREATE SCHEMA IF NOT EXISTS core;  -- the migration runner creates it for its tracking table
COMMENT ON SCHEMA core IS 'Private tables of subctl; reach them through the api and report schemas.';

-- Error codes: the contract between the SQL rules, the C++ layer and operators' scripts.
CREATE TABLE core.error_codes (
    code        text PRIMARY KEY,
    sqlstate    char(5) NOT NULL,
    exit_code   smallint NOT NULL,
    description text NOT NULL,
    CONSTRAINT unique_error_codes_sqlstate UNIQUE (sqlstate),
    CONSTRAINT check_error_codes_sqlstate_project_class CHECK (sqlstate ~ '^SU[0-9]{3}$' AND sqlstate !~ '000$'),
    CONSTRAINT check_error_codes_exit_code CHECK (exit_code IN (1, 64, 65, 69, 70, 75, 78))
);

-- ---------------------------------------------------------------- catalog
CREATE TABLE core.services (
    id   text PRIMARY KEY,
    name text NOT NULL,
    CONSTRAINT check_services_id_format CHECK (id ~ '^[a-z][a-z0-9]*(-[a-z0-9]+)*$' AND length(id) <= 64)
);

CREATE TABLE core.service_plans (
    id         text PRIMARY KEY,
    service_id text NOT NULL REFERENCES core.services (id),
    CONSTRAINT check_service_plans_id_format CHECK (id ~ '^[a-z][a-z0-9]*(-[a-z0-9]+)*$' AND length(id) <= 64)
);

CREATE TABLE core.offers (
    id           text PRIMARY KEY,
    service_id   text NOT NULL REFERENCES core.services (id),
    name         text NOT NULL,
    min_quantity integer NOT NULL DEFAULT 1,
    max_quantity integer NOT NULL,
    is_add_on    boolean NOT NULL DEFAULT false,
    retired      boolean NOT NULL DEFAULT false,
    CONSTRAINT check_offers_id_format CHECK (id ~ '^[a-z][a-z0-9]*(-[a-z0-9]+)*$' AND length(id) <= 64),
    CONSTRAINT check_offers_name_length CHECK (length(name) BETWEEN 1 AND 200),
    CONSTRAINT check_offers_min_quantity CHECK (min_quantity >= 1),
    CONSTRAINT check_offers_quantity_range CHECK (max_quantity >= min_quantity)
);

CREATE TABLE core.offer_service_plans (
    offer_id        text NOT NULL REFERENCES core.offers (id),
    service_plan_id text NOT NULL REFERENCES core.service_plans (id),
    PRIMARY KEY (offer_id, service_plan_id)
);

CREATE TABLE core.offer_billing_cycles (
    offer_id      text NOT NULL REFERENCES core.offers (id),
    billing_cycle text NOT NULL,
    PRIMARY KEY (offer_id, billing_cycle),
    CONSTRAINT check_offer_billing_cycles_billing_cycle CHECK (billing_cycle IN ('monthly', 'annual'))
);

-- Which offers an add-on may be added to.
CREATE TABLE core.offer_add_on_parents (
    add_on_offer_id text NOT NULL REFERENCES core.offers (id),
    parent_offer_id text NOT NULL REFERENCES core.offers (id),
    PRIMARY KEY (add_on_offer_id, parent_offer_id),
    CONSTRAINT check_offer_add_on_parents_no_self CHECK (add_on_offer_id <> parent_offer_id)
);

CREATE TABLE core.upgrade_paths (
    source_offer_id text NOT NULL REFERENCES core.offers (id),
    target_offer_id text NOT NULL REFERENCES core.offers (id),
    PRIMARY KEY (source_offer_id, target_offer_id),
    CONSTRAINT check_upgrade_paths_no_self_loop CHECK (source_offer_id <> target_offer_id)
);
CREATE INDEX index_upgrade_paths_target ON core.upgrade_paths (target_offer_id);

-- ---------------------------------------------------------------- parties
CREATE TABLE core.partners (
    id         text PRIMARY KEY,
    name       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT check_partners_id_format CHECK (id ~ '^[a-z0-9][a-z0-9._-]*$' AND length(id) <= 64),
    CONSTRAINT check_partners_name_length CHECK (length(name) BETWEEN 1 AND 200 AND name !~ '[[:cntrl:]]')
);
COMMENT ON TABLE core.partners IS 'CSP resellers. Every operator acts for exactly one partner.';

CREATE TABLE core.customers (
    id                    uuid PRIMARY KEY,
    name                  text NOT NULL,
    domain                text,
    created_by_partner_id text REFERENCES core.partners (id),
    created_at            timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT check_customers_name_length CHECK (length(name) BETWEEN 1 AND 200 AND name !~ '[[:cntrl:]]'),
    CONSTRAINT check_customers_domain_format CHECK (
        domain ~ '^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$' AND length(domain) <= 253)
);
CREATE UNIQUE INDEX unique_customers_domain ON core.customers (domain);

-- The customers that exist for a partner (SPEC 1): those it added, those it has or
-- had a relationship with, those it sold a subscription to. Maintained by triggers;
-- the basis of visibility in the API and of row-level security.
CREATE TABLE core.partner_customers (
    partner_id  text NOT NULL REFERENCES core.partners (id),
    customer_id uuid NOT NULL REFERENCES core.customers (id),
    PRIMARY KEY (partner_id, customer_id)
);
CREATE INDEX index_partner_customers_customer ON core.partner_customers (customer_id);

-- ---------------------------------------------------------------- relationships
CREATE TABLE core.relationships (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    partner_id   text NOT NULL REFERENCES core.partners (id),
    customer_id  uuid NOT NULL REFERENCES core.customers (id),
    service_id   text NOT NULL REFERENCES core.services (id),
    status       text NOT NULL DEFAULT 'requested',
    requested_at timestamptz NOT NULL DEFAULT now(),
    activated_at timestamptz,
    ended_at     timestamptz,
    expires_at   timestamptz,
    CONSTRAINT check_relationships_status CHECK (status IN ('requested', 'active', 'removed', 'expired')),
    CONSTRAINT check_relationships_active_has_dates CHECK (
        status NOT IN ('active', 'expired') OR (activated_at IS NOT NULL AND expires_at IS NOT NULL)),
    CONSTRAINT check_relationships_expires_within_two_years CHECK (
        expires_at IS NULL OR activated_at IS NULL
        OR (expires_at > activated_at AND expires_at <= activated_at + interval '2 years'))
);
-- A customer has at most one active delegated-admin partner per service.
CREATE UNIQUE INDEX unique_relationships_active_customer_service
    ON core.relationships (customer_id, service_id) WHERE status = 'active';
-- A partner has at most one open (requested or active) relationship per customer and service.
CREATE UNIQUE INDEX unique_relationships_open_partner_customer_service
    ON core.relationships (partner_id, customer_id, service_id) WHERE status IN ('requested', 'active');
CREATE INDEX index_relationships_expires_at ON core.relationships (expires_at) WHERE status = 'active';

-- ---------------------------------------------------------------- subscriptions
CREATE TABLE core.subscriptions (
    id                          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    customer_id                 uuid NOT NULL REFERENCES core.customers (id),
    offer_id                    text NOT NULL REFERENCES core.offers (id),
    quantity                    integer NOT NULL,
    billing_cycle               text NOT NULL,
    status                      text NOT NULL DEFAULT 'active',
    status_reason               text,
    channel                     text NOT NULL,
    partner_id                  text REFERENCES core.partners (id),
    recorded_by_partner_id      text REFERENCES core.partners (id),
    parent_subscription_id      uuid REFERENCES core.subscriptions (id),
    upgraded_to_subscription_id uuid REFERENCES core.subscriptions (id),
    upgraded_from_subscription_id uuid REFERENCES core.subscriptions (id),
    version                     bigint NOT NULL DEFAULT 1,
    created_at                  timestamptz NOT NULL DEFAULT now(),
    updated_at                  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT check_subscriptions_quantity CHECK (quantity >= 1),
    CONSTRAINT check_subscriptions_status CHECK (status IN ('pending', 'active', 'suspended', 'cancelled')),
    CONSTRAINT check_subscriptions_billing_cycle CHECK (billing_cycle IN ('monthly', 'annual')),
    CONSTRAINT check_subscriptions_channel CHECK (channel IN ('csp', 'direct', 'other-reseller')),
    -- channel `csp` if and only if a reseller partner is the reseller of record
    CONSTRAINT check_subscriptions_csp_has_reseller CHECK ((channel = 'csp') = (partner_id IS NOT NULL)),
    CONSTRAINT check_subscriptions_status_reason CHECK (
        status_reason IS NULL OR (status IN ('suspended', 'cancelled')
                                  AND status_reason IN ('upgraded', 'operator', 'parent_cancelled'))),
    CONSTRAINT check_subscriptions_upgraded_is_suspended CHECK (
        upgraded_to_subscription_id IS NULL OR (status IN ('suspended', 'cancelled') AND status_reason IS NOT NULL)),
    CONSTRAINT check_subscriptions_not_own_parent CHECK (parent_subscription_id <> id),
    CONSTRAINT check_subscriptions_version CHECK (version >= 1)
);
CREATE INDEX index_subscriptions_customer ON core.subscriptions (customer_id) INCLUDE (offer_id, status);
CREATE INDEX index_subscriptions_parent ON core.subscriptions (parent_subscription_id)
    WHERE parent_subscription_id IS NOT NULL;
CREATE INDEX index_subscriptions_partner ON core.subscriptions (partner_id) WHERE partner_id IS NOT NULL;

-- ---------------------------------------------------------------- audit and idempotency
CREATE TABLE core.audit_events (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    operation            text NOT NULL,
    operator             text NOT NULL,
    partner_id           text,
    source               text NOT NULL,
    entity               text NOT NULL,
    entity_id            text,
    subscription_id      uuid,
    subscription_version bigint,
    customer_id          uuid,
    changes              jsonb NOT NULL DEFAULT '{}',
    outcome              text NOT NULL,
    error_codes          text[] NOT NULL DEFAULT '{}',
    request_id           text,
    batch_id             text,
    comment              text,
    CONSTRAINT check_audit_events_source CHECK (source IN ('cli', 'batch', 'sql')),
    CONSTRAINT check_audit_events_outcome CHECK (outcome IN ('succeeded', 'rejected')),
    CONSTRAINT check_audit_events_rejection_has_codes CHECK ((outcome = 'rejected') = (cardinality(error_codes) > 0))
);
CREATE INDEX index_audit_events_subscription ON core.audit_events (subscription_id, id) WHERE subscription_id IS NOT NULL;
CREATE INDEX index_audit_events_customer ON core.audit_events (customer_id, id) WHERE customer_id IS NOT NULL;
CREATE INDEX index_audit_events_occurred_at ON core.audit_events (occurred_at);

CREATE TABLE core.request_ids (
    partner_id text NOT NULL,
    request_id text NOT NULL,
    operation  text NOT NULL,
    parameters jsonb NOT NULL,
    result     jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (partner_id, request_id),
    CONSTRAINT check_request_ids_request_id_length CHECK (length(request_id) BETWEEN 1 AND 200)
);
