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

/**
 * SECTION:element-arclyfmp4mux
 * @title: arclyfmp4mux
 *
 * Fragmented MP4 / CMAF writer for H.264 or H.265 and AAC.  The init segment
 * (ftyp + moov) is pushed first as a HEADER buffer and is also in the src
 * caps as `streamheader`; then every fragment, or every chunk of a fragment
 * when #GstArclyFmp4Mux:chunk-duration is set, is one buffer list: a buffer
 * holding the moof and the mdat header, then the samples (sharing the input
 * buffers' memory, DELTA_UNIT, no timestamps).  A unit whose first buffer
 * starts with a video keyframe (or, audio-only, starts a fragment) has no
 * DELTA_UNIT flag on it, so a downstream segmenter can cut there.
 *
 * H.265 (byte-stream) gets an `hvc1` sample entry whose `hvcC` holds the
 * VPS, SPS and PPS of the stream, taken out of the samples; IRAP pictures
 * (IDR, CRA, BLA) are the sync samples.  When the parameter sets change in
 * band, a new init segment follows with an `hev1` entry, and from then on
 * the samples keep their parameter sets (as `hev1` allows).
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 videotestsrc num-buffers=300 ! video/x-raw,format=I420 !
 *   x264enc ! h264parse ! arclyfmp4mux name=m ! filesink location=out.mp4
 *   audiotestsrc num-buffers=400 ! voaacenc ! m.
 * ]|
 */

/* Threading: caps events, buffers, flushes and every field marked
 * "streaming" below are only touched from the aggregator's src pad task
 * (GstAggregator runs serialized sink events there, and flush with the src
 * stream lock held).  Properties and the pad counters are guarded by the
 * object lock; it is never held across a push (gst_aggregator_finish_buffer).
 *
 * With "input-thread" (decided at READY -> PAUSED) the base class's queues
 * and thread are bypassed: each sink pad's chain and event functions
 * (direct_chain, direct_event) queue on the pad's own `direct_q` and mux
 * right there, on the thread that pushed, under `direct_lock`, which then
 * guards everything "streaming"; the output is pushed on the src pad with
 * that lock held (downstream never calls back into the muxer).  Lock order:
 * direct_lock -> object lock. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <gst/base/gstaggregator.h>

#include "gstarclyhlselements.h"
#include "mp4writer.h"
#include "aggqueue.h"
#include "muxcommon.h"
#include "arclyh264.h"
#include "arclyh265.h"
#include "arclyaac.h"

GST_DEBUG_CATEGORY_STATIC (arcly_fmp4_mux_debug);
GST_DEBUG_CATEGORY_STATIC (arcly_fmp4_mux_dataflow);
#define GST_CAT_DEFAULT arcly_fmp4_mux_debug

#define DEFAULT_PROP_FRAGMENT_DURATION (2 * GST_SECOND)
#define DEFAULT_PROP_CHUNK_DURATION 0

/* A fragment that never meets a keyframe is cut anyway past this span, so
 * memory stays bounded on a stream with a broken GOP. */
#define MIN_FORCED_CUT_SPAN (60 * GST_SECOND)

/* Durations are compared with this slack: timestamps made by adding rounded
 * frame durations (33333333 ns at 30 fps) land a few ns short of a keyframe
 * interval that is exactly the fragment duration. */
#define DURATION_SLACK GST_MSECOND

/* Non-live input: how far ahead each sink pad may queue.  GstAggregator
 * queues a single buffer per pad when its "latency" is 0, so every buffer
 * costs two thread switches; a second of queue removes most of them (and
 * means nothing for timing when nothing is live). */
#define NON_LIVE_QUEUE (GST_SECOND)
#define MAX_PENDING_BYTES (256 * 1024 * 1024)

enum
{
  PROP_0,
  PROP_FRAGMENT_DURATION,
  PROP_CHUNK_DURATION,
  PROP_STATS,
  PROP_INPUT_THREAD,
};

#define DEFAULT_PROP_INPUT_THREAD FALSE

/* input-thread mode: a live input with nothing queued is waited for until
 * the others hold this much more data than the oldest buffer queued (what
 * the latency is to the base class's clock-driven timeout), and by
 * ARCLY_MUX_START_GRACE more before it has delivered anything.  Without a
 * live source every input is waited for, as the base class does, but
 * memory stays bounded: past DIRECT_MAX_WAIT of data the others go on. */
#define DIRECT_WAIT (500 * GST_MSECOND)
#define DIRECT_MAX_WAIT (10 * GST_SECOND)

/* ------------------------------------------------------------------ */
/* Sink pad: one track. */

typedef struct
{
  GstBuffer *buf;               /* the sample as written in mdat */
  guint64 dts;                  /* media time, ns */
  guint64 pts;
  guint64 dts_ts;               /* in the track timescale */
  guint64 pts_ts;
  guint32 duration;             /* timescale units, when has_duration */
  gboolean has_duration;
  gboolean sync;
} Sample;

#define GST_TYPE_ARCLY_FMP4_MUX_PAD (gst_arcly_fmp4_mux_pad_get_type ())
G_DECLARE_FINAL_TYPE (GstArclyFmp4MuxPad, gst_arcly_fmp4_mux_pad,
    GST, ARCLY_FMP4_MUX_PAD, GstAggregatorPad);

struct _GstArclyFmp4MuxPad
{
  GstAggregatorPad parent;

  /* set at creation, then constant */
  guint32 track_id;
  gboolean is_video;

  /* streaming: the configuration from caps (and in-band SPS/PPS) */
  GstCaps *caps;
  gboolean configured;
  gboolean byte_stream;
  gboolean h265;                /* video/x-h265 (byte-stream) */
  gboolean hev1;                /* H.265 sets changed in band: hev1, sets
                                 * kept in the samples from then on */
  GBytes *codec_data;           /* avcC, hvcC or AudioSpecificConfig */
  GPtrArray *sps, *pps;         /* byte-stream: the sets codec_data holds */
  GPtrArray *vps;               /* (H.265) */
  guint width, height, par_n, par_d;
  gint fps_n, fps_d;
  guint rate, channels, frame_length;
  guint32 timescale;
  gboolean reconfigure;         /* new config: cut and new init at next sample */

  /* streaming: queued samples and timing */
  GArray *samples;              /* Sample, decode order */
  gsize pending_bytes;
  gboolean have_last_dts;
  guint64 last_dts;             /* media time of the newest sample taken */
  guint64 last_in_dts;          /* its DTS as it came in (see chain) */
  GstClockTime last_in_dur;     /* its buffer's duration, else the step
                                 * to it from the one before (NONE) */
  guint32 last_duration;        /* of the last sample written */
  gboolean in_init;             /* described by the current init segment */
  guint dropped;                /* counted for rate-limited warnings */
  gboolean reorder_checked;     /* DTS-only video: the SPS was looked at */

  /* input-thread mode: the base class's functions, and (direct_lock) the
   * pad's own queue, EOS and flushing */
  GstPadChainFunction agg_chain;
  GstPadEventFullFunction agg_event;
  GQueue direct_q;
  gboolean direct_eos;
  gboolean direct_flushing;
  gint direct_live;             /* upstream live: -1 not asked yet, 0, 1 */

  /* object lock (of the element): the "stats" property */
  guint64 frames_written;
  guint64 bytes_written;        /* the samples' own bytes */
  guint64 frames_dropped;
};

G_DEFINE_TYPE (GstArclyFmp4MuxPad, gst_arcly_fmp4_mux_pad,
    GST_TYPE_AGGREGATOR_PAD);

static void
sample_clear (Sample * s)
{
  gst_clear_buffer (&s->buf);
}

static void
pad_reset_samples (GstArclyFmp4MuxPad * pad)
{
  g_array_set_size (pad->samples, 0);
  pad->pending_bytes = 0;
  pad->have_last_dts = FALSE;
  pad->last_duration = 0;
  pad->last_in_dur = GST_CLOCK_TIME_NONE;
}

static void
gst_arcly_fmp4_mux_pad_finalize (GObject * object)
{
  GstArclyFmp4MuxPad *pad = GST_ARCLY_FMP4_MUX_PAD (object);

  g_queue_clear_full (&pad->direct_q, (GDestroyNotify) gst_buffer_unref);
  g_array_unref (pad->samples);
  gst_clear_caps (&pad->caps);
  g_clear_pointer (&pad->codec_data, g_bytes_unref);
  g_ptr_array_unref (pad->sps);
  g_ptr_array_unref (pad->pps);
  g_ptr_array_unref (pad->vps);
  G_OBJECT_CLASS (gst_arcly_fmp4_mux_pad_parent_class)->finalize (object);
}

static void
gst_arcly_fmp4_mux_pad_class_init (GstArclyFmp4MuxPadClass * klass)
{
  G_OBJECT_CLASS (klass)->finalize = gst_arcly_fmp4_mux_pad_finalize;
}

static void
gst_arcly_fmp4_mux_pad_init (GstArclyFmp4MuxPad * pad)
{
  pad->samples = g_array_new (FALSE, TRUE, sizeof (Sample));
  g_array_set_clear_func (pad->samples, (GDestroyNotify) sample_clear);
  pad->sps = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  pad->pps = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  pad->vps = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  pad->par_n = pad->par_d = 1;
  pad->last_in_dur = GST_CLOCK_TIME_NONE;
  pad->direct_live = -1;
}

/* ------------------------------------------------------------------ */
/* Element */

typedef struct
{
  guint64 time;                 /* media time: samples before it are taken */
  gboolean fragment;            /* the next buffer starts a new fragment */
  gboolean new_init;            /* push a new init segment after this one */
} Cut;

struct _GstArclyFmp4Mux
{
  GstAggregator parent;

  /* object lock */
  GstClockTime fragment_duration;
  GstClockTime chunk_duration;
  guint video_pads, audio_pads;
  guint32 next_track_id;
  gboolean tracks_changed;      /* a pad was released */
  ArclyAggQueue queue;          /* non-live input queue depth (aggqueue.h) */
  gboolean input_thread;        /* the property */
  guint64 bytes_written;        /* "stats": output bytes */
  guint64 chunks_written;       /* moof + mdat units */
  guint64 fragments_written;    /* of which start a fragment */
  guint64 inits_written;

  /* streaming */
  GstBuffer *init;              /* the current init segment */
  gboolean init_pushed;
  GstClockTime first_rt;        /* of the first input buffer (muxcommon.h) */
  guint32 sequence;
  gboolean have_offset;
  gboolean have_pts_shift;
  gint64 pts_shift;             /* PTS - DTS of the first keyframe, ns */
  gint64 ts_offset;             /* running time → media time: the media
                                 * timeline (tfdt) starts at 0 with the
                                 * first sample's decode time */
  gboolean seen_video_key;
  gboolean have_frag_start;
  guint64 frag_start, chunk_start;
  gboolean next_starts_fragment;
  GArray *cuts;                 /* Cut, oldest first */

  /* input-thread mode (see Threading) */
  gboolean direct;              /* this run muxes on the input threads */
  GMutex direct_lock;
  GstFlowReturn direct_flow;    /* of the last push; sticky until a flush */
  gboolean direct_started;      /* stream-start pushed */
  gboolean direct_need_segment;
  GstCaps *direct_caps;         /* caps to push before the next buffer */
  gboolean direct_eos_sent;
};

#define GST_TYPE_ARCLY_FMP4_MUX (gst_arcly_fmp4_mux_get_type ())
G_DECLARE_FINAL_TYPE (GstArclyFmp4Mux, gst_arcly_fmp4_mux, GST,
    ARCLY_FMP4_MUX, GstAggregator);
G_DEFINE_TYPE (GstArclyFmp4Mux, gst_arcly_fmp4_mux, GST_TYPE_AGGREGATOR);
GST_ELEMENT_REGISTER_DEFINE (arclyfmp4mux, "arclyfmp4mux", GST_RANK_NONE,
    GST_TYPE_ARCLY_FMP4_MUX);

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("video/quicktime, variant = (string) iso-fragmented"));

static GstStaticPadTemplate video_template =
GST_STATIC_PAD_TEMPLATE ("video_%u",
    GST_PAD_SINK,
    GST_PAD_REQUEST,
    GST_STATIC_CAPS ("video/x-h264, stream-format = (string) { avc, "
        "byte-stream }, alignment = (string) au; "
        "video/x-h265, stream-format = (string) byte-stream, "
        "alignment = (string) au"));

