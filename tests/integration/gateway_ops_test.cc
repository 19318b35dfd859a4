// The gateway's operations conventions over real sockets, with real NATS, PostgreSQL and
// discovery behind it: the correlation id answered in X-Request-Id and carried to the service,
// one access log line per request (route pattern, never a token or a query), Prometheus
// /metrics with the services' own statistics, per-client rate limits (429 + Retry-After) and
// ETag / If-None-Match on catalogue reads.
#include <catch2/catch.hpp>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>

#include "libs/bus/call.h"
#include "libs/bus/connection.h"
#include "libs/core/ids.h"
#include "libs/testing/environment.h"
#include "libs/testing/http_exchange.h"
#include "libs/testing/tokens.h"
#include "mpli/discovery/v1/discovery.pb.h"

using namespace mpli;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

using Env = std::map<std::string, std::string>;

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string read_example(const std::string& name) {
  std::string text = read_file(std::string(MPLI_SOURCE_DIR) + "/ontology/examples/" + name);
  REQUIRE(!text.empty());
  return text;
}

// NATS and a gateway, with discovery and PostgreSQL behind it when `with_discovery`.
class Hub {
 public:
  explicit Hub(bool with_discovery, const Env& extra = {})
      : nats_(dir_.path()), tokens_(dir_.path()) {
    auto port = process::free_tcp_port();
    REQUIRE(port.is_ok());
    port_ = *port;
    env_ = {{"MPLI_NATS_URL", nats_.url()},
            {"MPLI_HTTP_PORT", std::to_string(port_)},
            {"MPLI_FETCH_ALLOW_HTTP", "true"},
            {"MPLI_FETCH_ALLOW_LOOPBACK", "true"},
            {"MPLI_RATELIMIT_REQUESTS_PER_SECOND", "0"},
            {"MPLI_AUTH_SIGNING_KEY_FILE", tokens_.key_file()}};
    for (const auto& [k, v] : extra) env_[k] = v;
    if (with_discovery) {
      pg_ = std::make_unique<testing::TestPostgres>(dir_.path());
      env_["MPLI_DATABASE_URL"] = pg_->dsn();
      discovery_ = std::make_unique<process::ChildProcess>(
          testing::start_binary("mpli-discovery", env_, dir_.path()));
    }
    gateway_ = std::make_unique<process::ChildProcess>(
        testing::start_binary("mpli-gateway", env_, dir_.path()));
    // /healthz is never rate limited, so waiting costs no client its tokens.
    testing::wait_until([&] { return get("/healthz").status == 200; }, 60s, "the gateway answers");
    if (with_discovery) {
      testing::wait_until([&] { return get("/v1/providers").status == 200; }, 60s,
                          "discovery answers through the gateway");
    }
  }

  std::string nats_url() const { return nats_.url(); }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  testing::HttpExchange get(const std::string& path, const std::vector<std::string>& headers = {}) {
    return testing::http_exchange("GET", url(path), "", headers, 15s);
  }
  std::string log(const std::string& binary) const {
    return read_file(dir_.path() + "/" + binary + ".log");
  }
  testing::HttpExchange upload(const std::string& turtle) {
    return testing::http_exchange(
        "POST", url("/v1/providers"), turtle,
        {"Content-Type: text/turtle", testing::TestTokens::bearer(tokens_.admin())}, 30s);
  }
  const testing::TestTokens& tokens() const { return tokens_; }

 private:
  testing::TempDir dir_;
  testing::TestNats nats_;
  testing::TestTokens tokens_;
  std::unique_ptr<testing::TestPostgres> pg_;
  Env env_;
  int port_ = 0;
  std::unique_ptr<process::ChildProcess> discovery_;
  std::unique_ptr<process::ChildProcess> gateway_;
};

// The access log lines of the gateway that carry `correlation_id`.
std::vector<json> request_lines(const std::string& log, const std::string& correlation_id) {
  std::vector<json> out;
  std::istringstream lines(log);
  std::string line;
  while (std::getline(lines, line)) {
    auto parsed = json::parse(line, nullptr, false);
    if (parsed.is_object() && parsed.value("msg", "") == "http request" &&
        parsed.value("correlation_id", "") == correlation_id) {
      out.push_back(parsed);
    }
  }
  return out;
}

}  // namespace

