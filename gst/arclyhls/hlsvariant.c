/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * arclyhlssink's multivariant playlist: see hlsvariant.h.  Pad probes
 * (upstream threads) note the codecs under the object lock; the writer
 * thread, which posts the segment messages, writes the file.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <glib/gstdio.h>

#include "hlssinkwriter.h"
#include "hlsvariant.h"
#include "hlscodecs.h"
#include "hlsfile.h"

#define GST_CAT_DEFAULT arcly_hls_sink_debug

static gchar *
codecs_from_caps (GstCaps * caps, gboolean video, gboolean * h265,
    guint * width, guint * height)
{
  GstStructure *s = gst_caps_get_structure (caps, 0);
  const GValue *v = gst_structure_get_value (s, "codec_data");
  GstBuffer *cd = v && GST_VALUE_HOLDS_BUFFER (v) ?
      gst_value_get_buffer (v) : NULL;
  GstMapInfo map;
  gchar *codecs = NULL;
  gint w = 0, h = 0;

  if (video) {
    *h265 = gst_structure_has_name (s, "video/x-h265");
    if (gst_structure_get_int (s, "width", &w) &&
        gst_structure_get_int (s, "height", &h) && w > 0 && h > 0) {
      *width = w;
      *height = h;
    }
  }
  /* byte-stream H.264 / H.265 and ADTS: from the first buffers instead */
  if (cd == NULL || (video && *h265) ||
      !gst_buffer_map (cd, &map, GST_MAP_READ))
    return NULL;
  codecs = video ? arcly_hls_codecs_from_avcc (map.data, map.size) :
      arcly_hls_codecs_from_asc (map.data, map.size);
  gst_buffer_unmap (cd, &map);
  return codecs;
}

static GstPadProbeReturn
codec_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstArclyHlsSink *self = user_data;
  ArclyHlsVariant *v = &self->variant;
  gboolean video = g_str_equal (GST_PAD_NAME (pad), "video");
  gchar **slot = video ? &v->video_codecs : &v->audio_codecs;

  if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent *ev = GST_PAD_PROBE_INFO_EVENT (info);
    GstCaps *caps;
    gchar *codecs;
    gboolean h265 = FALSE;
    guint w = 0, h = 0;

    if (GST_EVENT_TYPE (ev) != GST_EVENT_CAPS)
      return GST_PAD_PROBE_OK;
    gst_event_parse_caps (ev, &caps);
    codecs = codecs_from_caps (caps, video, &h265, &w, &h);
    GST_OBJECT_LOCK (self);
    g_free (*slot);
    *slot = codecs;             /* NULL: found again in the buffers */
    if (video) {
      v->video_h265 = h265;
      v->width = w;
      v->height = h;
    }
    GST_OBJECT_UNLOCK (self);
  } else if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
    gboolean known, h265;
    GstMapInfo map;
    gchar *codecs;

    GST_OBJECT_LOCK (self);
    known = *slot != NULL;
    h265 = v->video_h265;
    GST_OBJECT_UNLOCK (self);
    if (known || !gst_buffer_map (buf, &map, GST_MAP_READ))
      return GST_PAD_PROBE_OK;
    codecs = video ? arcly_hls_codecs_from_annexb (map.data, map.size, h265)
        : arcly_hls_codecs_from_adts (map.data, map.size);
    gst_buffer_unmap (buf, &map);
    if (codecs != NULL) {
      GST_DEBUG_OBJECT (self, "%s codec %s", GST_PAD_NAME (pad), codecs);
      GST_OBJECT_LOCK (self);
      g_free (*slot);
      *slot = codecs;
      GST_OBJECT_UNLOCK (self);
    }
  }
  return GST_PAD_PROBE_OK;
}

void
arcly_hls_variant_watch_pad (GstArclyHlsSink * self, GstPad * pad,
    gboolean video)
{
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, codec_probe, self, NULL);
}

void
arcly_hls_variant_start (GstArclyHlsSink * self)
{
  ArclyHlsVariant *v = &self->variant;
  const gchar *media = self->cfg.playlist_location;

  g_clear_pointer (&v->path, g_free);
  g_clear_pointer (&v->media_uri, g_free);
  g_clear_pointer (&v->written, g_free);
  v->peak_bps = 0;
  v->warned = FALSE;
  v->want_video = self->video_pad != NULL;
  v->want_audio = self->audio_pad != NULL;
  if (v->location == NULL || media == NULL)
    return;
  v->path = g_strdup (v->location);
  {
    /* the media playlist next to it: by name; elsewhere: as configured */
    gchar *d1 = g_path_get_dirname (v->path), *d2 = g_path_get_dirname (media);

    v->media_uri = g_str_equal (d1, d2) ? g_path_get_basename (media) :
        g_strdup (media);
    g_free (d1);
    g_free (d2);
  }
}

static gchar *
current_codecs (GstArclyHlsSink * self, guint * width, guint * height)
{
  ArclyHlsVariant *v = &self->variant;
  gchar *codecs = NULL;

  GST_OBJECT_LOCK (self);
  /* CODECS lists every format in the variant, or is left out */
  if ((!v->want_video || v->video_codecs) &&
      (!v->want_audio || v->audio_codecs) &&
      (v->want_video || v->want_audio)) {
    codecs = v->want_video && v->want_audio ? g_strdup_printf ("%s,%s",
        v->video_codecs, v->audio_codecs) : g_strdup (v->want_video ?
        v->video_codecs : v->audio_codecs);
  }
  *width = v->want_video ? v->width : 0;
  *height = v->want_video ? v->height : 0;
  GST_OBJECT_UNLOCK (self);
  return codecs;
}

void
arcly_hls_variant_on_message (GstArclyHlsSink * self, const GstStructure * s)
{
  ArclyHlsVariant *v = &self->variant;
  const gchar *location = gst_structure_get_string (s, "location");
  guint64 duration = 0, bps;
  GStatBuf st;
  gchar *codecs, *text;
  guint width, height;
  GError *err = NULL;

  if (v->path == NULL || !gst_structure_has_name (s, "arcly-hls-segment") ||
      location == NULL || !gst_structure_get_uint64 (s, "duration",
          &duration) || duration == 0 || g_stat (location, &st) != 0)
    return;
  bps = gst_util_uint64_scale ((guint64) st.st_size * 8, GST_SECOND,
      duration);
  v->peak_bps = MAX (v->peak_bps, bps);

  codecs = current_codecs (self, &width, &height);
  text = arcly_hls_multivariant_text (v->media_uri, v->peak_bps, codecs,
      width, height);
  g_free (codecs);
  if (v->written != NULL && g_str_equal (text, v->written)) {
    g_free (text);
    return;
  }
  if (!arcly_hls_file_write_atomic_sync (v->path, (const guint8 *) text,
          strlen (text), FALSE, &err)) {
    if (!v->warned)
      GST_ELEMENT_WARNING (self, RESOURCE, WRITE,
          ("Could not write the multivariant playlist."), ("%s",
              err->message));
    v->warned = TRUE;
    g_clear_error (&err);
    g_free (text);
    return;
  }
  g_free (v->written);
  v->written = text;
}

void
arcly_hls_variant_clear (ArclyHlsVariant * v)
{
  g_free (v->location);
  g_free (v->video_codecs);
  g_free (v->audio_codecs);
  g_free (v->path);
  g_free (v->media_uri);
  g_free (v->written);
  memset (v, 0, sizeof (*v));
}
