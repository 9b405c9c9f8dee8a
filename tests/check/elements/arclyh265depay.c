/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * arclyh265depay through its pads (GstHarness) with hand-built RTP packets
 * for every packetization (RFC 7798: single NAL unit, AP, FU, DONL) and
 * loss case, zero-copy and bytes-copied assertions, parameter-set
 * insertion from the caps, and equivalence runs against rtph265depay: the
 * same x265enc + rtph265pay RTP (single NAL units, APs, FUs, and a stream
 * without marker bits) decoded by avdec_h265 gives identical frames; and
 * arcly-testcam --codec h265 read through rtspsrc decodes.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/rtp/gstrtpbuffer.h>

#include "arcly-testcam-helper.h"
#include "arcly-depay-list-check.h"

#define RTP_CAPS "application/x-rtp,media=video,clock-rate=90000," \
  "encoding-name=H265,payload=96"

/* x265enc main 320x240 (see tests/check/libs/arclyh265.c) */
static const guint8 vps[] = {
  0x40, 0x01, 0x0c, 0x01, 0xff, 0xff, 0x01, 0x60, 0x00, 0x00, 0x03, 0x00,
  0x90, 0x00, 0x00, 0x03, 0x00, 0x00, 0x03, 0x00, 0x3f, 0xba, 0x02, 0x40
};
static const guint8 sps[] = {
  0x42, 0x01, 0x01, 0x01, 0x60, 0x00, 0x00, 0x03, 0x00, 0x90, 0x00, 0x00,
  0x03, 0x00, 0x00, 0x03, 0x00, 0x3f, 0xa0, 0x0a, 0x08, 0x0f, 0x16, 0x5b,
  0xa4, 0xa4, 0xc2, 0xff, 0xf0, 0x00, 0x10, 0x00, 0x16, 0xa0, 0xc0, 0xc0,
  0xc0, 0x80, 0x00, 0x00, 0x03, 0x00, 0x80, 0x00, 0x00, 0x0f, 0x04
};
static const guint8 pps[] = { 0x44, 0x01, 0xc0, 0x71, 0x83, 0x12 };
/* the same, base64 as in an SDP (quoted: "/" and "=" in a caps string) */
#define SPROPS ",sprop-vps=(string)\"QAEMAf//AWAAAAMAkAAAAwAAAwA/ugJA\"," \
  "sprop-sps=(string)\"QgEBAWAAAAMAkAAAAwAAAwA/oAoIDxZbpKTC//AAEAAWoMDAwIA" \
  "AAAMAgAAADwQ=\",sprop-pps=(string)\"RAHAcYMS\""

/* slice payloads: only their NAL header matters to a depayloader */
static const guint8 idr[] = { 0x26, 0x01, 0xaf, 0x1e, 0x80, 0x33, 0x7f };
static const guint8 cra[] = { 0x2a, 0x01, 0xad, 0x00, 0x41 };
static const guint8 bla[] = { 0x20, 0x01, 0xab, 0x10, 0x07 };
static const guint8 trail[] = { 0x02, 0x01, 0xd0, 0x0a, 0x99, 0x10 };

static const guint8 sc[] = { 0, 0, 0, 1 };

#define NAL(x) (x), sizeof (x)

/* ---- helpers ---- */

static GstBuffer *
make_rtp (guint16 seq, guint32 ts, gboolean marker, const guint8 * payload,
    gsize size)
{
  GstBuffer *buf = gst_rtp_buffer_new_allocate (size, 0, 0);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;

  fail_unless (gst_rtp_buffer_map (buf, GST_MAP_WRITE, &rtp));
  gst_rtp_buffer_set_payload_type (&rtp, 96);
  gst_rtp_buffer_set_ssrc (&rtp, 0x12345678);
  gst_rtp_buffer_set_seq (&rtp, seq);
  gst_rtp_buffer_set_timestamp (&rtp, ts);
  gst_rtp_buffer_set_marker (&rtp, marker);
  if (size)
    memcpy (gst_rtp_buffer_get_payload (&rtp), payload, size);
  gst_rtp_buffer_unmap (&rtp);
  GST_BUFFER_PTS (buf) = gst_util_uint64_scale (ts, GST_SECOND, 90000);
  return buf;
}

static void
push (GstHarness * h, guint16 seq, guint32 ts, gboolean marker,
    const guint8 * payload, gsize size)
{
  fail_unless_equals_int (gst_harness_push (h, make_rtp (seq, ts, marker,
              payload, size)), GST_FLOW_OK);
}

static void
push_bytes (GstHarness * h, guint16 seq, guint32 ts, gboolean marker,
    GBytes * b)
{
  gsize size;
  const guint8 *d = g_bytes_get_data (b, &size);

  push (h, seq, ts, marker, d, size);
}

/* Expected byte-stream AU from NAL units, NULL-terminated pairs */
static GBytes *
annexb (const guint8 * first, ...)
{
  GByteArray *a = g_byte_array_new ();
  va_list ap;
  const guint8 *nal = first;

  va_start (ap, first);
  while (nal) {
    gsize s = va_arg (ap, gsize);

    g_byte_array_append (a, sc, 4);
    g_byte_array_append (a, nal, s);
    nal = va_arg (ap, const guint8 *);
  }
  va_end (ap);
  return g_byte_array_free_to_bytes (a);
}

