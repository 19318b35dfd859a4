#!/usr/bin/env python3
"""Synthetic federation catalogue for the SHACL benchmark.

N providers x M offerings in the MPLI vocabulary: every offering has about 15 triples,
including a nested price node; provider facts (country, verified certifications) sit on the
provider, its gx:LegalPerson and its address, so shapes reach them through sequence paths.
A fraction of offerings (and a few providers) carry one injected defect each, so every
engine has real results to report.

Deterministic: the same arguments and seed give the same bytes. Only the standard library.

usage: generate.py --providers N --offerings M [--seed S] [--violation-rate R]
                   [--format ttl|nt] --out FILE
Prints "triples=<count>" on stdout.
"""

import argparse
import random
import sys

MPLI = "https://w3id.org/mpli#"
GX = "https://w3id.org/gaia-x/development#"
SCHEMA = "https://schema.org/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD = "http://www.w3.org/2001/XMLSchema#"
BASE = "https://bench.mpli.example/"

EU_COUNTRIES = ["DE", "FR", "NL", "FI", "AT", "BE", "ES", "IT", "PL", "SE", "DK", "IE"]
KINDS = ["VirtualMachine", "ManagedPostgreSQL", "ObjectStorage", "Kubernetes"]
WORKERS = {
    "VirtualMachine": ["AnsibleWorker", "DiskImageWorker", "OpenTofuWorker"],
    "ManagedPostgreSQL": ["PostgresqlWorker"],
    "ObjectStorage": ["ExecWorker", "OpenTofuWorker"],
    "Kubernetes": ["AnsibleWorker", "OpenTofuWorker"],
}
FORMATS = {
    "VirtualMachine": ["FormatQcow2", "FormatRawDisk", "FormatVmdk"],
    "ManagedPostgreSQL": ["FormatPgDumpCustom", "FormatSqlPlain"],
    "ObjectStorage": ["FormatS3Objects", "FormatTarArchive"],
    "Kubernetes": ["FormatKubernetesManifests", "FormatVeleroBackup"],
}
CERTS = ["ISO27001", "BSIC5", "SecNumCloud", "EUCSBasic", "EUCSSubstantial", "EUCSHigh"]

# Offering defects; each breaks exactly one constraint family of bench/shacl/shapes.ttl.
OFFERING_DEFECTS = [
    "missing-price",        # sh:minCount on mpli:price
    "vcpu-out-of-range",    # sh:maxInclusive
    "vcpu-as-string",       # sh:datatype
    "bad-currency",         # sh:in on the nested price node
    "negative-price",       # sh:minExclusive through the sequence path (mpli:price schema:price)
    "unknown-kind",         # sh:in on mpli:offeringKind
    "two-units",            # sh:xone (both units) on the price node
    "no-portable-format",   # qualified value shape on mpli:exportFormat
    "deprecated-format",    # sh:not
    "bad-name",             # sh:pattern
    "no-storage",           # sh:or (storage or Kubernetes)
]
# Provider defects; every offering of such a provider fails through a sequence path.
PROVIDER_DEFECTS = ["non-eu-country", "no-verified-certification"]


class Writer:
    """Writes triples as Turtle (grouped by subject, with prefixes) or N-Triples."""

    PREFIXES = [("mpli", MPLI), ("gx", GX), ("schema", SCHEMA), ("xsd", XSD), ("b", BASE)]

    def __init__(self, out, fmt):
        self.out = out
        self.fmt = fmt
        self.count = 0
        if fmt == "ttl":
            for p, ns in self.PREFIXES:
                out.write(f"@prefix {p}: <{ns}> .\n")
            out.write("\n")

    def term(self, t):
        kind, value = t
        if kind == "iri":
            if self.fmt == "ttl":
                for p, ns in self.PREFIXES:
                    if value.startswith(ns) and _is_local_name(value[len(ns):]):
                        return f"{p}:{value[len(ns):]}"
            return f"<{value}>"
        if kind == "bnode":
            return f"_:{value}"
        if kind == "str":
            return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
        # typed literal: (datatype local name in xsd, lexical)
        dt, lex = value
        if self.fmt == "ttl":
            return f'"{lex}"^^xsd:{dt}'
        return f'"{lex}"^^<{XSD}{dt}>'

    def subject(self, s, pairs):
        """pairs: list of (predicate iri, object term)."""
        self.count += len(pairs)
        if self.fmt == "nt":
            st = self.term(s)
            for p, o in pairs:
                pt = f"<{p}>"
                self.out.write(f"{st} {pt} {self.term(o)} .\n")
            return
        parts = []
        for p, o in pairs:
            pt = "a" if p == RDF_TYPE else self.term(("iri", p))
            parts.append(f"{pt} {self.term(o)}")
        self.out.write(self.term(s) + " " + " ;\n    ".join(parts) + " .\n")


def _is_local_name(s):
    return s != "" and all(c.isalnum() or c in "-_" for c in s) and s[0].isalpha()


def iri(v):
    return ("iri", v)


def m(local):
    return ("iri", MPLI + local)


def lit(s):
    return ("str", s)


def typed(dt, lex):
    return ("typed", (dt, lex))


