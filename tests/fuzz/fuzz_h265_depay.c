/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * libFuzzer target for gst/arclyrtspsrc/h265depaycore.c (and the H.265
 * parameter-set parsers it calls): the input is a sequence of RTP packets
 * fed to the depacketizer core.
 *
 *   byte 0       options: bit 0 DONL/DOND present (sprop-max-don-diff >
 *                0), bit 1 no parameter-set insertion, bit 2
 *                wait-for-keyframe, bit 3 a sprop string follows
 *                (NUL-terminated)
 *   then records [ctl][len][len bytes of payload]
 *     ctl bit 0  marker, bit 1 new timestamp, bit 2 skip a sequence number,
 *         bit 3  upstream DISCONT, bit 4 payload not shareable (copied),
 *         bits 5-7 added to the length (len * 8 + bits)
 *
 * Each payload lives in its own exact-size GstMemory (so ASan sees a read
 * past it).  Shareable FU payloads with an odd sequence number are handed
 * over split, as rtph265pay sends them: payload header + FU header and
 * fragment in two memories of a GstBuffer (ArclyH265DepayPacket.buffer).
 * Every returned AU must be well-formed: a start code first, a NAL header
 * a decoder accepts after it, room for its NAL units; copies bounded.
 */

#include <gst/gst.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "h265depaycore.h"

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

static void
check_au (ArclyH265DepayAu * au)
{
  GstMapInfo map;

  if (!gst_buffer_map (au->buffer, &map, GST_MAP_READ))
    abort ();
  /* NAL contents are arbitrary, so only the first start code, the first
   * header and the minimum size can be checked */
  if (au->n_nals == 0 || map.size < 6 * (gsize) au->n_nals ||
      memcmp (map.data, "\0\0\0\1", 4) != 0 || (map.data[4] & 0x80) ||
      (map.data[5] & 7) == 0 || ((map.data[4] >> 1) & 0x3f) >= 48)
    abort ();
  gst_buffer_unmap (au->buffer, &map);
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  static gboolean inited = FALSE;
  ArclyH265DepayCore *core;
  GQueue out = G_QUEUE_INIT;
  ArclyH265DepayAu *au;
  gsize pos = 1;
  guint16 seq = 100;
  guint32 ts = 0xfffff000u;
  guint8 opts;

  if (!inited) {
    gst_init (NULL, NULL);
    /* a CRITICAL is a bug the fuzzer must report */
    g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
    inited = TRUE;
  }
  if (size < 1)
    return 0;
  opts = data[0];

  core = arcly_h265_depay_core_new ();
  arcly_h265_depay_core_set_donl (core, (opts & 1) != 0);
  arcly_h265_depay_core_set_insert_params (core, !(opts & 2));
  arcly_h265_depay_core_set_wait_keyframe (core, (opts & 4) != 0);
  if (opts & 8) {
    const guint8 *end = memchr (data + 1, 0, size - 1);

    if (end) {
      arcly_h265_depay_core_set_sprop (core, (const gchar *) data + 1);
      pos = end - data + 1;
    }
  }

  while (pos + 2 <= size) {
    guint8 ctl = data[pos];
    gsize len = MIN ((gsize) data[pos + 1] * 8 + (ctl >> 5), size - pos - 2);
    ArclyH265DepayPacket pkt = { 0, };
    guint8 *copy = g_malloc (len ? len : 1);
    GstMemory *mem = NULL;
    GstBuffer *split = NULL;

    memcpy (copy, data + pos + 2, len);
    pos += 2 + len;
    if (!(ctl & 16) && len > 0)
      mem = gst_memory_new_wrapped (GST_MEMORY_FLAG_READONLY, copy, len, 0,
          len, copy, g_free);

    if (ctl & 2)
      ts += 3000;
    if (ctl & 4)
      seq++;
    pkt.data = copy;
    pkt.size = len;
    pkt.mem = mem;
    pkt.mem_offset = 0;
    if (mem && len > 3 && ((copy[0] >> 1) & 0x3f) == 49 && (seq & 1)) {
      split = gst_buffer_new ();
      gst_buffer_append_memory (split, gst_memory_share (mem, 0, 3));
      gst_buffer_append_memory (split, gst_memory_share (mem, 3, len - 3));
      pkt.data = NULL;
      pkt.mem = NULL;
      memcpy (pkt.head, copy, 3);
      pkt.buffer = split;
      pkt.buffer_offset = 0;
    }
    pkt.seq = seq++;
    pkt.rtp_ts = ts;
    pkt.marker = ctl & 1;
    pkt.discont = (ctl & 8) != 0;
    pkt.pts = ts;
    arcly_h265_depay_core_push (core, &pkt, &out);

    if (split)
      gst_buffer_unref (split);
    if (mem)
      gst_memory_unref (mem);
    else
      g_free (copy);

    while ((au = g_queue_pop_head (&out))) {
      check_au (au);
      arcly_h265_depay_au_free (au);
    }
  }
  arcly_h265_depay_core_drain (core, &out);
  while ((au = g_queue_pop_head (&out))) {
    check_au (au);
    arcly_h265_depay_au_free (au);
  }
  {
    const ArclyH265DepayStats *st = arcly_h265_depay_core_get_stats (core);

    /* at most: a non-shareable fragment copied, joined, then the AU
     * coalesced for having more NAL units than a buffer holds memories */
    if (st->bytes_copied > 3 * st->bytes_out)
      abort ();
  }
  arcly_h265_depay_core_free (core);
  return 0;
}
