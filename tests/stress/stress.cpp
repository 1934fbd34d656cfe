// subctl_stress: N workers, each with its own connections (one per partner), run a random
// mix of operations through the C++ layer (subctl::db::Database, the statements of the
// CLI) against a small, hot dataset (tests/stress/seed.sql). Every operation carries a
// request id; some are replayed and must return their first result; some are small CSV
// batches run by the subctl binary. Writes what each request came back with as CSV for
// tests/stress/invariants.sql.
#include <atomic>
#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <pqxx/pqxx>

#include "db/database.hpp"
#include "shared/errors.hpp"

namespace {

using subctl::db::Database;
using subctl::db::Outcome;
namespace statements = subctl::db::statements;
using json = nlohmann::json;

const std::vector<std::string> partners = {"stress-a", "stress-b"};
const std::vector<std::string> base_offers = {"o365-business-essentials", "o365-business", "o365-business-premium",
                                              "o365-proplus", "o365-e1", "o365-e3"};

struct Options {
    std::string db_url;
    int workers = 16;
    long operations = 100000;
    unsigned seed = 1;
    std::string results_file;
    std::string run_id = "s";
    std::string subctl;  // the binary that runs the batches; none without it
};

// Subscriptions (with their offers and customers), customers and their users' principal
// names the workers pick from; grows with upgrades and adds. upgrade_paths: the targets
// of each offer, from the catalog.
struct Subscription {
    std::string id, offer, customer;
};
class Pool {
public:
    void add_subscription(const std::string& id, const std::string& offer, const std::string& customer) {
        std::lock_guard<std::mutex> lock(mutex_);
        subscriptions_.push_back({id, offer, customer});
    }
    Subscription subscription(std::mt19937& random) {
        std::lock_guard<std::mutex> lock(mutex_);
        return subscriptions_[std::uniform_int_distribution<std::size_t>(0, subscriptions_.size() - 1)(random)];
    }
    void add_user(const std::string& customer, const std::string& upn) {
        std::lock_guard<std::mutex> lock(mutex_);
        users_[customer].push_back(upn);
    }
    // 1 to 3 of the customer's users (a name may come twice: the operation takes it once)
    std::vector<std::string> users(std::mt19937& random, const std::string& customer) {
        std::lock_guard<std::mutex> lock(mutex_);
        const auto& names = users_[customer];
        std::vector<std::string> picked;
        for (int n = 1 + std::uniform_int_distribution<int>(0, 2)(random); n > 0 && !names.empty(); --n) {
            picked.push_back(names[std::uniform_int_distribution<std::size_t>(0, names.size() - 1)(random)]);
        }
        return picked;
    }
    std::vector<std::string> customers;
    std::map<std::string, std::vector<std::string>> upgrade_paths;
private:
    std::mutex mutex_;
    std::vector<Subscription> subscriptions_;
    std::map<std::string, std::vector<std::string>> users_;
};

struct Request {
    std::string id;
    int partner;
    std::string operation;
    std::function<json(Database&, const std::string& request_id)> run;
};

struct Record {
    std::string request_id, partner, operation, outcome;
};

struct Tally {
    std::mutex mutex;
    std::map<std::string, long> outcomes;  // "upgrade succeeded" -> count
    std::map<std::string, long> failures;  // "upgrade database_unavailable" -> count
    std::vector<Record> records;
    long replay_mismatches = 0;
    std::vector<std::string> worker_errors;  // a worker that could not run at all
};

// Users and their licenses (a sixth of the mix; roll 100..119): a user added to a
// customer, or 1 to 3 of a subscription's customer's users assigned or unassigned.
Request license_request(std::mt19937& random, Pool& pool, const std::string& request_id, int partner, int roll) {
    auto pick = [&](int n) { return std::uniform_int_distribution<int>(0, n - 1)(random); };
    if (roll < 104) {
        auto customer = pool.customers[pick(pool.customers.size())];
        const std::string upn = fmt::format("{}@stress-users.example.cn", request_id);
        return {request_id, partner, "add_user", [=, &pool](Database& db, const std::string& rid) {
                    auto result = db.call(Outcome::commit, statements::user_add, customer, upn, std::optional<std::string>(),
                                          rid, false, std::optional<std::string>());
                    if (result.value("status", "") == "succeeded") pool.add_user(customer, upn);
                    return result;
                }};
    }
    const auto subscription = pool.subscription(random);
    const std::string operation = roll < 114 ? "assign" : "unassign";
    auto users = json(pool.users(random, subscription.customer));
    if (users.empty()) users.push_back("nobody@stress-users.example.cn");  // refused: user_not_found
    return {request_id, partner, operation + "_license", [=](Database& db, const std::string& rid) {
                return db.call(Outcome::commit, statements::license_change, operation, subscription.id, users.dump(), rid,
                               false, std::optional<std::string>());
            }};
}

// A random operation for a random partner (the rival 20% of the time).
Request random_request(std::mt19937& random, Pool& pool, const std::string& request_id) {
    auto pick = [&](int n) { return std::uniform_int_distribution<int>(0, n - 1)(random); };
    const int partner = pick(10) < 8 ? 0 : 1;
    const int roll = pick(120);
    const long long quantity = 1 + pick(3);
    if (roll >= 100) return license_request(random, pool, request_id, partner, roll);
    if (roll < 35) {
        auto subscription = pool.subscription(random);
        for (int tries = 0; tries < 5 && !pool.upgrade_paths.count(subscription.offer); ++tries) {
            subscription = pool.subscription(random);  // prefer offers that have an upgrade path
        }
        // mostly a target on the offer's path, sometimes any offer (not a path: rejected)
        const auto path = pool.upgrade_paths.find(subscription.offer);
        auto target = path == pool.upgrade_paths.end() || pick(10) == 0 ? base_offers[pick(base_offers.size())]
                                                                       : path->second[pick(path->second.size())];
        // a fifth leave the users' licenses on the source (upgrade_only)
        const bool license_transfer = pick(5) != 0;
        return {request_id, partner, license_transfer ? "upgrade" : "upgrade_only", [=, &pool](Database& db, const std::string& rid) {
                    auto result = db.call(Outcome::commit, statements::upgrade, subscription.id, target,
                                          std::optional<long long>(), rid, std::optional<long long>(), false,
                                          std::optional<std::string>(), license_transfer, std::optional<std::string>());
                    if (result.value("status", "") == "succeeded") {
                        pool.add_subscription(result["target_subscription_id"].get<std::string>(), target,
                                              subscription.customer);
                    }
                    return result;
                }};
    }
    if (roll < 55) {
        auto subscription = pool.subscription(random).id;
        std::string operation = roll < 45 ? "add" : "remove";
        return {request_id, partner, operation + "_licenses", [=](Database& db, const std::string& rid) {
                    return db.call(Outcome::commit, statements::licenses_change, operation, subscription, quantity, rid,
                                   std::optional<long long>(), false, std::optional<std::string>());
                }};
    }
    if (roll < 85) {
        auto subscription = pool.subscription(random).id;
        std::string operation = roll < 65 ? "suspend" : roll < 73 ? "reactivate" : "cancel";
        return {request_id, partner, operation, [=](Database& db, const std::string& rid) {
                    return db.call(Outcome::commit, statements::subscription_change, operation, subscription, rid,
                                   std::optional<long long>(), false, std::optional<std::string>());
                }};
    }
    if (roll < 96) {
        auto customer = pool.customers[pick(pool.customers.size())];
        std::string operation = std::vector<std::string>{"request", "accept", "accept", "remove"}[pick(4)];
        return {request_id, partner, operation + "_relationship", [=](Database& db, const std::string& rid) {
                    return db.call(Outcome::commit, statements::relationship_change, operation, customer, "office365",
                                   std::optional<std::string>(), rid, false, std::optional<std::string>());
                }};
    }
    auto customer = pool.customers[pick(pool.customers.size())];
    // half the new subscriptions are of the two entry offers, to keep upgrades possible
    auto offer = pick(2) == 0 ? base_offers[pick(2)] : base_offers[pick(base_offers.size())];
    std::string cycle = pick(4) == 0 ? "annual" : "monthly";
    std::string channel = pick(10) == 0 ? "direct" : "csp";
    return {request_id, partner, "add_subscription", [=, &pool](Database& db, const std::string& rid) {
                auto result = db.call(Outcome::commit, statements::subscription_add, customer, offer, quantity + 4, cycle,
                                      channel, "active", std::optional<std::string>(), rid, false,
                                      std::optional<std::string>());
                if (result.value("status", "") == "succeeded") {
                    pool.add_subscription(result["id"].get<std::string>(), offer, customer);
                }
                return result;
            }};
}

// A CSV batch of 2-8 random rows (every action) for one partner, run by the subctl
// binary. Returns one record per row, read back from core.batch_rows: applied rows
// count as succeeded, rows of a run that did not finish as unknown.
std::vector<Record> run_batch(std::mt19937& random, Pool& pool, const Options& options, int worker,
                              const std::string& name, int partner, std::map<std::string, long>& outcomes) {
    auto pick = [&](int n) { return std::uniform_int_distribution<int>(0, n - 1)(random); };
    static const std::vector<std::string> actions = {"upgrade", "add_licenses", "remove_licenses",
                                                     "suspend", "reactivate",   "cancel"};
    char path[] = "/tmp/subctl-stress-batch-XXXXXX";
    const int fd = mkstemp(path);
    if (fd < 0) throw std::runtime_error("cannot create a batch file in /tmp");
    close(fd);
    {
        std::ofstream csv(path);
        csv << "action,subscription_id,target_offer,quantity,request_id\n";
        for (int row = 0, rows = 2 + pick(7); row < rows; ++row) {
            const auto subscription = pool.subscription(random);
            const auto& action = actions[pick(actions.size())];
            const auto path_of = pool.upgrade_paths.find(subscription.offer);
            const std::string target = action != "upgrade" ? ""
                                       : path_of == pool.upgrade_paths.end()
                                           ? base_offers[pick(base_offers.size())]
                                           : path_of->second[pick(path_of->second.size())];
            const std::string quantity = action.find("licenses") != std::string::npos ? std::to_string(1 + pick(3)) : "";
            csv << fmt::format("{},{},{},{},{}-{}\n", action, subscription.id, target, quantity, name, row);
        }
    }
    const std::string operator_name = fmt::format("stress-worker-{}", worker);
    std::vector<std::string> args{options.subctl, "--db", options.db_url, "--partner", partners[partner],
                                  "--operator", operator_name, "batch", "run", path, "--name", name, "-q"};
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    pid_t child = 0;
    posix_spawn_file_actions_t quiet;
    posix_spawn_file_actions_init(&quiet);
    posix_spawn_file_actions_addopen(&quiet, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&quiet, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    int status = -1;
    if (posix_spawn(&child, argv[0], &quiet, nullptr, argv.data(), environ) == 0) waitpid(child, &status, 0);
    posix_spawn_file_actions_destroy(&quiet);
    std::remove(path);
    const int exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    ++outcomes[fmt::format("batch exit {}", exit_code)];

    std::vector<Record> records;
    pqxx::connection connection(options.db_url);
    pqxx::read_transaction tx(connection);
    for (const auto& row : tx.exec_params("SELECT b.request_id, b.action, b.status, b.new_subscription_id, b.target_offer, "
                                          "s.customer_id FROM core.batch_rows b "
                                          "LEFT JOIN core.subscriptions s ON s.id = b.new_subscription_id "
                                          "WHERE b.partner_id = $1 AND b.batch_id = $2 ORDER BY b.line",
                                          partners[partner], name)) {
        const std::string row_status = row[2].c_str();
        const std::string outcome = row_status == "applied" ? "succeeded" : row_status == "rejected" ? "rejected" : "unknown";
        if (!row[3].is_null()) pool.add_subscription(row[3].c_str(), row[4].c_str(), row[5].c_str());
        ++outcomes["batch " + std::string(row[1].c_str()) + " " + outcome];
        records.push_back({row[0].c_str(), partners[partner], row[1].c_str(), outcome});
    }
    return records;
}

// succeeded | rejected from the result; failed when nothing was applied, unknown when
// the connection went away mid-operation.
std::string outcome_of(const json& result) { return result.value("status", "unknown"); }
std::string outcome_of(const subctl::Error& error) {
    return error.exit() == subctl::Exit::unavailable || error.code() == "commit_in_doubt" ? "unknown" : "failed";
}

void work(int worker, const Options& options, Pool& pool, Tally& tally, std::atomic<long>& next) try {
    std::mt19937 random(options.seed * 7919 + worker);
    std::vector<std::unique_ptr<Database>> connections;
    for (const auto& partner : partners) {
        connections.push_back(std::make_unique<Database>(
            options.db_url, subctl::db::SessionContext{partner, fmt::format("stress-worker-{}", worker), "cli"}));
    }
    std::vector<std::pair<Request, json>> answered;  // for replays
    std::vector<Record> records;
    std::map<std::string, long> outcomes;
    std::map<std::string, long> failures;
    long mismatches = 0;
    for (long n; (n = next.fetch_add(1)) < options.operations;) {
        if (!answered.empty() && std::uniform_int_distribution<int>(0, 19)(random) == 0) {
            // A replay of an earlier request: the same answer, nothing applied again.
            const auto& [request, first] = answered[std::uniform_int_distribution<std::size_t>(0, answered.size() - 1)(random)];
            try {
                if (request.run(*connections[request.partner], request.id) != first) ++mismatches;
                ++outcomes["replay"];
            } catch (const subctl::Error& error) {
                ++outcomes["replay " + error.code()];
                ++failures["replay " + error.code()];
            }
            continue;
        }
        if (!options.subctl.empty() && std::uniform_int_distribution<int>(0, 99)(random) < 2) {
            const int partner = std::uniform_int_distribution<int>(0, 9)(random) < 8 ? 0 : 1;
            const auto rows = run_batch(random, pool, options, worker, fmt::format("{}-{}-{}", options.run_id, worker, n),
                                        partner, outcomes);
            records.insert(records.end(), rows.begin(), rows.end());
            continue;
        }
        auto request = random_request(random, pool, fmt::format("{}-{}-{}", options.run_id, worker, n));
        std::string outcome;
        try {
            auto result = request.run(*connections[request.partner], request.id);
            outcome = outcome_of(result);
            if (outcome == "succeeded" || outcome == "rejected") answered.emplace_back(request, result);
            ++outcomes[request.operation + " " + outcome];
        } catch (const subctl::Error& error) {
            outcome = outcome_of(error);
            ++outcomes[request.operation + " " + error.code()];
            // the server stays up: an operation that fails instead of answering is a defect
            ++failures[request.operation + " " + error.code()];
        }
        records.push_back({request.id, partners[request.partner], request.operation, outcome});
    }
    std::lock_guard<std::mutex> lock(tally.mutex);
    for (const auto& [key, count] : outcomes) tally.outcomes[key] += count;
    for (const auto& [key, count] : failures) tally.failures[key] += count;
    tally.records.insert(tally.records.end(), records.begin(), records.end());
    tally.replay_mismatches += mismatches;
} catch (const std::exception& error) {
    std::lock_guard<std::mutex> lock(tally.mutex);
    tally.worker_errors.push_back(fmt::format("worker {}: {}", worker, error.what()));
}

}  // namespace

int main(int argc, char** argv) {
    Options options;
    CLI::App app{"subctl_stress: concurrent random operations against the stress dataset"};
    app.add_option("--db", options.db_url, "Database URL")->required();
    app.add_option("--workers", options.workers, "Concurrent workers, each with its own connections");
    app.add_option("--operations", options.operations, "Operations in all");
    app.add_option("--seed", options.seed, "Random seed");
    app.add_option("--run-id", options.run_id, "Prefix of the request ids (unique per run)");
    app.add_option("--results", options.results_file, "CSV of request_id,partner,operation,outcome")->required();
    app.add_option("--subctl", options.subctl, "The subctl binary: 2% of the operations are CSV batches run by it");
    CLI11_PARSE(app, argc, argv);

    try {
        Pool pool;
        {
            pqxx::connection connection(options.db_url);
            pqxx::read_transaction tx(connection);
            for (const auto& row : tx.exec("SELECT id FROM core.customers WHERE created_by_partner_id = 'stress-a'")) {
                pool.customers.push_back(row[0].c_str());
            }
            for (const auto& row : tx.exec("SELECT s.id, s.offer_id, s.customer_id FROM core.subscriptions s "
                                           "JOIN core.customers c ON c.id = s.customer_id "
                                           "WHERE c.created_by_partner_id = 'stress-a'")) {
                pool.add_subscription(row[0].c_str(), row[1].c_str(), row[2].c_str());
            }
            for (const auto& row : tx.exec("SELECT u.customer_id, u.upn FROM core.users u "
                                           "JOIN core.customers c ON c.id = u.customer_id "
                                           "WHERE c.created_by_partner_id = 'stress-a'")) {
                pool.add_user(row[0].c_str(), row[1].c_str());
            }
            for (const auto& row : tx.exec("SELECT source_offer_id, target_offer_id FROM core.upgrade_paths")) {
                pool.upgrade_paths[row[0].c_str()].push_back(row[1].c_str());
            }
        }
        if (pool.customers.empty()) throw std::runtime_error("no stress dataset: run tests/stress/seed.sql first");

        Tally tally;
        std::atomic<long> next{0};
        const auto start = std::chrono::steady_clock::now();
        std::vector<std::thread> threads;
        for (int worker = 0; worker < options.workers; ++worker) {
            threads.emplace_back(work, worker, std::cref(options), std::ref(pool), std::ref(tally), std::ref(next));
        }
        for (auto& thread : threads) thread.join();
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

        std::ofstream results(options.results_file);
        for (const auto& r : tally.records) results << fmt::format("{},{},{},{}\n", r.request_id, r.partner, r.operation, r.outcome);
        for (const auto& [key, count] : tally.outcomes) std::cout << fmt::format("  {:<45} {:>8}\n", key, count);
        std::cout << fmt::format("stress: {} operations by {} workers in {:.1f} s ({:.0f} ops/s); replay mismatches: {}\n",
                                 options.operations, options.workers, seconds, options.operations / seconds,
                                 tally.replay_mismatches);
        for (const auto& error : tally.worker_errors) std::cerr << "subctl_stress: " << error << '\n';
        for (const auto& [key, count] : tally.failures) {
            std::cerr << fmt::format("subctl_stress: {} operation(s) failed instead of answering: {}\n", count, key);
        }
        return tally.replay_mismatches == 0 && tally.worker_errors.empty() && tally.failures.empty() ? 0 : 1;
    } catch (const std::exception& error) {
        std::cerr << "subctl_stress: " << error.what() << '\n';
        return 2;
    }
}
