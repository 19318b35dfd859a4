#include "services/gateway/domain/problem.h"

#include <catch2/catch.hpp>

#include "mpli/delivery/v1/delivery.pb.h"
#include "mpli/discovery/v1/discovery.pb.h"
#include "mpli/portability/v1/portability.pb.h"
#include "mpli/resolver/v1/resolver.pb.h"
#include "mpli/trust/v1/trust.pb.h"
#include "services/gateway/domain/offering_query.h"
#include "services/gateway/domain/provider_query.h"
#include "services/gateway/domain/url.h"

using namespace mpli;
using namespace mpli::gateway;
namespace dv1 = mpli::discovery::v1;

namespace {
// A discovery error as it arrives over the bus: the reason is the enum value's name.
Status discovery_error(StatusCode code, dv1::ErrorReason reason,
                       std::map<std::string, std::string> details = {}) {
  details["reason"] = dv1::ErrorReason_Name(reason);
  details["domain"] = "discovery";
  return Status(code, "discovery says no", std::move(details));
}
}  // namespace

TEST_CASE("a manifest syntax error becomes 400 with line and column as numbers") {
  Problem p = problem_for(discovery_error(StatusCode::kInvalidArgument, dv1::MANIFEST_SYNTAX,
                                          {{"line", "3"}, {"column", "25"}}));
  CHECK(p.http_status == 400);
  CHECK(p.body["line"] == 3);
  CHECK(p.body["column"] == 25);
  CHECK(p.body["reason"] == "manifest_syntax");
  CHECK(p.body["code"] == "invalid_argument");
  CHECK(p.body["detail"] == "discovery says no");
  CHECK(p.body["status"] == 400);
  CHECK(p.body["title"] == "Bad Request");
}

TEST_CASE("a shape violation becomes 422 with the violations as a list") {
  Problem p = problem_for(
      discovery_error(StatusCode::kInvalidArgument, dv1::MANIFEST_SHAPE)
          .with_violations(
              {{"<s>", "<p>", "sh:MinCountConstraintComponent", "", "m", "Violation", 0, 0, ""},
               {"_:b1", "<q>", "sh:DatatypeConstraintComponent", "\"x\"", "n", "Violation", 41, 17,
                "https://cloud.example/#vm-s"}}));
  CHECK(p.http_status == 422);
  CHECK(p.body["title"] == "Unprocessable Content");
  CHECK(p.body["reason"] == "manifest_shape");
  REQUIRE(p.body["violations"].is_array());
  CHECK(p.body["violations"][0]["message"] == "m");
  CHECK(p.body["violations"][0]["constraint"] == "sh:MinCountConstraintComponent");
  // A position and an owner are shown only when known: a focus node's line, where it was
  // written, and the offering it belongs to.
  CHECK_FALSE(p.body["violations"][0].contains("line"));
  CHECK_FALSE(p.body["violations"][0].contains("owner"));
  CHECK(p.body["violations"][1]["line"] == 41);
  CHECK(p.body["violations"][1]["column"] == 17);
  CHECK(p.body["violations"][1]["owner"] == "https://cloud.example/#vm-s");
}

TEST_CASE("each discovery reason decides its HTTP status over the status code") {
  // The status codes are deliberately ones that alone would map elsewhere.
  CHECK(problem_for(discovery_error(StatusCode::kInvalidArgument, dv1::MANIFEST_CONTENT))
            .http_status == 422);
  CHECK(problem_for(discovery_error(StatusCode::kInvalidArgument, dv1::MANIFEST_TOO_LARGE))
            .http_status == 413);
  CHECK(problem_for(discovery_error(StatusCode::kUnavailable, dv1::FETCH_FAILED)).http_status ==
        502);
  CHECK(problem_for(discovery_error(StatusCode::kUnavailable, dv1::FETCH_TIMEOUT)).http_status ==
        504);
  CHECK(problem_for(discovery_error(StatusCode::kInternal, dv1::MANIFEST_SYNTAX)).http_status ==
        400);
  Problem timeout = problem_for(discovery_error(StatusCode::kDeadlineExceeded, dv1::FETCH_TIMEOUT));
  CHECK(timeout.body["reason"] == "fetch_timeout");
  CHECK(timeout.body["code"] == "deadline_exceeded");
}

