// Tables for a person: listings within 120 columns on a terminal (every column with
// --wide), errors with their sentence and next step in every format, the Details page.
#include <algorithm>
#include <sstream>

#include <catch2/catch.hpp>

#include "cli/command_result.hpp"
#include "cli/output.hpp"
#include "shared/text.hpp"

using subctl::cli::Format;
using subctl::cli::print_records;
using subctl::cli::TableLayout;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

std::size_t columns(const std::string& line) { return subctl::characters(line); }

const char* const subscription_id = "6f1c2a3b-1111-4222-8333-944455556666";
const char* const customer_id = "0b7e4c1d-aaaa-4bbb-8ccc-dddd0000eeee";

nlohmann::json subscriptions() {
    nlohmann::json rows = nlohmann::json::array();
    for (int i = 0; i < 3; ++i) {
        rows.push_back({{"id", subscription_id},
                        {"customer_id", customer_id},
                        {"offer_id", "o365-business-essentials"},
                        {"quantity", 300},
                        {"status", "suspended"},
                        {"status_reason", "upgraded"},
                        {"channel", "other-reseller"},
                        {"partner_id", "a-partner-with-a-rather-long-identifier"},
                        {"billing_cycle", "monthly"},
                        {"version", 12},
                        {"parent_subscription_id", nullptr},
                        {"upgraded_to", subscription_id},
                        {"upgraded_from", nullptr},
                        {"created_at", "2026-11-01T08:00:00.123456+00:00"},
                        {"updated_at", "2026-11-02T09:30:00.654321+00:00"}});
    }
    return rows;
}

nlohmann::json upgrade_listing() {
    return nlohmann::json::parse(R"([
      {"target_offer": "o365-business-premium", "target_offer_name": "Office 365 Business Premium", "eligible": true, "errors": []},
      {"target_offer": "o365-e3", "target_offer_name": "Office 365 E3", "eligible": false, "errors": [
        {"code": "delegated_admin_permissions_disabled", "details": {"service": "office365", "status": "none"},
         "description": "You have no delegated-admin relationship with this customer for office365.",
         "next_step": "request one: subctl relationship request C --service office365"}]},
      {"target_offer": "o365-proplus", "target_offer_name": "Office 365 ProPlus", "eligible": false, "errors": [
        {"code": "delegated_admin_permissions_disabled", "details": {"service": "office365", "status": "none"},
         "description": "You have no delegated-admin relationship with this customer for office365.",
         "next_step": "request one: subctl relationship request C --service office365"},
        {"code": "target_offer_already_owned", "details": {},
         "description": "The customer already has o365-proplus in subscriptions X.",
         "next_step": "add licenses to the one it has instead"}]}])");
}

}  // namespace

TEST_CASE("a listing on a terminal fits 120 columns, its main columns first", "[output][table]") {
    std::ostringstream out;
    print_records(out, subscriptions(), Format::table, TableLayout{"subscription list", true, 120, ""});
    const auto lines = lines_of(out.str());
    REQUIRE(lines.size() == 4);
    for (const auto& line : lines) {
        INFO(line);
        CHECK(columns(line) <= 120);
    }
    // the reading order of the listing, not the alphabet; the subscription by its prefix,
    // the customer in full (a customer id is not accepted by prefix)
    CHECK(lines[0].rfind("id        offer_id", 0) == 0);
    CHECK(lines[0].find("customer_id") != std::string::npos);
    CHECK(lines[0].find("created_at") == std::string::npos);
    CHECK(lines[1].rfind("6f1c2a3b  ", 0) == 0);
    CHECK(lines[1].find(customer_id) != std::string::npos);
    CHECK(lines[1].find(subscription_id) == std::string::npos);
}

TEST_CASE("a listing too wide for the terminal shortens its longest values with an ellipsis", "[output][table]") {
    auto rows = subscriptions();
    rows[0]["offer_id"] = std::string(150, 'x');
    std::ostringstream out;
    print_records(out, rows, Format::table, TableLayout{"subscription list", true, 120, ""});
    for (const auto& line : lines_of(out.str())) {
        INFO(line);
        CHECK(columns(line) <= 120);
    }
    CHECK(out.str().find("x…") != std::string::npos);
    CHECK(out.str().find(customer_id) != std::string::npos);  // ids are never cut
}

