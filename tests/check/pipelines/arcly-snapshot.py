#!/usr/bin/env python3
# gst-arcly
# Copyright (C) 2026 gst-arcly developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The cookbook's snapshot tool (examples/python/arcly-snapshot.py): it
publishes a camera with arclybussink and, from a pipeline of its own,
joins it with arclybussrc and writes one JPEG.  Against the test camera
(RTSP, 2 s GOP, joined mid-GOP) and against its built-in test pattern:
each run must exit 0 and leave a JPEG of the camera's size."""

import os
import struct
import subprocess
import sys
import tempfile


def jpeg_size(path):
    """(width, height) from the first SOF marker, or None."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] != b"\xff\xd8":
        return None
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            return None
        marker, length = data[i + 1], struct.unpack(">H", data[i + 2:i + 4])[0]
        if 0xC0 <= marker <= 0xC2:
            h, w = struct.unpack(">HH", data[i + 5:i + 9])
            return w, h
        i += 2 + length
    return None


def run(tool, source, expect):
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "snap.jpg")
        r = subprocess.run(["/usr/bin/python3", tool, source, out, "2.5"],
                           capture_output=True, text=True, timeout=60)
        size = jpeg_size(out) if os.path.exists(out) else None
        ok = r.returncode == 0 and size == expect
        print("%s: %s exit %d, JPEG %s; %s" % ("PASS" if ok else "FAIL", source.split("@")[-1],
                                              r.returncode, size, (r.stdout + r.stderr).strip()))
        return ok


def main():
    tool = os.path.join(os.environ["ARCLY_SOURCE_ROOT"], "examples/python/arcly-snapshot.py")
    cam = subprocess.Popen([os.environ["ARCLY_TESTCAM"], "--port", "0", "--auth", "digest",
                            "--user", "u", "--password", "pw-snap", "--gop", "60",
                            "--size", "320x180"], stdout=subprocess.PIPE, text=True)
    try:
        line = cam.stdout.readline()
        if not line.startswith("READY rtsp://"):
            print("FAIL: test camera did not start")
            return 1
        url = line.split()[1].replace("rtsp://", "rtsp://u:pw-snap@")
        ok = run(tool, url, (320, 180))
        ok = run(tool, "test", (640, 360)) and ok
    finally:
        cam.terminate()
        try:
            cam.wait(timeout=5)
        except subprocess.TimeoutExpired:
            cam.kill()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
