// The error-code contract is written twice, in sql/01_errors.sql (core.error_codes: code,
// SQLSTATE, exit code) and in src/shared/errors.cpp (SQLSTATE -> code and exit): this
// test fails when they disagree, either way.
#include <set>

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include "db/support.hpp"
#include "shared/errors.hpp"

TEST_CASE("every error code of sql/01_errors.sql maps to the same code and exit code in C++, and back", "[db][errors]") {
    auto connection = test::connect();
    pqxx::work tx(connection);
    std::set<std::string> in_sql;
    for (const auto& row : tx.exec("SELECT code, sqlstate, exit_code FROM core.error_codes ORDER BY sqlstate")) {
        const auto code = row[0].as<std::string>();
        const auto sqlstate = row[1].as<std::string>();
        in_sql.insert(sqlstate);
        const auto error = subctl::error_from_database({sqlstate, "a sentence", "", "", "", true});
        INFO(sqlstate << " " << code);
        CHECK(error.code() == code);
        CHECK(static_cast<int>(error.exit()) == row[2].as<int>());
    }
    CHECK(in_sql.size() > 30);
    for (int n = 1; n < 1000; ++n) {  // SU001..SU999: C++ knows no project code SQL does not
        const auto sqlstate = fmt::format("SU{:03}", n);
        const auto error = subctl::error_from_database({sqlstate, "a sentence", "", "", "", true});
        INFO(sqlstate << " -> " << error.code());
        CHECK((in_sql.count(sqlstate) == 1) == (error.code() != "database_error"));
    }
}
