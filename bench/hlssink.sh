#!/bin/sh
# bench/hlssink.sh: arclyhlssink (TS, fMP4) vs hlssink2 (target-duration 2):
# CPU on the same input file, then live playlist latency.  See bench/hlssink.c.
#
#   bench/hlssink.sh [BUILD_DIR] [RUNS] [INPUT_SECONDS] [LATENCY_SECONDS]
#
# BUILD_DIR defaults to ./build; the arclyhls plugin is taken from it.
# LATENCY_SECONDS=0 skips the live latency part.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
runs=${2:-5}
secs=${3:-120}
lat_secs=${4:-20}
work=$(mktemp -d /tmp/arcly-bench-hls-XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM

export GST_PLUGIN_PATH="$(cd "$build" && pwd)/gst/arclyhls"
export GST_REGISTRY_1_0="$work/registry.bin"

cc -O2 -std=c11 -D_GNU_SOURCE -Wall "$here/hlssink.c" -o "$work/hlssink" \
  $(pkg-config --cflags --libs gstreamer-1.0) -lm

frames=$((secs * 30))
abufs=$((secs * 44100 / 1024))
echo "making the input: ${secs} s 640x360 30 fps noise, H.264 (x264 ultrafast 2.5 Mb/s, 2 s GOP) + AAC..."
gst-launch-1.0 -q videotestsrc num-buffers=$frames pattern=snow ! \
  video/x-raw,format=I420,width=640,height=360,framerate=30/1 ! \
  x264enc speed-preset=ultrafast bitrate=2500 key-int-max=60 option-string=scenecut=0 ! \
  h264parse ! mp4mux name=m ! filesink location="$work/input.mp4" \
  audiotestsrc num-buffers=$abufs samplesperbuffer=1024 ! voaacenc ! aacparse ! m.
ls -l "$work/input.mp4"
mkdir "$work/out"
"$work/hlssink" cpu "$work/input.mp4" "$runs" "$work/out"
if [ "$lat_secs" -gt 0 ]; then
  echo
  "$work/hlssink" latency "$lat_secs" "$work/out"
fi
