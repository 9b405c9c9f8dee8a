#!/usr/bin/env python3
# gst-arcly
# Copyright (C) 2026 gst-arcly developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A G.711 camera (arcly-testcam --audio-codec pcmu / pcma) through
arcly-restream, for each --audio mode:
- aac (the default): the HLS playlist carries H.264 + AAC (ffprobe), the
  log says once per subscriber that the audio is transcoded; RTSP out passes G.711 as the camera sent it
  (ffprobe: pcm_mulaw / pcm_alaw at 8 kHz); the recorder's MPEG-TS files
  carry AAC;
- copy: HLS has video only and the log says why; RTSP out still has G.711;
- none: no audio anywhere (HLS, RTSP out);
- a bad --audio value is one clear error line.
The browser side (hls.js plays the transcoded sound) is
browser/restream-g711."""

import glob
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import restream_proc as rp  # noqa: E402

failures = []


def check(ok, what):
    print("%s: %s" % ("ok" if ok else "FAIL", what))
    if not ok:
        failures.append(what)


def probe(url, extra=()):
    r = subprocess.run(["ffprobe", "-v", "error"] + list(extra) +
                       ["-show_entries", "stream=codec_name,sample_rate", "-of", "csv=p=0", url],
                       capture_output=True, text=True, timeout=60)
    return sorted(set(r.stdout.split()))


def wait_segments(playlist, n, timeout=30):
    import time
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if open(playlist).read().count("#EXTINF") >= n:
                return True
        except OSError:
            pass
        time.sleep(0.1)
    return False


def run(codec, mode, out):
    cam = rp.Server([os.environ["ARCLY_TESTCAM"], "--port", "0", "--gop", "30",
                     "--size", "320x180", "--audio-codec", codec])
    rtsp_port = rp.free_port()
    argv = [os.environ["ARCLY_RESTREAM"], "--camera", "front=" + cam.url, "--http-port", "0",
            "--rtsp-port", str(rtsp_port), "--output", out, "--record", out + "/rec"]
    if mode:
        argv.append("--audio=" + mode)
    app = rp.Server(argv)
    check(app.wait_line("connected to", 20), "%s/%s: the camera is ingested" % (codec, mode or "aac"))
    playlist = os.path.join(out, "front", "playlist.m3u8")
    check(wait_segments(playlist, 2), "%s/%s: HLS has segments" % (codec, mode or "aac"))
    hls = probe(playlist)
    rtsp = probe("rtsp://127.0.0.1:%d/front" % rtsp_port, ["-rtsp_transport", "tcp"])
    return cam, app, playlist, hls, rtsp


def main():
    tmp = os.environ.get("TMPDIR", "/tmp")
    outs = []
    try:
        r = subprocess.run([os.environ["ARCLY_RESTREAM"], "--audio=mp3"], capture_output=True,
                           text=True, timeout=30)
        check(r.returncode == 2 and r.stderr.strip() ==
              "arcly-restream: --audio must be aac, copy or none",
              "a bad --audio is one clear error line (%r)" % r.stderr.strip())

        for codec, name in (("pcmu", "pcm_mulaw"), ("pcma", "pcm_alaw")):
            out = os.path.join(tmp, "arcly-g711-%s-%d" % (codec, os.getpid()))
            outs.append(out)
            cam, app, playlist, hls, rtsp = run(codec, None, out)
            check(hls == ["aac,16000", "h264"],
                  "%s/aac: HLS carries H.264 + AAC (%s)" % (codec, hls))
            check(rtsp == ["h264", "%s,8000" % name],
                  "%s/aac: RTSP out passes G.711 as is (%s)" % (codec, rtsp))
            log = app.output()
            check(log.count("audio is transcoded to AAC") == 2,
                  "%s/aac: the log says once per subscriber (HLS, recorder) that it "
                  "transcodes" % codec)
            # the recorder's files: close them (SIGINT finishes them)
            rp.stop_all()
            rec = sorted(glob.glob(os.path.join(out, "rec", "*.ts")))
            rec_streams = probe(rec[0]) if rec else []
            check(rec_streams == ["aac,16000", "h264"],
                  "%s/aac: the recording carries H.264 + AAC (%s)" % (codec, rec_streams))

        out = os.path.join(tmp, "arcly-g711-copy-%d" % os.getpid())
        outs.append(out)
        cam, app, playlist, hls, rtsp = run("pcmu", "copy", out)
        check(hls == ["h264"], "pcmu/copy: HLS has video only (%s)" % hls)
        check(rtsp == ["h264", "pcm_mulaw,8000"], "pcmu/copy: RTSP out has G.711 (%s)" % rtsp)
        check("G.711 PCMU audio cannot be carried: dropped (--audio=copy" in app.output(),
              "pcmu/copy: the log says HLS drops G.711")
        rp.stop_all()

        out = os.path.join(tmp, "arcly-g711-none-%d" % os.getpid())
        outs.append(out)
        cam, app, playlist, hls, rtsp = run("pcmu", "none", out)
        check(hls == ["h264"], "pcmu/none: HLS has video only (%s)" % hls)
        check(rtsp == ["h264"], "pcmu/none: RTSP out has video only (%s)" % rtsp)
        check("audio not used (--audio=none)" in app.output(), "pcmu/none: the log says so")
    finally:
        rp.stop_all()
        for out in outs:
            subprocess.run(["rm", "-rf", out])
    print("FAILED: %d" % len(failures) if failures else "all passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
