// SPEC 7.1 "Trust": every hostile input ends with its exit code and exactly one
// `subctl: CODE: sentence` line, never PostgreSQL's own text, and stores nothing.
#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <regex>

#include <catch2/catch.hpp>

#include "db/support.hpp"

namespace {

// Everything a command could have stored, in one value.
std::string stored_state() {
    return test::scalar<std::string>(
        "SELECT md5(string_agg(t, '|' ORDER BY t)) FROM ("
        " SELECT to_jsonb(p)::text FROM core.partners p UNION ALL SELECT to_jsonb(c)::text FROM core.customers c"
        " UNION ALL SELECT to_jsonb(r)::text FROM core.relationships r"
        " UNION ALL SELECT to_jsonb(s)::text FROM core.subscriptions s"
        " UNION ALL SELECT to_jsonb(q)::text FROM core.request_ids q"
        " UNION ALL SELECT to_jsonb(b)::text FROM core.batches b"
        " UNION ALL SELECT to_jsonb(l)::text FROM core.partner_logins l) x (t)");
}

// A new login holding one of the project's roles; the URL of the test database for it.
std::string login_url(const std::string& role, const std::string& name) {
    auto connection = test::connect();
    pqxx::work tx(connection);
    tx.exec0("CREATE ROLE " + tx.quote_name(name) + " LOGIN IN ROLE " + tx.quote_name(role));
    tx.commit();
    return std::string(std::getenv("DATABASE_URL")) + "&user=" + name;
}

// The one-line contract of SPEC 7.1 for a failed run.
void check_one_clean_line(const test::Run& run) {
    INFO("stderr: " << run.err);
    REQUIRE_FALSE(run.err.empty());
    CHECK(run.err.back() == '\n');
    CHECK(std::count(run.err.begin(), run.err.end(), '\n') == 1);
    const auto line = run.err.substr(0, run.err.find('\n'));
    CHECK(std::regex_match(line, std::regex(R"(^subctl: [a-z_]+: .+$)")));
    for (const char* raw : {"ERROR:", "FATAL:", "violates", "invalid input syntax", "datestyle", "byte sequence",
                            "DETAIL", "HINT:", "check_", "hint:"}) {
        INFO("fragment: " << raw);
        CHECK(run.err.find(raw) == std::string::npos);
    }
    if (run.exit != 70) CHECK(run.err.find("SQLSTATE") == std::string::npos);
}

// A database nobody migrated, dropped when it goes out of scope (also when a check fails).
struct UnmigratedDatabase {
    std::string name = test::unique("unmigrated");
    UnmigratedDatabase() { run("CREATE DATABASE "); }
    ~UnmigratedDatabase() { run("DROP DATABASE IF EXISTS "); }
    UnmigratedDatabase(const UnmigratedDatabase&) = delete;
    UnmigratedDatabase& operator=(const UnmigratedDatabase&) = delete;
    void run(const std::string& command) const {
        auto connection = test::connect();
        pqxx::nontransaction tx(connection);
        tx.exec0(command + tx.quote_name(name));
    }
};

struct Hostile {
    std::string description;
    std::vector<std::string> args;
    int exit;
    std::string code;  // the CODE of the line
    std::map<std::string, std::string> env = {};
};

}  // namespace

