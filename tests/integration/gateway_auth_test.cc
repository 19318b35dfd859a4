// Bearer tokens at the real mpli-gateway (nats-server behind it, no services: every refusal here
// comes before any bus call): every protected route answers 401 without a token (with
// WWW-Authenticate) and with an expired, wrongly signed or `alg: none` one; a provider cannot
// delete or refresh another provider (403); public routes stay public but still refuse a bad
// token; and tokens of an OIDC issuer verify against its JWKS, fetched from a local server.
#include <catch2/catch.hpp>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>

#include "libs/credentials/base64url.h"
#include "libs/credentials/jwk.h"
#include "libs/testing/environment.h"
#include "libs/testing/http_exchange.h"
#include "libs/testing/http_test_server.h"
#include "libs/testing/tokens.h"

using namespace mpli;
using namespace std::chrono_literals;
using nlohmann::json;
using testing::TestTokens;

namespace {

using Env = std::map<std::string, std::string>;

class Gateway {
 public:
  explicit Gateway(const Env& extra = {}) : nats_(dir_.path()), tokens_(dir_.path()) {
    auto port = process::free_tcp_port();
    REQUIRE(port.is_ok());
    base_ = "http://127.0.0.1:" + std::to_string(*port);
    Env env = {
        {"MPLI_NATS_URL", nats_.url()},
        {"MPLI_HTTP_PORT", std::to_string(*port)},
        {"MPLI_REQUEST_TIMEOUT", "1s"},
        {"MPLI_REQUEST_LONG_TIMEOUT", "1s"},
        {"MPLI_REQUEST_RESOLVE_TIMEOUT", "1s"},
        {"MPLI_AUTH_SIGNING_KEY_FILE", tokens_.key_file()},
        // Every route with many bad tokens from one address: invalid tokens share the address's
        // rate limit (gateway_ops_test checks that), which is not what this test is about.
        {"MPLI_RATELIMIT_REQUESTS_PER_SECOND", "0"}};
    for (const auto& [k, v] : extra) env[k] = v;
    gateway_ = std::make_unique<process::ChildProcess>(
        testing::start_binary("mpli-gateway", env, dir_.path()));
    testing::wait_until([&] { return testing::http_get(base_ + "/healthz", 2s).status == 200; },
                        60s, "the gateway answers /healthz");
  }
  testing::HttpExchange send(const std::string& method, const std::string& path,
                             const std::string& body, std::vector<std::string> headers) {
    return testing::http_exchange(method, base_ + path, body, headers, 30s);
  }
  const TestTokens& tokens() const { return tokens_; }
  const std::string& dir() const { return dir_.path(); }

