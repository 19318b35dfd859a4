// The order state machine: which request fits which state, and what each work outcome does to
// an order. Pure: the store persists what these functions decide.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "libs/core/status.h"

namespace mpli::delivery {

inline constexpr const char* kErrorDomain = "delivery";

// A Status carrying delivery's ErrorReason (details "reason", domain "delivery").
Status delivery_error(StatusCode code, std::string_view reason, std::string message,
                      std::map<std::string, std::string> details = {});

namespace state {
inline constexpr const char* kRequested = "requested";
inline constexpr const char* kAccepted = "accepted";
inline constexpr const char* kProvisioning = "provisioning";
inline constexpr const char* kActive = "active";
inline constexpr const char* kModifying = "modifying";
inline constexpr const char* kDeprovisioning = "deprovisioning";
inline constexpr const char* kDeleted = "deleted";
inline constexpr const char* kRejected = "rejected";
inline constexpr const char* kFailed = "failed";
}  // namespace state

bool is_known_state(std::string_view state);
bool is_terminal(std::string_view state);

// ---- Requests ------------------------------------------------------------------------------

// What a delete request does to an order in `state`.
enum class DeleteAction {
  kDeprovision,      // active -> deprovisioning, with a deprovision work item
  kMarkRequested,    // work in flight: deletion_requested, run when it ends
  kAlreadyDeleting,  // deprovisioning or deleted already: answer the order as it is
};

// modify: only an active order (CONFLICT INVALID_STATE naming the state otherwise).
Status check_modify(std::string_view state);
Result<DeleteAction> check_delete(std::string_view state);
// The re-check's verdict on a requested order: requested -> accepted, or -> rejected.
Status check_accept(std::string_view state);

// ---- Work outcomes ---------------------------------------------------------------------------

struct WorkFacts {
  std::string operation;  // "provision", "modify", "deprovision"
  std::string purpose;    // "order" or "cleanup"
  int attempt = 1;
  int max_attempts = 5;
};

enum class WorkEnd { kSucceeded, kFailed };

struct OrderFacts {
  std::string state;
  bool deletion_requested = false;
};

// What to do with the work item and its order after an attempt ended.
struct OutcomeDecision {
  enum class Item { kSucceeded, kFailed, kRetry } item = Item::kSucceeded;
  std::optional<std::string> to_state;  // the order's next state, when it changes
  std::string reason;                   // the transition's reason
  bool take_outputs = false;            // merge the update's outputs and secrets into the order
  bool take_parameters = false;         // a modify succeeded: its parameters become the order's
  // A further work item to create (deprovision after a pending delete, or the cleanup).
  std::optional<std::string> next_operation;
  std::string next_purpose = "order";
};

// `end` of an attempt of `work` for an order in `order`; `retryable` for failures (a deadline
// that passed is a retryable failure). A failure with attempts left is a retry.
OutcomeDecision decide_outcome(const OrderFacts& order, const WorkFacts& work, WorkEnd end,
                               bool retryable, const std::string& message);

}  // namespace mpli::delivery
