/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The scripted RTSP server driven by a minimal RTSP client written here on
 * top of our own rtspauth and rtspurl modules: its auth scenarios (two
 * independent Digest implementations, GChecksum vs Python's hashlib, must
 * agree; stale renewal; SHA-256 choice; credentials in Content-Base), and
 * the camera quirks GStreamer's rtspsrc does not survive (no interleaved
 * field, junk between frames, RTCP on the RTP channel, session timeout,
 * receiver-report deadline, GET_PARAMETER ignored) checked on the wire.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <gio/gio.h>
#include <gst/check/gstcheck.h>

#include "scriptserver-helper.h"
#include "rtspauth.h"
#include "rtspurl.h"

#define USER SCRIPT_USER
#define PASS SCRIPT_PASS

/* ------------------------------------------------------------------------ */
/* Our auth and URL modules against the server's auth scenarios */

typedef struct
{
  GSocketConnection *conn;
  GInputStream *in;
  GOutputStream *out;
  GByteArray *buf;
  guint cseq;
  gchar *session;
  ArclyAuthSession *auth;
  guint frames;                 /* interleaved frames skipped */
  guint channel_frames[256];    /* per interleaved channel */
  guint rtcp_on_even;           /* RTCP (PT 200-204) on an even channel */
  guint junk_crlf;              /* stray CR/LF between frames */
  guint junk_other;             /* other stray bytes between frames */
  gboolean closed;              /* the server closed the connection */
  guint reads, small_reads;     /* socket reads, and those of 1-3 bytes */
  gchar *transport[2];          /* Transport replies of the two SETUPs */
  gchar *public_methods;        /* Public header of the last OPTIONS */
} MiniClient;

typedef struct
{
  guint status;
  GPtrArray *www_auth;          /* WWW-Authenticate values */
  gchar *content_base;
  gchar *session;
  gchar *body;
  gchar *transport;
  gchar *public_methods;
} MiniResponse;

static void
mini_response_free (MiniResponse * r)
{
  g_ptr_array_unref (r->www_auth);
  g_free (r->content_base);
  g_free (r->session);
  g_free (r->body);
  g_free (r->transport);
  g_free (r->public_methods);
  g_free (r);
}

static MiniClient *
mini_connect (guint port)
{
  MiniClient *c = g_new0 (MiniClient, 1);
  GSocketClient *client = g_socket_client_new ();
  GError *error = NULL;

  g_socket_client_set_timeout (client, 5);
  /* Loopback: no proxy lookup (libproxy is slow and noisy under valgrind). */
  g_socket_client_set_enable_proxy (client, FALSE);
  c->conn = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL,
      &error);
  fail_unless (c->conn != NULL, "connect: %s", error ? error->message : "");
  g_object_unref (client);
  c->in = g_io_stream_get_input_stream (G_IO_STREAM (c->conn));
  c->out = g_io_stream_get_output_stream (G_IO_STREAM (c->conn));
  c->buf = g_byte_array_new ();
  c->auth = arcly_auth_session_new ();
  return c;
}

static void
mini_free (MiniClient * c)
{
  g_object_unref (c->conn);
  g_byte_array_unref (c->buf);
  g_free (c->session);
  g_free (c->transport[0]);
  g_free (c->transport[1]);
  g_free (c->public_methods);
  arcly_auth_session_free (c->auth);
  g_free (c);
}

static void
mini_fill (MiniClient * c)
{
  guint8 tmp[4096];
  GError *error = NULL;
  gssize n = g_input_stream_read (c->in, tmp, sizeof (tmp), NULL, &error);

  fail_unless (n > 0, "read: %s", error ? error->message : "EOF");
  g_byte_array_append (c->buf, tmp, n);
}

static const gchar *
find_crlfcrlf (const guint8 * data, gsize len)
{
  gsize i;

  for (i = 0; i + 3 < len; i++)
    if (memcmp (data + i, "\r\n\r\n", 4) == 0)
      return (const gchar *) data + i;
  return NULL;
}

