#!/usr/bin/env python3
# gst-arcly
# Copyright (C) 2026 gst-arcly developers
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# A scripted RTSP/1.0 server (TCP-interleaved transport only) for the quirk
# tests of arclyrtspsrc.  Python 3 standard library only.  Each --scenario
# reproduces one behaviour of real cameras; see README.md next to this file
# for the list and for the JSON log format.
#
#   python3 rtsp-script-server.py --port 0 --scenario normal --log ev.jsonl
#
# Prints "READY rtsp://127.0.0.1:PORT/stream" as its first and only stdout
# line, writes one JSON object per line to --log, exits 0 on SIGTERM/SIGINT.
# Credentials never go to stdout/stderr, and Authorization values are logged
# only as their parsed, non-secret parts.

import argparse
import base64
import hashlib
import json
import os
import random
import re
import select
import signal
import socket
import struct
import sys
import time
import urllib.parse

# --------------------------------------------------------------------------
# Media: a real, decodable 64x48 H.264 constrained-baseline GOP of 30 frames
# (x264, static colour bars: one IDR + 29 P slices) and one silent AAC-LC
# 48 kHz stereo access unit, both made with:
#   videotestsrc num-buffers=30 pattern=colors !
#     video/x-raw,format=I420,width=64,height=48,framerate=30/1 !
#     x264enc key-int-max=30 bframes=0 speed-preset=ultrafast
#     tune=zerolatency option-string=scenecut=0 ! byte-stream, AU aligned
#   audiotestsrc wave=silence ! audio/x-raw,rate=48000,channels=2 !
#     voaacenc bitrate=16000 ! adts  (header stripped)
# SEI and AUD NAL units were dropped.
H264_SPS = base64.b64decode('Z0LAFdoR7AWoMDA1KAAAAwAIAAADAeR4sXU=')
H264_PPS = base64.b64decode('aM48gA==')
H264_IDR = base64.b64decode(
    'ZYiEBqgxigACyLBwABBdAAEzVgcAAQXQABM1YHAAEF0AATNWBwABBdAAEzVgcAAQXQABM1YH'
    'AAEF0AATNWBwABBdAAEzVgcAAQXQABM1YHAAEF0AATNWBwABBdAAEzVgcAAQXQABM1YHAAEF'
    '0AATNWBwABBdAAEzVgcAAQXQABM1YHAAEF0AATNWBwABBdAAEzVgMAAR+QKAAMVsQAAQZQAB'
    'SPQBwAD8AgAAgK1yCwAD8AgAAgK1yMAACD6tGAABB9WgHAAEIYAARWQAuWHAAEIYAARWQAuW'
    'HAAES2gACDRLDgACJbQABBolhhELAAHqOOAAIIoAAlHsDgACCKAAJR7A4AAgigACUewOAAII'
    'oAAlHsDgACCKAAJR7A4AAgigACUewOAAIIoAAlHsDgACCKAAJR7A4AAgigACUewOAAIIoAAl'
    'HsDgACCKAAJR7A4AAgigACUewOAAIIoAAlHsDgACCKAAJR7A4AAgigACUewOAAIIoAAlHsCA'
    'AEwAavLBywcsHLH4YUsAAeo44AAgigACUewOAAIIoAAlHsDgACCKAAJR7A4AAgigACUewOAA'
    'IIoAAlHsDgACCKAAJR7A4AAgigACUewOAAIIoAAlHsDgACCKAAJR7A4AAgigACUewOAAIIoA'
    'AlHsDgACCKAAJR7A4AAgigACUewOAAIIoAAlHsDgACCKAAJR7A4AAgigACUewIAATABqcsHL'
    'BywcseGFLAAHqOOAAIIoAAlHsDgACCKAAJR7A4AAgigACUewOAAIIoAAlHsDgACCKAAJR7A4'
    'AAgigACUewOAAIIoAAlHsDgACCKAAJR7A4AAgigACUewOAAIIoAAlHsDgACCKAAJR7A4AAgi'
    'gACUewOAAIIoAAlHsDgACCKAAJR7A4AAgigACUewOAAIIoAAlHsCAAEwAanLBywcsHLHipcQ'
    'AASEQABSCQgAAh3EQIAAfgFAAEBWuQWAAfgFAAEBWuQWAAfgEAAEBWuQWAAfgEAAEBWuQOAA'
    'IQQAAiuABMsOAAIQQAAiuABMsOAAIQwAAisgBcsOAAIQwAAisgBcsUsQAAyAAIAVeFg4WHhY'
    'OFj8UsQAAyAAIAVOFg4WDhYOFjxSxAADIAAgBU4WDhYOFg4WPFcQAAR+QABQ0QgAAg0gACkI'
    'mAABB9WjAAAg+rQEAAPwCgACArXILAAPwCgACArXIHAAES2gACDRLDgACJbQABBolhwABCCA'
    'AEVwAJlhwABCCAAEVwAJliliAAGQABACpwsHCw8LBwsfiliAAGQABACpwsHCwcLBwseKWIAA'
    'ZAAEAKnCwcLBwsHCx8A='
)
H264_P = [base64.b64decode(x) for x in (
    'QZogGqGw',
    'QZpAGqGw',
    'QZpgGqGw',
    'QZqAGqGw',
    'QZqgGqGw',
    'QZrAGqGw',
    'QZrgGqGw',
    'QZsAGqGw',
    'QZsgGqGw',
    'QZtAGqGw',
    'QZtgGqGw',
    'QZuAGqGw',
    'QZugGqGw',
    'QZvAGqGw',
    'QZvgGqGw',
    'QZoAGqGw',
    'QZogGqGw',
    'QZpAGqGw',
    'QZpgGqGw',
    'QZqAGqGw',
    'QZqgGqGw',
    'QZrAGqGw',
    'QZrgGqGw',
    'QZsAGqGw',
    'QZsgGqGw',
    'QZtAGqGw',
    'QZtgGqGw',
    'QZuAGqGw',
    'QZugGqGw',
)]
AAC_AU = base64.b64decode('IRAFIKQbw4AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA4')
AAC_CONFIG = "1190"          # AAC-LC, 48000 Hz, 2 channels

VIDEO_PT, AUDIO_PT = 96, 97
VIDEO_CLOCK, AUDIO_CLOCK = 90000, 48000
FPS = 30
GOP = 30
AU_SAMPLES = 1024
FU_MAX = 400                 # RTP payload bytes before FU-A fragmentation
MAX_OUTBUF = 4 << 20         # media is dropped beyond this (client not reading)
MAX_HEADER = 16384
REALM = "arcly-script"
STALE_AFTER = 3.0
SHORT_TIMEOUT = 6
RR_DEADLINE = 5.0
AUDIO_SEND_DELAY = 0.2       # av-offset*: audio leaves this late
WRAP_AFTER = 1.5             # rtp-wrap: RTP time wraps this long after PLAY
CLOCK_DRIFT = 1.02           # clock-drift: the camera's clock runs 2 % fast

