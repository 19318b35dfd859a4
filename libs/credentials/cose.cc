#include "libs/credentials/cose.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include <memory>
#include <set>

#include "libs/credentials/refusal.h"

namespace mpli::credentials {
namespace {

// RFC 9052 header labels.
constexpr int64_t kLabelAlg = 1;
constexpr int64_t kLabelCrit = 2;
constexpr int64_t kLabelContentType = 3;
constexpr int64_t kLabelKid = 4;
constexpr int64_t kLabelTyp = 16;      // RFC 9596
constexpr int64_t kLabelX5chain = 33;  // RFC 9360
constexpr uint64_t kTagCoseSign1 = 18;

Status malformed(const std::string& message) {
  return refusal(Refusal::kMalformed, "COSE: " + message);
}

class CborReader {
 public:
  CborReader(std::string_view bytes, const CborLimits& limits) : in_(bytes), limits_(limits) {}

  Result<CborItem> read(size_t depth) {
    if (depth > limits_.max_depth) return malformed("CBOR nested deeper than the limit");
    if (++items_ > limits_.max_items) return malformed("CBOR has more items than the limit");
    if (pos_ >= in_.size()) return malformed("CBOR ends early at byte " + std::to_string(pos_));
    auto initial = static_cast<unsigned char>(in_[pos_++]);
    int major = initial >> 5;
    int info = initial & 0x1F;
    CborItem item;
    if (major == 7) return read_simple(info);
    MPLI_ASSIGN_OR_RETURN(uint64_t argument, read_argument(info));
    switch (major) {
      case 0:
        item.kind = CborItem::Kind::kUnsigned;
        item.number = argument;
        return item;
      case 1:
        item.kind = CborItem::Kind::kNegative;
        item.number = argument;
        return item;
      case 2:
      case 3: {
        item.kind = major == 2 ? CborItem::Kind::kBytes : CborItem::Kind::kText;
        // Compared with what is left before anything is allocated.
        if (argument > in_.size() - pos_) return malformed("CBOR string runs past the end");
        item.bytes.assign(in_.substr(pos_, static_cast<size_t>(argument)));
        pos_ += static_cast<size_t>(argument);
        return item;
      }
      case 4:
      case 5: {
        item.kind = major == 4 ? CborItem::Kind::kArray : CborItem::Kind::kMap;
        uint64_t count = argument;
        if (major == 5) {
          if (count > (in_.size() - pos_) / 2) return malformed("CBOR map runs past the end");
          count *= 2;
        }
        // Every item takes at least one byte: a count beyond the bytes left is a lie.
        if (count > in_.size() - pos_) return malformed("CBOR array runs past the end");
        item.items.reserve(static_cast<size_t>(count));
        for (uint64_t i = 0; i < count; ++i) {
          MPLI_ASSIGN_OR_RETURN(auto child, read(depth + 1));
          item.items.push_back(std::move(child));
        }
        return item;
      }
      case 6: {
        item.kind = CborItem::Kind::kTag;
        item.number = argument;
        MPLI_ASSIGN_OR_RETURN(auto child, read(depth + 1));
        item.items.push_back(std::move(child));
        return item;
      }
      default:
        return malformed("CBOR major type out of range");
    }
  }

  bool at_end() const { return pos_ == in_.size(); }

 private:
  Result<uint64_t> read_argument(int info) {
    if (info < 24) return static_cast<uint64_t>(info);
    if (info == 31) return malformed("indefinite-length CBOR is not accepted");
    if (info > 27) return malformed("reserved CBOR additional information " + std::to_string(info));
    size_t width = size_t{1} << (info - 24);
    if (width > in_.size() - pos_) return malformed("CBOR argument runs past the end");
    uint64_t value = 0;
    for (size_t i = 0; i < width; ++i) {
      value = (value << 8) | static_cast<unsigned char>(in_[pos_++]);
    }
    return value;
  }

  Result<CborItem> read_simple(int info) {
    CborItem item;
    if (info == 31) return malformed("CBOR break outside an indefinite-length item");
    if (info >= 25 && info <= 27) {
      item.kind = CborItem::Kind::kFloat;
      MPLI_ASSIGN_OR_RETURN(item.number, read_argument(info));
      return item;
    }
    item.kind = CborItem::Kind::kSimple;
    MPLI_ASSIGN_OR_RETURN(item.number, read_argument(info));
    // RFC 8949 3.3: a one-byte simple value below 32 is not well-formed.
    if (info == 24 && item.number < 32) return malformed("badly encoded CBOR simple value");
    return item;
  }

