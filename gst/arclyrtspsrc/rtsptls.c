/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * TLS for rtsps:// connections; see rtsptls.h.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "rtsptls.h"

#include <gst/gst.h>

GST_DEBUG_CATEGORY_STATIC (arcly_rtsp_tls_debug);
#define GST_CAT_DEFAULT arcly_rtsp_tls_debug

static void
init_debug (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    GST_DEBUG_CATEGORY_INIT (arcly_rtsp_tls_debug, "arclyrtspsrc_tls", 0,
        "arcly RTSP client source, TLS");
    g_once_init_leave (&done, 1);
  }
}

gboolean
arcly_rtsp_tls_available (void)
{
  return g_tls_backend_supports_tls (g_tls_backend_get_default ());
}

/* The decision of one handshake: written in the accept-certificate signal
 * (the backend may emit it on its handshake thread), read after the
 * handshake returned. */
typedef struct
{
  GTlsCertificateFlags refuse;  /* the configured validation flags */
  GTlsCertificateFlags errors;  /* what the backend reported */
  gboolean asked;
} AcceptDecision;

static gboolean
on_accept_certificate (GTlsConnection * conn, GTlsCertificate * peer,
    GTlsCertificateFlags errors, gpointer user_data)
{
  AcceptDecision *d = user_data;

  d->asked = TRUE;
  d->errors = errors;
  return (errors & d->refuse) == 0;
}

GIOStream *
arcly_rtsp_tls_handshake (GIOStream * base, const gchar * host,
    guint16 port, const ArclyRtspTlsSettings * settings,
    GCancellable * cancellable, GTlsCertificateFlags * refused,
    GError ** error)
{
  GSocketConnectable *identity;
  GIOStream *tls;
  AcceptDecision d = { settings->validation_flags, 0, FALSE };
  gulong handler;
  gboolean ok;

  init_debug ();
  *refused = 0;
  identity = g_network_address_new (host, port);
  tls = g_tls_client_connection_new (base, identity, error);
  g_object_unref (identity);
  if (tls == NULL)
    return NULL;
  if (settings->database)
    g_tls_connection_set_database (G_TLS_CONNECTION (tls), settings->database);
  if (settings->interaction)
    g_tls_connection_set_interaction (G_TLS_CONNECTION (tls),
        settings->interaction);
  /* cameras drop the connection without close_notify: that is an end of
   * stream like any other, not a TLS error */
  g_tls_connection_set_require_close_notify (G_TLS_CONNECTION (tls), FALSE);
  handler = g_signal_connect (tls, "accept-certificate",
      G_CALLBACK (on_accept_certificate), &d);
  ok = g_tls_connection_handshake (G_TLS_CONNECTION (tls), cancellable, error);
  g_signal_handler_disconnect (tls, handler);

  if (!ok) {
    if (d.asked && (d.errors & d.refuse) != 0)
      *refused = d.errors & d.refuse;
    else if (error && g_error_matches (*error, G_TLS_ERROR,
            G_TLS_ERROR_BAD_CERTIFICATE))
      *refused = G_TLS_CERTIFICATE_GENERIC_ERROR;
    g_object_unref (tls);
    return NULL;
  }
  if (d.asked && d.errors != 0) {
    gchar *why = arcly_rtsp_tls_describe_errors (d.errors);

    /* accepted because tls-validation-flags said so */
    GST_WARNING ("%s:%u: accepting a TLS certificate that is %s "
        "(tls-validation-flags 0x%x)", host, port, why, settings->validation_flags);
    g_free (why);
  }
  return tls;
}

