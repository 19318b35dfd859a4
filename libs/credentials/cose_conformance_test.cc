// Runs every COSE vector of the W3C vc-jose-cose-test-suite (copied under
// ../shared/conformance/vc) through parse, media type check, key lookup by kid, signature
// verification and, for presentations, the enveloped credentials; each must end as upstream's
// test-mapping says (success, or failure for the reason its name gives).
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "libs/credentials/base64url.h"
#include "libs/credentials/cose.h"
#include "libs/credentials/enveloped_credential.h"

using namespace mpli::credentials;  // NOLINT: test file

namespace {

const std::filesystem::path kSuite = "../shared/conformance/vc/vc-jose-cose-test-suite";

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// The suite's .txt files hold standard base64 without padding (and a final newline).
std::string trimmed(std::string text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  while (text.size() % 4 == 2 || text.size() % 4 == 3) text.push_back('=');
  return text;
}

// TEST ONLY: a public JWK (EC P-256/384/521 or OKP Ed25519) as a PublicKey, just enough to load
// the suite's vm-*.json keys. The library's JWK reader (jwk.h) is the real one.
mpli::Result<PublicKey> test_only_public_key_from_jwk(const nlohmann::json& jwk) {
  auto field = [&](const char* name) -> std::string {
    auto decoded = base64url_decode(jwk.value(name, ""));
    return decoded.is_ok() ? *decoded : std::string();
  };
  const std::string kty = jwk.value("kty", "");
  const std::string crv = jwk.value("crv", "");
  if (kty == "OKP" && crv == "Ed25519") {
    std::string x = field("x");
    return PublicKey::adopt(EVP_PKEY_new_raw_public_key(
        EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(x.data()), x.size()));
  }
  if (kty != "EC") return mpli::invalid_argument("test JWK: unsupported kty " + kty);
  std::string point = "\x04" + field("x") + field("y");
  std::unique_ptr<OSSL_PARAM_BLD, decltype(&OSSL_PARAM_BLD_free)> build(OSSL_PARAM_BLD_new(),
                                                                        OSSL_PARAM_BLD_free);
  OSSL_PARAM_BLD_push_utf8_string(build.get(), OSSL_PKEY_PARAM_GROUP_NAME, crv.c_str(), 0);
  OSSL_PARAM_BLD_push_octet_string(build.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                   point.size());
  std::unique_ptr<OSSL_PARAM, decltype(&OSSL_PARAM_free)> params(
      OSSL_PARAM_BLD_to_param(build.get()), OSSL_PARAM_free);
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(
      EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr), EVP_PKEY_CTX_free);
  EVP_PKEY* key = nullptr;
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return mpli::invalid_argument("test JWK: bad EC key");
  }
  return PublicKey::adopt(key);
}

std::map<std::string, PublicKey> suite_keys() {
  std::map<std::string, PublicKey> keys;
  for (const auto& entry : std::filesystem::directory_iterator(kSuite)) {
    std::string name = entry.path().filename().string();
    if (name.rfind("vm-", 0) != 0) continue;
    auto vm = nlohmann::json::parse(read_text(entry.path()));
    auto key = test_only_public_key_from_jwk(vm.at("publicKeyJwk"));
    REQUIRE(key.is_ok());
    keys.insert_or_assign(vm["publicKeyJwk"].value("kid", ""), *key);
  }
  return keys;
}

// The whole COSE path a verifier takes; ok, or the first refusal.
mpli::Status verify_vector(const std::string& text, CoseContent content,
                           const std::map<std::string, PublicKey>& keys) {
  MPLI_ASSIGN_OR_RETURN(auto bytes, base64_decode(trimmed(text)));
  MPLI_ASSIGN_OR_RETURN(auto message, parse_cose_sign1(bytes));
  MPLI_RETURN_IF_ERROR(check_media_type(message, content));
  auto key = keys.find(message.kid);
  if (key == keys.end()) return mpli::not_found("no suite key with kid " + message.kid);
  MPLI_RETURN_IF_ERROR(verify_cose_sign1(message, key->second));
  auto payload = nlohmann::json::parse(message.payload, nullptr, false);
  if (payload.is_discarded()) return mpli::invalid_argument("payload is not JSON");
  if (content == CoseContent::kPresentation) {
    MPLI_RETURN_IF_ERROR(read_enveloped_credentials(payload));
  }
  return mpli::Status::ok();
}

