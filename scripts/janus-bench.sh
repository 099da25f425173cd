#!/usr/bin/env bash
# Side-by-side time to first frame for Janus 1.1.2 (Debian package `janus`): installs Janus if missing, writes a
# minimal config (videoroom plugin + WebSocket transport on 127.0.0.1, full ICE on one local IPv4 address) to a
# temporary folder, starts Janus on it, runs sdk/test/browser/first-frame-janus.bench.mjs against it, stops Janus.
# Prints the bench's JSON line on stdout; Janus's log stays in the temporary folder only on failure (JANUS_KEEP=1 keeps
# it always). Env: RUNS, BENCH_CODEC (h264|vp8) as for the bench; JANUS_FULL_TRICKLE=1 makes Janus trickle its own
# candidates too (default: Janus's default, half-trickle: its candidates are in its SDP); JANUS_DEBUG_LEVEL (default 4).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
sdk="$here/../sdk"

if [ ! -x /usr/bin/janus ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "janus-bench: /usr/bin/janus is missing; install it as root (apt-get install -y janus)" >&2
    exit 1
  fi
  echo "janus-bench: installing janus" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y janus >&2
fi

libdir=/usr/lib/x86_64-linux-gnu/janus
[ -d "$libdir" ] || libdir="$(dirname "$(dpkg -L janus | grep -m1 '/janus/plugins/libjanus_videoroom.so$')")/.."

# A free TCP port for the WebSocket transport (Janus cannot bind port 0 and report it).
port="${JANUS_WS_PORT:-$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")}"

dir="$(mktemp -d /tmp/janus-bench.XXXXXX)"
janus_pid=""
status=1
cleanup() {
  if [ -n "$janus_pid" ] && kill -0 "$janus_pid" 2>/dev/null; then
    kill -INT "$janus_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$janus_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$janus_pid" 2>/dev/null || true
    wait "$janus_pid" 2>/dev/null || true
  fi
  if [ "$status" -eq 0 ] && [ -z "${JANUS_KEEP:-}" ]; then
    rm -rf "$dir"
  else
    echo "janus-bench: Janus config and log kept in $dir" >&2
  fi
}
trap cleanup EXIT

# ICE: full mode (not ICE-lite), host candidates on one local IPv4 address only. Janus 1.1.2 never gathers on loopback
# interfaces (ice_enforce_list = "lo" or "127.0.0.1" matches nothing, and libnice then falls back to every interface,
# IPv6 included), so it is bound to this machine's primary IPv4 address: packets between the browser and Janus on a
# local address still go through the kernel's loopback path. JANUS_ICE_ENFORCE overrides the address/interface.
ice_enforce="${JANUS_ICE_ENFORCE:-$(ip -4 route get 1.1.1.1 2>/dev/null | sed -n 's/.* src \([0-9.]*\).*/\1/p')}"
[ -n "$ice_enforce" ] || ice_enforce="$(hostname -I 2>/dev/null | tr ' ' '\n' | grep -m1 '^[0-9.]*$' || true)"
if [ -z "$ice_enforce" ]; then
  echo "janus-bench: no local IPv4 address for Janus's ICE candidates; set JANUS_ICE_ENFORCE" >&2
  exit 1
fi

full_trickle=false
[ -n "${JANUS_FULL_TRICKLE:-}" ] && full_trickle=true

# Only the videoroom plugin and the WebSocket transport are loaded; no event handlers, loggers or admin API.
plugins_off="$(cd "$libdir/plugins" && ls libjanus_*.so | grep -v '^libjanus_videoroom\.so$' | paste -sd, -)"
transports_off="$(cd "$libdir/transports" && ls libjanus_*.so | grep -v '^libjanus_websockets\.so$' | paste -sd, -)"
loggers_off="$(cd "$libdir/loggers" 2>/dev/null && ls libjanus_*.so | paste -sd, - || true)"

cat >"$dir/janus.jcfg" <<EOF
general: {
	configs_folder = "$dir"
	plugins_folder = "$libdir/plugins"
	transports_folder = "$libdir/transports"
	events_folder = "$libdir/events"
	loggers_folder = "$libdir/loggers"
	debug_level = ${JANUS_DEBUG_LEVEL:-4}
	debug_timestamps = true
	session_timeout = 60
	server_name = "janus-bench"
}
certificates: {
}
media: {
	ipv6 = false
}
nat: {
	nice_debug = false
	ice_lite = false
	full_trickle = $full_trickle
	ice_enforce_list = "$ice_enforce"
}
plugins: {
	disable = "$plugins_off"
}
transports: {
	disable = "$transports_off"
}
loggers: {
	disable = "$loggers_off"
}
events: {
	broadcast = false
}
EOF

cat >"$dir/janus.transport.websockets.jcfg" <<EOF
general: {
	json = "compact"
	ws = true
	ws_port = $port
	ws_ip = "127.0.0.1"
	wss = false
}
admin: {
	admin_ws = false
	admin_wss = false
}
EOF

# No static rooms: the bench creates its own.
cat >"$dir/janus.plugin.videoroom.jcfg" <<EOF
general: {
}
EOF

/usr/bin/janus -C "$dir/janus.jcfg" -F "$dir" -N -L "$dir/janus.log" >"$dir/janus.stdout" 2>&1 &
janus_pid=$!

ready=""
for _ in $(seq 100); do
  if ! kill -0 "$janus_pid" 2>/dev/null; then break; fi
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then ready=1; break; fi
  sleep 0.1
done
if [ -z "$ready" ]; then
  echo "janus-bench: Janus did not listen on 127.0.0.1:$port in 10 s; log:" >&2
  tail -n 40 "$dir/janus.log" "$dir/janus.stdout" >&2 || true
  exit 1
fi
echo "janus-bench: $(/usr/bin/janus --version 2>/dev/null | head -1), ws://127.0.0.1:$port, ice_lite=false, full_trickle=$full_trickle, ICE host candidates on $ice_enforce" >&2

set +e
JANUS_WS="ws://127.0.0.1:$port" JANUS_LOG="$dir/janus.log" node "$sdk/test/browser/first-frame-janus.bench.mjs"
status=$?
set -e
exit "$status"
