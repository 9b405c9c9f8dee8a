/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Incremental RTSP wire parser; see rtspwire.h.
 *
 * The byte stream of a TCP-interleaved session (RFC 2326 §10.12):
 *
 *   +-----+---------+-----------------+-------------------+
 *   | '$' | channel | length (16, BE) | length bytes ...  |   RTP / RTCP
 *   +-----+---------+-----------------+-------------------+
 *   "RTSP/1.0 200 OK\r\n" headers "\r\n" [body]                response
 *   "OPTIONS rtsp://... RTSP/1.0\r\n" headers "\r\n" [body]    request
 *
 * Everything else between those units is junk that real cameras emit (a
 * stray CRLF after a frame, a few padding bytes): it is skipped up to the
 * next byte that may start a unit.  A text unit is only accepted once its
 * whole start line matches the grammar, so junk that happens to start with
 * a capital letter is rejected at its first impossible byte.
 */

#include "rtspwire.h"

#include <string.h>

/* The whole header section (start line + headers) of one message; bounds
 * the work of re-parsing a message that trickles in a byte at a time. */
#define MAX_HEAD_BYTES (16 * 1024)
#define MAX_METHOD_LEN 32

typedef enum
{
  SCAN_BAD,                     /* not a start line of this kind */
  SCAN_PREFIX,                  /* a valid prefix; no line end yet */
  SCAN_LINE,                    /* a complete, valid start line */
} ScanResult;

static inline gboolean
is_ws (guint8 c)
{
  return c == ' ' || c == '\t';
}

static inline gboolean
is_digit (guint8 c)
{
  return c >= '0' && c <= '9';
}

static inline gboolean
is_upper (guint8 c)
{
  return c >= 'A' && c <= 'Z';
}

/* "RTSP/" 1*(DIGIT / ".") at @p[*i]; advances *i.  Returns SCAN_LINE when
 * the version is complete (followed by another byte), SCAN_PREFIX when the
 * buffer ends inside it. */
static ScanResult
scan_version (const guint8 * p, gsize len, gsize * i)
{
  static const gchar prefix[] = "RTSP/";
  gsize k, start;

  for (k = 0; k < 5; k++, (*i)++) {
    if (*i >= len)
      return SCAN_PREFIX;
    if (p[*i] != (guint8) prefix[k])
      return SCAN_BAD;
  }
  start = *i;
  while (*i < len && (is_digit (p[*i]) || p[*i] == '.'))
    (*i)++;
  if (*i >= len)
    return SCAN_PREFIX;
  return *i > start ? SCAN_LINE : SCAN_BAD;
}

/* Optional trailing blanks, then CR LF or LF.  *i ends after the LF. */
static ScanResult
scan_eol (const guint8 * p, gsize len, gsize * i)
{
  while (*i < len && is_ws (p[*i]))
    (*i)++;
  if (*i < len && p[*i] == '\r')
    (*i)++;
  if (*i >= len)
    return SCAN_PREFIX;
  if (p[*i] != '\n')
    return SCAN_BAD;
  (*i)++;
  return SCAN_LINE;
}

/* Status-Line = RTSP-Version SP Status-Code [SP Reason-Phrase] CRLF */
static ScanResult
scan_status_line (const guint8 * p, gsize len, gsize * eol,
    ArclyRtspWireMessage * msg)
{
  gsize i = 0, n, reason_start, reason_end;
  ScanResult r;
  guint status = 0;

  r = scan_version (p, len, &i);
  if (r != SCAN_LINE)
    return r;
  if (!is_ws (p[i]))
    return SCAN_BAD;
  while (i < len && is_ws (p[i]))
    i++;
  for (n = 0; n < 3; n++, i++) {
    if (i >= len)
      return SCAN_PREFIX;
    if (!is_digit (p[i]))
      return SCAN_BAD;
    status = status * 10 + (p[i] - '0');
  }
  if (i >= len)
    return SCAN_PREFIX;
  if (!is_ws (p[i]) && p[i] != '\r' && p[i] != '\n')
    return SCAN_BAD;
  while (i < len && is_ws (p[i]))
    i++;
  reason_start = reason_end = i;
  for (; i < len; i++) {
    guint8 c = p[i];

    if (c == '\r' || c == '\n')
      break;
    if (c < 0x20 && c != '\t')
      return SCAN_BAD;
    if (c == 0x7f)
      return SCAN_BAD;
    if (!is_ws (c))
      reason_end = i + 1;
  }
  r = scan_eol (p, len, &i);
  if (r != SCAN_LINE)
    return r;
  if (status < 100)
    return SCAN_BAD;
  *eol = i;
  msg->kind = ARCLY_RTSP_WIRE_KIND_RESPONSE;
  msg->status = status;
  msg->reason = (const gchar *) p + reason_start;
  msg->reason_len = reason_end - reason_start;
  return SCAN_LINE;
}

