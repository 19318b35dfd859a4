// Service kinds as data (docs/service-kinds.md): a kind vocabulary is an RDF document naming one
// mpli:OfferingKind, its version and the SHACL shape every offering of the kind satisfies; the
// shape's property shapes are the kind's properties. This reads and checks such a document and
// decides what registering it means next to the kinds already known (a new kind, a new
// version, a compatible update, or a refused breaking change). Pure: no I/O.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "libs/core/status.h"

namespace mpli::discovery {

// One property of a kind: a property shape of the kind's shape whose path is one predicate.
struct KindProperty {
  std::string iri;
  std::string name;         // the IRI's local name: the catalogue filter's name
  std::string label;        // sh:name ("" when none)
  std::string datatype;     // sh:datatype IRI ("" when none)
  std::string unit;         // mpli:unit ("" when none)
  bool required = false;    // sh:minCount >= 1
  bool filterable = false;  // mpli:filterable true
  std::optional<uint64_t> max_count;
  std::optional<double> min_inclusive;
  std::optional<double> max_inclusive;
  std::optional<double> min_exclusive;
  std::optional<double> max_exclusive;
  std::optional<std::vector<std::string>> allowed;  // sh:in members in N-Triples, sorted
  std::string pattern;                              // sh:pattern ("" when none)
  bool numeric() const;  // xsd:integer, xsd:decimal, xsd:double and their kin
};

struct ServiceKind {
  std::string iri;   // the mpli:OfferingKind node
  std::string name;  // its local name: OfferingFilter.kind
  std::string label;
  std::string description;
  int64_t version = 0;  // mpli:kindVersion, 1 or more
  std::string shape_iri;
  std::vector<KindProperty> properties;  // in the order the shape lists them
  // Every IRI the document describes (its subjects): two kinds may not describe the same one.
  std::vector<std::string> defined_iris;  // sorted
  std::string turtle;                     // the document as given
  std::string hash;                       // sha256 of `turtle`
  // Where the hub has it from: "built-in (ontology/kinds/x.ttl)" or "registered".
  std::string provenance;
  std::string registered_by;  // who registered it ("" for a built-in kind)
  std::string registered_at;  // RFC 3339 ("" for a built-in kind)

  const KindProperty* property_named(std::string_view name) const;
};

// Reads a kind vocabulary. Refused with kInvalidArgument: Turtle that does not parse (line and
// column in the details, reason KIND_SYNTAX), or a document that breaks the rules (reason
// KIND_INVALID; each problem a violation with the line of the node it is about): not exactly
// one mpli:OfferingKind node, no label, a version that is not one positive integer, no
// mpli:kindShape naming a sh:NodeShape of the document, shapes that do not compile, a shape
// with a target (the hub targets kind shapes by kind), a filterable property without a
// datatype it can index.
Result<ServiceKind> read_service_kind(std::string_view turtle, const std::string& source);

// The kind vocabularies compiled into the hub (ontology/kinds/*.ttl): (file name, text).
const std::vector<std::pair<std::string, std::string>>& builtin_kind_vocabularies();
// Those vocabularies read, provenance "built-in (ontology/kinds/<file>)"; an error names the
// file (a broken built-in kind is a build defect).
Result<std::vector<ServiceKind>> builtin_kinds();

// The kinds in force: for each kind IRI, its highest version among the built-in and the
// registered ones (a registered text of the same version is an update of the built-in one, and
// a later registration of a version replaces an earlier one). Sorted by name, then IRI.
std::vector<ServiceKind> current_kinds(const std::vector<ServiceKind>& builtin,
                                       const std::vector<ServiceKind>& registered_in_order);

// What makes `proposed` a breaking change for offerings valid under `registered` (the same
// kind): a new required property, a changed datatype, a narrowed range, fewer allowed values, a
// lower sh:maxCount, a new or changed sh:pattern. One sentence per change; empty when none.
std::vector<std::string> breaking_changes(const ServiceKind& registered,
                                          const ServiceKind& proposed);

enum class KindRegistration { kCreated, kNewVersion, kUpdated, kUnchanged };
std::string_view registration_name(KindRegistration outcome);  // "created", "new_version", ...

// What registering `proposed` does, given the current version of every known kind (by IRI):
// a kind never seen is created; a higher version is a new version; the same version is
// unchanged (same text), or an update when nothing in it breaks offerings validated against
// the registered text. Refused with kConflict (reason KIND_CONFLICT) naming the change: a
// breaking change under the same version, a version older than the registered one, or an IRI
// the document describes that another kind's vocabulary describes already.
Result<KindRegistration> plan_kind_registration(
    const std::map<std::string, ServiceKind>& current_by_iri, const ServiceKind& proposed);

}  // namespace mpli::discovery
