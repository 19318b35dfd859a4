#include "services/trust/hub_issuer.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "libs/credentials/credential_issuer.h"
#include "libs/credentials/did.h"

namespace mpli::trust {

Result<std::unique_ptr<HubIssuer>> HubIssuer::load(const std::string& key_file,
                                                   const std::string& issuer_id) {
  struct stat info {};
  if (::stat(key_file.c_str(), &info) != 0) {
    return Status(StatusCode::kFailedPrecondition,
                  "issuer.key_file " + key_file + " cannot be read (does it exist?)");
  }
  // The key signs credentials in the hub's name: a key others can read is a key others hold.
  if ((info.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    return Status(StatusCode::kFailedPrecondition,
                  "issuer.key_file " + key_file +
                      " is readable by group or others; run: chmod 600 " + key_file);
  }
  std::ifstream in(key_file);
  std::stringstream text;
  text << in.rdbuf();
  auto key = credentials::SigningKey::from_pem(text.str());
  if (!key.is_ok()) {
    // The message of a PEM parse error never quotes the key.
    return Status(StatusCode::kFailedPrecondition,
                  "issuer.key_file " + key_file +
                      " is not a PKCS#8 PEM Ed25519 or P-256 key: " + key.status().message());
  }
  std::string id = issuer_id;
  std::string kid;
  if (id.empty()) {
    MPLI_ASSIGN_OR_RETURN(id, credentials::did_key_from_public_key(key->public_key()));
    kid = id + "#" + id.substr(std::string("did:key:").size());
  } else {
    kid = id + "#key-1";
  }
  return std::unique_ptr<HubIssuer>(new HubIssuer(std::move(*key), id, kid));
}

Result<std::string> HubIssuer::issue(nlohmann::json credential, int64_t now) const {
  return credentials::issue_vc_jwt(key_, issuer_id_, kid_, std::move(credential), now);
}

}  // namespace mpli::trust
