/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * arclyrtspsrc against tests/check/servers/rtsp-script-server.py, one case
 * per camera quirk seen in the field.  The server logs every request and
 * interleaved frame it receives as JSON lines; the tests read that log to
 * check what the element sent (RTCP receiver reports, keep-alives, Digest
 * fields, TEARDOWN).
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "arclyrtspsrc-quirk.h"

/* normal: the session, RTCP receiver reports on the RTCP channels, and a
 * TEARDOWN on stop */
GST_START_TEST (test_normal_rr_and_teardown)
{
  Quirk *q = quirk_start ("normal", FALSE);

  quirk_play (q);
  ctx_assert_flowing (q->ctx, 30, 20000, "normal");
  ctx_run_until (q->ctx, NULL, NULL, 2500, FALSE);
  fail_unless (log_count (q, "\"event\":\"frame\"", "\"channel\":1",
          "201", NULL) >= 1, "no RR on channel 1: %s", quirk_log (q));
  fail_unless (log_count (q, "\"event\":\"frame\"", "\"channel\":3",
          "201", NULL) >= 1);
  /* The server sends each frame at its capture time and SRs every second:
   * audio and video PTS of buffers arriving together agree. */
  {
    gint64 dv, da;

    g_mutex_lock (&q->ctx->lock);
    dv = median_offset (ctx_pad (q->ctx, TRUE));
    da = median_offset (ctx_pad (q->ctx, FALSE));
    g_mutex_unlock (&q->ctx->lock);
    GST_INFO ("A/V offset %" G_GINT64_FORMAT " ms", (dv - da) / GST_MSECOND);
    fail_unless (ABS (dv - da) < 100 * GST_MSECOND, "A/V apart by %"
        G_GINT64_FORMAT " ms", (dv - da) / GST_MSECOND);
  }
  fail_unless (ctx_stop (q->ctx) < G_TIME_SPAN_SECOND);
  /* TEARDOWN is sent without waiting for the reply; give the server a
   * moment to log it */
  g_usleep (300 * G_TIME_SPAN_MILLISECOND);
  fail_unless_equals_int (log_count (q, "\"event\":\"request\"",
          "\"method\":\"TEARDOWN\"", NULL), 1);
  quirk_free (q);
}

GST_END_TEST;

GST_START_TEST (test_lowercase_headers)
{
  check_plain_flow ("lowercase-headers", FALSE, 30);
}

GST_END_TEST;

GST_START_TEST (test_server_channels)
{
  Quirk *q = quirk_start ("server-channels", FALSE);

  quirk_play (q);
  ctx_assert_flowing (q->ctx, 30, 20000, "server-channels");
  ctx_run_until (q->ctx, NULL, NULL, 2500, FALSE);
  /* RRs go to the channels the server assigned (5 and 7) */
  fail_unless (log_count (q, "\"event\":\"frame\"", "\"channel\":5", "201",
          NULL) >= 1, "%s", q->ctx->messages->str);
  fail_unless (log_count (q, "\"event\":\"frame\"", "\"channel\":7", "201",
          NULL) >= 1);
  quirk_free (q);
}

GST_END_TEST;

GST_START_TEST (test_server_request)
{
  Quirk *q = quirk_start ("server-request", FALSE);

  quirk_play (q);
  ctx_assert_flowing (q->ctx, 10, 20000, "server-request");
  ctx_run_until (q->ctx, NULL, NULL, 3500, FALSE);
  ctx_assert_flowing (q->ctx, 10, 5000, "after the server requests");
  /* OPTIONS, GET_PARAMETER and SET_PARAMETER each got an answer */
  fail_unless_equals_int (log_count (q, "\"event\":\"server-request\"",
          NULL), 3);
  fail_unless_equals_int (log_count (q, "\"event\":\"client-response\"",
          "\"status\":200", NULL) + log_count (q,
          "\"event\":\"client-response\"", "\"status\":551", NULL), 3);
  /* each answer carries the CSeq of its request */
  fail_unless_equals_int (log_count (q, "\"event\":\"client-response\"",
          "\"cseq\":\"1\"", NULL), 1);
  fail_unless_equals_int (log_count (q, "\"event\":\"client-response\"",
          "\"cseq\":\"2\"", NULL), 1);
  fail_unless_equals_int (log_count (q, "\"event\":\"client-response\"",
          "\"cseq\":\"3\"", NULL), 1);
  fail_unless_equals_int (q->ctx->reconnecting, 0);
  quirk_free (q);
}

