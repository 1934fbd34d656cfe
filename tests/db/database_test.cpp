// subctl::db::Database against the test server: a call that commits is its statement
// alone (its own implicit transaction, one round trip), a call that rolls back runs in a
// transaction block; a connection lost while a committing call runs leaves it in doubt.
#include <cstdlib>

#include <catch2/catch.hpp>

#include "db/database.hpp"
#include "db/support.hpp"
#include "shared/errors.hpp"

namespace {

subctl::db::Database open_database() {
    const char* url = std::getenv("DATABASE_URL");
    return subctl::db::Database(url != nullptr ? url : "", subctl::db::SessionContext{"", "database-test", "cli"});
}

// A statement PostgreSQL refuses inside a transaction block (active_sql_transaction).
constexpr subctl::db::Statement outside_blocks_only{"test_outside_blocks_only", "VACUUM core.error_codes"};
constexpr subctl::db::Statement end_own_session{
    "test_end_own_session", "SELECT to_jsonb(pg_catalog.pg_terminate_backend(pg_catalog.pg_backend_pid()))"};

}  // namespace

TEST_CASE("a committing call is sent alone, a rolled back one inside BEGIN ... ROLLBACK", "[db]") {
    auto database = open_database();
    CHECK_NOTHROW(database.call(subctl::db::Outcome::commit, outside_blocks_only));
    CHECK_THROWS_AS(database.call(subctl::db::Outcome::rollback, outside_blocks_only), subctl::Error);
}

TEST_CASE("a connection lost while a committing call runs leaves its outcome in doubt", "[db]") {
    auto database = open_database();
    try {
        database.call(subctl::db::Outcome::commit, end_own_session);
        FAIL("the call returned");
    } catch (const subctl::Error& error) {
        CHECK(error.code() == "commit_in_doubt");
        CHECK(error.exit() == subctl::Exit::temporary);
    }
}
