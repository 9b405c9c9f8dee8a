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
 * SECTION:element-arclybus
 * @title: arclybus
 *
 * A fan-out tee that never stalls its publisher: the chain function stores a
 * reference in a bounded ring (busring.c) and returns; a small pool of
 * delivery threads pushes the same #GstBuffer to every src pad.  A slow pad
 * overruns and skips to the newest keyframe (DISCONT, "arcly-bus-lagged");
 * pads requested while playing start from the GOP cache.
 *
 * The delivery threads, their scheduling and stall handover are in
 * gstarclybusdeliver.c; the types shared by both files in
 * gstarclybus-private.h.
 *
 * ## Locks
 *
 * `lock` (GMutex) guards everything marked (L) here and in
 * gstarclybus-private.h (the element's and the pads' fields) and the
 * properties.  Order: sink GST_PAD_STREAM_LOCK → `lock`.  Nothing is
 * pushed, no message posted, no pad/object lock taken and no item released
 * while `lock` is held.  Pad "linked"/"unlinked" handlers run without pad
 * locks (GStreamer emits them after unlocking) and take `lock`.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <string.h>

#include "gstarclybuselements.h"
#include "gstarclybus-private.h"

#define GST_CAT_DEFAULT arclybus_debug
GST_DEBUG_CATEGORY (arclybus_dataflow);

#define DEFAULT_PROP_CAPACITY 1024
#define DEFAULT_PROP_THREADS 0
#define DEFAULT_PROP_STALL_THRESHOLD (50 * GST_MSECOND)
#define DEFAULT_PROP_MAX_LAG 0
#define DEFAULT_PROP_MAX_LAG_TIME GST_SECOND
#define DEFAULT_PAD_PROP_MAX_LAG_TIME GST_CLOCK_TIME_NONE
#define DEFAULT_PROP_GOP_CACHE TRUE
#define DEFAULT_PROP_GOP_MAX_FRAMES 300
#define DEFAULT_PROP_GOP_MAX_BYTES (16 * 1024 * 1024)
#define DEFAULT_PROP_REQUEST_KEYFRAME TRUE

enum
{
  PROP_0,
  PROP_CAPACITY,
  PROP_THREADS,
  PROP_STALL_THRESHOLD,
  PROP_MAX_LAG,
  PROP_MAX_LAG_TIME,
  PROP_GOP_CACHE,
  PROP_GOP_MAX_FRAMES,
  PROP_GOP_MAX_BYTES,
  PROP_REQUEST_KEYFRAME,
  PROP_STATS,
};

enum
{
  PAD_PROP_0,
  PAD_PROP_MAX_LAG_TIME,
  PAD_PROP_STATS,
};

/* ------------------------------------------------------------------ pad */

G_DEFINE_TYPE (GstArclyBusPad, gst_arcly_bus_pad, GST_TYPE_PAD);

/* -------------------------------------------------------------- element */

G_DEFINE_TYPE (GstArclyBus, gst_arcly_bus, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE (arclybus, "arclybus", GST_RANK_NONE,
    GST_TYPE_ARCLY_BUS);

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src_%u",
    GST_PAD_SRC, GST_PAD_REQUEST, GST_STATIC_CAPS_ANY);

/* ------------------------------------------------------------- sticky */

static BusSticky *
sticky_ref (BusSticky * s)
{
  g_atomic_int_inc (&s->ref);
  return s;
}

void
arcly_bus_sticky_unref (BusSticky * s)
{
  guint i;

  if (s == NULL || !g_atomic_int_dec_and_test (&s->ref))
    return;
  for (i = 0; i < s->n; i++)
    gst_event_unref (s->ev[i]);
  g_free (s);
}

static gboolean
sticky_same_slot (GstEvent * a, GstEvent * b)
{
  if (GST_EVENT_TYPE (a) != GST_EVENT_TYPE (b))
    return FALSE;
  if (GST_EVENT_TYPE (a) == GST_EVENT_TAG) {
    GstTagList *ta, *tb;
    gst_event_parse_tag (a, &ta);
    gst_event_parse_tag (b, &tb);
    return gst_tag_list_get_scope (ta) == gst_tag_list_get_scope (tb);
  }
  if (GST_EVENT_TYPE (a) == GST_EVENT_CUSTOM_DOWNSTREAM_STICKY)
    return gst_event_has_name (a,
        gst_structure_get_name (gst_event_get_structure (b)));
  return TRUE;
}

static gboolean
sticky_keep (GstEvent * ev, gboolean flush, gboolean stream_start)
{
  GstEventType t = GST_EVENT_TYPE (ev);

  if (flush && (t == GST_EVENT_SEGMENT || t == GST_EVENT_EOS ||
          t == GST_EVENT_STREAM_GROUP_DONE))
    return FALSE;
  if (stream_start && (t == GST_EVENT_EOS || t == GST_EVENT_STREAM_GROUP_DONE
          || t == GST_EVENT_TAG))
    return FALSE;
  return TRUE;
}

/* A new snapshot from @old with @ev stored (NULL: a flush-stop). */
static BusSticky *
sticky_with (const BusSticky * old, GstEvent * ev)
{
  BusSticky *s = g_new0 (BusSticky, 1);
  gboolean stream_start = ev && GST_EVENT_TYPE (ev) == GST_EVENT_STREAM_START;
  gboolean placed = FALSE;
  guint i;

  s->ref = 1;
  for (i = 0; old && i < old->n; i++) {
    GstEvent *e = old->ev[i];

    if (!sticky_keep (e, ev == NULL, stream_start))
      continue;
    if (ev && !placed && sticky_same_slot (e, ev)) {
      e = ev;
      placed = TRUE;
    } else if (ev && !placed && GST_EVENT_TYPE (ev) < GST_EVENT_TYPE (e)) {
      if (s->n < MAX_STICKY)
        s->ev[s->n++] = gst_event_ref (ev);
      placed = TRUE;
    }
    if (s->n < MAX_STICKY)
      s->ev[s->n++] = gst_event_ref (e);
  }
  if (ev && !placed && s->n < MAX_STICKY)
    s->ev[s->n++] = gst_event_ref (ev);
  return s;
}

