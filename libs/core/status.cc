#include "libs/core/status.h"

#include <array>

namespace mpli {
namespace {
struct CodeName {
  StatusCode code;
  std::string_view name;
};
constexpr std::array<CodeName, 15> kCodeNames = {{
    {StatusCode::kOk, "ok"},
    {StatusCode::kInvalidArgument, "invalid_argument"},
    {StatusCode::kNotFound, "not_found"},
    {StatusCode::kAlreadyExists, "already_exists"},
    {StatusCode::kFailedPrecondition, "failed_precondition"},
    {StatusCode::kDeadlineExceeded, "deadline_exceeded"},
    {StatusCode::kUnavailable, "unavailable"},
    {StatusCode::kPermissionDenied, "permission_denied"},
    {StatusCode::kUnauthenticated, "unauthenticated"},
    {StatusCode::kResourceExhausted, "resource_exhausted"},
    {StatusCode::kInternal, "internal"},
    {StatusCode::kTooLarge, "too_large"},
    {StatusCode::kBusy, "busy"},
    {StatusCode::kConflict, "conflict"},
    {StatusCode::kAborted, "aborted"},
}};
}  // namespace

std::string_view status_code_name(StatusCode code) {
  for (const auto& entry : kCodeNames) {
    if (entry.code == code) return entry.name;
  }
  return "internal";
}

std::optional<StatusCode> status_code_from_name(std::string_view name) {
  for (const auto& entry : kCodeNames) {
    if (entry.name == name) return entry.code;
  }
  return std::nullopt;
}

bool Violation::operator==(const Violation& o) const {
  return focus_node == o.focus_node && path == o.path && constraint == o.constraint &&
         value == o.value && message == o.message && severity == o.severity && line == o.line &&
         column == o.column && owner == o.owner;
}

std::string Status::detail(const std::string& key) const {
  auto it = details_.find(key);
  return it == details_.end() ? std::string() : it->second;
}

Status& Status::with_detail(const std::string& key, std::string value) & {
  details_[key] = std::move(value);
  return *this;
}
Status&& Status::with_detail(const std::string& key, std::string value) && {
  details_[key] = std::move(value);
  return std::move(*this);
}
Status& Status::with_violations(std::vector<Violation> violations) & {
  violations_ = std::move(violations);
  return *this;
}
Status&& Status::with_violations(std::vector<Violation> violations) && {
  violations_ = std::move(violations);
  return std::move(*this);
}
Status& Status::with_retry_after(std::chrono::milliseconds after) & {
  retry_after_ = after;
  return *this;
}
Status&& Status::with_retry_after(std::chrono::milliseconds after) && {
  retry_after_ = after;
  return std::move(*this);
}

std::string Status::to_string() const {
  if (is_ok()) return "ok";
  return std::string(status_code_name(code_)) + ": " + message_;
}

}  // namespace mpli
