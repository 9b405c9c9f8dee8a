/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The clock mapping of arclyrtspsrc, as pure functions: RTP time → PTS in
 * running time per track (the first packet at its arrival + latency, a
 * settling period after PLAY), A/V alignment from RTP-Info then from RTCP
 * sender reports (a track is only ever delayed), and the slow correction
 * of the drift between the camera's clock and ours (slewed, no jumps).
 * All times in nanoseconds unless named _us; no element code, no clock
 * reads: the caller passes the arrival running time.
 */

#ifndef __ARCLY_RTSP_SYNC_H__
#define __ARCLY_RTSP_SYNC_H__

#include <glib.h>

#include "rtsptime.h"

G_BEGIN_DECLS

#define ARCLY_SYNC_NONE G_MAXUINT64

/* Maximum PTS correction per new RTP timestamp (slew, never jump). */
#define ARCLY_SYNC_MAX_SLEW (G_GINT64_CONSTANT (1000000))
/* After PLAY, servers often flush a burst of queued packets: the first
 * packet arrives early relative to the ones that follow.  For this long
 * after the first packet, a packet arriving later than its PTS − latency
 * moves the mapping forward (never backwards): of every track still
 * settling, so the A/V alignment stands. */
#define ARCLY_SYNC_SETTLE (G_GUINT64_CONSTANT (2000000000))
/* A/V alignment handles at most this many tracks (the first ones). */
#define ARCLY_SYNC_MAX_ALIGNED 16

typedef struct
{
  guint clock_rate;
  gboolean active;              /* set up (has a pad): takes part in A/V */

  ArclyRtpUnwrap unwrap;
  gboolean have_base;
  gint64 base_ext;              /* unwrapped RTP time of the mapping */
  guint64 base_rt;              /* its PTS */
  guint64 base_set_rt;          /* arrival running time of the mapping */
  gint64 last_ext;
  gint64 offset_cur;            /* applied PTS correction */
  gint64 align;                 /* A/V alignment target */

  gboolean have_sr;
  gint64 sr_ext;                /* SR RTP time on the unwrapped axis */
  guint64 sr_ntp;
  gint64 sr_arrival_us;         /* monotonic */
  gboolean have_rtpinfo;
  guint32 rtpinfo_ts;           /* RTP time of the PLAY range start */
} ArclySyncTrack;

typedef struct
{
  guint64 latency;
  ArclyDrift drift;
  gint64 drift_est;
} ArclySync;

void     arcly_sync_init (ArclySync * s, guint64 latency);

void     arcly_sync_track_init (ArclySyncTrack * t, guint clock_rate);

/* The PTS of unwrapped RTP time @ext before corrections. */
guint64  arcly_sync_nominal_pts (const ArclySyncTrack * t, gint64 ext);

/* The PTS of RTP time @ext (from arcly_rtp_unwrap() on t->unwrap) that
 * arrived at running time @now, on track @t; @first: @t is the track the
 * drift is measured on; @tracks: the session's tracks, for the alignment;
 * @pad_last_pts: the last PTS pushed on @t's pad (ARCLY_SYNC_NONE: none),
 * never gone back from for forward RTP time.  *@new_base: the mapping
 * started here; *@aligned: bit i set when tracks[i] got a new alignment
 * target. */
guint64  arcly_sync_pts (ArclySync * s, ArclySyncTrack * t, gboolean first,
                         ArclySyncTrack * const *tracks, guint n_tracks,
                         gint64 ext, guint64 now, guint64 pad_last_pts,
                         gboolean * new_base, guint * aligned);

/* Records a sender report of @t (arrived at monotonic @now_us).  FALSE,
 * and nothing changes, before the track's first RTP packet. */
gboolean arcly_sync_sr (ArclySyncTrack * t, const ArclyRtcpSr * sr,
                        gint64 now_us);

/* Alignment targets of @tracks, from their SRs (@use_sr) or their
 * RTP-Info; only when every track has its reference.  Returns a bitmask of
 * the tracks whose target changed. */
guint    arcly_sync_align (ArclySyncTrack * const *tracks, guint n_tracks,
                           gboolean use_sr);

gboolean arcly_sync_any_sr (ArclySyncTrack * const *tracks, guint n_tracks);

/* LSR and DLSR of a receiver report block about @t at monotonic @now_us. */
void     arcly_sync_fill_report (const ArclySyncTrack * t, gint64 now_us,
                                 ArclyRtcpReportBlock * block);

G_END_DECLS

#endif
