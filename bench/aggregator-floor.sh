#!/bin/sh
# The system calls a GstAggregator muxer costs per input buffer, whatever
# it does with the buffer (issue #21's "<= 150 system calls per second per
# camera").  Three measurements, each under `strace -f -c`:
#
#  1. GLib: N g_cond_signal() and N g_cond_broadcast() with no thread
#     waiting.  On Linux GLib's GCond is a futex and every signal or
#     broadcast enters the kernel (FUTEX_WAKE), waiter or not.
#  2. A live source into fakesink, and the same source into arclynullagg
#     (bench/nullagg.c: a GstAggregator that takes and drops each buffer)
#     into fakesink: the difference, per buffer, is what the base class's
#     hand-off costs.  GstAggregator signals its source-pad thread for
#     every buffer queued on a sink pad (SRC_BROADCAST in the pad's chain)
#     and the pad for every buffer taken (PAD_BROADCAST_EVENT in
#     gst_aggregator_pad_pop_buffer()), both unconditionally, so the floor
#     is 2 futex calls per buffer before any wait; the thread that waits
#     for the next buffer adds one more per wake-up.
#  3. The same with audio at the rate a camera sends AAC (47 buffers/s at
#     48 kHz) and video at 30/s in one aggregator: a camera's 77 buffers/s.
#
#   sh bench/aggregator-floor.sh [BUILD_DIR] [BUFFERS] [RUNS]
set -eu
BUILD=${1:-build}
N=${2:-3000}
RUNS=${3:-3}
BUILD=$(cd "$BUILD" && pwd)
SRC=$(cd "$(dirname "$0")" && pwd)
TMP=$(mktemp -d /tmp/arcly-aggfloor-XXXXXX)
trap 'rm -rf "$TMP"' EXIT
command -v strace >/dev/null || { echo "strace is needed (apt install strace)"; exit 1; }

mkdir -p "$TMP/plugin"
# shellcheck disable=SC2046
cc -O2 -Wall -shared -fPIC -o "$TMP/plugin/libgstarclynullagg.so" \
  "$SRC/nullagg.c" $(pkg-config --cflags --libs gstreamer-base-1.0)
export GST_PLUGIN_PATH="$TMP/plugin"
export GST_REGISTRY_1_0="$TMP/registry.bin"

cat >"$TMP/cond.c" <<'EOF'
#include <glib.h>
#include <stdlib.h>
int
main (int argc, char **argv)
{
  GCond c;
  int i, n = atoi (argv[2]);
  g_cond_init (&c);
  for (i = 0; i < n; i++) {
    if (argv[1][0] == 's')
      g_cond_signal (&c);
    else
      g_cond_broadcast (&c);
  }
  g_cond_clear (&c);
  return 0;
}
EOF
# shellcheck disable=SC2046
cc -O2 -o "$TMP/cond" "$TMP/cond.c" $(pkg-config --cflags --libs glib-2.0)

# futex calls of "$@" (the whole process, all threads)
futexes() {
  strace -f -qq -c -e trace=futex -o "$TMP/st" "$@" >/dev/null 2>&1 || true
  awk '$NF == "futex" {print $4}' "$TMP/st"
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "GLib $(pkg-config --modversion glib-2.0), GStreamer $(pkg-config --modversion gstreamer-1.0); $N buffers, medians of $RUNS runs"
echo
for kind in signal broadcast; do
  f=$(futexes "$TMP/cond" "$kind" "$N")
  printf '1. %s g_cond_%s() with no waiter: %s futex calls (%.2f each)\n' \
    "$N" "$kind" "$f" "$(echo "$f $N" | awk '{print $1 / $2}')"
done
echo

# A live source at FPS into fakesink, or through the aggregator
V="videotestsrc is-live=true num-buffers=$N pattern=black ! video/x-raw,width=16,height=16,framerate=1000/1"
run() {
  i=0
  while [ $i -lt "$RUNS" ]; do
    # shellcheck disable=SC2086
    futexes gst-launch-1.0 -q $1
    i=$((i + 1))
  done | median
}
base=$(run "$V ! fakesink sync=false")
agg=$(run "$V ! arclynullagg latency=200000000 ! fakesink sync=false")
echo "2. a live source, $N buffers:"
echo "   into fakesink:                      $base futex calls"
echo "   through arclynullagg into fakesink: $agg futex calls"
per=$(echo "$agg $base $N" | awk '{printf "%.2f", ($1 - $2) / $3}')
echo "   GstAggregator's own: $per futex calls per input buffer"
echo

# a camera's mix: 30 video + 47 audio buffers a second, same aggregator
NA=$((N * 47 / 30))
A="audiotestsrc is-live=true num-buffers=$NA samplesperbuffer=1024 wave=silence ! audio/x-raw,rate=48000,channels=1"
VC="videotestsrc is-live=true num-buffers=$N pattern=black ! video/x-raw,width=16,height=16,framerate=30/1"
if [ "${CAMERA_MIX:-1}" = 1 ] && [ "$N" -le 600 ]; then
  base2=$(run "$VC ! fakesink sync=false $A ! fakesink sync=false")
  agg2=$(run "$VC ! a.sink_0 $A ! a.sink_1 arclynullagg name=a latency=200000000 ! fakesink sync=false")
  secs=$(echo "$N" | awk '{print $1 / 30}')
  per2=$(echo "$agg2 $base2 $N $NA $secs" | awk '{printf "%.2f %.0f", ($1 - $2) / ($3 + $4), ($1 - $2) / $5}')
  echo "3. a camera's mix (30 video + 47 audio buffers/s, ${secs} s):"
  echo "   fakesinks $base2, through arclynullagg $agg2 futex calls"
  echo "   GstAggregator's own: ${per2% *} per buffer, ${per2#* } per second"
else
  echo "3. skipped: the camera mix runs in real time (N <= 600 buffers, CAMERA_MIX=1)"
fi
