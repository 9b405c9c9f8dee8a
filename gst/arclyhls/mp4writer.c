/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 *
 * This library is distributed in the hope that it will be useful,
 * but WITHOUT ANY WARRANTY; without even the implied warranty of
 * MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the GNU
 * Library General Public License for more details.
 *
 * You should have received a copy of the GNU Library General Public
 * License along with this library; if not, write to the
 * Free Software Foundation, Inc., 51 Franklin St, Fifth Floor,
 * Boston, MA 02110-1301, USA.
 */

/* ISO BMFF box writer: one function per box.  Section numbers refer to
 * ISO/IEC 14496-12:2015 unless stated otherwise. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "mp4writer.h"

/* Keeps the output array and a sticky failure flag: helpers stop writing
 * once something failed, and the public function then truncates @out back
 * to where it started. */
typedef struct
{
  GByteArray *out;
  guint start;
  gboolean failed;
} Writer;

/* Nothing we write comes close; a cap keeps hostile sizes from the caller
 * (a huge avcC or ASC) out of the 16-bit and descriptor length fields. */
#define MAX_CODEC_CONFIG 0xffff

static void
put_bytes (Writer * w, const void *data, gsize size)
{
  if (w->failed)
    return;
  if (size > G_MAXUINT - w->out->len) {
    w->failed = TRUE;
    return;
  }
  g_byte_array_append (w->out, data, (guint) size);
}

static void
put8 (Writer * w, guint8 v)
{
  put_bytes (w, &v, 1);
}

static void
put16 (Writer * w, guint16 v)
{
  guint8 b[2] = { v >> 8, v & 0xff };
  put_bytes (w, b, 2);
}

