/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The HTTP front door of arcly-restream: accepts TCP connections itself and
 * hands them to a SoupServer, so that
 *
 *  - a keep-alive connection the client closed is closed here too.  libsoup
 *    3.2 (Debian 12) never disconnects an idle keep-alive connection whose
 *    peer went away: it reads the EOF and forgets the connection, which then
 *    stays in CLOSE-WAIT with its fd and ~2 KiB for the life of the process
 *    (fixed in libsoup 3.3, "server: do not leak idle connections closed by
 *    the client").  Active clients keep their keep-alive connection;
 *  - an idle connection is closed after an idle timeout;
 *  - the number of client connections is bounded and a connection over the
 *    bound is answered 503 at once, so HTTP clients can never take the fds
 *    the HLS writer needs.
 */

#ifndef __RESTREAM_HTTP_H__
#define __RESTREAM_HTTP_H__

#include <gio/gio.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

typedef struct _RestreamHttp RestreamHttp;

/* @max_clients: connections served at once (> 0); @idle_timeout_s: an idle
 * keep-alive connection is closed after this long (0 = never). */
RestreamHttp * restream_http_new (SoupServer * server, guint max_clients,
                                  guint idle_timeout_s);

/* Listens on @address (port 0 = any free port).  "Address in use" and the
 * like come back in @error. */
gboolean       restream_http_listen (RestreamHttp * http,
                                     GSocketAddress * address,
                                     GError ** error);

/* http://ADDR:PORT/ of the listening socket (free with g_free). */
gchar *        restream_http_get_uri (RestreamHttp * http);

/* Client connections open now, and refused with 503 so far. */
guint          restream_http_get_n_clients (RestreamHttp * http);
guint64        restream_http_get_n_refused (RestreamHttp * http);

/* How many client connections the process's fd limit leaves room for when
 * @reserve fds are kept for everything else (cameras, files, GStreamer). */
guint          restream_http_fd_budget (guint reserve);

/* Stops listening and closes every client connection. */
void           restream_http_free (RestreamHttp * http);

G_END_DECLS

#endif
