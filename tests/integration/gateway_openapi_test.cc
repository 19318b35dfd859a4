// The OpenAPI document against the routes the gateway really registers: nothing undocumented,
// nothing documented that the gateway does not serve. Real nats-server and mpli-gateway (no
// service behind it: no route is called, only listed and probed).
//
// Where each side comes from, and why the test can fail both ways:
//   - documented: GET /openapi.json from the running gateway (so also what it serves), turned
//     into (method, pattern) pairs by documented_routes() ("/v1/providers/{id}" ->
//     "/v1/providers/:id").
//   - registered: the gateway's own list, HttpServer::registered_routes(), which it logs once at
//     start ("http routes", at debug level) from its RouteTable: the very table requests are
//     routed by, filled by the real wiring (wiring.cc), so a route added anywhere shows up.
//   A registered route the document lacks fails "undocumented"; a documented route the gateway
//   lacks fails "not registered". Neither list may pass by being empty or made up: the logged
//   list must hold routes every gateway has, and each logged route must be served, as OPTIONS
//   on its path (parameters filled in) lists its method in Allow. Each documented route is
//   probed the same way, so "documented but not served" is also caught without the log.

#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>

#include "libs/testing/environment.h"
#include "libs/testing/http_exchange.h"
#include "services/gateway/openapi/openapi_document.h"

using namespace mpli;
using namespace std::chrono_literals;
using nlohmann::json;
using Route = std::pair<std::string, std::string>;  // method, pattern

