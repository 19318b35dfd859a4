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
#include "services/delivery/domain/retry.h"
#include "services/delivery/secret_box.h"
#include "services/delivery/store/order_store.h"

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
  Status reject(const std::string& order_id, const std::vector<std::string>& reasons);
  Result<v1::Order> with_history(const OrderRow& row);
  // Applies the end of an attempt to a locked order and work item.
  Status conclude(pqxx::work& tx, OrderRow& order, const WorkRow& work, bool succeeded,
                  bool retryable, const v1::WorkUpdate* update, const std::string& message);
  // A new work item for `operation` on the order (NOTIFY on commit wakes the relay).
  std::string add_work(pqxx::work& tx, const OrderRow& order, const std::string& operation,
                       const std::string& purpose,
                       const google::protobuf::Map<std::string, std::string>& parameters);
  void transition(pqxx::work& tx, OrderRow& order, const std::string& to, const std::string& reason,
                  const std::string& work_id);

  db::Pool& pool_;
  bus::Connection& bus_;
  SecretBox secrets_;
  OrderServiceOptions options_;
  std::function<double()> jitter_;
};

}  // namespace mpli::delivery
