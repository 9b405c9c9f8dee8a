/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Incremental RTSP wire parser for TCP-interleaved sessions (RFC 2326
 * §10.12, RFC 7826 §14): one byte stream carries RTSP responses, RTSP
 * requests sent by the server, and `$`-framed RTP/RTCP.
 *
 * In the style of picohttpparser: arcly_rtsp_wire_parse() looks at the bytes
 * buffered so far and says "one message of N bytes", "skip N junk bytes",
 * "need more" or "protocol error".  It keeps no state, allocates nothing and
 * does no I/O; the result points into the caller's buffer, valid until the
 * caller drops those bytes.  A message split across any number of reads is
 * simply parsed again when more bytes arrived.
 *
 * Tolerated, because cameras do it: header names in any case, whitespace
 * around names and values, bare LF line ends, stray CR/LF or junk bytes
 * between messages and frames (skipped up to the next `$`, "RTSP/1.0" or
 * request line).  Bounded: a line is at most ARCLY_RTSP_WIRE_MAX_LINE bytes,
 * a message has at most ARCLY_RTSP_WIRE_MAX_HEADERS headers and a body of at
 * most ARCLY_RTSP_WIRE_MAX_BODY bytes; anything beyond is an error.
 */

#ifndef __ARCLY_RTSP_WIRE_H__
#define __ARCLY_RTSP_WIRE_H__

#include <glib.h>

G_BEGIN_DECLS

#define ARCLY_RTSP_WIRE_MAX_LINE    4096
#define ARCLY_RTSP_WIRE_MAX_HEADERS 64
#define ARCLY_RTSP_WIRE_MAX_BODY    (64 * 1024)
/* `$` + channel + 16-bit length + payload */
#define ARCLY_RTSP_WIRE_MAX_FRAME   (4 + 65535)

typedef enum
{
  ARCLY_RTSP_WIRE_NEED_MORE = 0,  /* nothing consumed; feed more bytes */
  ARCLY_RTSP_WIRE_MESSAGE,        /* *consumed bytes form @msg */
  ARCLY_RTSP_WIRE_SKIP,           /* *consumed junk bytes to drop */
  ARCLY_RTSP_WIRE_ERROR,          /* unrecoverable: limits exceeded */
} ArclyRtspWireResult;

typedef enum
{
  ARCLY_RTSP_WIRE_KIND_RESPONSE = 1,
  ARCLY_RTSP_WIRE_KIND_REQUEST,
  ARCLY_RTSP_WIRE_KIND_FRAME,
} ArclyRtspWireKind;

typedef enum
{
  ARCLY_RTSP_WIRE_ERROR_NONE = 0,
  ARCLY_RTSP_WIRE_ERROR_LINE_TOO_LONG,
  ARCLY_RTSP_WIRE_ERROR_TOO_MANY_HEADERS,
  ARCLY_RTSP_WIRE_ERROR_BODY_TOO_LARGE,
  ARCLY_RTSP_WIRE_ERROR_BAD_CONTENT_LENGTH,
} ArclyRtspWireError;

/* A slice of the caller's buffer; not NUL-terminated. */
typedef struct
{
  const gchar *name;
  gsize name_len;
  const gchar *value;
  gsize value_len;
} ArclyRtspWireHeader;

typedef struct
{
  ArclyRtspWireKind kind;

  /* KIND_RESPONSE */
  guint status;                 /* 100..999 */
  const gchar *reason;
  gsize reason_len;

  /* KIND_REQUEST */
  const gchar *method;
  gsize method_len;
  const gchar *uri;
  gsize uri_len;

  /* RESPONSE and REQUEST */
  ArclyRtspWireHeader headers[ARCLY_RTSP_WIRE_MAX_HEADERS];
  guint n_headers;
  const guint8 *body;           /* NULL when empty */
  gsize body_len;

  /* KIND_FRAME */
  guint8 channel;
  const guint8 *data;
  gsize data_len;

  /* set with ARCLY_RTSP_WIRE_ERROR */
  ArclyRtspWireError error;
} ArclyRtspWireMessage;

/* Parses the start of @buf.  Always sets *consumed (0 unless MESSAGE or
 * SKIP).  @msg is filled for MESSAGE, and its error field for ERROR. */
ArclyRtspWireResult arcly_rtsp_wire_parse (const guint8 * buf, gsize len,
                                           ArclyRtspWireMessage * msg,
                                           gsize * consumed);

/* The first header named @name (case-insensitive), or NULL. */
const ArclyRtspWireHeader * arcly_rtsp_wire_find_header (
    const ArclyRtspWireMessage * msg, const gchar * name);

/* The first value of @name as a new string, or NULL. */
gchar *  arcly_rtsp_wire_dup_header (const ArclyRtspWireMessage * msg,
                                     const gchar * name);

/* Every value of @name, as a NULL-terminated strv (never NULL). */
gchar ** arcly_rtsp_wire_dup_headers (const ArclyRtspWireMessage * msg,
                                      const gchar * name);

/* The CSeq header as a number; -1 when absent or invalid. */
gint64   arcly_rtsp_wire_get_cseq (const ArclyRtspWireMessage * msg);

/* TRUE if the method of a request is @method (case-sensitive per RFC). */
gboolean arcly_rtsp_wire_method_is (const ArclyRtspWireMessage * msg,
                                    const gchar * method);

const gchar * arcly_rtsp_wire_error_to_string (ArclyRtspWireError error);

/* What bytes the parser skipped (ARCLY_RTSP_WIRE_SKIP) at the start of
 * @buf say about the peer, when they stand where a reply is expected. */
typedef enum
{
  ARCLY_RTSP_WIRE_JUNK_PLAIN = 0, /* stray bytes (cameras send some) */
  ARCLY_RTSP_WIRE_JUNK_HTTP,    /* "HTTP/<digit>": a web server answered */
  ARCLY_RTSP_WIRE_JUNK_OTHER_PROTOCOL, /* "NAME/<digit>" of another protocol */
  ARCLY_RTSP_WIRE_JUNK_BAD_STATUS_LINE, /* "RTSP/" and not a status line */
} ArclyRtspWireJunk;

ArclyRtspWireJunk arcly_rtsp_wire_classify_junk (const guint8 * buf,
                                                 gsize len);

G_END_DECLS

#endif
