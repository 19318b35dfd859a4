#!/usr/bin/env bash
# Resolver at scale: PROVIDERS generated provider manifests with OFFERINGS offerings each
# (bench/discovery's generator, --prerequisites mixed), ISO 27001 verified for 60% of the
# providers, and four consumer manifests (bench/resolver/consumers.py). Measures ingest and
# index catch-up, resolve latency sequential and with 4 clients, the time a catalogue change
# takes to become visible, the resolver's memory, and the Jena route (export the catalogue and
# the facts, validate each requirement shape on all offerings) with a check that both find the
# same conforming offerings. Prints a markdown table, also written to bench/out/resolver/results.md.
#
#   bench/resolver/run.sh [OFFERINGS_PER_PROVIDER=10] [PROVIDERS=10000]
#   env: REQUESTS=200 (per manifest and mode)  JENA=1 (0 skips the Jena route)
#        JAVA_HEAP=12g  VIA=bus|http (http: POST /v1/resolutions at the gateway)
#        COLD=1 (0 skips restarting the resolver to time a cold index load)
#        HOLD=1 (keep the hub up after the latency runs, for profiling, until $OUT/hold is
#        removed; at most two hours)
#
# Needs a built tree (mpli, the services, mpli-demo-provider, mpli-bench-resolver), python3 and
# for the Jena route Debian's libapache-jena-java and a JDK. Uses bench/out/resolver/ and ports
# 19180-19184 on 127.0.0.1; everything it starts is stopped by pid at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."
OFFERINGS=${1:-10}
PROVIDERS=${2:-10000}
REQUESTS=${REQUESTS:-200}
JENA=${JENA:-1}
JAVA_HEAP=${JAVA_HEAP:-12g}
VIA=${VIA:-bus}
COLD=${COLD:-1}
OUT=bench/out/resolver
BIN=build/bin
HTTP=19180; NATS=19181; PG=19182; SITE=19184
TOTAL=$(( PROVIDERS * OFFERINGS ))
NATS_URL=nats://127.0.0.1:$NATS
DRIVER=$BIN/mpli-bench-resolver
rm -rf "$OUT/state" "$OUT/manifests" "$OUT/consumers" "$OUT/export" "$OUT/jena-out"
mkdir -p "$OUT/export" "$OUT/jena-out"
pids=()
cleanup() { for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
log() { echo "[$(date +%T)] $*" >&2; }

log "generating $PROVIDERS manifests x $OFFERINGS offerings"
python3 bench/discovery/generate_manifests.py "$OUT/manifests" --providers "$PROVIDERS" \
  --offerings "$OFFERINGS" --prerequisites mixed
python3 bench/resolver/consumers.py "$OUT/consumers"
# Index probes: a requirement of a kind the catalogue lacks, so each probe costs little.
sed 's/{MARK}/1/' "$OUT/consumers/visibility.ttl" > "$OUT/consumers/probe.ttl"

"$BIN/mpli-demo-provider" --dir "$OUT/manifests" --port $SITE --threads 2 > "$OUT/site.log" 2>&1 &
pids+=($!)
# Per-client rate limits off: one client registering thousands of providers is the point.
MPLI_HANDLERS_CONCURRENCY=8 MPLI_REFRESH_WORKERS=8 MPLI_REFRESH_BATCH=64 MPLI_HTTP_THREADS=16 \
  MPLI_DATABASE_POOL_SIZE=32 MPLI_LOG_LEVEL=warn MPLI_RATELIMIT_REQUESTS_PER_SECOND=0 \
  "$BIN/mpli" up --state-dir "$OUT/state" --port $HTTP --nats-port $NATS --postgres-port $PG \
  --demo-dir none > "$OUT/hub.log" 2>&1 &
pids+=($!)
BASE=http://127.0.0.1:$HTTP
for _ in $(seq 1 120); do curl -fs "$BASE/readyz" >/dev/null 2>&1 && break; sleep 0.5; done
curl -fs "$BASE/readyz" >/dev/null
# The hub's nats-server lets in only its users: the driver connects as the operator.
NATS_URL=nats://operator:$(cat "$OUT/state/nats/users/operator.password")@127.0.0.1:$NATS
# Registering and refreshing providers need the admin token `mpli up` wrote (load.py reads it).
MPLI_TOKEN=$(cat "$OUT/state/admin-token")
export MPLI_TOKEN
resolver_pid() { grep -o 'resolver started (pid [0-9]*' "$OUT/hub.log" | tail -1 | grep -o '[0-9]*$'; }
memory() { awk '/VmRSS|VmHWM/ {printf "%s %.0f MiB  ", $1, $2/1024}' "/proc/$(resolver_pid)/status"; }

log "ingest"
ingest=$(python3 bench/discovery/load.py register "$BASE" "http://127.0.0.1:$SITE/" "$PROVIDERS" 16)
log "ingest ${ingest} s; waiting for the resolver's index"
catchup=$("$DRIVER" wait --nats $NATS_URL --manifest "$OUT/consumers/probe.ttl" --offerings $TOTAL)
log "index: $catchup (s after ingest, offerings)"

log "verified facts"
issued=$("$DRIVER" issue --nats $NATS_URL --key "$OUT/state/trust/demo-issuer.pem" \
  --providers "$PROVIDERS" --consumer "https://bench-consumer.example/mpli/consumer#consumer")
log "credentials submitted, seconds, failures: $issued"
# The resolver applies facts_changed events one subject at a time: wait until m1's conforming
# count (which depends on the providers' verified ISO 27001) has not moved for three polls.
facts_start=$(date +%s.%N)
previous=-1; stable=0
for _ in $(seq 1 600); do
  now=$("$DRIVER" report --nats $NATS_URL --manifest "$OUT/consumers/m1.ttl" | awk -F'\t' '/^req1/ {print $3}')
  if [[ "$now" == "$previous" && "$now" != "0" ]]; then stable=$((stable + 1)); else stable=0; fi
  (( stable >= 3 )) && break
  previous=$now; sleep 2
done
facts_s=$(printf '%.0f' "$(echo "$(date +%s.%N) - $facts_start - 6" | bc -l)")
mem_loaded=$(memory)
log "facts applied within ~${facts_s} s; resolver memory after ingest: $mem_loaded"

lat_args=(--nats $NATS_URL)
[[ $VIA == http ]] && lat_args+=(--http "$BASE")
declare -A lat1 lat4
for m in m1 m2 m3 m4; do
  log "latency $m"
  lat1[$m]=$("$DRIVER" latency "${lat_args[@]}" --manifest "$OUT/consumers/$m.ttl" --count "$REQUESTS" --concurrency 1)
  lat4[$m]=$("$DRIVER" latency "${lat_args[@]}" --manifest "$OUT/consumers/$m.ttl" --count "$REQUESTS" --concurrency 4)
done
mem_after_load=$(memory)
if [[ ${HOLD:-0} == 1 ]]; then
  touch "$OUT/hold"
  log "holding the hub (gateway $BASE, bus $NATS_URL) until $OUT/hold is removed"
  for _ in $(seq 1 7200); do [[ -e "$OUT/hold" ]] || break; sleep 1; done
fi

log "visibility"
provider_id=bench-p17
"$DRIVER" visibility --nats $NATS_URL --manifest "$OUT/consumers/visibility.ttl" --reps 7 \
  --prepare "sleep 1.1 && python3 bench/discovery/generate_manifests.py $OUT/manifests --providers $PROVIDERS --offerings $OFFERINGS --prerequisites mixed --only 17 --marker {MARK}" \
  --trigger "curl -fsS -o /dev/null -H 'Authorization: Bearer $MPLI_TOKEN' -X POST $BASE/v1/providers/$provider_id/refresh" > "$OUT/visibility.txt"
vis=$(awk '{print $1}' "$OUT/visibility.txt" | sort -n | awk '{a[NR]=$1} END {printf "%.0f %.0f %s", a[int((NR+1)/2)], a[NR], NR}')

cold_s=-; mem_cold="not measured (COLD=0)"
if [[ $COLD == 1 ]]; then
  log "cold start: the resolver restarted, index loaded from discovery's and trust's exports"
  old=$(resolver_pid)
  cold_start=$(date +%s.%N)
  kill -TERM "$old"
  for _ in $(seq 1 600); do [[ "$(resolver_pid)" != "$old" ]] && break; sleep 0.1; done
  cold=$("$DRIVER" wait --nats $NATS_URL --manifest "$OUT/consumers/probe.ttl" --offerings $TOTAL)
  cold_s=$(printf '%.1f' "$(echo "$(date +%s.%N) - $cold_start" | bc)")
  sleep 2
  mem_cold=$(memory)
  log "cold load ${cold_s} s; $mem_cold"
fi

# The reports (conforming counts, rejected lists) from the freshly loaded index, which holds
# what the exports below hold.
for m in m1 m2 m3 m4; do
  "$DRIVER" report --nats $NATS_URL --manifest "$OUT/consumers/$m.ttl" \
    --rejected-out "$OUT/export/$m.rejected" > "$OUT/export/$m.report"
done

jena_rows=""
if [[ $JENA == 1 ]]; then
  log "export for Jena"
  t0=$(date +%s.%N)
  curl -fsS -H 'Accept: application/n-triples' "$BASE/v1/catalog" > "$OUT/export/catalogue.nt"
  facts=$("$DRIVER" facts --nats $NATS_URL --out "$OUT/export/facts.nt")
  export_s=$(echo "$(date +%s.%N) - $t0" | bc)
  log "exported $(wc -l < "$OUT/export/catalogue.nt") catalogue triples, $facts facts in $export_s s"
  shapes=()
  for f in "$OUT"/consumers/jena/*.ttl; do shapes+=(--shapes "$f"); done
  log "Jena SHACL"
  t0=$(date +%s.%N)
  JENA_WORK=$OUT/jena JENA_SOURCE=$PWD/bench/resolver/JenaConforming.java JENA_JAVA_OPTS="-Xmx$JAVA_HEAP" \
    /usr/bin/time -f "%M" -o "$OUT/jena-out/maxrss" bench/shacl/peers/jena.sh \
    --data "$OUT/export/catalogue.nt" --data "$OUT/export/facts.nt" "${shapes[@]}" \
    --violating-out "$OUT/jena-out" > "$OUT/jena-out/summary.txt"
  jena_s=$(echo "$(date +%s.%N) - $t0" | bc)
  cat "$OUT/jena-out/summary.txt" >&2
  jena_load=$(awk '/^load/ {print $2}' "$OUT/jena-out/summary.txt")
  jena_rss=$(( $(cat "$OUT/jena-out/maxrss") / 1024 ))
  while read -r _ file ms conforming violating; do
    name=${file%.ttl}; m=${name%-req*}; k=${name#*-req}
    ours=$(awk -F'\t' -v r="req$k" '$1 == r {print $3}' "$OUT/export/$m.report")
    # The resolver lists at most explain_limit (1000) rejected candidates, nearest misses
    # first: each one it rejected by the shape must be among Jena's violating focus nodes.
    listed=$(awk -F'\t' -v r="req$k" '$1 == r {print $2}' "$OUT/export/$m.rejected" | sort)
    n_listed=$(echo -n "$listed" | grep -c . || true)
    n_in=$(comm -12 <(echo "$listed") <(sort "$OUT/jena-out/$file.violating") | grep -c . || true)
    set_check="$n_in of the $n_listed offerings the resolver lists as rejected by the shape are among Jena's violations"
    same=$([[ "$ours" == "$conforming" ]] && echo "same" || echo "MISMATCH")
    p50=$(echo "${lat1[$m]}" | awk '{print $1}')
    jena_rows+="| Jena: $m requirement $k | $ms ms validate ($(( jena_load + ms )) ms with the load) | resolver $m p50 $p50 ms: $(printf '%.0f' "$(echo "$ms / $p50" | bc -l)")x / $(printf '%.0f' "$(echo "($jena_load + $ms) / $p50" | bc -l)")x | conforming: Jena $conforming, resolver $ours ($same; $set_check) |"$'\n'
  done < <(grep '^shape' "$OUT/jena-out/summary.txt")
fi

row() { echo "${2}" | awk -v n="$1" '{printf "| %s | %s / %s / %s ms (max %s, %s req/s) |", n, $1, $2, $3, $4, $5}'; }
{
  echo "| measure | result | target / note |"
  echo "| --- | --- | --- |"
  echo "| catalogue | $PROVIDERS providers x $OFFERINGS offerings = $TOTAL; index holds $(echo "$catchup" | awk '{print $2}') | |"
  echo "| ingest (POST /v1/providers, 16 clients) | ${ingest} s | |"
  echo "| index caught up after ingest | $(echo "$catchup" | awk '{print $1}') s | |"
  echo "| credentials submitted (n, s, failures) | $issued | 60% of providers ISO 27001 + the consumer |"
  echo "| their facts all in the resolver's index (after the submissions) | ~${facts_s} s | |"
  echo "| resolver cold start: index loaded from the exports | $cold_s s | |"
  for m in m1 m2 m3 m4; do
    reqs=$(grep -c '^req' "$OUT/export/$m.report")
    conf=$(awk -F'\t' '/^req/ {printf "%s%s", sep, $3; sep="/"}' "$OUT/export/$m.report")
    sat=$(awk -F'\t' '/^satisfiable/ {print "satisfiable " $2 ", considered " $6 ", refusals " $8}' "$OUT/export/$m.report")
    echo "$(row "resolve $m ($reqs req, conforming $conf; $sat) p50/p90/p99, 1 client, $VIA" "${lat1[$m]}") p50 < 20, p99 < 100 ms |"
    echo "$(row "resolve $m, 4 clients, $VIA" "${lat4[$m]}") |"
  done
  echo "| catalogue change visible (refresh to resolve), median / max of $(echo $vis | awk '{print $3}') | $(echo $vis | awk '{print $1" / "$2}') ms | < 1000 ms |"
  echo "| resolver memory after ingest + facts | $mem_loaded | |"
  echo "| resolver memory after the latency runs | $mem_after_load | |"
  echo "| resolver memory after a cold start | $mem_cold | 1M offerings < 2 GiB |"
  if [[ $JENA == 1 ]]; then
    echo "| Jena: export (catalogue N-Triples + $facts facts) | $(printf '%.1f' "$export_s") s | |"
    echo "| Jena: load into one graph | $jena_load ms; whole process $(printf '%.1f' "$jena_s") s, max RSS $jena_rss MiB | |"
    printf "%s" "$jena_rows"
  fi
} | tee "$OUT/results.md"
