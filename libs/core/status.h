// Status and Result<T>: expected failures (bad input, a dependency that is down) as values.
// Exceptions stay inside a component; what crosses a boundary is a Status.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace mpli {

// Codes mirror the ones a caller can act on; they map onto HTTP statuses at the gateway
// and travel in bus error replies (mpli.common.v1.Error.code) by name.
enum class StatusCode {
  kOk,
  kInvalidArgument,     // the caller's input is wrong; retrying will not help
  kNotFound,
  kAlreadyExists,
  kFailedPrecondition,  // valid input, wrong state (an invalid state transition)
  kDeadlineExceeded,
  kUnavailable,         // a dependency is down; retry later
  kPermissionDenied,
  kUnauthenticated,
  kResourceExhausted,
  kInternal,
};

std::string_view status_code_name(StatusCode code);
std::optional<StatusCode> status_code_from_name(std::string_view name);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}
  // `details`: machine-readable specifics a caller can act on (field, line, column, constraint).
  Status(StatusCode code, std::string message, std::map<std::string, std::string> details)
      : code_(code), message_(std::move(message)), details_(std::move(details)) {}

  static Status ok() { return Status(); }

  bool is_ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  const std::map<std::string, std::string>& details() const { return details_; }
  // "<code name>: <message>", for logs and command-line errors.
  std::string to_string() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  std::map<std::string, std::string> details_;
};

inline Status invalid_argument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
inline Status not_found(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
inline Status internal_error(std::string m) { return {StatusCode::kInternal, std::move(m)}; }
inline Status deadline_exceeded(std::string m) {
  return {StatusCode::kDeadlineExceeded, std::move(m)};
}
inline Status failed_precondition(std::string m) {
  return {StatusCode::kFailedPrecondition, std::move(m)};
}

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : value_(std::move(status)) {}  // NOLINT: implicit by design

  bool is_ok() const { return std::holds_alternative<T>(value_); }
  explicit operator bool() const { return is_ok(); }

  const Status& status() const {
    static const Status kOk;
    return is_ok() ? kOk : std::get<Status>(value_);
  }
  T& value() & { return std::get<T>(value_); }
  const T& value() const& { return std::get<T>(value_); }
  T&& value() && { return std::get<T>(std::move(value_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> value_;
};

}  // namespace mpli

// Returns early from the enclosing function when `expr` (a Status) is not ok.
#define MPLI_RETURN_IF_ERROR(expr)              \
  do {                                          \
    ::mpli::Status mpli_status_ = (expr);       \
    if (!mpli_status_.is_ok()) return mpli_status_; \
  } while (false)
