-- 016 — the subscriptions that are not active, apart: the few whose users' licenses do
-- not count as held (report users_without_license). Read through this partial index
-- (with the customer for the row-level-security policy) instead of every subscription.
CREATE INDEX index_subscriptions_not_active ON core.subscriptions (id) INCLUDE (customer_id, status)
    WHERE status <> 'active';
