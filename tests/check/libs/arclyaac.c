/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Unit tests for gst/common/arclyaac.[ch]: AudioSpecificConfig parsing,
 * hex config parsing, ADTS header writing and recognition.  Every input is
 * also fed as each of its truncated prefixes, each placed in an exact-size
 * heap copy so ASan catches a read one byte past the end.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>

#include "arclyaac.h"

typedef struct
{
  const gchar *name;
  const gchar *hex;
  guint min_len;                /* shortest prefix that still parses */
  guint object_type;
  guint rate;
  guint rate_index;
  guint channels;
  guint channel_config;
  guint frame_length;
  guint ext_rate;
  guint ext_rate_min_len;       /* prefix needed to see ext_rate (0: = min) */
} AscCase;

/* Configs made by real encoders and by hand (bit layouts in comments). */
static const AscCase asc_cases[] = {
  /* voaacenc, audio/x-raw,rate=48000,channels=2 (rtpmp4gpay config=1190) */
  {"lc-48k-stereo", "1190", 2, 2, 48000, 3, 2, 2, 1024, 0, 0},
  /* voaacenc, rate=44100,channels=1 (rtpmp4gpay config=1208) */
  {"lc-44k1-mono", "1208", 2, 2, 44100, 4, 1, 1, 1024, 0, 0},
  /* HE-AAC, explicit: AOT 5, 24 kHz core, stereo, SBR 48 kHz, core AOT 2 */
  {"he-aac-explicit", "2B118800", 4, 5, 24000, 6, 2, 2, 1024, 48000, 0},
  /* HE-AACv2, explicit: AOT 29, 24 kHz core, mono, 48 kHz output */
  {"he-aacv2-explicit", "EB098800", 4, 29, 24000, 6, 1, 1, 1024, 48000, 0},
  /* AAC-LC 24 kHz stereo + sync extension 0x2b7, SBR at 48 kHz */
  {"he-aac-implicit", "131056E598", 2, 2, 24000, 6, 2, 2, 1024, 48000, 5},
  /* escape index 15, explicit 44100 Hz, stereo */
  {"escape-44100", "1780562210", 5, 2, 44100, 15, 2, 2, 1024, 0, 0},
  /* escape index 15, explicit 50000 Hz (not a table rate), mono */
  {"escape-50000", "178061A808", 5, 2, 50000, 15, 1, 1, 1024, 0, 0},
  /* frameLengthFlag = 1: 960-sample frames (DAB+ style) */
  {"lc-960", "1194", 2, 2, 48000, 3, 2, 2, 960, 0, 0},
  /* dependsOnCoreCoder with a 14-bit coreCoderDelay */
  {"core-delay", "11920320", 4, 2, 48000, 3, 2, 2, 1024, 0, 0},
  /* AAC-LTP, 44.1 kHz stereo */
  {"ltp", "2210", 2, 4, 44100, 4, 2, 2, 1024, 0, 0},
  /* AOT escape (31 + 6 bits = 42, USAC), 48 kHz stereo */
  {"aot-escape", "F94640", 3, 42, 48000, 3, 2, 2, 1024, 0, 0},
  /* channel_configuration 0 with a PCE (1 front CPE, no comment), then
   * the SBR sync extension: found only if the PCE is skipped exactly */
  {"pce-then-sbr", "118004C40000200056E598", 8, 2, 48000, 3, 0, 0, 1024,
      48000, 11},
};

static GBytes *
hex_bytes (const gchar * hex)
{
  GBytes *b = arcly_aac_config_from_hex (hex);

  fail_unless (b != NULL, "bad hex fixture %s", hex);
  return b;
}

static gboolean
parse_exact_copy (const guint8 * data, gsize len, ArclyAacConfig * cfg)
{
  /* exact-size heap copy: one byte too far is an ASan error */
  guint8 *copy = g_memdup2 (data, len ? len : 1);
  gboolean ok = arcly_aac_parse_asc (len ? copy : NULL, len, cfg);

  g_free (copy);
  return ok;
}

