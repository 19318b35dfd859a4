// Status and Result<T>: expected failures (bad input, a dependency that is down) as values.
// Exceptions stay inside a component; what crosses a boundary is a Status.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace mpli {

// Codes mirror the ones a caller can act on; they map onto HTTP statuses at the gateway
// and travel in bus error replies (mpli.common.v1.Error.code).
enum class StatusCode {
  kOk,
  kInvalidArgument,     // the caller's input is wrong; retrying will not help (400)
  kNotFound,            // (404)
  kAlreadyExists,       // the thing exists (409)
  kFailedPrecondition,  // valid input, wrong state (an invalid state transition) (409)
  kDeadlineExceeded,    // no answer in time (504)
  kUnavailable,         // a dependency is down; retry later (503)
  kPermissionDenied,    // (403)
  kUnauthenticated,     // (401)
  kResourceExhausted,   // a quota of the caller's is used up (429)
  kInternal,            // a bug (500)
  kTooLarge,            // the caller's input exceeds a documented limit (413)
  kBusy,      // the server is at capacity (pool exhausted, queue full): retry (503 + Retry-After)
  kConflict,  // a concurrent change or an ownership clash (409)
  kAborted,   // the operation was abandoned part-way and changed nothing (409)
};

std::string_view status_code_name(StatusCode code);
std::optional<StatusCode> status_code_from_name(std::string_view name);

// One broken constraint (a SHACL result, or a field rule): what, where, and why.
struct Violation {
  std::string focus_node;
  std::string path;
  std::string constraint;  // e.g. sh:MinCountConstraintComponent
  std::string value;
  std::string message;
  std::string severity = "Violation";
  // Where the focus node was written in the document checked (1-based; 0 when unknown), and
  // the provider or offering it belongs to (its IRI), so a person finds what to fix.
  unsigned line = 0;
  unsigned column = 0;
  std::string owner;
  bool operator==(const Violation& other) const;
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}
  // `details`: machine-readable specifics a caller can act on. The keys "reason" (a value of the
  // producing service's ErrorReason enum), "field", "line" and "column" travel as typed fields
  // of mpli.common.v1.Error; other keys travel as they are.
  Status(StatusCode code, std::string message, std::map<std::string, std::string> details)
      : code_(code), message_(std::move(message)), details_(std::move(details)) {}

  static Status ok() { return Status(); }

  bool is_ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  const std::map<std::string, std::string>& details() const { return details_; }
  // The detail `key`, or "" when absent.
  std::string detail(const std::string& key) const;
  const std::vector<Violation>& violations() const { return violations_; }
  // For kBusy and kUnavailable: when a retry makes sense (0: not said).
  std::chrono::milliseconds retry_after() const { return retry_after_; }

  Status& with_detail(const std::string& key, std::string value) &;
  Status&& with_detail(const std::string& key, std::string value) &&;
  Status& with_violations(std::vector<Violation> violations) &;
  Status&& with_violations(std::vector<Violation> violations) &&;
  Status& with_retry_after(std::chrono::milliseconds after) &;
  Status&& with_retry_after(std::chrono::milliseconds after) &&;

  // "<code name>: <message>", for logs and command-line errors.
  std::string to_string() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  std::map<std::string, std::string> details_;
  std::vector<Violation> violations_;
  std::chrono::milliseconds retry_after_{0};
};

inline Status invalid_argument(std::string m) {
  return {StatusCode::kInvalidArgument, std::move(m)};
}
inline Status not_found(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
inline Status internal_error(std::string m) { return {StatusCode::kInternal, std::move(m)}; }
inline Status deadline_exceeded(std::string m) {
  return {StatusCode::kDeadlineExceeded, std::move(m)};
}
inline Status failed_precondition(std::string m) {
  return {StatusCode::kFailedPrecondition, std::move(m)};
}
inline Status too_large(std::string m) { return {StatusCode::kTooLarge, std::move(m)}; }
inline Status conflict(std::string m) { return {StatusCode::kConflict, std::move(m)}; }
inline Status aborted(std::string m) { return {StatusCode::kAborted, std::move(m)}; }
inline Status busy(std::string m, std::chrono::milliseconds retry_after) {
  return Status(StatusCode::kBusy, std::move(m)).with_retry_after(retry_after);
}
// A field rule broken by the caller: kInvalidArgument naming the field.
inline Status invalid_field(const std::string& field, const std::string& message) {
  return Status(StatusCode::kInvalidArgument, field + ": " + message, {{"field", field}});
}

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}         // NOLINT: implicit by design
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

namespace detail {
inline Status status_of(const Status& s) { return s; }
template <typename T>
Status status_of(const Result<T>& r) {
  return r.status();
}
}  // namespace detail

}  // namespace mpli

#define MPLI_CONCAT_INNER_(a, b) a##b
#define MPLI_CONCAT_(a, b) MPLI_CONCAT_INNER_(a, b)

// Returns early from the enclosing function when `expr` (a Status or a Result) is not ok.
// The checked value's name carries the line, so nested uses do not shadow each other.
#define MPLI_RETURN_IF_ERROR(expr) \
  MPLI_RETURN_IF_ERROR_IMPL_(MPLI_CONCAT_(mpli_checked_, __LINE__), expr)
#define MPLI_RETURN_IF_ERROR_IMPL_(checked, expr)                    \
  do {                                                               \
    auto&& checked = (expr);                                         \
    if (!checked.is_ok()) return ::mpli::detail::status_of(checked); \
  } while (false)

// `MPLI_ASSIGN_OR_RETURN(auto x, make_x());`: declares x from a Result's value, or returns its
// Status from the enclosing function.
#define MPLI_ASSIGN_OR_RETURN(lhs, expr) \
  MPLI_ASSIGN_OR_RETURN_IMPL_(MPLI_CONCAT_(mpli_result_, __LINE__), lhs, expr)
#define MPLI_ASSIGN_OR_RETURN_IMPL_(result, lhs, expr) \
  auto result = (expr);                                \
  if (!result.is_ok()) return result.status();         \
  lhs = std::move(result).value()
