// The trust service end to end on real components: nats-server, PostgreSQL, mpli-discovery and
// mpli-trust, and a provider web site (HttpTestServer) that serves a manifest, the credentials
// it points to, an auditor's did:web document and a status list. Credentials are signed here
// with libs/credentials; everything else goes over the bus exactly as the gateway would.
#include <signal.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <set>
#include <sstream>

#include "libs/bus/call.h"
#include "libs/bus/jetstream.h"
#include "libs/credentials/base64url.h"
#include "libs/credentials/credential_issuer.h"
#include "libs/credentials/did.h"
#include "libs/credentials/jwk.h"
#include "libs/credentials/jws.h"
#include "libs/credentials/status_list.h"
#include "libs/credentials/testing/test_pki.h"
#include "libs/testing/environment.h"
#include "libs/testing/http_test_server.h"
#include "libs/testing/tokens.h"
#include "mpli/common/v1/envelope.pb.h"
#include "mpli/discovery/v1/discovery.pb.h"
#include "mpli/trust/v1/trust.pb.h"
#include "tests/integration/credential_fixtures.h"

using namespace mpli;
using namespace std::chrono_literals;
using credentials::KeyType;
using credentials::SigningKey;
using nlohmann::json;
using testing::certification;
using testing::legal_person;
using testing::read_example;
using testing::replace_all;
using testing::Site;
using testing::TestIssuer;
using testing::unix_now;

namespace {

constexpr const char* kMpli = "https://w3id.org/mpli#";
constexpr const char* kProvider = "https://hexacloud.example/.well-known/mpli.ttl#provider";
constexpr const char* kPgOffering = "https://hexacloud.example/.well-known/mpli.ttl#pg-snc";

// A credential signed by a key certified under `pki`, the chain in the x5c header.
std::string issue_with_x5c(const credentials::testing::Pki& pki, json credential,
                           int64_t leaf_not_after) {
  namespace pkit = credentials::testing;
  auto leaf = SigningKey::generate(KeyType::kEd25519);
  REQUIRE(leaf.is_ok());
  pkit::Key leaf_key = pkit::key_from_pem(leaf->to_pem());
  pkit::CertSpec spec;
  spec.common_name = "registry.example";
  spec.not_before = unix_now() - 24 * 3600;
  spec.not_after = leaf_not_after;
  json x5c = json::array();
  for (const auto& der : pki.chain(spec, leaf_key.get())) {
    // x5c is standard base64 with padding, not base64url.
    std::string text = credentials::base64url_encode(der);
    for (char& c : text) c = c == '-' ? '+' : (c == '_' ? '/' : c);
    while (text.size() % 4 != 0) text.push_back('=');
    x5c.push_back(text);
  }
  int64_t now = unix_now();
  credential["issuer"] = "did:web:registry.example";
  credential["validFrom"] = credentials::xml_datetime(now - 3600);
  credential["validUntil"] = credentials::xml_datetime(now + 30 * 24 * 3600);
  auto token = leaf->sign({{"typ", "vc+jwt"}, {"x5c", x5c}}, credential.dump());
  REQUIRE(token.is_ok());
  return *token;
}

class TrustHub {
 public:
  TrustHub(const std::string& anchors, const std::map<std::string, std::string>& extra)
      : nats_(dir_.path()), pg_(dir_.path()) {
    std::string anchors_file = dir_.path() + "/anchors.json";
    std::ofstream(anchors_file) << anchors;
    env_ = {{"MPLI_NATS_URL", nats_.url()},      {"MPLI_DATABASE_URL", pg_.dsn()},
            {"MPLI_FETCH_ALLOW_HTTP", "true"},   {"MPLI_FETCH_ALLOW_LOOPBACK", "true"},
            {"MPLI_ANCHORS_FILE", anchors_file}, {"MPLI_RECHECK_INTERVAL", "1s"},
            {"MPLI_STATUS_CACHE_TTL", "1s"}};
    for (const auto& [k, v] : extra) env_[k] = v;
    // Not a setting: the token the readiness probe below sends through the gateway.
    std::string probe_token = env_.count("MPLI_TEST_TOKEN") ? env_.at("MPLI_TEST_TOKEN") : "";
    env_.erase("MPLI_TEST_TOKEN");
    discovery_ = std::make_unique<process::ChildProcess>(
        testing::start_binary("mpli-discovery", env_, dir_.path()));
    trust_ = std::make_unique<process::ChildProcess>(
        testing::start_binary("mpli-trust", env_, dir_.path()));
    if (env_.count("MPLI_AUTH_SIGNING_KEY_FILE")) {
      auto port = process::free_tcp_port();
      REQUIRE(port.is_ok());
      env_["MPLI_HTTP_PORT"] = std::to_string(*port);
      base_ = "http://127.0.0.1:" + std::to_string(*port);
      gateway_ = std::make_unique<process::ChildProcess>(
          testing::start_binary("mpli-gateway", env_, dir_.path()));
      // Not /readyz: it waits for every service, and only discovery and trust run here.
      testing::wait_until(
          [&] {
            return testing::http_request("GET", base_ + "/v1/facts?subject=urn:x", "",
                                         {"Authorization: Bearer " + probe_token})
                       .status == 200;
          },
          60s, "the gateway reaches trust");
    }
    bus::ConnectOptions options;
    options.url = nats_.url();
    auto connection = bus::Connection::connect(options);
    REQUIRE(connection.is_ok());
    bus_ = std::move(connection).value();
    try {
      testing::wait_until(
          [&] {
            auto anchors_reply = bus::call<trust::v1::TrustAnchors>(
                *bus_, "mpli.trust.v1.get_anchors", trust::v1::GetAnchorsRequest(), 2s);
            return anchors_reply.is_ok() && anchors_reply->version() > 0;
          },
          60s, "trust answers with its anchors");
      testing::wait_until(
          [&] {
            return bus::call<discovery::v1::ListProvidersReply>(
                       *bus_, "mpli.discovery.v1.list_providers",
                       discovery::v1::ListProvidersRequest(), 2s)
                .is_ok();
          },
          60s, "discovery answers");
    } catch (...) {
      UNSCOPED_INFO(log("mpli-trust"));
      throw;
    }
  }