/* Reads the next RTSP response, skipping interleaved frames. */
static MiniResponse *
mini_read_response (MiniClient * c)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;

  while (g_get_monotonic_time () < deadline) {
    const gchar *end;

    if (c->buf->len >= 1 && c->buf->data[0] == '$') {
      guint len;

      if (c->buf->len < 4) {
        mini_fill (c);
        continue;
      }
      len = (c->buf->data[2] << 8) | c->buf->data[3];
      if (c->buf->len < 4 + len) {
        mini_fill (c);
        continue;
      }
      c->channel_frames[c->buf->data[1]]++;
      if ((c->buf->data[1] & 1) == 0 && len >= 2 && c->buf->data[5] >= 200
          && c->buf->data[5] <= 204)
        c->rtcp_on_even++;
      g_byte_array_remove_range (c->buf, 0, 4 + len);
      c->frames++;
      continue;
    }
    end = find_crlfcrlf (c->buf->data, c->buf->len);
    if (end == NULL) {
      mini_fill (c);
      continue;
    }
    {
      gsize head_len = end - (const gchar *) c->buf->data;
      gchar *head = g_strndup ((const gchar *) c->buf->data, head_len);
      gchar **lines = g_strsplit (head, "\r\n", -1);
      MiniResponse *r = g_new0 (MiniResponse, 1);
      guint clen = 0, i;

      r->www_auth = g_ptr_array_new_with_free_func (g_free);
      fail_unless (g_str_has_prefix (lines[0], "RTSP/1.0 "), "bad status "
          "line");
      r->status = atoi (lines[0] + 9);
      for (i = 1; lines[i]; i++) {
        gchar *colon = strchr (lines[i], ':');
        gchar *value;

        if (!colon)
          continue;
        *colon = '\0';
        value = g_strstrip (colon + 1);
        if (g_ascii_strcasecmp (lines[i], "WWW-Authenticate") == 0)
          g_ptr_array_add (r->www_auth, g_strdup (value));
        else if (g_ascii_strcasecmp (lines[i], "Content-Length") == 0)
          clen = atoi (value);
        else if (g_ascii_strcasecmp (lines[i], "Content-Base") == 0)
          r->content_base = g_strdup (value);
        else if (g_ascii_strcasecmp (lines[i], "Session") == 0)
          r->session = g_strndup (value, strcspn (value, ";"));
        else if (g_ascii_strcasecmp (lines[i], "Transport") == 0)
          r->transport = g_strdup (value);
        else if (g_ascii_strcasecmp (lines[i], "Public") == 0)
          r->public_methods = g_strdup (value);
      }
      g_strfreev (lines);
      g_free (head);
      while (c->buf->len < head_len + 4 + clen)
        mini_fill (c);
      r->body = g_strndup ((const gchar *) c->buf->data + head_len + 4, clen);
      g_byte_array_remove_range (c->buf, 0, head_len + 4 + clen);
      return r;
    }
  }
  fail ("no response within 10 s");
  return NULL;
}

/* Reads whatever the server sends for @ms: interleaved frames (counted per
 * channel), stray bytes between them (counted), stray responses (dropped).
 * Stops early when the server closes the connection. */
