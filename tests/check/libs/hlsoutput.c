/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Unit tests of gst/arclyhls/hlsoutput.c: the HLS sink's output is either
 * a crash-safe file or an application's GOutputStream, behind one
 * interface.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>

#include "hlsoutput.h"

static void
append_pieces (ArclyHlsOutput * o)
{
  struct iovec iov[3] = { {(void *) "ab", 2}, {(void *) "", 0},
  {(void *) "cde", 3}
  };
  GError *err = NULL;

  fail_unless (arcly_hls_output_append (o, (const guint8 *) "01", 2, &err));
  fail_unless (arcly_hls_output_appendv (o, iov, 3, &err));
  fail_unless (arcly_hls_output_appendv (o, iov, 0, &err));
  fail_unless (err == NULL);
  fail_unless_equals_uint64 (arcly_hls_output_get_size (o), 7);
}

GST_START_TEST (test_stream_gets_bytes_and_is_closed)
{
  GOutputStream *m = g_memory_output_stream_new_resizable ();
  ArclyHlsOutput *o = arcly_hls_output_new_stream (g_object_ref (m),
      "/x/seg00001.m4s");
  gboolean synced = TRUE;
  GError *err = NULL;

  fail_if (arcly_hls_output_is_file (o));
  append_pieces (o);
  fail_if (g_output_stream_is_closed (m));
  /* sync asked for: a stream is never fsynced */
  fail_unless (arcly_hls_output_commit (o, TRUE, &synced, &err));
  fail_if (synced);
  fail_unless (g_output_stream_is_closed (m));
  fail_unless_equals_uint64 (g_memory_output_stream_get_data_size
      (G_MEMORY_OUTPUT_STREAM (m)), 7);
  fail_unless (memcmp (g_memory_output_stream_get_data
          (G_MEMORY_OUTPUT_STREAM (m)), "01abcde", 7) == 0);
  g_object_unref (m);
}

GST_END_TEST;

GST_START_TEST (test_stream_abort_closes)
{
  GOutputStream *m = g_memory_output_stream_new_resizable ();
  ArclyHlsOutput *o = arcly_hls_output_new_stream (g_object_ref (m), "p");

  append_pieces (o);
  arcly_hls_output_abort (o);
  fail_unless (g_output_stream_is_closed (m));
  arcly_hls_output_abort (NULL);
  g_object_unref (m);
}

GST_END_TEST;

/* A stream that fails (here: already closed) is an error naming the
 * location, like a file that cannot be written. */
GST_START_TEST (test_stream_error_names_location)
{
  GOutputStream *m = g_memory_output_stream_new_resizable ();
  ArclyHlsOutput *o = arcly_hls_output_new_stream (g_object_ref (m),
      "/srv/seg00007.ts");
  GError *err = NULL;

  g_output_stream_close (m, NULL, NULL);
  fail_if (arcly_hls_output_append (o, (const guint8 *) "x", 1, &err));
  fail_unless (err != NULL);
  fail_unless (g_str_has_prefix (err->message, "/srv/seg00007.ts: "), "%s",
      err->message);
  g_clear_error (&err);
  arcly_hls_output_abort (o);
  g_object_unref (m);
}

GST_END_TEST;

GST_START_TEST (test_file_written_whole)
{
  gchar *dir = g_dir_make_tmp ("arcly-hlsoutput-XXXXXX", NULL);
  gchar *path = g_build_filename (dir, "seg00001.ts", NULL);
  ArclyHlsOutput *o;
  GError *err = NULL;
  gboolean synced = FALSE;
  gchar *data;
  gsize len;

  o = arcly_hls_output_new_file (path, &err);
  fail_unless (o != NULL && arcly_hls_output_is_file (o));
  append_pieces (o);
  /* not there before the commit (a temporary file is) */
  fail_if (g_file_test (path, G_FILE_TEST_EXISTS));
  fail_unless (arcly_hls_output_commit (o, TRUE, &synced, &err));
  fail_unless (synced);
  fail_unless (g_file_get_contents (path, &data, &len, NULL));
  fail_unless_equals_uint64 (len, 7);
  fail_unless (memcmp (data, "01abcde", 7) == 0);
  g_free (data);

  o = arcly_hls_output_new_file (path, &err);
  append_pieces (o);
  fail_unless (arcly_hls_output_commit (o, FALSE, &synced, &err));
  fail_if (synced);

  /* an abort leaves the old file as it was */
  o = arcly_hls_output_new_file (path, &err);
  fail_unless (arcly_hls_output_append (o, (const guint8 *) "x", 1, &err));
  arcly_hls_output_abort (o);
  fail_unless (g_file_get_contents (path, &data, &len, NULL));
  fail_unless_equals_uint64 (len, 7);
  g_free (data);

  g_unlink (path);
  fail_unless (g_rmdir (dir) == 0, "a temporary file was left");
  g_free (path);
  g_free (dir);
}

