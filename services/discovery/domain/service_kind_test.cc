#include "services/discovery/domain/service_kind.h"

#include <catch2/catch.hpp>

#include "libs/testing/environment.h"
#include "services/discovery/domain/errors.h"
#include "services/discovery/domain/manifest_check.h"

using namespace mpli;
using namespace mpli::discovery;

namespace {

using testing::read_example;
using testing::replace_first;

// A kind written for these tests, in a namespace of its own: nothing in the hub names it.
const std::string kTelescope = R"(@prefix mpli: <https://w3id.org/mpli#> .
@prefix tel:  <https://example.org/kinds/telescope#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix sh:   <http://www.w3.org/ns/shacl#> .
@prefix xsd:  <http://www.w3.org/2001/XMLSchema#> .

tel:TelescopeTime a mpli:OfferingKind ;
    rdfs:label "telescope time"@en ;
    mpli:kindVersion 1 ;
    mpli:kindShape tel:TelescopeTimeShape .

tel:TelescopeTimeShape a sh:NodeShape ;
    sh:property [
        sh:path tel:apertureMetres ;
        sh:datatype xsd:decimal ; sh:minCount 1 ; sh:maxCount 1 ; sh:minInclusive 0.1 ;
        mpli:unit "metres" ; mpli:filterable true ;
        sh:message "A telescope offering states its tel:apertureMetres." ;
    ] , [
        sh:path tel:site ;
        sh:datatype xsd:string ; sh:maxCount 1 ; mpli:filterable true ;
    ] .
)";

ServiceKind telescope(const std::string& text = kTelescope) {
  auto kind = read_service_kind(text, "telescope.ttl");
  if (!kind) FAIL(kind.status().to_string());
  return *kind;
}

std::map<std::string, ServiceKind> by_iri(const std::vector<ServiceKind>& kinds) {
  std::map<std::string, ServiceKind> out;
  for (const auto& kind : kinds) out[kind.iri] = kind;
  return out;
}

}  // namespace

TEST_CASE("the built-in kinds are the four the hub was born with, each read whole") {
  auto kinds = builtin_kinds();
  REQUIRE(kinds.is_ok());
  std::set<std::string> names;
  for (const auto& kind : *kinds) {
    INFO(kind.iri);
    names.insert(kind.name);
    CHECK(kind.version >= 1);
    CHECK_FALSE(kind.label.empty());
    CHECK_FALSE(kind.properties.empty());
    CHECK(kind.provenance.rfind("built-in (ontology/kinds/", 0) == 0);
  }
  for (const char* name : {"VirtualMachine", "ManagedPostgreSQL", "ObjectStorage", "Kubernetes"}) {
    CHECK(names.count(name) == 1);
  }
  auto vm = std::find_if(kinds->begin(), kinds->end(),
                         [](const ServiceKind& k) { return k.name == "VirtualMachine"; });
  REQUIRE(vm != kinds->end());
  const KindProperty* vcpu = vm->property_named("vcpu");
  REQUIRE(vcpu != nullptr);
  CHECK(vcpu->required);
  CHECK(vcpu->filterable);
  CHECK(vcpu->numeric());
  CHECK(vcpu->unit == "virtual CPUs");
  CHECK(vcpu->max_inclusive == 4096);
}

TEST_CASE("a kind vocabulary is read with its properties") {
  ServiceKind kind = telescope();
  CHECK(kind.iri == "https://example.org/kinds/telescope#TelescopeTime");
  CHECK(kind.name == "TelescopeTime");
  CHECK(kind.label == "telescope time");
  CHECK(kind.version == 1);
  CHECK(kind.shape_iri == "https://example.org/kinds/telescope#TelescopeTimeShape");
  REQUIRE(kind.properties.size() == 2);
  CHECK(kind.properties[0].name == "apertureMetres");
  CHECK(kind.properties[0].required);
  CHECK(kind.properties[0].min_inclusive == 0.1);
  CHECK(kind.properties[1].name == "site");
  CHECK_FALSE(kind.properties[1].required);
  CHECK_FALSE(kind.properties[1].numeric());
  CHECK(std::count(kind.defined_iris.begin(), kind.defined_iris.end(), kind.iri) == 1);
}

TEST_CASE("a kind vocabulary that does not parse is refused with its line and column") {
  auto kind = read_service_kind(
      replace_first(kTelescope, "mpli:kindVersion 1 ;", "mpli:kindVersion"), "telescope.ttl");
  REQUIRE_FALSE(kind.is_ok());
  CHECK(reason_of(kind.status()) == v1::KIND_SYNTAX);
  CHECK(kind.status().detail("line") == "10");  // where the statement turned bad
  CHECK_FALSE(kind.status().detail("column").empty());
}

