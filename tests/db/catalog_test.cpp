// `subctl catalog apply` against the test database: the shipped catalog again changes
// nothing (one audit event, no changed fields), an invalid file is refused whole, naming
// the place or the entry.
#include <fstream>

#include <catch2/catch.hpp>

#include "db/support.hpp"

TEST_CASE("catalog apply of the shipped catalog again changes nothing", "[db][catalog]") {
    const auto events = [] {
        auto connection = test::connect();
        pqxx::work tx(connection);
        return tx.exec1("SELECT count(*) FROM core.audit_events WHERE operation = 'catalog_apply'")[0].as<long long>();
    };
    const auto before = events();
    const auto run = test::subctl({"-o", "json", "catalog", "apply"});
    INFO(run.err);
    REQUIRE(run.exit == 0);
    CHECK(run.json()["changed"] == false);
    CHECK(run.json()["offers"] == 7);
    CHECK(run.json()["upgrade_paths"] == 7);
    CHECK(events() == before + 1);  // every attempted operation has its event
}

TEST_CASE("catalog apply refuses an invalid file whole, naming the place or the entry", "[db][catalog]") {
    const auto catalog = [] {
        auto connection = test::connect();
        pqxx::work tx(connection);
        return tx.exec1("SELECT api.catalog()::text || (SELECT count(*) FROM core.audit_events)")[0].as<std::string>();
    };
    const auto before = catalog();
    const test::TempDir dir;

    const auto broken_toml = dir.path / "broken.toml";
    std::ofstream(broken_toml) << "[[services]]\nid = \"office365\"\nname = \n";
    const auto syntax = test::subctl({"catalog", "apply", broken_toml.string()});
    CHECK(syntax.exit == 65);
    CHECK_THAT(syntax.err, Catch::Contains(broken_toml.string() + ":3:8: "));

    // The shipped catalog plus one offer that is wrong in four ways.
    const auto invalid = dir.path / "invalid.toml";
    std::ofstream(invalid) << test::read_text(test::home() / "config" / "catalog" / "21vianet-office365.toml")
                           << "\n[[offers]]\nid = \"o365-broken\"\nname = \"Broken\"\nservice = \"office365\"\n"
                              "plans = [\"yammer-enterprise\"]\nbilling_cycles = [\"monthly\"]\nmin = 10\nmax = 5\n"
                              "upgrades_to = [\"o365-extra-file-storage\", \"o365-e9\"]\n";
    const auto content = test::subctl({"catalog", "apply", invalid.string()});
    CHECK(content.exit == 65);
    CHECK_THAT(content.err, Catch::Contains("invalid_catalog") &&
                                Catch::Contains("offer o365-broken: unknown service plan yammer-enterprise") &&
                                Catch::Contains("offer o365-broken: min and max must be whole numbers") &&
                                Catch::Contains("o365-broken -> o365-extra-file-storage involves an add-on") &&
                                Catch::Contains("offer o365-broken: upgrade path to unknown offer o365-e9"));

    const auto missing = test::subctl({"catalog", "apply", (dir.path / "nowhere.toml").string()});
    CHECK(missing.exit == 65);
    CHECK_THAT(missing.err, Catch::Contains("nowhere.toml"));
    CHECK(catalog() == before);
}
