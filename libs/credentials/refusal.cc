#include "libs/credentials/refusal.h"

namespace mpli::credentials {

std::string_view refusal_name(Refusal refusal) {
  switch (refusal) {
    case Refusal::kMalformed:
      return "MALFORMED";
    case Refusal::kTooLarge:
      return "TOO_LARGE";
    case Refusal::kUnsupportedAlgorithm:
      return "UNSUPPORTED_ALGORITHM";
    case Refusal::kBadMediaType:
      return "BAD_MEDIA_TYPE";
    case Refusal::kBadSignature:
      return "BAD_SIGNATURE";
    case Refusal::kKeyNotFound:
      return "KEY_NOT_FOUND";
    case Refusal::kKeyUnavailable:
      return "KEY_UNAVAILABLE";
    case Refusal::kBadCertificateChain:
      return "BAD_CERTIFICATE_CHAIN";
    case Refusal::kUntrustedIssuer:
      return "UNTRUSTED_ISSUER";
    case Refusal::kExpired:
      return "EXPIRED";
    case Refusal::kNotYetValid:
      return "NOT_YET_VALID";
    case Refusal::kRevoked:
      return "REVOKED";
    case Refusal::kStatusUnavailable:
      return "STATUS_UNAVAILABLE";
    case Refusal::kSubjectMismatch:
      return "SUBJECT_MISMATCH";
    case Refusal::kBadDisclosure:
      return "BAD_DISCLOSURE";
    case Refusal::kBadKeyBinding:
      return "BAD_KEY_BINDING";
    case Refusal::kUnsupportedFormat:
      return "UNSUPPORTED_FORMAT";
  }
  return "MALFORMED";
}

Status refusal(Refusal refusal, std::string message) {
  StatusCode code = StatusCode::kInvalidArgument;
  if (refusal == Refusal::kTooLarge) code = StatusCode::kTooLarge;
  if (refusal == Refusal::kKeyUnavailable || refusal == Refusal::kStatusUnavailable) {
    code = StatusCode::kUnavailable;
  }
  return Status(code, std::move(message),
                {{"reason", std::string(refusal_name(refusal))}, {"domain", "trust"}});
}

}  // namespace mpli::credentials
