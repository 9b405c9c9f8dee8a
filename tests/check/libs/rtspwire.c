/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Unit tests of the RTSP wire parser (gst/arclyrtspsrc/rtspwire.c): whole
 * units, every truncated prefix, every split into chunks, camera quirks
 * (lowercase headers, padding, junk between frames), the limits, and hostile
 * bytes placed right before an unmapped page.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "rtspwire.h"

/* A session as gst-rtsp-server and cameras write it: a reply with a body, an
 * interleaved RTP frame, a stray CRLF, a server request, junk, an RTCP frame
 * and a lowercase reply. */
static const gchar session_text[] =
    "RTSP/1.0 200 OK\r\n"
    "CSeq: 2\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 12\r\n"
    "\r\n"
    "v=0\r\ns=-\r\nxy"
    "$\x00\x00\x05" "ABCDE"
    "\r\n"
    "GET_PARAMETER rtsp://10.0.0.1/stream RTSP/1.0\r\n"
    "CSeq: 7\r\n"
    "Session: 1234\r\n"
    "\r\n"
    "\x00\x17junk!"
    "$\x01\x00\x02" "\x80\xc8"
    "rtsp/1.0 is not a status line\n"
    "RTSP/1.0 401 Unauthorized\n"
    "cseq:3\n"
    "www-authenticate :  Basic realm=\"x\"  \n"
    "WWW-Authenticate: Digest realm=\"x\", nonce=\"n\"\n"
    "\n";

static gchar *
describe (const ArclyRtspWireMessage * m)
{
  switch (m->kind) {
    case ARCLY_RTSP_WIRE_KIND_FRAME:
      return g_strdup_printf ("F%u:%" G_GSIZE_FORMAT, m->channel, m->data_len);
    case ARCLY_RTSP_WIRE_KIND_RESPONSE:
      return g_strdup_printf ("R%u:%" G_GINT64_FORMAT ":%" G_GSIZE_FORMAT,
          m->status, arcly_rtsp_wire_get_cseq (m), m->body_len);
    case ARCLY_RTSP_WIRE_KIND_REQUEST:
      return g_strdup_printf ("Q%.*s:%" G_GINT64_FORMAT, (gint) m->method_len,
          m->method, arcly_rtsp_wire_get_cseq (m));
  }
  return g_strdup ("?");
}

/* Feeds @data in chunks of @chunk bytes like a socket would, returns the
 * units found, joined by spaces; "E" marks an error. */
static gchar *
run_stream (const guint8 * data, gsize len, gsize chunk)
{
  GByteArray *buf = g_byte_array_new ();
  GString *out = g_string_new (NULL);
  ArclyRtspWireMessage msg;
  gsize fed = 0;

  while (fed < len || buf->len > 0) {
    gsize consumed = 0;
    ArclyRtspWireResult r = arcly_rtsp_wire_parse (buf->data, buf->len, &msg,
        &consumed);

    if (r == ARCLY_RTSP_WIRE_MESSAGE) {
      gchar *d = describe (&msg);

      fail_unless (consumed > 0 && consumed <= buf->len);
      g_string_append_printf (out, "%s%s", out->len ? " " : "", d);
      g_free (d);
      g_byte_array_remove_range (buf, 0, consumed);
    } else if (r == ARCLY_RTSP_WIRE_SKIP) {
      fail_unless (consumed > 0 && consumed <= buf->len);
      g_byte_array_remove_range (buf, 0, consumed);
    } else if (r == ARCLY_RTSP_WIRE_ERROR) {
      g_string_append (out, " E");
      break;
    } else {
      gsize n;

      fail_unless_equals_int (consumed, 0);
      if (fed >= len)
        break;
      n = MIN (chunk, len - fed);
      g_byte_array_append (buf, data + fed, n);
      fed += n;
    }
  }
  g_byte_array_unref (buf);
  return g_string_free (out, FALSE);
}

GST_START_TEST (test_session_any_split)
{
  const gchar *expected = "R200:2:12 F0:5 QGET_PARAMETER:7 F1:2 R401:3:0";
  gsize len = sizeof (session_text) - 1;
  gsize chunk;

  for (chunk = 1; chunk <= len; chunk++) {
    gchar *got = run_stream ((const guint8 *) session_text, len, chunk);

    if (g_strcmp0 (got, expected) != 0)
      fail ("chunk %" G_GSIZE_FORMAT ": got '%s'", chunk, got);
    g_free (got);
  }
}

GST_END_TEST;

