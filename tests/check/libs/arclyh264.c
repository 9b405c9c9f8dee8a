/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Unit tests for gst/common/arclyh264.[ch]: Annex-B scanning, SPS parsing
 * (real x264 parameter sets), RBSP unescaping, avcC build/parse.  Inputs are
 * fed as every truncated prefix, each in an exact-size heap copy so ASan and
 * valgrind catch a read one byte past the end.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <gst/check/gstcheck.h>

#include "arclyh264.h"

typedef struct
{
  const gchar *name;
  const gchar *hex;
  guint profile, level, width, height, chroma;
  gint par_n, par_d, fps_n, fps_d;
} SpsCase;

/* Made with
 *   gst-launch-1.0 videotestsrc num-buffers=1 ! \
 *     video/x-raw,format=I420,width=W,height=H,framerate=30/1 ! x264enc ! \
 *     video/x-h264,profile=P,stream-format=byte-stream ! filesink
 * (x264 0.164, Debian 12).  1080p codes 1088 lines and crops 8; most carry
 * emulation-prevention bytes (00 00 03) inside the VUI. */
static const SpsCase sps_cases[] = {
  {"baseline-640x360",
      "6742c01ed900a02ff97016a0c0c0d4a0000003002000000791e2c5c9",
      66, 30, 640, 360, 1, 1, 1, 30, 1},
  {"baseline-1920x1080",
      "6742c028d900780227e5c05a808080a0000003002000000791e30649",
      66, 40, 1920, 1080, 1, 1, 1, 30, 1},
  {"main-640x360",
      "674d401eeca05017fcb80b5060606a50000003001000000303c8f162d960",
      77, 30, 640, 360, 1, 1, 1, 30, 1},
  {"main-1920x1080",
      "674d4028eca03c0113f2e02d40404050000003001000000303c8f1831960",
      77, 40, 1920, 1080, 1, 1, 1, 30, 1},
  {"high-640x360",
      "6764001eacd940a02ff97016a0c0c0d4a0000003002000000791e2c5b2c0",
      100, 30, 640, 360, 1, 1, 1, 30, 1},
  {"high-1920x1080",
      "67640028acd940780227e5c05a808080a0000003002000000791e30632c0",
      100, 40, 1920, 1080, 1, 1, 1, 30, 1},
  /* 720x576, framerate=25/1, pixel-aspect-ratio=16/15: Extended_SAR */
  {"high-720x576-par",
      "6764001eacd940b4126ffc0040003d28303035280000030008000003019478b16cb0",
      100, 30, 720, 576, 1, 16, 15, 25, 1},
};

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
    ArclyH264Sps sps;

    fail_unless (arcly_h264_parse_sps (nal, len, &sps), "%s", c->name);
    fail_unless_equals_int (sps.profile_idc, c->profile);
    fail_unless_equals_int (sps.level_idc, c->level);
    fail_unless_equals_int (sps.width, c->width);
    fail_unless_equals_int (sps.height, c->height);
    fail_unless_equals_int (sps.chroma_format_idc, c->chroma);
    fail_unless_equals_int (sps.bit_depth_luma, 8);
    fail_unless_equals_int (sps.bit_depth_chroma, 8);
    fail_unless_equals_int (sps.sps_id, 0);
    fail_unless (sps.frame_mbs_only);
    fail_unless_equals_int (sps.par_n, c->par_n);
    fail_unless_equals_int (sps.par_d, c->par_d);
    fail_unless_equals_int (sps.fps_n, c->fps_n);
    fail_unless_equals_int (sps.fps_d, c->fps_d);
    fail_unless_equals_int (sps.constraint_flags, nal[2]);
    g_free (nal);
  }
}

GST_END_TEST;

/* Every prefix: FALSE up to where the mandatory fields end, then TRUE with
 * the same picture size; the VUI values are either absent (defaults) or
 * right, never garbage. */
