/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The process-wide registry of stream keys behind arclybussink and
 * arclybussrc.
 *
 * One hub per key.  A hub holds one track per elementary stream of the
 * publisher (its sink_%u pads, by index), and each track IS an arclybus
 * element owned by the hub (not in any pipeline, always PLAYING): the
 * publisher feeds its sink pad, every subscriber takes one of its request
 * src pads.  So the ring, GOP cache, delivery pool, lag skips,
 * max-lag-time, eviction and statistics across pipelines are those of
 * arclybus, not a second implementation.  Tracks outlive publishers, so
 * subscribers stay linked while a publisher stops and another starts.
 *
 * Locks: `registry lock` (file static) guards the key table and the hubs'
 * reference counts; each hub's `lock` guards its fields.  Order: registry
 * lock → hub lock.  Neither is held while an element changes state, a pad
 * is linked, an event pushed or a message posted.
 */

#ifndef __GST_ARCLY_BUS_HUB_H__
#define __GST_ARCLY_BUS_HUB_H__

#include <gst/gst.h>

G_BEGIN_DECLS

typedef struct _ArclyBusHub ArclyBusHub;

typedef void (*ArclyBusHubNotify) (gpointer user_data);

/* the sticky custom event a publisher sends before its buffers: "base" is
 * its base time on the monotonic clock (ns), so a subscriber maps the
 * publisher's running time to its own through clock time */
#define ARCLY_BUS_TIMEBASE "arcly-bus-timebase"

ArclyBusHub *arcly_bus_hub_get (const gchar * key);
void arcly_bus_hub_unref (ArclyBusHub * hub);
const gchar *arcly_bus_hub_key (ArclyBusHub * hub);

/* publisher side */
gboolean arcly_bus_hub_publish (ArclyBusHub * hub, GstElement * publisher,
    gboolean replace, GstElement ** replaced);
gboolean arcly_bus_hub_is_publisher (ArclyBusHub * hub,
    GstElement * publisher);
void arcly_bus_hub_unpublish (ArclyBusHub * hub, GstElement * publisher);
GstElement *arcly_bus_hub_get_track (ArclyBusHub * hub, guint index);
void arcly_bus_hub_set_streams (ArclyBusHub * hub, GstElement * publisher,
    guint n_streams);
void arcly_bus_hub_changed (ArclyBusHub * hub);
GstElement *arcly_bus_hub_get_publisher (ArclyBusHub * hub);

/* subscriber side */
void arcly_bus_hub_watch (ArclyBusHub * hub, ArclyBusHubNotify notify,
    gpointer user_data);
void arcly_bus_hub_unwatch (ArclyBusHub * hub, gpointer user_data);
GPtrArray *arcly_bus_hub_get_tracks (ArclyBusHub * hub, gboolean * complete,
    guint * serial);
void arcly_bus_hub_add_subscriber (ArclyBusHub * hub, gint delta);
guint arcly_bus_hub_n_subscribers (ArclyBusHub * hub);

/* which subscriber owns a track's src pad: for routing its messages */
void arcly_bus_hub_tag_pad (GstPad * bus_pad, GstElement * subscriber);
GstElement *arcly_bus_hub_pad_owner (GstPad * bus_pad);

G_END_DECLS

#endif /* __GST_ARCLY_BUS_HUB_H__ */