GST_START_TEST (test_headers_any_case)
{
  static const gchar text[] =
      "RTSP/1.0 200 OK\r\n"
      "cseq:   5  \r\n"
      "SESSION: abc;timeout=30\r\n"
      "  folded continuation\r\n"
      "no colon here\r\n"
      "public: OPTIONS, DESCRIBE\r\n"
      "content-length:3\r\n\r\nxyzTRAILING";
  ArclyRtspWireMessage msg;
  gsize consumed;
  gchar *v;
  gchar **all;

  fail_unless_equals_int (arcly_rtsp_wire_parse ((const guint8 *) text,
          strlen (text), &msg, &consumed), ARCLY_RTSP_WIRE_MESSAGE);
  fail_unless_equals_int (consumed, strlen (text) - strlen ("TRAILING"));
  fail_unless_equals_int (msg.status, 200);
  fail_unless_equals_int (msg.reason_len, 2);
  fail_unless_equals_int (arcly_rtsp_wire_get_cseq (&msg), 5);
  v = arcly_rtsp_wire_dup_header (&msg, "Session");
  fail_unless_equals_string (v, "abc;timeout=30");
  g_free (v);
  v = arcly_rtsp_wire_dup_header (&msg, "PUBLIC");
  fail_unless_equals_string (v, "OPTIONS, DESCRIBE");
  g_free (v);
  fail_unless_equals_int (msg.body_len, 3);
  fail_unless (memcmp (msg.body, "xyz", 3) == 0);
  all = arcly_rtsp_wire_dup_headers (&msg, "nothing");
  fail_unless (all[0] == NULL);
  g_strfreev (all);
}

GST_END_TEST;

GST_START_TEST (test_request_line)
{
  static const gchar text[] =
      "SET_PARAMETER   rtsp://cam/x?y=1   RTSP/1.0  \r\nCSeq: 1\r\n\r\n";
  ArclyRtspWireMessage msg;
  gsize consumed;

  fail_unless_equals_int (arcly_rtsp_wire_parse ((const guint8 *) text,
          strlen (text), &msg, &consumed), ARCLY_RTSP_WIRE_MESSAGE);
  fail_unless_equals_int (msg.kind, ARCLY_RTSP_WIRE_KIND_REQUEST);
  fail_unless (arcly_rtsp_wire_method_is (&msg, "SET_PARAMETER"));
  fail_if (arcly_rtsp_wire_method_is (&msg, "SET"));
  fail_unless_equals_int (msg.uri_len, strlen ("rtsp://cam/x?y=1"));
  fail_unless (memcmp (msg.uri, "rtsp://cam/x?y=1", msg.uri_len) == 0);
}

GST_END_TEST;

GST_START_TEST (test_junk_resync)
{
  /* a stray CRLF, binary junk and text junk starting with capitals each
   * skip up to the next frame or message */
  static const guint8 data[] = "\r\n\r\nXYZ\x01\x02$\x02\x00\x01Q"
      "HTTP/1.1 200 OK\r\n" "RTSP/1.0 200 OK\r\nCSeq: 9\r\n\r\n"
      "Rxx$\x03\x00\x00";
  gchar *got = run_stream (data, sizeof (data) - 1, 1);

  fail_unless_equals_string (got, "F2:1 R200:9:0 F3:0");
  g_free (got);
}

GST_END_TEST;

GST_START_TEST (test_max_frame)
{
  gsize len = 4 + 65535;
  guint8 *data = g_malloc0 (len + 1);
  ArclyRtspWireMessage msg;
  gsize consumed;

  data[0] = '$';
  data[1] = 1;
  data[2] = 0xff;
  data[3] = 0xff;
  fail_unless_equals_int (arcly_rtsp_wire_parse (data, len - 1, &msg,
          &consumed), ARCLY_RTSP_WIRE_NEED_MORE);
  fail_unless_equals_int (arcly_rtsp_wire_parse (data, len + 1, &msg,
          &consumed), ARCLY_RTSP_WIRE_MESSAGE);
  fail_unless_equals_int (consumed, len);
  fail_unless_equals_int (msg.data_len, 65535);
  g_free (data);
}

GST_END_TEST;

static ArclyRtspWireResult
parse_string (const gchar * s, gsize len, ArclyRtspWireMessage * msg)
{
  gsize consumed;

  return arcly_rtsp_wire_parse ((const guint8 *) s, len, msg, &consumed);
}

