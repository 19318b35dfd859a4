#include "services/gateway/auth/hub_key.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "libs/core/ids.h"
#include "libs/credentials/jwk.h"

namespace mpli::gateway::auth {

Result<credentials::SigningKey> load_signing_key(const std::string& path,
                                                 const std::string& setting) {
  struct stat info {};
  if (stat(path.c_str(), &info) != 0) {
    return invalid_argument(setting + " " + path + ": " + std::strerror(errno));
  }
  if (!S_ISREG(info.st_mode))
    return invalid_argument(setting + " " + path + ": not a regular file");
  if ((info.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%04o", static_cast<unsigned>(info.st_mode & 07777));
    return invalid_argument(setting + " " + path + " has mode " + mode +
                            ": group or others may read the hub's signing key; run chmod 600 " +
                            path);
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return invalid_argument(setting + " " + path + ": cannot be read");
  std::stringstream text;
  text << in.rdbuf();
  auto key = credentials::SigningKey::from_pem(text.str());
  if (!key) {
    return invalid_argument(setting + " " + path + ": not a PKCS#8 PEM private key (" +
                            key.status().message() + ")");
  }
  if (key->type() != credentials::KeyType::kP256) {
    return invalid_argument(setting + " " + path +
                            ": the hub signs ES256, so the key must be P-256");
  }
  return key;
}

Result<credentials::SigningKey> load_or_create_signing_key(const std::string& path) {
  struct stat info {};
  if (stat(path.c_str(), &info) != 0 && errno == ENOENT) {
    auto key = credentials::SigningKey::generate(credentials::KeyType::kP256);
    if (!key) return key.status();
    // O_EXCL with 0600 from the start: the key is never readable by others, not even briefly.
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return invalid_argument(path + ": " + std::strerror(errno));
    std::string pem = key->to_pem();
    bool written = ::write(fd, pem.data(), pem.size()) == static_cast<ssize_t>(pem.size());
    ::close(fd);
    if (!written) return internal_error(path + ": could not write the key");
  }
  return load_signing_key(path, "signing key");
}

std::string key_id(const credentials::PublicKey& key) { return credentials::jwk_thumbprint(key); }

Result<std::string> mint_token(const credentials::SigningKey& key, const TokenRequest& request,
                               std::chrono::system_clock::time_point now) {
  nlohmann::json claims;
  std::string subject = request.subject;
  switch (request.role) {
    case Role::kConsumer:
      if (request.tenant.empty()) return invalid_field("tenant", "a consumer token needs --tenant");
      claims["tenant"] = request.tenant;
      if (subject.empty()) subject = "tenant:" + request.tenant;
      break;
    case Role::kProvider:
      if (request.provider.empty()) {
        return invalid_field("provider", "a provider token needs --provider");
      }
      claims["provider"] = request.provider;
      if (subject.empty()) subject = "provider:" + request.provider;
      break;
    case Role::kMarketplace:
      if (request.tenants.empty()) {
        return invalid_field("tenant",
                             "a marketplace token needs the tenants it acts for (--tenant)");
      }
      claims["tenants"] = request.tenants;
      if (subject.empty()) subject = "marketplace";
      break;
    case Role::kAdmin:
      if (subject.empty()) subject = "admin";
      break;
  }
  if (request.ttl.count() <= 0) return invalid_field("ttl", "must be positive");
  int64_t iat = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  claims["iss"] = request.issuer;
  claims["sub"] = subject;
  claims["aud"] = request.audience;
  claims["iat"] = iat;
  claims["nbf"] = iat;
  claims["exp"] = iat + request.ttl.count();
  claims["jti"] = ids::new_uuid_v7();
  claims["role"] = std::string(role_name(request.role));
  nlohmann::json header = {{"typ", "JWT"}, {"kid", key_id(key.public_key())}};
  return key.sign(header, claims.dump());
}

}  // namespace mpli::gateway::auth
