// libFuzzer target: rendering records as table, json and csv. Records carry names and
// comments that operators typed (control characters, quotes, separators, any UTF-8);
// the input is parsed as JSON and printed in every format.
#include <cstddef>
#include <cstdint>
#include <sstream>

#include "cli/output.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto records = nlohmann::json::parse(data, data + size, nullptr, false);
    if (records.is_discarded()) return 0;
    using subctl::cli::Format;
    for (const auto format : {Format::table, Format::json, Format::csv}) {
        std::ostringstream out;
        try {
            subctl::cli::print_records(out, records, format);
        } catch (const nlohmann::json::exception&) {
            // invalid UTF-8 in a string: refused, not printed
        }
    }
    if (records.is_string()) {  // the formula guard: a prefix or the field itself, nothing else
        const auto field = records.get<std::string>();
        const auto guarded = subctl::cli::neutralise_formula(field);
        if (guarded != field && guarded != "'" + field) __builtin_trap();
    }
    return 0;
}
