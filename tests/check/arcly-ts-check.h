/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A small MPEG-TS walker for the tests that read back what arclytsmux and
 * arclyhlssink write: every packet well formed, continuity counters
 * continuous per PID, PSI CRCs right, PES packets reassembled with their
 * timestamps and random access indicator.  Header-only; include after
 * gst/check/gstcheck.h and tswriter.h (for the CRC), with PMT_PID defined.
 */

#ifndef __ARCLY_TS_CHECK_H__
#define __ARCLY_TS_CHECK_H__

#include <gst/check/gstcheck.h>
#include "tswriter.h"

typedef struct
{
  guint pid;
  guint stream_id;
  gsize offset;                 /* byte offset of its first packet */
  gboolean rai;
  gboolean data_alignment;
  gboolean has_pts, has_dts;
  guint64 pts, dts;
  guint64 pcr_before;           /* last PCR (27 MHz) seen before it */
  gboolean have_pcr_before;
  guint pes_length;
  GByteArray *es;
} Pes;

typedef struct
{
  GArray *pcr_values;           /* guint64, 27 MHz, in stream order */
  GArray *pat_offsets;          /* gsize */
  GArray *pmt_offsets;          /* gsize */
  GPtrArray *pes;               /* Pes* */
  guint pcr_pid;
  guint n_streams;
  guint stream_pids[8];
  guint stream_types[8];
  guint pcr_only_packets;
} TsScan;

static inline void
pes_free (Pes * p)
{
  g_byte_array_unref (p->es);
  g_free (p);
}

static inline void
ts_scan_free (TsScan * s)
{
  g_array_unref (s->pcr_values);
  g_array_unref (s->pat_offsets);
  g_array_unref (s->pmt_offsets);
  g_ptr_array_unref (s->pes);
  g_free (s);
}

static inline guint64
read_ts (const guint8 * p)
{
  fail_unless (p[0] & 1 && p[2] & 1 && p[4] & 1, "PTS/DTS marker bits");
  return ((guint64) (p[0] & 0x0e) << 29) | (p[1] << 22) |
      ((p[2] & 0xfe) << 14) | (p[3] << 7) | (p[4] >> 1);
}

static inline void
finish_pes (Pes * p)
{
  const guint8 *d;
  guint flags, hlen;

  if (!p)
    return;
  d = p->es->data;
  fail_unless (p->es->len >= 9, "PES shorter than its header");
  fail_unless (d[0] == 0 && d[1] == 0 && d[2] == 1, "PES start code");
  p->stream_id = d[3];
  p->pes_length = (d[4] << 8) | d[5];
  fail_unless_equals_int (d[6] & 0xc0, 0x80);
  p->data_alignment = (d[6] & 0x04) != 0;
  flags = d[7] >> 6;
  hlen = d[8];
  if (flags & 2) {
    p->has_pts = TRUE;
    fail_unless_equals_int (d[9] >> 4, flags == 3 ? 3 : 2);
    p->pts = read_ts (d + 9);
  }
  if (flags == 3) {
    p->has_dts = TRUE;
    fail_unless_equals_int (d[14] >> 4, 1);
    p->dts = read_ts (d + 14);
  }
  if (p->pes_length != 0)
    fail_unless_equals_int (p->pes_length + 6, p->es->len);
  g_byte_array_remove_range (p->es, 0, 9 + hlen);
}

static inline void
check_psi (const guint8 * payload, gsize size, guint table_id, TsScan * s)
{
  const guint8 *sec;
  guint len;

  fail_unless (size > 1 && payload[0] == 0, "pointer_field");
  sec = payload + 1;
  fail_unless_equals_int (sec[0], table_id);
  len = ((sec[1] & 0x0f) << 8) | sec[2];
  fail_unless (3 + len <= size - 1);
  fail_unless_equals_int (arcly_ts_crc32 (sec, 3 + len), 0);
  if (table_id == 0x00) {
    fail_unless_equals_int ((sec[8] << 8) | sec[9], 1);
    fail_unless_equals_int (((sec[10] & 0x1f) << 8) | sec[11], PMT_PID);
  } else {
    guint i, n = (len - 13) / 5;

    s->pcr_pid = ((sec[8] & 0x1f) << 8) | sec[9];
    s->n_streams = n;
    for (i = 0; i < n && i < 8; i++) {
      s->stream_types[i] = sec[12 + 5 * i];
      s->stream_pids[i] = ((sec[13 + 5 * i] & 0x1f) << 8) | sec[14 + 5 * i];
    }
  }
}

