/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The RTSP session of arclyrtspsrc (see rtspclient.h): requests and their
 * replies, the input loop, OPTIONS → DESCRIBE → SETUP → PLAY, keep-alive,
 * TEARDOWN, redirects, and the errors that end it.  What arrives in `$`
 * frames is handled in rtspclientmedia.c; the socket and the input buffer
 * are in rtspconn.c; messages and `$` frames are parsed by rtspwire.c.
 *
 * ## Threads and locks
 * One thread runs arcly_rtsp_client_run() and owns everything but:
 *  - `lock`: the control flags (stopping, playing), the track list, the
 *    tracks' counters and the read count; never held across a callback or a socket call.
 * The cancellables are set in configure() (no run going) and only
 * cancelled by other threads.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "rtspclient-private.h"
#include "rtspheaders.h"
#include "rtspurl.h"

GST_DEBUG_CATEGORY (arcly_rtsp_client_debug);
GST_DEBUG_CATEGORY (arcly_rtsp_client_dataflow);
#define GST_CAT_DEFAULT arcly_rtsp_client_debug

/* Granularity of the waits: the flags are checked this often. */
#define WAIT_SLICE_US (100 * G_TIME_SPAN_MILLISECOND)
/* RTCP receiver reports: cameras expect one at least every 5 s. */
#define RR_INTERVAL_US (2 * G_TIME_SPAN_SECOND)
#define DEFAULT_SESSION_TIMEOUT 60

static gint64
ms_to_us (guint ms)
{
  return (gint64) ms * G_TIME_SPAN_MILLISECOND;
}

static void
notify_state (ArclyRtspClient * self, ArclyRtspClientState state)
{
  if (self->cb.state)
    self->cb.state (self, state, self->user_data);
}

/* The session failed for good: tells the owner. */
static void
fail (ArclyRtspClient * self, GQuark domain, gint code, guint status,
    const gchar * text, const gchar * format, ...) G_GNUC_PRINTF (6, 7);

static void
fail (ArclyRtspClient * self, GQuark domain, gint code, guint status,
    const gchar * text, const gchar * format, ...)
{
  va_list args;
  gchar *debug;

  va_start (args, format);
  debug = g_strdup_vprintf (format, args);
  va_end (args);
  if (self->cb.error)
    self->cb.error (self, domain, code, status, text, debug,
        self->user_data);
  g_free (debug);
}

static void
response_free (Response * r)
{
  if (r) {
    g_free (r->raw);
    g_free (r->reason);
    g_free (r);
  }
}

static gboolean
is_stopping (ArclyRtspClient * self)
{
  gboolean s;

  g_mutex_lock (&self->lock);
  s = self->stopping;
  g_mutex_unlock (&self->lock);
  return s;
}

/* ------------------------------------------------------------------ */
/* socket I/O (rtspconn.c), cancellable by stop() */

static void
close_connection (ArclyRtspClient * self)
{
  arcly_rtsp_conn_close (&self->io);
}

gboolean
arcly_rtsp_client_send_all (ArclyRtspClient * self, const guint8 * data,
    gsize len, GError ** error)
{
  return arcly_rtsp_conn_send (&self->io, data, len, self->cancellable,
      error);
}

/* Waits up to @timeout_us for data and appends what arrives to the input
 * buffer, not before @not_before (monotonic µs, 0 = at once; see
 * arcly_rtsp_conn_read()).  Returns >0 bytes read, 0 on timeout or
 * wake-up, -1 on error or EOF (@error set). */
static gssize
read_some (ArclyRtspClient * self, gint64 timeout_us, gint64 not_before,
    GError ** error)
{
  gssize n = arcly_rtsp_conn_read (&self->io, timeout_us, not_before,
      self->wake, self->cancellable, error);

  if (n > 0) {
    GST_CAT_LOG_OBJECT (arcly_rtsp_client_dataflow, self->log_obj, "read %"
        G_GSSIZE_FORMAT " bytes", n);
    g_mutex_lock (&self->lock);
    self->reads++;
    g_mutex_unlock (&self->lock);
  }
  return n;
}

/* ------------------------------------------------------------------ */
/* requests */

static gchar *
build_request (ArclyRtspClient * self, const gchar * method,
    const gchar * uri, const gchar * extra, guint cseq)
{
  GString *s = g_string_new (NULL);

  g_string_append_printf (s, "%s %s RTSP/1.0\r\nCSeq: %u\r\nUser-Agent: %s\r\n",
      method, uri, cseq, self->ua);
  if (self->session_id)
    g_string_append_printf (s, "Session: %s\r\n", self->session_id);
  if (self->auth && arcly_auth_session_active (self->auth) && self->user) {
    gchar *a = arcly_auth_session_authorization (self->auth, method, uri,
        self->user, self->password ? self->password : "");

    if (a)
      g_string_append_printf (s, "Authorization: %s\r\n", a);
    g_free (a);
  }
  if (extra)
    g_string_append (s, extra);
  g_string_append (s, "\r\n");
  return g_string_free (s, FALSE);
}

static gboolean
send_request (ArclyRtspClient * self, const gchar * method, const gchar * uri,
    const gchar * extra, guint * cseq_out, GError ** error)
{
  guint cseq = ++self->cseq;
  gchar *req = build_request (self, method, uri, extra, cseq);
  gboolean ok;

  /* the URI never carries credentials; the Authorization header is not
   * logged */
  GST_DEBUG_OBJECT (self->log_obj, "> %s %s (CSeq %u)", method, uri, cseq);
  ok = arcly_rtsp_client_send_all (self, (const guint8 *) req, strlen (req), error);
  g_free (req);
  if (cseq_out)
    *cseq_out = cseq;
  return ok;
}

/* Answers a request the server sent us (RFC 2326 §10: servers may send
 * OPTIONS, GET_PARAMETER, SET_PARAMETER, ANNOUNCE...). */
static void
answer_server_request (ArclyRtspClient * self, const ArclyRtspWireMessage * m)
{
  gint64 cseq = arcly_rtsp_wire_get_cseq (m);
  guint code = 200;
  const gchar *reason = "OK";
  GString *s;
  GError *err = NULL;

  {
    /* GStreamer's printf reads %.*s arguments up to a NUL: copy */
    gchar *method = g_strndup (m->method, m->method_len);

    GST_DEBUG_OBJECT (self->log_obj, "server request %s", method);
    g_free (method);
  }
  if (arcly_rtsp_wire_method_is (m, "OPTIONS")
      || arcly_rtsp_wire_method_is (m, "GET_PARAMETER")) {
    /* 200 */
  } else if (arcly_rtsp_wire_method_is (m, "SET_PARAMETER")) {
    /* we have no parameters to set */
    if (m->body_len > 0) {
      code = 551;
      reason = "Option not supported";
    }
  } else {
    code = 551;
    reason = "Option not supported";
  }
  s = g_string_new (NULL);
  g_string_append_printf (s, "RTSP/1.0 %u %s\r\n", code, reason);
  if (cseq >= 0)
    g_string_append_printf (s, "CSeq: %" G_GINT64_FORMAT "\r\n", cseq);
  if (self->session_id)
    g_string_append_printf (s, "Session: %s\r\n", self->session_id);
  if (arcly_rtsp_wire_method_is (m, "OPTIONS"))
    g_string_append (s, "Public: OPTIONS, GET_PARAMETER, SET_PARAMETER\r\n");
  g_string_append_printf (s, "User-Agent: %s\r\n\r\n", self->ua);
  if (!arcly_rtsp_client_send_all (self, (const guint8 *) s->str, s->len, &err)) {
    GST_DEBUG_OBJECT (self->log_obj, "answering server request: %s", err->message);
    g_clear_error (&err);
  }
  g_string_free (s, TRUE);
}

