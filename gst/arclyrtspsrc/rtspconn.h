/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The TCP connection of arclyrtspsrc: connect, send, and read into an input
 * buffer the wire parser consumes from; for rtsps:// the same over a TLS
 * client connection (rtsptls.c).  Every blocking call takes a
 * GCancellable, so a stopping element can cut it short.  Used by the
 * element's worker thread only; no locking.
 *
 * A read costs two system calls, poll() and recv(): the poll fds of the
 * two cancellables are made once and kept (GLib's own waits make an
 * eventfd per call and close it after), and recv() writes straight into
 * the input buffer, as much as the socket holds, up to its free space.
 */

#ifndef __ARCLY_RTSP_CONN_H__
#define __ARCLY_RTSP_CONN_H__

#include <gio/gio.h>

#include "rtsptls.h"

G_BEGIN_DECLS

/* free space the input buffer has before each read (bytes) */
#define ARCLY_RTSP_CONN_READ_CHUNK 65536
/* what one paced read takes at most (80 Mbit/s read every 100 ms) */
#define ARCLY_RTSP_CONN_PACED_MAX (16 * ARCLY_RTSP_CONN_READ_CHUNK)

typedef struct
{
  GSocketConnection *conn;      /* NULL when closed */
  GSocket *socket;              /* of conn */
  GIOStream *tls;               /* TLS over conn (rtsps://), or NULL */
  GCancellable *cancellable;    /* of open(), for the TLS close */
  GByteArray *inbuf;            /* received bytes; parsed up to inpos */
  gsize inpos;
  /* the cancellables of the last read, each holding one reference on
   * its poll fd (g_cancellable_make_pollfd) until they change or
   * arcly_rtsp_conn_clear() */
  GCancellable *wake_c, *cancel_c;
  GPollFD wake_fd, cancel_fd;
  gboolean have_wake_fd, have_cancel_fd;
} ArclyRtspConn;

/* Connects to @host (an IP literal is used as is, a name is resolved) and
 * @port within @timeout_us, with TCP_NODELAY, no proxy.  The socket's own
 * timeout is @timeout_us too. */
gboolean arcly_rtsp_conn_open (ArclyRtspConn * c, const gchar * host,
                               guint16 port, gint64 timeout_us,
                               GCancellable * cancellable, GError ** error);

/* After open(): TLS on the connection (rtsps://), see
 * arcly_rtsp_tls_handshake().  On failure the connection is closed. */
gboolean arcly_rtsp_conn_start_tls (ArclyRtspConn * c, const gchar * host,
                                    guint16 port,
                                    const ArclyRtspTlsSettings * settings,
                                    GTlsCertificateFlags * refused,
                                    GError ** error);

gboolean arcly_rtsp_conn_is_open (const ArclyRtspConn * c);

/* Closes the connection (if any) and empties the input buffer.  A TLS
 * connection says close_notify first, unless open()'s cancellable was
 * cancelled (stopping: no more waiting on the peer). */
void     arcly_rtsp_conn_close (ArclyRtspConn * c);

/* Closes, frees the buffers and releases the cancellables' poll fds. */
void     arcly_rtsp_conn_clear (ArclyRtspConn * c);

/* Sends all of @data (blocking, cancellable). */
gboolean arcly_rtsp_conn_send (ArclyRtspConn * c, const guint8 * data,
                               gsize len, GCancellable * cancellable,
                               GError ** error);

/* Waits up to @timeout_us for data and appends what arrives to the input
 * buffer.  Returns > 0 bytes read; 0 on timeout or when @wake was
 * cancelled (it is reset; the caller re-checks its flags); -1 with @error
 * set on error, end of stream, or when @cancellable is cancelled.  No
 * file descriptor, timer or source is made per call: the cancellables'
 * poll fds are made at the first read with them and kept.
 *
 * @not_before (monotonic µs, 0 = none) paces the reads: until then only
 * the cancellables are watched (a cancel or wake still ends the call at
 * once), then whatever arrived meanwhile is read in one call, so a
 * stream of many small packets costs one wake-up per interval instead of
 * one per packet burst.  Returns 0 without reading when woken or when
 * @timeout_us ends first. */
gssize   arcly_rtsp_conn_read (ArclyRtspConn * c, gint64 timeout_us,
                               gint64 not_before, GCancellable * wake,
                               GCancellable * cancellable, GError ** error);

/* The received bytes not consumed yet. */
const guint8 *arcly_rtsp_conn_pending (const ArclyRtspConn * c, gsize * len);

/* Marks @n pending bytes as consumed. */
void     arcly_rtsp_conn_consume (ArclyRtspConn * c, gsize n);

G_END_DECLS

#endif