GST_START_TEST (test_asc_cases)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (asc_cases); i++) {
    const AscCase *c = &asc_cases[i];
    GBytes *b = hex_bytes (c->hex);
    gsize len;
    const guint8 *data = g_bytes_get_data (b, &len);
    ArclyAacConfig cfg;

    memset (&cfg, 0xab, sizeof (cfg));
    fail_unless (parse_exact_copy (data, len, &cfg), "%s: no parse", c->name);
    fail_unless_equals_int (cfg.object_type, c->object_type);
    fail_unless_equals_int (cfg.rate, c->rate);
    fail_unless_equals_int (cfg.rate_index, c->rate_index);
    fail_unless_equals_int (cfg.channels, c->channels);
    fail_unless_equals_int (cfg.channel_config, c->channel_config);
    fail_unless_equals_int (cfg.frame_length, c->frame_length);
    fail_unless_equals_int (cfg.ext_rate, c->ext_rate);
    g_bytes_unref (b);
  }
}

GST_END_TEST;

/* Every prefix: shorter than the core config → FALSE; long enough for the
 * core but cut inside the optional SBR extension → same core, no SBR. */
GST_START_TEST (test_asc_truncations)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (asc_cases); i++) {
    const AscCase *c = &asc_cases[i];
    GBytes *b = hex_bytes (c->hex);
    gsize len, cut;
    const guint8 *data = g_bytes_get_data (b, &len);
    guint ext_len = c->ext_rate_min_len ? c->ext_rate_min_len : c->min_len;

    for (cut = 0; cut < len; cut++) {
      ArclyAacConfig cfg;
      gboolean ok = parse_exact_copy (data, cut, &cfg);

      if (cut < c->min_len) {
        fail_if (ok, "%s: prefix of %u bytes parsed", c->name, (guint) cut);
        continue;
      }
      fail_unless (ok, "%s: prefix of %u bytes refused", c->name, (guint) cut);
      fail_unless_equals_int (cfg.rate, c->rate);
      fail_unless_equals_int (cfg.channels, c->channels);
      fail_unless_equals_int (cfg.ext_rate, cut >= ext_len ? c->ext_rate : 0);
    }
    g_bytes_unref (b);
  }
}

GST_END_TEST;

GST_START_TEST (test_asc_invalid)
{
  static const gchar *bad[] = {
    "0190",                     /* object type 0 */
    "16900000",                 /* rate index 13 (reserved) */
    "17100000",                 /* rate index 14 (reserved) */
    "17800000001000",           /* escape rate of 0 Hz */
    "11C0",                     /* channel configuration 8 (reserved) */
    "11F8",                     /* channel configuration 15 (reserved) */
    "2B119400",                 /* explicit SBR whose core type is 5 again */
    "2B168800",                 /* explicit SBR with ext rate index 13 */
  };
  guint i;
  ArclyAacConfig cfg;

  for (i = 0; i < G_N_ELEMENTS (bad); i++) {
    GBytes *b = hex_bytes (bad[i]);
    gsize len;
    const guint8 *data = g_bytes_get_data (b, &len);

    fail_if (parse_exact_copy (data, len, &cfg), "%s parsed", bad[i]);
    g_bytes_unref (b);
  }
  fail_if (arcly_aac_parse_asc (NULL, 0, &cfg));
}

GST_END_TEST;

GST_START_TEST (test_hex)
{
  GBytes *b;
  gsize len;
  const guint8 *d;

  b = arcly_aac_config_from_hex ("1190");
  fail_unless (b != NULL);
  d = g_bytes_get_data (b, &len);
  fail_unless_equals_int (len, 2);
  fail_unless (d[0] == 0x11 && d[1] == 0x90);
  g_bytes_unref (b);

  b = arcly_aac_config_from_hex ("eB09aF00");
  fail_unless (b != NULL);
  d = g_bytes_get_data (b, &len);
  fail_unless_equals_int (len, 4);
  fail_unless (d[0] == 0xeb && d[1] == 0x09 && d[2] == 0xaf && d[3] == 0);
  g_bytes_unref (b);

  fail_unless (arcly_aac_config_from_hex (NULL) == NULL);
  fail_unless (arcly_aac_config_from_hex ("") == NULL);
  fail_unless (arcly_aac_config_from_hex ("119") == NULL);
  fail_unless (arcly_aac_config_from_hex ("11 90") == NULL);
  fail_unless (arcly_aac_config_from_hex ("0x1190") == NULL);
  fail_unless (arcly_aac_config_from_hex ("11g0") == NULL);
  fail_unless (arcly_aac_config_from_hex ("-1") == NULL);
}

GST_END_TEST;

static ArclyAacConfig
config_of (const gchar * hex)
{
  GBytes *b = hex_bytes (hex);
  gsize len;
  const guint8 *data = g_bytes_get_data (b, &len);
  ArclyAacConfig cfg;

  fail_unless (arcly_aac_parse_asc (data, len, &cfg), "%s", hex);
  g_bytes_unref (b);
  return cfg;
}

