#!/usr/bin/env bash
# Credential verification benchmark: verifications per second on one core for ES256 and EdDSA
# vc+jwt credentials, `mpli-bench-credentials verify` against the `jose` npm library on the same
# tokens in the same run, and against `openssl speed`'s raw signature verification (the limit).
#
# It builds nothing: it expects build/bin/mpli-bench-credentials (cmake --build build --target
# mpli-bench-credentials). It generates COUNT credentials per algorithm into a temporary
# directory, then runs every measurement REPEAT times, taking turns (mpli, jose, openssl) so a
# neighbour's load falls on all of them alike, and keeps the best of each. Everything is
# pinned to CPU 0 (taskset -c 0; the C++ program also pins itself).
#
# usage: bench/credentials/run.sh [COUNT] [SECONDS]        (default: 2000 5)
# env:
#   MPLI_BIN   the benchmark program (default: build/bin/mpli-bench-credentials)
#   REPEAT     runs per measurement, best kept (default: 3)
#   CPU        the core to pin to (default: 0)
#   CLOCK      wall (default): verifications per elapsed second, openssl speed -elapsed;
#              cpu: per second of the process's CPU time, openssl speed without -elapsed (its
#              default, user CPU time). On a machine shared with other work, wall-clock rates
#              mostly measure the neighbours; CPU-time rates measure only the code.
# exit: 0 every verification succeeded in both implementations and they agree on the number
#       of revoked credentials; 1 otherwise; 2 setup error.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
MPLI_BIN=${MPLI_BIN:-$root/build/bin/mpli-bench-credentials}
REPEAT=${REPEAT:-3}
CPU=${CPU:-0}
CLOCK=${CLOCK:-wall}
case $CLOCK in
  wall) rate_field=per_second elapsed_flag=-elapsed ;;
  cpu) rate_field=per_cpu_second elapsed_flag= ;;
  *) echo "run.sh: CLOCK must be wall or cpu" >&2; exit 2 ;;
esac
count=${1:-2000}
seconds=${2:-5}

die() { echo "run.sh: $*" >&2; exit 2; }
[[ -x $MPLI_BIN ]] || die "no benchmark program at $MPLI_BIN (cmake --build build --target mpli-bench-credentials, or set MPLI_BIN)"
command -v node >/dev/null || die "node missing"
command -v openssl >/dev/null || die "openssl missing"
command -v taskset >/dev/null || die "taskset (util-linux) missing"
if [[ ! -d $here/node_modules/jose ]]; then
  (cd "$here" && npm ci --no-audit --no-fund >/dev/null) || die "npm ci in bench/credentials failed"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$MPLI_BIN" generate --out "$work" --count "$count" >/dev/null

json_field() { node -e 'const o = JSON.parse(require("fs").readFileSync(0, "utf8")); console.log(o[process.argv[1]])' "$1"; }
max() { awk -v a="$1" -v b="$2" 'BEGIN { print (a + 0 > b + 0) ? a : b }'; }

# openssl speed prints "... verify/s" last on the algorithm's line.
openssl_rate() { # algorithm pattern
  taskset -c "$CPU" openssl speed -seconds "$seconds" $elapsed_flag "$1" 2>/dev/null |
    awk -v pattern="$2" '$0 ~ pattern { print $NF }' | tail -1
}

status=0
declare -A best
for alg in es256 eddsa; do
  tokens=$work/$alg.tokens
  case $alg in
    es256) speed_alg=ecdsap256 pattern='nistp256' label=ES256 ;;
    eddsa) speed_alg=ed25519 pattern='Ed25519' label=EdDSA ;;
  esac
  best[$alg.mpli]=0 best[$alg.jose]=0 best[$alg.openssl]=0
  revoked_mpli='' revoked_jose=''
  for ((run = 1; run <= REPEAT; run++)); do
    if ! out=$(taskset -c "$CPU" "$MPLI_BIN" verify --tokens "$tokens" --seconds "$seconds" --cpu "$CPU"); then
      echo "run.sh: mpli failed on $label: $out" >&2; status=1
    fi
    best[$alg.mpli]=$(max "${best[$alg.mpli]}" "$(json_field $rate_field <<<"$out")")
    revoked_mpli=$(json_field revoked <<<"$out")
    if ! out=$(taskset -c "$CPU" node "$here/jose_verify.mjs" --tokens "$tokens" --seconds "$seconds"); then
      echo "run.sh: jose failed on $label: $out" >&2; status=1
    fi
    best[$alg.jose]=$(max "${best[$alg.jose]}" "$(json_field $rate_field <<<"$out")")
    revoked_jose=$(json_field revoked <<<"$out")
    jose_label=$(json_field implementation <<<"$out")
    rate=$(openssl_rate "$speed_alg" "$pattern")
    [[ -n $rate ]] || die "could not read openssl speed $speed_alg"
    best[$alg.openssl]=$(max "${best[$alg.openssl]}" "$rate")
    echo "run.sh: $label run $run/$REPEAT done" >&2
  done
  if [[ $revoked_mpli != "$revoked_jose" ]]; then
    echo "run.sh: $label: mpli found $revoked_mpli revoked, jose $revoked_jose" >&2; status=1
  fi
  best[$alg.label]=$label
done

echo
echo "$count tokens per algorithm, ${seconds} s per run, best of $REPEAT runs, one core (CPU $CPU), $CLOCK clock."
echo "$(openssl version | cut -d' ' -f1-2), Node.js $(node --version), $jose_label"
echo
echo "| algorithm | mpli verif/s | jose verif/s | openssl raw verify/s | mpli vs jose | openssl vs mpli |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
for alg in es256 eddsa; do
  awk -v label="${best[$alg.label]}" -v m="${best[$alg.mpli]}" -v j="${best[$alg.jose]}" \
      -v o="${best[$alg.openssl]}" \
      'BEGIN { printf "| %s | %.0f | %.0f | %.0f | %.2fx | %.2fx |\n", label, m, j, o, m / j, o / m }'
done
exit $status
