// Golden tests of resolution against the three demo providers (ontology/examples), with the
// verified facts the local federation states: every provider's legal identity and
// certifications verified, except each provider's EUCS certification (self-declared, so the
// hub does not trust it). The expected outcomes are worked out by hand from the manifests and
// the documented rules (composer.h, resolution.cc); the comments say how.
#include "services/resolver/domain/resolution.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "libs/rdf/parser.h"
#include "libs/rdf/serializer.h"

namespace mpli::resolver {
namespace {

const std::string kM = "https://w3id.org/mpli#";
const std::string kHex = "https://hexacloud.example/.well-known/mpli.ttl#";
const std::string kNord = "https://cloud.nordwolke.example/.well-known/mpli.ttl#";
const std::string kPolder = "https://polderstack.example/.well-known/mpli.ttl#";
const std::string kTulp = "https://tulpwerk.example/mpli/web-shop.ttl#";
const std::string kApfel = "https://apfelbaum-logistik.example/mpli/consumer.ttl#";
const std::string kLga = "https://lga-musterland.example/mpli/consumer.ttl#";

std::string read_source(const std::string& relative) {
  std::ifstream in(std::string(MPLI_SOURCE_DIR) + "/" + relative, std::ios::binary);
  REQUIRE(in.good());
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string turtle_to_ntriples(const std::string& relative) {
  rdf::Graph graph;
  Status parsed = rdf::parse_string(read_source(relative), relative, graph, {});
  REQUIRE(parsed.is_ok());
  return rdf::to_ntriples(graph);
}

Fact iri_fact(const std::string& subject, const std::string& predicate, const std::string& object) {
  return Fact{subject, kM + predicate, object, false, "", "urn:test:credential", "did:test:issuer"};
}

Fact literal_fact(const std::string& subject, const std::string& predicate,
                  const std::string& object) {
  return Fact{subject, kM + predicate, object, true, "", "urn:test:credential", "did:test:issuer"};
}

// What the local federation's trust service states about each provider (docs/credentials.md):
// legal identity (type and country), Gaia-X compliance where the provider lists it, and every
// certification but the self-declared EUCS one, on the provider and on the offerings it covers.
std::vector<Fact> hexacloud_facts() {
  const std::string p = kHex + "provider";
  return {iri_fact(p, "verifiedCredentialType", kM + "LegalIdentityCredential"),
          literal_fact(p, "verifiedCountry", "FR"),
          iri_fact(p, "verifiedCertification", kM + "SecNumCloud"),
          iri_fact(p, "verifiedCertification", kM + "ISO27001")};
}
std::vector<Fact> nordwolke_facts() {
  const std::string p = kNord + "provider";
  return {iri_fact(p, "verifiedCredentialType", kM + "LegalIdentityCredential"),
          iri_fact(p, "verifiedCredentialType", kM + "GaiaXComplianceCredential"),
          literal_fact(p, "verifiedCountry", "DE"),
          iri_fact(p, "verifiedCertification", kM + "ISO27001"),
          iri_fact(p, "verifiedCertification", kM + "BSIC5")};
}
std::vector<Fact> polderstack_facts() {
  const std::string p = kPolder + "provider";
  return {iri_fact(p, "verifiedCredentialType", kM + "LegalIdentityCredential"),
          literal_fact(p, "verifiedCountry", "NL"),
          iri_fact(p, "verifiedCertification", kM + "ISO27001"),
          iri_fact(p, "verifiedCertification", kM + "ISO27017")};
}

void load_federation(CatalogueIndex& index) {
  REQUIRE(index
              .put_provider("hexacloud",
                            turtle_to_ntriples("ontology/examples/provider-hexacloud-fr.ttl"))
              .is_ok());
  REQUIRE(index
              .put_provider("nordwolke",
                            turtle_to_ntriples("ontology/examples/provider-nordwolke-de.ttl"))
              .is_ok());
  REQUIRE(index
              .put_provider("polderstack",
                            turtle_to_ntriples("ontology/examples/provider-polderstack-nl.ttl"))
              .is_ok());
  index.set_facts(kHex + "provider", hexacloud_facts());
  // SecNumCloud covers the Paris database; EUCS High (covering pg-snc and k8s) is unverified.
  index.set_facts(kHex + "pg-snc",
                  {iri_fact(kHex + "pg-snc", "verifiedCertification", kM + "SecNumCloud")});
  index.set_facts(kNord + "provider", nordwolke_facts());
  index.set_facts(kPolder + "provider", polderstack_facts());
}

std::vector<Fact> consumer_facts(const std::string& consumer, const std::string& country,
                                 bool gaia_x) {
  std::vector<Fact> facts = {
      iri_fact(consumer, "verifiedCredentialType", kM + "LegalIdentityCredential")};
  if (gaia_x) {
    facts.push_back(iri_fact(consumer, "verifiedCredentialType", kM + "GaiaXComplianceCredential"));
  }
  if (!country.empty()) facts.push_back(literal_fact(consumer, "verifiedCountry", country));
  return facts;
}

struct Federation {
  CatalogueIndex index;
  std::shared_ptr<const ConsumerManifestReader> reader;
  Federation() {
    load_federation(index);
    auto created = ConsumerManifestReader::create(read_source("ontology/shapes/consumer.ttl"));
    REQUIRE(created.is_ok());
    reader = *created;
  }
  std::unique_ptr<ConsumerManifest> read(const std::string& text) {
    auto manifest = reader->read(text, index.terms());
    INFO(manifest.status().message());
    REQUIRE(manifest.is_ok());
    return std::move(*manifest);
  }
  std::unique_ptr<ConsumerManifest> read_example(const std::string& name) {
    return read(read_source("ontology/examples/" + name));
  }
};

const v1::RequirementReport& report_of(const v1::Resolution& resolution,
                                       const std::string& requirement) {
  for (const auto& r : resolution.requirements()) {
    if (r.requirement() == requirement) return r;
  }
  FAIL("no report for " << requirement);
  return resolution.requirements(0);
}

const v1::RejectedCandidate* rejected_of(const v1::RequirementReport& report,
                                         const std::string& offering) {
  for (const auto& c : report.rejected()) {
    if (c.offering() == offering) return &c;
  }
  return nullptr;
}

bool has_failure(const v1::RejectedCandidate& c, const std::string& path,
                 const std::string& constraint) {
  for (const auto& f : c.failures()) {
    if (f.path() == path && f.constraint() == constraint) return true;
  }
  return false;
}

std::string path_of(const std::string& local) { return "<" + kM + local + ">"; }

// (offering, region) per requirement, in manifest order.
std::vector<std::pair<std::string, std::string>> placements(const v1::Answer& answer) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& a : answer.assignments()) out.emplace_back(a.offering(), a.region());
  return out;
}

// A small consumer manifest: one requirement with the given shape properties, plus extra
// statements on the manifest node (constraints, preferences).
std::string custom_manifest(const std::string& shape_properties,
                            const std::string& manifest_extra = "",
                            const std::string& quantity = "1") {
  return R"(
@prefix mpli:   <https://w3id.org/mpli#> .
@prefix gx:     <https://w3id.org/gaia-x/development#> .
@prefix rdfs:   <http://www.w3.org/2000/01/rdf-schema#> .
@prefix schema: <https://schema.org/> .
@prefix sh:     <http://www.w3.org/ns/shacl#> .
<https://test.example/m> a mpli:ConsumerManifest ;
    mpli:consumer <https://test.example/consumer> ;
    mpli:requirement <https://test.example/r1> )" +
         manifest_extra + R"( .
<https://test.example/consumer> a mpli:Consumer ; mpli:legalPerson <https://test.example/lp> .
<https://test.example/lp> a gx:LegalPerson ; schema:name "Test GmbH" ;
    gx:legalAddress <https://test.example/address> .
<https://test.example/address> a gx:Address ; gx:countryCode "DE" .
<https://test.example/r1> a mpli:Requirement ; rdfs:label "Test requirement" ;
    mpli:quantity )" +
         quantity + R"( ; mpli:requirementShape <https://test.example/shape> .
<https://test.example/shape> a sh:NodeShape ; sh:property )" +
         shape_properties + " .\n";
}

