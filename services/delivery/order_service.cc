#include "services/delivery/order_service.h"

#include <google/protobuf/util/json_util.h>

#include "libs/bus/call.h"
#include "libs/core/ids.h"
#include "libs/core/log.h"
#include "mpli/discovery/v1/discovery.pb.h"
#include "mpli/resolver/v1/resolver.pb.h"
#include "services/delivery/domain/binding.h"
#include "services/delivery/domain/order_state.h"
#include "services/delivery/domain/request_hash.h"
#include "services/delivery/domain/retry.h"
#include "services/delivery/domain/task.h"

namespace mpli::delivery {

namespace {

Status bad_request(const std::string& field, const std::string& message) {
  return delivery_error(StatusCode::kInvalidArgument, "BAD_REQUEST", field + ": " + message,
                        {{"field", field}});
}

Status order_not_found(const std::string& id) {
  return delivery_error(StatusCode::kNotFound, "ORDER_NOT_FOUND", "no order " + id);
}

// "" (the admin) sees every order; a tenant only its own, and another's is "not found" exactly
// as an id that never existed.
bool visible(const OrderRow& row, const std::string& tenant) {
  return tenant.empty() || row.order.tenant() == tenant;
}

// An upstream that did not answer: the caller may retry (the order stays requested and the
// recovery scanner finishes it meanwhile).
Status upstream(const Status& status, const std::string& who) {
  return delivery_error(StatusCode::kUnavailable, "UPSTREAM_UNAVAILABLE",
                        who + " did not answer: " + status.message());
}

Status task_not_found(const std::string& id) {
  return delivery_error(StatusCode::kNotFound, "TASK_NOT_FOUND", "no task " + id);
}

Status secret_source_not_found(const std::string& what) {
  return delivery_error(StatusCode::kFailedPrecondition, "SECRET_SOURCE_NOT_FOUND",
                        what + " has no secrets to hand over");
}

bool is_unavailable(const Status& status) {
  return status.code() == StatusCode::kUnavailable ||
         status.code() == StatusCode::kDeadlineExceeded || status.code() == StatusCode::kBusy;
}

std::string work_json(const v1::WorkItem& item) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(item, &json, options);
  return json;
}

}  // namespace

OrderService::OrderService(db::Pool& pool, bus::Connection& bus, SecretBox secrets,
                           OrderServiceOptions options, std::function<double()> jitter)
    : pool_(pool), bus_(bus), secrets_(secrets), options_(options), jitter_(std::move(jitter)) {}

namespace {

// The history joins the reply inside the transaction that already holds the order.
void attach_history(pqxx::work& tx, OrderRow& row) {
  row.order.clear_history();
  for (auto& t : OrderStore::history(tx, row.order.id())) *row.order.add_history() = std::move(t);
}

}  // namespace

Result<v1::Order> OrderService::with_history(const OrderRow& row) {
  v1::Order order = row.order;
  MPLI_RETURN_IF_ERROR(pool_.transact([&](pqxx::work& tx) {
    for (auto& t : OrderStore::history(tx, order.id())) *order.add_history() = std::move(t);
  }));
  return order;
}

void OrderService::transition(pqxx::work& tx, OrderRow& order, const std::string& to,
                              const std::string& reason, const std::string& work_id) {
  const std::string from = order.order.state();
  order.order.set_state(to);
  order.order.set_version(order.order.version() + 1);
  OrderStore::record_transition(tx, order, from, to, reason, work_id);
}

std::string OrderService::add_work(pqxx::work& tx, const OrderRow& order,
                                   const std::string& operation, const std::string& purpose,
                                   const google::protobuf::Map<std::string, std::string>& params) {
  v1::WorkItem item;
  item.set_work_id("wrk_" + ids::new_uuid_v7());
  item.set_order_id(order.order.id());
  item.set_provider_id(order.order.provider_id());
  item.set_operation(operation);
  item.set_offering_id(order.order.offering_id());
  item.set_worker_kind(order.order.worker_kind());
  item.set_artifact(order.order.artifact());
  *item.mutable_parameters() = params;
  *item.mutable_outputs() = order.order.outputs();
  item.set_quantity(order.order.quantity());
  item.set_tenant(order.order.tenant());
  enqueue_work(tx, item, purpose, options_.retry.max_attempts, options_.retry.deadline, "", "");
  return item.work_id();
}

void OrderService::enqueue_work(pqxx::work& tx, const v1::WorkItem& item,
                                const std::string& purpose, int max_attempts,
                                std::chrono::milliseconds deadline, const std::string& task_id,
                                const std::string& secrets_sealed) {
  v1::WorkItem body = item;
  body.set_attempt(1);
  body.clear_secrets();  // sealed in their own column; the relay adds them when it publishes
  WorkRow work;
  work.work_id = item.work_id();
  work.order_id = item.order_id();
  work.provider_id = item.provider_id();
  work.operation = item.operation();
  work.purpose = purpose;
  work.max_attempts = max_attempts;
  work.body = work_json(body);
  work.task_id = task_id;
  work.secrets_sealed = secrets_sealed;
  OrderStore::insert_work(tx, work, deadline);
}

