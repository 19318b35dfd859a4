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
  item.set_attempt(1);
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
  WorkRow work;
  work.work_id = item.work_id();
  work.order_id = order.order.id();
  work.provider_id = order.order.provider_id();
  work.operation = operation;
  work.purpose = purpose;
  work.max_attempts = options_.retry.max_attempts;
  work.body = work_json(item);
  OrderStore::insert_work(tx, work, options_.retry.deadline);
  return work.work_id;
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

  // The same key again: the order it made (or a conflict when the request differs). The insert
  // goes first: a new key, the common case, costs no look-up.
  std::optional<OrderRow> earlier;
  MPLI_RETURN_IF_ERROR(pool_.transact([&](pqxx::work& tx) {
    earlier.reset();
    if (OrderStore::insert(tx, row)) {
      OrderStore::record_transition(tx, row, "", state::kRequested, "order received", "");
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
  MPLI_ASSIGN_OR_RETURN(*reply.mutable_order(), accept(row));
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

Result<v1::Order> OrderService::accept(const std::string& order_id) {
  std::optional<OrderRow> found;
  MPLI_RETURN_IF_ERROR(
      pool_.transact([&](pqxx::work& tx) { found = OrderStore::find(tx, order_id, false); }));
  if (!found) return order_not_found(order_id);
  if (found->order.state() != state::kRequested) return with_history(*found);
  return accept(*found);
}

Result<v1::Order> OrderService::accept(const OrderRow& requested) {
  const v1::Order& order = requested.order;
  const std::string& order_id = order.id();

  // Rejects the order for a reason the caller caused and answers the typed error.
  auto refuse = [&](const Status& why) -> Status {
    MPLI_RETURN_IF_ERROR(reject(order_id, {why.message()}));
    return why;
  };

  std::string offering_id = order.offering_id();
  std::string provider_id;
  std::string offering_name;
  int quantity = order.quantity();
  std::string accept_reason = "offering found in the catalogue";
  if (!order.resolution_id().empty()) {
    resolver::v1::RecheckAnswerRequest recheck;
    recheck.set_resolution_id(order.resolution_id());
    recheck.set_rank(order.rank());
    recheck.set_tenant(order.tenant());
    auto checked = bus::call<resolver::v1::RecheckAnswerReply>(
        bus_, "mpli.resolver.v1.recheck_answer", recheck, options_.upstream_timeout);
    if (!checked) {
      if (is_unavailable(checked.status())) return upstream(checked.status(), "the resolver");
      return refuse(delivery_error(StatusCode::kNotFound, "RESOLUTION_NOT_FOUND",
                                   "resolution " + order.resolution_id() + " answer " +
                                       std::to_string(order.rank()) + ": " +
                                       checked.status().message()));
    }
    if (!checked->holds()) {
      std::vector<std::string> reasons(checked->reasons().begin(), checked->reasons().end());
      if (reasons.empty()) reasons.emplace_back("the answer no longer holds");
      MPLI_RETURN_IF_ERROR(reject(order_id, reasons));
      std::optional<OrderRow> rejected;
      MPLI_RETURN_IF_ERROR(pool_.transact(
          [&](pqxx::work& tx) { rejected = OrderStore::find(tx, order_id, false); }));
      return with_history(*rejected);
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
    offering_id = chosen->offering();
    provider_id = chosen->provider_id();
    offering_name = chosen->offering_name();
    // Quantity 1 is what an order without one stores: the assignment's count then applies.
    if (quantity <= 1 && chosen->quantity() > 0) quantity = chosen->quantity();
    accept_reason = "re-check passed";
  }

  discovery::v1::GetOfferingRequest lookup;
  lookup.set_id(offering_id);
  lookup.set_format("turtle");
  auto offering = bus::call<discovery::v1::GetOfferingReply>(bus_, "mpli.discovery.v1.get_offering",
                                                             lookup, options_.upstream_timeout);
  if (!offering) {
    if (is_unavailable(offering.status())) return upstream(offering.status(), "discovery");
    return refuse(delivery_error(StatusCode::kNotFound, "OFFERING_NOT_FOUND",
                                 "offering " + offering_id + " is not in the catalogue"));
  }
  if (provider_id.empty()) provider_id = offering->offering().provider_id();
  if (offering_name.empty()) offering_name = offering->offering().name();
  auto binding = read_binding(offering->turtle(), offering_id);
  if (!binding) {
    if (binding.status().detail("reason").empty()) {
      return refuse(delivery_error(StatusCode::kFailedPrecondition, "NO_DELIVERY_BINDING",
                                   "offering " + offering_id + ": " + binding.status().message()));
    }
    return refuse(binding.status());
  }
  if (!binding->supports("provision")) {
    return refuse(delivery_error(StatusCode::kFailedPrecondition, "OPERATION_NOT_SUPPORTED",
                                 "offering " + offering_id + " does not support provision"));
  }
  if (provider_id == "result") {
    return refuse(delivery_error(StatusCode::kFailedPrecondition, "NO_DELIVERY_BINDING",
                                 "provider id 'result' is reserved"));
  }

  std::optional<OrderRow> accepted;
  MPLI_RETURN_IF_ERROR(pool_.transact([&](pqxx::work& tx) {
    accepted = OrderStore::find(tx, order_id, true);
    if (!accepted || accepted->order.state() != state::kRequested) return;  // someone else did
    v1::Order& o = accepted->order;
    o.set_offering_id(offering_id);
    o.set_offering_name(offering_name);
    o.set_provider_id(provider_id);
    o.set_worker_kind(binding->worker_kind);
    o.set_artifact(binding->artifact);
    accepted->operations = binding->operations;
    o.set_price_amount(binding->price_amount);
    o.set_price_currency(binding->price_currency);
    o.set_price_unit(binding->price_unit);
    o.set_quantity(quantity);
    transition(tx, *accepted, state::kAccepted, accept_reason, "");
    std::string work_id = add_work(tx, *accepted, "provision", "order", o.parameters());
    transition(tx, *accepted, state::kProvisioning, "provisioning handed to the provider", work_id);
    OrderStore::save(tx, *accepted);
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

Status OrderService::apply_update(const std::string& subject_provider,
                                  const v1::WorkUpdate& update) {
  if (update.provider_id() != subject_provider) {
    log::warn("work update dropped: its provider differs from its subject's",
              {{"work_id", update.work_id()}, {"subject_provider", subject_provider}});
    return Status::ok();
  }
  return pool_.transact([&](pqxx::work& tx) -> Status {
    auto unlocked = OrderStore::find_work(tx, update.work_id(), false);
    if (!unlocked || unlocked->provider_id != update.provider_id()) return Status::ok();
    // The order first, then the work item: the order's lock serialises every change to it.
    auto order = OrderStore::find(tx, unlocked->order_id, true);
    auto work = OrderStore::find_work(tx, update.work_id(), true);
    if (!order || !work || work->state != "pending") return Status::ok();  // settled already
    const std::string& kind = update.kind();
    if (kind == "progress") {
      if (update.attempt() == work->attempt) {
        OrderStore::progress_work(tx, work->work_id, options_.retry.progress_extension,
                                  update.message(), update.percent());
      }
      return Status::ok();
    }
    if (kind == "succeeded") {
      // work_id is the idempotency key across attempts: a late success of an earlier attempt
      // is as real as one of the current attempt.
      if (update.attempt() > work->attempt) return Status::ok();
      return conclude(tx, *order, *work, true, false, &update, update.message());
    }
    if (kind == "failed") {
      if (update.attempt() != work->attempt) return Status::ok();  // an attempt given up already
      return conclude(tx, *order, *work, false, update.retryable(), &update, update.message());
    }
    log::warn("work update of unknown kind ignored",
              {{"work_id", update.work_id()}, {"kind", kind}});
    return Status::ok();
  });
}

Result<int> OrderService::expire_deadlines() {
  std::vector<std::string> expired;
  MPLI_RETURN_IF_ERROR(
      pool_.transact([&](pqxx::work& tx) { expired = OrderStore::past_deadline(tx, 100); }));
  int handled = 0;
  for (const auto& work_id : expired) {
    MPLI_RETURN_IF_ERROR(pool_.transact([&](pqxx::work& tx) -> Status {
      auto unlocked = OrderStore::find_work(tx, work_id, false);
      if (!unlocked) return Status::ok();
      auto order = OrderStore::find(tx, unlocked->order_id, true);
      auto work = OrderStore::find_work(tx, work_id, true);
      if (!order || !work || work->state != "pending") return Status::ok();
      auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
      if (work->deadline_unix_ms > now_ms) return Status::ok();  // progress extended it
      ++handled;
      return conclude(tx, *order, *work, false, true, nullptr,
                      "attempt " + std::to_string(work->attempt) + " passed its deadline");
    }));
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

}  // namespace mpli::delivery
