/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * arcly-restream's rtsps:// cameras: the command line's TLS choices
 * (--tls-ca-file, --tls-no-verify) turned into arclyrtspsrc's
 * tls-database and tls-validation-flags.  Without either, a camera's
 * certificate is checked against the system's trust store.
 */

#ifndef __RESTREAM_TLS_H__
#define __RESTREAM_TLS_H__

#include <gio/gio.h>
#include <gst/gst.h>

G_BEGIN_DECLS

typedef struct
{
  GTlsDatabase *database;       /* from --tls-ca-file, or NULL */
  gboolean no_verify;           /* --tls-no-verify */
} RestreamTls;

/* Loads @ca_file (PEM, may be NULL).  FALSE with @error when it cannot be
 * read or holds no certificate, or when both options are given. */
gboolean restream_tls_init (RestreamTls * tls, const gchar * ca_file,
                            gboolean no_verify, GError ** error);

/* Sets @src's TLS properties when @url is rtsps:// (nothing otherwise). */
void     restream_tls_apply (const RestreamTls * tls, GstElement * src,
                             const gchar * url);

void     restream_tls_clear (RestreamTls * tls);

G_END_DECLS

#endif