// ---- Orders --------------------------------------------------------------------------------

Result<v1::CreateOrderReply> OrderService::create(const v1::CreateOrderRequest& request) {
  if (request.tenant().empty()) return bad_request("tenant", "required");
  if (request.idempotency_key().empty()) return bad_request("idempotency_key", "required");
  if (request.idempotency_key().size() > 200) return bad_request("idempotency_key", "too long");
  if (request.quantity() < 0) return bad_request("quantity", "must be 1 or more");
  if (request.source_case() == v1::CreateOrderRequest::SOURCE_NOT_SET) {
    return bad_request("source", "an answer or an offering_id is required");
  }
  if (request.has_answer()) {
    if (request.answer().resolution_id().empty()) {
      return bad_request("answer.resolution_id", "required");
    }
    if (request.answer().rank() < 1) return bad_request("answer.rank", "a rank from 1");
  } else if (request.offering_id().empty()) {
    return bad_request("offering_id", "required");
  }

  OrderRow row;
  row.request_hash = request_hash(request);
  v1::Order& o = row.order;
  o.set_id("ord_" + ids::new_uuid_v7());
  o.set_tenant(request.tenant());
  o.set_state(state::kRequested);
  o.set_idempotency_key(request.idempotency_key());
  *o.mutable_parameters() = request.parameters();
  o.set_quantity(request.quantity() > 0 ? request.quantity() : 1);
  o.set_version(1);
  if (request.has_answer()) {
    o.set_resolution_id(request.answer().resolution_id());
    o.set_rank(request.answer().rank());
    o.set_requirement(request.answer().requirement());
  } else {
    o.set_offering_id(request.offering_id());
  }

  // The re-check and the catalogue are asked before anything is stored, so an order they accept
  // (the common case) is written once: requested, accepted and provisioning with its work item
  // in one transaction. Any other verdict stores the order requested first, as a trace of the
  // request, and settles it from there (an unavailable service leaves it to the recovery
  // scanner). A crash before the commit stored nothing and answered nothing: the client's retry
  // with the same key starts again. The same key again finds the order it made (or a conflict
  // when the request differs).
  const Verdict verdict = judge(row.order);
  const bool accept_at_once = verdict.kind == Verdict::Kind::kAccept;
  std::optional<OrderRow> earlier;
  std::optional<OrderRow> created;
  MPLI_RETURN_IF_ERROR(pool_.transact([&](pqxx::work& tx) {
    earlier.reset();
    created.reset();
    if (OrderStore::insert(tx, row)) {
      created = row;
      OrderStore::record_transition(tx, *created, "", state::kRequested, "order received", "");
      if (accept_at_once) {
        take_accepted(tx, *created, verdict);
        attach_history(tx, *created);
      }
    } else {
      earlier = OrderStore::find_by_key(tx, request.tenant(), request.idempotency_key());
    }
  }));
  v1::CreateOrderReply reply;
  if (earlier) {
    if (earlier->request_hash != row.request_hash) {
      return delivery_error(
          StatusCode::kConflict, "IDEMPOTENCY_KEY_REUSED",
          "idempotency key " + request.idempotency_key() + " was used for a different request");
    }
    MPLI_ASSIGN_OR_RETURN(*reply.mutable_order(), with_history(*earlier));
    reply.set_created(false);
    return reply;
  }
  if (accept_at_once) {
    *reply.mutable_order() = created->order;
  } else {
    MPLI_ASSIGN_OR_RETURN(*reply.mutable_order(), settle(row, verdict));
  }
  reply.set_created(true);
  return reply;
}

Status OrderService::reject(const std::string& order_id, const std::vector<std::string>& reasons) {
  return pool_.transact([&](pqxx::work& tx) {
    auto row = OrderStore::find(tx, order_id, true);
    if (!row || row->order.state() != state::kRequested) return;
    for (const auto& reason : reasons) row->order.add_reasons(reason);
    transition(tx, *row, state::kRejected, reasons.empty() ? "rejected" : reasons.front(), "");
    OrderStore::save(tx, *row);
  });
}

Result<OrderService::CatalogueOffering> OrderService::look_up_offering(
    const std::string& offering_id) {
  discovery::v1::GetOfferingRequest lookup;
  lookup.set_id(offering_id);
  lookup.set_format("turtle");
  auto offering = bus::call<discovery::v1::GetOfferingReply>(bus_, "mpli.discovery.v1.get_offering",
                                                             lookup, options_.upstream_timeout);
  if (!offering) {
    if (is_unavailable(offering.status())) return upstream(offering.status(), "discovery");
    return delivery_error(StatusCode::kNotFound, "OFFERING_NOT_FOUND",
                          "offering " + offering_id + " is not in the catalogue");
  }
  auto binding = read_binding(offering->turtle(), offering_id);
  if (!binding) {
    if (binding.status().detail("reason").empty()) {
      return delivery_error(StatusCode::kFailedPrecondition, "NO_DELIVERY_BINDING",
                            "offering " + offering_id + ": " + binding.status().message());
    }
    return binding.status();
  }
  return CatalogueOffering{offering->offering().provider_id(), offering->offering().name(),
                           std::move(binding).value()};
}

