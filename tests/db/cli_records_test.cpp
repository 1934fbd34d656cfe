// The binary for records, end to end (SPEC 4 and 6): partner, customer, relationship and
// subscription commands with their JSON, CSV and table output, and every kind of bad
// input: one line naming what is wrong, the documented exit code, nothing written.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "cli/output.hpp"
#include "db/support.hpp"

namespace {

// A field as subctl writes it in CSV (the output layer's own code).
std::string csv_field(const std::string& value) {
    nlohmann::json rows = nlohmann::json::array();
    rows.push_back({{"field", value}});
    std::ostringstream line;
    subctl::cli::print_csv_rows(line, rows, {"field"}, false);
    return line.str().substr(0, line.str().size() - 1);  // without the newline
}

// A name that a careless layer would break: quotes, a comma and SQL.
std::string hostile_name(const std::string& prefix) {
    return test::unique(prefix) + " O'Brien, \"Ltd\"; DROP TABLE core.customers; --";
}

}  // namespace

TEST_CASE("partner add records a partner; a taken id, a bad id or name writes nothing", "[db][cli]") {
    const auto id = test::unique("p");
    const auto name = hostile_name("Partner");
    const auto added = test::subctl({"-o", "json", "partner", "add", id, "--name", name});
    INFO(added.err);
    REQUIRE(added.exit == 0);
    CHECK(added.json()["id"] == id);
    CHECK(test::scalar("SELECT count(*) FROM core.partners WHERE id = $1 AND name = $2", id, name) == 1);

    // a refusal: the coded result on stdout, `CODE: sentence` on stderr, audited under no partner
    const auto again = test::subctl({"-o", "json", "partner", "add", id, "--name", "Someone else"});
    CHECK(again.exit == 1);
    CHECK(again.err == "subctl: partner_exists: Partner " + id + " already exists. Next step: choose another partner id\n");
    CHECK(again.json()["status"] == "rejected");
    CHECK(again.json()["id"] == id);
    CHECK(again.json()["errors"][0]["code"] == "partner_exists");
    CHECK(test::scalar("SELECT count(*) FROM core.partners WHERE id = $1 AND name = $2", id, name) == 1);
    CHECK(test::scalar("SELECT count(*) FROM core.audit_events WHERE operation = 'add_partner' AND outcome = 'rejected' "
                       "AND entity_id = $1 AND partner_id IS NULL AND source = 'cli' AND error_codes = '{partner_exists}'",
                       id) == 1);
    const auto table = test::subctl({"partner", "add", id, "--name", "Someone else"});
    CHECK(table.exit == 1);
    CHECK_THAT(table.out, Catch::Contains("status") && Catch::Contains("rejected") && Catch::Contains("partner_exists"));

    const auto bad_id = "Bad Partner " + test::unique("x");
    const auto refused = test::subctl({"partner", "add", bad_id, "--name", "Bad"});
    CHECK(refused.exit == 65);
    // the rule, as a sentence: never the raw constraint name or PostgreSQL's text
    CHECK_THAT(refused.err, Catch::Contains("invalid_argument: partner id") && !Catch::Contains("check_partners_id_format"));
    CHECK(test::scalar("SELECT count(*) FROM core.partners WHERE id = $1", bad_id) == 0);

    const auto other = test::unique("p");
    const auto too_long = test::subctl({"partner", "add", other, "--name", std::string(201, 'n')});
    CHECK(too_long.exit == 65);
    CHECK_THAT(too_long.err, Catch::Contains("partner name must have 1 to 200 characters"));
    CHECK(test::scalar("SELECT count(*) FROM core.partners WHERE id = $1", other) == 0);
}

