/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef ARCLY_AGG_QUEUE_H
#define ARCLY_AGG_QUEUE_H

#include <gst/base/gstaggregator.h>

G_BEGIN_DECLS

/* A deeper input queue for a GstAggregator muxer fed by non-live input.
 *
 * With its "latency" property at 0 and no live source, GstAggregator lets
 * each sink pad hold a single buffer, so every buffer costs two thread
 * hand-offs (the muxer waits for the upstream thread, which waits for the
 * muxer to take it).  Without a live source there is no latency to keep
 * low: the muxers raise "latency" to @depth so the pads queue that much
 * input each and aggregate() drains it in batches.  A value the
 * application set is never touched, and live input gets 0 back.
 *
 * @owned records that the value in the property is ours; it is read and
 * changed under the element's object lock. */
typedef struct
{
  GstClockTime depth;
  gboolean owned;
} ArclyAggQueue;

/* Raise "latency" to the queue depth for non-live input (@live FALSE) or
 * give 0 back for live input.  TRUE when the property changed. */
gboolean arcly_agg_queue_update (GstAggregator * agg, ArclyAggQueue * q,
    gboolean live);

/* At stop: give the property back as the application left it, so the next
 * run decides again. */
void arcly_agg_queue_restore (GstAggregator * agg, ArclyAggQueue * q);

G_END_DECLS

#endif /* ARCLY_AGG_QUEUE_H */
