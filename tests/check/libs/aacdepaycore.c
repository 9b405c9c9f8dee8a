/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Unit tests for gst/arclyrtspsrc/aacdepaycore.[ch] (RFC 3640 payload
 * parsing and fragment bookkeeping): tables of payloads, every truncated
 * prefix of each in an exact-size heap copy, hostile bytes.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>

#include "aacdepaycore.h"

static ArclyAacDepayResult
parse_copy (const ArclyAacDepayParams * p, const guint8 * data, gsize len,
    ArclyAacAu * aus, guint max, guint * n, const gchar ** why)
{
  guint8 *copy = g_malloc (len ? len : 1);
  ArclyAacDepayResult r;

  memcpy (copy, data, len);
  r = arcly_aac_depay_parse (p, len ? copy : NULL, len, aus, max, n, why);
  g_free (copy);
  return r;
}

static ArclyAacDepayParams
hbr (void)
{
  ArclyAacDepayParams p;

  arcly_aac_depay_params_init (&p, ARCLY_AAC_DEPAY_MODE_AAC_HBR);
  return p;
}

GST_START_TEST (test_modes)
{
  ArclyAacDepayParams p;
  const gchar *why;

  fail_unless_equals_int (arcly_aac_depay_mode_from_string ("AAC-hbr"),
      ARCLY_AAC_DEPAY_MODE_AAC_HBR);
  fail_unless_equals_int (arcly_aac_depay_mode_from_string ("aac-HBR"),
      ARCLY_AAC_DEPAY_MODE_AAC_HBR);
  fail_unless_equals_int (arcly_aac_depay_mode_from_string ("AAC-LBR"),
      ARCLY_AAC_DEPAY_MODE_AAC_LBR);
  fail_unless_equals_int (arcly_aac_depay_mode_from_string ("generic"),
      ARCLY_AAC_DEPAY_MODE_UNKNOWN);
  fail_unless_equals_int (arcly_aac_depay_mode_from_string (NULL),
      ARCLY_AAC_DEPAY_MODE_UNKNOWN);

  arcly_aac_depay_params_init (&p, ARCLY_AAC_DEPAY_MODE_AAC_HBR);
  fail_unless (p.size_length == 13 && p.index_length == 3 &&
      p.index_delta_length == 3);
  fail_unless (arcly_aac_depay_params_validate (&p, &why));
  arcly_aac_depay_params_init (&p, ARCLY_AAC_DEPAY_MODE_AAC_LBR);
  fail_unless (p.size_length == 6 && p.index_length == 2 &&
      p.index_delta_length == 2);
  arcly_aac_depay_params_init (&p, ARCLY_AAC_DEPAY_MODE_UNKNOWN);
  fail_if (arcly_aac_depay_params_validate (&p, &why));
  fail_unless (why != NULL);
  p = hbr ();
  p.size_length = 33;
  fail_if (arcly_aac_depay_params_validate (&p, NULL));
  p = hbr ();
  p.random_access_indication = 2;
  fail_if (arcly_aac_depay_params_validate (&p, NULL));
}

GST_END_TEST;

/* three AUs of 3, 2, 1 bytes: headers 0x0018 0x0010 0x0008 */
static const guint8 three_aus[] = {
  0x00, 0x30, 0x00, 0x18, 0x00, 0x10, 0x00, 0x08,
  0xa1, 0xa2, 0xa3, 0xb1, 0xb2, 0xc1
};

GST_START_TEST (test_three_aus_and_truncations)
{
  ArclyAacDepayParams p = hbr ();
  ArclyAacAu aus[8];
  guint n, cut;
  const gchar *why;

  fail_unless_equals_int (parse_copy (&p, three_aus, sizeof (three_aus), aus,
          8, &n, &why), ARCLY_AAC_DEPAY_AUS);
  fail_unless_equals_int (n, 3);
  fail_unless (aus[0].offset == 8 && aus[0].size == 3 && aus[0].index == 0);
  fail_unless (aus[1].offset == 11 && aus[1].size == 2 && aus[1].index == 1);
  fail_unless (aus[2].offset == 13 && aus[2].size == 1 && aus[2].index == 2);

  /* every prefix: the sizes no longer fit */
  for (cut = 0; cut < sizeof (three_aus); cut++) {
    fail_unless_equals_int (parse_copy (&p, three_aus, cut, aus, 8, &n,
            &why), ARCLY_AAC_DEPAY_INVALID);
    fail_unless (why != NULL);
  }
  /* too many headers for the array given */
  fail_unless_equals_int (parse_copy (&p, three_aus, sizeof (three_aus), aus,
          2, &n, &why), ARCLY_AAC_DEPAY_INVALID);
}

GST_END_TEST;

/* One header, AU-size 1000, 4 bytes of data: a fragment.  Its prefixes are
 * smaller fragments until the data is gone. */
