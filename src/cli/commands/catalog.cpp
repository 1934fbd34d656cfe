// subctl catalog apply [FILE] | catalog show
#include <algorithm>

#include <CLI/CLI.hpp>

#include "cli/command_result.hpp"
#include "cli/commands/commands.hpp"
#include "cli/mutation_flags.hpp"
#include "cli/runtime.hpp"
#include "db/database.hpp"
#include "shared/catalog_file.hpp"

namespace subctl::cli {

namespace {

struct CatalogArgs {
    std::string file;
    std::string view = "offers";
    MutationFlags flags;  // --request-id, --comment
};

CommandResult run_catalog_apply(Runtime& runtime, const CatalogArgs& args) {
    const auto path = args.file.empty() ? runtime.home() / "config" / "catalog" / "21vianet-office365.toml"
                                        : std::filesystem::path(args.file);
    const auto document = read_catalog_file(path);
    const auto request_id = request_id_of(args.flags);
    return mutation_result(request_id, [&] {
        auto result = runtime.database().call(db::Outcome::commit, db::statements::catalog_apply, document.dump(),
                                              args.flags.comment, request_id);
        result["file"] = path.string();
        return result;
    });
}

// The upgrade matrix: one row per offer that has upgrade paths, one column per target.
nlohmann::json upgrade_matrix(const nlohmann::json& catalog) {
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& offer : catalog["offers"]) {
        if (offer["upgrades_to"].empty()) continue;
        nlohmann::json row = {{"source_offer", offer["id"]}};
        for (const auto& target : catalog["offers"]) {
            if (target["add_on"].get<bool>() || target["retired"].get<bool>()) continue;
            const auto& targets = offer["upgrades_to"];
            const bool path = std::find(targets.begin(), targets.end(), target["id"]) != targets.end();
            row[target["id"].get<std::string>()] = path ? "yes" : "";
        }
        rows.push_back(row);
    }
    return rows;
}

CommandResult run_catalog_show(Runtime& runtime, const CatalogArgs& args) {
    auto catalog = runtime.read_database().call(db::Outcome::rollback, db::statements::catalog);
    if (args.view == "matrix") return {upgrade_matrix(catalog)};
    if (args.view == "paths") return {catalog["upgrade_paths"]};
    if (args.view == "all") return {catalog};
    return {catalog["offers"]};
}

}  // namespace

void setup_catalog(CLI::App& app, Runtime& runtime) {
    auto* catalog = app.add_subcommand("catalog", "The offer catalog and its upgrade paths");
    catalog->require_subcommand(1);
    auto args = std::make_shared<CatalogArgs>();
    auto* apply = add_command(*catalog, runtime, "apply",
                              "Apply a catalog file (default: the shipped 21Vianet catalog); idempotent",
                              [&runtime, args] { return run_catalog_apply(runtime, *args); });
    apply->add_option("FILE", args->file, "Catalog file (TOML)");
    add_platform_flags(apply, args->flags);
    auto* show = add_command(*catalog, runtime, "show", "Print the offers, or the upgrade matrix with --view matrix",
                             [&runtime, args] { return run_catalog_show(runtime, *args); });
    show->add_option("--view", args->view,
                     "offers (default), matrix (upgrade matrix), paths (one row per path) or all")
        ->check(CLI::IsMember({"offers", "matrix", "paths", "all"}));
}

}  // namespace subctl::cli
