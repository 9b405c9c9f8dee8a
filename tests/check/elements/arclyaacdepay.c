/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * arclyaacdepay through its pads (GstHarness) with hand-built RFC 3640
 * packets, plus an equivalence run against GStreamer's rtpmp4gdepay on
 * the packets `audiotestsrc ! voaacenc ! rtpmp4gpay` makes, decoded by
 * avdec_aac.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/rtp/gstrtpbuffer.h>
#include <gst/app/gstappsink.h>

#include "arcly-depay-list-check.h"

#define HBR_CAPS "application/x-rtp, media=(string)audio, " \
  "clock-rate=(int)48000, encoding-name=(string)MPEG4-GENERIC, " \
  "mode=(string)AAC-hbr, config=(string)1190, sizelength=(string)13, " \
  "indexlength=(string)3, indexdeltalength=(string)3, payload=(int)96"

/* 1024 samples at 48 kHz */
#define FRAME_NS (GST_SECOND * 1024 / 48000)
#define BASE_PTS (10 * GST_SECOND)

/* --- packet building -------------------------------------------------- */

typedef struct
{
  guint8 buf[8192];
  gsize bits;
} BitWriter;

static void
bw_put (BitWriter * bw, guint n, guint64 v)
{
  guint i;

  for (i = 0; i < n; i++, bw->bits++) {
    guint bit = (v >> (n - 1 - i)) & 1;

    fail_unless (bw->bits / 8 < sizeof (bw->buf));
    if (bit)
      bw->buf[bw->bits / 8] |= 0x80 >> (bw->bits % 8);
    else
      bw->buf[bw->bits / 8] &= ~(0x80 >> (bw->bits % 8));
  }
}

static gsize
bw_bytes (BitWriter * bw)
{
  return (bw->bits + 7) / 8;
}

static GstBuffer *
rtp_packet (const guint8 * payload, gsize len, guint16 seq, guint32 ts,
    gboolean marker, GstClockTime pts)
{
  GstBuffer *buf = gst_rtp_buffer_new_allocate (len, 0, 0);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;

  fail_unless (gst_rtp_buffer_map (buf, GST_MAP_WRITE, &rtp));
  gst_rtp_buffer_set_payload_type (&rtp, 96);
  gst_rtp_buffer_set_seq (&rtp, seq);
  gst_rtp_buffer_set_timestamp (&rtp, ts);
  gst_rtp_buffer_set_ssrc (&rtp, 0x12345678);
  gst_rtp_buffer_set_marker (&rtp, marker);
  if (len)
    memcpy (gst_rtp_buffer_get_payload (&rtp), payload, len);
  gst_rtp_buffer_unmap (&rtp);
  GST_BUFFER_PTS (buf) = pts;
  GST_BUFFER_DTS (buf) = pts;
  return buf;
}

/* Fills AU @i of a test with recognisable bytes. */
static void
au_fill (guint8 * p, gsize n, guint tag)
{
  gsize i;

  for (i = 0; i < n; i++)
    p[i] = (guint8) (tag * 31 + i * 7 + 1);
  /* a raw AAC frame never starts with an ADTS sync word here */
  if (n > 0)
    p[0] = 0x21;
}

/* An AAC-hbr packet (13/3/3) carrying whole AUs of the given sizes. */
static GstBuffer *
hbr_packet (const guint * sizes, guint n, guint tag, guint16 seq,
    guint32 ts, GstClockTime pts, guint8 ** au_data_out)
{
  BitWriter bw = { {0}, 0 };
  guint i;
  gsize total = 0, off;
  guint8 *payload;
  GstBuffer *buf;

  bw_put (&bw, 16, 16 * n);
  for (i = 0; i < n; i++) {
    bw_put (&bw, 13, sizes[i]);
    bw_put (&bw, 3, 0);
    total += sizes[i];
  }
  off = bw_bytes (&bw);
  payload = g_malloc (off + total);
  memcpy (payload, bw.buf, off);
  for (i = 0; i < n; i++) {
    au_fill (payload + off, sizes[i], tag + i);
    off += sizes[i];
  }
  buf = rtp_packet (payload, off, seq, ts, TRUE, pts);
  if (au_data_out)
    *au_data_out = payload;
  else
    g_free (payload);
  return buf;
}

static GstHarness *
new_harness (const gchar * caps)
{
  GstHarness *h = gst_harness_new ("arclyaacdepay");

  gst_harness_set_src_caps_str (h, caps);
  return h;
}

static void
assert_bytes (GstBuffer * buf, const guint8 * expect, gsize len)
{
  GstMapInfo map;

  fail_unless_equals_int (gst_buffer_get_size (buf), len);
  fail_unless (gst_buffer_map (buf, &map, GST_MAP_READ));
  fail_unless (memcmp (map.data, expect, len) == 0, "AU bytes differ");
  gst_buffer_unmap (buf, &map);
}

/* Zero-copy: memory @idx of @out maps to the very bytes of the RTP
 * packet @in at payload offset @offset (same address, no copy). */
static void
assert_shares_payload (GstBuffer * out, guint idx, GstBuffer * in,
    gsize offset)
{
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  GstMemory *mem = gst_buffer_peek_memory (out, idx);
  GstMapInfo map;
  const guint8 *payload;

  fail_unless (gst_rtp_buffer_map (in, GST_MAP_READ, &rtp));
  payload = gst_rtp_buffer_get_payload (&rtp);
  fail_unless (gst_memory_map (mem, &map, GST_MAP_READ));
  fail_unless (map.data == payload + offset,
      "AU memory %u is a copy, not the RTP payload", idx);
  gst_memory_unmap (mem, &map);
  gst_rtp_buffer_unmap (&rtp);
  /* and shared, not merely equal: a sub-memory of the packet's */
  fail_unless (mem->parent != NULL);
}

