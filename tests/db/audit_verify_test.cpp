// Trust end to end through the binary (SPEC 7.1): `customer link` is the one way a
// partner reaches another partner's customer, and `audit verify` recomputes the audit
// chains, prints each head (the checkpoint) and exits 1 naming what was tampered with.
#include <catch2/catch.hpp>

#include "db/support.hpp"

namespace {

test::Run as(const std::string& partner, std::vector<std::string> args) {
    args.insert(args.begin(), {"-o", "json", "--partner", partner});
    return test::subctl(args);
}

// Runs SQL as the test cluster's superuser with every trigger off (a tamperer).
void tamper(const std::string& sql) {
    auto connection = test::connect();
    pqxx::work tx(connection);
    tx.exec0("SET LOCAL session_replication_role = replica");
    tx.exec0(sql);
    tx.commit();
}

}  // namespace

TEST_CASE("customer link: another partner reaches a customer only once the platform links it", "[db][cli]") {
    const auto owner_partner = test::new_partner();
    const auto customer = test::new_customer(owner_partner);
    const auto other = test::new_partner();

    const auto hidden = as(other, {"relationship", "request", customer, "--service", "office365"});
    CHECK(hidden.exit == 1);
    CHECK(hidden.err == "subctl: customer_not_found: Customer " + customer +
                            " does not exist. Next step: find the customer: subctl customer list --search TEXT\n");
    CHECK(as(other, {"subscription", "add", customer, "--offer", "o365-e1", "--quantity", "1", "--channel", "direct"})
              .exit == 1);
    CHECK(test::scalar("SELECT count(*) FROM core.subscriptions WHERE recorded_by_partner_id = $1", other) == 0);

    const auto linked = test::subctl({"-o", "json", "customer", "link", customer, other});
    INFO(linked.err);
    REQUIRE(linked.exit == 0);
    CHECK(linked.json()["status"] == "succeeded");
    const auto again = test::subctl({"-o", "json", "customer", "link", customer, other});
    CHECK(again.exit == 1);
    CHECK(again.err == "subctl: customer_already_linked: Customer " + customer + " is already visible to partner " +
                           other + ". Next step: nothing to do: the partner already sees the customer\n");
    CHECK(again.json()["status"] == "rejected");
    CHECK(again.json()["errors"][0]["code"] == "customer_already_linked");
    // the platform's refusal: audited under no partner, on the customer's chain
    CHECK(test::scalar("SELECT count(*) FROM core.audit_events WHERE operation = 'link_customer' AND outcome = 'rejected' "
                       "AND partner_id IS NULL AND customer_id = $1::uuid AND error_codes = '{customer_already_linked}'",
                       customer) == 1);

    CHECK(as(other, {"relationship", "request", customer, "--service", "office365"}).exit == 0);
    bool listed = false;
    for (const auto& c : as(other, {"customer", "list"}).json()) listed = listed || c["id"] == customer;
    CHECK(listed);
}

TEST_CASE("audit verify: heads as checkpoint, exit 1 naming a changed event or the newest removed", "[db][cli]") {
    const auto partner = test::new_partner();
    const auto customer = test::new_customer(partner);
    const auto subscription = test::new_subscription(partner, customer, "o365-business");
    REQUIRE(as(partner, {"licenses", "add", subscription, "2"}).exit == 0);
    const auto chain = "customer:" + customer;

    const auto clean = as(partner, {"audit", "verify", "--customer", customer});
    INFO(clean.err);
    REQUIRE(clean.exit == 0);
    const auto heads = clean.json();
    REQUIRE(heads.size() == 1);
    CHECK(heads[0]["chain"] == chain);
    CHECK(heads[0]["status"] == "ok");
    const auto head = heads[0]["head_event_id"].get<long long>();
    CHECK(head == test::scalar("SELECT max(id) FROM core.audit_events WHERE customer_id = $1::uuid", customer));
    const test::TempFile checkpoint(clean.out);

    SECTION("a field changed with the triggers off") {
        const auto first = test::scalar("SELECT min(id) FROM core.audit_events WHERE customer_id = $1::uuid", customer);
        tamper("UPDATE core.audit_events SET operator = 'nobody' WHERE id = " + std::to_string(first));
        const auto broken = as(partner, {"audit", "verify", "--customer", customer});
        CHECK(broken.exit == 1);
        CHECK(broken.err == "subctl: audit_chain_broken: " + chain + ": event " + std::to_string(first) +
                                " does not follow the chain: it or the event before it was changed\n");
        CHECK(broken.json()[0]["first_broken_event_id"] == first);
    }
    SECTION("the newest event removed: the chain needs the checkpoint; the subscription tells") {
        tamper("DELETE FROM core.audit_events WHERE id = " + std::to_string(head));
        const auto alone = as(partner, {"audit", "verify", "--customer", customer});
        CHECK(alone.exit == 1);  // the license change's event is gone: the row says 12, the trail 10
        CHECK(alone.json()[0]["status"] == "ok");
        CHECK(alone.err == "subctl: audit_chain_broken: subscription:" + subscription + ": subscription " +
                               subscription + ": quantity is 12 but its audit trail says 10: changed without an "
                               "audit event\n");
        const auto broken = as(partner, {"audit", "verify", "--customer", customer, "--checkpoint", checkpoint.path});
        CHECK(broken.exit == 1);
        CHECK(broken.err == "subctl: audit_chain_broken: " + chain + ": event " + std::to_string(head) +
                                ", the head of this chain in the checkpoint, is gone: events were removed\n");
    }
    SECTION("a checkpoint that is not one") {
        const test::TempFile junk("{\"chain\": 1}");
        const auto refused = as(partner, {"audit", "verify", "--checkpoint", junk.path});
        CHECK(refused.exit == 65);
        CHECK_THAT(refused.err, Catch::StartsWith("subctl: invalid_argument: --checkpoint " + junk.path));
        const auto missing = as(partner, {"audit", "verify", "--checkpoint", "/nonexistent/checkpoint.json"});
        CHECK(missing.exit == 65);
    }
}
