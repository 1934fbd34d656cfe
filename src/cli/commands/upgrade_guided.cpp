#include "cli/commands/upgrade_guided.hpp"

#include <cctype>
#include <istream>
#include <ostream>
#include <set>
#include <vector>

#include <fmt/format.h>
#include <unistd.h>

#include "cli/output.hpp"
#include "cli/validate.hpp"
#include "shared/errors.hpp"

namespace subctl::cli {

namespace {

std::string text(const nlohmann::json& object, const char* key) {
    return object.contains(key) && object[key].is_string() ? object[key].get<std::string>() : std::string();
}

// "Office 365 Business Premium (o365-business-premium)", or the id alone when it has no name.
std::string offer_label(const std::string& name, const std::string& id) {
    return name.empty() ? id : fmt::format("{} ({})", name, id);
}

std::string trimmed(const std::string& line) {
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos) return {};
    return line.substr(first, line.find_last_not_of(" \t\r") - first + 1);
}

// One answer, or aborted when the input ends: nothing has been submitted yet.
std::string ask(std::istream& in, std::ostream& out, const std::string& prompt) {
    out << prompt << std::flush;
    std::string line;
    if (!std::getline(in, line)) {
        out << '\n' << std::flush;  // the error line then starts on a line of its own
        throw Error(Exit::rejected, "aborted",
                    "no answer (end of input): the upgrade was not submitted; nothing was changed");
    }
    return trimmed(line);
}

// Each error of a target: its description and what to do next.
void print_reasons(std::ostream& out, const nlohmann::json& errors) {
    for (const auto& error : errors) {
        const auto description = text(error, "description");
        out << "      - " << (description.empty() ? text(error, "code") : description) << '\n';
        if (const auto next = text(error, "next_step"); !next.empty()) out << "        next step: " << next << '\n';
    }
}

std::vector<std::string> error_codes(const nlohmann::json& result) {
    std::vector<std::string> codes;
    if (result.is_object() && result.contains("errors")) {
        for (const auto& error : result["errors"]) codes.push_back(text(error, "code"));
    }
    return codes;
}

std::size_t choose_target(std::istream& in, std::ostream& out, std::size_t count) {
    const auto range = count == 1 ? std::string("1") : fmt::format("1 to {}", count);
    for (;;) {
        const auto answer = ask(in, out, fmt::format("Upgrade to which offer (number {})? ", range));
        if (!answer.empty() && answer.size() <= 9 && answer.find_first_not_of("0123456789") == std::string::npos) {
            const auto number = std::stoul(answer);
            if (number >= 1 && number <= count) return number - 1;
        }
        out << fmt::format("choose a number from {} (got '{}')\n", range, answer);
    }
}

long long choose_quantity(std::istream& in, std::ostream& out, long long default_quantity) {
    for (;;) {
        const auto answer = ask(in, out, fmt::format("Number of licenses [{}]: ", default_quantity));
        if (answer.empty()) return default_quantity;
        try {
            return require_quantity(answer, "number of licenses");
        } catch (const Error& error) {
            out << error.what() << '\n';
        }
    }
}

bool confirmed(std::istream& in, std::ostream& out, const std::string& question) {
    for (;;) {
        auto answer = ask(in, out, question + " [y/N] ");
        for (char& c : answer) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (answer == "y" || answer == "yes") return true;
        if (answer.empty() || answer == "n" || answer == "no") return false;
        out << fmt::format("answer y or n (got '{}')\n", answer);
    }
}

}  // namespace

bool on_terminal() { return isatty(STDIN_FILENO) == 1 && isatty(STDOUT_FILENO) == 1; }

CommandResult guided_upgrade(const GuidedUpgrade& guided, std::istream& in, std::ostream& out) {
    const auto details = guided.details();
    const auto id = text(details, "id");
    const auto source = offer_label(text(details, "offer_name"), text(details, "offer_id"));
    const long long source_quantity = details.value("quantity", 0LL);
    out << fmt::format("Subscription {}: {}, {} licenses, {}\n", id, source, source_quantity, text(details, "status"));

    const auto upgrades = details.value("upgrades", nlohmann::json::array());
    std::vector<nlohmann::json> eligible;
    std::vector<nlohmann::json> blocked;
    for (const auto& target : upgrades) (target.value("eligible", false) ? eligible : blocked).push_back(target);
    auto label = [](const nlohmann::json& target) {
        return offer_label(text(target, "target_offer_name"), text(target, "target_offer"));
    };

    if (upgrades.empty()) {
        throw Error(Exit::rejected, "subscription_does_not_have_any_upgrade_paths",
                    fmt::format("no upgrade path leaves {}: nothing to choose; nothing was changed", source));
    }
    if (eligible.empty()) {
        out << "No upgrade is eligible now. Why, and what to do:\n";
        std::set<std::string> codes;
        for (const auto& target : blocked) {
            out << "  " << label(target) << '\n';
            print_reasons(out, target.value("errors", nlohmann::json::array()));
            for (const auto& code : error_codes(target)) codes.insert(code);
        }
        std::string listed;
        for (const auto& code : codes) listed += (listed.empty() ? "" : ", ") + code;
        throw Error(Exit::rejected, "no_eligible_target",
                    fmt::format("no upgrade of subscription {} is eligible ({}); nothing was changed", id, listed));
    }

    out << "Eligible upgrades:\n";
    for (std::size_t i = 0; i < eligible.size(); ++i) out << fmt::format("  {}) {}\n", i + 1, label(eligible[i]));
    if (!blocked.empty()) {
        out << "Not eligible now:\n";
        for (const auto& target : blocked) {
            out << "  - " << label(target) << '\n';
            print_reasons(out, target.value("errors", nlohmann::json::array()));
        }
    }
    const auto& target = eligible[choose_target(in, out, eligible.size())];
    UpgradeChoice choice{id, text(target, "target_offer"), 0, details.value("version", 0LL), true};
    const auto target_name = label(target);

    // The number of licenses, until the dry run accepts it: the offer's range is the rules'
    // to say (quantity_out_of_range names it), the prompt checks only that it is a number.
    CommandResult dry;
    for (;;) {
        choice.quantity = choose_quantity(in, out, guided.quantity.value_or(source_quantity));
        choice.dry_run = true;
        dry = guided.upgrade(choice);
        const auto codes = error_codes(dry.records);
        if (codes.empty() || codes != std::vector<std::string>(codes.size(), "quantity_out_of_range")) break;
        for (const auto& error : dry.records["errors"]) out << text(error, "description") << '\n';
    }
    if (guided.dry_run || dry.exit != Exit::ok) return dry;  // printed by main, as `upgrade --to` prints it

    out << fmt::format("\nWhat would happen (a dry run; nothing is changed yet): subscription {} ({}, {} licenses) "
                       "is suspended, replaced by a new subscription of {} with {} licenses.\n",
                       id, source, source_quantity, target_name, choice.quantity);
    print_records(out, dry.records, Format::table);
    out << '\n';
    if (!confirmed(in, out, fmt::format("Upgrade to {} with {} licenses?", target_name, choice.quantity))) {
        throw Error(Exit::rejected, "aborted", "the upgrade was not confirmed: nothing was changed");
    }
    choice.dry_run = false;
    out << '\n';
    return guided.upgrade(choice);
}

}  // namespace subctl::cli
