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

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "aggqueue.h"

gboolean
arcly_agg_queue_update (GstAggregator * agg, ArclyAggQueue * q,
    gboolean live)
{
  GstClockTime latency = 0, value = 0;
  gboolean change = FALSE;

  g_object_get (agg, "latency", &latency, NULL);
  GST_OBJECT_LOCK (agg);
  if (!live && latency == 0 && !q->owned) {
    q->owned = change = TRUE;
    value = q->depth;
  } else if (live && q->owned) {
    q->owned = FALSE;
    /* the application may have set its own value meanwhile */
    change = latency == q->depth;
  }
  GST_OBJECT_UNLOCK (agg);

  if (change)
    g_object_set (agg, "latency", value, NULL);
  return change;
}

void
arcly_agg_queue_restore (GstAggregator * agg, ArclyAggQueue * q)
{
  GstClockTime latency = 0;
  gboolean owned;

  GST_OBJECT_LOCK (agg);
  owned = q->owned;
  q->owned = FALSE;
  GST_OBJECT_UNLOCK (agg);
  if (!owned)
    return;
  g_object_get (agg, "latency", &latency, NULL);
  if (latency == q->depth)
    g_object_set (agg, "latency", (GstClockTime) 0, NULL);
}
