// The error-code contract is written once, in sql/01_errors.sql: migrate loads it into
// core.error_codes and the build generates the C++ rows from it. This test fails when the
// database and the binary disagree, either way (a stale or wrong generator, a code that
// only one side knows); SU099, the dry run's internal signal, is known to neither.
#include <set>

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include "db/support.hpp"
#include "domain/errors.hpp"

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
    CHECK(in_sql.count("SU099") == 0);  // internal: caught where it is raised
    for (int n = 1; n < 1000; ++n) {  // SU001..SU999: C++ knows no project code SQL does not
        const auto sqlstate = fmt::format("SU{:03}", n);
        const auto error = subctl::error_from_database({sqlstate, "a sentence", "", "", "", true});
        INFO(sqlstate << " -> " << error.code());
        CHECK((in_sql.count(sqlstate) == 1) == (error.code() != "database_error"));
    }
}
