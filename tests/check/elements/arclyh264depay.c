/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * arclyh264depay through its pads (GstHarness) with hand-built RTP packets
 * for every packetization and loss case, zero-copy assertions, avc output,
 * parameter-set insertion, and an equivalence run against rtph264depay with
 * real x264 streams decoded by avdec_h264.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/rtp/gstrtpbuffer.h>

#include "arcly-depay-list-check.h"

#define RTP_CAPS "application/x-rtp,media=video,clock-rate=90000," \
  "encoding-name=H264,payload=96,packetization-mode=(string)1"

/* x264enc, baseline 640x360 (see tests/check/libs/arclyh264.c) */
static const guint8 sps[] = {
  0x67, 0x42, 0xc0, 0x1e, 0xd9, 0x00, 0xa0, 0x2f, 0xf9, 0x70, 0x16, 0xa0,
  0xc0, 0xc0, 0xd4, 0xa0, 0x00, 0x00, 0x03, 0x00, 0x20, 0x00, 0x00, 0x07,
  0x91, 0xe2, 0xc5, 0xc9
};
static const guint8 pps[] = { 0x68, 0xcb, 0x8c, 0xb2 };

/* slice payloads: only their NAL header matters to a depayloader */
static const guint8 idr[] = { 0x65, 0x88, 0x84, 0x00, 0x33, 0xff, 0x10 };
static const guint8 pslice[] = { 0x41, 0x9a, 0x02, 0x04, 0x70 };

static const guint8 sc[] = { 0, 0, 0, 1 };

/* ---- helpers ---- */

static GstBuffer *
make_rtp (guint16 seq, guint32 ts, gboolean marker, const guint8 * payload,
    gsize size, GstClockTime pts)
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
  GST_BUFFER_PTS (buf) = pts;
  return buf;
}

static void
push (GstHarness * h, guint16 seq, guint32 ts, gboolean marker,
    const guint8 * payload, gsize size)
{
  GstClockTime pts = gst_util_uint64_scale (ts, GST_SECOND, 90000);

  fail_unless_equals_int (gst_harness_push (h, make_rtp (seq, ts, marker,
              payload, size, pts)), GST_FLOW_OK);
}

