#!/usr/bin/env python3
# gst-arcly
# Copyright (C) 2026 gst-arcly developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Cameras as they are, through arcly-restream:

An H.265 + AAC camera (arcly-testcam --codec h265): RTSP out serves HEVC +
AAC (ffprobe), ffmpeg decodes 5 s of it without an error line, GStreamer's
`rtspsrc ! rtph265depay ! avdec_h265` decodes pictures; HLS carries HEVC.
The same client checks RTCP: sender reports reach it for both tracks, each
track's NTP<->RTP mapping advances at its clock rate between two reports,
the NTP times are the wall clock's (same host), and packets of the two
tracks arriving together map to NTP times within 150 ms of each other
(clients can sync A/V from them).

A G.711 camera (arcly-testcam --audio-codec pcmu / pcma), for each --audio
mode:
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
import statistics
import subprocess
import sys
import threading
import time

import gi
gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import restream_proc as rp  # noqa: E402
import rtsp_client  # noqa: E402

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


class SrClient:
    """rtspsrc (TCP) ! rtph265depay ! avdec_h265 plus the audio RTP to a
    fakesink; records every RTP packet's (wall-clock arrival, RTP time) per
    session and the sender reports rtpbin received."""

    def __init__(self, url):
        self.pipe = rtsp_client.rtsp_pipeline(url, {
            "video": "rtph265depay ! avdec_h265 ! "
                     "fakesink name=vsink signal-handoffs=true sync=false async=false",
            "audio": "fakesink async=false sync=false"}, latency=0, protocols="tcp")
        self.lock = threading.Lock()
        self.pictures = 0
        self.packets = {}       # session -> [(unix time, rtp time)]
        self.srs = {}           # session -> [(ntp seconds, rtp time)]
        self.rates = {}
        self.rtpbin = None
        src = self.pipe.get_by_name("s")
        src.connect("new-manager", self._on_manager)
        src.connect("pad-added", self._on_pad)
        self.pipe.get_by_name("vsink").connect("handoff", self._on_picture)

    def _on_picture(self, sink, buf, pad):
        with self.lock:
            self.pictures += 1

    def _on_manager(self, src, rtpbin):
        self.rtpbin = rtpbin
        rtpbin.connect("on-ssrc-active", self._on_active)

    def _on_active(self, rtpbin, session, ssrc):
        sess = rtpbin.emit("get-internal-session", session)
        source = sess.emit("get-source-by-ssrc", ssrc) if sess else None
        stats = source.get_property("stats") if source else None
        if stats is None or not stats.get_value("have-sr"):
            return
        ntp = stats.get_value("sr-ntptime") / 2.0 ** 32
        sr = (ntp, stats.get_value("sr-rtptime"))
        with self.lock:
            srs = self.srs.setdefault(session, [])
            if not srs or srs[-1] != sr:
                srs.append(sr)

    def _on_pad(self, src, pad):
        # recv_rtp_src_SESSION_SSRC_PT
        session = int(pad.get_name().split("_")[3])
        caps = pad.get_current_caps() or pad.query_caps(None)
        self.rates[session] = caps.get_structure(0).get_value("clock-rate")
        pad.add_probe(Gst.PadProbeType.BUFFER, self._on_packet, session)

    def _on_packet(self, pad, info, session):
        head = info.get_buffer().extract_dup(4, 4)
        with self.lock:
            self.packets.setdefault(session, []).append(
                (time.time(), int.from_bytes(head, "big")))
        return Gst.PadProbeReturn.OK

    def delays(self, session):
        """Arrival minus the NTP time (Unix epoch) the last SR maps each
        packet to, for the packets after that SR."""
        with self.lock:
            sr_ntp, sr_rtp = self.srs[session][-1]
            packets = list(self.packets[session])
        rate = self.rates[session]
        out = []
        for arrival, rtp in packets:
            diff = (rtp - sr_rtp + 2 ** 31) % 2 ** 32 - 2 ** 31
            out.append(arrival - (sr_ntp - 2208988800 + diff / rate))
        return out[len(out) // 2:]


def check_h265_rtsp_out(tmp):
    out = os.path.join(tmp, "arcly-h265-%d" % os.getpid())
    try:
        cam = rp.Server([os.environ["ARCLY_TESTCAM"], "--port", "0", "--gop", "30",
                         "--size", "320x180", "--codec", "h265"])
        rtsp_port = rp.free_port()
        app = rp.Server([os.environ["ARCLY_RESTREAM"], "--camera", "front=" + cam.url,
                         "--http-port", "0", "--rtsp-port", str(rtsp_port), "--output", out])
        check(app.wait_line("connected to", 20), "h265: the camera is ingested")
        url = "rtsp://127.0.0.1:%d/front" % rtsp_port
        playlist = os.path.join(out, "front", "playlist.m3u8")
        check(wait_segments(playlist, 2), "h265: HLS has segments")
        check(probe(playlist) == ["aac,48000", "hevc"], "h265: HLS carries HEVC + AAC")
        streams = probe(url, ["-rtsp_transport", "tcp"])
        check(streams == ["aac,48000", "hevc"], "h265: RTSP out serves HEVC + AAC (%s)" % streams)
        r = subprocess.run(["ffmpeg", "-v", "error", "-rtsp_transport", "tcp", "-i", url,
                            "-t", "5", "-enc_time_base", "-1", "-f", "null", "-"], capture_output=True, text=True,
                           timeout=60)
        check(r.returncode == 0 and r.stderr.strip() == "",
              "h265: ffmpeg decodes 5 s of RTSP out without an error (%s; "
              "-enc_time_base: see pipelines/restream-rtsp)"
              % r.stderr.strip()[:300])

        c = SrClient(url)
        c.pipe.set_state(Gst.State.PLAYING)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with c.lock:
                if c.pictures >= 30 and all(len(c.srs.get(i, [])) >= 2 for i in (0, 1)):
                    break
            time.sleep(0.1)
        time.sleep(1)   # packets after the second report
        c.pipe.set_state(Gst.State.NULL)
        check(c.pictures >= 30, "h265: rtspsrc ! rtph265depay ! avdec_h265 decodes "
              "pictures (%d)" % c.pictures)
        ok = all(len(c.srs.get(i, [])) >= 2 for i in (0, 1))
        check(ok, "RTCP: two sender reports per track reach the client (%s)"
              % {k: len(v) for k, v in c.srs.items()})
        if not ok:
            return
        for i in (0, 1):
            (n0, r0), (n1, r1) = c.srs[i][0], c.srs[i][-1]
            drtp = ((r1 - r0) % 2 ** 32) / c.rates[i]
            check(n1 > n0 and abs(drtp - (n1 - n0)) < 0.005,
                  "RTCP session %d: RTP time advances with NTP time between reports "
                  "(%.4f s vs %.4f s)" % (i, drtp, n1 - n0))
        dv, da = statistics.median(c.delays(0)), statistics.median(c.delays(1))
        print("RTCP: arrival minus NTP time of the packet: video %.3f s, audio %.3f s"
              % (dv, da))
        check(abs(dv) < 5 and abs(da) < 5,
              "RTCP: NTP times are the wall clock's (same host, within 5 s)")
        check(abs(dv - da) < 0.150,
              "RTCP: video and audio arriving together map to NTP times within "
              "150 ms (%.0f ms apart)" % ((dv - da) * 1000))
    finally:
        rp.stop_all()
        subprocess.run(["rm", "-rf", out])


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
    Gst.init(None)
    tmp = os.environ.get("TMPDIR", "/tmp")
    check_h265_rtsp_out(tmp)
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