// ---- Web shop (Tulpwerk, NL: legal identity, Gaia-X compliance, verified country NL) -------
//
// Application servers (3 x VM, >= 2 vCPU, >= 4 GiB, exports qcow2 or raw): Hexacloud vm-4
// (0.062/h x 730 = 45.26, x 3 = 135.78; FR), Nordwolke vm-s (18.50 x 3 = 55.50; de-fra-1,
// de-nue-1), Nordwolke vm-l (0.129/h x 730 = 94.17, x 3 = 282.51; de-fra-1), Polderstack vm-img
// (21 x 3 = 63; fi-hel-1).
// Shop database (PostgreSQL, >= 100 GiB, pg_dump custom export, 24x7, verified ISO 27001 or
// EUCS): Hexacloud pg-snc conforms but refuses non-French consumers; Nordwolke pg-m (149;
// de-fra-1); Polderstack pg-s (59; nl-ams-1).
// Images (object storage >= 250 GiB, S3 export): Nordwolke s3-1t (12; de-fra-1, de-nue-1),
// Polderstack obj-500 (4.90; nl-ams-1, fi-hel-1).
// One country: FR has no database, NL no application server, FI no database; only DE works,
// all at Nordwolke: vm-s (2 regions) or vm-l, pg-m, s3-1t (2 regions) = 6 answers, at
// 55.50 + 149 + 12 = 216.50 or 282.51 + 149 + 12 = 443.51 (both within 450).

// The views as a full rebuild from the providers would make them (the index keeps them up
// to date change by change instead).
void check_views_match_providers(const CatalogueIndex& index) {
  std::vector<std::pair<std::string, std::string>> expected;  // (provider id, offering IRI)
  std::map<TermId, size_t> per_kind;
  for (const auto& [id, segment] : index.providers()) {
    for (const auto& offering : segment->offerings) {
      expected.emplace_back(id, offering.iri);
      for (TermId kind : offering.kinds) per_kind[kind] += 1;
      auto found = index.find_offering(offering.iri);
      REQUIRE(found);
      CHECK(found->provider == segment.get());
    }
    for (TermId predicate : segment->predicates) CHECK(index.uses_predicate(predicate));
  }
  std::vector<std::pair<std::string, std::string>> got;
  for (const OfferingRef& ref : index.offerings()) {
    got.emplace_back(ref.provider->provider_id, ref.offering().iri);
    // The triples a ref carries are its node's in the provider's current graph.
    rdf::TripleRange own = ref.provider->graph.with_subject(ref.node);
    CHECK(ref.node == ref.offering().node);
    CHECK(ref.triples().begin() == own.begin());
    CHECK(ref.triples().size() == own.size());
  }
  CHECK(got == expected);
  CHECK(index.offering_count() == expected.size());
  for (const auto& [kind, count] : per_kind) {
    const auto& refs = index.offerings_of_kind(kind);
    CHECK(refs.size() == count);
    CHECK(std::is_sorted(refs.begin(), refs.end(), [](const OfferingRef& a, const OfferingRef& b) {
      return a.provider->provider_id < b.provider->provider_id;
    }));
  }
}

TEST_CASE("index: the views follow providers entering, changing and leaving, in provider order") {
  CatalogueIndex index;
  std::string polder = turtle_to_ntriples("ontology/examples/provider-polderstack-nl.ttl");
  std::string nord = turtle_to_ntriples("ontology/examples/provider-nordwolke-de.ttl");
  std::string hex = turtle_to_ntriples("ontology/examples/provider-hexacloud-fr.ttl");
  REQUIRE(index.put_provider("polderstack", polder).is_ok());
  REQUIRE(index.put_provider("hexacloud", hex).is_ok());
  REQUIRE(index.put_provider("nordwolke", nord).is_ok());
  check_views_match_providers(index);
  size_t all = index.offering_count();

  // A verified fact adds a predicate to one provider's graph; withdrawing it removes it.
  TermId verified = index.terms()->iri(std::string(kMpli) + "verifiedCertification");
  CHECK_FALSE(index.uses_predicate(verified));
  index.set_facts(kNord + "provider", nordwolke_facts());
  CHECK(index.uses_predicate(verified));
  check_views_match_providers(index);
  index.set_facts(kNord + "provider", {});
  CHECK_FALSE(index.uses_predicate(verified));

  // A fact that repeats a manifest statement leaves it in place when it is withdrawn.
  const std::string rdf_type = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type";
  TermId provider_node = index.terms()->iri(kNord + "provider");
  TermId type = index.terms()->iri(rdf_type);
  TermId provider_class = index.terms()->iri(std::string(kMpli) + "Provider");
  index.set_facts(kNord + "provider", {Fact{kNord + "provider", rdf_type,
                                            std::string(kMpli) + "Provider", false, "", "", ""}});
  CHECK(index.provider("nordwolke")->graph.contains(provider_node, type, provider_class));
  index.set_facts(kNord + "provider", {});
  CHECK(index.provider("nordwolke")->graph.contains(provider_node, type, provider_class));
  CHECK(index.provider("nordwolke")->fact_triples.empty());

  index.remove_provider("hexacloud");
  check_views_match_providers(index);
  CHECK_FALSE(index.find_offering(kHex + "pg-snc"));
  CHECK(index.offering_count() < all);

  // Replaced by the same manifest, then put back: the same views as at first.
  REQUIRE(index.put_provider("nordwolke", nord).is_ok());
  REQUIRE(index.put_provider("hexacloud", hex).is_ok());
  check_views_match_providers(index);
  CHECK(index.offering_count() == all);
  REQUIRE(index.put_provider("polderstack", "").is_ok());  // an empty manifest removes it
  check_views_match_providers(index);
}

TEST_CASE("index: offerings naming the same regions share one run of them") {
  CatalogueIndex index;
  REQUIRE(index
              .put_provider("nordwolke",
                            turtle_to_ntriples("ontology/examples/provider-nordwolke-de.ttl"))
              .is_ok());
  const ProviderSegment& nord = *index.provider("nordwolke");
  // Its offerings name either Frankfurt or Frankfurt and Nuremberg: two runs, three regions.
  CHECK(nord.regions.size() == 3);
  std::set<std::pair<uint32_t, uint32_t>> runs;
  for (const OfferingEntry& offering : nord.offerings) {
    std::vector<std::string> codes;
    for (const Region& region : nord.regions_of(offering)) codes.push_back(region.code);
    const bool both = codes == std::vector<std::string>{"de-fra-1", "de-nue-1"};
    CHECK((both || codes == std::vector<std::string>{"de-fra-1"}));
    runs.emplace(offering.first_region, offering.region_count);
    // What composition reads of a candidate is the same run.
    CHECK(index.row(offering.row).regions == nord.regions_of(offering).begin());
  }
  CHECK(runs.size() == 2);
}

TEST_CASE("index: a fact about an offering reaches its provider's graph") {
  CatalogueIndex index;
  REQUIRE(index
              .put_provider("nordwolke",
                            turtle_to_ntriples("ontology/examples/provider-nordwolke-de.ttl"))
              .is_ok());
  const std::string offering = kNord + "pg-m";
  REQUIRE(index.find_offering(offering));
  const std::string predicate = std::string(kMpli) + "verifiedCertification";
  index.set_facts(offering, {Fact{offering, predicate, "https://w3id.org/mpli/standards#iso27001",
                                  false, "", "", ""}});
  auto has_fact = [&] {
    const rdf::TermTable& terms = *index.terms();
    return index.provider("nordwolke")
        ->graph.contains(terms.find_iri(offering), terms.find_iri(predicate),
                         terms.find_iri("https://w3id.org/mpli/standards#iso27001"));
  };
  CHECK(has_fact());
  check_views_match_providers(index);
  // Replaced, the provider's new version still carries it; withdrawn, it is gone.
  REQUIRE(index
              .put_provider("nordwolke",
                            turtle_to_ntriples("ontology/examples/provider-nordwolke-de.ttl"))
              .is_ok());
  CHECK(has_fact());
  index.set_facts(offering, {});
  CHECK_FALSE(has_fact());
  // A subject no provider has (a consumer) is only remembered.
  index.set_facts("https://consumer.example/#me",
                  {Fact{"https://consumer.example/#me", predicate, "urn:x", false, "", "", ""}});
  CHECK(index.facts_about("https://consumer.example/#me").size() == 1);
}

