#include "db/database.hpp"

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>

#include <pqxx/except>
#include <pqxx/nontransaction>

#include "db/connect.hpp"
#include "db/failure.hpp"
#include "shared/errors.hpp"

namespace subctl::db {

namespace {

constexpr int max_attempts = 8;

void backoff(int attempt) {
    static thread_local std::mt19937 random{std::random_device{}()};
    const int ceiling_ms = 5 << std::min(attempt, 6);
    std::this_thread::sleep_for(std::chrono::milliseconds(
        std::uniform_int_distribution<int>(ceiling_ms / 2, ceiling_ms)(random)));
}

}  // namespace

void Database::rethrow() {
    bool api_call = false;
    try {
        throw;
    } catch (const pqxx::sql_error& e) {
        // query() is the statement's name, or "[PREPARE name]" when preparing it failed
        std::string name = e.query();
        if (name.rfind("[PREPARE ", 0) == 0 && name.size() > 10) name = name.substr(9, name.size() - 10);
        const auto found = prepared_.find(name);
        api_call = found != prepared_.end() && found->second;
    } catch (...) {
    }
    rethrow_as_domain_error(connection_.username() != nullptr ? connection_.username() : "", api_call);
}

Database::Database(const std::string& url, const SessionContext& context)
    : connection_(connect(url, context.url_source)) {
    try {
        pqxx::nontransaction setup(connection_);
        setup.exec_params(
            // names in pg_catalog only (qualified here, since it is the statement that pins
            // them): no function a login put in the session's search_path runs instead
            "SELECT pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', false), "
            "pg_catalog.set_config('subctl.partner_id', $1, false), pg_catalog.set_config('subctl.operator', $2, false), "
            "pg_catalog.set_config('subctl.source', $3, false), pg_catalog.set_config('lock_timeout', '10s', false), "
            // short OLTP statements: JIT compilation costs far more than it saves
            "pg_catalog.set_config('jit', 'off', false), pg_catalog.set_config('application_name', 'subctl', false)",
            context.partner, context.operator_name, context.source);
    } catch (...) {
        rethrow();
    }
}

// Closed while notices_ is still registered: a notice that arrives with the end of the
// connection (a server shutting down) must not reach stderr either.
Database::~Database() { connection_.disconnect(); }

void Database::prepare(const Statement& statement) {
    std::string name(statement.name);
    const bool api_call = statement.sql.rfind("SELECT api.", 0) == 0;
    if (prepared_.emplace(name, api_call).second) connection_.prepare(name, std::string(statement.sql));
}

namespace {

// Runs attempt_once until it returns, restarting it after a serialization failure or a
// deadlock (bounded, with backoff); on_failure (which throws) turns any other failure,
// the one being handled, into a domain error.
void with_retries(const std::function<void()>& attempt_once, const std::function<void()>& on_failure) {
    for (int attempt = 1;; ++attempt) {
        try {
            attempt_once();
            return;
        } catch (const pqxx::failure& e) {  // 40001/40P01 are no sql_error in libpqxx 6.4
            const auto sqlstate = sqlstate_of(e);
            if (!is_retryable_sqlstate(sqlstate)) on_failure();
            if (attempt == max_attempts) {
                throw Error(Exit::temporary, "retries_exhausted",
                            "the database kept reporting conflicts (" + sqlstate + ") after " +
                                std::to_string(max_attempts) + " attempts; try again");
            }
            backoff(attempt);
        } catch (...) {
            on_failure();
        }
    }
}

}  // namespace

void Database::transact(const std::function<Outcome(pqxx::work&)>& body) {
    with_retries(
        [&] {
            pqxx::work tx(connection_);
            if (body(tx) == Outcome::commit) tx.commit();
            // without commit, tx's destructor rolls back
        },
        [&] { rethrow(); });
}

void Database::autocommit(const Statement& statement, const std::function<void(pqxx::nontransaction&)>& body) {
    bool sent = false;
    with_retries(
        [&] {
            sent = false;
            pqxx::nontransaction tx(connection_);
            prepare(statement);
            connection_.prepare_now(std::string(statement.name));  // (else sent with the call itself)
            sent = true;
            body(tx);
        },
        [&] {
            try {
                throw;
            } catch (const pqxx::broken_connection& e) {
                if (!sent) rethrow();
                try {  // the statement was its own commit: it may have been applied
                    throw pqxx::in_doubt_error(e.what());
                } catch (...) {
                    rethrow();
                }
            } catch (...) {
                rethrow();
            }
        });
}

}  // namespace subctl::db
