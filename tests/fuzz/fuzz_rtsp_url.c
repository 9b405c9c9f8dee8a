/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * libFuzzer target for rtspurl: the input is split at the first NUL into a
 * URL / base and a control string.  Every entry point runs; results are
 * checked for the invariants the element relies on (no userinfo in request
 * URIs or resolved controls, no CR/LF on a request line), and a redirect
 * Location resolved against the first part.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>

#include "fuzz-split.h"

#include "rtspurl.h"

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

static void
check_request_line_safe (const gchar * s)
{
  const gchar *p;

  for (p = s; *p; p++)
    if ((guchar) * p <= 0x20 || *p == 0x7f)
      abort ();
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  gchar *first, *second;
  ArclyRtspUrl u;
  gchar *s;

  arcly_fuzz_split_at_nul (data, size, &first, &second);

  if (arcly_rtsp_url_parse (first, &u, NULL)) {
    gchar *req = arcly_rtsp_url_to_request_uri (&u);
    ArclyRtspUrl again;

    if (u.host == NULL || u.path == NULL || u.path[0] != '/' || u.port == 0)
      abort ();
    check_request_line_safe (req);
    /* A request URI parses again to the same place, without credentials. */
    if (!arcly_rtsp_url_parse (req, &again, NULL))
      abort ();
    if (again.user != NULL || again.password != NULL
        || again.port != u.port || strcmp (again.path, u.path) != 0
        || strcmp (again.host, u.host) != 0)
      abort ();
    arcly_rtsp_url_clear (&again);

    s = arcly_rtsp_url_resolve_control (req, second);
    if (s)
      check_request_line_safe (s);
    g_free (s);
    g_free (req);
    arcly_rtsp_url_clear (&u);
  }

  s = arcly_rtsp_url_redact (first);
  g_free (s);
  if (second) {
    s = arcly_rtsp_url_redact (second);
    g_free (s);
  }

  s = arcly_rtsp_url_resolve_control (first, second);
  if (s)
    check_request_line_safe (s);
  g_free (s);

  /* a redirect's Location: what the client follows must be a request-line
   * safe rtsp(s) URL, and never rtsp:// after rtsps:// (TLS dropped) */
  s = arcly_rtsp_url_resolve_location (first, second);
  if (s) {
    gboolean secure = g_ascii_strncasecmp (s, "rtsps://", 8) == 0;

    check_request_line_safe (s);
    if (!secure && g_ascii_strncasecmp (s, "rtsp://", 7) != 0)
      abort ();
    if (!secure && g_ascii_strncasecmp (first, "rtsps://", 8) == 0)
      abort ();
  }
  g_free (s);

  g_free (first);
  g_free (second);
  return 0;
}
