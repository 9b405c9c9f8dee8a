/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Unit tests of the RTP/RTCP time helpers (gst/arclyrtspsrc/rtsptime.c).
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>

#include "rtsptime.h"

GST_START_TEST (test_unwrap)
{
  ArclyRtpUnwrap u = { 0, };

  fail_unless_equals_int64 (arcly_rtp_unwrap (&u, 0xfffffff0u), 0xfffffff0);
  fail_unless_equals_int64 (arcly_rtp_unwrap (&u, 0x10u),
      G_GINT64_CONSTANT (0x100000010));
  /* a small step back (B-frame order) is negative, not a wrap */
  fail_unless_equals_int64 (arcly_rtp_unwrap (&u, 0x8u),
      G_GINT64_CONSTANT (0x100000008));
  fail_unless_equals_int64 (arcly_rtp_unwrap (&u, 0xfffffff8u),
      G_GINT64_CONSTANT (0xfffffff8));
  /* many wraps forward */
  {
    guint32 ts = 0;
    guint i;
    ArclyRtpUnwrap w = { 0, };
    gint64 ext = 0;

    for (i = 0; i < 5000; i++) {
      ext = arcly_rtp_unwrap (&w, ts);
      ts += 3000000;
    }
    fail_unless_equals_int64 (ext, (gint64) 4999 * 3000000);
  }
}

GST_END_TEST;

GST_START_TEST (test_seq_and_rr)
{
  ArclyRtpSeqStats s = { 0, };
  ArclyRtcpReportBlock b = { 0, };
  guint8 out[200];
  gsize n;
  guint i;

  /* 65530..65535, 0..9 with 3 lost (seq 2, 3, 4) */
  for (i = 65530; i < 65536 + 10; i++) {
    guint16 seq = (guint16) i;

    if (seq >= 2 && seq <= 4)
      continue;
    arcly_rtp_seq_update (&s, seq);
  }
  b.ssrc = 0xd93ff;
  arcly_rtp_seq_fill_report (&s, &b);
  fail_unless_equals_int (b.cumulative_lost, 3);
  fail_unless_equals_int (b.ext_highest_seq, 65536 + 9);
  fail_unless_equals_int (b.fraction_lost, (3 * 256) / 16);

  n = arcly_rtcp_build_rr (out, sizeof (out), 0x11223344, &b, "arcly");
  fail_unless (n > 0 && n % 4 == 0);
  fail_unless (arcly_rtcp_is_rtcp (out, n));
  fail_unless_equals_int (out[0], 0x81);
  fail_unless_equals_int (out[1], 201);
  fail_unless_equals_int (out[3], 7);   /* 32 bytes */
  fail_unless_equals_int (out[8 + 3], 0xff);    /* reported SSRC */
  fail_unless_equals_int (out[32 + 1], 202);    /* SDES follows */
  fail_unless_equals_int (out[32 + 8], 1);      /* CNAME */
  fail_unless_equals_int (out[32 + 9], 5);
  fail_unless (memcmp (out + 42, "arcly", 5) == 0);
  /* the SDES length field covers the packet exactly */
  fail_unless_equals_int ((out[34] << 8 | out[35]) * 4 + 4, n - 32);

  /* empty RR, too small a buffer */
  n = arcly_rtcp_build_rr (out, sizeof (out), 1, NULL, NULL);
  fail_unless (n == 8 + 12);
  fail_unless_equals_int (out[0], 0x80);
  fail_unless_equals_int (arcly_rtcp_build_rr (out, 10, 1, &b, "x"), 0);
}

GST_END_TEST;

GST_START_TEST (test_find_sr)
{
  /* RR first, then SR, in one compound packet */
  guint8 pkt[8 + 28] = {
    0x80, 201, 0, 1, 0, 0, 0, 9,
    0x80, 200, 0, 6, 0, 0x0d, 0x93, 0xff,
    0x83, 0xaa, 0x7e, 0x80, 0x80, 0, 0, 0,      /* NTP 2208988800.5 */
    0, 0, 0x10, 0, 0, 0, 0, 5, 0, 0, 1, 0
  };
  ArclyRtcpSr sr;
  gsize i;

  fail_unless (arcly_rtcp_find_sr (pkt, sizeof (pkt), &sr));
  fail_unless_equals_int (sr.ssrc, 0xd93ff);
  fail_unless_equals_int (sr.rtp_ts, 0x1000);
  fail_unless_equals_int (sr.packets, 5);
  fail_unless_equals_int (sr.octets, 256);
  fail_unless_equals_uint64 (arcly_ntp_to_ns (sr.ntp),
      G_GUINT64_CONSTANT (2208988800500000000));
  /* every truncation is refused or parsed within bounds */
  for (i = 0; i < sizeof (pkt); i++)
    fail_if (arcly_rtcp_find_sr (pkt, i, &sr));
  /* RTP is not RTCP, even with the marker bit */
  {
    guint8 rtp[12] = { 0x80, 0x80 | 96, 0, 1 };

    fail_if (arcly_rtcp_is_rtcp (rtp, sizeof (rtp)));
    rtp[1] = 0x80 | 72;         /* RFC 5761: PT 72-76 are avoided */
    fail_unless (arcly_rtcp_is_rtcp (rtp, sizeof (rtp)));
  }
}

