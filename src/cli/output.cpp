#include "cli/output.hpp"

#include <algorithm>
#include <regex>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "cli/table.hpp"
#include "shared/errors.hpp"
#include "shared/text.hpp"

namespace subctl::cli {

namespace {

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

// A JSON value as dump(2) prints it one level down (an element of an array).
std::string indented(const nlohmann::json& value) {
    std::string text = "  ";
    for (char c : value.dump(2)) text += c == '\n' ? std::string("\n  ") : std::string(1, c);
    return text;
}

}  // namespace

bool is_error_list(const nlohmann::json& value) {
    return value.is_array() && !value.empty() &&
           std::all_of(value.begin(), value.end(), [](const auto& v) { return v.is_object() && v.contains("code"); });
}

// A cell's text: strings as they are, null as empty, error lists as their codes (a table
// prints their sentences below it), string lists joined.
std::string cell_text(const nlohmann::json& value) {
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

// A table cell: the text as a terminal can show it (shared/text.hpp: visible). CSV keeps
// the text as it is, its fields quoted.
std::string cell(const nlohmann::json& value) { return visible(cell_text(value)); }

std::vector<std::string> record_columns(const nlohmann::json& rows) {
    auto columns = columns_of(rows);
    put_first(columns, {"id", "status", "line", "source_offer", "target_offer", "eligible", "customer_id", "offer_id", "name"});
    return columns;
}

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
            line += (i ? "," : "") + csv_field(is_error_list(value) ? value.dump() : cell_text(value));
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