static guint64
stat_u64 (GstHarness * h, const gchar * field)
{
  GstStructure *s = NULL;
  guint64 v = G_MAXUINT64;

  g_object_get (h->element, "stats", &s, NULL);
  fail_unless (s != NULL);
  /* the scheme every element follows: arcly-<element>-stats */
  fail_unless_equals_string (gst_structure_get_name (s), "arcly-aacdepay-stats");
  fail_unless (gst_structure_get_uint64 (s, field, &v), "no %s", field);
  gst_structure_free (s);
  return v;
}

/* --- tests ------------------------------------------------------------ */

GST_START_TEST (test_single_au)
{
  GstHarness *h = new_harness (HBR_CAPS);
  static const guint sizes[] = { 371 };
  guint8 *au;
  GstBuffer *in = hbr_packet (sizes, 1, 1, 100, 4800, BASE_PTS, &au);
  GstBuffer *out;
  GstCaps *caps;
  GstStructure *s;
  gint rate = 0, channels = 0;
  const GValue *cd;
  GstMapInfo map;

  fail_unless_equals_int (gst_harness_push (h, gst_buffer_ref (in)),
      GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 1);
  out = gst_harness_pull (h);
  assert_bytes (out, au + 4, 371);
  assert_shares_payload (out, 0, in, 4);
  fail_unless_equals_uint64 (GST_BUFFER_PTS (out), BASE_PTS);
  fail_unless_equals_uint64 (GST_BUFFER_DTS (out), BASE_PTS);
  fail_unless_equals_uint64 (GST_BUFFER_DURATION (out), FRAME_NS);
  fail_if (GST_BUFFER_FLAG_IS_SET (out, GST_BUFFER_FLAG_MARKER));

  caps = gst_pad_get_current_caps (h->sinkpad);
  s = gst_caps_get_structure (caps, 0);
  fail_unless (gst_structure_has_name (s, "audio/mpeg"));
  fail_unless_equals_string (gst_structure_get_string (s, "stream-format"),
      "raw");
  fail_unless (gst_structure_get_int (s, "rate", &rate));
  fail_unless (gst_structure_get_int (s, "channels", &channels));
  fail_unless_equals_int (rate, 48000);
  fail_unless_equals_int (channels, 2);
  cd = gst_structure_get_value (s, "codec_data");
  fail_unless (cd != NULL);
  fail_unless (gst_buffer_map (gst_value_get_buffer (cd), &map,
          GST_MAP_READ));
  fail_unless (map.size == 2 && map.data[0] == 0x11 && map.data[1] == 0x90);
  gst_buffer_unmap (gst_value_get_buffer (cd), &map);
  gst_caps_unref (caps);

  fail_unless_equals_uint64 (stat_u64 (h, "aus"), 1);
  fail_unless_equals_uint64 (stat_u64 (h, "bytes"), 371);
  gst_buffer_unref (out);
  gst_buffer_unref (in);
  g_free (au);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_several_aus)
{
  GstHarness *h = new_harness (HBR_CAPS);
  static const guint sizes[] = { 200, 1, 371, 90 };
  guint8 *au;
  GstBuffer *in = hbr_packet (sizes, 4, 7, 5, 0, BASE_PTS, &au);
  gsize off = 2 + 4 * 2;
  guint i;

  fail_unless_equals_int (gst_harness_push (h, gst_buffer_ref (in)),
      GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 4);
  for (i = 0; i < 4; i++) {
    GstBuffer *out = gst_harness_pull (h);

    assert_bytes (out, au + off, sizes[i]);
    assert_shares_payload (out, 0, in, off);
    fail_unless_equals_uint64 (GST_BUFFER_PTS (out), BASE_PTS + i * FRAME_NS);
    fail_unless_equals_uint64 (GST_BUFFER_DURATION (out), FRAME_NS);
    off += sizes[i];
    gst_buffer_unref (out);
  }
  gst_buffer_unref (in);
  g_free (au);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* One AU of 3000 bytes over 3 packets: same AU-size and timestamp in each,
 * marker on the last (RFC 3640 §3.2.3). */
static GstBuffer *
fragment_packet (const guint8 * au, guint au_size, guint from, guint len,
    guint16 seq, guint32 ts, gboolean marker, GstClockTime pts)
{
  guint8 payload[4 + 2048];
  GstBuffer *buf;

  fail_unless (len <= 2048);
  payload[0] = 0;
  payload[1] = 16;
  payload[2] = (guint8) (au_size >> 5);
  payload[3] = (guint8) ((au_size & 0x1f) << 3);
  memcpy (payload + 4, au + from, len);
  buf = rtp_packet (payload, 4 + len, seq, ts, marker, pts);
  return buf;
}

GST_START_TEST (test_fragmented_au)
{
  GstHarness *h = new_harness (HBR_CAPS);
  guint8 au[3000];
  GstBuffer *in[3], *out;
  guint i;

  au_fill (au, sizeof (au), 3);
  in[0] = fragment_packet (au, 3000, 0, 1200, 10, 960, FALSE, BASE_PTS);
  in[1] = fragment_packet (au, 3000, 1200, 1200, 11, 960, FALSE, BASE_PTS);
  in[2] = fragment_packet (au, 3000, 2400, 600, 12, 960, TRUE, BASE_PTS);
  for (i = 0; i < 3; i++) {
    fail_unless_equals_int (gst_harness_push (h, gst_buffer_ref (in[i])),
        GST_FLOW_OK);
    fail_unless_equals_int (gst_harness_buffers_in_queue (h), i == 2);
  }
  out = gst_harness_pull (h);
  /* joined, not copied: one memory per fragment, each the packet's own
   * (checked before mapping the whole buffer, which merges them) */
  fail_unless_equals_int (gst_buffer_n_memory (out), 3);
  for (i = 0; i < 3; i++)
    assert_shares_payload (out, i, in[i], 4);
  assert_bytes (out, au, 3000);
  fail_unless_equals_uint64 (GST_BUFFER_PTS (out), BASE_PTS);
  fail_unless_equals_uint64 (stat_u64 (h, "fragmented-aus"), 1);
  gst_buffer_unref (out);
  for (i = 0; i < 3; i++)
    gst_buffer_unref (in[i]);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* A camera's read as one list (arclyrtspsrc buffer-lists): a packet of
 * one AU, one of four, an AU in three fragments, a lost packet, two more:
 * the same AUs, timestamps and flags as the packets one by one, in one list
 * before the gap and one after it. */
GST_START_TEST (test_buffer_list)
{
  GstHarness *h1 = new_harness (HBR_CAPS), *h2 = new_harness (HBR_CAPS);
  static const guint one_au[] = { 300 }, four[] = { 200, 1, 371, 90 };
  ArclyPushLog one, many;
  GstBuffer *in[8];
  guint8 au[3000];
  guint n = 0;

  au_fill (au, sizeof (au), 3);
  in[n++] = hbr_packet (one_au, 1, 1, 20, 0, BASE_PTS, NULL);
  in[n++] = hbr_packet (four, 4, 2, 21, 1024, BASE_PTS + FRAME_NS, NULL);
  in[n++] = fragment_packet (au, 3000, 0, 1200, 22, 5120,
      FALSE, BASE_PTS + 5 * FRAME_NS);
  in[n++] = fragment_packet (au, 3000, 1200, 1200, 23, 5120,
      FALSE, BASE_PTS + 5 * FRAME_NS);
  in[n++] = fragment_packet (au, 3000, 2400, 600, 24, 5120,
      TRUE, BASE_PTS + 5 * FRAME_NS);
  /* 25 is lost */
  in[n++] = hbr_packet (one_au, 1, 9, 26, 7168, BASE_PTS + 7 * FRAME_NS,
      NULL);
  in[n++] = hbr_packet (one_au, 1, 10, 27, 8192, BASE_PTS + 8 * FRAME_NS,
      NULL);

  arcly_push_both_ways (h1, h2, in, n, &one, &many);

  GST_INFO ("one by one:\n%s", one.seen->str);
  fail_unless_equals_int (gst_harness_buffers_in_queue (h1), 8);
  /* the AU after the gap is DISCONT (0x40) */
  fail_unless (strstr (one.seen->str, "flags 0x40 ") != NULL);
  fail_unless_equals_string (many.seen->str, one.seen->str);
  fail_unless_equals_int (many.buffers, 0);
  fail_unless_equals_int (many.lists, 2);

  arcly_push_log_clear (&one);
  arcly_push_log_clear (&many);
  gst_harness_teardown (h1);
  gst_harness_teardown (h2);
}

GST_END_TEST;

GST_START_TEST (test_loss_mid_fragment)
{
  GstHarness *h = new_harness (HBR_CAPS);
  static const guint sizes[] = { 300 };
  guint8 au[3000];
  GstBuffer *out;

  au_fill (au, sizeof (au), 3);
  /* a good AU first, so DISCONT below is not just "first buffer" */
  gst_harness_push (h, hbr_packet (sizes, 1, 1, 9, 0, BASE_PTS, NULL));
  out = gst_harness_pull (h);
  gst_buffer_unref (out);
  gst_harness_push (h, hbr_packet (sizes, 1, 1, 10, 1024,
          BASE_PTS + FRAME_NS, NULL));
  out = gst_harness_pull (h);
  fail_if (GST_BUFFER_IS_DISCONT (out));
  gst_buffer_unref (out);

  /* fragments 1 and 3 of 3 (seq 12 lost), then the next whole AU */
  gst_harness_push (h, fragment_packet (au, 3000, 0, 1200, 11, 2048, FALSE,
          BASE_PTS + 2 * FRAME_NS));
  gst_harness_push (h, fragment_packet (au, 3000, 2400, 600, 13, 2048, TRUE,
          BASE_PTS + 2 * FRAME_NS));
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 0);
  gst_harness_push (h, hbr_packet (sizes, 1, 1, 14, 3072,
          BASE_PTS + 3 * FRAME_NS, NULL));
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 1);
  out = gst_harness_pull (h);
  fail_unless (GST_BUFFER_IS_DISCONT (out));
  fail_unless_equals_uint64 (GST_BUFFER_PTS (out), BASE_PTS + 3 * FRAME_NS);
  gst_buffer_unref (out);
  fail_unless_equals_uint64 (stat_u64 (h, "dropped-aus"), 1);
  fail_unless_equals_uint64 (stat_u64 (h, "discont"), 1);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* A jitterbuffer's GstRTPPacketLost event in the middle of a fragmented
 * AU drops it even when the sequence numbers look contiguous, and becomes
 * a GAP event downstream. */
GST_START_TEST (test_packet_lost_event)
{
  GstHarness *h = new_harness (HBR_CAPS);
  static const guint sizes[] = { 30 };
  guint8 au[3000];
  GstBuffer *out;
  GstEvent *ev;
  gboolean saw_gap = FALSE;

  au_fill (au, sizeof (au), 3);
  gst_harness_push (h, hbr_packet (sizes, 1, 1, 1, 0, BASE_PTS, NULL));
  gst_buffer_unref (gst_harness_pull (h));
  gst_harness_push (h, fragment_packet (au, 3000, 0, 1200, 2, 1024, FALSE,
          BASE_PTS + FRAME_NS));
  gst_harness_push_event (h,
      gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM,
          gst_structure_new ("GstRTPPacketLost",
              "timestamp", G_TYPE_UINT64, BASE_PTS + FRAME_NS,
              "duration", G_TYPE_UINT64, FRAME_NS, NULL)));
  gst_harness_push (h, fragment_packet (au, 3000, 1200, 1200, 3, 1024, FALSE,
          BASE_PTS + FRAME_NS));
  gst_harness_push (h, fragment_packet (au, 3000, 2400, 600, 4, 1024, TRUE,
          BASE_PTS + FRAME_NS));
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 0);
  gst_harness_push (h, hbr_packet (sizes, 1, 1, 5, 2048,
          BASE_PTS + 2 * FRAME_NS, NULL));
  out = gst_harness_pull (h);
  fail_unless (GST_BUFFER_IS_DISCONT (out));
  gst_buffer_unref (out);
  fail_unless_equals_uint64 (stat_u64 (h, "dropped-aus"), 1);
  while ((ev = gst_harness_try_pull_event (h))) {
    if (GST_EVENT_TYPE (ev) == GST_EVENT_GAP)
      saw_gap = TRUE;
    gst_event_unref (ev);
  }
  fail_unless (saw_gap, "no GAP event for the lost packet");
  gst_harness_teardown (h);
}

