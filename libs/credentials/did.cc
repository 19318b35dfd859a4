#include "libs/credentials/did.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <vector>

#include "libs/credentials/base64url.h"
#include "libs/credentials/json_document.h"
#include "libs/credentials/jwk.h"
#include "libs/credentials/jwk_internal.h"
#include "libs/credentials/refusal.h"

namespace mpli::credentials {
namespace {

constexpr std::string_view kBase58Alphabet =
    "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
constexpr std::string_view kEd25519Codec = "\xed\x01";
constexpr std::string_view kP256Codec = "\x80\x24";
// A did:key or multibase value is short; the cap keeps base58's quadratic decoding cheap.
constexpr size_t kMaxMultibaseChars = 256;

Status key_not_found(std::string message) {
  return refusal(Refusal::kKeyNotFound, std::move(message));
}

// The id of a method in `document` as an absolute DID URL.
std::string absolute_method_id(std::string_view did, const std::string& id) {
  if (!id.empty() && id[0] == '#') return std::string(did) + id;
  return id;
}

}  // namespace

std::string base58btc_encode(std::string_view bytes) {
  size_t zeros = 0;
  while (zeros < bytes.size() && bytes[zeros] == '\0') ++zeros;
  // Base-58 digits, least significant first.
  std::vector<unsigned char> digits;
  for (size_t i = zeros; i < bytes.size(); ++i) {
    unsigned carry = static_cast<unsigned char>(bytes[i]);
    for (auto& digit : digits) {
      carry += static_cast<unsigned>(digit) << 8;
      digit = static_cast<unsigned char>(carry % 58);
      carry /= 58;
    }
    while (carry > 0) {
      digits.push_back(static_cast<unsigned char>(carry % 58));
      carry /= 58;
    }
  }
  std::string out(zeros, '1');
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) out.push_back(kBase58Alphabet[*it]);
  return out;
}

Result<std::string> base58btc_decode(std::string_view text) {
  if (text.size() > kMaxMultibaseChars) {
    return refusal(Refusal::kMalformed, "base58 text is too long");
  }
  size_t ones = 0;
  while (ones < text.size() && text[ones] == '1') ++ones;
  std::vector<unsigned char> bytes;  // least significant first
  for (size_t i = ones; i < text.size(); ++i) {
    size_t value = kBase58Alphabet.find(text[i]);
    if (value == std::string_view::npos) {
      return refusal(Refusal::kMalformed,
                     "character not allowed in base58 at " + std::to_string(i + 1))
          .with_detail("column", std::to_string(i + 1));
    }
    unsigned carry = static_cast<unsigned>(value);
    for (auto& byte : bytes) {
      carry += static_cast<unsigned>(byte) * 58;
      byte = static_cast<unsigned char>(carry & 0xFF);
      carry >>= 8;
    }
    while (carry > 0) {
      bytes.push_back(static_cast<unsigned char>(carry & 0xFF));
      carry >>= 8;
    }
  }
  std::string out(ones, '\0');
  for (auto it = bytes.rbegin(); it != bytes.rend(); ++it) out.push_back(static_cast<char>(*it));
  return out;
}

Result<std::string> multikey_from_public_key(const PublicKey& key) {
  if (key.type() == KeyType::kEd25519) {
    std::string raw(32, '\0');
    size_t length = raw.size();
    if (EVP_PKEY_get_raw_public_key(key.evp(), reinterpret_cast<unsigned char*>(raw.data()),
                                    &length) != 1) {
      return internal_error("cannot read the Ed25519 public key");
    }
    return "z" + base58btc_encode(std::string(kEd25519Codec) + raw);
  }
  if (key.type() == KeyType::kP256) {
    return "z" + base58btc_encode(std::string(kP256Codec) + internal::compressed_point(key));
  }
  return refusal(Refusal::kUnsupportedAlgorithm, "multikey supports Ed25519 and P-256 only");
}

