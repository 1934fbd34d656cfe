-- 007 — two more report views answer from an index.
-- report.licenses counts each partner's customers per offer, channel and status: read
-- in customer order from the customer index, a customer's few subscriptions group
-- among themselves (an incremental sort), and no sort of the whole set is needed for the
-- distinct count (0.9 s -> 0.6 s on 382,000 subscriptions). The customer index of 004,
-- which covers what the upgrade rules read, now also covers the channel and quantity
-- that report reads; it replaces that index under a name that no longer says "rules".
CREATE INDEX index_subscriptions_customer_covering ON core.subscriptions (customer_id)
    INCLUDE (id, offer_id, status, status_reason, partner_id, billing_cycle, parent_subscription_id, channel, quantity);
DROP INDEX core.index_subscriptions_customer_rules;
-- report.upgrade_history looks up the source of every upgrade it lists. Joined with the
-- whole subscriptions table (through its row-level security policy) that was 0.85-0.9 s
-- for 57,600 upgrades; the sources are the subscriptions an upgrade replaced (linked to
-- their target, which stays when one is cancelled later), which this partial index holds
-- with what the report reads of them (0.5 s).
CREATE INDEX index_subscriptions_upgraded_sources ON core.subscriptions (id)
    INCLUDE (customer_id, offer_id, quantity) WHERE upgraded_to_subscription_id IS NOT NULL;
