/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * arclyrtspsrc follows RTSP redirects (301, 302, 303, 307, 308) against the
 * scripted server: absolute and relative Location, another port, on
 * OPTIONS, DESCRIBE and PLAY; a loop, a sixth hop and a missing Location
 * are errors; Basic credentials never go to another host, Digest ones may;
 * a reconnect starts again at the configured location.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <gst/check/gstcheck.h>

#include "arclyrtspsrc-quirk.h"

static guint
count_in (const gchar * text, const gchar * needle)
{
  guint n = 0;
  const gchar *p = text;

  while ((p = strstr (p, needle)) != NULL) {
    n++;
    p += strlen (needle);
  }
  return n;
}

static Quirk *
redirect_start (const gchar * scenario, gboolean creds)
{
  Quirk *q = quirk_start (scenario, creds);

  g_object_set (q->ctx->src, "retry-backoff", 100, "retry-backoff-max", 200,
      NULL);
  quirk_play (q);
  return q;
}

static void
assert_error (Quirk * q, gint code, const gchar * in_text,
    const gchar * in_debug)
{
  GError *e = NULL;
  gchar *dbg = NULL;

  fail_unless (ctx_run_until (q->ctx, cond_error, NULL, 8000, TRUE),
      "no error; messages: %s", q->ctx->messages->str);
  gst_message_parse_error (q->ctx->error, &e, &dbg);
  fail_unless (e->domain == GST_RESOURCE_ERROR && e->code == code,
      "%s (%d)", e->message, e->code);
  fail_unless (strstr (e->message, in_text) != NULL, "%s", e->message);
  fail_unless (in_debug == NULL || (dbg && strstr (dbg, in_debug)), "%s",
      dbg);
  fail_if (strstr (dbg, PASS) != NULL, "password in the error");
  g_error_free (e);
  g_free (dbg);
  /* an error, not a retry */
  ctx_run_until (q->ctx, NULL, NULL, 300, TRUE);
  fail_unless_equals_int (q->ctx->reconnecting, 0);
}

/* 301 to OPTIONS, an absolute Location: the session restarts there */
GST_START_TEST (test_redirect_absolute)
{
  Quirk *q = redirect_start ("redirect-absolute", FALSE);
  gchar *to = g_strdup_printf ("to=(string)rtsp://127.0.0.1:%u/moved",
      arcly_test_cam_get_port (q->server));

  ctx_assert_flowing (q->ctx, 10, 15000, "after a 301");
  fail_unless_equals_int (count_in (q->ctx->messages->str,
          "arcly-rtsp-redirected"), 1);
  fail_unless (strstr (q->ctx->messages->str, "status=(uint)301"), "%s",
      q->ctx->messages->str);
  fail_unless (strstr (q->ctx->messages->str, to), "%s",
      q->ctx->messages->str);
  fail_unless (strstr (q->ctx->messages->str, "from=(string)rtsp://"
          "127.0.0.1"), "%s", q->ctx->messages->str);
  fail_unless_equals_int (log_count (q, "\"event\":\"request\"",
          "\"method\":\"SETUP\"", "/moved/trackID=0", NULL), 1);
  fail_unless_equals_int (log_count (q, "\"event\":\"request\"",
          "\"method\":\"SETUP\"", "/stream/", NULL), 0);
  fail_unless_equals_int (q->ctx->reconnecting, 0);
  g_free (to);
  quirk_free (q);
}

GST_END_TEST;

/* 302 to DESCRIBE with a relative Location ("moved" replaces the last
 * segment); the stream then drops: the reconnect starts again at the
 * configured location, and is redirected again */
GST_START_TEST (test_redirect_relative_reconnects_to_location)
{
  Quirk *q = redirect_start ("redirect-relative", FALSE);
  gchar *to = g_strdup_printf ("to=(string)rtsp://127.0.0.1:%u/moved",
      arcly_test_cam_get_port (q->server));

  ctx_assert_flowing (q->ctx, 10, 15000, "after a relative 302");
  fail_unless (strstr (q->ctx->messages->str, to), "%s",
      q->ctx->messages->str);
  {
    gint64 until = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;

    while (q->ctx->reconnecting == 0 && g_get_monotonic_time () < until)
      ctx_run_until (q->ctx, NULL, NULL, 100, FALSE);
  }
  fail_unless_equals_int (q->ctx->reconnecting, 1);
  ctx_assert_flowing (q->ctx, 10, 15000, "after the drop");
  fail_unless_equals_int (count_in (q->ctx->messages->str,
          "arcly-rtsp-redirected"), 2);
  fail_unless_equals_int (log_count (q, "\"event\":\"request\"",
          "\"method\":\"DESCRIBE\"", "/stream\"", NULL), 2);
  fail_unless (q->ctx->error == NULL);
  g_free (to);
  quirk_free (q);
}

GST_END_TEST;

GST_START_TEST (test_redirect_other_port)
{
  Quirk *q = redirect_start ("redirect-port", FALSE);
  gchar *same = g_strdup_printf ("to=(string)rtsp://127.0.0.1:%u/",
      arcly_test_cam_get_port (q->server));

  ctx_assert_flowing (q->ctx, 10, 15000, "after a 302 to another port");
  fail_unless_equals_int (count_in (q->ctx->messages->str,
          "arcly-rtsp-redirected"), 1);
  fail_unless (strstr (q->ctx->messages->str, "to=(string)rtsp://127.0.0.1:")
      && strstr (q->ctx->messages->str, same) == NULL, "%s",
      q->ctx->messages->str);
  fail_unless_equals_int (log_count (q, "\"event\":\"request\"",
          "\"method\":\"PLAY\"", NULL), 1);
  fail_unless_equals_int (log_count (q, "\"event\":\"connect\"", NULL), 2);
  g_free (same);
  quirk_free (q);
}