GST_END_TEST;

GST_START_TEST (test_rtp_header)
{
  /* V=2, X, CC=1, marker, PT 96, seq 0x1234, ts 0xdeadbeef, SSRC 0xd93ff,
   * one CSRC, an extension of 1 word, 3 payload bytes, 2 bytes of padding */
  guint8 pkt[] = {
    0xb1, 0xe0, 0x12, 0x34, 0xde, 0xad, 0xbe, 0xef, 0x00, 0x0d, 0x93, 0xff,
    0, 0, 0, 9,
    0xbe, 0xde, 0, 1, 1, 2, 3, 4,
    0x65, 0x88, 0x80,
    0, 2
  };
  ArclyRtpHeader h;
  gsize i;

  fail_unless (arcly_rtp_parse_header (pkt, sizeof (pkt), &h));
  fail_unless (h.marker);
  fail_unless_equals_int (h.pt, 96);
  fail_unless_equals_int (h.seq, 0x1234);
  fail_unless_equals_int (h.ts, 0xdeadbeef);
  fail_unless_equals_int (h.ssrc, 0xd93ff);
  fail_unless_equals_int (h.payload_offset, 24);
  fail_unless_equals_int (h.payload_len, 3);
  /* every truncation either fails or stays inside the packet */
  for (i = 0; i < sizeof (pkt); i++) {
    if (arcly_rtp_parse_header (pkt, i, &h))
      fail_unless (h.payload_offset + h.payload_len <= i);
  }
  /* padding count 0, or larger than what follows the header */
  pkt[sizeof (pkt) - 1] = 0;
  fail_if (arcly_rtp_parse_header (pkt, sizeof (pkt), &h));
  pkt[sizeof (pkt) - 1] = 6;
  fail_if (arcly_rtp_parse_header (pkt, sizeof (pkt), &h));
  pkt[sizeof (pkt) - 1] = 5;
  fail_unless (arcly_rtp_parse_header (pkt, sizeof (pkt), &h));
  fail_unless_equals_int (h.payload_len, 0);
  /* extension longer than the packet */
  pkt[19] = 9;
  fail_if (arcly_rtp_parse_header (pkt, sizeof (pkt), &h));
  /* version 1 */
  pkt[0] = 0x40;
  fail_if (arcly_rtp_parse_header (pkt, sizeof (pkt), &h));
  /* 15 CSRCs do not fit */
  pkt[0] = 0x8f;
  fail_if (arcly_rtp_parse_header (pkt, sizeof (pkt), &h));
}

GST_END_TEST;

GST_START_TEST (test_drift_and_slew)
{
  ArclyDrift d = { 0, };
  gint64 t, est = 0;

  /* sender clock 100 ppm slow: arrival − nominal grows 100 µs/s, with
   * jitter that only ever delays arrival */
  for (t = 0; t < 120 * GST_SECOND; t += 20 * GST_MSECOND) {
    gint64 nominal = t - t / 10000;
    gint64 jitter = ((t / GST_MSECOND) * 7919 % 13) * GST_MSECOND;

    est = arcly_drift_sample (&d, t + jitter, nominal);
  }
  /* after 2 min the offset is ~12 ms; the smoothed estimate lags a bit */
  fail_unless (est > 7 * GST_MSECOND && est < 13 * GST_MSECOND,
      "estimate %" G_GINT64_FORMAT, est);

  fail_unless_equals_int64 (arcly_slew (0, 10, 3), 3);
  fail_unless_equals_int64 (arcly_slew (0, -10, 3), -3);
  fail_unless_equals_int64 (arcly_slew (9, 10, 3), 10);
  fail_unless_equals_int64 (arcly_slew (10, 10, 3), 10);
}

GST_END_TEST;

static Suite *
rtsptime_suite (void)
{
  Suite *s = suite_create ("rtsptime");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_unwrap);
  tcase_add_test (tc, test_seq_and_rr);
  tcase_add_test (tc, test_find_sr);
  tcase_add_test (tc, test_rtp_header);
  tcase_add_test (tc, test_drift_and_slew);
  return s;
}

GST_CHECK_MAIN (rtsptime);
