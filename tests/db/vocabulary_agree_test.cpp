// The vocabularies are written once, as constant functions in core (migrations/); the
// build generates the C++ constants from the same text. This test fails when the
// binary and the migrated database disagree (a stale or wrong generator, a later
// migration the generator does not read), and when a command line check or a table's
// constraint does not follow the definition.
#include <string>
#include <vector>

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include "db/support.hpp"
#include "shared/vocabulary.hpp"

namespace {

template <std::size_t N>
std::vector<std::string> in_cxx(const std::string_view (&values)[N]) {
    return subctl::choices(values);
}

std::vector<std::string> in_sql(pqxx::work& tx, const std::string& function) {
    std::vector<std::string> values;
    for (const auto& row : tx.exec(fmt::format("SELECT unnest(core.{}())", function))) values.push_back(row[0].c_str());
    return values;
}

}  // namespace

TEST_CASE("the C++ constants are the vocabularies of the migrated database", "[db][vocabulary]") {
    auto connection = test::connect();
    pqxx::work tx(connection);
    CHECK(in_cxx(subctl::sql::channels) == in_sql(tx, "channels"));
    CHECK(in_cxx(subctl::sql::billing_cycles) == in_sql(tx, "billing_cycles"));
    CHECK(in_cxx(subctl::sql::subscription_statuses) == in_sql(tx, "subscription_statuses"));
    CHECK(in_cxx(subctl::sql::subscription_initial_statuses) == in_sql(tx, "subscription_initial_statuses"));
    CHECK(in_cxx(subctl::sql::relationship_statuses) == in_sql(tx, "relationship_statuses"));
    CHECK(in_cxx(subctl::sql::batch_actions) == in_sql(tx, "batch_actions"));
    CHECK(in_cxx(subctl::sql::batch_row_statuses) == in_sql(tx, "batch_row_statuses"));
    const auto limits = tx.exec1("SELECT core.quantity_max(), core.request_id_max_length(), core.display_name_max_length(), "
                                 "core.id_max_length(), core.uuid_pattern(), core.catalog_id_pattern(), "
                                 "core.partner_id_pattern(), core.batch_id_pattern(), core.id_prefix_min_length()");
    CHECK(subctl::sql::quantity_max == limits[0].as<long long>());
    CHECK(subctl::sql::request_id_max_length == limits[1].as<long long>());
    CHECK(subctl::sql::display_name_max_length == limits[2].as<long long>());
    CHECK(subctl::sql::id_max_length == limits[3].as<long long>());
    CHECK(subctl::sql::uuid_pattern == limits[4].as<std::string>());
    CHECK(subctl::sql::catalog_id_pattern == limits[5].as<std::string>());
    CHECK(subctl::sql::partner_id_pattern == limits[6].as<std::string>());
    CHECK(subctl::sql::batch_id_pattern == limits[7].as<std::string>());
    CHECK(subctl::sql::id_prefix_min_length == limits[8].as<long long>());
}

TEST_CASE("the command line and the tables check the values of the one definition", "[db][vocabulary]") {
    // The command line: the longest request id passes the argument check (the command
    // goes on to need a partner: 78), one more character is refused (65).
    const std::string id = "00000000-0000-0000-0000-000000000000";
    const auto longest = std::string(static_cast<std::size_t>(subctl::sql::request_id_max_length), 'r');
    CHECK(test::subctl({"subscription", "suspend", id, "--request-id", longest}, {{"SUBCTL_PARTNER", ""}}).exit == 78);
    const auto too_long =
        test::subctl({"subscription", "suspend", id, "--request-id", longest + "r"}, {{"SUBCTL_PARTNER", ""}});
    CHECK(too_long.exit == 65);
    CHECK(too_long.err.find(fmt::format("1 to {} characters", subctl::sql::request_id_max_length)) != std::string::npos);
    // The shortest id prefix: the help names it, the database takes it and refuses one less.
    const auto prefix = static_cast<std::size_t>(subctl::sql::id_prefix_min_length);
    CHECK_THAT(test::subctl({"subscription", "show", "--help"}).out,
               Catch::Contains(fmt::format("unique prefix of {}+ characters", prefix)));
    const auto partner = test::new_partner();
    CHECK(test::subctl({"--partner", partner, "subscription", "show", std::string(prefix, 'a')}).exit == 1);  // not found
    const auto short_prefix = test::subctl({"--partner", partner, "subscription", "show", std::string(prefix - 1, 'a')});
    CHECK(short_prefix.exit == 65);
    CHECK_THAT(short_prefix.err, Catch::Contains(fmt::format("give at least {} characters", prefix)));
    // The tables: a constraint accepts every value of its vocabulary and nothing else.
    auto connection = test::connect();
    pqxx::work tx(connection);
    const auto holds = [&tx](const std::string& constraint, const std::string& column, const std::string& value) {
        const auto expr = tx.exec_params1("SELECT pg_get_expr(conbin, conrelid) FROM pg_constraint "
                                          "WHERE connamespace = 'core'::regnamespace AND conname = $1",
                                          constraint)[0].as<std::string>();
        INFO(constraint << ": " << expr << " for '" << value << "'");
        return tx.exec_params1(fmt::format("SELECT {} FROM (SELECT $1::text AS {}) v", expr, column), value)[0].as<bool>();
    };
    const auto check = [&holds](const std::string& constraint, const std::string& column,
                                const std::vector<std::string>& values) {
        for (const auto& value : values) CHECK(holds(constraint, column, value));
        CHECK_FALSE(holds(constraint, column, "not-" + values.front()));
    };
    check("check_subscriptions_channel", "channel", in_cxx(subctl::sql::channels));
    check("check_subscriptions_billing_cycle", "billing_cycle", in_cxx(subctl::sql::billing_cycles));
    check("check_offer_billing_cycles_billing_cycle", "billing_cycle", in_cxx(subctl::sql::billing_cycles));
    check("check_subscriptions_status", "status", in_cxx(subctl::sql::subscription_statuses));
    check("check_relationships_status", "status", in_cxx(subctl::sql::relationship_statuses));
    check("check_batch_rows_action", "action", in_cxx(subctl::sql::batch_actions));
    check("check_batch_rows_status", "status", in_cxx(subctl::sql::batch_row_statuses));
    check("check_request_ids_request_id_length", "request_id", {longest});
    CHECK_FALSE(holds("check_request_ids_request_id_length", "request_id", longest + "r"));
    check("check_batch_rows_request_id_length", "request_id", {longest});
    CHECK_FALSE(holds("check_batch_rows_request_id_length", "request_id", longest + "r"));
}
