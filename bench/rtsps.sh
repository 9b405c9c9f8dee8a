#!/bin/sh
# arclyrtspsrc vs rtspsrc protocols=tcp over rtsps:// (TLS), and
# arclyrtspsrc over rtsp:// vs rtsps:// on the same camera settings: the
# bench of bench/rtspsrc.c (first buffer after PLAYING, CPU per minute of a
# ~6 Mbit/s stream) against arcly-testcam --tls-cert with a self-signed
# certificate made here (both elements get tls-validation-flags=0).
# Usage: bench/rtsps.sh [build dir, default build] [runs, default 7]
#                       [seconds per CPU run, default 15]
set -e
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build}
runs=${2:-7}
secs=${3:-15}
case "$build" in /*) ;; *) build=$(pwd)/$build ;; esac
out="$build/bench/rtspsrc"
mkdir -p "$build/bench"
cc -O2 -Wall -o "$out" "$src/bench/rtspsrc.c" \
  $(pkg-config --cflags --libs gstreamer-1.0)
tmp=$(mktemp -d)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
  -keyout "$tmp/key.pem" -out "$tmp/cert.pem" -days 2 -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1 2>/dev/null

pids=
trap 'kill $pids 2>/dev/null; wait $pids 2>/dev/null; rm -rf "$tmp"' EXIT INT TERM
# start_cam LOG [extra args]: prints the URL once READY
start_cam() {
  log=$1; shift
  port=$((20000 + ($$ + ${#pids}) % 20000))
  "$build/tools/arcly-testcam" --port "$port" --shared --bitrate 6000 \
    --size 1280x720 --gop 30 "$@" > "$log" 2>&1 &
  pids="$pids $!"
  i=0
  until grep -q READY "$log"; do
    i=$((i + 1)); [ $i -gt 200 ] && { echo "camera did not start" >&2; exit 1; }
    sleep 0.1
  done
  sed -n 's/^READY //p' "$log"
}
# A client that stays connected keeps the shared media playing, as a real
# camera's encoder always runs (a separate process: not measured).
keep() {
  gst-launch-1.0 -q rtspsrc location="$1" protocols=tcp tls-validation-flags=0 \
    ! fakesink > /dev/null 2>&1 &
  pids="$pids $!"
}
tls_url=$(start_cam "$build/bench/rtsps-cam.log" --tls-cert "$tmp/cert.pem" \
  --tls-key "$tmp/key.pem")
keep "$tls_url"
plain_url=$(start_cam "$build/bench/rtsps-plain-cam.log")
keep "$plain_url"
sleep 2
export GST_PLUGIN_PATH="$build/gst/arclyrtspsrc${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
echo "== rtsps:// (TLS)"
"$out" "$tls_url" "$runs" "$secs"
echo "== rtsp:// (same camera settings)"
"$out" "$plain_url" "$runs" "$secs"