Result<v1::Order> OrderService::accept(const std::string& order_id) {
  std::optional<OrderRow> found;
  MPLI_RETURN_IF_ERROR(
      pool_.transact([&](pqxx::work& tx) { found = OrderStore::find(tx, order_id, false); }));
  if (!found) return order_not_found(order_id);
  if (found->order.state() != state::kRequested) return with_history(*found);
  return accept(*found);
}

Result<v1::Order> OrderService::accept(const OrderRow& requested) {
  return settle(requested, judge(requested.order));
}

OrderService::Verdict OrderService::judge(const v1::Order& order) {
  Verdict verdict;
  auto refuse = [&](Status why) {
    verdict.kind = Verdict::Kind::kRefuse;
    verdict.status = std::move(why);
    return verdict;
  };
  auto unavailable = [&](Status why) {
    verdict.kind = Verdict::Kind::kUnavailable;
    verdict.status = std::move(why);
    return verdict;
  };

  verdict.offering_id = order.offering_id();
  verdict.quantity = order.quantity();
  verdict.reason = "offering found in the catalogue";
  if (!order.resolution_id().empty()) {
    resolver::v1::RecheckAnswerRequest recheck;
    recheck.set_resolution_id(order.resolution_id());
    recheck.set_rank(order.rank());
    recheck.set_tenant(order.tenant());
    auto checked = bus::call<resolver::v1::RecheckAnswerReply>(
        bus_, "mpli.resolver.v1.recheck_answer", recheck, options_.upstream_timeout);
    if (!checked) {
      if (is_unavailable(checked.status())) {
        return unavailable(upstream(checked.status(), "the resolver"));
      }
      return refuse(delivery_error(StatusCode::kNotFound, "RESOLUTION_NOT_FOUND",
                                   "resolution " + order.resolution_id() + " answer " +
                                       std::to_string(order.rank()) + ": " +
                                       checked.status().message()));
    }
    if (!checked->holds()) {
      verdict.kind = Verdict::Kind::kReject;
      verdict.reasons.assign(checked->reasons().begin(), checked->reasons().end());
      if (verdict.reasons.empty()) verdict.reasons.emplace_back("the answer no longer holds");
      return verdict;
    }
    const resolver::v1::Assignment* chosen = nullptr;
    const auto& assignments = checked->answer().assignments();
    for (const auto& assignment : assignments) {
      if (assignment.requirement() == order.requirement()) chosen = &assignment;
    }
    if (chosen == nullptr && order.requirement().empty() && assignments.size() == 1) {
      chosen = &assignments[0];
    }
    if (chosen == nullptr) {
      return refuse(delivery_error(
          StatusCode::kNotFound, "RESOLUTION_NOT_FOUND",
          order.requirement().empty()
              ? "the answer has " + std::to_string(assignments.size()) +
                    " assignments: name the requirement"
              : "the answer has no assignment for requirement " + order.requirement(),
          {{"field", "answer.requirement"}}));
    }
    verdict.offering_id = chosen->offering();
    verdict.provider_id = chosen->provider_id();
    verdict.offering_name = chosen->offering_name();
    // Quantity 1 is what an order without one stores: the assignment's count then applies.
    if (verdict.quantity <= 1 && chosen->quantity() > 0) verdict.quantity = chosen->quantity();
    verdict.reason = "re-check passed";
  }

  auto offering = look_up_offering(verdict.offering_id);
  if (!offering) {
    if (is_unavailable(offering.status())) return unavailable(offering.status());
    return refuse(offering.status());
  }
  if (verdict.provider_id.empty()) verdict.provider_id = offering->provider_id;
  if (verdict.offering_name.empty()) verdict.offering_name = offering->name;
  if (!offering->binding.supports("provision")) {
    return refuse(
        delivery_error(StatusCode::kFailedPrecondition, "OPERATION_NOT_SUPPORTED",
                       "offering " + verdict.offering_id + " does not support provision"));
  }
  if (verdict.provider_id == "result") {
    return refuse(delivery_error(StatusCode::kFailedPrecondition, "NO_DELIVERY_BINDING",
                                 "provider id 'result' is reserved"));
  }
  verdict.binding = std::move(offering->binding);
  verdict.kind = Verdict::Kind::kAccept;
  return verdict;
}

void OrderService::take_accepted(pqxx::work& tx, OrderRow& order, const Verdict& verdict) {
  v1::Order& o = order.order;
  o.set_offering_id(verdict.offering_id);
  o.set_offering_name(verdict.offering_name);
  o.set_provider_id(verdict.provider_id);
  o.set_worker_kind(verdict.binding.worker_kind);
  o.set_artifact(verdict.binding.artifact);
  order.operations = verdict.binding.operations;
  o.set_price_amount(verdict.binding.price_amount);
  o.set_price_currency(verdict.binding.price_currency);
  o.set_price_unit(verdict.binding.price_unit);
  o.set_quantity(verdict.quantity);
  transition(tx, order, state::kAccepted, verdict.reason, "");
  std::string work_id = add_work(tx, order, "provision", "order", o.parameters());
  transition(tx, order, state::kProvisioning, "provisioning handed to the provider", work_id);
  OrderStore::save(tx, order);
}