/* Walks a whole transport stream: every packet well formed, continuity
 * counters continuous per PID, PSI CRCs right, PES reassembled. */
static inline TsScan *
ts_scan (const guint8 * data, gsize size)
{
  TsScan *s = g_new0 (TsScan, 1);
  gint cc[0x2000];
  Pes *cur[0x2000];
  gsize off;
  guint64 last_pcr = 0;
  gboolean have_pcr = FALSE;
  guint i;

  for (i = 0; i < 0x2000; i++) {
    cc[i] = -1;
    cur[i] = NULL;
  }
  s->pcr_values = g_array_new (FALSE, FALSE, sizeof (guint64));
  s->pat_offsets = g_array_new (FALSE, FALSE, sizeof (gsize));
  s->pmt_offsets = g_array_new (FALSE, FALSE, sizeof (gsize));
  s->pes = g_ptr_array_new_with_free_func ((GDestroyNotify) pes_free);

  fail_unless_equals_int (size % 188, 0);
  for (off = 0; off < size; off += 188) {
    const guint8 *p = data + off, *q = p + 4;
    guint pid = ((p[1] & 0x1f) << 8) | p[2];
    gboolean pusi = (p[1] & 0x40) != 0, rai = FALSE;
    guint afc = (p[3] >> 4) & 3, c = p[3] & 0xf;

    fail_unless_equals_int (p[0], 0x47);
    fail_unless (afc != 0);
    if (afc & 2) {
      guint af_len = q[0];

      fail_unless (af_len <= (afc == 3 ? 182u : 183u));
      if (af_len > 0) {
        rai = (q[1] & 0x40) != 0;
        if (q[1] & 0x10) {
          const guint8 *f = q + 2;
          guint64 base = ((guint64) f[0] << 25) | (f[1] << 17) |
              (f[2] << 9) | (f[3] << 1) | (f[4] >> 7);
          guint64 pcr = base * 300 + (((f[4] & 1) << 8) | f[5]);

          fail_unless_equals_int (pid, s->pcr_pid);
          g_array_append_val (s->pcr_values, pcr);
          last_pcr = pcr;
          have_pcr = TRUE;
          if (afc == 2)
            s->pcr_only_packets++;
        }
      }
      q += 1 + af_len;
    }
    /* §2.4.3.3: +1 per payload packet, unchanged without payload */
    if (cc[pid] >= 0)
      fail_unless_equals_int (c, (afc & 1) ? (cc[pid] + 1) & 0xf : cc[pid]);
    cc[pid] = c;
    if (!(afc & 1))
      continue;
    if (pid == 0) {
      fail_unless (pusi);
      g_array_append_val (s->pat_offsets, off);
      check_psi (q, p + 188 - q, 0x00, s);
      continue;
    }
    if (pid == PMT_PID) {
      fail_unless (pusi);
      g_array_append_val (s->pmt_offsets, off);
      check_psi (q, p + 188 - q, 0x02, s);
      continue;
    }
    if (pusi) {
      if (cur[pid]) {
        finish_pes (cur[pid]);
        g_ptr_array_add (s->pes, cur[pid]);
      }
      cur[pid] = g_new0 (Pes, 1);
      cur[pid]->pid = pid;
      cur[pid]->offset = off;
      cur[pid]->rai = rai;
      cur[pid]->es = g_byte_array_new ();
      cur[pid]->have_pcr_before = have_pcr;
      cur[pid]->pcr_before = last_pcr;
    } else {
      fail_if (rai, "random_access_indicator outside a PES start");
    }
    fail_unless (cur[pid] != NULL, "payload before the first PUSI on 0x%x",
        pid);
    g_byte_array_append (cur[pid]->es, q, p + 188 - q);
  }
  for (i = 0; i < 0x2000; i++) {
    if (cur[i]) {
      finish_pes (cur[i]);
      g_ptr_array_add (s->pes, cur[i]);
    }
  }
  return s;
}

static inline gint
cmp_pes_offset (gconstpointer a, gconstpointer b)
{
  const Pes *pa = *(Pes * const *) a, *pb = *(Pes * const *) b;

  return pa->offset < pb->offset ? -1 : pa->offset > pb->offset;
}

#endif