/* An AP (RFC 7798 §4.4.2) of NAL units, NULL-terminated pairs; with @donl
 * a DONL before the first and a DOND before each other unit. */
static GBytes *
make_ap (gboolean donl, const guint8 * first, ...)
{
  GByteArray *a = g_byte_array_new ();
  const guint8 hdr[2] = { 48 << 1, 0x01 };
  const guint8 *nal = first;
  va_list ap;
  guint n = 0;

  g_byte_array_append (a, hdr, 2);
  va_start (ap, first);
  while (nal) {
    gsize s = va_arg (ap, gsize);
    guint8 len[2] = { s >> 8, s & 0xff };

    if (donl)
      g_byte_array_append (a, (const guint8 *) "\x00\x05", n ? 1 : 2);
    g_byte_array_append (a, len, 2);
    g_byte_array_append (a, nal, s);
    nal = va_arg (ap, const guint8 *);
    n++;
  }
  va_end (ap);
  return g_byte_array_free_to_bytes (a);
}

static void
assert_buffer_bytes (GstBuffer * buf, GBytes * exp)
{
  gsize n;
  const guint8 *d = g_bytes_get_data (exp, &n);

  fail_unless_equals_int (gst_buffer_get_size (buf), n);
  fail_unless (gst_buffer_memcmp (buf, 0, d, n) == 0, "AU bytes differ");
  g_bytes_unref (exp);
}

/* Pushes are synchronous: an AU is either queued already or not at all. */
static GstBuffer *
pull_one (GstHarness * h)
{
  fail_unless (gst_harness_buffers_in_queue (h) > 0, "no output buffer");
  return gst_harness_pull (h);
}

static GstHarness *
new_harness (const gchar * extra_caps)
{
  GstHarness *h = gst_harness_new ("arclyh265depay");
  gchar *caps = g_strdup_printf ("%s%s", RTP_CAPS, extra_caps ? extra_caps :
      "");

  gst_harness_set_src_caps_str (h, caps);
  g_free (caps);
  return h;
}

static guint64
stat_u64 (GstHarness * h, const gchar * field)
{
  GstStructure *s = NULL;
  guint64 v = G_MAXUINT64;

  g_object_get (h->element, "stats", &s, NULL);
  fail_unless (s != NULL);
  fail_unless (gst_structure_get_uint64 (s, field, &v), "no %s", field);
  gst_structure_free (s);
  return v;
}

static guint8 *
big_nal (guint8 h0, guint8 h1, gsize size)
{
  guint8 *n = g_malloc (size);
  gsize i;

  n[0] = h0;
  n[1] = h1;
  for (i = 2; i < size; i++)
    n[i] = (guint8) (i * 13 + 5);
  return n;
}

/* FU packets of @nal laid out like rtph265pay's: RTP header, payload
 * header + FU header, and the fragment each in their own memory (or the
 * whole payload in one memory when !@split).  @skip_index: a fragment not
 * sent (loss).  Returns the number of fragments. */
static guint
push_fu (GstHarness * h, guint16 seq, guint32 ts, const guint8 * nal,
    gsize size, gsize frag, gboolean split, gint skip_index)
{
  gsize off = 2;
  guint n = 0;

  while (off < size) {
    gsize len = MIN (frag, size - off);
    gboolean last = off + len == size;
    guint8 fu[3], *p;
    GstBuffer *buf;

    fu[0] = (nal[0] & 0x81) | (49 << 1);
    fu[1] = nal[1];
    fu[2] = (off == 2 ? 0x80 : 0) | (last ? 0x40 : 0) | ((nal[0] >> 1) &
        0x3f);
    if (split) {
      buf = make_rtp (seq + n, ts, last, NULL, 0);
      p = g_memdup2 (fu, 3);
      gst_buffer_append_memory (buf, gst_memory_new_wrapped (0, p, 3, 0, 3,
              p, g_free));
      p = g_memdup2 (nal + off, len);
      gst_buffer_append_memory (buf, gst_memory_new_wrapped (0, p, len, 0,
              len, p, g_free));
    } else {
      p = g_malloc (3 + len);
      memcpy (p, fu, 3);
      memcpy (p + 3, nal + off, len);
      buf = make_rtp (seq + n, ts, last, p, 3 + len);
      g_free (p);
    }
    if ((gint) n != skip_index) {
      fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
    } else {
      gst_buffer_unref (buf);
    }
    off += len;
    n++;
  }
  return n;
}

/* TRUE when @out_mem's bytes are @in's bytes at @in_offset, i.e. the same
 * memory, not a copy. */
static gboolean
shares_bytes (GstMemory * out_mem, GstBuffer * in, gsize in_offset)
{
  GstMapInfo om, im;
  gboolean same;
  guint idx, len;
  gsize skip;
  GstMemory *in_mem;

  fail_unless (gst_buffer_find_memory (in, in_offset, 1, &idx, &len, &skip));
  in_mem = gst_buffer_peek_memory (in, idx);
  fail_unless (gst_memory_map (out_mem, &om, GST_MAP_READ));
  fail_unless (gst_memory_map (in_mem, &im, GST_MAP_READ));
  same = om.data == im.data + skip;
  gst_memory_unmap (in_mem, &im);
  gst_memory_unmap (out_mem, &om);
  return same;
}

