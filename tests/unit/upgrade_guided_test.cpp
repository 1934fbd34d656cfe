// The guided upgrade's steps (cli/commands/upgrade_guided.cpp) driven by text, with the
// database stood in for by a Details page and a recorder of the api.upgrade calls.
// tests/db/upgrade_guided_test.cpp runs the binary on a pseudo-terminal against a server.
#include <sstream>
#include <vector>

#include <catch2/catch.hpp>

#include "cli/commands/upgrade_guided.hpp"
#include "shared/errors.hpp"

using subctl::Error;
using subctl::Exit;
using subctl::cli::CommandResult;
using subctl::cli::GuidedUpgrade;
using subctl::cli::UpgradeChoice;

namespace {

const char* details_page = R"({
  "id": "11111111-2222-4333-8444-555555555555", "offer_id": "o365-business", "offer_name": "Office 365 Business",
  "quantity": 25, "status": "active", "version": 7,
  "upgrades": [
    {"target_offer": "o365-business-premium", "target_offer_name": "Office 365 Business Premium", "eligible": true, "errors": []},
    {"target_offer": "o365-e3", "target_offer_name": "Office 365 Enterprise E3", "eligible": false,
     "errors": [{"code": "target_offer_already_owned", "description": "The customer already has o365-e3 in subscriptions 9f.",
                 "next_step": "the customer cancels it with 21Vianet"}]},
    {"target_offer": "o365-proplus", "target_offer_name": "Office 365 ProPlus", "eligible": true, "errors": []}]})";

// The database of a test: the Details page, and api.upgrade answering like the rules
// would for an offer of at most max licenses.
struct Fake {
    nlohmann::json details = nlohmann::json::parse(details_page);
    long long max = 300;
    std::vector<UpgradeChoice> calls;

    GuidedUpgrade guided() {
        GuidedUpgrade g;
        g.details = [this] { return details; };
        g.upgrade = [this](const UpgradeChoice& choice) {
            calls.push_back(choice);
            nlohmann::json result{{"status", choice.dry_run ? "dry_run" : "succeeded"},
                                  {"source_subscription_id", choice.subscription_id},
                                  {"target_offer", choice.target_offer},
                                  {"quantity", choice.quantity},
                                  {"errors", nlohmann::json::array()}};
            if (choice.quantity > max) {
                result["status"] = choice.dry_run ? "dry_run" : "rejected";
                result["errors"].push_back({{"code", "quantity_out_of_range"},
                                            {"description", std::to_string(choice.quantity) +
                                                                " licenses is outside the range: 1 to 300."}});
                return CommandResult{result, Exit::rejected};
            }
            if (!choice.dry_run) result["next_steps"] = {"assign the users their licenses"};
            return CommandResult{result};
        };
        return g;
    }
};

struct Outcome {
    CommandResult result;
    std::string out;
};

Outcome run(const std::string& answers, const GuidedUpgrade& guided) {
    std::istringstream in(answers);
    std::ostringstream out;
    auto result = subctl::cli::guided_upgrade(guided, in, out);
    return {result, out.str()};
}

Outcome run(Fake& fake, const std::string& answers) { return run(answers, fake.guided()); }

// The error a run ends with, and what it printed before.
std::pair<Error, std::string> failure(Fake& fake, const std::string& answers) {
    std::istringstream in(answers);
    std::ostringstream out;
    try {
        subctl::cli::guided_upgrade(fake.guided(), in, out);
    } catch (const Error& error) {
        return {error, out.str()};
    }
    FAIL("the guided upgrade did not fail; it printed:\n" << out.str());
    return {Error(Exit::ok, "", ""), ""};
}

}  // namespace

TEST_CASE("guided upgrade: a target by number, the default quantity, confirmed", "[cli][guided]") {
    Fake fake;
    const auto [result, out] = run(fake, "2\n\ny\n");
    INFO(out);
    CHECK_THAT(out, Catch::Contains("Office 365 Business (o365-business), 25 licenses, active"));
    // the eligible numbered in the listing's order, the others with their reasons
    CHECK_THAT(out, Catch::Contains("1) Office 365 Business Premium (o365-business-premium)"));
    CHECK_THAT(out, Catch::Contains("2) Office 365 ProPlus (o365-proplus)"));
    CHECK_THAT(out, Catch::Contains("The customer already has o365-e3 in subscriptions 9f."));
    CHECK_THAT(out, Catch::Contains("Number of licenses [25]: "));
    CHECK_THAT(out, Catch::Contains("What would happen"));
    REQUIRE(fake.calls.size() == 2);
    CHECK(fake.calls[0].dry_run);
    CHECK_FALSE(fake.calls[1].dry_run);
    for (const auto& call : fake.calls) {
        CHECK(call.subscription_id == "11111111-2222-4333-8444-555555555555");
        CHECK(call.target_offer == "o365-proplus");
        CHECK(call.quantity == 25);
        CHECK(call.version == 7);
    }
    CHECK(result.exit == Exit::ok);
    CHECK(result.records["status"] == "succeeded");
    CHECK(result.records["next_steps"].size() == 1);
}

