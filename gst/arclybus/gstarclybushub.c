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

/* The stream-key registry; see gstarclybushub.h for the design and the
 * lock order.  Watchers' notify callbacks are called with the hub lock
 * held: they only signal their own condition. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstarclybuselements.h"
#include "gstarclybus-private.h"
#include "gstarclybushub.h"

#define GST_CAT_DEFAULT arclybus_debug

typedef struct
{
  ArclyBusHubNotify notify;
  gpointer user_data;
} Watch;

struct _ArclyBusHub
{
  gint ref;                     /* registry lock */
  gchar *key;

  GMutex lock;
  GPtrArray *tracks;            /* GstElement * (arclybus), by stream index */
  GstElement *publisher;        /* not a ref: cleared by unpublish */
  guint n_streams;              /* the publisher's stream set, 0: unknown */
  guint serial;                 /* bumped on every change */
  GList *watches;               /* Watch * */
  guint n_subscribers;
};

static GMutex registry_lock;
static GHashTable *registry;    /* key -> ArclyBusHub * */
static GQuark owner_quark;

ArclyBusHub *
arcly_bus_hub_get (const gchar * key)
{
  ArclyBusHub *hub;

  g_mutex_lock (&registry_lock);
  if (registry == NULL) {
    registry = g_hash_table_new (g_str_hash, g_str_equal);
    owner_quark = g_quark_from_static_string ("arcly-bus-owner");
  }
  hub = g_hash_table_lookup (registry, key);
  if (hub) {
    hub->ref++;
  } else {
    hub = g_new0 (ArclyBusHub, 1);
    hub->ref = 1;
    hub->key = g_strdup (key);
    g_mutex_init (&hub->lock);
    hub->tracks = g_ptr_array_new ();
    g_hash_table_insert (registry, hub->key, hub);
  }
  g_mutex_unlock (&registry_lock);
  return hub;
}

static void
free_track (GstElement * track)
{
  GstBus *gbus = gst_element_get_bus (track);

  gst_element_set_state (track, GST_STATE_NULL);
  if (gbus) {
    gst_bus_set_flushing (gbus, TRUE);
    gst_object_unref (gbus);
  }
  gst_object_unref (track);
}

void
arcly_bus_hub_unref (ArclyBusHub * hub)
{
  gboolean last;

  if (hub == NULL)
    return;
  g_mutex_lock (&registry_lock);
  last = --hub->ref == 0;
  if (last)
    g_hash_table_remove (registry, hub->key);
  g_mutex_unlock (&registry_lock);
  if (!last)
    return;
  GST_DEBUG ("stream key '%s' no longer used", hub->key);
  g_ptr_array_foreach (hub->tracks, (GFunc) free_track, NULL);
  g_ptr_array_unref (hub->tracks);
  g_list_free_full (hub->watches, g_free);
  g_mutex_clear (&hub->lock);
  g_free (hub->key);
  g_free (hub);
}

const gchar *
arcly_bus_hub_key (ArclyBusHub * hub)
{
  return hub->key;
}

/* (hub lock) */
static void
notify_watches (ArclyBusHub * hub)
{
  GList *l;

  hub->serial++;
  for (l = hub->watches; l; l = l->next) {
    Watch *w = l->data;
    w->notify (w->user_data);
  }
}

void
arcly_bus_hub_changed (ArclyBusHub * hub)
{
  g_mutex_lock (&hub->lock);
  notify_watches (hub);
  g_mutex_unlock (&hub->lock);
}

/* ------------------------------------------------------------ publisher */

gboolean
arcly_bus_hub_publish (ArclyBusHub * hub, GstElement * publisher,
    gboolean replace, GstElement ** replaced)
{
  *replaced = NULL;
  g_mutex_lock (&hub->lock);
  if (hub->publisher && hub->publisher != publisher) {
    if (!replace) {
      g_mutex_unlock (&hub->lock);
      return FALSE;
    }
    *replaced = gst_object_ref (hub->publisher);
  }
  hub->publisher = publisher;
  hub->n_streams = 0;
  notify_watches (hub);
  g_mutex_unlock (&hub->lock);
  return TRUE;
}

