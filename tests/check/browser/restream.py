#!/usr/bin/env python3
# gst-arcly
# Copyright (C) 2026 gst-arcly developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Browser test of arcly-restream: headless Chromium opens the index page and
the hls.js players advance on both cameras.

Two test cameras (one with Digest auth) → arcly-restream (LL-HLS, blocking
reload) → Debian's Chromium, driven over the DevTools protocol on a pipe
(--remote-debugging-pipe: JSON messages on fds 3/4, no websocket needed).
For each camera the page's player must advance (currentTime grows, frames
decoded) with no fatal hls.js error, start at the newest INDEPENDENT=YES
part no older than one PART-HOLD-BACK (waiting for the next one otherwise),
and show its latency.  The live latency is printed: now minus
hls.js's playingDate (from EXT-X-PROGRAM-DATE-TIME, which the sink stamps
with the wall-clock time of the frame's running time, i.e. arrival + the
source's 200 ms latency), plus those 0.2 s.  Latency is printed, not
asserted (speed is measured in bench/, never asserted in a test): see
bench/restream-latency.sh.

ARCLY_BROWSER_DEBUG=1 logs hls.js's loading and buffering into the printed
page state; ARCLY_LOG_REQUESTS=1 makes arcly-restream log every request;
ARCLY_HLSJS_DEFAULTS=1 opens the page with hls.js's default settings
(?hlsjs=defaults) instead of the page's own; ARCLY_WATCH_SECONDS=N watches
until both players advanced N s (default 5) before measuring.

Every process started here is stopped by PID at the end, also on failure;
Chromium runs in its own process group and is killed by it.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

CHROMIUM = "/usr/bin/chromium"
ADVANCE_SECONDS = float(os.environ.get("ARCLY_WATCH_SECONDS", "5"))
WATCH_SECONDS = 20 + ADVANCE_SECONDS
SOURCE_LATENCY_S = 0.2

procs = []


def spawn_ready(argv, what):
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, start_new_session=True)
    procs.append(p)
    deadline = time.monotonic() + 30
    line = ""
    while time.monotonic() < deadline:
        line = p.stdout.readline()
        if not line or line.startswith("READY "):
            break
    if not line.startswith("READY "):
        raise SystemExit("%s did not start" % what)
    # Keep draining its stdout so it never blocks on a full pipe.
    import threading
    threading.Thread(target=lambda: [sys.stderr.write(l) for l in p.stdout],
                     daemon=True).start()
    return p, line.split()[1]


def stop_all():
    for p in reversed(procs):
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    for p in reversed(procs):
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()


