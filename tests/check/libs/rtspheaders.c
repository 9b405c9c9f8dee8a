/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Unit tests for rtspheaders: Session, Transport and RTP-Info values as
 * cameras and servers send them (spacing, case, several transports, missing
 * fields, garbage), every truncated prefix of real values, and the choice
 * of the DESCRIBE base URL.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <gst/check/gstcheck.h>

#include "rtspheaders.h"

/* ------------------------------------------------------------------ */
/* Session */

typedef struct
{
  const gchar *value;
  const gchar *id;              /* NULL: none */
  guint timeout;
} SessionCase;

static const SessionCase session_cases[] = {
  {"1234abcd", "1234abcd", 0},
  {"1234abcd;timeout=20", "1234abcd", 20},
  /* gst-rtsp-server */
  {"5uOHmHKR7eN0ZvxK;timeout=60", "5uOHmHKR7eN0ZvxK", 60},
  /* Hikvision-style spacing */
  {"  1480963413 ; timeout = 60 ", "1480963413", 60},
  {"ABC;Timeout=30", "ABC", 30},
  {"ABC;TIMEOUT=45", "ABC", 45},
  /* out of range: ignored */
  {"ABC;timeout=0", "ABC", 0},
  {"ABC;timeout=3601", "ABC", 0},
  {"ABC;timeout=3600", "ABC", 3600},
  {"ABC;timeout=1", "ABC", 1},
  {"ABC;timeout=-5", "ABC", 0},
  {"ABC;timeout=99999999999999999999999", "ABC", 0},
  {"ABC;timeout", "ABC", 0},
  {"ABC;timeout=", "ABC", 0},
  {"ABC;timeout=abc", "ABC", 0},
  /* trailing garbage after the number is tolerated */
  {"ABC;timeout=25s", "ABC", 25},
  /* the last usable one wins */
  {"ABC;timeout=10;timeout=20", "ABC", 20},
  {"ABC;timeout=10;timeout=0", "ABC", 10},
  /* other parameters are ignored */
  {"ABC;foo=bar;timeout=15", "ABC", 15},
  /* no id, a timeout all the same */
  {";timeout=20", NULL, 20},
  {"   ;timeout=20", NULL, 20},
  {"", NULL, 0},
  {"   ", NULL, 0},
  {";", NULL, 0},
};

GST_START_TEST (test_session_table)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (session_cases); i++) {
    const SessionCase *c = &session_cases[i];
    ArclyRtspSessionHeader sh;
    gboolean ok = arcly_rtsp_headers_parse_session (c->value, &sh);

    GST_DEBUG ("session %u: '%s'", i, c->value);
    fail_unless_equals_int (ok, c->id != NULL);
    fail_unless_equals_string (sh.id, c->id);
    fail_unless_equals_int (sh.timeout, c->timeout);
    arcly_rtsp_session_header_clear (&sh);
    fail_unless (sh.id == NULL);
  }
}

GST_END_TEST;

