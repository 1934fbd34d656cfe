#include <catch2/catch.hpp>

#include "db/statements.hpp"

using subctl::db::parameter_count;

TEST_CASE("a statement takes as many values as its highest $n", "[unit]") {
    CHECK(parameter_count("SELECT api.catalog()") == 0);
    CHECK(parameter_count("SELECT api.customer($1)") == 1);
    CHECK(parameter_count("SELECT f($2, $1::jsonb)") == 2);
    CHECK(parameter_count("SELECT f($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)") == 10);
    CHECK(parameter_count("SELECT '$' || $3") == 3);
    // the count is the one each call is checked against
    CHECK(subctl::db::statements::customer.parameters == 1);
    CHECK(subctl::db::statements::upgrade.parameters == parameter_count(subctl::db::statements::upgrade.sql));
}
