// HubKeyResolver: the keys this hub accepts signatures from. did:key and did:jwk are resolved
// in place; did:web documents are fetched with the guarded fetcher and cached for a while; an
// x5c chain must end at a root certificate of the anchors in force.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "libs/credentials/did.h"
#include "libs/credentials/key_resolver.h"
#include "libs/credentials/x509_chain.h"
#include "services/trust/rewriting_fetcher.h"
#include "services/trust/trust_service.h"

namespace mpli::trust {

class HubKeyResolver : public credentials::KeyResolver {
 public:
  // x5c chains must end at a root certificate of `anchors`' current set.
  HubKeyResolver(const RewritingFetcher& fetcher, const AnchorHolder& anchors,
                 std::chrono::seconds did_web_ttl)
      : fetcher_(fetcher), anchors_(anchors), did_web_ttl_(did_web_ttl) {}

  Result<credentials::ResolvedKey> resolve(const credentials::KeyRequest& request) const override;

 private:
  Result<nlohmann::json> did_web_document(const std::string& did) const;
  // The roots of the anchors in force, rebuilt when their version changes.
  Result<std::shared_ptr<const credentials::CertificateRoots>> roots() const;

  const RewritingFetcher& fetcher_;
  const AnchorHolder& anchors_;
  std::chrono::seconds did_web_ttl_;
  credentials::DidKeyResolver did_key_;
  mutable std::mutex mutex_;
  mutable std::shared_ptr<const credentials::CertificateRoots> roots_;
  mutable int64_t roots_version_ = -1;
  struct CachedDocument {
    nlohmann::json document;
    std::chrono::steady_clock::time_point expires;
  };
  mutable std::map<std::string, CachedDocument> documents_;
};

}  // namespace mpli::trust
