#include "services/gateway/domain/problem.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <optional>

#include "libs/core/violation_json.h"
#include "mpli/delivery/v1/delivery.pb.h"
#include "mpli/discovery/v1/discovery.pb.h"
#include "mpli/portability/v1/portability.pb.h"
#include "mpli/resolver/v1/resolver.pb.h"
#include "mpli/trust/v1/trust.pb.h"
#include "services/gateway/http/response.h"

namespace mpli::gateway {
namespace {

namespace dv1 = discovery::v1;
namespace tv1 = trust::v1;
namespace rv1 = resolver::v1;
namespace lv1 = delivery::v1;
namespace pv1 = portability::v1;

int http_status_for(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kInvalidArgument:
      return 400;
    case StatusCode::kUnauthenticated:
      return 401;
    case StatusCode::kPermissionDenied:
      return 403;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kAlreadyExists:
    case StatusCode::kFailedPrecondition:
    case StatusCode::kConflict:
    case StatusCode::kAborted:
      return 409;
    case StatusCode::kTooLarge:
      return 413;
    case StatusCode::kResourceExhausted:
      return 429;
    case StatusCode::kInternal:
      return 500;
    case StatusCode::kBusy:
    case StatusCode::kUnavailable:
      return 503;
    case StatusCode::kDeadlineExceeded:
      return 504;
  }
  return 500;
}

// The reasons whose HTTP status differs from what their StatusCode alone would give.
std::optional<int> http_status_for(dv1::ErrorReason reason) {
  switch (reason) {
    // Understood and refused: the manifest parses but breaks the shapes or names nobody.
    case dv1::MANIFEST_SHAPE:
    case dv1::MANIFEST_CONTENT:
    case dv1::KIND_INVALID:
      return 422;
    case dv1::MANIFEST_SYNTAX:
    case dv1::KIND_SYNTAX:
      return 400;
    case dv1::MANIFEST_TOO_LARGE:
      return 413;
    // The provider's server failed, not the hub: a gateway error, not a 503 of ours.
    case dv1::FETCH_FAILED:
      return 502;
    case dv1::FETCH_TIMEOUT:
      return 504;
    // The caller may register only its own provider, and this manifest names another.
    case dv1::PROVIDER_MISMATCH:
      return 403;
    default:
      return std::nullopt;
  }
}

std::optional<int> http_status_for(tv1::ErrorReason reason) {
  switch (reason) {
    // The credential was read and judged, and the judgement is no: not a malformed request.
    case tv1::UNSUPPORTED_ALGORITHM:
    case tv1::BAD_MEDIA_TYPE:
    case tv1::BAD_SIGNATURE:
    case tv1::KEY_NOT_FOUND:
    case tv1::BAD_CERTIFICATE_CHAIN:
    case tv1::UNTRUSTED_ISSUER:
    case tv1::EXPIRED:
    case tv1::NOT_YET_VALID:
    case tv1::REVOKED:
    case tv1::SUBJECT_MISMATCH:
    case tv1::BAD_DISCLOSURE:
    case tv1::BAD_KEY_BINDING:
    case tv1::UNSUPPORTED_FORMAT:
    case tv1::BAD_ANCHORS:
      return 422;
    case tv1::TOO_LARGE:
      return 413;
    // The issuer's server (did:web, status list, credential URL) failed, not the hub.
    case tv1::KEY_UNAVAILABLE:
    case tv1::STATUS_UNAVAILABLE:
    case tv1::FETCH_FAILED:
      return 502;
    // expected_version (or If-Match) is not the current version.
    case tv1::ANCHORS_CHANGED:
      return 412;
    default:
      return std::nullopt;
  }
}

std::optional<int> http_status_for(rv1::ErrorReason reason) {
  switch (reason) {
    case rv1::MANIFEST_SYNTAX:
    case rv1::BAD_REQUEST:
      return 400;
    // Understood and refused: the manifest parses but breaks the consumer manifest shapes, or an
    // inline credential was read and judged, and the judgement is no.
    case rv1::MANIFEST_SHAPE:
    case rv1::CREDENTIAL_REFUSED:
      return 422;
    case rv1::MANIFEST_TOO_LARGE:
      return 413;
    case rv1::RESOLUTION_NOT_FOUND:
    case rv1::ANSWER_NOT_FOUND:
      return 404;
    case rv1::INDEX_NOT_READY:
    case rv1::SHUTTING_DOWN:
      return 503;
    default:
      return std::nullopt;
  }
}

std::optional<int> http_status_for(lv1::ErrorReason reason) {
  switch (reason) {
    // The order in the path.
    case lv1::ORDER_NOT_FOUND:
      return 404;
    // The request does not fit the order's state (named in "state"), or its key was used for
    // another request: the client must look again before retrying.
    case lv1::INVALID_STATE:
    case lv1::IDEMPOTENCY_KEY_REUSED:
      return 409;
    case lv1::BAD_PARAMETERS:
    case lv1::BILL_PERIOD_INVALID:
    case lv1::BAD_REQUEST:
      return 400;
    // What the body refers to (an offering, a resolution's answer) is missing or cannot be
    // delivered: the request was understood and cannot be done. Not 404, which would say that
    // /v1/orders itself is not there.
    case lv1::OFFERING_NOT_FOUND:
    case lv1::RESOLUTION_NOT_FOUND:
    case lv1::NO_DELIVERY_BINDING:
    case lv1::OPERATION_NOT_SUPPORTED:
      return 422;
    case lv1::UPSTREAM_UNAVAILABLE:
      return 503;
    default:
      return std::nullopt;
  }
}

std::optional<int> http_status_for(pv1::ErrorReason reason) {
  switch (reason) {
    // The migration in the path; the order a create names is portability's answer too, but
    // what the body names is 422 (as an order's offering), never a 404 of /v1/migrations.
    case pv1::MIGRATION_NOT_FOUND:
      return 404;
    // Understood and refused: the order cannot move to that target (its state, the resolver's
    // reasons, no common format, no migration path for its kind).
    case pv1::ORDER_NOT_FOUND:
    case pv1::ORDER_NOT_ACTIVE:
    case pv1::TARGET_NOT_FOUND:
    case pv1::SAME_PROVIDER:
    case pv1::TARGET_DOES_NOT_FIT:
    case pv1::FORMATS_INCOMPATIBLE:
    case pv1::NOT_MIGRATABLE:
      return 422;
    // The order is already moving, the key was used for another request, or the migration is
    // past the point where it can be cancelled: look again before retrying.
    case pv1::MIGRATION_IN_PROGRESS:
    case pv1::IDEMPOTENCY_KEY_REUSED:
    case pv1::INVALID_STATE:
      return 409;
    case pv1::BAD_REQUEST:
      return 400;
    case pv1::UPSTREAM_UNAVAILABLE:
      return 503;
    default:
      return std::nullopt;
  }
}

// The Retry-After a reason promises when the service named no delay itself.
std::chrono::milliseconds default_retry_after(const Status& status) {
  if (status.code() == StatusCode::kBusy) return std::chrono::seconds(1);
  if (status.detail("domain") == "resolver") {
    rv1::ErrorReason reason = rv1::ERROR_REASON_UNSPECIFIED;
    if (rv1::ErrorReason_Parse(status.detail("reason"), &reason)) {
      // The catalogue index loads once, at start: seconds, not milliseconds.
      if (reason == rv1::INDEX_NOT_READY) return std::chrono::seconds(5);
      if (reason == rv1::SHUTTING_DOWN) return std::chrono::seconds(1);
    }
  }
  if ((status.detail("domain") == "delivery" || status.detail("domain") == "portability") &&
      status.detail("reason") == "UPSTREAM_UNAVAILABLE") {
    return std::chrono::seconds(1);
  }
  return std::chrono::milliseconds(0);
}

// The HTTP status a service's typed reason asks for, when it differs from its code's. Reason
// names are per service: each is read as the enum of the service that said it.
std::optional<int> http_status_for_reason(const Status& status) {
  const std::string domain = status.detail("domain");
  const std::string name = status.detail("reason");
  if (domain == "discovery") {
    dv1::ErrorReason reason = dv1::ERROR_REASON_UNSPECIFIED;
    if (dv1::ErrorReason_Parse(name, &reason)) return http_status_for(reason);
  } else if (domain == "trust") {
    tv1::ErrorReason reason = tv1::ERROR_REASON_UNSPECIFIED;
    if (tv1::ErrorReason_Parse(name, &reason)) return http_status_for(reason);
  } else if (domain == "resolver") {
    rv1::ErrorReason reason = rv1::ERROR_REASON_UNSPECIFIED;
    if (rv1::ErrorReason_Parse(name, &reason)) return http_status_for(reason);
  } else if (domain == "delivery") {
    lv1::ErrorReason reason = lv1::ERROR_REASON_UNSPECIFIED;
    if (lv1::ErrorReason_Parse(name, &reason)) return http_status_for(reason);
  } else if (domain == "portability") {
    pv1::ErrorReason reason = pv1::ERROR_REASON_UNSPECIFIED;
    if (pv1::ErrorReason_Parse(name, &reason)) return http_status_for(reason);
  }
  return std::nullopt;
}

std::optional<int> as_position(const std::string& text) {
  if (text.empty() || text.size() > 9) return std::nullopt;
  if (!std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  return std::stoi(text);
}

std::string lower_case(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

nlohmann::json problem_body(int http_status, const std::string& detail) {
  return {{"type", "about:blank"},
          {"title", std::string(reason_phrase(http_status))},
          {"status", http_status},
          {"detail", detail}};
}

}  // namespace

Problem problem_for(const Status& status) {
  Problem problem;
  problem.http_status = http_status_for(status.code());
  if (auto by_reason = http_status_for_reason(status)) problem.http_status = *by_reason;
  problem.body = problem_body(problem.http_status, status.message());
  problem.body["code"] = std::string(status_code_name(status.code()));
  for (const auto& [key, value] : status.details()) {
    if (problem.body.contains(key)) continue;  // never overwrite the RFC 9457 members
    if (key == "reason" || key == "trust_reason") {
      problem.body[key] = lower_case(value);
    } else if (key == "line" || key == "column") {
      auto position = as_position(value);
      if (position) problem.body[key] = *position;
    } else {
      problem.body[key] = value;
    }
  }
  if (!status.violations().empty()) {
    nlohmann::json violations = nlohmann::json::array();
    for (const auto& v : status.violations()) violations.push_back(violation_json(v));
    problem.body["violations"] = violations;
  }
  auto retry_after = status.retry_after();
  // Busy, a resolver still loading its index and one stopping always say when to come back.
  if (retry_after.count() <= 0) retry_after = default_retry_after(status);
  if (retry_after.count() > 0) {
    // Whole seconds, rounded up: Retry-After has no finer unit.
    problem.retry_after_seconds = static_cast<int>((retry_after.count() + 999) / 1000);
  }
  return problem;
}

Problem http_problem(int http_status, const std::string& detail) {
  Problem problem;
  problem.http_status = http_status;
  problem.body = problem_body(http_status, detail);
  return problem;
}

}  // namespace mpli::gateway
