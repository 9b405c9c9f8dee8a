#!/usr/bin/python3
# gst-arcly
# Copyright (C) 2026 gst-arcly developers
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# bench/hls-newviewer.py: how old is the first frame a new viewer starts
# on, and how long does it wait for it?  arclyhlssink (fMP4, 200 ms parts,
# every keyframe starts an INDEPENDENT part) against hlssink2 (TS, whole
# segments) behind a static file server, on the same live x264 stream
# (a tee), for GOP 1 s and 2 s, target duration 2 s.
#
#   bench/hls-newviewer.py [BUILD_DIR] [RUNS] [TRIALS]
#
# In each run, TRIALS viewers join at random moments (uniform over 30 s,
# after 6 s of warm-up).  A viewer reads the playlist as it is on disk at
# that moment, as a static server would serve it, and starts:
#   arcly newest   at the newest INDEPENDENT part listed (no wait);
#   arcly next     at the next INDEPENDENT part to be listed (it waits);
#   arcly policy   newest if it is younger than PART-HOLD-BACK (0.6 s),
#                  else next (the player page's rule, issue 22);
#   hlssink2 newest  at the newest complete segment (no wait);
#   hlssink2 3-back  three segments from the end (hls.js's default).
# Age = the viewer's join time (or the moment it can start, after a
# wait) minus the capture running time of the first frame it plays.
# Prints median and p90 of age and wait per strategy, per run, and the
# median over the runs.  Only the first frame is modelled: decoding and
# network time are the same for both sinks and left out.

import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import time

import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

HOLD_BACK = 0.6        # 3 x 200 ms parts
WARMUP = 6.0
SPAN = 30.0


def p90(values):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(0.9 * (len(values) - 1))))]


def newest_independent(text):
    last = None
    for line in text.splitlines():
        if line.startswith("#EXT-X-PART:") and "INDEPENDENT=YES" in line:
            last = re.search(r'URI="([^"]+)"', line).group(1)
    return last


def segment_uris(text):
    return [line for line in text.splitlines()
            if line and not line.startswith("#")]


