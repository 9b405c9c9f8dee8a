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
 * SECTION:element-arclybussrc
 * @title: arclybussrc
 *
 * A live source that subscribes to the streams an `arclybussink` publishes
 * under `stream-key`, in any pipeline of the process.  One sometimes pad
 * `src_%u` per published stream, with the publisher's caps; `no-more-pads`
 * once the publisher's stream set is known.  Each pad is a request pad of
 * the stream's arclybus in the key's hub (gstarclybushub.h), so it starts
 * from the GOP cache and is skipped forward / evicted when slow, exactly
 * as an arclybus pad.
 *
 * A control thread (not the publisher's threads, not the application's)
 * waits for the key, creates the pads and links them; buffers arrive on
 * the delivery threads of the publisher's buses and are pushed from there.
 *
 * Timestamps: the publisher's running time is mapped to clock time
 * through its base time (sent as a sticky "arcly-bus-timebase" event on
 * the monotonic clock), then to this pipeline's running time through its
 * own base time and clock; a constant delay, fixed at the first buffer,
 * keeps the cached frames (older than now) at or after the current running
 * time.  So every stream of a subscriber shares one mapping: A/V stay in
 * sync, and timestamps are monotonic across publisher restarts.  Our clock
 * need not run at the monotonic clock's rate (an audio device's clock, a
 * network clock, a test clock): its offset to it is measured again at
 * every buffer and the mapping follows it, slewed (see track_sub_base()),
 * so the timestamps stay in our running time without a jump.
 *
 * ## Locks
 *
 * `lock` guards everything marked (L).  Order: hub lock → `lock` (the hub
 * calls notify() with its lock held); nothing calls into the hub, links,
 * pushes or posts with `lock` held.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "gstarclybuselements.h"
#include "gstarclybus-private.h"
#include "gstarclybushub.h"

#define GST_CAT_DEFAULT arclybussrc_debug
GST_DEBUG_CATEGORY_STATIC (arclybussrc_debug);

typedef enum
{
  ARCLY_BUS_UNPUBLISH_WAIT,
  ARCLY_BUS_UNPUBLISH_EOS,
} ArclyBusUnpublish;

