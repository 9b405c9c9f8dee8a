/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Unit tests for gst/arclyrtspsrc/h265depaycore.[ch] (RFC 7798): single
 * NAL unit packets, aggregation packets, fragmentation units, DONL/DOND,
 * parameter-set insertion, access-unit boundaries, loss, zero-copy and the
 * bytes-copied count.  Every payload lives in an exact-size heap copy (ASan
 * and valgrind see a read past its end); APs and FUs are also fed as every
 * truncated prefix, and a table of hostile payloads plus seeded random
 * packets check that bad input only ever drops units.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <gst/check/gstcheck.h>

#include "h265depaycore.h"

/* x265enc, main 320x240 (see tests/check/libs/arclyh265.c) */
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

/* slice payloads: only their NAL header matters to a depayloader */
static const guint8 idr[] = { 0x26, 0x01, 0xaf, 0x1e, 0x80, 0x33, 0x7f };
static const guint8 cra[] = { 0x2a, 0x01, 0xad, 0x00, 0x41 };
static const guint8 trail[] = { 0x02, 0x01, 0xd0, 0x0a, 0x99, 0x10 };
static const guint8 aud[] = { 0x46, 0x01, 0x50 };
static const guint8 sei[] = { 0x4e, 0x01, 0x05, 0x02, 0xaa, 0xbb, 0x80 };

typedef struct
{
  ArclyH265DepayCore *core;
  GQueue out;
  guint16 seq;
  gboolean share;               /* payloads in a shareable memory */
  gboolean split;               /* FUs as two memories (pkt.buffer) */
  gboolean discont;             /* next packet flagged DISCONT */
} Ctx;

static void
ctx_init (Ctx * c)
{
  memset (c, 0, sizeof (*c));
  c->core = arcly_h265_depay_core_new ();
  g_queue_init (&c->out);
  c->seq = 1000;
  c->share = TRUE;
}

static void
ctx_clear (Ctx * c)
{
  g_queue_clear_full (&c->out, (GDestroyNotify) arcly_h265_depay_au_free);
  arcly_h265_depay_core_free (c->core);
}

static guint
feed (Ctx * c, guint32 ts, gboolean marker, const guint8 * data, gsize size)
{
  ArclyH265DepayPacket pkt = { 0, };
  guint8 *copy = g_memdup2 (data, size ? size : 1);
  GstMemory *mem = NULL;
  GstBuffer *split = NULL;
  guint ev;

  if (c->share && size > 0)
    mem = gst_memory_new_wrapped (GST_MEMORY_FLAG_READONLY, copy, size, 0,
        size, copy, g_free);
  pkt.data = size ? copy : NULL;
  pkt.size = size;
  pkt.mem = mem;
  if (c->split && mem && size > 3 && ((data[0] >> 1) & 0x3f) == 49) {
    split = gst_buffer_new ();
    gst_buffer_append_memory (split, gst_memory_share (mem, 0, 3));
    gst_buffer_append_memory (split, gst_memory_share (mem, 3, size - 3));
    pkt.data = NULL;
    pkt.mem = NULL;
    memcpy (pkt.head, copy, 3);
    pkt.buffer = split;
  }
  pkt.seq = c->seq++;
  pkt.rtp_ts = ts;
  pkt.marker = marker;
  pkt.discont = c->discont;
  c->discont = FALSE;
  pkt.pts = ts * GST_MSECOND;
  ev = arcly_h265_depay_core_push (c->core, &pkt, &c->out);
  if (split)
    gst_buffer_unref (split);
  if (mem)
    gst_memory_unref (mem);
  else
    g_free (copy);
  return ev;
}

/* Annex-B of the NAL units given as (data, size) pairs, NULL-terminated */
static GBytes *
annexb (const guint8 * first, ...)
{
  GByteArray *a = g_byte_array_new ();
  const guint8 *nal = first;
  va_list args;

  va_start (args, first);
  while (nal) {
    gsize size = va_arg (args, gsize);

    g_byte_array_append (a, (const guint8 *) "\0\0\0\1", 4);
    g_byte_array_append (a, nal, size);
    nal = va_arg (args, const guint8 *);
  }
  va_end (args);
  return g_byte_array_free_to_bytes (a);
}

#define NAL(x) (x), sizeof (x)

static ArclyH265DepayAu *
pop_au (Ctx * c)
{
  ArclyH265DepayAu *au = g_queue_pop_head (&c->out);

  fail_unless (au != NULL, "no access unit");
  return au;
}

static void
assert_au (ArclyH265DepayAu * au, GBytes * expected)
{
  GstMapInfo map;
  gsize size;
  const guint8 *exp = g_bytes_get_data (expected, &size);

  fail_unless (gst_buffer_map (au->buffer, &map, GST_MAP_READ));
  if (map.size != size || memcmp (map.data, exp, size) != 0) {
    GST_MEMDUMP ("got", map.data, map.size);
    GST_MEMDUMP ("expected", exp, size);
    fail ("AU differs (%" G_GSIZE_FORMAT " vs %" G_GSIZE_FORMAT " bytes)",
        map.size, size);
  }
  gst_buffer_unmap (au->buffer, &map);
  g_bytes_unref (expected);
}

/* Fragments @nal into FU payloads of at most @frag bytes; with @donl a
 * DONL field goes into the start fragment. */