/* STAP-A from NAL units given as (data, size) pairs, NULL-terminated */
static guint8 *
make_stap_a (gsize * out_size, ...)
{
  GByteArray *a = g_byte_array_new ();
  va_list ap;
  const guint8 *nal;
  guint8 hdr = 24;

  g_byte_array_append (a, &hdr, 1);
  va_start (ap, out_size);
  while ((nal = va_arg (ap, const guint8 *))) {
    gsize s = va_arg (ap, gsize);
    guint8 len[2] = { s >> 8, s & 0xff };

    g_byte_array_append (a, len, 2);
    g_byte_array_append (a, nal, s);
  }
  va_end (ap);
  *out_size = a->len;
  return g_byte_array_free (a, FALSE);
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
  GstHarness *h = gst_harness_new ("arclyh264depay");
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
  /* the scheme every element follows: arcly-<element>-stats */
  fail_unless_equals_string (gst_structure_get_name (s), "arcly-h264depay-stats");
  fail_unless (gst_structure_get_uint64 (s, field, &v), "no %s", field);
  gst_structure_free (s);
  return v;
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

/* "bytes copied: N" from the dataflow debug log */
static GMutex log_lock;
static GArray *copied_log;

static void
copied_log_func (GstDebugCategory * category, GstDebugLevel level,
    const gchar * file, const gchar * function, gint line, GObject * object,
    GstDebugMessage * message, gpointer user_data)
{
  const gchar *m, *p;

  if (strcmp (gst_debug_category_get_name (category),
          "arclyh264depay_dataflow") != 0)
    return;
  m = gst_debug_message_get (message);
  p = m ? strstr (m, "bytes copied: ") : NULL;
  if (p) {
    guint64 v = g_ascii_strtoull (p + strlen ("bytes copied: "), NULL, 10);

    g_mutex_lock (&log_lock);
    g_array_append_val (copied_log, v);
    g_mutex_unlock (&log_lock);
  }
}

static void
copied_log_start (void)
{
  copied_log = g_array_new (FALSE, FALSE, sizeof (guint64));
  gst_debug_set_threshold_for_name ("arclyh264depay_dataflow",
      GST_LEVEL_DEBUG);
  gst_debug_add_log_function (copied_log_func, NULL, NULL);
}

static void
copied_log_stop (void)
{
  gst_debug_remove_log_function (copied_log_func);
  gst_debug_set_threshold_for_name ("arclyh264depay_dataflow",
      GST_LEVEL_NONE);
  g_array_unref (copied_log);
  copied_log = NULL;
}

/* ---- packetizations ---- */

GST_START_TEST (test_single_nal)
{
  GstHarness *h = new_harness (NULL);
  GstBuffer *out;
  GstCaps *caps;
  GstStructure *s;
  gint w = 0, hgt = 0;

  push (h, 100, 3000, FALSE, sps, sizeof (sps));
  push (h, 101, 3000, FALSE, pps, sizeof (pps));
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 0);
  push (h, 102, 3000, TRUE, idr, sizeof (idr));
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 1);

  out = pull_one (h);
  assert_buffer_bytes (out, annexb (sps, sizeof (sps), pps, sizeof (pps),
          idr, sizeof (idr), NULL));
  fail_if (GST_BUFFER_FLAG_IS_SET (out, GST_BUFFER_FLAG_DELTA_UNIT));
  fail_unless_equals_uint64 (GST_BUFFER_PTS (out),
      gst_util_uint64_scale (3000, GST_SECOND, 90000));
  gst_buffer_unref (out);

  caps = gst_pad_get_current_caps (h->sinkpad);
  s = gst_caps_get_structure (caps, 0);
  fail_unless_equals_string (gst_structure_get_string (s, "stream-format"),
      "byte-stream");
  fail_unless_equals_string (gst_structure_get_string (s, "alignment"), "au");
  fail_unless (gst_structure_get_int (s, "width", &w));
  fail_unless (gst_structure_get_int (s, "height", &hgt));
  fail_unless_equals_int (w, 640);
  fail_unless_equals_int (hgt, 360);
  fail_unless_equals_string (gst_structure_get_string (s, "profile"),
      "constrained-baseline");
  fail_unless_equals_string (gst_structure_get_string (s, "level"), "3");
  gst_caps_unref (caps);

  /* a P picture: DELTA_UNIT */
  push (h, 103, 6000, TRUE, pslice, sizeof (pslice));
  out = pull_one (h);
  assert_buffer_bytes (out, annexb (pslice, sizeof (pslice), NULL));
  fail_unless (GST_BUFFER_FLAG_IS_SET (out, GST_BUFFER_FLAG_DELTA_UNIT));
  fail_if (GST_BUFFER_FLAG_IS_SET (out, GST_BUFFER_FLAG_DISCONT));
  gst_buffer_unref (out);

  fail_unless_equals_uint64 (stat_u64 (h, "aus-pushed"), 2);
  fail_unless_equals_uint64 (stat_u64 (h, "keyframes"), 1);
  fail_unless_equals_uint64 (stat_u64 (h, "bytes-copied"), 0);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_zero_copy_single_nal)
{
  GstHarness *h = new_harness (NULL);
  GstBuffer *in, *out;

  copied_log_start ();
  g_object_set (h->element, "insert-parameter-sets", FALSE, NULL);
  in = make_rtp (1, 3000, TRUE, idr, sizeof (idr), 0);
  gst_buffer_ref (in);
  fail_unless_equals_int (gst_harness_push (h, in), GST_FLOW_OK);
  out = pull_one (h);
  assert_buffer_bytes (out, annexb (idr, sizeof (idr),
          NULL));
  /* [start code][NAL]: the NAL memory is the RTP packet's own bytes */
  fail_unless_equals_int (gst_buffer_n_memory (out), 2);
  fail_unless (shares_bytes (gst_buffer_peek_memory (out, 1), in, 12));
  gst_buffer_unref (out);
  gst_buffer_unref (in);

  fail_unless_equals_int (copied_log->len, 1);
  fail_unless_equals_uint64 (g_array_index (copied_log, guint64, 0), 0);
  fail_unless_equals_uint64 (stat_u64 (h, "bytes-copied"), 0);
  copied_log_stop ();
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_stap_a)
{
  GstHarness *h = new_harness (NULL);
  GstBuffer *in, *out;
  gsize size;
  guint8 *stap = make_stap_a (&size, sps, sizeof (sps), pps, sizeof (pps),
      idr, sizeof (idr), NULL);

  copied_log_start ();
  in = make_rtp (7, 1000, TRUE, stap, size, 0);
  gst_buffer_ref (in);
  fail_unless_equals_int (gst_harness_push (h, in), GST_FLOW_OK);
  out = pull_one (h);
  assert_buffer_bytes (out, annexb (sps, sizeof (sps), pps,
          sizeof (pps), idr, sizeof (idr), NULL));
  fail_if (GST_BUFFER_FLAG_IS_SET (out, GST_BUFFER_FLAG_DELTA_UNIT));
  /* every NAL unit references the packet: 12-byte RTP header, STAP-A
   * header, 2-byte sizes */
  fail_unless_equals_int (gst_buffer_n_memory (out), 6);
  fail_unless (shares_bytes (gst_buffer_peek_memory (out, 1), in, 12 + 3));
  fail_unless (shares_bytes (gst_buffer_peek_memory (out, 3), in,
          12 + 3 + sizeof (sps) + 2));
  fail_unless (shares_bytes (gst_buffer_peek_memory (out, 5), in,
          12 + 3 + sizeof (sps) + 2 + sizeof (pps) + 2));
  gst_buffer_unref (out);
  gst_buffer_unref (in);
  fail_unless_equals_int (copied_log->len, 1);
  fail_unless_equals_uint64 (g_array_index (copied_log, guint64, 0), 0);
  copied_log_stop ();
  g_free (stap);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* A 4000-byte IDR NAL unit split into FU-A packets of @frag bytes. */
static guint
push_fu_a (GstHarness * h, guint16 seq, guint32 ts, const guint8 * nal,
    gsize size, gsize frag, gint skip_index, gboolean marker)
{
  gsize off = 1;
  guint n = 0;

  while (off < size) {
    gsize len = MIN (frag, size - off);
    guint8 *p = g_malloc (len + 2);
    gboolean last = off + len == size;

    p[0] = (nal[0] & 0xe0) | 28;
    p[1] = (off == 1 ? 0x80 : 0) | (last ? 0x40 : 0) | (nal[0] & 0x1f);
    memcpy (p + 2, nal + off, len);
    if ((gint) n != skip_index)
      push (h, seq + n, ts, last && marker, p, len + 2);
    g_free (p);
    off += len;
    n++;
  }
  return n;
}

static guint8 *
big_nal (guint8 header, gsize size)
{
  guint8 *n = g_malloc (size);
  gsize i;

  n[0] = header;
  for (i = 1; i < size; i++)
    n[i] = (i * 7 + 3) & 0xff;
  return n;
}

GST_START_TEST (test_fu_a)
{
  GstHarness *h = new_harness (NULL);
  GstBuffer *out;
  guint8 *nal = big_nal (0x65, 4000);
  gsize size;
  guint8 *stap = make_stap_a (&size, sps, sizeof (sps), pps, sizeof (pps),
      NULL);
  guint n;

  copied_log_start ();
  push (h, 10, 9000, FALSE, stap, size);
  n = push_fu_a (h, 11, 9000, nal, 4000, 1200, -1, TRUE);
  fail_unless_equals_int (n, 4);
  out = pull_one (h);
  assert_buffer_bytes (out, annexb (sps, sizeof (sps), pps, sizeof (pps), nal,
          (gsize) 4000, NULL));
  gst_buffer_unref (out);
  /* each fragment byte copied exactly once, nothing else */
  fail_unless_equals_int (copied_log->len, 1);
  fail_unless_equals_uint64 (g_array_index (copied_log, guint64, 0), 3999);
  fail_unless_equals_uint64 (stat_u64 (h, "bytes-copied"), 3999);
  copied_log_stop ();
  g_free (stap);
  g_free (nal);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* FU-A packets laid out like rtph264pay's: RTP header, FU indicator + FU
 * header, and the fragment each in their own memory. */
static guint
push_fu_a_split (GstHarness * h, guint16 seq, guint32 ts, const guint8 * nal,
    gsize size, gsize frag, gint skip_index)
{
  gsize off = 1;
  guint n = 0;

  while (off < size) {
    gsize len = MIN (frag, size - off);
    gboolean last = off + len == size;
    guint8 fu[2], *p;
    GstBuffer *buf = make_rtp (seq + n, ts, last, NULL, 0,
        gst_util_uint64_scale (ts, GST_SECOND, 90000));

    fu[0] = (nal[0] & 0xe0) | 28;
    fu[1] = (off == 1 ? 0x80 : 0) | (last ? 0x40 : 0) | (nal[0] & 0x1f);
    p = g_memdup2 (fu, 2);
    gst_buffer_append_memory (buf, gst_memory_new_wrapped (0, p, 2, 0, 2, p,
            g_free));
    p = g_memdup2 (nal + off, len);
    gst_buffer_append_memory (buf, gst_memory_new_wrapped (0, p, len, 0, len,
            p, g_free));
    fail_unless_equals_int (gst_buffer_n_memory (buf), 3);
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

GST_START_TEST (test_fu_a_split_memories_and_reuse)
{
  GstHarness *h = new_harness (NULL);
  GstBuffer *au1, *au2, *au3;
  guint8 *nal1 = big_nal (0x65, 4000), *nal2 = big_nal (0x41, 3000);
  guint8 *nal3 = big_nal (0x41, 3500);
  gsize size;
  guint8 *stap = make_stap_a (&size, sps, sizeof (sps), pps, sizeof (pps),
      NULL);

  copied_log_start ();
  push (h, 10, 9000, FALSE, stap, size);
  fail_unless_equals_int (push_fu_a_split (h, 11, 9000, nal1, 4000, 1200,
          -1), 4);
  au1 = pull_one (h);
  /* the next picture while the first is still held downstream: its
   * assembly memory must not be written again */
  push_fu_a_split (h, 15, 12000, nal2, 3000, 1000, -1);
  au2 = pull_one (h);
  assert_buffer_bytes (au1, annexb (sps, sizeof (sps), pps, sizeof (pps),
          nal1, (gsize) 4000, NULL));
  assert_buffer_bytes (au2, annexb (nal2, (gsize) 3000, NULL));
  /* a picture of one fragmented NAL unit is one memory, start code
   * included: downstream maps it without merging */
  fail_unless_equals_int (gst_buffer_n_memory (au2), 1);
  gst_buffer_unref (au1);
  gst_buffer_unref (au2);
  /* released: the next ones reuse the memories, with the right bytes */
  push_fu_a_split (h, 18, 15000, nal3, 3500, 1000, -1);
  au3 = pull_one (h);
  assert_buffer_bytes (au3, annexb (nal3, (gsize) 3500, NULL));
  gst_buffer_unref (au3);
  /* a lost fragment still drops the picture */
  push_fu_a_split (h, 22, 18000, nal2, 3000, 1000, 1);
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 0);
  push_fu_a_split (h, 25, 21000, nal1, 4000, 1200, -1);
  au1 = pull_one (h);
  fail_unless (GST_BUFFER_FLAG_IS_SET (au1, GST_BUFFER_FLAG_DISCONT));
  /* IDR: SPS/PPS inserted */
  assert_buffer_bytes (au1, annexb (sps, sizeof (sps), pps, sizeof (pps),
          nal1, (gsize) 4000, NULL));
  gst_buffer_unref (au1);

  /* each fragment byte copied once, nothing else */
  fail_unless_equals_int (copied_log->len, 4);
  fail_unless_equals_uint64 (g_array_index (copied_log, guint64, 0), 3999);
  fail_unless_equals_uint64 (g_array_index (copied_log, guint64, 1), 2999);
  fail_unless_equals_uint64 (g_array_index (copied_log, guint64, 2), 3499);
  fail_unless_equals_uint64 (g_array_index (copied_log, guint64, 3), 3999);
  fail_unless_equals_uint64 (stat_u64 (h, "bytes-copied"),
      3999 + 2999 + 3499 + 3999);
  fail_unless_equals_uint64 (stat_u64 (h, "aus-dropped"), 1);
  copied_log_stop ();
  g_free (stap);
  g_free (nal1);
  g_free (nal2);
  g_free (nal3);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_missing_marker)
{
  GstHarness *h = new_harness (NULL);
  GstBuffer *out;
  guint i;

  /* a camera that never sets the marker: AUs end at timestamp changes */
  push (h, 1, 3000, FALSE, sps, sizeof (sps));
  push (h, 2, 3000, FALSE, pps, sizeof (pps));
  push (h, 3, 3000, FALSE, idr, sizeof (idr));
  push (h, 4, 6000, FALSE, pslice, sizeof (pslice));
  push (h, 5, 6000, FALSE, pslice, sizeof (pslice));
  push (h, 6, 9000, FALSE, pslice, sizeof (pslice));
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 2);
  /* the last one comes out at EOS */
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 3);

  for (i = 0; i < 3; i++) {
    out = pull_one (h);
    fail_unless_equals_uint64 (GST_BUFFER_PTS (out),
        gst_util_uint64_scale (3000 * (i + 1), GST_SECOND, 90000));
    if (i == 0)
      assert_buffer_bytes (out, annexb (sps, sizeof (sps),
              pps, sizeof (pps), idr, sizeof (idr), NULL));
    else if (i == 1)
      assert_buffer_bytes (out, annexb (pslice,
              sizeof (pslice), pslice, sizeof (pslice), NULL));
    fail_unless_equals_int (GST_BUFFER_FLAG_IS_SET (out,
            GST_BUFFER_FLAG_DELTA_UNIT), i != 0);
    gst_buffer_unref (out);
  }
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_fu_a_loss)
{
  GstHarness *h = new_harness (NULL);
  GstBuffer *out;
  guint8 *nal = big_nal (0x65, 4000);

  push (h, 1, 3000, FALSE, sps, sizeof (sps));
  push (h, 2, 3000, FALSE, pps, sizeof (pps));
  /* packets 3..6 carry the IDR; 4 is lost */
  push_fu_a (h, 3, 3000, nal, 4000, 1200, 1, TRUE);
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 0);
  /* the next picture still comes out (decoders conceal), flagged */
  push (h, 7, 6000, TRUE, pslice, sizeof (pslice));
  out = pull_one (h);
  assert_buffer_bytes (out, annexb (pslice, sizeof (pslice),
          NULL));
  fail_unless (GST_BUFFER_FLAG_IS_SET (out, GST_BUFFER_FLAG_DISCONT));
  fail_unless (GST_BUFFER_FLAG_IS_SET (out, GST_BUFFER_FLAG_DELTA_UNIT));
  gst_buffer_unref (out);
  fail_unless_equals_uint64 (stat_u64 (h, "gaps"), 1);
  fail_unless_equals_uint64 (stat_u64 (h, "aus-dropped"), 1);
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 0);
  g_free (nal);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_wait_for_keyframe)
{
  GstHarness *h = new_harness (NULL);
  GstBuffer *out;
  guint8 *nal = big_nal (0x65, 3000);

  g_object_set (h->element, "wait-for-keyframe", TRUE, NULL);
  /* a P picture before any keyframe: dropped */
  push (h, 1, 3000, TRUE, pslice, sizeof (pslice));
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 0);
  push_fu_a (h, 2, 6000, nal, 3000, 1000, -1, TRUE);
  out = pull_one (h);
  fail_if (GST_BUFFER_FLAG_IS_SET (out, GST_BUFFER_FLAG_DELTA_UNIT));
  gst_buffer_unref (out);
  push (h, 5, 9000, TRUE, pslice, sizeof (pslice));
  gst_buffer_unref (pull_one (h));
  /* loss inside the next picture: everything dropped until an IDR */
  push_fu_a (h, 6, 12000, nal, 3000, 1000, 1, TRUE);
  push (h, 9, 15000, TRUE, pslice, sizeof (pslice));
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 0);
  push_fu_a (h, 10, 18000, nal, 3000, 1000, -1, TRUE);
  out = pull_one (h);
  fail_if (GST_BUFFER_FLAG_IS_SET (out, GST_BUFFER_FLAG_DELTA_UNIT));
  fail_unless (GST_BUFFER_FLAG_IS_SET (out, GST_BUFFER_FLAG_DISCONT));
  fail_unless_equals_uint64 (GST_BUFFER_PTS (out),
      gst_util_uint64_scale (18000, GST_SECOND, 90000));
  gst_buffer_unref (out);
  fail_unless_equals_uint64 (stat_u64 (h, "aus-waiting"), 2);
  g_free (nal);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_fu_a_missing_start)
{
  GstHarness *h = new_harness (NULL);
  GstBuffer *out;
  guint8 *nal = big_nal (0x41, 3000);

  push (h, 1, 3000, TRUE, idr, sizeof (idr));
  gst_buffer_unref (pull_one (h));
  /* the sender skipped the start fragment: no sequence gap, still broken */
  /* (fragments numbered from 1, the first one not sent: 2 and 3 go out) */
  push_fu_a (h, 1, 6000, nal, 3000, 1000, 0, TRUE);
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 0);
  push (h, 4, 9000, TRUE, pslice, sizeof (pslice));
  out = pull_one (h);
  fail_unless (GST_BUFFER_FLAG_IS_SET (out, GST_BUFFER_FLAG_DISCONT));
  gst_buffer_unref (out);
  fail_unless_equals_uint64 (stat_u64 (h, "gaps"), 0);
  fail_unless_equals_uint64 (stat_u64 (h, "aus-dropped"), 1);
  g_free (nal);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_seq_wrap)
{
  GstHarness *h = new_harness (NULL);
  GstBuffer *out;
  guint8 *nal = big_nal (0x65, 4000);

  push (h, 65533, 3000, FALSE, sps, sizeof (sps));
  push (h, 65534, 3000, FALSE, pps, sizeof (pps));
  /* FU-A packets 65535, 0, 1, 2 */
  push_fu_a (h, 65535, 3000, nal, 4000, 1200, -1, TRUE);
  out = pull_one (h);
  assert_buffer_bytes (out, annexb (sps, sizeof (sps), pps,
          sizeof (pps), nal, (gsize) 4000, NULL));
  gst_buffer_unref (out);
  push (h, 3, 6000, TRUE, pslice, sizeof (pslice));
  out = pull_one (h);
  fail_if (GST_BUFFER_FLAG_IS_SET (out, GST_BUFFER_FLAG_DISCONT));
  gst_buffer_unref (out);
  fail_unless_equals_uint64 (stat_u64 (h, "gaps"), 0);
  fail_unless_equals_uint64 (stat_u64 (h, "aus-dropped"), 0);
  g_free (nal);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_ts_wrap)
{
  GstHarness *h = new_harness (NULL);
  GstBuffer *out;
  const guint32 ts0 = 0xfffffa00u;
  const guint32 ts1 = ts0 + 3000;       /* wraps to 0x000005b8 */
  GstClockTime pts0 = 10 * GST_SECOND, pts1 = pts0 + GST_SECOND / 30;

  fail_unless (ts1 < ts0);
  gst_harness_push (h, make_rtp (1, ts0, FALSE, sps, sizeof (sps), pts0));
  gst_harness_push (h, make_rtp (2, ts0, FALSE, pps, sizeof (pps), pts0));
  gst_harness_push (h, make_rtp (3, ts0, FALSE, idr, sizeof (idr), pts0));
  /* no marker: the wrapped timestamp is a change like any other */
  gst_harness_push (h, make_rtp (4, ts1, FALSE, pslice, sizeof (pslice),
          pts1));
  gst_harness_push (h, make_rtp (5, ts1, TRUE, pslice, sizeof (pslice),
          pts1));
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 2);
  out = pull_one (h);
  fail_unless_equals_uint64 (GST_BUFFER_PTS (out), pts0);
  fail_if (GST_BUFFER_FLAG_IS_SET (out, GST_BUFFER_FLAG_DELTA_UNIT));
  gst_buffer_unref (out);
  out = pull_one (h);
  fail_unless_equals_uint64 (GST_BUFFER_PTS (out), pts1);
  assert_buffer_bytes (out, annexb (pslice, sizeof (pslice),
          pslice, sizeof (pslice), NULL));
  gst_buffer_unref (out);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* ---- formats, parameter sets, quirks ---- */

