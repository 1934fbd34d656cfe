#pragma once
// Rendering of command records as table, json or csv. Commands return records (a JSON
// object, or an array of objects); json and csv print them as they are, a table lays them
// out for a person (output_views.cpp: the Details page, the errors' sentences).
#include <cstddef>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace subctl::cli {

enum class Format { table, json, csv };

// How a table reads: which listing it is (the command, e.g. "subscription list": its
// columns in reading order, output.cpp), and whether it is narrowed for a terminal: only
// the listing's columns, subscription and batch ids by a prefix (core.id_prefix_min_length
// characters, more where ids shown together start alike), timestamps to the second, and
// at most `width` columns wide (longer values end in "…").
// Not narrowed (--wide, or stdout is no terminal): every column, every value in full.
struct TableLayout {
    std::string listing;
    bool narrow = false;
    std::size_t width = 0;  // 0: no limit
    // What a table of no records says (default "(no rows)"), on stdout.
    std::string when_empty;
};

// The width of a table on a terminal (SPEC 7.2: it fits an 120-column terminal).
inline constexpr std::size_t terminal_width = 120;

Format parse_format(const std::string& name);
void print_records(std::ostream& out, const nlohmann::json& records, Format format, const TableLayout& layout = {});
// Records too many to hold at once: pages(consume) hands each page (an array of objects)
// to consume, in order. Printed as they come: the columns (and table widths) are those of
// the first page; the output is that of print_records for all the records together.
using RecordPages = std::function<void(const std::function<void(const nlohmann::json& page)>& consume)>;
void print_record_pages(std::ostream& out, const RecordPages& pages, Format format, const TableLayout& layout = {});
// A CSV field as subctl writes it (SPEC 7.1): one that starts with =, +, -, @, tab or
// carriage return gets a leading ' so that a spreadsheet shows it instead of running it.
std::string neutralise_formula(const std::string& field);
// CSV lines of rows (objects) in the given columns, with the header line first if asked:
// for output written page by page (a batch report). Every field goes through
// neutralise_formula.
void print_csv_rows(std::ostream& out, const nlohmann::json& rows, const std::vector<std::string>& columns,
                    bool with_header);

// output_views.cpp: what a table shows beyond its cells.
// An error object ({code, description, details, next_step}) met in a table, once, with
// the rows it was met in (by their first cell; none for a single record).
struct ListedError {
    nlohmann::json error;
    std::vector<std::string> rows;
};
// Adds the error objects found in a record (at any depth) to errors, met in row.
void collect_errors(const nlohmann::json& record, const std::string& row, std::vector<ListedError>& errors);
// Those errors as a person reads them: per error `code (rows): description` and, indented
// below, `next step: ...`; lines wrapped at width (0: not wrapped). Nothing when none.
void print_errors(std::ostream& out, const std::vector<ListedError>& errors, std::size_t width);
// A timestamp as PostgreSQL's JSON writes it, 2026-11-01T08:00:00.123456+08:00, to the
// second: 2026-11-01T08:00:00+08:00; any other text as it is.
std::string to_the_second(const std::string& text);
// The Details page (api.subscription_details) as a person reads it: the subscription,
// then "Upgrade now" (eligible targets with the command to run) and "Blocked" (each
// target's reasons and next steps), or that no upgrade path leaves its offer.
void print_subscription_details(std::ostream& out, const nlohmann::json& details, std::size_t width);
// The sentence for an offer that no upgrade path leaves, e.g. for `upgrades`.
std::string no_upgrade_path(const std::string& offer_id, const std::string& offer_name);

}  // namespace subctl::cli
