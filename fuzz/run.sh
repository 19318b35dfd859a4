#!/usr/bin/env bash
# Builds the fuzz targets with clang (libFuzzer, AddressSanitizer, UBSan) into build-fuzz/ and
# runs each for SECONDS (default 60), starting from fuzz/corpus/ (example manifests included),
# after the manifest replay (fuzz/manifest_replay.cc) has run once under the same sanitizers.
#   fuzz/run.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-60}
command -v clang++ >/dev/null || { sudo_cmd=""; [[ $(id -u) -ne 0 ]] && sudo_cmd=sudo; $sudo_cmd apt-get install -y -qq clang libclang-rt-14-dev; }
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DMPLI_FUZZ=ON -DMPLI_BUILD_TESTS=OFF \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz --target manifest_check_fuzz offering_query_fuzz manifest_replay
# The seed corpus, its grown variants and the seeded mutations ctest runs, under the sanitizers.
build-fuzz/bin/manifest_replay --mutations 2000 --seed 1 fuzz/corpus/manifest ontology/examples \
  ontology/examples/invalid
mkdir -p build-fuzz/corpus/manifest build-fuzz/corpus/query
cp ontology/examples/*.ttl ontology/examples/invalid/*.ttl fuzz/corpus/manifest/* build-fuzz/corpus/manifest/ 2>/dev/null || true
printf 'kind=VirtualMachine&country=DE&min_vcpu=4&max_price=12.5&limit=20' > build-fuzz/corpus/query/seed
build-fuzz/bin/manifest_check_fuzz -max_total_time="$SECONDS_EACH" -max_len=65536 -rss_limit_mb=2048 build-fuzz/corpus/manifest
build-fuzz/bin/offering_query_fuzz -max_total_time="$SECONDS_EACH" -max_len=4096 build-fuzz/corpus/query
