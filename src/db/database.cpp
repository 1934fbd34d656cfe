#include "db/database.hpp"

#include <chrono>
#include <random>
#include <sstream>
#include <thread>

namespace subctl::db {

namespace {

constexpr int max_attempts = 8;

pqxx::connection connect(const std::string& url) {
    try {
        return pqxx::connection(url);
    } catch (...) {
        rethrow_as_domain_error();
    }
}

// libpq's message is "ERROR:  text\nDETAIL:  ...\nHINT:  ...": keep the text and the hint.
void split_message(const std::string& what, std::string& message, std::string& hint) {
    std::istringstream lines(what);
    std::string line;
    while (std::getline(lines, line)) {
        for (const char* prefix : {"ERROR:  ", "FATAL:  "}) {
            if (line.rfind(prefix, 0) == 0) line = line.substr(std::string(prefix).size());
        }
        if (line.rfind("HINT:  ", 0) == 0) {
            hint = line.substr(7);
        } else if (message.empty() && !line.empty()) {
            message = line;
        }
    }
}

void backoff(int attempt) {
    static thread_local std::mt19937 random{std::random_device{}()};
    const int ceiling_ms = 5 << std::min(attempt, 6);
    std::this_thread::sleep_for(std::chrono::milliseconds(
        std::uniform_int_distribution<int>(ceiling_ms / 2, ceiling_ms)(random)));
}

}  // namespace

void rethrow_as_domain_error() {
    try {
        throw;
    } catch (const subctl::Error&) {
        throw;
    } catch (const pqxx::broken_connection& e) {
        std::string message, hint;
        split_message(e.what(), message, hint);
        throw Error(Exit::unavailable, "database_unavailable", "database unavailable: " + message,
                    "start it with `make db` and check --db / DATABASE_URL");
    } catch (const pqxx::in_doubt_error& e) {
        throw Error(Exit::temporary, "commit_in_doubt",
                    "the connection was lost while committing; the outcome is unknown (re-run with the same --request-id)");
    } catch (const pqxx::sql_error& e) {
        std::string message, hint;
        split_message(e.what(), message, hint);
        // libpqxx 6.4 throws some classes (insufficient_privilege among them) without the SQLSTATE
        const bool privilege = dynamic_cast<const pqxx::insufficient_privilege*>(&e) != nullptr;
        throw error_from_sqlstate(e.sqlstate().empty() && privilege ? "42501" : e.sqlstate(), message, hint);
    } catch (const pqxx::usage_error& e) {
        throw Error(Exit::internal, "internal_error", e.what());
    } catch (const pqxx::failure& e) {
        std::string message, hint;
        split_message(e.what(), message, hint);
        throw Error(Exit::unavailable, "database_unavailable", "database failure: " + message);
    }
}

Database::Database(const std::string& url, const SessionContext& context)
    : connection_(connect(url)), context_(context) {
    try {
        pqxx::nontransaction setup(connection_);
        setup.exec_params(
            "SELECT set_config('subctl.partner_id', $1, false), set_config('subctl.operator', $2, false), "
            "set_config('subctl.source', $3, false), set_config('lock_timeout', '10s', false), "
            // short OLTP statements: JIT compilation costs far more than it saves
            "set_config('jit', 'off', false), set_config('application_name', 'subctl', false)",
            context.partner, context.operator_name, context.source);
    } catch (...) {
        rethrow_as_domain_error();
    }
}

// Closed while notices_ is still registered: a notice that arrives with the end of the
// connection (a server shutting down) must not reach stderr either.
Database::~Database() { connection_.disconnect(); }

void Database::prepare(const Statement& statement) {
    std::string name(statement.name);
    if (prepared_.insert(name).second) connection_.prepare(name, std::string(statement.sql));
}

void Database::transact(const std::function<Outcome(pqxx::work&)>& body) {
    for (int attempt = 1;; ++attempt) {
        try {
            pqxx::work tx(connection_);
            if (body(tx) == Outcome::commit) tx.commit();
            return;  // without commit, tx's destructor rolls back
        } catch (const pqxx::sql_error& e) {
            if (!is_retryable_sqlstate(e.sqlstate())) rethrow_as_domain_error();
            if (attempt == max_attempts) {
                throw Error(Exit::temporary, "retries_exhausted",
                            "the database kept reporting conflicts (" + e.sqlstate() + ") after " +
                                std::to_string(max_attempts) + " attempts; try again");
            }
            backoff(attempt);
        } catch (...) {
            rethrow_as_domain_error();
        }
    }
}

}  // namespace subctl::db
