#include "libs/credentials/sd_jwt.h"

#include <openssl/sha.h>

#include <algorithm>
#include <map>
#include <set>

#include "libs/credentials/base64url.h"
#include "libs/credentials/json_document.h"
#include "libs/credentials/jwk.h"
#include "libs/credentials/refusal.h"

namespace mpli::credentials {
namespace {

// Deep enough for any real credential; each level of reconstruction recurses once.
constexpr int kMaxClaimDepth = 64;

Status bad_disclosure(std::string message) {
  return refusal(Refusal::kBadDisclosure, std::move(message));
}
Status bad_key_binding(std::string message) {
  return refusal(Refusal::kBadKeyBinding, std::move(message));
}

// NOLINTNEXTLINE(bugprone-exception-escape): nlohmann::json member; its move does not throw
struct Disclosure {
  std::string encoded;
  bool has_name = false;  // [salt, name, value] for an object member; [salt, value] in arrays
  std::string name;
  nlohmann::json value;
  bool used = false;
};

class Reconstruction {
 public:
  explicit Reconstruction(std::map<std::string, Disclosure>& by_digest) : by_digest_(by_digest) {}

  Result<nlohmann::json> rebuild(const nlohmann::json& node, int depth) {
    if (depth > kMaxClaimDepth) return bad_disclosure("disclosed claims nest too deep");
    if (node.is_object()) return rebuild_object(node, depth);
    if (node.is_array()) return rebuild_array(node, depth);
    return node;
  }

 private:
  Result<Disclosure*> take(const nlohmann::json& digest) {
    if (!digest.is_string()) return bad_disclosure("a digest is not a string");
    const auto& text = digest.get_ref<const std::string&>();
    if (!seen_.insert(text).second) return bad_disclosure("digest " + text + " appears twice");
    auto it = by_digest_.find(text);
    // A digest without a disclosure is a claim the holder chose not to reveal (or a decoy).
    if (it == by_digest_.end()) return static_cast<Disclosure*>(nullptr);
    return &it->second;
  }

  Result<nlohmann::json> rebuild_object(const nlohmann::json& node, int depth) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [name, value] : node.items()) {
      if (name == "_sd" || name == "_sd_alg") continue;
      MPLI_ASSIGN_OR_RETURN(out[name], rebuild(value, depth + 1));
    }
    auto digests = node.find("_sd");
    if (digests == node.end()) return out;
    if (!digests->is_array()) return bad_disclosure("_sd is not an array");
    for (const auto& digest : *digests) {
      MPLI_ASSIGN_OR_RETURN(Disclosure * disclosure, take(digest));
      if (!disclosure) continue;
      if (!disclosure->has_name) {
        return bad_disclosure("an array-element disclosure is referenced from an object's _sd");
      }
      if (disclosure->name == "_sd" || disclosure->name == "...") {
        return bad_disclosure("a disclosure may not be named '" + disclosure->name + "'");
      }
      if (out.contains(disclosure->name)) {
        return bad_disclosure("disclosure would overwrite the claim '" + disclosure->name + "'");
      }
      disclosure->used = true;
      MPLI_ASSIGN_OR_RETURN(out[disclosure->name], rebuild(disclosure->value, depth + 1));
    }
    return out;
  }

  Result<nlohmann::json> rebuild_array(const nlohmann::json& node, int depth) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& element : node) {
      if (element.is_object() && element.size() == 1 && element.contains("...")) {
        MPLI_ASSIGN_OR_RETURN(Disclosure * disclosure, take(element["..."]));
        if (!disclosure) continue;  // undisclosed elements vanish
        if (disclosure->has_name) {
          return bad_disclosure("an object-member disclosure is referenced from an array");
        }
        disclosure->used = true;
        MPLI_ASSIGN_OR_RETURN(auto value, rebuild(disclosure->value, depth + 1));
        out.push_back(std::move(value));
        continue;
      }
      MPLI_ASSIGN_OR_RETURN(auto value, rebuild(element, depth + 1));
      out.push_back(std::move(value));
    }
    return out;
  }

  std::map<std::string, Disclosure>& by_digest_;
  std::set<std::string> seen_;
};

Result<Disclosure> decode_disclosure(const std::string& encoded) {
  auto bytes = base64url_decode(encoded);
  if (!bytes.is_ok())
    return bad_disclosure("disclosure is not base64url: " + bytes.status().message());
  auto array = parse_json(*bytes);
  if (!array.is_ok()) return bad_disclosure("disclosure is not JSON: " + array.status().message());
  if (!array->is_array() || (array->size() != 2 && array->size() != 3)) {
    return bad_disclosure("disclosure is not a JSON array of 2 or 3 elements");
  }
  if (!(*array)[0].is_string()) return bad_disclosure("disclosure salt is not a string");
  Disclosure disclosure;
  disclosure.encoded = encoded;
  if (array->size() == 3) {
    if (!(*array)[1].is_string()) return bad_disclosure("disclosure claim name is not a string");
    disclosure.has_name = true;
    disclosure.name = (*array)[1].get<std::string>();
    disclosure.value = (*array)[2];
  } else {
    disclosure.value = (*array)[1];
  }
  return disclosure;
}

std::string sha256_base64url(std::string_view text) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  return base64url_encode(std::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

}  // namespace

bool looks_like_sd_jwt(std::string_view token) { return token.find('~') != std::string_view::npos; }

