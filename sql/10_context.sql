-- Who is acting: the partner, the operator and the source (cli, batch, sql) of the
-- current session. The C++ layer sets them once per connection; a plain psql session
-- has no source set and is recorded as `sql`.
--
-- Every function of the project pins its search_path with a SET clause, so no function
-- is inlined into its caller. The small ones called by every write, rule or row are
-- PL/pgSQL: a SQL function with a SET clause starts an executor of its own and plans its
-- body again in every statement that calls it, where PL/pgSQL evaluates an expression
-- directly and keeps the plans of its queries for the session. The few SQL functions left
-- run once per statement (audit verification, catalog checks, core's vocabularies in
-- CHECK constraints) or once per distinct value (error_codes_of, memoized in the
-- reports). A body written as a string (PL/pgSQL, or SQL AS $$...$$) is parsed in the
-- session that first calls it, whose standard_conforming_strings a login may turn off: a
-- literal holding a backslash is an E'' string, read the same either way.

CREATE OR REPLACE FUNCTION logic.setting(p_name text)
RETURNS text LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN nullif(current_setting('subctl.' || p_name, true), '');
END $$;

-- Which customers exist for a partner (SPEC 1).
CREATE OR REPLACE FUNCTION logic.customer_visible(p_partner text, p_customer_id uuid)
RETURNS boolean LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN EXISTS (SELECT 1 FROM core.partner_customers WHERE partner_id = p_partner AND customer_id = p_customer_id);
END $$;

-- The partner a login is mapped to (core.partner_logins), or NULL.
CREATE OR REPLACE FUNCTION logic.login_partner()
RETURNS text LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN (SELECT partner_id FROM core.partner_logins WHERE login_role = session_user);
END $$;

-- Whether the session's login owns the schema (runs migrations): only such a session
-- may choose the partner it acts for and the operator name it records.
CREATE OR REPLACE FUNCTION logic.login_is_owner()
RETURNS boolean LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN (SELECT pg_has_role(session_user, n.nspowner, 'MEMBER') FROM pg_namespace n WHERE n.nspname = 'core');
END $$;

-- The partner the session acts for. A mapped login acts for its partner, whatever the
-- session settings say (session_user, not current_user: SECURITY DEFINER functions
-- change the latter); the owner acts for subctl.partner_id; anyone else for nobody.
CREATE OR REPLACE FUNCTION logic.acting_partner()
RETURNS text LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN coalesce(logic.login_partner(),
                    CASE WHEN logic.login_is_owner() THEN logic.setting('partner_id') END);
END $$;
COMMENT ON FUNCTION logic.acting_partner IS 'The partner the session acts for, or NULL.';

-- The operator recorded in audit events: a mapped login is recorded under its own name;
-- the owner may record the name given by subctl.operator.
CREATE OR REPLACE FUNCTION logic.acting_operator()
RETURNS text LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN CASE WHEN logic.login_partner() IS NULL AND logic.login_is_owner()
                THEN coalesce(logic.setting('operator'), session_user::text)
                ELSE session_user::text END;
END $$;

-- Where the operation under way came from, as logic.begin_operation recorded it: `batch`
-- only when batch code began it; `cli` when the client says so (subctl sets subctl.source
-- on its connections: what a client says, not proof); anything else, and any write made
-- outside an operation (direct SQL), `sql`. A caller's settings never make an event a batch's.
CREATE OR REPLACE FUNCTION logic.acting_source()
RETURNS text LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN CASE WHEN logic.setting('operation') IS NULL THEN 'sql'
                ELSE coalesce(logic.setting('operation_source'), 'sql') END;
END $$;

-- The partner an audit event is recorded under: the acting partner, none for an
-- administration of the platform (see logic.begin_operation).
CREATE OR REPLACE FUNCTION logic.acting_audit_partner()
RETURNS text LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN CASE WHEN logic.setting('operation') IS NOT NULL AND logic.setting('operation_platform') = 'on' THEN NULL
                ELSE logic.acting_partner() END;
END $$;

-- The batch whose row the operation under way applies, or NULL (see logic.acting_source).
CREATE OR REPLACE FUNCTION logic.acting_batch()
RETURNS text LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN CASE WHEN logic.acting_source() = 'batch' THEN logic.setting('batch_id') END;
END $$;

