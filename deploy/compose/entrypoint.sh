#!/bin/sh
# Entry point of every MPLI image (deploy/compose/Dockerfile): turns the password files the
# deployment mounts into what the binaries read, then runs the image's binary ($MPLI_BINARY) with
# the container's arguments. A service reads its NATS password from MPLI_NATS_PASSWORD only (the
# workers take MPLI_NATS_PASSWORD_FILE themselves); libpq reads PGPASSWORD when the DSN in
# MPLI_DATABASE_URL names none. Files, not variables, keep the secrets out of `docker inspect`.
set -eu
if [ -n "${MPLI_SERVICE_NATS_PASSWORD_FILE:-}" ]; then
  MPLI_NATS_PASSWORD=$(cat "$MPLI_SERVICE_NATS_PASSWORD_FILE")
  export MPLI_NATS_PASSWORD
fi
if [ -n "${MPLI_DATABASE_PASSWORD_FILE:-}" ]; then
  PGPASSWORD=$(cat "$MPLI_DATABASE_PASSWORD_FILE")
  export PGPASSWORD
fi
# `docker run IMAGE sh -c ...` (the init and register services) runs a command of its own.
case "${1:-}" in
  sh | /bin/sh) exec "$@" ;;
esac
exec "$MPLI_BINARY" "$@"
