/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * arclyhlssink's segment writer: the internal sink at the end of the bin.
 * It takes the muxer's units (TS access units, fMP4 fragments or chunks as
 * buffer lists), cuts segments at keyframes and LL-HLS parts between units,
 * writes every file through hlsfile (temporary file + rename) and the
 * playlist through playlist.c, posts the segment and part messages and
 * deletes files that left the playlist.  All of it runs in the internal
 * sink's streaming thread (see the locking note in gstarclyhlssink.c).
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <string.h>

#include <glib/gstdio.h>
#include <gst/base/gstbasesink.h>

#include "hlssinkwriter.h"

#define GST_CAT_DEFAULT arcly_hls_sink_debug

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

GstElement *
arcly_hls_segment_sink_new (GstArclyHlsSink * hls)
{
  ArclyHlsSegmentSink *writer = g_object_new (ARCLY_TYPE_HLS_SEGMENT_SINK,
      "name", "writer", NULL);

  writer->hls = hls;
  return GST_ELEMENT (writer);
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

/* Absolute, normalized path components of @path ("." and ".." resolved
 * lexically, relative paths taken from the working directory). */
static gchar **
path_components (const gchar * path)
{
  gchar *abs = g_canonicalize_filename (path, NULL);
  gchar **parts = g_strsplit (abs, G_DIR_SEPARATOR_S, -1);

  g_free (abs);
  return parts;
}

/* @path relative to the folder @dir, with "/" separators ("../x" when it
 * lies outside @dir). */
static gchar *
relative_path (const gchar * dir, const gchar * path)
{
  gchar **d = path_components (dir), **f = path_components (path);
  GString *rel = g_string_new (NULL);
  guint i = 0, j;

  while (d[i] != NULL && f[i] != NULL && f[i + 1] != NULL
      && g_str_equal (d[i], f[i]))
    i++;
  for (j = i; d[j] != NULL; j++)
    if (*d[j] != '\0')
      g_string_append (rel, "../");
  for (j = i; f[j] != NULL; j++) {
    if (*f[j] == '\0')
      continue;
    g_string_append (rel, f[j]);
    if (f[j + 1] != NULL)
      g_string_append_c (rel, '/');
  }
  g_strfreev (d);
  g_strfreev (f);
  return g_string_free (rel, FALSE);
}

/* What the playlist lists for a file: playlist-root + basename, or its
 * path relative to the playlist's folder (segments, parts and init
 * segments may live in another folder than the playlist), escaped as a
 * URI path. */
static gchar *
make_uri (GstArclyHlsSink * self, const gchar * path)
{
  gchar *rel, *uri;

  if (self->cfg.playlist_root != NULL && *self->cfg.playlist_root != '\0') {
    gchar *base = g_path_get_basename (path);

    uri = g_strdup_printf ("%s%s%s", self->cfg.playlist_root,
        g_str_has_suffix (self->cfg.playlist_root, "/") ? "" : "/", base);
    g_free (base);
    return uri;
  }
  {
    gchar *pl_dir = g_path_get_dirname (self->cfg.playlist_location);

    rel = relative_path (pl_dir, path);
    g_free (pl_dir);
  }
  uri = g_uri_escape_string (rel, G_URI_RESERVED_CHARS_ALLOWED_IN_PATH,
      TRUE);
  g_free (rel);
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

static GstClockTime running_time_now (GstArclyHlsSink * self);

/* A playlist update listed a segment or part whose first frame has running
 * time @start: "playlist-latency" is how old that frame is now, by the
 * pipeline clock (a segment or part duration plus what upstream adds); 0
 * when there is no clock or the media runs ahead of it (not live). */
static void
stats_listed (GstArclyHlsSink * self, GstClockTime start)
{
  GstClockTime now = running_time_now (self);

  GST_OBJECT_LOCK (self);
  self->stats.playlist_latency = GST_CLOCK_TIME_IS_VALID (now)
      && GST_CLOCK_TIME_IS_VALID (start) && now > start ? now - start : 0;
  GST_OBJECT_UNLOCK (self);
}

/* sync-mode: segments (and what they need: init segments, the playlist
 * that ends the stream) are fsynced by default; parts and live playlist
 * rewrites, several a second, only with "all". */
static gboolean
sync_wanted (GstArclyHlsSink * self, gboolean segment)
{
  return self->cfg.sync_mode == ARCLY_HLS_SYNC_ALL || (segment &&
      self->cfg.sync_mode == ARCLY_HLS_SYNC_SEGMENTS);
}

static void
count_fsync (GstArclyHlsSink * self, gboolean synced)
{
  if (!synced)
    return;
  GST_OBJECT_LOCK (self);
  self->stats.fsyncs++;
  GST_OBJECT_UNLOCK (self);
}

/* Where the file @path goes: the stream the application returns from
 * @sig (get-fragment-stream or get-playlist-stream) when it connected a
 * handler, as with hlssink2; otherwise the file itself, written whole
 * (temporary file + rename).  NULL after posting an element error (also
 * when the handler returned NULL). */
static ArclyHlsOutput *
open_output_full (GstArclyHlsSink * self, ArclyHlsSinkSignal sig,
    const gchar * path, gboolean in_place)
{
  const gchar *what = sig == ARCLY_HLS_SIGNAL_GET_PLAYLIST_STREAM ?
      "playlist" : "fragment";
  GOutputStream *stream = NULL;
  ArclyHlsOutput *o;
  GError *err = NULL;

  if (!g_signal_has_handler_pending (self, arcly_hls_sink_signals[sig], 0,
          FALSE)) {
    o = in_place ? arcly_hls_output_new_file_in_place (path, &err) :
        arcly_hls_output_new_file (path, &err);
    if (o == NULL)
      post_write_error (self, err);
    return o;
  }
  g_signal_emit (self, arcly_hls_sink_signals[sig], 0, path, &stream);
  if (stream == NULL) {
    self->write_failed = TRUE;
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_WRITE,
        ("Got no output stream for %s '%s'.", what, path),
        ("the get-%s-stream handler returned NULL", what));
    return NULL;
  }
  return arcly_hls_output_new_stream (stream, path);
}

static ArclyHlsOutput *
open_output (GstArclyHlsSink * self, ArclyHlsSinkSignal sig,
    const gchar * path)
{
  return open_output_full (self, sig, path, FALSE);
}

/* Completes @o (see arcly_hls_output_commit()), counting the fsync. */
static gboolean
commit_output (GstArclyHlsSink * self, ArclyHlsOutput * o, gboolean sync)
{
  GError *err = NULL;
  gboolean synced;

  if (!arcly_hls_output_commit (o, sync, &synced, &err)) {
    post_write_error (self, err);
    return FALSE;
  }
  count_fsync (self, synced);
  return TRUE;
}

/* A segment or part left the playlist for good: delete-fragment when the
 * application connected to it (it owns the bytes), else the file. */
static void
delete_fragment (GstArclyHlsSink * self, const gchar * path)
{
  GST_DEBUG_OBJECT (self, "deleting %s", path);
  if (g_signal_has_handler_pending (self,
          arcly_hls_sink_signals[ARCLY_HLS_SIGNAL_DELETE_FRAGMENT], 0,
          FALSE)) {
    g_signal_emit (self,
        arcly_hls_sink_signals[ARCLY_HLS_SIGNAL_DELETE_FRAGMENT], 0, path);
    return;
  }
  if (g_unlink (path) < 0 && errno != ENOENT)
    GST_WARNING_OBJECT (self, "could not delete %s: %s", path,
        g_strerror (errno));
}

static gboolean
write_playlist (GstArclyHlsSink * self)
{
  gchar *text = arcly_hls_playlist_render (self->playlist);
  GError *err = NULL;
  gboolean sync = sync_wanted (self, self->writing_final);
  ArclyHlsOutput *o = open_output (self,
      ARCLY_HLS_SIGNAL_GET_PLAYLIST_STREAM, self->cfg.playlist_location);

  if (o == NULL) {
    g_free (text);
    return FALSE;
  }
  if (!arcly_hls_output_append (o, (const guint8 *) text, strlen (text),
          &err)) {
    g_free (text);
    arcly_hls_output_abort (o);
    post_write_error (self, err);
    return FALSE;
  }
  g_free (text);
  if (!commit_output (self, o, sync))
    return FALSE;
  GST_OBJECT_LOCK (self);
  self->stats.playlists_written++;
  GST_OBJECT_UNLOCK (self);
  return TRUE;
}

/* Delete files that have left the playlist (never before).  A segment
 * stays available for its duration plus that of the longest playlist that
 * listed it (RFC 8216 6.2.2) after it left, even beyond max-files.  @now:
 * running time of the newest media. */
static void
delete_old_files (GstArclyHlsSink * self, GstClockTime now)
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
    for (i = 0; i < e->part_paths->len; i++)
      delete_fragment (self, g_ptr_array_index (e->part_paths, i));
    g_ptr_array_set_size (e->part_paths, 0);
  }

  if (self->cfg.max_files == 0 || self->cfg.type != ARCLY_HLS_PLAYLIST_LIVE)
    return;
  for (l = self->files.head; l != NULL; l = l->next) {
    HlsFileEntry *e = l->data;

    if (e->msn < first_seg && !GST_CLOCK_TIME_IS_VALID (e->keep_until))
      e->keep_until = (GST_CLOCK_TIME_IS_VALID (now) ? now : 0) +
          2 * e->duration + (GstClockTime)
          (arcly_hls_playlist_get_duration (self->playlist) * GST_SECOND);
  }
  while (g_queue_get_length (&self->files) > self->cfg.max_files) {
    HlsFileEntry *e = g_queue_peek_head (&self->files);

    if (e->msn >= first_seg)
      break;                    /* still listed: keep it */
    if (GST_CLOCK_TIME_IS_VALID (now) && now < e->keep_until)
      break;                    /* left too recently; the next ones later */
    delete_fragment (self, e->path);
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
writer_append_buffers (ArclyHlsOutput * w, GstBuffer ** bufs,
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
    ok = arcly_hls_output_appendv (w, iov, k, error);
  while (k > 0) {
    k--;
    gst_memory_unmap (maps[k].memory, &maps[k]);
  }
  g_free (iov);
  g_free (maps);
  return ok;
}

/* Writes @bufs as the complete fragment @path (a part or an init
 * segment; a file is fsynced when @sync).  FALSE after posting an element
 * error. */
static gboolean
write_fragment (GstArclyHlsSink * self, const gchar * path,
    GstBuffer ** bufs, guint n_bufs, gboolean sync)
{
  ArclyHlsOutput *o = open_output (self,
      ARCLY_HLS_SIGNAL_GET_FRAGMENT_STREAM, path);
  GError *err = NULL;

  if (o == NULL)
    return FALSE;
  if (!writer_append_buffers (o, bufs, n_bufs, &err)) {
    arcly_hls_output_abort (o);
    post_write_error (self, err);
    return FALSE;
  }
  return commit_output (self, o, sync);
}

static gboolean
parts_enabled (GstArclyHlsSink * self)
{
  return self->cfg.part_duration > 0
      && self->cfg.type != ARCLY_HLS_PLAYLIST_VOD;
}

/* part-byteranges: the parts are byte ranges of their segment, which is
 * written under its own name as it grows (no file per part) */
static gboolean
parts_in_segment (GstArclyHlsSink * self)
{
  return parts_enabled (self) && self->cfg.part_byteranges;
}

/* The open part holds data: with part-byteranges, the segment grew past
 * the part's start; otherwise its buffers are kept for its file. */
static gboolean
part_has_data (GstArclyHlsSink * self)
{
  if (parts_in_segment (self))
    return self->seg_file != NULL
        && arcly_hls_output_get_size (self->seg_file) > self->part_offset;
  return self->part_bufs != NULL && self->part_bufs->len > 0;
}

/* The longest a part may be: its target, as written in the playlist
 * (milliseconds, rounded to nearest), so a live source's jitter of a few
 * microseconds does not cost a frame. */
static GstClockTime
part_max (GstArclyHlsSink * self)
{
  return (GstClockTime) self->cfg.part_duration * GST_MSECOND +
      GST_MSECOND / 2 - 1;
}

/* EXT-X-PRELOAD-HINT: the part that comes next, the segment's next one,
 * or with @last_in_segment the next segment's first. */
static void
set_preload_hint (GstArclyHlsSink * self, gboolean last_in_segment)
{
  gchar *seg = last_in_segment ? format_location (self->cfg.location,
      self->next_index) : NULL;
  gchar *path, *uri;

  if (parts_in_segment (self)) {
    /* the segment's bytes from where the next part starts */
    uri = make_uri (self, seg ? seg : self->seg_path);
    arcly_hls_playlist_set_preload_hint_range (self->playlist, uri,
        seg ? 0 : (gint64) self->part_offset);
  } else {
    path = seg ? part_path (seg, 0) :
        part_path (self->seg_path, self->part_index + 1);
    uri = make_uri (self, path);
    arcly_hls_playlist_set_preload_hint (self->playlist, uri);
    g_free (path);
  }
  g_free (uri);
  g_free (seg);
}

/* Writes the open part as a file and lists it; @last_in_segment: the
 * segment ends with it (the hint names the next segment's first part). */
static gboolean
close_part (GstArclyHlsSink * self, GstClockTime end,
    gboolean last_in_segment)
{
  gchar *path, *uri;
  GstClockTime dur;
  guint64 offset = 0, length = 0;
  GstStructure *msg;

  if (!part_has_data (self))
    return TRUE;
  /* a hole shorter than a gap: the next part takes the rest of it */
  if (end > self->part_start + part_max (self))
    end = self->part_start + part_max (self);

  /* a part holds data: never list it as lasting nothing (TS audio that
   * ends exactly where a segment is cut) */
  dur = end > self->part_start + GST_MSECOND ? end - self->part_start :
      GST_MSECOND;
  if (parts_in_segment (self)) {
    GError *err = NULL;

    /* its bytes are in the segment: readers must see them before it is
     * listed */
    if (!arcly_hls_output_flush (self->seg_file, &err)) {
      post_write_error (self, err);
      return FALSE;
    }
    offset = self->part_offset;
    length = arcly_hls_output_get_size (self->seg_file) - offset;
    self->part_offset += length;
    path = g_strdup (self->seg_path);
    uri = make_uri (self, path);
    arcly_hls_playlist_add_part_range (self->playlist, uri,
        (gdouble) dur / GST_SECOND, self->part_independent, (gint64) offset,
        length);
  } else {
    path = part_path (self->seg_path, self->part_index);
    if (!write_fragment (self, path, (GstBuffer **) self->part_bufs->pdata,
            self->part_bufs->len, sync_wanted (self, FALSE))) {
      g_free (path);
      return FALSE;
    }
    uri = make_uri (self, path);
    arcly_hls_playlist_add_part (self->playlist, uri,
        (gdouble) dur / GST_SECOND, self->part_independent);
    g_ptr_array_add (self->seg_entry->part_paths, g_strdup (path));
  }
  g_ptr_array_set_size (self->part_bufs, 0);
  set_preload_hint (self, last_in_segment);

  GST_DEBUG_OBJECT (self, "part %s: %" GST_TIME_FORMAT, path,
      GST_TIME_ARGS (dur));
  if (!write_playlist (self)) {
    g_free (path);
    g_free (uri);
    return FALSE;
  }
  GST_OBJECT_LOCK (self);
  self->stats.parts_written++;
  GST_OBJECT_UNLOCK (self);
  stats_listed (self, self->part_start);
  msg = gst_structure_new ("arcly-hls-part",
      "location", G_TYPE_STRING, path,
      "uri", G_TYPE_STRING, uri,
      "duration", G_TYPE_UINT64, (guint64) dur,
      "running-time", G_TYPE_UINT64, (guint64) self->part_start,
      "sequence", G_TYPE_UINT64, self->seg_msn,
      "part", G_TYPE_UINT, self->part_index,
      "independent", G_TYPE_BOOLEAN, self->part_independent, NULL);
  if (parts_in_segment (self))
    gst_structure_set (msg, "byterange-offset", G_TYPE_UINT64, offset,
        "byterange-length", G_TYPE_UINT64, length, NULL);
  post_message (self, msg);
  self->part_index++;
  self->part_start = end;
  g_free (path);
  g_free (uri);
  return TRUE;
}


static gboolean
close_segment (GstArclyHlsSink * self, GstClockTime end)
{
  GstClockTime dur;
  gboolean ok;
  gchar *uri;
  guint64 size;

  if (self->seg_file == NULL)
    return TRUE;
  if (parts_enabled (self)) {
    /* parts add up to their segment: it ends where its last part does */
    if (part_has_data (self))
      end = MIN (end, self->part_start + part_max (self));
    else if (self->part_index > 0)
      end = self->part_start;
    if (!close_part (self, end, TRUE))
      return FALSE;
  }
  size = arcly_hls_output_get_size (self->seg_file);
  ok = commit_output (self, self->seg_file, sync_wanted (self, TRUE));
  self->seg_file = NULL;
  if (!ok)
    return FALSE;
  dur = end > self->seg_start ? end - self->seg_start : 0;
  uri = make_uri (self, self->seg_path);
  arcly_hls_playlist_end_segment (self->playlist, uri,
      (gdouble) dur / GST_SECOND);
  self->seg_entry->duration = dur;
  g_queue_push_tail (&self->files, self->seg_entry);
  self->seg_entry = NULL;

  if (parts_enabled (self))
    set_preload_hint (self, TRUE);

  GST_INFO_OBJECT (self, "segment %s: %" GST_TIME_FORMAT, self->seg_path,
      GST_TIME_ARGS (dur));
  if (self->cfg.type != ARCLY_HLS_PLAYLIST_VOD && !write_playlist (self)) {
    g_free (uri);
    return FALSE;
  }
  GST_OBJECT_LOCK (self);
  self->stats.segments_written++;
  self->stats.bytes_written += size;
  self->stats.last_segment_duration = dur;
  GST_OBJECT_UNLOCK (self);
  if (!parts_enabled (self))    /* with parts, the newest part counts */
    stats_listed (self, self->seg_start);
  post_message (self, gst_structure_new ("arcly-hls-segment",
          "location", G_TYPE_STRING, self->seg_path,
          "uri", G_TYPE_STRING, uri,
          "duration", G_TYPE_UINT64, (guint64) dur,
          "running-time", G_TYPE_UINT64, (guint64) self->seg_start,
          "sequence", G_TYPE_UINT64, self->seg_msn,
          "discontinuity", G_TYPE_BOOLEAN, self->seg_discont, NULL));
  g_free (uri);
  delete_old_files (self, end);
  return TRUE;
}

static void
abort_segment (GstArclyHlsSink * self)
{
  arcly_hls_output_abort (self->seg_file);
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

  g_free (self->seg_path);
  self->seg_path = format_location (self->cfg.location, self->next_index);
  self->next_index++;
  self->seg_file = open_output_full (self,
      ARCLY_HLS_SIGNAL_GET_FRAGMENT_STREAM, self->seg_path,
      parts_in_segment (self));
  if (self->seg_file == NULL)
    return FALSE;
  self->seg_start = start;
  self->seg_discont = discont;
  if (discont) {
    GST_OBJECT_LOCK (self);
    self->disc_seg_rt = start;
    GST_OBJECT_UNLOCK (self);
  }
  self->seg_has_pat = FALSE;
  self->seg_msn = arcly_hls_playlist_begin_segment (self->playlist, discont,
      self->cfg.format == ARCLY_HLS_FORMAT_FMP4 ? self->init_uri : NULL,
      program_date_time (self, start));
  self->seg_entry = g_new0 (HlsFileEntry, 1);
  self->seg_entry->msn = self->seg_msn;
  self->seg_entry->path = g_strdup (self->seg_path);
  self->seg_entry->part_paths = g_ptr_array_new_with_free_func (g_free);
  self->seg_entry->keep_until = GST_CLOCK_TIME_NONE;
  self->part_index = 0;
  self->part_start = start;
  self->part_offset = 0;
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
  gboolean ok;

  self->init_index++;
  ok = write_fragment (self, path, bufs, n_bufs, sync_wanted (self, TRUE));
  if (!ok) {
    g_free (path);
    return FALSE;
  }
  GST_OBJECT_LOCK (self);
  self->stats.inits_written++;
  GST_OBJECT_UNLOCK (self);
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
  /* kept for the part's own file (part-byteranges: none) */
  if (parts_enabled (self) && !parts_in_segment (self))
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
void
arcly_hls_writer_mark_discont (GstArclyHlsSink * self, GstClockTime rt)
{
  GST_OBJECT_LOCK (self);
  if (!GST_CLOCK_TIME_IS_VALID (self->discont_rt) || rt < self->discont_rt)
    self->discont_rt = rt;
  GST_OBJECT_UNLOCK (self);
}

void
arcly_hls_writer_mark_gap (GstArclyHlsSink * self, GstClockTime before,
    GstClockTime rt, gboolean caps_change)
{
  GstClockTime disc;

  GST_OBJECT_LOCK (self);
  /* A camera that drops and comes back comes back on every input, but a
   * live muxer goes on with the first one back once its latency passed:
   * the writer may have started the discontinuity before the audio's
   * first buffer after the gap comes in here.  That gap began before the
   * discontinuity, which already separates the media on both sides of
   * it; a second one would cut the new segment short and skip a GOP. */
  disc = self->disc_seg_rt;
  if (!caps_change && GST_CLOCK_TIME_IS_VALID (before)
      && GST_CLOCK_TIME_IS_VALID (disc) && before <= disc + CUT_TOLERANCE) {
    GST_OBJECT_UNLOCK (self);
    GST_DEBUG_OBJECT (self, "gap from %" GST_TIME_FORMAT " to %"
        GST_TIME_FORMAT " is the discontinuity's at %" GST_TIME_FORMAT,
        GST_TIME_ARGS (before), GST_TIME_ARGS (rt), GST_TIME_ARGS (disc));
    return;
  }
  if (!GST_CLOCK_TIME_IS_VALID (self->discont_rt) || rt < self->discont_rt)
    self->discont_rt = rt;
  if (GST_CLOCK_TIME_IS_VALID (before) && before <= rt
      && (!GST_CLOCK_TIME_IS_VALID (self->gap_start_rt)
          || before < self->gap_start_rt))
    self->gap_start_rt = before;
  GST_OBJECT_UNLOCK (self);
}

/* A segment starts at @rt: every gap up to it is accounted for. */
static void
clear_discont (GstArclyHlsSink * self, GstClockTime rt)
{
  GST_OBJECT_LOCK (self);
  if (GST_CLOCK_TIME_IS_VALID (self->discont_rt)
      && self->discont_rt <= rt + CUT_TOLERANCE) {
    self->discont_rt = GST_CLOCK_TIME_NONE;
    self->gap_start_rt = GST_CLOCK_TIME_NONE;
  }
  GST_OBJECT_UNLOCK (self);
}

/* Is the unit at @rt the first after a gap: a DISCONT or caps change
 * upstream (discont_rt), or a hole in the timestamps?  Then the open
 * segment ends with the media before it.  @end: the unit's end, cut back
 * to the end of the media before the gap when the unit spans it (the fMP4
 * muxer makes the last sample before a gap last until the first after
 * it). */
static gboolean
unit_after_gap (GstArclyHlsSink * self, GstClockTime rt, GstClockTime * end)
{
  GstClockTime drt, gap_start, hole;

  GST_OBJECT_LOCK (self);
  drt = self->discont_rt;
  gap_start = self->gap_start_rt;
  hole = self->gap_hole;
  GST_OBJECT_UNLOCK (self);

  if (GST_CLOCK_TIME_IS_VALID (gap_start) && rt < gap_start
      && GST_CLOCK_TIME_IS_VALID (*end) && *end > gap_start)
    *end = gap_start;
  if (self->seg_file == NULL)
    return FALSE;
  if (GST_CLOCK_TIME_IS_VALID (drt) && rt + CUT_TOLERANCE >= drt)
    return TRUE;
  return GST_CLOCK_TIME_IS_VALID (self->last_end)
      && rt > self->last_end + hole;
}

/* Before the unit at @rt (ending at @end, a keyframe if @key): closes
 * the open part if the unit starts a new one.  Units (TS access units,
 * fMP4 chunks) are grouped into a part; it is closed before this unit if
 * the unit would take it past the target (only the units that lead
 * decide that: TS audio units lag the video ones and last longer), or if
 * the unit is a keyframe: every keyframe starts a part (INDEPENDENT), so
 * a player joining the stream can start at the newest one instead of
 * waiting up to a GOP.  The part it closes may be shorter than 85 % of
 * the target; see the element documentation. */
static gboolean
start_part (GstArclyHlsSink * self, GstClockTime rt, GstClockTime end,
    gboolean key)
{
  gboolean leading;

  if (!key)
    self->saw_delta = TRUE;
  leading = !GST_CLOCK_TIME_IS_VALID (self->lead_rt)
      || rt + CUT_TOLERANCE >= self->lead_rt;
  if (!GST_CLOCK_TIME_IS_VALID (self->lead_rt) || rt > self->lead_rt)
    self->lead_rt = rt;
  if (!parts_enabled (self))
    return TRUE;
  if (part_has_data (self)) {
    GstClockTime unit = GST_CLOCK_TIME_IS_VALID (end) ? end - rt : 0;

    if (((leading && rt + unit > self->part_start + part_max (self))
            || (key && self->saw_delta))
        && !close_part (self, MAX (rt, self->part_start), FALSE))
      return FALSE;
  }
  /* A part starts where the previous one ended (the segment's start for
   * the first): parts add up to their segment even when TS units of the
   * two streams interleave. */
  if (!part_has_data (self))
    self->part_independent = key || self->audio_only;
  return TRUE;
}

/* After a unit that ended at @end was written: what is complete now. */
static gboolean
unit_done (GstArclyHlsSink * self, GstClockTime end)
{
  GstClockTime target = self->cfg.target_duration * GST_SECOND;
  gboolean seg_full = GST_CLOCK_TIME_IS_VALID (end)
      && end + CUT_TOLERANCE >= self->seg_start + target;

  if (self->cfg.format != ARCLY_HLS_FORMAT_FMP4)
    return TRUE;
  if (!parts_enabled (self)) {
    /* fMP4 without chunks: every unit is a whole fragment (a GOP), so the
     * next one starts a new fragment.  Once the target is reached, the
     * segment is complete now: list it without waiting a GOP for the next
     * fragment. */
    return !seg_full || close_segment (self, end);
  }
  /* fMP4: chunks come in time order, so a part that reached its target is
   * complete now and listed right away, with a true preload hint: the
   * segment's next part, unless the segment reached its target too and
   * the next unit may be the keyframe that ends it.  Then the part is
   * closed by the next unit, once it is known which part comes next (at
   * most a frame later); audio only, every unit ends a segment that is
   * long enough, so it ends here.  (TS: the two streams' units interleave
   * (audio may still come for the time the part covers); the part is
   * closed before the first unit that does not fit.) */
  if (!GST_CLOCK_TIME_IS_VALID (end) || end + CUT_TOLERANCE <
      self->part_start + (GstClockTime) self->cfg.part_duration * GST_MSECOND)
    return TRUE;
  if (seg_full)
    return !self->audio_only || close_segment (self, end);
  return close_part (self, end, FALSE);
}

/* One unit: @buf alone, or the buffer list @list whose first buffer is
 * @buf (its flags and timing are the unit's). */
static GstFlowReturn
gst_arcly_hls_sink_render (GstArclyHlsSink * self, GstBuffer * buf,
    GstBufferList * list)
{
  GstClockTime ts, rt, end = GST_CLOCK_TIME_NONE;
  gboolean key = !GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
  gboolean discont = FALSE;
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
    arcly_hls_writer_mark_discont (self, rt);

  if (unit_after_gap (self, rt, &end)) {
    /* The segment (and its last part) ends with the media before the gap,
     * never at this unit: nothing may last across a gap (a part would
     * exceed its target, a segment its duration).  The next segment
     * starts with a keyframe, as after a flush. */
    GstClockTime before = GST_CLOCK_TIME_IS_VALID (self->last_end) ?
        self->last_end : rt;

    GST_INFO_OBJECT (self, "gap before %" GST_TIME_FORMAT ": segment ends "
        "at %" GST_TIME_FORMAT, GST_TIME_ARGS (rt), GST_TIME_ARGS (before));
    arcly_hls_writer_mark_discont (self, rt);
    if (!close_segment (self, before))
      return GST_FLOW_ERROR;
    self->started = FALSE;
  }

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

  if (!start_part (self, rt, end, key))
    return GST_FLOW_ERROR;

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

  if (!unit_done (self, end))
    return GST_FLOW_ERROR;
  return GST_FLOW_OK;
}

/* EOS: complete the open segment, write the final playlist. */
static gboolean
gst_arcly_hls_sink_finish (GstArclyHlsSink * self)
{
  gboolean ok;

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
  self->writing_final = TRUE;   /* the playlist that ends it: a segment's */
  ok = write_playlist (self);
  self->writing_final = FALSE;
  return ok;
}

static void
gst_arcly_hls_sink_flush (GstArclyHlsSink * self)
{
  GST_DEBUG_OBJECT (self, "flush: dropping the open segment");
  abort_segment (self);
  self->last_end = GST_CLOCK_TIME_NONE;
  self->lead_rt = GST_CLOCK_TIME_NONE;
  self->started = FALSE;
  arcly_hls_writer_mark_discont (self, 0);
}

void
arcly_hls_writer_reset (GstArclyHlsSink * self)
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
  self->gap_start_rt = GST_CLOCK_TIME_NONE;
  self->disc_seg_rt = GST_CLOCK_TIME_NONE;
  GST_OBJECT_UNLOCK (self);
  gst_segment_init (&self->segment, GST_FORMAT_TIME);
}

/* A regular expression for the file names @pattern (a location pattern,
 * basename only) expands to; with @parts also their part files
 * ("name.ext" -> "name.N.ext", see part_path()). */
static void
append_name_regex (GString * re, const gchar * pattern, gboolean parts)
{
  gchar *base = g_path_get_basename (pattern);
  const gchar *dot = parts ? strrchr (base, '.') : NULL;
  const gchar *p;

  if (re->len > 0)
    g_string_append_c (re, '|');
  for (p = base; *p != '\0'; p++) {
    if (p == dot)
      g_string_append (re, "(\\.[0-9]+)?");
    if (*p == '%' && p[1] == '%') {
      g_string_append_c (re, '%');
      p++;
    } else if (*p == '%') {
      /* the one integer directive (validated): %d, %05d, %5lu ... */
      while (p[1] != '\0' && !g_ascii_isalpha (p[1]))
        p++;
      while (p[1] == 'l' || p[1] == 'h')
        p++;
      if (p[1] != '\0')
        p++;
      g_string_append (re, " *[0-9]+");
    } else {
      gchar *lit = g_regex_escape_string (p, 1);

      g_string_append (re, lit);
      g_free (lit);
    }
  }
  if (parts && dot == NULL)
    g_string_append (re, "(\\.[0-9]+)?");
  g_free (base);
}

/* Removes the temporary files a killed run of this sink left in @dir
 * (".NAME.tmp-XXXXXX", hlsfile.c) whose NAME is one of ours (@re). */
static void
remove_stale_in (GstArclyHlsSink * self, const gchar * dir, GRegex * re)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *name;

  if (d == NULL)
    return;                     /* a missing folder is reported on write */
  while ((name = g_dir_read_name (d)) != NULL) {
    gchar *path;

    if (name[0] != '.' || !g_regex_match (re, name, 0, NULL))
      continue;
    path = g_build_filename (dir, name, NULL);
    if (g_unlink (path) == 0)
      GST_INFO_OBJECT (self, "removed %s, left by a run that was killed",
          path);
    else
      GST_WARNING_OBJECT (self, "could not remove %s: %s", path,
          g_strerror (errno));
    g_free (path);
  }
  g_dir_close (d);
}

