/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * arclyhlssink's hlssink2-style signals (get-playlist-stream,
 * get-fragment-stream, delete-fragment): an application keeps every
 * segment, part, init segment and playlist in memory (GMemoryOutputStream).
 * The same encoded input goes (tee) to a second sink writing files: after
 * EOS the fragments the application still holds are exactly the files left
 * on disk, byte for byte, and so is the playlist — so delete-fragment came
 * for every fragment whose file was deleted, and nothing else.  The
 * memory sink's folder is never created, and its streams are never fsynced
 * (sync-mode is about files).  A handler returning NULL is a clear element
 * error.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>

/* What the application holds: location -> GMemoryOutputStream. */
typedef struct {
  GMutex lock;
  GHashTable *fragments;        /* gchar * -> GMemoryOutputStream */
  GHashTable *deleted;          /* gchar * -> itself */
  GMemoryOutputStream *playlist;        /* the newest */
  guint created, deletions, playlists;
  gboolean null_fragment, null_playlist;        /* handlers return NULL */
  gchar *fail;                  /* first inconsistency seen by a handler */
} Store;

static void
store_init (Store * st)
{
  memset (st, 0, sizeof (*st));
  g_mutex_init (&st->lock);
  st->fragments = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      g_object_unref);
  st->deleted = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

static void
store_clear (Store * st)
{
  g_hash_table_unref (st->fragments);
  g_hash_table_unref (st->deleted);
  g_clear_object (&st->playlist);
  g_free (st->fail);
  g_mutex_clear (&st->lock);
}

static void
store_fail (Store * st, gchar * what)
{
  if (st->fail == NULL)
    st->fail = what;
  else
    g_free (what);
}

static GOutputStream *
on_get_fragment_stream (GstElement * sink, const gchar * location,
    Store * st)
{
  GOutputStream *s;

  if (st->null_fragment)
    return NULL;
  s = g_memory_output_stream_new_resizable ();
  g_mutex_lock (&st->lock);
  if (g_hash_table_contains (st->fragments, location))
    store_fail (st, g_strdup_printf ("%s asked for twice", location));
  g_hash_table_insert (st->fragments, g_strdup (location), g_object_ref (s));
  st->created++;
  g_mutex_unlock (&st->lock);
  return s;
}

static GOutputStream *
on_get_playlist_stream (GstElement * sink, const gchar * location,
    Store * st)
{
  GOutputStream *s;

  if (st->null_playlist)
    return NULL;
  s = g_memory_output_stream_new_resizable ();
  g_mutex_lock (&st->lock);
  if (st->playlist != NULL
      && !g_output_stream_is_closed (G_OUTPUT_STREAM (st->playlist)))
    store_fail (st, g_strdup ("previous playlist stream not closed"));
  g_clear_object (&st->playlist);
  st->playlist = G_MEMORY_OUTPUT_STREAM (g_object_ref (s));
  st->playlists++;
  g_mutex_unlock (&st->lock);
  return s;
}

static void
on_delete_fragment (GstElement * sink, const gchar * location, Store * st)
{
  g_mutex_lock (&st->lock);
  if (!g_hash_table_remove (st->fragments, location))
    store_fail (st, g_strdup_printf ("delete-fragment for unknown %s",
            location));
  else
    g_hash_table_add (st->deleted, g_strdup (location));
  st->deletions++;
  g_mutex_unlock (&st->lock);
}

static void
connect_store (GstElement * hls, Store * st)
{
  g_signal_connect (hls, "get-fragment-stream",
      G_CALLBACK (on_get_fragment_stream), st);
  g_signal_connect (hls, "get-playlist-stream",
      G_CALLBACK (on_get_playlist_stream), st);
  g_signal_connect (hls, "delete-fragment", G_CALLBACK (on_delete_fragment),
      st);
}

/* 12 s of 320x240 video (1 s GOPs) and AAC, teed to the sinks "mem" and
 * "disk" with the same settings (@sink_opts) but their own folders. */
