#!/usr/bin/env bash
# The benchmarks in one command: scripts/bench.sh [fanout|rooms|signalling|flv|cluster|all] [--quick]
#
# Builds what it needs (release), runs each benchmark against a real release `liveroom` process, prints
# the benchmarks' tables on stderr and a summary table, and as the LAST line of stdout one JSON object per
# benchmark run (a JSON array when several ran). Every figure is counted from what the load generators
# RECEIVED; a benchmark whose loss, errors or lag pass its threshold fails the run (exit 1) instead of
# reporting a throughput.
#
#   fanout      one publisher (≈ 1.5 Mbit/s H.264 + Opus) to N players, N = 50, 200, 500 (quick: 50, 200),
#               and the same load against Janus 1.1.2's videoroom (installed from Debian when missing;
#               BENCH_JANUS=0 skips it) driven by the same native client: egress packets per second of
#               server CPU, loss, and the ratio.
#   rooms       500 rooms of 1 publisher + 3 players, each publisher 10 one-packet video frames and 50 Opus
#               packets a second (quick: 100 rooms at the full camera rate): CPU per delivered packet against
#               the single big room's (fanout at 200 players, run again here).
#   signalling  19,000 logged-in connections in one room (quick: 5,000): room-message fan-out p99, logins
#               per second (overall and with the room nearly full), server bytes per idle connection,
#               heartbeat CPU.
#   flv         one 1.5 Mbit/s x264 stream (published over WebRTC) to 5,000 HTTP-FLV viewers (quick: 2,000):
#               viewers per core of server CPU, none behind or cut, publish → viewer latency.
#   cluster     three nodes on our own redis-server (free port), beside one node in the same run: room-message
#               fan-out p50/p99 to 2,000 members split over the 3 nodes vs. all on one (quick: 300), every
#               delivery counted; one stream from node-1 to 150 players spread over the 3 nodes vs. all on
#               node-1 (quick: 30): loss, egress pkt/s and CPU per node. Needs redis-server (installed by
#               scripts/system-deps.sh --test when missing).
#
# Method and figures: docs/benchmarks.md. Env: CARGO_TARGET_DIR (default /var/tmp/liveroom-target),
# BENCH_SECONDS (media send time per run), BENCH_JANUS=0. --quick finishes in under 5 minutes here.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$here/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/liveroom-target}"
rel="$CARGO_TARGET_DIR/release"

which="all"
quick=""
for a in "$@"; do
  case "$a" in
    --quick) quick=1 ;;
    fanout | rooms | signalling | flv | cluster | all) which="$a" ;;
    *) echo "usage: scripts/bench.sh [fanout|rooms|signalling|flv|cluster|all] [--quick]" >&2; exit 2 ;;
  esac
done
want() { [ "$which" = all ] || [ "$which" = "$1" ]; }

echo "bench: building the release server and the load generators" >&2
(cd "$root" && cargo build --release -q -p liveroom-server --bin liveroom \
  -p liveroom-client --example bench_fanout --example bench_signalling --example bench_flv \
  --example bench_cluster)
server="$rel/liveroom"

# The cluster benchmark starts its own redis-server (Debian's, as the cluster tests do); the test setup's
# package list installs it (as root) when it is missing.
if want cluster && ! command -v redis-server >/dev/null 2>&1; then
  echo "bench: redis-server is missing; scripts/system-deps.sh --test installs it" >&2
  "$here/system-deps.sh" --test
fi

results="$(mktemp /tmp/liveroom-bench.XXXXXX)"
trap 'rm -f "$results"' EXIT
failed=""

