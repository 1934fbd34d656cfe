// `subctl upgrade SUBSCRIPTION` without --to (SPEC 7.2), end to end: the built binary on a
// pseudo-terminal (forkpty) against the test server, answered as an operator would type;
// and without a terminal, exit 64.
#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "db/support.hpp"

namespace {

// The binary running on a terminal of its own: stdin, stdout and stderr are the
// pseudo-terminal's other side; what it shows is read here, keys are typed here.
class Terminal {
public:
    // stdin_null: stdin from /dev/null instead (stdout and stderr still the terminal).
    explicit Terminal(const std::vector<std::string>& args, bool stdin_null = false) {
        const char* binary = std::getenv("SUBCTL_BINARY");
        std::string program = binary != nullptr ? binary : SUBCTL_BINARY;
        std::vector<std::string> copies(args);
        std::vector<char*> argv{program.data()};
        for (auto& arg : copies) argv.push_back(arg.data());
        argv.push_back(nullptr);
        winsize size{};
        size.ws_row = 50;
        size.ws_col = 250;  // no line is wrapped
        pid_ = forkpty(&master_, nullptr, nullptr, &size);
        REQUIRE(pid_ >= 0);
        if (pid_ == 0) {
            if (stdin_null) {
                const int null = open("/dev/null", O_RDONLY);
                dup2(null, STDIN_FILENO);
                close(null);
            }
            execv(program.c_str(), argv.data());
            _exit(127);
        }
    }
    ~Terminal() {
        if (pid_ > 0 && !exited_) {
            kill(pid_, SIGKILL);
            waitpid(pid_, nullptr, 0);
        }
        if (master_ >= 0) close(master_);
    }
    Terminal(const Terminal&) = delete;
    Terminal& operator=(const Terminal&) = delete;

    // Waits until text shows after what an earlier expect matched (the test fails after 60 s).
    void expect(const std::string& text) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        for (;;) {
            const auto found = shown.find(text, matched_);
            if (found != std::string::npos) {
                matched_ = found + text.size();
                return;
            }
            INFO("waiting for: " << text << "\nthe terminal shows:\n" << shown);
            REQUIRE(std::chrono::steady_clock::now() < deadline);
            REQUIRE(read_some(deadline));
        }
    }

    void type(const std::string& keys) { REQUIRE(write(master_, keys.data(), keys.size()) == ssize_t(keys.size())); }

    // Reads what is left until the program ends; its exit code.
    int finish() {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        while (read_some(deadline)) {
            INFO("the terminal shows:\n" << shown);
            REQUIRE(std::chrono::steady_clock::now() < deadline);
        }
        int status = 0;
        REQUIRE(waitpid(pid_, &status, 0) == pid_);
        exited_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }

    std::string shown;  // everything the terminal showed, the typed keys' echo included

private:
    // False once the program's side is closed (it ended).
    bool read_some(std::chrono::steady_clock::time_point deadline) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        pollfd fd{master_, POLLIN, 0};
        if (poll(&fd, 1, static_cast<int>(std::max<long long>(left.count(), 0))) <= 0) return true;  // the caller checks the time
        char buffer[4096];
        const ssize_t n = read(master_, buffer, sizeof buffer);
        if (n <= 0) return false;  // EIO: every descriptor of the other side is closed
        shown.append(buffer, static_cast<std::size_t>(n));
        return true;
    }

    pid_t pid_ = -1;
    int master_ = -1;
    bool exited_ = false;
    std::size_t matched_ = 0;
};

nlohmann::json show(const std::string& partner, const std::string& subscription) {
    return test::subctl({"-o", "json", "--partner", partner, "subscription", "show", subscription}).json();
}

}  // namespace

TEST_CASE("guided upgrade on a terminal: a target by number, the default quantity, confirmed", "[db][cli][guided]") {
    const auto partner = test::new_partner();
    const auto customer = test::new_customer(partner);
    const auto business = test::new_subscription(partner, customer, "o365-business");

    Terminal terminal({"--partner", partner, "upgrade", business.substr(0, 8)});  // a prefix names it
    terminal.expect("Office 365 Business (o365-business), 10 licenses, active");
    terminal.expect("1) Office 365 Business Premium (o365-business-premium)");
    terminal.expect("2) Office 365 Enterprise E3 (o365-e3)");
    terminal.expect("3) Office 365 ProPlus (o365-proplus)");
    terminal.expect("Upgrade to which offer (number 1 to 3)? ");
    terminal.type("1\n");
    terminal.expect("Number of licenses [10]: ");
    terminal.type("\n");  // Enter accepts the source's
    terminal.expect("What would happen");
    terminal.expect("dry_run");
    terminal.expect("Upgrade to Office 365 Business Premium (o365-business-premium) with 10 licenses? [y/N] ");
    CHECK(show(partner, business).at("status") == "active");  // nothing changed before the answer
    terminal.type("y\n");
    terminal.expect("succeeded");
    const auto exit = terminal.finish();
    INFO(terminal.shown);
    CHECK(exit == 0);
    CHECK_THAT(terminal.shown, Catch::Contains("next_steps"));
    CHECK_THAT(terminal.shown, Catch::Contains("assign the users of o365-business their licenses of o365-business-premium"));

    const auto source = show(partner, business);
    CHECK(source.at("status") == "suspended");
    REQUIRE(source.at("upgraded_to").is_string());
    const auto target = show(partner, source.at("upgraded_to").get<std::string>());
    CHECK(target.at("offer_id") == "o365-business-premium");
    CHECK(target.at("quantity") == 10);
    CHECK(target.at("status") == "active");
}

