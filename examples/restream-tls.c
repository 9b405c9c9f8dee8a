/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * arcly-restream's TLS options; see restream-tls.h.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "restream-tls.h"

#include <gio/gio.h>

gboolean
restream_tls_init (RestreamTls * tls, const gchar * ca_file,
    gboolean no_verify, GError ** error)
{
  GList *certs;
  gchar *path;

  tls->database = NULL;
  tls->no_verify = no_verify;
  if (ca_file && no_verify) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
        "--tls-ca-file and --tls-no-verify exclude each other");
    return FALSE;
  }
  if (ca_file == NULL)
    return TRUE;
  /* a file without a certificate would refuse every camera later, with a
   * less obvious error: say it now */
  certs = g_tls_certificate_list_new_from_file (ca_file, error);
  if (certs == NULL) {
    if (error && *error == NULL)
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
          "%s holds no PEM certificate", ca_file);
    return FALSE;
  }
  g_list_free_full (certs, g_object_unref);
  /* GTlsFileDatabase wants an absolute path */
  path = g_canonicalize_filename (ca_file, NULL);
  tls->database = g_tls_file_database_new (path, error);
  g_free (path);
  return tls->database != NULL;
}

void
restream_tls_apply (const RestreamTls * tls, GstElement * src,
    const gchar * url)
{
  if (g_ascii_strncasecmp (url, "rtsps://", 8) != 0)
    return;
  if (tls->database)
    g_object_set (src, "tls-database", tls->database, NULL);
  /* the explicit opt-out: the camera is not authenticated */
  if (tls->no_verify)
    g_object_set (src, "tls-validation-flags", 0, NULL);
}

void
restream_tls_clear (RestreamTls * tls)
{
  g_clear_object (&tls->database);
}
