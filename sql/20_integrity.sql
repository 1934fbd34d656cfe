-- Rules that hold no matter who writes (the API, a batch or a psql session): the
-- constraints a CHECK cannot express, versions, visibility links and the audit trail.

-- check_subscriptions_quantity_in_offer_range: quantity within the offer's min..max.
CREATE OR REPLACE FUNCTION logic.check_subscriptions_quantity_in_offer_range()
RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    o core.offers;
BEGIN
    SELECT * INTO o FROM core.offers WHERE id = NEW.offer_id;
    IF NEW.quantity NOT BETWEEN o.min_quantity AND o.max_quantity THEN
        RAISE EXCEPTION USING ERRCODE = 'SU020', CONSTRAINT = 'check_subscriptions_quantity_in_offer_range',
            MESSAGE = format('check_subscriptions_quantity_in_offer_range: quantity %s is outside %s..%s of offer %s',
                             NEW.quantity, o.min_quantity, o.max_quantity, o.id);
    END IF;
    RETURN NEW;
END $$;
CREATE OR REPLACE TRIGGER check_subscriptions_quantity_in_offer_range
    BEFORE INSERT OR UPDATE OF quantity, offer_id ON core.subscriptions
    FOR EACH ROW EXECUTE FUNCTION logic.check_subscriptions_quantity_in_offer_range();

-- check_subscriptions_add_on_parent: an add-on points to a parent of an allowed offer
-- of the same customer; any other subscription has no parent. Checked from both ends:
-- a parent cannot move to an offer or customer that its add-ons do not allow.
CREATE OR REPLACE FUNCTION logic.check_subscriptions_add_on_parent()
RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_is_add_on boolean;
    v_parent core.subscriptions;
BEGIN
    IF TG_OP = 'UPDATE' AND (NEW.offer_id, NEW.customer_id) IS DISTINCT FROM (OLD.offer_id, OLD.customer_id)
       AND EXISTS (SELECT 1 FROM core.subscriptions a
                   WHERE a.parent_subscription_id = NEW.id
                     AND (a.customer_id <> NEW.customer_id
                          OR NOT EXISTS (SELECT 1 FROM core.offer_add_on_parents
                                         WHERE add_on_offer_id = a.offer_id AND parent_offer_id = NEW.offer_id))) THEN
        RAISE EXCEPTION USING ERRCODE = 'SU025', CONSTRAINT = 'check_subscriptions_add_on_parent',
            MESSAGE = format('check_subscriptions_add_on_parent: subscription %s has add-ons that need a parent of an allowed offer of their customer',
                             NEW.id);
    END IF;
    SELECT is_add_on INTO v_is_add_on FROM core.offers WHERE id = NEW.offer_id;
    -- An unknown offer is left to the foreign key, which names it.
    IF NOT coalesce(v_is_add_on, false) THEN
        IF NEW.parent_subscription_id IS NOT NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'SU025', CONSTRAINT = 'check_subscriptions_add_on_parent',
                MESSAGE = format('check_subscriptions_add_on_parent: offer %s is not an add-on and takes no parent', NEW.offer_id);
        END IF;
        RETURN NEW;
    END IF;
    SELECT * INTO v_parent FROM core.subscriptions WHERE id = NEW.parent_subscription_id;
    IF v_parent.id IS NULL OR v_parent.customer_id <> NEW.customer_id
       OR NOT EXISTS (SELECT 1 FROM core.offer_add_on_parents
                      WHERE add_on_offer_id = NEW.offer_id AND parent_offer_id = v_parent.offer_id) THEN
        RAISE EXCEPTION USING ERRCODE = 'SU025', CONSTRAINT = 'check_subscriptions_add_on_parent',
            MESSAGE = format('check_subscriptions_add_on_parent: add-on %s needs a parent subscription of the same customer with an allowed offer', NEW.offer_id);
    END IF;
    RETURN NEW;
END $$;
CREATE OR REPLACE TRIGGER check_subscriptions_add_on_parent
    BEFORE INSERT OR UPDATE OF parent_subscription_id, offer_id, customer_id ON core.subscriptions
    FOR EACH ROW EXECUTE FUNCTION logic.check_subscriptions_add_on_parent();

