#include <catch2/catch.hpp>

#include "db/support.hpp"

TEST_CASE("a partner's customer with a relationship can upgrade Business to Business Premium", "[db][cli]") {
    const auto partner = test::new_partner();
    const auto customer = test::new_customer(partner);
    const auto source = test::new_subscription(partner, customer, "o365-business");
    const auto run = test::subctl({"-o", "json", "--partner", partner, "upgrade", source, "--to", "o365-business-premium"});
    REQUIRE(run.exit == 0);
    const auto result = run.json();
    CHECK(result["status"] == "succeeded");
    CHECK(result["quantity"] == 10);
    const auto shown = test::subctl({"-o", "json", "--partner", partner, "subscription", "show", source}).json();
    CHECK(shown["status"] == "suspended");
    CHECK(shown["upgraded_to"] == result["target_subscription_id"]);
}
