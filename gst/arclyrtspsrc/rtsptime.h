/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Time bookkeeping for an RTP receiver, as pure functions: 32 → 64-bit RTP
 * timestamp unwrapping, sequence statistics, RTCP sender report parsing and
 * receiver report building (RFC 3550 §6.4), NTP conversion, and a slow
 * drift estimator.  No element code, no I/O, no clock reads.
 */

#ifndef __ARCLY_RTSP_TIME_H__
#define __ARCLY_RTSP_TIME_H__

#include <glib.h>

G_BEGIN_DECLS

/* --- RTP timestamps ---------------------------------------------------- */

typedef struct
{
  gboolean have;
  guint32 last;
  gint64 ext;
} ArclyRtpUnwrap;

/* Extends @ts to 64 bits: the first value is returned as is, later ones
 * move by the signed 32-bit difference from the previous one, so both
 * forward wraps and small backward steps (B-frames, reordering) work. */
gint64   arcly_rtp_unwrap (ArclyRtpUnwrap * u, guint32 ts);

/* --- sequence numbers (RFC 3550 appendix A.1, simplified) -------------- */

typedef struct
{
  gboolean have;
  guint16 max_seq;
  guint32 cycles;
  guint32 base_seq;
  guint64 received;
  guint64 expected_prior;
  guint64 received_prior;
} ArclyRtpSeqStats;

void     arcly_rtp_seq_update (ArclyRtpSeqStats * s, guint16 seq);

/* --- RTP header ---------------------------------------------------------*/

typedef struct
{
  guint8 pt;
  gboolean marker;
  guint16 seq;
  guint32 ts;
  guint32 ssrc;
  gsize payload_offset;         /* after CSRCs and the header extension */
  gsize payload_len;            /* without padding */
} ArclyRtpHeader;

/* Parses the fixed RTP header of @data (RFC 3550 §5.1): version 2, the
 * CSRC list, the header extension and the padding must all fit in @len.
 * FALSE for anything else (the packet is then dropped). */
gboolean arcly_rtp_parse_header (const guint8 * data, gsize len,
                                 ArclyRtpHeader * h);

/* --- RTCP ----------------------------------------------------------------*/

/* TRUE if @data looks like RTCP: version 2 and packet type 200..204.  RTP
 * payload types never land there once the marker bit is taken into account
 * (RFC 5761 §4), so this recognises RTCP sent on the RTP channel. */
gboolean arcly_rtcp_is_rtcp (const guint8 * data, gsize len);

typedef struct
{
  guint32 ssrc;
  guint64 ntp;                  /* 32.32 fixed point */
  guint32 rtp_ts;
  guint32 packets;
  guint32 octets;
} ArclyRtcpSr;

/* Walks a compound RTCP packet; TRUE and *sr filled for the first SR. */
gboolean arcly_rtcp_find_sr (const guint8 * data, gsize len, ArclyRtcpSr * sr);

typedef struct
{
  guint32 ssrc;                 /* the source reported on */
  guint8 fraction_lost;
  gint32 cumulative_lost;       /* 24-bit signed on the wire */
  guint32 ext_highest_seq;
  guint32 jitter;
  guint32 lsr;                  /* middle 32 bits of the last SR's NTP */
  guint32 dlsr;                 /* 1/65536 s since that SR */
} ArclyRtcpReportBlock;

/* Fills the loss fields of @block from @s and starts a new interval. */
void     arcly_rtp_seq_fill_report (ArclyRtpSeqStats * s,
                                    ArclyRtcpReportBlock * block);

/* Writes a compound RR (+ SDES CNAME) into @out.  @block may be NULL (an
 * empty RR, before any packet).  Returns the length, 0 if @out_size is too
 * small.  The result is always a multiple of 4 and at most 128 bytes with a
 * CNAME of up to 64 bytes (longer ones are cut). */
gsize    arcly_rtcp_build_rr (guint8 * out, gsize out_size, guint32 ssrc,
                              const ArclyRtcpReportBlock * block,
                              const gchar * cname);

/* NTP 32.32 → nanoseconds since the NTP epoch. */
guint64  arcly_ntp_to_ns (guint64 ntp);

/* --- slow drift estimation ---------------------------------------------- */

/* Tracks arrival − nominal time (ns), keeping the minimum of each window of
 * ARCLY_DRIFT_WINDOW (network jitter only ever delays arrival, so the
 * minimum is the clean sample) and smoothing it.  The estimate is how much
 * later than its start the sender's clock runs relative to ours. */
#define ARCLY_DRIFT_WINDOW (2 * G_GINT64_CONSTANT (1000000000))

typedef struct
{
  gboolean have_ref;
  gint64 ref;                   /* minimum of the first window */
  gboolean in_window;
  gint64 window_start;
  gint64 window_min;
  gint64 estimate;
} ArclyDrift;

/* Feeds one sample; returns the current estimate (ns). */
gint64   arcly_drift_sample (ArclyDrift * d, gint64 arrival, gint64 nominal);

/* Moves @current towards @target by at most @max_step. */
gint64   arcly_slew (gint64 current, gint64 target, gint64 max_step);

G_END_DECLS

#endif