#define GST_TYPE_ARCLY_BUS_UNPUBLISH (arcly_bus_unpublish_get_type ())
static GType
arcly_bus_unpublish_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {ARCLY_BUS_UNPUBLISH_WAIT, "Keep running and resume with the next "
          "publisher", "wait"},
    {ARCLY_BUS_UNPUBLISH_EOS, "End the streams (EOS)", "eos"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstArclyBusUnpublish", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

#define DEFAULT_PROP_STREAM_KEY NULL
#define DEFAULT_PROP_ON_UNPUBLISH ARCLY_BUS_UNPUBLISH_WAIT
#define DEFAULT_PROP_MAX_LAG_TIME GST_CLOCK_TIME_NONE

enum
{
  PROP_0,
  PROP_STREAM_KEY,
  PROP_ON_UNPUBLISH,
  PROP_MAX_LAG_TIME,
  PROP_STATS,
};

typedef struct _GstArclyBusSrc GstArclyBusSrc;

/* one subscribed stream */
typedef struct
{
  GstArclyBusSrc *self;         /* no ref: a stream never outlives it */
  GstElement *track;            /* (ref) the stream's arclybus */
  GstPad *bus_pad;              /* (ref) our request pad on it */
  GstPad *in;                   /* parentless sink pad it pushes to */
  GstPad *src;                  /* (ref) our src_%u */
  /* delivery thread only (one at a time per pad) */
  GstSegment segment;           /* the publisher's */
  gboolean have_base;
  guint64 base;                 /* publisher base time, monotonic ns */
  gboolean seen_start;
  gboolean resume;              /* a new publisher: new segment + DISCONT */
  gboolean started;
  gboolean lag_offset_set;      /* the bus pad knows the mapping's delay */
  gboolean eos_sent;
  /* (L) */
  guint64 frames, bytes;
} SrcStream;

#define GST_TYPE_ARCLY_BUS_SRC (gst_arcly_bus_src_get_type ())
G_DECLARE_FINAL_TYPE (GstArclyBusSrc, gst_arcly_bus_src, GST, ARCLY_BUS_SRC,
    GstElement);

struct _GstArclyBusSrc
{
  GstElement parent;

  GMutex lock;
  GCond cond;
  /* properties (L) */
  gchar *stream_key;
  ArclyBusUnpublish on_unpublish;
  GstClockTime max_lag_time;
  /* (L) */
  ArclyBusHub *hub;
  GThread *ctl;
  gboolean ctl_stop;
  gboolean changed;
  gboolean playing;
  GPtrArray *streams;           /* SrcStream * */
  guint next_pad_id;
  guint group_id;
  /* time mapping (L): running time out = publisher clock time (monotonic)
   * - sub_base_mono + delay */
  gboolean attached;            /* streams linked: data may flow */
  gboolean have_delay;
  gint64 delay;
  gint64 sub_base_mono;
  GstClockTime offset_base;     /* our base time sub_base_mono is for */
  /* following our clock against the monotonic one (L) */
  gint64 sub_base_target;       /* where sub_base_mono is slewed to */
  gint64 sub_base_win_min;      /* smallest measure in the window */
  gint64 sub_base_win_start;    /* monotonic ns the window started */
  gint64 sub_base_slewed_at;    /* monotonic ns of the last slew */
  GstClockTime ref_pos;         /* publisher running time we joined at */
  gboolean eos_requested;       /* the application sent EOS */
};

G_DEFINE_TYPE (GstArclyBusSrc, gst_arcly_bus_src, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE (arclybussrc, "arclybussrc", GST_RANK_NONE,
    GST_TYPE_ARCLY_BUS_SRC);

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src_%u",
    GST_PAD_SRC, GST_PAD_SOMETIMES, GST_STATIC_CAPS_ANY);
static GstStaticPadTemplate in_template = GST_STATIC_PAD_TEMPLATE ("in",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

static inline gint64
mono_now (void)
{
  return g_get_monotonic_time () * GST_USECOND;
}

/* Following our clock: a measure of its offset to the monotonic clock is
 * too large by however long the thread was held between the two readings,
 * and by how far a clock that advances in steps reads behind; so the
 * smallest measure of a window is the best.  The mapping moves towards it
 * by at most a tenth of the time elapsed and at most 1 ms per buffer
 * (buffers that come in a burst after a stall are still 20-40 ms apart in
 * their timestamps: no reordering, no jump), and not at all for less than
 * the dead band. */
#define SUB_BASE_WINDOW (250 * GST_MSECOND)
#define SUB_BASE_SLEW_DIV 10
#define SUB_BASE_DEAD_BAND (500 * GST_USECOND)
#define SUB_BASE_MAX_STEP GST_MSECOND

/* ------------------------------------------------------- time mapping */

/* (L) Our base time on the monotonic clock: running time = monotonic
 * time - this.  Follows our base time (a pause moves it). */
static void
update_sub_base (GstArclyBusSrc * self, GstClockTime base)
{
  GstElement *el = GST_ELEMENT_CAST (self);
  GstClock *clock;
  gint64 mono;

  GST_OBJECT_LOCK (self);
  clock = GST_ELEMENT_CLOCK (el) ? gst_object_ref (GST_ELEMENT_CLOCK (el)) :
      NULL;
  GST_OBJECT_UNLOCK (self);
  if (clock) {
    /* our clock first, as track_sub_base() does: held between the
     * readings, the measure is too large and is slewed down later (the
     * timestamps spread a little); read the other way round it was too
     * small and the slew pulled every later buffer closer together */
    GstClockTime now = gst_clock_get_time (clock);

    mono = mono_now ();
    self->sub_base_mono = (gint64) base + (mono - (gint64) now);
    gst_object_unref (clock);
  } else {
    mono = mono_now ();
    self->sub_base_mono = mono;
  }
  GST_DEBUG_OBJECT (self, "base time %" GST_TIME_FORMAT " (was %"
      GST_TIME_FORMAT "): on the monotonic clock %" G_GINT64_FORMAT,
      GST_TIME_ARGS (base), GST_TIME_ARGS (self->offset_base),
      self->sub_base_mono);
  self->offset_base = base;
  self->sub_base_target = self->sub_base_mono;
  self->sub_base_win_min = G_MAXINT64;
  self->sub_base_win_start = self->sub_base_slewed_at = mono;
}

/* (L) Measures our clock's offset to the monotonic clock again and slews
 * sub_base_mono towards it: a clock that runs faster or slower than the
 * monotonic one keeps our timestamps on our running time (else they drift
 * from it: late buffers dropped by synced sinks, or ever more early ones
 * held). */
static void
track_sub_base (GstArclyBusSrc * self, GstClockTime base)
{
  GstElement *el = GST_ELEMENT_CAST (self);
  GstClock *clock;
  gint64 mono, now, sample, step, diff;

  GST_OBJECT_LOCK (self);
  clock = GST_ELEMENT_CLOCK (el) ? gst_object_ref (GST_ELEMENT_CLOCK (el)) :
      NULL;
  GST_OBJECT_UNLOCK (self);
  if (clock == NULL)
    return;
  /* our clock first: a thread held between the readings, like a clock
   * that advances in steps, makes the measure larger, never smaller */
  now = (gint64) gst_clock_get_time (clock);
  mono = mono_now ();
  sample = (gint64) base + (mono - now);
  gst_object_unref (clock);

  self->sub_base_win_min = MIN (self->sub_base_win_min, sample);
  if (mono - self->sub_base_win_start >= (gint64) SUB_BASE_WINDOW) {
    self->sub_base_target = self->sub_base_win_min;
    self->sub_base_win_min = G_MAXINT64;
    self->sub_base_win_start = mono;
  }
  step = MIN ((mono - self->sub_base_slewed_at) / SUB_BASE_SLEW_DIV,
      (gint64) SUB_BASE_MAX_STEP);
  self->sub_base_slewed_at = mono;
  diff = self->sub_base_target - self->sub_base_mono;
  if (ABS (diff) < (gint64) SUB_BASE_DEAD_BAND)
    return;
  self->sub_base_mono += CLAMP (diff, -step, step);
  GST_LOG_OBJECT (self, "clock offset slewed to %" G_GINT64_FORMAT
      " (target %" G_GINT64_FORMAT ")", self->sub_base_mono,
      self->sub_base_target);
}

/* (L) Fixes the delay at the first buffer: the publisher's clock time
 * @ref_mono (the keyframe we joined at) lands on our current running time,
 * not before it; everything after keeps its distance.  Constant for the
 * life of the subscription, so all streams share it (A/V sync) and a new
 * publisher's data keeps going forward. */
static void
fix_delay (GstArclyBusSrc * self, gint64 ref_mono)
{
  gint64 now_rt = mono_now () - self->sub_base_mono;

  self->delay = MAX (now_rt - (ref_mono - self->sub_base_mono), 0);
  self->have_delay = TRUE;
  GST_DEBUG_OBJECT (self, "mapping fixed: %" G_GINT64_FORMAT " ns behind "
      "the publisher's clock time", self->delay);
}

static GstClockTime
map_time (GstArclyBusSrc * self, SrcStream * st, GstClockTime t)
{
  GstClockTime rt;
  gint64 out;

  if (!GST_CLOCK_TIME_IS_VALID (t) || st->segment.format != GST_FORMAT_TIME)
    return GST_CLOCK_TIME_NONE;
  rt = gst_segment_to_running_time (&st->segment, GST_FORMAT_TIME, t);
  if (!GST_CLOCK_TIME_IS_VALID (rt))
    return GST_CLOCK_TIME_NONE;
  out = (gint64) (rt + st->base) - self->sub_base_mono + self->delay;
  return out > 0 ? (GstClockTime) out : 0;
}

/* ------------------------------------------------------------ streaming */

/* Sends the application's EOS down @st once; with @st->in's stream lock
 * held (its delivery thread, or the application's with no push in flight),
 * so it comes in order with the data. */
static void
end_stream (GstArclyBusSrc * self, SrcStream * st)
{
  gboolean send;

  ARCLY_MUTEX_LOCK (&self->lock);
  send = !st->eos_sent;
  st->eos_sent = TRUE;
  ARCLY_MUTEX_UNLOCK (&self->lock);
  if (send)
    gst_pad_push_event (st->src, gst_event_new_eos ());
}

static GstFlowReturn
in_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  SrcStream *st = gst_pad_get_element_private (pad);
  GstArclyBusSrc *self = st->self;
  GstClockTime rt, pts, dts, delay = 0;
  GstFlowReturn ret;
  gboolean playing, discont, set_offset = FALSE;
  GstElement *el = GST_ELEMENT_CAST (self);

  rt = GST_BUFFER_PTS_IS_VALID (buf) ? GST_BUFFER_PTS (buf) :
      GST_BUFFER_DTS (buf);
  if (st->segment.format == GST_FORMAT_TIME && GST_CLOCK_TIME_IS_VALID (rt))
    rt = gst_segment_to_running_time (&st->segment, GST_FORMAT_TIME, rt);
  if (!st->have_base && GST_CLOCK_TIME_IS_VALID (rt)) {
    /* a publisher without a clock: its running time is "now" */
    st->base = MAX (mono_now () - (gint64) rt, 0);
    st->have_base = TRUE;
    GST_DEBUG_OBJECT (st->src, "no publisher time base: %" G_GUINT64_FORMAT,
        st->base);
  }

  ARCLY_MUTEX_LOCK (&self->lock);
  if (self->eos_requested) {
    ARCLY_MUTEX_UNLOCK (&self->lock);
    gst_buffer_unref (buf);
    end_stream (self, st);
    return GST_FLOW_EOS;
  }
  /* streams are linked once PLAYING; a pipeline that goes back to PAUSED
   * for a moment (a sink added later prerolls) still gets its data: its
   * sinks hold it, a live source must not drop it */
  playing = self->attached;
  if (playing) {
    GstClockTime base;

    GST_OBJECT_LOCK (self);
    base = el->base_time;
    GST_OBJECT_UNLOCK (self);
    if (!self->have_delay || base != self->offset_base)
      update_sub_base (self, base);
    else
      track_sub_base (self, base);
    if (!self->have_delay && GST_CLOCK_TIME_IS_VALID (rt)) {
      GstClockTime ref = GST_CLOCK_TIME_IS_VALID (self->ref_pos) ?
          MIN (self->ref_pos, rt) : rt;
      fix_delay (self, (gint64) (ref + st->base));
    }
  }
  if (playing) {
    pts = map_time (self, st, GST_BUFFER_PTS (buf));
    dts = map_time (self, st, GST_BUFFER_DTS (buf));
    if (self->have_delay && !st->lag_offset_set) {
      set_offset = st->lag_offset_set = TRUE;
      delay = (GstClockTime) self->delay;
    }
    st->frames++;
    st->bytes += gst_buffer_get_size (buf);
  } else {
    pts = dts = GST_CLOCK_TIME_NONE;
  }
  ARCLY_MUTEX_UNLOCK (&self->lock);

  if (!playing) {
    gst_buffer_unref (buf);
    return GST_FLOW_OK;
  }
  /* This subscriber runs @delay behind the publisher on purpose: a clock-
   * synced sink (an RTSP server's) takes every buffer that long after it
   * was published.  The bus's max-lag-time counts from there; counted from
   * live, a delay near or over it makes the stream skip to the newest
   * buffer, which the sink then holds as long, which is late again: an
   * audio stream would get one buffer a second. */
  if (set_offset)
    arcly_bus_pad_set_lag_offset (st->bus_pad, delay);
  if (!st->started)
    GST_DEBUG_OBJECT (st->src, "first buffer: publisher running time %"
        GST_TIME_FORMAT " -> %" GST_TIME_FORMAT, GST_TIME_ARGS (rt),
        GST_TIME_ARGS (pts));
  discont = !st->started || st->resume ||
      GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DISCONT);
  if (st->resume) {
    GstSegment seg;

    gst_segment_init (&seg, GST_FORMAT_TIME);
    gst_pad_push_event (st->src, gst_event_new_segment (&seg));
    st->resume = FALSE;
  }
  /* a new header on the same memory: other subscribers keep theirs */
  buf = gst_buffer_make_writable (buf);
  GST_BUFFER_PTS (buf) = pts;
  GST_BUFFER_DTS (buf) = dts;
  if (discont)
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
  st->started = TRUE;
  ret = gst_pad_push (st->src, buf);
  /* downstream is done with this stream (jpegenc snapshot=true, a
   * recorder's limit): as a source does, end it with an EOS event so the
   * pipeline's sinks post EOS */
  if (ret == GST_FLOW_EOS)
    end_stream (self, st);
  return ret;
}

