#include "services/gateway/domain/resolution_json.h"

#include <catch2/catch.hpp>

using namespace mpli;
using namespace mpli::gateway;
using nlohmann::json;
namespace v1 = mpli::resolver::v1;

namespace {
// The field a refused JSON body names.
std::string field_of_json(std::string_view body, std::map<std::string, std::string> params = {}) {
  auto request = resolve_request_from_json(body, params);
  REQUIRE_FALSE(request.is_ok());
  CHECK(request.status().code() == StatusCode::kInvalidArgument);
  return request.status().detail("field");
}

std::string field_of_turtle(std::map<std::string, std::string> params,
                            std::string_view body = "<a> <b> <c> .") {
  auto request = resolve_request_from_turtle(body, params);
  REQUIRE_FALSE(request.is_ok());
  CHECK(request.status().code() == StatusCode::kInvalidArgument);
  return request.status().detail("field");
}
}  // namespace

TEST_CASE("a JSON resolution body becomes a resolve request") {
  auto request = resolve_request_from_json(
      R"({"manifest": "@prefix mpli: <https://w3id.org/mpli#> .",
          "credentials": [{"token": " eyJ.a.b\n", "media_type": "application/VC+JWT"},
                          {"token": "eyJ.c.d~"}],
          "top_k": 3, "explain_limit": 0})",
      {});
  REQUIRE(request.is_ok());
  CHECK(request->manifest() == "@prefix mpli: <https://w3id.org/mpli#> .");
  REQUIRE(request->credentials_size() == 2);
  CHECK(request->credentials(0).token() == "eyJ.a.b");
  CHECK(request->credentials(0).media_type() == "vc+jwt");  // the short form trust reads
  CHECK(request->credentials(1).token() == "eyJ.c.d~");
  CHECK(request->credentials(1).media_type().empty());
  CHECK(request->top_k() == 3);
  CHECK(request->explain_limit() == 0);  // asked for: none listed, not the default
}

TEST_CASE("a JSON body without top_k or explain_limit asks for the defaults explicitly") {
  auto request = resolve_request_from_json(R"({"manifest": "x", "top_k": null})", {});
  REQUIRE(request.is_ok());
  CHECK(request->top_k() == kDefaultTopK);
  CHECK(request->explain_limit() == kDefaultExplainLimit);
  CHECK(request->credentials_size() == 0);
}

TEST_CASE("a bad JSON resolution body is refused naming the field") {
  CHECK(field_of_json("") == "body");
  CHECK(field_of_json("  \n") == "body");
  CHECK(field_of_json("{") == "body");
  CHECK(field_of_json("[1]") == "body");
  CHECK(field_of_json("\"manifest\"") == "body");
  // The manifest: required, a non-blank string.
  CHECK(field_of_json("{}") == "manifest");
  CHECK(field_of_json(R"({"manifest": ""})") == "manifest");
  CHECK(field_of_json(R"({"manifest": "  "})") == "manifest");
  CHECK(field_of_json(R"({"manifest": 5})") == "manifest");
  CHECK(field_of_json(R"({"manifest": ["x"]})") == "manifest");
  CHECK(field_of_json(R"({"manifest": null})") == "manifest");
  // Unknown members are refused, not ignored.
  CHECK(field_of_json(R"({"manifest": "x", "topk": 3})") == "topk");
}

TEST_CASE("top_k and explain_limit in JSON must be integers in range") {
  CHECK(field_of_json(R"({"manifest": "x", "top_k": 0})") == "top_k");
  CHECK(field_of_json(R"({"manifest": "x", "top_k": 101})") == "top_k");
  CHECK(field_of_json(R"({"manifest": "x", "top_k": -1})") == "top_k");
  CHECK(field_of_json(R"({"manifest": "x", "top_k": 2.5})") == "top_k");
  CHECK(field_of_json(R"({"manifest": "x", "top_k": 3.0})") == "top_k");
  CHECK(field_of_json(R"({"manifest": "x", "top_k": "3"})") == "top_k");
  CHECK(field_of_json(R"({"manifest": "x", "top_k": true})") == "top_k");
  CHECK(field_of_json(R"({"manifest": "x", "top_k": 18446744073709551615})") == "top_k");
  CHECK(field_of_json(R"({"manifest": "x", "explain_limit": -1})") == "explain_limit");
  CHECK(field_of_json(R"({"manifest": "x", "explain_limit": 1001})") == "explain_limit");
  CHECK(field_of_json(R"({"manifest": "x", "explain_limit": "20"})") == "explain_limit");
  auto edges =
      resolve_request_from_json(R"({"manifest": "x", "top_k": 100, "explain_limit": 1000})", {});
  REQUIRE(edges.is_ok());
  CHECK(edges->top_k() == 100);
  CHECK(edges->explain_limit() == 1000);
  CHECK(resolve_request_from_json(R"({"manifest": "x", "top_k": 1})", {})->top_k() == 1);
}

