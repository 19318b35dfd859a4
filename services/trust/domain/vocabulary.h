// The IRIs the trust service writes facts with (ontology/mpli.ttl): one place, so the mapping,
// the anchors and the docs cannot drift apart.
#pragma once

namespace mpli::trust::vocab {

inline constexpr const char* kMpli = "https://w3id.org/mpli#";
inline constexpr const char* kVerifiedCredentialType =
    "https://w3id.org/mpli#verifiedCredentialType";
inline constexpr const char* kVerifiedCountry = "https://w3id.org/mpli#verifiedCountry";
inline constexpr const char* kVerifiedCertification = "https://w3id.org/mpli#verifiedCertification";
inline constexpr const char* kVerifiedAvailabilityPercent =
    "https://w3id.org/mpli#verifiedAvailabilityPercent";

inline constexpr const char* kLegalIdentityCredential =
    "https://w3id.org/mpli#LegalIdentityCredential";
inline constexpr const char* kGaiaXComplianceCredential =
    "https://w3id.org/mpli#GaiaXComplianceCredential";
inline constexpr const char* kCertificationCredential =
    "https://w3id.org/mpli#CertificationCredential";
inline constexpr const char* kServiceLevelCredential =
    "https://w3id.org/mpli#ServiceLevelCredential";

inline constexpr const char* kXsdDecimal = "http://www.w3.org/2001/XMLSchema#decimal";

}  // namespace mpli::trust::vocab
