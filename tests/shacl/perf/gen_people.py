#!/usr/bin/env python3
"""Writes a synthetic people graph (about 10 triples per person, ~1% invalid) as N-Triples and
the matching shapes as Turtle, for timing `mpli shacl validate` against peer engines.

usage: gen_people.py TRIPLES OUT_DIR   -> OUT_DIR/people-<TRIPLES>.nt, OUT_DIR/people-shapes.ttl
"""
import os
import random
import sys

EX = "http://example.org/people/"
RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
XSD = "http://www.w3.org/2001/XMLSchema#"

SHAPES = """@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix ex: <http://example.org/people/> .

ex:Employee rdfs:subClassOf ex:Person .

ex:PersonShape a sh:NodeShape ;
  sh:targetClass ex:Person ;
  sh:property [ sh:path ex:name ; sh:minCount 1 ; sh:maxCount 1 ; sh:datatype xsd:string ;
                sh:minLength 2 ; sh:maxLength 64 ] ;
  sh:property [ sh:path ex:age ; sh:maxCount 1 ; sh:datatype xsd:integer ;
                sh:minInclusive 0 ; sh:maxExclusive 150 ] ;
  sh:property [ sh:path ex:email ; sh:pattern "^[a-z0-9.]+@[a-z0-9.]+\\\\.[a-z]+$" ] ;
  sh:property [ sh:path ex:status ; sh:in ( "active" "retired" "student" ) ] ;
  sh:property [ sh:path ex:knows ; sh:class ex:Person ; sh:nodeKind sh:IRI ] ;
  sh:property [ sh:path ex:address ; sh:maxCount 1 ; sh:node ex:AddressShape ] ;
  sh:property [ sh:path ex:label ; sh:languageIn ( "en" "de" "fr" ) ; sh:uniqueLang true ] .

ex:AddressShape a sh:NodeShape ;
  sh:property [ sh:path ex:city ; sh:minCount 1 ; sh:datatype xsd:string ] ;
  sh:property [ sh:path ex:postcode ; sh:pattern "^[0-9]{5}$" ] .
"""


def main():
    target = int(sys.argv[1])
    out_dir = sys.argv[2]
    os.makedirs(out_dir, exist_ok=True)
    rnd = random.Random(42)
    people = max(1, target // 11)
    statuses = ['"active"', '"retired"', '"student"']
    with open(os.path.join(out_dir, f"people-{target}.nt"), "w") as f:
        w = f.write
        # The class hierarchy lives in the data graph: SHACL reads rdfs:subClassOf there.
        w(f"<{EX}Employee> <http://www.w3.org/2000/01/rdf-schema#subClassOf> <{EX}Person> .\n")
        for i in range(people):
            p = f"<{EX}p{i}>"
            bad = rnd.random() < 0.01
            w(f"{p} {RDF_TYPE} <{EX}{'Employee' if i % 3 == 0 else 'Person'}> .\n")
            w(f'{p} <{EX}name> "Person {i}" .\n')
            age = -1 if bad else rnd.randint(0, 99)
            w(f'{p} <{EX}age> "{age}"^^<{XSD}integer> .\n')
            w(f'{p} <{EX}email> "{"bad address" if bad else f"p{i}@example.org"}" .\n')
            w(f"{p} <{EX}status> {statuses[i % 3]} .\n")
            w(f"{p} <{EX}knows> <{EX}p{rnd.randrange(people)}> .\n")
            w(f'{p} <{EX}label> "person {i}"@en .\n')
            a = f"_:a{i}"
            w(f"{p} <{EX}address> {a} .\n")
            w(f'{a} <{EX}city> "City {i % 500}" .\n')
            w(f'{a} <{EX}postcode> "{10000 + i % 89999}" .\n')
            w(f'{p} <{EX}label> "personne {i}"@fr .\n')
    with open(os.path.join(out_dir, "people-shapes.ttl"), "w") as f:
        f.write(SHAPES)


if __name__ == "__main__":
    main()