# Runs a benchmark command; its table goes to stderr, its JSON last line to $results (tagged with the
# extra fields given as a JSON object in $1). A failed run is recorded and makes the whole run fail.
run() {
  local extra="$1"; shift
  local out status
  echo "bench: $*" >&2
  set +e
  out="$("$@" 2> >(grep -v '^  \|dev mode' >&2))"
  status=$?
  set -e
  printf '%s\n' "$out" | sed '$d' >&2
  local last
  last="$(printf '%s\n' "$out" | tail -n 1)"
  if [ "$status" -ne 0 ] || ! printf '%s' "$last" | python3 -c 'import json,sys; json.loads(sys.stdin.read())' 2>/dev/null; then
    if [ -n "${soft:-}" ]; then
      # The peer side by side (Janus): its failure leaves its figure out, it does not fail our run.
      echo "bench: WARNING: the comparison run failed ($status): $*" >&2
    else
      echo "bench: FAILED ($status): $*" >&2
      failed="$failed $1"
    fi
    last='{"failed": true}'
  fi
  python3 -c 'import json,sys; a=json.loads(sys.argv[1]); a.update(json.loads(sys.argv[2])); print(json.dumps(a))' \
    "$last" "$extra" >>"$results"
}

secs="${BENCH_SECONDS:-$([ -n "$quick" ] && echo 5 || echo 10)}"

if want fanout; then
  players_list="50 200 500"
  [ -n "$quick" ] && players_list="50 200"
  janus="${BENCH_JANUS:-1}"
  for n in $players_list; do
    run '{"run": "liveroom"}' "$rel/examples/bench_fanout" --server "$server" --players "$n" --seconds "$secs"
    if [ "$janus" = 1 ]; then
      soft=1 run '{"bench": "fanout", "run": "janus"}' "$here/janus-fanout.sh" --players "$n" --seconds "$secs"
    fi
  done
fi

if want rooms; then
  nrooms=500
  [ -n "$quick" ] && nrooms=100
  run '{"run": "big-room"}' "$rel/examples/bench_fanout" --server "$server" --players 200 --seconds "$secs"
  # 500 rooms: 10 video frames of one packet a second + Opus (60 pkt/s per publisher); 500 cameras at full rate
  # would be 100k ingress and 300k egress pkt/s, beyond this machine's 2 cores with 2,000 clients on them too.
  # 100 rooms (--quick): the full camera rate, which this machine carries.
  rate=(--fps 10 --video-packets 1)
  [ -n "$quick" ] && rate=()
  run '{"run": "rooms"}' "$rel/examples/bench_fanout" --server "$server" --rooms "$nrooms" --players 3 \
    --seconds "$secs" --connect-parallel 32 "${rate[@]}"
fi

if want signalling; then
  if [ -n "$quick" ]; then
    run '{}' "$rel/examples/bench_signalling" --server "$server" --conns 5000 --workers 2 --messages 10 --idle-secs 10
  else
    run '{}' "$rel/examples/bench_signalling" --server "$server" --conns 19000 --workers 4 --messages 20 --idle-secs 30
  fi
fi

if want flv; then
  viewers=5000
  [ -n "$quick" ] && viewers=2000
  run '{}' "$rel/examples/bench_flv" --server "$server" --viewers "$viewers" --workers 2 --seconds "$((secs * 2))"
fi

if want cluster; then
  if [ -n "$quick" ]; then
    run '{}' "$rel/examples/bench_cluster" --server "$server" --redis-server "$(command -v redis-server)" \
      --members 300 --messages 10 --players 30 --seconds "$secs"
  else
    run '{}' "$rel/examples/bench_cluster" --server "$server" --redis-server "$(command -v redis-server)" \
      --members 2000 --messages 20 --players 150 --seconds "$secs"
  fi
fi

