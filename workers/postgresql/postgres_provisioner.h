// The PostgreSQL worker's operations on the provider's own server: provision, modify, deprovision,
// export and import one order's database and role (named by database_plan.h). Every operation is
// idempotent on the order and serialised per order by an advisory lock, so a redelivered or
// concurrent item finds, and leaves, one database. A lost connection is a retryable failure, a
// bad parameter a permanent one.
#pragma once

#include <chrono>
#include <map>
#include <string>

#include "libs/core/status.h"
#include "libs/worker/worker.h"

namespace mpli::pgworker {

struct ProvisionerConfig {
  // libpq connection string of a superuser, or a role with CREATEROLE and CREATEDB. Holds the
  // server's password: never logged, never put on a child's command line.
  std::string server_dsn;
  std::string public_host;  // what the returned connection details say
  int public_port = 5432;
  // Exports are written and imports read only inside this directory ("" = both refused).
  std::string dump_dir;
  // Where pg_dump and pg_restore are ("" = $MPLI_PG_BIN, else /usr/lib/postgresql/<server
  // major>/bin when present, else PATH).
  std::string pg_bin_dir;
  // For pg_dump/pg_restore when the item has no deadline.
  std::chrono::milliseconds default_tool_timeout{std::chrono::hours(1)};
  // Connections a checksum reads a database on at once (block ranges of its tables).
  int checksum_connections = 2;
  std::int64_t checksum_range_blocks = 8192;  // heap blocks (8 KiB) per range: 64 MiB
  // How long a snapshot finalize pinned for the post-cut-over checksum is held at most.
  std::chrono::seconds snapshot_pin_ttl{std::chrono::minutes(30)};
};

// The DSN on the first non-empty line of `path`. kFailedPrecondition when the file can be read by
// anyone but its owner (mode must be 0600 or stricter): it holds a superuser's password.
Result<std::string> read_server_dsn(const std::string& path);

class PostgresProvisioner {
 public:
  explicit PostgresProvisioner(ProvisionerConfig config);

  // Creates the role and its database, or finds them; the role gets a new password each time
  // (returned as secrets "password" and "uri"). Outputs host, port, database, user,
  // connection_limit.
  worker::Outcome provision(const worker::Work& work, worker::Progress& progress) const;
  // Applies connection_limit; says which parameters PostgreSQL cannot enforce.
  worker::Outcome modify(const worker::Work& work, worker::Progress& progress) const;
  // Ends the database's sessions, drops the database and the role. Already gone = success.
  worker::Outcome deprovision(const worker::Work& work, worker::Progress& progress) const;
  // pg_dump -Fc of the order's database to parameter dump_path (inside dump_dir; default
  // <database>-<work_id>.dump). Outputs dump_path, sha256, bytes.
  worker::Outcome export_database(const worker::Work& work, worker::Progress& progress) const;
  // pg_restore of parameter dump_path into the order's database (objects owned by its role;
  // existing ones replaced, so a repeat gives the same result). Optional parameter sha256 is
  // checked first.
  worker::Outcome import_database(const worker::Work& work, worker::Progress& progress) const;

 private:
  ProvisionerConfig config_;
};

}  // namespace mpli::pgworker
