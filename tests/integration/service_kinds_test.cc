// Service kinds as data, end to end (issue 17): a kind of service written in this test, one the
// hub's code has never heard of, is registered at run time through the gateway; an offering of
// it published before is classified (event observed), the catalogue filters on its properties
// and the resolver answers a requirement on them. A breaking change under the same version is
// refused with a 409 naming it. Real nats-server, PostgreSQL, discovery, trust, resolver and
// gateway.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <thread>

#include "libs/testing/environment.h"
#include "libs/testing/tokens.h"
#include "mpli/discovery/v1/discovery.pb.h"
#include "tests/integration/discovery_hub.h"

using namespace mpli;
using namespace std::chrono_literals;
using fixture::Hub;
using nlohmann::json;

namespace {

using testing::read_example;
using testing::replace_first;

// Quantum annealer time: a kind invented here, in a namespace of its own.
const std::string kAnnealer = R"(@prefix mpli: <https://w3id.org/mpli#> .
@prefix qa:   <https://kinds.example.org/annealer#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix sh:   <http://www.w3.org/ns/shacl#> .
@prefix xsd:  <http://www.w3.org/2001/XMLSchema#> .

qa:AnnealerTime a mpli:OfferingKind ;
    rdfs:label "quantum annealer time"@en ;
    rdfs:comment "Time on a quantum annealer, by the minute."@en ;
    mpli:kindVersion 1 ;
    mpli:kindShape qa:AnnealerTimeShape .

qa:AnnealerTimeShape a sh:NodeShape ;
    sh:property [
        sh:path qa:qubits ; sh:name "qubits" ;
        sh:datatype xsd:integer ; sh:minCount 1 ; sh:maxCount 1 ; sh:minInclusive 1 ;
        mpli:filterable true ;
        sh:message "An annealer offering states its qa:qubits: one positive integer." ;
    ] , [
        sh:path qa:topology ; sh:name "topology" ;
        sh:datatype xsd:string ; sh:maxCount 1 ; sh:in ( "Pegasus" "Zephyr" ) ;
        mpli:filterable true ;
    ] .
)";

const std::string kOffering = "https://polderstack.example/.well-known/mpli.ttl#anneal-5k";
const std::string kOfferingPath =
    "/v1/offerings/"
    "https%3A%2F%2Fpolderstack.example%2F.well-known%2Fmpli.ttl%23anneal-5k";

// Polderstack's manifest with one more offering: annealer time, of the kind above. Without its
// consumer prerequisite (a verified legal identity): this test is about the kind.
std::string manifest_with_annealer(const std::string& properties) {
  std::string manifest = replace_first(read_example("provider-polderstack-nl.ttl"),
                                       "<#cert-eucs-basic> ;\n    mpli:consumerPrerequisite "
                                       "<#prereq-legal-identity> .",
                                       "<#cert-eucs-basic> .");
  return manifest + R"(
<#so-anneal-5k> a gx:ServiceOffering ;
    schema:name "Polderstack annealer, 5000 qubits" ;
    gx:providedBy <#legal-person> ;
    gx:serviceOfferingTermsAndConditions <#terms> ;
    gx:dataProtectionRegime "GDPR2016" .

<#anneal-5k> a mpli:Offering ;
    mpli:serviceOffering <#so-anneal-5k> ;
    mpli:provider <#provider> ;
    mpli:offeringKind <https://kinds.example.org/annealer#AnnealerTime> ;
)" + properties +
         R"(
    mpli:region <#region-ams1> ;
    mpli:price [ a mpli:Price ; schema:price 300.00 ; schema:priceCurrency "EUR" ;
                 schema:unitCode "MON" ] ;
    mpli:serviceLevel [ a mpli:ServiceLevel ; mpli:availabilityPercent 99.0 ;
                        mpli:supportHours mpli:SupportBusinessHours ] ;
    mpli:exportFormat mpli:FormatTarArchive ;
    mpli:delivery [ a mpli:DeliveryBinding ; mpli:workerKind mpli:ExecWorker ;
        mpli:artifact "libexec/annealer" ;
        mpli:supportsOperation mpli:Provision , mpli:Deprovision , mpli:Export ] .
)";
}

const std::string kProperties =
    "    <https://kinds.example.org/annealer#qubits> 5000 ;\n"
    "    <https://kinds.example.org/annealer#topology> \"Zephyr\" ;";

