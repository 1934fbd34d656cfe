-- 015 — batch rows that assign and unassign licenses, and upgrades into an existing
-- subscription (SPEC 7.3): two more actions, and the two optional columns of the file
-- (user, into) kept with each row. Rows of older files keep both NULL.
CREATE OR REPLACE FUNCTION core.batch_actions() RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN ARRAY['upgrade', 'add_licenses', 'remove_licenses', 'suspend', 'reactivate', 'cancel', 'assign_license', 'unassign_license'];
COMMENT ON FUNCTION core.batch_actions IS 'The actions a batch file''s row may name.';

ALTER TABLE core.batch_rows
    ADD COLUMN license_user text,
    ADD COLUMN into_subscription_id uuid,
    ADD CONSTRAINT check_batch_rows_license_user CHECK (
        (license_user IS NOT NULL) = (action IN ('assign_license', 'unassign_license'))),
    ADD CONSTRAINT check_batch_rows_into CHECK (into_subscription_id IS NULL OR action = 'upgrade');
COMMENT ON COLUMN core.batch_rows.license_user IS
'The user of an assign_license or unassign_license row (its id or user principal name, as the file names it).';
COMMENT ON COLUMN core.batch_rows.into_subscription_id IS
'The existing subscription an upgrade row upgrades into (the file''s column into); NULL: a new target subscription.';
