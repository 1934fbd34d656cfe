#pragma once
// libpqxx's exceptions turned into subctl::Error (one table: shared/errors.cpp).
#include <string>

namespace pqxx {
class failure;
}

namespace subctl::db {

// Turns the failure being handled (called inside a catch block) into a subctl::Error:
// libpqxx's exceptions through the one table, a subctl::Error as it is, anything else
// rethrown unchanged. login names the session's login in permission errors; api_call says
// the failing statement called an api.* function (a missing one means an unmigrated database).
[[noreturn]] void rethrow_as_domain_error(const std::string& login = {}, bool api_call = false);

// The SQLSTATE of a libpqxx failure (empty when it carries none).
std::string sqlstate_of(const pqxx::failure& e);

}  // namespace subctl::db
