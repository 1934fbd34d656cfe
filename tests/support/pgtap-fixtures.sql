-- Test fixtures for pgTAP files, installed once per test cluster by run-tests.sh (in
-- schema `test`, outside the committed schema dump). Each pgTAP file runs in a
-- transaction that it rolls back.
CREATE SCHEMA IF NOT EXISTS test;

-- A fresh partner, made the acting partner of this transaction.
CREATE OR REPLACE FUNCTION test.act_as_new_partner(p_prefix text DEFAULT 'p')
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    v_id text := p_prefix || '-' || substr(md5(random()::text), 1, 10);
BEGIN
    IF api.partner_add(v_id, 'Partner ' || v_id) ->> 'status' <> 'succeeded' THEN
        RAISE EXCEPTION 'test.act_as_new_partner: partner % was refused', v_id;
    END IF;
    PERFORM set_config('subctl.partner_id', v_id, true);
    RETURN v_id;
END $$;

CREATE OR REPLACE FUNCTION test.act_as(p_partner text)
RETURNS void LANGUAGE sql AS $$
    SELECT set_config('subctl.partner_id', p_partner, true)
$$;

-- An office365 relationship of the acting partner with a customer it serves: requested,
-- and accepted unless told not to. Returns the last change's result.
CREATE OR REPLACE FUNCTION test.new_relationship(p_customer uuid, p_accept boolean DEFAULT true)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    r jsonb := api.relationship_change('request', p_customer, 'office365');
BEGIN
    IF p_accept THEN
        r := api.relationship_change('accept', p_customer, 'office365');
    END IF;
    RETURN r;
END $$;

-- A customer of the acting partner, optionally with an active office365 relationship.
CREATE OR REPLACE FUNCTION test.new_customer(p_with_relationship boolean DEFAULT true)
RETURNS uuid LANGUAGE plpgsql AS $$
DECLARE
    v_id uuid := (api.customer_add('Customer ' || substr(md5(random()::text), 1, 8)) ->> 'id')::uuid;
BEGIN
    IF p_with_relationship AND test.new_relationship(v_id) ->> 'status' <> 'succeeded' THEN
        RAISE EXCEPTION 'test.new_customer: the relationship with % was refused', v_id;
    END IF;
    RETURN v_id;
END $$;

-- A subscription recorded by the acting partner; raises if it was rejected.
CREATE OR REPLACE FUNCTION test.new_subscription(p_customer uuid, p_offer text, p_quantity bigint DEFAULT 10,
                                                 p_channel text DEFAULT 'csp', p_billing_cycle text DEFAULT 'monthly',
                                                 p_status text DEFAULT 'active', p_parent uuid DEFAULT NULL)
RETURNS uuid LANGUAGE plpgsql AS $$
DECLARE
    r jsonb := api.subscription_add(p_customer, p_offer, p_quantity, p_billing_cycle, p_channel, p_status, p_parent);
BEGIN
    IF r ->> 'status' <> 'succeeded' THEN
        RAISE EXCEPTION 'test.new_subscription: %', r;
    END IF;
    RETURN (r ->> 'id')::uuid;
END $$;

-- The error codes of an operation result, as text[].
CREATE OR REPLACE FUNCTION test.codes(p_result jsonb)
RETURNS text[] LANGUAGE sql AS $$
    SELECT coalesce(array_agg(e ->> 'code' ORDER BY o), '{}')
    FROM jsonb_array_elements(p_result -> 'errors') WITH ORDINALITY AS x (e, o)
$$;

-- The error codes that the `upgrades` listing gives for one target of a subscription
-- (NULL when the target is not listed).
CREATE OR REPLACE FUNCTION test.listed_codes(p_subscription uuid, p_target text)
RETURNS text[] LANGUAGE sql AS $$
    SELECT test.codes(u) FROM jsonb_array_elements(api.upgrades(p_subscription)) u
    WHERE u ->> 'target_offer' = p_target
$$;

-- Every subscription of a customer as it is now, to show that nothing changed.
CREATE OR REPLACE FUNCTION test.customer_subscriptions(p_customer uuid)
RETURNS jsonb LANGUAGE sql AS $$
    SELECT coalesce(jsonb_agg(to_jsonb(s) ORDER BY s.id), '[]') FROM core.subscriptions s WHERE s.customer_id = p_customer
$$;

-- Four assertions about a refused operation (api call given as SQL text returning
-- jsonb): exactly the codes p_codes, status rejected, no subscription of the
-- customer changed, and one audit event, rejected, with those codes.
CREATE OR REPLACE FUNCTION test.is_rejected(p_call text, p_customer uuid, p_codes text[], p_what text)
RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
    v_before jsonb := test.customer_subscriptions(p_customer);
    v_last_event bigint := (SELECT coalesce(max(id), 0) FROM core.audit_events);
    v_result jsonb;
