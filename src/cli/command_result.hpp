#pragma once
// What a command returns: its records (or pages of them) and its exit code; main prints them.
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "cli/output.hpp"
#include "shared/errors.hpp"

namespace subctl::cli {

struct CommandResult {
    CommandResult(nlohmann::json records = nullptr, Exit exit = Exit::ok)  // implicit: commands return their records
        : records(std::move(records)), exit(exit) {}
    // Records too many to hold at once, printed page by page as they are fetched.
    explicit CommandResult(RecordPages pages) : pages(std::move(pages)) {}

    nlohmann::json records;
    Exit exit = Exit::ok;
    RecordPages pages;
    // With a failing exit: the one stderr line (`CODE: sentence`) when the records alone
    // do not say what failed.
    std::string failure;
    // What a table of no records says instead of "(no rows)" (TableLayout::when_empty).
    std::string when_empty;
};

// An operation's result: exit 1 when rejected (or, in a dry run, when errors would apply).
CommandResult operation_result(nlohmann::json result);

// The stderr line of a result with one error: `code: description Next step: next_step.`
std::string error_line(const nlohmann::json& error);

}  // namespace subctl::cli