GST_END_TEST;

/* A fragment whose start was never seen (the stream joined mid-AU): the
 * sizes cannot add up, nothing comes out, the next AU does. */
GST_START_TEST (test_orphan_fragment)
{
  GstHarness *h = new_harness (HBR_CAPS);
  static const guint sizes[] = { 50 };
  guint8 au[3000];

  au_fill (au, sizeof (au), 3);
  gst_harness_push (h, fragment_packet (au, 3000, 1200, 1200, 1, 0, FALSE,
          BASE_PTS));
  gst_harness_push (h, fragment_packet (au, 3000, 2400, 600, 2, 0, TRUE,
          BASE_PTS));
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 0);
  gst_harness_push (h, hbr_packet (sizes, 1, 1, 3, 1024, BASE_PTS, NULL));
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 1);
  fail_unless_equals_uint64 (stat_u64 (h, "dropped-aus"), 1);
  gst_harness_teardown (h);
}

GST_END_TEST;

static guint8 *
adts_wrap (const guint8 * raw, guint len)
{
  guint8 *p = g_malloc (len + 7);
  guint flen = len + 7;

  /* MPEG-4, LC, 48 kHz (index 3), stereo, no CRC */
  p[0] = 0xff;
  p[1] = 0xf1;
  p[2] = (1 << 6) | (3 << 2);
  p[3] = (2 << 6) | (flen >> 11);
  p[4] = (flen >> 3) & 0xff;
  p[5] = ((flen & 7) << 5) | 0x1f;
  p[6] = 0xfc;
  memcpy (p + 7, raw, len);
  return p;
}

