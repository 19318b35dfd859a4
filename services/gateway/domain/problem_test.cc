#include "services/gateway/domain/problem.h"

#include <catch2/catch.hpp>

#include "services/gateway/domain/offering_query.h"
#include "services/gateway/domain/url.h"

using namespace mpli;
using namespace mpli::gateway;

TEST_CASE("a syntax error becomes 400 with line and column as numbers") {
  Problem p = problem_for(Status(StatusCode::kInvalidArgument, "upload:3:25: bad syntax",
                                 {{"problem", "syntax"}, {"line", "3"}, {"column", "25"}}));
  CHECK(p.http_status == 400);
  CHECK(p.body["line"] == 3);
  CHECK(p.body["column"] == 25);
  CHECK(p.body["detail"] == "upload:3:25: bad syntax");
  CHECK(p.body["status"] == 400);
}

TEST_CASE("a shape violation becomes 422 with the violations as a list") {
  Problem p = problem_for(
      Status(StatusCode::kInvalidArgument, "1 violation(s)", {{"problem", "shape_violation"}})
          .with_violations({{"<s>", "<p>", "sh:MinCountConstraintComponent", "", "m", "Violation"}}));
  CHECK(p.http_status == 422);
  REQUIRE(p.body["violations"].is_array());
  CHECK(p.body["violations"][0]["message"] == "m");
}

TEST_CASE("status codes map to the HTTP statuses clients expect") {
  CHECK(problem_for(not_found("x")).http_status == 404);
  CHECK(problem_for(Status(StatusCode::kAlreadyExists, "x")).http_status == 409);
  CHECK(problem_for(Status(StatusCode::kPermissionDenied, "x")).http_status == 403);
  CHECK(problem_for(Status(StatusCode::kResourceExhausted, "x")).http_status == 429);
  CHECK(problem_for(too_large("x")).http_status == 413);
  CHECK(problem_for(conflict("x")).http_status == 409);
  CHECK(problem_for(aborted("x")).http_status == 409);
  Problem busy_problem = problem_for(busy("pool", std::chrono::milliseconds(1200)));
  CHECK(busy_problem.http_status == 503);
  CHECK(busy_problem.retry_after_seconds == 2);
  CHECK(problem_for(unavailable("x")).http_status == 503);
  CHECK(problem_for(Status(StatusCode::kUnavailable, "x", {{"reason", "fetch"}})).http_status == 502);
  CHECK(problem_for(internal_error("x")).http_status == 500);
}

TEST_CASE("offering query parameters are parsed, and a bad one is named") {
  auto ok = parse_offering_query({{"kind", "ManagedPostgreSQL"}, {"country", "FR"},
                                  {"min_vcpu", "4"}, {"max_price", "700.5"}, {"limit", "10"}});
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
  auto typo = parse_offering_query({{"knid", "x"}});
  REQUIRE_FALSE(typo.is_ok());
  CHECK(typo.status().details().at("field") == "knid");
}

TEST_CASE("percent-decoding of path segments") {
  CHECK(percent_decode("https%3A%2F%2Fh.example%2Fm.ttl%23pg") == "https://h.example/m.ttl#pg");
  CHECK(percent_decode("plain") == "plain");
  CHECK_FALSE(percent_decode("bad%2").has_value());
  CHECK_FALSE(percent_decode("bad%zz").has_value());
}