static GstStaticPadTemplate audio_template =
GST_STATIC_PAD_TEMPLATE ("audio_%u",
    GST_PAD_SINK,
    GST_PAD_REQUEST,
    GST_STATIC_CAPS ("audio/mpeg, mpegversion = (int) 4, "
        "stream-format = (string) raw"));

/* ------------------------------------------------------------------ */
/* Helpers */

static guint64
to_timescale (guint64 ns, guint32 timescale)
{
  return gst_util_uint64_scale_round (ns, timescale, GST_SECOND);
}

static guint64
from_timescale (guint64 ts, guint32 timescale)
{
  return gst_util_uint64_scale_round (ts, GST_SECOND, timescale);
}

/* Calls @func for each sink pad with a ref held and no lock taken. */
static GList *
get_pads (GstArclyFmp4Mux * self)
{
  GList *pads;

  GST_OBJECT_LOCK (self);
  pads = g_list_copy_deep (GST_ELEMENT_CAST (self)->sinkpads,
      (GCopyFunc) gst_object_ref, NULL);
  GST_OBJECT_UNLOCK (self);
  return pads;
}

static void
free_pads (GList * pads)
{
  g_list_free_full (pads, gst_object_unref);
}

static gint
compare_track_id (gconstpointer a, gconstpointer b)
{
  const GstArclyFmp4MuxPad *pa = a, *pb = b;

  return pa->track_id < pb->track_id ? -1 : pa->track_id > pb->track_id;
}

/* The input queue of a pad: GstAggregator's, or in input-thread mode the
 * pad's own (direct_lock held). */
static gboolean
mpad_direct (GstArclyFmp4MuxPad * p)
{
  GstObject *parent = GST_OBJECT_PARENT (p);

  return parent != NULL && GST_ARCLY_FMP4_MUX (parent)->direct;
}

static gboolean
mpad_is_eos (GstArclyFmp4MuxPad * p)
{
  if (mpad_direct (p))
    return p->direct_eos;
  return gst_aggregator_pad_is_eos (GST_AGGREGATOR_PAD (p));
}

static gboolean
mpad_has_buffer (GstArclyFmp4MuxPad * p)
{
  if (mpad_direct (p))
    return !g_queue_is_empty (&p->direct_q);
  return gst_aggregator_pad_has_buffer (GST_AGGREGATOR_PAD (p));
}

static GstBuffer *
mpad_peek (GstArclyFmp4MuxPad * p)
{
  GstBuffer *b;

  if (!mpad_direct (p))
    return gst_aggregator_pad_peek_buffer (GST_AGGREGATOR_PAD (p));
  b = g_queue_peek_head (&p->direct_q);
  return b ? gst_buffer_ref (b) : NULL;
}

static GstBuffer *
mpad_pop (GstArclyFmp4MuxPad * p)
{
  if (mpad_direct (p))
    return g_queue_pop_head (&p->direct_q);
  return gst_aggregator_pad_pop_buffer (GST_AGGREGATOR_PAD (p));
}

static gboolean
pad_finished (GstArclyFmp4MuxPad * p)
{
  return mpad_is_eos (p) && !mpad_has_buffer (p);
}

/* The track that paces fragments: the first video pad, else the first
 * audio pad. */
static GstArclyFmp4MuxPad *
reference_pad (GList * pads)
{
  GstArclyFmp4MuxPad *best = NULL;
  GList *l;

  for (l = pads; l; l = l->next) {
    GstArclyFmp4MuxPad *p = l->data;

    if (best == NULL || (p->is_video && !best->is_video) ||
        (p->is_video == best->is_video && p->track_id < best->track_id))
      best = p;
  }
  return best;
}

static gboolean
has_video_pad (GList * pads)
{
  GList *l;

  for (l = pads; l; l = l->next)
    if (GST_ARCLY_FMP4_MUX_PAD (l->data)->is_video)
      return TRUE;
  return FALSE;
}

static void
drop_warning (GstArclyFmp4MuxPad * pad, const gchar * why)
{
  /* first drop and then every 100th, so a broken stream does not flood */
  if (pad->dropped++ % 100 == 0)
    GST_WARNING_OBJECT (pad, "dropping buffer (%u dropped so far): %s",
        pad->dropped, why);
}

/* ------------------------------------------------------------------ */
/* Caps */

static gboolean
pad_set_h264_config (GstArclyFmp4MuxPad * pad, GBytes * avcc)
{
  GPtrArray *sps = g_ptr_array_new_with_free_func ((GDestroyNotify)
      g_bytes_unref);
  GPtrArray *pps = g_ptr_array_new_with_free_func ((GDestroyNotify)
      g_bytes_unref);
  ArclyH264Sps info;
  gsize size;
  const guint8 *data = g_bytes_get_data (avcc, &size);
  guint nal_len;
  gboolean ok = FALSE;

  if (!arcly_h264_avcc_parse (data, size, sps, pps, &nal_len) ||
      sps->len == 0 || pps->len == 0)
    goto out;
  data = g_bytes_get_data (g_ptr_array_index (sps, 0), &size);
  if (arcly_h264_parse_sps (data, size, &info)) {
    pad->width = info.width;
    pad->height = info.height;
    if (info.par_n > 0 && info.par_d > 0) {
      pad->par_n = info.par_n;
      pad->par_d = info.par_d;
    }
  }
  if (pad->width == 0 || pad->height == 0)
    goto out;
  g_clear_pointer (&pad->codec_data, g_bytes_unref);
  pad->codec_data = g_bytes_ref (avcc);
  g_ptr_array_set_size (pad->sps, 0);
  g_ptr_array_set_size (pad->pps, 0);
  g_ptr_array_extend_and_steal (pad->sps, g_steal_pointer (&sps));
  g_ptr_array_extend_and_steal (pad->pps, g_steal_pointer (&pps));
  ok = TRUE;
out:
  if (sps)
    g_ptr_array_unref (sps);
  if (pps)
    g_ptr_array_unref (pps);
  return ok;
}

/* H.265: the hvcC from the sets (hvc1, or hev1 once they changed in
 * band) and the picture size from the first SPS. */
static gboolean
pad_set_h265_config (GstArclyFmp4MuxPad * pad, GPtrArray * vps,
    GPtrArray * sps, GPtrArray * pps)
{
  GBytes *hvcc = arcly_h265_hvcc_build (vps, sps, pps, !pad->hev1);
  ArclyH265Sps info;
  gsize size;
  const guint8 *data;

  if (hvcc == NULL)
    return FALSE;
  data = g_bytes_get_data (g_ptr_array_index (sps, 0), &size);
  if (!arcly_h265_parse_sps (data, size, &info)) {
    g_bytes_unref (hvcc);
    return FALSE;
  }
  pad->width = info.width;
  pad->height = info.height;
  g_clear_pointer (&pad->codec_data, g_bytes_unref);
  pad->codec_data = hvcc;
  if (vps != pad->vps) {
    g_ptr_array_set_size (pad->vps, 0);
    g_ptr_array_extend (pad->vps, vps, (GCopyFunc) g_bytes_ref, NULL);
  }
  if (sps != pad->sps) {
    g_ptr_array_set_size (pad->sps, 0);
    g_ptr_array_extend (pad->sps, sps, (GCopyFunc) g_bytes_ref, NULL);
  }
  if (pps != pad->pps) {
    g_ptr_array_set_size (pad->pps, 0);
    g_ptr_array_extend (pad->pps, pps, (GCopyFunc) g_bytes_ref, NULL);
  }
  return TRUE;
}

static gboolean
pad_set_video_caps (GstArclyFmp4Mux * self, GstArclyFmp4MuxPad * pad,
    GstCaps * caps)
{
  GstStructure *s = gst_caps_get_structure (caps, 0);
  const gchar *format = gst_structure_get_string (s, "stream-format");
  const GValue *cd = gst_structure_get_value (s, "codec_data");
  gint w = 0, h = 0, n, d;
  gboolean h265 = gst_structure_has_name (s, "video/x-h265");

  if (h265 != pad->h265) {
    /* another codec: nothing of the old configuration applies */
    pad->h265 = h265;
    pad->hev1 = FALSE;
    pad->configured = FALSE;
    g_clear_pointer (&pad->codec_data, g_bytes_unref);
    g_ptr_array_set_size (pad->vps, 0);
    g_ptr_array_set_size (pad->sps, 0);
    g_ptr_array_set_size (pad->pps, 0);
  }
  /* H.265 comes as byte-stream only (the template) */
  pad->byte_stream = h265 || g_strcmp0 (format, "byte-stream") == 0;
  pad->timescale = ARCLY_MP4_VIDEO_TIMESCALE;
  pad->width = pad->height = 0;
  pad->par_n = pad->par_d = 1;
  if (gst_structure_get_int (s, "width", &w) &&
      gst_structure_get_int (s, "height", &h) && w > 0 && h > 0) {
    pad->width = w;
    pad->height = h;
  }
  if (gst_structure_get_fraction (s, "pixel-aspect-ratio", &n, &d) && n > 0
      && d > 0) {
    pad->par_n = n;
    pad->par_d = d;
  }
  pad->fps_n = 0;
  pad->fps_d = 1;
  if (gst_structure_get_fraction (s, "framerate", &n, &d) && n > 0 && d > 0) {
    pad->fps_n = n;
    pad->fps_d = d;
  }

  if (!pad->byte_stream) {
    GstMapInfo map;
    GBytes *avcc;
    gboolean ok;

    if (cd == NULL || !GST_VALUE_HOLDS_BUFFER (cd)) {
      GST_ELEMENT_ERROR (self, STREAM, FORMAT,
          ("H.264 input in avc format has no codec_data."),
          ("caps %" GST_PTR_FORMAT " lack the avcC record; put h264parse "
              "before the muxer or send byte-stream", caps));
      return FALSE;
    }
    if (!gst_buffer_map (gst_value_get_buffer (cd), &map, GST_MAP_READ))
      return FALSE;
    avcc = g_bytes_new (map.data, map.size);
    gst_buffer_unmap (gst_value_get_buffer (cd), &map);
    ok = pad_set_h264_config (pad, avcc);
    g_bytes_unref (avcc);
    if (!ok) {
      GST_ELEMENT_ERROR (self, STREAM, FORMAT,
          ("Invalid H.264 codec_data."),
          ("the avcC in %" GST_PTR_FORMAT " cannot be parsed or gives no "
              "picture size", caps));
      return FALSE;
    }
    pad->configured = TRUE;
  } else {
    /* byte-stream: SPS/PPS come in band; keep the last ones seen if the
     * stream carries on with the same sets (checked per keyframe). */
    pad->configured = pad->codec_data != NULL && pad->width > 0;
  }
  return TRUE;
}

static gboolean
pad_set_audio_caps (GstArclyFmp4Mux * self, GstArclyFmp4MuxPad * pad,
    GstCaps * caps)
{
  GstStructure *s = gst_caps_get_structure (caps, 0);
  const GValue *cd = gst_structure_get_value (s, "codec_data");
  ArclyAacConfig cfg;
  GstMapInfo map;
  gboolean ok;
  gint rate = 0, channels = 0;

  if (cd == NULL || !GST_VALUE_HOLDS_BUFFER (cd)) {
    GST_ELEMENT_ERROR (self, STREAM, FORMAT,
        ("AAC input has no codec_data."),
        ("caps %" GST_PTR_FORMAT " lack the AudioSpecificConfig; use aacparse "
            "or an encoder that sets it", caps));
    return FALSE;
  }
  if (!gst_buffer_map (gst_value_get_buffer (cd), &map, GST_MAP_READ))
    return FALSE;
  ok = arcly_aac_parse_asc (map.data, map.size, &cfg);
  if (ok) {
    g_clear_pointer (&pad->codec_data, g_bytes_unref);
    pad->codec_data = g_bytes_new (map.data, map.size);
  }
  gst_buffer_unmap (gst_value_get_buffer (cd), &map);
  if (!ok || cfg.rate == 0) {
    GST_ELEMENT_ERROR (self, STREAM, FORMAT,
        ("Invalid AAC codec_data."),
        ("the AudioSpecificConfig in %" GST_PTR_FORMAT " cannot be parsed",
            caps));
    return FALSE;
  }
  /* The caps rate is the output rate (SBR doubles the core rate). */
  gst_structure_get_int (s, "rate", &rate);
  gst_structure_get_int (s, "channels", &channels);
  pad->rate = rate > 0 ? (guint) rate : (cfg.ext_rate ? cfg.ext_rate :
      cfg.rate);
  pad->channels = channels > 0 ? (guint) channels : MAX (cfg.channels, 1);
  pad->timescale = pad->rate;
  pad->frame_length = gst_util_uint64_scale_int (cfg.frame_length ?
      cfg.frame_length : 1024, pad->rate, cfg.rate);
  pad->configured = TRUE;
  return TRUE;
}

