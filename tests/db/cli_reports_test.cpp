// Reports, the audit trail and logins mapped to partners, end to end (issue 5): report
// list/show with parameterised filters, audit by subscription/customer/time, and a
// mapped login that acts for its partner only.
#include <cstdlib>

#include <catch2/catch.hpp>

#include "db/support.hpp"

namespace {

// A customer with an office365 Business subscription sold by the partner and an E1
// bought directly, which blocks the upgrades to Business Premium and E3.
struct BlockedCustomer {
    std::string partner = test::new_partner();
    std::string customer = test::new_customer(partner);
    std::string business = test::new_subscription(partner, customer, "o365-business");
    std::string direct_e1 = test::new_subscription(partner, customer, "o365-e1", {"--channel", "direct"});
};

nlohmann::json report(const std::string& partner, const std::vector<std::string>& args) {
    std::vector<std::string> all{"-o", "json", "--partner", partner, "report", "show"};
    all.insert(all.end(), args.begin(), args.end());
    const auto run = test::subctl(all);
    INFO(run.err);
    REQUIRE(run.exit == 0);
    return run.json();
}

// A new login role mapped to the partner; DATABASE_URL for it.
std::string mapped_login_url(const std::string& partner) {
    const auto role = test::unique("login");
    {
        auto connection = test::connect();
        pqxx::work tx(connection);
        tx.exec0("CREATE ROLE " + tx.quote_name(role) + " LOGIN IN ROLE subctl_operator");
        tx.commit();
    }
    const auto mapped = test::subctl({"partner", "map-login", role, partner});
    INFO(mapped.err);
    REQUIRE(mapped.exit == 0);
    return std::string(std::getenv("DATABASE_URL")) + "&user=" + role;
}

}  // namespace

TEST_CASE("report list names every report with its summary", "[db][cli][report]") {
    const auto listed = test::subctl({"-o", "json", "--partner", test::new_partner(), "report", "list"}).json();
    std::vector<std::string> names;
    for (const auto& r : listed) {
        names.push_back(r.at("name"));
        CHECK_FALSE(r.at("summary").get<std::string>().empty());
    }
    CHECK(names == std::vector<std::string>{"batch_outcomes", "blocked_upgrades", "license_utilization",
                                            "license_utilization_totals", "licenses", "relationships_expiring",
                                            "subscription_history", "upgrade_history", "upgrade_options",
                                            "users_without_license"});
}

TEST_CASE("report show filters by parameters: equality, comparisons, contains on lists", "[db][cli][report]") {
    BlockedCustomer fx;
    const auto options = report(fx.partner, {"upgrade_options", "--where", "subscription_id=" + fx.business});
    REQUIRE(options.size() == 3);
    for (const auto& o : options) {
        const bool blocked = o.at("target_offer_id") != "o365-proplus";
        CHECK(o.at("eligible") == !blocked);
        if (blocked) CHECK(o.at("error_codes") == nlohmann::json{"conflicting_service_types"});
    }
    const auto conflicting = report(fx.partner, {"upgrade_options", "--where", "error_codes=conflicting_service_types",
                                                 "--where", "customer_id=" + fx.customer});
    CHECK(conflicting.size() == 2);
    const auto blocked = report(fx.partner, {"blocked_upgrades"});
    REQUIRE(blocked.size() == 1);
    CHECK(blocked[0].at("error_code") == "conflicting_service_types");
    CHECK(blocked[0].at("upgrade_paths") == 2);
    CHECK(report(fx.partner, {"relationships_expiring", "--where", "days_left<=800"}).size() == 1);
    CHECK(report(fx.partner, {"relationships_expiring", "--where", "days_left<30"}).empty());
    CHECK(report(fx.partner, {"licenses", "--where", "channel=direct", "--limit", "1"}).at(0).at("licenses") == 10);
}

TEST_CASE("license utilization and users without a license, through the binary", "[db][cli][report]") {
    const auto partner = test::new_partner();
    const auto customer = test::new_customer(partner);
    const auto business = test::new_subscription(partner, customer, "o365-business");
    for (const auto* upn : {"ada@contoso.partner.onmschina.cn", "bo@contoso.partner.onmschina.cn"}) {
        REQUIRE(test::subctl({"--partner", partner, "user", "add", customer, "--upn", upn}).exit == 0);
    }
    REQUIRE(test::subctl({"--partner", partner, "license", "assign", business, "ada@contoso.partner.onmschina.cn"}).exit == 0);

    const auto rows = report(partner, {"license_utilization", "--where", "customer_id=" + customer});
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].at("subscription_id") == business);
    CHECK(rows[0].at("purchased") == 10);
    CHECK(rows[0].at("assigned") == 1);
    CHECK(rows[0].at("unassigned") == 9);
    CHECK(report(partner, {"license_utilization", "--where", "assigned_percent<=10"}).size() == 1);
    const auto totals = report(partner, {"license_utilization_totals"});
    REQUIRE(totals.size() == 1);
    CHECK(totals[0].at("purchased") == 10);
    CHECK(totals[0].at("assigned") == 1);
    const auto unlicensed = report(partner, {"users_without_license"});
    REQUIRE(unlicensed.size() == 1);
    CHECK(unlicensed[0].at("upn") == "bo@contoso.partner.onmschina.cn");
    CHECK(report(test::new_partner(), {"license_utilization"}).empty());
}

