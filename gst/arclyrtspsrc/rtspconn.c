/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The TCP connection of arclyrtspsrc; see rtspconn.h.
 *
 * With TLS the socket is still what the reads wait on (with the wake-up
 * cancellable), but bytes come from the TLS input stream, read without
 * blocking: the backend may hold decrypted bytes of a record already taken
 * off the socket, so a read is always tried before waiting, and waiting
 * only follows a read that would block.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "rtspconn.h"

#include <errno.h>
#include <gst/gst.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>

/* the name starts with the element's, so its log settings cover it */
GST_DEBUG_CATEGORY_STATIC (arcly_rtsp_conn_debug);
#define GST_CAT_DEFAULT arcly_rtsp_conn_debug

static void
init_debug (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    GST_DEBUG_CATEGORY_INIT (arcly_rtsp_conn_debug, "arclyrtspsrc_conn", 0,
        "arcly RTSP client source, connection");
    g_once_init_leave (&done, 1);
  }
}

/* Keeps one reference on the poll fd of @want (made once: GLib makes the
 * fd at the first g_cancellable_make_pollfd() and closes it when the last
 * reference is released), releasing the one held on the previous
 * cancellable in *@held.  @want NULL releases only. */
static void
hold_pollfd (GCancellable ** held, GPollFD * fd, gboolean * have,
    GCancellable * want)
{
  if (*held == want)
    return;
  if (*held) {
    if (*have)
      g_cancellable_release_fd (*held);
    g_object_unref (*held);
  }
  *held = want ? g_object_ref (want) : NULL;
  *have = want ? g_cancellable_make_pollfd (want, fd) : FALSE;
}

gboolean
arcly_rtsp_conn_open (ArclyRtspConn * c, const gchar * host, guint16 port,
    gint64 timeout_us, GCancellable * cancellable, GError ** error)
{
  GSocketClient *client = g_socket_client_new ();
  GSocketConnectable *addr;
  guint tsec = (guint) ((timeout_us + G_TIME_SPAN_SECOND - 1) /
      G_TIME_SPAN_SECOND);
  GInetAddress *inet = g_inet_address_new_from_string (host);

  init_debug ();
  if (c->inbuf == NULL)
    c->inbuf = g_byte_array_sized_new (ARCLY_RTSP_CONN_READ_CHUNK * 2);

  g_socket_client_set_timeout (client, MAX (tsec, 1));
  /* cameras are on the LAN: no proxy lookup (it costs tens of ms) */
  g_socket_client_set_enable_proxy (client, FALSE);
  if (inet) {
    addr = G_SOCKET_CONNECTABLE (g_inet_socket_address_new (inet, port));
    g_object_unref (inet);
  } else {
    addr = g_network_address_new (host, port);
  }
  c->conn = g_socket_client_connect (client, addr, cancellable, error);
  g_object_unref (addr);
  g_object_unref (client);
  if (c->conn == NULL)
    return FALSE;
  g_set_object (&c->cancellable, cancellable);
  c->socket = g_socket_connection_get_socket (c->conn);
  g_socket_set_timeout (c->socket, MAX (tsec, 1));
  if (!g_socket_set_option (c->socket, IPPROTO_TCP, TCP_NODELAY, 1, NULL))
    GST_DEBUG ("could not set TCP_NODELAY");
  return TRUE;
}

gboolean
arcly_rtsp_conn_start_tls (ArclyRtspConn * c, const gchar * host,
    guint16 port, const ArclyRtspTlsSettings * settings,
    GTlsCertificateFlags * refused, GError ** error)
{
  init_debug ();
  c->tls = arcly_rtsp_tls_handshake (G_IO_STREAM (c->conn), host, port,
      settings, c->cancellable, refused, error);
  if (c->tls == NULL) {
    arcly_rtsp_conn_close (c);
    return FALSE;
  }
  GST_DEBUG ("TLS connection to %s:%u established", host, port);
  return TRUE;
}

gboolean
arcly_rtsp_conn_is_open (const ArclyRtspConn * c)
{
  return c->socket != NULL;
}

