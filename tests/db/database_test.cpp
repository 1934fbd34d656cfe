// subctl::db::Database against the test server: a call that commits is its statement
// alone (its own implicit transaction, one round trip), a call that rolls back runs in a
// transaction block; a connection lost while a committing call runs leaves it in doubt,
// one lost before it is sent changed nothing; a conflict runs the call again.
#include <cstdlib>
#include <functional>
#include <stdexcept>

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
constexpr subctl::db::Statement own_backend{"test_own_backend", "SELECT to_jsonb(pg_catalog.pg_backend_pid())"};
constexpr subctl::db::Statement nothing{"test_nothing", "SELECT to_jsonb(1)"};
// Fails to serialize on its first call only (a sequence is not rolled back).
constexpr subctl::db::Statement conflict_once{"test_conflict_once", "SELECT to_jsonb(public.test_conflict_once())"};

// The domain error that call throws (the test fails when it returns).
subctl::Error error_of(const std::function<void()>& call) {
    try {
        call();
    } catch (const subctl::Error& error) {
        return error;
    }
    FAIL("the call returned");
    throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("a committing call is sent alone, a rolled back one inside BEGIN ... ROLLBACK", "[db]") {
    auto database = open_database();
    CHECK_NOTHROW(database.call(subctl::db::Outcome::commit, outside_blocks_only));
    CHECK_THROWS_AS(database.call(subctl::db::Outcome::rollback, outside_blocks_only), subctl::Error);
}

TEST_CASE("a connection lost while a committing call runs leaves its outcome in doubt", "[db]") {
    auto database = open_database();
    const auto error = error_of([&] { database.call(subctl::db::Outcome::commit, end_own_session); });
    CHECK(error.code() == "commit_in_doubt");
    CHECK(error.exit() == subctl::Exit::temporary);
}

TEST_CASE("a connection lost before a committing call is sent changed nothing: database_unavailable", "[db]") {
    auto database = open_database();
    const auto pid = database.call(subctl::db::Outcome::rollback, own_backend).get<int>();
    auto other = test::connect();
    pqxx::nontransaction(other).exec_params("SELECT pg_terminate_backend($1, 5000)", pid);
    const auto error = error_of([&] { database.call(subctl::db::Outcome::commit, nothing); });
    CHECK(error.code() == "database_unavailable");
    CHECK(error.exit() == subctl::Exit::unavailable);
}

TEST_CASE("a committing call that fails to serialize is run again", "[db]") {
    auto other = test::connect();
    pqxx::nontransaction setup(other);
    setup.exec0("DROP SEQUENCE IF EXISTS public.test_conflict_calls CASCADE; CREATE SEQUENCE public.test_conflict_calls");
    setup.exec0("CREATE OR REPLACE FUNCTION public.test_conflict_once() RETURNS bigint LANGUAGE plpgsql "
                "SET search_path = pg_catalog, pg_temp AS $$ DECLARE n bigint := nextval('public.test_conflict_calls'); "
                "BEGIN IF n = 1 THEN RAISE EXCEPTION USING ERRCODE = 'serialization_failure'; END IF; RETURN n; END $$");
    auto database = open_database();
    CHECK(database.call(subctl::db::Outcome::commit, conflict_once).get<long long>() == 2);
    setup.exec0("DROP FUNCTION public.test_conflict_once(); DROP SEQUENCE public.test_conflict_calls");
}
