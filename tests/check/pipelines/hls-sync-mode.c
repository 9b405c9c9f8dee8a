/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * arclyhlssink `sync-mode`: which files are fsynced.  This program defines
 * fsync(2) itself (linked with --export-dynamic, so the plugin's calls reach
 * it first), counts each call by the file it flushes (the writer's temporary
 * ".NAME.tmp-XXXXXX" next to NAME) and then calls the C library's.  An LL-HLS
 * run (fMP4, 1 s segments, 500 ms parts, an event playlist) in each mode:
 * none fsyncs nothing, segments (the default) the segments, the init
 * segment and the final playlist only, all every file; the sink's `stats`
 * counts the same.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <dlfcn.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>


enum
{
  KIND_SEGMENT,
  KIND_PART,
  KIND_INIT,
  KIND_PLAYLIST,
  KIND_OTHER,
  N_KINDS
};

static gint counts[N_KINDS];
static gchar *tmpdir;

/* "seg00001.m4s" segment, "seg00001.2.m4s" part, "init0.mp4",
 * "index.m3u8"; anything else (not ours) is other. */
static gint
classify (const gchar * path)
{
  gchar *base = g_path_get_basename (path);
  const gchar *name = base[0] == '.' ? base + 1 : base;
  gchar *tmp = strstr (name, ".tmp-");
  gint kind = KIND_OTHER;

  if (tmp != NULL)
    *tmp = '\0';
  if (tmpdir == NULL || !g_str_has_prefix (path, tmpdir))
    kind = KIND_OTHER;
  else if (g_str_has_suffix (name, ".m3u8"))
    kind = KIND_PLAYLIST;
  else if (g_str_has_prefix (name, "init"))
    kind = KIND_INIT;
  else if (g_str_has_prefix (name, "seg"))
    kind = strchr (name, '.') != strrchr (name, '.') ? KIND_PART :
        KIND_SEGMENT;
  g_free (base);
  return kind;
}

int
fsync (int fd)
{
  static int (*real_fsync) (int) = NULL;
  gchar link[64], target[PATH_MAX];
  ssize_t n;

  if (real_fsync == NULL)
    real_fsync = (int (*)(int)) dlsym (RTLD_NEXT, "fsync");
  g_snprintf (link, sizeof (link), "/proc/self/fd/%d", fd);
  n = readlink (link, target, sizeof (target) - 1);
  if (n > 0) {
    target[n] = '\0';
    g_atomic_int_inc (&counts[classify (target)]);
  }
  return real_fsync (fd);
}

static void
setup_dir (void)
{
  tmpdir = g_dir_make_tmp ("arcly-sync-XXXXXX", NULL);
  fail_unless (tmpdir != NULL);
  memset (counts, 0, sizeof (counts));
}

static void
cleanup_dir (void)
{
  GDir *d = g_dir_open (tmpdir, 0, NULL);
  const gchar *name;

  while (d && (name = g_dir_read_name (d)) != NULL) {
    gchar *p = g_build_filename (tmpdir, name, NULL);

    g_unlink (p);
    g_free (p);
  }
  if (d)
    g_dir_close (d);
  g_rmdir (tmpdir);
  g_clear_pointer (&tmpdir, g_free);
}

typedef struct
{
  guint segments, parts;
  guint64 playlists, fsyncs;
} Run;

