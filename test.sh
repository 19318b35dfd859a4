#!/usr/bin/env bash
# Quick start, part 2: install what is missing, build, and run the whole test suite (ctest):
# unit tests, the W3C SHACL conformance suite and integration tests against a real
# nats-server and PostgreSQL. Extra arguments go to ctest (e.g. -L unit, -R outbox).
#
# ./test.sh --sanitize [ctest args]: the unit and integration tests (unless ctest args say
# otherwise) built with AddressSanitizer and UndefinedBehaviorSanitizer into build-sanitize.
# Every report, from a test or from a service it started, is written to
# build-sanitize/sanitizer-reports/ and fails the run.
set -euo pipefail
cd "$(dirname "$0")"
sanitize=0
if [[ "${1:-}" == "--sanitize" ]]; then
  sanitize=1
  shift
fi
scripts/install-deps.sh
# tools/npm (the OpenAPI linter, the browser test's driver). Without the npm registry the rest
# of the suite still runs; the tests needing these tools then fail (ctest's npm_tools fixture).
scripts/install-npm-tools.sh || echo "test.sh: npm tools not installed; their tests will fail" >&2
if [[ "${CI:-}" == "true" ]]; then export MPLI_WERROR=ON; fi
if [[ $sanitize -eq 0 ]]; then
  scripts/build.sh
  cd "${MPLI_BUILD_DIR:-build}"
  exec ctest --output-on-failure -j "$(nproc)" --timeout 600 "$@"
fi

export MPLI_BUILD_DIR=${MPLI_BUILD_DIR:-build-sanitize}
# The libFuzzer build is sanitized already (fuzz/): not built twice.
export MPLI_CMAKE_ARGS="-DMPLI_SANITIZE=ON -DMPLI_FUZZ_TESTS=OFF"
scripts/build.sh
reports="$PWD/$MPLI_BUILD_DIR/sanitizer-reports"
rm -rf "$reports"
mkdir -p "$reports"
chmod 1777 "$reports"  # PostgreSQL's tools run as postgres; a report of theirs must land too
export ASAN_OPTIONS="log_path=$reports/asan:detect_leaks=1:strict_string_checks=1"
export UBSAN_OPTIONS="log_path=$reports/ubsan:print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="suppressions=$PWD/tests/sanitizer/lsan.supp:print_suppressions=0"
cd "$MPLI_BUILD_DIR"
[[ $# -gt 0 ]] || set -- -L 'unit|integration'
status=0
ctest --output-on-failure -j "$(nproc)" --timeout 1200 "$@" || status=$?
if compgen -G "$reports/*" >/dev/null; then
  echo "test.sh --sanitize: sanitizer reports (in $reports):" >&2
  for report in "$reports"/*; do
    echo "== $report" >&2
    head -60 "$report" >&2
  done
  exit 1
fi
exit $status