GST_START_TEST (test_fragment_and_truncations)
{
  static const guint8 frag[] = { 0x00, 0x10, 0x1f, 0x40, 1, 2, 3, 4 };
  ArclyAacDepayParams p = hbr ();
  ArclyAacAu aus[4];
  guint n, cut;

  fail_unless_equals_int (parse_copy (&p, frag, sizeof (frag), aus, 4, &n,
          NULL), ARCLY_AAC_DEPAY_FRAGMENT);
  fail_unless (n == 1 && aus[0].au_size == 1000 && aus[0].offset == 4 &&
      aus[0].size == 4);
  for (cut = 0; cut < sizeof (frag); cut++) {
    ArclyAacDepayResult r = parse_copy (&p, frag, cut, aus, 4, &n, NULL);

    if (cut > 4) {
      fail_unless_equals_int (r, ARCLY_AAC_DEPAY_FRAGMENT);
      fail_unless_equals_int (aus[0].size, cut - 4);
    } else {
      fail_unless_equals_int (r, ARCLY_AAC_DEPAY_INVALID);
    }
  }
}

GST_END_TEST;

GST_START_TEST (test_hostile)
{
  static const struct
  {
    const gchar *name;
    guint8 data[12];
    guint len;
  } bad[] = {
    {"headers length 0", {0x00, 0x00, 0x00, 0x08, 1}, 5},
    {"headers past payload", {0xff, 0xff, 0x00, 0x08, 1}, 5},
    {"partial header", {0x00, 0x0f, 0x00, 0x08, 1}, 5},
    {"header + 1 stray bit", {0x00, 0x11, 0x00, 0x08, 0x00, 1}, 6},
    {"zero AU size", {0x00, 0x10, 0x00, 0x00, 1}, 5},
    {"zero size among two", {0x00, 0x20, 0x00, 0x08, 0x00, 0x00, 1}, 7},
    {"sizes past payload", {0x00, 0x20, 0x00, 0x10, 0x00, 0x10, 1, 2, 3}, 9},
    {"fragment without data", {0x00, 0x10, 0x00, 0x08}, 4},
  };
  ArclyAacDepayParams p = hbr ();
  ArclyAacAu aus[8];
  guint i, n;
  const gchar *why;

  for (i = 0; i < G_N_ELEMENTS (bad); i++) {
    why = NULL;
    fail_unless_equals_int (parse_copy (&p, bad[i].data, bad[i].len, aus, 8,
            &n, &why), ARCLY_AAC_DEPAY_INVALID);
    fail_unless (why != NULL, "%s: no reason", bad[i].name);
  }
}

GST_END_TEST;

/* An absurd AU-Index-delta span is refused, a small one is kept. */
GST_START_TEST (test_index_span)
{
  ArclyAacDepayParams p = hbr ();
  ArclyAacAu aus[4];
  guint n;
  /* indexdeltalength 16: second AU delta 0xffff */
  static const guint8 far[] = { 0x00, 0x3a, 0x00, 0x08, 0x00, 0x00, 0x00,
    0x7f, 0xff, 0xc0, 1, 2
  };
  static const guint8 near[] = { 0x00, 0x3a, 0x00, 0x08, 0x00, 0x00, 0x00,
    0x40, 0x00, 0x40, 1, 2
  };

  /* header 1: 13 + 16 bits, header 2: 13 + 16 bits = 58 = 0x3a */
  p.index_length = 16;
  p.index_delta_length = 16;
  fail_unless_equals_int (parse_copy (&p, far, sizeof (far), aus, 4, &n,
          NULL), ARCLY_AAC_DEPAY_INVALID);
  fail_unless_equals_int (parse_copy (&p, near, sizeof (near), aus, 4, &n,
          NULL), ARCLY_AAC_DEPAY_AUS);
  fail_unless_equals_int (n, 2);
  /* delta 1: the second AU is two AU periods after the first */
  fail_unless_equals_int (aus[1].index, 2);
}

GST_END_TEST;

GST_START_TEST (test_adts_skip)
{
  /* ADTS header for a 10-byte frame (3 payload bytes) */
  static const guint8 adts[10] = { 0xff, 0xf1, 0x4c, 0x80, 0x01, 0x5f, 0xfc,
    1, 2, 3
  };
  guint8 raw[10] = { 0x21, 0xf1, 0x4c, 0x80, 0x01, 0x5f, 0xfc, 1, 2, 3 };

  fail_unless_equals_int (arcly_aac_depay_adts_skip (adts, 9, 10), 7);
  /* frame length must be the AU size exactly */
  fail_unless_equals_int (arcly_aac_depay_adts_skip (adts, 9, 11), 0);
  fail_unless_equals_int (arcly_aac_depay_adts_skip (adts, 9, 9), 0);
  fail_unless_equals_int (arcly_aac_depay_adts_skip (raw, 9, 10), 0);
  /* short heads */
  fail_unless_equals_int (arcly_aac_depay_adts_skip (adts, 6, 10), 0);
  fail_unless_equals_int (arcly_aac_depay_adts_skip (adts, 9, 6), 0);
}

GST_END_TEST;