-- Every change of a subscription gets the next version; a no-op update changes nothing.
-- An operation that applies several requests to a subscription in one UPDATE (a batch's
-- run of license changes, logic.licenses_apply) names them in subctl.steps, and their
-- count in subctl.step_counts: one version each, as one by one (logic.audit_row_changes
-- writes an event each, and checks the two agree).
CREATE OR REPLACE FUNCTION logic.bump_subscriptions_version()
RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_steps text := current_setting('subctl.step_counts', true);  -- {id: steps}: short, parsed for each row
BEGIN
    NEW.version := OLD.version;
    NEW.updated_at := OLD.updated_at;
    IF NEW IS DISTINCT FROM OLD THEN
        NEW.version := OLD.version + CASE WHEN v_steps <> '' AND logic.setting('operation') IS NOT NULL
                                          THEN coalesce((v_steps::jsonb ->> OLD.id::text)::bigint, 1) ELSE 1 END;
        NEW.updated_at := clock_timestamp();
    END IF;
    RETURN NEW;
END $$;
CREATE OR REPLACE TRIGGER bump_subscriptions_version
    BEFORE UPDATE ON core.subscriptions
    FOR EACH ROW EXECUTE FUNCTION logic.bump_subscriptions_version();

-- check_upgrade_paths_shape: same service on both ends, never to or from an add-on, no cycle.
CREATE OR REPLACE FUNCTION logic.check_upgrade_paths_shape()
RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    s core.offers;
    t core.offers;
BEGIN
    SELECT * INTO s FROM core.offers WHERE id = NEW.source_offer_id;
    SELECT * INTO t FROM core.offers WHERE id = NEW.target_offer_id;
    IF s.service_id <> t.service_id THEN
        RAISE EXCEPTION USING ERRCODE = 'SU061', CONSTRAINT = 'check_upgrade_paths_same_service',
            MESSAGE = format('check_upgrade_paths_same_service: %s (%s) -> %s (%s) crosses services',
                             s.id, s.service_id, t.id, t.service_id);
    END IF;
    IF s.is_add_on OR t.is_add_on THEN
        RAISE EXCEPTION USING ERRCODE = 'SU061', CONSTRAINT = 'check_upgrade_paths_no_add_ons',
            MESSAGE = format('check_upgrade_paths_no_add_ons: %s -> %s involves an add-on', s.id, t.id);
    END IF;
    -- Serialise path changes so that two concurrent inserts cannot close a cycle together.
    LOCK TABLE core.upgrade_paths IN SHARE ROW EXCLUSIVE MODE;
    IF EXISTS (WITH RECURSIVE reachable (offer_id) AS (
                   SELECT NEW.target_offer_id
                   UNION
                   SELECT p.target_offer_id FROM core.upgrade_paths p JOIN reachable r ON p.source_offer_id = r.offer_id)
               SELECT 1 FROM reachable WHERE offer_id = NEW.source_offer_id) THEN
        RAISE EXCEPTION USING ERRCODE = 'SU061', CONSTRAINT = 'check_upgrade_paths_no_cycle',
            MESSAGE = format('check_upgrade_paths_no_cycle: %s -> %s closes a cycle', s.id, t.id);
    END IF;
    RETURN NEW;
END $$;
CREATE OR REPLACE TRIGGER check_upgrade_paths_shape
    BEFORE INSERT OR UPDATE ON core.upgrade_paths
    FOR EACH ROW EXECUTE FUNCTION logic.check_upgrade_paths_shape();

-- An offer used by an upgrade path cannot become an add-on.
CREATE OR REPLACE FUNCTION logic.check_offers_add_on_not_in_paths()
RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NEW.is_add_on AND EXISTS (SELECT 1 FROM core.upgrade_paths
                                 WHERE NEW.id IN (source_offer_id, target_offer_id)) THEN
        RAISE EXCEPTION USING ERRCODE = 'SU061', CONSTRAINT = 'check_upgrade_paths_no_add_ons',
            MESSAGE = format('check_upgrade_paths_no_add_ons: offer %s is on an upgrade path', NEW.id);
    END IF;
    RETURN NEW;
END $$;
CREATE OR REPLACE TRIGGER check_offers_add_on_not_in_paths
    BEFORE UPDATE OF is_add_on ON core.offers
    FOR EACH ROW EXECUTE FUNCTION logic.check_offers_add_on_not_in_paths();

-- A customer is visible to the partner that added it (SPEC 7.1); other partners are
-- linked by the platform (api.customer_link).
CREATE OR REPLACE FUNCTION logic.link_customer_creator()
RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    INSERT INTO core.partner_customers (partner_id, customer_id, how)
    SELECT n.created_by_partner_id, n.id, 'added' FROM new_rows n WHERE n.created_by_partner_id IS NOT NULL
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER link_partner_customer AFTER INSERT ON core.customers
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION logic.link_customer_creator();

