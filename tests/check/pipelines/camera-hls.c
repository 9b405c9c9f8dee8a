/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The test camera (tools/arcly-testcam, H.264 + AAC over RTSP/TCP) through
 * arclyrtspsrc + arclyh264depay + arclyaacdepay into arclyhlssink, as TS
 * and as fMP4 with LL-HLS parts: the playlist obeys the rules (independent
 * checker), has parts, and every listed segment decodes with
 * `ffmpeg -v error`.  Built only when both plugins are.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>

#include "arcly-testcam-helper.h"
#include "arclyhls-playlist-check.h"
#include "arcly-ffprobe-check.h"

#define RUN_SECONDS 5

static void
remove_dir (const gchar * dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *name;

  if (d == NULL)
    return;
  while ((name = g_dir_read_name (d)) != NULL) {
    gchar *p = g_build_filename (dir, name, NULL);
    g_unlink (p);
    g_free (p);
  }
  g_dir_close (d);
  g_rmdir (dir);
}

/* Every segment decodes on its own (fMP4: with its init segment); one
 * ffmpeg process, one input per segment. */
static void
check_segments (const gchar * dir, HlsCheckPlaylist * pl)
{
  GPtrArray *argv = g_ptr_array_new_with_free_func (g_free);
  GPtrArray *tmps = g_ptr_array_new_with_free_func (g_free);
  gchar *out = NULL, *errout = NULL;
  gint status = -1;
  guint i;

  g_ptr_array_add (argv, g_strdup ("ffmpeg"));
  g_ptr_array_add (argv, g_strdup ("-nostdin"));
  g_ptr_array_add (argv, g_strdup ("-v"));
  g_ptr_array_add (argv, g_strdup ("error"));
  for (i = 0; i < pl->segments->len; i++) {
    HlsCheckSegment *s = g_ptr_array_index (pl->segments, i);
    gchar *path = g_build_filename (dir, s->uri, NULL);

    fail_unless (g_file_test (path, G_FILE_TEST_IS_REGULAR), "%s missing",
        path);
    if (s->map_uri != NULL) {
      gchar *init = g_build_filename (dir, s->map_uri, NULL);
      gchar *a = NULL, *b = NULL, *tmp = NULL;
      gsize la, lb;
      GString *cat;
      gint fd = g_file_open_tmp ("arclyhls-cam-XXXXXX.mp4", &tmp, NULL);

      fail_unless (fd >= 0);
      close (fd);
      fail_unless (g_file_get_contents (init, &a, &la, NULL));
      fail_unless (g_file_get_contents (path, &b, &lb, NULL));
      cat = g_string_new_len (a, la);
      g_string_append_len (cat, b, lb);
      fail_unless (g_file_set_contents (tmp, cat->str, cat->len, NULL));
      g_string_free (cat, TRUE);
      g_free (a);
      g_free (b);
      g_free (init);
      g_free (path);
      path = g_strdup (tmp);
      g_ptr_array_add (tmps, tmp);
    }
    g_ptr_array_add (argv, g_strdup ("-i"));
    g_ptr_array_add (argv, path);
  }
  for (i = 0; i < pl->segments->len; i++) {
    const gchar *in = g_ptr_array_index (argv, 5 + 2 * i);

    g_ptr_array_add (argv, g_strdup ("-map"));
    if (arcly_check_has_empty_stream (in)) {
      /* ffmpeg cannot set up a decoder for a stream it never saw a packet
       * of: only the last segment, cut short by EOS, may be that short */
      fail_unless (i + 1 == pl->segments->len, "%s: a stream without data",
          in);
      g_ptr_array_add (argv, g_strdup_printf ("%u:v", i));
    } else {
      g_ptr_array_add (argv, g_strdup_printf ("%u", i));
    }
  }
  /* decode at the demuxer's time base: with its default (1/frame rate)
   * ffmpeg's own output step rounds the live, slightly jittered PTS and
   * reports two frames landing on one tick as a muxing error */
  g_ptr_array_add (argv, g_strdup ("-enc_time_base:v"));
  g_ptr_array_add (argv, g_strdup ("-1"));
  g_ptr_array_add (argv, g_strdup ("-f"));
  g_ptr_array_add (argv, g_strdup ("null"));
  g_ptr_array_add (argv, g_strdup ("-"));
  g_ptr_array_add (argv, NULL);
  fail_unless (g_spawn_sync (NULL, (gchar **) argv->pdata, NULL,
          G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &errout, &status, NULL),
      "cannot run ffmpeg");
  /* on failure the files stay for a post-mortem */
  fail_unless (g_spawn_check_wait_status (status, NULL) && *errout == '\0',
      "ffmpeg could not decode the segments in %s: %s", dir, errout);
  for (i = 0; i < tmps->len; i++)
    g_unlink (g_ptr_array_index (tmps, i));
  g_ptr_array_unref (tmps);
  g_ptr_array_unref (argv);
  g_free (out);
  g_free (errout);
}

