/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A user's first pipeline: two sinks on arclyrtspsrc's pads and no queue
 * (`s.video_0 ! fakesink s.audio_0 ! fakesink`, default async sinks).  One
 * worker thread feeds both pads, so the first sink's preroll must not hold
 * it (issue #20: the pipeline never reached PLAYING and `gst-launch-1.0 -e`
 * never finished after Ctrl-C).  In process, and through gst-launch-1.0
 * with SIGINT, against the scripted server.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <gst/check/gstcheck.h>

#include "arclyrtspsrc-quirk.h"

#define NO_QUEUE_LAUNCH "arclyrtspsrc name=s location=%s " \
  "s.video_0 ! fakesink name=vsink s.audio_0 ! fakesink name=asink"

/* Pops bus messages until one of @type from @src (any source when NULL)
 * arrives, or @timeout_ms passes. */
static gboolean
wait_message (GstBus * bus, GstMessageType type, GstObject * src,
    GstState state, guint timeout_ms)
{
  gint64 until = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (g_get_monotonic_time () < until) {
    GstMessage *m = gst_bus_timed_pop (bus, 50 * GST_MSECOND);
    gboolean hit = FALSE;

    if (m == NULL)
      continue;
    if (GST_MESSAGE_TYPE (m) == GST_MESSAGE_ERROR) {
      GError *e = NULL;

      gst_message_parse_error (m, &e, NULL);
      fail ("error: %s", e->message);
      g_error_free (e);
    }
    if (GST_MESSAGE_TYPE (m) == type && (src == NULL || GST_MESSAGE_SRC (m)
            == src)) {
      if (type == GST_MESSAGE_STATE_CHANGED) {
        GstState news;

        gst_message_parse_state_changed (m, NULL, &news, NULL);
        hit = news == state;
      } else {
        hit = TRUE;
      }
    }
    gst_message_unref (m);
    if (hit)
      return TRUE;
  }
  return FALSE;
}

static guint64
sink_rendered (GstElement * pipe, const gchar * name)
{
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipe), name);
  GstStructure *st = NULL;
  guint64 n = 0;

  g_object_get (sink, "stats", &st, NULL);
  gst_structure_get_uint64 (st, "rendered", &n);
  gst_structure_free (st);
  gst_object_unref (sink);
  return n;
}

/* The pipeline reaches PLAYING, both sinks render, and an EOS sent to the
 * pipeline (what gst-launch-1.0 -e does on Ctrl-C) arrives as the EOS
 * message. */