static void
check_adts_stream (const gchar * caps_str)
{
  GstHarness *h = new_harness (caps_str);
  guint8 raw[300], *wrapped, payload[4 + 307];
  GstBuffer *in, *out;
  GstCaps *caps;
  const GValue *cd;
  GstMapInfo map;

  au_fill (raw, sizeof (raw), 5);
  wrapped = adts_wrap (raw, sizeof (raw));
  payload[0] = 0;
  payload[1] = 16;
  payload[2] = 307 >> 5;
  payload[3] = (307 & 0x1f) << 3;
  memcpy (payload + 4, wrapped, 307);
  in = rtp_packet (payload, sizeof (payload), 1, 0, TRUE, BASE_PTS);
  fail_unless_equals_int (gst_harness_push (h, gst_buffer_ref (in)),
      GST_FLOW_OK);
  out = gst_harness_pull (h);
  assert_bytes (out, raw, sizeof (raw));
  assert_shares_payload (out, 0, in, 4 + 7);
  fail_unless_equals_uint64 (stat_u64 (h, "adts-stripped"), 1);

  caps = gst_pad_get_current_caps (h->sinkpad);
  cd = gst_structure_get_value (gst_caps_get_structure (caps, 0),
      "codec_data");
  fail_unless (cd != NULL);
  fail_unless (gst_buffer_map (gst_value_get_buffer (cd), &map,
          GST_MAP_READ));
  fail_unless (map.size == 2 && map.data[0] == 0x11 && map.data[1] == 0x90);
  gst_buffer_unmap (gst_value_get_buffer (cd), &map);
  gst_caps_unref (caps);

  gst_buffer_unref (out);
  gst_buffer_unref (in);
  g_free (wrapped);
  gst_harness_teardown (h);
}

GST_START_TEST (test_adts_wrapped)
{
  check_adts_stream (HBR_CAPS);
}

GST_END_TEST;

/* No config= at all: codec_data is built from the first ADTS header. */
GST_START_TEST (test_adts_without_config)
{
  check_adts_stream ("application/x-rtp, media=audio, clock-rate=48000, "
      "encoding-name=MPEG4-GENERIC, mode=AAC-hbr, sizelength=13");
}

GST_END_TEST;

