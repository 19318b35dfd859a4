#!/usr/bin/env bash
# The resolver's domain in process, without the hub: PROVIDERS generated provider manifests with
# OFFERINGS offerings each (bench/discovery's generator, --prerequisites mixed), the verified
# facts bench/resolver/run.sh has trust verify (ISO 27001 for 60% of the providers, a legal
# identity for the consumer) and the four consumer manifests of bench/resolver/consumers.py,
# loaded into a resolver::CatalogueIndex as the resolver's cold start loads it. Measures the
# load, the memory (VmRSS, VmHWM) and resolve latency (manifest read + resolve) per consumer
# manifest. Reaches 1,000,000 offerings (100000 providers) in minutes, where run.sh's ingest
# would take hours. Prints a markdown table, also written to bench/out/resolver-index/results.md.
#
#   bench/resolver/in_process.sh [PROVIDERS=10000] [OFFERINGS=10]
#   env: REPEAT=20 (timed resolves per manifest)  WARMUP=2  NAMES=m1,m2,m3,m4
#        DUMP=DIR (write each manifest's last resolution there, to compare two builds)
#        BIN=build/bin (the binaries to run)
#
# Needs a built tree (mpli-bench-resolver, mpli-bench-resolver-index) and python3. Generated
# manifests are kept in bench/out/resolver-index/<PROVIDERS>x<OFFERINGS>/ and reused while the
# generator is unchanged (about 1.3 GB for 100000 providers x 10).
set -euo pipefail
cd "$(dirname "$0")/../.."
PROVIDERS=${1:-10000}
OFFERINGS=${2:-10}
REPEAT=${REPEAT:-20}
WARMUP=${WARMUP:-2}
NAMES=${NAMES:-m1,m2,m3,m4}
OUT=bench/out/resolver-index
DATA=$OUT/${PROVIDERS}x${OFFERINGS}
BIN=${BIN:-build/bin}
CONSUMER="https://bench-consumer.example/mpli/consumer#consumer"
log() { echo "[$(date +%T)] $*" >&2; }

# The manifests are reused while the stamp of their finished generation matches.
recipe="$PROVIDERS $OFFERINGS mixed $(sha256sum bench/discovery/generate_manifests.py | cut -c1-16)"
if [[ -f $DATA/manifests.stamp && "$(cat "$DATA/manifests.stamp")" == "$recipe" ]]; then
  log "reusing the manifests in $DATA/manifests"
else
  log "generating $PROVIDERS manifests x $OFFERINGS offerings into $DATA/manifests"
  rm -rf "$DATA"
  mkdir -p "$DATA"
  python3 bench/discovery/generate_manifests.py "$DATA/manifests" --providers "$PROVIDERS" \
    --offerings "$OFFERINGS" --prerequisites mixed
  echo "$recipe" > "$DATA/manifests.stamp"
fi
python3 bench/resolver/consumers.py "$DATA/consumers"
"$BIN/mpli-bench-resolver" verified-facts --providers "$PROVIDERS" --consumer "$CONSUMER" \
  --out "$DATA/facts.nt" > /dev/null

log "loading the index and resolving ($REPEAT timed runs per manifest)"
{
  echo "In process, $(date -u +%F) on $(git rev-parse --short HEAD), $(nproc) cores," \
    "load average $(cut -d' ' -f1-3 /proc/loadavg):" \
    "\`bench/resolver/in_process.sh $PROVIDERS $OFFERINGS\` (REPEAT=$REPEAT, WARMUP=$WARMUP)."
  echo
  "$BIN/mpli-bench-resolver-index" --manifests "$DATA/manifests" --facts "$DATA/facts.nt" \
    --consumers "$DATA/consumers" --names "$NAMES" --repeat "$REPEAT" --warmup "$WARMUP" \
    ${DUMP:+--dump "$DUMP"}
} | tee "$OUT/results.md"
cp "$OUT/results.md" "$OUT/results-${PROVIDERS}x${OFFERINGS}.md"