def run_once(gop, trials, seed):
    work = tempfile.mkdtemp(prefix="arcly-bench-newviewer-")
    a_dir, h_dir = os.path.join(work, "arcly"), os.path.join(work, "h2")
    os.mkdir(a_dir)
    os.mkdir(h_dir)
    desc = (
        "videotestsrc is-live=true pattern=ball ! "
        "video/x-raw,format=I420,width=640,height=360,framerate=30/1 ! "
        "x264enc key-int-max=%d option-string=scenecut=0 bitrate=1500 "
        "speed-preset=ultrafast tune=zerolatency ! h264parse ! tee name=t "
        "t. ! queue ! arclyhlssink segment-format=fmp4 target-duration=2 "
        "part-duration=200 playlist-length=6 max-files=12 "
        "location=%s/s%%05d.m4s playlist-location=%s/p.m3u8 "
        "t. ! queue ! hlssink2 target-duration=2 playlist-length=6 "
        "max-files=12 location=%s/s%%05d.ts playlist-location=%s/p.m3u8"
        % (30 * gop, a_dir, a_dir, h_dir, h_dir))
    pipe = Gst.parse_launch(desc)
    bus = pipe.get_bus()
    parts = {}          # arcly part uri -> capture running time (s)
    indep = []          # (listed at, capture) of INDEPENDENT parts
    h2_opened = []      # hlssink2 segment k -> capture running time (s)

    def now_s():
        clock = pipe.get_clock()
        return (clock.get_time() - pipe.get_base_time()) / Gst.SECOND

    def handle(msg):
        if msg.type == Gst.MessageType.ERROR:
            raise RuntimeError(msg.parse_error()[0].message)
        if msg.type != Gst.MessageType.ELEMENT:
            return
        s = msg.get_structure()
        if s.get_name() == "arcly-hls-part":
            rt = s.get_value("running-time") / Gst.SECOND
            parts[os.path.basename(s.get_value("uri"))] = rt
            if s.get_value("independent"):
                listed = now_s()
                indep.append((listed, rt))
                for j in pending:
                    waits["arcly next"].append(listed - j)
                    samples["arcly next"].append(listed - rt)
                pending.clear()
        elif s.get_name() == "splitmuxsink-fragment-opened":
            h2_opened.append(s.get_value("running-time") / Gst.SECOND)

    def drain():
        while True:
            m = bus.pop()
            if m is None:
                return
            handle(m)

    pipe.set_state(Gst.State.PLAYING)
    rnd = random.Random(seed)
    joins = sorted(WARMUP + rnd.random() * SPAN for _ in range(trials))
    samples = {k: [] for k in ("arcly newest", "arcly next", "arcly policy",
                               "hlssink2 newest", "hlssink2 3-back")}
    waits = {k: [] for k in samples}
    pending = []        # joins waiting for the next independent part
    end = WARMUP + SPAN + 2 * gop + 1
    t0 = time.monotonic()
    while time.monotonic() - t0 < end + 5:
        msg = bus.timed_pop(10 * Gst.MSECOND)
        if msg is not None:
            handle(msg)
        if pipe.get_clock() is None:
            continue
        now = now_s()
        while joins and joins[0] <= now:
            joins.pop(0)
            with open(os.path.join(a_dir, "p.m3u8")) as f:
                a_text = f.read()
            with open(os.path.join(h_dir, "p.m3u8")) as f:
                h_text = f.read()
            newest = newest_independent(a_text)
            for _ in range(100):    # its message may be a moment behind
                drain()
                if newest in parts:
                    break
                time.sleep(0.001)
            age = now - parts[newest]
            samples["arcly newest"].append(age)
            waits["arcly newest"].append(0.0)
            pending.append(now)
            segs = segment_uris(h_text)
            ks = [int(re.search(r"(\d+)\.ts$", u).group(1)) for u in segs]
            samples["hlssink2 newest"].append(now - h2_opened[ks[-1]])
            waits["hlssink2 newest"].append(0.0)
            k3 = ks[max(0, len(ks) - 3)]
            samples["hlssink2 3-back"].append(now - h2_opened[k3])
            waits["hlssink2 3-back"].append(0.0)
            if age <= HOLD_BACK:
                samples["arcly policy"].append(age)
                waits["arcly policy"].append(0.0)
            else:
                # the same viewer waits for the next one: filled in below
                samples["arcly policy"].append(None)
                waits["arcly policy"].append(now)
        if not joins and not pending and now > end:
            break
    pipe.send_event(Gst.Event.new_eos())
    bus.timed_pop_filtered(10 * Gst.SECOND, Gst.MessageType.EOS)
    pipe.set_state(Gst.State.NULL)
    shutil.rmtree(work)
    # the policy's waiting viewers start at the next independent part
    for i, a in enumerate(samples["arcly policy"]):
        if a is None:
            join = waits["arcly policy"][i]
            listed, rt = next((li, r) for li, r in indep if li >= join)
            samples["arcly policy"][i] = listed - rt
            waits["arcly policy"][i] = listed - join
    return samples, waits


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    trials = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    os.environ["GST_PLUGIN_PATH"] = os.path.join(os.path.abspath(build),
                                                 "gst", "arclyhls")
    os.environ["GST_REGISTRY_1_0"] = os.path.join(
        tempfile.gettempdir(), "arcly-bench-newviewer.registry")
    Gst.init(None)
    for gop in (1, 2):
        per_run = {}
        for r in range(runs):
            samples, waits = run_once(gop, trials, 1000 * gop + r)
            for k in samples:
                row = (statistics.median(samples[k]), p90(samples[k]),
                       statistics.median(waits[k]), p90(waits[k]))
                per_run.setdefault(k, []).append(row)
                print("GOP %d s run %d  %-16s age median %.2f s p90 %.2f s"
                      "  wait median %.2f s p90 %.2f s" % ((gop, r + 1, k) +
                                                         row), flush=True)
        print("GOP %d s, medians over %d runs of %d viewers:" %
              (gop, runs, trials))
        for k, rows in per_run.items():
            med = [statistics.median(col) for col in zip(*rows)]
            print("  %-16s first-frame age median %.2f s p90 %.2f s, "
                  "wait median %.2f s p90 %.2f s" % ((k,) + tuple(med)))


if __name__ == "__main__":
    main()
