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
 * SECTION:element-arclybussink
 * @title: arclybussink
 *
 * Publishes every stream it receives (request pads `sink_%u`, one per
 * elementary stream) under `stream-key`, for `arclybussrc` elements in any
 * pipeline of the process.  Each stream goes into an arclybus owned by the
 * key's hub (gstarclybushub.h): the ring, GOP cache, delivery threads and
 * lag handling of arclybus.  The chain function hands the buffer to that
 * bus and returns: a subscriber never slows the publisher.
 *
 * ## Locks
 *
 * `lock` guards the properties, the pad list and the hub pointer.  Order:
 * sink GST_PAD_STREAM_LOCK → `lock` → hub lock (gstarclybushub.c).  Nothing
 * is pushed, linked, posted or set on a child while `lock` is held.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>

#include "gstarclybuselements.h"
#include "gstarclybus-private.h"
#include "gstarclybushub.h"

#define GST_CAT_DEFAULT arclybussink_debug
GST_DEBUG_CATEGORY_STATIC (arclybussink_debug);

#define DEFAULT_PROP_STREAM_KEY NULL
#define DEFAULT_PROP_REPLACE FALSE
#define DEFAULT_PROP_MAX_LAG 0
#define DEFAULT_PROP_MAX_LAG_TIME GST_SECOND

enum
{
  PROP_0,
  PROP_STREAM_KEY,
  PROP_REPLACE,
  PROP_MAX_LAG,
  PROP_MAX_LAG_TIME,
  PROP_STATS,
};

/* per sink pad (its element private) */
typedef struct
{
  guint id;                     /* the %u of sink_%u */
  GstPad *feed;                 /* parentless src pad into the track */
  GstElement *track;            /* (ref) while publishing */
  GstClockTime sent_base;       /* timebase last sent (streaming thread) */
  gboolean eos;                 /* (lock) */
} SinkStream;

#define GST_TYPE_ARCLY_BUS_SINK (gst_arcly_bus_sink_get_type ())
G_DECLARE_FINAL_TYPE (GstArclyBusSink, gst_arcly_bus_sink, GST,
    ARCLY_BUS_SINK, GstElement);

struct _GstArclyBusSink
{
  GstElement parent;

  GMutex lock;
  /* properties (lock) */
  gchar *stream_key;
  gboolean replace;
  guint64 max_lag;
  GstClockTime max_lag_time;
  /* (lock) */
  GPtrArray *pads;              /* GstPad *, sink_%u */
  guint next_id;
  ArclyBusHub *hub;             /* while started */
  gboolean publishing;
};

G_DEFINE_TYPE (GstArclyBusSink, gst_arcly_bus_sink, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE (arclybussink, "arclybussink", GST_RANK_NONE,
    GST_TYPE_ARCLY_BUS_SINK);

static GstStaticPadTemplate sink_template =
GST_STATIC_PAD_TEMPLATE ("sink_%u", GST_PAD_SINK, GST_PAD_REQUEST,
    GST_STATIC_CAPS_ANY);
static GstStaticPadTemplate feed_template = GST_STATIC_PAD_TEMPLATE ("feed",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

/* ------------------------------------------------------------ streaming */

/* The publisher's base time on the monotonic clock, so subscribers on
 * other clocks and base times map running time through clock time.  Sent
 * again when it moves (a pause, a new clock) by more than a millisecond. */
static void
send_timebase (GstArclyBusSink * self, SinkStream * st)
{
  GstElement *el = GST_ELEMENT_CAST (self);
  GstClock *clock;
  GstClockTime base, now, mono;
  gint64 base_mono;

  GST_OBJECT_LOCK (self);
  clock = GST_ELEMENT_CLOCK (el) ? gst_object_ref (GST_ELEMENT_CLOCK (el)) :
      NULL;
  base = el->base_time;
  GST_OBJECT_UNLOCK (self);
  if (clock == NULL)
    return;
  now = gst_clock_get_time (clock);
  mono = g_get_monotonic_time () * GST_USECOND;
  gst_object_unref (clock);
  base_mono = (gint64) base + ((gint64) mono - (gint64) now);
  if (base_mono < 0)
    base_mono = 0;
  if (GST_CLOCK_TIME_IS_VALID (st->sent_base)
      && ABS ((gint64) st->sent_base - base_mono) < (gint64) GST_MSECOND)
    return;
  st->sent_base = base_mono;
  gst_pad_push_event (st->feed,
      gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM_STICKY,
          gst_structure_new (ARCLY_BUS_TIMEBASE, "base", G_TYPE_UINT64,
              (guint64) base_mono, NULL)));
}

static GstFlowReturn
gst_arcly_bus_sink_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  GstArclyBusSink *self = GST_ARCLY_BUS_SINK (parent);
  SinkStream *st = gst_pad_get_element_private (pad);
  GstFlowReturn ret;

  send_timebase (self, st);
  ret = gst_pad_push (st->feed, buf);
  /* replaced by another publisher, or not publishing: dropped */
  if (ret == GST_FLOW_NOT_LINKED)
    ret = GST_FLOW_OK;
  return ret;
}