GST_END_TEST;

GST_START_TEST (test_trickle)
{
  check_plain_flow ("trickle", FALSE, 20);
}

GST_END_TEST;

GST_START_TEST (test_junk_between_frames)
{
  check_plain_flow ("junk-between-frames", FALSE, 90);
}

GST_END_TEST;

GST_START_TEST (test_digest_and_basic)
{
  Quirk *q = quirk_start ("digest-and-basic", TRUE);

  quirk_play (q);
  ctx_assert_flowing (q->ctx, 10, 20000, "digest-and-basic");
  /* the strongest offered: Digest, never Basic */
  fail_unless (log_count (q, "\"event\":\"auth\"", "\"ok\":true",
          "\"scheme\":\"Digest\"", NULL) >= 3);
  fail_unless_equals_int (log_count (q, "\"event\":\"auth\"",
          "\"scheme\":\"Basic\"", NULL), 0);
  /* the challenge is answered once and reused for every later request */
  fail_unless_equals_int (log_count (q, "\"event\":\"response\"",
          "\"status\":401", NULL), 1);
  quirk_free (q);
}

GST_END_TEST;

GST_START_TEST (test_digest_multi_algo)
{
  Quirk *q = quirk_start ("digest-multi-algo", TRUE);

  quirk_play (q);
  ctx_assert_flowing (q->ctx, 10, 20000, "digest-multi-algo");
  fail_unless (log_count (q, "\"event\":\"auth\"", "\"ok\":true",
          "\"algorithm\":\"SHA-256\"", NULL) >= 3);
  fail_unless_equals_int (log_count (q, "sha-256-required", NULL), 0);
  fail_unless_equals_int (log_count (q, "\"event\":\"response\"",
          "\"status\":401", NULL), 1);
  quirk_free (q);
}

GST_END_TEST;

GST_START_TEST (test_digest_uri_check)
{
  Quirk *q = quirk_start ("digest-uri-check", TRUE);

  quirk_play (q);
  ctx_assert_flowing (q->ctx, 10, 20000, "digest-uri-check");
  fail_unless_equals_int (log_count (q, "uri-has-credentials", NULL), 0);
  fail_unless_equals_int (log_count (q, "\"uri_has_at\":true", NULL), 0);
  fail_unless (log_count (q, "\"method\":\"SETUP\"", "\"ok\":true", NULL)
      >= 2);
  fail_unless_equals_int (log_count (q, "\"event\":\"response\"",
          "\"status\":401", NULL), 1);
  quirk_free (q);
}

GST_END_TEST;

static gboolean
cond_reconnecting (Ctx * ctx, gpointer data)
{
  return ctx->reconnecting >= 1;
}

GST_START_TEST (test_never_answer)
{
  Quirk *q = quirk_start ("never-answer", FALSE);
  gint64 t0 = g_get_monotonic_time ();

  g_object_set (q->ctx->src, "timeout", 1000, "retry-backoff", 500, NULL);
  quirk_play (q);
  fail_unless (ctx_run_until (q->ctx, cond_reconnecting, NULL, 5000, FALSE),
      "no reconnect after the reply timeout");
  fail_unless (g_get_monotonic_time () - t0 < 3 * G_TIME_SPAN_SECOND);
  fail_unless (strstr (q->ctx->messages->str, "OPTIONS") != NULL, "%s",
      q->ctx->messages->str);
  fail_unless (ctx_stop (q->ctx) < G_TIME_SPAN_SECOND);
  quirk_free (q);
}

GST_END_TEST;

