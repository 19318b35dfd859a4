#include "libs/credentials/credential_issuer.h"

#include <ctime>

namespace mpli::credentials {

std::string xml_datetime(int64_t unix_seconds) {
  std::time_t when = static_cast<std::time_t>(unix_seconds);
  std::tm utc{};
  gmtime_r(&when, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof(buffer), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buffer;
}

Result<std::string> issue_vc_jwt(const SigningKey& key, const std::string& issuer,
                                 const std::string& kid, nlohmann::json credential, int64_t now) {
  if (!credential.is_object()) {
    return Status(StatusCode::kInvalidArgument, "credential: must be a JSON object",
                  {{"field", "credential"}});
  }
  auto named = credential.find("issuer");
  if (named != credential.end()) {
    std::string id = named->is_string() ? named->get<std::string>()
                     : named->is_object() && named->contains("id") && (*named)["id"].is_string()
                         ? (*named)["id"].get<std::string>()
                         : "";
    if (id != issuer) {
      return Status(StatusCode::kInvalidArgument,
                    "credential.issuer: names '" + id + "', but the signer is '" + issuer + "'",
                    {{"field", "credential.issuer"}});
    }
  }
  credential["issuer"] = issuer;
  if (!credential.contains("@context")) {
    credential["@context"] = nlohmann::json::array({"https://www.w3.org/ns/credentials/v2"});
  }
  if (!credential.contains("type")) credential["type"] = {"VerifiableCredential"};
  if (!credential.contains("validFrom")) credential["validFrom"] = xml_datetime(now);
  nlohmann::json header = {{"typ", "vc+jwt"}, {"kid", kid}};
  return key.sign(header, credential.dump());
}

}  // namespace mpli::credentials