static void
camera_to_hls (const gchar * format)
{
  static const gchar *cam_args[] = { "--gop", "30", NULL };
  ArclyTestCam *cam;
  GError *err = NULL;
  gchar *dir = g_dir_make_tmp ("arclyhls-cam-XXXXXX", NULL);
  gchar *desc, *playlist, *text = NULL, *perr = NULL;
  GstElement *p;
  GstBus *bus;
  GstMessage *msg;
  HlsCheckPlaylist *pl;
  gint64 deadline;
  gboolean eos_sent = FALSE;

  cam = arcly_test_cam_start (cam_args, &err);
  fail_unless (cam != NULL, "test camera: %s", err ? err->message : "?");
  playlist = g_build_filename (dir, "playlist.m3u8", NULL);
  desc = g_strdup_printf ("arclyrtspsrc location=%s name=s "
      "s.video_0 ! queue ! arclyh264depay ! h264parse ! hls.video "
      "s.audio_0 ! queue ! arclyaacdepay ! aacparse ! hls.audio "
      "arclyhlssink name=hls segment-format=%s target-duration=1 "
      "part-duration=300 location=%s/segment%%05d.%s "
      "init-location=%s/init%%d.mp4 playlist-location=%s",
      arcly_test_cam_get_url (cam), format, dir,
      g_str_equal (format, "mpegts") ? "ts" : "m4s", dir, playlist);
  p = gst_parse_launch (desc, &err);
  fail_unless (p != NULL, "%s: %s", desc, err ? err->message : "?");
  bus = gst_element_get_bus (p);
  fail_if (gst_element_set_state (p, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);

  deadline = g_get_monotonic_time () + (RUN_SECONDS + 20) * G_USEC_PER_SEC;
  for (;;) {
    msg = gst_bus_timed_pop_filtered (bus, 100 * GST_MSECOND,
        GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
    if (msg != NULL)
      break;
    if (!eos_sent && g_get_monotonic_time () > deadline -
        20 * G_USEC_PER_SEC) {
      gst_element_send_event (p, gst_event_new_eos ());
      eos_sent = TRUE;
    }
    fail_unless (g_get_monotonic_time () < deadline, "no EOS");
  }
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    GError *e = NULL;
    gst_message_parse_error (msg, &e, NULL);
    fail ("pipeline error: %s", e->message);
  }
  gst_message_unref (msg);
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (p);
  arcly_test_cam_free (cam);

  fail_unless (g_file_get_contents (playlist, &text, NULL, NULL));
  pl = hls_check_parse (text, &perr);
  fail_unless (pl != NULL, "playlist rejected: %s\n%s", perr, text);
  fail_unless (pl->endlist);
  fail_unless (pl->segments->len >= 2, "%u segments\n%s", pl->segments->len,
      text);
  fail_unless (pl->parts->len > 0, "no parts\n%s", text);
  check_segments (dir, pl);
  hls_check_playlist_free (pl);
  g_free (text);
  g_free (desc);
  g_free (playlist);
  remove_dir (dir);
  g_free (dir);
}

GST_START_TEST (test_camera_to_hls_fmp4)
{
  camera_to_hls ("fmp4");
}

GST_END_TEST;

GST_START_TEST (test_camera_to_hls_ts)
{
  camera_to_hls ("mpegts");
}

GST_END_TEST;

static Suite *
camera_hls_suite (void)
{
  Suite *s = suite_create ("camera-hls");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 90);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_camera_to_hls_fmp4);
  tcase_add_test (tc, test_camera_to_hls_ts);
  return s;
}

GST_CHECK_MAIN (camera_hls);
