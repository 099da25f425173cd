#!/usr/bin/env bash
# Sets up and starts Liveroom on its embedded default (`liveroom --dev`): builds the browser
# SDK (embedded in the binary) and the server, then runs it on http://127.0.0.1:8282/.
# Extra arguments go to `liveroom`, e.g. `./scripts/dev.sh --http 0.0.0.0:8282`.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/liveroom-target}"

# GStreamer (live outputs) from Debian, when missing.
./scripts/system-deps.sh

if command -v npm >/dev/null 2>&1; then
  [ -d sdk/node_modules ] || npm --prefix sdk ci --no-audit --no-fund
  npm --prefix sdk run build
else
  echo "npm not found: the server starts without the browser SDK bundle" >&2
fi
cargo build --release -p liveroom-server --bin liveroom
exec "$CARGO_TARGET_DIR/release/liveroom" --dev "$@"
