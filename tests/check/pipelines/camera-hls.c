/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The test camera (tools/arcly-testcam, H.264 + AAC over RTSP/TCP) through
 * arclyrtspsrc + arclyh264depay + arclyaacdepay into arclyhlssink, as TS
 * and as fMP4 with LL-HLS parts: the playlist obeys the rules (independent
 * checker), has parts, and every listed segment decodes with
 * `ffmpeg -v error`.  And a camera that drops for 3 s and comes back: the
 * playlist's PART-TARGET, PART-HOLD-BACK and TARGETDURATION never change,
 * no part exceeds PART-TARGET, the segment after the gap starts with
 * EXT-X-DISCONTINUITY.  Built only when both plugins are.
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

/* ---- a camera that drops --------------------------------------------- */

typedef struct {
  gchar *playlist;
  GMutex lock;
  gchar *fail;
  gint part_target_ms, hold_back_ms, target_duration;   /* -1: none yet */
  guint n_parts, n_disc_segments, n_playlists;
  GstClockTime max_part;
} DropRun;

static void
drop_fail (DropRun * run, gchar * msg)
{
  if (run->fail == NULL)
    run->fail = msg;
  else
    g_free (msg);
}

/* Every playlist written (at each part and segment message) is valid and
 * keeps its three constants. */
static GstBusSyncReply
drop_sync_handler (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  DropRun *run = user_data;
  const GstStructure *s;
  gchar *text = NULL, *err = NULL;
  HlsCheckPlaylist *pl;

  if (GST_MESSAGE_TYPE (msg) != GST_MESSAGE_ELEMENT)
    return GST_BUS_PASS;
  s = gst_message_get_structure (msg);
  if (!gst_structure_has_name (s, "arcly-hls-part")
      && !gst_structure_has_name (s, "arcly-hls-segment"))
    return GST_BUS_PASS;

  g_mutex_lock (&run->lock);
  if (gst_structure_has_name (s, "arcly-hls-part")) {
    guint64 dur = 0;

    gst_structure_get_uint64 (s, "duration", &dur);
    run->n_parts++;
    run->max_part = MAX (run->max_part, dur);
  } else {
    gboolean disc = FALSE;

    gst_structure_get_boolean (s, "discontinuity", &disc);
    if (disc)
      run->n_disc_segments++;
  }
  g_file_get_contents (run->playlist, &text, NULL, NULL);
  pl = text ? hls_check_parse (text, &err) : NULL;
  if (pl == NULL) {
    drop_fail (run, g_strdup_printf ("playlist rejected: %s\n%s", err,
            text));
  } else {
    gint pt = (gint) (pl->part_target * 1000 + 0.5);
    gint hb = (gint) (pl->part_hold_back * 1000 + 0.5);

    run->n_playlists++;
    if (run->target_duration < 0) {
      run->part_target_ms = pt;
      run->hold_back_ms = hb;
      run->target_duration = pl->target_duration;
    } else if (pt != run->part_target_ms || hb != run->hold_back_ms
        || pl->target_duration != run->target_duration) {
      drop_fail (run, g_strdup_printf ("PART-TARGET / PART-HOLD-BACK / "
              "TARGETDURATION changed from %d ms / %d ms / %d s:\n%s",
              run->part_target_ms, run->hold_back_ms, run->target_duration,
              text));
    }
  }
  g_mutex_unlock (&run->lock);
  hls_check_playlist_free (pl);
  g_free (err);
  g_free (text);
  return GST_BUS_PASS;
}

/* Pops bus messages until @cond holds for @run, at most @timeout_s; an
 * error message fails the test. */
static gboolean
drop_wait (GstBus * bus, DropRun * run, gboolean (*cond) (DropRun *,
        gpointer), gpointer data, guint timeout_s)
{
  gint64 deadline = g_get_monotonic_time () + timeout_s * G_USEC_PER_SEC;

  while (g_get_monotonic_time () < deadline) {
    GstMessage *msg = gst_bus_timed_pop (bus, 50 * GST_MSECOND);
    gboolean done;

    if (msg != NULL && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
      GError *e = NULL;

      gst_message_parse_error (msg, &e, NULL);
      fail ("pipeline error: %s", e->message);
    }
    if (msg != NULL)
      gst_message_unref (msg);
    g_mutex_lock (&run->lock);
    done = cond (run, data);
    g_mutex_unlock (&run->lock);
    if (done)
      return TRUE;
  }
  return FALSE;
}

static gboolean
cond_parts (DropRun * run, gpointer data)
{
  return run->n_parts >= GPOINTER_TO_UINT (data);
}

static gboolean
cond_disc_segments (DropRun * run, gpointer data)
{
  return run->n_disc_segments >= GPOINTER_TO_UINT (data);
}

static gboolean
cond_until (DropRun * run, gpointer data)
{
  return g_get_monotonic_time () >= *(gint64 *) data;
}

