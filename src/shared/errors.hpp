#pragma once
// Domain errors and the exit codes of SPEC 4 and 7.1. Every failure that reaches the
// user is a subctl::Error; error_from_database is the one table that maps the
// database's SQLSTATEs (the project's SUxxx codes and PostgreSQL's own) to them. Only
// the project's own codes carry the server's text: PostgreSQL's is rewritten into a
// sentence (SPEC 7.1: no raw PostgreSQL text reaches the user).
#include <stdexcept>
#include <string>

namespace subctl {

enum class Exit : int {
    ok = 0,
    rejected = 1,      // rejected by a rule, or not found
    usage = 64,
    data = 65,         // invalid input data: nothing applied
    unavailable = 69,  // database unavailable
    internal = 70,
    temporary = 75,    // retries exhausted, lock timeout: try again
    noperm = 77,       // the login's role may not run this command
    config = 78,
};

class Error : public std::runtime_error {
public:
    // value: the value at fault when known (the caller may name its argument).
    Error(Exit exit, std::string code, const std::string& message, std::string hint = {}, std::string value = {});
    Exit exit() const { return exit_; }
    const std::string& code() const { return code_; }
    const std::string& hint() const { return hint_; }
    const std::string& value() const { return value_; }
    // The server's DETAIL of one of the project's own codes: JSON (e.g. the candidates of
    // customer_ambiguous) or a sentence; the error object's `details`.
    const std::string& details() const { return details_; }
    Error& with_details(std::string details) {
        details_ = std::move(details);
        return *this;
    }

private:
    Exit exit_;
    std::string code_;
    std::string hint_;
    std::string value_;
    std::string details_;
};

// What the database reported, and what subctl knows about the call that failed.
struct DatabaseFailure {
    std::string sqlstate;
    std::string message;  // the server's primary text (ERROR:/FATAL: removed)
    std::string detail;
    std::string hint;
    std::string login;      // the session's login, for permission_denied
    bool api_call = false;  // raised by a call of an api.* function (not by migrate's own SQL)
};

Error error_from_database(const DatabaseFailure& failure);

// True for the transient SQLSTATEs that the transaction loop retries itself (the rows of
// core.transient_sqlstates marked retried, sql/01_errors.sql).
bool is_retryable_sqlstate(const std::string& sqlstate);

}  // namespace subctl
