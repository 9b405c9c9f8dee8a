/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * arclyhlssink internals shared by the bin (gstarclyhlssink.c: properties,
 * pads, the muxer, state changes) and its segment writer (hlssinkwriter.c:
 * the internal sink that cuts the muxer's output into segments and parts,
 * writes the files and the playlist).  Not installed.
 */

#ifndef __ARCLY_HLS_SINK_WRITER_H__
#define __ARCLY_HLS_SINK_WRITER_H__

#include <gst/gst.h>

#include "hlsfile.h"
#include "hlsoutput.h"
#include "playlist.h"
#include "hlsvariant.h"
#include "muxcommon.h"

G_BEGIN_DECLS

GST_DEBUG_CATEGORY_EXTERN (arcly_hls_sink_debug);
GST_DEBUG_CATEGORY_EXTERN (arcly_hls_sink_dataflow);

#define GST_TYPE_ARCLY_HLS_SINK (gst_arcly_hls_sink_get_type ())
G_DECLARE_FINAL_TYPE (GstArclyHlsSink, gst_arcly_hls_sink, GST, ARCLY_HLS_SINK,
    GstBin);

/* The hlssink2-style signals through which an application takes the bytes
 * itself (ids in arcly_hls_sink_signals, installed by the bin). */
typedef enum {
  ARCLY_HLS_SIGNAL_GET_PLAYLIST_STREAM,
  ARCLY_HLS_SIGNAL_GET_FRAGMENT_STREAM,
  ARCLY_HLS_SIGNAL_DELETE_FRAGMENT,
  ARCLY_HLS_SIGNAL_LAST
} ArclyHlsSinkSignal;

extern guint arcly_hls_sink_signals[ARCLY_HLS_SIGNAL_LAST];

typedef enum {
  ARCLY_HLS_FORMAT_MPEGTS = 0,
  ARCLY_HLS_FORMAT_FMP4 = 1,
} ArclyHlsSegmentFormat;

/* Which files are fsynced before they are renamed into place. */
typedef enum {
  ARCLY_HLS_SYNC_NONE = 0,
  ARCLY_HLS_SYNC_SEGMENTS = 1,  /* segments, init segments, final playlist */
  ARCLY_HLS_SYNC_ALL = 2,       /* and every part and playlist rewrite */
} ArclyHlsSyncMode;

/* Timestamps derived from frame rates are often a nanosecond short of the
 * exact boundary; do not make a segment one GOP longer because of that. */
#define CUT_TOLERANCE (GST_MSECOND)

/* A hole between the end of one unit and the start of the next longer
 * than this is a gap (a dropped camera, lost frames): the segment ends
 * before it and the next one starts a discontinuity.  With parts, a hole
 * of a part target is one already (a part cannot span it). */
#define GAP_MAX_HOLE ARCLY_GAP_MAX_HOLE

/* 8216bis 4.4.4.9: every part lasts at most the part target.  (It also
 * asks for at least 85 % of it, except for INDEPENDENT parts and the last
 * part of a segment; a part that a keyframe ends early is shorter.) */

/* fMP4 LL-HLS: chunks per part (muxcommon.h) */
#define CHUNKS_PER_PART ARCLY_CHUNKS_PER_PART

/* A segment file kept on disk (and its part files). */
typedef struct {
  guint64 msn;
  gchar *path;
  GPtrArray *part_paths;        /* gchar *, emptied once deleted */
  GstClockTime duration;
  GstClockTime keep_until;      /* running time until which it stays after
                                 * it left the playlist (NONE: listed) */
} HlsFileEntry;

/* Properties as they were when streaming started. */
typedef struct {
  gchar *location;
  gchar *init_location;
  gchar *playlist_location;
  gchar *playlist_root;
  ArclyHlsSegmentFormat format;
  guint target_duration;
  guint playlist_length;
  guint max_files;
  ArclyHlsPlaylistType type;
  guint part_duration;
  gboolean program_date_time;
  gboolean blocking_reload;
  ArclyHlsSyncMode sync_mode;
  gboolean input_thread;
  gboolean part_byteranges;
} HlsSettings;

/* What the writer counts for the "stats" property. */
typedef struct {
  guint64 segments_written;
  guint64 parts_written;
  guint64 inits_written;
  guint64 playlists_written;
  guint64 bytes_written;        /* segment files, as committed */
  guint64 fsyncs;               /* files fsynced before their rename */
  GstClockTime last_segment_duration;
  GstClockTime playlist_latency;        /* see stats_listed () */
} HlsSinkStats;

