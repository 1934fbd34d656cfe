// From a failure to what the user sees: the SQLSTATE table (the project's rows generated from
// sql/01_errors.sql, PostgreSQL's below) and the one sentence each kind of failure gets.
// (Over 200 lines: the table and the sentences are read together; split, each half would
// need the other's enum.)
#include "shared/errors.hpp"

#include <algorithm>
#include <regex>
#include <string_view>

#include <fmt/format.h>

#include "sql/rows.hpp"

namespace subctl {

Error::Error(Exit exit, std::string code, const std::string& message, std::string hint, std::string value)
    : std::runtime_error(message), exit_(exit), code_(std::move(code)), hint_(std::move(hint)), value_(std::move(value)) {}

namespace {

// How the user's sentence is made. Only the project's own codes (SUnnn, raised by our
// SQL with our sentences) pass the server's text through; PostgreSQL's is rewritten.
enum class Sentence {
    own,            // the server's message and hint as they are
    no_permission,  // the login's role may not run the command
    not_migrated,   // an api.* call found no schema/function/table: run subctl migrate
    bad_value,      // class 22: the value at fault
    constraint,     // class 23: which record or rule
    conflict,       // a transient SQLSTATE (sql/01_errors.sql): try again
    unavailable,    // the connection or the server went away
    read_only,      // 25006: a write reached a read-only standby
    login_rejected, // class 28: the login of --db / DATABASE_URL
    no_database,    // 3D000: the database of --db / DATABASE_URL
};

struct SqlstateMapping {
    std::string_view sqlstate;  // exact, or a two-character class
    std::string_view code;
    Exit exit;
    Sentence sentence;
};

// PostgreSQL's codes and classes that can reach a user, after the project's own codes
// and the transient SQLSTATEs (sql::error_codes and sql::transient_sqlstates, generated
// from sql/01_errors.sql). Anything else is exit 70 with its SQLSTATE only.
constexpr SqlstateMapping mappings[] = {
    {"42501", "permission_denied", Exit::noperm, Sentence::no_permission},
    // Only from an api.* call (else: unexpected): a database this subctl did not migrate.
    {"3F000", "schema_not_migrated", Exit::config, Sentence::not_migrated},
    {"42883", "schema_not_migrated", Exit::config, Sentence::not_migrated},
    {"42P01", "schema_not_migrated", Exit::config, Sentence::not_migrated},
    {"3D000", "database_not_found", Exit::config, Sentence::no_database},
    // A write sent to a standby (a URL naming it alone, or a primary demoted under it).
    {"25006", "database_read_only", Exit::unavailable, Sentence::read_only},
    {"23505", "already_exists", Exit::rejected, Sentence::constraint},
    {"23503", "not_found", Exit::rejected, Sentence::constraint},
    {"23", "constraint_violation", Exit::data, Sentence::constraint},
    {"22", "invalid_value", Exit::data, Sentence::bad_value},
    {"28", "login_rejected", Exit::config, Sentence::login_rejected},
    {"08", "database_unavailable", Exit::unavailable, Sentence::unavailable},
    {"53", "database_unavailable", Exit::unavailable, Sentence::unavailable},
    {"57", "database_unavailable", Exit::unavailable, Sentence::unavailable},
};

// The first "quoted" name of a server message, e.g. relation "customers" -> customers.
std::string quoted(const std::string& text, std::size_t nth = 0) {
    static const std::regex name(R"re("([^"]*)")re");
    auto it = std::sregex_iterator(text.begin(), text.end(), name);
    for (std::size_t i = 0; it != std::sregex_iterator() && i < nth; ++i) ++it;
    return it == std::sregex_iterator() ? std::string() : (*it)[1].str();
}

std::string words(std::string name) {
    for (char& c : name) c = c == '_' ? ' ' : c;
    return name;
}

// What a class-22 value should have been, from the type PostgreSQL names.
std::string expected_kind(const std::string& sqlstate, const std::string& message) {
    if (sqlstate == "22007" || sqlstate == "22008" || message.find("timestamp") != std::string::npos ||
        message.find("type date") != std::string::npos) {
        return "a date or time, e.g. 2026-11-01 or 2026-11-01T08:00+08";
    }
    if (sqlstate == "22021") return "UTF-8 text";
    if (sqlstate == "22003") return "within range";
    if (message.find("type uuid") != std::string::npos) return "a UUID";
    if (message.find("type boolean") != std::string::npos) return "true or false";
    if (message.find("type integer") != std::string::npos || message.find("type bigint") != std::string::npos ||
        message.find("type smallint") != std::string::npos) {
        return "a whole number";
    }
    if (message.find("type numeric") != std::string::npos) return "a number";
    if (sqlstate == "22001") return "shorter";
    return {};
}

Error bad_value(const SqlstateMapping& m, const DatabaseFailure& f) {
    std::string value = quoted(f.message);
    if (f.sqlstate == "22021") {  // invalid byte sequence for encoding "UTF8": 0xff
        static const std::regex byte(R"(: (0x[0-9a-f]{2}))");
        std::smatch match;
        value = std::regex_search(f.message, match, byte) ? match[1].str() : std::string();
    }
    const auto kind = expected_kind(f.sqlstate, f.message);
    const auto expected = kind.empty() ? std::string() : " (expected " + kind + ")";
    if (f.sqlstate == "22021" && !value.empty()) {
        return Error(m.exit, std::string(m.code), fmt::format("a value holds byte {}, which is not UTF-8 text", value));
    }
    if (value.empty()) return Error(m.exit, std::string(m.code), "a value is not valid" + expected);
    return Error(m.exit, std::string(m.code), fmt::format("value '{}' is not valid{}", value, expected), {}, value);
}

// Class 23 from the message and detail: "Key (domain)=(x) already exists." etc.
Error constraint(const SqlstateMapping& m, const DatabaseFailure& f) {
    const auto code = std::string(m.code);
    static const std::regex key(R"(Key \((.*)\)=\((.*)\) (already exists|is not present|is still referenced))");
    std::smatch match;
    const bool keyed = std::regex_search(f.detail, match, key);
    if (f.sqlstate == "23505") {
        return keyed ? Error(m.exit, code, fmt::format("a record with {} '{}' already exists", words(match[1]), match[2].str()),
                             {}, match[2].str())
                     : Error(m.exit, code, "a record with these values already exists");
    }
    if (f.sqlstate == "23503") {
        if (keyed && match[3] == "is still referenced") {
            return Error(m.exit, code, fmt::format("{} '{}' is still in use", words(match[1]), match[2].str()));
        }
        return keyed ? Error(m.exit, code, fmt::format("{} '{}' does not exist", words(match[1]), match[2].str()), {},
                             match[2].str())
                     : Error(m.exit, code, "a referenced record does not exist");
    }
    if (f.sqlstate == "23502") {  // null value in column "x" of relation "y"
        return Error(m.exit, code, fmt::format("{} needs a value for {}", quoted(f.message, 1), words(quoted(f.message))));
    }
    // check_<table>_<rule> (the schema's naming) -> "<table>: <rule>"; nothing stored either way
    const auto table = quoted(f.message);
    std::string rule = quoted(f.message, 1);
    for (const auto& prefix : {std::string("check_") + table + "_", std::string("check_"), table + "_"}) {
        if (rule.rfind(prefix, 0) == 0) {
            rule = rule.substr(prefix.size());
            break;
        }
    }
    if (table.empty() || rule.empty()) return Error(m.exit, code, "a value breaks a rule of the database; nothing was stored");
    return Error(m.exit, code, fmt::format("a value is not valid for {} ({}); nothing was stored", words(table), words(rule)));
}

Error sentence(const SqlstateMapping& m, const DatabaseFailure& f) {
    const auto code = std::string(m.code);
    switch (m.sentence) {
    case Sentence::own:
        return Error(m.exit, code, f.message, f.hint).with_details(f.detail);
    case Sentence::no_permission:
        return Error(m.exit, code,
                     fmt::format("login {} may not run this command (operations need role subctl_operator; "
                                 "administration needs the schema owner)",
                                 f.login.empty() ? "of this session" : f.login));
    case Sentence::not_migrated: {
        // e.g. schema "api" does not exist -> schema api is missing
        std::string what = f.message;
        const std::string tail = " does not exist";
        if (what.size() > tail.size() && what.compare(what.size() - tail.size(), tail.size(), tail) == 0) {
            what.resize(what.size() - tail.size());
        }
        what.erase(std::remove(what.begin(), what.end(), '"'), what.end());
        return Error(m.exit, code,
                     fmt::format("the database is not migrated for this subctl ({} is missing): run `subctl migrate`",
                                 what.substr(0, 120)));
    }
    case Sentence::bad_value:
        return bad_value(m, f);
    case Sentence::constraint:
        return constraint(m, f);
    case Sentence::conflict:
        return Error(m.exit, code,
                     fmt::format("the database could not finish the command ({}); nothing was changed: try again",
                                 words(code)));
    case Sentence::unavailable:
        return Error(m.exit, code, "the database became unavailable during the command (connection lost or server "
                                   "shutting down); try again when it is back");
    case Sentence::read_only:
        return Error(m.exit, code,
                     "the server is a read-only standby and nothing was changed: writes go to the primary",
                     "name it in --db / DATABASE_URL (a multi-host URL with target_session_attrs=read-write finds it)");
    case Sentence::login_rejected:
        return Error(m.exit, code,
                     fmt::format("the server refused login {}: check the user and password of --db / DATABASE_URL",
                                 f.login.empty() ? "of this session" : f.login));
    case Sentence::no_database:
        return Error(m.exit, code,
                     fmt::format("database {} does not exist: check --db / DATABASE_URL", quoted(f.message)));
    }
    return Error(Exit::internal, "database_error", fmt::format("unexpected database error (SQLSTATE {})", f.sqlstate));
}

}  // namespace

Error error_from_database(const DatabaseFailure& failure) {
    for (const auto& e : sql::error_codes) {
        if (failure.sqlstate == e.sqlstate) {
            return sentence({e.sqlstate, e.code, static_cast<Exit>(e.exit_code), Sentence::own}, failure);
        }
    }
    for (const auto& t : sql::transient_sqlstates) {
        if (failure.sqlstate == t.sqlstate) {
            return sentence({t.sqlstate, t.code, Exit::temporary, Sentence::conflict}, failure);
        }
    }
    for (const auto& m : mappings) {
        const bool exact = failure.sqlstate == m.sqlstate;
        const bool in_class = m.sqlstate.size() == 2 && failure.sqlstate.compare(0, 2, m.sqlstate) == 0;
        if (!exact && !in_class) continue;
        if (m.sentence == Sentence::not_migrated && !failure.api_call) break;  // our own SQL is wrong: unexpected
        return sentence(m, failure);
    }
    return Error(Exit::internal, "database_error", fmt::format("unexpected database error (SQLSTATE {})",
                                                               failure.sqlstate.empty() ? "unknown" : failure.sqlstate));
}

bool is_retryable_sqlstate(const std::string& sqlstate) {
    for (const auto& t : sql::transient_sqlstates) {
        if (t.retried && sqlstate == t.sqlstate) return true;
    }
    return false;
}

}  // namespace subctl