static gboolean
in_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  SrcStream *st = gst_pad_get_element_private (pad);
  GstArclyBusSrc *self = st->self;
  gboolean forward = FALSE;

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_STREAM_START:
      /* ours was sent; a second one is a new publisher */
      if (st->seen_start)
        st->resume = TRUE;
      st->seen_start = TRUE;
      break;
    case GST_EVENT_SEGMENT:
      gst_event_copy_segment (event, &st->segment);
      break;
    case GST_EVENT_CUSTOM_DOWNSTREAM_STICKY:
      if (gst_event_has_name (event, ARCLY_BUS_TIMEBASE)) {
        guint64 base;

        if (gst_structure_get_uint64 (gst_event_get_structure (event), "base",
                &base)) {
          st->base = base;
          st->have_base = TRUE;
          GST_DEBUG_OBJECT (st->src, "publisher base time %" G_GUINT64_FORMAT,
              base);
        }
      } else {
        forward = TRUE;
      }
      break;
    case GST_EVENT_EOS:{
      ArclyBusUnpublish mode;
      gboolean requested;

      ARCLY_MUTEX_LOCK (&self->lock);
      mode = self->on_unpublish;
      requested = self->eos_requested;
      ARCLY_MUTEX_UNLOCK (&self->lock);
      if (requested) {
        end_stream (self, st);
        gst_event_unref (event);
        return TRUE;
      }
      /* evicted: always the end; the publisher went away: as configured */
      forward = mode == ARCLY_BUS_UNPUBLISH_EOS ||
          arcly_bus_pad_is_evicted (st->bus_pad);
      GST_INFO_OBJECT (st->src, "publisher's EOS: %s", forward ? "ending" :
          "waiting for the next publisher");
      break;
    }
    case GST_EVENT_FLUSH_START:
    case GST_EVENT_FLUSH_STOP:
      /* the publisher's flushes stay in its pipeline */
      break;
    default:
      forward = TRUE;
      break;
  }
  if (forward)
    return gst_pad_push_event (st->src, event);
  gst_event_unref (event);
  return TRUE;
}