GST_START_TEST (test_mode0_with_stap_and_fu)
{
  /* packetization-mode=0 says single NAL units only; cameras send STAP-A
   * and FU-A anyway */
  GstHarness *h = gst_harness_new ("arclyh264depay");
  GstBuffer *out;
  guint8 *nal = big_nal (0x65, 2500);
  gsize size;
  guint8 *stap = make_stap_a (&size, sps, sizeof (sps), pps, sizeof (pps),
      NULL);

  gst_harness_set_src_caps_str (h, "application/x-rtp,media=video,"
      "clock-rate=90000,encoding-name=H264,payload=96,"
      "packetization-mode=(string)0");
  push (h, 1, 3000, FALSE, stap, size);
  push_fu_a (h, 2, 3000, nal, 2500, 1000, -1, TRUE);
  out = pull_one (h);
  assert_buffer_bytes (out, annexb (sps, sizeof (sps), pps, sizeof (pps), nal,
          (gsize) 2500, NULL));
  gst_buffer_unref (out);
  g_free (stap);
  g_free (nal);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_many_slices)
{
  /* 12 slices: more NAL units than a GstBuffer holds memories (2 each):
   * joined into one memory, and counted as copied */
  GstHarness *h = new_harness (NULL);
  GstBuffer *out;
  GByteArray *exp = g_byte_array_new ();
  guint i;
  gsize payload = 0;

  copied_log_start ();
  for (i = 0; i < 12; i++) {
    guint8 slice[] = { 0x41, 0x9a, i, 0x55 };

    push (h, 100 + i, 3000, i == 11, slice, sizeof (slice));
    g_byte_array_append (exp, sc, 4);
    g_byte_array_append (exp, slice, sizeof (slice));
    payload += sizeof (slice);
  }
  out = pull_one (h);
  assert_buffer_bytes (out, g_byte_array_free_to_bytes (exp));
  fail_unless_equals_int (gst_buffer_n_memory (out), 1);
  gst_buffer_unref (out);
  fail_unless_equals_int (copied_log->len, 1);
  fail_unless_equals_uint64 (g_array_index (copied_log, guint64, 0), payload);
  copied_log_stop ();
  gst_harness_teardown (h);
}