TEST_CASE("hostile input: exit code, one subctl line, no PostgreSQL text, nothing stored", "[db][cli][trust]") {
    const auto partner = test::new_partner();
    const auto customer = test::new_customer(partner);
    const auto subscription = test::new_subscription(partner, customer, "o365-business");
    const auto reporter = login_url("subctl_reporter", test::unique("reporter"));
    const auto operator_login = test::unique("operator");
    const auto operator_url = login_url("subctl_operator", operator_login);
    const auto base = std::string(std::getenv("DATABASE_URL"));

    const UnmigratedDatabase unmigrated;
    const test::TempFile wrong_type("[database]\nurl = 5\n");
    const test::TempFile wrong_table("operator = \"x\"\n");
    const test::TempFile batch_file("action,subscription_id,target_offer,quantity,request_id\nsuspend," + subscription +
                                    ",,,ok\nsuspend," + subscription + ",,,bad\xff\n");
    const std::string long_id(201, 'x');

    const std::vector<Hostile> cases{
        {"a reporter runs an operation", {"--db", reporter, "upgrade", subscription, "--to", "o365-e3"}, 77,
         "permission_denied"},
        {"an operator runs migrate", {"--db", operator_url, "migrate"}, 77, "permission_denied"},
        {"an operator runs an owner command", {"--db", operator_url, "partner", "add", test::unique("p"), "--name", "X"},
         77, "permission_denied"},
        {"an unmigrated database", {"--db", base + "&dbname=" + unmigrated.name, "customer", "list"}, 78,
         "schema_not_migrated"},
        {"invalid UTF-8 in a name", {"customer", "add", "--name", "\xff"}, 65, "invalid_argument"},
        {"invalid UTF-8 in a service", {"relationship", "request", customer, "--service", "x\xc3"}, 65,
         "invalid_argument"},
        {"invalid UTF-8 in the acting partner", {"--partner", "\xfe", "customer", "list"}, 65, "invalid_argument"},
        {"invalid UTF-8 in SUBCTL_PARTNER", {"customer", "list"}, 78, "invalid_environment",
         {{"SUBCTL_PARTNER", "\xfe"}}},
        {"a domain with a blank", {"customer", "add", "--name", test::unique("C"), "--domain", "BAD DOMAIN"}, 65,
         "invalid_argument"},
        {"a partner id against its check constraint", {"partner", "add", "Bad Partner", "--name", "X"}, 65,
         "invalid_argument"},
        {"a request id with a terminal escape", {"upgrade", subscription, "--to", "o365-e3", "--request-id", "a\x1b[2Jb"},
         65, "invalid_argument"},
        {"a search text longer than any name", {"customer", "list", "--search", std::string(201, 'x')}, 65,
         "invalid_argument"},
        {"a 201-character request id", {"upgrade", subscription, "--to", "o365-e3", "--request-id", long_id}, 65,
         "invalid_argument"},
        {"a version beyond 64 bits", {"upgrade", subscription, "--to", "o365-e3", "--if-version", "99999999999999999999"},
         65, "invalid_argument"},
        {"a quantity beyond 64 bits", {"licenses", "add", subscription, "99999999999999999999"}, 65, "invalid_argument"},
        {"a limit that is no number", {"audit", "--limit", "1e9"}, 65, "invalid_argument"},
        {"a report filter value of the wrong type", {"report", "show", "licenses", "--where", "customers>=abc"}, 65,
         "invalid_value"},
        {"a time that is no time", {"audit", "--since", "yesterday-ish"}, 65, "invalid_argument"},
        {"a date out of range", {"audit", "--until", "2026-13-45"}, 65, "invalid_argument"},
        {"an expiry on February 30", {"relationship", "accept", customer, "--expires", "2026-02-30"}, 65,
         "invalid_argument"},
        {"a name with a newline and a terminal escape", {"customer", "add", "--name", "Evil\x1b[31m\nName"}, 65,
         "invalid_argument"},
        {"a time with a newline", {"audit", "--since", "2026-11-01\nDROP"}, 65, "invalid_argument"},
        {"a batch file with invalid UTF-8", {"batch", "run", batch_file.path}, 65, "invalid_batch_file"},
        {"a login the server does not know", {"--db", base + "&user=" + test::unique("nobody"), "customer", "list"}, 78,
         "login_rejected"},
        {"a database that does not exist", {"--db", base + "&dbname=" + test::unique("nodb"), "customer", "list"}, 78,
         "database_not_found"},
        {"a --db that is no URL", {"--db", "not a url", "customer", "list"}, 78, "invalid_database_url"},
        {"an unreachable server", {"--db", "postgresql:///x?host=/nonexistent", "customer", "list"}, 69,
         "database_unavailable"},
        {"a config value of the wrong type (read even when --db wins)", {"--config", wrong_type.path, "customer", "list"},
         78, "config_invalid"},
        {"a config table of the wrong type", {"customer", "list"}, 78, "config_invalid",
         {{"SUBCTL_CONFIG", wrong_table.path}}},
        {"a config file that is a folder", {"--config", "/tmp", "customer", "list"}, 78, "config_unreadable"},
        {"SUBCTL_CONFIG naming a folder", {"customer", "list"}, 78, "config_unreadable", {{"SUBCTL_CONFIG", "/"}}},
        {"an unknown command", {"frobnicate"}, 64, "usage"},
    };
    for (const auto& hostile : cases) {
        DYNAMIC_SECTION(hostile.description) {
            auto env = hostile.env;
            env.emplace("SUBCTL_PARTNER", partner);
            const auto before = stored_state();
            const auto run = test::subctl(hostile.args, env);
            INFO("stdout: " << run.out);
            CHECK(run.exit == hostile.exit);
            check_one_clean_line(run);
            if (!hostile.code.empty()) CHECK_THAT(run.err, Catch::StartsWith("subctl: " + hostile.code + ": "));
            CHECK(stored_state() == before);
        }
    }
}