TEST_CASE("--wide (or no terminal) shows every column and every value in full", "[output][table]") {
    std::ostringstream out;
    print_records(out, subscriptions(), Format::table, TableLayout{"subscription list", false, 0, ""});
    const auto lines = lines_of(out.str());
    REQUIRE(lines.size() == 4);
    const auto rows = subscriptions();  // (a temporary's items() would dangle in the loop)
    for (const auto& column : rows[0].items()) {
        INFO(column.key());
        CHECK(lines[0].find(column.key()) != std::string::npos);
    }
    CHECK(lines[1].rfind(subscription_id, 0) == 0);
    CHECK(lines[1].find("2026-11-01T08:00:00.123456+00:00") != std::string::npos);
    CHECK(lines[0].rfind("id  ", 0) == 0);
    CHECK(lines[0].find("offer_id") < lines[0].find("created_at"));  // the main columns still first
}

TEST_CASE("every listing keeps its main columns first, in one order", "[output][table]") {
    const auto audit = nlohmann::json::parse(R"([{"id": 7, "occurred_at": "2026-11-01T08:00:00.5+00:00", "operation": "upgrade",
        "operator": "amy", "outcome": "rejected", "error_codes": ["quantity_out_of_range"], "source": "cli",
        "subscription_id": "6f1c2a3b-1111-4222-8333-944455556666", "changes": {}, "entity": "subscription"}])");
    std::ostringstream out;
    print_records(out, audit, Format::table, TableLayout{"audit", true, 120, ""});
    const auto lines = lines_of(out.str());
    REQUIRE(lines.size() == 2);
    CHECK(lines[0] == "id  occurred_at                operator  operation  outcome   error_codes            subscription_id");
    CHECK(lines[1] == "7   2026-11-01T08:00:00+00:00  amy       upgrade    rejected  quantity_out_of_range  6f1c2a3b");
}

TEST_CASE("a table shows each error's sentence and next step; json and csv carry the fields", "[output][errors]") {
    const auto rejected = nlohmann::json::parse(R"({"status": "rejected", "source_subscription_id": "s",
        "errors": [{"code": "quantity_out_of_range", "details": {"min": 1, "max": 300, "asked": 301},
                    "description": "301 licenses is outside the range of o365-e3: 1 to 300.",
                    "next_step": "ask for 1 to 300 licenses of o365-e3"}]})");
    std::ostringstream table;
    print_records(table, rejected, Format::table);
    CHECK_THAT(table.str(), Catch::Contains("quantity_out_of_range: 301 licenses is outside the range of o365-e3: 1 to 300.\n"
                                            "    next step: ask for 1 to 300 licenses of o365-e3\n"));
    std::ostringstream json;
    print_records(json, rejected, Format::json);
    const auto error = nlohmann::json::parse(json.str())["errors"][0];
    CHECK(error["description"] == rejected["errors"][0]["description"]);
    CHECK(error["next_step"] == rejected["errors"][0]["next_step"]);
    CHECK(error["details"]["max"] == 300);
    std::ostringstream csv;
    print_records(csv, upgrade_listing(), Format::csv);
    CHECK_THAT(csv.str(), Catch::Contains("You have no delegated-admin relationship with this customer for office365.") &&
                              Catch::Contains("request one: subctl relationship request C --service office365"));
    // the stderr line of a refusal
    const auto result = subctl::cli::operation_result(rejected);
    CHECK(result.failure == "quantity_out_of_range: 301 licenses is outside the range of o365-e3: 1 to 300. "
                            "Next step: ask for 1 to 300 licenses of o365-e3");
}