/* ------------------------------------------------------ start / stop */

static gboolean
gst_arcly_bus_start (GstArclyBus * self)
{
  guint i;

  BUS_LOCK (self);
  self->ring = arcly_bus_ring_new (self->capacity);
  arcly_bus_ring_set_cache (self->ring, self->gop_cache, self->gop_max_frames,
      self->gop_max_bytes);
  self->sticky = sticky_with (NULL, NULL);
  gst_segment_init (&self->segment, GST_FORMAT_UNDEFINED);
  self->gen++;
  self->running = TRUE;
  self->flushing = FALSE;
  self->last_fku = 0;
  self->pool_target = self->threads ? self->threads : g_get_num_processors ();
  self->pool_active = self->n_stalled = self->n_alive = self->n_idle = 0;
  self->n_wakes = 0;
  self->frames = self->bytes = self->lagged = self->dropped = 0;
  self->evictions = 0;
  self->win_start = g_get_monotonic_time ();
  self->win_frames = self->win_bytes = 0;
  self->fps = 0;
  self->bitrate = 0;
  for (i = 0; i < self->pads->len; i++) {
    GstArclyBusPad *p = g_ptr_array_index (self->pads, i);

    /* pads linked before the start get the stream from its first item */
    memset (&p->cur, 0, sizeof (p->cur));
    p->joined = p->linked;
    p->need_sticky = FALSE;
    p->started = FALSE;
    p->resend_sticky = FALSE;
    p->dead = p->evicted = p->eos_pending = p->fku_pending = FALSE;
    p->retry_at = 0;
  }
  for (i = 0; i < self->pool_target; i++)
    arcly_bus_spawn_worker (self);
  if (self->pool_active > 0)
    arcly_bus_watch (self);
  BUS_UNLOCK (self);
  return self->pool_active > 0;
}

static void
gst_arcly_bus_stop (GstArclyBus * self)
{
  ArclyBusItem out[TRIM_BATCH];
  gint64 deadline = g_get_monotonic_time () + STOP_WAIT_US;
  BusSticky *sticky;
  guint n;

  arcly_bus_unwatch (self);
  BUS_LOCK (self);
  self->running = FALSE;
  g_cond_broadcast (&self->work_cond);
  while (self->n_alive > 0)
    if (!arcly_bus_wait_until (self, &self->exit_cond, deadline))
      break;
  if (self->n_alive > 0)
    GST_WARNING_OBJECT (self, "%u delivery thread(s) still blocked in a push "
        "downstream; leaving them behind", self->n_alive);
  /* threads left behind see the new generation and only drop their refs */
  self->gen++;
  g_list_free (self->workers);
  self->workers = NULL;
  self->n_alive = self->pool_active = self->n_stalled = 0;
  while (self->ring && (n = arcly_bus_ring_clear (self->ring, out,
              TRIM_BATCH)) > 0) {
    BUS_UNLOCK (self);
    arcly_bus_release_items (out, n);
    BUS_LOCK (self);
  }
  arcly_bus_ring_free (self->ring);
  self->ring = NULL;
  sticky = self->sticky;
  self->sticky = NULL;
  BUS_UNLOCK (self);
  arcly_bus_sticky_unref (sticky);
}

static GstStateChangeReturn
gst_arcly_bus_change_state (GstElement * element, GstStateChange transition)
{
  GstArclyBus *self = GST_ARCLY_BUS (element);
  GstStateChangeReturn ret;

  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED) {
    if (!gst_arcly_bus_start (self)) {
      GST_ELEMENT_ERROR (self, RESOURCE, FAILED,
          ("Could not start the delivery threads."),
          ("g_thread_try_new failed for every delivery thread"));
      gst_arcly_bus_stop (self);
      return GST_STATE_CHANGE_FAILURE;
    }
  }

  ret = GST_ELEMENT_CLASS (gst_arcly_bus_parent_class)->change_state (element,
      transition);

  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY ||
      (transition == GST_STATE_CHANGE_READY_TO_PAUSED
          && ret == GST_STATE_CHANGE_FAILURE))
    gst_arcly_bus_stop (self);
  return ret;
}

/* ------------------------------------------------------------ sink pad */

/* Progress a pool worker must have made this recently for the publisher
 * to leave the new item to it rather than wake another one. */
#define WAKE_PROGRESS_US 1000

/* (L) One awake worker keeps up with a live stream: every wake-up of a
 * second one on another core only bounces the lock, the pads and the
 * buffers' reference counts between the cores (measured: 1.8x the CPU of
 * one worker at 500 subscribers).  So the publisher wakes one idle worker,
 * and only when no pool worker is awake or the awake ones have not claimed
 * a pad for WAKE_PROGRESS_US (stuck in a push before the watchdog calls it
 * a stall).  A worker that finds a pad behind by more than the newest item
 * wakes a peer itself (pick_pad), so a backlog is still served in
 * parallel.
 *
 * Nor while a wake-up is on its way (n_wakes): a source that pushes a
 * batch of frames at once (arclyrtspsrc read-interval) publishes them
 * before the woken worker gets the lock, and each would otherwise signal
 * again and wake the next idle worker for nothing (GLib's GCond enters the
 * kernel on every signal, waiter or not).  The woken worker scans the
 * pads, so it finds every item published meanwhile. */
