// An OIDC issuer's signing keys: its discovery document (<issuer>/.well-known/openid-
// configuration) names its jwks_uri, whose EC P-256 keys verify its tokens by kid. Fetched on
// first use and again when a token names a kid not seen yet (a rotation), at most once per
// `min_refetch`, so a stream of tokens with made-up kids cannot make the gateway hammer the IdP.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "libs/fetch/guarded_fetcher.h"
#include "services/gateway/auth/token_verifier.h"

namespace mpli::gateway::auth {

using KeyList = std::vector<std::pair<std::string, credentials::PublicKey>>;

// The jwks_uri of a discovery document, whose "issuer" must be `issuer` (OIDC Discovery 4.3).
Result<std::string> jwks_uri_from_discovery(const std::string& document, const std::string& issuer);

// The usable keys of a JWKS: EC P-256 keys with a kid (others, e.g. RSA, are skipped: tokens
// are ES256 only).
Result<KeyList> keys_from_jwks(const std::string& document);

class OidcKeys : public IssuerKeys {
 public:
  OidcKeys(std::string issuer, std::shared_ptr<const fetch::GuardedFetcher> fetcher,
           std::chrono::seconds min_refetch = std::chrono::seconds(30));

  Result<credentials::PublicKey> key(const std::string& kid) const override;

  // How many times the JWKS was fetched (for tests).
  int fetches() const;

 private:
  Status refetch() const;  // mutex_ held

  std::string issuer_;
  std::shared_ptr<const fetch::GuardedFetcher> fetcher_;
  std::chrono::seconds min_refetch_;
  mutable std::mutex mutex_;
  mutable KeyList keys_;
  mutable std::string jwks_uri_;
  mutable std::optional<std::chrono::steady_clock::time_point> last_fetch_;
  mutable int fetches_ = 0;
};

}  // namespace mpli::gateway::auth
