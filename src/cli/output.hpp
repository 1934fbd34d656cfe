#pragma once
// Rendering of command records as table, json or csv. Commands return records (a JSON
// object, or an array of objects); nothing here knows what they mean.
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace subctl::cli {

enum class Format { table, json, csv };

Format parse_format(const std::string& name);
void print_records(std::ostream& out, const nlohmann::json& records, Format format);
// Records too many to hold at once: pages(consume) hands each page (an array of objects)
// to consume, in order. Printed as they come: the columns (and table widths) are those of
// the first page; the output is that of print_records for all the records together.
using RecordPages = std::function<void(const std::function<void(const nlohmann::json& page)>& consume)>;
void print_record_pages(std::ostream& out, const RecordPages& pages, Format format);
// A CSV field as subctl writes it (SPEC 7.1): one that starts with =, +, -, @, tab or
// carriage return gets a leading ' so that a spreadsheet shows it instead of running it.
std::string neutralise_formula(const std::string& field);
// CSV lines of rows (objects) in the given columns, with the header line first if asked:
// for output written page by page (a batch report). Every field goes through
// neutralise_formula.
void print_csv_rows(std::ostream& out, const nlohmann::json& rows, const std::vector<std::string>& columns,
                    bool with_header);

}  // namespace subctl::cli
