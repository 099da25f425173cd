#!/usr/bin/env bash
# Installs the Debian packages Liveroom needs and are missing (as root; otherwise names them
# and fails). `scripts/system-deps.sh` — what building and running the server needs
# (GStreamer for the live outputs); `scripts/system-deps.sh --test` — also what the tests
# drive (Chromium, coturn's tools, nginx with the RTMP module, ffmpeg's ffprobe, the
# redis-server the cluster tests start on free ports).
set -euo pipefail

want=(
  # Build: gstreamer-rs links these.
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev pkg-config
  # Run: the elements the live outputs use (compositor, x264enc, vp8, opus, avenc_aac,
  # flvmux, hlssink2, rtmp2sink, lamemp3enc, image decoders).
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
  gstreamer1.0-plugins-ugly gstreamer1.0-libav
)
if [ "${1:-}" = "--test" ]; then
  want+=(chromium coturn nginx libnginx-mod-rtmp ffmpeg gstreamer1.0-tools redis-server)
fi

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
  echo "missing Debian packages: ${missing[*]} (install them with apt-get as root)" >&2
  exit 1
fi
echo "installing: ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Packaged services may start on install (coturn on 3478, nginx on 80, redis on 6379); the tests start
# their own instances on free ports.
if command -v systemctl >/dev/null 2>&1; then
  systemctl stop coturn nginx redis-server >/dev/null 2>&1 || true
fi
pkill -x turnserver >/dev/null 2>&1 || true
pkill -x nginx >/dev/null 2>&1 || true
