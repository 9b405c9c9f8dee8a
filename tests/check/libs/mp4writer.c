/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Unit tests of the ISO BMFF box writer (gst/arclyhls/mp4writer.c): what it
 * writes is read back by a tiny box walker written here from the spec, so
 * the tests check the layout, not the writer against itself.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <gst/check/gstcheck.h>

#include "mp4writer.h"

/* ---- a tiny box walker ---------------------------------------------- */

static const gchar *containers[] = {
  "moov", "trak", "mdia", "minf", "dinf", "stbl", "mvex", "moof", "traf",
  NULL
};

static gboolean
is_container (const guint8 * type)
{
  guint i;

  for (i = 0; containers[i]; i++)
    if (memcmp (type, containers[i], 4) == 0)
      return TRUE;
  return FALSE;
}

static guint32
rd32 (const guint8 * p)
{
  return ((guint32) p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3];
}

static guint64
rd64 (const guint8 * p)
{
  return ((guint64) rd32 (p) << 32) | rd32 (p + 4);
}

/* Appends "type" or "type(children)" for each box to @tree; fails the test
 * when a size does not add up.  mdat is listed but not entered. */
static void
walk (const guint8 * data, gsize size, GString * tree)
{
  gsize pos = 0;

  while (pos < size) {
    guint64 box_size;
    guint hdr = 8;

    fail_unless (size - pos >= 8, "truncated box header at %" G_GSIZE_FORMAT,
        pos);
    box_size = rd32 (data + pos);
    if (box_size == 1) {
      fail_unless (size - pos >= 16);
      box_size = rd64 (data + pos + 8);
      hdr = 16;
    }
    fail_unless (box_size >= hdr && box_size <= size - pos,
        "box %.4s at %" G_GSIZE_FORMAT " has size %" G_GUINT64_FORMAT
        " in %" G_GSIZE_FORMAT, data + pos + 4, pos, box_size, size - pos);
    if (tree->len > 0 && tree->str[tree->len - 1] != '(')
      g_string_append_c (tree, ' ');
    g_string_append_len (tree, (const gchar *) data + pos + 4, 4);
    if (is_container (data + pos + 4)) {
      g_string_append_c (tree, '(');
      walk (data + pos + hdr, box_size - hdr, tree);
      g_string_append_c (tree, ')');
    }
    pos += box_size;
  }
}

static gchar *
box_tree (const guint8 * data, gsize size)
{
  GString *tree = g_string_new (NULL);

  walk (data, size, tree);
  return g_string_free (tree, FALSE);
}

/* Finds the box at a path like "moov/trak/mdia/mdhd" (the @nth match of the
 * last element); returns a pointer to its payload and its payload size. */
static const guint8 *
find_box_nth (const guint8 * data, gsize size, const gchar * path,
    guint * nth, gsize * payload_size)
{
  gsize pos = 0;
  gboolean last = strchr (path, '/') == NULL;

  while (pos + 8 <= size) {
    guint64 box_size = rd32 (data + pos);
    guint hdr = 8;

    if (box_size == 1) {
      box_size = rd64 (data + pos + 8);
      hdr = 16;
    }
    if (box_size < hdr || box_size > size - pos)
      return NULL;
    if (memcmp (data + pos + 4, path, 4) == 0) {
      if (last) {
        if (*nth == 0) {
          *payload_size = box_size - hdr;
          return data + pos + hdr;
        }
        (*nth)--;
      } else {
        const guint8 *r = find_box_nth (data + pos + hdr, box_size - hdr,
            path + 5, nth, payload_size);
        if (r)
          return r;
      }
    }
    pos += box_size;
  }
  return NULL;
}

static const guint8 *
find_box (const guint8 * data, gsize size, const gchar * path, guint nth,
    gsize * payload_size)
{
  const guint8 *r = find_box_nth (data, size, path, &nth, payload_size);

  fail_unless (r != NULL, "no box %s", path);
  return r;
}