GST_START_TEST (test_sps_truncated)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (sps_cases); i++) {
    const SpsCase *c = &sps_cases[i];
    gsize len, l;
    guint8 *nal = unhex (c->hex, &len);
    gsize first_ok = 0;

    for (l = 0; l <= len; l++) {
      guint8 *copy = g_memdup2 (nal, l);
      ArclyH264Sps sps;
      gboolean ok = arcly_h264_parse_sps (copy, l, &sps);

      if (ok && first_ok == 0)
        first_ok = l;
      if (first_ok)
        fail_unless (ok, "%s: prefix %u parses, %u does not", c->name,
            (guint) first_ok, (guint) l);
      if (ok) {
        fail_unless_equals_int (sps.width, c->width);
        fail_unless_equals_int (sps.height, c->height);
        fail_unless (sps.fps_n == 0 || sps.fps_n == c->fps_n);
        fail_unless (sps.fps_d == 1 || sps.fps_d == c->fps_d);
        fail_unless ((sps.par_n == 1 && sps.par_d == 1) ||
            (sps.par_n == c->par_n && sps.par_d == c->par_d));
      }
      g_free (copy);
    }
    fail_unless (first_ok > 4 && first_ok < len, "%s: first_ok %u",
        c->name, (guint) first_ok);
    g_free (nal);
  }
}

GST_END_TEST;

/* max_num_reorder_frames from the VUI's bitstream_restriction (x264
 * writes it: 2 with B-pyramid, 0 without B-frames), and the profile's word
 * when the VUI does not say. */
GST_START_TEST (test_sps_reorder)
{
  static const struct
  {
    const gchar *hex;
    guint reorder;
  } cases[] = {
    /* the baseline and high cases above: no B-frames, and x264enc's
     * default bframes with b-pyramid */
    {"6742c01ed900a02ff97016a0c0c0d4a0000003002000000791e2c5c9", 0},
    {"6764001eacd940a02ff97016a0c0c0d4a0000003002000000791e2c5b2c0", 2},
    /* x264enc bframes=0, profile=high, 640x360 */
    {"6764001eacb201405ff2e02d418181a940000003004000000f23c58b92", 0},
  };
  ArclyH264Sps sps;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    gsize len;
    guint8 *nal = unhex (cases[i].hex, &len);

    fail_unless (arcly_h264_parse_sps (nal, len, &sps));
    fail_unless (sps.bitstream_restriction, "case %u", i);
    fail_unless_equals_int (sps.max_num_reorder_frames, cases[i].reorder);
    fail_unless_equals_int (arcly_h264_sps_may_reorder (&sps),
        cases[i].reorder > 0);
    g_free (nal);
  }

  /* no bitstream_restriction: the profile decides */
  memset (&sps, 0, sizeof (sps));
  sps.profile_idc = 66;
  fail_if (arcly_h264_sps_may_reorder (&sps));
  sps.profile_idc = 77;
  fail_unless (arcly_h264_sps_may_reorder (&sps));
  sps.profile_idc = 100;
  fail_unless (arcly_h264_sps_may_reorder (&sps));
  sps.profile_idc = 122;
  sps.constraint_flags = 0x10;  /* High 4:2:2 Intra */
  fail_if (arcly_h264_sps_may_reorder (&sps));
}

GST_END_TEST;

GST_START_TEST (test_sps_hostile)
{
  static const gchar *bad[] = {
    "",
    "67",
    "6742c0",
    "680000000000",             /* a PPS, not an SPS */
    "e742c01ed9",               /* forbidden_zero_bit set */
    "6742c01e0000000000000000000000",   /* ue with > 31 leading zeros */
    "6742c01e00000001",
    "6742c01e80",               /* sps_id 0, then nothing */
    "6742c01e07ffffffffffff",   /* sps_id ue = 62 > 31 */
  };
  guint i;
  GRand *rand = g_rand_new_with_seed (0x264);

  for (i = 0; i < G_N_ELEMENTS (bad); i++) {
    gsize len;
    guint8 *nal = unhex (bad[i], &len);
    ArclyH264Sps sps;

    fail_if (arcly_h264_parse_sps (nal, len, &sps), "%s parsed", bad[i]);
    g_free (nal);
  }
  fail_if (arcly_h264_parse_sps (NULL, 10, NULL));

  /* Random bytes behind an SPS header: no crash, sane output if TRUE. */
  for (i = 0; i < 20000; i++) {
    gsize len = g_rand_int_range (rand, 1, 64), j;
    guint8 *nal = g_malloc (len);
    ArclyH264Sps sps;

    for (j = 0; j < len; j++)
      nal[j] = g_rand_int (rand) & 0xff;
    nal[0] = 0x67;
    if ((i & 1) && len > 1)
      nal[1] = 100;             /* take the high-profile branch too */
    if (arcly_h264_parse_sps (nal, len, &sps)) {
      fail_unless (sps.width >= 1 && sps.width <= 16384);
      fail_unless (sps.height >= 1 && sps.height <= 32768);
      fail_unless (sps.par_n > 0 && sps.par_d > 0);
      fail_unless (sps.fps_n >= 0 && sps.fps_d > 0);
      fail_unless (sps.sps_id <= 31);
    }
    g_free (nal);
  }
  g_rand_free (rand);
}