/* Caps written by hand keep the SDP's mixed case. */
GST_START_TEST (test_mixed_case_caps)
{
  GstHarness *h = new_harness ("application/x-rtp, media=audio, "
      "clock-rate=48000, encoding-name=mpeg4-generic, Mode=aac-HBR, "
      "SizeLength=(int)13, IndexLength=(string)3, indexDeltaLength=3, "
      "Config=(string)1190");
  static const guint sizes[] = { 100, 120 };
  GstBuffer *out;

  fail_unless_equals_int (gst_harness_push (h, hbr_packet (sizes, 2, 1, 1, 0,
              BASE_PTS, NULL)), GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 2);
  out = gst_harness_pull (h);
  fail_unless_equals_int (gst_buffer_get_size (out), 100);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* indexlength / indexdeltalength left out: the mode's defaults apply. */
GST_START_TEST (test_missing_indexlength)
{
  GstHarness *h = new_harness ("application/x-rtp, media=audio, "
      "clock-rate=48000, encoding-name=MPEG4-GENERIC, mode=AAC-hbr, "
      "config=1190, sizelength=13");
  static const guint sizes[] = { 64, 65, 66 };

  fail_unless_equals_int (gst_harness_push (h, hbr_packet (sizes, 3, 1, 1, 0,
              BASE_PTS, NULL)), GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 3);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* AAC-lbr: 6-bit sizes, 2-bit indexes, everything defaulted. */
GST_START_TEST (test_lbr)
{
  GstHarness *h = new_harness ("application/x-rtp, media=audio, "
      "clock-rate=48000, encoding-name=MPEG4-GENERIC, mode=AAC-lbr, "
      "config=1190");
  BitWriter bw = { {0}, 0 };
  guint8 au[63 + 10];
  GstBuffer *out;

  au_fill (au, sizeof (au), 9);
  bw_put (&bw, 16, 16);
  bw_put (&bw, 6, 63);
  bw_put (&bw, 2, 0);
  bw_put (&bw, 6, 10);
  bw_put (&bw, 2, 0);
  memcpy (bw.buf + 4, au, sizeof (au));
  gst_harness_push (h, rtp_packet (bw.buf, 4 + sizeof (au), 1, 0, TRUE,
          BASE_PTS));
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 2);
  out = gst_harness_pull (h);
  assert_bytes (out, au, 63);
  gst_buffer_unref (out);
  out = gst_harness_pull (h);
  assert_bytes (out, au + 63, 10);
  fail_unless_equals_uint64 (GST_BUFFER_PTS (out), BASE_PTS + FRAME_NS);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* 960-sample frames (frameLengthFlag): PTS steps of 20 ms at 48 kHz. */
GST_START_TEST (test_960_frames)
{
  GstHarness *h = new_harness ("application/x-rtp, media=audio, "
      "clock-rate=48000, encoding-name=MPEG4-GENERIC, mode=AAC-hbr, "
      "config=(string)1194, sizelength=13, indexlength=3, indexdeltalength=3");
  static const guint sizes[] = { 10, 10, 10 };
  GstBuffer *out;
  guint i;

  gst_harness_push (h, hbr_packet (sizes, 3, 1, 1, 0, BASE_PTS, NULL));
  for (i = 0; i < 3; i++) {
    out = gst_harness_pull (h);
    fail_unless_equals_uint64 (GST_BUFFER_PTS (out),
        BASE_PTS + i * 20 * GST_MSECOND);
    fail_unless_equals_uint64 (GST_BUFFER_DURATION (out), 20 * GST_MSECOND);
    gst_buffer_unref (out);
  }
  gst_harness_teardown (h);
}

GST_END_TEST;

/* HE-AAC (explicit SBR, config 2B118800: 24 kHz core, 48 kHz output):
 * caps say 48 kHz, each AU lasts 1024 samples of the 24 kHz core. */
GST_START_TEST (test_he_aac)
{
  GstHarness *h = new_harness ("application/x-rtp, media=audio, "
      "clock-rate=48000, encoding-name=MPEG4-GENERIC, mode=AAC-hbr, "
      "config=(string)2B118800, sizelength=13, indexlength=3, "
      "indexdeltalength=3");
  static const guint sizes[] = { 10, 10 };
  GstBuffer *out;
  GstCaps *caps;
  gint rate = 0, channels = 0;

  gst_harness_push (h, hbr_packet (sizes, 2, 1, 1, 0, BASE_PTS, NULL));
  caps = gst_pad_get_current_caps (h->sinkpad);
  fail_unless (gst_structure_get_int (gst_caps_get_structure (caps, 0),
          "rate", &rate));
  fail_unless (gst_structure_get_int (gst_caps_get_structure (caps, 0),
          "channels", &channels));
  fail_unless_equals_int (rate, 48000);
  fail_unless_equals_int (channels, 2);
  gst_caps_unref (caps);
  gst_buffer_unref (gst_harness_pull (h));
  out = gst_harness_pull (h);
  fail_unless_equals_uint64 (GST_BUFFER_PTS (out),
      BASE_PTS + gst_util_uint64_scale_int (1024, GST_SECOND, 24000));
  gst_buffer_unref (out);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* AU-Index-delta > 0 (interleaving) and signalled CTS / DTS deltas, RAP
 * flag and an auxiliary section that must be skipped. */
GST_START_TEST (test_deltas_and_aux)
{
  GstHarness *h = new_harness ("application/x-rtp, media=audio, "
      "clock-rate=48000, encoding-name=MPEG4-GENERIC, mode=AAC-hbr, "
      "config=1190, sizelength=13, indexlength=3, indexdeltalength=3, "
      "ctsdeltalength=16, dtsdeltalength=8, randomaccessindication=1, "
      "auxiliarydatasizelength=8");
  BitWriter bw = { {0}, 0 };
  guint8 au[30];
  gsize off;
  GstBuffer *out;

  au_fill (au, sizeof (au), 2);
  /* 3 headers: 13+3+1+1+1 = 19, 13+3+1+16+1+1 = 35, 13+3+1+1+8+1 = 27 */
  bw_put (&bw, 16, 19 + 35 + 27);
  /* AU 0: size 10, index 5, no CTS, no DTS, RAP */
  bw_put (&bw, 13, 10);
  bw_put (&bw, 3, 5);
  bw_put (&bw, 1, 0);
  bw_put (&bw, 1, 0);
  bw_put (&bw, 1, 1);
  /* AU 1: size 10, delta 1 (index +2), CTS-delta -1024, no DTS */
  bw_put (&bw, 13, 10);
  bw_put (&bw, 3, 1);
  bw_put (&bw, 1, 1);
  bw_put (&bw, 16, 0x10000 - 1024);
  bw_put (&bw, 1, 0);
  bw_put (&bw, 1, 0);
  /* AU 2: size 10, delta 0 (index +1 → 3 periods), DTS-delta 48 */
  bw_put (&bw, 13, 10);
  bw_put (&bw, 3, 0);
  bw_put (&bw, 1, 0);
  bw_put (&bw, 1, 1);
  bw_put (&bw, 8, 48);
  bw_put (&bw, 1, 0);
  /* pad to a byte, then the auxiliary section: 8-bit size = 20 bits */
  bw.bits = bw_bytes (&bw) * 8;
  bw_put (&bw, 8, 20);
  bw_put (&bw, 20, 0xfffff);
  bw.bits = bw_bytes (&bw) * 8;
  off = bw_bytes (&bw);
  memcpy (bw.buf + off, au, sizeof (au));
  gst_harness_push (h, rtp_packet (bw.buf, off + sizeof (au), 1, 0, TRUE,
          BASE_PTS));
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 3);

  out = gst_harness_pull (h);
  assert_bytes (out, au, 10);
  fail_unless_equals_uint64 (GST_BUFFER_PTS (out), BASE_PTS);
  gst_buffer_unref (out);
  out = gst_harness_pull (h);
  assert_bytes (out, au + 10, 10);
  /* the CTS-delta wins over the index: 1024 ticks before the packet */
  fail_unless_equals_uint64 (GST_BUFFER_PTS (out), BASE_PTS - FRAME_NS);
  gst_buffer_unref (out);
  out = gst_harness_pull (h);
  assert_bytes (out, au + 20, 10);
  fail_unless_equals_uint64 (GST_BUFFER_PTS (out), BASE_PTS + 3 * FRAME_NS);
  fail_unless_equals_uint64 (GST_BUFFER_DTS (out),
      BASE_PTS + 3 * FRAME_NS - GST_MSECOND);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
}

GST_END_TEST;

static void
push_raw (GstHarness * h, const guint8 * payload, gsize len, guint16 seq)
{
  fail_unless_equals_int (gst_harness_push (h, rtp_packet (payload, len, seq,
              seq * 1024, TRUE, BASE_PTS + seq * FRAME_NS)), GST_FLOW_OK);
}

/* Hostile headers: each is dropped with a warning, nothing is read past
 * the payload (ASan run), the stream carries on with DISCONT. */
GST_START_TEST (test_hostile_headers)
{
  GstHarness *h = new_harness (HBR_CAPS);
  GstBus *bus = gst_bus_new ();
  static const guint8 empty[1] = { 0 };
  static const guint8 one[1] = { 0x00 };
  static const guint8 headers_past_end[] = { 0x00, 0x40, 0x01, 0x00 };
  static const guint8 zero_headers_len[] = { 0x00, 0x00, 0x11, 0x22 };
  static const guint8 size_past_payload[] = { 0x00, 0x10, 0x00, 0x50, 1, 2 };
  static const guint8 zero_size[] = { 0x00, 0x20, 0x00, 0x00, 0x00, 0x08,
    0xaa
  };
  static const guint8 partial_header[] = { 0x00, 0x0c, 0x00, 0x08, 0xaa };
  static const guint8 two_sizes_past[] = { 0x00, 0x20, 0x00, 0x10, 0x00, 0x10,
    1, 2, 3
  };
  static const guint8 aux_bad[] = { 0x00, 0x10, 0x00, 0x08, 0x01 };
  guint8 many[2 + 2 * 200 + 200];
  static const guint sizes[] = { 20 };
  GstBuffer *out;
  GstMessage *msg;
  guint i;

  gst_element_set_bus (h->element, bus);

  /* absurd count: 200 one-byte AUs */
  many[0] = (16 * 200) >> 8;
  many[1] = (16 * 200) & 0xff;
  for (i = 0; i < 200; i++) {
    many[2 + 2 * i] = 0;
    many[3 + 2 * i] = 1 << 3;
    many[2 + 400 + i] = 0x21;
  }

  push_raw (h, empty, 0, 1);
  push_raw (h, one, 1, 2);
  push_raw (h, headers_past_end, sizeof (headers_past_end), 3);
  push_raw (h, zero_headers_len, sizeof (zero_headers_len), 4);
  push_raw (h, size_past_payload, sizeof (size_past_payload), 5);
  push_raw (h, zero_size, sizeof (zero_size), 6);
  push_raw (h, partial_header, sizeof (partial_header), 7);
  push_raw (h, two_sizes_past, sizeof (two_sizes_past), 8);
  push_raw (h, many, sizeof (many), 9);
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 0);
  fail_unless_equals_uint64 (stat_u64 (h, "dropped-packets"), 8);
  /* size_past_payload has a single header: it reads as a fragment whose
   * marker comes before its bytes add up, so one AU is dropped instead */
  fail_unless_equals_uint64 (stat_u64 (h, "dropped-aus"), 1);

  gst_harness_push (h, hbr_packet (sizes, 1, 1, 10, 10 * 1024, BASE_PTS,
          NULL));
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 1);
  out = gst_harness_pull (h);
  fail_unless (GST_BUFFER_IS_DISCONT (out));
  fail_unless_equals_int (gst_buffer_get_size (out), 20);
  gst_buffer_unref (out);

  /* warnings were posted (rate-limited: the 1st) */
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
  fail_unless (msg != NULL, "no warning message for a bad packet");
  gst_message_unref (msg);

  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);

  /* the auxiliary size past the payload, with aux signalled */
  h = new_harness (HBR_CAPS ", auxiliarydatasizelength=(string)16");
  push_raw (h, aux_bad, sizeof (aux_bad), 1);
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 0);
  fail_unless_equals_uint64 (stat_u64 (h, "dropped-packets"), 1);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Random payloads, each in an exact-size packet: no crash, no over-read,
 * every output buffer within the packet it came from. */