  std::string_view in_;
  CborLimits limits_;
  size_t pos_ = 0;
  size_t items_ = 0;
};

// The header map of a protected or unprotected header, with integer labels only for the ones
// we read; a repeated label is refused (RFC 9052 section 3: MUST NOT).
Result<const CborItem*> header_value(const CborItem& map, int64_t label) {
  const CborItem* found = nullptr;
  for (size_t i = 0; i + 1 < map.items.size(); i += 2) {
    auto key = map.items[i].as_int();
    if (key && *key == label) {
      if (found) return malformed("header label " + std::to_string(label) + " appears twice");
      found = &map.items[i + 1];
    }
  }
  return found;
}

Status check_unique_labels(const CborItem& map, const char* which) {
  std::set<std::pair<int, std::string>> seen;
  for (size_t i = 0; i + 1 < map.items.size(); i += 2) {
    const CborItem& key = map.items[i];
    std::pair<int, std::string> id;
    if (auto number = key.as_int()) {
      id = {0, std::to_string(*number)};
    } else if (key.kind == CborItem::Kind::kText) {
      id = {1, key.bytes};
    } else {
      return malformed(std::string(which) + " header label is neither an integer nor a text");
    }
    if (!seen.insert(id).second) {
      return malformed(std::string(which) + " header label " + id.second + " appears twice");
    }
  }
  return Status::ok();
}

Result<std::string> string_header(const CborItem& map, int64_t label, const char* name) {
  MPLI_ASSIGN_OR_RETURN(const CborItem* value, header_value(map, label));
  if (!value) return std::string();
  if (value->kind == CborItem::Kind::kText || value->kind == CborItem::Kind::kBytes) {
    return value->bytes;
  }
  // Content type may be a CoAP content-format number; kept as digits so it never matches a
  // media type by accident.
  if (label == kLabelContentType && value->kind == CborItem::Kind::kUnsigned) {
    return std::to_string(value->number);
  }
  return malformed(std::string(name) + " header has the wrong CBOR type");
}

void append_head(std::string& out, int major, uint64_t argument) {
  auto first = static_cast<unsigned char>(major << 5);
  if (argument < 24) {
    out.push_back(static_cast<char>(first | argument));
    return;
  }
  int width = argument <= 0xFF ? 1 : argument <= 0xFFFF ? 2 : argument <= 0xFFFFFFFF ? 4 : 8;
  int info = width == 1 ? 24 : width == 2 ? 25 : width == 4 ? 26 : 27;
  out.push_back(static_cast<char>(first | info));
  for (int i = width - 1; i >= 0; --i) {
    out.push_back(static_cast<char>((argument >> (8 * i)) & 0xFF));
  }
}

void append_bytes(std::string& out, int major, std::string_view bytes) {
  append_head(out, major, bytes.size());
  out.append(bytes);
}

struct EvpMdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
struct EcdsaSigDeleter {
  void operator()(ECDSA_SIG* sig) const { ECDSA_SIG_free(sig); }
};

// COSE carries ECDSA signatures as r || s of fixed width (RFC 9053 2.1); OpenSSL wants DER.
Result<std::string> ecdsa_raw_to_der(std::string_view raw, size_t half) {
  if (raw.size() != 2 * half) {
    return refusal(Refusal::kBadSignature, "COSE: ECDSA signature has " +
                                               std::to_string(raw.size()) + " bytes, expected " +
                                               std::to_string(2 * half));
  }
  std::unique_ptr<ECDSA_SIG, EcdsaSigDeleter> sig(ECDSA_SIG_new());
  const auto* data = reinterpret_cast<const unsigned char*>(raw.data());
  BIGNUM* r = BN_bin2bn(data, static_cast<int>(half), nullptr);
  BIGNUM* s = BN_bin2bn(data + half, static_cast<int>(half), nullptr);
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return internal_error("COSE: could not build an ECDSA signature");
  }
  unsigned char* der = nullptr;
  int length = i2d_ECDSA_SIG(sig.get(), &der);
  if (length <= 0) return internal_error("COSE: could not encode an ECDSA signature");
  std::string out(reinterpret_cast<const char*>(der), static_cast<size_t>(length));
  OPENSSL_free(der);
  return out;
}

}  // namespace

