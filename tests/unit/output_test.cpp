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

TEST_CASE("records printed page by page read as all of them printed at once", "[output]") {
    // Same columns on every row (as batch rows have), the widest cells on the first page:
    // columns and table widths are taken from the first page.
    const auto records = nlohmann::json::parse(R"([{"line": 2, "status": "rejected", "error_codes": ["version_mismatch"], "new": {"a": [1, 2]}},
        {"line": 3, "status": "applied", "error_codes": [], "new": null},
        {"line": 4, "status": "applied", "error_codes": [], "new": "x"}])");
    const auto pages = [&records](std::size_t per_page) {
        return [&records, per_page](const auto& consume) {
            consume(nlohmann::json::array());  // an empty page changes nothing
            for (std::size_t i = 0; i < records.size(); i += per_page) {
                consume(nlohmann::json(std::vector<nlohmann::json>(
                    records.begin() + i, records.begin() + std::min(records.size(), i + per_page))));
            }
        };
    };
    for (const auto format : {Format::table, Format::json, Format::csv}) {
        std::ostringstream whole, paged;
        print_records(whole, records, format);
        subctl::cli::print_record_pages(paged, pages(2), format);
        CHECK(paged.str() == whole.str());
        std::ostringstream empty_whole, empty_paged;
        print_records(empty_whole, nlohmann::json::array(), format);
        subctl::cli::print_record_pages(empty_paged, [](const auto&) {}, format);
        CHECK(empty_paged.str() == empty_whole.str());
    }
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