static void
wake_workers (GstArclyBus * self)
{
  if (self->n_idle == 0 || self->n_wakes > 0)
    return;
  if (self->n_idle < self->pool_active
      && g_get_monotonic_time () - self->last_pick < WAKE_PROGRESS_US)
    return;
  arcly_bus_wake_one (self);
}

/* When an item is published, for max-lag-time: the running time on the
 * pipeline clock.  Not the buffers' timestamps: a non-live source pushing
 * faster than real time would make every subscriber look seconds late, and
 * the running time stands still while the pipeline is paused, so data
 * published before a pause does not age.  Without a clock (an element used
 * on its own), the monotonic clock.  Takes the object lock: call without
 * the bus lock. */
static GstClockTime
publish_time (GstArclyBus * self)
{
  GstElement *el = GST_ELEMENT_CAST (self);
  GstClock *clock;
  GstClockTime base, now;
  gboolean playing;

  GST_OBJECT_LOCK (self);
  clock = GST_ELEMENT_CLOCK (el) ? gst_object_ref (GST_ELEMENT_CLOCK (el)) :
      NULL;
  base = GST_ELEMENT_CAST (el)->base_time;
  playing = GST_STATE (el) == GST_STATE_PLAYING;
  now = GST_ELEMENT_START_TIME (el);
  GST_OBJECT_UNLOCK (self);
  if (clock == NULL)
    return g_get_monotonic_time () * GST_USECOND;
  if (playing) {
    now = gst_clock_get_time (clock);
    now = now > base ? now - base : 0;
  }
  gst_object_unref (clock);
  return GST_CLOCK_TIME_IS_VALID (now) ? now : 0;
}

/* (L) The running time of @buf's PTS (else DTS) in the publisher's
 * segment: where arclybussrc lines up its streams.  NONE when unknown. */
static GstClockTime
stream_pos (GstArclyBus * self, GstBuffer * buf)
{
  GstClockTime t = GST_BUFFER_PTS_IS_VALID (buf) ? GST_BUFFER_PTS (buf) :
      GST_BUFFER_DTS (buf);

  if (!GST_CLOCK_TIME_IS_VALID (t) || self->segment.format != GST_FORMAT_TIME)
    return GST_CLOCK_TIME_NONE;
  return gst_segment_to_running_time (&self->segment, GST_FORMAT_TIME, t);
}

/* Appends @obj to the ring (takes the reference); FALSE when flushing or
 * stopped.  The publisher's critical section: independent of the number of
 * pads.  @wake: wake a delivery thread for it (a buffer list wakes one
 * after its last buffer). */
static gboolean
publish (GstArclyBus * self, GstMiniObject * obj, guint32 size, guint32 flags,
    GstEvent * sticky_event, gboolean wake)
{
  ArclyBusItem dropped[9];
  guint n = 0;
  BusSticky *old_sticky = NULL;
  gint64 now = 0;
  GstClockTime ts = GST_CLOCK_TIME_NONE, pos = GST_CLOCK_TIME_NONE;

  if (flags & ARCLY_BUS_ITEM_BUFFER) {
    now = g_get_monotonic_time ();
    ts = publish_time (self);
  }

  BUS_LOCK (self);
  if (!self->running || self->flushing || self->ring == NULL) {
    BUS_UNLOCK (self);
    gst_mini_object_unref (obj);
    return FALSE;
  }
  if (flags & ARCLY_BUS_ITEM_BUFFER)
    pos = stream_pos (self, GST_BUFFER_CAST (obj));
  if (arcly_bus_ring_push_timed (self->ring, obj, sticky_ref (self->sticky),
          size, flags, ts, pos, &dropped[0]))
    n++;
  if (sticky_event) {
    old_sticky = self->sticky;
    self->sticky = sticky_with (old_sticky, sticky_event);
    if (GST_EVENT_TYPE (sticky_event) == GST_EVENT_SEGMENT)
      gst_event_copy_segment (sticky_event, &self->segment);
  }
  if (flags & ARCLY_BUS_ITEM_BUFFER) {
    self->frames++;
    self->bytes += size;
    self->win_frames++;
    self->win_bytes += size;
    if (now - self->win_start >= G_TIME_SPAN_SECOND) {
      gdouble secs = (now - self->win_start) / (gdouble) G_TIME_SPAN_SECOND;

      self->fps = self->win_frames / secs;
      self->bitrate = (guint64) (self->win_bytes * 8 / secs);
      self->rate_time = now;
      self->win_start = now;
      self->win_frames = self->win_bytes = 0;
    }
  }
  /* nobody to deliver to: keep only the GOP cache (amortized O(1)) */
  if (self->pads->len == 0)
    n += arcly_bus_ring_trim (self->ring, arcly_bus_ring_head (self->ring),
        &dropped[n], G_N_ELEMENTS (dropped) - n);
  if (wake)
    wake_workers (self);
  BUS_UNLOCK (self);

  arcly_bus_release_items (dropped, n);
  arcly_bus_sticky_unref (old_sticky);
  return TRUE;
}

static gboolean
publish_buffer (GstArclyBus * self, GstBuffer * buf, gboolean wake)
{
  guint32 flags = ARCLY_BUS_ITEM_BUFFER;
  gsize size = gst_buffer_get_size (buf);

  if (!GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT))
    flags |= ARCLY_BUS_ITEM_KEY;
  GST_CAT_LOG_OBJECT (arclybus_dataflow, self, "publish %" GST_PTR_FORMAT, buf);
  return publish (self, GST_MINI_OBJECT_CAST (buf), (guint32) MIN (size,
          G_MAXUINT32), flags, NULL, wake);
}

static GstFlowReturn
gst_arcly_bus_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  if (!publish_buffer (GST_ARCLY_BUS (parent), buf, TRUE))
    return GST_FLOW_FLUSHING;
  return GST_FLOW_OK;
}

