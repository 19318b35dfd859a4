#!/usr/bin/env bash
# Delivery: ORDERS orders for an offering fulfilled by an exec worker whose script returns at
# once; orders per second from request to `active`, and delivery's overhead per order (p50/p99,
# the script's own run time subtracted). mpli-bench-delivery starts its own nats-server,
# PostgreSQL, mpli-discovery, mpli-delivery and mpli-worker-exec under bench/out/delivery/ on
# ports 19291-19292 of 127.0.0.1, and stops them at the end.
#
#   bench/delivery/run.sh [ORDERS=1000] [CONCURRENCY=16] [WORKER_CONCURRENCY=8]
#   env: POSTGRES=socket|tcp (how the services reach PostgreSQL; `mpli up` uses the socket)
set -euo pipefail
cd "$(dirname "$0")/../.."
ORDERS=${1:-1000}
CONCURRENCY=${2:-16}
WORKER_CONCURRENCY=${3:-8}
OUT=bench/out/delivery
rm -rf "$OUT/state"
mkdir -p "$OUT"
build/bin/mpli-bench-delivery --state "$PWD/$OUT/state" --orders "$ORDERS" \
  --concurrency "$CONCURRENCY" --worker-concurrency "$WORKER_CONCURRENCY" \
  --postgres "${POSTGRES:-socket}" | tee "$OUT/results.txt"
