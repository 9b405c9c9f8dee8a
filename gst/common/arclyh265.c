/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * H.265 bitstream helpers: see arclyh265.h.  Parameter sets are read with
 * the shared bit reader (arclybits.h), which removes emulation-prevention
 * bytes on the fly.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "arclyh265.h"
#include "arclybits.h"

/* 8192 x 4320 is level 6.x's widest; 16888 is the largest dimension any
 * level allows (sqrt (8 * MaxLumaPs), §A.4.1).  Refusing more keeps the
 * arithmetic below far from overflow. */
#define MAX_DIMENSION 16888

gboolean
arcly_h265_nal_header_valid (const guint8 * nal, gsize size)
{
  return nal != NULL && size >= 2 && (nal[0] & 0x80) == 0 &&
      ARCLY_H265_NAL_TID (nal[1]) != 0;
}

/* profile_tier_level (1, max_sub_layers_minus1), §7.3.3. */
static void
parse_profile_tier_level (ArclyBitReader * br, guint max_sub_layers_minus1,
    ArclyH265ProfileTierLevel * ptl)
{
  gboolean profile_present[8] = { FALSE, }, level_present[8] = { FALSE, };
  guint i;

  ptl->profile_space = arcly_br_bits (br, 2);
  ptl->tier_flag = arcly_br_bits (br, 1);
  ptl->profile_idc = arcly_br_bits (br, 5);
  ptl->profile_compat_flags = arcly_br_u32 (br);
  /* progressive_source_flag, interlaced_source_flag,
   * non_packed_constraint_flag, frame_only_constraint_flag and the 44 bits
   * after them: the "constraint indicator" bytes of hvcC and CODECS */
  for (i = 0; i < 6; i++)
    ptl->constraint_flags[i] = arcly_br_bits (br, 8);
  ptl->level_idc = arcly_br_bits (br, 8);

  for (i = 0; i < max_sub_layers_minus1; i++) {
    profile_present[i] = arcly_br_bits (br, 1);
    level_present[i] = arcly_br_bits (br, 1);
  }
  if (max_sub_layers_minus1 > 0) {
    for (i = max_sub_layers_minus1; i < 8; i++)
      arcly_br_bits (br, 2);    /* reserved_zero_2bits */
  }
  for (i = 0; i < max_sub_layers_minus1; i++) {
    if (profile_present[i])
      arcly_br_skip (br, 88);
    if (level_present[i])
      arcly_br_skip (br, 8);
  }
}

gboolean
arcly_h265_parse_sps (const guint8 * nal, gsize size, ArclyH265Sps * sps)
{
  ArclyBitReader br;
  guint32 conf_l = 0, conf_r = 0, conf_t = 0, conf_b = 0, v;
  guint sub_w, sub_h;

  if (sps == NULL || !arcly_h265_nal_header_valid (nal, size) ||
      ARCLY_H265_NAL_TYPE (nal[0]) != ARCLY_H265_NAL_SPS)
    return FALSE;

  memset (sps, 0, sizeof (*sps));
  arcly_br_init (&br, nal + 2, size - 2);

  sps->vps_id = arcly_br_bits (&br, 4);
  sps->max_sub_layers = arcly_br_bits (&br, 3) + 1;
  arcly_br_bits (&br, 1);       /* sps_temporal_id_nesting_flag */
  if (br.error || sps->max_sub_layers > 7)
    return FALSE;
  parse_profile_tier_level (&br, sps->max_sub_layers - 1, &sps->ptl);

  sps->sps_id = arcly_br_ue (&br);
  if (br.error || sps->sps_id > 15)
    return FALSE;
  sps->chroma_format_idc = arcly_br_ue (&br);
  if (br.error || sps->chroma_format_idc > 3)
    return FALSE;
  if (sps->chroma_format_idc == 3)
    sps->separate_colour_plane = arcly_br_bits (&br, 1);
  sps->pic_width = arcly_br_ue (&br);
  sps->pic_height = arcly_br_ue (&br);
  if (br.error || sps->pic_width == 0 || sps->pic_height == 0 ||
      sps->pic_width > MAX_DIMENSION || sps->pic_height > MAX_DIMENSION)
    return FALSE;
  if (arcly_br_bits (&br, 1)) { /* conformance_window_flag */
    conf_l = arcly_br_ue (&br);
    conf_r = arcly_br_ue (&br);
    conf_t = arcly_br_ue (&br);
    conf_b = arcly_br_ue (&br);
  }
  v = arcly_br_ue (&br);        /* bit_depth_luma_minus8 */
  if (br.error || v > 8)
    return FALSE;
  sps->bit_depth_luma = 8 + v;
  v = arcly_br_ue (&br);        /* bit_depth_chroma_minus8 */
  if (br.error || v > 8)
    return FALSE;
  sps->bit_depth_chroma = 8 + v;

  /* Table 6-1: SubWidthC, SubHeightC */
  if (sps->chroma_format_idc == 0 || sps->separate_colour_plane) {
    sub_w = sub_h = 1;
  } else {
    sub_w = sps->chroma_format_idc == 3 ? 1 : 2;
    sub_h = sps->chroma_format_idc == 1 ? 2 : 1;
  }
  if (conf_l > MAX_DIMENSION || conf_r > MAX_DIMENSION ||
      conf_t > MAX_DIMENSION || conf_b > MAX_DIMENSION ||
      (conf_l + conf_r) * sub_w >= sps->pic_width ||
      (conf_t + conf_b) * sub_h >= sps->pic_height)
    return FALSE;
  sps->width = sps->pic_width - (conf_l + conf_r) * sub_w;
  sps->height = sps->pic_height - (conf_t + conf_b) * sub_h;
  return TRUE;
}