/* A list (arclyrtspsrc buffer-lists: a read's frames) is published item by
 * item, and one delivery thread woken after the last: it finds them all.
 * Without it each buffer would wake the thread again once it went idle
 * between two of them (a system call each). */
static GstFlowReturn
gst_arcly_bus_chain_list (GstPad * pad, GstObject * parent,
    GstBufferList * list)
{
  GstArclyBus *self = GST_ARCLY_BUS (parent);
  guint i, len = gst_buffer_list_length (list);
  gboolean ok = TRUE;

  for (i = 0; i < len && ok; i++)
    ok = publish_buffer (self, gst_buffer_ref (gst_buffer_list_get (list, i)),
        FALSE);
  gst_buffer_list_unref (list);
  BUS_LOCK (self);
  wake_workers (self);
  BUS_UNLOCK (self);
  return ok ? GST_FLOW_OK : GST_FLOW_FLUSHING;
}

/* Pads to forward a flush or an out-of-band event to. */
static GList *
ref_pads (GstArclyBus * self)
{
  GList *list = NULL;
  guint i;

  BUS_LOCK (self);
  for (i = 0; i < self->pads->len; i++)
    list = g_list_prepend (list,
        gst_object_ref (g_ptr_array_index (self->pads, i)));
  BUS_UNLOCK (self);
  return list;
}

static gboolean
forward_to_all (GstArclyBus * self, GstEvent * event)
{
  GList *pads = ref_pads (self), *l;

  for (l = pads; l; l = l->next)
    gst_pad_push_event (GST_PAD_CAST (l->data), gst_event_ref (event));
  g_list_free_full (pads, gst_object_unref);
  gst_event_unref (event);
  return TRUE;
}

/* (L) A worker still inside a push of pre-flush data (not a stalled one) */
static gboolean
pads_pushing (GstArclyBus * self)
{
  guint i;

  for (i = 0; i < self->pads->len; i++) {
    GstArclyBusPad *p = g_ptr_array_index (self->pads, i);

    if (p->busy && !p->stalled)
      return TRUE;
  }
  return FALSE;
}

static void
flush_stop (GstArclyBus * self)
{
  ArclyBusItem out[TRIM_BATCH];
  BusSticky *old = NULL;
  gint64 deadline = g_get_monotonic_time () + FLUSH_WAIT_US;
  guint i, n;

  BUS_LOCK (self);
  /* no data from before the flush after the flush-stop: while flushing no
   * worker picks a pad, and the pushes in progress return at once (their
   * downstream is flushing); wait for them, bounded */
  while (pads_pushing (self) && g_get_monotonic_time () < deadline) {
    BUS_UNLOCK (self);
    g_usleep (1000);
    BUS_LOCK (self);
  }
  while (self->ring && (n = arcly_bus_ring_clear (self->ring, out,
              TRIM_BATCH)) > 0) {
    BUS_UNLOCK (self);
    arcly_bus_release_items (out, n);
    BUS_LOCK (self);
  }
  if (self->sticky) {
    old = self->sticky;
    self->sticky = sticky_with (old, NULL);
  }
  gst_segment_init (&self->segment, GST_FORMAT_UNDEFINED);
  for (i = 0; self->ring && i < self->pads->len; i++) {
    GstArclyBusPad *p = g_ptr_array_index (self->pads, i);

    if (p->joined) {
      memset (&p->cur, 0, sizeof (p->cur));
      p->cur.seq = arcly_bus_ring_head (self->ring);
      p->cur.nbuf = arcly_bus_ring_n_buffers (self->ring);
      /* the sticky events still in the ring (a stream-start, caps the pad
       * had not reached yet) went with the flush: the next item comes with
       * the state in force (events the pad already has are not sent) */
      p->need_sticky = TRUE;
    }
  }
  self->flushing = FALSE;
  BUS_UNLOCK (self);
  arcly_bus_sticky_unref (old);
}

static gboolean
gst_arcly_bus_sink_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  GstArclyBus *self = GST_ARCLY_BUS (parent);
  GstEventType type = GST_EVENT_TYPE (event);
  gboolean ok;

  GST_DEBUG_OBJECT (self, "event %" GST_PTR_FORMAT, event);
  switch (type) {
    case GST_EVENT_FLUSH_START:
      BUS_LOCK (self);
      self->flushing = TRUE;
      BUS_UNLOCK (self);
      return forward_to_all (self, event);
    case GST_EVENT_FLUSH_STOP:
      flush_stop (self);
      return forward_to_all (self, event);
    default:
      break;
  }
  if (!GST_EVENT_IS_SERIALIZED (event))
    return forward_to_all (self, event);

  /* serialized: through the ring, in order with the buffers */
  ok = publish (self, GST_MINI_OBJECT_CAST (gst_event_ref (event)), 0, 0,
      GST_EVENT_IS_STICKY (event) ? event : NULL, TRUE);
  gst_event_unref (event);
  return ok;
}

static gboolean
gst_arcly_bus_sink_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_CAPS:{
      GstCaps *filter, *caps;

      /* subscribers come and go: everything is accepted */
      gst_query_parse_caps (query, &filter);
      caps = filter ? gst_caps_ref (filter) : gst_caps_new_any ();
      gst_query_set_caps_result (query, caps);
      gst_caps_unref (caps);
      return TRUE;
    }
    case GST_QUERY_ACCEPT_CAPS:
      gst_query_set_accept_caps_result (query, TRUE);
      return TRUE;
    case GST_QUERY_ALLOCATION:
      /* no pool, no params: every subscriber is independent, and
       * upstream's own allocator is as good as any */
      return TRUE;
    case GST_QUERY_DRAIN:
      return TRUE;
    default:
      /* queries from upstream are not fanned out to the subscribers */
      return FALSE;
  }
}

