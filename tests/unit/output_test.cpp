#include <sstream>

#include <catch2/catch.hpp>

#include "cli/output.hpp"
#include "shared/text.hpp"

using subctl::cli::Format;
using subctl::cli::print_records;

TEST_CASE("csv output quotes fields that need it and carries the error objects whole", "[output]") {
    const auto records = nlohmann::json::parse(R"([{"id": "a,b", "status": "rejected",
        "errors": [{"code": "quantity_out_of_range", "description": "x"}, {"code": "version_mismatch"}]},
        {"id": "say \"hi\"", "status": "succeeded", "errors": []}])");
    std::ostringstream out;
    print_records(out, records, Format::csv);
    CHECK(out.str() ==
          "id,status,errors\n"
          "\"a,b\",rejected,\"[{\"\"code\"\":\"\"quantity_out_of_range\"\",\"\"description\"\":\"\"x\"\"},"
          "{\"\"code\"\":\"\"version_mismatch\"\"}]\"\n"
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

TEST_CASE("csv fields that a spreadsheet would run as a formula start with a quote", "[output][csv]") {
    using subctl::cli::neutralise_formula;
    for (const std::string dangerous : {"=1+1", "+1", "-5", "@SUM(A1)", "\tx", "\rx", "=HYPERLINK(\"http://x\")"}) {
        INFO(dangerous);
        CHECK(neutralise_formula(dangerous) == "'" + dangerous);
    }
    for (const std::string harmless : {"", "5", "a=b", "x-1", " =1", "'=1", "o365-e3"}) {
        INFO(harmless);
        CHECK(neutralise_formula(harmless) == harmless);
    }
}

TEST_CASE("csv output (listings and batch reports) neutralises formulas, then quotes", "[output][csv]") {
    const auto records = nlohmann::json::parse(R"([{"id": "=cmd|' /C calc'!A0", "quantity": -5, "name": "+a,b"},
        {"id": "@x", "quantity": 3, "name": "ok"}])");
    std::ostringstream out;
    print_records(out, records, Format::csv);
    CHECK(out.str() ==
          "id,name,quantity\n"
          "'=cmd|' /C calc'!A0,\"'+a,b\",'-5\n"
          "'@x,ok,3\n");
    // batch run --report writes through print_csv_rows: the same fields
    std::ostringstream report;
    subctl::cli::print_csv_rows(report, nlohmann::json::parse(R"([{"line": 2, "request_id": "-1", "status": "\ttab"}])"),
                                {"line", "request_id", "status"}, true);
    CHECK(report.str() == "line,request_id,status\n2,'-1,'\ttab\n");
    // table and json output are not spreadsheet input: unchanged
    std::ostringstream json;
    print_records(json, records, Format::json);
    CHECK(json.str().find("\"=cmd|") != std::string::npos);
}

TEST_CASE("a value that would act on the terminal is shown escaped, in tables and error sentences", "[output][trust]") {
    CHECK(subctl::visible("\x1b]0;owned\a\x1b[31mRED") == "\\x1b]0;owned\\x07\\x1b[31mRED");
    CHECK(subctl::visible("a\nb\tc\x7f") == "a\\x0ab\\x09c\\x7f");
    CHECK(subctl::visible("\xc2\x9b" "31m") == "\\u{009B}31m");                    // C1 CSI
    CHECK(subctl::visible("a\xe2\x80\xa8" "b\xe2\x80\xae" "c\xe2\x81\xa6") == "a\\u{2028}b\\u{202E}c\\u{2066}");
    const std::string seen = "Contoso 上海 é ‰ \xe2\x80\x94 café";  // printable: as it is
    CHECK(subctl::visible(seen) == seen);

    std::ostringstream table;
    print_records(table, nlohmann::json::array({{{"id", "x"}, {"request_id", "\x1b[2J"}}}), Format::table);
    CHECK(table.str().find('\x1b') == std::string::npos);
    CHECK(table.str().find("\\x1b[2J") != std::string::npos);
    std::ostringstream refusal;
    auto rejected = nlohmann::json::parse(R"({"status": "rejected", "errors": [{"code": "x", "next_step": "retry"}]})");
    rejected["errors"][0]["description"] = "\x1b[31m is not an offer";
    print_records(refusal, rejected, Format::table);
    CHECK(refusal.str().find("\\x1b[31m is not an offer") != std::string::npos);
    CHECK(refusal.str().find('\x1b') == std::string::npos);
    // csv keeps the value as it is (a file, quoted): only tables and the stderr line escape
    std::ostringstream csv;
    print_records(csv, nlohmann::json::array({{{"id", "a\tb"}}}), Format::csv);
    CHECK(csv.str() == "id\na\tb\n");
}
