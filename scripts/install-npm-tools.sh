#!/usr/bin/env bash
# Installs the Node tools the test suite runs (tools/npm: the OpenAPI linter @redocly/cli,
# playwright-core for the console's browser test, kubernetes-models, ajv and js-yaml for the
# Kubernetes manifests' check in tests/deploy) with `npm ci`, exactly as package-lock.json
# pins them. Does nothing when tools/npm/node_modules already matches the lock file, so ./test.sh
# may call it every time. Quiet unless it installs or fails. Used by ./test.sh; safe by hand.
set -euo pipefail

tools="$(cd "$(dirname "$0")/../tools/npm" && pwd)"
die() {
  echo "install-npm-tools: $*" >&2
  exit 1
}

# Node comes from Debian (scripts/packages.d/node.txt). Debian ships npm as a package of its own,
# but the machine's Node.js may be a build that bundles npm and conflicts with Debian's npm
# package: install it only when there is no npm at all.
command -v node >/dev/null || die "node is missing: run scripts/install-deps.sh (package nodejs)"
if ! command -v npm >/dev/null; then
  echo "install-npm-tools: installing Debian's npm" >&2
  SUDO=()
  [[ $(id -u) -eq 0 ]] || SUDO=(sudo)
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends npm \
    >/dev/null || die "cannot install npm with apt-get"
fi

# npm ci records what it installed in node_modules/.package-lock.json; when that is newer than
# both package.json and package-lock.json and every pinned tool is there, nothing changed.
stamp="$tools/node_modules/.package-lock.json"
if [[ -f "$stamp" && "$stamp" -nt "$tools/package-lock.json" && "$stamp" -nt "$tools/package.json" &&
  -x "$tools/node_modules/.bin/redocly" && -d "$tools/node_modules/playwright-core" &&
  -d "$tools/node_modules/kubernetes-models" ]]; then
  exit 0
fi

echo "install-npm-tools: npm ci in tools/npm" >&2
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
# Playwright must never download a browser of its own: the console test drives Debian's chromium.
if ! (cd "$tools" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund \
  --loglevel=error >"$log" 2>&1); then
  cat "$log" >&2
  die "npm ci failed in $tools. It needs the npm registry (or a filled npm cache: \
npm ci --offline works then). Without it the OpenAPI lint, console and deploy_k8s tests cannot run."
fi
# npm ci leaves package-lock.json's time alone; touch the stamp so the next run sees it is newer.
touch "$stamp"
echo "install-npm-tools: done" >&2
