#!/usr/bin/env bash
# Sets up and runs every test of Liveroom: Rust unit and integration tests (real servers on
# 127.0.0.1:0, real WebSockets), the SDK's unit tests, and the browser tests (Debian's
# Chromium driving the built SDK against the real server). Installs what it needs first
# (Chromium from Debian when run as root; npm packages from the registry).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/liveroom-target}"
export CARGO_TERM_COLOR=never

step() { printf '\n==> %s\n' "$*"; }

step "system packages"
need_apt=()
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
# coturn's tools (turnutils_uclient, turnutils_peer, turnserver) test the embedded TURN relay.
command -v turnutils_uclient >/dev/null 2>&1 || need_apt+=(coturn)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
    # The coturn package may start its own service on 3478; the tests start their own relays.
    if command -v systemctl >/dev/null 2>&1; then systemctl stop coturn >/dev/null 2>&1 || true; fi
    pkill -x turnserver >/dev/null 2>&1 || true
  else
    echo "missing: ${need_apt[*]} (install them with apt-get as root)" >&2
    exit 1
  fi
fi
echo "chromium: $(/usr/bin/chromium --version 2>/dev/null || echo missing)"

step "SDK: install and build (the server embeds sdk/dist)"
npm --prefix sdk ci --no-audit --no-fund
npm --prefix sdk run build

step "wire types generated from crates/proto are up to date"
./scripts/gen-wire-types.sh
if git rev-parse --git-dir >/dev/null 2>&1; then
  git diff --exit-code -- sdk/src/wire/generated || { echo "run scripts/gen-wire-types.sh and commit the result" >&2; exit 1; }
fi

step "Rust: format and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -q -- -D warnings

step "Rust: unit and integration tests"
cargo build -q -p liveroom-server --bin liveroom
cargo test --workspace -q

step "SDK: typecheck and unit tests"
npm --prefix sdk run typecheck
npm --prefix sdk test

step "SDK: browser tests in Chromium against the real server"
export LIVEROOM_BIN="$CARGO_TARGET_DIR/debug/liveroom"
npm --prefix sdk run test:browser

step "Demo console: end-to-end test in Chromium (screenshots in web/test-output/)"
npm --prefix web ci --no-audit --no-fund
npm --prefix web test
