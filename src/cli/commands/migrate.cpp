// subctl migrate: empty database -> current schema; re-runs are no-ops.
#include <CLI/CLI.hpp>

#include "cli/command_result.hpp"
#include "cli/commands/commands.hpp"
#include "cli/runtime.hpp"
#include "db/database.hpp"
#include "db/migrate.hpp"

namespace subctl::cli {

namespace {

CommandResult run_migrate(Runtime& runtime) {
    const auto home = runtime.home();
    return {db::migrate(runtime.database(), home / "migrations", home / "sql")};
}

}  // namespace

void setup_migrate(CLI::App& app, Runtime& runtime) {
    add_command(app, runtime, "migrate",
                "Apply pending migrations/ in order (checksummed, locked), then re-apply sql/",
                [&runtime] { return run_migrate(runtime); });
}

}  // namespace subctl::cli
