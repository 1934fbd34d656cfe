// subctl batch run | list | show, end to end (SPEC 4): a malformed file is refused whole
// (exit 65, every error by line and column, nothing applied); rows are applied in file
// order with one outcome each (report CSV, batch show); a re-run, a dry run and a run
// killed with SIGKILL never apply a row twice.
#include <algorithm>
#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "db/support.hpp"

namespace {

const std::string header = "action,subscription_id,target_offer,quantity,request_id\n";

std::vector<std::string> lines_of(const std::string& path) {
    std::ifstream in(path);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

long long batches_of(const std::string& partner) {
    return test::scalar("SELECT count(*) FROM core.batches WHERE partner_id = $1", partner);
}

}  // namespace

TEST_CASE("batch run refuses a malformed file whole: exit 65, the line, column and value, nothing applied",
          "[db][batch]") {
    const auto partner = test::new_partner();
    const auto customer = test::new_customer(partner);
    const auto subscription = test::new_subscription(partner, customer, "o365-business");
    struct Case {
        std::string what;
        std::string bytes;
        long long line;
        std::string column;  // empty: the whole line
        std::string value;
    };
    const std::string ok = "suspend," + subscription + ",,,\n";
    const std::vector<Case> cases{
        {"wrong header", "action,subscription_id,quantity\n" + ok, 1, "", "action,subscription_id,quantity"},
        {"wrong column count", header + ok + "suspend," + subscription + ",,\n", 3, "", "suspend," + subscription + ",,"},
        {"bad quoting", header + ok + "\"upgrade," + subscription + ",o365-e3,,\n", 3, "", "\"upgrade,"},
        {"non-UUID id", header + "suspend,12345,,,\n", 2, "subscription_id", "12345"},
        {"non-numeric quantity", header + "add_licenses," + subscription + ",,ten,\n", 2, "quantity", "ten"},
        {"negative quantity", header + "add_licenses," + subscription + ",,-3,\n", 2, "quantity", "-3"},
        {"overflowing quantity", header + "add_licenses," + subscription + ",,2147483648,\n", 2, "quantity", "2147483648"},
        {"unknown action", header + ok + "upgrde," + subscription + ",o365-e3,,\n", 3, "action", "upgrde"},
        {"missing target offer", header + "upgrade," + subscription + ",,,\n", 2, "target_offer", ""},
        {"forbidden target offer", header + "cancel," + subscription + ",o365-e3,,\n", 2, "target_offer", "o365-e3"},
        {"missing quantity", header + "remove_licenses," + subscription + ",,,\n", 2, "quantity", ""},
        {"duplicate request id", header + "suspend," + subscription + ",,,r1\nreactivate," + subscription + ",,,r1\n", 3,
         "request_id", "r1"},
        {"invalid UTF-8", header + ok + "cancel," + subscription + ",,,caf\xe9\n", 3, "", ""},
    };
    for (const auto& c : cases) {
        DYNAMIC_SECTION(c.what) {
            test::TempFile file(c.bytes);
            const auto run = test::subctl({"-o", "json", "--partner", partner, "batch", "run", file.path});
            INFO(run.out << run.err);
            CHECK(run.exit == 65);
            CHECK_THAT(run.err, Catch::StartsWith("subctl: invalid_batch_file: " + file.path));
            CHECK_THAT(run.err, Catch::Contains("line " + std::to_string(c.line)));
            bool named = false;
            for (const auto& error : run.json()) {
                named = named || (error["line"] == c.line &&
                                  (c.column.empty() ? error["column"].is_null() : error["column"] == c.column) &&
                                  (c.value.empty() || error["value"].get<std::string>().rfind(c.value, 0) == 0));
            }
            CHECK(named);
            CHECK(batches_of(partner) == 0);
            CHECK(test::scalar("SELECT version FROM core.subscriptions WHERE id = $1", subscription) == 1);
        }
    }

    SECTION("every error of the file is reported together") {
        test::TempFile file(header + "suspend,x,,,\nadd_licenses," + subscription + ",,0,\nfly," + subscription + ",,,\n" + ok);
        const auto run = test::subctl({"-o", "json", "--partner", partner, "batch", "run", file.path});
        CHECK(run.exit == 65);
        CHECK(run.json().size() == 3);
        CHECK_THAT(run.err, Catch::Contains("3 error(s), nothing applied"));
        CHECK(test::scalar<std::string>("SELECT status FROM core.subscriptions WHERE id = $1", subscription) == "active");
    }
}

TEST_CASE("batch run applies mixed actions in file order with one outcome per row; a re-run applies nothing twice",
          "[db][batch]") {
    const auto partner = test::new_partner();
    const auto customer_a = test::new_customer(partner);
    const auto customer_b = test::new_customer(partner);
    const auto business = test::new_subscription(partner, customer_a, "o365-business");
    const auto e3 = test::new_subscription(partner, customer_b, "o365-e3");
    const auto proplus = test::new_subscription(partner, customer_b, "o365-proplus");
    test::TempFile file(header +
                   "upgrade," + business + ",o365-business-premium,12,\n"  // 2: applied
                   "upgrade," + business + ",o365-e3,,\n"                  // 3: sees line 2: not active
                   "add_licenses," + e3 + ",,5,\n"                          // 4
                   "remove_licenses," + e3 + ",,2,mine-" + partner + "\n"  // 5: sees line 4 (15 - 2)
                   "suspend," + proplus + ",,,\n"                           // 6
                   "reactivate," + proplus + ",,,\n"                        // 7: sees line 6
                   "cancel," + test::nil_uuid + ",,,\n");                         // 8: not found
    test::TempFile report("");
    const auto run = test::subctl({"-o", "json", "--partner", partner, "batch", "run", file.path, "--report", report.path,
                                   "--chunk-size", "3"});
    INFO(run.out << run.err);
    REQUIRE(run.exit == 1);
    CHECK_THAT(run.err, Catch::Contains("2 of 7 row(s) rejected"));
    const auto summary = run.json();
    CHECK(summary["applied"] == 5);
    CHECK(summary["rejected"] == 2);
    CHECK(summary["rows"] == 7);
    const auto batch_id = summary["id"].get<std::string>();
    CHECK(batch_id.size() == 64);  // sha256 of the file

    const auto target = test::scalar<std::string>("SELECT upgraded_to_subscription_id::text FROM core.subscriptions WHERE id = $1",
                                            business);
    CHECK(test::scalar("SELECT quantity FROM core.subscriptions WHERE id = $1", target) == 12);
    CHECK(test::scalar("SELECT quantity FROM core.subscriptions WHERE id = $1", e3) == 13);
    CHECK(test::scalar<std::string>("SELECT status FROM core.subscriptions WHERE id = $1", proplus) == "active");

    const auto lines = lines_of(report.path);
    REQUIRE(lines.size() == 8);
    CHECK(lines[0] == "line,request_id,action,subscription_id,status,error_codes,new_subscription_id,errors");
    CHECK(lines[1] == "2," + batch_id + ":2,upgrade," + business + ",applied,," + target + ",");
    // the error objects whole, as JSON: the description and next step the single command gives
    CHECK(lines[2].rfind("3," + batch_id + ":3,upgrade," + business +
                             ",rejected,\"subscription_status_not_active,conflicting_service_types\",,\"[{\"\"code\"\":\"\"subscription_status_not_active\"\"",
                         0) == 0);
    CHECK_THAT(lines[2], Catch::Contains("was replaced by its upgrade " + target) &&
                             Catch::Contains("next_step\"\":\"\"work on the subscription that replaced it: subctl subscription show " + target));
    CHECK(lines[4] == "5,mine-" + partner + ",remove_licenses," + e3 + ",applied,,,");
    CHECK(lines[7] == "8," + batch_id + ":8,cancel," + test::nil_uuid +
                          ",rejected,subscription_not_found,,\"[{\"\"code\"\":\"\"subscription_not_found\"\",\"\"description\"\":"
                          "\"\"Subscription " + test::nil_uuid + " does not exist.\"\",\"\"details\"\":{\"\"subscription_id\"\":\"\"" +
                          test::nil_uuid + "\"\"},\"\"next_step\"\":\"\"find the subscription: subctl subscription list --customer CUSTOMER\"\"}]\"");
    CHECK(test::scalar("SELECT count(*) FROM core.audit_events WHERE batch_id = $1 AND partner_id = $2 AND source = 'batch' "
                 "AND outcome = 'rejected'",
                 batch_id, partner) == 2);

    SECTION("a re-run reports what was applied as already applied and changes nothing") {
        const auto again = test::subctl({"-o", "json", "--partner", partner, "batch", "run", file.path});
        CHECK(again.exit == 1);
        CHECK(again.json()["already_applied"] == 5);
        CHECK(again.json()["rejected"] == 2);
        CHECK(again.json()["runs"] == 2);
        CHECK(test::scalar("SELECT quantity FROM core.subscriptions WHERE id = $1", e3) == 13);
        CHECK(test::scalar("SELECT count(*) FROM core.subscriptions WHERE upgraded_from_subscription_id = $1", business) == 1);
    }
    SECTION("batch list and batch show") {
        const auto list = test::subctl({"-o", "json", "--partner", partner, "batch", "list"});
        REQUIRE(list.exit == 0);
        REQUIRE(list.json().size() == 1);
        CHECK(list.json()[0]["id"] == batch_id);
        CHECK(list.json()[0]["applied"] == 5);
        CHECK_FALSE(list.json()[0]["last_run_seconds"].is_null());

        const auto show = test::subctl({"-o", "csv", "--partner", partner, "batch", "show", batch_id.substr(0, 10)});
        CHECK(show.exit == 0);
        CHECK(std::count(show.out.begin(), show.out.end(), '\n') == 8);
        const auto rejected = test::subctl({"-o", "json", "--partner", partner, "batch", "show", batch_id, "--status",
                                            "rejected"});
        CHECK(rejected.json().size() == 2);
        CHECK(rejected.json()[1]["errors"][0]["next_step"] ==
              "find the subscription: subctl subscription list --customer CUSTOMER");
        // a table: the codes in the rows, each error's description and next step below, by line
        const auto table = test::subctl({"--partner", partner, "batch", "show", batch_id, "--status", "rejected"});
        CHECK_THAT(table.out, Catch::Contains("subscription_not_found (8): Subscription " + test::nil_uuid + " does not exist.") &&
                                  Catch::Contains("next step: find the subscription: subctl subscription list"));
        const auto unknown = test::subctl({"--partner", partner, "batch", "show", "no-such-batch"});
        CHECK(unknown.exit == 1);
        CHECK_THAT(unknown.err, Catch::Contains("batch_not_found"));
        const auto other_partner = test::subctl({"--partner", test::new_partner(), "batch", "show", batch_id});
        CHECK(other_partner.exit == 1);
    }
}

TEST_CASE("batch run --dry-run evaluates every row and applies nothing", "[db][batch]") {
    const auto partner = test::new_partner();
    const auto customer = test::new_customer(partner);
    const auto business = test::new_subscription(partner, customer, "o365-business");
    // (the commands above stored the request ids they were sent with)
    const auto request_ids = test::scalar("SELECT count(*) FROM core.request_ids WHERE partner_id = $1", partner);
    test::TempFile file(header + "upgrade," + business + ",o365-business-premium,,\nadd_licenses," + business + ",,400,\n");
    test::TempFile report("");
    const auto run =
        test::subctl({"-o", "json", "--partner", partner, "batch", "run", file.path, "--dry-run", "--report", report.path});
    INFO(run.out << run.err);
    CHECK(run.exit == 1);
    CHECK(run.json()["dry_run"] == 1);
    CHECK(run.json()["rejected"] == 1);
    const auto lines = lines_of(report.path);
    REQUIRE(lines.size() == 3);
    CHECK_THAT(lines[1], Catch::Contains(",dry_run,"));
    CHECK_THAT(lines[2], Catch::Contains(",rejected,quantity_out_of_range,"));
    CHECK(test::scalar("SELECT version FROM core.subscriptions WHERE id = $1", business) == 1);
    CHECK(batches_of(partner) == 0);
    CHECK(test::scalar("SELECT count(*) FROM core.request_ids WHERE partner_id = $1", partner) == request_ids);
}

TEST_CASE("a batch killed with SIGKILL mid-way resumes on re-run and applies every row exactly once",
          "[db][batch][slow]") {
    const auto partner = test::new_partner();
    constexpr int subscriptions = 1000, rows_per_subscription = 10, rows = subscriptions * rows_per_subscription;
    std::vector<std::string> ids;
    {
        auto connection = test::connect();
        pqxx::work tx(connection);
        tx.exec_params("INSERT INTO core.customers (id, name, created_by_partner_id) "
                       "SELECT gen_random_uuid(), 'Batch kill ' || i, $1 FROM generate_series(1, $2) AS i",
                       partner, subscriptions);
        for (const auto& row : tx.exec_params(
                 "INSERT INTO core.subscriptions (customer_id, offer_id, quantity, billing_cycle, channel, partner_id, "
                 "recorded_by_partner_id) SELECT id, 'o365-e3', 10, 'monthly', 'csp', $1, $1 FROM core.customers "
                 "WHERE created_by_partner_id = $1 RETURNING id",
                 partner)) {
            ids.push_back(row[0].as<std::string>());
        }
        tx.commit();
    }
    // Each subscription's rows are spread over the file: they land in different chunks.
    std::string text = header;
    for (int round = 1; round <= rows_per_subscription; ++round) {
        for (const auto& id : ids) text += "add_licenses," + id + ",," + std::to_string(round) + ",\n";
    }
    test::TempFile file(text);
    const auto done = [&] {
        return test::scalar("SELECT count(*) FROM core.batch_rows WHERE partner_id = $1 AND status <> 'pending'", partner);
    };

    const pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        const int null_fd = open("/dev/null", O_WRONLY);
        dup2(null_fd, STDOUT_FILENO);
        dup2(null_fd, STDERR_FILENO);
        const char* binary = std::getenv("SUBCTL_BINARY");
        std::string program = binary != nullptr ? binary : SUBCTL_BINARY;
        execl(program.c_str(), program.c_str(), "-q", "--partner", partner.c_str(), "batch", "run", file.path.c_str(),
              "--chunk-size", "100", static_cast<char*>(nullptr));
        _exit(127);
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (done() < 1000 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    REQUIRE(WIFSIGNALED(status));
    const auto done_when_killed = done();
    INFO("rows done when killed: " << done_when_killed);
    REQUIRE(done_when_killed >= 1000);
    REQUIRE(done_when_killed < rows);

    const auto rerun = test::subctl({"-q", "-o", "json", "--partner", partner, "batch", "run", file.path});
    INFO(rerun.err);
    REQUIRE(rerun.exit == 0);
    CHECK(rerun.json()["already_applied"].get<long long>() >= done_when_killed);
    CHECK(rerun.json()["applied"].get<long long>() + rerun.json()["already_applied"].get<long long>() == rows);

    // Exactly once: each subscription got 1 + 2 + ... + 10 licenses, one request id and one audit event per row.
    CHECK(test::scalar("SELECT count(*) FROM core.subscriptions WHERE partner_id = $1 AND quantity <> 10 + 55", partner) == 0);
    CHECK(test::scalar("SELECT count(*) FROM core.request_ids WHERE partner_id = $1", partner) == rows);
    CHECK(test::scalar("SELECT count(*) FROM core.audit_events WHERE partner_id = $1 AND operation = 'add_licenses' "
                 "AND outcome = 'succeeded' AND source = 'batch' AND batch_id IS NOT NULL",
                 partner) == rows);
}