/* ------------------------------------------------------------- src pads */

static gboolean
gst_arcly_bus_src_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  GstArclyBus *self = GST_ARCLY_BUS (parent);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_QOS:
    case GST_EVENT_RECONFIGURE:
      /* one subscriber's QoS must not throttle the others */
      gst_event_unref (event);
      return TRUE;
    default:
      return gst_pad_push_event (self->sinkpad, event);
  }
}

static gboolean
gst_arcly_bus_src_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  GstArclyBus *self = GST_ARCLY_BUS (parent);

  if (GST_QUERY_TYPE (query) == GST_QUERY_CAPS) {
    GstCaps *filter, *caps;

    gst_query_parse_caps (query, &filter);
    caps = gst_pad_get_current_caps (self->sinkpad);
    if (caps == NULL)
      caps = gst_pad_peer_query_caps (self->sinkpad, filter);
    else if (filter) {
      GstCaps *tmp = gst_caps_intersect_full (filter, caps,
          GST_CAPS_INTERSECT_FIRST);
      gst_caps_unref (caps);
      caps = tmp;
    }
    gst_query_set_caps_result (query, caps);
    gst_caps_unref (caps);
    return TRUE;
  }
  /* latency, position, duration, seeking, ...: answered upstream; the bus
   * adds no latency of its own */
  return gst_pad_query_default (pad, parent, query);
}

static GstIterator *
gst_arcly_bus_src_iterate_internal (GstPad * pad, GstObject * parent)
{
  GstArclyBus *self = GST_ARCLY_BUS (parent);
  GValue v = G_VALUE_INIT;
  GstIterator *it;

  g_value_init (&v, GST_TYPE_PAD);
  g_value_set_object (&v, self->sinkpad);
  it = gst_iterator_new_single (GST_TYPE_PAD, &v);
  g_value_unset (&v);
  return it;
}

static void
gst_arcly_bus_pad_linked (GstPad * pad, GstPad * peer)
{
  GstElement *parent = gst_pad_get_parent_element (pad);
  GstArclyBusPad *p = GST_ARCLY_BUS_PAD (pad);
  GstArclyBus *self;

  if (parent == NULL)
    return;
  self = GST_ARCLY_BUS (parent);
  BUS_LOCK (self);
  p->linked = TRUE;
  p->joined = FALSE;
  p->retry_at = 0;
  /* linking schedules the pad's sticky events again by itself */
  p->resend_sticky = FALSE;
  /* the cursor is placed now, so what the pad gets does not depend on
   * when a delivery thread first looks at it */
  if (self->running && self->ring && !self->flushing)
    arcly_bus_pad_join (self, p);
  g_cond_broadcast (&self->work_cond);
  BUS_UNLOCK (self);
  gst_object_unref (parent);
}

static void
gst_arcly_bus_pad_unlinked (GstPad * pad, GstPad * peer)
{
  GstElement *parent = gst_pad_get_parent_element (pad);
  GstArclyBusPad *p = GST_ARCLY_BUS_PAD (pad);
  GstArclyBus *self;

  if (parent == NULL)
    return;
  self = GST_ARCLY_BUS (parent);
  BUS_LOCK (self);
  p->linked = FALSE;
  p->joined = FALSE;
  BUS_UNLOCK (self);
  gst_object_unref (parent);
}

static GstPad *
gst_arcly_bus_request_new_pad (GstElement * element, GstPadTemplate * templ,
    const gchar * name_templ, const GstCaps * caps)
{
  GstArclyBus *self = GST_ARCLY_BUS (element);
  GstArclyBusPad *p;
  GstPad *pad;
  guint id;
  gchar *name;

  BUS_LOCK (self);
  if (name_templ && sscanf (name_templ, "src_%u", &id) == 1) {
    guint i;

    for (i = 0; i < self->pads->len; i++) {
      if (g_strcmp0 (GST_PAD_NAME (g_ptr_array_index (self->pads, i)),
              name_templ) == 0) {
        BUS_UNLOCK (self);
        GST_WARNING_OBJECT (self, "pad %s already exists", name_templ);
        return NULL;
      }
    }
    self->next_pad_id = MAX (self->next_pad_id, id + 1);
  } else {
    id = self->next_pad_id++;
  }
  BUS_UNLOCK (self);

  name = g_strdup_printf ("src_%u", id);
  pad = g_object_new (GST_TYPE_ARCLY_BUS_PAD, "name", name, "direction",
      GST_PAD_SRC, "template", templ, NULL);
  g_free (name);
  p = GST_ARCLY_BUS_PAD (pad);
  p->max_lag_time = DEFAULT_PAD_PROP_MAX_LAG_TIME;
  p->join_pos = GST_CLOCK_TIME_NONE;
  gst_pad_set_event_function (pad, gst_arcly_bus_src_event);
  gst_pad_set_query_function (pad, gst_arcly_bus_src_query);
  gst_pad_set_iterate_internal_links_function (pad,
      gst_arcly_bus_src_iterate_internal);

  if (!gst_element_add_pad (element, pad)) {
    gst_object_unref (pad);
    return NULL;
  }
  BUS_LOCK (self);
  g_ptr_array_add (self->pads, gst_object_ref (p));
  BUS_UNLOCK (self);
  GST_DEBUG_OBJECT (self, "requested %s", GST_PAD_NAME (pad));
  return pad;
}

static void
gst_arcly_bus_release_pad (GstElement * element, GstPad * pad)
{
  GstArclyBus *self = GST_ARCLY_BUS (element);
  GstArclyBusPad *p = GST_ARCLY_BUS_PAD (pad);
  gboolean found;

  GST_DEBUG_OBJECT (self, "releasing %s", GST_PAD_NAME (pad));
  BUS_LOCK (self);
  found = g_ptr_array_remove (self->pads, p);
  p->removed = TRUE;
  BUS_UNLOCK (self);

  /* a worker may still be inside a push to it: it holds its own ref, and
   * deactivation makes that push return (or it returns later, ignored) */
  gst_pad_set_active (pad, FALSE);
  gst_element_remove_pad (element, pad);
  if (found)
    gst_object_unref (p);
}