TEST_CASE("other reasons keep the status of their code and still travel in the body") {
  Problem taken = problem_for(discovery_error(StatusCode::kConflict, dv1::PROVIDER_TAKEN));
  CHECK(taken.http_status == 409);
  CHECK(taken.body["reason"] == "provider_taken");
  Problem refused =
      problem_for(discovery_error(StatusCode::kPermissionDenied, dv1::ADDRESS_REFUSED,
                                  {{"field", "manifest_url"}, {"range", "loopback"}}));
  CHECK(refused.http_status == 403);
  CHECK(refused.body["field"] == "manifest_url");
  CHECK(refused.body["range"] == "loopback");
}

TEST_CASE("a manifest naming another provider than the caller's is 403 with both ids") {
  Problem mismatch =
      problem_for(discovery_error(StatusCode::kPermissionDenied, dv1::PROVIDER_MISMATCH,
                                  {{"field", "mpli:providerId"},
                                   {"provider_id", "hexacloud"},
                                   {"expected_provider_id", "nordwolke"}}));
  CHECK(mismatch.http_status == 403);
  CHECK(mismatch.body["status"] == 403);
  CHECK(mismatch.body["title"] == "Forbidden");
  CHECK(mismatch.body["reason"] == "provider_mismatch");
  CHECK(mismatch.body["code"] == "permission_denied");
  CHECK(mismatch.body["field"] == "mpli:providerId");
  CHECK(mismatch.body["provider_id"] == "hexacloud");
  CHECK(mismatch.body["expected_provider_id"] == "nordwolke");
  // The reason decides, whatever code it travels with.
  CHECK(problem_for(discovery_error(StatusCode::kConflict, dv1::PROVIDER_MISMATCH)).http_status ==
        403);
  CHECK(problem_for(discovery_error(StatusCode::kInvalidArgument, dv1::PROVIDER_MISMATCH))
            .http_status == 403);
}

TEST_CASE("a reason is read as discovery's only when discovery says it") {
  Status from_discovery = discovery_error(StatusCode::kUnavailable, dv1::FETCH_FAILED);
  from_discovery.with_detail("domain", "discovery");
  Problem p = problem_for(from_discovery);
  CHECK(p.http_status == 502);
  CHECK(p.body["domain"] == "discovery");
  Status elsewhere = discovery_error(StatusCode::kUnavailable, dv1::FETCH_FAILED);
  elsewhere.with_detail("domain", "resolver");
  CHECK(problem_for(elsewhere).http_status == 503);  // by code: not discovery's FETCH_FAILED
}

TEST_CASE("a reason without its domain is not read as discovery's") {
  Problem p = problem_for(Status(StatusCode::kUnavailable, "x", {{"reason", "FETCH_FAILED"}}));
  CHECK(p.http_status == 503);  // by code alone
}

TEST_CASE("details never overwrite the problem members") {
  Problem p =
      problem_for(Status(StatusCode::kNotFound, "gone", {{"status", "200"}, {"title", "x"}}));
  CHECK(p.body["status"] == 404);
  CHECK(p.body["title"] == "Not Found");
}

TEST_CASE("a position that is not a number is left out rather than sent as text") {
  Problem p = problem_for(
      discovery_error(StatusCode::kInvalidArgument, dv1::MANIFEST_SYNTAX, {{"line", "three"}}));
  CHECK_FALSE(p.body.contains("line"));
}

TEST_CASE("status codes map to the HTTP statuses clients expect") {
  CHECK(problem_for(not_found("x")).http_status == 404);
  CHECK(problem_for(Status(StatusCode::kAlreadyExists, "x")).http_status == 409);
  CHECK(problem_for(Status(StatusCode::kPermissionDenied, "x")).http_status == 403);
  CHECK(problem_for(Status(StatusCode::kResourceExhausted, "x")).http_status == 429);
  CHECK(problem_for(too_large("x")).http_status == 413);
  CHECK(problem_for(conflict("x")).http_status == 409);
  CHECK(problem_for(aborted("x")).http_status == 409);
  CHECK(problem_for(unavailable("x")).http_status == 503);
  CHECK(problem_for(deadline_exceeded("x")).http_status == 504);
  CHECK(problem_for(internal_error("x")).http_status == 500);
}

