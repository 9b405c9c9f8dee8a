#!/usr/bin/env python3
# gst-arcly
# Copyright (C) 2026 gst-arcly developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Take a JPEG snapshot of a running camera from a pipeline of its own.

    arcly-snapshot.py rtsp://user:pass@host/path|test OUT.jpg [SECONDS]

Runs the camera's ingest pipeline, publishing it under the stream key
"cam" (arclybussink); after SECONDS (default 3) it starts a second
pipeline, arclybussrc stream-key=cam → decoder → jpegenc snapshot=true, that
joins the running camera from its GOP cache and writes one JPEG, then
stops.  The ingest pipeline is never touched.  Prints how long the snapshot
took from starting its pipeline.  "test" instead of a URL publishes a test
pattern (x264enc, 2 s GOP).
"""

import sys
import time

import gi
gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

TEST_CAMERA = (
    "videotestsrc is-live=true pattern=ball ! "
    "video/x-raw,format=I420,width=640,height=360,framerate=30/1 ! "
    "x264enc tune=zerolatency key-int-max=60 option-string=scenecut=0 ! "
    "h264parse ! arclybussink stream-key=cam")


def ingest(source):
    if source == "test":
        return Gst.parse_launch(TEST_CAMERA)
    pipe = Gst.parse_launch(
        "arclyrtspsrc name=src streams=video ! arclyh264depay ! h264parse ! "
        "arclybussink stream-key=cam")
    pipe.get_by_name("src").set_property("location", source)
    return pipe


def snapshot(out, loop, report):
    """The snapshot pipeline: its video pad is decoded into one JPEG."""
    pipe = Gst.Pipeline.new("snapshot")
    src = Gst.ElementFactory.make("arclybussrc")
    src.set_property("stream-key", "cam")
    pipe.add(src)

    def on_pad(_src, pad):
        caps = pad.get_current_caps()
        if caps.get_structure(0).get_name().startswith("video/"):
            desc = ("h264parse ! avdec_h264 ! videoconvert ! "
                    "jpegenc snapshot=true ! filesink location=%s" % out)
        else:
            desc = "fakesink"
        branch = Gst.parse_bin_from_description(desc, True)
        pipe.add(branch)
        branch.sync_state_with_parent()
        pad.link(branch.get_static_pad("sink"))

    src.connect("pad-added", on_pad)
    started = time.monotonic()

    def on_message(_bus, msg):
        if msg.type == Gst.MessageType.EOS:     # jpegenc snapshot=true ends it
            report["ms"] = (time.monotonic() - started) * 1000
            pipe.set_state(Gst.State.NULL)
            loop.quit()
        elif msg.type == Gst.MessageType.ERROR:
            err, _ = msg.parse_error()
            report["error"] = err.message
            pipe.set_state(Gst.State.NULL)
            loop.quit()

    bus = pipe.get_bus()
    bus.add_signal_watch()
    bus.connect("message", on_message)
    pipe.set_state(Gst.State.PLAYING)
    return pipe


def main():
    if len(sys.argv) < 3:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    source, out = sys.argv[1], sys.argv[2]
    delay = float(sys.argv[3]) if len(sys.argv) > 3 else 3.0
    Gst.init(None)

    camera = ingest(source)
    loop = GLib.MainLoop()
    report = {}
    keep = []

    def on_camera_message(_bus, msg):
        if msg.type == Gst.MessageType.ERROR:
            err, _ = msg.parse_error()
            report["error"] = err.message
            loop.quit()

    cbus = camera.get_bus()
    cbus.add_signal_watch()
    cbus.connect("message", on_camera_message)
    camera.set_state(Gst.State.PLAYING)
    GLib.timeout_add(int(delay * 1000),
                     lambda: keep.append(snapshot(out, loop, report)) or False)
    GLib.timeout_add_seconds(int(delay) + 15, loop.quit)   # bounded
    loop.run()
    camera.set_state(Gst.State.NULL)
    cbus.remove_signal_watch()
    if "error" in report:
        print("error: %s" % report["error"], file=sys.stderr)
        return 1
    if "ms" not in report:
        print("error: no snapshot within 15 s", file=sys.stderr)
        return 1
    print("snapshot %s written %.0f ms after its pipeline started" %
          (out, report["ms"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
