/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Crash-safe file writing: temporary file in the same folder (rename(2) is
 * only atomic within one file system), fsync(2) before rename (unless the
 * caller turns it off) so that after a power cut the new name never points
 * at missing data.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "hlsfile.h"

/* Appends are gathered up to this many bytes per write(2): an HLS segment
 * arrives as one small buffer per access unit. */
#define WRITE_BUFFER_SIZE (128 * 1024)

/* A gathered append of at least this many bytes goes to writev(2) directly
 * from the caller's memory instead of through the buffer. */
#define DIRECT_WRITE_MIN (16 * 1024)

struct _ArclyHlsFileWriter {
  gchar *path;
  gchar *tmp_path;              /* NULL: written in place */
  gint fd;
  gboolean sync;                /* fsync before the rename */
  guint64 size;
  guint8 *buf;
  gsize buf_len;
};

/* Whether a file created with mode 0644 already has it: the process umask
 * clears none of those bits (the usual 022 or 002).  mkstemp applies the
 * umask, and web servers may run as another user, so otherwise commit
 * fchmods each file to 0644; with a harmless umask that call (one per
 * part and per playlist rewrite, ~10/s per LL-HLS stream) is skipped.
 * The umask is read once, from /proc/self/status (Linux 4.7+): unknown
 * means fchmod always.  An application that narrows its umask after the
 * first file was written gets files with its new umask applied. */
static gboolean
umask_keeps_0644 (void)
{
  static gsize once = 0;
  static gboolean keeps = FALSE;

  if (g_once_init_enter (&once)) {
    gchar *status = NULL;
    const gchar *line;

    if (g_file_get_contents ("/proc/self/status", &status, NULL, NULL)
        && (line = strstr (status, "\nUmask:")) != NULL) {
      guint64 mask = g_ascii_strtoull (line + 7, NULL, 8);

      keeps = (mask & 0644) == 0;
    }
    g_free (status);
    g_once_init_leave (&once, 1);
  }
  return keeps;
}

static void
set_errno_error (GError ** error, gint err, const gchar * path)
{
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (err), "%s: %s",
      path, g_strerror (err));
}

/* @w with its file @fd open (errno when < 0: @w is freed, NULL) */
static ArclyHlsFileWriter *
writer_start (ArclyHlsFileWriter * w, gint fd, GError ** error)
{
  if (fd < 0) {
    gint err = errno;

    set_errno_error (error, err, w->path);
    g_free (w->tmp_path);
    g_free (w->path);
    g_free (w);
    return NULL;
  }
  w->fd = fd;
  w->buf = g_malloc (WRITE_BUFFER_SIZE);
  w->sync = TRUE;
  return w;
}

ArclyHlsFileWriter *
arcly_hls_file_writer_open (const gchar * path, GError ** error)
{
  ArclyHlsFileWriter *w;
  gchar *dir, *base;

  g_return_val_if_fail (path != NULL, NULL);

  w = g_new0 (ArclyHlsFileWriter, 1);
  w->path = g_strdup (path);
  dir = g_path_get_dirname (path);
  base = g_path_get_basename (path);
  /* A dot name: directory listings and globbing web servers skip it. */
  w->tmp_path = g_strdup_printf ("%s/.%s.tmp-XXXXXX", dir, base);
  g_free (dir);
  g_free (base);

  return writer_start (w, g_mkstemp_full (w->tmp_path, O_WRONLY | O_CLOEXEC,
          0644), error);
}

/* A file written under its own name from the start (an LL-HLS segment
 * whose parts are byte ranges of it, read while it grows): no temporary
 * file, no rename; commit fsyncs (if asked) and closes, abort only closes
 * (what was written may be listed already). */
ArclyHlsFileWriter *
arcly_hls_file_writer_open_in_place (const gchar * path, GError ** error)
{
  ArclyHlsFileWriter *w;

  g_return_val_if_fail (path != NULL, NULL);
  w = g_new0 (ArclyHlsFileWriter, 1);
  w->path = g_strdup (path);
  return writer_start (w, g_open (path, O_WRONLY | O_CREAT | O_TRUNC |
          O_CLOEXEC, 0644), error);
}

static gboolean
write_all (ArclyHlsFileWriter * w, const guint8 * data, gsize len,
    GError ** error)
{
  while (len > 0) {
    gssize n = write (w->fd, data, len);

    if (n < 0) {
      gint err = errno;

      if (err == EINTR)
        continue;
      set_errno_error (error, err, w->path);
      return FALSE;
    }
    if (n == 0) {
      set_errno_error (error, ENOSPC, w->path);
      return FALSE;
    }
    data += n;
    len -= (gsize) n;
  }
  return TRUE;
}

static gboolean
flush_buffer (ArclyHlsFileWriter * w, GError ** error)
{
  gboolean ok = write_all (w, w->buf, w->buf_len, error);

  w->buf_len = 0;
  return ok;
}

gboolean
arcly_hls_file_writer_append (ArclyHlsFileWriter * w, const guint8 * data,
    gsize len, GError ** error)
{
  w->size += len;
  if (w->buf_len + len <= WRITE_BUFFER_SIZE) {
    memcpy (w->buf + w->buf_len, data, len);
    w->buf_len += len;
    return TRUE;
  }
  if (!flush_buffer (w, error))
    return FALSE;
  if (len >= WRITE_BUFFER_SIZE)
    return write_all (w, data, len, error);
  memcpy (w->buf, data, len);
  w->buf_len = len;
  return TRUE;
}

