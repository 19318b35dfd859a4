// What the catalogue knows about a provider and its offerings: plain values extracted from a
// manifest, compared across versions, stored in the index and sent on the bus.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mpli::discovery {

// A value of one of its kind's filterable properties (the catalogue filters on these).
struct OfferingProperty {
  std::string iri;
  std::string name;              // the property's local name
  std::string text;              // the literal as written
  std::optional<double> number;  // numeric properties
};

struct OfferingRecord {
  std::string id;  // the offering's IRI
  std::string provider_id;
  std::string name;
  std::string description;
  std::string kind;          // local name of mpli:offeringKind
  std::string kind_iri;      // mpli:offeringKind
  int64_t kind_version = 0;  // of the kind it was validated against; 0: unclassified
  std::vector<OfferingProperty> properties;  // its kind's filterable properties
  std::vector<std::string> countries;  // of its regions (the provider's when it names none), sorted
  std::vector<std::string> regions;    // region codes, sorted
  int vcpu = 0;
  double memory_gib = 0;
  double storage_gib = 0;
  double price_amount = 0;
  bool has_price = false;
  std::string price_currency;
  std::string price_unit;
  std::optional<double> monthly_price;      // what max_price compares (domain/price.h)
  std::vector<std::string> certifications;  // local names of mpli:standard, sorted
  double availability_percent = 0;
  // sha256 over the offering's own triples (blank-node structure included), the facts it
  // inherits (region, provider certifications) and the kind version it was checked against:
  // equal hash, unchanged offering.
  std::string content_hash;
  std::string ntriples;  // the offering's description, blank nodes labelled per offering
};

// Where the manifest says a credential proves something (mpli:credential): on the provider (its
// legal identity, compliance labels), on a certification claim, or on an offering's service
// level. The trust service fetches and verifies each one and checks it is about `subject`.
struct CredentialPointer {
  std::string url;
  std::string subject;                         // IRI of the provider or the offering
  std::string claim;                           // "party", "certification" or "service_level"
  std::string standard;                        // certification: the mpli:standard IRI
  std::vector<std::string> covers;             // certification: offering IRIs, sorted
  std::optional<double> availability_percent;  // service level: the figure claimed
};

struct ManifestSummary {
  std::string provider_id;  // mpli:providerId
  std::string provider_name;
  std::string provider_country;
  std::string provider_iri;                    // the mpli:Provider node ("" for a blank node)
  std::string provider_domain;                 // mpli:domain ("" when not given)
  std::vector<CredentialPointer> credentials;  // provider first, then claims, then offerings
  std::vector<OfferingRecord> offerings;       // sorted by id
};

}  // namespace mpli::discovery
