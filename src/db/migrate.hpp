#pragma once
// The migration runner: numbered files in migrations/ applied once each, in order, with
// their checksum recorded; then every file of sql/ re-applied. All in one transaction
// under an advisory lock, so concurrent runs serialise and a failure changes nothing.
#include <filesystem>

#include <nlohmann/json.hpp>

#include "db/database.hpp"

namespace subctl::db {

nlohmann::json migrate(Database& database, const std::filesystem::path& migrations_dir,
                       const std::filesystem::path& sql_dir);

}  // namespace subctl::db