GST_START_TEST (test_sdp_faults)
{
  Quirk *q = quirk_start ("sdp-faults", FALSE);
  GstPad *vp, *ap;
  GstCaps *vc, *ac;
  const gchar *sprop;
  gchar **sets;
  guchar *sps;
  gsize len = 0;

  quirk_play (q);
  ctx_assert_flowing (q->ctx, 10, 20000, "sdp-faults");
  vp = gst_element_get_static_pad (q->ctx->src, "video_0");
  ap = gst_element_get_static_pad (q->ctx->src, "audio_0");
  vc = gst_pad_get_current_caps (vp);
  ac = gst_pad_get_current_caps (ap);
  sprop = gst_structure_get_string (gst_caps_get_structure (vc, 0),
      "sprop-parameter-sets");
  fail_unless (sprop != NULL);
  sets = g_strsplit (sprop, ",", -1);
  fail_unless_equals_int (g_strv_length (sets), 2);
  sps = g_base64_decode (sets[0], &len);
  fail_unless (len > 4 && sps[0] == 0x67, "SPS still has a start code");
  g_free (sps);
  g_strfreev (sets);
  fail_unless_equals_string (gst_structure_get_string
      (gst_caps_get_structure (ac, 0), "sizelength"), "13");
  fail_unless_equals_string (gst_structure_get_string
      (gst_caps_get_structure (ac, 0), "indexdeltalength"), "3");
  gst_caps_unref (vc);
  gst_caps_unref (ac);
  gst_object_unref (vp);
  gst_object_unref (ap);
  quirk_free (q);
}

GST_END_TEST;

GST_START_TEST (test_transport_padded)
{
  Quirk *q = quirk_start ("transport-padded", FALSE);

  quirk_play (q);
  ctx_assert_flowing (q->ctx, 30, 20000, "transport-padded");
  ctx_run_until (q->ctx, NULL, NULL, 2500, FALSE);
  /* the RR reports on the SSRC from the padded "ssrc=     D93FF" */
  fail_unless (log_count (q, "\"event\":\"frame\"", "000d93ff", NULL) >= 1,
      "%s", quirk_log (q));
  quirk_free (q);
}

GST_END_TEST;

GST_START_TEST (test_transport_no_interleaved)
{
  check_plain_flow ("transport-no-interleaved", FALSE, 30);
}

GST_END_TEST;

GST_START_TEST (test_rtcp_wrong_channel)
{
  /* check_plain_flow fails if an RTCP packet is pushed as RTP */
  check_plain_flow ("rtcp-wrong-channel", FALSE, 90);
}

GST_END_TEST;

GST_START_TEST (test_not_found)
{
  Quirk *q = quirk_start ("not-found", FALSE);
  GError *e = NULL;

  quirk_play (q);
  fail_unless (ctx_run_until (q->ctx, cond_error, NULL, 5000, TRUE));
  gst_message_parse_error (q->ctx->error, &e, NULL);
  fail_unless (g_error_matches (e, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_NOT_FOUND), "%s", e->message);
  g_error_free (e);
  fail_unless_equals_int (q->ctx->reconnecting, 0);
  quirk_free (q);
}

GST_END_TEST;

/* Every debug line of the element, to prove credentials never show up. */
static GMutex log_lock;
static GString *log_text;

static void
capture_log (GstDebugCategory * category, GstDebugLevel level,
    const gchar * file, const gchar * function, gint line, GObject * object,
    GstDebugMessage * message, gpointer user_data)
{
  if (!g_str_has_prefix (gst_debug_category_get_name (category),
          "arclyrtspsrc"))
    return;
  g_mutex_lock (&log_lock);
  if (log_text)
    g_string_append_printf (log_text, "%s\n",
        gst_debug_message_get (message));
  g_mutex_unlock (&log_lock);
}

/* The track controls are absolute URLs with the credentials in them: the
 * Digest uri is the request URL without them, and they never reach the
 * element's debug log. */