/* Request-Line = Method SP Request-URI SP RTSP-Version CRLF */
static ScanResult
scan_request_line (const guint8 * p, gsize len, gsize * eol,
    ArclyRtspWireMessage * msg)
{
  gsize i = 0, uri_start;
  ScanResult r;

  if (len == 0)
    return SCAN_PREFIX;
  if (!is_upper (p[0]))
    return SCAN_BAD;
  while (i < len && (is_upper (p[i]) || is_digit (p[i]) || p[i] == '_'
          || p[i] == '-')) {
    if (++i > MAX_METHOD_LEN)
      return SCAN_BAD;
  }
  if (i >= len)
    return SCAN_PREFIX;
  if (p[i] != ' ')
    return SCAN_BAD;
  msg->method = (const gchar *) p;
  msg->method_len = i;
  while (i < len && p[i] == ' ')
    i++;
  uri_start = i;
  while (i < len && p[i] > 0x20 && p[i] != 0x7f)
    i++;
  if (i >= len)
    return SCAN_PREFIX;
  if (i == uri_start || p[i] != ' ')
    return SCAN_BAD;
  msg->uri = (const gchar *) p + uri_start;
  msg->uri_len = i - uri_start;
  while (i < len && p[i] == ' ')
    i++;
  if (i >= len)
    return SCAN_PREFIX;
  r = scan_version (p, len, &i);
  if (r != SCAN_LINE)
    return r;
  r = scan_eol (p, len, &i);
  if (r != SCAN_LINE)
    return r;
  *eol = i;
  msg->kind = ARCLY_RTSP_WIRE_KIND_REQUEST;
  return SCAN_LINE;
}

/* Bytes to skip from @p[0], a byte that cannot start a unit: up to the next
 * byte that may ('$' or a capital letter; CR/LF are junk too). */
static gsize
junk_length (const guint8 * p, gsize len)
{
  gsize i;

  for (i = 1; i < len; i++) {
    if (p[i] == '$' || is_upper (p[i]))
      break;
  }
  return i;
}

static gboolean
name_equal (const gchar * a, gsize a_len, const gchar * b)
{
  gsize b_len = strlen (b);

  return a_len == b_len && g_ascii_strncasecmp (a, b, a_len) == 0;
}

/* Header lines after the start line.  Returns NEED_MORE, ERROR (msg->error
 * set) or MESSAGE with *head_len = offset of the body. */
static ArclyRtspWireResult
parse_headers (const guint8 * p, gsize len, gsize start,
    ArclyRtspWireMessage * msg, gsize * head_len)
{
  gsize pos = start;
  guint n_lines = 0;

  for (;;) {
    const guint8 *lf;
    gsize avail = len - pos, line_len, colon, k;
    const guint8 *line = p + pos;
    gsize name_s, name_e, val_s, val_e;

    if (pos > MAX_HEAD_BYTES) {
      msg->error = ARCLY_RTSP_WIRE_ERROR_LINE_TOO_LONG;
      return ARCLY_RTSP_WIRE_ERROR;
    }
    lf = memchr (line, '\n', MIN (avail, (gsize) ARCLY_RTSP_WIRE_MAX_LINE));
    if (lf == NULL) {
      if (avail >= ARCLY_RTSP_WIRE_MAX_LINE || pos + avail > MAX_HEAD_BYTES) {
        msg->error = ARCLY_RTSP_WIRE_ERROR_LINE_TOO_LONG;
        return ARCLY_RTSP_WIRE_ERROR;
      }
      return ARCLY_RTSP_WIRE_NEED_MORE;
    }
    line_len = (gsize) (lf - line);
    pos += line_len + 1;
    if (line_len > 0 && line[line_len - 1] == '\r')
      line_len--;
    if (line_len == 0)
      break;                    /* end of the header section */

    if (++n_lines > ARCLY_RTSP_WIRE_MAX_HEADERS * 2) {
      msg->error = ARCLY_RTSP_WIRE_ERROR_TOO_MANY_HEADERS;
      return ARCLY_RTSP_WIRE_ERROR;
    }
    /* Obsolete line folding and lines without a colon: ignored. */
    if (is_ws (line[0]))
      continue;
    for (colon = 0; colon < line_len && line[colon] != ':'; colon++);
    if (colon == line_len)
      continue;
    name_s = 0;
    name_e = colon;
    while (name_e > name_s && is_ws (line[name_e - 1]))
      name_e--;
    if (name_e == name_s)
      continue;
    val_s = colon + 1;
    val_e = line_len;
    while (val_s < val_e && is_ws (line[val_s]))
      val_s++;
    while (val_e > val_s && is_ws (line[val_e - 1]))
      val_e--;
    if (msg->n_headers >= ARCLY_RTSP_WIRE_MAX_HEADERS) {
      msg->error = ARCLY_RTSP_WIRE_ERROR_TOO_MANY_HEADERS;
      return ARCLY_RTSP_WIRE_ERROR;
    }
    k = msg->n_headers++;
    msg->headers[k].name = (const gchar *) line + name_s;
    msg->headers[k].name_len = name_e - name_s;
    msg->headers[k].value = (const gchar *) line + val_s;
    msg->headers[k].value_len = val_e - val_s;
  }
  *head_len = pos;
  return ARCLY_RTSP_WIRE_MESSAGE;
}

