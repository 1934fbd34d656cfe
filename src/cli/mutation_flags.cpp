#include "cli/mutation_flags.hpp"

#include <random>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

namespace subctl::cli {

namespace {

void add_request_id_flag(CLI::App* command, std::optional<std::string>& request_id) {
    command->add_option("--request-id", request_id,
                        "Idempotency key: a repeat returns the first result and changes nothing (default: generated)");
}

void add_comment_flag(CLI::App* command, std::optional<std::string>& comment) {
    command->add_option("--comment", comment, "A reason or ticket, kept in the audit event (one line)");
}

}  // namespace

void add_mutation_flags(CLI::App* command, MutationFlags& flags, bool with_version) {
    add_request_id_flag(command, flags.request_id);
    command->add_flag("--dry-run", flags.dry_run, "Run the very same code, roll it back, report what would happen");
    add_comment_flag(command, flags.comment);
    if (with_version) {
        command->add_option("--if-version", flags.if_version,
                            "Refuse (version_mismatch) unless the subscription is at this version");
    }
}

void add_platform_flags(CLI::App* command, MutationFlags& flags) {
    add_request_id_flag(command, flags.request_id);
    add_comment_flag(command, flags.comment);
}

std::string generate_request_id() {
    std::random_device device;
    std::uniform_int_distribution<unsigned> byte(0, 255);
    unsigned char bytes[16];
    for (auto& b : bytes) b = static_cast<unsigned char>(byte(device));
    bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0f) | 0x40);  // version 4
    bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3f) | 0x80);  // RFC 4122 variant
    std::string id;
    for (int i = 0; i < 16; ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) id += '-';
        id += fmt::format("{:02x}", bytes[i]);
    }
    return id;
}

std::string request_id_of(const MutationFlags& flags) {
    return flags.request_id ? *flags.request_id : generate_request_id();
}

Error naming_request_id(const Error& error, const std::string& request_id) {
    if (error.exit() != Exit::unavailable && error.exit() != Exit::temporary) return error;
    const auto retry = fmt::format("retry with --request-id {} (applied at most once)", request_id);
    return Error(error.exit(), error.code(), error.what(), error.hint().empty() ? retry : error.hint() + "; " + retry,
                 error.value());
}

CommandResult mutation_result(const std::string& request_id, const std::function<nlohmann::json()>& call) {
    nlohmann::json result;
    try {
        result = call();
    } catch (const Error& error) {
        throw naming_request_id(error, request_id);
    }
    return operation_result(std::move(result));
}

}  // namespace subctl::cli