TEST_CASE("the request id is answered, logged once with the route, and reaches the service") {
  Hub hub(true);
  // A plain subscriber sees every request to discovery, with its headers.
  bus::ConnectOptions options;
  options.url = hub.nats_url();
  options.name = "ops-test-monitor";
  auto bus = bus::Connection::connect(options);
  REQUIRE(bus.is_ok());
  REQUIRE((*bus)->wait_connected(10s).is_ok());
  std::mutex mutex;
  std::vector<std::string> correlations;
  auto monitor = (*bus)->subscribe("mpli.discovery.v1.get_provider", [&](const bus::Message& m) {
    std::lock_guard<std::mutex> lock(mutex);
    correlations.push_back(m.header(bus::kCorrelationHeader));
  });
  REQUIRE(monitor.is_ok());
  REQUIRE((*bus)->flush(5s).is_ok());

  const std::string id = "ops-test-" + ids::new_uuid_v7();
  const std::string token = hub.tokens().consumer("ops-tenant");
  auto answer = hub.get("/v1/providers/nobody?x=secret-query-value",
                        {"X-Request-Id: " + id, testing::TestTokens::bearer(token)});
  REQUIRE(answer.status == 404);
  CHECK(answer.header("x-request-id") == id);

  // The gateway's one line for it: the pattern, not the path; never the token or the query.
  testing::wait_until([&] { return request_lines(hub.log("mpli-gateway"), id).size() == 1; }, 30s,
                      "the gateway logs the request");
  json line = request_lines(hub.log("mpli-gateway"), id).front();
  CHECK(line["method"] == "GET");
  CHECK(line["route"] == "/v1/providers/:id");
  CHECK(line["status"] == 404);
  CHECK(line["bytes"].get<int>() > 0);
  CHECK(line["duration_ms"].is_number());
  CHECK(line["client"] == "127.0.0.1");
  std::string gateway_log = hub.log("mpli-gateway");
  CHECK(gateway_log.find(token) == std::string::npos);
  CHECK(gateway_log.find(token.substr(token.rfind('.') + 1)) == std::string::npos);
  CHECK(gateway_log.find("secret-query-value") == std::string::npos);

  // The bus request to discovery carried the same id (the kit logs under it).
  testing::wait_until(
      [&] {
        std::lock_guard<std::mutex> lock(mutex);
        return !correlations.empty();
      },
      30s, "the monitor sees the request to discovery");
  {
    std::lock_guard<std::mutex> lock(mutex);
    CHECK(correlations == std::vector<std::string>{id});
  }

  // An id that is not a sane token is replaced, never echoed.
  auto forged = hub.get("/healthz", {"X-Request-Id: evil\"id with spaces"});
  REQUIRE(forged.status == 200);
  CHECK(ids::is_uuid(forged.header("x-request-id")));
  auto fresh = hub.get("/healthz");
  CHECK(ids::is_uuid(fresh.header("x-request-id")));
  CHECK(fresh.header("x-request-id") != forged.header("x-request-id"));
}