static void
put24 (Writer * w, guint32 v)
{
  guint8 b[3] = { (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff };
  put_bytes (w, b, 3);
}

static void
put32 (Writer * w, guint32 v)
{
  guint8 b[4] = { v >> 24, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff };
  put_bytes (w, b, 4);
}

static void
put64 (Writer * w, guint64 v)
{
  put32 (w, (guint32) (v >> 32));
  put32 (w, (guint32) v);
}

static void
put_zeros (Writer * w, gsize n)
{
  static const guint8 zeros[32] = { 0 };

  while (n > 0 && !w->failed) {
    gsize chunk = MIN (n, sizeof (zeros));
    put_bytes (w, zeros, chunk);
    n -= chunk;
  }
}

static void
patch32 (Writer * w, gsize pos, guint32 v)
{
  if (w->failed || pos + 4 > w->out->len)
    return;
  w->out->data[pos] = v >> 24;
  w->out->data[pos + 1] = (v >> 16) & 0xff;
  w->out->data[pos + 2] = (v >> 8) & 0xff;
  w->out->data[pos + 3] = v & 0xff;
}

/* Starts a box: 32-bit size placeholder + type.  Returns its offset. */
static gsize
box_begin (Writer * w, const gchar type[4])
{
  gsize pos = w->out->len;

  put32 (w, 0);
  put_bytes (w, type, 4);
  return pos;
}

/* §4.2 FullBox: a box with version and 24-bit flags. */
static gsize
full_box_begin (Writer * w, const gchar type[4], guint8 version,
    guint32 flags)
{
  gsize pos = box_begin (w, type);

  put8 (w, version);
  put24 (w, flags);
  return pos;
}

/* Ends a box started at @pos: patches its size, failing on overflow. */
static void
box_end (Writer * w, gsize pos)
{
  gsize size;

  if (w->failed)
    return;
  size = w->out->len - pos;
  if (size > G_MAXUINT32) {
    w->failed = TRUE;
    return;
  }
  patch32 (w, pos, (guint32) size);
}

static void
writer_init (Writer * w, GByteArray * out)
{
  w->out = out;
  w->start = out->len;
  w->failed = FALSE;
}

static gboolean
writer_finish (Writer * w)
{
  if (w->failed) {
    g_byte_array_set_size (w->out, w->start);
    return FALSE;
  }
  return TRUE;
}

/* The unity matrix of §8.2.2.3 (16.16 and 2.30 fixed point). */
static void
put_matrix (Writer * w)
{
  put32 (w, 0x00010000);
  put32 (w, 0);
  put32 (w, 0);
  put32 (w, 0);
  put32 (w, 0x00010000);
  put32 (w, 0);
  put32 (w, 0);
  put32 (w, 0);
  put32 (w, 0x40000000);
}

/* §4.3 ftyp.  CMAF (ISO/IEC 23000-19 §7.2) wants the cmfc brand; iso6 covers
 * the boxes we use (tfdt v1, trun v1). */
static void
write_ftyp (Writer * w)
{
  gsize b = box_begin (w, "ftyp");

  put_bytes (w, "iso6", 4);
  put32 (w, 0);
  put_bytes (w, "iso6", 4);
  put_bytes (w, "cmfc", 4);
  box_end (w, b);
}

/* §8.2.2 mvhd, version 0, duration 0: the length lives in the fragments. */
static void
write_mvhd (Writer * w, guint32 next_track_id)
{
  gsize b = full_box_begin (w, "mvhd", 0, 0);

  put32 (w, 0);                 /* creation_time */
  put32 (w, 0);                 /* modification_time */
  put32 (w, 1000);              /* timescale */
  put32 (w, 0);                 /* duration */
  put32 (w, 0x00010000);        /* rate 1.0 */
  put16 (w, 0x0100);            /* volume 1.0 */
  put_zeros (w, 2 + 8);         /* reserved */
  put_matrix (w);
  put_zeros (w, 6 * 4);         /* pre_defined */
  put32 (w, next_track_id);
  box_end (w, b);
}

/* §8.3.2 tkhd: enabled | in_movie | in_preview. */
static void
write_tkhd (Writer * w, const ArclyMp4Track * t)
{
  gsize b = full_box_begin (w, "tkhd", 0, 0x000007);
  gboolean video = t->type == ARCLY_MP4_TRACK_VIDEO;
  guint64 width = t->width, height = t->height;

  put32 (w, 0);                 /* creation_time */
  put32 (w, 0);                 /* modification_time */
  put32 (w, t->track_id);
  put32 (w, 0);                 /* reserved */
  put32 (w, 0);                 /* duration */
  put_zeros (w, 8);             /* reserved */
  put16 (w, 0);                 /* layer */
  put16 (w, 0);                 /* alternate_group */
  put16 (w, video ? 0 : 0x0100);        /* volume */
  put16 (w, 0);                 /* reserved */
  put_matrix (w);
  if (video && t->par_n > 0 && t->par_d > 0 && t->par_n != t->par_d)
    width = width * t->par_n / t->par_d;        /* display width */
  put32 (w, video ? (guint32) (MIN (width, 0xffff) << 16) : 0);
  put32 (w, video ? (guint32) (MIN (height, 0xffff) << 16) : 0);
  box_end (w, b);
}

/* §8.4.2 mdhd, language "und" packed as three 5-bit letters. */
static void
write_mdhd (Writer * w, const ArclyMp4Track * t)
{
  gsize b = full_box_begin (w, "mdhd", 0, 0);

  put32 (w, 0);
  put32 (w, 0);
  put32 (w, t->timescale);
  put32 (w, 0);
  put16 (w, ((('u' - 0x60) & 0x1f) << 10) | ((('n' - 0x60) & 0x1f) << 5)
      | (('d' - 0x60) & 0x1f));
  put16 (w, 0);
  box_end (w, b);
}

/* §8.4.3 hdlr. */
static void
write_hdlr (Writer * w, const ArclyMp4Track * t)
{
  gsize b = full_box_begin (w, "hdlr", 0, 0);
  const gchar *name = t->type == ARCLY_MP4_TRACK_VIDEO ?
      "VideoHandler" : "SoundHandler";

  put32 (w, 0);                 /* pre_defined */
  put_bytes (w, t->type == ARCLY_MP4_TRACK_VIDEO ? "vide" : "soun", 4);
  put_zeros (w, 12);            /* reserved */
  put_bytes (w, name, strlen (name) + 1);
  box_end (w, b);
}

/* §12.1.2 vmhd (flags must be 1) and §12.2.2 smhd. */
static void
write_media_header (Writer * w, const ArclyMp4Track * t)
{
  gsize b;

  if (t->type == ARCLY_MP4_TRACK_VIDEO) {
    b = full_box_begin (w, "vmhd", 0, 1);
    put16 (w, 0);               /* graphicsmode */
    put_zeros (w, 6);           /* opcolor */
  } else {
    b = full_box_begin (w, "smhd", 0, 0);
    put16 (w, 0);               /* balance */
    put16 (w, 0);               /* reserved */
  }
  box_end (w, b);
}

/* §8.7.1 dinf / §8.7.2 dref with one self-contained url entry. */
static void
write_dinf (Writer * w)
{
  gsize dinf = box_begin (w, "dinf");
  gsize dref = full_box_begin (w, "dref", 0, 0);
  gsize url;

  put32 (w, 1);
  url = full_box_begin (w, "url ", 0, 1);
  box_end (w, url);
  box_end (w, dref);
  box_end (w, dinf);
}

/* ISO/IEC 14496-15 §5.4.2.1 avc1 (§8.4.1.1 hvc1, hev1) sample entry, a
 * VisualSampleEntry (§12.1.3), with its avcC (hvcC) and, for non-square
 * pixels, pasp. */
static void
write_video_entry (Writer * w, const ArclyMp4Track * t)
{
  static const gchar *const entry[] = { "avc1", "hvc1", "hev1" };
  gsize b = box_begin (w, entry[t->entry]);
  gsize c;

  put_zeros (w, 6);             /* reserved */
  put16 (w, 1);                 /* data_reference_index */
  put16 (w, 0);                 /* pre_defined */
  put16 (w, 0);                 /* reserved */
  put_zeros (w, 12);            /* pre_defined */
  put16 (w, (guint16) MIN (t->width, 0xffff));
  put16 (w, (guint16) MIN (t->height, 0xffff));
  put32 (w, 0x00480000);        /* 72 dpi */
  put32 (w, 0x00480000);
  put32 (w, 0);                 /* reserved */
  put16 (w, 1);                 /* frame_count */
  put_zeros (w, 32);            /* compressorname: empty Pascal string */
  put16 (w, 0x0018);            /* depth */
  put16 (w, 0xffff);            /* pre_defined = -1 */

  c = box_begin (w, t->entry == ARCLY_MP4_VIDEO_AVC1 ? "avcC" : "hvcC");
  put_bytes (w, t->avcc, t->avcc_size);
  box_end (w, c);

  if (t->par_n > 0 && t->par_d > 0 && t->par_n != t->par_d) {
    c = box_begin (w, "pasp");
    put32 (w, t->par_n);
    put32 (w, t->par_d);
    box_end (w, c);
  }
  box_end (w, b);
}

/* ISO/IEC 14496-1 §8.3.3 expandable size: 7 bits per byte, high bit set on
 * all but the last. */
static guint
desc_len_size (gsize len)
{
  guint n = 1;

  while (len >= 0x80) {
    len >>= 7;
    n++;
  }
  return n;
}

static void
put_desc_header (Writer * w, guint8 tag, gsize len)
{
  guint n = desc_len_size (len), i;

  if (n > 4) {
    w->failed = TRUE;
    return;
  }
  put8 (w, tag);
  for (i = n; i > 0; i--) {
    guint8 byte = (len >> (7 * (i - 1))) & 0x7f;
    put8 (w, i > 1 ? byte | 0x80 : byte);
  }
}

/* ISO/IEC 14496-14 §5.6 esds: ES_Descriptor → DecoderConfigDescriptor (AAC,
 * objectTypeIndication 0x40, audio stream) → DecoderSpecificInfo (the ASC),
 * and an SLConfigDescriptor with predefined = 2 (reserved for MP4). */
static void
write_esds (Writer * w, const ArclyMp4Track * t)
{
  gsize b = full_box_begin (w, "esds", 0, 0);
  gsize dsi_len = t->asc_size;
  gsize dcd_len = 13 + 1 + desc_len_size (dsi_len) + dsi_len;
  gsize es_len = 3 + 1 + desc_len_size (dcd_len) + dcd_len + 3;

  put_desc_header (w, 0x03, es_len);
  put16 (w, 0);                 /* ES_ID: 0 in MP4 files */
  put8 (w, 0);                  /* no dependency, URL or OCR */
  put_desc_header (w, 0x04, dcd_len);
  put8 (w, 0x40);               /* Audio ISO/IEC 14496-3 */
  put8 (w, (0x05 << 2) | 0x01); /* AudioStream, upStream 0, reserved 1 */
  put24 (w, 0);                 /* bufferSizeDB */
  put32 (w, t->max_bitrate);
  put32 (w, t->avg_bitrate);
  put_desc_header (w, 0x05, dsi_len);
  put_bytes (w, t->asc, t->asc_size);
  put_desc_header (w, 0x06, 1);
  put8 (w, 0x02);
  box_end (w, b);
}

/* ISO/IEC 14496-14 §5.6.1 mp4a (an AudioSampleEntry, §12.2.3). */
static void
write_mp4a (Writer * w, const ArclyMp4Track * t)
{
  gsize b = box_begin (w, "mp4a");

  put_zeros (w, 6);
  put16 (w, 1);                 /* data_reference_index */
  put_zeros (w, 8);             /* reserved */
  put16 (w, (guint16) MIN (t->channels, 0xffff));
  put16 (w, 16);                /* samplesize */
  put16 (w, 0);                 /* pre_defined */
  put16 (w, 0);                 /* reserved */
  /* samplerate is 16.16: rates above 65535 Hz cannot be expressed and are
   * written as 0; the ASC carries the real one. */
  put32 (w, t->rate <= 0xffff ? t->rate << 16 : 0);
  write_esds (w, t);
  box_end (w, b);
}

/* §8.5 stbl: the sample description and empty tables, since every sample
 * lives in the fragments (§8.8.1). */
static void
write_stbl (Writer * w, const ArclyMp4Track * t)
{
  gsize stbl = box_begin (w, "stbl");
  gsize b;

  b = full_box_begin (w, "stsd", 0, 0);
  put32 (w, 1);
  if (t->type == ARCLY_MP4_TRACK_VIDEO)
    write_video_entry (w, t);
  else
    write_mp4a (w, t);
  box_end (w, b);

  b = full_box_begin (w, "stts", 0, 0);
  put32 (w, 0);
  box_end (w, b);
  b = full_box_begin (w, "stsc", 0, 0);
  put32 (w, 0);
  box_end (w, b);
  b = full_box_begin (w, "stsz", 0, 0);
  put32 (w, 0);                 /* sample_size */
  put32 (w, 0);                 /* sample_count */
  box_end (w, b);
  b = full_box_begin (w, "stco", 0, 0);
  put32 (w, 0);
  box_end (w, b);

  box_end (w, stbl);
}

static void
write_trak (Writer * w, const ArclyMp4Track * t)
{
  gsize trak = box_begin (w, "trak");
  gsize mdia, minf;

  write_tkhd (w, t);
  mdia = box_begin (w, "mdia");
  write_mdhd (w, t);
  write_hdlr (w, t);
  minf = box_begin (w, "minf");
  write_media_header (w, t);
  write_dinf (w);
  write_stbl (w, t);
  box_end (w, minf);
  box_end (w, mdia);
  box_end (w, trak);
}

/* §8.8.1 mvex / §8.8.3 trex: no defaults, every trun carries its own. */
static void
write_mvex (Writer * w, const ArclyMp4Track * tracks, guint n_tracks)
{
  gsize mvex = box_begin (w, "mvex");
  guint i;

  for (i = 0; i < n_tracks; i++) {
    gsize b = full_box_begin (w, "trex", 0, 0);

    put32 (w, tracks[i].track_id);
    put32 (w, 1);               /* default_sample_description_index */
    put32 (w, 0);               /* default_sample_duration */
    put32 (w, 0);               /* default_sample_size */
    put32 (w, 0);               /* default_sample_flags */
    box_end (w, b);
  }
  box_end (w, mvex);
}

static gboolean
track_is_valid (const ArclyMp4Track * t)
{
  if (t->track_id == 0 || t->timescale == 0)
    return FALSE;
  switch (t->type) {
    case ARCLY_MP4_TRACK_VIDEO:
      /* avcC §5.3.3.1: configurationVersion 1 and at least the 7 bytes
       * up to numOfPictureParameterSets; hvcC §8.3.3.1: the 23 bytes up to
       * numOfArrays. */
      if (t->entry != ARCLY_MP4_VIDEO_AVC1 && (t->entry > ARCLY_MP4_VIDEO_HEV1
              || t->avcc_size < 23))
        return FALSE;
      return t->avcc != NULL && t->avcc_size >= 7
          && t->avcc_size <= MAX_CODEC_CONFIG && t->avcc[0] == 1
          && t->width > 0 && t->height > 0;
    case ARCLY_MP4_TRACK_AUDIO:
      return t->asc != NULL && t->asc_size >= 2
          && t->asc_size <= MAX_CODEC_CONFIG && t->rate > 0;
  }
  return FALSE;
}

gboolean
arcly_mp4_write_init (GByteArray * out, const ArclyMp4Track * tracks,
    guint n_tracks)
{
  Writer w;
  guint32 next_id = 0;
  guint i, j;
  gsize moov;

  g_return_val_if_fail (out != NULL, FALSE);

  if (n_tracks == 0 || tracks == NULL)
    return FALSE;
  for (i = 0; i < n_tracks; i++) {
    if (!track_is_valid (&tracks[i]))
      return FALSE;
    for (j = 0; j < i; j++)
      if (tracks[j].track_id == tracks[i].track_id)
        return FALSE;
    next_id = MAX (next_id, tracks[i].track_id);
  }
  if (next_id == G_MAXUINT32)
    return FALSE;

  writer_init (&w, out);
  write_ftyp (&w);
  moov = box_begin (&w, "moov");
  write_mvhd (&w, next_id + 1);
  for (i = 0; i < n_tracks; i++)
    write_trak (&w, &tracks[i]);
  write_mvex (&w, tracks, n_tracks);
  box_end (&w, moov);
  return writer_finish (&w);
}

/* §8.8.8 trun flags. */
#define TRUN_DATA_OFFSET        0x000001
#define TRUN_SAMPLE_DURATION    0x000100
#define TRUN_SAMPLE_SIZE        0x000200
#define TRUN_SAMPLE_FLAGS       0x000400
#define TRUN_SAMPLE_CTS         0x000800
/* §8.8.7 tfhd flag: data offsets are relative to the moof. */
#define TFHD_DEFAULT_BASE_IS_MOOF 0x020000

/* Writes one traf; the trun's data_offset is left at 0 and its position
 * returned in *@data_offset_pos for patching once the moof size is known. */
static void
write_traf (Writer * w, const ArclyMp4Run * run, gsize * data_offset_pos)
{
  gsize traf = box_begin (w, "traf");
  gsize b;
  gboolean has_cts = FALSE;
  guint32 flags;
  guint i;

  b = full_box_begin (w, "tfhd", 0, TFHD_DEFAULT_BASE_IS_MOOF);
  put32 (w, run->track_id);
  box_end (w, b);

  /* §8.8.12 tfdt version 1: a 64-bit base media decode time. */
  b = full_box_begin (w, "tfdt", 1, 0);
  put64 (w, run->base_decode_time);
  box_end (w, b);

  for (i = 0; i < run->n_samples; i++)
    if (run->samples[i].cts_offset != 0)
      has_cts = TRUE;

  flags = TRUN_DATA_OFFSET | TRUN_SAMPLE_DURATION | TRUN_SAMPLE_SIZE |
      TRUN_SAMPLE_FLAGS | (has_cts ? TRUN_SAMPLE_CTS : 0);
  /* Version 1 makes the composition offsets signed (§8.8.8.2), which is
   * what B-frames with a decode time ahead of the first PTS need. */
  b = full_box_begin (w, "trun", has_cts ? 1 : 0, flags);
  put32 (w, run->n_samples);
  *data_offset_pos = w->out->len;
  put32 (w, 0);
  for (i = 0; i < run->n_samples; i++) {
    const ArclyMp4Sample *s = &run->samples[i];

    put32 (w, s->duration);
    put32 (w, s->size);
    put32 (w, s->sync ? ARCLY_MP4_SAMPLE_FLAGS_SYNC :
        ARCLY_MP4_SAMPLE_FLAGS_NON_SYNC);
    if (has_cts)
      put32 (w, (guint32) s->cts_offset);
  }
  box_end (w, b);
  box_end (w, traf);
}

gboolean
arcly_mp4_write_fragment_header (GByteArray * out, guint32 sequence,
    const ArclyMp4Run * runs, guint n_runs, guint64 * mdat_payload_size)
{
  Writer w;
  gsize moof, *offset_pos;
  guint64 payload = 0, moof_size, mdat_header, data_offset;
  guint i, j, n_written = 0;

  g_return_val_if_fail (out != NULL, FALSE);

  if (runs == NULL || n_runs == 0)
    return FALSE;
  for (i = 0; i < n_runs; i++) {
    if (runs[i].track_id == 0 || (runs[i].n_samples > 0
            && runs[i].samples == NULL))
      return FALSE;
    for (j = 0; j < runs[i].n_samples; j++)
      payload += runs[i].samples[j].size;
    if (runs[i].n_samples > 0)
      n_written++;
  }
  if (n_written == 0)
    return FALSE;

  offset_pos = g_new0 (gsize, n_runs);
  writer_init (&w, out);
  moof = box_begin (&w, "moof");
  {
    gsize b = full_box_begin (&w, "mfhd", 0, 0);
    put32 (&w, sequence);
    box_end (&w, b);
  }
  for (i = 0; i < n_runs; i++)
    if (runs[i].n_samples > 0)
      write_traf (&w, &runs[i], &offset_pos[i]);
  box_end (&w, moof);

  /* §8.1.1 mdat, with a 64-bit largesize when 32 bits cannot hold it. */
  mdat_header = payload + 8 <= G_MAXUINT32 ? 8 : 16;
  if (mdat_header == 8) {
    put32 (&w, (guint32) (payload + 8));
    put_bytes (&w, "mdat", 4);
  } else {
    put32 (&w, 1);
    put_bytes (&w, "mdat", 4);
    put64 (&w, payload + 16);
  }

  /* Each run's data offset: from the start of the moof to its first sample,
   * the runs' data lying back to back in mdat. */
  moof_size = w.failed ? 0 : w.out->len - moof - mdat_header;
  data_offset = moof_size + mdat_header;
  for (i = 0; i < n_runs && !w.failed; i++) {
    guint64 run_size = 0;

    if (runs[i].n_samples == 0)
      continue;
    if (data_offset > G_MAXINT32) {
      w.failed = TRUE;
      break;
    }
    patch32 (&w, offset_pos[i], (guint32) data_offset);
    for (j = 0; j < runs[i].n_samples; j++)
      run_size += runs[i].samples[j].size;
    data_offset += run_size;
  }
  g_free (offset_pos);

  if (!writer_finish (&w))
    return FALSE;
  if (mdat_payload_size)
    *mdat_payload_size = payload;
  return TRUE;
}
