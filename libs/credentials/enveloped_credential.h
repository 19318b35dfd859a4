// The credentials a VC 2.0 presentation carries as EnvelopedVerifiableCredential: each one's
// `id` is a data: URL holding a secured credential (vc+jwt, vc+sd-jwt, vc+cose, ...).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "libs/core/status.h"

namespace mpli::credentials {

struct EnvelopedCredential {
  std::string media_type;  // e.g. "application/vc+jwt", parameters removed
  std::string data;        // the secured credential (base64-decoded when the URL said ;base64)
};

// Reads `verifiableCredential` (absent: no credentials; an object or an array). Each entry must
// be an EnvelopedVerifiableCredential whose id is a data: URL with a non-empty body: a VP that
// embeds an unsecured credential or names it by some other id proves nothing about it.
// Errors are kMalformed with detail "field" such as "verifiableCredential[0].id".
Result<std::vector<EnvelopedCredential>> read_enveloped_credentials(
    const nlohmann::json& presentation);

}  // namespace mpli::credentials