-- The audit trail: one event per changed row of the audited tables, whoever writes.
-- Statement-level triggers over transition tables, so that a set-based change (a batch
-- chunk) is audited by one INSERT ... SELECT. changes are {field: [old, new]}; the
-- operation and request come from logic.begin_operation, else the statement (a psql
-- write is audited as `sql_update` etc.). A set-based upgrade of several requests (a batch
-- wave) names each subscription's own request in subctl.request_ids, a jsonb object
-- {source subscription id: request id}, consulted first: an inserted target by its
-- upgraded_from_subscription_id, an updated source by its id, a license assignment by its
-- subscription_id (the upgrade adds its targets to the object before it moves them).
CREATE OR REPLACE FUNCTION logic.row_changes(p_old jsonb, p_new jsonb)
RETURNS jsonb LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
-- PL/pgSQL, not SQL: its plan is kept for the session, where a SQL function called
-- from a trigger would be planned again by every statement.
BEGIN
    RETURN (SELECT coalesce(jsonb_object_agg(k.key, jsonb_build_array(p_old -> k.key, p_new -> k.key)), '{}')
            FROM jsonb_object_keys(coalesce(p_new, p_old)) AS k (key)
            WHERE k.key NOT IN ('version', 'updated_at', 'created_at')
              AND (p_old -> k.key) IS DISTINCT FROM (p_new -> k.key)
              AND (coalesce(p_old -> k.key, 'null') <> 'null' OR coalesce(p_new -> k.key, 'null') <> 'null'));
END $$;

-- The audit event of one changed row (old and/or new as jsonb), none for an update that
-- changed nothing; p_who holds what is the same for the whole statement (operation,
-- operator, partner, source, request_id, request_ids, batch_id, comment).
CREATE FUNCTION logic.audit_event_of(p_table text, p_op text, p_old jsonb, p_new jsonb, p_who jsonb)
RETURNS TABLE (operation text, operator text, partner_id text, source text, entity text, entity_id text,
               subscription_id uuid, subscription_version bigint, customer_id uuid, changes jsonb, outcome text,
               request_id text, batch_id text, comment text, offer_id text)
LANGUAGE plpgsql IMMUTABLE ROWS 1 SET search_path = pg_catalog, pg_temp AS $$
-- Assignments and RETURN NEXT, not RETURN QUERY: called once per row, and each
-- assignment is evaluated without starting an executor.
DECLARE
    v_r jsonb := coalesce(p_new, p_old);
BEGIN
    changes := logic.row_changes(p_old, p_new);
    IF p_op = 'UPDATE' AND changes = '{}' THEN
        RETURN;
    END IF;
    operation := p_who ->> 'operation';
    operator := p_who ->> 'operator';
    partner_id := p_who ->> 'partner_id';
    source := p_who ->> 'source';
    entity := p_table;
    entity_id := coalesce(v_r ->> 'id', v_r ->> 'login_role', v_r ->> 'user_id', v_r ->> 'partner_id');
    subscription_id := CASE p_table WHEN 'subscriptions' THEN (v_r ->> 'id')::uuid
                                    WHEN 'license_assignments' THEN (v_r ->> 'subscription_id')::uuid END;
    subscription_version := CASE WHEN p_table = 'subscriptions' THEN (v_r ->> 'version')::bigint END;
    customer_id := CASE p_table WHEN 'customers' THEN (v_r ->> 'id')::uuid
                                WHEN 'partners' THEN NULL ELSE (v_r ->> 'customer_id')::uuid END;
    outcome := 'succeeded';
    request_id := coalesce(p_who -> 'request_ids' ->> CASE WHEN p_table = 'license_assignments' THEN v_r ->> 'subscription_id'
                                                           WHEN p_op = 'INSERT' THEN v_r ->> 'upgraded_from_subscription_id'
                                                           ELSE v_r ->> 'id' END, p_who ->> 'request_id');
    batch_id := p_who ->> 'batch_id';
    comment := p_who ->> 'comment';
    offer_id := CASE WHEN p_table = 'subscriptions' THEN v_r ->> 'offer_id' END;
    RETURN NEXT;
END $$;

