#!/usr/bin/env python3
# gst-arcly
# Copyright (C) 2026 gst-arcly developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Add and remove an arclybus subscriber while the camera keeps streaming.

    add-subscriber.py rtsp://user:pass@host/path OUT.ts [SECONDS]

Plays the camera into an arclybus with a live decoder as its first
subscriber; two seconds after the camera's first picture it requests a new src pad and records it as
MPEG-TS (arclytsmux → filesink) for SECONDS (default 4), then sends that
branch EOS, removes it and releases the pad, and stops two seconds later.
The recording starts on a keyframe at once: the bus serves a new subscriber
from its GOP cache.
"""

import sys

import gi
gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402


def main():
    if len(sys.argv) < 3:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    url, out = sys.argv[1], sys.argv[2]
    seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 4.0
    Gst.init(None)

    pipeline = Gst.parse_launch(
        "arclyrtspsrc name=src streams=video ! arclyh264depay ! arclybus name=bus "
        "bus. ! avdec_h264 ! fakesink sync=true")
    pipeline.get_by_name("src").set_property("location", url)
    bus = pipeline.get_by_name("bus")
    loop = GLib.MainLoop()
    branch = {}

    def add_recorder():
        mux = Gst.ElementFactory.make("arclytsmux")
        sink = Gst.ElementFactory.make("filesink")
        sink.set_property("location", out)
        pipeline.add(mux)
        pipeline.add(sink)
        mux.link(sink)
        # The branch plays before it is linked: the bus pushes the cached
        # GOP the moment the pad is linked.
        sink.sync_state_with_parent()
        mux.sync_state_with_parent()
        srcpad = bus.request_pad_simple("src_%u")
        srcpad.link(mux.request_pad_simple("video_%u"))
        branch.update(pad=srcpad, mux=mux, sink=sink)
        print("subscriber %s added" % srcpad.get_name(), flush=True)
        GLib.timeout_add(int(seconds * 1000), remove_recorder)
        return False

    def remove_recorder():
        # EOS down the branch so the file ends cleanly, then take it out.
        pad = branch["pad"]
        peer = pad.get_peer()
        peer.send_event(Gst.Event.new_eos())
        GLib.timeout_add(500, finish_removal)
        return False

    def finish_removal():
        pad, mux, sink = branch["pad"], branch["mux"], branch["sink"]
        pad.unlink(pad.get_peer())
        bus.release_request_pad(pad)
        for e in (mux, sink):
            e.set_state(Gst.State.NULL)
            pipeline.remove(e)
        print("subscriber removed; the camera kept streaming", flush=True)
        GLib.timeout_add(2000, loop.quit)
        return False

    def on_message(_, msg):
        if msg.type == Gst.MessageType.ERROR:
            err, _dbg = msg.parse_error()
            print("error: %s" % err.message, file=sys.stderr)
            loop.quit()
            branch["failed"] = True

    pbus = pipeline.get_bus()
    pbus.add_signal_watch()
    pbus.connect("message", on_message)
    def first_buffer(_pad, _info):
        # the camera streams (a streaming thread): the recorder comes two
        # seconds later, counted from the picture, not from start-up
        GLib.timeout_add(2000, add_recorder)
        return Gst.PadProbeReturn.REMOVE

    bus.get_static_pad("sink").add_probe(Gst.PadProbeType.BUFFER, first_buffer)
    pipeline.set_state(Gst.State.PLAYING)
    loop.run()
    pipeline.set_state(Gst.State.NULL)
    return 1 if branch.get("failed") else 0


if __name__ == "__main__":
    sys.exit(main())