static void
mini_pump (MiniClient * c, guint ms)
{
  GSocket *sock = g_socket_connection_get_socket (c->conn);
  gint64 deadline = g_get_monotonic_time () + ms * G_TIME_SPAN_MILLISECOND;

  while (!c->closed) {
    gint64 left = deadline - g_get_monotonic_time ();
    guint8 tmp[4096];
    gssize n;

    /* Consume complete frames and junk already buffered. */
    while (c->buf->len > 0) {
      guint8 b0 = c->buf->data[0];

      if (b0 == '$') {
        guint len;

        if (c->buf->len < 4)
          break;
        len = (c->buf->data[2] << 8) | c->buf->data[3];
        if (c->buf->len < 4 + len)
          break;
        c->channel_frames[c->buf->data[1]]++;
        if ((c->buf->data[1] & 1) == 0 && len >= 2 && c->buf->data[5] >= 200
            && c->buf->data[5] <= 204)
          c->rtcp_on_even++;
        c->frames++;
        g_byte_array_remove_range (c->buf, 0, 4 + len);
      } else if (b0 == 'R') {
        const gchar *end = find_crlfcrlf (c->buf->data, c->buf->len);

        if (end == NULL)
          break;
        /* A late response (bodies are not expected here). */
        g_byte_array_remove_range (c->buf, 0,
            end + 4 - (const gchar *) c->buf->data);
      } else {
        if (b0 == '\r' || b0 == '\n')
          c->junk_crlf++;
        else
          c->junk_other++;
        g_byte_array_remove_range (c->buf, 0, 1);
      }
    }
    if (left <= 0)
      break;
    if (!g_socket_condition_timed_wait (sock, G_IO_IN, MIN (left, 100000),
            NULL, NULL))
      continue;
    n = g_socket_receive (sock, (gchar *) tmp, sizeof (tmp), NULL, NULL);
    if (n <= 0) {
      c->closed = TRUE;
      break;
    }
    c->reads++;
    if (n <= 3)
      c->small_reads++;
    g_byte_array_append (c->buf, tmp, n);
  }
}

static MiniResponse *
mini_send_once (MiniClient * c, const gchar * method, const gchar * uri,
    const gchar * extra)
{
  GString *req = g_string_new (NULL);
  gchar *authz = arcly_auth_session_authorization (c->auth, method, uri,
      USER, PASS);
  GError *error = NULL;

  g_string_append_printf (req, "%s %s RTSP/1.0\r\nCSeq: %u\r\n"
      "User-Agent: arcly-check\r\n", method, uri, ++c->cseq);
  if (authz)
    g_string_append_printf (req, "Authorization: %s\r\n", authz);
  if (c->session)
    g_string_append_printf (req, "Session: %s\r\n", c->session);
  if (extra)
    g_string_append (req, extra);
  g_string_append (req, "\r\n");
  fail_unless (g_output_stream_write_all (c->out, req->str, req->len, NULL,
          NULL, &error), "write: %s", error ? error->message : "");
  g_string_free (req, TRUE);
  g_free (authz);
  return mini_read_response (c);
}

/* One request, answering 401s the way the element does. */
static MiniResponse *
mini_request (MiniClient * c, const gchar * method, const gchar * uri,
    const gchar * extra, guint * n_401)
{
  MiniResponse *r = mini_send_once (c, method, uri, extra);
  guint tries = 0;

  while (r->status == 401 && tries++ < 4) {
    gboolean again = arcly_auth_session_challenge (c->auth,
        (const gchar * const *) r->www_auth->pdata, r->www_auth->len);

    if (n_401)
      (*n_401)++;
    if (!again)
      break;
    mini_response_free (r);
    r = mini_send_once (c, method, uri, extra);
  }
  if (r->session && c->session == NULL)
    c->session = g_strdup (r->session);
  return r;
}

/* OPTIONS, DESCRIBE, SETUP ×2 (controls resolved with rtspurl), PLAY.
 * Returns the number of 401s met. */
static guint
mini_session (MiniClient * c, const gchar * url)
{
  MiniResponse *r;
  guint n_401 = 0, i;
  const gchar *base;

  r = mini_request (c, "OPTIONS", url, NULL, &n_401);
  fail_unless_equals_int (r->status, 200);
  c->public_methods = g_strdup (r->public_methods);
  mini_response_free (r);
  r = mini_request (c, "DESCRIBE", url, "Accept: application/sdp\r\n",
      &n_401);
  fail_unless_equals_int (r->status, 200);
  fail_unless (strstr (r->body, "a=control:trackID=1") != NULL);
  base = r->content_base ? r->content_base : url;
  for (i = 0; i < 2; i++) {
    gchar *ctl = g_strdup_printf ("trackID=%u", i);
    gchar *uri = arcly_rtsp_url_resolve_control (base, ctl);
    gchar *transport = g_strdup_printf ("Transport: RTP/AVP/TCP;unicast;"
        "interleaved=%u-%u\r\n", 2 * i, 2 * i + 1);
    MiniResponse *s;

    fail_unless (uri != NULL);
    fail_unless (strchr (uri, '@') == NULL);
    s = mini_request (c, "SETUP", uri, transport, &n_401);
    fail_unless_equals_int (s->status, 200);
    g_free (c->transport[i]);
    c->transport[i] = g_strdup (s->transport);
    mini_response_free (s);
    g_free (transport);
    g_free (uri);
    g_free (ctl);
  }
  mini_response_free (r);
  r = mini_request (c, "PLAY", url, "Range: npt=0-\r\n", &n_401);
  fail_unless_equals_int (r->status, 200);
  mini_response_free (r);
  return n_401;
}