/* ---- fixtures ------------------------------------------------------- */

/* avcC of a 320x240 x264 High profile stream (SPS/PPS shortened: the writer
 * copies the record as is and does not parse it). */
static const guint8 avcc[] = {
  0x01, 0x64, 0x00, 0x0d, 0xff, 0xe1, 0x00, 0x04, 0x67, 0x64, 0x00, 0x0d,
  0x01, 0x00, 0x03, 0x68, 0xeb, 0xe3
};

/* AAC-LC 44.1 kHz stereo AudioSpecificConfig. */
static const guint8 asc[] = { 0x12, 0x10 };

static void
fill_tracks (ArclyMp4Track tracks[2])
{
  memset (tracks, 0, 2 * sizeof (ArclyMp4Track));
  tracks[0].track_id = 1;
  tracks[0].type = ARCLY_MP4_TRACK_VIDEO;
  tracks[0].timescale = ARCLY_MP4_VIDEO_TIMESCALE;
  tracks[0].width = 320;
  tracks[0].height = 240;
  tracks[0].par_n = tracks[0].par_d = 1;
  tracks[0].avcc = avcc;
  tracks[0].avcc_size = sizeof (avcc);
  tracks[1].track_id = 2;
  tracks[1].type = ARCLY_MP4_TRACK_AUDIO;
  tracks[1].timescale = 44100;
  tracks[1].rate = 44100;
  tracks[1].channels = 2;
  tracks[1].asc = asc;
  tracks[1].asc_size = sizeof (asc);
  tracks[1].avg_bitrate = 128000;
}

#define STBL_VIDEO "stbl(stsd stts stsc stsz stco)"
#define EXPECTED_INIT_TREE \
  "ftyp moov(mvhd " \
  "trak(tkhd mdia(mdhd hdlr minf(vmhd dinf(dref) " STBL_VIDEO "))) " \
  "trak(tkhd mdia(mdhd hdlr minf(smhd dinf(dref) " STBL_VIDEO "))) " \
  "mvex(trex trex))"

/* ---- init segment --------------------------------------------------- */

GST_START_TEST (test_init_tree)
{
  ArclyMp4Track tracks[2];
  GByteArray *out = g_byte_array_new ();
  const guint8 *p;
  gsize sz;
  gchar *tree;

  fill_tracks (tracks);
  fail_unless (arcly_mp4_write_init (out, tracks, 2));
  tree = box_tree (out->data, out->len);
  fail_unless_equals_string (tree, EXPECTED_INIT_TREE);
  g_free (tree);

  /* ftyp: major iso6, compatible iso6 + cmfc */
  p = find_box (out->data, out->len, "ftyp", 0, &sz);
  fail_unless (p != NULL && sz == 16);
  fail_unless (memcmp (p, "iso6", 4) == 0);
  fail_unless (memcmp (p + 8, "iso6cmfc", 8) == 0);

  /* mvhd next_track_ID is the last field */
  p = find_box (out->data, out->len, "moov/mvhd", 0, &sz);
  fail_unless (p != NULL && sz == 100);
  fail_unless_equals_int (rd32 (p + sz - 4), 3);

  /* tkhd: track ids, video size in 16.16 */
  p = find_box (out->data, out->len, "moov/trak/tkhd", 0, &sz);
  fail_unless (p != NULL && sz == 84);
  fail_unless_equals_int (rd32 (p + 12), 1);
  fail_unless_equals_int (rd32 (p + 76), 320 << 16);
  fail_unless_equals_int (rd32 (p + 80), 240 << 16);
  p = find_box (out->data, out->len, "moov/trak/tkhd", 1, &sz);
  fail_unless_equals_int (rd32 (p + 12), 2);

  /* mdhd timescales */
  p = find_box (out->data, out->len, "moov/trak/mdia/mdhd", 0, &sz);
  fail_unless_equals_int (rd32 (p + 12), 90000);
  p = find_box (out->data, out->len, "moov/trak/mdia/mdhd", 1, &sz);
  fail_unless_equals_int (rd32 (p + 12), 44100);

  /* hdlr types */
  p = find_box (out->data, out->len, "moov/trak/mdia/hdlr", 0, &sz);
  fail_unless (memcmp (p + 8, "vide", 4) == 0);
  p = find_box (out->data, out->len, "moov/trak/mdia/hdlr", 1, &sz);
  fail_unless (memcmp (p + 8, "soun", 4) == 0);

  /* trex per track */
  p = find_box (out->data, out->len, "moov/mvex/trex", 1, &sz);
  fail_unless (p != NULL && sz == 24);
  fail_unless_equals_int (rd32 (p + 4), 2);

  g_byte_array_unref (out);
}

