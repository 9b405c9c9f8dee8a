/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:element-arclyhlssink
 * @title: arclyhlssink
 *
 * HTTP Live Streaming sink: H.264 or H.265 and/or AAC in, a folder of
 * MPEG-TS or fragmented-MP4 (CMAF) segments and an RFC 8216 media playlist
 * out, with Low-Latency HLS partial segments (8216bis) when `part-duration`
 * is set, and optionally a multivariant playlist naming it with its CODECS
 * (`multivariant-playlist-location`, hlsvariant.c).
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
 * even if the process is killed.  An application can take the bytes itself
 * instead (hlssink2's get-playlist-stream, get-fragment-stream and
 * delete-fragment signals; hlsoutput.c puts files and its streams behind
 * one interface).  The bin (properties, pads, muxer, state)
 * is this file; the writer (the private sink) is hlssinkwriter.c.
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
 * Locking: self->lock guards the properties and the muxer pointer, and is
 * never held while a child is created, added, linked or configured; the
 * writing state (Segment, parts, playlist) belongs to the internal sink's
 * streaming thread, and state changes touch it only while that thread is
 * stopped.  discont_rt, gap_start_rt, disc_seg_rt and gap_hole are
 * guarded by the object lock (set and read from upstream threads), and so
 * are the "stats" counters (set by the writer thread); each sink pad's HlsPadTrack belongs
 * to that pad's streaming thread.  Order: self->lock before the object lock.
 * The signals are emitted from the internal sink's streaming thread with
 * no lock held.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "gstarclyhlselements.h"
#include "hlssinkwriter.h"

GST_DEBUG_CATEGORY (arcly_hls_sink_debug);
GST_DEBUG_CATEGORY (arcly_hls_sink_dataflow);
#define GST_CAT_DEFAULT arcly_hls_sink_debug

#define DEFAULT_PROP_LOCATION NULL      /* segment%05d.ts or .m4s */
#define DEFAULT_PROP_INIT_LOCATION NULL /* init%d.mp4 next to location */
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
#define DEFAULT_PROP_SYNC_MODE ARCLY_HLS_SYNC_SEGMENTS
#define DEFAULT_PROP_INPUT_THREAD FALSE
#define DEFAULT_PROP_PART_BYTERANGES FALSE
#define DEFAULT_PROP_MULTIVARIANT_PLAYLIST_LOCATION NULL

#define MAX_TARGET_DURATION 3600
#define MAX_PART_DURATION_MS 10000

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
  PROP_STATS,
  PROP_SYNC_MODE,
  PROP_MULTIVARIANT_PLAYLIST_LOCATION,
  PROP_INPUT_THREAD,
  PROP_PART_BYTERANGES,
};

static void configure_muxer (GstElement * mux, const HlsSettings * cfg);

guint arcly_hls_sink_signals[ARCLY_HLS_SIGNAL_LAST];

/* ---- the bin ------------------------------------------------------------ */

G_DEFINE_TYPE (GstArclyHlsSink, gst_arcly_hls_sink, GST_TYPE_BIN);
GST_ELEMENT_REGISTER_DEFINE (arclyhlssink, "arclyhlssink", GST_RANK_NONE,
    GST_TYPE_ARCLY_HLS_SINK);

static GstStaticPadTemplate video_template =
GST_STATIC_PAD_TEMPLATE ("video", GST_PAD_SINK, GST_PAD_REQUEST,
    GST_STATIC_CAPS ("video/x-h264, stream-format = (string) { byte-stream, "
        "avc }, alignment = (string) au; "
        "video/x-h265, stream-format = (string) byte-stream, "
        "alignment = (string) au"));

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

#define GST_TYPE_ARCLY_HLS_SYNC_MODE (arcly_hls_sync_mode_get_type ())
static GType
arcly_hls_sync_mode_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {ARCLY_HLS_SYNC_NONE, "Never fsync (files are still renamed into place "
          "whole)", "none"},
    {ARCLY_HLS_SYNC_SEGMENTS, "fsync segments, init segments and the final "
          "playlist", "segments"},
    {ARCLY_HLS_SYNC_ALL, "fsync every file, parts and playlist rewrites "
          "included", "all"},
    {0, NULL, NULL}
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstArclyHlsSyncMode", values);
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

