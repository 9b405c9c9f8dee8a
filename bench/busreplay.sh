#!/bin/sh
# The fan-out's own CPU with no encoder in the process (see bench/busreplay.c):
# pre-encoded H.264 (720p30, 2 s GOP) + AAC replayed in real time into
# arclybussink -> SUBS arclybussrc pipelines, vs tee -> SUBS proxysink ->
# proxysrc pipelines, vs the publisher alone; the modes alternate in one
# run, each a child process bounded by timeout(1).
# Usage: bench/busreplay.sh [build dir, default build] [RUNS, default 5]
#        [SUBS, default 50] [SECONDS, default 10]
set -e
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build}
runs=${2:-5}
subs=${3:-50}
secs=${4:-10}
case "$build" in /*) ;; *) build=$(pwd)/$build ;; esac
mkdir -p "$build/bench"
out="$build/bench/busreplay"
cc -O2 -Wall -o "$out" "$src/bench/busreplay.c" \
  $(pkg-config --cflags --libs gstreamer-1.0 gstreamer-app-1.0)
export GST_PLUGIN_PATH="$build/gst/arclybus${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
log="$build/bench/busreplay.log"
: > "$log"
failed=0
run() {
  if timeout $((secs + 60)) "$out" "$@" >> "$log" 2>/dev/null; then :; else
    echo "FAILED or hung: $*"; failed=$((failed + 1)); fi
}
i=0
while [ $i -lt "$runs" ]; do
  run cpu bus "$subs" "$secs"
  run cpu proxy "$subs" "$secs"
  run cpu none "$subs" "$secs"
  i=$((i + 1))
done
cat "$log"
med() { sort -n | awk '{v[NR]=$1} END {if (NR) print v[int((NR+1)/2)]; else print "-"}'; }
cpu() { grep "REPLAY mode=$1 " "$log" | sed 's/.*cpu_s=\([0-9.]*\).*/\1/' | med; }
b=$(cpu bus); p=$(cpu proxy); n=$(cpu none)
echo "cpu per $secs s, median of $runs: bus $b s, proxy $p s, publisher alone $n s"
echo "$b $p $n" | awk '{printf "cpu ratio bus/proxy: whole process %.2f, fan-out only (minus the publisher alone) %.2f\n", $1/$2, ($1-$3)/($2-$3)}'
# correctness: every subscriber got every buffer of the window (30 video
# and 46.9 audio buffers a second), 2 % slack for the window's edges
short=$(grep -E "REPLAY mode=(bus|proxy) " "$log" | awk -v s="$subs" -v t="$secs" \
  '{split($5, v, "="); split($6, a, "=");
    if (v[2] < s * t * 30 * 0.98 || a[2] < s * t * 46.875 * 0.98) n++}
   END {print n + 0}')
echo "runs where a subscriber missed buffers: $short"
echo "runs failed or hung: $failed"
