// The compiled-in OpenAPI document: the bytes of openapi.json as they are in the source tree, an
// OpenAPI 3.1 document whose access rules say what the contract says, and the conversion of its
// paths into the gateway's route patterns (which the route comparison test relies on).
#include "services/gateway/openapi/openapi_document.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

using namespace mpli::gateway;
using nlohmann::json;
using Route = std::pair<std::string, std::string>;

namespace {

std::string source_file(const std::string& path) {
  std::ifstream in(std::string(MPLI_SOURCE_DIR) + "/" + path, std::ios::binary);
  REQUIRE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

bool is_operation(const std::string& key) {
  static const std::set<std::string> kMethods = {"get",   "put",     "post", "delete",
                                                 "patch", "options", "head", "trace"};
  return kMethods.count(key) == 1;
}

json document() {
  json parsed = json::parse(openapi_document(), nullptr, false);
  REQUIRE(parsed.is_object());
  return parsed;
}

}  // namespace

TEST_CASE("the binary carries openapi.json byte for byte") {
  // A stale build or a lossy embedding would serve another document than the one linted.
  CHECK(openapi_document() == source_file("services/gateway/openapi/openapi.json"));
}

TEST_CASE("the document is OpenAPI 3.1 with an operation id for every operation") {
  json doc = document();
  CHECK(doc["openapi"].get<std::string>().rfind("3.1.", 0) == 0);
  std::set<std::string> ids;
  for (const auto& [path, item] : doc["paths"].items()) {
    for (const auto& [method, operation] : item.items()) {
      if (!is_operation(method)) continue;
      INFO(method << " " << path);
      REQUIRE(operation.contains("operationId"));
      CHECK(ids.insert(operation["operationId"].get<std::string>()).second);
      REQUIRE(operation.contains("security"));
      REQUIRE(operation.contains("responses"));
    }
  }
  CHECK(ids.size() >= 27);
}

TEST_CASE("the routes that need no token are the contract's public ones") {
  // The access table of issue 11: public routes say `security: []`; GET /v1/events takes a
  // token optionally ({} among its requirements: anonymous callers see catalogue events only).
  const std::set<Route> kPublic = {{"GET", "/healthz"},
                                   {"GET", "/readyz"},
                                   {"GET", "/metrics"},
                                   {"GET", "/openapi.json"},
                                   {"GET", "/"},
                                   {"GET", "/console/:file"},
                                   {"GET", "/v1/offerings"},
                                   {"GET", "/v1/offerings/:id"},
                                   {"GET", "/v1/catalog"},
                                   {"GET", "/v1/providers"},
                                   {"GET", "/v1/providers/:id"},
                                   {"GET", "/.well-known/mpli-providers"},
                                   {"GET", "/.well-known/jwks.json"},
                                   {"GET", "/v1/ontologies"},
                                   {"GET", "/v1/ontologies/:name"}};
  std::set<Route> no_token;
  std::set<Route> token_optional;
  const json doc = document();
  for (const auto& [path, item] : doc["paths"].items()) {
    for (const auto& [method, operation] : item.items()) {
      if (!is_operation(method)) continue;
      json one;
      one["paths"][path][method] = json::object();
      auto routes = documented_routes(one.dump());
      REQUIRE(routes.is_ok());
      const Route& route = routes->front();
      const json& security = operation["security"];
      if (security.empty()) no_token.insert(route);
      for (const auto& requirement : security) {
        if (requirement.empty()) token_optional.insert(route);
      }
    }
  }
  CHECK(no_token == kPublic);
  CHECK(token_optional == std::set<Route>{{"GET", "/v1/events"}});
}

TEST_CASE("documented paths become route patterns") {
  auto routes = documented_routes(R"({"paths": {
      "/v1/providers/{id}": {"parameters": [], "summary": "not operations",
                             "get": {}, "delete": {}},
      "/": {"get": {}},
      "/v1/resolutions/{id}/answers/{rank}/recheck": {"post": {}}}})");
  REQUIRE(routes.is_ok());
  CHECK(*routes == std::vector<Route>{{"DELETE", "/v1/providers/:id"},
                                      {"GET", "/"},
                                      {"GET", "/v1/providers/:id"},
                                      {"POST", "/v1/resolutions/:id/answers/:rank/recheck"}});
}

TEST_CASE("documents the gateway cannot route are errors") {
  CHECK_FALSE(documented_routes("not json").is_ok());
  CHECK_FALSE(documented_routes(R"({"openapi": "3.1.0"})").is_ok());
  CHECK_FALSE(documented_routes(R"({"paths": []})").is_ok());
  CHECK_FALSE(documented_routes(R"({"paths": {"/files/{name}.json": {"get": {}}}})").is_ok());
  CHECK_FALSE(documented_routes(R"({"paths": {"relative": {"get": {}}}})").is_ok());
  CHECK(documented_routes(R"({"paths": {}})")->empty());
}
