#!/usr/bin/env python3
# gst-arcly
# Copyright (C) 2026 gst-arcly developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""First picture for a new RTSP client: arcly-restream's RTSP out (each
client's media starts from the stream key's GOP cache) vs an uncached
gst-rtsp-server relay (`rtspsrc ! rtph264depay ! rtph264pay`, shared, one
camera session held by a client that stays), same test camera (2 s GOP,
--shared: an already-live camera), in one run.  Client: `rtspsrc latency=0
! rtph264depay ! avdec_h264 output-corrupt=false` (a real picture); time
from set_state(PLAYING) to its first decoded frame, N joins each at random
moments of the GOP.  Needs the build's environment (meson devenv or the
variables below).

  ARCLY_TESTCAM=build/tools/arcly-testcam ARCLY_RESTREAM=build/examples/arcly-restream \\
  GST_PLUGIN_PATH=build/gst /usr/bin/python3 bench/rtsp-out.py [JOINS]
"""

import importlib.util
import os
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "check"))
spec = importlib.util.spec_from_file_location(
    "rtsptest", os.path.join(HERE, "..", "tests", "check", "pipelines", "restream-rtsp.py"))
t = importlib.util.module_from_spec(spec)
spec.loader.exec_module(t)
rp = t.rp


def main():
    joins = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    t.Gst.init(None)
    rtsp_port = rp.free_port()
    try:
        cam = rp.Server([os.environ["ARCLY_TESTCAM"], "--port", "0", "--gop", "60",
                         "--size", "640x360", "--shared"])
        app = rp.Server([os.environ["ARCLY_RESTREAM"], "--camera", "front=" + cam.url,
                         "--http-port", "0", "--rtsp-port", str(rtsp_port),
                         "--output", "/tmp/arcly-bench-rtsp-%d" % os.getpid(),
                         "--rtsp-user", t.USER, "--rtsp-password", t.PASSWORD])
        if not app.wait_line("connected to", 20):
            raise SystemExit("camera not ingested")
        ours = t.first_picture_times("rtsp://127.0.0.1:%d/front" % rtsp_port, joins)
        server, loop = t.relay_server(cam.url)
        relay_url = "rtsp://127.0.0.1:%d/relay" % server.get_bound_port()
        keeper = t.rtspsrc_client(relay_url, audio=False, creds=False)
        keeper.start()
        keeper.wait(lambda c: c.video >= 30, 15)
        relay = t.first_picture_times(relay_url, joins, creds=False)
        keeper.stop()
        loop.quit()
    finally:
        rp.stop_all()
    for name, v in (("arcly-restream RTSP", ours), ("uncached relay", relay)):
        print("%-20s median %7.1f ms  min %7.1f  max %7.1f  (%d joins)" % (
            name, statistics.median(v) * 1000, min(v) * 1000, max(v) * 1000, len(v)))
    print("ratio %.3f" % (statistics.median(ours) / statistics.median(relay)))


if __name__ == "__main__":
    main()
