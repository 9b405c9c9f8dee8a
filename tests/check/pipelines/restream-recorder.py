#!/usr/bin/env python3
# gst-arcly
# Copyright (C) 2026 gst-arcly developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""arcly-restream publishes each camera under its name and its HLS writer
and recorder subscribe by key, each in a pipeline of its own: SIGHUP
restarts the recorder (a new file), and ingest and HLS go on untouched —
the playlist keeps growing with contiguous PROGRAM-DATE-TIMEs, no
EXT-X-DISCONTINUITY, no camera reconnect — and both recordings decode."""

import datetime
import glob
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import restream_proc as rp  # noqa: E402


def read_segments(path):
    """{msn: (pdt seconds, duration)} of the playlist now; DISCONTINUITY seen."""
    try:
        text = open(path).read()
    except OSError:
        return {}, False
    seq = int(re.search(r"#EXT-X-MEDIA-SEQUENCE:(\d+)", text).group(1)) if "SEQUENCE:" in text else 0
    segs, pdt, dur = {}, None, None
    for line in text.splitlines():
        if line.startswith("#EXT-X-PROGRAM-DATE-TIME:"):
            pdt = datetime.datetime.fromisoformat(line.split(":", 1)[1].replace("Z", "+00:00")).timestamp()
        elif line.startswith("#EXTINF:"):
            dur = float(line[8:].split(",")[0])
        elif line and not line.startswith("#"):
            segs[seq] = (pdt, dur)
            seq += 1
            pdt = None
    return segs, "#EXT-X-DISCONTINUITY\n" in text


def dts_not_increasing(path):
    """The first video or audio packet whose DTS is not above the one
    before it in its stream, or None."""
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "packet=stream_index,dts",
                          "-of", "csv=p=0", path], capture_output=True, text=True,
                         timeout=60).stdout
    last = {}
    for n, line in enumerate(ln for ln in out.splitlines() if ln.strip()):
        idx, dts = line.split(",")[:2]
        if dts == "N/A":
            continue
        if idx in last and int(dts) <= last[idx]:
            return "packet %d of stream %s: DTS %s after %d" % (n, idx, dts, last[idx])
        last[idx] = int(dts)
    return None if last else "no packets"


def main():
    failures = []
    with tempfile.TemporaryDirectory() as d:
        out, rec = os.path.join(d, "out"), os.path.join(d, "rec")
        try:
            cam = rp.Server([os.environ["ARCLY_TESTCAM"], "--port", "0", "--gop", "30",
                             "--size", "320x180", "--bitrate", "400", "--shared"])
            app = rp.Server([os.environ["ARCLY_RESTREAM"], "--camera", "front=" + cam.url,
                             "--http-port", "0", "--output", out,
                             "--record", rec, "--target-duration", "1"])
            playlist = os.path.join(out, "front", "playlist.m3u8")
            seen, disc = {}, False

            def poll_until(n_segments, timeout):
                nonlocal disc
                deadline = time.monotonic() + timeout
                while time.monotonic() < deadline:
                    segs, dd = read_segments(playlist)
                    seen.update(segs)
                    disc |= dd
                    if len(seen) >= n_segments:
                        return True
                    time.sleep(0.1)
                return False

            if not poll_until(3, 30):
                raise SystemExit("FAIL: no HLS segments:\n" + app.output())
            before = len(seen)
            app.signal(signal.SIGHUP)
            if not app.wait_line("recorder restarted", 15):
                failures.append("the recorder did not restart:\n" + app.output())
            if not poll_until(before + 4, 30):
                failures.append("HLS stopped growing after the recorder restart")
            app.signal(signal.SIGINT)
            app.p.wait(timeout=20)
            if app.p.returncode != 0:
                failures.append("exit status %d" % app.p.returncode)
            segs, dd = read_segments(playlist)
            seen.update(segs)
            disc |= dd
            if disc:
                failures.append("EXT-X-DISCONTINUITY in the playlist")
            if "reconnecting" in app.output():
                failures.append("ingest reconnected:\n" + app.output())
            keys = sorted(seen)
            if keys != list(range(keys[0], keys[-1] + 1)):
                failures.append("segments missing: %s" % keys)
            for a, b in zip(keys, keys[1:]):
                (pa, da), (pb, _) = seen[a], seen[b]
                if pa is not None and pb is not None and abs(pa + da - pb) > 0.05:
                    failures.append("gap between segments %d and %d: %.3f s" % (a, b, pb - pa - da))
            print("HLS segments %d..%d, %d of them after the restart" % (keys[0], keys[-1], len(seen) - before))
            files = sorted(glob.glob(os.path.join(rec, "front-*.ts")))
            if [os.path.basename(f) for f in files] != ["front-00000.ts", "front-00001.ts"]:
                failures.append("recordings: %s" % files)
            for f in files:
                # Decoded frames keep the file's time base: ffmpeg otherwise
                # puts them on a grid of the frame rate it guesses from the
                # first frames (30 or 29.97 fps), where two frames 32-34 ms
                # apart (arclyrtspsrc slews its A/V alignment at 1 ms per
                # frame) can land on one tick and it reports non-monotonic
                # DTS of its own making.  The file's own DTS are checked
                # below, strictly.
                r = subprocess.run(["ffmpeg", "-v", "error", "-i", f, "-enc_time_base:v", "-1",
                                    "-f", "null", "-"],
                                   capture_output=True, text=True, timeout=60)
                bad = dts_not_increasing(f)
                if bad:
                    failures.append("%s: %s" % (f, bad))
                probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration",
                                        "-of", "csv=p=0", f], capture_output=True, text=True, timeout=60)
                print("%s: %s s, ffmpeg: %s" % (os.path.basename(f), probe.stdout.strip(),
                                                 r.stderr.strip() or "no error"))
                if r.returncode != 0 or r.stderr.strip() or float(probe.stdout.strip() or 0) < 1.0:
                    failures.append("%s does not decode cleanly" % f)
        finally:
            rp.stop_all()
    for f in failures:
        print("FAIL:", f)
    if not failures:
        print("PASS: recorder restarted, HLS and ingest untouched")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
