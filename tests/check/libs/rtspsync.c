/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Unit tests of the clock mapping of arclyrtspsrc
 * (gst/arclyrtspsrc/rtspsync.c).
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>

#include "rtspsync.h"

#define MS GST_MSECOND
#define LAT (200 * MS)

typedef struct
{
  ArclySync s;
  ArclySyncTrack tr[2];
  ArclySyncTrack *v[2];
  guint64 last[2];
} Fx;

static void
fx_init (Fx * f, guint n)
{
  arcly_sync_init (&f->s, LAT);
  arcly_sync_track_init (&f->tr[0], 90000);
  arcly_sync_track_init (&f->tr[1], 48000);
  f->tr[0].active = f->tr[1].active = TRUE;
  f->v[0] = &f->tr[0];
  f->v[1] = &f->tr[1];
  f->last[0] = f->last[1] = ARCLY_SYNC_NONE;
  (void) n;
}

/* RTP @ts of track @i arrives at @now */
static guint64
fx_packet (Fx * f, guint i, guint32 ts, guint64 now, guint n_tracks,
    gboolean * new_base, guint * aligned)
{
  gboolean nb;
  guint al;
  gint64 ext = arcly_rtp_unwrap (&f->tr[i].unwrap, ts);
  guint64 pts = arcly_sync_pts (&f->s, &f->tr[i], i == 0, f->v, n_tracks,
      ext, now, f->last[i], &nb, &al);

  if (new_base)
    *new_base = nb;
  if (aligned)
    *aligned = al;
  f->last[i] = pts;
  return pts;
}

GST_START_TEST (test_first_packet_and_settle)
{
  Fx f;
  gboolean nb = FALSE;
  guint64 pts;

  fx_init (&f, 1);
  /* the first packet: its arrival + latency */
  pts = fx_packet (&f, 0, 1000, 5 * GST_SECOND, 1, &nb, NULL);
  fail_unless (nb);
  fail_unless_equals_uint64 (pts, 5 * GST_SECOND + LAT);
  /* one frame later, on time */
  pts = fx_packet (&f, 0, 4000, 5 * GST_SECOND + 33 * MS, 1, &nb, NULL);
  fail_if (nb);
  fail_unless_equals_uint64 (pts, 5 * GST_SECOND + LAT + 33333333);
  /* within the settling time a packet 50 ms late moves the mapping */
  pts = fx_packet (&f, 0, 7000, 5 * GST_SECOND + 117 * MS, 1, NULL, NULL);
  fail_unless_equals_uint64 (pts, 5 * GST_SECOND + 117 * MS + LAT);
  /* after it, a late packet keeps its PTS from the RTP time */
  pts = fx_packet (&f, 0, 7000 + 3 * 90000, 8 * GST_SECOND + 300 * MS, 1,
      NULL, NULL);
  fail_unless_equals_uint64 (pts, 8 * GST_SECOND + 117 * MS + LAT);
}

GST_END_TEST;

GST_START_TEST (test_rtpinfo_alignment)
{
  Fx f;
  guint aligned = 0;
  guint64 p0, p1;
  guint k;

  fx_init (&f, 2);
  /* both tracks start at the PLAY range start; audio arrives 100 ms
   * after video */
  f.tr[0].have_rtpinfo = TRUE;
  f.tr[0].rtpinfo_ts = 90000;
  f.tr[1].have_rtpinfo = TRUE;
  f.tr[1].rtpinfo_ts = 48000;
  fx_packet (&f, 0, 90000, GST_SECOND, 2, NULL, &aligned);
  fail_unless_equals_int (aligned, 0);  /* audio has no reference yet */
  fx_packet (&f, 1, 48000, GST_SECOND + 100 * MS, 2, NULL, &aligned);
  /* video is delayed by 100 ms, audio untouched */
  fail_unless_equals_int (aligned, 1);
  fail_unless_equals_int64 (f.tr[0].align, 100 * MS);
  fail_unless_equals_int64 (f.tr[1].align, 0);
  /* reached by 1 ms per new RTP time, never in one step (the packets
   * arrive a bit early: the settling does not move the mapping) */
  p0 = fx_packet (&f, 0, 93000, GST_SECOND + 33 * MS, 2, NULL, NULL);
  fail_unless_equals_uint64 (p0, GST_SECOND + LAT + 33333333 + MS);
  for (k = 2; k <= 120; k++)
    p0 = fx_packet (&f, 0, 90000 + 3000 * k, GST_SECOND + k * 33 * MS, 2,
        NULL, NULL);
  fail_unless_equals_uint64 (p0, GST_SECOND + LAT + 4 * GST_SECOND
      + 100 * MS);
  /* captured at the same instant: the same PTS */
  p1 = fx_packet (&f, 1, 48000 + 4 * 48000, 5 * GST_SECOND + 100 * MS, 2,
      NULL, NULL);
  fail_unless_equals_uint64 (p1, p0);
}

