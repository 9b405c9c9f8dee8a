/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Pure RTP → H.264 access-unit depacketizer (RFC 6184), used by
 * arclyh264depay.  No pads, no locks, no element code: it is fed RTP
 * payloads with their sequence number, timestamp and marker bit and returns
 * complete access units.
 *
 * Zero-copy: NAL units of single-NAL and STAP-A packets are GstMemory
 * sub-memories of the packet memory (gst_memory_share); their start codes
 * are small read-only memories wrapping static bytes; each FU-A fragment is
 * copied once,
 * straight into one memory sized for the biggest recent fragmented NAL unit
 * (when it must grow, the bytes so far are copied again), which also holds
 * the NAL unit's start code or AVC length in front.  Assembly memories
 * that downstream has released are reused.  Every copied payload byte is
 * counted in ArclyH264DepayAu.bytes_copied.
 */

#ifndef __ARCLY_H264_DEPAY_CORE_H__
#define __ARCLY_H264_DEPAY_CORE_H__

#include <gst/gst.h>

G_BEGIN_DECLS

typedef enum
{
  ARCLY_H264_DEPAY_FORMAT_BYTE_STREAM,  /* 00 00 00 01 before each NAL */
  ARCLY_H264_DEPAY_FORMAT_AVC,  /* 4-byte big-endian length before each NAL */
} ArclyH264DepayFormat;

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
  /* For an FU-A payload split over several memories (rtph264pay sends FU
   * indicator + FU header and the fragment in different memories), instead
   * of merging it: @data NULL, @head the first two payload bytes, and the
   * payload is read (fragment bytes copied once, straight into the
   * assembly memory) from @buffer at @buffer_offset.  Only FU-A packets may
   * come in this form. */
  GstBuffer *buffer;
  gsize buffer_offset;
  guint8 head[2];
  guint16 seq;
  guint32 rtp_ts;
  gboolean marker;
  gboolean discont;             /* upstream flagged a discontinuity */
  GstClockTime pts;
} ArclyH264DepayPacket;

/* A complete access unit, ready to push. */
typedef struct
{
  GstBuffer *buffer;            /* owned; PTS set, flags not set */
  GstClockTime pts;
  guint32 rtp_ts;
  gboolean keyframe;            /* contains an IDR slice */
  gboolean discont;             /* first AU after a loss or a dropped AU */
  gboolean params_inserted;     /* SPS/PPS were inserted before the IDR */
  guint n_nals;
  gsize bytes_copied;           /* payload bytes copied to build it */
} ArclyH264DepayAu;

typedef struct
{
  guint64 packets;              /* packets fed */
  guint64 packets_dropped;      /* malformed/unsupported/orphan packets */
  guint64 gaps;                 /* sequence-number gaps seen */
  guint64 aus_pushed;           /* access units returned */
  guint64 aus_dropped;          /* broken AUs (loss, FU-A without start...) */
  guint64 aus_waiting;          /* AUs dropped waiting for a keyframe */
  guint64 keyframes;
  guint64 params_inserted;      /* IDR AUs that got SPS/PPS inserted */
  guint64 bytes_out;            /* bytes of the returned AUs */
  guint64 bytes_copied;         /* of which were copied */
} ArclyH264DepayStats;

/* Things the element may want to tell the user about, returned by
 * arcly_h264_depay_core_push. */
typedef enum
{
  ARCLY_H264_DEPAY_EV_NONE = 0,
  ARCLY_H264_DEPAY_EV_LOSS = 1 << 0,    /* gap or broken AU dropped */
  ARCLY_H264_DEPAY_EV_MALFORMED = 1 << 1,       /* packet dropped */
  /* STAP-B/MTAP/FU-B seen for the first time (later ones only drop) */
  ARCLY_H264_DEPAY_EV_UNSUPPORTED = 1 << 2,
  ARCLY_H264_DEPAY_EV_PARAMS_CHANGED = 1 << 3,  /* new SPS or PPS content */
} ArclyH264DepayEvent;

typedef struct _ArclyH264DepayCore ArclyH264DepayCore;

ArclyH264DepayCore *arcly_h264_depay_core_new (void);
void arcly_h264_depay_core_free (ArclyH264DepayCore * core);

/* Drops pending data.  @hard also forgets parameter sets, statistics and
 * the warned-once state (new stream); a soft reset (flush) keeps them. */
void arcly_h264_depay_core_reset (ArclyH264DepayCore * core, gboolean hard);

void arcly_h264_depay_core_set_format (ArclyH264DepayCore * core,
    ArclyH264DepayFormat format);
void arcly_h264_depay_core_set_insert_params (ArclyH264DepayCore * core,
    gboolean insert);
void arcly_h264_depay_core_set_wait_keyframe (ArclyH264DepayCore * core,
    gboolean wait);

/* Parses an SDP sprop-parameter-sets value (comma-separated base64 NAL
 * units, each possibly carrying Annex-B start codes).  Returns the number of
 * SPS/PPS stored. */
guint arcly_h264_depay_core_set_sprop (ArclyH264DepayCore * core,
    const gchar * sprop);

/* Feeds one packet.  Complete AUs (ArclyH264DepayAu*, free with
 * arcly_h264_depay_au_free) are appended to @out.  Returns a mask of
 * ArclyH264DepayEvent. */
guint arcly_h264_depay_core_push (ArclyH264DepayCore * core,
    const ArclyH264DepayPacket * pkt, GQueue * out);

/* End of stream: returns the pending AU if it is complete. */
void arcly_h264_depay_core_drain (ArclyH264DepayCore * core, GQueue * out);

/* Parameter sets seen so far (sprop and in-band), ordered by id; GBytes
 * each, without start code, appended to the arrays.  Returns FALSE when
 * there is no SPS or no PPS yet. */
gboolean arcly_h264_depay_core_get_params (ArclyH264DepayCore * core,
    GPtrArray * sps_list, GPtrArray * pps_list);

/* The most recently received SPS (NULL when none), owned by the core. */
GBytes *arcly_h264_depay_core_get_last_sps (ArclyH264DepayCore * core);

const ArclyH264DepayStats *arcly_h264_depay_core_get_stats (ArclyH264DepayCore
    * core);

void arcly_h264_depay_au_free (ArclyH264DepayAu * au);

G_END_DECLS

#endif
