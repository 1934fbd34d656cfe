#include "cli/progress.hpp"

#include <iostream>
#include <string>

#include <fmt/format.h>

namespace subctl::cli {

void Progress::update(long long done) {
    if (!enabled_) return;
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const double rate = seconds > 0 ? static_cast<double>(done - done_at_start_) / seconds : 0;
    const int width = 30;
    const int filled = total_ > 0 ? static_cast<int>(width * done / total_) : width;
    const std::string eta = rate > 0 ? fmt::format("{:.0f}s", static_cast<double>(total_ - done) / rate) : "?";
    std::cerr << fmt::format("\r[{:<{}}] {}/{} rows  {:.0f} rows/s  ETA {}   ", std::string(filled, '#'), width,
                             done, total_, rate, eta)
              << std::flush;
}

Progress::~Progress() {
    if (enabled_) std::cerr << '\n';
}

}  // namespace subctl::cli