static GPtrArray *
make_fus (const guint8 * nal, gsize size, gsize frag, gboolean donl)
{
  GPtrArray *fus = g_ptr_array_new_with_free_func ((GDestroyNotify)
      g_bytes_unref);
  gsize pos = 2;

  while (pos < size) {
    gsize n = MIN (frag, size - pos);
    GByteArray *a = g_byte_array_new ();
    guint8 hdr[3];

    hdr[0] = (nal[0] & 0x81) | (49 << 1);
    hdr[1] = nal[1];
    hdr[2] = (nal[0] >> 1) & 0x3f;
    if (pos == 2)
      hdr[2] |= 0x80;
    if (pos + n == size)
      hdr[2] |= 0x40;
    g_byte_array_append (a, hdr, 3);
    if (donl && pos == 2)
      g_byte_array_append (a, (const guint8 *) "\x12\x34", 2);
    g_byte_array_append (a, nal + pos, n);
    g_ptr_array_add (fus, g_byte_array_free_to_bytes (a));
    pos += n;
  }
  return fus;
}

static guint8 *
big_nal (guint8 h0, guint8 h1, gsize size)
{
  guint8 *n = g_malloc (size);
  gsize i;

  n[0] = h0;
  n[1] = h1;
  for (i = 2; i < size; i++)
    n[i] = (guint8) (i * 7 + 1);
  return n;
}

/* An AP payload (header type 48) of the NAL units (data, size), NULL
 * terminated; with @donl a DONL before the first unit, DOND before the
 * others. */
static GBytes *
make_ap (gboolean donl, const guint8 * first, ...)
{
  GByteArray *a = g_byte_array_new ();
  const guint8 *nal = first;
  const guint8 hdr[2] = { 48 << 1, 0x01 };
  va_list args;
  guint n = 0;

  g_byte_array_append (a, hdr, 2);
  va_start (args, first);
  while (nal) {
    gsize size = va_arg (args, gsize);
    guint8 len[2] = { size >> 8, size & 0xff };

    if (donl)
      g_byte_array_append (a, (const guint8 *) "\x00\x07", n == 0 ? 2 : 1);
    g_byte_array_append (a, len, 2);
    g_byte_array_append (a, nal, size);
    nal = va_arg (args, const guint8 *);
    n++;
  }
  va_end (args);
  return g_byte_array_free_to_bytes (a);
}

static guint
feed_bytes (Ctx * c, guint32 ts, gboolean marker, GBytes * b)
{
  gsize size;
  const guint8 *d = g_bytes_get_data (b, &size);

  return feed (c, ts, marker, d, size);
}

/* ---- tests ---- */

GST_START_TEST (test_single_nal)
{
  Ctx c;
  ArclyH265DepayAu *au;
  const ArclyH265DepayStats *st;

  ctx_init (&c);
  fail_unless_equals_int (feed (&c, 3000, FALSE, NAL (vps)),
      ARCLY_H265_DEPAY_EV_PARAMS_CHANGED);
  feed (&c, 3000, FALSE, NAL (sps));
  feed (&c, 3000, FALSE, NAL (pps));
  fail_unless_equals_int (feed (&c, 3000, TRUE, NAL (idr)), 0);
  au = pop_au (&c);
  fail_unless (au->keyframe);
  fail_unless (au->discont);
  fail_if (au->params_inserted);
  fail_unless_equals_int (au->n_nals, 4);
  fail_unless_equals_int (au->bytes_copied, 0);
  fail_unless_equals_uint64 (au->pts, 3000 * GST_MSECOND);
  /* start code + NAL memory each, the NAL a share of the packet memory */
  fail_unless_equals_int (gst_buffer_n_memory (au->buffer), 8);
  fail_unless (gst_buffer_peek_memory (au->buffer, 7)->parent != NULL);
  assert_au (au, annexb (NAL (vps), NAL (sps), NAL (pps), NAL (idr), NULL));
  arcly_h265_depay_au_free (au);

  feed (&c, 6000, TRUE, NAL (trail));
  au = pop_au (&c);
  fail_if (au->keyframe);
  fail_if (au->discont);
  fail_if (au->params_inserted);
  assert_au (au, annexb (NAL (trail), NULL));
  arcly_h265_depay_au_free (au);

  st = arcly_h265_depay_core_get_stats (c.core);
  fail_unless_equals_uint64 (st->packets, 5);
  fail_unless_equals_uint64 (st->aus_pushed, 2);
  fail_unless_equals_uint64 (st->keyframes, 1);
  fail_unless_equals_uint64 (st->bytes_copied, 0);
  fail_unless_equals_uint64 (st->bytes_out, 4 * 5 + sizeof (vps) +
      sizeof (sps) + sizeof (pps) + sizeof (idr) + sizeof (trail));
  ctx_clear (&c);
}

GST_END_TEST;

GST_START_TEST (test_not_shareable_counts_copies)
{
  Ctx c;
  ArclyH265DepayAu *au;

  ctx_init (&c);
  c.share = FALSE;
  feed (&c, 3000, FALSE, NAL (vps));
  feed (&c, 3000, TRUE, NAL (idr));
  au = pop_au (&c);
  fail_unless_equals_int (au->bytes_copied, sizeof (vps) + sizeof (idr));
  arcly_h265_depay_au_free (au);
  fail_unless_equals_uint64 (arcly_h265_depay_core_get_stats (c.core)->
      bytes_copied, sizeof (vps) + sizeof (idr));
  ctx_clear (&c);
}

GST_END_TEST;

static gchar *
b64 (const guint8 * d, gsize n)
{
  return g_base64_encode (d, n);
}