/* ---- packetizations ---- */

GST_START_TEST (test_single_nal_and_caps)
{
  GstHarness *h = new_harness (SPROPS);
  GstBuffer *out;
  GstCaps *caps;
  GstStructure *s;
  gint w = 0, hh = 0;

  /* the first IRAP gets the parameter sets of the caps */
  push (h, 1, 3000, TRUE, NAL (idr));
  out = pull_one (h);
  fail_if (GST_BUFFER_FLAG_IS_SET (out, GST_BUFFER_FLAG_DELTA_UNIT));
  fail_unless (GST_BUFFER_FLAG_IS_SET (out, GST_BUFFER_FLAG_DISCONT));
  fail_unless_equals_uint64 (GST_BUFFER_PTS (out), 3000 * GST_SECOND / 90000);
  assert_buffer_bytes (out, annexb (NAL (vps), NAL (sps), NAL (pps),
          NAL (idr), NULL));
  gst_buffer_unref (out);

  push (h, 2, 6000, TRUE, NAL (trail));
  out = pull_one (h);
  fail_unless (GST_BUFFER_FLAG_IS_SET (out, GST_BUFFER_FLAG_DELTA_UNIT));
  fail_if (GST_BUFFER_FLAG_IS_SET (out, GST_BUFFER_FLAG_DISCONT));
  assert_buffer_bytes (out, annexb (NAL (trail), NULL));
  gst_buffer_unref (out);

  /* CRA and BLA pictures are keyframes too */
  push (h, 3, 9000, TRUE, NAL (cra));
  out = pull_one (h);
  fail_if (GST_BUFFER_FLAG_IS_SET (out, GST_BUFFER_FLAG_DELTA_UNIT));
  gst_buffer_unref (out);
  push (h, 4, 12000, TRUE, NAL (bla));
  out = pull_one (h);
  fail_if (GST_BUFFER_FLAG_IS_SET (out, GST_BUFFER_FLAG_DELTA_UNIT));
  gst_buffer_unref (out);

  caps = gst_pad_get_current_caps (h->sinkpad);
  s = gst_caps_get_structure (caps, 0);
  fail_unless (gst_structure_has_name (s, "video/x-h265"));
  fail_unless_equals_string (gst_structure_get_string (s, "stream-format"),
      "byte-stream");
  fail_unless_equals_string (gst_structure_get_string (s, "alignment"), "au");
  fail_unless (gst_structure_get_int (s, "width", &w));
  fail_unless (gst_structure_get_int (s, "height", &hh));
  fail_unless_equals_int (w, 320);
  fail_unless_equals_int (hh, 240);
  fail_unless_equals_string (gst_structure_get_string (s, "profile"), "main");
  gst_caps_unref (caps);

  fail_unless_equals_uint64 (stat_u64 (h, "keyframes"), 3);
  fail_unless_equals_uint64 (stat_u64 (h, "params-inserted"), 3);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_zero_copy_and_stats)
{
  GstHarness *h = new_harness (NULL);
  GBytes *ap = make_ap (FALSE, NAL (vps), NAL (sps), NAL (pps), NULL);
  GstBuffer *in_ap, *in_idr, *out;
  GstStructure *s = NULL;
  gsize ap_size;

  g_bytes_get_data (ap, &ap_size);
  in_ap = make_rtp (1, 3000, FALSE, g_bytes_get_data (ap, NULL), ap_size);
  in_idr = make_rtp (2, 3000, TRUE, NAL (idr));
  gst_buffer_ref (in_ap);
  gst_buffer_ref (in_idr);
  fail_unless_equals_int (gst_harness_push (h, in_ap), GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_push (h, in_idr), GST_FLOW_OK);
  out = pull_one (h);
  assert_buffer_bytes (out, annexb (NAL (vps), NAL (sps), NAL (pps),
          NAL (idr), NULL));
  /* start code, NAL unit, ...: every NAL unit is the packet's bytes */
  fail_unless_equals_int (gst_buffer_n_memory (out), 8);
  fail_unless (shares_bytes (gst_buffer_peek_memory (out, 1), in_ap,
          12 + 2 + 2));
  fail_unless (shares_bytes (gst_buffer_peek_memory (out, 3), in_ap,
          12 + 2 + 2 + sizeof (vps) + 2));
  fail_unless (shares_bytes (gst_buffer_peek_memory (out, 7), in_idr, 12));
  gst_buffer_unref (out);
  gst_buffer_unref (in_ap);
  gst_buffer_unref (in_idr);

  g_object_get (h->element, "stats", &s, NULL);
  fail_unless (gst_structure_has_name (s, "arcly-h265depay-stats"));
  gst_structure_free (s);
  fail_unless_equals_uint64 (stat_u64 (h, "packets"), 2);
  fail_unless_equals_uint64 (stat_u64 (h, "aus-pushed"), 1);
  fail_unless_equals_uint64 (stat_u64 (h, "bytes-copied"), 0);
  fail_unless_equals_uint64 (stat_u64 (h, "bytes-out"), 4 * 4 +
      sizeof (vps) + sizeof (sps) + sizeof (pps) + sizeof (idr));
  fail_unless_equals_uint64 (stat_u64 (h, "packets-dropped"), 0);
  fail_unless_equals_uint64 (stat_u64 (h, "gaps"), 0);
  fail_unless_equals_uint64 (stat_u64 (h, "aus-dropped"), 0);
  fail_unless_equals_uint64 (stat_u64 (h, "aus-waiting"), 0);
  fail_unless_equals_uint64 (stat_u64 (h, "params-inserted"), 0);
  g_bytes_unref (ap);
  gst_harness_teardown (h);
}

