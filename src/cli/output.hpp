#pragma once
// Rendering of command records as table, json or csv. Commands return records (a JSON
// object, or an array of objects); nothing here knows what they mean.
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace subctl::cli {

enum class Format { table, json, csv };

Format parse_format(const std::string& name);
void print_records(std::ostream& out, const nlohmann::json& records, Format format);
// CSV lines of rows (objects) in the given columns, with the header line first if asked:
// for output written page by page (a batch report).
void print_csv_rows(std::ostream& out, const nlohmann::json& rows, const std::vector<std::string>& columns,
                    bool with_header);

}  // namespace subctl::cli