static void
camera_drop (const gchar * format)
{
  static const gchar *cam_args[] = { "--gop", "30", "--no-audio", NULL };
  ArclyTestCam *cam;
  GError *err = NULL;
  gchar *dir = g_dir_make_tmp ("arclyhls-drop-XXXXXX", NULL);
  gchar *desc, *text = NULL, *perr = NULL;
  DropRun run = { 0, };
  GstElement *p;
  GstBus *bus;
  GstMessage *msg;
  HlsCheckPlaylist *pl;
  gint64 back_at;
  guint parts_before;

  g_mutex_init (&run.lock);
  run.part_target_ms = run.hold_back_ms = run.target_duration = -1;
  run.playlist = g_build_filename (dir, "playlist.m3u8", NULL);
  cam = arcly_test_cam_start (cam_args, &err);
  fail_unless (cam != NULL, "test camera: %s", err ? err->message : "?");
  desc = g_strdup_printf ("arclyrtspsrc location=%s retry-backoff=200 "
      "retry-backoff-max=500 timeout=2000 ! arclyh264depay ! h264parse ! "
      "arclyhlssink segment-format=%s target-duration=2 part-duration=300 "
      "playlist-type=event location=%s/segment%%05d.%s "
      "init-location=%s/init%%d.mp4 playlist-location=%s",
      arcly_test_cam_get_url (cam), format, dir,
      g_str_equal (format, "mpegts") ? "ts" : "m4s", dir, run.playlist);
  p = gst_parse_launch (desc, &err);
  fail_unless (p != NULL, "%s: %s", desc, err ? err->message : "?");
  bus = gst_element_get_bus (p);
  gst_bus_set_sync_handler (bus, drop_sync_handler, &run, NULL);
  fail_if (gst_element_set_state (p, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);

  /* 300 ms parts: a live camera's timestamps jitter by a millisecond or
   * two, so 200 ms parts at 30 fps would sometimes hold 5 frames (83 %,
   * under the 85 % of 8216bis 4.4.4.9).  3 s of parts, then the camera
   * goes away for 3 s and comes back. */
  fail_unless (drop_wait (bus, &run, cond_parts, GUINT_TO_POINTER (10), 20),
      "no parts from the camera");
  fail_unless (arcly_test_cam_stop (cam) >= 0);
  g_mutex_lock (&run.lock);
  parts_before = run.n_parts;
  g_mutex_unlock (&run.lock);
  back_at = g_get_monotonic_time () + 3 * G_USEC_PER_SEC;
  drop_wait (bus, &run, cond_until, &back_at, 4);
  fail_unless (arcly_test_cam_restart (cam, &err), "restart: %s",
      err ? err->message : "?");
  fail_unless (drop_wait (bus, &run, cond_disc_segments, GUINT_TO_POINTER
          (1), 20), "no discontinuity segment after the camera came back");
  fail_unless (drop_wait (bus, &run, cond_parts,
          GUINT_TO_POINTER (parts_before + 14), 20),
      "no parts after the camera came back");

  gst_element_send_event (p, gst_event_new_eos ());
  msg = gst_bus_timed_pop_filtered (bus, 20 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS,
      "no EOS");
  gst_message_unref (msg);
  gst_element_set_state (p, GST_STATE_NULL);
  gst_bus_set_sync_handler (bus, NULL, NULL, NULL);
  gst_object_unref (bus);
  gst_object_unref (p);
  arcly_test_cam_free (cam);

  fail_unless (run.fail == NULL, "%s", run.fail);
  g_print ("camera drop %s: %u playlists, longest part %" GST_TIME_FORMAT
      "\n", format, run.n_playlists, GST_TIME_ARGS (run.max_part));
  fail_unless_equals_int (run.part_target_ms, 300);
  fail_unless_equals_int (run.hold_back_ms, 900);
  fail_unless_equals_int (run.target_duration, 2);
  /* within the target as written (milliseconds) */
  fail_unless (run.max_part < 300 * GST_MSECOND + GST_MSECOND / 2);
  fail_unless (g_file_get_contents (run.playlist, &text, NULL, NULL));
  pl = hls_check_parse (text, &perr);
  fail_unless (pl != NULL, "playlist rejected: %s\n%s", perr, text);
  fail_unless (pl->n_discontinuities >= 1, "no discontinuity:\n%s", text);
  check_segments (dir, pl);
  hls_check_playlist_free (pl);
  g_free (text);
  g_free (desc);
  g_free (run.playlist);
  g_mutex_clear (&run.lock);
  remove_dir (dir);
  g_free (dir);
}

GST_START_TEST (test_camera_drop_fmp4)
{
  camera_drop ("fmp4");
}

GST_END_TEST;

GST_START_TEST (test_camera_drop_ts)
{
  camera_drop ("mpegts");
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
  tcase_add_test (tc, test_camera_drop_fmp4);
  tcase_add_test (tc, test_camera_drop_ts);
  return s;
}

GST_CHECK_MAIN (camera_hls);
