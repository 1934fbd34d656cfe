-- 004 — the customer index covers every column the upgrade rules read of a subscription
-- (core.upgrade_evaluations), so that the reports' whole evaluation reads the index in
-- customer order (an index-only scan feeding the per-customer window) instead of visiting
-- the table row by row: about a third of report.upgrade_options' time on 300,000
-- subscriptions. It replaces the narrower index of 001, whose key it keeps.
CREATE INDEX index_subscriptions_customer_rules ON core.subscriptions (customer_id)
    INCLUDE (id, offer_id, status, status_reason, partner_id, billing_cycle, parent_subscription_id);
DROP INDEX core.index_subscriptions_customer;