namespace {

using Answer = testing::HttpExchange;

// One request, headers and body of the answer read.
Answer exchange(int port, const std::string& method, const std::string& target,
                const std::vector<std::string>& headers = {}) {
  return testing::http_exchange(method, "http://127.0.0.1:" + std::to_string(port) + target, "",
                                headers, 30s);
}

// A concrete path for `pattern`: every ":name" segment becomes "x".
std::string sample_path(const std::string& pattern) {
  std::string path;
  size_t start = 1;
  while (start <= pattern.size()) {
    size_t slash = pattern.find('/', start);
    if (slash == std::string::npos) slash = pattern.size();
    std::string segment = pattern.substr(start, slash - start);
    start = slash + 1;
    if (segment.empty()) continue;
    path += "/" + (segment[0] == ':' ? std::string("x") : segment);
  }
  return path.empty() ? "/" : path;
}

std::set<std::string> allow_list(const std::string& header) {
  std::set<std::string> methods;
  std::stringstream in(header);
  std::string item;
  while (std::getline(in, item, ',')) {
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    if (!item.empty()) methods.insert(item);
  }
  return methods;
}

// Whether the running gateway serves `method` at `pattern`, asked with OPTIONS.
bool served(int port, const Route& route) {
  Answer answer = exchange(port, "OPTIONS", sample_path(route.second));
  return answer.status == 204 && allow_list(answer.header("allow")).count(route.first) == 1;
}

std::string text_of(const std::set<Route>& routes) {
  std::string text;
  for (const auto& [method, pattern] : routes) text += "\n  " + method + " " + pattern;
  return text.empty() ? " (none)" : text;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The routes of the gateway's "http routes" log line; nullopt until it is written.
std::optional<std::set<Route>> logged_routes(const std::string& log_path) {
  std::istringstream lines(read_file(log_path));
  std::string line;
  while (std::getline(lines, line)) {
    json entry = json::parse(line, nullptr, false);
    if (!entry.is_object() || entry.value("msg", "") != "http routes") continue;
    std::set<Route> routes;
    for (const auto& item : entry["routes"]) {
      std::string text = item.get<std::string>();
      size_t space = text.find(' ');
      REQUIRE(space != std::string::npos);
      routes.emplace(text.substr(0, space), text.substr(space + 1));
    }
    return routes;
  }
  return std::nullopt;
}

// NATS and a gateway logging at debug level; nothing else.
class Gateway {
 public:
  Gateway() : nats_(dir_.path()) {
    auto port = process::free_tcp_port();
    REQUIRE(port.is_ok());
    port_ = *port;
    std::map<std::string, std::string> env = {{"MPLI_NATS_URL", nats_.url()},
                                              {"MPLI_HTTP_PORT", std::to_string(port_)},
                                              {"MPLI_LOG_LEVEL", "debug"}};
    gateway_ = std::make_unique<process::ChildProcess>(
        testing::start_binary("mpli-gateway", env, dir_.path()));
    testing::wait_until([&] { return testing::http_get(url("/healthz"), 2s).status == 200; }, 60s,
                        "the gateway answers /healthz");
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  int port() const { return port_; }
  std::string log_path() const { return dir_.path() + "/mpli-gateway.log"; }

 private:
  testing::TempDir dir_;
  testing::TestNats nats_;
  int port_ = 0;
  std::unique_ptr<process::ChildProcess> gateway_;
};

}  // namespace

TEST_CASE("GET /openapi.json serves the compiled-in document") {
  Gateway gateway;
  Answer plain = exchange(gateway.port(), "GET", "/openapi.json");
  CHECK(plain.status == 200);
  CHECK(plain.header("content-type") == "application/json");
  CHECK(plain.body == mpli::gateway::openapi_document());
  CHECK(json::parse(plain.body, nullptr, false).value("openapi", "").rfind("3.1.", 0) == 0);

  Answer oai = exchange(gateway.port(), "GET", "/openapi.json",
                        {"Accept: application/vnd.oai.openapi+json"});
  CHECK(oai.status == 200);
  CHECK(oai.header("content-type") == "application/vnd.oai.openapi+json");
  CHECK(oai.body == plain.body);

  Answer head = exchange(gateway.port(), "HEAD", "/openapi.json");
  CHECK(head.status == 200);
  CHECK(head.body.empty());
  CHECK(head.header("content-length") == std::to_string(plain.body.size()));

  // Public: no token needed, and other types are refused rather than mislabelled.
  CHECK(exchange(gateway.port(), "GET", "/openapi.json", {"Accept: text/html"}).status == 406);
}

TEST_CASE("the document describes exactly the routes the gateway registers") {
  Gateway gateway;
  Answer served_document = exchange(gateway.port(), "GET", "/openapi.json");
  REQUIRE(served_document.status == 200);
  auto listed = mpli::gateway::documented_routes(served_document.body);
  REQUIRE(listed.is_ok());
  const std::set<Route> documented(listed->begin(), listed->end());

  std::optional<std::set<Route>> logged;
  testing::wait_until([&] { return (logged = logged_routes(gateway.log_path())).has_value(); }, 30s,
                      "the gateway logs its routes (\"http routes\")");
  const std::set<Route>& registered = *logged;

  // The logged list is the real one: routes every gateway has are in it, and it says nothing
  // the gateway does not serve.
  REQUIRE(registered.count({"GET", "/healthz"}) == 1);
  REQUIRE(registered.count({"GET", "/openapi.json"}) == 1);
  REQUIRE(registered.count({"POST", "/v1/resolutions"}) == 1);
  for (const auto& route : registered) {
    INFO("registered " << route.first << " " << route.second);
    CHECK(served(gateway.port(), route));
  }

  {  // a scope of its own: INFO messages last until its end
    std::set<Route> undocumented;
    std::set_difference(registered.begin(), registered.end(), documented.begin(), documented.end(),
                        std::inserter(undocumented, undocumented.end()));
    std::set<Route> missing;
    for (const auto& route : documented) {
      if (registered.count(route) == 0) missing.insert(route);
    }
    INFO("registered but not in the OpenAPI document:" << text_of(undocumented));
    INFO("in the OpenAPI document but not registered:" << text_of(missing));
    CHECK(undocumented.empty());
    CHECK(missing.empty());
  }

  // Every documented route is served, asked without the log.
  for (const auto& route : documented) {
    INFO("documented " << route.first << " " << route.second);
    CHECK(served(gateway.port(), route));
  }
}
