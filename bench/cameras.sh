#!/bin/sh
# Cost per camera, end to end (issue #21): N cameras pulled over RTSP and
# packaged as HLS by
#   (a) stock:   rtspsrc ! rtph264depay ! h264parse ! hlssink2 (+ AAC)
#   (b) ours TS: arclyrtspsrc ! arclyh264depay ! arclyhlssink (mpegts)
#   (c) ours LL: the same, fMP4 with 200 ms LL-HLS parts
#   (d) arcly-restream --camera NAME=URL ... (bus + LL-HLS + idle HTTP)
#   (f) (c) with arclyrtspsrc read-interval=20 (reads paced: one per 20 ms)
#   (e) ingest only: arclyrtspsrc ! arclyh264depay / arclyaacdepay ! fakesink
#       (what (b)-(d) pay before packaging: the floor of the RTSP side)
#   (g) arcly-restream serving from memory (no --output: what it does by
#       default; (d) also writes every file under --output)
#   (h) ingest into arclynullagg (bench/nullagg.c: a GstAggregator that drops
#       what it takes): (h) - (e) is GstAggregator's own cost under (c)
#   (i) (c) with arclyrtspsrc read-interval=100 (what arcly-restream does
#       while only HLS and its recorder take a camera)
#   (j) (g) with --read-interval=0 (every packet burst read as it comes: the
#       application before it paced its reads)
#   (k) (i) with arclyhlssink input-thread=true (the fMP4 muxer runs on the
#       camera's thread, not GstAggregator's own)
#   (l) (k) with arclyhlssink part-byteranges=true (parts as byte ranges of
#       their segment: no file per part)
# (a)-(c), (e), (f) run the N cameras as N chains in one gst-launch-1.0 process,
# (d) as one arcly-restream process, so each figure is one process's
# user+system CPU (/proc/PID/stat) over WINDOW seconds after WARM seconds
# of warm-up, divided by N: CPU-seconds per camera-minute; RSS (VmRSS at
# the end of the window) / N; and, for N=1, syscalls per second from
# `strace -c -f` attached for STRACE seconds (a separate run).  Each run
# must have written a playlist listing segments, or it does not count.
#
# The cameras: one bin/arcly-testcam --shared (640x360 H.264 2 Mbit/s,
# GOP 2 s, + AAC) on 127.0.0.1; the N cameras are N RTSP sessions of that
# one shared media, so its encoder is paid once and not measured (it does
# answer keyframe requests: gst-rtsp-server forces one when a client joins).
#
#   sh bench/cameras.sh [BUILD_DIR] ["COUNTS"] [RUNS] [WINDOW] [CONFIGS]
#   e.g. sh bench/cameras.sh build "1 4" 3 30 "a b c d e"
set -eu
BUILD=${1:-build}
COUNTS=${2:-"1 4 16"}
RUNS=${3:-3}
WINDOW=${4:-30}
CONFIGS=${5:-"a b c d"}
WARM=${WARM:-6}
STRACE=${STRACE:-20}
BUILD=$(cd "$BUILD" && pwd)
export GST_PLUGIN_PATH="$BUILD/gst/arclyrtspsrc:$BUILD/gst/arclybus:$BUILD/gst/arclyhls"
HZ=$(getconf CLK_TCK)
TMP=$(mktemp -d /tmp/arcly-cameras-XXXXXX)
CAM_PID=""
PID=""

