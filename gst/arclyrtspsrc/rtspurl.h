/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * rtsp:// URL splitting, credential extraction and redaction, and control
 * URL resolution (RFC 2326 §C.1.1).  Pure code: no GStreamer element code,
 * no I/O.  Credentials taken out of a URL are percent-decoded; every URL this
 * module returns for display has its userinfo removed.
 */

#ifndef __ARCLY_RTSP_URL_H__
#define __ARCLY_RTSP_URL_H__

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  gchar *scheme;      /* "rtsp" or "rtsps" (lower case) */
  gchar *host;        /* without brackets for IPv6 literals */
  guint16 port;       /* 554 when absent (322 for rtsps) */
  gchar *path;        /* absolute path + query, at least "/" */
  gchar *user;        /* percent-decoded, NULL when absent */
  gchar *password;    /* percent-decoded, NULL when absent */
} ArclyRtspUrl;

/* Parses @url; on failure returns FALSE with a G_URI_ERROR whose message
 * never contains the credentials (nor the URL).  The userinfo ends at the
 * last '@' before the first '/', '?' or '#', so a raw '@' or ':' in a
 * password works; '/', '?' and '#' in a password must be percent-encoded.
 * URLs with spaces or control characters, or over 4 KiB, are refused. */
gboolean arcly_rtsp_url_parse (const gchar * url, ArclyRtspUrl * out,
                               GError ** error);
void     arcly_rtsp_url_clear (ArclyRtspUrl * url);

/* "rtsp://host:port/path" — the request URI, never with userinfo
 * (IPv6 hosts in brackets; the port always written). */
gchar *  arcly_rtsp_url_to_request_uri (const ArclyRtspUrl * url);

/* Any string that may hold a URL with userinfo → the same text with every
 * "scheme://user:pass@" turned into "scheme://" (for logs and messages).
 * Greedy on purpose: everything up to the last '@' before the end of the
 * URL in the text (whitespace, quotes, '<', '>') goes, so a password typed
 * with a raw '/', '?' or '@' is still hidden. */
gchar *  arcly_rtsp_url_redact (const gchar * text);

/* Resolves an SDP a=control value against @base (Content-Base,
 * Content-Location or the request URI, in that order of preference):
 * "*", empty or NULL → @base; an absolute URL → itself; otherwise relative
 * per RFC 3986 with the base treated as a directory (a '/' is inserted
 * when missing, as cameras expect) and dot segments removed.  A query in
 * @base stays after the path ("rtsp://cam/live?ch=1" + "track1" →
 * "rtsp://cam/live/track1?ch=1") unless the control has its own, or the
 * base query ends with '/', which means plain concatenation as live555 and
 * FFmpeg do ("rtsp://cam/live?ch=1/track1").  The result never carries
 * userinfo (credentials in a Content-Base are dropped).  Returns NULL when
 * @base is needed but is NULL or not a URL, or when the result would hold
 * spaces or control characters (it goes on a request line) or exceed 4 KiB.
 *
 * Note: arcly_rtsp_url_redact() is deliberately greedy (it hides anything up
 * to the last '@' of a URL); do not pass the result through it before
 * sending, a path holding '@' would lose its host. */
gchar *  arcly_rtsp_url_resolve_control (const gchar * base,
                                         const gchar * control);

/* Resolves the Location of a 3xx reply against @request_uri (the URL the
 * request went to, RFC 2326 §12.25 / RFC 3986 §5.2): an absolute URL is
 * returned as given (its userinfo kept: credentials the server hands out
 * for the new place), "//host/p" takes the scheme of the request, "/p" its
 * scheme and authority, anything else replaces the last path segment, dot
 * segments removed; a fragment is dropped.  NULL when @location is NULL or
 * empty, holds spaces or control characters, is absolute with a scheme
 * other than rtsp or rtsps, goes from rtsps:// to rtsp:// (TLS is never
 * dropped by a redirect; rtsp:// to rtsps:// is followed), is relative to
 * a @request_uri that is not rtsp(s)://, or the result exceeds 4 KiB. */
gchar *  arcly_rtsp_url_resolve_location (const gchar * request_uri,
                                          const gchar * location);

G_END_DECLS

#endif
