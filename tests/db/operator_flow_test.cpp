// The operator's flow through the binary (SPEC 7.2): CUSTOMER by id, domain or name and
// SUBSCRIPTION by a prefix in every command, customer_ambiguous naming only the partner's
// own candidates, customer list --search and customer show, --comment in the audit
// events, and the request id every mutation is sent with (generated when not given).
#include <algorithm>
#include <regex>

#include <catch2/catch.hpp>

#include "cli/mutation_flags.hpp"
#include "db/support.hpp"

namespace {

test::Run as(const std::string& partner, std::vector<std::string> args) {
    args.insert(args.begin(), {"-o", "json", "--partner", partner});
    return test::subctl(args);
}

nlohmann::json ok(const test::Run& run) {
    INFO(run.out << run.err);
    REQUIRE(run.exit == 0);
    return run.json();
}

long long lines_of(const std::string& text) { return std::count(text.begin(), text.end(), '\n'); }

const std::regex uuid_v4{"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"};

}  // namespace

TEST_CASE("CUSTOMER by domain, name or a part of it, SUBSCRIPTION by a prefix, in every command", "[db][cli][flow]") {
    const auto partner = test::new_partner();
    const auto tag = test::unique("flow");  // e.g. flow-3f9a1c2b7d: a name and a domain label no one else has
    const auto name = "Flowco " + tag + " Trading";
    const auto domain = tag + ".partner.onmschina.cn";
    const auto customer = ok(as(partner, {"customer", "add", "--name", name, "--domain", domain}))["id"].get<std::string>();

    CHECK(ok(as(partner, {"relationship", "request", domain}))["customer_id"] == customer);
    CHECK(ok(as(partner, {"relationship", "accept", "FLOWCO " + tag + " trading"}))["relationship_status"] == "active");
    const auto added = ok(as(partner, {"subscription", "add", tag, "--offer", "o365-business", "--quantity", "5"}));
    CHECK(added["customer_id"] == customer);
    const auto subscription = added["id"].get<std::string>();

    CHECK(ok(as(partner, {"subscription", "show", subscription.substr(0, 8)}))["id"] == subscription);
    CHECK(ok(as(partner, {"licenses", "add", subscription.substr(0, 13), "2"}))["quantity"] == 7);
    CHECK(ok(as(partner, {"upgrades", subscription.substr(0, 8)})).size() == 3);
    const auto listed = ok(as(partner, {"subscription", "list", "--customer", domain}));
    REQUIRE(listed.size() == 1);
    CHECK(listed[0]["id"] == subscription);
    CHECK(ok(as(partner, {"relationship", "list", "--customer", name})).size() == 1);
    const auto events = ok(as(partner, {"audit", "--customer", tag}));
    CHECK(events.size() >= 4);
    for (const auto& event : events) CHECK(event["customer_id"] == customer);
    CHECK(ok(as(partner, {"audit", "--subscription", subscription.substr(0, 8)})).size() == 2);
    CHECK(ok(as(partner, {"subscription", "suspend", subscription.substr(0, 8)}))["subscription_status"] == "suspended");

    // customer show and list --search
    const auto shown = ok(as(partner, {"customer", "show", domain}));
    CHECK(shown["id"] == customer);
    CHECK(shown["subscriptions"]["suspended"] == 1);
    const auto found = ok(as(partner, {"customer", "list", "--search", tag.substr(5)}));  // a part of a word
    REQUIRE(found.size() == 1);
    CHECK(found[0]["id"] == customer);
    CHECK(ok(as(partner, {"customer", "list", "--search", "no such " + tag})).empty());

    // the platform (the owner, acting for no partner) names any customer
    const auto other = test::new_partner();
    CHECK(ok(test::subctl({"-o", "json", "customer", "link", name, other}))["customer_id"] == customer);
    CHECK(ok(as(other, {"customer", "show", domain}))["how"] == "linked");
}

