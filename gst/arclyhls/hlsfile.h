/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Crash-safe file writing for the HLS sink: data goes to a temporary file in
 * the destination's own folder, is fsync'ed, and is renamed over the
 * destination, so a reader (an HTTP server, a player) only ever sees the old
 * complete file or the new complete file.  Errors name the path and the OS
 * error.  No GStreamer element code.
 */

#ifndef __ARCLY_HLS_FILE_H__
#define __ARCLY_HLS_FILE_H__

#include <sys/uio.h>

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _ArclyHlsFileWriter ArclyHlsFileWriter;

/* Create the temporary file next to @path.  GError in the G_IO_ERROR
 * domain (code from errno), message "PATH: OS error". */
ArclyHlsFileWriter *arcly_hls_file_writer_open (const gchar * path,
    GError ** error);

ArclyHlsFileWriter *arcly_hls_file_writer_open_in_place (const gchar * path,
    GError ** error);

/* Writes what is buffered, so that readers of the file see every byte
 * appended so far. */
gboolean arcly_hls_file_writer_flush (ArclyHlsFileWriter * w,
    GError ** error);

gboolean arcly_hls_file_writer_append (ArclyHlsFileWriter * w,
    const guint8 * data, gsize len, GError ** error);

/* Appends the @n_iov pieces in order, without copying them when they are
 * large (one gathered write(2)); small appends are buffered as with
 * arcly_hls_file_writer_append().  @iov is not modified. */
gboolean arcly_hls_file_writer_appendv (ArclyHlsFileWriter * w,
    const struct iovec * iov, guint n_iov, GError ** error);

/* Bytes appended so far. */
guint64 arcly_hls_file_writer_get_size (ArclyHlsFileWriter * w);

/* Whether commit fsyncs the file before the rename (default TRUE).  The
 * rename alone makes the file whole for readers, even if the process is
 * killed; the fsync makes it survive a power loss, at the cost of waiting
 * for the disk. */
void arcly_hls_file_writer_set_sync (ArclyHlsFileWriter * w, gboolean sync);

/* fsync (unless turned off), close, rename over the destination; frees @w
 * in any case (on error the temporary file is removed and the destination
 * is untouched). */
gboolean arcly_hls_file_writer_commit (ArclyHlsFileWriter * w,
    GError ** error);

/* Remove the temporary file (written in place: close the file) and free
 * @w. */
void arcly_hls_file_writer_abort (ArclyHlsFileWriter * w);

/* One-shot: open + append + commit. */
gboolean arcly_hls_file_write_atomic (const gchar * path, const guint8 * data,
    gsize len, GError ** error);

/* The same, fsynced only when @sync. */
gboolean arcly_hls_file_write_atomic_sync (const gchar * path,
    const guint8 * data, gsize len, gboolean sync, GError ** error);

G_END_DECLS

#endif /* __ARCLY_HLS_FILE_H__ */
