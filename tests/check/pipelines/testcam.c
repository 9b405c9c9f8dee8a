/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The test camera is a real RTSP peer: GStreamer's rtspsrc (TCP) and ffprobe
 * read both of its tracks, with no auth, Basic and Digest; wrong credentials
 * are refused; it prints READY without credentials and exits 0 on SIGTERM.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <gst/check/gstcheck.h>

#include "arcly-rtspsrc-counter.h"
#include "arcly-testcam-helper.h"

#define USER "u"
#define PASS "p4ss-Secret"

static ArclyTestCam *
start_cam (const gchar * auth)
{
  const gchar *args[] = { "--auth", auth, "--user", USER, "--password", PASS,
    "--gop", "30", NULL
  };
  GError *error = NULL;
  ArclyTestCam *cam = arcly_test_cam_start (args, &error);

  fail_unless (cam != NULL, "test camera did not start: %s",
      error ? error->message : "?");
  return cam;
}

static void
check_receives_both_tracks (const gchar * auth)
{
  ArclyTestCam *cam = start_cam (auth);
  gchar *url = arcly_test_cam_get_url_with_credentials (cam, USER, PASS);
  ArclyRtspCounts c;
  gchar *err;

  arcly_rtsp_counts_init (&c);
  err = arcly_run_rtspsrc (url, NULL, NULL, &c, 20, 0, 20);
  fail_unless (err == NULL, "rtspsrc failed (auth %s): %s", auth, err);
  fail_unless (c.video_buffers >= 20 && c.audio_buffers >= 20,
      "auth %s: only %u video / %u audio buffers", auth, c.video_buffers,
      c.audio_buffers);
  fail_unless (c.video_caps && strstr (c.video_caps, "H264"));
  fail_unless (c.video_caps && strstr (c.video_caps, "sprop-parameter-sets"));
  fail_unless (c.audio_caps && strstr (c.audio_caps, "MPEG4-GENERIC"));
  fail_unless (c.audio_caps && strstr (c.audio_caps, "AAC-hbr"));
  arcly_rtsp_counts_clear (&c);
  g_free (url);
  fail_unless_equals_int (arcly_test_cam_stop (cam), 0);
  arcly_test_cam_free (cam);
}

GST_START_TEST (test_rtspsrc_no_auth)
{
  check_receives_both_tracks ("none");
}

GST_END_TEST;

GST_START_TEST (test_rtspsrc_basic)
{
  check_receives_both_tracks ("basic");
}

GST_END_TEST;

GST_START_TEST (test_rtspsrc_digest)
{
  check_receives_both_tracks ("digest");
}

GST_END_TEST;

GST_START_TEST (test_wrong_password_refused)
{
  ArclyTestCam *cam = start_cam ("digest");
  gchar *url = arcly_test_cam_get_url_with_credentials (cam, USER, "wrong");
  ArclyRtspCounts c;
  gchar *err;

  arcly_rtsp_counts_init (&c);
  err = arcly_run_rtspsrc (url, NULL, NULL, &c, 5, 0, 15);
  fail_unless (err != NULL, "the camera accepted a wrong password");
  fail_unless_equals_int (c.video_buffers + c.audio_buffers, 0);
  arcly_rtsp_counts_clear (&c);
  g_free (err);
  g_free (url);
  arcly_test_cam_free (cam);
}

GST_END_TEST;

/* ffprobe (FFmpeg's RTSP client, TCP) sees H.264 and AAC. */
GST_START_TEST (test_ffprobe_reads_both_tracks)
{
  ArclyTestCam *cam = start_cam ("digest");
  gchar *url = arcly_test_cam_get_url_with_credentials (cam, USER, PASS);
  const gchar *argv[] = { "timeout", "30", "ffprobe", "-v", "error",
    "-rtsp_transport", "tcp", "-show_entries",
    "stream=codec_name,codec_type,width,height,sample_rate",
    "-of", "compact", url, NULL
  };
  gchar *out = NULL, *errout = NULL;
  gint status = 0;
  GError *error = NULL;

  fail_unless (g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_SEARCH_PATH,
          NULL, NULL, &out, &errout, &status, &error),
      "cannot run ffprobe (install ffmpeg): %s", error ? error->message : "");
  if (!g_spawn_check_wait_status (status, NULL) || !strstr (out, "h264")) {
    /* Never print the password. */
    gchar **parts = g_strsplit (errout, PASS, -1);
    gchar *safe = g_strjoinv ("***", parts);

    g_strfreev (parts);
    fail ("ffprobe failed (status %d): %s", status, safe);
  }
  fail_unless (strstr (out, "codec_name=h264|codec_type=video|width=640|"
          "height=360") != NULL, "ffprobe output: %s", out);
  fail_unless (strstr (out, "codec_name=aac|codec_type=audio") != NULL,
      "ffprobe output: %s", out);
  fail_unless (strstr (out, "sample_rate=48000") != NULL);
  g_free (out);
  g_free (errout);
  g_free (url);
  arcly_test_cam_free (cam);
}

GST_END_TEST;

/* READY carries no credentials; SIGINT and SIGTERM are clean exits; the same
 * port can be reused right after a stop (the reconnect tests rely on it). */
GST_START_TEST (test_ready_line_and_clean_exit)
{
  ArclyTestCam *cam = start_cam ("basic");
  const gchar *url = arcly_test_cam_get_url (cam);
  guint port = arcly_test_cam_get_port (cam);
  GError *error = NULL;
  gint status;

  fail_unless (g_str_has_prefix (url, "rtsp://127.0.0.1:"));
  fail_unless (strstr (url, PASS) == NULL);
  fail_unless (strstr (url, "@") == NULL);
  fail_unless (port > 0 && port < 65536);

  status = arcly_test_cam_stop (cam);
  fail_unless (WIFEXITED (status) && WEXITSTATUS (status) == 0,
      "SIGTERM exit status %d", status);

  fail_unless (arcly_test_cam_restart (cam, &error), "restart: %s",
      error ? error->message : "");
  fail_unless_equals_int (arcly_test_cam_get_port (cam), port);
  kill (arcly_test_cam_get_pid (cam), SIGINT);
  status = arcly_test_cam_wait (cam, 5000);
  fail_unless (WIFEXITED (status) && WEXITSTATUS (status) == 0,
      "SIGINT exit status %d", status);
  arcly_test_cam_free (cam);
}

GST_END_TEST;

static Suite *
testcam_suite (void)
{
  Suite *s = suite_create ("testcam");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_ready_line_and_clean_exit);
  tcase_add_test (tc, test_rtspsrc_no_auth);
  tcase_add_test (tc, test_rtspsrc_basic);
  tcase_add_test (tc, test_rtspsrc_digest);
  tcase_add_test (tc, test_wrong_password_refused);
  tcase_add_test (tc, test_ffprobe_reads_both_tracks);
  return s;
}

GST_CHECK_MAIN (testcam);
