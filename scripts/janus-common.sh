# Sourced by scripts/janus-bench.sh and scripts/janus-fanout.sh: installs Janus 1.1.2 (Debian package `janus`) if
# missing, writes a minimal config (videoroom plugin + WebSocket transport on 127.0.0.1, full ICE on one local IPv4
# address) to a temporary folder, starts Janus on it, waits for its WebSocket port and stops it on exit.
#
#   janus_tag=janus-bench; source "$here/janus-common.sh"; janus_start
#
# After janus_start: janus_pid, janus_port, janus_ws (ws://127.0.0.1:PORT), janus_dir (config and log),
# ice_enforce (the address Janus's ICE candidates are on) and full_trickle are set, and an EXIT trap stops Janus.
# The caller sets `status` to its result: the folder is removed on 0 and kept otherwise (JANUS_KEEP=1 keeps it always).
# Env: JANUS_WS_PORT (default a free port), JANUS_ICE_ENFORCE (default this machine's primary IPv4 address),
# JANUS_FULL_TRICKLE=1 (Janus trickles its own candidates too; default Janus's default, half-trickle: its candidates are
# in its SDP), JANUS_DEBUG_LEVEL (default 4), JANUS_SESSION_TIMEOUT (default 60 s; the clients send keepalives).

janus_tag="${janus_tag:-janus}"
janus_pid=""
janus_dir=""
status=1

janus_cleanup() {
  if [ -n "$janus_pid" ] && kill -0 "$janus_pid" 2>/dev/null; then
    kill -INT "$janus_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$janus_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$janus_pid" 2>/dev/null || true
    wait "$janus_pid" 2>/dev/null || true
  fi
  [ -n "$janus_dir" ] || return 0
  if [ "$status" -eq 0 ] && [ -z "${JANUS_KEEP:-}" ]; then
    rm -rf "$janus_dir"
  else
    echo "$janus_tag: Janus config and log kept in $janus_dir" >&2
  fi
}

janus_install() {
  if [ ! -x /usr/bin/janus ]; then
    if [ "$(id -u)" -ne 0 ]; then
      echo "$janus_tag: /usr/bin/janus is missing; install it as root (apt-get install -y janus)" >&2
      exit 1
    fi
    echo "$janus_tag: installing janus" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y janus >&2
  fi
}

# A free TCP port on 127.0.0.1 (Janus cannot bind port 0 and report it).
janus_free_port() {
  if command -v node >/dev/null 2>&1; then
    node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
  else
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
  fi
}

janus_start() {
  janus_install

  local libdir=/usr/lib/x86_64-linux-gnu/janus
  [ -d "$libdir" ] || libdir="$(dirname "$(dpkg -L janus | grep -m1 '/janus/plugins/libjanus_videoroom.so$')")/.."

  janus_port="${JANUS_WS_PORT:-$(janus_free_port)}"
  janus_ws="ws://127.0.0.1:$janus_port"

  janus_dir="$(mktemp -d "/tmp/$janus_tag.XXXXXX")"
  trap janus_cleanup EXIT

  # ICE: full mode (not ICE-lite), host candidates on one local IPv4 address only. Janus 1.1.2 never gathers on
  # loopback interfaces (ice_enforce_list = "lo" or "127.0.0.1" matches nothing, and libnice then falls back to every
  # interface, IPv6 included), so it is bound to this machine's primary IPv4 address: packets between a client and
  # Janus on a local address still go through the kernel's loopback path. JANUS_ICE_ENFORCE overrides the
  # address/interface.
  ice_enforce="${JANUS_ICE_ENFORCE:-$(ip -4 route get 1.1.1.1 2>/dev/null | sed -n 's/.* src \([0-9.]*\).*/\1/p')}"
  [ -n "$ice_enforce" ] || ice_enforce="$(hostname -I 2>/dev/null | tr ' ' '\n' | grep -m1 '^[0-9.]*$' || true)"
  if [ -z "$ice_enforce" ]; then
    echo "$janus_tag: no local IPv4 address for Janus's ICE candidates; set JANUS_ICE_ENFORCE" >&2
    exit 1
  fi

  full_trickle=false
  [ -n "${JANUS_FULL_TRICKLE:-}" ] && full_trickle=true

  # Only the videoroom plugin and the WebSocket transport are loaded; no event handlers, loggers or admin API.
  local plugins_off transports_off loggers_off
  plugins_off="$(cd "$libdir/plugins" && ls libjanus_*.so | grep -v '^libjanus_videoroom\.so$' | paste -sd, -)"
  transports_off="$(cd "$libdir/transports" && ls libjanus_*.so | grep -v '^libjanus_websockets\.so$' | paste -sd, -)"
  loggers_off="$(cd "$libdir/loggers" 2>/dev/null && ls libjanus_*.so | paste -sd, - || true)"

  cat >"$janus_dir/janus.jcfg" <<JCFG
general: {
	configs_folder = "$janus_dir"
	plugins_folder = "$libdir/plugins"
	transports_folder = "$libdir/transports"
	events_folder = "$libdir/events"
	loggers_folder = "$libdir/loggers"
	debug_level = ${JANUS_DEBUG_LEVEL:-4}
	debug_timestamps = true
	session_timeout = ${JANUS_SESSION_TIMEOUT:-60}
	server_name = "$janus_tag"
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
JCFG

  cat >"$janus_dir/janus.transport.websockets.jcfg" <<JCFG
general: {
	json = "compact"
	ws = true
	ws_port = $janus_port
	ws_ip = "127.0.0.1"
	wss = false
}
admin: {
	admin_ws = false
	admin_wss = false
}
JCFG

  # No static rooms: the benches create their own.
  cat >"$janus_dir/janus.plugin.videoroom.jcfg" <<JCFG
general: {
}
JCFG

  /usr/bin/janus -C "$janus_dir/janus.jcfg" -F "$janus_dir" -N -L "$janus_dir/janus.log" >"$janus_dir/janus.stdout" 2>&1 &
  janus_pid=$!

  local ready=""
  for _ in $(seq 100); do
    if ! kill -0 "$janus_pid" 2>/dev/null; then break; fi
    if (exec 3<>"/dev/tcp/127.0.0.1/$janus_port") 2>/dev/null; then ready=1; break; fi
    sleep 0.1
  done
  if [ -z "$ready" ]; then
    echo "$janus_tag: Janus did not listen on 127.0.0.1:$janus_port in 10 s; log:" >&2
    tail -n 40 "$janus_dir/janus.log" "$janus_dir/janus.stdout" >&2 || true
    exit 1
  fi
  echo "$janus_tag: $(/usr/bin/janus --version 2>/dev/null | head -1), $janus_ws, ice_lite=false, full_trickle=$full_trickle, ICE host candidates on $ice_enforce" >&2
}
