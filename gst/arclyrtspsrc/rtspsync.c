/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The clock mapping of arclyrtspsrc; see rtspsync.h.
 */

#include "rtspsync.h"

#include <string.h>

#define NS_PER_S G_GUINT64_CONSTANT (1000000000)

void
arcly_sync_init (ArclySync * s, guint64 latency)
{
  memset (s, 0, sizeof (*s));
  s->latency = latency;
}

void
arcly_sync_track_init (ArclySyncTrack * t, guint clock_rate)
{
  memset (t, 0, sizeof (*t));
  t->clock_rate = clock_rate;
}

/* floor (@ticks × 1 s / @rate), without overflow */
static guint64
ticks_to_ns (guint64 ticks, guint rate)
{
  if (rate == 0)
    return 0;
  return (ticks / rate) * NS_PER_S + ((ticks % rate) * NS_PER_S) / rate;
}

guint64
arcly_sync_nominal_pts (const ArclySyncTrack * t, gint64 ext)
{
  gint64 d = ext - t->base_ext;
  gint64 off;

  if (d >= 0)
    off = (gint64) ticks_to_ns ((guint64) d, t->clock_rate);
  else
    off = -(gint64) ticks_to_ns ((guint64) (-d), t->clock_rate);
  if (off < 0 && (guint64) (-off) > t->base_rt)
    return 0;
  return (guint64) ((gint64) t->base_rt + off);
}

/* The PTS track @t gives to the common reference instant: with @use_sr
 * the NTP time of its last SR (minus that NTP time), else the start of the
 * PLAY range from RTP-Info (RFC 2326 §12.33), which all tracks share. */
static gboolean
reference_pts (const ArclySyncTrack * t, gboolean use_sr, gint64 * d)
{
  if (!t->active || !t->have_base)
    return FALSE;
  if (use_sr) {
    if (!t->have_sr)
      return FALSE;
    *d = (gint64) arcly_sync_nominal_pts (t, t->sr_ext) -
        (gint64) arcly_ntp_to_ns (t->sr_ntp);
  } else {
    if (!t->have_rtpinfo)
      return FALSE;
    *d = (gint64) arcly_sync_nominal_pts (t, t->base_ext +
        (gint32) (t->rtpinfo_ts - (guint32) t->base_ext));
  }
  return TRUE;
}

guint
arcly_sync_align (ArclySyncTrack * const *tracks, guint n_tracks,
    gboolean use_sr)
{
  gint64 aligns[ARCLY_SYNC_MAX_ALIGNED], min_align = 0, d_ref, d_t;
  guint n = MIN (n_tracks, ARCLY_SYNC_MAX_ALIGNED), i, changed = 0;

  if (n < 2 || !reference_pts (tracks[0], use_sr, &d_ref))
    return 0;
  /* relative to the first track... */
  aligns[0] = 0;
  for (i = 1; i < n; i++) {
    /* only with every track's reference: a partial set would undo the
     * alignment of the others */
    if (!reference_pts (tracks[i], use_sr, &d_t))
      return 0;
    aligns[i] = d_ref - d_t;
    /* a bogus SR (NTP 0, a clock jump) must not move a track seconds */
    if (ABS (aligns[i]) > 5 * (gint64) NS_PER_S)
      aligns[i] = 0;
    min_align = MIN (min_align, aligns[i]);
  }
  /* ...then shifted so that no track is moved earlier: a correction only
   * ever adds delay, so no buffer becomes late downstream */
  for (i = 0; i < n; i++) {
    ArclySyncTrack *o = tracks[i];

    if (!o->active)
      continue;
    if (o->align != aligns[i] - min_align)
      changed |= 1u << i;
    o->align = aligns[i] - min_align;
  }
  return changed;
}

gboolean
arcly_sync_any_sr (ArclySyncTrack * const *tracks, guint n_tracks)
{
  guint i;

  for (i = 0; i < n_tracks; i++) {
    if (tracks[i]->have_sr)
      return TRUE;
  }
  return FALSE;
}

