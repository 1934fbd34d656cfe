// subctl batch run FILE [--dry-run] [--report OUT] [--name NAME] | batch list | batch show BATCH
//
// A run stages the file with COPY (streamed in fixed-size blocks, never held in memory),
// lets the database validate it whole and register it (sql/70_batches.sql), then
// applies it one chunk of lines per transaction. Re-running a file resumes its batch:
// the database knows which rows are done, so a killed run loses at most one chunk.
#include <chrono>
#include <cstring>
#include <fstream>
#include <iostream>
#include <regex>
#include <unistd.h>

#include <fmt/format.h>
#include <openssl/evp.h>

#include "cli/output.hpp"
#include "cli/runtime.hpp"
#include "domain/text.hpp"
#include "domain/vocabulary.hpp"

namespace subctl::cli {

namespace {

constexpr std::size_t block_bytes = 64 * 1024;
constexpr std::size_t max_line_bytes = 1024 * 1024;
constexpr int page_rows = 10000;
const std::vector<std::string> report_columns{"line",   "request_id",  "action",           "subscription_id",
                                              "status", "error_codes", "new_subscription_id"};

struct BatchArgs {
    std::string file;
    std::optional<std::string> name;
    std::optional<std::string> report;
    // Rows per transaction: bounds how long a chunk holds its customers' locks and what a
    // crash loses (the README's batch section gives the measurements behind 500).
    int chunk_rows = 500;
    bool dry_run = false;
    std::string batch;
    std::optional<std::string> status;
};

class Sha256 {
public:
    Sha256() : context_(EVP_MD_CTX_new()) {
        if (context_ == nullptr || EVP_DigestInit_ex(context_, EVP_sha256(), nullptr) != 1) {
            throw Error(Exit::internal, "internal_error", "sha256 is not available");
        }
    }
    ~Sha256() { EVP_MD_CTX_free(context_); }
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;