GST_START_TEST (test_sprop_insertion)
{
  Ctx c;
  ArclyH265DepayAu *au;
  gchar *v = b64 (NAL (vps)), *s = b64 (NAL (sps)), *p = b64 (NAL (pps));
  GPtrArray *list = g_ptr_array_new_with_free_func ((GDestroyNotify)
      g_bytes_unref);

  ctx_init (&c);
  fail_unless_equals_int (arcly_h265_depay_core_set_sprop (c.core, v), 1);
  fail_if (arcly_h265_depay_core_get_params (c.core, NULL, NULL, NULL));
  fail_unless_equals_int (arcly_h265_depay_core_set_sprop (c.core, s), 1);
  fail_unless_equals_int (arcly_h265_depay_core_set_sprop (c.core, p), 1);
  fail_unless (arcly_h265_depay_core_get_params (c.core, NULL, list, NULL));
  fail_unless_equals_int (list->len, 1);
  fail_unless (arcly_h265_depay_core_get_last_sps (c.core) != NULL);

  /* the first IRAP */
  feed (&c, 3000, TRUE, NAL (idr));
  au = pop_au (&c);
  fail_unless (au->keyframe && au->params_inserted);
  assert_au (au, annexb (NAL (vps), NAL (sps), NAL (pps), NAL (idr), NULL));
  arcly_h265_depay_au_free (au);

  /* not before a non-IRAP picture */
  feed (&c, 6000, TRUE, NAL (trail));
  au = pop_au (&c);
  fail_if (au->params_inserted);
  assert_au (au, annexb (NAL (trail), NULL));
  arcly_h265_depay_au_free (au);

  /* after a DISCONT: a CRA, behind its AUD, with a prefix SEI */
  c.discont = TRUE;
  feed (&c, 9000, FALSE, NAL (aud));
  feed (&c, 9000, FALSE, NAL (sei));
  feed (&c, 9000, TRUE, NAL (cra));
  au = pop_au (&c);
  fail_unless (au->keyframe && au->params_inserted && au->discont);
  assert_au (au, annexb (NAL (aud), NAL (vps), NAL (sps), NAL (pps),
          NAL (sei), NAL (cra), NULL));
  arcly_h265_depay_au_free (au);

  /* a sequence gap: the next IRAP (after the P picture) gets them again */
  c.seq += 3;
  feed (&c, 12000, TRUE, NAL (trail));
  au = pop_au (&c);
  fail_unless (au->discont && !au->params_inserted);
  arcly_h265_depay_au_free (au);
  feed (&c, 15000, TRUE, NAL (idr));
  au = pop_au (&c);
  fail_unless (au->params_inserted);
  arcly_h265_depay_au_free (au);

  /* only the missing kinds are added */
  feed (&c, 18000, FALSE, NAL (sps));
  feed (&c, 18000, TRUE, NAL (idr));
  au = pop_au (&c);
  assert_au (au, annexb (NAL (vps), NAL (pps), NAL (sps), NAL (idr), NULL));
  arcly_h265_depay_au_free (au);
  fail_unless_equals_uint64 (arcly_h265_depay_core_get_stats (c.core)->
      params_inserted, 4);

  /* off */
  arcly_h265_depay_core_set_insert_params (c.core, FALSE);
  feed (&c, 21000, TRUE, NAL (idr));
  au = pop_au (&c);
  fail_if (au->params_inserted);
  assert_au (au, annexb (NAL (idr), NULL));
  arcly_h265_depay_au_free (au);

  /* a hard reset forgets them, a soft one does not */
  arcly_h265_depay_core_reset (c.core, FALSE);
  fail_unless (arcly_h265_depay_core_get_params (c.core, NULL, NULL, NULL));
  arcly_h265_depay_core_reset (c.core, TRUE);
  fail_if (arcly_h265_depay_core_get_params (c.core, NULL, NULL, NULL));
  fail_unless (arcly_h265_depay_core_get_last_sps (c.core) == NULL);

  g_free (v);
  g_free (s);
  g_free (p);
  g_ptr_array_unref (list);
  ctx_clear (&c);
}

GST_END_TEST;

GST_START_TEST (test_sprop_quirks)
{
  Ctx c;
  GByteArray *blob = g_byte_array_new ();
  gchar *enc, *all;

  ctx_init (&c);
  /* several NAL units with start codes inside one base64 blob */
  g_byte_array_append (blob, (const guint8 *) "\0\0\0\1", 4);
  g_byte_array_append (blob, NAL (vps));
  g_byte_array_append (blob, (const guint8 *) "\0\0\1", 3);
  g_byte_array_append (blob, NAL (sps));
  enc = g_base64_encode (blob->data, blob->len);
  all = g_strdup_printf (" %s ,,!!,A,AA==,QAE=,%s", enc, "RAHAcYMS");
  /* VPS, SPS, PPS; the junk is skipped ("QAE=" is a bare VPS header,
   * "AA==" a zero byte) */
  fail_unless_equals_int (arcly_h265_depay_core_set_sprop (c.core, all), 4);
  fail_unless (arcly_h265_depay_core_get_params (c.core, NULL, NULL, NULL));
  fail_unless_equals_int (arcly_h265_depay_core_set_sprop (c.core, NULL), 0);
  fail_unless_equals_int (arcly_h265_depay_core_set_sprop (c.core, ""), 0);
  g_free (all);
  g_free (enc);
  g_byte_array_unref (blob);
  ctx_clear (&c);
}

GST_END_TEST;

GST_START_TEST (test_ap)
{
  Ctx c;
  ArclyH265DepayAu *au;
  GBytes *ap = make_ap (FALSE, NAL (vps), NAL (sps), NAL (pps), NAL (idr),
      NULL);

  ctx_init (&c);
  feed_bytes (&c, 3000, TRUE, ap);
  au = pop_au (&c);
  fail_unless (au->keyframe);
  fail_unless_equals_int (au->n_nals, 4);
  fail_unless_equals_int (au->bytes_copied, 0);
  fail_unless (gst_buffer_peek_memory (au->buffer, 1)->parent != NULL);
  assert_au (au, annexb (NAL (vps), NAL (sps), NAL (pps), NAL (idr), NULL));
  arcly_h265_depay_au_free (au);
  g_bytes_unref (ap);
  ctx_clear (&c);
}

GST_END_TEST;

