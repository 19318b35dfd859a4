// Decentralized identifiers as issuers use them: did:key and did:jwk (the key is in the name,
// so resolving them is pure computation), did:web's document URL, and verification methods
// looked up in a DID document the caller fetched. No I/O here.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>

#include "libs/core/status.h"
#include "libs/credentials/key_resolver.h"
#include "libs/credentials/public_key.h"

namespace mpli::credentials {

// Base58 with the Bitcoin alphabet (multibase 'z' without the prefix).
std::string base58btc_encode(std::string_view bytes);
Result<std::string> base58btc_decode(std::string_view text);

// Multikey: 'z' + base58btc(multicodec varint + key bytes): Ed25519 (0xed 0x01 + 32 bytes) or
// P-256 (0x80 0x24 + 33-byte compressed point). Other key types are kUnsupportedAlgorithm.
Result<std::string> multikey_from_public_key(const PublicKey& key);
Result<PublicKey> public_key_from_multikey(std::string_view multibase);

// "did:key:<multikey>"; parsing accepts a DID URL with a fragment, which must then repeat the
// multikey ("did:key:z6Mk...#z6Mk...").
Result<std::string> did_key_from_public_key(const PublicKey& key);
Result<PublicKey> public_key_from_did_key(std::string_view did);

// "did:jwk:<base64url(public JWK)>"; a JWK with private members is refused.
std::string did_jwk_from_public_key(const PublicKey& key);
Result<PublicKey> public_key_from_did_jwk(std::string_view did);

// did:web to the https URL of its document: did:web:example.com ->
// https://example.com/.well-known/did.json, did:web:example.com:user:alice ->
// https://example.com/user/alice/did.json, "%3A" in the host is a port separator.
Result<std::string> did_web_document_url(std::string_view did);

// "did:example:abc#key-1" -> {"did:example:abc", "key-1"}; fragment "" when absent.
std::pair<std::string, std::string> split_did_url(std::string_view did_url);

// Finds the verification method `method` (an absolute DID URL or a bare or '#'-prefixed
// fragment) in `document`, the resolved document of `did`. The document's id must be `did`
// and the method's id and controller must belong to it; the key comes from publicKeyJwk or
// publicKeyMultibase. Errors: kKeyNotFound, kMalformed, kUnsupportedAlgorithm.
Result<ResolvedKey> find_verification_method(const nlohmann::json& document, std::string_view did,
                                             std::string_view method);

// Resolves issuers and kids that are did:key or did:jwk, with no I/O: the kid (when it is a
// DID URL) or else the issuer names the key; a kid naming another DID than the issuer is
// refused, as is anything else (kKeyNotFound).
class DidKeyResolver : public KeyResolver {
 public:
  Result<ResolvedKey> resolve(const KeyRequest& request) const override;
};

// Keys configured by hand (tests, conformance vectors, pinned partners): by (issuer, kid),
// by kid alone when registered with issuer "", or by issuer alone when registered with kid "".
class StaticKeyResolver : public KeyResolver {
 public:
  void add(std::string issuer, std::string kid, PublicKey key);
  Result<ResolvedKey> resolve(const KeyRequest& request) const override;

 private:
  std::map<std::pair<std::string, std::string>, PublicKey> keys_;
};

}  // namespace mpli::credentials
