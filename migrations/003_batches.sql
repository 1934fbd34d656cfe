-- 003 — operators' CSV batch jobs (SPEC 4). A batch is identified per partner by the
-- sha256 of its file (or an operator-given name); each data line of the file is one row
-- with its outcome. The functions live in sql/70_batches.sql.

CREATE TABLE core.batches (
    partner_id           text NOT NULL REFERENCES core.partners (id),
    id                   text NOT NULL,
    content_sha256       text NOT NULL,
    file_name            text NOT NULL,
    rows_total           bigint NOT NULL,
    created_by           text NOT NULL,
    created_at           timestamptz NOT NULL DEFAULT now(),
    runs                 integer NOT NULL DEFAULT 1,
    last_run_started_at  timestamptz NOT NULL DEFAULT now(),
    last_run_finished_at timestamptz,
    finished_at          timestamptz,
    CONSTRAINT batches_pkey PRIMARY KEY (partner_id, id),
    CONSTRAINT check_batches_id_format CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$'),
    CONSTRAINT check_batches_content_sha256 CHECK (content_sha256 ~ '^[0-9a-f]{64}$'),
    CONSTRAINT check_batches_rows_total CHECK (rows_total >= 0),
    CONSTRAINT check_batches_runs CHECK (runs >= 1)
);
COMMENT ON TABLE core.batches IS
'CSV batch jobs of a partner: id = sha256 of the file unless named; re-running the file resumes it.';

CREATE TABLE core.batch_rows (
    partner_id          text NOT NULL,
    batch_id            text NOT NULL,
    line                bigint NOT NULL,
    action              text NOT NULL,
    subscription_id     uuid NOT NULL,
    target_offer        text,
    quantity            integer,
    request_id          text NOT NULL,
    status              text NOT NULL DEFAULT 'pending',
    error_codes         text[] NOT NULL DEFAULT '{}',
    new_subscription_id uuid,
    processed_at        timestamptz,
    CONSTRAINT batch_rows_pkey PRIMARY KEY (partner_id, batch_id, line),
    CONSTRAINT batch_rows_batch_fkey FOREIGN KEY (partner_id, batch_id) REFERENCES core.batches (partner_id, id),
    CONSTRAINT check_batch_rows_line CHECK (line >= 2),
    CONSTRAINT check_batch_rows_action CHECK (
        action IN ('upgrade', 'add_licenses', 'remove_licenses', 'suspend', 'reactivate', 'cancel')),
    CONSTRAINT check_batch_rows_status CHECK (
        status IN ('pending', 'applied', 'rejected', 'already_applied', 'dry_run')),
    CONSTRAINT check_batch_rows_rejection_has_codes CHECK ((status = 'rejected') = (cardinality(error_codes) > 0)),
    CONSTRAINT check_batch_rows_quantity CHECK (quantity >= 1),
    CONSTRAINT check_batch_rows_request_id_length CHECK (length(request_id) BETWEEN 1 AND 200)
);
COMMENT ON TABLE core.batch_rows IS
'One row per data line of a batch file (line numbers of the file, header = line 1) and its outcome.';
-- The chunk loop resumes at the first pending line.
CREATE INDEX index_batch_rows_pending ON core.batch_rows (partner_id, batch_id, line) WHERE status = 'pending';
