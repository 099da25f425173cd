#!/usr/bin/env bash
# Regenerates the SDK's wire types (sdk/src/wire/generated/*.ts) from crates/proto with ts-rs.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/liveroom-target}"
rm -rf sdk/src/wire/generated
cargo test -q -p liveroom-proto --lib export_bindings >/dev/null
echo "wire types written to sdk/src/wire/generated"