GST_END_TEST;

GST_START_TEST (test_unescape)
{
  static const struct
  {
    const gchar *in, *out;
  } cases[] = {
    {"", ""},
    {"000003", "0000"},
    {"00000301", "000001"},
    {"00000303", "000003"},
    {"0000030000030000", "000000000000"},
    {"0003", "0003"},
    {"6742000003000003", "674200000000"},
    {"000000000003", "0000000000"},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    gsize in_len, out_len, exp_len;
    guint8 *in = unhex (cases[i].in, &in_len);
    guint8 *exp = unhex (cases[i].out, &exp_len);
    guint8 *out = arcly_h264_unescape_rbsp (in, in_len, &out_len);

    fail_unless_equals_int (out_len, exp_len);
    fail_unless (memcmp (out, exp, exp_len) == 0, "case %u", i);
    g_free (in);
    g_free (exp);
    g_free (out);
  }
}

GST_END_TEST;

GST_START_TEST (test_find_start_code)
{
  static const guint8 d[] = { 0x09, 0x00, 0x00, 0x01, 0x67, 0x00, 0x00, 0x00,
    0x01, 0x68, 0x00, 0x00, 0x01
  };
  gsize pos;
  guint len;

  fail_unless (arcly_h264_find_start_code (d, sizeof (d), 0, &pos, &len));
  fail_unless_equals_int (pos, 1);
  fail_unless_equals_int (len, 3);
  fail_unless (arcly_h264_find_start_code (d, sizeof (d), 4, &pos, &len));
  fail_unless_equals_int (pos, 5);
  fail_unless_equals_int (len, 4);
  /* from the middle of a 4-byte code: the 3-byte code inside it */
  fail_unless (arcly_h264_find_start_code (d, sizeof (d), 6, &pos, &len));
  fail_unless_equals_int (pos, 6);
  fail_unless_equals_int (len, 3);
  /* the last one ends exactly at the end of the data */
  fail_unless (arcly_h264_find_start_code (d, sizeof (d), 9, &pos, &len));
  fail_unless_equals_int (pos, 10);
  fail_unless_equals_int (len, 3);
  fail_if (arcly_h264_find_start_code (d, sizeof (d), 11, &pos, &len));
  fail_if (arcly_h264_find_start_code (d, sizeof (d), 100, &pos, &len));
  fail_if (arcly_h264_find_start_code (d, 2, 0, &pos, &len));
  fail_if (arcly_h264_find_start_code (NULL, 0, 0, &pos, &len));

  /* every prefix, exact-size copies */
  {
    gsize l;

    for (l = 0; l <= sizeof (d); l++) {
      guint8 *c = g_memdup2 (d, l);
      gsize off = 0;

      while (arcly_h264_find_start_code (c, l, off, &pos, &len)) {
        fail_unless (pos + len <= l);
        fail_unless (c[pos + len - 1] == 1);
        off = pos + len;
      }
      g_free (c);
    }
  }
}

GST_END_TEST;

typedef struct
{
  GPtrArray *nals;
  guint stop_after;
} NalCollect;

static gboolean
collect_nal (const guint8 * nal, gsize size, gpointer user_data)
{
  NalCollect *c = user_data;

  g_ptr_array_add (c->nals, g_bytes_new (nal, size));
  return c->stop_after == 0 || c->nals->len < c->stop_after;
}

static gchar *
bytes_hex (GBytes * b)
{
  gsize n, i;
  const guint8 *d = g_bytes_get_data (b, &n);
  GString *s = g_string_new (NULL);

  for (i = 0; i < n; i++)
    g_string_append_printf (s, "%02x", d[i]);
  return g_string_free (s, FALSE);
}