GST_END_TEST;

GST_START_TEST (test_init_sample_entries)
{
  ArclyMp4Track tracks[2];
  GByteArray *out = g_byte_array_new ();
  const guint8 *p, *e;
  gsize sz;

  fill_tracks (tracks);
  fail_unless (arcly_mp4_write_init (out, tracks, 2));

  /* stsd of the video track: one avc1 entry of 78 bytes + avcC */
  p = find_box (out->data, out->len, "moov/trak/mdia/minf/stbl/stsd", 0, &sz);
  fail_unless (p != NULL);
  fail_unless_equals_int (rd32 (p + 4), 1);
  e = p + 8;
  fail_unless (memcmp (e + 4, "avc1", 4) == 0);
  fail_unless_equals_int (rd32 (e), 8 + 78 + 8 + sizeof (avcc));
  fail_unless_equals_int ((e[8 + 24] << 8) | e[8 + 25], 320);
  fail_unless_equals_int ((e[8 + 26] << 8) | e[8 + 27], 240);
  fail_unless (memcmp (e + 8 + 78 + 4, "avcC", 4) == 0);
  fail_unless (memcmp (e + 8 + 78 + 8, avcc, sizeof (avcc)) == 0);

  /* audio: mp4a + esds holding the ASC in a DecoderSpecificInfo */
  p = find_box (out->data, out->len, "moov/trak/mdia/minf/stbl/stsd", 1, &sz);
  e = p + 8;
  fail_unless (memcmp (e + 4, "mp4a", 4) == 0);
  fail_unless_equals_int ((e[8 + 16] << 8) | e[8 + 17], 2);     /* channels */
  fail_unless_equals_int (rd32 (e + 8 + 24), 44100u << 16);
  fail_unless (memcmp (e + 8 + 28 + 4, "esds", 4) == 0);
  {
    const guint8 *d = e + 8 + 28 + 12;  /* after the esds FullBox header */
    fail_unless_equals_int (d[0], 0x03);
    fail_unless_equals_int (d[2 + 3], 0x04);    /* after ES_ID and flags */
    fail_unless_equals_int (d[2 + 3 + 2], 0x40);
    fail_unless_equals_int (d[2 + 3 + 2 + 1], 0x15);
    fail_unless_equals_int (rd32 (d + 2 + 3 + 2 + 2 + 3 + 4), 128000);
    fail_unless_equals_int (d[2 + 3 + 2 + 13], 0x05);
    fail_unless_equals_int (d[2 + 3 + 2 + 14], 2);
    fail_unless (memcmp (d + 2 + 3 + 2 + 15, asc, 2) == 0);
    fail_unless_equals_int (d[2 + 3 + 2 + 17], 0x06);
  }
  g_byte_array_unref (out);
}

GST_END_TEST;

