#!/usr/bin/env bash
# Gateway: throughput and latency of GET /v1/offerings?limit=20 and POST /v1/resolutions
# through the gateway (wrk), and the same requests straight on the bus (mpli-bench-gateway),
# on one local federation (`mpli up`) with PROVIDERS generated providers of OFFERINGS offerings.
# The gateway's added latency is measured request by request: one client sends each request
# through the gateway and on the bus, alternately first (mpli-bench-gateway --gateway), and the
# p50 of the per-pair differences is what the gateway adds. Prints markdown tables, also
# written to bench/out/gateway/results.md.
#
#   bench/gateway/run.sh [DURATION=30s] [PROVIDERS=100] [OFFERINGS=10]
#   env: CONNECTIONS=64 THREADS=2 (wrk's load run)  COUNT=2000 (bus requests per measurement)
#        PAIRS=1000 (gateway/bus pairs per request for the added latency)
#        MANIFEST=m1 (bench/resolver/consumers.py's consumer manifest for POST /v1/resolutions)
#        TOKEN= (bearer token sent by wrk and curl; unset: once `mpli token` exists, the script
#        makes a consumer token with `mpli token create --role consumer --tenant bench --state
#        bench/out/gateway/state` after the hub has started; before that, none is sent)
#        LOG_LEVEL=info (the gateway logs one line per request at info, as in production)
#
# Needs a built tree (mpli, the services, mpli-demo-provider, mpli-bench-gateway), python3, curl
# and Debian's wrk (scripts/packages.d/bench.txt). Uses bench/out/gateway/ and ports 19190-19194
# on 127.0.0.1; everything it starts is stopped by pid at the end. Per-client rate limits are
# switched off for the run (one client at thousands of requests a second is the point).
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${1:-30s}
PROVIDERS=${2:-100}
OFFERINGS=${3:-10}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
COUNT=${COUNT:-2000}
PAIRS=${PAIRS:-1000}
MANIFEST=${MANIFEST:-m1}
LOG_LEVEL=${LOG_LEVEL:-info}
TOKEN=${TOKEN:-}
OUT=bench/out/gateway
BIN=build/bin
HTTP=19190; NATS=19191; PG=19192; SITE=19194
NATS_URL=nats://127.0.0.1:$NATS
BASE=http://127.0.0.1:$HTTP
for tool in wrk curl python3 "$BIN/mpli" "$BIN/mpli-bench-gateway" "$BIN/mpli-demo-provider"; do
  command -v "$tool" >/dev/null || { echo "missing: $tool" >&2; exit 1; }
