/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:element-arclyhlssink
 * @title: arclyhlssink
 *
 * HTTP Live Streaming sink: H.264 and/or AAC in, a folder of MPEG-TS or
 * fragmented-MP4 (CMAF) segments and an RFC 8216 media playlist out, with
 * Low-Latency HLS partial segments (8216bis) when `part-duration` is set.
 *
 * A bin: the request pads `video` and `audio` are ghost pads of an internal
 * arclytsmux or arclyfmp4mux (chosen by `segment-format` when the first pad
 * is requested or at READY), whose output goes to a private sink that cuts
 * segments and parts at buffer boundaries and writes the files.  It relies
 * only on the muxers' output contract:
 *  - one buffer per unit (TS: an access unit's packets; fMP4: a moof+mdat
 *    fragment or chunk, pushed as one buffer list that the writer takes as
 *    one unit), keyframe units without DELTA_UNIT;
 *  - fMP4: the init segment as a HEADER buffer, again after a caps change;
 *  - TS: PAT/PMT in the caps streamheader and at the start of keyframe units.
 *
 * Files are written to a temporary name in the same folder and renamed when
 * complete, so the playlist and everything it lists are always whole files,
 * even if the process is killed.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 videotestsrc is-live=true ! video/x-raw,format=I420 ! \
 *     x264enc tune=zerolatency key-int-max=30 ! h264parse ! \
 *     arclyhlssink name=hls location=/tmp/hls/segment%05d.m4s \
 *     init-location=/tmp/hls/init%d.mp4 \
 *     playlist-location=/tmp/hls/playlist.m3u8 part-duration=300
 * ]|
 *
 * Locking: self->lock guards the properties and the muxer pointer; the
 * writing state (Segment, parts, playlist) belongs to the internal sink's
 * streaming thread, and state changes touch it only while that thread is
 * stopped.  discont_rt is guarded by the object lock (set from upstream
 * threads).  Order: self->lock before the object lock.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <string.h>

#include <glib/gstdio.h>
#include <gst/base/gstbasesink.h>

#include "gstarclyhlselements.h"
#include "hlsfile.h"
#include "playlist.h"

GST_DEBUG_CATEGORY_STATIC (arcly_hls_sink_debug);
GST_DEBUG_CATEGORY_STATIC (arcly_hls_sink_dataflow);
#define GST_CAT_DEFAULT arcly_hls_sink_debug

#define GST_TYPE_ARCLY_HLS_SINK (gst_arcly_hls_sink_get_type ())
G_DECLARE_FINAL_TYPE (GstArclyHlsSink, gst_arcly_hls_sink, GST, ARCLY_HLS_SINK,
    GstBin);

typedef enum {
  ARCLY_HLS_FORMAT_MPEGTS = 0,
  ARCLY_HLS_FORMAT_FMP4 = 1,
} ArclyHlsSegmentFormat;

#define DEFAULT_PROP_LOCATION NULL      /* segment%05d.ts or .m4s */
#define DEFAULT_PROP_INIT_LOCATION "init%d.mp4"
#define DEFAULT_PROP_PLAYLIST_LOCATION "playlist.m3u8"
#define DEFAULT_PROP_PLAYLIST_ROOT NULL
#define DEFAULT_PROP_SEGMENT_FORMAT ARCLY_HLS_FORMAT_FMP4
#define DEFAULT_PROP_TARGET_DURATION 2
#define DEFAULT_PROP_PLAYLIST_LENGTH 6
#define DEFAULT_PROP_MAX_FILES 10
#define DEFAULT_PROP_PLAYLIST_TYPE ARCLY_HLS_PLAYLIST_LIVE
#define DEFAULT_PROP_PART_DURATION 0
#define DEFAULT_PROP_PROGRAM_DATE_TIME TRUE
#define DEFAULT_PROP_BLOCKING_RELOAD FALSE

#define MAX_TARGET_DURATION 3600
#define MAX_PART_DURATION_MS 10000

/* Timestamps derived from frame rates are often a nanosecond short of the
 * exact boundary; do not make a segment one GOP longer because of that. */
#define CUT_TOLERANCE (GST_MSECOND)

/* 8216bis 4.4.4.9: every part lasts at most the part target and at least
 * 85 % of it, except a part that starts with a keyframe (INDEPENDENT) and
 * the last part of a segment. */
#define PART_MIN_PERCENT 85

/* fMP4 LL-HLS: the muxer cuts a chunk at least this often per part (in
 * practice one per video frame, and always at a keyframe); the writer
 * groups chunks into parts, so a part can end near its target whatever
 * the GOP length. */
#define CHUNKS_PER_PART 10

enum {
  PROP_0,
  PROP_LOCATION,
  PROP_INIT_LOCATION,
  PROP_PLAYLIST_LOCATION,
  PROP_PLAYLIST_ROOT,
  PROP_SEGMENT_FORMAT,
  PROP_TARGET_DURATION,
  PROP_PLAYLIST_LENGTH,
  PROP_MAX_FILES,
  PROP_PLAYLIST_TYPE,
  PROP_PART_DURATION,
  PROP_PROGRAM_DATE_TIME,
  PROP_BLOCKING_RELOAD,
};

/* A segment file kept on disk (and its part files). */
typedef struct {
  guint64 msn;
  gchar *path;
  GPtrArray *part_paths;        /* gchar *, emptied once deleted */
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
} HlsSettings;

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
  ArclyHlsFileWriter *seg_file;
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
};

/* ---- the private sink that receives the muxer's output ---------------- */

#define ARCLY_TYPE_HLS_SEGMENT_SINK (arcly_hls_segment_sink_get_type ())
G_DECLARE_FINAL_TYPE (ArclyHlsSegmentSink, arcly_hls_segment_sink, ARCLY,
    HLS_SEGMENT_SINK, GstBaseSink);

struct _ArclyHlsSegmentSink {
  GstBaseSink parent;
  GstArclyHlsSink *hls;         /* not a reference: the bin owns us */
};

G_DEFINE_TYPE (ArclyHlsSegmentSink, arcly_hls_segment_sink,
    GST_TYPE_BASE_SINK);

static GstFlowReturn gst_arcly_hls_sink_render (GstArclyHlsSink * self,
    GstBuffer * buf, GstBufferList * list);
static gboolean gst_arcly_hls_sink_finish (GstArclyHlsSink * self);
static void gst_arcly_hls_sink_flush (GstArclyHlsSink * self);
static void configure_muxer (GstArclyHlsSink * self);

static GstStaticPadTemplate writer_sink_template =
GST_STATIC_PAD_TEMPLATE ("sink", GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS_ANY);

static GstFlowReturn
arcly_hls_segment_sink_render (GstBaseSink * sink, GstBuffer * buf)
{
  ArclyHlsSegmentSink *self = ARCLY_HLS_SEGMENT_SINK (sink);

  return gst_arcly_hls_sink_render (self->hls, buf, NULL);
}

/* arclyfmp4mux pushes each fragment or chunk as a buffer list (the moof +
 * mdat header, then the samples, sharing their memory): the whole list is
 * one unit, with the first buffer's flags and timing.  Its buffers are
 * written as they are (one gathered write), never joined into one. */
static GstFlowReturn
arcly_hls_segment_sink_render_list (GstBaseSink * sink, GstBufferList * list)
{
  ArclyHlsSegmentSink *self = ARCLY_HLS_SEGMENT_SINK (sink);

  if (gst_buffer_list_length (list) == 0)
    return GST_FLOW_OK;
  return gst_arcly_hls_sink_render (self->hls, gst_buffer_list_get (list, 0),
      list);
}

