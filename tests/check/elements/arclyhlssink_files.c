/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * arclyhlssink and its files: the temporaries a SIGKILL leaves are
 * removed at the next start (its own only); every URI in the playlist
 * resolves, relative to the playlist's folder, to the file written, in
 * three layouts (and the init segment defaults into the segments' folder);
 * and the bin's locking (handlers that read a property while the sink
 * adds and configures its muxer).
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>

#include "arclyhls-playlist-check.h"

/* 160x120 I420, a 1 s GOP without scene cuts */
#define VIDEO_SRC(n, live) \
  "videotestsrc num-buffers=" n " is-live=" live " ! " \
  "video/x-raw,format=I420,width=160,height=120,framerate=30/1 ! " \
  "x264enc key-int-max=30 option-string=scenecut=0 speed-preset=ultrafast " \
  "tune=zerolatency ! h264parse ! "

static void
remove_dir (const gchar * dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *name;

  if (d == NULL)
    return;
  while ((name = g_dir_read_name (d)) != NULL) {
    gchar *p = g_build_filename (dir, name, NULL);

    if (g_file_test (p, G_FILE_TEST_IS_DIR))
      remove_dir (p);
    else
      g_unlink (p);
    g_free (p);
  }
  g_dir_close (d);
  g_rmdir (dir);
}

static void
touch (const gchar * dir, const gchar * name)
{
  gchar *p = g_build_filename (dir, name, NULL);

  fail_unless (g_file_set_contents (p, "x", 1, NULL));
  g_free (p);
}

static gboolean
exists (const gchar * dir, const gchar * name)
{
  gchar *p = g_build_filename (dir, name, NULL);
  gboolean e = g_file_test (p, G_FILE_TEST_EXISTS);

  g_free (p);
  return e;
}

/* Temporary files (".NAME.tmp-XXXXXX") in @dir. */
static guint
count_temporaries (const gchar * dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *name;
  guint n = 0;

  fail_unless (d != NULL);
  while ((name = g_dir_read_name (d)) != NULL)
    if (name[0] == '.' && strstr (name, ".tmp-") != NULL)
      n++;
  g_dir_close (d);
  return n;
}