GST_START_TEST (test_limits)
{
  ArclyRtspWireMessage msg;
  GString *s;
  guint i;

  /* status line without end */
  s = g_string_new ("RTSP/1.0 200 ");
  while (s->len < ARCLY_RTSP_WIRE_MAX_LINE + 10)
    g_string_append_c (s, 'a');
  fail_unless_equals_int (parse_string (s->str, s->len, &msg),
      ARCLY_RTSP_WIRE_ERROR);
  fail_unless_equals_int (msg.error, ARCLY_RTSP_WIRE_ERROR_LINE_TOO_LONG);
  g_string_free (s, TRUE);

  /* a header line without end */
  s = g_string_new ("RTSP/1.0 200 OK\r\nX: ");
  while (s->len < ARCLY_RTSP_WIRE_MAX_LINE * 2)
    g_string_append_c (s, 'a');
  fail_unless_equals_int (parse_string (s->str, s->len, &msg),
      ARCLY_RTSP_WIRE_ERROR);
  g_string_free (s, TRUE);

  /* too many headers */
  s = g_string_new ("RTSP/1.0 200 OK\r\n");
  for (i = 0; i < ARCLY_RTSP_WIRE_MAX_HEADERS + 1; i++)
    g_string_append_printf (s, "X-%u: v\r\n", i);
  g_string_append (s, "\r\n");
  fail_unless_equals_int (parse_string (s->str, s->len, &msg),
      ARCLY_RTSP_WIRE_ERROR);
  fail_unless_equals_int (msg.error, ARCLY_RTSP_WIRE_ERROR_TOO_MANY_HEADERS);
  g_string_free (s, TRUE);

  /* exactly the maximum is fine */
  s = g_string_new ("RTSP/1.0 200 OK\r\n");
  for (i = 0; i < ARCLY_RTSP_WIRE_MAX_HEADERS; i++)
    g_string_append_printf (s, "X-%u: v\r\n", i);
  g_string_append (s, "\r\n");
  fail_unless_equals_int (parse_string (s->str, s->len, &msg),
      ARCLY_RTSP_WIRE_MESSAGE);
  fail_unless_equals_int (msg.n_headers, ARCLY_RTSP_WIRE_MAX_HEADERS);
  g_string_free (s, TRUE);

  /* body limits */
  {
    static const gchar big[] = "RTSP/1.0 200 OK\r\nContent-Length: 65537\r\n\r\n";
    static const gchar huge[] =
        "RTSP/1.0 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n";
    static const gchar neg[] = "RTSP/1.0 200 OK\r\nContent-Length: -1\r\n\r\n";
    static const gchar max[] = "RTSP/1.0 200 OK\r\nContent-Length: 65536\r\n\r\n";

    fail_unless_equals_int (parse_string (big, strlen (big), &msg),
        ARCLY_RTSP_WIRE_ERROR);
    fail_unless_equals_int (msg.error, ARCLY_RTSP_WIRE_ERROR_BODY_TOO_LARGE);
    fail_unless_equals_int (parse_string (huge, strlen (huge), &msg),
        ARCLY_RTSP_WIRE_ERROR);
    fail_unless_equals_int (parse_string (neg, strlen (neg), &msg),
        ARCLY_RTSP_WIRE_ERROR);
    fail_unless_equals_int (msg.error,
        ARCLY_RTSP_WIRE_ERROR_BAD_CONTENT_LENGTH);
    fail_unless_equals_int (parse_string (max, strlen (max), &msg),
        ARCLY_RTSP_WIRE_NEED_MORE);
  }
}

GST_END_TEST;

/* Every prefix of every sample, copied so that its last byte is the last
 * byte before an unmapped page: any read past the end faults. */