TEST_CASE("index: unused terms are those of replaced and removed provider versions") {
  CatalogueIndex index;
  std::string nord = turtle_to_ntriples("ontology/examples/provider-nordwolke-de.ttl");
  std::string hex = turtle_to_ntriples("ontology/examples/provider-hexacloud-fr.ttl");
  REQUIRE(index.put_provider("nordwolke", nord).is_ok());
  const size_t nord_added = index.provider("nordwolke")->terms_added;
  CHECK(nord_added > 0);
  // A new provider's terms are used: a growing catalogue is no reason to rebuild.
  REQUIRE(index.put_provider("hexacloud", hex).is_ok());
  CHECK(index.unused_terms() == 0);
  CHECK(index.provider("hexacloud")->terms_added > 0);
  CHECK(index.provider("hexacloud")->terms_added < index.terms()->size());  // shares some
  // Replaced: what the old version added counts as unused (its blank nodes come anew).
  REQUIRE(index.put_provider("nordwolke", nord).is_ok());
  CHECK(index.unused_terms() == nord_added);
  const size_t nord_again = index.provider("nordwolke")->terms_added;
  CHECK(nord_again > 0);
  // A manifest that does not parse changes nothing.
  CHECK_FALSE(index.put_provider("nordwolke", "<urn:a> <urn:b> .").is_ok());
  CHECK(index.unused_terms() == nord_added);
  // Removed: its terms too; the caller adds what consumer manifests added.
  index.remove_provider("nordwolke");
  CHECK(index.unused_terms() == nord_added + nord_again);
  index.add_unused_terms(7);
  CHECK(index.unused_terms() == nord_added + nord_again + 7);
}

TEST_CASE("index: rebuilt when unused terms outnumber the used ones by more than the slack") {
  CHECK_FALSE(worth_compacting(0, 0, 0));
  CHECK_FALSE(worth_compacting(1000, 0, 0));  // all used: a large catalogue, not garbage
  CHECK_FALSE(worth_compacting(1000, 500, 0));
  CHECK(worth_compacting(1000, 501, 0));
  CHECK_FALSE(worth_compacting(1000, 501, 10));
  CHECK(worth_compacting(1000, 506, 10));
  CHECK(worth_compacting(1000, 5000, 0));  // an estimate beyond the table: all of it
}

TEST_CASE("web shop: candidates per requirement and the SecNumCloud refusal") {
  Federation f;
  auto manifest = f.read_example("consumer-web-shop.ttl");
  auto facts = consumer_facts(kTulp + "consumer", "NL", true);
  v1::Resolution resolution = resolve(f.index, *manifest, facts, {});

  CHECK(resolution.currency() == "EUR");
  CHECK(resolution.catalogue_offerings() == 17);  // 11 of the four first kinds, 6 of the others
  REQUIRE(resolution.requirements_size() == 3);
  CHECK(resolution.requirements(0).requirement() == kTulp + "app-servers");
  CHECK(resolution.requirements(1).requirement() == kTulp + "database");
  CHECK(resolution.requirements(2).requirement() == kTulp + "images");

  const auto& app = report_of(resolution, kTulp + "app-servers");
  CHECK(app.quantity() == 3);
  CHECK(app.conforming() == 4);
  CHECK(app.accepted() == 4);
  CHECK(app.rejected_total() == 13);  // the 13 offerings of other kinds

  const auto& db = report_of(resolution, kTulp + "database");
  CHECK(db.conforming() == 3);
  CHECK(db.accepted() == 2);
  const v1::RejectedCandidate* snc = rejected_of(db, kHex + "pg-snc");
  REQUIRE(snc != nullptr);
  CHECK(snc->reason() == "consumer_refused");
  CHECK(snc->provider_id() == "hexacloud");

  const auto& images = report_of(resolution, kTulp + "images");
  CHECK(images.conforming() == 2);
  CHECK(images.accepted() == 2);

  REQUIRE(resolution.refusals_size() == 1);
  const auto& refusal = resolution.refusals(0);
  CHECK(refusal.provider_id() == "hexacloud");
  CHECK(refusal.scope() == kHex + "pg-snc");
  CHECK(refusal.prerequisite() == kHex + "prereq-fr");
  CHECK(refusal.label() == "Established in France (SecNumCloud scope)");
  REQUIRE(refusal.failures_size() >= 1);
  CHECK(refusal.failures(0).constraint() == "sh:HasValueConstraintComponent");

  // The consumer facts are echoed.
  CHECK(resolution.consumer() == kTulp + "consumer");
  CHECK(resolution.consumer_facts_size() == 3);
}

TEST_CASE("web shop: ranked answers, all in Germany at Nordwolke within budget") {
  Federation f;
  auto manifest = f.read_example("consumer-web-shop.ttl");
  auto facts = consumer_facts(kTulp + "consumer", "NL", true);
  v1::Resolution resolution = resolve(f.index, *manifest, facts, {});

  REQUIRE(resolution.satisfiable());
  CHECK(resolution.answers_considered() == 6);
  REQUIRE(resolution.answers_size() == 6);
  for (const auto& answer : resolution.answers()) {
    CHECK(answer.monthly_price() <= 450.0);
    CHECK(answer.providers_size() <= 2);
    std::set<std::string> countries;
    double sum = 0;
    for (const auto& a : answer.assignments()) {
      countries.insert(a.country());
      sum += a.monthly_price();
      CHECK(a.monthly_price() == Approx(a.unit_monthly_price() * a.quantity()));
    }
    CHECK(countries == std::set<std::string>{"DE"});
    CHECK(sum == Approx(answer.monthly_price()));
    CHECK(std::vector<std::string>(answer.providers().begin(), answer.providers().end()) ==
          std::vector<std::string>{"nordwolke"});
  }

  // Score (weights 0.6 / 0.3 / 0.1, already summing to 1): 0.6 x cheapest/price
  // + 0.3 x mean over the 3 assignments of 1 / (1 + km / 500) from Amsterdam + 0.1 x 0
  // (nothing at Polderstack). Frankfurt is nearer Amsterdam than Nuremberg.
  const double fra = distance_value(great_circle_km(52.3676, 4.9041, 50.1109, 8.6821));
  const double nue = distance_value(great_circle_km(52.3676, 4.9041, 49.4521, 11.0767));
  REQUIRE(fra > nue);
  const std::string vm_s = kNord + "vm-s", vm_l = kNord + "vm-l", pg = kNord + "pg-m",
                    s3 = kNord + "s3-1t";
  using P = std::vector<std::pair<std::string, std::string>>;

  // Rank 1: everything in Frankfurt at 216.50.
  const auto& first = resolution.answers(0);
  CHECK(first.rank() == 1);
  CHECK(placements(first) == P{{vm_s, "de-fra-1"}, {pg, "de-fra-1"}, {s3, "de-fra-1"}});
  CHECK(first.monthly_price() == Approx(216.50));
  CHECK(first.score() == Approx(0.6 + 0.3 * fra));
  REQUIRE(first.assignments_size() == 3);
  CHECK(first.assignments(0).quantity() == 3);
  CHECK(first.assignments(0).unit_monthly_price() == Approx(18.50));
  CHECK(first.assignments(0).monthly_price() == Approx(55.50));
  CHECK(first.assignments(1).monthly_price() == Approx(149.0));
  CHECK(first.assignments(2).monthly_price() == Approx(12.0));
  CHECK(first.assignments(0).provider() == kNord + "provider");
  REQUIRE(first.score_parts_size() == 3);
  double contributions = 0;
  for (const auto& part : first.score_parts()) contributions += part.contribution();
  CHECK(contributions == Approx(first.score()));

  // Ranks 2 and 3: one of the two Nuremberg-capable assignments in Nuremberg (equal scores).
  std::set<P> second_and_third = {placements(resolution.answers(1)),
                                  placements(resolution.answers(2))};
  CHECK(second_and_third == std::set<P>{P{{vm_s, "de-fra-1"}, {pg, "de-fra-1"}, {s3, "de-nue-1"}},
                                        P{{vm_s, "de-nue-1"}, {pg, "de-fra-1"}, {s3, "de-fra-1"}}});
  for (int i : {1, 2}) {
    CHECK(resolution.answers(i).monthly_price() == Approx(216.50));
    CHECK(resolution.answers(i).score() == Approx(0.6 + 0.3 * (2 * fra + nue) / 3));
  }
  // Rank 4: both in Nuremberg.
  CHECK(placements(resolution.answers(3)) ==
        P{{vm_s, "de-nue-1"}, {pg, "de-fra-1"}, {s3, "de-nue-1"}});
  CHECK(resolution.answers(3).score() == Approx(0.6 + 0.3 * (fra + 2 * nue) / 3));
  // Ranks 5 and 6: the large VMs (3 x 94.17), price value 216.50 / 443.51.
  CHECK(placements(resolution.answers(4)) ==
        P{{vm_l, "de-fra-1"}, {pg, "de-fra-1"}, {s3, "de-fra-1"}});
  CHECK(placements(resolution.answers(5)) ==
        P{{vm_l, "de-fra-1"}, {pg, "de-fra-1"}, {s3, "de-nue-1"}});
  CHECK(resolution.answers(4).monthly_price() == Approx(443.51));
  CHECK(resolution.answers(4).score() == Approx(0.6 * 216.50 / 443.51 + 0.3 * fra));
  CHECK(resolution.answers(5).score() == Approx(0.6 * 216.50 / 443.51 + 0.3 * (2 * fra + nue) / 3));
  for (int i = 0; i < 6; ++i) CHECK(resolution.answers(i).rank() == i + 1);
}