static void
run_to_eos (const gchar * desc)
{
  GstElement *p = gst_parse_launch (desc, NULL);
  GstBus *bus;
  GstMessage *msg;

  fail_unless (p != NULL, "%s", desc);
  bus = gst_element_get_bus (p);
  fail_if (gst_element_set_state (p, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS,
      "no EOS: %s", desc);
  gst_message_unref (msg);
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (p);
}

/* ---- 4. stale temporaries ------------------------------------------------ */

/* The sink removes the temporaries of its own files (segments, parts, init
 * segments, playlist) at start, and nothing else. */
GST_START_TEST (test_stale_temporaries_removed)
{
  gchar *dir = g_dir_make_tmp ("arclyhls-stale-XXXXXX", NULL);
  const gchar *stale[] = { ".segment00003.m4s.tmp-AbC123",
    ".segment00003.2.m4s.tmp-xYz789", ".index.m3u8.tmp-QWE123",
    ".init0.mp4.tmp-123456", ".init12.mp4.tmp-a1b2c3", NULL
  };
  const gchar *kept[] = { ".other.m4s.tmp-123456", "notes.txt",
    ".segment00003.m4s.tmp-AbC12", ".playlist.m3u8.tmp-QWE123",
    ".segment00003.ts.tmp-AbC123", "segment00003.m4s.tmp-AbC123", NULL
  };
  gchar *desc;
  guint i;

  for (i = 0; stale[i] != NULL; i++)
    touch (dir, stale[i]);
  for (i = 0; kept[i] != NULL; i++)
    touch (dir, kept[i]);
  desc = g_strdup_printf ("%s arclyhlssink playlist-type=vod "
      "target-duration=1 location=%s/segment%%05d.m4s "
      "init-location=%s/init%%d.mp4 playlist-location=%s/index.m3u8",
      VIDEO_SRC ("30", "false"), dir, dir, dir);
  run_to_eos (desc);
  for (i = 0; stale[i] != NULL; i++)
    fail_if (exists (dir, stale[i]), "%s left", stale[i]);
  for (i = 0; kept[i] != NULL; i++)
    fail_unless (exists (dir, kept[i]), "%s removed", kept[i]);
  g_free (desc);
  remove_dir (dir);
  g_free (dir);
}

GST_END_TEST;

/* Waits (bounded) until @playlist lists a segment. */
static gboolean
wait_segment (const gchar * playlist)
{
  guint waited;

  for (waited = 0; waited < 20000; waited += 50) {
    gchar *text = NULL;
    gboolean ok;

    g_file_get_contents (playlist, &text, NULL, NULL);
    ok = text != NULL && strstr (text, "#EXTINF") != NULL;
    g_free (text);
    if (ok)
      return TRUE;
    g_usleep (50 * 1000);
  }
  return FALSE;
}

/* SIGKILL a gst-launch-1.0 writing LL-HLS three times in the same folder:
 * each kill leaves the temporaries of the files it had open, the next
 * start removes them, and a run to EOS leaves none. */
GST_START_TEST (test_sigkill_temporaries_removed)
{
  gchar *dir = g_dir_make_tmp ("arclyhls-kill-XXXXXX", NULL);
  gchar *playlist = g_build_filename (dir, "playlist.m3u8", NULL);
  gchar *sink = g_strdup_printf ("arclyhlssink target-duration=1 "
      "part-duration=200 location=%s/segment%%05d.m4s "
      "init-location=%s/init%%d.mp4 playlist-location=%s", dir, dir,
      playlist);
  gchar *cmd = g_strdup_printf ("gst-launch-1.0 -q %s %s",
      VIDEO_SRC ("-1", "true"), sink);
  gchar *desc = g_strdup_printf ("%s %s", VIDEO_SRC ("60", "false"), sink);
  gchar **argv = NULL;
  GError *err = NULL;
  guint kill_n, left;

  fail_unless (g_shell_parse_argv (cmd, NULL, &argv, &err));
  for (kill_n = 0; kill_n < 3; kill_n++) {
    GPid pid;
    gint status;
    gboolean ok;

    g_unlink (playlist);
    fail_unless (g_spawn_async (NULL, argv, NULL, G_SPAWN_SEARCH_PATH |
            G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL, NULL,
            NULL, &pid, &err), "cannot start gst-launch-1.0: %s",
        err ? err->message : "?");
    ok = wait_segment (playlist);
    kill (pid, SIGKILL);
    fail_unless (waitpid (pid, &status, 0) == pid);
    g_spawn_close_pid (pid);
    fail_unless (ok, "no segment within 20 s");
    left = count_temporaries (dir);
    /* the open segment at least; never the temporaries of earlier kills */
    g_print ("kill %u: %u temporaries left\n", kill_n + 1, left);
    fail_unless (left >= 1 && left <= 2, "%u temporaries after kill %u",
        left, kill_n + 1);
  }
  run_to_eos (desc);
  fail_unless_equals_int (count_temporaries (dir), 0);
  g_strfreev (argv);
  g_free (cmd);
  g_free (desc);
  g_free (sink);
  g_free (playlist);
  remove_dir (dir);
  g_free (dir);
}

GST_END_TEST;

/* ---- 5. every URI resolves to the file written ------------------------ */

/* @uri of @pl_dir's playlist, on disk. */
static gboolean
resolves (const gchar * pl_dir, const gchar * uri)
{
  gchar *unescaped = g_uri_unescape_string (uri, NULL);
  gchar *dir = g_canonicalize_filename (pl_dir, NULL);
  gchar *path = g_canonicalize_filename (unescaped, dir);
  gboolean ok = g_file_test (path, G_FILE_TEST_IS_REGULAR);

  g_free (path);
  g_free (dir);
  g_free (unescaped);
  return ok;
}

/* Writes an LL-HLS event playlist (so it lists segments, parts and the
 * init segment) with @props, and checks that every URI in it resolves,
 * relative to the playlist's folder, to a file on disk; @expect_seg: the
 * first segment's URI. */
static void
check_layout (const gchar * format, const gchar * playlist,
    const gchar * props, const gchar * expect_seg, const gchar * expect_map)
{
  gchar *desc = g_strdup_printf ("%s arclyhlssink segment-format=%s "
      "playlist-type=event target-duration=1 part-duration=250 "
      "playlist-location=%s %s", VIDEO_SRC ("60", "false"), format,
      playlist, props);
  gchar *text = NULL, *err = NULL, *pl_dir = g_path_get_dirname (playlist);
  HlsCheckPlaylist *pl;
  guint i;

  run_to_eos (desc);
  fail_unless (g_file_get_contents (playlist, &text, NULL, NULL));
  pl = hls_check_parse (text, &err);
  fail_unless (pl != NULL, "%s: %s", err, text);
  fail_unless (pl->segments->len >= 2 && pl->parts->len >= 2, "%s", text);
  fail_unless_equals_string (((HlsCheckSegment *)
          g_ptr_array_index (pl->segments, 0))->uri, expect_seg);
  for (i = 0; i < pl->segments->len; i++) {
    HlsCheckSegment *sg = g_ptr_array_index (pl->segments, i);

    fail_unless (resolves (pl_dir, sg->uri), "%s does not resolve from %s",
        sg->uri, pl_dir);
    fail_unless_equals_string (sg->map_uri, expect_map);
    if (sg->map_uri != NULL)
      fail_unless (resolves (pl_dir, sg->map_uri), "%s does not resolve "
          "from %s", sg->map_uri, pl_dir);
  }
  for (i = 0; i < pl->parts->len; i++) {
    HlsCheckPart *pt = g_ptr_array_index (pl->parts, i);

    fail_unless (resolves (pl_dir, pt->uri), "%s does not resolve from %s",
        pt->uri, pl_dir);
  }
  hls_check_playlist_free (pl);
  g_free (text);
  g_free (pl_dir);
  g_free (desc);
}

/* Segments in a subfolder, init-location not set: the init segment goes
 * next to the segments (not into the working directory). */
GST_START_TEST (test_layout_segments_below)
{
  gchar *dir = g_dir_make_tmp ("arclyhls-layout-XXXXXX", NULL);
  gchar *seg = g_build_filename (dir, "media", NULL);
  gchar *playlist = g_build_filename (dir, "index.m3u8", NULL);
  gchar *props = g_strdup_printf ("location=%s/segment%%05d.m4s", seg);
  gboolean cwd_init = g_file_test ("init0.mp4", G_FILE_TEST_EXISTS);

  fail_unless (g_mkdir (seg, 0755) == 0);
  check_layout ("fmp4", playlist, props, "media/segment00000.m4s",
      "media/init0.mp4");
  fail_unless (exists (seg, "init0.mp4"));
  fail_unless (cwd_init || !g_file_test ("init0.mp4", G_FILE_TEST_EXISTS),
      "init0.mp4 written into the working directory");
  g_free (props);
  g_free (playlist);
  g_free (seg);
  remove_dir (dir);
  g_free (dir);
}

GST_END_TEST;

/* Playlist, segments and init segments in three sibling folders. */
GST_START_TEST (test_layout_siblings)
{
  gchar *dir = g_dir_make_tmp ("arclyhls-layout-XXXXXX", NULL);
  gchar *pl_dir = g_build_filename (dir, "lists", NULL);
  gchar *seg = g_build_filename (dir, "segments", NULL);
  gchar *init = g_build_filename (dir, "init", NULL);
  gchar *playlist = g_build_filename (pl_dir, "cam.m3u8", NULL);
  gchar *props = g_strdup_printf ("location=%s/s%%d.m4s "
      "init-location=%s/cam-init%%d.mp4", seg, init);

  fail_unless (g_mkdir (pl_dir, 0755) == 0 && g_mkdir (seg, 0755) == 0
      && g_mkdir (init, 0755) == 0);
  check_layout ("fmp4", playlist, props, "../segments/s0.m4s",
      "../init/cam-init0.mp4");
  g_free (props);
  g_free (playlist);
  g_free (init);
  g_free (seg);
  g_free (pl_dir);
  remove_dir (dir);
  g_free (dir);
}

GST_END_TEST;

/* Relative locations (from the working directory), TS, the playlist one
 * folder deeper than the segments. */
GST_START_TEST (test_layout_relative)
{
  gchar *dir = g_dir_make_tmp ("arclyhls-layout-XXXXXX", NULL);
  gchar *cwd = g_get_current_dir ();

  fail_unless (g_chdir (dir) == 0);
  fail_unless (g_mkdir ("ts", 0755) == 0 && g_mkdir ("ts/lists", 0755) == 0);
  check_layout ("mpegts", "ts/lists/playlist.m3u8",
      "location=ts/seg%05d.ts", "../seg00000.ts", NULL);
  fail_unless (g_chdir (cwd) == 0);
  g_free (cwd);
  remove_dir (dir);
  g_free (dir);
}

GST_END_TEST;

/* ---- 5. locking ---------------------------------------------------------- */

typedef struct {
  GstElement *hls;
  guint reads;
  gint done;
} Reader;

/* Reads a property of the sink, as an application's handler may. */
static void
read_property (Reader * r)
{
  guint td = 0;

  g_object_get (r->hls, "target-duration", &td, NULL);
  fail_unless_equals_int (td, 1);
  g_atomic_int_inc (&r->reads);
}

static void
on_deep_element_added (GstBin * bin, GstBin * sub, GstElement * e,
    gpointer user_data)
{
  read_property (user_data);
}

static GstBusSyncReply
on_message (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_LATENCY)
    read_property (user_data);
  return GST_BUS_PASS;
}

