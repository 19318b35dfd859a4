#include "services/discovery/domain/manifest_reader.h"

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <map>
#include <set>

#include "libs/core/digest.h"
#include "services/discovery/domain/price.h"
#include "services/discovery/domain/provider_id.h"

namespace mpli::discovery {
namespace {

using rdf::Graph;
using rdf::kNoTerm;
using rdf::TermId;

// Offering IRIs are catalogue ids: they travel in URLs (GET /v1/offerings/{IRI}) and in
// pagination cursors, which must stay short enough for a request line.
constexpr size_t kMaxOfferingIriLength = 2048;

std::string local_name(std::string_view iri) {
  auto cut = iri.find_last_of("#/");
  return std::string(cut == std::string_view::npos ? iri : iri.substr(cut + 1));
}

class Reader {
 public:
  explicit Reader(const Graph& graph) : graph_(graph), terms_(graph.terms()) {}

  TermId term(const std::string& mpli_local) const {
    return terms_.find_iri(std::string(kMpli) + mpli_local);
  }
  TermId iri(std::string_view full) const { return terms_.find_iri(full); }

  TermId object(TermId subject, TermId predicate) const {
    if (subject == kNoTerm || predicate == kNoTerm) return kNoTerm;
    return graph_.object(subject, predicate);
  }
  std::vector<TermId> objects(TermId subject, TermId predicate) const {
    std::vector<TermId> out;
    if (subject == kNoTerm || predicate == kNoTerm) return out;
    for (const auto& t : graph_.with_subject_predicate(subject, predicate)) out.push_back(t.o);
    return out;
  }
  std::vector<TermId> instances(TermId klass) const {
    std::vector<TermId> out;
    TermId type = terms_.well_known().rdf_type;
    if (klass == kNoTerm) return out;
    for (const auto& t : graph_.with_predicate_object(type, klass)) out.push_back(t.s);
    return out;
  }
  std::string text(TermId id) const { return id == kNoTerm ? "" : std::string(terms_.value(id)); }
  double number(TermId id) const {
    if (id == kNoTerm || !terms_.is_literal(id)) return 0;
    return std::strtod(std::string(terms_.value(id)).c_str(), nullptr);
  }

  // A canonical text for `node` and everything reachable through blank nodes, independent of
  // blank node labels and interning order: equal text, equal description.
  std::string canonical(TermId node, int depth = 0) const {
    if (!terms_.is_blank(node)) return terms_.to_ntriples(node);
    if (depth > 16) return "[...]";
    std::vector<std::string> entries;
    for (const auto& t : graph_.with_subject(node)) {
      entries.push_back(terms_.to_ntriples(t.p) + " " + canonical(t.o, depth + 1));
    }
    std::sort(entries.begin(), entries.end());
    std::string out = "[";
    for (const auto& e : entries) out += e + ";";
    return out + "]";
  }

  // N-Triples of `node`'s description (its triples, and blank nodes under it), blank nodes
  // relabelled `_:<prefix><n>` in canonical order so output is stable between parses.
  void describe(TermId node, const std::string& prefix, std::map<TermId, std::string>* labels,
                std::vector<std::string>* lines) const {
    std::vector<std::pair<std::string, rdf::Triple>> ordered;
    for (const auto& t : graph_.with_subject(node)) {
      ordered.push_back({terms_.to_ntriples(t.p) + " " + canonical(t.o), t});
    }
    std::sort(ordered.begin(), ordered.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [key, t] : ordered) {
      std::string object;
      if (terms_.is_blank(t.o)) {
        auto [it, fresh] = labels->emplace(t.o, "_:" + prefix + std::to_string(labels->size()));
        object = it->second;
        if (fresh) describe(t.o, prefix, labels, lines);
      } else {
        object = terms_.to_ntriples(t.o);
      }
      lines->push_back(label(node, *labels) + " " + terms_.to_ntriples(t.p) + " " + object + " .");
    }
  }

 private:
  std::string label(TermId node, const std::map<TermId, std::string>& labels) const {
    auto it = labels.find(node);
    return it != labels.end() ? it->second : terms_.to_ntriples(node);
  }

