#!/usr/bin/env bash
# Discovery at scale: N generated provider manifests (M offerings each) served over HTTP;
# full ingest through the gateway, GET /v1/offerings latency for three filter mixes, and a
# refresh round in which 1% of the manifests changed. Prints a markdown table.
#
#   bench/discovery/run.sh [PROVIDERS=10000] [OFFERINGS=10]
#
# Needs a built tree (scripts/build.sh) and python3. Uses bench/out/discovery/ and ports
# 19080-19084 on 127.0.0.1; everything it starts is stopped by pid at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."
PROVIDERS=${1:-10000}
OFFERINGS=${2:-10}
OUT=bench/out/discovery
BIN=build/bin
HTTP=19080; NATS=19081; PG=19082; SITE=19084
rm -rf "$OUT"; mkdir -p "$OUT"
pids=()
cleanup() { for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

echo "generating $PROVIDERS manifests x $OFFERINGS offerings" >&2
python3 bench/discovery/generate_manifests.py "$OUT/manifests" --providers "$PROVIDERS" --offerings "$OFFERINGS"
du -sh "$OUT/manifests" >&2

"$BIN/mpli-demo-provider" --dir "$OUT/manifests" --port $SITE --threads 2 > "$OUT/site.log" 2>&1 &
pids+=($!)
# The hub with parallel handlers and refresh workers sized for the round.
MPLI_HANDLERS_CONCURRENCY=8 MPLI_REFRESH_WORKERS=8 MPLI_REFRESH_BATCH=64 MPLI_HTTP_THREADS=16 \
  MPLI_DATABASE_POOL_SIZE=32 \
  MPLI_LOG_LEVEL=warn \
  "$BIN/mpli" up --state-dir "$OUT/state" --port $HTTP --nats-port $NATS --postgres-port $PG \
  --demo-dir none > "$OUT/hub.log" 2>&1 &
pids+=($!)
BASE=http://127.0.0.1:$HTTP
for _ in $(seq 1 120); do curl -fs "$BASE/readyz" >/dev/null 2>&1 && break; sleep 0.5; done
curl -fs "$BASE/readyz" >/dev/null
# Registering and refreshing providers need the admin token `mpli up` wrote (load.py reads it).
MPLI_TOKEN=$(cat "$OUT/state/admin-token")
export MPLI_TOKEN
PSQL=(/usr/lib/postgresql/15/bin/psql -h 127.0.0.1 -p $PG -U postgres -d mpli -tAq)
sql() { "${PSQL[@]}" -c "$1"; }

echo "ingest" >&2
ingest=$(python3 bench/discovery/load.py register "$BASE" "http://127.0.0.1:$SITE/" "$PROVIDERS" 16)
# Where the CPU went during ingest (seconds of CPU per process kind), for docs/benchmarks.md.
ps -eo time=,comm= | awk '{split($1,t,":"); s=t[1]*3600+t[2]*60+t[3]; cpu[$2]+=s} END {for (c in cpu) if (cpu[c] > 0) print "cpu " c " " cpu[c] " s"}' >&2
offerings=$(sql "SELECT count(*) FROM discovery.offerings")
# Autovacuum would analyse the new table within a minute; the benchmark does not wait for it.
sql "ANALYZE discovery.offerings"
providers=$(sql "SELECT count(*) FROM discovery.providers")

echo "latency" >&2
mix_a="kind=ManagedPostgreSQL&country=DE&limit=50"
mix_b="min_vcpu=8&max_price=300&certification=ISO27001&limit=50"
mix_c="q=kubernetes%2042&limit=20"
# Each mix must match something (load.py fails on an empty answer); the text search must also
# find only what it asked for: %20 decoded to a space.
lat_a=$(python3 bench/discovery/load.py latency "$BASE" "$mix_a" 2000)
lat_b=$(python3 bench/discovery/load.py latency "$BASE" "$mix_b" 2000)
lat_c=$(python3 bench/discovery/load.py latency "$BASE" "$mix_c" 2000 "kubernetes 42")

echo "refresh round" >&2
touched=$(( PROVIDERS / 100 ))
sleep 1  # Last-Modified has one-second resolution: the rewrite must be visibly newer
python3 bench/discovery/generate_manifests.py "$OUT/manifests" --providers "$PROVIDERS" --offerings "$OFFERINGS" --touch "$touched"
versions_before=$(sql "SELECT count(*) FROM discovery.manifest_versions")
events_before=$(sql "SELECT count(*) FROM discovery.outbox")
round_start=$(date +%s.%N)
sql "UPDATE discovery.providers SET next_refresh_at = now()"
for _ in $(seq 1 1200); do
  pending=$(sql "SELECT count(*) FROM discovery.providers WHERE fetched_at < to_timestamp($round_start)")
  [[ "$pending" == "0" ]] && break
  sleep 0.2  # each probe is a psql process: polling faster would load the machine it measures
done
round=$(echo "$(date +%s.%N) - $round_start" | bc)
versions_new=$(( $(sql "SELECT count(*) FROM discovery.manifest_versions") - versions_before ))
changed_events=$(sql "SELECT count(*) FROM discovery.outbox WHERE subject LIKE '%offering_changed' AND created_at >= to_timestamp($round_start)")
ingested_events=$(sql "SELECT count(*) FROM discovery.outbox WHERE subject LIKE '%manifest_ingested' AND created_at >= to_timestamp($round_start)")

cat <<TABLE
| measure | result | target |
| --- | --- | --- |
| providers / offerings ingested | $providers / $offerings | $PROVIDERS / $(( PROVIDERS * OFFERINGS )) |
| full ingest (POST /v1/providers, 16 clients) | ${ingest} s | < 60 s |
| GET /v1/offerings \`$mix_a\` p50 / p99 (results) | $(echo $lat_a | awk '{print $1" / "$2" ms ("$3")"}') | p99 < 20 ms (> 0) |
| GET /v1/offerings \`$mix_b\` p50 / p99 (results) | $(echo $lat_b | awk '{print $1" / "$2" ms ("$3")"}') | p99 < 20 ms (> 0) |
| GET /v1/offerings \`$mix_c\` p50 / p99 (results) | $(echo $lat_c | awk '{print $1" / "$2" ms ("$3")"}') | p99 < 20 ms (> 0) |
| refresh round ($touched of $PROVIDERS changed) | $(printf '%.2f' "$round") s | < 5 s |
| new versions stored in the round | $versions_new | $touched |
| manifest_ingested / offering_changed events in the round | $ingested_events / $changed_events | $touched / $(( touched * OFFERINGS )) |
TABLE
