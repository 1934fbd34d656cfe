#include "db/database.hpp"

#include <chrono>
#include <cstring>
#include <random>
#include <regex>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <libpq-fe.h>

namespace subctl::db {

namespace {

constexpr int max_attempts = 8;

// libpq's message is "ERROR:  text\nDETAIL:  ...\nHINT:  ...": keep the text, detail and hint.
void split_message(const std::string& what, DatabaseFailure& failure) {
    std::istringstream lines(what);
    std::string line;
    while (std::getline(lines, line)) {
        for (const char* prefix : {"ERROR:  ", "FATAL:  "}) {
            if (line.rfind(prefix, 0) == 0) line = line.substr(std::string(prefix).size());
        }
        if (line.rfind("HINT:  ", 0) == 0) {
            failure.hint = line.substr(7);
        } else if (line.rfind("DETAIL:  ", 0) == 0) {
            failure.detail = line.substr(9);
        } else if (failure.message.empty() && !line.empty()) {
            failure.message = line;
        }
    }
}

// libpqxx 6.4 throws some SQLSTATEs without the code (and 40001/40P01 not even as an
// sql_error): recover it from the exception's class.
std::string sqlstate_of(const pqxx::failure& e) {
    if (const auto* sql = dynamic_cast<const pqxx::sql_error*>(&e); sql != nullptr && !sql->sqlstate().empty()) {
        return sql->sqlstate();
    }
    const std::pair<bool, const char*> by_class[] = {
        {dynamic_cast<const pqxx::serialization_failure*>(&e) != nullptr, "40001"},
        {dynamic_cast<const pqxx::deadlock_detected*>(&e) != nullptr, "40P01"},
        {dynamic_cast<const pqxx::statement_completion_unknown*>(&e) != nullptr, "40003"},
        {dynamic_cast<const pqxx::insufficient_privilege*>(&e) != nullptr, "42501"},
        {dynamic_cast<const pqxx::undefined_table*>(&e) != nullptr, "42P01"},
        {dynamic_cast<const pqxx::undefined_function*>(&e) != nullptr, "42883"},
        {dynamic_cast<const pqxx::undefined_column*>(&e) != nullptr, "42703"},
        {dynamic_cast<const pqxx::unique_violation*>(&e) != nullptr, "23505"},
        {dynamic_cast<const pqxx::foreign_key_violation*>(&e) != nullptr, "23503"},
        {dynamic_cast<const pqxx::not_null_violation*>(&e) != nullptr, "23502"},
        {dynamic_cast<const pqxx::check_violation*>(&e) != nullptr, "23514"},
        {dynamic_cast<const pqxx::integrity_constraint_violation*>(&e) != nullptr, "23000"},
        {dynamic_cast<const pqxx::data_exception*>(&e) != nullptr, "22000"},
        {dynamic_cast<const pqxx::insufficient_resources*>(&e) != nullptr, "53000"},
        {dynamic_cast<const pqxx::transaction_rollback*>(&e) != nullptr, "40000"},
    };
    for (const auto& [matches, sqlstate] : by_class) {
        if (matches) return sqlstate;
    }
    return {};
}

// One keyword of a connection string as libpq would use it (the URL, else PG* and defaults).
std::string conninfo_value(const std::string& url, const char* keyword) {
    std::string value;
    auto scan = [&](PQconninfoOption* options) {
        for (auto* o = options; o != nullptr && o->keyword != nullptr; ++o) {
            const bool wanted = std::strcmp(o->keyword, keyword) == 0;
            if (wanted && value.empty() && o->val != nullptr && *o->val != '\0') value = o->val;
        }
        PQconninfoFree(options);
    };
    scan(PQconninfoParse(url.c_str(), nullptr));
    if (value.empty()) scan(PQconndefaults());
    return value;
}

// A connection that failed, as one sentence: libpq's text (which may quote the server's
// FATAL line) is only read to tell a refused login from an unreachable server.
Error connection_error(const std::string& what, const std::string& url, const std::string& url_source) {
    const auto login = conninfo_value(url, "user");
    const auto database = conninfo_value(url, "dbname");
    auto host = conninfo_value(url, "host");
    if (host.empty()) host = conninfo_value(url, "hostaddr");
    const auto where = host.empty() ? std::string("the default socket") : host;
    auto says = [&what](std::initializer_list<const char*> fragments) {
        for (const char* fragment : fragments) {
            if (what.find(fragment) != std::string::npos) return true;
        }
        return false;
    };
    if (std::regex_search(what, std::regex(R"re(database "[^"]*" does not exist)re"))) {
        return Error(Exit::config, "database_not_found",
                     fmt::format("database {} does not exist on the server at {} (from {})", database, where, url_source));
    }
    if (says({"permission denied for database"})) {
        return Error(Exit::noperm, "permission_denied",
                     fmt::format("login {} may not connect to database {} (from {})", login, database, url_source));
    }
    if (says({"authentication failed", "role \"", "no pg_hba.conf entry", "no password supplied",
              "not permitted to log in", "password"})) {
        return Error(Exit::config, "login_rejected",
                     fmt::format("the server at {} refused login {} (from {}): check its user and password", where,
                                 login, url_source));
    }
    // target_session_attrs=read-write (SPEC 7.4) and every server that answered is a
    // standby: the primary is down and no standby is promoted yet (a failover under way).
    if (says({"session is read-only", "server is in hot standby mode"})) {
        return Error(Exit::unavailable, "database_unavailable",
                     fmt::format("no server at {} (from {}) accepts writes now: each is down or a read-only standby "
                                 "(a failover under way?); nothing was sent",
                                 where, url_source),
                     "try again once a standby is promoted");
    }
    if (says({"too many clients", "connection slots", "starting up", "shutting down", "in recovery"})) {
        return Error(Exit::unavailable, "database_unavailable",
                     fmt::format("the server at {} is not accepting connections now (starting, stopping or full); "
                                 "try again",
                                 where));
    }
    return Error(Exit::unavailable, "database_unavailable",
                 fmt::format("cannot reach the database server at {} (from {})", where, url_source),
                 "start it with `make db` and check --db / DATABASE_URL");
}

pqxx::connection connect(const std::string& url, const std::string& url_source) {
    char* parse_error = nullptr;
    if (auto* options = PQconninfoParse(url.c_str(), &parse_error); options != nullptr) {
        PQconninfoFree(options);
    } else {  // never echo the URL: it may hold a password
        PQfreemem(parse_error);
        throw Error(Exit::config, "invalid_database_url",
                    fmt::format("{} is not a database URL (postgresql://USER@HOST/DATABASE or key=value pairs)",
                                url_source));
    }
    try {
        return pqxx::connection(url);
    } catch (const pqxx::broken_connection& e) {
        throw connection_error(e.what(), url, url_source);
    } catch (...) {
        rethrow_as_domain_error();
    }
}

void backoff(int attempt) {
    static thread_local std::mt19937 random{std::random_device{}()};
    const int ceiling_ms = 5 << std::min(attempt, 6);
    std::this_thread::sleep_for(std::chrono::milliseconds(
        std::uniform_int_distribution<int>(ceiling_ms / 2, ceiling_ms)(random)));
}

}  // namespace

void rethrow_as_domain_error(const std::string& login, bool api_call) {
    try {
        throw;
    } catch (const subctl::Error&) {
        throw;
    } catch (const pqxx::broken_connection& e) {
        throw Error(Exit::unavailable, "database_unavailable",
                    "the connection to the database was lost; nothing more was sent",
                    "start it with `make db` and check --db / DATABASE_URL");
    } catch (const pqxx::in_doubt_error& e) {
        throw Error(Exit::temporary, "commit_in_doubt",
                    "the connection was lost while committing; the outcome is unknown (re-run with the same --request-id)");
    } catch (const pqxx::usage_error& e) {
        throw Error(Exit::internal, "internal_error", e.what());
    } catch (const pqxx::failure& e) {  // sql_error, and 6.4's transaction_rollback (not an sql_error)
        DatabaseFailure failure;
        split_message(e.what(), failure);
        failure.sqlstate = sqlstate_of(e);
        failure.login = login;
        failure.api_call = api_call;
        throw error_from_database(failure);
    }
}

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

void Database::transact(const std::function<Outcome(pqxx::work&)>& body) {
    for (int attempt = 1;; ++attempt) {
        try {
            pqxx::work tx(connection_);
            if (body(tx) == Outcome::commit) tx.commit();
            return;  // without commit, tx's destructor rolls back
        } catch (const pqxx::failure& e) {  // 40001/40P01 are no sql_error in libpqxx 6.4
            const auto sqlstate = sqlstate_of(e);
            if (!is_retryable_sqlstate(sqlstate)) rethrow();
            if (attempt == max_attempts) {
                throw Error(Exit::temporary, "retries_exhausted",
                            "the database kept reporting conflicts (" + sqlstate + ") after " +
                                std::to_string(max_attempts) + " attempts; try again");
            }
            backoff(attempt);
        } catch (...) {
            rethrow();
        }
    }
}

}  // namespace subctl::db