static gboolean
src_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  SrcStream *st = gst_pad_get_element_private (pad);

  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_LATENCY:
      /* live; what it adds is the publisher's business, paid there */
      gst_query_set_latency (query, TRUE, 0, GST_CLOCK_TIME_NONE);
      return TRUE;
    case GST_QUERY_CAPS:{
      GstCaps *filter, *caps = gst_pad_get_current_caps (pad);

      gst_query_parse_caps (query, &filter);
      if (caps == NULL && st) {
        GstPad *sink = gst_element_get_static_pad (st->track, "sink");
        caps = gst_pad_get_current_caps (sink);
        gst_object_unref (sink);
      }
      if (caps == NULL)
        caps = gst_caps_new_any ();
      if (filter) {
        GstCaps *tmp = gst_caps_intersect_full (filter, caps,
            GST_CAPS_INTERSECT_FIRST);
        gst_caps_unref (caps);
        caps = tmp;
      }
      gst_query_set_caps_result (query, caps);
      gst_caps_unref (caps);
      return TRUE;
    }
    default:
      return gst_pad_query_default (pad, parent, query);
  }
}

/* An application's EOS (gst_element_send_event) ends every stream at its
 * next buffer, on the thread that delivers it. */
static gboolean
gst_arcly_bus_src_send_event (GstElement * element, GstEvent * event)
{
  GstArclyBusSrc *self = GST_ARCLY_BUS_SRC (element);

  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS) {
    GPtrArray *streams = g_ptr_array_new ();
    guint i;

    ARCLY_MUTEX_LOCK (&self->lock);
    self->eos_requested = TRUE;
    for (i = 0; i < self->streams->len; i++)
      g_ptr_array_add (streams, g_ptr_array_index (self->streams, i));
    ARCLY_MUTEX_UNLOCK (&self->lock);
    /* a stream with nothing in flight (the publisher is gone or idle)
     * ends now; one being pushed to ends at its next buffer or event */
    for (i = 0; i < streams->len; i++) {
      SrcStream *st = g_ptr_array_index (streams, i);

      if (GST_PAD_STREAM_TRYLOCK (st->in)) {
        end_stream (self, st);
        GST_PAD_STREAM_UNLOCK (st->in);
      }
    }
    g_ptr_array_unref (streams);
    gst_event_unref (event);
    return TRUE;
  }
  return GST_ELEMENT_CLASS (gst_arcly_bus_src_parent_class)->send_event
      (element, event);
}

