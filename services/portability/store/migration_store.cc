#include "services/portability/store/migration_store.h"

#include <nlohmann/json.hpp>

#include "libs/db/outbox.h"

namespace mpli::portability {

namespace {

constexpr const char* kSchema = "portability";

template <typename Map>
std::string json_of_map(const Map& map) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [key, value] : map) out[key] = value;
  return out.dump();
}

template <typename Field>
std::string json_of_list(const Field& field) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& value : field) out.push_back(value);
  return out.dump();
}

StringMap map_of(const std::string& json) {
  StringMap out;
  auto parsed = nlohmann::json::parse(json, nullptr, false);
  if (!parsed.is_object()) return out;
  for (auto it = parsed.begin(); it != parsed.end(); ++it) {
    out[it.key()] = it.value().is_string() ? it.value().get<std::string>() : it.value().dump();
  }
  return out;
}

std::vector<std::string> list_of(const std::string& json) {
  std::vector<std::string> out;
  auto parsed = nlohmann::json::parse(json, nullptr, false);
  if (!parsed.is_array()) return out;
  for (const auto& value : parsed) {
    if (value.is_string()) out.push_back(value.get<std::string>());
  }
  return out;
}

std::string verification_json(const v1::Migration& m) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& t : m.verification()) {
    out.push_back({{"name", t.name()},
                   {"source_rows", t.source_rows()},
                   {"target_rows", t.target_rows()},
                   {"source_checksum", t.source_checksum()},
                   {"target_checksum", t.target_checksum()},
                   {"equal", t.equal()}});
  }
  return out.dump();
}

void fill_verification(const std::string& json, v1::Migration& m) {
  auto parsed = nlohmann::json::parse(json, nullptr, false);
  if (!parsed.is_array()) return;
  for (const auto& e : parsed) {
    auto* t = m.add_verification();
    t->set_name(e.value("name", ""));
    t->set_source_rows(e.value("source_rows", int64_t{0}));
    t->set_target_rows(e.value("target_rows", int64_t{0}));
    t->set_source_checksum(e.value("source_checksum", ""));
    t->set_target_checksum(e.value("target_checksum", ""));
    t->set_equal(e.value("equal", false));
  }
}

#define MPLI_RFC3339(column) \
  "coalesce(to_char(" column " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), '')"

const std::string kColumns =
    "id, tenant, order_id, state, mode, data_kind, source_provider_id, source_offering_id, "
    "source_offering_name, target_provider_id, target_offering_id, target_offering_name, format, "
    "source_format, target_format, to_jsonb(reasons)::text, idempotency_key, request_hash, "
    "version, bytes_transferred, write_downtime_ms, " MPLI_RFC3339("cut_over_at") ", " MPLI_RFC3339(
        "decommission_after") ", " MPLI_RFC3339("decommissioned_at") ", " MPLI_RFC3339("completed_at") ", "
    "cancel_requested, verification::text, source_outputs::text, target_parameters::text, "
    "target_outputs::text, terms::text, facts::text, " MPLI_RFC3339("created_at") ", " MPLI_RFC3339(
        "updated_at");

MigrationRow row_of(const pqxx::row& r) {
  MigrationRow row;
  v1::Migration& m = row.migration;
  m.set_id(r[0].as<std::string>());
  m.set_tenant(r[1].as<std::string>());
  m.set_order_id(r[2].as<std::string>());
  m.set_state(r[3].as<std::string>());
  m.set_mode(r[4].as<std::string>());
  m.set_data_kind(r[5].as<std::string>());
  m.set_source_provider_id(r[6].as<std::string>());
  m.set_source_offering_id(r[7].as<std::string>());
  row.source_offering_name = r[8].as<std::string>();
  m.set_target_provider_id(r[9].as<std::string>());
  m.set_target_offering_id(r[10].as<std::string>());
  row.target_offering_name = r[11].as<std::string>();
  m.set_format(r[12].as<std::string>());
  m.set_source_format(r[13].as<std::string>());
  m.set_target_format(r[14].as<std::string>());
  for (auto& reason : list_of(r[15].as<std::string>())) m.add_reasons(reason);
  m.set_idempotency_key(r[16].as<std::string>());
  row.request_hash = r[17].as<std::string>();
  m.set_version(r[18].as<int64_t>());
  m.set_bytes_transferred(r[19].as<int64_t>());
  m.set_write_downtime_ms(r[20].as<int64_t>());
  m.set_cut_over_at(r[21].as<std::string>());
  m.set_decommission_after(r[22].as<std::string>());
  row.decommissioned_at = r[23].as<std::string>();
  m.set_completed_at(r[24].as<std::string>());
  m.set_cancel_requested(r[25].as<bool>());
  fill_verification(r[26].as<std::string>(), m);
  row.source_outputs = map_of(r[27].as<std::string>());
  row.target_parameters = map_of(r[28].as<std::string>());
  for (const auto& [key, value] : map_of(r[29].as<std::string>())) {
    (*m.mutable_target_outputs())[key] = value;
  }
  row.terms = map_of(r[30].as<std::string>());
  row.facts = map_of(r[31].as<std::string>());
  m.set_created_at(r[32].as<std::string>());
  m.set_updated_at(r[33].as<std::string>());
  return row;
}

