/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The scripted RTSP server (tests/check/servers/rtsp-script-server.py) is a
 * real peer: GStreamer's rtspsrc (TCP) and ffprobe read both of its tracks in
 * the scenarios they can cope with, the JSON event log records what the
 * client did, and where rtspsrc must fail (404, Digest without qop) it does.
 * The scenarios rtspsrc cannot handle and the auth scenarios are checked in
 * scriptserver-client.c.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <gio/gio.h>
#include <gst/check/gstcheck.h>

#include "arcly-rtspsrc-counter.h"
#include "scriptserver-helper.h"

#define USER SCRIPT_USER
#define PASS SCRIPT_PASS

/* ------------------------------------------------------------------------ */
/* rtspsrc against the server */

/* Runs rtspsrc against @scenario and returns the event log, checked for
 * the whole session. */
static gchar *
rtspsrc_scenario_log (const gchar * scenario, guint extra_ms)
{
  Script *s = script_start (scenario);
  ArclyRtspCounts c;
  gchar *err, *log;

  arcly_rtsp_counts_init (&c);
  err = arcly_run_rtspsrc (arcly_test_cam_get_url (s->srv), USER, PASS, &c,
      15, extra_ms, 25);
  fail_unless (err == NULL, "rtspsrc failed in scenario %s: %s", scenario,
      err);
  fail_unless (c.video_buffers >= 15 && c.audio_buffers >= 15,
      "scenario %s: only %u video / %u audio buffers", scenario,
      c.video_buffers, c.audio_buffers);
  fail_unless (c.video_caps && strstr (c.video_caps, "H264"));
  fail_unless (c.audio_caps && strstr (c.audio_caps, "MPEG4-GENERIC"));
  arcly_rtsp_counts_clear (&c);
  /* Stop first so the log is complete (TEARDOWN, disconnect, exit). */
  log = script_stop_and_log (s);
  fail_unless_equals_int (count_lines_with (log, "\"event\":\"request\"",
          "\"method\":\"DESCRIBE\"", NULL), 1);
  fail_unless_equals_int (count_lines_with (log, "\"event\":\"request\"",
          "\"method\":\"SETUP\"", "trackID=0", NULL), 1);
  fail_unless_equals_int (count_lines_with (log, "\"event\":\"request\"",
          "\"method\":\"SETUP\"", "trackID=1", NULL), 1);
  fail_unless_equals_int (count_lines_with (log, "\"event\":\"request\"",
          "\"method\":\"PLAY\"", NULL), 1);
  fail_unless_equals_int (count_lines_with (log, "\"event\":\"playing\"",
          "\"tracks\":[0,1]", NULL), 1);
  fail_unless_equals_int (count_lines_with (log, "\"event\":\"exit\"", NULL),
      1);
  return log;
}

GST_START_TEST (test_rtspsrc_normal)
{
  gchar *log = rtspsrc_scenario_log ("normal", 0);

  fail_unless_equals_int (count_lines_with (log, "\"method\":\"OPTIONS\"",
          "\"event\":\"request\"", NULL), 1);
  /* OPTIONS, DESCRIBE, SETUP ×2, PLAY (then TEARDOWN or keep-alives). */
  fail_unless (count_lines_with (log, "\"event\":\"response\"",
          "\"status\":200", NULL) >= 5);
  fail_unless_equals_int (count_lines_with (log, "\"event\":\"response\"",
          "\"status\":200", "\"method\":\"PLAY\"", NULL), 1);
  fail_unless (count_lines_with (log, "\"event\":\"teardown\"", NULL) <= 1);
  g_free (log);
}

GST_END_TEST;

GST_START_TEST (test_rtspsrc_lowercase_headers)
{
  g_free (rtspsrc_scenario_log ("lowercase-headers", 0));
}

GST_END_TEST;

GST_START_TEST (test_rtspsrc_server_channels)
{
  gchar *log = rtspsrc_scenario_log ("server-channels", 0);

  /* rtspsrc asked for 0-1 and 2-3 and got 4-5 and 6-7, and still received
   * both tracks (checked above). */
  fail_unless_equals_int (count_lines_with (log, "\"method\":\"SETUP\"",
          "interleaved=0-1", NULL), 1);
  fail_unless_equals_int (count_lines_with (log, "\"event\":\"setup\"",
          "\"rtp_channel\":4", NULL), 1);
  fail_unless_equals_int (count_lines_with (log, "\"event\":\"setup\"",
          "\"rtp_channel\":6", NULL), 1);
  g_free (log);
}

GST_END_TEST;

GST_START_TEST (test_rtspsrc_trickle)
{
  g_free (rtspsrc_scenario_log ("trickle", 0));
}