static gboolean
arcly_hls_segment_sink_event (GstBaseSink * sink, GstEvent * event)
{
  ArclyHlsSegmentSink *self = ARCLY_HLS_SEGMENT_SINK (sink);
  GstArclyHlsSink *hls = self->hls;

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_CAPS:{
      GstCaps *caps;

      gst_event_parse_caps (event, &caps);
      gst_caps_replace (&hls->caps, caps);
      break;
    }
    case GST_EVENT_SEGMENT:
      gst_event_copy_segment (event, &hls->segment);
      break;
    case GST_EVENT_FLUSH_STOP:
      gst_arcly_hls_sink_flush (hls);
      break;
    case GST_EVENT_EOS:
      /* Finish the files before the bin posts EOS. */
      if (!gst_arcly_hls_sink_finish (hls)) {
        gst_event_unref (event);
        return FALSE;
      }
      break;
    default:
      break;
  }
  return GST_BASE_SINK_CLASS (arcly_hls_segment_sink_parent_class)->event
      (sink, event);
}

static void
arcly_hls_segment_sink_class_init (ArclyHlsSegmentSinkClass * klass)
{
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseSinkClass *basesink_class = GST_BASE_SINK_CLASS (klass);

  gst_element_class_add_static_pad_template (element_class,
      &writer_sink_template);
  gst_element_class_set_static_metadata (element_class,
      "arclyhlssink segment writer", "Sink/File",
      "Internal part of arclyhlssink", "gst-arcly developers");
  basesink_class->render = arcly_hls_segment_sink_render;
  basesink_class->render_list = arcly_hls_segment_sink_render_list;
  basesink_class->event = arcly_hls_segment_sink_event;
}

static void
arcly_hls_segment_sink_init (ArclyHlsSegmentSink * self)
{
  /* Write as data comes: a live source paces itself, a file is packaged
   * as fast as it can be read. */
  gst_base_sink_set_sync (GST_BASE_SINK (self), FALSE);
  gst_base_sink_set_qos_enabled (GST_BASE_SINK (self), FALSE);
}

/* ---- the bin ------------------------------------------------------------ */

G_DEFINE_TYPE (GstArclyHlsSink, gst_arcly_hls_sink, GST_TYPE_BIN);
GST_ELEMENT_REGISTER_DEFINE (arclyhlssink, "arclyhlssink", GST_RANK_NONE,
    GST_TYPE_ARCLY_HLS_SINK);

static GstStaticPadTemplate video_template =
GST_STATIC_PAD_TEMPLATE ("video", GST_PAD_SINK, GST_PAD_REQUEST,
    GST_STATIC_CAPS ("video/x-h264, stream-format = (string) { byte-stream, "
        "avc }, alignment = (string) au"));

static GstStaticPadTemplate audio_template =
GST_STATIC_PAD_TEMPLATE ("audio", GST_PAD_SINK, GST_PAD_REQUEST,
    GST_STATIC_CAPS ("audio/mpeg, mpegversion = (int) 4, "
        "stream-format = (string) { raw, adts }"));

#define GST_TYPE_ARCLY_HLS_SEGMENT_FORMAT (arcly_hls_segment_format_get_type ())
static GType
arcly_hls_segment_format_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {ARCLY_HLS_FORMAT_MPEGTS, "MPEG transport stream (.ts)", "mpegts"},
    {ARCLY_HLS_FORMAT_FMP4, "Fragmented MP4 / CMAF (.m4s + init)", "fmp4"},
    {0, NULL, NULL}
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstArclyHlsSegmentFormat", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

#define GST_TYPE_ARCLY_HLS_PLAYLIST_TYPE (arcly_hls_playlist_type_get_type ())
static GType
arcly_hls_playlist_type_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {ARCLY_HLS_PLAYLIST_LIVE, "Live sliding window", "live"},
    {ARCLY_HLS_PLAYLIST_EVENT, "Event: grows, never slides", "event"},
    {ARCLY_HLS_PLAYLIST_VOD, "VOD: written once at EOS", "vod"},
    {0, NULL, NULL}
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstArclyHlsPlaylistType", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

static void
settings_clear (HlsSettings * s)
{
  g_free (s->location);
  g_free (s->init_location);
  g_free (s->playlist_location);
  g_free (s->playlist_root);
  memset (s, 0, sizeof (*s));
}

static void
settings_copy (HlsSettings * dst, const HlsSettings * src)
{
  settings_clear (dst);
  *dst = *src;
  dst->location = g_strdup (src->location);
  dst->init_location = g_strdup (src->init_location);
  dst->playlist_location = g_strdup (src->playlist_location);
  dst->playlist_root = g_strdup (src->playlist_root);
}

static void
file_entry_free (gpointer data)
{
  HlsFileEntry *e = data;

  g_free (e->path);
  g_ptr_array_unref (e->part_paths);
  g_free (e);
}

/* Expand the one integer directive (%d, %u, %05d, ...) of a location
 * pattern; "%%" is a literal '%'.  Returns NULL for any other pattern (a
 * user string is never used as a printf format). */
static gchar *
format_location (const gchar * pattern, guint64 index)
{
  GString *out = g_string_new (NULL);
  const gchar *p;
  guint directives = 0;

  for (p = pattern; *p != '\0'; p++) {
    guint width = 0;
    gboolean zero = FALSE;

    if (*p != '%') {
      g_string_append_c (out, *p);
      continue;
    }
    p++;
    if (*p == '%') {
      g_string_append_c (out, '%');
      continue;
    }
    if (*p == '0') {
      zero = TRUE;
      p++;
    }
    while (g_ascii_isdigit (*p) && width < 100)
      width = width * 10 + (guint) (*p++ - '0');
    /* accept the length modifiers people write for 64-bit counters */
    while (*p == 'l' || *p == 'h')
      p++;
    if ((*p != 'd' && *p != 'u' && *p != 'i') || width >= 100
        || ++directives > 1) {
      g_string_free (out, TRUE);
      return NULL;
    }
    g_string_append_printf (out, zero ? "%0*" G_GUINT64_FORMAT :
        "%*" G_GUINT64_FORMAT, (gint) width, index);
  }
  if (directives != 1) {
    g_string_free (out, TRUE);
    return NULL;
  }
  return g_string_free (out, FALSE);
}

/* "segment00012.ts" -> "segment00012.3.ts" (part 3). */
static gchar *
part_path (const gchar * seg_path, guint part)
{
  const gchar *slash = strrchr (seg_path, '/');
  const gchar *dot = strrchr (seg_path, '.');

  if (dot == NULL || (slash != NULL && dot < slash))
    return g_strdup_printf ("%s.%u", seg_path, part);
  return g_strdup_printf ("%.*s.%u%s", (gint) (dot - seg_path), seg_path,
      part, dot);
}

/* What the playlist lists for a file: playlist-root + basename, or the
 * basename (files next to the playlist). */
static gchar *
make_uri (GstArclyHlsSink * self, const gchar * path)
{
  gchar *base = g_path_get_basename (path), *uri;

  if (self->cfg.playlist_root == NULL || *self->cfg.playlist_root == '\0')
    return base;
  uri = g_strdup_printf ("%s%s%s", self->cfg.playlist_root,
      g_str_has_suffix (self->cfg.playlist_root, "/") ? "" : "/", base);
  g_free (base);
  return uri;
}

static void
post_write_error (GstArclyHlsSink * self, GError * err)
{
  self->write_failed = TRUE;
  if (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_NO_SPACE)) {
    GST_ELEMENT_ERROR (self, RESOURCE, NO_SPACE_LEFT,
        ("Could not write HLS output: %s", err->message),
        ("disk full; the last complete playlist was left in place"));
  } else {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_WRITE,
        ("Could not write HLS output: %s", err->message),
        ("check that the folder exists and is writable; the last complete "
            "playlist was left in place"));
  }
  g_error_free (err);
}

