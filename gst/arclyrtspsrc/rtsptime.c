/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * RTP/RTCP time helpers; see rtsptime.h.
 *
 * RTCP common header (RFC 3550 §6.4.1):
 *    0                   1                   2                   3
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |V=2|P|   RC    |      PT       |        length (words - 1)     |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                     SSRC of sender                            |
 *   SR: NTP (64) | RTP ts (32) | packet count | octet count | blocks
 */

#include "rtsptime.h"

#include <string.h>

#define RTCP_SR 200
#define RTCP_RR 201
#define RTCP_SDES 202

gint64
arcly_rtp_unwrap (ArclyRtpUnwrap * u, guint32 ts)
{
  if (!u->have) {
    u->have = TRUE;
    u->ext = ts;
  } else {
    u->ext += (gint32) (ts - u->last);
  }
  u->last = ts;
  return u->ext;
}

void
arcly_rtp_seq_update (ArclyRtpSeqStats * s, guint16 seq)
{
  if (!s->have) {
    s->have = TRUE;
    s->max_seq = seq;
    s->base_seq = seq;
    s->cycles = 0;
  } else {
    guint16 delta = (guint16) (seq - s->max_seq);

    if (delta < 0x8000) {
      if (seq < s->max_seq)
        s->cycles += 0x10000;
      s->max_seq = seq;
    }
  }
  s->received++;
}

void
arcly_rtp_seq_fill_report (ArclyRtpSeqStats * s, ArclyRtcpReportBlock * b)
{
  guint64 ext_max = (guint64) s->cycles + s->max_seq;
  guint64 expected = s->have ? ext_max - s->base_seq + 1 : 0;
  gint64 lost = (gint64) expected - (gint64) s->received;
  guint64 exp_int = expected - s->expected_prior;
  guint64 rec_int = s->received - s->received_prior;
  gint64 lost_int = (gint64) exp_int - (gint64) rec_int;

  s->expected_prior = expected;
  s->received_prior = s->received;
  lost = CLAMP (lost, -0x800000, 0x7fffff);
  b->cumulative_lost = (gint32) lost;
  b->fraction_lost = (exp_int == 0 || lost_int <= 0) ? 0 :
      (guint8) MIN (255, ((guint64) lost_int << 8) / exp_int);
  b->ext_highest_seq = (guint32) ext_max;
}

gboolean
arcly_rtp_parse_header (const guint8 * data, gsize len, ArclyRtpHeader * h)
{
  gsize off, pad = 0;

  if (len < 12 || (data[0] >> 6) != 2)
    return FALSE;
  off = 12 + 4 * (gsize) (data[0] & 0x0f);
  if (off > len)
    return FALSE;
  if (data[0] & 0x10) {
    /* extension: 16-bit profile, 16-bit length in 32-bit words */
    if (off + 4 > len)
      return FALSE;
    off += 4 + 4 * (gsize) ((data[off + 2] << 8) | data[off + 3]);
    if (off > len)
      return FALSE;
  }
  if (data[0] & 0x20) {
    /* padding: the last byte counts the padding bytes, itself included */
    pad = data[len - 1];
    if (pad == 0 || pad > len - off)
      return FALSE;
  }
  h->marker = (data[1] & 0x80) != 0;
  h->pt = data[1] & 0x7f;
  h->seq = (guint16) ((data[2] << 8) | data[3]);
  h->ts = ((guint32) data[4] << 24) | ((guint32) data[5] << 16) |
      ((guint32) data[6] << 8) | data[7];
  h->ssrc = ((guint32) data[8] << 24) | ((guint32) data[9] << 16) |
      ((guint32) data[10] << 8) | data[11];
  h->payload_offset = off;
  h->payload_len = len - off - pad;
  return TRUE;
}

gboolean
arcly_rtcp_is_rtcp (const guint8 * data, gsize len)
{
  return len >= 4 && (data[0] >> 6) == 2 && data[1] >= 200 && data[1] <= 204;
}

static guint32
rd32 (const guint8 * p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) |
      ((guint32) p[2] << 8) | p[3];
}