GST_START_TEST (test_two_sinks_no_queue)
{
  Quirk *q = quirk_start ("normal", FALSE);
  gchar *desc = g_strdup_printf (NO_QUEUE_LAUNCH,
      arcly_test_cam_get_url (q->server));
  GError *err = NULL;
  GstElement *pipe = gst_parse_launch (desc, &err);
  GstBus *bus;
  gint64 t0;

  fail_unless (pipe != NULL, "%s", err ? err->message : "");
  bus = gst_element_get_bus (pipe);
  fail_unless (gst_element_set_state (pipe, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  fail_unless (wait_message (bus, GST_MESSAGE_STATE_CHANGED,
          GST_OBJECT (pipe), GST_STATE_PLAYING, 10000),
      "the pipeline did not reach PLAYING (a sink's preroll holds the "
      "source's only thread)");
  {
    gint64 until = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;

    while ((sink_rendered (pipe, "vsink") < 30
            || sink_rendered (pipe, "asink") < 30)
        && g_get_monotonic_time () < until)
      wait_message (bus, GST_MESSAGE_EOS, NULL, GST_STATE_VOID_PENDING, 50);
  }
  fail_unless (sink_rendered (pipe, "vsink") >= 30);
  fail_unless (sink_rendered (pipe, "asink") >= 30);

  t0 = g_get_monotonic_time ();
  fail_unless (gst_element_send_event (pipe, gst_event_new_eos ()));
  fail_unless (wait_message (bus, GST_MESSAGE_EOS, GST_OBJECT (pipe),
          GST_STATE_VOID_PENDING, 5000), "no EOS");
  fail_unless (g_get_monotonic_time () - t0 < 2 * G_TIME_SPAN_SECOND);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipe);
  g_free (desc);
  quirk_free (q);
}

GST_END_TEST;

/* The same with gst-launch-1.0 -e and SIGINT: it ends by itself, with EOS. */
GST_START_TEST (test_gst_launch_eos_on_sigint)
{
  Quirk *q = quirk_start ("normal", FALSE);
  gchar *desc = g_strdup_printf (NO_QUEUE_LAUNCH,
      arcly_test_cam_get_url (q->server));
  gchar **argv;
  gchar *cmd = g_strdup_printf ("gst-launch-1.0 -e %s", desc);
  GError *err = NULL;
  GPid pid;
  gint out_fd, status = 0;
  GString *out = g_string_new (NULL);
  gint64 until;
  gboolean exited = FALSE;

  fail_unless (g_shell_parse_argv (cmd, NULL, &argv, NULL));
  fail_unless (g_spawn_async_with_pipes (NULL, argv, NULL,
          G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD |
          G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &pid, NULL, &out_fd, NULL,
          &err), "%s", err ? err->message : "");
  /* let it play (the "PLAYING" line, then media for a second) */
  until = g_get_monotonic_time () + 15 * G_TIME_SPAN_SECOND;
  while (strstr (out->str, "Setting pipeline to PLAYING") == NULL
      && g_get_monotonic_time () < until) {
    gchar buf[256];
    gssize n = read (out_fd, buf, sizeof (buf));

    if (n <= 0)
      break;
    g_string_append_len (out, buf, n);
  }
  fail_unless (strstr (out->str, "Setting pipeline to PLAYING") != NULL,
      "%s", out->str);
  /* the server sees PLAY, then its receiver reports (sent every 2 s) */
  until = g_get_monotonic_time () + 15 * G_TIME_SPAN_SECOND;
  while (log_count (q, "\"event\":\"frame\"", "\"rtcp\":[201", NULL) < 2
      && g_get_monotonic_time () < until)
    ctx_run_until (q->ctx, NULL, NULL, 100, TRUE);
  fail_unless (log_count (q, "\"event\":\"playing\"", NULL) == 1);
  kill (pid, SIGINT);
  until = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;
  while (g_get_monotonic_time () < until) {
    if (waitpid (pid, &status, WNOHANG) == pid) {
      exited = TRUE;
      break;
    }
    g_usleep (20 * 1000);
  }
  if (!exited) {
    kill (pid, SIGKILL);
    waitpid (pid, &status, 0);
  }
  {
    gchar buf[4096];
    gssize n;

    while ((n = read (out_fd, buf, sizeof (buf))) > 0)
      g_string_append_len (out, buf, n);
  }
  close (out_fd);
  g_spawn_close_pid (pid);
  fail_unless (exited, "gst-launch-1.0 -e did not finish after SIGINT: %s",
      out->str);
  fail_unless (WIFEXITED (status) && WEXITSTATUS (status) == 0, "%s",
      out->str);
  fail_unless (strstr (out->str, "Got EOS") != NULL, "%s", out->str);
  g_string_free (out, TRUE);
  g_strfreev (argv);
  g_free (cmd);
  g_free (desc);
  quirk_free (q);
}

GST_END_TEST;

static Suite *
arclyrtspsrc_launch_suite (void)
{
  Suite *s = suite_create ("arclyrtspsrc_launch");
  TCase *tc = tcase_create ("launch");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_two_sinks_no_queue);
  tcase_add_test (tc, test_gst_launch_eos_on_sigint);
  return s;
}

GST_CHECK_MAIN (arclyrtspsrc_launch);