static gboolean build_init (GstArclyFmp4Mux * self, GList * pads);

/* Before @pad's configuration changes under samples still queued, the init
 * segment describing them must exist (it goes out before them), so the new
 * configuration can get its own init at the cut. */
static void
freeze_old_config (GstArclyFmp4Mux * self, GstArclyFmp4MuxPad * pad)
{
  GList *pads;

  if (self->init != NULL || !pad->configured || pad->samples->len == 0)
    return;
  pads = get_pads (self);
  build_init (self, pads);
  free_pads (pads);
}

static gboolean
pad_set_caps (GstArclyFmp4Mux * self, GstArclyFmp4MuxPad * pad,
    GstCaps * caps)
{
  gboolean was_configured = pad->configured;
  GBytes *old = pad->codec_data ? g_bytes_ref (pad->codec_data) : NULL;
  guint old_w = pad->width, old_h = pad->height;
  gboolean ok;

  if (pad->caps && gst_caps_is_equal (pad->caps, caps)) {
    if (old)
      g_bytes_unref (old);
    return TRUE;
  }
  GST_DEBUG_OBJECT (pad, "caps %" GST_PTR_FORMAT, caps);
  freeze_old_config (self, pad);

  ok = pad->is_video ? pad_set_video_caps (self, pad, caps) :
      pad_set_audio_caps (self, pad, caps);
  if (ok) {
    gst_caps_replace (&pad->caps, caps);
    /* A new init segment only when what it describes changed. */
    if (was_configured && pad->in_init && (old == NULL || !pad->codec_data
            || !g_bytes_equal (old, pad->codec_data) || old_w != pad->width
            || old_h != pad->height))
      pad->reconfigure = TRUE;
  }
  if (old)
    g_bytes_unref (old);
  return ok;
}

/* ------------------------------------------------------------------ */
/* H.264 byte-stream → length-prefixed samples */

typedef struct
{
  gboolean h265;
  gboolean keep_params;         /* hev1: parameter sets stay in the sample */
  GPtrArray *sps, *pps, *vps;
  gsize out_size;
  guint8 *out;
  gsize pos;
  gboolean idr;                 /* H.265: an IRAP picture */
  guint n_nals;
} NalScan;

typedef enum
{
  NAL_PICTURE,                  /* anything written to the sample */
  NAL_VPS,
  NAL_SPS,
  NAL_PPS,
  NAL_DROP,                     /* AUD, or a unit too short for its header */
} NalKind;

/* H.265 NAL units (ITU-T H.265 Table 7-1) as the sample writer sees them. */
static NalKind
h265_nal_kind (const guint8 * nal, gsize size, gboolean * irap)
{
  guint type;

  if (size < 2)
    return NAL_DROP;
  type = ARCLY_H265_NAL_TYPE (nal[0]);
  switch (type) {
    case ARCLY_H265_NAL_VPS:
      return NAL_VPS;
    case ARCLY_H265_NAL_SPS:
      return NAL_SPS;
    case ARCLY_H265_NAL_PPS:
      return NAL_PPS;
    case ARCLY_H265_NAL_AUD:
      return NAL_DROP;
    default:
      if (ARCLY_H265_IS_IRAP (type))
        *irap = TRUE;
      return NAL_PICTURE;
  }
}

static gboolean
scan_h265_nal (NalScan * ctx, const guint8 * nal, gsize size)
{
  switch (h265_nal_kind (nal, size, &ctx->idr)) {
    case NAL_VPS:
      g_ptr_array_add (ctx->vps, g_bytes_new (nal, size));
      break;
    case NAL_SPS:
      g_ptr_array_add (ctx->sps, g_bytes_new (nal, size));
      break;
    case NAL_PPS:
      g_ptr_array_add (ctx->pps, g_bytes_new (nal, size));
      break;
    case NAL_DROP:
      return TRUE;
    case NAL_PICTURE:
      ctx->n_nals++;
      ctx->out_size += 4 + size;
      return TRUE;
  }
  if (ctx->keep_params)
    ctx->out_size += 4 + size;
  return TRUE;
}

static gboolean
scan_nal (const guint8 * nal, gsize size, gpointer user_data)
{
  NalScan *ctx = user_data;
  guint type;

  if (size == 0)
    return TRUE;
  if (ctx->h265)
    return scan_h265_nal (ctx, nal, size);
  type = ARCLY_H264_NAL_TYPE (nal[0]);
  switch (type) {
    case ARCLY_H264_NAL_SPS:
      g_ptr_array_add (ctx->sps, g_bytes_new (nal, size));
      return TRUE;
    case ARCLY_H264_NAL_PPS:
      g_ptr_array_add (ctx->pps, g_bytes_new (nal, size));
      return TRUE;
    case ARCLY_H264_NAL_AUD:
      /* parameter sets live in avcC; AUDs are not used in MP4 */
      return TRUE;
    case ARCLY_H264_NAL_IDR:
      ctx->idr = TRUE;
      break;
    default:
      break;
  }
  ctx->out_size += 4 + size;
  ctx->n_nals++;
  return TRUE;
}

static gboolean
write_nal (const guint8 * nal, gsize size, gpointer user_data)
{
  NalScan *ctx = user_data;
  guint type;

  if (size == 0)
    return TRUE;
  if (ctx->h265) {
    gboolean irap;
    NalKind kind = h265_nal_kind (nal, size, &irap);

    if (kind == NAL_DROP || (kind != NAL_PICTURE && !ctx->keep_params))
      return TRUE;
  } else {
    type = ARCLY_H264_NAL_TYPE (nal[0]);
    if (type == ARCLY_H264_NAL_SPS || type == ARCLY_H264_NAL_PPS ||
        type == ARCLY_H264_NAL_AUD)
      return TRUE;
  }
  if (size > G_MAXUINT32 || ctx->pos + 4 + size > ctx->out_size)
    return FALSE;
  /* byte by byte: the position is not 4-byte aligned */
  ctx->out[ctx->pos] = (size >> 24) & 0xff;
  ctx->out[ctx->pos + 1] = (size >> 16) & 0xff;
  ctx->out[ctx->pos + 2] = (size >> 8) & 0xff;
  ctx->out[ctx->pos + 3] = size & 0xff;
  memcpy (ctx->out + ctx->pos + 4, nal, size);
  ctx->pos += 4 + size;
  return TRUE;
}

static gboolean
same_sets (GPtrArray * a, GPtrArray * b)
{
  guint i;

  if (a->len != b->len)
    return FALSE;
  for (i = 0; i < a->len; i++)
    if (!g_bytes_equal (g_ptr_array_index (a, i), g_ptr_array_index (b, i)))
      return FALSE;
  return TRUE;
}

/* H.265: in-band VPS/SPS/PPS that differ from the ones in the hvcC make
 * a new one (the sets missing from the AU are the previous ones).  The
 * first configuration is an hvc1; a change makes the track hev1. */
static void
update_h265_config (GstArclyFmp4Mux * self, GstArclyFmp4MuxPad * pad,
    NalScan * ctx)
{
  GPtrArray *vps = ctx->vps->len > 0 ? ctx->vps : pad->vps;
  GPtrArray *sps = ctx->sps->len > 0 ? ctx->sps : pad->sps;
  GPtrArray *pps = ctx->pps->len > 0 ? ctx->pps : pad->pps;
  gboolean was_hev1 = pad->hev1;

  if (vps->len == 0 || sps->len == 0 || pps->len == 0 ||
      (same_sets (vps, pad->vps) && same_sets (sps, pad->sps) &&
          same_sets (pps, pad->pps)))
    return;
  freeze_old_config (self, pad);
  if (pad->configured)
    pad->hev1 = TRUE;
  if (pad_set_h265_config (pad, vps, sps, pps)) {
    GST_INFO_OBJECT (pad, "H.265 configuration (%s) from in-band "
        "VPS/SPS/PPS", pad->hev1 ? "hev1" : "hvc1");
    if (pad->configured && pad->in_init)
      pad->reconfigure = TRUE;
    pad->configured = TRUE;
  } else {
    pad->hev1 = was_hev1;
    GST_WARNING_OBJECT (pad, "in-band VPS/SPS/PPS unusable, ignored");
  }
}

/* Converts an Annex-B access unit; updates the avcC (hvcC) from in-band
 * parameter sets.  Returns NULL (buffer to drop) when it holds no picture
 * or no configuration is known yet. */
static GstBuffer *
convert_byte_stream (GstArclyFmp4Mux * self, GstArclyFmp4MuxPad * pad,
    GstBuffer * in, gboolean * sync)
{
  NalScan ctx = { 0, };
  GstMapInfo map;
  GstBuffer *out = NULL;

  if (!gst_buffer_map (in, &map, GST_MAP_READ))
    return NULL;
  ctx.h265 = pad->h265;
  ctx.keep_params = pad->h265 && pad->hev1;
  ctx.sps = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  ctx.pps = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  ctx.vps = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  arcly_h264_foreach_annexb_nal (map.data, map.size, FALSE, scan_nal, &ctx);

  if (pad->h265) {
    gboolean was_hev1 = pad->hev1;

    update_h265_config (self, pad, &ctx);
    if (pad->hev1 && !was_hev1) {
      /* the sets counted out of this sample now stay in it: count again */
      ctx.out_size = 0;
      ctx.n_nals = 0;
      ctx.idr = FALSE;
      g_ptr_array_set_size (ctx.vps, 0);
      g_ptr_array_set_size (ctx.sps, 0);
      g_ptr_array_set_size (ctx.pps, 0);
      ctx.keep_params = TRUE;
      arcly_h264_foreach_annexb_nal (map.data, map.size, FALSE, scan_nal,
          &ctx);
    }
  } else if (ctx.sps->len > 0 || ctx.pps->len > 0) {
    GPtrArray *sps = ctx.sps->len > 0 ? ctx.sps : pad->sps;
    GPtrArray *pps = ctx.pps->len > 0 ? ctx.pps : pad->pps;

    if (sps->len > 0 && pps->len > 0 && (!same_sets (sps, pad->sps) ||
            !same_sets (pps, pad->pps))) {
      GBytes *avcc = arcly_h264_avcc_build (sps, pps);

      freeze_old_config (self, pad);
      if (avcc && pad_set_h264_config (pad, avcc)) {
        GST_INFO_OBJECT (pad, "H.264 configuration from in-band SPS/PPS");
        if (pad->configured && pad->in_init)
          pad->reconfigure = TRUE;
        pad->configured = TRUE;
      } else {
        GST_WARNING_OBJECT (pad, "in-band SPS/PPS unusable, ignored");
      }
      if (avcc)
        g_bytes_unref (avcc);
    }
  }

  if (!pad->configured) {
    drop_warning (pad, pad->h265 ? "H.265 byte-stream without VPS/SPS/PPS "
        "yet" : "H.264 byte-stream without SPS/PPS yet");
  } else if (ctx.n_nals == 0) {
    drop_warning (pad, "access unit without picture data");
  } else {
    guint8 *data = g_malloc (ctx.out_size);

    ctx.out = data;
    arcly_h264_foreach_annexb_nal (map.data, map.size, FALSE, write_nal,
        &ctx);
    if (ctx.pos == ctx.out_size) {
      out = gst_buffer_new_wrapped (data, ctx.out_size);
      *sync = ctx.idr;
    } else {
      g_free (data);
      drop_warning (pad, "inconsistent NAL scan");
    }
  }
  gst_buffer_unmap (in, &map);
  g_ptr_array_unref (ctx.sps);
  g_ptr_array_unref (ctx.pps);
  g_ptr_array_unref (ctx.vps);
  return out;
}

