#include "services/gateway/auth/token_verifier.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "libs/credentials/jws.h"

namespace mpli::gateway::auth {
namespace {

using nlohmann::json;

Status refused(const char* reason, std::string message) {
  return Status(StatusCode::kUnauthenticated, std::move(message), {{"reason", reason}});
}

// A claim that must be a string, "" when absent; an error when present with another type.
Result<std::string> string_claim(const json& claims, const std::string& name) {
  auto it = claims.find(name);
  if (it == claims.end() || it->is_null()) return std::string();
  if (!it->is_string()) return refused(kBadClaims, "the token's " + name + " is not a string");
  return it->get<std::string>();
}

Result<int64_t> time_claim(const json& claims, const std::string& name, bool required) {
  auto it = claims.find(name);
  if (it == claims.end()) {
    if (required) return refused(kBadClaims, "the token has no " + name + " claim");
    return int64_t{-1};
  }
  if (!it->is_number()) return refused(kBadClaims, "the token's " + name + " is not a number");
  // Past +-10^15 seconds (31 million years) a time is no time: converting it to int64_t could
  // overflow (undefined behaviour), and so could adding the leeway to it.
  double value = it->get<double>();
  if (!(std::fabs(value) <= 1e15)) {
    return refused(kBadClaims, "the token's " + name + " is out of range");
  }
  return static_cast<int64_t>(value);
}

bool audience_matches(const json& aud, const std::string& audience) {
  if (aud.is_string()) return aud.get<std::string>() == audience;
  if (aud.is_array()) {
    for (const auto& one : aud) {
      if (one.is_string() && one.get<std::string>() == audience) return true;
    }
  }
  return false;
}

Result<Caller> caller_from(const json& claims, const TrustedIssuer& issuer) {
  Caller caller;
  caller.issuer = issuer.issuer;
  auto subject = string_claim(claims, "sub");
  if (!subject) return subject.status();
  caller.subject = *subject;
  auto role_text = string_claim(claims, issuer.role_claim);
  if (!role_text) return role_text.status();
  auto role = role_from_name(*role_text);
  if (!role) {
    return refused(kBadClaims, "the token's " + issuer.role_claim +
                                   " claim must be admin, provider, consumer or marketplace");
  }
  caller.role = *role;
  auto tenant = string_claim(claims, issuer.tenant_claim);
  if (!tenant) return tenant.status();
  caller.tenant = *tenant;
  auto provider = string_claim(claims, "provider");
  if (!provider) return provider.status();
  caller.provider = *provider;
  if (auto it = claims.find("tenants"); it != claims.end()) {
    if (!it->is_array()) return refused(kBadClaims, "the token's tenants is not an array");
    for (const auto& one : *it) {
      if (!one.is_string() || one.get<std::string>().empty()) {
        return refused(kBadClaims, "the token's tenants must be non-empty strings");
      }
      caller.tenants.push_back(one.get<std::string>());
    }
  }
  // A role without what it acts on would match nothing, or worse, match "" as everything.
  if (caller.role == Role::kConsumer && caller.tenant.empty()) {
    return refused(kBadClaims, "a consumer token needs a " + issuer.tenant_claim + " claim");
  }
  if (caller.role == Role::kProvider && caller.provider.empty()) {
    return refused(kBadClaims, "a provider token needs a provider claim");
  }
  if (caller.role == Role::kMarketplace && caller.tenants.empty()) {
    return refused(kBadClaims, "a marketplace token needs a tenants claim");
  }
  return caller;
}

}  // namespace

std::string_view role_name(Role role) {
  switch (role) {
    case Role::kAdmin:
      return "admin";
    case Role::kProvider:
      return "provider";
    case Role::kConsumer:
      return "consumer";
    case Role::kMarketplace:
      return "marketplace";
  }
  return "consumer";
}

std::optional<Role> role_from_name(std::string_view name) {
  for (Role role : {Role::kAdmin, Role::kProvider, Role::kConsumer, Role::kMarketplace}) {
    if (role_name(role) == name) return role;
  }
  return std::nullopt;
}

void FixedKeys::add(const std::string& kid, credentials::PublicKey key) {
  keys_.emplace_back(kid, std::move(key));
}

Result<credentials::PublicKey> FixedKeys::key(const std::string& kid) const {
  for (const auto& [id, key] : keys_) {
    if (id == kid) return key;
  }
  return not_found("no key with kid " + kid);
}

TokenVerifier::TokenVerifier(std::vector<TrustedIssuer> issuers, TokenRules rules)
    : issuers_(std::move(issuers)), rules_(std::move(rules)) {}

Result<Caller> TokenVerifier::verify(std::string_view token,
                                     std::chrono::system_clock::time_point now) const {
  int64_t seconds =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  if (rules_.cache_entries > 0) {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    auto it = cache_.find(std::string(token));
    if (it != cache_.end()) {
      const Remembered& remembered = it->second;
      // A clock set back before the verification is not trusted to be inside the window.
      if (seconds <= remembered.valid_until && now >= remembered.verified_at &&
          now - remembered.verified_at < rules_.cache_max_age) {
        return remembered.caller;
      }
      cache_.erase(it);
    }
  }
  int64_t valid_until = 0;
  auto caller = verify_signed(token, now, &valid_until);
  if (caller && rules_.cache_entries > 0) {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    if (cache_.size() >= rules_.cache_entries) cache_.clear();
    cache_[std::string(token)] = Remembered{*caller, valid_until, now};
  }
  return caller;
}

Result<Caller> TokenVerifier::verify_signed(std::string_view token,
                                            std::chrono::system_clock::time_point now,
                                            int64_t* valid_until) const {
  auto jws = credentials::parse_compact_jws(token, rules_.max_token_bytes);
  if (!jws)
    return refused(kMalformed, "the bearer token is not a compact JWS (header.payload.signature)");
  const json& header = jws->header;
  std::string alg = header.value("alg", std::string());
  // Decided before any key is looked at: "none", HS256 with a public key as its secret and the
  // like never get as far as a key.
  if (alg != "ES256") {
    return refused(kBadAlgorithm, "the token's alg is \"" + alg + "\"; only ES256 is accepted");
  }
  auto kid = header.find("kid");
  if (kid == header.end() || !kid->is_string() || kid->get<std::string>().empty()) {
    return refused(kUnknownKey, "the token's header names no kid");
  }
  json claims = json::parse(jws->payload, nullptr, false);
  if (claims.is_discarded() || !claims.is_object()) {
    return refused(kMalformed, "the token's payload is not a JSON object");
  }
  auto iss = string_claim(claims, "iss");
  if (!iss) return iss.status();
  const TrustedIssuer* issuer = nullptr;
  for (const auto& candidate : issuers_) {
    if (candidate.issuer == *iss) issuer = &candidate;
  }
  if (issuer == nullptr) {
    return refused(kUnknownIssuer, "the token's issuer \"" + *iss + "\" is not trusted here");
  }
  auto key = issuer->keys->key(kid->get<std::string>());
  if (!key) {
    return refused(kUnknownKey, "issuer \"" + *iss + "\" has no key " + kid->get<std::string>() +
                                    " (" + key.status().message() + ")");
  }
  if (!credentials::verify_compact_jws(*jws, *key).is_ok()) {
    return refused(kBadSignature, "the token's signature does not verify");
  }
  // Only now are the claims believed.
  int64_t seconds =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  int64_t leeway = rules_.leeway.count();
  auto exp = time_claim(claims, "exp", true);
  if (!exp) return exp.status();
  if (seconds > *exp + leeway) return refused(kExpired, "the token has expired");
  auto nbf = time_claim(claims, "nbf", false);
  if (!nbf) return nbf.status();
  if (*nbf >= 0 && seconds + leeway < *nbf) {
    return refused(kNotYetValid, "the token is not valid yet (nbf)");
  }
  if (!claims.contains("aud") || !audience_matches(claims["aud"], rules_.audience)) {
    return refused(kWrongAudience, "the token is not meant for \"" + rules_.audience + "\" (aud)");
  }
  *valid_until = *exp + leeway;
  return caller_from(claims, *issuer);
}

}  // namespace mpli::gateway::auth