/* ------------------------------------------------------------------ */
/* the input loop */

typedef enum
{
  PROC_OK,
  PROC_GOT_RESPONSE,
  PROC_ERROR,                   /* protocol error, *error set */
  PROC_FLOW,                    /* downstream flow stops us, *flow set */
} ProcResult;

static gboolean send_keepalive (ArclyRtspClient * self, GError ** error);

/* Keep-alive replies arrive while streaming and are not waited for. */
static void
on_keepalive_response (ArclyRtspClient * self, const ArclyRtspWireMessage * m)
{
  gboolean resend = FALSE;
  GError *err = NULL;

  self->ka_cseq = -1;
  if (m->status == 401) {
    /* typically a Digest nonce that expired (stale=true): renew it and
     * send the keep-alive again, or the session times out */
    gchar **values = arcly_rtsp_wire_dup_headers (m, "WWW-Authenticate");

    resend = self->user != NULL && values[0] != NULL &&
        arcly_auth_session_challenge (self->auth,
        (const gchar * const *) values, g_strv_length (values));
    g_strfreev (values);
    if (!resend)
      GST_WARNING_OBJECT (self->log_obj, "keep-alive refused: 401");
  } else if (m->status >= 300 && self->ka_get_parameter) {
    GST_INFO_OBJECT (self->log_obj, "GET_PARAMETER answered %u, keep-alive with "
        "OPTIONS from now on", m->status);
    self->use_get_parameter = FALSE;
    resend = TRUE;
  }
  if (resend && !send_keepalive (self, &err)) {
    GST_DEBUG_OBJECT (self->log_obj, "keep-alive: %s", err->message);
    g_clear_error (&err);
  }
}

/* TRUE (with @error) when the junk at @p is the status line of another
 * protocol or a broken RTSP one; remembered for fail_fast_protocol(). */
static gboolean
junk_is_foreign (ArclyRtspClient * self, const guint8 * p, gsize len,
    GError ** error)
{
  ArclyRtspWireJunk junk = arcly_rtsp_wire_classify_junk (p, len);
  GString *line;
  gsize i;

  if (junk == ARCLY_RTSP_WIRE_JUNK_PLAIN)
    return FALSE;
  /* the first line, printable ASCII only, for the debug text */
  line = g_string_new (NULL);
  for (i = 0; i < len && i < 80 && p[i] != '\r' && p[i] != '\n'; i++)
    g_string_append_c (line, (p[i] >= 0x20 && p[i] < 0x7f) ? p[i] : '?');
  g_free (self->junk_line);
  self->junk_line = g_string_free (line, FALSE);
  self->junk_fault = junk;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
      junk == ARCLY_RTSP_WIRE_JUNK_HTTP ? "the server answered HTTP, not RTSP"
      : junk == ARCLY_RTSP_WIRE_JUNK_OTHER_PROTOCOL ?
      "the server answered another protocol, not RTSP" :
      "invalid RTSP status line");
  return TRUE;
}

/* Parses everything buffered.  Frames are pushed, server requests
 * answered; a response with CSeq @want is copied to *resp. */
static ProcResult
parse_input (ArclyRtspClient * self, gint64 want, Response ** resp,
    GstFlowReturn * flow, GError ** error)
{
  for (;;) {
    ArclyRtspWireMessage m;
    gsize consumed = 0, avail = 0;
    const guint8 *p = arcly_rtsp_conn_pending (&self->io, &avail);
    ArclyRtspWireResult r = arcly_rtsp_wire_parse (p, avail, &m, &consumed);

    switch (r) {
      case ARCLY_RTSP_WIRE_NEED_MORE:
        return PROC_OK;
      case ARCLY_RTSP_WIRE_ERROR:
        self->wire_fault = m.error;
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
            "protocol error from server: %s",
            arcly_rtsp_wire_error_to_string (m.error));
        return PROC_ERROR;
      case ARCLY_RTSP_WIRE_SKIP:
        /* where a reply is expected, junk may be another protocol's reply
         * (a web server) rather than the stray bytes cameras send */
        if (want >= 0 && junk_is_foreign (self, p, avail, error))
          return PROC_ERROR;
        GST_CAT_DEBUG_OBJECT (arcly_rtsp_client_dataflow, self->log_obj,
            "skipping %" G_GSIZE_FORMAT " junk bytes", consumed);
        arcly_rtsp_conn_consume (&self->io, consumed);
        continue;
      case ARCLY_RTSP_WIRE_MESSAGE:
        break;
    }

    if (m.kind == ARCLY_RTSP_WIRE_KIND_FRAME) {
      GstFlowReturn ret = arcly_rtsp_client_handle_frame (self, &m);

      arcly_rtsp_conn_consume (&self->io, consumed);
      if (ret != GST_FLOW_OK) {
        *flow = ret;
        return PROC_FLOW;
      }
    } else if (m.kind == ARCLY_RTSP_WIRE_KIND_REQUEST) {
      answer_server_request (self, &m);
      arcly_rtsp_conn_consume (&self->io, consumed);
    } else {
      gint64 cseq = arcly_rtsp_wire_get_cseq (&m);
      gchar *reason = g_strndup (m.reason, m.reason_len);

      GST_DEBUG_OBJECT (self->log_obj, "< %u %s (CSeq %" G_GINT64_FORMAT ")",
          m.status, reason, cseq);
      if (want >= 0 && (cseq == want || cseq < 0) && resp) {
        Response *rr = g_new0 (Response, 1);
        gsize c2 = 0;

        rr->raw = g_memdup2 (p, consumed);
        arcly_rtsp_wire_parse (rr->raw, consumed, &rr->msg, &c2);
        rr->reason = reason;
        *resp = rr;
        arcly_rtsp_conn_consume (&self->io, consumed);
        return PROC_GOT_RESPONSE;
      }
      g_free (reason);
      if (cseq >= 0 && cseq == self->ka_cseq)
        on_keepalive_response (self, &m);
      arcly_rtsp_conn_consume (&self->io, consumed);
    }
  }
}

/* parse_input(), then the owner's rtp_done: the frames of what was read
 * are all delivered (arclyrtspsrc pushes a read's packets of a pad as one
 * list).  A flow error of rtp_done that cannot be returned with a
 * response is returned by the next call. */
static ProcResult
process_input (ArclyRtspClient * self, gint64 want, Response ** resp,
    GstFlowReturn * flow, GError ** error)
{
  ProcResult pr;
  GstFlowReturn done;

  if (self->pending_flow != GST_FLOW_OK) {
    *flow = self->pending_flow;
    self->pending_flow = GST_FLOW_OK;
    return PROC_FLOW;
  }
  pr = parse_input (self, want, resp, flow, error);
  if (self->cb.rtp_done == NULL)
    return pr;
  done = self->cb.rtp_done (self, self->user_data);
  if (done == GST_FLOW_OK || pr == PROC_FLOW || pr == PROC_ERROR)
    return pr;
  if (pr == PROC_GOT_RESPONSE) {
    self->pending_flow = done;
    return pr;
  }
  *flow = done;
  return PROC_FLOW;
}

