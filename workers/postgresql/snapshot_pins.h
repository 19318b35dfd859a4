// Snapshots that a target's finalize pins for the checksum after the cut-over (docs/migrations.md,
// "The plan of each step"): per migration, one open REPEATABLE READ transaction on the target's
// database whose exported snapshot (pg_export_snapshot) the checksum imports while the pin
// holds. The target then takes the consumer's writes at once, and is still compared with the
// frozen source exactly as it was when it caught up. A pin lives in this worker process only: a
// restart loses it, and the checksum then fails saying so.
#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "libs/core/status.h"

namespace mpli::pgworker {

class SnapshotPins {
 public:
  explicit SnapshotPins(std::chrono::seconds ttl) : ttl_(ttl) {}

  // The snapshot pinned for `migration_id`, pinning one on `dsn` when there is none (or it
  // expired). Pins older than the ttl are closed first.
  Result<std::string> pin(const std::string& migration_id, const std::string& dsn);
  // Closes the pin of `migration_id`, if this process holds one.
  void release(const std::string& migration_id);
  std::size_t held();

 private:
  struct Pin {
    std::unique_ptr<PGconn, decltype(&PQfinish)> conn{nullptr, PQfinish};
    std::string snapshot;
    std::chrono::steady_clock::time_point pinned_at;
  };
  void close_expired();  // mutex_ held

  std::chrono::seconds ttl_;
  std::mutex mutex_;
  std::map<std::string, Pin> pins_;
};

}  // namespace mpli::pgworker