BEGIN
    EXECUTE 'SELECT ' || p_call INTO v_result;
    RETURN NEXT is(test.codes(v_result), p_codes, p_what || ': rejected with ' || array_to_string(p_codes, ', '));
    RETURN NEXT is(v_result ->> 'status', 'rejected', p_what || ': status rejected');
    RETURN NEXT is(test.customer_subscriptions(p_customer), v_before, p_what || ': no subscription changed');
    RETURN NEXT is(ARRAY(SELECT outcome || ' ' || error_codes::text FROM core.audit_events WHERE id > v_last_event ORDER BY id),
                   ARRAY['rejected ' || p_codes::text], p_what || ': one audit event, rejected, with the codes');
END $$;

-- Everything a refusal may not change: partners, logins, customers, links, relationships,
-- subscriptions, users and license assignments, as one digest.
CREATE OR REPLACE FUNCTION test.records_digest()
RETURNS text LANGUAGE sql AS $$
    SELECT md5(concat_ws('|',
        (SELECT string_agg(to_jsonb(x)::text, ',' ORDER BY x.id) FROM core.partners x),
        (SELECT string_agg(to_jsonb(x)::text, ',' ORDER BY x.login_role) FROM core.partner_logins x),
        (SELECT string_agg(to_jsonb(x)::text, ',' ORDER BY x.id) FROM core.customers x),
        (SELECT string_agg(to_jsonb(x)::text, ',' ORDER BY x.partner_id, x.customer_id) FROM core.partner_customers x),
        (SELECT string_agg(to_jsonb(x)::text, ',' ORDER BY x.id) FROM core.relationships x),
        (SELECT string_agg(to_jsonb(x)::text, ',' ORDER BY x.id) FROM core.subscriptions x),
        (SELECT string_agg(to_jsonb(x)::text, ',' ORDER BY x.id) FROM core.users x),
        (SELECT string_agg(to_jsonb(x)::text, ',' ORDER BY x.subscription_id, x.user_id) FROM core.license_assignments x)))
$$;

-- Four assertions about a refused request that is not a subscription's (api call given as
-- SQL text returning jsonb): the code p_code alone (with its description and a message),
-- status rejected, nothing changed (test.records_digest), and exactly one audit event,
-- rejected with that code, whose fields named in p_event (operation, entity, entity_id,
-- partner_id, customer_id, request_id, ...) have those values.
CREATE OR REPLACE FUNCTION test.is_refused(p_call text, p_code text, p_event jsonb, p_what text)
RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
    v_before text := test.records_digest();
    v_last_event bigint := (SELECT coalesce(max(id), 0) FROM core.audit_events);
    v_result jsonb;
    v_events jsonb;
BEGIN
    EXECUTE 'SELECT ' || p_call INTO v_result;
    RETURN NEXT is(ARRAY(SELECT e ->> 'code' FROM jsonb_array_elements(v_result -> 'errors') e
                         WHERE e ->> 'description' IS NOT NULL AND NOT e ?| ARRAY['message', 'hint']
                           AND e ->> 'next_step' NOT LIKE '%{%'),
                   ARRAY[p_code], p_what || ': rejected with ' || p_code || ', described, with a next step');
    RETURN NEXT is(v_result ->> 'status', 'rejected', p_what || ': status rejected');
    RETURN NEXT is(test.records_digest(), v_before, p_what || ': nothing changed');
    SELECT jsonb_agg((SELECT jsonb_object_agg(k, to_jsonb(e) -> k) FROM jsonb_object_keys(p_event) k)
                     || jsonb_build_object('outcome', e.outcome, 'error_codes', e.error_codes) ORDER BY e.id)
    INTO v_events FROM core.audit_events e WHERE e.id > v_last_event;
    RETURN NEXT is(v_events, jsonb_build_array(p_event || jsonb_build_object('outcome', 'rejected', 'error_codes', ARRAY[p_code])),
                   p_what || ': one audit event, rejected with the code, ' || p_event::text);
END $$;

-- A login role (rolled back with the test's transaction) that holds p_role (one of the
-- subctl_* roles), acts for p_partner, and may record pgTAP results once plan() ran.
-- Switch to it with SET SESSION AUTHORIZATION: the acting partner follows session_user.
CREATE OR REPLACE FUNCTION test.new_login(p_name text, p_role text, p_partner text)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('CREATE ROLE %I LOGIN', p_name);
    EXECUTE format('GRANT %I TO %I', p_role, p_name);
    PERFORM api.partner_login_map(p_name, p_partner);
    EXECUTE format('GRANT USAGE ON SCHEMA test TO %I', p_name);
    EXECUTE format('GRANT ALL ON ALL TABLES IN SCHEMA pg_temp TO %I', p_name);
    EXECUTE format('GRANT ALL ON ALL SEQUENCES IN SCHEMA pg_temp TO %I', p_name);
END $$;

