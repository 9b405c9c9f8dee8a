# gst-arcly
# Copyright (C) 2026 gst-arcly developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Chromium's own RTCPeerConnection.getStats() of a WHEP player, sampled
in the page every 100 ms, and what browser/restream-webrtc reads from it:
the longest time framesDecoded stood still (a freeze and its end), PLI/FIR
counts, the inbound audio codec and its samples and energy."""

import json

# Starts sampling player @name (window.arclyWebrtc[name].pc) into
# window.arclyWebrtc[name].samples: per sample the page time t (ms), video
# frames decoded (fd), keyframes decoded (kfd), PLIs and FIRs sent, NACKs,
# the inbound codecs, audio samples received and audio energy.
SAMPLER_JS = """
(function (name) {
  var p = window.arclyWebrtc[name], log = [];
  p.samples = log;
  p.sampler = setInterval(function () {
    p.pc.getStats().then(function (st) {
      var o = { t: performance.now() }, codecs = {};
      st.forEach(function (r) { if (r.type === 'codec') codecs[r.id] = r.mimeType; });
      st.forEach(function (r) {
        if (r.type !== 'inbound-rtp') return;
        if (r.kind === 'video') {
          o.fd = r.framesDecoded; o.kfd = r.keyFramesDecoded; o.pli = r.pliCount;
          o.fir = r.firCount; o.nack = r.nackCount; o.vcodec = codecs[r.codecId];
        } else {
          o.samples = r.totalSamplesReceived; o.energy = r.totalAudioEnergy;
          o.apackets = r.packetsReceived; o.acodec = codecs[r.codecId];
        }
      });
      log.push(o);
      if (log.length > 2400) log.shift();
    });
  }, 100);
  return true;
})(%s)
"""


def start(cdp, name):
    cdp.evaluate(SAMPLER_JS % json.dumps(name))


def stop(cdp, names):
    """Ends the sampling and the sessions of players @names (DELETE, then
    the peer connection closed); their samples stay readable."""
    cdp.evaluate("%s.forEach(function (k) { var p = window.arclyWebrtc[k];"
                 " clearInterval(p.sampler); fetch(p.state.location, {method: 'DELETE'});"
                 " p.pc.close(); })" % json.dumps(names))


def samples(cdp, name):
    return json.loads(cdp.evaluate(
        "JSON.stringify((window.arclyWebrtc[%s] || {}).samples || [])" % json.dumps(name))
        or "[]")


def longest_stall(log):
    """The longest time framesDecoded stood still once it was above 0, as
    (ms, page time it stopped, page time it went on or None when it has
    not yet, index of the sample where it went on or None)."""
    best = (0.0, None, None, None)
    since = None        # (t, fd) of the first sample with the current fd
    for i, s in enumerate(log):
        fd = s.get("fd") or 0
        if fd <= 0:
            continue
        if since is None or fd != since[1]:
            if since is not None and s["t"] - since[0] > best[0]:
                best = (s["t"] - since[0], since[0], s["t"], i)
            since = (s["t"], fd)
    if since is not None and log and log[-1]["t"] - since[0] > best[0]:
        best = (log[-1]["t"] - since[0], since[0], None, None)
    return best


def audio_growth(log, seconds):
    """(codec, audio samples received per second, energy gained per
    second) over the last @seconds of @log."""
    if not log:
        return None, 0, 0.0
    last = log[-1]
    first = next((s for s in log if s["t"] >= last["t"] - seconds * 1000), last)
    span = max(last["t"] - first["t"], 1.0) / 1000.0
    return (last.get("acodec"),
            ((last.get("samples") or 0) - (first.get("samples") or 0)) / span,
            ((last.get("energy") or 0.0) - (first.get("energy") or 0.0)) / span)


def freeze(log):
    """The longest freeze of @log and the PLI/FIRs around it, as a dict:
    ms, t_on (page time the picture came back, or None), plis (sent since
    it froze), pli_after_ms (the first of them, into the freeze),
    back_after_pli_ms, frames_after and seconds_after (since it came
    back), seconds_after_pli, and the totals pli, fir, nack."""
    ms, t_stop, t_on, i_on = longest_stall(log)
    last = log[-1] if log else {}
    before = [x for x in log if x["t"] <= (t_stop or 0)]

    def kf(x):
        return (x.get("pli") or 0) + (x.get("fir") or 0)

    pli0 = kf(before[-1]) if before else 0
    t_pli = next((x["t"] for x in log if x["t"] > (t_stop or 0) and kf(x) > pli0), None)
    return {
        "ms": ms, "t_on": t_on, "plis": kf(last) - pli0 if log else 0,
        "pli_after_ms": t_pli - t_stop if t_pli is not None and t_stop is not None else None,
        "back_after_pli_ms": t_on - t_pli if t_pli is not None and t_on is not None else None,
        "frames_after": (last.get("fd") or 0) - (log[i_on].get("fd") or 0)
        if i_on is not None else 0,
        "seconds_after": (last["t"] - t_on) / 1000.0 if t_on is not None else 0.0,
        "seconds_after_pli": (last["t"] - t_pli) / 1000.0 if t_pli is not None else 0.0,
        "pli": last.get("pli"), "fir": last.get("fir"), "nack": last.get("nack"),
    }