std::optional<MigrationRow> first(const pqxx::result& rows) {
  if (rows.empty()) return std::nullopt;
  return row_of(rows[0]);
}

const std::string kTaskColumns =
    "task_id, migration_id, step_seq, wave, task_key, side, provider_id, operation, request, "
    "submitted, state, message, outputs::text";

TaskRow task_of(const pqxx::row& r) {
  TaskRow t;
  t.task_id = r[0].as<std::string>();
  t.migration_id = r[1].as<std::string>();
  t.step_seq = r[2].as<int>();
  t.wave = r[3].as<int>();
  t.key = r[4].as<std::string>();
  t.side = r[5].as<std::string>();
  t.provider_id = r[6].as<std::string>();
  t.operation = r[7].as<std::string>();
  t.request = pqxx::binarystring(r[8]).str();
  t.submitted = r[9].as<bool>();
  t.state = r[10].as<std::string>();
  t.message = r[11].as<std::string>();
  t.outputs = map_of(r[12].as<std::string>());
  return t;
}

}  // namespace

std::optional<MigrationRow> MigrationStore::find(pqxx::work& tx, const std::string& id, bool lock) {
  return first(tx.exec_params("SELECT " + kColumns + " FROM portability.migrations WHERE id = $1" +
                                  (lock ? " FOR UPDATE" : ""),
                              id));
}

std::optional<MigrationRow> MigrationStore::find_by_key(pqxx::work& tx, const std::string& tenant,
                                                        const std::string& key) {
  return first(tx.exec_params("SELECT " + kColumns +
                                  " FROM portability.migrations WHERE tenant = $1 AND "
                                  "idempotency_key = $2",
                              tenant, key));
}

std::optional<std::string> MigrationStore::unfinished_for_order(pqxx::work& tx,
                                                                const std::string& order_id) {
  auto rows = tx.exec_params(
      "SELECT id FROM portability.migrations WHERE order_id = $1 AND state NOT IN ('completed', "
      "'rolled_back', 'failed')",
      order_id);
  if (rows.empty()) return std::nullopt;
  return rows[0][0].as<std::string>();
}

void MigrationStore::insert(pqxx::work& tx, MigrationRow& row) {
  const v1::Migration& m = row.migration;
  auto inserted = tx.exec_params(
      "INSERT INTO portability.migrations (id, tenant, order_id, state, mode, data_kind, "
      "source_provider_id, source_offering_id, source_offering_name, target_provider_id, "
      "target_offering_id, target_offering_name, format, source_format, target_format, "
      "idempotency_key, request_hash, version, source_outputs, target_parameters, terms, facts) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, "
      "$19::jsonb, $20::jsonb, $21::jsonb, $22::jsonb) RETURNING " MPLI_RFC3339(
          "created_at") ", " MPLI_RFC3339("updated_at"),
      m.id(), m.tenant(), m.order_id(), m.state(), m.mode(), m.data_kind(), m.source_provider_id(),
      m.source_offering_id(), row.source_offering_name, m.target_provider_id(),
      m.target_offering_id(), row.target_offering_name, m.format(), m.source_format(),
      m.target_format(), m.idempotency_key(), row.request_hash, m.version(),
      json_of_map(row.source_outputs), json_of_map(row.target_parameters), json_of_map(row.terms),
      json_of_map(row.facts));
  row.migration.set_created_at(inserted[0][0].as<std::string>());
  row.migration.set_updated_at(inserted[0][1].as<std::string>());
}