void
arcly_bus_pad_set_join_pos (GstPad * pad, GstClockTime pos)
{
  GstElement *parent = gst_pad_get_parent_element (pad);

  g_return_if_fail (parent != NULL);
  BUS_LOCK (GST_ARCLY_BUS (parent));
  GST_ARCLY_BUS_PAD (pad)->join_pos = pos;
  BUS_UNLOCK (GST_ARCLY_BUS (parent));
  gst_object_unref (parent);
}

GstClockTime
arcly_bus_pad_get_joined_pos (GstPad * pad)
{
  GstElement *parent = gst_pad_get_parent_element (pad);
  GstArclyBusPad *p = GST_ARCLY_BUS_PAD (pad);
  GstArclyBus *self;
  GstClockTime pos = GST_CLOCK_TIME_NONE;

  if (parent == NULL)
    return pos;
  self = GST_ARCLY_BUS (parent);
  BUS_LOCK (self);
  if (p->joined)
    pos = p->joined_pos;
  BUS_UNLOCK (self);
  gst_object_unref (parent);
  return pos;
}

void
arcly_bus_pad_set_lag_offset (GstPad * pad, GstClockTime offset)
{
  GstElement *parent = gst_pad_get_parent_element (pad);

  if (parent == NULL)
    return;
  BUS_LOCK (GST_ARCLY_BUS (parent));
  GST_ARCLY_BUS_PAD (pad)->lag_offset = offset;
  BUS_UNLOCK (GST_ARCLY_BUS (parent));
  gst_object_unref (parent);
}

gboolean
arcly_bus_pad_is_evicted (GstPad * pad)
{
  GstElement *parent = gst_pad_get_parent_element (pad);
  gboolean ret;

  if (parent == NULL)
    return FALSE;
  BUS_LOCK (GST_ARCLY_BUS (parent));
  ret = GST_ARCLY_BUS_PAD (pad)->evicted;
  BUS_UNLOCK (GST_ARCLY_BUS (parent));
  gst_object_unref (parent);
  return ret;
}

/* ---------------------------------------------------------- properties */

static GstStructure *
gst_arcly_bus_make_stats (GstArclyBus * self)
{
  GstStructure *s;
  gint64 now = g_get_monotonic_time ();
  gboolean fresh;

  BUS_LOCK (self);
  fresh = now - self->rate_time < 2 * G_TIME_SPAN_SECOND;
  s = gst_structure_new ("arcly-bus-stats",
      "subscribers", G_TYPE_UINT, self->pads->len,
      "frames-published", G_TYPE_UINT64, self->frames,
      "bytes-published", G_TYPE_UINT64, self->bytes,
      "bitrate", G_TYPE_UINT64, fresh ? self->bitrate : (guint64) 0,
      "fps", G_TYPE_DOUBLE, fresh ? self->fps : 0.0,
      "lagged", G_TYPE_UINT64, self->lagged,
      "frames-dropped", G_TYPE_UINT64, self->dropped,
      "evictions", G_TYPE_UINT64, self->evictions,
      "cache-frames", G_TYPE_UINT,
      self->ring ? arcly_bus_ring_cache_frames (self->ring) : 0,
      "cache-bytes", G_TYPE_UINT64,
      self->ring ? arcly_bus_ring_cache_bytes (self->ring) : 0,
      "delivery-threads", G_TYPE_UINT, self->pool_active,
      "stalled-threads", G_TYPE_UINT, self->n_stalled,
      "wake-ups", G_TYPE_UINT64, self->wakeups, NULL);
  BUS_UNLOCK (self);
  return s;
}

static void
gst_arcly_bus_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstArclyBus *self = GST_ARCLY_BUS (object);

  BUS_LOCK (self);
  switch (prop_id) {
    case PROP_CAPACITY:
      self->capacity = g_value_get_uint (value);
      break;
    case PROP_THREADS:
      self->threads = g_value_get_uint (value);
      if (self->running) {
        self->pool_target = self->threads ? self->threads :
            g_get_num_processors ();
        g_cond_broadcast (&self->work_cond);
      }
      break;
    case PROP_STALL_THRESHOLD:
      self->stall_threshold = g_value_get_uint64 (value);
      arcly_bus_watch_kick ();
      break;
    case PROP_MAX_LAG:
      self->max_lag = g_value_get_uint64 (value);
      break;
    case PROP_MAX_LAG_TIME:
      self->max_lag_time = g_value_get_uint64 (value);
      g_cond_broadcast (&self->work_cond);
      break;
    case PROP_GOP_CACHE:
      self->gop_cache = g_value_get_boolean (value);
      break;
    case PROP_GOP_MAX_FRAMES:
      self->gop_max_frames = g_value_get_uint (value);
      break;
    case PROP_GOP_MAX_BYTES:
      self->gop_max_bytes = g_value_get_uint64 (value);
      break;
    case PROP_REQUEST_KEYFRAME:
      self->request_keyframe = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  if (self->ring && (prop_id == PROP_GOP_CACHE || prop_id == PROP_GOP_MAX_FRAMES
          || prop_id == PROP_GOP_MAX_BYTES))
    arcly_bus_ring_set_cache (self->ring, self->gop_cache,
        self->gop_max_frames, self->gop_max_bytes);
  BUS_UNLOCK (self);
}