std::optional<int64_t> CborItem::as_int() const {
  constexpr auto kMax = static_cast<uint64_t>(INT64_MAX);
  if (kind == Kind::kUnsigned && number <= kMax) return static_cast<int64_t>(number);
  if (kind == Kind::kNegative && number <= kMax) return -1 - static_cast<int64_t>(number);
  return std::nullopt;
}

Result<CborItem> decode_cbor(std::string_view bytes, const CborLimits& limits) {
  CborReader reader(bytes, limits);
  MPLI_ASSIGN_OR_RETURN(auto item, reader.read(0));
  if (!reader.at_end()) return malformed("bytes after the CBOR item");
  return item;
}

Result<CoseSign1> parse_cose_sign1(std::string_view bytes) {
  MPLI_ASSIGN_OR_RETURN(CborItem root, decode_cbor(bytes));
  const CborItem* message = &root;
  if (root.kind == CborItem::Kind::kTag) {
    if (root.number != kTagCoseSign1) {
      return malformed("CBOR tag " + std::to_string(root.number) + " is not COSE_Sign1 (18)");
    }
    message = &root.items[0];
  }
  if (message->kind != CborItem::Kind::kArray || message->items.size() != 4) {
    return malformed("COSE_Sign1 must be an array of four items");
  }
  const CborItem& protected_bstr = message->items[0];
  const CborItem& unprotected = message->items[1];
  const CborItem& payload = message->items[2];
  const CborItem& signature = message->items[3];
  if (protected_bstr.kind != CborItem::Kind::kBytes) {
    return malformed("protected header must be a byte string");
  }
  if (unprotected.kind != CborItem::Kind::kMap) {
    return malformed("unprotected header must be a map");
  }
  if (payload.kind != CborItem::Kind::kBytes) {
    return malformed("payload must be a byte string (detached payloads are not accepted)");
  }
  if (signature.kind != CborItem::Kind::kBytes) return malformed("signature must be a byte string");

  // A zero-length protected header stands for the empty map (RFC 9052 3).
  CborItem protected_map;
  protected_map.kind = CborItem::Kind::kMap;
  if (!protected_bstr.bytes.empty()) {
    MPLI_ASSIGN_OR_RETURN(protected_map, decode_cbor(protected_bstr.bytes));
    if (protected_map.kind != CborItem::Kind::kMap) {
      return malformed("protected header must encode a map");
    }
  }
  MPLI_RETURN_IF_ERROR(check_unique_labels(protected_map, "protected"));
  MPLI_RETURN_IF_ERROR(check_unique_labels(unprotected, "unprotected"));
  // A label in both buckets is forbidden too (RFC 9052 3): which one would count?
  for (size_t i = 0; i < protected_map.items.size(); i += 2) {
    auto label = protected_map.items[i].as_int();
    if (!label) continue;
    MPLI_ASSIGN_OR_RETURN(const CborItem* again, header_value(unprotected, *label));
    if (again) {
      return malformed("header label " + std::to_string(*label) +
                       " is both protected and unprotected");
    }
  }

  MPLI_ASSIGN_OR_RETURN(const CborItem* crit, header_value(protected_map, kLabelCrit));
  if (crit) return malformed("critical header parameters (label 2) are not understood");

  CoseSign1 out;
  MPLI_ASSIGN_OR_RETURN(const CborItem* alg, header_value(protected_map, kLabelAlg));
  if (!alg) return malformed("no alg (label 1) in the protected header");
  auto alg_value = alg->as_int();
  if (!alg_value) {
    return refusal(Refusal::kUnsupportedAlgorithm, "COSE: alg is not an integer");
  }
  out.algorithm = *alg_value;

  MPLI_ASSIGN_OR_RETURN(out.kid, string_header(protected_map, kLabelKid, "kid"));
  if (out.kid.empty()) {
    MPLI_ASSIGN_OR_RETURN(out.kid, string_header(unprotected, kLabelKid, "kid"));
  }
  MPLI_ASSIGN_OR_RETURN(out.content_type,
                        string_header(protected_map, kLabelContentType, "content type"));
  MPLI_ASSIGN_OR_RETURN(out.typ, string_header(protected_map, kLabelTyp, "typ"));

  MPLI_ASSIGN_OR_RETURN(const CborItem* x5chain, header_value(protected_map, kLabelX5chain));
  if (x5chain && x5chain->kind == CborItem::Kind::kBytes) {
    out.x5chain.push_back(x5chain->bytes);
  } else if (x5chain && x5chain->kind == CborItem::Kind::kArray) {
    for (const auto& cert : x5chain->items) {
      if (cert.kind != CborItem::Kind::kBytes) return malformed("x5chain entry is not bytes");
      out.x5chain.push_back(cert.bytes);
    }
  } else if (x5chain) {
    return malformed("x5chain must be a byte string or an array of them");
  }

  out.protected_header = protected_bstr.bytes;
  out.payload = payload.bytes;
  out.signature = signature.bytes;
  return out;
}