  const Graph& graph_;
  const rdf::TermTable& terms_;
};

}  // namespace

Result<ManifestSummary> read_manifest(const rdf::Graph& graph) {
  Reader r(graph);
  ManifestSummary summary;
  auto providers = r.instances(r.term("Provider"));
  if (providers.size() != 1) {
    return Status(
        StatusCode::kInvalidArgument,
        "a manifest describes exactly one mpli:Provider; found " + std::to_string(providers.size()),
        {{"constraint", "exactly one mpli:Provider"}});
  }
  TermId provider = providers.front();
  summary.provider_id = r.text(r.object(provider, r.term("providerId")));
  if (!valid_provider_id(summary.provider_id)) {
    return Status(StatusCode::kInvalidArgument,
                  "mpli:providerId '" + summary.provider_id +
                      "' must be 1 to 63 characters of a-z, 0-9 and '-', starting and ending "
                      "with a letter or digit (it becomes part of bus subjects)",
                  {{"field", "mpli:providerId"}, {"value", summary.provider_id}});
  }
  TermId legal_person = r.object(provider, r.term("legalPerson"));
  summary.provider_name = r.text(r.object(legal_person, r.iri("https://schema.org/name")));
  TermId address =
      r.object(legal_person, r.iri("https://w3id.org/gaia-x/development#legalAddress"));
  summary.provider_country =
      r.text(r.object(address, r.iri("https://w3id.org/gaia-x/development#countryCode")));

  if (graph.terms().is_iri(provider)) summary.provider_iri = r.text(provider);
  summary.provider_domain = r.text(r.object(provider, r.term("domain")));
  TermId credential = r.term("credential");
  for (TermId url : r.objects(provider, credential)) {
    summary.credentials.push_back({r.text(url), summary.provider_iri, "party", "", {}, {}});
  }

  // Certification claims: a claim with mpli:covers applies to the offerings it names; one
  // without applies to every offering of the provider.
  std::map<TermId, std::set<std::string>> certifications_of;
  std::set<std::string> provider_wide;
  for (TermId claim : r.objects(provider, r.term("certification"))) {
    std::string standard_iri = r.text(r.object(claim, r.term("standard")));
    std::string standard = local_name(standard_iri);
    if (standard.empty()) continue;
    auto covered = r.objects(claim, r.term("covers"));
    if (covered.empty()) provider_wide.insert(standard);
    for (TermId offering : covered) certifications_of[offering].insert(standard);
    std::vector<std::string> covers;
    for (TermId offering : covered) covers.push_back(r.text(offering));
    std::sort(covers.begin(), covers.end());
    for (TermId url : r.objects(claim, credential)) {
      summary.credentials.push_back(
          {r.text(url), summary.provider_iri, "certification", standard_iri, covers, {}});
    }
  }

  TermId schema_name = r.iri("https://schema.org/name");
  TermId schema_description = r.iri("https://schema.org/description");
  for (TermId node : r.instances(r.term("Offering"))) {
    if (!graph.terms().is_iri(node)) {
      return Status(
          StatusCode::kInvalidArgument,
          "every mpli:Offering needs an IRI (it is the offering's id); found a blank node",
          {{"constraint", "mpli:Offering is an IRI"}});
    }
    OfferingRecord o;
    o.id = r.text(node);
    if (o.id.size() > kMaxOfferingIriLength) {
      return Status(StatusCode::kInvalidArgument,
                    "an mpli:Offering IRI has " + std::to_string(o.id.size()) +
                        " bytes; offering IRIs are at most " +
                        std::to_string(kMaxOfferingIriLength) + " bytes",
                    {{"constraint", "mpli:Offering IRI length"}});
    }
    o.provider_id = summary.provider_id;
    TermId service_offering = r.object(node, r.term("serviceOffering"));
    o.name = r.text(r.object(service_offering, schema_name));
    if (o.name.empty()) o.name = r.text(r.object(node, schema_name));
    o.description = r.text(r.object(service_offering, schema_description));
    o.kind = local_name(r.text(r.object(node, r.term("offeringKind"))));
    o.vcpu = static_cast<int>(r.number(r.object(node, r.term("vcpu"))));
    o.memory_gib = r.number(r.object(node, r.term("memoryGiB")));
    o.storage_gib = r.number(r.object(node, r.term("storageGiB")));
    // An offering may be sold in several regions (and so countries): a filter on any of them
    // must find it.
    std::vector<TermId> regions = r.objects(node, r.term("region"));
    std::set<std::string> region_codes;
    std::set<std::string> countries;
    for (TermId region : regions) {
      std::string code = r.text(r.object(region, r.term("regionCode")));
      std::string country = r.text(r.object(region, r.term("country")));
      if (!code.empty()) region_codes.insert(code);
      if (!country.empty()) countries.insert(country);
    }
    if (countries.empty() && !summary.provider_country.empty())
      countries.insert(summary.provider_country);
    o.regions.assign(region_codes.begin(), region_codes.end());
    o.countries.assign(countries.begin(), countries.end());
    TermId price = r.object(node, r.term("price"));
    TermId amount = r.object(price, r.iri("https://schema.org/price"));
    o.has_price = amount != kNoTerm;
    o.price_amount = r.number(amount);
    o.price_currency = r.text(r.object(price, r.iri("https://schema.org/priceCurrency")));
    o.price_unit = r.text(r.object(price, r.iri("https://schema.org/unitCode")));
    if (o.has_price) o.monthly_price = monthly_price(o.price_amount, o.price_unit);
    TermId sla = r.object(node, r.term("serviceLevel"));
    o.availability_percent = r.number(r.object(sla, r.term("availabilityPercent")));
    for (TermId url : r.objects(sla, credential)) {
      summary.credentials.push_back(
          {r.text(url), o.id, "service_level", "", {}, o.availability_percent});
    }
    std::set<std::string> certifications = provider_wide;
    certifications.insert(certifications_of[node].begin(), certifications_of[node].end());
    o.certifications.assign(certifications.begin(), certifications.end());

    std::vector<std::string> lines;
    std::map<TermId, std::string> labels;
    std::string prefix = "o" + digest::sha256_hex(o.id).substr(0, 10) + "b";
    r.describe(node, prefix, &labels, &lines);
    std::vector<TermId> linked = regions;
    linked.push_back(service_offering);
    for (TermId node_linked : linked) {
      if (node_linked != kNoTerm && !graph.terms().is_blank(node_linked)) {
        r.describe(node_linked, prefix, &labels, &lines);
      }
    }
    for (const auto& line : lines) o.ntriples += line + "\n";
    std::string fingerprint = o.ntriples;
    for (const auto& list : {o.countries, o.regions, o.certifications}) {
      for (const auto& item : list) fingerprint += "|" + item;
      fingerprint += "#";
    }
    o.content_hash = digest::sha256_hex(fingerprint);
    summary.offerings.push_back(std::move(o));
  }
  std::sort(summary.offerings.begin(), summary.offerings.end(),
            [](const OfferingRecord& a, const OfferingRecord& b) { return a.id < b.id; });
  return summary;
}

}  // namespace mpli::discovery
