// The PostgreSQL worker's migration operations (docs/migrations.md, "Worker operations for
// migrations"): export, import, catch_up, freeze, unfreeze, finalize, checksum and cleanup of one
// order's database, online (logical replication) or offline (pg_dump piped into pg_restore).
// Each is idempotent on re-delivery: objects are named from the migration id, found when they
// exist and made when not; a wait is bounded by the item's deadline and a missed one is retryable.
#pragma once

#include <memory>

#include "libs/worker/worker.h"
#include "workers/postgresql/postgres_provisioner.h"
#include "workers/postgresql/snapshot_pins.h"

namespace mpli::pgworker {

class PostgresMigrator {
 public:
  explicit PostgresMigrator(ProvisionerConfig config);

  // An export or import item of a migration (it carries migration_id or the parameter mode), as
  // opposed to the dump-to-file export and import of an order.
  static bool is_migration_item(const worker::Work& work);

  // Source. Creates (or renews the password of) the migration role: LOGIN, SELECT on every table
  // and sequence of the consumer's database, REPLICATION when online; online also makes the
  // publication FOR ALL TABLES (tables without a primary key get REPLICA IDENTITY FULL, else an
  // UPDATE on them would fail on the source). Outputs migration_user, publication (online);
  // secret migration_password.
  worker::Outcome export_database(const worker::Work& work, worker::Progress& progress) const;
  // Target. online: the source's schema (pg_dump --schema-only | pg_restore), then CREATE
  // SUBSCRIPTION (copy_data) and waits until every table is copied. offline: pg_dump -Fc |
  // pg_restore. Outputs subscription (online), bytes, tables.
  worker::Outcome import_database(const worker::Work& work, worker::Progress& progress) const;
  // Target. Waits until the slot's lag on the source is at most max_lag_bytes. Outputs lag_bytes.
  worker::Outcome catch_up(const worker::Work& work, worker::Progress& progress) const;
  // Source. The consumer's database read-only for new sessions, every session begun before
  // ended (in passes until none is left). Outputs frozen_at (the first freeze's, on a repeat) and
  // lsn (after the freeze).
  worker::Outcome freeze(const worker::Work& work, worker::Progress& progress) const;
  worker::Outcome unfreeze(const worker::Work& work, worker::Progress& progress) const;
  // Target. Waits until the source's slot confirms `lsn`, drops the subscription (and the slot on
  // the source), sets every sequence to the source's value, then pins a snapshot of the
  // database for the checksum after the cut-over (snapshot_pins.h). Outputs sequences, snapshot.
  worker::Outcome finalize(const worker::Work& work, worker::Progress& progress) const;
  // Either side. Outputs verification: per user table its rows and RowDigestSum of their COPY
  // text (parameter method=copy-sha256, the default) or of their in-server row hashes
  // (method=row-hash, row_hash.h), and method; read in block ranges on config.checksum_connections
  // connections sharing one snapshot: the `snapshot` parameter's (pinned by finalize) when given,
  // else one taken now.
  worker::Outcome checksum(const worker::Work& work, worker::Progress& progress) const;
  // Either side. Outputs row_hash_probe (row_hash.h): equal on two servers whose row-hash
  // checksums compare; empty when this server has no row hash (before PostgreSQL 11).
  worker::Outcome hash_probe(const worker::Work& work, worker::Progress& progress) const;
  // Either side. Drops what exists here of the subscription, the slot, the publication and the
  // migration role. Absent = success.
  worker::Outcome cleanup(const worker::Work& work, worker::Progress& progress) const;

 private:
  ProvisionerConfig config_;
  std::shared_ptr<SnapshotPins> pins_;
};

}  // namespace mpli::pgworker