static gboolean
write_playlist (GstArclyHlsSink * self)
{
  gchar *text = arcly_hls_playlist_render (self->playlist);
  GError *err = NULL;
  gboolean ok;

  ok = arcly_hls_file_write_atomic (self->cfg.playlist_location,
      (const guint8 *) text, strlen (text), &err);
  g_free (text);
  if (!ok)
    post_write_error (self, err);
  return ok;
}

/* Delete files that have left the playlist (never before). */
static void
delete_old_files (GstArclyHlsSink * self)
{
  guint64 first_part = arcly_hls_playlist_get_first_part_sequence
      (self->playlist);
  guint64 first_seg = arcly_hls_playlist_get_media_sequence (self->playlist);
  GList *l;

  for (l = self->files.head; l != NULL; l = l->next) {
    HlsFileEntry *e = l->data;
    guint i;

    if (e->msn >= first_part || e->part_paths->len == 0)
      continue;
    for (i = 0; i < e->part_paths->len; i++) {
      const gchar *p = g_ptr_array_index (e->part_paths, i);

      if (g_unlink (p) < 0 && errno != ENOENT)
        GST_WARNING_OBJECT (self, "could not delete %s: %s", p,
            g_strerror (errno));
    }
    g_ptr_array_set_size (e->part_paths, 0);
  }

  if (self->cfg.max_files == 0 || self->cfg.type != ARCLY_HLS_PLAYLIST_LIVE)
    return;
  while (g_queue_get_length (&self->files) > self->cfg.max_files) {
    HlsFileEntry *e = g_queue_peek_head (&self->files);

    if (e->msn >= first_seg)
      break;                    /* still listed: keep it */
    GST_DEBUG_OBJECT (self, "deleting %s", e->path);
    if (g_unlink (e->path) < 0 && errno != ENOENT)
      GST_WARNING_OBJECT (self, "could not delete %s: %s", e->path,
          g_strerror (errno));
    file_entry_free (g_queue_pop_head (&self->files));
  }
}

static GstClockTime
running_time_now (GstArclyHlsSink * self)
{
  GstClock *clock = gst_element_get_clock (GST_ELEMENT (self));
  GstClockTime now, base;

  if (clock == NULL)
    return GST_CLOCK_TIME_NONE;
  now = gst_clock_get_time (clock);
  gst_object_unref (clock);
  base = gst_element_get_base_time (GST_ELEMENT (self));
  return now >= base ? now - base : 0;
}

/* EXT-X-PROGRAM-DATE-TIME of a segment starting at running time @rt: the
 * pipeline clock's running time is mapped to wall time once, at the first
 * segment, and every later segment is placed on that mapping. */
static gint64
program_date_time (GstArclyHlsSink * self, GstClockTime rt)
{
  if (!self->cfg.program_date_time || !GST_CLOCK_TIME_IS_VALID (rt))
    return -1;
  if (self->pdt_anchor_us < 0) {
    GstClockTime now = running_time_now (self);
    gint64 wall = g_get_real_time ();

    if (GST_CLOCK_TIME_IS_VALID (now))
      wall -= GST_CLOCK_DIFF (rt, now) / GST_USECOND;
    self->pdt_anchor_us = wall;
    self->pdt_anchor_rt = rt;
  }
  return self->pdt_anchor_us + GST_CLOCK_DIFF (self->pdt_anchor_rt, rt) /
      (gint64) GST_USECOND;
}

static void
post_message (GstArclyHlsSink * self, GstStructure * s)
{
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), s));
}

/* Appends the bytes of @bufs to @w from their own memory (mapped one by
 * one, never joined or copied here): one gathered write. */
static gboolean
writer_append_buffers (ArclyHlsFileWriter * w, GstBuffer ** bufs,
    guint n_bufs, GError ** error)
{
  GstMapInfo *maps;
  struct iovec *iov;
  guint i, j, n_mem = 0, k = 0;
  gboolean ok = TRUE;

  for (i = 0; i < n_bufs; i++)
    n_mem += gst_buffer_n_memory (bufs[i]);
  maps = g_new (GstMapInfo, n_mem);
  iov = g_new (struct iovec, n_mem);
  for (i = 0; i < n_bufs && ok; i++) {
    guint n = gst_buffer_n_memory (bufs[i]);

    for (j = 0; j < n; j++) {
      GstMemory *mem = gst_buffer_peek_memory (bufs[i], j);

      if (!gst_memory_map (mem, &maps[k], GST_MAP_READ)) {
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
            "could not map a %" G_GSIZE_FORMAT " byte memory of the stream",
            gst_memory_get_sizes (mem, NULL, NULL));
        ok = FALSE;
        break;
      }
      iov[k].iov_base = maps[k].data;
      iov[k].iov_len = maps[k].size;
      k++;
    }
  }
  if (ok)
    ok = arcly_hls_file_writer_appendv (w, iov, k, error);
  while (k > 0) {
    k--;
    gst_memory_unmap (maps[k].memory, &maps[k]);
  }
  g_free (iov);
  g_free (maps);
  return ok;
}

/* Writes @bufs as the complete file @path (temporary file + rename). */
static gboolean
write_buffers_atomic (const gchar * path, GstBuffer ** bufs, guint n_bufs,
    GError ** error)
{
  ArclyHlsFileWriter *w = arcly_hls_file_writer_open (path, error);

  if (w == NULL)
    return FALSE;
  if (!writer_append_buffers (w, bufs, n_bufs, error)) {
    arcly_hls_file_writer_abort (w);
    return FALSE;
  }
  return arcly_hls_file_writer_commit (w, error);
}

static gboolean
close_part (GstArclyHlsSink * self, GstClockTime end)
{
  gchar *path, *uri, *next_path, *next_uri;
  GError *err = NULL;
  GstClockTime dur;

  if (self->part_bufs == NULL || self->part_bufs->len == 0)
    return TRUE;

  path = part_path (self->seg_path, self->part_index);
  if (!write_buffers_atomic (path, (GstBuffer **) self->part_bufs->pdata,
          self->part_bufs->len, &err)) {
    g_free (path);
    post_write_error (self, err);
    return FALSE;
  }
  g_ptr_array_set_size (self->part_bufs, 0);
  /* a part holds data: never list it as lasting nothing (TS audio that
   * ends exactly where a segment is cut) */
  dur = end > self->part_start + GST_MSECOND ? end - self->part_start :
      GST_MSECOND;
  uri = make_uri (self, path);
  arcly_hls_playlist_add_part (self->playlist, uri,
      (gdouble) dur / GST_SECOND, self->part_independent);
  next_path = part_path (self->seg_path, self->part_index + 1);
  next_uri = make_uri (self, next_path);
  arcly_hls_playlist_set_preload_hint (self->playlist, next_uri);
  g_ptr_array_add (self->seg_entry->part_paths, g_strdup (path));

  GST_DEBUG_OBJECT (self, "part %s: %" GST_TIME_FORMAT, path,
      GST_TIME_ARGS (dur));
  if (!write_playlist (self)) {
    g_free (path);
    g_free (uri);
    g_free (next_path);
    g_free (next_uri);
    return FALSE;
  }
  post_message (self, gst_structure_new ("arcly-hls-part",
          "location", G_TYPE_STRING, path,
          "uri", G_TYPE_STRING, uri,
          "duration", G_TYPE_UINT64, (guint64) dur,
          "running-time", G_TYPE_UINT64, (guint64) self->part_start,
          "sequence", G_TYPE_UINT64, self->seg_msn,
          "part", G_TYPE_UINT, self->part_index,
          "independent", G_TYPE_BOOLEAN, self->part_independent, NULL));
  self->part_index++;
  self->part_start = end;
  g_free (path);
  g_free (uri);
  g_free (next_path);
  g_free (next_uri);
  return TRUE;
}

static gboolean
parts_enabled (GstArclyHlsSink * self)
{
  return self->cfg.part_duration > 0
      && self->cfg.type != ARCLY_HLS_PLAYLIST_VOD;
}

