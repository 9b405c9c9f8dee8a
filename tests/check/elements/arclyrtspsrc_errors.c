/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * arclyrtspsrc's error table (docs/elements/arclyrtspsrc.md) against the
 * scripted server: until the first PLAY a configuration that cannot work
 * is an element ERROR at once, one row per scenario; transient faults are
 * retried with a WARNING naming the reason and the next delay, before and
 * after the first PLAY.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <gst/check/gstcheck.h>

#include "arclyrtspsrc-quirk.h"

typedef struct
{
  const gchar *scenario;
  gint code;                    /* GST_RESOURCE_ERROR_* */
  guint status;                 /* rtsp-status-code detail, 0 = none */
  const gchar *text;            /* in the user-facing message */
  const gchar *debug;           /* in the debug text */
} ErrorRow;

static const ErrorRow error_rows[] = {
  {"http-reply", GST_RESOURCE_ERROR_OPEN_READ, 0,
      "answered HTTP, not RTSP", "HTTP/1.1 200 OK"},
  {"garbage-status", GST_RESOURCE_ERROR_OPEN_READ, 0, "not RTSP",
      "RTSP/1.0 2OO OK"},
  {"big-body", GST_RESOURCE_ERROR_READ, 0, "larger than", "body too large"},
  {"big-line", GST_RESOURCE_ERROR_READ, 0, "larger than", "too long"},
  {"many-headers", GST_RESOURCE_ERROR_READ, 0, "larger than",
      "too many headers"},
  {"big-header-section", GST_RESOURCE_ERROR_READ, 0, "larger than",
      "header section too long"},
  {"bad-content-length", GST_RESOURCE_ERROR_READ, 0, "invalid RTSP reply",
      "Content-Length"},
  {"forbidden", GST_RESOURCE_ERROR_NOT_AUTHORIZED, 403, "forbidden",
      "DESCRIBE"},
  {"unsupported-transport", GST_RESOURCE_ERROR_SETTINGS, 461, "RTP over TCP",
      "SETUP"},
  {"not-found", GST_RESOURCE_ERROR_NOT_FOUND, 404, "not found", "DESCRIBE"},
};

/* One row: an ERROR within a few seconds (far below the timeout of 10 s
 * a reply would otherwise be waited for), on the first connection, no
 * retry, no pad, and the status code as a detail. */
GST_START_TEST (test_error_table)
{
  const ErrorRow *row = &error_rows[__i__];
  Quirk *q = quirk_start (row->scenario, FALSE);
  GError *e = NULL;
  gchar *dbg = NULL;
  const GstStructure *details = NULL;
  guint status = 0;

  g_object_set (q->ctx->src, "retry-backoff", 100, NULL);
  quirk_play (q);
  fail_unless (ctx_run_until (q->ctx, cond_error, NULL, 5000, TRUE),
      "%s: no error; warnings: %s", row->scenario, q->ctx->warnings->str);
  gst_message_parse_error (q->ctx->error, &e, &dbg);
  fail_unless (e->domain == GST_RESOURCE_ERROR && e->code == row->code,
      "%s: %s (%d)", row->scenario, e->message, e->code);
  fail_unless (strstr (e->message, row->text) != NULL, "%s: %s",
      row->scenario, e->message);
  fail_unless (dbg && strstr (dbg, row->debug) != NULL, "%s: %s",
      row->scenario, dbg);
  gst_message_parse_error_details (q->ctx->error, &details);
  if (details)
    gst_structure_get_uint (details, "rtsp-status-code", &status);
  fail_unless_equals_int (status, row->status);
  g_error_free (e);
  g_free (dbg);

  /* and nothing after it: no retry */
  ctx_run_until (q->ctx, NULL, NULL, 500, TRUE);
  fail_unless_equals_int (q->ctx->reconnecting, 0);
  fail_unless_equals_int (q->ctx->n_warnings, 0);
  fail_unless_equals_int (q->ctx->pads->len, 0);
  fail_unless_equals_int (log_count (q, "\"event\":\"connect\"", NULL), 1);
  quirk_free (q);
}

GST_END_TEST;

/* 503 twice before the first PLAY: transient, retried with backoff, and
 * each retry is a WARNING with the reason and the next delay. */
GST_START_TEST (test_server_error_retried_with_warning)
{
  Quirk *q = quirk_start ("server-error-then-ok", FALSE);

  g_object_set (q->ctx->src, "retry-backoff", 100, "retry-backoff-max", 200,
      NULL);
  quirk_play (q);
  ctx_assert_flowing (q->ctx, 10, 15000, "after two 503");
  fail_unless (q->ctx->error == NULL);
  fail_unless_equals_int (q->ctx->reconnecting, 2);
  fail_unless_equals_int (q->ctx->n_warnings, 2);
  fail_unless (strstr (q->ctx->warnings->str, "503") != NULL, "%s",
      q->ctx->warnings->str);
  fail_unless (strstr (q->ctx->warnings->str, "retrying in 100 ms") != NULL,
      "%s", q->ctx->warnings->str);
  fail_unless (strstr (q->ctx->warnings->str, "retrying in 200 ms") != NULL,
      "%s", q->ctx->warnings->str);
  fail_unless_equals_int (log_count (q, "\"event\":\"fault\"", NULL), 2);
  quirk_free (q);
}

GST_END_TEST;

/* The connection drops 1.5 s after PLAY: after the first PLAY the source
 * heals itself, and says so with a WARNING (reason, next delay). */
GST_START_TEST (test_drop_after_play_warns)
{
  Quirk *q = quirk_start ("drop-after-play", FALSE);

  g_object_set (q->ctx->src, "retry-backoff", 100, NULL);
  quirk_play (q);
  ctx_assert_flowing (q->ctx, 10, 15000, "before the drop");
  fail_unless_equals_int (q->ctx->n_warnings, 0);
  {
    gint64 until = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;

    while (q->ctx->n_warnings == 0 && g_get_monotonic_time () < until)
      ctx_run_until (q->ctx, NULL, NULL, 100, FALSE);
  }
  fail_unless_equals_int (q->ctx->n_warnings, 1);
  fail_unless (strstr (q->ctx->warnings->str, "Lost the RTSP stream") !=
      NULL, "%s", q->ctx->warnings->str);
  fail_unless (strstr (q->ctx->warnings->str, "reconnecting in 100 ms") !=
      NULL, "%s", q->ctx->warnings->str);
  fail_unless_equals_int (q->ctx->reconnecting, 1);
  ctx_assert_flowing (q->ctx, 10, 15000, "after the drop");
  fail_unless (q->ctx->error == NULL);
  fail_unless_equals_int (q->ctx->connected, 2);
  quirk_free (q);
}

GST_END_TEST;

static Suite *
arclyrtspsrc_errors_suite (void)
{
  Suite *s = suite_create ("arclyrtspsrc_errors");
  TCase *tc = tcase_create ("errors");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 60);
  tcase_add_loop_test (tc, test_error_table, 0, G_N_ELEMENTS (error_rows));
  tcase_add_test (tc, test_server_error_retried_with_warning);
  tcase_add_test (tc, test_drop_after_play_warns);
  return s;
}

GST_CHECK_MAIN (arclyrtspsrc_errors);
