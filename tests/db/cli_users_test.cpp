// Users and their licenses through the binary (SPEC 7.3): user add and list, license
// assign and unassign of several users at once (all or nothing, every error listed),
// upgrade with and without the license transfer, upgrade --into, cancel releasing the
// licenses; batch files with the columns user and into.
#include <catch2/catch.hpp>

#include "db/support.hpp"

namespace {

struct Fixture {
    std::string partner = test::new_partner();
    std::string customer = test::new_customer(partner);
    std::string subscription = test::new_subscription(partner, customer, "o365-business");

    test::Run run(std::vector<std::string> args) const {
        args.insert(args.begin(), {"-o", "json", "--partner", partner});
        return test::subctl(args);
    }
    std::string add_user(const std::string& upn) const {
        const auto added = run({"user", "add", customer, "--upn", upn});
        INFO(added.err);
        REQUIRE(added.exit == 0);
        return added.json()["id"].get<std::string>();
    }
    long long assigned(const std::string& subscription_id) const {
        return test::scalar("SELECT count(*) FROM core.license_assignments WHERE subscription_id = $1::uuid",
                            subscription_id);
    }
};

}  // namespace

TEST_CASE("user add and user list; a taken name, a bad name", "[db][cli][users]") {
    const Fixture f;
    const auto anna = f.run({"user", "add", f.customer, "--upn", "anna@contoso.partner.onmschina.cn", "--name", "Anna",
                             "--comment", "new hire"});
    INFO(anna.err);
    REQUIRE(anna.exit == 0);
    CHECK(anna.json()["upn"] == "anna@contoso.partner.onmschina.cn");
    CHECK(anna.json()["display_name"] == "Anna");
    CHECK(test::scalar("SELECT count(*) FROM core.audit_events WHERE operation = 'add_user' AND entity = 'users' "
                       "AND entity_id = $1 AND comment = 'new hire' AND source = 'cli'",
                       anna.json()["id"].get<std::string>()) == 1);

    const auto again = f.run({"user", "add", f.customer, "--upn", "ANNA@contoso.partner.onmschina.cn"});
    CHECK(again.exit == 1);
    CHECK(again.err == "subctl: user_exists: User anna@contoso.partner.onmschina.cn already exists in customer " +
                           f.customer + ". Next step: nothing to add: see the users with subctl user list --customer " +
                           f.customer + "\n");

    const auto bad = f.run({"user", "add", f.customer, "--upn", "anna at contoso"});
    CHECK(bad.exit == 65);
    CHECK_THAT(bad.err, Catch::StartsWith("subctl: invalid_argument: user principal name \"anna at contoso\" is not NAME@DOMAIN") &&
                            !Catch::Contains("check_users_upn_format"));
    const auto dry = f.run({"user", "add", f.customer, "--upn", "dry@contoso.partner.onmschina.cn", "--dry-run"});
    CHECK(dry.exit == 0);
    CHECK(dry.json()["status"] == "dry_run");
    CHECK(test::scalar("SELECT count(*) FROM core.users WHERE customer_id = $1::uuid", f.customer) == 1);

    const auto list = f.run({"user", "list", "--customer", f.customer});
    REQUIRE(list.exit == 0);
    REQUIRE(list.json().size() == 1);
    CHECK(list.json()[0]["upn"] == "anna@contoso.partner.onmschina.cn");
    const auto table = test::subctl({"--partner", f.partner, "user", "list", "--customer", f.customer});
    CHECK_THAT(table.out, Catch::StartsWith("upn") && Catch::Contains("anna@contoso.partner.onmschina.cn"));

    const auto stranger = test::new_partner();
    const auto hidden = test::subctl({"--partner", stranger, "user", "list", "--customer", f.customer});
    CHECK(hidden.exit == 1);
    CHECK_THAT(hidden.err, Catch::StartsWith("subctl: customer_not_found"));
}

