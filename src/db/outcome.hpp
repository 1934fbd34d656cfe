#pragma once

namespace subctl::db {

// What a transaction does once its body has run.
enum class Outcome { commit, rollback };

}  // namespace subctl::db
