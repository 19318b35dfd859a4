// Bearer-token verification: a compact JWS, ES256 only, from a trusted issuer's key named by the
// token's kid, with exp/nbf/aud/iss checked. Pure over its inputs: the keys come from an
// IssuerKeys (fixed for the hub's own key, fetched for an OIDC issuer) and the time is given.
// Tokens that verified are remembered for a while (TokenRules::cache_*): a client sends the same
// token with every request, and checking its ES256 signature again was a fifth of the gateway's
// CPU for a resolution.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "libs/core/status.h"
#include "libs/credentials/public_key.h"
#include "services/gateway/auth/caller.h"

namespace mpli::gateway::auth {

// The keys of one issuer, by kid. kNotFound when the issuer has no such key.
class IssuerKeys {
 public:
  virtual ~IssuerKeys() = default;
  virtual Result<credentials::PublicKey> key(const std::string& kid) const = 0;
};

// A fixed set: the hub's own key under its RFC 7638 thumbprint.
class FixedKeys : public IssuerKeys {
 public:
  void add(const std::string& kid, credentials::PublicKey key);
  Result<credentials::PublicKey> key(const std::string& kid) const override;

 private:
  std::vector<std::pair<std::string, credentials::PublicKey>> keys_;
};

struct TrustedIssuer {
  std::string issuer;  // the exact iss value
  std::shared_ptr<const IssuerKeys> keys;
  // Claims that carry the role and the consumer tenant (an OIDC provider names them its way).
  std::string role_claim = "role";
  std::string tenant_claim = "tenant";
};

struct TokenRules {
  std::string audience = "mpli";
  std::chrono::seconds leeway{60};  // clock skew tolerated on exp and nbf
  size_t max_token_bytes = 16 * 1024;
  // Tokens that verified, remembered until they expire but at most cache_max_age, so a key an
  // OIDC issuer withdraws stops vouching for its tokens within that time. 0 entries: no cache.
  // When full, the cache is emptied at once (its tokens verify again).
  size_t cache_entries = 10000;
  std::chrono::seconds cache_max_age{60};
};

// Why a token is refused (the Status's details["reason"]), for tests and logs.
inline constexpr const char* kMalformed = "malformed";
inline constexpr const char* kBadAlgorithm = "bad_algorithm";
inline constexpr const char* kUnknownIssuer = "unknown_issuer";
inline constexpr const char* kUnknownKey = "unknown_key";
inline constexpr const char* kBadSignature = "bad_signature";
inline constexpr const char* kExpired = "expired";
inline constexpr const char* kNotYetValid = "not_yet_valid";
inline constexpr const char* kWrongAudience = "wrong_audience";
inline constexpr const char* kBadClaims = "bad_claims";

class TokenVerifier {
 public:
  TokenVerifier(std::vector<TrustedIssuer> issuers, TokenRules rules);

  // The caller the token speaks for, or kUnauthenticated with details["reason"] (above) and a
  // message fit to show the client (it never repeats the token). Safe from several threads.
  Result<Caller> verify(std::string_view token, std::chrono::system_clock::time_point now) const;

  bool has_issuers() const { return !issuers_.empty(); }

 private:
  struct Remembered {
    Caller caller;
    int64_t valid_until = 0;  // seconds since the epoch: the token's exp plus the leeway
    std::chrono::system_clock::time_point verified_at;
  };
  // verify() without the cache; `valid_until` gets the token's exp plus the leeway.
  Result<Caller> verify_signed(std::string_view token, std::chrono::system_clock::time_point now,
                               int64_t* valid_until) const;

  std::vector<TrustedIssuer> issuers_;
  TokenRules rules_;
  mutable std::mutex cache_mutex_;
  mutable std::unordered_map<std::string, Remembered> cache_;
};

}  // namespace mpli::gateway::auth