SCENARIOS = [
    "normal", "lowercase-headers", "server-channels", "server-request",
    "trickle", "junk-between-frames", "digest-qop-stale", "digest-and-basic",
    "digest-multi-algo", "never-answer", "sdp-faults", "transport-padded",
    "transport-no-interleaved", "rtcp-wrong-channel", "short-session-timeout",
    "needs-rr", "ignores-get-parameter", "digest-uri-check", "not-found",
    "get-parameter-unanswered", "get-parameter-501", "av-offset",
    "av-offset-rtcp-on-rtp", "no-av-track", "oversized-reply", "rtp-wrap",
    "transport-padded-assigned", "digest-control-credentials", "clock-drift",
    # error table of arclyrtspsrc (fail fast until the first PLAY)
    "http-reply", "garbage-status", "big-body", "big-line", "many-headers",
    "big-header-section", "bad-content-length", "forbidden",
    "unsupported-transport", "server-error-then-ok", "drop-after-play",
    # redirects (3xx)
    "redirect-absolute", "redirect-relative", "redirect-port",
    "redirect-loop", "redirect-chain", "redirect-no-location",
    "redirect-basic-host", "redirect-digest-host", "redirect-play",
    # only real media
    "random-frames", "ssrc-change", "foreign-packets",
]
SSRC_CHANGE_AFTER = 2.0      # ssrc-change: the camera "restarts" then
# scenarios whose Transport reply carries no ssrc= (the client locks it)
NO_SSRC_SCENARIOS = ("random-frames", "ssrc-change")
# the redirect target path; other paths are redirected (redirect_reply())
MOVED = "/moved"
REDIRECT_SCENARIOS = ("redirect-absolute", "redirect-relative",
                      "redirect-port", "redirect-loop", "redirect-chain",
                      "redirect-no-location", "redirect-basic-host",
                      "redirect-digest-host", "redirect-play")
# auth only on the redirect target (host "localhost")
REDIRECT_AUTH_SCENARIOS = ("redirect-basic-host", "redirect-digest-host")
# scenarios that answer with a broken reply (fault_reply())
FAULT_SCENARIOS = ("http-reply", "garbage-status", "big-body", "big-line",
                   "many-headers", "big-header-section", "bad-content-length")
DROP_AFTER = 1.5             # drop-after-play: connection 1 closes then
AUTH_SCENARIOS = ("digest-qop-stale", "digest-and-basic", "digest-multi-algo",
                  "digest-uri-check", "digest-control-credentials",
                  "redirect-basic-host", "redirect-digest-host")
# the session times out after SHORT_TIMEOUT without a 2xx keep-alive
SHORT_TIMEOUT_SCENARIOS = ("short-session-timeout", "ignores-get-parameter",
                           "get-parameter-unanswered", "get-parameter-501")
AV_OFFSET_SCENARIOS = ("av-offset", "av-offset-rtcp-on-rtp")

T0 = time.monotonic()
stop_requested = False


def on_signal(signum, frame):
    global stop_requested
    stop_requested = True


def redact(text):
    """Hide any userinfo of a URL: tests see that credentials were sent
    ("***@") without seeing them."""
    return re.sub(r"://[^/\s@]*@", "://***@", text)


class Log:
    def __init__(self, path):
        self.f = open(path, "a", encoding="utf-8") if path else None

    def __call__(self, event, **kw):
        if self.f is None:
            return
        d = {"t": round(time.monotonic() - T0, 3), "event": event}
        d.update(kw)
        self.f.write(json.dumps(d, separators=(",", ":")) + "\n")
        self.f.flush()

    def close(self):
        if self.f:
            self.f.close()


def parse_auth_header(value):
    """Authorization value -> (scheme lower-case, params dict, token)."""
    value = value.strip()
    sp = re.search(r"\s", value)
    if not sp:
        return value.lower(), {}, ""
    scheme, rest = value[:sp.start()].lower(), value[sp.end():]
    params, i, n = {}, 0, len(rest)
    while i < n:
        while i < n and rest[i] in " \t,":
            i += 1
        j = i
        while j < n and rest[j] not in "= \t,":
            j += 1
        name = rest[i:j].lower()
        i = j
        while i < n and rest[i] in " \t":
            i += 1
        if i >= n or rest[i] != "=":
            continue
        i += 1
        while i < n and rest[i] in " \t":
            i += 1
        if i < n and rest[i] == '"':
            i += 1
            out = []
            while i < n and rest[i] != '"':
                if rest[i] == "\\" and i + 1 < n:
                    i += 1
                out.append(rest[i])
                i += 1
            i += 1
            params[name] = "".join(out)
        else:
            j = i
            while j < n and rest[j] not in ", \t":
                j += 1
            params[name] = rest[i:j]
            i = j
    return scheme, params, rest.strip()


def hash_hex(alg, text):
    h = hashlib.sha256 if alg.upper().startswith("SHA-256") else hashlib.md5
    return h(text.encode("utf-8")).hexdigest()


