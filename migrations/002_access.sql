-- Database roles and partner isolation (issue 5). The roles themselves, their grants and
-- the row-level-security policies live in sql/90_access.sql (re-applied on every migrate).

-- Which partner a database login acts for. A mapped login always acts for its partner
-- and is recorded under its own name: neither can be chosen by the caller.
CREATE TABLE core.partner_logins (
    login_role name PRIMARY KEY,
    partner_id text NOT NULL REFERENCES core.partners (id),
    mapped_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX index_partner_logins_partner ON core.partner_logins (partner_id);
COMMENT ON TABLE core.partner_logins IS 'Login role -> the one partner it acts for.';

-- The database login behind every audit event, whatever operator name was claimed.
-- Events written before this migration carry NULL: the login was not recorded then.
ALTER TABLE core.audit_events ADD COLUMN login_role name;
ALTER TABLE core.audit_events ALTER COLUMN login_role SET DEFAULT session_user;