static void
gst_arcly_bus_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstArclyBus *self = GST_ARCLY_BUS (object);

  if (prop_id == PROP_STATS) {
    g_value_take_boxed (value, gst_arcly_bus_make_stats (self));
    return;
  }
  BUS_LOCK (self);
  switch (prop_id) {
    case PROP_CAPACITY:
      g_value_set_uint (value, self->capacity);
      break;
    case PROP_THREADS:
      g_value_set_uint (value, self->threads);
      break;
    case PROP_STALL_THRESHOLD:
      g_value_set_uint64 (value, self->stall_threshold);
      break;
    case PROP_MAX_LAG:
      g_value_set_uint64 (value, self->max_lag);
      break;
    case PROP_MAX_LAG_TIME:
      g_value_set_uint64 (value, self->max_lag_time);
      break;
    case PROP_GOP_CACHE:
      g_value_set_boolean (value, self->gop_cache);
      break;
    case PROP_GOP_MAX_FRAMES:
      g_value_set_uint (value, self->gop_max_frames);
      break;
    case PROP_GOP_MAX_BYTES:
      g_value_set_uint64 (value, self->gop_max_bytes);
      break;
    case PROP_REQUEST_KEYFRAME:
      g_value_set_boolean (value, self->request_keyframe);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  BUS_UNLOCK (self);
}

/* (L) how far behind the newest frame @p's next frame is (ns, 0 if unknown) */
static guint64
pad_lag_time (GstArclyBus * self, GstArclyBusPad * p)
{
  GstClockTime lag;

  if (self == NULL || self->ring == NULL || !p->joined)
    return 0;
  lag = arcly_bus_ring_lag_time (self->ring, &p->cur);
  return GST_CLOCK_TIME_IS_VALID (lag) ? lag : 0;
}

static void
gst_arcly_bus_pad_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstArclyBusPad *p = GST_ARCLY_BUS_PAD (object);
  GstElement *parent;

  if (prop_id != PAD_PROP_MAX_LAG_TIME) {
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    return;
  }
  parent = gst_pad_get_parent_element (GST_PAD_CAST (p));
  if (parent) {
    GstArclyBus *self = GST_ARCLY_BUS (parent);

    BUS_LOCK (self);
    p->max_lag_time = g_value_get_uint64 (value);
    g_cond_broadcast (&self->work_cond);
    BUS_UNLOCK (self);
    gst_object_unref (parent);
  } else {
    /* not on an element yet: no delivery thread can see it */
    p->max_lag_time = g_value_get_uint64 (value);
  }
}

static void
gst_arcly_bus_pad_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstArclyBusPad *p = GST_ARCLY_BUS_PAD (object);
  GstElement *parent;
  GstArclyBus *self = NULL;
  GstStructure *s;

  if (prop_id != PAD_PROP_STATS && prop_id != PAD_PROP_MAX_LAG_TIME) {
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    return;
  }
  parent = gst_pad_get_parent_element (GST_PAD_CAST (p));
  if (parent)
    self = GST_ARCLY_BUS (parent);
  if (self)
    BUS_LOCK (self);
  if (prop_id == PAD_PROP_MAX_LAG_TIME) {
    g_value_set_uint64 (value, p->max_lag_time);
    if (self) {
      BUS_UNLOCK (self);
      gst_object_unref (parent);
    }
    return;
  }
  s = gst_structure_new ("arcly-bus-pad-stats",
      "frames-pushed", G_TYPE_UINT64, p->frames,
      "bytes-pushed", G_TYPE_UINT64, p->bytes,
      "frames-dropped", G_TYPE_UINT64, p->dropped,
      "lagged", G_TYPE_UINT64, p->lagged,
      "lag-frames", G_TYPE_UINT64, (self && self->ring && p->joined &&
          arcly_bus_ring_n_buffers (self->ring) > p->cur.nbuf) ?
      arcly_bus_ring_n_buffers (self->ring) - p->cur.nbuf : (guint64) 0,
      "lag-time", G_TYPE_UINT64, pad_lag_time (self, p),
      "stalled", G_TYPE_BOOLEAN, p->stalled,
      "evicted", G_TYPE_BOOLEAN, p->evicted, NULL);
  if (self) {
    BUS_UNLOCK (self);
    gst_object_unref (parent);
  }
  g_value_take_boxed (value, s);
}

