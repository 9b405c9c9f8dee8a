/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * libFuzzer target for gst/arclyrtspsrc/h264depaycore.c: the input is a
 * sequence of RTP packets fed to the depacketizer core.
 *
 *   byte 0       options: bit 0 avc output, bit 1 no parameter-set
 *                insertion, bit 2 wait-for-keyframe, bit 3 a
 *                sprop-parameter-sets string follows (NUL-terminated)
 *   then records [ctl][len][len bytes of payload]
 *     ctl bit 0  marker, bit 1 new timestamp, bit 2 skip a sequence number,
 *         bit 3  upstream DISCONT, bit 4 payload not shareable (copied)
 *
 * Each payload lives in its own exact-size GstMemory (so ASan sees a read
 * past it).  Shareable FU-A payloads with an odd sequence number are
 * handed over split, as rtph264pay sends them: FU indicator + header and
 * fragment in two memories of a GstBuffer (ArclyH264DepayPacket.buffer).  Every returned AU must be well-formed: a start code or a
 * length that matches before every NAL unit.
 */

#include <gst/gst.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "h264depaycore.h"

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

static void
check_au (ArclyH264DepayAu * au, ArclyH264DepayFormat format)
{
  GstMapInfo map;
  gsize pos = 0;
  guint n = 0;

  if (!gst_buffer_map (au->buffer, &map, GST_MAP_READ))
    abort ();
  if (format == ARCLY_H264_DEPAY_FORMAT_AVC) {
    /* lengths must tile the buffer exactly */
    while (pos < map.size) {
      gsize len;

      if (map.size - pos < 5)
        abort ();
      len = (gsize) map.data[pos] << 24 | map.data[pos + 1] << 16 |
          map.data[pos + 2] << 8 | map.data[pos + 3];
      if (len == 0 || len > map.size - pos - 4)
        abort ();
      pos += 4 + len;
      n++;
    }
    if (n != au->n_nals)
      abort ();
  } else {
    /* NAL contents are arbitrary here, so only the first start code and
     * the minimum size can be checked */
    if (map.size < 5 * (gsize) au->n_nals || au->n_nals == 0 ||
        memcmp (map.data, "\0\0\0\1", 4) != 0)
      abort ();
  }
  gst_buffer_unmap (au->buffer, &map);
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  static gboolean inited = FALSE;
  ArclyH264DepayCore *core;
  ArclyH264DepayFormat format;
  GQueue out = G_QUEUE_INIT;
  ArclyH264DepayAu *au;
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
  format = (opts & 1) ? ARCLY_H264_DEPAY_FORMAT_AVC :
      ARCLY_H264_DEPAY_FORMAT_BYTE_STREAM;

  core = arcly_h264_depay_core_new ();
  arcly_h264_depay_core_set_format (core, format);
  arcly_h264_depay_core_set_insert_params (core, !(opts & 2));
  arcly_h264_depay_core_set_wait_keyframe (core, (opts & 4) != 0);
  if (opts & 8) {
    const guint8 *end = memchr (data + 1, 0, size - 1);

    if (end) {
      arcly_h264_depay_core_set_sprop (core, (const gchar *) data + 1);
      pos = end - data + 1;
    }
  }

  while (pos + 2 <= size) {
    guint8 ctl = data[pos];
    gsize len = MIN ((gsize) data[pos + 1] * 8 + (ctl >> 5), size - pos - 2);
    ArclyH264DepayPacket pkt = { 0, };
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
    if (mem && len > 2 && (copy[0] & 0x1f) == 28 && (seq & 1)) {
      split = gst_buffer_new ();
      gst_buffer_append_memory (split, gst_memory_share (mem, 0, 2));
      gst_buffer_append_memory (split, gst_memory_share (mem, 2, len - 2));
      pkt.data = NULL;
      pkt.mem = NULL;
      pkt.head[0] = copy[0];
      pkt.head[1] = copy[1];
      pkt.buffer = split;
      pkt.buffer_offset = 0;
    }
    pkt.seq = seq++;
    pkt.rtp_ts = ts;
    pkt.marker = ctl & 1;
    pkt.discont = (ctl & 8) != 0;
    pkt.pts = ts;
    arcly_h264_depay_core_push (core, &pkt, &out);

    if (split)
      gst_buffer_unref (split);
    if (mem)
      gst_memory_unref (mem);
    else
      g_free (copy);

    while ((au = g_queue_pop_head (&out))) {
      check_au (au, format);
      arcly_h264_depay_au_free (au);
    }
  }
  arcly_h264_depay_core_drain (core, &out);
  while ((au = g_queue_pop_head (&out))) {
    check_au (au, format);
    arcly_h264_depay_au_free (au);
  }
  {
    const ArclyH264DepayStats *st = arcly_h264_depay_core_get_stats (core);

    /* at most: a non-shareable fragment copied, joined, then the AU
     * coalesced for having more NAL units than a buffer holds memories */
    if (st->bytes_copied > 3 * st->bytes_out)
      abort ();
  }
  arcly_h264_depay_core_free (core);
  return 0;
}
