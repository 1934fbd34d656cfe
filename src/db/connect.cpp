#include "db/connect.hpp"

#include <cstring>
#include <initializer_list>
#include <regex>

#include <fmt/format.h>
#include <libpq-fe.h>

#include "db/failure.hpp"
#include "shared/errors.hpp"

namespace subctl::db {

namespace {

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

}  // namespace

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

}  // namespace subctl::db