TEST_CASE("customer add prints the id; customer list shows the customer as json, csv and table", "[db][cli]") {
    const auto partner = test::new_partner();
    const auto name = hostile_name("Customer");
    const auto added = test::subctl({"-o", "json", "--partner", partner, "customer", "add", "--name", name});
    INFO(added.err);
    REQUIRE(added.exit == 0);
    const auto id = added.json()["id"].get<std::string>();
    CHECK(id.size() == 36);
    CHECK(test::scalar("SELECT count(*) FROM core.customers WHERE id = $1::uuid AND name = $2", id, name) == 1);

    const auto listed = test::subctl({"--partner", partner, "customer", "list", "-o", "json"}).json();
    REQUIRE(listed.size() == 1);
    CHECK(listed[0]["id"] == id);
    CHECK(listed[0]["name"] == name);

    const auto csv = test::subctl({"--partner", partner, "-o", "csv", "customer", "list"});
    REQUIRE(csv.exit == 0);
    std::istringstream lines(csv.out);
    std::string header, row, rest;
    std::getline(lines, header);
    std::getline(lines, row);
    CHECK(header.rfind("id,name,", 0) == 0);
    CHECK(row.rfind(id + "," + csv_field(name) + ",", 0) == 0);
    CHECK_FALSE(std::getline(lines, rest));

    const auto table = test::subctl({"--partner", partner, "-o", "table", "customer", "list"});
    REQUIRE(table.exit == 0);
    CHECK_THAT(table.out, Catch::Contains(id) && Catch::Contains(name));

    const auto stranger = test::new_partner();
    CHECK(test::subctl({"--partner", stranger, "-o", "json", "customer", "list"}).json().empty());

    const auto fresh_id = test::unique("x").substr(2, 8) + "-4d5e-4f60-8a7b-9c0d1e2f3a4b";
    const auto with_id = test::subctl({"-o", "json", "--partner", partner, "customer", "add", "--name", "Chosen id",
                                       "--id", fresh_id});
    INFO(with_id.err);
    CHECK(with_id.exit == 0);
    CHECK(with_id.json()["id"] == fresh_id);
}

TEST_CASE("customer add refuses malformed ids and over-long names, writing nothing", "[db][cli]") {
    const auto partner = test::new_partner();
    const auto name = test::unique("Customer");
    const auto bad_id = test::subctl({"--partner", partner, "customer", "add", "--name", name, "--id", "12345-not-uuid"});
    CHECK(bad_id.exit == 65);
    CHECK_THAT(bad_id.err, Catch::Contains("'12345-not-uuid' is not a UUID"));
    const auto too_long = test::subctl({"--partner", partner, "customer", "add", "--name", name + std::string(200, 'n')});
    CHECK(too_long.exit == 65);
    CHECK_THAT(too_long.err, Catch::Contains("customer name must have 1 to 200 characters"));
    CHECK(test::scalar("SELECT count(*) FROM core.customers WHERE name LIKE $1", name + "%") == 0);
    CHECK(test::scalar("SELECT count(*) FROM core.partner_customers WHERE partner_id = $1", partner) == 0);
}