Result<v1::Order> OrderService::settle(const OrderRow& requested, const Verdict& verdict) {
  const std::string& order_id = requested.order.id();
  switch (verdict.kind) {
    case Verdict::Kind::kUnavailable:
      return verdict.status;
    case Verdict::Kind::kRefuse:
      // A reason the caller caused: the order is rejected and the typed error answered.
      MPLI_RETURN_IF_ERROR(reject(order_id, {verdict.status.message()}));
      return verdict.status;
    case Verdict::Kind::kReject: {
      MPLI_RETURN_IF_ERROR(reject(order_id, verdict.reasons));
      std::optional<OrderRow> rejected;
      MPLI_RETURN_IF_ERROR(pool_.transact(
          [&](pqxx::work& tx) { rejected = OrderStore::find(tx, order_id, false); }));
      if (!rejected) return order_not_found(order_id);
      return with_history(*rejected);
    }
    case Verdict::Kind::kAccept:
      break;
  }
  std::optional<OrderRow> accepted;
  MPLI_RETURN_IF_ERROR(pool_.transact([&](pqxx::work& tx) {
    accepted = OrderStore::find(tx, order_id, true);
    if (!accepted || accepted->order.state() != state::kRequested) return;  // someone else did
    take_accepted(tx, *accepted, verdict);
    attach_history(tx, *accepted);
  }));
  if (!accepted) return order_not_found(order_id);
  if (accepted->order.history().empty()) return with_history(*accepted);  // accepted elsewhere
  return accepted->order;
}

Result<v1::Order> OrderService::get(const v1::GetOrderRequest& request) {
  if (request.id().empty()) return bad_request("id", "required");
  std::optional<OrderRow> row;
  std::vector<v1::Transition> history;
  MPLI_RETURN_IF_ERROR(pool_.transact([&](pqxx::work& tx) {
    row = OrderStore::find(tx, request.id(), false);
    if (row && visible(*row, request.tenant())) history = OrderStore::history(tx, request.id());
  }));
  if (!row || !visible(*row, request.tenant())) return order_not_found(request.id());
  v1::Order order = row->order;
  for (auto& t : history) *order.add_history() = std::move(t);
  // Secrets go to their owner only: never to the admin ("") nor another tenant.
  if (request.include_secrets() && !request.tenant().empty() &&
      request.tenant() == order.tenant() && !row->secrets_sealed.empty()) {
    MPLI_ASSIGN_OR_RETURN(auto secrets, secrets_.open_map(row->secrets_sealed, order.id()));
    for (auto& [key, value] : secrets) (*order.mutable_secrets())[key] = value;
  }
  return order;
}

Result<v1::ListOrdersReply> OrderService::list(const v1::ListOrdersRequest& request) {
  int limit = request.limit() == 0 ? 50 : request.limit();
  if (limit < 0 || limit > 500) return bad_request("limit", "between 1 and 500");
  if (!request.cursor().empty() && request.cursor().rfind("ord_", 0) != 0) {
    return bad_request("cursor", "not a cursor of list_orders");
  }
  if (!request.state().empty() && !is_known_state(request.state())) {
    return bad_request("state", "unknown state " + request.state());
  }
  std::vector<OrderRow> rows;
  MPLI_RETURN_IF_ERROR(pool_.transact([&](pqxx::work& tx) {
    rows = OrderStore::list(tx, request.tenant(), request.state(), request.provider_id(), limit + 1,
                            request.cursor());
  }));
  v1::ListOrdersReply reply;
  for (size_t i = 0; i < rows.size() && static_cast<int>(i) < limit; ++i) {
    *reply.add_orders() = rows[i].order;
  }
  if (static_cast<int>(rows.size()) > limit) reply.set_next_cursor(rows[limit - 1].order.id());
  return reply;
}

Result<v1::Order> OrderService::modify(const v1::ModifyOrderRequest& request) {
  if (request.id().empty()) return bad_request("id", "required");
  std::optional<OrderRow> row;
  MPLI_RETURN_IF_ERROR(pool_.transact([&](pqxx::work& tx) -> Status {
    row = OrderStore::find(tx, request.id(), true);
    if (!row || !visible(*row, request.tenant())) return order_not_found(request.id());
    MPLI_RETURN_IF_ERROR(check_modify(row->order.state()));
    if (std::find(row->operations.begin(), row->operations.end(), "modify") ==
        row->operations.end()) {
      return delivery_error(StatusCode::kFailedPrecondition, "OPERATION_NOT_SUPPORTED",
                            "offering " + row->order.offering_id() + " does not support modify");
    }
    // The new parameters travel in the work item; the order takes them when the modify succeeds.
    auto parameters = row->order.parameters();
    for (const auto& [key, value] : request.parameters()) {
      if (value.empty()) {
        parameters.erase(key);
      } else {
        parameters[key] = value;
      }
    }
    std::string work_id = add_work(tx, *row, "modify", "order", parameters);
    transition(tx, *row, state::kModifying, "modification requested", work_id);
    OrderStore::save(tx, *row);
    attach_history(tx, *row);
    return Status::ok();
  }));
  return row->order;
}

