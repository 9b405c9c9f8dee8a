/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * arclyhlssink and its files: the temporaries a SIGKILL leaves are
 * removed at the next start (its own only), and the bin's locking (a
 * handler that reads a property while the sink adds its muxer).
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

static Suite *
arclyhlssink_files_suite (void)
{
  Suite *s = suite_create ("arclyhlssink_files");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_stale_temporaries_removed);
  tcase_add_test (tc, test_sigkill_temporaries_removed);
  return s;
}

GST_CHECK_MAIN (arclyhlssink_files);
