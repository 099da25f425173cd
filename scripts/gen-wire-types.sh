#!/usr/bin/env bash
# Regenerates the SDK's wire types from crates/proto with ts-rs:
#   sdk/src/wire/generated/*.ts        the room protocol (crates/proto/src/body.rs), re-exported by sdk/src/wire/types.ts
#   sdk/src/wire/generated/media/*.ts  media signalling (crates/proto/src/media.rs), re-exported by sdk/src/wire/media.ts
# With --check, fails when the committed files differ from the regenerated ones (changed, deleted or new files).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/liveroom-target}"
rm -rf sdk/src/wire/generated
cargo test -q -p liveroom-proto --lib export_bindings >/dev/null
echo "wire types written to sdk/src/wire/generated (room) and sdk/src/wire/generated/media (media signalling)"
if [ "${1:-}" = "--check" ]; then
  stale="$(git status --porcelain -- sdk/src/wire/generated)"
  if [ -n "$stale" ]; then
    echo "$stale" >&2
    echo "wire types are stale: run scripts/gen-wire-types.sh and commit the result" >&2
    exit 1
  fi
fi