-- How many rows of a relation mention p_needle anywhere (any column, as text).
CREATE OR REPLACE FUNCTION test.rows_mentioning(p_relation regclass, p_needle text)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
BEGIN
    EXECUTE format('SELECT count(*) FROM %s r WHERE strpos(to_jsonb(r)::text, $1) > 0', p_relation)
        INTO n USING p_needle;
    RETURN n;
END $$;

-- How many rows of a relation with a customer_id column are of customer p_customer.
CREATE OR REPLACE FUNCTION test.rows_where_customer(p_relation regclass, p_customer uuid)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
BEGIN
    EXECUTE format('SELECT count(*) FROM %s r WHERE r.customer_id = $1', p_relation) INTO n USING p_customer;
    RETURN n;
END $$;

-- Stages p_text as a batch file (one row per line, INSERTed where subctl COPYs into the
-- same table) and registers it as a batch of the acting partner.
CREATE OR REPLACE FUNCTION test.register_batch(p_text text, p_name text DEFAULT NULL)
RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    PERFORM api.batch_begin();
    INSERT INTO pg_temp.batch_lines (raw)
    SELECT l FROM unnest(string_to_array(rtrim(p_text, E'\n'), E'\n')) WITH ORDINALITY AS x (l, n) ORDER BY n;
    RETURN api.batch_register(p_name, encode(sha256(convert_to(p_text, 'UTF8')), 'hex'), 'test.csv');
END $$;

-- Applies every row of batch p_batch_id one by one (logic.batch_apply_row, the per-row
-- path), as a batch run would name them in the audit trail: the set-based path's twin
-- against which the set-based tests compare.
CREATE OR REPLACE FUNCTION test.apply_rows_one_by_one(p_partner text, p_batch_id text)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('subctl.batch_id', p_batch_id, true), set_config('subctl.source', 'batch', true);
    PERFORM logic.batch_apply_row(p_partner, r, false)
    FROM (SELECT * FROM core.batch_rows WHERE batch_id = p_batch_id ORDER BY line) r;
END $$;

-- The platform links an existing customer to another partner (the customer accepted its
-- reseller invitation): only then may that partner see and serve it (SPEC 7.1).
CREATE OR REPLACE FUNCTION test.link(p_customer uuid, p_partner text)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF api.customer_link(p_customer, p_partner) ->> 'status' <> 'succeeded' THEN
        RAISE EXCEPTION 'test.link: linking % to % was refused', p_customer, p_partner;
    END IF;
END $$;

-- The document that describes the catalog now in the database (the shape the C++ layer
-- makes of the TOML file, the argument of api.catalog_apply).
CREATE OR REPLACE FUNCTION test.catalog_document() RETURNS jsonb LANGUAGE sql AS $$
    SELECT jsonb_build_object(
        'services', (SELECT jsonb_agg(jsonb_build_object('id', s.id, 'name', s.name,
                         'plans', ARRAY(SELECT p.id FROM core.service_plans p WHERE p.service_id = s.id ORDER BY 1)))
                     FROM core.services s),
        'offers', (SELECT jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
                       'id', o.id, 'name', o.name, 'service', o.service_id,
                       'min', o.min_quantity, 'max', o.max_quantity,
                       'plans', ARRAY(SELECT service_plan_id FROM core.offer_service_plans WHERE offer_id = o.id),
                       'billing_cycles', ARRAY(SELECT billing_cycle FROM core.offer_billing_cycles WHERE offer_id = o.id),
                       'upgrades_to', ARRAY(SELECT target_offer_id FROM core.upgrade_paths WHERE source_offer_id = o.id),
                       'add_on_to', CASE WHEN o.is_add_on THEN ARRAY(
                           SELECT parent_offer_id FROM core.offer_add_on_parents WHERE add_on_offer_id = o.id) END)))
                   FROM core.offers o WHERE NOT o.retired))
$$;

-- An offer for one test (rolled back with it), with its billing cycles, the service plans
-- it includes and the offers that upgrade to it; returns its id.
CREATE OR REPLACE FUNCTION test.new_offer(p_id text, p_name text, p_max integer, p_min integer DEFAULT 1,
                                          p_billing_cycles text[] DEFAULT '{monthly}', p_plans text[] DEFAULT '{}',
                                          p_upgrade_from text[] DEFAULT '{}', p_retired boolean DEFAULT false,
                                          p_service text DEFAULT 'office365')
RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO core.offers (id, service_id, name, min_quantity, max_quantity, retired)
    VALUES (p_id, p_service, p_name, p_min, p_max, p_retired);
    INSERT INTO core.offer_billing_cycles SELECT p_id, c FROM unnest(p_billing_cycles) c;
    INSERT INTO core.offer_service_plans SELECT p_id, p FROM unnest(p_plans) p;
    INSERT INTO core.upgrade_paths SELECT s, p_id FROM unnest(p_upgrade_from) s;
    RETURN p_id;
END $$;
