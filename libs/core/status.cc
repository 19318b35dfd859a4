#include "libs/core/status.h"

#include <array>

namespace mpli {
namespace {
struct CodeName {
  StatusCode code;
  std::string_view name;
};
constexpr std::array<CodeName, 11> kCodeNames = {{
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

std::string Status::to_string() const {
  if (is_ok()) return "ok";
  return std::string(status_code_name(code_)) + ": " + message_;
}

}  // namespace mpli