/* Content-Length, 0 when absent. */
static ArclyRtspWireResult
content_length (ArclyRtspWireMessage * msg, gsize * body_len)
{
  const ArclyRtspWireHeader *h;
  guint64 v = 0;
  gsize i;

  *body_len = 0;
  h = arcly_rtsp_wire_find_header (msg, "Content-Length");
  if (h == NULL)
    return ARCLY_RTSP_WIRE_MESSAGE;
  if (h->value_len == 0) {
    msg->error = ARCLY_RTSP_WIRE_ERROR_BAD_CONTENT_LENGTH;
    return ARCLY_RTSP_WIRE_ERROR;
  }
  for (i = 0; i < h->value_len; i++) {
    guint8 c = (guint8) h->value[i];

    if (!is_digit (c)) {
      msg->error = ARCLY_RTSP_WIRE_ERROR_BAD_CONTENT_LENGTH;
      return ARCLY_RTSP_WIRE_ERROR;
    }
    v = v * 10 + (c - '0');
    if (v > ARCLY_RTSP_WIRE_MAX_BODY) {
      msg->error = ARCLY_RTSP_WIRE_ERROR_BODY_TOO_LARGE;
      return ARCLY_RTSP_WIRE_ERROR;
    }
  }
  *body_len = (gsize) v;
  return ARCLY_RTSP_WIRE_MESSAGE;
}

static ArclyRtspWireResult
parse_text (const guint8 * buf, gsize len, ArclyRtspWireMessage * msg,
    gsize * consumed)
{
  ScanResult rs, rq;
  gsize eol = 0, head_len = 0, body_len = 0;
  ArclyRtspWireResult r;

  rs = scan_status_line (buf, len, &eol, msg);
  rq = SCAN_BAD;
  if (rs != SCAN_LINE) {
    rq = scan_request_line (buf, len, &eol, msg);
  }
  if (rs != SCAN_LINE && rq != SCAN_LINE) {
    if (rs == SCAN_PREFIX || rq == SCAN_PREFIX) {
      if (len >= ARCLY_RTSP_WIRE_MAX_LINE) {
        msg->error = ARCLY_RTSP_WIRE_ERROR_LINE_TOO_LONG;
        return ARCLY_RTSP_WIRE_ERROR;
      }
      return ARCLY_RTSP_WIRE_NEED_MORE;
    }
    *consumed = junk_length (buf, len);
    return ARCLY_RTSP_WIRE_SKIP;
  }
  if (eol > ARCLY_RTSP_WIRE_MAX_LINE) {
    msg->error = ARCLY_RTSP_WIRE_ERROR_LINE_TOO_LONG;
    return ARCLY_RTSP_WIRE_ERROR;
  }

  r = parse_headers (buf, len, eol, msg, &head_len);
  if (r != ARCLY_RTSP_WIRE_MESSAGE)
    return r;
  r = content_length (msg, &body_len);
  if (r != ARCLY_RTSP_WIRE_MESSAGE)
    return r;
  if (len - head_len < body_len)
    return ARCLY_RTSP_WIRE_NEED_MORE;
  msg->body = body_len ? buf + head_len : NULL;
  msg->body_len = body_len;
  *consumed = head_len + body_len;
  return ARCLY_RTSP_WIRE_MESSAGE;
}

ArclyRtspWireResult
arcly_rtsp_wire_parse (const guint8 * buf, gsize len,
    ArclyRtspWireMessage * msg, gsize * consumed)
{
  ArclyRtspWireResult r;

  g_return_val_if_fail (msg != NULL && consumed != NULL,
      ARCLY_RTSP_WIRE_ERROR);

  *consumed = 0;
  memset (msg, 0, sizeof (*msg));
  if (len == 0 || buf == NULL)
    return ARCLY_RTSP_WIRE_NEED_MORE;

  if (buf[0] == '$') {
    gsize n;

    if (len < 4)
      return ARCLY_RTSP_WIRE_NEED_MORE;
    n = ((gsize) buf[2] << 8) | buf[3];
    if (len - 4 < n)
      return ARCLY_RTSP_WIRE_NEED_MORE;
    msg->kind = ARCLY_RTSP_WIRE_KIND_FRAME;
    msg->channel = buf[1];
    msg->data = buf + 4;
    msg->data_len = n;
    *consumed = 4 + n;
    return ARCLY_RTSP_WIRE_MESSAGE;
  }

  if (!is_upper (buf[0])) {
    *consumed = junk_length (buf, len);
    return ARCLY_RTSP_WIRE_SKIP;
  }

  r = parse_text (buf, len, msg, consumed);
  if (r != ARCLY_RTSP_WIRE_MESSAGE && r != ARCLY_RTSP_WIRE_SKIP) {
    ArclyRtspWireError e = msg->error;

    memset (msg, 0, sizeof (*msg));
    msg->error = e;
    *consumed = 0;
  }
  return r;
}

