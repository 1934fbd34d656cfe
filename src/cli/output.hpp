#pragma once
// Rendering of command records as table, json or csv. Commands return records (a JSON
// object, or an array of objects); nothing here knows what they mean.
#include <ostream>
#include <string>

#include <nlohmann/json.hpp>

namespace subctl::cli {

enum class Format { table, json, csv };

Format parse_format(const std::string& name);
void print_records(std::ostream& out, const nlohmann::json& records, Format format);

}  // namespace subctl::cli