-- One INSERT ... SELECT straight from the transition table per kind of statement: no
-- array of the rows in between (an array is limited to 1 GB, which a statement changing
-- a million subscriptions exceeds).
CREATE OR REPLACE FUNCTION logic.audit_row_changes()
RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    -- who and what: once per statement, not per row. Outside an operation (direct SQL)
    -- the request settings of the session are not recorded: only an operation names one.
    v_who jsonb := jsonb_build_object(
        'operation', coalesce(logic.setting('operation'), 'sql_' || lower(TG_OP)),
        'operator', logic.acting_operator(), 'partner_id', logic.acting_audit_partner(), 'source', logic.acting_source(),
        'request_id', CASE WHEN logic.setting('operation') IS NOT NULL THEN logic.setting('request_id') END,
        'request_ids', CASE WHEN TG_TABLE_NAME IN ('subscriptions', 'license_assignments') AND logic.setting('operation') IS NOT NULL
                            THEN logic.setting('request_ids')::jsonb END,
        'batch_id', logic.acting_batch(), 'comment', logic.setting('comment'));
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO core.audit_events (operation, operator, partner_id, source, entity, entity_id, subscription_id,
                                       subscription_version, customer_id, changes, outcome, request_id, batch_id, comment, offer_id)
        SELECT e.* FROM new_rows n, logic.audit_event_of(TG_TABLE_NAME, TG_OP, NULL, to_jsonb(n), v_who) e;
    ELSIF TG_OP = 'UPDATE' AND TG_TABLE_NAME = 'partner_logins' THEN  -- keyed by the login, not an id
        INSERT INTO core.audit_events (operation, operator, partner_id, source, entity, entity_id, subscription_id,
                                       subscription_version, customer_id, changes, outcome, request_id, batch_id, comment, offer_id)
        SELECT e.* FROM old_rows o JOIN new_rows n USING (login_role),
                        logic.audit_event_of(TG_TABLE_NAME, TG_OP, to_jsonb(o), to_jsonb(n), v_who) e;
    ELSIF TG_OP = 'UPDATE' AND TG_TABLE_NAME = 'partner_customers' THEN  -- keyed by partner and customer
        INSERT INTO core.audit_events (operation, operator, partner_id, source, entity, entity_id, subscription_id,
                                       subscription_version, customer_id, changes, outcome, request_id, batch_id, comment, offer_id)
        SELECT e.* FROM old_rows o JOIN new_rows n USING (partner_id, customer_id),
                        logic.audit_event_of(TG_TABLE_NAME, TG_OP, to_jsonb(o), to_jsonb(n), v_who) e;
    ELSIF TG_OP = 'UPDATE' AND TG_TABLE_NAME = 'license_assignments' THEN  -- keyed by what may change: each row as gone and come
        INSERT INTO core.audit_events (operation, operator, partner_id, source, entity, entity_id, subscription_id,
                                       subscription_version, customer_id, changes, outcome, request_id, batch_id, comment, offer_id)
        SELECT e.* FROM (SELECT to_jsonb(o) AS old, NULL::jsonb AS new FROM old_rows o
                         UNION ALL SELECT NULL, to_jsonb(n) FROM new_rows n) x,
                        logic.audit_event_of(TG_TABLE_NAME, CASE WHEN x.old IS NULL THEN 'INSERT' ELSE 'DELETE' END,
                                             x.old, x.new, v_who) e;
    ELSIF TG_OP = 'UPDATE' AND TG_TABLE_NAME = 'subscriptions' AND logic.setting('operation') IS NOT NULL
          AND logic.setting('steps') IS NOT NULL THEN
        -- A subscription named in subctl.steps (see logic.bump_subscriptions_version): an
        -- event per request, each from the quantity and version the one before left, under
        -- its own request id. The steps must end where the row did.
        -- (MATERIALIZED: the steps parsed once per statement, not again for every row)
        IF EXISTS (WITH v AS MATERIALIZED (SELECT logic.setting('steps')::jsonb AS steps)
                   SELECT 1 FROM v, old_rows o JOIN new_rows n USING (id)
                   WHERE v.steps ? o.id::text
                     AND (n.version <> o.version + jsonb_array_length(v.steps -> o.id::text)
                          OR (v.steps -> o.id::text -> -1 ->> 0)::bigint <> n.quantity
                          OR (to_jsonb(n) - 'quantity' - 'version' - 'updated_at')
                             <> (to_jsonb(o) - 'quantity' - 'version' - 'updated_at'))) THEN
            RAISE EXCEPTION 'logic.audit_row_changes: subctl.steps does not describe the change of a subscription it names';
        END IF;
        -- A stepped subscription's events straight from its steps: only its quantity changed
        -- (checked above), so its changes are {quantity: [before, after]}, as
        -- logic.row_changes would find, without a jsonb image of each step.
        INSERT INTO core.audit_events (operation, operator, partner_id, source, entity, entity_id, subscription_id,
                                       subscription_version, customer_id, changes, outcome, request_id, batch_id, comment, offer_id)
        WITH v AS MATERIALIZED (SELECT logic.setting('steps')::jsonb AS steps)
        SELECT x.operation, x.operator, x.partner_id, x.source, x.entity, x.entity_id, x.subscription_id,
               x.subscription_version, x.customer_id, x.changes, x.outcome, x.request_id, x.batch_id, x.comment, x.offer_id
        FROM (
            SELECT e.*, o.id AS sort_id, 0::bigint AS sort_step
            FROM v, old_rows o JOIN new_rows n USING (id),
                 logic.audit_event_of(TG_TABLE_NAME, TG_OP, to_jsonb(o), to_jsonb(n), v_who) e
            WHERE NOT v.steps ? o.id::text
            UNION ALL
            SELECT v_who ->> 'operation', v_who ->> 'operator', v_who ->> 'partner_id', v_who ->> 'source', TG_TABLE_NAME,
                   o.id::text, o.id, o.version + t.step, o.customer_id,
                   jsonb_build_object('quantity', jsonb_build_array(
                       CASE WHEN t.step = 1 THEN to_jsonb(o.quantity) ELSE v.steps -> o.id::text -> (t.step::integer - 2) -> 0 END,
                       t.s -> 0)),
                   'succeeded', coalesce(t.s ->> 1, v_who ->> 'request_id'), v_who ->> 'batch_id', v_who ->> 'comment',
                   o.offer_id, o.id, t.step
            FROM v, old_rows o, jsonb_array_elements(v.steps -> o.id::text) WITH ORDINALITY AS t (s, step)) x
        ORDER BY x.sort_id, x.sort_step;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO core.audit_events (operation, operator, partner_id, source, entity, entity_id, subscription_id,
                                       subscription_version, customer_id, changes, outcome, request_id, batch_id, comment, offer_id)
        SELECT e.* FROM old_rows o JOIN new_rows n USING (id),
                        logic.audit_event_of(TG_TABLE_NAME, TG_OP, to_jsonb(o), to_jsonb(n), v_who) e;
    ELSE
        INSERT INTO core.audit_events (operation, operator, partner_id, source, entity, entity_id, subscription_id,
                                       subscription_version, customer_id, changes, outcome, request_id, batch_id, comment, offer_id)
        SELECT e.* FROM old_rows o, logic.audit_event_of(TG_TABLE_NAME, TG_OP, to_jsonb(o), NULL, v_who) e;
    END IF;
    RETURN NULL;
