// The resolver end to end on real components: nats-server, PostgreSQL, mpli-discovery,
// mpli-trust and mpli-resolver, with a provider web site serving the Hexacloud manifest and the
// credentials it points to. The resolver's index learns the provider and its verified facts
// from events, loses an answer when trust withdraws a revoked certificate, rebuilds itself
// after a restart, and takes a consumer's credentials inline.
#include <signal.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "libs/bus/call.h"
#include "libs/credentials/status_list.h"
#include "libs/process/child_process.h"
#include "libs/testing/environment.h"
#include "libs/testing/tokens.h"
#include "mpli/discovery/v1/discovery.pb.h"
#include "mpli/resolver/v1/resolver.pb.h"
#include "mpli/trust/v1/trust.pb.h"
#include "tests/integration/credential_fixtures.h"
#include "tests/integration/manifest_check_fixture.h"

using namespace mpli;
using namespace std::chrono_literals;
using credentials::KeyType;
using nlohmann::json;
using testing::certification;
using testing::legal_person;
using testing::read_example;
using testing::Site;
using testing::TestIssuer;

namespace {

constexpr const char* kMpli = "https://w3id.org/mpli#";
constexpr const char* kProvider = "https://hexacloud.example/.well-known/mpli.ttl#provider";
constexpr const char* kPgOffering = "https://hexacloud.example/.well-known/mpli.ttl#pg-snc";
constexpr const char* kConsumer = "https://acme.example/mpli/db.ttl#consumer";

// A French consumer who needs a PostgreSQL database from a provider with a verified
// certification `standard`.
std::string consumer_manifest(const std::string& standard) {
  return R"(@base <https://acme.example/mpli/db.ttl> .
@prefix mpli: <https://w3id.org/mpli#> .
@prefix gx: <https://w3id.org/gaia-x/development#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix schema: <https://schema.org/> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
<> a mpli:ConsumerManifest ; mpli:consumer <#consumer> ; mpli:requirement <#db> .
<#consumer> a mpli:Consumer ; mpli:legalPerson <#lp> .
<#lp> a gx:LegalPerson ; schema:name "Acme SAS" ; gx:legalAddress [ a gx:Address ; gx:countryCode "FR" ] .
<#db> a mpli:Requirement ; rdfs:label "Database" ; mpli:quantity 1 ; mpli:requirementShape <#db-shape> .
<#db-shape> a sh:NodeShape ;
  sh:property [ sh:path mpli:offeringKind ; sh:hasValue mpli:ManagedPostgreSQL ] ,
              [ sh:path ( mpli:provider mpli:verifiedCertification ) ; sh:hasValue mpli:)" +
         standard + R"( ] .
)";
}

class ResolverHub {
 public:
  ResolverHub(const std::string& anchors, const std::string& rewrite)
      : nats_(dir_.path()), pg_(dir_.path()), tokens_(dir_.path()) {
    std::string anchors_file = dir_.path() + "/anchors.json";
    std::ofstream(anchors_file) << anchors;
    env_ = {{"MPLI_NATS_URL", nats_.url()},
            {"MPLI_DATABASE_URL", pg_.dsn()},
            {"MPLI_FETCH_ALLOW_HTTP", "true"},
            {"MPLI_FETCH_ALLOW_LOOPBACK", "true"},
            {"MPLI_ANCHORS_FILE", anchors_file},
            {"MPLI_RECHECK_INTERVAL", "1s"},
            {"MPLI_STATUS_CACHE_TTL", "1s"},
            {"MPLI_FETCH_REWRITE", rewrite},
            // Compaction as soon as the term table doubles, checked every second.
            {"MPLI_INDEX_COMPACTION_SLACK", "0"},
            {"MPLI_INDEX_COMPACTION_CHECK", "1s"},
            // The heap's free pages back to the kernel after two quiet seconds.
            {"MPLI_MEMORY_TRIM_AFTER_IDLE", "2s"},
            {"MPLI_AUTH_SIGNING_KEY_FILE", tokens_.key_file()}};
    auto port = process::free_tcp_port();
    REQUIRE(port.is_ok());
    env_["MPLI_HTTP_PORT"] = std::to_string(*port);
    base_ = "http://127.0.0.1:" + std::to_string(*port);
    discovery_ = start("mpli-discovery");
    trust_ = start("mpli-trust");
    resolver_ = start("mpli-resolver");
    gateway_ = start("mpli-gateway");
    bus::ConnectOptions options;
    options.url = nats_.url();
    auto connection = bus::Connection::connect(options);
    REQUIRE(connection.is_ok());
    bus_ = std::move(connection).value();
    wait_for_resolver();
  }