static void
check_nals (const gchar * hex, gboolean leading, guint stop, guint exp_count,
    const gchar * const *exp)
{
  gsize len;
  guint8 *d = unhex (hex, &len);
  NalCollect c = { g_ptr_array_new_with_free_func ((GDestroyNotify)
        g_bytes_unref), stop
  };
  guint n, i;

  n = arcly_h264_foreach_annexb_nal (d, len, leading, collect_nal, &c);
  fail_unless_equals_int (n, exp_count);
  fail_unless_equals_int (c.nals->len, exp_count);
  for (i = 0; i < c.nals->len; i++) {
    gchar *h = bytes_hex (g_ptr_array_index (c.nals, i));

    fail_unless_equals_string (h, exp[i]);
    g_free (h);
  }
  g_ptr_array_unref (c.nals);
  g_free (d);
}

GST_START_TEST (test_foreach_nal)
{
  const gchar *three[] = { "6742", "68ce", "6588" };
  const gchar *lead[] = { "0910", "6742", "68ce" };

  check_nals ("00000001674200000168ce0000000165880000", FALSE, 0, 3, three);
  /* bytes before the first start code: a NAL only when asked */
  check_nals ("0910000001674200000168ce", TRUE, 0, 3, lead);
  check_nals ("0910000001674200000168ce", FALSE, 0, 2, lead + 1);
  /* no start code at all */
  check_nals ("6742", TRUE, 0, 1, three);
  check_nals ("6742", FALSE, 0, 0, NULL);
  /* empty NAL units between start codes are skipped */
  check_nals ("000001000001000000016742", FALSE, 0, 1, three);
  /* early stop */
  check_nals ("00000001674200000168ce0000000165880000", FALSE, 2, 2, three);
  check_nals ("", TRUE, 0, 0, NULL);
  check_nals ("00000000", TRUE, 0, 0, NULL);
}

GST_END_TEST;

static GPtrArray *
bytes_array (const gchar * const *hex, guint n)
{
  GPtrArray *a = g_ptr_array_new_with_free_func ((GDestroyNotify)
      g_bytes_unref);
  guint i;

  for (i = 0; i < n; i++) {
    gsize len;
    guint8 *d = unhex (hex[i], &len);

    g_ptr_array_add (a, g_bytes_new_take (d, len));
  }
  return a;
}

