#include "libs/credentials/cose.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include <catch2/catch.hpp>
#include <memory>

#include "libs/credentials/enveloped_credential.h"

using namespace mpli::credentials;  // NOLINT: test file

namespace {

// A test-side CBOR writer, independent of the library's, to build messages (good and bad).
std::string head(int major, uint64_t argument) {
  std::string out;
  auto first = static_cast<char>(major << 5);
  if (argument < 24) return {static_cast<char>(first | static_cast<char>(argument))};
  int width = argument <= 0xFF ? 1 : argument <= 0xFFFF ? 2 : argument <= 0xFFFFFFFF ? 4 : 8;
  out.push_back(static_cast<char>(first | (width == 1   ? 24
                                           : width == 2 ? 25
                                           : width == 4 ? 26
                                                        : 27)));
  for (int i = width - 1; i >= 0; --i) out.push_back(static_cast<char>(argument >> (8 * i)));
  return out;
}
std::string integer(int64_t value) {
  return value >= 0 ? head(0, static_cast<uint64_t>(value))
                    : head(1, static_cast<uint64_t>(-1 - value));
}
std::string bstr(std::string_view bytes) { return head(2, bytes.size()) + std::string(bytes); }
std::string tstr(std::string_view text) { return head(3, text.size()) + std::string(text); }

std::string sign1(const std::string& protected_map, const std::string& unprotected_map,
                  const std::string& payload, const std::string& signature, bool tagged = true) {
  std::string body = head(4, 4) + bstr(protected_map) + unprotected_map + payload + signature;
  return tagged ? head(6, 18) + body : body;
}

struct KeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyDeleter>;

PublicKey public_of(EVP_PKEY* key) {
  EVP_PKEY_up_ref(key);
  auto adopted = PublicKey::adopt(key);
  REQUIRE(adopted.is_ok());
  return *adopted;
}

// Signs Sig_structure and returns COSE's signature form (raw r||s for ECDSA).
std::string sign(EVP_PKEY* key, const std::string& protected_map, const std::string& payload) {
  std::string tbs = cose_sig_structure(protected_map, payload);
  bool ed = EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519;
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  REQUIRE(EVP_DigestSignInit(ctx.get(), nullptr, ed ? nullptr : EVP_sha256(), nullptr, key) == 1);
  size_t length = 0;
  const auto* data = reinterpret_cast<const unsigned char*>(tbs.data());
  REQUIRE(EVP_DigestSign(ctx.get(), nullptr, &length, data, tbs.size()) == 1);
  std::string signature(length, '\0');
  REQUIRE(EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                         data, tbs.size()) == 1);
  signature.resize(length);
  if (ed) return signature;
  const auto* cursor = reinterpret_cast<const unsigned char*>(signature.data());
  std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> sig(
      d2i_ECDSA_SIG(nullptr, &cursor, static_cast<long>(signature.size())), ECDSA_SIG_free);
  std::string raw(64, '\0');
  BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), reinterpret_cast<unsigned char*>(raw.data()), 32);
  BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
  return raw;
}

const std::string kPayload = R"({"type":["VerifiableCredential"],"issuer":"did:example:1"})";

std::string vc_header(int64_t alg) {
  return head(5, 4) + integer(1) + integer(alg) + integer(3) + tstr("application/vc") + integer(4) +
         bstr("key-1") + integer(16) + tstr("application/vc+cose");
}

std::string reason(const mpli::Status& status) { return status.detail("reason"); }

std::string parse_reason(const std::string& bytes) {
  auto parsed = parse_cose_sign1(bytes);
  return parsed.is_ok() ? "" : reason(parsed.status());
}

}  // namespace