GST_END_TEST;

static void
run_fu (gboolean split)
{
  GstHarness *h = new_harness (SPROPS);
  guint8 *nal1 = big_nal (0x26, 0x01, 4000), *nal2 = big_nal (0x02, 0x01,
      3000);
  GstBuffer *au1, *au2;

  fail_unless_equals_int (push_fu (h, 10, 9000, nal1, 4000, 1200, split, -1),
      4);
  au1 = pull_one (h);
  /* the next picture while the first is still held downstream */
  push_fu (h, 14, 12000, nal2, 3000, 1000, split, -1);
  au2 = pull_one (h);
  assert_buffer_bytes (au1, annexb (NAL (vps), NAL (sps), NAL (pps), nal1,
          (gsize) 4000, NULL));
  assert_buffer_bytes (au2, annexb (nal2, (gsize) 3000, NULL));
  /* one fragmented NAL unit is one memory, start code included */
  fail_unless_equals_int (gst_buffer_n_memory (au2), 1);
  fail_unless (GST_BUFFER_FLAG_IS_SET (au2, GST_BUFFER_FLAG_DELTA_UNIT));
  gst_buffer_unref (au1);
  gst_buffer_unref (au2);

  /* a lost fragment drops the picture; the next one is DISCONT */
  push_fu (h, 17, 15000, nal2, 3000, 1000, split, 1);
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 0);
  push_fu (h, 20, 18000, nal2, 3000, 1000, split, -1);
  au2 = pull_one (h);
  fail_unless (GST_BUFFER_FLAG_IS_SET (au2, GST_BUFFER_FLAG_DISCONT));
  gst_buffer_unref (au2);

  /* each fragment byte copied once (the lost picture's first fragment
   * too, but it never went out), nothing else */
  fail_unless_equals_uint64 (stat_u64 (h, "bytes-copied"),
      3998 + 2998 + 2998);
  fail_unless_equals_uint64 (stat_u64 (h, "aus-dropped"), 1);
  fail_unless_equals_uint64 (stat_u64 (h, "gaps"), 1);
  g_free (nal1);
  g_free (nal2);
  gst_harness_teardown (h);
}

GST_START_TEST (test_fu)
{
  run_fu (FALSE);
}

GST_END_TEST;

GST_START_TEST (test_fu_split_memories)
{
  run_fu (TRUE);
}

GST_END_TEST;

/* After a DISCONT the next IRAP carries the parameter sets again, also
 * when the stream sent them in-band only once. */
