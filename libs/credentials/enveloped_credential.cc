#include "libs/credentials/enveloped_credential.h"

#include "libs/credentials/base64url.h"
#include "libs/credentials/refusal.h"

namespace mpli::credentials {
namespace {

Status bad_field(const std::string& field, const std::string& message) {
  return refusal(Refusal::kMalformed, field + ": " + message).with_detail("field", field);
}

bool has_type(const nlohmann::json& entry, std::string_view wanted) {
  auto it = entry.find("type");
  if (it == entry.end()) return false;
  if (it->is_string()) return it->get_ref<const std::string&>() == wanted;
  if (it->is_array()) {
    for (const auto& t : *it) {
      if (t.is_string() && t.get_ref<const std::string&>() == wanted) return true;
    }
  }
  return false;
}

// RFC 2397: data:[<mediatype>][;base64],<data>
Result<EnvelopedCredential> parse_data_url(const std::string& url, const std::string& field) {
  constexpr std::string_view kScheme = "data:";
  if (url.compare(0, kScheme.size(), kScheme) != 0) {
    return bad_field(field, "'" + url.substr(0, 40) + "' is not a data: URL");
  }
  size_t comma = url.find(',');
  if (comma == std::string::npos) return bad_field(field, "data: URL has no ','");
  std::string header = url.substr(kScheme.size(), comma - kScheme.size());
  EnvelopedCredential out;
  bool base64 = false;
  size_t semicolon = header.find(';');
  out.media_type = header.substr(0, semicolon);
  while (semicolon != std::string::npos) {
    size_t next = header.find(';', semicolon + 1);
    if (header.substr(semicolon + 1, next - semicolon - 1) == "base64") base64 = true;
    semicolon = next;
  }
  if (out.media_type.empty()) return bad_field(field, "data: URL has no media type");
  out.data = url.substr(comma + 1);
  if (base64) {
    auto decoded = base64_decode(out.data);
    if (!decoded.is_ok()) return bad_field(field, decoded.status().message());
    out.data = std::move(*decoded);
  }
  if (out.data.empty()) return bad_field(field, "data: URL is empty");
  return out;
}

}  // namespace

Result<std::vector<EnvelopedCredential>> read_enveloped_credentials(
    const nlohmann::json& presentation) {
  std::vector<EnvelopedCredential> out;
  if (!presentation.is_object()) return bad_field("presentation", "must be an object");
  auto it = presentation.find("verifiableCredential");
  if (it == presentation.end()) return out;
  nlohmann::json entries = it->is_array() ? *it : nlohmann::json::array({*it});
  for (size_t i = 0; i < entries.size(); ++i) {
    const std::string field = "verifiableCredential[" + std::to_string(i) + "]";
    const auto& entry = entries[i];
    if (!entry.is_object()) return bad_field(field, "must be an object");
    if (!has_type(entry, "EnvelopedVerifiableCredential")) {
      return bad_field(field + ".type", "must be EnvelopedVerifiableCredential");
    }
    auto id = entry.find("id");
    if (id == entry.end() || !id->is_string()) {
      return bad_field(field + ".id", "missing or not a string");
    }
    MPLI_ASSIGN_OR_RETURN(auto credential, parse_data_url(id->get<std::string>(), field + ".id"));
    out.push_back(std::move(credential));
  }
  return out;
}

}  // namespace mpli::credentials
