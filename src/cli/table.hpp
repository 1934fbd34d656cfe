#pragma once
// The table format of output.cpp: cells, columns and widths, fitted for a terminal
// (table.cpp holds each listing's columns in reading order).
#include <cstddef>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/output.hpp"

namespace subctl::cli {

struct Listing;

// A table's layout for its first rows: the columns, each one's width, and the listing.
struct Table {
    std::vector<std::string> columns;
    std::vector<std::size_t> widths;
    const Listing* listing = nullptr;  // table.cpp
    bool narrow = false;
    bool cut = false;  // every cell is shortened to its column's width
    // narrowed: the ids shown by a prefix, each with the length of its prefix (the shortest,
    // or longer where ids shown together would otherwise share it)
    std::map<std::string, std::size_t> prefix_lengths;
};

Table table_for(const nlohmann::json& rows, const TableLayout& layout);
void print_table_header(std::ostream& out, const Table& table);
void print_table_rows(std::ostream& out, const nlohmann::json& rows, const Table& table);

// output.cpp: a cell as text (strings as they are, null as empty, lists joined with ","
// and error lists by their codes), and the columns of records, the identifying ones first.
bool is_error_list(const nlohmann::json& value);
std::string cell(const nlohmann::json& value);
std::vector<std::string> record_columns(const nlohmann::json& rows);

}  // namespace subctl::cli