TEST_CASE("guided upgrade on a terminal: no eligible target shows the reasons and next steps, exit 1",
          "[db][cli][guided]") {
    const auto partner = test::new_partner();
    const auto customer = test::new_customer(partner, false);  // no delegated-admin relationship
    const auto business = test::new_subscription(partner, customer, "o365-business");
    const auto version = show(partner, business).at("version");

    Terminal terminal({"--partner", partner, "upgrade", business});
    const auto exit = terminal.finish();  // nothing is asked: the input is never read
    INFO(terminal.shown);
    CHECK(exit == 1);
    for (const char* target : {"Office 365 Business Premium (o365-business-premium)", "Office 365 Enterprise E3 (o365-e3)",
                               "Office 365 ProPlus (o365-proplus)"}) {
        CHECK_THAT(terminal.shown, Catch::Contains(target));
    }
    CHECK_THAT(terminal.shown, Catch::Contains("You have no delegated-admin relationship with this customer for office365"));
    CHECK_THAT(terminal.shown, Catch::Contains("next step: request one: subctl relationship request"));
    CHECK_THAT(terminal.shown, Catch::Contains("subctl: no_eligible_target: "));
    CHECK_THAT(terminal.shown, !Catch::Contains("Upgrade to which offer"));
    const auto after = show(partner, business);
    CHECK(after.at("status") == "active");
    CHECK(after.at("version") == version);
    CHECK(test::scalar("SELECT count(*) FROM core.subscriptions WHERE customer_id = $1::uuid", customer) == 1);
}

TEST_CASE("guided upgrade on a terminal: Ctrl-D at a prompt aborts, nothing changed, exit 1", "[db][cli][guided]") {
    const auto partner = test::new_partner();
    const auto customer = test::new_customer(partner);
    const auto business = test::new_subscription(partner, customer, "o365-business");
    const auto version = show(partner, business).at("version");

    Terminal terminal({"--partner", partner, "upgrade", business});
    terminal.expect("Upgrade to which offer (number 1 to 3)? ");
    terminal.type("2\n");
    terminal.expect("Number of licenses [10]: ");
    terminal.type("\x04");  // VEOF at the start of a line: the input ends
    const auto exit = terminal.finish();
    INFO(terminal.shown);
    CHECK(exit == 1);
    CHECK_THAT(terminal.shown, Catch::Contains("subctl: aborted: "));
    CHECK_THAT(terminal.shown, Catch::Contains("nothing was changed"));
    CHECK(show(partner, business).at("version") == version);
    CHECK(test::scalar("SELECT count(*) FROM core.subscriptions WHERE customer_id = $1::uuid", customer) == 1);
}

TEST_CASE("upgrade without --to and without a terminal exits 64 saying --to is required", "[db][cli][guided]") {
    const auto partner = test::new_partner();
    const auto customer = test::new_customer(partner);
    const auto business = test::new_subscription(partner, customer, "o365-business");
    const std::string line = "subctl: usage: --to OFFER is required when stdin and stdout are not a terminal";

    const auto piped = test::subctl({"--partner", partner, "upgrade", business});  // stdout is a pipe
    CHECK(piped.exit == 64);
    CHECK_THAT(piped.err, Catch::StartsWith(line));
    CHECK(std::count(piped.err.begin(), piped.err.end(), '\n') == 1);
    CHECK(piped.out.empty());

    Terminal terminal({"--partner", partner, "upgrade", business}, true);  // stdout a terminal, stdin not
    const auto exit = terminal.finish();
    INFO(terminal.shown);
    CHECK(exit == 64);
    CHECK_THAT(terminal.shown, Catch::StartsWith(line));
    CHECK(show(partner, business).at("status") == "active");
}

TEST_CASE("upgrade --to prints next_steps, in json and in the table", "[db][cli]") {
    const auto partner = test::new_partner();
    const auto customer = test::new_customer(partner);
    const auto business = test::new_subscription(partner, customer, "o365-business");
    const auto fewer = test::subctl({"-o", "json", "--partner", partner, "upgrade", business, "--to", "o365-e3",
                                     "--quantity", "4", "--request-id", test::unique("r")});
    INFO(fewer.out << fewer.err);
    REQUIRE(fewer.exit == 0);
    const auto steps = fewer.json().at("next_steps");
    REQUIRE(steps.size() == 2);  // with fewer licenses: who loses one
    CHECK_THAT(steps.at(0).get<std::string>(), Catch::Contains("assign the users of o365-business their licenses of o365-e3"));
    CHECK_THAT(steps.at(1).get<std::string>(), Catch::Contains("choose the 6 users who lose theirs"));

    const auto other = test::new_subscription(partner, test::new_customer(partner), "o365-business");
    const auto table = test::subctl({"--partner", partner, "upgrade", other, "--to", "o365-proplus"});
    INFO(table.out << table.err);
    REQUIRE(table.exit == 0);
    CHECK_THAT(table.out, Catch::Contains("next_steps"));
    CHECK_THAT(table.out, Catch::Contains("assign the users of o365-business their licenses of o365-proplus"));
}
