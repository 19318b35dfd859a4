#!/usr/bin/env bash
# Runs the repository's clang-tidy profile (.clang-tidy) with warnings as errors over the
# service kit every service stands on (libs/core, libs/bus, libs/db, libs/service, libs/fetch),
# the trust service with its credential library (libs/credentials, services/trust) and the
# resolver (services/resolver), the worker SDK and the reference workers (libs/worker, workers/),
# the process library (libs/process) and the portability service (services/portability); not
# tests.
# `--all` takes every production source (libs/, services/, tools/), which still has findings.
# Needs a configured build directory (compile_commands.json):
#   scripts/check-tidy.sh [--all] [BUILD_DIR]
# One file per core at a time. clang-tidy 22 (Debian 12's clang-tidy-22) when installed: it skips
# the system headers' code, which takes the profile from about 14 to about 5 CPU-minutes; else
# the default clang-tidy (14), with the same profile.
set -uo pipefail
cd "$(dirname "$0")/.."
scope=(libs/core libs/bus libs/db libs/service libs/fetch libs/credentials services/trust
       services/resolver libs/worker workers libs/process services/portability)
if [[ "${1:-}" == "--all" ]]; then
  scope=(libs services tools)
  shift
fi
build_dir=${1:-${MPLI_BUILD_DIR:-build}}
[[ -f "$build_dir/compile_commands.json" ]] || { echo "check-tidy: no $build_dir/compile_commands.json" >&2; exit 2; }
mapfile -t files < <(for dir in "${scope[@]}"; do git ls-files "$dir/*.cc"; done | grep -v '_test\.cc$')
tidy=$(command -v clang-tidy-22 || command -v clang-tidy) || { echo "check-tidy: no clang-tidy" >&2; exit 2; }
report=$(mktemp)
trap 'rm -f "$report"' EXIT
printf '%s\n' "${files[@]}" |
  # libstdc++ 12's std::stable_sort uses get_temporary_buffer, which clang 22 reports as
  # deprecated in every file that sorts; the gcc build reports our own deprecated uses.
  xargs -P "$(nproc)" -n 4 "$tidy" -p "$build_dir" --quiet --warnings-as-errors='*' \
    --extra-arg=-Wno-deprecated-declarations >"$report" 2>/dev/null
status=$?
if [[ $status -ne 0 ]] || grep -q 'warning:\|error:' "$report"; then
  grep -E 'warning:|error:' -A3 "$report" >&2
  echo "check-tidy: findings above (exit $status)" >&2
  exit 1
fi
echo "check-tidy: ${#files[@]} files clean ($("$tidy" --version | grep -o 'version [0-9.]*'))"