/* A process killed while writing (even SIGKILL) leaves the temporary file
 * of each file it had open; the next start removes those of its own files
 * (segments, parts, init segments, the playlist), nothing else. */
static void
remove_stale_temporaries (GstArclyHlsSink * self)
{
  GString *names = g_string_new (NULL);
  const gchar *locs[3];
  gchar *pattern;
  GRegex *re;
  guint i, j;

  append_name_regex (names, self->cfg.location, TRUE);
  append_name_regex (names, self->cfg.playlist_location, FALSE);
  locs[0] = self->cfg.location;
  locs[1] = self->cfg.playlist_location;
  locs[2] = NULL;
  if (self->cfg.format == ARCLY_HLS_FORMAT_FMP4) {
    append_name_regex (names, self->cfg.init_location, FALSE);
    locs[2] = self->cfg.init_location;
  }
  pattern = g_strdup_printf ("^\\.(%s)\\.tmp-[A-Za-z0-9]{6}$", names->str);
  re = g_regex_new (pattern, G_REGEX_DOLLAR_ENDONLY, 0, NULL);
  g_string_free (names, TRUE);
  g_free (pattern);
  if (re == NULL)
    return;
  for (i = 0; i < G_N_ELEMENTS (locs); i++) {
    gchar *dir;
    gboolean seen = FALSE;

    if (locs[i] == NULL)
      continue;
    dir = g_path_get_dirname (locs[i]);
    for (j = 0; j < i; j++) {
      gchar *other = locs[j] ? g_path_get_dirname (locs[j]) : NULL;

      seen |= g_strcmp0 (other, dir) == 0;
      g_free (other);
    }
    if (!seen)
      remove_stale_in (self, dir, re);
    g_free (dir);
  }
  g_regex_unref (re);
}

