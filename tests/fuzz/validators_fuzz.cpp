// libFuzzer target: the input checks every command applies to its arguments before
// anything reaches the database (UUIDs, quantities, versions, free text, UTF-8, times). Each either
// returns the value or throws a coded error (exit 65); nothing else may happen.
#include <cstddef>
#include <cstdint>
#include <string>

#include "cli/validate.hpp"
#include "shared/errors.hpp"

namespace {

template <typename Check>
void expect_value_or_coded_error(Check check) {
    try {
        check();
    } catch (const subctl::Error& error) {
        if (error.exit() != subctl::Exit::data) __builtin_trap();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string value(reinterpret_cast<const char*>(data), size);
    using namespace subctl::cli;
    expect_value_or_coded_error([&] { require_uuid(value, "subscription id"); });
    expect_value_or_coded_error([&] {
        const long long quantity = require_quantity(value);
        if (quantity < 1) __builtin_trap();
    });
    expect_value_or_coded_error([&] { optional_version(value); });
    expect_value_or_coded_error([&] { require_text(value, "name", 200); });
    expect_value_or_coded_error([&] { require_utf8(value, "--name"); });
    expect_value_or_coded_error([&] { require_timestamp(value, "--since"); });
    return 0;
}