TEST_CASE("errors name the argument, the login or the file at fault", "[db][cli][trust]") {
    const auto partner = test::new_partner();
    const std::map<std::string, std::string> env{{"SUBCTL_PARTNER", partner}};

    const auto reporter_login = test::unique("reporter");
    const auto reporter = login_url("subctl_reporter", reporter_login);
    const auto refused = test::subctl({"--db", reporter, "customer", "add", "--name", "X"}, env);
    CHECK(refused.exit == 77);
    CHECK_THAT(refused.err, Catch::Contains("login " + reporter_login + " may not run this command"));

    const auto bytes = test::subctl({"customer", "add", "--name", "ok\xff"}, env);
    CHECK_THAT(bytes.err, Catch::Contains("--name") && Catch::Contains("0xff"));
    const auto filter = test::subctl({"report", "show", "licenses", "--where", "customers>=abc"}, env);
    CHECK_THAT(filter.err, Catch::Contains("'abc'") && Catch::Contains("--where customers>=abc"));
    const auto since = test::subctl({"audit", "--since", "2026-11-31"}, env);
    CHECK_THAT(since.err, Catch::Contains("--since '2026-11-31'"));
    CHECK(test::subctl({"-o", "json", "audit", "--since", "2026-11-01T08:00+08"}, env).exit == 0);
    CHECK(test::subctl({"-o", "json", "audit", "--since", "2026-11-01", "--until", "2026-11-02 08:00:00Z"}, env).exit == 0);

    const test::TempFile wrong_type("# subctl\n[database]\nurl = 5\n");
    const auto config = test::subctl({"--config", wrong_type.path, "customer", "list"}, env);
    CHECK_THAT(config.err, Catch::Contains(wrong_type.path + ":3:") && Catch::Contains("database.url") &&
                               Catch::Contains("must be a string"));

    const auto unmigrated = test::subctl({"--db", std::string(std::getenv("DATABASE_URL")) + "&dbname=postgres",
                                          "upgrades", test::nil_uuid},
                                         env);
    CHECK(unmigrated.exit == 78);
    CHECK_THAT(unmigrated.err, Catch::Contains("run `subctl migrate`"));

    // -o json: the error body on stdout is an error object with its next step; stderr still one line
    const auto json = test::subctl({"-o", "json", "--db", "postgresql:///x?host=/nonexistent", "customer", "list"}, env);
    CHECK(json.exit == 69);
    CHECK(json.json().at("error").at("code") == "database_unavailable");
    CHECK(json.json().at("error").at("description").is_string());
    CHECK(json.json().at("error").at("next_step").is_string());
    CHECK(json.json().at("exit_code") == 69);
    check_one_clean_line(json);
}

TEST_CASE("csv output and batch reports neutralise formulas", "[db][cli][trust][csv]") {
    const auto partner = test::new_partner();
    const std::map<std::string, std::string> env{{"SUBCTL_PARTNER", partner}};
    const auto name = "=HYPERLINK(\"http://evil\",\"x\") " + test::unique("c");
    REQUIRE(test::subctl({"customer", "add", "--name", name}, env).exit == 0);
    const auto listed = test::subctl({"-o", "csv", "customer", "list"}, env);
    REQUIRE(listed.exit == 0);
    CHECK_THAT(listed.out, Catch::Contains("\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\") "));
    CHECK_THAT(listed.out, !Catch::Contains(",=HYPERLINK") && !Catch::Contains("\n=HYPERLINK"));

    const auto customer = test::new_customer(partner);
    const auto subscription = test::new_subscription(partner, customer, "o365-business");
    const test::TempFile batch("action,subscription_id,target_offer,quantity,request_id\nadd_licenses," + subscription +
                               ",,1,@evil-" + test::unique("r") + "\n");
    const test::TempFile report("");
    const auto run = test::subctl({"batch", "run", batch.path, "--report", report.path, "-q"}, env);
    INFO(run.err);
    REQUIRE(run.exit == 0);
    std::ifstream in(report.path);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK_THAT(text, Catch::Contains(",'@evil-"));
}