static gchar *
pipeline_desc (const gchar * memdir, const gchar * diskdir,
    const gchar * ext, const gchar * sink_opts)
{
  return g_strdup_printf ("videotestsrc num-buffers=360 ! "
      "video/x-raw,format=I420,width=320,height=240,framerate=30/1 ! "
      "x264enc key-int-max=30 option-string=scenecut=0 "
      "speed-preset=ultrafast tune=zerolatency ! h264parse ! tee name=vt "
      "audiotestsrc num-buffers=516 samplesperbuffer=1024 ! "
      "audio/x-raw,rate=44100,channels=1 ! voaacenc ! aacparse ! "
      "tee name=at "
      "vt. ! queue ! mem.video at. ! queue ! mem.audio "
      "vt. ! queue ! disk.video at. ! queue ! disk.audio "
      "arclyhlssink name=mem location=%s/seg%%05d.%s "
      "init-location=%s/init%%d.mp4 playlist-location=%s/playlist.m3u8 %s "
      "arclyhlssink name=disk location=%s/seg%%05d.%s "
      "init-location=%s/init%%d.mp4 playlist-location=%s/playlist.m3u8 %s",
      memdir, ext, memdir, memdir, sink_opts,
      diskdir, ext, diskdir, diskdir, sink_opts);
}