TEST_CASE("license assign of several users is all or nothing, listing every error; unassign", "[db][cli][users]") {
    const Fixture f;
    REQUIRE(f.run({"licenses", "remove", f.subscription, "8"}).exit == 0);  // 2 licenses
    const auto anna = f.add_user("anna@contoso.partner.onmschina.cn");
    f.add_user("ben@contoso.partner.onmschina.cn");
    f.add_user("cleo@contoso.partner.onmschina.cn");

    const auto refused = f.run({"license", "assign", f.subscription, anna, "ben@contoso.partner.onmschina.cn",
                                "nobody@contoso.partner.onmschina.cn", "cleo@contoso.partner.onmschina.cn"});
    CHECK(refused.exit == 1);
    CHECK(refused.err == "subctl: rejected: user_not_found, license_quantity_exceeded\n");
    const auto errors = refused.json()["errors"];
    REQUIRE(errors.size() == 2);
    CHECK(errors[0]["details"]["users"] == nlohmann::json::array({"nobody@contoso.partner.onmschina.cn"}));
    CHECK(errors[1]["details"] == nlohmann::json({{"assigned", 0}, {"quantity", 2}, {"asked", 3}, {"missing", 1}}));
    CHECK(f.assigned(f.subscription) == 0);
    CHECK(test::scalar("SELECT count(*) FROM core.audit_events WHERE operation = 'assign_license' AND outcome = 'rejected' "
                       "AND subscription_id = $1::uuid AND error_codes = '{user_not_found,license_quantity_exceeded}'",
                       f.subscription) == 1);

    const auto dry = f.run({"license", "assign", f.subscription, anna, "ben@contoso.partner.onmschina.cn", "--dry-run"});
    CHECK(dry.exit == 0);
    CHECK(dry.json()["status"] == "dry_run");
    CHECK(f.assigned(f.subscription) == 0);

    const auto assigned = f.run({"license", "assign", f.subscription, anna, "Ben@Contoso.partner.onmschina.cn",
                                 "--request-id", "assign-1"});
    INFO(assigned.err);
    REQUIRE(assigned.exit == 0);
    CHECK(assigned.json()["licenses_assigned"] == 2);
    CHECK(assigned.json()["request_id"] == "assign-1");
    CHECK(f.assigned(f.subscription) == 2);
    const auto replay = f.run({"license", "assign", f.subscription, anna, "Ben@Contoso.partner.onmschina.cn",
                               "--request-id", "assign-1"});
    CHECK(replay.json()["assigned"] == assigned.json()["assigned"]);

    const auto full = f.run({"license", "assign", f.subscription, "cleo@contoso.partner.onmschina.cn"});
    CHECK(full.exit == 1);
    CHECK_THAT(full.err, Catch::StartsWith("subctl: license_quantity_exceeded: Subscription " + f.subscription +
                                           " has 2 licenses and 2 assigned: 1 more would exceed it."));
    const auto below = f.run({"licenses", "remove", f.subscription, "1"});
    CHECK(below.exit == 1);
    CHECK_THAT(below.err, Catch::StartsWith("subctl: quantity_below_assigned_licenses:"));

    const auto show = f.run({"subscription", "show", f.subscription});
    CHECK(show.json()["licenses_assigned"] == 2);

    const auto unassigned = f.run({"license", "unassign", f.subscription, "ben@contoso.partner.onmschina.cn"});
    REQUIRE(unassigned.exit == 0);
    CHECK(unassigned.json()["licenses_assigned"] == 1);
    CHECK(f.assigned(f.subscription) == 1);
    CHECK(f.run({"license", "assign", f.subscription}).exit == 64);  // no USER
}

