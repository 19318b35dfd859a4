#include "libs/testing/tokens.h"

#include <fcntl.h>
#include <unistd.h>

#include <stdexcept>

#include "libs/credentials/jwk.h"

namespace mpli::testing {

using nlohmann::json;

TestTokens::TestTokens(const std::string& dir) : key_file_(dir + "/hub-signing-key.pem") {
  auto key = credentials::SigningKey::generate(credentials::KeyType::kP256);
  if (!key) throw std::runtime_error("cannot generate a test key: " + key.status().message());
  key_ = std::make_shared<credentials::SigningKey>(std::move(key).value());
  std::string pem = key_->to_pem();
  int fd = ::open(key_file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0 || ::write(fd, pem.data(), pem.size()) != static_cast<ssize_t>(pem.size())) {
    if (fd >= 0) ::close(fd);
    throw std::runtime_error("cannot write " + key_file_);
  }
  ::close(fd);
}

std::string TestTokens::kid() const { return credentials::jwk_thumbprint(key_->public_key()); }

json TestTokens::default_claims() const {
  int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  return {{"iss", "mpli"}, {"aud", "mpli"}, {"iat", now}, {"nbf", now}, {"exp", now + 3600}};
}

std::string TestTokens::sign(const json& claims, const credentials::SigningKey& key,
                             const json& header) const {
  json all = default_claims();
  for (const auto& [name, value] : claims.items()) {
    if (value.is_null()) {
      all.erase(name);
    } else {
      all[name] = value;
    }
  }
  auto token = key.sign(header, all.dump());
  if (!token) throw std::runtime_error("cannot sign a test token: " + token.status().message());
  return *token;
}

std::string TestTokens::sign(const json& claims) const {
  return sign(claims, *key_, {{"typ", "JWT"}, {"kid", kid()}});
}

std::string TestTokens::admin() const { return sign({{"sub", "admin"}, {"role", "admin"}}); }

std::string TestTokens::consumer(const std::string& tenant) const {
  return sign({{"sub", "tenant:" + tenant}, {"role", "consumer"}, {"tenant", tenant}});
}

std::string TestTokens::provider(const std::string& provider_id) const {
  return sign(
      {{"sub", "provider:" + provider_id}, {"role", "provider"}, {"provider", provider_id}});
}

std::string TestTokens::marketplace(const std::vector<std::string>& tenants) const {
  return sign({{"sub", "marketplace"}, {"role", "marketplace"}, {"tenants", tenants}});
}

}  // namespace mpli::testing