/* Every prefix of an AP: whole when it ends on a unit boundary, otherwise
 * dropped whole (no unit of it is used). */
GST_START_TEST (test_ap_truncated)
{
  GBytes *ap = make_ap (FALSE, NAL (pps), NAL (trail), NAL (sei), NULL);
  gsize size, n;
  const guint8 *d = g_bytes_get_data (ap, &size);
  const gsize ends[] = { 2 + 2 + sizeof (pps),
    2 + 4 + sizeof (pps) + sizeof (trail),
    2 + 6 + sizeof (pps) + sizeof (trail) + sizeof (sei)
  };

  for (n = 0; n < size; n++) {
    Ctx c;
    const ArclyH265DepayStats *st;
    gboolean whole = n == ends[0] || n == ends[1];

    ctx_init (&c);
    feed (&c, 3000, TRUE, d, n);
    st = arcly_h265_depay_core_get_stats (c.core);
    fail_unless_equals_uint64 (st->packets_dropped, whole ? 0 : 1);
    if (whole) {
      /* the PPS alone is no picture: held until EOS */
      fail_unless_equals_int (g_queue_get_length (&c.out), n == ends[1]);
    } else {
      fail_unless_equals_int (g_queue_get_length (&c.out), 0);
    }
    arcly_h265_depay_core_drain (c.core, &c.out);
    ctx_clear (&c);
  }
  g_bytes_unref (ap);
}

GST_END_TEST;

static void
run_fu (gboolean split)
{
  Ctx c;
  ArclyH265DepayAu *au;
  const gsize size = 5000;
  /* IDR with nuh_layer_id 0 and TemporalId + 1 = 1 */
  guint8 *nal = big_nal (0x26, 0x01, size);
  GPtrArray *fus = make_fus (nal, size, 1400, FALSE);
  guint i;

  ctx_init (&c);
  c.split = split;
  for (i = 0; i < fus->len; i++)
    fail_unless_equals_int (feed_bytes (&c, 3000, i + 1 == fus->len,
            g_ptr_array_index (fus, i)), 0);
  au = pop_au (&c);
  fail_unless (au->keyframe);
  fail_unless_equals_int (au->n_nals, 1);
  /* each fragment byte copied once, into one memory with the start code */
  fail_unless_equals_int (au->bytes_copied, size - 2);
  fail_unless_equals_int (gst_buffer_n_memory (au->buffer), 1);
  assert_au (au, annexb (nal, size, NULL));
  arcly_h265_depay_au_free (au);
  g_ptr_array_unref (fus);
  g_free (nal);
  ctx_clear (&c);
}

GST_START_TEST (test_fu)
{
  run_fu (FALSE);
}

GST_END_TEST;

/* rtph265pay sends payload header + FU header and the fragment in two
 * memories: the fragment is copied straight out of the packet. */
GST_START_TEST (test_fu_split_memories)
{
  run_fu (TRUE);
}

GST_END_TEST;

/* The rebuilt header keeps F, LayerId and TID of the payload header. */
GST_START_TEST (test_fu_header_rebuilt)
{
  Ctx c;
  ArclyH265DepayAu *au;
  /* TRAIL_R, nuh_layer_id 0, TemporalId + 1 = 3 */
  guint8 *nal = big_nal (0x02, 0x03, 300);
  GPtrArray *fus = make_fus (nal, 300, 100, FALSE);
  guint i;

  ctx_init (&c);
  for (i = 0; i < fus->len; i++)
    feed_bytes (&c, 3000, i + 1 == fus->len, g_ptr_array_index (fus, i));
  au = pop_au (&c);
  fail_if (au->keyframe);
  assert_au (au, annexb (nal, (gsize) 300, NULL));
  arcly_h265_depay_au_free (au);
  g_ptr_array_unref (fus);
  g_free (nal);
  ctx_clear (&c);
}

GST_END_TEST;

GST_START_TEST (test_fu_errors)
{
  Ctx c;
  ArclyH265DepayAu *au;
  guint8 *nal = big_nal (0x26, 0x01, 3000);
  GPtrArray *fus = make_fus (nal, 3000, 1000, FALSE);
  const ArclyH265DepayStats *st;
  /* S and E both set; FuType 49 (an FU in an FU); too short */
  const guint8 both[] = { 0x62, 0x01, 0xd3, 0x11, 0x22 };
  const guint8 nested[] = { 0x62, 0x01, 0x80 | 49, 0x11, 0x22 };
  const guint8 shorty[] = { 0x62, 0x01 };
  guint8 *other;
  gsize other_size;

  ctx_init (&c);
  /* the middle and end without their start: the AU is lost */
  fail_unless_equals_int (feed_bytes (&c, 3000, FALSE,
          g_ptr_array_index (fus, 1)), ARCLY_H265_DEPAY_EV_LOSS);
  fail_unless_equals_int (feed_bytes (&c, 3000, TRUE,
          g_ptr_array_index (fus, 2)), ARCLY_H265_DEPAY_EV_LOSS);
  fail_unless_equals_int (g_queue_get_length (&c.out), 0);
  st = arcly_h265_depay_core_get_stats (c.core);
  fail_unless_equals_uint64 (st->aus_dropped, 1);

  /* a start without its end, then a new timestamp */
  feed_bytes (&c, 6000, FALSE, g_ptr_array_index (fus, 0));
  feed (&c, 9000, TRUE, NAL (trail));
  au = pop_au (&c);
  fail_unless (au->discont);
  assert_au (au, annexb (NAL (trail), NULL));
  arcly_h265_depay_au_free (au);
  fail_unless_equals_uint64 (st->aus_dropped, 2);

  /* a start, then a single NAL unit: the fragmented one is lost */
  feed_bytes (&c, 12000, FALSE, g_ptr_array_index (fus, 0));
  fail_unless (feed (&c, 12000, TRUE, NAL (trail)) &
      ARCLY_H265_DEPAY_EV_LOSS);
  fail_unless_equals_int (g_queue_get_length (&c.out), 0);

  /* a middle fragment of another NAL type */
  other = g_bytes_unref_to_data (g_bytes_ref (g_ptr_array_index (fus, 1)),
      &other_size);
  other[2] = (other[2] & 0xc0) | 1;
  feed_bytes (&c, 15000, FALSE, g_ptr_array_index (fus, 0));
  fail_unless (feed (&c, 15000, FALSE, other, other_size) &
      ARCLY_H265_DEPAY_EV_MALFORMED);
  g_free (other);
  feed (&c, 15000, TRUE, NAL (trail));
  fail_unless_equals_int (g_queue_get_length (&c.out), 0);

  fail_unless (feed (&c, 18000, FALSE, NAL (both)) &
      ARCLY_H265_DEPAY_EV_MALFORMED);
  fail_unless (feed (&c, 21000, FALSE, NAL (nested)) &
      ARCLY_H265_DEPAY_EV_MALFORMED);
  fail_unless (feed (&c, 24000, FALSE, NAL (shorty)) &
      ARCLY_H265_DEPAY_EV_MALFORMED);
  feed (&c, 27000, TRUE, NAL (idr));
  au = pop_au (&c);
  assert_au (au, annexb (NAL (idr), NULL));
  arcly_h265_depay_au_free (au);

  g_ptr_array_unref (fus);
  g_free (nal);
  ctx_clear (&c);
}