static void set_status_error (ArclyRtspClient * self, const gchar * method,
    Response * r, GError ** error);

static gboolean
is_redirect (guint status)
{
  return status == 301 || status == 302 || status == 303 || status == 307
      || status == 308;
}

/* A 3xx: remembers where to go (the caller restarts the session there,
 * see run_hops()).  A 3xx without a usable Location is an error until the
 * first PLAY, a retry after it.  TRUE when the error was reported. */
static gboolean
take_redirect (ArclyRtspClient * self, const gchar * method, Response * r,
    GError ** error)
{
  gchar *loc = arcly_rtsp_wire_dup_header (&r->msg, "Location");
  gchar *to = arcly_rtsp_url_resolve_location (self->request_uri, loc);

  self->fail_status = r->msg.status;
  if (to == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "%s: %u %s %s", method, r->msg.status, r->reason, loc ?
        "with an unusable Location" : "without Location");
    g_free (loc);
    if (self->played_once)
      return FALSE;
    fail (self, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ,
        r->msg.status, "The RTSP server redirected without a usable "
        "location.", "%s %s: %u %s (Location %s)", method, self->display_url,
        r->msg.status, r->reason, loc ? "not an rtsp(s):// URL, or rtsp:// "
        "from rtsps://" : "missing");
    return TRUE;
  }
  g_free (loc);
  g_free (self->redirect_to);
  self->redirect_to = to;
  self->redirect_status = r->msg.status;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: redirected (%u)",
      method, r->msg.status);
  return FALSE;
}

/* Until the first PLAY, a reply that cannot be RTSP or breaks our bounds
 * means a configuration that cannot work (the wrong port, not a camera):
 * an error a person can act on instead of retrying forever.  After it,
 * the same is a server fault: retried.  TRUE when the error was reported. */
static gboolean
fail_fast_protocol (ArclyRtspClient * self, const gchar * method)
{
  if (self->played_once)
    return FALSE;
  switch (self->junk_fault) {
    case ARCLY_RTSP_WIRE_JUNK_HTTP:
      fail (self, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ, 0,
          "The server answered HTTP, not RTSP — is this the camera's web "
          "port?", "%s %s: the reply starts with \"%s\"", method,
          self->display_url, self->junk_line);
      return TRUE;
    case ARCLY_RTSP_WIRE_JUNK_OTHER_PROTOCOL:
    case ARCLY_RTSP_WIRE_JUNK_BAD_STATUS_LINE:
      fail (self, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ, 0,
          "The server's reply is not RTSP.", "%s %s: the reply starts with "
          "\"%s\"", method, self->display_url, self->junk_line);
      return TRUE;
    case ARCLY_RTSP_WIRE_JUNK_PLAIN:
      break;
  }
  switch (self->wire_fault) {
    case ARCLY_RTSP_WIRE_ERROR_LINE_TOO_LONG:
    case ARCLY_RTSP_WIRE_ERROR_TOO_MANY_HEADERS:
    case ARCLY_RTSP_WIRE_ERROR_BODY_TOO_LARGE:
      fail (self, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ, 0,
          "The server's reply is larger than arclyrtspsrc accepts.",
          "%s %s: %s (limits: a line %u bytes, the header section %u bytes, "
          "%u headers, a body %u bytes)", method, self->display_url,
          arcly_rtsp_wire_error_to_string (self->wire_fault),
          ARCLY_RTSP_WIRE_MAX_LINE, 16 * 1024, ARCLY_RTSP_WIRE_MAX_HEADERS,
          ARCLY_RTSP_WIRE_MAX_BODY);
      return TRUE;
    case ARCLY_RTSP_WIRE_ERROR_BAD_CONTENT_LENGTH:
      fail (self, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ, 0,
          "The server sent an invalid RTSP reply.",
          "%s %s: invalid Content-Length", method, self->display_url);
      return TRUE;
    case ARCLY_RTSP_WIRE_ERROR_NONE:
      break;
  }
  return FALSE;
}

/* Until the first PLAY, a 4xx to DESCRIBE, SETUP or PLAY will not change
 * by retrying (401 is answered by the caller).  OPTIONS is not judged:
 * cameras answer it oddly and DESCRIBE tells the truth.  5xx is a server
 * fault, retried.  TRUE when the error was reported. */
static gboolean
fail_fast_status (ArclyRtspClient * self, const gchar * method,
    Response * r)
{
  guint st = r->msg.status;
  gchar *text;
  gint code;

  if (self->played_once || st < 400 || st >= 500 || st == 401
      || g_str_equal (method, "OPTIONS"))
    return FALSE;
  switch (st) {
    case 403:
      code = GST_RESOURCE_ERROR_NOT_AUTHORIZED;
      text = g_strdup ("Access to the RTSP stream is forbidden (403).");
      break;
    case 404:
      code = GST_RESOURCE_ERROR_NOT_FOUND;
      text = g_strdup ("The RTSP stream was not found.");
      break;
    case 461:
      code = GST_RESOURCE_ERROR_SETTINGS;
      text = g_strdup ("The RTSP server does not offer RTP over TCP "
          "(461 Unsupported Transport).");
      break;
    default:
      code = GST_RESOURCE_ERROR_OPEN_READ;
      text = g_strdup_printf ("The RTSP server refused the request (%u %s).",
          st, r->reason);
      break;
  }
  self->fail_status = st;
  fail (self, GST_RESOURCE_ERROR, code, st, text, "%s %s: %u %s", method,
      self->display_url, st, r->reason);
  g_free (text);
  return TRUE;
}

/* TLS 1.3 finishes the client's handshake before the server has judged
 * it: a server that wants a client certificate says so on the first read
 * or write.  That, and (until the first PLAY) any TLS failure there, is
 * reported.  TRUE when it was. */
static gboolean
fail_fast_tls (ArclyRtspClient * self, const GError * err)
{
  gchar *text = NULL, *debug = NULL;

  if (err == NULL || err->domain != G_TLS_ERROR
      || !arcly_rtsp_tls_explain_failure (err, 0, !self->played_once,
          self->display_url, &text, &debug))
    return FALSE;
  fail (self, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ, 0, text, "%s",
      debug);
  g_free (text);
  g_free (debug);
  return TRUE;
}

/* Sends @method and waits for its response (handling interleaved data
 * meanwhile), answering 401 challenges.  Returns NULL with @error set on
 * failure; *fatal tells whether retrying makes no sense. */
