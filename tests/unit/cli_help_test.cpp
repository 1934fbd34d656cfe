// `subctl --help` on every command and command group: runs the built binary, needs no
// database.
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "db/support.hpp"

TEST_CASE("--help on every command and command group exits 0", "[cli]") {
    // Walks the tree from `subctl --help`, so that a new command is covered as it lands.
    std::vector<std::vector<std::string>> pending{{}};
    std::set<std::string> visited;
    while (!pending.empty()) {
        const auto path = pending.back();
        pending.pop_back();
        std::string command;
        for (const auto& word : path) command += (command.empty() ? "" : " ") + word;
        auto args = path;
        args.push_back("--help");
        const auto run = test::subctl(args);
        INFO("subctl " << command << " --help\n" << run.err);
        CHECK(run.exit == 0);
        CHECK_THAT(run.out, Catch::Contains("Usage: subctl"));
        visited.insert(command);
        std::istringstream lines(run.out);
        std::string line;
        bool in_subcommands = false;
        while (std::getline(lines, line)) {
            if (line == "Subcommands:") {
                in_subcommands = true;
            } else if (in_subcommands && line.rfind("  ", 0) == 0 && line.size() > 2 && line[2] != ' ') {
                auto child = path;
                child.push_back(line.substr(2, line.find(' ', 2) - 2));
                pending.push_back(child);
            } else if (in_subcommands && line.empty()) {
                in_subcommands = false;
            }
        }
    }
    for (const char* command : {"", "migrate", "catalog apply", "catalog show", "partner add", "customer add",
                                "customer list", "relationship request", "relationship accept", "relationship remove",
                                "relationship list", "subscription add", "subscription list", "subscription show"}) {
        CHECK(visited.count(command) == 1);
    }
}