GST_START_TEST (test_adts_round_trip)
{
  static const gchar *configs[] = { "1190", "1208", "1780562210", "2210" };
  static const gsize sizes[] = { 0, 1, 371, 2047, 2048, 8184 };
  guint i, j;

  for (i = 0; i < G_N_ELEMENTS (configs); i++) {
    ArclyAacConfig cfg = config_of (configs[i]);

    for (j = 0; j < G_N_ELEMENTS (sizes); j++) {
      guint8 hdr[ARCLY_AAC_ADTS_HEADER_SIZE];
      guint hlen = 0, flen = 0, profile, sfi, chan;

      fail_unless (arcly_aac_write_adts_header (&cfg, sizes[j], hdr));
      fail_unless (arcly_aac_parse_adts_header (hdr, sizeof (hdr), &hlen,
              &flen));
      fail_unless_equals_int (hlen, 7);
      fail_unless_equals_int (flen, sizes[j] + 7);
      /* the fields a decoder reads back */
      profile = (hdr[2] >> 6) + 1;
      sfi = (hdr[2] >> 2) & 0xf;
      chan = ((hdr[2] & 1) << 2) | (hdr[3] >> 6);
      fail_unless_equals_int (profile, cfg.object_type);
      fail_unless_equals_int (sfi, cfg.rate_index == 15 ? 4 : cfg.rate_index);
      fail_unless_equals_int (chan, cfg.channel_config);
      fail_unless (hdr[1] == 0xf1);     /* MPEG-4, layer 0, no CRC */
      fail_unless_equals_int (hdr[6] & 3, 0);   /* one raw data block */
    }
  }
}

GST_END_TEST;

/* The ADTS header of a 48 kHz stereo LC frame of 371 payload bytes,
 * worked out by hand from §1.A.2.2 (frame length 378 = 0x17a). */
GST_START_TEST (test_adts_known_bytes)
{
  static const guint8 expected[7] = { 0xff, 0xf1, 0x4c, 0x80, 0x2f, 0x5f,
    0xfc
  };
  ArclyAacConfig cfg = config_of ("1190");
  guint8 hdr[ARCLY_AAC_ADTS_HEADER_SIZE];

  fail_unless (arcly_aac_write_adts_header (&cfg, 371, hdr));
  fail_unless (memcmp (hdr, expected, 7) == 0,
      "got %02x %02x %02x %02x %02x %02x %02x", hdr[0], hdr[1], hdr[2],
      hdr[3], hdr[4], hdr[5], hdr[6]);
}

GST_END_TEST;

GST_START_TEST (test_adts_he_aac_as_lc_core)
{
  ArclyAacConfig cfg = config_of ("2B118800");
  guint8 hdr[ARCLY_AAC_ADTS_HEADER_SIZE];

  /* HE-AAC goes into ADTS as LC at the 24 kHz core rate (index 6) */
  fail_unless (arcly_aac_write_adts_header (&cfg, 100, hdr));
  fail_unless_equals_int ((hdr[2] >> 6) + 1, 2);
  fail_unless_equals_int ((hdr[2] >> 2) & 0xf, 6);
}

GST_END_TEST;

GST_START_TEST (test_adts_refused)
{
  ArclyAacConfig cfg;
  guint8 hdr[ARCLY_AAC_ADTS_HEADER_SIZE];

  cfg = config_of ("1190");
  fail_if (arcly_aac_write_adts_header (&cfg, 8185, hdr));      /* too big */
  cfg = config_of ("178061A808");       /* 50 kHz: no ADTS index */
  fail_if (arcly_aac_write_adts_header (&cfg, 10, hdr));
  cfg = config_of ("1194");     /* 960-sample frames */
  fail_if (arcly_aac_write_adts_header (&cfg, 10, hdr));
  cfg = config_of ("118004C40000200056E598");   /* PCE */
  fail_if (arcly_aac_write_adts_header (&cfg, 10, hdr));
  cfg = config_of ("F94640");   /* USAC */
  fail_if (arcly_aac_write_adts_header (&cfg, 10, hdr));
}

GST_END_TEST;

