#!/usr/bin/env bash
# Validates every example manifest under ontology/examples/ with a SHACL engine and compares
# the summary line with the file's "# expect:" line. Used by hand to cross-check the
# examples with other engines while ctest runs them with mpli.
#
# usage: tests/ontology/check_examples.sh <validator command...>
#   e.g. tests/ontology/check_examples.sh build/bin/mpli shacl validate --report summary
#        tests/ontology/check_examples.sh bench/shacl/peers/jena.sh
#        tests/ontology/check_examples.sh node bench/shacl/peers/validate.mjs shacl-engine
# The command gets "--data <file> --shapes <shapes>" appended and must print
# "conforms=<bool> results=<N>" and exit 0 (conforms) or 1 (does not conform).
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
[[ $# -ge 1 ]] || { sed -n '2,12p' "$0"; exit 2; }
failures=0
for file in "$root"/ontology/examples/*.ttl "$root"/ontology/examples/invalid/*.ttl; do
  case $(basename "$file") in
    provider-*) shapes=$root/ontology/shapes/manifest.ttl ;;
    consumer-*) shapes=$root/ontology/shapes/consumer.ttl ;;
    *) continue ;;
  esac
  expected=$(sed -n 's/^# expect: //p' "$file")
  case $expected in
    "conforms=true results=0") want_rc=0 ;;
    conforms=false*) want_rc=1 ;;
    *) echo "FAIL ${file#$root/}: no '# expect:' line"; failures=$((failures + 1)); continue ;;
  esac
  got=$("$@" --data "$file" --shapes "$shapes" 2>/dev/null)
  rc=$?
  if [[ $got == "$expected" && $rc == "$want_rc" ]]; then
    echo "ok   ${file#$root/}: $got"
  else
    echo "FAIL ${file#$root/}: expected '$expected' (exit $want_rc), got '$got' (exit $rc)"
    failures=$((failures + 1))
  fi
done
[[ $failures == 0 ]]
