#!/bin/sh
# arclyh265depay vs rtph265depay (see bench/h265depay.c).
# Usage: bench/h265depay.sh [build dir, default build] [--frames N --repeat N --runs N]
set -e
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build}
[ $# -gt 0 ] && shift
case "$build" in /*) ;; *) build=$(pwd)/$build ;; esac
out="$build/bench/h265depay"
mkdir -p "$build/bench"
cc -O2 -Wall -o "$out" "$src/bench/h265depay.c" \
  $(pkg-config --cflags --libs gstreamer-1.0 gstreamer-app-1.0 gstreamer-rtp-1.0)
GST_PLUGIN_PATH="$build/gst/arclyrtspsrc${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}" \
  exec "$out" "$@"
