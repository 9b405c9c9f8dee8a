# gst-arcly
# Copyright (C) 2026 gst-arcly developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Chromium's own RTCPeerConnection.getStats() of a WHEP player, sampled
in the page every 50 ms, and what browser/restream-webrtc reads from it:
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
  }, 50);
  return true;
})(%s)
"""


def start(cdp, name):
    cdp.evaluate(SAMPLER_JS % json.dumps(name))


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
