/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * RTSP out for arcly-restream: gst-rtsp-server serves rtsp://HOST:PORT/NAME
 * for every camera.  A client's media is
 *
 *   arclybussrc stream-key=NAME ─src_0→ rtph264pay / rtph265pay ─→ RTP
 *                              └src_1→ rtpmp4gpay (AAC),         ─→ RTP
 *                                      rtppcmupay / rtppcmapay (G.711)
 *
 * inside a bin named "dynpay0": gst-rtsp-server makes one stream per pad
 * that bin adds, and starts the session once it signals no-more-pads —
 * which arclybussrc does once it knows the camera's stream set.  So the
 * media takes whatever tracks the camera has, and its first frames come
 * from the stream key's GOP cache: a client's picture starts at the cached
 * keyframe, not at the camera's next one.
 *
 * By default every client gets a media of its own (one arclybussrc, no
 * copy of the payload: the bus hands every subscriber the same buffers), so
 * every client starts from the cache.  With `shared`, clients playing at
 * the same time share one media: only its first client starts from the
 * cache, a client joining it later waits for the camera's next keyframe
 * (measured in tests/check/pipelines/restream-rtsp.py).
 *
 * Threads: pad-added/no-more-pads come from arclybussrc's thread and only
 * touch the bin they were given.  Everything else runs in the GLib main
 * context the server is attached to.  Credentials are handed to GstRTSPAuth
 * and never printed.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <gst/rtsp-server/rtsp-server.h>

#include "restream-rtsp.h"

#define ROLE "viewer"

struct _RestreamRtsp
{
  GstRTSPServer *server;
  GstRTSPAuth *auth;
  gboolean shared;
  guint source_id;
};

/* ------------------------------------------------------------ the media */

static const gchar *
payloader_for (const gchar * media_type)
{
  if (strcmp (media_type, "video/x-h264") == 0)
    return "rtph264pay";
  if (strcmp (media_type, "video/x-h265") == 0)
    return "rtph265pay";
  if (strcmp (media_type, "audio/mpeg") == 0)
    return "rtpmp4gpay";
  /* G.711 goes out as the camera sent it: every RTSP client plays it */
  if (strcmp (media_type, "audio/x-mulaw") == 0)
    return "rtppcmupay";
  if (strcmp (media_type, "audio/x-alaw") == 0)
    return "rtppcmapay";
  return NULL;
}

/* arclybussrc added a stream (its caps are set): payload it and show the
 * RTP as a pad of @dynpay. */
static void
on_stream_added (GstElement * src, GstPad * pad, GstElement * dynpay)
{
  GstCaps *caps = gst_pad_get_current_caps (pad);
  const gchar *factory = caps ? payloader_for (gst_structure_get_name
      (gst_caps_get_structure (caps, 0))) : NULL;
  GstElement *pay;
  GstPad *sink, *rtp, *ghost;
  guint n = dynpay->numsrcpads;

  if (caps)
    gst_caps_unref (caps);
  /* A stream we cannot payload is consumed, so it cannot stall the rest. */
  pay = gst_element_factory_make (factory ? factory : "fakesink", NULL);
  if (pay == NULL)
    return;
  if (factory) {
    /* G.711 keeps its static payload type (0, 8) */
    if (!g_str_has_prefix (factory, "rtppcm"))
      g_object_set (pay, "pt", 96 + n, NULL);
    /* Parameter sets go in the SDP (sprop-parameter-sets) and come in-band
     * with the camera's keyframes: none added (doubling them makes ffmpeg
     * see two access units with one timestamp). */
    if (g_str_has_prefix (factory, "rtph26"))
      g_object_set (pay, "config-interval", 0, NULL);
  } else {
    g_object_set (pay, "async", FALSE, "sync", FALSE, NULL);
  }
  gst_bin_add (GST_BIN (dynpay), pay);
  sink = gst_element_get_static_pad (pay, "sink");
  gst_pad_link (pad, sink);
  gst_object_unref (sink);
  gst_element_sync_state_with_parent (pay);
  if (factory == NULL)
    return;
  rtp = gst_element_get_static_pad (pay, "src");
  ghost = gst_ghost_pad_new (NULL, rtp);
  gst_object_unref (rtp);
  gst_pad_set_active (ghost, TRUE);
  gst_element_add_pad (dynpay, ghost);
}

static void
on_streams_complete (GstElement * src, GstElement * dynpay)
{
  gst_element_no_more_pads (dynpay);
}

typedef struct
{
  GstRTSPMediaFactory parent;
  gchar *stream_key;
} KeyFactory;

typedef struct
{
  GstRTSPMediaFactoryClass parent_class;
} KeyFactoryClass;

static GType key_factory_get_type (void);
G_DEFINE_TYPE (KeyFactory, key_factory, GST_TYPE_RTSP_MEDIA_FACTORY);

