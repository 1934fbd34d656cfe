#!/usr/bin/env bash
# `make demo`: the local cluster under .local/, migrated, the shipped catalog loaded,
# and a real upgrade flow for a new demo customer. Safe to run again.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
DATABASE_URL=$("$root/tests/support/cluster.sh" start "$root/.local/pg" subctl)
export DATABASE_URL SUBCTL_PARTNER=demo-partner SUBCTL_OPERATOR=demo
unset PGHOST PGPORT PGDATABASE PGUSER SUBCTL_CONFIG
subctl=$root/build/subctl

step() { printf '\n\033[1m== %s\033[0m\n$ subctl %s\n' "$1" "${*:2}"; "$subctl" "${@:2}" || true; }
value() { "$subctl" -o json "$@" | sed -n 's/^  "id": "\(.*\)",\{0,1\}$/\1/p' | head -1; }

step "Migrate the database (re-runs are no-ops)" migrate
step "Load the shipped 21Vianet catalog (idempotent)" catalog apply
step "The upgrade matrix" catalog show --view matrix
"$subctl" partner add demo-partner --name "Demo Reseller (CN)" >/dev/null 2>&1 || true

name="Fabrikam $(date +%H%M%S)"
customer=$(value customer add --name "$name")
echo; echo "Added customer $customer ($name) for partner demo-partner"
step "Request and accept delegated admin privileges" relationship request "$customer" --service office365
step "" relationship accept "$customer" --service office365
business=$(value subscription add "$customer" --offer o365-business --quantity 25)
"$subctl" subscription add "$customer" --offer o365-proplus --quantity 5 --channel direct >/dev/null
# The source document's flow: select the customer, its subscription (the Details page,
# "Upgrade now"), choose a new offer and the number of licenses, submit.
step "1. Find the customer by a part of its name, any case" customer list --search "${name,,}"
step "   Its page: how it is seen, its subscriptions by status, the relationships" customer show "$name"
step "   Its Subscriptions page (ProPlus was bought directly from 21Vianet: multichannel)" subscription list --customer "$name"
step "2. The Details page of Office 365 Business (by the first 8 characters of its id): Upgrade now, and every target" \
    subscription show "${business:0:8}"
step "Upgrade options of Office 365 Business: all errors per target" upgrades "$business"
step "Dry run of an upgrade to E3 (blocked by the direct ProPlus)" upgrade "$business" --to o365-e3 --dry-run
domain=fabrikam.partner.onmschina.cn
for user in anna ben chen; do "$subctl" -q user add "$customer" --upn "$user@$domain" >/dev/null; done
step "   Its users: Anna and Ben hold licenses of Office 365 Business, Chen none yet" \
    license assign "${business:0:8}" "anna@$domain" "ben@$domain"
step "" user list --customer "$name"
step "3. Choose an offer and the licenses: on a terminal upgrade without --to asks (a target by number, the licenses, y/N); without one it needs --to" upgrade "$business" </dev/null
step "   Submit: Business -> Business Premium with 30 licenses, the ticket in the audit trail; the users' licenses move with it (licenses_transferred)" \
    upgrade "$business" --to o365-business-premium --quantity 30 --request-id "demo-$customer" --comment "ticket CN-2026-1203"
printf '\nWhat is left to do after the upgrade (next_steps of its result):\n'
"$subctl" -o json upgrade "$business" --to o365-business-premium --quantity 30 --request-id "demo-$customer" |
    awk '/"next_steps": \[\]/ {print "  nothing: the users'"'"' licenses moved with it"; next}
         /"next_steps": \[/ {on = 1; next} on && /^ *\]/ {on = 0} on {sub(/^ *"/, "  - "); sub(/",?$/, ""); print}' || true
step "The same request id again: the first result, nothing changed" upgrade "$business" --to o365-business-premium --quantity 30 --request-id "demo-$customer"
premium=$("$subctl" -o json subscription show "$business" | sed -n 's/^  "upgraded_to": "\(.*\)",\{0,1\}$/\1/p')
step "The source is suspended (reason upgraded) and points to the target" subscription show "$business"
step "Anna and Ben now hold licenses of Business Premium" user list --customer "$customer"
step "Add 10 licenses to the new Business Premium subscription" licenses add "$premium" 10
step "301 licenses are beyond Business Premium's maximum of 300" licenses add "$premium" 261
step "Subscriptions after the flow" subscription list --customer "$customer"
batch=$(mktemp /tmp/subctl-demo-batch.XXXXXX)
trap 'rm -f "$batch"' EXIT
printf 'action,subscription_id,target_offer,quantity,request_id\nadd_licenses,%s,,5,\nremove_licenses,%s,,500,\n' \
    "$premium" "$premium" >"$batch"
step "A CSV batch: each row through the same rules (row 3 is refused)" batch run "$batch" -q
step "Run it again: resumed, nothing applied twice" batch run "$batch" -q
step "Report: what blocks upgrades, by rule" report show blocked_upgrades
step "Report: licenses purchased, assigned and unassigned, per subscription of the customer" \
    report show license_utilization --where "customer_id=$customer"
step "   the partner's totals" report show license_utilization_totals
step "   the users who hold no license of an active subscription" report show users_without_license --where "customer_id=$customer"
step "The audit trail of the upgraded subscription" audit --subscription "$business"
step "Tamper evidence: the customer's audit chain recomputed (keep the head hash elsewhere)" audit verify --customer "$customer"
echo
echo "export DATABASE_URL='$DATABASE_URL' SUBCTL_PARTNER=demo-partner   # to continue with build/subctl"
