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

#include <gst/gst.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

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
  if (c->readbuf == NULL)
    c->readbuf = g_malloc (ARCLY_RTSP_CONN_READ_CHUNK);

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
  g_clear_pointer (&c->readbuf, g_free);
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

/* Waits up to @timeout_us for the socket to be readable: TRUE when it is;
 * FALSE with *@ret set to 0 (timeout, woken) or -1 (@error set). */
static gboolean
wait_readable (ArclyRtspConn * c, gint64 timeout_us, GCancellable * wake,
    GCancellable * cancellable, gssize * ret, GError ** error)
{
  GError *err = NULL;

  if (g_socket_condition_timed_wait (c->socket,
          G_IO_IN | G_IO_HUP | G_IO_ERR, MAX (timeout_us, 0), wake, &err))
    return TRUE;
  *ret = 0;
  if (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_TIMED_OUT)) {
    g_error_free (err);
    return FALSE;
  }
  if (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_CANCELLED)
      && !g_cancellable_is_cancelled (cancellable)) {
    /* woken up (state change): the caller re-checks its flags */
    g_error_free (err);
    g_cancellable_reset (wake);
    return FALSE;
  }
  g_propagate_error (error, err);
  *ret = -1;
  return FALSE;
}

/* One read without blocking: > 0 bytes, 0 when it would block, -1 on
 * error or end of stream. */
static gssize
receive_some (ArclyRtspConn * c, GCancellable * cancellable, GError ** error)
{
  GError *err = NULL;
  gssize n;

  if (c->tls)
    n = g_pollable_input_stream_read_nonblocking (G_POLLABLE_INPUT_STREAM
        (g_io_stream_get_input_stream (c->tls)), c->readbuf,
        ARCLY_RTSP_CONN_READ_CHUNK, cancellable, &err);
  else
    n = g_socket_receive_with_blocking (c->socket, (gchar *) c->readbuf,
        ARCLY_RTSP_CONN_READ_CHUNK, FALSE, cancellable, &err);
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

gssize
arcly_rtsp_conn_read (ArclyRtspConn * c, gint64 timeout_us,
    GCancellable * wake, GCancellable * cancellable, GError ** error)
{
  gssize n = 0;

  if (c->tls) {
    gint64 deadline = g_get_monotonic_time () + MAX (timeout_us, 0);

    /* decrypted bytes may be waiting in the TLS layer, with nothing left
     * on the socket: read first; a record that arrived in part would
     * block, and then the socket is waited on for the rest */
    while ((n = receive_some (c, cancellable, error)) == 0) {
      if (!wait_readable (c, deadline - g_get_monotonic_time (), wake,
              cancellable, &n, error))
        return n;
      if (g_get_monotonic_time () >= deadline) {
        n = receive_some (c, cancellable, error);
        break;
      }
    }
  } else {
    if (!wait_readable (c, timeout_us, wake, cancellable, &n, error))
      return n;
    n = receive_some (c, cancellable, error);
  }
  if (n <= 0)
    return n;
  /* compact what was consumed before appending */
  if (c->inpos > 0) {
    g_byte_array_remove_range (c->inbuf, 0, (guint) c->inpos);
    c->inpos = 0;
  }
  g_byte_array_append (c->inbuf, c->readbuf, (guint) n);
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
