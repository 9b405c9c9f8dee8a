/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Harness for arclyrtspsrc against tests/check/servers/rtsp-script-server.py
 * (one scenario per test); shared by the quirk and keep-alive suites.
 */

#ifndef __ARCLY_RTSPSRC_TEST_QUIRK_H__
#define __ARCLY_RTSPSRC_TEST_QUIRK_H__

#include "arclyrtspsrc-common.h"

#include <glib/gstdio.h>

#define USER "u"
#define PASS "quirk-Secret"

typedef struct
{
  ArclyTestCam *server;
  gchar *dir;
  gchar *log;
  Ctx *ctx;
} Quirk;

static Quirk *
quirk_start (const gchar * scenario, gboolean with_credentials)
{
  Quirk *q = g_new0 (Quirk, 1);
  const gchar *src = g_getenv ("ARCLY_SOURCE_ROOT");
  gchar *script;
  GError *err = NULL;

  fail_unless (src != NULL, "ARCLY_SOURCE_ROOT not set");
  script = g_build_filename (src, "tests", "check", "servers",
      "rtsp-script-server.py", NULL);
  fail_unless (g_file_test (script, G_FILE_TEST_EXISTS), "missing %s",
      script);
  q->dir = g_dir_make_tmp ("arcly-quirk-XXXXXX", &err);
  fail_unless (q->dir != NULL);
  q->log = g_build_filename (q->dir, "events.jsonl", NULL);
  {
    const gchar *program[] = { "python3", script, NULL };
    const gchar *args[] = { "--scenario", scenario, "--log", q->log,
      "--user", USER, "--password", PASS, "--max-seconds", "120", NULL
    };

    q->server = arcly_test_server_start (program, args, &err);
  }
  fail_unless (q->server != NULL, "scripted server (%s) did not start: %s",
      scenario, err ? err->message : "?");
  g_free (script);

  if (with_credentials) {
    gchar *url = arcly_test_cam_get_url_with_credentials (q->server, USER,
        PASS);

    q->ctx = ctx_new (url);
    g_free (url);
  } else {
    q->ctx = ctx_new (arcly_test_cam_get_url (q->server));
  }
  return q;
}

static void
quirk_play (Quirk * q)
{
  fail_unless (gst_element_set_state (q->ctx->pipe, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
}

static gchar *
quirk_log (Quirk * q)
{
  gchar *text = NULL;

  g_file_get_contents (q->log, &text, NULL, NULL);
  return text ? text : g_strdup ("");
}

/* Number of log lines containing every one of the NULL-terminated @needles */
static guint
log_count (Quirk * q, const gchar * first, ...)
{
  gchar *text = quirk_log (q);
  gchar **lines = g_strsplit (text, "\n", -1);
  guint n = 0, i;

  for (i = 0; lines[i]; i++) {
    va_list ap;
    const gchar *needle = first;
    gboolean all = TRUE;

    va_start (ap, first);
    while (needle) {
      if (strstr (lines[i], needle) == NULL)
        all = FALSE;
      needle = va_arg (ap, const gchar *);
    }
    va_end (ap);
    if (all)
      n++;
  }
  g_strfreev (lines);
  g_free (text);
  return n;
}

static void
quirk_free (Quirk * q)
{
  if (q->ctx)
    ctx_free (q->ctx);
  arcly_test_cam_free (q->server);
  g_unlink (q->log);
  g_rmdir (q->dir);
  g_free (q->log);
  g_free (q->dir);
  g_free (q);
}

static void
check_plain_flow (const gchar * scenario, gboolean creds, guint n)
{
  Quirk *q = quirk_start (scenario, creds);
  PadRecord *v, *a;

  quirk_play (q);
  ctx_assert_flowing (q->ctx, n, 20000, scenario);
  g_mutex_lock (&q->ctx->lock);
  fail_unless_equals_int (q->ctx->pads->len, 2);
  v = ctx_pad (q->ctx, TRUE);
  a = ctx_pad (q->ctx, FALSE);
  fail_unless (v && a);
  fail_unless_equals_int (v->backwards, 0);
  fail_unless_equals_int (a->backwards, 0);
  fail_unless_equals_int (v->rtcp_like, 0);
  fail_unless_equals_int (a->rtcp_like, 0);
  g_mutex_unlock (&q->ctx->lock);
  fail_unless_equals_int (q->ctx->reconnecting, 0);
  quirk_free (q);
}

#endif