// A consumer who needs 4000 qubits or more, of this kind.
const char* kConsumer = R"(@base <https://lab.example/mpli/annealing.ttl> .
@prefix mpli: <https://w3id.org/mpli#> .
@prefix gx: <https://w3id.org/gaia-x/development#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix schema: <https://schema.org/> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
<> a mpli:ConsumerManifest ; mpli:consumer <#consumer> ; mpli:requirement <#qa> .
<#consumer> a mpli:Consumer ; mpli:legalPerson <#lp> .
<#lp> a gx:LegalPerson ; schema:name "Lab BV" ; gx:legalAddress [ a gx:Address ; gx:countryCode "NL" ] .
<#qa> a mpli:Requirement ; rdfs:label "Annealer" ; mpli:quantity 1 ; mpli:requirementShape <#s> .
<#s> a sh:NodeShape ;
    sh:property [ sh:path mpli:offeringKind ; sh:hasValue <https://kinds.example.org/annealer#AnnealerTime> ] ,
                [ sh:path <https://kinds.example.org/annealer#qubits> ; sh:minInclusive 4000 ] .
)";

json offerings(Hub& hub, const std::string& query) {
  auto r = hub.get("/v1/offerings?" + query);
  INFO(query << ": " << r.body);
  REQUIRE(r.status == 200);
  return json::parse(r.body)["offerings"];
}

}  // namespace

TEST_CASE(
    "a kind registered at run time classifies and filters and resolves with no code naming it") {
  Hub hub({}, {"trust", "resolver"});
  auto published = hub.post_turtle("/v1/providers", manifest_with_annealer(kProperties));
  INFO(published.body);
  REQUIRE(published.status == 201);
  // Accepted, with a warning naming the offering of a kind the hub does not know.
  json warnings = json::parse(published.body)["warnings"];
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0]["focus_node"] == "<" + kOffering + ">");
  CHECK(warnings[0]["message"].get<std::string>().find("unclassified") != std::string::npos);

  // Before its kind is known, the offering is in the catalogue, unclassified.
  auto before = hub.get(kOfferingPath);
  INFO(before.body);
  REQUIRE(before.status == 200);
  CHECK(json::parse(before.body)["kind_version"] == 0);
  CHECK(json::parse(before.body)["kind"] == "AnnealerTime");
  hub.drain_events();

  // Only the admin registers kinds.
  std::string consumer = testing::TestTokens::bearer(hub.tokens().consumer("lab"));
  auto refused = testing::http_request("POST", hub.url("/v1/ontologies"), kAnnealer,
                                       {"Content-Type: text/turtle", consumer});
  CHECK(refused.status == 403);

  auto registered = hub.post_turtle("/v1/ontologies", kAnnealer);
  INFO(registered.body);
  REQUIRE(registered.status == 201);
  json kind = json::parse(registered.body);
  CHECK(kind["outcome"] == "created");
  CHECK(kind["name"] == "AnnealerTime");
  CHECK(kind["version"] == 1);
  CHECK(kind["provenance"] == "registered");
  CHECK(kind["reclassified_providers"] == 1);

  // Announced, and the offering classified: events on the bus.
  std::map<std::string, int> events;
  std::string changed_offering;
  for (const auto& event : hub.drain_events()) {
    ++events[event.type];
    if (event.type == "offering_changed") {
      discovery::v1::OfferingChanged payload;
      REQUIRE(payload.ParseFromString(event.envelope.payload()));
      changed_offering = payload.offering().id();
      CHECK(payload.previous().kind_version() == 0);
      CHECK(payload.offering().kind_version() == 1);
    }
  }
  CHECK(events["kind_registered"] == 1);
  CHECK(events["offering_changed"] == 1);
  CHECK(changed_offering == kOffering);

  auto after = json::parse(hub.get(kOfferingPath).body);
  CHECK(after["kind_version"] == 1);
  CHECK(after["properties"]["qubits"] == "5000");
  CHECK(after["properties"]["topology"] == "Zephyr");

  // Listed with the built-in kinds.
  auto listed = json::parse(hub.get("/v1/ontologies").body)["kinds"];
  std::set<std::string> names;
  for (const auto& k : listed) names.insert(k["name"].get<std::string>());
  CHECK(names.count("AnnealerTime") == 1);
  CHECK(names.count("VirtualMachine") == 1);
  auto turtle = hub.get("/v1/ontologies/AnnealerTime", {"Accept: text/turtle"});
  CHECK(turtle.status == 200);
  CHECK(turtle.body == kAnnealer);

  // The catalogue filters on its properties.
  CHECK(offerings(hub, "kind=AnnealerTime&min_qubits=4000").size() == 1);
  CHECK(offerings(hub, "kind=AnnealerTime&min_qubits=6000").empty());
  CHECK(offerings(hub, "topology=Zephyr")[0]["id"] == kOffering);
  CHECK(offerings(hub, "topology=Pegasus").empty());
  auto typo = hub.get("/v1/offerings?kind=AnnealerTime&min_qbits=1");
  CHECK(typo.status == 400);
  CHECK(typo.body.find("qbits") != std::string::npos);
  CHECK(hub.get("/v1/offerings?min_topology=1").status == 400);  // not a number

  // The resolver matches a requirement on it.
  json answer;
  testing::wait_until(
      [&] {
        auto r = testing::http_request("POST", hub.url("/v1/resolutions"), kConsumer,
                                       {"Content-Type: text/turtle", consumer});
        if (r.status != 201) return false;
        answer = json::parse(r.body);
        return !answer["answers"].empty();
      },
      60s, "a resolution answered with the annealer");
  INFO(answer.dump());
  CHECK(answer["answers"][0]["assignments"][0]["offering"] == kOffering);

  // Published again without the property the kind requires: refused, naming it.
  auto broken = hub.post_turtle("/v1/providers", manifest_with_annealer(""));
  CHECK(broken.status == 422);
  CHECK(broken.body.find("states its qa:qubits") != std::string::npos);
}

