// What the operator reads (SPEC 7.2) through the binary: the Details page of `subscription
// show`, `upgrades` of an offer no path leaves, and a refusal's sentence and next step in
// every output format.
#include <catch2/catch.hpp>

#include "db/support.hpp"

namespace {

test::Run as(const std::string& partner, const std::string& format, std::vector<std::string> args) {
    args.insert(args.begin(), {"-o", format, "--partner", partner});
    return test::subctl(args);
}

}  // namespace

TEST_CASE("subscription show is the Details page: upgrade now with the command, blocked with the reasons",
          "[db][cli][details]") {
    const auto partner = test::new_partner();
    const auto customer = test::new_customer(partner);
    const auto business = test::new_subscription(partner, customer, "o365-business");
    test::new_subscription(partner, customer, "o365-business-essentials", {"--channel", "direct"});

    const auto json = as(partner, "json", {"subscription", "show", business.substr(0, 8)});
    INFO(json.err);
    REQUIRE(json.exit == 0);
    const auto details = json.json();
    CHECK(details.at("id") == business);
    CHECK(details.at("offer_name") == "Office 365 Business");
    CHECK(details.at("relationship").at("status") == "active");
    CHECK(details.at("upgrade_now") == true);
    CHECK(details.at("upgrades").size() == 3);

    const auto table = as(partner, "table", {"subscription", "show", business});
    INFO(table.out);
    REQUIRE(table.exit == 0);
    CHECK_THAT(table.out, Catch::StartsWith("Subscription   " + business + "\n"));
    CHECK_THAT(table.out, Catch::Contains("Offer          o365-business (Office 365 Business)\n"));
    CHECK_THAT(table.out, Catch::Contains("Relationship   active, expires "));
    CHECK_THAT(table.out, Catch::Contains("\nUpgrade now\n  o365-proplus (Office 365 ProPlus)\n    subctl upgrade " +
                                          business + " --to o365-proplus\n"));
    const auto blocked = table.out.find("\nBlocked\n");
    REQUIRE(blocked != std::string::npos);
    const auto below = table.out.substr(blocked);
    CHECK_THAT(below, Catch::Contains("  o365-business-premium (Office 365 Business Premium)\n"
                                      "    conflicting_service_types: The customer already has "));
    CHECK_THAT(below, Catch::Contains("      next step: the customer cancels subscriptions "));
    CHECK(below.find("subctl upgrade") == std::string::npos);
}

TEST_CASE("an offer no upgrade path leaves: the Details page and upgrades say so in words", "[db][cli][details]") {
    const auto partner = test::new_partner();
    const auto customer = test::new_customer(partner);
    const auto e3 = test::new_subscription(partner, customer, "o365-e3");
    const auto sentence = std::string("No upgrade path leaves offer o365-e3 (Office 365 Enterprise E3)");

    const auto details = as(partner, "table", {"subscription", "show", e3});
    REQUIRE(details.exit == 0);
    CHECK_THAT(details.out, Catch::Contains("\nUpgrade now\n  " + sentence));
    CHECK(details.out.find("Blocked") == std::string::npos);

    const auto table = as(partner, "table", {"upgrades", e3});
    INFO(table.err);
    CHECK(table.exit == 0);
    CHECK_THAT(table.out, Catch::StartsWith(sentence));
    CHECK(table.out.find("(no rows)") == std::string::npos);
    const auto json = as(partner, "json", {"upgrades", e3});
    CHECK(json.exit == 0);
    CHECK(json.json() == nlohmann::json::array());
}

TEST_CASE("a refusal shows its sentence and next step in table, json and csv, and on stderr", "[db][cli][details]") {
    const auto partner = test::new_partner();
    const auto customer = test::new_customer(partner);
    const auto business = test::new_subscription(partner, customer, "o365-business");
    // (a license change names the licenses typed and the total they would make)
    const std::string description = "Adding 1000 licenses would make 1010, outside the range of o365-business: 1 to 300.";
    const std::string next_step = "subscription " + business + " has 10 licenses and o365-business allows 1 to 300: add fewer";

    const auto table = as(partner, "table", {"licenses", "add", business, "1000"});
    CHECK(table.exit == 1);
    CHECK_THAT(table.out, Catch::Contains("quantity_out_of_range: " + description + "\n    next step: " + next_step + "\n"));
    CHECK(table.err == "subctl: quantity_out_of_range: " + description + " Next step: " + next_step + "\n");

    const auto json = as(partner, "json", {"licenses", "add", business, "1000"});
    CHECK(json.exit == 1);
    const auto error = json.json().at("errors").at(0);
    CHECK(error.at("description") == description);
    CHECK(error.at("next_step") == next_step);
    CHECK(error.at("details").at("asked") == 1010);

    const auto csv = as(partner, "csv", {"licenses", "add", business, "1000"});
    CHECK(csv.exit == 1);
    CHECK_THAT(csv.out, Catch::Contains(description) && Catch::Contains(next_step));

    // a refusal that names its case: the case is the description, no message or hint beside it
    const auto again = as(partner, "json", {"relationship", "request", customer});
    CHECK(again.exit == 1);
    const auto refused = again.json().at("errors").at(0);
    CHECK(refused.at("code") == "relationship_exists");
    CHECK_THAT(refused.at("description").get<std::string>(), Catch::Matches("Relationship .* is already active\\."));
    CHECK_FALSE(refused.contains("message"));
    CHECK_FALSE(refused.contains("hint"));
    CHECK_THAT(again.err, Catch::StartsWith("subctl: relationship_exists: Relationship ") &&
                              Catch::Contains(" is already active. Next step: "));
}
