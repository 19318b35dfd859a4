#include "services/delivery/domain/task.h"

#include <algorithm>
#include <array>

#include "services/delivery/domain/order_state.h"
#include "services/delivery/domain/request_hash.h"

namespace mpli::delivery {

namespace {

constexpr std::array<std::string_view, 11> kMigrationOperations = {
    "export",   "import",  "catch_up",  "freeze",      "unfreeze",  "finalize",
    "checksum", "cleanup", "provision", "deprovision", "hash_probe"};

Status bad_request(const std::string& field, const std::string& message) {
  return delivery_error(StatusCode::kInvalidArgument, "BAD_REQUEST", field + ": " + message,
                        {{"field", field}});
}

// An operation becomes a subject token (mpli.work.v1.<provider>.<operation>): no dots,
// wildcards or spaces.
bool is_subject_token(const std::string& text) {
  return !text.empty() && text.size() <= 64 && std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

}  // namespace

bool is_migration_operation(std::string_view operation) {
  return std::find(kMigrationOperations.begin(), kMigrationOperations.end(), operation) !=
         kMigrationOperations.end();
}

Status check_task_operation(const std::vector<std::string>& binding_operations,
                            const std::string& operation, const std::string& offering_id) {
  if (is_migration_operation(operation) ||
      std::find(binding_operations.begin(), binding_operations.end(), operation) !=
          binding_operations.end()) {
    return Status::ok();
  }
  return delivery_error(StatusCode::kFailedPrecondition, "OPERATION_NOT_SUPPORTED",
                        "offering " + offering_id + " does not support " + operation +
                            ", and it is no migration operation",
                        {{"field", "operation"}});
}

Status check_submit_task(const v1::SubmitTaskRequest& request) {
  if (request.id().empty()) return bad_request("id", "required");
  if (request.id().rfind("tsk_", 0) != 0 || request.id().size() > 100) {
    return bad_request("id", "must be \"tsk_\" + a UUIDv7");
  }
  if (request.order_id().empty()) return bad_request("order_id", "required");
  if (request.offering_id().empty()) return bad_request("offering_id", "required");
  if (request.operation().empty()) return bad_request("operation", "required");
  if (!is_subject_token(request.operation())) {
    return bad_request("operation", "lower-case letters, digits, '_' or '-' (a subject token)");
  }
  if (request.max_attempts() < 0 || request.max_attempts() > 100) {
    return bad_request("max_attempts", "between 0 (the default) and 100");
  }
  if (request.deadline_seconds() < 0 || request.deadline_seconds() > 7 * 24 * 3600) {
    return bad_request("deadline_seconds", "between 0 (the default) and 604800 (a week)");
  }
  for (int i = 0; i < request.secrets_size(); ++i) {
    const auto& source = request.secrets(i);
    const std::string field = "secrets[" + std::to_string(i) + "]";
    if (source.from_case() == v1::SecretSource::FROM_NOT_SET ||
        (source.has_order_id() && source.order_id().empty()) ||
        (source.has_task_id() && source.task_id().empty())) {
      return bad_request(field, "an order_id or a task_id is required");
    }
  }
  return Status::ok();
}

std::string task_request_hash(const v1::SubmitTaskRequest& request) {
  return deterministic_hash(request);
}

void add_prefixed(std::map<std::string, std::string>& into,
                  const std::map<std::string, std::string>& secrets, const std::string& prefix) {
  for (const auto& [key, value] : secrets) into[prefix + key] = value;
}

TaskStep decide_task_step(bool succeeded, bool retryable, int attempt, int max_attempts) {
  if (succeeded) return TaskStep::kSucceeded;
  if (retryable && attempt < max_attempts) return TaskStep::kRetry;
  return TaskStep::kFailed;
}

Result<MoveAction> check_move(std::string_view state, const std::string& offering_id,
                              const std::string& target_offering_id) {
  if (offering_id == target_offering_id) return MoveAction::kAlreadyThere;
  if (state != state::kActive) {
    return delivery_error(StatusCode::kConflict, "INVALID_STATE",
                          "move_order does not fit an order in state " + std::string(state),
                          {{"state", std::string(state)}});
  }
  return MoveAction::kMove;
}

std::string move_reason(const std::string& provider_id, const std::string& migration_id) {
  return "moved to " + provider_id + " by migration " + migration_id;
}

void merge_move_parameters(google::protobuf::Map<std::string, std::string>& order,
                           const google::protobuf::Map<std::string, std::string>& target) {
  for (const auto& [key, value] : target) {
    if (!value.empty()) order[key] = value;
  }
}

}  // namespace mpli::delivery