GST_START_TEST (test_init_pasp_and_long_asc)
{
  ArclyMp4Track tracks[2];
  GByteArray *out = g_byte_array_new ();
  guint8 long_asc[200];
  const guint8 *p;
  gsize sz;
  gchar *tree;

  fill_tracks (tracks);
  tracks[0].par_n = 4;
  tracks[0].par_d = 3;
  memset (long_asc, 0x11, sizeof (long_asc));
  tracks[1].asc = long_asc;
  tracks[1].asc_size = sizeof (long_asc);
  fail_unless (arcly_mp4_write_init (out, tracks, 2));
  tree = box_tree (out->data, out->len);
  fail_unless_equals_string (tree, EXPECTED_INIT_TREE);
  g_free (tree);

  /* display width in tkhd follows the pixel aspect ratio */
  p = find_box (out->data, out->len, "moov/trak/tkhd", 0, &sz);
  fail_unless_equals_int (rd32 (p + 76), (320 * 4 / 3) << 16);
  /* pasp follows avcC inside avc1 */
  p = find_box (out->data, out->len, "moov/trak/mdia/minf/stbl/stsd", 0, &sz);
  p += 8 + 8 + 78 + 8 + sizeof (avcc);
  fail_unless (memcmp (p + 4, "pasp", 4) == 0);
  fail_unless_equals_int (rd32 (p + 8), 4);
  fail_unless_equals_int (rd32 (p + 12), 3);

  /* a 200-byte DecoderSpecificInfo needs a two-byte expandable length */
  p = find_box (out->data, out->len, "moov/trak/mdia/minf/stbl/stsd", 1, &sz);
  p += 8 + 8 + 28 + 12;
  fail_unless_equals_int (p[0], 0x03);
  fail_unless (p[1] & 0x80);
  g_byte_array_unref (out);
}

GST_END_TEST;

GST_START_TEST (test_init_invalid)
{
  ArclyMp4Track tracks[2];
  GByteArray *out = g_byte_array_new ();

  g_byte_array_append (out, (const guint8 *) "keep", 4);
  fill_tracks (tracks);
  fail_if (arcly_mp4_write_init (out, tracks, 0));
  tracks[1].track_id = 1;       /* duplicate */
  fail_if (arcly_mp4_write_init (out, tracks, 2));
  fill_tracks (tracks);
  tracks[0].avcc_size = 3;      /* truncated avcC */
  fail_if (arcly_mp4_write_init (out, tracks, 2));
  fill_tracks (tracks);
  tracks[0].width = 0;
  fail_if (arcly_mp4_write_init (out, tracks, 1));
  fill_tracks (tracks);
  tracks[1].timescale = 0;
  fail_if (arcly_mp4_write_init (out, tracks, 2));
  fill_tracks (tracks);
  tracks[1].asc = NULL;
  fail_if (arcly_mp4_write_init (out, tracks, 2));
  fill_tracks (tracks);
  tracks[1].track_id = G_MAXUINT32;     /* no next_track_ID left */
  fail_if (arcly_mp4_write_init (out, tracks, 2));
  /* nothing was appended by the failures */
  fail_unless_equals_int (out->len, 4);
  g_byte_array_unref (out);
}

GST_END_TEST;

/* ---- fragments ------------------------------------------------------ */

