// The hub's own token key: a P-256 private key in a PKCS#8 PEM file only its owner may read, and
// the tokens it signs (the contract's claims). Used by the gateway (to verify and to publish the
// public key), by `mpli token create` and by `mpli up`.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "libs/core/status.h"
#include "libs/credentials/jws.h"
#include "services/gateway/auth/caller.h"

namespace mpli::gateway::auth {

// The key in `path`. A file group or others may read stops here: whoever reads it can mint
// admin tokens. `setting` names where the path came from, for the message.
Result<credentials::SigningKey> load_signing_key(const std::string& path,
                                                 const std::string& setting);

// As load_signing_key, but a missing file is first created with a new P-256 key, mode 0600.
Result<credentials::SigningKey> load_or_create_signing_key(const std::string& path);

// The kid of tokens signed by `key`: its RFC 7638 thumbprint.
std::string key_id(const credentials::PublicKey& key);

struct TokenRequest {
  Role role = Role::kConsumer;
  std::string subject;               // "" = derived from the role and what it acts on
  std::string tenant;                // consumer
  std::string provider;              // provider
  std::vector<std::string> tenants;  // marketplace
  std::chrono::seconds ttl{3600};
  std::string issuer = "mpli";
  std::string audience = "mpli";
};

// Checks what the role needs (a consumer's tenant, a provider's id, a marketplace's tenants),
// then signs {"alg":"ES256","typ":"JWT","kid"} over the claims.
Result<std::string> mint_token(const credentials::SigningKey& key, const TokenRequest& request,
                               std::chrono::system_clock::time_point now);

}  // namespace mpli::gateway::auth
