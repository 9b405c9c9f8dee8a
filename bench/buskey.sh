#!/bin/sh
# arclybussink/arclybussrc vs tee + proxysink/proxysrc (see bench/buskey.c).
# Usage: bench/buskey.sh [build dir, default build] [RUNS, default 3] [SUBS, default 50]
# Late join: 20 joins per run, medians; CPU: 1 publisher (720p30 x264enc)
# -> SUBS subscriber pipelines, 10 s per run, and the publisher alone.
# Every run is a child process bounded by timeout(1); a run that hangs or
# fails is counted and printed, never averaged in.  Late joins count only a
# picture decoded without corruption; CPU runs check that the subscribers
# together got all frames.
set -e
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build}
runs=${2:-3}
subs=${3:-50}
case "$build" in /*) ;; *) build=$(pwd)/$build ;; esac
mkdir -p "$build/bench"
out="$build/bench/buskey"
cc -O2 -Wall -o "$out" "$src/bench/buskey.c" $(pkg-config --cflags --libs gstreamer-1.0)
export GST_PLUGIN_PATH="$build/gst/arclybus${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
log="$build/bench/buskey.log"
: > "$log"
failed=0
run() {
  if timeout 180 "$out" "$@" >> "$log" 2>/dev/null; then :; else
    echo "FAILED or hung: $*"; failed=$((failed + 1)); fi
}
i=0
while [ $i -lt "$runs" ]; do
  run latejoin bus 20
  run latejoin proxy 20
  run cpu bus "$subs" 10
  run cpu proxy "$subs" 10
  run cpu none "$subs" 10
  i=$((i + 1))
done
cat "$log"
med() { sort -n | awk '{v[NR]=$1} END {if (NR) print v[int((NR+1)/2)]; else print "-"}'; }
for m in bus proxy; do
  echo "late join $m: median of the runs' medians $(grep "LATEJOIN mode=$m " "$log" | sed 's/.*median_ms=\([0-9.]*\).*/\1/' | med) ms"
done
for m in bus proxy none; do
  echo "cpu $m: median $(grep "CPU mode=$m " "$log" | sed 's/.*cpu_s=\([0-9.]*\).*/\1/' | med) s per 10 s"
done
b=$(grep "CPU mode=bus " "$log" | sed 's/.*cpu_s=\([0-9.]*\).*/\1/' | med)
p=$(grep "CPU mode=proxy " "$log" | sed 's/.*cpu_s=\([0-9.]*\).*/\1/' | med)
n=$(grep "CPU mode=none " "$log" | sed 's/.*cpu_s=\([0-9.]*\).*/\1/' | med)
echo "$b $p $n" | awk '{printf "cpu ratio bus/proxy: total %.2f, fan-out only (minus the publisher alone) %.2f\n", $1/$2, ($1-$3)/($2-$3)}'
# correctness: every subscriber got every frame of the window (30 fps x 10 s)
short=$(grep -E "CPU mode=(bus|proxy) " "$log" | awk -v want=$((subs * 300)) \
  '{split($5, f, "="); if (f[2] < want * 0.98) n++} END {print n + 0}')
echo "cpu runs where a subscriber missed frames: $short"
echo "runs failed or hung: $failed"
