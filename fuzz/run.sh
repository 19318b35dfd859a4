#!/usr/bin/env bash
# Fuzzes for longer, by hand: builds the clang build of the fuzz targets (cmake/MpliFuzz.cmake,
# into <build>/fuzz-clang) and runs ctest's fuzz-long profile: each libFuzzer target for SECONDS
# (default 600) from its seed corpus (fuzz/corpus/) and what earlier runs found, and the replay
# drivers under AddressSanitizer and UBSan. ./test.sh runs the short profile (label fuzz).
#   fuzz/run.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
export MPLI_FUZZ_SECONDS=${1:-600}
BUILD_DIR=${MPLI_BUILD_DIR:-build}
scripts/install-deps.sh
# The long profile fuzzes at -O1 (./test.sh's short one builds at -O0, cmake/MpliFuzz.cmake);
# the build directory keeps -O1 afterwards.
export MPLI_CMAKE_ARGS="${MPLI_CMAKE_ARGS:-} -DMPLI_FUZZ_OPTIMIZE=-O1"
if ! scripts/build.sh mpli_fuzz_clang; then
  echo "fuzz/run.sh: the clang build failed, or is not configured: see 'fuzz:' in the output of" \
       "cmake -S . -B $BUILD_DIR" >&2
  exit 1
fi
cd "$BUILD_DIR"
exec ctest -C fuzz-long -L fuzz-long --output-on-failure -j "$(nproc)"
