#include "services/discovery/domain/manifest_check.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <sstream>

#include "services/discovery/domain/errors.h"

using namespace mpli;
using namespace mpli::discovery;

namespace {
std::string read(const std::string& relative) {
  std::ifstream in(std::string(MPLI_SOURCE_DIR) + "/" + relative);
  REQUIRE(in);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::shared_ptr<const ManifestChecker> checker(ManifestLimits limits = {}) {
  auto loaded =
      ManifestChecker::load(std::string(MPLI_SOURCE_DIR) + "/ontology/shapes/manifest.ttl", limits,
                            builtin_kinds().value());
  REQUIRE(loaded.is_ok());
  return *loaded;
}

std::string replace_first(std::string text, const std::string& from, const std::string& to) {
  auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

ManifestProblem problem_of(const CheckOutcome& outcome) {
  REQUIRE(std::holds_alternative<ManifestProblem>(outcome));
  return std::get<ManifestProblem>(outcome);
}

const char* kExamples[] = {"ontology/examples/provider-hexacloud-fr.ttl",
                           "ontology/examples/provider-nordwolke-de.ttl",
                           "ontology/examples/provider-polderstack-nl.ttl"};
}  // namespace

TEST_CASE("every example provider manifest is accepted with its offerings read") {
  auto check = checker();
  for (const char* path : kExamples) {
    INFO(path);
    CheckOutcome outcome = check->check(read(path), "https://example.test/.well-known/mpli.ttl");
    if (auto* problem = std::get_if<ManifestProblem>(&outcome)) {
      FAIL(problem->message << (problem->violations.empty()
                                    ? ""
                                    : ": " + problem->violations[0].message));
    }
    const auto& accepted = std::get<AcceptedManifest>(outcome);
    CHECK_FALSE(accepted.summary.provider_id.empty());
    CHECK_FALSE(accepted.summary.provider_country.empty());
    REQUIRE_FALSE(accepted.summary.offerings.empty());
    for (const auto& o : accepted.summary.offerings) {
      INFO(o.id);
      CHECK_FALSE(o.kind.empty());
      CHECK_FALSE(o.countries.empty());
      CHECK(o.content_hash.size() == 64);
      CHECK_FALSE(o.ntriples.empty());
    }
  }
}

TEST_CASE("the Hexacloud manifest yields the facts the catalogue filters on") {
  CheckOutcome outcome =
      checker()->check(read(kExamples[0]), "https://hexacloud.example/.well-known/mpli.ttl");
  REQUIRE(std::holds_alternative<AcceptedManifest>(outcome));
  const auto& summary = std::get<AcceptedManifest>(outcome).summary;
  CHECK(summary.provider_id == "hexacloud");
  CHECK(summary.provider_country == "FR");
  const OfferingRecord* pg = nullptr;
  for (const auto& o : summary.offerings) {
    if (o.id == "https://hexacloud.example/.well-known/mpli.ttl#pg-snc") pg = &o;
  }
  REQUIRE(pg != nullptr);
  CHECK(pg->kind == "ManagedPostgreSQL");
  CHECK(pg->vcpu == 8);
  CHECK(pg->memory_gib == 32);
  CHECK(pg->regions == std::vector<std::string>{"fr-par-1"});
  CHECK(pg->countries == std::vector<std::string>{"FR"});
  const OfferingRecord* vm = nullptr;
  for (const auto& o : summary.offerings) {
    if (o.id == "https://hexacloud.example/.well-known/mpli.ttl#vm-4") vm = &o;
  }
  REQUIRE(vm != nullptr);
  CHECK(vm->regions == std::vector<std::string>{"fr-par-1", "fr-sxb-1"});  // sold in both
  CHECK(pg->price_amount == 690.0);
  CHECK(pg->price_currency == "EUR");
  CHECK(pg->availability_percent == 99.99);
  // Covered by the SecNumCloud and EUCS claims, plus the provider-wide ISO 27001 claim.
  CHECK(pg->certifications == std::vector<std::string>{"EUCSHigh", "ISO27001", "SecNumCloud"});
}

TEST_CASE("the manifest's credential pointers are read with the claims they prove") {
  CheckOutcome outcome =
      checker()->check(read(kExamples[0]), "https://hexacloud.example/.well-known/mpli.ttl");
  REQUIRE(std::holds_alternative<AcceptedManifest>(outcome));
  const auto& summary = std::get<AcceptedManifest>(outcome).summary;
  std::string base = "https://hexacloud.example/.well-known/";
  CHECK(summary.provider_iri == base + "mpli.ttl#provider");
  CHECK(summary.provider_domain == "hexacloud.example");
  std::map<std::string, const CredentialPointer*> by_url;
  for (const auto& pointer : summary.credentials) by_url[pointer.url] = &pointer;
  REQUIRE(by_url.size() == 5);
  const auto* legal = by_url.at(base + "vc/legal-person.jwt");
  CHECK(legal->claim == "party");
  CHECK(legal->subject == summary.provider_iri);
  const auto* snc = by_url.at(base + "vc/secnumcloud.jwt");
  CHECK(snc->claim == "certification");
  CHECK(snc->subject == summary.provider_iri);
  CHECK(snc->standard == "https://w3id.org/mpli#SecNumCloud");
  CHECK(snc->covers == std::vector<std::string>{base + "mpli.ttl#pg-snc"});
  CHECK(by_url.at(base + "vc/iso27001.jwt")->covers.empty());  // the whole provider
  const auto* sla = by_url.at(base + "vc/sla-pg-snc.jwt");
  CHECK(sla->claim == "service_level");
  CHECK(sla->subject == base + "mpli.ttl#pg-snc");
  REQUIRE(sla->availability_percent.has_value());
  CHECK(*sla->availability_percent == 99.99);
}

TEST_CASE("a certification claim may name any scheme's IRI, not only the known ones") {
  std::string text = replace_first(read(kExamples[0]), "mpli:standard mpli:ISO27001 ;",
                                   "mpli:standard <https://example.org/schemes/TISAX> ;");
  CheckOutcome outcome = checker()->check(text, "https://hexacloud.example/.well-known/mpli.ttl");
  if (auto* problem = std::get_if<ManifestProblem>(&outcome)) FAIL(problem->message);
  std::string literal = replace_first(read(kExamples[0]), "mpli:standard mpli:ISO27001 ;",
                                      "mpli:standard \"ISO 27001\" ;");
  auto refused = problem_of(checker()->check(literal, "https://hexacloud.example/m.ttl"));
  CHECK(refused.reason == v1::MANIFEST_SHAPE);
}

TEST_CASE("the same manifest parsed twice gives the same hashes and a changed price changes one") {
  std::string text = read(kExamples[0]);
  auto check = checker();
  auto a = std::get<AcceptedManifest>(check->check(text, "https://hexacloud.example/m.ttl"));
  auto b = std::get<AcceptedManifest>(check->check(text, "https://hexacloud.example/m.ttl"));
  REQUIRE(a.summary.offerings.size() == b.summary.offerings.size());
  for (size_t i = 0; i < a.summary.offerings.size(); ++i) {
    CHECK(a.summary.offerings[i].content_hash == b.summary.offerings[i].content_hash);
  }
  std::string changed = text;
  auto at = changed.find("690.00");
  REQUIRE(at != std::string::npos);
  changed.replace(at, 6, "720.00");
  auto c = std::get<AcceptedManifest>(check->check(changed, "https://hexacloud.example/m.ttl"));
  int differing = 0;
  for (size_t i = 0; i < a.summary.offerings.size(); ++i) {
    differing += a.summary.offerings[i].content_hash != c.summary.offerings[i].content_hash;
  }
  CHECK(differing == 1);
}

TEST_CASE("a syntax error is rejected with its line and column") {
  std::string text =
      "@prefix mpli: <https://w3id.org/mpli#> .\n<#p> a mpli:Provider ;\n  mpli:providerId \"x\" "
      "\"y\" .\n";
  CheckOutcome outcome = checker()->check(text, "upload");
  REQUIRE(std::holds_alternative<ManifestProblem>(outcome));
  const auto& problem = std::get<ManifestProblem>(outcome);
  CHECK(problem.reason == v1::MANIFEST_SYNTAX);
  CHECK(problem.line == 3);
  CHECK(problem.column > 0);
  CHECK(problem.message.find("upload:3:") == 0);
}

TEST_CASE("a manifest that breaks the shapes is rejected with every violation") {
  std::string text = read(kExamples[0]);
  // Remove the provider id: the manifest shapes require exactly one.
  auto at = text.find("mpli:providerId \"hexacloud\" ;");
  REQUIRE(at != std::string::npos);
  text.erase(at, std::string("mpli:providerId \"hexacloud\" ;").size());
  CheckOutcome outcome = checker()->check(text, "https://hexacloud.example/m.ttl");
  REQUIRE(std::holds_alternative<ManifestProblem>(outcome));
  const auto& problem = std::get<ManifestProblem>(outcome);
  CHECK(problem.reason == v1::MANIFEST_SHAPE);
  REQUIRE_FALSE(problem.violations.empty());
  bool names_provider_id = false;
  for (const auto& v : problem.violations) {
    if (v.path.find("providerId") != std::string::npos) names_provider_id = true;
    CHECK_FALSE(v.constraint.empty());
    CHECK_FALSE(v.focus_node.empty());
    CHECK_FALSE(v.message.empty());
  }
  CHECK(names_provider_id);
}

TEST_CASE("a manifest over the byte limit is refused before it is parsed") {
  std::string text = read(kExamples[1]);
  ManifestLimits limits;
  limits.max_bytes = text.size() - 1;
  const auto& problem = problem_of(checker(limits)->check(text, "upload"));
  CHECK(problem.reason == v1::MANIFEST_TOO_LARGE);
  CHECK(problem.message.find("manifest.max_bytes") != std::string::npos);
  Status status = problem_status(problem);
  CHECK(status.code() == StatusCode::kTooLarge);
  CHECK(reason_of(status) == v1::MANIFEST_TOO_LARGE);
  limits.max_bytes = text.size();
  CHECK(std::holds_alternative<AcceptedManifest>(checker(limits)->check(text, "upload")));
}

TEST_CASE("a manifest over the triple limit is refused as too large") {
  std::string text = read(kExamples[1]);
  ManifestLimits limits;
  limits.max_triples = 100;
  const auto& problem = problem_of(checker(limits)->check(text, "upload"));
  CHECK(problem.reason == v1::MANIFEST_TOO_LARGE);
  CHECK(problem.message.find("manifest.max_triples") != std::string::npos);
}

TEST_CASE("an absurdly long literal anywhere in a manifest is refused as too large") {
  // An extra triple no shape looks at: only the term limit stands in its way.
  std::string text = read(kExamples[1]) + "\n<#note> <https://example.org/says> \"" +
                     std::string(70 * 1024, 'x') + "\" .\n";
  const auto& problem = problem_of(checker()->check(text, "upload"));
  CHECK(problem.reason == v1::MANIFEST_TOO_LARGE);
  CHECK(problem.message.find("a literal of 71680 bytes") != std::string::npos);
}

TEST_CASE("names and descriptions longer than the shapes allow are shape violations") {
  std::string base = read(kExamples[1]);
  std::string long_name = replace_first(base, "schema:name \"Nordwolke Managed PostgreSQL M\"",
                                        "schema:name \"" + std::string(201, 'n') + "\"");
  const auto& name_problem = problem_of(checker()->check(long_name, "upload"));
  CHECK(name_problem.reason == v1::MANIFEST_SHAPE);
  REQUIRE(name_problem.violations.size() == 1);
  CHECK(name_problem.violations[0].constraint.find("MaxLength") != std::string::npos);
  CHECK(name_problem.violations[0].message.find("200 characters") != std::string::npos);

  std::string exactly = replace_first(base, "schema:name \"Nordwolke Managed PostgreSQL M\"",
                                      "schema:name \"" + std::string(200, 'n') + "\"");
  CHECK(std::holds_alternative<AcceptedManifest>(checker()->check(exactly, "upload")));

  std::string long_description = replace_first(base, "schema:description \"",
                                               "schema:description \"" + std::string(4001, 'd'));
  const auto& description_problem = problem_of(checker()->check(long_description, "upload"));
  CHECK(description_problem.reason == v1::MANIFEST_SHAPE);
  CHECK(description_problem.violations[0].message.find("4000 characters") != std::string::npos);
}

TEST_CASE("hourly prices are read with their monthly equivalent") {
  auto accepted = std::get<AcceptedManifest>(checker()->check(read(kExamples[1]), "upload"));
  const OfferingRecord* vm = nullptr;
  for (const auto& o : accepted.summary.offerings) {
    if (o.price_unit == "HUR") vm = &o;
  }
  REQUIRE(vm != nullptr);
  CHECK(vm->price_amount == Approx(0.129));
  REQUIRE(vm->monthly_price.has_value());
  CHECK(*vm->monthly_price == Approx(0.129 * 730));
}

TEST_CASE("a rejected manifest becomes a typed error with its position") {
  Status status =
      problem_status(ManifestProblem{v1::MANIFEST_SYNTAX, "upload:3:7: bad", 3, 7, {}, {}});
  CHECK(status.code() == StatusCode::kInvalidArgument);
  CHECK(reason_of(status) == v1::MANIFEST_SYNTAX);
  CHECK(status.detail("line") == "3");
  CHECK(status.detail("column") == "7");
  CHECK(status.detail("problem").empty());  // no free strings for callers to pattern-match
}