END $$;
-- AFTER ... FOR EACH STATEMENT triggers on INSERT, UPDATE and DELETE of core.p_table,
-- named p_prefix_inserts, _updates, _deletes, that call p_function with the statement's
-- rows as transition tables new_rows and old_rows.
CREATE OR REPLACE FUNCTION logic.create_statement_triggers(p_table text, p_prefix text, p_function regproc)
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    EXECUTE format('CREATE OR REPLACE TRIGGER %I AFTER INSERT ON core.%I REFERENCING NEW TABLE AS new_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION %s()', p_prefix || '_inserts', p_table, p_function);
    EXECUTE format('CREATE OR REPLACE TRIGGER %I AFTER UPDATE ON core.%I REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION %s()', p_prefix || '_updates', p_table, p_function);
    EXECUTE format('CREATE OR REPLACE TRIGGER %I AFTER DELETE ON core.%I REFERENCING OLD TABLE AS old_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION %s()', p_prefix || '_deletes', p_table, p_function);
END $$;
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['partners', 'partner_logins', 'partner_customers', 'customers', 'relationships', 'subscriptions',
                             'users', 'license_assignments'] LOOP
        PERFORM logic.create_statement_triggers(t, 'audit', 'logic.audit_row_changes');
    END LOOP;
END $$;

-- The table a rejected operation would have changed (the entity of its audit event).
CREATE OR REPLACE FUNCTION logic.operation_entity(p_operation text)
RETURNS text LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN CASE WHEN p_operation IN ('request_relationship', 'accept_relationship', 'remove_relationship') THEN 'relationships'
                WHEN p_operation = 'add_customer' THEN 'customers'
                WHEN p_operation = 'add_partner' THEN 'partners'
                WHEN p_operation = 'link_customer' THEN 'partner_customers'
                WHEN p_operation = 'map_login' THEN 'partner_logins'
                WHEN p_operation = 'catalog_apply' THEN 'catalog'
                WHEN p_operation = 'add_user' THEN 'users'
                WHEN p_operation IN ('assign_license', 'unassign_license') THEN 'license_assignments'
                ELSE 'subscriptions' END;
END $$;

