/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * libFuzzer target for the ISO BMFF writer (gst/arclyhls/mp4writer.c).  It
 * parses nothing, but everything it writes comes from untrusted streams
 * (avcC and AudioSpecificConfig bytes from caps or in-band SPS/PPS, picture
 * sizes, sample sizes, durations and composition offsets from timestamps),
 * so the input bytes are turned into track and sample tables: whatever the
 * writer accepts must come out as a consistent box tree (every size adds up,
 * every trun data offset points at its samples in mdat), and whatever it
 * refuses must leave the output untouched.
 *
 * Input layout (missing bytes read as 0):
 *   n_tracks-1 (1 byte, mod 3), then per track: type (1), track_id (1),
 *   timescale (4), width (2), height (2), par_n (1), par_d (1),
 *   channels (1), rate (4), config length (2), config bytes;
 *   then sequence (4) and per run: track_id (1), base time (8),
 *   n_samples (1, mod 65), per sample: size (4), duration (4), cts (4),
 *   sync (1).
 */

#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mp4writer.h"

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

typedef struct
{
  const guint8 *data;
  gsize size, pos;
} Reader;

static guint64
take (Reader * r, guint n)
{
  guint64 v = 0;
  guint i;

  for (i = 0; i < n; i++)
    v = (v << 8) | (r->pos < r->size ? r->data[r->pos++] : 0);
  return v;
}

static guint32
rd32 (const guint8 * p)
{
  return ((guint32) p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3];
}

/* Walks a box list: sizes must tile it exactly.  Returns the number of
 * boxes, or aborts. */
static guint
walk (const guint8 * d, gsize size)
{
  static const char *containers[] = { "moov", "trak", "mdia", "minf",
    "dinf", "stbl", "mvex", "moof", "traf", NULL
  };
  gsize pos = 0;
  guint n = 0, i;

  while (pos < size) {
    guint64 bs;
    guint hdr = 8;

    if (size - pos < 8)
      abort ();
    bs = rd32 (d + pos);
    if (bs == 1) {
      if (size - pos < 16)
        abort ();
      bs = ((guint64) rd32 (d + pos + 8) << 32) | rd32 (d + pos + 12);
      hdr = 16;
    }
    if (bs < hdr)
      abort ();
    /* an mdat header may announce the payload the caller appends */
    if (memcmp (d + pos + 4, "mdat", 4) == 0 && pos + hdr == size)
      return n + 1;
    if (bs > size - pos)
      abort ();
    for (i = 0; containers[i]; i++)
      if (memcmp (d + pos + 4, containers[i], 4) == 0)
        walk (d + pos + hdr, bs - hdr);
    pos += bs;
    n++;
  }
  return n;
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  Reader r = { data, size, 0 };
  ArclyMp4Track tracks[3];
  ArclyMp4Run runs[3];
  ArclyMp4Sample *samples[3] = { NULL, NULL, NULL };
  GByteArray *out = g_byte_array_new ();
  guint n_tracks = take (&r, 1) % 3 + 1, i, j;
  guint64 payload = 0, expect = 0;
  guint32 seq;

  memset (tracks, 0, sizeof (tracks));
  memset (runs, 0, sizeof (runs));
  for (i = 0; i < n_tracks; i++) {
    ArclyMp4Track *t = &tracks[i];
    gsize len;

    t->type = take (&r, 1) & 1 ? ARCLY_MP4_TRACK_AUDIO : ARCLY_MP4_TRACK_VIDEO;
    t->track_id = take (&r, 1);
    t->timescale = take (&r, 4);
    t->width = take (&r, 2);
    t->height = take (&r, 2);
    t->par_n = take (&r, 1);
    t->par_d = take (&r, 1);
    t->channels = take (&r, 1);
    t->rate = take (&r, 4);
    len = take (&r, 2);
    len = MIN (len, r.size - r.pos);
    if (t->type == ARCLY_MP4_TRACK_VIDEO) {
      t->avcc = data + r.pos;
      t->avcc_size = len;
    } else {
      t->asc = data + r.pos;
      t->asc_size = len;
    }
    r.pos += len;
  }

  g_byte_array_append (out, (const guint8 *) "xx", 2);
  if (arcly_mp4_write_init (out, tracks, n_tracks)) {
    if (out->len <= 2 || walk (out->data + 2, out->len - 2) != 2)
      abort ();
  } else if (out->len != 2) {
    abort ();
  }

  g_byte_array_set_size (out, 0);
  seq = take (&r, 4);
  for (i = 0; i < n_tracks; i++) {
    runs[i].track_id = take (&r, 1);
    runs[i].base_decode_time = take (&r, 8);
    runs[i].n_samples = take (&r, 1) % 65;
    samples[i] = g_new0 (ArclyMp4Sample, MAX (runs[i].n_samples, 1));
    for (j = 0; j < runs[i].n_samples; j++) {
      samples[i][j].size = take (&r, 4);
      samples[i][j].duration = take (&r, 4);
      samples[i][j].cts_offset = (gint32) take (&r, 4);
      samples[i][j].sync = take (&r, 1) & 1;
      expect += samples[i][j].size;
    }
    runs[i].samples = samples[i];
  }
  if (arcly_mp4_write_fragment_header (out, seq, runs, n_tracks, &payload)) {
    guint32 moof_size;
    gsize pos;
    guint64 offset = 0;

    if (payload != expect || walk (out->data, out->len) != 2)
      abort ();
    /* every trun data offset = moof + mdat header + earlier runs' data */
    moof_size = rd32 (out->data);
    pos = 8;
    i = 0;
    while (pos < moof_size) {
      guint32 bs = rd32 (out->data + pos);

      if (memcmp (out->data + pos + 4, "traf", 4) == 0) {
        gsize p = pos + 8;
        while (p < pos + bs) {
          if (memcmp (out->data + p + 4, "trun", 4) == 0) {
            guint32 n = rd32 (out->data + p + 12), k;

            while (i < n_tracks && runs[i].n_samples == 0)
              i++;
            if (i >= n_tracks || n != runs[i].n_samples ||
                rd32 (out->data + p + 16) != moof_size + (out->len -
                    moof_size) + offset)
              abort ();
            for (k = 0; k < n; k++)
              offset += runs[i].samples[k].size;
            i++;
          }
          p += rd32 (out->data + p);
        }
      }
      pos += bs;
    }
  } else if (out->len != 0) {
    abort ();
  }

  for (i = 0; i < n_tracks; i++)
    g_free (samples[i]);
  g_byte_array_unref (out);
  return 0;
}
