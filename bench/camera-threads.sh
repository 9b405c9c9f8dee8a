#!/bin/sh
# Where one camera's cost goes (issue #21): one camera from
# bin/arcly-testcam --shared (as in bench/cameras.sh) through
#   (c) arclyrtspsrc ! arclyh264depay / arclyaacdepay ! arclyhlssink
#       segment-format=fmp4 part-duration=200   (LL-HLS, what we optimise)
#   (f) (c) with arclyrtspsrc read-interval=20   (paced reads)
#   (e) the same as (c) into fakesink            (ingest only)
#   (g) (e) with read-interval=20
# For RUNS runs of each, alternating: CPU per thread of the process
# (/proc/PID/task/TID/stat, user+system over WINDOW s after WARM s) in
# CPU-s per minute, then one strace -f run of STRACE s per configuration
# with the system calls of each thread per second.  Output under OUT
# (default a temporary folder on /tmp; set OUT=/dev/shm/x for tmpfs).
#
#   sh bench/camera-threads.sh [BUILD_DIR] [RUNS] [WINDOW] [CONFIGS]
#   e.g. sh bench/camera-threads.sh build 3 20 "c f e g"
set -eu
BUILD=${1:-build}
RUNS=${2:-3}
WINDOW=${3:-20}
CONFIGS=${4:-"c e"}
WARM=${WARM:-6}
STRACE=${STRACE:-10}
BUILD=$(cd "$BUILD" && pwd)
export GST_PLUGIN_PATH="$BUILD/gst/arclyrtspsrc:$BUILD/gst/arclybus:$BUILD/gst/arclyhls"
HZ=$(getconf CLK_TCK)
TMP=$(mktemp -d /tmp/arcly-threads-XXXXXX)
OUT=${OUT:-$TMP/out}
CAM_PID=""
PID=""

cleanup() {
  [ -n "$PID" ] && kill -KILL "$PID" 2>/dev/null || true
  [ -n "$CAM_PID" ] && kill "$CAM_PID" 2>/dev/null || true
  rm -rf "$TMP"
  case $OUT in "$TMP"/*) ;; *) rm -rf "$OUT" ;; esac
}
trap cleanup EXIT
trap 'exit 1' INT TERM  # exit runs cleanup (a trap alone would carry on)

PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
URL="rtsp://127.0.0.1:$PORT/cam"
"$BUILD/tools/arcly-testcam" --port="$PORT" --shared >"$TMP/cam.log" 2>&1 &
CAM_PID=$!
sleep 2

start() {
  cfg=$1 o=$2
  rm -rf "$o"
  mkdir -p "$o"
  ri=""
  case $cfg in f|g) ri="read-interval=20" ;; esac
  if [ "$cfg" = c ] || [ "$cfg" = f ]; then
    sink="arclyhlssink name=h target-duration=2 max-files=10 playlist-length=6
      segment-format=fmp4 part-duration=200 location=$o/seg%05d.m4s
      init-location=$o/init%d.mp4 playlist-location=$o/playlist.m3u8"
    v="h.video" a="h.audio"
  else
    sink="" v="fakesink sync=false async=false" a="fakesink sync=false async=false"
  fi
  # shellcheck disable=SC2086
  gst-launch-1.0 -q arclyrtspsrc location="$URL" name=s $ri \
    s.video_0 ! arclyh264depay ! $v s.audio_0 ! arclyaacdepay ! $a \
    $sink >"$TMP/log" 2>&1 &
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

# "TID:NAME TICKS" per thread (names with spaces joined by _)
thread_ticks() {
  for t in /proc/"$1"/task/*; do
    printf '%s:%s %s\n' "${t##*/}" "$(tr ' ' _ <"$t/comm")" "$(awk '{print $14 + $15}' "$t/stat")"
  done
}

median() { sort -n | awk '{a[NR]=$1} END {if (NR == 0) print "nan"; else if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

RES="$TMP/res"
: >"$RES"
r=0
while [ $r -lt "$RUNS" ]; do
  r=$((r + 1))
  for cfg in $CONFIGS; do
    start "$cfg" "$OUT"
    sleep "$WARM"
    thread_ticks "$PID" | sort >"$TMP/t0"
    sleep "$WINDOW"
    thread_ticks "$PID" | sort >"$TMP/t1"
    stop
    if { [ "$cfg" = c ] || [ "$cfg" = f ]; } && ! grep -q '^#EXTINF' "$OUT/playlist.m3u8" 2>/dev/null; then
      echo "($cfg) run $r: no playlist, dropped: $(tail -2 "$TMP/log")" >&2
      continue
    fi
    # threads of the same name summed
    join "$TMP/t0" "$TMP/t1" | awk -v c="$cfg" -v hz="$HZ" -v w="$WINDOW" \
      '{sub(/^[0-9]+:/, "", $1); d[$1] += $3 - $2}
       END {for (t in d) printf "%s %s %.3f\n", c, t, d[t] / hz / (w / 60)}' >>"$RES"
    join "$TMP/t0" "$TMP/t1" | awk -v c="$cfg" -v hz="$HZ" -v w="$WINDOW" \
      '{s += $3 - $2} END {printf "%s TOTAL %.3f\n", c, s / hz / (w / 60)}' >>"$RES"
    echo "($cfg) run $r: $(awk -v c="$cfg" '$1 == c' "$RES" | tail -6 | tr '\n' ' ')" >&2
  done
done

echo "CPU-s per minute per thread (median of $RUNS runs of ${WINDOW} s):"
echo
echo "| config | thread | CPU-s / min |"
echo "|---|---|---|"
for cfg in $CONFIGS; do
  for th in $(awk -v c="$cfg" '$1 == c {print $2}' "$RES" | sort -u); do
    echo "| $cfg | $th | $(awk -v c="$cfg" -v t="$th" '$1 == c && $2 == t {print $3}' "$RES" | median) |"
  done
done

# system calls per thread and per call, per second
for cfg in $CONFIGS; do
  start "$cfg" "$OUT"
  sleep "$WARM"
  for t in /proc/"$PID"/task/*; do
    echo "${t##*/} $(tr ' ' _ <"$t/comm")"
  done >"$TMP/names"
  timeout -s INT "$STRACE" strace -f -qq -p "$PID" -o "$TMP/strace" 2>/dev/null || true
  stop
  echo
  echo "($cfg) system calls per second by thread, strace -f for ${STRACE} s:"
  echo
  echo "| thread | calls/s | of which |"
  echo "|---|---|---|"
  # lines are "TID name(args...) = ..." or "TID <... name resumed>"; count
  # each call once, at its start
  awk -v s="$STRACE" 'NR == FNR {name[$1] = $2; next}
    $2 !~ /^<\.\.\./ {
      call = $2; sub(/\(.*/, "", call)
      n[$1]++; c[$1 " " call]++
    }
    END {
      for (t in n) {
        line = ""
        for (k in c) {
          split(k, p, " ")
          if (p[1] == t && c[k] / s >= 1)
            line = line sprintf("%s %.0f, ", p[2], c[k] / s)
        }
        printf "| %s | %.0f | %s |\n", (t in name ? name[t] : t), n[t] / s, line
      }
    }' "$TMP/names" "$TMP/strace" | sort -t'|' -k3 -rn
done
