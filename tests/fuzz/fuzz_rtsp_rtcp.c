/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * libFuzzer target for what arclyrtspsrc reads out of the server's
 * interleaved frames (gst/arclyrtspsrc/rtsptime.c): RTCP recognition by
 * packet type, sender report parsing in a compound packet, the RTP header,
 * and the receiver bookkeeping those feed (timestamp unwrapping, sequence
 * statistics, the RR built back from them).
 *
 * Input: frames as `len_hi len_lo bytes...` (a frame's payload, as the
 * element gets it after the `$ channel` prefix); a truncated last frame is
 * used as is.  Every frame goes through the element's path: RTCP if it
 * looks like RTCP (on any channel), else RTP.
 */

#include <stdint.h>
#include <string.h>
#include <glib.h>

#include "rtsptime.h"

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  ArclyRtpUnwrap unwrap = { 0, };
  ArclyRtpSeqStats seq = { 0, };
  gboolean have_sr = FALSE;
  ArclyRtcpSr last_sr = { 0, };
  gsize pos = 0;
  guint frames = 0;

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
      }
    } else {
      ArclyRtpHeader h;

      if (arcly_rtp_parse_header (p, len, &h)) {
        g_assert (h.payload_offset >= 12);
        g_assert (h.payload_offset <= len);
        g_assert (h.payload_offset + h.payload_len <= len);
        (void) arcly_rtp_unwrap (&unwrap, h.ts);
        arcly_rtp_seq_update (&seq, h.seq);
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
