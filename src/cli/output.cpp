#include "cli/output.hpp"

#include <algorithm>
#include <cctype>
#include <regex>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "shared/errors.hpp"

namespace subctl::cli {

namespace {

bool is_error_list(const nlohmann::json& value) {
    return value.is_array() && !value.empty() &&
           std::all_of(value.begin(), value.end(), [](const auto& v) { return v.is_object() && v.contains("code"); });
}

// A cell: strings as they are, null as empty, error lists as their codes (a table prints
// their sentences below it).
std::string cell(const nlohmann::json& value) {
    if (value.is_null()) return "";
    if (value.is_string()) return value.get<std::string>();
    if (is_error_list(value)) {
        std::string codes;
        for (const auto& v : value) codes += (codes.empty() ? "" : ",") + v["code"].get<std::string>();
        return codes;
    }
    if (value.is_array() && std::all_of(value.begin(), value.end(), [](const auto& v) { return v.is_string(); })) {
        std::string joined;
        for (const auto& v : value) joined += (joined.empty() ? "" : ",") + v.get<std::string>();
        return joined;
    }
    return value.dump();
}

std::vector<std::string> columns_of(const nlohmann::json& rows) {
    std::vector<std::string> columns;
    for (const auto& row : rows) {
        for (const auto& item : row.items()) {
            if (std::find(columns.begin(), columns.end(), item.key()) == columns.end()) columns.push_back(item.key());
        }
    }
    return columns;
}

// Object keys in the order SQL built them is lost by nlohmann::json (sorted); lists
// read best with the identifying columns first.
void put_first(std::vector<std::string>& columns, const std::vector<std::string>& first) {
    auto at = columns.begin();
    for (const auto& name : first) {
        auto found = std::find(columns.begin(), columns.end(), name);
        if (found != columns.end()) at = std::rotate(at, found, found + 1);
    }
}

// Every field subctl writes as CSV: formulas neutralised, then quoted if needed.
std::string csv_field(const std::string& raw) {
    const auto value = neutralise_formula(raw);
    if (value.find_first_of(",\"\r\n") == std::string::npos) return value;
    std::string quoted = "\"";
    for (char c : value) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    return quoted + "\"";
}

std::vector<std::string> record_columns(const nlohmann::json& rows) {
    auto columns = columns_of(rows);
    put_first(columns, {"id", "status", "line", "source_offer", "target_offer", "eligible", "customer_id", "offer_id", "name"});
    return columns;
}

// The listings as a person reads them: per command, the columns a narrowed table shows,
// in that order (the others follow only when not narrowed, unless others_too), and the
// columns holding ids that the command line also accepts by their 8-character prefix.
struct Listing {
    std::string_view command;
    std::vector<std::string> columns;
    std::vector<std::string> by_prefix;
    bool others_too = false;  // a listing whose columns vary (reports): every column, these first
};

const std::vector<Listing>& listings() {
    static const std::vector<Listing> all{
        {"customer list", {"id", "name", "domain"}, {}},
        {"relationship list", {"customer_id", "service_id", "status", "expires_at", "activated_at"}, {}},
        {"subscription list",
         {"id", "offer_id", "quantity", "status", "billing_cycle", "channel", "customer_id"},
         {"id", "parent_subscription_id", "upgraded_to", "upgraded_from"}},
        {"upgrades", {"target_offer", "target_offer_name", "eligible", "errors"}, {}},
        {"audit",
         {"id", "occurred_at", "operator", "operation", "outcome", "error_codes", "subscription_id", "request_id"},
         {"subscription_id"}},
        {"batch list",
         {"id", "file", "rows", "applied", "rejected", "already_applied", "pending", "dry_run", "finished_at"},
         {"id"}},
        {"batch show",
         {"line", "status", "action", "subscription_id", "error_codes", "new_subscription_id", "request_id"},
         {"subscription_id", "new_subscription_id"}},
        {"report list", {"name", "summary"}, {}, true},
        {"report show",
         {"customer_name", "subscription_id", "offer_id", "target_offer_id", "quantity", "status"},
         {"subscription_id", "target_subscription_id", "source_subscription_id"},
         true},
    };
    return all;
}

const Listing* find_listing(const std::string& command) {
    for (const auto& listing : listings()) {
        if (listing.command == command) return &listing;
    }
    return nullptr;
}

// The columns of a table, in reading order: the listing's first, then (when not narrowed)
// the others as the generic order puts them.
std::vector<std::string> table_columns(const nlohmann::json& rows, const TableLayout& layout) {
    auto columns = record_columns(rows);
    const auto* listing = find_listing(layout.listing);
    if (listing == nullptr) return columns;
    std::vector<std::string> ordered;
    for (const auto& name : listing->columns) {
        if (std::find(columns.begin(), columns.end(), name) != columns.end()) ordered.push_back(name);
    }
    if (layout.narrow && !listing->others_too) return ordered;
    for (const auto& name : columns) {
        if (std::find(ordered.begin(), ordered.end(), name) == ordered.end()) ordered.push_back(name);
    }
    return ordered;
}

bool is_hex(std::string_view text) {
    return std::all_of(text.begin(), text.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; });
}

bool is_uuid(std::string_view text) {
    if (text.size() != 36) return false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? text[i] != '-' : !std::isxdigit(static_cast<unsigned char>(text[i]))) return false;
    }
    return true;
}