/* READY -> PAUSED: the settings of this run, the muxer configured for
 * them (outside the lock: setting a muxer property posts a LATENCY
 * message, whose handler may read our properties). */
static gboolean
start_streaming (GstArclyHlsSink * self)
{
  GstElement *mux;

  g_mutex_lock (&self->lock);
  settings_copy (&self->cfg, &self->prop);
  self->cfg.format = self->mux_format;
  self->audio_only = self->video_pad == NULL && self->audio_pad != NULL;
  mux = self->mux ? gst_object_ref (self->mux) : NULL;
  arcly_hls_variant_start (self);
  g_mutex_unlock (&self->lock);
  if (mux != NULL) {
    configure_muxer (mux, &self->cfg);
    gst_object_unref (mux);
  }
  GST_OBJECT_LOCK (self);
  memset (&self->stats, 0, sizeof (self->stats));
  GST_OBJECT_UNLOCK (self);
  return arcly_hls_writer_start (self);
}

/* ---- muxer and pads ----------------------------------------------------- */

/* What the probe of a sink pad remembers about its stream (upstream
 * thread of that pad only).  Plain fields, not object data: the probe
 * runs for every buffer, and g_object_get_data() is a quark lookup. */
typedef struct {
  GstArclyHlsSink *sink;        /* not a reference: the pad is its child */
  GstClockTime last_rt;         /* running time of the last buffer */
  GstClockTime last_end;        /* where the media so far ended */
  GstClockTime last_dur;        /* the last buffer's duration (or step) */
  gboolean seen;                /* a buffer since the stream (re)started */
  gboolean caps_changed;        /* caps changed since the last buffer */
} HlsPadTrack;

static void
pad_track_reset (HlsPadTrack * track)
{
  track->last_rt = track->last_end = GST_CLOCK_TIME_NONE;
  track->last_dur = GST_CLOCK_TIME_NONE;
}

/* Running time of @buf on @pad (by DTS: monotonic), NONE if unknown. */
static GstClockTime
buffer_running_time (GstPad * pad, GstBuffer * buf)
{
  GstEvent *sev = gst_pad_get_sticky_event (pad, GST_EVENT_SEGMENT, 0);
  GstClockTime rt = GST_CLOCK_TIME_NONE;

  if (sev != NULL) {
    const GstSegment *seg;

    gst_event_parse_segment (sev, &seg);
    if (seg->format == GST_FORMAT_TIME)
      rt = gst_segment_to_running_time (seg, GST_FORMAT_TIME,
          GST_BUFFER_DTS_OR_PTS (buf));
    gst_event_unref (sev);
  }
  return rt;
}

/* Follows @buf at @rt; returns whether it comes after a hole in the
 * timestamps longer than the sink's gap and three frames. */
static gboolean
pad_track_update (GstArclyHlsSink * self, HlsPadTrack * track,
    GstBuffer * buf, GstClockTime rt, gboolean seen)
{
  GstClockTime hole, dur = GST_BUFFER_DURATION (buf), end;
  gboolean jump;

  if (!GST_CLOCK_TIME_IS_VALID (rt))
    return FALSE;
  GST_OBJECT_LOCK (self);
  hole = self->gap_hole;
  GST_OBJECT_UNLOCK (self);
  if (GST_CLOCK_TIME_IS_VALID (track->last_dur))
    hole = MAX (hole, 3 * track->last_dur);
  jump = seen && GST_CLOCK_TIME_IS_VALID (track->last_end)
      && rt > track->last_end + hole;

  if (!GST_CLOCK_TIME_IS_VALID (dur) || dur == 0) {
    /* the step between buffers stands in for a missing duration */
    if (!jump && GST_CLOCK_TIME_IS_VALID (track->last_rt)
        && rt > track->last_rt)
      track->last_dur = rt - track->last_rt;
    dur = GST_CLOCK_TIME_IS_VALID (track->last_dur) ? track->last_dur : 0;
  } else {
    track->last_dur = dur;
  }
  end = rt + dur;
  track->last_rt = rt;
  if (!GST_CLOCK_TIME_IS_VALID (track->last_end) || jump
      || end > track->last_end)
    track->last_end = end;
  return jump;
}

