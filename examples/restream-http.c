/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * How the client connections of arcly-restream are kept bounded with
 * libsoup 3.2 (see restream-http.h for why).
 *
 * libsoup 3.2 disconnects a connection only when a request on it ends
 * (completes without keep-alive, or fails).  After a keep-alive response it
 * waits for the next request with a message nobody is told about; when the
 * client closes instead, that message fails quietly and the connection is
 * kept forever.  So the connections are accepted here and given to libsoup
 * as GIOStreams whose input is a RestreamPeerInput: when the socket reads
 * EOF (or fails: a reset), the stream shuts the socket's sending side and hands libsoup one
 * byte ('X') before the EOF.  libsoup then sees a request starting, finds it
 * malformed, fails to answer it on the shut socket, and disconnects the
 * connection (closing the socket, freeing its state).  Nothing reaches the
 * wire.  The same path closes idle connections: the idle timeout shuts the
 * socket both ways, which libsoup reads as the peer's EOF.
 *
 * libsoup 3.2 keeps a connection alive after a response only while it has a
 * listener of its own (soup-server.c, request_finished), and its own
 * listener stops accepting for good on the first EMFILE; it gets an
 * unreachable one: one end of a socketpair, whose other end never writes.
 *
 * Every function runs on the thread of the main context (the SoupServer's).
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "restream-http.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define REFUSE_SLOTS 32         /* connections answered 503 at once, above the limit */
#define LISTEN_BACKLOG 256
#define REFUSE_TIMEOUT_S 2      /* a refused connection that sends nothing */

typedef struct _Client Client;

struct _RestreamHttp
{
  SoupServer *server;
  guint max_clients;
  guint idle_timeout_s;
  GSocketListener *listener;
  GSocketAddress *address;      /* the listening address, with its port */
  GCancellable *cancel;
  GSocket *keepalive_peer;      /* the socketpair end libsoup does not own */
  GHashTable *clients;          /* Client* set */
  guint64 n_refused;
  guint sweep_id;
  guint retry_id;
  gulong handlers[3];
};

struct _Client
{
  RestreamHttp *http;
  GSocketConnection *conn;
  GSocketAddress *remote;       /* libsoup keeps this very object: the key */
  gboolean busy;                /* a request is read and not answered */
  gboolean refuse;              /* over the limit: every request gets 503 */
  gboolean shut;                /* shut down by the idle timeout */
  gint64 idle_since;            /* monotonic µs */
};

static GQuark client_quark;

/* ----------------------------------------------- the peer-aware input */

#define RESTREAM_TYPE_PEER_INPUT (restream_peer_input_get_type ())
G_DECLARE_FINAL_TYPE (RestreamPeerInput, restream_peer_input, RESTREAM,
    PEER_INPUT, GInputStream);

struct _RestreamPeerInput
{
  GInputStream parent;
  GSocketConnection *conn;      /* owns the socket */
  GInputStream *base;           /* conn's input stream */
  gboolean eof_seen;
  Client *client;               /* NULL once closed */
};

static void restream_peer_input_pollable_init (GPollableInputStreamInterface *
    iface);

G_DEFINE_TYPE_WITH_CODE (RestreamPeerInput, restream_peer_input,
    G_TYPE_INPUT_STREAM,
    G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_INPUT_STREAM,
        restream_peer_input_pollable_init));

static void client_closed (Client * c);

/* @n: what the socket read gave.  The first EOF becomes one byte (see the
 * top of the file), later reads give the EOF itself.  A failed read is the
 * peer's close too: a reset (ECONNRESET, the client closed with unread data
 * or SO_LINGER 0) fails libsoup's idle read as quietly as an EOF. */