TEST_CASE("upgrade moves the licenses; --no-license-transfer leaves them and says how many to reassign; cancel releases",
          "[db][cli][users]") {
    const Fixture f;
    const auto anna = f.add_user("anna@contoso.partner.onmschina.cn");
    const auto ben = f.add_user("ben@contoso.partner.onmschina.cn");
    REQUIRE(f.run({"license", "assign", f.subscription, anna, ben}).exit == 0);

    const auto listing = f.run({"upgrades", f.subscription, "--quantity", "1"});
    REQUIRE(listing.exit == 0);
    for (const auto& target : listing.json()) {
        CHECK(target["errors"][0]["code"] == "license_transfer_quantity_insufficient");
    }
    const auto too_few = f.run({"upgrade", f.subscription, "--to", "o365-e3", "--quantity", "1"});
    CHECK(too_few.exit == 1);
    CHECK_THAT(too_few.err, Catch::StartsWith("subctl: license_transfer_quantity_insufficient: 1 licenses of o365-e3"));

    const auto upgraded = f.run({"upgrade", f.subscription, "--to", "o365-e3"});
    INFO(upgraded.err);
    REQUIRE(upgraded.exit == 0);
    CHECK(upgraded.json()["upgrade_type"] == "upgrade_with_license_transfer");
    CHECK(upgraded.json()["licenses_transferred"] == 2);
    const auto target = upgraded.json()["target_subscription_id"].get<std::string>();
    CHECK(f.assigned(target) == 2);
    CHECK(f.assigned(f.subscription) == 0);

    // another customer's subscription, upgraded without moving its licenses
    const auto other = test::new_customer(f.partner);
    const auto other_subscription = test::new_subscription(f.partner, other, "o365-business");
    const auto otto = f.run({"user", "add", other, "--upn", "otto@other.partner.onmschina.cn"});
    REQUIRE(f.run({"license", "assign", other_subscription, "otto@other.partner.onmschina.cn"}).exit == 0);
    const auto only = f.run({"upgrade", other_subscription, "--to", "o365-business-premium", "--no-license-transfer"});
    INFO(only.err);
    REQUIRE(only.exit == 0);
    CHECK(only.json()["upgrade_type"] == "upgrade_only");
    CHECK(only.json()["licenses_transferred"] == 0);
    CHECK_THAT(only.json()["next_steps"][0].get<std::string>(),
               Catch::StartsWith("reassign the 1 user who holds a license of the suspended subscription " + other_subscription));
    CHECK(f.assigned(other_subscription) == 1);

    const auto cancelled = f.run({"subscription", "cancel", target});
    INFO(cancelled.err);
    REQUIRE(cancelled.exit == 0);
    CHECK(cancelled.json()["licenses_released"] == 2);
    CHECK(f.assigned(target) == 0);
    CHECK(test::scalar("SELECT count(*) FROM core.audit_events WHERE operation = 'cancel' AND entity = 'license_assignments' "
                       "AND subscription_id = $1::uuid",
                       target) == 2);
}

