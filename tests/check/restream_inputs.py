# gst-arcly
# Copyright (C) 2026 gst-arcly developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Real senders on 127.0.0.1 for every input kind of arcly-restream (SRT
listener and caller, MPEG-TS over UDP unicast and multicast, RTP with an SDP
file, RTMP pulled from nginx's rtmp module), shared by
pipelines/restream-inputs.py and browser/restream-inputs.py.

Every process is started in its own session, kept in restream_proc.procs
and stopped by PID (restream_proc.stop_all), also on failure.  A missing
tool is a failure, never a skip: scripts/arcly installs them all."""

import os
import shutil
import signal
import socket
import struct
import subprocess
import time

import restream_proc as rp

NGINX_RTMP_MODULE = "/usr/lib/nginx/modules/ngx_rtmp_module.so"
PASSPHRASE = "arcly-srt-secret-42"
GROUP = "239.255.42.%d" % (os.getpid() % 200 + 20)


def require_tools():
    missing = [t for t in ("ffmpeg", "ffprobe", "gst-launch-1.0", "nginx")
               if shutil.which(t) is None]
    if not os.path.exists(NGINX_RTMP_MODULE):
        missing.append("libnginx-mod-rtmp (%s)" % NGINX_RTMP_MODULE)
    if missing:
        raise SystemExit("FAIL: missing %s (scripts/arcly setup installs them)"
                         % ", ".join(missing))


def free_udp_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def loopback_multicast_works():
    """Whether this kernel delivers multicast sent on 127.0.0.1 to a member
    joined on 127.0.0.1 (lo has no MULTICAST flag on most machines, yet
    Linux loops it back)."""
    port = free_udp_port()
    r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        r.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        r.bind((GROUP, port))
        r.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                     struct.pack("4s4s", socket.inet_aton(GROUP), socket.inet_aton("127.0.0.1")))
        r.settimeout(1)
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton("127.0.0.1"))
        s.sendto(b"probe", (GROUP, port))
        return r.recvfrom(16)[0] == b"probe"
    except OSError:
        return False
    finally:
        r.close()
        s.close()


def openssl(d, *args):
    r = subprocess.run(["openssl"] + list(args), cwd=d, capture_output=True, text=True,
                       timeout=60)
    if r.returncode != 0:
        raise SystemExit("FAIL: openssl %s: %s" % (args[0], r.stderr))


def make_tls_certs(d):
    """ca.pem, and cam.pem/cam.key for 127.0.0.1 signed by it (the rtsps
    camera: arcly-testcam --tls-cert/--tls-key)."""
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl(d, "req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
            "-subj", "/CN=arcly test CA", "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    openssl(d, "req", "-new", *ec, "-keyout", "cam.key", "-out", "cam.csr",
            "-subj", "/CN=127.0.0.1")
    with open(os.path.join(d, "cam.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
                "extendedKeyUsage=serverAuth\n")
    openssl(d, "x509", "-req", "-in", "cam.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", "cam.pem", "-days", "2", "-extfile", "cam.ext")


def make_hevc_clip(d):
    """The same as H.265 in MPEG-TS (browsers do not play it: checked with
    ffprobe only)."""
    ts = os.path.join(d, "hevc.ts")
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
                    "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=30",
                    "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
                    "-t", "60", "-c:v", "libx265", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                    "-x265-params", "keyint=30:min-keyint=30:scenecut=0:log-level=error",
                    "-b:v", "300k", "-c:a", "aac", "-b:a", "64k", "-ac", "2", "-f", "mpegts", ts],
                   check=True, timeout=180)
    return ts


def make_clips(d):
    """A 60 s 320x180 (no sender loops within a test run) H.264 (GOP 1 s, I420) + AAC clip as MPEG-TS, and the
    same in MP4 (RTP needs AAC's config, which ADTS in TS does not carry)."""
    ts, mp4 = os.path.join(d, "clip.ts"), os.path.join(d, "clip.mp4")
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
                    "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=30",
                    "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
                    "-t", "60", "-c:v", "libx264", "-preset", "veryfast", "-profile:v", "main",
                    "-pix_fmt", "yuv420p", "-g", "30", "-keyint_min", "30", "-sc_threshold", "0",
                    "-b:v", "300k", "-c:a", "aac", "-b:a", "64k", "-ac", "2", "-f", "mpegts", ts],
                   check=True, timeout=120)
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-i", ts,
                    "-c", "copy", mp4], check=True, timeout=60)
    return ts, mp4