static Script *
auth_scenario_session (const gchar * scenario, const gchar * expect_desc,
    MiniClient ** client_out)
{
  Script *s = script_start (scenario);
  MiniClient *c = mini_connect (arcly_test_cam_get_port (s->srv));
  guint n_401;

  n_401 = mini_session (c, arcly_test_cam_get_url (s->srv));
  /* Asked once, on the first request; the challenge then serves every
   * later one. */
  fail_unless_equals_int (n_401, 1);
  fail_unless_equals_string (arcly_auth_session_describe (c->auth),
      expect_desc);
  *client_out = c;
  return s;
}

GST_START_TEST (test_auth_digest_and_basic)
{
  MiniClient *c = NULL;
  Script *s = auth_scenario_session ("digest-and-basic", "Digest MD5", &c);
  gchar *log;

  mini_free (c);
  log = script_stop_and_log (s);
  fail_unless_equals_int (count_lines_with (log, "\"event\":\"auth\"",
          "\"ok\":true", "\"scheme\":\"Digest\"", "\"qop\":\"auth\"", NULL),
      5);
  g_free (log);
}

GST_END_TEST;

GST_START_TEST (test_auth_digest_multi_algo)
{
  MiniClient *c = NULL;
  Script *s = auth_scenario_session ("digest-multi-algo", "Digest SHA-256",
      &c);
  gchar *log;

  mini_free (c);
  log = script_stop_and_log (s);
  fail_unless_equals_int (count_lines_with (log, "\"event\":\"auth\"",
          "\"ok\":true", "\"algorithm\":\"SHA-256\"", NULL), 5);
  fail_unless_equals_int (count_lines_with (log, "\"event\":\"auth\"",
          "\"ok\":true", "\"algorithm\":\"MD5\"", NULL), 0);
  g_free (log);
}

GST_END_TEST;

GST_START_TEST (test_auth_digest_uri_check)
{
  MiniClient *c = NULL;
  Script *s = auth_scenario_session ("digest-uri-check", "Digest MD5", &c);
  gchar *log;

  mini_free (c);
  log = script_stop_and_log (s);
  /* The Content-Base carried credentials; the controls resolved from it
   * did not, and the server accepted every Digest uri. */
  fail_unless_equals_int (count_lines_with (log, "\"event\":\"auth\"",
          "\"reason\":\"uri-has-credentials\"", NULL), 0);
  fail_unless_equals_int (count_lines_with (log, "\"event\":\"auth\"",
          "\"ok\":true", "trackID=1", NULL), 1);
  g_free (log);
}

GST_END_TEST;

GST_START_TEST (test_auth_digest_uri_check_refuses_credentials)
{
  Script *s = script_start ("digest-uri-check");
  MiniClient *c = mini_connect (arcly_test_cam_get_port (s->srv));
  gchar *bad = g_strdup_printf ("rtsp://%s:%s@127.0.0.1:%u/stream", USER,
      PASS, arcly_test_cam_get_port (s->srv));
  MiniResponse *r;
  gchar *log;

  /* A client that keeps the credentials in the request URI is refused. */
  r = mini_request (c, "OPTIONS", bad, NULL, NULL);
  fail_unless_equals_int (r->status, 401);
  mini_response_free (r);
  mini_free (c);
  g_free (bad);
  log = script_stop_and_log (s);
  fail_unless_equals_int (count_lines_with (log, "\"event\":\"auth\"",
          "\"reason\":\"uri-has-credentials\"", "\"uri_has_at\":true",
          NULL), 1);
  g_free (log);
}