TEST_CASE("relationship request, accept, remove and list; a second partner's accept is refused", "[db][cli]") {
    const auto partner = test::new_partner();
    const auto customer = test::new_customer(partner, false);
    const auto run = [](const std::string& as, const std::vector<std::string>& args) {
        std::vector<std::string> full{"-o", "json", "--partner", as, "relationship"};
        full.insert(full.end(), args.begin(), args.end());
        return test::subctl(full);
    };
    const auto statuses = [&](const std::string& as) {
        std::vector<std::string> seen;
        for (const auto& r : run(as, {"list", "--customer", customer}).json()) seen.push_back(r["status"]);
        return seen;
    };

    REQUIRE(run(partner, {"request", customer, "--service", "office365"}).exit == 0);
    CHECK(statuses(partner) == std::vector<std::string>{"requested"});
    const auto accepted = run(partner, {"accept", customer, "--service", "office365"});
    INFO(accepted.err);
    REQUIRE(accepted.exit == 0);
    CHECK(statuses(partner) == std::vector<std::string>{"active"});
    CHECK_FALSE(run(partner, {"list"}).json()[0]["expires_at"].is_null());

    const auto rival = test::new_partner();
    const auto unseen = run(rival, {"request", customer, "--service", "office365"});
    CHECK(unseen.exit == 1);
    CHECK_THAT(unseen.err, Catch::Contains("customer_not_found"));
    CHECK(test::scalar("SELECT count(*) FROM core.relationships WHERE partner_id = $1", rival) == 0);
    // the customer accepts the rival's reseller invitation: the platform links it
    REQUIRE(test::subctl({"customer", "link", customer, rival}).exit == 0);
    const auto requested = run(rival, {"request", customer, "--service", "office365"});
    INFO(requested.err);
    REQUIRE(requested.exit == 0);
    const auto refused = run(rival, {"accept", customer, "--service", "office365", "--request-id", test::unique("acc")});
    CHECK(refused.exit == 1);
    CHECK(refused.err == "subctl: relationship_already_active: The customer already has an active delegated-admin "
                         "partner for this service. Next step: the customer removes the active delegated-admin "
                         "relationship for office365 in the Office 365 admin center operated by 21Vianet; then accept "
                         "again\n");
    CHECK_THAT(refused.err + refused.out, !Catch::Contains(partner));
    CHECK(refused.json()["status"] == "rejected");
    CHECK(refused.json()["relationship_status"] == "requested");
    CHECK(refused.json()["errors"][0]["code"] == "relationship_already_active");
    // a refused accept is audited like every attempt, under the acting partner
    CHECK(test::scalar("SELECT count(*) FROM core.audit_events WHERE operation = 'accept_relationship' "
                       "AND outcome = 'rejected' AND partner_id = $1 AND customer_id = $2::uuid AND source = 'cli' "
                       "AND error_codes = '{relationship_already_active}'",
                       rival, customer) == 1);
    CHECK(statuses(rival) == std::vector<std::string>{"requested"});
    CHECK(test::scalar("SELECT count(*) FROM core.relationships WHERE customer_id = $1::uuid AND status = 'active'",
                     customer) == 1);

    REQUIRE(run(partner, {"remove", customer, "--service", "office365"}).exit == 0);
    CHECK(statuses(partner) == std::vector<std::string>{"removed"});
    CHECK(run(rival, {"accept", customer, "--service", "office365"}).exit == 0);
    CHECK(statuses(rival) == std::vector<std::string>{"active"});

    const auto no_request = test::new_customer(partner, false);
    const auto premature = run(partner, {"accept", no_request});
    CHECK(premature.exit == 1);
    CHECK(premature.err == "subctl: invalid_relationship_transition: There is no requested relationship to accept. "
                           "Next step: see the relationship: subctl relationship list --customer " + no_request +
                           "; a new one starts with subctl relationship request " + no_request +
                           " --service office365\n");
    CHECK(premature.json()["errors"][0]["code"] == "invalid_relationship_transition");
    const auto dry = run(partner, {"accept", no_request, "--dry-run"});
    CHECK(dry.exit == 1);
    CHECK(dry.err == premature.err);
    CHECK(dry.json()["status"] == "dry_run");
    CHECK(test::scalar("SELECT count(*) FROM core.relationships WHERE customer_id = $1::uuid", no_request) == 0);
}

