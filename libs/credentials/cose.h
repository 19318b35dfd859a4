// COSE_Sign1 (RFC 9052) as VC-JOSE-COSE secures credentials and presentations: a small bounded
// CBOR decoder, parsing of the signed structure, signature verification and the media type check.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "libs/core/status.h"
#include "libs/credentials/public_key.h"

namespace mpli::credentials {

// One decoded CBOR data item. Only definite lengths; everything the decoder returns came from
// within the input.
struct CborItem {
  enum class Kind { kUnsigned, kNegative, kBytes, kText, kArray, kMap, kTag, kSimple, kFloat };
  Kind kind = Kind::kSimple;
  // kUnsigned: the value; kNegative: the encoded argument n (the value is -1 - n); kTag: the
  // tag number; kSimple: the simple value (20 false, 21 true, 22 null, 23 undefined);
  // kFloat: the raw IEEE 754 bits (half, single or double as encoded).
  uint64_t number = 0;
  std::string bytes;            // kBytes, kText
  std::vector<CborItem> items;  // kArray: elements; kMap: key, value, key, value...; kTag: 1

  // The value of an integer item (kUnsigned or kNegative) that fits int64_t.
  std::optional<int64_t> as_int() const;
};

struct CborLimits {
  size_t max_depth = 16;    // nesting of arrays, maps and tags
  size_t max_items = 4096;  // data items in total
};

// Decodes exactly one item that spans all of `bytes` (trailing bytes are an error).
// kMalformed for indefinite lengths, reserved encodings, truncation, or a limit exceeded.
Result<CborItem> decode_cbor(std::string_view bytes, const CborLimits& limits = {});

// COSE algorithm identifiers (IANA "COSE Algorithms") that a PublicKey can verify.
inline constexpr int64_t kCoseEs256 = -7;
inline constexpr int64_t kCoseEs384 = -35;
inline constexpr int64_t kCoseEs512 = -36;
inline constexpr int64_t kCoseEdDsa = -8;

struct CoseSign1 {
  std::string protected_header;  // the serialized protected header, exactly as signed
  int64_t algorithm = 0;         // protected label 1 (required: an unprotected alg is not signed)
  std::string kid;               // label 4 (protected, else unprotected); "" when absent
  std::string content_type;      // label 3 (protected); "" when absent; a CoAP number as digits
  std::string typ;               // label 16 (protected); "" when absent
  std::vector<std::string> x5chain;  // label 33 (protected), DER certificates, leaf first
  std::string payload;               // the credential or presentation (JSON for VC-JOSE-COSE)
  std::string signature;
};

// Tagged (18) or untagged COSE_Sign1. kMalformed for anything else, a detached payload, a
// missing or non-integer alg, duplicate header labels or a `crit` header (we understand no
// critical extension, so we must refuse them all).
Result<CoseSign1> parse_cose_sign1(std::string_view bytes);

// "ES256" for -7 etc.; "" for an algorithm this library does not verify.
std::string_view cose_algorithm_name(int64_t algorithm);

// Checks the signature over Sig_structure ["Signature1", protected, h'', payload].
// kUnsupportedAlgorithm when the alg is not the one the key's type allows (so a header cannot
// downgrade), kBadSignature when it does not verify.
Status verify_cose_sign1(const CoseSign1& message, const PublicKey& key);

// What VC-JOSE-COSE says the payload is: typ application/vc+cose with cty application/vc for a
// credential, application/vp+cose and application/vp for a presentation.
enum class CoseContent { kCredential, kPresentation };

// kBadMediaType when typ or cty names another media type. Both are only SHOULDs in the spec,
// so an absent typ or cty is accepted; a present but different one is not.
Status check_media_type(const CoseSign1& message, CoseContent expected);

// The Sig_structure bytes that are signed (exposed for tests and for the hub's own signer).
std::string cose_sig_structure(std::string_view protected_header, std::string_view payload);

}  // namespace mpli::credentials
