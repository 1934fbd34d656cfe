#include "db/migrate.hpp"
#include "shared/errors.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <vector>

#include <fmt/format.h>

namespace subctl::db {

namespace {

constexpr Statement lock{"migrate_lock",
                         "SELECT pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('subctl.migrate'))"};
constexpr const char* create_tracking =
    "CREATE SCHEMA IF NOT EXISTS core; "
    "CREATE TABLE IF NOT EXISTS core.schema_migrations ("
    " version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now())";
constexpr Statement applied{"migrate_applied", "SELECT version, name, checksum FROM core.schema_migrations"};
constexpr Statement checksum{"migrate_checksum", "SELECT encode(sha256(convert_to($1, 'UTF8')), 'hex')"};
constexpr Statement record{"migrate_record",
                           "INSERT INTO core.schema_migrations (version, name, checksum) VALUES ($1, $2, $3)"};

struct SqlFile {
    int version = 0;
    std::string name;
    std::string text;
};

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(Exit::config, "file_unreadable", "cannot read " + path.string());
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::vector<SqlFile> sql_files(const std::filesystem::path& dir, bool numbered) {
    if (!std::filesystem::is_directory(dir)) {
        throw Error(Exit::config, "directory_missing", "no such directory: " + dir.string(),
                    "set SUBCTL_HOME to the folder holding migrations/ and sql/");
    }
    static const std::regex migration_name(R"(^([0-9]{3,})_[a-z0-9_]+\.sql$)");
    std::vector<SqlFile> files;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        const auto name = entry.path().filename().string();
        if (entry.path().extension() != ".sql") continue;
        std::smatch match;
        if (numbered && !std::regex_match(name, match, migration_name)) {
            throw Error(Exit::config, "migration_misnamed",
                        fmt::format("{}: a migration is named NNN_words.sql", entry.path().string()));
        }
        files.push_back({numbered ? std::stoi(match[1]) : 0, name, read_file(entry.path())});
    }
    std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    for (std::size_t i = 1; numbered && i < files.size(); ++i) {
        if (files[i].version == files[i - 1].version) {
            throw Error(Exit::config, "migration_duplicate",
                        fmt::format("migrations {} and {} share number {}", files[i - 1].name, files[i].name,
                                    files[i].version));
        }
    }
    return files;
}

}  // namespace

nlohmann::json migrate(Database& database, const std::filesystem::path& migrations_dir,
                       const std::filesystem::path& sql_dir) {
    const auto migrations = sql_files(migrations_dir, true);
    const auto definitions = sql_files(sql_dir, false);
    nlohmann::json result;
    database.transact([&](pqxx::work& tx) {
        result = {{"status", "succeeded"}, {"applied", nlohmann::json::array()}, {"already_applied", 0}};
        // First, before any name is resolved: every name in migrations/ and sql/ resolves
        // in pg_catalog or is qualified, so nothing a login created in a schema of the
        // migrating session's search_path (a function or operator in public, say) runs as
        // the owner or is bound into a function body or view.
        tx.exec0("SET LOCAL search_path = pg_catalog, pg_temp");
        database.exec(tx, lock);
        tx.exec(create_tracking);
        std::map<int, std::pair<std::string, std::string>> done;
        for (const auto& row : database.exec(tx, applied)) {
            done[row[0].as<int>()] = {row[1].as<std::string>(), row[2].as<std::string>()};
        }
        for (const auto& file : migrations) {
            const auto sum = database.exec(tx, checksum, file.text)[0][0].as<std::string>();
            auto found = done.find(file.version);
            if (found != done.end()) {
                if (found->second.second != sum) {
                    throw Error(Exit::config, "migration_edited",
                                fmt::format("migration {} was edited after it was applied (checksum {} in the "
                                            "database, {} on disk)",
                                            file.name, found->second.second.substr(0, 12), sum.substr(0, 12)),
                                "landed migrations are never edited: add a new numbered migration instead");
                }
                result["already_applied"] = result["already_applied"].get<int>() + 1;
                done.erase(found);
                continue;
            }
            tx.exec(file.text, file.name);
            database.exec(tx, record, file.version, file.name, sum);
            result["applied"].push_back(file.name);
        }
        if (!done.empty()) {
            throw Error(Exit::config, "migration_missing",
                        fmt::format("migration {} is applied in the database but missing from {}",
                                    done.begin()->second.first, migrations_dir.string()));
        }
        for (const auto& file : definitions) tx.exec(file.text, file.name);
        result["sql_files"] = definitions.size();
        return Outcome::commit;
    });
    return result;
}

}  // namespace subctl::db
