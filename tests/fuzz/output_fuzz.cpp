// libFuzzer target: rendering records as table, json and csv. Records carry names and
// comments that operators typed (control characters, quotes, separators, any UTF-8);
// the input is parsed as JSON and printed in every format and table layout.
#include <cstddef>
#include <cstdint>
#include <sstream>

#include "cli/output.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto records = nlohmann::json::parse(data, data + size, nullptr, false);
    if (records.is_discarded()) return 0;
    using subctl::cli::Format;
    using subctl::cli::TableLayout;
    // as a script gets it, narrowed for a terminal (a listing, a tiny width), the Details page
    const TableLayout layouts[] = {{}, {"subscription list", true, 120, ""}, {"audit", true, 7, ""},
                                   {"subscription show", true, 120, ""}};
    for (const auto format : {Format::table, Format::json, Format::csv}) {
        for (const auto& layout : layouts) {
            std::ostringstream out;
            try {
                subctl::cli::print_records(out, records, format, layout);
            } catch (const nlohmann::json::exception&) {
                // invalid UTF-8 in a string, or a Details page of the wrong shape: refused, not printed
            }
        }
    }
    if (records.is_string()) {  // the formula guard: a prefix or the field itself, nothing else
        const auto field = records.get<std::string>();
        const auto guarded = subctl::cli::neutralise_formula(field);
        if (guarded != field && guarded != "'" + field) __builtin_trap();
    }
    return 0;
}
