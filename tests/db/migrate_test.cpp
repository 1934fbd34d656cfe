// Setting a database up: `subctl migrate` (idempotent, checksummed, locked) on throwaway
// databases of the test cluster.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "db/support.hpp"

namespace fs = std::filesystem;

namespace {

std::size_t sql_files_in(const fs::path& dir) {
    std::size_t n = 0;
    for (const auto& entry : fs::directory_iterator(dir)) n += entry.path().extension() == ".sql";
    return n;
}

// A database of its own on the test cluster, dropped at the end of the test.
struct ScratchDatabase {
    std::string name = "subctl_scratch_" + test::unique("db").substr(3);
    std::string url;

    ScratchDatabase() {
        auto connection = test::connect();
        pqxx::nontransaction tx(connection);
        tx.exec("CREATE DATABASE " + tx.quote_name(name));
        url = fmt::format("postgresql:///{}?host={}&port={}&user={}", name, connection.hostname(), connection.port(),
                          connection.username());
    }
    ~ScratchDatabase() {
        auto connection = test::connect();
        pqxx::nontransaction tx(connection);
        tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(name) + " WITH (FORCE)");
    }
    long long scalar(const std::string& sql) const {
        pqxx::connection connection(url);
        pqxx::work tx(connection);
        return tx.exec(sql)[0][0].as<long long>();
    }
};

test::Run migrate(const std::string& url, const std::map<std::string, std::string>& env = {}) {
    return test::subctl({"--db", url, "-o", "json", "migrate"}, env);
}

}  // namespace

TEST_CASE("migrate on an empty database applies every migration; a second run only re-applies sql/", "[db][migrate]") {
    const ScratchDatabase db;
    const auto migrations = sql_files_in(test::home() / "migrations");
    const auto first = migrate(db.url);
    INFO(first.err);
    REQUIRE(first.exit == 0);
    CHECK(first.json()["applied"].size() == migrations);
    CHECK(first.json()["already_applied"] == 0);

    // Data written between the runs must survive the re-applied sql/.
    const auto partner = test::unique("p");
    REQUIRE(test::subctl({"--db", db.url, "catalog", "apply"}).exit == 0);
    REQUIRE(test::subctl({"--db", db.url, "partner", "add", partner, "--name", "Survivor"}).exit == 0);
    const auto customer = test::subctl({"--db", db.url, "--partner", partner, "-o", "json", "customer", "add",
                                        "--name", "Kept"});
    REQUIRE(customer.exit == 0);
    const auto events = db.scalar("SELECT count(*) FROM core.audit_events");

    const auto second = migrate(db.url);
    INFO(second.err);
    REQUIRE(second.exit == 0);
    CHECK(second.json()["applied"].empty());
    CHECK(second.json()["already_applied"] == migrations);
    CHECK(second.json()["sql_files"] == sql_files_in(test::home() / "sql"));
    CHECK(db.scalar("SELECT count(*) FROM core.schema_migrations") == static_cast<long long>(migrations));
    CHECK(db.scalar("SELECT count(*) FROM core.offers WHERE NOT retired") == 7);
    CHECK(db.scalar("SELECT count(*) FROM core.audit_events") == events);
    const auto listed = test::subctl({"--db", db.url, "--partner", partner, "-o", "json", "customer", "list"}).json();
    REQUIRE(listed.size() == 1);
    CHECK(listed[0]["id"] == customer.json()["id"]);
}

TEST_CASE("migrate refuses a migration that was edited after it was applied", "[db][migrate]") {
    const ScratchDatabase db;
    const test::TempDir copy;
    for (const char* dir : {"migrations", "sql"}) fs::copy(test::home() / dir, copy.path / dir, fs::copy_options::recursive);
    const std::map<std::string, std::string> env{{"SUBCTL_HOME", copy.path.string()}};
    REQUIRE(migrate(db.url, env).exit == 0);
    const auto checksums = [&] {
        pqxx::connection connection(db.url);
        pqxx::work tx(connection);
        return tx.exec1("SELECT string_agg(name || ':' || checksum, ',' ORDER BY version) FROM core.schema_migrations")[0]
            .as<std::string>();
    };
    const auto recorded = checksums();

    fs::path edited;
    for (const auto& entry : fs::directory_iterator(copy.path / "migrations")) {
        if (edited.empty() || entry.path() < edited) edited = entry.path();
    }
    std::ofstream(edited, std::ios::app) << "\n-- an innocent-looking edit\n";
    const auto refused = migrate(db.url, env);
    CHECK(refused.exit == 78);
    CHECK_THAT(refused.err, Catch::Contains("migration_edited") && Catch::Contains(edited.filename().string()));
    CHECK(checksums() == recorded);

    // The edit undone, the same tree migrates again.
    const auto text = test::read_text(edited);
    std::ofstream(edited, std::ios::trunc) << text.substr(0, text.size() - std::string("\n-- an innocent-looking edit\n").size());
    CHECK(migrate(db.url, env).exit == 0);
}

TEST_CASE("concurrent migrate runs on a fresh database all succeed and apply each migration once", "[db][migrate]") {
    const ScratchDatabase db;
    const test::TempDir out;
    const auto migrations = sql_files_in(test::home() / "migrations");
    const char* binary = std::getenv("SUBCTL_BINARY");
    constexpr int runs = 4;
    std::string script;
    for (int i = 0; i < runs; ++i) {
        script += fmt::format("('{}' --db '{}' -o json migrate >'{}/{}.json' 2>&1; echo $? >'{}/{}.exit') & ",
                              binary != nullptr ? binary : SUBCTL_BINARY, db.url, out.path.string(), i,
                              out.path.string(), i);
    }
    REQUIRE(std::system(("bash -c \"" + script + "wait\"").c_str()) == 0);

    std::multiset<std::string> applied;
    int applying_runs = 0;
    for (int i = 0; i < runs; ++i) {
        const auto output = test::read_text(out.path / fmt::format("{}.json", i));
        INFO("run " << i << ": " << output);
        CHECK(test::read_text(out.path / fmt::format("{}.exit", i)) == "0\n");
        const auto result = nlohmann::json::parse(output, nullptr, false);
        REQUIRE_FALSE(result.is_discarded());
        for (const auto& name : result["applied"]) applied.insert(name.get<std::string>());
        applying_runs += !result["applied"].empty();
        if (result["applied"].empty()) CHECK(result["already_applied"] == migrations);
    }
    CHECK(applying_runs == 1);
    CHECK(applied.size() == migrations);
    CHECK(std::set<std::string>(applied.begin(), applied.end()).size() == migrations);
    CHECK(db.scalar("SELECT count(*) FROM core.schema_migrations") == static_cast<long long>(migrations));
}