gboolean
arcly_h265_parse_vps_id (const guint8 * nal, gsize size, guint * vps_id)
{
  if (!arcly_h265_nal_header_valid (nal, size) || size < 3 ||
      ARCLY_H265_NAL_TYPE (nal[0]) != ARCLY_H265_NAL_VPS)
    return FALSE;
  /* vps_video_parameter_set_id u(4) is the first field (§7.3.2.1); no
   * emulation prevention can sit in front of it */
  if (vps_id)
    *vps_id = nal[2] >> 4;
  return TRUE;
}

gboolean
arcly_h265_parse_pps_ids (const guint8 * nal, gsize size, guint * pps_id,
    guint * sps_id)
{
  ArclyBitReader br;
  guint32 p, s;

  if (!arcly_h265_nal_header_valid (nal, size) ||
      ARCLY_H265_NAL_TYPE (nal[0]) != ARCLY_H265_NAL_PPS)
    return FALSE;
  arcly_br_init (&br, nal + 2, size - 2);
  p = arcly_br_ue (&br);        /* pps_pic_parameter_set_id */
  s = arcly_br_ue (&br);        /* pps_seq_parameter_set_id */
  if (br.error || p > 63 || s > 15)
    return FALSE;
  if (pps_id)
    *pps_id = p;
  if (sps_id)
    *sps_id = s;
  return TRUE;
}

/* ---- for the writers ---- */

static gboolean
param_list_valid (const GPtrArray * list)
{
  guint i;

  if (list == NULL || list->len == 0 || list->len > 255)
    return FALSE;
  for (i = 0; i < list->len; i++) {
    GBytes *b = g_ptr_array_index (list, i);
    gsize s = b ? g_bytes_get_size (b) : 0;

    if (s < 2 || s > 65535)
      return FALSE;
  }
  return TRUE;
}

static void
put_be16 (GByteArray * out, guint v)
{
  guint8 b[2] = { (v >> 8) & 0xff, v & 0xff };

  g_byte_array_append (out, b, 2);
}

/* One array of the record: completeness, NAL unit type, the units. */
static void
put_nal_array (GByteArray * out, const GPtrArray * list, guint type,
    gboolean complete)
{
  guint8 head = (complete ? 0x80 : 0) | (type & 0x3f);
  guint i;

  g_byte_array_append (out, &head, 1);
  put_be16 (out, list->len);
  for (i = 0; i < list->len; i++) {
    gsize s;
    const guint8 *d = g_bytes_get_data (g_ptr_array_index (list, i), &s);

    put_be16 (out, s);
    g_byte_array_append (out, d, s);
  }
}

/*
 * HEVCDecoderConfigurationRecord (ISO/IEC 14496-15 §8.3.3.1.2):
 *   configurationVersion 8 = 1
 *   general_profile_space 2, general_tier_flag 1, general_profile_idc 5
 *   general_profile_compatibility_flags 32
 *   general_constraint_indicator_flags 48
 *   general_level_idc 8
 *   '1111' min_spatial_segmentation_idc 12   (0: not given)
 *   '111111' parallelismType 2               (0: unknown)
 *   '111111' chromaFormat 2
 *   '11111' bitDepthLumaMinus8 3
 *   '11111' bitDepthChromaMinus8 3
 *   avgFrameRate 16                          (0: not given)
 *   constantFrameRate 2, numTemporalLayers 3, temporalIdNested 1,
 *   lengthSizeMinusOne 2
 *   numOfArrays 8, then the arrays
 */