static gboolean
close_segment (GstArclyHlsSink * self, GstClockTime end)
{
  GError *err = NULL;
  GstClockTime dur;
  gchar *uri;

  if (self->seg_file == NULL)
    return TRUE;
  if (parts_enabled (self) && !close_part (self, end))
    return FALSE;

  if (!arcly_hls_file_writer_commit (self->seg_file, &err)) {
    self->seg_file = NULL;
    post_write_error (self, err);
    return FALSE;
  }
  self->seg_file = NULL;
  dur = end > self->seg_start ? end - self->seg_start : 0;
  uri = make_uri (self, self->seg_path);
  arcly_hls_playlist_end_segment (self->playlist, uri,
      (gdouble) dur / GST_SECOND);
  g_queue_push_tail (&self->files, self->seg_entry);
  self->seg_entry = NULL;

  if (parts_enabled (self)) {
    /* the next part is the next segment's first */
    gchar *next = format_location (self->cfg.location, self->next_index);
    gchar *next_part = part_path (next, 0);
    gchar *next_uri = make_uri (self, next_part);

    arcly_hls_playlist_set_preload_hint (self->playlist, next_uri);
    g_free (next);
    g_free (next_part);
    g_free (next_uri);
  }

  GST_INFO_OBJECT (self, "segment %s: %" GST_TIME_FORMAT, self->seg_path,
      GST_TIME_ARGS (dur));
  if (self->cfg.type != ARCLY_HLS_PLAYLIST_VOD && !write_playlist (self)) {
    g_free (uri);
    return FALSE;
  }
  post_message (self, gst_structure_new ("arcly-hls-segment",
          "location", G_TYPE_STRING, self->seg_path,
          "uri", G_TYPE_STRING, uri,
          "duration", G_TYPE_UINT64, (guint64) dur,
          "running-time", G_TYPE_UINT64, (guint64) self->seg_start,
          "sequence", G_TYPE_UINT64, self->seg_msn,
          "discontinuity", G_TYPE_BOOLEAN, self->seg_discont, NULL));
  g_free (uri);
  delete_old_files (self);
  return TRUE;
}

static void
abort_segment (GstArclyHlsSink * self)
{
  arcly_hls_file_writer_abort (self->seg_file);
  self->seg_file = NULL;
  if (self->seg_entry != NULL) {
    /* parts already written stay until the next playlist drops them */
    g_queue_push_tail (&self->files, self->seg_entry);
    self->seg_entry = NULL;
  }
  if (self->part_bufs != NULL)
    g_ptr_array_set_size (self->part_bufs, 0);
}

static gboolean
open_segment (GstArclyHlsSink * self, GstClockTime start, gboolean discont)
{
  GError *err = NULL;

  g_free (self->seg_path);
  self->seg_path = format_location (self->cfg.location, self->next_index);
  self->next_index++;
  self->seg_file = arcly_hls_file_writer_open (self->seg_path, &err);
  if (self->seg_file == NULL) {
    post_write_error (self, err);
    return FALSE;
  }
  self->seg_start = start;
  self->seg_discont = discont;
  self->seg_has_pat = FALSE;
  self->seg_msn = arcly_hls_playlist_begin_segment (self->playlist, discont,
      self->cfg.format == ARCLY_HLS_FORMAT_FMP4 ? self->init_uri : NULL,
      program_date_time (self, start));
  self->seg_entry = g_new0 (HlsFileEntry, 1);
  self->seg_entry->msn = self->seg_msn;
  self->seg_entry->path = g_strdup (self->seg_path);
  self->seg_entry->part_paths = g_ptr_array_new_with_free_func (g_free);
  self->part_index = 0;
  self->part_start = start;
  GST_DEBUG_OBJECT (self, "segment %s opened at %" GST_TIME_FORMAT
      "%s", self->seg_path, GST_TIME_ARGS (start),
      discont ? " (discontinuity)" : "");
  return TRUE;
}

/* The init segment: every buffer of the unit (@bufs). */
static gboolean
write_init (GstArclyHlsSink * self, GstBuffer ** bufs, guint n_bufs)
{
  gchar *path = format_location (self->cfg.init_location, self->init_index);
  GError *err = NULL;
  gboolean ok;

  self->init_index++;
  ok = write_buffers_atomic (path, bufs, n_bufs, &err);
  if (!ok) {
    g_free (path);
    post_write_error (self, err);
    return FALSE;
  }
  g_free (self->init_uri);
  self->init_uri = make_uri (self, path);
  GST_INFO_OBJECT (self, "init segment %s", path);
  g_free (path);
  return TRUE;
}

/* A TS segment must start with PAT/PMT; the muxer puts them in front of
 * keyframe units, but an audio-only stream may have none there. */
static gboolean
starts_with_pat (GstBuffer * buf)
{
  guint8 h[4];

  return gst_buffer_extract (buf, 0, h, 4) == 4 && h[0] == 0x47
      && (h[1] & 0x1f) == 0 && h[2] == 0;
}

/* Appends @bufs to the open segment and, with parts, keeps a reference to
 * each for the part file. */
static gboolean
append_buffers (GstArclyHlsSink * self, GstBuffer ** bufs, guint n_bufs)
{
  GError *err = NULL;
  guint i;

  if (!writer_append_buffers (self->seg_file, bufs, n_bufs, &err)) {
    post_write_error (self, err);
    return FALSE;
  }
  if (parts_enabled (self))
    for (i = 0; i < n_bufs; i++)
      g_ptr_array_add (self->part_bufs, gst_buffer_ref (bufs[i]));
  return TRUE;
}

static gboolean
prepend_ts_headers (GstArclyHlsSink * self)
{
  const GstStructure *s;
  const GValue *hdr;
  guint i;

  if (self->caps == NULL || gst_caps_get_size (self->caps) == 0)
    return TRUE;
  s = gst_caps_get_structure (self->caps, 0);
  hdr = gst_structure_get_value (s, "streamheader");
  if (hdr == NULL || !GST_VALUE_HOLDS_ARRAY (hdr))
    return TRUE;
  for (i = 0; i < gst_value_array_get_size (hdr); i++) {
    const GValue *v = gst_value_array_get_value (hdr, i);
    GstBuffer *b;

    if (!GST_VALUE_HOLDS_BUFFER (v))
      continue;
    b = gst_value_get_buffer (v);
    if (!append_buffers (self, &b, 1))
      return FALSE;
  }
  return TRUE;
}

/* The segment starting at the first keyframe at or after @rt starts a
 * discontinuity (EXT-X-DISCONTINUITY).  Tracked by running time because the
 * muxer may still hold older data when upstream flags a gap. */
static void
mark_discont (GstArclyHlsSink * self, GstClockTime rt)
{
  GST_OBJECT_LOCK (self);
  if (!GST_CLOCK_TIME_IS_VALID (self->discont_rt) || rt < self->discont_rt)
    self->discont_rt = rt;
  GST_OBJECT_UNLOCK (self);
}

/* A segment starts at @rt: every gap up to it is accounted for. */
static void
clear_discont (GstArclyHlsSink * self, GstClockTime rt)
{
  GST_OBJECT_LOCK (self);
  if (GST_CLOCK_TIME_IS_VALID (self->discont_rt)
      && self->discont_rt <= rt + CUT_TOLERANCE)
    self->discont_rt = GST_CLOCK_TIME_NONE;
  GST_OBJECT_UNLOCK (self);
}

/* One unit: @buf alone, or the buffer list @list whose first buffer is
 * @buf (its flags and timing are the unit's). */