gboolean
arcly_bus_hub_is_publisher (ArclyBusHub * hub, GstElement * publisher)
{
  gboolean ret;

  g_mutex_lock (&hub->lock);
  ret = hub->publisher == publisher;
  g_mutex_unlock (&hub->lock);
  return ret;
}

void
arcly_bus_hub_unpublish (ArclyBusHub * hub, GstElement * publisher)
{
  g_mutex_lock (&hub->lock);
  if (hub->publisher == publisher) {
    hub->publisher = NULL;
    hub->n_streams = 0;
    notify_watches (hub);
  }
  g_mutex_unlock (&hub->lock);
}

GstElement *
arcly_bus_hub_get_publisher (ArclyBusHub * hub)
{
  GstElement *pub;

  g_mutex_lock (&hub->lock);
  pub = hub->publisher ? gst_object_ref (hub->publisher) : NULL;
  g_mutex_unlock (&hub->lock);
  return pub;
}

void
arcly_bus_hub_set_streams (ArclyBusHub * hub, GstElement * publisher,
    guint n_streams)
{
  g_mutex_lock (&hub->lock);
  if (hub->publisher == publisher) {
    hub->n_streams = n_streams;
    notify_watches (hub);
  }
  g_mutex_unlock (&hub->lock);
}

/* Lagged/evicted messages of a track name one of its src pads: they go to
 * the subscriber that owns the pad, from that subscriber, with the key.
 * Everything else a track posts (state changes) concerns nobody.  A sync
 * handler that drops a message owns it. */
static GstBusSyncReply
route_message (GstBus * gbus, GstMessage * msg, gpointer data)
{
  const gchar *key = data;
  const GstStructure *s = gst_message_get_structure (msg);
  GstElement *track;
  GstElement *owner = NULL;
  const gchar *pad_name;
  GstPad *pad;

  if (GST_MESSAGE_TYPE (msg) != GST_MESSAGE_ELEMENT || s == NULL ||
      (pad_name = gst_structure_get_string (s, "pad-name")) == NULL ||
      !GST_IS_ELEMENT (GST_MESSAGE_SRC (msg))) {
    gst_message_unref (msg);
    return GST_BUS_DROP;
  }
  track = GST_ELEMENT (GST_MESSAGE_SRC (msg));
  pad = gst_element_get_static_pad (track, pad_name);
  if (pad) {
    owner = arcly_bus_hub_pad_owner (pad);
    gst_object_unref (pad);
  }
  if (owner) {
    GstStructure *copy = gst_structure_copy (s);

    gst_structure_set (copy, "stream-key", G_TYPE_STRING, key, NULL);
    gst_element_post_message (owner,
        gst_message_new_element (GST_OBJECT_CAST (owner), copy));
    gst_object_unref (owner);
  }
  gst_message_unref (msg);
  return GST_BUS_DROP;
}