class Cdp:
    """The DevTools protocol over --remote-debugging-pipe."""

    def __init__(self, url, profile, debug=False):
        r_cmd, w_cmd = os.pipe()    # we write commands, Chromium reads fd 3
        r_res, w_res = os.pipe()    # Chromium writes fd 4, we read
        self.next_id = 0
        self.buf = b""

        def child_fds():
            os.dup2(r_cmd, 3)
            os.dup2(w_res, 4)

        self.proc = subprocess.Popen(
            [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--mute-audio",
             "--autoplay-policy=no-user-gesture-required",
             "--user-data-dir=" + profile, "--remote-debugging-pipe", "about:blank"],
            close_fds=False, preexec_fn=child_fds, start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(self.proc)
        os.close(r_cmd)
        os.close(w_res)
        self.w = os.fdopen(w_cmd, "wb", buffering=0)
        self.r = r_res
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget",
                                 {"targetId": target, "flatten": True})["sessionId"]
        self.call("Page.enable", session=self.session)
        if debug or os.environ.get("ARCLY_BROWSER_DEBUG"):
            self.call("Page.addScriptToEvaluateOnNewDocument", {"source": DEBUG_JS},
                      session=self.session)
        self.call("Page.navigate", {"url": url}, session=self.session)

    def _read_message(self, deadline):
        import select
        while b"\0" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise SystemExit("Chromium did not answer in time")
            ready, _, _ = select.select([self.r], [], [], left)
            if ready:
                chunk = os.read(self.r, 65536)
                if not chunk:
                    raise SystemExit("Chromium closed its DevTools pipe")
                self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, params=None, session=None, timeout=30):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        self.w.write(json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            m = self._read_message(deadline)
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise SystemExit("%s failed: %s" % (method, m["error"]))
                return m.get("result", {})

    def evaluate(self, expr):
        r = self.call("Runtime.evaluate", {"expression": expr, "returnByValue": True},
                      session=self.session)
        return r.get("result", {}).get("value")


DEBUG_JS = """
window.arclyLog = [];
window.arclyDebug = function (n, h) {
  function log(s) { window.arclyLog.push(n + ' ' + performance.now().toFixed(0) + ' ' + s); }
  h.on(Hls.Events.LEVEL_LOADED, function (e, d) {
    var x = d.details; log('level edge=' + x.edge.toFixed(2) + ' msn=' + x.endSN + ' parts=' + (x.partList ? x.partList.length : 0)); });
  h.on(Hls.Events.FRAG_LOADING, function (e, d) {
    log('load sn=' + d.frag.sn + ' part=' + (d.part ? d.part.index : '-') + ' start=' + (d.part ? d.part.start : d.frag.start).toFixed(2)); });
  h.on(Hls.Events.BUFFER_APPENDED, function (e, d) {
    var v = h.media, r = [];
    if (v) for (var i = 0; i < v.buffered.length; i++) r.push(v.buffered.start(i).toFixed(2) + '-' + v.buffered.end(i).toFixed(2));
    log('appended ' + d.type + ' buffered=' + r.join(',') + ' ct=' + (v ? v.currentTime.toFixed(2) : '')); });
  h.on(Hls.Events.ERROR, function (e, d) { log('error ' + d.details); });
  if (h.streamController) {
    ['log', 'warn'].forEach(function (k) {
      var orig = h.streamController[k];
      h.streamController[k] = function (m) { log('sc ' + k + ' ' + m); if (orig) orig.apply(this, arguments); };
    });
  }
};
"""

STATE_JS = """
(function () {
  var out = {};
  var players = window.arclyPlayers || {};
  Object.keys(players).forEach(function (name) {
    var p = players[name], v = p.video, hls = p.state.hls;
    var q = v.getVideoPlaybackQuality ? v.getVideoPlaybackQuality() : {};
    out[name] = {
      time: v.currentTime, frames: q.totalVideoFrames || 0,
      fatal: p.state.fatal, error: v.error ? v.error.code : null,
      width: v.videoWidth,
      pdt_age: (hls && hls.playingDate) ? (Date.now() - hls.playingDate.getTime()) / 1000 : null,
      live_edge: hls ? hls.latency : null,
      start: p.state.start || null,
      shown: (document.getElementById('s-' + name) || {}).textContent || '',
      target_latency: hls ? hls.targetLatency : null,
      ll: hls ? hls.lowLatencyMode : null,
      details: (hls && hls.levels && hls.levels[0] && hls.levels[0].details) ? {
        partTarget: hls.levels[0].details.partTarget,
        partHoldBack: hls.levels[0].details.partHoldBack,
        canBlockReload: hls.levels[0].details.canBlockReload,
        partList: hls.levels[0].details.partList ? hls.levels[0].details.partList.length : null,
        version: hls.levels[0].details.version
      } : null
    };
  });
  return JSON.stringify({ hls: !!window.Hls, players: out, log: window.arclyLog || [] });
})()
"""


def main():
    testcam = os.environ["ARCLY_TESTCAM"]
    restream = os.environ["ARCLY_RESTREAM"]
    if not os.access(CHROMIUM, os.X_OK):
        print("FAIL: %s missing (apt-get install chromium)" % CHROMIUM)
        return 1
    out_dir = tempfile.mkdtemp(prefix="arcly-browser-")
    profile = tempfile.mkdtemp(prefix="arcly-chromium-")
    try:
        _, url_a = spawn_ready([testcam, "--port", "0", "--auth", "digest", "--user", "u",
                                "--password", "pw-browser", "--gop", "30", "--size", "320x180"],
                               "camera a")
        _, url_b = spawn_ready([testcam, "--port", "0", "--gop", "30", "--size", "320x180"],
                               "camera b")
        url_a = url_a.replace("rtsp://", "rtsp://u:pw-browser@")
        _, http = spawn_ready([restream, "--http-port", "0", "--output", out_dir,
                               "--camera", "a=" + url_a, "--camera", "b=" + url_b]
                              + (["--log-requests"] if os.environ.get("ARCLY_LOG_REQUESTS") else [])
                              # bench/restream-latency.sh: e.g. --read-interval=0
                              + os.environ.get("ARCLY_RESTREAM_ARGS", "").split(),
                              "arcly-restream")
        # A viewer arrives once the cameras are on air (both playlists have a
        # complete segment), as a real viewer of a running restreamer does.
        import urllib.request
        deadline = time.monotonic() + 30
        for cam in ("a", "b"):
            while True:
                try:
                    with urllib.request.urlopen(http + "cam/%s/playlist.m3u8" % cam,
                                                timeout=5) as r:
                        if b"#EXTINF" in r.read():
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit("camera %s has no segment after 30 s" % cam)
                time.sleep(0.2)
        page = http + ("?hlsjs=defaults" if os.environ.get("ARCLY_HLSJS_DEFAULTS") else "")
        cdp = Cdp(page, profile)
        for _ in range(100):
            if cdp.evaluate("!!(window.arclyPlayers && Object.keys(window.arclyPlayers).length)"):
                break
            time.sleep(0.1)
        cdp.evaluate("""
          window.arclyLog = [];
          Object.keys(window.arclyPlayers || {}).forEach(function (n) {
            var v = window.arclyPlayers[n].video, h = window.arclyPlayers[n].state.hls;
            ['waiting','playing','stalled','seeking','seeked'].forEach(function (e) {
              v.addEventListener(e, function () { window.arclyLog.push(n + ' ' + e + ' t=' + v.currentTime.toFixed(2) + ' at ' + performance.now().toFixed(0)); });
            });
            if (h) h.on(Hls.Events.ERROR, function (ev, d) { window.arclyLog.push(n + ' hlserr ' + d.details + ' fatal=' + d.fatal + ' at ' + performance.now().toFixed(0)); });
          });""")
        first = {}
        t0 = time.monotonic()
        state = {}
        while time.monotonic() - t0 < WATCH_SECONDS:
            time.sleep(1)
            state = json.loads(cdp.evaluate(STATE_JS) or "{}")
            players = state.get("players", {})
            for name, s in players.items():
                if s["time"] > 0 and name not in first:
                    first[name] = (time.monotonic() - t0, s["time"])
            if len(first) == 2 and all(players[n]["time"] > first[n][1] + ADVANCE_SECONDS
                                       for n in first):
                break
        print("page state: %s" % json.dumps(state))
        ok = True
        if not state.get("hls"):
            print("FAIL: hls.js did not load from /hls.js")
            ok = False
        for name in ("a", "b"):
            s = state.get("players", {}).get(name)
            if s is None:
                print("FAIL: no player for camera %s" % name)
                ok = False
                continue
            if s["fatal"] or s["error"]:
                print("FAIL: camera %s: fatal %s, media error %s" % (name, s["fatal"], s["error"]))
                ok = False
            if name not in first or s["time"] < first[name][1] + 3:
                print("FAIL: camera %s did not advance (currentTime %.2f)" % (name, s["time"]))
                ok = False
            elif s["frames"] <= 0 or s["width"] != 320:
                print("FAIL: camera %s: %d frames decoded, width %s" % (name, s["frames"], s["width"]))
                ok = False
            else:
                lat = (s["pdt_age"] or 0) + SOURCE_LATENCY_S
                # stalls: the player waited for data after it first played
                events = [l.split()[1] for l in state.get("log", [])
                          if l.startswith(name + " ") and len(l.split()) > 1]
                stalls = (events[events.index("playing"):].count("waiting")
                          if "playing" in events else 0)
                print("camera %s: started after %.1f s, advanced %.1f s, live latency %.2f s "
                      "(PDT age %.2f s + %.1f s source latency; hls.js live-edge distance %s s; "
                      "%d stalls)"
                      % (name, first[name][0], s["time"] - first[name][1], lat,
                         s["pdt_age"] or 0, SOURCE_LATENCY_S, s["live_edge"], stalls))
                if s["pdt_age"] is None:
                    print("FAIL: camera %s: no EXT-X-PROGRAM-DATE-TIME reached the player" % name)
                    ok = False
                if not re.match(r"latency \d+\.\d\d s$", s["shown"]):
                    print("FAIL: camera %s: the page does not show the latency (%r)"
                          % (name, s["shown"]))
                    ok = False
            # The page's own start (not with ?hlsjs=defaults): at the newest
            # independent part, no older than one part hold-back (+ one part:
            # hls.js's playlist may be a part newer than the one the page
            # waited on).
            st = (s or {}).get("start")
            details = (s or {}).get("details") or {}
            if not os.environ.get("ARCLY_HLSJS_DEFAULTS") and s is not None:
                if not st or st.get("position", -1) < 0 or st.get("age") is None:
                    print("FAIL: camera %s: the page did not start at an independent part (%s)"
                          % (name, st))
                    ok = False
                elif st["age"] > st["holdBack"] + (details.get("partTarget") or 0) + 0.001:
                    print("FAIL: camera %s: started at a part %.3f s old, hold-back %.3f s"
                          % (name, st["age"], st["holdBack"]))
                    ok = False
                else:
                    print("camera %s: started at the independent part at %.3f s, %.3f s old "
                          "(hold-back %.3f s), after waiting %.2f s for it"
                          % (name, st["position"], st["age"], st["holdBack"], st["waited"]))
        print("browser restream: %d passed, %d failed" % ((1, 0) if ok else (0, 1)))
        return 0 if ok else 1
    finally:
        stop_all()
        shutil.rmtree(out_dir, ignore_errors=True)
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