GST_START_TEST (test_fragment_layout)
{
  ArclyMp4Sample v[3] = {
    {100, 3000, 0, TRUE}, {50, 3000, 0, FALSE}, {60, 3000, 0, FALSE}
  };
  ArclyMp4Sample a[2] = { {10, 1024, 0, TRUE}, {11, 1024, 0, TRUE} };
  ArclyMp4Run runs[2] = {
    {1, G_GUINT64_CONSTANT (0x123456789), v, 3},
    {2, 44100, a, 2},
  };
  GByteArray *out = g_byte_array_new ();
  guint64 payload = 0;
  const guint8 *p, *moof;
  gsize sz, moof_size, i;
  gchar *tree;

  fail_unless (arcly_mp4_write_fragment_header (out, 7, runs, 2, &payload));
  fail_unless_equals_int (payload, 100 + 50 + 60 + 10 + 11);
  /* append recognisable sample data: byte value = sample index + 1 */
  {
    guint8 fill = 1;
    guint r, s;
    for (r = 0; r < 2; r++)
      for (s = 0; s < runs[r].n_samples; s++, fill++) {
        guint8 *d = g_malloc (runs[r].samples[s].size);
        memset (d, fill, runs[r].samples[s].size);
        g_byte_array_append (out, d, runs[r].samples[s].size);
        g_free (d);
      }
  }
  tree = box_tree (out->data, out->len);
  fail_unless_equals_string (tree,
      "moof(mfhd traf(tfhd tfdt trun) traf(tfhd tfdt trun)) mdat");
  g_free (tree);

  moof = out->data;
  moof_size = rd32 (moof);
  p = find_box (out->data, out->len, "moof/mfhd", 0, &sz);
  fail_unless_equals_int (rd32 (p + 4), 7);

  /* tfhd: default-base-is-moof, track id */
  p = find_box (out->data, out->len, "moof/traf/tfhd", 0, &sz);
  fail_unless_equals_int (rd32 (p) & 0xffffff, 0x020000);
  fail_unless_equals_int (rd32 (p + 4), 1);
  /* tfdt version 1, 64 bits */
  p = find_box (out->data, out->len, "moof/traf/tfdt", 0, &sz);
  fail_unless_equals_int (p[0], 1);
  fail_unless (rd64 (p + 4) == G_GUINT64_CONSTANT (0x123456789));
  p = find_box (out->data, out->len, "moof/traf/tfdt", 1, &sz);
  fail_unless (rd64 (p + 4) == 44100);

  /* video trun: version 0 (no composition offsets), 3 samples */
  p = find_box (out->data, out->len, "moof/traf/trun", 0, &sz);
  fail_unless_equals_int (p[0], 0);
  fail_unless_equals_int (rd32 (p) & 0xffffff, 0x000701);
  fail_unless_equals_int (rd32 (p + 4), 3);
  fail_unless_equals_int (sz, 12 + 3 * 12);
  /* its data offset (from the moof start) points at sample 1 */
  fail_unless (rd32 (p + 8) > moof_size);
  fail_unless_equals_int (moof[rd32 (p + 8)], 1);
  fail_unless_equals_int (moof[rd32 (p + 8) - 1], 't'); /* end of "mdat" */
  for (i = 0; i < 3; i++) {
    const guint8 *e = p + 12 + i * 12;
    fail_unless_equals_int (rd32 (e), 3000);
    fail_unless_equals_int (rd32 (e + 4), v[i].size);
    fail_unless_equals_int (rd32 (e + 8), i == 0 ?
        ARCLY_MP4_SAMPLE_FLAGS_SYNC : ARCLY_MP4_SAMPLE_FLAGS_NON_SYNC);
  }
  /* audio trun data offset points at the first audio sample (value 4) */
  p = find_box (out->data, out->len, "moof/traf/trun", 1, &sz);
  fail_unless_equals_int (rd32 (p + 4), 2);
  fail_unless_equals_int (moof[rd32 (p + 8)], 4);
  fail_unless_equals_int (moof[rd32 (p + 8) + 10], 5);
  fail_unless_equals_int (rd32 (p + 12 + 8), ARCLY_MP4_SAMPLE_FLAGS_SYNC);
  g_byte_array_unref (out);
}

GST_END_TEST;