// A cell as a narrowed table shows it.
std::string narrowed(const std::string& column, const std::string& text, const Listing* listing) {
    if (listing != nullptr &&
        std::find(listing->by_prefix.begin(), listing->by_prefix.end(), column) != listing->by_prefix.end() &&
        (is_uuid(text) || (text.size() == 64 && is_hex(text)))) {
        return text.substr(0, 8);
    }
    return to_the_second(text);
}

// Columns on a terminal: UTF-8 code points (every character one column wide).
std::size_t display_width(std::string_view text) {
    return static_cast<std::size_t>(
        std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

// The text cut to width columns, its end replaced by an ellipsis when cut.
std::string shortened(const std::string& text, std::size_t width) {
    if (display_width(text) <= width) return text;
    std::string cut;
    std::size_t shown = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const bool starts = (static_cast<unsigned char>(text[i]) & 0xC0) != 0x80;
        if (starts && ++shown > (width == 0 ? 0 : width - 1)) break;
        cut += text[i];
    }
    return width == 0 ? std::string() : cut + "…";
}

// A table's layout for its first rows: the columns, each one's width, and the listing.
struct Table {
    std::vector<std::string> columns;
    std::vector<std::size_t> widths;
    const Listing* listing = nullptr;
    bool narrow = false;
    bool cut = false;  // every cell is shortened to its column's width
};

std::vector<std::string> row_cells(const Table& table, const nlohmann::json& row) {
    std::vector<std::string> cells;
    for (std::size_t i = 0; i < table.columns.size(); ++i) {
        auto text = cell(row.value(table.columns[i], nlohmann::json()));
        if (table.narrow) text = narrowed(table.columns[i], text, table.listing);
        cells.push_back(table.cut ? shortened(text, table.widths[i]) : text);
    }
    return cells;
}

// Fits the table to width: the widest column that may be shortened loses a column at a
// time (not one of whole UUIDs, which shortened would name nothing, nor of lists such as
// error codes, which would lose their last); when none may, the last column (the least
// read) is dropped.
void fit(Table& table, std::size_t width, std::vector<bool> whole) {
    constexpr std::size_t narrowest = 6;
    const auto total = [&table] {
        std::size_t sum = 0;
        for (const auto w : table.widths) sum += w + 2;
        return sum - 2;
    };
    while (!table.widths.empty() && total() > width) {
        std::size_t widest = table.widths.size();
        for (std::size_t i = 0; i < table.widths.size(); ++i) {
            if (!whole[i] && table.widths[i] > narrowest &&
                (widest == table.widths.size() || table.widths[i] > table.widths[widest])) {
                widest = i;
            }
        }
        if (widest < table.widths.size()) {
            --table.widths[widest];
        } else if (table.widths.size() > 1) {
            table.columns.pop_back();
            table.widths.pop_back();
            whole.pop_back();
        } else {
            break;
        }
    }
    table.cut = true;
}

Table table_for(const nlohmann::json& rows, const TableLayout& layout) {
    Table table;
    table.columns = table_columns(rows, layout);
    table.listing = find_listing(layout.listing);
    table.narrow = layout.narrow;
    std::vector<bool> whole;
    for (const auto& column : table.columns) {
        table.widths.push_back(display_width(column));
        whole.push_back(true);
    }
    for (const auto& row : rows) {
        const auto cells = row_cells(table, row);
        for (std::size_t i = 0; i < cells.size(); ++i) {
            table.widths[i] = std::max(table.widths[i], display_width(cells[i]));
            const auto& value = row.value(table.columns[i], nlohmann::json());
            whole[i] = whole[i] && (cells[i].empty() || is_uuid(cells[i]) || value.is_array());
        }
    }
    if (layout.width > 0) fit(table, layout.width, whole);
    return table;
}

// One table line: the cells padded to the widths, no trailing blanks.
void print_table_line(std::ostream& out, const std::vector<std::string>& cells, const std::vector<std::size_t>& widths) {
    std::string text;
    for (std::size_t i = 0; i < cells.size(); ++i) {
        text += cells[i];
        if (i + 1 < cells.size()) text += std::string(widths[i] + 2 - std::min(widths[i] + 2, display_width(cells[i])), ' ');
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out << text << '\n';
}

void print_table_header(std::ostream& out, const Table& table) {
    std::vector<std::string> header;
    for (std::size_t i = 0; i < table.columns.size(); ++i) {
        header.push_back(table.cut ? shortened(table.columns[i], table.widths[i]) : table.columns[i]);
    }
    print_table_line(out, header, table.widths);
}

void print_table_rows(std::ostream& out, const nlohmann::json& rows, const Table& table) {
    for (const auto& row : rows) print_table_line(out, row_cells(table, row), table.widths);
}

// A JSON value as dump(2) prints it one level down (an element of an array).
std::string indented(const nlohmann::json& value) {
    std::string text = "  ";
    for (char c : value.dump(2)) text += c == '\n' ? std::string("\n  ") : std::string(1, c);
    return text;
}

}  // namespace

std::string to_the_second(const std::string& text) {
    static const std::regex timestamp(R"(^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.\d+([+-]\d\d(:\d\d)?|Z)$)");
    std::smatch match;
    return std::regex_match(text, match, timestamp) ? match[1].str() + match[2].str() : text;
}

std::string neutralise_formula(const std::string& field) {
    // SPEC 7.1: what a spreadsheet would evaluate (=, +, -, @, tab, CR first) reads as text after a '
    if (!field.empty() && std::string_view("=+-@\t\r").find(field.front()) != std::string_view::npos) return "'" + field;
    return field;
}

Format parse_format(const std::string& name) {
    if (name == "table") return Format::table;
    if (name == "json") return Format::json;
    if (name == "csv") return Format::csv;
    throw Error(Exit::usage, "usage", fmt::format("output format {} is not table, json or csv", name));
}

void print_csv_rows(std::ostream& out, const nlohmann::json& rows, const std::vector<std::string>& columns,
                    bool with_header) {
    if (with_header) {
        std::string header;
        for (const auto& column : columns) header += (header.empty() ? "" : ",") + csv_field(column);
        out << header << '\n';
    }
    for (const auto& row : rows) {
        std::string line;
        for (std::size_t i = 0; i < columns.size(); ++i) {
            // error lists whole (code, description, details, next_step), as JSON
            const auto value = row.value(columns[i], nlohmann::json());
            line += (i ? "," : "") + csv_field(is_error_list(value) ? value.dump() : cell(value));
        }
        out << line << '\n';
    }
}

void print_records(std::ostream& out, const nlohmann::json& records, Format format, const TableLayout& layout) {
    if (format == Format::json && !records.is_array()) {
        out << records.dump(2) << '\n';
        return;
    }
    if (format == Format::table && records.is_object() && layout.listing == "subscription show") {
        print_subscription_details(out, records, layout.width);
        return;
    }
    if (format == Format::table && records.is_object()) {  // one record reads best as field/value lines
        nlohmann::json pairs = nlohmann::json::array();
        for (const auto& column : record_columns(nlohmann::json::array({records}))) {
            pairs.push_back({{"field", column}, {"value", cell(records[column])}});
        }
        const auto table = table_for(pairs, {});
        print_table_header(out, table);
        print_table_rows(out, pairs, table);
        std::vector<ListedError> errors;
        collect_errors(records, "", errors);
        print_errors(out, errors, layout.width);
        return;
    }
    const nlohmann::json rows = records.is_object() ? nlohmann::json::array({records}) : records;
    print_record_pages(out, [&rows](const auto& consume) { consume(rows); }, format, layout);
}

void print_record_pages(std::ostream& out, const RecordPages& pages, Format format, const TableLayout& layout) {
    std::vector<std::string> columns;
    Table table;
    std::vector<ListedError> errors;
    bool started = false;
    pages([&](const nlohmann::json& page) {
        if (page.empty()) return;
        if (format == Format::json) {
            for (const auto& record : page) {
                out << (started ? ",\n" : "[\n") << indented(record);
                started = true;
            }
            return;
        }
        if (!started) {
            started = true;
            if (format == Format::csv) {
                columns = record_columns(page);
                print_csv_rows(out, nlohmann::json::array(), columns, true);
            } else {
                table = table_for(page, layout);
                print_table_header(out, table);
            }
        }
        if (format == Format::csv) {
            print_csv_rows(out, page, columns, false);
        } else {
            print_table_rows(out, page, table);
            for (const auto& row : page) {
                collect_errors(row, table.columns.empty() ? "" : cell(row.value(table.columns[0], nlohmann::json())), errors);
            }
        }
    });
    if (format == Format::json) {
        out << (started ? "\n]" : "[]") << '\n';
    } else if (!started && format == Format::table) {
        out << (layout.when_empty.empty() ? "(no rows)" : layout.when_empty) << '\n';
    } else if (!started) {
        out << '\n';  // csv of no rows: an empty header line, as for an empty list
    } else if (format == Format::table) {
        print_errors(out, errors, layout.width);
    }
}

}  // namespace subctl::cli