TEST_CASE("a kind vocabulary that breaks the rules is refused naming each problem and its line") {
  SECTION("no version") {
    auto kind = read_service_kind(replace_first(kTelescope, "mpli:kindVersion 1 ;", ""), "t.ttl");
    REQUIRE_FALSE(kind.is_ok());
    CHECK(reason_of(kind.status()) == v1::KIND_INVALID);
    REQUIRE(kind.status().violations().size() == 1);
    CHECK(kind.status().violations()[0].message.find("mpli:kindVersion") != std::string::npos);
    CHECK(kind.status().violations()[0].line == 7);
  }
  SECTION("a version that is not a positive integer") {
    auto kind = read_service_kind(
        replace_first(kTelescope, "mpli:kindVersion 1 ;", "mpli:kindVersion 1.5 ;"), "t.ttl");
    REQUIRE_FALSE(kind.is_ok());
    CHECK(reason_of(kind.status()) == v1::KIND_INVALID);
  }
  SECTION("a targeted shape") {
    auto kind = read_service_kind(
        replace_first(kTelescope, "tel:TelescopeTimeShape a sh:NodeShape ;",
                      "tel:TelescopeTimeShape a sh:NodeShape ; sh:targetClass mpli:Offering ;"),
        "t.ttl");
    REQUIRE_FALSE(kind.is_ok());
    REQUIRE(kind.status().violations().size() == 1);
    CHECK(kind.status().violations()[0].message.find("no targets") != std::string::npos);
    CHECK(kind.status().violations()[0].line == 12);
  }
  SECTION("no kind node") {
    auto kind = read_service_kind(
        replace_first(kTelescope, "a mpli:OfferingKind", "a mpli:SomethingElse"), "t.ttl");
    REQUIRE_FALSE(kind.is_ok());
    CHECK(kind.status().message().find("exactly one kind") != std::string::npos);
  }
  SECTION("a kind shape that is not described") {
    auto kind = read_service_kind(replace_first(kTelescope, "mpli:kindShape tel:TelescopeTimeShape",
                                                "mpli:kindShape tel:Elsewhere"),
                                  "t.ttl");
    REQUIRE_FALSE(kind.is_ok());
    CHECK(kind.status().message().find("sh:NodeShape") != std::string::npos);
  }
  SECTION("a filterable property the catalogue cannot index") {
    auto kind = read_service_kind(
        replace_first(kTelescope, "sh:datatype xsd:string ; sh:maxCount 1 ; mpli:filterable true",
                      "sh:nodeKind sh:IRI ; mpli:filterable true"),
        "t.ttl");
    REQUIRE_FALSE(kind.is_ok());
    CHECK(kind.status().message().find("needs a sh:datatype") != std::string::npos);
  }
  SECTION("shapes that do not compile") {
    auto kind = read_service_kind(replace_first(kTelescope, "sh:maxCount 1 ; sh:minInclusive",
                                                "sh:maxCount \"one\" ; sh:minInclusive"),
                                  "t.ttl");
    REQUIRE_FALSE(kind.is_ok());
    CHECK(kind.status().message().find("do not compile") != std::string::npos);
  }
}

TEST_CASE("breaking changes are named one by one and additions are not breaking") {
  ServiceKind v1 = telescope();
  SECTION("an optional property added and a range widened: compatible") {
    std::string wider = replace_first(kTelescope, "sh:minInclusive 0.1", "sh:minInclusive 0.05");
    wider =
        replace_first(wider, "    ] .", "    ] , [ sh:path tel:mount ; sh:datatype xsd:string ] .");
    CHECK(breaking_changes(v1, telescope(wider)).empty());
  }
  SECTION("a new required property") {
    auto changes = breaking_changes(
        v1, telescope(replace_first(kTelescope, "    ] .",
                                    "    ] , [ sh:path tel:mount ; sh:minCount 1 ] .")));
    REQUIRE(changes.size() == 1);
    CHECK(changes[0] ==
          "https://example.org/kinds/telescope#mount: a new required property (sh:minCount 1)");
  }
  SECTION("a narrowed range, a changed datatype and a lower sh:maxCount") {
    std::string narrowed = replace_first(kTelescope, "sh:minInclusive 0.1", "sh:minInclusive 0.5");
    narrowed = replace_first(narrowed, "sh:datatype xsd:string ; sh:maxCount 1",
                             "sh:datatype xsd:integer ; sh:maxCount 0");
    auto changes = breaking_changes(v1, telescope(narrowed));
    REQUIRE(changes.size() == 3);
    CHECK(changes[0] ==
          "https://example.org/kinds/telescope#apertureMetres: sh:minInclusive raised from 0.1 "
          "to 0.5");
    CHECK(changes[1].find("sh:datatype changed") != std::string::npos);
    CHECK(changes[2].find("sh:maxCount lowered from 1 to 0") != std::string::npos);
  }
}