static gboolean
src_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  /* seeks, QoS, navigation: a subscriber does not steer the publisher */
  gst_event_unref (event);
  return TRUE;
}

/* ------------------------------------------------------- subscribing */

static SrcStream *
make_stream (GstArclyBusSrc * self, GstElement * track, guint id,
    GstClockTime max_lag_time)
{
  SrcStream *st = g_new0 (SrcStream, 1);
  GstPadTemplate *templ =
      gst_element_class_get_pad_template (GST_ELEMENT_GET_CLASS (self),
      "src_%u");
  GstPad *sink = gst_element_get_static_pad (track, "sink");
  GstCaps *caps = gst_pad_get_current_caps (sink);
  GstEvent *start;
  GstSegment seg;
  gchar *name, *sid;

  gst_object_unref (sink);
  st->self = self;
  st->track = gst_object_ref (track);
  gst_segment_init (&st->segment, GST_FORMAT_UNDEFINED);
  st->bus_pad = gst_element_request_pad_simple (track, "src_%u");
  arcly_bus_hub_tag_pad (st->bus_pad, GST_ELEMENT_CAST (self));
  if (GST_CLOCK_TIME_IS_VALID (max_lag_time))
    g_object_set (st->bus_pad, "max-lag-time", (guint64) max_lag_time, NULL);
  st->in = gst_object_ref_sink (gst_pad_new_from_static_template (&in_template,
          "in"));
  gst_pad_set_element_private (st->in, st);
  gst_pad_set_chain_function (st->in, in_chain);
  gst_pad_set_event_function (st->in, in_event);
  gst_pad_set_active (st->in, TRUE);

  name = g_strdup_printf ("src_%u", id);
  st->src = gst_pad_new_from_template (templ, name);
  g_free (name);
  gst_pad_set_element_private (st->src, st);
  gst_pad_set_query_function (st->src, src_query);
  gst_pad_set_event_function (st->src, src_event);
  gst_pad_use_fixed_caps (st->src);
  gst_pad_set_active (st->src, TRUE);
  /* the stream's identity and caps before the pad is exposed */
  sid = g_strdup_printf ("%u", id);
  name = gst_pad_create_stream_id (st->src, GST_ELEMENT_CAST (self), sid);
  start = gst_event_new_stream_start (name);
  gst_event_set_group_id (start, self->group_id);
  gst_pad_push_event (st->src, start);
  g_free (name);
  g_free (sid);
  if (caps) {
    gst_pad_push_event (st->src, gst_event_new_caps (caps));
    gst_caps_unref (caps);
  }
  gst_segment_init (&seg, GST_FORMAT_TIME);
  gst_pad_push_event (st->src, gst_event_new_segment (&seg));
  gst_object_ref (st->src);
  return st;
}

static gboolean
is_video (GstElement * track)
{
  GstPad *sink = gst_element_get_static_pad (track, "sink");
  GstCaps *caps = gst_pad_get_current_caps (sink);
  gboolean ret = FALSE;

  gst_object_unref (sink);
  if (caps) {
    ret = g_str_has_prefix (gst_structure_get_name (gst_caps_get_structure
            (caps, 0)), "video/");
    gst_caps_unref (caps);
  }
  return ret;
}

static void
post_to_publisher (GstArclyBusSrc * self, ArclyBusHub * hub,
    const gchar * name)
{
  GstElement *pub = arcly_bus_hub_get_publisher (hub);

  if (pub == NULL)
    return;
  gst_element_post_message (pub, gst_message_new_element (GST_OBJECT_CAST
          (pub), gst_structure_new (name, "stream-key", G_TYPE_STRING,
              arcly_bus_hub_key (hub), "subscriber", G_TYPE_STRING,
              GST_ELEMENT_NAME (self), NULL)));
  gst_object_unref (pub);
}

/* Control thread: the publisher's stream set is complete; expose a pad per
 * stream not subscribed yet, then link them, video first so the others
 * start where its keyframe is. */
