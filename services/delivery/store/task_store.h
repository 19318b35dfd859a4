// Named SQL and row mapping for tasks (schema delivery). Every function runs inside the caller's
// transaction, so a task's end, its work item's and its TaskFinished event commit together.
#pragma once

#include <optional>
#include <pqxx/pqxx>
#include <string>

#include "mpli/delivery/v1/delivery.pb.h"

namespace mpli::delivery {

// A task as stored: the reply message (without secrets) plus what never leaves the service.
struct TaskRow {
  v1::Task task;               // attempts from its work item
  std::string secrets_sealed;  // the worker's secrets, sealed under the task id ("" = none)
  std::string work_id;
  int deadline_seconds = 0;
  std::string request_hash;
};

class TaskStore {
 public:
  static std::optional<TaskRow> find(pqxx::work& tx, const std::string& id, bool lock);
  // False when the id exists already (nothing written).
  static bool insert(pqxx::work& tx, const TaskRow& row);
  // Writes the outcome columns (state, message, outputs, secrets, retryable, finished_at).
  static void save_outcome(pqxx::work& tx, TaskRow& row);
  // The message of an attempt that is retried.
  static void note(pqxx::work& tx, const std::string& id, const std::string& message);
  // TaskFinished on mpli.events.delivery.v1.task_finished through the outbox: never secrets.
  static void record_finished(pqxx::work& tx, const TaskRow& row);
};

}  // namespace mpli::delivery
