/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * H.264 bitstream helpers: see arclyh264.h.  Everything here reads byte
 * slices with explicit bounds; the SPS reader (arclybits.h) removes
 * emulation-prevention bytes on the fly so parsing allocates nothing.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "arclyh264.h"
#include "arclybits.h"

/* ---- Annex-B scanning (ITU-T H.264 Annex B.1) ---- */

gboolean
arcly_h264_find_start_code (const guint8 * data, gsize size, gsize offset,
    gsize * sc_pos, guint * sc_len)
{
  gsize i;

  if (data == NULL || size < 3 || offset > size - 3)
    return FALSE;

  i = offset;
  while (i + 2 < size) {
    /* Skip fast: data[i + 2] must be 0x01 for a start code at i, and any
     * byte > 1 there means no start code can begin at i, i+1 or i+2. */
    if (data[i + 2] > 1) {
      i += 3;
      continue;
    }
    if (data[i + 2] == 1 && data[i + 1] == 0 && data[i] == 0) {
      if (i > offset && data[i - 1] == 0) {
        *sc_pos = i - 1;
        *sc_len = 4;
      } else {
        *sc_pos = i;
        *sc_len = 3;
      }
      return TRUE;
    }
    i++;
  }
  return FALSE;
}

static gsize
trim_trailing_zeros (const guint8 * nal, gsize size)
{
  while (size > 0 && nal[size - 1] == 0)
    size--;
  return size;
}

guint
arcly_h264_foreach_annexb_nal (const guint8 * data, gsize size,
    gboolean leading_is_nal, ArclyH264NalFunc func, gpointer user_data)
{
  gsize pos, sc_pos = 0, nal_start;
  guint sc_len = 0, count = 0;
  gboolean have_sc;

  if (data == NULL || size == 0)
    return 0;

  have_sc = arcly_h264_find_start_code (data, size, 0, &sc_pos, &sc_len);
  if (leading_is_nal) {
    gsize lead = trim_trailing_zeros (data, have_sc ? sc_pos : size);

    if (lead > 0) {
      count++;
      if (func && !func (data, lead, user_data))
        return count;
    }
  }

  while (have_sc) {
    gsize next_pos = size, nal_size;
    guint next_len = 0;
    gboolean have_next;

    nal_start = sc_pos + sc_len;
    have_next = arcly_h264_find_start_code (data, size, nal_start, &next_pos,
        &next_len);
    pos = have_next ? next_pos : size;
    nal_size = trim_trailing_zeros (data + nal_start, pos - nal_start);
    if (nal_size > 0) {
      count++;
      if (func && !func (data + nal_start, nal_size, user_data))
        return count;
    }
    have_sc = have_next;
    sc_pos = next_pos;
    sc_len = next_len;
  }
  return count;
}

/* ---- emulation prevention (§7.4.1: 00 00 03 → 00 00) ---- */

guint8 *
arcly_h264_unescape_rbsp (const guint8 * nal, gsize size, gsize * out_size)
{
  guint8 *out = g_malloc (size > 0 ? size : 1);
  gsize i, o = 0;
  guint zeros = 0;

  for (i = 0; i < size; i++) {
    if (zeros >= 2 && nal[i] == 0x03) {
      zeros = 0;
      continue;
    }
    out[o++] = nal[i];
    zeros = nal[i] == 0 ? zeros + 1 : 0;
  }
  if (out_size)
    *out_size = o;
  return out;
}

/* ---- SPS (§7.3.2.1.1) ---- */

static gboolean
profile_has_chroma_info (guint profile_idc)
{
  switch (profile_idc) {
    case 100:
    case 110:
    case 122:
    case 244:
    case 44:
    case 83:
    case 86:
    case 118:
    case 128:
    case 138:
    case 139:
    case 134:
    case 135:
      return TRUE;
    default:
      return FALSE;
  }
}

static void
skip_scaling_list (ArclyBitReader * br, guint list_size)
{
  guint j;
  gint last = 8, next = 8;

  for (j = 0; j < list_size && !br->error; j++) {
    if (next != 0) {
      gint32 delta = arcly_br_se (br);

      if (delta < -128 || delta > 127) {
        br->error = TRUE;
        return;
      }
      next = (last + delta + 256) % 256;
    }
    last = next == 0 ? last : next;
  }
}