static Response *
do_request (ArclyRtspClient * self, const gchar * method, const gchar * uri,
    const gchar * extra, gboolean * fatal, GError ** error)
{
  guint attempt;

  *fatal = FALSE;
  for (attempt = 0; attempt < 4; attempt++) {
    guint cseq;
    gint64 deadline;
    Response *resp = NULL;
    GstFlowReturn flow = GST_FLOW_OK;

    if (!send_request (self, method, uri, extra, &cseq, error)) {
      *fatal = fail_fast_tls (self, *error);
      return NULL;
    }
    self->wire_fault = ARCLY_RTSP_WIRE_ERROR_NONE;
    self->junk_fault = ARCLY_RTSP_WIRE_JUNK_PLAIN;
    deadline = g_get_monotonic_time () + self->timeout_us;
    for (;;) {
      ProcResult pr = process_input (self, cseq, &resp, &flow, error);
      gint64 left;
      gssize n;

      if (pr == PROC_GOT_RESPONSE)
        break;
      if (pr == PROC_ERROR) {
        *fatal = fail_fast_protocol (self, method);
        return NULL;
      }
      if (pr == PROC_FLOW) {
        g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED,
            "streaming stopped: %s", gst_flow_get_name (flow));
        *fatal = flow != GST_FLOW_FLUSHING;
        return NULL;
      }
      if (is_stopping (self)) {
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "stopping");
        return NULL;
      }
      left = deadline - g_get_monotonic_time ();
      if (left <= 0) {
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
            "no reply to %s within %u ms", method,
            (guint) (self->timeout_us / 1000));
        return NULL;
      }
      n = read_some (self, MIN (left, WAIT_SLICE_US), 0, error);
      if (n < 0) {
        *fatal = fail_fast_tls (self, *error);
        return NULL;
      }
    }

    if (resp->msg.status == 401) {
      gchar **values = arcly_rtsp_wire_dup_headers (&resp->msg,
          "WWW-Authenticate");
      gboolean retry = self->user != NULL && values[0] != NULL &&
          arcly_auth_session_challenge (self->auth,
          (const gchar * const *) values, g_strv_length (values));

      g_strfreev (values);
      if (retry && !self->basic_allowed &&
          arcly_auth_session_scheme (self->auth) == ARCLY_AUTH_SCHEME_BASIC) {
        /* Basic sends the password in clear text: never to a host the
         * user did not name (a redirect), unless the redirect's URL
         * carries its own credentials */
        self->fail_status = 401;
        *fatal = TRUE;
        fail (self, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_AUTHORIZED,
            401, "Not authorized to access the RTSP stream.",
            "%s %s: a redirect led to another host, which asks for Basic "
            "authentication; the credentials are not sent there in clear "
            "text (give that URL with its credentials as the location)",
            method, self->display_url);
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
            "Basic authentication refused for a redirected host");
        response_free (resp);
        return NULL;
      }
      if (retry) {
        GST_DEBUG_OBJECT (self->log_obj, "authenticating with %s",
            arcly_auth_session_describe (self->auth));
        response_free (resp);
        continue;
      }
      self->fail_status = 401;
      *fatal = TRUE;
      fail (self, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_AUTHORIZED,
          resp->msg.status, "Not authorized to access the RTSP stream.",
          "%s %s: %u %s (%s)", method, self->display_url, resp->msg.status,
          resp->reason, self->user ? "credentials refused" :
          "no credentials given; set them in the location or "
          "user-id/user-pw");
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
          "401 Unauthorized");
      response_free (resp);
      return NULL;
    }
    if (is_redirect (resp->msg.status)) {
      *fatal = take_redirect (self, method, resp, error);
      response_free (resp);
      return NULL;
    }
    if (fail_fast_status (self, method, resp)) {
      *fatal = TRUE;
      set_status_error (self, method, resp, error);
      response_free (resp);
      return NULL;
    }
    return resp;
  }
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
      "authentication loop");
  *fatal = TRUE;
  fail (self, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_AUTHORIZED, 401,
      "Not authorized to access the RTSP stream.",
      "the server kept asking for authentication");
  return NULL;
}

/* ------------------------------------------------------------------ */
/* session setup */

static gboolean
status_ok (Response * r)
{
  return r->msg.status >= 200 && r->msg.status < 300;
}

static void
set_status_error (ArclyRtspClient * self, const gchar * method, Response * r,
    GError ** error)
{
  self->fail_status = r->msg.status;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %u %s", method,
      r->msg.status, r->reason);
}

/* Session header of any reply: the id for the next requests, and the
 * timeout the keep-alive interval follows */
static void
apply_session (ArclyRtspClient * self, Response * r)
{
  gchar *v = arcly_rtsp_wire_dup_header (&r->msg, "Session");
  ArclyRtspSessionHeader sh;

  if (arcly_rtsp_headers_parse_session (v, &sh)) {
    g_free (self->session_id);
    self->session_id = g_steal_pointer (&sh.id);
  }
  if (sh.timeout)
    self->session_timeout = sh.timeout;
  arcly_rtsp_session_header_clear (&sh);
  g_free (v);
}

/* Transport reply: honour interleaved=N-M even when it differs from our
 * request; a missing interleaved field keeps the requested channels. */
static void
apply_transport (ArclyRtspClient * self, ArclyRtspClientTrack * t, Response * r)
{
  gchar *v = arcly_rtsp_wire_dup_header (&r->msg, "Transport");
  ArclyRtspTransport tr;

  arcly_rtsp_headers_parse_transport (v, &tr);
  if (tr.have_interleaved) {
    t->rtp_ch = tr.rtp_channel;
    t->rtcp_ch = tr.rtcp_channel;
  }
  if (tr.have_ssrc) {
    t->remote_ssrc = tr.ssrc;
    t->have_ssrc = TRUE;
    t->ssrc_announced = TRUE;
  }
  g_free (v);
}

static gchar *
response_base_url (ArclyRtspClient * self, Response * r)
{
  gchar *base = arcly_rtsp_wire_dup_header (&r->msg, "Content-Base");
  gchar *loc = arcly_rtsp_wire_dup_header (&r->msg, "Content-Location");
  gchar *url = arcly_rtsp_headers_base_url (base, loc, self->request_uri);

  g_free (base);
  g_free (loc);
  return url;
}

static gboolean
wanted (ArclyRtspClientStreams streams, ArclyRtspTrack * t)
{
  if (streams == ARCLY_RTSP_CLIENT_STREAMS_VIDEO)
    return t->type == ARCLY_RTSP_TRACK_VIDEO;
  if (streams == ARCLY_RTSP_CLIENT_STREAMS_AUDIO)
    return t->type == ARCLY_RTSP_TRACK_AUDIO;
  return TRUE;
}

/* TCP, and TLS for rtsps://.  ARCLY_RTSP_CLIENT_STOPPED when connected,
 * FATAL (error reported) when TLS cannot work as configured, RETRY
 * otherwise. */