static GstFlowReturn
gst_arcly_hls_sink_render (GstArclyHlsSink * self, GstBuffer * buf,
    GstBufferList * list)
{
  GstClockTime ts, rt, end = GST_CLOCK_TIME_NONE;
  gboolean key = !GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
  gboolean discont = FALSE, part_dur_ok, leading;
  GstClockTime part_target = self->cfg.part_duration * GST_MSECOND;
  GstBuffer **bufs;
  guint n_bufs, i;

  if (self->write_failed)
    return GST_FLOW_ERROR;
  g_ptr_array_set_size (self->unit_bufs, 0);
  if (list != NULL) {
    n_bufs = gst_buffer_list_length (list);
    for (i = 0; i < n_bufs; i++)
      g_ptr_array_add (self->unit_bufs, gst_buffer_list_get (list, i));
  } else {
    g_ptr_array_add (self->unit_bufs, buf);
  }
  bufs = (GstBuffer **) self->unit_bufs->pdata;
  n_bufs = self->unit_bufs->len;

  if (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_HEADER)) {
    if (self->cfg.format != ARCLY_HLS_FORMAT_FMP4)
      return GST_FLOW_OK;       /* TS: PAT/PMT come again with the data */
    if (!write_init (self, bufs, n_bufs))
      return GST_FLOW_ERROR;
    if (self->have_init)
      self->new_init = TRUE;    /* a caps change: a new segment must start */
    self->have_init = TRUE;
    return GST_FLOW_OK;
  }

  ts = GST_BUFFER_DTS_OR_PTS (buf);
  rt = gst_segment_to_running_time (&self->segment, GST_FORMAT_TIME, ts);
  if (!GST_CLOCK_TIME_IS_VALID (rt)) {
    if (!GST_CLOCK_TIME_IS_VALID (self->last_end)) {
      GST_WARNING_OBJECT (self, "unit without a timestamp, dropped");
      return GST_FLOW_OK;
    }
    rt = self->last_end;
  }
  if (GST_BUFFER_DURATION_IS_VALID (buf)) {
    end = rt + GST_BUFFER_DURATION (buf);
    self->last_unit_duration = GST_BUFFER_DURATION (buf);
  } else if (GST_CLOCK_TIME_IS_VALID (self->last_unit_duration)) {
    end = rt + self->last_unit_duration;
  }

  if (self->cfg.format == ARCLY_HLS_FORMAT_FMP4 && !self->have_init) {
    GST_WARNING_OBJECT (self, "fragment before the init segment, dropped");
    return GST_FLOW_OK;
  }

  if (self->seg_file != NULL && GST_BUFFER_FLAG_IS_SET (buf,
          GST_BUFFER_FLAG_DISCONT))
    mark_discont (self, rt);

  if (self->seg_file == NULL && !key && !self->started) {
    GST_LOG_OBJECT (self, "waiting for a keyframe unit");
    return GST_FLOW_OK;
  }
  if (key || self->seg_file == NULL) {
    gboolean cut;
    GstClockTime drt;

    GST_OBJECT_LOCK (self);
    drt = self->discont_rt;
    GST_OBJECT_UNLOCK (self);
    discont = self->new_init || (GST_CLOCK_TIME_IS_VALID (drt)
        && rt + CUT_TOLERANCE >= drt);
    cut = self->seg_file == NULL || discont || rt + CUT_TOLERANCE >=
        self->seg_start + self->cfg.target_duration * GST_SECOND;
    if (cut) {
      /* every gap up to here is accounted for by this segment start */
      clear_discont (self, rt);
      self->new_init = FALSE;
      if (!close_segment (self, rt) || !open_segment (self, rt, discont))
        return GST_FLOW_ERROR;
      self->started = TRUE;
    }
  }

  if (!key)
    self->saw_delta = TRUE;
  /* TS: audio units lag the video ones (and last longer); only the units
   * that lead the stream's time decide where parts end */
  leading = !GST_CLOCK_TIME_IS_VALID (self->lead_rt)
      || rt + CUT_TOLERANCE >= self->lead_rt;
  if (!GST_CLOCK_TIME_IS_VALID (self->lead_rt) || rt > self->lead_rt)
    self->lead_rt = rt;
  if (parts_enabled (self) && self->part_bufs->len > 0 && leading) {
    /* Units (TS access units, fMP4 chunks) are grouped into a part.  Close
     * it before this unit if the unit would take it past the target, or if
     * the unit is a keyframe and the part is long enough already (the next
     * part is then INDEPENDENT). */
    GstClockTime unit = GST_CLOCK_TIME_IS_VALID (end) ? end - rt : 0;
    GstClockTime part_min = part_target * PART_MIN_PERCENT / 100;

    if ((rt + unit > self->part_start + part_target
            || (key && self->saw_delta && rt + CUT_TOLERANCE >=
                self->part_start + part_min)) && !close_part (self, rt))
      return GST_FLOW_ERROR;
  }
  /* A part starts where the previous one ended (the segment's start for
   * the first): parts add up to their segment even when TS units of the
   * two streams interleave. */
  if (parts_enabled (self) && self->part_bufs->len == 0)
    self->part_independent = key || self->audio_only;

  if (self->cfg.format == ARCLY_HLS_FORMAT_MPEGTS && !self->seg_has_pat) {
    if (!starts_with_pat (buf) && !prepend_ts_headers (self))
      return GST_FLOW_ERROR;
    self->seg_has_pat = TRUE;
  }
  if (!append_buffers (self, bufs, n_bufs))
    return GST_FLOW_ERROR;

  GST_CAT_LOG_OBJECT (arcly_hls_sink_dataflow, self, "unit %" GST_TIME_FORMAT
      " key %d, %u buffers", GST_TIME_ARGS (rt), key, n_bufs);
  if (GST_CLOCK_TIME_IS_VALID (end))
    self->last_end = GST_CLOCK_TIME_IS_VALID (self->last_end) ?
        MAX (self->last_end, end) : end;
  else if (!GST_CLOCK_TIME_IS_VALID (self->last_end) || rt > self->last_end)
    self->last_end = rt;

  if (!parts_enabled (self)) {
    /* fMP4 without chunks: every unit is a whole fragment (a GOP), so the
     * next one starts a new fragment.  Once the target is reached, the
     * segment is complete now: list it without waiting a GOP for the next
     * fragment. */
    if (self->cfg.format == ARCLY_HLS_FORMAT_FMP4
        && GST_CLOCK_TIME_IS_VALID (end) && end + CUT_TOLERANCE >=
        self->seg_start + self->cfg.target_duration * GST_SECOND
        && !close_segment (self, end))
      return GST_FLOW_ERROR;
    return GST_FLOW_OK;
  }
  /* fMP4: chunks come in time order, so a part that reached its target is
   * complete now and listed right away.  TS: the two streams' units
   * interleave (audio may still come for the time the part covers); the
   * part is closed before the first unit that does not fit. */
  part_dur_ok = GST_CLOCK_TIME_IS_VALID (end)
      && end + CUT_TOLERANCE >= self->part_start + part_target;
  if (self->cfg.format == ARCLY_HLS_FORMAT_FMP4 && part_dur_ok
      && !close_part (self, end))
    return GST_FLOW_ERROR;
  return GST_FLOW_OK;
}

/* EOS: complete the open segment, write the final playlist. */
static gboolean
gst_arcly_hls_sink_finish (GstArclyHlsSink * self)
{
  if (self->playlist == NULL)
    return TRUE;
  if (self->write_failed) {
    /* an error was posted: leave the last good playlist as it is (no
     * ENDLIST for a stream that did not end well) */
    abort_segment (self);
    return TRUE;
  }
  if (self->seg_file != NULL && !close_segment (self,
          GST_CLOCK_TIME_IS_VALID (self->last_end) ? self->last_end :
          self->seg_start))
    return FALSE;
  arcly_hls_playlist_end (self->playlist);
  GST_INFO_OBJECT (self, "EOS: playlist %s finished",
      self->cfg.playlist_location);
  return write_playlist (self);
}

