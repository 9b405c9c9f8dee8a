/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * TLS for rtsps:// (arclyrtspsrc's connection, rtspconn.c): the handshake
 * of a GTlsClientConnection over the TCP connection, the decision which
 * certificate errors are accepted, and the words that explain a failure to
 * a user.  The certificate is checked by GIO's TLS backend (glib-networking)
 * against @database (or the system's trust store); this module only says
 * which of the errors it reports are tolerated: those outside
 * @validation_flags.
 *
 * GLib deprecated g_tls_client_connection_set_validation_flags() (2.72)
 * because a backend does not promise to report every error a certificate
 * has; so the connection always validates everything, and the errors are
 * judged in its accept-certificate signal.  Turning single flags off is
 * therefore as unreliable as GLib says; 0 (accept any certificate) is the
 * one opt-out that is meaningful, and it is never the default.
 */

#ifndef __ARCLY_RTSP_TLS_H__
#define __ARCLY_RTSP_TLS_H__

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct
{
  /* errors that refuse the certificate; G_TLS_CERTIFICATE_VALIDATE_ALL by
   * default, 0 accepts any certificate */
  GTlsCertificateFlags validation_flags;
  GTlsDatabase *database;       /* NULL: the system's trust store */
  GTlsInteraction *interaction; /* client certificates, or NULL */
} ArclyRtspTlsSettings;

/* TRUE when GIO has a TLS backend (glib-networking is installed). */
gboolean arcly_rtsp_tls_available (void);

/* Wraps @base in a TLS client connection for @host:@port (the identity the
 * certificate must name; SNI for host names) and runs the handshake, bounded
 * by the socket's timeout and cut short by @cancellable.  On failure returns
 * NULL with @error set; when it failed because the certificate was refused,
 * *@refused holds the errors that refused it (0 otherwise). */
GIOStream * arcly_rtsp_tls_handshake (GIOStream * base, const gchar * host,
                                      guint16 port,
                                      const ArclyRtspTlsSettings * settings,
                                      GCancellable * cancellable,
                                      GTlsCertificateFlags * refused,
                                      GError ** error);

/* "not signed by a trusted authority (unknown CA), expired" — the reasons
 * in @flags, for users.  Never NULL. */
gchar *  arcly_rtsp_tls_describe_errors (GTlsCertificateFlags flags);

/* A failed TLS connect as an element error: FALSE when retrying may help
 * (a reset, a timeout); TRUE with *@text (for users) and *@debug (what
 * to do) when it will not: a refused certificate (@refused != 0), no TLS
 * backend, or — when @first_time, nothing was ever played — a server that
 * does not speak TLS.  @where is the URL for the debug text (no
 * credentials). */
gboolean arcly_rtsp_tls_explain_failure (const GError * error,
                                         GTlsCertificateFlags refused,
                                         gboolean first_time,
                                         const gchar * where, gchar ** text,
                                         gchar ** debug);

G_END_DECLS

#endif