cleanup() {
  [ -n "$PID" ] && kill -KILL "$PID" 2>/dev/null || true
  [ -n "$CAM_PID" ] && kill "$CAM_PID" 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM  # exit runs cleanup (a trap alone would carry on)

if echo "$CONFIGS" | grep -qw h; then
  mkdir -p "$TMP/nullagg"
  # shellcheck disable=SC2046
  cc -O2 -Wall -shared -fPIC -o "$TMP/nullagg/libgstarclynullagg.so" \
    "$(dirname "$0")/nullagg.c" $(pkg-config --cflags --libs gstreamer-base-1.0)
  GST_PLUGIN_PATH="$GST_PLUGIN_PATH:$TMP/nullagg"
fi

PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
URL="rtsp://127.0.0.1:$PORT/cam"
"$BUILD/tools/arcly-testcam" --port="$PORT" --shared >"$TMP/cam.log" 2>&1 &
CAM_PID=$!
sleep 2

# the gst-launch-1.0 description of N cameras with config $1 into $2
describe() {
  cfg=$1 dir=$2 n=$3 i=0 d=""
  while [ $i -lt "$n" ]; do
    o="$dir/c$i"
    mkdir -p "$o"
    case $cfg in
      a) d="$d rtspsrc location=$URL protocols=tcp latency=200 name=s$i
           s$i. ! rtph264depay ! h264parse ! video/x-h264,alignment=au ! h$i.video
           s$i. ! rtpmp4gdepay ! aacparse ! h$i.audio
           hlssink2 name=h$i target-duration=2 max-files=10 playlist-length=6
             location=$o/seg%05d.ts playlist-location=$o/playlist.m3u8" ;;
      b|c|f|i|k|l) if [ "$cfg" = b ]; then
             fmt="segment-format=mpegts location=$o/seg%05d.ts"
           else
             fmt="segment-format=fmp4 part-duration=200 location=$o/seg%05d.m4s init-location=$o/init%d.mp4"
           fi
           ri=""
           [ "$cfg" = f ] && ri="read-interval=20"
           [ "$cfg" = i ] && ri="read-interval=100"
           [ "$cfg" = k ] && ri="read-interval=100" && fmt="$fmt input-thread=true"
           [ "$cfg" = l ] && ri="read-interval=100" && fmt="$fmt input-thread=true part-byteranges=true"
           d="$d arclyrtspsrc location=$URL name=s$i $ri
           s$i.video_0 ! arclyh264depay ! h$i.video
           s$i.audio_0 ! arclyaacdepay ! h$i.audio
           arclyhlssink name=h$i target-duration=2 max-files=10 playlist-length=6
             $fmt playlist-location=$o/playlist.m3u8" ;;
      e) d="$d arclyrtspsrc location=$URL name=s$i
           s$i.video_0 ! arclyh264depay ! fakesink sync=false async=false
           s$i.audio_0 ! arclyaacdepay ! fakesink sync=false async=false" ;;
      h) d="$d arclyrtspsrc location=$URL name=s$i
           s$i.video_0 ! arclyh264depay ! a$i.
           s$i.audio_0 ! arclyaacdepay ! a$i.
           arclynullagg name=a$i latency=200000000 ! fakesink sync=false async=false" ;;
    esac
    i=$((i + 1))
  done
  echo "$d"
}

# start config $1 with $2 cameras writing into $3; sets PID
start() {
  cfg=$1 n=$2 dir=$3
  mkdir -p "$dir"
  touch "$dir/stamp"
  if [ "$cfg" = d ] || [ "$cfg" = g ] || [ "$cfg" = j ]; then
    args="" i=0
    while [ $i -lt "$n" ]; do args="$args --camera=c$i=$URL"; i=$((i + 1)); done
    [ "$cfg" = d ] && args="$args --output=$dir"
    [ "$cfg" = j ] && args="$args --read-interval=0"
    # shellcheck disable=SC2086
    "$BUILD/examples/arcly-restream" $args --http-port=0 --rtsp-port=0 \
      >"$dir/log" 2>&1 &
  else
    # shellcheck disable=SC2046
    gst-launch-1.0 -q $(describe "$cfg" "$dir" "$n") >"$dir/log" 2>&1 &
  fi
  PID=$!
}

stop() {
  kill -INT "$PID" 2>/dev/null || true
  i=0
  while kill -0 "$PID" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
  kill -KILL "$PID" 2>/dev/null || true
  wait "$PID" 2>/dev/null || true
  PID=""
}

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

# every camera wrote a playlist listing at least one segment, and
# rewrote it in the last 4 s of the window: a camera whose pipeline hung
# (its CPU near 0) does not count
check_output() {
  dir=$1 n=$2
  [ "$cfg" = e ] || [ "$cfg" = h ] && return 0  # no playlist: it stayed alive the whole window
  if [ "$cfg" = g ] || [ "$cfg" = j ]; then
    # in memory: the last status block says every camera wrote a part lately
    got=$(tail -n $((2 * n + 4)) "$dir/log" | grep -c 'last part [0-1]\.[0-9] s ago')
    [ "$got" -ge "$n" ]
    return
  fi
  got=$(find "$dir" -name '*.m3u8' ! -name 'index*' -newer "$dir/stamp" \
    -exec grep -l '^#EXTINF' {} + 2>/dev/null | wc -l)
  late=$(find "$dir" -name '*.m3u8' ! -name 'index*' -newer "$dir/stamp-late" \
    2>/dev/null | wc -l)
  [ "$got" -ge "$n" ] && [ "$late" -ge "$n" ]
}