GST_END_TEST;

/* Every prefix of each fragment of a three-fragment NAL unit, the others
 * whole: the result is the whole NAL unit only for the untouched set. */
GST_START_TEST (test_fu_truncated)
{
  guint8 *nal = big_nal (0x26, 0x01, 700);
  GPtrArray *fus = make_fus (nal, 700, 250, FALSE);
  guint which, i;

  for (which = 0; which < fus->len; which++) {
    gsize full, n;

    g_bytes_get_data (g_ptr_array_index (fus, which), &full);
    for (n = 0; n < full; n++) {
      Ctx c;

      ctx_init (&c);
      for (i = 0; i < fus->len; i++) {
        gsize size;
        const guint8 *d = g_bytes_get_data (g_ptr_array_index (fus, i),
            &size);

        feed (&c, 3000, i + 1 == fus->len, d, i == which ? n : size);
      }
      arcly_h265_depay_core_drain (c.core, &c.out);
      if (g_queue_get_length (&c.out) > 0) {
        ArclyH265DepayAu *au = pop_au (&c);
        GstMapInfo map;

        /* a shortened fragment can only give a shorter NAL unit, never a
         * corrupt header */
        fail_unless (n >= 3);
        fail_unless (gst_buffer_map (au->buffer, &map, GST_MAP_READ));
        fail_unless (map.size == 4 + 700 - (full - n));
        fail_unless (memcmp (map.data, "\0\0\0\1\x26\x01", 6) == 0);
        gst_buffer_unmap (au->buffer, &map);
        arcly_h265_depay_au_free (au);
      }
      ctx_clear (&c);
    }
  }
  g_ptr_array_unref (fus);
  g_free (nal);
}

GST_END_TEST;

/* sprop-max-don-diff > 0: DONL/DOND fields are skipped, the output is the
 * same as without them. */
GST_START_TEST (test_donl)
{
  Ctx c;
  ArclyH265DepayAu *au;
  guint8 *nal = big_nal (0x26, 0x01, 2500);
  GPtrArray *fus = make_fus (nal, 2500, 1000, TRUE);
  GBytes *ap = make_ap (TRUE, NAL (vps), NAL (sps), NAL (pps), NULL);
  guint8 single[2 + 2 + sizeof (trail) - 2];
  guint i;

  /* header, DONL, rest of the NAL unit */
  single[0] = trail[0];
  single[1] = trail[1];
  single[2] = 0x00;
  single[3] = 0x09;
  memcpy (single + 4, trail + 2, sizeof (trail) - 2);

  ctx_init (&c);
  arcly_h265_depay_core_set_donl (c.core, TRUE);
  feed_bytes (&c, 3000, FALSE, ap);
  for (i = 0; i < fus->len; i++)
    feed_bytes (&c, 3000, i + 1 == fus->len, g_ptr_array_index (fus, i));
  au = pop_au (&c);
  assert_au (au, annexb (NAL (vps), NAL (sps), NAL (pps), nal, (gsize) 2500,
          NULL));
  arcly_h265_depay_au_free (au);

  feed (&c, 6000, TRUE, single, sizeof (single));
  au = pop_au (&c);
  /* header and payload are not adjacent: copied, and counted */
  fail_unless_equals_int (au->bytes_copied, sizeof (trail));
  assert_au (au, annexb (NAL (trail), NULL));
  arcly_h265_depay_au_free (au);

  /* a DONL single NAL unit too short for a NAL unit after its DONL */
  fail_unless (feed (&c, 9000, TRUE, single, 4) &
      ARCLY_H265_DEPAY_EV_MALFORMED);
  /* a hard reset forgets the setting */
  arcly_h265_depay_core_reset (c.core, TRUE);
  feed (&c, 12000, TRUE, NAL (trail));
  au = pop_au (&c);
  assert_au (au, annexb (NAL (trail), NULL));
  arcly_h265_depay_au_free (au);

  g_bytes_unref (ap);
  g_ptr_array_unref (fus);
  g_free (nal);
  ctx_clear (&c);
}

GST_END_TEST;