# Pairs each Liveroom fan-out run with the Janus run of the same player count, and the rooms run with the
# big room; prints the summary table (stderr) and the JSON (stdout, last line).
python3 - "$results" <<'EOF'
import json, sys
runs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
out = []
janus = {r.get("players"): r for r in runs if r.get("run") == "janus"}
big = next((r for r in runs if r.get("run") == "big-room"), None)
rows = []
for r in runs:
    kind = r.get("run")
    if kind == "janus":
        continue
    if r.get("bench") == "fanout" and kind == "liveroom":
        j = janus.get(r.get("players"), {})
        o = {"bench": "fanout", "players": r.get("players"), "egress_pps_per_core": r.get("egress_pps_per_core"),
             "loss": r.get("loss"), "cpu_us_per_packet": r.get("cpu_us_per_packet"),
             "janus_egress_pps_per_core": j.get("egress_pps_per_core"), "janus_loss": j.get("loss")}
        if o["egress_pps_per_core"] and o["janus_egress_pps_per_core"]:
            o["ratio"] = round(o["egress_pps_per_core"] / o["janus_egress_pps_per_core"], 2)
        else:
            o["ratio"] = None
        out.append(o)
        rows.append(f"fanout      {o['players']:>5} players  {o['egress_pps_per_core'] or 0:>9} pkt/s/core  loss {100*(o['loss'] or 0):.3f} %"
                    f"  Janus {o['janus_egress_pps_per_core'] or '-'}  ratio {o['ratio'] or '-'}")
    elif kind == "rooms":
        o = {"bench": "rooms", "rooms": r.get("rooms"), "players_per_room": r.get("players"),
             "egress_pps_per_core": r.get("egress_pps_per_core"), "loss": r.get("loss"),
             "cpu_us_per_packet": r.get("cpu_us_per_packet"),
             "big_room_cpu_us_per_packet": (big or {}).get("cpu_us_per_packet")}
        b = o["big_room_cpu_us_per_packet"]
        o["cpu_ratio_to_big_room"] = round(o["cpu_us_per_packet"] / b, 2) if b and o["cpu_us_per_packet"] else None
        out.append(o)
        rows.append(f"rooms       {o['rooms']:>5} rooms    {o['egress_pps_per_core'] or 0:>9} pkt/s/core  loss {100*(o['loss'] or 0):.3f} %"
                    f"  CPU/packet {o['cpu_ratio_to_big_room'] or '-'}× the big room's")
    elif kind == "big-room":
        continue
    else:
        out.append(r)
        if r.get("bench") == "signalling":
            rows.append(f"signalling  {r['connections']:>5} conns    fan-out p99 {r['fanout_p99_ms']} ms  logins {r['logins_per_s']}/s"
                        f" ({r['logins_per_s_full_room']}/s full)  {r['bytes_per_idle_conn']} B/idle conn  hb {r['heartbeat_cpu_pct']} % core")
        elif r.get("bench") == "cluster":
            rows.append(f"cluster     {r.get('members')} members: chat p50/p99 {r.get('chat_p50_ms_one_node')}/{r.get('chat_p99_ms_one_node')} ms one node,"
                        f" {r.get('chat_p50_ms_three_nodes')}/{r.get('chat_p99_ms_three_nodes')} ms over 3 nodes;"
                        f" {r.get('players')} players: loss {r.get('loss_pct_one_node')} / {r.get('loss_pct_three_nodes')} %,"
                        f" CPU/packet {r.get('cpu_us_per_packet_one_node')} / {r.get('cpu_us_per_packet_three_nodes')} µs"
                        f" ({r.get('cpu_ratio_three_to_one')}×)")
        elif r.get("bench") == "flv":
            rows.append(f"flv         {r['viewers']:>5} viewers  {r['viewers_per_core']} viewers/core  {r['behind']} behind, {r['cut']} cut"
                        f"  publish → viewer p95 {r['glass_to_glass_ms']} ms  {r['rss_bytes_per_viewer']} B RSS/viewer")
        else:
            rows.append(json.dumps(r))
print("\n== bench summary ==", file=sys.stderr)
for row in rows:
    print(row, file=sys.stderr)
print(json.dumps(out[0] if len(out) == 1 else out))
EOF

if [ -n "$failed" ]; then
  echo "bench: FAILED runs:$failed" >&2
  exit 1
fi