/* The arclybus of stream @index, created (PLAYING) on first use. */
GstElement *
arcly_bus_hub_get_track (ArclyBusHub * hub, guint index)
{
  GstElement *track = NULL, *made;
  GstBus *gbus;
  gchar *name;

  g_mutex_lock (&hub->lock);
  if (index < hub->tracks->len)
    track = gst_object_ref (g_ptr_array_index (hub->tracks, index));
  g_mutex_unlock (&hub->lock);
  if (track)
    return track;

  /* made without the lock (it starts threads), then published */
  name = g_strdup_printf ("%s-%u", hub->key, index);
  made = g_object_new (GST_TYPE_ARCLY_BUS, "name", name, NULL);
  g_free (name);
  gst_object_ref_sink (made);
  gbus = gst_bus_new ();
  gst_bus_set_sync_handler (gbus, route_message, g_strdup (hub->key), g_free);
  gst_element_set_bus (made, gbus);
  gst_object_unref (gbus);
  if (gst_element_set_state (made, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    free_track (made);
    return NULL;
  }
  g_mutex_lock (&hub->lock);
  while (hub->tracks->len < index)
    g_ptr_array_add (hub->tracks, NULL);
  if (index < hub->tracks->len && g_ptr_array_index (hub->tracks, index)) {
    track = gst_object_ref (g_ptr_array_index (hub->tracks, index));
  } else {
    if (index < hub->tracks->len)
      g_ptr_array_index (hub->tracks, index) = made;
    else
      g_ptr_array_add (hub->tracks, made);
    track = gst_object_ref (made);
    made = NULL;
  }
  g_mutex_unlock (&hub->lock);
  if (made)
    free_track (made);
  return track;
}

/* ----------------------------------------------------------- subscriber */

void
arcly_bus_hub_watch (ArclyBusHub * hub, ArclyBusHubNotify notify,
    gpointer user_data)
{
  Watch *w = g_new0 (Watch, 1);

  w->notify = notify;
  w->user_data = user_data;
  g_mutex_lock (&hub->lock);
  hub->watches = g_list_prepend (hub->watches, w);
  g_mutex_unlock (&hub->lock);
}

void
arcly_bus_hub_unwatch (ArclyBusHub * hub, gpointer user_data)
{
  GList *l;

  g_mutex_lock (&hub->lock);
  for (l = hub->watches; l; l = l->next) {
    Watch *w = l->data;

    if (w->user_data == user_data) {
      hub->watches = g_list_delete_link (hub->watches, l);
      g_free (w);
      break;
    }
  }
  g_mutex_unlock (&hub->lock);
}

/* The tracks of the current publisher's stream set (refs), when it is
 * known and every stream has caps (*@complete), else those there are. */
GPtrArray *
arcly_bus_hub_get_tracks (ArclyBusHub * hub, gboolean * complete,
    guint * serial)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (gst_object_unref);
  guint i, n;

  g_mutex_lock (&hub->lock);
  n = hub->publisher ? hub->n_streams : 0;
  *serial = hub->serial;
  for (i = 0; i < n && i < hub->tracks->len; i++) {
    GstElement *t = g_ptr_array_index (hub->tracks, i);
    if (t == NULL)
      break;
    g_ptr_array_add (out, gst_object_ref (t));
  }
  g_mutex_unlock (&hub->lock);
  *complete = n > 0 && out->len == n;
  for (i = 0; *complete && i < out->len; i++) {
    GstPad *sink = gst_element_get_static_pad (g_ptr_array_index (out, i),
        "sink");
    gboolean has_caps = gst_pad_has_current_caps (sink);

    gst_object_unref (sink);
    if (!has_caps)
      *complete = FALSE;
  }
  return out;
}

void
arcly_bus_hub_add_subscriber (ArclyBusHub * hub, gint delta)
{
  g_mutex_lock (&hub->lock);
  hub->n_subscribers += delta;
  g_mutex_unlock (&hub->lock);
}

guint
arcly_bus_hub_n_subscribers (ArclyBusHub * hub)
{
  guint n;

  g_mutex_lock (&hub->lock);
  n = hub->n_subscribers;
  g_mutex_unlock (&hub->lock);
  return n;
}

static void
free_weak (gpointer data)
{
  g_weak_ref_clear (data);
  g_free (data);
}

void
arcly_bus_hub_tag_pad (GstPad * bus_pad, GstElement * subscriber)
{
  GWeakRef *w = g_new0 (GWeakRef, 1);

  g_weak_ref_init (w, subscriber);
  g_object_set_qdata_full (G_OBJECT (bus_pad), owner_quark, w, free_weak);
}

GstElement *
arcly_bus_hub_pad_owner (GstPad * bus_pad)
{
  GWeakRef *w = g_object_get_qdata (G_OBJECT (bus_pad), owner_quark);

  return w ? g_weak_ref_get (w) : NULL;
}