bool MigrationStore::save(pqxx::work& tx, MigrationRow& row, int64_t expected_version) {
  const v1::Migration& m = row.migration;
  auto updated = tx.exec_params(
      "UPDATE portability.migrations SET state = $3, reasons = ARRAY(SELECT "
      "jsonb_array_elements_text($4::jsonb)), version = $5, bytes_transferred = $6, "
      "write_downtime_ms = $7, cut_over_at = NULLIF($8, '')::timestamptz, "
      "decommission_after = NULLIF($9, '')::timestamptz, "
      "decommissioned_at = NULLIF($10, '')::timestamptz, "
      "completed_at = NULLIF($11, '')::timestamptz, cancel_requested = $12, "
      "verification = $13::jsonb, target_outputs = $14::jsonb, facts = $15::jsonb, "
      "updated_at = clock_timestamp() WHERE id = $1 AND version = $2 RETURNING " MPLI_RFC3339(
          "updated_at"),
      m.id(), expected_version, m.state(), json_of_list(m.reasons()), m.version(),
      m.bytes_transferred(), m.write_downtime_ms(), m.cut_over_at(), m.decommission_after(),
      row.decommissioned_at, m.completed_at(), m.cancel_requested(), verification_json(m),
      json_of_map(m.target_outputs()), json_of_map(row.facts));
  if (updated.empty()) return false;
  row.migration.set_updated_at(updated[0][0].as<std::string>());
  return true;
}

void MigrationStore::record_transition(pqxx::work& tx, const MigrationRow& row,
                                       const std::string& from, const std::string& to,
                                       const std::string& reason) {
  const v1::Migration& m = row.migration;
  tx.exec_params(
      "INSERT INTO portability.migration_transitions (migration_id, from_state, to_state, reason) "
      "VALUES ($1, $2, $3, $4)",
      m.id(), from, to, reason);
  v1::MigrationChanged event;
  event.set_migration_id(m.id());
  event.set_tenant(m.tenant());
  event.set_order_id(m.order_id());
  event.set_source_provider_id(m.source_provider_id());
  event.set_target_provider_id(m.target_provider_id());
  event.set_from(from);
  event.set_to(to);
  event.set_reason(reason);
  event.set_version(m.version());
  db::enqueue_event(tx, kSchema, kSchema,
                    {"mpli.events.portability.v1.migration_changed", event.GetTypeName(),
                     event.SerializeAsString()});
}

std::vector<MigrationRow> MigrationStore::list(pqxx::work& tx, const std::string& tenant,
                                               const std::string& state,
                                               const std::string& order_id, int limit,
                                               const std::string& after_id) {
  std::vector<MigrationRow> out;
  for (const auto& r : tx.exec_params(
           "SELECT " + kColumns +
               " FROM portability.migrations WHERE ($1 = '' OR tenant = $1) AND ($2 = '' OR "
               "state = $2) AND ($3 = '' OR order_id = $3) AND ($4 = '' OR id < $4) "
               "ORDER BY id DESC LIMIT $5",
           tenant, state, order_id, after_id, limit)) {
    out.push_back(row_of(r));
  }
  return out;
}

std::vector<std::string> MigrationStore::unfinished(pqxx::work& tx, int limit) {
  std::vector<std::string> out;
  for (const auto& r :
       tx.exec_params("SELECT id FROM portability.migrations WHERE state NOT IN ('completed', "
                      "'rolled_back', 'failed') ORDER BY id LIMIT $1",
                      limit)) {
    out.push_back(r[0].as<std::string>());
  }
  return out;
}

int MigrationStore::open_step(pqxx::work& tx, const std::string& migration_id,
                              const std::string& name, const std::string& outcome,
                              const std::string& message) {
  auto rows = tx.exec_params(
      "INSERT INTO portability.migration_steps (migration_id, seq, name, outcome, message, "
      "finished_at) SELECT $1, coalesce(max(seq), 0) + 1, $2, $3, $4, CASE WHEN $3 = 'running' "
      "THEN NULL ELSE clock_timestamp() END FROM portability.migration_steps WHERE "
      "migration_id = $1 RETURNING seq",
      migration_id, name, outcome, message);
  return rows[0][0].as<int>();
}

std::optional<StepRow> MigrationStore::current_step(pqxx::work& tx,
                                                    const std::string& migration_id) {
  auto rows = tx.exec_params(
      "SELECT seq, name, outcome, " MPLI_RFC3339("started_at") ", message FROM "
      "portability.migration_steps WHERE migration_id = $1 ORDER BY seq DESC LIMIT 1",
      migration_id);
  if (rows.empty()) return std::nullopt;
  StepRow step;
  step.seq = rows[0][0].as<int>();
  step.step.set_name(rows[0][1].as<std::string>());
  step.step.set_outcome(rows[0][2].as<std::string>());
  step.step.set_started_at(rows[0][3].as<std::string>());
  step.step.set_message(rows[0][4].as<std::string>());
  return step;
}

