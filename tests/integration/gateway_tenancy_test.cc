// Tenancy through the real gateway and the real services (nats-server, PostgreSQL,
// mpli-discovery, mpli-trust, mpli-resolver, mpli-gateway): another tenant's resolution answers
// 404 exactly like a missing one, never its data, whoever asks (a consumer, a marketplace acting
// for another tenant); and a provider's token registers only a manifest naming that provider.
// These need the services' side of tenancy (ResolveRequest.tenant, GetResolutionRequest.tenant,
// RecheckAnswerRequest.tenant, RegisterProviderRequest.expected_provider_id); the gateway's own
// refusals, which need no service, are in gateway_auth_test.cc.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <thread>

#include "libs/testing/environment.h"
#include "libs/testing/http_exchange.h"
#include "libs/testing/tokens.h"

using namespace mpli;
using namespace std::chrono_literals;
using nlohmann::json;
using testing::TestTokens;

namespace {

class Hub {
 public:
  explicit Hub(const std::vector<std::string>& services)
      : nats_(dir_.path()), pg_(dir_.path()), tokens_(dir_.path()) {
    auto port = process::free_tcp_port();
    REQUIRE(port.is_ok());
    base_ = "http://127.0.0.1:" + std::to_string(*port);
    std::map<std::string, std::string> env = {{"MPLI_NATS_URL", nats_.url()},
                                              {"MPLI_DATABASE_URL", pg_.dsn()},
                                              {"MPLI_HTTP_PORT", std::to_string(*port)},
                                              {"MPLI_FETCH_ALLOW_HTTP", "true"},
                                              {"MPLI_FETCH_ALLOW_LOOPBACK", "true"},
                                              {"MPLI_AUTH_SIGNING_KEY_FILE", tokens_.key_file()}};
    for (const auto& service : services) {
      processes_.push_back(testing::start_binary("mpli-" + service, env, dir_.path()));
    }
    processes_.push_back(testing::start_binary("mpli-gateway", env, dir_.path()));
    testing::wait_until([&] { return testing::http_get(base_ + "/v1/providers").status == 200; },
                        60s, "discovery answers through the gateway");
  }
  testing::HttpExchange send(const std::string& method, const std::string& path,
                             const std::string& token, const std::string& body = "",
                             std::vector<std::string> headers = {}) {
    headers.push_back(TestTokens::bearer(token));
    return testing::http_exchange(method, base_ + path, body, headers, 30s);
  }
  const TestTokens& tokens() const { return tokens_; }

 private:
  testing::TempDir dir_;
  testing::TestNats nats_;
  testing::TestPostgres pg_;
  TestTokens tokens_;
  std::string base_;
  std::vector<process::ChildProcess> processes_;
};

// Not found, and nothing of the resolution in the answer.
void check_hidden(const testing::HttpExchange& answer, const std::string& what) {
  INFO(what << ": " << answer.status << " " << answer.body);
  CHECK(answer.status == 404);
  CHECK(answer.header("content-type") == "application/problem+json");
  CHECK(answer.body.find("manifest_sha256") == std::string::npos);
  CHECK(answer.body.find("answers") == std::string::npos);
  CHECK(answer.body.find("acme.example") == std::string::npos);
}

const char* kManifest = R"(@base <https://acme.example/mpli/db.ttl> .
@prefix mpli: <https://w3id.org/mpli#> .
@prefix gx: <https://w3id.org/gaia-x/development#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix schema: <https://schema.org/> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
<> a mpli:ConsumerManifest ; mpli:consumer <#consumer> ; mpli:requirement <#db> .
<#consumer> a mpli:Consumer ; mpli:legalPerson <#lp> .
<#lp> a gx:LegalPerson ; schema:name "Acme SAS" ; gx:legalAddress [ a gx:Address ; gx:countryCode "FR" ] .
<#db> a mpli:Requirement ; rdfs:label "Database" ; mpli:quantity 1 ; mpli:requirementShape <#s> .
<#s> a sh:NodeShape ; sh:property [ sh:path mpli:offeringKind ; sh:hasValue mpli:ManagedPostgreSQL ] .
)";

}  // namespace