TEST_CASE("customer_ambiguous: one line naming the partner's candidates, never another partner's", "[db][cli][flow]") {
    const auto mine = test::new_partner();
    const auto theirs = test::new_partner();
    const auto tag = test::unique("Ambig");
    const auto east = ok(as(mine, {"customer", "add", "--name", tag + " East", "--domain",
                                   test::unique("east") + ".partner.onmschina.cn"}))["id"].get<std::string>();
    const auto west = ok(as(mine, {"customer", "add", "--name", tag + " West"}))["id"].get<std::string>();
    const auto secret = ok(as(theirs, {"customer", "add", "--name", tag + " Secret"}))["id"].get<std::string>();

    for (const std::vector<std::string>& command :
         {std::vector<std::string>{"subscription", "list", "--customer", tag},
          std::vector<std::string>{"relationship", "request", tag},
          std::vector<std::string>{"customer", "show", tag}}) {
        const auto run = as(mine, command);
        INFO(command[0] << " " << command[1] << ": " << run.err);
        CHECK(run.exit == 1);
        CHECK(lines_of(run.err) == 1);
        CHECK_THAT(run.err, Catch::StartsWith("subctl: customer_ambiguous: \"" + tag + "\" matches 2 customers: " + tag +
                                              " East (") &&
                                Catch::Contains(east) && Catch::Contains(tag + " West (" + west + ")") &&
                                Catch::EndsWith("; name one by its id or domain\n"));
        CHECK_THAT(run.err + run.out, !Catch::Contains("Secret") && !Catch::Contains(secret));
        const auto error = run.json()["error"];
        CHECK(error["code"] == "customer_ambiguous");
        // the candidates, as data: both of mine, never the other partner's
        REQUIRE(error["details"].is_array());
        CHECK(error["details"].size() == 2);
        CHECK(error["details"].dump().find(east) != std::string::npos);
        CHECK(error["details"].dump().find(secret) == std::string::npos);
        CHECK(error["next_step"] == "name one by its id or domain");
    }
    CHECK(test::scalar("SELECT count(*) FROM core.relationships WHERE partner_id = $1", mine) == 0);
    // the other partner sees one: its own
    CHECK(ok(as(theirs, {"customer", "show", tag}))["id"] == secret);
}

TEST_CASE("SUBSCRIPTION: a prefix under 8 characters, or ambiguous, is refused in one line", "[db][cli][flow]") {
    const auto partner = test::new_partner();
    const auto short_prefix = as(partner, {"subscription", "show", "abc1234"});
    CHECK(short_prefix.exit == 65);
    CHECK(short_prefix.err ==
          "subctl: invalid_argument: SUBSCRIPTION \"abc1234\" is too short: give at least 8 characters of the id\n");
    const auto short_upgrade = as(partner, {"upgrade", "abc1234", "--to", "o365-e3"});
    CHECK(short_upgrade.exit == 65);
    CHECK(short_upgrade.err == short_prefix.err);
    const auto unknown = as(partner, {"licenses", "add", "00000000", "1"});
    CHECK(unknown.exit == 1);
    CHECK(unknown.err == "subctl: subscription_not_found: subscription 00000000... does not exist\n");
}