class Sender:
    """One sender process, stoppable and restartable (the 5 s pause)."""

    def __init__(self, argv, env=None):
        self.argv, self.env, self.p = argv, env, None
        self.start()

    def start(self):
        self.p = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, start_new_session=True,
                                  env=self.env)
        rp.procs.append(self.p)

    def stop(self, graceful=False):
        """@graceful: the sender closes its connection (ffmpeg on SIGINT),
        as an encoder that stops streaming; else it is gone at once, as a
        crashed encoder or a pulled cable."""
        if self.p.poll() is None:
            os.killpg(self.p.pid, signal.SIGINT if graceful else signal.SIGKILL)
        try:
            self.p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.p.pid, signal.SIGKILL)
            self.p.wait()
        rp.procs.remove(self.p)


def ffmpeg_loop(src, *out):
    return ["ffmpeg", "-hide_banner", "-loglevel", "error", "-re", "-stream_loop", "-1",
            "-i", src] + list(out)


def start_rtmp_nginx(d, port, idle_streams=False):
    """nginx with the rtmp module on 127.0.0.1:PORT, listening when this
    returns: (process, error log path).  idle_streams (nginx's default,
    off here) lets a player wait for a publisher that is not there yet."""
    prefix = os.path.join(d, "nginx")
    os.makedirs(os.path.join(prefix, "logs"), exist_ok=True)
    conf = os.path.join(prefix, "nginx.conf")
    with open(conf, "w") as f:
        f.write("""load_module %s;
daemon off;
master_process off;
pid %s/nginx.pid;
error_log %s/logs/error.log info;
events { worker_connections 64; }
rtmp {
  server {
    listen 127.0.0.1:%d;
    application live { live on;%s }
  }
}
""" % (NGINX_RTMP_MODULE, prefix, prefix, port, "" if idle_streams else " idle_streams off;"))
    p = subprocess.Popen(["nginx", "-p", prefix, "-c", conf], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True)
    rp.procs.append(p)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return p, os.path.join(prefix, "logs", "error.log")
        except OSError:
            if p.poll() is not None:
                break
            time.sleep(0.05)
    raise SystemExit("FAIL: nginx with the rtmp module did not start")


class Setup:
    """The inputs: name -> (URL for --input, Sender or None), plus nginx."""

    def __init__(self, d, multicast=True, kinds=None):
        self.d = d
        self.ts, self.mp4 = make_clips(d)
        self.inputs = {}
        self.senders = {}
        kinds = kinds or ("srtl", "srtc", "udp", "mcast", "rtp", "rtmp")
        if "hevc" in kinds:
            # H.265 + AAC in MPEG-TS over UDP: the h265parse branch
            hevc, p = make_hevc_clip(d), free_udp_port()
            self.inputs["hevc"] = "udp://127.0.0.1:%d" % p
            self.senders["hevc"] = lambda p=p: ffmpeg_loop(
                hevc, "-c", "copy", "-f", "mpegts", "udp://127.0.0.1:%d?pkt_size=1316" % p)
        if "srtl" in kinds:
            # SRT listener: an ffmpeg caller pushes (as OBS does)
            p = free_udp_port()
            self.inputs["srtl"] = "srt://127.0.0.1:%d?mode=listener&latency=120&passphrase=%s" % (
                p, PASSPHRASE)
            self.senders["srtl"] = lambda p=p: ffmpeg_loop(
                self.ts, "-c", "copy", "-f", "mpegts",
                "srt://127.0.0.1:%d?mode=caller&latency=120000&passphrase=%s" % (p, PASSPHRASE))
        if "srtc" in kinds:
            # SRT caller: a gst-launch srtsink listener serves a live encode
            p = free_udp_port()
            self.inputs["srtc"] = "srt://127.0.0.1:%d?mode=caller&latency=120" % p
            self.senders["srtc"] = lambda p=p: [
                "gst-launch-1.0", "-q",
                "videotestsrc", "is-live=true", "pattern=ball", "!",
                "video/x-raw,format=I420,width=320,height=180,framerate=30/1", "!",
                "x264enc", "tune=zerolatency", "key-int-max=30", "bitrate=300",
                "option-string=scenecut=0", "!", "h264parse", "!", "mux.",
                "audiotestsrc", "is-live=true", "!", "audio/x-raw,rate=48000,channels=2", "!",
                "avenc_aac", "!", "aacparse", "!", "mux.",
                "mpegtsmux", "name=mux", "alignment=7", "!",
                "srtsink", "uri=srt://127.0.0.1:%d?mode=listener" % p, "latency=120",
                "wait-for-connection=false"]
        if "udp" in kinds:
            p = free_udp_port()
            self.inputs["udp"] = "udp://127.0.0.1:%d" % p
            self.senders["udp"] = lambda p=p: ffmpeg_loop(
                self.ts, "-c", "copy", "-f", "mpegts", "udp://127.0.0.1:%d?pkt_size=1316" % p)
        if "mcast" in kinds and multicast:
            p = free_udp_port()
            self.inputs["mcast"] = "udp://%s@127.0.0.1:%d" % (GROUP, p)
            self.senders["mcast"] = lambda p=p: ffmpeg_loop(
                self.ts, "-c", "copy", "-f", "mpegts",
                "udp://%s:%d?pkt_size=1316&localaddr=127.0.0.1&ttl=1" % (GROUP, p))
        if "rtp" in kinds:
            pv, pa = free_udp_port(), free_udp_port()
            sdp = os.path.join(d, "rtp.sdp")
            self.inputs["rtp"] = "rtp://127.0.0.1?sdp=%s" % sdp
            self.senders["rtp"] = lambda pv=pv, pa=pa, sdp=sdp: ffmpeg_loop(
                self.mp4, "-map", "0:v", "-c", "copy", "-f", "rtp", "rtp://127.0.0.1:%d" % pv,
                "-map", "0:a", "-c", "copy", "-f", "rtp", "rtp://127.0.0.1:%d" % pa,
                "-sdp_file", sdp)
        if "rtmp" in kinds:
            p = rp.free_port()
            self.start_nginx(p)
            self.inputs["rtmp"] = "rtmp://127.0.0.1:%d/live/cam" % p
            self.senders["rtmp"] = lambda p=p: ffmpeg_loop(
                self.ts, "-c", "copy", "-f", "flv", "rtmp://127.0.0.1:%d/live/cam" % p)
        self.running = {}

    def start_nginx(self, port):
        self.nginx, _ = start_rtmp_nginx(self.d, port)

    def start(self, name):
        self.running[name] = Sender(self.senders[name]())

    # Senders that close their connection when they stop (the input sees
    # the stream end); the others vanish (the input sees silence).
    GRACEFUL = ("srtl", "rtmp")

    def stop(self, name):
        self.running.pop(name).stop(graceful=name in self.GRACEFUL)

    def start_rtp_sdp(self):
        """The RTP sender writes the SDP the input reads: started first."""
        if "rtp" not in self.inputs:
            return
        self.start("rtp")
        sdp = self.inputs["rtp"].split("sdp=", 1)[1]
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if os.path.exists(sdp) and "m=audio" in open(sdp).read():
                return
            time.sleep(0.05)
        raise SystemExit("FAIL: ffmpeg wrote no SDP")

    def args(self):
        a = []
        for name, url in self.inputs.items():
            a += ["--input", "%s=%s" % (name, url)]
        return a