/* Cameras without marker bits: the timestamp change ends the AU. */
GST_START_TEST (test_no_marker)
{
  Ctx c;
  ArclyH265DepayAu *au;

  ctx_init (&c);
  feed (&c, 3000, FALSE, NAL (vps));
  feed (&c, 3000, FALSE, NAL (sps));
  feed (&c, 3000, FALSE, NAL (pps));
  feed (&c, 3000, FALSE, NAL (idr));
  fail_unless_equals_int (g_queue_get_length (&c.out), 0);
  feed (&c, 6000, FALSE, NAL (trail));
  au = pop_au (&c);
  fail_unless (au->keyframe);
  fail_unless_equals_uint64 (au->pts, 3000 * GST_MSECOND);
  assert_au (au, annexb (NAL (vps), NAL (sps), NAL (pps), NAL (idr), NULL));
  arcly_h265_depay_au_free (au);
  feed (&c, 9000, FALSE, NAL (trail));
  au = pop_au (&c);
  fail_unless_equals_uint64 (au->pts, 6000 * GST_MSECOND);
  arcly_h265_depay_au_free (au);
  /* the last one at EOS */
  arcly_h265_depay_core_drain (c.core, &c.out);
  au = pop_au (&c);
  fail_unless_equals_uint64 (au->pts, 9000 * GST_MSECOND);
  arcly_h265_depay_au_free (au);
  ctx_clear (&c);
}

GST_END_TEST;

/* Parameter sets on a timestamp of their own (with a marker) wait for the
 * picture; identical repeats inside one AU are dropped. */
GST_START_TEST (test_params_alone_and_repeated)
{
  Ctx c;
  ArclyH265DepayAu *au;
  const guint8 idr2[] = { 0x26, 0x01, 0x2f, 0x55 };
  GBytes *ap = make_ap (FALSE, NAL (vps), NAL (sps), NAL (pps), NULL);

  ctx_init (&c);
  feed_bytes (&c, 1000, TRUE, ap);
  fail_unless_equals_int (g_queue_get_length (&c.out), 0);
  feed (&c, 3000, FALSE, NAL (idr));
  /* rtph265pay config-interval=-1 with two slices */
  feed_bytes (&c, 3000, FALSE, ap);
  feed (&c, 3000, TRUE, NAL (idr2));
  au = pop_au (&c);
  /* the picture's time */
  fail_unless_equals_uint64 (au->pts, 3000 * GST_MSECOND);
  fail_unless_equals_int (au->n_nals, 5);
  assert_au (au, annexb (NAL (vps), NAL (sps), NAL (pps), NAL (idr),
          NAL (idr2), NULL));
  arcly_h265_depay_au_free (au);
  g_bytes_unref (ap);
  ctx_clear (&c);
}

GST_END_TEST;

GST_START_TEST (test_wait_keyframe)
{
  Ctx c;
  ArclyH265DepayAu *au;

  ctx_init (&c);
  arcly_h265_depay_core_set_wait_keyframe (c.core, TRUE);
  feed (&c, 3000, TRUE, NAL (trail));
  fail_unless_equals_int (g_queue_get_length (&c.out), 0);
  feed (&c, 6000, TRUE, NAL (cra));
  au = pop_au (&c);
  fail_unless (au->keyframe);
  arcly_h265_depay_au_free (au);
  feed (&c, 9000, TRUE, NAL (trail));
  au = pop_au (&c);
  arcly_h265_depay_au_free (au);
  /* a loss: wait again */
  c.seq++;
  feed (&c, 12000, TRUE, NAL (trail));
  fail_unless_equals_int (g_queue_get_length (&c.out), 0);
  fail_unless_equals_uint64 (arcly_h265_depay_core_get_stats (c.core)->
      aus_waiting, 2);
  ctx_clear (&c);
}

GST_END_TEST;

/* More NAL units than a buffer holds memories: joined once, counted. */
GST_START_TEST (test_many_nals)
{
  Ctx c;
  ArclyH265DepayAu *au;
  GByteArray *expected = g_byte_array_new ();
  guint i;

  ctx_init (&c);
  for (i = 0; i < 20; i++) {
    feed (&c, 3000, i == 19, NAL (trail));
    g_byte_array_append (expected, (const guint8 *) "\0\0\0\1", 4);
    g_byte_array_append (expected, NAL (trail));
  }
  au = pop_au (&c);
  fail_unless_equals_int (au->n_nals, 20);
  fail_unless_equals_int (gst_buffer_n_memory (au->buffer), 1);
  fail_unless_equals_int (au->bytes_copied, 20 * sizeof (trail));
  assert_au (au, g_byte_array_free_to_bytes (expected));
  arcly_h265_depay_au_free (au);
  ctx_clear (&c);
}

GST_END_TEST;

/* A start code where the payload header should be (camera quirk). */
GST_START_TEST (test_annexb_payload)
{
  Ctx c;
  ArclyH265DepayAu *au;
  GBytes *payload = annexb (NAL (vps), NAL (sps), NAL (pps), NAL (idr), NULL);

  ctx_init (&c);
  feed_bytes (&c, 3000, TRUE, payload);
  au = pop_au (&c);
  fail_unless (au->keyframe);
  fail_unless_equals_int (au->bytes_copied, 0);
  assert_au (au, payload);
  arcly_h265_depay_au_free (au);
  ctx_clear (&c);
}

GST_END_TEST;

