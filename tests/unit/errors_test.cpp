#include <catch2/catch.hpp>

#include "cli/validate.hpp"
#include "shared/errors.hpp"
#include "shared/text.hpp"

namespace {

subctl::Error mapped(const std::string& sqlstate, const std::string& message = "m", const std::string& detail = {},
                     bool api_call = true) {
    subctl::DatabaseFailure failure;
    failure.sqlstate = sqlstate;
    failure.message = message;
    failure.detail = detail;
    failure.login = "reporter1";
    failure.api_call = api_call;
    return subctl::error_from_database(failure);
}

}  // namespace

TEST_CASE("SQLSTATEs map to the exit codes of SPEC 4 and 7.1", "[errors]") {
    using subctl::Exit;
    CHECK(mapped("SU001").exit() == Exit::rejected);
    CHECK(mapped("SU001").code() == "subscription_not_found");
    CHECK(mapped("SU040").exit() == Exit::config);
    CHECK(mapped("SU036").code() == "customer_already_linked");
    CHECK(mapped("SU071").code() == "audit_chain_broken");
    CHECK(mapped("SU071").exit() == Exit::rejected);
    CHECK(mapped("23514").exit() == Exit::data);
    CHECK(mapped("22P02").exit() == Exit::data);
    CHECK(mapped("40001").exit() == Exit::temporary);
    CHECK(mapped("08006").exit() == Exit::unavailable);
    CHECK(mapped("42501").exit() == Exit::noperm);
    CHECK(static_cast<int>(Exit::noperm) == 77);
    CHECK(mapped("28P01").exit() == Exit::config);
    CHECK(mapped("3F000").exit() == Exit::config);
    CHECK(mapped("42883").code() == "schema_not_migrated");
    CHECK(mapped("42P01").exit() == Exit::config);
    CHECK(mapped("XX000").exit() == Exit::internal);
    // A write that reached a read-only standby (SPEC 7.4): unavailable, try the primary.
    CHECK(mapped("25006", "cannot execute INSERT in a read-only transaction").exit() == Exit::unavailable);
    CHECK(mapped("25006").code() == "database_read_only");
    CHECK(std::string(mapped("25006", "cannot execute INSERT in a read-only transaction").what()).find("INSERT") ==
          std::string::npos);
}

TEST_CASE("only the project's own SQLSTATEs show the server's text", "[errors]") {
    CHECK(std::string(mapped("SU041", "customer domain 'x' is not valid").what()) == "customer domain 'x' is not valid");
    CHECK(std::string(mapped("XX000", "could not open file \"base/1/2\"").what()) ==
          "unexpected database error (SQLSTATE XX000)");
    CHECK(std::string(mapped("42501", "permission denied for function upgrade").what()) ==
          "login reporter1 may not run this command (operations need role subctl_operator; administration needs "
          "the schema owner)");
    CHECK(std::string(mapped("3F000", "schema \"api\" does not exist").what()) ==
          "the database is not migrated for this subctl (schema api is missing): run `subctl migrate`");
    // Outside an api.* call (migrate's own SQL) a missing relation is no unmigrated database.
    CHECK(mapped("42P01", "relation \"x\" does not exist", {}, false).exit() == subctl::Exit::internal);

    const auto check = mapped("23514", "new row for relation \"customers\" violates check constraint "
                                       "\"check_customers_domain_format\"");
    CHECK(std::string(check.what()) == "a value is not valid for customers (domain format); nothing was stored");
    const auto unique = mapped("23505", "duplicate key value violates unique constraint \"customers_domain_key\"",
                               "Key (domain)=(a.cn) already exists.");
    CHECK(std::string(unique.what()) == "a record with domain 'a.cn' already exists");
    const auto syntax = mapped("22P02", "invalid input syntax for type bigint: \"abc\"");
    CHECK(std::string(syntax.what()) == "value 'abc' is not valid (expected a whole number)");
    CHECK(syntax.value() == "abc");
    const auto date = mapped("22008", "date/time field value out of range: \"2026-13-45\"");
    CHECK(std::string(date.what()) ==
          "value '2026-13-45' is not valid (expected a date or time, e.g. 2026-11-01 or 2026-11-01T08:00+08)");
    const auto bytes = mapped("22021", "invalid byte sequence for encoding \"UTF8\": 0xff");
    CHECK(std::string(bytes.what()) == "a value holds byte 0xff, which is not UTF-8 text");
    for (const auto& error : {check, unique, syntax, date, bytes}) {
        const std::string text = error.what();
        CHECK(text.find("violates") == std::string::npos);
        CHECK(text.find("check_") == std::string::npos);
        CHECK(text.find("invalid input syntax") == std::string::npos);
        CHECK(text.find("byte sequence") == std::string::npos);
    }
}

TEST_CASE("UTF-8 checks find the first byte that is not well-formed", "[errors][text]") {
    using subctl::invalid_utf8_at;
    CHECK_FALSE(invalid_utf8_at("").has_value());
    CHECK_FALSE(invalid_utf8_at("plain ascii").has_value());
    CHECK_FALSE(invalid_utf8_at("\xc3\xa9t\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80").has_value());
    CHECK(invalid_utf8_at("\xff") == 0u);
    CHECK(invalid_utf8_at("ab\xc3") == 2u);               // truncated
    CHECK(invalid_utf8_at("a\xc0\xaf") == 1u);            // overlong
    CHECK(invalid_utf8_at("\xed\xa0\x80") == 0u);         // surrogate
    CHECK(invalid_utf8_at("\xf4\x90\x80\x80") == 0u);     // past U+10FFFF
    CHECK(invalid_utf8_at(std::string_view("a\0b", 3)) == 1u);  // NUL: not text for PostgreSQL
}

TEST_CASE("a name's length is counted in characters, as the database counts it", "[errors][text]") {
    std::string chinese;
    for (int i = 0; i < 67; ++i) chinese += "工";  // 67 characters, 201 bytes
    CHECK(subctl::cli::require_text(chinese, "customer name", 200) == chinese);
    CHECK_THROWS_WITH(subctl::cli::require_text(chinese + chinese + chinese, "customer name", 200),
                      "customer name must have 1 to 200 characters (got 201)");
    CHECK_THROWS_WITH(subctl::cli::require_text("a\xc2\x9b" "b", "customer name", 200),
                      "customer name contains a control character");
}
