#include "tools/mpli/demo_credentials.h"

#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "libs/credentials/credential_issuer.h"
#include "libs/credentials/did.h"
#include "libs/credentials/jws.h"
#include "libs/rdf/parser.h"
#include "services/discovery/domain/manifest_reader.h"

namespace mpli::cli {
namespace {

namespace fs = std::filesystem;
using credentials::KeyType;
using credentials::SigningKey;
using rdf::TermId;

constexpr int64_t kDay = 24 * 3600;

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status(StatusCode::kNotFound, path + ": cannot be read");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

Status write_private(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  if (!out) return Status(StatusCode::kUnavailable, path + ": cannot be written");
  out << text;
  out.close();
  ::chmod(path.c_str(), 0600);
  return Status::ok();
}

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// "https://hexacloud.example/.well-known/vc/iso27001.jwt" -> ".well-known/vc/iso27001.jwt"
std::string url_path(const std::string& url) {
  auto scheme = url.find("://");
  auto slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  return slash == std::string::npos ? "" : url.substr(slash + 1);
}

nlohmann::json credential_for(const discovery::CredentialPointer& pointer,
                              const discovery::ManifestSummary& summary, int64_t now) {
  std::string provider = "did:web:" + summary.provider_domain;
  nlohmann::json credential = {{"@context", {"https://www.w3.org/ns/credentials/v2"}},
                               {"validFrom", credentials::xml_datetime(now - kDay)},
                               {"validUntil", credentials::xml_datetime(now + 365 * kDay)}};
  if (pointer.claim == "certification") {
    credential["type"] = {"VerifiableCredential", "CertificationCredential"};
    credential["credentialSubject"] = {
        {"id", provider}, {"standard", pointer.standard}, {"covers", pointer.covers}};
  } else if (pointer.claim == "service_level") {
    credential["type"] = {"VerifiableCredential", "ServiceLevelCredential"};
    credential["credentialSubject"] = {
        {"id", pointer.subject}, {"availabilityPercent", pointer.availability_percent.value_or(0)}};
  } else if (pointer.url.find("compliance") != std::string::npos) {
    credential["type"] = {"VerifiableCredential", "gx:ComplianceCredential"};
    credential["credentialSubject"] = {{"id", provider}, {"type", "gx:ComplianceCredential"}};
  } else {
    credential["type"] = {"VerifiableCredential", "gx:LegalPerson"};
    credential["credentialSubject"] = {
        {"id", provider},
        {"type", "gx:LegalPerson"},
        {"schema:name", summary.provider_name},
        {"gx:legalAddress",
         {{"type", "gx:Address"}, {"gx:countryCode", summary.provider_country}}}};
  }
  return credential;
}

}  // namespace

Result<DemoIssuer> prepare_demo_issuer(const std::string& state_dir) {
  std::string dir = state_dir + "/trust";
  std::error_code ec;
  fs::create_directories(dir, ec);
  DemoIssuer issuer;
  issuer.key_file = dir + "/demo-issuer.pem";
  issuer.anchors_file = dir + "/anchors.json";
  if (!fs::exists(issuer.key_file)) {
    MPLI_ASSIGN_OR_RETURN(auto key, SigningKey::generate(KeyType::kEd25519));
    MPLI_RETURN_IF_ERROR(write_private(issuer.key_file, key.to_pem()));
  }
  MPLI_ASSIGN_OR_RETURN(std::string pem, read_file(issuer.key_file));
  MPLI_ASSIGN_OR_RETURN(auto key, SigningKey::from_pem(pem));
  MPLI_ASSIGN_OR_RETURN(issuer.did, credentials::did_key_from_public_key(key.public_key()));
  nlohmann::json anchors = {{"anchors",
                             {{{"credential_type", "*"},
                               {"issuers", {issuer.did}},
                               {"label", "the local federation's demo issuer (mpli up)"}}}}};
  MPLI_RETURN_IF_ERROR(write_private(issuer.anchors_file, anchors.dump(2) + "\n"));
  return issuer;
}

Result<DemoProviderCredentials> issue_demo_credentials(const DemoIssuer& issuer,
                                                       const std::string& manifest,
                                                       const std::string& out_dir) {
  MPLI_ASSIGN_OR_RETURN(std::string text, read_file(manifest));
  rdf::Graph graph;
  MPLI_RETURN_IF_ERROR(rdf::parse_string(text, manifest, graph, {}));
  MPLI_ASSIGN_OR_RETURN(auto summary, discovery::read_manifest(graph));
  MPLI_ASSIGN_OR_RETURN(std::string pem, read_file(issuer.key_file));
  MPLI_ASSIGN_OR_RETURN(auto key, SigningKey::from_pem(pem));
  std::string kid = issuer.did + "#" + issuer.did.substr(std::string("did:key:").size());
  // The provider's own key: a self-declared certificate, which the hub does not trust.
  MPLI_ASSIGN_OR_RETURN(auto self_key, SigningKey::generate(KeyType::kEd25519));
  MPLI_ASSIGN_OR_RETURN(std::string self_did,
                        credentials::did_key_from_public_key(self_key.public_key()));
  std::string self_kid = self_did + "#" + self_did.substr(std::string("did:key:").size());

  DemoProviderCredentials out;
  out.files_dir = out_dir;
  out.domain = summary.provider_domain;
  int64_t now = unix_now();
  bool left_one_untrusted = false;
  for (const auto& pointer : summary.credentials) {
    std::string path = url_path(pointer.url);
    if (path.empty() || path.find("..") != std::string::npos) continue;
    nlohmann::json credential = credential_for(pointer, summary, now);
    bool self_declared = !left_one_untrusted && pointer.claim == "certification" &&
                         pointer.standard.find("EUCS") != std::string::npos;
    auto token = self_declared
                     ? credentials::issue_vc_jwt(self_key, self_did, self_kid, credential, now)
                     : credentials::issue_vc_jwt(key, issuer.did, kid, credential, now);
    if (!token.is_ok()) return token.status();
    fs::path file = fs::path(out_dir) / path;
    std::error_code ec;
    fs::create_directories(file.parent_path(), ec);
    std::ofstream(file, std::ios::trunc) << *token << "\n";
    ++out.issued;
    if (self_declared) {
      left_one_untrusted = true;
      out.untrusted.push_back(pointer.standard + " (self-declared by the provider)");
    }
  }
  return out;
}

Result<std::vector<DemoConsumerCredential>> issue_demo_consumer_credentials(
    const DemoIssuer& issuer, const std::string& consumer_manifest) {
  MPLI_ASSIGN_OR_RETURN(std::string text, read_file(consumer_manifest));
  rdf::Graph graph;
  MPLI_RETURN_IF_ERROR(rdf::parse_string(text, consumer_manifest, graph, {}));
  rdf::TermTable& terms = graph.terms();
  const std::string mpli = "https://w3id.org/mpli#";
  const std::string gx = "https://w3id.org/gaia-x/development#";
  TermId consumer_class = terms.iri(mpli + "Consumer");
  std::vector<DemoConsumerCredential> out;
  MPLI_ASSIGN_OR_RETURN(std::string pem, read_file(issuer.key_file));
  MPLI_ASSIGN_OR_RETURN(auto key, SigningKey::from_pem(pem));
  std::string kid = issuer.did + "#" + issuer.did.substr(std::string("did:key:").size());
  int64_t now = unix_now();
  for (const rdf::Triple& t :
       graph.with_predicate_object(terms.well_known().rdf_type, consumer_class)) {
    if (!terms.is_iri(t.s)) continue;
    std::string consumer(terms.value(t.s));
    TermId person = graph.object(t.s, terms.iri(mpli + "legalPerson"));
    TermId address = person == rdf::kNoTerm ? rdf::kNoTerm
                                            : graph.object(person, terms.iri(gx + "legalAddress"));
    TermId country = address == rdf::kNoTerm ? rdf::kNoTerm
                                             : graph.object(address, terms.iri(gx + "countryCode"));
    nlohmann::json base = {{"@context", {"https://www.w3.org/ns/credentials/v2"}},
                           {"validFrom", credentials::xml_datetime(now - kDay)},
                           {"validUntil", credentials::xml_datetime(now + 365 * kDay)}};
    nlohmann::json identity = base;
    identity["type"] = {"VerifiableCredential", "gx:LegalPerson"};
    identity["credentialSubject"] = {
        {"id", consumer},
        {"type", "gx:LegalPerson"},
        {"gx:legalAddress",
         {{"type", "gx:Address"},
          {"gx:countryCode", country == rdf::kNoTerm ? "" : std::string(terms.value(country))}}}};
    nlohmann::json compliance = base;
    compliance["type"] = {"VerifiableCredential", "gx:ComplianceCredential"};
    compliance["credentialSubject"] = {{"id", consumer}, {"type", "gx:ComplianceCredential"}};
    for (auto& [kind, credential] :
         {std::make_pair(std::string("legal identity"), identity),
          std::make_pair(std::string("Gaia-X compliance"), compliance)}) {
      MPLI_ASSIGN_OR_RETURN(std::string token,
                            credentials::issue_vc_jwt(key, issuer.did, kid, credential, now));
      out.push_back({consumer, kind, std::move(token)});
    }
  }
  return out;
}

}  // namespace mpli::cli