static void
subscribe_new (GstArclyBusSrc * self, ArclyBusHub * hub)
{
  GPtrArray *tracks, *added;
  gboolean complete, first;
  GstClockTime max_lag_time, ref_pos = GST_CLOCK_TIME_NONE;
  guint serial, have, i, video = G_MAXUINT;

  tracks = arcly_bus_hub_get_tracks (hub, &complete, &serial);
  ARCLY_MUTEX_LOCK (&self->lock);
  have = self->streams->len;
  max_lag_time = self->max_lag_time;
  ARCLY_MUTEX_UNLOCK (&self->lock);
  if (!complete || tracks->len <= have) {
    g_ptr_array_unref (tracks);
    return;
  }
  first = have == 0;
  added = g_ptr_array_new ();
  for (i = have; i < tracks->len; i++) {
    SrcStream *st;
    guint id;

    ARCLY_MUTEX_LOCK (&self->lock);
    id = self->next_pad_id++;
    ARCLY_MUTEX_UNLOCK (&self->lock);
    st = make_stream (self, g_ptr_array_index (tracks, i), id, max_lag_time);
    g_ptr_array_add (added, st);
    ARCLY_MUTEX_LOCK (&self->lock);
    g_ptr_array_add (self->streams, st);
    ARCLY_MUTEX_UNLOCK (&self->lock);
    gst_element_add_pad (GST_ELEMENT_CAST (self), st->src);
    if (video == G_MAXUINT && is_video (st->track))
      video = added->len - 1;
  }
  gst_element_no_more_pads (GST_ELEMENT_CAST (self));

  /* data starts flowing at the link: the video stream joins at the GOP
   * cache's keyframe, the others at the first buffer from its time on */
  ARCLY_MUTEX_LOCK (&self->lock);
  self->attached = TRUE;
  ARCLY_MUTEX_UNLOCK (&self->lock);
  if (video != G_MAXUINT) {
    SrcStream *v = g_ptr_array_index (added, video);

    gst_pad_link_full (v->bus_pad, v->in, GST_PAD_LINK_CHECK_NOTHING);
    if (first)
      ref_pos = arcly_bus_pad_get_joined_pos (v->bus_pad);
  }
  ARCLY_MUTEX_LOCK (&self->lock);
  if (first)
    self->ref_pos = ref_pos;
  ARCLY_MUTEX_UNLOCK (&self->lock);
  for (i = 0; i < added->len; i++) {
    SrcStream *st = g_ptr_array_index (added, i);

    if (i == video)
      continue;
    if (!first)
      /* a stream the publisher added later: from now on, not from its
       * cache (the others are past it) */
      arcly_bus_pad_set_join_pos (st->bus_pad, ARCLY_BUS_JOIN_LIVE);
    else if (GST_CLOCK_TIME_IS_VALID (ref_pos))
      arcly_bus_pad_set_join_pos (st->bus_pad, ref_pos);
    gst_pad_link_full (st->bus_pad, st->in, GST_PAD_LINK_CHECK_NOTHING);
  }
  GST_INFO_OBJECT (self, "subscribed to %u stream(s) of '%s' (joined at %"
      GST_TIME_FORMAT ")", added->len, arcly_bus_hub_key (hub),
      GST_TIME_ARGS (ref_pos));
  if (first) {
    arcly_bus_hub_add_subscriber (hub, 1);
    post_to_publisher (self, hub, "arcly-bus-subscribed");
  }
  g_ptr_array_unref (added);
  g_ptr_array_unref (tracks);
}

static gpointer
control_main (gpointer data)
{
  GstArclyBusSrc *self = data;
  ArclyBusHub *hub;

  ARCLY_MUTEX_LOCK (&self->lock);
  hub = self->hub;
  while (!self->ctl_stop) {
    if (self->changed && self->playing) {
      self->changed = FALSE;
      ARCLY_MUTEX_UNLOCK (&self->lock);
      subscribe_new (self, hub);
      ARCLY_MUTEX_LOCK (&self->lock);
      continue;
    }
    ARCLY_COND_WAIT (&self->cond, &self->lock);
  }
  ARCLY_MUTEX_UNLOCK (&self->lock);
  return NULL;
}

/* called by the hub with its lock held */
static void
hub_notify (gpointer data)
{
  GstArclyBusSrc *self = data;

  ARCLY_MUTEX_LOCK (&self->lock);
  self->changed = TRUE;
  g_cond_signal (&self->cond);
  ARCLY_MUTEX_UNLOCK (&self->lock);
}

static gboolean
gst_arcly_bus_src_start (GstArclyBusSrc * self)
{
  gchar *key;
  ArclyBusHub *hub;

  ARCLY_MUTEX_LOCK (&self->lock);
  key = g_strdup (self->stream_key);
  ARCLY_MUTEX_UNLOCK (&self->lock);
  if (key == NULL || *key == '\0') {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("No stream key set."),
        ("set the stream-key property to the name to subscribe to"));
    g_free (key);
    return FALSE;
  }
  hub = arcly_bus_hub_get (key);
  g_free (key);
  ARCLY_MUTEX_LOCK (&self->lock);
  self->hub = hub;
  self->ctl_stop = FALSE;
  self->changed = TRUE;
  self->have_delay = FALSE;
  self->attached = FALSE;
  self->eos_requested = FALSE;
  self->ref_pos = GST_CLOCK_TIME_NONE;
  self->group_id = gst_util_group_id_next ();
  ARCLY_MUTEX_UNLOCK (&self->lock);
  arcly_bus_hub_watch (hub, hub_notify, self);
  self->ctl = g_thread_new ("arclybussrc-ctl", control_main, self);
  return TRUE;
}