void MigrationStore::finish_step(pqxx::work& tx, const std::string& migration_id, int seq,
                                 const std::string& outcome, const std::string& message,
                                 int64_t bytes) {
  tx.exec_params(
      "UPDATE portability.migration_steps SET outcome = $3, message = $4, bytes = $5, "
      "finished_at = clock_timestamp() WHERE migration_id = $1 AND seq = $2",
      migration_id, seq, outcome, message, bytes);
}

std::vector<v1::Step> MigrationStore::steps(pqxx::work& tx, const std::string& migration_id) {
  std::vector<v1::Step> out;
  std::vector<int> seqs;
  for (const auto& r : tx.exec_params(
           "SELECT seq, name, outcome, " MPLI_RFC3339("started_at") ", " MPLI_RFC3339(
               "finished_at") ", coalesce((extract(epoch from (coalesce(finished_at, "
                              "clock_timestamp()) - started_at)) * 1000)::bigint, 0), message, "
                              "bytes FROM portability.migration_steps WHERE migration_id = $1 "
                              "ORDER BY seq",
           migration_id)) {
    v1::Step step;
    seqs.push_back(r[0].as<int>());
    step.set_name(r[1].as<std::string>());
    step.set_outcome(r[2].as<std::string>());
    step.set_started_at(r[3].as<std::string>());
    step.set_finished_at(r[4].as<std::string>());
    step.set_duration_ms(r[5].as<int64_t>());
    step.set_message(r[6].as<std::string>());
    step.set_bytes(r[7].as<int64_t>());
    out.push_back(std::move(step));
  }
  for (size_t i = 0; i < out.size(); ++i) {
    for (const auto& task : step_tasks(tx, migration_id, seqs[i])) {
      auto* t = out[i].add_tasks();
      t->set_task_id(task.task_id);
      t->set_provider_id(task.provider_id);
      t->set_operation(task.operation);
      t->set_state(task.state);
      t->set_message(task.message);
      for (const auto& [key, value] : task.outputs) (*t->mutable_outputs())[key] = value;
    }
  }
  return out;
}

void MigrationStore::insert_task(pqxx::work& tx, const TaskRow& task) {
  pqxx::binarystring request(task.request);
  tx.exec_params(
      "INSERT INTO portability.step_tasks (task_id, migration_id, step_seq, wave, task_key, side, "
      "provider_id, operation, request) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
      task.task_id, task.migration_id, task.step_seq, task.wave, task.key, task.side,
      task.provider_id, task.operation, request);
}

std::vector<TaskRow> MigrationStore::step_tasks(pqxx::work& tx, const std::string& migration_id,
                                                int step_seq) {
  std::vector<TaskRow> out;
  for (const auto& r : tx.exec_params("SELECT " + kTaskColumns +
                                          " FROM portability.step_tasks WHERE migration_id = $1 "
                                          "AND step_seq = $2 ORDER BY wave, created_at, task_id",
                                      migration_id, step_seq)) {
    out.push_back(task_of(r));
  }
  return out;
}

std::optional<TaskRow> MigrationStore::find_task(pqxx::work& tx, const std::string& task_id) {
  auto rows = tx.exec_params(
      "SELECT " + kTaskColumns + " FROM portability.step_tasks WHERE task_id = $1", task_id);
  if (rows.empty()) return std::nullopt;
  return task_of(rows[0]);
}

void MigrationStore::mark_submitted(pqxx::work& tx, const std::string& task_id) {
  tx.exec_params("UPDATE portability.step_tasks SET submitted = true WHERE task_id = $1", task_id);
}

bool MigrationStore::finish_task(pqxx::work& tx, const std::string& task_id,
                                 const std::string& state, const std::string& message,
                                 const StringMap& outputs) {
  auto rows = tx.exec_params(
      "UPDATE portability.step_tasks SET state = $2, message = $3, outputs = $4::jsonb, "
      "submitted = true, finished_at = clock_timestamp() WHERE task_id = $1 AND state = "
      "'running' RETURNING task_id",
      task_id, state, message, json_of_map(outputs));
  return !rows.empty();
}

std::vector<TaskRow> MigrationStore::all_tasks(pqxx::work& tx, const std::string& migration_id) {
  std::vector<TaskRow> out;
  for (const auto& r : tx.exec_params("SELECT " + kTaskColumns +
                                          " FROM portability.step_tasks WHERE migration_id = $1 "
                                          "ORDER BY step_seq, wave, created_at, task_id",
                                      migration_id)) {
    out.push_back(task_of(r));
  }
  return out;
}

}  // namespace mpli::portability