GST_END_TEST;

/* 302 to PLAY (after both SETUPs): the session restarts at the target */
GST_START_TEST (test_redirect_on_play)
{
  Quirk *q = redirect_start ("redirect-play", FALSE);

  ctx_assert_flowing (q->ctx, 10, 15000, "after a 302 to PLAY");
  fail_unless_equals_int (count_in (q->ctx->messages->str,
          "arcly-rtsp-redirected"), 1);
  fail_unless_equals_int (q->ctx->pads->len, 2);
  fail_unless_equals_int (log_count (q, "\"event\":\"request\"",
          "\"method\":\"PLAY\"", "/moved/", NULL), 1);
  quirk_free (q);
}

GST_END_TEST;

/* /stream -> /loop-a -> /loop-b -> /loop-a: an error naming the last two */
GST_START_TEST (test_redirect_loop)
{
  Quirk *q = redirect_start ("redirect-loop", FALSE);

  assert_error (q, GST_RESOURCE_ERROR_OPEN_READ, "loop", "/loop-b");
  {
    GError *e = NULL;
    gchar *dbg = NULL;

    gst_message_parse_error (q->ctx->error, &e, &dbg);
    fail_unless (strstr (dbg, "/loop-a") != NULL, "%s", dbg);
    g_error_free (e);
    g_free (dbg);
  }
  fail_unless_equals_int (count_in (q->ctx->messages->str,
          "arcly-rtsp-redirected"), 2);
  quirk_free (q);
}

GST_END_TEST;

/* six hops: five are followed, the sixth is an error */
GST_START_TEST (test_redirect_sixth_hop)
{
  Quirk *q = redirect_start ("redirect-chain", FALSE);

  assert_error (q, GST_RESOURCE_ERROR_OPEN_READ, "too many", "/hop6");
  fail_unless_equals_int (count_in (q->ctx->messages->str,
          "arcly-rtsp-redirected"), 5);
  fail_unless_equals_int (log_count (q, "\"event\":\"request\"", "/moved",
          NULL), 0);
  quirk_free (q);
}

GST_END_TEST;

GST_START_TEST (test_redirect_without_location)
{
  Quirk *q = redirect_start ("redirect-no-location", FALSE);
  const GstStructure *details = NULL;
  guint status = 0;

  assert_error (q, GST_RESOURCE_ERROR_OPEN_READ, "redirected", "missing");
  gst_message_parse_error_details (q->ctx->error, &details);
  fail_unless (details && gst_structure_get_uint (details,
          "rtsp-status-code", &status));
  fail_unless_equals_int (status, 302);
  quirk_free (q);
}

GST_END_TEST;

/* the configured host is 127.0.0.1; the redirect goes to "localhost",
 * which asks for Basic: the password is not sent there in clear text */
GST_START_TEST (test_basic_not_sent_to_other_host)
{
  Quirk *q = redirect_start ("redirect-basic-host", TRUE);

  assert_error (q, GST_RESOURCE_ERROR_NOT_AUTHORIZED, "Not authorized",
      "Basic");
  fail_unless_equals_int (count_in (q->ctx->messages->str,
          "arcly-rtsp-redirected"), 1);
  fail_unless (log_count (q, "\"event\":\"request\"", "/moved", NULL) >= 1);
  fail_unless_equals_int (log_count (q, "\"event\":\"request\"",
          "Basic <redacted>", NULL), 0);
  fail_unless_equals_int (log_count (q, "\"event\":\"auth\"",
          "\"scheme\":\"Basic\"", NULL), 0);
  quirk_free (q);
}

GST_END_TEST;

/* Digest answers may follow to another host: no secret goes in clear */
GST_START_TEST (test_digest_follows_to_other_host)
{
  Quirk *q = redirect_start ("redirect-digest-host", TRUE);

  ctx_assert_flowing (q->ctx, 10, 15000, "Digest after a 303");
  fail_unless (log_count (q, "\"event\":\"auth\"", "\"ok\":true",
          "\"scheme\":\"Digest\"", NULL) >= 3);
  fail_unless (strstr (q->ctx->messages->str, "status=(uint)303"), "%s",
      q->ctx->messages->str);
  fail_if (strstr (q->ctx->messages->str, PASS) != NULL);
  quirk_free (q);
}

GST_END_TEST;

static Suite *
arclyrtspsrc_redirects_suite (void)
{
  Suite *s = suite_create ("arclyrtspsrc_redirects");
  TCase *tc = tcase_create ("redirects");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_redirect_absolute);
  tcase_add_test (tc, test_redirect_relative_reconnects_to_location);
  tcase_add_test (tc, test_redirect_other_port);
  tcase_add_test (tc, test_redirect_on_play);
  tcase_add_test (tc, test_redirect_loop);
  tcase_add_test (tc, test_redirect_sixth_hop);
  tcase_add_test (tc, test_redirect_without_location);
  tcase_add_test (tc, test_basic_not_sent_to_other_host);
  tcase_add_test (tc, test_digest_follows_to_other_host);
  return s;
}

GST_CHECK_MAIN (arclyrtspsrc_redirects);