// ---- Single database (Apfelbaum, DE: legal identity, verified country DE) ------------------
//
// PostgreSQL >= 16, >= 200 GiB (stated), >= 4 vCPU, EU/EEA region, >= 99.9 %, verified ISO
// 27001, <= 300 EUR, priced per month. Nordwolke pg-m (17, 250 GiB, 4 vCPU, DE, 99.95, 149 MON)
// fits; Hexacloud pg-snc fails only the price (690 > 300); Polderstack pg-s fails storage
// (100) and vCPU (2).

TEST_CASE("web shop: a search cut short by its node budget says so") {
  Federation f;
  auto manifest = f.read_example("consumer-web-shop.ttl");
  auto facts = consumer_facts(kTulp + "consumer", "NL", true);
  CHECK_FALSE(resolve(f.index, *manifest, facts, {}).search_exhausted());
  ResolveOptions tight;
  tight.max_search_nodes = 3;
  v1::Resolution cut = resolve(f.index, *manifest, facts, tight);
  CHECK(cut.search_exhausted());
}

TEST_CASE("single database: rejected candidates and their failing constraints") {
  Federation f;
  auto manifest = f.read_example("consumer-single-database.ttl");
  auto facts = consumer_facts(kApfel + "consumer", "DE", false);
  v1::Resolution resolution = resolve(f.index, *manifest, facts, {});

  REQUIRE(resolution.requirements_size() == 1);
  const auto& db = resolution.requirements(0);
  CHECK(db.label() == "Order database");
  CHECK(db.conforming() == 1);
  CHECK(db.accepted() == 1);
  CHECK(db.rejected_total() == 16);  // 2 PostgreSQL offerings + 14 of other kinds
  REQUIRE(db.rejected_size() == 2);
  // Nearest misses first: pg-snc (one failure) before pg-s (two).
  CHECK(db.rejected(0).offering() == kHex + "pg-snc");
  CHECK(db.rejected(0).reason() == "requirement_shape");
  REQUIRE(db.rejected(0).failures_size() == 1);
  CHECK(db.rejected(0).failures(0).path() ==
        "(" + path_of("price") + "/<https://schema.org/price>)");
  CHECK(db.rejected(0).failures(0).constraint() == "sh:MaxInclusiveConstraintComponent");
  CHECK(db.rejected(0).offering_name() == "Hexacloud PostgreSQL SecNumCloud");

  CHECK(db.rejected(1).offering() == kPolder + "pg-s");
  CHECK(db.rejected(1).reason() == "requirement_shape");
  CHECK(db.rejected(1).failures_size() == 2);
  CHECK(has_failure(db.rejected(1), path_of("storageGiB"), "sh:MinInclusiveConstraintComponent"));
  CHECK(has_failure(db.rejected(1), path_of("vcpu"), "sh:MinInclusiveConstraintComponent"));

  // Nordwolke accepts an identified German consumer.
  for (const auto& refusal : resolution.refusals()) CHECK(refusal.provider_id() != "nordwolke");
}

TEST_CASE("single database: the one answer is Nordwolke pg-m in Frankfurt") {
  Federation f;
  auto manifest = f.read_example("consumer-single-database.ttl");
  auto facts = consumer_facts(kApfel + "consumer", "DE", false);
  v1::Resolution resolution = resolve(f.index, *manifest, facts, {});

  REQUIRE(resolution.satisfiable());
  REQUIRE(resolution.answers_size() == 1);
  const auto& answer = resolution.answers(0);
  CHECK(answer.rank() == 1);
  REQUIRE(answer.assignments_size() == 1);
  CHECK(answer.assignments(0).offering() == kNord + "pg-m");
  CHECK(answer.assignments(0).region() == "de-fra-1");
  CHECK(answer.assignments(0).country() == "DE");
  CHECK(answer.monthly_price() == Approx(149.0));
  CHECK(answer.score() == Approx(1.0));  // PreferCheapest alone, the cheapest answer
  CHECK(resolution.diagnosis().summary_size() == 0);
}

TEST_CASE("single database: without the verified ISO 27001 the only fit is rejected") {
  Federation f;
  // Nordwolke's ISO 27001 credential no longer verifies: only the claim remains.
  std::vector<Fact> facts = nordwolke_facts();
  facts.erase(std::remove_if(facts.begin(), facts.end(),
                             [](const Fact& x) { return x.object == kM + "ISO27001"; }),
              facts.end());
  f.index.set_facts(kNord + "provider", facts);
  auto manifest = f.read_example("consumer-single-database.ttl");
  v1::Resolution resolution =
      resolve(f.index, *manifest, consumer_facts(kApfel + "consumer", "DE", false), {});
  CHECK_FALSE(resolution.satisfiable());
  const auto& db = resolution.requirements(0);
  CHECK(db.conforming() == 0);
  const v1::RejectedCandidate* pg_m = rejected_of(db, kNord + "pg-m");
  REQUIRE(pg_m != nullptr);
  REQUIRE(pg_m->failures_size() == 1);
  CHECK(pg_m->failures(0).path() ==
        "(" + path_of("provider") + "/" + path_of("verifiedCertification") + ")");
  CHECK(pg_m->failures(0).constraint() == "sh:HasValueConstraintComponent");
  CHECK(pg_m->failures(0).claimed_not_verified());
}

// ---- Unservable (LGA, DE: legal identity, verified country DE) -----------------------------
//
// Requirements in node-name order: #cluster, then #health-records.
// Cluster (Kubernetes, memory >= 32, no parent organisation, in DE): Hexacloud k8s is in FR;
// Polderstack k8s-s has 24 GiB and is in NL and FI. None conforms.
// Health records (PostgreSQL, >= 16 vCPU, >= 1024 GiB, in DE, verified SecNumCloud, >= 99.95):
// pg-m (4 vCPU, 250 GiB, no SecNumCloud: 3 failures), pg-snc (8 vCPU, 500 GiB, FR: 3),
// pg-s (2, 100, NL, no SecNumCloud, 99.9: 5). None conforms.