struct Expectation {
  CoseContent content;
  std::string reason;  // "" = verifies
};

}  // namespace

TEST_CASE("vc-jose-cose-test-suite: every COSE vector ends as upstream expects",
          "[conformance][cose]") {
  const std::map<std::string, Expectation> expected = {
      {"credential-cose-minimal.txt", {CoseContent::kCredential, ""}},
      {"presentation-cose-single.txt", {CoseContent::kPresentation, ""}},
      {"credential-cose-bad-signature.txt", {CoseContent::kCredential, "BAD_SIGNATURE"}},
      {"credential-cose-bad-media-type.txt", {CoseContent::kCredential, "BAD_MEDIA_TYPE"}},
      {"presentation-cose-bad-media-type.txt", {CoseContent::kPresentation, "BAD_MEDIA_TYPE"}},
      // Hex, not base64: the bytes it decodes to are no COSE_Sign1.
      {"credential-cose-minimal-not-base64.txt", {CoseContent::kCredential, "MALFORMED"}},
      // Validly signed, but its enveloped credential's id is "bad-credential", not a data: URL.
      {"presentation-cose-bad-credential.txt", {CoseContent::kPresentation, "MALFORMED"}},
  };
  REQUIRE(std::filesystem::is_directory(kSuite));
  const auto keys = suite_keys();
  REQUIRE(keys.size() >= 4);

  size_t total = 0;
  size_t as_expected = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kSuite)) {
    std::string name = entry.path().filename().string();
    if (name.find("-cose-") == std::string::npos || entry.path().extension() != ".txt") continue;
    ++total;
    auto it = expected.find(name);
    INFO(name);
    // A vector the table does not know is a failure: it must be looked at, not skipped.
    CHECK(it != expected.end());
    if (it == expected.end()) continue;
    auto status = verify_vector(read_text(entry.path()), it->second.content, keys);
    std::string got = status.is_ok() ? "" : status.detail("reason");
    INFO("status: " << status.to_string());
    CHECK(got == it->second.reason);
    if (got == it->second.reason) ++as_expected;
  }
  std::cout << "vc-jose-cose COSE: " << as_expected << "/" << total << " as expected\n";
  CHECK(total == expected.size());
  CHECK(as_expected == total);
}

TEST_CASE("the presentation with a bad credential fails only on that credential",
          "[conformance][cose]") {
  const auto keys = suite_keys();
  auto bytes = base64_decode(trimmed(read_text(kSuite / "presentation-cose-bad-credential.txt")));
  REQUIRE(bytes.is_ok());
  auto message = parse_cose_sign1(*bytes);
  REQUIRE(message.is_ok());
  CHECK(check_media_type(*message, CoseContent::kPresentation).is_ok());
  CHECK(verify_cose_sign1(*message, keys.at(message->kid)).is_ok());
  auto credentials = read_enveloped_credentials(nlohmann::json::parse(message->payload));
  REQUIRE_FALSE(credentials.is_ok());
  CHECK(credentials.status().detail("field") == "verifiableCredential[0].id");
}

TEST_CASE("the suite's good vectors carry the media types the spec names", "[conformance][cose]") {
  auto bytes = base64_decode(trimmed(read_text(kSuite / "credential-cose-minimal.txt")));
  REQUIRE(bytes.is_ok());
  auto message = parse_cose_sign1(*bytes);
  REQUIRE(message.is_ok());
  CHECK(message->algorithm == kCoseEs256);
  CHECK(message->content_type == "application/vc");
  CHECK(message->typ == "application/vc+cose");
  CHECK(message->kid == "73voMXFNmNlOEpuYCSJlh8eN0dscykoO6gBukgRS1uU");
  // A credential's COSE is not a presentation's.
  CHECK(check_media_type(*message, CoseContent::kPresentation).detail("reason") ==
        "BAD_MEDIA_TYPE");
}
