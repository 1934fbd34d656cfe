// libFuzzer target: the subctl command line. The input is split at newlines into
// arguments and parsed by the real app (make_app); no action runs, so hostile arguments
// reach everything that happens before the database: CLI11, the option checks and the
// output-format parser.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "cli/app.hpp"
#include "cli/output.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::vector<std::string> args{"subctl"};
    std::istringstream lines(std::string(reinterpret_cast<const char*>(data), size));
    for (std::string line; std::getline(lines, line);) args.push_back(line);
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());

    subctl::cli::Runtime runtime;
    auto app = subctl::cli::make_app(runtime);
    try {
        app->parse(static_cast<int>(argv.size()), argv.data());
        subctl::cli::parse_format(runtime.options.output);
        subctl::cli::check_arguments(*app);  // UTF-8 and times, as the binary checks them before running
    } catch (const CLI::ParseError&) {
        // a usage error: exit 64 in the binary
    } catch (const subctl::Error&) {
        // a coded error: its exit code in the binary
    }
    return 0;
}