GST_START_TEST (test_params_after_discont)
{
  GstHarness *h = new_harness (NULL);
  GstBuffer *out, *in;

  push (h, 1, 3000, FALSE, NAL (vps));
  push (h, 2, 3000, FALSE, NAL (sps));
  push (h, 3, 3000, FALSE, NAL (pps));
  push (h, 4, 3000, TRUE, NAL (idr));
  out = pull_one (h);
  assert_buffer_bytes (out, annexb (NAL (vps), NAL (sps), NAL (pps),
          NAL (idr), NULL));
  gst_buffer_unref (out);

  /* upstream says DISCONT (e.g. a jitterbuffer after loss) */
  in = make_rtp (5, 6000, TRUE, NAL (trail));
  GST_BUFFER_FLAG_SET (in, GST_BUFFER_FLAG_DISCONT);
  fail_unless_equals_int (gst_harness_push (h, in), GST_FLOW_OK);
  out = pull_one (h);
  fail_unless (GST_BUFFER_FLAG_IS_SET (out, GST_BUFFER_FLAG_DISCONT));
  gst_buffer_unref (out);
  push (h, 6, 9000, TRUE, NAL (cra));
  out = pull_one (h);
  fail_if (GST_BUFFER_FLAG_IS_SET (out, GST_BUFFER_FLAG_DELTA_UNIT));
  assert_buffer_bytes (out, annexb (NAL (vps), NAL (sps), NAL (pps),
          NAL (cra), NULL));
  gst_buffer_unref (out);
  fail_unless_equals_uint64 (stat_u64 (h, "params-inserted"), 1);

  /* off: nothing inserted */
  g_object_set (h->element, "insert-parameter-sets", FALSE, NULL);
  push (h, 7, 12000, TRUE, NAL (idr));
  out = pull_one (h);
  assert_buffer_bytes (out, annexb (NAL (idr), NULL));
  gst_buffer_unref (out);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Cameras without marker bits: a timestamp change ends the AU; EOS sends
 * the last one. */
GST_START_TEST (test_no_marker)
{
  GstHarness *h = new_harness (SPROPS);
  GstBuffer *out;

  push (h, 1, 3000, FALSE, NAL (idr));
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 0);
  push (h, 2, 6000, FALSE, NAL (trail));
  out = pull_one (h);
  fail_unless_equals_uint64 (GST_BUFFER_PTS (out), 3000 * GST_SECOND / 90000);
  gst_buffer_unref (out);
  push (h, 3, 9000, FALSE, NAL (trail));
  out = pull_one (h);
  fail_unless_equals_uint64 (GST_BUFFER_PTS (out), 6000 * GST_SECOND / 90000);
  gst_buffer_unref (out);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  out = pull_one (h);
  fail_unless_equals_uint64 (GST_BUFFER_PTS (out), 9000 * GST_SECOND / 90000);
  assert_buffer_bytes (out, annexb (NAL (trail), NULL));
  gst_buffer_unref (out);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* sprop-max-don-diff > 0: DONL/DOND are skipped. */
GST_START_TEST (test_donl)
{
  GstHarness *h = new_harness (",sprop-max-don-diff=(string)2");
  GBytes *ap = make_ap (TRUE, NAL (vps), NAL (sps), NAL (pps), NULL);
  guint8 single[sizeof (idr) + 2];
  guint8 fu[3 + 2 + 100];
  guint8 *nal = big_nal (0x02, 0x01, 102);
  GstBuffer *out;

  single[0] = idr[0];
  single[1] = idr[1];
  single[2] = 0;
  single[3] = 1;
  memcpy (single + 4, idr + 2, sizeof (idr) - 2);
  push_bytes (h, 1, 3000, FALSE, ap);
  push (h, 2, 3000, TRUE, NAL (single));
  out = pull_one (h);
  assert_buffer_bytes (out, annexb (NAL (vps), NAL (sps), NAL (pps),
          NAL (idr), NULL));
  gst_buffer_unref (out);

  /* one FU with S and... a start fragment with DONL, then the end */
  fu[0] = 49 << 1;
  fu[1] = 0x01;
  fu[2] = 0x80 | 1;
  fu[3] = 0;
  fu[4] = 2;
  memcpy (fu + 5, nal + 2, 50);
  push (h, 3, 6000, FALSE, fu, 5 + 50);
  fu[2] = 0x40 | 1;
  memcpy (fu + 3, nal + 52, 50);
  push (h, 4, 6000, TRUE, fu, 3 + 50);
  out = pull_one (h);
  assert_buffer_bytes (out, annexb (nal, (gsize) 102, NULL));
  gst_buffer_unref (out);
  g_free (nal);
  g_bytes_unref (ap);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_wait_for_keyframe)
{
  GstHarness *h = new_harness (SPROPS);
  GstBuffer *out;

  g_object_set (h->element, "wait-for-keyframe", TRUE, NULL);
  push (h, 1, 3000, TRUE, NAL (trail));
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 0);
  push (h, 2, 6000, TRUE, NAL (idr));
  out = pull_one (h);
  gst_buffer_unref (out);
  /* loss */
  push (h, 4, 9000, TRUE, NAL (trail));
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 0);
  fail_unless_equals_uint64 (stat_u64 (h, "aus-waiting"), 2);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_unsupported_and_malformed)
{
  GstHarness *h = new_harness (NULL);
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;
  guint warnings = 0;
  static const guint8 paci[] = { 0x64, 0x01, 0x00, 0x00, 0x26, 0x01 };
  static const guint8 bad_ap[] = { 0x60, 0x01, 0x00, 0x40, 0x26, 0x01 };
  static const guint8 short_fu[] = { 0x62, 0x01 };
  static const guint8 fbit[] = { 0xa6, 0x01, 0x00 };
  static const guint8 reserved[] = { 0x7e, 0x01, 0x02 };
  GstBuffer *out;

  gst_element_set_bus (h->element, bus);
  push (h, 1, 3000, TRUE, NAL (paci));
  push (h, 2, 6000, TRUE, NAL (paci));
  push (h, 3, 9000, TRUE, NAL (bad_ap));
  push (h, 4, 12000, TRUE, NAL (short_fu));
  push (h, 5, 15000, TRUE, NAL (fbit));
  push (h, 6, 18000, TRUE, NAL (reserved));
  push (h, 7, 21000, TRUE, NULL, 0);
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 0);
  /* and it carries on */
  push (h, 8, 24000, TRUE, NAL (idr));
  out = pull_one (h);
  assert_buffer_bytes (out, annexb (NAL (idr), NULL));
  gst_buffer_unref (out);

  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING))) {
    warnings++;
    gst_message_unref (msg);
  }
  /* reported once, not per packet */
  fail_unless_equals_int (warnings, 1);
  fail_unless_equals_uint64 (stat_u64 (h, "packets-dropped"), 7);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* A camera's read as one list (arclyrtspsrc buffer-lists): parameter sets
 * (the caps come from them, in the middle of the list) and an IDR, two
 * trailing pictures, a lost packet, two more: the same caps, access units
 * and flags as the packets one by one, in one list before the gap and one
 * after it. */
