/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Pure RTP → H.265 access-unit depacketizer (RFC 7798), used by
 * arclyh265depay.  No pads, no locks, no element code: it is fed RTP
 * payloads with their sequence number, timestamp and marker bit and returns
 * complete access units in byte-stream form (a 4-byte start code before
 * every NAL unit).
 *
 * Zero-copy, as in h264depaycore.h: NAL units of single NAL unit packets
 * and aggregation packets are GstMemory sub-memories of the packet memory;
 * their start codes are small read-only memories wrapping static bytes;
 * each FU fragment is copied once, straight into one memory (reused once
 * downstream releases it) that also holds the start code.  A single NAL
 * unit packet carrying a DONL field is copied too (its NAL header and
 * payload are not adjacent).  Every copied payload byte is counted in
 * ArclyH265DepayAu.bytes_copied.
 */

#ifndef __ARCLY_H265_DEPAY_CORE_H__
#define __ARCLY_H265_DEPAY_CORE_H__

#include <gst/gst.h>

G_BEGIN_DECLS

/* One RTP packet as the core sees it. */
typedef struct
{
  const guint8 *data;           /* RTP payload */
  gsize size;
  /* Memory holding @data, @data being at @mem_offset inside its visible
   * region (the offset gst_memory_share takes).  NULL, or a NO_SHARE
   * memory: NAL units are copied (and counted). */
  GstMemory *mem;
  gsize mem_offset;
  /* For an FU payload split over several memories (rtph265pay sends the
   * payload header + FU header and the fragment in different memories),
   * instead of merging it: @data NULL, @head the first three payload bytes,
   * and the rest is read (copied once, straight into the assembly memory)
   * from @buffer at @buffer_offset.  Only FU packets may come in this
   * form. */
  GstBuffer *buffer;
  gsize buffer_offset;
  guint8 head[3];
  guint16 seq;
  guint32 rtp_ts;
  gboolean marker;
  gboolean discont;             /* upstream flagged a discontinuity */
  GstClockTime pts;
} ArclyH265DepayPacket;

/* A complete access unit, ready to push. */
typedef struct
{
  GstBuffer *buffer;            /* owned; PTS set, flags not set */
  GstClockTime pts;
  guint32 rtp_ts;
  gboolean keyframe;            /* contains an IRAP picture (IDR/CRA/BLA) */
  gboolean discont;             /* first AU after a loss or a dropped AU */
  gboolean params_inserted;     /* VPS/SPS/PPS were inserted before it */
  guint n_nals;
  gsize bytes_copied;           /* payload bytes copied to build it */
} ArclyH265DepayAu;

/* Same fields, same meaning as ArclyH264DepayStats. */
typedef struct
{
  guint64 packets;              /* packets fed */
  guint64 packets_dropped;      /* malformed/unsupported/orphan packets */
  guint64 gaps;                 /* sequence-number gaps seen */
  guint64 aus_pushed;           /* access units returned */
  guint64 aus_dropped;          /* broken AUs (loss, FU without start...) */
  guint64 aus_waiting;          /* AUs dropped waiting for a keyframe */
  guint64 keyframes;
  guint64 params_inserted;      /* IRAP AUs that got VPS/SPS/PPS inserted */
  guint64 bytes_out;            /* bytes of the returned AUs */
  guint64 bytes_copied;         /* of which were copied */
} ArclyH265DepayStats;

typedef enum
{
  ARCLY_H265_DEPAY_EV_NONE = 0,
  ARCLY_H265_DEPAY_EV_LOSS = 1 << 0,    /* gap or broken AU dropped */
  ARCLY_H265_DEPAY_EV_MALFORMED = 1 << 1,       /* packet or NAL dropped */
  /* PACI packets seen for the first time (later ones only drop) */
  ARCLY_H265_DEPAY_EV_UNSUPPORTED = 1 << 2,
  ARCLY_H265_DEPAY_EV_PARAMS_CHANGED = 1 << 3,  /* new VPS/SPS/PPS content */
} ArclyH265DepayEvent;

typedef struct _ArclyH265DepayCore ArclyH265DepayCore;

ArclyH265DepayCore *arcly_h265_depay_core_new (void);
void arcly_h265_depay_core_free (ArclyH265DepayCore * core);

/* Drops pending data.  @hard also forgets parameter sets, statistics, the
 * DONL setting and the warned-once state (new stream); a soft reset
 * (flush) keeps them. */
void arcly_h265_depay_core_reset (ArclyH265DepayCore * core, gboolean hard);

/* Put the known VPS/SPS/PPS in front of every IRAP access unit that lacks
 * them (default TRUE). */
void arcly_h265_depay_core_set_insert_params (ArclyH265DepayCore * core,
    gboolean insert);
void arcly_h265_depay_core_set_wait_keyframe (ArclyH265DepayCore * core,
    gboolean wait);
/* sprop-max-don-diff > 0 (RFC 7798 §7.1): payloads carry DONL/DOND fields,
 * which are skipped (the core does not reorder). */
void arcly_h265_depay_core_set_donl (ArclyH265DepayCore * core,
    gboolean donl);

/* Parses an SDP sprop-vps, sprop-sps or sprop-pps value (comma-separated
 * base64 NAL units, each possibly carrying Annex-B start codes).  Returns
 * the number of parameter sets stored. */
guint arcly_h265_depay_core_set_sprop (ArclyH265DepayCore * core,
    const gchar * sprop);

/* Feeds one packet.  Complete AUs (ArclyH265DepayAu*, free with
 * arcly_h265_depay_au_free) are appended to @out.  Returns a mask of
 * ArclyH265DepayEvent. */
guint arcly_h265_depay_core_push (ArclyH265DepayCore * core,
    const ArclyH265DepayPacket * pkt, GQueue * out);

/* End of stream: returns the pending AU if it is complete. */
void arcly_h265_depay_core_drain (ArclyH265DepayCore * core, GQueue * out);

/* Parameter sets seen so far (sprop and in-band), ordered by id; GBytes
 * each, without start code, appended to the arrays (any may be NULL).
 * Returns FALSE when one kind is still missing. */
gboolean arcly_h265_depay_core_get_params (ArclyH265DepayCore * core,
    GPtrArray * vps_list, GPtrArray * sps_list, GPtrArray * pps_list);

/* The most recently received SPS (NULL when none), owned by the core. */
GBytes *arcly_h265_depay_core_get_last_sps (ArclyH265DepayCore * core);

const ArclyH265DepayStats *arcly_h265_depay_core_get_stats (ArclyH265DepayCore
    * core);

void arcly_h265_depay_au_free (ArclyH265DepayAu * au);

G_END_DECLS

#endif
