#!/bin/sh
# Two arcly-restream configurations side by side (issue #21): A and B run
# AT THE SAME TIME, each pulling the same N cameras (N RTSP sessions of one
# bin/arcly-testcam --shared), so both see the same machine: on a shared,
# noisy machine one process's CPU varies by +-25 % from run to run, the
# ratio of two processes measured together by a few %.  Per run: each
# process's user+system CPU over WINDOW s after WARM s, in CPU-s per
# camera-minute, and B/A; the start order alternates.  Then the median
# ratio.
#
#   sh bench/restream-pair.sh [BUILD_DIR] [N] [WINDOW] [RUNS] "ARGS_A" "ARGS_B"
#   e.g. sh bench/restream-pair.sh build 8 30 6 "--read-interval=0" "--read-interval=100"
#
# BUILD_B=DIR runs B from another build (plugins and binary), e.g. to
# compare two commits with the same arguments.
set -eu
BUILD=${1:-build}
N=${2:-8}
WINDOW=${3:-30}
RUNS=${4:-6}
ARGS_A=${5:-}
ARGS_B=${6:-}
WARM=${WARM:-8}
BUILD=$(cd "$BUILD" && pwd)
BUILD_B=$(cd "${BUILD_B:-$BUILD}" && pwd)
TMP=$(mktemp -d /tmp/arcly-pair-XXXXXX)
CAM_PID="" PA="" PB=""

cleanup() {
  for p in $PA $PB; do kill -KILL "$p" 2>/dev/null || true; done
  [ -n "$CAM_PID" ] && kill "$CAM_PID" 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

plugins() { echo "$1/gst/arclyrtspsrc:$1/gst/arclybus:$1/gst/arclyhls"; }
PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
GST_PLUGIN_PATH=$(plugins "$BUILD") "$BUILD/tools/arcly-testcam" --port="$PORT" --shared \
  >"$TMP/cam.log" 2>&1 &
CAM_PID=$!
sleep 2
cams="" i=0
while [ $i -lt "$N" ]; do cams="$cams --camera=c$i=rtsp://127.0.0.1:$PORT/cam"; i=$((i + 1)); done

# start A or B ($1), its build $2, its arguments $3; prints the PID
start() {
  # shellcheck disable=SC2086
  GST_REGISTRY="$TMP/registry-$1.bin" GST_PLUGIN_PATH=$(plugins "$2") \
    "$2/examples/arcly-restream" $cams $3 --http-port=0 --rtsp-port=0 \
    >"$TMP/$1.log" 2>&1 &
  echo $!
}
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
HZ=$(getconf CLK_TCK)

echo "A: $ARGS_A ($BUILD)"
echo "B: $ARGS_B ($BUILD_B)"
r=1
: >"$TMP/ratios"
while [ $r -le "$RUNS" ]; do
  if [ $((r % 2)) -eq 1 ]; then
    PA=$(start A "$BUILD" "$ARGS_A"); PB=$(start B "$BUILD_B" "$ARGS_B")
  else
    PB=$(start B "$BUILD_B" "$ARGS_B"); PA=$(start A "$BUILD" "$ARGS_A")
  fi
  sleep "$WARM"
  a0=$(ticks "$PA") b0=$(ticks "$PB")
  sleep "$WINDOW"
  a1=$(ticks "$PA") b1=$(ticks "$PB")
  for p in $PA $PB; do kill -INT "$p" 2>/dev/null || true; done
  for p in $PA $PB; do
    i=0
    while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    kill -KILL "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  PA="" PB=""
  for x in A B; do
    # every camera must have streamed, or the run says nothing
    if [ "$(grep -c 'connected to' "$TMP/$x.log")" -lt "$N" ]; then
      echo "run $r: not every camera of $x connected: $(tail -3 "$TMP/$x.log")" >&2
      exit 1
    fi
  done
  awk -v a="$((a1 - a0))" -v b="$((b1 - b0))" -v hz="$HZ" -v w="$WINDOW" -v n="$N" -v r="$r" \
    'BEGIN { printf "run %d: A %.3f  B %.3f CPU-s/camera-min  B/A %.3f\n", r,
             a / hz / w * 60 / n, b / hz / w * 60 / n, b / a }'
  awk -v a="$((a1 - a0))" -v b="$((b1 - b0))" 'BEGIN { print b / a }' >>"$TMP/ratios"
  r=$((r + 1))
done
sort -g "$TMP/ratios" | awk '{ v[NR] = $1 } END {
  m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
  printf "median B/A over %d runs: %.3f (min %.3f, max %.3f)\n", NR, m, v[1], v[NR] }'
