/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * libFuzzer target for what arclyrtspsrc reads out of the server's
 * interleaved frames (gst/arclyrtspsrc/rtsptime.c): RTCP recognition by
 * packet type, sender report parsing in a compound packet, the RTP header,
 * and the receiver bookkeeping those feed (timestamp unwrapping, sequence
 * statistics, the RR built back from them, and the clock mapping of
 * rtspsync.c: PTS, SR and RTP-Info alignment, drift, on three tracks of
 * 90000, 48000 and 1 Hz picked by SSRC).
 *
 * Input: frames as `len_hi len_lo bytes...` (a frame's payload, as the
 * element gets it after the `$ channel` prefix); a truncated last frame is
 * used as is.  Every frame goes through the element's path: RTCP if it
 * looks like RTCP (on any channel), else RTP.
 */

#include <stdint.h>
#include <string.h>
#include <glib.h>

#include "rtspsync.h"
#include "rtsptime.h"

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  ArclyRtpUnwrap unwrap = { 0, };
  ArclyRtpSeqStats seq = { 0, };
  static const guint rates[3] = { 90000, 48000, 1 };
  ArclySync sync;
  ArclySyncTrack tr[3];
  ArclySyncTrack *v[3] = { &tr[0], &tr[1], &tr[2] };
  guint64 last_pts[3] = { ARCLY_SYNC_NONE, ARCLY_SYNC_NONE, ARCLY_SYNC_NONE };
  guint64 now = 1000000000;
  guint k;
  gboolean have_sr = FALSE;
  ArclyRtcpSr last_sr = { 0, };
  gsize pos = 0;
  guint frames = 0;

  arcly_sync_init (&sync, 200000000);
  for (k = 0; k < 3; k++) {
    arcly_sync_track_init (&tr[k], rates[k]);
    tr[k].active = TRUE;
  }

  while (pos < size) {
    gsize len = 0, avail;
    const guint8 *p;

    if (size - pos >= 2) {
      len = ((gsize) data[pos] << 8) | data[pos + 1];
      pos += 2;
    } else {
      pos = size;
    }
    avail = size - pos;
    if (len > avail)
      len = avail;
    p = data + pos;
    pos += len;
    frames++;

    if (arcly_rtcp_is_rtcp (p, len)) {
      ArclyRtcpSr sr;

      g_assert (len >= 4);
      if (arcly_rtcp_find_sr (p, len, &sr)) {
        /* an SR is at least 28 bytes inside the packet */
        g_assert (len >= 28);
        (void) arcly_ntp_to_ns (sr.ntp);
        last_sr = sr;
        have_sr = TRUE;
        if (arcly_sync_sr (&tr[sr.ssrc % 3], &sr, (gint64) (now / 1000)))
          (void) arcly_sync_align (v, 3, TRUE);
      }
    } else {
      ArclyRtpHeader h;

      if (arcly_rtp_parse_header (p, len, &h)) {
        g_assert (h.payload_offset >= 12);
        g_assert (h.payload_offset <= len);
        g_assert (h.payload_offset + h.payload_len <= len);
        ArclySyncTrack *t = &tr[h.ssrc % 3];
        gint64 ext = arcly_rtp_unwrap (&t->unwrap, h.ts);
        gboolean new_base;
        guint aligned;
        guint64 pts;

        (void) arcly_rtp_unwrap (&unwrap, h.ts);
        arcly_rtp_seq_update (&seq, h.seq);
        /* the RTP-Info of the PLAY reply, from the marker bit */
        if (h.marker && !t->have_rtpinfo) {
          t->have_rtpinfo = TRUE;
          t->rtpinfo_ts = h.ts ^ h.seq;
        }
        now += (guint64) (h.seq & 0xff) * 1000000;
        pts = arcly_sync_pts (&sync, t, t == &tr[0], v, 3, ext, now,
            last_pts[h.ssrc % 3], &new_base, &aligned);
        g_assert (aligned < 8);
        last_pts[h.ssrc % 3] = pts;
      }
    }

    /* a receiver report every few frames, as the element does every 2 s */
    if (frames % 4 == 0) {
      ArclyRtcpReportBlock b = { 0, };
      guint8 out[4 + 160];
      gsize n;

      if (seq.have) {
        arcly_rtp_seq_fill_report (&seq, &b);
        g_assert (b.cumulative_lost >= -0x800000
            && b.cumulative_lost <= 0x7fffff);
      }
      if (have_sr)
        b.lsr = (guint32) (last_sr.ntp >> 16);
      arcly_sync_fill_report (&tr[frames % 3], (gint64) (now / 1000), &b);
      n = arcly_rtcp_build_rr (out, sizeof (out), 0x12345678,
          seq.have ? &b : NULL, "arclyrtspsrc");
      g_assert (n > 0 && n % 4 == 0 && n <= 128);
      /* what we send is RTCP, and has no SR in it */
      g_assert (arcly_rtcp_is_rtcp (out, n));
      {
        ArclyRtcpSr none;

        g_assert (!arcly_rtcp_find_sr (out, n, &none));
      }
    }
  }
  return 0;
}
