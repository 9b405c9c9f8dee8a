#!/bin/sh
# Two LL-HLS gst-launch-1.0 pipelines side by side (issue #21): two
# processes AT THE SAME TIME, N cameras each (RTSP sessions of one
# arcly-testcam --shared), arclyrtspsrc ! depayloaders ! arclyhlssink fMP4
# with 200 ms parts; CPU-s per camera-minute of each over W s after 8 s,
# and the ratio B/A.  One run per call; see bench/restream-pair.sh for why
# side by side.  By default A is bench/cameras.sh's (c) (read-interval=0)
# and B its (i) (read-interval=100); SRC_A/SRC_B add arclyrtspsrc
# properties, SINK_A/SINK_B arclyhlssink properties, e.g. (i) against (k):
#
# STOCK_A=1 makes A the stock pipeline of bench/cameras.sh's (a) (rtspsrc !
# rtph264depay ! h264parse ! hlssink2, + AAC) instead.
#
#   sh bench/llhls-pair.sh [BUILD_DIR] [N] [W]     e.g. build 8 20
#   SRC_A=read-interval=100 SINK_B=input-thread=true sh bench/llhls-pair.sh build 8 20
#   STOCK_A=1 SRC_B=read-interval=100 SINK_B=input-thread=true sh bench/llhls-pair.sh build 16 20
BUILD=$(cd "${1:-build}" && pwd); N=${2:-8}; W=${3:-20}
SRC_A=${SRC_A:-read-interval=0}; SRC_B=${SRC_B:-read-interval=100}
SINK_A=${SINK_A:-}; SINK_B=${SINK_B:-}
O=$(mktemp -d "${TMPDIR:-/tmp}/arcly-llhls-pair-XXXXXX")  # TMPDIR=/dev/shm: both on tmpfs
trap 'rm -rf "$O"' EXIT
export GST_PLUGIN_PATH="$BUILD/gst/arclyrtspsrc:$BUILD/gst/arclybus:$BUILD/gst/arclyhls"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$BUILD/tools/arcly-testcam" --port=$PORT --shared >$O/cam.log 2>&1 & CAM=$!
sleep 2
# desc DIR "SRC PROPS" "SINK PROPS"
desc() { D=$O/$1; d=""; i=0; while [ $i -lt $N ]; do mkdir -p $D/c$i; d="$d arclyrtspsrc location=rtsp://127.0.0.1:$PORT/cam name=s$i $2 s$i.video_0 ! arclyh264depay ! h$i.video s$i.audio_0 ! arclyaacdepay ! h$i.audio arclyhlssink name=h$i target-duration=2 max-files=10 playlist-length=6 segment-format=fmp4 part-duration=200 location=$D/c$i/seg%05d.m4s init-location=$D/c$i/init%d.mp4 playlist-location=$D/c$i/playlist.m3u8 $3"; i=$((i+1)); done; echo $d; }
# the stock pipeline, as bench/cameras.sh's (a)
stock() { D=$O/a; d=""; i=0; while [ $i -lt $N ]; do mkdir -p $D/c$i; d="$d rtspsrc location=rtsp://127.0.0.1:$PORT/cam protocols=tcp latency=200 name=s$i s$i. ! rtph264depay ! h264parse ! video/x-h264,alignment=au ! h$i.video s$i. ! rtpmp4gdepay ! aacparse ! h$i.audio hlssink2 name=h$i target-duration=2 max-files=10 playlist-length=6 location=$D/c$i/seg%05d.ts playlist-location=$D/c$i/playlist.m3u8"; i=$((i+1)); done; echo $d; }
if [ "${STOCK_A:-0}" = 1 ]; then
  SRC_A="stock rtspsrc+hlssink2"; SINK_A=""
  gst-launch-1.0 -q $(stock) >$O/a.log 2>&1 & PA=$!
else
  gst-launch-1.0 -q $(desc a "$SRC_A" "$SINK_A") >$O/a.log 2>&1 & PA=$!
fi
gst-launch-1.0 -q $(desc b "$SRC_B" "$SINK_B") >$O/b.log 2>&1 & PB=$!
sleep 8
t() { awk '{print $14+$15}' /proc/$1/stat; }
a0=$(t $PA); b0=$(t $PB); sleep $W; a1=$(t $PA); b1=$(t $PB)
kill -INT $PA $PB; sleep 1; kill -KILL $PA $PB 2>/dev/null; kill $CAM
test -s "$O/a/c0/playlist.m3u8" && test -s "$O/b/c0/playlist.m3u8" || { echo "no playlist written" >&2; exit 1; }
awk -v a="$((a1 - a0))" -v b="$((b1 - b0))" -v hz="$(getconf CLK_TCK)" -v w="$W" -v n="$N" \
  -v la="$SRC_A $SINK_A" -v lb="$SRC_B $SINK_B" \
  'BEGIN { printf "A (%s) %.3f  B (%s) %.3f CPU-s/camera-min  B/A %.3f\n",
           la, a / hz / w * 60 / n, lb, b / hz / w * 60 / n, b / a }'
