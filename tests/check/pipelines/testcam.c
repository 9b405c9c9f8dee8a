/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The test camera is a real RTSP peer: GStreamer's rtspsrc (TCP) and ffprobe
 * read both of its tracks, with no auth, Basic and Digest; wrong credentials
 * are refused; it prints READY without credentials and exits 0 on SIGTERM.
 * With --codec h265 it serves H.265 Main (x265enc, I420) with a fixed GOP.
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

/* --codec h265: H.265 Main (I420 forced) that ffprobe reads. */
GST_START_TEST (test_h265_ffprobe)
{
  const gchar *args[] = { "--codec", "h265", "--gop", "10", NULL };
  GError *error = NULL;
  ArclyTestCam *cam = arcly_test_cam_start (args, &error);
  const gchar *argv[] = { "timeout", "30", "ffprobe", "-v", "error",
    "-rtsp_transport", "tcp", "-show_entries",
    "stream=codec_name,codec_type,profile,pix_fmt,width,height",
    "-of", "compact", NULL, NULL
  };
  gchar *out = NULL, *errout = NULL;
  gint status = 0;

  fail_unless (cam != NULL, "test camera did not start: %s",
      error ? error->message : "?");
  argv[11] = arcly_test_cam_get_url (cam);
  fail_unless (g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_SEARCH_PATH,
          NULL, NULL, &out, &errout, &status, &error),
      "cannot run ffprobe (install ffmpeg): %s", error ? error->message : "");
  fail_unless (g_spawn_check_wait_status (status, NULL), "ffprobe: %s",
      errout);
  fail_unless (strstr (out, "codec_name=hevc|profile=Main|codec_type=video|"
          "width=640|height=360|pix_fmt=yuv420p") != NULL,
      "ffprobe output: %s", out);
  fail_unless (strstr (out, "codec_name=aac|profile=LC|codec_type=audio") !=
      NULL, "ffprobe output: %s", out);
  g_free (out);
  g_free (errout);
  arcly_test_cam_free (cam);
}

GST_END_TEST;

/* --codec h265 keeps the GOP at --gop (scene cut off): after the first
 * keyframes (the server may force one when the client joins) keyframes
 * come every --gop frames exactly. */
GST_START_TEST (test_h265_fixed_gop)
{
  const gchar *args[] = { "--codec", "h265", "--gop", "8", "--no-audio",
    NULL
  };
  GError *error = NULL;
  ArclyTestCam *cam = arcly_test_cam_start (args, &error);
  GstElement *pipe, *sink;
  gchar *desc;
  GArray *keys = g_array_new (FALSE, FALSE, sizeof (guint));
  guint i, n = 0, exact = 0;

  fail_unless (cam != NULL, "test camera did not start: %s",
      error ? error->message : "?");
  desc = g_strdup_printf ("rtspsrc location=%s protocols=tcp latency=0 ! "
      "rtph265depay ! video/x-h265,alignment=au ! "
      "appsink name=sink sync=false", arcly_test_cam_get_url (cam));
  pipe = gst_parse_launch (desc, &error);
  fail_unless (pipe != NULL, "%s", error ? error->message : "");
  g_free (desc);
  sink = gst_bin_get_by_name (GST_BIN (pipe), "sink");
  fail_unless (gst_element_set_state (pipe, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  while (n < 48) {
    GstSample *sample = NULL;

    g_signal_emit_by_name (sink, "try-pull-sample", 20 * GST_SECOND,
        &sample);
    fail_unless (sample != NULL, "no access unit after %u", n);
    if (!GST_BUFFER_FLAG_IS_SET (gst_sample_get_buffer (sample),
            GST_BUFFER_FLAG_DELTA_UNIT))
      g_array_append_val (keys, n);
    gst_sample_unref (sample);
    n++;
  }
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (pipe);

  fail_unless (keys->len >= 4, "%u keyframes in 48 frames", keys->len);
  fail_unless_equals_int (g_array_index (keys, guint, 0), 0);
  for (i = 2; i < keys->len; i++) {
    guint gap = g_array_index (keys, guint, i) -
        g_array_index (keys, guint, i - 1);

    fail_unless_equals_int (gap, 8);
    exact++;
  }
  fail_unless (exact >= 3);
  g_array_unref (keys);
  arcly_test_cam_free (cam);
}

GST_END_TEST;

/* An unknown codec is a usage error; h264 stays the default (the tests
 * above read H264 caps without --codec). */
GST_START_TEST (test_codec_option_checked)
{
  const gchar *argv[] = { arcly_test_cam_binary (), "--codec", "vp8", NULL };
  gchar *errout = NULL;
  gint status = 0;

  fail_unless (g_spawn_sync (NULL, (gchar **) argv, NULL, 0, NULL, NULL,
          NULL, &errout, &status, NULL));
  fail_unless (WIFEXITED (status) && WEXITSTATUS (status) == 2);
  fail_unless (strstr (errout, "--codec must be h264 or h265") != NULL);
  g_free (errout);
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
  tcase_add_test (tc, test_h265_ffprobe);
  tcase_add_test (tc, test_h265_fixed_gop);
  tcase_add_test (tc, test_codec_option_checked);
  return s;
}

GST_CHECK_MAIN (testcam);