GST_START_TEST (test_fragment_cts_offsets)
{
  /* I P B: decode order with a negative offset on the B-frame once the
   * stream's first PTS is taken as the reference */
  ArclyMp4Sample v[3] = {
    {10, 3000, 3000, TRUE}, {10, 3000, 6000, FALSE}, {10, 3000, -3000, FALSE}
  };
  ArclyMp4Run run = { 1, 0, v, 3 };
  GByteArray *out = g_byte_array_new ();
  const guint8 *p;
  gsize sz;
  guint64 payload;

  fail_unless (arcly_mp4_write_fragment_header (out, 1, &run, 1, &payload));
  p = find_box (out->data, out->len, "moof/traf/trun", 0, &sz);
  fail_unless_equals_int (p[0], 1);     /* signed offsets */
  fail_unless_equals_int (rd32 (p) & 0xffffff, 0x000f01);
  fail_unless_equals_int (sz, 12 + 3 * 16);
  fail_unless_equals_int ((gint32) rd32 (p + 12 + 12), 3000);
  fail_unless_equals_int ((gint32) rd32 (p + 12 + 16 + 12), 6000);
  fail_unless_equals_int ((gint32) rd32 (p + 12 + 32 + 12), -3000);
  g_byte_array_unref (out);
}

GST_END_TEST;

GST_START_TEST (test_fragment_empty_and_invalid)
{
  ArclyMp4Sample a[1] = { {10, 1024, 0, TRUE} };
  ArclyMp4Run runs[2] = { {1, 0, NULL, 0}, {2, 0, a, 1} };
  GByteArray *out = g_byte_array_new ();
  guint64 payload;
  gchar *tree;

  /* an empty run gets no traf */
  fail_unless (arcly_mp4_write_fragment_header (out, 1, runs, 2, &payload));
  fail_unless_equals_int (payload, 10);
  tree = box_tree (out->data, out->len - 8);    /* without the mdat header */
  fail_unless_equals_string (tree, "moof(mfhd traf(tfhd tfdt trun))");
  g_free (tree);
  g_byte_array_set_size (out, 0);

  /* nothing to write, a zero track id, samples missing: refused */
  fail_if (arcly_mp4_write_fragment_header (out, 1, runs, 1, &payload));
  runs[1].track_id = 0;
  fail_if (arcly_mp4_write_fragment_header (out, 1, runs, 2, &payload));
  runs[1].track_id = 2;
  runs[1].samples = NULL;
  fail_if (arcly_mp4_write_fragment_header (out, 1, runs, 2, &payload));
  fail_if (arcly_mp4_write_fragment_header (out, 1, NULL, 0, &payload));
  fail_unless_equals_int (out->len, 0);
  g_byte_array_unref (out);
}

GST_END_TEST;

GST_START_TEST (test_fragment_large_mdat)
{
  /* more than 4 GiB of samples needs the 64-bit mdat largesize */
  ArclyMp4Sample s[3] = {
    {0x7fffffff, 1, 0, TRUE}, {0x7fffffff, 1, 0, TRUE}, {0x10, 1, 0, TRUE}
  };
  ArclyMp4Run run = { 1, 0, s, 3 };
  GByteArray *out = g_byte_array_new ();
  guint64 payload;
  const guint8 *mdat;

  fail_unless (arcly_mp4_write_fragment_header (out, 1, &run, 1, &payload));
  fail_unless (payload == G_GUINT64_CONSTANT (0xfffffffe) + 0x10);
  mdat = out->data + rd32 (out->data);
  fail_unless_equals_int (out->len - rd32 (out->data), 16);
  fail_unless_equals_int (rd32 (mdat), 1);
  fail_unless (memcmp (mdat + 4, "mdat", 4) == 0);
  fail_unless (rd64 (mdat + 8) == payload + 16);
  g_byte_array_unref (out);
}

GST_END_TEST;

static Suite *
mp4writer_suite (void)
{
  Suite *s = suite_create ("mp4writer");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_init_tree);
  tcase_add_test (tc, test_init_sample_entries);
  tcase_add_test (tc, test_init_pasp_and_long_asc);
  tcase_add_test (tc, test_init_invalid);
  tcase_add_test (tc, test_fragment_layout);
  tcase_add_test (tc, test_fragment_cts_offsets);
  tcase_add_test (tc, test_fragment_empty_and_invalid);
  tcase_add_test (tc, test_fragment_large_mdat);
  return s;
}

GST_CHECK_MAIN (mp4writer);