class Auth:
    """Server side of Basic and Digest for the auth scenarios.  Nonces are
    per server (a reconnecting client gets a fresh 401 anyway)."""

    def __init__(self, scenario, user, password, log):
        self.scenario, self.user, self.password, self.log = \
            scenario, user, password, log
        self.nonce = self.new_nonce()
        self.old_nonces = set()
        self.nc_seen = {}
        self.opaque = os.urandom(8).hex()
        self.first_ok = None
        self.stale_sent = False

    @staticmethod
    def new_nonce():
        return base64.b64encode(os.urandom(18)).decode()

    def challenges(self, stale=False):
        st = ", stale=true" if stale else ""
        md5 = ('Digest realm="%s", nonce="%s", qop="auth", algorithm=MD5, '
               'opaque="%s"%s' % (REALM, self.nonce, self.opaque, st))
        if self.scenario == "digest-and-basic":
            return ['Basic realm="%s"' % REALM, md5]
        if self.scenario == "redirect-basic-host":
            return ['Basic realm="%s"' % REALM]
        if self.scenario == "digest-multi-algo":
            sha = ('Digest realm="%s", nonce="%s", qop="auth", '
                   'algorithm=SHA-256, opaque="%s"%s'
                   % (REALM, self.nonce, self.opaque, st))
            return [md5, sha]
        return [md5]

    def check(self, method, uri, header):
        """Returns "ok", "stale" or a refusal reason."""
        info = {"method": method}
        if header is None:
            self.log("auth", ok=False, reason="no-authorization", **info)
            return "no-authorization"
        scheme, params, token = parse_auth_header(header)
        info["scheme"] = scheme.capitalize()
        if scheme == "basic":
            if self.scenario not in ("digest-and-basic",
                                     "redirect-basic-host"):
                return self.refuse("basic-not-offered", info)
            try:
                plain = base64.b64decode(token, validate=True).decode("utf-8")
            except Exception:
                return self.refuse("bad-basic-token", info)
            if plain != "%s:%s" % (self.user, self.password):
                return self.refuse("wrong-credentials", info)
            return self.accept(info)
        if scheme != "digest":
            return self.refuse("unknown-scheme", info)

        alg = params.get("algorithm", "MD5")
        qop = params.get("qop")
        duri = params.get("uri", "")
        info.update(algorithm=alg, qop=qop, nc=params.get("nc"),
                    uri=redact(duri), uri_has_at="@" in duri,
                    opaque_echoed=params.get("opaque") == self.opaque,
                    userhash=params.get("userhash") == "true")
        offered = ("MD5", "SHA-256") if self.scenario == "digest-multi-algo" \
            else ("MD5",)
        if alg.upper() not in offered:
            return self.refuse("algorithm-not-offered", info)
        if self.scenario == "digest-multi-algo" and alg.upper() != "SHA-256":
            return self.refuse("sha-256-required", info)
        if params.get("realm") != REALM:
            return self.refuse("realm-mismatch", info)
        if self.scenario in ("digest-uri-check",
                             "digest-control-credentials") and "@" in duri:
            return self.refuse("uri-has-credentials", info)
        if duri != uri:
            return self.refuse("uri-mismatch", info)
        if params.get("userhash") == "true":
            if params.get("username") != hash_hex(alg, "%s:%s" % (self.user,
                                                                  REALM)):
                return self.refuse("wrong-credentials", info)
        elif params.get("username") != self.user:
            return self.refuse("wrong-credentials", info)
        if params.get("opaque") != self.opaque:
            return self.refuse("opaque-not-echoed", info)
        nonce = params.get("nonce", "")
        if nonce != self.nonce and nonce not in self.old_nonces:
            return self.refuse("unknown-nonce", info)
        ha1 = hash_hex(alg, "%s:%s:%s" % (self.user, REALM, self.password))
        ha2 = hash_hex(alg, "%s:%s" % (method, duri))
        if qop is None:
            # RFC 2069 form: only where both schemes are offered (so that
            # GStreamer's rtspsrc, which speaks only this form, works).
            if self.scenario != "digest-and-basic":
                return self.refuse("qop-required", info)
            expected = hash_hex(alg, "%s:%s:%s" % (ha1, nonce, ha2))
        else:
            nc, cnonce = params.get("nc", ""), params.get("cnonce", "")
            if qop != "auth":
                return self.refuse("bad-qop", info)
            if not re.fullmatch(r"[0-9a-fA-F]{8}", nc) or not cnonce:
                return self.refuse("bad-nc-or-cnonce", info)
            if int(nc, 16) <= self.nc_seen.get(nonce, 0):
                return self.refuse("nc-not-increasing", info)
            expected = hash_hex(alg, "%s:%s:%s:%s:auth:%s"
                                % (ha1, nonce, nc, cnonce, ha2))
        if params.get("response", "").lower() != expected:
            return self.refuse("wrong-credentials", info)
        if qop is not None:
            self.nc_seen[nonce] = int(params["nc"], 16)
        if nonce in self.old_nonces:
            self.log("auth", ok=False, reason="stale", **info)
            return "stale"
        if (self.scenario == "digest-qop-stale" and not self.stale_sent
                and self.first_ok is not None
                and time.monotonic() - self.first_ok >= STALE_AFTER):
            # The nonce "expires": the credentials were right, ask for a
            # renewal (RFC 7616 §3.3, stale=true).
            self.stale_sent = True
            self.old_nonces.add(self.nonce)
            self.nonce = self.new_nonce()
            self.log("auth", ok=False, reason="stale", **info)
            return "stale"
        return self.accept(info)

    def accept(self, info):
        if self.first_ok is None:
            self.first_ok = time.monotonic()
        self.log("auth", ok=True, reason="ok", **info)
        return "ok"

    def refuse(self, reason, info):
        self.log("auth", ok=False, reason=reason, **info)
        return reason


def rtp_packet(pt, marker, seq, ts, ssrc, payload):
    return struct.pack("!BBHII", 0x80, (0x80 if marker else 0) | pt,
                       seq & 0xFFFF, ts & 0xFFFFFFFF, ssrc) + payload