/* ------------------------------------------------------------------ */
/* Output */

static gboolean
build_init (GstArclyFmp4Mux * self, GList * pads)
{
  GArray *tracks = g_array_new (FALSE, TRUE, sizeof (ArclyMp4Track));
  GByteArray *out = g_byte_array_new ();
  GList *sorted = g_list_sort (g_list_copy (pads), compare_track_id), *l;
  gboolean ok;

  for (l = sorted; l; l = l->next) {
    GstArclyFmp4MuxPad *p = l->data;
    ArclyMp4Track t = { 0, };
    gsize size;

    p->in_init = FALSE;
    if (!p->configured)
      continue;
    t.track_id = p->track_id;
    t.timescale = p->timescale;
    if (p->is_video) {
      t.type = ARCLY_MP4_TRACK_VIDEO;
      t.entry = !p->h265 ? ARCLY_MP4_VIDEO_AVC1 : p->hev1 ?
          ARCLY_MP4_VIDEO_HEV1 : ARCLY_MP4_VIDEO_HVC1;
      t.width = p->width;
      t.height = p->height;
      t.par_n = p->par_n;
      t.par_d = p->par_d;
      t.avcc = g_bytes_get_data (p->codec_data, &size);
      t.avcc_size = size;
    } else {
      t.type = ARCLY_MP4_TRACK_AUDIO;
      t.rate = p->rate;
      t.channels = p->channels;
      t.asc = g_bytes_get_data (p->codec_data, &size);
      t.asc_size = size;
    }
    p->in_init = TRUE;
    g_array_append_val (tracks, t);
  }
  g_list_free (sorted);

  ok = tracks->len > 0 && arcly_mp4_write_init (out,
      (ArclyMp4Track *) tracks->data, tracks->len);
  g_array_unref (tracks);
  if (!ok) {
    g_byte_array_unref (out);
    GST_ELEMENT_ERROR (self, STREAM, MUX, ("Could not write the MP4 header."),
        ("the track configuration cannot be written as an init segment"));
    return FALSE;
  }

  gst_clear_buffer (&self->init);
  {
    GBytes *bytes = g_byte_array_free_to_bytes (out);

    self->init = gst_buffer_new_wrapped_bytes (bytes);    /* takes a ref */
    g_bytes_unref (bytes);
  }
  GST_BUFFER_FLAG_SET (self->init, GST_BUFFER_FLAG_HEADER);
  return TRUE;
}

/* Output: through the base class, or in input-thread mode straight on the
 * src pad, after the sticky events it has not had yet (stream-start, caps,
 * segment: what GstAggregator pushes before its first buffer). */
static GstFlowReturn
mux_push (GstArclyFmp4Mux * self, GstBuffer * buf, GstBufferList * list)
{
  GstAggregator *agg = GST_AGGREGATOR (self);
  GstPad *srcpad = GST_AGGREGATOR_SRC_PAD (agg);
  GstFlowReturn ret;

  if (!self->direct)
    return buf ? gst_aggregator_finish_buffer (agg, buf) :
        gst_aggregator_finish_buffer_list (agg, list);

  if (!self->direct_started) {
    /* a muxer's own stream (gst_pad_create_stream_id() is for one input) */
    gchar *id = g_strdup_printf ("arclyfmp4mux-%08x", g_random_int ());
    GstEvent *ev = gst_event_new_stream_start (id);

    gst_event_set_group_id (ev, gst_util_group_id_next ());
    gst_pad_push_event (srcpad, ev);
    g_free (id);
    self->direct_started = TRUE;
    self->direct_need_segment = TRUE;
  }
  if (self->direct_caps) {
    gst_pad_push_event (srcpad, gst_event_new_caps (self->direct_caps));
    gst_clear_caps (&self->direct_caps);
  }
  if (self->direct_need_segment) {
    GstSegment seg;

    gst_segment_init (&seg, GST_FORMAT_TIME);
    gst_pad_push_event (srcpad, gst_event_new_segment (&seg));
    self->direct_need_segment = FALSE;
  }
  ret = buf ? gst_pad_push (srcpad, buf) : gst_pad_push_list (srcpad, list);
  if (ret != GST_FLOW_OK)
    self->direct_flow = ret;
  return ret;
}

static GstFlowReturn
push_init (GstArclyFmp4Mux * self)
{
  GstCaps *caps;
  GValue array = G_VALUE_INIT, value = G_VALUE_INIT;

  caps = gst_caps_new_simple ("video/quicktime", "variant", G_TYPE_STRING,
      "iso-fragmented", NULL);
  g_value_init (&array, GST_TYPE_ARRAY);
  g_value_init (&value, GST_TYPE_BUFFER);
  gst_value_set_buffer (&value, self->init);
  gst_value_array_append_and_take_value (&array, &value);
  gst_structure_take_value (gst_caps_get_structure (caps, 0), "streamheader",
      &array);
  if (self->direct)
    gst_caps_replace (&self->direct_caps, caps);
  else
    gst_aggregator_set_src_caps (GST_AGGREGATOR (self), caps);
  gst_caps_unref (caps);

  self->init_pushed = TRUE;
  GST_OBJECT_LOCK (self);
  self->inits_written++;
  self->bytes_written += gst_buffer_get_size (self->init);
  GST_OBJECT_UNLOCK (self);
  GST_DEBUG_OBJECT (self, "pushing init segment of %" G_GSIZE_FORMAT " bytes",
      gst_buffer_get_size (self->init));
  return mux_push (self, gst_buffer_ref (self->init), NULL);
}

/* Number of leading samples of @pad before @time. */
static guint
samples_before (GstArclyFmp4MuxPad * pad, guint64 time)
{
  guint n = 0;

  while (n < pad->samples->len &&
      g_array_index (pad->samples, Sample, n).dts < time)
    n++;
  return n;
}

/* Duration of the last sample taken when its successor is not there yet:
 * the buffer's own, else the previous one, else one frame. */
static guint32
estimate_duration (GstArclyFmp4MuxPad * pad, const Sample * s,
    GstClockTime buf_duration)
{
  if (GST_CLOCK_TIME_IS_VALID (buf_duration) && buf_duration > 0)
    return (guint32) MIN (to_timescale (buf_duration, pad->timescale),
        G_MAXUINT32);
  if (pad->last_duration > 0)
    return pad->last_duration;
  if (pad->is_video && pad->fps_n > 0)
    return (guint32) gst_util_uint64_scale (pad->timescale, pad->fps_d,
        pad->fps_n);
  if (!pad->is_video && pad->frame_length > 0)
    return pad->frame_length;
  return pad->is_video ? pad->timescale / 30 : 1024;
}

/* Moves the samples before @time of every track in the init, track after
 * track (the mdat order), to @list and drops them from the queues.  No
 * payload byte is copied: each list buffer shares the memory of its sample.
 * They are DELTA_UNIT with no timestamps: only the first buffer of the list
 * (moof + mdat header) starts a unit and carries its timing. */
static void
take_samples (GList * sorted, guint64 time, GstBufferList * list)
{
  GList *l;
  guint i;

  for (l = sorted; l; l = l->next) {
    GstArclyFmp4MuxPad *p = l->data;
    guint n;

    if (!p->in_init)
      continue;
    n = samples_before (p, time);
    for (i = 0; i < n; i++) {
      Sample *s = &g_array_index (p->samples, Sample, i);
      GstBuffer *b;

      p->pending_bytes -= gst_buffer_get_size (s->buf);
      b = gst_buffer_new ();
      gst_buffer_copy_into (b, s->buf, GST_BUFFER_COPY_MEMORY, 0, -1);
      GST_BUFFER_FLAG_SET (b, GST_BUFFER_FLAG_DELTA_UNIT);
      gst_buffer_list_add (list, b);
    }
    g_array_remove_range (p->samples, 0, n);
  }
}

static guint
runs_samples (GArray * runs)
{
  guint i, n = 0;

  for (i = 0; i < runs->len; i++)
    n += g_array_index (runs, ArclyMp4Run, i).n_samples;
  return n;
}

/* Writes the samples of every track in the init before @cut.time as one
 * moof + mdat unit, and pushes it as a buffer list. */
static GstFlowReturn
emit_chunk (GstArclyFmp4Mux * self, GList * pads, const Cut * cut)
{
  GList *sorted = g_list_sort (g_list_copy (pads), compare_track_id), *l;
  GstArclyFmp4MuxPad *ref = reference_pad (pads);
  GArray *runs = g_array_new (FALSE, TRUE, sizeof (ArclyMp4Run));
  GPtrArray *tables = g_ptr_array_new_with_free_func (g_free);
  GByteArray *header = g_byte_array_new ();
  guint64 payload = 0, ref_dts = 0, ref_end = 0, ref_pts = G_MAXUINT64;
  gboolean have_ref = FALSE, ref_sync = FALSE;
  GstBuffer *out = NULL;
  GstBufferList *list = NULL;
  GstFlowReturn ret = GST_FLOW_OK;
  guint i;

  /* timing comes from the reference track, or, when it has nothing here
   * (it ended), from the first track that has */
  if (ref == NULL || !ref->in_init || samples_before (ref, cut->time) == 0) {
    ref = NULL;
    for (l = sorted; l && ref == NULL; l = l->next) {
      GstArclyFmp4MuxPad *p = l->data;

      if (p->in_init && samples_before (p, cut->time) > 0)
        ref = p;
    }
  }

  for (l = sorted; l; l = l->next) {
    GstArclyFmp4MuxPad *p = l->data;
    ArclyMp4Run run = { 0, };
    ArclyMp4Sample *table;
    guint n;
    guint64 end_ts;

    if (!p->in_init)
      continue;
    n = samples_before (p, cut->time);
    if (n == 0)
      continue;
    table = g_new0 (ArclyMp4Sample, n);
    for (i = 0; i < n; i++) {
      Sample *s = &g_array_index (p->samples, Sample, i);

      if (!s->has_duration) {
        s->duration = estimate_duration (p, s, GST_BUFFER_DURATION (s->buf));
        s->has_duration = TRUE;
      }
      table[i].size = gst_buffer_get_size (s->buf);
      table[i].duration = s->duration;
      table[i].sync = s->sync;
      table[i].cts_offset = (gint32) CLAMP ((gint64) s->pts_ts -
          (gint64) s->dts_ts, G_MININT32, G_MAXINT32);
      p->last_duration = s->duration;
      if (p == ref && from_timescale (s->pts_ts, p->timescale) < ref_pts)
        ref_pts = from_timescale (s->pts_ts, p->timescale);
    }
    GST_OBJECT_LOCK (self);
    p->frames_written += n;
    for (i = 0; i < n; i++)
      p->bytes_written += table[i].size;
    GST_OBJECT_UNLOCK (self);
    run.track_id = p->track_id;
    run.base_decode_time = g_array_index (p->samples, Sample, 0).dts_ts;
    run.samples = table;
    run.n_samples = n;
    g_array_append_val (runs, run);
    g_ptr_array_add (tables, table);

    if (p == ref) {
      const Sample *last = &g_array_index (p->samples, Sample, n - 1);

      const Sample *first = &g_array_index (p->samples, Sample, 0);

      have_ref = TRUE;
      ref_sync = table[0].sync;
      ref_dts = from_timescale (run.base_decode_time, p->timescale);
      /* the reorder delay of the stream, from its first keyframe */
      if (ref_sync && !self->have_pts_shift) {
        self->have_pts_shift = TRUE;
        self->pts_shift = (gint64) first->pts - (gint64) first->dts;
      }
      end_ts = last->dts_ts + last->duration;
      ref_end = from_timescale (end_ts, p->timescale);
    }
  }

  if (runs->len == 0) {
    GST_LOG_OBJECT (self, "nothing to write before %" GST_TIME_FORMAT,
        GST_TIME_ARGS (cut->time));
    goto done;
  }
  if (!arcly_mp4_write_fragment_header (header, self->sequence,
          (ArclyMp4Run *) runs->data, runs->len, &payload) ||
      payload > G_MAXSIZE - header->len) {
    GST_ELEMENT_ERROR (self, STREAM, MUX, ("Could not write an MP4 fragment."),
        ("fragment %u too large or invalid", self->sequence));
    ret = GST_FLOW_ERROR;
    goto done;
  }
  self->sequence++;

  {
    gsize header_size = header->len;

    out = gst_buffer_new_wrapped (g_byte_array_free (g_steal_pointer
            (&header), FALSE), header_size);
  }
  /* Non-delta when a keyframe starts it, or, with no video, when it starts a
   * fragment; see the element documentation. */
  if (!(have_ref && ref->is_video ? ref_sync : self->next_starts_fragment))
    GST_BUFFER_FLAG_SET (out, GST_BUFFER_FLAG_DELTA_UNIT);
  if (have_ref) {
    /* Back to running time for downstream.  Only PTS: a segmenter measures
     * presentation time, and with B-frames a keyframe's decode time lies
     * before its presentation time, which would make segments look short
     * by the reorder delay.  PTS = first decode time + the stream's reorder
     * delay (so it is the keyframe's PTS on keyframe chunks), DURATION = the
     * decode-time span: consecutive buffers tile exactly. */
    gint64 pts_rt = (self->have_pts_shift ? (gint64) ref_dts +
        self->pts_shift : (gint64) ref_pts) - self->ts_offset;

    GST_BUFFER_PTS (out) = pts_rt >= 0 ? (GstClockTime) pts_rt : 0;
    GST_BUFFER_DURATION (out) = ref_end > ref_dts ? ref_end - ref_dts : 0;
  }
  GST_CAT_LOG_OBJECT (arcly_fmp4_mux_dataflow, self,
      "chunk %u: %" G_GSIZE_FORMAT " + %" G_GUINT64_FORMAT " bytes, pts %"
      GST_TIME_FORMAT " duration %" GST_TIME_FORMAT "%s", self->sequence - 1,
      gst_buffer_get_size (out), payload,
      GST_TIME_ARGS (GST_BUFFER_PTS (out)),
      GST_TIME_ARGS (GST_BUFFER_DURATION (out)),
      GST_BUFFER_FLAG_IS_SET (out, GST_BUFFER_FLAG_DELTA_UNIT) ? " delta" : "");

  /* The unit goes out as a buffer list: this moof + mdat header, then the
   * samples themselves (their memory shared, not copied).  One buffer would
   * mean copying the whole payload: a GstBuffer merges (copies) its
   * memories past 16. */
  GST_OBJECT_LOCK (self);
  self->chunks_written++;
  if (self->next_starts_fragment)
    self->fragments_written++;
  self->bytes_written += gst_buffer_get_size (out) + payload;
  GST_OBJECT_UNLOCK (self);
  list = gst_buffer_list_new_sized (1 + runs_samples (runs));
  gst_buffer_list_add (list, g_steal_pointer (&out));
  take_samples (sorted, cut->time, list);

  if (!self->init_pushed)
    ret = push_init (self);
  if (ret == GST_FLOW_OK)
    ret = mux_push (self, NULL, g_steal_pointer (&list));

done:
  gst_clear_buffer (&out);
  if (list)
    gst_buffer_list_unref (list);
  self->next_starts_fragment = cut->fragment;
  g_list_free (sorted);
  g_array_unref (runs);
  g_ptr_array_unref (tables);
  if (header)
    g_byte_array_unref (header);
  return ret;
}