TEST_CASE("busy is 503 with a Retry-After in whole seconds, rounded up, and never without one") {
  Problem busy_problem = problem_for(busy("pool", std::chrono::milliseconds(1200)));
  CHECK(busy_problem.http_status == 503);
  CHECK(busy_problem.retry_after_seconds == 2);
  CHECK(busy_problem.body["code"] == "busy");
  CHECK(problem_for(Status(StatusCode::kBusy, "full")).retry_after_seconds == 1);
  CHECK(problem_for(unavailable("x")).retry_after_seconds == 0);
  CHECK(
      problem_for(unavailable("x").with_retry_after(std::chrono::seconds(3))).retry_after_seconds ==
      3);
}

TEST_CASE("an HTTP-level problem has the standard members and no service code") {
  Problem p = http_problem(405, "POST is not allowed");
  CHECK(p.http_status == 405);
  CHECK(p.body["title"] == "Method Not Allowed");
  CHECK(p.body["type"] == "about:blank");
  CHECK_FALSE(p.body.contains("code"));
}

TEST_CASE("offering query parameters are parsed, and a bad one is named") {
  auto ok = parse_offering_query({{"kind", "ManagedPostgreSQL"},
                                  {"country", "FR"},
                                  {"min_vcpu", "4"},
                                  {"max_price", "700.5"},
                                  {"limit", "10"}});
  REQUIRE(ok.is_ok());
  CHECK(ok->kind() == "ManagedPostgreSQL");
  CHECK(ok->min_vcpu() == 4);
  CHECK(ok->has_max_price());
  CHECK(ok->max_price() == 700.5);
  CHECK(ok->limit() == 10);

  auto bad_vcpu = parse_offering_query({{"min_vcpu", "four"}});
  REQUIRE_FALSE(bad_vcpu.is_ok());
  CHECK(bad_vcpu.status().details().at("field") == "min_vcpu");
  CHECK_FALSE(parse_offering_query({{"limit", "0"}}).is_ok());
  CHECK_FALSE(parse_offering_query({{"limit", "501"}}).is_ok());
  CHECK_FALSE(parse_offering_query({{"country", "France"}}).is_ok());
  CHECK_FALSE(parse_offering_query({{"max_price", "-1"}}).is_ok());
  // Other names are filters on kinds' properties, for discovery to check against the kinds.
  auto properties = parse_offering_query({{"gpuModel", "NVIDIA H100"}, {"min_gpuCount", "2"}});
  REQUIRE(properties.is_ok());
  REQUIRE(properties->properties_size() == 2);
  CHECK(properties->properties(0).name() == "gpuModel");
  CHECK(properties->properties(0).op() == "eq");
  CHECK(properties->properties(0).value() == "NVIDIA H100");
  CHECK(properties->properties(1).name() == "gpuCount");
  CHECK(properties->properties(1).op() == "min");
  auto not_a_name = parse_offering_query({{"kn id", "x"}});
  REQUIRE_FALSE(not_a_name.is_ok());
  CHECK(not_a_name.status().details().at("field") == "kn id");
}

TEST_CASE("provider list parameters: a page size and a cursor, nothing else") {
  auto page = parse_provider_query({{"limit", "2"}, {"cursor", "abc"}});
  REQUIRE(page.is_ok());
  CHECK(page->limit == 2);
  CHECK(page->cursor == "abc");
  CHECK(parse_provider_query({})->limit == 0);
  CHECK_FALSE(parse_provider_query({{"limit", "0"}}).is_ok());
  CHECK_FALSE(parse_provider_query({{"limit", "501"}}).is_ok());
  CHECK_FALSE(parse_provider_query({{"limit", "2x"}}).is_ok());
  auto typo = parse_provider_query({{"limt", "2"}});
  REQUIRE_FALSE(typo.is_ok());
  CHECK(typo.status().detail("field") == "limt");
}

TEST_CASE("percent-decoding of path segments") {
  CHECK(percent_decode("https%3A%2F%2Fh.example%2Fm.ttl%23pg") == "https://h.example/m.ttl#pg");
  CHECK(percent_decode("plain") == "plain");
  CHECK(percent_decode("a+b") == "a+b");  // '+' is a space in forms only
  CHECK(percent_decode("%41") == "A");
  CHECK_FALSE(percent_decode("bad%2").has_value());
  CHECK_FALSE(percent_decode("bad%").has_value());
  CHECK_FALSE(percent_decode("bad%zz").has_value());
}