  // A consumer's Authorization header: resolutions belong to its tenant.
  std::string consumer() const { return testing::TestTokens::bearer(tokens_.consumer("acme")); }

  std::unique_ptr<process::ChildProcess> start(const std::string& binary) {
    return std::make_unique<process::ChildProcess>(
        testing::start_binary(binary, env_, dir_.path()));
  }

  // The resolver answers once its index has loaded (INDEX_NOT_READY before).
  void wait_for_resolver() {
    testing::wait_until(
        [&] {
          auto reply = get("res_none");
          return !reply.is_ok() && reply.status().detail("reason") == "RESOLUTION_NOT_FOUND" &&
                 resolve(consumer_manifest("ISO27001")).status().detail("reason") !=
                     "INDEX_NOT_READY";
        },
        60s, "the resolver answers with its index loaded");
  }

  void restart_resolver() {
    resolver_->stop(SIGKILL, 5s);
    resolver_ = start("mpli-resolver");
    wait_for_resolver();
  }

  Result<resolver::v1::Resolution> resolve(const std::string& manifest,
                                           const std::vector<std::string>& credentials = {}) {
    resolver::v1::ResolveRequest request;
    request.set_manifest(manifest);
    for (const auto& token : credentials) request.add_credentials()->set_token(token);
    auto reply =
        bus::call<resolver::v1::ResolveReply>(*bus_, "mpli.resolver.v1.resolve", request, 30s);
    if (!reply.is_ok()) return reply.status();
    return reply->resolution();
  }
  Result<resolver::v1::Resolution> get(const std::string& id) {
    resolver::v1::GetResolutionRequest request;
    request.set_id(id);
    auto reply = bus::call<resolver::v1::GetResolutionReply>(
        *bus_, "mpli.resolver.v1.get_resolution", request, 10s);
    if (!reply.is_ok()) return reply.status();
    return reply->resolution();
  }
  Result<resolver::v1::RecheckAnswerReply> recheck(const std::string& id, int rank) {
    resolver::v1::RecheckAnswerRequest request;
    request.set_resolution_id(id);
    request.set_rank(rank);
    return bus::call<resolver::v1::RecheckAnswerReply>(*bus_, "mpli.resolver.v1.recheck_answer",
                                                       request, 10s);
  }
  bool trust_holds(const std::string& subject, const std::string& object) {
    trust::v1::GetFactsRequest request;
    request.set_subject(subject);
    auto reply = bus::call<trust::v1::GetFactsReply>(*bus_, "mpli.trust.v1.get_facts", request, 5s);
    if (!reply.is_ok()) return false;
    for (const auto& fact : reply->facts()) {
      if (fact.object() == object) return true;
    }
    return false;
  }

  bus::Connection& bus() { return *bus_; }
  std::string url(const std::string& path) const { return base_ + path; }
  std::string log(const std::string& binary) const {
    std::ifstream in(dir_.path() + "/" + binary + ".log");
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

 private:
  testing::TempDir dir_;
  testing::TestNats nats_;
  testing::TestPostgres pg_;
  testing::TestTokens tokens_;
  std::map<std::string, std::string> env_;
  std::unique_ptr<process::ChildProcess> discovery_, trust_, resolver_, gateway_;
  std::string base_;
  std::unique_ptr<bus::Connection> bus_;
};

bool offers(const resolver::v1::Resolution& resolution, const std::string& offering) {
  for (const auto& answer : resolution.answers()) {
    for (const auto& assignment : answer.assignments()) {
      if (assignment.offering() == offering) return true;
    }
  }
  return false;
}

}  // namespace

