#include "services/gateway/domain/problem.h"

#include <cstdlib>

namespace mpli::gateway {
namespace {

struct Mapping {
  int http_status;
  const char* title;
};

Mapping mapping_for(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return {200, "OK"};
    case StatusCode::kInvalidArgument: return {400, "Bad Request"};
    case StatusCode::kNotFound: return {404, "Not Found"};
    case StatusCode::kAlreadyExists: return {409, "Conflict"};
    case StatusCode::kFailedPrecondition: return {409, "Conflict"};
    case StatusCode::kPermissionDenied: return {403, "Forbidden"};
    case StatusCode::kUnauthenticated: return {401, "Unauthorized"};
    case StatusCode::kResourceExhausted: return {429, "Too Many Requests"};
    case StatusCode::kTooLarge: return {413, "Content Too Large"};
    case StatusCode::kBusy: return {503, "Service Unavailable"};
    case StatusCode::kConflict: return {409, "Conflict"};
    case StatusCode::kAborted: return {409, "Conflict"};
    case StatusCode::kDeadlineExceeded: return {504, "Gateway Timeout"};
    case StatusCode::kUnavailable: return {503, "Service Unavailable"};
    case StatusCode::kInternal: return {500, "Internal Server Error"};
  }
  return {500, "Internal Server Error"};
}

bool all_digits(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

Problem problem_for(const Status& status) {
  Mapping m = mapping_for(status.code());
  const auto& details = status.details();
  auto detail_of = [&](const char* key) {
    auto it = details.find(key);
    return it == details.end() ? std::string() : it->second;
  };
  // A fetch that failed upstream is the provider's fault, not the hub's: 502.
  std::string reason = detail_of("reason");
  if (status.code() == StatusCode::kUnavailable && reason == "fetch") m = {502, "Bad Gateway"};
  if (status.code() == StatusCode::kDeadlineExceeded && reason == "timeout") m = {504, "Gateway Timeout"};
  // A manifest that parses but breaks the shapes (or names no provider) is understood and
  // refused: 422.
  std::string kind = detail_of("problem");
  if (kind == "shape_violation" || kind == "content") m = {422, "Unprocessable Content"};

  Problem problem;
  problem.http_status = m.http_status;
  problem.body = {{"type", "about:blank"},
                  {"title", m.title},
                  {"status", m.http_status},
                  {"detail", status.message()},
                  {"code", std::string(status_code_name(status.code()))}};
  for (const auto& [key, value] : details) {
    if ((key == "line" || key == "column") && all_digits(value)) {
      problem.body[key] = std::atoi(value.c_str());
    } else {
      problem.body[key] = value;
    }
  }
  if (!status.violations().empty()) {
    nlohmann::json violations = nlohmann::json::array();
    for (const auto& v : status.violations()) {
      violations.push_back({{"focus_node", v.focus_node}, {"path", v.path},
                            {"constraint", v.constraint}, {"value", v.value},
                            {"message", v.message}, {"severity", v.severity}});
    }
    problem.body["violations"] = violations;
  }
  if (status.retry_after().count() > 0) {
    // Whole seconds, rounded up: Retry-After has no finer unit.
    problem.retry_after_seconds = static_cast<int>((status.retry_after().count() + 999) / 1000);
  }
  return problem;
}

}  // namespace mpli::gateway