/* A cut can be written once every configured track has a sample at or
 * after it (so each duration is known), is EOS, or - on a live timeout -
 * has nothing queued. */
static gboolean
cut_ready (GList * pads, const Cut * cut, gboolean timeout)
{
  GList *l;

  for (l = pads; l; l = l->next) {
    GstArclyFmp4MuxPad *p = l->data;

    if (!p->configured)
      continue;
    if (p->have_last_dts && p->last_dts >= cut->time)
      continue;
    if (!mpad_has_buffer (p) && (timeout || mpad_is_eos (p)))
      continue;
    return FALSE;
  }
  return TRUE;
}

static gboolean
init_equal (GstBuffer * a, GstBuffer * b)
{
  GstMapInfo map;
  gboolean same;

  if (a == NULL || b == NULL || gst_buffer_get_size (a) !=
      gst_buffer_get_size (b) || !gst_buffer_map (a, &map, GST_MAP_READ))
    return FALSE;
  same = gst_buffer_memcmp (b, 0, map.data, map.size) == 0;
  gst_buffer_unmap (a, &map);
  return same;
}

static GstFlowReturn
emit_ready (GstArclyFmp4Mux * self, GList * pads, gboolean timeout)
{
  GstFlowReturn ret = GST_FLOW_OK;

  while (ret == GST_FLOW_OK && self->cuts->len > 0) {
    Cut cut = g_array_index (self->cuts, Cut, 0);
    gboolean tracks_changed;

    if (!cut_ready (pads, &cut, timeout))
      break;
    g_array_remove_index (self->cuts, 0);

    if (self->init == NULL && !build_init (self, pads))
      return GST_FLOW_ERROR;
    ret = emit_chunk (self, pads, &cut);

    GST_OBJECT_LOCK (self);
    tracks_changed = self->tracks_changed;
    self->tracks_changed = FALSE;
    GST_OBJECT_UNLOCK (self);
    if (ret == GST_FLOW_OK && (cut.new_init || tracks_changed)) {
      GstBuffer *old = self->init ? gst_buffer_ref (self->init) : NULL;
      gboolean ok = build_init (self, pads);

      if (ok && !init_equal (old, self->init)) {
        GST_INFO_OBJECT (self, "configuration changed: new init segment");
        self->init_pushed = FALSE;
      }
      gst_clear_buffer (&old);
      if (!ok)
        return GST_FLOW_ERROR;
    }
  }
  return ret;
}

static void
add_cut (GstArclyFmp4Mux * self, guint64 time, gboolean fragment,
    gboolean new_init)
{
  Cut cut = { time, fragment, new_init };

  /* cuts are in time order; a second cut at the same time merges */
  if (self->cuts->len > 0) {
    Cut *last = &g_array_index (self->cuts, Cut, self->cuts->len - 1);

    if (last->time >= time) {
      last->fragment |= fragment;
      last->new_init |= new_init;
      return;
    }
  }
  GST_DEBUG_OBJECT (self, "%s cut at %" GST_TIME_FORMAT "%s",
      fragment ? "fragment" : "chunk", GST_TIME_ARGS (time),
      new_init ? " with new init" : "");
  g_array_append_val (self->cuts, cut);
  self->chunk_start = time;
  if (fragment)
    self->frag_start = time;
}

/* ------------------------------------------------------------------ */
/* Input */

static GstClockTime
frag_duration_of (GstArclyFmp4Mux * self)
{
  GstClockTime d;

  GST_OBJECT_LOCK (self);
  d = self->fragment_duration;
  GST_OBJECT_UNLOCK (self);
  return d;
}

/* Decides whether the sample at @dts on the reference track cuts. */
static void
reference_sample (GstArclyFmp4Mux * self, guint64 dts, gboolean sync,
    gsize pending_bytes)
{
  GstClockTime frag_dur, chunk_dur, span;

  GST_OBJECT_LOCK (self);
  frag_dur = self->fragment_duration;
  chunk_dur = self->chunk_duration;
  GST_OBJECT_UNLOCK (self);

  if (!self->have_frag_start) {
    self->have_frag_start = TRUE;
    self->frag_start = self->chunk_start = dts;
    return;
  }
  /* a cut made on another track may lie a little ahead of this sample */
  span = dts > self->frag_start ? dts - self->frag_start + DURATION_SLACK : 0;
  if (sync && span >= frag_dur) {
    add_cut (self, dts, TRUE, FALSE);
  } else if (span >= MAX (10 * frag_dur, MIN_FORCED_CUT_SPAN) ||
      pending_bytes > MAX_PENDING_BYTES) {
    GST_WARNING_OBJECT (self, "no keyframe for %" GST_TIME_FORMAT
        ", cutting a fragment on a delta frame", GST_TIME_ARGS (span));
    add_cut (self, dts, TRUE, FALSE);
  } else if (chunk_dur > 0 && dts > self->chunk_start &&
      (sync || dts - self->chunk_start + DURATION_SLACK >= chunk_dur)) {
    /* A keyframe inside a fragment also starts a chunk: an LL-HLS part
     * that begins with it is INDEPENDENT, and a player joining the stream
     * can start there instead of a whole fragment back. */
    add_cut (self, dts, FALSE, FALSE);
  }
}

/* Is the sample at @dts on @pad (its buffer @buf) the first after a gap
 * in the track (muxcommon.h: the same rule as arclyhlssink's)? */
static gboolean
sample_after_gap (GstArclyFmp4Mux * self, GstArclyFmp4MuxPad * pad,
    GstBuffer * buf, guint64 dts)
{
  GstClockTime hole = ARCLY_GAP_MAX_HOLE, chunk, frame = 0;

  if (!pad->have_last_dts)
    return FALSE;
  if (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DISCONT))
    return TRUE;
  GST_OBJECT_LOCK (self);
  chunk = self->chunk_duration;
  GST_OBJECT_UNLOCK (self);
  if (chunk > 0)
    hole = MIN (hole, chunk * ARCLY_CHUNKS_PER_PART);
  if (GST_CLOCK_TIME_IS_VALID (pad->last_in_dur)) {
    frame = pad->last_in_dur;
    hole = MAX (hole, 3 * frame);
  }
  return dts > pad->last_dts + frame + hole;
}

/* The newest queued sample of @pad is the last before a gap: it lasts
 * its own duration, not until the sample after the gap. */
static void
end_before_gap (GstArclyFmp4MuxPad * pad)
{
  Sample *prev;

  if (pad->samples->len == 0)
    return;                     /* written already, with its own duration */
  prev = &g_array_index (pad->samples, Sample, pad->samples->len - 1);
  if (!prev->has_duration) {
    prev->duration = estimate_duration (pad, prev, pad->last_in_dur);
    prev->has_duration = TRUE;
  }
}

/* Takes @buf (owned) from @pad: validates, converts and queues it, and
 * records the cut it causes. */
