-- 005 — reading a partner's subscription history without the subscriptions table.
-- report.subscription_history showed each event's offer by joining the subscription it
-- names: per read, a hash of the partner's whole subscription set through its row-level
-- security policy, larger than the default work_mem. A subscription event now records its
-- offer (core.audit_event_of, core.audit_rejections), as it was when the event happened.
-- And an index by partner: a partner's history and audit listing read that partner's
-- events, not every partner's.
ALTER TABLE core.audit_events ADD COLUMN offer_id text;
COMMENT ON COLUMN core.audit_events.offer_id IS
'A subscription event: the subscription''s offer after the change (before it, for a deletion).';

-- The earlier events: the offer their changes name, else the subscription's offer now (an
-- offer changes only by direct SQL, whose own event names the new one). A rejection of a
-- subscription the partner could not see names no customer, and gets no offer either.
-- Migrations are the one writer the append-only trigger lets through.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = 'core.audit_events'::regclass
                                          AND tgname = 'audit_events_append_only') THEN
        ALTER TABLE core.audit_events DISABLE TRIGGER audit_events_append_only;
        UPDATE core.audit_events a
        SET offer_id = coalesce(a.changes -> 'offer_id' ->> 1, a.changes -> 'offer_id' ->> 0,
                                (SELECT s.offer_id FROM core.subscriptions s WHERE s.id = a.subscription_id))
        WHERE a.entity = 'subscriptions' AND a.customer_id IS NOT NULL;
        ALTER TABLE core.audit_events ENABLE TRIGGER audit_events_append_only;
    END IF;
END $$;

CREATE INDEX index_audit_events_partner ON core.audit_events (partner_id, id);