/* Table E-1: sample aspect ratios for aspect_ratio_idc 1..16. */
static const guint8 sar_table[17][2] = {
  {0, 0}, {1, 1}, {12, 11}, {10, 11}, {16, 11}, {40, 33}, {24, 11},
  {20, 11}, {32, 11}, {80, 33}, {18, 11}, {15, 11}, {64, 33}, {160, 99},
  {4, 3}, {3, 2}, {2, 1}
};

/* hrd_parameters (E.1.2): only skipped. */
static void
skip_hrd (ArclyBitReader * br)
{
  guint32 i, cpb_cnt = arcly_br_ue (br);

  if (cpb_cnt > 31) {
    br->error = TRUE;
    return;
  }
  arcly_br_bits (br, 8);              /* bit_rate_scale, cpb_size_scale */
  for (i = 0; i <= cpb_cnt && !br->error; i++) {
    arcly_br_ue (br);                 /* bit_rate_value_minus1 */
    arcly_br_ue (br);                 /* cpb_size_value_minus1 */
    arcly_br_bits (br, 1);            /* cbr_flag */
  }
  arcly_br_bits (br, 20);             /* four delay / offset lengths, 5 bits each */
}

/* The VUI after timing_info: HRD, then bitstream_restriction, which says
 * how many frames may precede a frame in decode order and follow it in
 * output order (max_num_reorder_frames).  Only kept when read whole. */
static void
parse_vui_reorder (ArclyBitReader * br, ArclyH264Sps * sps)
{
  gboolean nal_hrd, vcl_hrd;
  guint32 reorder, dpb;

  nal_hrd = arcly_br_bits (br, 1);
  if (nal_hrd)
    skip_hrd (br);
  vcl_hrd = arcly_br_bits (br, 1);
  if (vcl_hrd)
    skip_hrd (br);
  if (nal_hrd || vcl_hrd)
    arcly_br_bits (br, 1);            /* low_delay_hrd_flag */
  arcly_br_bits (br, 1);              /* pic_struct_present_flag */
  if (br->error || !arcly_br_bits (br, 1))    /* bitstream_restriction_flag */
    return;
  arcly_br_bits (br, 1);              /* motion_vectors_over_pic_boundaries_flag */
  arcly_br_ue (br);                   /* max_bytes_per_pic_denom */
  arcly_br_ue (br);                   /* max_bits_per_mb_denom */
  arcly_br_ue (br);                   /* log2_max_mv_length_horizontal */
  arcly_br_ue (br);                   /* log2_max_mv_length_vertical */
  reorder = arcly_br_ue (br);
  dpb = arcly_br_ue (br);             /* max_dec_frame_buffering */
  if (br->error || reorder > 16 || dpb > 16)
    return;
  sps->bitstream_restriction = TRUE;
  sps->max_num_reorder_frames = reorder;
}

/* VUI (Annex E.1.1).  A truncated or odd VUI only loses
 * the aspect ratio / frame rate: cameras ship broken VUIs, and width and
 * height are still right. */