TEST_CASE("the resolver follows the catalogue and the verified facts, both ways", "[resolver]") {
  Site site;
  TestIssuer hub = TestIssuer::did_key(KeyType::kEd25519);
  TestIssuer auditor = TestIssuer::did_key(KeyType::kP256);
  TestIssuer provider_self = TestIssuer::did_key(KeyType::kEd25519);
  std::string bits(16384, '\0');
  auto status_list = [&](const std::string& list_bits) {
    auto encoded = credentials::encode_status_list(list_bits);
    REQUIRE(encoded.is_ok());
    return auditor.issue({{"type", {"VerifiableCredential", "BitstringStatusListCredential"}},
                          {"credentialSubject",
                           {{"id", "https://hexacloud.example/status/1#list"},
                            {"type", "BitstringStatusList"},
                            {"statusPurpose", "revocation"},
                            {"encodedList", *encoded}}}});
  };
  site.put("/status/1", status_list(bits));
  site.put("/.well-known/mpli.ttl", read_example("provider-hexacloud-fr.ttl"), "text/turtle");
  site.put("/.well-known/vc/legal-person.jwt",
           hub.issue(legal_person("did:web:hexacloud.example", "FR")));
  json iso = certification("did:web:hexacloud.example", "mpli:ISO27001", {kPgOffering});
  iso["credentialStatus"] = {{"type", "BitstringStatusListEntry"},
                             {"statusPurpose", "revocation"},
                             {"statusListIndex", "7"},
                             {"statusListCredential", "https://hexacloud.example/status/1"}};
  site.put("/.well-known/vc/iso27001.jwt", auditor.issue(iso));
  // SecNumCloud is only claimed: the provider signed it itself.
  site.put("/.well-known/vc/secnumcloud.jwt",
           provider_self.issue(certification("did:web:hexacloud.example", "mpli:SecNumCloud")));
  std::string anchors = json({{"anchors",
                               {{{"credential_type", "*"},
                                 {"issuers", {hub.did, auditor.did}},
                                 {"label", "hub and auditor"}}}}})
                            .dump();
  ResolverHub hub_processes(anchors, "https://hexacloud.example/=" + site.base() + "/");

  // Registered after the resolver started: only events can tell it.
  discovery::v1::RegisterProviderRequest registration;
  registration.set_manifest_url(site.base() + "/.well-known/mpli.ttl");
  auto registered = bus::call<discovery::v1::RegisterProviderReply>(
      hub_processes.bus(), "mpli.discovery.v1.register_provider", registration, 30s);
  INFO(registered.status().message());
  REQUIRE(registered.is_ok());
  std::string iso27001 = std::string(kMpli) + "ISO27001";
  testing::wait_until([&] { return hub_processes.trust_holds(kProvider, iso27001); }, 60s,
                      "trust verifies the ISO 27001 certificate");

  // The consumer's own credentials, inline: Hexacloud requires a verified legal identity and
  // a verified Gaia-X compliance credential from an EU consumer.
  std::vector<std::string> consumer_credentials = {
      hub.issue(legal_person(kConsumer, "FR")),
      hub.issue({{"type", {"VerifiableCredential", "gx:ComplianceCredential"}},
                 {"credentialSubject", {{"id", kConsumer}, {"type", "gx:ComplianceCredential"}}}})};

  // Claims in the consumer's manifest do not satisfy a provider's prerequisites.
  {
    std::optional<resolver::v1::Resolution> refused;
    testing::wait_until(
        [&] {
          auto r = hub_processes.resolve(consumer_manifest("ISO27001"));
          if (r.is_ok() && r->requirements(0).conforming() > 0) refused = *r;
          return refused.has_value();
        },
        30s, "the index holds the provider with its verified ISO 27001");
    CHECK_FALSE(refused->satisfiable());
    REQUIRE(refused->refusals_size() >= 1);
    CHECK(refused->refusals(0).provider_id() == "hexacloud");
    CHECK(refused->requirements(0).rejected(0).reason() == "consumer_refused");
  }

  // A refused inline credential is a clear error that changes nothing.
  {
    std::string tampered = hub.issue(legal_person(kConsumer, "FR"));
    tampered[tampered.size() - 3] = tampered[tampered.size() - 3] == 'A' ? 'B' : 'A';
    auto refused = hub_processes.resolve(consumer_manifest("ISO27001"), {tampered});
    REQUIRE_FALSE(refused.is_ok());
    CHECK(refused.status().detail("reason") == "CREDENTIAL_REFUSED");
    CHECK(refused.status().detail("field") == "credentials[0]");
  }

  // Bad manifests: syntax with line and column, shape violations.
  {
    auto syntax = hub_processes.resolve("@prefix mpli: <https://w3id.org/mpli#> .\n<> a mpli:");
    REQUIRE_FALSE(syntax.is_ok());
    CHECK(syntax.status().detail("reason") == "MANIFEST_SYNTAX");
    CHECK(syntax.status().detail("line") == "2");
    auto shape = hub_processes.resolve(
        "@prefix mpli: <https://w3id.org/mpli#> .\n<> a mpli:ConsumerManifest .\n");
    REQUIRE_FALSE(shape.is_ok());
    INFO(shape.status().message());
    CHECK(shape.status().detail("reason") == "MANIFEST_SHAPE");
    CHECK_FALSE(shape.status().violations().empty());
  }
  // Verified facts meet requirements, claims do not; revocation; a restart.
  {
    std::optional<resolver::v1::Resolution> served;
    testing::wait_until(
        [&] {
          auto r = hub_processes.resolve(consumer_manifest("ISO27001"), consumer_credentials);
          INFO(r.status().message());
          if (r.is_ok() && r->satisfiable()) served = *r;
          return served.has_value();
        },
        30s, "the database is offered once the consumer's credentials verify");
    REQUIRE(served->answers_size() == 1);
    CHECK(served->answers(0).assignments(0).offering() == kPgOffering);
    CHECK(served->answers(0).assignments(0).region() == "fr-par-1");
    CHECK(served->answers(0).monthly_price() == Approx(690.0));
    CHECK(served->consumer_facts_size() >= 3);

    // Claimed, not verified: the same requirement with SecNumCloud is not met, and says why.
    auto claimed = hub_processes.resolve(consumer_manifest("SecNumCloud"));
    REQUIRE(claimed.is_ok());
    CHECK_FALSE(claimed->satisfiable());
    REQUIRE(claimed->requirements(0).rejected_size() >= 1);
    const auto& rejected = claimed->requirements(0).rejected(0);
    CHECK(rejected.offering() == kPgOffering);
    REQUIRE(rejected.failures_size() >= 1);
    CHECK(rejected.failures(0).claimed_not_verified());
    CHECK(rejected.failures(0).message().find("claims") != std::string::npos);
    CHECK(claimed->diagnosis().summary_size() >= 1);

    // Stored, readable again, and still valid.
    auto stored = hub_processes.get(served->id());
    REQUIRE(stored.is_ok());
    CHECK(stored->answers(0).assignments(0).offering() == kPgOffering);
    auto holds = hub_processes.recheck(served->id(), 1);
    REQUIRE(holds.is_ok());
    CHECK(holds->holds());
    auto no_answer = hub_processes.recheck(served->id(), 2);
    REQUIRE_FALSE(no_answer.is_ok());
    CHECK(no_answer.status().detail("reason") == "ANSWER_NOT_FOUND");

    // A restarted resolver rebuilds its index from discovery's and trust's exports.
    hub_processes.restart_resolver();
    auto after_restart = hub_processes.resolve(consumer_manifest("ISO27001"));
    REQUIRE(after_restart.is_ok());
    CHECK(after_restart->requirements(0).conforming() == 1);
    CHECK(after_restart->consumer_facts_size() >= 3);  // kept by trust since the inline submit
    CHECK(offers(*after_restart, kPgOffering));

    // The same through the gateway: real HTTP, JSON with the proto's field names.
    testing::wait_until(
        [&] {
          return testing::http_request("GET", hub_processes.url("/v1/resolutions/res_nothing"), "",
                                       {hub_processes.consumer()})
                     .status == 404;
        },
        30s, "the gateway reaches the resolver");
    auto posted = testing::http_request("POST", hub_processes.url("/v1/resolutions?top_k=5"),
                                        consumer_manifest("ISO27001"),
                                        {"Content-Type: text/turtle", hub_processes.consumer()});
    INFO(posted.body);
    REQUIRE(posted.status == 201);
    json created = json::parse(posted.body);
    CHECK(created["satisfiable"] == true);
    CHECK(created["answers"][0]["assignments"][0]["offering"] == kPgOffering);
    std::string id = created["id"];
    auto fetched = testing::http_request("GET", hub_processes.url("/v1/resolutions/" + id), "",
                                         {hub_processes.consumer()});
    REQUIRE(fetched.status == 200);
    CHECK(json::parse(fetched.body)["id"] == id);
    auto rechecked = testing::http_request(
        "POST", hub_processes.url("/v1/resolutions/" + id + "/answers/1/recheck"), "",
        {hub_processes.consumer()});
    REQUIRE(rechecked.status == 200);
    CHECK(json::parse(rechecked.body)["holds"] == true);
    auto syntax = testing::http_request("POST", hub_processes.url("/v1/resolutions"),
                                        "@prefix mpli: <https://w3id.org/mpli#> .\n<> a mpli:",
                                        {"Content-Type: text/turtle", hub_processes.consumer()});
    CHECK(syntax.status == 400);
    CHECK(syntax.body.find("\"line\"") != std::string::npos);
    auto shape = testing::http_request(
        "POST", hub_processes.url("/v1/resolutions"),
        json({{"manifest",
               "@prefix mpli: <https://w3id.org/mpli#> .\n<urn:m> a mpli:ConsumerManifest .\n"}})
            .dump(),
        {"Content-Type: application/json", hub_processes.consumer()});
    CHECK(shape.status == 422);
    auto wrong_field = testing::http_request(
        "POST", hub_processes.url("/v1/resolutions"), json({{"manifest", 42}}).dump(),
        {"Content-Type: application/json", hub_processes.consumer()});
    CHECK(wrong_field.status == 400);
    CHECK(wrong_field.body.find("manifest") != std::string::npos);

    // Every consumer manifest read adds terms to the shared table (its blank nodes are new);
    // once it has doubled, the index is rebuilt from the exports, and resolutions go on
    // meanwhile and after. A text read lately is not read again: each request's differs.
    int sent = 0;
    testing::wait_until(
        [&] {
          auto r = hub_processes.resolve(consumer_manifest("ISO27001") + "# request " +
                                         std::to_string(++sent) + "\n");
          REQUIRE(r.is_ok());
          CHECK(offers(*r, kPgOffering));
          return hub_processes.log("mpli-resolver").find("compacting the catalogue index") !=
                 std::string::npos;
        },
        60s, "the resolver compacts its index");
    testing::wait_until(
        [&] {
          return hub_processes.log("mpli-resolver").find("catalogue index loaded") !=
                 hub_processes.log("mpli-resolver").rfind("catalogue index loaded");
        },
        30s, "the compacted index is in place");
    auto after_compaction = hub_processes.resolve(consumer_manifest("ISO27001"));
    REQUIRE(after_compaction.is_ok());
    CHECK(offers(*after_compaction, kPgOffering));

    // The auditor revokes the certificate: trust withdraws the fact, the answer goes.
    bits[0] = static_cast<char>(0x80 >> 7);
    site.put("/status/1", status_list(bits));
    testing::wait_until([&] { return !hub_processes.trust_holds(kProvider, iso27001); }, 30s,
                        "trust withdraws the revoked certificate");
    auto withdrawn_at = std::chrono::steady_clock::now();
    testing::wait_until(
        [&] {
          auto r = hub_processes.resolve(consumer_manifest("ISO27001"));
          return r.is_ok() && !offers(*r, kPgOffering);
        },
        10s, "the revoked certificate's answer disappears");
    auto visible_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now() - withdrawn_at)
                          .count();
    WARN("answer withdrawn " << visible_ms << " ms after trust withdrew the fact");
    auto stale = hub_processes.recheck(served->id(), 1);
    REQUIRE(stale.is_ok());
    CHECK_FALSE(stale->holds());
    REQUIRE(stale->reasons_size() >= 1);
    CHECK(stale->reasons(0).find("no longer satisfies") != std::string::npos);

    // The provider leaves the federation: its offerings leave the index.
    discovery::v1::ProviderRef hexacloud;
    hexacloud.set_id("hexacloud");
    REQUIRE(bus::call<discovery::v1::DeleteProviderReply>(
                hub_processes.bus(), "mpli.discovery.v1.delete_provider", hexacloud, 10s)
                .is_ok());
    testing::wait_until(
        [&] {
          auto r = hub_processes.resolve(consumer_manifest("ISO27001"));
          return r.is_ok() && r->catalogue_offerings() == 0 &&
                 r->requirements(0).rejected_total() == 0;
        },
        10s, "a deleted provider's offerings leave the index");
    auto gone = hub_processes.recheck(served->id(), 1);
    REQUIRE(gone.is_ok());
    CHECK_FALSE(gone->holds());
    CHECK(gone->reasons(0).find("no longer in the catalogue") != std::string::npos);
  }
}