TEST_CASE("query strings are split, then '+' and %-escapes decoded") {
  auto pairs = parse_query_string("q=PostgreSQL%20S&kind=a+b&empty=&flag&&x=1%2B1%3D2");
  REQUIRE(pairs.is_ok());
  REQUIRE(pairs->size() == 5);
  CHECK((*pairs)[0] == std::make_pair(std::string("q"), std::string("PostgreSQL S")));
  CHECK((*pairs)[1].second == "a b");
  CHECK((*pairs)[2].second == "");
  CHECK((*pairs)[3] == std::make_pair(std::string("flag"), std::string("")));
  CHECK((*pairs)[4].second == "1+1=2");  // decoded after splitting: escapes never split
  CHECK(parse_query_string("")->empty());
  auto bad = parse_query_string("q=%zz");
  REQUIRE_FALSE(bad.is_ok());
  CHECK(bad.status().detail("field") == "q");
  auto twice = query_parameters("kind=a&kind=b");
  REQUIRE_FALSE(twice.is_ok());
  CHECK(twice.status().detail("field") == "kind");
  CHECK(query_parameters("q=x%20y")->at("q") == "x y");
}

namespace {
namespace tv1 = mpli::trust::v1;
// A trust error as it arrives over the bus.
Status trust_error(StatusCode code, tv1::ErrorReason reason) {
  return Status(code, "trust says no",
                {{"reason", tv1::ErrorReason_Name(reason)}, {"domain", "trust"}});
}
}  // namespace

TEST_CASE("trust's reasons arrive lower-case, with the HTTP status the reason means") {
  Problem revoked = problem_for(trust_error(StatusCode::kInvalidArgument, tv1::REVOKED));
  CHECK(revoked.http_status == 422);
  CHECK(revoked.body["reason"] == "revoked");
  CHECK(revoked.body["code"] == "invalid_argument");
  CHECK(revoked.body["domain"] == "trust");

  CHECK(problem_for(trust_error(StatusCode::kInvalidArgument, tv1::UNTRUSTED_ISSUER)).http_status ==
        422);
  CHECK(problem_for(trust_error(StatusCode::kTooLarge, tv1::TOO_LARGE)).http_status == 413);
  CHECK(problem_for(trust_error(StatusCode::kUnavailable, tv1::KEY_UNAVAILABLE)).http_status ==
        502);
  Problem changed = problem_for(trust_error(StatusCode::kConflict, tv1::ANCHORS_CHANGED));
  CHECK(changed.http_status == 412);
  CHECK(changed.body["title"] == "Precondition Failed");
  CHECK(changed.body["reason"] == "anchors_changed");
  // A reason without a status of its own keeps its code's.
  Problem malformed = problem_for(trust_error(StatusCode::kInvalidArgument, tv1::MALFORMED));
  CHECK(malformed.http_status == 400);
  CHECK(malformed.body["reason"] == "malformed");
}

TEST_CASE("a trust reason name said by discovery is not read as trust's") {
  // REVOKED is no discovery reason: without domain "trust" it must not become 422.
  Status status(StatusCode::kInvalidArgument, "x",
                {{"reason", "REVOKED"}, {"domain", "discovery"}});
  CHECK(problem_for(status).http_status == 400);
}

namespace {
namespace rv1 = mpli::resolver::v1;
// A resolver error as it arrives over the bus.
Status resolver_error(StatusCode code, rv1::ErrorReason reason,
                      std::map<std::string, std::string> details = {}) {
  details["reason"] = rv1::ErrorReason_Name(reason);
  details["domain"] = "resolver";
  return Status(code, "the resolver says no", std::move(details));
}
}  // namespace

TEST_CASE("a consumer manifest syntax error from the resolver is 400 with line and column") {
  Problem p = problem_for(resolver_error(StatusCode::kInvalidArgument, rv1::MANIFEST_SYNTAX,
                                         {{"line", "7"}, {"column", "12"}}));
  CHECK(p.http_status == 400);
  CHECK(p.body["reason"] == "manifest_syntax");
  CHECK(p.body["domain"] == "resolver");
  CHECK(p.body["line"] == 7);
  CHECK(p.body["column"] == 12);
  CHECK(p.retry_after_seconds == 0);
}

TEST_CASE("a consumer manifest breaking its shapes is 422 with the violations") {
  Problem p = problem_for(
      resolver_error(StatusCode::kInvalidArgument, rv1::MANIFEST_SHAPE)
          .with_violations({{"_:r1", "mpli:quantity", "sh:MinInclusiveConstraintComponent", "0",
                             "quantity must be at least 1", "Violation", 14, 5, ""}}));
  CHECK(p.http_status == 422);
  CHECK(p.body["reason"] == "manifest_shape");
  REQUIRE(p.body["violations"].is_array());
  CHECK(p.body["violations"][0]["focus_node"] == "_:r1");
  CHECK(p.body["violations"][0]["message"] == "quantity must be at least 1");
}

