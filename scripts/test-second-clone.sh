#!/usr/bin/env bash
# A second checkout built into the same CARGO_TARGET_DIR serves its own web assets.
#
# Cargo names the artifacts of path crates by their path inside the workspace, not by where the workspace lies, so
# two checkouts built into one target dir (CI's fresh clones, the scripts' default /var/tmp/liveroom-target) share
# them, the server's build script binary included. That script therefore has to find `sdk/dist` and `web/` from the
# CARGO_MANIFEST_DIR it is run with, not the one it was compiled with.
#
# The test copies this checkout's files (tracked and untracked-but-not-ignored, with their contents and mtimes as
# they are now) to a temp dir, puts a marker into the copy's SDK bundle and console page, builds the copy's server
# with the same CARGO_TARGET_DIR, starts that binary on free ports and checks that it serves the markers.
# $CARGO_TARGET_DIR/debug/liveroom is this checkout's binary again right after the copy's build; cargo rebuilds this
# checkout's server crate (not the others) at its next build here, as the build script's paths changed.
#
# Why a copy with the same mtimes rather than a fresh clone of HEAD: cargo tells a path crate's sources apart only
# by mtime. A clone's files are newer than the last build, so cargo rebuilds the clone's crates into the shared
# artifacts, and this checkout's next build, whose files are now older, finds them fresh and links the clone's code
# (including HEAD's version of any file edited since). An identical copy keeps every artifact valid for both
# checkouts, and cargo rebuilds only the server (its build script reruns because the paths it names changed), for
# the copy and again when this checkout builds next. Run it after this checkout's `cargo build -p liveroom-server --bin
# liveroom` (as scripts/test.sh does), or it builds the workspace first.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/liveroom-target}"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/liveroom-second-clone.XXXXXX")
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
copy="$tmp/liveroom"
mkdir -p "$copy"
start=$SECONDS

# 1. The copy: every file the build reads, with its mtime.
if git rev-parse --git-dir >/dev/null 2>&1; then
  git ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' f; do if [ -f "$f" ]; then printf '%s\0' "$f"; fi; done |
    xargs -0 cp --preserve=timestamps --parents -t "$copy"
else
  tar -cf - --exclude=./.git --exclude='*/node_modules' --exclude=./sdk/dist --exclude='*/test-output' . |
    tar -xf - -C "$copy"
fi

# 2. Markers only the copy has.
marker="second-clone-$$-$RANDOM$RANDOM"
mkdir -p "$copy/sdk/dist"
printf '/* %s */\n' "$marker" >"$copy/sdk/dist/zego-client.js"
printf '<!-- %s -->\n' "$marker" >>"$copy/web/index.html"
# The console's FLV player, as this checkout has it (npm-installed, so not in the copy).
mpegts=sdk/node_modules/mpegts.js/dist/mpegts.js
if [ -f "$mpegts" ]; then cp --preserve=timestamps --parents -t "$copy" "$mpegts"; fi

# 3. Build the copy's server into the shared target dir; keep its binary, and put this checkout's binary back at
#    once (by rename: cargo may have hard-linked it), so nothing else starts the copy's.
bin="$CARGO_TARGET_DIR/debug/liveroom"
if [ -f "$bin" ]; then cp -p "$bin" "$tmp/liveroom-here"; fi
(cd "$copy" && cargo build -q -p liveroom-server --bin liveroom)
cp -p "$bin" "$tmp/liveroom-copy"
if [ -f "$tmp/liveroom-here" ]; then mv -f "$tmp/liveroom-here" "$bin"; else rm -f "$bin"; fi
built=$SECONDS

# 4. The copy's binary serves the copy's assets.
LIVEROOM_LOG__LEVEL=warn LIVEROOM_METRICS__LISTEN=127.0.0.1:0 LIVEROOM_RTC__LISTEN=127.0.0.1:0 \
  LIVEROOM_TURN__LISTEN=127.0.0.1:0 "$tmp/liveroom-copy" --dev --http 127.0.0.1:0 >"$tmp/stdout" 2>"$tmp/stderr" &
server_pid=$!
http=
for _ in $(seq 1 200); do
  http=$(grep -F '"event":"ready"' "$tmp/stdout" | sed -n 's/.*"http":"\([^"]*\)".*/\1/p' | head -n 1 || true)
  [ -n "$http" ] && break
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$http" ]; then
  echo "second clone: the server did not start; stderr:" >&2
  cat "$tmp/stderr" >&2
  exit 1
fi
fail=0
for path in /sdk/zego-client.js /; do
  body=$(curl -fs "http://$http$path") || body=
  if ! grep -qF "$marker" <<<"$body"; then
    echo "second clone: $path of the copy's binary is not the copy's file (status $(curl -s -o /dev/null -w '%{http_code}' "http://$http$path")): the build script read another checkout's folder" >&2
    fail=1
  fi
done
[ "$fail" = 0 ] || exit 1
echo "second clone: serves its own SDK and console ($((built - start)) s to copy and build, $((SECONDS - start)) s in all)"
