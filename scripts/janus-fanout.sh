#!/usr/bin/env bash
# Side-by-side fan-out for Janus 1.1.2's videoroom (Debian package `janus`): starts Janus as scripts/janus-common.sh
# does (installing it if missing), runs crates/client/examples/bench_fanout_janus.rs — the native str0m client and the
# load of bench_fanout — against it with --janus-ws, --janus-pid and --bind (the address Janus's ICE is on), stops
# Janus. Arguments pass through to the bench (--players N, --seconds S, --payload, --video-packets, --fps, --audio,
# --connect-parallel, --max-loss). Prints only the bench's JSON line on stdout; its table and everything else go to
# stderr. The bench binary is $CARGO_TARGET_DIR/release/examples/bench_fanout_janus (built if missing). Env as for
# janus-common.sh (JANUS_DEBUG_LEVEL, JANUS_FULL_TRICKLE, JANUS_ICE_ENFORCE, JANUS_KEEP, ...).
# Janus's defaults carry 500 subscribers (no per-room subscriber cap, one thread per handle, session_timeout 60 s with
# the bench's 20 s keepalives). On a 2-core machine, 500 players saturate the CPU (Janus ≈ 1.4-1.6 cores plus the
# client). Janus's publisher socket then drops ingress at the kernel's default receive buffer (net.core.rmem_default; Janus
# does not size it), and each dropped packet is lost for every player.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
target="${CARGO_TARGET_DIR:-/var/tmp/liveroom-target}"
bin="$target/release/examples/bench_fanout_janus"

if [ ! -x "$bin" ]; then
  echo "janus-fanout: building $bin" >&2
  (cd "$here/.." && CARGO_TARGET_DIR="$target" CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}" \
    cargo build --release -p liveroom-client --example bench_fanout_janus >&2)
fi

janus_tag=janus-fanout
# shellcheck source=janus-common.sh
source "$here/janus-common.sh"
janus_start

set +e
out="$("$bin" --janus-ws "$janus_ws" --janus-pid "$janus_pid" --bind "$ice_enforce" "$@")"
status=$?
set -e
last="$(printf '%s\n' "$out" | tail -n 1)"
printf '%s\n' "$out" | sed '$d' >&2
if [ "$status" -eq 0 ] && printf '%s' "$last" | grep -q '^{.*"server": "janus"'; then
  printf '%s\n' "$last"
else
  [ -n "$last" ] && printf '%s\n' "$last" >&2
  echo "janus-fanout: FAILED ($status); Janus's log: $janus_dir/janus.log" >&2
  [ "$status" -ne 0 ] || status=1
fi
exit "$status"