TEST_CASE("each resolver reason decides its HTTP status over the status code") {
  // Codes chosen so that by code alone most would map elsewhere.
  CHECK(problem_for(resolver_error(StatusCode::kInvalidArgument, rv1::MANIFEST_TOO_LARGE))
            .http_status == 413);
  CHECK(problem_for(resolver_error(StatusCode::kInternal, rv1::RESOLUTION_NOT_FOUND)).http_status ==
        404);
  CHECK(problem_for(resolver_error(StatusCode::kInvalidArgument, rv1::ANSWER_NOT_FOUND))
            .http_status == 404);
  CHECK(problem_for(resolver_error(StatusCode::kInternal, rv1::BAD_REQUEST, {{"field", "top_k"}}))
            .http_status == 400);
  Problem not_found = problem_for(resolver_error(StatusCode::kNotFound, rv1::ANSWER_NOT_FOUND));
  CHECK(not_found.body["reason"] == "answer_not_found");
  CHECK(not_found.body["title"] == "Not Found");
  Problem bad = problem_for(
      resolver_error(StatusCode::kInvalidArgument, rv1::BAD_REQUEST, {{"field", "top_k"}}));
  CHECK(bad.body["field"] == "top_k");
  CHECK(bad.body["reason"] == "bad_request");
}

TEST_CASE("a refused inline credential is 422 with trust's reason in lower case") {
  Problem p = problem_for(resolver_error(StatusCode::kInvalidArgument, rv1::CREDENTIAL_REFUSED,
                                         {{"trust_reason", "REVOKED"}, {"credential", "1"}}));
  CHECK(p.http_status == 422);
  CHECK(p.body["reason"] == "credential_refused");
  CHECK(p.body["trust_reason"] == "revoked");
  CHECK(p.body["credential"] == "1");
}

TEST_CASE("an index still loading is 503 with a Retry-After, the resolver's own or 5 seconds") {
  Problem own = problem_for(resolver_error(StatusCode::kUnavailable, rv1::INDEX_NOT_READY)
                                .with_retry_after(std::chrono::milliseconds(2500)));
  CHECK(own.http_status == 503);
  CHECK(own.retry_after_seconds == 3);
  CHECK(own.body["reason"] == "index_not_ready");
  Problem by_default =
      problem_for(resolver_error(StatusCode::kFailedPrecondition, rv1::INDEX_NOT_READY));
  CHECK(by_default.http_status == 503);
  CHECK(by_default.retry_after_seconds == 5);
  Problem stopping = problem_for(resolver_error(StatusCode::kUnavailable, rv1::SHUTTING_DOWN));
  CHECK(stopping.http_status == 503);
  CHECK(stopping.retry_after_seconds == 1);
}

TEST_CASE("a resolver reason name said by another service is not read as the resolver's") {
  // INDEX_NOT_READY means nothing to discovery: by code, and no Retry-After.
  Status status(StatusCode::kInvalidArgument, "x",
                {{"reason", "INDEX_NOT_READY"}, {"domain", "discovery"}});
  Problem p = problem_for(status);
  CHECK(p.http_status == 400);
  CHECK(p.retry_after_seconds == 0);
  // RESOLUTION_NOT_FOUND without a domain keeps its code's status.
  CHECK(problem_for(Status(StatusCode::kInvalidArgument, "x", {{"reason", "RESOLUTION_NOT_FOUND"}}))
            .http_status == 400);
}

namespace {
Status delivery_error(StatusCode code, mpli::delivery::v1::ErrorReason reason,
                      std::map<std::string, std::string> details = {}) {
  details["reason"] = mpli::delivery::v1::ErrorReason_Name(reason);
  details["domain"] = "delivery";
  return Status(code, "delivery says no", std::move(details));
}
}  // namespace