static void
parse_vui (ArclyBitReader * br, ArclyH264Sps * sps)
{
  gint par_n = 1, par_d = 1, fps_n = 0, fps_d = 1;

  if (arcly_br_bits (br, 1)) {        /* aspect_ratio_info_present_flag */
    guint idc = arcly_br_bits (br, 8);

    if (idc == 255) {           /* Extended_SAR */
      guint w = arcly_br_bits (br, 16), h = arcly_br_bits (br, 16);

      if (w > 0 && h > 0) {
        par_n = w;
        par_d = h;
      }
    } else if (idc >= 1 && idc <= 16) {
      par_n = sar_table[idc][0];
      par_d = sar_table[idc][1];
    }
  }
  if (arcly_br_bits (br, 1))          /* overscan_info_present_flag */
    arcly_br_bits (br, 1);
  if (arcly_br_bits (br, 1)) {        /* video_signal_type_present_flag */
    arcly_br_bits (br, 4);            /* video_format, video_full_range_flag */
    if (arcly_br_bits (br, 1))        /* colour_description_present_flag */
      arcly_br_bits (br, 24);
  }
  if (arcly_br_bits (br, 1)) {        /* chroma_loc_info_present_flag */
    arcly_br_ue (br);
    arcly_br_ue (br);
  }
  if (br->error)
    return;
  sps->par_n = par_n;
  sps->par_d = par_d;

  if (arcly_br_bits (br, 1)) {        /* timing_info_present_flag */
    guint32 num_units_in_tick = arcly_br_u32 (br);
    guint32 time_scale = arcly_br_u32 (br);

    arcly_br_bits (br, 1);      /* fixed_frame_rate_flag */

    /* A frame lasts two ticks (field-based clock, E.2.1). */
    if (!br->error && num_units_in_tick > 0 && time_scale > 0 &&
        num_units_in_tick <= G_MAXINT / 2) {
      guint64 n = time_scale, d = (guint64) num_units_in_tick * 2;
      guint64 a = n, b = d;

      while (b != 0) {
        guint64 t = a % b;
        a = b;
        b = t;
      }
      n /= a;
      d /= a;
      if (n <= G_MAXINT && d <= G_MAXINT) {
        fps_n = (gint) n;
        fps_d = (gint) d;
      }
    }
  }
  if (br->error)
    return;
  sps->fps_n = fps_n;
  sps->fps_d = fps_d;
  parse_vui_reorder (br, sps);
}

