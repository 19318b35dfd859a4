// From a verified credential to the RDF facts it gives (docs/credentials.md is the contract):
// which kind of credential it is, whom its facts are about, and the facts. Pure: no keys, no
// clock, no I/O; the signature, validity and anchors were checked before this runs.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "libs/core/status.h"
#include "libs/credentials/verified_credential.h"

namespace mpli::trust {

struct FactTriple {
  std::string subject;
  std::string predicate;
  std::string object;
  bool object_is_literal = false;
  std::string datatype;  // literal datatype IRI, "" for a plain string

  friend bool operator<(const FactTriple& a, const FactTriple& b);
  friend bool operator==(const FactTriple& a, const FactTriple& b);
};

// The manifest claim a fetched credential is meant to prove (absent for a consumer's own
// submission): the credential must be about `subject` (or one of the provider's identifiers),
// and a certification credential about the claimed standard.
struct ClaimContext {
  std::string subject;          // provider or offering IRI as the manifest names it
  std::string provider_domain;  // mpli:domain: did:web:<domain> and https://<domain>/...
                                // identify the provider too
  std::string claim;            // "party", "certification", "service_level"
  std::string standard;         // certification: the claimed mpli:standard IRI
  std::optional<double> availability_percent;  // service level: the claimed figure
};

struct CredentialReading {
  std::string kind;     // the mpli credential type IRI (vocab::k*Credential), "" if unknown
  std::string subject;  // whom the facts are about
  std::vector<FactTriple> facts;  // sorted, unique
};

// kSubjectMismatch (reason SUBJECT_MISMATCH) when `claim` is given and the credential is about
// someone else or proves another standard or a lower availability than claimed; kMalformed when
// a recognised credential lacks what its kind needs (a legal identity without a country, a
// certification without a standard), naming the field.
Result<CredentialReading> read_facts(const credentials::VerifiedCredential& credential,
                                     const ClaimContext* claim);

// "gx:LegalPerson", "https://w3id.org/gaia-x/development#LegalPerson" -> "LegalPerson".
std::string local_type_name(const std::string& type);

// Whether `id` names the party the manifest calls `subject` on `domain` (see ClaimContext).
bool identifies(const std::string& id, const std::string& subject, const std::string& domain);

}  // namespace mpli::trust
