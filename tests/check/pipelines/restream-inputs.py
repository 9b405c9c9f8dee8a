#!/usr/bin/env python3
# gst-arcly
# Copyright (C) 2026 gst-arcly developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""arcly-restream --input for every kind but RTSP, against real senders on
127.0.0.1: an SRT listener pushed by an ffmpeg caller (with a passphrase),
an SRT caller against a gst-launch srtsink listener, MPEG-TS over UDP
unicast and multicast (loopback multicast when the kernel allows it, said
in the output otherwise) and H.265 + AAC in TS over UDP, RTP H.264 + AAC described by ffmpeg's SDP file,
and RTMP pulled from nginx's rtmp module fed by ffmpeg.

For each input: its HLS output validates in ffprobe (H.264 320x180 +
AAC); a late subscriber by stream key (an RTSP client of the restreamer's
RTSP out) starts on a keyframe; every sender stopped for 5 s and started
again (the SRT caller and the RTMP publisher closing their connections,
the others vanishing without a word) gives exactly one EXT-X-DISCONTINUITY and the playlist goes on, with
one reconnect counted and the state back to streaming; and the recorded
window decodes in ffmpeg without an error.  An input whose peer never
answers is retried with the RTSP cameras' backoff (3 s, then 6 s) while
the others stream; the SRT passphrase never appears in the output; each
input's recording (--record) holds its video and audio.  Then
Ctrl-C with an SRT listener that never got a caller exits within 2 s."""

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import restream_proc as rp  # noqa: E402
import restream_inputs as ri  # noqa: E402

PAUSE_S = 5


def probe_hls(path):
    """codec:details of the streams ffprobe finds in the playlist."""
    r = subprocess.run(["ffprobe", "-v", "error", "-show_entries",
                        "stream=codec_name,width,height,sample_rate", "-of", "csv=p=0", path],
                       capture_output=True, text=True, timeout=30)
    return r.returncode, r.stdout.split(), r.stderr


def first_video_flags(url):
    """Flags of the first video packets a new RTSP client gets."""
    r = subprocess.run(["ffprobe", "-v", "error", "-rtsp_transport", "tcp", "-select_streams",
                        "v:0", "-show_entries", "packet=flags", "-read_intervals", "%+#3",
                        "-of", "csv=p=0", url], capture_output=True, text=True, timeout=30)
    return [l.strip() for l in r.stdout.splitlines() if l.strip()], r.stderr


def udp_port_taken(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.bind(("127.0.0.1", port))
        return False
    except OSError:
        return True
    finally:
        s.close()


def check_inputs(d, failures):
    mc = ri.loopback_multicast_works()
    if not mc:
        print("NOTE: this kernel does not loop multicast back on 127.0.0.1: the multicast "
              "input is NOT tested here")
    setup = ri.Setup(d, multicast=mc, kinds=("srtl", "srtc", "udp", "mcast", "rtp", "rtmp",
                                                "hevc"))
    out = os.path.join(d, "out")
    rtsp_port = rp.free_port()
    dead = ri.free_udp_port()
    setup.start_rtp_sdp()
    rec = os.path.join(d, "rec")
    app = rp.Server([os.environ["ARCLY_RESTREAM"], "--http-port", "0", "--rtsp-port",
                     str(rtsp_port), "--output", out, "--target-duration", "1", "--record", rec]
                    + setup.args() + ["--input", "dead=srt://127.0.0.1:%d?mode=caller" % dead])
    names = list(setup.inputs)
    for n in names:
        if n not in setup.running:
            setup.start(n)
    pl = {n: os.path.join(out, n, "playlist.m3u8") for n in names}

    def segs(n):
        return ri.segments(ri.read_playlist(pl[n]))

    if not rp.wait_until(lambda: all(segs(n) >= 3 for n in names), 60):
        raise SystemExit("FAIL: not every input has 3 segments: %s\n%s"
                         % ({n: segs(n) for n in names}, app.output()))
    print("every input is on air: %s" % {n: segs(n) for n in names})

    for n in names:
        rc, streams, err = probe_hls(pl[n])
        video = "hevc,320,180" if n == "hevc" else "h264,320,180"
        if rc != 0 or video not in streams or "aac,48000" not in streams:
            failures.append("%s: HLS does not validate: %s %s" % (n, streams, err))
        else:
            print("%s: HLS validates: %s" % (n, " ".join(streams)))
        flags, err = first_video_flags("rtsp://127.0.0.1:%d/%s" % (rtsp_port, n))
        if not flags or not flags[0].startswith("K"):
            failures.append("%s: a late RTSP subscriber by key did not start on a keyframe: "
                            "%s %s" % (n, flags, err))
        else:
            print("%s: late subscriber's first video packets: %s" % (n, flags))

    # Every sender goes away for 5 s (the scenario itself), then comes back.
    before = {n: segs(n) for n in names}
    for n in names:
        setup.stop(n)
    print("senders stopped at segments %s" % before)
    time.sleep(PAUSE_S)
    for n in names:
        setup.start(n)
    resumed = {}

    def all_resumed():
        for n in names:
            text = ri.read_playlist(pl[n])
            if ri.discontinuities(text) >= 1 and n not in resumed:
                resumed[n] = ri.segments(text)
        return len(resumed) == len(names) and all(segs(n) >= resumed[n] + 4 for n in names)

    if not rp.wait_until(all_resumed, 60):
        failures.append("not every input resumed after the pause: resumed at %s, now %s"
                        % (resumed, {n: segs(n) for n in names}))
    for n in names:
        disc = ri.discontinuities(ri.read_playlist(pl[n]))
        if disc != 1:
            failures.append("%s: %d EXT-X-DISCONTINUITY after one pause, want 1" % (n, disc))
        else:
            print("%s: one EXT-X-DISCONTINUITY, %d segments after it" % (n, segs(n) - resumed.get(n, 0)))

    # The status lines: each input streaming again with one reconnect.
    def status_ok():
        o = app.output()
        return all(re.search(r"\[%s\] %s streaming .*reconnects 1 " % (n, kind), o)
                   for n, kind in ((n, n if n in ("udp", "rtp", "rtmp") else
                                    "udp" if n in ("mcast", "hevc") else "srt") for n in names))
    if not rp.wait_until(status_ok, 15):
        failures.append("the status lines do not show every input streaming with one reconnect")

    if not rp.wait_until(lambda: "retrying in 6000 ms (attempt 2)" in app.output(), 30):
        failures.append("the unanswered SRT caller is not retried with backoff 3 s, 6 s")
    elif "[dead] srt: " not in app.output() or "retrying in 3000 ms (attempt 1)" not in app.output():
        failures.append("the unanswered SRT caller's first retry is not after 3 s")
    else:
        print("dead input retried after 3 s, then 6 s, the others untouched")

    app.signal(signal.SIGINT)
    try:
        app.p.wait(timeout=20)
    except subprocess.TimeoutExpired:
        failures.append("arcly-restream did not stop on Ctrl-C")
    if app.p.returncode != 0:
        failures.append("arcly-restream exited %s" % app.p.returncode)
    if ri.PASSPHRASE in app.output():
        failures.append("the SRT passphrase appears in the output")
    for n in names:
        # the recorder subscribes by key as for a camera
        rc, streams, err = probe_hls(os.path.join(rec, "%s-00000.ts" % n))
        if rc != 0 or not any(x.startswith(("h264,", "hevc,")) for x in streams) \
                or "aac,48000" not in streams:
            failures.append("%s: the recording does not hold video and audio: %s %s"
                            % (n, streams, err))
        # the recording holds the whole run: both starts of the sender
        irregular = ri.uneven_decode_times(os.path.join(rec, "%s-00000.ts" % n))
        if irregular:
            failures.append("%s: decode times do not advance a frame at a time: %s"
                            % (n, "; ".join(irregular)))
        text = ri.read_playlist(pl[n])
        if "#EXT-X-ENDLIST" not in text:
            failures.append("%s: no EXT-X-ENDLIST after Ctrl-C" % n)
        r = subprocess.run(["ffmpeg", "-v", "error", "-i", pl[n], "-f", "null", "-"],
                           capture_output=True, text=True, timeout=60)
        # The null muxer's "non monotonically increasing dts" (two audio
        # frames with one DTS) also shows in pipelines/restream-recorder
        # with an RTSP camera: the writers' rounding, not the input.  It is
        # printed, not counted; every decoder error fails.
        errors = [l for l in r.stderr.splitlines()
                  if l.strip() and "non monotonically increasing dts" not in l]
        if r.returncode != 0 or errors:
            failures.append("%s: the playlist does not decode cleanly (exit %d): %s"
                            % (n, r.returncode, "\n".join(errors)[-800:]))
        elif r.stderr.strip():
            print("NOTE: %s: %s" % (n, r.stderr.strip()[-300:]))
        # every frame of the window is there (a muxer drops frames whose
        # decode time goes back: RTP from a sender with B-frames)
        r = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-count_packets",
                            "-show_entries", "stream=nb_read_packets:format=duration",
                            "-of", "default=nw=1", pl[n]], capture_output=True, text=True,
                           timeout=60)
        got = dict(l.split("=", 1) for l in r.stdout.split() if "=" in l)
        try:
            frames, dur = int(got["nb_read_packets"]), float(got["duration"])
        except (KeyError, ValueError):
            failures.append("%s: ffprobe cannot count the frames: %s" % (n, r.stdout + r.stderr))
            continue
        if frames < dur * 30 * 0.9:
            failures.append("%s: %d video frames in %.1f s of HLS, want about %d"
                            % (n, frames, dur, dur * 30))
        else:
            print("%s: %d video frames in %.1f s of HLS" % (n, frames, dur))
    print(app.output())


def check_listener_stop(d, failures):
    """Ctrl-C with an SRT listener no caller ever reached."""
    port = ri.free_udp_port()
    app = rp.Server([os.environ["ARCLY_RESTREAM"], "--http-port", "0", "--rtsp-port", "0",
                     "--output", os.path.join(d, "out2"),
                     "--input", "lonely=srt://127.0.0.1:%d?mode=listener" % port])
    if not rp.wait_until(lambda: udp_port_taken(port), 15):
        failures.append("the SRT listener never bound its port")
    t0 = time.monotonic()
    app.signal(signal.SIGINT)
    try:
        app.p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        failures.append("Ctrl-C with a never-called SRT listener hangs")
        return
    took = time.monotonic() - t0
    print("Ctrl-C with a never-called SRT listener: exit %d after %.2f s"
          % (app.p.returncode, took))
    if took > 2.0 or app.p.returncode != 0:
        failures.append("Ctrl-C with a never-called SRT listener: exit %d after %.2f s (want 0 "
                        "within 2 s)" % (app.p.returncode, took))


def main():
    ri.require_tools()
    failures = []
    with tempfile.TemporaryDirectory() as d:
        try:
            check_listener_stop(d, failures)
            rp.stop_all()
            check_inputs(d, failures)
        finally:
            rp.stop_all()
    for f in failures:
        print("FAIL: " + f)
    print("restream-inputs: %s" % ("FAILED" if failures else "passed"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
