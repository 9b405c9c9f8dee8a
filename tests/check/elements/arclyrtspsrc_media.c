/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * arclyrtspsrc pushes only real media, against the scripted server: random
 * bytes and zero-length frames on the RTP channels after PLAY are never
 * pushed and end in a stall (WARNING, reconnect) within `timeout`; other
 * sources and payload types are dropped and counted in `stats`; a camera
 * that restarts on the same connection (a new SSRC that persists) is
 * followed, with DISCONT.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <gst/check/gstcheck.h>

#include "arclyrtspsrc-quirk.h"

static guint64
stat_u64 (GstStructure * st, const gchar * field)
{
  guint64 v = 0;

  fail_unless (gst_structure_get_uint64 (st, field, &v), "no %s", field);
  return v;
}

/* the stats structure of the first (video) track */
static GstStructure *
video_track_stats (GstStructure * st)
{
  const GValue *tracks = gst_structure_get_value (st, "tracks");
  guint i;

  for (i = 0; tracks && i < gst_value_array_get_size (tracks); i++) {
    const GstStructure *t =
        gst_value_get_structure (gst_value_array_get_value (tracks, i));

    if (g_strcmp0 (gst_structure_get_string (t, "media"), "video") == 0)
      return gst_structure_copy (t);
  }
  return NULL;
}

static guint
total_buffers (Ctx * ctx)
{
  guint i, n = 0;

  g_mutex_lock (&ctx->lock);
  for (i = 0; i < ctx->pads->len; i++)
    n += ((PadRecord *) g_ptr_array_index (ctx->pads, i))->buffers;
  g_mutex_unlock (&ctx->lock);
  return n;
}

static gboolean
cond_warning (Ctx * ctx, gpointer data)
{
  return ctx->n_warnings > 0;
}

static gboolean
cond_connected (Ctx * ctx, gpointer data)
{
  return ctx->connected > 0;
}

/* Bytes keep arriving, none of them media: no buffer, and a stall WARNING
 * within timeout + 1 s of PLAY; the drops are counted per reason. */
GST_START_TEST (test_random_frames_stall)
{
  Quirk *q = quirk_start ("random-frames", FALSE);
  GstStructure *st, *vt;
  gint64 t_play;

  g_object_set (q->ctx->src, "timeout", 1500, "retry-backoff", 5000, NULL);
  quirk_play (q);
  fail_unless (ctx_run_until (q->ctx, cond_connected, NULL, 10000, FALSE));
  t_play = g_get_monotonic_time ();
  fail_unless (ctx_run_until (q->ctx, cond_warning, NULL, 2500 + 500, FALSE),
      "no WARNING; messages: %s", q->ctx->messages->str);
  fail_unless (g_get_monotonic_time () - t_play <= 2500 * 1000,
      "the stall WARNING came %" G_GINT64_FORMAT " ms after PLAY",
      (g_get_monotonic_time () - t_play) / 1000);
  fail_unless (strstr (q->ctx->warnings->str, "no media for 1500 ms"), "%s",
      q->ctx->warnings->str);
  fail_unless (strstr (q->ctx->warnings->str, "reconnecting in 5000 ms"),
      "%s", q->ctx->warnings->str);
  fail_unless_equals_int (total_buffers (q->ctx), 0);

  g_object_get (q->ctx->src, "stats", &st, NULL);
  vt = video_track_stats (st);
  fail_unless (vt != NULL);
  /* about 45 random frames in 1.5 s, a quarter of them empty */
  fail_unless (stat_u64 (vt, "dropped-invalid") +
      stat_u64 (vt, "dropped-payload-type") +
      stat_u64 (vt, "dropped-ssrc") >= 20, "%" GST_PTR_FORMAT, vt);
  fail_unless (stat_u64 (vt, "dropped-invalid") >= 5, "%" GST_PTR_FORMAT, vt);
  fail_unless_equals_int (stat_u64 (vt, "packets"), 0);
  fail_unless (stat_u64 (st, "dropped-invalid") >=
      stat_u64 (vt, "dropped-invalid"));
  gst_structure_free (vt);
  gst_structure_free (st);
  quirk_free (q);
}

GST_END_TEST;

/* The Transport reply announces the SSRC; copies of every video packet
 * from another SSRC, with another payload type, and 1-byte frames are all
 * dropped and counted; only the track's own packets reach the pad. */
