// What a table shows beyond its cells: the errors' sentences and next steps, and the
// Details page of a subscription (SPEC 7.2).
#include <algorithm>
#include <sstream>

#include <fmt/format.h>

#include "cli/output.hpp"
#include "shared/text.hpp"

namespace subctl::cli {

namespace {

std::string text_of(const nlohmann::json& value) {
    if (value.is_null()) return "";
    if (value.is_string()) return visible(value.get<std::string>());
    return visible(value.dump());
}

// A paragraph as lines of at most width columns (words kept whole), the first starting
// with `first`, the others with `rest` (its indentation). width 0: one line.
void print_wrapped(std::ostream& out, const std::string& first, const std::string& rest, const std::string& text,
                   std::size_t width) {
    const auto columns = [](const std::string& s) { return display_width(s); };  // as table.cpp counts them
    if (width == 0) {
        out << first << text << '\n';
        return;
    }
    std::istringstream words(text);
    std::string word;
    std::string line = first;
    bool empty = true;
    while (words >> word) {
        if (!empty && columns(line) + 1 + columns(word) > width) {
            out << line << '\n';
            line = rest;
            empty = true;
        }
        line += (empty ? "" : " ") + word;
        empty = false;
    }
    out << line << '\n';
}

// `code (where): description`, then `next step: ...` below it.
void print_error(std::ostream& out, const nlohmann::json& error, const std::string& where, const std::string& indent,
                 std::size_t width) {
    const auto description = text_of(error.value("description", nlohmann::json()));
    print_wrapped(out, indent + error.value("code", "") + where + ": ", indent + "    ", description, width);
    const auto next_step = text_of(error.value("next_step", nlohmann::json()));
    if (!next_step.empty()) print_wrapped(out, indent + "  next step: ", indent + "    ", next_step, width);
}

bool is_error_object(const nlohmann::json& value) { return value.is_object() && value.contains("code"); }

}  // namespace

void collect_errors(const nlohmann::json& record, const std::string& row, std::vector<ListedError>& errors) {
    if (record.is_array() && !record.empty() && std::all_of(record.begin(), record.end(), is_error_object)) {
        for (const auto& error : record) {
            auto met = std::find_if(errors.begin(), errors.end(), [&error](const auto& e) { return e.error == error; });
            if (met == errors.end()) met = errors.insert(errors.end(), ListedError{error, {}});
            if (!row.empty() && std::find(met->rows.begin(), met->rows.end(), row) == met->rows.end()) {
                met->rows.push_back(row);
            }
        }
    } else if (record.is_array() || record.is_object()) {
        for (const auto& element : record) collect_errors(element, row, errors);
    }
}

void print_errors(std::ostream& out, const std::vector<ListedError>& errors, std::size_t width) {
    if (errors.empty()) return;
    out << '\n' << (errors.size() == 1 ? "Error:" : "Errors:") << '\n';
    for (const auto& [error, rows] : errors) {
        std::string in;
        for (const auto& row : rows) in += (in.empty() ? " (" : ", ") + row;
        print_error(out, error, in.empty() ? "" : in + ")", "  ", width);
    }
}

std::string no_upgrade_path(const std::string& offer_id, const std::string& offer_name) {
    return fmt::format("No upgrade path leaves offer {}{}: it has no upgrade target.", offer_id,
                       offer_name.empty() ? "" : " (" + offer_name + ")");
}

void print_subscription_details(std::ostream& out, const nlohmann::json& details, std::size_t width) {
    const auto field = [&details](const char* key) { return text_of(details.value(key, nlohmann::json())); };
    const auto line = [&out](const char* label, const std::string& value) {
        out << fmt::format("{:<15}{}", label, value) << '\n';
    };
    const auto id = field("id");
    line("Subscription", id);
    line("Customer", field("customer_id"));
    line("Offer", field("offer_id") + (field("offer_name").empty() ? "" : " (" + field("offer_name") + ")"));
    line("Quantity", field("quantity"));
    if (details.contains("licenses_assigned")) line("Assigned", field("licenses_assigned") + " to users");
    line("Status", field("status") + (field("status_reason").empty() ? "" : " (" + field("status_reason") + ")"));
    line("Billing cycle", field("billing_cycle"));
    line("Channel", field("channel"));
    // partner_id is the acting partner's own id, or null: sold directly, by another
    // reseller, or by another partner (who is never named)
    line("Partner", !field("partner_id").empty() ? field("partner_id")
                    : field("channel") == "csp" ? "another partner" : "none");
    line("Version", field("version"));
    const auto relationship = details.value("relationship", nlohmann::json::object());
    const auto expires = text_of(relationship.value("expires_at", nlohmann::json()));
    auto status = text_of(relationship.value("status", nlohmann::json()));
    std::replace(status.begin(), status.end(), '_', ' ');  // held_by_another_partner as words
    line("Relationship", status +
                             (expires.empty() ? "" : ", expires " + to_the_second(expires)));
    std::string add_ons;
    for (const auto& add_on : details.value("add_ons", nlohmann::json::array())) {
        add_ons += (add_ons.empty() ? "" : ", ") + text_of(add_on);
    }
    line("Add-ons", add_ons.empty() ? "none" : add_ons);
    if (!field("parent_subscription_id").empty()) line("Add-on of", field("parent_subscription_id"));
    if (!field("upgraded_from").empty()) line("Upgraded from", field("upgraded_from"));
    if (!field("upgraded_to").empty()) line("Upgraded to", field("upgraded_to"));

    const auto upgrades = details.value("upgrades", nlohmann::json::array());
    out << "\nUpgrade now\n";
    if (upgrades.empty()) {
        print_wrapped(out, "  ", "  ", no_upgrade_path(field("offer_id"), field("offer_name")), width);
        return;
    }
    const auto target = [](const nlohmann::json& upgrade) {
        const auto name = text_of(upgrade.value("target_offer_name", nlohmann::json()));
        return upgrade.value("target_offer", "") + (name.empty() ? "" : " (" + name + ")");
    };
    bool any_eligible = false;
    for (const auto& upgrade : upgrades) {
        if (!upgrade.value("eligible", false)) continue;
        any_eligible = true;
        out << "  " << target(upgrade) << '\n'
            << "    subctl upgrade " << id << " --to " << upgrade.value("target_offer", "") << '\n';
    }
    if (!any_eligible) out << "  none: every upgrade target is blocked (see below)\n";
    bool blocked_header = false;
    for (const auto& upgrade : upgrades) {
        if (upgrade.value("eligible", false)) continue;
        if (!blocked_header) out << "\nBlocked\n";
        blocked_header = true;
        out << "  " << target(upgrade) << '\n';
        for (const auto& error : upgrade.value("errors", nlohmann::json::array())) print_error(out, error, "", "    ", width);
    }
}

}  // namespace subctl::cli
