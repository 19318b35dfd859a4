#!/usr/bin/env bash
# SHACL validation benchmark: `mpli shacl validate` against Apache Jena SHACL 4.5,
# shacl-engine and rdf-validate-shacl, on the same generated catalogue files in one run.
#
# For each size it generates the data once (bench/shacl/generate.py), then runs every engine
# as a whole process under /usr/bin/time (wall seconds, peak RSS) and a timeout, checks that
# all engines that finished report the same number of results, and prints a markdown table.
#
# usage: bench/shacl/run.sh [sizes...]        sizes: small (~30k) | 300k | 3m  (default: 300k 3m)
# env:
#   MPLI_BIN     mpli binary (default: build/bin/mpli)
#   ENGINES      engines to run (default: "mpli jena shacl-engine rdf-validate-shacl")
#   TIMEOUT      seconds per run (default: 1800)
#   SEED         generator seed (default: 42)
#   OUT          work directory (default: bench/out/shacl; git-ignored)
#   JAVA_HEAP    -Xmx for Jena (default: 12g);  NODE_HEAP_MB  --max-old-space-size (default: 12288)
# exit: 0 all finished engines agree; 1 results differ; 2 setup error.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
MPLI_BIN=${MPLI_BIN:-$root/build/bin/mpli}
ENGINES=${ENGINES:-"mpli jena shacl-engine rdf-validate-shacl"}
TIMEOUT=${TIMEOUT:-1800}
SEED=${SEED:-42}
OUT=${OUT:-$root/bench/out/shacl}
JAVA_HEAP=${JAVA_HEAP:-12g}
NODE_HEAP_MB=${NODE_HEAP_MB:-12288}
shapes=$here/shapes.ttl
sizes=("$@")
[[ ${#sizes[@]} -gt 0 ]] || sizes=(300k 3m)

die() { echo "run.sh: $*" >&2; exit 2; }

# --- prerequisites -----------------------------------------------------------------------
if [[ ! -x /usr/bin/time ]]; then
  if [[ $(id -u) == 0 ]]; then apt-get install -y --no-install-recommends time >/dev/null || die "cannot install 'time'"
  else die "/usr/bin/time missing: apt-get install time"; fi
fi
command -v timeout >/dev/null || die "timeout (coreutils) missing"
command -v python3 >/dev/null || die "python3 missing"
for e in $ENGINES; do
  case $e in
    mpli) [[ -x $MPLI_BIN ]] || die "mpli binary not found at $MPLI_BIN (set MPLI_BIN, or build: cmake --build build --target mpli)" ;;
    jena) [[ -f /usr/share/java/jena-shacl.jar ]] || die "Jena missing: apt-get install -y --no-install-recommends libapache-jena-java default-jre-headless" ;;
    shacl-engine|rdf-validate-shacl)
      command -v node >/dev/null || die "node missing"
      if [[ ! -d $here/peers/node_modules/n3 ]]; then
        (cd "$here/peers" && npm ci --no-audit --no-fund >/dev/null) || die "npm ci in bench/shacl/peers failed"
      fi ;;
    *) die "unknown engine $e" ;;
  esac
done

mkdir -p "$OUT"
export JENA_WORK=$OUT/jena JENA_JAVA_OPTS="-Xmx$JAVA_HEAP"
# Compile the Jena runner before timing anything.
if [[ " $ENGINES " == *" jena "* ]]; then
  "$here/peers/jena.sh" --data "$shapes" --shapes "$shapes" >/dev/null 2>&1 || true
fi

engine_cmd() { # engine data -> command words
  case $1 in
    mpli) echo "$MPLI_BIN shacl validate --data $2 --shapes $shapes --report summary" ;;
    jena) echo "$here/peers/jena.sh --data $2 --shapes $shapes" ;;
    shacl-engine|rdf-validate-shacl)
      echo "node --max-old-space-size=$NODE_HEAP_MB $here/peers/validate.mjs $1 --data $2 --shapes $shapes" ;;
  esac
}

