/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * H.264 bitstream helpers shared by the depayloader (plugin arclyrtsp) and the
 * writers (plugin arclyhls): Annex-B scanning, SPS parsing (ITU-T H.264
 * §7.3.2.1.1, with emulation-prevention bytes removed), avcC
 * (ISO/IEC 14496-15 §5.3.3.1) building and parsing.  Pure code over byte
 * slices: bounded, never reads past @size, no allocation unless stated.
 */

#ifndef __ARCLY_H264_H__
#define __ARCLY_H264_H__

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  ARCLY_H264_NAL_SLICE = 1,
  ARCLY_H264_NAL_IDR = 5,
  ARCLY_H264_NAL_SEI = 6,
  ARCLY_H264_NAL_SPS = 7,
  ARCLY_H264_NAL_PPS = 8,
  ARCLY_H264_NAL_AUD = 9,
  ARCLY_H264_NAL_STAP_A = 24,
  ARCLY_H264_NAL_STAP_B = 25,
  ARCLY_H264_NAL_MTAP16 = 26,
  ARCLY_H264_NAL_MTAP24 = 27,
  ARCLY_H264_NAL_FU_A = 28,
  ARCLY_H264_NAL_FU_B = 29,
} ArclyH264NalType;

#define ARCLY_H264_NAL_TYPE(b) ((b) & 0x1f)

/* Finds the next Annex-B start code (00 00 01 or 00 00 00 01) at or after
 * @offset.  On success sets *@sc_pos to its first byte and *@sc_len to 3 or
 * 4 and returns TRUE. */
gboolean arcly_h264_find_start_code (const guint8 * data, gsize size,
                                     gsize offset, gsize * sc_pos,
                                     guint * sc_len);

/* Calls @func for each NAL unit of an Annex-B buffer (start codes removed,
 * trailing zero bytes of the NAL trimmed).  Bytes before the first start
 * code are one NAL too when @leading_is_nal (a payload without start code).
 * Stops early when @func returns FALSE.  Returns the number of NALs seen. */
typedef gboolean (*ArclyH264NalFunc) (const guint8 * nal, gsize size,
                                      gpointer user_data);
guint    arcly_h264_foreach_annexb_nal (const guint8 * data, gsize size,
                                        gboolean leading_is_nal,
                                        ArclyH264NalFunc func,
                                        gpointer user_data);

typedef struct
{
  guint8 profile_idc;
  guint8 constraint_flags;     /* the byte after profile_idc */
  guint8 level_idc;
  guint sps_id;
  guint chroma_format_idc;
  guint bit_depth_luma;        /* 8.. */
  guint bit_depth_chroma;
  guint width;                 /* after cropping */
  guint height;
  gboolean frame_mbs_only;
  gint par_n, par_d;           /* 1/1 when not signalled */
  gint fps_n, fps_d;           /* 0/1 when not signalled */
  gboolean bitstream_restriction;       /* the VUI says max_num_reorder_frames */
  guint max_num_reorder_frames;
} ArclyH264Sps;

/* Parses an SPS NAL unit (starting with its NAL header byte).  FALSE on
 * truncated or out-of-range data. */
gboolean arcly_h264_parse_sps (const guint8 * nal, gsize size,
                               ArclyH264Sps * sps);

/* TRUE when frames of a stream with this SPS may be output in another
 * order than decoded (B-frames): the VUI's max_num_reorder_frames when
 * present, else what the profile allows.  A muxer that has only decode
 * timestamps must then warn that presentation times are guesses. */
gboolean arcly_h264_sps_may_reorder (const ArclyH264Sps * sps);

/* Copies @nal without emulation-prevention bytes (00 00 03 → 00 00) into a
 * new buffer; returns its size in *@out_size. */
guint8 * arcly_h264_unescape_rbsp (const guint8 * nal, gsize size,
                                   gsize * out_size);

/* Builds an AVCDecoderConfigurationRecord (avcC) from SPS and PPS NAL units
 * (each with its header byte, without start code), NALU length size 4.
 * Profile/compat/level come from the first SPS.  NULL if no SPS or PPS, or a
 * NAL longer than 65535 bytes. */
GBytes * arcly_h264_avcc_build (const GPtrArray * sps_list,
                                const GPtrArray * pps_list);

/* Parses an avcC: fills @sps_list and @pps_list (GBytes each, appended) and
 * *@nal_length_size (1, 2 or 4).  FALSE on malformed data. */
gboolean arcly_h264_avcc_parse (const guint8 * data, gsize size,
                                GPtrArray * sps_list, GPtrArray * pps_list,
                                guint * nal_length_size);

G_END_DECLS

#endif
