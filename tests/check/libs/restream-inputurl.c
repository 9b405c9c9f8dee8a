/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * arcly-restream's input URLs (srt, udp, rtp, rtmp), their redaction and
 * the SDP of an RTP input: tables of good and bad input, every truncated
 * prefix of the good ones.
 */

#include <gst/check/gstcheck.h>
#include "restream-input.h"

GST_START_TEST (test_srt)
{
  RestreamInputUrl u;
  GError *err = NULL;

  fail_unless (restream_input_url_parse ("srt://127.0.0.1:9000?mode=listener"
          "&latency=120&passphrase=0123456789ab&streamid=cam1", &u, &err));
  fail_unless_equals_int (u.kind, RESTREAM_INPUT_SRT);
  fail_unless_equals_string (u.host, "127.0.0.1");
  fail_unless_equals_int (u.port, 9000);
  fail_unless (u.listener);
  fail_unless_equals_int (u.latency_ms, 120);
  fail_unless_equals_string (u.passphrase, "0123456789ab");
  fail_unless_equals_string (u.streamid, "cam1");
  restream_input_url_clear (&u);

  fail_unless (restream_input_url_parse ("srt://enc.example:9001", &u, NULL));
  fail_unless (!u.listener);
  fail_unless_equals_int (u.latency_ms, -1);
  fail_unless (u.passphrase == NULL);
  restream_input_url_clear (&u);
}

GST_END_TEST;

GST_START_TEST (test_udp_rtp_rtmp)
{
  RestreamInputUrl u;

  fail_unless (restream_input_url_parse ("udp://0.0.0.0:5000", &u, NULL));
  fail_unless_equals_int (u.kind, RESTREAM_INPUT_UDP);
  fail_unless (u.multicast == NULL);
  restream_input_url_clear (&u);
  fail_unless (restream_input_url_parse ("udp://239.1.1.1@127.0.0.1:5000", &u,
          NULL));
  fail_unless_equals_string (u.multicast, "239.1.1.1");
  fail_unless_equals_string (u.host, "127.0.0.1");
  restream_input_url_clear (&u);
  fail_unless (restream_input_url_parse ("rtp://127.0.0.1?sdp=/tmp/a.sdp", &u,
          NULL));
  fail_unless_equals_int (u.kind, RESTREAM_INPUT_RTP);
  fail_unless_equals_int (u.port, -1);
  fail_unless_equals_string (u.sdp_path, "/tmp/a.sdp");
  restream_input_url_clear (&u);
  fail_unless (restream_input_url_parse ("rtmp://h.example/live/show", &u,
          NULL));
  fail_unless_equals_int (u.kind, RESTREAM_INPUT_RTMP);
  fail_unless_equals_string (u.location, "rtmp://h.example/live/show");
  restream_input_url_clear (&u);
}

GST_END_TEST;

static const gchar *bad_urls[] = {
  "srt://127.0.0.1?mode=listener",      /* no port */
  "srt://127.0.0.1:0",
  "srt://127.0.0.1:70000",
  "srt://127.0.0.1:9000?mode=both",
  "srt://127.0.0.1:9000?latency=-1",
  "srt://127.0.0.1:9000?latency=abc",
  "srt://127.0.0.1:9000?passphrase=short",
  "srt://127.0.0.1:9000?pbkeylen=16",   /* unknown option */
  "srt://user:pw@127.0.0.1:9000",
  "srt://127.0.0.1:9000/path",
  "udp://host.example:5000",            /* not an address */
  "udp://10.0.0.1@127.0.0.1:5000",      /* not a multicast group */
  "udp://239.1.1.1@eth0:5000",          /* not an interface address */
  "udp://127.0.0.1:5000?ttl=1",
  "rtp://127.0.0.1:5004",               /* no sdp= */
  "rtp://127.0.0.1?sdp=",
  "rtp://127.0.0.1?sdp=a&x=1",
  "rtmp://host",                        /* no app/stream */
  "http://127.0.0.1:80/",
  "srt://",
  "",
  "::::",
};

GST_START_TEST (test_bad)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (bad_urls); i++) {
    RestreamInputUrl u;
    GError *err = NULL;

    if (restream_input_url_parse (bad_urls[i], &u, &err))
      fail ("accepted %s", bad_urls[i]);
    fail_unless (err != NULL && err->message[0] != '\0', "%s", bad_urls[i]);
    g_error_free (err);
  }
}

GST_END_TEST;