TEST_CASE("guided upgrade: bad answers are asked again with one line saying what is wrong", "[cli][guided]") {
    Fake fake;
    const auto [result, out] = run(fake, "0\nE3\n3\n1\nmany\n0\n301\n40\nmaybe\nyes\n");
    INFO(out);
    CHECK_THAT(out, Catch::Contains("choose a number from 1 to 2 (got '0')"));
    CHECK_THAT(out, Catch::Contains("choose a number from 1 to 2 (got 'E3')"));
    CHECK_THAT(out, Catch::Contains("choose a number from 1 to 2 (got '3')"));
    CHECK_THAT(out, Catch::Contains("number of licenses 'many' is not a whole number from 1 to"));
    CHECK_THAT(out, Catch::Contains("number of licenses '0' is not a whole number from 1 to"));
    // the offer's range is the rules' (the dry run's quantity_out_of_range), then asked again
    CHECK_THAT(out, Catch::Contains("301 licenses is outside the range: 1 to 300."));
    CHECK_THAT(out, Catch::Contains("answer y or n (got 'maybe')"));
    REQUIRE(fake.calls.size() == 3);  // the dry run of 301, of 40, the upgrade
    CHECK(fake.calls[2].target_offer == "o365-business-premium");
    CHECK(fake.calls[2].quantity == 40);
    CHECK_FALSE(fake.calls[2].dry_run);
    CHECK(result.records["status"] == "succeeded");
}

TEST_CASE("guided upgrade: declined or the input ends: nothing is submitted, exit 1", "[cli][guided]") {
    for (const auto* answers : {"1\n\nn\n", "1\n\n\n", "", "1\n", "1\n\n"}) {
        Fake fake;
        const auto [error, out] = failure(fake, answers);
        INFO("answers: " << answers << "\n" << out);
        CHECK(error.exit() == Exit::rejected);
        CHECK(error.code() == "aborted");
        CHECK_THAT(error.what(), Catch::Contains("nothing was changed"));
        for (const auto& call : fake.calls) CHECK(call.dry_run);
    }
}

TEST_CASE("guided upgrade: no eligible target shows each one's reasons and next step, asks nothing", "[cli][guided]") {
    Fake fake;
    for (auto& target : fake.details["upgrades"]) {
        target["eligible"] = false;
        target["errors"] = nlohmann::json::parse(R"([{"code": "delegated_admin_permissions_disabled",
            "description": "You have no delegated-admin relationship with this customer for office365.",
            "next_step": "subctl relationship request CUSTOMER --service office365"}])");
    }
    const auto [error, out] = failure(fake, "1\n\ny\n");
    INFO(out);
    CHECK(error.exit() == Exit::rejected);
    CHECK(error.code() == "no_eligible_target");
    CHECK_THAT(error.what(), Catch::Contains("delegated_admin_permissions_disabled"));
    CHECK_THAT(out, Catch::Contains("Office 365 Enterprise E3 (o365-e3)"));
    CHECK_THAT(out, Catch::Contains("You have no delegated-admin relationship with this customer for office365."));
    CHECK_THAT(out, Catch::Contains("next step: subctl relationship request CUSTOMER --service office365"));
    CHECK_THAT(out, !Catch::Contains("?"));  // no question asked
    CHECK(fake.calls.empty());
}

TEST_CASE("guided upgrade: --quantity is the default offered, --dry-run ends with what would happen",
          "[cli][guided]") {
    Fake fake;
    auto guided = fake.guided();
    guided.quantity = 12;
    guided.dry_run = true;
    const auto [result, out] = run("1\n\n", guided);
    INFO(out);
    CHECK_THAT(out, Catch::Contains("Number of licenses [12]: "));
    REQUIRE(fake.calls.size() == 1);
    CHECK(fake.calls[0].dry_run);
    CHECK(fake.calls[0].quantity == 12);
    CHECK(result.records["status"] == "dry_run");
}

TEST_CASE("guided upgrade: a dry run refused for another reason is the result, no confirmation asked",
          "[cli][guided]") {
    Fake fake;
    auto guided = fake.guided();
    guided.upgrade = [&fake](const UpgradeChoice& choice) {
        fake.calls.push_back(choice);
        return CommandResult{nlohmann::json{{"status", "dry_run"},
                                            {"errors", {{{"code", "version_mismatch"}, {"description", "changed"}}}}},
                             Exit::rejected};
    };
    const auto [result, out] = run("1\n\ny\n", guided);
    CHECK(result.exit == Exit::rejected);
    CHECK(fake.calls.size() == 1);
    CHECK_THAT(out, !Catch::Contains("[y/N]"));
}