GST_START_TEST (test_digest_control_credentials)
{
  Quirk *q;

  g_mutex_lock (&log_lock);
  log_text = g_string_new (NULL);
  g_mutex_unlock (&log_lock);
  gst_debug_set_threshold_for_name ("arclyrtspsrc*", GST_LEVEL_LOG);
  gst_debug_add_log_function (capture_log, NULL, NULL);

  q = quirk_start ("digest-control-credentials", TRUE);
  quirk_play (q);
  ctx_assert_flowing (q->ctx, 10, 20000, "digest-control-credentials");
  fail_unless_equals_int (log_count (q, "uri-has-credentials", NULL), 0);
  fail_unless_equals_int (log_count (q, "\"uri_has_at\":true", NULL), 0);
  fail_unless (log_count (q, "\"method\":\"SETUP\"", "\"ok\":true",
          "trackID=0", NULL) == 1);
  fail_unless (log_count (q, "\"method\":\"SETUP\"", "\"ok\":true",
          "trackID=1", NULL) == 1);
  fail_unless_equals_int (log_count (q, "\"event\":\"response\"",
          "\"status\":401", NULL), 1);
  ctx_stop (q->ctx);

  gst_debug_remove_log_function (capture_log);
  gst_debug_set_threshold_for_name ("arclyrtspsrc*", GST_LEVEL_NONE);
  g_mutex_lock (&log_lock);
  fail_unless (strstr (log_text->str, "trackID=1") != NULL,
      "the log does not show the controls: %s", log_text->str);
  fail_if (strstr (log_text->str, PASS) != NULL, "password in the log");
  fail_if (strstr (log_text->str, USER ":") != NULL, "userinfo in the log");
  g_string_free (log_text, TRUE);
  log_text = NULL;
  g_mutex_unlock (&log_lock);
  fail_if (strstr (q->ctx->messages->str, PASS) != NULL);
  quirk_free (q);
}

GST_END_TEST;

/* Audio leaves the camera 200 ms after its capture time and the PLAY reply
 * has no RTP-Info: only the RTCP sender reports tell that audio and video
 * captured at the same instant belong together.  Once aligned (video
 * delayed, slewed at 1 ms per frame), video PTS are 200 ms further ahead
 * of their arrival than audio PTS; without the SRs both would be ~equal. */
static void
check_av_offset (const gchar * scenario)
{
  Quirk *q = quirk_start (scenario, FALSE);
  PadRecord *v, *a;
  gint64 dv, da;

  quirk_play (q);
  ctx_assert_flowing (q->ctx, 30, 20000, scenario);
  ctx_run_until (q->ctx, NULL, NULL, 9000, FALSE);
  ctx_assert_flowing (q->ctx, 70, 5000, scenario);
  g_mutex_lock (&q->ctx->lock);
  v = ctx_pad (q->ctx, TRUE);
  a = ctx_pad (q->ctx, FALSE);
  fail_unless (v && a);
  dv = median_offset (v);
  da = median_offset (a);
  fail_unless_equals_int (v->backwards, 0);
  fail_unless_equals_int (a->backwards, 0);
  fail_unless_equals_int (v->rtcp_like, 0);
  fail_unless_equals_int (a->rtcp_like, 0);
  g_mutex_unlock (&q->ctx->lock);
  GST_INFO ("%s: video - audio offset %" G_GINT64_FORMAT " ms", scenario,
      (dv - da) / GST_MSECOND);
  fail_unless (dv - da > 140 * GST_MSECOND && dv - da < 260 * GST_MSECOND,
      "%s: video - audio offset %" G_GINT64_FORMAT " ms, want ~200",
      scenario, (dv - da) / GST_MSECOND);
  fail_unless_equals_int (q->ctx->reconnecting, 0);
  quirk_free (q);
}

GST_START_TEST (test_av_offset_sr)
{
  check_av_offset ("av-offset");
}

GST_END_TEST;

GST_START_TEST (test_av_offset_sr_on_rtp_channel)
{
  check_av_offset ("av-offset-rtcp-on-rtp");
}

GST_END_TEST;

/* Only an ONVIF metadata track: a final STREAM CODEC_NOT_FOUND error, no
 * SETUP, no retry */