static void
handle_buffer (GstArclyFmp4Mux * self, GList * pads, GstArclyFmp4MuxPad * pad,
    GstBuffer * buf, gint64 dts_rt, gint64 pts_rt)
{
  GstArclyFmp4MuxPad *ref = reference_pad (pads);
  gboolean sync = !GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
  GstBuffer *sample_buf = NULL;
  Sample s = { 0, };
  guint64 dts, pts;
  gsize pending = 0;
  gboolean gap;
  GList *l;

  if (!pad->is_video)
    sync = TRUE;
  if (gst_buffer_get_size (buf) == 0) {
    drop_warning (pad, "empty buffer");
    goto drop;
  }
  if (!pad->configured && !pad->byte_stream) {
    drop_warning (pad, "no caps");
    goto drop;
  }

  /* Audio before the first video keyframe is dropped, and does not start
   * the timeline: a camera's video may come more than the start grace
   * after its audio (muxcommon.h), with earlier timestamps. */
  if (!pad->is_video && !self->seen_video_key && has_video_pad (pads)) {
    GST_DEBUG_OBJECT (pad, "audio before the first video keyframe dropped");
    goto drop;
  }
  if (!self->have_offset) {
    self->have_offset = TRUE;
    self->ts_offset = -dts_rt;
    GST_DEBUG_OBJECT (self, "timeline offset %" G_GINT64_FORMAT " ns",
        self->ts_offset);
  }
  if (dts_rt + self->ts_offset < 0 || pts_rt + self->ts_offset < 0) {
    drop_warning (pad, "timestamp before the start of the stream");
    goto drop;
  }
  dts = dts_rt + self->ts_offset;
  pts = pts_rt + self->ts_offset;
  if (pad->have_last_dts && (dts < pad->last_in_dts || (!pad->is_video
              && dts <= pad->last_dts))) {
    drop_warning (pad, "decode timestamp not increasing");
    goto drop;
  }
  gap = sample_after_gap (self, pad, buf, dts);
  if (pad->have_last_dts && to_timescale (dts, pad->timescale) <=
      to_timescale (pad->last_dts, pad->timescale)) {
    /* A video frame on the previous one's tick of the track's timescale
     * (a camera repeating an RTP timestamp): a sample needs a duration,
     * and dropping the frame would break the GOP's references, so it
     * moves to the next tick. */
    guint64 tick = to_timescale (pad->last_dts, pad->timescale) + 1;

    GST_DEBUG_OBJECT (pad, "DTS %" GST_TIME_FORMAT " on the previous "
        "sample's tick: moved to the next", GST_TIME_ARGS (dts));
    pad->last_in_dts = dts;
    dts = gst_util_uint64_scale_ceil (2 * tick - 1, GST_SECOND,
        2 * (guint64) pad->timescale);
    pts = MAX (pts, dts);
  } else {
    pad->last_in_dts = dts;
  }

  if (pad->is_video && pad->byte_stream) {
    sample_buf = convert_byte_stream (self, pad, buf, &sync);
    if (sample_buf == NULL)
      goto drop;
  } else {
    sample_buf = gst_buffer_ref (buf);
  }
  if (pad->is_video && !GST_BUFFER_PTS_IS_VALID (buf)
      && !pad->reorder_checked && pad->h265 && pad->sps->len > 0) {
    gsize size;
    const guint8 *nal = g_bytes_get_data (g_ptr_array_index (pad->sps, 0),
        &size);

    pad->reorder_checked = TRUE;
    arcly_mux_check_dts_only_h265 (GST_ELEMENT (self), GST_PAD (pad), nal,
        size);
  } else if (pad->is_video && !GST_BUFFER_PTS_IS_VALID (buf)
      && !pad->reorder_checked && pad->sps->len > 0) {
    /* PTS = DTS (buffer_times): checked once against the SPS */
    gsize size;
    const guint8 *nal = g_bytes_get_data (g_ptr_array_index (pad->sps, 0),
        &size);

    pad->reorder_checked = TRUE;
    arcly_mux_check_dts_only_video (GST_ELEMENT (self), GST_PAD (pad), nal,
        size);
  }

  /* Fragments start on a keyframe: video before the first one, and audio
   * before it, is dropped. */
  if (pad->is_video && !self->seen_video_key) {
    if (!sync) {
      GST_DEBUG_OBJECT (pad, "waiting for the first keyframe");
      goto drop;
    }
    self->seen_video_key = TRUE;
  }

  if (gap) {
    /* A camera that dropped and came back: the sample before the gap
     * keeps its own duration and the samples after it start a new moof,
     * at their own decode time.  A player maps what follows a
     * discontinuity right behind what came before it (hls.js), and a
     * sample stretched over the hole would then overlap the media after
     * it (hls.js stalled after a camera drop).  The cut is at the first
     * sample after the gap of whichever track comes back first. */
    GST_DEBUG_OBJECT (pad, "gap before %" GST_TIME_FORMAT ": new moof",
        GST_TIME_ARGS (dts));
    end_before_gap (pad);
    add_cut (self, dts, pad == ref && sync, FALSE);
  }

  /* A new configuration, or a track the init does not have yet: cut here
   * and send a new init segment before the next buffer. */
  if (pad->reconfigure || (self->init != NULL && !pad->in_init)) {
    if (pad->is_video && !sync)
      GST_WARNING_OBJECT (pad, "configuration changed on a delta frame");
    add_cut (self, dts, TRUE, TRUE);
    pad->reconfigure = FALSE;
  } else if (pad == ref || (pad_finished (ref) && ref->have_last_dts &&
          dts > ref->last_dts + frag_duration_of (self))) {
    /* the reference track, or another one once the reference ended a
     * fragment ago (audio outliving video keeps being cut) */
    for (l = pads; l; l = l->next)
      pending += GST_ARCLY_FMP4_MUX_PAD (l->data)->pending_bytes;
    reference_sample (self, dts, sync, pending);
  }

  /* The previous sample's duration is now known (unless a gap set it). */
  if (pad->samples->len > 0) {
    Sample *prev = &g_array_index (pad->samples, Sample, pad->samples->len - 1);
    guint64 d = to_timescale (dts, pad->timescale) - prev->dts_ts;

    if (!prev->has_duration) {
      prev->duration = (guint32) MIN (d, G_MAXUINT32);
      prev->has_duration = TRUE;
    }
  }
  if (GST_BUFFER_DURATION_IS_VALID (buf) && GST_BUFFER_DURATION (buf) > 0)
    pad->last_in_dur = GST_BUFFER_DURATION (buf);
  else if (pad->have_last_dts && !gap && dts > pad->last_dts)
    pad->last_in_dur = dts - pad->last_dts;

  s.buf = sample_buf;
  s.dts = dts;
  s.pts = pts;
  s.dts_ts = to_timescale (dts, pad->timescale);
  s.pts_ts = to_timescale (pts, pad->timescale);
  s.sync = sync;
  g_array_append_val (pad->samples, s);
  pad->pending_bytes += gst_buffer_get_size (sample_buf);
  pad->have_last_dts = TRUE;
  pad->last_dts = dts;
  GST_CAT_LOG_OBJECT (arcly_fmp4_mux_dataflow, pad, "queued sample dts %"
      GST_TIME_FORMAT " pts %" GST_TIME_FORMAT " %" G_GSIZE_FORMAT " bytes%s",
      GST_TIME_ARGS (dts), GST_TIME_ARGS (pts),
      gst_buffer_get_size (sample_buf), sync ? " sync" : "");
  gst_buffer_unref (buf);
  return;

drop:
  GST_OBJECT_LOCK (self);
  pad->frames_dropped++;
  GST_OBJECT_UNLOCK (self);
  gst_clear_buffer (&sample_buf);
  gst_buffer_unref (buf);
}

/* Running times of a buffer's DTS (PTS when it has none) and PTS. */
static gboolean
buffer_times (GstAggregatorPad * pad, GstBuffer * buf, gint64 * dts,
    gint64 * pts)
{
  GstClockTime d = GST_BUFFER_DTS_OR_PTS (buf), p = GST_BUFFER_PTS (buf);
  guint64 rt;
  gint sign;

  if (!GST_CLOCK_TIME_IS_VALID (d))
    return FALSE;
  if (!GST_CLOCK_TIME_IS_VALID (p))
    p = d;
  sign = gst_segment_to_running_time_full (&pad->segment, GST_FORMAT_TIME, d,
      &rt);
  if (sign == 0)
    return FALSE;
  *dts = sign > 0 ? (gint64) rt : -(gint64) rt;
  sign = gst_segment_to_running_time_full (&pad->segment, GST_FORMAT_TIME, p,
      &rt);
  if (sign == 0)
    return FALSE;
  *pts = sign > 0 ? (gint64) rt : -(gint64) rt;
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* GstAggregator vfuncs */

/* Buffers taken per aggregate call at most, while every pad has data:
 * saves the base class a round of pad checks per buffer. */
#define MAX_BUFFERS_PER_CALL 64

/* The pad whose head buffer has the earliest decode time.  With
 * @need_all, NULL as soon as a pad that is not EOS has nothing queued (the
 * order could not be known).  A buffer without usable timestamps is dropped
 * (*@dropped set). */
static GstArclyFmp4MuxPad *
pick_earliest (GList * pads, gboolean need_all, gint64 * best_dts,
    gint64 * best_pts, gboolean * all_eos, gboolean * dropped)
{
  GstArclyFmp4MuxPad *best = NULL;
  GList *l;

  *all_eos = TRUE;
  *dropped = FALSE;
  for (l = pads; l; l = l->next) {
    GstAggregatorPad *ap = l->data;
    GstBuffer *buf;
    gint64 dts, pts;
    gboolean eos = mpad_is_eos (l->data);

    buf = mpad_peek (l->data);
    if (buf == NULL) {
      if (!eos) {
        *all_eos = FALSE;
        if (need_all)
          return NULL;
      }
      continue;
    }
    *all_eos = FALSE;
    if (!buffer_times (ap, buf, &dts, &pts)) {
      GstObject *mux = GST_OBJECT_PARENT (ap);   /* pads are ours here */

      drop_warning (GST_ARCLY_FMP4_MUX_PAD (ap), "no valid timestamp");
      if (mux) {
        GST_OBJECT_LOCK (mux);
        GST_ARCLY_FMP4_MUX_PAD (ap)->frames_dropped++;
        GST_OBJECT_UNLOCK (mux);
      }
      gst_buffer_unref (buf);
      buf = mpad_pop (l->data);
      gst_clear_buffer (&buf);
      *dropped = TRUE;
      return NULL;
    }
    if (best == NULL || dts < *best_dts) {
      best = l->data;
      *best_dts = dts;
      *best_pts = pts;
    }
    gst_buffer_unref (buf);
  }
  return best;
}

/* Every input ended: everything left goes out as a last fragment.  EOS
 * when that went well. */
static GstFlowReturn
drain (GstArclyFmp4Mux * self, GList * pads)
{
  GstFlowReturn ret;

  GST_DEBUG_OBJECT (self, "all pads EOS, draining");
  add_cut (self, G_MAXUINT64, TRUE, FALSE);
  ret = emit_ready (self, pads, TRUE);
  return ret == GST_FLOW_OK ? GST_FLOW_EOS : ret;
}

static GstFlowReturn
gst_arcly_fmp4_mux_aggregate (GstAggregator * agg, gboolean timeout)
{
  GstArclyFmp4Mux *self = GST_ARCLY_FMP4_MUX (agg);
  GList *pads = get_pads (self);
  GstFlowReturn ret = GST_FLOW_OK;
  gboolean all_eos = FALSE, dropped = FALSE;
  guint n;

  /* Earliest decode time first, so every track is fed in time order.  The
   * base class calls us when every pad has data (or on a live timeout);
   * after the first buffer, go on only while that still holds. */
  for (n = 0; n < MAX_BUFFERS_PER_CALL && ret == GST_FLOW_OK; n++) {
    gint64 dts = 0, pts = 0;
    GstArclyFmp4MuxPad *best = pick_earliest (pads, n > 0, &dts, &pts,
        &all_eos, &dropped);
    GstBuffer *buf;

    if (best == NULL)
      break;
    buf = mpad_pop (best);
    if (buf == NULL)
      break;
    gst_aggregator_selected_samples (agg, GST_BUFFER_PTS (buf),
        GST_BUFFER_DTS (buf), GST_BUFFER_DURATION (buf), NULL);
    handle_buffer (self, pads, best, buf, dts, pts);
    ret = emit_ready (self, pads, timeout);
  }
  if (n == 0 && !dropped && ret == GST_FLOW_OK)
    ret = emit_ready (self, pads, timeout);

  if (ret == GST_FLOW_OK && n == 0 && all_eos)
    ret = drain (self, pads);
  free_pads (pads);
  return ret;
}

/* ------------------------------------------------------------------ */
/* input-thread mode: muxing on the threads that push (see Threading) */

static void reset_state (GstArclyFmp4Mux * self);

/* (direct_lock) Whether the inputs with data may go on without the
 * non-EOS ones that have none: the data queued reaches DIRECT_WAIT (plus
 * ARCLY_MUX_START_GRACE while a silent input has not delivered anything)
 * past the oldest buffer queued; without a live source, DIRECT_MAX_WAIT. */
static gboolean
direct_waited_enough (GstArclyFmp4Mux * self, GList * pads)
{
  gint64 oldest = G_MAXINT64, newest = G_MININT64, wait = -1;
  gboolean live = FALSE;
  GList *l;

  /* live when an input's upstream is (direct_chain asked it) */
  for (l = pads; l; l = l->next)
    live |= g_atomic_int_get (&GST_ARCLY_FMP4_MUX_PAD (l->data)->direct_live)
        == 1;

  for (l = pads; l; l = l->next) {
    GstArclyFmp4MuxPad *p = l->data;
    GstBuffer *head = g_queue_peek_head (&p->direct_q);
    GstBuffer *tail = g_queue_peek_tail (&p->direct_q);
    gint64 dts, pts;

    if (head == NULL) {
      if (!p->direct_eos)
        wait = MAX (wait, (gint64) (!live ? DIRECT_MAX_WAIT : DIRECT_WAIT +
                (p->have_last_dts ? 0 : ARCLY_MUX_START_GRACE)));
      continue;
    }
    if (buffer_times (GST_AGGREGATOR_PAD (p), head, &dts, &pts))
      oldest = MIN (oldest, dts);
    if (buffer_times (GST_AGGREGATOR_PAD (p), tail, &dts, &pts))
      newest = MAX (newest, dts);
  }
  return wait >= 0 && oldest != G_MAXINT64 && newest != G_MININT64 &&
      newest - oldest >= wait;
}

/* (direct_lock) Muxes what the queues allow, as aggregate() does with the
 * base class; at the end of every input, drains and pushes EOS. */
static GstFlowReturn
direct_run (GstArclyFmp4Mux * self)
{
  GList *pads = get_pads (self);
  GstFlowReturn ret = GST_FLOW_OK;

  while (ret == GST_FLOW_OK) {
    gint64 dts = 0, pts = 0;
    gboolean all_eos = FALSE, dropped = FALSE, timeout = FALSE;
    GstArclyFmp4MuxPad *best = pick_earliest (pads, TRUE, &dts, &pts,
        &all_eos, &dropped);
    GstBuffer *buf;

    if (dropped)
      continue;
    if (best == NULL && !all_eos && direct_waited_enough (self, pads)) {
      timeout = TRUE;
      best = pick_earliest (pads, FALSE, &dts, &pts, &all_eos, &dropped);
      if (dropped)
        continue;
    }
    if (best == NULL) {
      if (all_eos && !self->direct_eos_sent) {
        ret = drain (self, pads);
        self->direct_eos_sent = TRUE;
        gst_pad_push_event (GST_AGGREGATOR_SRC_PAD (self), gst_event_new_eos ());
      }
      break;
    }
    buf = mpad_pop (best);
    handle_buffer (self, pads, best, buf, dts, pts);
    ret = emit_ready (self, pads, timeout);
  }
  free_pads (pads);
  return ret;
}

static GstFlowReturn
direct_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  GstArclyFmp4Mux *self = GST_ARCLY_FMP4_MUX (parent);
  GstArclyFmp4MuxPad *p = GST_ARCLY_FMP4_MUX_PAD (pad);
  GstFlowReturn ret;

  if (!self->direct)
    return p->agg_chain (pad, parent, buf);

  /* Is upstream live?  Asked once per run, here, as pads may be linked
   * after the pipeline's own latency query (a source adding pads while
   * playing): the base class's view would say not live until the next. */
  if (g_atomic_int_get (&p->direct_live) < 0) {
    GstQuery *q = gst_query_new_latency ();
    gboolean live = FALSE;

    if (gst_pad_peer_query (pad, q))
      gst_query_parse_latency (q, &live, NULL, NULL);
    gst_query_unref (q);
    g_atomic_int_set (&p->direct_live, live ? 1 : 0);
  }

  g_mutex_lock (&self->direct_lock);
  if (p->direct_flushing)
    ret = GST_FLOW_FLUSHING;
  else if (p->direct_eos)
    ret = GST_FLOW_EOS;
  else
    ret = self->direct_flow;
  if (ret != GST_FLOW_OK) {
    g_mutex_unlock (&self->direct_lock);
    gst_buffer_unref (buf);
    return ret;
  }
  g_queue_push_tail (&p->direct_q, buf);
  ret = direct_run (self);
  /* EOS here is the muxer's end (all inputs ended), not this pad's */
  g_mutex_unlock (&self->direct_lock);
  return ret;
}