GST_END_TEST;

/* part-byteranges: the segment is written under its own name; a flush
 * puts every byte appended so far in the file for readers; commit only
 * closes it (no temporary file, no rename), abort leaves what was there. */
GST_START_TEST (test_file_in_place)
{
  gchar *dir = g_dir_make_tmp ("arcly-hlsoutput-XXXXXX", NULL);
  gchar *path = g_build_filename (dir, "seg00001.m4s", NULL);
  ArclyHlsOutput *o;
  GError *err = NULL;
  gboolean synced = FALSE;
  gchar *data;
  gsize len;
  GDir *d;

  o = arcly_hls_output_new_file_in_place (path, &err);
  fail_unless (o != NULL && arcly_hls_output_is_file (o));
  fail_unless (g_file_test (path, G_FILE_TEST_IS_REGULAR));
  append_pieces (o);
  fail_unless (arcly_hls_output_flush (o, &err));
  fail_unless (g_file_get_contents (path, &data, &len, NULL));
  fail_unless_equals_uint64 (len, 7);
  fail_unless (memcmp (data, "01abcde", 7) == 0);
  g_free (data);
  /* nothing else in the folder: no temporary file */
  d = g_dir_open (dir, 0, NULL);
  fail_unless_equals_string (g_dir_read_name (d), "seg00001.m4s");
  fail_unless (g_dir_read_name (d) == NULL);
  g_dir_close (d);
  fail_unless (arcly_hls_output_append (o, (const guint8 *) "f", 1, &err));
  fail_unless (arcly_hls_output_commit (o, TRUE, &synced, &err));
  fail_unless (synced);
  fail_unless (g_file_get_contents (path, &data, &len, NULL));
  fail_unless_equals_uint64 (len, 8);
  g_free (data);

  /* abort: what was flushed stays (parts of it may be listed) */
  o = arcly_hls_output_new_file_in_place (path, &err);
  fail_unless (arcly_hls_output_append (o, (const guint8 *) "xy", 2, &err));
  fail_unless (arcly_hls_output_flush (o, &err));
  fail_unless (arcly_hls_output_append (o, (const guint8 *) "z", 1, &err));
  arcly_hls_output_abort (o);
  fail_unless (g_file_get_contents (path, &data, &len, NULL));
  fail_unless_equals_uint64 (len, 2);
  g_free (data);

  /* a stream is flushed */
  {
    GOutputStream *m = g_memory_output_stream_new_resizable ();

    o = arcly_hls_output_new_stream (g_object_ref (m), path);
    append_pieces (o);
    fail_unless (arcly_hls_output_flush (o, &err));
    arcly_hls_output_abort (o);
    g_object_unref (m);
  }

  g_unlink (path);
  fail_unless (g_rmdir (dir) == 0, "a temporary file was left");
  g_free (path);
  g_free (dir);
}

GST_END_TEST;

GST_START_TEST (test_file_missing_folder)
{
  GError *err = NULL;

  fail_unless (arcly_hls_output_new_file ("/nonexistent-arcly/seg1.ts",
          &err) == NULL);
  fail_unless (err != NULL && strstr (err->message, "/nonexistent-arcly")
      != NULL);
  g_clear_error (&err);
}

GST_END_TEST;

static Suite *
hlsoutput_suite (void)
{
  Suite *s = suite_create ("hlsoutput");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_stream_gets_bytes_and_is_closed);
  tcase_add_test (tc, test_stream_abort_closes);
  tcase_add_test (tc, test_stream_error_names_location);
  tcase_add_test (tc, test_file_written_whole);
  tcase_add_test (tc, test_file_in_place);
  tcase_add_test (tc, test_file_missing_folder);
  return s;
}

GST_CHECK_MAIN (hlsoutput);