/* a list goes on as one (arclybus wakes its delivery once for it) */
static GstFlowReturn
gst_arcly_bus_sink_chain_list (GstPad * pad, GstObject * parent,
    GstBufferList * list)
{
  GstArclyBusSink *self = GST_ARCLY_BUS_SINK (parent);
  SinkStream *st = gst_pad_get_element_private (pad);
  GstFlowReturn ret;

  send_timebase (self, st);
  ret = gst_pad_push_list (st->feed, list);
  if (ret == GST_FLOW_NOT_LINKED)
    ret = GST_FLOW_OK;
  return ret;
}

static gboolean
gst_arcly_bus_sink_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  GstArclyBusSink *self = GST_ARCLY_BUS_SINK (parent);
  SinkStream *st = gst_pad_get_element_private (pad);
  gboolean is_caps = GST_EVENT_TYPE (event) == GST_EVENT_CAPS;
  gboolean sticky = GST_EVENT_IS_STICKY (event);
  gboolean ok;
  ArclyBusHub *hub = NULL;

  GstEventType type = GST_EVENT_TYPE (event);
  gboolean all_eos = FALSE;

  GST_DEBUG_OBJECT (pad, "event %" GST_PTR_FORMAT, event);
  ok = gst_pad_push_event (st->feed, event);
  if (type == GST_EVENT_EOS || type == GST_EVENT_STREAM_START
      || type == GST_EVENT_FLUSH_STOP) {
    guint i;

    ARCLY_MUTEX_LOCK (&self->lock);
    st->eos = type == GST_EVENT_EOS;
    for (i = 0, all_eos = st->eos; all_eos && i < self->pads->len; i++) {
      SinkStream *o =
          gst_pad_get_element_private (g_ptr_array_index (self->pads, i));
      all_eos = o && o->eos;
    }
    ARCLY_MUTEX_UNLOCK (&self->lock);
  }
  /* a sink: the pipeline's EOS waits for it */
  if (all_eos)
    gst_element_post_message (GST_ELEMENT_CAST (self),
        gst_message_new_eos (GST_OBJECT_CAST (self)));
  if (is_caps) {
    /* subscribers wait for the caps of every stream */
    ARCLY_MUTEX_LOCK (&self->lock);
    if (self->publishing && self->hub)
      hub = self->hub;
    if (hub)
      arcly_bus_hub_changed (hub);
    ARCLY_MUTEX_UNLOCK (&self->lock);
  }
  /* not publishing (replaced, stopped): the events are kept for a link */
  return ok || sticky;
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
    case GST_QUERY_DRAIN:
      return TRUE;
    case GST_QUERY_LATENCY:
      /* the pipeline's latency is upstream's: publishing adds none */
      return gst_pad_peer_query (pad, query);
    default:
      return gst_pad_query_default (pad, parent, query);
  }
}

/* ---------------------------------------------------------- publishing */

static gint
compare_pad_ids (gconstpointer a, gconstpointer b)
{
  SinkStream *sa = gst_pad_get_element_private (*(GstPad **) a);
  SinkStream *sb = gst_pad_get_element_private (*(GstPad **) b);

  return sa->id < sb->id ? -1 : sa->id > sb->id;
}

/* Links @st's feed to track @index, taking it over from a replaced
 * publisher. */