  // A service's log, for the failure message of a test that waited for it in vain.
  std::string log(const std::string& binary) const {
    std::ifstream in(dir_.path() + "/" + binary + ".log");
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  bus::Connection& bus() { return *bus_; }
  std::string url(const std::string& path) const { return base_ + path; }
  const std::string& dir() const { return dir_.path(); }

  std::vector<trust::v1::Fact> facts(const std::string& subject) {
    trust::v1::GetFactsRequest request;
    request.set_subject(subject);
    auto reply = bus::call<trust::v1::GetFactsReply>(*bus_, "mpli.trust.v1.get_facts", request, 5s);
    REQUIRE(reply.is_ok());
    return {reply->facts().begin(), reply->facts().end()};
  }
  bool holds(const std::string& subject, const std::string& predicate, const std::string& object) {
    for (const auto& fact : facts(subject)) {
      if (fact.predicate() == predicate && fact.object() == object) return true;
    }
    return false;
  }
  std::vector<trust::v1::Credential> credentials_of(const std::string& subject) {
    trust::v1::ListCredentialsRequest request;
    request.set_subject(subject);
    auto reply = bus::call<trust::v1::ListCredentialsReply>(*bus_, "mpli.trust.v1.list_credentials",
                                                            request, 5s);
    REQUIRE(reply.is_ok());
    return {reply->credentials().begin(), reply->credentials().end()};
  }
  Result<trust::v1::SubmitCredentialReply> submit(
      const std::string& token, const std::string& operation = "submit_credential",
      const std::string& expected_subject = "") {
    trust::v1::SubmitCredentialRequest request;
    request.set_token(token);
    request.set_expected_subject(expected_subject);
    return bus::call<trust::v1::SubmitCredentialReply>(*bus_, "mpli.trust.v1." + operation, request,
                                                       10s);
  }

  // How many facts_changed events with `cause` were published, once at least `expected` were
  // (the outbox relay publishes after the commit, so the test waits for them).
  long events_with_cause(const std::string& cause, long expected) {
    testing::wait_until(
        [&] {
          for (auto& c : fact_event_causes()) seen_causes_.push_back(c);
          return std::count(seen_causes_.begin(), seen_causes_.end(), cause) >= expected;
        },
        30s, "facts_changed events with cause " + cause);
    return std::count(seen_causes_.begin(), seen_causes_.end(), cause);
  }

  // The causes of the facts_changed events published since the last call.
  std::vector<std::string> fact_event_causes() {
    if (!reader_) {
      REQUIRE(bus::ensure_stream(*bus_, bus::events_stream()).is_ok());
      bus::ConsumerSpec spec{"MPLI_EVENTS", "trust-test", "mpli.events.trust.v1.facts_changed", 60s,
                             -1};
      auto consumer = bus::PullConsumer::create(*bus_, spec);
      REQUIRE(consumer.is_ok());
      reader_ = std::move(consumer).value();
    }
    std::vector<std::string> causes;
    while (true) {
      auto batch = reader_->fetch(100, 300ms);
      REQUIRE(batch.is_ok());
      if (batch->empty()) break;
      for (auto& m : *batch) {
        common::v1::Envelope envelope;
        trust::v1::FactsChanged event;
        REQUIRE(envelope.ParseFromString(m.message().data));
        REQUIRE(event.ParseFromString(envelope.payload()));
        causes.push_back(event.cause());
        REQUIRE(m.ack().is_ok());
      }
    }
    return causes;
  }

 private:
  testing::TempDir dir_;
  testing::TestNats nats_;
  testing::TestPostgres pg_;
  std::map<std::string, std::string> env_;
  std::unique_ptr<process::ChildProcess> discovery_;
  std::unique_ptr<process::ChildProcess> trust_;
  std::unique_ptr<process::ChildProcess> gateway_;
  std::string base_;
  std::unique_ptr<bus::Connection> bus_;
  std::unique_ptr<bus::PullConsumer> reader_;
  std::vector<std::string> seen_causes_;
};

// The Hexacloud example manifest, plus a claim of a standard outside the MPLI vocabulary.
// Its credentials are named https://hexacloud.example/.well-known/vc/<name>.jwt.
std::string manifest() {
  std::string text = read_example("provider-hexacloud-fr.ttl");
  text = replace_all(
      text, "mpli:certification <#cert-secnumcloud> , <#cert-iso27001> , <#cert-eucs-high> ;",
      "mpli:certification <#cert-secnumcloud> , <#cert-iso27001> , <#cert-eucs-high> , "
      "<#cert-tisax> ;");
  REQUIRE(text.find("<#cert-tisax>") != std::string::npos);
  return text + R"(
<#cert-tisax> a mpli:CertificationClaim ;
    mpli:standard <https://example.org/schemes/TISAX> ;
    mpli:credential <https://hexacloud.example/.well-known/vc/tisax.jwt> .
)";
}

std::string anchors_json(const std::string& hub_did, const std::string& auditor_did) {
  return json({{"anchors",
                {{{"credential_type", "mpli:CertificationCredential"},
                  {"issuers", {auditor_did}},
                  {"label", "auditors"}},
                 {{"credential_type", "*"}, {"issuers", {hub_did}}, {"label", "hub"}}}}})
      .dump();
}

// The credential fetched from https://hexacloud.example/.well-known/vc/<name>.jwt.
const trust::v1::Credential* find_credential(const std::vector<trust::v1::Credential>& list,
                                             const std::string& name) {
  for (const auto& c : list) {
    if (c.source_url() == "https://hexacloud.example/.well-known/vc/" + name + ".jwt") return &c;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("manifest claims become verified facts, revocation and anchors withdraw them",
          "[trust]") {
  Site site;
  std::string port = std::to_string(site.server.port());
  TestIssuer hub = TestIssuer::did_key(KeyType::kEd25519);
  // The auditor signs with P-256 and publishes its key as did:web (fetched through a rewrite).
  TestIssuer auditor = TestIssuer::did_web(KeyType::kP256, "auditor.example");
  TestIssuer provider_self = TestIssuer::did_key(KeyType::kEd25519);

  site.put("/.well-known/mpli.ttl", manifest(), "text/turtle");
  site.put("/auditor/.well-known/did.json", auditor.did_document().dump(), "application/json");
  std::string bits(16384, '\0');
  auto encoded = credentials::encode_status_list(bits);
  REQUIRE(encoded.is_ok());
  auto status_list = [&](const std::string& encoded_list) {
    return auditor.issue({{"type", {"VerifiableCredential", "BitstringStatusListCredential"}},
                          {"credentialSubject",
                           {{"id", "https://auditor.example/status/1#list"},
                            {"type", "BitstringStatusList"},
                            {"statusPurpose", "revocation"},
                            {"encodedList", encoded_list}}}});
  };
  site.put("/auditor/status/1", status_list(*encoded));

  site.put("/.well-known/vc/legal-person.jwt",
           hub.issue(legal_person("did:web:hexacloud.example", "FR")));
  json iso = certification("did:web:hexacloud.example", "mpli:ISO27001", {kPgOffering});
  iso["credentialStatus"] = {{"type", "BitstringStatusListEntry"},
                             {"statusPurpose", "revocation"},
                             {"statusListIndex", "42"},
                             {"statusListCredential", "https://auditor.example/status/1"}};
  site.put("/.well-known/vc/iso27001.jwt", auditor.issue(iso));
  // Self-declared: verifies, but nobody the hub trusts signed it.
  site.put("/.well-known/vc/secnumcloud.jwt",
           provider_self.issue(certification("did:web:hexacloud.example", "mpli:SecNumCloud")));
  // Signed by a trusted auditor, but about another provider: proves nothing here.
  site.put("/.well-known/vc/eucs-high.jwt",
           auditor.issue(certification("did:web:other.example", "mpli:EUCSHigh")));
  // Any scheme's IRI is a standard.
  site.put("/.well-known/vc/tisax.jwt",
           auditor.issue(
               certification("did:web:hexacloud.example", "https://example.org/schemes/TISAX")));
  site.put(
      "/.well-known/vc/sla-pg-snc.jwt",
      hub.issue({{"type", {"VerifiableCredential", "ServiceLevelCredential"}},
                 {"credentialSubject", {{"id", kPgOffering}, {"availabilityPercent", 99.99}}}}));

  std::string base = site.base();
  TrustHub trust(anchors_json(hub.did, auditor.did),
                 {{"MPLI_FETCH_REWRITE", "https://hexacloud.example/=" + base +
                                             "/ https://auditor.example/=" + base + "/auditor/"}});

  discovery::v1::RegisterProviderRequest register_request;
  register_request.set_manifest_url(base + "/.well-known/mpli.ttl");
  auto registered = bus::call<discovery::v1::RegisterProviderReply>(
      trust.bus(), "mpli.discovery.v1.register_provider", register_request, 30s);
  INFO(registered.status().message());
  REQUIRE(registered.is_ok());

  std::string certified = std::string(kMpli) + "verifiedCertification";
  testing::wait_until(
      [&] { return trust.holds(kProvider, certified, std::string(kMpli) + "ISO27001"); }, 60s,
      "ISO 27001 becomes a verified certification of the provider");
  testing::wait_until(
      [&] {
        return trust.holds(kPgOffering, std::string(kMpli) + "verifiedAvailabilityPercent",
                           "99.99");
      },
      30s, "the SLA credential verifies the offering's availability");
  CHECK(trust.holds(kProvider, std::string(kMpli) + "verifiedCountry", "FR"));
  CHECK(trust.holds(kProvider, std::string(kMpli) + "verifiedCredentialType",
                    std::string(kMpli) + "LegalIdentityCredential"));
  CHECK(trust.holds(kPgOffering, certified, std::string(kMpli) + "ISO27001"));
  CHECK(trust.holds(kProvider, certified, "https://example.org/schemes/TISAX"));
  CHECK_FALSE(trust.holds(kProvider, certified, std::string(kMpli) + "SecNumCloud"));
  CHECK_FALSE(trust.holds(kProvider, certified, std::string(kMpli) + "EUCSHigh"));

  // Every pointer is accounted for, and the ones that prove nothing say why.
  testing::wait_until([&] { return trust.credentials_of(kProvider).size() >= 5; }, 30s,
                      "every credential the manifest points to is listed");
  auto listed = trust.credentials_of(kProvider);
  const auto* snc = find_credential(listed, "secnumcloud");
  REQUIRE(snc);
  CHECK(snc->state() == "untrusted");
  CHECK(snc->refusal() == "untrusted_issuer");
  const auto* eucs = find_credential(listed, "eucs-high");
  REQUIRE(eucs);
  CHECK(eucs->state() == "refused");
  CHECK(eucs->refusal() == "subject_mismatch");
  const auto* accepted = find_credential(listed, "iso27001");
  REQUIRE(accepted);
  CHECK(accepted->state() == "accepted");
  CHECK(accepted->issuer() == auditor.did);
  CHECK(accepted->status_list() == "https://auditor.example/status/1");

  // The paged export holds every fact, each once, in pages of the size asked for.
  std::set<std::string> exported;
  size_t exported_rows = 0;
  trust::v1::ExportFactsRequest page_request;
  page_request.set_limit(3);
  for (int page = 0; page < 100; ++page) {
    auto page_reply = bus::call<trust::v1::ExportFactsReply>(
        trust.bus(), "mpli.trust.v1.export_facts", page_request, 5s);
    REQUIRE(page_reply.is_ok());
    CHECK(page_reply->facts_size() <= 3);
    for (const auto& fact : page_reply->facts()) {
      exported.insert(fact.subject() + " " + fact.predicate() + " " + fact.object() + " " +
                      fact.credential());
      ++exported_rows;
    }
    if (page_reply->next_cursor().empty()) break;
    page_request.set_cursor(page_reply->next_cursor());
  }
  CHECK(exported_rows == exported.size());
  CHECK(exported_rows == trust.facts(kProvider).size() + trust.facts(kPgOffering).size());
  trust::v1::ExportFactsRequest forged;
  forged.set_cursor("not a cursor");
  auto refused_page =
      bus::call<trust::v1::ExportFactsReply>(trust.bus(), "mpli.trust.v1.export_facts", forged, 5s);
  REQUIRE_FALSE(refused_page.is_ok());
  CHECK(refused_page.status().detail("field") == "cursor");

  // The auditor revokes the ISO certificate (bit 42, most significant bit first).
  bits[42 / 8] = static_cast<char>(0x80 >> (42 % 8));
  auto revoked_list = credentials::encode_status_list(bits);
  REQUIRE(revoked_list.is_ok());
  site.put("/auditor/status/1", status_list(*revoked_list));
  testing::wait_until(
      [&] { return !trust.holds(kProvider, certified, std::string(kMpli) + "ISO27001"); }, 30s,
      "a revoked certificate's facts are withdrawn");
  CHECK_FALSE(trust.holds(kPgOffering, certified, std::string(kMpli) + "ISO27001"));
  CHECK(trust.holds(kProvider, certified, "https://example.org/schemes/TISAX"));
  CHECK(trust.events_with_cause("credential_accepted", 4) >= 4);
  CHECK(trust.events_with_cause("credential_revoked", 2) == 2);  // the provider, the offering

  // The hub stops trusting its own did:key: the legal identity goes; trusting the provider's
  // key for certifications makes SecNumCloud a verified fact.
  trust::v1::PutAnchorsRequest put;
  auto* anchor = put.mutable_anchors()->add_anchors();
  anchor->set_credential_type("mpli:CertificationCredential");
  anchor->add_issuers(auditor.did);
  anchor->add_issuers(provider_self.did);
  put.set_expected_version(1);
  auto changed =
      bus::call<trust::v1::PutAnchorsReply>(trust.bus(), "mpli.trust.v1.put_anchors", put, 10s);
  INFO(changed.status().message());
  REQUIRE(changed.is_ok());
  CHECK(changed->anchors().version() == 2);
  CHECK(changed->facts_lost() >= 2);
  CHECK(changed->facts_gained() >= 1);
  CHECK_FALSE(trust.holds(kProvider, std::string(kMpli) + "verifiedCountry", "FR"));
  CHECK(trust.holds(kProvider, certified, std::string(kMpli) + "SecNumCloud"));
  CHECK(trust.events_with_cause("anchors_changed", 2) >= 2);

  // A stale version is refused and changes nothing.
  auto stale =
      bus::call<trust::v1::PutAnchorsReply>(trust.bus(), "mpli.trust.v1.put_anchors", put, 10s);
  REQUIRE_FALSE(stale.is_ok());
  CHECK(stale.status().detail("reason") == "ANCHORS_CHANGED");
}

TEST_CASE("consumer credentials: accepted ones give facts, each refusal says why", "[trust]") {
  TestIssuer hub = TestIssuer::did_key(KeyType::kEd25519);
  TestIssuer registry = TestIssuer::did_key(KeyType::kP256);
  TestIssuer stranger = TestIssuer::did_key(KeyType::kEd25519);
  credentials::testing::Pki qualified;  // an eIDAS-like root the hub trusts for legal identity
  credentials::testing::Pki unknown;    // a root nobody configured
  std::string anchors =
      json({{"anchors",
             {{{"credential_type", "mpli:LegalIdentityCredential"}, {"issuers", {registry.did}}},
              {{"credential_type", "mpli:LegalIdentityCredential"},
               {"root_certificates", {credentials::testing::pem(qualified.root.get())}}},
              {{"credential_type", "*"}, {"issuers", {hub.did}}}}}})
          .dump();
  testing::TempDir keys;
  std::string key_file = keys.path() + "/hub.pem";
  {
    std::ofstream out(key_file);
    out << hub.key.to_pem();
  }
  std::string consumer = "did:web:acme.example";
  SECTION("the hub refuses to start with a key file others can read") {
    ::chmod(key_file.c_str(), 0644);
    testing::TempDir dir;
    testing::TestNats nats(dir.path());
    testing::TestPostgres pg(dir.path());
    auto child = testing::start_binary("mpli-trust",
                                       {{"MPLI_NATS_URL", nats.url()},
                                        {"MPLI_DATABASE_URL", pg.dsn()},
                                        {"MPLI_ISSUER_KEY_FILE", key_file}},
                                       dir.path());
    auto exit = child.wait_for(60s);
    REQUIRE(exit.has_value());
    CHECK(*exit != 0);
    std::ifstream log(dir.path() + "/mpli-trust.log");
    std::stringstream text;
    text << log.rdbuf();
    CHECK(text.str().find("chmod 600") != std::string::npos);
    CHECK(text.str().find("PRIVATE KEY") == std::string::npos);
  }
  SECTION("verify, submit, refuse, issue") {
    ::chmod(key_file.c_str(), 0600);
    testing::TestTokens tokens(keys.path());
    std::string admin_token = tokens.admin();
    std::string user = "Authorization: Bearer " + tokens.consumer("acme");
    TrustHub trust(anchors, {{"MPLI_ISSUER_KEY_FILE", key_file},
                             {"MPLI_CREDENTIALS_MAX_TOKEN_BYTES", "8192"},
                             {"MPLI_AUTH_SIGNING_KEY_FILE", tokens.key_file()},
                             {"MPLI_TEST_TOKEN", admin_token}});

    std::string good = registry.issue(legal_person(consumer, "NL"));
    auto verified = trust.submit(good, "verify_credential");
    REQUIRE(verified.is_ok());
    CHECK(verified->credential().state() == "accepted");
    CHECK(trust.credentials_of(consumer).empty());  // verify keeps nothing

    auto kept = trust.submit(good);
    REQUIRE(kept.is_ok());
    CHECK(kept->credential().subject() == consumer);
    CHECK(trust.holds(consumer, std::string(kMpli) + "verifiedCountry", "NL"));

    auto reason_of = [&](const std::string& token, const std::string& expected_subject = "") {
      auto answer = trust.submit(token, "submit_credential", expected_subject);
      REQUIRE_FALSE(answer.is_ok());
      CHECK(answer.status().detail("domain") == "trust");
      return answer.status().detail("reason");
    };
    std::string tampered = good;
    tampered[tampered.size() - 5] = tampered[tampered.size() - 5] == 'A' ? 'B' : 'A';
    CHECK(reason_of(tampered) == "BAD_SIGNATURE");
    CHECK(reason_of(stranger.issue(legal_person(consumer, "NL"))) == "UNTRUSTED_ISSUER");
    CHECK(reason_of(registry.issue(legal_person(consumer, "NL"), -7200)) == "EXPIRED");
    CHECK(reason_of("not.a-token") == "MALFORMED");
    CHECK(reason_of(std::string(9000, 'a')) == "TOO_LARGE");
    CHECK(reason_of(good, "did:web:someone-else.example") == "SUBJECT_MISMATCH");
    // alg none: a header that asks for no signature at all.
    std::string none = credentials::base64url_encode(R"({"alg":"none","typ":"vc+jwt"})") + "." +
                       good.substr(good.find('.') + 1, good.rfind('.') - good.find('.') - 1) + ".";
    CHECK(reason_of(none) == "UNSUPPORTED_ALGORITHM");
    // A did:web on a private address: the hub refuses to fetch it.
    TestIssuer inside = TestIssuer::did_web(KeyType::kEd25519, "10.0.0.1");
    CHECK(reason_of(inside.issue(legal_person(consumer, "NL"))) == "KEY_NOT_FOUND");
    // x5c: a chain to a configured root is trusted by that root; an expired leaf or another
    // root is not.
    int64_t month = 30 * 24 * 3600;
    auto chained =
        trust.submit(issue_with_x5c(qualified, legal_person(consumer, "NL"), unix_now() + month),
                     "verify_credential");
    INFO(chained.status().message());
    REQUIRE(chained.is_ok());
    CHECK(chained->credential().trust_root() == qualified.roots().fingerprints().front());
    CHECK(reason_of(issue_with_x5c(qualified, legal_person(consumer, "NL"), unix_now() - 3600)) ==
          "BAD_CERTIFICATE_CHAIN");
    CHECK(reason_of(issue_with_x5c(unknown, legal_person(consumer, "NL"), unix_now() + month)) ==
          "BAD_CERTIFICATE_CHAIN");
    // Nothing refused was kept.
    CHECK(trust.credentials_of(consumer).size() == 1);

    // The hub issues with its own key, which is an anchor: its credential verifies.
    trust::v1::IssueCredentialRequest issue;
    issue.set_credential_json(
        json({{"type", {"VerifiableCredential", "CertificationCredential"}},
              {"credentialSubject", {{"id", consumer}, {"standard", "mpli:ISO27001"}}}})
            .dump());
    auto issued = bus::call<trust::v1::IssueCredentialReply>(
        trust.bus(), "mpli.trust.v1.issue_credential", issue, 10s);
    INFO(issued.status().message());
    REQUIRE(issued.is_ok());
    CHECK(issued->issuer() == hub.did);
    auto label = trust.submit(issued->token());
    REQUIRE(label.is_ok());
    CHECK(trust.holds(consumer, std::string(kMpli) + "verifiedCertification",
                      std::string(kMpli) + "ISO27001"));

    // The same through the gateway's REST API.
    std::string other = "did:web:globex.example";
    auto posted = testing::http_request("POST", trust.url("/v1/credentials"),
                                        registry.issue(legal_person(other, "DE")),
                                        {"Content-Type: application/vc+jwt", user});
    INFO(posted.body);
    CHECK(posted.status == 201);
    CHECK(json::parse(posted.body)["state"] == "accepted");
    auto facts = testing::http_request("GET", trust.url("/v1/facts?subject=" + other), "", {user});
    REQUIRE(facts.status == 200);
    CHECK(facts.body.find("\"DE\"") != std::string::npos);
    auto refused = testing::http_request(
        "POST", trust.url("/v1/credentials/verify"),
        json({{"credential", stranger.issue(legal_person(other, "DE"))}}).dump(),
        {"Content-Type: application/json", user});
    CHECK(refused.status == 422);
    CHECK(refused.content_type.find("application/problem+json") != std::string::npos);
    CHECK(json::parse(refused.body)["reason"] == "untrusted_issuer");
    auto anchors_read = testing::http_request("GET", trust.url("/v1/trust/anchors"), "",
                                              {"Authorization: Bearer " + admin_token});
    CHECK(anchors_read.status == 200);
    CHECK(json::parse(anchors_read.body)["version"] == 1);
    auto issued_http = testing::http_request(
        "POST", trust.url("/v1/credentials/issue"),
        json({{"type", {"VerifiableCredential"}}, {"credentialSubject", {{"id", other}}}}).dump(),
        {"Content-Type: application/json", "Authorization: Bearer " + admin_token});
    INFO(issued_http.body);
    CHECK(issued_http.status == 201);
    CHECK(testing::http_request("POST", trust.url("/v1/credentials/issue"), "{}",
                                {"Content-Type: application/json"})
              .status == 401);
    CHECK(trust.log("mpli-gateway").find(admin_token) == std::string::npos);
  }
}