Result<PublicKey> public_key_from_multikey(std::string_view multibase) {
  if (multibase.empty() || multibase[0] != 'z') {
    return refusal(Refusal::kMalformed, "multibase value is not base58btc ('z')");
  }
  // Read in place: GCC 12 takes a short string moved out of the Result for uninitialized.
  auto decoded = base58btc_decode(multibase.substr(1));
  if (!decoded.is_ok()) return decoded.status();
  std::string_view view(decoded.value());
  auto has_codec = [&view](std::string_view codec) {
    return view.size() >= 2 && view[0] == codec[0] && view[1] == codec[1];
  };
  if (has_codec(kEd25519Codec)) {
    if (view.size() != 34) return refusal(Refusal::kMalformed, "Ed25519 multikey is not 32 bytes");
    EVP_PKEY* key = EVP_PKEY_new_raw_public_key(
        EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(view.data() + 2), 32);
    return PublicKey::adopt(key);
  }
  if (has_codec(kP256Codec)) {
    if (view.size() != 35 || (view[2] != '\x02' && view[2] != '\x03')) {
      return refusal(Refusal::kMalformed, "P-256 multikey is not a 33-byte compressed point");
    }
    MPLI_ASSIGN_OR_RETURN(EVP_PKEY * key,
                          internal::ec_key_from_parts(KeyType::kP256, view.substr(2), ""));
    return PublicKey::adopt(key);
  }
  return refusal(Refusal::kUnsupportedAlgorithm,
                 "multikey codec is neither Ed25519 (0xed) nor P-256 (0x1200)");
}

Result<std::string> did_key_from_public_key(const PublicKey& key) {
  MPLI_ASSIGN_OR_RETURN(auto multikey, multikey_from_public_key(key));
  return "did:key:" + multikey;
}

Result<PublicKey> public_key_from_did_key(std::string_view did) {
  auto [base, fragment] = split_did_url(did);
  constexpr std::string_view kPrefix = "did:key:";
  if (base.rfind(kPrefix, 0) != 0) return refusal(Refusal::kMalformed, "not a did:key");
  std::string multikey = base.substr(kPrefix.size());
  if (!fragment.empty() && fragment != multikey) {
    return key_not_found("a did:key has one verification method, #" + multikey);
  }
  return public_key_from_multikey(multikey);
}

std::string did_jwk_from_public_key(const PublicKey& key) {
  return "did:jwk:" + base64url_encode(public_jwk(key).dump());
}

Result<PublicKey> public_key_from_did_jwk(std::string_view did) {
  auto [base, fragment] = split_did_url(did);
  constexpr std::string_view kPrefix = "did:jwk:";
  if (base.rfind(kPrefix, 0) != 0) return refusal(Refusal::kMalformed, "not a did:jwk");
  // did:jwk names its one verification method "#0".
  if (!fragment.empty() && fragment != "0") {
    return key_not_found("a did:jwk has one verification method, #0");
  }
  MPLI_ASSIGN_OR_RETURN(auto json_text, base64url_decode(base.substr(kPrefix.size())));
  MPLI_ASSIGN_OR_RETURN(auto jwk, parse_json_object(json_text, "did:jwk JWK", {4096, 4}));
  return public_key_from_jwk(jwk);
}

Result<std::string> did_web_document_url(std::string_view did) {
  constexpr std::string_view kPrefix = "did:web:";
  if (did.rfind(kPrefix, 0) != 0) return refusal(Refusal::kMalformed, "not a did:web");
  std::string_view rest = did.substr(kPrefix.size());
  std::vector<std::string> segments;
  size_t start = 0;
  while (true) {
    size_t colon = rest.find(':', start);
    segments.emplace_back(rest.substr(start, colon - start));
    if (colon == std::string_view::npos) break;
    start = colon + 1;
  }
  for (const auto& segment : segments) {
    if (segment.empty()) return refusal(Refusal::kMalformed, "did:web has an empty segment");
    // '/', '?', '#', '@' or '%' (other than the port's %3A) would let the DID reach another
    // host or path than it says.
    if (segment.find_first_of("/?#@\\") != std::string::npos) {
      return refusal(Refusal::kMalformed, "did:web segment has a character not allowed");
    }
  }
  std::string host = segments[0];
  for (size_t at = host.find("%3A"); at != std::string::npos; at = host.find("%3A", at + 1)) {
    host.replace(at, 3, ":");
  }
  if (host.find('%') != std::string::npos) {
    return refusal(Refusal::kMalformed, "did:web host has a percent-encoding other than %3A");
  }
  std::string url = "https://" + host + "/";
  if (segments.size() == 1) return url + ".well-known/did.json";
  for (size_t i = 1; i < segments.size(); ++i) {
    if (segments[i] == "." || segments[i] == "..") {
      return refusal(Refusal::kMalformed, "did:web path segment is a dot segment");
    }
    url += segments[i] + "/";
  }
  return url + "did.json";
}

