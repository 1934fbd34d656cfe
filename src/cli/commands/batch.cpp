// subctl batch run FILE [--dry-run] [--report OUT] [--name NAME] | batch list | batch show BATCH
//
// A run stages the file with COPY (streamed in fixed-size blocks, never held in memory),
// lets the database validate it whole and register it (sql/70_batches.sql), then
// applies it one chunk of lines per transaction. Re-running a file resumes its batch:
// the database knows which rows are done, so a killed run loses at most one chunk.
// (Somewhat over 200 lines: the three batch commands and their two ways of applying a
// file, dry run and for real, which share register_file and apply_chunks.)
#include <algorithm>
#include <fstream>
#include <functional>
#include <optional>
#include <iostream>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/command_result.hpp"
#include "cli/commands/commands.hpp"
#include "cli/output.hpp"
#include "cli/progress.hpp"
#include "cli/runtime.hpp"
#include "cli/validate.hpp"
#include "db/database.hpp"
#include "db/stage_file.hpp"
#include "shared/errors.hpp"
#include "shared/text.hpp"
#include "shared/vocabulary.hpp"

namespace subctl::cli {

namespace {

constexpr int page_rows = 10000;
// errors last, as -o csv writes every error list: the objects {code, description, details,
// next_step} as JSON (error_codes stays where it was for the scripts reading it)
const std::vector<std::string> report_columns{"line",        "request_id",          "action", "subscription_id", "status",
                                              "error_codes", "new_subscription_id", "errors"};

struct BatchArgs {
    std::string file;
    std::optional<std::string> name;
    std::optional<std::string> report;
    // Rows per transaction: bounds how long a chunk holds its customers' locks and what a
    // crash loses (the README's batch section gives the measurements behind 500).
    int chunk_rows = 500;
    bool dry_run = false;
    std::optional<std::string> comment;  // this run's reason or ticket, in each row's audit events
    std::string batch;
    std::optional<std::string> status;
};

// Stages, validates and registers the file in tx: {status: registered, ...} or
// {status: invalid, error_count, errors} (then the caller rolls tx back).
nlohmann::json register_file(db::Database& database, pqxx::work& tx, const BatchArgs& args) {
    database.exec(tx, db::statements::batch_begin);
    const auto staged = db::stage_file(tx, args.file);
    if (!staged.copy_error.is_null()) {
        return {{"status", "invalid"}, {"error_count", 1}, {"errors", nlohmann::json::array({staged.copy_error})}};
    }
    return database.exec_json(tx, db::statements::batch_register, args.name, staged.sha256, args.file, args.comment);
}

// The rows of a batch, page by page in line order: fetch(after_line) gives the next page.
void for_each_page(const std::function<nlohmann::json(long long after_line)>& fetch,
                   const std::function<void(const nlohmann::json& rows)>& consume) {
    for (long long after = 1;;) {
        const auto rows = fetch(after);
        if (rows.empty()) return;
        consume(rows);
        after = rows.back()["line"].get<long long>();
    }
}

// Writes the rows of a batch to a CSV report, page by page.
void write_report(std::ofstream& report, const std::function<nlohmann::json(long long after_line)>& fetch) {
    print_csv_rows(report, nlohmann::json::array(), report_columns, true);
    for_each_page(fetch, [&](const nlohmann::json& rows) { print_csv_rows(report, rows, report_columns, false); });
}

// The file's errors as records (at most the first 1000), one stderr line, exit 65.
CommandResult invalid_file(const BatchArgs& args, const nlohmann::json& invalid) {
    const auto& first = invalid["errors"][0];
    std::cerr << fmt::format("subctl: invalid_batch_file: {}: {} error(s), nothing applied (first: line {}{}: {})\n",
                             args.file, invalid["error_count"].get<long long>(), first["line"].get<long long>(),
                             first["column"].is_null() ? "" : ", column " + first["column"].get<std::string>(),
                             first["message"].get<std::string>());
    return {invalid["errors"], Exit::data};
}

// Applies the pending lines of a registered batch, chunk by chunk, through apply(from_line, to_line).
void apply_chunks(const nlohmann::json& registered, int chunk_rows, bool show_progress,
                  const std::function<void(long long, long long)>& apply) {
    const long long first = registered["first_pending_line"].is_null()
                                ? registered["last_line"].get<long long>() + 1
                                : registered["first_pending_line"].get<long long>();
    const long long last = registered["last_line"].get<long long>();
    // Lines before the first pending one are done; so is every line of a chunk once it commits.
    Progress progress(show_progress, registered["rows"].get<long long>(), first - 2);
    for (long long from = first; from <= last; from += chunk_rows) {
        const long long to = std::min(last, from + chunk_rows - 1);
        apply(from, to);
        progress.update(to - 1);
    }
}

struct BatchRun {
    nlohmann::json registered;  // register_file's answer
    nlohmann::json summary;     // batch_finish's, once registered
};

// One transaction, rolled back: the very same code, nothing kept.
BatchRun run_dry(db::Database& database, const BatchArgs& args, bool show_progress, std::ofstream& report) {
    BatchRun run;
    database.transact([&](pqxx::work& tx) {
        run.registered = register_file(database, tx, args);
        if (run.registered["status"] != "registered") return db::Outcome::rollback;
        const auto batch_id = run.registered["batch_id"].get<std::string>();
        apply_chunks(run.registered, args.chunk_rows, show_progress, [&](long long from, long long to) {
            database.exec(tx, db::statements::batch_apply_chunk, batch_id, from, to, true, args.comment);
        });
        run.summary = database.exec_json(tx, db::statements::batch_finish, batch_id);
        if (report.is_open()) {
            write_report(report, [&](long long after) {
                return database.exec_json(tx, db::statements::batch_rows, batch_id, after, page_rows,
                                          std::optional<std::string>());
            });
        }
        return db::Outcome::rollback;
    });
    return run;
}

// Registered in one transaction, then one transaction per chunk: a killed run resumes.
BatchRun run_applied(db::Database& database, const BatchArgs& args, bool show_progress, std::ofstream& report) {
    BatchRun run;
    database.transact([&](pqxx::work& tx) {
        run.registered = register_file(database, tx, args);
        return run.registered["status"] == "registered" ? db::Outcome::commit : db::Outcome::rollback;
    });
    if (run.registered["status"] != "registered") return run;
    const auto batch_id = run.registered["batch_id"].get<std::string>();
    apply_chunks(run.registered, args.chunk_rows, show_progress, [&](long long from, long long to) {
        database.transact([&](pqxx::work& tx) {
            database.exec(tx, db::statements::batch_apply_chunk, batch_id, from, to, false, args.comment);
            return db::Outcome::commit;
        });
    });
    database.transact([&](pqxx::work& tx) {
        run.summary = database.exec_json(tx, db::statements::batch_finish, batch_id);
        return db::Outcome::commit;
    });
    if (report.is_open()) {
        write_report(report, [&](long long after) {
            return database.call(db::Outcome::rollback, db::statements::batch_rows, batch_id, after, page_rows,
                                 std::optional<std::string>());
        });
    }
    return run;
}

CommandResult run_batch(Runtime& runtime, const BatchArgs& args) {
    std::ofstream report;
    if (args.report) {  // before anything is applied: a report that cannot be written stops the run
        report.open(*args.report, std::ios::trunc);
        if (!report) throw Error(Exit::data, "file_unwritable", fmt::format("cannot write report {}", *args.report));
    }
    auto& database = runtime.database("batch");
    const bool show_progress = !runtime.options.quiet && isatty(STDERR_FILENO) == 1;
    auto [registered, summary] = args.dry_run ? run_dry(database, args, show_progress, report)
                                              : run_applied(database, args, show_progress, report);
    if (registered["status"] != "registered") return invalid_file(args, registered);

    if (args.report) summary["report"] = *args.report;
    const long long rejected = summary["rejected"].get<long long>();
    if (rejected > 0) {
        std::cerr << fmt::format("subctl: batch {}: {} of {} row(s) rejected{}\n", summary["id"].get<std::string>(),
                                 rejected, summary["rows"].get<long long>(),
                                 args.report ? " (see " + *args.report + ")" : " (see: subctl batch show ID --status rejected)");
    }
    return {summary, rejected > 0 ? Exit::rejected : Exit::ok};
}

CommandResult run_batch_list(Runtime& runtime) {
    return {runtime.read_database().call(db::Outcome::rollback, db::statements::batches)};
}

// Page by page as they are printed: a batch of a million rows never sits in memory.
CommandResult run_batch_show(Runtime& runtime, const BatchArgs& args) {
    return CommandResult(RecordPages(
        [&database = runtime.read_database(), batch = args.batch, status = args.status](const auto& consume) {
            for_each_page(
                [&](long long after) {
                    return database.call(db::Outcome::rollback, db::statements::batch_rows, batch, after, page_rows,
                                         status);
                },
                consume);
        }));
}

}  // namespace

void setup_batch(CLI::App& app, Runtime& runtime) {
    auto* batch = app.add_subcommand("batch", "Operators' CSV batch jobs: validated whole, resumable, idempotent");
    batch->require_subcommand(1);
    auto args = std::make_shared<BatchArgs>();

    auto* run = add_command(*batch, runtime, "run",
                            "Apply a CSV file (action,subscription_id,target_offer,quantity,request_id[,user][,into]); "
                            "re-running it resumes and never applies a row twice",
                            [&runtime, args] { return run_batch(runtime, *args); });
    run->add_option("FILE", args->file, "The CSV file (header required)")->required();
    run->add_flag("--dry-run", args->dry_run, "Validate and evaluate every row, apply nothing");
    run->add_option("--report", args->report, "Write every row's outcome to this CSV file");
    run->add_option("--name", args->name, "Batch id (default: the sha256 of the file)");
    run->add_option("--comment", args->comment, "A reason or ticket, kept in the audit event of every row this run applies");
    run->add_option("--chunk-size", args->chunk_rows, "Rows per transaction (default 500)")
        ->check(CLI::Range(1, 100000));

    add_command(*batch, runtime, "list", "Past batches with row counts per outcome and timings",
                [&runtime] { return run_batch_list(runtime); });

    auto* show = add_command(*batch, runtime, "show", "Every row of a batch with its outcome",
                             [&runtime, args] { return run_batch_show(runtime, *args); });
    show->add_option("BATCH", args->batch, id_or_prefix_help("Batch"))->required();
    show->add_option("--status", args->status, "Only rows of this outcome")
        ->check(CLI::IsMember(choices(sql::batch_row_statuses)));
}

}  // namespace subctl::cli