engine_label() {
  case $1 in
    mpli) echo "mpli (ours)" ;;
    jena) echo "Apache Jena SHACL $(dpkg-query -W -f='${Version}' libapache-jena-java 2>/dev/null | cut -d- -f1)" ;;
    shacl-engine|rdf-validate-shacl)
      echo "$1 $(node -p "require('$here/peers/node_modules/$1/package.json').version" 2>/dev/null)" ;;
  esac
}

rows=()
status=0
for size in "${sizes[@]}"; do
  # ~15.4 triples per offering (incl. the price node) and ~14 per provider, 100 offerings each:
  # 195 providers give ~300k triples, 1950 give ~3.0M.
  case $size in
    small) providers=18 ;;
    300k) providers=195 ;;
    3m) providers=1950 ;;
    *) die "unknown size $size (small|300k|3m)" ;;
  esac
  data=$OUT/catalogue-$size-seed$SEED.ttl
  if [[ ! -s $data || ! -s $data.triples ]]; then
    python3 "$here/generate.py" --providers "$providers" --offerings 100 --seed "$SEED" --out "$data" \
      | sed -n 's/^triples=//p' > "$data.triples"
  fi
  triples=$(cat "$data.triples")
  echo "== $size: $triples triples in $(basename "$data")" >&2

  declare -A wall=() mib=() results=()
  for e in $ENGINES; do
    log=$OUT/$e-$size.out
    tfile=$OUT/$e-$size.time
    set +e
    # shellcheck disable=SC2046
    /usr/bin/time -f '%e %M' -o "$tfile" timeout --kill-after=10 "$TIMEOUT" $(engine_cmd "$e" "$data") >"$log" 2>"$log.err"
    rc=$?
    set -e
    summary=$(grep -m1 '^conforms=' "$log" || true)
    read -r w kib < <(tail -n1 "$tfile") || true
    if [[ $rc == 124 || $rc == 137 ]]; then
      wall[$e]="timeout"; mib[$e]="-"; results[$e]="-"
    elif [[ ($rc == 0 || $rc == 1) && -n $summary ]]; then
      wall[$e]=$w
      mib[$e]=$(awk -v k="$kib" 'BEGIN { printf "%.0f", k / 1024 }')
      results[$e]=${summary##*results=}
    else
      wall[$e]="error"; mib[$e]="-"; results[$e]="-"
      echo "   $e failed (exit $rc), see $log.err" >&2
    fi
    echo "   $e: wall=${wall[$e]} s peak=${mib[$e]} MiB results=${results[$e]}" >&2
  done

  # All engines that finished must agree on the number of results.
  ref=""
  for e in $ENGINES; do
    r=${results[$e]}
    [[ $r == "-" ]] && continue
    if [[ -z $ref ]]; then ref=$r
    elif [[ $r != "$ref" ]]; then
      echo "   MISMATCH at $size: $e reports $r results, another engine $ref" >&2
      status=1
    fi
  done

  for e in $ENGINES; do
    ratio="n/a"
    if [[ ${wall[mpli]:-} =~ ^[0-9.]+$ && ${wall[$e]} =~ ^[0-9.]+$ ]]; then
      ratio=$(awk -v a="${wall[$e]}" -v b="${wall[mpli]}" 'BEGIN { if (b > 0) printf "%.1fx", a / b; else print "n/a" }')
    fi
    rows+=("| $(engine_label "$e") | $triples | ${wall[$e]} | ${mib[$e]} | ${results[$e]} | $ratio |")
  done
  unset wall mib results
done

{
  echo "| engine | triples | wall s | peak MiB | results | wall vs mpli |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: |"
  printf '%s\n' "${rows[@]}"
} | tee "$OUT/results.md"
if [[ $status != 0 ]]; then
  echo "run.sh: engines disagree on the number of results" >&2
fi
exit $status