static void
wr32 (guint8 * p, guint32 v)
{
  p[0] = v >> 24;
  p[1] = v >> 16;
  p[2] = v >> 8;
  p[3] = v;
}

gboolean
arcly_rtcp_find_sr (const guint8 * data, gsize len, ArclyRtcpSr * sr)
{
  gsize pos = 0;

  while (len - pos >= 4) {
    const guint8 *p = data + pos;
    gsize plen = ((gsize) ((p[2] << 8) | p[3]) + 1) * 4;

    if ((p[0] >> 6) != 2 || plen > len - pos)
      return FALSE;
    if (p[1] == RTCP_SR && plen >= 28) {
      sr->ssrc = rd32 (p + 4);
      sr->ntp = ((guint64) rd32 (p + 8) << 32) | rd32 (p + 12);
      sr->rtp_ts = rd32 (p + 16);
      sr->packets = rd32 (p + 20);
      sr->octets = rd32 (p + 24);
      return TRUE;
    }
    pos += plen;
  }
  return FALSE;
}

gsize
arcly_rtcp_build_rr (guint8 * out, gsize out_size, guint32 ssrc,
    const ArclyRtcpReportBlock * block, const gchar * cname)
{
  gsize rr_len = block ? 32 : 8;
  gsize cname_len = cname ? MIN (strlen (cname), 64) : 0;
  /* SDES: header, SSRC, type, length, text, >= 1 NUL, padded to 4 */
  gsize sdes_len = (8 + 2 + cname_len + 1 + 3) & ~(gsize) 3;
  gsize total = rr_len + sdes_len;
  guint8 *p;

  if (out_size < total)
    return 0;
  memset (out, 0, total);

  out[0] = 0x80 | (block ? 1 : 0);
  out[1] = RTCP_RR;
  out[2] = 0;
  out[3] = (guint8) (rr_len / 4 - 1);
  wr32 (out + 4, ssrc);
  if (block) {
    guint32 lost = (guint32) block->cumulative_lost & 0xffffff;

    wr32 (out + 8, block->ssrc);
    wr32 (out + 12, ((guint32) block->fraction_lost << 24) | lost);
    wr32 (out + 16, block->ext_highest_seq);
    wr32 (out + 20, block->jitter);
    wr32 (out + 24, block->lsr);
    wr32 (out + 28, block->dlsr);
  }

  p = out + rr_len;
  p[0] = 0x81;
  p[1] = RTCP_SDES;
  p[2] = 0;
  p[3] = (guint8) (sdes_len / 4 - 1);
  wr32 (p + 4, ssrc);
  p[8] = 1;                     /* CNAME */
  p[9] = (guint8) cname_len;
  if (cname_len)
    memcpy (p + 10, cname, cname_len);
  return total;
}

guint64
arcly_ntp_to_ns (guint64 ntp)
{
  guint64 sec = ntp >> 32, frac = ntp & 0xffffffff;

  return sec * G_GUINT64_CONSTANT (1000000000) +
      ((frac * G_GUINT64_CONSTANT (1000000000)) >> 32);
}

gint64
arcly_drift_sample (ArclyDrift * d, gint64 arrival, gint64 nominal)
{
  gint64 skew = arrival - nominal;

  if (!d->in_window) {
    d->in_window = TRUE;
    d->window_start = arrival;
    d->window_min = skew;
    return d->estimate;
  }
  d->window_min = MIN (d->window_min, skew);
  if (arrival - d->window_start < ARCLY_DRIFT_WINDOW)
    return d->estimate;

  if (!d->have_ref) {
    d->have_ref = TRUE;
    d->ref = d->window_min;
  } else {
    /* exponential smoothing, 1/8 per window */
    d->estimate += (d->window_min - d->ref - d->estimate) / 8;
  }
  d->in_window = FALSE;
  return d->estimate;
}

gint64
arcly_slew (gint64 current, gint64 target, gint64 max_step)
{
  if (target > current)
    return current + MIN (target - current, max_step);
  return current - MIN (current - target, max_step);
}