GST_START_TEST (test_no_av_track)
{
  Quirk *q = quirk_start ("no-av-track", FALSE);
  GError *e = NULL;

  g_object_set (q->ctx->src, "retry-backoff", 100, NULL);
  quirk_play (q);
  fail_unless (ctx_run_until (q->ctx, cond_error, NULL, 5000, TRUE));
  gst_message_parse_error (q->ctx->error, &e, NULL);
  fail_unless (g_error_matches (e, GST_STREAM_ERROR,
          GST_STREAM_ERROR_CODEC_NOT_FOUND), "%s", e->message);
  g_error_free (e);
  ctx_run_until (q->ctx, NULL, NULL, 700, TRUE);
  fail_unless_equals_int (q->ctx->reconnecting, 0);
  fail_unless_equals_int (q->ctx->pads->len, 0);
  fail_unless_equals_int (log_count (q, "\"method\":\"SETUP\"", NULL), 0);
  quirk_free (q);
}

GST_END_TEST;

/* A body of 10 MB on the first connection, before any PLAY: a reply over
 * the bounds is an error at once (no crash, no unbounded allocation, no
 * silent retry); elements/arclyrtspsrc_errors covers every bound. */
GST_START_TEST (test_oversized_replies)
{
  Quirk *q = quirk_start ("oversized-reply", FALSE);
  GError *e = NULL;

  g_object_set (q->ctx->src, "retry-backoff", 100, "retry-backoff-max", 400,
      NULL);
  quirk_play (q);
  fail_unless (ctx_run_until (q->ctx, cond_error, NULL, 10000, TRUE));
  gst_message_parse_error (q->ctx->error, &e, NULL);
  fail_unless (g_error_matches (e, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_READ), "%s", e->message);
  g_error_free (e);
  fail_unless_equals_int (log_count (q, "\"event\":\"oversized\"", NULL), 1);
  fail_unless_equals_int (q->ctx->reconnecting, 0);
  fail_unless_equals_int (q->ctx->connected, 0);
  quirk_free (q);
}

GST_END_TEST;

/* RTP time wraps 1.5 s after PLAY: PTS go on from where they were (a
 * 32-bit mistake would go back, or jump 13 hours ahead at 90 kHz) */
GST_START_TEST (test_rtp_wrap)
{
  Quirk *q = quirk_start ("rtp-wrap", FALSE);
  guint i;

  quirk_play (q);
  ctx_assert_flowing (q->ctx, 20, 20000, "rtp-wrap");
  ctx_run_until (q->ctx, NULL, NULL, 2500, FALSE);
  ctx_assert_flowing (q->ctx, 30, 5000, "after the wrap");
  g_mutex_lock (&q->ctx->lock);
  fail_unless_equals_int (q->ctx->pads->len, 2);
  for (i = 0; i < q->ctx->pads->len; i++) {
    PadRecord *r = g_ptr_array_index (q->ctx->pads, i);
    GstClockTime span = r->last_pts - r->first_pts;

    fail_unless_equals_int (r->backwards, 0);
    fail_unless (span > 2 * GST_SECOND && span < 15 * GST_SECOND,
        "%s: PTS span %" GST_TIME_FORMAT, r->name, GST_TIME_ARGS (span));
  }
  g_mutex_unlock (&q->ctx->lock);
  fail_unless_equals_int (log_count (q, "\"event\":\"setup\"", NULL), 2);
  fail_unless_equals_int (q->ctx->reconnecting, 0);
  quirk_free (q);
}

GST_END_TEST;

/* Padded SSRCs before and after server-assigned channels: a Transport
 * parse that stumbles over the padding loses the channels and no data
 * flows; the RRs go to the assigned RTCP channels about those SSRCs. */
GST_START_TEST (test_transport_padded_assigned)
{
  Quirk *q = quirk_start ("transport-padded-assigned", FALSE);

  quirk_play (q);
  ctx_assert_flowing (q->ctx, 30, 20000, "transport-padded-assigned");
  ctx_run_until (q->ctx, NULL, NULL, 2500, FALSE);
  fail_unless (log_count (q, "\"event\":\"frame\"", "\"channel\":5",
          "000d93ff", NULL) >= 1, "%s", quirk_log (q));
  fail_unless (log_count (q, "\"event\":\"frame\"", "\"channel\":7",
          "0001a2b3", NULL) >= 1, "%s", quirk_log (q));
  fail_unless_equals_int (q->ctx->reconnecting, 0);
  quirk_free (q);
}

