#pragma once
// One connection to PostgreSQL acting for one partner/operator, and the single place
// where transactions are run and serialization failures or deadlocks are retried.
//
// libpqxx stays visible here: exec and call are templates that hand their typed
// parameters straight to a prepared statement, so the command files that call them
// see pqxx::work and pqxx::result. Outside db/, no header includes libpqxx.
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>
#include <pqxx/connection>
#include <pqxx/errorhandler>
#include <pqxx/nontransaction>
#include <pqxx/result>
#include <pqxx/transaction>

#include "db/outcome.hpp"
#include "db/statements.hpp"

namespace subctl::db {

struct SessionContext {
    std::string partner;        // empty for administrative commands
    std::string operator_name;  // recorded in the audit trail
    std::string source = "cli"; // cli | batch
    std::string url_source = "--db / DATABASE_URL";  // where the URL came from, named when it is wrong
};

class Database {
public:
    Database(const std::string& url, const SessionContext& context);
    ~Database();
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    // Runs body in one transaction (RAII: rolled back unless committed) and commits it
    // unless body says rollback. Serialization failures and deadlocks restart the whole
    // transaction, a bounded number of times with jittered backoff; then exit 75.
    void transact(const std::function<Outcome(pqxx::work&)>& body);

    // Executes a named prepared statement inside tx, preparing it on first use.
    template <typename... Args>
    pqxx::result exec(pqxx::transaction_base& tx, const Statement& statement, Args&&... args) {
        if (sizeof...(Args) != statement.parameters) {
            throw std::logic_error("statement " + std::string(statement.name) + " takes " +
                                   std::to_string(statement.parameters) + " values, " + std::to_string(sizeof...(Args)) +
                                   " given");
        }
        prepare(statement);
        return tx.exec_prepared(std::string(statement.name), std::forward<Args>(args)...);
    }

    // exec of a statement whose single jsonb value is the result (null when none).
    template <typename... Args>
    nlohmann::json exec_json(pqxx::transaction_base& tx, const Statement& statement, Args&&... args) {
        auto rows = exec(tx, statement, std::forward<Args>(args)...);
        return rows.empty() || rows[0][0].is_null() ? nlohmann::json() : nlohmann::json::parse(rows[0][0].c_str());
    }

    // A one-statement operation in its own transaction: exec_json, then commit or roll back.
    // One that commits is sent alone, as its own implicit transaction: one round trip, not
    // three (BEGIN, the statement, COMMIT), with the same atomicity and retries.
    template <typename... Args>
    nlohmann::json call(Outcome outcome, const Statement& statement, Args&&... args) {
        nlohmann::json result;
        if (outcome == Outcome::commit) {
            autocommit(statement,
                       [&](pqxx::nontransaction& tx) { result = exec_json(tx, statement, std::forward<Args>(args)...); });
            return result;
        }
        transact([&](pqxx::work& tx) {
            result = exec_json(tx, statement, std::forward<Args>(args)...);
            return outcome;
        });
        return result;
    }

private:
    // Runs body's one statement, statement, outside a transaction block (it commits when
    // it ends), retried as transact retries. Prepared first: a connection lost before the
    // statement is sent changed nothing; one lost after leaves it in doubt.
    void autocommit(const Statement& statement, const std::function<void(pqxx::nontransaction&)>& body);

    void prepare(const Statement& statement);

    // rethrow_as_domain_error for the failure being handled, knowing the login and statement.
    [[noreturn]] void rethrow();

    pqxx::connection connection_;
    // Server notices (e.g. "terminating connection due to immediate shutdown") never
    // reach stderr raw: an error reaches the user as one subctl: line, nothing else.
    pqxx::quiet_errorhandler notices_{connection_};
    std::map<std::string, bool> prepared_;  // statement name -> calls an api.* function
};

}  // namespace subctl::db
