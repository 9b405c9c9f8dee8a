/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * arcly-restream's WebRTC players: one WHEP session per <video data-whep>,
 * with a plain RTCPeerConnection and fetch.
 *
 *   offer (recvonly video + audio, our ICE candidates in it) → POST
 *   data-whep (application/sdp) → 201, the answer (the server's candidates
 *   are all in it: no trickle) and Location → DELETE Location on page hide.
 *
 * Latency: a camera that embeds the wall-clock time of each picture (the
 * test camera's --timecode: 24 blocks along the bottom, milliseconds mod
 * 2^24) is read back from the pixels of each frame shown
 * (requestVideoFrameCallback), and the player shows now minus that time.
 *
 * window.arclyWebrtc[name] = { video, pc, state } for tests: state has
 * tPost, tFirstFrame (performance.now() ms), postCode and firstCode (the
 * wall-clock time of the POST and the embedded time of the first frame
 * shown, ms mod 2^24), latencies (ms, one per frame read), location, error.
 */
(function () {
  'use strict';
  var BITS = 24, BLOCK_W = 12, BLOCK_H = 16, MOD = 1 << BITS;
  window.arclyWebrtc = {};

  /* Plays @track in @el.  Headless Chromium under load at times leaves a
   * <video> at readyState 0 for good while the track's frames are decoded
   * (seen in tests/check/browser/restream-webrtc.py): a player still at
   * nothing 1.5 s after the track began gets it again. */
  function attach(el, track, state) {
    el.srcObject = new MediaStream([track]);
    el.play().catch(function () {});
    if (track.kind !== 'video') return;
    var check = setInterval(function () {
      if (track.readyState !== 'live') { clearInterval(check); return; }
      if (el.readyState > 0) { clearInterval(check); return; }
      if (track.muted) return;          /* no frame yet: nothing to show */
      state.reattached = (state.reattached || 0) + 1;
      el.srcObject = null;
      el.srcObject = new MediaStream([track]);
      el.play().catch(function () {});
    }, 1500);
  }
  window.arclyWebrtcAttach = attach;
  window.arclyReadTimecode = function (video) {
    return readTimecode(video, document.createElement('canvas'));
  };

  function waitGathering(pc, ms) {
    return new Promise(function (resolve) {
      if (pc.iceGatheringState === 'complete') return resolve();
      var t = setTimeout(resolve, ms);
      pc.addEventListener('icegatheringstatechange', function () {
        if (pc.iceGatheringState === 'complete') { clearTimeout(t); resolve(); }
      });
    });
  }

  /* The embedded time of the frame on @video, or null. */
  function readTimecode(video, canvas) {
    var w = video.videoWidth, h = video.videoHeight;
    if (w < BITS * BLOCK_W || h < BLOCK_H) return null;
    canvas.width = BITS * BLOCK_W;
    canvas.height = 1;
    var ctx = canvas.getContext('2d', { willReadFrequently: true });
    ctx.drawImage(video, 0, h - BLOCK_H / 2, BITS * BLOCK_W, 1, 0, 0, BITS * BLOCK_W, 1);
    var px = ctx.getImageData(0, 0, BITS * BLOCK_W, 1).data, v = 0, i;
    for (i = 0; i < BITS; i++) {
      var x = i * BLOCK_W + BLOCK_W / 2, l = px[x * 4];
      /* a block is black or white: grey is not a timecode */
      if (l > 80 && l < 170) return null;
      v = v * 2 + (l >= 128 ? 1 : 0);
    }
    return v;
  }

  function watchLatency(p, status) {
    var canvas = document.createElement('canvas');
    function onFrame(now, meta) {
      var code = readTimecode(p.video, canvas);
      if (code !== null) {
        var shown = performance.timeOrigin + (meta ? meta.expectedDisplayTime : now);
        var lat = ((Math.floor(shown) % MOD) - code + MOD) % MOD;
        if (lat < 10000) {
          p.state.latencies.push(lat);
          if (p.state.latencies.length > 2000) p.state.latencies.shift();
          status.textContent = 'WebRTC latency ' + lat + ' ms';
        }
      }
      if (p.state.tFirstFrame === null) {
        p.state.tFirstFrame = performance.now();
        p.state.firstCode = code;
      }
      p.video.requestVideoFrameCallback(onFrame);
    }
    p.video.requestVideoFrameCallback(onFrame);
  }

  function start(video) {
    var name = video.id.replace(/^w-/, '');
    var status = document.getElementById('ws-' + name) || {};
    var pc = new RTCPeerConnection();
    var p = { video: video, pc: pc, state: { tPost: null, tFirstFrame: null,
      latencies: [], location: null, error: null, connection: 'new' } };
    window.arclyWebrtc[name] = p;

    /* the picture in the <video>, the sound in an <audio> of its own,
     * muted with it, each given its track as soon as it exists (before
     * its first frame) */
    var audio = document.createElement('audio');
    audio.muted = video.muted;
    video.addEventListener('volumechange', function () {
      audio.muted = video.muted;
      audio.volume = video.volume;
    });
    video.parentNode.insertBefore(audio, video.nextSibling);
    pc.ontrack = function (e) {
      attach(e.track.kind === 'video' ? video : audio, e.track, p.state);
    };
    pc.addTransceiver('video', { direction: 'recvonly' });
    pc.addTransceiver('audio', { direction: 'recvonly' });
    pc.onconnectionstatechange = function () {
      p.state.connection = pc.connectionState;
      if (pc.connectionState === 'connected') p.state.tConnected = performance.now();
    };
    watchLatency(p, status);
    return pc.createOffer().then(function (offer) {
      return pc.setLocalDescription(offer);
    }).then(function () {
      return waitGathering(pc, 300);
    }).then(function () {
      p.state.tPost = performance.now();
      p.state.postCode = Date.now() % MOD;
      return fetch(video.getAttribute('data-whep'), { method: 'POST',
        headers: { 'Content-Type': 'application/sdp' }, body: pc.localDescription.sdp });
    }).then(function (r) {
      if (r.status !== 201) throw new Error('WHEP answered ' + r.status);
      p.state.location = r.headers.get('Location');
      p.state.tAnswer = performance.now();
      return r.text();
    }).then(function (sdp) {
      return pc.setRemoteDescription({ type: 'answer', sdp: sdp });
    }).catch(function (e) {
      p.state.error = String(e);
      status.textContent = 'WebRTC: ' + e;
    });
  }

  function stopAll() {
    Object.keys(window.arclyWebrtc).forEach(function (n) {
      var p = window.arclyWebrtc[n];
      if (p.state.location)
        fetch(p.state.location, { method: 'DELETE', keepalive: true });
      p.pc.close();
    });
  }
  window.arclyWebrtcStop = stopAll;
  window.addEventListener('pagehide', stopAll);
  function startAll() {
    Array.prototype.forEach.call(document.querySelectorAll('video[data-whep]'), start);
  }
  if (document.readyState === 'complete') startAll();
  else window.addEventListener('load', startAll);
})();