static gboolean
link_stream (GstArclyBusSink * self, ArclyBusHub * hub, SinkStream * st,
    guint index, guint64 max_lag, GstClockTime max_lag_time)
{
  GstElement *track = arcly_bus_hub_get_track (hub, index);
  GstPad *sink, *peer;
  gboolean ok;

  if (track == NULL)
    return FALSE;
  g_object_set (track, "max-lag", max_lag, "max-lag-time", max_lag_time,
      NULL);
  sink = gst_element_get_static_pad (track, "sink");
  peer = gst_pad_get_peer (sink);
  if (peer) {
    gst_pad_unlink (peer, sink);
    gst_object_unref (peer);
  }
  gst_pad_set_active (st->feed, TRUE);
  st->sent_base = GST_CLOCK_TIME_NONE;
  ok = gst_pad_link_full (st->feed, sink, GST_PAD_LINK_CHECK_NOTHING) ==
      GST_PAD_LINK_OK;
  gst_object_unref (sink);
  st->track = track;
  return ok;
}

static gboolean
gst_arcly_bus_sink_start (GstArclyBusSink * self)
{
  GstElement *replaced = NULL;
  ArclyBusHub *hub;
  GPtrArray *pads;
  gchar *key;
  guint64 max_lag;
  GstClockTime max_lag_time;
  gboolean replace, ok = TRUE;
  guint i;

  ARCLY_MUTEX_LOCK (&self->lock);
  key = g_strdup (self->stream_key);
  replace = self->replace;
  max_lag = self->max_lag;
  max_lag_time = self->max_lag_time;
  pads = g_ptr_array_new_with_free_func (gst_object_unref);
  for (i = 0; i < self->pads->len; i++)
    g_ptr_array_add (pads, gst_object_ref (g_ptr_array_index (self->pads, i)));
  ARCLY_MUTEX_UNLOCK (&self->lock);

  if (key == NULL || *key == '\0') {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("No stream key set."),
        ("set the stream-key property to the name to publish under"));
    g_free (key);
    g_ptr_array_unref (pads);
    return FALSE;
  }
  hub = arcly_bus_hub_get (key);
  if (!arcly_bus_hub_publish (hub, GST_ELEMENT_CAST (self), replace,
          &replaced)) {
    GST_ELEMENT_ERROR (self, RESOURCE, BUSY,
        ("Stream key \"%s\" is already published.", key),
        ("another arclybussink publishes this key; set replace=true to take "
            "it over"));
    arcly_bus_hub_unref (hub);
    g_free (key);
    g_ptr_array_unref (pads);
    return FALSE;
  }
  if (replaced) {
    GST_INFO_OBJECT (self, "taking stream key '%s' over from %s", key,
        GST_ELEMENT_NAME (replaced));
    gst_object_unref (replaced);
  }
  g_ptr_array_sort (pads, compare_pad_ids);
  for (i = 0; i < pads->len; i++) {
    GstPad *pad = g_ptr_array_index (pads, i);

    ok &= link_stream (self, hub, gst_pad_get_element_private (pad), i,
        max_lag, max_lag_time);
  }
  ARCLY_MUTEX_LOCK (&self->lock);
  self->hub = hub;
  self->publishing = TRUE;
  ARCLY_MUTEX_UNLOCK (&self->lock);
  arcly_bus_hub_set_streams (hub, GST_ELEMENT_CAST (self), pads->len);
  GST_INFO_OBJECT (self, "publishing %u stream(s) as '%s'", pads->len, key);
  g_ptr_array_unref (pads);
  g_free (key);
  if (!ok)
    GST_ELEMENT_ERROR (self, RESOURCE, FAILED,
        ("Could not publish the streams."),
        ("a stream of the key could not be created or linked"));
  return ok;
}

/* After the sink pads are deactivated: no streaming thread pushes any
 * more.  Streams that did not end get an EOS through their track, so
 * subscribers with on-unpublish=eos end (the others wait for the next
 * publisher). */