Result<v1::Order> OrderService::remove(const v1::DeleteOrderRequest& request) {
  if (request.id().empty()) return bad_request("id", "required");
  std::optional<OrderRow> row;
  MPLI_RETURN_IF_ERROR(pool_.transact([&](pqxx::work& tx) -> Status {
    row = OrderStore::find(tx, request.id(), true);
    if (!row || !visible(*row, request.tenant())) return order_not_found(request.id());
    MPLI_ASSIGN_OR_RETURN(DeleteAction action, check_delete(row->order.state()));
    switch (action) {
      case DeleteAction::kDeprovision: {
        std::string work_id = add_work(tx, *row, "deprovision", "order", row->order.parameters());
        transition(tx, *row, state::kDeprovisioning, "deletion requested", work_id);
        OrderStore::save(tx, *row);
        break;
      }
      case DeleteAction::kMarkRequested:
        if (row->order.deletion_requested()) break;
        row->order.set_deletion_requested(true);
        row->order.set_version(row->order.version() + 1);
        OrderStore::record_change(tx, *row, row->order.state(), row->order.state(),
                                  "deletion requested; it runs when the work in flight ends");
        OrderStore::save(tx, *row);
        break;
      case DeleteAction::kAlreadyDeleting:
        break;
    }
    attach_history(tx, *row);
    return Status::ok();
  }));
  return row->order;
}

// ---- Work ----------------------------------------------------------------------------------

Status OrderService::conclude(pqxx::work& tx, OrderRow& order, const WorkRow& work, bool succeeded,
                              bool retryable, const v1::WorkUpdate* update,
                              const std::string& message) {
  WorkFacts facts{work.operation, work.purpose, work.attempt, work.max_attempts};
  OutcomeDecision decision =
      decide_outcome({order.order.state(), order.order.deletion_requested()}, facts,
                     succeeded ? WorkEnd::kSucceeded : WorkEnd::kFailed, retryable, message);
  switch (decision.item) {
    case OutcomeDecision::Item::kRetry:
      OrderStore::retry_work(tx, work.work_id, backoff(options_.retry, work.attempt, jitter_()),
                             options_.retry.deadline, message);
      return Status::ok();
    case OutcomeDecision::Item::kSucceeded:
      OrderStore::finish_work(tx, work.work_id, "succeeded", message);
      break;
    case OutcomeDecision::Item::kFailed:
      OrderStore::finish_work(tx, work.work_id, "failed", message);
      break;
  }
  if (decision.take_outputs && update != nullptr) {
    for (const auto& [key, value] : update->outputs()) {
      (*order.order.mutable_outputs())[key] = value;
    }
    if (!update->secrets().empty()) {
      std::map<std::string, std::string> secrets;
      if (!order.secrets_sealed.empty()) {
        MPLI_ASSIGN_OR_RETURN(secrets, secrets_.open_map(order.secrets_sealed, order.order.id()));
      }
      for (const auto& [key, value] : update->secrets()) secrets[key] = value;
      MPLI_ASSIGN_OR_RETURN(order.secrets_sealed, secrets_.seal_map(secrets, order.order.id()));
    }
  }
  if (decision.take_parameters) {
    v1::WorkItem item;
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = true;
    if (google::protobuf::util::JsonStringToMessage(work.body, &item, options).ok()) {
      *order.order.mutable_parameters() = item.parameters();
    }
  }
  std::string next_work;
  if (decision.next_operation) {
    next_work = add_work(tx, order, *decision.next_operation, decision.next_purpose,
                         order.order.parameters());
  }
  if (decision.to_state) {
    if (*decision.to_state == state::kFailed) order.order.add_reasons(decision.reason);
    transition(tx, order, *decision.to_state, decision.reason, work.work_id);
    if (*decision.to_state == state::kDeprovisioning && !next_work.empty()) {
      // The deprovision that follows is the work item of the same transition's effect.
      log::info("deprovisioning after a pending delete",
                {{"order_id", order.order.id()}, {"work_id", next_work}});
    }
  }
  OrderStore::save(tx, order);
  return Status::ok();
}

Status OrderService::end_attempt(pqxx::work& tx, const WorkRow& unlocked, AttemptEnd end,
                                 const v1::WorkUpdate* update, bool& concluded) {
  concluded = false;
  // The owner first, then the work item: the owner's lock serialises every change to it.
  std::optional<OrderRow> order;
  std::optional<TaskRow> task;
  if (unlocked.task_id.empty()) {
    order = OrderStore::find(tx, unlocked.order_id, true);
    if (!order) return Status::ok();
  } else {
    task = TaskStore::find(tx, unlocked.task_id, true);
    if (!task) return Status::ok();
  }
  auto work = OrderStore::find_work(tx, unlocked.work_id, true);
  if (!work || work->state != "pending") return Status::ok();  // settled already
  bool succeeded = false;
  bool retryable = false;
  std::string message;
  switch (end) {
    case AttemptEnd::kSucceeded:
      // work_id is the idempotency key across attempts: a late success of an earlier attempt
      // is as real as one of the current attempt.
      if (update->attempt() > work->attempt) return Status::ok();
      succeeded = true;
      message = update->message();
      break;
    case AttemptEnd::kFailed:
      if (update->attempt() != work->attempt) return Status::ok();  // an attempt given up already
      retryable = update->retryable();
      message = update->message();
      break;
    case AttemptEnd::kExpired: {
      auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
      if (work->deadline_unix_ms > now_ms) return Status::ok();  // progress extended it
      retryable = true;
      message = "attempt " + std::to_string(work->attempt) + " passed its deadline";
      break;
    }
  }
  concluded = true;
  if (task) return conclude_task(tx, *task, *work, succeeded, retryable, update, message);
  return conclude(tx, *order, *work, succeeded, retryable, update, message);
}

