#!/bin/sh
# arclyrtspsrc vs rtspsrc protocols=tcp (see bench/rtspsrc.c): first buffer
# after PLAYING and CPU per minute of a ~6 Mbit/s stream, against one
# arcly-testcam --shared (its media already running, as with a real camera).
# Usage: bench/rtspsrc.sh [build dir, default build] [runs, default 7]
#                         [seconds per CPU run, default 15]
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

port=$((20000 + $$ % 20000))
"$build/tools/arcly-testcam" --port "$port" --shared --bitrate 6000 \
  --size 1280x720 --gop 30 > "$build/bench/rtspsrc-cam.log" 2>&1 &
cam=$!
trap 'kill $cam 2>/dev/null; wait $cam 2>/dev/null' EXIT INT TERM
i=0
until grep -q READY "$build/bench/rtspsrc-cam.log"; do
  i=$((i + 1)); [ $i -gt 200 ] && { echo "camera did not start"; exit 1; }
  sleep 0.1
done
url=$(sed -n 's/^READY //p' "$build/bench/rtspsrc-cam.log")
# A client that stays connected keeps the shared media prepared and playing
# (gst-rtsp-server unprepares it when the last client leaves), as a real
# camera's encoder always runs.  It is a separate process: not measured.
gst-launch-1.0 -q rtspsrc location="$url" protocols=tcp ! fakesink \
  > /dev/null 2>&1 &
keeper=$!
trap 'kill $keeper $cam 2>/dev/null; wait $keeper $cam 2>/dev/null' EXIT INT TERM
sleep 2
GST_PLUGIN_PATH="$build/gst/arclyrtspsrc${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}" \
  "$out" "$url" "$runs" "$secs"