    void update(const char* data, std::size_t size) { EVP_DigestUpdate(context_, data, size); }
    std::string hex() {
        unsigned char digest[EVP_MAX_MD_SIZE];
        unsigned int size = 0;
        EVP_DigestFinal_ex(context_, digest, &size);
        std::string text;
        for (unsigned int i = 0; i < size; ++i) text += fmt::format("{:02x}", digest[i]);
        return text;
    }

private:
    EVP_MD_CTX* context_;
};

// One invalid-file error as the database reports them: {line, column, value, message}.
nlohmann::json file_error(long long line, const std::string& message) {
    return {{"line", line}, {"column", nullptr}, {"value", nullptr}, {"message", message}};
}

struct StagedFile {
    std::string sha256;
    nlohmann::json copy_error;  // null, or the line that is not UTF-8 text: nothing is applied
};

// Records a line that is not UTF-8 text (PostgreSQL would refuse it with its own words).
bool utf8_error(const std::string& line, long long line_number, StagedFile& staged) {
    const auto at = invalid_utf8_at(line);
    if (!at) return false;
    staged.copy_error = file_error(line_number, fmt::format("not UTF-8 text (byte 0x{:02x} at offset {})",
                                                            static_cast<unsigned char>(line[*at]), *at));
    return true;
}

// COPYs every line of the file, unparsed, into pg_temp.batch_lines (one row per line,
// in file order: the row's identity is its line number). stream_to escapes COPY's
// specials, so each row is the line's exact bytes; PostgreSQL checks they are UTF-8.
StagedFile stage_file(pqxx::work& tx, const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(Exit::data, "file_unreadable", fmt::format("cannot read batch file {}", path));
    Sha256 sha256;
    StagedFile staged;
    pqxx::stream_to copy(tx, "batch_lines", std::vector<std::string>{"raw"});
    std::vector<char> block(block_bytes);
    std::string line;
    long long line_number = 1;
    try {
        while (staged.copy_error.is_null() &&
               (in.read(block.data(), static_cast<std::streamsize>(block.size())) || in.gcount() > 0)) {
            const char* at = block.data();
            const char* end = at + in.gcount();
            sha256.update(at, static_cast<std::size_t>(end - at));
            while (at < end) {
                const auto* newline = static_cast<const char*>(std::memchr(at, '\n', static_cast<std::size_t>(end - at)));
                line.append(at, newline != nullptr ? newline : end);
                if (line.size() > max_line_bytes) {
                    throw Error(Exit::data, "invalid_batch_file",
                                fmt::format("{}: line {} is longer than {} bytes; nothing applied", path, line_number,
                                            max_line_bytes));
                }
                if (newline == nullptr) break;
                if (utf8_error(line, line_number, staged)) break;
                copy << std::make_tuple(line);
                line.clear();
                ++line_number;
                at = newline + 1;
            }
        }
        if (in.bad()) throw Error(Exit::data, "file_unreadable", fmt::format("error reading batch file {}", path));
        if (staged.copy_error.is_null() && !line.empty() && !utf8_error(line, line_number, staged)) {
            copy << std::make_tuple(line);
        }
        copy.complete();
        if (!staged.copy_error.is_null()) return staged;
    } catch (const pqxx::sql_error& e) {
        // Class 22 is the data COPY refused (utf8_error should have found it first): the
        // server's text is not shown, only the line it names.
        if (e.sqlstate().compare(0, 2, "22") != 0) throw;
        std::smatch line_match;
        const std::string what = e.what();
        const bool located = std::regex_search(what, line_match, std::regex(R"(COPY batch_lines, line ([0-9]+))"));
        staged.copy_error = file_error(located ? std::stoll(line_match[1]) : 0, "not UTF-8 text");
        return staged;
    }
    staged.sha256 = sha256.hex();
    return staged;
}

// Stages, validates and registers the file in tx: {status: registered, ...} or
// {status: invalid, error_count, errors} (then the caller rolls tx back).
nlohmann::json register_file(db::Database& database, pqxx::work& tx, const BatchArgs& args) {
    database.exec(tx, db::statements::batch_begin);
    const auto staged = stage_file(tx, args.file);
    if (!staged.copy_error.is_null()) {
        return {{"status", "invalid"}, {"error_count", 1}, {"errors", nlohmann::json::array({staged.copy_error})}};
    }
    return database.exec_json(tx, db::statements::batch_register, args.name, staged.sha256, args.file);
}

// Rows done / total, rate and ETA on one redrawn stderr line.
class Progress {
public:
    Progress(bool enabled, long long total, long long done)
        : enabled_(enabled), total_(total), done_at_start_(done), start_(std::chrono::steady_clock::now()) {
        update(done);
    }
    void update(long long done) {
        if (!enabled_) return;
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
        const double rate = seconds > 0 ? static_cast<double>(done - done_at_start_) / seconds : 0;
        const int width = 30;
        const int filled = total_ > 0 ? static_cast<int>(width * done / total_) : width;
        const std::string eta = rate > 0 ? fmt::format("{:.0f}s", static_cast<double>(total_ - done) / rate) : "?";
        std::cerr << fmt::format("\r[{:<{}}] {}/{} rows  {:.0f} rows/s  ETA {}   ", std::string(filled, '#'), width,
                                 done, total_, rate, eta)
                  << std::flush;
    }
    ~Progress() {
        if (enabled_) std::cerr << '\n';
    }

private:
    bool enabled_;
    long long total_;
    long long done_at_start_;
    std::chrono::steady_clock::time_point start_;
};

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

CommandResult run_batch(Runtime& runtime, const BatchArgs& args) {
    std::ofstream report;
    if (args.report) {  // before anything is applied: a report that cannot be written stops the run
        report.open(*args.report, std::ios::trunc);
        if (!report) throw Error(Exit::data, "file_unwritable", fmt::format("cannot write report {}", *args.report));
    }
    auto& database = runtime.database("batch");
    const bool show_progress = !runtime.options.quiet && isatty(STDERR_FILENO) == 1;
    nlohmann::json registered;
    nlohmann::json summary;

    // Applies the pending lines, chunk by chunk, through apply(from_line, to_line).
    auto apply_chunks = [&](const std::function<void(long long, long long)>& apply) {
        const long long first = registered["first_pending_line"].is_null()
                                    ? registered["last_line"].get<long long>() + 1
                                    : registered["first_pending_line"].get<long long>();
        const long long last = registered["last_line"].get<long long>();
        // Lines before the first pending one are done; so is every line of a chunk once it commits.
        Progress progress(show_progress, registered["rows"].get<long long>(), first - 2);
        for (long long from = first; from <= last; from += args.chunk_rows) {
            const long long to = std::min(last, from + args.chunk_rows - 1);
            apply(from, to);
            progress.update(to - 1);
        }
    };
    auto page = [&](pqxx::work& tx, long long after) {
        return database.exec_json(tx, db::statements::batch_rows, registered["batch_id"].get<std::string>(), after,
                                  page_rows, std::optional<std::string>());
    };

    if (args.dry_run) {  // one transaction, rolled back: the very same code, nothing kept
        database.transact([&](pqxx::work& tx) {
            registered = register_file(database, tx, args);
            if (registered["status"] != "registered") return db::Outcome::rollback;
            apply_chunks([&](long long from, long long to) {
                database.exec(tx, db::statements::batch_apply_chunk, registered["batch_id"].get<std::string>(), from,
                              to, true);
            });
            summary = database.exec_json(tx, db::statements::batch_finish, registered["batch_id"].get<std::string>());
            if (report.is_open()) write_report(report, [&](long long after) { return page(tx, after); });
            return db::Outcome::rollback;
        });
    } else {
        database.transact([&](pqxx::work& tx) {
            registered = register_file(database, tx, args);
            return registered["status"] == "registered" ? db::Outcome::commit : db::Outcome::rollback;
        });
        if (registered["status"] == "registered") {
            const auto batch_id = registered["batch_id"].get<std::string>();
            apply_chunks([&](long long from, long long to) {
                database.transact([&](pqxx::work& tx) {
                    database.exec(tx, db::statements::batch_apply_chunk, batch_id, from, to, false);
                    return db::Outcome::commit;
                });
            });
            database.transact([&](pqxx::work& tx) {
                summary = database.exec_json(tx, db::statements::batch_finish, batch_id);
                return db::Outcome::commit;
            });
            if (report.is_open()) {
                write_report(report, [&](long long after) {
                    return database.call(db::Outcome::rollback, db::statements::batch_rows, batch_id, after, page_rows,
                                         std::optional<std::string>());
                });
            }
        }
    }
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
                            "Apply a CSV file (action,subscription_id,target_offer,quantity,request_id); "
                            "re-running it resumes and never applies a row twice",
                            [&runtime, args] { return run_batch(runtime, *args); });
    run->add_option("FILE", args->file, "The CSV file (header required)")->required();
    run->add_flag("--dry-run", args->dry_run, "Validate and evaluate every row, apply nothing");
    run->add_option("--report", args->report, "Write every row's outcome to this CSV file");
    run->add_option("--name", args->name, "Batch id (default: the sha256 of the file)");
    run->add_option("--chunk-size", args->chunk_rows, "Rows per transaction (default 500)")
        ->check(CLI::Range(1, 100000));

    add_command(*batch, runtime, "list", "Past batches with row counts per outcome and timings",
                [&runtime] { return run_batch_list(runtime); });

    auto* show = add_command(*batch, runtime, "show", "Every row of a batch with its outcome",
                             [&runtime, args] { return run_batch_show(runtime, *args); });
    show->add_option("BATCH", args->batch, "Batch id (or a unique prefix of 8+ characters)")->required();
    show->add_option("--status", args->status, "Only rows of this outcome")
        ->check(CLI::IsMember(choices(sql::batch_row_statuses)));
}

}  // namespace subctl::cli
