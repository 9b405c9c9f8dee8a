#!/usr/bin/env python3
# gst-arcly
# Copyright (C) 2026 gst-arcly developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A sender's clock is not ours: arcly-restream follows it.

Three MPEG-TS over UDP senders feed one arcly-restream: one at our clock's
rate, one whose timestamps run 800 ppm fast and one 800 ppm slow (ffmpeg's
setts filter scales the timestamps it sends in real time).  The inputs keep
the sender's own timestamps (tsdemux's and rtpjitterbuffer's clock recovery
made them jitter) and slew their offset onto our clock by at most 1 ms per
second: /status.json must report each sender's clock rate (clock_ppm within
300 ppm of what it is, the steady one within 200 ppm of 0) and our time
within 10 ms of the sender's clock (clock_lag_ms; 22 ms unslewed), and every HLS
output must still advance by a frame duration at every frame (2 ms either
way), the slewing included."""

import json
import os
import signal
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import restream_proc as rp  # noqa: E402
import restream_inputs as ri  # noqa: E402

RUN_S = 30
PPM = {"steady": 0, "fast": 800, "slow": -800}


def status(url):
    with urllib.request.urlopen(url + "status.json", timeout=10) as r:
        return {i["name"]: i for i in json.load(r)["inputs"]}


def main():
    ri.require_tools()
    failures = []
    with tempfile.TemporaryDirectory(prefix="arcly-drift-") as d:
        ts, _ = ri.make_clips(d)
        inputs, senders = [], {}
        for name, ppm in PPM.items():
            port = ri.free_udp_port()
            inputs += ["--input", "%s=udp://127.0.0.1:%d" % (name, port)]
            scale = "setts=ts=TS*%.6f" % (1 + ppm / 1e6)
            senders[name] = ri.ffmpeg_loop(
                ts, "-c", "copy", "-bsf:v", scale, "-bsf:a", scale, "-f", "mpegts",
                "udp://127.0.0.1:%d?pkt_size=1316" % port)
        out = os.path.join(d, "out")
        try:
            app = rp.Server([os.environ["ARCLY_RESTREAM"], "--http-port", "0", "--rtsp-port",
                             "0", "--output", out, "--target-duration", "1"] + inputs)
            running = {n: ri.Sender(argv) for n, argv in senders.items()}
            t0 = time.monotonic()
            time.sleep(RUN_S)   # the scenario: the senders' clocks run apart for a while
            st = status(app.url)
            print("after %.0f s: %s" % (time.monotonic() - t0, {
                n: (st.get(n, {}).get("clock_ppm"), st.get(n, {}).get("clock_lag_ms"))
                for n in PPM}))
            for name, ppm in PPM.items():
                got = st.get(name, {}).get("clock_ppm")
                bound = 200 if ppm == 0 else 300
                if got is None or abs(got - ppm) > bound:
                    failures.append("%s: clock_ppm %s, want %d +- %d" % (name, got, ppm, bound))
                # unslewed, 800 ppm would be 22 ms after these 28 s
                lag = st.get(name, {}).get("clock_lag_ms")
                if lag is None or abs(lag) > 10:
                    failures.append("%s: our time is %s ms from the sender's clock, want "
                                    "within 10 ms" % (name, lag))
            for s in running.values():
                s.stop(graceful=False)
            app.signal(signal.SIGINT)
            app.p.wait(timeout=20)
            for name in PPM:
                pl = os.path.join(out, name, "playlist.m3u8")
                odd = ri.uneven_decode_times(pl)
                if odd:
                    failures.append("%s: decode times do not advance a frame at a time: %s"
                                    % (name, "; ".join(odd)))
                else:
                    print("%s: every frame a frame duration after the last" % name)
        finally:
            rp.stop_all()
    for f in failures:
        print("FAIL: " + f)
    print("restream-drift: %s" % ("FAILED" if failures else "passed"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
