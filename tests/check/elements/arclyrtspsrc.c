/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * arclyrtspsrc against a real RTSP server, tools/arcly-testcam
 * (gst-rtsp-server, x264enc + voaacenc): auth none/Basic/Digest, caps, PTS,
 * A/V alignment, wrong password, 404, reconnect after the camera restarts on
 * the same port, keep-alive with a short session timeout, and prompt
 * shutdown while connecting, streaming and with a hung server.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "arclyrtspsrc-common.h"

#include <gio/gio.h>
#include <signal.h>

#define USER "u"
#define PASS "p4ss-Secret"

static ArclyTestCam *
start_cam (const gchar * auth, const gchar * extra)
{
  const gchar *args[] = { "--auth", auth, "--user", USER, "--password", PASS,
    "--gop", "30", extra, extra ? "4" : NULL, NULL
  };
  GError *error = NULL;
  ArclyTestCam *cam = arcly_test_cam_start (args, &error);

  fail_unless (cam != NULL, "test camera did not start: %s",
      error ? error->message : "?");
  return cam;
}

/* Every log line of the element, to prove credentials never show up. */
static GMutex log_lock;
static GString *log_text;

static void
capture_log (GstDebugCategory * category, GstDebugLevel level,
    const gchar * file, const gchar * function, gint line, GObject * object,
    GstDebugMessage * message, gpointer user_data)
{
  const gchar *name = gst_debug_category_get_name (category);

  if (!g_str_has_prefix (name, "arclyrtspsrc"))
    return;
  g_mutex_lock (&log_lock);
  if (log_text)
    g_string_append_printf (log_text, "%s\n",
        gst_debug_message_get (message));
  g_mutex_unlock (&log_lock);
}

