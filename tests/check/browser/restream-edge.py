#!/usr/bin/env python3
# gst-arcly
# Copyright (C) 2026 gst-arcly developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""hls.js in Chromium plays Low-Latency HLS through nginx (the shipped
docs/deploy/nginx-edge.conf, ports and cache folder replaced) with a live
latency within 0.3 s of playing the origin directly, in the same run.

One test camera → one arcly-restream (camera cam1) → nginx.  Two headless
Chromiums open two pages at once: the origin's index page and the
same page through nginx (its URIs are relative, so every request of the
second page goes through the edge).  Once both players advanced
ARCLY_WATCH_SECONDS (default 8), the age of the frame on screen
(hls.js's playingDate, from EXT-X-PROGRAM-DATE-TIME) is sampled on both
pages, ten times over five seconds; the medians may differ by at most
0.3 s, and neither page may have a fatal error.

Every process started here is stopped by PID at the end, also on failure.
"""

import importlib.util
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))


def load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    return m


br = load("browser_restream", os.path.join(HERE, "restream.py"))
edge_test = load("restream_edge", os.path.join(HERE, "..", "pipelines", "restream-edge.py"))
rh = edge_test.rh

ADVANCE_SECONDS = float(os.environ.get("ARCLY_WATCH_SECONDS", "8"))
MAX_DIFF_S = 0.3


def state(cdp):
    return json.loads(cdp.evaluate(br.STATE_JS) or "{}").get("players", {}).get("cam1")


def main():
    if not os.access(br.CHROMIUM, os.X_OK):
        print("FAIL: %s missing (apt-get install chromium)" % br.CHROMIUM)
        return 1
    tmp = tempfile.mkdtemp(prefix="arcly-browser-edge-")
    ok = True
    try:
        origin = edge_test.start_origin(os.path.join(tmp, "o1"), "cam1")
        edge = edge_test.Nginx(tmp, [origin.port, origin.port])
        edge_test.wait_edge_playlist(edge.port, "cam1")
        direct_url = "http://127.0.0.1:%d/" % origin.port
        edge_url = "http://127.0.0.1:%d/" % edge.port
        with urllib.request.urlopen(edge_url, timeout=10) as r:
            if b"cam/cam1/playlist.m3u8" not in r.read():
                raise SystemExit("FAIL: the index page does not come through the edge")
        # Two browsers (a background tab would not play): each page in the
        # foreground of its own.
        pages = {}
        for k, url in (("direct", direct_url), ("edge", edge_url)):
            profile = os.path.join(tmp, "profile-" + k)
            os.makedirs(profile)
            pages[k] = br.Cdp(url, profile)
        first = {}
        t0 = time.monotonic()
        while time.monotonic() - t0 < 40:
            time.sleep(1)
            st = {k: state(cdp) for k, cdp in pages.items()}
            for k, s in st.items():
                if s and s["time"] > 0 and k not in first:
                    first[k] = s["time"]
            if len(first) == 2 and all(st[k]["time"] > first[k] + ADVANCE_SECONDS for k in first):
                break
        if len(first) < 2:
            print("FAIL: not both pages played: %s" % json.dumps(st))
            return 1
        ages = {"direct": [], "edge": []}
        for _ in range(10):
            for k, cdp in pages.items():
                p = state(cdp)
                if p["fatal"] or p["error"]:
                    print("FAIL: %s page: fatal %s, media error %s" % (k, p["fatal"], p["error"]))
                    ok = False
                if p["pdt_age"] is not None:
                    ages[k].append(p["pdt_age"])
            time.sleep(0.5)
        if not ages["direct"] or not ages["edge"]:
            print("FAIL: no EXT-X-PROGRAM-DATE-TIME reached a player: %s" % ages)
            return 1
        med = {k: statistics.median(v) for k, v in ages.items()}
        diff = med["edge"] - med["direct"]
        print("live latency (PDT age + %.1f s source): direct %.2f s, through nginx %.2f s, "
              "difference %+.2f s" % (br.SOURCE_LATENCY_S, med["direct"] + br.SOURCE_LATENCY_S,
                                      med["edge"] + br.SOURCE_LATENCY_S, diff))
        if abs(diff) > MAX_DIFF_S:
            print("FAIL: through nginx %.2f s further from live than direct (at most %.1f s)"
                  % (diff, MAX_DIFF_S))
            ok = False
        hits = 0
        with open(os.path.join(edge.prefix, "logs", "access.log")) as f:
            hits = sum(1 for l in f if "/cam/cam1/" in l)
        print("edge access log: %d requests for cam1" % hits)
        if hits < 20:
            print("FAIL: the edge page did not load through nginx")
            ok = False
    finally:
        rh.stop_all()
        br.stop_all()
        shutil.rmtree(tmp, ignore_errors=True)
    print("browser restream-edge: %s" % ("passed" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
