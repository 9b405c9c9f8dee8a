#!/usr/bin/env python3
# gst-arcly
# Copyright (C) 2026 gst-arcly developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""arcly-restream reads an RTSP camera paced (--read-interval, default 100 ms)
while only its HLS pipeline and recorder take it, and as the data comes
while a low-latency consumer (an RTSP client here; a WebRTC viewer is a
subscriber of the key the same way) watches it:

- /status.json shows read_interval_ms 100 and low_latency_viewers 0 with
  HLS and --record running (they are not counted), and the HLS playlist
  gets segments that ffprobe reads as H.264 + AAC; the status line shows
  the HLS latency and when the last part was written;
- an RTSP client of the camera: read_interval_ms 0, low_latency_viewers 1,
  the log says so; the client gets video and audio;
- the client gone: 100 again, the log says so;
- --read-interval 0: 0 throughout; --read-interval 1001: one clear error,
  exit 2.

Every process started here is stopped by PID at the end, also on failure.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import urllib.error
import urllib.request

import gi
gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import restream_proc as rp  # noqa: E402
import rtsp_client  # noqa: E402

failures = []


def check(ok, what):
    print("%s: %s" % ("ok" if ok else "FAIL", what), flush=True)
    if not ok:
        failures.append(what)


def status(app):
    with urllib.request.urlopen(app.url + "status.json", timeout=10) as r:
        return json.loads(r.read())["inputs"][0]


def wait_status(app, interval, viewers, timeout=20):
    """Waits until the camera's status shows @interval and @viewers; the
    last status seen."""
    last = {}

    def cond():
        last.update(status(app))
        return (last.get("read_interval_ms") == interval
                and last.get("low_latency_viewers") == viewers)
    rp.wait_until(cond, timeout)
    return last


def segments(app):
    try:
        with urllib.request.urlopen(app.url + "cam/front/playlist.m3u8", timeout=10) as r:
            text = r.read().decode()
    except urllib.error.HTTPError:
        return []       # no playlist yet
    return [ln for ln in text.splitlines() if ln and not ln.startswith("#")]


class Client:
    """An RTSP client counting the buffers of each media kind."""

    def __init__(self, url):
        self.counts = {"video": 0, "audio": 0}
        self.lock = threading.Lock()
        self.pipe = rtsp_client.rtsp_pipeline(
            url, {"video": "fakesink name=video", "audio": "fakesink name=audio"},
            protocols="tcp", latency=0)
        for kind in self.counts:
            sink = self.pipe.get_by_name(kind)
            sink.get_static_pad("sink").add_probe(Gst.PadProbeType.BUFFER, self._count, kind)
        self.pipe.set_state(Gst.State.PLAYING)

    def _count(self, pad, info, kind):
        with self.lock:
            self.counts[kind] += 1
        return Gst.PadProbeReturn.OK

    def got_both(self):
        with self.lock:
            return self.counts["video"] >= 30 and self.counts["audio"] >= 30

    def stop(self):
        self.pipe.set_state(Gst.State.NULL)


def paced(tmp):
    cam = rp.Server([os.environ["ARCLY_TESTCAM"], "--port", "0", "--gop", "30",
                     "--size", "320x180"])
    rtsp_port = rp.free_port()
    app = rp.Server([os.environ["ARCLY_RESTREAM"], "--camera", "front=" + cam.url,
                     "--http-port", "0", "--rtsp-port", str(rtsp_port),
                     "--record", os.path.join(tmp, "rec")])
    check(app.wait_line("connected to", 20), "the camera is ingested")
    st = wait_status(app, 100, 0)
    check(st.get("read_interval_ms") == 100 and st.get("low_latency_viewers") == 0,
          "HLS and the recorder alone: read every 100 ms (%s)" % st)
    check(rp.wait_until(lambda: len(segments(app)) >= 2, 30),
          "HLS has segments while the camera is read every 100 ms")
    r = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_name",
                        "-of", "csv=p=0", app.url + "cam/front/playlist.m3u8"],
                       capture_output=True, text=True, timeout=60)
    streams = sorted(set(r.stdout.split()))
    check(streams == ["aac", "h264"], "ffprobe reads H.264 + AAC from it (%s %s)"
          % (streams, r.stderr.strip()[:200]))
    # the status line's HLS figures are taken on the HLS thread (the part
    # messages no longer reach the main loop when serving from memory)
    line = [None]

    def hls_status():
        for ln in app.output().splitlines():
            m = re.search(r"HLS latency (-?[0-9.]+) s  last part (-?[0-9.]+) s ago", ln)
            if m:
                line[0] = (float(m.group(1)), float(m.group(2)))
        return line[0] is not None and line[0][0] >= 0 and 0 <= line[0][1] < 3
    check(rp.wait_until(hls_status, 15),
          "the status line shows the HLS latency and the last part (%s)" % (line[0],))

    client = Client("rtsp://127.0.0.1:%d/front" % rtsp_port)
    try:
        st = wait_status(app, 0, 1)
        check(st.get("read_interval_ms") == 0 and st.get("low_latency_viewers") == 1,
              "an RTSP client: read as data comes (%s)" % st)
        check(app.wait_line("reading the camera as data comes: 1 ", 5),
              "the log says why the pacing is off")
        check(rp.wait_until(client.got_both, 20),
              "the client gets video and audio (%s)" % client.counts)
    finally:
        client.stop()
    st = wait_status(app, 100, 0)
    check(st.get("read_interval_ms") == 100 and st.get("low_latency_viewers") == 0,
          "the client gone: every 100 ms again (%s)" % st)
    check(app.wait_line("reading the camera every 100 ms again", 5),
          "the log says the pacing is back")
    rp.stop_all()


def unpaced():
    cam = rp.Server([os.environ["ARCLY_TESTCAM"], "--port", "0", "--gop", "30",
                     "--size", "320x180"])
    app = rp.Server([os.environ["ARCLY_RESTREAM"], "--camera", "front=" + cam.url,
                     "--http-port", "0", "--rtsp-port", "0", "--read-interval", "0"])
    check(app.wait_line("connected to", 20), "--read-interval 0: the camera is ingested")
    check(rp.wait_until(lambda: len(segments(app)) >= 2, 30), "--read-interval 0: HLS")
    st = status(app)
    check(st.get("read_interval_ms") == 0, "--read-interval 0: read as data comes (%s)" % st)
    rp.stop_all()


def main():
    Gst.init(None)
    tmp = tempfile.mkdtemp(prefix="arcly-read-interval-")
    try:
        r = subprocess.run([os.environ["ARCLY_RESTREAM"], "--read-interval", "1001"],
                           capture_output=True, text=True, timeout=30)
        check(r.returncode == 2 and "--read-interval out of range" in r.stderr,
              "--read-interval 1001: one clear error, exit 2 (%d, %r)"
              % (r.returncode, r.stderr.strip()))
        paced(tmp)
        unpaced()
    finally:
        rp.stop_all()
        shutil.rmtree(tmp, ignore_errors=True)
    print("FAILED: %d" % len(failures) if failures else "all passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
