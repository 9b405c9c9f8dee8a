/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <gst/check/gstcheck.h>

#include "arcly-rtspsrc-counter.h"

void
arcly_rtsp_counts_init (ArclyRtspCounts * c)
{
  memset (c, 0, sizeof (*c));
  g_mutex_init (&c->lock);
}

void
arcly_rtsp_counts_clear (ArclyRtspCounts * c)
{
  g_free (c->video_caps);
  g_free (c->audio_caps);
  g_mutex_clear (&c->lock);
}

static GstPadProbeReturn
count_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  ArclyRtspCounts *c = user_data;
  gboolean video = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (pad),
          "is-video"));

  g_mutex_lock (&c->lock);
  if (video)
    c->video_buffers++;
  else
    c->audio_buffers++;
  g_mutex_unlock (&c->lock);
  return GST_PAD_PROBE_OK;
}

static void
on_pad_added (GstElement * src, GstPad * pad, gpointer user_data)
{
  ArclyRtspCounts *c = user_data;
  GstElement *bin = GST_ELEMENT (gst_element_get_parent (src));
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);
  GstCaps *caps = gst_pad_get_current_caps (pad);
  const gchar *media;
  GstPad *sinkpad;
  gboolean video;

  fail_unless (caps != NULL);
  media = gst_structure_get_string (gst_caps_get_structure (caps, 0),
      "media");
  fail_unless (media != NULL);
  video = strcmp (media, "video") == 0;

  g_mutex_lock (&c->lock);
  if (video) {
    g_free (c->video_caps);
    c->video_caps = gst_caps_to_string (caps);
  } else {
    g_free (c->audio_caps);
    c->audio_caps = gst_caps_to_string (caps);
  }
  g_mutex_unlock (&c->lock);
  gst_caps_unref (caps);

  g_object_set (sink, "async", FALSE, NULL);
  gst_bin_add (GST_BIN (bin), sink);
  gst_element_sync_state_with_parent (sink);
  sinkpad = gst_element_get_static_pad (sink, "sink");
  g_object_set_data (G_OBJECT (sinkpad), "is-video", GINT_TO_POINTER (video));
  gst_pad_add_probe (sinkpad, GST_PAD_PROBE_TYPE_BUFFER, count_probe, c,
      NULL);
  fail_unless_equals_int (gst_pad_link (pad, sinkpad), GST_PAD_LINK_OK);
  gst_object_unref (sinkpad);
  gst_object_unref (bin);
}

gchar *
arcly_run_rtspsrc (const gchar * url, const gchar * user,
    const gchar * password, ArclyRtspCounts * c, guint want, guint extra_ms,
    guint timeout_s)
{
  GstElement *pipe = gst_pipeline_new (NULL);
  GstElement *src = gst_element_factory_make ("rtspsrc", NULL);
  GstBus *bus = gst_element_get_bus (pipe);
  gint64 deadline = g_get_monotonic_time () + timeout_s * G_TIME_SPAN_SECOND;
  gint64 done_at = 0;
  gchar *err_text = NULL;

  fail_unless (src != NULL,
      "rtspsrc missing: install gstreamer1.0-plugins-good");
  g_object_set (src, "location", url, "protocols", 4 /* TCP */ ,
      "latency", 100, NULL);
  if (user)
    g_object_set (src, "user-id", user, "user-pw", password, NULL);
  g_signal_connect (src, "pad-added", G_CALLBACK (on_pad_added), c);
  gst_bin_add (GST_BIN (pipe), src);
  gst_element_set_state (pipe, GST_STATE_PLAYING);

  while (g_get_monotonic_time () < deadline) {
    GstMessage *m = gst_bus_timed_pop_filtered (bus, 50 * GST_MSECOND,
        GST_MESSAGE_ERROR | GST_MESSAGE_EOS);
    gboolean done;

    if (m) {
      if (GST_MESSAGE_TYPE (m) == GST_MESSAGE_ERROR) {
        GError *e = NULL;

        gst_message_parse_error (m, &e, NULL);
        err_text = g_strdup (e->message);
        g_error_free (e);
      } else {
        err_text = g_strdup ("unexpected EOS");
      }
      gst_message_unref (m);
      break;
    }
    g_mutex_lock (&c->lock);
    done = c->video_buffers >= want && c->audio_buffers >= want;
    g_mutex_unlock (&c->lock);
    if (done && done_at == 0)
      done_at = g_get_monotonic_time ();
    if (done_at && g_get_monotonic_time () - done_at >= extra_ms * 1000)
      break;
  }

  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipe);
  return err_text;
}
