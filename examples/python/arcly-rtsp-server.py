#!/usr/bin/env python3
# gst-arcly
# Copyright (C) 2026 gst-arcly developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Serve a camera over RTSP with gst-rtsp-server, every client starting from
the GOP cache: the camera is published under a stream key (arclybussink) and
each client's media is `arclybussrc stream-key=KEY` + RTP payloaders.

    arcly-rtsp-server.py rtsp://user:pass@camera/stream PORT
    -> rtsp://127.0.0.1:PORT/cam   (prints READY <url> once serving)
"""

import sys

import gi
gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

PAYLOADERS = {"video/x-h264": "rtph264pay", "video/x-h265": "rtph265pay",
              "audio/mpeg": "rtpmp4gpay"}


class KeyFactory(GstRtspServer.RTSPMediaFactory):
    """A media per client: the RTP streams are the pads of a bin named
    dynpay0, one per stream the key carries."""

    def __init__(self, key):
        super().__init__()
        self.key = key

    def do_create_element(self, url):
        top, dynpay = Gst.Bin.new(None), Gst.Bin.new("dynpay0")
        src = Gst.ElementFactory.make("arclybussrc")
        src.set_property("stream-key", self.key)
        dynpay.add(src)
        top.add(dynpay)

        def on_pad(_src, pad):
            kind = pad.get_current_caps().get_structure(0).get_name()
            pay = Gst.ElementFactory.make(PAYLOADERS.get(kind, "fakesink"))
            dynpay.add(pay)
            pad.link(pay.get_static_pad("sink"))
            pay.sync_state_with_parent()
            if kind in PAYLOADERS:
                pay.set_property("pt", 96 + dynpay.numsrcpads)
                ghost = Gst.GhostPad.new(None, pay.get_static_pad("src"))
                ghost.set_active(True)
                dynpay.add_pad(ghost)

        src.connect("pad-added", on_pad)
        src.connect("no-more-pads", lambda _src: dynpay.no_more_pads())
        return top


def main():
    Gst.init(None)
    camera, port = sys.argv[1], sys.argv[2]
    ingest = Gst.parse_launch(
        "arclyrtspsrc name=src location=%s "
        "src.video_0 ! arclyh264depay ! pub.sink_0 "
        "src.audio_0 ! arclyaacdepay ! pub.sink_1 "
        "arclybussink name=pub stream-key=cam" % camera)
    ingest.set_state(Gst.State.PLAYING)

    server = GstRtspServer.RTSPServer(address="127.0.0.1", service=port)
    server.get_mount_points().add_factory("/cam", KeyFactory("cam"))
    server.attach(None)
    print("READY rtsp://127.0.0.1:%d/cam" % server.get_bound_port(), flush=True)
    try:
        GLib.MainLoop().run()
    except KeyboardInterrupt:
        pass
    ingest.set_state(Gst.State.NULL)


if __name__ == "__main__":
    main()
