#!/bin/sh
# arclybus vs tee + queue per branch vs bare tee (see bench/bus.c).
# Usage: bench/bus.sh [build dir, default build] [--runs N] [--subs 1,10,100,500]
# Makes the input once (10 s of 720p30 H.264, 2 s GOP, in
# <build>/bench/bus-input.mkv), then runs the matrix; every run is a bounded
# child process.
set -e
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build}
[ $# -gt 0 ] && shift
case "$build" in /*) ;; *) build=$(pwd)/$build ;; esac
mkdir -p "$build/bench"
out="$build/bench/bus"
input="$build/bench/bus-input.mkv"
cc -O2 -Wall -o "$out" "$src/bench/bus.c" $(pkg-config --cflags --libs gstreamer-1.0)
export GST_PLUGIN_PATH="$build/gst/arclybus${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
if [ ! -s "$input" ]; then
  echo "making $input (once)"
  gst-launch-1.0 -q videotestsrc num-buffers=300 ! \
    video/x-raw,format=I420,width=1280,height=720,framerate=30/1 ! \
    x264enc bitrate=2000 speed-preset=ultrafast key-int-max=60 \
      option-string=scenecut=0 ! h264parse ! matroskamux ! \
    filesink location="$input.tmp"
  mv "$input.tmp" "$input"
fi
exec "$out" --input "$input" "$@"
