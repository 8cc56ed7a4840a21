#!/usr/bin/env bash
# `npm run test:e2e`: installs the harness if needed (Debian chromium + libkrb5-dev, Node 24 and code-server from
# npm, into .e2e/), then runs the extension-host and UI suites in a real VS Code. Arguments go to run.mjs.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
bash "$ROOT/scripts/e2e/setup.sh"
exec node "$ROOT/scripts/e2e/run.mjs" "$@"