std::pair<std::string, std::string> split_did_url(std::string_view did_url) {
  size_t hash = did_url.find('#');
  if (hash == std::string_view::npos) return {std::string(did_url), ""};
  return {std::string(did_url.substr(0, hash)), std::string(did_url.substr(hash + 1))};
}

Result<ResolvedKey> find_verification_method(const nlohmann::json& document, std::string_view did,
                                             std::string_view method) {
  if (!document.is_object()) return refusal(Refusal::kMalformed, "DID document is not an object");
  MPLI_ASSIGN_OR_RETURN(auto document_id, string_member(document, "id"));
  if (document_id != did) {
    return refusal(Refusal::kMalformed,
                   "DID document id '" + document_id + "' is not " + std::string(did));
  }
  std::string wanted;
  if (method.rfind("did:", 0) == 0) {
    wanted = std::string(method);
  } else {
    wanted = std::string(did) + "#" + std::string(method[0] == '#' ? method.substr(1) : method);
  }
  if (split_did_url(wanted).first != did) {
    return key_not_found("verification method " + wanted + " does not belong to " +
                         std::string(did));
  }
  auto methods = document.find("verificationMethod");
  if (methods == document.end() || !methods->is_array()) {
    return key_not_found("DID document has no verificationMethod array");
  }
  for (const auto& entry : *methods) {
    if (!entry.is_object()) continue;
    auto id = optional_string_member(entry, "id");
    if (!id.is_ok() || !*id || absolute_method_id(did, **id) != wanted) continue;
    MPLI_ASSIGN_OR_RETURN(auto controller, string_member(entry, "controller"));
    if (controller != did) {
      return key_not_found("verification method " + wanted + " is controlled by " + controller);
    }
    Result<PublicKey> key =
        key_not_found("verification method " + wanted + " has no supported key");
    if (auto jwk = entry.find("publicKeyJwk"); jwk != entry.end()) {
      key = public_key_from_jwk(*jwk);
    } else if (entry.contains("publicKeyMultibase")) {
      MPLI_ASSIGN_OR_RETURN(auto multibase, string_member(entry, "publicKeyMultibase"));
      key = public_key_from_multikey(multibase);
    }
    if (!key.is_ok()) return key.status();
    return ResolvedKey{std::move(key).value(), wanted, ""};
  }
  return key_not_found("DID document has no verification method " + wanted);
}

Result<ResolvedKey> DidKeyResolver::resolve(const KeyRequest& request) const {
  std::string name = request.kid.rfind("did:", 0) == 0 ? request.kid : request.issuer;
  auto [did, fragment] = split_did_url(name);
  if (!request.issuer.empty() && did != request.issuer) {
    return key_not_found("kid " + request.kid + " names another DID than the issuer " +
                         request.issuer);
  }
  if (did.rfind("did:key:", 0) == 0) {
    MPLI_ASSIGN_OR_RETURN(auto key, public_key_from_did_key(name));
    return ResolvedKey{std::move(key), did + "#" + did.substr(8), ""};
  }
  if (did.rfind("did:jwk:", 0) == 0) {
    MPLI_ASSIGN_OR_RETURN(auto key, public_key_from_did_jwk(name));
    return ResolvedKey{std::move(key), did + "#0", ""};
  }
  return key_not_found("issuer " + request.issuer + " is neither did:key nor did:jwk");
}

void StaticKeyResolver::add(std::string issuer, std::string kid, PublicKey key) {
  keys_.insert_or_assign({std::move(issuer), std::move(kid)}, std::move(key));
}

Result<ResolvedKey> StaticKeyResolver::resolve(const KeyRequest& request) const {
  for (const auto& candidate :
       {std::pair{request.issuer, request.kid}, std::pair{std::string(), request.kid},
        std::pair{request.issuer, std::string()}}) {
    auto it = keys_.find(candidate);
    if (it != keys_.end()) {
      return ResolvedKey{it->second, request.kid.empty() ? request.issuer : request.kid, ""};
    }
  }
  return key_not_found("no key configured for issuer '" + request.issuer + "' kid '" + request.kid +
                       "'");
}

}  // namespace mpli::credentials