static ArclyRtspClientResult
connect_socket (ArclyRtspClient * self, GError ** error)
{
  GTlsCertificateFlags refused = 0;
  gchar *text = NULL, *debug = NULL;

  GST_DEBUG_OBJECT (self->log_obj, "connecting to %s", self->display_url);
  self->pending_flow = GST_FLOW_OK;
  if (!arcly_rtsp_conn_open (&self->io, self->url.host, self->url.port,
          self->timeout_us, self->cancellable, error))
    return ARCLY_RTSP_CLIENT_RETRY;
  if (g_strcmp0 (self->url.scheme, "rtsps") != 0 || arcly_rtsp_conn_start_tls
      (&self->io, self->url.host, self->url.port, &self->tls, &refused, error))
    return ARCLY_RTSP_CLIENT_STOPPED;
  if (g_error_matches (*error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
      || !arcly_rtsp_tls_explain_failure (*error, refused,
          !self->played_once, self->display_url, &text, &debug))
    return ARCLY_RTSP_CLIENT_RETRY;
  fail (self, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ, 0, text, "%s",
      debug);
  g_free (text);
  g_free (debug);
  return ARCLY_RTSP_CLIENT_FATAL;
}

/* The session_* steps below return ARCLY_RTSP_CLIENT_STOPPED when they succeeded, as
 * session_setup() does, ARCLY_RTSP_CLIENT_RETRY or ARCLY_RTSP_CLIENT_FATAL (error posted) otherwise. */

/* OPTIONS: keep-alive with GET_PARAMETER only when the server lists it */
static ArclyRtspClientResult
session_options (ArclyRtspClient * self, GError ** error)
{
  gboolean fatal = FALSE;
  gchar *public_;
  Response *r = do_request (self, "OPTIONS", self->request_uri, NULL, &fatal,
      error);

  if (r == NULL)
    return fatal ? ARCLY_RTSP_CLIENT_FATAL : ARCLY_RTSP_CLIENT_RETRY;
  public_ = arcly_rtsp_wire_dup_header (&r->msg, "Public");
  self->use_get_parameter = public_ && strstr (public_, "GET_PARAMETER");
  g_free (public_);
  response_free (r);
  return ARCLY_RTSP_CLIENT_STOPPED;
}

/* DESCRIBE: the base URL, the live flag, and the SDP tracks in
 * *sdp_tracks with the session control in *session_ctrl. */
static ArclyRtspClientResult
session_describe (ArclyRtspClient * self, GPtrArray ** sdp_tracks,
    gchar ** session_ctrl, GError ** error)
{
  gboolean fatal = FALSE;
  Response *r = do_request (self, "DESCRIBE", self->request_uri,
      "Accept: application/sdp\r\n", &fatal, error);

  if (r == NULL)
    return fatal ? ARCLY_RTSP_CLIENT_FATAL : ARCLY_RTSP_CLIENT_RETRY;
  if (r->msg.status == 404) {
    self->fail_status = 404;
    fail (self, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND,
        r->msg.status, "The RTSP stream was not found.",
        "DESCRIBE %s: %u %s", self->display_url, r->msg.status, r->reason);
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "404 Not Found");
    response_free (r);
    return ARCLY_RTSP_CLIENT_FATAL;
  }
  if (!status_ok (r) || r->msg.body_len == 0) {
    if (status_ok (r))
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
          "DESCRIBE reply without SDP");
    else
      set_status_error (self, "DESCRIBE", r, error);
    response_free (r);
    return ARCLY_RTSP_CLIENT_RETRY;
  }
  g_free (self->base_url);
  self->base_url = response_base_url (self, r);
  /* A live source announces a=range:npt=now-; PLAY then asks for "now-".
   * "npt=0-" would make gst-rtsp-server seek its running shared media
   * (~80 ms, and a glitch for the other clients). */
  self->live_range = g_strstr_len ((const gchar *) r->msg.body,
      r->msg.body_len, "a=range:npt=now") != NULL;
  *sdp_tracks = arcly_rtsp_sdp_parse (r->msg.body, r->msg.body_len,
      session_ctrl, error);
  response_free (r);
  return *sdp_tracks ? ARCLY_RTSP_CLIENT_STOPPED : ARCLY_RTSP_CLIENT_RETRY;
}

/* The wanted SDP tracks become our tracks (taken out of @sdp_tracks), on
 * channels 0-1, 2-3, ... until the SETUP replies say otherwise. */
static void
session_make_tracks (ArclyRtspClient * self, ArclyRtspClientStreams streams,
    GPtrArray * sdp_tracks)
{
  guint i;

  g_mutex_lock (&self->lock);
  g_ptr_array_set_size (self->tracks, 0);
  for (i = 0; i < sdp_tracks->len; i++) {
    ArclyRtspTrack *st = g_ptr_array_index (sdp_tracks, i);
    ArclyRtspClientTrack *t;

    if (!wanted (streams, st))
      continue;
    t = g_new0 (ArclyRtspClientTrack, 1);
    t->user_free = self->cb.user_free;
    t->sdp = st;
    sdp_tracks->pdata[i] = NULL;
    t->rtp_ch = (guint8) (self->tracks->len * 2);
    t->rtcp_ch = t->rtp_ch + 1;
    arcly_sync_track_init (&t->sync, st->clock_rate);
    g_ptr_array_add (self->tracks, t);
  }
  g_mutex_unlock (&self->lock);
}

/* The SDP's session-level a=control becomes the aggregate URL. */
static void
session_apply_control (ArclyRtspClient * self, const gchar * session_ctrl)
{
  gchar *resolved;

  if (session_ctrl == NULL || *session_ctrl == '\0')
    return;
  /* The resolver already drops userinfo; redacting again would cut a
   * path that holds an '@'.  NULL (CR/LF in the control, unusable base):
   * keep the base we have. */
  resolved = arcly_rtsp_url_resolve_control (self->base_url, session_ctrl);
  if (resolved) {
    g_free (self->base_url);
    self->base_url = resolved;
  } else {
    GST_WARNING_OBJECT (self->log_obj, "unusable session control URL, ignored");
  }
}

/* SETUP of track @i, and its pad (the @i-th video or audio pad, counted in
 * *nv / *na). */
static ArclyRtspClientResult
session_setup_track (ArclyRtspClient * self, ArclyRtspClientTrack * t, guint i, guint * nv,
    guint * na, GError ** error)
{
  gboolean fatal = FALSE;
  gchar *resolved = arcly_rtsp_url_resolve_control (self->base_url,
      t->sdp->control);
  gchar *extra;
  Response *r;

  if (resolved == NULL) {
    /* a control value we cannot use (CR/LF, bad base): the aggregate URL
     * is what cameras with a single broken control answer to */
    GST_WARNING_OBJECT (self->log_obj, "track %u: unusable control URL, using the "
        "session URL", i);
    resolved = g_strdup (self->base_url);
  }
  g_free (t->control_url);
  t->control_url = resolved;
  extra = g_strdup_printf ("Transport: RTP/AVP/TCP;unicast;"
      "interleaved=%u-%u\r\n", t->rtp_ch, t->rtcp_ch);
  r = do_request (self, "SETUP", t->control_url, extra, &fatal, error);
  g_free (extra);
  if (r == NULL)
    return fatal ? ARCLY_RTSP_CLIENT_FATAL : ARCLY_RTSP_CLIENT_RETRY;
  if (!status_ok (r)) {
    set_status_error (self, "SETUP", r, error);
    response_free (r);
    return ARCLY_RTSP_CLIENT_RETRY;
  }
  apply_session (self, r);
  apply_transport (self, t, r);
  response_free (r);
  GST_DEBUG_OBJECT (self->log_obj, "track %u (%s) on channels %u-%u", i,
      t->sdp->encoding_name, t->rtp_ch, t->rtcp_ch);

  if (self->cb.track_ready)
    t->user = self->cb.track_ready (self, t,
        t->sdp->type == ARCLY_RTSP_TRACK_VIDEO ? (*nv)++ : (*na)++,
        self->user_data);
  if (t->user)
    t->sync.active = TRUE;
  return ARCLY_RTSP_CLIENT_STOPPED;
}

