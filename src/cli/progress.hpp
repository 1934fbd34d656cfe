#pragma once
#include <chrono>

namespace subctl::cli {

// Rows done / total, rate and ETA on one redrawn stderr line.
class Progress {
public:
    Progress(bool enabled, long long total, long long done)
        : enabled_(enabled), total_(total), done_at_start_(done), start_(std::chrono::steady_clock::now()) {
        update(done);
    }
    ~Progress();
    Progress(const Progress&) = delete;
    Progress& operator=(const Progress&) = delete;

    void update(long long done);

private:
    bool enabled_;
    long long total_;
    long long done_at_start_;
    std::chrono::steady_clock::time_point start_;
};

}  // namespace subctl::cli
