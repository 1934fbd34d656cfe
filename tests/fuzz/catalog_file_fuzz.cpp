// libFuzzer target: reading a catalog file (TOML) into the document that
// api.catalog_apply validates. Any input is either read or refused with a coded error.
#include <unistd.h>

#include <cstddef>
#include <cstdio>
#include <cstdint>
#include <fstream>
#include <string>

#include "shared/catalog_file.hpp"
#include "shared/errors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const struct ScratchFile {
        std::string path = "/tmp/subctl-catalog-fuzz-" + std::to_string(getpid()) + ".toml";
        ~ScratchFile() { std::remove(path.c_str()); }
    } scratch;
    const auto& path = scratch.path;
    std::ofstream(path, std::ios::binary | std::ios::trunc).write(reinterpret_cast<const char*>(data), size);
    try {
        subctl::read_catalog_file(path);
    } catch (const subctl::Error& error) {
        if (error.exit() != subctl::Exit::data) __builtin_trap();
    }
    return 0;
}