static void
gst_arcly_hls_sink_flush (GstArclyHlsSink * self)
{
  GST_DEBUG_OBJECT (self, "flush: dropping the open segment");
  abort_segment (self);
  self->last_end = GST_CLOCK_TIME_NONE;
  self->lead_rt = GST_CLOCK_TIME_NONE;
  self->started = FALSE;
  mark_discont (self, 0);
}

static void
reset_streaming_state (GstArclyHlsSink * self)
{
  abort_segment (self);
  g_queue_clear_full (&self->files, file_entry_free);
  arcly_hls_playlist_free (self->playlist);
  self->playlist = NULL;
  gst_caps_replace (&self->caps, NULL);
  g_clear_pointer (&self->init_uri, g_free);
  g_clear_pointer (&self->seg_path, g_free);
  g_clear_pointer (&self->part_bufs, g_ptr_array_unref);
  self->have_init = self->new_init = self->started = FALSE;
  self->saw_delta = FALSE;
  self->lead_rt = GST_CLOCK_TIME_NONE;
  self->write_failed = FALSE;
  self->init_index = 0;
  self->next_index = 0;
  self->pdt_anchor_us = -1;
  self->pdt_anchor_rt = GST_CLOCK_TIME_NONE;
  self->last_end = GST_CLOCK_TIME_NONE;
  self->last_unit_duration = GST_CLOCK_TIME_NONE;
  GST_OBJECT_LOCK (self);
  self->discont_rt = GST_CLOCK_TIME_NONE;
  GST_OBJECT_UNLOCK (self);
  gst_segment_init (&self->segment, GST_FORMAT_TIME);
}

static gboolean
start_streaming (GstArclyHlsSink * self)
{
  ArclyHlsPlaylistConfig pc = { 0, };
  gchar *probe;

  g_mutex_lock (&self->lock);
  settings_copy (&self->cfg, &self->prop);
  self->cfg.format = self->mux_format;
  self->audio_only = self->video_pad == NULL && self->audio_pad != NULL;
  configure_muxer (self);
  g_mutex_unlock (&self->lock);

  if (self->cfg.location == NULL)
    self->cfg.location = g_strdup (self->cfg.format == ARCLY_HLS_FORMAT_FMP4 ?
        "segment%05d.m4s" : "segment%05d.ts");
  probe = format_location (self->cfg.location, 0);
  if (probe == NULL) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Invalid location pattern \"%s\".", self->cfg.location),
        ("it needs exactly one integer directive such as %%05d"));
    return FALSE;
  }
  g_free (probe);
  probe = format_location (self->cfg.init_location, 0);
  if (probe == NULL && self->cfg.format == ARCLY_HLS_FORMAT_FMP4) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Invalid init-location pattern \"%s\".", self->cfg.init_location),
        ("it needs exactly one integer directive such as %%d"));
    return FALSE;
  }
  g_free (probe);

  reset_streaming_state (self);
  pc.type = self->cfg.type;
  pc.window = self->cfg.playlist_length;
  pc.target_duration = self->cfg.target_duration;
  pc.part_target = parts_enabled (self) ?
      self->cfg.part_duration / 1000.0 : 0.0;
  pc.blocking_reload = self->cfg.blocking_reload;
  pc.independent_segments = TRUE;
  self->playlist = arcly_hls_playlist_new (&pc);
  self->part_bufs = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
  return TRUE;
}

/* ---- muxer and pads ----------------------------------------------------- */

static GstPadProbeReturn
sink_pad_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstArclyHlsSink *self = user_data;

  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);

    /* The first buffer of a stream is always DISCONT: not a gap.  Later
     * ones (a reconnecting source, a dropped GOP) and the first buffer
     * after a caps change start a discontinuity at the next segment. */
    if ((GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DISCONT)
            && g_object_get_data (G_OBJECT (pad), "arcly-seen") != NULL)
        || g_object_get_data (G_OBJECT (pad), "arcly-caps-changed")) {
      GstEvent *sev = gst_pad_get_sticky_event (pad, GST_EVENT_SEGMENT, 0);
      GstClockTime rt = 0;

      if (sev != NULL) {
        const GstSegment *seg;

        gst_event_parse_segment (sev, &seg);
        rt = gst_segment_to_running_time (seg, GST_FORMAT_TIME,
            GST_BUFFER_DTS_OR_PTS (buf));
        gst_event_unref (sev);
      }
      GST_DEBUG_OBJECT (self, "discontinuity on %s at %" GST_TIME_FORMAT,
          GST_PAD_NAME (pad), GST_TIME_ARGS (rt));
      mark_discont (self, GST_CLOCK_TIME_IS_VALID (rt) ? rt : 0);
      g_object_set_data (G_OBJECT (pad), "arcly-caps-changed", NULL);
    }
    g_object_set_data (G_OBJECT (pad), "arcly-seen", GINT_TO_POINTER (1));
  } else if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent *ev = GST_PAD_PROBE_INFO_EVENT (info);

    if (GST_EVENT_TYPE (ev) == GST_EVENT_CAPS) {
      GstCaps *caps, *old = gst_pad_get_current_caps (pad);

      gst_event_parse_caps (ev, &caps);
      if (old != NULL && !gst_caps_is_equal (old, caps)
          && g_object_get_data (G_OBJECT (pad), "arcly-seen") != NULL) {
        GST_DEBUG_OBJECT (self, "caps change on %s", GST_PAD_NAME (pad));
        g_object_set_data (G_OBJECT (pad), "arcly-caps-changed",
            GINT_TO_POINTER (1));
      }
      if (old != NULL)
        gst_caps_unref (old);
    } else if (GST_EVENT_TYPE (ev) == GST_EVENT_FLUSH_STOP
        || GST_EVENT_TYPE (ev) == GST_EVENT_STREAM_START) {
      g_object_set_data (G_OBJECT (pad), "arcly-seen", NULL);
    }
  }
  return GST_PAD_PROBE_OK;
}

static const gchar *
mux_factory_name (ArclyHlsSegmentFormat format)
{
  return format == ARCLY_HLS_FORMAT_FMP4 ? "arclyfmp4mux" : "arclytsmux";
}

/* fMP4: fragments on keyframes no longer than a segment; with LL-HLS
 * chunks of a tenth of a part at most, which the writer groups into parts
 * (the muxer's contract, see the class doc).  With self->lock held. */
static void
configure_muxer (GstArclyHlsSink * self)
{
  GstElement *mux = self->mux;
  GParamSpec *ps;
  guint64 chunk = 0;

  if (mux == NULL || self->mux_format != ARCLY_HLS_FORMAT_FMP4)
    return;
  ps = g_object_class_find_property (G_OBJECT_GET_CLASS (mux),
      "fragment-duration");
  if (ps != NULL && G_PARAM_SPEC_VALUE_TYPE (ps) == G_TYPE_UINT64)
    g_object_set (mux, "fragment-duration",
        (guint64) self->prop.target_duration * GST_SECOND, NULL);
  ps = g_object_class_find_property (G_OBJECT_GET_CLASS (mux),
      "chunk-duration");
  if (self->prop.part_duration > 0
      && self->prop.type != ARCLY_HLS_PLAYLIST_VOD)
    chunk = (guint64) self->prop.part_duration * GST_MSECOND /
        CHUNKS_PER_PART;
  if (ps != NULL && G_PARAM_SPEC_VALUE_TYPE (ps) == G_TYPE_UINT64)
    g_object_set (mux, "chunk-duration", chunk, NULL);
}

