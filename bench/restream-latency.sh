#!/bin/sh
# Glass-to-glass-ish latency of arcly-restream in a browser: runs the browser
# test (two test cameras → arcly-restream → headless Chromium + hls.js in
# low-latency mode) RUNS times and prints each camera's latency and the
# median.  The page is opened with ?hlsjs=defaults: hls.js's default settings
# (low-latency mode, no catch-up), as the issue's target asks.  Each run
# watches until both players advanced WATCH seconds (default 5), then
# measures.  Latency = now − hls.js playingDate (EXT-X-PROGRAM-DATE-TIME,
# which is the frame's arrival + the source's 200 ms latency) + those 0.2 s.
#
# ARCLY_RESTREAM_ARGS adds arguments to arcly-restream's (e.g.
# "--read-interval=0" to compare with the default 100 ms read pacing).
#
#   sh bench/restream-latency.sh [BUILD_DIR] [RUNS] [WATCH]
set -eu
BUILD=${1:-build}
RUNS=${2:-5}
WATCH=${3:-5}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export GST_PLUGIN_PATH="$BUILD/gst/arclyrtspsrc:$BUILD/gst/arclybus:$BUILD/gst/arclyhls"
export ARCLY_TESTCAM="$BUILD/tools/arcly-testcam" ARCLY_RESTREAM="$BUILD/examples/arcly-restream"
all=""
i=0
while [ $i -lt "$RUNS" ]; do
  i=$((i + 1))
  out=$(ARCLY_HLSJS_DEFAULTS=1 ARCLY_WATCH_SECONDS=$WATCH timeout $((180 + WATCH)) /usr/bin/python3 "$ROOT/tests/check/browser/restream.py" 2>/dev/null | grep '^camera' || true)
  echo "$out"
  all="$all $(echo "$out" | sed -n 's/.*live latency \([0-9.]*\) s.*/\1/p' | tr '\n' ' ')"
done
echo "$all" | tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {if (NR) printf "median latency over %d camera-runs: %.2f s (min %.2f, max %.2f)\n", NR, (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2), a[1], a[NR]}'