 private:
  testing::TempDir dir_;
  testing::TestNats nats_;
  TestTokens tokens_;
  std::string base_;
  std::unique_ptr<process::ChildProcess> gateway_;
};

struct Route {
  std::string method;
  std::string path;
  std::string content_type;
  std::string body;
};

// Every route that needs a token, with a body it would accept.
const std::vector<Route> kProtected = {
    {"POST", "/v1/providers", "application/json", R"({"manifest_url": "https://p.example/m.ttl"})"},
    {"DELETE", "/v1/providers/hexacloud", "", ""},
    {"POST", "/v1/providers/hexacloud/refresh", "", ""},
    {"POST", "/v1/credentials", "application/vc+jwt", "eyJhbGciOiJFUzI1NiJ9.e30.c2ln"},
    {"POST", "/v1/credentials/verify", "application/vc+jwt", "eyJhbGciOiJFUzI1NiJ9.e30.c2ln"},
    {"GET", "/v1/credentials?subject=did%3Aweb%3Ap.example", "", ""},
    {"GET", "/v1/facts?subject=did%3Aweb%3Ap.example", "", ""},
    {"GET", "/v1/trust/anchors", "", ""},
    {"PUT", "/v1/trust/anchors", "application/json", R"({"anchors": []})"},
    {"POST", "/v1/credentials/issue", "application/json", R"({"credentialSubject": {}})"},
    {"POST", "/v1/resolutions", "text/turtle", "<urn:a> <urn:b> <urn:c> .\n"},
    {"GET", "/v1/resolutions/res_1", "", ""},
    {"POST", "/v1/resolutions/res_1/answers/1/recheck", "", ""},
};

const std::vector<std::string> kPublic = {
    "/v1/offerings",         "/v1/offerings/x",         "/v1/catalog",
    "/v1/providers",         "/v1/providers/hexacloud", "/.well-known/mpli-providers",
    "/.well-known/jwks.json"};

std::vector<std::string> headers_for(const Route& route, const std::string& token) {
  std::vector<std::string> headers;
  if (!route.content_type.empty()) headers.push_back("Content-Type: " + route.content_type);
  if (!token.empty()) headers.push_back(TestTokens::bearer(token));
  return headers;
}

json problem_of(const testing::HttpExchange& answer) {
  INFO(answer.body);
  REQUIRE(answer.header("content-type") == "application/problem+json");
  json problem = json::parse(answer.body, nullptr, false);
  REQUIRE(problem.is_object());
  return problem;
}

// Tokens that must never get past the gateway, by what is wrong with them.
std::vector<std::pair<std::string, std::string>> bad_tokens(const TestTokens& tokens) {
  auto other = credentials::SigningKey::generate(credentials::KeyType::kP256);
  REQUIRE(other.is_ok());
  json admin = {{"role", "admin"}, {"sub", "admin"}};
  json expired = admin;
  expired["exp"] = tokens.default_claims()["iat"].get<int64_t>() - 3600;
  json future = admin;
  future["nbf"] = tokens.default_claims()["iat"].get<int64_t>() + 3600;
  json other_audience = admin;
  other_audience["aud"] = "someone-else";
  std::string good = tokens.admin();
  std::string payload = good.substr(good.find('.') + 1, good.rfind('.') - good.find('.') - 1);
  std::string none_header =
      credentials::base64url_encode(json{{"alg", "none"}, {"typ", "JWT"}}.dump());
  std::string tampered = good;
  tampered[tampered.size() - 3] = tampered[tampered.size() - 3] == 'A' ? 'B' : 'A';
  return {
      {"expired", tokens.sign(expired)},
      {"not yet valid", tokens.sign(future)},
      {"signed by another key", tokens.sign(admin, *other, {{"kid", tokens.kid()}})},
      {"alg none", none_header + "." + payload + "."},
      {"alg none with a signature",
       none_header + "." + payload + "." + credentials::base64url_encode("sig")},
      {"a changed signature", tampered},
      {"another audience", tokens.sign(other_audience)},
      {"not a JWS", "not-a-token"},
  };
}

}  // namespace

TEST_CASE("every protected route answers 401 with WWW-Authenticate without a token") {
  Gateway gateway;
  for (const auto& route : kProtected) {
    INFO(route.method << " " << route.path);
    auto answer = gateway.send(route.method, route.path, route.body, headers_for(route, ""));
    REQUIRE(answer.status == 401);
    CHECK(answer.header("www-authenticate") == "Bearer realm=\"mpli\"");
    CHECK(problem_of(answer)["status"] == 401);
  }
}

TEST_CASE("expired, wrongly signed and alg none tokens answer 401 invalid_token everywhere") {
  Gateway gateway;
  auto bad = bad_tokens(gateway.tokens());
  for (const auto& [what, token] : bad) {
    for (const auto& route : kProtected) {
      INFO(what << ": " << route.method << " " << route.path);
      auto answer = gateway.send(route.method, route.path, route.body, headers_for(route, token));
      REQUIRE(answer.status == 401);
      CHECK(answer.header("www-authenticate") == "Bearer realm=\"mpli\", error=\"invalid_token\"");
      CHECK(answer.body.find(token) == std::string::npos);
    }
    // Public routes need no token, but one that is sent is still checked.
    for (const auto& path : kPublic) {
      INFO(what << ": GET " << path);
      CHECK(gateway.send("GET", path, "", {TestTokens::bearer(token)}).status == 401);
    }
  }
  // Without one they answer (here 503/504: nobody serves the catalogue), the JWKS at once.
  for (const auto& path : kPublic) {
    INFO("GET " << path);
    int status = gateway.send("GET", path, "", {}).status;
    CHECK(status != 401);
    CHECK(status != 403);
  }
  // An Authorization header of another scheme is not a bearer token either.
  auto basic = gateway.send("GET", "/v1/trust/anchors", "", {"Authorization: Basic YTpi"});
  CHECK(basic.status == 401);
  // No token ever reaches the log.
  std::ifstream log(gateway.dir() + "/mpli-gateway.log");
  std::stringstream text;
  text << log.rdbuf();
  for (const auto& [what, token] : bad) {
    INFO(what);
    CHECK(text.str().find(token) == std::string::npos);
  }
}

TEST_CASE("a provider cannot delete or refresh another provider, nor use admin routes: 403") {
  Gateway gateway;
  std::string hexacloud = gateway.tokens().provider("hexacloud");
  for (const std::string& path :
       {std::string("/v1/providers/nordwolke"), std::string("/v1/providers/nordwolke/refresh")}) {
    std::string method = path.find("refresh") == std::string::npos ? "DELETE" : "POST";
    auto answer = gateway.send(method, path, "", {TestTokens::bearer(hexacloud)});
    INFO(method << " " << path << ": " << answer.body);
    REQUIRE(answer.status == 403);
    CHECK(problem_of(answer)["detail"].get<std::string>().find("nordwolke") != std::string::npos);
    // Its own: past the gateway (no discovery here, so 503/504).
    std::string own = path;
    own.replace(own.find("nordwolke"), 9, "hexacloud");
    int status = gateway.send(method, own, "", {TestTokens::bearer(hexacloud)}).status;
    CHECK((status == 503 || status == 504));
    // Consumers and marketplaces manage no provider.
    CHECK(gateway.send(method, own, "", {TestTokens::bearer(gateway.tokens().consumer("acme"))})
              .status == 403);
  }
  for (const auto& route : kProtected) {
    if (route.path.find("/v1/trust") == std::string::npos &&
        route.path.find("/issue") == std::string::npos &&
        route.path.find("resolutions") == std::string::npos) {
      continue;
    }
    INFO(route.method << " " << route.path);
    CHECK(
        gateway.send(route.method, route.path, route.body, headers_for(route, hexacloud)).status ==
        403);
  }
}

TEST_CASE("a marketplace acts only for the tenants its token lists") {
  Gateway gateway;
  std::string marketplace = TestTokens::bearer(gateway.tokens().marketplace({"acme", "globex"}));
  auto for_tenant = [&](const std::string& tenant) {
    std::vector<std::string> headers = {marketplace};
    if (!tenant.empty()) headers.push_back("Mpli-On-Behalf-Of: " + tenant);
    return gateway.send("GET", "/v1/resolutions/res_1", "", headers).status;
  };
  CHECK(for_tenant("initech") == 403);
  CHECK(for_tenant("") == 403);
  int listed = for_tenant("globex");
  CHECK((listed == 503 || listed == 504));  // past the gateway: no resolver here
  // A consumer cannot borrow the header to act for someone else.
  CHECK(gateway
            .send("GET", "/v1/resolutions/res_1", "",
                  {TestTokens::bearer(gateway.tokens().consumer("acme")),
                   "Mpli-On-Behalf-Of: globex"})
            .status == 403);
}

TEST_CASE("OIDC: tokens of a configured issuer verify against its JWKS, fetched by kid") {
  auto first = credentials::SigningKey::generate(credentials::KeyType::kP256);
  auto second = credentials::SigningKey::generate(credentials::KeyType::kP256);
  REQUIRE(first.is_ok());
  REQUIRE(second.is_ok());
  std::mutex mutex;
  bool rotated = false;
  int jwks_fetches = 0;
  std::string issuer;
  testing::HttpTestServer idp([&](const testing::HttpTestRequest& request) {
    std::lock_guard<std::mutex> lock(mutex);
    testing::HttpTestResponse response;
    response.headers["Content-Type"] = "application/json";
    if (request.path == "/.well-known/openid-configuration") {
      response.body = json{{"issuer", issuer}, {"jwks_uri", issuer + "/keys"}}.dump();
    } else if (request.path == "/keys") {
      ++jwks_fetches;
      json keys = json::array();
      json k1 = credentials::public_jwk(first->public_key());
      k1["kid"] = "k1";
      keys.push_back(k1);
      if (rotated) {
        json k2 = credentials::public_jwk(second->public_key());
        k2["kid"] = "k2";
        keys.push_back(k2);
      }
      response.body = json{{"keys", keys}}.dump();
    } else {
      response.status = 404;
    }
    return response;
  });
  issuer = idp.url("");
  while (!issuer.empty() && issuer.back() == '/') issuer.pop_back();
  Gateway gateway(
      Env{{"MPLI_AUTH_OIDC_ISSUERS", issuer}, {"MPLI_AUTH_OIDC_ALLOW_LOOPBACK", "true"}});
  const TestTokens& tokens = gateway.tokens();
  auto oidc_token = [&](const credentials::SigningKey& key, const std::string& kid,
                        const std::string& role) {
    return tokens.sign(
        {{"iss", issuer}, {"sub", "alice"}, {"mpli_role", role}, {"mpli_tenant", "acme"}}, key,
        {{"kid", kid}, {"typ", "JWT"}});
  };
  auto anchors = [&](const std::string& token) {
    return gateway.send("GET", "/v1/trust/anchors", "", {TestTokens::bearer(token)}).status;
  };
  int admin = anchors(oidc_token(*first, "k1", "admin"));
  CHECK((admin == 503 || admin == 504));  // accepted: on to the (absent) trust service
  CHECK(anchors(oidc_token(*first, "k1", "consumer")) == 403);
  CHECK(anchors(oidc_token(*second, "k1", "admin")) == 401);  // k1's kid, another key
  // The hub's own tokens still work beside the issuer's.
  int hub = anchors(tokens.admin());
  CHECK((hub == 503 || hub == 504));
  // Unknown kids are refused, and do not make the gateway hammer the issuer.
  for (int i = 0; i < 10; ++i) CHECK(anchors(oidc_token(*second, "k2", "admin")) == 401);
  {
    std::lock_guard<std::mutex> lock(mutex);
    CHECK(jwks_fetches <= 2);
    rotated = true;
  }
  // After a rotation the new kid is accepted once the JWKS may be fetched again (30 s).
  testing::wait_until([&] { return anchors(oidc_token(*second, "k2", "admin")) != 401; }, 90s,
                      "the rotated key is fetched");
}
