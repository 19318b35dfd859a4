// Named SQL and row mapping for orders, order_transitions and work_items (schema delivery).
// Every function runs inside the caller's transaction: a use case composes them so that a
// state change, its history row and its OrderChanged event commit together.
#pragma once

#include <chrono>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "mpli/delivery/v1/delivery.pb.h"

namespace mpli::delivery {

// An order as stored: the reply message plus what never leaves the service.
struct OrderRow {
  v1::Order order;                      // without history and decrypted secrets
  std::vector<std::string> operations;  // the binding's supported operations
  std::string secrets_sealed;           // "" = none
  std::string request_hash;
};

struct WorkRow {
  std::string work_id;
  std::string order_id;
  std::string provider_id;
  std::string operation;
  std::string purpose = "order";
  std::string state = "pending";
  int attempt = 1;
  int max_attempts = 5;
  int published_attempt = 0;
  std::string body;  // WorkItem canonical JSON (the template; attempt and deadline from columns)
  int64_t deadline_unix_ms = 0;
  std::string task_id;         // purpose "task": the task it runs
  std::string secrets_sealed;  // WorkItem.secrets sealed under work_id ("" = none)
};

// The channel the work relay listens on; NOTIFY is delivered when the transaction commits.
inline constexpr const char* kWorkChannel = "mpli_delivery_work";

class OrderStore {
 public:
  // Orders.
  static std::optional<OrderRow> find(pqxx::work& tx, const std::string& id, bool lock);
  static std::optional<OrderRow> find_by_key(pqxx::work& tx, const std::string& tenant,
                                             const std::string& key);
  // False when (tenant, idempotency_key) exists already (nothing written).
  static bool insert(pqxx::work& tx, const OrderRow& row);
  // Writes every mutable column of `row`, and sets its updated_at.
  static void save(pqxx::work& tx, OrderRow& row);
  // The history row and the OrderChanged event of one transition (row's version).
  static void record_transition(pqxx::work& tx, const OrderRow& row, const std::string& from,
                                const std::string& to, const std::string& reason,
                                const std::string& work_id);
  // The OrderChanged event alone: a change that is no transition (deletion requested).
  static void record_change(pqxx::work& tx, const OrderRow& row, const std::string& from,
                            const std::string& to, const std::string& reason);
  static std::vector<v1::Transition> history(pqxx::work& tx, const std::string& id);
  // Newest first; `after_id` = "" for the first page.
  static std::vector<OrderRow> list(pqxx::work& tx, const std::string& tenant,
                                    const std::string& state, const std::string& provider_id,
                                    int limit, const std::string& after_id);
  // Orders left in requested or accepted for longer than `age` (crash recovery).
  static std::vector<std::string> stranded(pqxx::work& tx, std::chrono::milliseconds age,
                                           int limit);

  // Work items.
  static void insert_work(pqxx::work& tx, const WorkRow& work, std::chrono::milliseconds deadline);
  static std::optional<WorkRow> find_work(pqxx::work& tx, const std::string& work_id, bool lock);
  static void finish_work(pqxx::work& tx, const std::string& work_id, const std::string& state,
                          const std::string& message);
  // A new attempt: attempt + 1, published after `pause`, its deadline `deadline` after that.
  static void retry_work(pqxx::work& tx, const std::string& work_id,
                         std::chrono::milliseconds pause, std::chrono::milliseconds deadline,
                         const std::string& message);
  static void progress_work(pqxx::work& tx, const std::string& work_id,
                            std::chrono::milliseconds extension, const std::string& message,
                            int percent);
  // Pending attempts due for publishing, locked (SKIP LOCKED: instances share the relay).
  static std::vector<WorkRow> due_for_publishing(pqxx::work& tx, int limit);
  static void mark_published(pqxx::work& tx, const std::string& work_id, int attempt);
  // Pending items whose attempt's deadline has passed.
  static std::vector<std::string> past_deadline(pqxx::work& tx, int limit);

  // Placements (the bill's split at a move): closes where the order was (first recording it,
  // from the order's creation, when it never moved) and opens `target` from now.
  static void record_move(pqxx::work& tx, const v1::Order& source, const v1::Order& target);
};

}  // namespace mpli::delivery
