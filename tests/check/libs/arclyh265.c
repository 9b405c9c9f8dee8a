/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Unit tests for gst/common/arclyh265.[ch] (NAL header, VPS/SPS/PPS ids,
 * SPS fields with real x265 parameter sets) and gst/common/arclybits.[ch]
 * (the bit reader shared with the H.264 parser).  Inputs are fed as every
 * truncated prefix, each in an exact-size heap copy so ASan and valgrind
 * catch a read one byte past the end, and as hostile variants.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <gst/check/gstcheck.h>

#include "arclyh265.h"
#include "arclybits.h"

typedef struct
{
  const gchar *name;
  const gchar *hex;
  guint profile, level, width, height, pic_height, chroma, depth;
  guint32 compat;
} SpsCase;

/* Made with
 *   gst-launch-1.0 videotestsrc num-buffers=1 ! \
 *     video/x-raw,format=F,width=W,height=H ! \
 *     x265enc speed-preset=ultrafast ! \
 *     video/x-h265,stream-format=byte-stream ! filesink
 * (x265 3.5, Debian 12).  1080p codes 1088 lines and crops 8 with the
 * conformance window; all carry emulation-prevention bytes (00 00 03) in
 * profile_tier_level. */
static const SpsCase sps_cases[] = {
  {"main-320x240-I420",
        "42010101600000030090000003000003003fa00a080f165ba4a4c2fff000100016"
        "a0c0c0c080000003008000000f04",
      1, 63, 320, 240, 240, 1, 8, 0x60000000},
  {"main-1920x1080-I420",
        "420101016000000300900000030000030078a003c0801107cb96e92930bffc0004"
        "0005a808080820000003002000000303c1",
      1, 120, 1920, 1080, 1088, 1, 8, 0x60000000},
  {"rext-352x288-Y444",
        "4201010408000003009e0800000300003f9001610090b2caca94985ffe00020002"
        "d418181810000003001000000301e080",
      4, 63, 352, 288, 288, 3, 8, 0x08000000},
  {"main10-1280x720-I420_10LE",
        "42010102200000030090000003000003005da00280802d136595952930bffc0004"
        "0005a808080820000003002000000303c1",
      2, 93, 1280, 720, 720, 1, 10, 0x20000000},
};

static const gchar vps_hex[] =
    "40010c01ffff01600000030090000003000003003fba0240";
static const gchar pps_hex[] = "4401c0718312";

static guint8 *
unhex (const gchar * hex, gsize * len)
{
  gsize n = strlen (hex) / 2, i;
  guint8 *out = g_malloc (n ? n : 1);

  for (i = 0; i < n; i++)
    out[i] = g_ascii_xdigit_value (hex[2 * i]) << 4 |
        g_ascii_xdigit_value (hex[2 * i + 1]);
  *len = n;
  return out;
}

GST_START_TEST (test_sps_real)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (sps_cases); i++) {
    const SpsCase *c = &sps_cases[i];
    gsize len;
    guint8 *nal = unhex (c->hex, &len);
    ArclyH265Sps sps;

    fail_unless (arcly_h265_parse_sps (nal, len, &sps), "%s", c->name);
    fail_unless_equals_int (sps.ptl.profile_idc, c->profile);
    fail_unless_equals_int (sps.ptl.level_idc, c->level);
    fail_unless_equals_int (sps.ptl.tier_flag, 0);
    fail_unless_equals_int (sps.ptl.profile_space, 0);
    fail_unless_equals_int (sps.ptl.profile_compat_flags, c->compat);
    fail_unless_equals_int (sps.width, c->width);
    fail_unless_equals_int (sps.height, c->height);
    fail_unless_equals_int (sps.pic_width, c->width);
    fail_unless_equals_int (sps.pic_height, c->pic_height);
    fail_unless_equals_int (sps.chroma_format_idc, c->chroma);
    fail_unless_equals_int (sps.bit_depth_luma, c->depth);
    fail_unless_equals_int (sps.bit_depth_chroma, c->depth);
    fail_unless_equals_int (sps.sps_id, 0);
    fail_unless_equals_int (sps.vps_id, 0);
    fail_unless_equals_int (sps.max_sub_layers, 1);
    /* progressive_source_flag and frame_only_constraint_flag (x265) */
    fail_unless_equals_int (sps.ptl.constraint_flags[0] & 0x90, 0x90);
    g_free (nal);
  }
}

GST_END_TEST;

/* Every prefix: FALSE up to where the fields read end, then TRUE with the
 * same values. */
