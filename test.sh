#!/usr/bin/env bash
# Quick start, part 2: install what is missing, build, and run the whole test suite (ctest):
# unit tests, the W3C SHACL conformance suite and integration tests against a real
# nats-server and PostgreSQL. Extra arguments go to ctest (e.g. -L unit, -R outbox).
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-deps.sh
# tools/npm (the OpenAPI linter, the browser test's driver). Without the npm registry the rest
# of the suite still runs; the tests needing these tools then fail (ctest's npm_tools fixture).
scripts/install-npm-tools.sh || echo "test.sh: npm tools not installed; their tests will fail" >&2
if [[ "${CI:-}" == "true" ]]; then export MPLI_WERROR=ON; fi
scripts/build.sh
cd "${MPLI_BUILD_DIR:-build}"
exec ctest --output-on-failure -j "$(nproc)" --timeout 600 "$@"
