
CREATE SCHEMA api;

COMMENT ON SCHEMA api IS 'The subctl API: every operation is one function call here.';

CREATE SCHEMA core;

COMMENT ON SCHEMA core IS 'Private tables of subctl; reach them through the api and report schemas.';

CREATE SCHEMA logic;

COMMENT ON SCHEMA logic IS 'The code of subctl over the tables of core: rules, operations, triggers (rebuilt by every migrate).';

CREATE SCHEMA report;

COMMENT ON SCHEMA report IS 'Documented read-only reports over subctl data.';

CREATE FUNCTION api.audit_events(p_subscription_id uuid DEFAULT NULL::uuid, p_customer_id uuid DEFAULT NULL::uuid, p_since timestamp with time zone DEFAULT NULL::timestamp with time zone, p_until timestamp with time zone DEFAULT NULL::timestamp with time zone, p_limit integer DEFAULT 1000) RETURNS jsonb
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT coalesce(jsonb_agg(to_jsonb(a) - 'partner_id' - 'chain_hash' ORDER BY a.id), '[]')
    FROM (SELECT * FROM core.audit_events e
          WHERE e.partner_id = logic.require_partner()
            AND (p_subscription_id IS NULL OR e.subscription_id = p_subscription_id)
            AND (p_customer_id IS NULL OR e.customer_id = p_customer_id)
            AND (p_since IS NULL OR e.occurred_at >= p_since)
            AND (p_until IS NULL OR e.occurred_at < p_until)
          ORDER BY e.id DESC LIMIT p_limit) a
$$;

COMMENT ON FUNCTION api.audit_events(p_subscription_id uuid, p_customer_id uuid, p_since timestamp with time zone, p_until timestamp with time zone, p_limit integer) IS 'The acting partner''s audit events (the latest p_limit, oldest first), by subscription, customer or time range.';

CREATE FUNCTION api.audit_verify(p_customer_id uuid DEFAULT NULL::uuid, p_checkpoint jsonb DEFAULT NULL::jsonb) RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_partner text := CASE WHEN logic.acting_partner() IS NULL AND logic.login_is_owner() THEN NULL
                           ELSE logic.require_partner() END;
    v_customers uuid[];
BEGIN
    IF p_checkpoint IS NOT NULL AND jsonb_typeof(p_checkpoint) <> 'array' THEN
        PERFORM logic.raise_error('invalid_argument', 'the checkpoint is not a JSON array of {chain, head_event_id, head_hash}');
    END IF;
    IF p_customer_id IS NOT NULL THEN
        IF NOT (EXISTS (SELECT 1 FROM core.customers WHERE id = p_customer_id)
                AND (v_partner IS NULL OR logic.customer_visible(v_partner, p_customer_id))) THEN
            PERFORM logic.raise_error('customer_not_found', format('customer %s does not exist', p_customer_id));
        END IF;
        v_customers := ARRAY[p_customer_id];
    ELSIF v_partner IS NOT NULL THEN
        v_customers := ARRAY(SELECT customer_id FROM core.partner_customers WHERE partner_id = v_partner);
    END IF;
    RETURN (SELECT coalesce(jsonb_agg(to_jsonb(x) - 'n' ORDER BY x.n), '[]') FROM (
        SELECT row_number() OVER () AS n, c.chain, c.events, c.head_event_id, c.head_hash, c.status,
               c.first_broken_event_id, c.problem
        FROM logic.audit_chains(v_customers, CASE WHEN p_customer_id IS NULL THEN v_partner END,
                                -- one customer's verify checks that chain's kept head only
                                CASE WHEN p_customer_id IS NULL THEN p_checkpoint
                                     ELSE (SELECT coalesce(jsonb_agg(k), '[]') FROM jsonb_array_elements(p_checkpoint) k
                                           WHERE k ->> 'chain' = 'customer:' || p_customer_id) END) c
        UNION ALL
        SELECT 1e12 + row_number() OVER (), 'subscription:' || u.subscription_id, NULL, NULL, NULL, 'broken', NULL,
               u.problem
        FROM logic.audit_unrecorded_changes(v_customers, v_partner) u) x);
END $$;

COMMENT ON FUNCTION api.audit_verify(p_customer_id uuid, p_checkpoint jsonb) IS 'Recomputes the audit chains the caller may check (one customer''s with p_customer_id): per chain its events, head
event and hash (the checkpoint to keep), status ok or broken with the first broken event; p_checkpoint (an earlier
result) also catches the newest events removed. Subscriptions changed without an audit event are listed as broken.';

CREATE FUNCTION api.batch(p_batch text) RETURNS jsonb
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT logic.batch_summary(logic.find_batch(logic.require_partner(), p_batch))
$$;

COMMENT ON FUNCTION api.batch(p_batch text) IS 'One batch of the acting partner (id or unique prefix of core.id_prefix_min_length()+ characters): summary.';

