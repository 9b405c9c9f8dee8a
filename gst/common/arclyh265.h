/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * H.265 (HEVC) bitstream helpers shared by the depayloader (plugin
 * arclyrtsp) and, later, the writers: NAL unit header fields, parameter-set
 * ids and the SPS fields a muxer or caps need (ITU-T H.265 §7.3).  Annex-B
 * scanning is the same as H.264's (Annex B of both standards): use
 * arcly_h264_find_start_code / arcly_h264_foreach_annexb_nal.  Pure code
 * over byte slices: bounded, never reads past @size, allocates nothing.
 *
 *   NAL unit header (§7.3.1.2), two bytes:
 *     +---------------+---------------+
 *     |0|1|2|3|4|5|6|7|0|1|2|3|4|5|6|7|
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *     |F|   Type    |  LayerId  | TID |
 *     +-------------+-----------------+
 */

#ifndef __ARCLY_H265_H__
#define __ARCLY_H265_H__

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  ARCLY_H265_NAL_TRAIL_N = 0,
  ARCLY_H265_NAL_TRAIL_R = 1,
  ARCLY_H265_NAL_BLA_W_LP = 16,
  ARCLY_H265_NAL_BLA_W_RADL = 17,
  ARCLY_H265_NAL_BLA_N_LP = 18,
  ARCLY_H265_NAL_IDR_W_RADL = 19,
  ARCLY_H265_NAL_IDR_N_LP = 20,
  ARCLY_H265_NAL_CRA = 21,
  ARCLY_H265_NAL_RSV_IRAP_23 = 23,
  ARCLY_H265_NAL_VPS = 32,
  ARCLY_H265_NAL_SPS = 33,
  ARCLY_H265_NAL_PPS = 34,
  ARCLY_H265_NAL_AUD = 35,
  ARCLY_H265_NAL_EOS = 36,
  ARCLY_H265_NAL_EOB = 37,
  ARCLY_H265_NAL_FD = 38,
  ARCLY_H265_NAL_PREFIX_SEI = 39,
  ARCLY_H265_NAL_SUFFIX_SEI = 40,
  /* RTP payload structures (RFC 7798 §4.4) */
  ARCLY_H265_NAL_AP = 48,
  ARCLY_H265_NAL_FU = 49,
  ARCLY_H265_NAL_PACI = 50,
} ArclyH265NalType;

#define ARCLY_H265_NAL_TYPE(b0) (((b0) >> 1) & 0x3f)
#define ARCLY_H265_NAL_LAYER_ID(b0, b1) ((((b0) & 1) << 5) | ((b1) >> 3))
#define ARCLY_H265_NAL_TID(b1) ((b1) & 7)       /* TemporalId + 1 */
/* VCL NAL unit types are 0..31, IRAP (BLA, IDR, CRA, reserved IRAP)
 * 16..23 (§7.4.2.2, Table 7-1) */
#define ARCLY_H265_IS_VCL(t) ((t) < 32)
#define ARCLY_H265_IS_IRAP(t) ((t) >= 16 && (t) <= 23)

/* A NAL unit header a decoder accepts: forbidden_zero_bit 0 and
 * nuh_temporal_id_plus1 not 0 (§7.4.2.2). */
gboolean arcly_h265_nal_header_valid (const guint8 * nal, gsize size);

typedef struct
{
  guint8 profile_space;
  guint8 tier_flag;
  guint8 profile_idc;
  guint32 profile_compat_flags;        /* flag j in bit 31 - j */
  guint8 constraint_flags[6];   /* progressive_source_flag .. the 48th bit */
  guint8 level_idc;
} ArclyH265ProfileTierLevel;

typedef struct
{
  guint vps_id;
  guint max_sub_layers;        /* 1..7 */
  guint sps_id;
  ArclyH265ProfileTierLevel ptl;
  guint chroma_format_idc;
  gboolean separate_colour_plane;
  guint pic_width;             /* coded, in luma samples */
  guint pic_height;
  guint width;                 /* after the conformance window */
  guint height;
  guint bit_depth_luma;        /* 8.. */
  guint bit_depth_chroma;
} ArclyH265Sps;

/* Parses an SPS NAL unit (starting with its 2-byte header) up to the bit
 * depths.  FALSE on truncated or out-of-range data. */
gboolean arcly_h265_parse_sps (const guint8 * nal, gsize size,
                               ArclyH265Sps * sps);

/* vps_video_parameter_set_id of a VPS NAL unit (0..15). */
gboolean arcly_h265_parse_vps_id (const guint8 * nal, gsize size,
                                  guint * vps_id);

/* pps_pic_parameter_set_id (0..63) and pps_seq_parameter_set_id (0..15) of
 * a PPS NAL unit; @sps_id may be NULL. */
gboolean arcly_h265_parse_pps_ids (const guint8 * nal, gsize size,
                                   guint * pps_id, guint * sps_id);

/* ---- for the writers (arclyfmp4mux, arclyhlssink) ---- */

/* Builds an HEVCDecoderConfigurationRecord (hvcC, ISO/IEC 14496-15
 * §8.3.3.1) from VPS, SPS and PPS NAL units (GBytes each, with their 2-byte
 * header, without start code), NAL unit length size 4.  Profile, tier,
 * level, chroma format, bit depths and temporal layers come from the first
 * SPS.  @complete sets array_completeness: TRUE for an `hvc1` sample entry
 * (every parameter set is in the record), FALSE for `hev1` (more may come
 * in band).  NULL when a list is empty or holds more than 255 sets, a set is
 * empty or longer than 65535 bytes, or the first SPS cannot be parsed. */
GBytes *arcly_h265_hvcc_build (const GPtrArray * vps_list,
                               const GPtrArray * sps_list,
                               const GPtrArray * pps_list,
                               gboolean complete);

/* The RFC 6381 codecs parameter of an H.265 stream, as ISO/IEC 14496-15
 * Annex E.3 spells it: "<fourcc>.<profile>.<compat>.<tier><level>" and the
 * constraint bytes, e.g. "hvc1.1.6.L93.B0" (@fourcc "hvc1" or "hev1").
 * Free with g_free(). */
gchar *arcly_h265_codecs_string (const gchar * fourcc,
                                 const ArclyH265ProfileTierLevel * ptl);

/* sps_max_num_reorder_pics of the highest sub-layer (§7.4.3.2.1): how many
 * pictures may precede one in decode order and follow it in output order;
 * 0 means PTS = DTS is right.  FALSE on truncated or out-of-range data. */
gboolean arcly_h265_sps_max_num_reorder (const guint8 * nal, gsize size,
                                         guint * reorder);

G_END_DECLS

#endif
