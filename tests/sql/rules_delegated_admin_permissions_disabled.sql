-- delegated_admin_permissions_disabled: the acting partner needs an active, unexpired
-- office365 relationship with the customer: none, requested only, removed, expired by
-- its expires_at (no job has run), or another partner holding it all block the upgrade.
BEGIN;
SELECT plan(27);

CREATE TEMP TABLE fx (partner text, none uuid, requested uuid, removed uuid, expired uuid, taken uuid,
                      none_s uuid, requested_s uuid, removed_s uuid, expired_s uuid, taken_s uuid);
INSERT INTO fx (partner) SELECT test.act_as_new_partner();
UPDATE fx SET none = test.new_customer(false), requested = test.new_customer(false), removed = test.new_customer(),
              expired = test.new_customer(), taken = test.new_customer(false);
SELECT test.new_relationship(requested, false), api.relationship_change('remove', removed, 'office365') FROM fx;
UPDATE fx SET none_s = test.new_subscription(none, 'o365-business'),
              requested_s = test.new_subscription(requested, 'o365-business'),
              removed_s = test.new_subscription(removed, 'o365-business'),
              expired_s = test.new_subscription(expired, 'o365-business'),
              taken_s = test.new_subscription(taken, 'o365-business');
-- Expiry as the table owner: the relationship ran out a second ago and no job marked it.
UPDATE core.relationships SET activated_at = statement_timestamp() - interval '1 year',
                              expires_at = statement_timestamp() - interval '1 second'
WHERE customer_id = (SELECT expired FROM fx);
-- Another partner holds the customer's only active office365 relationship.
SELECT test.act_as_new_partner('rival');
SELECT test.link(taken, current_setting('subctl.partner_id')) FROM fx;
SELECT test.new_relationship(taken) FROM fx;
SELECT test.act_as(partner) FROM fx;

SELECT is(test.listed_codes(none_s, 'o365-e3'), '{delegated_admin_permissions_disabled}', 'no relationship: listed') FROM fx;
SELECT is(test.listed_codes(requested_s, 'o365-e3'), '{delegated_admin_permissions_disabled}', 'requested only: listed') FROM fx;
SELECT is(test.listed_codes(removed_s, 'o365-e3'), '{delegated_admin_permissions_disabled}', 'removed: listed') FROM fx;
SELECT is(test.listed_codes(expired_s, 'o365-e3'), '{delegated_admin_permissions_disabled}',
          'expired by expires_at, still marked active: listed') FROM fx;
SELECT is(test.listed_codes(taken_s, 'o365-e3'), '{delegated_admin_permissions_disabled}',
          'another partner holds the relationship: listed') FROM fx;
SELECT test.is_rejected(format('api.upgrade(%L, %L)', none_s, 'o365-e3'), none,
                        '{delegated_admin_permissions_disabled}', 'upgrade without a relationship') FROM fx;
SELECT test.is_rejected(format('api.upgrade(%L, %L)', requested_s, 'o365-e3'), requested,
                        '{delegated_admin_permissions_disabled}', 'upgrade with a requested relationship') FROM fx;
SELECT test.is_rejected(format('api.upgrade(%L, %L)', removed_s, 'o365-e3'), removed,
                        '{delegated_admin_permissions_disabled}', 'upgrade after the relationship was removed') FROM fx;
SELECT test.is_rejected(format('api.upgrade(%L, %L)', expired_s, 'o365-e3'), expired,
                        '{delegated_admin_permissions_disabled}', 'upgrade after the relationship expired') FROM fx;
SELECT test.is_rejected(format('api.upgrade(%L, %L)', taken_s, 'o365-e3'), taken,
                        '{delegated_admin_permissions_disabled}', 'upgrade while another partner holds it') FROM fx;
-- Licenses do not need delegated admin (SPEC 3: active, sold by the partner, in range).
SELECT is(api.licenses_change('add', none_s, 1) ->> 'status', 'succeeded',
          'licenses add does not need a relationship') FROM fx;
-- Accepting a requested relationship makes the upgrade eligible.
SELECT api.relationship_change('accept', requested, 'office365') FROM fx;
SELECT is(test.listed_codes(requested_s, 'o365-e3'), '{}', 'accepted: the upgrade is eligible') FROM fx;

SELECT * FROM finish();
ROLLBACK;
