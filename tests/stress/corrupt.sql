-- The checker's own test: breaks one thing per invariant, with triggers off, so that
-- `psql -1 -f corrupt.sql -f invariants.sql` must report each of them and fail (the
-- single transaction is rolled back). Needs a database that has seen upgrades; the
-- client results on stdin claim a request that was never stored.
SET session_replication_role = replica;  -- no triggers: neither integrity checks nor audit
CREATE TEMP TABLE victim AS
SELECT t.id AS target_id, t.upgraded_from_subscription_id AS source_id, t.customer_id, t.offer_id
FROM core.subscriptions t WHERE t.upgraded_from_subscription_id IS NOT NULL LIMIT 1;
-- 1 and 3: an in-force twin of the target created before it (an audit event older than the target's)
INSERT INTO core.subscriptions (customer_id, offer_id, quantity, billing_cycle, channel, partner_id)
SELECT customer_id, offer_id, 1, 'monthly', 'direct', NULL FROM victim;
INSERT INTO core.audit_events (id, operation, operator, source, entity, subscription_id, subscription_version, outcome,
                               chain_hash)
OVERRIDING SYSTEM VALUE
SELECT 0, 'sql_insert', 'corrupt', 'sql', 'subscriptions', s.id, 1, 'succeeded', '\x00'
FROM core.subscriptions s JOIN victim v ON s.customer_id = v.customer_id AND s.offer_id = v.offer_id AND s.channel = 'direct'
ORDER BY s.created_at DESC LIMIT 1;
-- 2: the source back in force
UPDATE core.subscriptions SET status = 'active', status_reason = NULL, upgraded_to_subscription_id = NULL
WHERE id = (SELECT source_id FROM victim);
-- 3: a version without its audit event
UPDATE core.subscriptions SET version = version + 1 WHERE id = (SELECT target_id FROM victim);
-- 4: a quantity outside the offer's range
UPDATE core.subscriptions SET quantity = 1000000 WHERE offer_id = 'o365-business' AND id = (
    SELECT id FROM core.subscriptions WHERE offer_id = 'o365-business' LIMIT 1);
-- 5: the upgrade's relationship had expired long before
UPDATE core.relationships r SET activated_at = '2000-01-01', expires_at = '2000-06-01'
FROM core.subscriptions t WHERE t.id = (SELECT target_id FROM victim)
  AND r.partner_id = t.partner_id AND r.customer_id = t.customer_id;
-- 6: a request id remembered as succeeded without any audit event
INSERT INTO core.request_ids (partner_id, request_id, operation, parameters, result)
VALUES ('stress-a', 'corrupt-1', 'upgrade', '{}', '{"status": "succeeded"}');
-- 6: an audit event under a request id that was never remembered; 7: it does not follow
-- its chain (no hash of it); 8: it claims a batch that does not exist
INSERT INTO core.audit_events (operation, operator, partner_id, source, entity, outcome, request_id, batch_id, chain_hash)
VALUES ('upgrade', 'corrupt', 'stress-a', 'batch', 'subscriptions', 'succeeded', 'corrupt-2', 'forged', '\x00');
-- 9: a subscription holding more assignments than its quantity (1, within every offer's range)
UPDATE core.subscriptions SET quantity = 1
WHERE id = (SELECT subscription_id FROM core.license_assignments GROUP BY 1 HAVING count(*) >= 2 LIMIT 1);
-- 9: a license of a cancelled subscription
INSERT INTO core.license_assignments (subscription_id, user_id, customer_id)
SELECT s.id, u.id, s.customer_id FROM core.subscriptions s JOIN core.users u ON u.customer_id = s.customer_id
WHERE s.status = 'cancelled' AND NOT EXISTS (SELECT 1 FROM core.license_assignments a WHERE a.subscription_id = s.id)
LIMIT 1;
-- 9: a license on a source whose upgrade transferred them (not the victim's: that one is back in force)
INSERT INTO core.license_assignments (subscription_id, user_id, customer_id)
SELECT s.id, u.id, s.customer_id FROM core.subscriptions s JOIN core.users u ON u.customer_id = s.customer_id
WHERE s.upgraded_to_subscription_id IS NOT NULL AND s.status = 'suspended' AND s.id <> (SELECT source_id FROM victim)
  AND NOT EXISTS (SELECT 1 FROM core.license_assignments a WHERE a.subscription_id = s.id)
  AND NOT EXISTS (SELECT 1 FROM core.audit_events e JOIN core.request_ids q USING (partner_id, request_id)
                  WHERE e.subscription_id = s.id AND e.operation = 'upgrade' AND q.parameters ->> 'license_transfer' = 'false')
LIMIT 1;
-- 9: an upgrade that took a license off its source and put it nowhere
INSERT INTO core.audit_events (operation, operator, partner_id, source, entity, entity_id, subscription_id, customer_id,
                               changes, outcome, chain_hash)
SELECT 'upgrade', 'corrupt', 'stress-a', 'cli', 'license_assignments', gen_random_uuid()::text, source_id, customer_id,
       jsonb_build_object('subscription_id', jsonb_build_array(source_id, NULL)), 'succeeded', '\x00'
FROM victim;
SET session_replication_role = DEFAULT;
