#!/usr/bin/env bash
# Configures (once) and builds incrementally into build/. MPLI_WERROR=ON makes warnings errors
# (CI sets it). `scripts/build.sh mpli federation_tests` builds only those targets (the machine
# is shared; build what you need); arguments that start with '-' go to `cmake --build` as given.
# MPLI_CMAKE_ARGS: more -D options for every configure (./test.sh --sanitize, fuzz/run.sh use it).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${MPLI_BUILD_DIR:-build}
WERROR=${MPLI_WERROR:-OFF}
if [[ ! -f "$BUILD_DIR/build.ninja" ]]; then
  # shellcheck disable=SC2086 # MPLI_CMAKE_ARGS is a list of -D options
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMPLI_WERROR="$WERROR" \
    ${MPLI_CMAKE_ARGS:-}
else
  # shellcheck disable=SC2086 # MPLI_CMAKE_ARGS is a list of -D options
  cmake -S . -B "$BUILD_DIR" -DMPLI_WERROR="$WERROR" ${MPLI_CMAKE_ARGS:-} >/dev/null
fi
if [[ $# -gt 0 && "$1" != -* ]]; then
  cmake --build "$BUILD_DIR" -j "$(nproc)" --target "$@"
else
  cmake --build "$BUILD_DIR" -j "$(nproc)" "$@"
fi
