#include "services/gateway/http/route_table.h"

#include <catch2/catch.hpp>

using namespace mpli::gateway;
using Outcome = RouteTable::Match::Outcome;

namespace {
RouteTable api() {
  RouteTable table;
  table.add("GET", "/v1/providers");               // 0
  table.add("POST", "/v1/providers");              // 1
  table.add("GET", "/v1/providers/:id");           // 2
  table.add("DELETE", "/v1/providers/:id");        // 3
  table.add("POST", "/v1/providers/:id/refresh");  // 4
  table.add("GET", "/v1/offerings/:id");           // 5
  return table;
}
}  // namespace

TEST_CASE("a method and path select their route, with decoded parameters") {
  RouteTable table = api();
  auto match = table.match("GET", "/v1/providers/hexacloud");
  REQUIRE(match.outcome == Outcome::kFound);
  CHECK(match.route == 2);
  CHECK(match.parameters.at("id") == "hexacloud");
  CHECK(table.match("DELETE", "/v1/providers/hexacloud").route == 3);
  CHECK(table.match("POST", "/v1/providers/x/refresh").route == 4);
  CHECK(table.match("POST", "/v1/providers").route == 1);
}

TEST_CASE("an encoded slash stays inside its segment") {
  auto match = api().match("GET", "/v1/offerings/https%3A%2F%2Fh.example%2Fm.ttl%23pg");
  REQUIRE(match.outcome == Outcome::kFound);
  CHECK(match.parameters.at("id") == "https://h.example/m.ttl#pg");
  CHECK(api().match("GET", "/v1/offerings/https://h.example").outcome == Outcome::kNotFound);
}

TEST_CASE("literal segments match decoded, repeated and trailing slashes are ignored") {
  RouteTable table = api();
  CHECK(table.match("GET", "/v1/%70roviders").route == 0);
  CHECK(table.match("GET", "//v1/providers/").route == 0);
}

TEST_CASE("HEAD is served by the GET route") {
  auto match = api().match("HEAD", "/v1/providers/x");
  REQUIRE(match.outcome == Outcome::kFound);
  CHECK(match.route == 2);
  CHECK(api().match("HEAD", "/v1/providers/x/refresh").outcome == Outcome::kMethodNotAllowed);
}

TEST_CASE("a known path with another method is 405 listing the allowed methods") {
  auto match = api().match("PUT", "/v1/providers/x");
  REQUIRE(match.outcome == Outcome::kMethodNotAllowed);
  CHECK(match.allowed == std::vector<std::string>{"GET", "HEAD", "DELETE", "OPTIONS"});
  CHECK(api().allowed_methods("/v1/providers") ==
        std::vector<std::string>{"GET", "HEAD", "POST", "OPTIONS"});
  CHECK(api().allowed_methods("/v1/providers/x/refresh") ==
        std::vector<std::string>{"POST", "OPTIONS"});
}

TEST_CASE("unknown paths and malformed escapes") {
  CHECK(api().match("GET", "/v2/providers").outcome == Outcome::kNotFound);
  CHECK(api().match("GET", "/").outcome == Outcome::kNotFound);
  CHECK(api().allowed_methods("/nowhere").empty());
  CHECK(api().match("GET", "/v1/providers/%zz").outcome == Outcome::kBadPath);
}

TEST_CASE("every method served anywhere, for OPTIONS *") {
  CHECK(api().all_methods() ==
        std::vector<std::string>{"GET", "HEAD", "POST", "DELETE", "OPTIONS"});
}

TEST_CASE("every route as added in order with the root as /") {
  RouteTable table = api();
  table.add("GET", "/");
  table.add("GET", "//console//:file/");  // empty segments are not part of the pattern
  using Route = std::pair<std::string, std::string>;
  CHECK(table.routes() == std::vector<Route>{{"GET", "/v1/providers"},
                                             {"POST", "/v1/providers"},
                                             {"GET", "/v1/providers/:id"},
                                             {"DELETE", "/v1/providers/:id"},
                                             {"POST", "/v1/providers/:id/refresh"},
                                             {"GET", "/v1/offerings/:id"},
                                             {"GET", "/"},
                                             {"GET", "/console/:file"}});
  CHECK(RouteTable().routes().empty());
}