/* OPTIONS, DESCRIBE, SETUP each track, and the pads. */
static ArclyRtspClientResult
session_setup (ArclyRtspClient * self, ArclyRtspClientStreams streams,
    GError ** error)
{
  GPtrArray *sdp_tracks = NULL;
  gchar *session_ctrl = NULL;
  ArclyRtspClientResult res;
  guint i, nv = 0, na = 0;

  res = session_options (self, error);
  if (res != ARCLY_RTSP_CLIENT_STOPPED)
    return res;
  res = session_describe (self, &sdp_tracks, &session_ctrl, error);
  if (res != ARCLY_RTSP_CLIENT_STOPPED) {
    g_free (session_ctrl);
    return res;
  }
  session_make_tracks (self, streams, sdp_tracks);
  g_ptr_array_unref (sdp_tracks);

  if (self->tracks->len == 0) {
    g_free (session_ctrl);
    fail (self, GST_STREAM_ERROR, GST_STREAM_ERROR_CODEC_NOT_FOUND, 0,
        "The RTSP stream has no usable audio or video track.",
        "%s: no %s track in the SDP", self->display_url,
        streams == ARCLY_RTSP_CLIENT_STREAMS_VIDEO ? "video" :
        streams == ARCLY_RTSP_CLIENT_STREAMS_AUDIO ? "audio" : "audio/video");
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
        "no usable track");
    return ARCLY_RTSP_CLIENT_FATAL;
  }

  session_apply_control (self, session_ctrl);
  g_free (session_ctrl);

  for (i = 0; i < self->tracks->len; i++) {
    res = session_setup_track (self, g_ptr_array_index (self->tracks, i), i,
        &nv, &na, error);
    if (res != ARCLY_RTSP_CLIENT_STOPPED)
      return res;
  }
  /* tracks that found no pad (the SDP changed after a reconnect) are
   * dropped */
  g_mutex_lock (&self->lock);
  for (i = self->tracks->len; i > 0; i--) {
    ArclyRtspClientTrack *t = g_ptr_array_index (self->tracks, i - 1);

    if (t->user == NULL)
      g_ptr_array_remove_index (self->tracks, i - 1);
  }
  g_mutex_unlock (&self->lock);
  if (self->tracks->len == 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
        "the tracks changed: none matches the existing pads");
    return ARCLY_RTSP_CLIENT_RETRY;
  }
  if (self->cb.tracks_done)
    self->cb.tracks_done (self, self->user_data);
  return ARCLY_RTSP_CLIENT_STOPPED;
}

/* RTP-Info of the PLAY reply: the RTP timestamp each track starts at */
static void
apply_rtp_info (ArclyRtspClient * self, Response * r)
{
  gchar *v = arcly_rtsp_wire_dup_header (&r->msg, "RTP-Info");
  GArray *entries = arcly_rtsp_headers_parse_rtp_info (v);
  guint i, k;

  for (i = 0; entries && i < entries->len; i++) {
    const ArclyRtspRtpInfo *e = &g_array_index (entries, ArclyRtspRtpInfo, i);
    ArclyRtspClientTrack *t = NULL;

    for (k = 0; e->url && k < self->tracks->len && t == NULL; k++) {
      ArclyRtspClientTrack *c = g_ptr_array_index (self->tracks, k);

      if (arcly_rtsp_headers_rtp_info_matches (e->url, c->control_url,
              c->sdp->control))
        t = c;
    }
    if (t && e->have_rtptime) {
      t->sync.have_rtpinfo = TRUE;
      t->sync.rtpinfo_ts = e->rtptime;
    }
  }
  if (entries)
    g_array_unref (entries);
  g_free (v);
}

static gboolean
send_play (ArclyRtspClient * self, gboolean * fatal, GError ** error)
{
  Response *r = do_request (self, "PLAY", self->base_url,
      self->live_range ? "Range: npt=now-\r\n" : "Range: npt=0.000-\r\n",
      fatal, error);

  if (r == NULL)
    return FALSE;
  if (!status_ok (r)) {
    set_status_error (self, "PLAY", r, error);
    response_free (r);
    return FALSE;
  }
  apply_session (self, r);
  apply_rtp_info (self, r);
  response_free (r);
  return TRUE;
}

static gboolean
send_keepalive (ArclyRtspClient * self, GError ** error)
{
  guint cseq;

  /* a camera that never answered the last GET_PARAMETER ignores it */
  if (self->ka_cseq >= 0 && self->ka_get_parameter) {
    GST_INFO_OBJECT (self->log_obj, "GET_PARAMETER unanswered, keep-alive with "
        "OPTIONS from now on");
    self->use_get_parameter = FALSE;
  }
  self->ka_get_parameter = self->use_get_parameter;
  if (!send_request (self, self->use_get_parameter ? "GET_PARAMETER" :
          "OPTIONS", self->base_url, NULL, &cseq, error))
    return FALSE;
  self->ka_cseq = cseq;
  return TRUE;
}

/* Streams until stopped or failed. */
static ArclyRtspClientResult
session_stream (ArclyRtspClient * self, guint keep_alive_ms, GError ** error)
{
  gboolean played = FALSE, fatal = FALSE;
  gint64 ka_interval, last_read = 0, interval;

  self->last_data_us = self->last_rr_us = self->last_ka_us =
      self->last_tick_us = g_get_monotonic_time ();
  for (;;) {
    GstFlowReturn flow = GST_FLOW_OK;
    ProcResult pr;
    gboolean playing;
    gint64 now;
    gssize n;

    g_mutex_lock (&self->lock);
    playing = self->playing;
    interval = self->read_interval_us;
    g_mutex_unlock (&self->lock);
    if (is_stopping (self))
      return ARCLY_RTSP_CLIENT_STOPPED;

    if (playing && !played) {
      if (!send_play (self, &fatal, error))
        return fatal ? ARCLY_RTSP_CLIENT_FATAL : ARCLY_RTSP_CLIENT_RETRY;
      played = TRUE;
      self->was_playing = TRUE;
      self->played_once = TRUE;
      notify_state (self, ARCLY_RTSP_CLIENT_STATE_PLAYING);
      if (self->cb.playing)
        self->cb.playing (self, self->user_data);
      self->last_data_us = g_get_monotonic_time ();
    }

    pr = process_input (self, -1, NULL, &flow, error);
    if (pr == PROC_ERROR)
      return ARCLY_RTSP_CLIENT_RETRY;
    if (pr == PROC_FLOW) {
      if (flow == GST_FLOW_FLUSHING)
        return ARCLY_RTSP_CLIENT_STOPPED;
      if (flow == GST_FLOW_NOT_LINKED || flow < GST_FLOW_EOS) {
        fail (self, GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED, 0,
            "Internal data stream error.", "streaming stopped, reason %s (%d)",
            gst_flow_get_name (flow), flow);
        g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED,
            "streaming stopped: %s", gst_flow_get_name (flow));
        return ARCLY_RTSP_CLIENT_FATAL;
      }
      if (flow == GST_FLOW_EOS)
        return ARCLY_RTSP_CLIENT_STOPPED;
    }

    now = g_get_monotonic_time ();
    if (played) {
      if (now - self->last_data_us > self->timeout_us) {
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
            "no media for %u ms", (guint) (self->timeout_us / 1000));
        return ARCLY_RTSP_CLIENT_RETRY;
      }
      if (now - self->last_rr_us >= RR_INTERVAL_US) {
        arcly_rtsp_client_send_receiver_reports (self);
        self->last_rr_us = now;
      }
      arcly_rtsp_client_update_bitrates (self, now);
    }
    /* keep-alive also while PAUSED (session set up, not playing) */
    ka_interval = keep_alive_ms ? ms_to_us (keep_alive_ms) :
        (gint64) self->session_timeout * G_TIME_SPAN_SECOND / 2;
    /* A camera that lists GET_PARAMETER and then ignores it: waiting for
     * the next interval would reach the session timeout on the server, so
     * an unanswered one is followed sooner (send_keepalive() switches to
     * OPTIONS). */
    if (self->ka_cseq >= 0 && self->ka_get_parameter)
      ka_interval = MIN (self->timeout_us, ka_interval / 2);
    if (now - self->last_ka_us >= ka_interval) {
      if (!send_keepalive (self, error))
        return ARCLY_RTSP_CLIENT_RETRY;
      self->last_ka_us = now;
    }

    /* paced while playing (read-interval): one read per interval */
    n = read_some (self, WAIT_SLICE_US, played && interval > 0
        && last_read > 0 ? last_read + interval : 0, error);
    if (n < 0) {
      if (g_error_matches (*error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return ARCLY_RTSP_CLIENT_STOPPED;
      return ARCLY_RTSP_CLIENT_RETRY;
    }
    /* a paced read that took its most leaves more waiting: no pause */
    if (n > 0 && interval > 0 && n < ARCLY_RTSP_CONN_PACED_MAX)
      last_read = g_get_monotonic_time ();
  }
}