def rtcp_sr(ssrc, rtp_ts, packets, octets, cname):
    ntp = time.time() + 2208988800
    sec = int(ntp)
    frac = int((ntp - sec) * (1 << 32)) & 0xFFFFFFFF
    sr = struct.pack("!BBHIIIIII", 0x80, 200, 6, ssrc, sec & 0xFFFFFFFF, frac,
                     rtp_ts & 0xFFFFFFFF, packets & 0xFFFFFFFF,
                     octets & 0xFFFFFFFF)
    item = bytes([1, len(cname)]) + cname + b"\x00"
    chunk = struct.pack("!I", ssrc) + item
    chunk += b"\x00" * ((-len(chunk)) % 4)
    sdes = struct.pack("!BBH", 0x81, 202, len(chunk) // 4) + chunk
    return sr + sdes


def rtcp_summary(data):
    """Packet types of a compound RTCP packet, and the SSRCs its report
    blocks refer to (SR/RR)."""
    types, report_ssrcs, i = [], [], 0
    while i + 4 <= len(data):
        if data[i] >> 6 != 2:
            break
        rc, pt = data[i] & 0x1F, data[i + 1]
        length = (struct.unpack("!H", data[i + 2:i + 4])[0] + 1) * 4
        types.append(pt)
        first = i + (28 if pt == 200 else 8)
        if pt in (200, 201):
            for k in range(rc):
                off = first + 24 * k
                if off + 4 <= min(len(data), i + length):
                    report_ssrcs.append("%08x" % struct.unpack(
                        "!I", data[off:off + 4])[0])
        i += length
    return types, report_ssrcs


class Track:
    def __init__(self, index, ssrc):
        self.index = index
        self.video = index == 0
        self.pt = VIDEO_PT if self.video else AUDIO_PT
        self.clock = VIDEO_CLOCK if self.video else AUDIO_CLOCK
        self.ssrc = ssrc
        self.seq = random.randint(0, 0xFFFF)
        self.ts0 = random.randint(0, 0xFFFFFFFF)
        self.rtp_ch = self.rtcp_ch = None
        self.send_delay = 0.0   # seconds between capture and sending
        self.packets = self.octets = 0
        self.count = 0          # frames / AUs sent


class Conn:
    def __init__(self, server, sock, cid, port):
        self.srv, self.sock, self.cid = server, sock, cid
        self.port = port            # the listening port it came in on
        self.log = server.log
        self.sc = server.scenario
        self.inbuf = bytearray()
        self.outbuf = bytearray()
        self.closed = False
        self.session = None
        self.tracks = {}
        self.playing = False
        self.play_t0 = 0.0
        self.next_sr = 0.0
        self.last_keepalive = time.monotonic()
        self.last_rr = time.monotonic()
        self.frames_out = 0
        self.overflow_logged = False
        self.server_cseq = 0
        self.server_requests = []   # (due time, method)
        self.setups = 0

    # ---- output -----------------------------------------------------------
    def queue(self, data, media=False):
        if media and len(self.outbuf) > MAX_OUTBUF:
            if not self.overflow_logged:
                self.log("overflow", conn=self.cid, queued=len(self.outbuf))
                self.overflow_logged = True
            return
        self.outbuf += data

    def flush(self):
        if not self.outbuf:
            return
        try:
            if self.sc == "trickle":
                # 1-3 bytes per write, with pauses, for at most ~40 ms per
                # call so reads are still served.
                deadline = time.monotonic() + 0.04
                writes = 0
                while self.outbuf and time.monotonic() < deadline:
                    n = self.sock.send(self.outbuf[:random.randint(1, 3)])
                    del self.outbuf[:n]
                    writes += 1
                    if writes % 4 == 0:
                        time.sleep(0.0002)
            else:
                n = self.sock.send(self.outbuf)
                del self.outbuf[:n]
        except (BlockingIOError, InterruptedError):
            pass
        except OSError as e:
            self.close("send failed: %s" % e.strerror)

    def close(self, reason):
        if self.closed:
            return
        self.closed = True
        self.log("disconnect", conn=self.cid, reason=reason)
        try:
            self.sock.close()
        except OSError:
            pass

    # ---- RTSP messages out --------------------------------------------------
    def header_line(self, name, value):
        if self.sc == "lowercase-headers":
            # Header names in lower case, odd spacing after the colon.
            pad = " " * (3 if name == "CSeq" else random.randint(0, 4))
            return "%s:%s%s\r\n" % (name.lower(), pad, value)
        return "%s: %s\r\n" % (name, value)

    def respond(self, cseq, code, reason, headers=(), body=b"", method=""):
        text = "RTSP/1.0 %d %s\r\n" % (code, reason)
        hdrs = [("CSeq", cseq), ("Server", "arcly-script-server")]
        hdrs += list(headers)
        if body:
            hdrs.append(("Content-Length", str(len(body))))
        for name, value in hdrs:
            text += self.header_line(name, value)
        text += "\r\n"
        self.queue(text.encode("utf-8") + body)
        self.log("response", conn=self.cid, cseq=cseq, status=code,
                 method=method)

    def send_request(self, method):
        self.server_cseq += 1
        hdrs = [("CSeq", str(self.server_cseq))]
        body = b""
        if self.session:
            hdrs.append(("Session", self.session))
        if method == "GET_PARAMETER":
            body = b"position\r\n"
        elif method == "SET_PARAMETER":
            body = b"arcly_test: 1\r\n"
        if body:
            hdrs.append(("Content-Type", "text/parameters"))
            hdrs.append(("Content-Length", str(len(body))))
        text = "%s %s RTSP/1.0\r\n" % (method, self.srv.url)
        for name, value in hdrs:
            text += self.header_line(name, value)
        self.queue(text.encode() + b"\r\n" + body)
        self.log("server-request", conn=self.cid, method=method,
                 cseq=self.server_cseq)

    # ---- input ---------------------------------------------------------------
    def on_readable(self):
        try:
            data = self.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as e:
            self.close("recv failed: %s" % e.strerror)
            return
        if not data:
            self.close("closed by client")
            return
        self.inbuf += data
        self.parse()

    def parse(self):
        while self.inbuf and not self.closed:
            b0 = self.inbuf[0]
            if b0 == 0x24:
                if len(self.inbuf) < 4:
                    return
                ch = self.inbuf[1]
                ln = struct.unpack("!H", self.inbuf[2:4])[0]
                if len(self.inbuf) < 4 + ln:
                    return
                payload = bytes(self.inbuf[4:4 + ln])
                del self.inbuf[:4 + ln]
                self.on_frame(ch, payload)
                continue
            if b0 in (0x0D, 0x0A):
                del self.inbuf[0]
                continue
            if not (0x41 <= b0 <= 0x5A or 0x61 <= b0 <= 0x7A):
                self.log("junk", conn=self.cid, byte=b0)
                del self.inbuf[0]
                continue
            m = re.search(rb"\r?\n\r?\n", self.inbuf)
            if m is None:
                if len(self.inbuf) > MAX_HEADER:
                    self.close("header too long")
                return
            head = self.inbuf[:m.start()].decode("utf-8", "replace")
            lines = re.split(r"\r?\n", head)
            headers = []
            for line in lines[1:]:
                if ":" in line:
                    k, v = line.split(":", 1)
                    headers.append((k.strip(), v.strip()))
            hl = {k.lower(): v for k, v in headers}
            try:
                clen = int(hl.get("content-length", "0"))
            except ValueError:
                clen = 0
            if clen < 0 or clen > 65536:
                self.close("bad content-length")
                return
            if len(self.inbuf) < m.end() + clen:
                return
            body = bytes(self.inbuf[m.end():m.end() + clen])
            del self.inbuf[:m.end() + clen]
            first = lines[0].split(" ", 2)
            if lines[0].startswith("RTSP/"):
                self.log("client-response", conn=self.cid,
                         status=int(first[1]) if len(first) > 1
                         and first[1].isdigit() else 0,
                         cseq=hl.get("cseq"), headers=self.loggable(headers))
            elif len(first) == 3:
                self.on_request(first[0], first[1], headers, hl, body)
            else:
                self.log("bad-request-line", conn=self.cid)

    def loggable(self, headers):
        out = {}
        for k, v in headers:
            if k.lower() in ("authorization", "proxy-authorization"):
                v = v.split(" ", 1)[0] + " <redacted>"
            out[k] = redact(v)
        return out

    def on_frame(self, ch, payload):
        ev = {"conn": self.cid, "channel": ch, "len": len(payload)}
        if len(payload) >= 2 and 200 <= payload[1] <= 204:
            types, ssrcs = rtcp_summary(payload)
            ev["rtcp"] = types
            ev["report_ssrcs"] = ssrcs
            if 201 in types or (200 in types and ssrcs):
                self.last_rr = time.monotonic()
        else:
            ev["rtcp"] = None
        self.log("frame", **ev)

    # ---- requests --------------------------------------------------------------
    def on_request(self, method, uri, headers, hl, body):
        cseq = hl.get("cseq", "0")
        self.log("request", conn=self.cid, method=method, uri=redact(uri),
                 cseq=cseq, headers=self.loggable(headers),
                 body_len=len(body))
        if self.sc == "never-answer":
            return
        if self.redirect_reply(method.upper(), cseq, uri):
            return
        if self.srv.auth is not None and (
                self.sc not in REDIRECT_AUTH_SCENARIOS or
                urllib.parse.urlsplit(uri).path.startswith(MOVED)):
            verdict = self.srv.auth.check(method, uri, hl.get("authorization"))
            if verdict != "ok":
                chal = self.srv.auth.challenges(stale=(verdict == "stale"))
                self.respond(cseq, 401, "Unauthorized",
                             [("WWW-Authenticate", c) for c in chal],
                             method=method)
                return
        if self.fault_reply(method.upper(), cseq):
            return
        handler = getattr(self, "do_" + method.upper(), None)
        if handler is None:
            self.respond(cseq, 501, "Not Implemented", method=method)
            return
        code = handler(cseq, uri, hl, body)
        if code is not None and 200 <= code < 300 and self.session \
                and method.upper() != "TEARDOWN":
            self.last_keepalive = time.monotonic()

    def redirect_reply(self, method, cseq, uri):
        """The redirect scenarios: requests to a path other than MOVED (or,
        for redirect-port, to the first port) get a 3xx.  True when the
        request was answered."""
        sc = self.sc
        if sc not in REDIRECT_SCENARIOS:
            return False
        path = urllib.parse.urlsplit(uri).path
        here = "rtsp://127.0.0.1:%d" % self.port
        if sc == "redirect-port":
            if self.port == self.srv.port2 or method != "DESCRIBE":
                return False
            loc, code = "rtsp://127.0.0.1:%d/stream" % self.srv.port2, 302
        elif path.startswith(MOVED):
            return False
        elif sc == "redirect-absolute" and method == "OPTIONS":
            loc, code = here + MOVED, 301
        elif sc == "redirect-relative" and method == "DESCRIBE":
            # relative to the request URL: replaces its last segment
            loc, code = MOVED[1:], 302
        elif sc == "redirect-loop" and method == "DESCRIBE":
            loc = here + ("/loop-b" if path == "/loop-a" else "/loop-a")
            code = 307
        elif sc == "redirect-chain" and method == "DESCRIBE":
            # /stream -> /hop1 -> ... -> /hop6 -> MOVED: six hops
            m = re.match(r"/hop(\d+)$", path)
            n = int(m.group(1)) if m else 0
            loc = here + (MOVED if n >= 6 else "/hop%d" % (n + 1))
            code = 302
        elif sc == "redirect-no-location" and method == "DESCRIBE":
            self.respond(cseq, 302, "Found", method=method)
            self.log("redirect", conn=self.cid, method=method, status=302,
                     location=None)
            return True
        elif sc in REDIRECT_AUTH_SCENARIOS and method == "DESCRIBE":
            loc = "rtsp://localhost:%d%s" % (self.port, MOVED)
            code = 303
        elif sc == "redirect-play" and method == "PLAY" and self.cid == 1:
            loc, code = here + MOVED, 302
        else:
            return False
        self.respond(cseq, code, "Redirect", [("Location", loc)],
                     method=method)
        self.log("redirect", conn=self.cid, method=method, status=code,
                 location=redact(loc))
        return True

    def fault_reply(self, method, cseq):
        """The error-table scenarios: a reply that is not (valid) RTSP, or
        a status that cannot work.  True when the request was answered."""
        sc = self.sc
        if sc == "http-reply":
            # the camera's web server: every request gets a web page
            page = b"<html><body>IP camera login</body></html>\r\n"
            head = ("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
                    "Content-Length: %d\r\n\r\n" % len(page))
            self.queue(head.encode() + page)
        elif sc == "garbage-status":
            self.queue(("RTSP/1.0 2OO OK\r\nCSeq: %s\r\n\r\n" %
                        cseq).encode())
        elif sc in FAULT_SCENARIOS and method == "DESCRIBE":
            head = "RTSP/1.0 200 OK\r\nCSeq: %s\r\n" % cseq
            if sc == "big-body":
                head += "Content-Type: application/sdp\r\n"
                head += "Content-Length: 10000000\r\n\r\n"
                data = head.encode() + b"v=0\r\n" * 2000
            elif sc == "big-line":
                data = head.encode() + b"X-Junk: " + b"a" * 70000
            elif sc == "many-headers":
                for i in range(200):
                    head += "X-H%d: v\r\n" % i
                data = head.encode() + b"\r\n"
            elif sc == "big-header-section":
                # every line under the line bound, the section over 16 KiB
                for i in range(8):
                    head += "X-Big%d: %s\r\n" % (i, "b" * 3000)
                data = head.encode() + b"\r\n"
            else:
                head += "Content-Type: application/sdp\r\n"
                head += "Content-Length: -5\r\n\r\n"
                data = head.encode()
            self.queue(data)
        elif sc == "forbidden" and method == "DESCRIBE":
            self.respond(cseq, 403, "Forbidden", method=method)
        elif sc == "unsupported-transport" and method == "SETUP":
            self.respond(cseq, 461, "Unsupported Transport", method=method)
        elif sc == "server-error-then-ok" and method == "DESCRIBE" \
                and self.cid <= 2:
            self.respond(cseq, 503, "Service Unavailable", method=method)
        else:
            return False
        self.log("fault", conn=self.cid, method=method)
        return True

    def session_headers(self):
        timeout = SHORT_TIMEOUT if self.sc in SHORT_TIMEOUT_SCENARIOS + (
            "digest-qop-stale",) else 60
        return [("Session", "%s;timeout=%d" % (self.session, timeout))]

    def do_OPTIONS(self, cseq, uri, hl, body):
        public = "OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, TEARDOWN"
        if self.sc != "ignores-get-parameter":
            public += ", GET_PARAMETER, SET_PARAMETER"
        hdrs = [("Public", public)]
        if self.session and "session" in hl:
            hdrs += self.session_headers()
        self.respond(cseq, 200, "OK", hdrs, method="OPTIONS")
        return 200

    def do_DESCRIBE(self, cseq, uri, hl, body):
        if self.sc == "not-found":
            self.respond(cseq, 404, "Not Found", method="DESCRIBE")
            return 404
        if self.sc == "oversized-reply" and self.cid <= 3:
            # connection 1: a body far over any sane SDP; 2: a header line
            # of 70000 bytes; 3: 200 headers.  From connection 4: normal.
            head = "RTSP/1.0 200 OK\r\nCSeq: %s\r\n" % cseq
            if self.cid == 1:
                head += "Content-Type: application/sdp\r\n"
                head += "Content-Length: 10000000\r\n\r\n"
                self.queue(head.encode() + b"v=0\r\n" * 2000)
            elif self.cid == 2:
                self.queue(head.encode() + b"X-Junk: " + b"a" * 70000)
            else:
                for i in range(200):
                    head += "X-H%d: v\r\n" % i
                self.queue(head.encode() + b"\r\n")
            self.log("oversized", conn=self.cid)
            return None
        sdp = self.srv.sdp().encode()
        base = self.srv.url + "/"
        if self.sc in REDIRECT_SCENARIOS:
            # where the request went (after the redirect)
            parts = urllib.parse.urlsplit(uri)
            base = "rtsp://%s%s/" % (parts.netloc.rsplit("@", 1)[-1],
                                     parts.path.rstrip("/"))
        if self.sc == "digest-uri-check":
            base = "rtsp://%s:%s@127.0.0.1:%d/stream/" % (
                urllib.parse.quote(self.srv.user, safe=""),
                urllib.parse.quote(self.srv.password, safe=""), self.srv.port)
        self.respond(cseq, 200, "OK", [("Content-Type", "application/sdp"),
                                       ("Content-Base", base)], sdp,
                     method="DESCRIBE")
        return 200

    def do_SETUP(self, cseq, uri, hl, body):
        m = re.search(r"trackID=(\d+)", uri)
        if not m or int(m.group(1)) > 1:
            self.respond(cseq, 404, "Not Found", method="SETUP")
            return 404
        index = int(m.group(1))
        transport = hl.get("transport", "")
        if "TCP" not in transport.upper():
            self.respond(cseq, 461, "Unsupported Transport", method="SETUP")
            return 461
        if self.session is not None and "session" in hl and \
                hl["session"].split(";")[0].strip() != self.session:
            self.respond(cseq, 454, "Session Not Found", method="SETUP")
            return 454
        im = re.search(r"interleaved\s*=\s*(\d+)(?:\s*-\s*(\d+))?", transport)
        if im:
            rtp = int(im.group(1))
            rtcp = int(im.group(2)) if im.group(2) else rtp + 1
        else:
            rtp, rtcp = 2 * index, 2 * index + 1
        if self.sc in ("server-channels", "transport-padded-assigned"):
            # Whatever was asked: the first SETUP gets 4-5, the second 6-7.
            rtp = 4 + 2 * self.setups
            rtcp = rtp + 1
        self.setups += 1
        padded = self.sc in ("transport-padded", "transport-padded-assigned")
        ssrc = 0xD93FF if padded and index == 0 \
            else random.randint(1, 0xFFFFFFFF)
        if padded and index == 1:
            ssrc = 0x1A2B3
        track = Track(index, ssrc)
        track.rtp_ch, track.rtcp_ch = rtp, rtcp
        if self.sc == "rtp-wrap":
            track.ts0 = (1 << 32) - int(WRAP_AFTER * track.clock)
        if self.sc in AV_OFFSET_SCENARIOS and not track.video:
            track.send_delay = AUDIO_SEND_DELAY
        self.tracks[index] = track
        if self.session is None:
            self.session = "%08X" % random.randint(0x10000000, 0xFFFFFFFF)
        if self.sc == "transport-padded":
            reply = "RTP/AVP/TCP;unicast;interleaved=%d-%d;ssrc=     %X" % (
                rtp, rtcp, ssrc)
        elif self.sc == "transport-padded-assigned":
            # padded SSRC after the channels (video) or before them (audio)
            if index == 0:
                reply = "RTP/AVP/TCP;unicast;interleaved=%d-%d;ssrc=     %X" \
                    % (rtp, rtcp, ssrc)
            else:
                reply = "RTP/AVP/TCP;unicast;ssrc=     %X;interleaved=%d-%d" \
                    % (ssrc, rtp, rtcp)
        elif self.sc == "transport-no-interleaved":
            reply = "RTP/AVP/TCP;unicast;mode=\"PLAY\""
        elif self.sc in NO_SSRC_SCENARIOS:
            reply = "RTP/AVP/TCP;unicast;interleaved=%d-%d;mode=play" % (
                rtp, rtcp)
        else:
            reply = "RTP/AVP/TCP;unicast;interleaved=%d-%d;ssrc=%08X;mode=play"\
                % (rtp, rtcp, ssrc)
        self.log("setup", conn=self.cid, track=index, rtp_channel=rtp,
                 rtcp_channel=rtcp, ssrc="%08x" % ssrc)
        self.respond(cseq, 200, "OK", [("Transport", reply)] +
                     self.session_headers(), method="SETUP")
        return 200

    def do_PLAY(self, cseq, uri, hl, body):
        if not self.tracks:
            self.respond(cseq, 455, "Method Not Valid in This State",
                         method="PLAY")
            return 455
        infos = []
        for t in sorted(self.tracks.values(), key=lambda t: t.index):
            infos.append("url=%s/trackID=%d;seq=%d;rtptime=%d" % (
                self.srv.url, t.index, t.seq, t.ts0))
        hdrs = [("Range", "npt=0.000-")]
        if self.sc not in AV_OFFSET_SCENARIOS:
            # without RTP-Info only the sender reports can align the tracks
            hdrs.append(("RTP-Info", ",".join(infos)))
        self.respond(cseq, 200, "OK", hdrs + self.session_headers(),
                     method="PLAY")
        if not self.playing:
            self.playing = True
            now = time.monotonic()
            self.play_t0 = now
            self.next_sr = now + 0.2
            self.last_rr = now
            self.last_keepalive = now
            for t in self.tracks.values():
                t.count = 0
            if self.sc == "server-request":
                self.server_requests = [(now + 1.0, "OPTIONS"),
                                        (now + 2.0, "GET_PARAMETER"),
                                        (now + 3.0, "SET_PARAMETER")]
            self.log("playing", conn=self.cid,
                     tracks=sorted(self.tracks.keys()))
        return 200

    def do_PAUSE(self, cseq, uri, hl, body):
        self.playing = False
        self.respond(cseq, 200, "OK", self.session_headers(), method="PAUSE")
        return 200

    def do_GET_PARAMETER(self, cseq, uri, hl, body):
        if self.sc in ("ignores-get-parameter", "get-parameter-501"):
            self.respond(cseq, 501, "Not Implemented", method="GET_PARAMETER")
            return 501
        if self.sc == "get-parameter-unanswered":
            self.log("unanswered", conn=self.cid, cseq=cseq)
            return None
        hdrs = self.session_headers() if self.session else []
        self.respond(cseq, 200, "OK", hdrs, method="GET_PARAMETER")
        return 200

    def do_SET_PARAMETER(self, cseq, uri, hl, body):
        hdrs = self.session_headers() if self.session else []
        self.respond(cseq, 200, "OK", hdrs, method="SET_PARAMETER")
        return 200

    def do_TEARDOWN(self, cseq, uri, hl, body):
        self.playing = False
        self.respond(cseq, 200, "OK", method="TEARDOWN")
        self.log("teardown", conn=self.cid)
        self.session = None
        self.tracks = {}
        self.setups = 0
        return 200

    # ---- media -------------------------------------------------------------
    def frame_out(self, ch, packet):
        prefix = b""
        self.frames_out += 1
        if self.sc == "junk-between-frames":
            if self.frames_out % 7 == 0:
                prefix += b"\r\n"
            if self.frames_out % 23 == 0:
                prefix += b"\x00\xff\x01"       # no '$', no letters
        self.queue(prefix + b"$" + bytes([ch]) + struct.pack("!H", len(packet))
                   + packet, media=True)

    def send_rtp(self, t, marker, ts, payload):
        pkt = rtp_packet(t.pt, marker, t.seq, ts, t.ssrc, payload)
        t.seq = (t.seq + 1) & 0xFFFF
        t.packets += 1
        t.octets += len(payload)
        self.frame_out(t.rtp_ch, pkt)
        if self.sc == "foreign-packets" and t.video:
            # after every real packet: another source, another payload
            # type, and a frame too short to be RTP
            self.frame_out(t.rtp_ch, rtp_packet(
                t.pt, marker, t.seq, ts, t.ssrc ^ 0xFFFFFFFF, payload))
            self.frame_out(t.rtp_ch, rtp_packet(
                111, False, t.seq, ts, t.ssrc, payload))
            self.frame_out(t.rtp_ch, b"\x80")

    def send_random(self, t):
        """random-frames: what arrives on the RTP channel is random bytes,
        every fourth frame empty; never a packet of the track."""
        t.count += 1
        n = 0 if t.count % 4 == 0 else random.randint(1, 300)
        self.frame_out(t.rtp_ch, os.urandom(n))

    def drift(self):
        return CLOCK_DRIFT if self.sc == "clock-drift" else 1.0

    def send_video_frame(self, t):
        n = t.count
        ts = t.ts0 + int(n * (VIDEO_CLOCK // FPS) * self.drift())
        idx = n % GOP
        if idx == 0:
            nals = [H264_SPS, H264_PPS, H264_IDR]
        else:
            nals = [H264_P[idx - 1]]
        for k, nal in enumerate(nals):
            last = k == len(nals) - 1
            if len(nal) <= FU_MAX:
                self.send_rtp(t, last, ts, nal)
                continue
            # FU-A (RFC 6184 §5.8)
            ind = (nal[0] & 0xE0) | 28
            body = nal[1:]
            pos = 0
            while pos < len(body):
                chunk = body[pos:pos + FU_MAX]
                start, end = pos == 0, pos + FU_MAX >= len(body)
                fuh = (0x80 if start else 0) | (0x40 if end else 0) | \
                    (nal[0] & 0x1F)
                self.send_rtp(t, last and end, ts, bytes([ind, fuh]) + chunk)
                pos += FU_MAX
        t.count += 1

    def send_audio_au(self, t):
        ts = t.ts0 + int(t.count * AU_SAMPLES * self.drift())
        # RFC 3640 AAC-hbr: AU-headers-length (16 bits) then one 16-bit AU
        # header: 13-bit size, 3-bit index.
        payload = struct.pack("!HH", 16, (len(AAC_AU) << 3) | 0) + AAC_AU
        self.send_rtp(t, True, ts, payload)
        t.count += 1

    def send_sr(self, now):
        for t in self.tracks.values():
            rtp_ts = t.ts0 + int((now - self.play_t0) * t.clock *
                                 self.drift())
            pkt = rtcp_sr(t.ssrc, rtp_ts, t.packets, t.octets,
                          b"arcly-script@127.0.0.1")
            ch = t.rtp_ch if self.sc in ("rtcp-wrong-channel",
                                         "av-offset-rtcp-on-rtp") \
                else t.rtcp_ch
            self.frame_out(ch, pkt)

    def next_due(self):
        due = [time.monotonic() + 0.1]
        if self.playing:
            for t in self.tracks.values():
                period = 1.0 / FPS if t.video else AU_SAMPLES / AUDIO_CLOCK
                due.append(self.play_t0 + t.send_delay + t.count * period)
            due.append(self.next_sr)
        due += [d for d, _ in self.server_requests]
        return min(due)

    def tick(self, now):
        if self.closed:
            return
        for item in list(self.server_requests):
            if now >= item[0]:
                self.server_requests.remove(item)
                self.send_request(item[1])
        if not self.playing:
            return
        if now - self.play_t0 > DROP_AFTER and (
                (self.sc == "drop-after-play" and self.cid == 1) or
                (self.sc == "redirect-relative" and not self.srv.dropped)):
            self.srv.dropped = True
            self.close("dropped after play")
            return
        for t in self.tracks.values():
            period = 1.0 / FPS if t.video else AU_SAMPLES / AUDIO_CLOCK
            sent = 0
            start = self.play_t0 + t.send_delay
            if self.sc == "ssrc-change" and not getattr(t, "changed", False) \
                    and now - self.play_t0 >= SSRC_CHANGE_AFTER and \
                    (not t.video or t.count % GOP == 0):
                # the camera restarted: new source, sequence and clock
                t.changed = True
                t.ssrc = random.randint(1, 0xFFFFFFFF)
                t.seq = random.randint(0, 0xFFFF)
                t.ts0 = random.randint(0, 0xFFFFFFFF)
                self.log("ssrc-change", conn=self.cid, track=t.index,
                         ssrc="%08x" % t.ssrc)
            while now >= start + t.count * period and sent < 10:
                if self.sc == "random-frames":
                    self.send_random(t)
                elif t.video:
                    self.send_video_frame(t)
                else:
                    self.send_audio_au(t)
                sent += 1
            if now > start + t.count * period + 1.0:
                # Stalled for over a second (a loaded machine): skip ahead
                # rather than burst; timestamps jump like a real camera's.
                t.count = int((now - start) / period)
        if now >= self.next_sr:
            self.send_sr(now)
            self.next_sr = now + 1.0
        # get-parameter-unanswered expires the session at the timeout
        # itself, as many cameras do; the others allow 0.5 s more.
        grace = 0.0 if self.sc == "get-parameter-unanswered" else 0.5
        if self.sc in SHORT_TIMEOUT_SCENARIOS and \
                now - self.last_keepalive > SHORT_TIMEOUT + grace:
            self.log("session-timeout", conn=self.cid,
                     idle=round(now - self.last_keepalive, 3))
            self.close("session timed out")
            return
        if self.sc == "needs-rr" and now - self.last_rr > RR_DEADLINE:
            self.log("no-receiver-report", conn=self.cid,
                     idle=round(now - self.last_rr, 3))
            self.close("no RTCP receiver report")


class Server:
    def __init__(self, args):
        self.scenario = args.scenario
        self.user, self.password = args.user, args.password
        self.log = Log(args.log)
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", args.port))
        self.listener.listen(8)
        self.listener.setblocking(False)
        self.port = self.listener.getsockname()[1]
        self.url = "rtsp://127.0.0.1:%d/stream" % self.port
        # redirect-port: a second listener the first one redirects to
        self.listener2 = None
        self.port2 = None
        if self.scenario == "redirect-port":
            self.listener2 = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.listener2.bind(("127.0.0.1", 0))
            self.listener2.listen(8)
            self.listener2.setblocking(False)
            self.port2 = self.listener2.getsockname()[1]
        self.auth = Auth(self.scenario, self.user, self.password, self.log) \
            if self.scenario in AUTH_SCENARIOS else None
        self.conns = []
        self.next_cid = 1
        self.dropped = False        # redirect-relative dropped once
        self.max_seconds = args.max_seconds

    def sdp(self):
        sps_b64 = base64.b64encode(H264_SPS).decode()
        pps_b64 = base64.b64encode(H264_PPS).decode()
        plid = H264_SPS[1:4].hex()
        aac = ("streamtype=5;profile-level-id=1;mode=AAC-hbr;sizelength=13;"
               "indexlength=3;indexdeltalength=3;config=%s" % AAC_CONFIG)
        lines = ["v=0",
                 "o=- 1700000000 1 IN IP4 127.0.0.1",
                 "s=arcly script server",
                 "i=scenario %s" % self.scenario,
                 "c=IN IP4 0.0.0.0"]
        if self.scenario == "sdp-faults":
            # As seen in the field: no v= nor s=, an o= without its address
            # type, a doubled "c=IN", mixed-case fmtp keys, and
            # sprop-parameter-sets whose NAL units carry Annex-B start codes.
            sc = b"\x00\x00\x00\x01"
            sps_b64 = base64.b64encode(sc + H264_SPS).decode()
            pps_b64 = base64.b64encode(sc + H264_PPS).decode()
            aac = ("streamtype=5;profile-level-id=1;mode=AAC-hbr;"
                   "SizeLength=13;IndexLength=3;IndexDeltaLength=3;"
                   "config=%s" % AAC_CONFIG)
            lines = ["o=- 1700000000 1 IN 127.0.0.1",
                     "c=IN c=IN IP4 0.0.0.0"]
        vctl, actl = "trackID=0", "trackID=1"
        if self.scenario == "digest-control-credentials":
            # absolute controls that carry the credentials
            cred = "rtsp://%s:%s@127.0.0.1:%d/stream/" % (
                urllib.parse.quote(self.user, safe=""),
                urllib.parse.quote(self.password, safe=""), self.port)
            vctl, actl = cred + vctl, cred + actl
        if self.scenario == "no-av-track":
            # an ONVIF metadata stream only: nothing a video/audio client
            # can use
            lines += ["t=0 0", "a=control:*",
                      "m=application 0 RTP/AVP 107",
                      "a=rtpmap:107 vnd.onvif.metadata/90000",
                      "a=control:trackID=2"]
            return "\r\n".join(lines) + "\r\n"
        lines += ["t=0 0",
                  "a=tool:arcly-script-server",
                  "a=type:broadcast",
                  "a=control:*",
                  "a=range:npt=0-",
                  "m=video 0 RTP/AVP %d" % VIDEO_PT,
                  "b=AS:100",
                  "a=rtpmap:%d H264/%d" % (VIDEO_PT, VIDEO_CLOCK),
                  "a=fmtp:%d packetization-mode=1;profile-level-id=%s;"
                  "sprop-parameter-sets=%s,%s" % (VIDEO_PT, plid, sps_b64,
                                                  pps_b64),
                  "a=framerate:%d" % FPS,
                  "a=control:%s" % vctl,
                  "m=audio 0 RTP/AVP %d" % AUDIO_PT,
                  "b=AS:32",
                  "a=rtpmap:%d MPEG4-GENERIC/%d/2" % (AUDIO_PT, AUDIO_CLOCK),
                  "a=fmtp:%d %s" % (AUDIO_PT, aac),
                  "a=control:%s" % actl]
        return "\r\n".join(lines) + "\r\n"

    def accept(self, listener):
        try:
            sock, peer = listener.accept()
        except (BlockingIOError, InterruptedError):
            return
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn = Conn(self, sock, self.next_cid, listener.getsockname()[1])
        self.next_cid += 1
        self.conns.append(conn)
        self.log("connect", conn=conn.cid, peer="%s:%d" % peer)

    def run(self):
        self.log("listening", port=self.port, scenario=self.scenario)
        sys.stdout.write("READY %s\n" % self.url)
        sys.stdout.flush()
        deadline = time.monotonic() + self.max_seconds
        while not stop_requested:
            now = time.monotonic()
            if now > deadline:
                self.log("max-seconds-reached")
                break
            timeout = 0.1
            for c in self.conns:
                timeout = min(timeout, max(0.0, c.next_due() - now))
            listeners = [self.listener] + \
                ([self.listener2] if self.listener2 else [])
            rlist = listeners + [c.sock for c in self.conns]
            wlist = [c.sock for c in self.conns if c.outbuf]
            try:
                r, w, _ = select.select(rlist, wlist, [], timeout)
            except InterruptedError:
                continue
            for lst in listeners:
                if lst in r:
                    self.accept(lst)
            for c in list(self.conns):
                if c.sock in r:
                    c.on_readable()
                if not c.closed:
                    c.tick(time.monotonic())
                if not c.closed and (c.sock in w or c.outbuf):
                    c.flush()
            self.conns = [c for c in self.conns if not c.closed]
        for c in self.conns:
            c.close("server exiting")
        self.listener.close()
        if self.listener2:
            self.listener2.close()
        self.log("exit")
        self.log.close()


def main():
    p = argparse.ArgumentParser(description="Scripted RTSP test server")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--scenario", default="normal", choices=SCENARIOS)
    p.add_argument("--log", default=None)
    p.add_argument("--user", default="u")
    p.add_argument("--password", default="p")
    p.add_argument("--max-seconds", type=float, default=600.0,
                   help="exit by itself after this long (safety net)")
    args = p.parse_args()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    Server(args).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
