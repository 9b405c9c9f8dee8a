/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * If-None-Match against an entity tag (see restream-validators.h).
 *
 * RFC 9110 §8.8.3 and §13.1.2:
 *   If-None-Match = "*" / #entity-tag
 *   entity-tag    = [ "W/" ] DQUOTE *etagc DQUOTE
 *   etagc         = %x21 / %x23-7E / obs-text      (no DQUOTE, no space;
 *                                                  a comma is allowed)
 * The list is elements separated by commas with optional whitespace, empty
 * elements allowed.  Parsed in place: the quoted tag is compared with the
 * object's tag (its opaque part) byte for byte.
 */

#include "restream-validators.h"

#include <string.h>

static gboolean
is_ows (gchar c)
{
  return c == ' ' || c == '\t';
}

static gboolean
is_etagc (guchar c)
{
  return c == 0x21 || (c >= 0x23 && c != 0x7f);
}

gboolean
restream_etag_list_matches (const gchar * list, gsize len, const gchar * etag)
{
  const gchar *p = list, *end = list + len;
  gsize etag_len;

  if (list == NULL || etag == NULL)
    return FALSE;
  /* The object's own tag, without W/: its opaque part is what counts. */
  if (strncmp (etag, "W/", 2) == 0)
    etag += 2;
  etag_len = strlen (etag);

  while (p < end) {
    const gchar *tag;

    while (p < end && (is_ows (*p) || *p == ','))
      p++;
    if (p == end)
      break;
    if (*p == '*') {
      p++;
      while (p < end && is_ows (*p))
        p++;
      if (p < end && *p != ',')
        return FALSE;
      return TRUE;
    }
    if (end - p >= 2 && p[0] == 'W' && p[1] == '/')
      p += 2;
    if (p == end || *p != '"')
      return FALSE;
    tag = p++;
    while (p < end && is_etagc ((guchar) * p))
      p++;
    if (p == end || *p != '"')
      return FALSE;
    p++;
    if ((gsize) (p - tag) == etag_len && memcmp (tag, etag, etag_len) == 0)
      return TRUE;
    while (p < end && is_ows (*p))
      p++;
    if (p < end && *p != ',')
      return FALSE;
  }
  return FALSE;
}
