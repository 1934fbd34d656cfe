#include "db/stage_file.hpp"

#include <cstring>
#include <fstream>
#include <regex>
#include <tuple>
#include <vector>

#include <fmt/format.h>
#include <pqxx/except>
#include <pqxx/stream_to>

#include "shared/errors.hpp"
#include "shared/sha256.hpp"
#include "shared/text.hpp"

namespace subctl::db {

namespace {

constexpr std::size_t block_bytes = 64 * 1024;
constexpr std::size_t max_line_bytes = 1024 * 1024;

// One invalid-file error as the database reports them: {line, column, value, message}.
nlohmann::json file_error(long long line, const std::string& message) {
    return {{"line", line}, {"column", nullptr}, {"value", nullptr}, {"message", message}};
}

// Records a line that is not UTF-8 text (PostgreSQL would refuse it with its own words).
bool utf8_error(const std::string& line, long long line_number, StagedFile& staged) {
    const auto at = invalid_utf8_at(line);
    if (!at) return false;
    staged.copy_error = file_error(line_number, fmt::format("not UTF-8 text (byte 0x{:02x} at offset {})",
                                                            static_cast<unsigned char>(line[*at]), *at));
    return true;
}

}  // namespace

// COPYs every line of the file, unparsed, into pg_temp.batch_lines (one row per line,
// in file order: the row's identity is its line number). stream_to escapes COPY's
// specials, so each row is the line's exact bytes; PostgreSQL checks they are UTF-8.
StagedFile stage_file(pqxx::work& tx, const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(Exit::data, "file_unreadable", fmt::format("cannot read batch file {}", path));
    Sha256 sha256;
    StagedFile staged;
    pqxx::stream_to copy(tx, "batch_lines", std::vector<std::string>{"raw"});
    std::vector<char> block(block_bytes);
    std::string line;
    long long line_number = 1;
    try {
        while (staged.copy_error.is_null() &&
               (in.read(block.data(), static_cast<std::streamsize>(block.size())) || in.gcount() > 0)) {
            const char* at = block.data();
            const char* end = at + in.gcount();
            sha256.update(at, static_cast<std::size_t>(end - at));
            while (at < end) {
                const auto* newline = static_cast<const char*>(std::memchr(at, '\n', static_cast<std::size_t>(end - at)));
                line.append(at, newline != nullptr ? newline : end);
                if (line.size() > max_line_bytes) {
                    throw Error(Exit::data, "invalid_batch_file",
                                fmt::format("{}: line {} is longer than {} bytes; nothing applied", path, line_number,
                                            max_line_bytes));
                }
                if (newline == nullptr) break;
                if (utf8_error(line, line_number, staged)) break;
                copy << std::make_tuple(line);
                line.clear();
                ++line_number;
                at = newline + 1;
            }
        }
        if (in.bad()) throw Error(Exit::data, "file_unreadable", fmt::format("error reading batch file {}", path));
        if (staged.copy_error.is_null() && !line.empty() && !utf8_error(line, line_number, staged)) {
            copy << std::make_tuple(line);
        }
        copy.complete();
        if (!staged.copy_error.is_null()) return staged;
    } catch (const pqxx::sql_error& e) {
        // Class 22 is the data COPY refused (utf8_error should have found it first; a NUL
        // byte is UTF-8 but no text): the server's text is not shown, only the line it
        // names. The line is read from the message because libpqxx 6.4's sql_error carries
        // the SQLSTATE and the query but not the CONTEXT field that holds it.
        if (e.sqlstate().compare(0, 2, "22") != 0) throw;
        std::smatch line_match;
        const std::string what = e.what();
        const bool located = std::regex_search(what, line_match, std::regex(R"(COPY batch_lines, line ([0-9]+))"));
        staged.copy_error = file_error(located ? std::stoll(line_match[1]) : 0, "not UTF-8 text");
        return staged;
    }
    staged.sha256 = sha256.hex();
    return staged;
}

}  // namespace subctl::db