Status OrderService::apply_update(const std::string& subject_provider,
                                  const v1::WorkUpdate& update) {
  if (update.provider_id() != subject_provider) {
    log::warn("work update dropped: its provider differs from its subject's",
              {{"work_id", update.work_id()}, {"subject_provider", subject_provider}});
    return Status::ok();
  }
  const std::string& kind = update.kind();
  AttemptEnd end = AttemptEnd::kSucceeded;
  if (kind == "failed") {
    end = AttemptEnd::kFailed;
  } else if (kind != "succeeded" && kind != "progress") {
    log::warn("work update of unknown kind ignored",
              {{"work_id", update.work_id()}, {"kind", kind}});
    return Status::ok();
  }
  return pool_.transact([&](pqxx::work& tx) -> Status {
    auto unlocked = OrderStore::find_work(tx, update.work_id(), false);
    if (!unlocked || unlocked->provider_id != update.provider_id()) return Status::ok();
    if (kind == "progress") {
      // Touches the work item alone: its lock is enough.
      auto work = OrderStore::find_work(tx, update.work_id(), true);
      if (work && work->state == "pending" && update.attempt() == work->attempt) {
        OrderStore::progress_work(tx, work->work_id, options_.retry.progress_extension,
                                  update.message(), update.percent());
      }
      return Status::ok();
    }
    bool concluded = false;
    return end_attempt(tx, *unlocked, end, &update, concluded);
  });
}

Result<int> OrderService::expire_deadlines() {
  std::vector<std::string> expired;
  MPLI_RETURN_IF_ERROR(
      pool_.transact([&](pqxx::work& tx) { expired = OrderStore::past_deadline(tx, 100); }));
  int handled = 0;
  for (const auto& work_id : expired) {
    bool concluded = false;
    MPLI_RETURN_IF_ERROR(pool_.transact([&](pqxx::work& tx) -> Status {
      auto unlocked = OrderStore::find_work(tx, work_id, false);
      if (!unlocked) return Status::ok();
      return end_attempt(tx, *unlocked, AttemptEnd::kExpired, nullptr, concluded);
    }));
    if (concluded) ++handled;
  }
  return handled;
}

Result<int> OrderService::recover_stranded(std::chrono::milliseconds age) {
  std::vector<std::string> stranded;
  MPLI_RETURN_IF_ERROR(
      pool_.transact([&](pqxx::work& tx) { stranded = OrderStore::stranded(tx, age, 100); }));
  int recovered = 0;
  for (const auto& id : stranded) {
    auto accepted = accept(id);
    if (accepted.is_ok()) {
      ++recovered;
    } else if (is_unavailable(accepted.status())) {
      return accepted.status();  // try again at the next pass
    }
  }
  return recovered;
}

// ---- Tasks and the cut-over ----------------------------------------------------------------

Result<std::map<std::string, std::string>> OrderService::source_secrets(
    pqxx::work& tx, const v1::SubmitTaskRequest& request, const std::string& tenant) {
  std::map<std::string, std::string> out;
  for (const auto& source : request.secrets()) {
    std::map<std::string, std::string> secrets;
    // A source of another consumer is as missing as one that does not exist: a task never
    // carries one consumer's secrets into another's work.
    if (source.has_order_id()) {
      auto order = OrderStore::find(tx, source.order_id(), false);
      if (!order || order->order.tenant() != tenant || order->secrets_sealed.empty()) {
        return secret_source_not_found("order " + source.order_id());
      }
      MPLI_ASSIGN_OR_RETURN(secrets, secrets_.open_map(order->secrets_sealed, source.order_id()));
    } else {
      auto task = TaskStore::find(tx, source.task_id(), false);
      if (!task || task->task.tenant() != tenant || task->task.state() != task_state::kSucceeded ||
          task->secrets_sealed.empty()) {
        return secret_source_not_found("task " + source.task_id());
      }
      MPLI_ASSIGN_OR_RETURN(secrets, secrets_.open_map(task->secrets_sealed, source.task_id()));
    }
    add_prefixed(out, secrets, source.prefix());
  }
  return out;
}