GST_END_TEST;

GST_START_TEST (test_auth_digest_qop_stale)
{
  MiniClient *c = NULL;
  Script *s = auth_scenario_session ("digest-qop-stale", "Digest MD5", &c);
  MiniResponse *r;
  guint n_401 = 0;
  gchar *log;

  /* Streaming; the nonce "expires" 3 s after the first success. */
  g_usleep (3300 * G_TIME_SPAN_MILLISECOND);
  r = mini_request (c, "GET_PARAMETER", arcly_test_cam_get_url (s->srv),
      NULL, &n_401);
  fail_unless_equals_int (r->status, 200);
  fail_unless_equals_int (n_401, 1);
  mini_response_free (r);
  /* The renewed nonce keeps working. */
  r = mini_request (c, "GET_PARAMETER", arcly_test_cam_get_url (s->srv),
      NULL, &n_401);
  fail_unless_equals_int (r->status, 200);
  fail_unless_equals_int (n_401, 1);
  mini_response_free (r);
  fail_unless (c->frames > 50, "only %u media frames", c->frames);
  mini_free (c);
  log = script_stop_and_log (s);
  fail_unless_equals_int (count_lines_with (log, "\"event\":\"auth\"",
          "\"reason\":\"stale\"", NULL), 1);
  fail_unless_equals_int (count_lines_with (log, "\"event\":\"auth\"",
          "\"ok\":true", "\"method\":\"GET_PARAMETER\"",
          "\"nc\":\"00000001\"", NULL), 1);
  fail_unless_equals_int (count_lines_with (log, "\"event\":\"auth\"",
          "\"ok\":true", "\"method\":\"GET_PARAMETER\"",
          "\"nc\":\"00000002\"", NULL), 1);
  fail_unless_equals_int (count_lines_with (log, "\"event\":\"auth\"",
          "\"ok\":false", "\"reason\":\"wrong-credentials\"", NULL), 0);
  g_free (log);
}

GST_END_TEST;

GST_START_TEST (test_auth_wrong_password_refused)
{
  Script *s = script_start ("digest-multi-algo");
  MiniClient *c = mini_connect (arcly_test_cam_get_port (s->srv));
  const gchar *url = arcly_test_cam_get_url (s->srv);
  MiniResponse *r;
  gchar *authz;
  gchar *log;

  r = mini_send_once (c, "DESCRIBE", url, NULL);
  fail_unless_equals_int (r->status, 401);
  fail_unless (arcly_auth_session_challenge (c->auth,
          (const gchar * const *) r->www_auth->pdata, r->www_auth->len));
  mini_response_free (r);
  /* Send a wrong password by hand. */
  authz = arcly_auth_session_authorization (c->auth, "DESCRIBE", url, USER,
      "wrong");
  {
    gchar *req = g_strdup_printf ("DESCRIBE %s RTSP/1.0\r\nCSeq: 9\r\n"
        "Authorization: %s\r\n\r\n", url, authz);

    fail_unless (g_output_stream_write_all (c->out, req, strlen (req), NULL,
            NULL, NULL));
    g_free (req);
  }
  g_free (authz);
  r = mini_read_response (c);
  fail_unless_equals_int (r->status, 401);
  /* Same nonce, no stale: the session gives up. */
  fail_if (arcly_auth_session_challenge (c->auth,
          (const gchar * const *) r->www_auth->pdata, r->www_auth->len));
  mini_response_free (r);
  mini_free (c);
  log = script_stop_and_log (s);
  fail_unless_equals_int (count_lines_with (log, "\"event\":\"auth\"",
          "\"reason\":\"wrong-credentials\"", NULL), 1);
  g_free (log);
}

GST_END_TEST;

/* ------------------------------------------------------------------------ */
/* Scenarios rtspsrc does not survive, checked with the minimal client */

static MiniClient *
raw_session (Script * s)
{
  MiniClient *c = mini_connect (arcly_test_cam_get_port (s->srv));

  fail_unless_equals_int (mini_session (c, arcly_test_cam_get_url (s->srv)),
      0);
  return c;
}

