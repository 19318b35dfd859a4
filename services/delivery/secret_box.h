// Secrets at rest: AES-256-GCM under the hub's key (delivery.secret_key_file). A sealed value is
// nonce(12) || ciphertext || tag(16); the associated data binds it to its order, so a sealed
// value copied onto another order does not open. Plain secrets are never logged.
#pragma once

#include <array>
#include <map>
#include <string>

#include "libs/core/status.h"

namespace mpli::delivery {

class SecretBox {
 public:
  static constexpr size_t kKeySize = 32;
  static constexpr size_t kNonceSize = 12;
  static constexpr size_t kTagSize = 16;

  explicit SecretBox(const std::array<unsigned char, kKeySize>& key) : key_(key) {}

  // The key file: 32 raw bytes or 64 hex characters (a trailing newline allowed), mode 0600
  // (readable by the owner only) or it is refused.
  static Result<SecretBox> from_key_file(const std::string& path);
  // A random key that lives as long as the process (when no key file is configured).
  static SecretBox ephemeral();

  Result<std::string> seal(const std::string& plain, const std::string& associated) const;
  Result<std::string> open(const std::string& sealed, const std::string& associated) const;

  // A map of secrets as one sealed JSON object, and back.
  Result<std::string> seal_map(const std::map<std::string, std::string>& secrets,
                               const std::string& associated) const;
  Result<std::map<std::string, std::string>> open_map(const std::string& sealed,
                                                      const std::string& associated) const;

 private:
  std::array<unsigned char, kKeySize> key_;
};

}  // namespace mpli::delivery