static gssize
peer_input_filter (RestreamPeerInput * self, gssize n, void *buffer,
    gsize count, GError ** error)
{
  if (count == 0 || self->eof_seen)
    return n;
  if (n < 0) {
    if (error == NULL || *error == NULL
        || g_error_matches (*error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)
        || g_error_matches (*error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
      return n;
    g_clear_error (error);
  } else if (n > 0) {
    return n;
  }
  self->eof_seen = TRUE;
  g_socket_shutdown (g_socket_connection_get_socket (self->conn), FALSE, TRUE,
      NULL);
  ((guint8 *) buffer)[0] = 'X';
  return 1;
}

static gssize
peer_input_read (GInputStream * stream, void *buffer, gsize count,
    GCancellable * cancellable, GError ** error)
{
  RestreamPeerInput *self = RESTREAM_PEER_INPUT (stream);
  gssize n = g_input_stream_read (self->base, buffer, count, cancellable,
      error);

  return peer_input_filter (self, n, buffer, count, error);
}

static gboolean
peer_input_close (GInputStream * stream, GCancellable * cancellable,
    GError ** error)
{
  RestreamPeerInput *self = RESTREAM_PEER_INPUT (stream);

  if (self->client) {
    client_closed (self->client);
    self->client = NULL;
  }
  return g_io_stream_close (G_IO_STREAM (self->conn), cancellable, error);
}

static gboolean
peer_input_can_poll (GPollableInputStream * stream)
{
  return TRUE;
}

static gboolean
peer_input_is_readable (GPollableInputStream * stream)
{
  RestreamPeerInput *self = RESTREAM_PEER_INPUT (stream);

  return g_pollable_input_stream_is_readable (G_POLLABLE_INPUT_STREAM
      (self->base));
}

static GSource *
peer_input_create_source (GPollableInputStream * stream,
    GCancellable * cancellable)
{
  RestreamPeerInput *self = RESTREAM_PEER_INPUT (stream);
  GSource *base, *source;

  base = g_pollable_input_stream_create_source (G_POLLABLE_INPUT_STREAM
      (self->base), NULL);
  source = g_pollable_source_new_full (stream, base, cancellable);
  g_source_unref (base);
  return source;
}

static gssize
peer_input_read_nonblocking (GPollableInputStream * stream, void *buffer,
    gsize count, GError ** error)
{
  RestreamPeerInput *self = RESTREAM_PEER_INPUT (stream);
  gssize n = g_pollable_input_stream_read_nonblocking (G_POLLABLE_INPUT_STREAM
      (self->base), buffer, count, NULL, error);

  return peer_input_filter (self, n, buffer, count, error);
}

static void
restream_peer_input_finalize (GObject * object)
{
  RestreamPeerInput *self = RESTREAM_PEER_INPUT (object);

  if (self->client)
    client_closed (self->client);
  g_object_unref (self->conn);
  G_OBJECT_CLASS (restream_peer_input_parent_class)->finalize (object);
}

static void
restream_peer_input_class_init (RestreamPeerInputClass * klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GInputStreamClass *stream_class = G_INPUT_STREAM_CLASS (klass);

  object_class->finalize = restream_peer_input_finalize;
  stream_class->read_fn = peer_input_read;
  stream_class->close_fn = peer_input_close;
}

static void
restream_peer_input_pollable_init (GPollableInputStreamInterface * iface)
{
  iface->can_poll = peer_input_can_poll;
  iface->is_readable = peer_input_is_readable;
  iface->create_source = peer_input_create_source;
  iface->read_nonblocking = peer_input_read_nonblocking;
}

static void
restream_peer_input_init (RestreamPeerInput * self)
{
}

/* ------------------------------------------------------------ clients */

static void
client_closed (Client * c)
{
  g_object_set_qdata (G_OBJECT (c->remote), client_quark, NULL);
  if (c->http)
    g_hash_table_remove (c->http->clients, c);
  g_object_unref (c->remote);
  g_free (c);
}

static Client *
client_of (SoupServerMessage * msg)
{
  GSocketAddress *remote = soup_server_message_get_remote_address (msg);

  return remote ? g_object_get_qdata (G_OBJECT (remote), client_quark) : NULL;
}

static void
on_request_read (SoupServer * server, SoupServerMessage * msg,
    RestreamHttp * http)
{
  Client *c = client_of (msg);
  SoupMessageHeaders *h;

  if (c == NULL)
    return;
  c->busy = TRUE;
  if (!c->refuse)
    return;
  /* Setting a status here answers the request without its handler. */
  h = soup_server_message_get_response_headers (msg);
  soup_message_headers_replace (h, "Connection", "close");
  soup_message_headers_replace (h, "Retry-After", "1");
  soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC,
      "too many connections\n", strlen ("too many connections\n"));
  soup_server_message_set_status (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, NULL);
}

static void
on_request_done (SoupServer * server, SoupServerMessage * msg,
    RestreamHttp * http)
{
  Client *c = client_of (msg);

  if (c == NULL)
    return;
  c->busy = FALSE;
  c->idle_since = g_get_monotonic_time ();
}

/* Shuts idle connections down; libsoup then reads EOF and disconnects. */
static gboolean
sweep_idle (gpointer user_data)
{
  RestreamHttp *http = user_data;
  gint64 now = g_get_monotonic_time ();
  GHashTableIter it;
  gpointer key;

  g_hash_table_iter_init (&it, http->clients);
  while (g_hash_table_iter_next (&it, &key, NULL)) {
    Client *c = key;
    gint64 limit_us = (c->refuse ? REFUSE_TIMEOUT_S : http->idle_timeout_s)
        * G_TIME_SPAN_SECOND;

    if (c->busy || c->shut || limit_us == 0 || now - c->idle_since < limit_us)
      continue;
    c->shut = TRUE;
    g_socket_shutdown (g_socket_connection_get_socket (c->conn), TRUE, TRUE,
        NULL);
  }
  return G_SOURCE_CONTINUE;
}

static void
client_accept (RestreamHttp * http, GSocketConnection * conn,
    gboolean refuse)
{
  GSocket *socket = g_socket_connection_get_socket (conn);
  GSocketAddress *local = g_socket_get_local_address (socket, NULL);
  GSocketAddress *remote = g_socket_get_remote_address (socket, NULL);
  RestreamPeerInput *input;
  GIOStream *stream;
  Client *c;

  if (local == NULL || remote == NULL) {
    g_clear_object (&local);
    g_clear_object (&remote);
    g_io_stream_close (G_IO_STREAM (conn), NULL, NULL);
    return;
  }
  g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, TRUE, NULL);
  c = g_new0 (Client, 1);
  c->http = http;
  c->conn = conn;
  c->remote = remote;
  c->refuse = refuse;
  c->idle_since = g_get_monotonic_time ();
  g_object_set_qdata (G_OBJECT (remote), client_quark, c);
  g_hash_table_add (http->clients, c);

  input = g_object_new (RESTREAM_TYPE_PEER_INPUT, NULL);
  input->conn = g_object_ref (conn);
  input->base = g_io_stream_get_input_stream (G_IO_STREAM (conn));
  input->client = c;
  stream = g_simple_io_stream_new (G_INPUT_STREAM (input),
      g_io_stream_get_output_stream (G_IO_STREAM (conn)));
  soup_server_accept_iostream (http->server, stream, local, remote, NULL);
  g_object_unref (stream);
  g_object_unref (input);
  g_object_unref (local);
}

