#!/usr/bin/env python3
# gst-arcly
# Copyright (C) 2026 gst-arcly developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""WHEP out of arcly-restream, played by headless Chromium through the index
page's WebRTC player (web/webrtc.js: plain RTCPeerConnection + fetch).

The test camera (2 s GOP, --timecode: the wall-clock time of each picture
in its pixels) → arcly-restream → webrtcbin → Chromium.  Checked:
- the WebRTC player plays: currentTime advances, frames decoded, 320 wide;
- glass-to-glass latency, read back from the pixels of every frame shown
  (camera capture → render), median printed and ≤ 400 ms on loopback;
- first picture ≤ 500 ms after the POST (the GOP cache: the camera's next
  keyframe is up to 2 s away), printed;
- G.711: the page's player of camera p (PCMU) and of camera h (H.265 +
  PCMA) get G.711 as it is (Chromium's inbound audio codec), its samples
  and energy grow; h's player gets no video and the server says why;
- a second viewer, with 5 % of its RTP dropped on the server's wire (the
  test hook ARCLY_WEBRTC_TEST_HOOKS + X-Arcly-Test-Loss), keeps playing
  (NACK/RTX), and the first viewer's frame rate does not drop meanwhile;
- ten viewers at once for 60 s (ARCLY_MANY_SECONDS), the lossy one among
  them: each of the other nine decodes at least 80 % of their median
  frame rate (itself at least 20 of the camera's 30 fps);
- meanwhile a viewer of camera p (10 s GOP) loses 400 ms of its RTP and
  the retransmissions of it (X-Arcly-Test-Outage): Chromium sends a PLI
  (its getStats, 3 s into the freeze), and the picture is back (the
  server replays its cached GOP) a second or more before the camera's
  next keyframe, 6-9 s after the outage began; a second such viewer,
  whose GOP copy holds 20 frames (X-Arcly-Test-Replay-Max), gets no replay
  of a cut GOP;
- WHIP: Chromium's fake camera published to /whip/browser (bearer token):
  the HLS of key browser holds H.264 + AAC (ffprobe), a WHEP viewer of it
  plays, a second publisher gets 409, one without the token 401;
- DELETE ends a session (the server says so), a closed page ends its
  session (RTCP BYE / timeout), PATCH is 405, a POST for an unknown key is
  404, and at Ctrl-C no webrtcbin is left (leaks tracer, filtered on
  GstWebRTCBin, reports at gst_deinit).

Every process is stopped by PID (its session) at the end, also on failure.
"""

import importlib.util
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))


def load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    return m


br = load("browser_restream", os.path.join(HERE, "restream.py"))
ws = load("webrtc_stats", os.path.join(HERE, "webrtc_stats.py"))
rp = load("restream_proc", os.path.join(HERE, "..", "restream_proc.py"))

MAX_LATENCY_MS = 400
MAX_FIRST_AFTER_CONNECT_MS = 400
# 10 viewers at once for 60 s (the PLI check runs meanwhile)
MANY_SECONDS = float(os.environ.get("ARCLY_MANY_SECONDS", "60"))
# The PLI viewers: all of their RTP dropped this long, and the
# retransmissions of the video packets dropped (NACK cannot repair the
# hole).  Camera p's GOP is 10 s, and the outage starts 1-4 s after a
# keyframe: the camera's next one is 6-9 s away, which the server's line
# says; the picture must be back a second before it (Chromium asks for a
# keyframe 3 s into a freeze, later on a loaded machine).
OUTAGE_MS = 400
GOP_P_MS = 10000
KEY_MARGIN_MS = 1000
MIN_FPS = 20
WATCH_S = float(os.environ.get("ARCLY_WATCH_SECONDS", "10"))

STATE_JS = """
(function () {
  var out = {};
  Object.keys(window.arclyWebrtc || {}).forEach(function (n) {
    var p = window.arclyWebrtc[n], v = p.video;
    var q = v.getVideoPlaybackQuality ? v.getVideoPlaybackQuality() : {};
    out[n] = { time: v.currentTime, frames: q.totalVideoFrames || 0, width: v.videoWidth,
      tPost: p.state.tPost, tFirstFrame: p.state.tFirstFrame, error: p.state.error,
      tAnswer: p.state.tAnswer, tConnected: p.state.tConnected,
      postCode: p.state.postCode, firstCode: p.state.firstCode, reattached: p.state.reattached,
      connection: p.state.connection, location: p.state.location,
      latencies: p.state.latencies.slice(-300) };
  });
  return JSON.stringify(out);
})()
"""

# Another player on the same page, POSTing with test hook headers; it
# records when each frame is shown (for the longest gap).
EXTRA_JS = """
(function (name, extra, path) {
  var v = document.createElement('video');
  v.id = 'w-' + name; v.muted = true; v.autoplay = true; v.playsInline = true;
  document.body.appendChild(v);
  var pc = new RTCPeerConnection();
  var st = { tPost: null, tFirstFrame: null, latencies: [], location: null, error: null,
    connection: 'new', shown: [] };
  pc.ontrack = function (e) {
    if (e.track.kind === 'video') window.arclyWebrtcAttach(v, e.track, st);
  };
  pc.onconnectionstatechange = function () { st.connection = pc.connectionState; };
  pc.addTransceiver('video', { direction: 'recvonly' });
  pc.addTransceiver('audio', { direction: 'recvonly' });
  function onFrame(now) { st.shown.push(now); v.requestVideoFrameCallback(onFrame); }
  v.requestVideoFrameCallback(onFrame);
  window.arclyWebrtc[name] = { video: v, pc: pc, state: st };
  var headers = { 'Content-Type': 'application/sdp' };
  Object.keys(extra).forEach(function (k) { headers[k] = extra[k]; });
  pc.createOffer().then(function (o) { return pc.setLocalDescription(o); })
    .then(function () { return new Promise(function (r) { setTimeout(r, 300); }); })
    .then(function () {
      return fetch(path, { method: 'POST', headers: headers, body: pc.localDescription.sdp }); })
    .then(function (r) { st.location = r.headers.get('Location'); return r.text(); })
    .then(function (sdp) { return pc.setRemoteDescription({ type: 'answer', sdp: sdp }); })
    .catch(function (e) { st.error = String(e); });
  return true;
})(%s, %s, %s)
"""

# Chromium's fake camera (--use-fake-device-for-media-stream) published by
# WHIP, as a browser page would.
WHIP_JS = """
(function (token) {
  var st = { error: null, status: null, location: null, offer: null, connection: 'new' };
  window.arclyWhip = st;
  navigator.mediaDevices.getUserMedia({ video: { width: 320, height: 240 }, audio: true })
    .then(function (ms) {
      var pc = new RTCPeerConnection();
      st.pc = pc;
      pc.onconnectionstatechange = function () { st.connection = pc.connectionState; };
      ms.getTracks().forEach(function (t) {
        pc.addTransceiver(t, { direction: 'sendonly', streams: [ms] }); });
      return pc.createOffer(); })
    .then(function (o) { return st.pc.setLocalDescription(o); })
    .then(function () { return new Promise(function (r) { setTimeout(r, 300); }); })
    .then(function () {
      st.offer = st.pc.localDescription.sdp;
      return fetch('whip/browser', { method: 'POST', body: st.offer, headers: {
        'Content-Type': 'application/sdp', 'Authorization': 'Bearer ' + token } }); })
    .then(function (r) {
      st.status = r.status; st.location = r.headers.get('Location'); return r.text(); })
    .then(function (sdp) { return st.pc.setRemoteDescription({ type: 'answer', sdp: sdp }); })
    .catch(function (e) { st.error = String(e); });
  return true;
})(%s)
"""

WHIP_TOKEN = "tok-whip-test"

MAX_GAP_JS = """
(function (name) {
  var t = window.arclyWebrtc[name].state.shown, g = 0, i;
  for (i = 1; i < t.length; i++) g = Math.max(g, t[i] - t[i - 1]);
  return g;
})(%s)
"""


def request(method, url, body=None, headers=None):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read(), r.headers
    except urllib.error.HTTPError as e:
        return e.code, e.read(), e.headers


def rtc_stats(cdp, name):
    """Chromium's inbound-rtp video stats of player @name."""
    expr = """window.arclyWebrtc[%s].pc.getStats().then(function (st) {
      var o = null;
      var a = null, v = window.arclyWebrtc[%s].video;
      st.forEach(function (r) { if (r.type === 'inbound-rtp' && r.kind === 'video') o = r;
                                if (r.type === 'inbound-rtp' && r.kind === 'audio') a = r; });
      if (o) { o.audioPackets = a ? a.packetsReceived : null; o.readyState = v.readyState;
        o.paused = v.paused; o.visibility = document.visibilityState; o.tracks = v.srcObject ? v.srcObject.getTracks().map(function (t) {
          return t.kind + ':' + t.readyState + ':' + t.muted; }).join(',') : null; }
      return JSON.stringify(o); })""" % (json.dumps(name), json.dumps(name))
    r = cdp.call("Runtime.evaluate", {"expression": expr, "awaitPromise": True,
                                      "returnByValue": True}, session=cdp.session)
    v = json.loads(r.get("result", {}).get("value") or "null") or {}
    keys = ("packetsReceived", "packetsLost", "framesReceived", "framesDecoded",
            "keyFramesDecoded", "nackCount", "pliCount", "firCount", "freezeCount",
            "totalFreezesDuration", "retransmittedPacketsReceived", "audioPackets",
            "readyState", "paused", "tracks", "visibility")
    if os.environ.get("ARCLY_WEBRTC_ALL_STATS"):
        return v
    return {k: v.get(k) for k in keys}


def whip_stats(cdp):
    """What Chromium says it sent as WHIP publisher (outbound-rtp)."""
    expr = """arclyWhip.pc.getStats().then(function (st) {
      var o = [];
      st.forEach(function (r) { if (r.type === 'outbound-rtp') o.push({ kind: r.kind,
        packetsSent: r.packetsSent, framesEncoded: r.framesEncoded,
        keyFramesEncoded: r.keyFramesEncoded, pliCount: r.pliCount, nackCount: r.nackCount,
        limited: r.qualityLimitationReason, active: r.active }); });
      return JSON.stringify({ out: o, ice: arclyWhip.pc.iceConnectionState,
                              connection: arclyWhip.pc.connectionState }); })"""
    r = cdp.call("Runtime.evaluate", {"expression": expr, "awaitPromise": True,
                                      "returnByValue": True}, session=cdp.session)
    return r.get("result", {}).get("value")


def viewer(cdp, name, path, headers=None):
    """Player @name of @path on the page, POSTing with @headers."""
    cdp.evaluate(EXTRA_JS % (json.dumps(name), json.dumps(headers or {}), json.dumps(path)))


def state(cdp):
    return json.loads(cdp.evaluate(STATE_JS) or "{}")


def wait_playing(cdp, name, seconds, timeout=30):
    """Waits until @name's currentTime advanced @seconds after its first
    frame; returns its state."""
    t0 = time.monotonic()
    first = None
    s = {}
    while time.monotonic() - t0 < timeout:
        time.sleep(0.25)
        s = state(cdp).get(name) or {}
        if s.get("error"):
            return s
        if s.get("time", 0) > 0 and first is None:
            first = s["time"]
        if first is not None and s["time"] >= first + seconds:
            return s
    return s


def frame_rate(cdp, name, seconds):
    a = state(cdp)[name]["frames"]
    time.sleep(seconds)
    return (state(cdp)[name]["frames"] - a) / seconds


def check_g711_h265(cdp, srv, fail):
    """The page's players of camera p (H.264 + G.711 PCMU) and camera h
    (H.265 + G.711 PCMA): G.711 reaches Chromium as it is (its inbound
    audio codec), its samples and energy grow; h's viewer gets no video,
    and the server says why in one line."""
    want = {"p": "audio/PCMU", "h": "audio/PCMA"}
    got = {}
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        got = {n: ws.audio_growth(ws.samples(cdp, n), 2.0) for n in want}
        if all(got[n][0] == want[n] and got[n][1] > 0 and got[n][2] > 0 for n in want):
            break
        time.sleep(0.5)
    for n in want:
        log = ws.samples(cdp, n)
        codec, samples, energy = got[n]
        last = log[-1] if log else {}
        print("viewer %s: audio %s, %d samples/s and %.3f energy/s received, "
              "video %s with %s frames decoded" % (n, codec, samples, energy,
                                                   last.get("vcodec"), last.get("fd")))
        if codec != want[n] or samples <= 0 or energy <= 0:
            fail("viewer %s: audio %s, %d samples, energy %.3f (want %s, growing)"
                 % (n, codec, samples, energy, want[n]))
    hlog = ws.samples(cdp, "h")
    if (hlog[-1] if hlog else {}).get("fd"):
        fail("viewer h decoded video of an H.265 camera?")
    line = [ln for ln in srv.output().splitlines() if " of h: no video" in ln]
    print("server: %s" % (line[0].strip() if line else None))
    if not line or "H.265" not in line[0]:
        fail("the server did not say why camera h's viewer gets no video")
    if (ws.samples(cdp, "p") or [{}])[-1].get("fd", 0) <= 0:
        fail("viewer p decoded no video")


def outage_viewer(cdp, srv, fail, name, headers, done):
    """Starts viewer @name of camera p with the outage hook (and @headers),
    waits for the server to start its outage, then until @done(figures)
    or 1.5 s after the camera's next keyframe; returns (session id, the
    hook's line, the freeze figures, ms from the outage to the camera's
    next keyframe) or None."""
    viewer(cdp, name, "whep/p", dict(headers, **{"X-Arcly-Test-Outage": str(OUTAGE_MS)}))
    ws.start(cdp, name)
    deadline = time.monotonic() + 10
    while not (state(cdp).get(name) or {}).get("location") and time.monotonic() < deadline:
        time.sleep(0.1)
    sid = ((state(cdp).get(name) or {}).get("location") or "/x/x/none").rsplit("/", 1)[1]
    hook = "test hook: WHEP session %s:" % sid
    if not srv.wait_line(hook, 25):
        fail("the outage of viewer %s (session %s) did not start" % (name, sid))
        return None
    line = [ln for ln in srv.output().splitlines() if hook in ln][0].strip()
    next_key_ms = GOP_P_MS - int(re.search(r"(\d+) ms after a keyframe", line).group(1))
    # the samples from 1 s before the outage on (not a hiccup at the start)
    since = float(cdp.evaluate("performance.now()")) - 1000

    def figures():
        return ws.freeze([x for x in ws.samples(cdp, name) if x["t"] >= since])

    deadline = time.monotonic() + next_key_ms / 1000.0 + 1.5
    while time.monotonic() < deadline:
        time.sleep(0.25)
        if done(figures()):
            break
    return sid, line, figures(), next_key_ms


def print_freeze(who, line, f):
    print("%s: %s; the picture froze %.0f ms%s, %d PLI/FIR sent meanwhile (the first %s ms "
          "into the freeze, the picture back %s ms after it; %s PLI, %s FIR, %s NACK in all), "
          "%d frames decoded in the %.1f s after"
          % (who, line, f["ms"], "" if f["t_on"] else " (and had not come back)", f["plis"],
             "%.0f" % f["pli_after_ms"] if f["pli_after_ms"] is not None else "-",
             "%.0f" % f["back_after_pli_ms"] if f["back_after_pli_ms"] is not None else "-",
             f["pli"], f["fir"], f["nack"], f["frames_after"], f["seconds_after"]))


def check_pli(cdp, srv, fail):
    """A viewer of camera p (10 s GOP) whose RTP the server drops for
    OUTAGE_MS, and the RTX of those packets: NACK cannot repair the hole, so
    Chromium asks for a keyframe (PLI), and the server replays the cached
    GOP: the picture comes back KEY_MARGIN_MS or more before the camera's
    next keyframe (6-9 s after the outage began)."""
    r = outage_viewer(cdp, srv, fail, "pli", {}, lambda f: f["ms"] >= OUTAGE_MS * 0.75 and
                      f["t_on"] is not None and f["seconds_after"] > 1)
    if r is None:
        return
    f, next_key_ms = r[2], r[3]
    ws.stop(cdp, ["pli"])
    print_freeze("PLI viewer", r[1], f)
    if f["ms"] < OUTAGE_MS * 0.75:
        fail("the PLI viewer's picture did not freeze (%.0f ms): no outage?" % f["ms"])
    if f["plis"] <= 0:
        fail("Chromium sent no PLI/FIR after the outage")
    if f["t_on"] is None or f["ms"] > next_key_ms - KEY_MARGIN_MS:
        fail("the picture came back %.0f ms after it froze, the camera's next keyframe "
             "%d ms after the outage: the keyframe request was not answered from the GOP "
             "cache" % (f["ms"], next_key_ms))
    elif f["frames_after"] < 10:
        fail("only %d frames decoded after the freeze" % f["frames_after"])


def check_cut_gop(cdp, srv, fail):
    """The same outage for a viewer whose GOP copy holds 20 frames
    (X-Arcly-Test-Replay-Max): its PLI comes more than 20 frames after the
    keyframe, and a GOP cut there cannot be decoded, so the server sends
    nothing again (0 replays) and the camera's next keyframe ends the
    freeze."""
    r = outage_viewer(cdp, srv, fail, "cut", {"X-Arcly-Test-Replay-Max": "20"},
                      lambda f: f["pli_after_ms"] is not None and
                      f["seconds_after_pli"] > 1)
    if r is None:
        return
    sid, line, f, _ = r
    ws.stop(cdp, ["cut"])
    end = "WHEP session %s of p ended" % sid
    ended = srv.wait_line(end, 10)
    end = [ln for ln in srv.output().splitlines() if end in ln][0].strip() if ended else None
    print_freeze("cut-GOP viewer", line, f)
    print("cut-GOP viewer: %s" % end)
    if f["plis"] <= 0:
        fail("the cut-GOP viewer sent no PLI/FIR")
    elif not end or "; 0 keyframe replays" not in end:
        fail("a GOP cut at 20 frames was replayed: %s" % end)


def main():
    if not os.access(br.CHROMIUM, os.X_OK):
        print("FAIL: %s missing (apt-get install chromium)" % br.CHROMIUM)
        return 1
    tmp = tempfile.mkdtemp(prefix="arcly-webrtc-")
    ok = True

    def fail(text):
        nonlocal ok
        print("FAIL: " + text)
        ok = False

    srv = None
    try:
        cam = rp.Server([os.environ["ARCLY_TESTCAM"], "--port", "0", "--gop", "60",
                         "--fps", "30", "--size", "320x180", "--timecode"])
        # p: a 10 s GOP (the PLI check) and G.711 PCMU audio; h: H.265 and
        # PCMA, which WebRTC out sends as audio alone
        cam_p = rp.Server([os.environ["ARCLY_TESTCAM"], "--port", "0", "--gop", "300",
                           "--fps", "30", "--size", "320x180", "--bitrate", "500",
                           "--audio-codec", "pcmu"])
        cam_h = rp.Server([os.environ["ARCLY_TESTCAM"], "--port", "0", "--gop", "30",
                           "--fps", "15", "--size", "320x180", "--bitrate", "300",
                           "--codec", "h265", "--audio-codec", "pcma"])
        env = dict(os.environ)
        env["GST_TRACERS"] = "leaks(filters=GstWebRTCBin)"
        env["GST_DEBUG"] = "GST_TRACER:7," + os.environ.get("GST_DEBUG", "")
        env["ARCLY_WEBRTC_TEST_HOOKS"] = "1"
        srv = rp.Server([os.environ["ARCLY_RESTREAM"], "--http-port", "0", "--rtsp-port", "0",
                         "--output", os.path.join(tmp, "out"), "--camera", "a=" + cam.url,
                         "--camera", "p=" + cam_p.url, "--camera", "h=" + cam_h.url,
                         "--whip", "browser", "--whip-token", WHIP_TOKEN], env=env)
        http = srv.url
        deadline = time.monotonic() + 30
        while True:
            st, body, _ = request("GET", http + "cam/a/playlist.m3u8")
            if st == 200 and b"#EXTINF" in body:
                break
            if time.monotonic() > deadline:
                raise SystemExit("FAIL: camera a has no segment after 30 s")
            time.sleep(0.2)

        # The HTTP side without a browser.
        st, _, _ = request("POST", http + "whep/nosuch", b"v=0\r\n",
                           {"Content-Type": "application/sdp"})
        if st != 404:
            fail("POST for an unknown key answered %d, not 404" % st)
        st, _, _ = request("POST", http + "whep/a", b"not sdp",
                           {"Content-Type": "application/sdp"})
        if st != 400:
            fail("POST of a bad offer answered %d, not 400" % st)

        # Chromium with its fake camera and microphone, allowed without a
        # prompt (for WHIP).
        wrapper = os.path.join(tmp, "chromium")
        with open(wrapper, "w") as f:
            f.write("#!/bin/sh\nexec %s --use-fake-device-for-media-stream "
                    "--use-fake-ui-for-media-stream \"$@\"\n" % br.CHROMIUM)
        os.chmod(wrapper, 0o755)
        br.CHROMIUM = wrapper
        cdp = br.Cdp(http, os.path.join(tmp, "profile"))
        s = wait_playing(cdp, "a", WATCH_S)
        if s.get("time", 0) <= 0 and (rtc_stats(cdp, "a").get("framesDecoded") or 0) > 0:
            # Headless Chromium under load at times decodes every frame of a
            # track and never shows one (readyState 0; also seen with
            # re-attaching the track).  Once: the page is opened again.
            print("note: Chromium decoded frames but showed none; reloading the page once")
            cdp.call("Page.reload", session=cdp.session)
            time.sleep(1)
            s = wait_playing(cdp, "a", WATCH_S)
        print("viewer a: %s" % json.dumps({k: v for k, v in s.items() if k != "latencies"}))
        # the page's players of cameras p (H.264 + PCMU) and h (H.265 + PCMA)
        # (unmuted: Chromium counts the energy of what it plays out; the
        # browser itself runs with --mute-audio)
        cdp.evaluate("['p', 'h'].forEach(function (n) { "
                     "document.getElementById('w-' + n).muted = false; })")
        ws.start(cdp, "p")
        ws.start(cdp, "h")
        if s.get("error") or s.get("time", 0) <= 0:
            fail("the WebRTC player did not play (%s; %s)" % (s.get("error"),
                                                            rtc_stats(cdp, "a")))
            return 1
        if s["frames"] <= 0 or s["width"] != 320:
            fail("%d frames decoded, width %s" % (s["frames"], s["width"]))
        # The first picture comes with the connection: the GOP cache is
        # sent at once (the browser decodes it and shows the newest frame),
        # where the camera's next keyframe is up to 2 s away.
        first_ms = s["tFirstFrame"] - s["tPost"]
        after_conn = s["tFirstFrame"] - s["tConnected"]
        print("first picture %.0f ms after the POST (answer after %.0f ms, connected after "
              "%.0f ms; 2 s GOP)" % (first_ms, s["tAnswer"] - s["tPost"],
                                    s["tConnected"] - s["tPost"]))
        if after_conn > MAX_FIRST_AFTER_CONNECT_MS:
            fail("first picture %.0f ms after the connection: the cached GOP did not come "
                 "first" % after_conn)
        lats = s["latencies"]
        if len(lats) < 30:
            fail("only %d frames with a readable timecode" % len(lats))
        else:
            med = statistics.median(lats)
            print("glass-to-glass latency (timecode in the pixels → frame shown): median %d ms,"
                  " min %d, max %d, over %d frames" % (med, min(lats), max(lats), len(lats)))
            if med > MAX_LATENCY_MS:
                fail("median latency %d ms, more than %d ms" % (med, MAX_LATENCY_MS))
        loc = s["location"]
        if not loc or not re.match(r"^/whep/a/\d+$", loc):
            fail("Location %r" % loc)
        else:
            st, _, _ = request("PATCH", http + loc.lstrip("/"), b"a=end-of-candidates\r\n",
                               {"Content-Type": "application/trickle-ice-sdpfrag"})
            if st != 405:
                fail("PATCH answered %d, not 405" % st)

        check_g711_h265(cdp, srv, fail)
        # (p's and h's players end here: ten viewers of a are enough load)
        ws.stop(cdp, ["p", "h"])

        # A lossy viewer (5 % of its RTP dropped on the server's wire: NACK
        # and RTX repair it) and one whose RTP stops for 400 ms, 100 ms after
        # a keyframe: the browser asks for a keyframe (PLI) and the server
        # replays the cached GOP instead of leaving it frozen until the
        # camera's next keyframe, 2 s after the last one.  Viewer a keeps
        # its frame rate meanwhile.
        fps_before = frame_rate(cdp, "a", 3)
        viewer(cdp, "lossy", "whep/a", {"X-Arcly-Test-Loss": "5"})
        # (5 s of frames decoded and NACKs sent: its currentTime is not
        # waited for, as headless Chromium at times shows no frame of a
        # second player while decoding them all)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            st2 = rtc_stats(cdp, "lossy")
            if state(cdp)["lossy"].get("error") or \
                    ((st2.get("framesDecoded") or 0) >= 150 and st2.get("nackCount")):
                break
            time.sleep(0.25)
        fps_during = frame_rate(cdp, "a", 3)
        s2 = state(cdp)["lossy"]
        st2 = rtc_stats(cdp, "lossy")
        print("lossy viewer (5 %% of RTP dropped): currentTime %.1f, %s"
              % (s2.get("time", 0), json.dumps(st2)))
        print("viewer a: %.1f fps before, %.1f fps while the other viewers play"
              % (fps_before, fps_during))
        if s2.get("error") or (st2.get("framesDecoded") or 0) < 60:
            fail("the lossy viewer did not play (%s frames decoded)" % st2.get("framesDecoded"))
        if not st2.get("nackCount"):
            fail("the lossy viewer sent no NACK (is the loss hook on?)")
        if fps_during < fps_before * 0.8:
            fail("viewer a's frame rate fell from %.1f to %.1f" % (fps_before, fps_during))

        # Ten viewers at once (a, the lossy one and 8 more) for
        # MANY_SECONDS: every viewer but the lossy one keeps the camera's
        # 30 fps (frames decoded by Chromium, per viewer).
        many = ["a", "lossy"] + ["m%d" % i for i in range(8)]
        for name in many[2:]:
            viewer(cdp, name, "whep/a")
        time.sleep(5)
        d0 = {n: rtc_stats(cdp, n).get("framesDecoded") or 0 for n in many}
        t0 = time.monotonic()
        # meanwhile, the PLI checks on viewers of camera p
        check_pli(cdp, srv, fail)
        check_cut_gop(cdp, srv, fail)
        time.sleep(max(0.0, MANY_SECONDS - (time.monotonic() - t0)))
        d1 = {n: rtc_stats(cdp, n).get("framesDecoded") or 0 for n in many}
        rates = {n: (d1[n] - d0[n]) / (time.monotonic() - t0) for n in many}
        print("10 viewers for %d s, frames decoded per second: %s"
              % (MANY_SECONDS, ", ".join("%s %.1f" % (n, rates[n]) for n in many)))
        # Chromium decoding ten streams on a loaded machine does not keep
        # 30 fps in every one: the others are compared with their median.
        med = statistics.median(rates[n] for n in many if n != "lossy")
        slow = [n for n in many if n != "lossy" and rates[n] < 0.8 * med]
        if med < MIN_FPS or slow:
            fail("viewers %s under 80 %% of the median %.1f fps (at least %d) with the lossy "
                 "viewer among them" % (slow, med, MIN_FPS))
        cdp.evaluate("%s.forEach(function (k) { var p = window.arclyWebrtc[k];"
                     " fetch(p.state.location, {method: 'DELETE'}); p.pc.close(); })"
                     % json.dumps(many[2:]))
        pli_id = ((state(cdp).get("pli") or {}).get("location") or "/x/x/none").rsplit("/", 1)[1]
        if srv.wait_line("WHEP session %s of p ended" % pli_id, 10):
            print("PLI viewer: %s" % [ln for ln in srv.output().splitlines()
                                      if "WHEP session %s of p ended" % pli_id in ln][0])

        # WHIP: the fake camera published as key "browser"; its HLS plays in
        # ffprobe, a WHEP viewer of it plays, a second publisher gets 409,
        # one without the token 401.
        cdp.evaluate(WHIP_JS % json.dumps(WHIP_TOKEN))
        deadline = time.monotonic() + 30
        w = {}
        while time.monotonic() < deadline:
            w = json.loads(cdp.evaluate("JSON.stringify({status: arclyWhip.status, "
                                        "error: arclyWhip.error, location: arclyWhip.location, "
                                        "connection: arclyWhip.connection, "
                                        "offer: arclyWhip.offer})") or "{}")
            if w.get("error") or w.get("connection") in ("connected", "failed"):
                break
            time.sleep(0.25)
        print("WHIP publisher: status %s, %s, Location %s" % (w.get("status"), w.get("connection"),
                                                            w.get("location")))
        if w.get("status") != 201 or w.get("connection") != "connected":
            fail("WHIP publish failed: %s" % w.get("error"))
        else:
            hls_ok = False
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                st, body, _ = request("GET", http + "cam/browser/playlist.m3u8")
                if st == 200 and body.count(b"#EXTINF") >= 2:
                    hls_ok = True
                    break
                time.sleep(0.5)
            if not hls_ok:
                fail("no HLS of key browser after 30 s; the publisher's outbound-rtp: %s"
                     % whip_stats(cdp))
            else:
                import subprocess
                probe = subprocess.run(
                    ["ffprobe", "-v", "error", "-show_entries", "stream=codec_name,width",
                     "-of", "json", http + "cam/browser/playlist.m3u8"],
                    capture_output=True, text=True, timeout=60)
                codecs = sorted(x.get("codec_name") for x in
                                json.loads(probe.stdout or "{}").get("streams", []))
                print("HLS of key browser (ffprobe): %s %s" % (codecs, probe.stderr.strip()[:300]))
                if codecs != ["aac", "h264"]:
                    fail("HLS of key browser has streams %s, not aac + h264" % codecs)
            viewer(cdp, "bview", "whep/browser")
            sb = wait_playing(cdp, "bview", 3)
            stb = rtc_stats(cdp, "bview")
            print("WHEP viewer of key browser: currentTime %.1f, %s frames decoded, %s x %s"
                  % (sb.get("time", 0), stb.get("framesDecoded"), sb.get("width"),
                     stb.get("keyFramesDecoded")))
            # (Chromium's fake camera runs at 10-20 fps on a loaded machine)
            if sb.get("error") or (sb.get("time", 0) < 3 and
                                   (stb.get("framesDecoded") or 0) < 20):
                fail("the WHEP viewer of key browser did not play (%s)" % sb.get("error"))
            hdr = {"Content-Type": "application/sdp", "Authorization": "Bearer " + WHIP_TOKEN}
            st, _, _ = request("POST", http + "whip/browser", w["offer"].encode(), hdr)
            if st != 409:
                fail("a second WHIP publisher answered %d, not 409" % st)
            st, _, _ = request("POST", http + "whip/browser", w["offer"].encode(),
                               {"Content-Type": "application/sdp"})
            if st != 401:
                fail("a WHIP publisher without the token answered %d, not 401" % st)
            st, _, _ = request("POST", http + "whip/a", w["offer"].encode(), hdr)
            if st != 404:
                fail("WHIP to camera key a answered %d, not 404" % st)
            wloc = w["location"] or "/whip/browser/none"
            st, _, _ = request("DELETE", http + wloc.lstrip("/"))
            if st != 401:
                fail("DELETE of the WHIP session without the token answered %d" % st)
            st, _, _ = request("DELETE", http + wloc.lstrip("/"), None,
                               {"Authorization": "Bearer " + WHIP_TOKEN})
            wid = wloc.rsplit("/", 1)[1]
            if st != 200 or not srv.wait_line("WHIP session %s of browser ended (DELETE" % wid,
                                              10):
                fail("DELETE did not end WHIP session %s (%d)" % (wid, st))

        # DELETE ends viewer a's session.
        st, _, _ = request("DELETE", http + loc.lstrip("/"))
        if st != 200:
            fail("DELETE answered %d" % st)
        sid = loc.rsplit("/", 1)[1]
        if not srv.wait_line("WHEP session %s of a ended (DELETE" % sid, 10):
            fail("DELETE did not end session %s" % sid)
        st, _, _ = request("DELETE", http + loc.lstrip("/"))
        if st != 404:
            fail("a second DELETE answered %d, not 404" % st)
        # A page that dies (renderer crash: no DELETE, no BYE) ends its
        # session too, by RTCP timeout or ICE failure.
        lossy_id = (s2.get("location") or "/x/x/none").rsplit("/", 1)[1]
        t_crash = time.monotonic()
        try:
            cdp.call("Page.crash", session=cdp.session, timeout=5)
        except SystemExit:
            pass                # the page does not answer: it crashed
        if not srv.wait_line("WHEP session %s of a ended" % lossy_id, 60):
            fail("the crashed page's session %s did not end" % lossy_id)
        else:
            line = [l for l in srv.output().splitlines()
                    if "WHEP session %s of a ended" % lossy_id in l][0]
            print("crashed page: %s, %.1f s after the crash"
                  % (line.strip(), time.monotonic() - t_crash))
    finally:
        if not ok and srv is not None:
            print("arcly-restream, its sessions:\n" + "\n".join(
                ln for ln in srv.output().splitlines() if " session " in ln))
            print("arcly-restream output (end):\n" + srv.output()[-3000:])
        if srv is not None and os.environ.get("ARCLY_WEBRTC_LOG"):
            with open(os.environ["ARCLY_WEBRTC_LOG"], "w") as f:
                f.write(srv.output())
        try:
            srv.signal(2)
            srv.p.wait(timeout=20)
        except Exception:
            pass
        rp.stop_all()
        br.stop_all()
        shutil.rmtree(tmp, ignore_errors=True)
    out = srv.output()
    alive = [l for l in out.splitlines() if "object-alive" in l and "GstWebRTCBin" in l]
    if "leaks" not in out and "GST_TRACER" not in out:
        print("note: no tracer output seen")
    if alive:
        fail("webrtcbin left at exit: %s" % alive[:3])
    else:
        print("leaks tracer: no GstWebRTCBin alive at exit")
    print("browser restream-webrtc: %s" % ("passed" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