static gpointer
request_and_start (gpointer data)
{
  Reader *r = data;
  GstElement *pipe = GST_ELEMENT (gst_object_get_parent (GST_OBJECT
          (r->hls)));
  GstPad *pad = gst_element_request_pad_simple (r->hls, "video");

  fail_unless (pad != NULL);
  gst_object_unref (pad);
  gst_element_set_state (pipe, GST_STATE_PAUSED);
  gst_object_unref (pipe);
  g_atomic_int_set (&r->done, 1);
  return NULL;
}

/* A deep-element-added handler and a synchronous LATENCY message handler
 * that read a property of the sink while it adds and configures its
 * muxer: no deadlock (the muxer is added, linked and configured outside
 * the sink's lock).  The work runs in a thread, bounded in time. */
GST_START_TEST (test_no_deadlock_in_handlers)
{
  GstElement *pipe = gst_pipeline_new (NULL);
  GstBus *bus = gst_element_get_bus (pipe);
  Reader r = { 0, };
  GThread *t;
  gint64 deadline;
  gchar *dir = g_dir_make_tmp ("arclyhls-lock-XXXXXX", NULL);
  gchar *loc = g_strdup_printf ("%s/s%%d.m4s", dir);
  gchar *pl = g_build_filename (dir, "p.m3u8", NULL);

  r.hls = gst_element_factory_make ("arclyhlssink", NULL);
  g_object_set (r.hls, "target-duration", 1, "part-duration", 200,
      "location", loc, "playlist-location", pl, NULL);
  gst_bin_add (GST_BIN (pipe), r.hls);
  g_signal_connect (pipe, "deep-element-added",
      G_CALLBACK (on_deep_element_added), &r);
  gst_bus_set_sync_handler (bus, on_message, &r, NULL);
  t = g_thread_new ("request", request_and_start, &r);
  /* the thread finishes unless it deadlocked */
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (!g_atomic_int_get (&r.done) && g_get_monotonic_time () < deadline)
    g_usleep (10 * 1000);
  fail_unless (g_get_monotonic_time () < deadline, "deadlock: the sink "
      "holds its lock while adding or configuring its muxer (%u reads)",
      r.reads);
  g_thread_join (t);
  fail_unless (r.reads >= 1);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_bus_set_sync_handler (bus, NULL, NULL, NULL);
  gst_object_unref (bus);
  gst_object_unref (pipe);
  g_free (loc);
  g_free (pl);
  remove_dir (dir);
  g_free (dir);
}

GST_END_TEST;

static Suite *
arclyhlssink_files_suite (void)
{
  Suite *s = suite_create ("arclyhlssink_files");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_stale_temporaries_removed);
  tcase_add_test (tc, test_sigkill_temporaries_removed);
  tcase_add_test (tc, test_layout_segments_below);
  tcase_add_test (tc, test_layout_siblings);
  tcase_add_test (tc, test_layout_relative);
  tcase_add_test (tc, test_no_deadlock_in_handlers);
  return s;
}

GST_CHECK_MAIN (arclyhlssink_files);
