#pragma once
// A batch file's lines streamed by COPY into pg_temp.batch_lines (made by
// db::statements::batch_begin in the same transaction), read in fixed-size blocks and
// never held in memory whole, and hashed on the way.
#include <string>

#include <nlohmann/json.hpp>
#include <pqxx/transaction>

namespace subctl::db {

struct StagedFile {
    std::string sha256;
    nlohmann::json copy_error;  // null, or the line that is not UTF-8 text: nothing is applied
};

StagedFile stage_file(pqxx::work& tx, const std::string& path);

}  // namespace subctl::db
