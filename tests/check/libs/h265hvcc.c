/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * What the writers make of H.265 parameter sets: the hvcC record
 * (arcly_h265_hvcc_build, byte for byte against ffmpeg's for the same
 * stream), the RFC 6381 CODECS string (arcly_h265_codecs_string, against
 * the examples of ISO/IEC 14496-15 Annex E and Apple's HLS authoring spec)
 * the hvc1 / hev1 sample entries of the MP4 box writer, and the CODECS
 * values and multivariant playlist of arclyhlssink (hlscodecs.c).
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <gst/check/gstcheck.h>

#include "arclyh265.h"
#include "mp4writer.h"
#include "hlscodecs.h"

/* The parameter sets of `videotestsrc ! video/x-raw,format=I420,width=320,
 * height=240,framerate=30/1 ! x265enc speed-preset=ultrafast` (Main,
 * level 2.1, x265 3.x). */
static const guint8 vps[] = {
  0x40, 0x01, 0x0c, 0x01, 0xff, 0xff, 0x01, 0x60, 0x00, 0x00, 0x03, 0x00,
  0x90, 0x00, 0x00, 0x03, 0x00, 0x00, 0x03, 0x00, 0x3f, 0x95, 0x94, 0x09
};

static const guint8 sps[] = {
  0x42, 0x01, 0x01, 0x01, 0x60, 0x00, 0x00, 0x03, 0x00, 0x90, 0x00, 0x00,
  0x03, 0x00, 0x00, 0x03, 0x00, 0x3f, 0xa0, 0x0a, 0x08, 0x0f, 0x16, 0x59,
  0x59, 0x52, 0x93, 0x0b, 0xff, 0xc0, 0x00, 0x40, 0x00, 0x5a, 0x83, 0x03,
  0x03, 0x02, 0x00, 0x00, 0x03, 0x00, 0x02, 0x00, 0x00, 0x03, 0x00, 0x3c,
  0x10
};

static const guint8 pps[] = { 0x44, 0x01, 0xc0, 0x73, 0xc1, 0x89 };

/* The first 23 bytes of the hvcC `ffmpeg -c copy -tag:v hvc1` writes for
 * that stream: Main (1), compatible with Main and Main 10 (0x60000000),
 * progressive + frame-only constraints (0x90), level 63, 4:2:0, 8 bits,
 * one temporal layer, temporal ids nested, 4-byte lengths, 3 arrays. */
static const guint8 ffmpeg_header[23] = {
  0x01, 0x01, 0x60, 0x00, 0x00, 0x00, 0x90, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x3f, 0xf0, 0x00, 0xfc, 0xfd, 0xf8, 0xf8, 0x00, 0x00, 0x0f, 0x03
};

static GPtrArray *
list_of (const guint8 * nal, gsize size)
{
  GPtrArray *a = g_ptr_array_new_with_free_func ((GDestroyNotify)
      g_bytes_unref);

  if (nal != NULL)
    g_ptr_array_add (a, g_bytes_new (nal, size));
  return a;
}

static void
check_array (const guint8 ** p, guint type, gboolean complete,
    const guint8 * nal, gsize size)
{
  const guint8 *q = *p;

  fail_unless_equals_int (q[0], (complete ? 0x80 : 0) | type);
  fail_unless_equals_int ((q[1] << 8) | q[2], 1);
  fail_unless_equals_int ((q[3] << 8) | q[4], size);
  fail_unless (memcmp (q + 5, nal, size) == 0);
  *p = q + 5 + size;
}

GST_START_TEST (test_hvcc_build)
{
  GPtrArray *v = list_of (vps, sizeof (vps)), *s = list_of (sps, sizeof (sps));
  GPtrArray *p = list_of (pps, sizeof (pps));
  guint i;

  for (i = 0; i < 2; i++) {
    gboolean complete = i == 0;
    GBytes *hvcc = arcly_h265_hvcc_build (v, s, p, complete);
    gsize size;
    const guint8 *d, *q;

    fail_unless (hvcc != NULL);
    d = g_bytes_get_data (hvcc, &size);
    fail_unless_equals_int (size, 23 + 3 * 5 + sizeof (vps) + sizeof (sps) +
        sizeof (pps));
    fail_unless (memcmp (d, ffmpeg_header, 23) == 0);
    q = d + 23;
    check_array (&q, 32, complete, vps, sizeof (vps));
    check_array (&q, 33, complete, sps, sizeof (sps));
    check_array (&q, 34, complete, pps, sizeof (pps));
    fail_unless (q == d + size);
    g_bytes_unref (hvcc);
  }
  g_ptr_array_unref (v);
  g_ptr_array_unref (s);
  g_ptr_array_unref (p);
}

GST_END_TEST;

GST_START_TEST (test_hvcc_build_invalid)
{
  GPtrArray *v = list_of (vps, sizeof (vps)), *s = list_of (sps, sizeof (sps));
  GPtrArray *p = list_of (pps, sizeof (pps)), *none = list_of (NULL, 0);
  GPtrArray *short_set = list_of (pps, 1), *big = list_of (NULL, 0);
  guint8 *huge = g_malloc0 (65536);
  gsize n;

  fail_unless (arcly_h265_hvcc_build (NULL, s, p, TRUE) == NULL);
  fail_unless (arcly_h265_hvcc_build (v, none, p, TRUE) == NULL);
  fail_unless (arcly_h265_hvcc_build (v, s, none, TRUE) == NULL);
  fail_unless (arcly_h265_hvcc_build (short_set, s, p, TRUE) == NULL);
  /* a set whose length does not fit the 16-bit field */
  memcpy (huge, pps, sizeof (pps));
  g_ptr_array_add (big, g_bytes_new_take (huge, 65536));
  fail_unless (arcly_h265_hvcc_build (v, s, big, TRUE) == NULL);
  /* the SPS must parse: a PPS in its place, and every truncated SPS */
  fail_unless (arcly_h265_hvcc_build (v, p, p, TRUE) == NULL);
  for (n = 0; n < 20; n++) {
    GPtrArray *t = list_of (sps, n);

    fail_unless (arcly_h265_hvcc_build (v, t, p, TRUE) == NULL,
        "SPS of %" G_GSIZE_FORMAT " bytes", n);
    g_ptr_array_unref (t);
  }
  g_ptr_array_unref (v);
  g_ptr_array_unref (s);
  g_ptr_array_unref (p);
  g_ptr_array_unref (none);
  g_ptr_array_unref (short_set);
  g_ptr_array_unref (big);
}

GST_END_TEST;

GST_START_TEST (test_codecs_string)
{
  ArclyH265Sps info;
  ArclyH265ProfileTierLevel ptl;
  gchar *c;

  /* the x265 stream: what ffprobe calls Main, level 63 (2.1) */
  fail_unless (arcly_h265_parse_sps (sps, sizeof (sps), &info));
  c = arcly_h265_codecs_string ("hvc1", &info.ptl);
  fail_unless_equals_string (c, "hvc1.1.6.L63.90");
  g_free (c);

  /* ISO/IEC 14496-15 Annex E.3: profile space 1, profile 4, flags 0 and 6,
   * high tier level 120, constraint bytes B0 23 then zeros */
  memset (&ptl, 0, sizeof (ptl));
  ptl.profile_space = 1;
  ptl.profile_idc = 4;
  ptl.profile_compat_flags = 0x82000000;
  ptl.tier_flag = 1;
  ptl.level_idc = 120;
  ptl.constraint_flags[0] = 0xb0;
  ptl.constraint_flags[1] = 0x23;
  c = arcly_h265_codecs_string ("hev1", &ptl);
  fail_unless_equals_string (c, "hev1.A4.41.H120.B0.23");
  g_free (c);

  /* Apple's HLS authoring examples: Main 10, level 4.1 */
  memset (&ptl, 0, sizeof (ptl));
  ptl.profile_idc = 2;
  ptl.profile_compat_flags = 0x20000000;
  ptl.level_idc = 123;
  ptl.constraint_flags[0] = 0xb0;
  c = arcly_h265_codecs_string ("hvc1", &ptl);
  fail_unless_equals_string (c, "hvc1.2.4.L123.B0");
  g_free (c);

  /* no constraint byte set: none written; a byte after a zero one keeps
   * the zero */
  ptl.constraint_flags[0] = 0;
  c = arcly_h265_codecs_string ("hvc1", &ptl);
  fail_unless_equals_string (c, "hvc1.2.4.L123");
  g_free (c);
  ptl.constraint_flags[5] = 0x01;
  c = arcly_h265_codecs_string ("hvc1", &ptl);
  fail_unless_equals_string (c, "hvc1.2.4.L123.0.0.0.0.0.1");
  g_free (c);
}

GST_END_TEST;

/* The box at @path ("moov/trak/...") of an init segment. */
static const guint8 *
find_path (const guint8 * p, const guint8 * end, const gchar * path)
{
  gchar **names = g_strsplit (path, "/", -1);
  const guint8 *found = NULL;
  guint i = 0;

  while (names[i] != NULL && end - p >= 8) {
    guint32 size = GST_READ_UINT32_BE (p);

    fail_unless (size >= 8 && size <= (gsize) (end - p));
    if (memcmp (p + 4, names[i], 4) == 0) {
      if (names[i + 1] == NULL) {
        found = p;
        break;
      }
      end = p + size;
      p += 8;
      i++;
    } else {
      p += size;
    }
  }
  g_strfreev (names);
  return found;
}

GST_START_TEST (test_mp4_hevc_entries)
{
  static const gchar *const names[] = { "hvc1", "hev1" };
  GPtrArray *v = list_of (vps, sizeof (vps)), *s = list_of (sps, sizeof (sps));
  GPtrArray *p = list_of (pps, sizeof (pps));
  GBytes *hvcc = arcly_h265_hvcc_build (v, s, p, TRUE);
  ArclyMp4Track t;
  gsize hvcc_size;
  const guint8 *rec = g_bytes_get_data (hvcc, &hvcc_size);
  guint i;

  for (i = 0; i < 2; i++) {
    GByteArray *out = g_byte_array_new ();
    const guint8 *stsd, *e;

    memset (&t, 0, sizeof (t));
    t.track_id = 1;
    t.type = ARCLY_MP4_TRACK_VIDEO;
    t.entry = i == 0 ? ARCLY_MP4_VIDEO_HVC1 : ARCLY_MP4_VIDEO_HEV1;
    t.timescale = ARCLY_MP4_VIDEO_TIMESCALE;
    t.width = 320;
    t.height = 240;
    t.avcc = rec;
    t.avcc_size = hvcc_size;
    fail_unless (arcly_mp4_write_init (out, &t, 1));
    stsd = find_path (out->data, out->data + out->len,
        "moov/trak/mdia/minf/stbl/stsd");
    fail_unless (stsd != NULL);
    e = stsd + 16;
    fail_unless (memcmp (e + 4, names[i], 4) == 0, "entry %s", names[i]);
    fail_unless_equals_int (GST_READ_UINT32_BE (e), 8 + 78 + 8 + hvcc_size);
    fail_unless_equals_int (GST_READ_UINT16_BE (e + 8 + 24), 320);
    fail_unless_equals_int (GST_READ_UINT16_BE (e + 8 + 26), 240);
    fail_unless (memcmp (e + 8 + 78 + 4, "hvcC", 4) == 0);
    fail_unless (memcmp (e + 8 + 78 + 8, rec, hvcc_size) == 0);
    g_byte_array_unref (out);
  }

  /* an hvcC shorter than its fixed part, an unknown entry */
  {
    GByteArray *out = g_byte_array_new ();

    t.avcc_size = 22;
    fail_if (arcly_mp4_write_init (out, &t, 1));
    t.avcc_size = hvcc_size;
    t.entry = (ArclyMp4VideoEntry) 3;
    fail_if (arcly_mp4_write_init (out, &t, 1));
    fail_unless_equals_int (out->len, 0);
    g_byte_array_unref (out);
  }
  g_bytes_unref (hvcc);
  g_ptr_array_unref (v);
  g_ptr_array_unref (s);
  g_ptr_array_unref (p);
}

GST_END_TEST;

/* The SPS of the same stream with x265's `bframes=0`: no reordering. */
static const guint8 sps_no_bframes[] = {
  0x42, 0x01, 0x01, 0x01, 0x60, 0x00, 0x00, 0x03, 0x00, 0x90, 0x00, 0x00,
  0x03, 0x00, 0x00, 0x03, 0x00, 0x3f, 0xa0, 0x0a, 0x08, 0x0f, 0x16, 0x5b,
  0xa4, 0xa4, 0xc2, 0xff, 0xf0, 0x00, 0x10, 0x00, 0x16, 0xa0, 0xc0, 0xc0,
  0xc0, 0x80, 0x00, 0x00, 0x03, 0x00, 0x80, 0x00, 0x00, 0x0f, 0x04
};

GST_START_TEST (test_sps_max_num_reorder)
{
  guint reorder = 99;
  gsize n;

  fail_unless (arcly_h265_sps_max_num_reorder (sps, sizeof (sps), &reorder));
  fail_unless (reorder > 0, "x265's default B-frames reorder");
  fail_unless (arcly_h265_sps_max_num_reorder (sps_no_bframes,
          sizeof (sps_no_bframes), &reorder));
  fail_unless_equals_int (reorder, 0);
  /* every truncated SPS: refused, never read past its end */
  for (n = 0; n < 22; n++) {
    guint8 *copy = g_memdup2 (sps, n);

    fail_if (arcly_h265_sps_max_num_reorder (copy, n, &reorder));
    g_free (copy);
  }
  fail_if (arcly_h265_sps_max_num_reorder (vps, sizeof (vps), &reorder));
}

GST_END_TEST;

GST_START_TEST (test_hls_codecs)
{
  static const guint8 avcc[] = { 0x01, 0x64, 0x00, 0x1f, 0xff, 0xe1, 0x00 };
  static const guint8 h264_au[] = { 0, 0, 0, 1, 0x09, 0xf0,
    0, 0, 0, 1, 0x67, 0x42, 0xc0, 0x1e, 0x95, 0, 0, 1, 0x65, 0x88
  };
  static const guint8 asc[] = { 0x12, 0x10 };
  static const guint8 adts[] = { 0xff, 0xf1, 0x50, 0x80, 0x02, 0x1f, 0xfc };
  GByteArray *au = g_byte_array_new ();
  gchar *c;
  gsize n;

  c = arcly_hls_codecs_from_avcc (avcc, sizeof (avcc));
  fail_unless_equals_string (c, "avc1.64001F");
  g_free (c);
  fail_unless (arcly_hls_codecs_from_avcc (avcc, 6) == NULL);
  c = arcly_hls_codecs_from_annexb (h264_au, sizeof (h264_au), FALSE);
  fail_unless_equals_string (c, "avc1.42C01E");
  g_free (c);

  /* H.265: AUD, VPS, SPS, PPS, then a slice */
  g_byte_array_append (au, (const guint8 *) "\0\0\0\x01\x46\x01\x50", 7);
  g_byte_array_append (au, (const guint8 *) "\0\0\0\x01", 4);
  g_byte_array_append (au, vps, sizeof (vps));
  g_byte_array_append (au, (const guint8 *) "\0\0\0\x01", 4);
  g_byte_array_append (au, sps, sizeof (sps));
  g_byte_array_append (au, (const guint8 *) "\0\0\x01", 3);
  g_byte_array_append (au, pps, sizeof (pps));
  g_byte_array_append (au, (const guint8 *) "\0\0\x01\x28\x01\xaf", 6);
  c = arcly_hls_codecs_from_annexb (au->data, au->len, TRUE);
  fail_unless_equals_string (c, "hvc1.1.6.L63.90");
  g_free (c);
  /* read as H.264, or cut inside the SPS: no answer, no over-read */
  fail_unless (arcly_hls_codecs_from_annexb (au->data, au->len, FALSE) ==
      NULL);
  for (n = 0; n < 11 + sizeof (vps) + 4 + 20; n++) {
    guint8 *copy = g_memdup2 (au->data, n);

    fail_unless (arcly_hls_codecs_from_annexb (copy, n, TRUE) == NULL);
    g_free (copy);
  }
  g_byte_array_unref (au);

  c = arcly_hls_codecs_from_asc (asc, sizeof (asc));
  fail_unless_equals_string (c, "mp4a.40.2");
  g_free (c);
  c = arcly_hls_codecs_from_adts (adts, sizeof (adts));
  fail_unless_equals_string (c, "mp4a.40.2");
  g_free (c);
  fail_unless (arcly_hls_codecs_from_adts (asc, sizeof (asc)) == NULL);

  c = arcly_hls_multivariant_text ("playlist.m3u8", 1500000,
      "hvc1.1.6.L63.90,mp4a.40.2", 320, 240);
  fail_unless_equals_string (c, "#EXTM3U\n#EXT-X-VERSION:6\n"
      "#EXT-X-INDEPENDENT-SEGMENTS\n"
      "#EXT-X-STREAM-INF:BANDWIDTH=1500000,"
      "CODECS=\"hvc1.1.6.L63.90,mp4a.40.2\",RESOLUTION=320x240\n"
      "playlist.m3u8\n");
  g_free (c);
  c = arcly_hls_multivariant_text ("a.m3u8", 0, NULL, 0, 0);
  fail_unless_equals_string (c, "#EXTM3U\n#EXT-X-VERSION:6\n"
      "#EXT-X-INDEPENDENT-SEGMENTS\n#EXT-X-STREAM-INF:BANDWIDTH=1\n"
      "a.m3u8\n");
  g_free (c);
}

GST_END_TEST;

static Suite *
h265hvcc_suite (void)
{
  Suite *s = suite_create ("h265hvcc");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_hvcc_build);
  tcase_add_test (tc, test_hvcc_build_invalid);
  tcase_add_test (tc, test_codecs_string);
  tcase_add_test (tc, test_mp4_hevc_entries);
  tcase_add_test (tc, test_hls_codecs);
  tcase_add_test (tc, test_sps_max_num_reorder);
  return s;
}

GST_CHECK_MAIN (h265hvcc);