done
rm -rf "$OUT/state" "$OUT/manifests" "$OUT/consumers"
mkdir -p "$OUT"
pids=()
cleanup() { for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
log() { echo "[$(date +%T)] $*" >&2; }

log "generating $PROVIDERS manifests x $OFFERINGS offerings"
python3 bench/discovery/generate_manifests.py "$OUT/manifests" --providers "$PROVIDERS" \
  --offerings "$OFFERINGS" --prerequisites mixed > /dev/null
python3 bench/resolver/consumers.py "$OUT/consumers" > /dev/null
"$BIN/mpli-demo-provider" --dir "$OUT/manifests" --port $SITE --threads 2 > "$OUT/site.log" 2>&1 &
pids+=($!)
# The slow executor (resolutions) may queue every connection, so the load row measures
# resolutions, not the 503s a queue of the default 32 gives 64 connections at once.
MPLI_RATELIMIT_REQUESTS_PER_SECOND=0 MPLI_LOG_LEVEL=$LOG_LEVEL MPLI_HTTP_THREADS=$THREADS \
  MPLI_EXECUTOR_SLOW_QUEUE_LIMIT=$(( CONNECTIONS * 2 )) \
  "$BIN/mpli" up --state-dir "$OUT/state" --port $HTTP --nats-port $NATS --postgres-port $PG \
  --demo-dir none > "$OUT/hub.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 240); do curl -fs "$BASE/readyz" >/dev/null 2>&1 && break; sleep 0.5; done
curl -fs "$BASE/readyz" >/dev/null || { echo "the hub did not become ready; see $OUT/hub.log" >&2; exit 1; }
# The hub's nats-server lets in only its users: the driver connects as the operator.
NATS_URL=nats://operator:$(cat "$OUT/state/nats/users/operator.password")@127.0.0.1:$NATS

# Registration is an admin's (or the provider's) act once the hub has bearer tokens.
admin=()
[[ -s "$OUT/state/admin-token" ]] && admin=(-H "Authorization: Bearer $(cat "$OUT/state/admin-token")")
log "registering $PROVIDERS providers"
for i in $(seq 0 $((PROVIDERS - 1))); do echo "$i"; done |
  xargs -P 4 -I{} curl -fsS -o /dev/null "${admin[@]}" -H 'Content-Type: application/json' \
    -d "{\"manifest_url\": \"http://127.0.0.1:$SITE/p{}.ttl\"}" "$BASE/v1/providers"
if [[ -z "$TOKEN" ]] && "$BIN/mpli" token --help >/dev/null 2>&1; then
  TOKEN=$("$BIN/mpli" token create --role consumer --tenant bench --state "$OUT/state" | tail -1)
fi
auth=()
[[ -n "$TOKEN" ]] && auth=(-H "Authorization: Bearer $TOKEN")
manifest="$OUT/consumers/$MANIFEST.ttl"
# The resolver indexes the catalogue from discovery's events: wait until it holds every offering.
total=$(( PROVIDERS * OFFERINGS ))
log "waiting for the resolver's index ($total offerings)"
for _ in $(seq 1 600); do
  n=$(curl -fs "${auth[@]}" -H 'Content-Type: text/turtle' --data-binary "@$manifest" \
      "$BASE/v1/resolutions" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("catalogue_offerings", 0))' 2>/dev/null || echo 0)
  [[ "$n" -ge "$total" ]] && break
  sleep 1
done

cat > "$OUT/resolve.lua" <<LUA
local f = io.open("$manifest", "rb")
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "text/turtle"
local token = os.getenv("TOKEN")
if token and token ~= "" then wrk.headers["Authorization"] = "Bearer " .. token end
LUA
get_args=()
[[ -n "$TOKEN" ]] && get_args=(-H "Authorization: Bearer $TOKEN")

# wrk's "Requests/sec", latency percentiles in ms, and answers that were not 2xx/3xx
# (socket errors count too): "rps p50 p99 bad".
summarise() {
  awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0;
                     if (v ~ /m$/) return v * 60000; if (v ~ /s$/) return v * 1000; return v }
    $1 == "50%" { p50 = ms($2) } $1 == "99%" { p99 = ms($2) }
    $1 == "Requests/sec:" { rps = $2 }
    /Non-2xx or 3xx responses:/ { bad += $NF }
    /Socket errors:/ { for (i = 3; i <= NF; i += 2) bad += $(i + 1) }
    END { printf "%.0f %.2f %.2f %d\n", rps, p50, p99, bad + 0 }'
}
run_wrk() {  # name connections threads duration args...
  local name=$1 c=$2 t=$3 d=$4; shift 4
  TOKEN=$TOKEN wrk -t"$t" -c"$c" -d"$d" --latency "$@" > "$OUT/wrk-$name.txt" 2>&1
  summarise < "$OUT/wrk-$name.txt"
}
bus() {  # op args... -> "rps p50 p99"
  "$BIN/mpli-bench-gateway" --nats $NATS_URL "$@" |
    awk '{ printf "%.0f %.2f %.2f %d\n", $8, $10, $12, $4 }'
}

