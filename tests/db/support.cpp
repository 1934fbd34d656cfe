#include "db/support.hpp"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <poll.h>
#include <random>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

namespace test {

TempFile::TempFile(const std::string& bytes) {
    char name[] = "/tmp/subctl-test-XXXXXX";
    const int fd = mkstemp(name);
    REQUIRE(fd >= 0);
    close(fd);
    path = name;
    std::ofstream(path, std::ios::binary) << bytes;
}

TempFile::~TempFile() { std::remove(path.c_str()); }

TempDir::TempDir() {
    char name[] = "/tmp/subctl-test-XXXXXX";
    REQUIRE(mkdtemp(name) != nullptr);
    path = name;
}

TempDir::~TempDir() { std::filesystem::remove_all(path); }

std::filesystem::path home() {
    const char* home = std::getenv("SUBCTL_HOME");
    return home != nullptr && *home != '\0' ? std::filesystem::path(home) : std::filesystem::path(SUBCTL_SOURCE_DIR);
}

std::string read_text(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

nlohmann::json Run::json() const {
    INFO("stdout: " << out << "\nstderr: " << err);
    auto parsed = nlohmann::json::parse(out, nullptr, false);
    REQUIRE_FALSE(parsed.is_discarded());
    return parsed;
}

Run subctl(const std::vector<std::string>& args, const std::map<std::string, std::string>& env) {
    const char* binary = std::getenv("SUBCTL_BINARY");
    std::string program = binary != nullptr ? binary : SUBCTL_BINARY;
    int out_pipe[2], err_pipe[2];
    REQUIRE(pipe(out_pipe) == 0);
    REQUIRE(pipe(err_pipe) == 0);
    const pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        dup2(out_pipe[1], STDOUT_FILENO);
        dup2(err_pipe[1], STDERR_FILENO);
        close(out_pipe[0]), close(err_pipe[0]), close(out_pipe[1]), close(err_pipe[1]);
        for (const auto& [name, value] : env) {
            if (value.empty()) unsetenv(name.c_str());
            else setenv(name.c_str(), value.c_str(), 1);
        }
        std::vector<char*> argv{program.data()};
        std::vector<std::string> copies(args);
        for (auto& arg : copies) argv.push_back(arg.data());
        argv.push_back(nullptr);
        execv(program.c_str(), argv.data());
        _exit(127);
    }
    close(out_pipe[1]), close(err_pipe[1]);
    Run run;
    pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
    std::string* sinks[2] = {&run.out, &run.err};
    int open_fds = 2;
    char buffer[65536];
    while (open_fds > 0) {
        poll(fds, 2, -1);
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
            const ssize_t n = read(fds[i].fd, buffer, sizeof buffer);
            if (n > 0) {
                sinks[i]->append(buffer, static_cast<std::size_t>(n));
            } else {
                close(fds[i].fd);
                fds[i].fd = -1;
                --open_fds;
            }
        }
    }
    int status = 0;
    waitpid(pid, &status, 0);
    run.exit = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return run;
}

std::string unique(const std::string& prefix) {
    static std::mt19937_64 random{std::random_device{}()};
    static const char* hex = "0123456789abcdef";
    std::string id = prefix + "-";
    for (int i = 0; i < 10; ++i) id += hex[random() % 16];
    return id;
}

std::string new_partner() {
    const auto id = unique("p");
    const auto run = subctl({"partner", "add", id, "--name", "Partner " + id});
    INFO(run.err);
    REQUIRE(run.exit == 0);
    return id;
}

std::string new_customer(const std::string& partner, bool with_relationship) {
    const auto run = subctl({"-o", "json", "--partner", partner, "customer", "add", "--name", unique("Customer")});
    INFO(run.err);
    REQUIRE(run.exit == 0);
    const auto id = run.json()["id"].get<std::string>();
    if (with_relationship) {
        for (const char* step : {"request", "accept"}) {
            const auto change = subctl({"--partner", partner, "relationship", step, id, "--service", "office365"});
            INFO(change.err);
            REQUIRE(change.exit == 0);
        }
    }
    return id;
}

std::string new_subscription(const std::string& partner, const std::string& customer, const std::string& offer,
                             const std::vector<std::string>& extra) {
    std::vector<std::string> args{"-o", "json", "--partner", partner, "subscription", "add", customer,
                                  "--offer", offer, "--quantity", "10"};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto run = subctl(args);
    INFO(run.out << run.err);
    REQUIRE(run.exit == 0);
    return run.json()["id"].get<std::string>();
}

pqxx::connection connect() {
    const char* url = std::getenv("DATABASE_URL");
    return pqxx::connection(url != nullptr ? url : "");
}

}  // namespace test
