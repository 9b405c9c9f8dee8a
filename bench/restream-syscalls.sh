#!/bin/sh
# System calls per second of arcly-restream with one camera, per kind of
# thread (issue #21's "<= 150 system calls per second per camera"): one
# camera from bin/arcly-testcam --shared (as in bench/cameras.sh), served
# from memory (the application's default), `strace -f` attached for STRACE
# seconds after WARM seconds.  For each run the calls per second by thread
# name (the thread's comm: arclyrtspsrc = the camera, arclybus-send = the
# bus's delivery threads, arclyfmp4mux0:src = the HLS muxer, arclybus-watch
# = the bus watchdog, arcly-restream = the main loop) and system call, and
# the total; then the median total.  BUILD_B=DIR runs the same with a second
# build, each run alternating, and prints both medians.
#
#   sh bench/restream-syscalls.sh [BUILD_DIR] [RUNS] [STRACE] [app arguments]
#   e.g. sh bench/restream-syscalls.sh build 3 10 --read-interval=0
set -eu
BUILD=${1:-build}
RUNS=${2:-3}
STRACE=${3:-10}
[ $# -gt 3 ] && shift 3 || set --
WARM=${WARM:-6}
BUILD=$(cd "$BUILD" && pwd)
BUILD_B=${BUILD_B:+$(cd "$BUILD_B" && pwd)}
command -v strace >/dev/null || { echo "strace is needed (apt install strace)"; exit 1; }
TMP=$(mktemp -d /tmp/arcly-syscalls-XXXXXX)
CAM_PID="" PID=""
cleanup() {
  [ -n "$PID" ] && kill -KILL "$PID" 2>/dev/null || true
  [ -n "$CAM_PID" ] && kill "$CAM_PID" 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$BUILD/tools/arcly-testcam" --port="$PORT" --shared >"$TMP/cam.log" 2>&1 &
CAM_PID=$!
sleep 2

# one run with build $1: prints the per-thread table, then "total X"
one() {
  b=$1; shift
  GST_PLUGIN_PATH="$b/gst/arclyrtspsrc:$b/gst/arclybus:$b/gst/arclyhls" \
    "$b/examples/arcly-restream" --camera="c0=rtsp://127.0.0.1:$PORT/cam" \
    --http-port=0 --rtsp-port=0 "$@" >"$TMP/app.log" 2>&1 &
  PID=$!
  sleep "$WARM"
  kill -0 "$PID" || { echo "arcly-restream exited:"; cat "$TMP/app.log"; exit 1; }
  for t in /proc/"$PID"/task/*; do
    echo "${t##*/} $(tr ' ' _ <"$t/comm")"
  done >"$TMP/names"
  timeout -s INT "$STRACE" strace -f -qq -p "$PID" -o "$TMP/st" 2>/dev/null || true
  # threads started during the trace are named now
  for t in /proc/"$PID"/task/*; do
    echo "${t##*/} $(tr ' ' _ <"$t/comm" 2>/dev/null)"
  done >>"$TMP/names" 2>/dev/null || true
  kill -INT "$PID" 2>/dev/null || true
  i=0
  while kill -0 "$PID" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
  kill -KILL "$PID" 2>/dev/null || true
  wait "$PID" 2>/dev/null || true
  PID=""
  grep -v 'resumed>' "$TMP/st" | awk '{sub(/\(.*/, "", $2); print $1, $2}' |
    sort | uniq -c >"$TMP/cnt"
  awk -v w="$STRACE" 'NR == FNR {n[$1] = $2; next}
    {k = (($2 in n) ? n[$2] : "?") " " $3; s[k] += $1; t += $1}
    END {for (k in s) if (s[k] / w >= 1) printf "  %7.1f/s %s\n", s[k] / w, k
         printf "total %.1f\n", t / w}' "$TMP/names" "$TMP/cnt" | sort -k2,2 -k1,1nr
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

: >"$TMP/totals.A"
: >"$TMP/totals.B"
r=1
while [ $r -le "$RUNS" ]; do
  for side in A B; do
    if [ $side = A ]; then b=$BUILD; else [ -n "$BUILD_B" ] || continue; b=$BUILD_B; fi
    echo "run $r $side ($b):"
    one "$b" "$@" >"$TMP/out"
    grep -v '^total' "$TMP/out"
    tot=$(awk '/^total/ {print $2}' "$TMP/out")
    echo "  total $tot system calls/s"
    echo "$tot" >>"$TMP/totals.$side"
  done
  r=$((r + 1))
done
echo "median total, A ($BUILD): $(median <"$TMP/totals.A") system calls/s"
[ -n "$BUILD_B" ] && echo "median total, B ($BUILD_B): $(median <"$TMP/totals.B") system calls/s"
exit 0