static GstElement *
key_factory_create_element (GstRTSPMediaFactory * factory,
    const GstRTSPUrl * url)
{
  KeyFactory *self = (KeyFactory *) factory;
  GstElement *top = gst_bin_new (NULL);
  GstElement *dynpay = gst_bin_new ("dynpay0");
  GstElement *src = gst_element_factory_make ("arclybussrc", NULL);

  if (src == NULL) {
    gst_object_unref (top);
    gst_object_unref (dynpay);
    return NULL;
  }
  g_object_set (src, "stream-key", self->stream_key, NULL);
  gst_bin_add (GST_BIN (dynpay), src);
  gst_bin_add (GST_BIN (top), dynpay);
  g_signal_connect (src, "pad-added", G_CALLBACK (on_stream_added), dynpay);
  g_signal_connect (src, "no-more-pads", G_CALLBACK (on_streams_complete),
      dynpay);
  return top;
}

static void
key_factory_finalize (GObject * object)
{
  g_free (((KeyFactory *) object)->stream_key);
  G_OBJECT_CLASS (key_factory_parent_class)->finalize (object);
}

static void
key_factory_class_init (KeyFactoryClass * klass)
{
  G_OBJECT_CLASS (klass)->finalize = key_factory_finalize;
  GST_RTSP_MEDIA_FACTORY_CLASS (klass)->create_element =
      key_factory_create_element;
}

static void
key_factory_init (KeyFactory * self)
{
}

/* ----------------------------------------------------------- the server */

RestreamRtsp *
restream_rtsp_new (const gchar * address, guint port, gboolean shared,
    const gchar * user, const gchar * password)
{
  RestreamRtsp *rtsp = g_new0 (RestreamRtsp, 1);

  rtsp->shared = shared;
  gchar *service = g_strdup_printf ("%u", port);

  rtsp->server = gst_rtsp_server_new ();
  gst_rtsp_server_set_address (rtsp->server, address);
  gst_rtsp_server_set_service (rtsp->server, service);
  g_free (service);
  if (user && password) {
    GstRTSPToken *token = gst_rtsp_token_new
        (GST_RTSP_TOKEN_MEDIA_FACTORY_ROLE, G_TYPE_STRING, ROLE, NULL);

    rtsp->auth = gst_rtsp_auth_new ();
    gst_rtsp_auth_set_supported_methods (rtsp->auth, GST_RTSP_AUTH_DIGEST);
    gst_rtsp_auth_add_digest (rtsp->auth, user, password, token);
    gst_rtsp_token_unref (token);
    gst_rtsp_server_set_auth (rtsp->server, rtsp->auth);
  }
  return rtsp;
}

gboolean
restream_rtsp_add_camera (RestreamRtsp * rtsp, const gchar * name)
{
  GstRTSPMountPoints *mounts = gst_rtsp_server_get_mount_points (rtsp->server);
  KeyFactory *factory = g_object_new (key_factory_get_type (), NULL);
  gchar *path = g_strconcat ("/", name, NULL);

  factory->stream_key = g_strdup (name);
  gst_rtsp_media_factory_set_shared (GST_RTSP_MEDIA_FACTORY (factory),
      rtsp->shared);
  if (rtsp->auth)
    gst_rtsp_media_factory_add_role (GST_RTSP_MEDIA_FACTORY (factory), ROLE,
        GST_RTSP_PERM_MEDIA_FACTORY_ACCESS, G_TYPE_BOOLEAN, TRUE,
        GST_RTSP_PERM_MEDIA_FACTORY_CONSTRUCT, G_TYPE_BOOLEAN, TRUE, NULL);
  gst_rtsp_mount_points_add_factory (mounts, path,
      GST_RTSP_MEDIA_FACTORY (factory));
  g_free (path);
  g_object_unref (mounts);
  return TRUE;
}

/* Binds the port (an error when taken) and serves from the default main
 * context. */
gboolean
restream_rtsp_start (RestreamRtsp * rtsp, GError ** error)
{
  GSource *source = gst_rtsp_server_create_source (rtsp->server, NULL, error);

  if (source == NULL)
    return FALSE;
  rtsp->source_id = g_source_attach (source, NULL);
  g_source_unref (source);
  return TRUE;
}

guint
restream_rtsp_get_port (RestreamRtsp * rtsp)
{
  return gst_rtsp_server_get_bound_port (rtsp->server);
}

gchar *
restream_rtsp_get_url (RestreamRtsp * rtsp, const gchar * host,
    const gchar * name)
{
  return g_strdup_printf ("rtsp://%s:%u/%s", host,
      restream_rtsp_get_port (rtsp), name);
}

static GstRTSPFilterResult
close_client (GstRTSPServer * server, GstRTSPClient * client, gpointer data)
{
  return GST_RTSP_FILTER_REMOVE;
}

void
restream_rtsp_free (RestreamRtsp * rtsp)
{
  if (rtsp == NULL)
    return;
  if (rtsp->source_id)
    g_source_remove (rtsp->source_id);
  gst_rtsp_server_client_filter (rtsp->server, close_client, NULL);
  if (rtsp->auth)
    g_object_unref (rtsp->auth);
  g_object_unref (rtsp->server);
  g_free (rtsp);
}