GST_START_TEST (test_prefixes_at_page_end)
{
  static const gchar *samples[] = {
    session_text,
    "RTSP/1.0 200 OK\r\nContent-Length: 4\r\n\r\nabcd",
    "OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n\r\n",
    "$\x05\x00\x03xyz",
    "RTSP/1.0 2",
    "ANNOUNCE rtsp://x RTSP/1.",
  };
  long page = sysconf (_SC_PAGESIZE);
  guint8 *map = mmap (NULL, page * 2, PROT_READ | PROT_WRITE,
      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  guint s;

  fail_unless (map != MAP_FAILED);
  fail_unless (mprotect (map + page, page, PROT_NONE) == 0);
  for (s = 0; s < G_N_ELEMENTS (samples); s++) {
    gsize full = s == 0 ? sizeof (session_text) - 1 : strlen (samples[s]);
    gsize n;

    for (n = 0; n <= full && n <= (gsize) page; n++) {
      guint8 *p = map + page - n;
      ArclyRtspWireMessage msg;
      gsize consumed;
      ArclyRtspWireResult r;

      memcpy (p, samples[s], n);
      r = arcly_rtsp_wire_parse (p, n, &msg, &consumed);
      fail_unless (r != ARCLY_RTSP_WIRE_ERROR);
      fail_unless (consumed <= n);
      if (r == ARCLY_RTSP_WIRE_NEED_MORE)
        fail_unless_equals_int (consumed, 0);
    }
  }
  munmap (map, page * 2);
}

GST_END_TEST;

GST_START_TEST (test_hostile_bytes)
{
  GRand *rand = g_rand_new_with_seed (1234);
  guint8 buf[600];
  guint iter;

  for (iter = 0; iter < 20000; iter++) {
    gsize len = g_rand_int_range (rand, 0, sizeof (buf)), i, pos = 0;

    for (i = 0; i < len; i++) {
      /* biased towards the bytes the grammar cares about */
      static const guint8 special[] = "$RTSP/1.0 \r\n:CSeqContent-Length9";
      buf[i] = g_rand_boolean (rand) ? special[g_rand_int_range (rand, 0,
              sizeof (special) - 1)] : (guint8) g_rand_int (rand);
    }
    while (pos < len) {
      ArclyRtspWireMessage msg;
      gsize consumed;
      ArclyRtspWireResult r = arcly_rtsp_wire_parse (buf + pos, len - pos,
          &msg, &consumed);

      if (r == ARCLY_RTSP_WIRE_NEED_MORE || r == ARCLY_RTSP_WIRE_ERROR)
        break;
      fail_unless (consumed > 0 && consumed <= len - pos);
      pos += consumed;
    }
  }
  g_rand_free (rand);
}

GST_END_TEST;

/* Bytes skipped where a reply is expected: another protocol's status line
 * (a web server on the camera's HTTP port), a broken RTSP status line, or
 * the junk cameras send, which must stay plain. */
GST_START_TEST (test_classify_junk)
{
  static const struct
  {
    const gchar *text;
    ArclyRtspWireJunk want;
  } cases[] = {
    {"HTTP/1.1 200 OK\r\n", ARCLY_RTSP_WIRE_JUNK_HTTP},
    {"HTTP/1.0 400 Bad Request\r\n", ARCLY_RTSP_WIRE_JUNK_HTTP},
    {"HTTP/2", ARCLY_RTSP_WIRE_JUNK_HTTP},
    {"SIP/2.0 200 OK\r\n", ARCLY_RTSP_WIRE_JUNK_OTHER_PROTOCOL},
    {"RTSP/1.0 2OO OK\r\n", ARCLY_RTSP_WIRE_JUNK_BAD_STATUS_LINE},
    {"RTSP/1.0\r\n", ARCLY_RTSP_WIRE_JUNK_BAD_STATUS_LINE},
    {"\r\n", ARCLY_RTSP_WIRE_JUNK_PLAIN},
    {"\x00\xff\x01", ARCLY_RTSP_WIRE_JUNK_PLAIN},
    {"HTTP", ARCLY_RTSP_WIRE_JUNK_PLAIN},
    {"HTTP/", ARCLY_RTSP_WIRE_JUNK_PLAIN},
    {"HTTP/x", ARCLY_RTSP_WIRE_JUNK_PLAIN},
    {"H/1", ARCLY_RTSP_WIRE_JUNK_PLAIN},
    {"ABCDEFGHIJKLMNOPQRSTUVWXYZ/1", ARCLY_RTSP_WIRE_JUNK_PLAIN},
    {"http/1.1 200 OK", ARCLY_RTSP_WIRE_JUNK_PLAIN},
    {"GARBAGE LINE\r\n", ARCLY_RTSP_WIRE_JUNK_PLAIN},
  };
  guint i;

  fail_unless_equals_int (arcly_rtsp_wire_classify_junk (NULL, 0),
      ARCLY_RTSP_WIRE_JUNK_PLAIN);
  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    gsize len = strlen (cases[i].text), k;
    guint8 *copy;

    if (cases[i].text[0] == '\0')
      len = 3;
    fail_unless_equals_int (arcly_rtsp_wire_classify_junk ((const guint8 *)
            cases[i].text, len), cases[i].want);
    /* every truncated prefix: never a verdict the full text would not give,
     * read in a copy of exactly that size (valgrind sees overreads) */
    for (k = 0; k < len; k++) {
      ArclyRtspWireJunk j;

      copy = g_memdup2 (cases[i].text, k);
      j = arcly_rtsp_wire_classify_junk (copy, k);
      fail_unless (j == ARCLY_RTSP_WIRE_JUNK_PLAIN || j == cases[i].want,
          "case %u prefix %u", i, (guint) k);
      g_free (copy);
    }
  }
}

GST_END_TEST;

static Suite *
rtspwire_suite (void)
{
  Suite *s = suite_create ("rtspwire");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_session_any_split);
  tcase_add_test (tc, test_headers_any_case);
  tcase_add_test (tc, test_request_line);
  tcase_add_test (tc, test_junk_resync);
  tcase_add_test (tc, test_max_frame);
  tcase_add_test (tc, test_limits);
  tcase_add_test (tc, test_prefixes_at_page_end);
  tcase_add_test (tc, test_hostile_bytes);
  tcase_add_test (tc, test_classify_junk);
  return s;
}

GST_CHECK_MAIN (rtspwire);
