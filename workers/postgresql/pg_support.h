// What every PostgreSQL worker operation shares: the outcome guard (exceptions and failures become
// outcomes, secrets scrubbed from messages), the per-order administrative session, and how
// pg_dump/pg_restore find the server (environment, never arguments) and report failures.
#pragma once

#include <chrono>
#include <map>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "libs/core/log.h"
#include "libs/core/status.h"
#include "libs/worker/worker.h"
#include "workers/postgresql/domain/database_plan.h"
#include "workers/postgresql/domain/migration_plan.h"
#include "workers/postgresql/postgres_provisioner.h"

namespace mpli::pgworker {

using worker::Outcome;
using worker::Work;

std::string first_line(const std::string& text);
std::string last_line(const std::string& text);
// The item's parameter `key`, "" when absent.
std::string parameter(const Work& work, const std::string& key);
std::string with_notes(std::string message, const std::vector<std::string>& notes);
// How long a child tool may run: until the item's deadline, or the configured default.
std::chrono::milliseconds time_left(const Work& work, std::chrono::milliseconds fallback);
Outcome failure_from(const Status& status);
// Replaces every secret of the item found in `message` (a server may echo a connection string).
void scrub_secrets(const Work& work, std::string& message);

// Runs one operation: the failures it returns, and what libpqxx throws, become the outcome.
template <typename Body>
Outcome guarded(const char* operation, const Work& work, Body&& body) {
  log::CorrelationScope scope(work.work_id());
  Outcome outcome;
  try {
    Result<Outcome> result = body();
    outcome = result ? std::move(result).value() : failure_from(result.status());
  } catch (const pqxx::broken_connection& e) {
    outcome = Outcome::failure("lost the connection to PostgreSQL: " + first_line(e.what()), true);
  } catch (const pqxx::sql_error& e) {
    // what() is the server's message; the query is not repeated (it may hold a password verifier).
    outcome =
        Outcome::failure("PostgreSQL: " + first_line(e.what()) + " (SQLSTATE " + e.sqlstate() + ")",
                         retryable_sqlstate(e.sqlstate()));
  } catch (const std::exception& e) {
    outcome = Outcome::failure(std::string("PostgreSQL worker: ") + first_line(e.what()), false);
  }
  // A wrong password or a missing role stays wrong however often it is tried.
  if (!outcome.succeeded && outcome.retryable && permanent_connection_failure(outcome.message)) {
    outcome.retryable = false;
  }
  scrub_secrets(work, outcome.message);
  log::write(outcome.succeeded ? log::Level::kInfo : log::Level::kWarn,
             std::string(operation) + (outcome.succeeded ? " succeeded" : " failed"),
             {{"order_id", work.order_id()},
              {"work_id", work.work_id()},
              {"attempt", work.attempt()},
              {"message", outcome.message},
              {"retryable", outcome.retryable}});
  return outcome;
}

// One administrative session on the provider's server, holding the order's advisory lock for
// its lifetime (session-level: released when the connection closes, also on a crash).
class AdminSession {
 public:
  AdminSession(const std::string& dsn, const std::string& name) : conn_(dsn), tx_(conn_) {
    // A stuck holder (a hung earlier attempt) must not block this one forever: lock_timeout
    // gives 55P03, which is retryable.
    tx_.exec0("SET lock_timeout = '60s'");
    tx_.exec_params("SELECT pg_advisory_lock(hashtext($1))", "mpli-worker-postgresql/" + name);
  }

  pqxx::nontransaction& tx() { return tx_; }
  std::string q(const std::string& identifier) { return conn_.quote_name(identifier); }
  std::string literal(const std::string& text) { return tx_.quote(text); }
  int server_version() const { return conn_.server_version(); }

  bool role_exists(const std::string& role) {
    return !tx_.exec_params("SELECT 1 FROM pg_roles WHERE rolname = $1", role).empty();
  }
  // The owner's name, or nullopt when there is no such database.
  std::optional<std::string> database_owner(const std::string& database) {
    auto rows = tx_.exec_params(
        "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = $1", database);
    if (rows.empty()) return std::nullopt;
    return rows[0][0].as<std::string>();
  }
  bool is_superuser() {
    return tx_.exec1("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")[0].as<bool>();
  }

 private:
  pqxx::connection conn_;
  pqxx::nontransaction tx_;
};
// A DSN's keywords that have a value, with the PG* variable each has ("" when none).
struct DsnSetting {
  std::string keyword;
  std::string envvar;
  std::string value;
};
// kInvalidArgument when the DSN does not parse (the message does not repeat the DSN).
Result<std::vector<DsnSetting>> parse_dsn(const std::string& dsn);

// The environment a libpq tool needs to reach `database` as the DSN's role: every DSN keyword
// as its PG* variable (the password included), so nothing secret is on the command line, where
// any local user could read it in /proc.
Result<std::map<std::string, std::string>> libpq_environment(const std::string& dsn,
                                                             const std::string& database);
// pg_dump, pg_restore, ... of the server's major version when installed.
std::string tool_path(const ProvisionerConfig& config, int server_version, const std::string& tool);
// A libpq tool's failure: the last line it printed, retryable when it could not reach the server.
Outcome tool_failure(const std::string& tool, const std::string& output);

}  // namespace mpli::pgworker
