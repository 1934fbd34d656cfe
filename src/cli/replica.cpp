// Reads from a replica (SPEC 7.4). A replica is used when it is no more than max-lag
// behind the primary; how far behind it is:
//   - not in recovery (a promoted standby, or a primary named as replica): not behind;
//   - its last replayed transaction committed at most max-lag ago: at most that far behind
//     (pg_last_xact_replay_timestamp: the commit time, on the primary, of the newest
//     transaction it replayed; anything it misses committed after that);
//   - else (that transaction is older, or none was replayed since it started) the primary
//     may simply have been idle: the replica is asked whether it has replayed up to the
//     primary's current WAL position (pg_current_wal_lsn), and is not behind if it does so
//     within max-lag (at most a second; not while its replay is paused). An idle primary
//     still writes a little WAL now and then (checkpoints, autovacuum), which reaches the
//     replica a moment later: asked only once, such a replica would be called lagging.
// Only then is it lagging: the command reads the primary and says so in one stderr line
// (replica_lagging). A replica that cannot be reached is skipped the same way
// (replica_unavailable); when the primary cannot be reached either, the lagging replica is
// read and the line says that. A replica URL that is not a URL, or a login it refuses,
// fails like --db (exit 78).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>

#include <fmt/format.h>

#include "cli/runtime.hpp"
#include "db/database.hpp"
#include "shared/errors.hpp"

namespace subctl::cli {

namespace {

std::string seconds_text(double seconds) {
    return seconds < 10 ? fmt::format("{:.1f} s", seconds) : fmt::format("{:.0f} s", std::floor(seconds));
}

}  // namespace

db::Database& Runtime::read_database() {
    if (reader_ != nullptr) return *reader_;
    const auto& resolved = config();
    if (resolved.replica_url.empty()) return *(reader_ = &database());

    try {
        replica_ = std::make_unique<db::Database>(
            resolved.replica_url,
            db::SessionContext{resolved.partner, resolved.operator_name, "cli", resolved.replica_url_source});
    } catch (const Error& error) {
        if (error.exit() != Exit::unavailable) throw;
        notices.push_back(fmt::format("replica_unavailable: the replica (from {}) cannot be reached; read the primary",
                                      resolved.replica_url_source));
        return *(reader_ = &database());
    }
    const auto state = replica_->call(db::Outcome::rollback, db::statements::replica_state, std::optional<std::string>());
    if (!state.value("in_recovery", false)) return *(reader_ = replica_.get());
    const auto& age = state["replay_age_seconds"];
    const std::optional<double> age_seconds =
        age.is_number() ? std::optional<double>(std::max(0.0, age.get<double>())) : std::nullopt;
    if (age_seconds && *age_seconds <= resolved.max_lag_seconds) return *(reader_ = replica_.get());

    const auto behind = age_seconds ? fmt::format("its last replayed transaction is {} old", seconds_text(*age_seconds))
                                    : std::string("it has replayed no transaction since it started");
    const auto limit = fmt::format(", more than --max-lag {} s{}{}", resolved.max_lag_seconds,
                                    resolved.max_lag_source == "--max-lag"      ? ""
                                   : resolved.max_lag_source == "the default" ? " (the default)"
                                                                              : " (from " + resolved.max_lag_source + ")",
                                   state.value("replay_paused", false) ? ", and its replay is paused" : "");
    std::string primary_position;
    try {
        primary_position = database().call(db::Outcome::rollback, db::statements::wal_position).get<std::string>();
    } catch (const Error& error) {
        if (error.exit() != Exit::unavailable) throw;
        notices.push_back(fmt::format("replica_lagging: the replica (from {}) may be behind: {}{}; the primary "
                                      "cannot be reached: read the replica",
                                      resolved.replica_url_source, behind, limit));
        return *(reader_ = replica_.get());
    }
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::duration<double>(std::min(resolved.max_lag_seconds, 1.0));
    for (;;) {
        const auto caught_up = replica_->call(db::Outcome::rollback, db::statements::replica_state, primary_position);
        if (caught_up.value("replayed", false)) return *(reader_ = replica_.get());  // an idle primary
        if (caught_up.value("replay_paused", false) || std::chrono::steady_clock::now() >= deadline) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    notices.push_back(fmt::format("replica_lagging: the replica (from {}) is behind the primary: {}{}; read the "
                                  "primary",
                                  resolved.replica_url_source, behind, limit));
    return *(reader_ = &database());
}

}  // namespace subctl::cli