gboolean
arcly_h264_parse_sps (const guint8 * nal, gsize size, ArclyH264Sps * sps)
{
  ArclyBitReader br;
  guint32 v, w_mbs, h_map_units, crop_l = 0, crop_r = 0, crop_t = 0,
      crop_b = 0;
  guint crop_unit_x, crop_unit_y, width, height;
  gboolean separate_colour_plane = FALSE;

  if (nal == NULL || sps == NULL || size < 4)
    return FALSE;
  if ((nal[0] & 0x80) || ARCLY_H264_NAL_TYPE (nal[0]) != ARCLY_H264_NAL_SPS)
    return FALSE;

  memset (sps, 0, sizeof (*sps));
  arcly_br_init (&br, nal + 1, size - 1);

  sps->profile_idc = arcly_br_bits (&br, 8);
  sps->constraint_flags = arcly_br_bits (&br, 8);
  sps->level_idc = arcly_br_bits (&br, 8);
  sps->sps_id = arcly_br_ue (&br);
  if (br.error || sps->sps_id > 31)
    return FALSE;

  sps->chroma_format_idc = 1;
  sps->bit_depth_luma = 8;
  sps->bit_depth_chroma = 8;
  if (profile_has_chroma_info (sps->profile_idc)) {
    sps->chroma_format_idc = arcly_br_ue (&br);
    if (sps->chroma_format_idc > 3)
      return FALSE;
    if (sps->chroma_format_idc == 3)
      separate_colour_plane = arcly_br_bits (&br, 1);
    v = arcly_br_ue (&br);
    if (v > 6)
      return FALSE;
    sps->bit_depth_luma = 8 + v;
    v = arcly_br_ue (&br);
    if (v > 6)
      return FALSE;
    sps->bit_depth_chroma = 8 + v;
    arcly_br_bits (&br, 1);           /* qpprime_y_zero_transform_bypass_flag */
    if (arcly_br_bits (&br, 1)) {     /* seq_scaling_matrix_present_flag */
      guint i, n = sps->chroma_format_idc != 3 ? 8 : 12;

      for (i = 0; i < n && !br.error; i++) {
        if (arcly_br_bits (&br, 1))
          skip_scaling_list (&br, i < 6 ? 16 : 64);
      }
    }
  }

  if (arcly_br_ue (&br) > 12)         /* log2_max_frame_num_minus4 */
    return FALSE;
  v = arcly_br_ue (&br);              /* pic_order_cnt_type */
  if (v > 2)
    return FALSE;
  if (v == 0) {
    if (arcly_br_ue (&br) > 12)       /* log2_max_pic_order_cnt_lsb_minus4 */
      return FALSE;
  } else if (v == 1) {
    guint32 i, cycle;

    arcly_br_bits (&br, 1);           /* delta_pic_order_always_zero_flag */
    arcly_br_se (&br);                /* offset_for_non_ref_pic */
    arcly_br_se (&br);                /* offset_for_top_to_bottom_field */
    /* num_ref_frames_in_pic_order_cnt_cycle */
    cycle = arcly_br_ue (&br);
    if (cycle > 255)
      return FALSE;
    for (i = 0; i < cycle && !br.error; i++)
      arcly_br_se (&br);
  }
  arcly_br_ue (&br);                  /* max_num_ref_frames */
  arcly_br_bits (&br, 1);             /* gaps_in_frame_num_value_allowed_flag */
  w_mbs = arcly_br_ue (&br);
  h_map_units = arcly_br_ue (&br);
  sps->frame_mbs_only = arcly_br_bits (&br, 1);
  if (!sps->frame_mbs_only)
    arcly_br_bits (&br, 1);           /* mb_adaptive_frame_field_flag */
  arcly_br_bits (&br, 1);             /* direct_8x8_inference_flag */
  if (arcly_br_bits (&br, 1)) {       /* frame_cropping_flag */
    crop_l = arcly_br_ue (&br);
    crop_r = arcly_br_ue (&br);
    crop_t = arcly_br_ue (&br);
    crop_b = arcly_br_ue (&br);
  }
  if (br.error)
    return FALSE;

  /* 16384 x 16384 luma samples is far beyond level 6.2; refuse more so the
   * arithmetic below cannot overflow. */
  if (w_mbs > 1023 || h_map_units > 1023)
    return FALSE;
  width = (w_mbs + 1) * 16;
  height = (h_map_units + 1) * 16 * (sps->frame_mbs_only ? 1 : 2);

  /* Table 6-1 and equations 7-19..7-22. */
  if (sps->chroma_format_idc == 0 || separate_colour_plane) {
    crop_unit_x = 1;
    crop_unit_y = sps->frame_mbs_only ? 1 : 2;
  } else {
    guint sub_w = sps->chroma_format_idc == 3 ? 1 : 2;
    guint sub_h = sps->chroma_format_idc == 1 ? 2 : 1;

    crop_unit_x = sub_w;
    crop_unit_y = sub_h * (sps->frame_mbs_only ? 1 : 2);
  }
  if (crop_l > width || crop_r > width || crop_t > height || crop_b > height)
    return FALSE;
  if ((guint64) (crop_l + crop_r) * crop_unit_x >= width ||
      (guint64) (crop_t + crop_b) * crop_unit_y >= height)
    return FALSE;
  sps->width = width - (crop_l + crop_r) * crop_unit_x;
  sps->height = height - (crop_t + crop_b) * crop_unit_y;

  sps->par_n = 1;
  sps->par_d = 1;
  sps->fps_n = 0;
  sps->fps_d = 1;
  if (arcly_br_bits (&br, 1) && !br.error)    /* vui_parameters_present_flag */
    parse_vui (&br, sps);

  return TRUE;
}

gboolean
arcly_h264_sps_may_reorder (const ArclyH264Sps * sps)
{
  if (sps->bitstream_restriction)
    return sps->max_num_reorder_frames > 0;
  /* Without the VUI's word (E.2.1: then inferred as the DPB size): no B
   * slices in Baseline, and the intra-only profiles (constraint_set3 on
   * High 10/4:2:2/4:4:4, CAVLC 4:4:4) output every frame at once. */
  switch (sps->profile_idc) {
    case 66:
      return FALSE;
    case 44:
      return FALSE;
    case 110:
    case 122:
    case 244:
      return !(sps->constraint_flags & 0x10);
    default:
      return TRUE;
  }
}

/* ---- avcC (ISO/IEC 14496-15 §5.3.3.1) ---- */

static gboolean
profile_has_avcc_ext (guint profile_idc)
{
  return profile_idc == 100 || profile_idc == 110 || profile_idc == 122 ||
      profile_idc == 144;
}

