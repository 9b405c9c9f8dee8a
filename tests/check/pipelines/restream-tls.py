#!/usr/bin/env python3
# gst-arcly
# Copyright (C) 2026 gst-arcly developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""arcly-restream takes an rtsps:// camera: arcly-testcam (gst-rtsp-server)
serves TLS with a certificate openssl signs here with a test CA.  With
--tls-ca-file the camera's HLS playlist fills and its segments decode;
without it the camera fails with the certificate's reason on the console
and nothing is published; with --tls-no-verify it plays, after a warning.
The password in the camera URL shows nowhere.

With the CA, as for the other input kinds (pipelines/restream-inputs): a
late subscriber by key (an RTSP client of the restreamer's RTSP out)
starts on a keyframe, and the camera killed for 5 s and started again on
its port gives exactly one EXT-X-DISCONTINUITY, the playlist goes on and
its newest segment decodes."""

import os
import re
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import restream_proc as rp  # noqa: E402
import restream_inputs as ri  # noqa: E402

PAUSE_S = 5

USER, PASS = "tlsuser", "S3cret-over-TLS"


def segments(playlist):
    try:
        text = open(playlist).read()
    except OSError:
        return []
    return [ln for ln in text.splitlines() if ln and not ln.startswith("#")]


def wait_segments(playlist, n, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(segments(playlist)) >= n:
            return True
        time.sleep(0.1)
    return False


def decodes(out, name):
    """The newest segment with its init segment decodes without an error."""
    d = os.path.join(out, name)
    seg = os.path.join(d, segments(os.path.join(d, "playlist.m3u8"))[-1])
    text = open(os.path.join(d, "playlist.m3u8")).read()
    # the init segment of the newest segment: the last one in the playlist
    init = os.path.join(d, re.findall(r'#EXT-X-MAP:URI="([^"]+)"', text)[-1])
    joined = os.path.join(d, "joined.mp4")
    with open(joined, "wb") as f:
        for p in (init, seg):
            f.write(open(p, "rb").read())
    r = subprocess.run(["ffmpeg", "-v", "error", "-i", joined, "-f", "null", "-"],
                       capture_output=True, text=True, timeout=60)
    return r.returncode == 0 and not r.stderr.strip(), r.stderr


def stop(server):
    """Ctrl-C for one program (the camera goes on)."""
    server.signal(signal.SIGINT)
    try:
        server.p.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.signal(signal.SIGKILL)
        server.p.wait()


def restream(out, url, *extra, rtsp_port=0):
    return rp.Server([os.environ["ARCLY_RESTREAM"], "--camera", "tls=" + url,
                      "--http-port", "0", "--rtsp-port", str(rtsp_port), "--output", out,
                      "--target-duration", "1"] + list(extra))


def first_video_flags(url):
    """Flags of the first video packets a new RTSP client gets."""
    r = subprocess.run(["ffprobe", "-v", "error", "-rtsp_transport", "tcp", "-select_streams",
                        "v:0", "-show_entries", "packet=flags", "-read_intervals", "%+#3",
                        "-of", "csv=p=0", url], capture_output=True, text=True, timeout=30)
    return [ln.strip() for ln in r.stdout.splitlines() if ln.strip()], r.stderr


def pause_camera(cam, argv, out, app, failures):
    """The camera killed (by PID), away for 5 s, started again on its port:
    one EXT-X-DISCONTINUITY and the playlist goes on."""
    pl = os.path.join(out, "tls", "playlist.m3u8")
    before = ri.segments(ri.read_playlist(pl))
    disc0 = ri.discontinuities(ri.read_playlist(pl))
    if disc0:
        # seen under load: a second init segment early in the session
        print("NOTE: %d EXT-X-DISCONTINUITY before the pause:\n%s"
              % (disc0, ri.read_playlist(pl)))
    os.killpg(cam.p.pid, signal.SIGKILL)
    cam.p.wait()
    time.sleep(PAUSE_S)     # the scenario: the camera away for 5 s
    cam = rp.Server(argv)
    resumed = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        text = ri.read_playlist(pl)
        if ri.discontinuities(text) > disc0 and not resumed:
            resumed.append(ri.segments(text))
        if resumed and ri.segments(text) >= resumed[0] + 4:
            break
        time.sleep(0.1)
    text = ri.read_playlist(pl)
    disc, now = ri.discontinuities(text) - disc0, ri.segments(text)
    if disc != 1 or not resumed or now < resumed[0] + 4:
        failures.append("after the camera's 5 s pause: %d new EXT-X-DISCONTINUITY (want 1), "
                        "segments %d before, %s at the tag, %d now:\n%s\n%s"
                        % (disc, before, resumed, now, text, app.output()))
    else:
        print("camera away 5 s: one EXT-X-DISCONTINUITY, %d segments after it"
              % (now - resumed[0]))
        ok, err = decodes(out, "tls")
        if not ok:
            failures.append("after the pause: the newest segment does not decode: " + err)
    return cam


def main():
    failures = []
    with tempfile.TemporaryDirectory() as d:
        try:
            ri.make_tls_certs(d)
            cam_argv = [os.environ["ARCLY_TESTCAM"], "--port", str(rp.free_port()),
                        "--gop", "30", "--size", "320x180", "--bitrate", "400", "--shared",
                        "--auth", "digest", "--user", USER, "--password", PASS,
                        "--tls-cert", os.path.join(d, "cam.pem"),
                        "--tls-key", os.path.join(d, "cam.key")]
            cam = rp.Server(cam_argv)
            if not cam.url.startswith("rtsps://127.0.0.1:"):
                raise SystemExit("FAIL: the camera does not serve rtsps: " + cam.url)
            url = cam.url.replace("rtsps://", "rtsps://%s:%s@" % (USER, PASS))

            # 1. the CA given: plays
            out = os.path.join(d, "with-ca")
            rtsp_port = rp.free_port()
            app = restream(out, url, "--tls-ca-file", os.path.join(d, "ca.pem"),
                           rtsp_port=rtsp_port)
            if not wait_segments(os.path.join(out, "tls", "playlist.m3u8"), 2, 40):
                failures.append("with --tls-ca-file: no HLS segments:\n" + app.output())
            else:
                ok, err = decodes(out, "tls")
                if not ok:
                    failures.append("with --tls-ca-file: the segment does not decode: " + err)
                # a late subscriber by key starts on a keyframe
                flags, err = first_video_flags("rtsp://127.0.0.1:%d/tls" % rtsp_port)
                if not flags or not flags[0].startswith("K"):
                    failures.append("a late RTSP subscriber by key did not start on a "
                                    "keyframe: %s %s" % (flags, err))
                else:
                    print("late subscriber's first video packets: %s" % flags)
                cam = pause_camera(cam, cam_argv, out, app, failures)
            print("with --tls-ca-file: %d segments" %
                  len(segments(os.path.join(out, "tls", "playlist.m3u8"))))
            logs = app.output()
            stop(app)

            # 2. no CA: the system's trust store refuses the test CA
            out = os.path.join(d, "no-ca")
            app = restream(out, url)
            if not app.wait_line("unknown CA", 20):
                failures.append("without a CA: no certificate error:\n" + app.output())
            else:
                line = [ln for ln in app.output().splitlines() if "unknown CA" in ln][0]
                print("without a CA: " + line)
                if "[tls]" not in line or "certificate was refused" not in line:
                    failures.append("unclear error line: " + line)
            if segments(os.path.join(out, "tls", "playlist.m3u8")):
                failures.append("without a CA: segments were published")
            logs += app.output()
            stop(app)

            # 3. validation off, explicitly
            out = os.path.join(d, "no-verify")
            app = restream(out, url, "--tls-no-verify")
            if not wait_segments(os.path.join(out, "tls", "playlist.m3u8"), 2, 40):
                failures.append("with --tls-no-verify: no HLS segments:\n" + app.output())
            if "--tls-no-verify: the certificates" not in app.output():
                failures.append("no warning for --tls-no-verify")
            print("with --tls-no-verify: %d segments" %
                  len(segments(os.path.join(out, "tls", "playlist.m3u8"))))
            logs += app.output()
            if PASS in logs:
                failures.append("the camera password was printed")
        finally:
            rp.stop_all()
    for f in failures:
        print("FAIL:", f)
    if not failures:
        print("PASS: rtsps:// cameras with a CA file, refused without, "
              "played with --tls-no-verify")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