static void
free_stream (SrcStream * st)
{
  gst_element_release_request_pad (st->track, st->bus_pad);
  gst_object_unref (st->bus_pad);
  /* waits for a push into it still in progress */
  gst_pad_set_active (st->in, FALSE);
  gst_pad_set_element_private (st->in, NULL);
  gst_pad_set_element_private (st->src, NULL);
  gst_object_unref (st->in);
  gst_object_unref (st->track);
  gst_object_unref (st->src);
  g_free (st);
}

static void
gst_arcly_bus_src_stop (GstArclyBusSrc * self)
{
  ArclyBusHub *hub;
  GPtrArray *streams;
  GThread *ctl;
  guint i;

  ARCLY_MUTEX_LOCK (&self->lock);
  hub = self->hub;
  ctl = self->ctl;
  self->ctl = NULL;
  self->ctl_stop = TRUE;
  self->playing = FALSE;
  self->attached = FALSE;
  g_cond_signal (&self->cond);
  ARCLY_MUTEX_UNLOCK (&self->lock);
  if (hub == NULL)
    return;
  arcly_bus_hub_unwatch (hub, self);
  if (ctl)
    g_thread_join (ctl);

  ARCLY_MUTEX_LOCK (&self->lock);
  streams = self->streams;
  self->streams = g_ptr_array_new ();
  self->hub = NULL;
  ARCLY_MUTEX_UNLOCK (&self->lock);
  for (i = 0; i < streams->len; i++) {
    SrcStream *st = g_ptr_array_index (streams, i);

    gst_element_remove_pad (GST_ELEMENT_CAST (self), st->src);
    free_stream (st);
  }
  if (streams->len > 0) {
    arcly_bus_hub_add_subscriber (hub, -1);
    post_to_publisher (self, hub, "arcly-bus-unsubscribed");
  }
  g_ptr_array_unref (streams);
  arcly_bus_hub_unref (hub);
}

static GstStateChangeReturn
gst_arcly_bus_src_change_state (GstElement * element,
    GstStateChange transition)
{
  GstArclyBusSrc *self = GST_ARCLY_BUS_SRC (element);
  GstStateChangeReturn ret;

  switch (transition) {
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      if (!gst_arcly_bus_src_start (self))
        return GST_STATE_CHANGE_FAILURE;
      break;
    case GST_STATE_CHANGE_PLAYING_TO_PAUSED:
      ARCLY_MUTEX_LOCK (&self->lock);
      self->playing = FALSE;
      ARCLY_MUTEX_UNLOCK (&self->lock);
      break;
    default:
      break;
  }
  ret = GST_ELEMENT_CLASS (gst_arcly_bus_src_parent_class)->change_state
      (element, transition);
  switch (transition) {
    case GST_STATE_CHANGE_PAUSED_TO_PLAYING:
      ARCLY_MUTEX_LOCK (&self->lock);
      self->playing = TRUE;
      self->changed = TRUE;
      g_cond_signal (&self->cond);
      ARCLY_MUTEX_UNLOCK (&self->lock);
      break;
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      gst_arcly_bus_src_stop (self);
      break;
    default:
      break;
  }
  if (ret == GST_STATE_CHANGE_FAILURE)
    return ret;
  /* a live source: no preroll */
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED ||
      transition == GST_STATE_CHANGE_PLAYING_TO_PAUSED)
    ret = GST_STATE_CHANGE_NO_PREROLL;
  return ret;
}

/* ---------------------------------------------------------- properties */

static GstStructure *
gst_arcly_bus_src_make_stats (GstArclyBusSrc * self)
{
  GPtrArray *pads = g_ptr_array_new_with_free_func (gst_object_unref);
  guint64 frames = 0, bytes = 0, lagged = 0, dropped = 0, lag_time = 0;
  gboolean evicted = FALSE, published = FALSE;
  GstStructure *s;
  guint i, n;
  gchar *key;

  ARCLY_MUTEX_LOCK (&self->lock);
  key = g_strdup (self->stream_key);
  n = self->streams->len;
  for (i = 0; i < n; i++) {
    SrcStream *st = g_ptr_array_index (self->streams, i);

    frames += st->frames;
    bytes += st->bytes;
    g_ptr_array_add (pads, gst_object_ref (st->bus_pad));
  }
  ARCLY_MUTEX_UNLOCK (&self->lock);
  for (i = 0; i < pads->len; i++) {
    GstStructure *ps;
    guint64 v;
    gboolean e = FALSE;

    g_object_get (g_ptr_array_index (pads, i), "stats", &ps, NULL);
    if (gst_structure_get_uint64 (ps, "lagged", &v))
      lagged += v;
    if (gst_structure_get_uint64 (ps, "frames-dropped", &v))
      dropped += v;
    if (gst_structure_get_uint64 (ps, "lag-time", &v))
      lag_time = MAX (lag_time, v);
    if (gst_structure_get_boolean (ps, "evicted", &e) && e)
      evicted = TRUE;
    gst_structure_free (ps);
  }
  {
    ArclyBusHub *hub = key ? arcly_bus_hub_get (key) : NULL;
    GstElement *pub = hub ? arcly_bus_hub_get_publisher (hub) : NULL;

    published = pub != NULL;
    if (pub)
      gst_object_unref (pub);
    arcly_bus_hub_unref (hub);
  }
  s = gst_structure_new ("arcly-bussrc-stats",
      "stream-key", G_TYPE_STRING, key,
      "published", G_TYPE_BOOLEAN, published,
      "streams", G_TYPE_UINT, n,
      "frames-received", G_TYPE_UINT64, frames,
      "bytes-received", G_TYPE_UINT64, bytes,
      "lagged", G_TYPE_UINT64, lagged,
      "frames-dropped", G_TYPE_UINT64, dropped,
      "lag-time", G_TYPE_UINT64, lag_time,
      "evicted", G_TYPE_BOOLEAN, evicted, NULL);
  g_ptr_array_unref (pads);
  g_free (key);
  return s;
}