/* With self->lock held.  Creates the muxer once. */
static gboolean
ensure_muxer (GstArclyHlsSink * self)
{
  ArclyHlsSegmentFormat format = self->prop.format;
  GstElement *mux;

  if (self->mux != NULL)
    return TRUE;

  mux = gst_element_factory_make (mux_factory_name (format), "mux");
  if (mux == NULL) {
    g_mutex_unlock (&self->lock);
    GST_ELEMENT_ERROR (self, CORE, MISSING_PLUGIN,
        ("Missing element \"%s\" for segment-format %s.",
            mux_factory_name (format), format == ARCLY_HLS_FORMAT_FMP4 ?
            "fmp4" : "mpegts"), ("is the arclyhls plugin complete?"));
    g_mutex_lock (&self->lock);
    return FALSE;
  }
  self->mux = mux;
  self->mux_format = format;
  gst_bin_add (GST_BIN (self), mux);
  if (!gst_element_link (mux, self->writer)) {
    GST_WARNING_OBJECT (self, "could not link %s to the writer",
        GST_ELEMENT_NAME (mux));
  }
  return TRUE;
}

static GstPad *
gst_arcly_hls_sink_request_new_pad (GstElement * element,
    GstPadTemplate * templ, const gchar * name, const GstCaps * caps)
{
  GstArclyHlsSink *self = GST_ARCLY_HLS_SINK (element);
  gboolean video = g_str_equal (GST_PAD_TEMPLATE_NAME_TEMPLATE (templ),
      "video");
  GstPad *muxpad, *ghost;

  g_mutex_lock (&self->lock);
  if ((video && self->video_pad != NULL) || (!video && self->audio_pad)) {
    g_mutex_unlock (&self->lock);
    GST_WARNING_OBJECT (self, "only one %s pad", video ? "video" : "audio");
    return NULL;
  }
  if (!ensure_muxer (self)) {
    g_mutex_unlock (&self->lock);
    return NULL;
  }
  muxpad = gst_element_request_pad_simple (self->mux,
      video ? "video_%u" : "audio_%u");
  if (muxpad == NULL) {
    g_mutex_unlock (&self->lock);
    GST_WARNING_OBJECT (self, "muxer refused a %s pad",
        video ? "video" : "audio");
    return NULL;
  }
  ghost = gst_ghost_pad_new_from_template (video ? "video" : "audio", muxpad,
      templ);
  gst_object_unref (muxpad);
  gst_pad_add_probe (ghost, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, sink_pad_probe, self, NULL);
  if (video)
    self->video_pad = ghost;
  else
    self->audio_pad = ghost;
  g_mutex_unlock (&self->lock);

  gst_pad_set_active (ghost, TRUE);
  gst_element_add_pad (element, ghost);
  return ghost;
}

static void
gst_arcly_hls_sink_release_pad (GstElement * element, GstPad * pad)
{
  GstArclyHlsSink *self = GST_ARCLY_HLS_SINK (element);
  GstPad *target = gst_ghost_pad_get_target (GST_GHOST_PAD (pad));

  g_mutex_lock (&self->lock);
  if (pad == self->video_pad)
    self->video_pad = NULL;
  else if (pad == self->audio_pad)
    self->audio_pad = NULL;
  g_mutex_unlock (&self->lock);

  gst_ghost_pad_set_target (GST_GHOST_PAD (pad), NULL);
  if (target != NULL) {
    if (self->mux != NULL)
      gst_element_release_request_pad (self->mux, target);
    gst_object_unref (target);
  }
  gst_pad_set_active (pad, FALSE);
  gst_element_remove_pad (element, pad);
}

static GstStateChangeReturn
gst_arcly_hls_sink_change_state (GstElement * element,
    GstStateChange transition)
{
  GstArclyHlsSink *self = GST_ARCLY_HLS_SINK (element);
  GstStateChangeReturn ret;

  switch (transition) {
    case GST_STATE_CHANGE_NULL_TO_READY:{
      gboolean ok;

      g_mutex_lock (&self->lock);
      ok = ensure_muxer (self);
      g_mutex_unlock (&self->lock);
      if (!ok)
        return GST_STATE_CHANGE_FAILURE;
      break;
    }
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      if (!start_streaming (self))
        return GST_STATE_CHANGE_FAILURE;
      break;
    default:
      break;
  }

  ret = GST_ELEMENT_CLASS (gst_arcly_hls_sink_parent_class)->change_state
      (element, transition);
  if (ret == GST_STATE_CHANGE_FAILURE)
    return ret;

  switch (transition) {
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      /* Stopped without EOS: the open segment is dropped (its temporary
       * file removed); the playlist on disk lists only complete files. */
      reset_streaming_state (self);
      break;
    default:
      break;
  }
  return ret;
}

/* ---- properties --------------------------------------------------------- */

static void
gst_arcly_hls_sink_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstArclyHlsSink *self = GST_ARCLY_HLS_SINK (object);

  g_mutex_lock (&self->lock);
  switch (prop_id) {
    case PROP_LOCATION:
      g_free (self->prop.location);
      self->prop.location = g_value_dup_string (value);
      break;
    case PROP_INIT_LOCATION:
      g_free (self->prop.init_location);
      self->prop.init_location = g_value_dup_string (value);
      if (self->prop.init_location == NULL)
        self->prop.init_location = g_strdup (DEFAULT_PROP_INIT_LOCATION);
      break;
    case PROP_PLAYLIST_LOCATION:
      g_free (self->prop.playlist_location);
      self->prop.playlist_location = g_value_dup_string (value);
      if (self->prop.playlist_location == NULL)
        self->prop.playlist_location =
            g_strdup (DEFAULT_PROP_PLAYLIST_LOCATION);
      break;
    case PROP_PLAYLIST_ROOT:
      g_free (self->prop.playlist_root);
      self->prop.playlist_root = g_value_dup_string (value);
      break;
    case PROP_SEGMENT_FORMAT:
      self->prop.format = g_value_get_enum (value);
      if (self->mux != NULL && self->mux_format != self->prop.format)
        GST_WARNING_OBJECT (self, "segment-format changed after the muxer "
            "was created: it applies to the next instance only");
      break;
    case PROP_TARGET_DURATION:
      self->prop.target_duration = g_value_get_uint (value);
      break;
    case PROP_PLAYLIST_LENGTH:
      self->prop.playlist_length = g_value_get_uint (value);
      break;
    case PROP_MAX_FILES:
      self->prop.max_files = g_value_get_uint (value);
      break;
    case PROP_PLAYLIST_TYPE:
      self->prop.type = g_value_get_enum (value);
      break;
    case PROP_PART_DURATION:
      self->prop.part_duration = g_value_get_uint (value);
      break;
    case PROP_PROGRAM_DATE_TIME:
      self->prop.program_date_time = g_value_get_boolean (value);
      break;
    case PROP_BLOCKING_RELOAD:
      self->prop.blocking_reload = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  g_mutex_unlock (&self->lock);
}

static void
gst_arcly_hls_sink_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstArclyHlsSink *self = GST_ARCLY_HLS_SINK (object);

  g_mutex_lock (&self->lock);
  switch (prop_id) {
    case PROP_LOCATION:
      g_value_set_string (value, self->prop.location);
      break;
    case PROP_INIT_LOCATION:
      g_value_set_string (value, self->prop.init_location);
      break;
    case PROP_PLAYLIST_LOCATION:
      g_value_set_string (value, self->prop.playlist_location);
      break;
    case PROP_PLAYLIST_ROOT:
      g_value_set_string (value, self->prop.playlist_root);
      break;
    case PROP_SEGMENT_FORMAT:
      g_value_set_enum (value, self->prop.format);
      break;
    case PROP_TARGET_DURATION:
      g_value_set_uint (value, self->prop.target_duration);
      break;
    case PROP_PLAYLIST_LENGTH:
      g_value_set_uint (value, self->prop.playlist_length);
      break;
    case PROP_MAX_FILES:
      g_value_set_uint (value, self->prop.max_files);
      break;
    case PROP_PLAYLIST_TYPE:
      g_value_set_enum (value, self->prop.type);
      break;
    case PROP_PART_DURATION:
      g_value_set_uint (value, self->prop.part_duration);
      break;
    case PROP_PROGRAM_DATE_TIME:
      g_value_set_boolean (value, self->prop.program_date_time);
      break;
    case PROP_BLOCKING_RELOAD:
      g_value_set_boolean (value, self->prop.blocking_reload);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  g_mutex_unlock (&self->lock);
}