GST_START_TEST (test_buffer_list)
{
  GstHarness *h1 = new_harness (NULL), *h2 = new_harness (NULL);
  ArclyPushLog one, many;
  GstBuffer *in[10];
  guint n = 0;

  in[n++] = make_rtp (0, 0, FALSE, NAL (vps));
  in[n++] = make_rtp (1, 0, FALSE, NAL (sps));
  in[n++] = make_rtp (2, 0, FALSE, NAL (pps));
  in[n++] = make_rtp (3, 0, TRUE, NAL (idr));
  in[n++] = make_rtp (4, 3000, TRUE, NAL (trail));
  in[n++] = make_rtp (5, 6000, TRUE, NAL (trail));
  /* 6 is lost */
  in[n++] = make_rtp (7, 12000, TRUE, NAL (trail));
  in[n++] = make_rtp (8, 15000, TRUE, NAL (trail));

  arcly_push_both_ways (h1, h2, in, n, &one, &many);

  GST_INFO ("one by one:\n%s", one.seen->str);
  fail_unless (g_str_has_prefix (one.seen->str, "caps video/x-h265"));
  fail_unless (one.buffers >= 4, "%u AUs", one.buffers);
  fail_unless (strstr (one.seen->str, "flags 0x2040 ") != NULL,
      "no DISCONT AU after the gap");
  fail_unless_equals_string (many.seen->str, one.seen->str);
  fail_unless_equals_int (many.buffers, 0);
  fail_unless_equals_int (many.lists, 2);

  arcly_push_log_clear (&one);
  arcly_push_log_clear (&many);
  gst_harness_teardown (h1);
  gst_harness_teardown (h2);
}

GST_END_TEST;

GST_START_TEST (test_flush_and_states)
{
  GstHarness *h = new_harness (SPROPS);
  GstBuffer *out;
  guint i;

  push (h, 1, 3000, FALSE, NAL (idr));
  fail_unless (gst_harness_push_event (h, gst_event_new_flush_start ()));
  fail_unless (gst_harness_push_event (h, gst_event_new_flush_stop (TRUE)));
  gst_harness_set_src_caps_str (h, RTP_CAPS);
  /* the half AU from before the flush is gone; the caps' parameter sets
   * are kept across a flush */
  push (h, 50, 90000, TRUE, NAL (cra));
  out = pull_one (h);
  assert_buffer_bytes (out, annexb (NAL (vps), NAL (sps), NAL (pps),
          NAL (cra), NULL));
  gst_buffer_unref (out);

  for (i = 0; i < 3; i++) {
    fail_unless_equals_int (gst_element_set_state (h->element,
            GST_STATE_NULL), GST_STATE_CHANGE_SUCCESS);
    fail_unless_equals_int (gst_element_set_state (h->element,
            GST_STATE_PLAYING), GST_STATE_CHANGE_SUCCESS);
  }
  /* a new stream: stats and parameter sets forgotten */
  fail_unless_equals_uint64 (stat_u64 (h, "packets"), 0);
  gst_harness_set_src_caps_str (h, RTP_CAPS);
  push (h, 1, 3000, TRUE, NAL (idr));
  out = pull_one (h);
  fail_unless (GST_BUFFER_FLAG_IS_SET (out, GST_BUFFER_FLAG_DISCONT));
  assert_buffer_bytes (out, annexb (NAL (idr), NULL));
  gst_buffer_unref (out);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* ---- equivalence with rtph265depay ---- */

typedef struct
{
  GPtrArray *sums;              /* gchar*, MD5 of each decoded frame */
} Branch;

static GstFlowReturn
on_sample (GstElement * sink, gpointer user_data)
{
  Branch *b = user_data;
  GstSample *sample = NULL;
  GstBuffer *buf;
  GstMapInfo map;

  g_signal_emit_by_name (sink, "pull-sample", &sample);
  if (sample == NULL)
    return GST_FLOW_ERROR;
  buf = gst_sample_get_buffer (sample);
  if (gst_buffer_map (buf, &map, GST_MAP_READ)) {
    g_ptr_array_add (b->sums, g_compute_checksum_for_data (G_CHECKSUM_MD5,
            map.data, map.size));
    gst_buffer_unmap (buf, &map);
  }
  gst_sample_unref (sample);
  return GST_FLOW_OK;
}

/* Counts the RTP payload structures going by (NAL type of the payload
 * header), and with user_data set clears the marker bit (a camera that
 * never sets it). */
typedef struct
{
  gboolean clear_marker;
  guint single, ap, fu, markers;
} RtpProbe;

static gboolean
rtp_probe_one (GstBuffer ** buf, guint idx, gpointer user_data)
{
  RtpProbe *p = user_data;
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;

  if (p->clear_marker)
    *buf = gst_buffer_make_writable (*buf);
  if (gst_rtp_buffer_map (*buf, p->clear_marker ? GST_MAP_READWRITE :
          GST_MAP_READ, &rtp)) {
    const guint8 *d = gst_rtp_buffer_get_payload (&rtp);
    guint type = gst_rtp_buffer_get_payload_len (&rtp) > 0 ?
        (d[0] >> 1) & 0x3f : 0;

    p->markers += gst_rtp_buffer_get_marker (&rtp);
    if (type == 48)
      p->ap++;
    else if (type == 49)
      p->fu++;
    else
      p->single++;
    if (p->clear_marker)
      gst_rtp_buffer_set_marker (&rtp, FALSE);
    gst_rtp_buffer_unmap (&rtp);
  }
  return TRUE;
}

/* rtph265pay pushes buffer lists */
static GstPadProbeReturn
rtp_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  RtpProbe *p = user_data;

  if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
    GstBufferList *list = GST_PAD_PROBE_INFO_BUFFER_LIST (info);

    if (p->clear_marker) {
      list = gst_buffer_list_make_writable (list);
      GST_PAD_PROBE_INFO_DATA (info) = list;
    }
    gst_buffer_list_foreach (list, rtp_probe_one, p);
  } else {
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);

    rtp_probe_one (&buf, 0, p);
    GST_PAD_PROBE_INFO_DATA (info) = buf;
  }
  return GST_PAD_PROBE_OK;
}