TEST_CASE("--comment lands in the audit events; a comment that is not one line is refused", "[db][cli][flow]") {
    const auto partner = test::new_partner();
    const auto customer = test::new_customer(partner);
    const auto subscription = test::new_subscription(partner, customer, "o365-business");

    const auto added = ok(as(partner, {"licenses", "add", subscription, "1", "--comment", "ticket 4711: new staff"}));
    CHECK(test::scalar<std::string>("SELECT string_agg(DISTINCT comment, ',') FROM core.audit_events "
                                    "WHERE partner_id = $1 AND request_id = $2",
                                    partner, added["request_id"].get<std::string>()) == "ticket 4711: new staff");
    const auto listed = ok(as(partner, {"audit", "--subscription", subscription}));
    CHECK(listed.back()["comment"] == "ticket 4711: new staff");

    const auto refused = as(partner, {"licenses", "remove", subscription, "500", "--comment", "too many"});
    CHECK(refused.exit == 1);
    CHECK(test::scalar("SELECT count(*) FROM core.audit_events WHERE partner_id = $1 AND outcome = 'rejected' "
                       "AND comment = 'too many'", partner) == 1);

    const auto other = test::new_partner();
    ok(test::subctl({"-o", "json", "customer", "link", customer, other, "--comment", "invitation accepted"}));
    CHECK(test::scalar("SELECT count(*) FROM core.audit_events WHERE operation = 'link_customer' AND entity_id = $1 "
                       "AND comment = 'invitation accepted'", other) == 1);

    const auto events = test::scalar("SELECT count(*) FROM core.audit_events");
    const auto two_lines = as(partner, {"licenses", "add", subscription, "1", "--comment", "one\ntwo"});
    CHECK(two_lines.exit == 65);
    CHECK(two_lines.err == "subctl: invalid_argument: the comment holds a control character (a line break?): it is one "
                           "line; a comment is one line of 1-500 characters: a reason or a ticket\n");
    CHECK(as(partner, {"upgrade", subscription, "--to", "o365-e3", "--comment", std::string(501, 'x')}).exit == 65);
    CHECK(as(partner, {"customer", "add", "--name", test::unique("C"), "--comment", ""}).exit == 65);
    CHECK(test::scalar("SELECT count(*) FROM core.audit_events") == events);
    CHECK(test::scalar("SELECT quantity FROM core.subscriptions WHERE id = $1::uuid", subscription) == 11);
}

TEST_CASE("a mutation without --request-id gets one: in its result, its events; a replay with it changes nothing",
          "[db][cli][flow]") {
    const auto partner = test::new_partner();
    const auto customer = test::new_customer(partner);
    const auto subscription = test::new_subscription(partner, customer, "o365-business");

    const auto first = ok(as(partner, {"licenses", "add", subscription, "3"}));
    const auto request_id = first["request_id"].get<std::string>();
    CHECK(std::regex_match(request_id, uuid_v4));
    CHECK(first["status"] == "succeeded");
    CHECK(first["subscription_status"] == "active");
    CHECK(test::scalar("SELECT count(*) FROM core.audit_events WHERE partner_id = $1 AND request_id = $2", partner,
                       request_id) == 1);
    const auto events = test::scalar("SELECT count(*) FROM core.audit_events");
    const auto replay = ok(as(partner, {"licenses", "add", subscription, "3", "--request-id", request_id}));
    CHECK(replay == first);
    CHECK(test::scalar("SELECT quantity FROM core.subscriptions WHERE id = $1::uuid", subscription) == 13);
    CHECK(test::scalar("SELECT count(*) FROM core.audit_events") == events);
    // each run its own id; a dry run too (nothing stored under it)
    const auto second = ok(as(partner, {"licenses", "add", subscription, "1"}));
    CHECK(second["request_id"] != request_id);
    const auto dry = ok(as(partner, {"subscription", "suspend", subscription, "--dry-run"}));
    CHECK(std::regex_match(dry["request_id"].get<std::string>(), uuid_v4));
    CHECK(test::scalar("SELECT count(*) FROM core.request_ids WHERE request_id = $1", dry["request_id"].get<std::string>()) == 0);
    // every mutation's result: status is the outcome, subscription_status the state
    CHECK(dry["status"] == "dry_run");
    CHECK(dry["subscription_status"] == "suspended");
    const auto shown = ok(as(partner, {"subscription", "show", subscription}));
    CHECK(shown["status"] == "active");
    for (const auto& result : {ok(as(partner, {"relationship", "remove", customer})),
                               ok(as(partner, {"customer", "add", "--name", test::unique("C")}))}) {
        CHECK(std::regex_match(result["request_id"].get<std::string>(), uuid_v4));
        CHECK(result["status"] == "succeeded");
    }
}