GST_END_TEST;

/* Non-default properties: audio only, a fixed keep-alive interval, our
 * User-Agent on every request, a 500 ms latency; and the stats. */
GST_START_TEST (test_properties)
{
  Quirk *q = quirk_start ("normal", FALSE);
  PadRecord *a;
  gint64 da;
  guint requests, i;
  GstPad *pad;
  GstQuery *query;
  gboolean live = FALSE;
  GstClockTime min_lat = 0, max_lat = 0;
  GstStructure *stats = NULL;
  const GValue *tracks;
  guint64 bytes = 0;
  guint bitrate = 0;

  g_object_set (q->ctx->src, "streams", 2 /* audio */ , "keep-alive", 1000,
      "user-agent", "arcly-test-agent/9", "latency", 500, NULL);
  quirk_play (q);
  ctx_assert_flowing (q->ctx, 20, 20000, "properties");
  ctx_run_until (q->ctx, NULL, NULL, 3500, FALSE);
  ctx_assert_flowing (q->ctx, 70, 5000, "properties");

  g_mutex_lock (&q->ctx->lock);
  fail_unless_equals_int (q->ctx->pads->len, 1);
  a = ctx_pad (q->ctx, FALSE);
  fail_unless (a != NULL);
  fail_unless_equals_string (a->name, "audio_0");
  da = median_offset (a);
  g_mutex_unlock (&q->ctx->lock);
  /* the first packet maps to its arrival + latency */
  fail_unless (da > 400 * GST_MSECOND && da < 650 * GST_MSECOND,
      "audio PTS - arrival %" G_GINT64_FORMAT " ms", da / GST_MSECOND);

  fail_unless_equals_int (log_count (q, "\"event\":\"request\"",
          "\"method\":\"SETUP\"", NULL), 1);
  fail_unless_equals_int (log_count (q, "\"event\":\"request\"",
          "\"method\":\"SETUP\"", "trackID=1", NULL), 1);
  fail_unless (log_count (q, "\"event\":\"request\"",
          "\"method\":\"GET_PARAMETER\"", NULL) >= 3, "%s", quirk_log (q));
  requests = log_count (q, "\"event\":\"request\"", NULL);
  fail_unless (requests >= 7);
  fail_unless_equals_int (log_count (q, "\"event\":\"request\"",
          "\"User-Agent\":\"arcly-test-agent/9\"", NULL), requests);

  pad = gst_element_get_static_pad (q->ctx->src, "audio_0");
  query = gst_query_new_latency ();
  fail_unless (gst_pad_query (pad, query));
  gst_query_parse_latency (query, &live, &min_lat, &max_lat);
  fail_unless (live);
  fail_unless_equals_uint64 (min_lat, 500 * GST_MSECOND);
  fail_unless_equals_uint64 (max_lat, 500 * GST_MSECOND);
  gst_query_unref (query);
  gst_object_unref (pad);

  g_object_get (q->ctx->src, "stats", &stats, NULL);
  fail_unless_equals_string (gst_structure_get_string (stats, "state"),
      "playing");
  fail_unless_equals_string (gst_structure_get_string (stats, "last-error"),
      "");
  fail_unless (gst_structure_get_uint (stats, "bitrate", &bitrate));
  /* 47 packets/s of 65 bytes: ~25 kbit/s */
  fail_unless (bitrate > 10000 && bitrate < 100000, "bitrate %u", bitrate);
  tracks = gst_structure_get_value (stats, "tracks");
  fail_unless_equals_int (gst_value_array_get_size (tracks), 1);
  for (i = 0; i < gst_value_array_get_size (tracks); i++) {
    const GstStructure *ts =
        gst_value_get_structure (gst_value_array_get_value (tracks, i));

    fail_unless_equals_string (gst_structure_get_string (ts, "pad"),
        "audio_0");
    fail_unless_equals_string (gst_structure_get_string (ts, "media"),
        "audio");
    fail_unless (gst_structure_get_uint64 (ts, "bytes", &bytes));
    fail_unless (bytes > 1000);
  }
  gst_structure_free (stats);
  quirk_free (q);
}

