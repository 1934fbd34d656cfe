// The error-code contract is written once, in sql/01_errors.sql: migrate loads it into
// core.error_codes and the build generates the C++ rows from it. This test fails when the
// database and the binary disagree, either way (a stale or wrong generator, a code that
// only one side knows); SU099, the dry run's internal signal, is known to neither.
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
    CHECK(in_sql.count("SU099") == 0);  // internal: caught where it is raised
    for (int n = 1; n < 1000; ++n) {  // SU001..SU999: C++ knows no project code SQL does not
        const auto sqlstate = fmt::format("SU{:03}", n);
        const auto error = subctl::error_from_database({sqlstate, "a sentence", "", "", "", true});
        INFO(sqlstate << " -> " << error.code());
        CHECK((in_sql.count(sqlstate) == 1) == (error.code() != "database_error"));
    }
}

TEST_CASE("the transient SQLSTATEs of sql/01_errors.sql are exit 75 in C++, retried as marked, and transient for batches",
          "[db][errors]") {
    auto connection = test::connect();
    pqxx::work tx(connection);
    std::set<std::string> transient;
    for (const auto& row : tx.exec("SELECT sqlstate, code, retried, logic.is_transient_sqlstate(sqlstate) "
                                   "FROM core.transient_sqlstates ORDER BY sqlstate")) {
        const auto sqlstate = row[0].as<std::string>();
        transient.insert(sqlstate);
        const auto error = subctl::error_from_database({sqlstate, "a sentence", "", "", "", true});
        INFO(sqlstate);
        CHECK(error.code() == row[1].as<std::string>());
        CHECK(error.exit() == subctl::Exit::temporary);
        CHECK(subctl::is_retryable_sqlstate(sqlstate) == row[2].as<bool>());
        CHECK(row[3].as<bool>());
    }
    CHECK(transient.count("40001") == 1);  // a serialization failure is retried: the table is read
    CHECK(subctl::is_retryable_sqlstate("40001"));
    // Neighbours of the transient ones are neither retried nor exit 75, on either side.
    for (const std::string sqlstate : {"40000", "40002", "40003", "55000", "55006", "57000", "57P01", "57P03", "53300",
                                       "08006", "23505", "SU021"}) {
        INFO(sqlstate);
        CHECK(transient.count(sqlstate) == 0);
        CHECK_FALSE(subctl::is_retryable_sqlstate(sqlstate));
        CHECK(subctl::error_from_database({sqlstate, "a sentence", "", "", "", true}).exit() != subctl::Exit::temporary);
        CHECK_FALSE(tx.exec_params1("SELECT logic.is_transient_sqlstate($1)", sqlstate)[0].as<bool>());
    }
}