TEST_CASE("GET /metrics reports requests, bus calls and every service's endpoints") {
  Hub hub(true);
  REQUIRE(hub.get("/v1/providers").status == 200);
  REQUIRE(hub.get("/v1/offerings").status == 200);
  REQUIRE(hub.get("/v1/providers/nobody").status == 404);

  auto metrics = hub.get("/metrics");
  INFO(metrics.body);
  REQUIRE(metrics.status == 200);
  CHECK(metrics.header("content-type") == "text/plain; version=0.0.4; charset=utf-8");
  const std::string& text = metrics.body;
  auto has = [&](const std::string& needle) { return text.find(needle) != std::string::npos; };
  CHECK(
      has("\nmpli_gateway_requests_total{route=\"/v1/offerings\",method=\"GET\",status=\"200\"} "));
  CHECK(
      has("\nmpli_gateway_requests_total{route=\"/v1/providers/"
          ":id\",method=\"GET\",status=\"404\"} 1\n"));
  CHECK(
      has("\nmpli_gateway_request_duration_seconds_bucket{route=\"/v1/offerings\",le=\"+Inf\"} "));
  CHECK(has("\nmpli_gateway_bus_errors_total{service=\"discovery\",code=\"not_found\"} 1\n"));
  CHECK(has("\nmpli_gateway_executor_queue_depth{executor=\"quick\"} "));
  CHECK(has("\nmpli_gateway_executor_refused_total{executor=\"slow\"} 0\n"));
  // Discovery answers its statistics; the services that are not running read 0, not an error.
  CHECK(has("\nmpli_service_up{service=\"discovery\"} 1\n"));
  CHECK(has("\nmpli_service_up{service=\"resolver\"} 0\n"));
  CHECK(has("\nmpli_service_requests_total{service=\"discovery\",endpoint=\"list_offerings\","));
  CHECK(has("\nmpli_service_errors_total{service=\"discovery\",endpoint=\"get_provider\","));
  CHECK(
      has("\nmpli_service_request_duration_seconds_bucket{service=\"discovery\",endpoint=\"list_"
          "offerings\","));
  // Every sample line is `name{labels} value` or `name value`.
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    INFO(line);
    CHECK(line.rfind("mpli_", 0) == 0);
    CHECK(line.find(' ') != std::string::npos);
  }
}

TEST_CASE("a client over its rate is answered 429 with Retry-After, and others are not") {
  // No discovery: the limited route answers 503 quickly, and the limit comes before it.
  Hub hub(false, {{"MPLI_RATELIMIT_REQUESTS_PER_SECOND", "1"}, {"MPLI_RATELIMIT_BURST", "2"}});
  const std::string client_a = testing::TestTokens::bearer(hub.tokens().consumer("a"));
  const std::string client_b = testing::TestTokens::bearer(hub.tokens().consumer("b"));
  testing::HttpExchange limited;
  for (int i = 0; i < 50 && limited.status != 429; ++i) {
    limited = hub.get("/v1/providers", {client_a});
  }
  INFO(limited.body);
  REQUIRE(limited.status == 429);
  CHECK(limited.header("content-type") == "application/problem+json");
  CHECK(std::stoi(limited.header("retry-after")) >= 1);
  auto problem = json::parse(limited.body);
  CHECK(problem["status"] == 429);
  CHECK(problem["code"] == "resource_exhausted");
  // Another verified token has its own bucket (its first request, not yet verified, draws from
  // the address's, which client a's first request left one request in); probes are never
  // limited.
  CHECK(hub.get("/v1/providers", {client_b}).status != 429);
  CHECK(hub.get("/v1/providers", {client_b}).status != 429);
  CHECK(hub.get("/healthz", {client_a}).status == 200);
  // Made-up tokens never verify, so they share their address's bucket: a client cannot escape
  // the limit by sending each request with a new one.
  testing::HttpExchange made_up;
  int sent = 0;
  for (; sent < 50 && made_up.status != 429; ++sent) {
    made_up = hub.get("/v1/providers", {"Authorization: Bearer made-up-" + std::to_string(sent)});
  }
  INFO(made_up.body);
  CHECK(made_up.status == 429);
  CHECK(sent <= 4);
  auto metrics = hub.get("/metrics");
  CHECK(metrics.body.find("mpli_gateway_requests_total{route=\"/v1/providers\",method=\"GET\","
                          "status=\"429\"}") != std::string::npos);
}