def read_playlist(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def discontinuities(text):
    """Discontinuities since the stream started: the sequence of those that
    left the window plus the tags still in it."""
    seq = 0
    for line in text.splitlines():
        if line.startswith("#EXT-X-DISCONTINUITY-SEQUENCE:"):
            seq = int(line.split(":", 1)[1])
    return seq + text.count("#EXT-X-DISCONTINUITY\n")


def segments(text):
    seq, n = 0, 0
    for line in text.splitlines():
        if line.startswith("#EXT-X-MEDIA-SEQUENCE:"):
            seq = int(line.split(":", 1)[1])
        elif line and not line.startswith("#"):
            n += 1
    return seq + n   # segments written so far


def uneven_decode_times(playlist):
    """Each stream's steps between decode times that are not its frame
    duration (2 ms either way: FLV counts milliseconds), apart from the
    pause itself: a sender's timestamps, also over its reconnect, are
    regular; a receiver that makes them from arrival times is not (tsdemux's
    clock recovery went back by up to 11 ms after a reconnect)."""
    r = subprocess.run(["ffprobe", "-v", "error", "-show_entries",
                        "packet=stream_index,dts_time", "-of", "csv=p=0", playlist],
                       capture_output=True, text=True, timeout=60)
    last, steps = {}, {}
    for line in r.stdout.split():
        try:
            idx, dts = line.split(",")[:2]
            t = float(dts)
        except ValueError:
            continue
        if idx in last:
            steps.setdefault(idx, []).append((t - last[idx], t))
        last[idx] = t
    out = []
    for idx, st in sorted(steps.items()):
        frame = sorted(x for x, _ in st)[len(st) // 2]
        odd = [(x, t) for x, t in st if abs(x - frame) > 0.002 and x < 1.0]
        if odd:
            out.append("stream %s: %d of %d steps off its %.1f ms (%s)"
                       % (idx, len(odd), len(st), frame * 1000,
                          ", ".join("%.1f ms at %.3f s" % (x * 1000, t) for x, t in odd[:8])))
    return out
