/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * libFuzzer target for rtspauth: the input is split at '\n' into up to 8
 * WWW-Authenticate values.  They are parsed, fed to a session as a 401
 * twice (first try, then refusal or stale renewal), and every Authorization
 * value built is checked: no CR/LF (header injection), the password never
 * appears in it as plain text.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>

#include "rtspauth.h"

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

#define PASSWORD "pw-S3cret"

static gboolean input_has_password;

static void
check_value (const gchar * v)
{
  const gchar *p;

  if (v == NULL)
    return;
  for (p = v; *p; p++)
    if (*p == '\r' || *p == '\n')
      abort ();
  /* (unless the server's own strings, echoed back, contain it) */
  if (!input_has_password && strstr (v, PASSWORD) != NULL)
    abort ();
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  gchar *text = g_strndup ((const gchar *) data, size);
  gchar **values = g_strsplit (text, "\n", 9);
  guint n = MIN (g_strv_length (values), 8);
  GPtrArray *challenges;
  ArclyAuthSession *s;
  gchar *h;
  guint i;

  input_has_password = strstr (text, PASSWORD) != NULL;
  challenges = arcly_auth_parse_challenges ((const gchar * const *) values, n);
  for (i = 0; i < challenges->len; i++) {
    ArclyAuthChallenge *c = g_ptr_array_index (challenges, i);

    if (c->scheme != ARCLY_AUTH_SCHEME_BASIC
        && c->scheme != ARCLY_AUTH_SCHEME_DIGEST)
      abort ();
    if (c->realm == NULL)
      abort ();
    if (c->scheme == ARCLY_AUTH_SCHEME_DIGEST && c->nonce == NULL)
      abort ();
  }
  g_ptr_array_unref (challenges);

  s = arcly_auth_session_new ();
  if (arcly_auth_session_challenge (s, (const gchar * const *) values, n)) {
    if (!arcly_auth_session_active (s))
      abort ();
    (void) arcly_auth_session_describe (s);
    h = arcly_auth_session_authorization (s, "DESCRIBE",
        "rtsp://127.0.0.1:554/stream", "user", PASSWORD);
    if (h == NULL)
      abort ();
    check_value (h);
    g_free (h);
    /* The same values again: refused, or renewed when stale. */
    if (arcly_auth_session_challenge (s, (const gchar * const *) values, n)) {
      h = arcly_auth_session_authorization (s, "SETUP",
          "rtsp://127.0.0.1:554/stream/trackID=1", "user", PASSWORD);
      check_value (h);
      g_free (h);
    }
  } else if (arcly_auth_session_authorization (s, "OPTIONS", "*", "u",
          PASSWORD) != NULL) {
    abort ();
  }
  arcly_auth_session_free (s);
  g_strfreev (values);
  g_free (text);
  return 0;
}
