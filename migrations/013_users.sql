-- 013 — a customer's users and the licenses they hold (SPEC 7.3).
--
-- A user belongs to one customer; its user principal name (NAME@DOMAIN) is unique in that
-- customer whatever its case. A license assignment is a user holding a license of one
-- subscription of its own customer. The invariant "a subscription's assignments never
-- exceed its quantity" holds whoever writes (the API, a batch, a psql session) and under
-- any concurrency in read committed: the checks below take the customer's lock first (the
-- one lock order of every operation) and then count with a fresh snapshot, so of two
-- writers of one customer the second counts what the first committed.
CREATE TABLE core.users (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    customer_id  uuid NOT NULL REFERENCES core.customers (id),
    upn          text NOT NULL,
    display_name text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT check_users_upn_format CHECK (
        upn ~ '^[A-Za-z0-9_+''-]+(\.[A-Za-z0-9_+''-]+)*@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$'
        AND length(upn) <= 320),
    CONSTRAINT check_users_display_name_visible CHECK (core.display_name_problem(display_name) IS NULL),
    -- the target of the assignments' composite key: a user's licenses are of its customer
    CONSTRAINT unique_users_id_customer UNIQUE (id, customer_id)
);
CREATE UNIQUE INDEX unique_users_customer_upn ON core.users (customer_id, lower(upn));
COMMENT ON TABLE core.users IS 'A customer''s users: who may hold its subscriptions'' licenses.';
COMMENT ON COLUMN core.users.upn IS 'User principal name NAME@DOMAIN, unique in the customer whatever its case.';

CREATE TABLE core.license_assignments (
    subscription_id uuid NOT NULL REFERENCES core.subscriptions (id),
    user_id         uuid NOT NULL,
    customer_id     uuid NOT NULL,
    assigned_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT license_assignments_pkey PRIMARY KEY (subscription_id, user_id),
    CONSTRAINT license_assignments_user_of_customer
        FOREIGN KEY (user_id, customer_id) REFERENCES core.users (id, customer_id)
);
CREATE INDEX index_license_assignments_user ON core.license_assignments (user_id);
COMMENT ON TABLE core.license_assignments IS
'A user holding a license of a subscription of its customer; never more than the subscription''s quantity.';
COMMENT ON COLUMN core.license_assignments.customer_id IS
'The user''s customer, which must be the subscription''s (check_license_assignments_customer).';

-- After each statement that adds or moves assignments: the subscription is of the user's
-- customer, and holds no more assignments than its quantity (SU026,
-- license_quantity_exceeded). A statement of no rows (an upgrade without assignments) costs
-- one look at an empty transition table.
CREATE FUNCTION core.check_license_assignments()
RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_subscription uuid;
    v_quantity integer;
    v_assigned bigint;
BEGIN
    IF NOT EXISTS (SELECT FROM new_rows) THEN
        RETURN NULL;
    END IF;
    PERFORM 1 FROM core.customers c WHERE c.id IN (SELECT n.customer_id FROM new_rows n) ORDER BY c.id FOR NO KEY UPDATE;
    SELECT n.subscription_id INTO v_subscription FROM new_rows n JOIN core.subscriptions s ON s.id = n.subscription_id
    WHERE s.customer_id <> n.customer_id LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'check_violation', CONSTRAINT = 'check_license_assignments_customer',
            TABLE = 'license_assignments', SCHEMA = 'core',
            MESSAGE = format('check_license_assignments_customer: subscription %s is not of the user''s customer', v_subscription);
    END IF;
    SELECT s.id, s.quantity, count(*) INTO v_subscription, v_quantity, v_assigned
    FROM core.subscriptions s JOIN core.license_assignments a ON a.subscription_id = s.id
    WHERE s.id IN (SELECT n.subscription_id FROM new_rows n)
    GROUP BY s.id, s.quantity HAVING count(*) > s.quantity LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'SU026', CONSTRAINT = 'check_license_assignments_within_quantity',
            MESSAGE = format('check_license_assignments_within_quantity: subscription %s would hold %s assigned licenses, more than its quantity %s',
                             v_subscription, v_assigned, v_quantity);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER check_license_assignments_inserts AFTER INSERT ON core.license_assignments
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION core.check_license_assignments();
CREATE TRIGGER check_license_assignments_updates AFTER UPDATE ON core.license_assignments
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION core.check_license_assignments();

-- A quantity lowered below the assignments (SU027, quantity_below_assigned_licenses).
-- Only a decrease fires it: upgrades, status changes and license additions never do.
CREATE FUNCTION core.check_subscriptions_quantity_covers_assignments()
RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_assigned bigint;
BEGIN
    PERFORM 1 FROM core.customers c WHERE c.id = NEW.customer_id FOR NO KEY UPDATE;
    SELECT count(*) INTO v_assigned FROM core.license_assignments a WHERE a.subscription_id = NEW.id;
    IF v_assigned > NEW.quantity THEN
        RAISE EXCEPTION USING ERRCODE = 'SU027', CONSTRAINT = 'check_subscriptions_quantity_covers_assignments',
            MESSAGE = format('check_subscriptions_quantity_covers_assignments: subscription %s has %s assigned licenses, more than quantity %s',
                             NEW.id, v_assigned, NEW.quantity);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER check_subscriptions_quantity_covers_assignments
    AFTER UPDATE OF quantity ON core.subscriptions
    FOR EACH ROW WHEN (NEW.quantity < OLD.quantity)
    EXECUTE FUNCTION core.check_subscriptions_quantity_covers_assignments();