TEST_CASE("catalogue reads carry an ETag and answer 304 to a matching If-None-Match") {
  Hub hub(true);
  REQUIRE(hub.upload(read_example("provider-polderstack-nl.ttl")).status == 201);
  for (const std::string path : {"/v1/offerings?limit=20", "/v1/providers",
                                 "/v1/providers/polderstack", "/.well-known/mpli-providers"}) {
    INFO(path);
    auto first = hub.get(path);
    REQUIRE(first.status == 200);
    std::string etag = first.header("etag");
    REQUIRE(etag.size() == 34);                   // 32 hex digits in quotes
    CHECK(hub.get(path).header("etag") == etag);  // the same representation, the same tag

    auto same = hub.get(path, {"If-None-Match: " + etag});
    CHECK(same.status == 304);
    CHECK(same.body.empty());
    CHECK(same.header("etag") == etag);
    CHECK(hub.get(path, {"If-None-Match: \"other\", W/" + etag}).status == 304);
    CHECK(hub.get(path, {"If-None-Match: *"}).status == 304);
    CHECK(hub.get(path, {"If-None-Match: \"other\""}).status == 200);
  }
  // A change to the catalogue changes the tag.
  auto before = hub.get("/v1/providers").header("etag");
  REQUIRE(hub.upload(read_example("provider-hexacloud-fr.ttl")).status == 201);
  auto after = hub.get("/v1/providers", {"If-None-Match: " + before});
  CHECK(after.status == 200);
  CHECK(after.header("etag") != before);

  // An offering's JSON and Turtle are different representations with different tags.
  auto offerings = json::parse(hub.get("/v1/offerings?limit=1").body);
  REQUIRE(!offerings["offerings"].empty());
  std::string id = offerings["offerings"][0]["id"];
  std::string encoded;
  for (unsigned char c : id) {
    char hex[4];
    std::snprintf(hex, sizeof(hex), "%%%02X", c);
    encoded += std::isalnum(c) ? std::string(1, static_cast<char>(c)) : std::string(hex);
  }
  auto as_json = hub.get("/v1/offerings/" + encoded);
  auto as_turtle = hub.get("/v1/offerings/" + encoded, {"Accept: text/turtle"});
  REQUIRE(as_json.status == 200);
  REQUIRE(as_turtle.status == 200);
  CHECK(as_json.header("etag") != as_turtle.header("etag"));
  CHECK(hub.get("/v1/offerings/" + encoded,
                {"Accept: text/turtle", "If-None-Match: " + as_turtle.header("etag")})
            .status == 304);
  // The streamed catalogue has no version to tag: no ETag, never a 304.
  auto catalog = hub.get("/v1/catalog", {"If-None-Match: *"});
  CHECK(catalog.status == 200);
  CHECK(catalog.header("etag").empty());
}

TEST_CASE(
    "catalogue reads come from the read cache until an event or a change through the "
    "gateway empties it") {
  // An hour's max_age: only invalidation can make a change visible within this test.
  Hub hub(true, {{"MPLI_CACHE_CATALOGUE_MAX_AGE", "1h"}});
  REQUIRE(hub.upload(read_example("provider-polderstack-nl.ttl")).status == 201);
  auto listed = [&hub] {
    auto answer = hub.get("/v1/providers");
    REQUIRE(answer.status == 200);
    return json::parse(answer.body)["providers"].size();
  };
  CHECK(listed() == 1);  // a change through this gateway is seen by its next read
  CHECK(listed() == 1);  // and kept

  // A registration this gateway does not see: straight to discovery on the bus. Only its
  // event can empty the cache.
  bus::ConnectOptions options;
  options.url = hub.nats_url();
  options.name = "ops-test-registrar";
  auto bus = bus::Connection::connect(options);
  REQUIRE(bus.is_ok());
  REQUIRE((*bus)->wait_connected(10s).is_ok());
  discovery::v1::RegisterProviderRequest request;
  request.set_manifest_turtle(read_example("provider-hexacloud-fr.ttl"));
  auto reply = bus::call<discovery::v1::RegisterProviderReply>(
      **bus, "mpli.discovery.v1.register_provider", request, 30s);
  REQUIRE(reply.is_ok());
  testing::wait_until([&] { return listed() == 2; }, 30s,
                      "the registration's event empties the gateway's read cache");

  // Deleted through the gateway: its next read no longer lists it.
  auto deleted = testing::http_exchange("DELETE", hub.url("/v1/providers/hexacloud"), "",
                                        {testing::TestTokens::bearer(hub.tokens().admin())}, 15s);
  REQUIRE(deleted.status == 204);
  CHECK(listed() == 1);
}