TEST_CASE("upgrade --into grows an existing subscription and moves the licenses; a refusal names it", "[db][cli][users]") {
    const Fixture f;
    const auto premium = test::new_subscription(f.partner, f.customer, "o365-business-premium");
    const auto anna = f.add_user("anna@contoso.partner.onmschina.cn");
    REQUIRE(f.run({"license", "assign", f.subscription, anna}).exit == 0);
    const auto quantity_of = [](const std::string& id) {
        return test::scalar("SELECT quantity FROM core.subscriptions WHERE id = $1::uuid", id);
    };

    const auto dry = f.run({"upgrade", f.subscription, "--into", premium.substr(0, 8), "--quantity", "3", "--dry-run"});
    INFO(dry.err);
    REQUIRE(dry.exit == 0);
    CHECK(dry.json()["status"] == "dry_run");
    CHECK(dry.json()["target_subscription_id"].is_null());
    CHECK(dry.json()["into_subscription_id"] == premium);
    CHECK(dry.json()["quantity"] == 13);
    CHECK(quantity_of(premium) == 10);

    const auto listing = f.run({"upgrades", f.subscription, "--into", premium.substr(0, 8), "--quantity", "3"});
    INFO(listing.err);
    REQUIRE(listing.exit == 0);
    for (const auto& target : listing.json()) {
        CHECK(target["eligible"] == (target["target_offer"] == "o365-business-premium"));
    }
    const auto other_offer = f.run({"upgrade", f.subscription, "--to", "o365-e3", "--into", premium});
    CHECK(other_offer.exit == 1);
    CHECK(other_offer.err == "subctl: into_subscription_other_offer: Subscription " + premium +
                                 " is of o365-business-premium, not of the target offer o365-e3. Next step: leave out --to "
                                 "(the target is then the offer of " + premium +
                                 "), or upgrade into a subscription of o365-e3\n");
    const auto unknown = f.run({"upgrade", f.subscription, "--into", test::nil_uuid});
    CHECK(unknown.exit == 1);
    CHECK_THAT(unknown.err, Catch::StartsWith("subctl: into_subscription_not_found: Subscription " + test::nil_uuid +
                                              " to upgrade into does not exist."));

    const auto upgraded = f.run({"upgrade", f.subscription, "--into", premium.substr(0, 8), "--quantity", "3",
                                 "--request-id", "into-cli", "--comment", "merge"});
    INFO(upgraded.err);
    REQUIRE(upgraded.exit == 0);
    CHECK(upgraded.json()["target_subscription_id"] == premium);
    CHECK(upgraded.json()["into_subscription_id"] == premium);
    CHECK(upgraded.json()["quantity"] == 13);
    CHECK(upgraded.json()["quantity_added"] == 3);
    CHECK(upgraded.json()["licenses_transferred"] == 1);
    CHECK(upgraded.json()["request_id"] == "into-cli");
    CHECK(quantity_of(premium) == 13);
    CHECK(f.assigned(premium) == 1);
    CHECK(f.assigned(f.subscription) == 0);
    CHECK(test::scalar<std::string>("SELECT upgraded_to_subscription_id::text FROM core.subscriptions WHERE id = $1::uuid",
                                    f.subscription) == premium);
    CHECK(test::scalar("SELECT count(*) FROM core.audit_events WHERE operation = 'upgrade' AND entity = 'subscriptions' "
                       "AND entity_id IN ($1, $2) AND request_id = 'into-cli' AND comment = 'merge' AND source = 'cli'",
                       f.subscription, premium) == 2);
    const auto table = test::subctl({"--partner", f.partner, "upgrade", f.subscription, "--into", premium, "--quantity", "3",
                                     "--request-id", "into-cli"});
    CHECK(table.exit == 0);  // the replay
    CHECK(quantity_of(premium) == 13);
}

TEST_CASE("batch run with the columns user and into: license rows and upgrades into, a bad value named", "[db][cli][users]") {
    const Fixture f;
    const auto premium = test::new_subscription(f.partner, f.customer, "o365-business-premium");
    f.add_user("anna@contoso.partner.onmschina.cn");
    const std::string header = "action,subscription_id,target_offer,quantity,request_id,user,into\n";

    test::TempFile bad(header + "assign_license," + f.subscription + ",,,,,\nupgrade," + f.subscription + ",,,,,12345\n");
    const auto invalid = f.run({"batch", "run", bad.path});
    CHECK(invalid.exit == 65);
    CHECK_THAT(invalid.err, Catch::Contains("2 error(s), nothing applied (first: line 2, column user: required for assign_license)"));
    REQUIRE(invalid.json().size() == 2);
    CHECK(invalid.json()[1] == nlohmann::json({{"line", 3}, {"column", "into"}, {"value", "12345"}, {"message", "not a UUID"}}));

    test::TempFile good(header + "assign_license," + f.subscription + ",,,,anna@contoso.partner.onmschina.cn,\n" +
                        "assign_license," + f.subscription + ",,,,nobody@contoso.partner.onmschina.cn,\n" +
                        "upgrade," + f.subscription + ",,2,,," + premium + "\n");
    const auto run = f.run({"batch", "run", good.path});
    INFO(run.err);
    CHECK(run.exit == 1);  // the row of a user not found
    CHECK(run.json()["applied"] == 2);
    CHECK(run.json()["rejected"] == 1);
    CHECK(f.assigned(premium) == 1);
    CHECK(test::scalar("SELECT quantity FROM core.subscriptions WHERE id = $1::uuid", premium) == 12);
    const auto show = f.run({"batch", "show", run.json()["id"].get<std::string>()});
    REQUIRE(show.exit == 0);
    CHECK(show.json()[0]["user"] == "anna@contoso.partner.onmschina.cn");
    CHECK(show.json()[1]["error_codes"] == nlohmann::json::array({"user_not_found"}));
    CHECK(show.json()[2]["into_subscription_id"] == premium);
    CHECK(show.json()[2]["new_subscription_id"] == premium);
}