TEST_CASE("registering a kind: created, new version, unchanged, compatible update, or refused") {
  ServiceKind v1 = telescope();
  auto builtins = builtin_kinds().value();
  auto current = by_iri(builtins);
  CHECK(plan_kind_registration(current, v1).value() == KindRegistration::kCreated);
  current[v1.iri] = v1;
  CHECK(plan_kind_registration(current, v1).value() == KindRegistration::kUnchanged);

  std::string optional_added = replace_first(
      kTelescope, "    ] .", "    ] , [ sh:path tel:mount ; sh:datatype xsd:string ] .");
  CHECK(plan_kind_registration(current, telescope(optional_added)).value() ==
        KindRegistration::kUpdated);

  std::string breaking = replace_first(kTelescope, "sh:minInclusive 0.1", "sh:minInclusive 1");
  auto refused = plan_kind_registration(current, telescope(breaking));
  REQUIRE_FALSE(refused.is_ok());
  CHECK(refused.status().code() == StatusCode::kConflict);
  CHECK(reason_of(refused.status()) == v1::KIND_CONFLICT);
  CHECK(refused.status().message().find("sh:minInclusive raised from 0.1 to 1") !=
        std::string::npos);
  CHECK(refused.status().message().find("register it as mpli:kindVersion 2") != std::string::npos);

  std::string version_2 = replace_first(breaking, "mpli:kindVersion 1", "mpli:kindVersion 2");
  CHECK(plan_kind_registration(current, telescope(version_2)).value() ==
        KindRegistration::kNewVersion);
  current[v1.iri] = telescope(version_2);
  auto older = plan_kind_registration(current, v1);
  REQUIRE_FALSE(older.is_ok());
  CHECK(older.status().message().find("is older") != std::string::npos);

  // A vocabulary may not describe what another kind's vocabulary describes.
  std::string clash = replace_first(kTelescope, "tel:TelescopeTime a mpli:OfferingKind",
                                    "mpli:VirtualMachine rdfs:label \"mine\" .\n"
                                    "tel:TelescopeTime a mpli:OfferingKind");
  auto clashed = plan_kind_registration(by_iri(builtins), telescope(clash));
  REQUIRE_FALSE(clashed.is_ok());
  CHECK(clashed.status().message().find("https://w3id.org/mpli#VirtualMachine is described by") !=
        std::string::npos);

  // Names are filters: another kind's name, or a filterable property named like another
  // kind's but with another IRI, is refused; the same IRI is a reuse.
  auto renamed = plan_kind_registration(
      by_iri(builtins),
      telescope(replace_first(kTelescope, "tel:TelescopeTime a", "tel:GpuInstance a")));
  REQUIRE_FALSE(renamed.is_ok());
  CHECK(renamed.status().message().find("has the name 'GpuInstance'") != std::string::npos);
  auto shadow = plan_kind_registration(
      by_iri(builtins),
      telescope(replace_first(kTelescope, "sh:path tel:site", "sh:path tel:vcpu")));
  REQUIRE_FALSE(shadow.is_ok());
  CHECK(shadow.status().message().find("the property name 'vcpu'") != std::string::npos);
  auto reuse = plan_kind_registration(
      by_iri(builtins),
      telescope(replace_first(replace_first(kTelescope, "sh:path tel:site", "sh:path mpli:vcpu"),
                              "sh:datatype xsd:string ; sh:maxCount 1",
                              "sh:datatype xsd:integer ; sh:maxCount 1")));
  CHECK(reuse.is_ok());
}

TEST_CASE("a filterable property may not take a name the catalogue's query uses") {
  for (const char* name : {"kind", "max_price", "min_gpus"}) {
    INFO(name);
    auto kind = read_service_kind(
        replace_first(kTelescope, "sh:path tel:site", std::string("sh:path tel:") + name), "t.ttl");
    REQUIRE_FALSE(kind.is_ok());
    CHECK(kind.status().message().find("is a query parameter of the catalogue") !=
          std::string::npos);
  }
}

