#pragma once
// Opening a connection: a URL that is no URL, a refused login, an unreachable server or
// one that accepts no writes each become one subctl::Error naming where the URL came from.
#include <string>

#include <pqxx/connection>

namespace subctl::db {

pqxx::connection connect(const std::string& url, const std::string& url_source);

}  // namespace subctl::db
