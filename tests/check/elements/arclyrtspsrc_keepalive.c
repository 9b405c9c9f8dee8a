/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * arclyrtspsrc session upkeep against the scripted server: keep-alives
 * before a short session timeout (to the base URL, with the Session header;
 * with OPTIONS when GET_PARAMETER is not supported), RTCP receiver reports
 * for a camera that drops silent clients, and a Digest nonce going stale
 * mid-session.  Split from the quirk suite because each case has to outlive
 * a server timeout.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "arclyrtspsrc-quirk.h"

/* qop=auth, and after 3 s a stale=true challenge on a keep-alive: the nonce
 * is renewed without failing or reconnecting */
GST_START_TEST (test_digest_qop_stale)
{
  Quirk *q = quirk_start ("digest-qop-stale", TRUE);

  quirk_play (q);
  ctx_assert_flowing (q->ctx, 10, 20000, "digest-qop-stale");
  ctx_run_until (q->ctx, NULL, NULL, 7500, FALSE);
  ctx_assert_flowing (q->ctx, 10, 3000, "after the stale nonce");
  fail_unless (log_count (q, "\"event\":\"auth\"", "\"reason\":\"stale\"",
          NULL) >= 1, "no stale challenge happened");
  fail_unless (log_count (q, "\"event\":\"auth\"", "\"ok\":true",
          "\"qop\":\"auth\"", NULL) >= 5);
  fail_unless_equals_int (log_count (q, "\"event\":\"auth\"",
          "wrong-credentials", NULL), 0);
  /* two challenges only: the first request and the stale nonce; every
   * other request reused the challenge */
  fail_unless_equals_int (log_count (q, "\"event\":\"response\"",
          "\"status\":401", NULL), 2);
  fail_unless_equals_int (log_count (q, "\"event\":\"session-timeout\"",
          NULL), 0);
  fail_unless_equals_int (q->ctx->reconnecting, 0);
  fail_unless_equals_int (q->ctx->connected, 1);
  quirk_free (q);
}

GST_END_TEST;

/* A 6 s session timeout: keep-alives go to the base URL with the Session
 * header, and the session survives past the timeout. */
GST_START_TEST (test_short_session_timeout)
{
  Quirk *q = quirk_start ("short-session-timeout", FALSE);

  quirk_play (q);
  ctx_assert_flowing (q->ctx, 10, 20000, "short-session-timeout");
  ctx_run_until (q->ctx, NULL, NULL, 7500, FALSE);
  ctx_assert_flowing (q->ctx, 10, 3000, "after the session timeout");
  fail_unless_equals_int (log_count (q, "\"event\":\"session-timeout\"",
          NULL), 0);
  fail_unless (log_count (q, "\"method\":\"GET_PARAMETER\"",
          "\"uri\":\"rtsp://127.0.0.1:", "/stream/\"", "\"Session\"", NULL)
      >= 2, "%s", quirk_log (q));
  fail_unless_equals_int (q->ctx->reconnecting, 0);
  quirk_free (q);
}

GST_END_TEST;

GST_START_TEST (test_needs_rr)
{
  Quirk *q = quirk_start ("needs-rr", FALSE);

  quirk_play (q);
  ctx_assert_flowing (q->ctx, 10, 20000, "needs-rr");
  ctx_run_until (q->ctx, NULL, NULL, 6500, FALSE);
  ctx_assert_flowing (q->ctx, 10, 3000, "after 6.5 s");
  fail_unless_equals_int (log_count (q, "no-receiver-report", NULL), 0);
  fail_unless_equals_int (q->ctx->reconnecting, 0);
  quirk_free (q);
}

GST_END_TEST;

/* GET_PARAMETER is not in Public and answered 501: OPTIONS keeps the
 * session alive */
GST_START_TEST (test_ignores_get_parameter)
{
  Quirk *q = quirk_start ("ignores-get-parameter", FALSE);

  quirk_play (q);
  ctx_assert_flowing (q->ctx, 10, 20000, "ignores-get-parameter");
  ctx_run_until (q->ctx, NULL, NULL, 7500, FALSE);
  ctx_assert_flowing (q->ctx, 10, 3000, "after the session timeout");
  fail_unless_equals_int (log_count (q, "\"event\":\"session-timeout\"",
          NULL), 0);
  fail_unless (log_count (q, "\"event\":\"request\"",
          "\"method\":\"OPTIONS\"", "\"Session\"", NULL) >= 2);
  fail_unless_equals_int (q->ctx->reconnecting, 0);
  quirk_free (q);
}

GST_END_TEST;

/* GET_PARAMETER is listed in Public but never answered, and the session
 * expires exactly 6 s after the last answered request: the element must
 * not wait a whole keep-alive interval for the lost reply before falling
 * back to OPTIONS. */
GST_START_TEST (test_get_parameter_unanswered)
{
  Quirk *q = quirk_start ("get-parameter-unanswered", FALSE);

  quirk_play (q);
  ctx_assert_flowing (q->ctx, 10, 20000, "get-parameter-unanswered");
  ctx_run_until (q->ctx, NULL, NULL, 9000, FALSE);
  ctx_assert_flowing (q->ctx, 10, 3000, "after the session timeout");
  fail_unless (log_count (q, "\"event\":\"unanswered\"", NULL) >= 1,
      "GET_PARAMETER was never tried: %s", quirk_log (q));
  fail_unless_equals_int (log_count (q, "\"event\":\"session-timeout\"",
          NULL), 0);
  fail_unless (log_count (q, "\"event\":\"request\"",
          "\"method\":\"OPTIONS\"", "\"Session\"", NULL) >= 2);
  /* once ignored, never asked again */
  fail_unless_equals_int (log_count (q, "\"event\":\"request\"",
          "\"method\":\"GET_PARAMETER\"", NULL), 1);
  fail_unless_equals_int (q->ctx->reconnecting, 0);
  fail_unless_equals_int (q->ctx->connected, 1);
  quirk_free (q);
}

GST_END_TEST;

/* GET_PARAMETER listed in Public, then refused with 501: OPTIONS at once */
GST_START_TEST (test_get_parameter_501)
{
  Quirk *q = quirk_start ("get-parameter-501", FALSE);

  quirk_play (q);
  ctx_assert_flowing (q->ctx, 10, 20000, "get-parameter-501");
  ctx_run_until (q->ctx, NULL, NULL, 8000, FALSE);
  ctx_assert_flowing (q->ctx, 10, 3000, "after the session timeout");
  fail_unless_equals_int (log_count (q, "\"event\":\"response\"",
          "\"status\":501", "\"method\":\"GET_PARAMETER\"", NULL), 1);
  fail_unless_equals_int (log_count (q, "\"event\":\"session-timeout\"",
          NULL), 0);
  fail_unless (log_count (q, "\"event\":\"request\"",
          "\"method\":\"OPTIONS\"", "\"Session\"", NULL) >= 2);
  fail_unless_equals_int (q->ctx->reconnecting, 0);
  quirk_free (q);
}

GST_END_TEST;

static Suite *
arclyrtspsrc_keepalive_suite (void)
{
  Suite *s = suite_create ("arclyrtspsrc_keepalive");
  TCase *tc = tcase_create ("keepalive");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_digest_qop_stale);
  tcase_add_test (tc, test_short_session_timeout);
  tcase_add_test (tc, test_needs_rr);
  tcase_add_test (tc, test_ignores_get_parameter);
  tcase_add_test (tc, test_get_parameter_unanswered);
  tcase_add_test (tc, test_get_parameter_501);
  return s;
}

GST_CHECK_MAIN (arclyrtspsrc_keepalive);