static void
gst_arcly_bus_sink_stop (GstArclyBusSink * self)
{
  ArclyBusHub *hub;
  GPtrArray *pads;
  gboolean mine;
  guint i;

  ARCLY_MUTEX_LOCK (&self->lock);
  hub = self->hub;
  self->hub = NULL;
  self->publishing = FALSE;
  pads = g_ptr_array_new_with_free_func (gst_object_unref);
  for (i = 0; i < self->pads->len; i++)
    g_ptr_array_add (pads, gst_object_ref (g_ptr_array_index (self->pads, i)));
  ARCLY_MUTEX_UNLOCK (&self->lock);
  if (hub == NULL) {
    g_ptr_array_unref (pads);
    return;
  }
  mine = arcly_bus_hub_is_publisher (hub, GST_ELEMENT_CAST (self));
  for (i = 0; i < pads->len; i++) {
    SinkStream *st = gst_pad_get_element_private (g_ptr_array_index (pads, i));
    GstPad *peer = gst_pad_get_peer (st->feed);

    if (peer) {
      if (mine && !GST_PAD_IS_EOS (st->feed))
        gst_pad_push_event (st->feed, gst_event_new_eos ());
      gst_pad_unlink (st->feed, peer);
      gst_object_unref (peer);
    }
    /* clears the sticky events of this run */
    gst_pad_set_active (st->feed, FALSE);
    gst_clear_object (&st->track);
    ARCLY_MUTEX_LOCK (&self->lock);
    st->eos = FALSE;
    ARCLY_MUTEX_UNLOCK (&self->lock);
  }
  arcly_bus_hub_unpublish (hub, GST_ELEMENT_CAST (self));
  arcly_bus_hub_unref (hub);
  g_ptr_array_unref (pads);
}

static GstStateChangeReturn
gst_arcly_bus_sink_change_state (GstElement * element,
    GstStateChange transition)
{
  GstArclyBusSink *self = GST_ARCLY_BUS_SINK (element);
  GstStateChangeReturn ret;

  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED &&
      !gst_arcly_bus_sink_start (self)) {
    gst_arcly_bus_sink_stop (self);
    return GST_STATE_CHANGE_FAILURE;
  }
  ret = GST_ELEMENT_CLASS (gst_arcly_bus_sink_parent_class)->change_state
      (element, transition);
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY ||
      (transition == GST_STATE_CHANGE_READY_TO_PAUSED &&
          ret == GST_STATE_CHANGE_FAILURE))
    gst_arcly_bus_sink_stop (self);
  return ret;
}

/* ---------------------------------------------------------------- pads */

static GstPad *
gst_arcly_bus_sink_request_new_pad (GstElement * element,
    GstPadTemplate * templ, const gchar * name_templ, const GstCaps * caps)
{
  GstArclyBusSink *self = GST_ARCLY_BUS_SINK (element);
  SinkStream *st;
  GstPad *pad;
  guint id, i, index;
  gchar *name;
  ArclyBusHub *hub;
  guint64 max_lag;
  GstClockTime max_lag_time;

  ARCLY_MUTEX_LOCK (&self->lock);
  if (name_templ && sscanf (name_templ, "sink_%u", &id) == 1) {
    for (i = 0; i < self->pads->len; i++) {
      if (g_strcmp0 (GST_PAD_NAME (g_ptr_array_index (self->pads, i)),
              name_templ) == 0) {
        ARCLY_MUTEX_UNLOCK (&self->lock);
        return NULL;
      }
    }
    self->next_id = MAX (self->next_id, id + 1);
  } else {
    id = self->next_id++;
  }
  ARCLY_MUTEX_UNLOCK (&self->lock);

  name = g_strdup_printf ("sink_%u", id);
  pad = gst_pad_new_from_template (templ, name);
  g_free (name);
  st = g_new0 (SinkStream, 1);
  st->id = id;
  st->sent_base = GST_CLOCK_TIME_NONE;
  st->feed = gst_object_ref_sink (gst_pad_new_from_static_template
      (&feed_template, "feed"));
  gst_pad_set_element_private (pad, st);
  gst_pad_set_chain_function (pad, gst_arcly_bus_sink_chain);
  gst_pad_set_chain_list_function (pad, gst_arcly_bus_sink_chain_list);
  gst_pad_set_event_function (pad, gst_arcly_bus_sink_event);
  gst_pad_set_query_function (pad, gst_arcly_bus_sink_query);
  if (!gst_element_add_pad (element, pad)) {
    gst_object_unref (st->feed);
    g_free (st);
    gst_object_unref (pad);
    return NULL;
  }
  ARCLY_MUTEX_LOCK (&self->lock);
  g_ptr_array_add (self->pads, gst_object_ref (pad));
  index = self->pads->len - 1;
  hub = self->publishing && self->stream_key ?
      arcly_bus_hub_get (self->stream_key) : NULL;
  max_lag = self->max_lag;
  max_lag_time = self->max_lag_time;
  ARCLY_MUTEX_UNLOCK (&self->lock);
  /* a stream added while publishing (a source's pads appear one by one):
   * published at once, the subscribers get a pad for it too */
  if (hub && arcly_bus_hub_is_publisher (hub, GST_ELEMENT_CAST (self))) {
    if (link_stream (self, hub, st, index, max_lag, max_lag_time))
      arcly_bus_hub_set_streams (hub, GST_ELEMENT_CAST (self), index + 1);
    else
      GST_WARNING_OBJECT (self, "could not publish %s", GST_PAD_NAME (pad));
  }
  arcly_bus_hub_unref (hub);
  return pad;
}