GST_START_TEST (test_foreign_packets_dropped)
{
  Quirk *q = quirk_start ("foreign-packets", FALSE);
  GstStructure *st, *vt;
  PadRecord *v;

  quirk_play (q);
  ctx_assert_flowing (q->ctx, 60, 20000, "foreign-packets");
  g_mutex_lock (&q->ctx->lock);
  v = ctx_pad (q->ctx, TRUE);
  fail_unless (v != NULL);
  fail_unless_equals_int (v->ssrc_changes, 0);
  fail_unless_equals_int (v->pt_mask[96 / 32], 1u << (96 % 32));
  fail_unless_equals_int (v->pt_mask[111 / 32] & (1u << (111 % 32)), 0);
  g_mutex_unlock (&q->ctx->lock);

  g_object_get (q->ctx->src, "stats", &st, NULL);
  vt = video_track_stats (st);
  fail_unless (vt != NULL);
  fail_unless (stat_u64 (vt, "dropped-ssrc") >= 60, "%" GST_PTR_FORMAT, vt);
  fail_unless (stat_u64 (vt, "dropped-payload-type") >= 60, "%"
      GST_PTR_FORMAT, vt);
  fail_unless (stat_u64 (vt, "dropped-invalid") >= 60, "%" GST_PTR_FORMAT,
      vt);
  gst_structure_free (vt);
  gst_structure_free (st);
  fail_unless_equals_int (q->ctx->reconnecting, 0);
  quirk_free (q);
}

GST_END_TEST;

/* No SSRC in the Transport reply; 2 s after PLAY the camera "restarts":
 * a new SSRC, sequence and RTP clock on the same connection.  Buffers
 * resume without a reconnect, the first of the new source is a DISCONT,
 * and the stats show the new SSRC. */
GST_START_TEST (test_ssrc_change_followed)
{
  Quirk *q = quirk_start ("ssrc-change", FALSE);
  GstStructure *st, *vt;
  PadRecord *v;
  gchar *log, *p;
  guint new_ssrc = 0, ssrc = 0;

  quirk_play (q);
  ctx_assert_flowing (q->ctx, 20, 20000, "before the change");
  {
    gint64 until = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;

    while (log_count (q, "\"event\":\"ssrc-change\"", NULL) < 2 &&
        g_get_monotonic_time () < until)
      ctx_run_until (q->ctx, NULL, NULL, 100, FALSE);
  }
  fail_unless_equals_int (log_count (q, "\"event\":\"ssrc-change\"", NULL),
      2);
  ctx_assert_flowing (q->ctx, 30, 20000, "after the change");
  fail_unless_equals_int (q->ctx->reconnecting, 0);
  fail_unless_equals_int (q->ctx->connected, 1);
  g_mutex_lock (&q->ctx->lock);
  v = ctx_pad (q->ctx, TRUE);
  fail_unless_equals_int (v->ssrc_changes, 1);
  fail_unless_equals_int (v->ssrc_change_disconts, 1);
  fail_unless_equals_int (v->backwards, 0);
  g_mutex_unlock (&q->ctx->lock);

  log = quirk_log (q);
  p = strstr (log, "\"event\":\"ssrc-change\",\"conn\":1,\"track\":0");
  fail_unless (p != NULL, "%s", log);
  p = strstr (p, "\"ssrc\":\"");
  fail_unless (p && sscanf (p + 8, "%x", &new_ssrc) == 1);
  g_free (log);
  g_object_get (q->ctx->src, "stats", &st, NULL);
  vt = video_track_stats (st);
  fail_unless (gst_structure_get_uint (vt, "ssrc", &ssrc));
  fail_unless_equals_int (ssrc, new_ssrc);
  gst_structure_free (vt);
  gst_structure_free (st);
  quirk_free (q);
}

GST_END_TEST;

static Suite *
arclyrtspsrc_media_suite (void)
{
  Suite *s = suite_create ("arclyrtspsrc_media");
  TCase *tc = tcase_create ("media");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_random_frames_stall);
  tcase_add_test (tc, test_foreign_packets_dropped);
  tcase_add_test (tc, test_ssrc_change_followed);
  return s;
}

GST_CHECK_MAIN (arclyrtspsrc_media);
