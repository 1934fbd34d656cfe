-- Versions (SPEC 1: an etag that changes on every change): every change of a
-- subscription moves its version on by one, a no-op does not, a rejection does not; an
-- expected version (If-Match) equal to the current one lets each operation through.
BEGIN;
SELECT plan(14);

CREATE TEMP TABLE fx (partner text, customer uuid, s uuid);
INSERT INTO fx (partner) SELECT test.act_as_new_partner();
UPDATE fx SET customer = test.new_customer();
UPDATE fx SET s = test.new_subscription(customer, 'o365-business');
CREATE FUNCTION pg_temp.version() RETURNS bigint LANGUAGE sql AS
    $$ SELECT version FROM core.subscriptions WHERE id = (SELECT s FROM fx) $$;

SELECT is(pg_temp.version(), 1::bigint, 'a new subscription has version 1');
SELECT is(api.licenses_change('add', s, 1, p_if_version => 1) -> 'version', '2', 'licenses add at version 1 -> 2') FROM fx;
SELECT is(api.licenses_change('remove', s, 1, p_if_version => 2) -> 'version', '3', 'licenses remove at version 2 -> 3') FROM fx;
SELECT is(api.subscription_change('suspend', s, p_if_version => 3) -> 'version', '4', 'suspend at version 3 -> 4') FROM fx;
SELECT is(api.subscription_change('reactivate', s, p_if_version => 4) -> 'version', '5', 'reactivate at version 4 -> 5') FROM fx;
SELECT is(test.codes(api.licenses_change('add', s, 1, p_if_version => 4)), '{version_mismatch}', 'version 4 is stale now') FROM fx;
SELECT is(pg_temp.version(), 5::bigint, 'a rejection leaves the version');
UPDATE core.subscriptions SET quantity = quantity WHERE id = (SELECT s FROM fx);
SELECT is(pg_temp.version(), 5::bigint, 'a no-op update leaves the version');
UPDATE core.subscriptions SET quantity = quantity + 1 WHERE id = (SELECT s FROM fx);
SELECT is(pg_temp.version(), 6::bigint, 'a direct SQL change moves the version too');
SELECT is(test.codes(api.upgrade(s, 'o365-e3', p_if_version => 5)), '{version_mismatch}', 'so an upgrade expecting 5 is refused') FROM fx;
SELECT is(api.upgrade(s, 'o365-e3', p_if_version => 6) ->> 'status', 'succeeded', 'an upgrade at the current version 6') FROM fx;
SELECT is(pg_temp.version(), 7::bigint, 'the upgrade moved the source to 7');
SELECT is((SELECT version FROM core.subscriptions WHERE upgraded_from_subscription_id = (SELECT s FROM fx)), 1::bigint,
          'the new target starts at version 1');
SELECT is((SELECT array_agg(subscription_version ORDER BY id) FROM core.audit_events
           WHERE subscription_id = (SELECT s FROM fx) AND outcome = 'succeeded'),
          '{1,2,3,4,5,6,7}'::bigint[], 'one succeeded audit event per version') FROM fx;

SELECT * FROM finish();
ROLLBACK;