static void
send_teardown (ArclyRtspClient * self)
{
  GError *err = NULL;

  if (!arcly_rtsp_conn_is_open (&self->io) || self->session_id == NULL)
    return;
  /* fire and forget: the reply is not waited for */
  if (!send_request (self, "TEARDOWN", self->base_url, NULL, NULL, &err)) {
    GST_DEBUG_OBJECT (self->log_obj, "TEARDOWN: %s", err->message);
    g_clear_error (&err);
  }
}

static void
reset_session (ArclyRtspClient * self)
{
  close_connection (self);
  g_clear_pointer (&self->session_id, g_free);
  g_clear_pointer (&self->base_url, g_free);
  g_clear_pointer (&self->auth, arcly_auth_session_free);
  self->session_timeout = DEFAULT_SESSION_TIMEOUT;
  self->ka_cseq = -1;
  self->cseq = 0;
  self->fail_status = 0;
  self->was_playing = FALSE;
}

/* The session goes to @url.  @initial: the configured location, whose
 * credentials (or the configured overrides) are used.  A redirect keeps
 * the credentials in use, or takes the ones its URL carries; Basic is only
 * allowed on the configured host, or with the redirect's own credentials. */
static gboolean
set_target (ArclyRtspClient * self, const gchar * url, gboolean initial,
    GError ** error)
{
  ArclyRtspUrl u = { NULL, };

  if (!arcly_rtsp_url_parse (url, &u, error))
    return FALSE;
  if (initial) {
    g_free (self->user);
    g_free (self->password);
    self->user = g_strdup (self->user_id ? self->user_id : u.user);
    self->password = g_strdup (self->user_pw ? self->user_pw : u.password);
    self->basic_allowed = TRUE;
  } else if (u.user) {
    g_free (self->user);
    g_free (self->password);
    self->user = g_strdup (u.user);
    self->password = g_strdup (u.password);
    self->basic_allowed = TRUE;
  } else {
    ArclyRtspUrl home = { NULL, };

    self->basic_allowed = arcly_rtsp_url_parse (self->location, &home, NULL)
        && g_ascii_strcasecmp (home.host, u.host) == 0;
    arcly_rtsp_url_clear (&home);
  }
  arcly_rtsp_url_clear (&self->url);
  self->url = u;
  g_free (self->request_uri);
  self->request_uri = arcly_rtsp_url_to_request_uri (&self->url);
  g_free (self->display_url);
  self->display_url = g_strdup (self->request_uri);
  return TRUE;
}

/* One connection to the current target: connect, set up, stream. */
static ArclyRtspClientResult
run_once (ArclyRtspClient * self, GError ** error)
{
  ArclyRtspClientResult res;

  reset_session (self);
  self->auth = arcly_auth_session_new ();
  self->our_ssrc = g_random_int ();
  notify_state (self, ARCLY_RTSP_CLIENT_STATE_CONNECTING);
  res = connect_socket (self, error);
  if (res != ARCLY_RTSP_CLIENT_STOPPED)
    return res;

  res = session_setup (self, self->streams, error);
  if (res == ARCLY_RTSP_CLIENT_STOPPED && !is_stopping (self))
    res = session_stream (self, self->keep_alive_ms, error);
  if (res == ARCLY_RTSP_CLIENT_STOPPED)
    send_teardown (self);
  close_connection (self);
  return res;
}

/* Follows one redirect: checks the hop count and loops, tells the owner,
 * and moves the target.  FALSE (error reported) when it must not. */
static gboolean
follow_redirect (ArclyRtspClient * self, GError ** error)
{
  gchar *to = g_steal_pointer (&self->redirect_to);
  gchar *to_display = arcly_rtsp_url_redact (to);
  ArclyRtspUrl u = { NULL, };
  gboolean loop = FALSE, ok = FALSE;
  guint i;

  if (arcly_rtsp_url_parse (to, &u, NULL)) {
    gchar *req = arcly_rtsp_url_to_request_uri (&u);

    for (i = 0; i < self->visited->len; i++)
      if (g_str_equal (g_ptr_array_index (self->visited, i), req))
        loop = TRUE;
    g_free (req);
  }
  arcly_rtsp_url_clear (&u);
  if (loop || self->visited->len > ARCLY_RTSP_CLIENT_MAX_REDIRECTS) {
    g_clear_error (error);
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s",
        loop ? "redirect loop" : "too many redirects");
    fail (self, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ,
        self->redirect_status, loop ? "The RTSP server redirects in a loop."
        : "The RTSP server redirected too many times.",
        "%s redirected (%u) to %s%s", self->display_url,
        self->redirect_status, to_display, loop ? ", visited before" :
        ", after " G_STRINGIFY (ARCLY_RTSP_CLIENT_MAX_REDIRECTS) " hops");
    goto done;
  }
  GST_INFO_OBJECT (self->log_obj, "%s redirected (%u) to %s",
      self->display_url, self->redirect_status, to_display);
  if (self->cb.redirected)
    self->cb.redirected (self, self->display_url, to_display,
        self->redirect_status, self->user_data);
  g_clear_error (error);
  if (!set_target (self, to, FALSE, error)) {
    fail (self, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ,
        self->redirect_status, "The RTSP server redirected without a usable "
        "location.", "redirect to %s: %s", to_display,
        (*error)->message);
    goto done;
  }
  g_ptr_array_add (self->visited, g_strdup (self->request_uri));
  ok = TRUE;
done:
  g_free (to);
  g_free (to_display);
  return ok;
}

ArclyRtspClientResult
arcly_rtsp_client_run (ArclyRtspClient * self, GError ** error)
{
  ArclyRtspClientResult res;

  /* every run starts at the configured location: a redirect may have
   * been temporary */
  if (!set_target (self, self->location, TRUE, error))
    return ARCLY_RTSP_CLIENT_FATAL;
  g_ptr_array_set_size (self->visited, 0);
  g_ptr_array_add (self->visited, g_strdup (self->request_uri));
  for (;;) {
    g_clear_pointer (&self->redirect_to, g_free);
    res = run_once (self, error);
    if (res != ARCLY_RTSP_CLIENT_RETRY || self->redirect_to == NULL
        || is_stopping (self))
      return res;
    if (!follow_redirect (self, error))
      return ARCLY_RTSP_CLIENT_FATAL;
  }
}