TEST_CASE("inline credentials must be a list of objects with a token") {
  CHECK(field_of_json(R"({"manifest": "x", "credentials": "eyJ.a.b"})") == "credentials");
  CHECK(field_of_json(R"({"manifest": "x", "credentials": {"token": "t"}})") == "credentials");
  CHECK(field_of_json(R"({"manifest": "x", "credentials": ["eyJ.a.b"]})") == "credentials[0]");
  CHECK(field_of_json(R"({"manifest": "x", "credentials": [{"token": "t"}, {}]})") ==
        "credentials[1].token");
  CHECK(field_of_json(R"({"manifest": "x", "credentials": [{"token": ""}]})") ==
        "credentials[0].token");
  CHECK(field_of_json(R"({"manifest": "x", "credentials": [{"token": 7}]})") ==
        "credentials[0].token");
  CHECK(field_of_json(R"({"manifest": "x", "credentials": [{"token": "t", "media_type": 1}]})") ==
        "credentials[0].media_type");
  CHECK(field_of_json(R"({"manifest": "x", "credentials": [{"token": "t", "typ": "x"}]})") ==
        "credentials[0].typ");
  auto none = resolve_request_from_json(R"({"manifest": "x", "credentials": []})", {});
  REQUIRE(none.is_ok());
  CHECK(none->credentials_size() == 0);
}

TEST_CASE("a JSON body takes no query parameters") {
  CHECK(field_of_json(R"({"manifest": "x"})", {{"top_k", "3"}}) == "top_k");
}

TEST_CASE("a Turtle body is the manifest, with top_k and explain_limit from the query") {
  auto plain = resolve_request_from_turtle("<a> <b> <c> .\n", {});
  REQUIRE(plain.is_ok());
  CHECK(plain->manifest() == "<a> <b> <c> .\n");  // as sent: line numbers must stay right
  CHECK(plain->top_k() == kDefaultTopK);
  CHECK(plain->explain_limit() == kDefaultExplainLimit);
  CHECK(plain->credentials_size() == 0);
  auto asked =
      resolve_request_from_turtle("<a> <b> <c> .", {{"top_k", "5"}, {"explain_limit", "0"}});
  REQUIRE(asked.is_ok());
  CHECK(asked->top_k() == 5);
  CHECK(asked->explain_limit() == 0);
}

TEST_CASE("bad query parameters of a Turtle body are refused naming the parameter") {
  CHECK(field_of_turtle({{"top_k", "0"}}) == "top_k");
  CHECK(field_of_turtle({{"top_k", "101"}}) == "top_k");
  CHECK(field_of_turtle({{"top_k", "ten"}}) == "top_k");
  CHECK(field_of_turtle({{"top_k", ""}}) == "top_k");
  CHECK(field_of_turtle({{"top_k", "+5"}}) == "top_k");
  CHECK(field_of_turtle({{"top_k", "99999999999999999999"}}) == "top_k");
  CHECK(field_of_turtle({{"explain_limit", "1001"}}) == "explain_limit");
  CHECK(field_of_turtle({{"explain_limit", "-1"}}) == "explain_limit");
  CHECK(field_of_turtle({{"limit", "3"}}) == "limit");
  CHECK(field_of_turtle({}, "") == "body");
  CHECK(field_of_turtle({}, " \n\t") == "body");
}