GST_START_TEST (test_sps_truncated)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (sps_cases); i++) {
    const SpsCase *c = &sps_cases[i];
    gsize len, n;
    guint8 *nal = unhex (c->hex, &len);
    gboolean seen_ok = FALSE;

    for (n = 0; n <= len; n++) {
      guint8 *copy = g_memdup2 (nal, n ? n : 1);
      ArclyH265Sps sps;
      gboolean ok = arcly_h265_parse_sps (n ? copy : NULL, n, &sps);

      if (seen_ok)
        fail_unless (ok, "%s: a prefix parses, %u does not", c->name,
            (guint) n);
      if (ok) {
        seen_ok = TRUE;
        /* the fields up to the bit depths cannot be in fewer bytes than
         * the header and profile_tier_level */
        fail_unless (n >= 2 + 1 + 12 + 2, "%s: %u bytes", c->name, (guint) n);
        fail_unless_equals_int (sps.width, c->width);
        fail_unless_equals_int (sps.height, c->height);
        fail_unless_equals_int (sps.bit_depth_chroma, c->depth);
      }
      g_free (copy);
    }
    fail_unless (seen_ok);
    g_free (nal);
  }
}

GST_END_TEST;

GST_START_TEST (test_sps_hostile)
{
  gsize len, i;
  guint8 *nal = unhex (sps_cases[1].hex, &len);
  guint8 *bad = g_malloc (len);
  ArclyH265Sps sps;
  guint8 junk[64];

  /* forbidden_zero_bit, TemporalId + 1 = 0, another NAL type */
  memcpy (bad, nal, len);
  bad[0] |= 0x80;
  fail_if (arcly_h265_parse_sps (bad, len, &sps));
  memcpy (bad, nal, len);
  bad[1] &= ~7;
  fail_if (arcly_h265_parse_sps (bad, len, &sps));
  memcpy (bad, nal, len);
  bad[0] = 0x40;                /* VPS */
  fail_if (arcly_h265_parse_sps (bad, len, &sps));
  /* sps_max_sub_layers_minus1 = 7 (8 sub-layers, over the limit) */
  memcpy (bad, nal, len);
  bad[2] = 0x0f;
  fail_if (arcly_h265_parse_sps (bad, len, &sps));
  fail_if (arcly_h265_parse_sps (NULL, 0, &sps));
  fail_if (arcly_h265_parse_sps (nal, len, NULL));

  /* all-ones / all-zero bodies: ue() overflow, zero sizes */
  junk[0] = 0x42;
  junk[1] = 0x01;
  memset (junk + 2, 0xff, sizeof (junk) - 2);
  fail_if (arcly_h265_parse_sps (junk, sizeof (junk), &sps));
  memset (junk + 2, 0x00, sizeof (junk) - 2);
  fail_if (arcly_h265_parse_sps (junk, sizeof (junk), &sps));

  /* every single-byte corruption: parses or not, never reads out of
   * bounds, and a parsed picture is never empty */
  for (i = 2; i < len; i++) {
    guint v;

    for (v = 0; v < 256; v += 17) {
      memcpy (bad, nal, len);
      bad[i] ^= v;
      if (arcly_h265_parse_sps (bad, len, &sps))
        fail_unless (sps.width > 0 && sps.height > 0 &&
            sps.width <= sps.pic_width && sps.height <= sps.pic_height);
    }
  }
  g_free (bad);
  g_free (nal);
}

GST_END_TEST;

GST_START_TEST (test_vps_pps_ids)
{
  gsize vlen, plen, n;
  guint8 *vps = unhex (vps_hex, &vlen);
  guint8 *pps = unhex (pps_hex, &plen);
  /* PPS with pps_pic_parameter_set_id 63 (ue: 000000 1000000) and
   * pps_seq_parameter_set_id 15 (0000 10000), then 64: out of range */
  const guint8 pps63[] = { 0x44, 0x01, 0x02, 0x00, 0x42 };
  const guint8 pps64[] = { 0x44, 0x01, 0x02, 0x0e };
  const guint8 vps5[] = { 0x40, 0x01, 0x5c, 0x01 };
  guint id = 99, sid = 99;

  fail_unless (arcly_h265_parse_vps_id (vps, vlen, &id));
  fail_unless_equals_int (id, 0);
  fail_unless (arcly_h265_parse_vps_id (vps5, sizeof (vps5), &id));
  fail_unless_equals_int (id, 5);
  fail_unless (arcly_h265_parse_pps_ids (pps, plen, &id, &sid));
  fail_unless_equals_int (id, 0);
  fail_unless_equals_int (sid, 0);
  fail_unless (arcly_h265_parse_pps_ids (pps63, sizeof (pps63), &id, &sid));
  fail_unless_equals_int (id, 63);
  fail_unless_equals_int (sid, 15);
  fail_if (arcly_h265_parse_pps_ids (pps64, sizeof (pps64), &id, &sid));
  /* the wrong kind */
  fail_if (arcly_h265_parse_vps_id (pps, plen, &id));
  fail_if (arcly_h265_parse_pps_ids (vps, vlen, &id, NULL));

  for (n = 0; n < 3; n++) {
    guint8 *copy = g_memdup2 (vps, n ? n : 1);

    fail_if (arcly_h265_parse_vps_id (n ? copy : NULL, n, &id));
    g_free (copy);
  }
  for (n = 0; n < 3; n++) {
    guint8 *copy = g_memdup2 (pps, n ? n : 1);

    fail_if (arcly_h265_parse_pps_ids (n ? copy : NULL, n, &id, NULL));
    g_free (copy);
  }
  g_free (vps);
  g_free (pps);
}