TEST_CASE(
    "delivery's reasons: 404 for the order, 409 naming the state, 422 for what the body names") {
  namespace lv1 = mpli::delivery::v1;
  CHECK(problem_for(delivery_error(StatusCode::kNotFound, lv1::ORDER_NOT_FOUND)).http_status ==
        404);
  Problem state = problem_for(
      delivery_error(StatusCode::kFailedPrecondition, lv1::INVALID_STATE, {{"state", "deleted"}}));
  CHECK(state.http_status == 409);
  CHECK(state.body["state"] == "deleted");
  CHECK(state.body["reason"] == "invalid_state");
  CHECK(
      problem_for(delivery_error(StatusCode::kConflict, lv1::IDEMPOTENCY_KEY_REUSED)).http_status ==
      409);
  Problem bad = problem_for(delivery_error(StatusCode::kInvalidArgument, lv1::BAD_PARAMETERS,
                                           {{"field", "parameters.connection_limit"}}));
  CHECK(bad.http_status == 400);
  CHECK(bad.body["field"] == "parameters.connection_limit");
  // Codes that alone would say 404 or 409: the reason decides.
  CHECK(problem_for(delivery_error(StatusCode::kNotFound, lv1::OFFERING_NOT_FOUND)).http_status ==
        422);
  CHECK(problem_for(delivery_error(StatusCode::kNotFound, lv1::RESOLUTION_NOT_FOUND)).http_status ==
        422);
  CHECK(problem_for(delivery_error(StatusCode::kFailedPrecondition, lv1::NO_DELIVERY_BINDING))
            .http_status == 422);
  CHECK(problem_for(delivery_error(StatusCode::kFailedPrecondition, lv1::OPERATION_NOT_SUPPORTED))
            .http_status == 422);
  CHECK(problem_for(delivery_error(StatusCode::kInvalidArgument, lv1::BILL_PERIOD_INVALID))
            .http_status == 400);
  Problem upstream =
      problem_for(delivery_error(StatusCode::kUnavailable, lv1::UPSTREAM_UNAVAILABLE));
  CHECK(upstream.http_status == 503);
  CHECK(upstream.retry_after_seconds == 1);
  // The same names from another service are not delivery's.
  Status other(StatusCode::kNotFound, "x", {{"reason", "OFFERING_NOT_FOUND"}, {"domain", "x"}});
  CHECK(problem_for(other).http_status == 404);
}

TEST_CASE(
    "portability's reasons: 404 for the migration, 422 when it cannot move, 409 on conflict") {
  namespace pv1 = mpli::portability::v1;
  auto status_of = [](StatusCode code, pv1::ErrorReason reason) {
    Status status(code, "portability says no",
                  {{"reason", pv1::ErrorReason_Name(reason)}, {"domain", "portability"}});
    return problem_for(status);
  };
  CHECK(status_of(StatusCode::kNotFound, pv1::MIGRATION_NOT_FOUND).http_status == 404);
  CHECK(status_of(StatusCode::kNotFound, pv1::MIGRATION_NOT_FOUND).body["reason"] ==
        "migration_not_found");
  // What the body names is not the resource of the path: 422, not 404.
  CHECK(status_of(StatusCode::kNotFound, pv1::ORDER_NOT_FOUND).http_status == 422);
  CHECK(status_of(StatusCode::kNotFound, pv1::TARGET_NOT_FOUND).http_status == 422);
  CHECK(status_of(StatusCode::kFailedPrecondition, pv1::ORDER_NOT_ACTIVE).http_status == 422);
  CHECK(status_of(StatusCode::kFailedPrecondition, pv1::TARGET_DOES_NOT_FIT).http_status == 422);
  CHECK(status_of(StatusCode::kFailedPrecondition, pv1::FORMATS_INCOMPATIBLE).http_status == 422);
  CHECK(status_of(StatusCode::kFailedPrecondition, pv1::NOT_MIGRATABLE).http_status == 422);
  CHECK(status_of(StatusCode::kInvalidArgument, pv1::SAME_PROVIDER).http_status == 422);
  CHECK(status_of(StatusCode::kConflict, pv1::MIGRATION_IN_PROGRESS).http_status == 409);
  CHECK(status_of(StatusCode::kConflict, pv1::IDEMPOTENCY_KEY_REUSED).http_status == 409);
  CHECK(status_of(StatusCode::kFailedPrecondition, pv1::INVALID_STATE).http_status == 409);
  CHECK(status_of(StatusCode::kInvalidArgument, pv1::BAD_REQUEST).http_status == 400);
  Problem upstream = status_of(StatusCode::kUnavailable, pv1::UPSTREAM_UNAVAILABLE);
  CHECK(upstream.http_status == 503);
  CHECK(upstream.retry_after_seconds == 1);
}