TEST_CASE("relationship commands refuse unknown and malformed customers, writing nothing", "[db][cli]") {
    const auto partner = test::new_partner();
    const auto unknown = test::subctl({"--partner", partner, "relationship", "request", test::nil_uuid});
    CHECK(unknown.exit == 1);
    CHECK(unknown.err == std::string("subctl: customer_not_found: Customer ") + test::nil_uuid +
                             " does not exist. Next step: find the customer: subctl customer list --search TEXT\n");
    CHECK_THAT(unknown.out, Catch::Contains("rejected") && Catch::Contains("customer_not_found"));
    // not an id: a domain or name no customer of the partner has
    const auto unnamed = test::subctl({"--partner", partner, "relationship", "request", "contoso"});
    CHECK(unnamed.exit == 1);
    CHECK(unnamed.err == "subctl: customer_not_found: no customer has the id, domain or name \"contoso\"; "
                         "subctl customer list --search TEXT\n");
    const auto bad_filter = test::subctl({"--partner", partner, "relationship", "list", "--customer", "42"});
    CHECK(bad_filter.exit == 1);
    CHECK_THAT(bad_filter.err, Catch::StartsWith("subctl: customer_not_found: no customer has the id, domain or name \"42\""));
    CHECK(test::scalar("SELECT count(*) FROM core.relationships WHERE partner_id = $1", partner) == 0);
}

TEST_CASE("subscription add, list and show", "[db][cli]") {
    const auto partner = test::new_partner();
    const auto customer = test::new_customer(partner);
    const auto e3 = test::new_subscription(partner, customer, "o365-e3");
    const auto direct = test::new_subscription(partner, customer, "o365-business",
                                               {"--channel", "direct", "--billing-cycle", "annual", "--status", "pending"});
    const auto add_on = test::new_subscription(partner, customer, "o365-extra-file-storage", {"--parent", e3});

    const auto shown = test::subctl({"-o", "json", "--partner", partner, "subscription", "show", e3}).json();
    CHECK(shown["id"] == e3);
    CHECK(shown["customer_id"] == customer);
    CHECK(shown["offer_id"] == "o365-e3");
    CHECK(shown["quantity"] == 10);
    CHECK(shown["status"] == "active");
    CHECK(shown["channel"] == "csp");
    CHECK(shown["partner_id"] == partner);
    CHECK(shown["billing_cycle"] == "monthly");
    CHECK(shown["version"] == 1);
    REQUIRE(shown.contains("upgraded_to"));
    CHECK(shown["upgraded_to"].is_null());

    const auto other = test::subctl({"-o", "json", "--partner", partner, "subscription", "show", direct}).json();
    CHECK(other["channel"] == "direct");
    CHECK(other["partner_id"].is_null());
    CHECK(other["billing_cycle"] == "annual");
    CHECK(other["status"] == "pending");
    CHECK(test::subctl({"-o", "json", "--partner", partner, "subscription", "show", add_on}).json()
              ["parent_subscription_id"] == e3);

    std::set<std::string> listed;
    for (const auto& s : test::subctl({"-o", "json", "--partner", partner, "subscription", "list", "--customer", customer})
                             .json()) {
        listed.insert(s["id"].get<std::string>());
    }
    CHECK(listed == std::set<std::string>{e3, direct, add_on});

    const auto csv = test::subctl({"-o", "csv", "--partner", partner, "subscription", "list", "--customer", customer});
    REQUIRE(csv.exit == 0);
    std::istringstream lines(csv.out);
    std::string line;
    std::getline(lines, line);
    CHECK(line.rfind("id,", 0) == 0);
    int rows = 0;
    while (std::getline(lines, line)) {
        CHECK(listed.count(line.substr(0, 36)) == 1);
        ++rows;
    }
    CHECK(rows == 3);

    const auto table = test::subctl({"--partner", partner, "subscription", "list", "--customer", customer});
    REQUIRE(table.exit == 0);
    CHECK_THAT(table.out, Catch::Contains(e3) && Catch::Contains(direct) && Catch::Contains(add_on));
}

