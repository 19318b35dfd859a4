#!/usr/bin/env bash
# Lints an OpenAPI document (default: the gateway's openapi.json beside this script) with Redocly
# CLI as tools/npm pins it, under redocly.yaml (recommended rules, warnings as errors).
#   lint.sh [FILE]               exit 0 when FILE lints clean
#   lint.sh --must-fail FILE     exit 0 only when Redocly ran and reported errors in FILE: the
#                                lint is known to catch a broken document
# The tools come from scripts/install-npm-tools.sh (ctest runs it first as the npm_tools fixture).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
# What `npx redocly` would run, without npx asking the registry whether a newer one exists.
redocly="$root/tools/npm/node_modules/.bin/redocly"
if [[ ! -x "$redocly" ]]; then
  echo "lint.sh: $redocly is missing: run scripts/install-npm-tools.sh" >&2
  exit 1
fi
# Redocly would otherwise send usage data and look for updates: this machine reaches no such host.
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true

must_fail=false
if [[ "${1:-}" == "--must-fail" ]]; then
  must_fail=true
  shift
fi
file="${1:-$here/openapi.json}"
[[ -f "$file" ]] || { echo "lint.sh: no such file: $file" >&2; exit 1; }

if ! $must_fail; then
  exec "$redocly" lint --config "$here/redocly.yaml" --format stylish "$file"
fi
status=0
output="$("$redocly" lint --config "$here/redocly.yaml" --format stylish "$file" 2>&1)" || status=$?
echo "$output"
# Exit 1 with findings is what Redocly does for a document with errors; anything else (a crash,
# a missing config) is not the lint catching the error.
if [[ $status -eq 1 ]] && grep -qE '[0-9]+ errors?' <<<"$output"; then
  echo "lint.sh: the broken document was refused, as it must be"
  exit 0
fi
echo "lint.sh: expected Redocly to report errors in $file (exit $status)" >&2
exit 1
