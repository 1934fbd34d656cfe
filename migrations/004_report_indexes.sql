-- 004 — indexes for the reports on a large partner (300,000 subscriptions).
-- The customer index covers every column the upgrade rules read of a subscription
-- (core.upgrade_evaluations), so that the whole evaluation behind report.upgrade_options
-- and report.blocked_upgrades reads the index in customer order (an index-only scan
-- feeding the per-customer window) instead of visiting the table row by row. It
-- replaces the narrower index of 001, whose key it keeps.
CREATE INDEX index_subscriptions_customer_rules ON core.subscriptions (customer_id)
    INCLUDE (id, offer_id, status, status_reason, partner_id, billing_cycle, parent_subscription_id);
DROP INDEX core.index_subscriptions_customer;
-- report.upgrade_history reads the events that created a partner's upgrade targets: a
-- small part of an audit trail that holds every change, which it would otherwise scan whole.
CREATE INDEX index_audit_events_partner_upgrade_targets ON core.audit_events (partner_id)
    WHERE entity = 'subscriptions' AND operation = 'upgrade' AND outcome = 'succeeded'
      AND changes ? 'upgraded_from_subscription_id';