TEST_CASE("subscription add refuses bad quantities, offers and ids, writing nothing", "[db][cli]") {
    const auto partner = test::new_partner();
    const auto customer = test::new_customer(partner);
    const auto add = [&](const std::string& who, const std::string& offer, const std::string& quantity) {
        return test::subctl({"-o", "json", "--partner", partner, "subscription", "add", who, "--offer", offer,
                             "--quantity", quantity});
    };
    for (const std::string quantity : {"0", "-5", "2147483648", "99999999999999999999", "ten", "1.5", "", "7 "}) {
        const auto run = add(customer, "o365-e3", quantity);
        INFO("quantity '" << quantity << "': " << run.err);
        CHECK(run.exit == 65);
        CHECK_THAT(run.err, Catch::Contains("quantity '" + quantity + "' is not a whole number"));
    }
    const auto over_max = add(customer, "o365-business", "301");
    CHECK(over_max.exit == 1);
    CHECK(over_max.json()["errors"][0]["code"] == "quantity_out_of_range");

    const auto unknown_offer = add(customer, "o365-e5", "1");
    CHECK(unknown_offer.exit == 1);
    CHECK(unknown_offer.json()["errors"][0]["code"] == "offer_not_found");

    const auto unknown_customer = add(test::nil_uuid, "o365-e3", "1");
    CHECK(unknown_customer.exit == 1);
    CHECK(unknown_customer.json()["errors"][0]["code"] == "customer_not_found");
    const auto unnamed = add("not-a-customer", "o365-e3", "1");
    CHECK(unnamed.exit == 1);
    CHECK_THAT(unnamed.err, Catch::StartsWith("subctl: customer_not_found: no customer has the id, domain or name"));

    const auto bad_parent = test::subctl({"--partner", partner, "subscription", "add", customer, "--offer",
                                          "o365-extra-file-storage", "--quantity", "1", "--parent", "parent-x"});
    CHECK(bad_parent.exit == 65);
    CHECK(bad_parent.err == "subctl: invalid_argument: SUBSCRIPTION \"parent-x\" is not a subscription id or a prefix of one\n");

    CHECK(test::scalar("SELECT count(*) FROM core.subscriptions WHERE customer_id = $1::uuid", customer) == 0);
    CHECK(test::scalar("SELECT count(*) FROM core.subscriptions WHERE customer_id = $1::uuid", std::string(test::nil_uuid)) == 0);
}

TEST_CASE("subscription show refuses unknown and malformed ids", "[db][cli]") {
    const auto partner = test::new_partner();
    const auto unknown = test::subctl({"--partner", partner, "subscription", "show", test::nil_uuid});
    CHECK(unknown.exit == 1);
    CHECK_THAT(unknown.err, Catch::Contains("subscription_not_found"));
    const auto malformed = test::subctl({"--partner", partner, "subscription", "show", "sub-1"});
    CHECK(malformed.exit == 65);
    CHECK(malformed.err == "subctl: invalid_argument: SUBSCRIPTION \"sub-1\" is not a subscription id or a prefix of one\n");

    // Another partner's subscription does not exist for this partner.
    const auto owner = test::new_partner();
    const auto hidden = test::new_subscription(owner, test::new_customer(owner), "o365-e1");
    const auto foreign = test::subctl({"--partner", partner, "subscription", "show", hidden});
    CHECK(foreign.exit == 1);
    CHECK_THAT(foreign.err, Catch::Contains("subscription_not_found") && !Catch::Contains(owner));
}

TEST_CASE("an unreachable database, a missing config file or no partner: one line, exit code, nothing written",
          "[db][cli]") {
    const auto name = test::unique("Customer");
    const auto unreachable = test::subctl({"--db", "postgresql:///x?host=/nonexistent", "--partner", "anyone",
                                           "customer", "add", "--name", name});
    CHECK(unreachable.exit == 69);
    CHECK_THAT(unreachable.err, Catch::StartsWith("subctl: database_unavailable: "));

    const auto missing = test::subctl({"--config", "/nonexistent.toml", "customer", "add", "--name", name});
    CHECK(missing.exit == 78);
    CHECK_THAT(missing.err, Catch::Contains("/nonexistent.toml"));

    const test::TempFile empty("");
    const auto no_partner = test::subctl({"--config", empty.path, "customer", "add", "--name", name},
                                         {{"SUBCTL_PARTNER", ""}});
    CHECK(no_partner.exit == 78);
    CHECK_THAT(no_partner.err, Catch::Contains("partner_context_missing"));
    for (const auto* run : {&unreachable, &missing, &no_partner}) {
        CHECK(std::count(run->err.begin(), run->err.end(), '\n') == 1);  // one line, any hint folded into it
    }
    CHECK(test::scalar("SELECT count(*) FROM core.customers WHERE name = $1", name) == 0);
}

