#!/usr/bin/env python3
# gst-arcly
# Copyright (C) 2026 gst-arcly developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""CPU of the RTSP server for 1 camera -> 0, 1, 10, 50 RTSP clients (TCP):
arcly-restream's RTSP out (a media per client from the stream key, the
default; and --rtsp-shared, one media for all) vs an uncached
gst-rtsp-server relay of the same camera (`rtspsrc ! depay ! pay` for
H.264 and AAC, shared: one camera session, one payloader per track), each
server in a process of its own, in one run.

The figure is the server process's CPU time (utime + stime of all its
threads, /proc/PID/stat) over a WINDOW s window once every client plays,
in % of one core.  arcly-restream also ingests and writes LL-HLS in that
process (its 0-client row); the relay only relays (its media, and its
camera session, exist only while a client plays: its 0-client row idles).  Clients: `rtspsrc
protocols=tcp latency=0` -> fakesink per track (no decoding), all in this
process, started one after another, each waited for until it received
data.

  ARCLY_TESTCAM=build/tools/arcly-testcam ARCLY_RESTREAM=build/examples/arcly-restream \\
  GST_PLUGIN_PATH=build/gst /usr/bin/python3 bench/rtsp-cpu.py [RUNS] [WINDOW]
"""

import os
import statistics
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "check"))
import restream_proc as rp  # noqa: E402

import gi  # noqa: E402
gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

COUNTS = (0, 1, 10, 50)
TICK = os.sysconf("SC_CLK_TCK")

RELAY = r"""
import sys
import gi
gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer
Gst.init(None)
server = GstRtspServer.RTSPServer()
server.set_address("127.0.0.1")
server.set_service("0")
factory = GstRtspServer.RTSPMediaFactory()
# links by the depayloaders' caps, each in one step (a filtered delayed
# link is two: tests/check/rtsp_client.py)
factory.set_launch(
    "( rtspsrc name=s location=%s latency=0 "
    "s. ! rtph264depay ! rtph264pay name=pay0 pt=96 config-interval=-1 "
    "s. ! rtpmp4gdepay ! rtpmp4gpay name=pay1 pt=97 )" % sys.argv[1])
factory.set_shared(True)
server.get_mount_points().add_factory("/relay", factory)
server.attach(None)
print("READY rtsp://127.0.0.1:%d/relay" % server.get_bound_port(), flush=True)
GLib.MainLoop().run()
"""


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


class Client:
    def __init__(self, url):
        self.pipe = Gst.Pipeline()
        self.src = Gst.ElementFactory.make("rtspsrc")
        self.src.set_property("location", url)
        self.src.set_property("protocols", "tcp")
        self.src.set_property("latency", 0)
        self.pipe.add(self.src)
        self.buffers = 0
        self.lock = threading.Lock()
        self.src.connect("pad-added", self._on_pad)

    def _on_pad(self, src, pad):
        sink = Gst.ElementFactory.make("fakesink")
        sink.set_property("sync", False)
        sink.set_property("async", False)
        sink.set_property("signal-handoffs", True)
        sink.connect("handoff", self._on_buffer)
        self.pipe.add(sink)
        sink.sync_state_with_parent()
        pad.link(sink.get_static_pad("sink"))

    def _on_buffer(self, sink, buf, pad):
        with self.lock:
            self.buffers += 1

    def start(self):
        self.pipe.set_state(Gst.State.PLAYING)

    def playing(self, timeout=15):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if self.buffers >= 10:
                    return True
            time.sleep(0.02)
        return False

    def stop(self):
        self.pipe.set_state(Gst.State.NULL)


def measure(pid, url, n, window):
    clients = [Client(url) for _ in range(n)]
    try:
        for c in clients:
            c.start()
            if not c.playing():
                raise SystemExit("a client of %s did not play" % url)
        time.sleep(2)
        t0, c0 = time.monotonic(), cpu_seconds(pid)
        time.sleep(window)
        return 100.0 * (cpu_seconds(pid) - c0) / (time.monotonic() - t0)
    finally:
        for c in clients:
            c.stop()


def one_run(window):
    rtsp_port, shared_port = rp.free_port(), rp.free_port()
    results = {}
    try:
        cam = rp.Server([os.environ["ARCLY_TESTCAM"], "--port", "0", "--gop", "60",
                         "--size", "640x360", "--shared"])
        servers = []
        for name, port, extra in (("arcly-restream", rtsp_port, []),
                                  ("arcly-restream --rtsp-shared", shared_port,
                                   ["--rtsp-shared"])):
            app = rp.Server([os.environ["ARCLY_RESTREAM"], "--camera", "front=" + cam.url,
                             "--http-port", "0", "--rtsp-port", str(port),
                             "--output", "/tmp/arcly-bench-cpu-%d-%d" % (os.getpid(), port)]
                            + extra)
            if not app.wait_line("connected to", 20):
                raise SystemExit("camera not ingested")
            servers.append((name, app.p.pid, "rtsp://127.0.0.1:%d/front" % port))
        relay = rp.Server(["/usr/bin/python3", "-c", RELAY, cam.url])
        servers.append(("uncached relay", relay.p.pid, relay.url))
        for name, pid, url in servers:
            for n in COUNTS:
                results[(name, n)] = measure(pid, url, n, window)
                print("  %-30s %2d clients: %6.1f %%" % (name, n, results[(name, n)]),
                      flush=True)
    finally:
        rp.stop_all()
        os.system("rm -rf /tmp/arcly-bench-cpu-%d-*" % os.getpid())
    return results


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    window = float(sys.argv[2]) if len(sys.argv) > 2 else 10.0
    Gst.init(None)
    all_runs = []
    for i in range(runs):
        print("run %d" % (i + 1), flush=True)
        all_runs.append(one_run(window))
    names = ("arcly-restream", "arcly-restream --rtsp-shared", "uncached relay")
    print("\nmedian of %d runs, CPU %% of one core (server process):" % runs)
    print("%-30s " % "clients" + " ".join("%8d" % n for n in COUNTS))
    for name in names:
        print("%-30s " % name + " ".join(
            "%8.1f" % statistics.median(r[(name, n)] for r in all_runs) for n in COUNTS))
    for n in COUNTS[1:]:
        ours = statistics.median(r[("arcly-restream", n)] for r in all_runs)
        relay = statistics.median(r[("uncached relay", n)] for r in all_runs)
        print("ratio arcly-restream / relay at %d clients: %.2f" % (n, ours / relay))


if __name__ == "__main__":
    main()