GST_END_TEST;

GST_START_TEST (test_rtspsrc_digest_and_basic)
{
  gchar *log = rtspsrc_scenario_log ("digest-and-basic", 0);

  /* rtspsrc picks Digest (RFC 2069 form: no qop) over Basic. */
  fail_unless (count_lines_with (log, "\"event\":\"auth\"", "\"ok\":true",
          "\"scheme\":\"Digest\"", "\"qop\":null", NULL) >= 4);
  fail_unless_equals_int (count_lines_with (log, "\"event\":\"auth\"",
          "\"scheme\":\"Basic\"", NULL), 0);
  fail_unless (count_lines_with (log, "\"event\":\"response\"",
          "\"status\":401", NULL) >= 1);
  g_free (log);
}

GST_END_TEST;

GST_START_TEST (test_rtspsrc_server_request)
{
  /* Keep playing a little after the buffers arrived: the server sends its
   * requests 1, 2 and 3 s after PLAY. */
  gchar *log = rtspsrc_scenario_log ("server-request", 3500);

  fail_unless_equals_int (count_lines_with (log,
          "\"event\":\"server-request\"", NULL), 3);
  fail_unless_equals_int (count_lines_with (log,
          "\"event\":\"client-response\"", NULL), 3);
  g_free (log);
}

GST_END_TEST;

GST_START_TEST (test_rtspsrc_transport_padded)
{
  gchar *log = rtspsrc_scenario_log ("transport-padded", 0);

  fail_unless_equals_int (count_lines_with (log, "\"event\":\"setup\"",
          "\"ssrc\":\"000d93ff\"", NULL), 1);
  g_free (log);
}

GST_END_TEST;

GST_START_TEST (test_rtspsrc_rtcp_wrong_channel)
{
  g_free (rtspsrc_scenario_log ("rtcp-wrong-channel", 0));
}

GST_END_TEST;

GST_START_TEST (test_rtspsrc_sdp_faults)
{
  g_free (rtspsrc_scenario_log ("sdp-faults", 0));
}

GST_END_TEST;

/* Failures the server must produce. */
static gchar *
rtspsrc_expect_error (const gchar * scenario, gchar ** log_out)
{
  Script *s = script_start (scenario);
  ArclyRtspCounts c;
  gchar *err;

  arcly_rtsp_counts_init (&c);
  err = arcly_run_rtspsrc (arcly_test_cam_get_url (s->srv), USER, PASS, &c,
      5, 0, 20);
  fail_unless (err != NULL, "rtspsrc did not fail in scenario %s", scenario);
  fail_unless_equals_int (c.video_buffers + c.audio_buffers, 0);
  arcly_rtsp_counts_clear (&c);
  *log_out = script_stop_and_log (s);
  return err;
}

GST_START_TEST (test_rtspsrc_not_found)
{
  gchar *log = NULL;
  gchar *err = rtspsrc_expect_error ("not-found", &log);

  fail_unless_equals_int (count_lines_with (log, "\"event\":\"response\"",
          "\"status\":404", "\"method\":\"DESCRIBE\"", NULL), 1);
  g_free (err);
  g_free (log);
}

GST_END_TEST;

GST_START_TEST (test_rtspsrc_refused_without_qop)
{
  gchar *log = NULL;
  gchar *err = rtspsrc_expect_error ("digest-qop-stale", &log);

  /* rtspsrc answers qop=auth challenges in the RFC 2069 form: refused, as
   * by current Dahua firmware. */
  fail_unless (count_lines_with (log, "\"event\":\"auth\"",
          "\"reason\":\"qop-required\"", NULL) >= 1);
  fail_unless_equals_int (count_lines_with (log, "\"event\":\"auth\"",
          "\"ok\":true", NULL), 0);
  g_free (err);
  g_free (log);
}

GST_END_TEST;

/* ------------------------------------------------------------------------ */
/* ffprobe */

static gchar *
run_ffprobe (const gchar * url)
{
  const gchar *argv[] = { "timeout", "30", "ffprobe", "-v", "error",
    "-rtsp_transport", "tcp", "-show_entries",
    "stream=codec_name,codec_type,width,height,sample_rate,channels",
    "-of", "compact", url, NULL
  };
  gchar *out = NULL, *errout = NULL;
  gint status = 0;
  GError *error = NULL;

  fail_unless (g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_SEARCH_PATH,
          NULL, NULL, &out, &errout, &status, &error),
      "cannot run ffprobe (install ffmpeg): %s", error ? error->message : "");
  fail_unless (g_spawn_check_wait_status (status, NULL),
      "ffprobe failed (status %d): %s", status, errout);
  g_free (errout);
  return out;
}

