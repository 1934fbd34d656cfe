#pragma once
// Reads a catalog file (TOML, see config/catalog/) into the JSON document that
// api.catalog_apply validates and applies. Only syntax is checked here.
#include <filesystem>

#include <nlohmann/json.hpp>

namespace subctl {

nlohmann::json read_catalog_file(const std::filesystem::path& path);

}  // namespace subctl