GST_START_TEST (test_adts_parse)
{
  /* with CRC (protection_absent = 0): 9-byte header */
  static const guint8 crc[9] = { 0xff, 0xf0, 0x4c, 0x80, 0x2f, 0x7f, 0xfc,
    0x12, 0x34
  };
  static const guint8 mpeg2[7] = { 0xff, 0xf9, 0x4c, 0x80, 0x2f, 0x5f, 0xfc };
  static const guint8 layer1[7] = { 0xff, 0xf3, 0x4c, 0x80, 0x2f, 0x5f, 0xfc };
  static const guint8 nosync[7] = { 0xff, 0xe1, 0x4c, 0x80, 0x2f, 0x5f, 0xfc };
  static const guint8 rate13[7] = { 0xff, 0xf1, 0x74, 0x80, 0x2f, 0x5f, 0xfc };
  static const guint8 short_len[7] = { 0xff, 0xf1, 0x4c, 0x80, 0x00, 0xdf,
    0xfc
  };
  guint hlen, flen, cut;

  fail_unless (arcly_aac_parse_adts_header (crc, 9, &hlen, &flen));
  fail_unless_equals_int (hlen, 9);
  fail_unless_equals_int (flen, 379);
  fail_unless (arcly_aac_parse_adts_header (mpeg2, 7, &hlen, &flen));
  fail_unless_equals_int (hlen, 7);
  fail_if (arcly_aac_parse_adts_header (layer1, 7, &hlen, &flen));
  fail_if (arcly_aac_parse_adts_header (nosync, 7, &hlen, &flen));
  fail_if (arcly_aac_parse_adts_header (rate13, 7, &hlen, &flen));
  /* frame_length 6 < header */
  fail_if (arcly_aac_parse_adts_header (short_len, 7, &hlen, &flen));
  /* NULL outputs are allowed */
  fail_unless (arcly_aac_parse_adts_header (mpeg2, 7, NULL, NULL));

  /* every truncation, exact-size copies */
  for (cut = 0; cut < 9; cut++) {
    guint8 *copy = g_memdup2 (crc, cut ? cut : 1);
    fail_if (arcly_aac_parse_adts_header (copy, cut, &hlen, &flen));
    g_free (copy);
  }
  for (cut = 0; cut < 7; cut++) {
    guint8 *copy = g_memdup2 (mpeg2, cut ? cut : 1);
    fail_if (arcly_aac_parse_adts_header (copy, cut, &hlen, &flen));
    g_free (copy);
  }
}

GST_END_TEST;

/* Hostile bytes: every 1-, 2- and 3-byte input, and a run of random ones,
 * must parse or fail without reading past the slice. */
GST_START_TEST (test_asc_exhaustive_short)
{
  guint v;
  ArclyAacConfig cfg;
  GRand *rand = g_rand_new_with_seed (4);
  guint i;

  for (v = 0; v < 0x10000; v++) {
    guint8 two[2] = { v >> 8, v & 0xff };
    guint8 *copy = g_memdup2 (two, 2);

    if (arcly_aac_parse_asc (copy, 2, &cfg)) {
      fail_unless (cfg.rate > 0);
      fail_unless (cfg.frame_length == 1024 || cfg.frame_length == 960);
    }
    arcly_aac_parse_asc (copy, 1, &cfg);
    g_free (copy);
  }
  for (i = 0; i < 20000; i++) {
    guint8 buf[16];
    guint len = g_rand_int_range (rand, 1, sizeof (buf) + 1), k;
    guint8 *copy;
    guint hlen, flen;

    for (k = 0; k < len; k++)
      buf[k] = g_rand_int (rand) & 0xff;
    copy = g_memdup2 (buf, len);
    arcly_aac_parse_asc (copy, len, &cfg);
    if (arcly_aac_parse_adts_header (copy, len, &hlen, &flen))
      fail_unless (hlen <= len && flen >= hlen);
    g_free (copy);
  }
  g_rand_free (rand);
}

GST_END_TEST;

static Suite *
arclyaac_suite (void)
{
  Suite *s = suite_create ("arclyaac");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_asc_cases);
  tcase_add_test (tc, test_asc_truncations);
  tcase_add_test (tc, test_asc_invalid);
  tcase_add_test (tc, test_hex);
  tcase_add_test (tc, test_adts_round_trip);
  tcase_add_test (tc, test_adts_known_bytes);
  tcase_add_test (tc, test_adts_he_aac_as_lc_core);
  tcase_add_test (tc, test_adts_refused);
  tcase_add_test (tc, test_adts_parse);
  tcase_add_test (tc, test_asc_exhaustive_short);
  return s;
}

GST_CHECK_MAIN (arclyaac);