GST_START_TEST (test_random_payloads)
{
  GstHarness *h = new_harness (HBR_CAPS);
  GRand *rand = g_rand_new_with_seed (3640);
  guint i;

  for (i = 0; i < 3000; i++) {
    guint8 payload[64];
    guint len = g_rand_int_range (rand, 0, sizeof (payload)), k;

    for (k = 0; k < len; k++)
      payload[k] = g_rand_int (rand) & 0xff;
    /* bias towards plausible header lengths */
    if (len >= 2 && g_rand_boolean (rand)) {
      payload[0] = 0;
      payload[1] = 16 * g_rand_int_range (rand, 1, 4);
    }
    gst_harness_push (h, rtp_packet (payload, len, i, i * 1024,
            g_rand_boolean (rand), BASE_PTS + i * FRAME_NS));
    while (gst_harness_buffers_in_queue (h) > 0) {
      GstBuffer *out = gst_harness_pull (h);

      fail_unless (gst_buffer_get_size (out) > 0);
      gst_buffer_unref (out);
    }
  }
  g_rand_free (rand);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_refused_caps)
{
  static const gchar *refused[] = {
    /* MP4A-LATM is not supported: refused by the template */
    "application/x-rtp, media=audio, clock-rate=48000, "
        "encoding-name=MP4A-LATM, config=40002420adca00",
    /* another RFC 3640 mode */
    "application/x-rtp, media=audio, clock-rate=8000, "
        "encoding-name=MPEG4-GENERIC, mode=CELP-cbr, config=1190, "
        "constantsize=20",
    /* no mode and no sizelength */
    "application/x-rtp, media=audio, clock-rate=48000, "
        "encoding-name=MPEG4-GENERIC, config=1190",
    /* not hex / not a config */
    "application/x-rtp, media=audio, clock-rate=48000, "
        "encoding-name=MPEG4-GENERIC, mode=AAC-hbr, config=11x0",
    "application/x-rtp, media=audio, clock-rate=48000, "
        "encoding-name=MPEG4-GENERIC, mode=AAC-hbr, config=0190",
    /* sizelength out of range / not a number */
    "application/x-rtp, media=audio, clock-rate=48000, "
        "encoding-name=MPEG4-GENERIC, mode=AAC-hbr, config=1190, "
        "sizelength=(string)40",
    "application/x-rtp, media=audio, clock-rate=48000, "
        "encoding-name=MPEG4-GENERIC, mode=AAC-hbr, config=1190, "
        "sizelength=(string)thirteen",
    "application/x-rtp, media=video, clock-rate=90000, "
        "encoding-name=MPEG4-GENERIC, mode=AAC-hbr, config=1190",
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (refused); i++) {
    GstHarness *h = gst_harness_new ("arclyaacdepay");
    GstCaps *caps = gst_caps_from_string (refused[i]);
    static const guint sizes[] = { 10 };

    fail_unless (caps != NULL);
    gst_harness_set_src_caps (h, caps);
    fail_unless (gst_harness_push (h, hbr_packet (sizes, 1, 1, 1, 0,
                BASE_PTS, NULL)) == GST_FLOW_NOT_NEGOTIATED,
        "caps %u accepted: %s", i, refused[i]);
    fail_unless_equals_int (gst_harness_buffers_in_queue (h), 0);
    gst_harness_teardown (h);
  }
}

