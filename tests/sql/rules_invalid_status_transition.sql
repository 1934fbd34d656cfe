-- invalid_status_transition: a move outside the state machine is refused, audited and
-- changes nothing (every transition is in state_machine.sql).
BEGIN;
SELECT plan(16);

CREATE TEMP TABLE fx (partner text, customer uuid, pending uuid, cancelled uuid, business uuid);
INSERT INTO fx (partner) SELECT test.act_as_new_partner();
UPDATE fx SET customer = test.new_customer();
UPDATE fx SET pending = test.new_subscription(customer, 'o365-e1', p_status => 'pending'),
              cancelled = test.new_subscription(customer, 'o365-proplus'),
              business = test.new_subscription(customer, 'o365-business');
SELECT api.subscription_change('cancel', cancelled) FROM fx;

SELECT test.is_rejected(format('api.subscription_change(%L, %L)', 'suspend', pending), customer,
                        '{invalid_status_transition}', 'suspending a pending subscription') FROM fx;
SELECT test.is_rejected(format('api.subscription_change(%L, %L)', 'reactivate', cancelled), customer,
                        '{invalid_status_transition}', 'reactivating a cancelled subscription') FROM fx;
SELECT test.is_rejected(format('api.subscription_change(%L, %L)', 'activate', business), customer,
                        '{invalid_status_transition}', 'activating an active subscription') FROM fx;
SELECT test.is_rejected(format('api.subscription_change(%L, %L, p_if_version => 42)', 'cancel', cancelled), customer,
                        '{version_mismatch,invalid_status_transition}', 'a stale version and a terminal state: both codes') FROM fx;

SELECT * FROM finish();
ROLLBACK;
