#include "services/trust/domain/fact_mapping.h"

#include <algorithm>
#include <cstdio>
#include <set>
#include <tuple>

#include "libs/credentials/refusal.h"
#include "services/trust/domain/vocabulary.h"

namespace mpli::trust {
namespace {

using credentials::Refusal;
using credentials::refusal;
using nlohmann::json;

auto tie(const FactTriple& f) {
  return std::tie(f.subject, f.predicate, f.object, f.object_is_literal, f.datatype);
}

// The first of `names` that `object` has as a string member; "" when none. Credentials spell
// the same member compact ("gx:countryCode") or bare ("countryCode") depending on the issuer's
// JSON-LD context, so each lookup lists both.
std::string string_member(const json& object, std::initializer_list<const char*> names) {
  if (!object.is_object()) return "";
  for (const char* name : names) {
    auto it = object.find(name);
    if (it != object.end() && it->is_string()) return it->get<std::string>();
    // {"@value": "FR"} or {"id": "..."}: the JSON-LD forms issuers use for the same thing.
    if (it != object.end() && it->is_object()) {
      for (const char* inner : {"@value", "@id", "id"}) {
        auto nested = it->find(inner);
        if (nested != it->end() && nested->is_string()) return nested->get<std::string>();
      }
    }
  }
  return "";
}

const json* object_member(const json& object, std::initializer_list<const char*> names) {
  if (!object.is_object()) return nullptr;
  for (const char* name : names) {
    auto it = object.find(name);
    if (it != object.end() && it->is_object()) return &*it;
  }
  return nullptr;
}

// Every string of a member that may be a string or an array of strings (or of {"id": ...}).
std::vector<std::string> string_list(const json& object, std::initializer_list<const char*> names) {
  std::vector<std::string> out;
  if (!object.is_object()) return out;
  for (const char* name : names) {
    auto it = object.find(name);
    if (it == object.end()) continue;
    auto add = [&out](const json& item) {
      if (item.is_string()) out.push_back(item.get<std::string>());
      if (item.is_object()) {
        auto id = item.find("id");
        if (id != item.end() && id->is_string()) out.push_back(id->get<std::string>());
      }
    };
    if (it->is_array()) {
      for (const auto& item : *it) add(item);
    } else {
      add(*it);
    }
  }
  return out;
}

bool has_type(const credentials::VerifiedCredential& credential,
              std::initializer_list<const char*> names) {
  std::vector<std::string> types = credential.types;
  for (const auto& t : string_list(credential.subject, {"type", "@type"})) types.push_back(t);
  for (const auto& type : types) {
    std::string local = local_type_name(type);
    for (const char* name : names) {
      if (local == name) return true;
    }
  }
  return false;
}

// "mpli:ISO27001", "ISO27001" or a full IRI -> the full IRI. Standards are an open set: any
// absolute IRI is taken as it is.
std::string standard_iri(const std::string& value) {
  if (value.rfind("mpli:", 0) == 0) return std::string(vocab::kMpli) + value.substr(5);
  if (value.find(':') == std::string::npos) return std::string(vocab::kMpli) + value;
  return value;
}

std::string upper(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

bool is_country_code(const std::string& code) {
  return code.size() == 2 && std::isupper(static_cast<unsigned char>(code[0])) &&
         std::isupper(static_cast<unsigned char>(code[1]));
}

FactTriple iri_fact(const std::string& subject, const char* predicate, std::string object) {
  return {subject, predicate, std::move(object), false, ""};
}

// The legal address country: Gaia-X gx:legalAddress/gx:countryCode (or the first two letters of
// gx:countrySubdivisionCode, "FR-75"), DOME's mandate.mandator.country, or a flat "country".
std::string legal_country(const json& subject) {
  const json* address =
      object_member(subject, {"gx:legalAddress", "legalAddress", "gx:headquartersAddress"});
  std::string code;
  if (address) {
    code = string_member(*address, {"gx:countryCode", "countryCode"});
    if (code.empty()) {
      code = string_member(*address, {"gx:countrySubdivisionCode", "countrySubdivisionCode"})
                 .substr(0, 2);
    }
  }
  if (code.empty()) {
    const json* mandate = object_member(subject, {"mandate"});
    const json* mandator = mandate ? object_member(*mandate, {"mandator"}) : nullptr;
    if (mandator) code = string_member(*mandator, {"country"});
  }
  if (code.empty()) code = string_member(subject, {"country", "countryCode"});
  return upper(code);
}

// DOME LEAR credentials are about an employee acting for an organisation: the facts belong to
// the organisation (the mandator), named by its id or its did:elsi organisation identifier.
std::string dome_organisation(const json& subject) {
  const json* mandate = object_member(subject, {"mandate"});
  const json* mandator = mandate ? object_member(*mandate, {"mandator"}) : nullptr;
  if (!mandator) return "";
  std::string id = string_member(*mandator, {"id"});
  if (!id.empty()) return id;
  std::string organisation = string_member(*mandator, {"organizationIdentifier"});
  return organisation.empty() ? "" : "did:elsi:" + organisation;
}

Status mismatch(const std::string& message) { return refusal(Refusal::kSubjectMismatch, message); }

}  // namespace

bool operator<(const FactTriple& a, const FactTriple& b) { return tie(a) < tie(b); }
bool operator==(const FactTriple& a, const FactTriple& b) { return tie(a) == tie(b); }

std::string local_type_name(const std::string& type) {
  auto cut = type.find_last_of("#/:");
  return cut == std::string::npos ? type : type.substr(cut + 1);
}

bool identifies(const std::string& id, const std::string& subject, const std::string& domain) {
  if (id.empty()) return false;
  if (id == subject) return true;
  if (domain.empty()) return false;
  // did:web encodes a port's ':' as %3A; a path follows as further ':'-separated segments.
  std::string web_domain = domain;
  for (size_t at = web_domain.find(':'); at != std::string::npos; at = web_domain.find(':')) {
    web_domain.replace(at, 1, "%3A");
  }
  std::string did = "did:web:" + web_domain;
  if (id == did || id.rfind(did + ":", 0) == 0 || id.rfind(did + "#", 0) == 0) return true;
  for (const char* scheme : {"https://", "http://"}) {
    std::string origin = std::string(scheme) + domain;
    if (id == origin || id.rfind(origin + "/", 0) == 0 || id.rfind(origin + "#", 0) == 0) {
      return true;
    }
  }
  return false;
}

Result<CredentialReading> read_facts(const credentials::VerifiedCredential& credential,
                                     const ClaimContext* claim) {
  CredentialReading reading;
  const json& subject = credential.subject;
  reading.subject = credential.subject_id;

  if (has_type(credential, {"LEARCredentialEmployee", "LEARCredential"})) {
    reading.kind = vocab::kLegalIdentityCredential;
    std::string organisation = dome_organisation(subject);
    if (!organisation.empty()) reading.subject = organisation;
  } else if (has_type(credential, {"LegalIdentityCredential", "LegalPerson", "LegalParticipant"})) {
    reading.kind = vocab::kLegalIdentityCredential;
  } else if (has_type(credential,
                      {"ComplianceCredential", "GaiaXComplianceCredential", "compliance"})) {
    reading.kind = vocab::kGaiaXComplianceCredential;
  } else if (has_type(credential, {"CertificationCredential"})) {
    reading.kind = vocab::kCertificationCredential;
  } else if (has_type(credential, {"ServiceLevelCredential"})) {
    reading.kind = vocab::kServiceLevelCredential;
  }

  // A manifest's claim is proven only by a credential about the party or offering that claims
  // it: a certificate of another provider proves nothing here. The facts are then stated about
  // the IRI the manifest uses, which is what the resolver's graph holds.
  if (claim) {
    if (!identifies(reading.subject, claim->subject, claim->provider_domain)) {
      return mismatch("the credential is about '" + reading.subject + "', not about '" +
                      claim->subject + "' whose claim points to it");
    }
    reading.subject = claim->subject;
  }
  if (reading.subject.empty()) {
    return refusal(Refusal::kMalformed, "credentialSubject has no id: whom is it about?")
        .with_detail("field", "credentialSubject.id");
  }
  if (reading.kind.empty()) return reading;  // verified, but no facts this hub knows to draw

  std::set<FactTriple> facts;
  facts.insert(iri_fact(reading.subject, vocab::kVerifiedCredentialType, reading.kind));
  if (reading.kind == vocab::kLegalIdentityCredential) {
    std::string country = legal_country(subject);
    if (!is_country_code(country)) {
      return refusal(Refusal::kMalformed,
                     "a legal identity credential needs the ISO 3166-1 alpha-2 country of the "
                     "legal address (gx:legalAddress.gx:countryCode); found '" +
                         country + "'")
          .with_detail("field", "credentialSubject.gx:legalAddress.gx:countryCode");
    }
    facts.insert({reading.subject, vocab::kVerifiedCountry, country, true, ""});
  } else if (reading.kind == vocab::kCertificationCredential) {
    std::string standard = standard_iri(string_member(subject, {"standard", "mpli:standard"}));
    if (standard == vocab::kMpli) {
      return refusal(Refusal::kMalformed, "a certification credential names its standard")
          .with_detail("field", "credentialSubject.standard");
    }
    if (claim && claim->claim == "certification" && !claim->standard.empty() &&
        standard != claim->standard) {
      return mismatch("the credential certifies <" + standard + ">, the claim says <" +
                      claim->standard + ">");
    }
    facts.insert(iri_fact(reading.subject, vocab::kVerifiedCertification, standard));
    for (const auto& offering : string_list(subject, {"covers", "mpli:covers", "scope"})) {
      facts.insert(iri_fact(offering, vocab::kVerifiedCertification, standard));
    }
  } else if (reading.kind == vocab::kServiceLevelCredential) {
    const json* figure = nullptr;
    for (const char* name : {"availabilityPercent", "mpli:availabilityPercent"}) {
      auto it = subject.find(name);
      if (it != subject.end() && it->is_number()) figure = &*it;
    }
    if (!figure) {
      return refusal(Refusal::kMalformed,
                     "a service level credential states availabilityPercent as a number")
          .with_detail("field", "credentialSubject.availabilityPercent");
    }
    double availability = figure->get<double>();
    if (claim && claim->availability_percent && availability < *claim->availability_percent) {
      return mismatch("the credential attests " + figure->dump() +
                      " % availability, less than the " +
                      std::to_string(*claim->availability_percent) + " % the manifest claims");
    }
    facts.insert({reading.subject, vocab::kVerifiedAvailabilityPercent, figure->dump(), true,
                  vocab::kXsdDecimal});
  }
  reading.facts.assign(facts.begin(), facts.end());
  return reading;
}

}  // namespace mpli::trust
