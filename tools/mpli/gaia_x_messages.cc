#include "tools/mpli/gaia_x_messages.h"

#include <map>

namespace mpli::cli {
namespace {

constexpr const char* kGx = "https://w3id.org/gaia-x/development#";

// By the local name of the property (the last step of the result's path).
const std::map<std::string, std::string>& messages() {
  static const std::map<std::string, std::string> table = {
      {"registrationNumber",
       "A gx:LegalPerson needs gx:registrationNumber pointing to a node typed "
       "gx:RegistrationNumber and one of its kinds: gx:VatID with gx:vatID, "
       "gx:LocalRegistrationNumber with gx:local, gx:EORI with gx:eori, gx:LeiCode with "
       "schema:leiCode, each with gx:countryCode where the kind has one."},
      {"legalAddress",
       "A gx:LegalPerson needs gx:legalAddress pointing to a node typed gx:Address with a "
       "gx:countryCode (ISO 3166-1, e.g. \"DE\")."},
      {"headquartersAddress",
       "A gx:LegalPerson needs gx:headquartersAddress pointing to a node typed gx:Address with a "
       "gx:countryCode; it may be the same node as gx:legalAddress."},
      {"countryCode",
       "A gx:Address needs gx:countryCode: the ISO 3166-1 alpha-2 code, e.g. \"DE\" (Greece is "
       "\"GR\")."},
      {"serviceOfferingTermsAndConditions",
       "A gx:ServiceOffering needs gx:serviceOfferingTermsAndConditions pointing to a node typed "
       "gx:TermsAndConditions with gx:url (the document, ^^xsd:anyURI) and gx:hash (its "
       "digest, e.g. \"sha256:...\")."},
      {"url",
       "gx:TermsAndConditions needs gx:url: where the document is, written as "
       "\"https://...\"^^xsd:anyURI."},
      {"hash",
       "gx:TermsAndConditions needs gx:hash: the document's digest as a string, e.g. "
       "\"sha256:7f1d...\"."},
      {"providedBy",
       "A gx:ServiceOffering needs gx:providedBy pointing to the provider's gx:LegalPerson (the "
       "node mpli:legalPerson points to)."},
      {"dataProtectionRegime",
       "gx:dataProtectionRegime takes a value of the Gaia-X list, e.g. \"GDPR2016\"."},
      {"vatID", "A gx:VatID needs gx:vatID: the VAT number as a string, e.g. \"DE123456789\"."},
      {"local", "A gx:LocalRegistrationNumber needs gx:local: the number as a string."},
  };
  return table;
}

// "<https://w3id.org/gaia-x/development#legalAddress>" or "(<a>/<...#countryCode>)" ->
// "countryCode" when the last IRI is in the Gaia-X namespace, else "".
std::string gaia_x_property(const std::string& path) {
  size_t open = path.rfind('<');
  size_t close = path.find('>', open == std::string::npos ? 0 : open);
  if (open == std::string::npos || close == std::string::npos) return "";
  std::string iri = path.substr(open + 1, close - open - 1);
  std::string ns = kGx;
  return iri.rfind(ns, 0) == 0 ? iri.substr(ns.size()) : "";
}

}  // namespace

std::string gaia_x_message(const Violation& violation) {
  auto it = messages().find(gaia_x_property(violation.path));
  return it == messages().end() ? "" : it->second;
}

}  // namespace mpli::cli
