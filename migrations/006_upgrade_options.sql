-- 006 — the upgrade options of every subscription in force, stored for the reports.
-- report.upgrade_options and report.blocked_upgrades evaluated the upgrade rules over a
-- partner's whole subscription set at every read (0.7-1.0 s on 300,000 subscriptions
-- before the report's own work, 1.0-1.9 s with it). The rules are now stored per
-- (subscription, target) by core.upgrade_options_refresh (sql/35_upgrade_options.sql),
-- which triggers on every table the rules read call for the customers a statement
-- touched. What depends on the clock is stored both ways: the codes while the
-- relationship is in force and after it lapses, with the date it lapses. A set of codes
-- is stored as a bit mask: narrow rows to read, and report.blocked_upgrades counts codes
-- per subscription and customer by ORing masks, not by a distinct count over every
-- (path, code) pair.
CREATE TABLE core.upgrade_options (
    subscription_id uuid NOT NULL,
    target_offer_id text NOT NULL,
    customer_id uuid NOT NULL,
    partner_id text NOT NULL,
    source_offer_id text NOT NULL,
    relationship_expires_at timestamptz,
    error_mask_related bigint NOT NULL,
    error_mask_unrelated bigint NOT NULL,
    CONSTRAINT upgrade_options_pkey PRIMARY KEY (subscription_id, target_offer_id)
);
CREATE INDEX index_upgrade_options_customer ON core.upgrade_options (customer_id);
CREATE INDEX index_upgrade_options_partner ON core.upgrade_options (partner_id);
COMMENT ON TABLE core.upgrade_options IS
'The upgrade rules (core.upgrade_path_facts) of every subscription a partner sold that is in force, kept by triggers.';
COMMENT ON COLUMN core.upgrade_options.partner_id IS 'The reseller of record, for whom the rules are evaluated.';
COMMENT ON COLUMN core.upgrade_options.relationship_expires_at IS
'When the partner''s active delegated-admin relationship for the target''s service expires; NULL: none.';
COMMENT ON COLUMN core.upgrade_options.error_mask_related IS
'The error codes while that relationship is in force, as a bit mask (core.error_mask, core.error_codes_of).';
COMMENT ON COLUMN core.upgrade_options.error_mask_unrelated IS 'The error codes without it (after it expires), as a bit mask.';


-- The catalog side of each upgrade path, which every evaluation of the rules reads: kept
-- here by the same triggers (when the catalog changes), not computed at every evaluation.
CREATE TABLE core.upgrade_path_catalog (
    source_offer_id text NOT NULL,
    target_offer_id text NOT NULL,
    service_id text NOT NULL,
    plan_conflicting_offers text[] NOT NULL,
    target_billing_cycles text[] NOT NULL,
    CONSTRAINT upgrade_path_catalog_pkey PRIMARY KEY (source_offer_id, target_offer_id)
);
COMMENT ON TABLE core.upgrade_path_catalog IS
'Per upgrade path: the target''s service, the offers with a plan the upgrade would add, the target''s billing cycles.';