TEST_CASE("upgrades as a table: codes in the rows, below each distinct error once with its targets and next step",
          "[output][errors]") {
    std::ostringstream out;
    print_records(out, upgrade_listing(), Format::table, TableLayout{"upgrades", true, 120, ""});
    const auto text = out.str();
    INFO(text);
    CHECK_THAT(text, Catch::StartsWith("target_offer           target_offer_name       eligible  errors\n"));
    CHECK_THAT(text, Catch::Contains("delegated_admin_permissions_disabled,target_offer_already_owned"));
    // each distinct error once, naming the targets it blocks
    const auto sentence =
        std::string("delegated_admin_permissions_disabled (o365-e3, o365-proplus): You have no delegated-admin relationship");
    REQUIRE(text.find(sentence) != std::string::npos);
    CHECK(text.find(sentence) == text.rfind(sentence));
    CHECK_THAT(text, Catch::Contains("\n  target_offer_already_owned (o365-proplus): The customer already has o365-proplus in "
                                     "subscriptions X.\n    next step: add licenses to the one it has instead\n"));
    for (const auto& line : lines_of(text)) CHECK(columns(line) <= 120);
}

TEST_CASE("upgrades of an offer with no upgrade path says so", "[output][upgrades]") {
    const auto note = subctl::cli::no_upgrade_path("o365-e3", "Office 365 E3");
    std::ostringstream table;
    print_records(table, nlohmann::json::array(), Format::table, TableLayout{"upgrades", true, 120, note});
    CHECK(table.str() == "No upgrade path leaves offer o365-e3 (Office 365 E3): it has no upgrade target.\n");
    std::ostringstream json;
    print_records(json, nlohmann::json::array(), Format::json, TableLayout{"upgrades", true, 120, note});
    CHECK(json.str() == "[]\n");
}

TEST_CASE("the Details page: the subscription, Upgrade now with the command, Blocked with the reasons", "[output][details]") {
    auto details = nlohmann::json::parse(R"({"customer_id": "0b7e4c1d-aaaa-4bbb-8ccc-dddd0000eeee",
        "offer_id": "o365-business", "offer_name": "Office 365 Business", "quantity": 10, "status": "active",
        "status_reason": null, "billing_cycle": "monthly", "channel": "csp", "partner_id": "contoso-cn", "version": 3,
        "parent_subscription_id": null, "upgraded_to": null, "upgraded_from": null,
        "add_ons": [], "relationship": {"status": "active", "expires_at": "2027-11-01T00:00:00+00:00"},
        "upgrade_now": true, "licenses_assigned": 4})");
    details["id"] = subscription_id;
    details["upgrades"] = upgrade_listing();
    std::ostringstream out;
    print_records(out, details, Format::table, TableLayout{"subscription show", true, 120, ""});
    const auto text = out.str();
    INFO(text);
    CHECK_THAT(text, Catch::StartsWith(std::string("Subscription   ") + subscription_id + "\n"));
    for (const auto* line : {"Offer          o365-business (Office 365 Business)\n", "Quantity       10\n",
                             "Assigned       4 to users\n",
                             "Status         active\n", "Billing cycle  monthly\n", "Channel        csp\n",
                             "Partner        contoso-cn\n", "Version        3\n",
                             "Relationship   active, expires 2027-11-01T00:00:00+00:00\n", "Add-ons        none\n"}) {
        CHECK_THAT(text, Catch::Contains(line));
    }
    CHECK_THAT(text, Catch::Contains(std::string("\nUpgrade now\n  o365-business-premium (Office 365 Business Premium)\n"
                                                 "    subctl upgrade ") +
                                     subscription_id + " --to o365-business-premium\n"));
    CHECK_THAT(text, Catch::Contains("\nBlocked\n  o365-e3 (Office 365 E3)\n"
                                     "    delegated_admin_permissions_disabled: You have no delegated-admin relationship "
                                     "with this customer for office365.\n"
                                     "      next step: request one: subctl relationship request C --service office365\n"));
    CHECK(text.find("subctl upgrade " + std::string(subscription_id) + " --to o365-e3") == std::string::npos);
    for (const auto& line : lines_of(text)) CHECK(columns(line) <= 120);

    details["upgrades"] = nlohmann::json::array();
    details["upgrade_now"] = false;
    std::ostringstream none;
    print_records(none, details, Format::table, TableLayout{"subscription show", true, 120, ""});
    CHECK_THAT(none.str(), Catch::Contains("\nUpgrade now\n  No upgrade path leaves offer o365-business (Office 365 "
                                           "Business): it has no upgrade target.\n"));
    CHECK(none.str().find("Blocked") == std::string::npos);

    std::ostringstream json;
    print_records(json, details, Format::json, TableLayout{"subscription show", true, 120, ""});
    CHECK(nlohmann::json::parse(json.str()) == details);
}