static void
check_streaming (const gchar * auth)
{
  ArclyTestCam *cam = start_cam (auth, NULL);
  gchar *url = arcly_test_cam_get_url_with_credentials (cam, USER, PASS);
  Ctx *ctx;
  PadRecord *v, *a;
  gint64 dv, da;
  GstStructure *stats = NULL;
  GstQuery *q;
  gboolean live = FALSE;
  GstClockTime min_lat = 0, max_lat = 0;

  g_mutex_lock (&log_lock);
  log_text = g_string_new (NULL);
  g_mutex_unlock (&log_lock);
  gst_debug_set_threshold_for_name ("arclyrtspsrc*", GST_LEVEL_LOG);
  gst_debug_add_log_function (capture_log, NULL, NULL);

  ctx = ctx_new (url);
  fail_unless (gst_element_set_state (ctx->pipe, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  ctx_assert_flowing (ctx, 60, 20000, auth);
  /* let the RTCP SR alignment (slewed, 1 ms per frame) settle, then
   * measure A/V over the last 64 buffers of each pad */
  ctx_run_until (ctx, NULL, NULL, 3000, FALSE);
  ctx_assert_flowing (ctx, 40, 10000, auth);

  g_mutex_lock (&ctx->lock);
  fail_unless_equals_int (ctx->pads->len, 2);
  fail_unless_equals_int (ctx->no_more_pads, 1);
  fail_unless_equals_int (ctx->connected, 1);
  v = ctx_pad (ctx, TRUE);
  a = ctx_pad (ctx, FALSE);
  fail_unless (v && a);
  fail_unless_equals_string (v->name, "video_0");
  fail_unless_equals_string (a->name, "audio_0");
  fail_unless_equals_int (v->backwards, 0);
  fail_unless_equals_int (a->backwards, 0);
  fail_unless_equals_int (v->no_pts, 0);
  fail_unless_equals_int (a->no_pts, 0);
  /* the first buffer of each pad is DISCONT, no other */
  fail_unless_equals_int (v->disconts, 1);
  fail_unless_equals_int (a->disconts, 1);
  dv = median_offset (v);
  da = median_offset (a);
  GST_INFO ("%s: video offset %" G_GINT64_FORMAT " ms, audio %"
      G_GINT64_FORMAT " ms", auth, dv / GST_MSECOND, da / GST_MSECOND);
  /* PTS − arrival per pad (median of the last 64 buffers): audio and
   * video arriving together carry PTS within 100 ms of each other, as the
   * issue asks.  After the RTCP SR alignment the PTS follow the camera's
   * capture times, so the difference also holds the camera's own encoder
   * skew (x264enc vs voaacenc): measured 0-1 ms, also with 4 busy loops on
   * the 2 cores.  The scripted server, which sends every frame at its
   * capture time, checks the same (test_normal_rr_and_teardown) and an
   * SR-only alignment (test_av_offset_sr). */
  fail_unless (ABS (dv - da) < 100 * GST_MSECOND,
      "A/V apart by %" G_GINT64_FORMAT " ms", (dv - da) / GST_MSECOND);
  fail_unless (dv > 0 && dv < 400 * GST_MSECOND, "video offset %"
      G_GINT64_FORMAT " ms", dv / GST_MSECOND);
  g_mutex_unlock (&ctx->lock);

  {
    GstPad *vp = gst_element_get_static_pad (ctx->src, "video_0");
    GstPad *ap = gst_element_get_static_pad (ctx->src, "audio_0");
    GstCaps *vc = gst_pad_get_current_caps (vp);
    GstCaps *ac = gst_pad_get_current_caps (ap);
    GstStructure *vs = gst_caps_get_structure (vc, 0);
    GstStructure *as = gst_caps_get_structure (ac, 0);
    gint rate = 0;

    fail_unless_equals_string (gst_structure_get_string (vs, "media"),
        "video");
    fail_unless_equals_string (gst_structure_get_string (vs,
            "encoding-name"), "H264");
    fail_unless (gst_structure_get_int (vs, "clock-rate", &rate));
    fail_unless_equals_int (rate, 90000);
    fail_unless (gst_structure_get_string (vs, "sprop-parameter-sets"));
    fail_unless_equals_string (gst_structure_get_string (vs,
            "packetization-mode"), "1");
    fail_unless (gst_structure_has_field (vs, "payload"));
    fail_unless_equals_string (gst_structure_get_string (as,
            "encoding-name"), "MPEG4-GENERIC");
    fail_unless_equals_string (gst_structure_get_string (as, "mode"),
        "AAC-hbr");
    fail_unless (gst_structure_get_string (as, "config"));
    fail_unless_equals_string (gst_structure_get_string (as, "sizelength"),
        "13");
    gst_caps_unref (vc);
    gst_caps_unref (ac);
    gst_object_unref (vp);
    gst_object_unref (ap);
  }

  /* asked on the pad: the sync=false fakesinks make the pipeline's
   * answer non-live */
  q = gst_query_new_latency ();
  {
    GstPad *vp = gst_element_get_static_pad (ctx->src, "video_0");

    fail_unless (gst_pad_query (vp, q));
    gst_object_unref (vp);
  }
  gst_query_parse_latency (q, &live, &min_lat, &max_lat);
  fail_unless (live);
  fail_unless_equals_uint64 (min_lat, 200 * GST_MSECOND);
  fail_unless_equals_uint64 (max_lat, 200 * GST_MSECOND);
  gst_query_unref (q);

  g_object_get (ctx->src, "stats", &stats, NULL);
  {
    const gchar *state = gst_structure_get_string (stats, "state");
    guint64 packets = 0;

    /* the naming scheme of docs/architecture.md, "Statistics" */
    fail_unless (gst_structure_has_name (stats, "arcly-rtspsrc-stats"));
    fail_unless_equals_string (state, "playing");
    fail_unless (gst_structure_get_uint64 (stats, "packets", &packets));
    fail_unless (packets >= 100);
    fail_unless_equals_int (gst_value_array_get_size (gst_structure_get_value
            (stats, "tracks")), 2);
    {
      guint bitrate = 0, i;
      const GValue *tracks = gst_structure_get_value (stats, "tracks");

      /* the test camera sends ~1 Mbit/s of video */
      fail_unless (gst_structure_get_uint (stats, "bitrate", &bitrate));
      fail_unless (bitrate > 50000, "bitrate %u", bitrate);
      for (i = 0; i < 2; i++) {
        const GstStructure *ts =
            gst_value_get_structure (gst_value_array_get_value (tracks, i));
        guint64 tp = 0, tb = 0;

        fail_unless (gst_structure_has_name (ts, "arcly-rtspsrc-pad-stats"));
        fail_unless (gst_structure_get_uint64 (ts, "packets", &tp));
        fail_unless (gst_structure_get_uint64 (ts, "bytes", &tb));
        fail_unless (tp > 0 && tb > tp * 12);
      }
    }
  }
  gst_structure_free (stats);

  fail_unless (ctx_stop (ctx) < G_TIME_SPAN_SECOND);
  gst_debug_remove_log_function (capture_log);
  g_mutex_lock (&log_lock);
  fail_unless (log_text->len > 0);
  fail_if (strstr (log_text->str, PASS) != NULL, "password in the log");
  fail_if (strstr (log_text->str, "Authorization") != NULL);
  fail_if (strstr (ctx->messages->str, PASS) != NULL);
  g_string_free (log_text, TRUE);
  log_text = NULL;
  g_mutex_unlock (&log_lock);

  ctx_free (ctx);
  g_free (url);
  fail_unless_equals_int (arcly_test_cam_stop (cam), 0);
  arcly_test_cam_free (cam);
}

GST_START_TEST (test_stream_no_auth)
{
  check_streaming ("none");
}

GST_END_TEST;

GST_START_TEST (test_stream_basic)
{
  check_streaming ("basic");
}

GST_END_TEST;

GST_START_TEST (test_stream_digest)
{
  check_streaming ("digest");
}

GST_END_TEST;

/* user-id / user-pw override what the URL carries */
GST_START_TEST (test_credentials_properties)
{
  ArclyTestCam *cam = start_cam ("digest", NULL);
  Ctx *ctx = ctx_new (arcly_test_cam_get_url (cam));

  g_object_set (ctx->src, "user-id", USER, "user-pw", PASS, "streams",
      1 /* video */ , NULL);
  gst_element_set_state (ctx->pipe, GST_STATE_PLAYING);
  ctx_assert_flowing (ctx, 20, 20000, "user-id/user-pw");
  g_mutex_lock (&ctx->lock);
  fail_unless_equals_int (ctx->pads->len, 1);
  fail_unless (ctx_pad (ctx, TRUE) != NULL);
  g_mutex_unlock (&ctx->lock);
  ctx_free (ctx);
  arcly_test_cam_free (cam);
}

GST_END_TEST;

GST_START_TEST (test_wrong_password)
{
  ArclyTestCam *cam = start_cam ("digest", NULL);
  gchar *url = arcly_test_cam_get_url_with_credentials (cam, USER,
      "wrong-Secret");
  Ctx *ctx = ctx_new (url);
  gint64 t0 = g_get_monotonic_time ();
  GError *e = NULL;
  gchar *dbg = NULL;
  const GstStructure *details = NULL;
  guint code = 0;

  /* a retry storm would show as reconnect messages */
  g_object_set (ctx->src, "retry-backoff", 100, NULL);
  gst_element_set_state (ctx->pipe, GST_STATE_PLAYING);
  fail_unless (ctx_run_until (ctx, cond_error, NULL, 5000, TRUE),
      "no error within 5 s");
  fail_unless (g_get_monotonic_time () - t0 < 5 * G_TIME_SPAN_SECOND);
  gst_message_parse_error (ctx->error, &e, &dbg);
  fail_unless (g_error_matches (e, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_NOT_AUTHORIZED), "%s", e->message);
  gst_message_parse_error_details (ctx->error, &details);
  fail_unless (details != NULL);
  fail_unless (gst_structure_get_uint (details, "rtsp-status-code", &code));
  fail_unless_equals_int (code, 401);
  fail_if (strstr (dbg, "wrong-Secret") != NULL);
  fail_if (strstr (e->message, "wrong-Secret") != NULL);
  /* no more attempts afterwards */
  ctx_run_until (ctx, NULL, NULL, 700, TRUE);
  fail_unless_equals_int (ctx->reconnecting, 0);
  g_error_free (e);
  g_free (dbg);
  ctx_free (ctx);
  g_free (url);
  arcly_test_cam_free (cam);
}

GST_END_TEST;

GST_START_TEST (test_no_credentials)
{
  ArclyTestCam *cam = start_cam ("basic", NULL);
  Ctx *ctx = ctx_new (arcly_test_cam_get_url (cam));
  GError *e = NULL;

  gst_element_set_state (ctx->pipe, GST_STATE_PLAYING);
  fail_unless (ctx_run_until (ctx, cond_error, NULL, 5000, TRUE));
  gst_message_parse_error (ctx->error, &e, NULL);
  fail_unless (g_error_matches (e, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_NOT_AUTHORIZED), "%s", e->message);
  g_error_free (e);
  ctx_free (ctx);
  arcly_test_cam_free (cam);
}

GST_END_TEST;

GST_START_TEST (test_not_found)
{
  ArclyTestCam *cam = start_cam ("none", NULL);
  gchar *url = g_strdup_printf ("rtsp://127.0.0.1:%u/no-such-path",
      arcly_test_cam_get_port (cam));
  Ctx *ctx = ctx_new (url);
  GError *e = NULL;
  const GstStructure *details = NULL;
  guint code = 0;

  gst_element_set_state (ctx->pipe, GST_STATE_PLAYING);
  fail_unless (ctx_run_until (ctx, cond_error, NULL, 5000, TRUE));
  gst_message_parse_error (ctx->error, &e, NULL);
  fail_unless (g_error_matches (e, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_NOT_FOUND), "%s", e->message);
  gst_message_parse_error_details (ctx->error, &details);
  fail_unless (details && gst_structure_get_uint (details,
          "rtsp-status-code", &code));
  fail_unless_equals_int (code, 404);
  g_error_free (e);
  ctx_free (ctx);
  g_free (url);
  arcly_test_cam_free (cam);
}

GST_END_TEST;

static gboolean
cond_reconnected (Ctx * ctx, gpointer data)
{
  return ctx->connected >= 2;
}

GST_START_TEST (test_reconnect)
{
  ArclyTestCam *cam = start_cam ("none", NULL);
  Ctx *ctx = ctx_new (arcly_test_cam_get_url (cam));
  GstClockTime v_before, a_before;
  PadRecord *v, *a;
  GError *err = NULL;

  g_object_set (ctx->src, "retry-backoff", 300, "retry-backoff-max", 1000,
      "timeout", 3000, NULL);
  gst_element_set_state (ctx->pipe, GST_STATE_PLAYING);
  ctx_assert_flowing (ctx, 30, 20000, "before the camera restart");

  fail_unless (arcly_test_cam_stop (cam) >= 0);
  g_mutex_lock (&ctx->lock);
  v = ctx_pad (ctx, TRUE);
  a = ctx_pad (ctx, FALSE);
  v_before = v->last_pts;
  a_before = a->last_pts;
  fail_unless_equals_int (v->disconts, 1);
  g_mutex_unlock (&ctx->lock);
  /* down for a while: a few refused attempts, each after a backoff */
  g_usleep (1500 * G_TIME_SPAN_MILLISECOND);
  fail_unless (arcly_test_cam_restart (cam, &err), "restart: %s",
      err ? err->message : "?");

  fail_unless (ctx_run_until (ctx, cond_reconnected, NULL, 20000, FALSE),
      "no reconnect: %s", ctx->messages->str);
  ctx_assert_flowing (ctx, 30, 20000, "after the camera restart");
  fail_unless (ctx->reconnecting >= 1);
  /* bounded: ~1.5 s down with 300 ms doubling backoff is a handful */
  fail_unless (ctx->reconnecting <= 6, "%u reconnect attempts",
      ctx->reconnecting);
  fail_unless (ctx->error == NULL && !ctx->eos);
  fail_unless (strstr (ctx->messages->str, "reason=") != NULL);

  g_mutex_lock (&ctx->lock);
  fail_unless_equals_int (ctx->pads->len, 2);
  fail_unless (v->disconts >= 2, "no DISCONT after reconnect");
  fail_unless (a->disconts >= 2);
  fail_unless (v->last_pts > v_before + GST_SECOND);
  fail_unless (a->last_pts > a_before + GST_SECOND);
  fail_unless_equals_int (v->backwards, 0);
  fail_unless_equals_int (a->backwards, 0);
  g_mutex_unlock (&ctx->lock);
  {
    GstStructure *stats = NULL;
    guint reconnects = 0;

    g_object_get (ctx->src, "stats", &stats, NULL);
    fail_unless (gst_structure_get_uint (stats, "reconnects", &reconnects));
    fail_unless (reconnects >= 1);
    /* the reason of the last reconnect stays readable */
    fail_unless (strlen (gst_structure_get_string (stats, "last-error")) > 0);
    gst_structure_free (stats);
  }
  ctx_free (ctx);
  arcly_test_cam_free (cam);
}

GST_END_TEST;

/* gst-rtsp-server drops a session that is not kept alive within its
 * timeout: with 4 s, streaming for 11 s needs working keep-alives. */
GST_START_TEST (test_keepalive_short_session)
{
  ArclyTestCam *cam = start_cam ("none", "--session-timeout");
  Ctx *ctx = ctx_new (arcly_test_cam_get_url (cam));

  gst_element_set_state (ctx->pipe, GST_STATE_PLAYING);
  ctx_assert_flowing (ctx, 10, 20000, "start");
  fail_unless (strstr (ctx->messages->str, "session-timeout=(uint)4"),
      "%s", ctx->messages->str);
  ctx_run_until (ctx, NULL, NULL, 11000, FALSE);
  fail_unless (ctx->error == NULL);
  ctx_assert_flowing (ctx, 20, 3000, "after 11 s");
  fail_unless_equals_int (ctx->reconnecting, 0);
  fail_unless_equals_int (ctx->connected, 1);
  ctx_free (ctx);
  arcly_test_cam_free (cam);
}

GST_END_TEST;

GST_START_TEST (test_shutdown_streaming)
{
  ArclyTestCam *cam = start_cam ("digest", NULL);
  gchar *url = arcly_test_cam_get_url_with_credentials (cam, USER, PASS);
  Ctx *ctx = ctx_new (url);
  gint64 took;

  gst_element_set_state (ctx->pipe, GST_STATE_PLAYING);
  ctx_assert_flowing (ctx, 10, 20000, "start");
  took = ctx_stop (ctx);
  fail_unless (took < G_TIME_SPAN_SECOND, "stop took %" G_GINT64_FORMAT
      " us", took);
  /* and it starts again from NULL */
  g_mutex_lock (&ctx->lock);
  g_ptr_array_set_size (ctx->pads, 0);
  g_mutex_unlock (&ctx->lock);
  gst_element_set_state (ctx->pipe, GST_STATE_PLAYING);
  ctx_assert_flowing (ctx, 10, 20000, "restart");
  ctx_free (ctx);
  g_free (url);
  arcly_test_cam_free (cam);
}

GST_END_TEST;

static guint64
stats_u64 (GstElement * src, const gchar * field)
{
  GstStructure *stats = NULL;
  guint64 v = 0;

  g_object_get (src, "stats", &stats, NULL);
  fail_unless (gst_structure_get_uint64 (stats, field, &v), "%s", field);
  gst_structure_free (stats);
  return v;
}

/* The socket reads (and, if @packets, the packets pushed) while 60 more
 * buffers come through; *@elapsed_ms: how long that took. */
static guint64
reads_in_window (Ctx * ctx, const gchar * what, guint64 * packets,
    guint64 * elapsed_ms)
{
  gint64 t0 = g_get_monotonic_time ();
  guint64 reads0 = stats_u64 (ctx->src, "reads");
  guint64 packets0 = stats_u64 (ctx->src, "packets");

  ctx_assert_flowing (ctx, 60, 20000, what);
  *elapsed_ms = (guint64) (g_get_monotonic_time () - t0) / 1000;
  if (packets)
    *packets = stats_u64 (ctx->src, "packets") - packets0;
  return stats_u64 (ctx->src, "reads") - reads0;
}

/* buffer-lists: with read-interval, each read's packets of a pad come as
 * one list (several packets each), with every packet counted, in order,
 * timestamped; set back to FALSE while playing, single buffers again. */
GST_START_TEST (test_buffer_lists)
{
  ArclyTestCam *cam = start_cam ("none", NULL);
  gchar *url = g_strdup (arcly_test_cam_get_url (cam));
  Ctx *ctx = ctx_new (url);
  gboolean on = TRUE;
  guint64 packets0, reads0, packets, reads;
  guint lists, i;

  g_object_get (ctx->src, "buffer-lists", &on, NULL);
  fail_if (on, "buffer-lists is on by default");
  g_object_set (ctx->src, "read-interval", 100, "buffer-lists", TRUE, NULL);
  gst_element_set_state (ctx->pipe, GST_STATE_PLAYING);
  ctx_assert_flowing (ctx, 10, 20000, "start");
  reads0 = stats_u64 (ctx->src, "reads");
  packets0 = stats_u64 (ctx->src, "packets");
  ctx_assert_flowing (ctx, 60, 20000, "lists");
  reads = stats_u64 (ctx->src, "reads") - reads0;
  packets = stats_u64 (ctx->src, "packets") - packets0;
  g_mutex_lock (&ctx->lock);
  for (i = 0; i < ctx->pads->len; i++) {
    PadRecord *r = g_ptr_array_index (ctx->pads, i);

    /* nothing but lists, of several packets each */
    fail_unless (r->lists > 0, "%s: no list", r->name);
    fail_unless_equals_int (r->singles, 0);
    fail_unless (r->buffers > 2 * r->lists, "%s: %u buffers in %u lists",
        r->name, r->buffers, r->lists);
    fail_unless_equals_int (r->no_pts, 0);
    fail_unless_equals_int (r->backwards, 0);
  }
  g_mutex_unlock (&ctx->lock);
  fail_unless (reads > 0 && packets > 0);
  GST_INFO ("%" G_GUINT64_FORMAT " packets in %" G_GUINT64_FORMAT " reads",
      packets, reads);

  /* off while playing: single buffers again */
  g_object_set (ctx->src, "buffer-lists", FALSE, NULL);
  ctx_assert_flowing (ctx, 10, 20000, "switched off");
  g_mutex_lock (&ctx->lock);
  lists = 0;
  for (i = 0; i < ctx->pads->len; i++)
    lists += ((PadRecord *) g_ptr_array_index (ctx->pads, i))->lists;
  g_mutex_unlock (&ctx->lock);
  ctx_assert_flowing (ctx, 30, 20000, "single buffers");
  g_mutex_lock (&ctx->lock);
  for (i = 0; i < ctx->pads->len; i++) {
    PadRecord *r = g_ptr_array_index (ctx->pads, i);

    lists -= r->lists;
    fail_unless (r->singles >= 30, "%s: %u single buffers", r->name,
        r->singles);
  }
  g_mutex_unlock (&ctx->lock);
  fail_unless_equals_int (lists, 0);
  ctx_free (ctx);
  g_free (url);
  arcly_test_cam_free (cam);
}

GST_END_TEST;

/* read-interval paces the socket reads while playing: in a window of
 * the test camera's stream (~100 packets/s) no two reads are closer than
 * the interval, so the reads stay within window / interval (+1 for the
 * first), and the packets of each interval come through together.  Set to
 * 0 and back while playing, it follows.  Stop still ends the paced wait at
 * once. */
GST_START_TEST (test_read_interval)
{
  ArclyTestCam *cam = start_cam ("none", NULL);
  gchar *url = g_strdup (arcly_test_cam_get_url (cam));
  Ctx *ctx = ctx_new (url);
  guint interval = 0;
  guint64 reads, packets, elapsed_ms;
  gint64 took;

  g_object_get (ctx->src, "read-interval", &interval, NULL);
  fail_unless_equals_int (interval, 0);
  g_object_set (ctx->src, "read-interval", 100, NULL);
  gst_element_set_state (ctx->pipe, GST_STATE_PLAYING);
  ctx_assert_flowing (ctx, 10, 20000, "start");
  reads = reads_in_window (ctx, "paced", &packets, &elapsed_ms);
  fail_unless (reads > 0 && reads <= elapsed_ms / 100 + 1,
      "%" G_GUINT64_FORMAT " reads in %" G_GUINT64_FORMAT " ms",
      reads, elapsed_ms);
  fail_unless (packets > 2 * reads, "%" G_GUINT64_FORMAT " packets in %"
      G_GUINT64_FORMAT " reads", packets, reads);
  /* changed while playing: 0 reads each burst as it comes (several per
   * 100 ms: the camera sends a frame every 33 ms), 100 paces again */
  g_object_set (ctx->src, "read-interval", 0, NULL);
  ctx_assert_flowing (ctx, 10, 20000, "unpaced");
  reads = reads_in_window (ctx, "unpaced", NULL, &elapsed_ms);
  fail_unless (reads > 2 * (elapsed_ms / 100 + 1), "read-interval 0 while "
      "playing: only %" G_GUINT64_FORMAT " reads in %" G_GUINT64_FORMAT
      " ms", reads, elapsed_ms);
  g_object_set (ctx->src, "read-interval", 100, NULL);
  ctx_assert_flowing (ctx, 10, 20000, "paced again");
  reads = reads_in_window (ctx, "paced again", NULL, &elapsed_ms);
  fail_unless (reads > 0 && reads <= elapsed_ms / 100 + 1, "read-interval "
      "100 again: %" G_GUINT64_FORMAT " reads in %" G_GUINT64_FORMAT " ms",
      reads, elapsed_ms);
  took = ctx_stop (ctx);
  fail_unless (took < G_TIME_SPAN_SECOND, "stop took %" G_GINT64_FORMAT
      " us", took);
  ctx_free (ctx);
  g_free (url);
  arcly_test_cam_free (cam);
}

GST_END_TEST;

GST_START_TEST (test_shutdown_connecting)
{
  ArclyTestCam *cam = start_cam ("none", NULL);
  guint i;

  /* stop at various points of the session setup */
  for (i = 0; i < 6; i++) {
    Ctx *ctx = ctx_new (arcly_test_cam_get_url (cam));
    gint64 took;

    gst_element_set_state (ctx->pipe, GST_STATE_PLAYING);
    g_usleep (i * 15 * G_TIME_SPAN_MILLISECOND);
    took = ctx_stop (ctx);
    fail_unless (took < G_TIME_SPAN_SECOND, "stop took %" G_GINT64_FORMAT
        " us", took);
    ctx_free (ctx);
  }
  arcly_test_cam_free (cam);
}

GST_END_TEST;

/* A server that accepts the connection and never answers. */
GST_START_TEST (test_shutdown_hung_server)
{
  GSocketListener *listener = g_socket_listener_new ();
  GError *err = NULL;
  guint16 port = g_socket_listener_add_any_inet_port (listener, NULL, &err);
  gchar *url;
  Ctx *ctx;
  gint64 took;
  GSocketConnection *conn;

  fail_unless (port != 0, "%s", err ? err->message : "");
  url = g_strdup_printf ("rtsp://127.0.0.1:%u/hang", port);
  ctx = ctx_new (url);
  g_object_set (ctx->src, "timeout", 60000, NULL);
  gst_element_set_state (ctx->pipe, GST_STATE_PLAYING);
  conn = g_socket_listener_accept (listener, NULL, NULL, &err);
  fail_unless (conn != NULL);
  g_usleep (300 * G_TIME_SPAN_MILLISECOND);
  took = ctx_stop (ctx);
  fail_unless (took < G_TIME_SPAN_SECOND, "stop took %" G_GINT64_FORMAT
      " us", took);
  ctx_free (ctx);
  g_object_unref (conn);
  g_socket_listener_close (listener);
  g_object_unref (listener);
  g_free (url);
}

GST_END_TEST;

static gboolean
cond_reconnecting (Ctx * ctx, gpointer data)
{
  return ctx->reconnecting >= 1;
}

/* A listener whose accept queue is full (backlog 0, one connection
 * pending): the SYN of the next connect is dropped, as when a camera is
 * unplugged.  Returns the listening socket; *filler keeps the queue full. */
static GSocket *
full_listener (guint16 * port, GSocketConnection ** filler)
{
  GError *err = NULL;
  GSocket *s = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, &err);
  GInetAddress *lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  GSocketAddress *a = g_inet_socket_address_new (lo, 0);
  GSocketAddress *bound;
  GSocketClient *client = g_socket_client_new ();

  fail_unless (s != NULL);
  fail_unless (g_socket_bind (s, a, TRUE, &err), "%s", err ? err->message :
      "");
  g_socket_set_listen_backlog (s, 0);
  fail_unless (g_socket_listen (s, &err));
  bound = g_socket_get_local_address (s, &err);
  *port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  /* no proxy lookup: libproxy's worker thread is not ours to check */
  g_socket_client_set_enable_proxy (client, FALSE);
  *filler = g_socket_client_connect_to_host (client, "127.0.0.1", *port,
      NULL, &err);
  fail_unless (*filler != NULL, "%s", err ? err->message : "");
  g_object_unref (client);
  g_object_unref (bound);
  g_object_unref (a);
  g_object_unref (lo);
  return s;
}

/* `timeout` bounds the connect too: a connect that hangs ends after it
 * with a reconnect, and stopping during such a connect is prompt. */
GST_START_TEST (test_connect_timeout)
{
  GSocketConnection *filler = NULL;
  guint16 port = 0;
  GSocket *listener = full_listener (&port, &filler);
  gchar *url = g_strdup_printf ("rtsp://127.0.0.1:%u/x", port);
  Ctx *ctx = ctx_new (url);
  gint64 t0, took;

  g_object_set (ctx->src, "timeout", 1000, "retry-backoff", 10000, NULL);
  t0 = g_get_monotonic_time ();
  gst_element_set_state (ctx->pipe, GST_STATE_PLAYING);
  fail_unless (ctx_run_until (ctx, cond_reconnecting, NULL, 5000, FALSE),
      "the connect did not time out");
  took = g_get_monotonic_time () - t0;
  fail_unless (took > 800 * G_TIME_SPAN_MILLISECOND
      && took < 3 * G_TIME_SPAN_SECOND, "connect timed out after %"
      G_GINT64_FORMAT " ms", took / 1000);
  fail_unless (strstr (ctx->messages->str, "timed") != NULL, "%s",
      ctx->messages->str);
  fail_unless (ctx->error == NULL);
  ctx_free (ctx);

  /* stop while the connect hangs */
  ctx = ctx_new (url);
  g_object_set (ctx->src, "timeout", 60000, NULL);
  gst_element_set_state (ctx->pipe, GST_STATE_PLAYING);
  g_usleep (300 * G_TIME_SPAN_MILLISECOND);
  took = ctx_stop (ctx);
  fail_unless (took < G_TIME_SPAN_SECOND, "stop took %" G_GINT64_FORMAT
      " us", took);
  fail_unless_equals_int (ctx->reconnecting, 0);
  ctx_free (ctx);

  g_object_unref (filler);
  g_socket_close (listener, NULL);
  g_object_unref (listener);
  g_free (url);
}

GST_END_TEST;

static guint
count_in (const gchar * text, const gchar * needle)
{
  guint n = 0;

  while ((text = strstr (text, needle))) {
    n++;
    text += strlen (needle);
  }
  return n;
}

/* With a refusing server and max-retries, the backoff spaces the attempts
 * and ends in an error. */
GST_START_TEST (test_max_retries)
{
  GSocketListener *listener = g_socket_listener_new ();
  guint16 port = g_socket_listener_add_any_inet_port (listener, NULL, NULL);
  gchar *url;
  Ctx *ctx;
  gint64 t0;
  GError *e = NULL;

  /* the port is closed again: connections are refused at once */
  g_socket_listener_close (listener);
  g_object_unref (listener);
  url = g_strdup_printf ("rtsp://127.0.0.1:%u/x", port);
  ctx = ctx_new (url);
  g_object_set (ctx->src, "retry-backoff", 200, "retry-backoff-max", 400,
      "max-retries", 3, NULL);
  t0 = g_get_monotonic_time ();
  gst_element_set_state (ctx->pipe, GST_STATE_PLAYING);
  fail_unless (ctx_run_until (ctx, cond_error, NULL, 10000, TRUE));
  /* 200 + 400 + 400 ms of backoff at least */
  fail_unless (g_get_monotonic_time () - t0 >= 900 * G_TIME_SPAN_MILLISECOND);
  fail_unless_equals_int (ctx->reconnecting, 3);
  /* 200 ms doubled, capped at retry-backoff-max */
  fail_unless_equals_int (count_in (ctx->messages->str,
          "delay-ms=(uint)200,"), 1);
  fail_unless_equals_int (count_in (ctx->messages->str,
          "delay-ms=(uint)400,"), 2);
  gst_message_parse_error (ctx->error, &e, NULL);
  fail_unless (e->domain == GST_RESOURCE_ERROR);
  g_error_free (e);
  fail_unless (strstr (ctx->messages->str, "attempt=(uint)3"));
  ctx_free (ctx);
  g_free (url);
}

GST_END_TEST;

/* The camera freezes (SIGSTOP): no data for `timeout` → reconnect attempts
 * (whose requests time out too); once it runs again the stream resumes. */
GST_START_TEST (test_stall_reconnect)
{
  ArclyTestCam *cam = start_cam ("none", NULL);
  Ctx *ctx = ctx_new (arcly_test_cam_get_url (cam));
  gint64 t0;

  g_object_set (ctx->src, "timeout", 1500, "retry-backoff", 300,
      "retry-backoff-max", 600, NULL);
  gst_element_set_state (ctx->pipe, GST_STATE_PLAYING);
  ctx_assert_flowing (ctx, 20, 20000, "before the stall");
  fail_unless (kill (arcly_test_cam_get_pid (cam), SIGSTOP) == 0);
  t0 = g_get_monotonic_time ();
  fail_unless (ctx_run_until (ctx, cond_reconnecting, NULL, 5000, FALSE),
      "the stall was not detected");
  fail_unless (g_get_monotonic_time () - t0 < 4 * G_TIME_SPAN_SECOND);
  fail_unless (strstr (ctx->messages->str, "no\\ media") != NULL
      || strstr (ctx->messages->str, "no media") != NULL, "%s",
      ctx->messages->str);
  g_usleep (1 * G_TIME_SPAN_SECOND);
  fail_unless (kill (arcly_test_cam_get_pid (cam), SIGCONT) == 0);
  fail_unless (ctx_run_until (ctx, cond_reconnected, NULL, 20000, FALSE),
      "no reconnect after the stall: %s", ctx->messages->str);
  ctx_assert_flowing (ctx, 20, 20000, "after the stall");
  fail_unless (ctx->error == NULL && !ctx->eos);
  ctx_free (ctx);
  arcly_test_cam_free (cam);
}

GST_END_TEST;

static gboolean
cond_eos (Ctx * ctx, gpointer data)
{
  return ctx->eos;
}

/* gst-launch-1.0 -e: an EOS sent to the pipeline ends the session and
 * reaches every sink */
GST_START_TEST (test_eos_event)
{
  ArclyTestCam *cam = start_cam ("none", NULL);
  Ctx *ctx = ctx_new (arcly_test_cam_get_url (cam));

  gst_element_set_state (ctx->pipe, GST_STATE_PLAYING);
  ctx_assert_flowing (ctx, 10, 20000, "start");
  fail_unless (gst_element_send_event (ctx->pipe, gst_event_new_eos ()));
  fail_unless (ctx_run_until (ctx, cond_eos, NULL, 3000, FALSE),
      "no EOS on the bus");
  fail_unless (ctx->error == NULL);
  ctx_free (ctx);
  arcly_test_cam_free (cam);
}

GST_END_TEST;

static Suite *
arclyrtspsrc_suite (void)
{
  Suite *s = suite_create ("arclyrtspsrc");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_stream_no_auth);
  tcase_add_test (tc, test_stream_basic);
  tcase_add_test (tc, test_stream_digest);
  tcase_add_test (tc, test_credentials_properties);
  tcase_add_test (tc, test_wrong_password);
  tcase_add_test (tc, test_no_credentials);
  tcase_add_test (tc, test_not_found);
  tcase_add_test (tc, test_reconnect);
  tcase_add_test (tc, test_keepalive_short_session);
  tcase_add_test (tc, test_shutdown_streaming);
  tcase_add_test (tc, test_shutdown_connecting);
  tcase_add_test (tc, test_read_interval);
  tcase_add_test (tc, test_buffer_lists);
  tcase_add_test (tc, test_shutdown_hung_server);
  tcase_add_test (tc, test_max_retries);
  tcase_add_test (tc, test_eos_event);
  tcase_add_test (tc, test_stall_reconnect);
  tcase_add_test (tc, test_connect_timeout);
  return s;
}

GST_CHECK_MAIN (arclyrtspsrc);