static GstFlowReturn
direct_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  GstArclyFmp4Mux *self = GST_ARCLY_FMP4_MUX (parent);
  GstArclyFmp4MuxPad *p = GST_ARCLY_FMP4_MUX_PAD (pad);
  GstPad *srcpad = GST_AGGREGATOR_SRC_PAD (self);
  gboolean ok = TRUE;

  if (!self->direct)
    return p->agg_event (pad, parent, event);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_FLUSH_START:
      /* unblock a push in progress first: it holds direct_lock */
      gst_pad_push_event (srcpad, gst_event_ref (event));
      g_mutex_lock (&self->direct_lock);
      p->direct_flushing = TRUE;
      g_mutex_unlock (&self->direct_lock);
      break;
    case GST_EVENT_FLUSH_STOP:
      g_mutex_lock (&self->direct_lock);
      g_queue_clear_full (&p->direct_q, (GDestroyNotify) gst_buffer_unref);
      p->direct_flushing = FALSE;
      p->direct_eos = FALSE;
      g_atomic_int_set (&p->direct_live, -1);
      reset_state (self);
      self->direct_flow = GST_FLOW_OK;
      self->direct_eos_sent = FALSE;
      self->direct_need_segment = TRUE;
      gst_pad_push_event (srcpad, gst_event_ref (event));
      g_mutex_unlock (&self->direct_lock);
      break;
    case GST_EVENT_SEGMENT:{
      GstSegment seg;

      gst_event_copy_segment (event, &seg);
      if (seg.format != GST_FORMAT_TIME) {
        GST_ELEMENT_ERROR (self, STREAM, FORMAT, (NULL),
            ("%s: segment in %s, not time", GST_PAD_NAME (pad),
                gst_format_get_name (seg.format)));
        ok = FALSE;
        break;
      }
      g_mutex_lock (&self->direct_lock);
      GST_OBJECT_LOCK (pad);
      GST_AGGREGATOR_PAD (pad)->segment = seg;
      GST_OBJECT_UNLOCK (pad);
      g_mutex_unlock (&self->direct_lock);
      break;
    }
    case GST_EVENT_CAPS:{
      GstCaps *caps;

      gst_event_parse_caps (event, &caps);
      g_mutex_lock (&self->direct_lock);
      ok = pad_set_caps (self, p, caps);
      g_mutex_unlock (&self->direct_lock);
      break;
    }
    case GST_EVENT_EOS:
      g_mutex_lock (&self->direct_lock);
      p->direct_eos = TRUE;
      if (!p->direct_flushing)
        direct_run (self);
      g_mutex_unlock (&self->direct_lock);
      break;
    case GST_EVENT_STREAM_START:
    case GST_EVENT_GAP:
      /* ours go out with the first buffer; a gap is a silent input */
      break;
    default:
      /* tags, custom events: the base class's handling */
      return p->agg_event (pad, parent, event);
  }
  gst_event_unref (event);
  return ok ? GST_FLOW_OK : GST_FLOW_ERROR;
}

static gboolean
pad_started (GstAggregatorPad * pad)
{
  return GST_ARCLY_FMP4_MUX_PAD (pad)->have_last_dts;
}

/* Live: when an input stops, the others go on after the latency
 * (muxcommon.h). */
static GstClockTime
gst_arcly_fmp4_mux_get_next_time (GstAggregator * agg)
{
  /* input-thread mode: nothing is ever queued on the base class's pads */
  if (GST_ARCLY_FMP4_MUX (agg)->direct)
    return GST_CLOCK_TIME_NONE;
  return arcly_mux_next_time (agg, pad_started,
      &GST_ARCLY_FMP4_MUX (agg)->first_rt);
}

static gboolean
gst_arcly_fmp4_mux_sink_event (GstAggregator * agg, GstAggregatorPad * apad,
    GstEvent * event)
{
  GstArclyFmp4Mux *self = GST_ARCLY_FMP4_MUX (agg);

  if (GST_EVENT_TYPE (event) == GST_EVENT_CAPS) {
    GstCaps *caps;
    gboolean ok;

    gst_event_parse_caps (event, &caps);
    ok = pad_set_caps (self, GST_ARCLY_FMP4_MUX_PAD (apad), caps);
    gst_event_unref (event);
    return ok;
  }
  return GST_AGGREGATOR_CLASS (gst_arcly_fmp4_mux_parent_class)->sink_event
      (agg, apad, event);
}

static GstFlowReturn
gst_arcly_fmp4_mux_update_src_caps (GstAggregator * agg, GstCaps * caps,
    GstCaps ** ret)
{
  GstCaps *cur = gst_pad_get_current_caps (GST_AGGREGATOR_SRC_PAD (agg));

  /* Our caps carry the init segment: only known once we wrote it. */
  if (cur == NULL)
    return GST_AGGREGATOR_FLOW_NEED_DATA;
  *ret = cur;
  return GST_FLOW_OK;
}

/* Pads queue NON_LIVE_QUEUE each without a live source (aggqueue.h).
 * TRUE when the "latency" property changed. */
static gboolean
auto_queue_latency (GstArclyFmp4Mux * self, gboolean live)
{
  if (!arcly_agg_queue_update (GST_AGGREGATOR (self), &self->queue, live))
    return FALSE;
  GST_DEBUG_OBJECT (self, "%s input: aggregator latency %" GST_TIME_FORMAT,
      live ? "live" : "non-live", GST_TIME_ARGS (live ? 0 : NON_LIVE_QUEUE));
  return TRUE;
}

static gboolean
gst_arcly_fmp4_mux_src_query (GstAggregator * agg, GstQuery * query)
{
  GstArclyFmp4Mux *self = GST_ARCLY_FMP4_MUX (agg);
  GstAggregatorClass *parent =
      GST_AGGREGATOR_CLASS (gst_arcly_fmp4_mux_parent_class);
  gboolean ret = parent->src_query (agg, query);

  if (ret && GST_QUERY_TYPE (query) == GST_QUERY_LATENCY) {
    gboolean live;

    gst_query_parse_latency (query, &live, NULL, NULL);
    /* live: the non-live queue set at start must not count in the answer */
    if (auto_queue_latency (self, live) && live)
      ret = parent->src_query (agg, query);
  }
  return ret;
}

static void
reset_state (GstArclyFmp4Mux * self)
{
  GList *pads = get_pads (self), *l;

  for (l = pads; l; l = l->next)
    pad_reset_samples (l->data);
  free_pads (pads);
  g_array_set_size (self->cuts, 0);
  self->have_offset = FALSE;
  self->ts_offset = 0;
  self->have_pts_shift = FALSE;
  self->pts_shift = 0;
  self->seen_video_key = FALSE;
  self->have_frag_start = FALSE;
  self->next_starts_fragment = TRUE;
  /* after a flush the stream starts over: the init goes out again */
  self->init_pushed = FALSE;
  self->first_rt = GST_CLOCK_TIME_NONE;
}

static GstFlowReturn
gst_arcly_fmp4_mux_flush (GstAggregator * agg)
{
  GstArclyFmp4Mux *self = GST_ARCLY_FMP4_MUX (agg);

  GstAggregatorClass *parent =
      GST_AGGREGATOR_CLASS (gst_arcly_fmp4_mux_parent_class);

  reset_state (self);
  /* GstAggregator itself has no flush vfunc */
  return parent->flush ? parent->flush (agg) : GST_FLOW_OK;
}

static void
update_latency (GstArclyFmp4Mux * self)
{
  GstClockTime latency;

  /* Samples wait in the muxer for up to a chunk (or a fragment). */
  GST_OBJECT_LOCK (self);
  latency = self->chunk_duration > 0 ? self->chunk_duration :
      self->fragment_duration;
  GST_OBJECT_UNLOCK (self);
  gst_aggregator_set_latency (GST_AGGREGATOR (self), latency, latency);
}

static gboolean
gst_arcly_fmp4_mux_start (GstAggregator * agg)
{
  GstArclyFmp4Mux *self = GST_ARCLY_FMP4_MUX (agg);

  GList *l;

  g_mutex_lock (&self->direct_lock);
  GST_OBJECT_LOCK (self);
  self->direct = self->input_thread;
  GST_OBJECT_UNLOCK (self);
  self->direct_flow = GST_FLOW_OK;
  self->direct_started = self->direct_eos_sent = FALSE;
  self->direct_need_segment = TRUE;
  gst_clear_caps (&self->direct_caps);
  for (l = GST_ELEMENT (self)->sinkpads; l; l = l->next) {
    GstArclyFmp4MuxPad *pad = l->data;

    g_queue_clear_full (&pad->direct_q, (GDestroyNotify) gst_buffer_unref);
    pad->direct_eos = pad->direct_flushing = FALSE;
    g_atomic_int_set (&pad->direct_live, -1);
  }
  g_mutex_unlock (&self->direct_lock);
  reset_state (self);
  gst_clear_buffer (&self->init);
  self->sequence = 1;
  /* "stats" count from the start of each run */
  GST_OBJECT_LOCK (self);
  self->bytes_written = self->chunks_written = 0;
  self->fragments_written = self->inits_written = 0;
  for (l = GST_ELEMENT (self)->sinkpads; l; l = l->next) {
    GstArclyFmp4MuxPad *pad = l->data;

    pad->frames_written = pad->bytes_written = pad->frames_dropped = 0;
  }
  GST_OBJECT_UNLOCK (self);
  update_latency (self);
  /* Non-live input flows (prerolls) before any latency query: queue a
   * second per pad from the start.  Live data only flows in PLAYING, after
   * the latency query that puts it back to 0. */
  auto_queue_latency (self, FALSE);
  return TRUE;
}