TEST_CASE("mpli manifest check and the resolver agree on every consumer manifest example",
          "[resolver]") {
  TestIssuer hub = TestIssuer::did_key(KeyType::kEd25519);
  std::string anchors =
      json({{"anchors", {{{"credential_type", "*"}, {"issuers", {hub.did}}, {"label", "hub"}}}}})
          .dump();
  ResolverHub hub_processes(anchors, "");
  std::vector<std::string> examples = fixture::example_manifests("consumer-");
  REQUIRE(examples.size() >= 6);
  testing::wait_until(
      [&] {
        return testing::http_request("GET", hub_processes.url("/v1/resolutions/res_nothing"), "",
                                     {hub_processes.consumer()})
                   .status == 404;
      },
      30s, "the gateway reaches the resolver");
  int accepted = 0;
  for (const std::string& file : examples) {
    INFO(file);
    json offline = fixture::manifest_check_json(file);

    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    auto answer = testing::http_request("POST", hub_processes.url("/v1/resolutions"), text.str(),
                                        {"Content-Type: text/turtle", hub_processes.consumer()});
    INFO(answer.body);
    if (offline["accepted"] == true) {
      ++accepted;
      CHECK(offline["kind"] == "consumer");
      CHECK(answer.status == 201);  // resolved, satisfiable or not: the manifest was taken
      continue;
    }
    REQUIRE((answer.status == 400 || answer.status == 422));
    json problem = json::parse(answer.body);
    CHECK(problem["reason"] == offline["reason"]);
    CHECK(problem.value("violations", json::array()) == offline["violations"]);
  }
  CHECK(accepted == 3);  // single-database, unservable and web-shop

  // All quiet now: the resolver gives its free heap pages back once, and says what it holds.
  const std::string trimmed = "heap trimmed after a quiet while";
  testing::wait_until(
      [&] { return hub_processes.log("mpli-resolver").find(trimmed) != std::string::npos; }, 30s,
      "the resolver trims its heap when idle");
  std::string log = hub_processes.log("mpli-resolver");
  std::string line = log.substr(log.find(trimmed));
  line = line.substr(0, line.find('\n'));
  INFO(line);
  CHECK(line.find("\"resident_mib_after\":\"") != std::string::npos);
  // Not again while nothing happens.
  std::this_thread::sleep_for(5s);
  log = hub_processes.log("mpli-resolver");
  CHECK(log.find(trimmed) == log.rfind(trimmed));
}
