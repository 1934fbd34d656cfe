// Regression tests of inputs found by tests/fuzz/catalog_file_fuzz.cpp.
#include <cstdio>
#include <fstream>

#include <catch2/catch.hpp>

#include "shared/catalog_file.hpp"
#include "shared/errors.hpp"

namespace {

nlohmann::json read_text(const std::string& text) {
    const std::string path = "/tmp/subctl-catalog-test-" + std::to_string(std::rand()) + ".toml";
    std::ofstream(path, std::ios::binary) << text;
    struct Remove {
        std::string path;
        ~Remove() { std::remove(path.c_str()); }
    } remove{path};
    return subctl::read_catalog_file(path);
}

}  // namespace

TEST_CASE("catalog file: a non-ASCII character outside a string is refused (exit 65), not parsed", "[catalog_file]") {
    // toml++ 3.3 reaches __builtin_unreachable on these
    for (const std::string text : {"\xEF\xBB\xB8" "D", "name = \"a\"\n\xC3\xA9 = 1\n", "a = \"\"\"x\\  \n  \xE3\x80\x81y\"\"\"\n",
                                   "b = \"\"\"\\\xC2\xA1\"\"\"\n"}) {
        try {
            read_text(text);
            FAIL("accepted: " << text);
        } catch (const subctl::Error& error) {
            CHECK(error.code() == "invalid_catalog");
            CHECK(error.exit() == subctl::Exit::data);
            CHECK_THAT(error.what(), Catch::Contains("non-ASCII character is only allowed inside a string"));
        }
    }
}

TEST_CASE("catalog file: non-ASCII text inside strings and comments is kept", "[catalog_file]") {
    const auto document = read_text("# \xE3\x80\x82 comment\nname = 'Caf\xC3\xA9'\nnote = \"\"\"\xE3\x80\x81\\\n  z\"\"\"\n");
    CHECK(document["name"] == "Caf\xC3\xA9");
    CHECK(document["note"] == "\xE3\x80\x81z");
}
