#!/usr/bin/env bash
# Installs everything Vigil and its tests need on a Debian machine with Node/npm: Deno, ffmpeg,
# PostgreSQL, the RTSP server used by tests, npm modules, the detection model and test media.
# Idempotent and quiet when everything is there already; run it as root (or with sudo available).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "setup: $*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v deno >/dev/null 2>&1; then
  say "installing Deno from npm"
  as_root npm install -g --silent deno >/dev/null
fi

# Debian packages: ffmpeg (capture, recording), PostgreSQL 15 (real-database tests), iproute2
# (network namespaces for discovery tests), GStreamer's RTSP server (test camera streams) and its
# command-line tools (gst-launch-1.0: a second RTSP client the relay's interop tests record with),
# Chromium (the web console's browser tests; playwright-core drives it and never downloads one),
# Mosquitto (the MQTT tests' broker), systemd (`systemd-analyze verify` of the deploy/ unit).
packages=(ffmpeg postgresql iproute2 python3-gi gir1.2-gst-rtsp-server-1.0
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
  gstreamer1.0-plugins-ugly gstreamer1.0-libav gstreamer1.0-tools chromium
  mosquitto mosquitto-clients systemd)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

# npm modules into node_modules/ (deno.json imports).
deno install --quiet >/dev/null 2>&1 || deno install

# The web console is bundled by `deno bundle` when the server starts; building it once here caches
# the bundler (esbuild, from npm) so a box without internet can still start, and fails early.
deno run -A web/build.ts >/dev/null

# Detection model (converted from @vladmandic/human) and test media from Debian packages.
bash scripts/fetch_assets.sh
