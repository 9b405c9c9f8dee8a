# gst-arcly
# Copyright (C) 2026 gst-arcly developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""An rtspsrc client pipeline for the tests, its branches linked per pad.

Not gst_parse_launch's `s. ! application/x-rtp,media=video ! ...`: rtspsrc
adds its pads from one streaming thread per stream, and parse-launch's
delayed link runs in whichever pad-added comes and links *any* compatible
pad of the element, in two steps (pad -> capsfilter, capsfilter -> next).
When the two pads come at once (a server that starts video and audio from a
cache, both in the same millisecond) one thread can link the other's pad
half-way; that thread's first push meets the unlinked capsfilter, gets
NOT_LINKED, and its rtpjitterbuffer pauses for good: that stream of that
client stays silent (GStreamer 1.22, gst/parse/grammar.y
gst_parse_found_pad).  Here each pad-added links only its own pad, to a
branch that is complete before it is linked."""

import gi
gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402


def rtsp_pipeline(url, branches, **props):
    """A pipeline `rtspsrc location=URL` (with @props) whose pad of media
    kind K ("video", "audio") is linked to the bin made from branches[K], a
    gst-launch description; pads of another kind stay unlinked."""
    pipe = Gst.Pipeline()
    src = Gst.ElementFactory.make("rtspsrc", "s")
    src.set_property("location", url)
    for k, v in props.items():
        Gst.util_set_object_arg(src, k.replace("_", "-"), str(v))
    pipe.add(src)
    bins = {}
    for kind, desc in branches.items():
        b = Gst.parse_bin_from_description(desc, True)
        pipe.add(b)
        bins[kind] = b

    def on_pad(_src, pad):
        caps = pad.get_current_caps() or pad.query_caps(None)
        kind = caps.get_structure(0).get_string("media") if caps.get_size() else None
        b = bins.get(kind)
        if b is None:
            return
        sink = b.get_static_pad("sink")
        if not sink.is_linked():
            pad.link(sink)

    src.connect("pad-added", on_pad)
    return pipe