struct _GstArclyHlsSink {
  GstBin parent;

  GMutex lock;
  /* properties, under lock */
  HlsSettings prop;
  /* under lock */
  GstElement *mux;
  ArclyHlsSegmentFormat mux_format;
  GstElement *writer;           /* ArclyHlsSegmentSink */
  GstPad *video_pad, *audio_pad;

  /* running time from which the next segment starts a discontinuity
   * (NONE = none pending); object lock, set from upstream threads */
  GstClockTime discont_rt;
  /* end of the media before that gap (its last buffer's PTS + duration,
   * NONE = not known); object lock, like discont_rt */
  GstClockTime gap_start_rt;
  /* start of the newest segment that opened a discontinuity (NONE: none
   * yet); object lock, set by the writer, read from upstream threads */
  GstClockTime disc_seg_rt;
  /* a hole in the timestamps longer than this is a gap (set at start from
   * the part target); object lock */
  GstClockTime gap_hole;

  /* streaming state (internal sink's thread) */
  HlsSettings cfg;
  ArclyHlsPlaylist *playlist;
  GQueue files;                 /* HlsFileEntry */
  GstCaps *caps;
  GstSegment segment;
  guint init_index;             /* index of the next init file */
  gchar *init_uri;              /* current EXT-X-MAP URI */
  gboolean new_init;            /* a HEADER arrived since the last cut */
  gboolean have_init;
  guint64 next_index;           /* next segment file number */
  gint64 pdt_anchor_us;         /* wall time at pdt_anchor_rt, -1 = none */
  GstClockTime pdt_anchor_rt;

  /* the open segment */
  ArclyHlsOutput *seg_file;     /* a file or the application's stream */
  gchar *seg_path;
  guint64 seg_msn;
  GstClockTime seg_start;
  GstClockTime last_end;        /* end of the newest unit so far */
  gboolean seg_discont;
  gboolean seg_has_pat;
  gboolean started;             /* a segment was opened since start/flush */
  gboolean write_failed;        /* after a write error nothing more is
                                 * written: the last good playlist stays */

  /* the open part: references to the buffers written to the segment
   * since it started (written again, as they are, to the part file) */
  GPtrArray *part_bufs;         /* GstBuffer */
  GstClockTime part_start;
  guint64 part_offset;          /* part-byteranges: where it starts in its
                                 * segment */
  gboolean part_independent;
  gboolean saw_delta;           /* a non-keyframe unit came: keyframes are
                                 * worth starting a part with */
  GstClockTime lead_rt;         /* latest unit start so far */
  gboolean audio_only;          /* no video pad at start: every part starts
                                 * with an independent frame */
  guint part_index;
  HlsFileEntry *seg_entry;
  GstClockTime last_unit_duration;
  GPtrArray *unit_bufs;         /* scratch: the buffers of one unit, no refs */
  gboolean writing_final;       /* the EOS playlist is being written */

  /* the "stats" property: counted by the writer thread since READY ->
   * PAUSED; object lock */
  HlsSinkStats stats;

  /* the multivariant playlist (hlsvariant.h: its own locking notes) */
  ArclyHlsVariant variant;
};

/* The internal sink that receives the muxer's output (writer thread). */
GstElement *arcly_hls_segment_sink_new (GstArclyHlsSink * hls);

/* READY -> PAUSED, after self->cfg was copied from the properties:
 * validates the locations and starts a new playlist.  FALSE after posting
 * an element error. */
gboolean arcly_hls_writer_start (GstArclyHlsSink * self);

/* Drops the open segment (its temporary file) and all streaming state. */
void arcly_hls_writer_reset (GstArclyHlsSink * self);

/* The segment starting at the first keyframe at or after @rt starts a
 * discontinuity.  Any thread. */
void arcly_hls_writer_mark_discont (GstArclyHlsSink * self, GstClockTime rt);

/* A gap on an input: the media before it ended at @before (NONE: not
 * known), the media after it starts at @rt.  The open segment ends at
 * @before and the next one starts at a keyframe at or after @rt, with
 * EXT-X-DISCONTINUITY.  A gap (not a @caps_change) whose media before it
 * ended before the newest discontinuity started is that discontinuity's:
 * another input of the same drop, that the muxer went on without (live,
 * after its latency), cuts nothing more.  Any thread. */
void arcly_hls_writer_mark_gap (GstArclyHlsSink * self, GstClockTime before,
    GstClockTime rt, gboolean caps_change);

G_END_DECLS

#endif /* __ARCLY_HLS_SINK_WRITER_H__ */
