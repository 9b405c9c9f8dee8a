/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ISO BMFF (ISO/IEC 14496-12) box writer for fragmented MP4 / CMAF
 * (ISO/IEC 23000-19) with H.264 or H.265 (ISO/IEC 14496-15) and AAC
 * (ISO/IEC 14496-14) tracks.  Pure code: plain structs in, bytes out; no GStreamer
 * element code.  Every box is written the same way: a size placeholder and
 * the fourcc, the payload, then the size patched in; a box that would not fit
 * a 32-bit size makes the call fail instead of writing a corrupt file.
 */

#ifndef __ARCLY_MP4_WRITER_H__
#define __ARCLY_MP4_WRITER_H__

#include <glib.h>

G_BEGIN_DECLS

#define ARCLY_MP4_VIDEO_TIMESCALE 90000

typedef enum
{
  ARCLY_MP4_TRACK_VIDEO,
  ARCLY_MP4_TRACK_AUDIO,
} ArclyMp4TrackType;

/* The sample entry of a video track (ISO/IEC 14496-15): avc1 + avcC
 * (§5.4.2), hvc1 + hvcC with every parameter set in the record, or hev1 +
 * hvcC when parameter sets may also come in the samples (§8.4.1). */
typedef enum
{
  ARCLY_MP4_VIDEO_AVC1 = 0,
  ARCLY_MP4_VIDEO_HVC1,
  ARCLY_MP4_VIDEO_HEV1,
} ArclyMp4VideoEntry;

/* Everything the init segment needs to describe one track. */
typedef struct
{
  guint32 track_id;             /* > 0, unique */
  ArclyMp4TrackType type;
  guint32 timescale;            /* > 0: 90000 for video, the rate for audio */

  /* video */
  ArclyMp4VideoEntry entry;     /* avc1 (0), hvc1 or hev1 */
  guint width, height;          /* coded picture size after cropping */
  guint par_n, par_d;           /* pixel aspect ratio; pasp written unless 1:1 */
  const guint8 *avcc;           /* the decoder configuration record: */
  gsize avcc_size;              /* avcC for avc1, hvcC for hvc1 / hev1 */

  /* audio (mp4a) */
  guint channels;
  guint rate;
  const guint8 *asc;            /* AudioSpecificConfig */
  gsize asc_size;
  guint32 avg_bitrate, max_bitrate;     /* 0 = unknown */
} ArclyMp4Track;

/* Sample flags (ISO/IEC 14496-12 §8.8.3.1): a sync sample depends on no
 * other sample; a non-sync sample depends on others and is marked
 * sample_is_non_sync_sample. */
#define ARCLY_MP4_SAMPLE_FLAGS_SYNC      0x02000000u
#define ARCLY_MP4_SAMPLE_FLAGS_NON_SYNC  0x01010000u

typedef struct
{
  guint32 size;                 /* bytes in mdat */
  guint32 duration;             /* in the track timescale */
  gint32 cts_offset;            /* PTS - DTS in the track timescale */
  gboolean sync;
} ArclyMp4Sample;

/* One traf: the samples of one track in a fragment, in decode order.  Their
 * data follows in mdat in the same order as the runs. */
typedef struct
{
  guint32 track_id;
  guint64 base_decode_time;     /* tfdt, in the track timescale */
  const ArclyMp4Sample *samples;
  guint n_samples;
} ArclyMp4Run;

/* Appends ftyp (major iso6, compatible iso6 cmfc) and moov (mvhd, one trak
 * per track, mvex with a trex per track) to @out.  FALSE (and @out left as it
 * was) when a track is invalid or a box would overflow. */
gboolean arcly_mp4_write_init (GByteArray * out, const ArclyMp4Track * tracks,
                               guint n_tracks);

/* Appends moof (mfhd @sequence, a traf per run: tfhd default-base-is-moof,
 * tfdt version 1, trun with data offset, sizes, durations, flags and, when
 * any offset is non-zero, signed (version 1) composition offsets) and the
 * mdat header (8 bytes, or 16 with a 64-bit size) to @out.  The caller then
 * appends *@mdat_payload_size bytes: the samples of each run in order.
 * Runs with no samples are skipped.  FALSE (and @out left as it was) on
 * invalid input or overflow. */
gboolean arcly_mp4_write_fragment_header (GByteArray * out, guint32 sequence,
                                          const ArclyMp4Run * runs,
                                          guint n_runs,
                                          guint64 * mdat_payload_size);

G_END_DECLS

#endif /* __ARCLY_MP4_WRITER_H__ */