const ArclyRtspWireHeader *
arcly_rtsp_wire_find_header (const ArclyRtspWireMessage * msg,
    const gchar * name)
{
  guint i;

  g_return_val_if_fail (msg != NULL && name != NULL, NULL);

  for (i = 0; i < msg->n_headers; i++) {
    if (name_equal (msg->headers[i].name, msg->headers[i].name_len, name))
      return &msg->headers[i];
  }
  return NULL;
}

gchar *
arcly_rtsp_wire_dup_header (const ArclyRtspWireMessage * msg,
    const gchar * name)
{
  const ArclyRtspWireHeader *h = arcly_rtsp_wire_find_header (msg, name);

  return h ? g_strndup (h->value, h->value_len) : NULL;
}

gchar **
arcly_rtsp_wire_dup_headers (const ArclyRtspWireMessage * msg,
    const gchar * name)
{
  GPtrArray *arr = g_ptr_array_new ();
  guint i;

  for (i = 0; i < msg->n_headers; i++) {
    if (name_equal (msg->headers[i].name, msg->headers[i].name_len, name))
      g_ptr_array_add (arr, g_strndup (msg->headers[i].value,
              msg->headers[i].value_len));
  }
  g_ptr_array_add (arr, NULL);
  return (gchar **) g_ptr_array_free (arr, FALSE);
}

gint64
arcly_rtsp_wire_get_cseq (const ArclyRtspWireMessage * msg)
{
  const ArclyRtspWireHeader *h = arcly_rtsp_wire_find_header (msg, "CSeq");
  gint64 v = 0;
  gsize i;

  if (h == NULL || h->value_len == 0 || h->value_len > 10)
    return -1;
  for (i = 0; i < h->value_len; i++) {
    if (!is_digit ((guint8) h->value[i]))
      return -1;
    v = v * 10 + (h->value[i] - '0');
  }
  return v;
}

gboolean
arcly_rtsp_wire_method_is (const ArclyRtspWireMessage * msg,
    const gchar * method)
{
  return msg->kind == ARCLY_RTSP_WIRE_KIND_REQUEST
      && msg->method_len == strlen (method)
      && memcmp (msg->method, method, msg->method_len) == 0;
}

const gchar *
arcly_rtsp_wire_error_to_string (ArclyRtspWireError error)
{
  switch (error) {
    case ARCLY_RTSP_WIRE_ERROR_NONE:
      return "no error";
    case ARCLY_RTSP_WIRE_ERROR_LINE_TOO_LONG:
      return "line or header section too long";
    case ARCLY_RTSP_WIRE_ERROR_TOO_MANY_HEADERS:
      return "too many headers";
    case ARCLY_RTSP_WIRE_ERROR_BODY_TOO_LARGE:
      return "body too large";
    case ARCLY_RTSP_WIRE_ERROR_BAD_CONTENT_LENGTH:
      return "invalid Content-Length";
  }
  return "unknown error";
}

/* A status line of another protocol is "NAME/" DIGIT (HTTP/1.1, SIP/2.0,
 * RTSP/1.0 itself): a short upper-case token, a slash, a digit.  Anything
 * else is the junk real cameras emit between units, which says nothing. */
ArclyRtspWireJunk
arcly_rtsp_wire_classify_junk (const guint8 * buf, gsize len)
{
  gsize i;

  if (buf == NULL)
    return ARCLY_RTSP_WIRE_JUNK_PLAIN;
  for (i = 0; i < len && i <= 16 && is_upper (buf[i]); i++);
  if (i < 2 || i > 16 || i + 1 >= len || buf[i] != '/'
      || !is_digit (buf[i + 1]))
    return ARCLY_RTSP_WIRE_JUNK_PLAIN;
  if (i == 4 && memcmp (buf, "HTTP", 4) == 0)
    return ARCLY_RTSP_WIRE_JUNK_HTTP;
  if (i == 4 && memcmp (buf, "RTSP", 4) == 0)
    return ARCLY_RTSP_WIRE_JUNK_BAD_STATUS_LINE;
  return ARCLY_RTSP_WIRE_JUNK_OTHER_PROTOCOL;
}