GST_START_TEST (test_avcc_roundtrip)
{
  const gchar *sps_hex[] = { sps_cases[0].hex };
  const gchar *pps_hex[] = { "68cb8cb2", "68ce3c80" };
  const gchar *high_sps[] = { sps_cases[5].hex };
  GPtrArray *sps = bytes_array (sps_hex, 1), *pps = bytes_array (pps_hex, 2);
  GPtrArray *sps2 = g_ptr_array_new_with_free_func ((GDestroyNotify)
      g_bytes_unref);
  GPtrArray *pps2 = g_ptr_array_new_with_free_func ((GDestroyNotify)
      g_bytes_unref);
  GPtrArray *empty = g_ptr_array_new ();
  GBytes *avcc;
  const guint8 *d;
  gsize size, l;
  guint nls = 0;

  avcc = arcly_h264_avcc_build (sps, pps);
  fail_unless (avcc != NULL);
  d = g_bytes_get_data (avcc, &size);
  fail_unless_equals_int (d[0], 1);
  fail_unless_equals_int (d[1], 66);
  fail_unless_equals_int (d[2], 0xc0);
  fail_unless_equals_int (d[3], 30);
  fail_unless_equals_int (d[4], 0xff);
  fail_unless_equals_int (d[5], 0xe1);
  /* 6 + 2 + 28 + 1 + 2 + 4 + 2 + 4, baseline: no extension */
  fail_unless_equals_int (size, 49);

  fail_unless (arcly_h264_avcc_parse (d, size, sps2, pps2, &nls));
  fail_unless_equals_int (nls, 4);
  fail_unless_equals_int (sps2->len, 1);
  fail_unless_equals_int (pps2->len, 2);
  fail_unless (g_bytes_equal (g_ptr_array_index (sps2, 0),
          g_ptr_array_index (sps, 0)));
  fail_unless (g_bytes_equal (g_ptr_array_index (pps2, 1),
          g_ptr_array_index (pps, 1)));

  /* every truncation is refused and leaves the lists alone */
  for (l = 0; l < size; l++) {
    guint8 *c = g_memdup2 (d, l);

    g_ptr_array_set_size (sps2, 0);
    g_ptr_array_set_size (pps2, 0);
    fail_if (arcly_h264_avcc_parse (c, l, sps2, pps2, &nls), "len %u",
        (guint) l);
    fail_unless_equals_int (sps2->len, 0);
    fail_unless_equals_int (pps2->len, 0);
    g_free (c);
  }
  g_bytes_unref (avcc);

  /* High profile gets chroma_format / bit depth bytes */
  g_ptr_array_unref (sps);
  sps = bytes_array (high_sps, 1);
  avcc = arcly_h264_avcc_build (sps, pps);
  d = g_bytes_get_data (avcc, &size);
  fail_unless_equals_int (size, 6 + 2 + 30 + 1 + 12 + 4);
  fail_unless_equals_int (d[size - 4], 0xfd);
  fail_unless_equals_int (d[size - 3], 0xf8);
  fail_unless_equals_int (d[size - 2], 0xf8);
  fail_unless_equals_int (d[size - 1], 0);
  g_ptr_array_set_size (sps2, 0);
  g_ptr_array_set_size (pps2, 0);
  fail_unless (arcly_h264_avcc_parse (d, size, sps2, pps2, &nls));
  fail_unless_equals_int (sps2->len, 1);
  g_bytes_unref (avcc);

  fail_unless (arcly_h264_avcc_build (empty, pps) == NULL);
  fail_unless (arcly_h264_avcc_build (sps, empty) == NULL);
  fail_unless (arcly_h264_avcc_build (NULL, NULL) == NULL);

  g_ptr_array_unref (sps);
  g_ptr_array_unref (pps);
  g_ptr_array_unref (sps2);
  g_ptr_array_unref (pps2);
  g_ptr_array_unref (empty);
}

GST_END_TEST;

GST_START_TEST (test_avcc_hostile)
{
  static const gchar *bad[] = {
    "",
    "01",
    "0142c01effe1",             /* SPS count 1, nothing follows */
    "0242c01effe1000167" "0100",        /* version 2 */
    "0142c01efee1000167" "0100",        /* lengthSizeMinusOne = 2 */
    "0142c01effe1000067" "0100",        /* zero-length SPS */
    "0142c01effe1ffff67" "0100",        /* SPS length past the end */
    "0142c01effe100016701000268",       /* PPS length past the end */
  };
  static const gchar *good_len1 = "0142c01efce1000167010001" "68";
  guint i;
  gsize len;
  guint8 *d;
  guint nls = 0;
  GPtrArray *s = g_ptr_array_new_with_free_func ((GDestroyNotify)
      g_bytes_unref);

  for (i = 0; i < G_N_ELEMENTS (bad); i++) {
    d = unhex (bad[i], &len);
    fail_if (arcly_h264_avcc_parse (d, len, s, s, &nls), "%s", bad[i]);
    fail_unless_equals_int (s->len, 0);
    g_free (d);
  }
  d = unhex (good_len1, &len);
  fail_unless (arcly_h264_avcc_parse (d, len, s, NULL, &nls));
  fail_unless_equals_int (nls, 1);
  fail_unless_equals_int (s->len, 1);
  g_free (d);
  g_ptr_array_unref (s);
}

GST_END_TEST;

static Suite *
arclyh264_suite (void)
{
  Suite *s = suite_create ("arclyh264");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_sps_real);
  tcase_add_test (tc, test_sps_truncated);
  tcase_add_test (tc, test_sps_reorder);
  tcase_add_test (tc, test_sps_hostile);
  tcase_add_test (tc, test_unescape);
  tcase_add_test (tc, test_find_start_code);
  tcase_add_test (tc, test_foreach_nal);
  tcase_add_test (tc, test_avcc_roundtrip);
  tcase_add_test (tc, test_avcc_hostile);
  return s;
}

GST_CHECK_MAIN (arclyh264);