GST_START_TEST (test_session_absent)
{
  ArclyRtspSessionHeader sh = { (gchar *) "stale", 9 };

  fail_if (arcly_rtsp_headers_parse_session (NULL, &sh));
  fail_unless (sh.id == NULL);
  fail_unless_equals_int (sh.timeout, 0);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* Transport */

typedef struct
{
  const gchar *value;
  gboolean ret;
  gboolean have_interleaved;
  guint rtp, rtcp;
  gboolean have_ssrc;
  guint32 ssrc;
} TransportCase;

static const TransportCase transport_cases[] = {
  {"RTP/AVP/TCP;unicast;interleaved=0-1", TRUE, TRUE, 0, 1, FALSE, 0},
  /* gst-rtsp-server */
  {"RTP/AVP/TCP;unicast;interleaved=2-3;ssrc=1A2B3C4D;mode=\"PLAY\"",
      TRUE, TRUE, 2, 3, TRUE, 0x1A2B3C4D},
  /* a camera answering other channels than requested */
  {"RTP/AVP/TCP;unicast;interleaved=4-5", TRUE, TRUE, 4, 5, FALSE, 0},
  /* padded ssrc (Dahua), lower-case hex */
  {"RTP/AVP/TCP;unicast;interleaved=0-1;ssrc=     D93FF", TRUE, TRUE, 0, 1,
      TRUE, 0xD93FF},
  {"RTP/AVP/TCP;unicast;interleaved=0-1;ssrc=deadbeef", TRUE, TRUE, 0, 1,
      TRUE, 0xDEADBEEF},
  /* spaces around names and values, any case */
  {" RTP/AVP/TCP ; unicast ; Interleaved = 6 - 7 ; SSRC = 10 ", TRUE, TRUE,
      6, 6 + 1, TRUE, 0x10},
  {"RTP/AVP/TCP;INTERLEAVED=8-9", TRUE, TRUE, 8, 9, FALSE, 0},
  /* N only: RTCP on N+1 */
  {"RTP/AVP/TCP;unicast;interleaved=6", TRUE, TRUE, 6, 7, FALSE, 0},
  {"RTP/AVP/TCP;unicast;interleaved=255", TRUE, TRUE, 255, 255, FALSE, 0},
  {"RTP/AVP/TCP;unicast;interleaved=254-255", TRUE, TRUE, 254, 255, FALSE, 0},
  /* unusable M: N+1 */
  {"RTP/AVP/TCP;interleaved=2-", TRUE, TRUE, 2, 3, FALSE, 0},
  {"RTP/AVP/TCP;interleaved=2-x", TRUE, TRUE, 2, 3, FALSE, 0},
  {"RTP/AVP/TCP;interleaved=2-256", TRUE, TRUE, 2, 3, FALSE, 0},
  /* unusable N: skipped */
  {"RTP/AVP/TCP;interleaved=256-257", FALSE, FALSE, 0, 0, FALSE, 0},
  {"RTP/AVP/TCP;interleaved=-1", FALSE, FALSE, 0, 0, FALSE, 0},
  {"RTP/AVP/TCP;interleaved=", FALSE, FALSE, 0, 0, FALSE, 0},
  {"RTP/AVP/TCP;interleaved=x-y", FALSE, FALSE, 0, 0, FALSE, 0},
  {"RTP/AVP/TCP;interleaved=99999999999999999999", FALSE, FALSE, 0, 0,
      FALSE, 0},
  /* missing interleaved: keep the requested channels */
  {"RTP/AVP/TCP;unicast", FALSE, FALSE, 0, 0, FALSE, 0},
  {"RTP/AVP/TCP;unicast;ssrc=00000001", TRUE, FALSE, 0, 0, TRUE, 1},
  /* ssrc over 32 bits, or not hex: ignored */
  {"RTP/AVP/TCP;interleaved=0-1;ssrc=123456789", TRUE, TRUE, 0, 1, FALSE, 0},
  {"RTP/AVP/TCP;interleaved=0-1;ssrc=zz", TRUE, TRUE, 0, 1, FALSE, 0},
  {"RTP/AVP/TCP;interleaved=0-1;ssrc=", TRUE, TRUE, 0, 1, FALSE, 0},
  /* several transports: only ';' splits, so the first interleaved value
   * is read up to its ',' and the last usable one wins */
  {"RTP/AVP/TCP;unicast;interleaved=0-1,RTP/AVP;unicast;client_port=5000-5001",
      TRUE, TRUE, 0, 1, FALSE, 0},
  {"RTP/AVP/TCP;interleaved=0-1,RTP/AVP/TCP;interleaved=2-3", TRUE, TRUE,
      2, 3, FALSE, 0},
  {"RTP/AVP/TCP;interleaved=0-1;interleaved=300", TRUE, TRUE, 0, 1, FALSE, 0},
  /* garbage */
  {"", FALSE, FALSE, 0, 0, FALSE, 0},
  {";;;;", FALSE, FALSE, 0, 0, FALSE, 0},
  {"===", FALSE, FALSE, 0, 0, FALSE, 0},
  {"\x01\x02;\xff=\xfe", FALSE, FALSE, 0, 0, FALSE, 0},
  {"interleaved", FALSE, FALSE, 0, 0, FALSE, 0},
};

GST_START_TEST (test_transport_table)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (transport_cases); i++) {
    const TransportCase *c = &transport_cases[i];
    ArclyRtspTransport tr;
    gboolean ok = arcly_rtsp_headers_parse_transport (c->value, &tr);

    GST_DEBUG ("transport %u: '%s'", i, c->value);
    fail_unless_equals_int (ok, c->ret);
    fail_unless_equals_int (tr.have_interleaved, c->have_interleaved);
    if (c->have_interleaved) {
      fail_unless_equals_int (tr.rtp_channel, c->rtp);
      fail_unless_equals_int (tr.rtcp_channel, c->rtcp);
    }
    fail_unless_equals_int (tr.have_ssrc, c->have_ssrc);
    if (c->have_ssrc)
      fail_unless_equals_uint64 (tr.ssrc, c->ssrc);
  }
}

