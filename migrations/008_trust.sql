-- 008 — trust between partners (SPEC 7.1).
--
-- 1. The upgrade rules choose between the stored codes and masks with two monomorphic
--    functions now (SQL-standard bodies, resolved when created): the polymorphic one
--    goes, with the report views that call it (sql/ rebuilds them in this transaction).
DROP FUNCTION IF EXISTS core.by_relationship_now(timestamptz, anyelement, anyelement) CASCADE;

-- 2. Visibility. A partner sees a customer it added, or one the platform linked to it
--    (the customer accepted that partner's reseller invitation): `subctl customer link`.
--    A relationship or a recorded subscription no longer makes a customer visible, so
--    the links that came only from those are removed, each with an audit event, and the
--    platform re-links the customers that did accept (`subctl customer link`).
ALTER TABLE core.partner_customers ADD COLUMN how text NOT NULL DEFAULT 'linked',
    ADD COLUMN linked_at timestamptz NOT NULL DEFAULT now(),
    ADD CONSTRAINT check_partner_customers_how CHECK (how IN ('added', 'linked'));
COMMENT ON COLUMN core.partner_customers.how IS
'added: the partner added the customer; linked: the platform linked an existing tenant to it.';
UPDATE core.partner_customers pc SET how = 'added'
FROM core.customers c WHERE c.id = pc.customer_id AND c.created_by_partner_id = pc.partner_id;
WITH removed AS (DELETE FROM core.partner_customers WHERE how = 'linked' RETURNING partner_id, customer_id)
INSERT INTO core.audit_events (operation, operator, partner_id, source, entity, entity_id, customer_id, changes,
                               outcome, comment)
SELECT 'migrate_visibility', current_user, r.partner_id, 'sql', 'partner_customers', r.customer_id::text,
       r.customer_id, jsonb_build_object('partner_id', jsonb_build_array(r.partner_id, NULL)), 'succeeded',
       'migration 008: a customer is visible to the partner that added it and to the partners linked to it'
FROM removed r ORDER BY r.customer_id, r.partner_id;
DROP TRIGGER IF EXISTS link_partner_customer ON core.relationships;
DROP TRIGGER IF EXISTS link_partner_customer ON core.subscriptions;
DROP TRIGGER IF EXISTS link_partner_customer ON core.customers;  -- sql/ links the creator alone now
DROP FUNCTION IF EXISTS core.link_partner_customer();
-- Provenance is passed by the code that does the work (sql/10_context.sql): these two
-- take the batch id as an argument now, and their old forms would make calls ambiguous.
DROP FUNCTION IF EXISTS core.begin_operation(text, text, text);
DROP FUNCTION IF EXISTS core.run_operation(text, jsonb, text, boolean);
-- Whatever writes them (the API or SQL), a relationship and a subscription name only
-- partners that see the customer: a partner cannot act on a customer it cannot see. NOT
-- VALID: rows written before this migration stay as history (a removed link's partner
-- no longer reaches them).
ALTER TABLE core.relationships ADD CONSTRAINT relationships_partner_sees_customer
    FOREIGN KEY (partner_id, customer_id) REFERENCES core.partner_customers (partner_id, customer_id) NOT VALID;
ALTER TABLE core.subscriptions ADD CONSTRAINT subscriptions_reseller_sees_customer
    FOREIGN KEY (partner_id, customer_id) REFERENCES core.partner_customers (partner_id, customer_id) NOT VALID;
ALTER TABLE core.subscriptions ADD CONSTRAINT subscriptions_recorder_sees_customer
    FOREIGN KEY (recorded_by_partner_id, customer_id) REFERENCES core.partner_customers (partner_id, customer_id) NOT VALID;

-- 3. Display names (customers, partners): trimmed, 1-200 characters, no control and no
--    invisible formatting characters (Unicode category Cf: zero-width spaces, joiners,
--    bidirectional overrides, soft hyphens, tags), which make one name look like another.
--    The rule stays with the tables it guards: the API reports the same sentence.
CREATE FUNCTION core.display_name_trimmed(p_name text)
RETURNS text LANGUAGE sql IMMUTABLE STRICT
RETURN btrim(p_name, U&' \00A0\1680\2000\2001\2002\2003\2004\2005\2006\2007\2008\2009\200A\2028\2029\202F\205F\3000');
COMMENT ON FUNCTION core.display_name_trimmed IS 'A name without its leading and trailing spaces (Unicode space separators included).';

-- The first invisible formatting character (Unicode category Cf: soft hyphen, zero-width
-- spaces and joiners, bidirectional marks and overrides, BOM, tags) of p_name, or NULL.
CREATE FUNCTION core.display_name_format_character(p_name text)
RETURNS text LANGUAGE sql IMMUTABLE STRICT
RETURN substring(p_name FROM '[\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f]');
COMMENT ON FUNCTION core.display_name_format_character IS 'The first Unicode Cf (invisible formatting) character of a name, or NULL.';

-- NULL when p_name is a valid display name, else what is wrong with it.
CREATE FUNCTION core.display_name_problem(p_name text)
RETURNS text LANGUAGE sql IMMUTABLE STRICT
RETURN CASE
    WHEN core.display_name_trimmed(p_name) = '' THEN 'is empty'
    WHEN core.display_name_trimmed(p_name) <> p_name THEN 'has leading or trailing spaces'
    WHEN length(p_name) > 200 THEN format('has %s characters, more than 200', length(p_name))
    WHEN p_name ~ '[[:cntrl:]]' THEN 'holds a control character'
    WHEN core.display_name_format_character(p_name) IS NOT NULL
        THEN format('holds the invisible formatting character U+%s (Unicode category Cf)',
                    upper(lpad(to_hex(ascii(core.display_name_format_character(p_name))), 4, '0')))
END;
COMMENT ON FUNCTION core.display_name_problem IS 'NULL for a valid display name, else what is wrong with it (a sentence fragment).';
-- NOT VALID: names stored before keep their text; every new or changed name is checked.
ALTER TABLE core.customers ADD CONSTRAINT check_customers_name_visible
    CHECK (core.display_name_problem(name) IS NULL) NOT VALID;
ALTER TABLE core.partners ADD CONSTRAINT check_partners_name_visible
    CHECK (core.display_name_problem(name) IS NULL) NOT VALID;

-- 4. The tamper-evident audit trail. Each event names the previous event of its chain
--    (chain_previous_id) and carries chain_hash = SHA-256(that event's chain_hash || the
--    event's canonical digest input); a chain is a customer's events, else a partner's
--    events that name no customer, else the platform's. core.audit_chain_heads holds
--    each chain's newest event: the row every writer of the chain updates, so that two
--    writers take turns (read committed) or one fails to serialize (repeatable read and
--    serializable, retried), and a chain never forks. The digest input is defined here,
--    with the table, because the stored hashes depend on it: a later migration that
--    adds a column to audit_events extends it and re-chains.
ALTER TABLE core.audit_events ADD COLUMN chain_previous_id bigint, ADD COLUMN chain_hash bytea;
COMMENT ON COLUMN core.audit_events.chain_previous_id IS 'The previous event of the event''s chain (NULL: the first).';
COMMENT ON COLUMN core.audit_events.chain_hash IS
'SHA-256 of the previous event''s chain_hash and the event (core.audit_event_digest).';

CREATE TABLE core.audit_chain_heads (
    chain             text PRIMARY KEY,
    event_id          bigint NOT NULL,
    previous_event_id bigint,
    chain_hash        bytea NOT NULL
);
COMMENT ON TABLE core.audit_chain_heads IS
'The newest event of each audit chain: updated with every event appended, which serialises the chain''s writers.';

-- The chain hash of event e appended after event p_previous_id whose chain_hash is
-- p_previous_hash: every column of e but the chain's own two, in a form that no session
-- setting changes (times as microseconds since the epoch).
CREATE FUNCTION core.audit_event_digest(e core.audit_events, p_previous_id bigint, p_previous_hash bytea)
RETURNS bytea LANGUAGE sql IMMUTABLE
RETURN sha256(coalesce(p_previous_hash, '\x'::bytea) || convert_to(jsonb_build_array(
    e.id, p_previous_id, (extract(epoch FROM e.occurred_at) * 1000000)::bigint, e.operation, e.operator, e.partner_id,
    e.source, e.entity, e.entity_id, e.subscription_id, e.subscription_version, e.customer_id, e.changes, e.outcome,
    e.error_codes, e.request_id, e.batch_id, e.comment, e.offer_id, e.login_role)::text, 'UTF8'));
COMMENT ON FUNCTION core.audit_event_digest IS
'The chain hash of an event appended after event p_previous_id (hash p_previous_hash): every column but the chain''s own.';

-- The chain an event belongs to.
CREATE FUNCTION core.audit_chain_of(p_customer_id uuid, p_partner_id text)
RETURNS text LANGUAGE sql IMMUTABLE
RETURN CASE WHEN p_customer_id IS NOT NULL THEN 'customer:' || p_customer_id
            WHEN p_partner_id IS NOT NULL THEN 'partner:' || p_partner_id ELSE 'platform' END;
COMMENT ON FUNCTION core.audit_chain_of IS 'The audit chain of an event: customer:ID, else partner:ID, else platform.';

-- The events written before: chained in id order, the order in which they were written
-- (each customer's events under its lock). A migration is the one writer allowed to set it.
CREATE FUNCTION core.audit_chain_step(p_previous bytea, e core.audit_events, p_previous_id bigint)
RETURNS bytea LANGUAGE sql IMMUTABLE RETURN core.audit_event_digest(e, p_previous_id, p_previous);
CREATE AGGREGATE core.audit_chain_running(core.audit_events, bigint) (SFUNC = core.audit_chain_step, STYPE = bytea);
CREATE TEMP TABLE audit_chain_backfill ON COMMIT DROP AS
SELECT c.id, c.chain, c.previous_id,
       core.audit_chain_running(c.e, c.previous_id) OVER (PARTITION BY c.chain ORDER BY c.id) AS chain_hash
FROM (SELECT e.id, e, core.audit_chain_of(e.customer_id, e.partner_id) AS chain,
             lag(e.id) OVER (PARTITION BY core.audit_chain_of(e.customer_id, e.partner_id) ORDER BY e.id) AS previous_id
      FROM core.audit_events e) c;
ALTER TABLE core.audit_events DISABLE TRIGGER USER;
UPDATE core.audit_events a SET chain_previous_id = b.previous_id, chain_hash = b.chain_hash
FROM audit_chain_backfill b WHERE a.id = b.id;
ALTER TABLE core.audit_events ENABLE TRIGGER USER;
INSERT INTO core.audit_chain_heads (chain, event_id, previous_event_id, chain_hash)
SELECT DISTINCT ON (chain) chain, id, previous_id, chain_hash FROM audit_chain_backfill ORDER BY chain, id DESC;
DROP AGGREGATE core.audit_chain_running(core.audit_events, bigint);
DROP FUNCTION core.audit_chain_step(bytea, core.audit_events, bigint);
ALTER TABLE core.audit_events ALTER COLUMN chain_hash SET NOT NULL;
