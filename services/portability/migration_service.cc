#include "services/portability/migration_service.h"

#include <nlohmann/json.hpp>

#include "libs/bus/call.h"
#include "libs/core/clock.h"
#include "libs/core/ids.h"
#include "libs/core/log.h"
#include "mpli/discovery/v1/discovery.pb.h"
#include "mpli/resolver/v1/resolver.pb.h"
#include "services/delivery/domain/binding.h"
#include "services/portability/domain/errors.h"
#include "services/portability/domain/formats.h"
#include "services/portability/domain/migration_state.h"
#include "services/portability/domain/plan.h"
#include "services/portability/domain/report.h"
#include "services/portability/domain/request_hash.h"
#include "services/portability/domain/verification.h"

namespace mpli::portability {

namespace {

bool is_unavailable(const Status& status) {
  return status.code() == StatusCode::kUnavailable ||
         status.code() == StatusCode::kDeadlineExceeded || status.code() == StatusCode::kBusy;
}

Status upstream(const Status& status, const std::string& who) {
  return portability_error(StatusCode::kUnavailable, "UPSTREAM_UNAVAILABLE",
                           who + " did not answer: " + status.message());
}

Status migration_not_found(const std::string& id) {
  return portability_error(StatusCode::kNotFound, "MIGRATION_NOT_FOUND", "no migration " + id);
}

// "" (the admin) sees every migration; a tenant only its own, and another's is "not found"
// exactly as an id that never existed.
bool visible(const MigrationRow& row, const std::string& tenant) {
  return tenant.empty() || row.migration.tenant() == tenant;
}

std::string value_of(const StringMap& map, const std::string& key) {
  auto it = map.find(key);
  return it == map.end() ? "" : it->second;
}

template <typename Map>
StringMap plain(const Map& map) {
  return StringMap(map.begin(), map.end());
}

// The state change of `row` to `to`: the transition row and its event (the caller saves).
Status transition(pqxx::work& tx, MigrationRow& row, const std::string& to,
                  const std::string& reason) {
  const std::string from = row.migration.state();
  MPLI_RETURN_IF_ERROR(state::check_transition(from, to));
  row.migration.set_state(to);
  row.migration.set_version(row.migration.version() + 1);
  if (state::is_terminal(to)) row.migration.set_completed_at(clock::now_rfc3339());
  MigrationStore::record_transition(tx, row, from, to, reason);
  return Status::ok();
}

Status save(pqxx::work& tx, MigrationRow& row, int64_t expected_version) {
  if (!MigrationStore::save(tx, row, expected_version)) {
    return Status(StatusCode::kAborted, "migration " + row.migration.id() + " changed meanwhile");
  }
  return Status::ok();
}

// Opens the step of the state the migration is now in (rolling_back included).
void open_step_of_state(pqxx::work& tx, const MigrationRow& row, const std::string& message) {
  const std::string& s = row.migration.state();
  if (state::is_terminal(s) || s == state::kPlanned) return;
  MigrationStore::open_step(tx, row.migration.id(), s, "running", message);
}

PlanInput plan_input(const MigrationRow& row) {
  PlanInput input;
  input.migration_id = row.migration.id();
  input.order_id = row.migration.order_id();
  input.mode = row.migration.mode();
  input.data_kind = row.migration.data_kind();
  input.source_format = row.migration.source_format();
  input.target_parameters = row.target_parameters;
  input.source_outputs = row.source_outputs;
  input.facts = row.facts;
  return input;
}

const PlannedTask* planned_by_key(const std::vector<Wave>& waves, const std::string& key) {
  for (const auto& wave : waves) {
    for (const auto& task : wave) {
      if (task.key() == key) return &task;
    }
  }
  return nullptr;
}

}  // namespace

MigrationService::MigrationService(db::Pool& pool, bus::Connection& bus,
                                   MigrationServiceOptions options)
    : pool_(pool), bus_(bus), options_(std::move(options)) {}

Result<v1::Migration> MigrationService::with_steps(const MigrationRow& row) {
  v1::Migration migration = row.migration;
  MPLI_RETURN_IF_ERROR(pool_.transact([&](pqxx::work& tx) {
    migration.clear_steps();
    for (auto& step : MigrationStore::steps(tx, migration.id())) {
      *migration.add_steps() = std::move(step);
    }
  }));
  return migration;
}

// ---- Requests ------------------------------------------------------------------------------

Result<v1::CreateMigrationReply> MigrationService::create(
    const v1::CreateMigrationRequest& request) {
  if (request.tenant().empty()) return bad_request("tenant", "required");
  if (request.idempotency_key().empty()) return bad_request("idempotency_key", "required");
  if (request.idempotency_key().size() > 200) return bad_request("idempotency_key", "too long");
  if (request.order_id().empty()) return bad_request("order_id", "required");
  if (request.target_offering_id().empty()) return bad_request("target_offering_id", "required");
  if (!request.mode().empty() && request.mode() != "online" && request.mode() != "offline") {
    return bad_request("mode", "\"online\", \"offline\" or empty");
  }
  const std::string hash = request_hash(request);

  // The same key again: the migration it made (or a conflict when the request differs).
  auto same_key = [&](const MigrationRow& earlier) -> Result<v1::CreateMigrationReply> {
    if (earlier.request_hash != hash) {
      return portability_error(
          StatusCode::kConflict, "IDEMPOTENCY_KEY_REUSED",
          "idempotency key " + request.idempotency_key() + " was used for a different request");
    }
    v1::CreateMigrationReply reply;
    MPLI_ASSIGN_OR_RETURN(*reply.mutable_migration(), with_steps(earlier));
    reply.set_created(false);
    return reply;
  };
  std::optional<MigrationRow> earlier;
  MPLI_RETURN_IF_ERROR(pool_.transact([&](pqxx::work& tx) {
    earlier = MigrationStore::find_by_key(tx, request.tenant(), request.idempotency_key());
  }));
  if (earlier) return same_key(*earlier);

  // 1. The order: the tenant's, active, without an unfinished migration.
  delivery::v1::GetOrderRequest order_request;
  order_request.set_id(request.order_id());
  order_request.set_tenant(request.tenant());
  auto order_reply = bus::call<delivery::v1::GetOrderReply>(
      bus_, "mpli.delivery.v1.get_order", order_request, options_.upstream_timeout);
  if (!order_reply) {
    if (is_unavailable(order_reply.status())) return upstream(order_reply.status(), "delivery");
    if (order_reply.status().code() == StatusCode::kNotFound) {
      return portability_error(StatusCode::kNotFound, "ORDER_NOT_FOUND",
                               "no order " + request.order_id(), {{"field", "order_id"}});
    }
    return order_reply.status();
  }
  const delivery::v1::Order& order = order_reply->order();
  if (order.state() != "active") {
    return portability_error(
        StatusCode::kFailedPrecondition, "ORDER_NOT_ACTIVE",
        "order " + order.id() + " is " + order.state() + "; only an active order moves",
        {{"state", order.state()}});
  }
  std::optional<std::string> busy;
  MPLI_RETURN_IF_ERROR(pool_.transact(
      [&](pqxx::work& tx) { busy = MigrationStore::unfinished_for_order(tx, order.id()); }));
  if (busy) {
    return portability_error(StatusCode::kConflict, "MIGRATION_IN_PROGRESS",
                             "order " + order.id() + " is being moved by migration " + *busy,
                             {{"migration_id", *busy}});
  }

  // 2. The target: in the catalogue, at another provider, a binding of the same worker kind.
  auto offering = [&](const std::string& id) {
    discovery::v1::GetOfferingRequest lookup;
    lookup.set_id(id);
    lookup.set_format("turtle");
    return bus::call<discovery::v1::GetOfferingReply>(bus_, "mpli.discovery.v1.get_offering",
                                                      lookup, options_.upstream_timeout);
  };
  auto target = offering(request.target_offering_id());
  if (!target) {
    if (is_unavailable(target.status())) return upstream(target.status(), "discovery");
    return portability_error(
        StatusCode::kNotFound, "TARGET_NOT_FOUND",
        "offering " + request.target_offering_id() + " is not in the catalogue",
        {{"field", "target_offering_id"}});
  }
  if (target->offering().provider_id() == order.provider_id()) {
    return portability_error(StatusCode::kInvalidArgument, "SAME_PROVIDER",
                             "offering " + request.target_offering_id() + " is at provider " +
                                 order.provider_id() + ", the order's own",
                             {{"field", "target_offering_id"}});
  }
  auto binding = delivery::read_binding(target->turtle(), request.target_offering_id());
  if (!binding || binding->worker_kind != order.worker_kind()) {
    std::string why = binding ? "its delivery binding's worker kind is " + binding->worker_kind +
                                    ", the order's is " + order.worker_kind()
                              : binding.status().message();
    return portability_error(StatusCode::kFailedPrecondition, "TARGET_DOES_NOT_FIT",
                             "offering " + request.target_offering_id() + ": " + why,
                             {{"reasons", why}});
  }

  // 3. The resolver: the target satisfies the order's requirement and the consumer meets the
  // target's prerequisites. An order placed for an offering directly has nothing to re-check.
  std::string requirement_check = "not re-checked: the order was placed for an offering directly";
  if (!order.resolution_id().empty()) {
    resolver::v1::CheckOfferingRequest check;
    check.set_resolution_id(order.resolution_id());
    check.set_requirement(order.requirement());
    check.set_offering_id(request.target_offering_id());
    check.set_tenant(request.tenant());
    auto checked = bus::call<resolver::v1::CheckOfferingReply>(
        bus_, "mpli.resolver.v1.check_offering", check, options_.upstream_timeout);
    if (!checked) {
      if (is_unavailable(checked.status())) return upstream(checked.status(), "the resolver");
      if (checked.status().code() != StatusCode::kNotFound) return checked.status();
      // The resolution (or its requirement) is gone: there is nothing left to compare with.
      requirement_check = "not re-checked: " + checked.status().message();
    } else if (!checked->fits()) {
      std::string reasons;
      for (const auto& reason : checked->reasons())
        reasons += (reasons.empty() ? "" : "; ") + reason;
      if (reasons.empty()) reasons = "the resolver says the target does not fit";
      return portability_error(
          StatusCode::kFailedPrecondition, "TARGET_DOES_NOT_FIT",
          "offering " + request.target_offering_id() + " does not fit: " + reasons,
          {{"reasons", reasons}});
    } else {
      requirement_check = "the target satisfies requirement " + order.requirement() +
                          " of resolution " + order.resolution_id();
    }
  }

  // 4. Formats.
  auto source = offering(order.offering_id());
  if (!source && is_unavailable(source.status())) return upstream(source.status(), "discovery");
  OfferingFormats source_formats;
  if (source) {
    MPLI_ASSIGN_OR_RETURN(source_formats, read_formats(source->turtle(), order.offering_id()));
  }
  MPLI_ASSIGN_OR_RETURN(OfferingFormats target_formats,
                        read_formats(target->turtle(), request.target_offering_id()));
  MPLI_ASSIGN_OR_RETURN(FormatChoice choice,
                        choose_format(order.worker_kind(), request.mode(), source_formats.exports,
                                      target_formats.imports));

  MigrationRow row;
  row.request_hash = hash;
  v1::Migration& m = row.migration;
  m.set_id("mig_" + ids::new_uuid_v7());
  m.set_tenant(request.tenant());
  m.set_order_id(order.id());
  m.set_state(state::kPlanned);
  m.set_mode(choice.mode);
  m.set_data_kind(order.worker_kind());
  m.set_source_provider_id(order.provider_id());
  m.set_source_offering_id(order.offering_id());
  m.set_target_provider_id(target->offering().provider_id());
  m.set_target_offering_id(request.target_offering_id());
  m.set_format(choice.format);
  m.set_source_format(choice.source_format);
  m.set_target_format(choice.target_format);
  m.set_idempotency_key(request.idempotency_key());
  m.set_version(1);
  m.set_write_downtime_ms(-1);
  row.source_offering_name = source ? source->offering().name() : order.offering_name();
  row.target_offering_name = target->offering().name();
  row.source_outputs = plain(order.outputs());
  row.target_parameters = request.target_parameters().empty() ? plain(order.parameters())
                                                              : plain(request.target_parameters());
  row.terms["price_amount"] = binding->price_amount;
  row.terms["price_currency"] = binding->price_currency;
  row.terms["price_unit"] = binding->price_unit;
  row.terms["quantity"] = std::to_string(order.quantity());
  row.terms["parameters"] = nlohmann::json(row.target_parameters).dump();
  row.terms["requirement_check"] = requirement_check;

  std::optional<MigrationRow> raced;
  std::optional<std::string> raced_busy;
  MPLI_RETURN_IF_ERROR(pool_.transact([&](pqxx::work& tx) {
    raced.reset();
    raced_busy.reset();
    // Serialises creates for one order: the checks below and the insert see the same world.
    tx.exec_params("SELECT pg_advisory_xact_lock(hashtext($1))", order.id());
    raced = MigrationStore::find_by_key(tx, request.tenant(), request.idempotency_key());
    if (raced) return;
    raced_busy = MigrationStore::unfinished_for_order(tx, order.id());
    if (raced_busy) return;
    MigrationStore::insert(tx, row);
    MigrationStore::record_transition(tx, row, "", state::kPlanned,
                                      "planned: " + choice.mode + " in " + choice.format);
  }));
  if (raced) return same_key(*raced);
  if (raced_busy) {
    return portability_error(StatusCode::kConflict, "MIGRATION_IN_PROGRESS",
                             "order " + order.id() + " is being moved by migration " + *raced_busy,
                             {{"migration_id", *raced_busy}});
  }
  log::info("migration planned", {{"migration_id", m.id()},
                                  {"order_id", m.order_id()},
                                  {"mode", m.mode()},
                                  {"target", m.target_offering_id()}});
  if (options_.wake_driver) options_.wake_driver();
  v1::CreateMigrationReply reply;
  *reply.mutable_migration() = row.migration;
  reply.set_created(true);
  return reply;
}

Result<v1::Migration> MigrationService::get(const v1::GetMigrationRequest& request) {
  if (request.id().empty()) return bad_request("id", "required");
  std::optional<MigrationRow> row;
  MPLI_RETURN_IF_ERROR(
      pool_.transact([&](pqxx::work& tx) { row = MigrationStore::find(tx, request.id(), false); }));
  if (!row || !visible(*row, request.tenant())) return migration_not_found(request.id());
  return with_steps(*row);
}

Result<v1::ListMigrationsReply> MigrationService::list(const v1::ListMigrationsRequest& request) {
  int limit = request.limit() == 0 ? 50 : request.limit();
  if (limit < 0 || limit > 500) return bad_request("limit", "between 1 and 500");
  if (!request.cursor().empty() && request.cursor().rfind("mig_", 0) != 0) {
    return bad_request("cursor", "not a cursor of list_migrations");
  }
  if (!request.state().empty() && !state::is_known(request.state())) {
    return bad_request("state", "unknown state " + request.state());
  }
  std::vector<MigrationRow> rows;
  MPLI_RETURN_IF_ERROR(pool_.transact([&](pqxx::work& tx) {
    rows = MigrationStore::list(tx, request.tenant(), request.state(), request.order_id(),
                                limit + 1, request.cursor());
  }));
  v1::ListMigrationsReply reply;
  for (size_t i = 0; i < rows.size() && static_cast<int>(i) < limit; ++i) {
    *reply.add_migrations() = rows[i].migration;
  }
  if (static_cast<int>(rows.size()) > limit) {
    reply.set_next_cursor(rows[limit - 1].migration.id());
  }
  return reply;
}

Result<v1::Migration> MigrationService::cancel(const v1::CancelMigrationRequest& request) {
  if (request.id().empty()) return bad_request("id", "required");
  std::optional<MigrationRow> row;
  MPLI_RETURN_IF_ERROR(pool_.transact([&](pqxx::work& tx) -> Status {
    row = MigrationStore::find(tx, request.id(), true);
    if (!row || !visible(*row, request.tenant())) return migration_not_found(request.id());
    v1::Migration& m = row->migration;
    // Cancelling again while (or after) it rolls back for the cancel: the same answer.
    if (m.cancel_requested() &&
        (m.state() == state::kRollingBack || m.state() == state::kRolledBack)) {
      return Status::ok();
    }
    if (!state::can_roll_back(m.state())) {
      return portability_error(StatusCode::kConflict, "INVALID_STATE",
                               "migration " + m.id() + " is " + m.state() +
                                   "; only a migration before cutting_over can be cancelled",
                               {{"state", m.state()}});
    }
    const int64_t version = m.version();
    if (auto step = MigrationStore::current_step(tx, m.id());
        step && step->step.outcome() == "running") {
      MigrationStore::finish_step(tx, m.id(), step->seq, "failed", "cancelled by the consumer", 0);
    }
    m.set_cancel_requested(true);
    m.add_reasons("cancelled by the consumer");
    MPLI_RETURN_IF_ERROR(transition(tx, *row, state::kRollingBack, "cancelled by the consumer"));
    open_step_of_state(tx, *row, "undoing what was done");
    return save(tx, *row, version);
  }));
  if (options_.wake_driver) options_.wake_driver();
  return with_steps(*row);
}

Result<v1::SwitchingReport> MigrationService::report(const v1::GetReportRequest& request) {
  if (request.id().empty()) return bad_request("id", "required");
  std::optional<MigrationRow> row;
  MPLI_RETURN_IF_ERROR(
      pool_.transact([&](pqxx::work& tx) { row = MigrationStore::find(tx, request.id(), false); }));
  if (!row || !visible(*row, request.tenant())) return migration_not_found(request.id());
  if (!state::is_terminal(row->migration.state())) {
    return portability_error(StatusCode::kConflict, "INVALID_STATE",
                             "migration " + request.id() + " is " + row->migration.state() +
                                 "; its report comes when it has finished",
                             {{"state", row->migration.state()}});
  }
  MPLI_ASSIGN_OR_RETURN(v1::Migration migration, with_steps(*row));
  ReportInput input;
  input.source_offering_name = row->source_offering_name;
  input.target_offering_name = row->target_offering_name;
  input.terms = row->terms;
  input.decommissioned_at = row->decommissioned_at;
  input.generated_at = clock::now_rfc3339();
  input.verified_empty =
      migration.verification_size() == 0 && value_of(row->facts, fact::kVerified) == "1";
  input.checksum_method =
      migration.data_kind() == "postgresql" ? checksum_method(row->facts) : "sha256";
  return build_report(migration, input);
}

// ---- The driver ----------------------------------------------------------------------------

Result<bool> MigrationService::settle_task(const std::string& task_id, const std::string& state,
                                           const std::string& message, const StringMap& outputs) {
  bool settled = false;
  MPLI_RETURN_IF_ERROR(pool_.transact([&](pqxx::work& tx) -> Status {
    settled = false;
    auto task = MigrationStore::find_task(tx, task_id);
    if (!task || task->state != "running") return Status::ok();
    auto row = MigrationStore::find(tx, task->migration_id, true);
    if (!row) return Status::ok();
    if (!MigrationStore::finish_task(tx, task_id, state, message, outputs)) return Status::ok();
    settled = true;
    if (state != "succeeded") return Status::ok();
    PlannedTask planned;
    planned.side = task->side;
    planned.operation = task->operation;
    record_success(row->facts, planned, task_id, outputs);
    v1::Migration& m = row->migration;
    if (task->side == "target" && task->operation == "provision") {
      for (const auto& [key, value] : outputs) (*m.mutable_target_outputs())[key] = value;
    }
    if (task->side == "target" && task->operation == "import") {
      try {
        m.set_bytes_transferred(m.bytes_transferred() + std::stoll(value_of(outputs, "bytes")));
      } catch (const std::exception&) {
        // A worker that reports no byte count moved an unknown amount: nothing to add.
      }
    }
    return save(tx, *row, m.version());
  }));
  return settled;
}

Status MigrationService::on_task_finished(const delivery::v1::TaskFinished& event) {
  if (event.task_id().empty()) return Status::ok();
  MPLI_ASSIGN_OR_RETURN(bool settled, settle_task(event.task_id(), event.state(), event.message(),
                                                  plain(event.outputs())));
  if (settled && !event.migration_id().empty()) {
    Status driven = drive(event.migration_id(), false);
    if (!driven.is_ok()) {
      // The scan drives it on later; the event itself was applied.
      log::warn("migration not driven on after a task finished",
                {{"migration_id", event.migration_id()}, {"error", driven.to_string()}});
    }
  }
  return Status::ok();
}

void MigrationService::drive_all(bool poll) {
  std::vector<std::string> ids;
  Status listed =
      pool_.transact([&](pqxx::work& tx) { ids = MigrationStore::unfinished(tx, 500); });
  if (!listed.is_ok()) {
    log::warn("unfinished migrations not listed", {{"error", listed.to_string()}});
    return;
  }
  for (const auto& id : ids) {
    Status driven = drive(id, poll);
    if (!driven.is_ok()) {
      log::warn("migration not driven on", {{"migration_id", id}, {"error", driven.to_string()}});
    }
  }
}

Status MigrationService::drive(const std::string& id, bool poll) {
  std::lock_guard<std::mutex> lock(drive_mutex_);
  // Each move commits before the next; the bound only keeps one call from running forever.
  for (int moves = 0; moves < 64; ++moves) {
    auto moved = step_once(id, poll && moves == 0);
    if (!moved) {
      if (moved.status().code() == StatusCode::kAborted) continue;  // changed meanwhile: re-read
      return moved.status();
    }
    if (!*moved) return Status::ok();
  }
  return Status::ok();
}

Status MigrationService::advance(const std::string& id, int64_t version, int step_seq,
                                 const std::string& outcome, const std::string& message) {
  return pool_.transact([&](pqxx::work& tx) -> Status {
    auto row = MigrationStore::find(tx, id, true);
    if (!row || row->migration.version() != version) {
      return Status(StatusCode::kAborted, "migration " + id + " changed meanwhile");
    }
    if (step_seq > 0) {
      int64_t bytes = 0;
      if (row->migration.state() == state::kTransferring)
        bytes = row->migration.bytes_transferred();
      MigrationStore::finish_step(tx, id, step_seq, outcome, message, bytes);
    }
    std::string to = row->migration.state() == state::kRollingBack
                         ? std::string(state::kRolledBack)
                         : state::next_forward(row->migration.state());
    if (to == state::kCompleted) {
      row->decommissioned_at = clock::now_rfc3339();
    }
    MPLI_RETURN_IF_ERROR(transition(tx, *row, to, message));
    // A skipped step is a row too, so the report lists every state the plan has.
    while (
        step_skipped(row->migration.state(), row->migration.mode(), row->migration.data_kind())) {
      MigrationStore::open_step(
          tx, id, row->migration.state(), "skipped",
          row->migration.mode() == "online" ? "nothing to catch up" : "done while transferring");
      MPLI_RETURN_IF_ERROR(
          transition(tx, *row, state::next_forward(row->migration.state()), "skipped"));
    }
    open_step_of_state(tx, *row, "started");
    return save(tx, *row, version);
  });
}

Status MigrationService::fail(const std::string& id, int64_t version, int step_seq,
                              const std::string& reason) {
  return pool_.transact([&](pqxx::work& tx) -> Status {
    auto row = MigrationStore::find(tx, id, true);
    if (!row || row->migration.version() != version) {
      return Status(StatusCode::kAborted, "migration " + id + " changed meanwhile");
    }
    if (step_seq > 0) MigrationStore::finish_step(tx, id, step_seq, "failed", reason, 0);
    row->migration.add_reasons(reason);
    const std::string to = state::can_roll_back(row->migration.state())
                               ? std::string(state::kRollingBack)
                               : std::string(state::kFailed);
    MPLI_RETURN_IF_ERROR(transition(tx, *row, to, reason));
    open_step_of_state(tx, *row, "undoing what was done");
    log::warn("migration step failed", {{"migration_id", id}, {"to", to}, {"reason", reason}});
    return save(tx, *row, version);
  });
}

Status MigrationService::submit(const TaskRow& task) {
  delivery::v1::SubmitTaskRequest request;
  if (!request.ParseFromString(task.request)) {
    return internal_error("stored request of task " + task.task_id + " is unreadable");
  }
  auto reply = bus::call<delivery::v1::SubmitTaskReply>(bus_, "mpli.delivery.v1.submit_task",
                                                        request, options_.upstream_timeout);
  if (!reply) return reply.status();
  MPLI_RETURN_IF_ERROR(
      pool_.transact([&](pqxx::work& tx) { MigrationStore::mark_submitted(tx, task.task_id); }));
  const auto& t = reply->task();
  if (t.state() == "succeeded" || t.state() == "failed") {
    MPLI_RETURN_IF_ERROR(
        settle_task(task.task_id, t.state(), t.message(), plain(t.outputs())).status());
  }
  return Status::ok();
}

Result<bool> MigrationService::step_once(const std::string& id, bool poll) {
  std::optional<MigrationRow> row;
  std::optional<StepRow> step;
  MPLI_RETURN_IF_ERROR(pool_.transact([&](pqxx::work& tx) {
    row = MigrationStore::find(tx, id, false);
    step = row ? MigrationStore::current_step(tx, id) : std::nullopt;
  }));
  if (!row || state::is_terminal(row->migration.state())) return false;
  const v1::Migration& m = row->migration;
  if (m.state() == state::kPlanned) {
    MPLI_RETURN_IF_ERROR(advance(id, m.version(), 0, "", "the target is being provisioned"));
    return true;
  }
  const int step_seq = step ? step->seq : 0;
  if (m.state() == state::kCuttingOver) return cut_over(*row, step_seq);
  return run_waves(*row, step_seq, poll);
}

Result<bool> MigrationService::run_waves(MigrationRow& row, int step_seq, bool poll) {
  const v1::Migration& m = row.migration;
  std::vector<TaskRow> stored;
  std::optional<MigrationRow> reread;
  // The tasks first, then the migration: a task's outcome and the facts it taught commit
  // together, so facts read after the tasks know every outcome those tasks show.
  MPLI_RETURN_IF_ERROR(pool_.transact([&](pqxx::work& tx) {
    stored = MigrationStore::step_tasks(tx, m.id(), step_seq);
    reread = MigrationStore::find(tx, m.id(), false);
  }));
  if (!reread || reread->migration.version() != m.version()) {
    return Status(StatusCode::kAborted, "migration " + m.id() + " changed meanwhile");
  }
  row = std::move(*reread);
  const std::vector<Wave> waves = plan_step(m.state(), plan_input(row));
  auto find_stored = [&](const std::string& key) -> const TaskRow* {
    for (const auto& task : stored) {
      if (task.key == key) return &task;
    }
    return nullptr;
  };

  // A failed task fails the step (rollback, or failed when rolling back).
  for (const auto& task : stored) {
    if (task.state != "failed") continue;
    if (m.state() == state::kRollingBack) {
      std::string reason = "rollback task " + task.key + " failed (" + task.message + ")";
      for (const auto& wave : waves) {
        for (const auto& planned : wave) {
          const TaskRow* done = find_stored(planned.key());
          if (done == nullptr || done->state != "succeeded") reason += "; " + left_behind(planned);
        }
      }
      MPLI_RETURN_IF_ERROR(fail(m.id(), m.version(), step_seq, reason));
    } else {
      MPLI_RETURN_IF_ERROR(fail(m.id(), m.version(), step_seq,
                                m.state() + ": " + task.key + " failed: " + task.message));
    }
    return true;
  }

  for (size_t w = 0; w < waves.size(); ++w) {
    bool wave_done = true;
    std::vector<TaskRow> fresh;
    for (const auto& planned : waves[w]) {
      const TaskRow* done = find_stored(planned.key());
      if (done != nullptr && done->state == "succeeded") continue;
      wave_done = false;
      if (done != nullptr) continue;
      // A new task: its id and its whole request are stored before it is submitted.
      TaskRow task;
      task.task_id = "tsk_" + ids::new_uuid_v7();
      task.migration_id = m.id();
      task.step_seq = step_seq;
      task.wave = static_cast<int>(w);
      task.key = planned.key();
      task.side = planned.side;
      task.operation = planned.operation;
      const bool source = planned.side == "source";
      task.provider_id = source ? m.source_provider_id() : m.target_provider_id();
      delivery::v1::SubmitTaskRequest request;
      request.set_id(task.task_id);
      request.set_migration_id(m.id());
      request.set_order_id(m.order_id());
      request.set_offering_id(source ? m.source_offering_id() : m.target_offering_id());
      request.set_operation(planned.operation);
      for (const auto& [key, value] : planned.parameters)
        (*request.mutable_parameters())[key] = value;
      if (source) {
        for (const auto& [key, value] : row.source_outputs)
          (*request.mutable_outputs())[key] = value;
      } else {
        *request.mutable_outputs() = m.target_outputs();
      }
      for (const auto& secret : planned.secrets) {
        if (secret.order_id.empty() && secret.task_id.empty()) continue;
        auto* source_ref = request.add_secrets();
        if (!secret.order_id.empty()) {
          source_ref->set_order_id(secret.order_id);
        } else {
          source_ref->set_task_id(secret.task_id);
        }
        source_ref->set_prefix(secret.prefix);
      }
      request.SerializeToString(&task.request);
      fresh.push_back(std::move(task));
    }
    if (wave_done) {
      // Online, the checksums run after the cut-over: nothing of the source is removed before
      // both sides are compared (and found equal).
      if (completes_verification(waves[w]) && value_of(row.facts, fact::kVerified) != "1") {
        MPLI_RETURN_IF_ERROR(record_verification(row, step_seq).status());
        return true;
      }
      continue;
    }
    // The source stays for the grace period after the cut-over; its checksum does not wait.
    if (m.state() == state::kDecommissioningSource && !completes_verification(waves[w])) {
      auto after = parse_rfc3339(m.decommission_after());
      if (after && std::chrono::system_clock::now() < *after) return false;
    }
    if (!fresh.empty()) {
      MPLI_RETURN_IF_ERROR(pool_.transact([&](pqxx::work& tx) -> Status {
        auto locked = MigrationStore::find(tx, m.id(), true);
        if (!locked || locked->migration.version() != m.version()) {
          return Status(StatusCode::kAborted, "migration " + m.id() + " changed meanwhile");
        }
        for (const auto& task : fresh) {
          MigrationStore::insert_task(tx, task);
          const PlannedTask* planned = planned_by_key(waves, task.key);
          if (planned != nullptr) record_submitted(locked->facts, *planned, task.task_id);
        }
        return save(tx, *locked, m.version());
      }));
      for (const auto& task : fresh) stored.push_back(task);
    }
    // Submit what delivery has not acknowledged; ask about the rest on a scan.
    bool changed = !fresh.empty();
    for (const auto& planned : waves[w]) {
      const TaskRow* task = find_stored(planned.key());
      if (task == nullptr || task->state != "running") continue;
      if (!task->submitted) {
        Status submitted = submit(*task);
        if (!submitted.is_ok()) {
          if (is_unavailable(submitted)) return submitted;
          MPLI_RETURN_IF_ERROR(settle_task(task->task_id, "failed",
                                           "delivery refused the task: " + submitted.message(), {})
                                   .status());
        }
        changed = true;
      } else if (poll) {
        delivery::v1::GetTaskRequest ask;
        ask.set_id(task->task_id);
        auto reply = bus::call<delivery::v1::GetTaskReply>(bus_, "mpli.delivery.v1.get_task", ask,
                                                           options_.upstream_timeout);
        if (!reply) {
          if (reply.status().code() == StatusCode::kNotFound) {
            // Delivery lost it (or never stored it): submitting again with the same id is safe.
            MPLI_RETURN_IF_ERROR(submit(*task));
            changed = true;
          }
          continue;
        }
        const auto& t = reply->task();
        if (t.state() == "succeeded" || t.state() == "failed") {
          MPLI_ASSIGN_OR_RETURN(
              bool settled, settle_task(task->task_id, t.state(), t.message(), plain(t.outputs())));
          changed = changed || settled;
        }
      }
    }
    return changed;
  }

  // Every wave done: verifying compares both sides before the step succeeds.
  std::string message = "done";
  if (m.state() == state::kVerifying && value_of(row.facts, fact::kVerified) != "1" &&
      !value_of(row.facts, fact::kTargetVerification).empty()) {
    MPLI_ASSIGN_OR_RETURN(auto equal, record_verification(row, step_seq));
    if (!equal) return true;  // failed: rolling back
    message = *equal;
  } else if (m.state() == state::kVerifying && m.mode() == "online") {
    message = "the target caught up to the frozen source; checksums follow the cut-over";
  } else if (m.state() == state::kRollingBack) {
    message = "the source is untouched and serving";
  }
  MPLI_RETURN_IF_ERROR(advance(m.id(), m.version(), step_seq, "succeeded", message));
  return true;
}

Result<std::optional<std::string>> MigrationService::record_verification(const MigrationRow& row,
                                                                         int step_seq) {
  const v1::Migration& m = row.migration;
  auto compared = compare_verification(
      value_of(row.facts, fact::kSourceVerification),
      value_of(row.facts, fact::kTargetVerification),
      m.data_kind() == "postgresql" ? EmptySides::kEqual : EmptySides::kNeverEqual);
  if (!compared) {
    MPLI_RETURN_IF_ERROR(fail(m.id(), m.version(), step_seq,
                              "verification unreadable: " + compared.status().message()));
    return std::optional<std::string>();
  }
  MPLI_RETURN_IF_ERROR(pool_.transact([&](pqxx::work& tx) -> Status {
    auto locked = MigrationStore::find(tx, m.id(), true);
    if (!locked || locked->migration.version() != m.version()) {
      return Status(StatusCode::kAborted, "migration " + m.id() + " changed meanwhile");
    }
    locked->migration.clear_verification();
    for (const auto& table : compared->tables) *locked->migration.add_verification() = table;
    if (compared->equal) locked->facts[fact::kVerified] = "1";
    return save(tx, *locked, m.version());
  }));
  if (!compared->equal) {
    std::string reason = "verification failed";
    if (m.state() == state::kDecommissioningSource) {
      reason += " after the cut-over (the source is kept, frozen, not decommissioned)";
    }
    for (const auto& difference : compared->differences) reason += "; " + difference;
    MPLI_RETURN_IF_ERROR(fail(m.id(), m.version(), step_seq, reason));
    return std::optional<std::string>();
  }
  if (compared->tables.empty()) {
    return std::optional<std::string>("no table on either side: an empty database");
  }
  return std::optional<std::string>(std::to_string(compared->tables.size()) +
                                    " tables equal on both sides");
}

Result<bool> MigrationService::cut_over(MigrationRow& row, int step_seq) {
  const v1::Migration& m = row.migration;
  delivery::v1::MoveOrderRequest move;
  move.set_order_id(m.order_id());
  move.set_migration_id(m.id());
  move.set_target_offering_id(m.target_offering_id());
  *move.mutable_outputs() = m.target_outputs();
  move.set_secrets_from_task(value_of(row.facts, fact::kProvisionTask));
  for (const auto& [key, value] : row.target_parameters) (*move.mutable_parameters())[key] = value;
  auto moved = bus::call<delivery::v1::MoveOrderReply>(bus_, "mpli.delivery.v1.move_order", move,
                                                       options_.upstream_timeout);
  const auto moved_at = std::chrono::system_clock::now();
  if (!moved) {
    if (is_unavailable(moved.status())) return moved.status();  // the scan tries again
    MPLI_RETURN_IF_ERROR(fail(m.id(), m.version(), step_seq,
                              "delivery did not move the order: " + moved.status().message()));
    return true;
  }
  MPLI_RETURN_IF_ERROR(pool_.transact([&](pqxx::work& tx) -> Status {
    auto locked = MigrationStore::find(tx, m.id(), true);
    if (!locked || locked->migration.version() != m.version()) {
      return Status(StatusCode::kAborted, "migration " + m.id() + " changed meanwhile");
    }
    v1::Migration& l = locked->migration;
    l.set_cut_over_at(clock::to_rfc3339(moved_at));
    l.set_write_downtime_ms(write_downtime_ms(value_of(locked->facts, fact::kFrozenAt), moved_at));
    l.set_decommission_after(clock::to_rfc3339(moved_at + options_.grace_period));
    return save(tx, *locked, m.version());
  }));
  MPLI_RETURN_IF_ERROR(
      advance(m.id(), m.version(), step_seq, "succeeded",
              "the order, its connection details and its bill moved to " + m.target_provider_id()));
  return true;
}

}  // namespace mpli::portability
