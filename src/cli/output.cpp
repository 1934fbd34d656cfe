#include "cli/output.hpp"

#include <algorithm>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "shared/errors.hpp"

namespace subctl::cli {

namespace {

// A cell: strings as they are, null as empty, error lists as their codes.
std::string cell(const nlohmann::json& value) {
    if (value.is_null()) return "";
    if (value.is_string()) return value.get<std::string>();
    if (value.is_array() && std::all_of(value.begin(), value.end(), [](const auto& v) {
            return v.is_object() && v.contains("code");
        })) {
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

std::vector<std::size_t> table_widths(const nlohmann::json& rows, const std::vector<std::string>& columns) {
    std::vector<std::size_t> widths;
    for (const auto& column : columns) widths.push_back(column.size());
    for (const auto& row : rows) {
        for (std::size_t i = 0; i < columns.size(); ++i) {
            widths[i] = std::max(widths[i], cell(row.value(columns[i], nlohmann::json())).size());
        }
    }
    return widths;
}

// One table line: the cells padded to the widths, no trailing blanks.
void print_table_line(std::ostream& out, const std::vector<std::string>& cells, const std::vector<std::size_t>& widths) {
    std::string text;
    for (std::size_t i = 0; i < cells.size(); ++i) {
        text += fmt::format("{:<{}}", cells[i], i + 1 == cells.size() ? 0 : widths[i] + 2);
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out << text << '\n';
}

void print_table_rows(std::ostream& out, const nlohmann::json& rows, const std::vector<std::string>& columns,
                      const std::vector<std::size_t>& widths) {
    for (const auto& row : rows) {
        std::vector<std::string> cells;
        for (const auto& column : columns) cells.push_back(cell(row.value(column, nlohmann::json())));
        print_table_line(out, cells, widths);
    }
}

void print_table(std::ostream& out, const nlohmann::json& rows, const std::vector<std::string>& columns) {
    const auto widths = table_widths(rows, columns);
    print_table_line(out, columns, widths);
    print_table_rows(out, rows, columns, widths);
}

std::vector<std::string> record_columns(const nlohmann::json& rows) {
    auto columns = columns_of(rows);
    put_first(columns, {"id", "status", "line", "source_offer", "target_offer", "eligible", "customer_id", "offer_id", "name"});
    return columns;
}

// A JSON value as dump(2) prints it one level down (an element of an array).
std::string indented(const nlohmann::json& value) {
    std::string text = "  ";
    for (char c : value.dump(2)) text += c == '\n' ? std::string("\n  ") : std::string(1, c);
    return text;
}

}  // namespace

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
            line += (i ? "," : "") + csv_field(cell(row.value(columns[i], nlohmann::json())));
        }
        out << line << '\n';
    }
}

void print_records(std::ostream& out, const nlohmann::json& records, Format format) {
    if (format == Format::json && !records.is_array()) {
        out << records.dump(2) << '\n';
        return;
    }
    if (format == Format::table && records.is_object()) {  // one record reads best as field/value lines
        nlohmann::json pairs = nlohmann::json::array();
        for (const auto& column : record_columns(nlohmann::json::array({records}))) {
            pairs.push_back({{"field", column}, {"value", cell(records[column])}});
        }
        print_table(out, pairs, {"field", "value"});
        return;
    }
    const nlohmann::json rows = records.is_object() ? nlohmann::json::array({records}) : records;
    print_record_pages(out, [&rows](const auto& consume) { consume(rows); }, format);
}

void print_record_pages(std::ostream& out, const RecordPages& pages, Format format) {
    std::vector<std::string> columns;
    std::vector<std::size_t> widths;
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
            columns = record_columns(page);
            if (format == Format::csv) {
                print_csv_rows(out, nlohmann::json::array(), columns, true);
            } else {
                widths = table_widths(page, columns);
                print_table_line(out, columns, widths);
            }
        }
        if (format == Format::csv) {
            print_csv_rows(out, page, columns, false);
        } else {
            print_table_rows(out, page, columns, widths);
        }
    });
    if (format == Format::json) {
        out << (started ? "\n]" : "[]") << '\n';
    } else if (!started && format == Format::table) {
        out << "(no rows)\n";
    } else if (!started) {
        out << '\n';  // csv of no rows: an empty header line, as for an empty list
    }
}

}  // namespace subctl::cli
