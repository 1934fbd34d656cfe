#include "cli/output.hpp"

#include <algorithm>
#include <vector>

#include <fmt/format.h>

#include "domain/errors.hpp"

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

std::string csv_field(const std::string& value) {
    if (value.find_first_of(",\"\r\n") == std::string::npos) return value;
    std::string quoted = "\"";
    for (char c : value) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    return quoted + "\"";
}

void print_table(std::ostream& out, const nlohmann::json& rows, const std::vector<std::string>& columns) {
    std::vector<std::size_t> widths;
    for (const auto& column : columns) widths.push_back(column.size());
    for (const auto& row : rows) {
        for (std::size_t i = 0; i < columns.size(); ++i) {
            widths[i] = std::max(widths[i], cell(row.value(columns[i], nlohmann::json())).size());
        }
    }
    auto line = [&](auto value_of) {
        std::string text;
        for (std::size_t i = 0; i < columns.size(); ++i) {
            text += fmt::format("{:<{}}", value_of(i), i + 1 == columns.size() ? 0 : widths[i] + 2);
        }
        while (!text.empty() && text.back() == ' ') text.pop_back();
        out << text << '\n';
    };
    line([&](std::size_t i) { return columns[i]; });
    for (const auto& row : rows) line([&](std::size_t i) { return cell(row.value(columns[i], nlohmann::json())); });
}

}  // namespace

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
    if (format == Format::json) {
        out << records.dump(2) << '\n';
        return;
    }
    const bool single = records.is_object();
    const nlohmann::json rows = single ? nlohmann::json::array({records}) : records;
    auto columns = columns_of(rows);
    put_first(columns, {"id", "status", "line", "source_offer", "target_offer", "eligible", "customer_id", "offer_id", "name"});
    if (format == Format::csv) {
        print_csv_rows(out, rows, columns, true);
        return;
    }
    if (single) {  // one record reads best as field/value lines
        nlohmann::json pairs = nlohmann::json::array();
        for (const auto& column : columns) pairs.push_back({{"field", column}, {"value", cell(records[column])}});
        print_table(out, pairs, {"field", "value"});
        return;
    }
    if (rows.empty()) {
        out << "(no rows)\n";
        return;
    }
    print_table(out, rows, columns);
}

}  // namespace subctl::cli