/* writev(2) until everything is written; @iov is consumed (modified). */
static gboolean
writev_all (ArclyHlsFileWriter * w, struct iovec *iov, guint n,
    GError ** error)
{
  while (n > 0 && iov->iov_len == 0) {
    iov++;
    n--;
  }
  while (n > 0) {
    gssize r = writev (w->fd, iov, (gint) MIN (n, IOV_MAX));

    if (r < 0) {
      gint err = errno;

      if (err == EINTR)
        continue;
      set_errno_error (error, err, w->path);
      return FALSE;
    }
    if (r == 0) {
      set_errno_error (error, ENOSPC, w->path);
      return FALSE;
    }
    while (n > 0 && (gsize) r >= iov->iov_len) {
      r -= (gssize) iov->iov_len;
      iov++;
      n--;
    }
    if (n > 0) {
      iov->iov_base = (guint8 *) iov->iov_base + r;
      iov->iov_len -= (gsize) r;
    }
  }
  return TRUE;
}

gboolean
arcly_hls_file_writer_appendv (ArclyHlsFileWriter * w,
    const struct iovec * iov, guint n_iov, GError ** error)
{
  struct iovec *v;
  gsize total = 0;
  guint i, n = 0;
  gboolean ok;

  for (i = 0; i < n_iov; i++)
    total += iov[i].iov_len;
  if (total < DIRECT_WRITE_MIN && w->buf_len + total <= WRITE_BUFFER_SIZE) {
    for (i = 0; i < n_iov; i++) {
      memcpy (w->buf + w->buf_len, iov[i].iov_base, iov[i].iov_len);
      w->buf_len += iov[i].iov_len;
    }
    w->size += total;
    return TRUE;
  }
  /* the buffered bytes first, then the pieces, in one system call */
  v = g_new (struct iovec, n_iov + 1);
  if (w->buf_len > 0) {
    v[n].iov_base = w->buf;
    v[n++].iov_len = w->buf_len;
  }
  for (i = 0; i < n_iov; i++)
    v[n++] = iov[i];
  w->buf_len = 0;
  w->size += total;
  ok = writev_all (w, v, n, error);
  g_free (v);
  return ok;
}

gboolean
arcly_hls_file_writer_flush (ArclyHlsFileWriter * w, GError ** error)
{
  return w->buf_len == 0 || flush_buffer (w, error);
}

void
arcly_hls_file_writer_set_sync (ArclyHlsFileWriter * w, gboolean sync)
{
  w->sync = sync;
}

guint64
arcly_hls_file_writer_get_size (ArclyHlsFileWriter * w)
{
  return w->size;
}

static void
writer_free (ArclyHlsFileWriter * w)
{
  g_free (w->buf);
  g_free (w->tmp_path);
  g_free (w->path);
  g_free (w);
}

gboolean
arcly_hls_file_writer_commit (ArclyHlsFileWriter * w, GError ** error)
{
  gint err = 0;
  GError *werr = NULL;

  if (!flush_buffer (w, &werr)) {
    g_propagate_error (error, werr);
    arcly_hls_file_writer_abort (w);
    return FALSE;
  }
  /* web servers may run as another user: see umask_keeps_0644() */
  if (!umask_keeps_0644 () && fchmod (w->fd, 0644) < 0)
    err = errno;
  if (err == 0 && w->sync && fsync (w->fd) < 0 && errno != EINVAL)
    err = errno;
  if (close (w->fd) < 0 && err == 0)
    err = errno;
  w->fd = -1;
  if (err == 0 && w->tmp_path && rename (w->tmp_path, w->path) < 0)
    err = errno;
  if (err != 0) {
    set_errno_error (error, err, w->path);
    if (w->tmp_path)
      (void) g_unlink (w->tmp_path);
    writer_free (w);
    return FALSE;
  }
  writer_free (w);
  return TRUE;
}

void
arcly_hls_file_writer_abort (ArclyHlsFileWriter * w)
{
  if (w == NULL)
    return;
  if (w->fd >= 0)
    close (w->fd);
  /* in place, the file stays: parts of it may be listed (bytes still
   * buffered were not) */
  if (w->tmp_path)
    (void) g_unlink (w->tmp_path);
  writer_free (w);
}

gboolean
arcly_hls_file_write_atomic (const gchar * path, const guint8 * data,
    gsize len, GError ** error)
{
  return arcly_hls_file_write_atomic_sync (path, data, len, TRUE, error);
}

gboolean
arcly_hls_file_write_atomic_sync (const gchar * path, const guint8 * data,
    gsize len, gboolean sync, GError ** error)
{
  ArclyHlsFileWriter *w = arcly_hls_file_writer_open (path, error);

  if (w == NULL)
    return FALSE;
  w->sync = sync;
  w->size = len;
  if (!write_all (w, data, len, error)) {
    arcly_hls_file_writer_abort (w);
    return FALSE;
  }
  return arcly_hls_file_writer_commit (w, error);
}