def generate(args, out):
    rnd = random.Random(args.seed)
    w = Writer(out, args.format)
    for pi in range(args.providers):
        pid = f"p{pi:05d}"
        prov = iri(f"{BASE}{pid}")
        legal = iri(f"{BASE}{pid}/legal")
        addr = iri(f"{BASE}{pid}/address")
        pdefect = rnd.choice(PROVIDER_DEFECTS) if rnd.random() < args.provider_violation_rate else None
        country = "US" if pdefect == "non-eu-country" else rnd.choice(EU_COUNTRIES)
        pairs = [
            (RDF_TYPE, m("Provider")),
            (MPLI + "providerId", lit(pid)),
            (MPLI + "legalPerson", legal),
        ]
        if pdefect != "no-verified-certification":
            for c in rnd.sample(CERTS, rnd.randint(1, 3)):
                pairs.append((MPLI + "verifiedCertification", m(c)))
        w.subject(prov, pairs)
        w.subject(legal, [
            (RDF_TYPE, iri(GX + "LegalPerson")),
            (SCHEMA + "name", lit(f"Provider {pi} Cloud GmbH")),
            (GX + "legalAddress", addr),
        ])
        w.subject(addr, [(RDF_TYPE, iri(GX + "Address")), (GX + "countryCode", lit(country))])
        regions = []
        for ri in range(2):
            region = iri(f"{BASE}{pid}/region/{ri}")
            regions.append(region)
            w.subject(region, [
                (RDF_TYPE, m("Region")),
                (MPLI + "regionCode", lit(f"{country.lower()}-{ri + 1}")),
                (MPLI + "country", lit(country)),
            ])

        for oi in range(args.offerings):
            oid = f"{pid}/o{oi:05d}"
            off = iri(f"{BASE}{oid}")
            price = ("bnode", f"pr_{pi}_{oi}")
            kind = rnd.choice(KINDS)
            defect = rnd.choice(OFFERING_DEFECTS) if rnd.random() < args.violation_rate else None

            vcpu = rnd.choice([1, 2, 4, 8, 16, 32])
            pairs = [
                (RDF_TYPE, m("Offering")),
                (SCHEMA + "name", lit(f"bad name {oi}" if defect == "bad-name" else f"Offering {pid}-{oi}")),
                (MPLI + "provider", prov),
                (MPLI + "offeringKind", m("QuantumComputer") if defect == "unknown-kind" else m(kind)),
                (MPLI + "vcpu",
                 lit(str(vcpu)) if defect == "vcpu-as-string"
                 else typed("integer", "512" if defect == "vcpu-out-of-range" else str(vcpu))),
                (MPLI + "memoryGiB", typed("integer", str(vcpu * rnd.choice([2, 4, 8])))),
            ]
            if kind != "Kubernetes" and defect != "no-storage":
                pairs.append((MPLI + "storageGiB", typed("integer", str(rnd.choice([20, 50, 100, 250, 500, 1000])))))
            pairs.append((MPLI + "region", rnd.choice(regions)))
            if defect != "missing-price":
                pairs.append((MPLI + "price", price))
            pairs.append((MPLI + "availabilityPercent", typed("decimal", rnd.choice(["99.5", "99.9", "99.95", "99.99"]))))
            pairs.append((MPLI + "workerKind", m(rnd.choice(WORKERS[kind]))))
            if defect == "no-portable-format":
                pairs.append((MPLI + "exportFormat", m("FormatProprietary")))
            else:
                for f in rnd.sample(FORMATS[kind], rnd.randint(1, 2)):
                    pairs.append((MPLI + "exportFormat", m(f)))
            if defect == "deprecated-format":
                pairs.append((MPLI + "exportFormat", m("FormatDeprecatedDump")))
            w.subject(off, pairs)

            if defect != "missing-price":
                amount = f"{rnd.randint(1, 200000) / 100:.2f}"
                if defect == "negative-price":
                    amount = "-" + amount
                ppairs = [
                    (SCHEMA + "price", typed("decimal", amount)),
                    (SCHEMA + "priceCurrency", lit("eur" if defect == "bad-currency" else rnd.choice(["EUR", "EUR", "EUR", "CHF", "SEK"]))),
                    (SCHEMA + "unitCode", lit(rnd.choice(["MON", "HUR"]))),
                ]
                if defect == "two-units":
                    ppairs[2] = (SCHEMA + "unitCode", lit("MON"))
                    ppairs.append((SCHEMA + "unitCode", lit("HUR")))
                w.subject(price, ppairs)
    return w.count


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--providers", type=int, required=True)
    ap.add_argument("--offerings", type=int, required=True, help="offerings per provider")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--violation-rate", type=float, default=0.05, help="fraction of offerings with one defect")
    ap.add_argument("--provider-violation-rate", type=float, default=0.02, help="fraction of providers with one defect")
    ap.add_argument("--format", choices=["ttl", "nt"], default="ttl")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    with open(args.out, "w", encoding="utf-8", buffering=1 << 20) as out:
        n = generate(args, out)
    print(f"triples={n}")


if __name__ == "__main__":
    sys.exit(main())