TEST_CASE("the acting partner comes from --partner, else SUBCTL_PARTNER, else the config file", "[db][cli]") {
    const auto from_file = test::new_partner();
    const auto from_env = test::new_partner();
    const auto from_flag = test::new_partner();
    const test::TempFile config("[operator]\npartner = \"" + from_file + "\"\n");
    const auto acting = [&](const std::vector<std::string>& extra, const std::map<std::string, std::string>& env) {
        std::vector<std::string> args{"-o", "json", "--config", config.path};
        args.insert(args.end(), extra.begin(), extra.end());
        args.insert(args.end(), {"customer", "add", "--name", test::unique("Customer")});
        const auto run = test::subctl(args, env);
        INFO(run.err);
        REQUIRE(run.exit == 0);
        return test::scalar<std::string>("SELECT created_by_partner_id FROM core.customers WHERE id = $1::uuid",
                                   run.json()["id"].get<std::string>());
    };
    CHECK(acting({}, {{"SUBCTL_PARTNER", ""}}) == from_file);
    CHECK(acting({}, {{"SUBCTL_PARTNER", from_env}}) == from_env);
    CHECK(acting({"--partner", from_flag}, {{"SUBCTL_PARTNER", from_env}}) == from_flag);
}

TEST_CASE("the platform's administrations take --request-id, generated when absent, and replay it", "[db][cli][request_id]") {
    const auto id = test::unique("p");
    const auto request_id = test::unique("add");
    const auto added = test::subctl({"-o", "json", "partner", "add", id, "--name", "Partner R", "--request-id", request_id});
    INFO(added.err);
    REQUIRE(added.exit == 0);
    CHECK(added.json()["request_id"] == request_id);
    CHECK(test::scalar("SELECT count(*) FROM core.audit_events WHERE operation = 'add_partner' AND entity_id = $1 "
                       "AND request_id = $2",
                       id, request_id) == 1);
    // repeated: the first result (not partner_exists), nothing audited again
    const auto again = test::subctl({"-o", "json", "partner", "add", id, "--name", "Partner R", "--request-id", request_id});
    CHECK(again.exit == 0);
    CHECK(again.json() == added.json());
    CHECK(test::scalar("SELECT count(*) FROM core.audit_events WHERE operation = 'add_partner' AND entity_id = $1", id) == 1);

    // without --request-id: a generated one, in the result
    const auto customer = test::new_customer(id);
    const auto other = test::new_partner();
    const auto linked = test::subctl({"-o", "json", "customer", "link", customer, other, "--comment", "ticket 7"});
    INFO(linked.err);
    REQUIRE(linked.exit == 0);
    CHECK(linked.json()["request_id"].get<std::string>().size() == 36);
    const auto role = test::unique("login");
    {
        auto connection = test::connect();
        pqxx::work tx(connection);
        tx.exec0("CREATE ROLE " + tx.quote_name(role) + " LOGIN");
        tx.commit();
    }
    const auto mapped = test::subctl({"-o", "json", "partner", "map-login", role, other, "--request-id", "map-" + role});
    CHECK(mapped.json()["request_id"] == "map-" + role);
    const auto catalog = test::subctl({"-o", "json", "catalog", "apply", "--request-id", "catalog-" + role});
    CHECK(catalog.exit == 0);
    CHECK(catalog.json()["request_id"] == "catalog-" + role);
}
