#include "db/failure.hpp"

#include <sstream>

#include <pqxx/except>

#include "shared/errors.hpp"

namespace subctl::db {

namespace {

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

}  // namespace

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
                    "the connection was lost while committing; the outcome is unknown: run the command again (a batch "
                    "resumes where it stopped; a mutation's request id is applied at most once)");
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

}  // namespace subctl::db