static void
free_stream (SinkStream * st)
{
  gst_pad_set_active (st->feed, FALSE);
  gst_object_unref (st->feed);
  gst_clear_object (&st->track);
  g_free (st);
}

static void
gst_arcly_bus_sink_release_pad (GstElement * element, GstPad * pad)
{
  GstArclyBusSink *self = GST_ARCLY_BUS_SINK (element);
  SinkStream *st = gst_pad_get_element_private (pad);
  gboolean found;

  ARCLY_MUTEX_LOCK (&self->lock);
  found = g_ptr_array_remove (self->pads, pad);
  ARCLY_MUTEX_UNLOCK (&self->lock);
  gst_pad_set_active (pad, FALSE);
  if (st) {
    GstPad *peer = gst_pad_get_peer (st->feed);

    if (peer) {
      gst_pad_unlink (st->feed, peer);
      gst_object_unref (peer);
    }
    gst_pad_set_element_private (pad, NULL);
    free_stream (st);
  }
  gst_element_remove_pad (element, pad);
  if (found)
    gst_object_unref (pad);
}

/* ---------------------------------------------------------- properties */

static void
add_pad_stats (GHashTable * per_sub, GstPad * pad)
{
  GstElement *owner = arcly_bus_hub_pad_owner (pad);
  GstStructure *ps, *sub;
  guint64 lag_frames = 0, lag_time = 0, dropped = 0, lagged = 0, v;
  gchar *path;

  if (owner == NULL)
    return;
  /* names repeat across pipelines ("src"): the path does not */
  path = gst_object_get_path_string (GST_OBJECT_CAST (owner));
  g_object_get (pad, "stats", &ps, NULL);
  gst_structure_get_uint64 (ps, "lag-frames", &lag_frames);
  gst_structure_get_uint64 (ps, "lag-time", &lag_time);
  gst_structure_get_uint64 (ps, "frames-dropped", &dropped);
  gst_structure_get_uint64 (ps, "lagged", &lagged);
  gst_structure_free (ps);
  sub = g_hash_table_lookup (per_sub, path);
  if (sub == NULL) {
    sub = gst_structure_new ("arcly-bussink-subscriber",
        "name", G_TYPE_STRING, path,
        "lag-frames", G_TYPE_UINT64, (guint64) 0,
        "lag-time", G_TYPE_UINT64, (guint64) 0,
        "frames-dropped", G_TYPE_UINT64, (guint64) 0,
        "lagged", G_TYPE_UINT64, (guint64) 0, NULL);
    g_hash_table_insert (per_sub, g_strdup (path), sub);
  }
  g_free (path);
  gst_structure_get_uint64 (sub, "lag-frames", &v);
  gst_structure_set (sub, "lag-frames", G_TYPE_UINT64, MAX (v, lag_frames),
      NULL);
  gst_structure_get_uint64 (sub, "lag-time", &v);
  gst_structure_set (sub, "lag-time", G_TYPE_UINT64, MAX (v, lag_time), NULL);
  gst_structure_get_uint64 (sub, "frames-dropped", &v);
  gst_structure_set (sub, "frames-dropped", G_TYPE_UINT64, v + dropped, NULL);
  gst_structure_get_uint64 (sub, "lagged", &v);
  gst_structure_set (sub, "lagged", G_TYPE_UINT64, v + lagged, NULL);
  gst_object_unref (owner);
}

