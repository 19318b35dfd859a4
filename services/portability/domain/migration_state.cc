#include "services/portability/domain/migration_state.h"

#include <algorithm>
#include <array>

#include "services/portability/domain/errors.h"

namespace mpli::portability::state {

namespace {

constexpr std::array<std::string_view, 9> kForward = {
    kPlanned,     kProvisioningTarget,    kExporting, kTransferring, kImporting, kVerifying,
    kCuttingOver, kDecommissioningSource, kCompleted};

int forward_index(std::string_view state) {
  auto it = std::find(kForward.begin(), kForward.end(), state);
  return it == kForward.end() ? -1 : static_cast<int>(it - kForward.begin());
}

}  // namespace

bool is_known(std::string_view state) {
  return forward_index(state) >= 0 || state == kRollingBack || state == kRolledBack ||
         state == kFailed;
}

bool is_terminal(std::string_view state) {
  return state == kCompleted || state == kRolledBack || state == kFailed;
}

bool can_roll_back(std::string_view state) {
  int index = forward_index(state);
  return index >= 0 && index < forward_index(kCuttingOver);
}

std::string next_forward(std::string_view state) {
  int index = forward_index(state);
  if (index < 0 || index + 1 >= static_cast<int>(kForward.size())) return "";
  return std::string(kForward[index + 1]);
}

bool allowed(std::string_view from, std::string_view to) {
  if (is_terminal(from)) return false;
  if (next_forward(from) == to) return true;
  if (to == kRollingBack) return can_roll_back(from);
  if (from == kRollingBack) return to == kRolledBack || to == kFailed;
  // A step after cut-over that cannot finish (the source's decommissioning) needs an operator.
  if (to == kFailed) return from == kCuttingOver || from == kDecommissioningSource;
  return false;
}

Status check_transition(std::string_view from, std::string_view to) {
  if (allowed(from, to)) return Status::ok();
  return portability_error(
      StatusCode::kConflict, "INVALID_STATE",
      "a migration in state " + std::string(from) + " cannot go to " + std::string(to),
      {{"state", std::string(from)}});
}

}  // namespace mpli::portability::state
