#!/bin/sh
# bench/cameras.sh's (c) and (i) side by side (issue #21): two gst-launch-1.0
# processes AT THE SAME TIME, N cameras each (RTSP sessions of one
# arcly-testcam --shared), arclyrtspsrc ! depayloaders ! arclyhlssink fMP4
# with 200 ms parts, read-interval=0 in one and 100 in the other; CPU-s per
# camera-minute of each over W s after 8 s, and the ratio.  One run per
# call; see bench/restream-pair.sh for why side by side.
#
#   sh bench/llhls-pair.sh [BUILD_DIR] [N] [W]     e.g. build 8 20
BUILD=$(cd "${1:-build}" && pwd); N=${2:-8}; W=${3:-20}
O=$(mktemp -d /tmp/arcly-llhls-pair-XXXXXX)
trap 'rm -rf "$O"' EXIT
export GST_PLUGIN_PATH="$BUILD/gst/arclyrtspsrc:$BUILD/gst/arclybus:$BUILD/gst/arclyhls"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$BUILD/tools/arcly-testcam" --port=$PORT --shared >$O/cam.log 2>&1 & CAM=$!
sleep 2
desc() { D=$O/ri$1; d=""; i=0; while [ $i -lt $N ]; do mkdir -p $D/c$i; d="$d arclyrtspsrc location=rtsp://127.0.0.1:$PORT/cam name=s$i read-interval=$1 s$i.video_0 ! arclyh264depay ! h$i.video s$i.audio_0 ! arclyaacdepay ! h$i.audio arclyhlssink name=h$i target-duration=2 max-files=10 playlist-length=6 segment-format=fmp4 part-duration=200 location=$D/c$i/seg%05d.m4s init-location=$D/c$i/init%d.mp4 playlist-location=$D/c$i/playlist.m3u8"; i=$((i+1)); done; echo $d; }
gst-launch-1.0 -q $(desc 0) >$O/a.log 2>&1 & PA=$!
gst-launch-1.0 -q $(desc 100) >$O/b.log 2>&1 & PB=$!
sleep 8
t() { awk '{print $14+$15}' /proc/$1/stat; }
a0=$(t $PA); b0=$(t $PB); sleep $W; a1=$(t $PA); b1=$(t $PB)
kill -INT $PA $PB; sleep 1; kill -KILL $PA $PB 2>/dev/null; kill $CAM
test -s "$O/ri0/c0/playlist.m3u8" && test -s "$O/ri100/c0/playlist.m3u8" || { echo "no playlist written" >&2; exit 1; }
awk -v a="$((a1 - a0))" -v b="$((b1 - b0))" -v hz="$(getconf CLK_TCK)" -v w="$W" -v n="$N" \
  'BEGIN { printf "(c) read-interval=0 %.3f  (i) read-interval=100 %.3f CPU-s/camera-min  i/c %.3f\n",
           a / hz / w * 60 / n, b / hz / w * 60 / n, b / a }'
