#include "cli/runtime.hpp"

#include <cstdlib>
#include <limits>
#include <regex>

#include <fmt/format.h>

#include "domain/text.hpp"

#ifndef SUBCTL_SOURCE_DIR
#error "SUBCTL_SOURCE_DIR must be defined by the build"
#endif

namespace subctl::cli {

const ResolvedConfig& Runtime::config() {
    if (!config_) config_ = resolve_config(options);
    return *config_;
}

db::Database& Runtime::database(const std::string& source) {
    if (!database_) {
        const auto& resolved = config();
        database_ = std::make_unique<db::Database>(
            resolved.db_url,
            db::SessionContext{resolved.partner, resolved.operator_name, source, resolved.db_url_source});
    }
    return *database_;
}

std::filesystem::path Runtime::home() const {
    if (const char* home = std::getenv("SUBCTL_HOME"); home != nullptr && *home != '\0') return home;
    return SUBCTL_SOURCE_DIR;
}

CLI::App* add_command(CLI::App& parent, Runtime& runtime, const std::string& name, const std::string& description,
                      std::function<CommandResult()> run) {
    auto* command = parent.add_subcommand(name, description);
    command->fallthrough();
    command->callback([&runtime, run = std::move(run)] { runtime.action = run; });
    return command;
}

void add_mutation_flags(CLI::App* command, MutationFlags& flags, bool with_version) {
    command->add_option("--request-id", flags.request_id,
                        "Idempotency key: a repeat returns the first result and changes nothing");
    command->add_flag("--dry-run", flags.dry_run, "Run the very same code, roll it back, report what would happen");
    if (with_version) {
        command->add_option("--if-version", flags.if_version,
                            "Refuse (version_mismatch) unless the subscription is at this version");
    }
}

CommandResult operation_result(nlohmann::json result) {
    const auto status = result.value("status", std::string());
    const bool has_errors = result.contains("errors") && !result["errors"].empty();
    const Exit exit = status == "rejected" || (status == "dry_run" && has_errors) ? Exit::rejected : Exit::ok;
    CommandResult command{std::move(result), exit};
    // A refusal that names its case (logic.refusal): `code: message; hint` on stderr.
    if (exit != Exit::ok && has_errors && command.records.at("errors").size() == 1) {
        const auto& error = command.records.at("errors").at(0);
        if (error.is_object() && error.contains("message")) {
            command.failure = error.value("code", "") + ": " + error.value("message", "") +
                              (error.contains("hint") ? "; " + error.value("hint", "") : "");
        }
    }
    return command;
}

std::string require_uuid(const std::string& value, const std::string& what) {
    static const std::regex uuid(R"(^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$)");
    if (!std::regex_match(value, uuid)) {
        throw Error(Exit::data, "invalid_argument", fmt::format("{} '{}' is not a UUID", what, value));
    }
    return value;
}

std::optional<std::string> optional_uuid(const std::optional<std::string>& value, const std::string& what) {
    if (!value) return std::nullopt;
    return require_uuid(*value, what);
}

long long require_quantity(const std::string& value, const std::string& what) {
    static const std::regex digits(R"(^[0-9]{1,10}$)");
    constexpr long long max = std::numeric_limits<int>::max();
    if (!std::regex_match(value, digits) || std::stoll(value) < 1 || std::stoll(value) > max) {
        throw Error(Exit::data, "invalid_argument",
                    fmt::format("{} '{}' is not a whole number from 1 to {}", what, value, max));
    }
    return std::stoll(value);
}

std::optional<long long> optional_quantity(const std::optional<std::string>& value, const std::string& what) {
    if (!value) return std::nullopt;
    return require_quantity(*value, what);
}

std::optional<long long> optional_version(const std::optional<std::string>& value) {
    if (!value) return std::nullopt;
    static const std::regex digits(R"(^[0-9]{1,18}$)");
    if (!std::regex_match(*value, digits)) {
        throw Error(Exit::data, "invalid_argument", fmt::format("version '{}' is not a whole number", *value));
    }
    return std::stoll(*value);
}

std::string require_text(const std::string& value, const std::string& what, std::size_t max_length) {
    if (value.empty() || value.size() > max_length) {
        throw Error(Exit::data, "invalid_argument",
                    fmt::format("{} must have 1 to {} characters (got {})", what, max_length, value.size()));
    }
    for (unsigned char c : value) {
        if (c < 0x20 || c == 0x7f) {
            throw Error(Exit::data, "invalid_argument", fmt::format("{} contains a control character", what));
        }
    }
    return value;
}

void require_utf8(const std::string& value, const std::string& what) {
    if (const auto at = invalid_utf8_at(value)) {
        throw Error(Exit::data, "invalid_argument",
                    fmt::format("{} is not UTF-8 text (byte 0x{:02x} at offset {})", what,
                                static_cast<unsigned char>(value[*at]), *at));
    }
}

void require_timestamp(const std::string& value, const std::string& what) {
    static const std::regex timestamp(
        R"(^([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.[0-9]{1,6})?)? ?)"
        R"((Z|[+-][0-9]{2}(?::?([0-9]{2}))?)?)?$)");
    std::smatch m;
    bool valid = std::regex_match(value, m, timestamp);
    if (valid) {
        const int year = std::stoi(m[1]), month = std::stoi(m[2]), day = std::stoi(m[3]);
        const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        const int days[] = {31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        auto at_most = [&m](int group, int max) { return !m[group].matched || std::stoi(m[group]) <= max; };
        valid = year >= 1 && month >= 1 && month <= 12 && day >= 1 && day <= days[month - 1] && at_most(4, 23) &&
                at_most(5, 59) && at_most(6, 59) && at_most(8, 59) &&
                (!m[7].matched || m[7] == "Z" || std::stoi(m[7].str().substr(1, 2)) <= 15);
    }
    if (!valid) {
        throw Error(Exit::data, "invalid_argument",
                    fmt::format("{} '{}' is not a date or time (e.g. 2026-11-01 or 2026-11-01T08:00+08)", what, value));
    }
}

}  // namespace subctl::cli