Result<SdJwt> split_sd_jwt(std::string_view token, size_t max_token_bytes) {
  if (token.size() > max_token_bytes) {
    return refusal(Refusal::kTooLarge, "token of " + std::to_string(token.size()) +
                                           " bytes is over the limit of " +
                                           std::to_string(max_token_bytes));
  }
  size_t last = token.rfind('~');
  if (last == std::string_view::npos) return refusal(Refusal::kMalformed, "not an SD-JWT: no '~'");
  SdJwt sd_jwt;
  sd_jwt.presentation_without_kb = std::string(token.substr(0, last + 1));
  sd_jwt.key_binding_jwt = std::string(token.substr(last + 1));
  size_t first = token.find('~');
  sd_jwt.issuer_jwt = std::string(token.substr(0, first));
  if (sd_jwt.issuer_jwt.empty()) return refusal(Refusal::kMalformed, "SD-JWT has no issuer JWT");
  for (size_t start = first + 1; start <= last;) {
    size_t end = token.find('~', start);
    if (end == start) return bad_disclosure("empty disclosure between '~~'");
    sd_jwt.disclosures.emplace_back(token.substr(start, end - start));
    start = end + 1;
  }
  return sd_jwt;
}

std::string disclosure_digest(std::string_view disclosure) { return sha256_base64url(disclosure); }

Result<nlohmann::json> reconstruct_claims(const nlohmann::json& signed_claims,
                                          const std::vector<std::string>& disclosures) {
  if (!signed_claims.is_object()) return refusal(Refusal::kMalformed, "claims are not an object");
  if (auto alg = signed_claims.find("_sd_alg"); alg != signed_claims.end() && *alg != "sha-256") {
    return refusal(Refusal::kUnsupportedAlgorithm, "_sd_alg other than sha-256");
  }
  std::map<std::string, Disclosure> by_digest;
  for (const auto& encoded : disclosures) {
    MPLI_ASSIGN_OR_RETURN(auto disclosure, decode_disclosure(encoded));
    std::string digest = disclosure_digest(encoded);
    if (!by_digest.emplace(digest, std::move(disclosure)).second) {
      return bad_disclosure("the same disclosure is presented twice");
    }
  }
  Reconstruction reconstruction(by_digest);
  MPLI_ASSIGN_OR_RETURN(auto claims, reconstruction.rebuild(signed_claims, 0));
  for (const auto& [digest, disclosure] : by_digest) {
    if (!disclosure.used) {
      return bad_disclosure("disclosure " + disclosure.encoded.substr(0, 16) +
                            "... is not referenced by any digest the issuer signed");
    }
  }
  return claims;
}

Status verify_key_binding(const SdJwt& sd_jwt, const nlohmann::json& issuer_claims,
                          const KeyBindingExpectation& expectation, size_t max_token_bytes) {
  if (sd_jwt.key_binding_jwt.empty()) return bad_key_binding("the presentation has no KB-JWT");
  auto cnf = issuer_claims.find("cnf");
  if (cnf == issuer_claims.end() || !cnf->is_object() || !cnf->contains("jwk")) {
    return bad_key_binding("the credential names no holder key (cnf.jwk)");
  }
  auto holder_key = public_key_from_jwk((*cnf)["jwk"]);
  if (!holder_key.is_ok()) return bad_key_binding("cnf.jwk: " + holder_key.status().message());
  auto kb = verify(sd_jwt.key_binding_jwt, *holder_key, max_token_bytes);
  if (!kb.is_ok()) return bad_key_binding("KB-JWT: " + kb.status().message());
  // value() would throw on a typ of another JSON type: compare the member itself.
  auto typ = kb->header.find("typ");
  if (typ == kb->header.end() || *typ != "kb+jwt") {
    return bad_key_binding("KB-JWT typ is not kb+jwt");
  }
  auto claims = parse_json_object(kb->payload, "KB-JWT claims");
  if (!claims.is_ok()) return bad_key_binding("KB-JWT: " + claims.status().message());
  auto nonce = optional_string_member(*claims, "nonce");
  if (!nonce.is_ok() || !*nonce) return bad_key_binding("KB-JWT has no string nonce");
  if (!expectation.nonce.empty() && **nonce != expectation.nonce) {
    return bad_key_binding("KB-JWT nonce is not the one this verifier issued");
  }
  if (!expectation.audience.empty()) {
    auto aud = claims->find("aud");
    bool matches = aud != claims->end() &&
                   ((aud->is_string() && *aud == expectation.audience) ||
                    (aud->is_array() &&
                     std::find(aud->begin(), aud->end(), expectation.audience) != aud->end()));
    if (!matches) return bad_key_binding("KB-JWT aud is not this verifier");
  }
  auto iat = integer_member(*claims, "iat");
  if (!iat.is_ok()) return bad_key_binding("KB-JWT has no numeric iat");
  if (*iat > expectation.now + expectation.clock_skew) {
    return bad_key_binding("KB-JWT iat is in the future");
  }
  if (*iat < expectation.now - expectation.max_age - expectation.clock_skew) {
    return bad_key_binding("KB-JWT is too old");
  }
  auto sd_hash = optional_string_member(*claims, "sd_hash");
  if (!sd_hash.is_ok() || !*sd_hash ||
      **sd_hash != sha256_base64url(sd_jwt.presentation_without_kb)) {
    return bad_key_binding("KB-JWT sd_hash does not cover this presentation");
  }
  return Status::ok();
}

}  // namespace mpli::credentials
