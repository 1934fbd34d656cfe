-- CSV batch jobs (SPEC 4): a file is staged by COPY, validated whole here, registered as
-- core.batches + core.batch_rows, then applied in chunks of waves (one row per customer):
-- a wave's new upgrades, license changes, license assignments and status changes
-- set-based through logic.upgrade_apply, logic.licenses_apply,
-- logic.license_assignments_apply and logic.status_apply (the single commands' own paths), every other row through
-- logic.run_operation (idempotency by request id, audit, dry run): no rule is restated.
--
-- Staging: the client COPYs each line of the file, unparsed, into pg_temp.batch_lines
-- (FORMAT text, one column, the client escaping nothing but COPY's own specials), so
-- that every line arrives with its line number whatever is wrong with it. A COPY in
-- FORMAT csv would stop at the first malformed line (PostgreSQL 15 has no ON_ERROR) and
-- a stray quote would swallow the following lines; parsing the fields here instead lets
-- one pass report every error of the file together. Only invalid UTF-8 stops COPY
-- itself (ENCODING 'UTF8'), and its error names the line.

CREATE OR REPLACE FUNCTION logic.batch_header()
RETURNS text[] LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN ARRAY['action', 'subscription_id', 'target_offer', 'quantity', 'request_id'];
END $$;
-- The columns a header may add after those five, in this order, each optional: user (of
-- assign_license / unassign_license rows), into (the subscription an upgrade goes into).
CREATE OR REPLACE FUNCTION logic.batch_optional_columns()
RETURNS text[] LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN ARRAY['user', 'into'];
END $$;
-- The header as a sentence, for the errors that name it.
CREATE OR REPLACE FUNCTION logic.batch_header_text()
RETURNS text LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN array_to_string(logic.batch_header(), ',') || ', optionally followed by '
           || array_to_string(ARRAY(SELECT ',' || c FROM unnest(logic.batch_optional_columns()) c), ' and ')
           || ' (in that order)';
END $$;
-- Whether a header's fields are the five columns followed by some of the optional
-- columns, in their order (an old file of five columns stays valid).
CREATE OR REPLACE FUNCTION logic.batch_header_valid(p_fields text[])
RETURNS boolean LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN coalesce(p_fields[1:5] = logic.batch_header()
                    AND p_fields[6:] = ARRAY(SELECT c FROM unnest(logic.batch_optional_columns()) WITH ORDINALITY AS o (c, n)
                                             WHERE c = ANY (p_fields[6:]) ORDER BY n)
                    AND cardinality(p_fields[6:]) = cardinality(ARRAY(SELECT DISTINCT unnest(p_fields[6:]))), false);
END $$;


-- The fields of line p_line of a batch file as staged (p_raw): without its CR of a CRLF
-- file and (line 1) a UTF-8 byte order mark, split as CSV (RFC 4180: fields optionally
-- in double quotes, "" for a quote inside them); NULL when its quoting is broken.
CREATE OR REPLACE FUNCTION logic.batch_line_fields(p_line bigint, p_raw text)
RETURNS text[] LANGUAGE plpgsql IMMUTABLE STRICT SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v text := CASE WHEN right(p_raw, 1) = E'\r' THEN left(p_raw, -1) ELSE p_raw END;
BEGIN
    IF p_line = 1 THEN
        v := ltrim(v, E'\uFEFF');
    END IF;
    RETURN CASE
        WHEN strpos(v, '"') = 0 THEN string_to_array(v, ',')
        WHEN v !~ '^("([^"]|"")*"|[^,"]*)(,("([^"]|"")*"|[^,"]*))*$' THEN NULL
        ELSE ARRAY(SELECT CASE WHEN m[1] LIKE '"%' THEN replace(substr(m[1], 2, length(m[1]) - 2), '""', '"') ELSE m[1] END
                   FROM regexp_matches(v || ',', '("(?:[^"]|"")*"|[^,"]*),', 'g') AS m)
    END;
END $$;


-- Every error of the staged file (pg_temp.batch_fields): line, column number and
-- name (0 / NULL for the whole line), the value (shortened) and what is wrong. The data
-- lines have the columns of the header (of the five when the header is wrong).
CREATE OR REPLACE FUNCTION logic.batch_file_errors(p_batch_id text)
RETURNS TABLE (line bigint, column_number integer, column_name text, value text, message text)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_actions text[] := core.batch_actions();
    v_license_actions text[] := ARRAY['assign_license', 'unassign_license'];
    v_header_fields text[] := (SELECT f.fields FROM pg_temp.batch_fields f WHERE f.line = 1);
    v_columns text[] := CASE WHEN logic.batch_header_valid(v_header_fields) THEN v_header_fields ELSE logic.batch_header() END;
    v_header text := array_to_string(v_columns, ',');
    -- where the optional columns are (a line's fields[that position]; NULL: not in the
    -- header), found once per file, not per line
    v_user_at integer := array_position(v_columns, 'user');
    v_into_at integer := array_position(v_columns, 'into');
BEGIN
    RETURN QUERY
    WITH data AS MATERIALIZED (
        SELECT f.line, f.fields[1] AS action, f.fields[2] AS subscription_id, f.fields[3] AS target_offer,
               f.fields[4] AS quantity, f.fields[5] AS request_id,
               f.fields[v_user_at] AS license_user, f.fields[v_into_at] AS into_id
        FROM pg_temp.batch_fields f WHERE f.line > 1 AND cardinality(f.fields) = cardinality(v_columns))
    SELECT 1::bigint, 0, NULL::text, NULL::text, 'the file is empty: the first line must be the header ' || logic.batch_header_text()
    WHERE NOT EXISTS (SELECT 1 FROM pg_temp.batch_fields)
    UNION ALL
    SELECT f.line, 0, NULL, left(f.raw, 100), 'the header must be ' || logic.batch_header_text()
    FROM pg_temp.batch_fields f WHERE f.line = 1 AND NOT logic.batch_header_valid(f.fields)
    UNION ALL
    SELECT f.line, 0, NULL, left(f.raw, 100), 'bad quoting: a quoted field must end with a quote before the next comma, and a quote inside it is written ""'
    FROM pg_temp.batch_fields f WHERE f.line > 1 AND f.fields IS NULL
    UNION ALL
    SELECT f.line, 0, NULL, left(f.raw, 100),
           format('expected %s columns (%s), found %s', cardinality(v_columns), v_header, cardinality(f.fields))
    FROM pg_temp.batch_fields f WHERE f.line > 1 AND cardinality(f.fields) <> cardinality(v_columns)
    UNION ALL
    SELECT c.line, n.column_number, n.name, left(c.field_values[n.i], 100), c.messages[n.i]
    FROM (SELECT d.line, ARRAY[d.action, d.subscription_id, d.target_offer, d.quantity, d.request_id, d.license_user,
                               d.into_id] AS field_values,
                 ARRAY[  -- the message of each column, in the order of field_values
                  CASE WHEN d.action <> ALL (v_actions) THEN 'unknown action: expected ' || array_to_string(v_actions, ', ')
                       WHEN d.action = ANY (v_license_actions) AND d.license_user IS NULL
                       THEN format('%s needs the column user: add it to the header (%s,user)', d.action, array_to_string(logic.batch_header(), ','))
                  END,
                  CASE WHEN d.subscription_id !~ core.uuid_pattern() THEN 'not a UUID' END,
                  CASE WHEN d.action = 'upgrade' AND d.target_offer = '' AND coalesce(d.into_id, '') = ''
                       THEN 'required for upgrade (unless into names the subscription upgraded into)'
                       WHEN d.action <> 'upgrade' AND d.action = ANY (v_actions) AND d.target_offer <> ''
                       THEN format('only for upgrade, not for %s', d.action) END,
                  CASE WHEN d.quantity <> '' AND NOT logic.quantity_text_valid(d.quantity)
                       THEN format('not a whole number from 1 to %s', core.quantity_max())
                       WHEN d.quantity = '' AND d.action IN ('add_licenses', 'remove_licenses') THEN format('required for %s', d.action)
                       WHEN d.quantity <> '' AND (d.action IN ('suspend', 'reactivate', 'cancel') OR d.action = ANY (v_license_actions))
                       THEN format('not allowed for %s', d.action) END,
                  CASE WHEN length(d.request_id) > core.request_id_max_length()
                       THEN format('longer than %s characters (%s)', core.request_id_max_length(), length(d.request_id))
                       WHEN d.request_id ~ '[[:cntrl:]]' THEN 'contains a control character' END,
                  CASE WHEN d.license_user = '' AND d.action = ANY (v_license_actions) THEN format('required for %s', d.action)
                       WHEN d.license_user <> '' AND d.action <> ALL (v_license_actions) AND d.action = ANY (v_actions)
                       THEN format('only for assign_license and unassign_license, not for %s', d.action)
                       WHEN length(d.license_user) > 320 THEN format('longer than 320 characters (%s): not a user id or user principal name', length(d.license_user))
                       WHEN d.license_user ~ '[[:cntrl:][:space:]]' THEN 'contains a space or control character: not a user id or user principal name' END,
                  CASE WHEN d.into_id <> '' AND d.into_id !~ core.uuid_pattern() THEN 'not a UUID'
                       WHEN d.into_id <> '' AND d.action <> 'upgrade' AND d.action = ANY (v_actions)
                       THEN format('only for upgrade, not for %s', d.action) END
                 ] AS messages
          FROM data d) c
    -- (the columns of a line with a problem only: most lines have none)
    CROSS JOIN LATERAL (VALUES (1, 1, 'action'), (2, 2, 'subscription_id'), (3, 3, 'target_offer'), (4, 4, 'quantity'),
                               (5, 5, 'request_id'), (6, array_position(v_columns, 'user'), 'user'),
                               (7, array_position(v_columns, 'into'), 'into')) AS n (i, column_number, name)
    WHERE cardinality(array_remove(c.messages, NULL)) > 0 AND c.messages[n.i] IS NOT NULL
    UNION ALL
    SELECT r.line, 5, 'request_id', left(r.request_id, 100), format('request id already used on line %s of the file', r.first_line)
    FROM (SELECT d.line, coalesce(nullif(d.request_id, ''), p_batch_id || ':' || d.line) AS request_id,
                 min(d.line) OVER (PARTITION BY coalesce(nullif(d.request_id, ''), p_batch_id || ':' || d.line)) AS first_line
          FROM data d) r
    WHERE r.line <> r.first_line;
END $$;

CREATE OR REPLACE FUNCTION logic.drop_temp_table(p_name text)
RETURNS void LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF to_regclass('pg_temp.' || p_name) IS NOT NULL THEN  -- DROP ... IF EXISTS would send a notice
        EXECUTE format('DROP TABLE pg_temp.%I', p_name);
    END IF;
END $$;

-- The outcome counts of a batch's rows (of lines p_from..p_to), e.g. {"applied": 3}.
CREATE OR REPLACE FUNCTION logic.batch_counts(p_partner text, p_batch_id text, p_from bigint DEFAULT 2,
                                             p_to bigint DEFAULT 9223372036854775807)
RETURNS jsonb LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN (SELECT (SELECT jsonb_object_agg(s, 0) FROM unnest(core.batch_row_statuses()) s)
               || coalesce(jsonb_object_agg(c.status, c.rows), '{}')
        FROM (SELECT status, count(*) AS rows FROM core.batch_rows
              WHERE partner_id = p_partner AND batch_id = p_batch_id AND line BETWEEN p_from AND p_to
              GROUP BY status) c);
END $$;

CREATE OR REPLACE FUNCTION logic.batch_summary(b core.batches)
RETURNS jsonb LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN jsonb_build_object(
        'id', b.id, 'file', b.file_name, 'content_sha256', b.content_sha256, 'rows', b.rows_total,
        'runs', b.runs, 'created_by', b.created_by, 'created_at', b.created_at,
        'last_run_started_at', b.last_run_started_at, 'last_run_finished_at', b.last_run_finished_at,
        'last_run_seconds', round(extract(epoch FROM b.last_run_finished_at - b.last_run_started_at)::numeric, 3),
        'finished_at', b.finished_at) || logic.batch_counts(b.partner_id, b.id);
END $$;

-- A batch of the acting partner by id or unique id prefix (core.id_prefix_min_length()).
CREATE OR REPLACE FUNCTION logic.find_batch(p_partner text, p_batch text)
RETURNS core.batches LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_matches core.batches[];
BEGIN
    v_matches := ARRAY(SELECT b FROM core.batches b WHERE b.partner_id = p_partner AND b.id = p_batch);
    IF cardinality(v_matches) = 0 AND length(p_batch) >= core.id_prefix_min_length() THEN
        v_matches := ARRAY(SELECT b FROM core.batches b WHERE b.partner_id = p_partner
                           AND left(b.id, length(p_batch)) = p_batch LIMIT 2);
    END IF;
    IF cardinality(v_matches) <> 1 THEN
        PERFORM logic.raise_error('batch_not_found',
                                 format('batch %s does not exist%s', p_batch,
                                        CASE WHEN cardinality(v_matches) > 1 THEN ' (the prefix is ambiguous)' ELSE '' END),
                                 NULL, 'list the batches with: subctl batch list');
    END IF;
    RETURN v_matches[1];
END $$;

-- The parameters of a row's operation, shaped as the API shapes them (so that a request
-- id given both on the command line and in a file compares equal).
CREATE OR REPLACE FUNCTION logic.batch_row_parameters(r core.batch_rows)
RETURNS jsonb LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN CASE WHEN r.license_user IS NOT NULL  -- assign_license / unassign_license, as api.license_change
                THEN jsonb_build_object('subscription_id', r.subscription_id, 'users', jsonb_build_array(r.license_user))
                ELSE jsonb_strip_nulls(jsonb_build_object('subscription_id', r.subscription_id,
                                                          'target_offer', r.target_offer, 'quantity', r.quantity,
                                                          'into_subscription_id', r.into_subscription_id)) END;
END $$;

-- The status of a processed row: its codes, whether its request id was applied before
-- (a replay), whether the run was a dry run.
CREATE OR REPLACE FUNCTION logic.batch_row_status(p_codes text[], p_known boolean, p_dry_run boolean)
RETURNS text LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN CASE WHEN cardinality(p_codes) > 0 THEN 'rejected' WHEN p_known THEN 'already_applied'
                WHEN p_dry_run THEN 'dry_run' ELSE 'applied' END;
END $$;

-- Applies one row and records its outcome. A request id known before the call means an
-- earlier run (or command) applied it: run_operation replays it, nothing changes.
CREATE OR REPLACE FUNCTION logic.batch_apply_row(p_partner text, r core.batch_rows, p_dry_run boolean,
                                                p_comment text DEFAULT NULL)
RETURNS void LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_known boolean := EXISTS (SELECT 1 FROM core.request_ids WHERE partner_id = p_partner AND request_id = r.request_id);
    v_result jsonb := logic.run_operation(r.action, logic.batch_row_parameters(r), r.request_id, p_dry_run, r.batch_id,
                                             p_comment);
    v_codes text[] := ARRAY(SELECT e ->> 'code' FROM jsonb_array_elements(v_result -> 'errors') AS e);
BEGIN
    UPDATE core.batch_rows
    SET status = logic.batch_row_status(v_codes, v_known, p_dry_run),
        error_codes = v_codes, errors = v_result -> 'errors',
        new_subscription_id = (v_result ->> 'target_subscription_id')::uuid,
        processed_at = clock_timestamp()
    WHERE partner_id = r.partner_id AND batch_id = r.batch_id AND line = r.line;
END $$;

-- The actions a wave applies set-based, each through its operation's one apply path
-- (logic.upgrade_apply, logic.licenses_apply, logic.license_assignments_apply,
-- logic.status_apply); other rows go one by one.
CREATE OR REPLACE FUNCTION logic.batch_set_actions()
RETURNS text[] LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN ARRAY['upgrade', 'add_licenses', 'remove_licenses', 'assign_license', 'unassign_license',
                 'suspend', 'reactivate', 'cancel'];
END $$;

-- The rows of one action of one wave (distinct customers, request ids not used before),
-- applied together by that operation's apply path, their rejections audited and every
-- request id remembered as run_operation would: one statement each. Returns each row's
-- line and result, in line order; a row whose result is null was not applied (a later
-- row of a run, logic.licenses_apply) and is asked again.
CREATE OR REPLACE FUNCTION logic.batch_set_wave(p_partner text, p_action text, p_rows core.batch_rows[],
                                               p_comment text DEFAULT NULL)
RETURNS TABLE (line bigint, result jsonb) LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_parameters jsonb[] := ARRAY(SELECT logic.batch_row_parameters(p_rows[i]) FROM generate_subscripts(p_rows, 1) i ORDER BY i);
    v_request_ids text[] := ARRAY(SELECT (p_rows[i]).request_id FROM generate_subscripts(p_rows, 1) i ORDER BY i);
    v_results jsonb[];
BEGIN
    PERFORM logic.begin_operation(p_action, NULL, p_comment, (p_rows[1]).batch_id);
    v_results := ARRAY(
        SELECT u.result
        FROM (SELECT a.ord, a.result FROM logic.upgrade_apply(p_partner, v_parameters, v_request_ids) a
              WHERE p_action = 'upgrade'
              UNION ALL
              SELECT l.ord, l.result
              FROM logic.licenses_apply(p_partner, v_parameters, CASE p_action WHEN 'add_licenses' THEN 1 ELSE -1 END,
                                        v_request_ids) l
              WHERE p_action IN ('add_licenses', 'remove_licenses')
              UNION ALL
              SELECT a.ord, a.result
              FROM logic.license_assignments_apply(p_partner, v_parameters, CASE p_action WHEN 'assign_license' THEN 'assign'
                                                                                         ELSE 'unassign' END, v_request_ids) a
              WHERE p_action IN ('assign_license', 'unassign_license')
              UNION ALL
              SELECT a.ord, a.result FROM logic.status_apply(p_partner, v_parameters, p_action, v_request_ids) a
              WHERE p_action IN ('activate', 'suspend', 'reactivate', 'cancel')) u
        ORDER BY u.ord);
    IF cardinality(v_results) IS DISTINCT FROM cardinality(p_rows) THEN
        RAISE EXCEPTION 'logic.batch_set_wave: % results for % rows of %', cardinality(v_results), cardinality(p_rows), p_action;
    END IF;
    IF EXISTS (SELECT 1 FROM unnest(v_results) x WHERE x ->> 'status' = 'rejected') THEN
        PERFORM logic.audit_rejections(p_action, jsonb_agg(jsonb_build_object(
                    'error_codes', jsonb_path_query_array(v_results[i], '$.errors[*].code'),
                    'parameters', v_parameters[i], 'request_id', v_request_ids[i]) ORDER BY i))
        FROM generate_subscripts(v_results, 1) i WHERE v_results[i] ->> 'status' = 'rejected';
    END IF;
    PERFORM logic.requests_remember(p_partner, p_action, v_request_ids, v_parameters, v_results);
    RETURN QUERY SELECT (p_rows[i]).line, v_results[i] FROM generate_subscripts(p_rows, 1) i ORDER BY i;
END $$;

-- Applies the rows of one action of a wave (see logic.batch_apply_waves); the rows of a
-- run that follow its first rejection are applied again, after it, until none is left.
-- A dry run applies them in a subtransaction that is rolled back once their results are
-- known (nothing stays, not even an audit event). Returns each row's line and result, in
-- the order applied; the caller records them.
CREATE OR REPLACE FUNCTION logic.batch_apply_set(p_partner text, p_action text, p_rows core.batch_rows[],
                                                p_dry_run boolean, p_comment text DEFAULT NULL)
RETURNS TABLE (line bigint, result jsonb) LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_rows core.batch_rows[] := p_rows;
    v_lines bigint[];
    v_results jsonb[];
BEGIN
    WHILE coalesce(cardinality(v_rows), 0) > 0 LOOP
        IF p_dry_run THEN
            BEGIN
                SELECT array_agg(w.line ORDER BY w.line), array_agg(w.result ORDER BY w.line) INTO v_lines, v_results
                FROM logic.batch_set_wave(p_partner, p_action, v_rows, p_comment) w;
                RAISE EXCEPTION USING ERRCODE = 'SU099', MESSAGE = 'dry run';
            EXCEPTION WHEN SQLSTATE 'SU099' THEN
                NULL;  -- rolled back; v_lines and v_results keep what would have happened
            END;
        ELSE
            SELECT array_agg(w.line ORDER BY w.line), array_agg(w.result ORDER BY w.line) INTO v_lines, v_results
            FROM logic.batch_set_wave(p_partner, p_action, v_rows, p_comment) w;
        END IF;
        RETURN QUERY SELECT x.line, x.result FROM unnest(v_lines, v_results) AS x (line, result) WHERE x.result IS NOT NULL;
        -- each pass applies at least the first row of every run, so this ends
        IF array_position(v_results, NULL) IS NULL THEN
            EXIT;
        END IF;
        v_rows := ARRAY(SELECT r FROM unnest(v_rows) r
                        WHERE r.line IN (SELECT x.line FROM unnest(v_lines, v_results) AS x (line, result) WHERE x.result IS NULL)
                        ORDER BY r.line);
    END LOOP;
END $$;

-- Records the outcomes of set-applied rows of a batch (lines and their results): one
-- UPDATE for a chunk.
CREATE OR REPLACE FUNCTION logic.batch_record_results(p_partner text, p_batch_id text, p_lines bigint[], p_results jsonb[],
                                                     p_dry_run boolean)
RETURNS void LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_from bigint := (SELECT min(l) FROM unnest(p_lines) l);
    v_to bigint := (SELECT max(l) FROM unnest(p_lines) l);
BEGIN
    IF cardinality(p_lines) IS DISTINCT FROM cardinality(p_results) THEN
        RAISE EXCEPTION 'logic.batch_record_results: % lines, % results', cardinality(p_lines), cardinality(p_results);
    END IF;
    UPDATE core.batch_rows b
    SET status = logic.batch_row_status(x.codes, false, p_dry_run),
        error_codes = x.codes, errors = x.errors, new_subscription_id = x.target_id, processed_at = clock_timestamp()
    FROM (SELECT r.line, r.result -> 'errors' AS errors,
                 CASE WHEN r.result ->> 'status' = 'succeeded' THEN '{}'::text[]
                      ELSE ARRAY(SELECT c ->> 'code' FROM jsonb_array_elements(r.result -> 'errors') c) END AS codes,
                 (r.result ->> 'target_subscription_id')::uuid AS target_id
          FROM unnest(p_lines, p_results) AS r (line, result)) x
    -- (the range: only the chunk's rows are read; joined on line alone, the plan follows
    -- statistics that lag while a batch fills the table and hashes every row of the batch)
    WHERE b.partner_id = p_partner AND b.batch_id = p_batch_id AND b.line BETWEEN v_from AND v_to AND b.line = x.line;
END $$;

-- Applies the pending rows of lines p_from..p_to in waves: wave k holds the k-th pending
-- step of each customer (by line), so the rows of a wave are of distinct customers and
-- independent (every rule looks inside one customer), and waves in order keep the file
-- order of each customer's rows (row 2 sees row 1). A step is one row, or a run of a
-- customer's consecutive add_licenses (or remove_licenses) rows of one subscription,
-- whose request ids are new: logic.licenses_apply applies them in order, each seeing the
-- ones before it (not in a dry run, where every row is tried on the data as it stands).
-- In each wave, rows of actions not applied set-based (logic.batch_set_actions) and rows
-- whose request id was used before (replay, request_id_reused) go through
-- logic.batch_apply_row, one by one; the others are applied together, one set per action
-- present, and their outcomes recorded by one UPDATE at the end.
CREATE OR REPLACE FUNCTION logic.batch_apply_waves(p_partner text, p_batch_id text, p_from_line bigint,
                                                  p_to_line bigint, p_dry_run boolean, p_comment text DEFAULT NULL)
RETURNS void LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_rows core.batch_rows[];
    v_waves bigint[];
    v_first integer := 1;
    v_last integer;
    v_wave core.batch_rows[];
    v_set core.batch_rows[];
    v_action text;
    v_lines bigint[] := '{}'::bigint[];
    v_results jsonb[] := '{}'::jsonb[];
    v_set_lines bigint[];
    v_set_results jsonb[];
    r core.batch_rows;
BEGIN
    WITH chunk AS MATERIALIZED (
        SELECT b, b.line, b.action, b.subscription_id, b.request_id FROM core.batch_rows b
        WHERE b.partner_id = p_partner AND b.batch_id = p_batch_id AND b.line BETWEEN p_from_line AND p_to_line
          AND b.status = 'pending'),
    visible AS MATERIALIZED (  -- the chunk's subscriptions the partner sees: the rule once per subscription
        SELECT s.id, s.customer_id FROM core.subscriptions s
        WHERE s.id IN (SELECT c.subscription_id FROM chunk c) AND logic.customer_visible(p_partner, s.customer_id))
    SELECT array_agg(w.b ORDER BY w.wave, w.line), array_agg(w.wave ORDER BY w.wave, w.line)
    INTO v_rows, v_waves
    -- (a subscription the partner cannot see is a customer of its own: its rows tell
    -- nothing about which of them share a customer)
    FROM (SELECT f.b, f.line, sum(CASE WHEN f.runs AND f.runs_before AND f.action = f.action_before
                                            AND f.subscription_id = f.subscription_before THEN 0 ELSE 1 END)
                                  OVER (PARTITION BY f.customer ORDER BY f.line) AS wave
          FROM (SELECT c.*, lag(c.runs) OVER k AS runs_before, lag(c.action) OVER k AS action_before,
                       lag(c.subscription_id) OVER k AS subscription_before
                -- (the windows read plain columns, not fields of the whole row b)
                FROM (SELECT k.b, k.line, k.action, k.subscription_id, coalesce(s.customer_id, k.subscription_id) AS customer,
                             NOT p_dry_run AND s.id IS NOT NULL AND k.action IN ('add_licenses', 'remove_licenses')
                             AND NOT EXISTS (SELECT 1 FROM core.request_ids q
                                             WHERE q.partner_id = p_partner AND q.request_id = k.request_id) AS runs
                      FROM chunk k
                      LEFT JOIN visible s ON s.id = k.subscription_id
                      OFFSET 0) c  -- (runs evaluated once per row)
                WINDOW k AS (PARTITION BY c.customer ORDER BY c.line)) f) w;
    WHILE v_first <= coalesce(cardinality(v_rows), 0) LOOP
        v_last := v_first;
        WHILE v_last < cardinality(v_rows) AND v_waves[v_last + 1] = v_waves[v_first] LOOP
            v_last := v_last + 1;
        END LOOP;
        v_wave := v_rows[v_first:v_last];
        -- OFFSET 0: each row's request id is looked up by the primary key. As an anti-join
        -- the plan would follow the table's statistics, which lag while a batch fills it, and
        -- could scan all of a partner's ids for every row of the wave.
        v_set := ARRAY(SELECT w FROM unnest(v_wave) w
                       WHERE w.action = ANY (logic.batch_set_actions())
                         AND NOT EXISTS (SELECT 1 FROM core.request_ids q
                                         WHERE q.partner_id = p_partner AND q.request_id = w.request_id OFFSET 0)
                       ORDER BY w.line);
        IF cardinality(v_set) < cardinality(v_wave) THEN
            FOR r IN SELECT w.* FROM unnest(v_wave) w
                     WHERE w.line <> ALL (ARRAY(SELECT x.line FROM unnest(v_set) x)) ORDER BY w.line LOOP
                PERFORM logic.batch_apply_row(p_partner, r, p_dry_run, p_comment);
            END LOOP;
        END IF;
        FOR v_action IN SELECT a.action FROM unnest(logic.batch_set_actions()) WITH ORDINALITY AS a (action, n)
                        WHERE a.action IN (SELECT w.action FROM unnest(v_set) w) ORDER BY a.n LOOP
            SELECT array_agg(s.line), array_agg(s.result) INTO v_set_lines, v_set_results
            FROM logic.batch_apply_set(p_partner, v_action, ARRAY(SELECT w FROM unnest(v_set) w WHERE w.action = v_action
                                                                 ORDER BY w.line), p_dry_run, p_comment) s;
            v_lines := v_lines || v_set_lines;
            v_results := v_results || v_set_results;
        END LOOP;
        v_first := v_last + 1;
    END LOOP;
    PERFORM logic.batch_record_results(p_partner, p_batch_id, v_lines, v_results, p_dry_run);
END $$;

-- The error objects of codes without the request that met them: a row that raised (its
-- SQLSTATE in details), a row recorded before core.batch_rows.errors. The code's own
-- description (a broken invariant's: its SQLSTATE), no next step.
CREATE OR REPLACE FUNCTION logic.batch_row_errors(p_codes text[], p_details jsonb DEFAULT '{}')
RETURNS jsonb LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN (SELECT coalesce(jsonb_agg(jsonb_build_object(
                   'code', c.code,
                   'description', coalesce(e.description, format('The row broke a rule of the database (SQLSTATE %s).',
                                                                 coalesce(p_details ->> 'sqlstate', substr(c.code, 10)))),
                   'details', p_details, 'next_step', NULL) ORDER BY c.ord), '[]')
        FROM unnest(p_codes) WITH ORDINALITY AS c (code, ord)
        LEFT JOIN core.error_codes e ON e.code = c.code);
END $$;

-- A row whose operation raised: never a rule (every operation returns its refusals as a
-- coded result, which logic.batch_apply_row records), but a broken invariant (a
-- constraint or trigger refusing the row as the data stands). Rejected with the code of
-- its SQLSTATE and audited like a refusal, so that the other rows of the chunk go on.
CREATE OR REPLACE FUNCTION logic.batch_reject_row(r core.batch_rows, p_sqlstate text, p_dry_run boolean,
                                                 p_comment text DEFAULT NULL)
RETURNS void LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_code text := coalesce((SELECT code FROM core.error_codes WHERE sqlstate = p_sqlstate::character(5)), 'sqlstate_' || p_sqlstate);
BEGIN
    IF NOT p_dry_run THEN
        PERFORM logic.begin_operation(r.action, r.request_id, p_comment, r.batch_id);
        PERFORM logic.audit_rejection(r.action, ARRAY[v_code], logic.batch_row_parameters(r), r.request_id);
    END IF;
    UPDATE core.batch_rows SET status = 'rejected', error_codes = ARRAY[v_code], processed_at = clock_timestamp(),
           errors = logic.batch_row_errors(ARRAY[v_code], jsonb_build_object('sqlstate', p_sqlstate))
    WHERE partner_id = r.partner_id AND batch_id = r.batch_id AND line = r.line;
END $$;

-- A failure the client tries again (core.transient_sqlstates, filled by 01_errors).
CREATE OR REPLACE FUNCTION logic.is_transient_sqlstate(p_sqlstate text)
RETURNS boolean LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN length(p_sqlstate) = 5 AND EXISTS (SELECT 1 FROM core.transient_sqlstates WHERE sqlstate = p_sqlstate::character(5));
END $$;

-- ---------------------------------------------------------------- API

CREATE OR REPLACE FUNCTION api.batch_begin()
RETURNS void LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM logic.require_partner();
    PERFORM set_config('client_encoding', 'UTF8', true);  -- COPY then checks that every line is UTF-8
    PERFORM logic.drop_temp_table('batch_lines');
    CREATE TEMP TABLE batch_lines (line bigint GENERATED ALWAYS AS IDENTITY, raw text NOT NULL) ON COMMIT DROP;
    GRANT INSERT ON pg_temp.batch_lines TO SESSION_USER;  -- the caller COPYs into it
END $$;
COMMENT ON FUNCTION api.batch_begin IS
'Starts staging a batch file: creates pg_temp.batch_lines (line, raw) for this transaction; the caller then runs
COPY batch_lines (raw) FROM STDIN (FORMAT text, ENCODING ''UTF8'') with one line of the file per row.';

CREATE OR REPLACE FUNCTION api.batch_register(p_name text, p_content_sha256 text, p_file_name text,
                                              p_max_errors integer DEFAULT 1000, p_comment text DEFAULT NULL)
RETURNS jsonb LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_partner text := logic.require_partner();
    v_batch_id text := coalesce(p_name, p_content_sha256);
    v_error_count bigint;
    v_errors jsonb;
    v_user_at integer;
    v_into_at integer;
    b core.batches;
BEGIN
    PERFORM logic.require_comment(p_comment);  -- the run's comment (api.batch_apply_chunk), refused before anything is kept
    IF v_batch_id !~ core.batch_id_pattern() THEN
        PERFORM logic.raise_error('invalid_argument',
            format('batch name %s: up to 100 letters, digits, dots, dashes and underscores, starting with a letter or digit', v_batch_id));
    END IF;
    -- Read with the owner's rights: only the plain table batch_begin made, never a
    -- same-named view or table of the caller's (which could run the caller's functions).
    IF NOT EXISTS (SELECT 1 FROM pg_class WHERE oid = to_regclass('pg_temp.batch_lines') AND relkind = 'r'
                   AND relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)) THEN
        PERFORM logic.raise_error('invalid_argument', 'no batch file is staged: call api.batch_begin() and COPY it first');
    END IF;
    PERFORM logic.drop_temp_table('batch_fields');
    CREATE TEMP TABLE batch_fields ON COMMIT DROP AS
        SELECT l.line, l.raw, logic.batch_line_fields(l.line, l.raw) AS fields FROM pg_temp.batch_lines l;
    PERFORM logic.drop_temp_table('batch_errors');
    CREATE TEMP TABLE batch_errors ON COMMIT DROP AS SELECT * FROM logic.batch_file_errors(v_batch_id);
    SELECT count(*) INTO v_error_count FROM pg_temp.batch_errors;
    IF v_error_count > 0 THEN
        SELECT jsonb_agg(jsonb_build_object('line', e.line, 'column', e.column_name, 'value', e.value, 'message', e.message)
                         ORDER BY e.line, e.column_number)
        INTO v_errors
        FROM (SELECT * FROM pg_temp.batch_errors ORDER BY line, column_number LIMIT p_max_errors) e;
        RETURN jsonb_build_object('status', 'invalid', 'batch_id', v_batch_id, 'error_count', v_error_count, 'errors', v_errors);
    END IF;

    SELECT * INTO b FROM core.batches WHERE partner_id = v_partner AND id = v_batch_id FOR UPDATE;
    IF b.id IS NULL THEN
        INSERT INTO core.batches (partner_id, id, content_sha256, file_name, rows_total, created_by)
        SELECT v_partner, v_batch_id, p_content_sha256, p_file_name, count(*), logic.acting_operator()
        FROM pg_temp.batch_fields WHERE line > 1
        RETURNING * INTO b;
        SELECT array_position(x.fields, 'user'), array_position(x.fields, 'into') INTO v_user_at, v_into_at
        FROM pg_temp.batch_fields x WHERE x.line = 1;
        INSERT INTO core.batch_rows (partner_id, batch_id, line, action, subscription_id, target_offer, quantity, request_id,
                                     license_user, into_subscription_id)
        SELECT v_partner, v_batch_id, f.line, f.fields[1], f.fields[2]::uuid, nullif(f.fields[3], ''),
               nullif(f.fields[4], '')::integer, coalesce(nullif(f.fields[5], ''), v_batch_id || ':' || f.line),
               nullif(f.fields[v_user_at], ''), nullif(f.fields[v_into_at], '')::uuid
        FROM pg_temp.batch_fields f
        WHERE f.line > 1;
    ELSIF b.content_sha256 <> p_content_sha256 THEN
        PERFORM logic.raise_error('invalid_argument',
            format('batch %s was registered from another file (sha256 %s, this file %s)', v_batch_id,
                   left(b.content_sha256, 12), left(p_content_sha256, 12)),
            NULL, 'give this file another --name, or none (its id is then its sha256)');
    ELSE  -- a re-run: what earlier runs applied is now already applied
        UPDATE core.batches SET runs = runs + 1, last_run_started_at = now(), last_run_finished_at = NULL
        WHERE partner_id = v_partner AND id = v_batch_id RETURNING * INTO b;
        UPDATE core.batch_rows SET status = 'already_applied'
        WHERE partner_id = v_partner AND batch_id = v_batch_id AND status = 'applied';
    END IF;
    RETURN jsonb_build_object('status', 'registered', 'batch_id', b.id, 'rows', b.rows_total, 'runs', b.runs,
        'first_pending_line', (SELECT min(line) FROM core.batch_rows
                               WHERE partner_id = v_partner AND batch_id = b.id AND status = 'pending'),
        'last_line', b.rows_total + 1) || logic.batch_counts(v_partner, b.id);
