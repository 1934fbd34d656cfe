#include "domain/catalog_file.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include "domain/errors.hpp"

namespace subctl {

namespace {

nlohmann::json to_json(const toml::node& node) {
    if (const auto* table = node.as_table()) {
        nlohmann::json object = nlohmann::json::object();
        for (const auto& [key, value] : *table) object[std::string(key.str())] = to_json(value);
        return object;
    }
    if (const auto* array = node.as_array()) {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& value : *array) list.push_back(to_json(value));
        return list;
    }
    if (const auto* text = node.as_string()) return text->get();
    if (const auto* integer = node.as_integer()) return integer->get();
    if (const auto* floating = node.as_floating_point()) return floating->get();
    if (const auto* boolean = node.as_boolean()) return boolean->get();
    const auto& where = node.source().begin;
    throw Error(Exit::data, "invalid_catalog",
                fmt::format("{}:{}:{}: dates and times have no meaning in a catalog",
                            node.source().path ? *node.source().path : "catalog", where.line, where.column));
}

}  // namespace

nlohmann::json read_catalog_file(const std::filesystem::path& path) {
    if (!std::filesystem::is_regular_file(path)) {
        throw Error(Exit::data, "invalid_catalog", fmt::format("catalog file {} does not exist", path.string()));
    }
    try {
        return to_json(toml::parse_file(path.string()));
    } catch (const toml::parse_error& e) {
        throw Error(Exit::data, "invalid_catalog",
                    fmt::format("{}:{}:{}: {}", path.string(), e.source().begin.line, e.source().begin.column,
                                e.description()));
    }
}

}  // namespace subctl
