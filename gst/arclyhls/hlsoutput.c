/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One output of the HLS sink: a crash-safe file or an application's
 * GOutputStream (see hlsoutput.h).
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "hlsfile.h"
#include "hlsoutput.h"

struct _ArclyHlsOutput {
  ArclyHlsFileWriter *file;     /* exactly one of file, stream */
  GOutputStream *stream;
  gchar *path;                  /* stream: for error messages */
  guint64 size;                 /* stream: bytes written */
};

static ArclyHlsOutput *
output_for_file (ArclyHlsFileWriter * w)
{
  ArclyHlsOutput *o;

  if (w == NULL)
    return NULL;
  o = g_new0 (ArclyHlsOutput, 1);
  o->file = w;
  return o;
}

ArclyHlsOutput *
arcly_hls_output_new_file (const gchar * path, GError ** error)
{
  return output_for_file (arcly_hls_file_writer_open (path, error));
}

ArclyHlsOutput *
arcly_hls_output_new_file_in_place (const gchar * path, GError ** error)
{
  return output_for_file (arcly_hls_file_writer_open_in_place (path, error));
}

ArclyHlsOutput *
arcly_hls_output_new_stream (GOutputStream * stream, const gchar * path)
{
  ArclyHlsOutput *o = g_new0 (ArclyHlsOutput, 1);

  o->stream = stream;
  o->path = g_strdup (path);
  return o;
}

gboolean
arcly_hls_output_is_file (ArclyHlsOutput * o)
{
  return o->file != NULL;
}

/* A stream error names the location, like the file errors of hlsfile.c. */
static void
prefix_error (ArclyHlsOutput * o, GError ** error)
{
  g_prefix_error (error, "%s: ", o->path);
}

gboolean
arcly_hls_output_appendv (ArclyHlsOutput * o, const struct iovec * iov,
    guint n_iov, GError ** error)
{
  GOutputVector *vec;
  gsize written = 0;
  gboolean ok;
  guint i;

  if (o->file != NULL)
    return arcly_hls_file_writer_appendv (o->file, iov, n_iov, error);
  if (n_iov == 0)
    return TRUE;
  /* writev_all may modify the vectors it is given: a copy */
  vec = g_new (GOutputVector, n_iov);
  for (i = 0; i < n_iov; i++) {
    vec[i].buffer = iov[i].iov_base;
    vec[i].size = iov[i].iov_len;
  }
  ok = g_output_stream_writev_all (o->stream, vec, n_iov, &written, NULL,
      error);
  g_free (vec);
  o->size += written;
  if (!ok)
    prefix_error (o, error);
  return ok;
}

gboolean
arcly_hls_output_append (ArclyHlsOutput * o, const guint8 * data, gsize len,
    GError ** error)
{
  struct iovec iov = { (void *) data, len };

  return arcly_hls_output_appendv (o, &iov, 1, error);
}

gboolean
arcly_hls_output_flush (ArclyHlsOutput * o, GError ** error)
{
  gboolean ok;

  if (o->file != NULL)
    return arcly_hls_file_writer_flush (o->file, error);
  ok = g_output_stream_flush (o->stream, NULL, error);
  if (!ok)
    prefix_error (o, error);
  return ok;
}

guint64
arcly_hls_output_get_size (ArclyHlsOutput * o)
{
  if (o->file != NULL)
    return arcly_hls_file_writer_get_size (o->file);
  return o->size;
}

static void
output_free (ArclyHlsOutput * o)
{
  g_clear_object (&o->stream);
  g_free (o->path);
  g_free (o);
}

gboolean
arcly_hls_output_commit (ArclyHlsOutput * o, gboolean sync, gboolean * synced,
    GError ** error)
{
  gboolean ok;

  if (synced != NULL)
    *synced = FALSE;
  if (o->file != NULL) {
    arcly_hls_file_writer_set_sync (o->file, sync);
    ok = arcly_hls_file_writer_commit (o->file, error);
    if (synced != NULL)
      *synced = ok && sync;
  } else {
    /* the application's stream: its own business whether it reaches a
     * disk, so no fsync (sync-mode is about the sink's files) */
    ok = g_output_stream_close (o->stream, NULL, error);
    if (!ok)
      prefix_error (o, error);
  }
  output_free (o);
  return ok;
}

void
arcly_hls_output_abort (ArclyHlsOutput * o)
{
  if (o == NULL)
    return;
  if (o->file != NULL)
    arcly_hls_file_writer_abort (o->file);
  else
    g_output_stream_close (o->stream, NULL, NULL);
  output_free (o);
}
