#pragma once
// Input checks run before anything is sent to the database.
#include <cstddef>
#include <optional>
#include <string>

namespace subctl::cli {

// Input checks that fail with exit 65 and a line naming the value.
std::string require_uuid(const std::string& value, const std::string& what);
std::optional<std::string> optional_uuid(const std::optional<std::string>& value, const std::string& what);
long long require_quantity(const std::string& value, const std::string& what = "quantity");
std::optional<long long> optional_quantity(const std::optional<std::string>& value, const std::string& what = "quantity");
std::optional<long long> optional_version(const std::optional<std::string>& value);
std::string require_text(const std::string& value, const std::string& what, std::size_t max_length);
// Text sent to the database must be UTF-8: names the byte and where it is.
void require_utf8(const std::string& value, const std::string& what);
// An ISO 8601 date, or date and time with an optional zone (2026-11-01, 2026-11-01T08:00+08),
// checked against the calendar: the server's own complaint names no argument.
void require_timestamp(const std::string& value, const std::string& what);
// The help of an argument that names a subscription or batch: "WHAT: id or a unique prefix
// of N+ characters", N the one shortest prefix (core.id_prefix_min_length).
std::string id_or_prefix_help(const std::string& what);

}  // namespace subctl::cli