GST_START_TEST (test_raw_transport_no_interleaved)
{
  Script *s = script_start ("transport-no-interleaved");
  MiniClient *c = raw_session (s);

  fail_unless (c->transport[0] && c->transport[1]);
  fail_unless (strstr (c->transport[0], "interleaved") == NULL);
  fail_unless (strstr (c->transport[1], "interleaved") == NULL);
  mini_pump (c, 1200);
  /* Media on the channels the client asked for. */
  fail_unless (c->channel_frames[0] > 20 && c->channel_frames[2] > 20,
      "%u / %u frames", c->channel_frames[0], c->channel_frames[2]);
  fail_unless (c->channel_frames[1] >= 1 && c->channel_frames[3] >= 1);
  fail_unless_equals_int (c->junk_crlf + c->junk_other, 0);
  mini_free (c);
  g_free (script_stop_and_log (s));
}

GST_END_TEST;

GST_START_TEST (test_raw_junk_between_frames)
{
  Script *s = script_start ("junk-between-frames");
  MiniClient *c = raw_session (s);

  mini_pump (c, 1500);
  fail_unless (c->channel_frames[0] > 20 && c->channel_frames[2] > 20);
  fail_unless (c->junk_crlf >= 10, "%u stray CR/LF", c->junk_crlf);
  fail_unless (c->junk_other >= 3, "%u junk bytes", c->junk_other);
  mini_free (c);
  g_free (script_stop_and_log (s));
}

GST_END_TEST;

GST_START_TEST (test_raw_trickle)
{
  Script *s = script_start ("trickle");
  MiniClient *c = raw_session (s);

  mini_pump (c, 1200);
  fail_unless (c->channel_frames[0] > 20 && c->channel_frames[2] > 20);
  /* The reader keeps up, so most reads see the 1-3 byte writes. */
  fail_unless (c->small_reads * 2 > c->reads, "%u of %u reads had 1-3 "
      "bytes", c->small_reads, c->reads);
  mini_free (c);
  g_free (script_stop_and_log (s));
}

GST_END_TEST;

GST_START_TEST (test_raw_rtcp_wrong_channel)
{
  Script *s = script_start ("rtcp-wrong-channel");
  MiniClient *c = raw_session (s);

  mini_pump (c, 1300);
  fail_unless (c->rtcp_on_even >= 2, "%u SRs on RTP channels",
      c->rtcp_on_even);
  fail_unless_equals_int (c->channel_frames[1] + c->channel_frames[3], 0);
  mini_free (c);
  g_free (script_stop_and_log (s));
}

GST_END_TEST;

GST_START_TEST (test_raw_sdp_faults)
{
  Script *s = script_start ("sdp-faults");
  MiniClient *c = mini_connect (arcly_test_cam_get_port (s->srv));
  MiniResponse *r = mini_request (c, "DESCRIBE",
      arcly_test_cam_get_url (s->srv), NULL, NULL);

  fail_unless_equals_int (r->status, 200);
  fail_if (g_str_has_prefix (r->body, "v=") || strstr (r->body, "\ns=")
      || strstr (r->body, "\nv="));
  fail_unless (strstr (r->body, "o=- 1700000000 1 IN 127.0.0.1\r\n"));
  fail_unless (strstr (r->body, "c=IN c=IN IP4 0.0.0.0\r\n"));
  fail_unless (strstr (r->body, "SizeLength=13;IndexLength=3;"
          "IndexDeltaLength=3"));
  /* base64 of 00 00 00 01 67 ...: "AAAAAWdC" */
  fail_unless (strstr (r->body, "sprop-parameter-sets=AAAAAWdC"));
  mini_response_free (r);
  mini_free (c);
  g_free (script_stop_and_log (s));
}

GST_END_TEST;

/* Three servers at once, so the waits overlap: a session nobody keeps alive
 * is closed after its 6 s timeout, a camera that gets no receiver report
 * closes after 5 s, and one that ignores GET_PARAMETER stays up when kept
 * alive with OPTIONS. */
