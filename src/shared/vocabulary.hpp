#pragma once
// The vocabulary the SQL defines (the constant functions of migrations/, the rows of
// sql/01_errors.sql), generated at build time into sql/rows.hpp (src/shared/sql_rows.awk):
// the C++ reads it from there and never writes a value of it out.
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "sql/rows.hpp"

namespace subctl {

// A vocabulary as the choices of a command-line option, in the SQL's order.
template <std::size_t N>
std::vector<std::string> choices(const std::string_view (&values)[N]) {
    return std::vector<std::string>(std::begin(values), std::end(values));
}

}  // namespace subctl
