// Runs the vc-jose-cose-test-suite vectors (../shared/conformance/vc/README.md) through
// CredentialVerifier: positives must verify, negatives must fail for the named reason. Then
// reproduces vc-di-eddsa's step-by-step values (did:key, hashes, deterministic Ed25519, JCS).
#include <openssl/sha.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "libs/credentials/base64url.h"
#include "libs/credentials/credential_verifier.h"
#include "libs/credentials/did.h"
#include "libs/credentials/jcs.h"
#include "libs/credentials/json_document.h"
#include "libs/credentials/jwk.h"
#include "libs/credentials/jws.h"
#include "libs/credentials/refusal.h"

namespace {

using namespace mpli::credentials;

const std::filesystem::path kVectors = "../shared/conformance/vc";

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

std::string hex(std::string_view bytes) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (unsigned char byte : bytes) {
    out.push_back(kDigits[byte >> 4]);
    out.push_back(kDigits[byte & 0xF]);
  }
  return out;
}

std::string unhex(std::string_view text) {
  std::string out;
  for (size_t i = 0; i + 1 < text.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(text.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

std::string sha256(std::string_view bytes) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  return std::string(reinterpret_cast<const char*>(digest), sizeof(digest));
}

enum class Kind { kCredential, kPresentation };

struct Vector {
  std::string file;
  Kind kind;
  std::optional<Refusal> expected_refusal;  // nullopt: must verify
  int64_t now;                              // inside the vector's validity window
  std::string needs;  // a format not verified here yet ("cose"): counted as pending
  std::string why;    // what the expectation rests on, where it is not obvious
};

constexpr int64_t kDecember2024 = 1734311050 + 3600;  // within presentation-jose-multiple's VP

// The expectations of the upstream tests/test-mapping.js, by file. The COSE vectors
// (`*-cose-*`) are added by the COSE verifier as one entry each.
const std::vector<Vector>& vectors() {
  static const std::vector<Vector> table = {
      {"credential-jose-minimal.txt", Kind::kCredential, std::nullopt, kDecember2024, "", ""},
      {"credential-issuer-match-signed.txt", Kind::kCredential, std::nullopt, kDecember2024, "",
       ""},
      {"credential-jose-bad-signature.txt", Kind::kCredential, Refusal::kBadSignature,
       kDecember2024, "", ""},
      {"credential-jose-bad-media-type.txt", Kind::kCredential, Refusal::kBadMediaType,
       kDecember2024, "", "typ bad+typ"},
      {"credential-jose-vc-vp-claims.txt", Kind::kCredential, Refusal::kMalformed, kDecember2024,
       "", "vc and vp claims in a vc+jwt"},
      // The upstream "unknown extensions" negatives are test 5 (issuing
      // credential-unknown-extensions.json must fail) and test 9 (verifying a signed copy that
      // is not in this snapshot). This file is a P-521 signature over the minimal credential,
      // without the extensions and without crit: it verifies, and verifying must say so.
      {"credential-jose-unknown-extensions.txt", Kind::kCredential, std::nullopt, kDecember2024, "",
       "signed content has no extension (see comment)"},
      {"credential-sdjwt-selective.txt", Kind::kCredential, std::nullopt, kDecember2024, "", ""},
      // COSE credentials through the same entry point (base64 of the COSE_Sign1 bytes); the
      // COSE presentations are in credentials_cose_conformance.
      {"credential-cose-minimal.txt", Kind::kCredential, std::nullopt, kDecember2024, "", ""},
      {"credential-cose-bad-signature.txt", Kind::kCredential, Refusal::kBadSignature,
       kDecember2024, "", ""},
      {"credential-cose-bad-media-type.txt", Kind::kCredential, Refusal::kBadMediaType,
       kDecember2024, "", "typ really/bad, cty very/bad"},
      {"credential-cose-minimal-not-base64.txt", Kind::kCredential, Refusal::kMalformed,
       kDecember2024, "", "hex, not base64: not a COSE_Sign1 once decoded"},
      {"credential-sdjwt-nested.txt", Kind::kCredential, std::nullopt, kDecember2024, "", ""},
      {"credential-sdjwt-bad-signature.txt", Kind::kCredential, Refusal::kBadSignature,
       kDecember2024, "", ""},
      {"credential-sdjwt-bad-media-type.txt", Kind::kCredential, Refusal::kBadMediaType,
       kDecember2024, "", "typ bad+typ"},
      {"presentation-jose-multiple.txt", Kind::kPresentation, std::nullopt, kDecember2024, "",
       "envelops vc+jwt, vc+sd-jwt and vc+cose"},
      {"presentation-jose-bad-credential.txt", Kind::kPresentation, Refusal::kMalformed,
       1734223620 + 3600, "", "envelope id is not a data: URL"},
      {"presentation-jose-bad-media-type.txt", Kind::kPresentation, Refusal::kBadMediaType,
       1734213503 + 3600, "", "typ bad+typ"},
      {"presentation-sdjwt-selective.txt", Kind::kPresentation, std::nullopt, kDecember2024, "",
       ""},
      {"presentation-sdjwt-bad-credential.txt", Kind::kPresentation, Refusal::kBadMediaType,
       kDecember2024, "", "typ bad+typ (its credential is bad too)"},
      {"presentation-sdjwt-bad-media-type.txt", Kind::kPresentation, Refusal::kBadMediaType,
       kDecember2024, "", "typ bad+typ"},
      // Unsecured documents given to a verifier.
      {"credential-minimal.json", Kind::kCredential, Refusal::kMalformed, kDecember2024, "", ""},
      {"credential-full.json", Kind::kCredential, Refusal::kMalformed, kDecember2024, "", ""},
      {"credential-selective.json", Kind::kCredential, Refusal::kMalformed, kDecember2024, "", ""},
      {"credential-nested-selective.json", Kind::kCredential, Refusal::kMalformed, kDecember2024,
       "", ""},
      {"credential-unknown-extensions.json", Kind::kCredential, Refusal::kMalformed, kDecember2024,
       "", ""},
      {"presentation-single.json", Kind::kPresentation, Refusal::kMalformed, kDecember2024, "", ""},
      {"presentation-multiple.json", Kind::kPresentation, Refusal::kMalformed, kDecember2024, "",
       ""},
      {"presentation-selective.json", Kind::kPresentation, Refusal::kMalformed, kDecember2024, "",
       ""},
  };
  return table;
}

// Every vm-*.json public key, found by its kid (the vectors' issuer names no resolvable DID).
StaticKeyResolver vector_keys() {
  StaticKeyResolver resolver;
  for (const char* name : {"vm-p256.json", "vm-p384.json", "vm-p521.json", "vm-ed25519.json"}) {
    auto method = parse_json(read_file(kVectors / "vc-jose-cose-test-suite" / name));
    REQUIRE(method.is_ok());
    const auto& jwk = (*method)["publicKeyJwk"];
    auto key = public_key_from_jwk(jwk);
    REQUIRE(key.is_ok());
    resolver.add("", jwk["kid"].get<std::string>(), *key);
  }
  return resolver;
}

std::string outcome_of(const mpli::Status& status) {
  return status.is_ok() ? "verified" : status.detail("reason") + " (" + status.message() + ")";
}

}  // namespace

TEST_CASE("vc-jose-cose vectors verify or fail for the named reason", "[conformance]") {
  const auto suite = kVectors / "vc-jose-cose-test-suite";
  REQUIRE(std::filesystem::exists(suite));
  StaticKeyResolver resolver = vector_keys();
  int as_expected = 0;
  int pending = 0;
  std::vector<std::string> pending_names;
  for (const auto& vector : vectors()) {
    INFO(vector.file << ": " << vector.why);
    std::string token = trimmed(read_file(suite / vector.file));
    REQUIRE_FALSE(token.empty());
    VerifyOptions options;
    options.now = vector.now;
    CredentialVerifier verifier(resolver, options);
    mpli::Status status;
    size_t credentials = 0;
    if (vector.kind == Kind::kCredential) {
      auto result = verifier.verify_credential(token);
      status = result.status();
    } else {
      auto result = verifier.verify_presentation(token);
      status = result.status();
      if (result.is_ok()) credentials = result->size();
    }
    if (!vector.needs.empty() && status.detail("reason") == "UNSUPPORTED_FORMAT") {
      ++pending;
      pending_names.push_back(vector.file + " (needs " + vector.needs + ")");
      continue;
    }
    std::string expected = vector.expected_refusal
                               ? std::string(refusal_name(*vector.expected_refusal))
                               : std::string("verified");
    std::string actual = status.is_ok() ? "verified" : status.detail("reason");
    CHECK(actual == expected);
    if (actual == expected) {
      ++as_expected;
    } else {
      std::cout << "  " << vector.file << ": expected " << expected << ", got "
                << outcome_of(status) << "\n";
    }
    if (vector.kind == Kind::kPresentation && status.is_ok()) CHECK(credentials > 0);
  }
  std::cout << "vc-jose-cose: " << as_expected << "/" << vectors().size() - pending
            << " as expected";
  if (pending > 0) {
    std::cout << ", " << pending << " pending:";
    for (const auto& name : pending_names) std::cout << " " << name;
  }
  std::cout << " (COSE presentations: see credentials_cose_conformance)\n";
  CHECK(as_expected == static_cast<int>(vectors().size()) - pending);
}

TEST_CASE("vc-jose-cose SD-JWT vectors disclose the claims they carry", "[conformance]") {
  const auto suite = kVectors / "vc-jose-cose-test-suite";
  StaticKeyResolver resolver = vector_keys();
  VerifyOptions options;
  options.now = kDecember2024;
  CredentialVerifier verifier(resolver, options);

  auto selective =
      verifier.verify_credential(trimmed(read_file(suite / "credential-sdjwt-selective.txt")));
  REQUIRE(selective.is_ok());
  CHECK(selective->subject["firstName"] == "Jane");
  CHECK(selective->subject["lastName"] == "Doe");
  CHECK_FALSE(selective->subject.contains("_sd"));
  CHECK(selective->issuer == "https://example.issuer/vc-jose-cose");
  CHECK(selective->algorithm == "ES384");
  CHECK(selective->valid_from == 1704067200);

  auto nested =
      verifier.verify_credential(trimmed(read_file(suite / "credential-sdjwt-nested.txt")));
  REQUIRE(nested.is_ok());
  CHECK(nested->subject["address"]["street"] == "123 Main St");
  CHECK(nested->subject["address"]["city"] == "Anytown");
  REQUIRE(nested->subject["phoneNumbers"].size() == 2);
  CHECK(nested->subject["phoneNumbers"][0]["type"] == "work");

  auto minimal =
      verifier.verify_credential(trimmed(read_file(suite / "credential-jose-minimal.txt")));
  REQUIRE(minimal.is_ok());
  CHECK(minimal->format == "vc+jwt");
  CHECK(minimal->id == "http://university.example/credentials/1872");
  CHECK(minimal->subject_id == "did:example:123");
  CHECK(minimal->types ==
        std::vector<std::string>{"VerifiableCredential", "ExampleAlumniCredential"});
  CHECK(minimal->key_id == "73voMXFNmNlOEpuYCSJlh8eN0dscykoO6gBukgRS1uU");
}

TEST_CASE("vc-di-eddsa: did:key, hashes and signatures reproduce", "[conformance]") {
  const auto suite = kVectors / "vc-di-eddsa";
  REQUIRE(std::filesystem::exists(suite));
  auto pair = parse_json(read_file(suite / "keyPair.json"));
  REQUIRE(pair.is_ok());
  std::string public_multibase = (*pair)["publicKeyMultibase"];
  auto public_key = public_key_from_multikey(public_multibase);
  REQUIRE(public_key.is_ok());
  auto did = did_key_from_public_key(*public_key);
  REQUIRE(did.is_ok());
  CHECK(*did == "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2");

  // The secret key is multicodec ed25519-priv (0x1300, varint 0x80 0x26) + the 32-byte seed.
  std::string private_multibase = (*pair)["privateKeyMultibase"];
  auto secret = base58btc_decode(private_multibase.substr(1));
  REQUIRE(secret.is_ok());
  REQUIRE(secret->size() == 34);
  CHECK(secret->substr(0, 2) == "\x80\x26");
  nlohmann::json jwk = public_jwk(*public_key);
  jwk["d"] = base64url_encode(secret->substr(2));
  auto signing_key = SigningKey::from_jwk(jwk);
  REQUIRE(signing_key.is_ok());

  struct Suite {
    std::string dir, suffix, canon_doc;
  };
  for (const Suite& each : {Suite{"eddsa-rdfc-2022", "DataInt", "canonDocDataInt.txt"},
                            Suite{"eddsa-jcs-2022", "JCS", "canonDocJCS.txt"},
                            Suite{"Ed25519Signature2020", "EdSig", "canonDocEdSig.txt"}}) {
    INFO(each.dir);
    auto path = [&](const std::string& stem) {
      return suite / each.dir / (stem + each.suffix + ".txt");
    };
    std::string canon_doc = read_file(suite / each.dir / each.canon_doc);
    CHECK(hex(sha256(canon_doc)) == trimmed(read_file(path("docHash"))));
    std::string combined = unhex(trimmed(read_file(path("combinedHash"))));
    REQUIRE(combined.size() == 64);
    auto signature = signing_key->sign_bytes(combined);
    REQUIRE(signature.is_ok());
    CHECK(hex(*signature) == trimmed(read_file(path("sigHex"))));
    CHECK(verify_signature(*public_key, combined, *signature).is_ok());
    CHECK("z" + base58btc_encode(*signature) == trimmed(read_file(path("sigBTC58"))));
    std::string tampered = combined;
    tampered[0] ^= 1;
    CHECK_FALSE(verify_signature(*public_key, tampered, *signature).is_ok());
  }

  // eddsa-jcs-2022: the canonical document and proof config reproduce from their JSON.
  auto unsigned_doc = parse_json(read_file(suite / "unsigned.json"));
  REQUIRE(unsigned_doc.is_ok());
  auto canonical = canonicalize_json(*unsigned_doc);
  REQUIRE(canonical.is_ok());
  CHECK(*canonical == read_file(suite / "eddsa-jcs-2022" / "canonDocJCS.txt"));
  auto proof_config = parse_json(read_file(suite / "eddsa-jcs-2022" / "proofConfigJCS.json"));
  REQUIRE(proof_config.is_ok());
  auto canonical_proof = canonicalize_json(*proof_config);
  REQUIRE(canonical_proof.is_ok());
  CHECK(*canonical_proof == read_file(suite / "eddsa-jcs-2022" / "proofCanonJCS.txt"));
  CHECK(hex(sha256(*canonical_proof)) ==
        trimmed(read_file(suite / "eddsa-jcs-2022" / "proofHashJCS.txt")));
}

TEST_CASE("JCS numbers follow ECMAScript", "[conformance][jcs]") {
  auto number = [](const char* json) {
    auto value = parse_json(json);
    REQUIRE(value.is_ok());
    return canonicalize_json(*value).value();
  };
  CHECK(number("[0, -0, 1, -1, 1e21, 1e20, 0.000001, 1e-7, 123.456, 4.5, 9007199254740991]") ==
        "[0,0,1,-1,1e+21,100000000000000000000,0.000001,1e-7,123.456,4.5,9007199254740991]");
  CHECK(number(R"({"b":1,"a":"\u0001\n","\u20ac":true,"\ud83d\ude00":null})") ==
        // U+20AC sorts before U+1F600 (surrogates D83D DE00) in UTF-16, unlike in UTF-8.
        "{\"a\":\"\\u0001\\n\",\"b\":1,\"\xe2\x82\xac\":true,\"\xf0\x9f\x98\x80\":null}");
}