GST_START_TEST (test_raw_timeouts)
{
  Script *sst = script_start ("short-session-timeout");
  Script *srr = script_start ("needs-rr");
  Script *sgp = script_start ("ignores-get-parameter");
  MiniClient *cst = raw_session (sst);
  MiniClient *crr = raw_session (srr);
  MiniClient *cgp = raw_session (sgp);
  gint64 start = g_get_monotonic_time (), closed_st = 0, closed_rr = 0;
  gint64 last_ka = start;
  MiniResponse *r;
  gchar *log;

  fail_unless (strstr (cgp->public_methods, "GET_PARAMETER") == NULL);
  fail_unless (strstr (cst->public_methods, "GET_PARAMETER") != NULL);
  r = mini_request (cgp, "GET_PARAMETER", arcly_test_cam_get_url (sgp->srv),
      NULL, NULL);
  fail_unless_equals_int (r->status, 501);
  mini_response_free (r);

  while (g_get_monotonic_time () - start < 8500 * G_TIME_SPAN_MILLISECOND) {
    gint64 now;

    mini_pump (cst, 30);
    mini_pump (crr, 30);
    mini_pump (cgp, 30);
    now = g_get_monotonic_time ();
    if (cst->closed && !closed_st)
      closed_st = now;
    if (crr->closed && !closed_rr)
      closed_rr = now;
    if (now - last_ka > 2 * G_TIME_SPAN_SECOND) {
      /* The keep-alive the element sends to such a camera. */
      r = mini_request (cgp, "OPTIONS", arcly_test_cam_get_url (sgp->srv),
          NULL, NULL);
      fail_unless_equals_int (r->status, 200);
      mini_response_free (r);
      last_ka = now;
    }
  }
  fail_unless (closed_st != 0, "the short session was not timed out");
  fail_unless (closed_st - start >= 5500 * G_TIME_SPAN_MILLISECOND,
      "closed after %" G_GINT64_FORMAT " ms", (closed_st - start) / 1000);
  fail_unless (closed_rr != 0, "needs-rr did not close without RR");
  fail_unless (closed_rr - start >= 4500 * G_TIME_SPAN_MILLISECOND,
      "closed after %" G_GINT64_FORMAT " ms", (closed_rr - start) / 1000);
  fail_if (cgp->closed, "OPTIONS keep-alive did not keep the session");
  fail_unless (cgp->channel_frames[0] > 100);

  mini_free (cst);
  mini_free (crr);
  mini_free (cgp);
  log = script_stop_and_log (sst);
  fail_unless_equals_int (count_lines_with (log, "\"session-timeout\"",
          NULL), 1);
  g_free (log);
  log = script_stop_and_log (srr);
  fail_unless_equals_int (count_lines_with (log, "\"no-receiver-report\"",
          NULL), 1);
  g_free (log);
  log = script_stop_and_log (sgp);
  fail_unless_equals_int (count_lines_with (log, "\"session-timeout\"",
          NULL), 0);
  fail_unless_equals_int (count_lines_with (log, "\"event\":\"response\"",
          "\"status\":501", "GET_PARAMETER", NULL), 1);
  g_free (log);
}

GST_END_TEST;
static Suite *
scriptserver_client_suite (void)
{
  Suite *s = suite_create ("scriptserver-client");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_auth_digest_and_basic);
  tcase_add_test (tc, test_auth_digest_multi_algo);
  tcase_add_test (tc, test_auth_digest_uri_check);
  tcase_add_test (tc, test_auth_digest_uri_check_refuses_credentials);
  tcase_add_test (tc, test_auth_digest_qop_stale);
  tcase_add_test (tc, test_auth_wrong_password_refused);
  tcase_add_test (tc, test_raw_transport_no_interleaved);
  tcase_add_test (tc, test_raw_junk_between_frames);
  tcase_add_test (tc, test_raw_rtcp_wrong_channel);
  tcase_add_test (tc, test_raw_trickle);
  tcase_add_test (tc, test_raw_sdp_faults);
  tcase_add_test (tc, test_raw_timeouts);
  return s;
}

GST_CHECK_MAIN (scriptserver_client);
