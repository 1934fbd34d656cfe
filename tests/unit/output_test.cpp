#include <sstream>

#include <catch2/catch.hpp>

#include "cli/output.hpp"
#include "domain/errors.hpp"

using subctl::cli::Format;
using subctl::cli::print_records;

TEST_CASE("csv output quotes fields that need it and lists error codes", "[output]") {
    const auto records = nlohmann::json::parse(R"([{"id": "a,b", "status": "rejected",
        "errors": [{"code": "quantity_out_of_range", "description": "x"}, {"code": "version_mismatch"}]},
        {"id": "say \"hi\"", "status": "succeeded", "errors": []}])");
    std::ostringstream out;
    print_records(out, records, Format::csv);
    CHECK(out.str() ==
          "id,status,errors\n"
          "\"a,b\",rejected,\"quantity_out_of_range,version_mismatch\"\n"
          "\"say \"\"hi\"\"\",succeeded,\n");
}

TEST_CASE("a single record prints as field/value lines", "[output]") {
    std::ostringstream out;
    print_records(out, nlohmann::json{{"id", "x"}, {"quantity", 3}}, Format::table);
    CHECK(out.str() == "field     value\nid        x\nquantity  3\n");
}

TEST_CASE("SQLSTATEs map to the exit codes of SPEC 4", "[errors]") {
    CHECK(subctl::error_from_sqlstate("SU001", "m").exit() == subctl::Exit::rejected);
    CHECK(subctl::error_from_sqlstate("SU001", "m").code() == "subscription_not_found");
    CHECK(subctl::error_from_sqlstate("SU040", "m").exit() == subctl::Exit::config);
    CHECK(subctl::error_from_sqlstate("23514", "m").exit() == subctl::Exit::data);
    CHECK(subctl::error_from_sqlstate("40001", "m").exit() == subctl::Exit::temporary);
    CHECK(subctl::error_from_sqlstate("08006", "m").exit() == subctl::Exit::unavailable);
    CHECK(subctl::error_from_sqlstate("XX000", "m").exit() == subctl::Exit::internal);
}