END $$;
COMMENT ON FUNCTION api.batch_register IS
'Validates the staged file whole and registers it as a batch of the acting partner (id: p_name, else the sha256).
Returns {status: invalid, error_count, errors: [{line, column, value, message}]} (nothing written) or
{status: registered, batch_id, rows, first_pending_line, last_line, counts}; a known batch resumes.';

CREATE OR REPLACE FUNCTION api.batch_apply_chunk(p_batch_id text, p_from_line bigint, p_to_line bigint,
                                                 p_dry_run boolean DEFAULT false, p_comment text DEFAULT NULL)
RETURNS jsonb LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_partner text := logic.require_partner();
    v_comment text := logic.require_comment(p_comment);
    v_enclosed boolean;
    r core.batch_rows;
BEGIN
    -- Lock order: the batch, then the chunk's customers by id: the one global order, of
    -- which a single operation (one customer) is a special case; so chunks and single
    -- operations never deadlock, and two runs of one batch take turns chunk by chunk.
    PERFORM 1 FROM core.batches WHERE partner_id = v_partner AND id = p_batch_id FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        PERFORM logic.raise_error('batch_not_found', format('batch %s does not exist', p_batch_id));
    END IF;
    PERFORM 1 FROM core.customers c
    WHERE c.id IN (SELECT s.customer_id FROM core.batch_rows b JOIN core.subscriptions s ON s.id = b.subscription_id
                   WHERE b.partner_id = v_partner AND b.batch_id = p_batch_id
                     AND b.line BETWEEN p_from_line AND p_to_line AND b.status = 'pending')
      AND logic.customer_visible(v_partner, c.id)  -- only those (logic.lock_subscription); once per customer
    ORDER BY c.id FOR NO KEY UPDATE;
    v_enclosed := logic.upgrade_options_defer();  -- the chunk's customers refreshed once, at its end
    -- Rows in waves (logic.batch_apply_waves), so that rows of one customer see each other
    -- in file order and the upgrades of a wave are applied set-based. No subtransaction
    -- per row on the normal path; if anything raises, the chunk is redone row by row.
    BEGIN
        PERFORM logic.batch_apply_waves(v_partner, p_batch_id, p_from_line, p_to_line, p_dry_run, v_comment);
    EXCEPTION WHEN OTHERS THEN
        IF logic.is_transient_sqlstate(SQLSTATE) THEN
            RAISE;
        END IF;
        FOR r IN SELECT * FROM core.batch_rows WHERE partner_id = v_partner AND batch_id = p_batch_id
                 AND line BETWEEN p_from_line AND p_to_line AND status = 'pending' ORDER BY line LOOP
            BEGIN
                PERFORM logic.batch_apply_row(v_partner, r, p_dry_run, v_comment);
            EXCEPTION WHEN OTHERS THEN
                IF logic.is_transient_sqlstate(SQLSTATE) THEN
                    RAISE;
                END IF;
                PERFORM logic.batch_reject_row(r, SQLSTATE, p_dry_run, v_comment);
            END;
        END LOOP;
    END;
    PERFORM logic.upgrade_options_flush(v_enclosed);
    RETURN logic.batch_counts(v_partner, p_batch_id, p_from_line, p_to_line);