TEST_CASE("unservable: no answer, a diagnosis per requirement and the nearest misses") {
  Federation f;
  auto manifest = f.read_example("consumer-unservable.ttl");
  auto facts = consumer_facts(kLga + "consumer", "DE", false);
  v1::Resolution resolution = resolve(f.index, *manifest, facts, {});

  CHECK_FALSE(resolution.satisfiable());
  CHECK(resolution.answers_size() == 0);
  REQUIRE(resolution.requirements_size() == 2);
  const auto& cluster = resolution.requirements(0);
  const auto& health = resolution.requirements(1);
  CHECK(cluster.requirement() == kLga + "cluster");
  CHECK(health.requirement() == kLga + "health-records");
  CHECK(cluster.conforming() == 0);
  CHECK(health.conforming() == 0);
  CHECK(cluster.rejected_total() == 17);
  CHECK(health.rejected_total() == 17);

  // The vCPU and storage minimums each eliminated all three PostgreSQL offerings.
  auto tally = [](const v1::RequirementReport& report, const std::string& path,
                  const std::string& constraint) {
    for (const auto& t : report.eliminated_by()) {
      if (t.path() == path && t.constraint() == constraint) return t.offerings();
    }
    return -1;
  };
  CHECK(tally(health, path_of("vcpu"), "sh:MinInclusiveConstraintComponent") == 3);
  CHECK(tally(health, path_of("storageGiB"), "sh:MinInclusiveConstraintComponent") == 3);
  CHECK(tally(health, "(" + path_of("region") + "/" + path_of("country") + ")",
              "sh:InConstraintComponent") == 2);
  CHECK(tally(health, "(" + path_of("provider") + "/" + path_of("verifiedCertification") + ")",
              "sh:HasValueConstraintComponent") == 2);
  CHECK(tally(cluster, "(" + path_of("region") + "/" + path_of("country") + ")",
              "sh:InConstraintComponent") == 2);
  for (const auto* report : {&cluster, &health}) {
    for (int i = 1; i < report->eliminated_by_size(); ++i) {
      CHECK(report->eliminated_by(i - 1).offerings() >= report->eliminated_by(i).offerings());
    }
  }

  // One sentence per requirement without candidates, naming it and its most eliminating
  // constraint among the offerings of the kind it asks for (that other kinds fail the kind is
  // no news to the reader).
  const auto& diagnosis = resolution.diagnosis();
  REQUIRE(diagnosis.summary_size() == 2);
  CHECK(diagnosis.summary(0).find("No offering satisfies requirement 'Analytics cluster'") == 0);
  CHECK(diagnosis.summary(1).find("No offering satisfies requirement 'Health records database'") ==
        0);
  for (int r = 0; r < 2; ++r) {
    const auto& tallies = resolution.requirements(r).eliminated_by();
    auto top_it = std::find_if(tallies.begin(), tallies.end(), [](const auto& t) {
      return t.path() != "<https://w3id.org/mpli#offeringKind>";
    });
    REQUIRE(top_it != tallies.end());
    const auto& top = *top_it;
    CHECK(diagnosis.summary(r).find("(" + std::to_string(top.offerings()) + ")") !=
          std::string::npos);
    CHECK(diagnosis.summary(r).find(top.constraint()) != std::string::npos);
  }

  // Nearest misses, fewest failures first (ties by offering IRI), at most 3 per requirement.
  std::vector<std::string> misses;
  for (const auto& miss : diagnosis.nearest_misses()) {
    misses.push_back(miss.requirement() + " " + miss.offering() + " " +
                     std::to_string(miss.failed_constraints()));
    CHECK(miss.failures_size() == miss.failed_constraints());
  }
  CHECK(misses == std::vector<std::string>{
                      kLga + "cluster " + kHex + "k8s 1",
                      kLga + "cluster " + kPolder + "k8s-s 3",  // memory; NL and FI not in DE
                      kLga + "health-records " + kNord + "pg-m 3",
                      kLga + "health-records " + kHex + "pg-snc 3",
                      kLga + "health-records " + kPolder + "pg-s 5",
                  });

  // Lint: nobody states gx:subOrganisationOf; memory and availability have no sh:minCount.
  std::set<std::string> warnings;
  for (const auto& w : resolution.warnings()) warnings.insert(w.code() + " " + w.path());
  CHECK(warnings.count("unknown_path (" + path_of("provider") + "/" + path_of("legalPerson") +
                       "/<https://w3id.org/gaia-x/development#subOrganisationOf>)") == 1);
  CHECK(warnings.count("range_without_min_count " + path_of("memoryGiB")) == 1);
  CHECK(warnings.count("range_without_min_count (" + path_of("serviceLevel") + "/" +
                       path_of("availabilityPercent") + ")") == 1);
  CHECK(warnings.count("range_without_min_count " + path_of("vcpu")) == 0);  // has minCount
}

// ---- Claimed versus verified -------------------------------------------------------------

TEST_CASE("claimed versus verified certification, and set_facts adding and removing it") {
  Federation f;
  auto manifest =
      f.read(custom_manifest("[ sh:path mpli:offeringKind ; sh:hasValue mpli:VirtualMachine ] , "
                             "[ sh:path ( mpli:provider mpli:verifiedCertification ) ; "
                             "  sh:hasValue mpli:EUCSSubstantial ]"));
  auto facts = consumer_facts("https://test.example/consumer", "DE", true);

  auto check_unverified = [&](const v1::Resolution& resolution) {
    const auto& report = resolution.requirements(0);
    CHECK(report.conforming() == 0);
    for (const std::string& offering : {kNord + "vm-s", kNord + "vm-l"}) {
      const v1::RejectedCandidate* c = rejected_of(report, offering);
      REQUIRE(c != nullptr);
      CHECK(c->reason() == "requirement_shape");
      REQUIRE(c->failures_size() == 1);
      CHECK(c->failures(0).claimed_not_verified());
      CHECK(c->failures(0).message().find("nordwolke claims " + kM +
                                          "EUCSSubstantial in its manifest, but no credential "
                                          "the hub trusts proves it") != std::string::npos);
    }
    // Hexacloud claims EUCS High, not Substantial; Polderstack EUCS Basic: plain failures.
    for (const std::string& offering : {kHex + "vm-4", kPolder + "vm-img"}) {
      const v1::RejectedCandidate* c = rejected_of(report, offering);
      REQUIRE(c != nullptr);
      REQUIRE(c->failures_size() == 1);
      CHECK_FALSE(c->failures(0).claimed_not_verified());
    }
  };

  check_unverified(resolve(f.index, *manifest, facts, {}));

  std::vector<Fact> verified = nordwolke_facts();
  verified.push_back(iri_fact(kNord + "provider", "verifiedCertification", kM + "EUCSSubstantial"));
  f.index.set_facts(kNord + "provider", verified);
  {
    v1::Resolution resolution = resolve(f.index, *manifest, facts, {});
    const auto& report = resolution.requirements(0);
    CHECK(report.conforming() == 2);
    CHECK(report.accepted() == 2);
    CHECK(rejected_of(report, kNord + "vm-s") == nullptr);
    CHECK(rejected_of(report, kNord + "vm-l") == nullptr);
  }

  f.index.set_facts(kNord + "provider", nordwolke_facts());
  check_unverified(resolve(f.index, *manifest, facts, {}));
}