GST_END_TEST;

/* Under load a packet comes late while the mapping settles (the reading
 * thread was held): the session's mapping moves forward, the A/V
 * alignment stands, so no track is slewed back.  It was: the late track
 * alone moved forward, the RTP-Info alignment then undid most of it at
 * 1 ms per frame, 30 fps video came 32.3 ms apart and ffmpeg gave two
 * frames of the recording one timestamp (pipelines/restream-recorder on a
 * busy core).  Both ways: the audio packet late, the video packet late. */
GST_START_TEST (test_settle_late_keeps_alignment)
{
  guint stalled;

  for (stalled = 0; stalled < 2; stalled++) {
    Fx f;
    guint64 pv = 0, pa = 0, prev_v = ARCLY_SYNC_NONE, prev_a = ARCLY_SYNC_NONE;
    guint64 late_pts = 0, late_at = 0;
    guint k;

    fx_init (&f, 2);
    f.tr[0].have_rtpinfo = f.tr[1].have_rtpinfo = TRUE;
    f.tr[0].rtpinfo_ts = 90000;
    f.tr[1].rtpinfo_ts = 48000;
    /* frame k of both tracks captured at k / 30 s; audio comes 14 ms
     * after video (video is delayed by 14 ms), each packet 1 ms early
     * after the first, except frame 10 of the stalled track: 30 ms late */
    for (k = 0; k <= 120; k++) {
      guint64 at = GST_SECOND + gst_util_uint64_scale (k, GST_SECOND, 30);
      guint64 av = at - (k ? MS : 0), aa = at + 14 * MS - (k ? MS : 0);

      if (k == 10) {
        if (stalled == 0)
          av += 31 * MS;
        else
          aa += 31 * MS;
      }
      pv = fx_packet (&f, 0, 90000 + 3000 * k, av, 2, NULL, NULL);
      pa = fx_packet (&f, 1, 48000 + 1600 * k, aa, 2, NULL, NULL);
      if (k == 10) {
        late_pts = stalled == 0 ? pv : pa;
        late_at = stalled == 0 ? av : aa;
      }
      if (k == 1)
        fail_unless_equals_int64 (f.tr[0].align, 14 * MS);
      /* never closer than the capture times: slewed or moved forward
       * only (1 ns of rounding) */
      if (prev_v != ARCLY_SYNC_NONE) {
        fail_unless (pv + 1 >= prev_v + 33333333, "track %u stalled: video "
            "frame %u only %" G_GINT64_FORMAT " ns after the last", stalled,
            k, (gint64) (pv - prev_v));
        fail_unless (pa + 1 >= prev_a + 33333333, "track %u stalled: audio "
            "frame %u only %" G_GINT64_FORMAT " ns after the last", stalled,
            k, (gint64) (pa - prev_a));
      }
      prev_v = pv;
      prev_a = pa;
    }
    /* the late packet lands on its arrival + latency, less what the
     * alignment slew still has to add (its lateness counts from the PTS
     * its track is slewed to) */
    fail_unless (late_pts <= late_at + LAT && late_pts + 14 * MS >= late_at
        + LAT, "track %u stalled: late packet at %" G_GINT64_FORMAT " ns from "
        "its arrival + latency", stalled, (gint64) (late_pts - late_at - LAT));
    /* the alignment stands and is reached: captured together, one PTS,
     * later by exactly the lateness against that PTS: 30 ms for audio,
     * 30 - 14 ms for the video the alignment had delayed by 14 ms */
    fail_unless_equals_int64 (f.tr[0].align, 14 * MS);
    fail_unless_equals_int64 (f.tr[1].align, 0);
    fail_unless (pv <= pa + 1 && pa <= pv + 1, "video %" G_GUINT64_FORMAT
        " audio %" G_GUINT64_FORMAT, pv, pa);
    fail_unless_equals_int64 ((gint64) (pv - GST_SECOND - LAT - 4 * GST_SECOND
            - 14 * MS), stalled == 0 ? 16 * MS : 30 * MS);
  }
}

GST_END_TEST;