void
arcly_rtsp_conn_close (ArclyRtspConn * c)
{
  if (c->tls) {
    GError *err = NULL;

    /* close_notify, then the TCP connection; a cancelled close (or none)
     * still closes the socket below */
    if (!g_cancellable_is_cancelled (c->cancellable)
        && !g_io_stream_close (c->tls, c->cancellable, &err)) {
      init_debug ();
      GST_DEBUG ("TLS close: %s", err->message);
      g_clear_error (&err);
    }
  }
  if (c->conn) {
    GError *err = NULL;

    if (!g_io_stream_close (G_IO_STREAM (c->conn), NULL, &err)) {
      init_debug ();
      GST_DEBUG ("close: %s", err->message);
      g_clear_error (&err);
    }
    g_clear_object (&c->conn);
  }
  /* its base stream is closed: disposing it does no I/O */
  g_clear_object (&c->tls);
  g_clear_object (&c->cancellable);
  c->socket = NULL;
  if (c->inbuf)
    g_byte_array_set_size (c->inbuf, 0);
  c->inpos = 0;
}

void
arcly_rtsp_conn_clear (ArclyRtspConn * c)
{
  arcly_rtsp_conn_close (c);
  if (c->inbuf)
    g_byte_array_unref (c->inbuf);
  c->inbuf = NULL;
  hold_pollfd (&c->wake_c, &c->wake_fd, &c->have_wake_fd, NULL);
  hold_pollfd (&c->cancel_c, &c->cancel_fd, &c->have_cancel_fd, NULL);
}

gboolean
arcly_rtsp_conn_send (ArclyRtspConn * c, const guint8 * data, gsize len,
    GCancellable * cancellable, GError ** error)
{
  if (c->tls)
    return g_output_stream_write_all (g_io_stream_get_output_stream (c->tls),
        data, len, NULL, cancellable, error);
  while (len > 0) {
    gssize n = g_socket_send_with_blocking (c->socket, (const gchar *) data,
        len, TRUE, cancellable, error);

    if (n <= 0) {
      if (n == 0 && error && *error == NULL)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE,
            "connection closed");
      return FALSE;
    }
    data += n;
    len -= (gsize) n;
  }
  return TRUE;
}

/* Receives what the connection holds into the input buffer's free space,
 * without blocking: > 0 bytes, 0 if it holds nothing yet, -1 on error or
 * end of stream. */
static gssize
receive (ArclyRtspConn * c, GError ** error)
{
  GError *err = NULL;
  guint have;
  gssize n;

  /* compact what was consumed (usually all of it: nothing to move) */
  if (c->inpos > 0) {
    gsize left = c->inbuf->len - c->inpos;

    if (left > 0)
      memmove (c->inbuf->data, c->inbuf->data + c->inpos, left);
    g_byte_array_set_size (c->inbuf, (guint) left);
    c->inpos = 0;
  }
  have = c->inbuf->len;
  g_byte_array_set_size (c->inbuf, have + ARCLY_RTSP_CONN_READ_CHUNK);
  if (c->tls)
    n = g_pollable_input_stream_read_nonblocking (G_POLLABLE_INPUT_STREAM
        (g_io_stream_get_input_stream (c->tls)), c->inbuf->data + have,
        ARCLY_RTSP_CONN_READ_CHUNK, NULL, &err);
  else
    n = g_socket_receive_with_blocking (c->socket,
        (gchar *) c->inbuf->data + have, ARCLY_RTSP_CONN_READ_CHUNK, FALSE,
        NULL, &err);
  g_byte_array_set_size (c->inbuf, have + (guint) MAX (n, 0));
  if (n < 0) {
    if (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
      g_error_free (err);
      return 0;
    }
    g_propagate_error (error, err);
    return -1;
  }
  if (n == 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
        "server closed the connection");
    return -1;
  }
  return n;
}

/* After a paced wait: reads on while the socket (or the TLS layer) holds
 * more, up to ARCLY_RTSP_CONN_PACED_MAX in all with the @have bytes read
 * already.  One read takes at most a chunk (a TLS read one record, ~16
 * KiB), so stopping at one would cap a camera read every 100 ms at 5
 * Mbit/s (1.3 over TLS).  A plain socket's read that came back short of
 * the chunk (@have: the first read) took all the socket held, so the
 * read that would only say "nothing more" is not made: a 2 Mbit/s camera
 * read every 100 ms takes one recv per read, not two.  An error here is
 * left for the next read to meet again; what was read is kept.  The bytes
 * added. */
