#!/bin/sh
# Run once by the compose `init` service before anything else: creates the federation's secrets
# in the `secrets` volume (mounted at /secrets) when they are missing, and leaves existing ones
# alone, so a restart keeps tokens, passwords and stored order secrets valid. Nothing secret is
# in the repository or in the compose file.
#   hub-signing-key.pem       the gateway's token key (P-256, PKCS#8), `mpli token create --key`
#   delivery-secret.key       delivery's AES-256-GCM key for order secrets (64 hex characters)
#   postgres.password         the hub's PostgreSQL superuser password
#   nats/<user>.password      one NATS password per hub service, worker and the operator
#   nats/auth.conf            nats-server's `authorization` block built from them
#   provider-<p>-postgres.password, provider-<p>.dsn   each demo provider's own PostgreSQL
set -eu
umask 077
dir=${MPLI_SECRETS_DIR:-/secrets}
mkdir -p "$dir/nats"
secret() { [ -s "$1" ] || openssl rand -hex 32 > "$1"; }

[ -s "$dir/hub-signing-key.pem" ] ||
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/hub-signing-key.pem"
secret "$dir/delivery-secret.key"
secret "$dir/postgres.password"

hub_users="discovery resolver trust delivery portability gateway operator"
providers="hexacloud nordwolke polderstack"
for user in $hub_users; do secret "$dir/nats/$user.password"; done
for provider in $providers; do
  secret "$dir/nats/worker-$provider.password"
  # Each demo provider's own PostgreSQL server (its worker creates the ordered databases there).
  secret "$dir/provider-$provider-postgres.password"
  printf 'host=provider-%s-postgres port=5432 dbname=postgres user=postgres password=%s\n' \
    "$provider" "$(cat "$dir/provider-$provider-postgres.password")" > "$dir/provider-$provider.dsn"
done

# The same permissions as `mpli up` gives (libs/process/nats_authorization.cc): the hub's users
# unrestricted for now, each provider's worker only its own consumer, results and inbox.
{
  echo "authorization {"
  echo "  users = ["
  for user in $hub_users; do
    echo "    {user: \"$user\", password: \"$(cat "$dir/nats/$user.password")\"}"
  done
  for p in $providers; do
    c="MPLI_WORK.worker-$p"
    echo "    {user: \"worker-$p\", password: \"$(cat "$dir/nats/worker-$p.password")\","
    echo "     permissions: {publish: {allow: [\"\$JS.API.CONSUMER.INFO.$c\","
    echo "       \"\$JS.API.CONSUMER.MSG.NEXT.$c\", \"\$JS.ACK.$c.>\", \"mpli.work.v1.result.$p\","
    # The disk-image worker moves images through MPLI_TRANSFER (add_transfer_permissions).
    echo "       \"mpli.transfer.v1.>\", \"\$JS.API.CONSUMER.CREATE.MPLI_TRANSFER\","
    echo "       \"\$JS.API.CONSUMER.CREATE.MPLI_TRANSFER.>\", \"\$JS.API.CONSUMER.INFO.MPLI_TRANSFER.>\","
    echo "       \"\$JS.API.CONSUMER.DELETE.MPLI_TRANSFER.>\", \"\$JS.FC.MPLI_TRANSFER.>\"]},"
    echo "       subscribe: {allow: [\"_INBOX_$p.>\"]}}}"
  done
  echo "  ]"
  echo "}"
} > "$dir/nats/auth.conf.new"
mv "$dir/nats/auth.conf.new" "$dir/nats/auth.conf"
# The MPLI containers run as uid 10001 (the images' mpli user) and read their files as their
# owner: the gateway and delivery refuse a key file that group or others may read. nats-server
# and PostgreSQL's entry point read theirs as root.
[ "$(id -u)" -ne 0 ] || chown -R 10001:10001 "$dir"
chmod 0700 "$dir" "$dir/nats"
chmod 0600 "$dir"/*.password "$dir"/*.key "$dir"/*.pem "$dir"/*.dsn "$dir"/nats/*
echo "init: secrets ready in $dir"