TEST_CASE("a failure that may be retried names the request id to retry with", "[db][cli][flow]") {
    const std::vector<std::string> unreachable{"--db", "postgresql:///x?host=/nonexistent", "--partner", "anyone"};
    auto args = unreachable;
    args.insert(args.end(), {"licenses", "add", test::nil_uuid, "1", "--request-id", "ticket-4711"});
    const auto named = test::subctl(args);
    CHECK(named.exit == 69);
    CHECK(lines_of(named.err) == 1);
    CHECK_THAT(named.err, Catch::StartsWith("subctl: database_unavailable: ") &&
                              Catch::EndsWith("; retry with --request-id ticket-4711 (applied at most once)\n"));
    args = unreachable;
    args.insert(args.end(), {"customer", "add", "--name", "Anyone"});
    const auto generated = test::subctl(args);
    CHECK(generated.exit == 69);
    std::smatch id;
    REQUIRE(std::regex_search(generated.err, id, std::regex("retry with --request-id ([0-9a-f-]{36}) ")));
    CHECK(std::regex_match(id[1].str(), uuid_v4));
}

TEST_CASE("naming_request_id: only exits 69 and 75 name the request id", "[cli][flow]") {
    using subctl::Error;
    using subctl::Exit;
    const auto in_doubt = subctl::cli::naming_request_id(Error(Exit::temporary, "commit_in_doubt", "lost"), "r-1");
    CHECK(in_doubt.hint() == "retry with --request-id r-1 (applied at most once)");
    CHECK(in_doubt.code() == "commit_in_doubt");
    const auto down = subctl::cli::naming_request_id(Error(Exit::unavailable, "database_unavailable", "down", "start it"), "r-2");
    CHECK(down.hint() == "start it; retry with --request-id r-2 (applied at most once)");
    const auto rejected = subctl::cli::naming_request_id(Error(Exit::rejected, "customer_ambiguous", "two", "pick"), "r-3");
    CHECK(rejected.hint() == "pick");
    const auto bad = subctl::cli::naming_request_id(Error(Exit::data, "invalid_argument", "bad"), "r-4");
    CHECK(bad.hint().empty());
    CHECK(subctl::cli::generate_request_id() != subctl::cli::generate_request_id());
    CHECK(std::regex_match(subctl::cli::generate_request_id(), uuid_v4));
}

TEST_CASE("batch run --comment: every row the run applies carries it; a bad one registers nothing", "[db][cli][flow][batch]") {
    const auto partner = test::new_partner();
    const auto customer = test::new_customer(partner);
    const auto business = test::new_subscription(partner, customer, "o365-business");
    const auto other = test::new_subscription(partner, test::new_customer(partner), "o365-business");
    const test::TempFile file("action,subscription_id,target_offer,quantity,request_id\n"
                              "add_licenses," + business + ",,2,\n"
                              "upgrade," + other + ",o365-business-premium,,\n"
                              "remove_licenses," + business + ",,500,\n");
    const auto batches = test::scalar("SELECT count(*) FROM core.batches");
    const auto bad = as(partner, {"batch", "run", file.path, "--comment", "two\nlines"});
    CHECK(bad.exit == 65);
    CHECK_THAT(bad.err, Catch::StartsWith("subctl: invalid_argument: the comment holds a control character"));
    CHECK(test::scalar("SELECT count(*) FROM core.batches") == batches);

    const auto run = as(partner, {"batch", "run", file.path, "-q", "--comment", "ticket CN-77: spring clean-up"});
    CHECK(run.exit == 1);  // the third row is refused
    // applied rows, the upgrade's events and the refusal alike
    CHECK(test::scalar("SELECT count(*) FROM core.audit_events WHERE partner_id = $1 AND source = 'batch'", partner) >= 4);
    CHECK(test::scalar("SELECT count(*) FROM core.audit_events WHERE partner_id = $1 AND source = 'batch' "
                       "AND comment IS DISTINCT FROM 'ticket CN-77: spring clean-up'", partner) == 0);
    CHECK(test::scalar("SELECT count(*) FROM core.audit_events WHERE partner_id = $1 AND source = 'batch' "
                       "AND outcome = 'rejected'", partner) == 1);
}
