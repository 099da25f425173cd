#!/usr/bin/env bash
# Side-by-side time to first frame for Janus 1.1.2 (Debian package `janus`): installs Janus if missing, writes a
# minimal config (videoroom plugin + WebSocket transport on 127.0.0.1, full ICE on one local IPv4 address) to a
# temporary folder, starts Janus on it, runs sdk/test/browser/first-frame-janus.bench.mjs against it, stops Janus.
# Prints the bench's JSON line on stdout; Janus's log stays in the temporary folder only on failure (JANUS_KEEP=1 keeps
# it always). Env: RUNS, BENCH_CODEC (h264|vp8) as for the bench; JANUS_FULL_TRICKLE=1 makes Janus trickle its own
# candidates too (default: Janus's default, half-trickle: its candidates are in its SDP); JANUS_DEBUG_LEVEL (default 4).
# The Janus setup is scripts/janus-common.sh's.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
sdk="$here/../sdk"

janus_tag=janus-bench
# shellcheck source=janus-common.sh
source "$here/janus-common.sh"
janus_start

set +e
JANUS_WS="$janus_ws" JANUS_LOG="$janus_dir/janus.log" node "$sdk/test/browser/first-frame-janus.bench.mjs"
status=$?
set -e
exit "$status"