/* ------------------------------------------------------------- accept */

static void accept_next (RestreamHttp * http);

static gboolean
retry_accept (gpointer user_data)
{
  RestreamHttp *http = user_data;

  http->retry_id = 0;
  accept_next (http);
  return G_SOURCE_REMOVE;
}

static void
on_accepted (GObject * source, GAsyncResult * result, gpointer user_data)
{
  GError *error = NULL;
  GSocketConnection *conn =
      g_socket_listener_accept_finish (G_SOCKET_LISTENER (source), result,
      NULL, &error);
  RestreamHttp *http = user_data;
  guint n;

  if (conn == NULL) {
    /* Cancelled: @http is gone, do not touch it. */
    if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
      /* Out of fds (EMFILE) or a connection reset before accept: the next
       * connection waits in the kernel's backlog meanwhile. */
      http->retry_id = g_timeout_add (100, retry_accept, http);
    g_error_free (error);
    return;
  }
  n = g_hash_table_size (http->clients);
  if (n >= http->max_clients + REFUSE_SLOTS) {
    /* Even the 503 answers are full: close at once. */
    http->n_refused++;
    g_io_stream_close (G_IO_STREAM (conn), NULL, NULL);
  } else {
    if (n >= http->max_clients)
      http->n_refused++;
    client_accept (http, conn, n >= http->max_clients);
  }
  g_object_unref (conn);
  accept_next (http);
}

static void
accept_next (RestreamHttp * http)
{
  g_socket_listener_accept_async (http->listener, http->cancel, on_accepted,
      http);
}

/* -------------------------------------------------------------- public */

