#!/usr/bin/env python3
"""Writes N synthetic provider manifests (M offerings each) that pass ontology/shapes/manifest.ttl.

Usage: generate_manifests.py OUT_DIR [--providers 10000] [--offerings 10] [--seed 1]
Each file OUT_DIR/p<i>.ttl is one provider; `--touch K` rewrites K of them (every
providers/K-th) with a changed price, for the refresh round.

For the resolver benchmark (bench/resolver/run.sh): `--prerequisites mixed` gives most providers
no consumer prerequisite, 10% one on a verified legal identity, 10% the EU one, 5% one on a
Gaia-X compliance credential; `--only I --marker S` rewrites provider I alone with one more
offering, an object storage of S GiB (a change a consumer manifest can look for).
"""
import argparse
import os
import random

COUNTRIES = ["DE", "FR", "NL", "FI", "IT", "ES", "AT", "BE", "PL", "SE"]
STANDARDS = ["ISO27001", "BSIC5", "SecNumCloud", "EUCSHigh", "EUCSSubstantial"]

HEADER = """@base <https://p{i}.bench.example/.well-known/mpli.ttl> .
@prefix mpli:    <https://w3id.org/mpli#> .
@prefix gx:      <https://w3id.org/gaia-x/development#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix rdfs:    <http://www.w3.org/2000/01/rdf-schema#> .
@prefix schema:  <https://schema.org/> .
@prefix sh:      <http://www.w3.org/ns/shacl#> .
@prefix vcard:   <http://www.w3.org/2006/vcard/ns#> .
@prefix xsd:     <http://www.w3.org/2001/XMLSchema#> .

<> a mpli:ProviderManifest ;
    mpli:provider <#provider> ;
    dcterms:modified "2026-11-01T10:00:00Z"^^xsd:dateTime .

<#provider> a mpli:Provider ;
    mpli:providerId "bench-p{i}" ;
    mpli:domain "p{i}.bench.example" ;
    mpli:legalPerson <#legal-person> ;
    mpli:credential <https://p{i}.bench.example/.well-known/vc/legal-person.jwt> ;
    mpli:certification <#cert-a> , <#cert-b> {prereq_link}.

<#legal-person> a gx:LegalPerson ;
    schema:name "Bench Provider {i}" ;
    gx:registrationNumber <#reg> ;
    gx:legalAddress <#address> ;
    gx:headquartersAddress <#address> .

<#reg> a gx:RegistrationNumber , gx:LocalRegistrationNumber ;
    gx:local "REG-{i}" .

<#address> a gx:Address ;
    gx:countryCode "{country}" ;
    vcard:locality "City {i}" .

<#cert-a> a mpli:CertificationClaim ;
    mpli:standard mpli:{cert_a} ;
    mpli:credential <https://p{i}.bench.example/.well-known/vc/a.jwt> .

<#cert-b> a mpli:CertificationClaim ;
    mpli:standard mpli:{cert_b} ;
    mpli:credential <https://p{i}.bench.example/.well-known/vc/b.jwt> ;
    mpli:covers <#o0> .

{prereq}
<#region-1> a mpli:Region ;
    mpli:regionCode "{region}" ;
    schema:name "Region {i}" ;
    mpli:country "{country}" .

<#terms> a gx:TermsAndConditions ;
    gx:url "https://p{i}.bench.example/terms.pdf"^^xsd:anyURI ;
    gx:hash "sha256:{hash}" .
"""

OFFERING = """
<#so-{j}> a gx:ServiceOffering ;
    schema:name "Bench {kind_name} {i}-{j}" ;
    gx:providedBy <#legal-person> ;
    gx:serviceOfferingTermsAndConditions <#terms> ;
    gx:dataProtectionRegime "GDPR2016" .

<#o{j}> a mpli:Offering ;
    mpli:serviceOffering <#so-{j}> ;
    mpli:provider <#provider> ;
    mpli:offeringKind mpli:{kind} ;
    mpli:vcpu {vcpu} ;
    mpli:memoryGiB {memory} ;
    mpli:storageGiB {storage} ;{extra}
    mpli:region <#region-1> ;
    mpli:price [ a mpli:Price ;
        schema:price {price} ;
        schema:priceCurrency "EUR" ;
        schema:unitCode "MON" ] ;
    mpli:serviceLevel [ a mpli:ServiceLevel ;
        mpli:availabilityPercent 99.9 ;
        mpli:supportHours mpli:Support24x7 ] ;
    mpli:exportFormat {formats} ;
    mpli:importFormat {formats} ;
    mpli:delivery [ a mpli:DeliveryBinding ;
        mpli:workerKind mpli:{worker} ;
        mpli:artifact "bench-{j}" ;
        mpli:supportsOperation mpli:Provision , mpli:Deprovision ] .
"""