std::string_view cose_algorithm_name(int64_t algorithm) {
  switch (algorithm) {
    case kCoseEs256:
      return "ES256";
    case kCoseEs384:
      return "ES384";
    case kCoseEs512:
      return "ES512";
    case kCoseEdDsa:
      return "EdDSA";
    default:
      return "";
  }
}

std::string cose_sig_structure(std::string_view protected_header, std::string_view payload) {
  std::string out;
  append_head(out, 4, 4);
  append_bytes(out, 3, "Signature1");
  append_bytes(out, 2, protected_header);
  append_bytes(out, 2, "");  // external_aad: none in VC-JOSE-COSE
  append_bytes(out, 2, payload);
  return out;
}

Status verify_cose_sign1(const CoseSign1& message, const PublicKey& key) {
  std::string_view name = cose_algorithm_name(message.algorithm);
  if (name.empty()) {
    return refusal(Refusal::kUnsupportedAlgorithm,
                   "COSE: alg " + std::to_string(message.algorithm) + " is not supported");
  }
  if (name != jose_algorithm(key.type())) {
    return refusal(Refusal::kUnsupportedAlgorithm,
                   "COSE: alg " + std::string(name) + " does not fit the issuer's " +
                       std::string(jose_algorithm(key.type())) + " key");
  }
  const EVP_MD* digest = nullptr;
  size_t half = 0;  // ECDSA: bytes of r and of s
  switch (key.type()) {
    case KeyType::kEd25519:
      break;  // Ed25519 hashes internally: no digest, the raw 64-byte signature
    case KeyType::kP256:
      digest = EVP_sha256();
      half = 32;
      break;
    case KeyType::kP384:
      digest = EVP_sha384();
      half = 48;
      break;
    case KeyType::kP521:
      digest = EVP_sha512();
      half = 66;
      break;
  }
  std::string signature = message.signature;
  if (half == 0 && signature.size() != 64) {
    return refusal(Refusal::kBadSignature, "COSE: EdDSA signature is not 64 bytes");
  }
  if (half != 0) {
    MPLI_ASSIGN_OR_RETURN(signature, ecdsa_raw_to_der(message.signature, half));
  }
  std::string signed_bytes = cose_sig_structure(message.protected_header, message.payload);
  std::unique_ptr<EVP_MD_CTX, EvpMdCtxDeleter> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, digest, nullptr, key.evp()) != 1) {
    return internal_error("COSE: could not set up signature verification");
  }
  int ok = EVP_DigestVerify(
      ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
      reinterpret_cast<const unsigned char*>(signed_bytes.data()), signed_bytes.size());
  if (ok != 1) {
    // A failed verification leaves entries on this thread's OpenSSL error queue; they are not
    // ours to report later.
    ERR_clear_error();
    return refusal(Refusal::kBadSignature, "COSE: signature does not verify");
  }
  return Status::ok();
}

Status check_media_type(const CoseSign1& message, CoseContent expected) {
  std::string_view cty = expected == CoseContent::kCredential ? "application/vc" : "application/vp";
  std::string_view typ =
      expected == CoseContent::kCredential ? "application/vc+cose" : "application/vp+cose";
  if (!message.typ.empty() && message.typ != typ) {
    return refusal(Refusal::kBadMediaType,
                   "COSE: typ is '" + message.typ + "', expected '" + std::string(typ) + "'");
  }
  if (!message.content_type.empty() && message.content_type != cty) {
    return refusal(Refusal::kBadMediaType, "COSE: content type is '" + message.content_type +
                                               "', expected '" + std::string(cty) + "'");
  }
  return Status::ok();
}

}  // namespace mpli::credentials
