// subctl_bench: single upgrades through the C++ layer (subctl::db::Database and the
// CLI's upgrade statement), N threads each with its own connection, each upgrading its
// own share of distinct eligible subscriptions (one per customer, so that no upgrade
// makes another ineligible) for a fixed time, each with a generated request id as the
// CLI sends (so its idempotency costs what a command's does). Prints one CSV line:
// threads,operations,seconds,ops_per_s,rejected,errors
#include <atomic>
#include <chrono>
#include <fstream>
#include <iostream>
#include <optional>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/mutation_flags.hpp"
#include "db/database.hpp"
#include "shared/errors.hpp"

namespace {

struct Candidate {
    std::string subscription, target;
};

struct Counts {
    std::atomic<long> succeeded{0}, rejected{0}, errors{0};
};

}  // namespace

int main(int argc, char** argv) {
    std::string db_url, partner, candidates_file;
    int threads = 1;
    double seconds = 10;
    std::size_t offset = 0;
    CLI::App app{"subctl_bench: upgrades per second through the C++ layer"};
    app.add_option("--db", db_url, "Database URL")->required();
    app.add_option("--partner", partner, "Acting partner")->required();
    app.add_option("--candidates", candidates_file, "File of subscription_id,target_offer lines")->required();
    app.add_option("--offset", offset, "Candidates already used by an earlier run");
    app.add_option("--threads", threads, "Concurrent connections");
    app.add_option("--seconds", seconds, "Duration");
    CLI11_PARSE(app, argc, argv);

    std::vector<Candidate> candidates;
    std::ifstream input(candidates_file);
    for (std::string line; std::getline(input, line);) {
        const auto comma = line.find(',');
        if (comma != std::string::npos) candidates.push_back({line.substr(0, comma), line.substr(comma + 1)});
    }
    try {
        std::vector<std::unique_ptr<subctl::db::Database>> connections;
        for (int i = 0; i < threads; ++i) {
            connections.push_back(std::make_unique<subctl::db::Database>(
                db_url, subctl::db::SessionContext{partner, "bench", "cli"}));
        }
        Counts counts;
        std::atomic<std::size_t> next{offset};
        std::atomic<bool> stop{false};
        const auto start = std::chrono::steady_clock::now();
        std::vector<std::thread> workers;
        for (int i = 0; i < threads; ++i) {
            workers.emplace_back([&, i] {
                for (std::size_t n; !stop && (n = next.fetch_add(1)) < candidates.size();) {
                    try {
                        const auto result = connections[i]->call(
                            subctl::db::Outcome::commit, subctl::db::statements::upgrade, candidates[n].subscription,
                            candidates[n].target, std::optional<long long>(),
                            std::optional<std::string>(subctl::cli::generate_request_id()), std::optional<long long>(), false, std::optional<std::string>(), true,
                            std::optional<std::string>());
                        ++(result.value("status", "") == "succeeded" ? counts.succeeded : counts.rejected);
                    } catch (const subctl::Error& e) {
                        if (counts.errors++ == 0) std::cerr << "subctl_bench: first error: " << e.what() << '\n';
                    }
                }
            });
        }
        while (!stop && std::chrono::steady_clock::now() - start < std::chrono::duration<double>(seconds)) {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
            stop = next >= candidates.size();
        }
        stop = true;
        for (auto& worker : workers) worker.join();
        const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        const long operations = counts.succeeded + counts.rejected + counts.errors;
        std::cout << fmt::format("{},{},{:.3f},{:.1f},{},{}\n", threads, operations, elapsed, operations / elapsed,
                                 counts.rejected.load(), counts.errors.load());
        if (next >= candidates.size()) std::cerr << "subctl_bench: ran out of candidates; results cover less time\n";
        return counts.rejected + counts.errors == 0 ? 0 : 1;
    } catch (const std::exception& error) {
        std::cerr << "subctl_bench: " << error.what() << '\n';
        return 2;
    }
}
