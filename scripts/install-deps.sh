#!/usr/bin/env bash
# Installs the Debian 12 packages MPLI needs to build, test and run, and nothing when all are
# present. Non-interactive. Used by ./run.sh and ./test.sh; safe to run by hand.
# --core: only what building and running the binaries needs, not the packages.d lists of the
# suite's tools (deploy/compose/Dockerfile's build stage).
set -euo pipefail
CORE_ONLY=0
if [[ "${1:-}" == "--core" ]]; then
  CORE_ONLY=1
elif [[ $# -gt 0 ]]; then
  echo "usage: install-deps.sh [--core]" >&2
  exit 2
fi

PACKAGES=(
  # toolchain
  cmake ninja-build g++ pkg-config git ca-certificates curl
  # the design card's stack
  libnats-dev nats-server
  libprotobuf-dev protobuf-compiler
  libpistache-dev libserd-dev libpqxx-dev libpq-dev libssl-dev zlib1g-dev
  catch2 nlohmann-json3-dev libcurl4-openssl-dev
  # the local federation and the tests run a real PostgreSQL
  postgresql-15 postgresql-client-15
)
# Extra packages later issues add (one file per need, one package per line; "a|b": either;
# "pkg optional": installed when the archive has it, its absence only noted; what uses it has a
# fallback).
OPTIONAL=()
shopt -s nullglob
lists=("$(dirname "$0")"/packages.d/*.txt)
[[ $CORE_ONLY -eq 0 ]] || lists=()
for list in "${lists[@]}"; do
  while read -r pkg flag _; do
    [[ -z "$pkg" || "$pkg" == \#* ]] && continue
    if [[ "$flag" == optional ]]; then
      dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' ||
        OPTIONAL+=("$pkg")
    else
      PACKAGES+=("$pkg")
    fi
  done < "$list"
done

# "a|b" (packages.d) is satisfied by either package: the first is installed when neither is
# (e.g. kubernetes-client|kubectl: another package may already provide /usr/bin/kubectl).
missing=()
for entry in "${PACKAGES[@]}"; do
  IFS='|' read -r -a alternatives <<<"$entry"
  installed=0
  for pkg in "${alternatives[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    if [[ "$status" == "install ok installed" ]]; then
      installed=1
      break
    fi
  done
  [[ $installed -eq 1 ]] || missing+=("${alternatives[0]}")
done
if [[ ${#missing[@]} -eq 0 && ${#OPTIONAL[@]} -eq 0 ]]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]} ${OPTIONAL[*]}" >&2
SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install ${missing[*]}" >&2; exit 1; }
  SUDO=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
# Refresh the package lists only when they are missing or older than a day.
if [[ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages' -mmin -1440 2>/dev/null | head -1)" ]]; then
  "${SUDO[@]}" apt-get update -qq
fi
if [[ ${#missing[@]} -gt 0 ]]; then
  "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
for pkg in "${OPTIONAL[@]}"; do
  "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "$pkg" >/dev/null ||
    echo "install-deps: optional $pkg not installed; what uses it falls back" >&2
done
# The Debian packages start system-wide servers we do not use: MPLI runs its own under a state
# directory. Leave whatever the administrator had running alone; only ours are our business.
echo "install-deps: done" >&2