GBytes *
arcly_h265_hvcc_build (const GPtrArray * vps_list, const GPtrArray * sps_list,
    const GPtrArray * pps_list, gboolean complete)
{
  GByteArray *out;
  const guint8 *first;
  gsize first_size;
  ArclyH265Sps sps;
  const ArclyH265ProfileTierLevel *ptl = &sps.ptl;
  guint8 hdr[23];
  guint nesting;

  if (!param_list_valid (vps_list) || !param_list_valid (sps_list) ||
      !param_list_valid (pps_list))
    return NULL;
  first = g_bytes_get_data (g_ptr_array_index (sps_list, 0), &first_size);
  if (!arcly_h265_parse_sps (first, first_size, &sps))
    return NULL;
  /* sps_temporal_id_nesting_flag: the last bit of the byte after the NAL
   * header (after sps_video_parameter_set_id and max_sub_layers_minus1),
   * before any emulation prevention can occur */
  nesting = first[2] & 1;

  hdr[0] = 1;
  hdr[1] = (ptl->profile_space << 6) | (ptl->tier_flag << 5) |
      (ptl->profile_idc & 0x1f);
  hdr[2] = ptl->profile_compat_flags >> 24;
  hdr[3] = (ptl->profile_compat_flags >> 16) & 0xff;
  hdr[4] = (ptl->profile_compat_flags >> 8) & 0xff;
  hdr[5] = ptl->profile_compat_flags & 0xff;
  memcpy (hdr + 6, ptl->constraint_flags, 6);
  hdr[12] = ptl->level_idc;
  hdr[13] = 0xf0;
  hdr[14] = 0x00;
  hdr[15] = 0xfc;
  hdr[16] = 0xfc | (sps.chroma_format_idc & 3);
  hdr[17] = 0xf8 | ((sps.bit_depth_luma - 8) & 7);
  hdr[18] = 0xf8 | ((sps.bit_depth_chroma - 8) & 7);
  hdr[19] = 0;
  hdr[20] = 0;
  hdr[21] = ((sps.max_sub_layers & 7) << 3) | (nesting << 2) | 3;
  hdr[22] = 3;                  /* numOfArrays */

  out = g_byte_array_sized_new (128);
  g_byte_array_append (out, hdr, sizeof (hdr));
  put_nal_array (out, vps_list, ARCLY_H265_NAL_VPS, complete);
  put_nal_array (out, sps_list, ARCLY_H265_NAL_SPS, complete);
  put_nal_array (out, pps_list, ARCLY_H265_NAL_PPS, complete);
  return g_byte_array_free_to_bytes (out);
}

gchar *
arcly_h265_codecs_string (const gchar * fourcc,
    const ArclyH265ProfileTierLevel * ptl)
{
  GString *s = g_string_new (fourcc);
  guint32 compat = 0;
  guint i, n;

  /* general_profile_space as nothing, A, B or C, then the profile */
  g_string_append_c (s, '.');
  if (ptl->profile_space > 0)
    g_string_append_c (s, 'A' + ptl->profile_space - 1);
  g_string_append_printf (s, "%u", ptl->profile_idc);
  /* the 32 compatibility flags in reverse bit order (flag j as bit j), hex
   * without leading zeros */
  for (i = 0; i < 32; i++)
    if (ptl->profile_compat_flags & (1u << (31 - i)))
      compat |= 1u << i;
  g_string_append_printf (s, ".%X", compat);
  g_string_append_printf (s, ".%c%u", ptl->tier_flag ? 'H' : 'L',
      ptl->level_idc);
  /* the six constraint bytes, trailing zero bytes left out */
  for (n = 6; n > 0 && ptl->constraint_flags[n - 1] == 0; n--);
  for (i = 0; i < n; i++)
    g_string_append_printf (s, ".%X", ptl->constraint_flags[i]);
  return g_string_free (s, FALSE);
}

gboolean
arcly_h265_sps_max_num_reorder (const guint8 * nal, gsize size,
    guint * reorder)
{
  ArclyH265Sps sps;
  ArclyH265ProfileTierLevel ptl;
  ArclyBitReader br;
  guint i, first, value = 0;

  /* the fields up to the bit depths, checked by the full parser first */
  if (!arcly_h265_parse_sps (nal, size, &sps))
    return FALSE;
  arcly_br_init (&br, nal + 2, size - 2);
  arcly_br_bits (&br, 8);       /* vps id, max_sub_layers_minus1, nesting */
  parse_profile_tier_level (&br, sps.max_sub_layers - 1, &ptl);
  arcly_br_ue (&br);            /* sps_seq_parameter_set_id */
  if (arcly_br_ue (&br) == 3)   /* chroma_format_idc */
    arcly_br_bits (&br, 1);     /* separate_colour_plane_flag */
  arcly_br_ue (&br);            /* pic_width_in_luma_samples */
  arcly_br_ue (&br);            /* pic_height_in_luma_samples */
  if (arcly_br_bits (&br, 1)) { /* conformance_window_flag */
    for (i = 0; i < 4; i++)
      arcly_br_ue (&br);
  }
  arcly_br_ue (&br);            /* bit_depth_luma_minus8 */
  arcly_br_ue (&br);            /* bit_depth_chroma_minus8 */
  if (arcly_br_ue (&br) > 12)   /* log2_max_pic_order_cnt_lsb_minus4 */
    return FALSE;
  /* sps_sub_layer_ordering_info_present_flag: one triple per sub-layer,
   * else only the highest one's */
  first = arcly_br_bits (&br, 1) ? 0 : sps.max_sub_layers - 1;
  for (i = first; i < sps.max_sub_layers && !br.error; i++) {
    guint dpb = arcly_br_ue (&br);      /* sps_max_dec_pic_buffering_minus1 */

    value = arcly_br_ue (&br);  /* sps_max_num_reorder_pics */
    arcly_br_ue (&br);          /* sps_max_latency_increase_plus1 */
    if (dpb > 15 || value > dpb)
      return FALSE;
  }
  if (br.error)
    return FALSE;
  *reorder = value;
  return TRUE;
}