Result<v1::SubmitTaskReply> OrderService::submit_task(const v1::SubmitTaskRequest& request) {
  MPLI_RETURN_IF_ERROR(check_submit_task(request));
  const std::string hash = task_request_hash(request);
  auto answer_earlier = [&](const TaskRow& earlier) -> Result<v1::SubmitTaskReply> {
    if (earlier.request_hash != hash) {
      return delivery_error(StatusCode::kConflict, "TASK_ID_REUSED",
                            "task id " + request.id() + " was used for a different request",
                            {{"field", "id"}});
    }
    v1::SubmitTaskReply reply;
    *reply.mutable_task() = earlier.task;
    reply.set_created(false);
    return reply;
  };

  // A resubmission (portability after a crash) is answered from the task, without look-ups.
  std::optional<TaskRow> earlier;
  std::optional<OrderRow> order;
  MPLI_RETURN_IF_ERROR(pool_.transact([&](pqxx::work& tx) {
    earlier = TaskStore::find(tx, request.id(), false);
    if (!earlier) order = OrderStore::find(tx, request.order_id(), false);
  }));
  if (earlier) return answer_earlier(*earlier);
  if (!order) return order_not_found(request.order_id());
  MPLI_ASSIGN_OR_RETURN(CatalogueOffering offering, look_up_offering(request.offering_id()));
  MPLI_RETURN_IF_ERROR(check_task_operation(offering.binding.operations, request.operation(),
                                            request.offering_id()));
  if (offering.provider_id == "result") {
    return delivery_error(StatusCode::kFailedPrecondition, "NO_DELIVERY_BINDING",
                          "provider id 'result' is reserved");
  }

  const std::chrono::milliseconds deadline = request.deadline_seconds() > 0
                                                 ? std::chrono::seconds(request.deadline_seconds())
                                                 : options_.retry.deadline;
  const int max_attempts =
      request.max_attempts() > 0 ? request.max_attempts() : options_.retry.max_attempts;
  TaskRow row;
  v1::Task& t = row.task;
  t.set_id(request.id());
  t.set_migration_id(request.migration_id());
  t.set_order_id(request.order_id());
  t.set_provider_id(offering.provider_id);
  t.set_operation(request.operation());
  t.set_offering_id(request.offering_id());
  t.set_worker_kind(offering.binding.worker_kind);
  t.set_artifact(offering.binding.artifact);
  t.set_tenant(order->order.tenant());
  *t.mutable_parameters() = request.parameters();
  t.set_state(task_state::kRunning);
  row.work_id = "wrk_" + ids::new_uuid_v7();
  row.deadline_seconds = static_cast<int>(std::max<std::int64_t>(
      1, std::chrono::duration_cast<std::chrono::seconds>(deadline).count()));
  row.request_hash = hash;

  std::optional<TaskRow> stored;
  MPLI_RETURN_IF_ERROR(pool_.transact([&](pqxx::work& tx) -> Status {
    earlier.reset();
    stored.reset();
    MPLI_ASSIGN_OR_RETURN(auto secrets, source_secrets(tx, request, t.tenant()));
    if (!TaskStore::insert(tx, row)) {  // submitted meanwhile by another instance
      earlier = TaskStore::find(tx, request.id(), false);
      return Status::ok();
    }
    std::string sealed;
    if (!secrets.empty()) {
      MPLI_ASSIGN_OR_RETURN(sealed, secrets_.seal_map(secrets, row.work_id));
    }
    v1::WorkItem item;
    item.set_work_id(row.work_id);
    item.set_order_id(t.order_id());
    item.set_provider_id(t.provider_id());
    item.set_operation(t.operation());
    item.set_offering_id(t.offering_id());
    item.set_worker_kind(t.worker_kind());
    item.set_artifact(t.artifact());
    *item.mutable_parameters() = t.parameters();
    *item.mutable_outputs() = request.outputs();
    item.set_quantity(order->order.quantity());
    item.set_tenant(t.tenant());
    item.set_task_id(t.id());
    item.set_migration_id(t.migration_id());
    enqueue_work(tx, item, "task", max_attempts, deadline, t.id(), sealed);
    stored = TaskStore::find(tx, t.id(), false);
    return Status::ok();
  }));
  if (earlier) return answer_earlier(*earlier);
  if (!stored) return internal_error("task " + request.id() + " vanished after its insert");
  log::info("task submitted", {{"task_id", t.id()},
                               {"migration_id", t.migration_id()},
                               {"operation", t.operation()},
                               {"provider_id", t.provider_id()}});
  v1::SubmitTaskReply reply;
  *reply.mutable_task() = stored->task;
  reply.set_created(true);
  return reply;
}

Result<v1::Task> OrderService::get_task(const v1::GetTaskRequest& request) {
  if (request.id().empty()) return bad_request("id", "required");
  std::optional<TaskRow> row;
  MPLI_RETURN_IF_ERROR(
      pool_.transact([&](pqxx::work& tx) { row = TaskStore::find(tx, request.id(), false); }));
  if (!row) return task_not_found(request.id());
  v1::Task task = row->task;
  if (request.include_secrets() && !row->secrets_sealed.empty()) {
    MPLI_ASSIGN_OR_RETURN(auto secrets, secrets_.open_map(row->secrets_sealed, task.id()));
    for (auto& [key, value] : secrets) (*task.mutable_secrets())[key] = value;
  }
  return task;
}

