#pragma once
// The config file (TOML), read with the file, line, key and expected type named in every
// complaint (exit 78).
#include <optional>
#include <string>

#include <toml++/toml.h>

namespace subctl::cli {

struct ConfigFile {
    std::string path;
    toml::table table;  // empty when there is no file
};

// --config, else SUBCTL_CONFIG (both must exist), else config/subctl.toml when present.
// It must be a readable regular file.
ConfigFile load_file(const std::optional<std::string>& config_flag, const std::optional<std::string>& config_variable);

// [table] key as a string: absent is fine, another type is a configuration error.
std::optional<std::string> file_string(const ConfigFile& file, const char* table, const char* key);

// [table] key as a number (integer or floating point): absent is fine, another type is a
// configuration error.
std::optional<double> file_number(const ConfigFile& file, const char* table, const char* key);

}  // namespace subctl::cli