TEST_CASE("CBOR: every major type, definite lengths", "[cbor]") {
  auto value = decode_cbor(head(4, 10) + integer(0) + integer(23) + integer(500) + integer(-1) +
                           integer(-500) + bstr("\x01\x02") + tstr("hé") + head(5, 1) + integer(1) +
                           tstr("v") + head(6, 18) + "\xf5" + std::string("\xf9\x3c\x00", 3));
  REQUIRE(value.is_ok());
  const auto& items = value->items;
  REQUIRE(items.size() == 10);
  CHECK(items[0].as_int() == 0);
  CHECK(items[1].as_int() == 23);
  CHECK(items[2].as_int() == 500);
  CHECK(items[3].as_int() == -1);
  CHECK(items[4].as_int() == -500);
  CHECK(items[5].bytes == "\x01\x02");
  CHECK(items[6].kind == CborItem::Kind::kText);
  CHECK(items[6].bytes == "hé");
  CHECK(items[7].kind == CborItem::Kind::kMap);
  CHECK(items[7].items.size() == 2);
  CHECK(items[8].kind == CborItem::Kind::kTag);
  CHECK(items[8].number == 18);
  REQUIRE(items[8].items.size() == 1);
  CHECK(items[8].items[0].number == 21);  // true
  CHECK(items[9].kind == CborItem::Kind::kFloat);
  auto big = decode_cbor(head(0, UINT64_MAX));
  REQUIRE(big.is_ok());
  CHECK(big->number == UINT64_MAX);
  CHECK_FALSE(big->as_int().has_value());
  auto half = decode_cbor(std::string("\xf9\x3c\x00", 3));
  REQUIRE(half.is_ok());
  CHECK(half->kind == CborItem::Kind::kFloat);
  CHECK(half->number == 0x3c00);
}

TEST_CASE("CBOR: hostile encodings are malformed, never read past the end", "[cbor]") {
  auto refused = [](const std::string& bytes) {
    auto value = decode_cbor(bytes);
    return !value.is_ok() && reason(value.status()) == "MALFORMED";
  };
  CHECK(refused(""));
  CHECK(refused("\x5f\x41\x61\xff"));                        // indefinite byte string
  CHECK(refused("\x9f\x01\xff"));                            // indefinite array
  CHECK(refused("\xff"));                                    // stray break
  CHECK(refused("\x1c"));                                    // reserved additional info
  CHECK(refused(std::string("\xf8\x10", 2)));                // simple value badly encoded
  CHECK(refused(head(2, 10) + "abc"));                       // string shorter than said
  CHECK(refused(head(2, UINT64_MAX) + "abc"));               // absurd length
  CHECK(refused(head(4, UINT64_MAX) + "\x01"));              // absurd count
  CHECK(refused(head(5, UINT64_MAX / 2 + 1) + "\x01\x01"));  // count * 2 would overflow
  CHECK(refused(head(4, 3) + integer(1) + integer(2)));      // array ends early
  CHECK(refused(std::string("\x19\x01", 2)));                // argument cut off
  CHECK(refused(integer(1) + integer(2)));                   // trailing bytes
  CHECK(refused(head(6, 18)));                               // tag without content

  std::string deep;
  for (int i = 0; i < 17; ++i) deep += head(4, 1);
  CHECK(refused(deep + integer(0)));
  CHECK(decode_cbor(deep.substr(1) + integer(0)).is_ok());  // 16 levels are fine

  std::string many = head(4, 100);
  for (int i = 0; i < 100; ++i) many += integer(i);
  CHECK(decode_cbor(many).is_ok());
  CborLimits small;
  small.max_items = 50;
  CHECK_FALSE(decode_cbor(many, small).is_ok());
}

TEST_CASE("Sig_structure is the RFC 9052 Signature1 array", "[cose]") {
  CHECK(cose_sig_structure("\xa1\x01\x26", "x") ==
        std::string("\x84\x6aSignature1\x43\xa1\x01\x26\x40\x41x"));
  std::string long_payload(300, 'p');
  CHECK(cose_sig_structure("", long_payload).substr(13, 3) == "\x40\x59\x01");
}