gboolean
arcly_hls_writer_start (GstArclyHlsSink * self)
{
  ArclyHlsPlaylistConfig pc = { 0, };
  gchar *probe;

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
  if (self->cfg.init_location == NULL) {
    /* the init segment lives next to the segments */
    gchar *dir = g_path_get_dirname (self->cfg.location);

    self->cfg.init_location = g_str_equal (dir, ".") ?
        g_strdup ("init%d.mp4") : g_build_filename (dir, "init%d.mp4", NULL);
    g_free (dir);
  }
  probe = format_location (self->cfg.init_location, 0);
  if (probe == NULL && self->cfg.format == ARCLY_HLS_FORMAT_FMP4) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Invalid init-location pattern \"%s\".", self->cfg.init_location),
        ("it needs exactly one integer directive such as %%d"));
    return FALSE;
  }
  g_free (probe);

  arcly_hls_writer_reset (self);
  remove_stale_temporaries (self);
  pc.type = self->cfg.type;
  pc.window = self->cfg.playlist_length;
  pc.target_duration = self->cfg.target_duration;
  pc.part_target = parts_enabled (self) ?
      self->cfg.part_duration / 1000.0 : 0.0;
  pc.blocking_reload = self->cfg.blocking_reload;
  pc.independent_segments = TRUE;
  self->playlist = arcly_hls_playlist_new (&pc);
  GST_OBJECT_LOCK (self);
  self->gap_hole = GAP_MAX_HOLE;
  if (parts_enabled (self))
    self->gap_hole = MIN (GAP_MAX_HOLE,
        (GstClockTime) self->cfg.part_duration * GST_MSECOND);
  GST_OBJECT_UNLOCK (self);
  self->part_bufs = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
  return TRUE;
}