/* Every prefix of a good URL parses or fails cleanly. */
GST_START_TEST (test_prefixes)
{
  const gchar *good[] = {
    "srt://127.0.0.1:9000?mode=listener&latency=120&passphrase=0123456789ab",
    "udp://239.1.1.1@127.0.0.1:5000", "rtp://127.0.0.1:5004?sdp=/x.sdp",
    "rtmp://h:1935/live/s",
  };
  guint i, n;

  for (i = 0; i < G_N_ELEMENTS (good); i++)
    for (n = 0; n <= strlen (good[i]); n++) {
      gchar *p = g_strndup (good[i], n);
      RestreamInputUrl u;
      GError *err = NULL;

      if (restream_input_url_parse (p, &u, &err))
        restream_input_url_clear (&u);
      else
        g_error_free (err);
      g_free (p);
    }
}

GST_END_TEST;

GST_START_TEST (test_redact)
{
  gchar *r;

  r = restream_input_url_redact ("srt://h:1?mode=caller&passphrase=secret-"
      "secret&latency=5");
  fail_unless_equals_string (r, "srt://h:1?mode=caller&passphrase=***"
      "&latency=5");
  g_free (r);
  r = restream_input_url_redact ("rtmp://u:pw@h/live/s");
  fail_unless_equals_string (r, "rtmp://***@h/live/s");
  g_free (r);
  r = restream_input_url_redact ("udp://239.1.1.1@127.0.0.1:5000");
  fail_unless_equals_string (r, "udp://239.1.1.1@127.0.0.1:5000");
  g_free (r);
}

GST_END_TEST;

/* as ffmpeg -f rtp ... -sdp_file writes it */
static const gchar *ffmpeg_sdp =
    "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=No Name\r\nt=0 0\r\n"
    "m=video 5630 RTP/AVP 96\r\nc=IN IP4 127.0.0.1\r\n"
    "a=rtpmap:96 H264/90000\r\n"
    "a=fmtp:96 packetization-mode=1; sprop-parameter-sets=Z01AFOygoM/PgIgAAAMA"
    "CAAAAwHgeKFMsA==,aO+8gA==; profile-level-id=4D4014\r\n"
    "m=audio 5632 RTP/AVP 97\r\nc=IN IP4 239.2.2.2/1\r\n"
    "a=rtpmap:97 MPEG4-GENERIC/48000/2\r\n"
    "a=fmtp:97 profile-level-id=1;mode=AAC-hbr;sizelength=13;indexlength=3;"
    "indexdeltalength=3; config=1190\r\n";

GST_START_TEST (test_sdp)
{
  GPtrArray *caps = restream_input_sdp_caps (ffmpeg_sdp, NULL);
  GstStructure *s;
  gint port = 0;
  GError *err = NULL;
  gsize n;

  fail_unless (caps != NULL);
  fail_unless_equals_int (caps->len, 2);
  s = gst_caps_get_structure (g_ptr_array_index (caps, 0), 0);
  fail_unless (gst_structure_has_name (s, "application/x-rtp"));
  fail_unless_equals_string (gst_structure_get_string (s, "encoding-name"),
      "H264");
  fail_unless (gst_structure_get_int (s, "arcly-port", &port));
  fail_unless_equals_int (port, 5630);
  fail_unless (gst_structure_get_string (s, "sprop-parameter-sets") != NULL);
  s = gst_caps_get_structure (g_ptr_array_index (caps, 1), 0);
  fail_unless_equals_string (gst_structure_get_string (s, "encoding-name"),
      "MPEG4-GENERIC");
  fail_unless_equals_string (gst_structure_get_string (s, "config"), "1190");
  fail_unless_equals_string (gst_structure_get_string (s, "arcly-address"),
      "239.2.2.2");
  g_ptr_array_unref (caps);

  fail_unless (restream_input_sdp_caps ("hello", &err) == NULL);
  g_clear_error (&err);
  fail_unless (restream_input_sdp_caps ("v=0\r\nm=video 0 RTP/AVP 96\r\n",
          &err) == NULL);
  g_clear_error (&err);
  /* every prefix: caps or a clean error */
  for (n = 0; n <= strlen (ffmpeg_sdp); n++) {
    gchar *p = g_strndup (ffmpeg_sdp, n);

    caps = restream_input_sdp_caps (p, &err);
    if (caps)
      g_ptr_array_unref (caps);
    g_clear_error (&err);
    g_free (p);
  }
}

GST_END_TEST;

static Suite *
restream_inputurl_suite (void)
{
  Suite *s = suite_create ("restream-inputurl");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_srt);
  tcase_add_test (tc, test_udp_rtp_rtmp);
  tcase_add_test (tc, test_bad);
  tcase_add_test (tc, test_prefixes);
  tcase_add_test (tc, test_redact);
  tcase_add_test (tc, test_sdp);
  return s;
}

GST_CHECK_MAIN (restream_inputurl);
