// Named SQL and row mapping for migrations, their transitions, steps and step tasks (schema
// portability). Every function runs inside the caller's transaction: a use case composes them
// so that a state change, its transition row and its MigrationChanged event commit together.
#pragma once

#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "mpli/portability/v1/portability.pb.h"
#include "services/portability/domain/plan.h"

namespace mpli::portability {

// A migration as stored: the reply message (without steps) plus what stays inside.
struct MigrationRow {
  v1::Migration migration;
  std::string request_hash;
  std::string source_offering_name;
  std::string target_offering_name;
  std::string decommissioned_at;
  StringMap source_outputs;
  StringMap target_parameters;
  StringMap terms;
  StringMap facts;
};

struct TaskRow {
  std::string task_id;
  std::string migration_id;
  int step_seq = 0;
  int wave = 0;
  std::string key;
  std::string side;
  std::string provider_id;
  std::string operation;
  std::string request;  // serialized delivery.v1.SubmitTaskRequest
  bool submitted = false;
  std::string state = "running";
  std::string message;
  StringMap outputs;
};

struct StepRow {
  int seq = 0;
  v1::Step step;  // without tasks
};

class MigrationStore {
 public:
  static std::optional<MigrationRow> find(pqxx::work& tx, const std::string& id, bool lock);
  static std::optional<MigrationRow> find_by_key(pqxx::work& tx, const std::string& tenant,
                                                 const std::string& key);
  // The order's unfinished migration, if any.
  static std::optional<std::string> unfinished_for_order(pqxx::work& tx,
                                                         const std::string& order_id);
  static void insert(pqxx::work& tx, MigrationRow& row);
  // Writes every mutable column when the stored version is `expected_version` (optimistic);
  // false (nothing written) when someone else changed it meanwhile.
  static bool save(pqxx::work& tx, MigrationRow& row, int64_t expected_version);
  // The transition row and the MigrationChanged event (row's version).
  static void record_transition(pqxx::work& tx, const MigrationRow& row, const std::string& from,
                                const std::string& to, const std::string& reason);
  // Newest first; `after_id` = "" for the first page.
  static std::vector<MigrationRow> list(pqxx::work& tx, const std::string& tenant,
                                        const std::string& state, const std::string& order_id,
                                        int limit, const std::string& after_id);
  static std::vector<std::string> unfinished(pqxx::work& tx, int limit);

  // Steps.
  static int open_step(pqxx::work& tx, const std::string& migration_id, const std::string& name,
                       const std::string& outcome, const std::string& message);
  static std::optional<StepRow> current_step(pqxx::work& tx, const std::string& migration_id);
  static void finish_step(pqxx::work& tx, const std::string& migration_id, int seq,
                          const std::string& outcome, const std::string& message, int64_t bytes);
  // Oldest first, with their tasks.
  static std::vector<v1::Step> steps(pqxx::work& tx, const std::string& migration_id);

  // Step tasks.
  static void insert_task(pqxx::work& tx, const TaskRow& task);
  static std::vector<TaskRow> step_tasks(pqxx::work& tx, const std::string& migration_id,
                                         int step_seq);
  static std::optional<TaskRow> find_task(pqxx::work& tx, const std::string& task_id);
  static void mark_submitted(pqxx::work& tx, const std::string& task_id);
  // A running task's outcome; false when it was settled already.
  static bool finish_task(pqxx::work& tx, const std::string& task_id, const std::string& state,
                          const std::string& message, const StringMap& outputs);
  // Every task of the migration, oldest first (the SIGKILL test reads them).
  static std::vector<TaskRow> all_tasks(pqxx::work& tx, const std::string& migration_id);
};

}  // namespace mpli::portability