static GstStructure *
gst_arcly_bus_sink_make_stats (GstArclyBusSink * self)
{
  GstStructure *s;
  GHashTable *per_sub = g_hash_table_new_full (g_str_hash, g_str_equal,
      g_free, (GDestroyNotify) gst_structure_free);
  GValue arr = G_VALUE_INIT;
  GPtrArray *tracks = g_ptr_array_new_with_free_func (gst_object_unref);
  guint64 frames = 0, bytes = 0, lagged = 0, dropped = 0, evictions = 0;
  guint subscribers = 0, i;
  gchar *key;
  GHashTableIter it;
  gpointer v;

  ARCLY_MUTEX_LOCK (&self->lock);
  key = g_strdup (self->stream_key);
  for (i = 0; i < self->pads->len; i++) {
    SinkStream *st = gst_pad_get_element_private (g_ptr_array_index (self->pads,
            i));
    if (st && st->track)
      g_ptr_array_add (tracks, gst_object_ref (st->track));
  }
  if (self->hub)
    subscribers = arcly_bus_hub_n_subscribers (self->hub);
  ARCLY_MUTEX_UNLOCK (&self->lock);

  for (i = 0; i < tracks->len; i++) {
    GstElement *track = g_ptr_array_index (tracks, i);
    GstStructure *ts;
    guint64 x;
    GList *l;

    g_object_get (track, "stats", &ts, NULL);
    if (gst_structure_get_uint64 (ts, "frames-published", &x))
      frames += x;
    if (gst_structure_get_uint64 (ts, "bytes-published", &x))
      bytes += x;
    if (gst_structure_get_uint64 (ts, "lagged", &x))
      lagged += x;
    if (gst_structure_get_uint64 (ts, "frames-dropped", &x))
      dropped += x;
    if (gst_structure_get_uint64 (ts, "evictions", &x))
      evictions += x;
    gst_structure_free (ts);
    GST_OBJECT_LOCK (track);
    l = g_list_copy_deep (GST_ELEMENT_CAST (track)->srcpads,
        (GCopyFunc) gst_object_ref, NULL);
    GST_OBJECT_UNLOCK (track);
    for (; l; l = g_list_delete_link (l, l)) {
      add_pad_stats (per_sub, l->data);
      gst_object_unref (l->data);
    }
  }
  g_value_init (&arr, GST_TYPE_ARRAY);
  g_hash_table_iter_init (&it, per_sub);
  while (g_hash_table_iter_next (&it, NULL, &v)) {
    GValue sv = G_VALUE_INIT;

    g_value_init (&sv, GST_TYPE_STRUCTURE);
    gst_value_set_structure (&sv, v);
    gst_value_array_append_and_take_value (&arr, &sv);
  }
  s = gst_structure_new ("arcly-bussink-stats",
      "stream-key", G_TYPE_STRING, key,
      "streams", G_TYPE_UINT, tracks->len,
      "subscribers", G_TYPE_UINT, subscribers,
      "frames-published", G_TYPE_UINT64, frames,
      "bytes-published", G_TYPE_UINT64, bytes,
      "lagged", G_TYPE_UINT64, lagged,
      "frames-dropped", G_TYPE_UINT64, dropped,
      "evictions", G_TYPE_UINT64, evictions, NULL);
  gst_structure_take_value (s, "subscriber-stats", &arr);
  g_hash_table_unref (per_sub);
  g_ptr_array_unref (tracks);
  g_free (key);
  return s;
}