/* A packet of @t arrived @late while settling: the first packets came
 * early, so the mapping of the session moves forward, every track still
 * settling by the same amount.  Their alignment is a relation between
 * tracks that a late packet says nothing about; moving @t alone would
 * change it, and the re-alignment would then slew a track back by up to
 * @late at 1 ms per frame (a 30 fps video 32 ms apart: ffmpeg gives two
 * frames one timestamp).  Forward only: nothing becomes late downstream. */
static void
settle_shift (ArclySyncTrack * t, ArclySyncTrack * const *tracks,
    guint n_tracks, guint64 now, guint64 late)
{
  guint i;

  t->base_rt += late;
  for (i = 0; i < n_tracks; i++) {
    ArclySyncTrack *o = tracks[i];

    /* a track past its settling has its drift reference on this mapping */
    if (o != t && o->active && o->have_base
        && now - o->base_set_rt < ARCLY_SYNC_SETTLE)
      o->base_rt += late;
  }
}

guint64
arcly_sync_pts (ArclySync * s, ArclySyncTrack * t, gboolean first,
    ArclySyncTrack * const *tracks, guint n_tracks, gint64 ext, guint64 now,
    guint64 pad_last_pts, gboolean * new_base, guint * aligned)
{
  gboolean remap = FALSE;
  guint64 nominal, pts;

  *new_base = FALSE;
  *aligned = 0;
  if (!t->have_base) {
    remap = TRUE;
    *new_base = TRUE;
    t->have_base = TRUE;
    t->base_ext = ext;
    t->last_ext = ext;
    t->base_rt = now + s->latency;
    t->base_set_rt = now;
    t->offset_cur = 0;
  }
  nominal = arcly_sync_nominal_pts (t, ext);
  if (now - t->base_set_rt < ARCLY_SYNC_SETTLE) {
    /* late against the PTS the track is being slewed to: a track the
     * alignment delays is that much less late (against the PTS of the
     * moment, a slew still under way would be counted twice) */
    gint64 due = (gint64) nominal + t->align + s->drift_est;

    if ((gint64) (now + s->latency) > due) {
      guint64 late = (guint64) ((gint64) (now + s->latency) - due);

      settle_shift (t, tracks, n_tracks, now, late);
      nominal += late;
      remap = TRUE;
    }
  } else if (first) {
    /* Drift between the camera's clock and ours is measured on the first
     * track and applied to all, so A/V alignment is kept. */
    s->drift_est = arcly_drift_sample (&s->drift,
        (gint64) (now + s->latency), (gint64) nominal);
  }
  /* until the first SR, align on the RTP-Info of the PLAY reply */
  if (remap && !arcly_sync_any_sr (tracks, n_tracks))
    *aligned = arcly_sync_align (tracks, n_tracks, FALSE);
  if (ext != t->last_ext)
    t->offset_cur = arcly_slew (t->offset_cur, t->align + s->drift_est,
        ARCLY_SYNC_MAX_SLEW);
  pts = (guint64) MAX ((gint64) 0, (gint64) nominal + t->offset_cur);
  /* never backwards for forward RTP time (after a reconnect either) */
  if (pad_last_pts != ARCLY_SYNC_NONE && pts < pad_last_pts
      && ext >= t->last_ext)
    pts = pad_last_pts;
  t->last_ext = ext;
  return pts;
}

gboolean
arcly_sync_sr (ArclySyncTrack * t, const ArclyRtcpSr * sr, gint64 now_us)
{
  if (!t->unwrap.have)
    return FALSE;
  t->have_sr = TRUE;
  t->sr_ntp = sr->ntp;
  t->sr_ext = t->unwrap.ext + (gint32) (sr->rtp_ts - t->unwrap.last);
  t->sr_arrival_us = now_us;
  return TRUE;
}

void
arcly_sync_fill_report (const ArclySyncTrack * t, gint64 now_us,
    ArclyRtcpReportBlock * b)
{
  if (t->have_sr) {
    gint64 d = now_us - t->sr_arrival_us;

    b->lsr = (guint32) (t->sr_ntp >> 16);
    b->dlsr = (guint32) ((d * 65536) / G_TIME_SPAN_SECOND);
  }
}
