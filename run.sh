#!/usr/bin/env bash
# Quick start, part 1: install what is missing, build, and run the local federation in the
# foreground (NATS, PostgreSQL, every service, the gateway on http://127.0.0.1:8080).
# Ctrl-C stops everything. Options go to `mpli up` (see `build/bin/mpli up --help`).
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-deps.sh
scripts/build.sh
exec build/bin/mpli up "$@"
