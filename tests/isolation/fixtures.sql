-- Fixtures of the isolation specs, installed by tests/support/run-isolation.sh (schema
-- `isolation`, outside the committed schema dump). Each spec's setup takes a fresh
-- customer, so that repeated runs never meet each other's data.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
CREATE SCHEMA IF NOT EXISTS isolation;

-- A new customer of partner iso-partner with an active office365 relationship and one
-- active csp subscription (10 licenses, monthly) per offer given; ids in order.
CREATE OR REPLACE FUNCTION isolation.new_customer(p_offers text[])
RETURNS TABLE (customer uuid, subscriptions uuid[]) LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('subctl.partner_id', 'iso-partner', true);
    IF NOT EXISTS (SELECT 1 FROM core.partners WHERE id = 'iso-partner') THEN
        PERFORM api.partner_add('iso-partner', 'Isolation partner');
    END IF;
    customer := (api.customer_add('Isolation customer') ->> 'id')::uuid;
    PERFORM api.relationship_change('request', customer, 'office365');
    PERFORM api.relationship_change('accept', customer, 'office365');
    subscriptions := ARRAY(SELECT (api.subscription_add(customer, o, 10) ->> 'id')::uuid
                           FROM unnest(p_offers) WITH ORDINALITY AS x (o, n) ORDER BY n);
    RETURN NEXT;
END $$;

-- An operation's outcome as one line: status and error codes.
CREATE OR REPLACE FUNCTION isolation.outcome(p_result jsonb)
RETURNS text LANGUAGE sql AS $$
    SELECT (p_result ->> 'status') || coalesce(' ' || string_agg(e ->> 'code', ',' ORDER BY o), '')
    FROM jsonb_array_elements(p_result -> 'errors') WITH ORDINALITY AS x (e, o)
$$;

-- The SQLSTATE a statement ends with ('ok' when it succeeds): a refusal by a trigger
-- named without its message, which names generated ids.
CREATE OR REPLACE FUNCTION isolation.sqlstate_of(p_sql text)
RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE p_sql;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE;
END $$;
