#include "services/discovery/domain/manifest_check.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

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

std::shared_ptr<const ManifestChecker> checker() {
  auto loaded = ManifestChecker::load(std::string(MPLI_SOURCE_DIR) + "/ontology/shapes/manifest.ttl");
  REQUIRE(loaded.is_ok());
  return *loaded;
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
      FAIL(problem->message << (problem->violations.empty() ? "" : ": " + problem->violations[0].message));
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
  CheckOutcome outcome = checker()->check(read(kExamples[0]), "https://hexacloud.example/.well-known/mpli.ttl");
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
  std::string text = "@prefix mpli: <https://w3id.org/mpli#> .\n<#p> a mpli:Provider ;\n  mpli:providerId \"x\" \"y\" .\n";
  CheckOutcome outcome = checker()->check(text, "upload");
  REQUIRE(std::holds_alternative<ManifestProblem>(outcome));
  const auto& problem = std::get<ManifestProblem>(outcome);
  CHECK(problem.reason == "syntax");
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
  CHECK(problem.reason == "shape");
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
