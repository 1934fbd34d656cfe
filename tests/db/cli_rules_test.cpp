// The rules engine through the binary, end to end (SPEC 6): `upgrades`, `upgrade`,
// `licenses` and the status commands print the documented JSON and exit 0 on success,
// 1 when a rule refuses or the subscription does not exist, 64 on a usage error and 65
// on a bad value (nothing written).
#include <set>

#include <catch2/catch.hpp>

#include "db/support.hpp"

namespace {

std::set<std::string> codes(const nlohmann::json& result) {
    std::set<std::string> found;
    for (const auto& error : result.at("errors")) {
        CHECK(error.at("description").is_string());
        found.insert(error.at("code").get<std::string>());
    }
    return found;
}

// One operation result as SPEC 6 shapes it: status, ids, quantity, errors.
void check_operation_shape(const nlohmann::json& result, const std::string& status) {
    INFO(result.dump());
    CHECK(result.at("status") == status);
    CHECK(result.at("source_subscription_id").is_string());
    CHECK(result.contains("target_subscription_id"));
    CHECK(result.contains("quantity"));
    CHECK(result.at("errors").is_array());
}

test::Run as(const std::string& partner, std::vector<std::string> args) {
    args.insert(args.begin(), {"-o", "json", "--partner", partner});
    return test::subctl(args);
}

long long subscriptions_of(const std::string& customer) {
    auto connection = test::connect();
    pqxx::work tx(connection);
    return tx.exec_params("SELECT count(*) FROM core.subscriptions WHERE customer_id = $1::uuid", customer)[0][0]
        .as<long long>();
}

}  // namespace

TEST_CASE("upgrades lists every target with eligible and all errors", "[db][cli][rules]") {
    const auto partner = test::new_partner();
    const auto customer = test::new_customer(partner);
    const auto business = test::new_subscription(partner, customer, "o365-business");
    test::new_subscription(partner, customer, "o365-business-essentials", {"--channel", "direct"});

    const auto listed = as(partner, {"upgrades", business});
    INFO(listed.err);
    REQUIRE(listed.exit == 0);
    const auto targets = listed.json();
    REQUIRE(targets.size() == 3);
    for (const auto& target : targets) {
        const auto offer = target.at("target_offer").get<std::string>();
        INFO(offer);
        CHECK(target.at("eligible") == (offer == "o365-proplus"));
        CHECK(codes(target) == (offer == "o365-proplus" ? std::set<std::string>{}
                                                        : std::set<std::string>{"conflicting_service_types"}));
    }
    const auto missing = as(partner, {"upgrades", "00000000-0000-4000-8000-000000000000"});
    CHECK(missing.exit == 1);
    CHECK_THAT(missing.err, Catch::Contains("does not exist"));
}

TEST_CASE("upgrade succeeds, replays its request id, refuses a reused one", "[db][cli][rules]") {
    const auto partner = test::new_partner();
    const auto customer = test::new_customer(partner);
    const auto business = test::new_subscription(partner, customer, "o365-business");

    const auto dry = as(partner, {"upgrade", business, "--to", "o365-e3", "--dry-run"});
    CHECK(dry.exit == 0);
    check_operation_shape(dry.json(), "dry_run");
    CHECK(subscriptions_of(customer) == 1);

    const auto upgraded = as(partner, {"upgrade", business, "--to", "o365-e3", "--quantity", "12", "--request-id", "r-1"});
    INFO(upgraded.err);
    REQUIRE(upgraded.exit == 0);
    const auto result = upgraded.json();
    check_operation_shape(result, "succeeded");
    CHECK(result.at("quantity") == 12);
    const auto target = result.at("target_subscription_id").get<std::string>();

    const auto source = as(partner, {"subscription", "show", business}).json();
    CHECK(source.at("status") == "suspended");
    CHECK(source.at("upgraded_to") == target);
    const auto shown = as(partner, {"subscription", "show", target}).json();
    CHECK(shown.at("offer_id") == "o365-e3");
    CHECK(shown.at("channel") == "csp");
    CHECK(shown.at("partner_id") == partner);

    const auto replay = as(partner, {"upgrade", business, "--to", "o365-e3", "--quantity", "12", "--request-id", "r-1"});
    CHECK(replay.exit == 0);
    CHECK(replay.json() == result);
    CHECK(subscriptions_of(customer) == 2);

    const auto reused = as(partner, {"upgrade", business, "--to", "o365-proplus", "--request-id", "r-1"});
    CHECK(reused.exit == 1);
    check_operation_shape(reused.json(), "rejected");
    CHECK(codes(reused.json()) == std::set<std::string>{"request_id_reused"});
}

