#!/bin/sh
# arclyfmp4mux vs "mp4mux fragment-duration=2000 streamable=true" (and
# isofmp4mux when installed); see bench/fmp4mux.c.
# Usage: bench/fmp4mux.sh [build dir, default build] [--runs N]
# Makes the input once (60 s 1080p30 H.264 at 6 Mbit/s CBR + AAC 128 kbit/s
# in <build>/bench/; the same recipe as bench/tsmux.sh, whose file is reused
# when present), times the muxers on it, then checks with ffprobe/ffmpeg that
# what arclyfmp4mux wrote decodes without an error.
set -e
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build}
[ $# -gt 0 ] && shift
case "$build" in /*) ;; *) build=$(pwd)/$build ;; esac
mkdir -p "$build/bench"
out="$build/bench/fmp4mux"
input="$build/bench/tsmux-input.mp4"
[ -s "$input" ] || input="$build/bench/fmp4mux-input.mp4"
cc -O2 -Wall -o "$out" "$src/bench/fmp4mux.c" \
  $(pkg-config --cflags --libs gstreamer-1.0 gstreamer-base-1.0)
export GST_PLUGIN_PATH="$build/gst/arclyhls${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
if [ ! -s "$input" ]; then
  echo "making $input (once)"
  # snow does not compress: the CBR encoder really spends 6 Mbit/s
  gst-launch-1.0 -q videotestsrc num-buffers=1800 pattern=snow ! \
    video/x-raw,format=I420,width=1920,height=1080,framerate=30/1 ! \
    x264enc bitrate=6000 pass=cbr speed-preset=ultrafast key-int-max=60 \
      option-string=scenecut=0 ! h264parse ! mp4mux name=m ! \
    filesink location="$input.tmp" \
    audiotestsrc num-buffers=2584 samplesperbuffer=1024 wave=pink-noise ! \
    audio/x-raw,rate=44100,channels=2 ! voaacenc bitrate=128000 ! aacparse ! m.
  mv "$input.tmp" "$input"
fi
"$out" --input "$input" --save "$build/bench" "$@"
f="$build/bench/arclyfmp4mux.mp4"
echo "checking $f with ffprobe and ffmpeg"
ffprobe -v error -show_entries stream=codec_name,width,height:format=duration \
  -of default=nw=1 "$f" | tr '\n' ' '; echo
errors=$(ffmpeg -nostdin -v error -i "$f" -f null - 2>&1 | head -5)
if [ -n "$errors" ]; then echo "ffmpeg errors: $errors"; exit 1; fi
echo "ok: ffmpeg decodes arclyfmp4mux output without errors"
