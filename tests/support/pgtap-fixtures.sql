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
    PERFORM api.partner_add(v_id, 'Partner ' || v_id);
    PERFORM set_config('subctl.partner_id', v_id, true);
    RETURN v_id;
END $$;

CREATE OR REPLACE FUNCTION test.act_as(p_partner text)
RETURNS void LANGUAGE sql AS $$
    SELECT set_config('subctl.partner_id', p_partner, true)
$$;

-- A customer of the acting partner, optionally with an active office365 relationship.
CREATE OR REPLACE FUNCTION test.new_customer(p_with_relationship boolean DEFAULT true)
RETURNS uuid LANGUAGE plpgsql AS $$
DECLARE
    v_id uuid := (api.customer_add('Customer ' || substr(md5(random()::text), 1, 8)) ->> 'id')::uuid;
BEGIN
    IF p_with_relationship THEN
        PERFORM api.relationship_change('request', v_id, 'office365');
        PERFORM api.relationship_change('accept', v_id, 'office365');
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
