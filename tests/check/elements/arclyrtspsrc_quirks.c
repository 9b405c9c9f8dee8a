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
  return s;
}

GST_CHECK_MAIN (arclyrtspsrc_quirks);