GST_END_TEST;

typedef struct
{
  GMutex lock;
  gboolean have;
  guint32 last_ts;
  GstClockTime last_pts;
  GstClockTime from;            /* checked from this PTS on */
  gint64 max_dev;               /* max |ΔPTS − ΔRTP time| between frames */
  guint frames;
} StepCheck;

static GstPadProbeReturn
step_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  StepCheck *c = user_data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  guint8 h[8];
  guint32 ts;

  if (gst_buffer_extract (buf, 0, h, 8) != 8)
    return GST_PAD_PROBE_OK;
  ts = GST_READ_UINT32_BE (h + 4);
  g_mutex_lock (&c->lock);
  if (c->have && ts != c->last_ts && GST_BUFFER_PTS (buf) >= c->from) {
    gint64 dts = (gint64) (gint32) (ts - c->last_ts) * GST_SECOND / 90000;
    gint64 dpts = (gint64) GST_BUFFER_PTS (buf) - (gint64) c->last_pts;

    c->max_dev = MAX (c->max_dev, ABS (dpts - dts));
    c->frames++;
  }
  if (!c->have || ts != c->last_ts) {
    c->have = TRUE;
    c->last_ts = ts;
    c->last_pts = GST_BUFFER_PTS (buf);
  }
  g_mutex_unlock (&c->lock);
  return GST_PAD_PROBE_OK;
}

/* The camera's clock runs 2 % fast: its PTS would get 20 ms further ahead
 * of arrival every second.  The drift is corrected slowly (a smoothed
 * estimate, so well under the full 2 %) and without jumps: from frame to
 * frame the PTS step differs from the RTP step by at most the 1 ms slew. */
GST_START_TEST (test_clock_drift)
{
  Quirk *q = quirk_start ("clock-drift", FALSE);
  StepCheck c = { 0, };
  GstPad *vp;
  gint64 off1, off2, t1, t2, grown, uncorrected;

  g_mutex_init (&c.lock);
  quirk_play (q);
  ctx_assert_flowing (q->ctx, 30, 20000, "clock-drift");
  vp = gst_element_get_static_pad (q->ctx->src, "video_0");
  fail_unless (vp != NULL);
  g_mutex_lock (&c.lock);
  /* after the first 2 s, where late packets still move the mapping */
  c.from = 3 * GST_SECOND;
  g_mutex_unlock (&c.lock);
  gst_pad_add_probe (vp, GST_PAD_PROBE_TYPE_BUFFER, step_probe, &c, NULL);

  ctx_run_until (q->ctx, NULL, NULL, 7000, FALSE);
  ctx_assert_flowing (q->ctx, 70, 5000, "clock-drift");
  g_mutex_lock (&q->ctx->lock);
  off1 = median_offset (ctx_pad (q->ctx, TRUE));
  g_mutex_unlock (&q->ctx->lock);
  t1 = g_get_monotonic_time ();
  ctx_run_until (q->ctx, NULL, NULL, 10000, FALSE);
  ctx_assert_flowing (q->ctx, 70, 5000, "clock-drift");
  g_mutex_lock (&q->ctx->lock);
  off2 = median_offset (ctx_pad (q->ctx, TRUE));
  g_mutex_unlock (&q->ctx->lock);
  t2 = g_get_monotonic_time ();

  grown = off2 - off1;
  uncorrected = (t2 - t1) * GST_USECOND / 50;
  GST_INFO ("PTS - arrival grew %" G_GINT64_FORMAT " ms in %" G_GINT64_FORMAT
      " ms (uncorrected: %" G_GINT64_FORMAT " ms)", grown / GST_MSECOND,
      (t2 - t1) / 1000, uncorrected / GST_MSECOND);
  fail_unless (grown < uncorrected * 8 / 10, "drift not corrected: grew %"
      G_GINT64_FORMAT " ms, uncorrected %" G_GINT64_FORMAT " ms",
      grown / GST_MSECOND, uncorrected / GST_MSECOND);
  fail_unless (grown > uncorrected / 5, "corrected too fast (a jump?): grew %"
      G_GINT64_FORMAT " ms, uncorrected %" G_GINT64_FORMAT " ms",
      grown / GST_MSECOND, uncorrected / GST_MSECOND);
  g_mutex_lock (&c.lock);
  fail_unless (c.frames > 300, "%u frames checked", c.frames);
  fail_unless (c.max_dev <= GST_MSECOND + 2 * GST_USECOND,
      "PTS step off its RTP step by %" G_GINT64_FORMAT " us",
      c.max_dev / 1000);
  g_mutex_unlock (&c.lock);
  fail_unless_equals_int (q->ctx->reconnecting, 0);
  ctx_stop (q->ctx);
  gst_object_unref (vp);
  g_mutex_clear (&c.lock);
  quirk_free (q);
}

