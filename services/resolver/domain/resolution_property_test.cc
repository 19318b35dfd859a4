// Property test: resolve() against a brute-force reference on random small catalogues and
// consumer manifests (fixed seeds). The reference shares nothing with the resolver but the
// SHACL engine and the documented rules: it builds one graph with every provider's triples and
// the verified facts, validates each requirement shape on each offering, validates the
// providers' prerequisites against a graph of the consumer's verified facts only, applies the
// currency and price rules (hourly x 730, quantity x unit price), places each offering in each
// of its regions (no region: the provider's legal country, region code ""), enumerates every
// combination and keeps those meeting the cross constraints, then ranks by the score of
// composer.h.
#include <google/protobuf/text_format.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "libs/rdf/parser.h"
#include "libs/rdf/serializer.h"
#include "libs/shacl/shapes.h"
#include "libs/shacl/validator.h"
#include "services/resolver/domain/column_checks.h"
#include "services/resolver/domain/resolution.h"

namespace mpli::resolver {
namespace {

const std::string kM = "https://w3id.org/mpli#";
const std::string kPrefixes =
    "@prefix mpli:   <https://w3id.org/mpli#> .\n"
    "@prefix gx:     <https://w3id.org/gaia-x/development#> .\n"
    "@prefix rdfs:   <http://www.w3.org/2000/01/rdf-schema#> .\n"
    "@prefix schema: <https://schema.org/> .\n"
    "@prefix sh:     <http://www.w3.org/ns/shacl#> .\n";
const std::vector<std::string> kAllKinds = {"VirtualMachine", "ManagedPostgreSQL", "ObjectStorage"};
const std::vector<std::string> kCountries = {"DE", "NL", "FR"};
const std::vector<std::string> kStandards = {"ISO27001", "BSIC5"};

std::string read_source(const std::string& relative) {
  std::ifstream in(std::string(MPLI_SOURCE_DIR) + "/" + relative, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

class Random {
 public:
  explicit Random(uint32_t seed) : engine_(seed) {}
  int between(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(engine_); }
  bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(engine_) < p; }
  template <typename T>
  const T& pick(const std::vector<T>& v) {
    return v[static_cast<size_t>(between(0, static_cast<int>(v.size()) - 1))];
  }
  template <typename T>
  std::vector<T> subset(const std::vector<T>& v, bool non_empty) {
    std::vector<T> out;
    for (const T& x : v) {
      if (chance(0.5)) out.push_back(x);
    }
    if (non_empty && out.empty()) out.push_back(pick(v));
    return out;
  }
  // A decimal with `places` digits after the point, between lo and hi units of 10^-places.
  std::string decimal(int lo, int hi, int places) {
    int n = between(lo, hi);
    std::string digits = std::to_string(n);
    while (static_cast<int>(digits.size()) <= places) digits = "0" + digits;
    return digits.substr(0, digits.size() - static_cast<size_t>(places)) + "." +
           digits.substr(digits.size() - static_cast<size_t>(places));
  }

 private:
  std::mt19937 engine_;
};

// ---- The generated catalogue --------------------------------------------------------------

struct GenRegion {
  std::string node, code, country, latitude, longitude;  // latitude "" when not stated
};

struct GenOffering {
  std::string iri;
  int provider = 0;
  std::string kind;
  std::vector<int> regions;  // indexes into the provider's regions
  bool priced = true;
  std::string amount, currency, unit;
  int vcpu = -1, memory = -1;
  std::string prerequisite;  // "" or the offering-level prerequisite shape IRI
};

struct GenProvider {
  std::string id, iri, country;
  std::vector<GenRegion> regions;
  std::vector<std::string> claims, verified;
  std::string prerequisite;  // "" or the provider-level prerequisite shape IRI
  std::string prerequisite_turtle, offering_prerequisite_turtle;
  std::vector<int> offerings;
};

struct Catalogue {
  std::vector<GenProvider> providers;
  std::vector<GenOffering> offerings;
  std::vector<std::string> kinds;
};

std::string country_list(const std::vector<std::string>& countries) {
  std::string out = "(";
  for (const auto& c : countries) out += " \"" + c + "\"";
  return out + " )";
}

Catalogue generate_catalogue(Random& rnd) {
  Catalogue cat;
  cat.kinds = kAllKinds;
  if (rnd.chance(0.5)) cat.kinds.erase(cat.kinds.begin() + rnd.between(0, 2));
  int providers = rnd.between(2, 4);
  for (int p = 0; p < providers; ++p) {
    GenProvider gp;
    gp.id = "p" + std::to_string(p);
    std::string base = "https://" + gp.id + ".example/#";
    gp.iri = base + "provider";
    gp.country = rnd.pick(kCountries);
    int regions = rnd.between(1, 3);
    for (int r = 0; r < regions; ++r) {
      GenRegion region;
      region.node = base + "region" + std::to_string(r);
      region.country = rnd.pick(kCountries);
      region.code = gp.id + "-" + region.country + "-" + std::to_string(r);
      if (rnd.chance(0.8)) {
        region.latitude = rnd.decimal(4500, 6000, 2);
        region.longitude = rnd.decimal(0, 2000, 2);
      }
      gp.regions.push_back(region);
    }
    gp.claims = rnd.subset(kStandards, false);
    gp.verified = rnd.subset(kStandards, false);
    if (rnd.chance(0.5)) {
      gp.prerequisite = base + "prerequisite";
      int which = rnd.between(0, 2);
      std::string property;
      if (which == 0) {
        property = "sh:path mpli:verifiedCountry ; sh:minCount 1 ; sh:in " +
                   country_list(rnd.subset(kCountries, true));
      } else if (which == 1) {
        property = "sh:path mpli:verifiedCountry ; sh:hasValue \"" + rnd.pick(kCountries) + "\"";
      } else {
        property = "sh:path mpli:verifiedCredentialType ; sh:hasValue mpli:LegalIdentityCredential";
      }
      gp.prerequisite_turtle =
          "<" + gp.prerequisite + "> a sh:NodeShape ; sh:property [ " + property + " ] .\n";
    }
    int offerings = rnd.between(1, 4);
    for (int o = 0; o < offerings; ++o) {
      GenOffering go;
      go.iri = base + "o" + std::to_string(o);
      go.provider = p;
      go.kind = rnd.pick(cat.kinds);
      if (!rnd.chance(0.15)) {
        for (int r : {0, 1, 2}) {
          if (r < regions && rnd.chance(0.5)) go.regions.push_back(r);
        }
        if (go.regions.empty()) go.regions.push_back(rnd.between(0, regions - 1));
        if (go.regions.size() > 2) go.regions.resize(2);
      }
      go.priced = !rnd.chance(0.05);
      go.unit = rnd.chance(0.3) ? "HUR" : "MON";
      go.amount = go.unit == "HUR" ? rnd.decimal(100, 3000, 4) : rnd.decimal(100, 30000, 2);
      // Equal prices now and then, so that ties fall to the tie keys.
      if (go.unit == "MON" && rnd.chance(0.5)) {
        go.amount = rnd.pick(std::vector<std::string>{"10.00", "20.00", "40.00"});
      }
      go.currency = rnd.chance(0.1) ? "USD" : "EUR";
      if (rnd.chance(0.8)) go.vcpu = rnd.pick(std::vector<int>{1, 2, 4, 8});
      if (rnd.chance(0.8)) go.memory = rnd.pick(std::vector<int>{2, 4, 8, 16});
      if (rnd.chance(0.15)) {
        go.prerequisite = go.iri + "-prerequisite";
        gp.offering_prerequisite_turtle +=
            "<" + go.prerequisite +
            "> a sh:NodeShape ; sh:property [ sh:path mpli:verifiedCredentialType ; "
            "sh:hasValue mpli:GaiaXComplianceCredential ] .\n";
      }
      gp.offerings.push_back(static_cast<int>(cat.offerings.size()));
      cat.offerings.push_back(go);
    }
    cat.providers.push_back(gp);
  }
  return cat;
}

std::string provider_turtle(const Catalogue& cat, const GenProvider& gp) {
  std::string base = "https://" + gp.id + ".example/#";
  std::string t = kPrefixes;
  t += "<" + gp.iri + "> a mpli:Provider ; mpli:providerId \"" + gp.id + "\" ; mpli:legalPerson <" +
       base + "lp>";
  for (const auto& s : gp.claims) t += " ; mpli:certification [ mpli:standard mpli:" + s + " ]";
  if (!gp.prerequisite.empty()) t += " ; mpli:consumerPrerequisite <" + gp.prerequisite + ">";
  t += " .\n<" + base + "lp> gx:legalAddress <" + base + "address> .\n";
  t += "<" + base + "address> gx:countryCode \"" + gp.country + "\" .\n";
  t += gp.prerequisite_turtle + gp.offering_prerequisite_turtle;
  for (const GenRegion& r : gp.regions) {
    t += "<" + r.node + "> mpli:regionCode \"" + r.code + "\" ; mpli:country \"" + r.country + "\"";
    if (!r.latitude.empty()) {
      t += " ; schema:latitude " + r.latitude + " ; schema:longitude " + r.longitude;
    }
    t += " .\n";
  }
  for (int index : gp.offerings) {
    const GenOffering& o = cat.offerings[static_cast<size_t>(index)];
    t += "<" + o.iri + "> a mpli:Offering ; mpli:provider <" + gp.iri +
         "> ; mpli:offeringKind mpli:" + o.kind;
    for (int r : o.regions) t += " ; mpli:region <" + gp.regions[static_cast<size_t>(r)].node + ">";
    if (o.vcpu >= 0) t += " ; mpli:vcpu " + std::to_string(o.vcpu);
    if (o.memory >= 0) t += " ; mpli:memoryGiB " + std::to_string(o.memory);
    if (o.priced) {
      t += " ; mpli:price [ schema:price " + o.amount + " ; schema:priceCurrency \"" + o.currency +
           "\" ; schema:unitCode \"" + o.unit + "\" ]";
    }
    if (!o.prerequisite.empty()) t += " ; mpli:consumerPrerequisite <" + o.prerequisite + ">";
    t += " .\n";
  }
  return t;
}

Fact fact(const std::string& subject, const std::string& predicate, const std::string& object,
          bool literal) {
  return Fact{subject, kM + predicate, object, literal, "", "urn:test:credential", "did:test:i"};
}

// ---- The generated consumer manifest ------------------------------------------------------

struct GenConstraint {
  CrossConstraint::Kind kind;
  std::vector<int> applies_to;  // empty = all
  int max_providers = 0;
  std::string max_price, currency;
};

struct GenManifest {
  std::vector<int> quantities;
  std::vector<GenConstraint> constraints;
  double w_cheapest = 0, w_closest = 0, w_providers = 0;
  bool near = false;
  std::string near_lat, near_lon;
  std::set<std::string> preferred;
  std::string currency = "EUR";
  std::string text;
  std::vector<Fact> consumer_facts;
};

const std::string kC = "https://c.example/#";

GenManifest generate_manifest(Random& rnd, const Catalogue& cat) {
  GenManifest m;
  int requirements = rnd.between(1, 3);
  std::string body;
  std::string head = "<" + kC + "m> a mpli:ConsumerManifest ; mpli:consumer <" + kC + "consumer>";
  for (int r = 0; r < requirements; ++r) {
    std::string req = kC + "r" + std::to_string(r), shape = kC + "s" + std::to_string(r);
    head += " ; mpli:requirement <" + req + ">";
    int quantity = rnd.between(1, 3);
    m.quantities.push_back(quantity);
    body += "<" + req + "> a mpli:Requirement ; rdfs:label \"R" + std::to_string(r) +
            "\" ; mpli:quantity " + std::to_string(quantity) + " ; mpli:requirementShape <" +
            shape + "> .\n";
    std::vector<std::string> properties;
    if (rnd.chance(0.85)) {
      properties.push_back("sh:path mpli:offeringKind ; sh:hasValue mpli:" + rnd.pick(cat.kinds));
    }
    if (rnd.chance(0.4)) {
      properties.push_back(std::string("sh:path mpli:vcpu ; ") +
                           (rnd.chance(0.5) ? "sh:minCount 1 ; " : "") + "sh:minInclusive " +
                           std::to_string(rnd.pick(std::vector<int>{2, 4})));
    }
    if (rnd.chance(0.2)) properties.push_back("sh:path mpli:memoryGiB ; sh:maxInclusive 8");
    if (rnd.chance(0.3)) {
      properties.push_back(std::string("sh:path ( mpli:region mpli:country ) ; ") +
                           (rnd.chance(0.5) ? "sh:minCount 1 ; " : "") + "sh:in " +
                           country_list(rnd.subset(kCountries, true)));
    }
    if (rnd.chance(0.3)) {
      properties.push_back(
          "sh:path ( mpli:provider mpli:verifiedCertification ) ; sh:hasValue mpli:" +
          rnd.pick(kStandards));
    }
    body += "<" + shape + "> a sh:NodeShape";
    for (size_t i = 0; i < properties.size(); ++i) {
      body += (i == 0 ? " ; sh:property [ " : " , [ ") + properties[i] + " ]";
    }
    body += " .\n";
  }
  auto applies_to = [&]() {
    std::vector<int> out;
    if (rnd.chance(0.5)) return out;
    for (int r = 0; r < requirements; ++r) {
      if (rnd.chance(0.6)) out.push_back(r);
    }
    if (out.empty()) out.push_back(rnd.between(0, requirements - 1));
    return out;
  };
  int c = 0;
  auto add_constraint = [&](GenConstraint gc, const std::string& type, const std::string& extra) {
    std::string node = kC + "c" + std::to_string(c++);
    head += " ; mpli:constraint <" + node + ">";
    body += "<" + node + "> a mpli:" + type + extra;
    for (int r : gc.applies_to) body += " ; mpli:appliesTo <" + kC + "r" + std::to_string(r) + ">";
    body += " .\n";
    m.constraints.push_back(gc);
  };
  if (rnd.chance(0.35)) {
    add_constraint({CrossConstraint::Kind::kSameCountry, applies_to(), 0, "", ""}, "SameCountry",
                   "");
  }
  if (rnd.chance(0.2)) {
    add_constraint({CrossConstraint::Kind::kSameProvider, applies_to(), 0, "", ""}, "SameProvider",
                   "");
  }
  if (rnd.chance(0.25)) {
    int max = rnd.between(1, 2);
    add_constraint({CrossConstraint::Kind::kMaxProviders, applies_to(), max, "", ""},
                   "MaxProviders", " ; mpli:maxProviders " + std::to_string(max));
  }
  if (rnd.chance(0.35)) {
    std::string price = rnd.decimal(2000, 200000, 2);
    std::string currency = rnd.chance(0.1) ? "USD" : "EUR";
    m.currency = currency;
    add_constraint({CrossConstraint::Kind::kMonthlyBudget, applies_to(), 0, price, currency},
                   "MonthlyBudget",
                   " ; schema:maxPrice " + price + " ; schema:priceCurrency \"" + currency + "\"");
  }
  int f = 0;
  auto weight = [&](double* sum) {
    std::string node = kC + "f" + std::to_string(f++);
    head += " ; mpli:preference <" + node + ">";
    if (rnd.chance(0.3)) {
      *sum += 1.0;
      return "<" + node + ">";
    }
    std::string w = rnd.decimal(1, 10, 1);
    *sum += std::strtod(w.c_str(), nullptr);
    return "<" + node + "> mpli:weight " + w + " ; ";
  };
  if (rnd.chance(0.5)) body += weight(&m.w_cheapest) + " a mpli:PreferCheapest .\n";
  if (rnd.chance(0.4)) {
    m.near = true;
    m.near_lat = rnd.decimal(4500, 6000, 2);
    m.near_lon = rnd.decimal(0, 2000, 2);
    body += weight(&m.w_closest) + " a mpli:PreferClosestRegion ; mpli:near [ schema:latitude " +
            m.near_lat + " ; schema:longitude " + m.near_lon + " ] .\n";
  }
  if (rnd.chance(0.3)) {
    std::string line = weight(&m.w_providers) + " a mpli:PreferProviders";
    for (const auto& p : rnd.subset(cat.providers, true)) {
      m.preferred.insert(p.iri);
      line += " ; mpli:preferredProvider <" + p.iri + ">";
    }
    body += line + " .\n";
  }
  head += " .\n<" + kC + "consumer> a mpli:Consumer ; mpli:legalPerson <" + kC + "lp> .\n<" + kC +
          "lp> a gx:LegalPerson ; schema:name \"Consumer\" ; gx:legalAddress <" + kC +
          "address> .\n<" + kC + "address> gx:countryCode \"" + rnd.pick(kCountries) + "\" .\n";
  m.text = kPrefixes + head + body;

  std::string consumer = kC + "consumer";
  if (rnd.chance(0.9)) {
    m.consumer_facts.push_back(
        fact(consumer, "verifiedCredentialType", kM + "LegalIdentityCredential", false));
  }
  if (rnd.chance(0.5)) {
    m.consumer_facts.push_back(
        fact(consumer, "verifiedCredentialType", kM + "GaiaXComplianceCredential", false));
  }
  if (rnd.chance(0.8)) {
    m.consumer_facts.push_back(fact(consumer, "verifiedCountry", rnd.pick(kCountries), true));
  }
  return m;
}

// ---- The reference ------------------------------------------------------------------------

struct RefPlacement {
  std::string offering, region, country, provider;
  double cost = 0;
  double closeness = 0;  // distance_value, 0 when unknown
  bool preferred = false;
  std::string tie_key;
};

struct RefAnswer {
  std::vector<const RefPlacement*> choice;
  double price = 0, score = 0;
  std::vector<std::pair<std::string, std::string>> key() const {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto* p : choice) out.emplace_back(p->offering, p->region);
    return out;
  }
};

struct Reference {
  std::vector<int> conforming, accepted;  // per requirement
  std::vector<std::vector<RefPlacement>> placements;
  std::vector<RefAnswer> answers;  // sorted by the documented order
};

TermId term_of(const rdf::TermTable& terms, const std::string& iri) { return terms.find_iri(iri); }

Reference reference(const CatalogueIndex& index, const ConsumerManifest& manifest,
                    const Catalogue& cat, const GenManifest& gm,
                    const std::vector<std::string>& ntriples,
                    const std::map<std::string, std::vector<Fact>>& facts) {
  Reference ref;
  const rdf::TermTablePtr& terms = index.terms();
  // One graph: every provider's triples and every verified fact.
  rdf::Graph all(terms);
  rdf::ParseOptions options;
  options.syntax = rdf::Syntax::kNTriples;
  for (const std::string& text : ntriples)
    REQUIRE(rdf::parse_string(text, "ref", all, options).is_ok());
  auto add_facts = [&](rdf::Graph& graph, const std::vector<Fact>& list) {
    for (const Fact& x : list) {
      graph.add(terms->iri(x.subject), terms->iri(x.predicate),
                x.object_is_literal ? terms->literal(x.object) : terms->iri(x.object));
    }
  };
  for (const auto& [subject, list] : facts) add_facts(all, list);
  all.index();
  // The consumer as providers see it: its verified facts only.
  rdf::Graph consumer(terms);
  add_facts(consumer, gm.consumer_facts);
  consumer.index();

  auto requirement_shapes = shacl::compile_shapes(manifest.graph);
  REQUIRE(requirement_shapes.is_ok());
  auto prerequisite_shapes = shacl::compile_shapes(all);
  REQUIRE(prerequisite_shapes.is_ok());
  auto shape_index = [](const shacl::ShapesProgram& program, TermId node) {
    for (uint32_t i = 0; i < program.shapes.size(); ++i) {
      if (program.shapes[i].node == node && !program.shapes[i].is_property) return i;
    }
    FAIL("no shape");
    return 0u;
  };
  shacl::Validator requirement_validator(*requirement_shapes, all);
  shacl::Validator prerequisite_validator(*prerequisite_shapes, consumer);
  TermId consumer_node = terms->iri(kC + "consumer");
  auto accepts = [&](const std::string& prerequisite) {
    if (prerequisite.empty()) return true;
    std::vector<shacl::ValidationResult> results;
    return prerequisite_validator.validate_node(
        shape_index(*prerequisite_shapes, term_of(*terms, prerequisite)), consumer_node, &results);
  };

  size_t requirements = gm.quantities.size();
  ref.conforming.assign(requirements, 0);
  ref.accepted.assign(requirements, 0);
  ref.placements.resize(requirements);
  for (size_t r = 0; r < requirements; ++r) {
    uint32_t shape =
        shape_index(*requirement_shapes, term_of(*terms, kC + "s" + std::to_string(r)));
    for (const GenOffering& o : cat.offerings) {
      std::vector<shacl::ValidationResult> results;
      if (!requirement_validator.validate_node(shape, term_of(*terms, o.iri), &results)) continue;
      ++ref.conforming[r];
      const GenProvider& p = cat.providers[static_cast<size_t>(o.provider)];
      if (!accepts(p.prerequisite) || !accepts(o.prerequisite)) continue;
      if (!o.priced || o.currency != gm.currency) continue;
      ++ref.accepted[r];
      double unit = std::strtod(o.amount.c_str(), nullptr);
      if (o.unit == "HUR") unit *= kHoursPerMonth;
      std::vector<GenRegion> regions;
      for (int i : o.regions) regions.push_back(p.regions[static_cast<size_t>(i)]);
      if (regions.empty()) regions.push_back(GenRegion{"", "", p.country, "", ""});
      for (const GenRegion& region : regions) {
        RefPlacement placement;
        placement.offering = o.iri;
        placement.region = region.code;
        placement.country = region.country;
        placement.provider = p.id;
        placement.cost = unit * gm.quantities[r];
        if (gm.near && !region.latitude.empty()) {
          placement.closeness = distance_value(great_circle_km(
              std::strtod(gm.near_lat.c_str(), nullptr), std::strtod(gm.near_lon.c_str(), nullptr),
              std::strtod(region.latitude.c_str(), nullptr),
              std::strtod(region.longitude.c_str(), nullptr)));
        }
        placement.preferred = gm.preferred.count(p.iri) > 0;
        placement.tie_key = o.iri + " " + region.code;
        ref.placements[r].push_back(placement);
      }
    }
  }

  // Every combination of the full product, checked against every cross constraint.
  auto holds = [&](const std::vector<const RefPlacement*>& choice) {
    for (const GenConstraint& c : gm.constraints) {
      std::vector<const RefPlacement*> scope;
      if (c.applies_to.empty()) {
        scope = choice;
      } else {
        for (int r : c.applies_to) scope.push_back(choice[static_cast<size_t>(r)]);
      }
      std::set<std::string> countries, providers;
      double sum = 0;
      for (const auto* p : scope) {
        countries.insert(p->country);
        providers.insert(p->provider);
        sum += p->cost;
      }
      switch (c.kind) {
        case CrossConstraint::Kind::kSameCountry:
          if (countries.size() > 1) return false;
          break;
        case CrossConstraint::Kind::kSameProvider:
          if (providers.size() > 1) return false;
          break;
        case CrossConstraint::Kind::kMaxProviders:
          if (providers.size() > static_cast<size_t>(c.max_providers)) return false;
          break;
        case CrossConstraint::Kind::kMonthlyBudget:
          if (sum > std::strtod(c.max_price.c_str(), nullptr)) return false;
          break;
      }
    }
    return true;
  };
  std::vector<size_t> at(requirements, 0);
  bool empty = false;
  for (const auto& list : ref.placements) empty = empty || list.empty();
  while (!empty) {
    std::vector<const RefPlacement*> choice;
    for (size_t r = 0; r < requirements; ++r) choice.push_back(&ref.placements[r][at[r]]);
    if (holds(choice)) {
      RefAnswer answer;
      answer.choice = choice;
      for (const auto* p : choice) answer.price += p->cost;
      ref.answers.push_back(answer);
    }
    size_t r = 0;
    while (r < requirements && ++at[r] == ref.placements[r].size()) at[r++] = 0;
    if (r == requirements) break;
  }

  // The documented score: weighted mean of price value (cheapest / price), closeness (mean
  // over requirements) and the share at preferred providers; by price alone when no
  // preference is stated.
  double cheapest = -1;
  for (const auto& a : ref.answers) cheapest = cheapest < 0 ? a.price : std::min(cheapest, a.price);
  double wc = gm.w_cheapest, wd = gm.w_closest, wp = gm.w_providers;
  if (wc + wd + wp <= 0) wc = 1;
  for (auto& a : ref.answers) {
    double price_value = a.price == 0 && cheapest == 0 ? 1.0 : cheapest / a.price;
    double closeness = 0, preferred = 0;
    for (const auto* p : a.choice) {
      closeness += p->closeness;
      preferred += p->preferred ? 1 : 0;
    }
    closeness /= static_cast<double>(requirements);
    preferred /= static_cast<double>(requirements);
    a.score = (wc * price_value + wd * closeness + wp * preferred) / (wc + wd + wp);
  }
  std::stable_sort(ref.answers.begin(), ref.answers.end(),
                   [](const RefAnswer& a, const RefAnswer& b) {
                     if (std::abs(a.score - b.score) > 1e-9) return a.score > b.score;
                     if (std::abs(a.price - b.price) > 1e-9) return a.price < b.price;
                     std::vector<std::string> ka, kb;
                     for (const auto* p : a.choice) ka.push_back(p->tie_key);
                     for (const auto* p : b.choice) kb.push_back(p->tie_key);
                     return ka < kb;
                   });
  return ref;
}

// ---- One random case ----------------------------------------------------------------------

struct Case {
  CatalogueIndex index;
  Catalogue cat;
  GenManifest gm;
  std::unique_ptr<ConsumerManifest> manifest;
  std::vector<std::string> ntriples;
  std::map<std::string, std::vector<Fact>> facts;
};

const ConsumerManifestReader& reader() {
  static std::shared_ptr<const ConsumerManifestReader> instance = [] {
    auto created = ConsumerManifestReader::create(read_source("ontology/shapes/consumer.ttl"));
    REQUIRE(created.is_ok());
    return *created;
  }();
  return *instance;
}

std::unique_ptr<Case> make_case(uint32_t seed) {
  auto c = std::make_unique<Case>();
  Random rnd(seed);
  c->cat = generate_catalogue(rnd);
  for (const GenProvider& p : c->cat.providers) {
    rdf::Graph graph;
    Status parsed = rdf::parse_string(provider_turtle(c->cat, p), p.id, graph, {});
    INFO(provider_turtle(c->cat, p));
    REQUIRE(parsed.is_ok());
    std::string nt = rdf::to_ntriples(graph);
    REQUIRE(c->index.put_provider(p.id, nt).is_ok());
    c->ntriples.push_back(nt);
    std::vector<Fact> facts;
    for (const auto& s : p.verified) {
      facts.push_back(fact(p.iri, "verifiedCertification", kM + s, false));
    }
    if (!facts.empty()) {
      c->index.set_facts(p.iri, facts);
      c->facts[p.iri] = facts;
    }
  }
  c->gm = generate_manifest(rnd, c->cat);
  auto manifest = reader().read(c->gm.text, c->index.terms());
  INFO(c->gm.text);
  INFO(manifest.status().message());
  REQUIRE(manifest.is_ok());
  c->manifest = std::move(*manifest);
  return c;
}

// Every answer, candidates matched by `threads` threads however few there are.
ResolveOptions all_answers(size_t threads = 1) {
  ResolveOptions options;
  options.top_k = 100000;
  options.explain_limit = 1000;
  options.match_threads = threads;
  options.candidates_per_thread = 1;
  return options;
}

constexpr uint32_t kSeeds = 200;

TEST_CASE("property: candidates per requirement match a brute-force reference") {
  size_t with_candidates = 0, refused = 0;
  for (uint32_t seed = 1; seed <= kSeeds; ++seed) {
    INFO("seed " << seed);
    auto c = make_case(seed);
    // One, two and three threads in turn: each takes a run of providers.
    v1::Resolution resolution =
        resolve(c->index, *c->manifest, c->gm.consumer_facts, all_answers(1 + seed % 3));
    Reference ref = reference(c->index, *c->manifest, c->cat, c->gm, c->ntriples, c->facts);
    INFO(c->gm.text);
    REQUIRE(resolution.requirements_size() == static_cast<int>(c->gm.quantities.size()));
    REQUIRE(resolution.currency() == c->gm.currency);
    for (size_t r = 0; r < c->gm.quantities.size(); ++r) {
      const auto& report = resolution.requirements(static_cast<int>(r));
      INFO("requirement " << r);
      REQUIRE(report.requirement() == kC + "r" + std::to_string(r));
      REQUIRE(report.quantity() == c->gm.quantities[r]);
      REQUIRE(report.conforming() == ref.conforming[r]);
      REQUIRE(report.accepted() == ref.accepted[r]);
      REQUIRE(report.rejected_total() + report.accepted() ==
              static_cast<int>(c->cat.offerings.size()));
      if (ref.accepted[r] > 0) ++with_candidates;
      if (ref.accepted[r] < ref.conforming[r]) ++refused;
    }
  }
  // The generator is not degenerate: candidates are found, and some conforming ones are
  // refused (prerequisites, currency, no price).
  CHECK(with_candidates > kSeeds / 2);
  CHECK(refused > kSeeds / 10);
}

TEST_CASE("property: answers and their order match a brute-force reference") {
  size_t satisfiable = 0, several = 0;
  for (uint32_t seed = 1; seed <= kSeeds; ++seed) {
    INFO("seed " << seed);
    auto c = make_case(seed);
    // One, two and three threads in turn: each takes a run of providers.
    v1::Resolution resolution =
        resolve(c->index, *c->manifest, c->gm.consumer_facts, all_answers(1 + seed % 3));
    Reference ref = reference(c->index, *c->manifest, c->cat, c->gm, c->ntriples, c->facts);
    INFO(c->gm.text);

    std::set<std::vector<std::pair<std::string, std::string>>> expected, actual;
    for (const auto& a : ref.answers) expected.insert(a.key());
    for (const auto& answer : resolution.answers()) {
      std::vector<std::pair<std::string, std::string>> key;
      for (const auto& a : answer.assignments()) key.emplace_back(a.offering(), a.region());
      actual.insert(key);
    }
    REQUIRE(resolution.answers_size() == static_cast<int>(actual.size()));  // no duplicates
    REQUIRE(actual == expected);
    REQUIRE(resolution.satisfiable() == !expected.empty());
    REQUIRE(resolution.answers_considered() == static_cast<int64_t>(expected.size()));
    if (!expected.empty()) ++satisfiable;
    if (expected.size() > 1) ++several;

    // The first 10 in the documented order, with the documented scores and prices.
    for (size_t i = 0; i < ref.answers.size() && i < 10; ++i) {
      INFO("rank " << i + 1);
      const auto& answer = resolution.answers(static_cast<int>(i));
      std::vector<std::pair<std::string, std::string>> key;
      for (const auto& a : answer.assignments()) key.emplace_back(a.offering(), a.region());
      REQUIRE(key == ref.answers[i].key());
      REQUIRE(answer.rank() == static_cast<int>(i + 1));
      REQUIRE(answer.score() == Approx(ref.answers[i].score).epsilon(1e-9));
      REQUIRE(answer.monthly_price() == Approx(ref.answers[i].price).epsilon(1e-9));
    }
  }
  CHECK(satisfiable > kSeeds / 4);
  CHECK(several > kSeeds / 8);
}

std::string text_of(const google::protobuf::Message& resolution) {
  std::string out;
  google::protobuf::TextFormat::PrintToString(resolution, &out);
  return out;
}

// Two cases from one seed build two indexes with the same term ids; one keeps path columns
// (from before the changes below, so it must have followed them) and remembers prerequisite
// outcomes across resolutions, the other has neither and leaves every check to the engine.
// The first matches candidates on three threads, the other on one. Every byte of the
// resolutions must agree.
TEST_CASE("property: resolutions are identical with the path columns and memo and without") {
  size_t compared = 0;
  for (uint32_t seed = 1; seed <= kSeeds; ++seed) {
    INFO("seed " << seed);
    auto with_columns = make_case(seed);
    auto engine_only = make_case(seed);
    INFO(with_columns->gm.text);
    prepare_columns(with_columns->index, *with_columns->manifest);
    PrerequisiteMemo memo(2);
    std::vector<Fact> other_consumer = {
        fact("https://c.example/#someone-else", "verifiedCountry", "DE", true)};
    auto same = [&]() {
      v1::Resolution slow = resolve(engine_only->index, *engine_only->manifest,
                                    engine_only->gm.consumer_facts, all_answers());
      // The second and third take the first's prerequisite outcomes from the memo, the
      // third after another consumer's facts had their turn.
      for (int round = 0; round < 3; ++round) {
        if (round == 2) {
          resolve(with_columns->index, *with_columns->manifest, other_consumer, all_answers(3),
                  &memo);
        }
        v1::Resolution fast = resolve(with_columns->index, *with_columns->manifest,
                                      with_columns->gm.consumer_facts, all_answers(3), &memo);
        REQUIRE(text_of(fast) == text_of(slow));
      }
      ++compared;
    };
    same();
    // Certifications withdrawn from the first provider, the second provider put again (its
    // offerings leave and re-enter the columns), the last removed.
    for (Case* c : {with_columns.get(), engine_only.get()}) {
      const GenProvider& first = c->cat.providers.front();
      c->index.set_facts(first.iri, {});
      REQUIRE(c->index.put_provider(c->cat.providers[1].id, c->ntriples[1]).is_ok());
      c->index.remove_provider(c->cat.providers.back().id);
    }
    same();
  }
  CHECK(compared == 2 * kSeeds);
}

// Only the nearest of the candidates a shape rejects are kept while matching: the lists of
// nearest misses must still be the first of all of them, whatever the limit and the threads.
TEST_CASE("property: nearest misses under any explain limit are the first of all rejected") {
  auto listed = [](const v1::RequirementReport& report) {
    std::vector<std::string> out;
    for (const auto& miss : report.rejected()) {
      out.push_back(miss.offering() + " " + miss.reason() + " " +
                    std::to_string(miss.failures_size()));
    }
    return out;
  };
  size_t cut = 0;
  for (uint32_t seed = 1; seed <= kSeeds; ++seed) {
    INFO("seed " << seed);
    auto c = make_case(seed);
    INFO(c->gm.text);
    v1::Resolution every = resolve(c->index, *c->manifest, c->gm.consumer_facts, all_answers(1));
    for (size_t limit : {0, 1, 2, 3, 5}) {
      for (size_t threads : {1, 3}) {
        INFO("explain_limit " << limit << ", " << threads << " threads");
        ResolveOptions options = all_answers(threads);
        options.explain_limit = limit;
        v1::Resolution few = resolve(c->index, *c->manifest, c->gm.consumer_facts, options);
        REQUIRE(few.requirements_size() == every.requirements_size());
        for (int r = 0; r < every.requirements_size(); ++r) {
          const auto& all = every.requirements(r);
          const auto& some = few.requirements(r);
          REQUIRE(some.rejected_total() == all.rejected_total());
          std::vector<std::string> expected = listed(all);
          expected.resize(std::min(expected.size(), limit));
          REQUIRE(listed(some) == expected);
          cut += all.rejected_size() > static_cast<int>(limit) ? 1 : 0;
        }
        REQUIRE(few.has_diagnosis() == every.has_diagnosis());
        if (every.has_diagnosis()) {
          REQUIRE(text_of(few.diagnosis()) == text_of(every.diagnosis()));
        }
      }
    }
  }
  CHECK(cut > kSeeds);  // lists were cut short, not only ones shorter than the limit
}

}  // namespace
}  // namespace mpli::resolver