/* 3 s of video into LL-HLS with @mode (NULL: the default). */
static void
run (const gchar * mode, Run * r)
{
  gchar *desc = g_strdup_printf ("videotestsrc num-buffers=90 ! "
      "video/x-raw,format=I420,width=320,height=240,framerate=30/1 ! "
      "x264enc key-int-max=30 bframes=0 option-string=scenecut=0 "
      "speed-preset=ultrafast ! h264parse ! "
      "arclyhlssink name=hls target-duration=1 part-duration=500 "
      "playlist-type=event location=%s/seg%%05d.m4s "
      "init-location=%s/init%%d.mp4 playlist-location=%s/index.m3u8 %s%s",
      tmpdir, tmpdir, tmpdir, mode ? "sync-mode=" : "", mode ? mode : "");
  GError *err = NULL;
  GstElement *pipe = gst_parse_launch (desc, &err), *hls;
  GstBus *bus;
  GstStructure *s = NULL;
  gboolean done = FALSE;

  fail_unless (pipe != NULL && err == NULL, "%s", desc);
  hls = gst_bin_get_by_name (GST_BIN (pipe), "hls");
  bus = gst_element_get_bus (pipe);
  memset (r, 0, sizeof (*r));
  fail_unless (gst_element_set_state (pipe, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  while (!done) {
    GstMessage *msg = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND,
        GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_ELEMENT);
    const GstStructure *ms;

    fail_unless (msg != NULL, "no EOS within 60 s");
    fail_if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR, "pipeline error");
    done = GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS;
    ms = gst_message_get_structure (msg);
    if (ms && gst_structure_has_name (ms, "arcly-hls-segment"))
      r->segments++;
    else if (ms && gst_structure_has_name (ms, "arcly-hls-part"))
      r->parts++;
    gst_message_unref (msg);
  }
  g_object_get (hls, "stats", &s, NULL);
  fail_unless (s != NULL);
  fail_unless (gst_structure_get_uint64 (s, "playlists-written",
          &r->playlists));
  fail_unless (gst_structure_get_uint64 (s, "fsyncs", &r->fsyncs));
  GST_INFO ("mode %s: %d segment, %d part, %d init, %d playlist fsyncs; %"
      GST_PTR_FORMAT, GST_STR_NULL (mode), counts[KIND_SEGMENT],
      counts[KIND_PART], counts[KIND_INIT], counts[KIND_PLAYLIST], s);
  gst_structure_free (s);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (hls);
  gst_object_unref (pipe);
  g_free (desc);

  fail_unless_equals_int (r->segments, 3);
  fail_unless (r->parts >= 6, "%u parts", r->parts);
  /* the stats count what really happened */
  fail_unless_equals_uint64 (r->fsyncs, (guint64) (counts[KIND_SEGMENT] +
          counts[KIND_PART] + counts[KIND_INIT] + counts[KIND_PLAYLIST]));
}

GST_START_TEST (test_sync_none)
{
  Run r;

  run ("none", &r);
  fail_unless_equals_int (counts[KIND_SEGMENT], 0);
  fail_unless_equals_int (counts[KIND_PART], 0);
  fail_unless_equals_int (counts[KIND_INIT], 0);
  fail_unless_equals_int (counts[KIND_PLAYLIST], 0);
}

GST_END_TEST;

static void
check_segments_mode (const Run * r)
{
  fail_unless_equals_int (counts[KIND_SEGMENT], r->segments);
  fail_unless_equals_int (counts[KIND_INIT], 1);
  fail_unless_equals_int (counts[KIND_PART], 0);
  /* of the many playlist rewrites, only the one that ends the stream */
  fail_unless (r->playlists > 10, "%" G_GUINT64_FORMAT, r->playlists);
  fail_unless_equals_int (counts[KIND_PLAYLIST], 1);
}

GST_START_TEST (test_sync_default_is_segments)
{
  GstElement *hls = gst_element_factory_make ("arclyhlssink", NULL);
  gchar *nick = NULL;
  GParamSpec *ps;
  GValue v = G_VALUE_INIT;
  Run r;

  ps = g_object_class_find_property (G_OBJECT_GET_CLASS (hls), "sync-mode");
  fail_unless (ps != NULL);
  g_value_init (&v, ps->value_type);
  g_object_get_property (G_OBJECT (hls), "sync-mode", &v);
  nick = g_strdup (g_enum_get_value (g_type_class_peek (ps->value_type),
          g_value_get_enum (&v))->value_nick);
  fail_unless_equals_string (nick, "segments");
  g_value_unset (&v);
  g_free (nick);
  gst_object_unref (hls);

  run (NULL, &r);
  check_segments_mode (&r);
}

GST_END_TEST;

GST_START_TEST (test_sync_segments)
{
  Run r;

  run ("segments", &r);
  check_segments_mode (&r);
}

GST_END_TEST;

GST_START_TEST (test_sync_all)
{
  Run r;

  run ("all", &r);
  fail_unless_equals_int (counts[KIND_SEGMENT], r.segments);
  fail_unless_equals_int (counts[KIND_PART], r.parts);
  fail_unless_equals_int (counts[KIND_INIT], 1);
  fail_unless_equals_int (counts[KIND_PLAYLIST], r.playlists);
}

GST_END_TEST;

static Suite *
hls_sync_mode_suite (void)
{
  Suite *s = suite_create ("hls-sync-mode");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 120);
  tcase_add_checked_fixture (tc, setup_dir, cleanup_dir);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_sync_none);
  tcase_add_test (tc, test_sync_default_is_segments);
  tcase_add_test (tc, test_sync_segments);
  tcase_add_test (tc, test_sync_all);
  return s;
}

GST_CHECK_MAIN (hls_sync_mode);
