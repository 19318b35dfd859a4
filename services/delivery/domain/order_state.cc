#include "services/delivery/domain/order_state.h"

#include <array>

namespace mpli::delivery {

Status delivery_error(StatusCode code, std::string_view reason, std::string message,
                      std::map<std::string, std::string> details) {
  details["reason"] = std::string(reason);
  details["domain"] = kErrorDomain;
  return Status(code, std::move(message), std::move(details));
}

namespace {

constexpr std::array<std::string_view, 9> kStates = {
    state::kRequested, state::kAccepted,  state::kProvisioning,
    state::kActive,    state::kModifying, state::kDeprovisioning,
    state::kDeleted,   state::kRejected,  state::kFailed};

Status invalid_state(std::string_view request, std::string_view current) {
  return delivery_error(
      StatusCode::kConflict, "INVALID_STATE",
      std::string(request) + " does not fit an order in state " + std::string(current),
      {{"state", std::string(current)}});
}

}  // namespace

bool is_known_state(std::string_view s) {
  for (auto known : kStates) {
    if (known == s) return true;
  }
  return false;
}

bool is_terminal(std::string_view s) {
  return s == state::kDeleted || s == state::kRejected || s == state::kFailed;
}

Status check_modify(std::string_view current) {
  if (current == state::kActive) return Status::ok();
  return invalid_state("modify", current);
}

Result<DeleteAction> check_delete(std::string_view current) {
  if (current == state::kActive) return DeleteAction::kDeprovision;
  if (current == state::kRequested || current == state::kAccepted ||
      current == state::kProvisioning || current == state::kModifying) {
    return DeleteAction::kMarkRequested;
  }
  if (current == state::kDeprovisioning || current == state::kDeleted) {
    return DeleteAction::kAlreadyDeleting;
  }
  // rejected and failed hold nothing to delete (a failed order's cleanup runs by itself).
  return invalid_state("delete", current);
}

Status check_accept(std::string_view current) {
  if (current == state::kRequested) return Status::ok();
  return invalid_state("accept", current);
}

OutcomeDecision decide_outcome(const OrderFacts& order, const WorkFacts& work, WorkEnd end,
                               bool retryable, const std::string& message) {
  OutcomeDecision decision;
  const std::string said = message.empty() ? "" : ": " + message;
  if (end == WorkEnd::kFailed && retryable && work.attempt < work.max_attempts) {
    decision.item = OutcomeDecision::Item::kRetry;
    decision.reason = "attempt " + std::to_string(work.attempt) + " failed" + said;
    return decision;
  }
  const bool cleanup = work.purpose == "cleanup";
  if (end == WorkEnd::kSucceeded) {
    decision.item = OutcomeDecision::Item::kSucceeded;
    if (cleanup) {
      decision.reason = "cleanup deprovisioned the partial resource";
      return decision;
    }
    if (work.operation == "provision" || work.operation == "modify") {
      decision.take_outputs = true;
      decision.take_parameters = work.operation == "modify";
      if (order.deletion_requested) {
        decision.to_state = state::kDeprovisioning;
        decision.reason = work.operation + " succeeded; deletion was requested meanwhile";
        decision.next_operation = "deprovision";
      } else {
        decision.to_state = state::kActive;
        decision.reason = "worker: " + work.operation + " succeeded" + said;
      }
      return decision;
    }
    if (work.operation == "deprovision") {
      decision.to_state = state::kDeleted;
      decision.reason = "worker: deprovision succeeded" + said;
      return decision;
    }
    decision.reason = "worker: " + work.operation + " succeeded" + said;
    return decision;
  }

  // The last attempt failed, or a permanent failure.
  decision.item = OutcomeDecision::Item::kFailed;
  const std::string why = "worker: " + work.operation + " failed" + said;
  if (cleanup) {
    decision.reason = why;
    return decision;
  }
  if (work.operation == "provision") {
    // Something may have been created before the failure: deprovision it so no resource is
    // left behind that nobody is billed for.
    decision.to_state = state::kFailed;
    decision.reason = why;
    decision.next_operation = "deprovision";
    decision.next_purpose = "cleanup";
    return decision;
  }
  if (work.operation == "modify") {
    // The resource still exists as it was: back to active, the reason kept in the history.
    if (order.deletion_requested) {
      decision.to_state = state::kDeprovisioning;
      decision.reason = why + "; deletion was requested meanwhile";
      decision.next_operation = "deprovision";
    } else {
      decision.to_state = state::kActive;
      decision.reason = why;
    }
    return decision;
  }
  if (work.operation == "deprovision") {
    decision.to_state = state::kFailed;
    decision.reason = why;
    return decision;
  }
  decision.reason = why;
  return decision;
}

}  // namespace mpli::delivery