TEST_CASE("upgrade rejections exit 1 with every code and change nothing", "[db][cli][rules]") {
    const auto partner = test::new_partner();
    const auto customer = test::new_customer(partner, false);
    const auto direct = test::new_subscription(partner, customer, "o365-business", {"--channel", "direct"});
    const auto business = test::new_subscription(partner, customer, "o365-business");

    const auto refused = as(partner, {"upgrade", direct, "--to", "o365-e3"});
    CHECK(refused.exit == 1);
    check_operation_shape(refused.json(), "rejected");
    CHECK(refused.json().at("target_subscription_id").is_null());
    CHECK(codes(refused.json()) == std::set<std::string>{"not_reseller_of_record", "delegated_admin_permissions_disabled"});

    const auto wrong_path = as(partner, {"upgrade", business, "--to", "o365-e1", "--if-version", "7"});
    CHECK(wrong_path.exit == 1);
    CHECK(codes(wrong_path.json()) == std::set<std::string>{"version_mismatch", "subscription_target_offer_not_found"});

    const auto dry = as(partner, {"upgrade", business, "--to", "o365-e3", "--dry-run"});
    CHECK(dry.exit == 1);
    CHECK(dry.json().at("status") == "dry_run");
    CHECK(codes(dry.json()) == std::set<std::string>{"delegated_admin_permissions_disabled"});

    const auto stranger = test::new_partner();
    const auto hidden = as(stranger, {"upgrade", business, "--to", "o365-e3"});
    CHECK(hidden.exit == 1);
    CHECK(codes(hidden.json()) == std::set<std::string>{"subscription_not_found"});
    CHECK(hidden.out.find(partner) == std::string::npos);
    CHECK(subscriptions_of(customer) == 2);

    CHECK(as(partner, {"upgrade", business}).exit == 64);  // --to is required
    CHECK(as(partner, {"upgrade", business, "--to", "o365-e3", "--quantity", "0"}).exit == 65);
    CHECK(as(partner, {"upgrade", "not-a-uuid", "--to", "o365-e3"}).exit == 65);
    CHECK(as(partner, {"upgrade", business, "--to", "o365-e3", "--if-version", "x"}).exit == 65);
}

TEST_CASE("upgrade --if-version with the current version succeeds", "[db][cli][rules]") {
    const auto partner = test::new_partner();
    const auto customer = test::new_customer(partner);
    const auto business = test::new_subscription(partner, customer, "o365-business");
    const auto version = as(partner, {"subscription", "show", business}).json().at("version").get<long long>();
    const auto upgraded = as(partner, {"upgrade", business, "--to", "o365-proplus", "--if-version", std::to_string(version)});
    INFO(upgraded.out << upgraded.err);
    CHECK(upgraded.exit == 0);
    CHECK(as(partner, {"subscription", "show", business}).json().at("version") == version + 1);
}

TEST_CASE("licenses add and remove: results, range and annual refusals", "[db][cli][rules]") {
    const auto partner = test::new_partner();
    const auto customer = test::new_customer(partner);
    const auto monthly = test::new_subscription(partner, customer, "o365-business");
    const auto annual = test::new_subscription(partner, customer, "o365-e3", {"--billing-cycle", "annual"});

    const auto added = as(partner, {"licenses", "add", monthly, "5"});
    REQUIRE(added.exit == 0);
    check_operation_shape(added.json(), "succeeded");
    CHECK(added.json().at("quantity") == 15);
    CHECK(added.json().at("target_subscription_id").is_null());
    const auto removed = as(partner, {"licenses", "remove", monthly, "3", "--request-id", "lic-1"});
    CHECK(removed.exit == 0);
    CHECK(removed.json().at("quantity") == 12);

    const auto too_many = as(partner, {"licenses", "add", monthly, "289"});
    CHECK(too_many.exit == 1);
    CHECK(codes(too_many.json()) == std::set<std::string>{"quantity_out_of_range"});
    const auto annual_remove = as(partner, {"licenses", "remove", annual, "1"});
    CHECK(annual_remove.exit == 1);
    CHECK(codes(annual_remove.json()) == std::set<std::string>{"quantity_cannot_be_decreased"});
    const auto dry = as(partner, {"licenses", "add", annual, "1", "--dry-run"});
    CHECK(dry.exit == 0);
    CHECK(dry.json().at("status") == "dry_run");
    CHECK(as(partner, {"subscription", "show", annual}).json().at("quantity") == 10);

    CHECK(as(partner, {"licenses", "add", monthly}).exit == 64);
    CHECK(as(partner, {"licenses", "add", monthly, "-2"}).exit == 65);
    CHECK(as(partner, {"licenses", "remove", monthly, "abc"}).exit == 65);
    CHECK(as(partner, {"subscription", "show", monthly}).json().at("quantity") == 12);
}

TEST_CASE("subscription activate, suspend, reactivate, cancel follow the state machine", "[db][cli][rules]") {
    const auto partner = test::new_partner();
    const auto customer = test::new_customer(partner);
    const auto pending = test::new_subscription(partner, customer, "o365-e1", {"--status", "pending"});

    const auto status = [&] { return as(partner, {"subscription", "show", pending}).json().at("status"); };
    CHECK(as(partner, {"subscription", "suspend", pending}).exit == 1);
    CHECK(status() == "pending");
    const auto activated = as(partner, {"subscription", "activate", pending});
    INFO(activated.out << activated.err);
    CHECK(activated.exit == 0);
    CHECK(activated.json().at("status") == "succeeded");
    CHECK(status() == "active");
    CHECK(as(partner, {"subscription", "suspend", pending}).exit == 0);
    CHECK(status() == "suspended");
    CHECK(as(partner, {"subscription", "reactivate", pending}).exit == 0);
    CHECK(status() == "active");
    const auto cancel_dry = as(partner, {"subscription", "cancel", pending, "--dry-run"});
    CHECK(cancel_dry.exit == 0);
    CHECK(cancel_dry.json().at("status") == "dry_run");
    CHECK(status() == "active");
    CHECK(as(partner, {"subscription", "cancel", pending}).exit == 0);
    CHECK(status() == "cancelled");
    const auto refused = as(partner, {"subscription", "reactivate", pending});
    CHECK(refused.exit == 1);
    CHECK(codes(refused.json()) == std::set<std::string>{"invalid_status_transition"});
    CHECK(as(partner, {"subscription", "cancel", "00000000-0000-4000-8000-000000000000"}).exit == 1);
    CHECK(as(partner, {"subscription", "cancel"}).exit == 64);
    CHECK(as(partner, {"subscription", "cancel", "nope"}).exit == 65);
}