gchar *
arcly_rtsp_tls_describe_errors (GTlsCertificateFlags flags)
{
  static const struct
  {
    GTlsCertificateFlags flag;
    const gchar *text;
  } reasons[] = {
    {G_TLS_CERTIFICATE_UNKNOWN_CA,
        "not signed by a trusted authority (unknown CA)"},
    {G_TLS_CERTIFICATE_BAD_IDENTITY,
        "issued for another name than the server's (bad identity)"},
    {G_TLS_CERTIFICATE_NOT_ACTIVATED, "not valid yet (not activated)"},
    {G_TLS_CERTIFICATE_EXPIRED, "expired"},
    {G_TLS_CERTIFICATE_REVOKED, "revoked"},
    {G_TLS_CERTIFICATE_INSECURE, "signed with an insecure algorithm"},
    {G_TLS_CERTIFICATE_GENERIC_ERROR, "invalid"},
  };
  GString *s = g_string_new (NULL);
  guint i;

  for (i = 0; i < G_N_ELEMENTS (reasons); i++) {
    if (flags & reasons[i].flag) {
      if (s->len)
        g_string_append (s, ", ");
      g_string_append (s, reasons[i].text);
    }
  }
  if (s->len == 0)
    g_string_append (s, "invalid");
  return g_string_free (s, FALSE);
}

/* What a person can do about refused @flags. */
static const gchar *
certificate_hint (GTlsCertificateFlags flags)
{
  if (flags & G_TLS_CERTIFICATE_UNKNOWN_CA)
    return "give the certificate authority that signed it in tls-database "
        "(a GTlsFileDatabase of its PEM) or add it to the system's trust "
        "store; a self-signed camera can be accepted without any check "
        "with tls-validation-flags=0 (insecure)";
  if (flags & G_TLS_CERTIFICATE_BAD_IDENTITY)
    return "connect by the host name or address the certificate was "
        "issued for";
  if (flags & (G_TLS_CERTIFICATE_EXPIRED | G_TLS_CERTIFICATE_NOT_ACTIVATED))
    return "renew the camera's certificate, and check the clocks of the "
        "camera and of this machine";
  return "check the camera's certificate";
}

gboolean
arcly_rtsp_tls_explain_failure (const GError * error,
    GTlsCertificateFlags refused, gboolean first_time, const gchar * where,
    gchar ** text, gchar ** debug)
{
  const gchar *msg = error ? error->message : "unknown error";

  if (refused != 0) {
    gchar *why = arcly_rtsp_tls_describe_errors (refused);

    *text = g_strdup_printf ("The server's TLS certificate was refused: it "
        "is %s.", why);
    *debug = g_strdup_printf ("%s: %s; %s", where, msg,
        certificate_hint (refused));
    g_free (why);
    return TRUE;
  }
  if (g_error_matches (error, G_TLS_ERROR, G_TLS_ERROR_UNAVAILABLE)
      || !arcly_rtsp_tls_available ()) {
    *text = g_strdup ("TLS is not available: rtsps:// needs GIO's TLS "
        "backend.");
    *debug = g_strdup_printf ("%s: %s; install glib-networking", where, msg);
    return TRUE;
  }
  if (g_error_matches (error, G_TLS_ERROR, G_TLS_ERROR_CERTIFICATE_REQUIRED)) {
    *text = g_strdup ("The server asks for a client certificate.");
    *debug = g_strdup_printf ("%s: %s; provide one through tls-interaction",
        where, msg);
    return TRUE;
  }
  if (!first_time)
    return FALSE;
  /* NOT_TLS, or what GnuTLS says on a plain RTSP reply ("unexpected TLS
   * packet"): before anything played, the port or the scheme is wrong */
  if (g_error_matches (error, G_TLS_ERROR, G_TLS_ERROR_NOT_TLS)
      || g_error_matches (error, G_TLS_ERROR, G_TLS_ERROR_MISC)
      || g_error_matches (error, G_TLS_ERROR, G_TLS_ERROR_HANDSHAKE)) {
    *text = g_strdup ("The TLS handshake with the server failed — does it "
        "serve rtsps:// on this port?");
    *debug = g_strdup_printf ("%s: %s (a plain rtsp:// port, or no TLS "
        "version or cipher in common)", where, msg);
    return TRUE;
  }
  return FALSE;
}