static void
gst_arcly_hls_sink_finalize (GObject * object)
{
  GstArclyHlsSink *self = GST_ARCLY_HLS_SINK (object);

  reset_streaming_state (self);
  settings_clear (&self->prop);
  settings_clear (&self->cfg);
  g_ptr_array_unref (self->unit_bufs);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (gst_arcly_hls_sink_parent_class)->finalize (object);
}

static void
gst_arcly_hls_sink_class_init (GstArclyHlsSinkClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_READY;

  GST_DEBUG_CATEGORY_INIT (arcly_hls_sink_debug, "arclyhlssink", 0,
      "gst-arcly HLS sink");
  GST_DEBUG_CATEGORY_INIT (arcly_hls_sink_dataflow, "arclyhlssink_dataflow",
      0, "gst-arcly HLS sink, per-unit logs");

  gobject_class->set_property = gst_arcly_hls_sink_set_property;
  gobject_class->get_property = gst_arcly_hls_sink_get_property;
  gobject_class->finalize = gst_arcly_hls_sink_finalize;

  g_object_class_install_property (gobject_class, PROP_LOCATION,
      g_param_spec_string ("location", "Segment location",
          "Segment file pattern with one integer directive; default "
          "segment%05d.ts or segment%05d.m4s by segment-format",
          DEFAULT_PROP_LOCATION, rw));
  g_object_class_install_property (gobject_class, PROP_INIT_LOCATION,
      g_param_spec_string ("init-location", "Init segment location",
          "fMP4 init segment file pattern; a new file on each caps change",
          DEFAULT_PROP_INIT_LOCATION, rw));
  g_object_class_install_property (gobject_class, PROP_PLAYLIST_LOCATION,
      g_param_spec_string ("playlist-location", "Playlist location",
          "Media playlist file, replaced atomically on every update",
          DEFAULT_PROP_PLAYLIST_LOCATION, rw));
  g_object_class_install_property (gobject_class, PROP_PLAYLIST_ROOT,
      g_param_spec_string ("playlist-root", "Playlist root",
          "URI prefix of the segment URIs in the playlist (default: none, "
          "file names relative to the playlist)", DEFAULT_PROP_PLAYLIST_ROOT,
          rw));
  g_object_class_install_property (gobject_class, PROP_SEGMENT_FORMAT,
      g_param_spec_enum ("segment-format", "Segment format",
          "MPEG-TS or fragmented MP4 (CMAF) segments",
          GST_TYPE_ARCLY_HLS_SEGMENT_FORMAT, DEFAULT_PROP_SEGMENT_FORMAT,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_TARGET_DURATION,
      g_param_spec_uint ("target-duration", "Target duration",
          "Segment duration in seconds: a segment ends at the first "
          "keyframe at or after it", 1, MAX_TARGET_DURATION,
          DEFAULT_PROP_TARGET_DURATION, rw));
  g_object_class_install_property (gobject_class, PROP_PLAYLIST_LENGTH,
      g_param_spec_uint ("playlist-length", "Playlist length",
          "Segments kept in the live playlist (0 = all)", 0, G_MAXUINT,
          DEFAULT_PROP_PLAYLIST_LENGTH, rw));
  g_object_class_install_property (gobject_class, PROP_MAX_FILES,
      g_param_spec_uint ("max-files", "Max files",
          "Segment files kept on disk; older ones are deleted once out of "
          "the playlist (0 = never delete)", 0, G_MAXUINT,
          DEFAULT_PROP_MAX_FILES, rw));
  g_object_class_install_property (gobject_class, PROP_PLAYLIST_TYPE,
      g_param_spec_enum ("playlist-type", "Playlist type",
          "live (sliding window), event (grows) or vod (written once at EOS)",
          GST_TYPE_ARCLY_HLS_PLAYLIST_TYPE, DEFAULT_PROP_PLAYLIST_TYPE, rw));
  g_object_class_install_property (gobject_class, PROP_PART_DURATION,
      g_param_spec_uint ("part-duration", "Part duration",
          "Low-Latency HLS partial segment duration in milliseconds "
          "(0 = off; 200-500 typical)", 0, MAX_PART_DURATION_MS,
          DEFAULT_PROP_PART_DURATION, rw));
  g_object_class_install_property (gobject_class, PROP_PROGRAM_DATE_TIME,
      g_param_spec_boolean ("program-date-time", "Program date time",
          "Write EXT-X-PROGRAM-DATE-TIME from the pipeline clock's wall "
          "time", DEFAULT_PROP_PROGRAM_DATE_TIME, rw));
  g_object_class_install_property (gobject_class, PROP_BLOCKING_RELOAD,
      g_param_spec_boolean ("blocking-reload", "Blocking reload",
          "Claim CAN-BLOCK-RELOAD=YES in LL-HLS playlists; set it only when "
          "the HTTP server holds _HLS_msn/_HLS_part requests",
          DEFAULT_PROP_BLOCKING_RELOAD, rw));

  gst_element_class_add_static_pad_template (element_class, &video_template);
  gst_element_class_add_static_pad_template (element_class, &audio_template);
  gst_element_class_set_static_metadata (element_class,
      "HLS sink (TS / CMAF, Low-Latency)", "Sink/Muxer",
      "Writes HTTP Live Streaming segments, parts and playlists from H.264 "
      "and AAC", "gst-arcly developers");

  element_class->request_new_pad = gst_arcly_hls_sink_request_new_pad;
  element_class->release_pad = gst_arcly_hls_sink_release_pad;
  element_class->change_state = gst_arcly_hls_sink_change_state;

  gst_type_mark_as_plugin_api (GST_TYPE_ARCLY_HLS_SEGMENT_FORMAT, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_ARCLY_HLS_PLAYLIST_TYPE, 0);
}

static void
gst_arcly_hls_sink_init (GstArclyHlsSink * self)
{
  ArclyHlsSegmentSink *writer;

  g_mutex_init (&self->lock);
  self->prop.init_location = g_strdup (DEFAULT_PROP_INIT_LOCATION);
  self->prop.playlist_location = g_strdup (DEFAULT_PROP_PLAYLIST_LOCATION);
  self->prop.format = DEFAULT_PROP_SEGMENT_FORMAT;
  self->prop.target_duration = DEFAULT_PROP_TARGET_DURATION;
  self->prop.playlist_length = DEFAULT_PROP_PLAYLIST_LENGTH;
  self->prop.max_files = DEFAULT_PROP_MAX_FILES;
  self->prop.type = DEFAULT_PROP_PLAYLIST_TYPE;
  self->prop.part_duration = DEFAULT_PROP_PART_DURATION;
  self->prop.program_date_time = DEFAULT_PROP_PROGRAM_DATE_TIME;
  self->prop.blocking_reload = DEFAULT_PROP_BLOCKING_RELOAD;
  g_queue_init (&self->files);
  self->unit_bufs = g_ptr_array_new ();
  self->pdt_anchor_us = -1;
  self->last_end = GST_CLOCK_TIME_NONE;
  self->last_unit_duration = GST_CLOCK_TIME_NONE;
  self->lead_rt = GST_CLOCK_TIME_NONE;
  self->discont_rt = GST_CLOCK_TIME_NONE;
  gst_segment_init (&self->segment, GST_FORMAT_TIME);

  writer = g_object_new (ARCLY_TYPE_HLS_SEGMENT_SINK, "name", "writer",
      NULL);
  writer->hls = self;
  self->writer = GST_ELEMENT (writer);
  gst_bin_add (GST_BIN (self), self->writer);
  GST_OBJECT_FLAG_SET (self, GST_ELEMENT_FLAG_SINK);
}
