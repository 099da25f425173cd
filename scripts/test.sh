#!/usr/bin/env bash
# Sets up and runs every test of Liveroom: Rust unit and integration tests (real servers on
# 127.0.0.1:0, real WebSockets), the SDK's unit tests, and the browser tests (Debian's
# Chromium driving the built SDK against the real server). Installs what it needs first
# (Debian packages when run as root: GStreamer, Chromium, coturn, nginx-rtmp, ffmpeg; npm
# packages from the registry).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/liveroom-target}"
export CARGO_TERM_COLOR=never
# One full build, no incremental caches: they would double the footprint for a run that
# compiles each crate once.
export CARGO_INCREMENTAL=0

step() { printf '\n==> %s\n' "$*"; }

step "system packages"
./scripts/system-deps.sh --test
echo "chromium: $(/usr/bin/chromium --version 2>/dev/null || echo missing)"

step "SDK: install and build (the server embeds sdk/dist)"
npm --prefix sdk ci --no-audit --no-fund
npm --prefix sdk run build

step "wire types generated from crates/proto are up to date"
if git rev-parse --git-dir >/dev/null 2>&1; then
  ./scripts/gen-wire-types.sh --check
else
  ./scripts/gen-wire-types.sh
fi

step "Rust: format and lints"
mkdir -p "$CARGO_TARGET_DIR"
./scripts/prune-target.py "$CARGO_TARGET_DIR" # a reused target dir keeps every old hash otherwise
df -h "$CARGO_TARGET_DIR" | tail -1
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -q -- -D warnings

step "Rust: unit and integration tests"
cargo build -q -p liveroom-server --bin liveroom
./scripts/test-second-clone.sh # a second checkout sharing CARGO_TARGET_DIR embeds its own web assets
cargo test --workspace -q
df -h "$CARGO_TARGET_DIR" | tail -1 # the build's footprint, for the log

step "SDK: typecheck and unit tests"
npm --prefix sdk run typecheck
npm --prefix sdk test

step "SDK: browser tests in Chromium against the real server"
export LIVEROOM_BIN="$CARGO_TARGET_DIR/debug/liveroom"
npm --prefix sdk run test:browser

step "Demo console: end-to-end test in Chromium (screenshots in web/test-output/)"
npm --prefix web ci --no-audit --no-fund
npm --prefix web run typecheck # tsc --checkJs --strict over the console's modules, against sdk/dist/types
npm --prefix web test

step "Fuzzing: every network parser for about 10 s (scripts/fuzz.sh --quick; docs/reliability.md)"
fuzz_rc=0
./scripts/fuzz.sh --quick || fuzz_rc=$?
if ((fuzz_rc == 3)); then
  echo "fuzz: SKIPPED: cargo-fuzz cannot be installed on this machine (see the lines above)"
elif ((fuzz_rc != 0)); then
  exit "$fuzz_rc"
fi

step "Benchmarks: fan-out (with Janus side by side), rooms, signalling, FLV (scripts/bench.sh --quick; docs/benchmarks.md)"
./scripts/bench.sh --quick
