#include "services/delivery/store/order_store.h"

#include <nlohmann/json.hpp>

#include "libs/db/outbox.h"
#include "libs/db/prepared.h"
#include "services/delivery/store/row_json.h"

namespace mpli::delivery {

namespace {

constexpr const char* kSchema = "delivery";

std::string json_of(const std::vector<std::string>& list) { return nlohmann::json(list).dump(); }

template <typename Field>
std::vector<std::string> strings_of(const Field& field) {
  std::vector<std::string> out;
  for (const auto& value : field) out.push_back(value);
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

const std::string kOrderColumns =
    "id, tenant, state, offering_id, offering_name, provider_id, worker_kind, artifact, "
    "to_jsonb(operations)::text, coalesce(resolution_id, ''), coalesce(rank, 0), "
    "coalesce(requirement, ''), parameters::text, outputs::text, secrets_sealed, "
    "coalesce(price_amount::text, ''), price_currency, price_unit, quantity, "
    "to_jsonb(reasons)::text, idempotency_key, request_hash, deletion_requested, "
    "version, " MPLI_RFC3339("created_at") ", " MPLI_RFC3339("updated_at");

OrderRow order_of(const pqxx::row& r) {
  OrderRow row;
  v1::Order& o = row.order;
  o.set_id(r[0].as<std::string>());
  o.set_tenant(r[1].as<std::string>());
  o.set_state(r[2].as<std::string>());
  o.set_offering_id(r[3].as<std::string>());
  o.set_offering_name(r[4].as<std::string>());
  o.set_provider_id(r[5].as<std::string>());
  o.set_worker_kind(r[6].as<std::string>());
  o.set_artifact(r[7].as<std::string>());
  row.operations = list_of(r[8].as<std::string>());
  o.set_resolution_id(r[9].as<std::string>());
  o.set_rank(r[10].as<int>());
  o.set_requirement(r[11].as<std::string>());
  fill_map(r[12].as<std::string>(), o.mutable_parameters());
  fill_map(r[13].as<std::string>(), o.mutable_outputs());
  if (!r[14].is_null()) row.secrets_sealed = pqxx::binarystring(r[14]).str();
  o.set_has_secrets(!row.secrets_sealed.empty());
  o.set_price_amount(r[15].as<std::string>());
  o.set_price_currency(r[16].as<std::string>());
  o.set_price_unit(r[17].as<std::string>());
  o.set_quantity(r[18].as<int>());
  for (auto& reason : list_of(r[19].as<std::string>())) o.add_reasons(reason);
  o.set_idempotency_key(r[20].as<std::string>());
  row.request_hash = r[21].as<std::string>();
  o.set_deletion_requested(r[22].as<bool>());
  o.set_version(r[23].as<int64_t>());
  o.set_created_at(r[24].as<std::string>());
  o.set_updated_at(r[25].as<std::string>());
  return row;
}

std::optional<OrderRow> first_order(const pqxx::result& rows) {
  if (rows.empty()) return std::nullopt;
  return order_of(rows[0]);
}

const std::string kWorkColumns =
    "work_id, order_id, provider_id, operation, purpose, state, attempt, max_attempts, "
    "published_attempt, body::text, (extract(epoch from deadline) * 1000)::bigint, "
    "coalesce(task_id, ''), secrets_sealed";

WorkRow work_of(const pqxx::row& r) {
  WorkRow w;
  w.work_id = r[0].as<std::string>();
  w.order_id = r[1].as<std::string>();
  w.provider_id = r[2].as<std::string>();
  w.operation = r[3].as<std::string>();
  w.purpose = r[4].as<std::string>();
  w.state = r[5].as<std::string>();
  w.attempt = r[6].as<int>();
  w.max_attempts = r[7].as<int>();
  w.published_attempt = r[8].as<int>();
  w.body = r[9].as<std::string>();
  w.deadline_unix_ms = r[10].as<int64_t>();
  w.task_id = r[11].as<std::string>();
  if (!r[12].is_null()) w.secrets_sealed = pqxx::binarystring(r[12]).str();
  return w;
}

double seconds(std::chrono::milliseconds duration) {
  return static_cast<double>(duration.count()) / 1000.0;
}

}  // namespace

std::optional<OrderRow> OrderStore::find(pqxx::work& tx, const std::string& id, bool lock) {
  return first_order(db::exec_prepared(tx,
                                       "SELECT " + kOrderColumns +
                                           " FROM delivery.orders WHERE id = $1" +
                                           (lock ? " FOR UPDATE" : ""),
                                       id));
}

std::optional<OrderRow> OrderStore::find_by_key(pqxx::work& tx, const std::string& tenant,
                                                const std::string& key) {
  return first_order(db::exec_prepared(tx,
                                       "SELECT " + kOrderColumns +
                                           " FROM delivery.orders WHERE tenant = $1 AND "
                                           "idempotency_key = $2",
                                       tenant, key));
}

bool OrderStore::insert(pqxx::work& tx, const OrderRow& row) {
  const v1::Order& o = row.order;
  auto inserted = db::exec_prepared(
      tx,
      "INSERT INTO delivery.orders (id, tenant, state, offering_id, provider_id, resolution_id, "
      "rank, requirement, parameters, quantity, idempotency_key, request_hash) "
      "VALUES ($1, $2, $3, $4, $5, NULLIF($6, ''), NULLIF($7, 0), NULLIF($8, ''), $9::jsonb, $10, "
      "$11, $12) ON CONFLICT (tenant, idempotency_key) DO NOTHING RETURNING id",
      o.id(), o.tenant(), o.state(), o.offering_id(), o.provider_id(), o.resolution_id(), o.rank(),
      o.requirement(), json_of(o.parameters()), o.quantity(), o.idempotency_key(),
      row.request_hash);
  return !inserted.empty();
}

void OrderStore::save(pqxx::work& tx, OrderRow& row) {
  const v1::Order& o = row.order;
  pqxx::binarystring sealed(row.secrets_sealed);
  auto updated = db::exec_prepared(
      tx,
      "UPDATE delivery.orders SET state = $2, offering_id = $3, offering_name = $4, "
      "provider_id = $5, worker_kind = $6, artifact = $7, "
      "operations = ARRAY(SELECT jsonb_array_elements_text($8::jsonb)), parameters = $9::jsonb, "
      "outputs = $10::jsonb, secrets_sealed = NULLIF($11, ''::bytea), price_amount = NULLIF($12, "
      "'')::numeric, "
      "price_currency = $13, price_unit = $14, quantity = $15, "
      "reasons = ARRAY(SELECT jsonb_array_elements_text($16::jsonb)), deletion_requested = $17, "
      "version = $18, updated_at = clock_timestamp() WHERE id = $1 RETURNING " MPLI_RFC3339(
          "updated_at"),
      o.id(), o.state(), o.offering_id(), o.offering_name(), o.provider_id(), o.worker_kind(),
      o.artifact(), json_of(row.operations), json_of(o.parameters()), json_of(o.outputs()), sealed,
      o.price_amount(), o.price_currency(), o.price_unit(), o.quantity(),
      json_of(strings_of(o.reasons())), o.deletion_requested(), o.version());
  if (!updated.empty()) row.order.set_updated_at(updated[0][0].as<std::string>());
  row.order.set_has_secrets(!row.secrets_sealed.empty());
}

namespace {

db::OutgoingEvent order_changed(const OrderRow& row, const std::string& from, const std::string& to,
                                const std::string& reason) {
  v1::OrderChanged event;
  event.set_order_id(row.order.id());
  event.set_tenant(row.order.tenant());
  event.set_provider_id(row.order.provider_id());
  event.set_offering_id(row.order.offering_id());
  event.set_from(from);
  event.set_to(to);
  event.set_reason(reason);
  event.set_version(row.order.version());
  return {"mpli.events.delivery.v1.order_changed", event.GetTypeName(), event.SerializeAsString()};
}

}  // namespace

// The history row and its event in one statement (the outbox insert as a CTE): an order takes
// four transitions on its way to active.
void OrderStore::record_transition(pqxx::work& tx, const OrderRow& row, const std::string& from,
                                   const std::string& to, const std::string& reason,
                                   const std::string& work_id) {
  auto event = db::outgoing_row(kSchema, order_changed(row, from, to, reason));
  db::exec_prepared(
      tx,
      db::outbox_cte(kSchema, 6) +
          " INSERT INTO delivery.order_transitions (order_id, from_state, to_state, reason, "
          "work_id) VALUES ($1, $2, $3, $4, NULLIF($5, ''))",
      row.order.id(), from, to, reason, work_id, event.id, event.subject, event.payload);
}

void OrderStore::record_change(pqxx::work& tx, const OrderRow& row, const std::string& from,
                               const std::string& to, const std::string& reason) {
  db::enqueue_event(tx, kSchema, kSchema, order_changed(row, from, to, reason));
}

std::vector<v1::Transition> OrderStore::history(pqxx::work& tx, const std::string& id) {
  std::vector<v1::Transition> out;
  for (const auto& r : db::exec_prepared(
           tx,
           "SELECT from_state, to_state, " MPLI_RFC3339(
               "at") ", reason, coalesce(work_id, '') FROM delivery.order_transitions "
                     "WHERE order_id = $1 ORDER BY seq",
           id)) {
    v1::Transition t;
    t.set_from(r[0].as<std::string>());
    t.set_to(r[1].as<std::string>());
    t.set_at(r[2].as<std::string>());
    t.set_reason(r[3].as<std::string>());
    t.set_work_id(r[4].as<std::string>());
    out.push_back(std::move(t));
  }
  return out;
}

std::vector<OrderRow> OrderStore::list(pqxx::work& tx, const std::string& tenant,
                                       const std::string& state, const std::string& provider_id,
                                       int limit, const std::string& after_id) {
  std::vector<OrderRow> out;
  // Ids are "ord_" + UUIDv7: ordering by id is ordering by creation.
  for (const auto& r :
       db::exec_prepared(tx,
                         "SELECT " + kOrderColumns +
                             " FROM delivery.orders WHERE ($1 = '' OR tenant = $1) AND "
                             "($2 = '' OR state = $2) AND ($3 = '' OR provider_id = $3) AND "
                             "($4 = '' OR id < $4) ORDER BY id DESC LIMIT $5",
                         tenant, state, provider_id, after_id, limit)) {
    out.push_back(order_of(r));
  }
  return out;
}

std::vector<std::string> OrderStore::stranded(pqxx::work& tx, std::chrono::milliseconds age,
                                              int limit) {
  std::vector<std::string> out;
  for (const auto& r : db::exec_prepared(
           tx,
           "SELECT id FROM delivery.orders WHERE state IN ('requested', 'accepted') AND "
           "updated_at < clock_timestamp() - make_interval(secs => $1) ORDER BY id LIMIT $2",
           seconds(age), limit)) {
    out.push_back(r[0].as<std::string>());
  }
  return out;
}

void OrderStore::insert_work(pqxx::work& tx, const WorkRow& work,
                             std::chrono::milliseconds deadline) {
  pqxx::binarystring sealed(work.secrets_sealed);
  db::exec_prepared(
      tx,
      "INSERT INTO delivery.work_items (work_id, order_id, provider_id, operation, purpose, state, "
      "attempt, max_attempts, deadline, body, task_id, secrets_sealed) VALUES ($1, $2, $3, $4, "
      "$5, 'pending', 1, $6, clock_timestamp() + make_interval(secs => $7), $8::jsonb, "
      "NULLIF($9, ''), NULLIF($10, ''::bytea)) RETURNING pg_notify($11, '')",
      work.work_id, work.order_id, work.provider_id, work.operation, work.purpose,
      work.max_attempts, seconds(deadline), work.body, work.task_id, sealed,
      std::string(kWorkChannel));  // the NOTIFY rides on the insert: one statement, not two
}

std::optional<WorkRow> OrderStore::find_work(pqxx::work& tx, const std::string& work_id,
                                             bool lock) {
  auto rows =
      db::exec_prepared(tx,
                        "SELECT " + kWorkColumns + " FROM delivery.work_items WHERE work_id = $1" +
                            (lock ? " FOR UPDATE" : ""),
                        work_id);
  if (rows.empty()) return std::nullopt;
  return work_of(rows[0]);
}

void OrderStore::finish_work(pqxx::work& tx, const std::string& work_id, const std::string& state,
                             const std::string& message) {
  db::exec_prepared(tx,
                    "UPDATE delivery.work_items SET state = $2, last_message = $3, "
                    "updated_at = clock_timestamp() WHERE work_id = $1",
                    work_id, state, message);
}

void OrderStore::retry_work(pqxx::work& tx, const std::string& work_id,
                            std::chrono::milliseconds pause, std::chrono::milliseconds deadline,
                            const std::string& message) {
  db::exec_prepared(tx,
                    "UPDATE delivery.work_items SET attempt = attempt + 1, last_message = $2, "
                    "publish_after = clock_timestamp() + make_interval(secs => $3), "
                    "deadline = clock_timestamp() + make_interval(secs => $3 + $4), "
                    "updated_at = clock_timestamp() WHERE work_id = $1",
                    work_id, message, seconds(pause), seconds(deadline));
}

void OrderStore::progress_work(pqxx::work& tx, const std::string& work_id,
                               std::chrono::milliseconds extension, const std::string& message,
                               int percent) {
  db::exec_prepared(tx,
                    "UPDATE delivery.work_items SET last_message = $2, last_percent = $3, "
                    "deadline = greatest(deadline, clock_timestamp() + make_interval(secs => $4)), "
                    "updated_at = clock_timestamp() WHERE work_id = $1",
                    work_id, message, percent, seconds(extension));
}

std::vector<WorkRow> OrderStore::due_for_publishing(pqxx::work& tx, int limit) {
  std::vector<WorkRow> out;
  for (const auto& r : db::exec_prepared(
           tx,
           "SELECT " + kWorkColumns +
               " FROM delivery.work_items WHERE state = 'pending' AND published_attempt < attempt "
               "AND publish_after <= clock_timestamp() ORDER BY publish_after LIMIT $1 "
               "FOR UPDATE SKIP LOCKED",
           limit)) {
    out.push_back(work_of(r));
  }
  return out;
}

void OrderStore::mark_published(pqxx::work& tx, const std::string& work_id, int attempt) {
  db::exec_prepared(
      tx,
      "UPDATE delivery.work_items SET published_attempt = greatest(published_attempt, $2) "
      "WHERE work_id = $1",
      work_id, attempt);
}

std::vector<std::string> OrderStore::past_deadline(pqxx::work& tx, int limit) {
  std::vector<std::string> out;
  for (const auto& r :
       db::exec_prepared(tx,
                         "SELECT work_id FROM delivery.work_items WHERE state = 'pending' AND "
                         "deadline < clock_timestamp() ORDER BY deadline LIMIT $1",
                         limit)) {
    out.push_back(r[0].as<std::string>());
  }
  return out;
}

void OrderStore::record_move(pqxx::work& tx, const v1::Order& source, const v1::Order& target) {
  // One instant for both ends, so the two lines of the bill meet exactly.
  auto now = tx.exec("SELECT clock_timestamp()::text")[0][0].as<std::string>();
  db::exec_prepared(
      tx,
      "INSERT INTO delivery.placements (order_id, provider_id, offering_id, offering_name, "
      "price_amount, price_currency, price_unit, from_at) "
      "SELECT id, $2, $3, $4, NULLIF($5, '')::numeric, $6, $7, created_at FROM delivery.orders "
      "WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM delivery.placements WHERE order_id = $1)",
      source.id(), source.provider_id(), source.offering_id(), source.offering_name(),
      source.price_amount(), source.price_currency(), source.price_unit());
  db::exec_prepared(tx,
                    "UPDATE delivery.placements SET until_at = $2::timestamptz "
                    "WHERE order_id = $1 AND until_at IS NULL",
                    source.id(), now);
  db::exec_prepared(
      tx,
      "INSERT INTO delivery.placements (order_id, provider_id, offering_id, offering_name, "
      "price_amount, price_currency, price_unit, from_at) "
      "VALUES ($1, $2, $3, $4, NULLIF($5, '')::numeric, $6, $7, $8::timestamptz)",
      target.id(), target.provider_id(), target.offering_id(), target.offering_name(),
      target.price_amount(), target.price_currency(), target.price_unit(), now);
}

}  // namespace mpli::delivery