GST_END_TEST;


/* rtph264pay config-interval=-1 repeats SPS/PPS before every IDR slice
 * (x264 with sliced threads makes several), and the encoder's own SPS/PPS
 * come before its SEI: AUD SPS PPS SEI SPS PPS IDR SPS PPS IDR.  H.264
 * §7.4.1.2.3 reads an SPS after a SEI or a slice as a new access unit, so
 * FFmpeg cut such a picture in two.  The AU comes out as AUD SPS PPS SEI
 * IDR IDR: repeats dropped, nothing else touched. */
GST_START_TEST (test_repeated_params_in_au)
{
  static const guint8 aud[] = { 0x09, 0xf0 };
  static const guint8 sei[] = { 0x06, 0x05, 0x01, 0x80 };
  static const guint8 idr2[] = { 0x65, 0x00, 0x84, 0x11, 0x22 };
  GstHarness *h = new_harness (NULL);
  GstBuffer *out;
  guint16 seq = 10;

  push (h, seq++, 9000, FALSE, aud, sizeof (aud));
  push (h, seq++, 9000, FALSE, sps, sizeof (sps));
  push (h, seq++, 9000, FALSE, pps, sizeof (pps));
  push (h, seq++, 9000, FALSE, sei, sizeof (sei));
  push (h, seq++, 9000, FALSE, sps, sizeof (sps));
  push (h, seq++, 9000, FALSE, pps, sizeof (pps));
  push (h, seq++, 9000, FALSE, idr, sizeof (idr));
  push (h, seq++, 9000, FALSE, sps, sizeof (sps));
  push (h, seq++, 9000, FALSE, pps, sizeof (pps));
  push (h, seq++, 9000, TRUE, idr2, sizeof (idr2));
  out = pull_one (h);
  assert_buffer_bytes (out, annexb (aud, sizeof (aud), sps, sizeof (sps),
          pps, sizeof (pps), sei, sizeof (sei), idr, sizeof (idr), idr2,
          sizeof (idr2), NULL));
  fail_if (GST_BUFFER_FLAG_IS_SET (out, GST_BUFFER_FLAG_DELTA_UNIT));
  gst_buffer_unref (out);

  /* parameter sets that follow a SEI are moved in front of it */
  push (h, seq++, 12000, FALSE, sei, sizeof (sei));
  push (h, seq++, 12000, FALSE, sps, sizeof (sps));
  push (h, seq++, 12000, FALSE, pps, sizeof (pps));
  push (h, seq++, 12000, TRUE, idr, sizeof (idr));
  out = pull_one (h);
  assert_buffer_bytes (out, annexb (sps, sizeof (sps), pps, sizeof (pps),
          sei, sizeof (sei), idr, sizeof (idr), NULL));
  gst_buffer_unref (out);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_avc_output)
{
  GstHarness *h = gst_harness_new ("arclyh264depay");
  GstBuffer *out, *cd;
  GstCaps *caps;
  GstStructure *s;
  GstMapInfo map;
  guint8 exp[4 + sizeof (idr)];

  gst_harness_set_caps_str (h, RTP_CAPS,
      "video/x-h264,stream-format=avc,alignment=au");
  g_object_set (h->element, "insert-parameter-sets", FALSE, NULL);
  push (h, 1, 3000, FALSE, sps, sizeof (sps));
  push (h, 2, 3000, FALSE, pps, sizeof (pps));
  push (h, 3, 3000, TRUE, idr, sizeof (idr));
  push (h, 4, 6000, TRUE, pslice, sizeof (pslice));

  caps = gst_pad_get_current_caps (h->sinkpad);
  s = gst_caps_get_structure (caps, 0);
  fail_unless_equals_string (gst_structure_get_string (s, "stream-format"),
      "avc");
  fail_unless (gst_structure_get (s, "codec_data", GST_TYPE_BUFFER, &cd,
          NULL));
  fail_unless (gst_buffer_map (cd, &map, GST_MAP_READ));
  /* avcC: version 1, profile/compat/level of the SPS, 4-byte lengths */
  fail_unless_equals_int (map.size, 6 + 2 + sizeof (sps) + 1 + 2 +
      sizeof (pps));
  fail_unless_equals_int (map.data[0], 1);
  fail_unless_equals_int (map.data[1], 0x42);
  fail_unless_equals_int (map.data[3], 0x1e);
  fail_unless_equals_int (map.data[4], 0xff);
  fail_unless (memcmp (map.data + 8, sps, sizeof (sps)) == 0);
  gst_buffer_unmap (cd, &map);
  gst_buffer_unref (cd);
  gst_caps_unref (caps);

  out = pull_one (h);
  fail_unless_equals_int (gst_buffer_get_size (out), 3 * 4 + sizeof (sps) +
      sizeof (pps) + sizeof (idr));
  gst_buffer_unref (out);
  out = pull_one (h);
  GST_WRITE_UINT32_BE (exp, sizeof (pslice));
  memcpy (exp + 4, pslice, sizeof (pslice));
  fail_unless_equals_int (gst_buffer_get_size (out), 4 + sizeof (pslice));
  fail_unless (gst_buffer_memcmp (out, 0, exp, 4 + sizeof (pslice)) == 0);
  gst_buffer_unref (out);

  /* a fragmented NAL unit: its AVC length is written in front of it in
   * the assembly memory */
  {
    guint8 *big = big_nal (0x41, 3000), len[4];

    push_fu_a (h, 5, 9000, big, 3000, 1000, -1, TRUE);
    out = pull_one (h);
    fail_unless_equals_int (gst_buffer_get_size (out), 4 + 3000);
    fail_unless_equals_int (gst_buffer_n_memory (out), 1);
    GST_WRITE_UINT32_BE (len, 3000);
    fail_unless (gst_buffer_memcmp (out, 0, len, 4) == 0);
    fail_unless (gst_buffer_memcmp (out, 4, big, 3000) == 0);
    gst_buffer_unref (out);
    g_free (big);
  }
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_parameter_set_insertion)
{
  /* sprop-parameter-sets as cameras send it: the PPS blob carries an Annex-B
   * start code (quirk) */
  gchar *b64sps = g_base64_encode (sps, sizeof (sps));
  guint8 pps_sc[4 + sizeof (pps)];
  gchar *b64pps, *extra;
  GstHarness *h;
  GstBuffer *out;

  memcpy (pps_sc, sc, 4);
  memcpy (pps_sc + 4, pps, sizeof (pps));
  b64pps = g_base64_encode (pps_sc, sizeof (pps_sc));
  extra = g_strdup_printf (",sprop-parameter-sets=(string)\"%s,%s\"", b64sps,
      b64pps);
  h = new_harness (extra);

  /* IDR alone: SPS/PPS from the caps go in front */
  push (h, 1, 3000, TRUE, idr, sizeof (idr));
  out = pull_one (h);
  assert_buffer_bytes (out, annexb (sps, sizeof (sps), pps, sizeof (pps), idr,
          sizeof (idr), NULL));
  gst_buffer_unref (out);
  /* P pictures never get them */
  push (h, 2, 6000, TRUE, pslice, sizeof (pslice));
  out = pull_one (h);
  assert_buffer_bytes (out, annexb (pslice, sizeof (pslice), NULL));
  gst_buffer_unref (out);
  /* an IDR that has them in-band is left alone */
  push (h, 3, 9000, FALSE, sps, sizeof (sps));
  push (h, 4, 9000, FALSE, pps, sizeof (pps));
  push (h, 5, 9000, TRUE, idr, sizeof (idr));
  out = pull_one (h);
  assert_buffer_bytes (out, annexb (sps, sizeof (sps), pps, sizeof (pps), idr,
          sizeof (idr), NULL));
  gst_buffer_unref (out);
  fail_unless_equals_uint64 (stat_u64 (h, "params-inserted"), 1);

  /* switched off: the IDR goes out as it came */
  g_object_set (h->element, "insert-parameter-sets", FALSE, NULL);
  push (h, 6, 12000, TRUE, idr, sizeof (idr));
  out = pull_one (h);
  assert_buffer_bytes (out, annexb (idr, sizeof (idr), NULL));
  gst_buffer_unref (out);

  g_free (b64sps);
  g_free (b64pps);
  g_free (extra);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_annexb_in_single_nal)
{
  GstHarness *h = new_harness (NULL);
  GstBuffer *out;
  guint8 p[4 + sizeof (idr)];
  guint8 two[3 + sizeof (sps) + 4 + sizeof (pps)];

  /* a camera that puts start codes in single NAL unit packets (and packs
   * parameter sets into one packet that way, packetization-mode=0) */
  memcpy (two, sc + 1, 3);
  memcpy (two + 3, sps, sizeof (sps));
  memcpy (two + 3 + sizeof (sps), sc, 4);
  memcpy (two + 7 + sizeof (sps), pps, sizeof (pps));
  memcpy (p, sc, 4);
  memcpy (p + 4, idr, sizeof (idr));
  push (h, 1, 3000, FALSE, two, sizeof (two));
  push (h, 2, 3000, TRUE, p, sizeof (p));
  out = pull_one (h);
  assert_buffer_bytes (out, annexb (sps, sizeof (sps), pps, sizeof (pps), idr,
          sizeof (idr), NULL));
  gst_buffer_unref (out);
  fail_unless_equals_uint64 (stat_u64 (h, "params-inserted"), 0);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_unsupported_and_malformed)
{
  GstHarness *h = new_harness (NULL);
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;
  guint warnings = 0;
  static const guint8 stap_b[] = { 25, 0, 1, 0, 4, 0x65, 1, 2, 3 };
  static const guint8 fu_b[] = { 29, 0x85, 0, 1, 0x88 };
  static const guint8 bad_stap[] = { 24, 0, 40, 0x67, 0x42 };
  static const guint8 short_fu[] = { 28 };
  static const guint8 reserved[] = { 30, 1, 2 };
  GstBuffer *out;

  gst_element_set_bus (h->element, bus);
  push (h, 1, 3000, TRUE, stap_b, sizeof (stap_b));
  push (h, 2, 6000, TRUE, fu_b, sizeof (fu_b));
  push (h, 3, 9000, TRUE, bad_stap, sizeof (bad_stap));
  push (h, 4, 12000, TRUE, short_fu, sizeof (short_fu));
  push (h, 5, 15000, TRUE, reserved, sizeof (reserved));
  push (h, 6, 18000, TRUE, NULL, 0);
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 0);
  /* and it carries on */
  push (h, 7, 21000, TRUE, idr, sizeof (idr));
  out = pull_one (h);
  assert_buffer_bytes (out, annexb (idr, sizeof (idr), NULL));
  gst_buffer_unref (out);

  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING))) {
    warnings++;
    gst_message_unref (msg);
  }
  /* reported once, not per packet */
  fail_unless_equals_int (warnings, 1);
  fail_unless_equals_uint64 (stat_u64 (h, "packets-dropped"), 6);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_flush_and_states)
{
  GstHarness *h = new_harness (NULL);
  GstBuffer *out;
  guint i;

  push (h, 1, 3000, FALSE, sps, sizeof (sps));
  push (h, 2, 3000, FALSE, idr, sizeof (idr));
  fail_unless (gst_harness_push_event (h, gst_event_new_flush_start ()));
  fail_unless (gst_harness_push_event (h, gst_event_new_flush_stop (TRUE)));
  gst_harness_set_src_caps_str (h, RTP_CAPS);
  /* the half AU from before the flush is gone */
  push (h, 50, 90000, TRUE, pslice, sizeof (pslice));
  out = pull_one (h);
  assert_buffer_bytes (out, annexb (pslice, sizeof (pslice), NULL));
  gst_buffer_unref (out);

  for (i = 0; i < 3; i++) {
    fail_unless_equals_int (gst_element_set_state (h->element,
            GST_STATE_NULL), GST_STATE_CHANGE_SUCCESS);
    fail_unless_equals_int (gst_element_set_state (h->element,
            GST_STATE_PLAYING), GST_STATE_CHANGE_SUCCESS);
  }
  gst_harness_set_src_caps_str (h, RTP_CAPS);
  push (h, 1, 3000, TRUE, idr, sizeof (idr));
  out = pull_one (h);
  fail_unless (GST_BUFFER_FLAG_IS_SET (out, GST_BUFFER_FLAG_DISCONT));
  gst_buffer_unref (out);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* ---- equivalence with rtph264depay ---- */

/* ---- buffer lists ---- */

/* The packets of a camera's read (arclyrtspsrc buffer-lists): parameter
 * sets and an IDR, a P picture, new parameter sets (level 3.1: new caps)
 * with an IDR, a P picture, a lost packet, two P pictures. */
static GstBuffer **
list_packets (guint * n)
{
  static guint8 sps2[sizeof (sps)];
  GstBuffer **b = g_new0 (GstBuffer *, 11);
  guint i = 0;

  memcpy (sps2, sps, sizeof (sps));
  sps2[3] = 0x1f;
#define PKT(seq, ts, m, d) \
  b[i++] = make_rtp (seq, ts, m, d, sizeof (d), \
      gst_util_uint64_scale (ts, GST_SECOND, 90000))
  PKT (0, 0, FALSE, sps);
  PKT (1, 0, FALSE, pps);
  PKT (2, 0, TRUE, idr);
  PKT (3, 3000, TRUE, pslice);
  PKT (4, 6000, FALSE, sps2);
  PKT (5, 6000, FALSE, pps);
  PKT (6, 6000, TRUE, idr);
  PKT (7, 9000, TRUE, pslice);
  /* 8 is lost */
  PKT (9, 15000, TRUE, pslice);
  PKT (10, 18000, TRUE, pslice);
#undef PKT
  *n = i;
  return b;
}

/* One list in, the same access units, caps and flags out as for the
 * packets one by one, in as few lists as the caps change and the gap
 * allow (arclyrtspsrc buffer-lists -> arclybus: one wake-up per read). */
GST_START_TEST (test_buffer_list)
{
  GstHarness *h1 = new_harness (NULL), *h2 = new_harness (NULL);
  ArclyPushLog one, many;
  GstBufferList *list;
  GstBuffer **pkts;
  guint n;

  pkts = list_packets (&n);
  arcly_push_both_ways (h1, h2, pkts, n, &one, &many);
  g_free (pkts);

  GST_INFO ("one by one:\n%s", one.seen->str);
  /* the input makes the cases: a caps change between two AUs, and a DISCONT
   * AU after the gap (the base class's flag) */
  fail_unless (one.buffers >= 5, "%u AUs", one.buffers);
  fail_unless (strstr (one.seen->str, "caps video/x-h264") != NULL);
  fail_unless (strstr (one.seen->str, "flags 0x40 ") != NULL
      || strstr (one.seen->str, "flags 0x2040 ") != NULL, "no DISCONT AU");
  fail_unless_equals_string (many.seen->str, one.seen->str);
  fail_unless_equals_int (many.buffers, 0);
  /* before the caps change, before the gap, the rest */
  fail_unless (many.lists >= 2 && many.lists <= 3, "%u lists", many.lists);
  fail_unless_equals_int (gst_harness_buffers_in_queue (h2),
      gst_harness_buffers_in_queue (h1));

  /* a list of one packet */
  fail_unless_equals_int (arcly_harness_push_list (h2,
          gst_buffer_list_new ()), GST_FLOW_OK);
  list = gst_buffer_list_new ();
  gst_buffer_list_add (list, make_rtp (11, 21000, TRUE, pslice,
          sizeof (pslice), gst_util_uint64_scale (21000, GST_SECOND, 90000)));
  fail_unless_equals_int (arcly_harness_push_list (h2, list), GST_FLOW_OK);
  fail_unless_equals_int (many.buffers, 0);
  fail_unless_equals_int (gst_harness_buffers_in_queue (h2),
      gst_harness_buffers_in_queue (h1) + 1);

  arcly_push_log_clear (&one);
  arcly_push_log_clear (&many);
  gst_harness_teardown (h1);
  gst_harness_teardown (h2);
}

GST_END_TEST;

/* A downstream error in the middle of a list comes back from the push. */
GST_START_TEST (test_buffer_list_flow)
{
  GstHarness *h = new_harness (NULL);
  GstBufferList *list = gst_buffer_list_new ();
  GstBuffer **pkts;
  guint n, i;

  pkts = list_packets (&n);
  for (i = 0; i < n; i++)
    gst_buffer_list_add (list, pkts[i]);
  g_free (pkts);
  gst_pad_set_active (h->sinkpad, FALSE);
  fail_unless_equals_int (arcly_harness_push_list (h, list),
      GST_FLOW_FLUSHING);
  gst_harness_teardown (h);
}

GST_END_TEST;

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

static void
require_elements (const gchar * const *names)
{
  for (; *names; names++) {
    GstElementFactory *f = gst_element_factory_find (*names);

    fail_unless (f != NULL, "element %s is missing: install "
        "gstreamer1.0-plugins-good/-ugly/gstreamer1.0-libav", *names);
    gst_object_unref (f);
  }
}

static void
run_equivalence (const gchar * enc_chain, gint frames)
{
  static const gchar *const needed[] = { "videotestsrc", "x264enc",
    "rtph264pay", "rtph264depay", "avdec_h264", "appsink", "tee", "queue",
    "arclyh264depay", NULL
  };
  const gchar *names[] = { "ref", "arcly", "arclyavc" };
  Branch br[3];
  gchar *desc;
  GstElement *pipe;
  GstBus *bus;
  GstMessage *msg;
  guint i, j;

  require_elements (needed);
  desc = g_strdup_printf ("videotestsrc num-buffers=%d pattern=ball "
      "animation-mode=frames ! %s ! rtph264pay mtu=1400 ! tee name=t "
      "t. ! queue ! rtph264depay ! avdec_h264 ! "
      "appsink name=ref emit-signals=true sync=false "
      "t. ! queue ! arclyh264depay ! video/x-h264,stream-format=byte-stream ! "
      "avdec_h264 ! appsink name=arcly emit-signals=true sync=false "
      "t. ! queue ! arclyh264depay ! video/x-h264,stream-format=avc ! "
      "avdec_h264 ! appsink name=arclyavc emit-signals=true sync=false",
      frames, enc_chain);
  pipe = gst_parse_launch (desc, NULL);
  fail_unless (pipe != NULL, "cannot build %s", desc);
  g_free (desc);
  for (i = 0; i < 3; i++) {
    GstElement *sink = gst_bin_get_by_name (GST_BIN (pipe), names[i]);

    br[i].sums = g_ptr_array_new_with_free_func (g_free);
    g_signal_connect (sink, "new-sample", G_CALLBACK (on_sample), &br[i]);
    gst_object_unref (sink);
  }
  fail_unless (gst_element_set_state (pipe, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  bus = gst_element_get_bus (pipe);
  msg = gst_bus_timed_pop_filtered (bus, 45 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "no EOS within 45 s");
  fail_unless_equals_int (GST_MESSAGE_TYPE (msg), GST_MESSAGE_EOS);
  gst_message_unref (msg);
  gst_object_unref (bus);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (pipe);

  fail_unless_equals_int (br[0].sums->len, frames);
  for (i = 1; i < 3; i++) {
    fail_unless_equals_int (br[i].sums->len, br[0].sums->len);
    for (j = 0; j < br[0].sums->len; j++)
      fail_unless_equals_string (g_ptr_array_index (br[i].sums, j),
          g_ptr_array_index (br[0].sums, j));
  }
  for (i = 0; i < 3; i++)
    g_ptr_array_unref (br[i].sums);
}

GST_START_TEST (test_equivalence_rtph264depay)
{
  /* 640x360: IDRs are FU-A, small P pictures single NAL units */
  run_equivalence ("video/x-raw,format=I420,width=640,height=360 ! "
      "x264enc tune=zerolatency option-string=scenecut=0 key-int-max=15 "
      "speed-preset=ultrafast", 45);
}

GST_END_TEST;

GST_START_TEST (test_equivalence_rtph264depay_high)
{
  /* High profile 1280x720 with sliced threads: several slices per AU */
  run_equivalence ("video/x-raw,format=I420,width=1280,height=720 ! "
      "x264enc tune=zerolatency option-string=scenecut=0:slices=4 "
      "key-int-max=10 speed-preset=ultrafast ! video/x-h264,profile=high",
      20);
}

GST_END_TEST;

static Suite *
arclyh264depay_suite (void)
{
  Suite *s = suite_create ("arclyh264depay");
  TCase *tc = tcase_create ("packetization");
  TCase *tc_eq = tcase_create ("equivalence");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_single_nal);
  tcase_add_test (tc, test_zero_copy_single_nal);
  tcase_add_test (tc, test_stap_a);
  tcase_add_test (tc, test_fu_a);
  tcase_add_test (tc, test_fu_a_split_memories_and_reuse);
  tcase_add_test (tc, test_missing_marker);
  tcase_add_test (tc, test_fu_a_loss);
  tcase_add_test (tc, test_wait_for_keyframe);
  tcase_add_test (tc, test_fu_a_missing_start);
  tcase_add_test (tc, test_seq_wrap);
  tcase_add_test (tc, test_ts_wrap);
  tcase_add_test (tc, test_mode0_with_stap_and_fu);
  tcase_add_test (tc, test_many_slices);
  tcase_add_test (tc, test_repeated_params_in_au);
  tcase_add_test (tc, test_avc_output);
  tcase_add_test (tc, test_parameter_set_insertion);
  tcase_add_test (tc, test_annexb_in_single_nal);
  tcase_add_test (tc, test_unsupported_and_malformed);
  tcase_add_test (tc, test_flush_and_states);
  tcase_add_test (tc, test_buffer_list);
  tcase_add_test (tc, test_buffer_list_flow);

  suite_add_tcase (s, tc_eq);
  tcase_set_timeout (tc_eq, 60);
  tcase_add_test (tc_eq, test_equivalence_rtph264depay);
  tcase_add_test (tc_eq, test_equivalence_rtph264depay_high);
  return s;
}

GST_CHECK_MAIN (arclyh264depay);
