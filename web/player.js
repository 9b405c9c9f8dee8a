/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * arcly-restream's player page: one hls.js player per <video data-src>.
 *
 * Low-latency start.  A decoder can only start at a keyframe, and in an
 * LL-HLS playlist keyframes start the parts marked INDEPENDENT=YES.  hls.js
 * by default starts PART-HOLD-BACK behind the live edge, inside whatever
 * part is there, and then shows nothing until the next keyframe arrives.
 * This page instead starts a new viewer at the newest independent part
 * when that part is younger than one PART-HOLD-BACK (so the viewer is no
 * further behind than hls.js would aim anyway), and otherwise waits for
 * the next independent part (blocking playlist reloads, one per part)
 * before it starts there.  The first picture shows at once; playback
 * starts when one PART-HOLD-BACK is buffered, the distance from the live
 * edge hls.js aims at, so it does not play into the edge and stall.
 * hls.js options used for that:
 *   lowLatencyMode: true       parts and blocking reload
 *   autoStartLoad: false       the page calls hls.startLoad(position)
 *                              itself, with the independent part's start
 *   maxLiveSyncPlaybackRate: 1.5  light catch-up after a stall
 * ?hlsjs=defaults opens the page with hls.js's default settings instead
 * (what bench/restream-latency.sh measures).
 *
 * Each player shows its latency: wall-clock now minus the
 * EXT-X-PROGRAM-DATE-TIME of the frame on screen (the sink stamps a frame
 * with the time it arrived plus the source's latency), plus that source
 * latency (data-source-latency, ms).
 *
 * window.arclyPlayers[name] = { video, state } for tests: state.start is
 * { age, holdBack, waited, position } once the player started.
 */
(function () {
  'use strict';
  var defaults = /[?&]hlsjs=defaults(&|$)/.test(location.search);
  window.arclyPlayers = {};

  function attr(line, name) {
    var m = new RegExp('(?:^|[:,])' + name + '=("[^"]*"|[^,]*)').exec(line);
    return m ? m[1].replace(/^"|"$/g, '') : null;
  }

  /* What a media playlist says about starting: the newest independent
   * part's age (media seconds from its start to the playlist's end),
   * PART-HOLD-BACK, and the (msn, part) of the next part. */
  function parsePlaylist(text) {
    var lines = text.split('\n'), msn = 0, segs = 0, parts = [], holdBack = null;
    var since = null, i;
    for (i = 0; i < lines.length; i++) {
      var l = lines[i];
      if (l.indexOf('#EXT-X-MEDIA-SEQUENCE:') === 0) msn = parseInt(l.slice(22), 10);
      else if (l.indexOf('#EXT-X-SERVER-CONTROL:') === 0) {
        var hb = attr(l, 'PART-HOLD-BACK');
        if (hb !== null) holdBack = parseFloat(hb);
      } else if (l.indexOf('#EXTINF:') === 0) { segs++; parts = []; }
      else if (l.indexOf('#EXT-X-PART:') === 0) {
        parts.push({ duration: parseFloat(attr(l, 'DURATION')),
          independent: attr(l, 'INDEPENDENT') === 'YES' });
      }
    }
    /* The open segment's parts only: the age of an older independent part
     * would be at least a segment, never within the hold-back. */
    for (i = parts.length - 1, since = 0; i >= 0; i--) {
      since += parts[i].duration;
      if (parts[i].independent) break;
    }
    return { holdBack: holdBack, age: i >= 0 ? since : null,
      nextMsn: msn + segs, nextPart: parts.length, ended: text.indexOf('#EXT-X-ENDLIST') >= 0 };
  }

  /* Resolves once the playlist's newest independent part is younger than
   * one PART-HOLD-BACK (or the stream has no parts, or 15 s passed). */
  function waitForIndependentPart(src) {
    var t0 = performance.now();
    function round(url) {
      return fetch(url, { cache: 'no-store' }).then(function (r) {
        if (!r.ok) throw new Error('HTTP ' + r.status);
        return r.text();
      }).then(function (text) {
        var p = parsePlaylist(text);
        if (p.holdBack === null || p.ended || (p.age !== null && p.age <= p.holdBack) ||
            performance.now() - t0 > 15000)
          return performance.now() - t0;
        return round(src + '?_HLS_msn=' + p.nextMsn + '&_HLS_part=' + p.nextPart);
      }, function () {
        if (performance.now() - t0 > 15000) return performance.now() - t0;
        return new Promise(function (ok) { setTimeout(ok, 500); }).then(function () {
          return round(src);
        });
      });
    }
    return round(src);
  }

  /* Starts @hls at the newest independent part of its first playlist. */
  function startAtIndependentPart(hls, st, waited) {
    hls.once(Hls.Events.LEVEL_LOADED, function (e, data) {
      var d = data.details, list = d.partList || [], pos = -1, i;
      for (i = list.length - 1; i >= 0; i--) {
        if (list[i].independent) { pos = list[i].start; break; }
      }
      st.start = { age: pos >= 0 ? d.edge - pos : null, holdBack: d.partHoldBack,
        waited: waited / 1000, position: pos };
      hls.startLoad(pos);
    });
  }

  /* Plays once one PART-HOLD-BACK is buffered ahead (the first picture
   * shows at once, paused): starting younger than that, hls.js would play
   * into the live edge and stall.  3 s at most. */
  function playWhenBuffered(v, st) {
    var t0 = performance.now();
    var timer = setInterval(function () {
      var b = v.buffered, ahead = b.length ? b.end(b.length - 1) - v.currentTime : 0;
      var want = st.start && st.start.holdBack ? st.start.holdBack : 0;
      if ((st.start && ahead >= want) || performance.now() - t0 > 3000) {
        clearInterval(timer);
        v.play().catch(function () {});
      }
    }, 50);
  }

  function showLatency(v, st, el, sourceLatency) {
    setInterval(function () {
      var h = st.hls;
      if (!h || !h.playingDate || v.paused) return;
      st.latency = (Date.now() - h.playingDate.getTime()) / 1000 + sourceLatency;
      el.textContent = 'latency ' + st.latency.toFixed(2) + ' s';
    }, 500);
  }

  document.querySelectorAll('video[data-src]').forEach(function (v) {
    var src = v.dataset.src, name = v.id.slice(2);
    var st = { fatal: null, hls: null, start: null, latency: null };
    var el = document.getElementById('s-' + name);
    window.arclyPlayers[name] = { video: v, state: st };
    if (!(window.Hls && Hls.isSupported())) {
      v.src = src;
      v.play().catch(function () {});
      return;
    }
    function create(cfg) {
      var hls = new Hls(cfg);
      st.hls = hls;
      if (window.arclyDebug) window.arclyDebug(name, hls);
      hls.on(Hls.Events.ERROR, function (e, d) {
        if (d.fatal) st.fatal = d.type + ':' + d.details;
      });
      return hls;
    }
    showLatency(v, st, el, parseFloat(v.dataset.sourceLatency || '0') / 1000);
    if (defaults) {
      var hls = create({});
      hls.loadSource(src);
      hls.attachMedia(v);
      v.play().catch(function () {});
      return;
    }
    if (el) el.textContent = 'waiting for a keyframe…';
    waitForIndependentPart(src).then(function (waited) {
      var hls = create({ lowLatencyMode: true, autoStartLoad: false,
        maxLiveSyncPlaybackRate: 1.5 });
      v.autoplay = false;
      startAtIndependentPart(hls, st, waited);
      hls.loadSource(src);
      hls.attachMedia(v);
      playWhenBuffered(v, st);
    });
  });
})();
