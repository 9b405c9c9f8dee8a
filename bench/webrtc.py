#!/usr/bin/env python3
# gst-arcly
# Copyright (C) 2026 gst-arcly developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""WHEP vs LL-HLS in arcly-restream: glass-to-glass latency in one run, and
the origin's CPU per viewer.

The test camera (640x360, 30 fps, 2 s GOP, --timecode) → arcly-restream.
- Glass-to-glass: headless Chromium opens the index page, which plays the
  camera twice, by LL-HLS (hls.js) and by WHEP; both players' frames are
  read back (the wall-clock time the camera wrote in the pixels, vs the
  time the frame is shown, requestVideoFrameCallback), medians printed.
- CPU: arcly-restream's CPU (utime + stime, /proc) over SECONDS with the
  page open, then with N more WHEP viewers in it (each a webrtcbin:
  H.264 passthrough + AAC → Opus), then with N simulated LL-HLS viewers
  (tests/check/llhls_viewers.py) instead; per viewer = difference / N.

Usage: ARCLY_TESTCAM=build/tools/arcly-testcam
ARCLY_RESTREAM=build/examples/arcly-restream GST_PLUGIN_PATH=build/gst/...
python3 bench/webrtc.py [N] [SECONDS]; ARCLY_BENCH_NO_AUDIO=1: a camera
without audio (what the AAC → Opus branch costs, by difference).
"""

import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CHECK = os.path.join(HERE, "..", "tests", "check")


def load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    return m


br = load("browser_restream", os.path.join(CHECK, "browser", "restream.py"))
rp = load("restream_proc", os.path.join(CHECK, "restream_proc.py"))
wt = load("restream_webrtc", os.path.join(CHECK, "browser", "restream-webrtc.py"))

HLS_WATCH_JS = """
(function () {
  var v = document.getElementById('v-a');
  window.arclyHlsLat = [];
  function onFrame(now, meta) {
    var code = window.arclyReadTimecode(v);
    if (code !== null) {
      var shown = performance.timeOrigin + meta.expectedDisplayTime;
      var lat = ((Math.floor(shown) % 16777216) - code + 16777216) % 16777216;
      if (lat < 10000) window.arclyHlsLat.push(lat);
    }
    v.requestVideoFrameCallback(onFrame);
  }
  v.requestVideoFrameCallback(onFrame);
  return true;
})()
"""


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_share(pid, seconds):
    a, t = cpu_seconds(pid), time.monotonic()
    time.sleep(seconds)
    return (cpu_seconds(pid) - a) / (time.monotonic() - t) * 100


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 20
    tmp = tempfile.mkdtemp(prefix="arcly-bench-webrtc-")
    try:
        cam = rp.Server([os.environ["ARCLY_TESTCAM"], "--port", "0", "--gop", "60",
                         "--size", "640x360", "--timecode"]
                        + (["--no-audio"] if os.environ.get("ARCLY_BENCH_NO_AUDIO") else []))
        srv = rp.Server([os.environ["ARCLY_RESTREAM"], "--http-port", "0", "--rtsp-port", "0",
                         "--output", os.path.join(tmp, "out"), "--camera", "a=" + cam.url])
        time.sleep(6)
        cdp = br.Cdp(srv.url, os.path.join(tmp, "profile"))
        if wt.wait_playing(cdp, "a", 3).get("time", 0) <= 0:
            cdp.call("Page.reload", session=cdp.session)   # see the test's note
            time.sleep(1)
            wt.wait_playing(cdp, "a", 3)
        cdp.evaluate(HLS_WATCH_JS)
        time.sleep(seconds)
        whep = wt.state(cdp)["a"]["latencies"]
        hls = cdp.evaluate("window.arclyHlsLat.slice(-300)") or []
        if not whep or not hls:
            raise SystemExit("no timecode read: WHEP %d, LL-HLS %d frames" % (len(whep), len(hls)))
        print("glass-to-glass over %.0f s: WHEP median %d ms (%d frames), LL-HLS (hls.js, "
              "the page's settings) median %d ms (%d frames)"
              % (seconds, statistics.median(whep), len(whep), statistics.median(hls), len(hls)))
        pid = srv.p.pid
        base = cpu_share(pid, seconds)
        for i in range(n):
            cdp.evaluate(wt.EXTRA_JS % (json.dumps("x%d" % i), '"X-None"', '"0"', '"whep/a"'))
        time.sleep(5)
        with_whep = cpu_share(pid, seconds)
        st = wt.state(cdp)
        playing = sum(1 for i in range(n) if st.get("x%d" % i, {}).get("time", 0) > 3)
        cdp.evaluate("Object.keys(window.arclyWebrtc).forEach(function (k) {"
                     " if (k[0] === 'x') { var p = window.arclyWebrtc[k];"
                     " fetch(p.state.location, {method: 'DELETE'}); p.pc.close(); } })")
        time.sleep(5)
        base2 = cpu_share(pid, seconds)
        v = subprocess.Popen([sys.executable, os.path.join(CHECK, "llhls_viewers.py"),
                              "--url", srv.url, "--camera", "a", "--viewers", str(n),
                              "--seconds", str(seconds + 10), "--hangup-share", "0"],
                             stdout=subprocess.DEVNULL)
        time.sleep(5)
        with_hls = cpu_share(pid, seconds)
        v.wait()
        print("arcly-restream CPU (%% of one core, %.0f s each): page open %.1f %%, + %d WHEP "
              "viewers %.1f %% (%d playing), page open again %.1f %%, + %d LL-HLS viewers "
              "%.1f %%" % (seconds, base, n, with_whep, playing, base2, n, with_hls))
        print("per viewer: WHEP %.2f %% of a core, LL-HLS %.2f %% of a core"
              % ((with_whep - base) / n, (with_hls - base2) / n))
    finally:
        rp.stop_all()
        br.stop_all()


if __name__ == "__main__":
    sys.exit(main())