static void
gst_arcly_bus_sink_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstArclyBusSink *self = GST_ARCLY_BUS_SINK (object);

  ARCLY_MUTEX_LOCK (&self->lock);
  switch (prop_id) {
    case PROP_STREAM_KEY:
      g_free (self->stream_key);
      self->stream_key = g_value_dup_string (value);
      break;
    case PROP_REPLACE:
      self->replace = g_value_get_boolean (value);
      break;
    case PROP_MAX_LAG:
      self->max_lag = g_value_get_uint64 (value);
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
gst_arcly_bus_sink_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstArclyBusSink *self = GST_ARCLY_BUS_SINK (object);

  if (prop_id == PROP_STATS) {
    g_value_take_boxed (value, gst_arcly_bus_sink_make_stats (self));
    return;
  }
  ARCLY_MUTEX_LOCK (&self->lock);
  switch (prop_id) {
    case PROP_STREAM_KEY:
      g_value_set_string (value, self->stream_key);
      break;
    case PROP_REPLACE:
      g_value_set_boolean (value, self->replace);
      break;
    case PROP_MAX_LAG:
      g_value_set_uint64 (value, self->max_lag);
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
gst_arcly_bus_sink_finalize (GObject * object)
{
  GstArclyBusSink *self = GST_ARCLY_BUS_SINK (object);
  guint i;

  for (i = 0; i < self->pads->len; i++) {
    GstPad *pad = g_ptr_array_index (self->pads, i);
    SinkStream *st = gst_pad_get_element_private (pad);

    if (st)
      free_stream (st);
    gst_pad_set_element_private (pad, NULL);
    gst_object_unref (pad);
  }
  g_ptr_array_unref (self->pads);
  g_free (self->stream_key);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (gst_arcly_bus_sink_parent_class)->finalize (object);
}

static void
gst_arcly_bus_sink_class_init (GstArclyBusSinkClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (arclybussink_debug, "arclybussink", 0,
      "arclybussink: publish streams under a stream key");

  gobject_class->set_property = gst_arcly_bus_sink_set_property;
  gobject_class->get_property = gst_arcly_bus_sink_get_property;
  gobject_class->finalize = gst_arcly_bus_sink_finalize;

  g_object_class_install_property (gobject_class, PROP_STREAM_KEY,
      g_param_spec_string ("stream-key", "Stream key",
          "Name the streams are published under, for arclybussrc elements "
          "of any pipeline in this process (required)",
          DEFAULT_PROP_STREAM_KEY, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_REPLACE,
      g_param_spec_boolean ("replace", "Replace",
          "Take the stream key over from another publisher instead of "
          "failing to start (its subscribers continue, with DISCONT)",
          DEFAULT_PROP_REPLACE, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_MAX_LAG,
      g_param_spec_uint64 ("max-lag", "Maximum lag",
          "Evict (EOS) a subscriber stream that has dropped more than this "
          "many frames in total (0 = never evict)", 0, G_MAXUINT64,
          DEFAULT_PROP_MAX_LAG, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_MAX_LAG_TIME,
      g_param_spec_uint64 ("max-lag-time", "Maximum lag time",
          "A subscriber whose next frame was published more than this many "
          "nanoseconds before the newest one skips to the newest keyframe "
          "(0 = no time bound; arclybussrc can override it)", 0,
          G_MAXUINT64 - 1, DEFAULT_PROP_MAX_LAG_TIME,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics",
          "stream-key, streams, subscribers, frames and bytes published, lag "
          "events, frames dropped, evictions, and per subscriber "
          "(subscriber-stats) its lag in frames and time and its drops",
          GST_TYPE_STRUCTURE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_set_static_metadata (element_class,
      "Arcly bus publisher", "Sink/Generic",
      "Publishes its streams under a stream key for arclybussrc elements in "
      "other pipelines, with a GOP cache for instant joins; never stalled by "
      "a subscriber", "gst-arcly developers");

  element_class->change_state = gst_arcly_bus_sink_change_state;
  element_class->request_new_pad = gst_arcly_bus_sink_request_new_pad;
  element_class->release_pad = gst_arcly_bus_sink_release_pad;
}

static void
gst_arcly_bus_sink_init (GstArclyBusSink * self)
{
  g_mutex_init (&self->lock);
  self->pads = g_ptr_array_new ();
  self->stream_key = DEFAULT_PROP_STREAM_KEY;
  self->replace = DEFAULT_PROP_REPLACE;
  self->max_lag = DEFAULT_PROP_MAX_LAG;
  self->max_lag_time = DEFAULT_PROP_MAX_LAG_TIME;
  GST_OBJECT_FLAG_SET (self, GST_ELEMENT_FLAG_SINK);
}
