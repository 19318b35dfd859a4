// Bearer tokens for tests: a hub signing key written (0600) into a test directory, for the
// gateway's MPLI_AUTH_SIGNING_KEY_FILE, and tokens minted with it exactly as the contract says
// (ES256, kid = RFC 7638 thumbprint, iss/aud "mpli"). Built on libs/credentials alone, so a
// mistake in the gateway's own minting cannot hide one in its verification.
#pragma once

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "libs/credentials/jws.h"

namespace mpli::testing {

class TestTokens {
 public:
  // Writes a new P-256 key to <dir>/hub-signing-key.pem, mode 0600.
  explicit TestTokens(const std::string& dir);

  // For the gateway: {"MPLI_AUTH_SIGNING_KEY_FILE", key_file()}.
  const std::string& key_file() const { return key_file_; }
  const credentials::SigningKey& key() const { return *key_; }

  // Tokens valid for an hour from now.
  std::string admin() const;
  std::string consumer(const std::string& tenant) const;
  std::string provider(const std::string& provider_id) const;
  std::string marketplace(const std::vector<std::string>& tenants) const;
  // Any claims (merged over iss/aud/iat/exp defaults; a null value removes a default), signed
  // with `key` (default: the hub's) under the hub key's kid, or with `header` as given.
  std::string sign(const nlohmann::json& claims) const;
  std::string sign(const nlohmann::json& claims, const credentials::SigningKey& key,
                   const nlohmann::json& header) const;
  // The claims a fresh token starts from.
  nlohmann::json default_claims() const;
  std::string kid() const;

  // "Authorization: Bearer <token>", for libs/http's header lists.
  static std::string bearer(const std::string& token) { return "Authorization: Bearer " + token; }

 private:
  std::string key_file_;
  std::shared_ptr<credentials::SigningKey> key_;
};

}  // namespace mpli::testing