/* ------------------------------------------------------------------ */
/* the API */

static void
track_destroy (gpointer p)
{
  ArclyRtspClientTrack *t = p;

  arcly_rtsp_track_free (t->sdp);
  g_free (t->control_url);
  g_free (t->pending);
  if (t->user && t->user_free)
    t->user_free (t->user);
  g_free (t);
}

ArclyRtspClient *
arcly_rtsp_client_new (const ArclyRtspClientCallbacks * cb,
    gpointer user_data, gpointer log_object)
{
  ArclyRtspClient *self = g_new0 (ArclyRtspClient, 1);
  static gsize debug_once = 0;

  if (g_once_init_enter (&debug_once)) {
    GST_DEBUG_CATEGORY_INIT (arcly_rtsp_client_debug, "arclyrtspsrc_client", 0,
        "arcly RTSP client session");
    GST_DEBUG_CATEGORY_INIT (arcly_rtsp_client_dataflow,
        "arclyrtspsrc_client_dataflow", 0, "arcly RTSP client session, per packet");
    g_once_init_leave (&debug_once, 1);
  }
  self->cb = *cb;
  self->user_data = user_data;
  self->log_obj = log_object;
  g_mutex_init (&self->lock);
  self->tracks = g_ptr_array_new_with_free_func (track_destroy);
  self->visited = g_ptr_array_new_with_free_func (g_free);
  self->session_timeout = DEFAULT_SESSION_TIMEOUT;
  self->ka_cseq = -1;
  self->timeout_us = 10 * G_TIME_SPAN_SECOND;
  self->tls.validation_flags = G_TLS_CERTIFICATE_VALIDATE_ALL;
  self->ua = g_strdup ("gst-arcly");
  return self;
}

void
arcly_rtsp_client_free (ArclyRtspClient * self)
{
  if (self == NULL)
    return;
  reset_session (self);
  g_ptr_array_unref (self->tracks);
  arcly_rtsp_conn_clear (&self->io);
  arcly_rtsp_url_clear (&self->url);
  g_free (self->request_uri);
  g_free (self->display_url);
  g_free (self->user);
  g_free (self->password);
  g_free (self->ua);
  g_free (self->junk_line);
  g_free (self->location);
  g_free (self->user_id);
  g_free (self->user_pw);
  g_free (self->redirect_to);
  g_ptr_array_unref (self->visited);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->wake);
  g_clear_object (&self->tls.database);
  g_clear_object (&self->tls.interaction);
  g_mutex_clear (&self->lock);
  g_free (self);
}

/* never so long that the stall timeout could see a paced gap */
static gint64
read_interval_us (ArclyRtspClient * self, guint ms)
{
  return MIN (ms_to_us (ms), self->timeout_us / 2);
}

gboolean
arcly_rtsp_client_configure (ArclyRtspClient * self,
    const ArclyRtspClientConfig * cfg, GError ** error)
{
  g_free (self->location);
  self->location = g_strdup (cfg->location);
  g_free (self->user_id);
  self->user_id = g_strdup (cfg->user_id);
  g_free (self->user_pw);
  self->user_pw = g_strdup (cfg->user_pw);
  if (!set_target (self, cfg->location, TRUE, error))
    return FALSE;
  g_free (self->ua);
  self->ua = g_strdup (cfg->user_agent ? cfg->user_agent : "gst-arcly");
  self->timeout_us = ms_to_us (MAX (cfg->timeout_ms, 100));
  self->keep_alive_ms = cfg->keep_alive_ms;
  g_mutex_lock (&self->lock);
  self->read_interval_us = read_interval_us (self, cfg->read_interval_ms);
  g_mutex_unlock (&self->lock);
  self->streams = cfg->streams;
  self->tls.validation_flags = cfg->tls.validation_flags;
  g_set_object (&self->tls.database, cfg->tls.database);
  g_set_object (&self->tls.interaction, cfg->tls.interaction);
  self->played_once = FALSE;
  arcly_sync_init (&self->sync, cfg->latency);

  g_mutex_lock (&self->lock);
  self->stopping = FALSE;
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  g_clear_object (&self->wake);
  self->wake = g_cancellable_new ();
  g_mutex_unlock (&self->lock);
  return TRUE;
}

void
arcly_rtsp_client_set_read_interval (ArclyRtspClient * self, guint ms)
{
  g_mutex_lock (&self->lock);
  self->read_interval_us = read_interval_us (self, ms);
  /* a paced wait for the old interval ends now */
  if (self->wake)
    g_cancellable_cancel (self->wake);
  g_mutex_unlock (&self->lock);
}

void
arcly_rtsp_client_set_playing (ArclyRtspClient * self, gboolean playing)
{
  g_mutex_lock (&self->lock);
  self->playing = playing;
  if (playing && self->wake)
    g_cancellable_cancel (self->wake);
  g_mutex_unlock (&self->lock);
}

void
arcly_rtsp_client_stop (ArclyRtspClient * self)
{
  g_mutex_lock (&self->lock);
  self->stopping = TRUE;
  if (self->wake)
    g_cancellable_cancel (self->wake);
  g_mutex_unlock (&self->lock);
}

gboolean
arcly_rtsp_client_is_stopping (ArclyRtspClient * self)
{
  return is_stopping (self);
}

void
arcly_rtsp_client_cancel (ArclyRtspClient * self)
{
  g_mutex_lock (&self->lock);
  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  g_mutex_unlock (&self->lock);
}

void
arcly_rtsp_client_reset (ArclyRtspClient * self)
{
  reset_session (self);
}

void
arcly_rtsp_client_clear_tracks (ArclyRtspClient * self)
{
  GPtrArray *old;

  /* the handles are released without the lock held */
  g_mutex_lock (&self->lock);
  old = self->tracks;
  self->tracks = g_ptr_array_new_with_free_func (track_destroy);
  g_mutex_unlock (&self->lock);
  g_ptr_array_unref (old);
}

void
arcly_rtsp_client_foreach_track (ArclyRtspClient * self, GFunc func,
    gpointer data)
{
  g_mutex_lock (&self->lock);
  g_ptr_array_foreach (self->tracks, func, data);
  g_mutex_unlock (&self->lock);
}

GPtrArray *
arcly_rtsp_client_get_tracks (ArclyRtspClient * self)
{
  return self->tracks;
}

const gchar *
arcly_rtsp_client_get_display_url (ArclyRtspClient * self)
{
  return self->display_url;
}

guint64
arcly_rtsp_client_get_reads (ArclyRtspClient * self)
{
  guint64 n;

  g_mutex_lock (&self->lock);
  n = self->reads;
  g_mutex_unlock (&self->lock);
  return n;
}

guint
arcly_rtsp_client_get_session_timeout (ArclyRtspClient * self)
{
  return self->session_timeout;
}

gboolean
arcly_rtsp_client_was_playing (ArclyRtspClient * self)
{
  return self->was_playing;
}

guint
arcly_rtsp_client_get_fail_status (ArclyRtspClient * self)
{
  return self->fail_status;
}