END $$;
COMMENT ON FUNCTION api.batch_apply_chunk IS
'Applies the pending rows of lines p_from_line..p_to_line of a batch, the rows of each customer in line order: in
waves of one row per customer, the new upgrades, license changes, license assignments and status changes of a wave set-based
(logic.upgrade_apply, logic.licenses_apply, logic.license_assignments_apply, logic.status_apply), other rows through run_operation; audited with source batch, the batch id, each row''s request id and p_comment (the run''s reason or
ticket); one transaction per call.
Returns the counts of those lines.';

CREATE OR REPLACE FUNCTION api.batch_finish(p_batch_id text)
RETURNS jsonb LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_partner text := logic.require_partner();
    b core.batches;
BEGIN
    UPDATE core.batches SET last_run_finished_at = now(),
           finished_at = CASE WHEN EXISTS (SELECT 1 FROM core.batch_rows WHERE partner_id = v_partner
                                           AND batch_id = p_batch_id AND status = 'pending')
                              THEN NULL ELSE coalesce(finished_at, now()) END
    WHERE partner_id = v_partner AND id = p_batch_id RETURNING * INTO b;
    IF b.id IS NULL THEN
        PERFORM logic.raise_error('batch_not_found', format('batch %s does not exist', p_batch_id));
    END IF;
    RETURN logic.batch_summary(b);
