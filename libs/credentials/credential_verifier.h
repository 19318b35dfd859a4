// Verifies JOSE-secured credentials and presentations (vc+jwt, vc+ld+json+jwt, jwt_vc_json,
// dc+sd-jwt/vc+sd-jwt, vp+jwt, vp+sd-jwt) into VerifiedCredential: format, signature with the
// resolved issuer key, disclosures, key binding and validity. The clock is an input.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "libs/core/status.h"
#include "libs/credentials/jws.h"
#include "libs/credentials/key_resolver.h"
#include "libs/credentials/verified_credential.h"

namespace mpli::credentials {

struct VerifyOptions {
  int64_t clock_skew = 60;  // seconds allowed either way on every time check
  int64_t now = 0;          // Unix seconds: the caller's clock, so tests and replays are exact
  size_t max_token_bytes = kDefaultMaxTokenBytes;
  // SD-JWT key binding: when either is set (or require_key_binding), a top-level SD-JWT must
  // carry a KB-JWT with this nonce/audience; a KB-JWT present is always checked.
  std::string expected_nonce;
  std::string expected_audience;
  bool require_key_binding = false;
  int64_t key_binding_max_age = 300;
};

// Verifies the content of an enveloped credential of another format (e.g. the COSE verifier
// for "application/vc+cose"): `content` is the data: URL's text after the comma, as it is
// (`base64_encoded` when the URL said ";base64"; decoding is the format's business).
using EnvelopeVerifier =
    std::function<Result<VerifiedCredential>(std::string_view content, bool base64_encoded)>;

// RFC 3339 or XML Schema dateTime (no zone = UTC) to Unix seconds; nullopt when not one.
std::optional<int64_t> parse_date_time(std::string_view text);

class CredentialVerifier {
 public:
  CredentialVerifier(const KeyResolver& resolver, VerifyOptions options)
      : resolver_(resolver), options_(std::move(options)) {}

  // One credential. Refusals: kTooLarge, kMalformed, kBadMediaType (a typ that is not a
  // credential's), kUnsupportedAlgorithm, kKeyNotFound/kKeyUnavailable/kBadCertificateChain
  // (from the resolver), kBadSignature, kBadDisclosure, kBadKeyBinding, kExpired, kNotYetValid.
  Result<VerifiedCredential> verify_credential(std::string_view token) const;

  // A vp+jwt, vp+sd-jwt or jwt_vp_json presentation signed by its holder, and every credential
  // it envelops; the first credential that fails fails the whole presentation.
  Result<std::vector<VerifiedCredential>> verify_presentation(std::string_view token) const;

  // A COSE_Sign1-secured credential (application/vc+cose), as bytes. verify_credential takes
  // one too, base64-encoded, and presentations verify their vc+cose envelopes with it.
  Result<VerifiedCredential> verify_cose_credential(std::string_view cose) const;

  // Enveloped credentials of `media_type` are handed to `verifier` (which replaces the built-in
  // one for application/vc+cose); other unknown media types are kUnsupportedFormat.
  void add_envelope_format(std::string media_type, EnvelopeVerifier verifier);

 private:
  struct Secured;
  Result<Secured> parse(std::string_view token) const;
  // Resolves the issuer's key, verifies the signature and (SD-JWT) the key binding.
  Status authenticate(Secured& secured, bool top_level) const;
  Result<VerifiedCredential> verify_enveloped(const nlohmann::json& entry) const;
  Result<VerifiedCredential> verify_credential_at(std::string_view token, bool top_level) const;

  const KeyResolver& resolver_;
  VerifyOptions options_;
  std::map<std::string, EnvelopeVerifier, std::less<>> envelope_formats_;
};

}  // namespace mpli::credentials
