#include "fuzz/credential_token_input.h"

#include <cstdlib>
#include <string>

#include "libs/credentials/credential_verifier.h"
#include "libs/credentials/did.h"
#include "libs/credentials/jcs.h"
#include "libs/credentials/json_document.h"
#include "libs/credentials/jwk.h"
#include "libs/credentials/sd_jwt.h"

namespace mpli::fuzz {
namespace {

using namespace mpli::credentials;

// The RFC 8037 appendix A Ed25519 key: fixed, so the seed corpus can be signed with it.
const SigningKey& fixed_key() {
  static const SigningKey key = [] {
    auto loaded = SigningKey::from_jwk({{"kty", "OKP"},
                                        {"crv", "Ed25519"},
                                        {"d", "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"},
                                        {"x", "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}});
    if (!loaded.is_ok()) std::abort();
    return std::move(loaded).value();
  }();
  return key;
}

class FixedKeyResolver : public KeyResolver {
 public:
  Result<ResolvedKey> resolve(const KeyRequest& request) const override {
    return ResolvedKey{fixed_key().public_key(), request.kid, ""};
  }
};

}  // namespace

void check_credential_token_input(std::string_view bytes) {
  static const FixedKeyResolver resolver;
  VerifyOptions options;
  options.now = 1767225600;
  CredentialVerifier verifier(resolver, options);
  (void)verifier.verify_credential(bytes);
  (void)verifier.verify_presentation(bytes);
  options.expected_nonce = "nonce";
  options.expected_audience = "https://verifier.example";
  (void)CredentialVerifier(resolver, options).verify_credential(bytes);

  auto json = parse_json(bytes);
  if (json.is_ok()) {
    (void)canonicalize_json(*json);
    (void)public_key_from_jwk(*json);
    (void)SigningKey::from_jwk(*json);
    (void)reconstruct_claims(*json, {});
    (void)find_verification_method(*json, "did:web:a.example", "key-1");
  }
  auto sd_jwt = split_sd_jwt(bytes);
  if (sd_jwt.is_ok()) {
    auto claims = parse_json_object(sd_jwt->issuer_jwt, "claims");
    if (claims.is_ok()) (void)reconstruct_claims(*claims, sd_jwt->disclosures);
  }
  std::string text(bytes.substr(0, 512));
  (void)public_key_from_did_key(text);
  (void)public_key_from_did_jwk(text);
  (void)did_web_document_url(text);
  (void)public_key_from_multikey(text);
}

}  // namespace mpli::fuzz
