#!/usr/bin/env python3
# gst-arcly
# Copyright (C) 2026 gst-arcly developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""hls.js in headless Chromium plays every input kind of arcly-restream,
also across a sender's 5 s absence.

The senders of tests/check/restream_inputs.py (SRT listener and caller,
MPEG-TS over UDP unicast and multicast, RTP with an SDP, RTMP through
nginx) and an rtsps:// camera (arcly-testcam over TLS, its certificate
signed by a CA made here, given with --tls-ca-file) feed one
arcly-restream; its index page plays them all.  Each
player must advance 3 s with no fatal hls.js error and decode 320 px wide
frames; then every sender stops for 5 s and starts again, and each player
must advance 3 s more past the discontinuity.  The index page shows each
input's kind, and its status lines follow the inputs live (/status.json:
streaming again, a bitrate, one reconnect).  Every process is stopped by PID at the end, also on
failure."""

import json
import os
import re
import shutil
import signal
import socket
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, HERE)
import restream_proc as rp  # noqa: E402
import restream_inputs as ri  # noqa: E402
import restream as br  # noqa: E402  (the Chromium harness of browser/restream.py)


def port_open(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


class Keeper:
    """Copies what arcly-restream writes while the players resume (every
    new segment and part, each playlist version), for a failure to keep."""

    def __init__(self, out, names, tmp):
        self.out, self.names, self.n = out, names, 0
        self.dir = os.path.join(tmp, "kept")
        self.t0 = time.monotonic()

    def copy(self):
        if time.monotonic() - self.t0 > 40:
            return
        self.n += 1
        for n in self.names:
            src, dst = os.path.join(self.out, n), os.path.join(self.dir, n)
            os.makedirs(dst, exist_ok=True)
            try:
                files = os.listdir(src)
            except OSError:
                continue
            for f in files:
                target = os.path.join(dst, f)
                if f.endswith(".m3u8"):
                    target += ".%03d" % self.n
                elif os.path.exists(target) or f.startswith("."):
                    continue
                try:
                    shutil.copyfile(os.path.join(src, f), target)
                except OSError:
                    pass


def explain_stuck(cdp, state, marks, names, keep):
    """Prints what a player that did not advance saw and keeps its output."""
    p = state.get("players", {})
    log = state.get("log", [])
    kept = os.path.join(os.environ.get("ARCLY_BUILD_ROOT", tempfile.gettempdir()),
                        "meson-logs", "restream-inputs-stuck")
    shutil.rmtree(kept, ignore_errors=True)
    for n in names:
        if p.get(n, {}).get("time", 0) >= marks.get(n, 0) + 3:
            continue
        ranges = cdp.evaluate(
            "(function(){var v=window.arclyPlayers[%s].video,r=[];for(var i=0;i<v.buffered.length;"
            "i++)r.push(v.buffered.start(i).toFixed(2)+'-'+v.buffered.end(i).toFixed(2));"
            "return 'ct='+v.currentTime.toFixed(2)+' ready='+v.readyState+' paused='+v.paused+"
            "' buffered='+r.join(',');})()" % json.dumps(n))
        print("%s is stuck: %s" % (n, ranges))
        mine = [l for l in log if l.startswith(n + " ")]
        print("\n".join("  " + l for l in mine[-60:]))
        try:
            shutil.copytree(os.path.join(keep.dir, n), os.path.join(kept, n))
            print("  its HLS output after the pause is kept in %s" % os.path.join(kept, n))
        except OSError as e:
            print("  its HLS output could not be kept: %s" % e)


def main():
    ri.require_tools()
    if not os.access(br.CHROMIUM, os.X_OK):
        print("FAIL: %s missing (apt-get install chromium)" % br.CHROMIUM)
        return 1
    failures = []
    d = tempfile.mkdtemp(prefix="arcly-inputs-browser-")
    profile = tempfile.mkdtemp(prefix="arcly-chromium-")
    try:
        mc = ri.loopback_multicast_works()
        if not mc:
            print("NOTE: no loopback multicast on this kernel: the multicast input is NOT "
                  "played here")
        setup = ri.Setup(d, multicast=mc)
        # the rtsps camera, killed and restarted on its port like a sender
        ri.make_tls_certs(d)
        cam_port = rp.free_port()
        setup.inputs["rtsps"] = "rtsps://127.0.0.1:%d/cam" % cam_port
        setup.senders["rtsps"] = lambda: [
            os.environ["ARCLY_TESTCAM"], "--port", str(cam_port), "--gop", "30",
            "--size", "320x180", "--bitrate", "400", "--shared",
            "--tls-cert", os.path.join(d, "cam.pem"), "--tls-key", os.path.join(d, "cam.key")]
        setup.start("rtsps")
        if not rp.wait_until(lambda: port_open(cam_port), 15, 0.05):
            raise SystemExit("FAIL: the rtsps camera does not listen")
        setup.start_rtp_sdp()
        out = os.path.join(d, "out")
        app = rp.Server([os.environ["ARCLY_RESTREAM"], "--http-port", "0", "--rtsp-port", "0",
                         "--output", out, "--tls-ca-file", os.path.join(d, "ca.pem")]
                        + setup.args())
        names = list(setup.inputs)
        for n in names:
            if n not in setup.running:
                setup.start(n)
        if not rp.wait_until(lambda: all(ri.segments(ri.read_playlist(
                os.path.join(out, n, "playlist.m3u8"))) >= 2 for n in names), 60, 0.5):
            raise SystemExit("FAIL: not every input is on air:\n" + app.output())
        # hls.js's own events are recorded: a failure prints the stuck
        # player's last ones and keeps its HLS output in meson-logs
        cdp = br.Cdp(app.url, profile, debug=True)
        if not rp.wait_until(lambda: cdp.evaluate(
                "Object.keys(window.arclyPlayers || {}).length") == len(names), 20, 0.2):
            raise SystemExit("FAIL: the page has no player per input")
        kinds = json.loads(cdp.evaluate(
            "JSON.stringify(Array.from(document.querySelectorAll('.input')).map("
            "function (e) { return e.id + ' ' + e.textContent; }))") or "[]")
        print("index page status: %s" % kinds)
        for n in names:
            kind = ("srt" if n.startswith("srt") else "udp" if n == "mcast" else
                    "rtsp" if n == "rtsps" else n)
            if not any(k.startswith("i-%s %s, " % (n, kind)) for k in kinds):
                failures.append("%s: the index page does not show its kind %s" % (n, kind))

        state = {}

        def players():
            state.update(json.loads(cdp.evaluate(br.STATE_JS) or "{}"))
            return state.get("players", {})

        def advanced_from(marks, secs):
            p = players()
            return all(n in p and p[n]["time"] >= marks.get(n, 0) + secs for n in names)

        first = {}

        def started():
            p = players()
            for n in names:
                if n in p and p[n]["time"] > 0 and n not in first:
                    first[n] = p[n]["time"]
            return len(first) == len(names)

        if not rp.wait_until(started, 30, 0.5) or \
                not rp.wait_until(lambda: advanced_from(first, 3), 30, 0.5):
            failures.append("not every player started and advanced 3 s: %s"
                            % json.dumps(state.get("players")))
        p = players()
        for n in names:
            s = p.get(n, {})
            if s.get("fatal") or s.get("error") or s.get("width") != 320:
                failures.append("%s: fatal %s, media error %s, width %s"
                                % (n, s.get("fatal"), s.get("error"), s.get("width")))
            else:
                print("%s: playing at %.2f s, %d frames" % (n, s["time"], s["frames"]))

        keep = Keeper(out, names, d)
        keep.copy()
        for n in names:
            setup.stop(n)
        time.sleep(5)   # the scenario: every sender away for 5 s
        for n in names:
            setup.start(n)
        marks = {n: players().get(n, {}).get("time", 0) for n in names}

        def advanced_after_pause():
            keep.copy()
            return advanced_from(marks, 3)
        if not rp.wait_until(advanced_after_pause, 90, 0.5):
            failures.append("not every player advanced 3 s after the senders came back: "
                            "from %s to %s" % (marks, {n: s["time"] for n, s in
                                                   players().items()}))
            explain_stuck(cdp, state, marks, names, keep)
        p = players()
        for n in names:
            s = p.get(n, {})
            if s.get("fatal") or s.get("error"):
                failures.append("%s: after the pause: fatal %s, media error %s"
                                % (n, s.get("fatal"), s.get("error")))
            else:
                print("%s: after the pause, playing at %.2f s (was %.2f s)"
                      % (n, s.get("time", 0), marks[n]))
        # the status lines under the players follow the inputs live
        def status_live():
            texts = json.loads(cdp.evaluate(
                "JSON.stringify(Array.from(document.querySelectorAll('.input')).map("
                "function (e) { return e.textContent; }))") or "[]")
            status_live.texts = texts
            # an RTSP camera counts every reconnect attempt (one fails
            # while the camera is away), the other inputs one per outage
            return len(texts) == len(names) and all(
                re.search(r"streaming, [1-9]\d* kbit/s, %s reconnects$"
                          % ("[1-9]\d*" if t.startswith("rtsp,") else "1"), t) for t in texts)
        if not rp.wait_until(status_live, 20, 0.5):
            failures.append("the page's status lines do not show every input streaming again "
                            "with its bitrate and one reconnect: %s" % status_live.texts)
        else:
            print("index page status after the pause: %s" % status_live.texts)
        app.signal(signal.SIGINT)
        app.p.wait(timeout=20)
    finally:
        br.stop_all()
        rp.stop_all()
        shutil.rmtree(d, ignore_errors=True)
        shutil.rmtree(profile, ignore_errors=True)
    for f in failures:
        print("FAIL: " + f)
    print("browser restream-inputs: %s" % ("FAILED" if failures else "passed"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
