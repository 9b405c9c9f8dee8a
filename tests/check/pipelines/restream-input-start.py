#!/usr/bin/env python3
# gst-arcly
# Copyright (C) 2026 gst-arcly developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The start of an RTMP input whose video comes well after its audio.

nginx's rtmp module sends a player that joins a live stream the audio at
once and the video from the next keyframe: up to a GOP later (2 s and more
for OBS's defaults), and on a loaded machine the 300 ms of a 1 s GOP
stretch as far.  Here the sender's video starts 2.5 s after its audio, the
input already waiting for the stream (nginx's idle streams), so every run
has that gap.  The input publishes its track set once it knows the
sender's streams (flvdemux has seen both, or audio alone for its bound):
the HLS output starts with video and audio in its first segment and no
EXT-X-DISCONTINUITY, one init segment.  (It published the audio alone
after 1 s: an init segment with audio only, the video added later, and a
discontinuity at the very start.)

A sender with no video at all (an audio-only RTMP stream) is still
published, audio only, after that bound."""

import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import restream_proc as rp  # noqa: E402
import restream_inputs as ri  # noqa: E402

VIDEO_LATE_S = 2.5


def make_clip(d):
    """10 s of H.264 (GOP 1 s) + AAC in FLV, the video from 2.5 s on."""
    flv = os.path.join(d, "late-video.flv")
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
                    "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=10",
                    "-itsoffset", str(VIDEO_LATE_S),
                    "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=30:duration=7.5",
                    "-map", "0:a", "-map", "1:v",
                    "-c:v", "libx264", "-preset", "veryfast", "-profile:v", "main",
                    "-pix_fmt", "yuv420p", "-g", "30", "-keyint_min", "30", "-sc_threshold", "0",
                    "-b:v", "300k", "-c:a", "aac", "-b:a", "64k", "-ac", "2", flv],
                   check=True, timeout=120)
    return flv


def log_has(path, text):
    try:
        with open(path) as f:
            return text in f.read()
    except OSError:
        return False


def probe(playlist):
    r = subprocess.run(["ffprobe", "-v", "error", "-show_entries",
                        "stream=codec_name", "-of", "csv=p=0", playlist],
                       capture_output=True, text=True, timeout=30)
    return r.stdout.split()


def first_segment_streams(out, name, text):
    """The codecs in the init segment and the first media segment."""
    seg = next((ln for ln in text.splitlines() if ln and not ln.startswith("#")), None)
    init = os.path.join(out, name, "init0.mp4")
    if seg is None or not os.path.exists(init):
        return []
    both = os.path.join(out, name, "first.mp4")
    with open(both, "wb") as f:
        for part in (init, os.path.join(out, name, seg)):
            with open(part, "rb") as g:
                f.write(g.read())
    return probe(both)


def main():
    ri.require_tools()
    failures = []
    with tempfile.TemporaryDirectory() as d:
        try:
            flv = make_clip(d)
            port = rp.free_port()
            _, log = ri.start_rtmp_nginx(d, port, idle_streams=True)
            out = os.path.join(d, "out")
            base = "rtmp://127.0.0.1:%d/live/" % port
            app = rp.Server([os.environ["ARCLY_RESTREAM"], "--http-port", "0",
                             "--rtsp-port", "0", "--output", out, "--target-duration", "1",
                             "--input", "late=%scam" % base, "--input", "radio=%sradio" % base])
            # both players wait on nginx for their streams
            if not rp.wait_until(lambda: log_has(log, "name='cam'") and
                              log_has(log, "name='radio'"), 30):
                raise SystemExit("FAIL: the inputs never asked nginx to play\n%s"
                                 % app.output())
            # ffmpeg would hold the audio back until the video came
            # (interleaving): 100 ms at most, as a live encoder
            ri.Sender(["ffmpeg", "-hide_banner", "-loglevel", "error", "-re", "-i", flv,
                       "-c", "copy", "-max_interleave_delta", "100000", "-f", "flv",
                       base + "cam"])
            ri.Sender(["ffmpeg", "-hide_banner", "-loglevel", "error", "-re",
                       "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
                       "-c:a", "aac", "-b:a", "64k", "-ac", "2", "-f", "flv", base + "radio"])
            pl = {n: os.path.join(out, n, "playlist.m3u8") for n in ("late", "radio")}

            def segs(n):
                return ri.segments(ri.read_playlist(pl[n]))

            if not rp.wait_until(lambda: segs("late") >= 4 and segs("radio") >= 2, 40):
                raise SystemExit("FAIL: no playlist filled: %s\n%s"
                                 % ({n: segs(n) for n in pl}, app.output()))
            text = ri.read_playlist(pl["late"])
            disc = ri.discontinuities(text)
            maps = text.count("#EXT-X-MAP")
            if disc != 0 or maps != 1:
                failures.append("late: %d EXT-X-DISCONTINUITY and %d EXT-X-MAP at the start, "
                                "want 0 and 1:\n%s" % (disc, maps, text))
            first = first_segment_streams(out, "late", text)
            if "h264" not in first or "aac" not in first:
                failures.append("late: the first segment holds %s, want h264 and aac" % first)
            else:
                print("late: the first segment holds %s, %d discontinuities, %d init segment"
                      % (" ".join(first), disc, maps))
            radio = probe(pl["radio"])
            if set(radio) != {"aac"}:
                failures.append("radio (audio only): the HLS output holds %s, want aac" % radio)
            else:
                print("radio: audio-only sender published (%d segments)" % segs("radio"))
            if failures:
                print(app.output())
        finally:
            rp.stop_all()
    for f in failures:
        print("FAIL: " + f)
    print("restream-input-start: %s" % ("FAILED" if failures else "passed"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