TEST_CASE("COSE_Sign1 with Ed25519 and P-256 verifies and tampering is caught", "[cose]") {
  for (auto alg : {kCoseEdDsa, kCoseEs256}) {
    Key key(alg == kCoseEdDsa ? EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")
                              : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    std::string header = vc_header(alg);
    std::string signature = sign(key.get(), header, kPayload);
    auto message = parse_cose_sign1(sign1(header, head(5, 0), bstr(kPayload), bstr(signature)));
    REQUIRE(message.is_ok());
    CHECK(message->algorithm == alg);
    CHECK(message->kid == "key-1");
    CHECK(message->content_type == "application/vc");
    CHECK(message->typ == "application/vc+cose");
    CHECK(message->payload == kPayload);
    CHECK(verify_cose_sign1(*message, public_of(key.get())).is_ok());
    CHECK(check_media_type(*message, CoseContent::kCredential).is_ok());

    auto tampered = *message;
    tampered.payload[5] ^= 1;
    CHECK(reason(verify_cose_sign1(tampered, public_of(key.get()))) == "BAD_SIGNATURE");
    // The protected header is signed too.
    auto relabelled = *message;
    relabelled.protected_header = vc_header(alg) + "";
    relabelled.protected_header.back() = 'X';
    CHECK(reason(verify_cose_sign1(relabelled, public_of(key.get()))) == "BAD_SIGNATURE");
    auto short_signature = *message;
    short_signature.signature.pop_back();
    CHECK(reason(verify_cose_sign1(short_signature, public_of(key.get()))) == "BAD_SIGNATURE");

    // Untagged COSE_Sign1 is the same message.
    auto untagged =
        parse_cose_sign1(sign1(header, head(5, 0), bstr(kPayload), bstr(signature), false));
    REQUIRE(untagged.is_ok());
    CHECK(verify_cose_sign1(*untagged, public_of(key.get())).is_ok());
  }
}

TEST_CASE("the key decides the algorithm, not the header", "[cose]") {
  Key ed(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  Key p256(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  std::string header = vc_header(kCoseEs256);
  auto message = parse_cose_sign1(
      sign1(header, head(5, 0), bstr(kPayload), bstr(sign(p256.get(), header, kPayload))));
  REQUIRE(message.is_ok());
  CHECK(reason(verify_cose_sign1(*message, public_of(ed.get()))) == "UNSUPPORTED_ALGORITHM");
  auto rs256 = *message;
  rs256.algorithm = -257;
  CHECK(reason(verify_cose_sign1(rs256, public_of(p256.get()))) == "UNSUPPORTED_ALGORITHM");
  auto es384 = *message;
  es384.algorithm = kCoseEs384;
  CHECK(reason(verify_cose_sign1(es384, public_of(p256.get()))) == "UNSUPPORTED_ALGORITHM");
  CHECK(cose_algorithm_name(kCoseEs512) == "ES512");
  CHECK(cose_algorithm_name(-257).empty());
}

TEST_CASE("COSE_Sign1 structure errors are malformed", "[cose]") {
  std::string good_header = vc_header(kCoseEdDsa);
  std::string sig = bstr(std::string(64, 's'));
  std::string payload = bstr(kPayload);
  CHECK(parse_reason(sign1(good_header, head(5, 0), payload, sig)).empty());

  CHECK(parse_reason(head(6, 98) + head(4, 4) + bstr(good_header) + head(5, 0) + payload + sig) ==
        "MALFORMED");  // COSE_Sign (98), not Sign1
  CHECK(parse_reason(head(4, 3) + bstr(good_header) + head(5, 0) + payload) == "MALFORMED");
  CHECK(parse_reason(sign1(good_header, head(5, 0), "\xf6", sig)) == "MALFORMED");  // detached
  CHECK(parse_reason(sign1(good_header, head(4, 0), payload, sig)) == "MALFORMED");
  CHECK(parse_reason(sign1(good_header, head(5, 0), payload, tstr("sig"))) == "MALFORMED");
  CHECK(parse_reason(sign1(integer(1), head(5, 0), payload, sig)) == "MALFORMED");

  // alg only in the unprotected header is not signed: refused.
  std::string no_alg = head(5, 1) + integer(4) + bstr("k");
  CHECK(parse_reason(sign1(no_alg, head(5, 1) + integer(1) + integer(kCoseEdDsa), payload, sig)) ==
        "MALFORMED");
  CHECK(parse_reason(sign1("", head(5, 0), payload, sig)) == "MALFORMED");  // empty protected
  std::string text_alg = head(5, 1) + integer(1) + tstr("EdDSA");
  CHECK(parse_reason(sign1(text_alg, head(5, 0), payload, sig)) == "UNSUPPORTED_ALGORITHM");

  std::string crit =
      head(5, 2) + integer(1) + integer(kCoseEdDsa) + integer(2) + head(4, 1) + integer(99);
  CHECK(parse_reason(sign1(crit, head(5, 0), payload, sig)) == "MALFORMED");
  std::string twice = head(5, 2) + integer(1) + integer(kCoseEdDsa) + integer(1) + integer(-7);
  CHECK(parse_reason(sign1(twice, head(5, 0), payload, sig)) == "MALFORMED");
  std::string both = head(5, 1) + integer(4) + bstr("k2");
  CHECK(parse_reason(sign1(good_header, both, payload, sig)) == "MALFORMED");
  std::string bad_typ = head(5, 2) + integer(1) + integer(kCoseEdDsa) + integer(16) + integer(7);
  CHECK(parse_reason(sign1(bad_typ, head(5, 0), payload, sig)) == "MALFORMED");
}

TEST_CASE("COSE headers: unprotected kid, x5chain, numeric content type", "[cose]") {
  std::string header = head(5, 3) + integer(1) + integer(kCoseEs256) + integer(3) + integer(50) +
                       integer(33) + head(4, 2) + bstr("leaf") + bstr("ca");
  auto message = parse_cose_sign1(sign1(header, head(5, 1) + integer(4) + bstr("kid-u"), bstr("{}"),
                                        bstr(std::string(64, 's'))));
  REQUIRE(message.is_ok());
  CHECK(message->kid == "kid-u");
  CHECK(message->x5chain == std::vector<std::string>{"leaf", "ca"});
  CHECK(message->content_type == "50");
  CHECK(message->typ.empty());
  // A CoAP number never passes for application/vc.
  CHECK(reason(check_media_type(*message, CoseContent::kCredential)) == "BAD_MEDIA_TYPE");
}

TEST_CASE("media types: absent is accepted, another one is not", "[cose]") {
  CoseSign1 message;
  CHECK(check_media_type(message, CoseContent::kCredential).is_ok());
  message.typ = "application/vp+cose";
  CHECK(check_media_type(message, CoseContent::kPresentation).is_ok());
  CHECK(reason(check_media_type(message, CoseContent::kCredential)) == "BAD_MEDIA_TYPE");
  message.content_type = "application/vc";
  CHECK(reason(check_media_type(message, CoseContent::kPresentation)) == "BAD_MEDIA_TYPE");
  message.typ = "";
  message.content_type = "application/json";
  CHECK(reason(check_media_type(message, CoseContent::kCredential)) == "BAD_MEDIA_TYPE");
}

TEST_CASE("a presentation's enveloped credentials are data: URLs", "[enveloped]") {
  auto vp = nlohmann::json::parse(R"({"type": "VerifiablePresentation",
    "verifiableCredential": [
      {"type": "EnvelopedVerifiableCredential", "id": "data:application/vc+jwt,eyJ.eyJ.sig"},
      {"type": ["EnvelopedVerifiableCredential"],
       "id": "data:application/vc+cose;base64,0oRDoQEm"}]})");
  auto credentials = read_enveloped_credentials(vp);
  REQUIRE(credentials.is_ok());
  REQUIRE(credentials->size() == 2);
  CHECK((*credentials)[0].media_type == "application/vc+jwt");
  CHECK((*credentials)[0].data == "eyJ.eyJ.sig");
  CHECK((*credentials)[1].media_type == "application/vc+cose");
  CHECK((*credentials)[1].data == "\xd2\x84\x43\xa1\x01\x26");

  CHECK(read_enveloped_credentials(nlohmann::json::parse(R"({"type": "VerifiablePresentation"})"))
            ->empty());
  auto field_of = [](const char* json) {
    auto r = read_enveloped_credentials(nlohmann::json::parse(json));
    REQUIRE_FALSE(r.is_ok());
    CHECK(r.status().detail("reason") == "MALFORMED");
    return r.status().detail("field");
  };
  CHECK(field_of(R"({"verifiableCredential": {"type": "EnvelopedVerifiableCredential",
                     "id": "bad-credential"}})") == "verifiableCredential[0].id");
  CHECK(field_of(R"({"verifiableCredential": [{"type": "VerifiableCredential",
                     "issuer": "did:example:1"}]})") == "verifiableCredential[0].type");
  CHECK(field_of(R"({"verifiableCredential": [{"type": "EnvelopedVerifiableCredential",
                     "id": "data:,"}]})") == "verifiableCredential[0].id");
  CHECK(field_of(R"({"verifiableCredential": [{"type": "EnvelopedVerifiableCredential",
                     "id": "data:application/vc+cose;base64,%%%"}]})") ==
        "verifiableCredential[0].id");
}