RestreamHttp *
restream_http_new (SoupServer * server, guint max_clients,
    guint idle_timeout_s)
{
  RestreamHttp *http = g_new0 (RestreamHttp, 1);

  g_return_val_if_fail (max_clients > 0, NULL);
  if (client_quark == 0)
    client_quark = g_quark_from_static_string ("restream-http-client");
  http->server = g_object_ref (server);
  http->max_clients = max_clients;
  http->idle_timeout_s = idle_timeout_s;
  http->clients = g_hash_table_new (NULL, NULL);
  http->cancel = g_cancellable_new ();
  http->listener = g_socket_listener_new ();
  /* GLib's default of 10 makes a burst of viewers wait for SYN retries. */
  g_socket_listener_set_backlog (http->listener, LISTEN_BACKLOG);
  http->handlers[0] = g_signal_connect (server, "request-read",
      G_CALLBACK (on_request_read), http);
  http->handlers[1] = g_signal_connect (server, "request-finished",
      G_CALLBACK (on_request_done), http);
  http->handlers[2] = g_signal_connect (server, "request-aborted",
      G_CALLBACK (on_request_done), http);
  return http;
}

gboolean
restream_http_listen (RestreamHttp * http, GSocketAddress * address,
    GError ** error)
{
  int fds[2];
  GSocket *own;
  GSocketAddress *effective = NULL;

  if (!g_socket_listener_add_address (http->listener, address,
          G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL, &effective,
          error))
    return FALSE;
  http->address = effective;

  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
        "socketpair: %s", g_strerror (errno));
    return FALSE;
  }
  own = g_socket_new_from_fd (fds[0], error);
  http->keepalive_peer = own ? g_socket_new_from_fd (fds[1], error) : NULL;
  if (own == NULL || http->keepalive_peer == NULL
      || !soup_server_listen_socket (http->server, own, 0, error)) {
    if (own == NULL)
      close (fds[0]);
    if (http->keepalive_peer == NULL)
      close (fds[1]);
    g_clear_object (&own);
    return FALSE;
  }
  g_object_unref (own);

  accept_next (http);
  http->sweep_id = g_timeout_add_seconds (1, sweep_idle, http);
  return TRUE;
}

gchar *
restream_http_get_uri (RestreamHttp * http)
{
  GInetSocketAddress *a = G_INET_SOCKET_ADDRESS (http->address);
  gchar *host = g_inet_address_to_string (g_inet_socket_address_get_address
      (a));
  gboolean v6 = strchr (host, ':') != NULL;
  gchar *uri = g_strdup_printf ("http://%s%s%s:%u/", v6 ? "[" : "", host,
      v6 ? "]" : "", g_inet_socket_address_get_port (a));

  g_free (host);
  return uri;
}

guint
restream_http_get_n_clients (RestreamHttp * http)
{
  return g_hash_table_size (http->clients);
}

guint64
restream_http_get_n_refused (RestreamHttp * http)
{
  return http->n_refused;
}

guint
restream_http_fd_budget (guint reserve)
{
  struct rlimit rl;
  guint64 cur;

  if (getrlimit (RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
    return G_MAXUINT;
  cur = rl.rlim_cur;
  reserve += REFUSE_SLOTS;
  return cur > reserve ? (guint) MIN (cur - reserve, G_MAXUINT) : 0;
}

void
restream_http_free (RestreamHttp * http)
{
  GHashTableIter it;
  gpointer key;
  guint i;

  g_cancellable_cancel (http->cancel);
  g_socket_listener_close (http->listener);
  if (http->sweep_id)
    g_source_remove (http->sweep_id);
  if (http->retry_id)
    g_source_remove (http->retry_id);
  for (i = 0; i < G_N_ELEMENTS (http->handlers); i++)
    if (http->handlers[i])
      g_signal_handler_disconnect (http->server, http->handlers[i]);
  /* Connections libsoup still holds outlive this: forget them. */
  g_hash_table_iter_init (&it, http->clients);
  while (g_hash_table_iter_next (&it, &key, NULL))
    ((Client *) key)->http = NULL;
  g_hash_table_unref (http->clients);
  g_clear_object (&http->keepalive_peer);
  g_clear_object (&http->address);
  g_object_unref (http->listener);
  g_object_unref (http->cancel);
  g_object_unref (http->server);
  g_free (http);
}
