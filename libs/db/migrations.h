// Per-service schema migrations: compiled into the binary (cmake mpli_embed_sql), applied in
// order under an advisory lock, each recorded with a checksum; running them again is a no-op.
#pragma once

#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "libs/core/sql_identifier.h"  // quote_identifier, used with the schema names
#include "libs/core/status.h"

namespace mpli::db {

struct Migration {
  int version;       // from the file name: 0001_init.sql -> 1
  std::string name;  // "0001_init"
  std::string sql;   // runs with search_path = <schema>, public
};

// The tables libs/db itself needs in every schema (the transactional outbox), applied first.
const std::vector<Migration>& library_migrations();

struct MigrationOutcome {
  int applied = 0;  // how many ran now
  int already = 0;  // how many were there before
};

// Creates the schema when missing and applies what is pending, all in one transaction. An
// applied migration whose text changed since is an error (the schema would no longer match
// its history).
Result<MigrationOutcome> migrate(pqxx::connection& connection, const std::string& schema,
                                 const std::vector<Migration>& migrations);

}  // namespace mpli::db