TEST_CASE("offerings are checked against their kind's shape and unknown kinds are unclassified") {
  auto kinds = builtin_kinds().value();
  auto checker = ManifestChecker::load(
      std::string(MPLI_SOURCE_DIR) + "/ontology/shapes/manifest.ttl", {}, kinds);
  REQUIRE(checker.is_ok());
  std::string manifest = read_example("provider-nordwolke-de.ttl");

  SECTION("a known kind's rule broken: refused with the kind's message") {
    std::string broken = replace_first(manifest, "mpli:vcpu ", "mpli:vcpuCount ");
    CheckOutcome outcome = (*checker)->check(broken, "upload");
    REQUIRE(std::holds_alternative<ManifestProblem>(outcome));
    const auto& problem = std::get<ManifestProblem>(outcome);
    REQUIRE(problem.violations.size() == 1);
    CHECK(problem.violations[0].message.find("states its mpli:vcpu") != std::string::npos);
    CHECK(problem.violations[0].line > 0);
  }
  SECTION("an unknown kind: accepted, unclassified, with a warning") {
    std::string unknown = replace_first(manifest, "mpli:offeringKind mpli:ObjectStorage",
                                        "mpli:offeringKind <https://example.org/kinds/x#Vault>");
    CheckOutcome outcome = (*checker)->check(unknown, "upload");
    REQUIRE(std::holds_alternative<AcceptedManifest>(outcome));
    const auto& accepted = std::get<AcceptedManifest>(outcome);
    REQUIRE(accepted.warnings.size() == 1);
    CHECK(accepted.warnings[0].message.find("unclassified") != std::string::npos);
    int unclassified = 0;
    for (const auto& o : accepted.summary.offerings) {
      if (o.kind_iri == "https://example.org/kinds/x#Vault") {
        ++unclassified;
        CHECK(o.kind_version == 0);
        CHECK(o.properties.empty());
      } else {
        CHECK(o.kind_version >= 1);
      }
    }
    CHECK(unclassified == 1);

    // Registered, the same text classifies it and its hash moves (a changed offering).
    auto classified = (*checker)->with_kinds(kinds);
    REQUIRE(classified.is_ok());
    CheckOutcome before = (*checker)->check(unknown, "upload");
    CHECK(std::get<AcceptedManifest>(before).summary.offerings.size() ==
          accepted.summary.offerings.size());
  }
  SECTION("filterable properties are read as numbers and text") {
    CheckOutcome outcome = (*checker)->check(manifest, "upload");
    REQUIRE(std::holds_alternative<AcceptedManifest>(outcome));
    bool saw_vcpu = false;
    for (const auto& o : std::get<AcceptedManifest>(outcome).summary.offerings) {
      for (const auto& p : o.properties) {
        if (p.name == "vcpu") {
          saw_vcpu = true;
          REQUIRE(p.number.has_value());
          CHECK(*p.number == static_cast<double>(o.vcpu));
        }
      }
    }
    CHECK(saw_vcpu);
  }
}

TEST_CASE("a kind registered at run time classifies its offerings and checks them") {
  auto kinds = builtin_kinds().value();
  auto without = ManifestChecker::load(
      std::string(MPLI_SOURCE_DIR) + "/ontology/shapes/manifest.ttl", {}, kinds);
  REQUIRE(without.is_ok());
  kinds.push_back(telescope());
  auto with = (*without)->with_kinds(kinds);
  REQUIRE(with.is_ok());
  std::string manifest = replace_first(
      read_example("provider-nordwolke-de.ttl"), "mpli:offeringKind mpli:ObjectStorage ;",
      "mpli:offeringKind <https://example.org/kinds/telescope#TelescopeTime> ;\n"
      "    <https://example.org/kinds/telescope#apertureMetres> 2.5 ;");

  auto unclassified = std::get<AcceptedManifest>((*without)->check(manifest, "upload"));
  auto classified = std::get<AcceptedManifest>((*with)->check(manifest, "upload"));
  REQUIRE(unclassified.summary.offerings.size() == classified.summary.offerings.size());
  bool found = false;
  for (size_t i = 0; i < classified.summary.offerings.size(); ++i) {
    const auto& after = classified.summary.offerings[i];
    if (after.kind_iri != "https://example.org/kinds/telescope#TelescopeTime") continue;
    found = true;
    CHECK(unclassified.summary.offerings[i].kind_version == 0);
    CHECK(after.kind_version == 1);
    CHECK(after.content_hash != unclassified.summary.offerings[i].content_hash);
    REQUIRE(after.properties.size() == 1);
    CHECK(after.properties[0].name == "apertureMetres");
    CHECK(after.properties[0].number == 2.5);
  }
  CHECK(found);

  // Without the required property, the registered kind refuses the offering.
  std::string missing =
      replace_first(manifest, "    <https://example.org/kinds/telescope#apertureMetres> 2.5 ;", "");
  CheckOutcome refused = (*with)->check(missing, "upload");
  REQUIRE(std::holds_alternative<ManifestProblem>(refused));
  CHECK(std::get<ManifestProblem>(refused).violations.at(0).message ==
        "A telescope offering states its tel:apertureMetres.");
}