TEST_CASE("claimed versus verified: the answer appears once the certification is verified") {
  Federation f;
  auto manifest =
      f.read(custom_manifest("[ sh:path mpli:offeringKind ; sh:hasValue mpli:VirtualMachine ] , "
                             "[ sh:path ( mpli:provider mpli:verifiedCertification ) ; "
                             "  sh:hasValue mpli:EUCSSubstantial ]"));
  auto facts = consumer_facts("https://test.example/consumer", "DE", true);
  CHECK_FALSE(resolve(f.index, *manifest, facts, {}).satisfiable());
  std::vector<Fact> verified = nordwolke_facts();
  verified.push_back(iri_fact(kNord + "provider", "verifiedCertification", kM + "EUCSSubstantial"));
  f.index.set_facts(kNord + "provider", verified);
  v1::Resolution resolution = resolve(f.index, *manifest, facts, {});
  REQUIRE(resolution.satisfiable());
  // vm-s in Frankfurt and Nuremberg (18.50), vm-l in Frankfurt (94.17): cheapest first, then
  // by tie key (offering IRI + region code).
  REQUIRE(resolution.answers_size() == 3);
  CHECK(placements(resolution.answers(0)) ==
        std::vector<std::pair<std::string, std::string>>{{kNord + "vm-s", "de-fra-1"}});
  CHECK(placements(resolution.answers(1)) ==
        std::vector<std::pair<std::string, std::string>>{{kNord + "vm-s", "de-nue-1"}});
  CHECK(placements(resolution.answers(2)) ==
        std::vector<std::pair<std::string, std::string>>{{kNord + "vm-l", "de-fra-1"}});
  CHECK(resolution.answers(2).monthly_price() == Approx(0.129 * 730));
  CHECK(resolution.answers(2).score() == Approx(18.50 / (0.129 * 730)));
  f.index.set_facts(kNord + "provider", nordwolke_facts());
  CHECK_FALSE(resolve(f.index, *manifest, facts, {}).satisfiable());
}

// ---- Prerequisites read only verified consumer facts --------------------------------------

TEST_CASE("prerequisites: a stated country without a verified country is refused") {
  Federation f;
  // The web shop manifest states gx:countryCode "NL"; trust has verified only the identity
  // and Gaia-X compliance, not the country.
  auto manifest = f.read_example("consumer-web-shop.ttl");
  std::vector<Fact> facts = consumer_facts(kTulp + "consumer", "", true);
  v1::Resolution resolution = resolve(f.index, *manifest, facts, {});

  const v1::ProviderRefusal* nordwolke = nullptr;
  const v1::ProviderRefusal* hexacloud = nullptr;
  for (const auto& refusal : resolution.refusals()) {
    if (refusal.provider_id() == "nordwolke") nordwolke = &refusal;
    if (refusal.provider_id() == "hexacloud" && refusal.scope() == "provider") hexacloud = &refusal;
    CHECK(refusal.provider_id() != "polderstack");  // asks for legal identity only
  }
  REQUIRE(nordwolke != nullptr);
  CHECK(nordwolke->scope() == "provider");
  CHECK(nordwolke->prerequisite() == kNord + "prereq-eu-eea");
  CHECK(nordwolke->label() == "Established in the EU or EEA");
  CHECK(nordwolke->provider() == kNord + "provider");
  REQUIRE(nordwolke->failures_size() == 1);
  CHECK(nordwolke->failures(0).constraint() == "sh:MinCountConstraintComponent");
  CHECK(nordwolke->failures(0).path() == path_of("verifiedCountry"));
  REQUIRE(hexacloud != nullptr);
  CHECK(hexacloud->prerequisite() == kHex + "prereq-eu");

  // Every Nordwolke and Hexacloud candidate is refused; only Polderstack's remain.
  for (const auto& report : resolution.requirements()) {
    for (const auto& c : report.rejected()) {
      if (c.provider_id() != "polderstack" && c.reason() != "requirement_shape") {
        CHECK(c.reason() == "consumer_refused");
      }
    }
  }
  CHECK(report_of(resolution, kTulp + "app-servers").accepted() == 1);  // vm-img
  CHECK(report_of(resolution, kTulp + "database").accepted() == 1);     // pg-s
  CHECK(report_of(resolution, kTulp + "images").accepted() == 1);       // obj-500
  // vm-img is in Helsinki, pg-s in Amsterdam: no single country.
  CHECK_FALSE(resolution.satisfiable());

  // Every refusal is counted and grouped by what failed; explain_limit bounds the list.
  CHECK(resolution.refusals_total() == resolution.refusals_size());
  REQUIRE(resolution.refused_for_size() > 0);
  CHECK(resolution.refused_for(0).providers() >= 1);
  int nordwolke_country = 0;
  for (const auto& tally : resolution.refused_for()) {
    if (tally.path() == path_of("verifiedCountry")) nordwolke_country += tally.providers();
  }
  CHECK(nordwolke_country >= 1);
  ResolveOptions one;
  one.explain_limit = 1;
  v1::Resolution limited = resolve(f.index, *manifest, facts, one);
  CHECK(limited.refusals_size() == 1);
  CHECK(limited.refusals_total() == resolution.refusals_total());
  CHECK(limited.refusals_total() > 1);
  CHECK(limited.refusals(0).provider_id() == resolution.refusals(0).provider_id());

  // With the country verified, Nordwolke accepts the consumer again.
  v1::Resolution verified =
      resolve(f.index, *manifest, consumer_facts(kTulp + "consumer", "NL", true), {});
  for (const auto& refusal : verified.refusals()) CHECK(refusal.provider_id() != "nordwolke");
}

TEST_CASE("prerequisites: a memo across resolutions follows a provider that stops asking") {
  Federation f;
  auto manifest = f.read_example("consumer-web-shop.ttl");
  std::vector<Fact> facts = consumer_facts(kTulp + "consumer", "", true);
  PrerequisiteMemo memo;
  auto refused_by_nordwolke = [&](const v1::Resolution& resolution) {
    for (const auto& refusal : resolution.refusals()) {
      if (refusal.provider_id() == "nordwolke") return true;
    }
    return false;
  };
  CHECK(refused_by_nordwolke(resolve(f.index, *manifest, facts, {}, &memo)));
  CHECK(refused_by_nordwolke(resolve(f.index, *manifest, facts, {}, &memo)));
  // Nordwolke's manifest asking only for the legal identity (which the consumer has), put
  // several times: a new segment may stand where an old one stood, and what the memo holds
  // for that one must not serve.
  std::string without;
  std::istringstream lines(turtle_to_ntriples("ontology/examples/provider-nordwolke-de.ttl"));
  for (std::string line; std::getline(lines, line);) {
    bool eu_eea = line.find("consumerPrerequisite") != std::string::npos &&
                  line.find("prereq-eu-eea") != std::string::npos;
    if (!eu_eea) without += line + "\n";
  }
  for (int put = 0; put < 4; ++put) {
    REQUIRE(f.index.put_provider("nordwolke", without).is_ok());
    f.index.set_facts(kNord + "provider", nordwolke_facts());
    v1::Resolution remembered = resolve(f.index, *manifest, facts, {}, &memo);
    v1::Resolution fresh = resolve(f.index, *manifest, facts, {});
    CHECK_FALSE(refused_by_nordwolke(remembered));
    CHECK(remembered.SerializeAsString() == fresh.SerializeAsString());
  }
}

// ---- Currency ------------------------------------------------------------------------------

TEST_CASE("currency: a budget in USD rejects offerings priced in EUR") {
  Federation f;
  auto manifest =
      f.read(custom_manifest("[ sh:path mpli:offeringKind ; sh:hasValue mpli:ObjectStorage ]",
                             "; mpli:constraint [ a mpli:MonthlyBudget ; schema:maxPrice 100.00 ; "
                             "schema:priceCurrency \"USD\" ]"));
  CHECK(manifest->currency == "USD");
  v1::Resolution resolution =
      resolve(f.index, *manifest, consumer_facts("https://test.example/consumer", "DE", true), {});
  CHECK(resolution.currency() == "USD");
  CHECK_FALSE(resolution.satisfiable());
  const auto& report = resolution.requirements(0);
  CHECK(report.conforming() == 2);
  CHECK(report.accepted() == 0);
  REQUIRE(report.rejected_size() == 2);
  for (const auto& c : report.rejected()) {
    CHECK(c.reason() == "currency");
    REQUIRE(c.failures_size() == 1);
    CHECK(c.failures(0).constraint() == "mpli:Currency");
    CHECK(c.failures(0).value() == "\"EUR\"");
    CHECK(c.failures(0).message().find("priced in EUR; this resolution is in USD") !=
          std::string::npos);
  }
  REQUIRE(resolution.diagnosis().summary_size() == 1);
  CHECK(resolution.diagnosis().summary(0).find("2 are priced in another currency than USD") !=
        std::string::npos);
}

