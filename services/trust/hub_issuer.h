// HubIssuer: the hub's own issuing key (issuer.key_file), so a federation can run its own
// labels. The key file must be readable by its owner only; the key is never logged. Its issuer
// id is the key's did:key unless issuer.id names a did:web whose document lists the key.
#pragma once

#include <string>

#include "libs/core/status.h"
#include "libs/credentials/jws.h"
#include "services/trust/trust_service.h"

namespace mpli::trust {

class HubIssuer : public Issuer {
 public:
  // Refuses (kFailedPrecondition, saying what to do) a key file that group or others can read,
  // a file that is not a PKCS#8 PEM Ed25519/P-256/P-384 key, or an unreadable path.
  static Result<std::unique_ptr<HubIssuer>> load(const std::string& key_file,
                                                 const std::string& issuer_id);

  const std::string& issuer_id() const override { return issuer_id_; }
  Result<std::string> issue(nlohmann::json credential, int64_t now) const override;

 private:
  HubIssuer(credentials::SigningKey key, std::string issuer_id, std::string kid)
      : key_(std::move(key)), issuer_id_(std::move(issuer_id)), kid_(std::move(kid)) {}

  credentials::SigningKey key_;
  std::string issuer_id_;
  std::string kid_;
};

}  // namespace mpli::trust