TEST_CASE("a narrow terminal never cuts an id below its prefix: it drops the last columns", "[output][table]") {
    std::ostringstream out;
    print_records(out, subscriptions(), Format::table, TableLayout{"subscription list", true, 60, ""});
    const auto lines = lines_of(out.str());
    REQUIRE(lines.size() == 4);
    for (const auto& line : lines) {
        INFO(line);
        CHECK(columns(line) <= 60);
        CHECK(line.find("6f1c2…") == std::string::npos);
    }
    CHECK(lines[1].rfind("6f1c2a3b  ", 0) == 0);  // still the 8 characters subctl accepts
}

// The columns a terminal gives the text, by the East Asian Wide and Fullwidth ranges
// (Unicode UAX #11) the test's names use: the check that does not ask display_width.
static std::size_t terminal_columns(const std::string& text) {
    std::size_t width = 0;
    for (std::size_t i = 0; i < text.size();) {
        const auto c = static_cast<unsigned char>(text[i]);
        const std::size_t length = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
        char32_t code = length == 1 ? c : c & (0xFF >> (length + 1));
        for (std::size_t k = 1; k < length; ++k) code = (code << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
        i += length;
        const bool wide = (code >= 0x2E80 && code <= 0xA4CF) || (code >= 0xAC00 && code <= 0xD7A3) ||
                          (code >= 0xF900 && code <= 0xFAFF) || (code >= 0xFF00 && code <= 0xFF60);
        width += wide ? 2 : 1;
    }
    return width;
}

TEST_CASE("Chinese names take two columns each: a 120-column table stays aligned and cuts no character",
          "[output][table][width]") {
    // the customers of 21Vianet: names in Chinese, some longer than the terminal allows
    const std::string long_name = "北京世纪互联宽带数据中心有限公司上海分公司第一事业部华东区域客户服务与技术支持中心"
                                  "云计算办公协作平台采购项目组（二期）联系人王先生张女士李经理";
    const auto rows = nlohmann::json::array(
        {{{"id", customer_id}, {"name", "世纪互联"}, {"domain", "21v.partner.onmschina.cn"}},
         {{"id", "1b7e4c1d-aaaa-4bbb-8ccc-dddd0000eeee"}, {"name", long_name}, {"domain", "contoso.partner.onmschina.cn"}},
         {{"id", "2b7e4c1d-aaaa-4bbb-8ccc-dddd0000eeee"}, {"name", "Contoso Ｆｕｌｌｗｉｄｔｈ"}, {"domain", "c.cn"}}});
    std::ostringstream out;
    print_records(out, rows, Format::table, TableLayout{"customer list", true, 120, ""});
    const auto lines = lines_of(out.str());
    REQUIRE(lines.size() == 4);
    std::vector<std::size_t> domain_at;
    for (const auto& line : lines) {
        INFO(line);
        CHECK(terminal_columns(line) <= 120);
        CHECK_FALSE(subctl::invalid_utf8_at(line).has_value());  // no character cut in two
        // the domain column starts at the same display column on every line
        const auto at = line.find(line == lines[0] ? "domain" : ".cn") ;
        REQUIRE(at != std::string::npos);
        const auto start = line.rfind("  ", at);
        domain_at.push_back(terminal_columns(line.substr(0, start)));
    }
    CHECK(std::all_of(domain_at.begin(), domain_at.end(), [&](std::size_t at) { return at == domain_at[0]; }));
    CHECK(lines[2].find("…") != std::string::npos);  // the long name cut, with its ellipsis
    CHECK(subctl::display_width("世纪互联") == 8);
    CHECK(subctl::display_width("Ｆｕｌｌ") == 8);
    CHECK(subctl::display_prefix("世纪互联", 5) == "世纪");  // never half a character
}

TEST_CASE("ids that start alike are shown by longer prefixes until they differ", "[output][table][prefix]") {
    auto rows = subscriptions();
    rows[1]["id"] = "6f1c2a3b-1111-4222-8333-000000000000";  // shares 28 characters with rows[0]
    rows[2]["id"] = "6f1c2a3b-2222-4222-8333-944455556666";  // shares 9
    rows[0]["upgraded_to"] = nullptr;
    std::ostringstream out;
    print_records(out, rows, Format::table, TableLayout{"subscription list", true, 120, ""});
    const auto lines = lines_of(out.str());
    REQUIRE(lines.size() == 4);
    CHECK(lines[1].rfind("6f1c2a3b-1111-4222-8333-9  ", 0) == 0);
    CHECK(lines[2].rfind("6f1c2a3b-1111-4222-8333-0  ", 0) == 0);
    CHECK(lines[3].rfind("6f1c2a3b-2  ", 0) == 0);  // a hyphen is never the last character shown

    // ids unlike the others keep the shortest prefix
    auto apart = subscriptions();
    apart[1]["id"] = "7f1c2a3b-1111-4222-8333-944455556666";
    std::ostringstream short_out;
    print_records(short_out, apart, Format::table, TableLayout{"subscription list", true, 120, ""});
    CHECK(lines_of(short_out.str())[2].rfind("7f1c2a3b  ", 0) == 0);
}

TEST_CASE("batch show: each rejected row's codes in the table, its description and next step below; json and csv whole",
          "[output][batch]") {
    const auto rows = nlohmann::json::parse(R"([
      {"line": 2, "status": "applied", "action": "suspend", "subscription_id": "6f1c2a3b-1111-4222-8333-944455556666",
       "error_codes": [], "errors": [], "new_subscription_id": null, "request_id": "b:2"},
      {"line": 3, "status": "rejected", "action": "remove_licenses", "subscription_id": "0b7e4c1d-aaaa-4bbb-8ccc-dddd0000eeee",
       "error_codes": ["quantity_out_of_range"], "new_subscription_id": null, "request_id": "b:3",
       "errors": [{"code": "quantity_out_of_range", "details": {"min": 1, "max": 300, "asked": 0},
                   "description": "Removing 20 licenses would leave 0, outside the range of o365-e3: 1 to 300.",
                   "next_step": "subscription 0b7e4c1d has 20 licenses and o365-e3 needs 1 to 300: remove fewer"}]}])");
    std::ostringstream table;
    print_records(table, rows, Format::table, TableLayout{"batch show", true, 120, ""});
    const auto text = table.str();
    INFO(text);
    const auto lines = lines_of(text);
    CHECK(lines[0].rfind("line  status    action           subscription_id  errors", 0) == 0);
    CHECK(lines[2].find("rejected  remove_licenses  0b7e4c1d         quantity_out_of_range") != std::string::npos);
    CHECK(text.find("quantity_out_of_range (3): Removing 20 licenses would leave 0") != std::string::npos);
    CHECK(text.find("next step: subscription 0b7e4c1d has 20 licenses") != std::string::npos);

    std::ostringstream json;
    print_records(json, rows, Format::json);
    CHECK(nlohmann::json::parse(json.str())[1]["errors"] == rows[1]["errors"]);

    std::ostringstream csv;
    print_records(csv, rows, Format::csv);
    CHECK(csv.str().find("\"[{\"\"code\"\":\"\"quantity_out_of_range\"\",\"\"description\"\":\"\"Removing 20 licenses") !=
          std::string::npos);
}
