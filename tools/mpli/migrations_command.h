// `mpli migrations create|list|show|cancel|wait|report`: moving an order to another provider
// through a hub's /v1/migrations (docs/cli.md, docs/migrations.md).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace mpli::cli {

// `mpli migrations wait`'s own exit codes beside the hub commands' (hub.h): the migration ended,
// but not completed.
constexpr int kExitRolledBack = 5;  // rolled back: the source untouched and serving
constexpr int kExitFailed = 6;      // failed: its rollback left work for an operator

int run_migrations_command(int argc, char** argv);

// GET /v1/migrations as a table: ID, STATE, ORDER, FROM, TO, MODE, UPDATED.
std::string migrations_table(const nlohmann::json& migrations);
// One migration: its fields, reasons, steps (with durations) and verification.
std::string migration_fields(const nlohmann::json& migration);

}  // namespace mpli::cli