/* Runs @desc to EOS; returns the first error message (or NULL). */
static GstMessage *
run_to_eos (GstElement * pipe)
{
  GstBus *bus = gst_element_get_bus (pipe);
  GstMessage *msg, *err = NULL;

  fail_unless (gst_element_set_state (pipe, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_timed_pop_filtered (bus, 120 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "no EOS or error within 120 s");
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR)
    err = msg;
  else
    gst_message_unref (msg);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (bus);
  return err;
}

static guint64
get_fsyncs (GstElement * pipe, const gchar * name)
{
  GstElement *hls = gst_bin_get_by_name (GST_BIN (pipe), name);
  GstStructure *s = NULL;
  guint64 n = G_MAXUINT64;

  g_object_get (hls, "stats", &s, NULL);
  fail_unless (s != NULL && gst_structure_get_uint64 (s, "fsyncs", &n));
  gst_structure_free (s);
  gst_object_unref (hls);
  return n;
}

static void
remove_dir (const gchar * dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *name;

  while (d && (name = g_dir_read_name (d)) != NULL) {
    gchar *p = g_build_filename (dir, name, NULL);

    g_unlink (p);
    g_free (p);
  }
  if (d)
    g_dir_close (d);
  g_rmdir (dir);
}

static void
check_memory_equals_files (const gchar * ext, const gchar * sink_opts,
    gboolean parts)
{
  gchar *tmp = g_dir_make_tmp ("arcly-hlsmem-XXXXXX", NULL);
  gchar *memdir = g_build_filename (tmp, "mem", NULL);
  gchar *desc = pipeline_desc (memdir, tmp, ext, sink_opts);
  GstElement *pipe, *mem;
  GstMessage *err;
  GError *perr = NULL;
  GHashTableIter it;
  gpointer key, value;
  GDir *d;
  const gchar *name;
  guint n_files = 0, del_parts = 0, del_segs = 0;
  gchar *disk_pl, *mem_pl;
  gsize disk_len;
  Store st;

  fail_unless (tmp != NULL);
  store_init (&st);
  pipe = gst_parse_launch (desc, &perr);
  fail_unless (pipe != NULL && perr == NULL, "%s", desc);
  mem = gst_bin_get_by_name (GST_BIN (pipe), "mem");
  connect_store (mem, &st);
  err = run_to_eos (pipe);
  fail_unless (err == NULL, "error from %s", err ?
      GST_OBJECT_NAME (GST_MESSAGE_SRC (err)) : "");
  fail_unless (st.fail == NULL, "%s", st.fail);
  /* sync-mode (default segments) is about files: the application's
   * streams are never fsynced, the files are */
  fail_unless_equals_uint64 (get_fsyncs (pipe, "mem"), 0);
  fail_unless (get_fsyncs (pipe, "disk") > 0);

  /* nothing of the memory sink reached the disk */
  fail_if (g_file_test (memdir, G_FILE_TEST_EXISTS));

  /* the playlists are the same, and the memory one is complete */
  fail_unless (st.playlist != NULL);
  fail_unless (g_output_stream_is_closed (G_OUTPUT_STREAM (st.playlist)));
  disk_pl = g_build_filename (tmp, "playlist.m3u8", NULL);
  fail_unless (g_file_get_contents (disk_pl, &disk_pl, &disk_len, NULL));
  mem_pl = g_strndup (g_memory_output_stream_get_data (st.playlist),
      g_memory_output_stream_get_data_size (st.playlist));
  fail_unless_equals_string (mem_pl, disk_pl);
  fail_unless (strstr (mem_pl, "#EXT-X-ENDLIST") != NULL);

  /* every file left on disk is held in memory with the same bytes */
  d = g_dir_open (tmp, 0, NULL);
  fail_unless (d != NULL);
  while ((name = g_dir_read_name (d)) != NULL) {
    gchar *path, *mpath, *data;
    gsize len;
    GMemoryOutputStream *m;

    if (g_str_equal (name, "mem") || g_str_equal (name, "playlist.m3u8"))
      continue;
    path = g_build_filename (tmp, name, NULL);
    mpath = g_build_filename (memdir, name, NULL);
    m = g_hash_table_lookup (st.fragments, mpath);
    fail_unless (m != NULL, "%s on disk, not in memory", name);
    fail_unless (g_output_stream_is_closed (G_OUTPUT_STREAM (m)),
        "%s still open", name);
    fail_unless (g_file_get_contents (path, &data, &len, NULL));
    fail_unless_equals_uint64 (g_memory_output_stream_get_data_size (m), len);
    fail_unless (memcmp (g_memory_output_stream_get_data (m), data, len) == 0,
        "%s differs", name);
    n_files++;
    g_free (data);
    g_free (path);
    g_free (mpath);
  }
  g_dir_close (d);
  /* ... and memory holds nothing more: each fragment whose file was
   * deleted had its delete-fragment */
  fail_unless_equals_int (g_hash_table_size (st.fragments), n_files);

  g_hash_table_iter_init (&it, st.deleted);
  while (g_hash_table_iter_next (&it, &key, &value)) {
    gchar *base = g_path_get_basename (key);

    /* seg00003.m4s a segment, seg00003.2.m4s a part */
    if (strchr (base, '.') != strrchr (base, '.'))
      del_parts++;
    else
      del_segs++;
    fail_if (strstr (mem_pl, base) != NULL, "%s deleted but listed", base);
    g_free (base);
  }
  GST_INFO ("%s: %u fragments made, %u deleted (%u segments, %u parts), "
      "%u left, %u playlist updates", ext, st.created, st.deletions,
      del_segs, del_parts, n_files, st.playlists);
  fail_unless (del_segs >= 2, "%u segments deleted", del_segs);
  if (parts)
    fail_unless (del_parts >= 20, "%u parts deleted", del_parts);
  fail_unless_equals_int (st.deletions, del_segs + del_parts);

  g_free (mem_pl);
  g_free (disk_pl);
  gst_object_unref (mem);
  gst_object_unref (pipe);
  store_clear (&st);
  remove_dir (tmp);
  g_free (desc);
  g_free (memdir);
  g_free (tmp);
}

GST_START_TEST (test_memory_equals_files_fmp4_parts)
{
  check_memory_equals_files ("m4s", "segment-format=fmp4 target-duration=1 "
      "part-duration=200 playlist-length=3 max-files=3 "
      "program-date-time=false", TRUE);
}

GST_END_TEST;

GST_START_TEST (test_memory_equals_files_ts)
{
  check_memory_equals_files ("ts", "segment-format=mpegts target-duration=1 "
      "playlist-length=3 max-files=3 program-date-time=false", FALSE);
}

GST_END_TEST;

GST_START_TEST (test_memory_equals_files_ts_parts)
{
  check_memory_equals_files ("ts", "segment-format=mpegts target-duration=1 "
      "part-duration=300 playlist-length=3 max-files=3 "
      "program-date-time=false", TRUE);
}

GST_END_TEST;

/* A handler returning NULL: an OPEN_WRITE error from the sink naming what
 * it could not write, and no files. */
static void
check_null_stream (gboolean fragment)
{
  gchar *tmp = g_dir_make_tmp ("arcly-hlsmem-XXXXXX", NULL);
  gchar *desc = g_strdup_printf ("videotestsrc num-buffers=90 ! "
      "video/x-raw,format=I420,width=320,height=240,framerate=30/1 ! "
      "x264enc key-int-max=30 option-string=scenecut=0 "
      "speed-preset=ultrafast tune=zerolatency ! h264parse ! "
      "arclyhlssink name=mem location=%s/seg%%05d.m4s "
      "init-location=%s/init%%d.mp4 playlist-location=%s/playlist.m3u8 "
      "target-duration=1 part-duration=200", tmp, tmp, tmp);
  GstElement *pipe, *mem;
  GstMessage *msg;
  GError *err = NULL;
  gchar *dbg = NULL;
  GDir *d;
  Store st;

  store_init (&st);
  st.null_fragment = fragment;
  st.null_playlist = !fragment;
  pipe = gst_parse_launch (desc, NULL);
  fail_unless (pipe != NULL);
  mem = gst_bin_get_by_name (GST_BIN (pipe), "mem");
  connect_store (mem, &st);
  msg = run_to_eos (pipe);
  fail_unless (msg != NULL, "EOS without an error");
  fail_unless (GST_MESSAGE_SRC (msg) == GST_OBJECT (mem));
  gst_message_parse_error (msg, &err, &dbg);
  fail_unless (g_error_matches (err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_OPEN_WRITE), "%s", err->message);
  GST_INFO ("error: %s (%s)", err->message, dbg);
  fail_unless (strstr (err->message, fragment ?
          "Got no output stream for fragment" :
          "Got no output stream for playlist") != NULL, "%s", err->message);
  fail_unless (strstr (err->message, fragment ? "init0.mp4" :
          "playlist.m3u8") != NULL, "%s", err->message);
  /* the handler decides: no file instead */
  d = g_dir_open (tmp, 0, NULL);
  fail_unless (d != NULL);
  fail_unless (g_dir_read_name (d) == NULL, "a file was written");
  g_dir_close (d);

  g_error_free (err);
  g_free (dbg);
  gst_message_unref (msg);
  gst_object_unref (mem);
  gst_object_unref (pipe);
  store_clear (&st);
  remove_dir (tmp);
  g_free (desc);
  g_free (tmp);
}

GST_START_TEST (test_null_fragment_stream_is_error)
{
  check_null_stream (TRUE);
}

GST_END_TEST;

GST_START_TEST (test_null_playlist_stream_is_error)
{
  check_null_stream (FALSE);
}

GST_END_TEST;

static Suite *
hls_memory_suite (void)
{
  Suite *s = suite_create ("hls-memory");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 240);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_memory_equals_files_fmp4_parts);
  tcase_add_test (tc, test_memory_equals_files_ts);
  tcase_add_test (tc, test_memory_equals_files_ts_parts);
  tcase_add_test (tc, test_null_fragment_stream_is_error);
  tcase_add_test (tc, test_null_playlist_stream_is_error);
  return s;
}

GST_CHECK_MAIN (hls_memory);
