#include "services/gateway/auth/oidc_keys.h"

#include <nlohmann/json.hpp>

#include "libs/credentials/jwk.h"

namespace mpli::gateway::auth {

using nlohmann::json;

Result<std::string> jwks_uri_from_discovery(const std::string& document,
                                            const std::string& issuer) {
  json body = json::parse(document, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return invalid_argument("the OpenID configuration of " + issuer + " is not a JSON object");
  }
  if (body.value("issuer", std::string()) != issuer) {
    return invalid_argument("the OpenID configuration of " + issuer + " names another issuer");
  }
  std::string uri = body.value("jwks_uri", std::string());
  if (uri.empty()) {
    return invalid_argument("the OpenID configuration of " + issuer + " has no jwks_uri");
  }
  return uri;
}

Result<KeyList> keys_from_jwks(const std::string& document) {
  json body = json::parse(document, nullptr, false);
  if (body.is_discarded() || !body.is_object() || !body.contains("keys") ||
      !body["keys"].is_array()) {
    return invalid_argument("the JWKS is not {\"keys\": [...]}");
  }
  KeyList keys;
  for (const auto& jwk : body["keys"]) {
    if (!jwk.is_object() || !jwk.contains("kid") || !jwk["kid"].is_string()) continue;
    if (jwk.value("use", std::string("sig")) != "sig") continue;
    auto key = credentials::public_key_from_jwk(jwk);
    if (!key || key->type() != credentials::KeyType::kP256) continue;
    keys.emplace_back(jwk["kid"].get<std::string>(), std::move(key).value());
  }
  return keys;
}

OidcKeys::OidcKeys(std::string issuer, std::shared_ptr<const fetch::GuardedFetcher> fetcher,
                   std::chrono::seconds min_refetch)
    : issuer_(std::move(issuer)), fetcher_(std::move(fetcher)), min_refetch_(min_refetch) {}

int OidcKeys::fetches() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return fetches_;
}

Status OidcKeys::refetch() const {
  last_fetch_ = std::chrono::steady_clock::now();
  ++fetches_;
  if (jwks_uri_.empty()) {
    std::string base = issuer_;
    while (!base.empty() && base.back() == '/') base.pop_back();
    fetch::FetchRequest request;
    request.url = base + "/.well-known/openid-configuration";
    request.accept = "application/json";
    request.max_bytes = 256 * 1024;
    auto discovery = fetcher_->fetch(request);
    if (!discovery) return discovery.status();
    auto uri = jwks_uri_from_discovery(discovery->body, issuer_);
    if (!uri) return uri.status();
    jwks_uri_ = *uri;
  }
  fetch::FetchRequest request;
  request.url = jwks_uri_;
  request.accept = "application/json";
  request.max_bytes = 256 * 1024;
  auto jwks = fetcher_->fetch(request);
  if (!jwks) return jwks.status();
  auto keys = keys_from_jwks(jwks->body);
  if (!keys) return keys.status();
  keys_ = std::move(keys).value();
  return Status::ok();
}

Result<credentials::PublicKey> OidcKeys::key(const std::string& kid) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto find = [&]() -> std::optional<credentials::PublicKey> {
    for (const auto& [id, key] : keys_) {
      if (id == kid) return key;
    }
    return std::nullopt;
  };
  if (auto key = find()) return *key;
  bool may_fetch = !last_fetch_ || std::chrono::steady_clock::now() - *last_fetch_ >= min_refetch_;
  if (!may_fetch) return not_found("no key " + kid + " in the JWKS of " + issuer_);
  Status fetched = refetch();
  if (!fetched.is_ok()) {
    return unavailable("the keys of " + issuer_ + " could not be fetched: " + fetched.message());
  }
  if (auto key = find()) return *key;
  return not_found("no key " + kid + " in the JWKS of " + issuer_);
}

}  // namespace mpli::gateway::auth