GST_START_TEST (test_frag_state)
{
  ArclyAacFragState s;

  arcly_aac_frag_reset (&s);
  /* 3 fragments of a 30-byte AU, marker on the last */
  fail_unless_equals_int (arcly_aac_frag_add (&s, 30, 10, 7, FALSE),
      ARCLY_AAC_FRAG_MORE);
  fail_unless_equals_int (arcly_aac_frag_add (&s, 30, 10, 7, FALSE),
      ARCLY_AAC_FRAG_MORE);
  fail_unless_equals_int (arcly_aac_frag_add (&s, 30, 10, 7, TRUE),
      ARCLY_AAC_FRAG_DONE);
  fail_if (s.active);

  /* marker before the bytes add up */
  fail_unless_equals_int (arcly_aac_frag_add (&s, 30, 10, 8, FALSE),
      ARCLY_AAC_FRAG_MORE);
  fail_unless_equals_int (arcly_aac_frag_add (&s, 30, 10, 8, TRUE),
      ARCLY_AAC_FRAG_BROKEN);
  fail_if (s.active);

  /* complete without a marker: tolerated */
  fail_unless_equals_int (arcly_aac_frag_add (&s, 20, 10, 9, FALSE),
      ARCLY_AAC_FRAG_MORE);
  fail_unless_equals_int (arcly_aac_frag_add (&s, 20, 10, 9, FALSE),
      ARCLY_AAC_FRAG_DONE);

  /* AU-size or timestamp changing mid-AU, overflow, zero, too big */
  arcly_aac_frag_add (&s, 30, 10, 10, FALSE);
  fail_unless_equals_int (arcly_aac_frag_add (&s, 31, 10, 10, FALSE),
      ARCLY_AAC_FRAG_BROKEN);
  arcly_aac_frag_add (&s, 30, 10, 10, FALSE);
  fail_unless_equals_int (arcly_aac_frag_add (&s, 30, 10, 11, FALSE),
      ARCLY_AAC_FRAG_BROKEN);
  arcly_aac_frag_add (&s, 30, 25, 12, FALSE);
  fail_unless_equals_int (arcly_aac_frag_add (&s, 30, 10, 12, FALSE),
      ARCLY_AAC_FRAG_BROKEN);
  fail_unless_equals_int (arcly_aac_frag_add (&s, 0, 10, 13, FALSE),
      ARCLY_AAC_FRAG_BROKEN);
  fail_unless_equals_int (arcly_aac_frag_add (&s, 30, 0, 13, FALSE),
      ARCLY_AAC_FRAG_BROKEN);
  fail_unless_equals_int (arcly_aac_frag_add (&s,
          ARCLY_AAC_DEPAY_MAX_AU_SIZE + 1, 10, 13, FALSE),
      ARCLY_AAC_FRAG_BROKEN);
  fail_if (s.active);
}

GST_END_TEST;

/* Random bytes under every parameter combination: results stay inside
 * the payload. */
GST_START_TEST (test_random)
{
  GRand *rand = g_rand_new_with_seed (3640);
  guint i;

  for (i = 0; i < 50000; i++) {
    ArclyAacDepayParams p;
    guint8 buf[48];
    guint len = g_rand_int_range (rand, 0, sizeof (buf) + 1), k, n = 0;
    ArclyAacAu aus[16];
    ArclyAacDepayResult r;

    arcly_aac_depay_params_init (&p, g_rand_boolean (rand) ?
        ARCLY_AAC_DEPAY_MODE_AAC_HBR : ARCLY_AAC_DEPAY_MODE_AAC_LBR);
    p.cts_delta_length = g_rand_int_range (rand, 0, 3) * 8;
    p.dts_delta_length = g_rand_int_range (rand, 0, 3) * 8;
    p.random_access_indication = g_rand_boolean (rand);
    p.auxiliary_data_size_length = g_rand_int_range (rand, 0, 2) * 8;
    for (k = 0; k < len; k++)
      buf[k] = g_rand_int (rand) & 0xff;
    if (len >= 2 && g_rand_boolean (rand)) {
      buf[0] = 0;
      buf[1] = g_rand_int_range (rand, 1, 64);
    }
    r = parse_copy (&p, buf, len, aus, G_N_ELEMENTS (aus), &n, NULL);
    for (k = 0; r != ARCLY_AAC_DEPAY_INVALID && k < n; k++)
      fail_unless (aus[k].size > 0 && aus[k].offset + aus[k].size <= len);
  }
  g_rand_free (rand);
}

GST_END_TEST;

static Suite *
aacdepaycore_suite (void)
{
  Suite *s = suite_create ("aacdepaycore");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_modes);
  tcase_add_test (tc, test_three_aus_and_truncations);
  tcase_add_test (tc, test_fragment_and_truncations);
  tcase_add_test (tc, test_hostile);
  tcase_add_test (tc, test_index_span);
  tcase_add_test (tc, test_adts_skip);
  tcase_add_test (tc, test_frag_state);
  tcase_add_test (tc, test_random);
  return s;
}

GST_CHECK_MAIN (aacdepaycore);