TEST_CASE("a breaking change to a registered kind is refused with a 409 naming it") {
  Hub hub;
  REQUIRE(hub.post_turtle("/v1/ontologies", kAnnealer).status == 201);
  CHECK(hub.post_turtle("/v1/ontologies", kAnnealer).status == 200);  // unchanged

  std::string narrowed = replace_first(kAnnealer, "sh:minInclusive 1 ;", "sh:minInclusive 2000 ;");
  auto conflict = hub.post_turtle("/v1/ontologies", narrowed);
  INFO(conflict.body);
  CHECK(conflict.status == 409);
  CHECK(conflict.body.find("sh:minInclusive raised from 1 to 2000") != std::string::npos);
  CHECK(conflict.body.find("mpli:kindVersion 2") != std::string::npos);

  std::string required = replace_first(kAnnealer, "sh:datatype xsd:string ; sh:maxCount 1 ;",
                                       "sh:datatype xsd:string ; sh:minCount 1 ; sh:maxCount 1 ;");
  auto also = hub.post_turtle("/v1/ontologies", required);
  CHECK(also.status == 409);
  CHECK(also.body.find("topology: now required") != std::string::npos);

  // An optional property added: compatible, the same version updated.
  std::string optional = replace_first(
      kAnnealer, "    ] .",
      "    ] , [ sh:path qa:coolingKelvin ; sh:datatype xsd:decimal ; sh:maxCount 1 ] .");
  auto updated = hub.post_turtle("/v1/ontologies", optional);
  INFO(updated.body);
  CHECK(updated.status == 200);
  CHECK(json::parse(updated.body)["outcome"] == "updated");

  // An offering checked against version 1.
  REQUIRE(hub.post_turtle("/v1/providers", manifest_with_annealer(kProperties)).status == 201);
  CHECK(json::parse(hub.get(kOfferingPath).body)["kind_version"] == 1);

  // The breaking change as a new version is taken.
  auto v2 = hub.post_turtle("/v1/ontologies",
                            replace_first(narrowed, "mpli:kindVersion 1", "mpli:kindVersion 2"));
  INFO(v2.body);
  CHECK(v2.status == 201);
  CHECK(json::parse(v2.body)["outcome"] == "new_version");
  CHECK(json::parse(v2.body)["versions"] == json::array({1, 2}));

  // The offering keeps the version it was checked against until its provider publishes again.
  CHECK(json::parse(hub.get(kOfferingPath).body)["kind_version"] == 1);
  std::string moved = replace_first(manifest_with_annealer(kProperties), "schema:price 300.00",
                                    "schema:price 280.00");
  REQUIRE(hub.post_turtle("/v1/providers", moved).status == 200);
  CHECK(json::parse(hub.get(kOfferingPath).body)["kind_version"] == 2);

  // An ill-formed vocabulary: 422 with the line; another kind's IRI: 409.
  auto invalid =
      hub.post_turtle("/v1/ontologies", replace_first(kAnnealer, "    mpli:kindVersion 1 ;\n", ""));
  CHECK(invalid.status == 422);
  CHECK(invalid.body.find("mpli:kindVersion") != std::string::npos);
  auto clash = hub.post_turtle("/v1/ontologies",
                               replace_first(kAnnealer, "qa:AnnealerTimeShape a sh:NodeShape",
                                             "mpli:VirtualMachine rdfs:label \"mine\" .\n"
                                             "qa:AnnealerTimeShape a sh:NodeShape"));
  CHECK(clash.status == 409);
  CHECK(clash.body.find("VirtualMachine is described by") != std::string::npos);
}