CREATE FUNCTION api.batch_apply_chunk(p_batch_id text, p_from_line bigint, p_to_line bigint, p_dry_run boolean DEFAULT false, p_comment text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

COMMENT ON FUNCTION api.batch_apply_chunk(p_batch_id text, p_from_line bigint, p_to_line bigint, p_dry_run boolean, p_comment text) IS 'Applies the pending rows of lines p_from_line..p_to_line of a batch, the rows of each customer in line order: in
waves of one row per customer, the new upgrades, license changes, license assignments and status changes of a wave set-based
(logic.upgrade_apply, logic.licenses_apply, logic.license_assignments_apply, logic.status_apply), other rows through run_operation; audited with source batch, the batch id, each row''s request id and p_comment (the run''s reason or
ticket); one transaction per call.
Returns the counts of those lines.';

CREATE FUNCTION api.batch_begin() RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    PERFORM logic.require_partner();
    PERFORM set_config('client_encoding', 'UTF8', true);  -- COPY then checks that every line is UTF-8
    PERFORM logic.drop_temp_table('batch_lines');
    CREATE TEMP TABLE batch_lines (line bigint GENERATED ALWAYS AS IDENTITY, raw text NOT NULL) ON COMMIT DROP;
    GRANT INSERT ON pg_temp.batch_lines TO SESSION_USER;  -- the caller COPYs into it
END $$;

COMMENT ON FUNCTION api.batch_begin() IS 'Starts staging a batch file: creates pg_temp.batch_lines (line, raw) for this transaction; the caller then runs
COPY batch_lines (raw) FROM STDIN (FORMAT text, ENCODING ''UTF8'') with one line of the file per row.';

CREATE FUNCTION api.batch_finish(p_batch_id text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

COMMENT ON FUNCTION api.batch_finish(p_batch_id text) IS 'Ends a run of a batch (finished once no row is pending); returns its summary.';

CREATE FUNCTION api.batch_register(p_name text, p_content_sha256 text, p_file_name text, p_max_errors integer DEFAULT 1000, p_comment text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

COMMENT ON FUNCTION api.batch_register(p_name text, p_content_sha256 text, p_file_name text, p_max_errors integer, p_comment text) IS 'Validates the staged file whole and registers it as a batch of the acting partner (id: p_name, else the sha256).
Returns {status: invalid, error_count, errors: [{line, column, value, message}]} (nothing written) or
{status: registered, batch_id, rows, first_pending_line, last_line, counts}; a known batch resumes.';

CREATE FUNCTION api.batch_rows(p_batch text, p_after_line bigint DEFAULT 1, p_limit integer DEFAULT 10000, p_status text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

COMMENT ON FUNCTION api.batch_rows(p_batch text, p_after_line bigint, p_limit integer, p_status text) IS 'A page of a batch''s rows in line order (lines after p_after_line, at most p_limit, optionally of one status):
{line, request_id, action, subscription_id, user, into_subscription_id, status, error_codes, errors,
new_subscription_id}: errors are the error objects {code, description, details, next_step} the single command returns
(of a row processed before migration 014: its codes with their generic description).';

CREATE FUNCTION api.batches() RETURNS jsonb
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT coalesce(jsonb_agg(logic.batch_summary(b) ORDER BY b.created_at DESC, b.id), '[]')
    FROM core.batches b WHERE b.partner_id = logic.require_partner()
$$;

COMMENT ON FUNCTION api.batches() IS 'The acting partner''s batches, newest first, with row counts per outcome and timings.';

CREATE FUNCTION api.catalog() RETURNS jsonb
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT jsonb_build_object(
        'offers', coalesce((SELECT jsonb_agg(jsonb_build_object(
            'id', o.id, 'name', o.name, 'service', o.service_id, 'min', o.min_quantity, 'max', o.max_quantity,
            'add_on', o.is_add_on, 'retired', o.retired,
            'plans', ARRAY(SELECT service_plan_id FROM core.offer_service_plans WHERE offer_id = o.id ORDER BY 1),
            'billing_cycles', ARRAY(SELECT billing_cycle FROM core.offer_billing_cycles WHERE offer_id = o.id ORDER BY 1),
            'add_on_to', ARRAY(SELECT parent_offer_id FROM core.offer_add_on_parents WHERE add_on_offer_id = o.id ORDER BY 1),
            'upgrades_to', ARRAY(SELECT target_offer_id FROM core.upgrade_paths WHERE source_offer_id = o.id ORDER BY 1))
            ORDER BY o.id) FROM core.offers o), '[]'),
        'upgrade_paths', coalesce((SELECT jsonb_agg(jsonb_build_object('source_offer', source_offer_id,
                                                                      'target_offer', target_offer_id)
                                            ORDER BY source_offer_id, target_offer_id)
                                   FROM core.upgrade_paths), '[]'))
$$;

COMMENT ON FUNCTION api.catalog() IS 'The catalog: offers (with plans, billing cycles, add-on parents, upgrade targets) and upgrade paths.';

CREATE FUNCTION api.catalog_apply(p_catalog jsonb, p_comment text DEFAULT NULL::text, p_request_id text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    SET client_min_messages TO 'warning'
    AS $$
DECLARE
    v_problems text[] := ARRAY(SELECT logic.catalog_problems(p_catalog) ORDER BY 1);
    v_before jsonb;
    v_after jsonb;
    v_comment text := logic.require_comment(p_comment);  -- checked even when nothing changes
    -- the request names the document by its digest (a request id replays only the same document)
    v_parameters jsonb := jsonb_build_object('catalog_sha256', encode(sha256(convert_to(p_catalog::text, 'UTF8')), 'hex'));
    v_result jsonb;
BEGIN
    IF cardinality(v_problems) > 0 THEN
        PERFORM logic.raise_error('invalid_catalog', 'invalid catalog: ' || array_to_string(v_problems, '; '),
                                 array_to_string(v_problems, E'\n'));
    END IF;
    -- One catalog change at a time.
    LOCK TABLE core.offers IN SHARE ROW EXCLUSIVE MODE;
    v_result := logic.platform_begin('catalog_apply', v_parameters, p_request_id, v_comment);
    IF v_result IS NOT NULL THEN  -- a replay, or the request id reused
        RETURN v_result;
    END IF;
    v_before := api.catalog();

    -- Set-valued attributes become exactly the file's. Paths that go are deleted before the
    -- offers change, so that an offer leaving every path may become an add-on.
    DROP TABLE IF EXISTS pg_temp.catalog_offer_sets;
    CREATE TEMP TABLE catalog_offer_sets ON COMMIT DROP AS
    SELECT x ->> 'id' AS offer_id, 'plan' AS kind, v #>> '{}' AS value
    FROM jsonb_array_elements(p_catalog -> 'offers') x, jsonb_array_elements(coalesce(x -> 'plans', '[]')) v
    UNION ALL
    SELECT x ->> 'id', 'cycle', v #>> '{}'
    FROM jsonb_array_elements(p_catalog -> 'offers') x, jsonb_array_elements(coalesce(x -> 'billing_cycles', '[]')) v
    UNION ALL
    SELECT x ->> 'id', 'parent', v #>> '{}'
    FROM jsonb_array_elements(p_catalog -> 'offers') x, jsonb_array_elements(coalesce(x -> 'add_on_to', '[]')) v
    UNION ALL
    SELECT x ->> 'id', 'path', v #>> '{}'
    FROM jsonb_array_elements(p_catalog -> 'offers') x, jsonb_array_elements(coalesce(x -> 'upgrades_to', '[]')) v;

    DELETE FROM core.upgrade_paths u WHERE NOT EXISTS (
        SELECT 1 FROM catalog_offer_sets WHERE kind = 'path' AND offer_id = u.source_offer_id AND value = u.target_offer_id);

    INSERT INTO core.services (id, name)
    SELECT s ->> 'id', coalesce(s ->> 'name', s ->> 'id') FROM jsonb_array_elements(p_catalog -> 'services') s
    ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name WHERE services.name IS DISTINCT FROM EXCLUDED.name;

    INSERT INTO core.service_plans (id, service_id)
    SELECT p #>> '{}', s ->> 'id'
    FROM jsonb_array_elements(p_catalog -> 'services') s, jsonb_array_elements(coalesce(s -> 'plans', '[]')) p
    ON CONFLICT (id) DO NOTHING;

    INSERT INTO core.offers AS o (id, service_id, name, min_quantity, max_quantity, is_add_on, retired)
    SELECT x ->> 'id', x ->> 'service', x ->> 'name', coalesce((x ->> 'min')::integer, 1), (x ->> 'max')::integer,
           x -> 'add_on_to' IS NOT NULL, false
    FROM jsonb_array_elements(p_catalog -> 'offers') x
    ON CONFLICT (id) DO UPDATE
        SET service_id = EXCLUDED.service_id, name = EXCLUDED.name, min_quantity = EXCLUDED.min_quantity,
            max_quantity = EXCLUDED.max_quantity, is_add_on = EXCLUDED.is_add_on, retired = false
        WHERE (o.service_id, o.name, o.min_quantity, o.max_quantity, o.is_add_on, o.retired)
              IS DISTINCT FROM (EXCLUDED.service_id, EXCLUDED.name, EXCLUDED.min_quantity,
                                EXCLUDED.max_quantity, EXCLUDED.is_add_on, false);

    UPDATE core.offers SET retired = true
    WHERE NOT retired AND id NOT IN (SELECT x ->> 'id' FROM jsonb_array_elements(p_catalog -> 'offers') x);

    DELETE FROM core.offer_service_plans u WHERE NOT EXISTS (
        SELECT 1 FROM catalog_offer_sets WHERE kind = 'plan' AND offer_id = u.offer_id AND value = u.service_plan_id);
    DELETE FROM core.offer_billing_cycles u WHERE NOT EXISTS (
        SELECT 1 FROM catalog_offer_sets WHERE kind = 'cycle' AND offer_id = u.offer_id AND value = u.billing_cycle);
    DELETE FROM core.offer_add_on_parents u WHERE NOT EXISTS (
        SELECT 1 FROM catalog_offer_sets WHERE kind = 'parent' AND offer_id = u.add_on_offer_id AND value = u.parent_offer_id);
    INSERT INTO core.offer_service_plans SELECT offer_id, value FROM catalog_offer_sets WHERE kind = 'plan'
        ON CONFLICT DO NOTHING;
    INSERT INTO core.offer_billing_cycles SELECT offer_id, value FROM catalog_offer_sets WHERE kind = 'cycle'
        ON CONFLICT DO NOTHING;
    INSERT INTO core.offer_add_on_parents SELECT offer_id, value FROM catalog_offer_sets WHERE kind = 'parent'
        ON CONFLICT DO NOTHING;
    INSERT INTO core.upgrade_paths SELECT offer_id, value FROM catalog_offer_sets WHERE kind = 'path'
        ON CONFLICT DO NOTHING;

    v_after := api.catalog();
    -- one event either way (every attempted operation has one): no changed fields when
    -- the document was the catalog already
    INSERT INTO core.audit_events (operation, operator, partner_id, source, entity, changes, outcome, request_id, comment)
    VALUES ('catalog_apply', logic.acting_operator(), logic.acting_audit_partner(), logic.acting_source(), 'catalog',
            CASE WHEN v_after IS DISTINCT FROM v_before THEN jsonb_build_object('catalog', jsonb_build_array(v_before, v_after))
                 ELSE '{}' END, 'succeeded', p_request_id, v_comment);
    RETURN logic.platform_result('catalog_apply', v_parameters, p_request_id, jsonb_build_object(
        'status', 'succeeded', 'changed', v_after IS DISTINCT FROM v_before,
        'offers', jsonb_array_length(v_after -> 'offers'), 'upgrade_paths', jsonb_array_length(v_after -> 'upgrade_paths'),
        'errors', '[]'::jsonb));
END $$;

COMMENT ON FUNCTION api.catalog_apply(p_catalog jsonb, p_comment text, p_request_id text) IS 'Applies a catalog document (validated whole; idempotent; missing offers are retired).
Returns {status, changed, offers, upgrade_paths, request_id, errors}; raises SU060 naming every invalid entry. p_comment and
p_request_id are kept in its audit event; a request id used before with the same document returns its first result, with
another request_id_reused.';

CREATE FUNCTION api.customer(p_customer text) RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_partner text := logic.require_partner();
    v_id uuid := logic.resolve_customer(v_partner, p_customer);
BEGIN
    RETURN (SELECT jsonb_build_object(
                'id', c.id, 'name', c.name, 'domain', c.domain, 'created_at', c.created_at,
                'how', pc.how, 'linked_at', pc.linked_at,
                'subscriptions', (SELECT jsonb_object_agg(st.status, (SELECT count(*) FROM core.subscriptions s
                                                                       WHERE s.customer_id = c.id AND s.status = st.status))
                                  FROM unnest(core.subscription_statuses()) AS st (status)),
                'relationships', (SELECT jsonb_agg(jsonb_build_object('service', sv.id)
                                                   || logic.relationship_state(v_partner, c.id, sv.id) ORDER BY sv.id)
                                  FROM core.services sv))
            FROM core.customers c JOIN core.partner_customers pc ON pc.customer_id = c.id AND pc.partner_id = v_partner
            WHERE c.id = v_id);
END $$;

COMMENT ON FUNCTION api.customer(p_customer text) IS 'One customer of the acting partner (named as api.customer_resolve accepts): how it is seen (added/linked), its subscriptions by status, the relationship per service.';

CREATE FUNCTION api.customer_add(p_name text, p_id uuid DEFAULT NULL::uuid, p_domain text DEFAULT NULL::text, p_request_id text DEFAULT NULL::text, p_dry_run boolean DEFAULT false, p_comment text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT logic.run_operation('add_customer', jsonb_strip_nulls(jsonb_build_object('name', p_name, 'id', p_id,
                              'domain', p_domain)), p_request_id, p_dry_run, p_comment => p_comment)
$$;

COMMENT ON FUNCTION api.customer_add(p_name text, p_id uuid, p_domain text, p_request_id text, p_dry_run boolean, p_comment text) IS 'Adds a customer tenant for the acting partner. Returns {status, id, name, domain, request_id, errors}; an id or
domain that exists is refused (customer_exists), audited. p_comment is kept in the audit events.';

CREATE FUNCTION api.customer_link(p_customer_id uuid, p_partner_id text, p_comment text DEFAULT NULL::text, p_request_id text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_parameters jsonb := jsonb_build_object('customer_id', p_customer_id, 'partner_id', p_partner_id);
    v_result jsonb;
BEGIN
    PERFORM 1 FROM core.customers WHERE id = p_customer_id FOR NO KEY UPDATE;  -- the customer's lock first
    v_result := logic.platform_begin('link_customer', v_parameters, p_request_id, p_comment);
    IF v_result IS NOT NULL THEN  -- a replay, or the request id reused
        RETURN v_result;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM core.customers WHERE id = p_customer_id) THEN
        RETURN logic.platform_refusal('link_customer', 'customer_not_found', v_parameters,
                                      format('Customer %s does not exist.', p_customer_id), p_request_id);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM core.partners WHERE id = p_partner_id) THEN
        RETURN logic.platform_refusal('link_customer', 'partner_not_found', v_parameters,
                                      format('Partner %s does not exist.', p_partner_id), p_request_id);
    END IF;
    IF logic.customer_visible(p_partner_id, p_customer_id) THEN
        RETURN logic.platform_refusal('link_customer', 'customer_already_linked', v_parameters,
                                      format('Customer %s is already visible to partner %s.', p_customer_id, p_partner_id),
                                      p_request_id);
    END IF;
    INSERT INTO core.partner_customers (partner_id, customer_id, how) VALUES (p_partner_id, p_customer_id, 'linked');
    RETURN logic.platform_result('link_customer', v_parameters, p_request_id,
                                 jsonb_build_object('status', 'succeeded', 'errors', '[]'::jsonb) || v_parameters);
END $$;

COMMENT ON FUNCTION api.customer_link(p_customer_id uuid, p_partner_id text, p_comment text, p_request_id text) IS 'Owner only: records that a customer accepted a partner''s reseller invitation; the customer becomes visible to that partner.
Returns {status, customer_id, partner_id, request_id, errors}. Refusals (customer_not_found, partner_not_found,
customer_already_linked) are coded results, audited under no partner. p_comment and p_request_id are kept in the audit
events; a request id used before with the same parameters returns its first result, with others request_id_reused.';

CREATE FUNCTION api.customer_resolve(p_customer text) RETURNS uuid
    LANGUAGE sql STABLE STRICT SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT CASE WHEN btrim(p_customer) ~ core.uuid_pattern() THEN btrim(p_customer)::uuid
                -- the schema owner acting for no partner is the platform: every customer
                WHEN logic.acting_partner() IS NULL AND logic.login_is_owner() THEN logic.resolve_customer(NULL, p_customer)
                ELSE logic.resolve_customer(logic.require_partner(), p_customer) END
$$;

COMMENT ON FUNCTION api.customer_resolve(p_customer text) IS 'The id of the acting partner''s customer named by its id, primary domain, exact name or a part of a name only it has
(for the schema owner acting for no partner: any customer). A full id is returned as it is; NULL gives NULL.
Raises customer_ambiguous (SU037, the candidates as JSON in the detail) or customer_not_found (SU003).';

CREATE FUNCTION api.customers(p_search text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET plan_cache_mode TO 'force_custom_plan'
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_partner text := logic.require_partner();
    v_pattern text := '%' || logic.like_literal(btrim(p_search)) || '%';
BEGIN
    -- no name is longer, and the trigrams of a long text cost the server its length
    IF length(btrim(p_search)) > core.display_name_max_length() THEN
        PERFORM logic.raise_error('invalid_argument',
            format('the search text has %s characters; a name has at most %s', length(btrim(p_search)), core.display_name_max_length()),
            NULL, 'search a part of the name or domain');
    END IF;
    IF p_search IS NULL THEN
        RETURN (SELECT coalesce(jsonb_agg(jsonb_build_object('id', c.id, 'name', c.name, 'domain', c.domain,
                                                             'created_at', c.created_at) ORDER BY c.name, c.id), '[]')
                FROM core.partner_customers pc JOIN core.customers c ON c.id = pc.customer_id
                WHERE pc.partner_id = v_partner);
    END IF;
    RETURN (SELECT coalesce(jsonb_agg(jsonb_build_object('id', c.id, 'name', c.name, 'domain', c.domain,
                                                         'created_at', c.created_at) ORDER BY c.name, c.id), '[]')
            FROM core.customers c
            WHERE (c.name ILIKE v_pattern OR c.domain ILIKE v_pattern) AND logic.customer_visible(v_partner, c.id));
END $$;

COMMENT ON FUNCTION api.customers(p_search text) IS 'The customers that exist for the acting partner; with p_search, those whose name or domain contains it (case-insensitive).';

CREATE FUNCTION api.license_change(p_operation text, p_subscription_id uuid, p_users text[], p_request_id text DEFAULT NULL::text, p_dry_run boolean DEFAULT false, p_comment text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    IF p_operation NOT IN ('assign', 'unassign') THEN
        PERFORM logic.raise_error('invalid_argument', format('unknown license operation %s', p_operation));
    END IF;
    IF coalesce(cardinality(p_users), 0) = 0 THEN
        PERFORM logic.raise_error('invalid_argument', 'no user named: give one or more users (id or user principal name)');
    END IF;
    RETURN logic.run_operation(p_operation || '_license', jsonb_build_object(
        'subscription_id', p_subscription_id, 'users', to_jsonb(p_users)), p_request_id, p_dry_run, p_comment => p_comment);
END $$;

COMMENT ON FUNCTION api.license_change(p_operation text, p_subscription_id uuid, p_users text[], p_request_id text, p_dry_run boolean, p_comment text) IS 'Assigns or unassigns licenses of a subscription to users of its customer (each an id or user principal name), all or
nothing. Returns {status, subscription_id, quantity, licenses_assigned, assigned|unassigned, unchanged, request_id,
errors}: every user not found (user_not_found) and the licenses missing (license_quantity_exceeded). p_comment is kept
in the audit events.';

CREATE FUNCTION api.licenses_change(p_operation text, p_subscription_id uuid, p_quantity bigint, p_request_id text DEFAULT NULL::text, p_if_version bigint DEFAULT NULL::bigint, p_dry_run boolean DEFAULT false, p_comment text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    IF p_operation NOT IN ('add', 'remove') THEN
        PERFORM logic.raise_error('invalid_argument', format('unknown license operation %s', p_operation));
    END IF;
    RETURN logic.run_operation(p_operation || '_licenses', jsonb_strip_nulls(jsonb_build_object(
        'subscription_id', p_subscription_id, 'quantity', p_quantity, 'if_version', p_if_version)),
        p_request_id, p_dry_run, p_comment => p_comment);
END $$;

COMMENT ON FUNCTION api.licenses_change(p_operation text, p_subscription_id uuid, p_quantity bigint, p_request_id text, p_if_version bigint, p_dry_run boolean, p_comment text) IS 'Adds or removes licenses of a subscription sold by the acting partner (annual: add only).
Returns {status, source_subscription_id, quantity, version, subscription_status, request_id, errors}. p_comment is kept in the audit events.';

CREATE FUNCTION api.partner_add(p_id text, p_name text, p_comment text DEFAULT NULL::text, p_request_id text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_name text := logic.require_display_name(p_name, 'partner name');
    v_parameters jsonb := jsonb_build_object('id', p_id, 'name', v_name);
    v_result jsonb := logic.platform_begin('add_partner', v_parameters, p_request_id, p_comment);
BEGIN
    IF v_result IS NOT NULL THEN  -- a replay, or the request id reused
        RETURN v_result;
    END IF;
    PERFORM 1 FROM core.partners WHERE id = p_id;
    IF FOUND THEN
        RETURN logic.platform_refusal('add_partner', 'partner_exists', v_parameters,
                                      format('Partner %s already exists.', p_id), p_request_id);
    END IF;
    BEGIN
        INSERT INTO core.partners (id, name) VALUES (p_id, v_name);
    EXCEPTION WHEN check_violation THEN  -- the id format the table allows (check_partners_id_format)
        PERFORM logic.raise_error('invalid_argument', format(
            'partner id %s: up to 64 lower-case letters, digits, dots, dashes and underscores, starting with a letter or digit',
            to_json(p_id)));
    END;
    RETURN logic.platform_result('add_partner', v_parameters, p_request_id,
                                 jsonb_build_object('status', 'succeeded', 'id', p_id, 'name', v_name, 'errors', '[]'::jsonb));
END $$;

COMMENT ON FUNCTION api.partner_add(p_id text, p_name text, p_comment text, p_request_id text) IS 'Adds a CSP reseller partner. Returns {status, id, name, request_id, errors}; an id that exists is refused (partner_exists),
audited. p_comment (a reason or ticket) and p_request_id are kept in the audit events; a request id used before with the
same parameters returns its first result (logic.platform_begin), with others request_id_reused.';

CREATE FUNCTION api.partner_login_map(p_login_role name, p_partner_id text, p_comment text DEFAULT NULL::text, p_request_id text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_parameters jsonb := jsonb_build_object('login_role', p_login_role, 'partner_id', p_partner_id);
    v_result jsonb;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = p_login_role) THEN
        PERFORM logic.raise_error('invalid_argument', format('there is no database role %s', p_login_role), NULL,
                                 'create it first: CREATE ROLE name LOGIN; GRANT subctl_operator TO name');
    END IF;
    -- audited: who gave which login to which partner
    v_result := logic.platform_begin('map_login', v_parameters, p_request_id, p_comment);
    IF v_result IS NOT NULL THEN  -- a replay, or the request id reused
        RETURN v_result;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM core.partners WHERE id = p_partner_id) THEN
        RETURN logic.platform_refusal('map_login', 'partner_not_found', v_parameters,
                                      format('Partner %s does not exist.', p_partner_id), p_request_id);
    END IF;
    INSERT INTO core.partner_logins (login_role, partner_id) VALUES (p_login_role, p_partner_id)
    ON CONFLICT (login_role) DO UPDATE SET partner_id = EXCLUDED.partner_id, mapped_at = now();
    RETURN logic.platform_result('map_login', v_parameters, p_request_id,
                                 jsonb_build_object('status', 'succeeded', 'errors', '[]'::jsonb) || v_parameters);
END $$;

COMMENT ON FUNCTION api.partner_login_map(p_login_role name, p_partner_id text, p_comment text, p_request_id text) IS 'Maps a database login to the one partner it acts for (owner only). The login then acts and is recorded as itself.
Returns {status, login_role, partner_id, request_id, errors}. An unknown partner is refused (partner_not_found) as a coded
result, audited under no partner. p_comment and p_request_id are kept in the audit events; a request id used before with
the same parameters returns its first result, with others request_id_reused.';

CREATE FUNCTION api.relationship_change(p_operation text, p_customer_id uuid, p_service_id text, p_expires_at timestamp with time zone DEFAULT NULL::timestamp with time zone, p_request_id text DEFAULT NULL::text, p_dry_run boolean DEFAULT false, p_comment text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    IF p_operation NOT IN ('request', 'accept', 'remove') THEN
        PERFORM logic.raise_error('invalid_argument', format('unknown relationship operation %s', p_operation));
    END IF;
    RETURN logic.run_operation(p_operation || '_relationship',
                              jsonb_strip_nulls(jsonb_build_object('customer_id', p_customer_id,
                                  'service_id', p_service_id, 'expires_at', p_expires_at)),
                              p_request_id, p_dry_run, p_comment => p_comment);
END $$;

COMMENT ON FUNCTION api.relationship_change(p_operation text, p_customer_id uuid, p_service_id text, p_expires_at timestamp with time zone, p_request_id text, p_dry_run boolean, p_comment text) IS 'Requests, accepts (recorded for the customer) or removes the acting partner''s delegated-admin relationship.
Returns the relationship with {status, relationship_status, request_id, errors}; a refusal is status rejected, audited.
p_comment is kept in the audit events.';

CREATE FUNCTION api.relationships(p_customer_id uuid DEFAULT NULL::uuid) RETURNS jsonb
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'id', r.id, 'customer_id', r.customer_id, 'service_id', r.service_id,
               'status', CASE WHEN r.status = 'active' AND r.expires_at <= statement_timestamp() THEN 'expired'
                              ELSE r.status END,
               'requested_at', r.requested_at, 'activated_at', r.activated_at, 'expires_at', r.expires_at,
               'ended_at', r.ended_at) ORDER BY r.requested_at, r.id), '[]')
    FROM core.relationships r
    WHERE r.partner_id = logic.require_partner() AND (p_customer_id IS NULL OR r.customer_id = p_customer_id)
$$;

COMMENT ON FUNCTION api.relationships(p_customer_id uuid) IS 'The acting partner''s relationships, with expiry applied as of now.';

CREATE FUNCTION api.report_rows(p_name text, p_filters jsonb DEFAULT '[]'::jsonb, p_limit integer DEFAULT NULL::integer) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_view oid := (SELECT c.oid FROM pg_class c
                   WHERE c.relnamespace = 'report'::regnamespace AND c.relkind = 'v' AND c.relname = p_name);
    v_where text := '';
    v_values text[] := '{}'::text[];
    v_column pg_attribute;
    v_type text;
    f jsonb;
    v_result jsonb;
BEGIN
    IF v_view IS NULL THEN
        PERFORM logic.raise_error('invalid_argument', format('unknown report %s', p_name), NULL,
                                 'list the reports with: subctl report list');
    END IF;
    FOR f IN SELECT * FROM jsonb_array_elements(p_filters) LOOP
        SELECT * INTO v_column FROM pg_attribute
        WHERE attrelid = v_view AND attname = f ->> 'column' AND attnum > 0 AND NOT attisdropped;
        IF v_column.attname IS NULL THEN
            PERFORM logic.raise_error('invalid_argument', format('report %s has no column %s', p_name, f ->> 'column'));
        END IF;
        IF f ->> 'op' NOT IN ('=', '<>', '<', '<=', '>', '>=') THEN
            PERFORM logic.raise_error('invalid_argument', format('unknown comparison %s', f ->> 'op'));
        END IF;
        v_values := v_values || (f ->> 'value');
        v_type := format_type(v_column.atttypid, v_column.atttypmod);
        v_where := v_where || CASE
            -- on an array column, = means "contains"
            WHEN v_type LIKE '%[]' AND f ->> 'op' = '=' THEN
                format(' AND CAST($1[%s] AS %s) = ANY (%I)', cardinality(v_values), rtrim(v_type, '[]'), v_column.attname)
            ELSE format(' AND %I %s CAST($1[%s] AS %s)', v_column.attname, f ->> 'op', cardinality(v_values), v_type) END;
    END LOOP;
    EXECUTE format('SELECT coalesce(jsonb_agg(to_jsonb(r)), ''[]'') FROM (SELECT * FROM report.%I WHERE true%s LIMIT $2) r',
                   p_name, v_where)
        INTO v_result USING v_values, p_limit;
    RETURN v_result;
END $_$;

COMMENT ON FUNCTION api.report_rows(p_name text, p_filters jsonb, p_limit integer) IS 'The rows of report view p_name, filtered by [{column, op, value}] (op one of = <> < <= > >=; = on an array column means contains).';

CREATE FUNCTION api.reports() RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object('name', c.relname,
                              'summary', split_part(obj_description(c.oid, 'pg_class'), E'\n', 1)) ORDER BY c.relname), '[]')
    FROM pg_class c
    WHERE c.relnamespace = 'report'::regnamespace AND c.relkind = 'v'
$$;

COMMENT ON FUNCTION api.reports() IS 'The report views with their one-line summaries.';

CREATE FUNCTION api.subscription(p_id uuid) RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_partner text := logic.require_partner();
    s core.subscriptions;
BEGIN
    SELECT * INTO s FROM core.subscriptions WHERE id = p_id;
    IF s.id IS NULL OR NOT logic.customer_visible(v_partner, s.customer_id) THEN
        PERFORM logic.raise_error('subscription_not_found', format('subscription %s does not exist', p_id));
    END IF;
    RETURN logic.subscription_json(v_partner, s) || jsonb_build_object('licenses_assigned', logic.licenses_assigned(s.id));
END $$;

COMMENT ON FUNCTION api.subscription(p_id uuid) IS 'One subscription of the acting partner''s customers, with licenses_assigned; SU001 otherwise.';

CREATE FUNCTION api.subscription_add(p_customer_id uuid, p_offer_id text, p_quantity bigint, p_billing_cycle text DEFAULT 'monthly'::text, p_channel text DEFAULT 'csp'::text, p_status text DEFAULT 'active'::text, p_parent_id uuid DEFAULT NULL::uuid, p_request_id text DEFAULT NULL::text, p_dry_run boolean DEFAULT false, p_comment text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    IF p_channel <> ALL (core.channels()) THEN
        PERFORM logic.raise_error('invalid_argument',
                                  format('channel %s is not %s', p_channel, logic.one_of(core.channels())));
    END IF;
    IF p_status <> ALL (core.subscription_initial_statuses()) THEN
        PERFORM logic.raise_error('invalid_argument', format('a new subscription is %s, not %s',
                                                             logic.one_of(core.subscription_initial_statuses()), p_status));
    END IF;
    IF p_billing_cycle <> ALL (core.billing_cycles()) THEN
        PERFORM logic.raise_error('invalid_argument',
                                  format('billing cycle %s is not %s', p_billing_cycle, logic.one_of(core.billing_cycles())));
    END IF;
    RETURN logic.run_operation('add_subscription', jsonb_build_object(
        'customer_id', p_customer_id, 'offer_id', p_offer_id, 'quantity', p_quantity,
        'billing_cycle', p_billing_cycle, 'channel', p_channel, 'status', p_status,
        'parent_subscription_id', p_parent_id), p_request_id, p_dry_run, p_comment => p_comment);
END $$;

COMMENT ON FUNCTION api.subscription_add(p_customer_id uuid, p_offer_id text, p_quantity bigint, p_billing_cycle text, p_channel text, p_status text, p_parent_id uuid, p_request_id text, p_dry_run boolean, p_comment text) IS 'Records a subscription bought through any channel (csp: sold by the acting partner). Returns the subscription
(status: the outcome; subscription_status: its state) and request_id. p_comment is kept in the audit events.';

CREATE FUNCTION api.subscription_change(p_operation text, p_subscription_id uuid, p_request_id text DEFAULT NULL::text, p_if_version bigint DEFAULT NULL::bigint, p_dry_run boolean DEFAULT false, p_comment text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    IF p_operation NOT IN ('activate', 'suspend', 'reactivate', 'cancel') THEN
        PERFORM logic.raise_error('invalid_argument', format('unknown status operation %s', p_operation));
    END IF;
    RETURN logic.run_operation(p_operation, jsonb_strip_nulls(jsonb_build_object(
        'subscription_id', p_subscription_id, 'if_version', p_if_version)), p_request_id, p_dry_run, p_comment => p_comment);
END $$;

COMMENT ON FUNCTION api.subscription_change(p_operation text, p_subscription_id uuid, p_request_id text, p_if_version bigint, p_dry_run boolean, p_comment text) IS 'Moves a subscription through its state machine: activate, suspend, reactivate, cancel (cancels add-ons too).
Returns {status (the outcome), subscription_status, version, cancelled_add_ons, request_id, errors}. p_comment is kept in the audit events.';

CREATE FUNCTION api.subscription_details(p_subscription_id uuid) RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_partner text := logic.require_partner();
    s core.subscriptions;
    o core.offers;
    v_upgrades jsonb;
BEGIN
    SELECT * INTO s FROM core.subscriptions WHERE id = p_subscription_id;
    IF s.id IS NULL OR NOT logic.customer_visible(v_partner, s.customer_id) THEN
        PERFORM logic.raise_error('subscription_not_found', format('subscription %s does not exist', p_subscription_id));
    END IF;
    SELECT * INTO o FROM core.offers WHERE id = s.offer_id;
    v_upgrades := api.upgrades(p_subscription_id);
    RETURN logic.subscription_json(v_partner, s) || jsonb_build_object(
        'offer_name', o.name,
        'add_ons', to_jsonb(ARRAY(SELECT a.id FROM core.subscriptions a
                                  WHERE a.parent_subscription_id = s.id AND a.status <> 'cancelled'
                                  ORDER BY a.created_at, a.id)),
        'licenses_assigned', logic.licenses_assigned(s.id),
        'relationship', logic.relationship_state(v_partner, s.customer_id, o.service_id),
        'upgrade_now', jsonb_path_exists(v_upgrades, '$[*] ? (@.eligible == true)'),
        'upgrades', v_upgrades);
END $_$;

COMMENT ON FUNCTION api.subscription_details(p_subscription_id uuid) IS 'The Details page of a subscription: its fields, offer_name, add_ons, licenses_assigned, relationship {status, expires_at}, upgrade_now and upgrades (as api.upgrades).';

CREATE FUNCTION api.subscription_resolve(p_subscription text) RETURNS uuid
    LANGUAGE sql STABLE STRICT SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT CASE WHEN btrim(p_subscription) ~ core.uuid_pattern() THEN btrim(p_subscription)::uuid
                ELSE logic.resolve_subscription(logic.require_partner(), p_subscription) END
$$;

COMMENT ON FUNCTION api.subscription_resolve(p_subscription text) IS 'The id of the subscription (of the acting partner''s customers) named by its id or a unique prefix of core.id_prefix_min_length()+ hex digits.
A full id is returned as it is; NULL gives NULL.
Raises subscription_ambiguous (SU038), subscription_not_found (SU001) or invalid_argument (SU041).';

CREATE FUNCTION api.subscriptions(p_customer_id uuid DEFAULT NULL::uuid) RETURNS jsonb
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT coalesce(jsonb_agg(logic.subscription_json(pc.partner_id, s) ORDER BY s.customer_id, s.created_at, s.id), '[]')
    FROM core.partner_customers pc JOIN core.subscriptions s ON s.customer_id = pc.customer_id
    WHERE pc.partner_id = logic.require_partner() AND (p_customer_id IS NULL OR pc.customer_id = p_customer_id)
$$;

COMMENT ON FUNCTION api.subscriptions(p_customer_id uuid) IS 'The subscriptions of the acting partner''s customers (all channels).';

CREATE FUNCTION api.upgrade(p_subscription_id uuid, p_target_offer_id text, p_quantity bigint DEFAULT NULL::bigint, p_request_id text DEFAULT NULL::text, p_if_version bigint DEFAULT NULL::bigint, p_dry_run boolean DEFAULT false, p_comment text DEFAULT NULL::text, p_license_transfer boolean DEFAULT true, p_into_subscription_id uuid DEFAULT NULL::uuid) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    RETURN logic.run_operation('upgrade', jsonb_strip_nulls(jsonb_build_object(
        'subscription_id', p_subscription_id, 'target_offer', p_target_offer_id, 'quantity', p_quantity,
        'if_version', p_if_version, 'license_transfer', CASE WHEN NOT p_license_transfer THEN false END,
        'into_subscription_id', p_into_subscription_id)),
        p_request_id, p_dry_run, p_comment => p_comment);
END $$;

COMMENT ON FUNCTION api.upgrade(p_subscription_id uuid, p_target_offer_id text, p_quantity bigint, p_request_id text, p_if_version bigint, p_dry_run boolean, p_comment text, p_license_transfer boolean, p_into_subscription_id uuid) IS 'Upgrades a subscription to a target offer: creates the target, suspends the source (reason upgraded), and moves the
users'' licenses to the target (p_license_transfer false: they stay on the source). With p_into_subscription_id, the
target is that existing active subscription of the acting partner (same customer and billing cycle; p_target_offer_id
NULL: its offer), which grows by p_quantity licenses (default: the source''s). Returns {status,
source_subscription_id, target_subscription_id, quantity (the target''s), upgrade_type, licenses_transferred,
next_steps, request_id, errors}, and into_subscription_id and quantity_added for an upgrade into. p_comment is kept in
the audit events.';

CREATE FUNCTION api.upgrades(p_subscription_id uuid, p_quantity bigint DEFAULT NULL::bigint, p_into uuid DEFAULT NULL::uuid) RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_partner text := logic.require_partner();
    v_quantity bigint;
    v_assigned bigint;
    v_source core.subscriptions;
    v_into core.subscriptions;
BEGIN
    SELECT * INTO v_source FROM core.subscriptions s
    WHERE s.id = p_subscription_id AND logic.customer_visible(v_partner, s.customer_id);
    v_quantity := coalesce(p_quantity, v_source.quantity);
    IF v_source.id IS NULL THEN
        PERFORM logic.raise_error('subscription_not_found', format('subscription %s does not exist', p_subscription_id));
    END IF;
    IF p_into IS NOT NULL THEN
        SELECT * INTO v_into FROM core.subscriptions x WHERE x.id = p_into AND logic.customer_visible(v_partner, x.customer_id);
        RETURN (SELECT coalesce(jsonb_agg(jsonb_build_object(
                           'target_offer', p.target_offer_id,
                           'target_offer_name', (SELECT o.name FROM core.offers o WHERE o.id = p.target_offer_id),
                           'eligible', cardinality(x.error_codes) = 0,
                           'errors', logic.error_objects(v_partner, x.error_codes, jsonb_strip_nulls(jsonb_build_object(
                               'subscription_id', p_subscription_id, 'target_offer', p.target_offer_id,
                               'into_subscription_id', p_into, 'quantity', coalesce(v_into.quantity, 0) + v_quantity,
                               'quantity_added', v_quantity)), v_source))
                           ORDER BY p.target_offer_id), '[]')
                FROM core.upgrade_paths p
                CROSS JOIN LATERAL logic.upgrade_request_errors(v_partner, ARRAY[v_source], ARRAY[p.target_offer_id],
                                                               ARRAY[v_quantity], ARRAY[NULL::bigint], NULL, ARRAY[p_into],
                                                               ARRAY[v_into]) x
                WHERE p.source_offer_id = v_source.offer_id);
    END IF;
    v_assigned := logic.licenses_assigned(p_subscription_id);  -- (the --into rules count them themselves)
    RETURN (SELECT coalesce(jsonb_agg(jsonb_build_object(
                       'target_offer', x.target_offer_id,
                       'target_offer_name', (SELECT o.name FROM core.offers o WHERE o.id = x.target_offer_id),
                       'eligible', cardinality(x.codes) = 0,
                       'errors', logic.error_objects(v_partner, x.codes, jsonb_build_object(
                           'subscription_id', p_subscription_id, 'target_offer', x.target_offer_id)
                           || CASE WHEN p_quantity IS NOT NULL THEN jsonb_build_object('quantity', p_quantity) ELSE '{}' END
                           || CASE WHEN 'license_transfer_quantity_insufficient' = ANY (x.codes)
                                   THEN jsonb_build_object('quantity', v_quantity) ELSE '{}' END, v_source))
                       ORDER BY x.target_offer_id), '[]')
            FROM (SELECT e.target_offer_id,
                         CASE WHEN p_quantity IS NOT NULL AND NOT logic.quantity_in_range(e.target_offer_id, p_quantity)
                              THEN ARRAY['quantity_out_of_range'] ELSE '{}' END
                         || e.error_codes || logic.license_transfer_errors(true, v_assigned, v_quantity) AS codes
                  FROM logic.upgrade_evaluations(ARRAY[v_source.customer_id], v_partner) e
                  WHERE e.subscription_id = p_subscription_id) x);
END $$;

COMMENT ON FUNCTION api.upgrades(p_subscription_id uuid, p_quantity bigint, p_into uuid) IS 'Every upgrade target of a subscription: eligible, and all the errors that apply (the "Upgrade now" check); with
p_quantity, for that many licenses of the target (default: the source''s quantity); with p_into, as an upgrade into
that existing subscription growing by p_quantity licenses (upgrade --into).';

CREATE FUNCTION api.user_add(p_customer_id uuid, p_upn text, p_display_name text DEFAULT NULL::text, p_request_id text DEFAULT NULL::text, p_dry_run boolean DEFAULT false, p_comment text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT logic.run_operation('add_user', jsonb_strip_nulls(jsonb_build_object(
        'customer_id', p_customer_id, 'upn', p_upn, 'display_name', p_display_name)),
        p_request_id, p_dry_run, p_comment => p_comment)
$$;

COMMENT ON FUNCTION api.user_add(p_customer_id uuid, p_upn text, p_display_name text, p_request_id text, p_dry_run boolean, p_comment text) IS 'Adds a user (user principal name NAME@DOMAIN, unique in the customer whatever its case) to a customer of the acting
partner. Returns {status, id, customer_id, upn, display_name, request_id, errors}; refusals (customer_not_found,
user_exists) are audited. p_comment is kept in the audit events.';

CREATE FUNCTION api.users(p_customer_id uuid) RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_partner text := logic.require_partner();
BEGIN
    IF p_customer_id IS NULL OR NOT logic.customer_visible(v_partner, p_customer_id) THEN
        PERFORM logic.raise_error('customer_not_found', format('customer %s does not exist', p_customer_id));
    END IF;
    RETURN (SELECT coalesce(jsonb_agg(jsonb_build_object(
                       'id', u.id, 'upn', u.upn, 'display_name', u.display_name, 'created_at', u.created_at,
                       'licenses', to_jsonb(ARRAY(SELECT a.subscription_id FROM core.license_assignments a
                                                  WHERE a.user_id = u.id ORDER BY a.assigned_at, a.subscription_id)))
                       ORDER BY lower(u.upn), u.id), '[]')
            FROM core.users u WHERE u.customer_id = p_customer_id);
END $$;

COMMENT ON FUNCTION api.users(p_customer_id uuid) IS 'The users of a customer of the acting partner, each with the subscriptions whose licenses it holds.';

CREATE FUNCTION core.audit_chain_of(p_customer_id uuid, p_partner_id text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    RETURN CASE WHEN p_customer_id IS NOT NULL THEN 'customer:' || p_customer_id
                WHEN p_partner_id IS NOT NULL THEN 'partner:' || p_partner_id ELSE 'platform' END;
END $$;

COMMENT ON FUNCTION core.audit_chain_of(p_customer_id uuid, p_partner_id text) IS 'The audit chain of an event: customer:ID, else partner:ID, else platform.';

CREATE TABLE core.audit_events (
    id bigint NOT NULL,
    occurred_at timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
    operation text NOT NULL,
    operator text NOT NULL,
    partner_id text,
    source text NOT NULL,
    entity text NOT NULL,
    entity_id text,
    subscription_id uuid,
    subscription_version bigint,
    customer_id uuid,
    changes jsonb DEFAULT '{}'::jsonb NOT NULL,
    outcome text NOT NULL,
    error_codes text[] DEFAULT '{}'::text[] NOT NULL,
    request_id text,
    batch_id text,
    comment text,
    login_role name DEFAULT SESSION_USER,
    offer_id text,
    chain_previous_id bigint,
    chain_hash bytea NOT NULL,
    CONSTRAINT check_audit_events_outcome CHECK ((outcome = ANY (ARRAY['succeeded'::text, 'rejected'::text]))),
    CONSTRAINT check_audit_events_rejection_has_codes CHECK (((outcome = 'rejected'::text) = (cardinality(error_codes) > 0))),
    CONSTRAINT check_audit_events_source CHECK ((source = ANY (ARRAY['cli'::text, 'batch'::text, 'sql'::text])))
);

COMMENT ON COLUMN core.audit_events.offer_id IS 'A subscription event: the subscription''s offer after the change (before it, for a deletion).';

COMMENT ON COLUMN core.audit_events.chain_previous_id IS 'The previous event of the event''s chain (NULL: the first).';

COMMENT ON COLUMN core.audit_events.chain_hash IS 'SHA-256 of the previous event''s chain_hash and the event (core.audit_event_digest).';

CREATE FUNCTION core.audit_event_digest(e core.audit_events, p_previous_id bigint, p_previous_hash bytea) RETURNS bytea
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    RETURN sha256(coalesce(p_previous_hash, ''::bytea) || convert_to(jsonb_build_array(
        e.id, p_previous_id, (extract(epoch FROM e.occurred_at) * 1000000)::bigint, e.operation, e.operator, e.partner_id,
        e.source, e.entity, e.entity_id, e.subscription_id, e.subscription_version, e.customer_id, e.changes, e.outcome,
        e.error_codes, e.request_id, e.batch_id, e.comment, e.offer_id, e.login_role)::text, 'UTF8'));
END $$;

COMMENT ON FUNCTION core.audit_event_digest(e core.audit_events, p_previous_id bigint, p_previous_hash bytea) IS 'The chain hash of an event appended after event p_previous_id (hash p_previous_hash): every column but the chain''s own.';

CREATE FUNCTION core.batch_actions() RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    RETURN ARRAY['upgrade'::text, 'add_licenses'::text, 'remove_licenses'::text, 'suspend'::text, 'reactivate'::text, 'cancel'::text, 'assign_license'::text, 'unassign_license'::text];

COMMENT ON FUNCTION core.batch_actions() IS 'The actions a batch file''s row may name.';

CREATE FUNCTION core.batch_id_pattern() RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    RETURN '^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$'::text;

COMMENT ON FUNCTION core.batch_id_pattern() IS 'Batch ids (a batch''s name, or the sha256 of its file).';

CREATE FUNCTION core.batch_row_statuses() RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    RETURN ARRAY['pending'::text, 'applied'::text, 'rejected'::text, 'already_applied'::text, 'dry_run'::text];

COMMENT ON FUNCTION core.batch_row_statuses() IS 'The statuses of a batch row.';

CREATE FUNCTION core.billing_cycles() RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    RETURN ARRAY['monthly'::text, 'annual'::text];

COMMENT ON FUNCTION core.billing_cycles() IS 'The billing cycles of offers and subscriptions.';

CREATE FUNCTION core.catalog_id_pattern() RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    RETURN '^[a-z][a-z0-9]*(-[a-z0-9]+)*$'::text;

COMMENT ON FUNCTION core.catalog_id_pattern() IS 'Service, service plan and offer ids: lower-case kebab-case.';

CREATE FUNCTION core.channels() RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    RETURN ARRAY['csp'::text, 'direct'::text, 'other-reseller'::text];

COMMENT ON FUNCTION core.channels() IS 'How a subscription was sold: csp (by a partner, its reseller of record), direct (by the platform), other-reseller.';

CREATE FUNCTION core.check_license_assignments() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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
    SELECT s.id, s.quantity, a.assigned INTO v_subscription, v_quantity, v_assigned
    FROM (SELECT DISTINCT n.subscription_id FROM new_rows n) n
    JOIN core.subscriptions s ON s.id = n.subscription_id
    CROSS JOIN LATERAL (SELECT count(*) AS assigned FROM core.license_assignments a
                        WHERE a.subscription_id = n.subscription_id) a
    WHERE a.assigned > s.quantity LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'SU026', CONSTRAINT = 'check_license_assignments_within_quantity',
            MESSAGE = format('check_license_assignments_within_quantity: subscription %s would hold %s assigned licenses, more than its quantity %s',
                             v_subscription, v_assigned, v_quantity);
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION core.check_subscriptions_quantity_covers_assignments() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

CREATE FUNCTION core.display_name_format_character(p_name text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT
    SET search_path TO 'pg_catalog', 'pg_temp'
    RETURN "substring"(p_name, '[\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f]'::text);

COMMENT ON FUNCTION core.display_name_format_character(p_name text) IS 'The first Unicode Cf (invisible formatting) character of a name, or NULL.';

CREATE FUNCTION core.display_name_max_length() RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    RETURN 200;

COMMENT ON FUNCTION core.display_name_max_length() IS 'The longest name of a customer, partner or offer (at least 1 character).';

CREATE FUNCTION core.display_name_trimmed(p_name text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT
    SET search_path TO 'pg_catalog', 'pg_temp'
    RETURN btrim(p_name, '                  　'::text);

COMMENT ON FUNCTION core.display_name_trimmed(p_name text) IS 'A name without its leading and trailing spaces (Unicode space separators included).';

CREATE FUNCTION core.display_name_problem(p_name text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT
    SET search_path TO 'pg_catalog', 'pg_temp'
    RETURN CASE WHEN (core.display_name_trimmed(p_name) = ''::text) THEN 'is empty'::text WHEN (core.display_name_trimmed(p_name) <> p_name) THEN 'has leading or trailing spaces'::text WHEN (length(p_name) > core.display_name_max_length()) THEN format('has %s characters, more than %s'::text, length(p_name), core.display_name_max_length()) WHEN (p_name ~ '[[:cntrl:]]'::text) THEN 'holds a control character'::text WHEN (core.display_name_format_character(p_name) IS NOT NULL) THEN format('holds the invisible formatting character U+%s (Unicode category Cf)'::text, upper(lpad(to_hex(ascii(core.display_name_format_character(p_name))), 4, '0'::text))) ELSE NULL::text END;

COMMENT ON FUNCTION core.display_name_problem(p_name text) IS 'NULL for a valid display name, else what is wrong with it (a sentence fragment).';

CREATE FUNCTION core.id_max_length() RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    RETURN 64;

COMMENT ON FUNCTION core.id_max_length() IS 'The longest service, service plan, offer or partner id.';

CREATE FUNCTION core.id_prefix_min_length() RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    RETURN 8;

COMMENT ON FUNCTION core.id_prefix_min_length() IS 'The shortest prefix of an id (subscription, batch) that the command line accepts and a table shows.';

CREATE FUNCTION core.partner_id_pattern() RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    RETURN '^[a-z0-9][a-z0-9._-]*$'::text;

COMMENT ON FUNCTION core.partner_id_pattern() IS 'Partner ids.';

CREATE FUNCTION core.quantity_max() RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    RETURN 2147483647;

COMMENT ON FUNCTION core.quantity_max() IS 'The largest license quantity (a quantity is a whole number from 1).';

CREATE FUNCTION core.relationship_statuses() RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    RETURN ARRAY['requested'::text, 'active'::text, 'removed'::text, 'expired'::text];

COMMENT ON FUNCTION core.relationship_statuses() IS 'The statuses of a delegated-admin relationship.';

CREATE FUNCTION core.request_id_max_length() RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    RETURN 200;

COMMENT ON FUNCTION core.request_id_max_length() IS 'The longest request id (idempotency key; at least 1 character).';

CREATE FUNCTION core.subscription_initial_statuses() RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    RETURN ARRAY['pending'::text, 'active'::text];

COMMENT ON FUNCTION core.subscription_initial_statuses() IS 'The statuses a subscription may be recorded in.';

CREATE FUNCTION core.subscription_statuses() RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    RETURN ARRAY['pending'::text, 'active'::text, 'suspended'::text, 'cancelled'::text];

COMMENT ON FUNCTION core.subscription_statuses() IS 'The statuses of a subscription (state machine: sql/40_operations).';

CREATE FUNCTION core.uuid_pattern() RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    RETURN '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'::text;

COMMENT ON FUNCTION core.uuid_pattern() IS 'A subscription or customer id as a command argument or a batch field: a UUID in its canonical 8-4-4-4-12 form.';

CREATE FUNCTION logic.acting_audit_partner() RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    RETURN CASE WHEN logic.setting('operation') IS NOT NULL AND logic.setting('operation_platform') = 'on' THEN NULL
                ELSE logic.acting_partner() END;
END $$;

CREATE FUNCTION logic.acting_batch() RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    RETURN CASE WHEN logic.acting_source() = 'batch' THEN logic.setting('batch_id') END;
END $$;

CREATE FUNCTION logic.acting_operator() RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    RETURN CASE WHEN logic.login_partner() IS NULL AND logic.login_is_owner()
                THEN coalesce(logic.setting('operator'), session_user::text)
                ELSE session_user::text END;
END $$;

CREATE FUNCTION logic.acting_partner() RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    RETURN coalesce(logic.login_partner(),
                    CASE WHEN logic.login_is_owner() THEN logic.setting('partner_id') END);
END $$;

COMMENT ON FUNCTION logic.acting_partner() IS 'The partner the session acts for, or NULL.';

CREATE FUNCTION logic.acting_source() RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    RETURN CASE WHEN logic.setting('operation') IS NULL THEN 'sql'
                ELSE coalesce(logic.setting('operation_source'), 'sql') END;
END $$;

CREATE FUNCTION logic.audit_chains(p_customer_ids uuid[], p_partner text, p_checkpoint jsonb) RETURNS TABLE(chain text, events bigint, head_event_id bigint, head_hash text, status text, first_broken_event_id bigint, problem text)
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    BEGIN ATOMIC
 WITH base AS (
          SELECT e.*::core.audit_events AS e
            FROM core.audit_events e
           WHERE ((audit_chains.p_customer_ids IS NULL) AND (audit_chains.p_partner IS NULL))
         UNION ALL
          SELECT e.*::core.audit_events AS e
            FROM core.audit_events e
           WHERE (e.customer_id = ANY (audit_chains.p_customer_ids))
         UNION ALL
          SELECT e.*::core.audit_events AS e
            FROM core.audit_events e
           WHERE ((e.customer_id IS NULL) AND (e.partner_id = audit_chains.p_partner))
         ), scoped AS MATERIALIZED (
          SELECT (b.e).id AS id,
             (b.e).chain_previous_id AS chain_previous_id,
             (b.e).chain_hash AS chain_hash,
             core.audit_chain_of((b.e).customer_id, (b.e).partner_id) AS chain,
                 CASE
                     WHEN (p.id IS NOT NULL) THEN core.audit_chain_of(p.customer_id, p.partner_id)
                     ELSE NULL::text
                 END AS previous_chain,
             ((b.e).chain_hash IS DISTINCT FROM core.audit_event_digest(b.e, (b.e).chain_previous_id, p.chain_hash)) AS unhashed,
             ((count(*) OVER (PARTITION BY (core.audit_chain_of((b.e).customer_id, (b.e).partner_id)), (b.e).chain_previous_id) > 1) AND ((b.e).id > min((b.e).id) OVER (PARTITION BY (core.audit_chain_of((b.e).customer_id, (b.e).partner_id)), (b.e).chain_previous_id))) AS forked
            FROM (base b
              LEFT JOIN core.audit_events p ON ((p.id = (b.e).chain_previous_id)))
         ), flagged AS (
          SELECT s.id,
             s.chain_previous_id,
             s.chain_hash,
             s.chain,
             s.previous_chain,
             s.unhashed,
             s.forked,
             (followed.chain_previous_id IS NULL) AS is_head,
                 CASE
                     WHEN ((s.chain_previous_id IS NOT NULL) AND (s.previous_chain IS NULL)) THEN format('event %s follows event %s, which is gone: events were removed'::text, s.id, s.chain_previous_id)
                     WHEN (s.previous_chain <> s.chain) THEN format('event %s follows event %s of another chain: it was moved'::text, s.id, s.chain_previous_id)
                     WHEN s.forked THEN format('event %s follows an event another event already follows: it was inserted'::text, s.id)
                     WHEN s.unhashed THEN format('event %s does not follow the chain: it or the event before it was changed'::text, s.id)
                     ELSE NULL::text
                 END AS problem
            FROM (scoped s
              LEFT JOIN ( SELECT DISTINCT n.chain_previous_id
                    FROM scoped n) followed ON ((followed.chain_previous_id = s.id)))
         ), chains AS (
          SELECT f.chain,
             count(*) AS events,
             max(f.id) FILTER (WHERE f.is_head) AS head_event_id,
             (array_agg(encode(f.chain_hash, 'hex'::text) ORDER BY f.id DESC) FILTER (WHERE f.is_head))[1] AS head_hash,
             (array_agg(f.id ORDER BY f.id) FILTER (WHERE (f.problem IS NOT NULL)))[1] AS first_broken_event_id,
             (array_agg(f.problem ORDER BY f.id) FILTER (WHERE (f.problem IS NOT NULL)))[1] AS problem
            FROM flagged f
           GROUP BY f.chain
         ), kept AS (
          SELECT (k_1.value ->> 'chain'::text) AS chain,
             ((k_1.value ->> 'head_event_id'::text))::bigint AS head_event_id,
             (k_1.value ->> 'head_hash'::text) AS head_hash
            FROM jsonb_array_elements(COALESCE(audit_chains.p_checkpoint, '[]'::jsonb)) k_1(value)
         ), checked AS (
          SELECT k_1.chain,
             k_1.head_event_id,
                 CASE
                     WHEN (s.id IS NULL) THEN format('event %s, the head of this chain in the checkpoint, is gone: events were removed'::text, k_1.head_event_id)
                     WHEN (encode(s.chain_hash, 'hex'::text) <> k_1.head_hash) THEN format('event %s no longer has the hash of the checkpoint: the chain was rewritten'::text, k_1.head_event_id)
                     ELSE NULL::text
                 END AS problem
            FROM (kept k_1
              LEFT JOIN scoped s ON (((s.chain = k_1.chain) AND (s.id = k_1.head_event_id))))
         )
  SELECT COALESCE(c.chain, k.chain) AS "coalesce",
     COALESCE(c.events, (0)::bigint) AS "coalesce",
     c.head_event_id,
     c.head_hash,
         CASE
             WHEN ((c.first_broken_event_id IS NULL) AND (k.problem IS NULL)) THEN 'ok'::text
             ELSE 'broken'::text
         END AS "case",
     COALESCE(c.first_broken_event_id,
         CASE
             WHEN (k.problem IS NOT NULL) THEN k.head_event_id
             ELSE NULL::bigint
         END) AS "coalesce",
     COALESCE(c.problem, k.problem) AS "coalesce"
    FROM (chains c
      FULL JOIN checked k ON ((k.chain = c.chain)))
   ORDER BY
         CASE
             WHEN ((c.first_broken_event_id IS NULL) AND (k.problem IS NULL)) THEN 'ok'::text
             ELSE 'broken'::text
         END, COALESCE(c.chain, k.chain);
END;

CREATE FUNCTION logic.audit_event_of(p_table text, p_op text, p_old jsonb, p_new jsonb, p_who jsonb) RETURNS TABLE(operation text, operator text, partner_id text, source text, entity text, entity_id text, subscription_id uuid, subscription_version bigint, customer_id uuid, changes jsonb, outcome text, request_id text, batch_id text, comment text, offer_id text)
    LANGUAGE plpgsql IMMUTABLE ROWS 1
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

CREATE FUNCTION logic.customer_visible(p_partner text, p_customer_id uuid) RETURNS boolean
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    RETURN EXISTS (SELECT 1 FROM core.partner_customers WHERE partner_id = p_partner AND customer_id = p_customer_id);
END $$;

CREATE FUNCTION logic.operation_entity(p_operation text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

CREATE FUNCTION logic.setting(p_name text) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    RETURN nullif(current_setting('subctl.' || p_name, true), '');
END $$;

CREATE TABLE core.customers (
    id uuid NOT NULL,
    name text NOT NULL,
    domain text,
    created_by_partner_id text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT check_customers_domain_format CHECK (((domain ~ '^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$'::text) AND (length(domain) <= 253))),
    CONSTRAINT check_customers_name_length CHECK (((length(name) >= 1) AND (length(name) <= core.display_name_max_length()) AND (name !~ '[[:cntrl:]]'::text)))
);

CREATE TABLE core.offers (
    id text NOT NULL,
    service_id text NOT NULL,
    name text NOT NULL,
    min_quantity integer DEFAULT 1 NOT NULL,
    max_quantity integer NOT NULL,
    is_add_on boolean DEFAULT false NOT NULL,
    retired boolean DEFAULT false NOT NULL,
    CONSTRAINT check_offers_id_format CHECK (((id ~ core.catalog_id_pattern()) AND (length(id) <= core.id_max_length()))),
    CONSTRAINT check_offers_min_quantity CHECK ((min_quantity >= 1)),
    CONSTRAINT check_offers_name_length CHECK (((length(name) >= 1) AND (length(name) <= core.display_name_max_length()))),
    CONSTRAINT check_offers_quantity_range CHECK ((max_quantity >= min_quantity))
);

CREATE TABLE core.subscriptions (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    customer_id uuid NOT NULL,
    offer_id text NOT NULL,
    quantity integer NOT NULL,
    billing_cycle text NOT NULL,
    status text DEFAULT 'active'::text NOT NULL,
    status_reason text,
    channel text NOT NULL,
    partner_id text,
    recorded_by_partner_id text,
    parent_subscription_id uuid,
    upgraded_to_subscription_id uuid,
    upgraded_from_subscription_id uuid,
    version bigint DEFAULT 1 NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT check_subscriptions_billing_cycle CHECK ((billing_cycle = ANY (core.billing_cycles()))),
    CONSTRAINT check_subscriptions_channel CHECK ((channel = ANY (core.channels()))),
    CONSTRAINT check_subscriptions_csp_has_reseller CHECK (((channel = 'csp'::text) = (partner_id IS NOT NULL))),
    CONSTRAINT check_subscriptions_not_own_parent CHECK ((parent_subscription_id <> id)),
    CONSTRAINT check_subscriptions_quantity CHECK ((quantity >= 1)),
    CONSTRAINT check_subscriptions_status CHECK ((status = ANY (core.subscription_statuses()))),
    CONSTRAINT check_subscriptions_status_reason CHECK (((status_reason IS NULL) OR ((status = ANY (ARRAY['suspended'::text, 'cancelled'::text])) AND (status_reason = ANY (ARRAY['upgraded'::text, 'operator'::text, 'parent_cancelled'::text]))))),
    CONSTRAINT check_subscriptions_upgraded_is_suspended CHECK (((upgraded_to_subscription_id IS NULL) OR ((status = ANY (ARRAY['suspended'::text, 'cancelled'::text])) AND (status_reason IS NOT NULL)))),
    CONSTRAINT check_subscriptions_version CHECK ((version >= 1))
);

CREATE FUNCTION logic.audit_requests(p_operation text, p_requests jsonb) RETURNS void
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'pg_temp'
    BEGIN ATOMIC
 INSERT INTO core.audit_events (operation, operator, partner_id, source, entity, entity_id, subscription_id, customer_id, offer_id, changes, outcome, error_codes, request_id, batch_id, comment)  SELECT audit_requests.p_operation AS p_operation,
             who.operator,
             who.partner_id,
             who.source,
             who.entity,
                 CASE who.entity
                     WHEN 'subscriptions'::text THEN (r.subscription_id)::text
                     WHEN 'customers'::text THEN (r.parameters ->> 'id'::text)
                     WHEN 'partners'::text THEN (r.parameters ->> 'id'::text)
                     WHEN 'partner_logins'::text THEN (r.parameters ->> 'login_role'::text)
                     WHEN 'partner_customers'::text THEN (r.parameters ->> 'partner_id'::text)
                     ELSE NULL::text
                 END AS "case",
             r.subscription_id,
             COALESCE(s.customer_id, c.id) AS "coalesce",
             COALESCE(s.offer_id, o.id) AS "coalesce",
                 CASE
                     WHEN (jsonb_array_length(r.error_codes) > 0) THEN jsonb_build_object('requested', r.parameters)
                     ELSE '{}'::jsonb
                 END AS "case",
                 CASE
                     WHEN (jsonb_array_length(r.error_codes) > 0) THEN 'rejected'::text
                     ELSE 'succeeded'::text
                 END AS "case",
             ARRAY( SELECT jsonb_array_elements_text(r.error_codes) AS jsonb_array_elements_text) AS "array",
             r.request_id,
             who.batch_id,
             who.comment
            FROM ((((( SELECT logic.acting_operator() AS operator,
                     logic.acting_audit_partner() AS partner_id,
                     logic.acting_partner() AS visible_to,
                     logic.operation_entity(audit_requests.p_operation) AS entity,
                     logic.acting_source() AS source,
                     logic.acting_batch() AS batch_id,
                     logic.setting('comment'::text) AS comment
                  OFFSET 0) who
              CROSS JOIN ( SELECT x.ord,
                     (x.e -> 'parameters'::text) AS parameters,
                     (x.e -> 'error_codes'::text) AS error_codes,
                     (x.e ->> 'request_id'::text) AS request_id,
                     (((x.e -> 'parameters'::text) ->> 'subscription_id'::text))::uuid AS subscription_id,
                     (COALESCE(((x.e -> 'parameters'::text) ->> 'customer_id'::text),
                         CASE
                             WHEN (audit_requests.p_operation = 'add_customer'::text) THEN ((x.e -> 'parameters'::text) ->> 'id'::text)
                             ELSE NULL::text
                         END))::uuid AS customer_id
                    FROM jsonb_array_elements(audit_requests.p_requests) WITH ORDINALITY x(e, ord)) r)
              LEFT JOIN core.subscriptions s ON (((s.id = r.subscription_id) AND logic.customer_visible(who.visible_to, s.customer_id))))
              LEFT JOIN core.customers c ON (((c.id = r.customer_id) AND ((who.partner_id IS NULL) OR logic.customer_visible(who.visible_to, c.id)))))
              LEFT JOIN core.offers o ON (((o.id = (r.parameters ->> 'offer_id'::text)) AND (r.subscription_id IS NULL) AND (c.id IS NOT NULL) AND (who.entity = 'subscriptions'::text))))
           ORDER BY r.ord;
END;

CREATE FUNCTION logic.audit_rejection(p_operation text, p_codes text[], p_parameters jsonb, p_request_id text) RETURNS void
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'pg_temp'
    BEGIN ATOMIC
 SELECT logic.audit_requests(p_operation, jsonb_build_array(jsonb_build_object('error_codes', to_jsonb(p_codes), 'parameters', p_parameters, 'request_id', p_request_id))) AS audit_requests;
END;

CREATE FUNCTION logic.audit_rejections(p_operation text, p_rejections jsonb) RETURNS void
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'pg_temp'
    BEGIN ATOMIC
 SELECT logic.audit_requests(p_operation, p_rejections) AS audit_requests;
END;

CREATE FUNCTION logic.audit_row_changes() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

CREATE FUNCTION logic.audit_unrecorded_changes(p_customer_ids uuid[], p_partner text) RETURNS TABLE(subscription_id uuid, customer_id uuid, field text, problem text)
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    BEGIN ATOMIC
 SELECT s.id,
     s.customer_id,
     d.field,
         CASE
             WHEN ((audit_unrecorded_changes.p_partner IS NOT NULL) AND (d.field = ANY (ARRAY['partner_id'::text, 'recorded_by_partner_id'::text]))) THEN format('subscription %s: %s is not what its audit trail says: changed without an audit event'::text, s.id, d.field)
             ELSE format('subscription %s: %s is %s but its audit trail says %s: changed without an audit event'::text, s.id, d.field, d.now, COALESCE((d.recorded)::text, 'nothing'::text))
         END AS format
    FROM (core.subscriptions s
      CROSS JOIN LATERAL ( SELECT l.key AS field,
             COALESCE((to_jsonb(s.*) -> l.key), 'null'::jsonb) AS now,
             l.value AS recorded
            FROM ( SELECT DISTINCT ON (c.key) c.key,
                     (c.value -> 1) AS value
                    FROM core.audit_events a,
                     LATERAL jsonb_each(a.changes) c(key, value)
                   WHERE ((a.subscription_id = s.id) AND (a.customer_id = s.customer_id) AND (a.outcome = 'succeeded'::text) AND (a.entity = 'subscriptions'::text))
                   ORDER BY c.key, a.id DESC) l
         UNION ALL
          SELECT 'version'::text,
             to_jsonb(s.version) AS to_jsonb,
             to_jsonb(max(a.subscription_version)) AS to_jsonb
            FROM core.audit_events a
           WHERE ((a.subscription_id = s.id) AND (a.customer_id = s.customer_id) AND (a.outcome = 'succeeded'::text) AND (a.entity = 'subscriptions'::text))) d)
   WHERE (((audit_unrecorded_changes.p_customer_ids IS NULL) OR (s.customer_id = ANY (audit_unrecorded_changes.p_customer_ids))) AND (d.now IS DISTINCT FROM d.recorded))
   ORDER BY s.customer_id, s.id, d.field;
END;

CREATE TABLE core.batch_rows (
    partner_id text NOT NULL,
    batch_id text NOT NULL,
    line bigint NOT NULL,
    action text NOT NULL,
    subscription_id uuid NOT NULL,
    target_offer text,
    quantity integer,
    request_id text NOT NULL,
    status text DEFAULT 'pending'::text NOT NULL,
    error_codes text[] DEFAULT '{}'::text[] NOT NULL,
    new_subscription_id uuid,
    processed_at timestamp with time zone,
    errors jsonb,
    license_user text,
    into_subscription_id uuid,
    CONSTRAINT check_batch_rows_action CHECK ((action = ANY (core.batch_actions()))),
    CONSTRAINT check_batch_rows_errors_array CHECK (((errors IS NULL) OR (jsonb_typeof(errors) = 'array'::text))),
    CONSTRAINT check_batch_rows_into CHECK (((into_subscription_id IS NULL) OR (action = 'upgrade'::text))),
    CONSTRAINT check_batch_rows_license_user CHECK (((license_user IS NOT NULL) = (action = ANY (ARRAY['assign_license'::text, 'unassign_license'::text])))),
    CONSTRAINT check_batch_rows_line CHECK ((line >= 2)),
    CONSTRAINT check_batch_rows_quantity CHECK ((quantity >= 1)),
    CONSTRAINT check_batch_rows_rejection_has_codes CHECK (((status = 'rejected'::text) = (cardinality(error_codes) > 0))),
    CONSTRAINT check_batch_rows_request_id_length CHECK (((length(request_id) >= 1) AND (length(request_id) <= core.request_id_max_length()))),
    CONSTRAINT check_batch_rows_status CHECK ((status = ANY (core.batch_row_statuses())))
);

COMMENT ON TABLE core.batch_rows IS 'One row per data line of a batch file (line numbers of the file, header = line 1) and its outcome.';

COMMENT ON COLUMN core.batch_rows.errors IS 'The error objects of the row''s outcome ({code, description, details, next_step}, [] when none); NULL before migration 014.';

COMMENT ON COLUMN core.batch_rows.license_user IS 'The user of an assign_license or unassign_license row (its id or user principal name, as the file names it).';

COMMENT ON COLUMN core.batch_rows.into_subscription_id IS 'The existing subscription an upgrade row upgrades into (the file''s column into); NULL: a new target subscription.';

CREATE FUNCTION logic.batch_apply_row(p_partner text, r core.batch_rows, p_dry_run boolean, p_comment text DEFAULT NULL::text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

CREATE FUNCTION logic.batch_apply_set(p_partner text, p_action text, p_rows core.batch_rows[], p_dry_run boolean, p_comment text DEFAULT NULL::text) RETURNS TABLE(line bigint, result jsonb)
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

CREATE FUNCTION logic.batch_apply_waves(p_partner text, p_batch_id text, p_from_line bigint, p_to_line bigint, p_dry_run boolean, p_comment text DEFAULT NULL::text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

CREATE FUNCTION logic.batch_counts(p_partner text, p_batch_id text, p_from bigint DEFAULT 2, p_to bigint DEFAULT '9223372036854775807'::bigint) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    RETURN (SELECT (SELECT jsonb_object_agg(s, 0) FROM unnest(core.batch_row_statuses()) s)
               || coalesce(jsonb_object_agg(c.status, c.rows), '{}')
        FROM (SELECT status, count(*) AS rows FROM core.batch_rows
              WHERE partner_id = p_partner AND batch_id = p_batch_id AND line BETWEEN p_from AND p_to
              GROUP BY status) c);
END $$;

CREATE FUNCTION logic.batch_file_errors(p_batch_id text) RETURNS TABLE(line bigint, column_number integer, column_name text, value text, message text)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

CREATE FUNCTION logic.batch_header() RETURNS text[]
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    RETURN ARRAY['action', 'subscription_id', 'target_offer', 'quantity', 'request_id'];
END $$;

CREATE FUNCTION logic.batch_header_text() RETURNS text
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    RETURN array_to_string(logic.batch_header(), ',') || ', optionally followed by '
           || array_to_string(ARRAY(SELECT ',' || c FROM unnest(logic.batch_optional_columns()) c), ' and ')
           || ' (in that order)';
END $$;

CREATE FUNCTION logic.batch_header_valid(p_fields text[]) RETURNS boolean
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    RETURN coalesce(p_fields[1:5] = logic.batch_header()
                    AND p_fields[6:] = ARRAY(SELECT c FROM unnest(logic.batch_optional_columns()) WITH ORDINALITY AS o (c, n)
                                             WHERE c = ANY (p_fields[6:]) ORDER BY n)
                    AND cardinality(p_fields[6:]) = cardinality(ARRAY(SELECT DISTINCT unnest(p_fields[6:]))), false);
END $$;

CREATE FUNCTION logic.batch_line_fields(p_line bigint, p_raw text) RETURNS text[]
    LANGUAGE plpgsql IMMUTABLE STRICT
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
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
END $_$;

CREATE FUNCTION logic.batch_optional_columns() RETURNS text[]
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    RETURN ARRAY['user', 'into'];
END $$;

CREATE FUNCTION logic.batch_record_results(p_partner text, p_batch_id text, p_lines bigint[], p_results jsonb[], p_dry_run boolean) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

CREATE FUNCTION logic.batch_reject_row(r core.batch_rows, p_sqlstate text, p_dry_run boolean, p_comment text DEFAULT NULL::text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

CREATE FUNCTION logic.batch_row_errors(p_codes text[], p_details jsonb DEFAULT '{}'::jsonb) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    RETURN (SELECT coalesce(jsonb_agg(jsonb_build_object(
                   'code', c.code,
                   'description', coalesce(e.description, format('The row broke a rule of the database (SQLSTATE %s).',
                                                                 coalesce(p_details ->> 'sqlstate', substr(c.code, 10)))),
                   'details', p_details, 'next_step', NULL) ORDER BY c.ord), '[]')
        FROM unnest(p_codes) WITH ORDINALITY AS c (code, ord)
        LEFT JOIN core.error_codes e ON e.code = c.code);
END $$;

CREATE FUNCTION logic.batch_row_parameters(r core.batch_rows) RETURNS jsonb
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    RETURN CASE WHEN r.license_user IS NOT NULL  -- assign_license / unassign_license, as api.license_change
                THEN jsonb_build_object('subscription_id', r.subscription_id, 'users', jsonb_build_array(r.license_user))
                ELSE jsonb_strip_nulls(jsonb_build_object('subscription_id', r.subscription_id,
                                                          'target_offer', r.target_offer, 'quantity', r.quantity,
                                                          'into_subscription_id', r.into_subscription_id)) END;
END $$;

CREATE FUNCTION logic.batch_row_status(p_codes text[], p_known boolean, p_dry_run boolean) RETURNS text
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    RETURN CASE WHEN cardinality(p_codes) > 0 THEN 'rejected' WHEN p_known THEN 'already_applied'
                WHEN p_dry_run THEN 'dry_run' ELSE 'applied' END;
END $$;

CREATE FUNCTION logic.batch_set_actions() RETURNS text[]
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    RETURN ARRAY['upgrade', 'add_licenses', 'remove_licenses', 'assign_license', 'unassign_license',
                 'suspend', 'reactivate', 'cancel'];
END $$;

CREATE FUNCTION logic.batch_set_wave(p_partner text, p_action text, p_rows core.batch_rows[], p_comment text DEFAULT NULL::text) RETURNS TABLE(line bigint, result jsonb)
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
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
END $_$;

CREATE TABLE core.batches (
    partner_id text NOT NULL,
    id text NOT NULL,
    content_sha256 text NOT NULL,
    file_name text NOT NULL,
    rows_total bigint NOT NULL,
    created_by text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    runs integer DEFAULT 1 NOT NULL,
    last_run_started_at timestamp with time zone DEFAULT now() NOT NULL,
    last_run_finished_at timestamp with time zone,
    finished_at timestamp with time zone,
    CONSTRAINT check_batches_content_sha256 CHECK ((content_sha256 ~ '^[0-9a-f]{64}$'::text)),
    CONSTRAINT check_batches_id_format CHECK ((id ~ core.batch_id_pattern())),
    CONSTRAINT check_batches_rows_total CHECK ((rows_total >= 0)),
    CONSTRAINT check_batches_runs CHECK ((runs >= 1))
);

COMMENT ON TABLE core.batches IS 'CSV batch jobs of a partner: id = sha256 of the file unless named; re-running the file resumes it.';

CREATE FUNCTION logic.batch_summary(b core.batches) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    RETURN jsonb_build_object(
        'id', b.id, 'file', b.file_name, 'content_sha256', b.content_sha256, 'rows', b.rows_total,
        'runs', b.runs, 'created_by', b.created_by, 'created_at', b.created_at,
        'last_run_started_at', b.last_run_started_at, 'last_run_finished_at', b.last_run_finished_at,
        'last_run_seconds', round(extract(epoch FROM b.last_run_finished_at - b.last_run_started_at)::numeric, 3),
        'finished_at', b.finished_at) || logic.batch_counts(b.partner_id, b.id);
END $$;

CREATE FUNCTION logic.begin_operation(p_operation text, p_request_id text DEFAULT NULL::text, p_comment text DEFAULT NULL::text, p_batch_id text DEFAULT NULL::text, p_platform boolean DEFAULT false) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

CREATE FUNCTION logic.bump_subscriptions_version() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

CREATE FUNCTION logic.by_relationship_now(p_relationship_expires_at timestamp with time zone, p_related anyelement, p_unrelated anyelement) RETURNS anyelement
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    RETURN CASE WHEN p_relationship_expires_at > statement_timestamp() THEN p_related ELSE p_unrelated END;
END $$;

CREATE FUNCTION logic.quantity_text_valid(p_value text) RETURNS boolean
    LANGUAGE plpgsql IMMUTABLE STRICT
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
BEGIN
    RETURN CASE WHEN p_value ~ ('^[0-9]{1,' || length(core.quantity_max()::text) || '}$')
                THEN p_value::bigint BETWEEN 1 AND core.quantity_max() ELSE false END;
END $_$;

CREATE FUNCTION logic.catalog_problems(c jsonb) RETURNS SETOF text
    LANGUAGE sql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    BEGIN ATOMIC
 WITH RECURSIVE services AS (
          SELECT (s.value ->> 'id'::text) AS id,
             s.value AS s
            FROM jsonb_array_elements(COALESCE((catalog_problems.c -> 'services'::text), '[]'::jsonb)) s(value)
         ), plans AS (
          SELECT s.id AS service_id,
             (p.value #>> '{}'::text[]) AS id
            FROM services s,
             LATERAL jsonb_array_elements(COALESCE((s.s -> 'plans'::text), '[]'::jsonb)) p(value)
         ), offers AS (
          SELECT (o.value ->> 'id'::text) AS id,
             o.value AS o
            FROM jsonb_array_elements(COALESCE((catalog_problems.c -> 'offers'::text), '[]'::jsonb)) o(value)
         ), paths AS (
          SELECT o.id AS source,
             (t.value #>> '{}'::text[]) AS target
            FROM offers o,
             LATERAL jsonb_array_elements(COALESCE((o.o -> 'upgrades_to'::text), '[]'::jsonb)) t(value)
         ), closure(source, target, trail) AS (
          SELECT paths.source,
             paths.target,
             ARRAY[paths.source, paths.target] AS "array"
            FROM paths
         UNION ALL
          SELECT c.source,
             p.target,
             (c.trail || p.target)
            FROM (closure c
              JOIN paths p ON ((p.source = c.target)))
           WHERE (NOT (p.target = ANY (c.trail[2:])))
         )
  SELECT 'catalog has no offers'::text
   WHERE (NOT (EXISTS ( SELECT 1
            FROM offers)))
 UNION ALL
  SELECT format('service %s: duplicate id'::text, services.id) AS format
    FROM services
   GROUP BY services.id
  HAVING (count(*) > 1)
 UNION ALL
  SELECT format('offer %s: duplicate id'::text, offers.id) AS format
    FROM offers
   GROUP BY offers.id
  HAVING (count(*) > 1)
 UNION ALL
  SELECT format('service %s: id must be lower-case kebab-case'::text, COALESCE(services.id, '(missing)'::text)) AS format
    FROM services
   WHERE ((services.id IS NULL) OR (services.id !~ core.catalog_id_pattern()))
 UNION ALL
  SELECT format('offer %s: id must be lower-case kebab-case'::text, COALESCE(offers.id, '(missing)'::text)) AS format
    FROM offers
   WHERE ((offers.id IS NULL) OR (offers.id !~ core.catalog_id_pattern()))
 UNION ALL
  SELECT format('offer %s: name must have 1 to %s characters'::text, offers.id, core.display_name_max_length()) AS format
    FROM offers
   WHERE ((length(COALESCE((offers.o ->> 'name'::text), ''::text)) < 1) OR (length(COALESCE((offers.o ->> 'name'::text), ''::text)) > core.display_name_max_length()))
 UNION ALL
  SELECT format('offer %s: unknown service %s'::text, offers.id, COALESCE((offers.o ->> 'service'::text), '(missing)'::text)) AS format
    FROM offers
   WHERE (NOT (EXISTS ( SELECT 1
            FROM services s
           WHERE (s.id = (offers.o ->> 'service'::text)))))
 UNION ALL
  SELECT format('offer %s: unknown service plan %s'::text, o.id, (p.value #>> '{}'::text[])) AS format
    FROM offers o,
     LATERAL jsonb_array_elements(COALESCE((o.o -> 'plans'::text), '[]'::jsonb)) p(value)
   WHERE (NOT (EXISTS ( SELECT 1
            FROM plans
           WHERE ((plans.id = (p.value #>> '{}'::text[])) AND (plans.service_id = (o.o ->> 'service'::text))))))
 UNION ALL
  SELECT format('offer %s: unknown billing cycle %s'::text, o.id, (b.value #>> '{}'::text[])) AS format
    FROM offers o,
     LATERAL jsonb_array_elements(COALESCE((o.o -> 'billing_cycles'::text), '[]'::jsonb)) b(value)
   WHERE ((b.value #>> '{}'::text[]) <> ALL (core.billing_cycles()))
 UNION ALL
  SELECT format('offer %s: needs at least one billing cycle'::text, offers.id) AS format
    FROM offers
   WHERE (jsonb_array_length(COALESCE((offers.o -> 'billing_cycles'::text), '[]'::jsonb)) = 0)
 UNION ALL
  SELECT format('offer %s: min and max must be whole numbers with 1 <= min <= max <= %s (min %s, max %s)'::text, offers.id, core.quantity_max(), COALESCE((offers.o ->> 'min'::text), '1'::text), COALESCE((offers.o ->> 'max'::text), '(missing)'::text)) AS format
    FROM offers
   WHERE ((NOT logic.quantity_text_valid(COALESCE((offers.o ->> 'min'::text), '1'::text))) OR (NOT logic.quantity_text_valid(COALESCE((offers.o ->> 'max'::text), ''::text))) OR (((offers.o ->> 'max'::text))::bigint < (COALESCE((offers.o ->> 'min'::text), '1'::text))::bigint))
 UNION ALL
  SELECT format('offer %s: add-on to unknown offer %s'::text, o.id, (a.value #>> '{}'::text[])) AS format
    FROM offers o,
     LATERAL jsonb_array_elements(COALESCE((o.o -> 'add_on_to'::text), '[]'::jsonb)) a(value)
   WHERE (NOT (EXISTS ( SELECT 1
            FROM offers p
           WHERE ((p.id = (a.value #>> '{}'::text[])) AND ((p.o -> 'add_on_to'::text) IS NULL)))))
 UNION ALL
  SELECT format('offer %s: upgrade path to unknown offer %s'::text, paths.source, paths.target) AS format
    FROM paths
   WHERE (NOT (EXISTS ( SELECT 1
            FROM offers
           WHERE (offers.id = paths.target))))
 UNION ALL
  SELECT format('offer %s: upgrade path to itself'::text, paths.source) AS format
    FROM paths
   WHERE (paths.source = paths.target)
 UNION ALL
  SELECT format('offer %s: upgrade path %s -> %s involves an add-on'::text, p.source, p.source, p.target) AS format
    FROM paths p
   WHERE (EXISTS ( SELECT 1
            FROM offers o
           WHERE ((o.id = ANY (ARRAY[p.source, p.target])) AND ((o.o -> 'add_on_to'::text) IS NOT NULL))))
 UNION ALL
  SELECT format('offer %s: upgrade path %s -> %s crosses services'::text, p.source, p.source, p.target) AS format
    FROM ((paths p
      JOIN offers s ON ((s.id = p.source)))
      JOIN offers t ON ((t.id = p.target)))
   WHERE ((s.o ->> 'service'::text) <> (t.o ->> 'service'::text))
 UNION ALL
  SELECT DISTINCT format('offer %s: upgrade paths form a cycle'::text, closure.source) AS format
    FROM closure
   WHERE ((closure.source = closure.target) AND (closure.source <> closure.trail[2]));
END;

CREATE FUNCTION logic.chain_audit_event() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

CREATE FUNCTION logic.check_offers_add_on_not_in_paths() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    IF NEW.is_add_on AND EXISTS (SELECT 1 FROM core.upgrade_paths
                                 WHERE NEW.id IN (source_offer_id, target_offer_id)) THEN
        RAISE EXCEPTION USING ERRCODE = 'SU061', CONSTRAINT = 'check_upgrade_paths_no_add_ons',
            MESSAGE = format('check_upgrade_paths_no_add_ons: offer %s is on an upgrade path', NEW.id);
    END IF;
    RETURN NEW;
END $$;

CREATE FUNCTION logic.check_subscriptions_add_on_parent() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

CREATE FUNCTION logic.check_subscriptions_quantity_in_offer_range() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

CREATE FUNCTION logic.check_upgrade_paths_shape() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

CREATE FUNCTION logic.comment_max_length() RETURNS integer
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    RETURN 500;
END $$;

CREATE FUNCTION logic.create_statement_triggers(p_table text, p_prefix text, p_function regproc) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    EXECUTE format('CREATE OR REPLACE TRIGGER %I AFTER INSERT ON core.%I REFERENCING NEW TABLE AS new_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION %s()', p_prefix || '_inserts', p_table, p_function);
    EXECUTE format('CREATE OR REPLACE TRIGGER %I AFTER UPDATE ON core.%I REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION %s()', p_prefix || '_updates', p_table, p_function);
    EXECUTE format('CREATE OR REPLACE TRIGGER %I AFTER DELETE ON core.%I REFERENCING OLD TABLE AS old_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION %s()', p_prefix || '_deletes', p_table, p_function);
END $$;

CREATE FUNCTION logic.customer_ids_of(p_subscriptions core.subscriptions[]) RETURNS uuid[]
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    RETURN (SELECT array_agg(x.customer_id) FROM unnest(p_subscriptions) x);
END $$;

CREATE FUNCTION logic.describe_errors(p_codes text[], p_details jsonb DEFAULT '{}'::jsonb, p_request jsonb DEFAULT '{}'::jsonb) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET plan_cache_mode TO 'force_generic_plan'
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    -- One statement for every code (a listing asks for a few per target), planned once
    -- per session: each code's guidance of its case (the details' status or change) if
    -- any, else its general one.
    RETURN (SELECT coalesce(jsonb_agg(jsonb_build_object(
                       'code', c.code,
                       'description', coalesce(logic.fill_template(g.description, v.vals), e.description),
                       'details', coalesce(p_details -> c.code, '{}'),
                       'next_step', logic.fill_template(g.next_step, v.vals)) ORDER BY c.ord), '[]')
            FROM unnest(p_codes) WITH ORDINALITY AS c (code, ord)
            CROSS JOIN LATERAL (SELECT coalesce(p_request, '{}'::jsonb) || coalesce(p_details -> c.code, '{}'::jsonb) AS vals) v
            LEFT JOIN core.error_codes e ON e.code = c.code
            LEFT JOIN LATERAL (
                SELECT x.description, x.next_step FROM core.error_guidance x
                WHERE x.code = c.code  -- (guidance only of a known code: its foreign key)
                  AND x."case" IN ('', coalesce(p_details -> c.code ->> 'status', p_details -> c.code ->> 'change', ''))
                ORDER BY x."case" DESC LIMIT 1) g ON true);
END $$;

CREATE FUNCTION logic.dispatch_operation(p_partner text, p_operation text, p jsonb) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    RETURN CASE p_operation
        WHEN 'upgrade' THEN logic.op_upgrade(p_partner, p)
        WHEN 'add_licenses' THEN logic.op_change_licenses(p_partner, p, 1)
        WHEN 'remove_licenses' THEN logic.op_change_licenses(p_partner, p, -1)
        WHEN 'activate' THEN logic.op_set_status(p_partner, p, p_operation)
        WHEN 'suspend' THEN logic.op_set_status(p_partner, p, p_operation)
        WHEN 'reactivate' THEN logic.op_set_status(p_partner, p, p_operation)
        WHEN 'cancel' THEN logic.op_set_status(p_partner, p, p_operation)
        WHEN 'add_subscription' THEN logic.op_add_subscription(p_partner, p)
        WHEN 'add_customer' THEN logic.op_add_customer(p_partner, p)
        WHEN 'request_relationship' THEN logic.op_relationship(p_partner, p, 'request')
        WHEN 'accept_relationship' THEN logic.op_relationship(p_partner, p, 'accept')
        WHEN 'remove_relationship' THEN logic.op_relationship(p_partner, p, 'remove')
        WHEN 'add_user' THEN logic.op_add_user(p_partner, p)
        WHEN 'assign_license' THEN logic.op_license_assignment(p_partner, p, 'assign')
        WHEN 'unassign_license' THEN logic.op_license_assignment(p_partner, p, 'unassign')
    END;
END $$;

CREATE FUNCTION logic.drop_temp_table(p_name text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    IF to_regclass('pg_temp.' || p_name) IS NOT NULL THEN  -- DROP ... IF EXISTS would send a notice
        EXECUTE format('DROP TABLE pg_temp.%I', p_name);
    END IF;
END $$;

CREATE FUNCTION logic.error_bit(p_sqlstate text) RETURNS bigint
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    RETURN CASE WHEN substr(p_sqlstate, 3)::int < 63 THEN 1::bigint << substr(p_sqlstate, 3)::int END;
END $$;

CREATE FUNCTION logic.error_codes_of(p_mask bigint) RETURNS text[]
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT ARRAY(SELECT e.code FROM core.error_codes e WHERE p_mask & logic.error_bit(e.sqlstate) <> 0 ORDER BY e.sqlstate)
$$;

CREATE FUNCTION logic.error_mask(p_codes text[]) RETURNS bigint
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    RETURN (SELECT coalesce(bit_or(logic.error_bit(e.sqlstate)), 0) FROM core.error_codes e WHERE e.code = ANY (p_codes));
END $$;

CREATE FUNCTION logic.error_objects(p_partner text, p_codes text[], p_request jsonb, p_source core.subscriptions DEFAULT NULL::core.subscriptions) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_read boolean := p_source.id IS NOT NULL AND coalesce(p_source.id = (p_request ->> 'subscription_id')::uuid, false);
    s core.subscriptions := CASE WHEN v_read THEN p_source END;
    i core.subscriptions;  -- the subscription an upgrade goes into (upgrade --into)
    v_request jsonb := coalesce(p_request, '{}'::jsonb);
    v_target text := v_request ->> 'target_offer';
    v_offer text;
    v_customer uuid;
    v_code text;
    d jsonb;
    v_details jsonb := '{}'::jsonb;
BEGIN
    IF coalesce(cardinality(p_codes), 0) = 0 THEN  -- an eligible target, a succeeded operation
        RETURN '[]'::jsonb;
    END IF;
    IF s.id IS NULL AND v_request ? 'subscription_id' THEN
        SELECT * INTO s FROM core.subscriptions WHERE id = (v_request ->> 'subscription_id')::uuid;
    END IF;
    v_customer := coalesce(s.customer_id, (v_request ->> 'customer_id')::uuid);
    IF NOT v_read AND NOT logic.customer_visible(p_partner, v_customer) THEN  -- nothing of what the partner cannot see
        s := NULL;
        v_customer := NULL;
    END IF;
    IF v_request ? 'into_subscription_id' THEN
        SELECT * INTO i FROM core.subscriptions WHERE id = (v_request ->> 'into_subscription_id')::uuid;
        IF i.id IS NOT NULL AND NOT logic.customer_visible(p_partner, i.customer_id) THEN
            i := NULL;
        END IF;
    END IF;
    v_offer := coalesce(s.offer_id, v_request ->> 'offer_id');
    v_request := v_request || jsonb_strip_nulls(jsonb_build_object('customer_id', v_customer, 'offer', v_offer));
    -- One small statement per code that applies (a single statement with a branch per code
    -- would start every branch's plan at each call).
    FOREACH v_code IN ARRAY p_codes LOOP
        IF v_code = 'subscription_not_found' THEN
            d := jsonb_build_object('subscription_id', v_request -> 'subscription_id');
        ELSIF v_code = 'customer_not_found' THEN
            d := jsonb_build_object('customer_id', v_request -> 'customer_id');
        ELSIF v_code = 'offer_not_found' THEN
            d := jsonb_build_object('offer', coalesce(v_target, v_request ->> 'offer_id'));
        ELSIF v_code = 'subscription_does_not_have_any_upgrade_paths' THEN
            d := jsonb_build_object('offer', s.offer_id);
        ELSIF v_code = 'subscription_target_offer_not_found' THEN
            d := jsonb_build_object('offer', s.offer_id, 'target_offer', v_target,
                                    'targets', to_jsonb(ARRAY(SELECT p.target_offer_id FROM core.upgrade_paths p
                                                              WHERE p.source_offer_id = s.offer_id ORDER BY 1)));
        ELSIF v_code = 'subscription_status_not_active' THEN
            d := jsonb_build_object('status', CASE WHEN s.status_reason = 'upgraded' THEN 'upgraded' ELSE s.status END,
                                    'upgraded_to', s.upgraded_to_subscription_id);
        ELSIF v_code = 'subscription_not_provisioned' THEN
            d := jsonb_build_object('status', s.status);
        ELSIF v_code = 'not_reseller_of_record' THEN
            d := jsonb_build_object('channel', s.channel, 'sold_by_you', false);
        ELSIF v_code = 'delegated_admin_permissions_disabled' THEN
            SELECT jsonb_build_object('service', o.service_id) || logic.relationship_state(p_partner, v_customer, o.service_id)
            INTO d FROM core.offers o WHERE o.id = coalesce(v_target, v_offer);
        ELSIF v_code = 'conflicting_service_types' THEN
            -- the subscriptions in force of an offer with a plan the target adds beyond the
            -- source (core.upgrade_path_catalog, as the rule reads it), and those plans
            SELECT logic.subscriptions_detail(p_partner, v_customer, p.plan_conflicting_offers, ARRAY(
                       SELECT tp.service_plan_id FROM core.offer_service_plans tp WHERE tp.offer_id = v_target
                       EXCEPT
                       SELECT sp.service_plan_id FROM core.offer_service_plans sp WHERE sp.offer_id = s.offer_id), i.id)
            INTO d FROM core.upgrade_path_catalog p WHERE p.source_offer_id = s.offer_id AND p.target_offer_id = v_target;
            -- the next step names how each is cancelled: the partner's own by the command,
            -- the others by their seller
            v_request := v_request || jsonb_build_object('cancel_steps', (
                SELECT string_agg(CASE WHEN (x.e ->> 'sold_by_you')::boolean THEN 'subctl subscription cancel ' || (x.e ->> 'id')
                                       WHEN x.e ->> 'channel' = 'direct' THEN (x.e ->> 'id') || ' with 21Vianet (channel direct)'
                                       ELSE (x.e ->> 'id') || ' with its other reseller' END, '; ' ORDER BY x.ord)
                FROM jsonb_array_elements(d) WITH ORDINALITY AS x (e, ord)));
            d := jsonb_build_object('plans', (SELECT coalesce(jsonb_agg(DISTINCT pl), '[]')
                                              FROM jsonb_array_elements(d) y, jsonb_array_elements(y -> 'plans') pl),
                                    'subscriptions', d);
        ELSIF v_code = 'target_offer_already_owned' THEN
            d := jsonb_build_object('offer', v_target,
                                    'subscriptions', logic.subscriptions_detail(p_partner, v_customer, ARRAY[v_target],
                                                                                p_except => i.id));
        ELSIF v_code = 'subscription_add_ons_present' THEN
            d := jsonb_build_object('add_ons', to_jsonb(ARRAY(SELECT x.id FROM core.subscriptions x
                                                              WHERE x.parent_subscription_id = s.id AND x.status <> 'cancelled'
                                                              ORDER BY x.created_at, x.id)));
        ELSIF v_code = 'offer_does_not_support_billing_cycle' THEN
            d := jsonb_build_object('offer', coalesce(v_target, v_offer),
                                    'billing_cycle', coalesce(s.billing_cycle, v_request ->> 'billing_cycle'),
                                    'supported', to_jsonb(ARRAY(SELECT b.billing_cycle FROM core.offer_billing_cycles b
                                                                WHERE b.offer_id = coalesce(v_target, v_offer) ORDER BY 1)));
        ELSIF v_code = 'quantity_out_of_range' THEN
            -- of a license change (change add or remove): the licenses the operator named and
            -- the subscription's quantity besides the total asked
            SELECT jsonb_build_object('offer', o.id, 'min', o.min_quantity, 'max', o.max_quantity, 'asked', v_request -> 'quantity')
                   || CASE WHEN v_request ? 'change' THEN jsonb_build_object('change', v_request -> 'change',
                          'licenses', v_request -> 'licenses', 'current', s.quantity) ELSE '{}' END
                   -- upgrade --into: the quantity asked is what the subscription grows to
                   || CASE WHEN i.id IS NOT NULL THEN jsonb_build_object(
                          'status', 'into', 'into_subscription_id', i.id, 'into_quantity', i.quantity,
                          'added', v_request -> 'quantity_added', 'room', greatest(o.max_quantity - i.quantity, 0)) ELSE '{}' END
            INTO d FROM core.offers o WHERE o.id = coalesce(v_target, v_offer);
        ELSIF v_code = 'version_mismatch' THEN
            d := jsonb_build_object('expected', v_request -> 'if_version', 'current', s.version);
        ELSIF v_code = 'request_id_reused' THEN
            d := jsonb_build_object('request_id', v_request -> 'request_id');
        ELSIF v_code = 'quantity_cannot_be_decreased' THEN
            d := jsonb_build_object('billing_cycle', s.billing_cycle);
        ELSIF v_code = 'invalid_status_transition' THEN
            d := jsonb_build_object('status', s.status, 'operation', v_request -> 'operation');
        ELSIF v_code = 'user_not_found' THEN
            d := jsonb_build_object('users', coalesce(v_request -> 'users_not_found', v_request -> 'users'));
        ELSIF v_code = 'user_exists' THEN
            d := jsonb_build_object('upn', v_request -> 'upn');
        ELSIF v_code = 'license_quantity_exceeded' THEN
            d := jsonb_build_object('assigned', (v_request ->> 'assigned')::bigint, 'quantity', s.quantity,
                                    'asked', (v_request ->> 'asked')::bigint,
                                    'missing', (v_request ->> 'assigned')::bigint + (v_request ->> 'asked')::bigint - s.quantity);
        ELSIF v_code = 'quantity_below_assigned_licenses' THEN
            d := jsonb_build_object('assigned', logic.licenses_assigned(s.id), 'quantity', v_request -> 'quantity');
        ELSIF v_code = 'license_transfer_quantity_insufficient' AND i.id IS NOT NULL THEN
            -- into an existing subscription: the source's licenses of users who hold none of
            -- it, and the licenses it has beyond those it assigns (logic.upgrade_request_errors)
            SELECT jsonb_build_object('status', 'into', 'into_subscription_id', i.id,
                                      'assigned', x.moving, 'quantity', (v_request ->> 'quantity')::bigint,
                                      'into_assigned', x.into_assigned,
                                      'available', (v_request ->> 'quantity')::bigint - x.into_assigned,
                                      'needed', (v_request ->> 'quantity_added')::bigint + x.moving
                                                - ((v_request ->> 'quantity')::bigint - x.into_assigned))
            INTO d
            FROM (SELECT (SELECT count(*) FROM core.license_assignments a
                          WHERE a.subscription_id = s.id AND NOT EXISTS (
                              SELECT 1 FROM core.license_assignments t WHERE t.subscription_id = i.id AND t.user_id = a.user_id))
                         AS moving,
                         logic.licenses_assigned(i.id) AS into_assigned) x;
        ELSIF v_code = 'license_transfer_quantity_insufficient' THEN
            d := jsonb_build_object('assigned', logic.licenses_assigned(s.id), 'quantity', v_request -> 'quantity');
        ELSIF v_code = 'into_subscription_not_found' THEN
            d := jsonb_build_object('into_subscription_id', v_request -> 'into_subscription_id');
        ELSIF v_code = 'into_subscription_other_customer' THEN
            d := jsonb_build_object('into_subscription_id', i.id, 'into_customer_id', i.customer_id);
        ELSIF v_code = 'into_subscription_other_offer' THEN
            d := jsonb_build_object('into_subscription_id', i.id, 'into_offer', i.offer_id, 'target_offer', v_target);
        ELSIF v_code = 'into_subscription_other_billing_cycle' THEN
            d := jsonb_build_object('into_subscription_id', i.id, 'into_billing_cycle', i.billing_cycle,
                                    'billing_cycle', s.billing_cycle);
        ELSIF v_code = 'into_subscription_not_active' THEN
            d := jsonb_build_object('into_subscription_id', i.id,
                                    'status', CASE WHEN i.status_reason = 'upgraded' THEN 'upgraded' ELSE i.status END,
                                    'upgraded_to', i.upgraded_to_subscription_id);
        ELSIF v_code = 'into_subscription_not_reseller_of_record' THEN
            d := jsonb_build_object('into_subscription_id', i.id, 'into_channel', i.channel, 'sold_by_you', false);
        ELSIF v_code = 'add_on_parent_invalid' THEN
            d := jsonb_build_object('offer', v_offer, 'parent_subscription_id', v_request -> 'parent_subscription_id');
        ELSE
            d := '{}';
        END IF;
        v_details := v_details || jsonb_build_object(v_code, coalesce(d, '{}'));
    END LOOP;
    RETURN logic.describe_errors(p_codes, v_details, v_request);
END $$;

COMMENT ON FUNCTION logic.error_objects(p_partner text, p_codes text[], p_request jsonb, p_source core.subscriptions) IS 'The error objects {code, description, details, next_step} of the codes that apply to a request of a partner.';

CREATE FUNCTION logic.fill_template(p_template text, p_values jsonb) RETURNS text
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_parts text[] := string_to_array(p_template, '{');
    v_out text := coalesce(v_parts[1], '');
    v_part text;
    v_close integer;
    v jsonb;
    t text;
BEGIN
    IF p_template IS NULL THEN
        RETURN NULL;
    END IF;
    FOR i IN 2 .. coalesce(array_length(v_parts, 1), 0) LOOP
        v_part := v_parts[i];
        v_close := strpos(v_part, '}');
        v := CASE WHEN v_close > 1 AND translate(left(v_part, v_close - 1), 'abcdefghijklmnopqrstuvwxyz_', '') = ''
                  THEN p_values -> left(v_part, v_close - 1) END;
        IF v IS NULL OR jsonb_typeof(v) = 'null' THEN
            v_out := v_out || '{' || v_part;
            CONTINUE;
        END IF;
        IF jsonb_typeof(v) <> 'array' THEN
            t := v #>> '{}';
        ELSIF jsonb_array_length(v) = 0 THEN
            t := 'none';
        ELSE  -- ["a", "b"] as a, b; objects by their ids (ids, offers and plans hold no quotes)
            t := CASE WHEN jsonb_typeof(v -> 0) = 'object' THEN jsonb_path_query_array(v, '$[*].id') ELSE v END::text;
            t := replace(substr(t, 2, length(t) - 2), '"', '');
        END IF;
        v_out := v_out || t || substr(v_part, v_close + 1);
    END LOOP;
    RETURN v_out;
END $_$;

CREATE FUNCTION logic.find_batch(p_partner text, p_batch text) RETURNS core.batches
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

CREATE FUNCTION logic.into_ids_of(p_sources core.subscriptions[], p_intos core.subscriptions[]) RETURNS uuid[]
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    RETURN (SELECT coalesce(array_agg((p_intos[i]).id), '{}') FROM generate_subscripts(p_sources, 1) AS i
            WHERE (p_intos[i]).customer_id = (p_sources[i]).customer_id);
END $$;

CREATE FUNCTION logic.is_transient_sqlstate(p_sqlstate text) RETURNS boolean
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    RETURN length(p_sqlstate) = 5 AND EXISTS (SELECT 1 FROM core.transient_sqlstates WHERE sqlstate = p_sqlstate::character(5));
END $$;

CREATE FUNCTION logic.license_assignment_errors(p_assigned bigint, p_asked bigint, p_quantity bigint) RETURNS text[]
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    RETURN CASE WHEN p_assigned + p_asked > p_quantity THEN ARRAY['license_quantity_exceeded'] ELSE '{}'::text[] END;
END $$;

CREATE FUNCTION logic.license_assignments_apply(p_partner text, p_parameters jsonb[], p_operation text, p_request_ids text[] DEFAULT NULL::text[]) RETURNS TABLE(ord bigint, result jsonb)
    LANGUAGE plpgsql
    SET plan_cache_mode TO 'force_generic_plan'
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_customers uuid[];
    v_ords bigint[];
    v_results jsonb[];
    v_unchanged bigint[];  -- the requests applied with nothing to change
BEGIN
    IF p_operation NOT IN ('assign', 'unassign') THEN
        RAISE EXCEPTION 'logic.license_assignments_apply: unknown operation %', p_operation;
    END IF;
    v_customers := logic.lock_request_customers(p_partner, p_parameters);
    PERFORM logic.require_distinct_customers('logic.license_assignments_apply', p_parameters, v_customers);
    IF p_request_ids IS NOT NULL THEN  -- each audit event under its own request's id
        PERFORM set_config('subctl.request_ids', coalesce((
            SELECT jsonb_object_agg(p_parameters[i] ->> 'subscription_id', p_request_ids[i])
            FROM generate_subscripts(p_parameters, 1) AS i WHERE p_request_ids[i] IS NOT NULL), '{}')::text, true);
    END IF;
    WITH found AS MATERIALIZED (  -- each request's subscription (read after the locks) and its licenses assigned
        SELECT r.ord, (r.p ->> 'subscription_id')::uuid AS id, r.p -> 'users' AS users, s.id AS found,
               s.customer_id, s.status, s.quantity, s.partner_id,
               CASE WHEN s.id IS NOT NULL THEN (SELECT count(*) FROM core.license_assignments a
                                                WHERE a.subscription_id = s.id) END AS assigned
        FROM unnest(p_parameters) WITH ORDINALITY AS r (p, ord)
        LEFT JOIN core.subscriptions s ON s.id = (r.p ->> 'subscription_id')::uuid AND s.customer_id = ANY (v_customers)),
    named AS MATERIALIZED (  -- each user named by a request of a found subscription, found or not
        SELECT f.ord, x.name, x.n, u.id AS user_id, u.upn,
               EXISTS (SELECT 1 FROM core.license_assignments a WHERE a.subscription_id = f.found AND a.user_id = u.id) AS holds
        FROM found f
        CROSS JOIN LATERAL jsonb_array_elements_text(f.users) WITH ORDINALITY AS x (name, n)
        -- one index probe per name (a user principal name is never a UUID): a join on
        -- either of them would read every user of the customer
        LEFT JOIN LATERAL (
            SELECT y.id, y.upn FROM core.users y WHERE y.customer_id = f.customer_id AND lower(y.upn) = lower(x.name)
            UNION ALL
            SELECT y.id, y.upn FROM core.users y
            WHERE y.id = CASE WHEN x.name ~* core.uuid_pattern() THEN x.name::uuid END AND y.customer_id = f.customer_id
            LIMIT 1) u ON true
        WHERE f.found IS NOT NULL),
    changing AS MATERIALIZED (  -- the users whose license would change, once each
        SELECT DISTINCT n.ord, n.user_id, n.upn FROM named n
        WHERE n.user_id IS NOT NULL AND n.holds = (p_operation = 'unassign')),
    evaluated AS MATERIALIZED (
        SELECT f.ord, f.id, f.found, f.users, f.customer_id, f.status, f.quantity, f.assigned,
               -- of a found subscription: the users found, those not found (in the order named), the changes
               CASE WHEN f.found IS NOT NULL THEN (SELECT count(DISTINCT n.user_id) FROM named n WHERE n.ord = f.ord) END AS users_found,
               CASE WHEN f.found IS NOT NULL THEN (SELECT coalesce(jsonb_agg(n.name ORDER BY n.n), '[]') FROM named n
                                                   WHERE n.ord = f.ord AND n.user_id IS NULL) END AS missing,
               CASE WHEN f.found IS NOT NULL THEN (SELECT count(*) FROM changing c WHERE c.ord = f.ord) END AS asked,
               f.partner_id
        FROM found f),
    decided AS MATERIALIZED (
        SELECT e.*,
               CASE WHEN e.found IS NULL THEN ARRAY['subscription_not_found'] ELSE
                   CASE WHEN p_operation = 'assign' THEN logic.sold_and_active_errors(p_partner, e.status, e.partner_id)
                        WHEN e.partner_id IS DISTINCT FROM p_partner THEN ARRAY['not_reseller_of_record']
                        ELSE '{}' END
                   || CASE WHEN jsonb_array_length(e.missing) > 0 THEN ARRAY['user_not_found'] ELSE '{}' END
                   || CASE WHEN p_operation = 'assign' THEN logic.license_assignment_errors(e.assigned, e.asked, e.quantity)
                           ELSE '{}' END END AS codes
        FROM evaluated e),
    assigned AS (
        INSERT INTO core.license_assignments (subscription_id, user_id, customer_id)
        SELECT d.found, c.user_id, d.customer_id
        FROM decided d JOIN changing c ON c.ord = d.ord
        WHERE p_operation = 'assign' AND cardinality(d.codes) = 0
        ORDER BY d.ord, c.user_id),
    unassigned AS (
        DELETE FROM core.license_assignments a USING decided d JOIN changing c ON c.ord = d.ord
        WHERE p_operation = 'unassign' AND cardinality(d.codes) = 0
          AND a.subscription_id = d.found AND a.user_id = c.user_id)
    SELECT array_agg(d.ord ORDER BY d.ord), array_agg(logic.result(d.codes, jsonb_build_object(
               'subscription_id', d.id, 'subscription_status', d.status, 'quantity', d.quantity,
               'licenses_assigned', d.assigned + CASE WHEN cardinality(d.codes) > 0 THEN 0
                                                      WHEN p_operation = 'assign' THEN d.asked ELSE -d.asked END,
               CASE WHEN p_operation = 'assign' THEN 'assigned' ELSE 'unassigned' END,
               CASE WHEN cardinality(d.codes) = 0
                    THEN (SELECT coalesce(jsonb_agg(jsonb_build_object('id', c.user_id, 'upn', c.upn) ORDER BY c.upn), '[]')
                          FROM changing c WHERE c.ord = d.ord)
                    ELSE '[]' END,
               'unchanged', coalesce(d.users_found, 0) - coalesce(d.asked, 0)),
               p_partner, jsonb_build_object('subscription_id', d.id, 'users', d.users, 'operation', p_operation,
                                             'users_not_found', d.missing, 'asked', d.asked, 'assigned', d.assigned))
               ORDER BY d.ord),
           array_agg(d.ord ORDER BY d.ord) FILTER (WHERE cardinality(d.codes) = 0 AND d.asked = 0)
    INTO v_ords, v_results, v_unchanged
    FROM decided d;
    -- A request applied with nothing to change has an event all the same (no changed fields).
    IF v_unchanged IS NOT NULL THEN
        PERFORM logic.audit_requests(p_operation || '_license', (
            SELECT jsonb_agg(jsonb_build_object('error_codes', '[]'::jsonb, 'parameters', p_parameters[o],
                                                'request_id', coalesce(p_request_ids[o], logic.setting('request_id')))
                             ORDER BY o)
            FROM unnest(v_unchanged) o));
    END IF;
    IF p_request_ids IS NOT NULL THEN
        PERFORM set_config('subctl.request_ids', '', true);
    END IF;
    RETURN QUERY SELECT x.ord, x.result FROM unnest(v_ords, v_results) AS x (ord, result);
END $$;

CREATE FUNCTION logic.license_quantity_errors(p_assigned bigint, p_quantity bigint) RETURNS text[]
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    RETURN CASE WHEN p_quantity < p_assigned THEN ARRAY['quantity_below_assigned_licenses'] ELSE '{}'::text[] END;
END $$;

CREATE FUNCTION logic.license_transfer_errors(p_transfer boolean, p_assigned bigint, p_quantity bigint) RETURNS text[]
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    RETURN CASE WHEN coalesce(p_transfer, true) AND p_assigned > p_quantity
                THEN ARRAY['license_transfer_quantity_insufficient'] ELSE '{}'::text[] END;
END $$;

CREATE FUNCTION logic.licenses_apply(p_partner text, p_parameters jsonb[], p_sign integer, p_request_ids text[] DEFAULT NULL::text[]) RETURNS TABLE(ord bigint, result jsonb)
    LANGUAGE plpgsql
    SET plan_cache_mode TO 'force_generic_plan'
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_customers uuid[];
    v_customers_distinct boolean;
    -- the evaluated requests, one array per field, in request order
    v_ords bigint[];
    v_ids uuid[];
    v_found uuid[];
    v_steps bigint[];
    v_deltas bigint[];
    v_if_versions jsonb[];
    v_versions bigint[];
    v_statuses text[];
    v_quantities bigint[];
    v_new_quantities bigint[];
    v_codes text[];  -- each request's codes joined by commas
    v_outcomes text[];
    v_stepped boolean;
BEGIN
    v_customers := logic.lock_request_customers(p_partner, p_parameters);
    SELECT count(DISTINCT s.customer_id) = count(DISTINCT s.id) INTO v_customers_distinct
    FROM unnest(p_parameters) p JOIN core.subscriptions s ON s.id = (p ->> 'subscription_id')::uuid
    WHERE s.customer_id = ANY (v_customers);
    IF NOT v_customers_distinct THEN
        RAISE EXCEPTION 'logic.licenses_apply: the requests of one call must be of distinct customers or of one subscription';
    END IF;
    WITH requests AS (
        SELECT r.ord, (r.p ->> 'subscription_id')::uuid AS id, (r.p ->> 'quantity')::bigint AS delta,
               -- clamped: a huge delta is simply out of range, never an arithmetic overflow
               least(greatest((r.p ->> 'quantity')::bigint, 0), 4294967296) AS clamped,
               r.p -> 'if_version' AS if_version
        FROM unnest(p_parameters) WITH ORDINALITY AS r (p, ord)),
    stepped AS (  -- (read after the locks) each request as the ones before it of its subscription leave it
        SELECT r.*, s.id AS found, s.status, s.partner_id, s.billing_cycle, s.offer_id,
               row_number() OVER w AS step,
               s.version + row_number() OVER w - 1 AS version,
               s.quantity + p_sign * coalesce(sum(r.clamped) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)::bigint AS quantity
        FROM requests r
        LEFT JOIN core.subscriptions s ON s.id = r.id AND s.customer_id = ANY (v_customers)
        WINDOW w AS (PARTITION BY r.id ORDER BY r.ord)),
    -- MATERIALIZED: each request's codes computed once, not again where each reads them
    evaluated AS MATERIALIZED (
        SELECT e.*, e.quantity + p_sign * e.clamped AS new_quantity,
               CASE WHEN e.found IS NULL THEN ARRAY['subscription_not_found'] ELSE
                   array_remove(ARRAY[CASE WHEN (e.if_version #>> '{}')::bigint <> e.version THEN 'version_mismatch' END], NULL)
                   || logic.sold_and_active_errors(p_partner, e.status, e.partner_id)
                   || array_remove(ARRAY[
                       CASE WHEN p_sign < 0 AND e.billing_cycle = 'annual' THEN 'quantity_cannot_be_decreased' END,
                       CASE WHEN e.delta < 1 OR NOT logic.quantity_in_range(e.offer_id, e.quantity + p_sign * e.clamped)
                            THEN 'quantity_out_of_range' END], NULL)
                   || CASE WHEN p_sign < 0 THEN logic.license_quantity_errors(logic.licenses_assigned(e.found),
                                                    e.quantity + p_sign * e.clamped)
                           ELSE '{}' END END AS codes
        FROM stepped e),
    ranked AS (
        SELECT e.*, min(e.step) FILTER (WHERE cardinality(e.codes) > 0) OVER (PARTITION BY e.id) AS first_rejected
        FROM evaluated e)
    SELECT array_agg(e.ord ORDER BY e.ord), array_agg(e.id ORDER BY e.ord), array_agg(e.found ORDER BY e.ord),
           array_agg(e.step ORDER BY e.ord), array_agg(e.delta ORDER BY e.ord), array_agg(e.if_version ORDER BY e.ord),
           array_agg(e.version ORDER BY e.ord), array_agg(e.status ORDER BY e.ord), array_agg(e.quantity ORDER BY e.ord),
           array_agg(e.new_quantity ORDER BY e.ord), array_agg(array_to_string(e.codes, ',') ORDER BY e.ord),
           array_agg(CASE WHEN e.step > e.first_rejected THEN 'deferred'
                          WHEN cardinality(e.codes) > 0 THEN 'rejected' ELSE 'applied' END ORDER BY e.ord),
           bool_or(e.step > 1 AND cardinality(e.codes) = 0 AND e.step < coalesce(e.first_rejected, e.step + 1))
    INTO v_ords, v_ids, v_found, v_steps, v_deltas, v_if_versions, v_versions, v_statuses, v_quantities,
         v_new_quantities, v_codes, v_outcomes, v_stepped
    FROM ranked e;
    IF p_request_ids IS NOT NULL THEN  -- each audit event under its own request's id: an applied one's
        PERFORM set_config('subctl.request_ids', coalesce((
            SELECT jsonb_object_agg(e.found::text, p_request_ids[e.ord])
            FROM unnest(v_found, v_ords, v_outcomes) AS e (found, ord, outcome)
            WHERE e.outcome = 'applied' AND p_request_ids[e.ord] IS NOT NULL), '{}')::text, true);
    END IF;
    IF v_stepped THEN  -- {subscription id: [[quantity, request id] of each request applied, in order]}
        PERFORM set_config('subctl.steps', jsonb_object_agg(x.id, x.steps)::text, true),
                set_config('subctl.step_counts', jsonb_object_agg(x.id, jsonb_array_length(x.steps))::text, true)
        FROM (SELECT e.found::text AS id, jsonb_agg(jsonb_build_array(e.new_quantity, p_request_ids[e.ord]) ORDER BY e.step) AS steps
              FROM unnest(v_found, v_new_quantities, v_ords, v_steps, v_outcomes) AS e (found, new_quantity, ord, step, outcome)
              WHERE e.outcome = 'applied'
              GROUP BY e.found HAVING count(*) > 1) x;
    END IF;
    UPDATE core.subscriptions s SET quantity = x.new_quantity
    FROM (SELECT DISTINCT ON (e.found) e.found AS id, e.new_quantity
          FROM unnest(v_found, v_new_quantities, v_steps, v_outcomes) AS e (found, new_quantity, step, outcome)
          WHERE e.outcome = 'applied'
          ORDER BY e.found, e.step DESC) x
    WHERE s.id = x.id;
    IF v_stepped THEN
        PERFORM set_config('subctl.steps', '', true), set_config('subctl.step_counts', '', true);
    END IF;
    IF p_request_ids IS NOT NULL THEN
        PERFORM set_config('subctl.request_ids', '', true);
    END IF;
    -- (read after the UPDATE: a rejection's details see the requests applied before it)
    RETURN QUERY
    SELECT e.ord, CASE WHEN e.outcome <> 'deferred' THEN logic.result(
               string_to_array(e.codes, ','), jsonb_build_object(
               'source_subscription_id', e.id, 'target_subscription_id', NULL,
               'quantity', CASE WHEN e.outcome = 'applied' THEN e.new_quantity ELSE e.quantity END,
               'version', e.version + CASE WHEN e.outcome = 'applied' THEN 1 ELSE 0 END,
               'subscription_status', e.status),
               p_partner, jsonb_strip_nulls(jsonb_build_object('subscription_id', e.id, 'quantity', e.new_quantity,
                                                               'if_version', e.if_version,
                                                               'change', CASE WHEN p_sign < 0 THEN 'remove' ELSE 'add' END,
                                                               'licenses', e.delta))) END
    FROM unnest(v_ords, v_ids, v_deltas, v_if_versions, v_versions, v_statuses, v_quantities, v_new_quantities, v_codes,
                v_outcomes) AS e (ord, id, delta, if_version, version, status, quantity, new_quantity, codes, outcome)
    ORDER BY e.ord;
END $$;

CREATE FUNCTION logic.licenses_assigned(p_subscription_id uuid) RETURNS bigint
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    RETURN (SELECT count(*) FROM core.license_assignments a WHERE a.subscription_id = p_subscription_id);
END $$;

CREATE FUNCTION logic.like_literal(p_text text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    RETURN replace(replace(replace(p_text, E'\\', E'\\\\'), '%', E'\\%'), '_', E'\\_');
END $$;

CREATE FUNCTION logic.link_customer_creator() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    INSERT INTO core.partner_customers (partner_id, customer_id, how)
    SELECT n.created_by_partner_id, n.id, 'added' FROM new_rows n WHERE n.created_by_partner_id IS NOT NULL
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;

CREATE FUNCTION logic.lock_request_customers(p_partner text, p_parameters jsonb[]) RETURNS uuid[]
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_customers uuid[] := ARRAY(SELECT DISTINCT s.customer_id FROM core.subscriptions s
                                WHERE s.id = ANY (ARRAY(SELECT (p ->> 'subscription_id')::uuid FROM unnest(p_parameters) p))
                                  AND logic.customer_visible(p_partner, s.customer_id));
BEGIN
    PERFORM 1 FROM core.customers c WHERE c.id = ANY (v_customers) ORDER BY c.id FOR NO KEY UPDATE;
    RETURN v_customers;
END $$;

CREATE FUNCTION logic.lock_subscription(p_partner text, p_subscription_id uuid) RETURNS core.subscriptions
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_customer uuid := (SELECT customer_id FROM core.subscriptions WHERE id = p_subscription_id);
    s core.subscriptions;
BEGIN
    IF v_customer IS NULL OR NOT logic.customer_visible(p_partner, v_customer) THEN
        RETURN NULL;
    END IF;
    PERFORM 1 FROM core.customers c WHERE c.id = v_customer FOR NO KEY UPDATE;
    SELECT * INTO s FROM core.subscriptions WHERE id = p_subscription_id;
    RETURN s;
END $$;

CREATE FUNCTION logic.login_is_owner() RETURNS boolean
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    RETURN (SELECT pg_has_role(session_user, n.nspowner, 'MEMBER') FROM pg_namespace n WHERE n.nspname = 'core');
END $$;

CREATE FUNCTION logic.login_partner() RETURNS text
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    RETURN (SELECT partner_id FROM core.partner_logins WHERE login_role = session_user);
END $$;

CREATE FUNCTION logic.one_of(p_values text[]) RETURNS text
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    RETURN CASE WHEN cardinality(p_values) > 1
                THEN array_to_string(p_values[:cardinality(p_values) - 1], ', ') || ' or ' || p_values[cardinality(p_values)]
                ELSE p_values[1] END;
END $$;

CREATE FUNCTION logic.op_add_customer(p_partner text, p jsonb) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    c core.customers;
    v_name text := logic.require_display_name(p ->> 'name', 'customer name');
    v_domain text := lower(p ->> 'domain');
BEGIN
    -- Another partner's tenant: that it exists, and nothing more (SPEC 7.1).
    IF EXISTS (SELECT 1 FROM core.customers WHERE id = (p ->> 'id')::uuid OR domain = v_domain) THEN
        RETURN logic.refusal('customer_exists', jsonb_build_object('id', p ->> 'id', 'name', v_name, 'domain', v_domain));
    END IF;
    BEGIN
        INSERT INTO core.customers (id, name, domain, created_by_partner_id)
        VALUES (coalesce((p ->> 'id')::uuid, gen_random_uuid()), v_name, v_domain, p_partner)
        RETURNING * INTO c;
    EXCEPTION WHEN check_violation THEN  -- the format the table allows (check_customers_domain_format)
        PERFORM logic.raise_error('invalid_argument', format(
            'domain %s is not a domain name: dot-separated labels of letters, digits and inner hyphens, e.g. contoso.partner.onmschina.cn',
            to_json(p ->> 'domain')));
    END;
    RETURN logic.result('{}', jsonb_build_object('id', c.id, 'name', c.name, 'domain', c.domain));
END $$;

CREATE FUNCTION logic.op_add_subscription(p_partner text, p jsonb) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_customer uuid := (p ->> 'customer_id')::uuid;
    v_offer core.offers;
    v_channel text := coalesce(p ->> 'channel', 'csp');
    v_cycle text := coalesce(p ->> 'billing_cycle', 'monthly');
    v_quantity bigint := (p ->> 'quantity')::bigint;
    v_parent uuid := (p ->> 'parent_subscription_id')::uuid;
    v_codes text[];
    s core.subscriptions;
    v_visible boolean := logic.customer_visible(p_partner, v_customer);
BEGIN
    IF v_visible THEN  -- only a customer the partner sees is locked (see logic.lock_subscription)
        PERFORM 1 FROM core.customers WHERE id = v_customer FOR NO KEY UPDATE;
    END IF;
    SELECT * INTO v_offer FROM core.offers WHERE id = p ->> 'offer_id' AND NOT retired;
    -- A customer the partner cannot see: that, and nothing that would tell about its data.
    v_codes := CASE WHEN NOT v_visible THEN ARRAY['customer_not_found'] ELSE array_remove(ARRAY[
        CASE WHEN v_offer.id IS NULL THEN 'offer_not_found' END,
        CASE WHEN v_offer.id IS NOT NULL AND NOT EXISTS (
                 SELECT 1 FROM core.offer_billing_cycles WHERE offer_id = v_offer.id AND billing_cycle = v_cycle)
             THEN 'offer_does_not_support_billing_cycle' END,
        CASE WHEN v_offer.id IS NOT NULL AND NOT logic.quantity_in_range(v_offer.id, v_quantity)
             THEN 'quantity_out_of_range' END,
        CASE WHEN v_offer.id IS NOT NULL AND (v_offer.is_add_on <> (v_parent IS NOT NULL) OR (v_parent IS NOT NULL AND NOT EXISTS (
                 SELECT 1 FROM core.subscriptions ps JOIN core.offer_add_on_parents ap
                          ON ap.parent_offer_id = ps.offer_id AND ap.add_on_offer_id = v_offer.id
                 WHERE ps.id = v_parent AND ps.customer_id = v_customer AND ps.status <> 'cancelled')))
             THEN 'add_on_parent_invalid' END], NULL) END;
    IF cardinality(v_codes) = 0 THEN
        INSERT INTO core.subscriptions (customer_id, offer_id, quantity, billing_cycle, status, channel,
                                        partner_id, recorded_by_partner_id, parent_subscription_id)
        VALUES (v_customer, v_offer.id, v_quantity, v_cycle, coalesce(p ->> 'status', 'active'), v_channel,
                CASE WHEN v_channel = 'csp' THEN p_partner END, p_partner, v_parent)
        RETURNING * INTO s;
        RETURN logic.result(v_codes, logic.subscription_json(p_partner, s)
                                    || jsonb_build_object('subscription_status', s.status));
    END IF;
    RETURN logic.result(v_codes, jsonb_build_object('id', NULL), p_partner, jsonb_strip_nulls(jsonb_build_object(
        'customer_id', v_customer, 'offer_id', p ->> 'offer_id', 'quantity', v_quantity, 'billing_cycle', v_cycle,
        'parent_subscription_id', v_parent)));
END $$;

CREATE FUNCTION logic.op_add_user(p_partner text, p jsonb) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_customer uuid := (p ->> 'customer_id')::uuid;
    v_upn text := p ->> 'upn';
    v_name text := CASE WHEN p ? 'display_name' THEN logic.require_display_name(p ->> 'display_name', 'user name') END;
    u core.users;
BEGIN
    IF NOT logic.customer_visible(p_partner, v_customer) THEN
        RETURN logic.result(ARRAY['customer_not_found'], jsonb_build_object('id', NULL), p_partner,
                            jsonb_strip_nulls(jsonb_build_object('customer_id', v_customer, 'upn', v_upn)));
    END IF;
    PERFORM 1 FROM core.customers WHERE id = v_customer FOR NO KEY UPDATE;
    SELECT * INTO u FROM core.users WHERE customer_id = v_customer AND lower(upn) = lower(v_upn);
    IF u.id IS NOT NULL THEN
        RETURN logic.result(ARRAY['user_exists'], jsonb_build_object('id', u.id), p_partner,
                            jsonb_build_object('customer_id', v_customer, 'upn', u.upn));
    END IF;
    BEGIN
        INSERT INTO core.users (customer_id, upn, display_name) VALUES (v_customer, v_upn, v_name) RETURNING * INTO u;
    EXCEPTION WHEN check_violation THEN  -- the format the table allows (check_users_upn_format)
        PERFORM logic.raise_error('invalid_argument', format(
            'user principal name %s is not NAME@DOMAIN: a name of letters, digits and . _ + '' -, @, a domain name, e.g. anna@contoso.partner.onmschina.cn',
            to_json(v_upn)));
    END;
    RETURN logic.result('{}', jsonb_build_object('id', u.id, 'customer_id', u.customer_id, 'upn', u.upn,
                                                 'display_name', u.display_name, 'created_at', u.created_at));
END $$;

CREATE FUNCTION logic.op_change_licenses(p_partner text, p jsonb, p_sign integer) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    RETURN (SELECT l.result FROM logic.licenses_apply(p_partner, ARRAY[p], p_sign) l);
END $$;

CREATE FUNCTION logic.op_license_assignment(p_partner text, p jsonb, p_operation text) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    RETURN (SELECT l.result FROM logic.license_assignments_apply(p_partner, ARRAY[p], p_operation) l);
END $$;

CREATE FUNCTION logic.op_relationship(p_partner text, p jsonb, p_operation text) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_customer uuid := (p ->> 'customer_id')::uuid;
    v_service text := p ->> 'service_id';
    v_expires timestamptz := (p ->> 'expires_at')::timestamptz;
    r core.relationships;
    v_code text;
    v_description text;  -- the case at hand (logic.refusal)
BEGIN
    -- Only a customer the partner sees (SPEC 7.1): a relationship never makes one visible.
    IF NOT logic.customer_visible(p_partner, v_customer) THEN
        v_code := 'customer_not_found';
        v_description := format('Customer %s does not exist.', v_customer);
    ELSE
        PERFORM 1 FROM core.customers WHERE id = v_customer FOR NO KEY UPDATE;
        IF NOT EXISTS (SELECT 1 FROM core.services WHERE id = v_service) THEN
            v_code := 'service_not_found';
            v_description := format('Service %s does not exist.', v_service);
        END IF;
    END IF;
    IF v_code IS NULL THEN
        -- the open relationship, an active one whose expiry passed not counting
        SELECT * INTO r FROM core.relationships
        WHERE partner_id = p_partner AND customer_id = v_customer AND service_id = v_service
          AND (status = 'requested' OR (status = 'active' AND expires_at > statement_timestamp()));
        IF p_operation = 'request' THEN
            v_description := logic.relationship_expiry_problem(v_expires);
            IF v_description IS NOT NULL THEN
                v_code := 'relationship_expiry_out_of_range';
            ELSIF r.id IS NOT NULL THEN
                v_code := 'relationship_exists';
                v_description := format('Relationship %s is already %s.', r.id, r.status);
            END IF;
        ELSIF p_operation = 'accept' THEN
            v_expires := coalesce(v_expires, r.expires_at, statement_timestamp() + interval '2 years');
            IF r.id IS NULL OR r.status <> 'requested' THEN
                v_code := 'invalid_relationship_transition';
                v_description := 'There is no requested relationship to accept.';
            ELSIF EXISTS (SELECT 1 FROM core.relationships WHERE customer_id = v_customer AND service_id = v_service
                          AND status = 'active' AND expires_at > statement_timestamp()) THEN
                v_code := 'relationship_already_active';
            ELSE
                v_description := logic.relationship_expiry_problem(v_expires);
                IF v_description IS NOT NULL THEN
                    v_code := 'relationship_expiry_out_of_range';
                END IF;
            END IF;
        ELSIF r.id IS NULL THEN
            v_code := 'relationship_not_found';
            v_description := format('No requested or active relationship with customer %s for %s.', v_customer, v_service);
        END IF;
    END IF;
    IF v_code IS NOT NULL THEN
        -- (jsonb_populate_record: every field, null ones too, when there is none)
        RETURN logic.refusal(v_code, to_jsonb(jsonb_populate_record(r, '{}')) || jsonb_build_object('customer_id', v_customer, 'service_id', v_service,
                                                                      'relationship_status', r.status),
                             v_description);
    END IF;
    UPDATE core.relationships SET status = 'expired', ended_at = expires_at
    WHERE customer_id = v_customer AND service_id = v_service AND status = 'active'
      AND expires_at <= statement_timestamp();
    IF p_operation = 'request' THEN
        INSERT INTO core.relationships (partner_id, customer_id, service_id, expires_at)
        VALUES (p_partner, v_customer, v_service, v_expires) RETURNING * INTO r;
    ELSIF p_operation = 'accept' THEN
        UPDATE core.relationships SET status = 'active', activated_at = statement_timestamp(), expires_at = v_expires
        WHERE id = r.id RETURNING * INTO r;
    ELSE
        UPDATE core.relationships SET status = 'removed', ended_at = statement_timestamp()
        WHERE id = r.id RETURNING * INTO r;
    END IF;
    RETURN logic.result('{}', to_jsonb(r) || jsonb_build_object('relationship_status', r.status));
END $$;

CREATE FUNCTION logic.op_set_status(p_partner text, p jsonb, p_operation text) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    RETURN (SELECT l.result FROM logic.status_apply(p_partner, ARRAY[p], p_operation) l);
END $$;

CREATE FUNCTION logic.op_upgrade(p_partner text, p jsonb) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    RETURN (SELECT u.result FROM logic.upgrade_apply(p_partner, ARRAY[p]) u);
END $$;

CREATE FUNCTION logic.partner_licenses() RETURNS TABLE(offer_id text, offer_name text, channel text, status text, sold_by_you boolean, subscriptions bigint, licenses bigint, customers bigint)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET random_page_cost TO '1.1'
    AS $$
    SELECT g.offer_id, o.name, g.channel, g.status, g.sold_by_you, g.subscriptions, g.licenses, g.customers
    FROM (SELECT x.offer_id, x.channel, x.status, x.sold_by_you,
                 sum(x.subscriptions)::bigint AS subscriptions, sum(x.licenses)::bigint AS licenses, count(*) AS customers
          FROM (SELECT s.customer_id, s.offer_id, s.channel, s.status,
                       s.partner_id IS NOT DISTINCT FROM (SELECT logic.acting_partner()) AS sold_by_you,
                       count(*) AS subscriptions, sum(s.quantity) AS licenses
                FROM core.subscriptions s
                GROUP BY s.customer_id, s.offer_id, s.channel, s.status, sold_by_you) x
          GROUP BY x.offer_id, x.channel, x.status, x.sold_by_you) g
    JOIN core.offers o ON o.id = g.offer_id
$$;

CREATE FUNCTION logic.platform_begin(p_operation text, p_parameters jsonb, p_request_id text, p_comment text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_replay jsonb;
BEGIN
    PERFORM logic.begin_operation(p_operation, p_request_id, p_comment, p_platform => true);
    v_replay := logic.request_replay(logic.platform_request_key(), p_request_id, p_operation, p_parameters);
    RETURN v_replay || jsonb_build_object('request_id', p_request_id);
END $$;

CREATE FUNCTION logic.platform_refusal(p_operation text, p_code text, p_parameters jsonb, p_description text, p_request_id text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    PERFORM logic.audit_rejection(p_operation, ARRAY[p_code], p_parameters, p_request_id);
    RETURN logic.platform_result(p_operation, p_parameters, p_request_id, logic.refusal(p_code, p_parameters, p_description));
END $$;

CREATE FUNCTION logic.platform_request_key() RETURNS text
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    RETURN '';
END $$;

CREATE FUNCTION logic.request_remember(p_partner text, p_request_id text, p_operation text, p_parameters jsonb, p_result jsonb) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    IF p_request_id IS NOT NULL THEN  -- the set form (sql/40_operations.sql) with one request
        PERFORM logic.requests_remember(p_partner, p_operation, ARRAY[p_request_id], ARRAY[p_parameters], ARRAY[p_result]);
    END IF;
    RETURN p_result;
END $$;

CREATE FUNCTION logic.platform_result(p_operation text, p_parameters jsonb, p_request_id text, p_result jsonb) RETURNS jsonb
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'pg_temp'
    BEGIN ATOMIC
 SELECT (logic.request_remember(logic.platform_request_key(), p_request_id, p_operation, p_parameters, p_result) || jsonb_build_object('request_id', p_request_id));
END;

CREATE FUNCTION logic.quantity_in_range(p_offer_id text, p_quantity bigint) RETURNS boolean
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    RETURN EXISTS (SELECT 1 FROM core.offers WHERE id = p_offer_id
                   AND p_quantity BETWEEN min_quantity AND max_quantity);
END $$;

CREATE FUNCTION logic.raise_error(p_code text, p_message text DEFAULT NULL::text, p_detail text DEFAULT NULL::text, p_hint text DEFAULT NULL::text) RETURNS void
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    e core.error_codes;
BEGIN
    SELECT * INTO STRICT e FROM core.error_codes WHERE code = p_code;
    RAISE EXCEPTION USING ERRCODE = e.sqlstate,
        MESSAGE = coalesce(p_message, e.description),
        DETAIL = coalesce(p_detail, ''), HINT = coalesce(p_hint, '');
END $$;

COMMENT ON FUNCTION logic.raise_error(p_code text, p_message text, p_detail text, p_hint text) IS 'Raises the project SQLSTATE of an error code with message, detail and hint.';

CREATE FUNCTION logic.refusal(p_code text, p_fields jsonb, p_description text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    RETURN (SELECT r.result || jsonb_build_object('errors', jsonb_build_array(r.error || jsonb_build_object(
                   'description', coalesce(p_description, r.error ->> 'description'))))
        FROM (SELECT x.result, x.result -> 'errors' -> 0 AS error
              FROM (SELECT logic.result(ARRAY[p_code], p_fields, NULL, p_fields) AS result) x) r);
END $$;

CREATE FUNCTION logic.refuse_audit_events_change() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'SU070', CONSTRAINT = 'audit_events_append_only',
        MESSAGE = format('audit_events_append_only: audit events cannot be changed (%s)', TG_OP);
END $$;

CREATE FUNCTION logic.relationship_expiry_problem(p_expires_at timestamp with time zone) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    RETURN (SELECT format('--expires %s is outside the allowed range: after %s and at most two years after activation (%s when activated now).',
                      CASE WHEN isfinite(p_expires_at) THEN to_char(p_expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
                           ELSE p_expires_at::text END,
                      to_char(statement_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                      to_char((statement_timestamp() + interval '2 years') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))
        WHERE p_expires_at <= statement_timestamp() OR p_expires_at > statement_timestamp() + interval '2 years');
END $$;

CREATE FUNCTION logic.relationship_state(p_partner text, p_customer_id uuid, p_service_id text) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    r core.relationships;
BEGIN
    SELECT * INTO r FROM core.relationships
    WHERE customer_id = p_customer_id AND service_id = p_service_id AND partner_id = p_partner AND status = 'active';
    IF r.id IS NOT NULL AND r.expires_at > statement_timestamp() THEN
        RETURN jsonb_build_object('status', 'active', 'expires_at', r.expires_at);
    END IF;
    IF EXISTS (SELECT 1 FROM core.relationships o
               WHERE o.customer_id = p_customer_id AND o.service_id = p_service_id AND o.status = 'active'
                 AND o.partner_id <> p_partner AND o.expires_at > statement_timestamp()) THEN
        RETURN jsonb_build_object('status', 'held_by_another_partner', 'expires_at', NULL);
    END IF;
    SELECT * INTO r FROM core.relationships
    WHERE customer_id = p_customer_id AND service_id = p_service_id AND partner_id = p_partner
    ORDER BY status = 'requested' DESC, status = 'active' DESC, requested_at DESC, ended_at DESC NULLS FIRST
    LIMIT 1;
    RETURN jsonb_build_object(
        'status', CASE WHEN r.id IS NULL THEN 'none' WHEN r.status = 'active' THEN 'expired' ELSE r.status END,
        'expires_at', r.expires_at);
END $$;

CREATE FUNCTION logic.request_replay(p_partner text, p_request_id text, p_operation text, p_parameters jsonb) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    r core.request_ids;
BEGIN
    IF p_request_id IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT * INTO r FROM core.request_ids WHERE partner_id = p_partner AND request_id = p_request_id;
    IF r.request_id IS NULL THEN
        RETURN NULL;
    END IF;
    IF r.operation = p_operation AND r.parameters = p_parameters THEN
        RETURN r.result;
    END IF;
    -- Audited against the subscription named (its customer only when visible), and shaped
    -- like the operation's own result (SPEC 6: source_subscription_id, quantity, ...).
    PERFORM logic.audit_rejection(p_operation, ARRAY['request_id_reused'], p_parameters, p_request_id);
    RETURN logic.result(ARRAY['request_id_reused'], CASE WHEN p_parameters ? 'subscription_id' THEN jsonb_build_object(
        'source_subscription_id', p_parameters -> 'subscription_id', 'target_subscription_id', NULL,
        'quantity', p_parameters -> 'quantity') ELSE '{}' END,
        p_partner, p_parameters || jsonb_build_object('request_id', p_request_id, 'operation', p_operation));
END $$;

CREATE FUNCTION logic.requests_remember(p_partner text, p_operation text, p_request_ids text[], p_parameters jsonb[], p_results jsonb[]) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_missing text;
BEGIN
    IF cardinality(p_request_ids) IS DISTINCT FROM cardinality(p_parameters)
       OR cardinality(p_request_ids) IS DISTINCT FROM cardinality(p_results) THEN
        RAISE EXCEPTION 'logic.requests_remember: % request ids, % parameters, % results',
            cardinality(p_request_ids), cardinality(p_parameters), cardinality(p_results);
    END IF;
    WITH requests AS (
        SELECT r.request_id, r.parameters, r.result
        FROM unnest(p_request_ids, p_parameters, p_results) AS r (request_id, parameters, result)
        WHERE r.request_id IS NOT NULL AND r.result IS NOT NULL),
    stored AS (
        INSERT INTO core.request_ids (partner_id, request_id, operation, parameters, result)
        SELECT p_partner, r.request_id, p_operation, r.parameters, r.result FROM requests r
        ON CONFLICT DO NOTHING
        RETURNING request_id)
    SELECT min(r.request_id) INTO v_missing FROM requests r
    WHERE r.request_id NOT IN (SELECT s.request_id FROM stored s);
    IF v_missing IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'serialization_failure',
            MESSAGE = format('request id %s was used concurrently; retry to get its result', v_missing);
    END IF;
END $$;

CREATE FUNCTION logic.require_comment(p_comment text) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

CREATE FUNCTION logic.require_display_name(p_name text, p_what text) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_name text := core.display_name_trimmed(p_name);
    v_problem text := core.display_name_problem(v_name);
BEGIN
    IF v_problem IS NOT NULL THEN
        PERFORM logic.raise_error('invalid_argument', format('the %s %s', p_what, v_problem), NULL,
                                 format('a name is 1-%s visible characters', core.display_name_max_length()));
    END IF;
    RETURN v_name;
END $$;

CREATE FUNCTION logic.require_distinct_customers(p_caller text, p_parameters jsonb[], p_customers uuid[]) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    IF NOT (SELECT count(DISTINCT s.customer_id) = count(*)
            FROM unnest(p_parameters) p JOIN core.subscriptions s ON s.id = (p ->> 'subscription_id')::uuid
            WHERE s.customer_id = ANY (p_customers)) THEN
        RAISE EXCEPTION '%: the requests of one call must be of distinct customers', p_caller;
    END IF;
END $$;

CREATE FUNCTION logic.require_partner() RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

CREATE FUNCTION logic.resolve_customer(p_partner text, p_text text) RETURNS uuid
    LANGUAGE plpgsql STABLE
    SET plan_cache_mode TO 'force_custom_plan'
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_text text := btrim(p_text);
    v_ids uuid[];
    v_candidates jsonb;
BEGIN
    IF v_text IS NULL OR v_text = '' THEN
        PERFORM logic.raise_error('invalid_argument', 'CUSTOMER is empty: give its id, domain or name');
    END IF;
    IF v_text ~* '^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$' THEN
        IF logic.customer_visible(p_partner, v_text::uuid)
           OR (p_partner IS NULL AND EXISTS (SELECT 1 FROM core.customers WHERE id = v_text::uuid)) THEN
            RETURN v_text::uuid;
        END IF;
        PERFORM logic.raise_error('customer_not_found', format('customer %s does not exist', lower(v_text)));
    END IF;
    SELECT array_agg(c.id) INTO v_ids FROM core.customers c
    WHERE c.domain = lower(v_text) AND (p_partner IS NULL OR logic.customer_visible(p_partner, c.id));
    IF cardinality(v_ids) = 1 THEN
        RETURN v_ids[1];
    END IF;
    IF length(v_text) > core.display_name_max_length() THEN  -- no name is as long: not read
        PERFORM logic.raise_error('customer_not_found', format('no customer has the id or domain %s', to_json(left(v_text, 80) || '…')),
                                 NULL, 'subctl customer list --search TEXT');
    END IF;
    v_ids := ARRAY(SELECT c.id FROM core.customers c
                   WHERE lower(c.name) = lower(v_text) AND (p_partner IS NULL OR logic.customer_visible(p_partner, c.id))
                   ORDER BY c.name, c.id LIMIT 11);
    IF cardinality(v_ids) = 0 THEN
        v_ids := ARRAY(SELECT c.id FROM core.customers c
                       WHERE c.name ILIKE '%' || logic.like_literal(v_text) || '%' AND (p_partner IS NULL OR logic.customer_visible(p_partner, c.id))
                       ORDER BY c.name, c.id LIMIT 11);
    END IF;
    IF cardinality(v_ids) = 1 THEN
        RETURN v_ids[1];
    ELSIF cardinality(v_ids) = 0 THEN
        PERFORM logic.raise_error('customer_not_found', format('no customer has the id, domain or name %s', to_json(v_text)),
                                 NULL, 'subctl customer list --search TEXT');
    END IF;
    SELECT jsonb_agg(jsonb_build_object('id', c.id, 'name', c.name, 'domain', c.domain) ORDER BY c.name, c.id)
    INTO v_candidates FROM core.customers c WHERE c.id = ANY (v_ids[1:10]);
    PERFORM logic.raise_error('customer_ambiguous',
        format('%s matches %s customers: %s', to_json(v_text), CASE WHEN cardinality(v_ids) > 10 THEN 'more than 10' ELSE cardinality(v_ids)::text END,
               (SELECT string_agg(format('%s (%s%s)', x ->> 'name', coalesce((x ->> 'domain') || ', ', ''), x ->> 'id'), '; ')
                FROM jsonb_array_elements(v_candidates) x)),
        v_candidates::text, 'name one by its id or domain');
    RETURN NULL;  -- not reached: logic.raise_error raises
END $_$;

CREATE FUNCTION logic.resolve_subscription(p_partner text, p_text text) RETURNS uuid
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_text text := lower(btrim(p_text));
    v_hex text := replace(lower(btrim(p_text)), '-', '');
    v_low uuid;
    v_high uuid;
    v_ids uuid[];
BEGIN
    IF v_text IS NULL OR v_hex !~ '^[0-9a-f]{1,32}$' THEN
        PERFORM logic.raise_error('invalid_argument', format('SUBSCRIPTION %s is not a subscription id or a prefix of one',
                                                             to_json(p_text)));
    END IF;
    IF length(v_hex) < core.id_prefix_min_length() THEN
        PERFORM logic.raise_error('invalid_argument', format('SUBSCRIPTION %s is too short: give at least %s characters of the id',
                                                             to_json(p_text), core.id_prefix_min_length()));
    END IF;
    v_low := rpad(v_hex, 32, '0')::uuid;
    v_high := rpad(v_hex, 32, 'f')::uuid;
    IF position('-' IN v_text) > 0 AND left(v_low::text, length(v_text)) <> v_text THEN
        PERFORM logic.raise_error('invalid_argument', format('SUBSCRIPTION %s: hyphens go where the canonical form has them (8-4-4-4-12)',
                                                             to_json(p_text)));
    END IF;
    v_ids := ARRAY(SELECT s.id FROM core.subscriptions s
                   WHERE s.id BETWEEN v_low AND v_high AND logic.customer_visible(p_partner, s.customer_id)
                   ORDER BY s.id LIMIT 11);
    IF cardinality(v_ids) = 1 THEN
        RETURN v_ids[1];
    ELSIF cardinality(v_ids) = 0 THEN
        PERFORM logic.raise_error('subscription_not_found', format('subscription %s does not exist',
            CASE WHEN length(v_hex) = 32 THEN v_low::text ELSE v_text || '...' END));
    END IF;
    PERFORM logic.raise_error('subscription_ambiguous',
        format('%s is the start of %s subscription ids: %s', to_json(p_text),
               CASE WHEN cardinality(v_ids) > 10 THEN 'more than 10' ELSE cardinality(v_ids)::text END,
               (SELECT string_agg(format('%s (%s)', s.id, s.offer_id), ', ' ORDER BY s.id)
                FROM core.subscriptions s WHERE s.id = ANY (v_ids[1:10]))),
        (SELECT jsonb_agg(jsonb_build_object('id', s.id, 'customer_id', s.customer_id, 'offer_id', s.offer_id) ORDER BY s.id)
         FROM core.subscriptions s WHERE s.id = ANY (v_ids[1:10]))::text,
        'give more characters of the id');
    RETURN NULL;  -- not reached: logic.raise_error raises
END $_$;

CREATE FUNCTION logic.result(p_codes text[], p_fields jsonb, p_partner text DEFAULT NULL::text, p_request jsonb DEFAULT '{}'::jsonb) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    -- The outcome comes last so that a field named status in p_fields cannot mask it.
    RETURN p_fields || jsonb_build_object('status', CASE WHEN cardinality(p_codes) = 0 THEN 'succeeded' ELSE 'rejected' END,
                                          'errors', CASE WHEN cardinality(p_codes) = 0 THEN '[]'::jsonb
                                                         WHEN p_partner IS NULL THEN logic.describe_errors(p_codes, '{}', p_request)
                                                         ELSE logic.error_objects(p_partner, p_codes, p_request) END);
END $$;

CREATE FUNCTION logic.row_changes(p_old jsonb, p_new jsonb) RETURNS jsonb
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    RETURN (SELECT coalesce(jsonb_object_agg(k.key, jsonb_build_array(p_old -> k.key, p_new -> k.key)), '{}')
            FROM jsonb_object_keys(coalesce(p_new, p_old)) AS k (key)
            WHERE k.key NOT IN ('version', 'updated_at', 'created_at')
              AND (p_old -> k.key) IS DISTINCT FROM (p_new -> k.key)
              AND (coalesce(p_old -> k.key, 'null') <> 'null' OR coalesce(p_new -> k.key, 'null') <> 'null'));
END $$;

CREATE FUNCTION logic.run_operation(p_operation text, p_parameters jsonb, p_request_id text, p_dry_run boolean, p_batch_id text DEFAULT NULL::text, p_comment text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_partner text := logic.require_partner();
    v_result jsonb;
    v_dry_run_result text;
    v_enclosed boolean;
BEGIN
    IF p_dry_run THEN
        BEGIN
            v_result := logic.run_operation(p_operation, p_parameters, p_request_id, false, p_batch_id, p_comment);
            RAISE EXCEPTION USING ERRCODE = 'SU099', MESSAGE = 'dry run', DETAIL = v_result::text;
        EXCEPTION WHEN SQLSTATE 'SU099' THEN
            GET STACKED DIAGNOSTICS v_dry_run_result = PG_EXCEPTION_DETAIL;
        END;
        -- A request id used before with these parameters: the replay a real run would
        -- return, its status the stored one, saying that it is a replay (nothing is
        -- applied either way).
        IF EXISTS (SELECT 1 FROM core.request_ids WHERE partner_id = v_partner AND request_id = p_request_id
                   AND operation = p_operation AND parameters = p_parameters) THEN
            RETURN v_dry_run_result::jsonb || jsonb_build_object('replayed', true);
        END IF;
        -- No dry run has a target (SPEC 7.2): one it would create is gone with it, and one
        -- it would grow (upgrade --into) is named by into_subscription_id.
        v_result := jsonb_set(v_dry_run_result::jsonb, '{status}', '"dry_run"');
        IF v_result ? 'target_subscription_id' THEN
            v_result := jsonb_set(v_result, '{target_subscription_id}', 'null');
        END IF;
        RETURN v_result;
    END IF;
    PERFORM logic.begin_operation(p_operation, p_request_id, p_comment, p_batch_id);
    v_result := logic.request_replay(v_partner, p_request_id, p_operation, p_parameters);
    IF v_result IS NOT NULL THEN
        RETURN v_result || jsonb_build_object('request_id', p_request_id);
    END IF;
    v_enclosed := logic.upgrade_options_defer();  -- one refresh of the stored options, at the end
    v_result := logic.dispatch_operation(v_partner, p_operation, p_parameters);
    IF v_result ->> 'status' = 'rejected' THEN
        PERFORM logic.audit_rejection(
            p_operation, ARRAY(SELECT e ->> 'code' FROM jsonb_array_elements(v_result -> 'errors') e),
            p_parameters, p_request_id);
    END IF;
    PERFORM logic.upgrade_options_flush(v_enclosed);
    RETURN logic.request_remember(v_partner, p_request_id, p_operation, p_parameters, v_result)
           || jsonb_build_object('request_id', p_request_id);
END $$;

CREATE FUNCTION logic.sold_and_active_errors(p_partner text, p_status text, p_reseller_partner_id text) RETURNS text[]
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    RETURN array_remove(ARRAY[
        CASE WHEN p_status IN ('suspended', 'cancelled') THEN 'subscription_status_not_active' END,
        CASE WHEN p_status = 'pending' THEN 'subscription_not_provisioned' END,
        CASE WHEN p_reseller_partner_id IS DISTINCT FROM p_partner THEN 'not_reseller_of_record' END
    ], NULL);
END $$;

CREATE FUNCTION logic.status_apply(p_partner text, p_parameters jsonb[], p_operation text, p_request_ids text[] DEFAULT NULL::text[]) RETURNS TABLE(ord bigint, result jsonb)
    LANGUAGE plpgsql
    SET plan_cache_mode TO 'force_generic_plan'
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_to text := CASE p_operation WHEN 'suspend' THEN 'suspended' WHEN 'cancel' THEN 'cancelled' ELSE 'active' END;
    v_customers uuid[];
    v_evaluated jsonb;
    v_applied uuid[];
    v_add_on_ids uuid[] := '{}'::uuid[];
    v_add_on_parents uuid[] := '{}'::uuid[];
    v_changed jsonb := '{}'::jsonb;  -- {subscription id: [status, version]} of the changed ones
    v_add_ons jsonb := '{}'::jsonb;  -- {subscription id: [its add-ons cancelled]}
    v_released jsonb := '{}'::jsonb;  -- {subscription id: licenses released}
BEGIN
    IF p_operation NOT IN ('activate', 'suspend', 'reactivate', 'cancel') THEN
        RAISE EXCEPTION 'logic.status_apply: unknown operation %', p_operation;
    END IF;
    v_customers := logic.lock_request_customers(p_partner, p_parameters);
    PERFORM logic.require_distinct_customers('logic.status_apply', p_parameters, v_customers);
    SELECT jsonb_agg(jsonb_build_object('ord', e.ord, 'id', e.id, 'found', e.found, 'status', e.status,
                                        'version', e.version, 'if_version', e.if_version,
                                        'request_id', p_request_ids[e.ord], 'codes', to_jsonb(e.codes)) ORDER BY e.ord)
    INTO v_evaluated
    FROM (SELECT r.ord, (r.p ->> 'subscription_id')::uuid AS id, r.p -> 'if_version' AS if_version,
                 s.id AS found, s.status, s.version,
                 CASE WHEN s.id IS NULL THEN ARRAY['subscription_not_found'] ELSE array_remove(ARRAY[
                     CASE WHEN (r.p ->> 'if_version')::bigint <> s.version THEN 'version_mismatch' END,
                     CASE WHEN NOT (s.partner_id = p_partner OR (s.channel <> 'csp' AND s.recorded_by_partner_id = p_partner))
                          THEN 'not_reseller_of_record' END,
                     CASE WHEN NOT CASE p_operation
                                       WHEN 'activate' THEN s.status = 'pending'
                                       WHEN 'suspend' THEN s.status = 'active'
                                       WHEN 'reactivate' THEN s.status = 'suspended' AND s.status_reason IS DISTINCT FROM 'upgraded'
                                       WHEN 'cancel' THEN s.status IN ('active', 'suspended') END
                          THEN 'invalid_status_transition' END], NULL) END AS codes
          FROM unnest(p_parameters) WITH ORDINALITY AS r (p, ord)
          LEFT JOIN core.subscriptions s ON s.id = (r.p ->> 'subscription_id')::uuid AND s.customer_id = ANY (v_customers)) e;
    v_applied := ARRAY(SELECT (e ->> 'found')::uuid FROM jsonb_array_elements(v_evaluated) e
                       WHERE jsonb_array_length(e -> 'codes') = 0);
    IF v_to = 'cancelled' AND cardinality(v_applied) > 0 THEN  -- (read under the locks: they stay as read)
        SELECT coalesce(array_agg(a.id ORDER BY a.id), '{}'), coalesce(array_agg(a.parent_subscription_id ORDER BY a.id), '{}')
        INTO v_add_on_ids, v_add_on_parents
        FROM core.subscriptions a WHERE a.parent_subscription_id = ANY (v_applied) AND a.status <> 'cancelled';
    END IF;
    IF p_request_ids IS NOT NULL THEN  -- each audit event under its own request's id (an add-on: its parent's)
        PERFORM set_config('subctl.request_ids', coalesce((
            SELECT jsonb_object_agg(x.id, x.request_id)
            FROM (SELECT e ->> 'found' AS id, e -> 'request_id' AS request_id FROM jsonb_array_elements(v_evaluated) e
                  WHERE jsonb_array_length(e -> 'codes') = 0
                  UNION ALL
                  SELECT a.id::text, e -> 'request_id' FROM unnest(v_add_on_ids, v_add_on_parents) AS a (id, parent)
                  JOIN jsonb_array_elements(v_evaluated) e ON e ->> 'found' = a.parent::text) x
            WHERE x.request_id <> 'null'), '{}')::text, true);
    END IF;
    IF cardinality(v_applied) > 0 THEN
        WITH changed AS (
            UPDATE core.subscriptions s
            SET status = v_to, status_reason = CASE WHEN v_to = 'active' THEN NULL ELSE 'operator' END
            WHERE s.id = ANY (v_applied)
            RETURNING s.id, s.status, s.version)
        SELECT coalesce(jsonb_object_agg(c.id, jsonb_build_array(c.status, c.version)), '{}') INTO v_changed FROM changed c;
    END IF;
    IF cardinality(v_add_on_ids) > 0 THEN
        UPDATE core.subscriptions a SET status = 'cancelled', status_reason = 'parent_cancelled'
        WHERE a.id = ANY (v_add_on_ids);
        SELECT jsonb_object_agg(x.parent, x.ids) INTO v_add_ons
        FROM (SELECT a.parent, jsonb_agg(a.id ORDER BY a.id) AS ids FROM unnest(v_add_on_ids, v_add_on_parents) AS a (id, parent)
              GROUP BY a.parent) x;
    END IF;
    -- a cancelled subscription (and its add-ons) holds no user's license
    IF v_to = 'cancelled' AND EXISTS (SELECT 1 FROM core.license_assignments a
                                      WHERE a.subscription_id = ANY (v_applied || v_add_on_ids)) THEN
        WITH released AS (
            DELETE FROM core.license_assignments a WHERE a.subscription_id = ANY (v_applied || v_add_on_ids)
            RETURNING a.subscription_id)
        SELECT coalesce(jsonb_object_agg(x.parent, x.n), '{}') INTO v_released
        FROM (SELECT coalesce(o.parent, r.subscription_id) AS parent, count(*) AS n
              FROM released r LEFT JOIN unnest(v_add_on_ids, v_add_on_parents) AS o (id, parent) ON o.id = r.subscription_id
              GROUP BY 1) x;
    END IF;
    IF p_request_ids IS NOT NULL THEN
        PERFORM set_config('subctl.request_ids', '', true);
    END IF;
    RETURN QUERY
    SELECT (e ->> 'ord')::bigint, logic.result(ARRAY(SELECT jsonb_array_elements_text(e -> 'codes')), jsonb_build_object(
               'subscription_id', e -> 'id',
               'subscription_status', coalesce(v_changed -> (e ->> 'found') -> 0, e -> 'status'),
               'version', coalesce(v_changed -> (e ->> 'found') -> 1, e -> 'version'),
               'cancelled_add_ons', coalesce(v_add_ons -> (e ->> 'found'), '[]'),
               'licenses_released', coalesce((v_released ->> (e ->> 'found'))::bigint, 0::bigint)),
               p_partner, jsonb_strip_nulls(jsonb_build_object('subscription_id', e -> 'id', 'operation', p_operation,
                                                               'if_version', e -> 'if_version')))
    FROM jsonb_array_elements(v_evaluated) e
    ORDER BY (e ->> 'ord')::bigint;
END $$;

CREATE FUNCTION logic.subscription_in_force(p_status text, p_status_reason text) RETURNS boolean
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    RETURN p_status <> 'cancelled' AND p_status_reason IS DISTINCT FROM 'upgraded';
END $$;

CREATE FUNCTION logic.subscription_json(p_partner text, s core.subscriptions) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    -- Another partner's identity is never shown: only the acting partner's own id.
    RETURN jsonb_build_object(
        'id', s.id, 'customer_id', s.customer_id, 'offer_id', s.offer_id, 'quantity', s.quantity,
        'status', s.status, 'status_reason', s.status_reason, 'channel', s.channel,
        'partner_id', CASE WHEN s.partner_id = p_partner THEN s.partner_id END,
        'billing_cycle', s.billing_cycle, 'version', s.version,
        'parent_subscription_id', s.parent_subscription_id,
        'upgraded_to', s.upgraded_to_subscription_id, 'upgraded_from', s.upgraded_from_subscription_id,
        'created_at', s.created_at, 'updated_at', s.updated_at);
END $$;

CREATE FUNCTION logic.subscriptions_detail(p_partner text, p_customer_id uuid, p_offer_ids text[], p_plans text[] DEFAULT NULL::text[], p_except uuid DEFAULT NULL::uuid) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    RETURN (SELECT coalesce(jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
                       'id', x.id, 'offer', x.offer_id, 'channel', x.channel,
                       'sold_by_you', x.partner_id IS NOT DISTINCT FROM p_partner,
                       'plans', CASE WHEN p_plans IS NOT NULL THEN to_jsonb(ARRAY(
                           SELECT op.service_plan_id FROM core.offer_service_plans op
                           WHERE op.offer_id = x.offer_id AND op.service_plan_id = ANY (p_plans) ORDER BY 1)) END))
                       ORDER BY x.created_at, x.id), '[]')
            FROM core.subscriptions x
            WHERE x.customer_id = p_customer_id AND x.offer_id = ANY (p_offer_ids) AND logic.subscription_in_force(x.status, x.status_reason)
              AND x.id IS DISTINCT FROM p_except);
END $$;

CREATE FUNCTION logic.upgrade_apply(p_partner text, p_parameters jsonb[], p_request_ids text[] DEFAULT NULL::text[]) RETURNS TABLE(ord bigint, result jsonb)
    LANGUAGE plpgsql
    SET plan_cache_mode TO 'force_generic_plan'
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_sources core.subscriptions[];
    v_found bigint[];  -- the ord of each found source
    v_targets text[];
    v_quantities bigint[];
    v_if_versions bigint[];
    v_transfers boolean[];
    v_into_ids uuid[];  -- the subscription each found source goes into, as asked (NULL: a new one)
    v_intos core.subscriptions[];  -- that subscription when the partner sees it
    v_customers_distinct boolean;
    v_customers uuid[];
    v_moving uuid[];  -- the sources whose assignments move, if upgraded
BEGIN
    v_customers := logic.lock_request_customers(p_partner, p_parameters);
    -- The sources as they are now (after the locks), when they exist for the partner; the
    -- subscriptions they go into are read after the same locks (one of another customer
    -- is refused, never changed).
    SELECT array_agg(s ORDER BY r.ord), array_agg(r.ord ORDER BY r.ord),
           array_agg(coalesce(r.p ->> 'target_offer', i.offer_id) ORDER BY r.ord),
           array_agg(coalesce((r.p ->> 'quantity')::bigint, s.quantity) ORDER BY r.ord),
           array_agg((r.p ->> 'if_version')::bigint ORDER BY r.ord),
           array_agg(coalesce((r.p ->> 'license_transfer')::boolean, true) ORDER BY r.ord),
           array_agg((r.p ->> 'into_subscription_id')::uuid ORDER BY r.ord),
           array_agg(i ORDER BY r.ord),
           -- the sources whose users' licenses move if they are upgraded (an active source
           -- is replaced by its upgrade here); none in the usual case
           array_agg(s.id) FILTER (WHERE coalesce((r.p ->> 'license_transfer')::boolean, true) AND s.status = 'active'
                                     AND EXISTS (SELECT 1 FROM core.license_assignments a WHERE a.subscription_id = s.id)),
           count(DISTINCT s.customer_id) = count(*)
    INTO v_sources, v_found, v_targets, v_quantities, v_if_versions, v_transfers, v_into_ids, v_intos, v_moving,
         v_customers_distinct
    FROM unnest(p_parameters) WITH ORDINALITY AS r (p, ord)
    JOIN core.subscriptions s ON s.id = (r.p ->> 'subscription_id')::uuid
    LEFT JOIN core.subscriptions i ON i.id = (r.p ->> 'into_subscription_id')::uuid
                                  AND logic.customer_visible(p_partner, i.customer_id)
    WHERE s.customer_id = ANY (v_customers);
    IF NOT v_customers_distinct THEN
        RAISE EXCEPTION 'logic.upgrade_apply: the requests of one call must be of distinct customers';
    END IF;
    IF p_request_ids IS NOT NULL THEN  -- each audit event under its own request's id (a target it grows too)
        PERFORM set_config('subctl.request_ids', coalesce((
            SELECT jsonb_object_agg(x.id, p_request_ids[v_found[x.i]])
            FROM generate_subscripts(v_found, 1) AS g (i)
            CROSS JOIN LATERAL (VALUES (g.i, (v_sources[g.i]).id), (g.i, (v_intos[g.i]).id)) AS x (i, id)
            WHERE p_request_ids[v_found[x.i]] IS NOT NULL AND x.id IS NOT NULL), '{}')::text, true);
    END IF;
    RETURN QUERY
    WITH requests AS (
        SELECT r.ord, (r.p ->> 'subscription_id')::uuid AS source_id, r.p ->> 'target_offer' AS target_offer,
               (r.p ->> 'into_subscription_id')::uuid AS into_id,
               (r.p ->> 'quantity')::bigint AS quantity, r.p -> 'if_version' AS if_version,
               CASE WHEN coalesce((r.p ->> 'license_transfer')::boolean, true) THEN 'upgrade_with_license_transfer'
                    ELSE 'upgrade_only' END AS upgrade_type
        FROM unnest(p_parameters) WITH ORDINALITY AS r (p, ord)),
    evaluated AS MATERIALIZED (  -- a found source is v_sources[e.i], as read after the locks
        SELECT r.ord, r.source_id, coalesce(v_targets[e.i], r.target_offer) AS target_offer, r.into_id,
               (v_sources[e.i]).customer_id, (v_sources[e.i]).billing_cycle,
               coalesce(v_quantities[e.i], r.quantity) AS quantity,
               -- the target's quantity: the quantity asked, or what the existing one grows to
               coalesce((v_intos[e.i]).quantity, 0) + coalesce(v_quantities[e.i], r.quantity) AS target_quantity,
               r.if_version, r.upgrade_type,
               (v_sources[e.i]).offer_id AS source_offer, (v_sources[e.i]).quantity AS source_quantity,
               CASE WHEN e.ord IS NULL THEN ARRAY['subscription_not_found'] ELSE e.error_codes END AS codes,
               coalesce(e.licenses_assigned, 0) AS licenses_assigned
        FROM requests r
        LEFT JOIN (SELECT v_found[x.ord] AS ord, x.ord AS i, x.error_codes, x.licenses_assigned
                   FROM logic.upgrade_request_errors(p_partner, v_sources, v_targets, v_quantities, v_if_versions,
                                                     v_transfers, v_into_ids, v_intos) x) e
               ON e.ord = r.ord),
    targets AS (
        INSERT INTO core.subscriptions (customer_id, offer_id, quantity, billing_cycle, status, channel,
                                        partner_id, recorded_by_partner_id, upgraded_from_subscription_id)
        SELECT e.customer_id, e.target_offer, e.quantity, e.billing_cycle, 'active', 'csp', p_partner, p_partner, e.source_id
        FROM evaluated e WHERE cardinality(e.codes) = 0 AND e.into_id IS NULL ORDER BY e.ord
        RETURNING id, upgraded_from_subscription_id),
    grown AS (
        UPDATE core.subscriptions t SET quantity = e.target_quantity
        FROM evaluated e WHERE cardinality(e.codes) = 0 AND t.id = e.into_id
        RETURNING t.id, e.source_id AS upgraded_from_subscription_id),
    upgraded AS (
        SELECT t.id, t.upgraded_from_subscription_id FROM targets t
        UNION ALL
        SELECT g.id, g.upgraded_from_subscription_id FROM grown g),
    sources AS (
        UPDATE core.subscriptions s
        SET status = 'suspended', status_reason = 'upgraded', upgraded_to_subscription_id = t.id
        FROM upgraded t WHERE s.id = t.upgraded_from_subscription_id
        RETURNING s.id)
    SELECT e.ord, logic.result(e.codes, jsonb_build_object(
               'source_subscription_id', e.source_id, 'target_offer', e.target_offer,
               'target_subscription_id', t.id, 'quantity', e.target_quantity, 'upgrade_type', e.upgrade_type,
               'licenses_transferred', CASE WHEN t.id IS NOT NULL AND e.upgrade_type = 'upgrade_with_license_transfer'
                                            THEN e.licenses_assigned ELSE 0 END)
               || CASE WHEN e.into_id IS NOT NULL
                       THEN jsonb_build_object('into_subscription_id', e.into_id, 'quantity_added', e.quantity) ELSE '{}' END
               || CASE WHEN t.id IS NOT NULL THEN jsonb_build_object('next_steps', logic.upgrade_next_steps(
                      e.source_offer, e.source_quantity, e.target_offer, e.quantity, e.upgrade_type,
                      e.licenses_assigned, e.source_id, t.id, e.customer_id, e.into_id IS NOT NULL)) ELSE '{}' END,
               p_partner, jsonb_strip_nulls(jsonb_build_object(
                   'subscription_id', e.source_id, 'target_offer', e.target_offer, 'quantity', e.target_quantity,
                   'if_version', e.if_version, 'into_subscription_id', e.into_id,
                   'quantity_added', CASE WHEN e.into_id IS NOT NULL THEN e.quantity END)))
    FROM evaluated e LEFT JOIN upgraded t ON t.upgraded_from_subscription_id = e.source_id
    ORDER BY e.ord;
    -- The users' licenses move with each upgrade that transfers them: one statement for the
    -- whole set, and none when no source has assignments (the usual case: an index probe
    -- per source was all it cost). Of the sources read above, those upgraded here are
    -- replaced now. A user who already holds a license of a target upgraded into keeps
    -- that one.
    IF v_moving IS NOT NULL THEN
        IF p_request_ids IS NOT NULL THEN  -- a moved license's events under its upgrade's request id, on both ends
            -- (MATERIALIZED: the setting parsed once, not again for every entry)
            PERFORM set_config('subctl.request_ids', (
                WITH r AS MATERIALIZED (SELECT current_setting('subctl.request_ids')::jsonb AS ids)
                SELECT r.ids || coalesce(jsonb_object_agg(s.upgraded_to_subscription_id, m.value) FILTER (WHERE s.id IS NOT NULL), '{}')
                FROM r
                LEFT JOIN LATERAL jsonb_each(r.ids) m ON true
                LEFT JOIN core.subscriptions s ON s.id = m.key::uuid AND s.id = ANY (v_moving) AND s.status_reason = 'upgraded'
                                               AND s.upgraded_to_subscription_id IS NOT NULL
                GROUP BY r.ids)::text, true);
        END IF;
        WITH moved AS (
            DELETE FROM core.license_assignments a USING core.subscriptions s
            WHERE a.subscription_id = s.id AND s.id = ANY (v_moving) AND s.status_reason = 'upgraded'
            RETURNING s.upgraded_to_subscription_id AS target_id, a.user_id, a.customer_id, a.assigned_at)
        INSERT INTO core.license_assignments (subscription_id, user_id, customer_id, assigned_at)
        SELECT m.target_id, m.user_id, m.customer_id, m.assigned_at FROM moved m
        ON CONFLICT (subscription_id, user_id) DO NOTHING;
    END IF;
    IF p_request_ids IS NOT NULL THEN
        PERFORM set_config('subctl.request_ids', '', true);
    END IF;
END $$;

CREATE FUNCTION logic.upgrade_evaluations(p_customer_ids uuid[], p_partner text, p_sold_in_force_only boolean DEFAULT false, p_into uuid[] DEFAULT '{}'::uuid[]) RETURNS TABLE(subscription_id uuid, customer_id uuid, source_offer_id text, target_offer_id text, error_codes text[])
    LANGUAGE plpgsql STABLE ROWS 10
    SET plan_cache_mode TO 'force_generic_plan'
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    RETURN QUERY
    SELECT f.subscription_id, f.customer_id, f.source_offer_id, f.target_offer_id,
           logic.by_relationship_now(f.relationship_expires_at, f.error_codes_related, f.error_codes_unrelated)
    FROM logic.upgrade_path_facts(p_customer_ids, p_partner, p_sold_in_force_only, p_into) f;
END $$;

COMMENT ON FUNCTION logic.upgrade_evaluations(p_customer_ids uuid[], p_partner text, p_sold_in_force_only boolean, p_into uuid[]) IS 'Every upgrade path of every subscription of some customers with all the error codes that apply for a partner now (logic.upgrade_path_facts at this time).';

CREATE FUNCTION logic.upgrade_into_errors(p_partner text, p_source core.subscriptions, p_into_id uuid, p_into core.subscriptions, p_target_offer_id text) RETURNS text[]
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    RETURN CASE WHEN p_into_id IS NULL THEN '{}'::text[]
                WHEN p_into.id IS NULL THEN ARRAY['into_subscription_not_found']
                ELSE array_remove(ARRAY[
        CASE WHEN p_into.customer_id <> p_source.customer_id THEN 'into_subscription_other_customer' END,
        CASE WHEN p_into.offer_id IS DISTINCT FROM p_target_offer_id THEN 'into_subscription_other_offer' END,
        CASE WHEN p_into.billing_cycle <> p_source.billing_cycle THEN 'into_subscription_other_billing_cycle' END,
        CASE WHEN p_into.status <> 'active' THEN 'into_subscription_not_active' END,
        CASE WHEN p_into.partner_id IS DISTINCT FROM p_partner THEN 'into_subscription_not_reseller_of_record' END
                ], NULL) END;
END $$;

CREATE FUNCTION logic.upgrade_next_steps(p_source_offer text, p_source_quantity bigint, p_target_offer text, p_quantity bigint, p_upgrade_type text DEFAULT 'upgrade_with_license_transfer'::text, p_assigned bigint DEFAULT 0, p_source_id uuid DEFAULT NULL::uuid, p_target_id uuid DEFAULT NULL::uuid, p_customer_id uuid DEFAULT NULL::uuid, p_into boolean DEFAULT false) RETURNS jsonb
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    RETURN CASE WHEN p_assigned = 0 THEN jsonb_build_array(format(
               'assign the users of %s their licenses of %s in the Office 365 admin center operated by 21Vianet',
               p_source_offer, p_target_offer))
                WHEN p_upgrade_type = 'upgrade_only' THEN jsonb_build_array(format(
               'reassign the %s of the suspended subscription %s (%s) to %s (%s): subctl license unassign %s USER... then subctl license assign %s USER... (subctl user list --customer %s lists them)',
               CASE WHEN p_assigned = 1 THEN '1 user who holds a license' ELSE p_assigned || ' users who hold licenses' END, p_source_id, p_source_offer, p_target_id, p_target_offer, p_source_id, p_target_id, p_customer_id))
                ELSE '[]'::jsonb END
           || CASE WHEN p_quantity < p_source_quantity THEN jsonb_build_array(format(
               CASE WHEN p_into THEN '%s had %s licenses and %s grew by %s: choose the %s users who lose theirs in the Office 365 admin center operated by 21Vianet'
                    ELSE '%s had %s licenses and %s has %s: choose the %s users who lose theirs in the Office 365 admin center operated by 21Vianet' END,
               p_source_offer, p_source_quantity, p_target_offer, p_quantity, p_source_quantity - p_quantity)) ELSE '[]' END;
END $$;

CREATE FUNCTION logic.upgrade_options_defer() RETURNS boolean
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_enclosed boolean := logic.upgrade_options_deferred();
BEGIN
    IF NOT v_enclosed THEN
        PERFORM set_config('subctl.upgrade_options_deferred', 'on', true);
    END IF;
    RETURN v_enclosed;
END $$;

CREATE FUNCTION logic.upgrade_options_deferred() RETURNS boolean
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    RETURN coalesce(logic.setting('upgrade_options_deferred') = 'on', false);
END $$;

CREATE FUNCTION logic.upgrade_options_flush(p_enclosed boolean DEFAULT false) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_customers uuid[];
BEGIN
    IF p_enclosed THEN
        RETURN;
    END IF;
    v_customers := ARRAY(SELECT DISTINCT c::uuid FROM unnest(string_to_array(logic.setting('upgrade_options_pending'), ',')) c);
    PERFORM set_config('subctl.upgrade_options_pending', '', true),
            set_config('subctl.upgrade_options_deferred', '', true);
    IF cardinality(v_customers) > 0 THEN
        PERFORM logic.upgrade_options_refresh(v_customers);
    END IF;
END $$;

CREATE FUNCTION logic.upgrade_options_follow() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_customers uuid[];
    v_catalog_changed boolean := false;
BEGIN
    -- one statement per kind of trigger: each names only the transition tables it has
    IF TG_OP = 'TRUNCATE' THEN
        v_catalog_changed := true;
    ELSIF TG_TABLE_NAME = 'subscriptions' AND TG_OP = 'UPDATE' THEN
        -- the columns logic.upgrade_path_facts reads (a license change reads none)
        SELECT array_agg(DISTINCT c) INTO v_customers
        FROM old_rows o JOIN new_rows n USING (id), unnest(ARRAY[o.customer_id, n.customer_id]) c
        WHERE (o.customer_id, o.offer_id, o.status, o.status_reason, o.partner_id, o.billing_cycle, o.parent_subscription_id)
              IS DISTINCT FROM
              (n.customer_id, n.offer_id, n.status, n.status_reason, n.partner_id, n.billing_cycle, n.parent_subscription_id);
    ELSIF TG_TABLE_NAME = 'relationships' AND TG_OP = 'UPDATE' THEN
        SELECT array_agg(DISTINCT c) INTO v_customers
        FROM old_rows o JOIN new_rows n USING (id), unnest(ARRAY[o.customer_id, n.customer_id]) c
        WHERE (o.customer_id, o.service_id, o.partner_id, o.status, o.expires_at)
              IS DISTINCT FROM (n.customer_id, n.service_id, n.partner_id, n.status, n.expires_at);
    ELSIF TG_TABLE_NAME IN ('subscriptions', 'relationships') AND TG_OP = 'INSERT' THEN
        SELECT array_agg(DISTINCT customer_id) INTO v_customers FROM new_rows;
    ELSIF TG_TABLE_NAME IN ('subscriptions', 'relationships') THEN
        SELECT array_agg(DISTINCT customer_id) INTO v_customers FROM old_rows;
    ELSIF TG_TABLE_NAME = 'offers' THEN  -- of an offer, the rules read only its service
        v_catalog_changed := EXISTS (SELECT FROM old_rows o JOIN new_rows n USING (id)
                                     WHERE o.service_id IS DISTINCT FROM n.service_id);
    ELSIF TG_OP = 'DELETE' THEN
        v_catalog_changed := EXISTS (SELECT FROM old_rows);
    ELSE
        v_catalog_changed := EXISTS (SELECT FROM new_rows);
    END IF;
    IF v_catalog_changed THEN
        PERFORM logic.upgrade_path_catalog_refresh(), logic.upgrade_options_refresh(NULL);
    ELSIF v_customers IS NOT NULL AND logic.upgrade_options_deferred() THEN
        PERFORM set_config('subctl.upgrade_options_pending',
                           concat_ws(',', logic.setting('upgrade_options_pending'), array_to_string(v_customers, ',')), true);
    ELSIF v_customers IS NOT NULL THEN
        PERFORM logic.upgrade_options_refresh(v_customers);
    END IF;
    RETURN NULL;
END $$;

CREATE TABLE core.upgrade_options (
    subscription_id uuid NOT NULL,
    target_offer_id text NOT NULL,
    customer_id uuid NOT NULL,
    partner_id text NOT NULL,
    source_offer_id text NOT NULL,
    relationship_expires_at timestamp with time zone,
    error_mask_related bigint NOT NULL,
    error_mask_unrelated bigint NOT NULL
);

COMMENT ON TABLE core.upgrade_options IS 'The upgrade rules (core.upgrade_path_facts) of every subscription a partner sold that is in force, kept by triggers.';

COMMENT ON COLUMN core.upgrade_options.partner_id IS 'The reseller of record, for whom the rules are evaluated.';

COMMENT ON COLUMN core.upgrade_options.relationship_expires_at IS 'When the partner''s active delegated-admin relationship for the target''s service expires; NULL: none.';

COMMENT ON COLUMN core.upgrade_options.error_mask_related IS 'The error codes while that relationship is in force, as a bit mask (core.error_mask, core.error_codes_of).';

COMMENT ON COLUMN core.upgrade_options.error_mask_unrelated IS 'The error codes without it (after it expires), as a bit mask.';

CREATE FUNCTION logic.upgrade_options_of(p_customer_ids uuid[]) RETURNS SETOF core.upgrade_options
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    RETURN QUERY
    WITH f AS MATERIALIZED (SELECT * FROM logic.upgrade_path_facts(p_customer_ids, NULL, true)),
    code_sets AS MATERIALIZED (
        SELECT s.codes, logic.error_mask(s.codes) AS mask
        FROM (SELECT f.error_codes_related AS codes FROM f UNION SELECT f.error_codes_unrelated FROM f) s)
    SELECT f.subscription_id, f.target_offer_id, f.customer_id, f.partner_id, f.source_offer_id,
           f.relationship_expires_at, r.mask, u.mask
    FROM f
    JOIN code_sets r ON r.codes = f.error_codes_related
    JOIN code_sets u ON u.codes = f.error_codes_unrelated;
END $$;

CREATE FUNCTION logic.upgrade_options_refresh(p_customer_ids uuid[]) RETURNS void
    LANGUAGE plpgsql
    SET plan_cache_mode TO 'force_generic_plan'
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_customer_ids uuid[] := p_customer_ids;
BEGIN
    IF v_customer_ids IS NULL THEN
        LOCK TABLE core.upgrade_options IN EXCLUSIVE MODE;
        DELETE FROM core.upgrade_options;
        v_customer_ids := ARRAY(SELECT id FROM core.customers);
    ELSE
        PERFORM 1 FROM core.customers WHERE id = ANY (v_customer_ids) ORDER BY id FOR NO KEY UPDATE;
        DELETE FROM core.upgrade_options WHERE customer_id = ANY (v_customer_ids);
    END IF;
    IF cardinality(v_customer_ids) > 16 THEN  -- until this function returns (its SET clause)
        PERFORM set_config('plan_cache_mode', 'force_custom_plan', true);
    END IF;
    INSERT INTO core.upgrade_options SELECT * FROM logic.upgrade_options_of(v_customer_ids);
END $$;

COMMENT ON FUNCTION logic.upgrade_options_refresh(p_customer_ids uuid[]) IS 'Recomputes core.upgrade_options for some customers (NULL: all) from logic.upgrade_path_facts.';

CREATE TABLE core.offer_billing_cycles (
    offer_id text NOT NULL,
    billing_cycle text NOT NULL,
    CONSTRAINT check_offer_billing_cycles_billing_cycle CHECK ((billing_cycle = ANY (core.billing_cycles())))
);

CREATE TABLE core.offer_service_plans (
    offer_id text NOT NULL,
    service_plan_id text NOT NULL
);

CREATE TABLE core.upgrade_path_catalog (
    source_offer_id text NOT NULL,
    target_offer_id text NOT NULL,
    service_id text NOT NULL,
    plan_conflicting_offers text[] NOT NULL,
    target_billing_cycles text[] NOT NULL
);

COMMENT ON TABLE core.upgrade_path_catalog IS 'Per upgrade path: the target''s service, the offers with a plan the upgrade would add, the target''s billing cycles.';

CREATE TABLE core.upgrade_paths (
    source_offer_id text NOT NULL,
    target_offer_id text NOT NULL,
    CONSTRAINT check_upgrade_paths_no_self_loop CHECK ((source_offer_id <> target_offer_id))
);

CREATE FUNCTION logic.upgrade_path_catalog_refresh() RETURNS void
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'pg_temp'
    BEGIN ATOMIC
 DELETE FROM core.upgrade_path_catalog;
 INSERT INTO core.upgrade_path_catalog (source_offer_id, target_offer_id, service_id, plan_conflicting_offers, target_billing_cycles)  SELECT up.source_offer_id,
             up.target_offer_id,
             t.service_id,
             ARRAY( SELECT op.offer_id
                    FROM core.offer_service_plans op
                   WHERE (op.service_plan_id IN ( SELECT tp.service_plan_id
                            FROM core.offer_service_plans tp
                           WHERE (tp.offer_id = up.target_offer_id)
                         EXCEPT
                          SELECT sp.service_plan_id
                            FROM core.offer_service_plans sp
                           WHERE (sp.offer_id = up.source_offer_id)))) AS "array",
             ARRAY( SELECT b.billing_cycle
                    FROM core.offer_billing_cycles b
                   WHERE (b.offer_id = up.target_offer_id)) AS "array"
            FROM (core.upgrade_paths up
              JOIN core.offers t ON ((t.id = up.target_offer_id)));
END;

CREATE FUNCTION logic.upgrade_path_facts(p_customer_ids uuid[], p_partner text, p_sold_in_force_only boolean DEFAULT false, p_into uuid[] DEFAULT '{}'::uuid[]) RETURNS TABLE(subscription_id uuid, target_offer_id text, customer_id uuid, partner_id text, source_offer_id text, relationship_expires_at timestamp with time zone, error_codes_related text[], error_codes_unrelated text[])
    LANGUAGE plpgsql STABLE ROWS 10
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    SELECT c.id, p.target_offer_id, c.customer_id, c.partner_id, c.offer_id, r.expires_at,
           x.subscription_errors || x.path_errors,
           x.subscription_errors || '{delegated_admin_permissions_disabled}'::text[] || x.path_errors
    FROM (SELECT s.id, s.customer_id, s.offer_id, s.status, s.partner_id, s.billing_cycle, s.in_force,
                 array_agg(s.offer_id) FILTER (WHERE s.in_force AND s.id <> ALL (coalesce(p_into, '{}')))
                     OVER customer AS offers_in_force,
                 array_agg(s.parent_subscription_id) FILTER (WHERE s.parent_subscription_id IS NOT NULL
                                                            AND s.status <> 'cancelled') OVER customer AS live_add_on_parents
          -- (OFFSET 0: whether each subscription is in force, computed once per subscription)
          FROM (SELECT s.*, logic.subscription_in_force(s.status, s.status_reason) AS in_force FROM core.subscriptions s
                WHERE s.customer_id = ANY (p_customer_ids) OFFSET 0) s
          WINDOW customer AS (PARTITION BY s.customer_id)) c
    JOIN core.upgrade_path_catalog p ON p.source_offer_id = c.offer_id
    -- at most one row: one active relationship per customer and service (unique index)
    LEFT JOIN core.relationships r
           ON r.customer_id = c.customer_id AND r.service_id = p.service_id
          AND r.partner_id = coalesce(p_partner, c.partner_id) AND r.status = 'active'
    CROSS JOIN LATERAL (SELECT logic.sold_and_active_errors(coalesce(p_partner, c.partner_id), c.status, c.partner_id)
                               AS subscription_errors,
                               array_remove(ARRAY[
               CASE WHEN c.offers_in_force && p.plan_conflicting_offers THEN 'conflicting_service_types' END,
               CASE WHEN p.target_offer_id = ANY (c.offers_in_force) THEN 'target_offer_already_owned' END,
               CASE WHEN c.id = ANY (c.live_add_on_parents) THEN 'subscription_add_ons_present' END,
               CASE WHEN c.billing_cycle <> ALL (p.target_billing_cycles) THEN 'offer_does_not_support_billing_cycle' END
                               ], NULL) AS path_errors) x
    WHERE NOT p_sold_in_force_only OR (c.partner_id = coalesce(p_partner, c.partner_id) AND c.in_force);
END $$;

COMMENT ON FUNCTION logic.upgrade_path_facts(p_customer_ids uuid[], p_partner text, p_sold_in_force_only boolean, p_into uuid[]) IS 'Every upgrade path of every subscription of some customers with the error codes that apply for a partner with and without its relationship: the one definition of the upgrade rules.';

CREATE FUNCTION logic.upgrade_request_errors(p_partner text, p_sources core.subscriptions[], p_target_offer_ids text[], p_quantities bigint[], p_if_versions bigint[], p_transfers boolean[] DEFAULT NULL::boolean[], p_into_ids uuid[] DEFAULT NULL::uuid[], p_intos core.subscriptions[] DEFAULT NULL::core.subscriptions[]) RETURNS TABLE(ord bigint, error_codes text[], licenses_assigned bigint)
    LANGUAGE plpgsql STABLE
    SET plan_cache_mode TO 'force_generic_plan'
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    SELECT s.ordinality, array_remove(ARRAY[
               CASE WHEN p_if_versions[s.ordinality] IS NOT NULL AND p_if_versions[s.ordinality] <> s.version THEN 'version_mismatch' END,
               CASE WHEN NOT EXISTS (SELECT 1 FROM core.upgrade_paths WHERE source_offer_id = s.offer_id)
                    THEN 'subscription_does_not_have_any_upgrade_paths'
                    WHEN e.target_offer_id IS NULL AND NOT (p_into_ids[s.ordinality] IS NOT NULL AND (p_intos[s.ordinality]).id IS NULL
                                                            AND p_target_offer_ids[s.ordinality] IS NULL)
                    THEN 'subscription_target_offer_not_found' END], NULL)
           || logic.upgrade_into_errors(p_partner, p_sources[s.ordinality], p_into_ids[s.ordinality], p_intos[s.ordinality],
                                       p_target_offer_ids[s.ordinality])
           || array_remove(ARRAY[
               -- an upgrade into a subscription not found has no quantity to check
               CASE WHEN e.target_offer_id IS NOT NULL AND (p_into_ids[s.ordinality] IS NULL OR (p_intos[s.ordinality]).id IS NOT NULL)
                         AND (p_quantities[s.ordinality] < 1 OR NOT logic.quantity_in_range(p_target_offer_ids[s.ordinality],
                                  coalesce((p_intos[s.ordinality]).quantity, 0) + p_quantities[s.ordinality]))
                    THEN 'quantity_out_of_range' END], NULL)
           || coalesce(e.error_codes, '{}')
           || CASE WHEN e.target_offer_id IS NULL THEN '{}'::text[]
                   WHEN p_into_ids[s.ordinality] IS NULL
                   THEN logic.license_transfer_errors(p_transfers[s.ordinality], a.assigned, p_quantities[s.ordinality])
                   WHEN (p_intos[s.ordinality]).id IS NOT NULL
                   -- the licenses the grown subscription has beyond those it already assigns
                   THEN logic.license_transfer_errors(p_transfers[s.ordinality], a.moving,
                            (p_intos[s.ordinality]).quantity + p_quantities[s.ordinality]
                            - (SELECT count(*) FROM core.license_assignments t WHERE t.subscription_id = (p_intos[s.ordinality]).id))
                   ELSE '{}'::text[] END,
           a.assigned
    FROM unnest(p_sources) WITH ORDINALITY AS s
    -- written out, not logic.licenses_assigned(): one join for every request, where a
    -- call per request cost more than the rest of the rules. moving: those of users who
    -- hold no license of the subscription upgraded into.
    CROSS JOIN LATERAL (SELECT count(*) AS assigned,
                               count(*) FILTER (WHERE p_into_ids[s.ordinality] IS NOT NULL AND NOT EXISTS (
                                   SELECT 1 FROM core.license_assignments t
                                   WHERE t.subscription_id = p_into_ids[s.ordinality] AND t.user_id = la.user_id)) AS moving
                        FROM core.license_assignments la WHERE la.subscription_id = s.id) a
    LEFT JOIN (SELECT e.* FROM logic.upgrade_evaluations(logic.customer_ids_of(p_sources), p_partner, false,
                                                         logic.into_ids_of(p_sources, p_intos)) e
               WHERE e.subscription_id = ANY (ARRAY(SELECT x.id FROM unnest(p_sources) x))) e
           ON e.subscription_id = s.id AND e.target_offer_id = p_target_offer_ids[s.ordinality];
END $$;

CREATE TABLE core.audit_chain_heads (
    chain text NOT NULL,
    event_id bigint NOT NULL,
    previous_event_id bigint,
    chain_hash bytea NOT NULL
);

COMMENT ON TABLE core.audit_chain_heads IS 'The newest event of each audit chain: updated with every event appended, which serialises the chain''s writers.';

ALTER TABLE core.audit_events ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME core.audit_events_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE core.error_codes (
    code text NOT NULL,
    sqlstate character(5) NOT NULL,
    exit_code smallint NOT NULL,
    description text NOT NULL,
    CONSTRAINT check_error_codes_exit_code CHECK ((exit_code = ANY (ARRAY[1, 64, 65, 69, 70, 75, 78]))),
    CONSTRAINT check_error_codes_sqlstate_project_class CHECK (((sqlstate ~ '^SU[0-9]{3}$'::text) AND (sqlstate !~ '000$'::text)))
);

CREATE TABLE core.error_guidance (
    code text NOT NULL,
    "case" text DEFAULT ''::text NOT NULL,
    description text,
    next_step text NOT NULL,
    CONSTRAINT check_error_guidance_next_step CHECK ((length(next_step) > 0))
);

COMMENT ON TABLE core.error_guidance IS 'Per error code (and case: the details'' status), the specific description and the next step, with {placeholders} filled from the details.';

CREATE TABLE core.license_assignments (
    subscription_id uuid NOT NULL,
    user_id uuid NOT NULL,
    customer_id uuid NOT NULL,
    assigned_at timestamp with time zone DEFAULT now() NOT NULL
);

COMMENT ON TABLE core.license_assignments IS 'A user holding a license of a subscription of its customer; never more than the subscription''s quantity.';

COMMENT ON COLUMN core.license_assignments.customer_id IS 'The user''s customer, which must be the subscription''s (check_license_assignments_customer).';

CREATE TABLE core.offer_add_on_parents (
    add_on_offer_id text NOT NULL,
    parent_offer_id text NOT NULL,
    CONSTRAINT check_offer_add_on_parents_no_self CHECK ((add_on_offer_id <> parent_offer_id))
);

CREATE TABLE core.partner_customers (
    partner_id text NOT NULL,
    customer_id uuid NOT NULL,
    how text DEFAULT 'linked'::text NOT NULL,
    linked_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT check_partner_customers_how CHECK ((how = ANY (ARRAY['added'::text, 'linked'::text])))
);

COMMENT ON COLUMN core.partner_customers.how IS 'added: the partner added the customer; linked: the platform linked an existing tenant to it.';

CREATE TABLE core.partner_logins (
    login_role name NOT NULL,
    partner_id text NOT NULL,
    mapped_at timestamp with time zone DEFAULT now() NOT NULL
);

COMMENT ON TABLE core.partner_logins IS 'Login role -> the one partner it acts for.';

CREATE TABLE core.partners (
    id text NOT NULL,
    name text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT check_partners_id_format CHECK (((id ~ core.partner_id_pattern()) AND (length(id) <= core.id_max_length()))),
    CONSTRAINT check_partners_name_length CHECK (((length(name) >= 1) AND (length(name) <= core.display_name_max_length()) AND (name !~ '[[:cntrl:]]'::text)))
);

COMMENT ON TABLE core.partners IS 'CSP resellers. Every operator acts for exactly one partner.';

CREATE TABLE core.relationships (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    partner_id text NOT NULL,
    customer_id uuid NOT NULL,
    service_id text NOT NULL,
    status text DEFAULT 'requested'::text NOT NULL,
    requested_at timestamp with time zone DEFAULT now() NOT NULL,
    activated_at timestamp with time zone,
    ended_at timestamp with time zone,
    expires_at timestamp with time zone,
    CONSTRAINT check_relationships_active_has_dates CHECK (((status <> ALL (ARRAY['active'::text, 'expired'::text])) OR ((activated_at IS NOT NULL) AND (expires_at IS NOT NULL)))),
    CONSTRAINT check_relationships_expires_within_two_years CHECK (((expires_at IS NULL) OR (activated_at IS NULL) OR ((expires_at > activated_at) AND (expires_at <= (activated_at + '2 years'::interval))))),
    CONSTRAINT check_relationships_status CHECK ((status = ANY (core.relationship_statuses())))
);

CREATE TABLE core.request_ids (
    partner_id text NOT NULL,
    request_id text NOT NULL,
    operation text NOT NULL,
    parameters jsonb NOT NULL,
    result jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT check_request_ids_request_id_length CHECK (((length(request_id) >= 1) AND (length(request_id) <= core.request_id_max_length())))
);

CREATE TABLE core.schema_migrations (
    version integer NOT NULL,
    name text NOT NULL,
    checksum text NOT NULL,
    applied_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE TABLE core.service_plans (
    id text NOT NULL,
    service_id text NOT NULL,
    CONSTRAINT check_service_plans_id_format CHECK (((id ~ core.catalog_id_pattern()) AND (length(id) <= core.id_max_length())))
);

CREATE TABLE core.services (
    id text NOT NULL,
    name text NOT NULL,
    CONSTRAINT check_services_id_format CHECK (((id ~ core.catalog_id_pattern()) AND (length(id) <= core.id_max_length())))
);

CREATE TABLE core.transient_sqlstates (
    sqlstate character(5) NOT NULL,
    code text NOT NULL,
    retried boolean NOT NULL,
    description text NOT NULL,
    CONSTRAINT check_transient_sqlstates_sqlstate CHECK (((sqlstate ~ '^[0-9A-Z]{5}$'::text) AND (sqlstate !~ '^SU'::text)))
);

COMMENT ON TABLE core.transient_sqlstates IS 'PostgreSQL SQLSTATEs that a fresh attempt may clear (exit 75); retried: the client retries the transaction itself.';

CREATE TABLE core.users (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    customer_id uuid NOT NULL,
    upn text NOT NULL,
    display_name text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT check_users_display_name_visible CHECK ((core.display_name_problem(display_name) IS NULL)),
    CONSTRAINT check_users_upn_format CHECK (((upn ~ '^[A-Za-z0-9_+''-]+(\.[A-Za-z0-9_+''-]+)*@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$'::text) AND (length(upn) <= 320)))
);

COMMENT ON TABLE core.users IS 'A customer''s users: who may hold its subscriptions'' licenses.';

COMMENT ON COLUMN core.users.upn IS 'User principal name NAME@DOMAIN, unique in the customer whatever its case.';

CREATE VIEW report.batch_outcomes AS
SELECT
    NULL::text AS batch_id,
    NULL::text AS file_name,
    NULL::text AS created_by,
    NULL::timestamp with time zone AS created_at,
    NULL::integer AS runs,
    NULL::timestamp with time zone AS last_run_started_at,
    NULL::timestamp with time zone AS finished_at,
    NULL::interval AS duration,
    NULL::bigint AS rows_total,
    NULL::bigint AS applied,
    NULL::bigint AS already_applied,
    NULL::bigint AS rejected,
    NULL::bigint AS pending,
    NULL::text[] AS error_codes;

COMMENT ON VIEW report.batch_outcomes IS 'The acting partner''s CSV batches: rows applied, already applied, rejected and pending, runs and timings.';

COMMENT ON COLUMN report.batch_outcomes.batch_id IS 'The batch (sha256 of the file, or the --name given).';

COMMENT ON COLUMN report.batch_outcomes.file_name IS 'The file of the first run.';

COMMENT ON COLUMN report.batch_outcomes.created_by IS 'The operator who first ran it.';

COMMENT ON COLUMN report.batch_outcomes.created_at IS 'When it was first run.';

COMMENT ON COLUMN report.batch_outcomes.runs IS 'How many times it was run (a re-run resumes).';

COMMENT ON COLUMN report.batch_outcomes.last_run_started_at IS 'When the latest run started.';

COMMENT ON COLUMN report.batch_outcomes.finished_at IS 'When every row was done; NULL while rows are pending.';

COMMENT ON COLUMN report.batch_outcomes.duration IS 'From the first run to the end.';

COMMENT ON COLUMN report.batch_outcomes.rows_total IS 'Data rows in the file.';

COMMENT ON COLUMN report.batch_outcomes.applied IS 'Rows applied.';

COMMENT ON COLUMN report.batch_outcomes.already_applied IS 'Rows whose request id had been applied before (not applied again).';

COMMENT ON COLUMN report.batch_outcomes.rejected IS 'Rows refused by a rule.';

COMMENT ON COLUMN report.batch_outcomes.pending IS 'Rows not yet applied (an interrupted run: run the file again).';

COMMENT ON COLUMN report.batch_outcomes.error_codes IS 'Every error code among the rejected rows.';

CREATE VIEW report.blocked_upgrades AS
 WITH paths AS MATERIALIZED (
         SELECT o.subscription_id,
            o.customer_id,
            n.mask
           FROM (core.upgrade_options o
             CROSS JOIN LATERAL ( SELECT logic.by_relationship_now(o.relationship_expires_at, o.error_mask_related, o.error_mask_unrelated) AS mask
                 OFFSET 0) n)
        ), per_path AS MATERIALIZED (
         SELECT paths.mask,
            count(*) AS n
           FROM paths
          GROUP BY paths.mask
        ), per_subscription AS MATERIALIZED (
         SELECT x.m AS mask,
            count(*) AS n
           FROM ( SELECT bit_or(paths.mask) AS m
                   FROM paths
                  GROUP BY paths.subscription_id) x
          GROUP BY x.m
        ), per_customer AS MATERIALIZED (
         SELECT x.m AS mask,
            count(*) AS n
           FROM ( SELECT bit_or(paths.mask) AS m
                   FROM paths
                  GROUP BY paths.customer_id) x
          GROUP BY x.m
        ), codes AS (
         SELECT e.code,
            logic.error_bit((e.sqlstate)::text) AS "bit"
           FROM core.error_codes e
        )
 SELECT c.code AS error_code,
    (( SELECT sum(per_subscription.n) AS sum
           FROM per_subscription
          WHERE ((per_subscription.mask & c."bit") <> 0)))::bigint AS subscriptions,
    (( SELECT sum(per_path.n) AS sum
           FROM per_path
          WHERE ((per_path.mask & c."bit") <> 0)))::bigint AS upgrade_paths,
    (( SELECT sum(per_customer.n) AS sum
           FROM per_customer
          WHERE ((per_customer.mask & c."bit") <> 0)))::bigint AS customers,
    (COALESCE(( SELECT sum(per_path.n) AS sum
           FROM per_path
          WHERE (per_path.mask = c."bit")), (0)::numeric))::bigint AS paths_blocked_by_this_alone
   FROM codes c
  WHERE (EXISTS ( SELECT
           FROM per_path
          WHERE ((per_path.mask & c."bit") <> 0)));

COMMENT ON VIEW report.blocked_upgrades IS 'How many subscriptions, upgrade paths and customers each rule blocks: what to work on first.';

COMMENT ON COLUMN report.blocked_upgrades.error_code IS 'The rule (error code).';

COMMENT ON COLUMN report.blocked_upgrades.subscriptions IS 'Subscriptions with at least one upgrade path blocked by it.';

COMMENT ON COLUMN report.blocked_upgrades.upgrade_paths IS '(subscription, target) pairs blocked by it.';

COMMENT ON COLUMN report.blocked_upgrades.customers IS 'Customers affected.';

COMMENT ON COLUMN report.blocked_upgrades.paths_blocked_by_this_alone IS 'Pairs that clearing this rule alone would make eligible.';

CREATE VIEW report.license_utilization AS
 SELECT s.id AS subscription_id,
    s.customer_id,
    c.name AS customer_name,
    s.offer_id,
    s.status,
    s.status_reason,
    s.quantity AS purchased,
    COALESCE(a.assigned, (0)::bigint) AS assigned,
    (s.quantity - COALESCE(a.assigned, (0)::bigint)) AS unassigned,
    round(((100.0 * (COALESCE(a.assigned, (0)::bigint))::numeric) / (s.quantity)::numeric), 1) AS assigned_percent
   FROM ((core.subscriptions s
     JOIN core.customers c ON ((c.id = s.customer_id)))
     LEFT JOIN ( SELECT x.subscription_id,
            count(*) AS assigned
           FROM core.license_assignments x
          GROUP BY x.subscription_id) a ON ((a.subscription_id = s.id)))
  WHERE ((s.partner_id = ( SELECT logic.acting_partner() AS acting_partner)) AND (s.status <> 'cancelled'::text) AND ((s.status_reason IS DISTINCT FROM 'upgraded'::text) OR (a.assigned > 0)));

COMMENT ON VIEW report.license_utilization IS 'Licenses purchased, assigned to users and unassigned, per subscription the acting partner sold that is in force.
A source replaced by an upgrade is listed only while users still hold its licenses (upgraded without license transfer:
reassign them). The partner''s totals: report license_utilization_totals.';

COMMENT ON COLUMN report.license_utilization.subscription_id IS 'The subscription.';

COMMENT ON COLUMN report.license_utilization.customer_id IS 'The customer tenant.';

COMMENT ON COLUMN report.license_utilization.customer_name IS 'The customer''s name.';

COMMENT ON COLUMN report.license_utilization.offer_id IS 'The subscription''s offer.';

COMMENT ON COLUMN report.license_utilization.status IS 'active, suspended or pending.';

COMMENT ON COLUMN report.license_utilization.status_reason IS 'Why it is suspended: operator, or upgraded (replaced by an upgrade).';

COMMENT ON COLUMN report.license_utilization.purchased IS 'Licenses purchased (the subscription''s quantity).';

COMMENT ON COLUMN report.license_utilization.assigned IS 'Licenses assigned to users (subctl license assign).';

COMMENT ON COLUMN report.license_utilization.unassigned IS 'Licenses purchased and not assigned: purchased - assigned.';

COMMENT ON COLUMN report.license_utilization.assigned_percent IS 'assigned / purchased in percent, one decimal (filter with --where assigned_percent<50).';

CREATE VIEW report.license_utilization_totals AS
 SELECT count(*) FILTER (WHERE (s.status = 'active'::text)) AS subscriptions,
    count(DISTINCT s.customer_id) FILTER (WHERE (s.status = 'active'::text)) AS customers,
    COALESCE(sum(s.quantity) FILTER (WHERE (s.status = 'active'::text)), (0)::bigint) AS purchased,
    (COALESCE(sum(a.assigned) FILTER (WHERE (s.status = 'active'::text)), (0)::numeric))::bigint AS assigned,
    (COALESCE(sum((s.quantity - COALESCE(a.assigned, (0)::bigint))) FILTER (WHERE (s.status = 'active'::text)), (0)::numeric))::bigint AS unassigned,
    COALESCE(round(((100.0 * sum(COALESCE(a.assigned, (0)::bigint)) FILTER (WHERE (s.status = 'active'::text))) / (NULLIF(sum(s.quantity) FILTER (WHERE (s.status = 'active'::text)), 0))::numeric), 1), (0)::numeric) AS assigned_percent,
    (COALESCE(sum(a.assigned) FILTER (WHERE (s.status = 'suspended'::text)), (0)::numeric))::bigint AS assigned_on_suspended
   FROM (core.subscriptions s
     LEFT JOIN ( SELECT x.subscription_id,
            count(*) AS assigned
           FROM core.license_assignments x
          GROUP BY x.subscription_id) a ON ((a.subscription_id = s.id)))
  WHERE ((s.partner_id = ( SELECT logic.acting_partner() AS acting_partner)) AND (s.status = ANY (ARRAY['active'::text, 'suspended'::text])));

COMMENT ON VIEW report.license_utilization_totals IS 'The acting partner''s license totals, one row: its active subscriptions'' licenses purchased, assigned and unassigned
(the sums of report license_utilization), and those users hold of its suspended subscriptions.';

COMMENT ON COLUMN report.license_utilization_totals.subscriptions IS 'Active subscriptions the partner sold.';

COMMENT ON COLUMN report.license_utilization_totals.customers IS 'Customers holding them.';

COMMENT ON COLUMN report.license_utilization_totals.purchased IS 'Their licenses purchased.';

COMMENT ON COLUMN report.license_utilization_totals.assigned IS 'Of those, assigned to users.';

COMMENT ON COLUMN report.license_utilization_totals.unassigned IS 'Of those, not assigned: purchased - assigned.';

COMMENT ON COLUMN report.license_utilization_totals.assigned_percent IS 'assigned / purchased in percent, one decimal; 0 without licenses.';

COMMENT ON COLUMN report.license_utilization_totals.assigned_on_suspended IS 'Licenses users hold of the partner''s suspended subscriptions (left by an upgrade without license transfer, or suspended).';

CREATE VIEW report.licenses AS
 SELECT partner_licenses.offer_id,
    partner_licenses.offer_name,
    partner_licenses.channel,
    partner_licenses.status,
    partner_licenses.sold_by_you,
    partner_licenses.subscriptions,
    partner_licenses.licenses,
    partner_licenses.customers
   FROM logic.partner_licenses() partner_licenses(offer_id, offer_name, channel, status, sold_by_you, subscriptions, licenses, customers);

COMMENT ON VIEW report.licenses IS 'Subscriptions and licenses of the acting partner''s customers by offer, channel and status.
Subscriptions sold by another reseller count under their channel without naming it.';

COMMENT ON COLUMN report.licenses.offer_id IS 'The offer.';

COMMENT ON COLUMN report.licenses.offer_name IS 'The offer''s name.';

COMMENT ON COLUMN report.licenses.channel IS 'csp, direct or other-reseller.';

COMMENT ON COLUMN report.licenses.status IS 'pending, active, suspended or cancelled.';

COMMENT ON COLUMN report.licenses.sold_by_you IS 'Whether the acting partner is the reseller of record.';

COMMENT ON COLUMN report.licenses.subscriptions IS 'Number of subscriptions.';

COMMENT ON COLUMN report.licenses.licenses IS 'Sum of their license quantities.';

COMMENT ON COLUMN report.licenses.customers IS 'Number of customers holding them.';

CREATE VIEW report.relationships_expiring AS
 SELECT r.id AS relationship_id,
    r.customer_id,
    c.name AS customer_name,
    r.service_id,
    r.activated_at,
    r.expires_at,
    ((r.expires_at)::date - CURRENT_DATE) AS days_left
   FROM (core.relationships r
     JOIN core.customers c ON ((c.id = r.customer_id)))
  WHERE ((r.status = 'active'::text) AND (r.expires_at > statement_timestamp()));

COMMENT ON VIEW report.relationships_expiring IS 'The acting partner''s active delegated-admin relationships by expiry (filter with --where days_left<=N).';

COMMENT ON COLUMN report.relationships_expiring.relationship_id IS 'The relationship.';

COMMENT ON COLUMN report.relationships_expiring.customer_id IS 'The customer tenant.';

COMMENT ON COLUMN report.relationships_expiring.customer_name IS 'The customer''s name.';

COMMENT ON COLUMN report.relationships_expiring.service_id IS 'The service the privileges are for.';

COMMENT ON COLUMN report.relationships_expiring.activated_at IS 'When the customer accepted.';

COMMENT ON COLUMN report.relationships_expiring.expires_at IS 'When it expires (at most two years after activation).';

COMMENT ON COLUMN report.relationships_expiring.days_left IS 'Calendar days until expiry.';

CREATE VIEW report.subscription_history AS
 SELECT a.id AS event_id,
    a.occurred_at,
    a.operation,
    a.outcome,
    a.error_codes,
    a.operator,
    a.login_role,
    a.source,
    a.customer_id,
    a.subscription_id,
    a.offer_id,
    (((a.changes -> 'quantity'::text) ->> 0))::bigint AS quantity_before,
    (((a.changes -> 'quantity'::text) ->> 1))::bigint AS quantity_after,
    ((a.changes -> 'status'::text) ->> 0) AS status_before,
    ((a.changes -> 'status'::text) ->> 1) AS status_after,
    (a.changes -> 'requested'::text) AS requested,
    a.request_id,
    a.batch_id
   FROM core.audit_events a
  WHERE (a.entity = 'subscriptions'::text);

COMMENT ON VIEW report.subscription_history IS 'Every attempted change of a subscription: who, when, how (cli, batch, sql), before and after, outcome.
One row per audit event on a subscription of the acting partner, rejections included.';

COMMENT ON COLUMN report.subscription_history.event_id IS 'The audit event (core.audit_events.id).';

COMMENT ON COLUMN report.subscription_history.occurred_at IS 'When the event was recorded.';

COMMENT ON COLUMN report.subscription_history.operation IS 'upgrade, add_licenses, remove_licenses, suspend, reactivate, cancel, activate, add_subscription, or sql_* for a direct SQL write.';

COMMENT ON COLUMN report.subscription_history.outcome IS 'succeeded or rejected.';

COMMENT ON COLUMN report.subscription_history.error_codes IS 'The error codes of a rejection; empty when it succeeded.';

COMMENT ON COLUMN report.subscription_history.operator IS 'The operator recorded (a mapped login is recorded under its own name).';

COMMENT ON COLUMN report.subscription_history.login_role IS 'The database login that made the change.';

COMMENT ON COLUMN report.subscription_history.source IS 'cli, batch or sql.';

COMMENT ON COLUMN report.subscription_history.customer_id IS 'The customer tenant.';

COMMENT ON COLUMN report.subscription_history.subscription_id IS 'The subscription changed (or whose change was refused).';

COMMENT ON COLUMN report.subscription_history.offer_id IS 'The subscription''s offer at the time (after the change).';

COMMENT ON COLUMN report.subscription_history.quantity_before IS 'Licenses before; NULL when unchanged or new.';

COMMENT ON COLUMN report.subscription_history.quantity_after IS 'Licenses after; NULL when unchanged.';

COMMENT ON COLUMN report.subscription_history.status_before IS 'Status before; NULL when unchanged or new.';

COMMENT ON COLUMN report.subscription_history.status_after IS 'Status after; NULL when unchanged.';

COMMENT ON COLUMN report.subscription_history.requested IS 'The parameters of a rejected request.';

COMMENT ON COLUMN report.subscription_history.request_id IS 'The request id (idempotency key), if any.';

COMMENT ON COLUMN report.subscription_history.batch_id IS 'The batch that made the change, if any.';

CREATE VIEW report.upgrade_history AS
 SELECT a.occurred_at AS upgraded_at,
    a.operator,
    a.login_role,
    a.source,
    a.customer_id,
    s.id AS from_subscription_id,
    s.offer_id AS from_offer_id,
    s.quantity AS from_quantity,
    a.subscription_id AS to_subscription_id,
    ((a.changes -> 'offer_id'::text) ->> 1) AS to_offer_id,
    (((a.changes -> 'quantity'::text) ->> 1))::bigint AS to_quantity,
    a.request_id,
    a.batch_id,
    false AS into_existing
   FROM (core.audit_events a
     JOIN core.subscriptions s ON (((s.id = (((a.changes -> 'upgraded_from_subscription_id'::text) ->> 1))::uuid) AND (s.upgraded_to_subscription_id IS NOT NULL))))
  WHERE ((a.entity = 'subscriptions'::text) AND (a.operation = 'upgrade'::text) AND (a.outcome = 'succeeded'::text) AND (a.changes ? 'upgraded_from_subscription_id'::text))
UNION ALL
 SELECT a.occurred_at AS upgraded_at,
    a.operator,
    a.login_role,
    a.source,
    a.customer_id,
    s.id AS from_subscription_id,
    s.offer_id AS from_offer_id,
    s.quantity AS from_quantity,
    a.subscription_id AS to_subscription_id,
    a.offer_id AS to_offer_id,
    (((a.changes -> 'quantity'::text) ->> 1))::bigint AS to_quantity,
    a.request_id,
    a.batch_id,
    true AS into_existing
   FROM ((core.audit_events a
     CROSS JOIN LATERAL ( SELECT e.subscription_id
           FROM core.audit_events e
          WHERE ((e.customer_id = a.customer_id) AND (e.id > a.id) AND (e.entity = 'subscriptions'::text) AND (e.operation = 'upgrade'::text) AND (e.outcome = 'succeeded'::text) AND (((e.changes -> 'upgraded_to_subscription_id'::text) ->> 1) = (a.subscription_id)::text))
          ORDER BY e.id
         LIMIT 1) f)
     JOIN core.subscriptions s ON (((s.id = f.subscription_id) AND (s.upgraded_to_subscription_id IS NOT NULL))))
  WHERE ((a.entity = 'subscriptions'::text) AND (a.operation = 'upgrade'::text) AND (a.outcome = 'succeeded'::text) AND (a.changes ? 'quantity'::text) AND (NOT (a.changes ? 'upgraded_from_subscription_id'::text)));

COMMENT ON VIEW report.upgrade_history IS 'Every upgrade the acting partner made, into a new subscription or into an existing one (upgrade --into): who, when, from which subscription and offer to which, quantities.';

COMMENT ON COLUMN report.upgrade_history.upgraded_at IS 'When the upgrade committed.';

COMMENT ON COLUMN report.upgrade_history.operator IS 'The operator recorded.';

COMMENT ON COLUMN report.upgrade_history.login_role IS 'The database login that made it.';

COMMENT ON COLUMN report.upgrade_history.source IS 'cli, batch or sql.';

COMMENT ON COLUMN report.upgrade_history.customer_id IS 'The customer tenant.';

COMMENT ON COLUMN report.upgrade_history.from_subscription_id IS 'The source subscription (now suspended, reason upgraded).';

COMMENT ON COLUMN report.upgrade_history.from_offer_id IS 'The source offer.';

COMMENT ON COLUMN report.upgrade_history.from_quantity IS 'The source''s licenses.';

COMMENT ON COLUMN report.upgrade_history.to_subscription_id IS 'The target subscription: the one created, or the existing one upgraded into.';

COMMENT ON COLUMN report.upgrade_history.to_offer_id IS 'The target offer.';

COMMENT ON COLUMN report.upgrade_history.to_quantity IS 'The target''s licenses right after the upgrade: those it was created with, or, upgraded into an existing subscription, its licenses grown by those added (not the licenses added alone).';

COMMENT ON COLUMN report.upgrade_history.request_id IS 'The request id, if any.';

COMMENT ON COLUMN report.upgrade_history.batch_id IS 'The batch, if any.';

COMMENT ON COLUMN report.upgrade_history.into_existing IS 'Whether the upgrade went into an existing subscription (upgrade --into), which grew, rather than creating the target.';

CREATE VIEW report.upgrade_options AS
 SELECT o.subscription_id,
    o.customer_id,
    c.name AS customer_name,
    o.source_offer_id,
    o.target_offer_id,
    (cardinality(d.error_codes) = 0) AS eligible,
    d.error_codes
   FROM (((core.upgrade_options o
     JOIN core.customers c ON ((c.id = o.customer_id)))
     CROSS JOIN LATERAL ( SELECT logic.by_relationship_now(o.relationship_expires_at, o.error_mask_related, o.error_mask_unrelated) AS mask
         OFFSET 0) n)
     CROSS JOIN LATERAL ( SELECT logic.error_codes_of(n.mask) AS error_codes
         OFFSET 0) d);

COMMENT ON VIEW report.upgrade_options IS 'Every upgrade path of every subscription the acting partner sold and that is in force: eligible or the errors.
The same rules as subctl upgrades and subctl upgrade (logic.upgrade_path_facts, stored in core.upgrade_options).';

COMMENT ON COLUMN report.upgrade_options.subscription_id IS 'The source subscription.';

COMMENT ON COLUMN report.upgrade_options.customer_id IS 'The customer tenant.';

COMMENT ON COLUMN report.upgrade_options.customer_name IS 'The customer''s name.';

COMMENT ON COLUMN report.upgrade_options.source_offer_id IS 'The source subscription''s offer.';

COMMENT ON COLUMN report.upgrade_options.target_offer_id IS 'An upgrade path''s target offer.';

COMMENT ON COLUMN report.upgrade_options.eligible IS 'Whether the upgrade would pass every rule now (quantity aside).';

COMMENT ON COLUMN report.upgrade_options.error_codes IS 'Every error code that applies (filter with --where error_codes=CODE).';

CREATE VIEW report.users_without_license AS
 SELECT u.id AS user_id,
    u.customer_id,
    c.name AS customer_name,
    u.upn,
    u.display_name,
    u.created_at,
    COALESCE(h.not_active, (0)::bigint) AS licenses_not_active
   FROM ((core.users u
     JOIN core.customers c ON ((c.id = u.customer_id)))
     LEFT JOIN ( SELECT a.user_id,
            count(*) AS held,
            count(n.id) AS not_active
           FROM (core.license_assignments a
             LEFT JOIN ( SELECT s.id
                   FROM core.subscriptions s
                  WHERE (s.status <> 'active'::text)) n ON ((n.id = a.subscription_id)))
          GROUP BY a.user_id) h ON ((h.user_id = u.id)))
  WHERE (COALESCE(h.held, (0)::bigint) = COALESCE(h.not_active, (0)::bigint));

COMMENT ON VIEW report.users_without_license IS 'Users of the acting partner''s customers who hold no license of an active subscription: whom to assign one.
Licenses they hold of subscriptions not active (left by an upgrade without license transfer) are counted apart.';

COMMENT ON COLUMN report.users_without_license.user_id IS 'The user.';

COMMENT ON COLUMN report.users_without_license.customer_id IS 'The user''s customer tenant.';

COMMENT ON COLUMN report.users_without_license.customer_name IS 'The customer''s name.';

COMMENT ON COLUMN report.users_without_license.upn IS 'The user principal name.';

COMMENT ON COLUMN report.users_without_license.display_name IS 'The user''s name, if recorded.';

COMMENT ON COLUMN report.users_without_license.created_at IS 'When the user was added.';

COMMENT ON COLUMN report.users_without_license.licenses_not_active IS 'Licenses the user holds of subscriptions not active (suspended: to reassign after an upgrade without license transfer); 0: none at all.';

ALTER TABLE ONLY core.audit_chain_heads
    ADD CONSTRAINT audit_chain_heads_pkey PRIMARY KEY (chain);

ALTER TABLE ONLY core.audit_events
    ADD CONSTRAINT audit_events_pkey PRIMARY KEY (id);

ALTER TABLE ONLY core.batch_rows
    ADD CONSTRAINT batch_rows_pkey PRIMARY KEY (partner_id, batch_id, line);

ALTER TABLE ONLY core.batches
    ADD CONSTRAINT batches_pkey PRIMARY KEY (partner_id, id);

ALTER TABLE core.customers
    ADD CONSTRAINT check_customers_name_visible CHECK ((core.display_name_problem(name) IS NULL)) NOT VALID;

ALTER TABLE core.partners
    ADD CONSTRAINT check_partners_name_visible CHECK ((core.display_name_problem(name) IS NULL)) NOT VALID;

ALTER TABLE ONLY core.customers
    ADD CONSTRAINT customers_pkey PRIMARY KEY (id);

ALTER TABLE ONLY core.error_codes
    ADD CONSTRAINT error_codes_pkey PRIMARY KEY (code);

ALTER TABLE ONLY core.error_guidance
    ADD CONSTRAINT error_guidance_pkey PRIMARY KEY (code, "case");

ALTER TABLE ONLY core.license_assignments
    ADD CONSTRAINT license_assignments_pkey PRIMARY KEY (subscription_id, user_id);

ALTER TABLE ONLY core.offer_add_on_parents
    ADD CONSTRAINT offer_add_on_parents_pkey PRIMARY KEY (add_on_offer_id, parent_offer_id);

ALTER TABLE ONLY core.offer_billing_cycles
    ADD CONSTRAINT offer_billing_cycles_pkey PRIMARY KEY (offer_id, billing_cycle);

ALTER TABLE ONLY core.offer_service_plans
    ADD CONSTRAINT offer_service_plans_pkey PRIMARY KEY (offer_id, service_plan_id);

ALTER TABLE ONLY core.offers
    ADD CONSTRAINT offers_pkey PRIMARY KEY (id);

ALTER TABLE ONLY core.partner_customers
    ADD CONSTRAINT partner_customers_pkey PRIMARY KEY (partner_id, customer_id);

ALTER TABLE ONLY core.partner_logins
    ADD CONSTRAINT partner_logins_pkey PRIMARY KEY (login_role);

ALTER TABLE ONLY core.partners
    ADD CONSTRAINT partners_pkey PRIMARY KEY (id);

ALTER TABLE ONLY core.relationships
    ADD CONSTRAINT relationships_pkey PRIMARY KEY (id);

ALTER TABLE ONLY core.request_ids
    ADD CONSTRAINT request_ids_pkey PRIMARY KEY (partner_id, request_id);

ALTER TABLE ONLY core.schema_migrations
    ADD CONSTRAINT schema_migrations_pkey PRIMARY KEY (version);

ALTER TABLE ONLY core.service_plans
    ADD CONSTRAINT service_plans_pkey PRIMARY KEY (id);

ALTER TABLE ONLY core.services
    ADD CONSTRAINT services_pkey PRIMARY KEY (id);

ALTER TABLE ONLY core.subscriptions
    ADD CONSTRAINT subscriptions_pkey PRIMARY KEY (id);

ALTER TABLE ONLY core.transient_sqlstates
    ADD CONSTRAINT transient_sqlstates_pkey PRIMARY KEY (sqlstate);

ALTER TABLE ONLY core.error_codes
    ADD CONSTRAINT unique_error_codes_sqlstate UNIQUE (sqlstate);

ALTER TABLE ONLY core.transient_sqlstates
    ADD CONSTRAINT unique_transient_sqlstates_code UNIQUE (code);

ALTER TABLE ONLY core.users
    ADD CONSTRAINT unique_users_id_customer UNIQUE (id, customer_id);

ALTER TABLE ONLY core.upgrade_options
    ADD CONSTRAINT upgrade_options_pkey PRIMARY KEY (subscription_id, target_offer_id);

ALTER TABLE ONLY core.upgrade_path_catalog
    ADD CONSTRAINT upgrade_path_catalog_pkey PRIMARY KEY (source_offer_id, target_offer_id);

ALTER TABLE ONLY core.upgrade_paths
    ADD CONSTRAINT upgrade_paths_pkey PRIMARY KEY (source_offer_id, target_offer_id);

ALTER TABLE ONLY core.users
    ADD CONSTRAINT users_pkey PRIMARY KEY (id);

CREATE INDEX index_audit_events_customer ON core.audit_events USING btree (customer_id, id) WHERE (customer_id IS NOT NULL);

CREATE INDEX index_audit_events_occurred_at ON core.audit_events USING btree (occurred_at);

CREATE INDEX index_audit_events_partner ON core.audit_events USING btree (partner_id, id);

CREATE INDEX index_audit_events_partner_upgrade_targets ON core.audit_events USING btree (partner_id) WHERE ((entity = 'subscriptions'::text) AND (operation = 'upgrade'::text) AND (outcome = 'succeeded'::text) AND (changes ? 'upgraded_from_subscription_id'::text));

CREATE INDEX index_audit_events_partner_upgrades_into ON core.audit_events USING btree (partner_id) WHERE ((entity = 'subscriptions'::text) AND (operation = 'upgrade'::text) AND (outcome = 'succeeded'::text) AND (changes ? 'quantity'::text) AND (NOT (changes ? 'upgraded_from_subscription_id'::text)));

CREATE INDEX index_audit_events_subscription ON core.audit_events USING btree (subscription_id, id) WHERE (subscription_id IS NOT NULL);

CREATE INDEX index_batch_rows_pending ON core.batch_rows USING btree (partner_id, batch_id, line) WHERE (status = 'pending'::text);

CREATE INDEX index_customers_domain_trgm ON core.customers USING gin (domain trgm.gin_trgm_ops) WITH (fastupdate=off);

CREATE INDEX index_customers_name_lower ON core.customers USING btree (lower(name));

CREATE INDEX index_customers_name_trgm ON core.customers USING gin (name trgm.gin_trgm_ops) WITH (fastupdate=off);

CREATE INDEX index_license_assignments_user ON core.license_assignments USING btree (user_id);

CREATE INDEX index_partner_customers_customer ON core.partner_customers USING btree (customer_id);

CREATE INDEX index_partner_logins_partner ON core.partner_logins USING btree (partner_id);

CREATE INDEX index_relationships_customer_service ON core.relationships USING btree (customer_id, service_id, partner_id);

CREATE INDEX index_relationships_expires_at ON core.relationships USING btree (expires_at) WHERE (status = 'active'::text);

CREATE INDEX index_subscriptions_customer_covering ON core.subscriptions USING btree (customer_id, offer_id, channel, status, partner_id) INCLUDE (id, status_reason, billing_cycle, parent_subscription_id, quantity);

CREATE INDEX index_subscriptions_not_active ON core.subscriptions USING btree (id) INCLUDE (customer_id, status) WHERE (status <> 'active'::text);

CREATE INDEX index_subscriptions_parent ON core.subscriptions USING btree (parent_subscription_id) WHERE (parent_subscription_id IS NOT NULL);

CREATE INDEX index_subscriptions_partner ON core.subscriptions USING btree (partner_id) WHERE (partner_id IS NOT NULL);

CREATE INDEX index_subscriptions_upgraded_sources ON core.subscriptions USING btree (id) INCLUDE (customer_id, offer_id, quantity) WHERE (upgraded_to_subscription_id IS NOT NULL);

CREATE INDEX index_upgrade_options_customer ON core.upgrade_options USING btree (customer_id);

CREATE INDEX index_upgrade_options_partner ON core.upgrade_options USING btree (partner_id);

CREATE INDEX index_upgrade_paths_target ON core.upgrade_paths USING btree (target_offer_id);

CREATE UNIQUE INDEX unique_customers_domain ON core.customers USING btree (domain);

CREATE UNIQUE INDEX unique_relationships_active_customer_service ON core.relationships USING btree (customer_id, service_id) WHERE (status = 'active'::text);

CREATE UNIQUE INDEX unique_relationships_open_partner_customer_service ON core.relationships USING btree (partner_id, customer_id, service_id) WHERE (status = ANY (ARRAY['requested'::text, 'active'::text]));

CREATE UNIQUE INDEX unique_users_customer_upn ON core.users USING btree (customer_id, lower(upn));

CREATE OR REPLACE VIEW report.batch_outcomes AS
 SELECT b.id AS batch_id,
    b.file_name,
    b.created_by,
    b.created_at,
    b.runs,
    b.last_run_started_at,
    b.finished_at,
    (b.finished_at - b.created_at) AS duration,
    b.rows_total,
    count(*) FILTER (WHERE (r.status = 'applied'::text)) AS applied,
    count(*) FILTER (WHERE (r.status = 'already_applied'::text)) AS already_applied,
    count(*) FILTER (WHERE (r.status = 'rejected'::text)) AS rejected,
    count(*) FILTER (WHERE (r.status = 'pending'::text)) AS pending,
    ( SELECT array_agg(c.code ORDER BY c.code) AS array_agg
           FROM ( SELECT DISTINCT unnest(x.error_codes) AS code
                   FROM core.batch_rows x
                  WHERE ((x.partner_id = b.partner_id) AND (x.batch_id = b.id))) c) AS error_codes
   FROM (core.batches b
     LEFT JOIN core.batch_rows r ON (((r.partner_id = b.partner_id) AND (r.batch_id = b.id))))
  GROUP BY b.partner_id, b.id;

CREATE TRIGGER audit_deletes AFTER DELETE ON core.customers REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION logic.audit_row_changes();

CREATE TRIGGER audit_deletes AFTER DELETE ON core.license_assignments REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION logic.audit_row_changes();

CREATE TRIGGER audit_deletes AFTER DELETE ON core.partner_customers REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION logic.audit_row_changes();

CREATE TRIGGER audit_deletes AFTER DELETE ON core.partner_logins REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION logic.audit_row_changes();

CREATE TRIGGER audit_deletes AFTER DELETE ON core.partners REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION logic.audit_row_changes();

CREATE TRIGGER audit_deletes AFTER DELETE ON core.relationships REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION logic.audit_row_changes();

CREATE TRIGGER audit_deletes AFTER DELETE ON core.subscriptions REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION logic.audit_row_changes();

CREATE TRIGGER audit_deletes AFTER DELETE ON core.users REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION logic.audit_row_changes();

CREATE TRIGGER audit_events_append_only BEFORE DELETE OR UPDATE ON core.audit_events FOR EACH ROW EXECUTE FUNCTION logic.refuse_audit_events_change();

CREATE TRIGGER audit_events_append_only_truncate BEFORE TRUNCATE ON core.audit_events FOR EACH STATEMENT EXECUTE FUNCTION logic.refuse_audit_events_change();

CREATE TRIGGER audit_inserts AFTER INSERT ON core.customers REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION logic.audit_row_changes();

CREATE TRIGGER audit_inserts AFTER INSERT ON core.license_assignments REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION logic.audit_row_changes();

CREATE TRIGGER audit_inserts AFTER INSERT ON core.partner_customers REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION logic.audit_row_changes();

CREATE TRIGGER audit_inserts AFTER INSERT ON core.partner_logins REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION logic.audit_row_changes();

CREATE TRIGGER audit_inserts AFTER INSERT ON core.partners REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION logic.audit_row_changes();

CREATE TRIGGER audit_inserts AFTER INSERT ON core.relationships REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION logic.audit_row_changes();

CREATE TRIGGER audit_inserts AFTER INSERT ON core.subscriptions REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION logic.audit_row_changes();

CREATE TRIGGER audit_inserts AFTER INSERT ON core.users REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION logic.audit_row_changes();

CREATE TRIGGER audit_updates AFTER UPDATE ON core.customers REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION logic.audit_row_changes();

CREATE TRIGGER audit_updates AFTER UPDATE ON core.license_assignments REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION logic.audit_row_changes();

CREATE TRIGGER audit_updates AFTER UPDATE ON core.partner_customers REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION logic.audit_row_changes();

CREATE TRIGGER audit_updates AFTER UPDATE ON core.partner_logins REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION logic.audit_row_changes();

CREATE TRIGGER audit_updates AFTER UPDATE ON core.partners REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION logic.audit_row_changes();

CREATE TRIGGER audit_updates AFTER UPDATE ON core.relationships REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION logic.audit_row_changes();

CREATE TRIGGER audit_updates AFTER UPDATE ON core.subscriptions REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION logic.audit_row_changes();

CREATE TRIGGER audit_updates AFTER UPDATE ON core.users REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION logic.audit_row_changes();

CREATE TRIGGER bump_subscriptions_version BEFORE UPDATE ON core.subscriptions FOR EACH ROW EXECUTE FUNCTION logic.bump_subscriptions_version();

CREATE TRIGGER chain_audit_event BEFORE INSERT ON core.audit_events FOR EACH ROW EXECUTE FUNCTION logic.chain_audit_event();

CREATE TRIGGER check_license_assignments_inserts AFTER INSERT ON core.license_assignments REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION core.check_license_assignments();

CREATE TRIGGER check_license_assignments_updates AFTER UPDATE ON core.license_assignments REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION core.check_license_assignments();

CREATE TRIGGER check_offers_add_on_not_in_paths BEFORE UPDATE OF is_add_on ON core.offers FOR EACH ROW EXECUTE FUNCTION logic.check_offers_add_on_not_in_paths();

CREATE TRIGGER check_subscriptions_add_on_parent BEFORE INSERT OR UPDATE OF parent_subscription_id, offer_id, customer_id ON core.subscriptions FOR EACH ROW EXECUTE FUNCTION logic.check_subscriptions_add_on_parent();

CREATE TRIGGER check_subscriptions_quantity_covers_assignments AFTER UPDATE OF quantity ON core.subscriptions FOR EACH ROW WHEN ((new.quantity < old.quantity)) EXECUTE FUNCTION core.check_subscriptions_quantity_covers_assignments();

CREATE TRIGGER check_subscriptions_quantity_in_offer_range BEFORE INSERT OR UPDATE OF quantity, offer_id ON core.subscriptions FOR EACH ROW EXECUTE FUNCTION logic.check_subscriptions_quantity_in_offer_range();

CREATE TRIGGER check_upgrade_paths_shape BEFORE INSERT OR UPDATE ON core.upgrade_paths FOR EACH ROW EXECUTE FUNCTION logic.check_upgrade_paths_shape();

CREATE TRIGGER link_partner_customer AFTER INSERT ON core.customers REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION logic.link_customer_creator();

CREATE TRIGGER upgrade_options_deletes AFTER DELETE ON core.offer_billing_cycles REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION logic.upgrade_options_follow();

CREATE TRIGGER upgrade_options_deletes AFTER DELETE ON core.offer_service_plans REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION logic.upgrade_options_follow();

CREATE TRIGGER upgrade_options_deletes AFTER DELETE ON core.relationships REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION logic.upgrade_options_follow();

CREATE TRIGGER upgrade_options_deletes AFTER DELETE ON core.subscriptions REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION logic.upgrade_options_follow();

CREATE TRIGGER upgrade_options_deletes AFTER DELETE ON core.upgrade_paths REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION logic.upgrade_options_follow();

CREATE TRIGGER upgrade_options_inserts AFTER INSERT ON core.offer_billing_cycles REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION logic.upgrade_options_follow();

CREATE TRIGGER upgrade_options_inserts AFTER INSERT ON core.offer_service_plans REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION logic.upgrade_options_follow();

CREATE TRIGGER upgrade_options_inserts AFTER INSERT ON core.relationships REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION logic.upgrade_options_follow();

CREATE TRIGGER upgrade_options_inserts AFTER INSERT ON core.subscriptions REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION logic.upgrade_options_follow();

CREATE TRIGGER upgrade_options_inserts AFTER INSERT ON core.upgrade_paths REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION logic.upgrade_options_follow();

CREATE TRIGGER upgrade_options_truncates AFTER TRUNCATE ON core.offer_billing_cycles FOR EACH STATEMENT EXECUTE FUNCTION logic.upgrade_options_follow();

CREATE TRIGGER upgrade_options_truncates AFTER TRUNCATE ON core.offer_service_plans FOR EACH STATEMENT EXECUTE FUNCTION logic.upgrade_options_follow();

CREATE TRIGGER upgrade_options_truncates AFTER TRUNCATE ON core.relationships FOR EACH STATEMENT EXECUTE FUNCTION logic.upgrade_options_follow();

CREATE TRIGGER upgrade_options_truncates AFTER TRUNCATE ON core.subscriptions FOR EACH STATEMENT EXECUTE FUNCTION logic.upgrade_options_follow();

CREATE TRIGGER upgrade_options_truncates AFTER TRUNCATE ON core.upgrade_paths FOR EACH STATEMENT EXECUTE FUNCTION logic.upgrade_options_follow();

CREATE TRIGGER upgrade_options_updates AFTER UPDATE ON core.offer_billing_cycles REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION logic.upgrade_options_follow();

CREATE TRIGGER upgrade_options_updates AFTER UPDATE ON core.offer_service_plans REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION logic.upgrade_options_follow();

CREATE TRIGGER upgrade_options_updates AFTER UPDATE ON core.offers REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION logic.upgrade_options_follow();

CREATE TRIGGER upgrade_options_updates AFTER UPDATE ON core.relationships REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION logic.upgrade_options_follow();

CREATE TRIGGER upgrade_options_updates AFTER UPDATE ON core.subscriptions REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION logic.upgrade_options_follow();

CREATE TRIGGER upgrade_options_updates AFTER UPDATE ON core.upgrade_paths REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION logic.upgrade_options_follow();

ALTER TABLE ONLY core.batch_rows
    ADD CONSTRAINT batch_rows_batch_fkey FOREIGN KEY (partner_id, batch_id) REFERENCES core.batches(partner_id, id);

ALTER TABLE ONLY core.batches
    ADD CONSTRAINT batches_partner_id_fkey FOREIGN KEY (partner_id) REFERENCES core.partners(id);

ALTER TABLE ONLY core.customers
    ADD CONSTRAINT customers_created_by_partner_id_fkey FOREIGN KEY (created_by_partner_id) REFERENCES core.partners(id);

ALTER TABLE ONLY core.error_guidance
    ADD CONSTRAINT error_guidance_code_fkey FOREIGN KEY (code) REFERENCES core.error_codes(code) ON DELETE CASCADE;

ALTER TABLE ONLY core.license_assignments
    ADD CONSTRAINT license_assignments_subscription_id_fkey FOREIGN KEY (subscription_id) REFERENCES core.subscriptions(id);

ALTER TABLE ONLY core.license_assignments
    ADD CONSTRAINT license_assignments_user_of_customer FOREIGN KEY (user_id, customer_id) REFERENCES core.users(id, customer_id);

ALTER TABLE ONLY core.offer_add_on_parents
    ADD CONSTRAINT offer_add_on_parents_add_on_offer_id_fkey FOREIGN KEY (add_on_offer_id) REFERENCES core.offers(id);

ALTER TABLE ONLY core.offer_add_on_parents
    ADD CONSTRAINT offer_add_on_parents_parent_offer_id_fkey FOREIGN KEY (parent_offer_id) REFERENCES core.offers(id);

ALTER TABLE ONLY core.offer_billing_cycles
    ADD CONSTRAINT offer_billing_cycles_offer_id_fkey FOREIGN KEY (offer_id) REFERENCES core.offers(id);

ALTER TABLE ONLY core.offer_service_plans
    ADD CONSTRAINT offer_service_plans_offer_id_fkey FOREIGN KEY (offer_id) REFERENCES core.offers(id);

ALTER TABLE ONLY core.offer_service_plans
    ADD CONSTRAINT offer_service_plans_service_plan_id_fkey FOREIGN KEY (service_plan_id) REFERENCES core.service_plans(id);

ALTER TABLE ONLY core.offers
    ADD CONSTRAINT offers_service_id_fkey FOREIGN KEY (service_id) REFERENCES core.services(id);

ALTER TABLE ONLY core.partner_customers
    ADD CONSTRAINT partner_customers_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES core.customers(id);

ALTER TABLE ONLY core.partner_customers
    ADD CONSTRAINT partner_customers_partner_id_fkey FOREIGN KEY (partner_id) REFERENCES core.partners(id);

ALTER TABLE ONLY core.partner_logins
    ADD CONSTRAINT partner_logins_partner_id_fkey FOREIGN KEY (partner_id) REFERENCES core.partners(id);

ALTER TABLE ONLY core.relationships
    ADD CONSTRAINT relationships_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES core.customers(id);

ALTER TABLE ONLY core.relationships
    ADD CONSTRAINT relationships_partner_id_fkey FOREIGN KEY (partner_id) REFERENCES core.partners(id);

ALTER TABLE ONLY core.relationships
    ADD CONSTRAINT relationships_partner_sees_customer FOREIGN KEY (partner_id, customer_id) REFERENCES core.partner_customers(partner_id, customer_id) NOT VALID;

ALTER TABLE ONLY core.relationships
    ADD CONSTRAINT relationships_service_id_fkey FOREIGN KEY (service_id) REFERENCES core.services(id);

ALTER TABLE ONLY core.service_plans
    ADD CONSTRAINT service_plans_service_id_fkey FOREIGN KEY (service_id) REFERENCES core.services(id);

ALTER TABLE ONLY core.subscriptions
    ADD CONSTRAINT subscriptions_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES core.customers(id);

ALTER TABLE ONLY core.subscriptions
    ADD CONSTRAINT subscriptions_offer_id_fkey FOREIGN KEY (offer_id) REFERENCES core.offers(id);

ALTER TABLE ONLY core.subscriptions
    ADD CONSTRAINT subscriptions_parent_subscription_id_fkey FOREIGN KEY (parent_subscription_id) REFERENCES core.subscriptions(id);

ALTER TABLE ONLY core.subscriptions
    ADD CONSTRAINT subscriptions_partner_id_fkey FOREIGN KEY (partner_id) REFERENCES core.partners(id);

ALTER TABLE ONLY core.subscriptions
    ADD CONSTRAINT subscriptions_recorded_by_partner_id_fkey FOREIGN KEY (recorded_by_partner_id) REFERENCES core.partners(id);

ALTER TABLE ONLY core.subscriptions
    ADD CONSTRAINT subscriptions_recorder_sees_customer FOREIGN KEY (recorded_by_partner_id, customer_id) REFERENCES core.partner_customers(partner_id, customer_id) NOT VALID;

ALTER TABLE ONLY core.subscriptions
    ADD CONSTRAINT subscriptions_reseller_sees_customer FOREIGN KEY (partner_id, customer_id) REFERENCES core.partner_customers(partner_id, customer_id) NOT VALID;

ALTER TABLE ONLY core.subscriptions
    ADD CONSTRAINT subscriptions_upgraded_from_subscription_id_fkey FOREIGN KEY (upgraded_from_subscription_id) REFERENCES core.subscriptions(id);

ALTER TABLE ONLY core.subscriptions
    ADD CONSTRAINT subscriptions_upgraded_to_subscription_id_fkey FOREIGN KEY (upgraded_to_subscription_id) REFERENCES core.subscriptions(id);

ALTER TABLE ONLY core.upgrade_paths
    ADD CONSTRAINT upgrade_paths_source_offer_id_fkey FOREIGN KEY (source_offer_id) REFERENCES core.offers(id);

ALTER TABLE ONLY core.upgrade_paths
    ADD CONSTRAINT upgrade_paths_target_offer_id_fkey FOREIGN KEY (target_offer_id) REFERENCES core.offers(id);

ALTER TABLE ONLY core.users
    ADD CONSTRAINT users_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES core.customers(id);

CREATE POLICY acting_partner_only ON core.audit_events USING ((partner_id = ( SELECT logic.acting_partner() AS acting_partner))) WITH CHECK ((partner_id = ( SELECT logic.acting_partner() AS acting_partner)));

CREATE POLICY acting_partner_only ON core.batch_rows USING ((partner_id = ( SELECT logic.acting_partner() AS acting_partner))) WITH CHECK ((partner_id = ( SELECT logic.acting_partner() AS acting_partner)));

CREATE POLICY acting_partner_only ON core.batches USING ((partner_id = ( SELECT logic.acting_partner() AS acting_partner))) WITH CHECK ((partner_id = ( SELECT logic.acting_partner() AS acting_partner)));

CREATE POLICY acting_partner_only ON core.customers USING ((id IN ( SELECT partner_customers.customer_id
   FROM core.partner_customers
  WHERE (partner_customers.partner_id = ( SELECT logic.acting_partner() AS acting_partner))))) WITH CHECK ((id IN ( SELECT partner_customers.customer_id
   FROM core.partner_customers
  WHERE (partner_customers.partner_id = ( SELECT logic.acting_partner() AS acting_partner)))));

CREATE POLICY acting_partner_only ON core.license_assignments USING ((customer_id IN ( SELECT partner_customers.customer_id
   FROM core.partner_customers
  WHERE (partner_customers.partner_id = ( SELECT logic.acting_partner() AS acting_partner))))) WITH CHECK ((customer_id IN ( SELECT partner_customers.customer_id
   FROM core.partner_customers
  WHERE (partner_customers.partner_id = ( SELECT logic.acting_partner() AS acting_partner)))));

CREATE POLICY acting_partner_only ON core.partner_customers USING ((partner_id = ( SELECT logic.acting_partner() AS acting_partner))) WITH CHECK ((partner_id = ( SELECT logic.acting_partner() AS acting_partner)));

CREATE POLICY acting_partner_only ON core.partner_logins USING ((partner_id = ( SELECT logic.acting_partner() AS acting_partner))) WITH CHECK ((partner_id = ( SELECT logic.acting_partner() AS acting_partner)));

CREATE POLICY acting_partner_only ON core.partners USING ((id = ( SELECT logic.acting_partner() AS acting_partner))) WITH CHECK ((id = ( SELECT logic.acting_partner() AS acting_partner)));

CREATE POLICY acting_partner_only ON core.relationships USING ((partner_id = ( SELECT logic.acting_partner() AS acting_partner))) WITH CHECK ((partner_id = ( SELECT logic.acting_partner() AS acting_partner)));

CREATE POLICY acting_partner_only ON core.request_ids USING ((partner_id = ( SELECT logic.acting_partner() AS acting_partner))) WITH CHECK ((partner_id = ( SELECT logic.acting_partner() AS acting_partner)));

CREATE POLICY acting_partner_only ON core.subscriptions USING ((customer_id IN ( SELECT partner_customers.customer_id
   FROM core.partner_customers
  WHERE (partner_customers.partner_id = ( SELECT logic.acting_partner() AS acting_partner))))) WITH CHECK ((customer_id IN ( SELECT partner_customers.customer_id
   FROM core.partner_customers
  WHERE (partner_customers.partner_id = ( SELECT logic.acting_partner() AS acting_partner)))));

CREATE POLICY acting_partner_only ON core.upgrade_options USING ((partner_id = ( SELECT logic.acting_partner() AS acting_partner))) WITH CHECK ((partner_id = ( SELECT logic.acting_partner() AS acting_partner)));

CREATE POLICY acting_partner_only ON core.users USING ((customer_id IN ( SELECT partner_customers.customer_id
   FROM core.partner_customers
  WHERE (partner_customers.partner_id = ( SELECT logic.acting_partner() AS acting_partner))))) WITH CHECK ((customer_id IN ( SELECT partner_customers.customer_id
   FROM core.partner_customers
  WHERE (partner_customers.partner_id = ( SELECT logic.acting_partner() AS acting_partner)))));

ALTER TABLE core.audit_events ENABLE ROW LEVEL SECURITY;

ALTER TABLE core.batch_rows ENABLE ROW LEVEL SECURITY;

ALTER TABLE core.batches ENABLE ROW LEVEL SECURITY;

ALTER TABLE core.customers ENABLE ROW LEVEL SECURITY;

ALTER TABLE core.license_assignments ENABLE ROW LEVEL SECURITY;

ALTER TABLE core.partner_customers ENABLE ROW LEVEL SECURITY;

ALTER TABLE core.partner_logins ENABLE ROW LEVEL SECURITY;

ALTER TABLE core.partners ENABLE ROW LEVEL SECURITY;

ALTER TABLE core.relationships ENABLE ROW LEVEL SECURITY;

ALTER TABLE core.request_ids ENABLE ROW LEVEL SECURITY;

ALTER TABLE core.subscriptions ENABLE ROW LEVEL SECURITY;

ALTER TABLE core.upgrade_options ENABLE ROW LEVEL SECURITY;

ALTER TABLE core.users ENABLE ROW LEVEL SECURITY;

