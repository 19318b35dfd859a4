#include "libs/testing/examples.h"

#include <stdexcept>

#include "libs/testing/environment.h"

namespace mpli::testing {

std::string hexacloud_without_prerequisites() {
  std::string manifest = read_example("provider-hexacloud-fr.ttl");
  const std::string prerequisites =
      " ;\n    mpli:consumerPrerequisite <#prereq-identity-and-compliance> , <#prereq-eu> .";
  size_t at = manifest.find(prerequisites);
  if (at == std::string::npos) {
    throw std::runtime_error("provider-hexacloud-fr.ttl no longer names its prerequisites so");
  }
  return manifest.replace(at, prerequisites.size(), " .");
}

std::string two_vms_consumer(const std::string& provider_id) {
  return R"(@prefix mpli: <https://w3id.org/mpli#> .
@prefix gx: <https://w3id.org/gaia-x/development#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix schema: <https://schema.org/> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
<https://consumer.example/m> a mpli:ConsumerManifest ;
  mpli:consumer <https://consumer.example/m#c> ; mpli:requirement <https://consumer.example/m#vm> .
<https://consumer.example/m#c> a mpli:Consumer ; mpli:legalPerson <https://consumer.example/m#lp> .
<https://consumer.example/m#lp> a gx:LegalPerson ; schema:name "Consumer" ;
  gx:legalAddress [ a gx:Address ; gx:countryCode "FR" ] .
<https://consumer.example/m#vm> a mpli:Requirement ; rdfs:label "VM" ; mpli:quantity 2 ;
  mpli:requirementShape [ a sh:NodeShape ;
    sh:property [ sh:path mpli:offeringKind ; sh:hasValue mpli:VirtualMachine ] ,
                [ sh:path mpli:vcpu ; sh:minCount 1 ; sh:minInclusive 2 ] ,
                [ sh:path ( mpli:provider mpli:providerId ) ; sh:hasValue ")" +
         provider_id + R"(" ] ] .
)";
}

}  // namespace mpli::testing
