/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * bench-only plugin: `arclynullagg`, a GstAggregator that takes one buffer
 * per input per aggregate() call and drops it, pushing nothing.  It costs
 * what GstAggregator itself costs a muxer: the hand-off of every input
 * buffer from the pushing thread to the aggregator's source-pad thread
 * (a pad lock, a condition broadcast, a wake-up), with no muxing work at
 * all.  bench/cameras.sh (h) puts it where arclyhlssink's muxer sits, so
 * (h) − (e) is the base class's floor under (c).
 *
 *   cc -O2 -shared -fPIC -o libgstarclynullagg.so bench/nullagg.c \
 *     $(pkg-config --cflags --libs gstreamer-base-1.0)
 */

#define PACKAGE "gst-arcly-bench"
#include <gst/gst.h>
#include <gst/base/gstaggregator.h>

typedef struct
{
  GstAggregator parent;
  gboolean caps_set;
} NullAgg;

typedef struct
{
  GstAggregatorClass parent_class;
} NullAggClass;

GType null_agg_get_type (void);
G_DEFINE_TYPE (NullAgg, null_agg, GST_TYPE_AGGREGATOR);

static GstStaticPadTemplate sink_template =
GST_STATIC_PAD_TEMPLATE ("sink_%u", GST_PAD_SINK, GST_PAD_REQUEST,
    GST_STATIC_CAPS_ANY);
static GstStaticPadTemplate src_template =
GST_STATIC_PAD_TEMPLATE ("src", GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("application/x-arcly-null"));

static GstFlowReturn
null_agg_aggregate (GstAggregator * agg, gboolean timeout)
{
  NullAgg *self = (NullAgg *) agg;
  gboolean all_eos = TRUE;
  GList *l;

  if (!self->caps_set) {
    GstCaps *caps = gst_caps_new_empty_simple ("application/x-arcly-null");
    GstSegment seg;

    gst_aggregator_set_src_caps (agg, caps);
    gst_caps_unref (caps);
    gst_segment_init (&seg, GST_FORMAT_TIME);
    gst_aggregator_update_segment (agg, &seg);
    self->caps_set = TRUE;
  }
  GST_OBJECT_LOCK (agg);
  for (l = GST_ELEMENT (agg)->sinkpads; l; l = l->next) {
    GstAggregatorPad *pad = l->data;
    GstBuffer *buf = gst_aggregator_pad_pop_buffer (pad);

    if (buf)
      gst_buffer_unref (buf);
    if (!gst_aggregator_pad_is_eos (pad))
      all_eos = FALSE;
  }
  GST_OBJECT_UNLOCK (agg);
  return all_eos ? GST_FLOW_EOS : GST_FLOW_OK;
}

/* Live: wait for the oldest queued buffer's running time (+ latency, which
 * the base class adds), none while nothing is queued: what a muxer does. */
static GstClockTime
null_agg_get_next_time (GstAggregator * agg)
{
  GstClockTime next = GST_CLOCK_TIME_NONE;
  GList *l;

  GST_OBJECT_LOCK (agg);
  for (l = GST_ELEMENT (agg)->sinkpads; l; l = l->next) {
    GstAggregatorPad *pad = l->data;
    GstBuffer *buf = gst_aggregator_pad_peek_buffer (pad);
    GstClockTime t;

    if (buf == NULL)
      continue;
    t = gst_segment_to_running_time (&pad->segment, GST_FORMAT_TIME,
        GST_BUFFER_PTS_IS_VALID (buf) ? GST_BUFFER_PTS (buf) :
        GST_BUFFER_DTS (buf));
    if (GST_CLOCK_TIME_IS_VALID (t) && (!GST_CLOCK_TIME_IS_VALID (next)
            || t < next))
      next = t;
    gst_buffer_unref (buf);
  }
  GST_OBJECT_UNLOCK (agg);
  return next;
}

static void
null_agg_class_init (NullAggClass * klass)
{
  GstElementClass *ec = GST_ELEMENT_CLASS (klass);
  GstAggregatorClass *ac = GST_AGGREGATOR_CLASS (klass);

  gst_element_class_add_static_pad_template_with_gtype (ec, &sink_template,
      GST_TYPE_AGGREGATOR_PAD);
  gst_element_class_add_static_pad_template_with_gtype (ec, &src_template,
      GST_TYPE_AGGREGATOR_PAD);
  gst_element_class_set_static_metadata (ec, "arcly null aggregator (bench)",
      "Generic", "Takes and drops every input buffer: GstAggregator's own "
      "cost", "gst-arcly developers");
  ac->aggregate = null_agg_aggregate;
  ac->get_next_time = null_agg_get_next_time;
}

static void
null_agg_init (NullAgg * self)
{
}

static gboolean
plugin_init (GstPlugin * plugin)
{
  return gst_element_register (plugin, "arclynullagg", GST_RANK_NONE,
      null_agg_get_type ());
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, arclynullagg,
    "bench: GstAggregator's own cost", plugin_init, "0.1", "LGPL",
    "gst-arcly", "https://example.invalid/gst-arcly")