static void
gst_arcly_bus_src_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstArclyBusSrc *self = GST_ARCLY_BUS_SRC (object);

  ARCLY_MUTEX_LOCK (&self->lock);
  switch (prop_id) {
    case PROP_STREAM_KEY:
      g_free (self->stream_key);
      self->stream_key = g_value_dup_string (value);
      break;
    case PROP_ON_UNPUBLISH:
      self->on_unpublish = g_value_get_enum (value);
      break;
    case PROP_MAX_LAG_TIME:
      self->max_lag_time = g_value_get_uint64 (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  ARCLY_MUTEX_UNLOCK (&self->lock);
}

static void
gst_arcly_bus_src_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstArclyBusSrc *self = GST_ARCLY_BUS_SRC (object);

  if (prop_id == PROP_STATS) {
    g_value_take_boxed (value, gst_arcly_bus_src_make_stats (self));
    return;
  }
  ARCLY_MUTEX_LOCK (&self->lock);
  switch (prop_id) {
    case PROP_STREAM_KEY:
      g_value_set_string (value, self->stream_key);
      break;
    case PROP_ON_UNPUBLISH:
      g_value_set_enum (value, self->on_unpublish);
      break;
    case PROP_MAX_LAG_TIME:
      g_value_set_uint64 (value, self->max_lag_time);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  ARCLY_MUTEX_UNLOCK (&self->lock);
}

static void
gst_arcly_bus_src_finalize (GObject * object)
{
  GstArclyBusSrc *self = GST_ARCLY_BUS_SRC (object);

  g_ptr_array_unref (self->streams);
  g_free (self->stream_key);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  G_OBJECT_CLASS (gst_arcly_bus_src_parent_class)->finalize (object);
}

static void
gst_arcly_bus_src_class_init (GstArclyBusSrcClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (arclybussrc_debug, "arclybussrc", 0,
      "arclybussrc: subscribe to streams by stream key");

  gobject_class->set_property = gst_arcly_bus_src_set_property;
  gobject_class->get_property = gst_arcly_bus_src_get_property;
  gobject_class->finalize = gst_arcly_bus_src_finalize;

  g_object_class_install_property (gobject_class, PROP_STREAM_KEY,
      g_param_spec_string ("stream-key", "Stream key",
          "Name of the published streams to subscribe to (an arclybussink's "
          "stream-key in this process); waits until it is published",
          DEFAULT_PROP_STREAM_KEY, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_ON_UNPUBLISH,
      g_param_spec_enum ("on-unpublish", "On unpublish",
          "When the publisher goes away: keep running and resume (new "
          "segment, DISCONT) with the next publisher, or end with EOS",
          GST_TYPE_ARCLY_BUS_UNPUBLISH, DEFAULT_PROP_ON_UNPUBLISH,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_MAX_LAG_TIME,
      g_param_spec_uint64 ("max-lag-time", "Maximum lag time",
          "This subscriber's bound on how far behind live it may fall before "
          "it skips to the newest keyframe (ns; 0 = no time bound; "
          "18446744073709551615 = the publisher's max-lag-time)", 0,
          G_MAXUINT64, DEFAULT_PROP_MAX_LAG_TIME,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics",
          "stream-key, whether it is published, streams, frames and bytes "
          "received, lag events, frames dropped, current lag (ns), evicted",
          GST_TYPE_STRUCTURE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "Arcly bus subscriber", "Source/Generic",
      "Subscribes to the streams published under a stream key by an "
      "arclybussink in another pipeline, starting from the GOP cache with "
      "audio aligned to the first video frame", "gst-arcly developers");

  element_class->change_state = gst_arcly_bus_src_change_state;
  element_class->send_event = gst_arcly_bus_src_send_event;
  gst_type_mark_as_plugin_api (GST_TYPE_ARCLY_BUS_UNPUBLISH, 0);
}

static void
gst_arcly_bus_src_init (GstArclyBusSrc * self)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->streams = g_ptr_array_new ();
  self->stream_key = DEFAULT_PROP_STREAM_KEY;
  self->on_unpublish = DEFAULT_PROP_ON_UNPUBLISH;
  self->max_lag_time = DEFAULT_PROP_MAX_LAG_TIME;
  self->ref_pos = GST_CLOCK_TIME_NONE;
  GST_OBJECT_FLAG_SET (self, GST_ELEMENT_FLAG_SOURCE);
}
