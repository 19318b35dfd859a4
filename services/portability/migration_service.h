// The portability use cases: migrations (create, get, list, cancel, report) and the driver that
// moves each unfinished migration on one step at a time (docs/migrations.md). Decisions come
// from domain/, rows from store/; a state change, its row and its event commit together, and
// every side effect (submit_task, move_order) follows the commit that records it, so that a
// restart after a crash at any moment repeats it with the same ids.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "libs/bus/connection.h"
#include "libs/db/pool.h"
#include "mpli/delivery/v1/delivery.pb.h"
#include "mpli/portability/v1/portability.pb.h"
#include "services/portability/store/migration_store.h"

namespace mpli::portability {

struct MigrationServiceOptions {
  std::chrono::milliseconds upstream_timeout{std::chrono::seconds(10)};
  std::chrono::milliseconds grace_period{std::chrono::hours(24)};
  // Wakes the driver: a migration just created or cancelled moves at once, not at the next scan.
  std::function<void()> wake_driver;
};

class MigrationService {
 public:
  MigrationService(db::Pool& pool, bus::Connection& bus, MigrationServiceOptions options);

  Result<v1::CreateMigrationReply> create(const v1::CreateMigrationRequest& request);
  Result<v1::Migration> get(const v1::GetMigrationRequest& request);
  Result<v1::ListMigrationsReply> list(const v1::ListMigrationsRequest& request);
  Result<v1::Migration> cancel(const v1::CancelMigrationRequest& request);
  Result<v1::SwitchingReport> report(const v1::GetReportRequest& request);

  // A task_finished event from delivery: the task's outcome is stored and its migration is
  // driven on. Ok for a task that is not portability's; an error only for one worth
  // redelivering (database).
  Status on_task_finished(const delivery::v1::TaskFinished& event);
  // One pass over every unfinished migration; `poll` also asks delivery (get_task) about tasks
  // still running, so a missed event never stalls a migration.
  void drive_all(bool poll);
  // Drives one migration as far as it goes without waiting.
  Status drive(const std::string& id, bool poll);

 private:
  struct Input;
  Result<v1::Migration> with_steps(const MigrationRow& row);
  // Stores a task's outcome and what it taught the migration; false when it was known already.
  Result<bool> settle_task(const std::string& task_id, const std::string& state,
                           const std::string& message, const StringMap& outputs);
  // One move of the migration; true when it changed something (drive calls it again).
  Result<bool> step_once(const std::string& id, bool poll);
  Result<bool> run_waves(MigrationRow& row, int step_seq, bool poll);
  Result<bool> cut_over(MigrationRow& row, int step_seq);
  // Compares both sides' checksums and stores the per-table result; unequal or unreadable fails
  // the migration (nullopt). Else the "N tables equal" message.
  Result<std::optional<std::string>> record_verification(const MigrationRow& row, int step_seq);
  Status advance(const std::string& id, int64_t version, int step_seq, const std::string& outcome,
                 const std::string& message);
  Status fail(const std::string& id, int64_t version, int step_seq, const std::string& reason);
  Status submit(const TaskRow& task);

  db::Pool& pool_;
  bus::Connection& bus_;
  MigrationServiceOptions options_;
  std::mutex drive_mutex_;  // one driver pass at a time in this process
};

}  // namespace mpli::portability