/* An FU that never ends is bounded: past 16 MiB the AU is dropped. */
GST_START_TEST (test_fu_bounded)
{
  Ctx c;
  guint8 *frag = g_malloc0 (60003);
  guint i, ev = 0;

  ctx_init (&c);
  frag[0] = 0x62;
  frag[1] = 0x01;
  for (i = 0; i < 400 && !(ev & ARCLY_H265_DEPAY_EV_MALFORMED); i++) {
    frag[2] = (i == 0 ? 0x80 : 0) | 19;
    memset (frag + 3, i + 1, 60000);
    ev = feed (&c, 3000, FALSE, frag, 60003);
  }
  fail_unless (ev & ARCLY_H265_DEPAY_EV_MALFORMED);
  fail_unless (i * (gsize) 60000 <= 16 * 1024 * 1024 + 60000, "%u", i);
  /* the rest of it is ignored, the AU dropped at its end */
  frag[2] = 0x40 | 19;
  feed (&c, 3000, TRUE, frag, 60003);
  fail_unless_equals_int (g_queue_get_length (&c.out), 0);
  fail_unless_equals_uint64 (arcly_h265_depay_core_get_stats (c.core)->
      aus_dropped, 1);
  feed (&c, 6000, TRUE, NAL (idr));
  fail_unless_equals_int (g_queue_get_length (&c.out), 1);
  g_free (frag);
  ctx_clear (&c);
}

GST_END_TEST;

/* Intra pictures are sized apart from the others: the other pictures get
 * memories of their own size (not the size of the last intra picture),
 * and an IDR after a run of them is copied once, not again while its
 * assembly memory grows.  The first IDR stays held, as a GOP cache would
 * hold it. */
GST_START_TEST (test_fu_irap_sized_apart)
{
  Ctx c;
  ArclyH265DepayAu *au, *held = NULL;
  guint8 *idr_nal = big_nal (0x26, 0x01, 200000);
  guint8 *p_nal = big_nal (0x02, 0x01, 20000);
  GPtrArray *idr_fus = make_fus (idr_nal, 200000, 1400, FALSE);
  GPtrArray *p_fus = make_fus (p_nal, 20000, 1400, FALSE);
  guint i, k;
  guint32 ts = 3000;

  ctx_init (&c);
  for (k = 0; k < 32; k++) {
    GPtrArray *fus = (k == 0 || k == 31) ? idr_fus : p_fus;
    gsize maxsize = 0;

    for (i = 0; i < fus->len; i++)
      feed_bytes (&c, ts, i + 1 == fus->len, g_ptr_array_index (fus, i));
    ts += 3000;
    au = pop_au (&c);
    gst_memory_get_sizes (gst_buffer_peek_memory (au->buffer, 0), NULL,
        &maxsize);
    if (k == 0) {
      held = au;
      continue;
    }
    if (k == 31) {
      fail_unless (au->keyframe);
      fail_unless_equals_int (au->bytes_copied, 200000 - 2);
    } else {
      fail_unless (maxsize < 100000, "P picture %u in %" G_GSIZE_FORMAT
          " bytes", k, maxsize);
    }
    arcly_h265_depay_au_free (au);
  }
  arcly_h265_depay_au_free (held);
  g_ptr_array_unref (idr_fus);
  g_ptr_array_unref (p_fus);
  g_free (idr_nal);
  g_free (p_nal);
  ctx_clear (&c);
}

GST_END_TEST;

typedef struct
{
  const gchar *name;
  const gchar *hex;
} Hostile;

/* Each is fed between two good NAL units of one AU.  A packet that is
 * dropped whole leaves the AU intact; one that breaks the AU drops it. */
static const Hostile hostile[] = {
  {"empty", ""},
  {"one byte", "26"},
  {"forbidden bit", "a601aabb"},
  {"temporal id 0", "2600aabb"},
  {"type 63", "7e01aabb"},
  {"type 51", "6601aabb"},
  {"AP header only", "6001"},
  {"AP one length byte", "600100"},
  {"AP zero length", "60010000"},
  {"AP length one", "6001000126"},
  {"AP length past end", "60010010260102"},
  {"AP trailing byte", "600100022601ff"},
  {"AP with an FU inside", "600100036201d3"},
  {"AP with a bad header inside", "60010002a601"},
  {"FU S+E", "6201d3aa"},
  {"FU type 48", "6201b0aa"},
  {"FU header only", "6201"},
  {"PACI", "640100000000"},
  {"zeros", "00000000"},
  {"start code only", "000001"},
  {"ones", "ffffffffffff"},
};

static void
check_au_sane (ArclyH265DepayAu * au)
{
  GstMapInfo map;

  fail_unless (gst_buffer_map (au->buffer, &map, GST_MAP_READ));
  fail_unless (au->n_nals > 0 && map.size >= 6 * (gsize) au->n_nals);
  fail_unless (memcmp (map.data, "\0\0\0\1", 4) == 0);
  /* the first NAL header is one a decoder accepts */
  fail_unless ((map.data[4] & 0x80) == 0 && (map.data[5] & 7) != 0);
  fail_unless (((map.data[4] >> 1) & 0x3f) < 48);
  gst_buffer_unmap (au->buffer, &map);
}

GST_START_TEST (test_hostile)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (hostile); i++) {
    gsize len, n;
    guint8 *d = g_malloc (strlen (hostile[i].hex) / 2 + 1);

    len = strlen (hostile[i].hex) / 2;
    for (n = 0; n < len; n++)
      d[n] = g_ascii_xdigit_value (hostile[i].hex[2 * n]) << 4 |
          g_ascii_xdigit_value (hostile[i].hex[2 * n + 1]);
    /* the payload and every prefix of it */
    for (n = 0; n <= len; n++) {
      Ctx c;
      ArclyH265DepayAu *au;

      ctx_init (&c);
      feed (&c, 3000, FALSE, NAL (idr));
      feed (&c, 3000, FALSE, d, n);
      feed (&c, 3000, TRUE, NAL (trail));
      feed (&c, 6000, TRUE, NAL (trail));
      /* the next AU always comes out */
      fail_unless (g_queue_get_length (&c.out) >= 1, "%s", hostile[i].name);
      while ((au = g_queue_pop_head (&c.out))) {
        check_au_sane (au);
        arcly_h265_depay_au_free (au);
      }
      ctx_clear (&c);
    }
    g_free (d);
  }
}