GST_START_TEST (test_sr_alignment)
{
  Fx f;
  ArclyRtcpSr sr = { 0, };
  guint64 ntp0 = G_GUINT64_CONSTANT (3900000000) << 32;

  fx_init (&f, 2);
  /* an SR before the first RTP packet is not usable */
  sr.rtp_ts = 1;
  fail_if (arcly_sync_sr (&f.tr[0], &sr, 0));
  fx_packet (&f, 0, 0, GST_SECOND, 2, NULL, NULL);
  fx_packet (&f, 1, 0, GST_SECOND, 2, NULL, NULL);
  /* the SRs say video RTP 0 was captured 200 ms after audio RTP 0, yet
   * both arrived together */
  sr.ntp = ntp0 + (G_GUINT64_CONSTANT (1) << 32) / 5;
  sr.rtp_ts = 0;
  fail_unless (arcly_sync_sr (&f.tr[0], &sr, 0));
  fail_unless_equals_int (arcly_sync_align (f.v, 2, TRUE), 0);
  sr.ntp = ntp0;
  fail_unless (arcly_sync_sr (&f.tr[1], &sr, 0));
  fail_unless (arcly_sync_any_sr (f.v, 2));
  fail_unless_equals_int (arcly_sync_align (f.v, 2, TRUE), 1);
  /* video is delayed, audio is not moved earlier */
  fail_unless (ABS (f.tr[0].align - 200 * (gint64) MS) < 2, "%"
      G_GINT64_FORMAT, f.tr[0].align);
  fail_unless_equals_int64 (f.tr[1].align, 0);
  fail_unless_equals_int (arcly_sync_align (f.v, 2, TRUE), 0);
  /* a bogus SR (NTP seconds away) does not move a track */
  sr.ntp = ntp0 + (G_GUINT64_CONSTANT (60) << 32);
  fail_unless (arcly_sync_sr (&f.tr[1], &sr, 0));
  arcly_sync_align (f.v, 2, TRUE);
  fail_unless_equals_int64 (f.tr[0].align, 0);
  fail_unless_equals_int64 (f.tr[1].align, 0);
  /* an inactive track (no pad) keeps the alignment from being computed */
  f.tr[1].active = FALSE;
  f.tr[1].align = 7;
  fail_unless_equals_int (arcly_sync_align (f.v, 2, TRUE), 0);
  fail_unless_equals_int64 (f.tr[1].align, 7);
}

GST_END_TEST;

GST_START_TEST (test_never_backwards_and_report)
{
  Fx f;
  guint64 pts;
  ArclyRtcpReportBlock b = { 0, };
  ArclyRtcpSr sr = { 0, };

  fx_init (&f, 1);
  /* after a reconnect the pad's last PTS is ahead of the new mapping:
   * forward RTP time does not go back... */
  f.last[0] = 10 * GST_SECOND;
  pts = fx_packet (&f, 0, 0, GST_SECOND, 1, NULL, NULL);
  fail_unless_equals_uint64 (pts, 10 * GST_SECOND);
  /* ...a step back in RTP time (B-frames) does */
  f.last[0] = 10 * GST_SECOND;
  pts = fx_packet (&f, 0, (guint32) - 3000, GST_SECOND, 1, NULL, NULL);
  fail_unless (pts < 10 * GST_SECOND);

  /* RR fields: middle 32 bits of the SR's NTP, 1/65536 s since it */
  sr.ntp = G_GUINT64_CONSTANT (0x1122334455667788);
  fail_unless (arcly_sync_sr (&f.tr[0], &sr, 1000000));
  arcly_sync_fill_report (&f.tr[0], 2500000, &b);
  fail_unless_equals_int (b.lsr, 0x33445566);
  fail_unless_equals_int (b.dlsr, 98304);
}

GST_END_TEST;

GST_START_TEST (test_nominal_no_overflow)
{
  ArclySyncTrack t;
  gint64 ticks = G_GINT64_CONSTANT (1) << 40;

  arcly_sync_track_init (&t, 90000);
  t.base_ext = 0;
  t.base_rt = GST_SECOND;
  fail_unless_equals_uint64 (arcly_sync_nominal_pts (&t, ticks),
      GST_SECOND + gst_util_uint64_scale_int (ticks, GST_SECOND, 90000));
  /* before the mapping's start: clamped at 0 */
  fail_unless_equals_uint64 (arcly_sync_nominal_pts (&t, -2 * 90000), 0);
  fail_unless_equals_uint64 (arcly_sync_nominal_pts (&t, -45000),
      GST_SECOND / 2);
}

GST_END_TEST;

static Suite *
rtspsync_suite (void)
{
  Suite *s = suite_create ("rtspsync");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_first_packet_and_settle);
  tcase_add_test (tc, test_rtpinfo_alignment);
  tcase_add_test (tc, test_settle_late_keeps_alignment);
  tcase_add_test (tc, test_sr_alignment);
  tcase_add_test (tc, test_never_backwards_and_report);
  tcase_add_test (tc, test_nominal_no_overflow);
  return s;
}

GST_CHECK_MAIN (rtspsync);
