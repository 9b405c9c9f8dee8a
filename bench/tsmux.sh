#!/bin/sh
# arclytsmux vs mpegtsmux (see bench/tsmux.c).
# Usage: bench/tsmux.sh [build dir, default build] [--runs N] [--format byte-stream]
#                       [--codec h264|h265]
# Makes the input once (60 s 1080p30 H.264 at 6 Mbit/s CBR + AAC 128 kbit/s,
# in <build>/bench/tsmux-input.mp4; with --codec h265 the same in H.265 from
# x265enc, in <build>/bench/tsmux-input-h265.mp4), then times both muxers on
# it, checks that ffmpeg decodes what arclytsmux wrote without an error.
set -e
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build}
[ $# -gt 0 ] && shift
case "$build" in /*) ;; *) build=$(pwd)/$build ;; esac
mkdir -p "$build/bench"
out="$build/bench/tsmux"
codec=h264
prev=
for a in "$@"; do
  [ "$prev" = --codec ] && codec=$a
  case "$a" in --codec=*) codec=${a#--codec=} ;; esac
  prev=$a
done
if [ "$codec" = h265 ]; then
  input="$build/bench/tsmux-input-h265.mp4"
  # x265's ultrafast preset with a fixed GOP; a 6 Mbit/s VBV cap like x264's
  encoder="x265enc bitrate=6000 speed-preset=ultrafast key-int-max=60
    option-string=scenecut=0:vbv-maxrate=6000:vbv-bufsize=6000 ! h265parse"
else
  input="$build/bench/tsmux-input.mp4"
  encoder="x264enc bitrate=6000 pass=cbr speed-preset=ultrafast key-int-max=60
    option-string=scenecut=0 ! h264parse"
fi
cc -O2 -Wall -o "$out" "$src/bench/tsmux.c" \
  $(pkg-config --cflags --libs gstreamer-1.0 gstreamer-app-1.0)
export GST_PLUGIN_PATH="$build/gst/arclyhls${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
if [ ! -s "$input" ]; then
  echo "making $input (once)"
  # snow does not compress: the CBR encoder really spends 6 Mbit/s
  gst-launch-1.0 -q videotestsrc num-buffers=1800 pattern=snow ! \
    video/x-raw,format=I420,width=1920,height=1080,framerate=30/1 ! \
    $encoder ! mp4mux name=m ! \
    filesink location="$input.tmp" \
    audiotestsrc num-buffers=2584 samplesperbuffer=1024 wave=pink-noise ! \
    audio/x-raw,rate=44100,channels=2 ! voaacenc bitrate=128000 ! aacparse ! m.
  mv "$input.tmp" "$input"
fi
"$out" --input "$input" --save "$build/bench" "$@"
echo "checking $build/bench/arclytsmux.ts with ffmpeg"
errors=$(ffmpeg -nostdin -v error -i "$build/bench/arclytsmux.ts" -f null - 2>&1 | head -5)
if [ -n "$errors" ]; then echo "ffmpeg errors: $errors"; exit 1; fi
ffprobe -v error -show_entries stream=codec_name,width,height:format=duration \
  -of default=nw=1 "$build/bench/arclytsmux.ts" | tr '\n' ' '; echo
echo "ok: ffmpeg decodes arclytsmux output without errors"
