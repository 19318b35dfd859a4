#!/usr/bin/env bash
# Quick start, part 2: install what is missing, build, and run the whole test suite (ctest):
# unit tests, the W3C SHACL conformance suite and integration tests against a real
# nats-server and PostgreSQL. Extra arguments go to ctest (e.g. -L unit, -R outbox).
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-deps.sh
scripts/install-npm-tools.sh  # tools/npm: the OpenAPI linter and the browser test's driver
if [[ "${CI:-}" == "true" ]]; then export MPLI_WERROR=ON; fi
scripts/build.sh
cd "${MPLI_BUILD_DIR:-build}"
exec ctest --output-on-failure -j "$(nproc)" --timeout 600 "$@"
