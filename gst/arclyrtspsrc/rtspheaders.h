/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Parsers for the RTSP reply headers the client acts on: Session (RFC 2326
 * §12.37), Transport (§12.39) of a SETUP reply, RTP-Info (§12.33) of a PLAY
 * reply, and the choice of the base URL of a DESCRIBE reply (§C.1.1).
 * Pure code: each takes the header value as a NUL-terminated string (NULL
 * when the header is absent) and fills a plain struct; no element, no I/O,
 * no locks.  The values come from the network: anything malformed is
 * skipped, never an error, because cameras send a lot of it.
 */

#ifndef __ARCLY_RTSP_HEADERS_H__
#define __ARCLY_RTSP_HEADERS_H__

#include <glib.h>

G_BEGIN_DECLS

/* "Session: 1234abcd;timeout=20" */
typedef struct
{
  gchar *id;          /* the session id, stripped; NULL when empty */
  guint timeout;      /* seconds, 1..3600; 0 when absent or out of range */
} ArclyRtspSessionHeader;

/* Fills @out (always cleared first).  The id is what precedes the first ';'.
 * A parameter whose name starts with "timeout" (any case) gives the
 * timeout; the last one in 1..3600 wins.  Returns TRUE when an id was
 * found.  Free @out with arcly_rtsp_session_header_clear(). */
gboolean arcly_rtsp_headers_parse_session (const gchar * value,
                                           ArclyRtspSessionHeader * out);
void     arcly_rtsp_session_header_clear (ArclyRtspSessionHeader * out);

/* "Transport: RTP/AVP/TCP;unicast;interleaved=0-1;ssrc=1A2B3C4D" */
typedef struct
{
  gboolean have_interleaved;
  guint8 rtp_channel;
  guint8 rtcp_channel;
  gboolean have_ssrc;
  guint32 ssrc;
} ArclyRtspTransport;

/* Fills @out (always cleared first).  The value is split at every ';'
 * only (a ',' between several transports is not special), names are
 * compared in any case and spaces around names and values are ignored
 * ("ssrc=     D93FF").  interleaved=N-M gives channels N and M;
 * interleaved=N, or an unusable M, gives N and N+1 (255 at most); N over
 * 255 is skipped.  ssrc is hex, up to 32 bits.  For each field the last
 * usable one wins.  Returns TRUE when interleaved or ssrc was found. */
gboolean arcly_rtsp_headers_parse_transport (const gchar * value,
                                             ArclyRtspTransport * out);

/* One entry of "RTP-Info: url=...;seq=N;rtptime=T, url=..." */
typedef struct
{
  gchar *url;             /* NULL when the entry has no url= */
  gboolean have_rtptime;
  guint32 rtptime;
} ArclyRtspRtpInfo;

/* The entries of an RTP-Info value, split at every ',' (so a URL holding
 * a ',' is cut there, quoted or not) and each at every ';'.  For url= and
 * rtptime= the last occurrence in an entry wins; an rtptime that is not a
 * decimal number up to 32 bits leaves have_rtptime FALSE.  Returns a
 * GArray of ArclyRtspRtpInfo that frees the urls itself, one element per
 * entry (possibly empty), or NULL when @value is NULL. */
GArray * arcly_rtsp_headers_parse_rtp_info (const gchar * value);

/* Whether an RTP-Info @url names the track whose resolved control URL is
 * @control_url and whose SDP a=control is @sdp_control: equal to the
 * former, or ending with the latter when it is not empty. */
gboolean arcly_rtsp_headers_rtp_info_matches (const gchar * url,
                                              const gchar * control_url,
                                              const gchar * sdp_control);

/* The base URL of a DESCRIBE reply: @content_base, or when NULL or empty
 * @content_location; when that is NULL, empty or does not start with
 * "rtsp", a copy of @fallback (the request URI).  The result never holds
 * credentials, even when the camera echoes them in Content-Base. */
gchar *  arcly_rtsp_headers_base_url (const gchar * content_base,
                                      const gchar * content_location,
                                      const gchar * fallback);

G_END_DECLS

#endif
