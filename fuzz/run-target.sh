#!/usr/bin/env bash
# Runs one libFuzzer target, as ctest does (cmake/MpliFuzz.cmake) and fuzz/run.sh:
#   run-target.sh corpus BIN WORK           each seed once, in full: a regression test
#   run-target.sh fuzz   BIN WORK SECONDS   fuzz for SECONDS ("long": ${MPLI_FUZZ_SECONDS:-600})
# BIN is <build>/fuzz-clang/bin/<name>_fuzz. The seeds are fuzz/corpus/<name>/ (the manifest
# target also gets the ontology examples, valid and invalid). Inputs a long run adds are kept
# in WORK/corpus/<name>/ for the next one; a crash, leak, timeout or sanitizer report fails the
# run and leaves the input in WORK/artifacts/.
set -euo pipefail
[[ $# -ge 3 ]] || { echo "usage: run-target.sh corpus|fuzz BIN WORK [SECONDS|long]" >&2; exit 2; }
mode=$1
bin=$2
work=$3
src=$(cd "$(dirname "$0")/.." && pwd)
name=$(basename "$bin")
name=${name%_fuzz}
case $name in
  manifest_check)
    seeds=("$src/fuzz/corpus/manifest" "$src/ontology/examples")
    options=(-max_len=65536) ;;
  offering_query)
    seeds=("$src/fuzz/corpus/offering_query")
    options=(-max_len=4096) ;;
  credential_token)
    seeds=("$src/fuzz/corpus/credential_token")
    options=(-max_len=16384) ;;
  gateway_request)
    seeds=("$src/fuzz/corpus/gateway_request")
    options=(-max_len=16384) ;;
  worker_message)
    seeds=("$src/fuzz/corpus/worker_message")
    options=(-max_len=16384) ;;
  *) echo "run-target.sh: no seeds known for $name" >&2; exit 2 ;;
esac
[[ -x "$bin" ]] || { echo "run-target.sh: $bin is not built (cmake --build <build> --target mpli_fuzz_clang)" >&2; exit 1; }
# A missing or empty seed directory is an error, never a silent run over nothing.
files=()
for dir in "${seeds[@]}"; do
  found=$(find "$dir" -type f 2>/dev/null | sort)
  [[ -n "$found" ]] || { echo "run-target.sh: no seeds in $dir" >&2; exit 1; }
  mapfile -t -O "${#files[@]}" files <<< "$found"
done
# UBSan only reports by default; halting makes undefined behaviour a failure like a crash.
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
mkdir -p "$work/artifacts"
common=(-rss_limit_mb=2048 -timeout=25 -artifact_prefix="$work/artifacts/$name-")

case $mode in
  corpus)
    echo "$name: ${#files[@]} seeds"
    # Given files rather than directories, libFuzzer runs each in full (no -max_len cut).
    "$bin" "${common[@]}" "${files[@]}"
    ;;
  fuzz)
    seconds=${4:?seconds}
    # New inputs go to the first directory (the build tree's), never into the source tree. The
    # long runs keep theirs and start from them next time; a short run starts from the seeds
    # alone, so that its cost does not grow from run to run.
    grown=$work/corpus/$name
    if [[ "$seconds" == long ]]; then
      seconds=${MPLI_FUZZ_SECONDS:-600}
    else
      grown=$work/corpus/$name-short
      rm -rf "$grown"
    fi
    mkdir -p "$grown"
    # The short run in ./test.sh has a fixed seed (MPLI_FUZZ_SEED) so that CI is repeatable;
    # a long run by hand takes a new one each time.
    seed=()
    [[ "$grown" == *-short ]] && seed=(-seed="${MPLI_FUZZ_SEED:-1}")
    if ! "$bin" "${common[@]}" "${options[@]}" "${seed[@]}" -max_total_time="$seconds" -print_final_stats=1 \
        "$grown" "${seeds[@]}"; then
      echo "run-target.sh: $name failed; the input is in $work/artifacts/ (replay: $bin <file>)" >&2
      exit 1
    fi
    ;;
  *) echo "run-target.sh: unknown mode $mode" >&2; exit 2 ;;
esac
