/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * RTSP reply header parsers (Session, Transport, RTP-Info, base URL).
 * See rtspheaders.h.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "rtspheaders.h"
#include "rtspurl.h"

void
arcly_rtsp_session_header_clear (ArclyRtspSessionHeader * out)
{
  g_clear_pointer (&out->id, g_free);
  out->timeout = 0;
}

gboolean
arcly_rtsp_headers_parse_session (const gchar * value,
    ArclyRtspSessionHeader * out)
{
  gchar **parts;
  guint i;

  out->id = NULL;
  out->timeout = 0;
  if (value == NULL)
    return FALSE;
  parts = g_strsplit (value, ";", -1);
  if (parts[0] && *g_strstrip (parts[0]))
    out->id = g_strdup (parts[0]);
  for (i = 1; parts[0] && parts[i]; i++) {
    gchar *p = g_strstrip (parts[i]);

    if (g_ascii_strncasecmp (p, "timeout", 7) == 0) {
      gchar *eq = strchr (p, '=');
      guint64 to = eq ? g_ascii_strtoull (g_strstrip (eq + 1), NULL, 10) : 0;

      if (to >= 1 && to <= 3600)
        out->timeout = (guint) to;
    }
  }
  g_strfreev (parts);
  return out->id != NULL;
}

/* "N-M" or "N": RTP on N, RTCP on M (N+1 when M is absent or unusable). */
static gboolean
parse_interleaved (const gchar * val, ArclyRtspTransport * out)
{
  gchar *end = NULL;
  guint64 a = g_ascii_strtoull (val, &end, 10), b;

  if (end == val || a > 255)
    return FALSE;
  b = a + 1;
  if (end && *end == '-') {
    gchar *s2 = end + 1;

    b = g_ascii_strtoull (s2, &end, 10);
    if (end == s2 || b > 255)
      b = a + 1;
  }
  out->rtp_channel = (guint8) a;
  out->rtcp_channel = (guint8) MIN (b, 255);
  out->have_interleaved = TRUE;
  return TRUE;
}

gboolean
arcly_rtsp_headers_parse_transport (const gchar * value,
    ArclyRtspTransport * out)
{
  gchar **parts;
  guint i;

  memset (out, 0, sizeof (*out));
  if (value == NULL)
    return FALSE;
  parts = g_strsplit (value, ";", -1);
  for (i = 0; parts[i]; i++) {
    gchar *p = g_strstrip (parts[i]);
    gchar *eq = strchr (p, '=');
    gchar *key, *val;

    if (eq == NULL)
      continue;
    *eq = '\0';
    key = g_strstrip (p);
    val = g_strstrip (eq + 1);
    if (g_ascii_strcasecmp (key, "interleaved") == 0) {
      parse_interleaved (val, out);
    } else if (g_ascii_strcasecmp (key, "ssrc") == 0) {
      gchar *end = NULL;
      guint64 s = g_ascii_strtoull (val, &end, 16);

      if (end != val && s <= G_MAXUINT32) {
        out->ssrc = (guint32) s;
        out->have_ssrc = TRUE;
      }
    }
  }
  g_strfreev (parts);
  return out->have_interleaved || out->have_ssrc;
}

static void
rtp_info_clear (gpointer data)
{
  ArclyRtspRtpInfo *e = data;

  g_clear_pointer (&e->url, g_free);
}

/* Splits @s at @delim outside double quotes (RFC 7826 quotes RTP-Info
 * URLs, which may hold ',' and ';'); like g_strsplit, "" gives no piece. */
static gchar **
split_unquoted (const gchar * s, gchar delim)
{
  GPtrArray *out = g_ptr_array_new ();
  const gchar *start = s, *p;
  gboolean quoted = FALSE;

  if (*s != '\0') {
    for (p = s;; p++) {
      if (*p == '"')
        quoted = !quoted;
      if (*p == '\0' || (*p == delim && !quoted)) {
        g_ptr_array_add (out, g_strndup (start, p - start));
        if (*p == '\0')
          break;
        start = p + 1;
      }
    }
  }
  g_ptr_array_add (out, NULL);
  return (gchar **) g_ptr_array_free (out, FALSE);
}

/* @v without one pair of surrounding double quotes. */
static gchar *
unquote (const gchar * v)
{
  gsize n = strlen (v);

  if (n >= 2 && v[0] == '"' && v[n - 1] == '"')
    return g_strndup (v + 1, n - 2);
  return g_strdup (v);
}

GArray *
arcly_rtsp_headers_parse_rtp_info (const gchar * value)
{
  GArray *out;
  gchar **entries;
  guint i, k;

  if (value == NULL)
    return NULL;
  out = g_array_new (FALSE, TRUE, sizeof (ArclyRtspRtpInfo));
  g_array_set_clear_func (out, rtp_info_clear);
  entries = split_unquoted (value, ',');
  for (i = 0; entries[i]; i++) {
    gchar **params = split_unquoted (entries[i], ';');
    const gchar *url = NULL;
    ArclyRtspRtpInfo e = { NULL, FALSE, 0 };

    for (k = 0; params[k]; k++) {
      gchar *p = g_strstrip (params[k]);

      if (g_ascii_strncasecmp (p, "url=", 4) == 0) {
        url = p + 4;
      } else if (g_ascii_strncasecmp (p, "rtptime=", 8) == 0) {
        gchar *end = NULL;
        guint64 ts = g_ascii_strtoull (p + 8, &end, 10);

        e.have_rtptime = end != p + 8 && ts <= G_MAXUINT32;
        e.rtptime = e.have_rtptime ? (guint32) ts : 0;
      }
    }
    e.url = url ? unquote (url) : NULL;
    g_array_append_val (out, e);
    g_strfreev (params);
  }
  g_strfreev (entries);
  return out;
}

gboolean
arcly_rtsp_headers_rtp_info_matches (const gchar * url,
    const gchar * control_url, const gchar * sdp_control)
{
  if (url == NULL)
    return FALSE;
  return g_strcmp0 (control_url, url) == 0 || (sdp_control && *sdp_control
      && g_str_has_suffix (url, sdp_control));
}

gchar *
arcly_rtsp_headers_base_url (const gchar * content_base,
    const gchar * content_location, const gchar * fallback)
{
  const gchar *base = content_base;

  if (base == NULL || *base == '\0')
    base = content_location;
  if (base == NULL || *base == '\0' || !g_str_has_prefix (base, "rtsp"))
    return g_strdup (fallback);
  /* the Digest uri and every request line stay free of credentials even
   * when the camera echoes them in Content-Base */
  return arcly_rtsp_url_redact (base);
}
