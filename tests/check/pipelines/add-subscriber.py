#!/usr/bin/env python3
# gst-arcly
# Copyright (C) 2026 gst-arcly developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The cookbook's run-time subscriber examples, in Python (PyGObject) and C,
against the test camera: each adds an arclybus subscriber while the camera
streams, records it as MPEG-TS, removes it and exits 0.  The recording must
start on a keyframe (the bus's GOP cache), last at least the time it was
subscribed, and decode with no ffmpeg error line."""

import os
import signal
import subprocess
import sys
import tempfile

SECONDS = 3


def main():
    cam = subprocess.Popen([os.environ["ARCLY_TESTCAM"], "--port", "0", "--auth", "digest",
                            "--user", "u", "--password", "pw-sub", "--gop", "30",
                            "--size", "320x180"], stdout=subprocess.PIPE, text=True)
    passed = failed = 0
    try:
        line = cam.stdout.readline()
        if not line.startswith("READY rtsp://"):
            print("FAIL: test camera did not start")
            return 1
        url = line.split()[1].replace("rtsp://", "rtsp://u:pw-sub@")
        src = os.environ["ARCLY_SOURCE_ROOT"]
        programs = {
            "python": ["/usr/bin/python3", os.path.join(src, "examples/python/add-subscriber.py")],
            "c": [os.environ["ARCLY_ADD_SUBSCRIBER"]],
        }
        for name, argv in programs.items():
            with tempfile.TemporaryDirectory() as d:
                out = os.path.join(d, "rec.ts")
                r = subprocess.run(argv + [url, out, str(SECONDS)], capture_output=True,
                                   text=True, timeout=60)
                problems = []
                if r.returncode != 0:
                    problems.append("exit %d: %s" % (r.returncode, r.stderr.replace("pw-sub", "***")))
                if "subscriber removed" not in r.stdout:
                    problems.append("no removal message: %r" % r.stdout)
                if os.path.exists(out):
                    dur = subprocess.run(["ffprobe", "-v", "error", "-show_entries",
                                          "format=duration", "-of", "csv=p=0", out],
                                         capture_output=True, text=True).stdout.strip()
                    first = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v",
                                            "-show_entries", "packet=flags", "-of", "csv=p=0",
                                            "-read_intervals", "%+#1", out],
                                           capture_output=True, text=True).stdout.strip()
                    # at the demuxer's time base: ffmpeg's default 1/frame-rate
                    # rounding of live PTS would be its own muxing error
                    dec = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", out,
                                          "-enc_time_base:v", "-1", "-f", "null", "-"], capture_output=True, text=True)
                    if not dur or float(dur) < SECONDS - 0.2:
                        problems.append("recording lasts %s s" % dur)
                    if not first.startswith("K"):
                        problems.append("recording does not start on a keyframe (%r)" % first)
                    if dec.returncode != 0 or dec.stderr.strip():
                        problems.append("ffmpeg: %s" % dec.stderr.strip()[:500])
                    detail = "%s s, starts with %s" % (dur, first)
                else:
                    problems.append("no recording written")
                    detail = ""
                if problems:
                    failed += 1
                    print("FAIL %s example: %s" % (name, "; ".join(problems)))
                else:
                    passed += 1
                    print("ok   %s example (%s)" % (name, detail))
    finally:
        cam.send_signal(signal.SIGTERM)
        try:
            cam.wait(timeout=5)
        except subprocess.TimeoutExpired:
            cam.kill()
            cam.wait()
    print("add-subscriber examples: %d passed, %d failed" % (passed, failed))
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
