#include "services/delivery/store/task_store.h"

#include <nlohmann/json.hpp>

#include "libs/db/outbox.h"
#include "libs/db/prepared.h"
#include "services/delivery/store/row_json.h"

namespace mpli::delivery {

namespace {

constexpr const char* kSchema = "delivery";

const std::string kTaskColumns =
    "t.id, t.migration_id, t.order_id, t.tenant, t.provider_id, t.operation, t.offering_id, "
    "t.worker_kind, t.artifact, t.parameters::text, t.state, t.message, t.outputs::text, "
    "t.secrets_sealed, t.retryable, coalesce(w.attempt, 0), " MPLI_RFC3339(
        "t.created_at") ", coalesce(" MPLI_RFC3339("t.finished_at") ", ''), t.work_id, "
                        "t.deadline_seconds, t.request_hash";

TaskRow task_of(const pqxx::row& r) {
  TaskRow row;
  v1::Task& t = row.task;
  t.set_id(r[0].as<std::string>());
  t.set_migration_id(r[1].as<std::string>());
  t.set_order_id(r[2].as<std::string>());
  t.set_tenant(r[3].as<std::string>());
  t.set_provider_id(r[4].as<std::string>());
  t.set_operation(r[5].as<std::string>());
  t.set_offering_id(r[6].as<std::string>());
  t.set_worker_kind(r[7].as<std::string>());
  t.set_artifact(r[8].as<std::string>());
  fill_map(r[9].as<std::string>(), t.mutable_parameters());
  t.set_state(r[10].as<std::string>());
  t.set_message(r[11].as<std::string>());
  fill_map(r[12].as<std::string>(), t.mutable_outputs());
  if (!r[13].is_null()) row.secrets_sealed = pqxx::binarystring(r[13]).str();
  t.set_retryable(r[14].as<bool>());
  t.set_attempts(r[15].as<int>());
  t.set_created_at(r[16].as<std::string>());
  t.set_finished_at(r[17].as<std::string>());
  row.work_id = r[18].as<std::string>();
  row.deadline_seconds = r[19].as<int>();
  row.request_hash = r[20].as<std::string>();
  return row;
}

}  // namespace

std::optional<TaskRow> TaskStore::find(pqxx::work& tx, const std::string& id, bool lock) {
  auto rows = db::exec_prepared(tx,
                                "SELECT " + kTaskColumns +
                                    " FROM delivery.tasks t LEFT JOIN delivery.work_items w "
                                    "ON w.work_id = t.work_id WHERE t.id = $1" +
                                    (lock ? " FOR UPDATE OF t" : ""),
                                id);
  if (rows.empty()) return std::nullopt;
  return task_of(rows[0]);
}

bool TaskStore::insert(pqxx::work& tx, const TaskRow& row) {
  const v1::Task& t = row.task;
  auto inserted = db::exec_prepared(
      tx,
      "INSERT INTO delivery.tasks (id, migration_id, order_id, tenant, provider_id, operation, "
      "offering_id, worker_kind, artifact, parameters, state, work_id, deadline_seconds, "
      "request_hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11, $12, $13, $14) "
      "ON CONFLICT (id) DO NOTHING RETURNING id",
      t.id(), t.migration_id(), t.order_id(), t.tenant(), t.provider_id(), t.operation(),
      t.offering_id(), t.worker_kind(), t.artifact(), json_of(t.parameters()), t.state(),
      row.work_id, row.deadline_seconds, row.request_hash);
  return !inserted.empty();
}

void TaskStore::save_outcome(pqxx::work& tx, TaskRow& row) {
  const v1::Task& t = row.task;
  pqxx::binarystring sealed(row.secrets_sealed);
  auto updated = db::exec_prepared(
      tx,
      "UPDATE delivery.tasks SET state = $2, message = $3, outputs = $4::jsonb, "
      "secrets_sealed = NULLIF($5, ''::bytea), retryable = $6, finished_at = clock_timestamp() "
      "WHERE id = $1 RETURNING " MPLI_RFC3339("finished_at"),
      t.id(), t.state(), t.message(), json_of(t.outputs()), sealed, t.retryable());
  if (!updated.empty()) row.task.set_finished_at(updated[0][0].as<std::string>());
}

void TaskStore::note(pqxx::work& tx, const std::string& id, const std::string& message) {
  db::exec_prepared(tx, "UPDATE delivery.tasks SET message = $2 WHERE id = $1", id, message);
}

void TaskStore::record_finished(pqxx::work& tx, const TaskRow& row) {
  const v1::Task& t = row.task;
  v1::TaskFinished event;
  event.set_task_id(t.id());
  event.set_migration_id(t.migration_id());
  event.set_order_id(t.order_id());
  event.set_provider_id(t.provider_id());
  event.set_operation(t.operation());
  event.set_state(t.state());
  event.set_message(t.message());
  *event.mutable_outputs() = t.outputs();
  event.set_retryable(t.retryable());
  db::enqueue_event(
      tx, kSchema, kSchema,
      {"mpli.events.delivery.v1.task_finished", event.GetTypeName(), event.SerializeAsString()});
}

}  // namespace mpli::delivery