GST_END_TEST;

GST_START_TEST (test_nal_header)
{
  const guint8 idr[] = { 0x26, 0x01 }, tid0[] = { 0x26, 0x00 };
  const guint8 fbit[] = { 0xa6, 0x01 }, layer[] = { 0x27, 0xf9 };

  fail_unless (arcly_h265_nal_header_valid (idr, 2));
  fail_unless_equals_int (ARCLY_H265_NAL_TYPE (idr[0]), 19);
  fail_unless (ARCLY_H265_IS_IRAP (19) && ARCLY_H265_IS_IRAP (21) &&
      ARCLY_H265_IS_IRAP (16) && !ARCLY_H265_IS_IRAP (1) &&
      !ARCLY_H265_IS_IRAP (32));
  fail_unless (ARCLY_H265_IS_VCL (0) && ARCLY_H265_IS_VCL (31) &&
      !ARCLY_H265_IS_VCL (32));
  fail_if (arcly_h265_nal_header_valid (tid0, 2));
  fail_if (arcly_h265_nal_header_valid (fbit, 2));
  fail_if (arcly_h265_nal_header_valid (idr, 1));
  fail_if (arcly_h265_nal_header_valid (NULL, 2));
  fail_unless_equals_int (ARCLY_H265_NAL_LAYER_ID (layer[0], layer[1]), 63);
  fail_unless_equals_int (ARCLY_H265_NAL_TID (layer[1]), 1);
}

GST_END_TEST;

GST_START_TEST (test_bit_reader)
{
  /* 1 | 010 | 011 | 00100 | 00101 | 0000 11111: ue 0, 1, 2, 3, 4, 30,
   * 6 zero bits, then 00 00 03 01 ff: an emulation-prevention byte */
  const guint8 bits[] = { 0xa6, 0x42, 0x87, 0xc0, 0x00, 0x00, 0x03, 0x01,
    0xff
  };
  /* 32 leading zeros: an invalid ue() */
  const guint8 long_ue[] = { 0, 0, 0, 0, 0x80, 0xff };
  ArclyBitReader br;

  arcly_br_init (&br, bits, sizeof (bits));
  fail_unless_equals_int (arcly_br_ue (&br), 0);
  fail_unless_equals_int (arcly_br_ue (&br), 1);
  fail_unless_equals_int (arcly_br_ue (&br), 2);
  fail_unless_equals_int (arcly_br_ue (&br), 3);
  fail_unless_equals_int (arcly_br_ue (&br), 4);
  fail_unless_equals_int (arcly_br_ue (&br), 30);
  fail_if (br.error);
  /* 0xc0 has 6 bits left ("000000"), then 00 00 [03 dropped] 01 ff */
  fail_unless_equals_int (arcly_br_bits (&br, 6), 0);
  fail_unless_equals_int (arcly_br_bits (&br, 16), 0x0000);
  fail_unless_equals_int (arcly_br_bits (&br, 16), 0x01ff);
  fail_if (br.error);
  fail_unless_equals_int (arcly_br_bits (&br, 1), 0);
  fail_unless (br.error);

  arcly_br_init (&br, bits, 2);
  arcly_br_skip (&br, 16);
  fail_if (br.error);
  arcly_br_skip (&br, 1);
  fail_unless (br.error);

  arcly_br_init (&br, long_ue, sizeof (long_ue));
  arcly_br_ue (&br);
  fail_unless (br.error);

  /* se(): 1 → 0, 010 → 1, 011 → -1 */
  {
    const guint8 se[] = { 0xa6 };

    arcly_br_init (&br, se, 1);
    fail_unless_equals_int (arcly_br_se (&br), 0);
    fail_unless_equals_int (arcly_br_se (&br), 1);
    fail_unless_equals_int (arcly_br_se (&br), -1);
  }
}

GST_END_TEST;

static Suite *
arclyh265_suite (void)
{
  Suite *s = suite_create ("arclyh265");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_sps_real);
  tcase_add_test (tc, test_sps_truncated);
  tcase_add_test (tc, test_sps_hostile);
  tcase_add_test (tc, test_vps_pps_ids);
  tcase_add_test (tc, test_nal_header);
  tcase_add_test (tc, test_bit_reader);
  return s;
}

GST_CHECK_MAIN (arclyh265);
