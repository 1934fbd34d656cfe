#pragma once
// Domain errors and the exit codes of SPEC 4. Every failure that reaches the user is a
// subctl::Error; error_from_sqlstate is the one table that maps the database's
// SQLSTATEs (the project's SUxxx codes and PostgreSQL's own) to them.
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
    config = 78,
};

class Error : public std::runtime_error {
public:
    Error(Exit exit, std::string code, const std::string& message, std::string hint = {});
    Exit exit() const { return exit_; }
    const std::string& code() const { return code_; }
    const std::string& hint() const { return hint_; }

private:
    Exit exit_;
    std::string code_;
    std::string hint_;
};

Error error_from_sqlstate(const std::string& sqlstate, const std::string& message, const std::string& hint = {});

// True for the SQLSTATEs that a fresh attempt of the same transaction may clear.
bool is_retryable_sqlstate(const std::string& sqlstate);

}  // namespace subctl