GST_END_TEST;

GST_START_TEST (test_transport_absent)
{
  ArclyRtspTransport tr;

  memset (&tr, 0xaa, sizeof (tr));
  fail_if (arcly_rtsp_headers_parse_transport (NULL, &tr));
  fail_if (tr.have_interleaved);
  fail_if (tr.have_ssrc);
}

GST_END_TEST;

/* Every prefix of a real reply parses without harm, and gives the full
 * answer only once the field is complete. */
GST_START_TEST (test_transport_prefixes)
{
  const gchar *full = "RTP/AVP/TCP;unicast;interleaved=12-13;ssrc=0A0B0C0D";
  gsize n, len = strlen (full);

  for (n = 0; n <= len; n++) {
    gchar *v = g_strndup (full, n);
    ArclyRtspTransport tr;

    arcly_rtsp_headers_parse_transport (v, &tr);
    if (tr.have_interleaved) {
      fail_unless_equals_int (tr.rtp_channel, 1 + (n > 33) * 11);
      fail_unless (tr.rtcp_channel == tr.rtp_channel + 1
          || tr.rtcp_channel == 1 || tr.rtcp_channel == 13);
    }
    if (n >= 37)
      fail_unless (tr.have_interleaved && tr.rtp_channel == 12
          && tr.rtcp_channel == 13);
    if (n == len)
      fail_unless (tr.have_ssrc && tr.ssrc == 0x0A0B0C0D);
    g_free (v);
  }
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* RTP-Info */

typedef struct
{
  const gchar *url;
  gboolean have_rtptime;
  guint32 rtptime;
} RtpInfoEntry;

typedef struct
{
  const gchar *value;
  guint n;
  RtpInfoEntry e[4];
} RtpInfoCase;

static const RtpInfoCase rtp_info_cases[] = {
  /* gst-rtsp-server, two tracks */
  {"url=rtsp://127.0.0.1:8554/test/stream=0;seq=1234;rtptime=3000000, "
        "url=rtsp://127.0.0.1:8554/test/stream=1;seq=5;rtptime=160000",
        2, {{"rtsp://127.0.0.1:8554/test/stream=0", TRUE, 3000000},
          {"rtsp://127.0.0.1:8554/test/stream=1", TRUE, 160000}}},
  /* spacing and case (Axis, Hikvision) */
  {" URL=rtsp://cam/trackID=1 ; SEQ=1 ; RtpTime=42 ,url=rtsp://cam/trackID=2",
        2, {{"rtsp://cam/trackID=1", TRUE, 42}, {"rtsp://cam/trackID=2",
              FALSE, 0}}},
  /* relative url, rtptime first */
  {"rtptime=7;url=trackID=0", 1, {{"trackID=0", TRUE, 7}}},
  /* missing fields */
  {"seq=1;rtptime=9", 1, {{NULL, TRUE, 9}}},
  {"url=rtsp://cam/a", 1, {{"rtsp://cam/a", FALSE, 0}}},
  {"url=;rtptime=1", 1, {{"", TRUE, 1}}},
  /* bad rtptime: not a number, over 32 bits, negative */
  {"url=a;rtptime=x", 1, {{"a", FALSE, 0}}},
  {"url=a;rtptime=", 1, {{"a", FALSE, 0}}},
  {"url=a;rtptime=4294967295", 1, {{"a", TRUE, G_MAXUINT32}}},
  {"url=a;rtptime=4294967296", 1, {{"a", FALSE, 0}}},
  {"url=a;rtptime=-1", 1, {{"a", FALSE, 0}}},
  /* the last rtptime of an entry decides, even when it is unusable */
  {"url=a;rtptime=5;rtptime=6", 1, {{"a", TRUE, 6}}},
  {"url=a;rtptime=5;rtptime=x", 1, {{"a", FALSE, 0}}},
  {"url=a;url=b;rtptime=1", 1, {{"b", TRUE, 1}}},
  /* quoted URLs (RFC 7826): the quotes go, ',' and ';' inside them stay */
  {"url=\"rtsp://cam/s=0\";rtptime=1", 1, {{"rtsp://cam/s=0", TRUE, 1}}},
  {"url=\"rtsp://cam/a,b\";rtptime=1", 1, {{"rtsp://cam/a,b", TRUE, 1}}},
  {"url=\"rtsp://cam/a;b\";rtptime=1", 1, {{"rtsp://cam/a;b", TRUE, 1}}},
  {"url=\"rtsp://cam/a\";rtptime=1,url=\"rtsp://cam/b,c\";rtptime=2", 2,
      {{"rtsp://cam/a", TRUE, 1}, {"rtsp://cam/b,c", TRUE, 2}}},
  /* an unterminated quote runs to the end */
  {"url=\"rtsp://cam/a;rtptime=1", 1, {{"\"rtsp://cam/a;rtptime=1", FALSE,
              0}}},
  /* three entries, one empty */
  {"url=x;rtptime=1,,url=y;rtptime=2", 3, {{"x", TRUE, 1}, {NULL, FALSE, 0},
          {"y", TRUE, 2}}},
  /* garbage */
  {"", 0, {{NULL, FALSE, 0}}},
  {",", 2, {{NULL, FALSE, 0}, {NULL, FALSE, 0}}},
  {"\xff\xfe;\x01", 1, {{NULL, FALSE, 0}}},
};

GST_START_TEST (test_rtp_info_table)
{
  guint i, k;

  for (i = 0; i < G_N_ELEMENTS (rtp_info_cases); i++) {
    const RtpInfoCase *c = &rtp_info_cases[i];
    GArray *a = arcly_rtsp_headers_parse_rtp_info (c->value);

    GST_DEBUG ("rtp-info %u: '%s'", i, c->value);
    fail_unless (a != NULL);
    fail_unless_equals_int (a->len, c->n);
    for (k = 0; k < c->n; k++) {
      const ArclyRtspRtpInfo *e = &g_array_index (a, ArclyRtspRtpInfo, k);

      fail_unless_equals_string (e->url, c->e[k].url);
      fail_unless_equals_int (e->have_rtptime, c->e[k].have_rtptime);
      if (c->e[k].have_rtptime)
        fail_unless_equals_uint64 (e->rtptime, c->e[k].rtptime);
    }
    g_array_unref (a);
  }
  fail_unless (arcly_rtsp_headers_parse_rtp_info (NULL) == NULL);
}

GST_END_TEST;

GST_START_TEST (test_rtp_info_prefixes)
{
  const gchar *full = "url=rtsp://cam/t=0;seq=1;rtptime=123456, "
      "url=rtsp://cam/t=1;seq=2;rtptime=654321";
  gsize n, len = strlen (full);

  for (n = 0; n <= len; n++) {
    gchar *v = g_strndup (full, n);
    GArray *a = arcly_rtsp_headers_parse_rtp_info (v);

    fail_unless (a != NULL);
    fail_unless (a->len <= 2);
    if (n == len) {
      fail_unless_equals_int (a->len, 2);
      fail_unless_equals_int (g_array_index (a, ArclyRtspRtpInfo,
              1).rtptime, 654321);
    }
    g_array_unref (a);
    g_free (v);
  }
}

GST_END_TEST;

GST_START_TEST (test_rtp_info_matches)
{
  /* the resolved control URL */
  fail_unless (arcly_rtsp_headers_rtp_info_matches ("rtsp://cam:554/s/t=0",
          "rtsp://cam:554/s/t=0", "t=0"));
  /* the server writes the URL differently (no port): the SDP control */
  fail_unless (arcly_rtsp_headers_rtp_info_matches ("rtsp://cam/s/t=0",
          "rtsp://cam:554/s/t=0", "t=0"));
  fail_if (arcly_rtsp_headers_rtp_info_matches ("rtsp://cam/s/t=1",
          "rtsp://cam:554/s/t=0", "t=0"));
  /* an empty or absent SDP control never matches by suffix */
  fail_if (arcly_rtsp_headers_rtp_info_matches ("rtsp://cam/s",
          "rtsp://cam:554/s", ""));
  fail_if (arcly_rtsp_headers_rtp_info_matches ("rtsp://cam/s",
          "rtsp://cam:554/s", NULL));
  fail_if (arcly_rtsp_headers_rtp_info_matches (NULL, NULL, "t=0"));
  fail_if (arcly_rtsp_headers_rtp_info_matches ("x", NULL, NULL));
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* base URL */

GST_START_TEST (test_base_url)
{
  const gchar *req = "rtsp://cam:554/live";
  gchar *s;

  s = arcly_rtsp_headers_base_url ("rtsp://cam/live/", NULL, req);
  fail_unless_equals_string (s, "rtsp://cam/live/");
  g_free (s);
  /* Content-Base wins over Content-Location */
  s = arcly_rtsp_headers_base_url ("rtsp://cam/a/", "rtsp://cam/b/", req);
  fail_unless_equals_string (s, "rtsp://cam/a/");
  g_free (s);
  s = arcly_rtsp_headers_base_url ("", "rtsp://cam/b/", req);
  fail_unless_equals_string (s, "rtsp://cam/b/");
  g_free (s);
  s = arcly_rtsp_headers_base_url (NULL, "rtsp://cam/b/", req);
  fail_unless_equals_string (s, "rtsp://cam/b/");
  g_free (s);
  /* nothing usable: the request URI */
  s = arcly_rtsp_headers_base_url (NULL, NULL, req);
  fail_unless_equals_string (s, req);
  g_free (s);
  s = arcly_rtsp_headers_base_url ("", "", req);
  fail_unless_equals_string (s, req);
  g_free (s);
  s = arcly_rtsp_headers_base_url ("/live/", NULL, req);
  fail_unless_equals_string (s, req);
  g_free (s);
  s = arcly_rtsp_headers_base_url ("http://cam/live/", NULL, req);
  fail_unless_equals_string (s, req);
  g_free (s);
  /* a non-rtsp Content-Base is not replaced by Content-Location */
  s = arcly_rtsp_headers_base_url ("http://cam/", "rtsp://cam/b/", req);
  fail_unless_equals_string (s, req);
  g_free (s);
  s = arcly_rtsp_headers_base_url ("rtsps://cam:322/x/", NULL, req);
  fail_unless_equals_string (s, "rtsps://cam:322/x/");
  g_free (s);
  /* credentials echoed by the camera are dropped */
  s = arcly_rtsp_headers_base_url ("rtsp://admin:secret@cam/live/", NULL, req);
  fail_unless_equals_string (s, "rtsp://cam/live/");
  g_free (s);
  s = arcly_rtsp_headers_base_url (NULL, NULL, NULL);
  fail_unless (s == NULL);
}

GST_END_TEST;

static Suite *
rtspheaders_suite (void)
{
  Suite *s = suite_create ("rtspheaders");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_session_table);
  tcase_add_test (tc, test_session_absent);
  tcase_add_test (tc, test_transport_table);
  tcase_add_test (tc, test_transport_absent);
  tcase_add_test (tc, test_transport_prefixes);
  tcase_add_test (tc, test_rtp_info_table);
  tcase_add_test (tc, test_rtp_info_prefixes);
  tcase_add_test (tc, test_rtp_info_matches);
  tcase_add_test (tc, test_base_url);
  return s;
}

GST_CHECK_MAIN (rtspheaders);