static void
gst_arcly_bus_pad_class_init (GstArclyBusPadClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstPadClass *pad_class = GST_PAD_CLASS (klass);

  gobject_class->set_property = gst_arcly_bus_pad_set_property;
  gobject_class->get_property = gst_arcly_bus_pad_get_property;
  pad_class->linked = gst_arcly_bus_pad_linked;
  pad_class->unlinked = gst_arcly_bus_pad_unlinked;

  g_object_class_install_property (gobject_class, PAD_PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics",
          "This subscriber's counts: frames and bytes pushed, frames dropped "
          "by lag skips, lag events, current lag in frames and in time (ns), "
          "stalled, evicted",
          GST_TYPE_STRUCTURE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PAD_PROP_MAX_LAG_TIME,
      g_param_spec_uint64 ("max-lag-time", "Maximum lag time",
          "This subscriber's time bound, overriding the element's "
          "max-lag-time (ns; 0 = no time bound for this pad; "
          "18446744073709551615 = use the element's)", 0, G_MAXUINT64,
          DEFAULT_PAD_PROP_MAX_LAG_TIME,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
}

static void
gst_arcly_bus_pad_init (GstArclyBusPad * p)
{
  p->max_lag_time = DEFAULT_PAD_PROP_MAX_LAG_TIME;
  p->join_pos = GST_CLOCK_TIME_NONE;
}

static void
gst_arcly_bus_finalize (GObject * object)
{
  GstArclyBus *self = GST_ARCLY_BUS (object);

  g_ptr_array_foreach (self->pads, (GFunc) gst_object_unref, NULL);
  g_ptr_array_unref (self->pads);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->work_cond);
  g_cond_clear (&self->exit_cond);
  G_OBJECT_CLASS (gst_arcly_bus_parent_class)->finalize (object);
}

static void
gst_arcly_bus_class_init (GstArclyBusClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (arclybus_dataflow, "arclybus_dataflow", 0,
      "arclybus per-buffer logs");

  gobject_class->set_property = gst_arcly_bus_set_property;
  gobject_class->get_property = gst_arcly_bus_get_property;
  gobject_class->finalize = gst_arcly_bus_finalize;

  g_object_class_install_property (gobject_class, PROP_CAPACITY,
      g_param_spec_uint ("capacity", "Capacity",
          "Ring slots (buffers and serialized events) kept for subscribers; a "
          "subscriber further behind skips to a keyframe (applies at the next "
          "start)", 2, 1 << 20, DEFAULT_PROP_CAPACITY,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_THREADS,
      g_param_spec_uint ("threads", "Delivery threads",
          "Threads pushing to the subscribers, not counting those held by "
          "stalled subscribers (0 = number of CPU cores)", 0, 256,
          DEFAULT_PROP_THREADS, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_STALL_THRESHOLD,
      g_param_spec_uint64 ("stall-threshold", "Stall threshold",
          "A push that has not returned after this many nanoseconds keeps "
          "its thread and the pool gets a new one",
          GST_MSECOND, 60 * GST_SECOND, DEFAULT_PROP_STALL_THRESHOLD,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_MAX_LAG,
      g_param_spec_uint64 ("max-lag", "Maximum lag",
          "Evict (EOS) a subscriber that has dropped more than this many "
          "frames in total (0 = never evict)", 0, G_MAXUINT64,
          DEFAULT_PROP_MAX_LAG, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_MAX_LAG_TIME,
      g_param_spec_uint64 ("max-lag-time", "Maximum lag time",
          "A subscriber whose next frame was published more than this many "
          "nanoseconds (pipeline running time) before the newest one skips "
          "to the newest keyframe (0 = no time bound, only capacity)", 0,
          G_MAXUINT64 - 1, DEFAULT_PROP_MAX_LAG_TIME,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_GOP_CACHE,
      g_param_spec_boolean ("gop-cache", "GOP cache",
          "Start new subscribers at the latest keyframe with the frames "
          "since, instead of at the next live frame", DEFAULT_PROP_GOP_CACHE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_GOP_MAX_FRAMES,
      g_param_spec_uint ("gop-max-frames", "GOP cache frames",
          "Most frames in the GOP cache (a longer GOP is not cached; streams "
          "without delta units cache this many last buffers)", 1, 1 << 20,
          DEFAULT_PROP_GOP_MAX_FRAMES,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_GOP_MAX_BYTES,
      g_param_spec_uint64 ("gop-max-bytes", "GOP cache bytes",
          "Most payload bytes in the GOP cache", 1, G_MAXUINT64,
          DEFAULT_PROP_GOP_MAX_BYTES,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_REQUEST_KEYFRAME,
      g_param_spec_boolean ("request-keyframe", "Request keyframe",
          "When a new or lagging subscriber must wait for a keyframe, ask "
          "upstream for one (force-key-unit, at most once a second)",
          DEFAULT_PROP_REQUEST_KEYFRAME,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics",
          "subscribers, frames and bytes published, bitrate and fps over the "
          "last second, lag events, frames dropped, evictions, GOP cache "
          "frames and bytes, delivery and stalled threads",
          GST_TYPE_STRUCTURE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template_with_gtype (element_class,
      &src_template, GST_TYPE_ARCLY_BUS_PAD);
  gst_element_class_set_static_metadata (element_class,
      "Arcly fan-out bus", "Generic",
      "Zero-copy fan-out to many subscribers that never stalls the "
      "publisher, with keyframe-aware lag skipping and a GOP cache for "
      "instant late joins", "gst-arcly developers");

  element_class->change_state = gst_arcly_bus_change_state;
  element_class->request_new_pad = gst_arcly_bus_request_new_pad;
  element_class->release_pad = gst_arcly_bus_release_pad;

  gst_type_mark_as_plugin_api (GST_TYPE_ARCLY_BUS_PAD, 0);
}

static void
gst_arcly_bus_init (GstArclyBus * self)
{
  self->sinkpad = gst_pad_new_from_static_template (&sink_template, "sink");
  gst_pad_set_chain_function (self->sinkpad, gst_arcly_bus_chain);
  gst_pad_set_chain_list_function (self->sinkpad, gst_arcly_bus_chain_list);
  gst_pad_set_event_function (self->sinkpad, gst_arcly_bus_sink_event);
  gst_pad_set_query_function (self->sinkpad, gst_arcly_bus_sink_query);
  gst_element_add_pad (GST_ELEMENT_CAST (self), self->sinkpad);

  g_mutex_init (&self->lock);
  g_cond_init (&self->work_cond);
  g_cond_init (&self->exit_cond);
  self->pads = g_ptr_array_new ();
  self->capacity = DEFAULT_PROP_CAPACITY;
  self->threads = DEFAULT_PROP_THREADS;
  self->stall_threshold = DEFAULT_PROP_STALL_THRESHOLD;
  self->max_lag = DEFAULT_PROP_MAX_LAG;
  self->max_lag_time = DEFAULT_PROP_MAX_LAG_TIME;
  self->gop_cache = DEFAULT_PROP_GOP_CACHE;
  self->gop_max_frames = DEFAULT_PROP_GOP_MAX_FRAMES;
  self->gop_max_bytes = DEFAULT_PROP_GOP_MAX_BYTES;
  self->request_keyframe = DEFAULT_PROP_REQUEST_KEYFRAME;
}