offerings_url="$BASE/v1/offerings?limit=20"
log "GET /v1/offerings?limit=20: one connection, then $CONNECTIONS ($DURATION each)"
read -r g1_rps g1_p50 g1_p99 g1_bad < <(run_wrk get-c1 1 1 "$DURATION" "${get_args[@]}" "$offerings_url")
read -r gN_rps gN_p50 gN_p99 gN_bad < <(run_wrk get-load "$CONNECTIONS" "$THREADS" "$DURATION" "${get_args[@]}" "$offerings_url")
log "POST /v1/resolutions ($MANIFEST): one connection, then $CONNECTIONS"
read -r r1_rps r1_p50 r1_p99 r1_bad < <(run_wrk post-c1 1 1 "$DURATION" -s "$OUT/resolve.lua" "$BASE/v1/resolutions")
read -r rN_rps rN_p50 rN_p99 rN_bad < <(run_wrk post-load "$CONNECTIONS" "$THREADS" "$DURATION" -s "$OUT/resolve.lua" "$BASE/v1/resolutions")
log "the same on the bus ($COUNT requests; one client, then $CONNECTIONS)"
read -r b1_rps b1_p50 b1_p99 b1_bad < <(bus --op offerings --count "$COUNT" --concurrency 1)
read -r bN_rps bN_p50 bN_p99 bN_bad < <(bus --op offerings --count "$COUNT" --concurrency "$CONNECTIONS")
read -r c1_rps c1_p50 c1_p99 c1_bad < <(bus --op resolve --manifest "$manifest" --count "$COUNT" --concurrency 1)
read -r cN_rps cN_p50 cN_p99 cN_bad < <(bus --op resolve --manifest "$manifest" --count "$COUNT" --concurrency "$CONNECTIONS")
log "the gateway's added latency: $PAIRS pairs per request, one client, gateway and bus alternately first"
paired() {  # op args... -> "bus_p50 bus_p99 gateway_p50 gateway_p99 added_p50 added_p99 errors"
  "$BIN/mpli-bench-gateway" --nats $NATS_URL --gateway "$BASE" --token "$TOKEN" --count "$PAIRS" \
    --concurrency 1 "$@" | awk '{ print $10, $12, $14, $16, $18, $20, $4 }'
}
read -r po_bus50 po_bus99 po_gw50 po_gw99 po_add50 po_add99 po_bad < <(paired --op offerings)
read -r pr_bus50 pr_bus99 pr_gw50 pr_gw99 pr_add50 pr_add99 pr_bad < <(paired --op resolve --manifest "$manifest")
{
  echo "Gateway benchmark: $PROVIDERS providers x $OFFERINGS offerings, wrk $DURATION per row, $(nproc) cores, $(date -u +%FT%TZ)"
  echo
  echo "| request | path | clients | req/s | p50 ms | p99 ms | errors |"
  echo "| --- | --- | --- | --- | --- | --- | --- |"
  echo "| GET /v1/offerings?limit=20 | gateway | 1 | $g1_rps | $g1_p50 | $g1_p99 | $g1_bad |"
  echo "| GET /v1/offerings?limit=20 | bus | 1 | $b1_rps | $b1_p50 | $b1_p99 | $b1_bad |"
  echo "| GET /v1/offerings?limit=20 | gateway | $CONNECTIONS | $gN_rps | $gN_p50 | $gN_p99 | $gN_bad |"
  echo "| GET /v1/offerings?limit=20 | bus | $CONNECTIONS | $bN_rps | $bN_p50 | $bN_p99 | $bN_bad |"
  echo "| POST /v1/resolutions ($MANIFEST) | gateway | 1 | $r1_rps | $r1_p50 | $r1_p99 | $r1_bad |"
  echo "| POST /v1/resolutions ($MANIFEST) | bus | 1 | $c1_rps | $c1_p50 | $c1_p99 | $c1_bad |"
  echo "| POST /v1/resolutions ($MANIFEST) | gateway | $CONNECTIONS | $rN_rps | $rN_p50 | $rN_p99 | $rN_bad |"
  echo "| POST /v1/resolutions ($MANIFEST) | bus | $CONNECTIONS | $cN_rps | $cN_p50 | $cN_p99 | $cN_bad |"
  echo
  echo "Added by the gateway, one client, $PAIRS pairs of the same request (gateway, bus), alternately first:"
  echo
  echo "| request | bus p50 / p99 ms | gateway p50 / p99 ms | added p50 / p99 ms (per pair) | errors |"
  echo "| --- | --- | --- | --- | --- |"
  echo "| GET /v1/offerings?limit=20 | $po_bus50 / $po_bus99 | $po_gw50 / $po_gw99 | **$po_add50** / $po_add99 | $po_bad |"
  echo "| POST /v1/resolutions ($MANIFEST) | $pr_bus50 / $pr_bus99 | $pr_gw50 / $pr_gw99 | **$pr_add50** / $pr_add99 | $pr_bad |"
} | tee "$OUT/results.md"
