// The migration state machine (portability.proto, docs/migrations.md): the forward path, the
// rollback branch and the terminal states. Pure decisions, no I/O.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "libs/core/status.h"

namespace mpli::portability::state {

inline constexpr const char* kPlanned = "planned";
inline constexpr const char* kProvisioningTarget = "provisioning_target";
inline constexpr const char* kExporting = "exporting";
inline constexpr const char* kTransferring = "transferring";
inline constexpr const char* kImporting = "importing";
inline constexpr const char* kVerifying = "verifying";
inline constexpr const char* kCuttingOver = "cutting_over";
inline constexpr const char* kDecommissioningSource = "decommissioning_source";
inline constexpr const char* kCompleted = "completed";
inline constexpr const char* kRollingBack = "rolling_back";
inline constexpr const char* kRolledBack = "rolled_back";
inline constexpr const char* kFailed = "failed";

bool is_known(std::string_view state);
bool is_terminal(std::string_view state);
// Before cutting_over: a failure or a cancel still rolls back (the source is untouched).
bool can_roll_back(std::string_view state);
// The forward path's next state ("" after completed or off the path).
std::string next_forward(std::string_view state);
bool allowed(std::string_view from, std::string_view to);
// INVALID_STATE (CONFLICT) unless from -> to is allowed.
Status check_transition(std::string_view from, std::string_view to);

}  // namespace mpli::portability::state