TEST_CASE("resolution tenancy: another tenant's resolution is 404 like a missing one, never data") {
  Hub hub({"discovery", "trust", "resolver"});
  const TestTokens& tokens = hub.tokens();
  std::string acme = tokens.consumer("acme");
  std::string globex = tokens.consumer("globex");
  testing::HttpExchange created;
  // The resolver answers 503 until its index has loaded.
  auto deadline = std::chrono::steady_clock::now() + 60s;
  do {
    created = hub.send("POST", "/v1/resolutions", acme, kManifest, {"Content-Type: text/turtle"});
    if (created.status == 201) break;
    std::this_thread::sleep_for(200ms);
  } while (std::chrono::steady_clock::now() < deadline);
  INFO(created.body);
  REQUIRE(created.status == 201);
  std::string id = json::parse(created.body)["id"];
  std::string resource = "/v1/resolutions/" + id;
  std::string recheck = resource + "/answers/1/recheck";

  // The owner and the admin see it.
  CHECK(hub.send("GET", resource, acme).status == 200);
  CHECK(hub.send("GET", resource, tokens.admin()).status == 200);
  std::string marketplace = tokens.marketplace({"acme", "globex"});
  CHECK(hub.send("GET", resource, marketplace, "", {"Mpli-On-Behalf-Of: acme"}).status == 200);

  // Nobody else does: the same answer as for an id that does not exist.
  auto missing =
      hub.send("GET", "/v1/resolutions/res_00000000-0000-7000-8000-000000000000", globex);
  CHECK(missing.status == 404);
  check_hidden(hub.send("GET", resource, globex), "another consumer reads it");
  check_hidden(hub.send("POST", recheck, globex), "another consumer rechecks it");
  check_hidden(hub.send("GET", resource, marketplace, "", {"Mpli-On-Behalf-Of: globex"}),
               "a marketplace acting for another tenant reads it");
  check_hidden(hub.send("POST", recheck, marketplace, "", {"Mpli-On-Behalf-Of: globex"}),
               "a marketplace acting for another tenant rechecks it");
  // Roles that have no tenant are refused outright.
  CHECK(hub.send("GET", resource, tokens.provider("hexacloud")).status == 403);
  CHECK(hub.send("GET", resource, marketplace, "", {"Mpli-On-Behalf-Of: initech"}).status == 403);
}

TEST_CASE("provider tenancy: a provider's token cannot register a manifest naming another one") {
  Hub hub({"discovery"});
  const TestTokens& tokens = hub.tokens();
  std::string polderstack = testing::read_example("provider-polderstack-nl.ttl");
  auto upload = [&](const std::string& token) {
    return hub.send("POST", "/v1/providers", token, polderstack, {"Content-Type: text/turtle"});
  };
  auto foreign = upload(tokens.provider("hexacloud"));
  INFO(foreign.body);
  CHECK(foreign.status == 403);
  CHECK(foreign.body.find("polderstack") != std::string::npos);
  CHECK(foreign.body.find("hexacloud") != std::string::npos);
  CHECK(hub.send("GET", "/v1/providers/polderstack", tokens.admin()).status ==
        404);  // nothing kept

  auto own = upload(tokens.provider("polderstack"));
  INFO(own.body);
  CHECK(own.status == 201);
  CHECK(hub.send("DELETE", "/v1/providers/polderstack", tokens.provider("hexacloud")).status ==
        403);
  CHECK(
      hub.send("POST", "/v1/providers/polderstack/refresh", tokens.provider("hexacloud")).status ==
      403);
  CHECK(hub.send("GET", "/v1/providers/polderstack", tokens.admin()).status == 200);
  CHECK(hub.send("DELETE", "/v1/providers/polderstack", tokens.provider("polderstack")).status ==
        204);
}
