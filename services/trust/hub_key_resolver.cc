#include "services/trust/hub_key_resolver.h"

#include "libs/credentials/json_document.h"
#include "libs/credentials/refusal.h"

namespace mpli::trust {
namespace {

using credentials::Refusal;
using credentials::refusal;

// Bounds the cache: a flood of tokens naming fresh did:web issuers cannot grow it without end.
constexpr size_t kMaxCachedDocuments = 1024;

bool starts_with(const std::string& text, const char* prefix) { return text.rfind(prefix, 0) == 0; }

}  // namespace

Result<std::shared_ptr<const credentials::CertificateRoots>> HubKeyResolver::roots() const {
  auto anchors = anchors_.current();
  std::lock_guard<std::mutex> lock(mutex_);
  if (roots_version_ != anchors->version) {
    roots_.reset();
    std::string pem;
    for (const auto& certificate : anchors->all_root_certificates()) pem += certificate + "\n";
    if (!pem.empty()) {
      MPLI_ASSIGN_OR_RETURN(auto parsed, credentials::CertificateRoots::from_pem(pem));
      roots_ = std::make_shared<const credentials::CertificateRoots>(std::move(parsed));
    }
    roots_version_ = anchors->version;
  }
  return roots_;
}

Result<nlohmann::json> HubKeyResolver::did_web_document(const std::string& did) const {
  auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = documents_.find(did);
    if (it != documents_.end() && it->second.expires > now) return it->second.document;
  }
  MPLI_ASSIGN_OR_RETURN(std::string url, credentials::did_web_document_url(did));
  fetch::FetchRequest request;
  request.url = url;
  request.accept = "application/did+json, application/json";
  auto response = fetcher_.fetch(request);
  if (!response.is_ok()) {
    const Status& why = response.status();
    // A refused address or URL will not get better by retrying; a server that is down may.
    bool retry =
        why.code() == StatusCode::kUnavailable || why.code() == StatusCode::kDeadlineExceeded;
    return refusal(retry ? Refusal::kKeyUnavailable : Refusal::kKeyNotFound,
                   "did:web document " + url + ": " + why.message());
  }
  if (response->http_status != 200) {
    return refusal(Refusal::kKeyNotFound,
                   "did:web document " + url + ": HTTP " + std::to_string(response->http_status));
  }
  MPLI_ASSIGN_OR_RETURN(nlohmann::json document,
                        credentials::parse_json_object(response->body, "did:web document"));
  std::lock_guard<std::mutex> lock(mutex_);
  if (documents_.size() >= kMaxCachedDocuments) documents_.clear();
  documents_[did] = {document, now + did_web_ttl_};
  return document;
}

Result<credentials::ResolvedKey> HubKeyResolver::resolve(
    const credentials::KeyRequest& request) const {
  if (!request.x5c.empty()) {
    MPLI_ASSIGN_OR_RETURN(auto roots, this->roots());
    if (!roots) {
      return refusal(Refusal::kBadCertificateChain,
                     "the token carries an x5c chain, but no trust anchor names a root "
                     "certificate");
    }
    auto now = std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    MPLI_ASSIGN_OR_RETURN(auto chain, credentials::verify_chain(*roots, request.x5c, now));
    return credentials::ResolvedKey{chain.key, request.kid.empty() ? chain.subject : request.kid,
                                    chain.trust_root};
  }
  std::string did = request.kid.empty() || request.kid[0] == '#'
                        ? request.issuer
                        : credentials::split_did_url(request.kid).first;
  if (starts_with(did, "did:key:") || starts_with(did, "did:jwk:")) {
    return did_key_.resolve(request);
  }
  if (starts_with(did, "did:web:")) {
    if (!request.issuer.empty() && did != request.issuer &&
        credentials::split_did_url(request.issuer).first != did) {
      return refusal(Refusal::kKeyNotFound, "the kid '" + request.kid +
                                                "' names another DID than the issuer '" +
                                                request.issuer + "'");
    }
    MPLI_ASSIGN_OR_RETURN(nlohmann::json document, did_web_document(did));
    std::string method = request.kid.empty() ? did : request.kid;
    return credentials::find_verification_method(document, did, method);
  }
  return refusal(Refusal::kKeyNotFound,
                 "cannot resolve a key for issuer '" + request.issuer + "' (kid '" + request.kid +
                     "'): this hub resolves did:key, did:jwk, did:web and x5c chains");
}

}  // namespace mpli::trust