static void
require_elements (const gchar * const *names)
{
  for (; *names; names++) {
    GstElementFactory *f = gst_element_factory_find (*names);

    fail_unless (f != NULL, "element %s is missing: install "
        "gstreamer1.0-plugins-good/-bad/gstreamer1.0-libav", *names);
    gst_object_unref (f);
  }
}

/* Decodes the same RTP through rtph265depay and arclyh265depay (the latter
 * fed from a probe that can clear the marker bits) and compares every
 * decoded frame. */
static RtpProbe
run_equivalence (const gchar * enc_chain, const gchar * pay_props,
    gint frames, gboolean clear_marker)
{
  static const gchar *const needed[] = { "videotestsrc", "x265enc",
    "rtph265pay", "rtph265depay", "avdec_h265", "appsink", "tee", "queue",
    "arclyh265depay", NULL
  };
  const gchar *names[] = { "ref", "arcly" };
  RtpProbe probe = { clear_marker, 0, 0, 0, 0 };
  Branch br[2];
  gchar *desc;
  GstElement *pipe, *q;
  GstPad *pad;
  GstBus *bus;
  GstMessage *msg;
  guint i, j;

  require_elements (needed);
  desc = g_strdup_printf ("videotestsrc num-buffers=%d pattern=ball "
      "animation-mode=frames ! %s ! rtph265pay %s ! tee name=t "
      "t. ! queue ! rtph265depay ! avdec_h265 ! "
      "appsink name=ref emit-signals=true sync=false "
      "t. ! queue name=q ! arclyh265depay ! avdec_h265 ! "
      "appsink name=arcly emit-signals=true sync=false",
      frames, enc_chain, pay_props);
  pipe = gst_parse_launch (desc, NULL);
  fail_unless (pipe != NULL, "cannot build %s", desc);
  g_free (desc);
  for (i = 0; i < 2; i++) {
    GstElement *sink = gst_bin_get_by_name (GST_BIN (pipe), names[i]);

    br[i].sums = g_ptr_array_new_with_free_func (g_free);
    g_signal_connect (sink, "new-sample", G_CALLBACK (on_sample), &br[i]);
    gst_object_unref (sink);
  }
  q = gst_bin_get_by_name (GST_BIN (pipe), "q");
  pad = gst_element_get_static_pad (q, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_BUFFER_LIST, rtp_probe, &probe, NULL);
  gst_object_unref (pad);
  gst_object_unref (q);

  fail_unless (gst_element_set_state (pipe, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  bus = gst_element_get_bus (pipe);
  msg = gst_bus_timed_pop_filtered (bus, 90 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "no EOS within 90 s");
  fail_unless_equals_int (GST_MESSAGE_TYPE (msg), GST_MESSAGE_EOS);
  gst_message_unref (msg);
  gst_object_unref (bus);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (pipe);

  fail_unless_equals_int (br[0].sums->len, frames);
  fail_unless_equals_int (br[1].sums->len, br[0].sums->len);
  for (j = 0; j < br[0].sums->len; j++)
    fail_unless_equals_string (g_ptr_array_index (br[1].sums, j),
        g_ptr_array_index (br[0].sums, j));
  for (i = 0; i < 2; i++)
    g_ptr_array_unref (br[i].sums);
  return probe;
}

#define ENC_CHAIN(w, h) "video/x-raw,format=I420,width=" #w ",height=" #h \
  " ! x265enc speed-preset=ultrafast tune=zerolatency key-int-max=15 " \
  "option-string=scenecut=0"

GST_START_TEST (test_equivalence_single_nal)
{
  /* small pictures, a big MTU: every NAL unit its own packet */
  RtpProbe p = run_equivalence (ENC_CHAIN (320, 240),
      "mtu=65000 aggregate-mode=none config-interval=-1", 30, FALSE);

  fail_unless (p.single > 0);
  fail_unless_equals_int (p.ap, 0);
  fail_unless_equals_int (p.fu, 0);
}

GST_END_TEST;

GST_START_TEST (test_equivalence_ap)
{
  /* parameter sets (and small pictures) aggregated */
  RtpProbe p = run_equivalence (ENC_CHAIN (320, 240),
      "mtu=65000 aggregate-mode=max config-interval=-1", 30, FALSE);

  fail_unless (p.ap > 0);
}

GST_END_TEST;

GST_START_TEST (test_equivalence_fu)
{
  /* 640x360 in 400-byte packets: every picture fragmented */
  RtpProbe p = run_equivalence (ENC_CHAIN (640, 360), "mtu=400", 30, FALSE);

  fail_unless (p.fu > 30);
}

GST_END_TEST;

GST_START_TEST (test_equivalence_no_marker)
{
  /* the arcly branch sees no marker bit: AUs end on timestamp changes */
  RtpProbe p = run_equivalence (ENC_CHAIN (640, 360),
      "mtu=1400 config-interval=-1", 30, TRUE);

  fail_unless (p.markers >= 30);
}

GST_END_TEST;

/* A real peer: arcly-testcam --codec h265 (gst-rtsp-server, x265enc,
 * rtph265pay) read by GStreamer's rtspsrc; the caps come from its SDP
 * (sprop-vps/sps/pps, base64 with "=" escaped).  Every access unit
 * decodes, the first is a keyframe, nothing is dropped. */
GST_START_TEST (test_testcam_h265)
{
  static const gchar *const needed[] = { "rtspsrc", "avdec_h265", "appsink",
    "arclyh265depay", NULL
  };
  const gchar *args[] = { "--codec", "h265", "--gop", "10", "--no-audio",
    NULL
  };
  GError *error = NULL;
  ArclyTestCam *cam;
  GstElement *pipe, *sink, *depay;
  GstBus *bus;
  GstMessage *msg;
  gchar *desc;
  guint n = 0;
  GstStructure *st = NULL;
  guint64 keyframes = 0, dropped = 1, broken = 1;

  require_elements (needed);
  cam = arcly_test_cam_start (args, &error);
  fail_unless (cam != NULL, "test camera did not start: %s",
      error ? error->message : "?");
  desc = g_strdup_printf ("rtspsrc location=%s protocols=tcp latency=0 ! "
      "application/x-rtp,media=video ! arclyh265depay name=d ! "
      "avdec_h265 ! appsink name=sink sync=false",
      arcly_test_cam_get_url (cam));
  pipe = gst_parse_launch (desc, &error);
  fail_unless (pipe != NULL, "%s", error ? error->message : "");
  g_free (desc);
  sink = gst_bin_get_by_name (GST_BIN (pipe), "sink");
  depay = gst_bin_get_by_name (GST_BIN (pipe), "d");
  fail_unless (gst_element_set_state (pipe, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  while (n < 30) {
    GstSample *sample = NULL;

    g_signal_emit_by_name (sink, "try-pull-sample", 20 * GST_SECOND,
        &sample);
    fail_unless (sample != NULL, "%u decoded frames, then none", n);
    gst_sample_unref (sample);
    n++;
  }
  bus = gst_element_get_bus (pipe);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR | GST_MESSAGE_WARNING);
  fail_unless (msg == NULL, "error or warning on the bus");
  gst_object_unref (bus);
  g_object_get (depay, "stats", &st, NULL);
  gst_structure_get_uint64 (st, "keyframes", &keyframes);
  gst_structure_get_uint64 (st, "packets-dropped", &dropped);
  gst_structure_get_uint64 (st, "aus-dropped", &broken);
  gst_structure_free (st);
  fail_unless (keyframes >= 1);
  fail_unless_equals_uint64 (dropped, 0);
  fail_unless_equals_uint64 (broken, 0);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (depay);
  gst_object_unref (sink);
  gst_object_unref (pipe);
  fail_unless_equals_int (arcly_test_cam_stop (cam), 0);
  arcly_test_cam_free (cam);
}

GST_END_TEST;

static Suite *
arclyh265depay_suite (void)
{
  Suite *s = suite_create ("arclyh265depay");
  TCase *tc = tcase_create ("packetization");
  TCase *tc_eq = tcase_create ("equivalence");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_single_nal_and_caps);
  tcase_add_test (tc, test_zero_copy_and_stats);
  tcase_add_test (tc, test_fu);
  tcase_add_test (tc, test_fu_split_memories);
  tcase_add_test (tc, test_params_after_discont);
  tcase_add_test (tc, test_no_marker);
  tcase_add_test (tc, test_donl);
  tcase_add_test (tc, test_wait_for_keyframe);
  tcase_add_test (tc, test_unsupported_and_malformed);
  tcase_add_test (tc, test_flush_and_states);
  tcase_add_test (tc, test_buffer_list);

  suite_add_tcase (s, tc_eq);
  tcase_set_timeout (tc_eq, 120);
  tcase_add_test (tc_eq, test_equivalence_single_nal);
  tcase_add_test (tc_eq, test_equivalence_ap);
  tcase_add_test (tc_eq, test_equivalence_fu);
  tcase_add_test (tc_eq, test_equivalence_no_marker);
  tcase_add_test (tc_eq, test_testcam_h265);
  return s;
}

GST_CHECK_MAIN (arclyh265depay);