TEST_CASE("report show refuses an unknown report, column, comparison or value with exit 65", "[db][cli][report]") {
    const auto partner = test::new_partner();
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"no_such_report"},
             {"licenses", "--where", "no_such_column=1"},
             {"licenses", "--where", "channel~csp"},
             {"relationships_expiring", "--where", "days_left<=soon"},
             {"licenses", "--where", "channel=x'; DROP TABLE core.subscriptions; --", "--where", "nope=1"}}) {
        std::vector<std::string> all{"--partner", partner, "report", "show"};
        all.insert(all.end(), args.begin(), args.end());
        const auto run = test::subctl(all);
        INFO(args.back() << ": " << run.err);
        CHECK(run.exit == 65);
        CHECK(run.out.empty());
    }
}

TEST_CASE("upgrade and license history show who did what, from where, before and after", "[db][cli][report]") {
    BlockedCustomer fx;
    REQUIRE(test::subctl({"--partner", fx.partner, "--operator", "olga", "licenses", "add", fx.business, "5"}).exit == 0);
    REQUIRE(test::subctl({"--partner", fx.partner, "upgrade", fx.business, "--to", "o365-proplus"}).exit == 0);
    const auto history = report(fx.partner, {"subscription_history", "--where", "subscription_id=" + fx.business,
                                             "--where", "operation=add_licenses"});
    REQUIRE(history.size() == 1);
    CHECK(history[0].at("operator") == "olga");
    CHECK(history[0].at("source") == "cli");
    CHECK(history[0].at("quantity_before") == 10);
    CHECK(history[0].at("quantity_after") == 15);
    const auto upgrades = report(fx.partner, {"upgrade_history", "--where", "customer_id=" + fx.customer});
    REQUIRE(upgrades.size() == 1);
    CHECK(upgrades[0].at("from_subscription_id") == fx.business);
    CHECK(upgrades[0].at("from_offer_id") == "o365-business");
    CHECK(upgrades[0].at("to_offer_id") == "o365-proplus");
    CHECK(upgrades[0].at("to_quantity") == 15);
}

TEST_CASE("audit lists the partner's events by subscription, customer and time", "[db][cli][audit]") {
    BlockedCustomer fx;
    REQUIRE(test::subctl({"--partner", fx.partner, "upgrade", fx.business, "--to", "o365-e3"}).exit == 1);
    const auto events = test::subctl({"-o", "json", "--partner", fx.partner, "audit", "--subscription", fx.business});
    REQUIRE(events.exit == 0);
    const auto json = events.json();
    REQUIRE(json.size() == 2);  // recorded, then the refused upgrade
    CHECK(json[0].at("operation") == "add_subscription");
    CHECK(json[1].at("outcome") == "rejected");
    CHECK(json[1].at("error_codes") == nlohmann::json{"conflicting_service_types"});
    CHECK(test::subctl({"-o", "json", "--partner", fx.partner, "audit", "--customer", fx.customer}).json().size() >= 5);
    CHECK(test::subctl({"-o", "json", "--partner", fx.partner, "audit", "--since", "2999-01-01"}).json().empty());
    CHECK(test::subctl({"-o", "json", "--partner", test::new_partner(), "audit", "--customer", fx.customer})
              .json()
              .empty());
    CHECK(test::subctl({"--partner", fx.partner, "audit", "--subscription", "not-a-uuid"}).exit == 65);
    CHECK(test::subctl({"--partner", fx.partner, "audit", "--since", "yesterday-ish"}).exit == 65);
}

TEST_CASE("a mapped login acts for its partner and cannot name another", "[db][cli][access]") {
    BlockedCustomer fx;
    const auto url = mapped_login_url(fx.partner);
    const auto shown = test::subctl({"-o", "json", "subscription", "show", fx.business}, {{"DATABASE_URL", url}});
    INFO(shown.err);
    CHECK(shown.exit == 0);
    const auto other = test::subctl({"--partner", test::new_partner(), "customer", "list"}, {{"DATABASE_URL", url}});
    CHECK(other.exit == 78);
    CHECK(other.err.find("partner_not_permitted") != std::string::npos);
    const auto admin = test::subctl({"partner", "add", test::unique("p"), "--name", "X"}, {{"DATABASE_URL", url}});
    CHECK(admin.exit == 77);  // EX_NOPERM: an operator's login may not run an owner command
    CHECK(admin.err.find("permission_denied") != std::string::npos);
}