TEST_CASE("an answer rank is an integer from 1 to 100") {
  CHECK(*answer_rank("1") == 1);
  CHECK(*answer_rank("100") == 100);
  for (const char* bad : {"0", "101", "", "x", "-1", "1.0", "01x"}) {
    auto rank = answer_rank(bad);
    REQUIRE_FALSE(rank.is_ok());
    CHECK(rank.status().detail("field") == "rank");
  }
}

TEST_CASE("a resolution's location is its path, the id percent-encoded") {
  CHECK(resolution_location("res_01J9Z3ABCDEFGHJKMNPQRSTVWX") ==
        "/v1/resolutions/res_01J9Z3ABCDEFGHJKMNPQRSTVWX");
  CHECK(resolution_location("a/b c\r\n") == "/v1/resolutions/a%2Fb%20c%0D%0A");
}

TEST_CASE("a resolution as JSON has every field, counts as numbers and diagnosis null") {
  v1::Resolution resolution;
  resolution.set_id("res_1");
  resolution.set_currency("EUR");
  resolution.set_satisfiable(true);
  resolution.set_answers_considered(12);
  resolution.set_catalogue_offerings(340);
  auto* answer = resolution.add_answers();
  answer->set_rank(1);
  answer->set_monthly_price(412.5);
  auto* assignment = answer->add_assignments();
  assignment->set_requirement_label("Primary database");
  assignment->set_quantity(2);
  json body = resolution_to_json(resolution);
  CHECK(body["id"] == "res_1");
  CHECK(body["satisfiable"] == true);
  CHECK(body["answers_considered"] == 12);  // a number, not protobuf's "12"
  CHECK(body["catalogue_offerings"] == 340);
  CHECK(body["diagnosis"].is_null());
  CHECK(body["manifest_sha256"] == "");
  CHECK(body["warnings"] == json::array());
  CHECK(body["refusals"] == json::array());
  CHECK(body["answers"][0]["rank"] == 1);
  CHECK(body["answers"][0]["monthly_price"] == 412.5);
  CHECK(body["answers"][0]["score_parts"] == json::array());
  CHECK(body["answers"][0]["assignments"][0]["requirement_label"] == "Primary database");
  CHECK(body["answers"][0]["assignments"][0]["quantity"] == 2);
  CHECK(body["answers"][0]["assignments"][0]["country"] == "");
  // What the routes send: the same JSON, written without the tree.
  CHECK(resolution_to_json_text(resolution) ==
        body.dump(-1, ' ', false, json::error_handler_t::replace));
}

TEST_CASE("an unsatisfiable resolution carries its diagnosis") {
  v1::Resolution resolution;
  resolution.set_satisfiable(false);
  resolution.mutable_diagnosis()->add_summary("No offering in FR has 64 GiB of memory.");
  auto* miss = resolution.mutable_diagnosis()->add_nearest_misses();
  miss->set_failed_constraints(1);
  miss->add_failures()->set_claimed_not_verified(true);
  json body = resolution_to_json(resolution);
  CHECK(body["satisfiable"] == false);
  CHECK(body["answers"] == json::array());
  CHECK(body["answers_considered"] == 0);
  CHECK(body["diagnosis"]["summary"][0] == "No offering in FR has 64 GiB of memory.");
  CHECK(body["diagnosis"]["nearest_misses"][0]["failed_constraints"] == 1);
  CHECK(body["diagnosis"]["nearest_misses"][0]["failures"][0]["claimed_not_verified"] == true);
  CHECK(resolution_to_json_text(resolution) ==
        body.dump(-1, ' ', false, json::error_handler_t::replace));
}

TEST_CASE("a recheck reply as JSON") {
  v1::RecheckAnswerReply reply;
  reply.set_holds(false);
  reply.add_reasons("hexacloud no longer offers PostgreSQL S in fr-par.");
  reply.set_monthly_price_now(430.0);
  json without_answer = recheck_reply_to_json(reply);
  CHECK(without_answer["holds"] == false);
  CHECK(without_answer["reasons"][0] == "hexacloud no longer offers PostgreSQL S in fr-par.");
  CHECK(without_answer["monthly_price_now"] == 430.0);
  CHECK(without_answer["answer"].is_null());
  reply.mutable_answer()->set_rank(2);
  CHECK(recheck_reply_to_json(reply)["answer"]["rank"] == 2);
}