median() { sort -n | awk '{a[NR]=$1} END {if (NR == 0) print "nan"; else if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

RES="$TMP/results"
: >"$RES"
for n in $COUNTS; do
  r=0
  while [ $r -lt "$RUNS" ]; do
    r=$((r + 1))
    for cfg in $CONFIGS; do  # alternating, so machine noise hits all alike
      dir="$TMP/run-$cfg-$n-$r"
      start "$cfg" "$n" "$dir"
      sleep "$WARM"
      if ! kill -0 "$PID" 2>/dev/null; then
        echo "($cfg) N=$n run $r: process died: $(tail -3 "$dir/log")" >&2
        PID=""; continue
      fi
      t0=$(ticks "$PID")
      sleep $((WINDOW - 4))
      touch "$dir/stamp-late"
      sleep 4
      t1=$(ticks "$PID")
      rss=$(rss_kb "$PID")
      stop
      if ! check_output "$dir" "$n"; then
        echo "($cfg) N=$n run $r: not every camera wrote a playlist until the end, dropped: $(find "$dir" -name '*.m3u8' | wc -l) playlists, $(find "$dir" -name '*.m3u8' -newer "$dir/stamp-late" | wc -l) rewritten in the last 4 s; $(tail -3 "$dir/log")" >&2
        echo "$cfg $n stalled 1" >>"$RES"
        continue
      fi
      cpu=$(awk -v t="$((t1 - t0))" -v hz="$HZ" -v n="$n" -v w="$WINDOW" \
        'BEGIN {printf "%.3f", t / hz / n / (w / 60)}')
      echo "$cfg $n cpu $cpu" >>"$RES"
      echo "$cfg $n rss $((rss / n))" >>"$RES"
      echo "($cfg) N=$n run $r: $cpu CPU-s/camera-min, $((rss / n)) kB RSS/camera" >&2
      rm -rf "$dir"
    done
  done
done

# syscalls of one camera: strace attached to every thread for STRACE s
if echo "$COUNTS" | grep -qw 1; then
  for cfg in $CONFIGS; do
    dir="$TMP/strace-$cfg"
    start "$cfg" 1 "$dir"
    sleep "$WARM"
    timeout -s INT "$STRACE" strace -c -f -p "$PID" -o "$dir/strace" 2>/dev/null || true
    stop
    calls=$(awk '$NF == "total" {print $4}' "$dir/strace" 2>/dev/null)
    [ -n "$calls" ] && echo "$cfg 1 sys $(awk -v c="$calls" -v s="$STRACE" 'BEGIN {printf "%.0f", c / s}')" >>"$RES"
    echo "($cfg) strace: $(grep -E 'total|fsync|eventfd2|futex|poll|close|recvfrom|read|write|openat|rename|fchmod|unlink' "$dir/strace" 2>/dev/null | awk '{printf "%s=%s ", $NF, $4}')" >&2
    # STRACE_KEEP=PREFIX keeps each configuration's strace -c table
    [ -n "${STRACE_KEEP:-}" ] && cp "$dir/strace" "$STRACE_KEEP.$cfg"
  done
fi

name() { case $1 in a) echo "stock rtspsrc+hlssink2 (TS)";; b) echo "ours TS";; c) echo "ours fMP4 + 200 ms parts";; d) echo "arcly-restream --output";; e) echo "ingest only (RTSP + depay, fakesink)";; f) echo "ours fMP4 + parts, read-interval=20";; g) echo "arcly-restream from memory";; h) echo "ingest + GstAggregator alone (arclynullagg)";; i) echo "ours fMP4 + parts, read-interval=100";; j) echo "arcly-restream from memory, --read-interval=0";; k) echo "ours fMP4 + parts, read-interval=100, input-thread";; l) echo "ours fMP4 + byte-range parts, read-interval=100, input-thread";; esac; }
echo
echo "| N | pipeline per camera | CPU-s / camera-min (median) | × stock | RSS / camera | syscalls/s/camera |"
echo "|---|---|---|---|---|---|"
for n in $COUNTS; do
  base=$(awk -v n="$n" '$1 == "a" && $2 == n && $3 == "cpu" {print $4}' "$RES" | median)
  for cfg in $CONFIGS; do
    cpu=$(awk -v c="$cfg" -v n="$n" '$1 == c && $2 == n && $3 == "cpu" {print $4}' "$RES" | median)
    rss=$(awk -v c="$cfg" -v n="$n" '$1 == c && $2 == n && $3 == "rss" {print $4}' "$RES" | median)
    sys=$(awk -v c="$cfg" -v n="$n" '$1 == c && $2 == n && $3 == "sys" {print $4}' "$RES" | median)
    runs=$(awk -v c="$cfg" -v n="$n" '$1 == c && $2 == n && $3 == "cpu"' "$RES" | wc -l)
    ratio=$(awk -v a="$cpu" -v b="$base" 'BEGIN {if (b + 0 > 0 && a != "nan") printf "%.2f", a / b; else print "-"}')
    [ "$sys" = nan ] && sys="-"
    echo "| $n | $(name "$cfg") ($runs runs) | $cpu | $ratio | $(awk -v k="$rss" 'BEGIN {if (k == "nan") print "-"; else printf "%.1f MB", k / 1024}') | $sys |"
  done
done
