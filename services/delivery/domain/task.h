// Tasks and moves: which operation a task may run, what a submission must hold, what an attempt's
// end does to a task, how secret sources become a work item's secrets, what a move needs of its
// order. Pure: the service persists what these functions decide.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "libs/core/status.h"
#include "mpli/delivery/v1/delivery.pb.h"

namespace mpli::delivery {

namespace task_state {
inline constexpr const char* kRunning = "running";
inline constexpr const char* kSucceeded = "succeeded";
inline constexpr const char* kFailed = "failed";
}  // namespace task_state

// The worker operations of docs/migrations.md (export, import, catch_up, freeze, unfreeze,
// finalize, checksum, cleanup, provision, deprovision).
bool is_migration_operation(std::string_view operation);

// A task may run what the offering's binding supports, or any migration operation (bindings
// list the order operations; a migration's steps are the worker kind's, docs/migrations.md).
// FAILED_PRECONDITION OPERATION_NOT_SUPPORTED otherwise.
Status check_task_operation(const std::vector<std::string>& binding_operations,
                            const std::string& operation, const std::string& offering_id);

// The request's own checks (no look-up): required fields, the id's form, ranges. INVALID_ARGUMENT
// BAD_REQUEST naming the field.
Status check_submit_task(const v1::SubmitTaskRequest& request);

// sha256 (hex) of the request's deterministic encoding: the same id with another request is
// TASK_ID_REUSED.
std::string task_request_hash(const v1::SubmitTaskRequest& request);

// Adds `secrets` to `into` with each key prefixed.
void add_prefixed(std::map<std::string, std::string>& into,
                  const std::map<std::string, std::string>& secrets, const std::string& prefix);

// What the end of an attempt does to a task's work item: done, failed for good, or another try.
enum class TaskStep { kSucceeded, kFailed, kRetry };
TaskStep decide_task_step(bool succeeded, bool retryable, int attempt, int max_attempts);

// move_order: the order must be active (CONFLICT INVALID_STATE otherwise); a move to where it
// is already changes nothing.
enum class MoveAction { kMove, kAlreadyThere };
Result<MoveAction> check_move(std::string_view state, const std::string& offering_id,
                              const std::string& target_offering_id);

// The move's history reason: "moved to <provider> by migration <id>".
std::string move_reason(const std::string& provider_id, const std::string& migration_id);

// The order's parameters after a move: the target's set, an empty value keeps the order's.
void merge_move_parameters(google::protobuf::Map<std::string, std::string>& order,
                           const google::protobuf::Map<std::string, std::string>& target);

}  // namespace mpli::delivery