GST_START_TEST (test_ffprobe_normal)
{
  Script *s = script_start ("normal");
  gchar *out = run_ffprobe (arcly_test_cam_get_url (s->srv));

  /* The embedded GOP is a real 64x48 H.264 stream, the AU real AAC-LC. */
  fail_unless (strstr (out, "codec_name=h264|codec_type=video|width=64|"
          "height=48") != NULL, "ffprobe output: %s", out);
  fail_unless (strstr (out, "codec_name=aac|codec_type=audio|"
          "sample_rate=48000|channels=2") != NULL, "ffprobe output: %s", out);
  g_free (out);
  g_free (script_stop_and_log (s));
}

GST_END_TEST;

/* ------------------------------------------------------------------------ */
/* The server's own conventions */

GST_START_TEST (test_ready_line_and_clean_exit)
{
  Script *s = script_start ("never-answer");
  const gchar *url = arcly_test_cam_get_url (s->srv);
  GError *error = NULL;
  gint status;
  gchar *log;
  GSocketClient *client = g_socket_client_new ();
  GSocketConnection *conn;
  GSocket *sock;
  const gchar *req = "OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n\r\n";

  fail_unless (g_str_has_prefix (url, "rtsp://127.0.0.1:"));
  fail_unless (g_str_has_suffix (url, "/stream"));
  fail_unless (strstr (url, "@") == NULL);

  /* never-answer: the request is logged, no reply within 1.5 s. */
  g_socket_client_set_timeout (client, 5);
  /* Loopback: no proxy lookup (libproxy is slow and noisy under valgrind). */
  g_socket_client_set_enable_proxy (client, FALSE);
  conn = g_socket_client_connect_to_host (client, "127.0.0.1",
      arcly_test_cam_get_port (s->srv), NULL, &error);
  fail_unless (conn != NULL, "connect: %s", error ? error->message : "");
  sock = g_socket_connection_get_socket (conn);
  fail_unless (g_output_stream_write_all (g_io_stream_get_output_stream
          (G_IO_STREAM (conn)), req, strlen (req), NULL, NULL, NULL));
  g_socket_set_timeout (sock, 0);
  fail_if (g_socket_condition_timed_wait (sock, G_IO_IN, 1500000, NULL,
          NULL));
  g_object_unref (conn);
  g_object_unref (client);

  status = arcly_test_cam_stop (s->srv);
  fail_unless (WIFEXITED (status) && WEXITSTATUS (status) == 0,
      "SIGTERM exit status %d", status);
  log = script_log (s);
  fail_unless_equals_int (count_lines_with (log, "\"event\":\"listening\"",
          "\"scenario\":\"never-answer\"", NULL), 1);
  fail_unless_equals_int (count_lines_with (log, "\"event\":\"request\"",
          "\"method\":\"OPTIONS\"", NULL), 1);
  fail_unless_equals_int (count_lines_with (log, "\"event\":\"response\"",
          NULL), 0);
  fail_unless_equals_int (count_lines_with (log, "\"event\":\"exit\"", NULL),
      1);
  g_free (log);

  fail_unless (arcly_test_cam_restart (s->srv, &error), "restart: %s",
      error ? error->message : "");
  kill (arcly_test_cam_get_pid (s->srv), SIGINT);
  status = arcly_test_cam_wait (s->srv, 5000);
  fail_unless (WIFEXITED (status) && WEXITSTATUS (status) == 0,
      "SIGINT exit status %d", status);
  script_free (s);
}

GST_END_TEST;

static Suite *
scriptserver_suite (void)
{
  Suite *s = suite_create ("scriptserver");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_ready_line_and_clean_exit);
  tcase_add_test (tc, test_rtspsrc_normal);
  tcase_add_test (tc, test_rtspsrc_lowercase_headers);
  tcase_add_test (tc, test_rtspsrc_server_channels);
  tcase_add_test (tc, test_rtspsrc_trickle);
  tcase_add_test (tc, test_rtspsrc_digest_and_basic);
  tcase_add_test (tc, test_rtspsrc_server_request);
  tcase_add_test (tc, test_rtspsrc_transport_padded);
  tcase_add_test (tc, test_rtspsrc_rtcp_wrong_channel);
  tcase_add_test (tc, test_rtspsrc_sdp_faults);
  tcase_add_test (tc, test_rtspsrc_not_found);
  tcase_add_test (tc, test_rtspsrc_refused_without_qop);
  tcase_add_test (tc, test_ffprobe_normal);
  return s;
}

GST_CHECK_MAIN (scriptserver);
