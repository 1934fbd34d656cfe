#include "cli/validate.hpp"

#include <regex>

#include <fmt/format.h>

#include "shared/errors.hpp"
#include "shared/text.hpp"
#include "shared/vocabulary.hpp"

namespace subctl::cli {

std::string require_uuid(const std::string& value, const std::string& what) {
    static const std::regex uuid{std::string(sql::uuid_pattern)};
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
    constexpr long long max = sql::quantity_max;
    static const std::regex digits(fmt::format("^[0-9]{{1,{}}}$", std::to_string(max).size()));
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
    const auto count = characters(value);
    if (count == 0 || count > max_length) {
        throw Error(Exit::data, "invalid_argument",
                    fmt::format("{} must have 1 to {} characters (got {})", what, max_length, count));
    }
    if (visible(value) != value) {
        throw Error(Exit::data, "invalid_argument", fmt::format("{} contains a control character", what));
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

std::string id_or_prefix_help(const std::string& what) {
    return fmt::format("{}: id or a unique prefix of {}+ characters", what, sql::id_prefix_min_length);
}

}  // namespace subctl::cli