static gboolean
gst_arcly_fmp4_mux_stop (GstAggregator * agg)
{
  GstArclyFmp4Mux *self = GST_ARCLY_FMP4_MUX (agg);
  GList *pads = get_pads (self), *l;

  /* in input-thread mode a push may still be on its way out: the pads are
   * flushing, it returns soon */
  g_mutex_lock (&self->direct_lock);
  reset_state (self);
  for (l = pads; l; l = l->next) {
    GstArclyFmp4MuxPad *pad = l->data;

    pad->in_init = FALSE;
    g_queue_clear_full (&pad->direct_q, (GDestroyNotify) gst_buffer_unref);
  }
  free_pads (pads);
  gst_clear_buffer (&self->init);
  gst_clear_caps (&self->direct_caps);
  g_mutex_unlock (&self->direct_lock);
  arcly_agg_queue_restore (agg, &self->queue);
  return TRUE;
}

static GstAggregatorPad *
gst_arcly_fmp4_mux_create_new_pad (GstAggregator * agg, GstPadTemplate * templ,
    const gchar * req_name, const GstCaps * caps)
{
  GstArclyFmp4Mux *self = GST_ARCLY_FMP4_MUX (agg);
  gboolean video = g_str_has_prefix (templ->name_template, "video");
  GstArclyFmp4MuxPad *pad;
  gchar *name;
  guint32 id;

  GST_OBJECT_LOCK (self);
  if (req_name && (g_str_has_prefix (req_name, video ? "video_" : "audio_")))
    name = g_strdup (req_name);
  else
    name = g_strdup_printf (video ? "video_%u" : "audio_%u",
        video ? self->video_pads : self->audio_pads);
  if (video)
    self->video_pads++;
  else
    self->audio_pads++;
  id = ++self->next_track_id;
  GST_OBJECT_UNLOCK (self);

  pad = g_object_new (GST_TYPE_ARCLY_FMP4_MUX_PAD, "name", name,
      "direction", GST_PAD_SINK, "template", templ, NULL);
  g_free (name);
  pad->track_id = id;
  pad->is_video = video;
  /* input-thread mode goes through these (they hand over to the base
   * class's otherwise) */
  pad->agg_chain = GST_PAD_CHAINFUNC (pad);
  pad->agg_event = GST_PAD_EVENTFULLFUNC (pad);
  gst_pad_set_chain_function (GST_PAD (pad), GST_DEBUG_FUNCPTR (direct_chain));
  gst_pad_set_event_full_function (GST_PAD (pad),
      GST_DEBUG_FUNCPTR (direct_event));
  return GST_AGGREGATOR_PAD (pad);
}

static void
gst_arcly_fmp4_mux_release_pad (GstElement * element, GstPad * pad)
{
  GstArclyFmp4Mux *self = GST_ARCLY_FMP4_MUX (element);

  GST_OBJECT_LOCK (self);
  self->tracks_changed = TRUE;
  GST_OBJECT_UNLOCK (self);
  GST_ELEMENT_CLASS (gst_arcly_fmp4_mux_parent_class)->release_pad (element,
      pad);
}

/* ------------------------------------------------------------------ */
/* GObject */

static void
gst_arcly_fmp4_mux_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstArclyFmp4Mux *self = GST_ARCLY_FMP4_MUX (object);

  switch (prop_id) {
    case PROP_FRAGMENT_DURATION:
      GST_OBJECT_LOCK (self);
      self->fragment_duration = g_value_get_uint64 (value);
      GST_OBJECT_UNLOCK (self);
      update_latency (self);
      break;
    case PROP_CHUNK_DURATION:
      GST_OBJECT_LOCK (self);
      self->chunk_duration = g_value_get_uint64 (value);
      GST_OBJECT_UNLOCK (self);
      update_latency (self);
      break;
    case PROP_INPUT_THREAD:
      GST_OBJECT_LOCK (self);
      self->input_thread = g_value_get_boolean (value);
      GST_OBJECT_UNLOCK (self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

/* "stats": an arcly-fmp4mux-stats structure (the naming scheme is in
 * docs/architecture.md), totals and one arcly-fmp4mux-pad-stats per pad. */
static GstStructure *
make_stats (GstArclyFmp4Mux * self)
{
  GValue pads = G_VALUE_INIT;
  guint64 frames = 0, dropped = 0;
  GstStructure *s;
  GList *l;

  g_value_init (&pads, GST_TYPE_ARRAY);
  GST_OBJECT_LOCK (self);
  for (l = GST_ELEMENT (self)->sinkpads; l; l = l->next) {
    GstArclyFmp4MuxPad *pad = l->data;
    GValue v = G_VALUE_INIT;

    g_value_init (&v, GST_TYPE_STRUCTURE);
    g_value_take_boxed (&v, arcly_mux_pad_stats_new
        ("arcly-fmp4mux-pad-stats", GST_PAD (pad), pad->is_video,
            pad->frames_written, pad->bytes_written, pad->frames_dropped));
    gst_value_array_append_and_take_value (&pads, &v);
    frames += pad->frames_written;
    dropped += pad->frames_dropped;
  }
  s = gst_structure_new ("arcly-fmp4mux-stats",
      "frames-written", G_TYPE_UINT64, frames,
      "bytes-written", G_TYPE_UINT64, self->bytes_written,
      "frames-dropped", G_TYPE_UINT64, dropped,
      "init-segments-written", G_TYPE_UINT64, self->inits_written,
      "fragments-written", G_TYPE_UINT64, self->fragments_written,
      "chunks-written", G_TYPE_UINT64, self->chunks_written, NULL);
  GST_OBJECT_UNLOCK (self);
  gst_structure_take_value (s, "pads", &pads);
  return s;
}

static void
gst_arcly_fmp4_mux_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstArclyFmp4Mux *self = GST_ARCLY_FMP4_MUX (object);

  switch (prop_id) {
    case PROP_FRAGMENT_DURATION:
      GST_OBJECT_LOCK (self);
      g_value_set_uint64 (value, self->fragment_duration);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_CHUNK_DURATION:
      GST_OBJECT_LOCK (self);
      g_value_set_uint64 (value, self->chunk_duration);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_STATS:
      g_value_take_boxed (value, make_stats (self));
      break;
    case PROP_INPUT_THREAD:
      GST_OBJECT_LOCK (self);
      g_value_set_boolean (value, self->input_thread);
      GST_OBJECT_UNLOCK (self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_arcly_fmp4_mux_finalize (GObject * object)
{
  GstArclyFmp4Mux *self = GST_ARCLY_FMP4_MUX (object);

  gst_clear_buffer (&self->init);
  gst_clear_caps (&self->direct_caps);
  g_array_unref (self->cuts);
  g_mutex_clear (&self->direct_lock);
  G_OBJECT_CLASS (gst_arcly_fmp4_mux_parent_class)->finalize (object);
}

static void
gst_arcly_fmp4_mux_class_init (GstArclyFmp4MuxClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstAggregatorClass *agg_class = GST_AGGREGATOR_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (arcly_fmp4_mux_debug, "arclyfmp4mux", 0,
      "gst-arcly fragmented MP4 muxer");
  GST_DEBUG_CATEGORY_INIT (arcly_fmp4_mux_dataflow, "arclyfmp4mux_dataflow",
      0, "gst-arcly fragmented MP4 muxer, per-buffer logs");

  gobject_class->set_property = gst_arcly_fmp4_mux_set_property;
  gobject_class->get_property = gst_arcly_fmp4_mux_get_property;
  gobject_class->finalize = gst_arcly_fmp4_mux_finalize;

  g_object_class_install_property (gobject_class, PROP_FRAGMENT_DURATION,
      g_param_spec_uint64 ("fragment-duration", "Fragment duration",
          "Minimum fragment length in nanoseconds: a new fragment starts at "
          "the first video keyframe after it (audio-only: at it)",
          1, G_MAXUINT64, DEFAULT_PROP_FRAGMENT_DURATION,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_CHUNK_DURATION,
      g_param_spec_uint64 ("chunk-duration", "Chunk duration",
          "Length in nanoseconds of the chunks (each its own moof+mdat) a "
          "fragment is split into, e.g. for LL-HLS parts; 0 = one chunk per "
          "fragment", 0, G_MAXUINT64, DEFAULT_PROP_CHUNK_DURATION,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics",
          "arcly-fmp4mux-stats: frames-written, bytes-written (output), "
          "frames-dropped, init-segments-written, fragments-written, "
          "chunks-written, and pads (an array of arcly-fmp4mux-pad-stats: "
          "pad, media, frames-written, bytes-written, frames-dropped); "
          "counted from READY to PAUSED", GST_TYPE_STRUCTURE,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  g_object_class_install_property (gobject_class, PROP_INPUT_THREAD,
      g_param_spec_boolean ("input-thread", "Mux on the input threads",
          "Mux on the threads that push the input, not on the muxer's own "
          "(GstAggregator's) thread: no thread hand-off per buffer.  A live "
          "input that goes silent is then waited for until the others have "
          "queued 500 ms more (1.5 s before it has sent anything), instead "
          "of the latency on the clock.  Read at READY to PAUSED",
          DEFAULT_PROP_INPUT_THREAD, G_PARAM_READWRITE |
          G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));

  gst_element_class_add_static_pad_template_with_gtype (element_class,
      &src_template, GST_TYPE_AGGREGATOR_PAD);
  gst_element_class_add_static_pad_template_with_gtype (element_class,
      &video_template, GST_TYPE_ARCLY_FMP4_MUX_PAD);
  gst_element_class_add_static_pad_template_with_gtype (element_class,
      &audio_template, GST_TYPE_ARCLY_FMP4_MUX_PAD);
  gst_element_class_set_static_metadata (element_class,
      "Fragmented MP4 (CMAF) muxer", "Codec/Muxer",
      "Writes H.264 and AAC as fragmented MP4 / CMAF: an init segment, then "
      "moof+mdat fragments aligned to keyframes, optionally split in chunks",
      "gst-arcly developers");

  element_class->release_pad = gst_arcly_fmp4_mux_release_pad;
  agg_class->aggregate = gst_arcly_fmp4_mux_aggregate;
  agg_class->sink_event = gst_arcly_fmp4_mux_sink_event;
  agg_class->update_src_caps = gst_arcly_fmp4_mux_update_src_caps;
  agg_class->flush = gst_arcly_fmp4_mux_flush;
  agg_class->start = gst_arcly_fmp4_mux_start;
  agg_class->stop = gst_arcly_fmp4_mux_stop;
  agg_class->src_query = gst_arcly_fmp4_mux_src_query;
  agg_class->create_new_pad = gst_arcly_fmp4_mux_create_new_pad;
  agg_class->get_next_time = gst_arcly_fmp4_mux_get_next_time;

  gst_type_mark_as_plugin_api (GST_TYPE_ARCLY_FMP4_MUX_PAD, 0);
}

static void
gst_arcly_fmp4_mux_init (GstArclyFmp4Mux * self)
{
  self->fragment_duration = DEFAULT_PROP_FRAGMENT_DURATION;
  self->chunk_duration = DEFAULT_PROP_CHUNK_DURATION;
  self->cuts = g_array_new (FALSE, FALSE, sizeof (Cut));
  g_mutex_init (&self->direct_lock);
  self->input_thread = DEFAULT_PROP_INPUT_THREAD;
  self->sequence = 1;
  self->next_starts_fragment = TRUE;
  self->queue.depth = NON_LIVE_QUEUE;
}