TEST_CASE("currency: an offering priced in USD is rejected from an EUR resolution") {
  Federation f;
  REQUIRE(f.index
              .put_provider("dollarcloud", R"(
<https://dollar.example/#p> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://w3id.org/mpli#Provider> .
<https://dollar.example/#p> <https://w3id.org/mpli#providerId> "dollarcloud" .
<https://dollar.example/#o> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://w3id.org/mpli#Offering> .
<https://dollar.example/#o> <https://w3id.org/mpli#provider> <https://dollar.example/#p> .
<https://dollar.example/#o> <https://w3id.org/mpli#offeringKind> <https://w3id.org/mpli#ObjectStorage> .
<https://dollar.example/#o> <https://w3id.org/mpli#price> _:price .
_:price <https://schema.org/price> "1.00"^^<http://www.w3.org/2001/XMLSchema#decimal> .
_:price <https://schema.org/priceCurrency> "USD" .
_:price <https://schema.org/unitCode> "MON" .
)")
              .is_ok());
  auto manifest =
      f.read(custom_manifest("[ sh:path mpli:offeringKind ; sh:hasValue mpli:ObjectStorage ]"));
  v1::Resolution resolution =
      resolve(f.index, *manifest, consumer_facts("https://test.example/consumer", "DE", true), {});
  CHECK(resolution.currency() == "EUR");
  const auto& report = resolution.requirements(0);
  CHECK(report.conforming() == 3);
  CHECK(report.accepted() == 2);
  const v1::RejectedCandidate* c = rejected_of(report, "https://dollar.example/#o");
  REQUIRE(c != nullptr);
  CHECK(c->reason() == "currency");
  CHECK(c->failures(0).value() == "\"USD\"");
}

// ---- Lint ----------------------------------------------------------------------------------

TEST_CASE("lint: a range without sh:minCount and a path nobody uses") {
  Federation f;
  auto manifest =
      f.read(custom_manifest("[ sh:path mpli:offeringKind ; sh:hasValue mpli:VirtualMachine ] , "
                             "[ sh:path mpli:vcpu ; sh:minInclusive 4 ] , "
                             "[ sh:path mpli:memoryGiB ; sh:minCount 1 ; sh:minInclusive 8 ] , "
                             "[ sh:path mpli:gpuCount ; sh:minCount 1 ]"));
  v1::Resolution resolution =
      resolve(f.index, *manifest, consumer_facts("https://test.example/consumer", "DE", true), {});
  std::vector<std::string> warnings;
  for (const auto& w : resolution.warnings()) {
    warnings.push_back(w.code() + " " + w.path());
    CHECK(w.requirement() == "https://test.example/r1");
    CHECK_FALSE(w.message().empty());
  }
  std::sort(warnings.begin(), warnings.end());
  CHECK(warnings == std::vector<std::string>{"range_without_min_count " + path_of("vcpu"),
                                             "unknown_path " + path_of("gpuCount")});
  for (const auto& w : resolution.warnings()) {
    if (w.code() == "range_without_min_count") {
      CHECK(w.message().find("sh:MinInclusiveConstraintComponent") != std::string::npos);
    }
  }
  // No offering states mpli:gpuCount, so nothing conforms.
  CHECK(resolution.requirements(0).conforming() == 0);
}

// ---- Manifest errors -----------------------------------------------------------------------

TEST_CASE("manifest errors: bad Turtle is MANIFEST_SYNTAX with line and column") {
  Federation f;
  auto manifest = f.reader->read(
      "@prefix mpli: <https://w3id.org/mpli#> .\n"
      "<https://test.example/m> a mpli:ConsumerManifest\n"
      "  mpli:consumer <https://test.example/c> .\n",
      f.index.terms());
  REQUIRE_FALSE(manifest.is_ok());
  const Status& status = manifest.status();
  CHECK(status.code() == StatusCode::kInvalidArgument);
  CHECK(status.details().at("reason") == "MANIFEST_SYNTAX");
  CHECK(status.details().at("domain") == "resolver");
  REQUIRE(status.details().count("line") == 1);
  REQUIRE(status.details().count("column") == 1);
  CHECK(status.details().at("line") == "3");
  CHECK(std::stoi(status.details().at("column")) > 0);
}

TEST_CASE("manifest errors: a quantity of 0 is MANIFEST_SHAPE with the violation") {
  Federation f;
  auto manifest = f.reader->read(
      custom_manifest("[ sh:path mpli:offeringKind ; sh:hasValue mpli:VirtualMachine ]", "", "0"),
      f.index.terms());
  REQUIRE_FALSE(manifest.is_ok());
  const Status& status = manifest.status();
  CHECK(status.code() == StatusCode::kInvalidArgument);
  CHECK(status.details().at("reason") == "MANIFEST_SHAPE");
  INFO(status.message());
  REQUIRE(status.violations().size() == 1);
  const Violation& v = status.violations().front();
  CHECK(v.path.find("quantity") != std::string::npos);
  CHECK(v.focus_node == "<https://test.example/r1>");
  CHECK(v.message.find("mpli:quantity") != std::string::npos);
}

// ---- check_offering: one candidate, checked as resolution checks it ------------------------

const Requirement& requirement_of(const ConsumerManifest& manifest, const std::string& iri) {
  for (const auto& r : manifest.requirements) {
    if (r.iri == iri) return r;
  }
  FAIL("no requirement " << iri);
  return manifest.requirements.front();
}

v1::CheckOfferingReply check(const Federation& f, const ConsumerManifest& manifest,
                             const std::vector<Fact>& facts, const std::string& requirement,
                             const std::string& offering) {
  auto ref = f.index.find_offering(offering);
  REQUIRE(ref);
  return check_offering(f.index, manifest, facts, requirement_of(manifest, requirement), *ref);
}

bool has_failure(const google::protobuf::RepeatedPtrField<v1::Failure>& failures,
                 const std::string& path, const std::string& constraint) {
  for (const auto& f : failures) {
    if (f.path() == path && f.constraint() == constraint) return true;
  }
  return false;
}

TEST_CASE("check_offering: the offering of the answer fits, with nothing to say") {
  Federation f;
  auto manifest = f.read_example("consumer-single-database.ttl");
  auto facts = consumer_facts(kApfel + "consumer", "DE", false);
  auto checked = check(f, *manifest, facts, kApfel + "database", kNord + "pg-m");
  CHECK(checked.fits());
  CHECK(checked.failures_size() == 0);
  CHECK(checked.refusals_size() == 0);
  CHECK(checked.reasons_size() == 0);
}

TEST_CASE(
    "check_offering: another provider's offering fails the requirement shape, every reason said") {
  Federation f;
  auto manifest = f.read_example("consumer-single-database.ttl");
  auto facts = consumer_facts(kApfel + "consumer", "DE", false);

  // Polderstack pg-s: too little storage and too few vCPUs (the resolution's two failures).
  auto pg_s = check(f, *manifest, facts, kApfel + "database", kPolder + "pg-s");
  CHECK_FALSE(pg_s.fits());
  CHECK(pg_s.failures_size() == 2);
  CHECK(has_failure(pg_s.failures(), path_of("storageGiB"), "sh:MinInclusiveConstraintComponent"));
  CHECK(has_failure(pg_s.failures(), path_of("vcpu"), "sh:MinInclusiveConstraintComponent"));
  CHECK(pg_s.refusals_size() == 0);  // Polderstack asks for a legal identity only
  REQUIRE(pg_s.reasons_size() == 2);
  for (int i = 0; i < 2; ++i) {
    CHECK(pg_s.reasons(i) == "offering " + kPolder + "pg-s does not satisfy 'Order database': " +
                                 pg_s.failures(i).message());
  }

  // Hexacloud pg-snc: over the price limit; a resolution stops there, check_offering also
  // says that the SecNumCloud scope refuses a consumer not established in France.
  auto snc = check(f, *manifest, facts, kApfel + "database", kHex + "pg-snc");
  CHECK_FALSE(snc.fits());
  REQUIRE(snc.failures_size() == 1);
  CHECK(snc.failures(0).path() == "(" + path_of("price") + "/<https://schema.org/price>)");
  CHECK(snc.failures(0).constraint() == "sh:MaxInclusiveConstraintComponent");
  REQUIRE(snc.refusals_size() >= 1);
  CHECK(snc.reasons_size() == snc.failures_size() + snc.refusals_size());
  bool scoped = false;
  for (const auto& reason : snc.reasons()) {
    scoped = scoped || reason.find("hexacloud refuses the consumer for offering " + kHex +
                                   "pg-snc (Established in France (SecNumCloud scope)): ") == 0;
  }
  CHECK(scoped);

  // An offering of another kind fails the kind the requirement asks for.
  auto vm = check(f, *manifest, facts, kApfel + "database", kNord + "vm-s");
  CHECK_FALSE(vm.fits());
  CHECK(has_failure(vm.failures(), path_of("offeringKind"), "sh:HasValueConstraintComponent"));
}