GBytes *
arcly_h264_avcc_build (const GPtrArray * sps_list, const GPtrArray * pps_list)
{
  GByteArray *out;
  const guint8 *first;
  gsize first_size;
  guint i;
  ArclyH264Sps sps;
  gboolean have_sps_info;

  if (sps_list == NULL || pps_list == NULL || sps_list->len == 0 ||
      pps_list->len == 0 || sps_list->len > 31 || pps_list->len > 255)
    return NULL;

  for (i = 0; i < sps_list->len + pps_list->len; i++) {
    GBytes *b = i < sps_list->len ? g_ptr_array_index (sps_list, i) :
        g_ptr_array_index (pps_list, i - sps_list->len);
    gsize s = b ? g_bytes_get_size (b) : 0;

    if (s == 0 || s > 65535)
      return NULL;
  }

  first = g_bytes_get_data (g_ptr_array_index (sps_list, 0), &first_size);
  if (first_size < 4)
    return NULL;
  have_sps_info = arcly_h264_parse_sps (first, first_size, &sps);

  out = g_byte_array_sized_new (64);
  {
    const guint8 hdr[6] = { 1, first[1], first[2], first[3],
      0xfc | 3,                 /* lengthSizeMinusOne = 3 */
      0xe0 | sps_list->len
    };
    g_byte_array_append (out, hdr, sizeof (hdr));
  }
  for (i = 0; i < sps_list->len; i++) {
    gsize s;
    const guint8 *d = g_bytes_get_data (g_ptr_array_index (sps_list, i), &s);
    guint8 len[2] = { s >> 8, s & 0xff };

    g_byte_array_append (out, len, 2);
    g_byte_array_append (out, d, s);
  }
  {
    guint8 n = pps_list->len;
    g_byte_array_append (out, &n, 1);
  }
  for (i = 0; i < pps_list->len; i++) {
    gsize s;
    const guint8 *d = g_bytes_get_data (g_ptr_array_index (pps_list, i), &s);
    guint8 len[2] = { s >> 8, s & 0xff };

    g_byte_array_append (out, len, 2);
    g_byte_array_append (out, d, s);
  }
  /* High profiles carry chroma format and bit depths (§5.3.3.1.2). */
  if (have_sps_info && profile_has_avcc_ext (first[1])) {
    const guint8 ext[4] = {
      0xfc | (sps.chroma_format_idc & 3),
      0xf8 | ((sps.bit_depth_luma - 8) & 7),
      0xf8 | ((sps.bit_depth_chroma - 8) & 7),
      0                         /* numOfSequenceParameterSetExt */
    };
    g_byte_array_append (out, ext, sizeof (ext));
  }
  return g_byte_array_free_to_bytes (out);
}

/* Walks the parameter-set arrays of an avcC; appends to the lists when they
 * are non-NULL.  Returns FALSE on malformed data. */
static gboolean
avcc_walk (const guint8 * data, gsize size, GPtrArray * sps_list,
    GPtrArray * pps_list)
{
  gsize pos = 5;
  guint pass;

  for (pass = 0; pass < 2; pass++) {
    guint n, i;

    if (pos >= size)
      return FALSE;
    n = pass == 0 ? (data[pos] & 0x1f) : data[pos];
    pos++;
    for (i = 0; i < n; i++) {
      guint len;

      if (size - pos < 2)
        return FALSE;
      len = (data[pos] << 8) | data[pos + 1];
      pos += 2;
      if (len == 0 || size - pos < len)
        return FALSE;
      if (pass == 0 && sps_list)
        g_ptr_array_add (sps_list, g_bytes_new (data + pos, len));
      else if (pass == 1 && pps_list)
        g_ptr_array_add (pps_list, g_bytes_new (data + pos, len));
      pos += len;
    }
  }
  return TRUE;
}

gboolean
arcly_h264_avcc_parse (const guint8 * data, gsize size, GPtrArray * sps_list,
    GPtrArray * pps_list, guint * nal_length_size)
{
  guint len_size;

  if (data == NULL || size < 7 || data[0] != 1)
    return FALSE;
  len_size = (data[4] & 3) + 1;
  if (len_size == 3)
    return FALSE;
  /* Validate first so the lists are only touched on success. */
  if (!avcc_walk (data, size, NULL, NULL))
    return FALSE;
  avcc_walk (data, size, sps_list, pps_list);
  if (nal_length_size)
    *nal_length_size = len_size;
  return TRUE;
}