-- A rejected operation changes nothing but is recorded with its codes, under the partner
-- of the operation (none for an administration of the platform, as its changes are),
-- against what its parameters name: the subscription, with its customer and offer, or
-- the customer (customer_id; id of a customer added), each only when the acting partner
-- may see it (an unknown or hidden one is recorded without them; the platform sees every
-- customer); the entity_id is the subscription, the customer or partner added, or the
-- partner linked or mapped.
-- A request that succeeded without changing a row (every user named already held the
-- license, say) is recorded the same way, outcome succeeded, with no changed fields: every
-- attempted operation has its event.
-- Set-based: p_requests is [{error_codes, parameters, request_id}], one event each, in
-- order; error_codes empty: succeeded, nothing changed.
CREATE OR REPLACE FUNCTION logic.audit_requests(p_operation text, p_requests jsonb)
RETURNS void LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp BEGIN ATOMIC
    INSERT INTO core.audit_events (operation, operator, partner_id, source, entity, entity_id,
                                   subscription_id, customer_id, offer_id, changes, outcome, error_codes,
                                   request_id, batch_id, comment)
    SELECT p_operation, who.operator, who.partner_id, who.source,
           who.entity, CASE who.entity WHEN 'subscriptions' THEN r.subscription_id::text
                                       WHEN 'customers' THEN r.parameters ->> 'id'
                                       WHEN 'partners' THEN r.parameters ->> 'id'
                                       WHEN 'partner_logins' THEN r.parameters ->> 'login_role'
                                       WHEN 'partner_customers' THEN r.parameters ->> 'partner_id' END,
           r.subscription_id, coalesce(s.customer_id, c.id), coalesce(s.offer_id, o.id),
           CASE WHEN jsonb_array_length(r.error_codes) > 0 THEN jsonb_build_object('requested', r.parameters) ELSE '{}' END,
           CASE WHEN jsonb_array_length(r.error_codes) > 0 THEN 'rejected' ELSE 'succeeded' END,
           ARRAY(SELECT jsonb_array_elements_text(r.error_codes)),
           r.request_id, who.batch_id, who.comment
    FROM (SELECT logic.acting_operator() AS operator, logic.acting_audit_partner() AS partner_id,
                 logic.acting_partner() AS visible_to, logic.operation_entity(p_operation) AS entity,
                 logic.acting_source() AS source, logic.acting_batch() AS batch_id,
                 logic.setting('comment') AS comment OFFSET 0) who
    CROSS JOIN (SELECT x.ord, x.e -> 'parameters' AS parameters, x.e -> 'error_codes' AS error_codes,
                       x.e ->> 'request_id' AS request_id, (x.e -> 'parameters' ->> 'subscription_id')::uuid AS subscription_id,
                       (coalesce(x.e -> 'parameters' ->> 'customer_id',
                                 CASE WHEN p_operation = 'add_customer' THEN x.e -> 'parameters' ->> 'id' END))::uuid AS customer_id
                FROM jsonb_array_elements(p_requests) WITH ORDINALITY AS x (e, ord)) r
    LEFT JOIN core.subscriptions s
           ON s.id = r.subscription_id AND logic.customer_visible(who.visible_to, s.customer_id)
    LEFT JOIN core.customers c
           ON c.id = r.customer_id AND (who.partner_id IS NULL OR logic.customer_visible(who.visible_to, c.id))
    -- a refused new subscription (no subscription yet) of a visible customer: the offer asked for
    LEFT JOIN core.offers o
           ON o.id = r.parameters ->> 'offer_id' AND r.subscription_id IS NULL AND c.id IS NOT NULL
              AND who.entity = 'subscriptions'
    ORDER BY r.ord;
END;

-- Rejections: [{error_codes, parameters, request_id}], each with its codes.
CREATE OR REPLACE FUNCTION logic.audit_rejections(p_operation text, p_rejections jsonb)
RETURNS void LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp BEGIN ATOMIC
    SELECT logic.audit_requests(p_operation, p_rejections);
END;

CREATE OR REPLACE FUNCTION logic.audit_rejection(p_operation text, p_codes text[], p_parameters jsonb,
                                                p_request_id text)
RETURNS void LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp BEGIN ATOMIC
    SELECT logic.audit_requests(p_operation, jsonb_build_array(jsonb_build_object(
        'error_codes', to_jsonb(p_codes), 'parameters', p_parameters, 'request_id', p_request_id)));
END;

-- audit_events_append_only: no UPDATE, DELETE or TRUNCATE, by anyone.
CREATE OR REPLACE FUNCTION logic.refuse_audit_events_change()
RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'SU070', CONSTRAINT = 'audit_events_append_only',
        MESSAGE = format('audit_events_append_only: audit events cannot be changed (%s)', TG_OP);
END $$;
CREATE OR REPLACE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON core.audit_events
    FOR EACH ROW EXECUTE FUNCTION logic.refuse_audit_events_change();
CREATE OR REPLACE TRIGGER audit_events_append_only_truncate BEFORE TRUNCATE ON core.audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION logic.refuse_audit_events_change();

