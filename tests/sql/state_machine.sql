-- The subscription state machine (SPEC 3): pending -> active, active <-> suspended,
-- active|suspended -> cancelled (terminal). Every (status, operation) pair is tried;
-- the refused ones give invalid_status_transition and change nothing. Cancelling a
-- parent cancels its add-ons; a source replaced by an upgrade cannot come back.
BEGIN;
SELECT plan(26);

CREATE TEMP TABLE fx (partner text, customer uuid);
INSERT INTO fx (partner) SELECT test.act_as_new_partner();
UPDATE fx SET customer = test.new_customer();

-- A fresh subscription in the given status, reached through the API.
CREATE FUNCTION pg_temp.subscription_in(p_status text) RETURNS uuid LANGUAGE plpgsql AS $$
DECLARE
    v_id uuid := test.new_subscription((SELECT customer FROM fx), 'o365-business',
                                       p_status => CASE WHEN p_status = 'pending' THEN 'pending' ELSE 'active' END);
BEGIN
    IF p_status IN ('suspended', 'cancelled') THEN
        PERFORM api.subscription_change(CASE p_status WHEN 'suspended' THEN 'suspend' ELSE 'cancel' END, v_id);
    END IF;
    RETURN v_id;
END $$;

CREATE TEMP TABLE moves (from_status text, operation text, to_status text, subscription uuid, version bigint, result jsonb);
INSERT INTO moves (from_status, operation, to_status) VALUES
    ('pending', 'activate', 'active'), ('pending', 'suspend', NULL), ('pending', 'reactivate', NULL), ('pending', 'cancel', NULL),
    ('active', 'activate', NULL), ('active', 'suspend', 'suspended'), ('active', 'reactivate', NULL), ('active', 'cancel', 'cancelled'),
    ('suspended', 'activate', NULL), ('suspended', 'suspend', NULL), ('suspended', 'reactivate', 'active'), ('suspended', 'cancel', 'cancelled'),
    ('cancelled', 'activate', NULL), ('cancelled', 'suspend', NULL), ('cancelled', 'reactivate', NULL), ('cancelled', 'cancel', NULL);
UPDATE moves SET subscription = pg_temp.subscription_in(from_status);
UPDATE moves m SET version = s.version FROM core.subscriptions s WHERE s.id = m.subscription;
UPDATE moves SET result = api.subscription_change(operation, subscription);

SELECT is(ARRAY[test.codes(m.result)::text, s.status, (s.version - m.version)::text],
          CASE WHEN m.to_status IS NULL THEN ARRAY['{invalid_status_transition}', m.from_status, '0']
               ELSE ARRAY['{}', m.to_status, '1'] END,
          format('%s %s: %s', m.from_status, m.operation, coalesce('-> ' || m.to_status, 'refused, unchanged')))
FROM moves m JOIN core.subscriptions s ON s.id = m.subscription ORDER BY m.from_status, m.operation;

-- Cancelling a parent cancels its add-ons that are not cancelled yet.
CREATE TEMP TABLE family (parent uuid, active_add_on uuid, suspended_add_on uuid, result jsonb);
INSERT INTO family (parent) SELECT test.new_subscription(customer, 'o365-e3') FROM fx;
UPDATE family SET active_add_on = test.new_subscription((SELECT customer FROM fx), 'o365-extra-file-storage', 1, p_parent => parent),
                  suspended_add_on = test.new_subscription((SELECT customer FROM fx), 'o365-extra-file-storage', 2, p_parent => parent);
SELECT api.subscription_change('suspend', suspended_add_on) ->> 'status' FROM family;
UPDATE family SET result = api.subscription_change('cancel', parent);
SELECT is((SELECT array_agg(status || '/' || status_reason ORDER BY quantity) FROM core.subscriptions
           WHERE id IN (active_add_on, suspended_add_on)),
          '{cancelled/parent_cancelled,cancelled/parent_cancelled}', 'cancel cascades to the active and the suspended add-on')
FROM family;
SELECT is((SELECT array_agg(x ORDER BY x) FROM jsonb_array_elements_text(result -> 'cancelled_add_ons') x),
          (SELECT array_agg(x::text ORDER BY x::text) FROM unnest(ARRAY[active_add_on, suspended_add_on]) x),
          'the result names the cancelled add-ons') FROM family;
SELECT is(test.codes(api.subscription_change('reactivate', active_add_on)), '{invalid_status_transition}',
          'a cancelled add-on stays cancelled') FROM family;

-- An upgraded source is suspended with reason upgraded, and cannot be reactivated.
CREATE TEMP TABLE upgraded (source uuid, target uuid);
INSERT INTO upgraded (source) SELECT test.new_subscription(test.new_customer(), 'o365-business') FROM fx;
UPDATE upgraded SET target = (api.upgrade(source, 'o365-e3') ->> 'target_subscription_id')::uuid;
SELECT is((SELECT status || '/' || status_reason FROM core.subscriptions WHERE id = source), 'suspended/upgraded',
          'the upgraded source is suspended, reason upgraded') FROM upgraded;
SELECT test.is_rejected(format('api.subscription_change(%L, %L)', 'reactivate', source),
                        (SELECT customer_id FROM core.subscriptions WHERE id = source),
                        '{invalid_status_transition}', 'reactivating an upgraded source') FROM upgraded;
SELECT is(api.subscription_change('cancel', source) ->> 'subscription_status', 'cancelled',
          'an upgraded source may still be cancelled') FROM upgraded;
SELECT is((SELECT status FROM core.subscriptions WHERE id = target), 'active', 'which leaves its target active') FROM upgraded;

SELECT * FROM finish();
ROLLBACK;