GST_END_TEST;

/* The hostile table's whole packets are counted as dropped. */
GST_START_TEST (test_hostile_counted)
{
  Ctx c;
  const guint8 fbit[] = { 0xa6, 0x01, 0xaa };
  const guint8 t63[] = { 0x7e, 0x01, 0xaa };
  const guint8 ap_bad[] = { 0x60, 0x01, 0x00, 0x10, 0x26, 0x01 };
  const guint8 paci[] = { 0x64, 0x01, 0x00, 0x00 };
  guint ev;

  ctx_init (&c);
  fail_unless (feed (&c, 3000, FALSE, NAL (fbit)) &
      ARCLY_H265_DEPAY_EV_MALFORMED);
  fail_unless (feed (&c, 3000, FALSE, NAL (t63)) &
      ARCLY_H265_DEPAY_EV_MALFORMED);
  fail_unless (feed (&c, 3000, FALSE, NAL (ap_bad)) &
      ARCLY_H265_DEPAY_EV_MALFORMED);
  feed (&c, 3000, TRUE, NAL (idr));
  fail_unless_equals_int (g_queue_get_length (&c.out), 1);
  fail_unless_equals_uint64 (arcly_h265_depay_core_get_stats (c.core)->
      packets_dropped, 3);
  /* PACI: reported once, the AU it belongs to is incomplete */
  ev = feed (&c, 6000, FALSE, NAL (paci));
  fail_unless (ev & ARCLY_H265_DEPAY_EV_UNSUPPORTED);
  ev = feed (&c, 6000, TRUE, NAL (paci));
  fail_if (ev & ARCLY_H265_DEPAY_EV_UNSUPPORTED);
  fail_unless_equals_int (g_queue_get_length (&c.out), 1);
  fail_unless_equals_uint64 (arcly_h265_depay_core_get_stats (c.core)->
      packets_dropped, 5);
  ctx_clear (&c);
}

GST_END_TEST;

/* Seeded random packets, biased towards the RTP structures: never a
 * crash, every AU sane, copies bounded. */
GST_START_TEST (test_random)
{
  GRand *rand = g_rand_new_with_seed (7798);
  guint round;

  for (round = 0; round < 4; round++) {
    Ctx c;
    guint i;
    guint32 ts = 0;
    ArclyH265DepayAu *au;
    const ArclyH265DepayStats *st;

    ctx_init (&c);
    arcly_h265_depay_core_set_donl (c.core, round & 1);
    arcly_h265_depay_core_set_wait_keyframe (c.core, round & 2);
    c.split = round >= 2;
    for (i = 0; i < 5000; i++) {
      guint8 pkt[64];
      gsize n = g_rand_int_range (rand, 0, sizeof (pkt) + 1), k;
      static const guint8 types[] = { 1, 19, 21, 32, 33, 34, 35, 39, 48, 49,
        50, 63
      };

      for (k = 0; k < n; k++)
        pkt[k] = g_rand_int_range (rand, 0, 256);
      if (n >= 2 && g_rand_boolean (rand)) {
        pkt[0] = types[g_rand_int_range (rand, 0, G_N_ELEMENTS (types))] << 1;
        pkt[1] = 1;
      }
      if (n >= 3 && pkt[0] == 49 << 1 && g_rand_boolean (rand))
        pkt[2] = (pkt[2] & 0xc0) | 19;
      if (g_rand_int_range (rand, 0, 8) == 0)
        ts += 3000;
      if (g_rand_int_range (rand, 0, 50) == 0)
        c.seq++;
      c.discont = g_rand_int_range (rand, 0, 100) == 0;
      feed (&c, ts, g_rand_int_range (rand, 0, 6) == 0, pkt, n);
      while ((au = g_queue_pop_head (&c.out))) {
        check_au_sane (au);
        arcly_h265_depay_au_free (au);
      }
    }
    arcly_h265_depay_core_drain (c.core, &c.out);
    while ((au = g_queue_pop_head (&c.out))) {
      check_au_sane (au);
      arcly_h265_depay_au_free (au);
    }
    st = arcly_h265_depay_core_get_stats (c.core);
    fail_unless (st->packets == 5000);
    fail_unless (st->packets_dropped > 0 && st->aus_pushed > 0);
    fail_unless (st->bytes_copied <= 3 * st->bytes_out);
    ctx_clear (&c);
  }
  g_rand_free (rand);
}

GST_END_TEST;

static Suite *
h265depaycore_suite (void)
{
  Suite *s = suite_create ("h265depaycore");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_single_nal);
  tcase_add_test (tc, test_not_shareable_counts_copies);
  tcase_add_test (tc, test_sprop_insertion);
  tcase_add_test (tc, test_sprop_quirks);
  tcase_add_test (tc, test_ap);
  tcase_add_test (tc, test_ap_truncated);
  tcase_add_test (tc, test_fu);
  tcase_add_test (tc, test_fu_split_memories);
  tcase_add_test (tc, test_fu_header_rebuilt);
  tcase_add_test (tc, test_fu_errors);
  tcase_add_test (tc, test_fu_truncated);
  tcase_add_test (tc, test_donl);
  tcase_add_test (tc, test_no_marker);
  tcase_add_test (tc, test_params_alone_and_repeated);
  tcase_add_test (tc, test_wait_keyframe);
  tcase_add_test (tc, test_many_nals);
  tcase_add_test (tc, test_annexb_payload);
  tcase_add_test (tc, test_fu_bounded);
  tcase_add_test (tc, test_fu_irap_sized_apart);
  tcase_add_test (tc, test_hostile);
  tcase_add_test (tc, test_hostile_counted);
  tcase_add_test (tc, test_random);
  return s;
}

GST_CHECK_MAIN (h265depaycore);