-- The tamper-evident chain (SPEC 7.1): every event inserted, whoever writes it, names the
-- newest event of its chain before it and hashes that event's chain_hash with itself
-- (core.audit_event_digest, migration 008). One UPDATE of the chain's head row reads the
-- head, moves it to this event and returns both: it locks the row, so under read
-- committed a second writer waits and then chains after the first (the UPDATE is
-- evaluated again on the newest head); under repeatable read or serializable it fails
-- to serialize (and is retried), so a chain never forks. The digest is computed in that
-- UPDATE.
CREATE OR REPLACE FUNCTION logic.chain_audit_event()
RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_chain text := core.audit_chain_of(NEW.customer_id, NEW.partner_id);
BEGIN
    FOR attempt IN 1 .. 2 LOOP
        UPDATE core.audit_chain_heads h
        SET previous_event_id = h.event_id, event_id = NEW.id, chain_hash = core.audit_event_digest(NEW, h.event_id, h.chain_hash)
        WHERE h.chain = v_chain
        RETURNING h.previous_event_id, h.chain_hash INTO NEW.chain_previous_id, NEW.chain_hash;
        IF FOUND THEN
            RETURN NEW;
        END IF;
        INSERT INTO core.audit_chain_heads (chain, event_id, previous_event_id, chain_hash)
        VALUES (v_chain, NEW.id, NULL, core.audit_event_digest(NEW, NULL, NULL))
        ON CONFLICT (chain) DO NOTHING
        RETURNING previous_event_id, chain_hash INTO NEW.chain_previous_id, NEW.chain_hash;
        IF FOUND THEN
            RETURN NEW;
        END IF;
        -- another transaction began the chain since this statement's snapshot: read
        -- committed sees it on the next try; an older snapshot cannot chain after it
    END LOOP;
    RAISE EXCEPTION USING ERRCODE = 'serialization_failure',
        MESSAGE = format('audit chain %s was begun by a concurrent transaction', v_chain);
END $$;
CREATE OR REPLACE TRIGGER chain_audit_event BEFORE INSERT ON core.audit_events
    FOR EACH ROW EXECUTE FUNCTION logic.chain_audit_event();

