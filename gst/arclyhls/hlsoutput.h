/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Where the HLS sink writes one file's bytes: by default a crash-safe file
 * (hlsfile.h: temporary file + rename, fsync on request), or a GOutputStream
 * that an application handed over (the get-fragment-stream and
 * get-playlist-stream signals) to keep the bytes itself, e.g. in memory.
 * No GStreamer element code.
 */

#ifndef __ARCLY_HLS_OUTPUT_H__
#define __ARCLY_HLS_OUTPUT_H__

#include <sys/uio.h>

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _ArclyHlsOutput ArclyHlsOutput;

/* The file @path, written whole or not at all (hlsfile.h). */
ArclyHlsOutput *arcly_hls_output_new_file (const gchar * path,
    GError ** error);

/* The file @path written in place (readers see it grow; see
 * arcly_hls_file_writer_open_in_place()). */
ArclyHlsOutput *arcly_hls_output_new_file_in_place (const gchar * path,
    GError ** error);

/* Hands what was appended so far on (a file: written; a stream:
 * flushed), for readers of the growing object. */
gboolean arcly_hls_output_flush (ArclyHlsOutput * o, GError ** error);

/* The application's @stream (takes the reference); @path only names it in
 * errors. */
ArclyHlsOutput *arcly_hls_output_new_stream (GOutputStream * stream,
    const gchar * path);

gboolean arcly_hls_output_is_file (ArclyHlsOutput * o);

/* Appends the @n_iov pieces in order (one gathered write where it can). */
gboolean arcly_hls_output_appendv (ArclyHlsOutput * o,
    const struct iovec * iov, guint n_iov, GError ** error);

gboolean arcly_hls_output_append (ArclyHlsOutput * o, const guint8 * data,
    gsize len, GError ** error);

/* Bytes appended so far. */
guint64 arcly_hls_output_get_size (ArclyHlsOutput * o);

/* Completes the file and frees @o in any case: a file is fsynced when
 * @sync, then renamed into place; a stream is flushed and closed.  Returns
 * in @synced whether an fsync happened (may be NULL). */
gboolean arcly_hls_output_commit (ArclyHlsOutput * o, gboolean sync,
    gboolean * synced, GError ** error);

/* Gives up: a file's temporary file is removed, a stream is closed (the
 * application decides what to do with what it got).  NULL is ignored. */
void arcly_hls_output_abort (ArclyHlsOutput * o);

G_END_DECLS

#endif /* __ARCLY_HLS_OUTPUT_H__ */