GST_END_TEST;

static guint
count_dir (const gchar * path)
{
  GDir *d = g_dir_open (path, 0, NULL);
  guint n = 0;

  fail_unless (d != NULL);
  while (g_dir_read_name (d))
    n++;
  g_dir_close (d);
  return n;
}

static void
cycle (const gchar * scenario, gboolean wait_flow)
{
  Quirk *q = quirk_start (scenario, FALSE);

  g_object_set (q->ctx->src, "timeout", 60000, NULL);
  quirk_play (q);
  if (wait_flow)
    ctx_assert_flowing (q->ctx, 10, 20000, scenario);
  else
    g_usleep (500 * G_TIME_SPAN_MILLISECOND);
  fail_unless (ctx_stop (q->ctx) < G_TIME_SPAN_SECOND);
  quirk_free (q);
}

/* No thread or file descriptor outlives the element: stopping while
 * streaming and while a request hangs leaves the process as it was. */
GST_START_TEST (test_no_fd_or_thread_left)
{
  guint fds, threads;

  /* the first run creates GLib's and GStreamer's own long-lived helpers */
  cycle ("normal", TRUE);
  fds = count_dir ("/proc/self/fd");
  threads = count_dir ("/proc/self/task");
  cycle ("normal", TRUE);
  cycle ("never-answer", FALSE);
  cycle ("normal", TRUE);
  fail_unless_equals_int (count_dir ("/proc/self/fd"), fds);
  fail_unless_equals_int (count_dir ("/proc/self/task"), threads);
}

GST_END_TEST;

static Suite *
arclyrtspsrc_quirks_suite (void)
{
  Suite *s = suite_create ("arclyrtspsrc_quirks");
  TCase *tc = tcase_create ("quirks");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_normal_rr_and_teardown);
  tcase_add_test (tc, test_lowercase_headers);
  tcase_add_test (tc, test_server_channels);
  tcase_add_test (tc, test_server_request);
  tcase_add_test (tc, test_trickle);
  tcase_add_test (tc, test_junk_between_frames);
  tcase_add_test (tc, test_digest_and_basic);
  tcase_add_test (tc, test_digest_multi_algo);
  tcase_add_test (tc, test_digest_uri_check);
  tcase_add_test (tc, test_never_answer);
  tcase_add_test (tc, test_sdp_faults);
  tcase_add_test (tc, test_transport_padded);
  tcase_add_test (tc, test_transport_no_interleaved);
  tcase_add_test (tc, test_rtcp_wrong_channel);
  tcase_add_test (tc, test_not_found);
  tcase_add_test (tc, test_digest_control_credentials);
  tcase_add_test (tc, test_av_offset_sr);
  tcase_add_test (tc, test_av_offset_sr_on_rtp_channel);
  tcase_add_test (tc, test_no_av_track);
  tcase_add_test (tc, test_oversized_replies);
  tcase_add_test (tc, test_rtp_wrap);
  tcase_add_test (tc, test_transport_padded_assigned);
  tcase_add_test (tc, test_properties);
  tcase_add_test (tc, test_no_fd_or_thread_left);
  tcase_add_test (tc, test_clock_drift);
  return s;
}

GST_CHECK_MAIN (arclyrtspsrc_quirks);
