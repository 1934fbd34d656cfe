-- 019 — report.upgrade_history lists the upgrades into an existing subscription as well:
-- it reads each one off the event of the subscription that grew (an upgrade event that
-- changed its quantity and did not create it), a few among every change of the partner's
-- audit trail, which it would otherwise scan whole.
CREATE INDEX index_audit_events_partner_upgrades_into ON core.audit_events (partner_id)
    WHERE entity = 'subscriptions' AND operation = 'upgrade' AND outcome = 'succeeded'
      AND changes ? 'quantity' AND NOT changes ? 'upgraded_from_subscription_id';
