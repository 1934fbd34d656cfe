#pragma once
// Support for [db] tests: run build/subctl against the test cluster (DATABASE_URL or
// PG* from `make test`) and inspect its exit code, stdout (JSON) and stderr; and fresh
// partners/customers so that tests never depend on each other's data.
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

namespace test {

struct Run {
    int exit = -1;
    std::string out;
    std::string err;
    nlohmann::json json() const;  // stdout parsed as JSON (fails the test when it is not)
};

// Runs the subctl binary with args; env entries override (an empty value unsets).
Run subctl(const std::vector<std::string>& args, const std::map<std::string, std::string>& env = {});

// A unique id with a readable prefix, e.g. "p-3f9a1c2b7d".
std::string unique(const std::string& prefix);

// A new partner; SUBCTL_PARTNER for the runs of a test.
std::string new_partner();

// A customer of the partner, with an active office365 relationship unless told not to.
std::string new_customer(const std::string& partner, bool with_relationship = true);

// A subscription of the customer recorded by the partner; returns its id.
std::string new_subscription(const std::string& partner, const std::string& customer, const std::string& offer,
                             const std::vector<std::string>& extra = {});

// A direct connection to the test database, for SQL assertions.
pqxx::connection connect();

// One value from the test database, e.g. how many rows a bad command left behind.
template <typename T = long long, typename... Args>
T scalar(const std::string& sql, Args&&... args) {
    auto connection = connect();
    pqxx::work tx(connection);
    return tx.exec_params(sql, std::forward<Args>(args)...)[0][0].template as<T>();
}

// A file in /tmp holding exactly these bytes, removed when it goes out of scope.
struct TempFile {
    std::string path;
    explicit TempFile(const std::string& bytes);
    ~TempFile();
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;
};

// A folder in /tmp of its own, removed with everything in it when it goes out of scope.
struct TempDir {
    std::filesystem::path path;
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
};

// The tree whose migrations/, sql/ and config/ the binary reads: SUBCTL_HOME, else the
// source tree.
std::filesystem::path home();

// The whole content of a file.
std::string read_text(const std::filesystem::path& path);

// A well-formed UUID that names nothing.
inline const std::string nil_uuid = "00000000-0000-4000-8000-000000000000";

}  // namespace test