TEST_CASE(
    "check_offering: a conforming offering whose prerequisites the consumer fails is refused") {
  Federation f;
  auto manifest = f.read_example("consumer-web-shop.ttl");
  // The web shop's database: pg-snc conforms, but its SecNumCloud scope wants a French consumer.
  auto checked = check(f, *manifest, consumer_facts(kTulp + "consumer", "NL", true),
                       kTulp + "database", kHex + "pg-snc");
  CHECK_FALSE(checked.fits());
  CHECK(checked.failures_size() == 0);
  REQUIRE(checked.refusals_size() >= 1);
  CHECK(checked.refusals(0).constraint() == "sh:HasValueConstraintComponent");
  REQUIRE(checked.reasons_size() == checked.refusals_size());
  CHECK(checked.reasons(0) ==
        "hexacloud refuses the consumer for offering " + kHex +
            "pg-snc (Established in France (SecNumCloud scope)): " + checked.refusals(0).message());

  // Without a verified country, Nordwolke's provider-level prerequisite refuses it too.
  auto unverified = check(f, *manifest, consumer_facts(kTulp + "consumer", "", true),
                          kTulp + "database", kNord + "pg-m");
  CHECK_FALSE(unverified.fits());
  CHECK(unverified.failures_size() == 0);
  REQUIRE(unverified.refusals_size() == 1);
  CHECK(unverified.refusals(0).path() == path_of("verifiedCountry"));
  CHECK(unverified.reasons(0).find(
            "nordwolke refuses the consumer (Established in the EU or EEA): ") == 0);
  // The facts decide: with the country verified, the same offering fits.
  CHECK(check(f, *manifest, consumer_facts(kTulp + "consumer", "NL", true), kTulp + "database",
              kNord + "pg-m")
            .fits());
}

TEST_CASE("check_offering: the resolver's own rules, currency and price") {
  Federation f;
  auto manifest =
      f.read(custom_manifest("[ sh:path mpli:offeringKind ; sh:hasValue mpli:ObjectStorage ]",
                             "; mpli:constraint [ a mpli:MonthlyBudget ; schema:maxPrice 100.00 ; "
                             "schema:priceCurrency \"USD\" ]"));
  auto checked = check(f, *manifest, consumer_facts("https://test.example/consumer", "DE", true),
                       "https://test.example/r1", kNord + "s3-1t");
  CHECK_FALSE(checked.fits());
  REQUIRE(checked.failures_size() == 1);
  CHECK(checked.failures(0).constraint() == "mpli:Currency");
  CHECK(checked.failures(0).value() == "\"EUR\"");
  REQUIRE(checked.reasons_size() == 1);
  CHECK(checked.reasons(0).find("priced in EUR; this resolution is in USD") != std::string::npos);
}

// For every requirement and every offering of the index: check_offering fits exactly when the
// resolution accepts the candidate, and every explanation the resolution lists for a rejected
// candidate is among check_offering's.
void check_agrees_with_resolution(const Federation& f, const ConsumerManifest& manifest,
                                  const std::vector<Fact>& facts) {
  ResolveOptions everything;
  everything.explain_limit = 1000;  // every rejected candidate of the asked kind is listed
  everything.top_k = 100;
  v1::Resolution resolution = resolve(f.index, manifest, facts, everything);
  REQUIRE(resolution.requirements_size() == static_cast<int>(manifest.requirements.size()));
  size_t checks = 0;
  for (int r = 0; r < resolution.requirements_size(); ++r) {
    const v1::RequirementReport& report = resolution.requirements(r);
    const Requirement& requirement = manifest.requirements[static_cast<size_t>(r)];
    REQUIRE(report.requirement() == requirement.iri);
    int fitting = 0;
    int unlisted_misfits = 0;  // offerings of other kinds: counted, not listed
    for (const OfferingRef& ref : f.index.offerings()) {
      INFO(requirement.iri << " / " << ref.offering().iri);
      v1::CheckOfferingReply checked = check_offering(f.index, manifest, facts, requirement, ref);
      ++checks;
      CHECK(checked.fits() == (checked.failures_size() == 0 && checked.refusals_size() == 0));
      CHECK(checked.reasons_size() == checked.failures_size() + checked.refusals_size());
      const v1::RejectedCandidate* listed = rejected_of(report, std::string(ref.offering().iri));
      if (listed == nullptr) {
        (checked.fits() ? fitting : unlisted_misfits) += 1;
        continue;
      }
      CHECK_FALSE(checked.fits());
      std::set<std::string> said;
      for (const auto& x : checked.failures()) said.insert(x.SerializeAsString());
      for (const auto& x : checked.refusals()) said.insert(x.SerializeAsString());
      for (const auto& x : listed->failures()) {
        INFO(x.ShortDebugString());
        CHECK(said.count(x.SerializeAsString()) == 1);
      }
      bool shape_failed =
          std::any_of(checked.failures().begin(), checked.failures().end(),
                      [](const auto& x) { return x.constraint().rfind("sh:", 0) == 0; });
      CHECK(shape_failed == (listed->reason() == "requirement_shape"));
    }
    CHECK(fitting == report.accepted());
    CHECK(unlisted_misfits == report.rejected_total() - report.rejected_size());
  }
  for (const auto& answer : resolution.answers()) {
    for (const auto& a : answer.assignments()) {
      INFO(a.requirement() << " / " << a.offering());
      CHECK(check(f, manifest, facts, a.requirement(), a.offering()).fits());
    }
  }
  CHECK(checks == manifest.requirements.size() * f.index.offering_count());
}

TEST_CASE("check_offering agrees with resolution on every candidate of every example") {
  Federation f;
  SECTION("web shop, country verified") {
    check_agrees_with_resolution(f, *f.read_example("consumer-web-shop.ttl"),
                                 consumer_facts(kTulp + "consumer", "NL", true));
  }
  SECTION("web shop, country not verified") {
    check_agrees_with_resolution(f, *f.read_example("consumer-web-shop.ttl"),
                                 consumer_facts(kTulp + "consumer", "", true));
  }
  SECTION("single database") {
    check_agrees_with_resolution(f, *f.read_example("consumer-single-database.ttl"),
                                 consumer_facts(kApfel + "consumer", "DE", false));
  }
  SECTION("unservable") {
    check_agrees_with_resolution(f, *f.read_example("consumer-unservable.ttl"),
                                 consumer_facts(kLga + "consumer", "DE", false));
  }
  SECTION("a budget in another currency") {
    check_agrees_with_resolution(
        f,
        *f.read(custom_manifest("[ sh:path mpli:offeringKind ; sh:hasValue mpli:ObjectStorage ]",
                                "; mpli:constraint [ a mpli:MonthlyBudget ; schema:maxPrice "
                                "100.00 ; schema:priceCurrency \"USD\" ]")),
        consumer_facts("https://test.example/consumer", "DE", true));
  }
}

}  // namespace
}  // namespace mpli::resolver