static gssize
drain (ArclyRtspConn * c, gssize have)
{
  gssize added = 0, n = have;
  GError *err = NULL;

  while (have + added < ARCLY_RTSP_CONN_PACED_MAX) {
    if (c->tls == NULL && n < ARCLY_RTSP_CONN_READ_CHUNK)
      break;
    n = receive (c, &err);
    if (n <= 0)
      break;
    added += n;
  }
  g_clear_error (&err);
  return added;
}

/* poll()s the cancellables' fds, and the socket if @with_socket, for up
 * to @timeout_us.  1 when the socket is readable, 0 on timeout, on a
 * wake-up (reset) or on a signal, -1 with @error when cancelled. */
static gint
wait_fds (ArclyRtspConn * c, gboolean with_socket, gint64 timeout_us,
    GCancellable * wake, GCancellable * cancellable, GError ** error)
{
  GPollFD fds[3];
  guint nfds = 0;
  gint timeout_ms, r, e;

  if (with_socket) {
    fds[0].fd = g_socket_get_fd (c->socket);
    fds[0].events = G_IO_IN | G_IO_HUP | G_IO_ERR;
    fds[0].revents = 0;
    nfds = 1;
  }
  if (c->have_wake_fd)
    fds[nfds++] = c->wake_fd;
  if (c->have_cancel_fd)
    fds[nfds++] = c->cancel_fd;
  timeout_ms = (gint) MIN ((MAX (timeout_us, 0) + 999) / 1000, G_MAXINT);
  r = g_poll (fds, nfds, timeout_ms);
  e = errno;
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return -1;
  if (g_cancellable_is_cancelled (wake)) {
    /* woken up (state change): the caller re-checks its flags */
    g_cancellable_reset (wake);
    return 0;
  }
  if (r < 0 && e != EINTR) {
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e),
        "waiting for data: %s", g_strerror (e));
    return -1;
  }
  return r > 0 && with_socket && fds[0].revents != 0 ? 1 : 0;
}

gssize
arcly_rtsp_conn_read (ArclyRtspConn * c, gint64 timeout_us,
    gint64 not_before, GCancellable * wake, GCancellable * cancellable,
    GError ** error)
{
  gint64 now, deadline;
  gssize n;
  gint w;

  hold_pollfd (&c->wake_c, &c->wake_fd, &c->have_wake_fd, wake);
  hold_pollfd (&c->cancel_c, &c->cancel_fd, &c->have_cancel_fd,
      cancellable);
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return -1;
  if (g_cancellable_is_cancelled (wake)) {
    g_cancellable_reset (wake);
    return 0;
  }

  /* paced: sleep (wakeable) until @not_before, then take what came */
  if (not_before > 0 && (now = g_get_monotonic_time ()) < not_before) {
    gint64 pause = MIN (not_before - now, MAX (timeout_us, 0));

    w = wait_fds (c, FALSE, pause, wake, cancellable, error);
    if (w < 0)
      return -1;
    if (g_get_monotonic_time () < not_before)
      return 0;                 /* woken, or the timeout came first */
    n = receive (c, error);
    if (n > 0)
      return n + drain (c, n);
    if (n != 0)
      return n;
    timeout_us -= pause;
    if (timeout_us <= 0)
      return 0;
  }

  if (c->tls == NULL) {
    w = wait_fds (c, TRUE, timeout_us, wake, cancellable, error);
    if (w <= 0)
      return w;
    return receive (c, error);
  }

  /* TLS: decrypted bytes may be waiting in the TLS layer with nothing
   * left on the socket, so read first; a record that arrived in part
   * would block, and then the socket is waited on for the rest */
  deadline = g_get_monotonic_time () + MAX (timeout_us, 0);
  while ((n = receive (c, error)) == 0) {
    now = g_get_monotonic_time ();
    if (now >= deadline)
      return 0;
    w = wait_fds (c, TRUE, deadline - now, wake, cancellable, error);
    if (w <= 0)
      return w;
  }
  return n;
}

const guint8 *
arcly_rtsp_conn_pending (const ArclyRtspConn * c, gsize * len)
{
  if (c->inbuf == NULL) {
    *len = 0;
    return NULL;
  }
  *len = c->inbuf->len - c->inpos;
  return c->inbuf->data + c->inpos;
}

void
arcly_rtsp_conn_consume (ArclyRtspConn * c, gsize n)
{
  g_assert (c->inbuf && c->inpos + n <= c->inbuf->len);
  c->inpos += n;
}
