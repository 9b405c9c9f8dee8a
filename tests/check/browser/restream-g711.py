#!/usr/bin/env python3
# gst-arcly
# Copyright (C) 2026 gst-arcly developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Browser test: a G.711 camera (arcly-testcam --audio-codec pcmu) through
arcly-restream (--audio=aac, the default) plays with sound in hls.js.

The HLS playlist carries H.264 + AAC (ffprobe); headless Chromium opens the
index page (hls.js, the page's player) and, while the player advances, its
audio decoder advances too: webkitAudioDecodedByteCount (Chromium's count
of decoded audio bytes) grows, with no fatal hls.js or media error.  The
same checks fail for a camera whose G.711 audio is not transcoded
(--audio=copy: no audio in HLS), which the test runs second to show that
it can fail.

Chromium and every process started here are stopped by PID (process
group) at the end, also on failure.
"""

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("browser_restream",
                                              os.path.join(HERE, "restream.py"))
br = importlib.util.module_from_spec(spec)
spec.loader.exec_module(br)

STATE_JS = """
(function () {
  var p = (window.arclyPlayers || {})['front'];
  if (!p) return JSON.stringify(null);
  var v = p.video;
  return JSON.stringify({ time: v.currentTime, audio: v.webkitAudioDecodedByteCount,
                          video: v.webkitVideoDecodedByteCount, muted: v.muted,
                          fatal: p.state.fatal, error: v.error ? v.error.code : null });
})()
"""


def watch(mode):
    """Plays the camera in Chromium with arcly-restream --audio=MODE; returns
    (ffprobe streams of the playlist, first state, last state)."""
    out_dir = tempfile.mkdtemp(prefix="arcly-g711-")
    profile = tempfile.mkdtemp(prefix="arcly-chromium-")
    try:
        _, cam = br.spawn_ready([os.environ["ARCLY_TESTCAM"], "--port", "0", "--gop", "30",
                                 "--size", "320x180", "--audio-codec", "pcmu"], "camera")
        _, http = br.spawn_ready([os.environ["ARCLY_RESTREAM"], "--http-port", "0",
                                  "--rtsp-port", "0", "--output", out_dir,
                                  "--camera", "front=" + cam, "--audio=" + mode],
                                 "arcly-restream")
        playlist = os.path.join(out_dir, "front", "playlist.m3u8")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if os.path.exists(playlist) and open(playlist).read().count("#EXTINF") >= 2:
                break
            time.sleep(0.2)
        r = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_name",
                            "-of", "csv=p=0", playlist], capture_output=True, text=True,
                           timeout=60)
        streams = sorted(set(r.stdout.split()))
        cdp = br.Cdp(http, profile)
        first = last = None
        t0 = time.monotonic()
        while time.monotonic() - t0 < 30:
            time.sleep(1)
            s = json.loads(cdp.evaluate(STATE_JS) or "null")
            if not s or s["time"] <= 0:
                continue
            if first is None:
                first = s
            last = s
            if s["time"] > first["time"] + 5 or s["fatal"] or s["error"]:
                break
        return streams, first, last
    finally:
        br.stop_all()
        del br.procs[:]
        shutil.rmtree(out_dir, ignore_errors=True)
        shutil.rmtree(profile, ignore_errors=True)


def plays_with_sound(streams, first, last):
    return (streams == ["aac", "h264"] and first is not None and
            not last["fatal"] and not last["error"] and
            last["time"] > first["time"] + 3 and last["audio"] > first["audio"] > 0)


def main():
    if not os.access(br.CHROMIUM, os.X_OK):
        print("FAIL: %s missing (apt-get install chromium)" % br.CHROMIUM)
        return 1
    ok = True
    streams, first, last = watch("aac")
    print("--audio=aac: playlist %s, player first %s, last %s" % (streams, first, last))
    if plays_with_sound(streams, first, last):
        print("ok: the G.711 camera plays in hls.js with sound (AAC in HLS, audio decoded "
              "%d -> %d bytes while the player advanced %.1f s)"
              % (first["audio"], last["audio"], last["time"] - first["time"]))
    else:
        print("FAIL: the G.711 camera does not play with sound in hls.js")
        ok = False
    # the same checks see the difference: G.711 left out of HLS
    streams, first, last = watch("copy")
    print("--audio=copy: playlist %s, player first %s, last %s" % (streams, first, last))
    if plays_with_sound(streams, first, last):
        print("FAIL: --audio=copy (no audio in HLS) passes the sound checks")
        ok = False
    else:
        print("ok: with --audio=copy the same checks find no sound")
    print("browser restream-g711: %d passed, %d failed" % ((1, 0) if ok else (0, 1)))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