static GstPadProbeReturn
sink_pad_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  HlsPadTrack *track = user_data;
  GstArclyHlsSink *self = track->sink;

  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
    gboolean seen = track->seen;
    GstClockTime rt = buffer_running_time (pad, buf);
    GstClockTime before = track->last_end;
    gboolean jump = pad_track_update (self, track, buf, rt, seen);
    gboolean caps_change = track->caps_changed;

    /* The first buffer of a stream is always DISCONT: not a gap.  Later
     * ones (a reconnecting source, a dropped GOP), a jump in the
     * timestamps (a camera that dropped and came back, lost frames), and
     * the first buffer after a caps change end the segment with the media
     * before them and start a discontinuity at the next one. */
    if ((GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DISCONT) && seen)
        || jump || caps_change) {
      GST_DEBUG_OBJECT (self, "discontinuity on %s at %" GST_TIME_FORMAT
          ", the media before it ended at %" GST_TIME_FORMAT,
          GST_PAD_NAME (pad), GST_TIME_ARGS (rt), GST_TIME_ARGS (before));
      arcly_hls_writer_mark_gap (self, before,
          GST_CLOCK_TIME_IS_VALID (rt) ? rt : 0, caps_change);
      track->caps_changed = FALSE;
    }
    track->seen = TRUE;
  } else if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent *ev = GST_PAD_PROBE_INFO_EVENT (info);

    if (GST_EVENT_TYPE (ev) == GST_EVENT_CAPS) {
      GstCaps *caps, *old = gst_pad_get_current_caps (pad);

      gst_event_parse_caps (ev, &caps);
      if (old != NULL && !gst_caps_is_equal (old, caps)
          && track->seen) {
        GST_DEBUG_OBJECT (self, "caps change on %s", GST_PAD_NAME (pad));
        track->caps_changed = TRUE;
      }
      if (old != NULL)
        gst_caps_unref (old);
    } else if (GST_EVENT_TYPE (ev) == GST_EVENT_FLUSH_STOP
        || GST_EVENT_TYPE (ev) == GST_EVENT_STREAM_START) {
      track->seen = FALSE;
      pad_track_reset (track);
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
 * (the muxer's contract, see the class doc).  Without self->lock. */
static void
configure_muxer (GstElement * mux, const HlsSettings * cfg)
{
  GParamSpec *ps;
  guint64 chunk = 0;

  if (cfg->format != ARCLY_HLS_FORMAT_FMP4)
    return;
  ps = g_object_class_find_property (G_OBJECT_GET_CLASS (mux),
      "fragment-duration");
  if (ps != NULL && G_PARAM_SPEC_VALUE_TYPE (ps) == G_TYPE_UINT64)
    g_object_set (mux, "fragment-duration",
        (guint64) cfg->target_duration * GST_SECOND, NULL);
  ps = g_object_class_find_property (G_OBJECT_GET_CLASS (mux),
      "chunk-duration");
  if (cfg->part_duration > 0 && cfg->type != ARCLY_HLS_PLAYLIST_VOD)
    chunk = (guint64) cfg->part_duration * GST_MSECOND / CHUNKS_PER_PART;
  if (ps != NULL && G_PARAM_SPEC_VALUE_TYPE (ps) == G_TYPE_UINT64)
    g_object_set (mux, "chunk-duration", chunk, NULL);
  ps = g_object_class_find_property (G_OBJECT_GET_CLASS (mux),
      "input-thread");
  if (ps != NULL && G_PARAM_SPEC_VALUE_TYPE (ps) == G_TYPE_BOOLEAN)
    g_object_set (mux, "input-thread", cfg->input_thread, NULL);
}

/* Creates the muxer once and returns a reference to it (NULL after posting
 * an error).  Without self->lock: the muxer is created, added and linked
 * outside it (gst_bin_add emits deep-element-added, whose handlers may
 * read our properties); the lock is taken only to publish the pointer.  If
 * two threads race, the one that publishes second removes its muxer. */
static GstElement *
ensure_muxer (GstArclyHlsSink * self)
{
  ArclyHlsSegmentFormat format;
  GstElement *mux;

  g_mutex_lock (&self->lock);
  mux = self->mux ? gst_object_ref (self->mux) : NULL;
  format = self->prop.format;
  g_mutex_unlock (&self->lock);
  if (mux != NULL)
    return mux;

  mux = gst_element_factory_make (mux_factory_name (format), NULL);
  if (mux == NULL) {
    GST_ELEMENT_ERROR (self, CORE, MISSING_PLUGIN,
        ("Missing element \"%s\" for segment-format %s.",
            mux_factory_name (format), format == ARCLY_HLS_FORMAT_FMP4 ?
            "fmp4" : "mpegts"), ("is the arclyhls plugin complete?"));
    return NULL;
  }
  gst_object_ref_sink (mux);
  if (!gst_bin_add (GST_BIN (self), mux)) {
    gst_object_unref (mux);
    return NULL;
  }
  if (!gst_element_link (mux, self->writer))
    GST_WARNING_OBJECT (self, "could not link %s to the writer",
        GST_ELEMENT_NAME (mux));

  g_mutex_lock (&self->lock);
  if (self->mux == NULL) {
    /* a reference of our own: the bin drops its own when it is disposed,
     * before the request pads are released */
    self->mux = gst_object_ref (mux);
    self->mux_format = format;
    g_mutex_unlock (&self->lock);
    return mux;                 /* ours */
  }
  g_mutex_unlock (&self->lock);
  gst_element_set_state (mux, GST_STATE_NULL);
  gst_bin_remove (GST_BIN (self), mux);
  gst_object_unref (mux);
  return ensure_muxer (self);
}

static GstPad *
gst_arcly_hls_sink_request_new_pad (GstElement * element,
    GstPadTemplate * templ, const gchar * name, const GstCaps * caps)
{
  GstArclyHlsSink *self = GST_ARCLY_HLS_SINK (element);
  gboolean video = g_str_equal (GST_PAD_TEMPLATE_NAME_TEMPLATE (templ),
      "video");
  GstPad *muxpad, *ghost, **slot = video ? &self->video_pad :
      &self->audio_pad;
  GstElement *mux;
  gboolean taken;

  g_mutex_lock (&self->lock);
  taken = *slot != NULL;
  g_mutex_unlock (&self->lock);
  if (taken) {
    GST_WARNING_OBJECT (self, "only one %s pad", video ? "video" : "audio");
    return NULL;
  }
  mux = ensure_muxer (self);
  if (mux == NULL)
    return NULL;
  muxpad = gst_element_request_pad_simple (mux,
      video ? "video_%u" : "audio_%u");
  if (muxpad == NULL) {
    GST_WARNING_OBJECT (self, "muxer refused a %s pad",
        video ? "video" : "audio");
    gst_object_unref (mux);
    return NULL;
  }
  ghost = gst_ghost_pad_new_from_template (video ? "video" : "audio", muxpad,
      templ);
  {
    HlsPadTrack *track = g_new0 (HlsPadTrack, 1);

    track->sink = self;
    pad_track_reset (track);
    /* freed with the probe, which goes with the pad */
    gst_pad_add_probe (ghost, GST_PAD_PROBE_TYPE_BUFFER |
        GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, sink_pad_probe, track, g_free);
  }
  arcly_hls_variant_watch_pad (self, ghost, video);

  g_mutex_lock (&self->lock);
  taken = *slot != NULL;
  if (!taken)
    *slot = ghost;
  g_mutex_unlock (&self->lock);
  if (taken) {
    /* another thread asked for the same pad meanwhile */
    GST_WARNING_OBJECT (self, "only one %s pad", video ? "video" : "audio");
    gst_element_release_request_pad (mux, muxpad);
    gst_object_unref (muxpad);
    gst_object_unref (ghost);
    gst_object_unref (mux);
    return NULL;
  }
  gst_object_unref (muxpad);
  gst_object_unref (mux);

  gst_pad_set_active (ghost, TRUE);
  gst_element_add_pad (element, ghost);
  return ghost;
}

static void
gst_arcly_hls_sink_release_pad (GstElement * element, GstPad * pad)
{
  GstArclyHlsSink *self = GST_ARCLY_HLS_SINK (element);
  GstPad *target = gst_ghost_pad_get_target (GST_GHOST_PAD (pad));
  GstElement *mux;

  g_mutex_lock (&self->lock);
  if (pad == self->video_pad)
    self->video_pad = NULL;
  else if (pad == self->audio_pad)
    self->audio_pad = NULL;
  mux = self->mux ? gst_object_ref (self->mux) : NULL;
  g_mutex_unlock (&self->lock);

  gst_ghost_pad_set_target (GST_GHOST_PAD (pad), NULL);
  if (target != NULL) {
    if (mux != NULL)
      gst_element_release_request_pad (mux, target);
    gst_object_unref (target);
  }
  if (mux != NULL)
    gst_object_unref (mux);
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
      GstElement *mux = ensure_muxer (self);

      if (mux == NULL)
        return GST_STATE_CHANGE_FAILURE;
      gst_object_unref (mux);
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
      arcly_hls_writer_reset (self);
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
    case PROP_SYNC_MODE:
      self->prop.sync_mode = g_value_get_enum (value);
      break;
    case PROP_PART_BYTERANGES:
      self->prop.part_byteranges = g_value_get_boolean (value);
      break;
    case PROP_INPUT_THREAD:
      self->prop.input_thread = g_value_get_boolean (value);
      break;
    case PROP_MULTIVARIANT_PLAYLIST_LOCATION:
      g_free (self->variant.location);
      self->variant.location = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  g_mutex_unlock (&self->lock);
}

/* "stats": an arcly-hlssink-stats structure (the naming scheme is in
 * docs/architecture.md): the writer's counters, and the frames from the
 * muxer's stats, its pads named as ours (video, audio). */
static GstStructure *
make_stats (GstArclyHlsSink * self)
{
  GstStructure *mux_stats = NULL, *s;
  GValue pads = G_VALUE_INIT;
  guint64 frames = 0, dropped = 0;
  GstElement *mux;
  HlsSinkStats st;
  guint i;

  g_mutex_lock (&self->lock);
  mux = self->mux ? gst_object_ref (self->mux) : NULL;
  g_mutex_unlock (&self->lock);
  if (mux != NULL) {
    g_object_get (mux, "stats", &mux_stats, NULL);
    gst_object_unref (mux);
  }
  g_value_init (&pads, GST_TYPE_ARRAY);
  if (mux_stats != NULL) {
    const GValue *arr = gst_structure_get_value (mux_stats, "pads");

    gst_structure_get_uint64 (mux_stats, "frames-written", &frames);
    gst_structure_get_uint64 (mux_stats, "frames-dropped", &dropped);
    for (i = 0; arr && i < gst_value_array_get_size (arr); i++) {
      const GstStructure *ps =
          gst_value_get_structure (gst_value_array_get_value (arr, i));
      GstStructure *copy = gst_structure_copy (ps);
      GValue v = G_VALUE_INIT;

      gst_structure_set_name (copy, "arcly-hlssink-pad-stats");
      gst_structure_set (copy, "pad", G_TYPE_STRING,
          gst_structure_get_string (ps, "media"), NULL);
      g_value_init (&v, GST_TYPE_STRUCTURE);
      g_value_take_boxed (&v, copy);
      gst_value_array_append_and_take_value (&pads, &v);
    }
    gst_structure_free (mux_stats);
  }

  GST_OBJECT_LOCK (self);
  st = self->stats;
  GST_OBJECT_UNLOCK (self);
  s = gst_structure_new ("arcly-hlssink-stats",
      "frames-written", G_TYPE_UINT64, frames,
      "bytes-written", G_TYPE_UINT64, st.bytes_written,
      "frames-dropped", G_TYPE_UINT64, dropped,
      "segments-written", G_TYPE_UINT64, st.segments_written,
      "parts-written", G_TYPE_UINT64, st.parts_written,
      "init-segments-written", G_TYPE_UINT64, st.inits_written,
      "playlists-written", G_TYPE_UINT64, st.playlists_written,
      "last-segment-duration", G_TYPE_UINT64,
      (guint64) st.last_segment_duration,
      "playlist-latency", G_TYPE_UINT64, (guint64) st.playlist_latency,
      "fsyncs", G_TYPE_UINT64, st.fsyncs, NULL);
  gst_structure_take_value (s, "pads", &pads);
  return s;
}

static void
gst_arcly_hls_sink_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstArclyHlsSink *self = GST_ARCLY_HLS_SINK (object);

  if (prop_id == PROP_STATS) {
    /* asks the muxer: not under self->lock */
    g_value_take_boxed (value, make_stats (self));
    return;
  }
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
    case PROP_SYNC_MODE:
      g_value_set_enum (value, self->prop.sync_mode);
      break;
    case PROP_PART_BYTERANGES:
      g_value_set_boolean (value, self->prop.part_byteranges);
      break;
    case PROP_INPUT_THREAD:
      g_value_set_boolean (value, self->prop.input_thread);
      break;
    case PROP_MULTIVARIANT_PLAYLIST_LOCATION:
      g_value_set_string (value, self->variant.location);
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

  arcly_hls_writer_reset (self);
  gst_clear_object (&self->mux);
  settings_clear (&self->prop);
  settings_clear (&self->cfg);
  arcly_hls_variant_clear (&self->variant);
  g_ptr_array_unref (self->unit_bufs);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (gst_arcly_hls_sink_parent_class)->finalize (object);
}

/* The writer posts a message per segment: the multivariant playlist
 * follows it (same thread). */
static gboolean
gst_arcly_hls_sink_post_message (GstElement * element, GstMessage * msg)
{
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ELEMENT &&
      GST_MESSAGE_SRC (msg) == GST_OBJECT_CAST (element))
    arcly_hls_variant_on_message (GST_ARCLY_HLS_SINK (element),
        gst_message_get_structure (msg));
  return GST_ELEMENT_CLASS (gst_arcly_hls_sink_parent_class)->post_message
      (element, msg);
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
          "fMP4 init segment file pattern; a new file on each caps change "
          "(default: init%d.mp4 in the folder of location)",
          DEFAULT_PROP_INIT_LOCATION, rw));
  g_object_class_install_property (gobject_class, PROP_PLAYLIST_LOCATION,
      g_param_spec_string ("playlist-location", "Playlist location",
          "Media playlist file, replaced atomically on every update",
          DEFAULT_PROP_PLAYLIST_LOCATION, rw));
  g_object_class_install_property (gobject_class, PROP_PLAYLIST_ROOT,
      g_param_spec_string ("playlist-root", "Playlist root",
          "URI prefix of the segment URIs in the playlist (default: none, "
          "paths relative to the playlist's folder)",
          DEFAULT_PROP_PLAYLIST_ROOT,
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
          "the playlist for their duration plus the playlist's (RFC 8216 "
          "6.2.2) (0 = never delete)", 0, G_MAXUINT,
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
  g_object_class_install_property (gobject_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics",
          "arcly-hlssink-stats: frames-written, bytes-written (segment "
          "files), frames-dropped, segments-written, parts-written, "
          "init-segments-written, playlists-written, last-segment-duration "
          "(ns), playlist-latency (ns: age of the newest listed segment's or "
          "part's first frame when listed, by the pipeline clock), fsyncs "
          "(files fsynced, see sync-mode), and pads "
          "(an array of arcly-hlssink-pad-stats: pad, media, frames-written, "
          "bytes-written, frames-dropped); counted from READY to PAUSED",
          GST_TYPE_STRUCTURE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_SYNC_MODE,
      g_param_spec_enum ("sync-mode", "Sync mode",
          "Which files are fsynced before they are renamed into place: "
          "every file is always written whole (temporary file + rename, "
          "safe when the process is killed); fsync adds safety against a "
          "power loss at the cost of a disk flush per file. none, segments "
          "(segments, init segments and the final playlist; not parts and "
          "live playlist rewrites) or all", GST_TYPE_ARCLY_HLS_SYNC_MODE,
          DEFAULT_PROP_SYNC_MODE, rw));
  g_object_class_install_property (gobject_class, PROP_PART_BYTERANGES,
      g_param_spec_boolean ("part-byteranges", "Parts as byte ranges",
          "Low-Latency HLS: list each part as a byte range of its segment "
          "(EXT-X-PART BYTERANGE), which is written under its own name as "
          "it grows, instead of writing every part as a file of its own: "
          "one file per segment instead of one per part (on a disk file "
          "system each new file costs kernel time).  The server must "
          "answer Range requests; with get-fragment-stream the segment's "
          "stream gets the parts' bytes, flushed at the end of each part.  "
          "Read at READY to PAUSED", DEFAULT_PROP_PART_BYTERANGES, rw));
  g_object_class_install_property (gobject_class, PROP_INPUT_THREAD,
      g_param_spec_boolean ("input-thread", "Mux on the input threads",
          "fMP4: mux on the threads that push the video and audio instead "
          "of the muxer's own thread, saving a thread hand-off (two system "
          "calls and a context switch) per buffer.  A live input that goes "
          "silent then holds the others back until they have 500 ms more "
          "data queued (1.5 s before its first buffer) rather than for the "
          "pipeline latency.  MPEG-TS segments are always muxed on the "
          "muxer's thread.  Read at READY to PAUSED",
          DEFAULT_PROP_INPUT_THREAD, rw));
  g_object_class_install_property (gobject_class,
      PROP_MULTIVARIANT_PLAYLIST_LOCATION,
      g_param_spec_string ("multivariant-playlist-location",
          "Multivariant playlist location",
          "Also write a multivariant (master) playlist here, naming the "
          "media playlist with its CODECS, RESOLUTION and peak BANDWIDTH; "
          "best in the media playlist's folder.  NULL: none",
          DEFAULT_PROP_MULTIVARIANT_PLAYLIST_LOCATION, rw));

  /**
   * GstArclyHlsSink::get-playlist-stream:
   * @sink: the #GstArclyHlsSink
   * @location: the playlist-location
   *
   * As hlssink2's: emitted for every playlist update (in the streaming
   * thread) when a handler is connected; the playlist is written to the
   * returned stream, which is then closed.  Without a handler the playlist
   * file is replaced atomically.  A handler returning NULL is an element
   * error.
   *
   * Returns: (transfer full): a #GOutputStream for the playlist.
   */
  arcly_hls_sink_signals[ARCLY_HLS_SIGNAL_GET_PLAYLIST_STREAM] =
      g_signal_new ("get-playlist-stream", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST, 0, g_signal_accumulator_first_wins, NULL, NULL,
      G_TYPE_OUTPUT_STREAM, 1, G_TYPE_STRING);
  /**
   * GstArclyHlsSink::get-fragment-stream:
   * @sink: the #GstArclyHlsSink
   * @location: the file name the fragment would have: a segment
   *   (`location`), a part of one (segment name + ".N" before the
   *   extension) or an init segment (`init-location`)
   *
   * As hlssink2's: when a handler is connected, every segment, part and
   * init segment is written to the stream it returns, which is closed when
   * the fragment is complete (before a playlist lists it).  Without a
   * handler the file is written atomically.  A handler returning NULL is
   * an element error.
   *
   * Returns: (transfer full): a #GOutputStream for the fragment.
   */
  arcly_hls_sink_signals[ARCLY_HLS_SIGNAL_GET_FRAGMENT_STREAM] =
      g_signal_new ("get-fragment-stream", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST, 0, g_signal_accumulator_first_wins, NULL, NULL,
      G_TYPE_OUTPUT_STREAM, 1, G_TYPE_STRING);
  /**
   * GstArclyHlsSink::delete-fragment:
   * @sink: the #GstArclyHlsSink
   * @location: a location once given to #GstArclyHlsSink::get-fragment-stream
   *
   * As hlssink2's: a segment or part left the playlist (and the time
   * players may still fetch it) and is not needed anymore.  Without a
   * handler its file is deleted.
   */
  arcly_hls_sink_signals[ARCLY_HLS_SIGNAL_DELETE_FRAGMENT] =
      g_signal_new ("delete-fragment", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  gst_element_class_add_static_pad_template (element_class, &video_template);
  gst_element_class_add_static_pad_template (element_class, &audio_template);
  gst_element_class_set_static_metadata (element_class,
      "HLS sink (TS / CMAF, Low-Latency)", "Sink/Muxer",
      "Writes HTTP Live Streaming segments, parts and playlists from H.264 "
      "or H.265 and AAC", "gst-arcly developers");

  element_class->request_new_pad = gst_arcly_hls_sink_request_new_pad;
  element_class->release_pad = gst_arcly_hls_sink_release_pad;
  element_class->change_state = gst_arcly_hls_sink_change_state;
  element_class->post_message = gst_arcly_hls_sink_post_message;

  gst_type_mark_as_plugin_api (GST_TYPE_ARCLY_HLS_SEGMENT_FORMAT, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_ARCLY_HLS_PLAYLIST_TYPE, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_ARCLY_HLS_SYNC_MODE, 0);
}

static void
gst_arcly_hls_sink_init (GstArclyHlsSink * self)
{
  g_mutex_init (&self->lock);
  self->prop.init_location = DEFAULT_PROP_INIT_LOCATION;
  self->prop.playlist_location = g_strdup (DEFAULT_PROP_PLAYLIST_LOCATION);
  self->prop.format = DEFAULT_PROP_SEGMENT_FORMAT;
  self->prop.target_duration = DEFAULT_PROP_TARGET_DURATION;
  self->prop.playlist_length = DEFAULT_PROP_PLAYLIST_LENGTH;
  self->prop.max_files = DEFAULT_PROP_MAX_FILES;
  self->prop.type = DEFAULT_PROP_PLAYLIST_TYPE;
  self->prop.part_duration = DEFAULT_PROP_PART_DURATION;
  self->prop.program_date_time = DEFAULT_PROP_PROGRAM_DATE_TIME;
  self->prop.blocking_reload = DEFAULT_PROP_BLOCKING_RELOAD;
  self->prop.sync_mode = DEFAULT_PROP_SYNC_MODE;
  self->prop.input_thread = DEFAULT_PROP_INPUT_THREAD;
  self->prop.part_byteranges = DEFAULT_PROP_PART_BYTERANGES;
  g_queue_init (&self->files);
  self->unit_bufs = g_ptr_array_new ();
  self->pdt_anchor_us = -1;
  self->last_end = GST_CLOCK_TIME_NONE;
  self->last_unit_duration = GST_CLOCK_TIME_NONE;
  self->lead_rt = GST_CLOCK_TIME_NONE;
  self->discont_rt = GST_CLOCK_TIME_NONE;
  self->gap_start_rt = GST_CLOCK_TIME_NONE;
  self->disc_seg_rt = GST_CLOCK_TIME_NONE;
  self->gap_hole = GAP_MAX_HOLE;
  gst_segment_init (&self->segment, GST_FORMAT_TIME);

  self->writer = arcly_hls_segment_sink_new (self);
  gst_bin_add (GST_BIN (self), self->writer);
  GST_OBJECT_FLAG_SET (self, GST_ELEMENT_FLAG_SINK);
}
