-- Who is acting: the partner, the operator and the source (cli, batch, sql) of the
-- current session. The C++ layer sets them once per connection; a plain psql session
-- has no source set and is recorded as `sql`.

CREATE OR REPLACE FUNCTION core.setting(p_name text)
RETURNS text LANGUAGE sql STABLE AS $$
    SELECT nullif(current_setting('subctl.' || p_name, true), '')
$$;

CREATE OR REPLACE FUNCTION core.acting_partner()
RETURNS text LANGUAGE sql STABLE AS $$
    SELECT core.setting('partner_id')
$$;
COMMENT ON FUNCTION core.acting_partner IS 'The partner the session acts for, or NULL.';

CREATE OR REPLACE FUNCTION core.acting_operator()
RETURNS text LANGUAGE sql STABLE AS $$
    SELECT coalesce(core.setting('operator'), session_user::text)
$$;

CREATE OR REPLACE FUNCTION core.acting_source()
RETURNS text LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN core.setting('source') IN ('cli', 'batch') THEN core.setting('source') ELSE 'sql' END
$$;

-- The acting partner, which must exist; raises partner_context_missing / partner_not_found.
CREATE OR REPLACE FUNCTION core.require_partner()
RETURNS text LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_partner text := core.acting_partner();
BEGIN
    IF v_partner IS NULL THEN
        PERFORM core.raise_error('partner_context_missing');
    END IF;
    IF NOT EXISTS (SELECT 1 FROM core.partners WHERE id = v_partner) THEN
        PERFORM core.raise_error('partner_not_found', format('partner %s does not exist', v_partner),
                                 NULL, 'add it with: subctl partner add ID --name NAME');
    END IF;
    RETURN v_partner;
END $$;

-- Marks the operation under way in this transaction, for the audit trigger.
CREATE OR REPLACE FUNCTION core.begin_operation(p_operation text, p_request_id text DEFAULT NULL,
                                                p_comment text DEFAULT NULL)
RETURNS void LANGUAGE sql VOLATILE AS $$
    SELECT set_config('subctl.operation', p_operation, true),
           set_config('subctl.request_id', coalesce(p_request_id, ''), true),
           set_config('subctl.comment', coalesce(p_comment, ''), true)
$$;