GST_END_TEST;

/* FLUSH drops a half-collected AU; its last fragment after the flush
 * does not complete anything, the next whole AU comes out. */
GST_START_TEST (test_flush)
{
  GstHarness *h = new_harness (HBR_CAPS);
  static const guint sizes[] = { 40 };
  guint8 au[3000];
  GstBuffer *out;

  au_fill (au, sizeof (au), 3);
  gst_harness_push (h, fragment_packet (au, 3000, 0, 1800, 1, 0, FALSE,
          BASE_PTS));
  fail_unless (gst_harness_push_event (h, gst_event_new_flush_start ()));
  fail_unless (gst_harness_push_event (h, gst_event_new_flush_stop (TRUE)));
  {
    GstSegment seg;

    gst_segment_init (&seg, GST_FORMAT_TIME);
    fail_unless (gst_harness_push_event (h, gst_event_new_segment (&seg)));
  }
  gst_harness_push (h, fragment_packet (au, 3000, 1800, 1200, 2, 0, TRUE,
          BASE_PTS));
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 0);
  gst_harness_push (h, hbr_packet (sizes, 1, 1, 3, 1024, BASE_PTS, NULL));
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 1);
  out = gst_harness_pull (h);
  fail_unless_equals_int (gst_buffer_get_size (out), 40);
  gst_buffer_unref (out);
  fail_unless_equals_uint64 (stat_u64 (h, "packets"), 3);
  fail_unless_equals_uint64 (stat_u64 (h, "dropped-aus"), 1);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* State changes back and forth keep working and reset the stats. */
GST_START_TEST (test_state_changes)
{
  GstHarness *h = new_harness (HBR_CAPS);
  static const guint sizes[] = { 40 };
  guint i;

  for (i = 0; i < 3; i++) {
    gst_harness_push (h, hbr_packet (sizes, 1, 1, 1, 0, BASE_PTS, NULL));
    fail_unless_equals_uint64 (stat_u64 (h, "aus"), 1);
    gst_buffer_unref (gst_harness_pull (h));
    fail_unless_equals_int (gst_element_set_state (h->element,
            GST_STATE_NULL), GST_STATE_CHANGE_SUCCESS);
    gst_harness_play (h);
    gst_harness_set_src_caps_str (h, HBR_CAPS);
  }
  gst_harness_teardown (h);
}

GST_END_TEST;

/* --- equivalence with rtpmp4gdepay ------------------------------------ */

static void
require_element (const gchar * name)
{
  GstElementFactory *f = gst_element_factory_find (name);

  fail_unless (f != NULL, "GStreamer element '%s' is missing: install "
      "gstreamer1.0-plugins-good/-bad/-libav", name);
  gst_object_unref (f);
}

typedef struct
{
  GstCaps *caps;
  GPtrArray *packets;
} RtpStream;

static void
rtp_stream_free (RtpStream * st)
{
  gst_caps_unref (st->caps);
  g_ptr_array_unref (st->packets);
  g_free (st);
}

/* RTP packets of `audiotestsrc ! voaacenc ! rtpmp4gpay <pay_props>`. */
static RtpStream *
make_stream (const gchar * pay_props, guint n_frames)
{
  gchar *desc = g_strdup_printf ("audiotestsrc num-buffers=%u "
      "samplesperbuffer=1024 wave=pink-noise ! "
      "audio/x-raw,rate=48000,channels=2 ! voaacenc bitrate=192000 ! "
      "rtpmp4gpay %s ! appsink name=sink sync=false", n_frames, pay_props);
  GError *err = NULL;
  GstElement *pipe = gst_parse_launch (desc, &err);
  GstElement *sink;
  RtpStream *st = g_new0 (RtpStream, 1);
  GstSample *sample;

  fail_unless (pipe != NULL, "%s: %s", desc, err ? err->message : "?");
  st->packets = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
  sink = gst_bin_get_by_name (GST_BIN (pipe), "sink");
  fail_unless_equals_int (gst_element_set_state (pipe, GST_STATE_PLAYING),
      GST_STATE_CHANGE_ASYNC);
  while ((sample = gst_app_sink_try_pull_sample (GST_APP_SINK (sink),
              20 * GST_SECOND))) {
    if (st->caps == NULL)
      st->caps = gst_caps_ref (gst_sample_get_caps (sample));
    g_ptr_array_add (st->packets, gst_buffer_ref (gst_sample_get_buffer
            (sample)));
    gst_sample_unref (sample);
  }
  fail_unless (gst_app_sink_is_eos (GST_APP_SINK (sink)),
      "payloader pipeline did not reach EOS in time");
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (pipe);
  g_free (desc);
  fail_unless (st->caps != NULL && st->packets->len > 0);
  return st;
}