END $$;
COMMENT ON FUNCTION api.batch_finish IS 'Ends a run of a batch (finished once no row is pending); returns its summary.';

CREATE OR REPLACE FUNCTION api.batches()
RETURNS jsonb LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT coalesce(jsonb_agg(logic.batch_summary(b) ORDER BY b.created_at DESC, b.id), '[]')
    FROM core.batches b WHERE b.partner_id = logic.require_partner()
$$;
COMMENT ON FUNCTION api.batches IS 'The acting partner''s batches, newest first, with row counts per outcome and timings.';

CREATE OR REPLACE FUNCTION api.batch(p_batch text)
RETURNS jsonb LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT logic.batch_summary(logic.find_batch(logic.require_partner(), p_batch))
$$;
COMMENT ON FUNCTION api.batch IS 'One batch of the acting partner (id or unique prefix of core.id_prefix_min_length()+ characters): summary.';

CREATE OR REPLACE FUNCTION api.batch_rows(p_batch text, p_after_line bigint DEFAULT 1, p_limit integer DEFAULT 10000,
                                          p_status text DEFAULT NULL)
RETURNS jsonb LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'line', r.line, 'request_id', r.request_id, 'action', r.action, 'subscription_id', r.subscription_id,
               'user', r.license_user, 'into_subscription_id', r.into_subscription_id,
               'status', r.status, 'error_codes', to_jsonb(r.error_codes),
               'errors', coalesce(r.errors, logic.batch_row_errors(r.error_codes)), 'new_subscription_id', r.new_subscription_id)
               ORDER BY r.line), '[]')
    FROM (SELECT r.* FROM core.batches b
          JOIN core.batch_rows r ON r.partner_id = b.partner_id AND r.batch_id = b.id
          WHERE (b.partner_id, b.id) = (SELECT f.partner_id, f.id FROM logic.find_batch(logic.require_partner(), p_batch) f)
            AND r.line > p_after_line AND (p_status IS NULL OR r.status = p_status)
          ORDER BY r.line LIMIT p_limit) r
$$;
COMMENT ON FUNCTION api.batch_rows IS
'A page of a batch''s rows in line order (lines after p_after_line, at most p_limit, optionally of one status):
{line, request_id, action, subscription_id, user, into_subscription_id, status, error_codes, errors,
new_subscription_id}: errors are the error objects {code, description, details, next_step} the single command returns
(of a row processed before migration 014: its codes with their generic description).';
