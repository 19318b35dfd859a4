#!/usr/bin/env python3
"""Writes the resolver benchmark's consumer manifests and, for the Jena route, each requirement
shape as a standalone shapes file targeting every mpli:Offering.

Usage: consumers.py OUT_DIR
  OUT_DIR/m1.ttl .. m4.ttl       consumer manifests (see MANIFESTS)
  OUT_DIR/visibility.ttl          one requirement on an object storage of {MARK} GiB
  OUT_DIR/jena/<manifest>-req<k>.ttl   requirement k's shape with sh:targetClass mpli:Offering
The requirement shapes match the catalogue of bench/discovery/generate_manifests.py
(--prerequisites mixed) and the facts of `mpli-bench-resolver issue` (ISO 27001 verified for
60% of the providers).
"""
import os
import sys

CONSUMER = "https://bench-consumer.example/mpli/consumer#consumer"

PREFIXES = """@prefix mpli:    <https://w3id.org/mpli#> .
@prefix gx:      <https://w3id.org/gaia-x/development#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix rdfs:    <http://www.w3.org/2000/01/rdf-schema#> .
@prefix schema:  <https://schema.org/> .
@prefix sh:      <http://www.w3.org/ns/shacl#> .
@prefix xsd:     <http://www.w3.org/2001/XMLSchema#> .
"""

# Requirement shapes: the property constraints of each (Turtle, inside `sh:property ...`).
SHAPES = {
    "database": ("Verified ISO 27001 PostgreSQL", """
    sh:property [ sh:path mpli:offeringKind ; sh:hasValue mpli:ManagedPostgreSQL ] ,
                [ sh:path mpli:vcpu ; sh:minCount 1 ; sh:minInclusive 4 ] ,
                [ sh:path mpli:storageGiB ; sh:minInclusive 100 ] ,
                [ sh:path ( mpli:provider mpli:verifiedCertification ) ; sh:hasValue mpli:ISO27001 ] ."""),
    "vm": ("Application VM", """
    sh:property [ sh:path mpli:offeringKind ; sh:hasValue mpli:VirtualMachine ] ,
                [ sh:path mpli:vcpu ; sh:minCount 1 ; sh:minInclusive 8 ] ,
                [ sh:path mpli:memoryGiB ; sh:minCount 1 ; sh:minInclusive 16 ] ,
                [ sh:path mpli:exportFormat ;
                  sh:qualifiedValueShape [ sh:in ( mpli:FormatQcow2 mpli:FormatRawDisk ) ] ;
                  sh:qualifiedMinCount 1 ] ."""),
    "kubernetes": ("EU Kubernetes cluster", """
    sh:property [ sh:path mpli:offeringKind ; sh:hasValue mpli:Kubernetes ] ,
                [ sh:path mpli:memoryGiB ; sh:minInclusive 8 ] ,
                [ sh:path ( mpli:serviceLevel mpli:availabilityPercent ) ; sh:minInclusive 99.9 ] ,
                [ sh:path ( mpli:region mpli:country ) ; sh:minCount 1 ; sh:in ( "DE" "FR" "NL" "AT" "BE" ) ] ."""),
    "any-vm": ("Any VM", """
    sh:property [ sh:path mpli:offeringKind ; sh:hasValue mpli:VirtualMachine ] ."""),
    "mark": ("Marked object storage", """
    sh:property [ sh:path mpli:offeringKind ; sh:hasValue mpli:ObjectStorage ] ,
                [ sh:path mpli:storageGiB ; sh:minCount 1 ; sh:minInclusive {MARK} ] ."""),
}

# name: (requirements, constraints and preferences in Turtle)
MANIFESTS = {
    "m1": (["database"], ""),
    "m2": (["vm", "database"], """
<> mpli:constraint <#one-country> .
<#one-country> a mpli:SameCountry .
"""),
    "m3": (["vm", "database", "kubernetes"], """
<> mpli:constraint <#one-country> , <#two-providers> , <#budget> ;
   mpli:preference <#cheapest> , <#near-frankfurt> , <#stay-with-p7> .
<#one-country> a mpli:SameCountry .
<#two-providers> a mpli:MaxProviders ; mpli:maxProviders 2 .
<#budget> a mpli:MonthlyBudget ; schema:maxPrice 1500.00 ; schema:priceCurrency "EUR" .
<#cheapest> a mpli:PreferCheapest ; mpli:weight 0.6 .
<#near-frankfurt> a mpli:PreferClosestRegion ; mpli:weight 0.3 ;
    mpli:near [ a schema:GeoCoordinates ; schema:latitude 50.1109 ; schema:longitude 8.6821 ] .
<#stay-with-p7> a mpli:PreferProviders ; mpli:weight 0.1 ;
    mpli:preferredProvider <https://p7.bench.example/.well-known/mpli.ttl#provider> .
"""),
    "m4": (["any-vm"], ""),
    "visibility": (["mark"], ""),
}


def manifest(name, requirements, extra):
    text = f"@base <https://bench-consumer.example/mpli/{name}.ttl> .\n" + PREFIXES + f"""
<> a mpli:ConsumerManifest ;
    dcterms:created "2026-12-01T10:00:00Z"^^xsd:dateTime ;
    mpli:consumer <{CONSUMER}> ;
    mpli:requirement {" , ".join(f"<#r{k}>" for k in range(len(requirements)))} .

<{CONSUMER}> a mpli:Consumer ;
    mpli:legalPerson <#legal-person> ;
    mpli:credential <https://bench-consumer.example/vc/legal-person.jwt> .

<#legal-person> a gx:LegalPerson ;
    schema:name "Bench Consumer GmbH" ;
    gx:legalAddress [ a gx:Address ; gx:countryCode "DE" ] .
"""
    for k, shape in enumerate(requirements):
        label, body = SHAPES[shape]
        text += f"""
<#r{k}> a mpli:Requirement ;
    rdfs:label "{label}" ;
    mpli:quantity 1 ;
    mpli:requirementShape <#r{k}-shape> .

<#r{k}-shape> a sh:NodeShape ;{body}
"""
    return text + extra


def jena_shapes(requirement):
    label, body = SHAPES[requirement]
    return PREFIXES + f"""
<https://bench-consumer.example/jena#shape> a sh:NodeShape ;
    rdfs:label "{label}" ;
    sh:targetClass mpli:Offering ;{body}
"""


def main():
    out = sys.argv[1]
    os.makedirs(os.path.join(out, "jena"), exist_ok=True)
    for name, (requirements, extra) in MANIFESTS.items():
        with open(os.path.join(out, f"{name}.ttl"), "w") as f:
            f.write(manifest(name, requirements, extra))
        if name == "visibility":
            continue
        for k, requirement in enumerate(requirements):
            with open(os.path.join(out, "jena", f"{name}-req{k + 1}.ttl"), "w") as f:
                f.write(jena_shapes(requirement))


if __name__ == "__main__":
    main()