static GPtrArray *
depayload_all (const gchar * element, RtpStream * st)
{
  GstHarness *h = gst_harness_new (element);
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
  guint i;

  gst_harness_set_src_caps (h, gst_caps_ref (st->caps));
  for (i = 0; i < st->packets->len; i++) {
    GstBuffer *b;

    fail_unless_equals_int (gst_harness_push (h,
            gst_buffer_ref (g_ptr_array_index (st->packets, i))), GST_FLOW_OK);
    while ((b = gst_harness_try_pull (h)))
      g_ptr_array_add (out, b);
  }
  gst_harness_teardown (h);
  return out;
}

static void
check_equivalence (const gchar * pay_props, guint n_frames,
    gboolean expect_fragments)
{
  RtpStream *st;
  GPtrArray *ref, *ours;
  GstHarness *dec;
  guint i, fragmented = 0;
  guint64 samples = 0;
  GstBuffer *b;

  require_element ("voaacenc");
  require_element ("rtpmp4gpay");
  require_element ("rtpmp4gdepay");
  require_element ("avdec_aac");

  st = make_stream (pay_props, n_frames);
  ref = depayload_all ("rtpmp4gdepay", st);
  ours = depayload_all ("arclyaacdepay", st);

  /* voaacenc holds a couple of frames back; all it made must come out */
  fail_unless (ref->len >= n_frames - 2, "rtpmp4gdepay gave %u AUs",
      ref->len);
  fail_unless_equals_int (ours->len, ref->len);
  for (i = 0; i < ref->len; i++) {
    GstBuffer *r = g_ptr_array_index (ref, i), *o = g_ptr_array_index (ours,
        i);
    GstMapInfo rm, om;

    /* before mapping: a map merges a fragmented AU's memories */
    if (gst_buffer_n_memory (o) > 1)
      fragmented++;
    fail_unless (gst_buffer_map (r, &rm, GST_MAP_READ));
    fail_unless (gst_buffer_map (o, &om, GST_MAP_READ));
    fail_unless_equals_int (om.size, rm.size);
    fail_unless (memcmp (om.data, rm.data, rm.size) == 0, "AU %u differs", i);
    gst_buffer_unmap (r, &rm);
    gst_buffer_unmap (o, &om);
    fail_unless_equals_uint64 (GST_BUFFER_PTS (o), GST_BUFFER_PTS (r));
  }
  if (expect_fragments)
    fail_unless (fragmented > 0, "the stream had no fragmented AU");

  /* and it decodes: every AU to 1024 stereo samples, no error */
  dec = gst_harness_new_parse ("arclyaacdepay ! avdec_aac");
  gst_harness_set_src_caps (dec, gst_caps_ref (st->caps));
  for (i = 0; i < st->packets->len; i++)
    fail_unless_equals_int (gst_harness_push (dec,
            gst_buffer_ref (g_ptr_array_index (st->packets, i))), GST_FLOW_OK);
  fail_unless (gst_harness_push_event (dec, gst_event_new_eos ()));
  while ((b = gst_harness_try_pull (dec))) {
    samples += gst_buffer_get_size (b) / (2 * 4);       /* F32LE stereo */
    gst_buffer_unref (b);
  }
  fail_unless_equals_uint64 (samples, (guint64) ours->len * 1024);
  gst_harness_teardown (dec);

  g_ptr_array_unref (ref);
  g_ptr_array_unref (ours);
  rtp_stream_free (st);
}

GST_START_TEST (test_equivalence_rtpmp4gpay)
{
  check_equivalence ("", 200, FALSE);
}

GST_END_TEST;

/* mtu=200: most AUs are fragmented over 3 packets */
GST_START_TEST (test_equivalence_fragmented)
{
  check_equivalence ("mtu=200", 100, TRUE);
}

GST_END_TEST;

static Suite *
arclyaacdepay_suite (void)
{
  Suite *s = suite_create ("arclyaacdepay");
  TCase *tc = tcase_create ("packets");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_single_au);
  tcase_add_test (tc, test_several_aus);
  tcase_add_test (tc, test_fragmented_au);
  tcase_add_test (tc, test_loss_mid_fragment);
  tcase_add_test (tc, test_packet_lost_event);
  tcase_add_test (tc, test_orphan_fragment);
  tcase_add_test (tc, test_adts_wrapped);
  tcase_add_test (tc, test_adts_without_config);
  tcase_add_test (tc, test_mixed_case_caps);
  tcase_add_test (tc, test_missing_indexlength);
  tcase_add_test (tc, test_lbr);
  tcase_add_test (tc, test_960_frames);
  tcase_add_test (tc, test_he_aac);
  tcase_add_test (tc, test_deltas_and_aux);
  tcase_add_test (tc, test_hostile_headers);
  tcase_add_test (tc, test_random_payloads);
  tcase_add_test (tc, test_refused_caps);
  tcase_add_test (tc, test_flush);
  tcase_add_test (tc, test_state_changes);
  tcase_add_test (tc, test_buffer_list);

  tc = tcase_create ("equivalence");
  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 90);
  tcase_add_test (tc, test_equivalence_rtpmp4gpay);
  tcase_add_test (tc, test_equivalence_fragmented);
  return s;
}

GST_CHECK_MAIN (arclyaacdepay);