-- The acting partner, which must exist; raises partner_context_missing / partner_not_found.
CREATE OR REPLACE FUNCTION logic.require_partner()
RETURNS text LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_partner text := logic.acting_partner();
BEGIN
    IF logic.setting('partner_id') IS DISTINCT FROM v_partner AND logic.setting('partner_id') IS NOT NULL THEN
        PERFORM logic.raise_error('partner_not_permitted',
            format('login %s may not act for partner %s', session_user, logic.setting('partner_id')), NULL,
            'a login acts for the partner it is mapped to: subctl partner map-login ROLE PARTNER');
    END IF;
    IF v_partner IS NULL THEN
        PERFORM logic.raise_error('partner_context_missing');
    END IF;
    IF NOT EXISTS (SELECT 1 FROM core.partners WHERE id = v_partner) THEN
        PERFORM logic.raise_error('partner_not_found', format('partner %s does not exist', v_partner),
                                 NULL, 'add it with: subctl partner add ID --name NAME');
    END IF;
    RETURN v_partner;
END $$;

-- A comment on an operation (--comment: a reason or a ticket), kept in its audit events:
-- one line of at most logic.comment_max_length() characters, not blank. Longer text
-- belongs in the ticket it names; a line break would split the audit listing's rows.
CREATE OR REPLACE FUNCTION logic.comment_max_length()
RETURNS integer LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN 500;
END $$;

-- p_comment when it is a valid comment (NULL when none is given); invalid_argument
-- naming what is wrong otherwise.
CREATE OR REPLACE FUNCTION logic.require_comment(p_comment text)
RETURNS text LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_format_character text := core.display_name_format_character(p_comment);
    v_problem text := CASE
        WHEN btrim(p_comment) = '' THEN 'is empty'
        WHEN p_comment ~ E'[[:cntrl:]\u2028\u2029]' THEN 'holds a control character (a line break?): it is one line'
        WHEN v_format_character IS NOT NULL
            THEN format('holds the invisible formatting character U+%s (Unicode category Cf)',
                        upper(lpad(to_hex(ascii(v_format_character)), 4, '0')))
        WHEN length(p_comment) > logic.comment_max_length()
            THEN format('has %s characters, more than %s', length(p_comment), logic.comment_max_length()) END;
BEGIN
    IF v_problem IS NOT NULL THEN  -- (NULL when no comment is given)
        PERFORM logic.raise_error('invalid_argument', 'the comment ' || v_problem, NULL,
            format('a comment is one line of 1-%s characters: a reason or a ticket', logic.comment_max_length()));
    END IF;
    RETURN p_comment;
END $$;

-- Marks the operation under way in this transaction, for the audit trigger: its name,
-- request id, comment, and where it came from (p_batch_id: the batch whose row it
-- applies, passed by the batch code and by nothing else). Every provenance setting is set
-- here, from the arguments, so that nothing a session SET before the call reaches an
-- audit event; subctl.request_ids (one request id per subscription, set only by the
-- set-based apply paths for a batch wave), subctl.steps and subctl.step_counts (set only
-- by logic.licenses_apply) are cleared for the same reason.
-- p_platform: an administration of the platform (partners, logins, links, the catalog),
-- recorded under no partner whichever partner the owner's session names, so that no
-- partner's trail shows another's.
CREATE OR REPLACE FUNCTION logic.begin_operation(p_operation text, p_request_id text DEFAULT NULL,
                                                p_comment text DEFAULT NULL, p_batch_id text DEFAULT NULL,
                                                p_platform boolean DEFAULT false)
RETURNS void LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM set_config('subctl.operation', p_operation, true),
            set_config('subctl.operation_platform', CASE WHEN p_platform THEN 'on' ELSE '' END, true),
            set_config('subctl.request_id', coalesce(p_request_id, ''), true),
            set_config('subctl.request_ids', '', true),
            set_config('subctl.steps', '', true),
            set_config('subctl.step_counts', '', true),
            set_config('subctl.comment', coalesce(logic.require_comment(p_comment), ''), true),
            set_config('subctl.batch_id', coalesce(p_batch_id, ''), true),
            set_config('subctl.operation_source',
                       CASE WHEN p_batch_id IS NOT NULL THEN 'batch'
                            WHEN logic.setting('source') = 'cli' THEN 'cli' ELSE 'sql' END, true);
END $$;
