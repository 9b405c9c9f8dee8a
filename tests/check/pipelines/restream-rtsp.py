#!/usr/bin/env python3
# gst-arcly
# Copyright (C) 2026 gst-arcly developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""arcly-restream --rtsp-port serves each camera as rtsp://127.0.0.1:PORT/NAME
(gst-rtsp-server, media `arclybussrc stream-key=NAME` + payloaders), with
Digest auth:
- ffprobe/ffmpeg over TCP and UDP, GStreamer's rtspsrc and our arclyrtspsrc
  each get H.264 + AAC; ffmpeg decodes 10 s without an error line;
- without credentials the server answers 401; the password is never printed;
- first picture: a new `rtspsrc latency=0 ! rtph264depay ! avdec_h264`
  client (output-corrupt=false: a real picture, not a decoded P-frame
  without its reference) decodes its first frame within 300 ms of starting
  (median of 10, joining at random moments of the camera's 2 s GOP), alone
  and while another client plays; an uncached gst-rtsp-server relay of the
  same camera is measured alongside (printed);
- the camera drops and returns with 3 RTSP clients attached (TCP and UDP):
  every client keeps its session and plays on; the index page lists the
  RTSP URL; the cookbook's Python server (examples/python/arcly-rtsp-server.py)
  serves the same;
- 20 clients, TCP and UDP, joining and leaving over 20 s
  (ARCLY_RTSP_CHURN_SECONDS; the issue's 60 s run is that variable at 60):
  every client that stays plays without a pause over 1 s, HLS keeps growing
  with no discontinuity."""

import os
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

import gi
gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import restream_proc as rp  # noqa: E402
import rtsp_client  # noqa: E402

USER, PASSWORD = "viewer", "rtsp-pw-7f3a"
CHURN_SECONDS = float(os.environ.get("ARCLY_RTSP_CHURN_SECONDS", "20"))
failures = []


def check(ok, what):
    print("%s: %s" % ("ok" if ok else "FAIL", what))
    if not ok:
        failures.append(what)


class Client:
    """A GStreamer RTSP client pipeline counting decoded video frames and
    audio buffers; first_frame: seconds from PLAYING to the first picture."""

    def __init__(self, desc=None, pipe=None):
        self.pipe = pipe or Gst.parse_launch(desc)
        self.video = self.audio = 0
        self.first_frame = None
        self.last_frame = None
        self.max_gap = 0.0      # s, the longest time between two pictures
        self.error = None
        self.stopping = False
        self.lock = threading.Lock()
        for name in ("vsink", "asink"):
            sink = self.pipe.get_by_name(name)
            if sink:
                sink.connect("handoff", self._on_buffer, name)
        bus = self.pipe.get_bus()
        bus.enable_sync_message_emission()
        bus.connect("sync-message::error", self._on_error)
        bus.connect("sync-message::eos", self._on_error)

    def _on_buffer(self, sink, buf, pad, name):
        with self.lock:
            if name == "vsink":
                now = time.monotonic()
                if self.video == 0:
                    self.first_frame = now - self.t0
                else:
                    self.max_gap = max(self.max_gap, now - self.last_frame)
                self.last_frame = now
                self.video += 1
            else:
                self.audio += 1

    def _on_error(self, bus, msg):
        # rtspsrc's own teardown may fail a PAUSE it races with (seen as
        # "Could not send message. (Received end-of-file)" right before its
        # TEARDOWN is answered 200): not a playback error
        if self.stopping:
            return
        self.error = msg.type == Gst.MessageType.EOS and "EOS" or msg.parse_error()[0].message

    def start(self):
        self.t0 = time.monotonic()
        self.pipe.set_state(Gst.State.PLAYING)

    def counts(self):
        with self.lock:
            return self.video, self.audio

    def wait(self, cond, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not cond(self) and self.error is None:
            time.sleep(0.01)
        return cond(self)

    def stop(self):
        self.stopping = True
        self.pipe.set_state(Gst.State.NULL)


def rtspsrc_client(url, protocols="tcp", audio=True, creds=True):
    """rtspsrc -> rtph264depay ! avdec_h264 (and rtpmp4gdepay ! avdec_aac),
    each branch linked to its own pad (rtsp_client.py says why not
    parse-launch's delayed links)."""
    branches = {"video": "rtph264depay ! avdec_h264 output-corrupt=false ! "
                         "fakesink name=vsink signal-handoffs=true sync=false async=false"}
    if audio:
        branches["audio"] = ("rtpmp4gdepay ! avdec_aac ! "
                             "fakesink name=asink signal-handoffs=true sync=false async=false")
    props = {"latency": 0, "protocols": protocols}
    if creds:
        props.update({"user-id": USER, "user-pw": PASSWORD})
    return Client(pipe=rtsp_client.rtsp_pipeline(url, branches, **props))


def ffprobe_streams(url, transport):
    r = subprocess.run(["ffprobe", "-v", "error", "-rtsp_transport", transport,
                        "-show_entries", "stream=codec_name", "-of", "csv=p=0", url],
                       capture_output=True, text=True, timeout=30)
    return sorted(r.stdout.split())


def relay_server(camera_url):
    """An uncached gst-rtsp-server relay of the camera: rtspsrc !
    rtph264depay ! rtph264pay, shared, so it holds one camera session as a
    restreamer does (a session per client would make the test camera's
    gst-rtsp-server force a keyframe for each: not a real camera)."""
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service("0")
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch("( rtspsrc location=%s latency=0 ! rtph264depay ! "
                       "rtph264pay name=pay0 pt=96 config-interval=-1 )" % camera_url)
    factory.set_shared(True)
    server.get_mount_points().add_factory("/relay", factory)
    ctx = GLib.MainContext.new()
    server.attach(ctx)
    loop = GLib.MainLoop.new(ctx, False)
    threading.Thread(target=loop.run, daemon=True).start()
    return server, loop


def first_picture_times(url, n=10, creds=True):
    times = []
    for _ in range(n):
        time.sleep(random.uniform(0, 2.0))      # a random moment of the GOP
        c = rtspsrc_client(url, audio=False, creds=creds)
        c.start()
        c.wait(lambda c: c.first_frame is not None, 10)
        times.append(c.first_frame if c.first_frame is not None else 10.0)
        c.stop()
    return times


def main():
    Gst.init(None)
    cam_port, rtsp_port = rp.free_port(), rp.free_port()
    cam_argv = [os.environ["ARCLY_TESTCAM"], "--port", str(cam_port), "--gop", "60",
                "--size", "320x180", "--bitrate", "500", "--shared"]
    try:
        cam = rp.Server(cam_argv)
        out = os.path.join(os.environ.get("TMPDIR", "/tmp"), "arcly-rtsp-%d" % os.getpid())
        app = rp.Server([os.environ["ARCLY_RESTREAM"], "--camera", "front=" + cam.url,
                         "--http-port", "0", "--rtsp-port", str(rtsp_port), "--output", out,
                         "--rtsp-user", USER, "--rtsp-password", PASSWORD])
        check(app.wait_line("connected to", 20), "the camera is ingested")
        url = "rtsp://127.0.0.1:%d/front" % rtsp_port
        auth_url = "rtsp://%s:%s@127.0.0.1:%d/front" % (USER, PASSWORD, rtsp_port)

        # index page
        page = urllib.request.urlopen(app.url, timeout=10).read().decode()
        check(url in page, "the index page lists %s" % url)

        # auth
        r = subprocess.run(["ffprobe", "-v", "error", "-rtsp_transport", "tcp", url],
                           capture_output=True, text=True, timeout=30)
        check(r.returncode != 0 and "401" in r.stderr, "no credentials: 401")

        # ffprobe / ffmpeg, TCP and UDP
        for transport in ("tcp", "udp"):
            check(ffprobe_streams(auth_url, transport) == ["aac", "h264"],
                  "ffprobe over %s sees H.264 + AAC" % transport)
        # -enc_time_base -1: frames keep their RTP time base.  With the
        # default (1/frame rate) two frames less than a frame interval apart
        # (the camera source's clock slews timestamps by a fraction of a ms
        # to a few ms early in a session) can round to one tick, and the
        # null muxer prints "non monotonically increasing dts ... 41 >= 41";
        # a timestamp that really goes back still fails here.
        r = subprocess.run(["ffmpeg", "-v", "error", "-rtsp_transport", "tcp", "-i", auth_url,
                            "-t", "10", "-enc_time_base", "-1", "-f", "null", "-"],
                           capture_output=True, text=True, timeout=60)
        check(r.returncode == 0 and r.stderr.strip() == "",
              "ffmpeg decodes 10 s without an error (%s)" % r.stderr.strip()[:300])

        # GStreamer rtspsrc, TCP and UDP
        for proto in ("tcp", "udp"):
            c = rtspsrc_client(url, proto)
            c.start()
            ok = c.wait(lambda c: min(c.counts()) >= 30, 15)
            c.stop()
            check(ok, "rtspsrc (%s) decodes H.264 and AAC (%s, %s)" % (proto, c.counts(), c.error))

        # our arclyrtspsrc
        c = Client("arclyrtspsrc name=s location=%s s.video_0 ! arclyh264depay ! avdec_h264 ! "
                   "fakesink name=vsink signal-handoffs=true sync=false async=false "
                   "s.audio_0 ! arclyaacdepay ! avdec_aac ! fakesink name=asink "
                   "signal-handoffs=true sync=false async=false" % auth_url)
        c.start()
        ok = c.wait(lambda c: min(c.counts()) >= 30, 15)
        c.stop()
        check(ok, "arclyrtspsrc decodes H.264 and AAC (%s, %s)" % (c.counts(), c.error))

        # first picture: ours vs an uncached relay, same camera, same test
        ours = first_picture_times(url)
        server, loop = relay_server(cam.url)
        relay_url = "rtsp://127.0.0.1:%d/relay" % server.get_bound_port()
        keeper = rtspsrc_client(relay_url, audio=False, creds=False)
        keeper.start()
        check(keeper.wait(lambda c: c.video >= 30, 15), "the relay plays")
        relay = first_picture_times(relay_url, creds=False)
        keeper.stop()
        loop.quit()
        # a client joining a media another client already plays
        keeper = rtspsrc_client(url, audio=False)
        keeper.start()
        keeper.wait(lambda c: c.video >= 30, 15)
        joined = first_picture_times(url)
        keeper.stop()
        print("first picture, ms, joining while another client plays: median %.0f %s" % (
            statistics.median(joined) * 1000, [round(t * 1000) for t in joined]))
        check(statistics.median(joined) <= 0.300,
              "first picture within 300 ms (median) while another client plays")
        print("first picture, ms (10 clients, 2 s GOP): arcly-restream median %.0f %s; "
              "uncached relay median %.0f %s" % (
                  statistics.median(ours) * 1000, [round(t * 1000) for t in ours],
                  statistics.median(relay) * 1000, [round(t * 1000) for t in relay]))
        check(statistics.median(ours) <= 0.300, "first picture within 300 ms (median)")

        churn(url, os.path.join(out, "front", "playlist.m3u8"))

        # the camera drops and returns with 3 clients attached
        clients = [rtspsrc_client(url, p) for p in ("tcp", "udp", "tcp")]
        for c in clients:
            c.start()
        ok = all(c.wait(lambda c: min(c.counts()) >= 30, 15) for c in clients)
        check(ok, "3 clients play before the camera drops")
        cam.p.send_signal(signal.SIGKILL)
        cam.p.wait()
        check(app.wait_line("reconnecting", 15), "the camera dropped")
        before = [c.counts() for c in clients]
        cam = rp.Server(cam_argv)
        check(wait_reconnected(app), "the camera returned")
        for i, c in enumerate(clients):
            ok = c.wait(lambda c, b=before[i]: c.counts()[0] >= b[0] + 60 and
                        c.counts()[1] >= b[1] + 30, 20)
            check(ok and c.error is None, "client %d plays on after the camera's return "
                  "(%s -> %s, %s)" % (i, before[i], c.counts(), c.error))
        for c in clients:
            c.stop()
        check(PASSWORD not in app.output(), "the RTSP password is never printed")

        # the cookbook's few-line server (Python), against the same camera
        py = rp.Server(["/usr/bin/python3", os.path.join(os.environ["ARCLY_SOURCE_ROOT"],
                        "examples/python/arcly-rtsp-server.py"), cam.url, str(rp.free_port())])
        check(ffprobe_streams(py.url, "tcp") == ["aac", "h264"],
              "examples/python/arcly-rtsp-server.py serves H.264 + AAC")
    finally:
        rp.stop_all()
        subprocess.run(["rm", "-rf", out])
    print("FAILED: %d" % len(failures) if failures else "all passed")
    return 1 if failures else 0


def playlist_state(path):
    text = open(path).read()
    seq = int(text.split("#EXT-X-MEDIA-SEQUENCE:")[1].split()[0])
    return seq + text.count("#EXTINF:"), "#EXT-X-DISCONTINUITY\n" in text


def churn(url, playlist, n=20, seconds=CHURN_SECONDS):
    """n clients, TCP and UDP mixed, join over the first third of the run;
    every third leaves half-way.  Every client that stays gets decoded
    frames without a pause over 1 s; HLS keeps growing, no discontinuity."""
    end_before, disc = playlist_state(playlist)
    clients, t0 = [], time.monotonic()
    for i in range(n):
        c = rtspsrc_client(url, ("tcp", "udp")[i % 2], audio=False)
        c.leaves = i % 3 == 2
        c.start()
        clients.append(c)
        time.sleep(seconds / 3 / n)
    left = False
    while time.monotonic() - t0 < seconds:
        if not left and time.monotonic() - t0 > seconds / 2:
            for c in clients:
                if c.leaves:
                    c.stop()
            left = True
        disc = disc or playlist_state(playlist)[1]
        time.sleep(0.05)
    stay = [c for c in clients if not c.leaves]
    for c in stay:
        c.stop()
    end_after, d = playlist_state(playlist)
    pauses = [round(c.max_gap, 2) for c in stay]
    frames = [c.counts()[0] for c in stay]
    print("churn: %d clients for %.0f s, %d stayed: frames %s, longest pause s %s; "
          "HLS +%d segments" % (n, seconds, len(stay), frames, pauses, end_after - end_before))
    errors = [c.error for c in stay if c.error is not None]
    check(not errors and min(frames) > 0 and max(pauses) <= 1.0,
          "every client that stays plays without a pause over 1 s (errors: %s)" % errors)
    check(end_after - end_before >= seconds / 2 - 2 and not (disc or d),
          "HLS keeps growing without a discontinuity during the churn")


def wait_reconnected(app, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sum("connected to" in ln for ln in app.output().splitlines()) >= 2:
            return True
        time.sleep(0.05)
    return False


if __name__ == "__main__":
    sys.exit(main())
