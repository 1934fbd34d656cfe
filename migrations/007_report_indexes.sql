-- 007 — two more report views answer from an index.
-- report.licenses counts each partner's customers per offer, channel and status: read
-- in the order of this index, a customer's subscriptions of one group come together
-- (but for the seller, a small sort per customer), so the customers are counted without
-- a distinct count over the whole set (0.9 s -> 0.5-0.8 s on 382,000 subscriptions). The
-- customer index of 004, which covers what the upgrade rules read (by customer_id, its
-- first key), now also orders by what that report groups by and covers the quantity; it
-- replaces that index under a name that no longer says "rules".
CREATE INDEX index_subscriptions_customer_covering
    ON core.subscriptions (customer_id, offer_id, channel, status, partner_id)
    INCLUDE (id, status_reason, billing_cycle, parent_subscription_id, quantity);
DROP INDEX core.index_subscriptions_customer_rules;
-- report.upgrade_history looks up the source of every upgrade it lists. Joined with the
-- whole subscriptions table (through its row-level security policy) that was 0.85-0.9 s
-- for 57,600 upgrades; the sources are the subscriptions an upgrade replaced (linked to
-- their target, which stays when one is cancelled later), which this partial index holds
-- with what the report reads of them (0.5 s).
CREATE INDEX index_subscriptions_upgraded_sources ON core.subscriptions (id)
    INCLUDE (customer_id, offer_id, quantity) WHERE upgraded_to_subscription_id IS NOT NULL;
