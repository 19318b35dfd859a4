// One fuzz input through everything a credential token meets in the trust service, built into
// the libFuzzer target (credential_token_fuzz.cc) and the corpus replay ctest runs.
#pragma once

#include <string_view>

namespace mpli::fuzz {

// Bytes -> CredentialVerifier::verify_credential and verify_presentation (a resolver that
// answers every request with one fixed Ed25519 key, so signed seeds get past the signature),
// then the same bytes as JSON (parse, JCS, JWK), as an SD-JWT (split, reconstruct) and as DIDs.
// Returns normally on any input; a crash or a sanitizer report is a finding.
void check_credential_token_input(std::string_view bytes);

}  // namespace mpli::fuzz