Status OrderService::conclude_task(pqxx::work& tx, TaskRow& task, const WorkRow& work,
                                   bool succeeded, bool retryable, const v1::WorkUpdate* update,
                                   const std::string& message) {
  v1::Task& t = task.task;
  switch (decide_task_step(succeeded, retryable, work.attempt, work.max_attempts)) {
    case TaskStep::kRetry:
      OrderStore::retry_work(tx, work.work_id, backoff(options_.retry, work.attempt, jitter_()),
                             std::chrono::seconds(task.deadline_seconds), message);
      TaskStore::note(tx, t.id(), message);
      return Status::ok();
    case TaskStep::kSucceeded:
      OrderStore::finish_work(tx, work.work_id, "succeeded", message);
      t.set_state(task_state::kSucceeded);
      t.set_retryable(false);
      if (update != nullptr) {
        *t.mutable_outputs() = update->outputs();
        if (!update->secrets().empty()) {
          std::map<std::string, std::string> secrets(update->secrets().begin(),
                                                     update->secrets().end());
          MPLI_ASSIGN_OR_RETURN(task.secrets_sealed, secrets_.seal_map(secrets, t.id()));
        }
      }
      break;
    case TaskStep::kFailed:
      OrderStore::finish_work(tx, work.work_id, "failed", message);
      t.set_state(task_state::kFailed);
      t.set_retryable(retryable);
      break;
  }
  t.set_message(message);
  t.set_attempts(work.attempt);
  TaskStore::save_outcome(tx, task);
  TaskStore::record_finished(tx, task);
  log::info("task finished", {{"task_id", t.id()},
                              {"migration_id", t.migration_id()},
                              {"state", t.state()},
                              {"attempts", work.attempt}});
  return Status::ok();
}

Result<v1::Order> OrderService::move(const v1::MoveOrderRequest& request) {
  if (request.order_id().empty()) return bad_request("order_id", "required");
  if (request.target_offering_id().empty()) return bad_request("target_offering_id", "required");
  std::optional<OrderRow> current;
  MPLI_RETURN_IF_ERROR(pool_.transact(
      [&](pqxx::work& tx) { current = OrderStore::find(tx, request.order_id(), false); }));
  if (!current) return order_not_found(request.order_id());
  MPLI_ASSIGN_OR_RETURN(MoveAction action,
                        check_move(current->order.state(), current->order.offering_id(),
                                   request.target_offering_id()));
  if (action == MoveAction::kAlreadyThere) return with_history(*current);
  MPLI_ASSIGN_OR_RETURN(CatalogueOffering target, look_up_offering(request.target_offering_id()));

  std::optional<OrderRow> row;
  MPLI_RETURN_IF_ERROR(pool_.transact([&](pqxx::work& tx) -> Status {
    row = OrderStore::find(tx, request.order_id(), true);
    if (!row) return order_not_found(request.order_id());
    MPLI_ASSIGN_OR_RETURN(MoveAction now, check_move(row->order.state(), row->order.offering_id(),
                                                     request.target_offering_id()));
    if (now == MoveAction::kAlreadyThere) {  // moved meanwhile by another instance
      attach_history(tx, *row);
      return Status::ok();
    }
    // The source's secrets do not open the target: the order takes the provisioning task's
    // (none when the target's provisioning returned none, e.g. a disk image).
    std::string sealed;
    if (!request.secrets_from_task().empty()) {
      auto task = TaskStore::find(tx, request.secrets_from_task(), false);
      if (!task || task->task.tenant() != row->order.tenant() ||
          task->task.state() != task_state::kSucceeded) {
        return secret_source_not_found("task " + request.secrets_from_task());
      }
      if (!task->secrets_sealed.empty()) {
        MPLI_ASSIGN_OR_RETURN(auto secrets,
                              secrets_.open_map(task->secrets_sealed, task->task.id()));
        MPLI_ASSIGN_OR_RETURN(sealed, secrets_.seal_map(secrets, row->order.id()));
      }
    }
    const v1::Order source = row->order;
    v1::Order& o = row->order;
    o.set_provider_id(target.provider_id);
    o.set_offering_id(request.target_offering_id());
    o.set_offering_name(target.name);
    o.set_worker_kind(target.binding.worker_kind);
    o.set_artifact(target.binding.artifact);
    row->operations = target.binding.operations;
    o.set_price_amount(target.binding.price_amount);
    o.set_price_currency(target.binding.price_currency);
    o.set_price_unit(target.binding.price_unit);
    *o.mutable_outputs() = request.outputs();
    row->secrets_sealed = sealed;
    merge_move_parameters(*o.mutable_parameters(), request.parameters());
    OrderStore::record_move(tx, source, o);
    transition(tx, *row, state::kActive, move_reason(target.provider_id, request.migration_id()),
               "");
    OrderStore::save(tx, *row);
    attach_history(tx, *row);
    return Status::ok();
  }));
  log::info("order moved", {{"order_id", request.order_id()},
                            {"migration_id", request.migration_id()},
                            {"provider_id", target.provider_id}});
  return row->order;
}

}  // namespace mpli::delivery
