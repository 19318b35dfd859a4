// The delivery use cases: orders (create, get, list, modify, delete) and the work flow (updates
// from workers, deadlines, crash recovery). Decisions come from domain/, rows from store/; one
// transaction per transition.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "libs/bus/connection.h"
#include "libs/db/pool.h"
#include "mpli/delivery/v1/delivery.pb.h"
#include "services/delivery/domain/binding.h"
#include "services/delivery/domain/retry.h"
#include "services/delivery/secret_box.h"
#include "services/delivery/store/order_store.h"
#include "services/delivery/store/task_store.h"

namespace mpli::delivery {

struct OrderServiceOptions {
  RetryPolicy retry;
  std::chrono::milliseconds upstream_timeout{std::chrono::seconds(10)};
};

class OrderService {
 public:
  // `jitter`: a number in [0, 1) per retry (tests pass a fixed one).
  OrderService(db::Pool& pool, bus::Connection& bus, SecretBox secrets, OrderServiceOptions options,
               std::function<double()> jitter);

  Result<v1::CreateOrderReply> create(const v1::CreateOrderRequest& request);
  Result<v1::Order> get(const v1::GetOrderRequest& request);
  Result<v1::ListOrdersReply> list(const v1::ListOrdersRequest& request);
  Result<v1::Order> modify(const v1::ModifyOrderRequest& request);
  Result<v1::Order> remove(const v1::DeleteOrderRequest& request);

  // Tasks (portability's work items, docs/migrations.md) and the cut-over. Only portability
  // calls these; the bus permissions are the guard (the caller is not known here).
  Result<v1::SubmitTaskReply> submit_task(const v1::SubmitTaskRequest& request);
  Result<v1::Task> get_task(const v1::GetTaskRequest& request);
  Result<v1::Order> move(const v1::MoveOrderRequest& request);

  // One WorkUpdate read from mpli.work.v1.result.<subject_provider>. Ok when applied or ignored
  // (stale, duplicate, foreign); an error only for a failure worth redelivering (database).
  Status apply_update(const std::string& subject_provider, const v1::WorkUpdate& update);
  // Pending work whose attempt's deadline passed: a new attempt, or the failure outcome.
  Result<int> expire_deadlines();
  // Orders a crash left in requested or accepted for longer than `age`: accepted or rejected now.
  Result<int> recover_stranded(std::chrono::milliseconds age);

 private:
  // The re-check (or catalogue look-up) and the decision for a requested order.
  Result<v1::Order> accept(const std::string& order_id);
  Result<v1::Order> accept(const OrderRow& requested);
  // What the re-check and the catalogue say of an order, asked before any row is written:
  // accept it (with what the order takes from the offering), refuse it for a reason the caller
  // caused (`status`), reject it because its answer no longer holds (`reasons`), or nothing yet
  // because a service it needs is unavailable (`status`; the order waits, requested).
  struct Verdict {
    enum class Kind { kAccept, kRefuse, kReject, kUnavailable };
    Kind kind = Kind::kUnavailable;
    Status status;
    std::vector<std::string> reasons;
    // kAccept: the order's offering, provider and quantity, and the offering's binding.
    std::string offering_id;
    std::string provider_id;
    std::string offering_name;
    int quantity = 1;
    std::string reason;
    DeliveryBinding binding;
  };
  Verdict judge(const v1::Order& order);
  // Applies a verdict to a requested order already stored.
  Result<v1::Order> settle(const OrderRow& requested, const Verdict& verdict);
  // kAccept on the locked, requested order: accepted, the provision work item, provisioning.
  void take_accepted(pqxx::work& tx, OrderRow& order, const Verdict& verdict);
  Status reject(const std::string& order_id, const std::vector<std::string>& reasons);
  Result<v1::Order> with_history(const OrderRow& row);
  // An offering from discovery with its delivery binding: OFFERING_NOT_FOUND,
  // NO_DELIVERY_BINDING, or UPSTREAM_UNAVAILABLE (retry).
  struct CatalogueOffering {
    std::string provider_id;
    std::string name;
    DeliveryBinding binding;
  };
  Result<CatalogueOffering> look_up_offering(const std::string& offering_id);
  // The WorkItem.secrets of a task: its sources' secrets, prefixed; SECRET_SOURCE_NOT_FOUND.
  Result<std::map<std::string, std::string>> source_secrets(pqxx::work& tx,
                                                            const v1::SubmitTaskRequest& request,
                                                            const std::string& tenant);
  // The end of an attempt of a task's work item (locked task and work item).
  Status conclude_task(pqxx::work& tx, TaskRow& task, const WorkRow& work, bool succeeded,
                       bool retryable, const v1::WorkUpdate* update, const std::string& message);
  // apply_update and expire_deadlines for either kind of work item: locks the order or the
  // task first, then the item, and concludes the attempt (succeeded, failed or expired).
  enum class AttemptEnd { kSucceeded, kFailed, kExpired };
  // `concluded`: the attempt did end here (not stale, settled already, or extended).
  Status end_attempt(pqxx::work& tx, const WorkRow& unlocked, AttemptEnd end,
                     const v1::WorkUpdate* update, bool& concluded);
  // Applies the end of an attempt to a locked order and work item.
  Status conclude(pqxx::work& tx, OrderRow& order, const WorkRow& work, bool succeeded,
                  bool retryable, const v1::WorkUpdate* update, const std::string& message);
  // A new work item for `operation` on the order (NOTIFY on commit wakes the relay).
  std::string add_work(pqxx::work& tx, const OrderRow& order, const std::string& operation,
                       const std::string& purpose,
                       const google::protobuf::Map<std::string, std::string>& parameters);
  // Stores `item` (its work id set) as a pending work item: what every work item goes through.
  void enqueue_work(pqxx::work& tx, const v1::WorkItem& item, const std::string& purpose,
                    int max_attempts, std::chrono::milliseconds deadline,
                    const std::string& task_id, const std::string& secrets_sealed);
  void transition(pqxx::work& tx, OrderRow& order, const std::string& to, const std::string& reason,
                  const std::string& work_id);

  db::Pool& pool_;
  bus::Connection& bus_;
  SecretBox secrets_;
  OrderServiceOptions options_;
  std::function<double()> jitter_;
};

}  // namespace mpli::delivery