PREREQ_EU = """<#prereq-eu> a mpli:ConsumerPrerequisite , sh:NodeShape ;
    rdfs:label "Established in the EU" ;
    sh:property [ sh:path mpli:verifiedCountry ; sh:minCount 1 ] .
"""
PREREQ_LEGAL = """<#prereq-legal> a mpli:ConsumerPrerequisite , sh:NodeShape ;
    rdfs:label "Verified legal identity" ;
    sh:property [ sh:path mpli:verifiedCredentialType ; sh:hasValue mpli:LegalIdentityCredential ] .
"""
PREREQ_GAIAX = """<#prereq-gaiax> a mpli:ConsumerPrerequisite , sh:NodeShape ;
    rdfs:label "Gaia-X compliant customers only" ;
    sh:property [ sh:path mpli:verifiedCredentialType ; sh:hasValue mpli:GaiaXComplianceCredential ] .
"""

MARKED = """
<#o-mark> a mpli:Offering ;
    mpli:serviceOffering <#so-0> ;
    mpli:provider <#provider> ;
    mpli:offeringKind mpli:ObjectStorage ;
    mpli:storageGiB {storage} ;
    mpli:region <#region-1> ;
    mpli:price [ a mpli:Price ;
        schema:price 9.99 ;
        schema:priceCurrency "EUR" ;
        schema:unitCode "MON" ] ;
    mpli:serviceLevel [ a mpli:ServiceLevel ;
        mpli:availabilityPercent 99.9 ;
        mpli:supportHours mpli:Support24x7 ] ;
    mpli:exportFormat mpli:FormatS3Objects ;
    mpli:importFormat mpli:FormatS3Objects ;
    mpli:delivery [ a mpli:DeliveryBinding ;
        mpli:workerKind mpli:AnsibleWorker ;
        mpli:artifact "bench-mark" ;
        mpli:supportsOperation mpli:Provision , mpli:Deprovision ] .
"""


def prerequisite(i, mode):
    """(the provider's mpli:consumerPrerequisite text, the shape) for provider i."""
    if mode == "eu":
        choice = "eu"
    elif i % 20 == 5:
        choice = "gaiax"
    elif i % 10 == 0:
        choice = "legal"
    elif i % 10 == 1:
        choice = "eu"
    else:
        return "", ""
    shape = {"eu": PREREQ_EU, "legal": PREREQ_LEGAL, "gaiax": PREREQ_GAIAX}[choice]
    return f";\n    mpli:consumerPrerequisite <#prereq-{choice}> ", shape


KINDS = [
    ("VirtualMachine", "VM", "", "mpli:FormatQcow2", "AnsibleWorker"),
    ("ManagedPostgreSQL", "PostgreSQL", "\n    mpli:postgresVersion 16 ;", "mpli:FormatPgDumpCustom", "PostgresqlWorker"),
    ("Kubernetes", "Kubernetes", "\n    mpli:kubernetesVersion \"1.31\" ;", "mpli:FormatKubernetesManifests", "AnsibleWorker"),
]


def manifest(i, offerings, price_bump, seed, prerequisites="eu", marker=None):
    rng = random.Random(seed * 1000003 + i)
    country = COUNTRIES[i % len(COUNTRIES)]
    a, b = rng.sample(STANDARDS, 2)
    prereq_link, prereq = prerequisite(i, prerequisites)
    text = HEADER.format(i=i, country=country, cert_a=a, cert_b=b, prereq_link=prereq_link,
                         prereq=prereq, region=f"{country.lower()}-r{i % 7}",
                         hash="%064x" % rng.getrandbits(256))
    for j in range(offerings):
        kind, kind_name, extra, formats, worker = KINDS[j % len(KINDS)]
        price = round(rng.uniform(5, 900), 2) + price_bump
        text += OFFERING.format(i=i, j=j, kind=kind, kind_name=kind_name, extra=extra,
                                vcpu=rng.choice([1, 2, 4, 8, 16, 32]), memory=rng.choice([2, 4, 8, 16, 64, 128]),
                                storage=rng.choice([20, 100, 500]), price=f"{price:.2f}",
                                formats=formats, worker=worker)
    if marker is not None:
        text += MARKED.format(storage=marker)
    return text


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--providers", type=int, default=10000)
    parser.add_argument("--offerings", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--touch", type=int, default=0, help="rewrite this many with a new price")
    parser.add_argument("--prerequisites", choices=["eu", "mixed"], default="eu")
    parser.add_argument("--only", type=int, help="rewrite this provider alone (with --marker)")
    parser.add_argument("--marker", type=int, help="storage GiB of the extra object storage")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    if args.only is not None:
        with open(os.path.join(args.out, f"p{args.only}.ttl"), "w") as f:
            f.write(manifest(args.only, args.offerings, 0.0, args.seed, args.prerequisites,
                             args.marker))
        return
    if args.touch:
        step = max(1, args.providers // args.touch)
        for i in range(0, args.providers, step)[: args.touch]:
            with open(os.path.join(args.out, f"p{i}.ttl"), "w") as f:
                f.write(manifest(i, args.offerings, 1.0, args.seed, args.prerequisites))
        return
    for i in range(args.providers):
        with open(os.path.join(args.out, f"p{i}.ttl"), "w") as f:
            f.write(manifest(i, args.offerings, 0.0, args.seed, args.prerequisites))


if __name__ == "__main__":
    main()