-- The chains of the events in scope (all when p_customer_ids and p_partner are NULL; else
-- those customers' chains and that partner's): per chain its events, its head (the event
-- no other follows, and its hash: the checkpoint to keep elsewhere) and the first event
-- that does not follow its chain: its hash is not that of itself after the event it
-- names (it was changed, or that event was changed or removed), it names an event of
-- another chain, or a second event names the same one (inserted out of order). With
-- p_checkpoint ([{chain, head_event_id, head_hash}], as printed by an earlier run), each
-- kept head must still be in its chain with the same hash: that catches the newest
-- events removed, a chain rewritten whole, and a chain gone (every kept chain is checked:
-- one the caller cannot see counts as gone, which tells nothing about it).
CREATE OR REPLACE FUNCTION logic.audit_chains(p_customer_ids uuid[], p_partner text, p_checkpoint jsonb)
RETURNS TABLE (chain text, events bigint, head_event_id bigint, head_hash text, status text,
               first_broken_event_id bigint, problem text)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp BEGIN ATOMIC
    WITH base AS (  -- each arm reads its own index: every event, customers' chains, a partner's chain
        SELECT e FROM core.audit_events e WHERE p_customer_ids IS NULL AND p_partner IS NULL
        UNION ALL
        SELECT e FROM core.audit_events e WHERE e.customer_id = ANY (p_customer_ids)
        UNION ALL
        SELECT e FROM core.audit_events e WHERE e.customer_id IS NULL AND e.partner_id = p_partner),
    scoped AS MATERIALIZED (
        SELECT (b.e).id, (b.e).chain_previous_id, (b.e).chain_hash, core.audit_chain_of((b.e).customer_id, (b.e).partner_id) AS chain,
               CASE WHEN p.id IS NOT NULL THEN core.audit_chain_of(p.customer_id, p.partner_id) END AS previous_chain,
               (b.e).chain_hash IS DISTINCT FROM core.audit_event_digest(b.e, (b.e).chain_previous_id, p.chain_hash) AS unhashed,
               count(*) OVER (PARTITION BY core.audit_chain_of((b.e).customer_id, (b.e).partner_id), (b.e).chain_previous_id) > 1
                   AND (b.e).id > min((b.e).id) OVER (PARTITION BY core.audit_chain_of((b.e).customer_id, (b.e).partner_id),
                                                                (b.e).chain_previous_id) AS forked
        FROM base b
        LEFT JOIN core.audit_events p ON p.id = (b.e).chain_previous_id),
    flagged AS (
        SELECT s.*, followed.chain_previous_id IS NULL AS is_head, CASE
                   WHEN s.chain_previous_id IS NOT NULL AND s.previous_chain IS NULL
                       THEN format('event %s follows event %s, which is gone: events were removed', s.id, s.chain_previous_id)
                   WHEN s.previous_chain <> s.chain
                       THEN format('event %s follows event %s of another chain: it was moved', s.id, s.chain_previous_id)
                   WHEN s.forked
                       THEN format('event %s follows an event another event already follows: it was inserted', s.id)
                   WHEN s.unhashed
                       THEN format('event %s does not follow the chain: it or the event before it was changed', s.id)
               END AS problem
        FROM scoped s
        LEFT JOIN (SELECT DISTINCT n.chain_previous_id FROM scoped n) followed ON followed.chain_previous_id = s.id),
    chains AS (
        SELECT f.chain, count(*) AS events,
               max(f.id) FILTER (WHERE f.is_head) AS head_event_id,
               (array_agg(encode(f.chain_hash, 'hex') ORDER BY f.id DESC) FILTER (WHERE f.is_head))[1] AS head_hash,
               (array_agg(f.id ORDER BY f.id) FILTER (WHERE f.problem IS NOT NULL))[1] AS first_broken_event_id,
               (array_agg(f.problem ORDER BY f.id) FILTER (WHERE f.problem IS NOT NULL))[1] AS problem
        FROM flagged f GROUP BY f.chain),
    kept AS (
        SELECT k ->> 'chain' AS chain, (k ->> 'head_event_id')::bigint AS head_event_id, k ->> 'head_hash' AS head_hash
        FROM jsonb_array_elements(coalesce(p_checkpoint, '[]')) k),
    checked AS (
        SELECT k.chain, k.head_event_id,
               CASE WHEN s.id IS NULL THEN format('event %s, the head of this chain in the checkpoint, is gone: events were removed', k.head_event_id)
                    WHEN encode(s.chain_hash, 'hex') <> k.head_hash THEN format('event %s no longer has the hash of the checkpoint: the chain was rewritten', k.head_event_id)
               END AS problem
        FROM kept k LEFT JOIN scoped s ON s.chain = k.chain AND s.id = k.head_event_id)
    SELECT coalesce(c.chain, k.chain), coalesce(c.events, 0), c.head_event_id, c.head_hash,
           CASE WHEN c.first_broken_event_id IS NULL AND k.problem IS NULL THEN 'ok' ELSE 'broken' END,
           coalesce(c.first_broken_event_id, CASE WHEN k.problem IS NOT NULL THEN k.head_event_id END),
           coalesce(c.problem, k.problem)
    FROM chains c FULL JOIN checked k ON k.chain = c.chain
    ORDER BY 5, 1;  -- broken first
END;

-- Subscriptions whose row is not what their audit trail says (every field's latest
-- recorded value, and the version): a change made with the audit triggers off. For a
-- partner (p_partner), the values of fields naming partners are not shown.
CREATE OR REPLACE FUNCTION logic.audit_unrecorded_changes(p_customer_ids uuid[], p_partner text)
RETURNS TABLE (subscription_id uuid, customer_id uuid, field text, problem text)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp BEGIN ATOMIC
    SELECT s.id, s.customer_id, d.field,
           CASE WHEN p_partner IS NOT NULL AND d.field IN ('partner_id', 'recorded_by_partner_id')
                THEN format('subscription %s: %s is not what its audit trail says: changed without an audit event',
                            s.id, d.field)
                ELSE format('subscription %s: %s is %s but its audit trail says %s: changed without an audit event',
                            s.id, d.field, d.now, coalesce(d.recorded::text, 'nothing')) END
    FROM core.subscriptions s
    CROSS JOIN LATERAL (
        SELECT l.key AS field, coalesce(to_jsonb(s) -> l.key, 'null') AS now, l.value AS recorded
        FROM (SELECT DISTINCT ON (c.key) c.key, c.value -> 1 AS value
              FROM core.audit_events a, jsonb_each(a.changes) c
              WHERE a.subscription_id = s.id AND a.customer_id = s.customer_id AND a.outcome = 'succeeded'
                AND a.entity = 'subscriptions'
              ORDER BY c.key, a.id DESC) l
        UNION ALL
        SELECT 'version', to_jsonb(s.version), to_jsonb(max(a.subscription_version))
        FROM core.audit_events a
        WHERE a.subscription_id = s.id AND a.customer_id = s.customer_id AND a.outcome = 'succeeded'
          AND a.entity = 'subscriptions') d
    WHERE (p_customer_ids IS NULL OR s.customer_id = ANY (p_customer_ids))
      AND d.now IS DISTINCT FROM d.recorded
    ORDER BY s.customer_id, s.id, d.field;
END;
