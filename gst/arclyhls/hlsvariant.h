/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * arclyhlssink's multivariant playlist ("multivariant-playlist-location"):
 * one EXT-X-STREAM-INF naming the media playlist, with the CODECS of what
 * the sink's pads receive (hlscodecs.h), the video RESOLUTION and the peak
 * segment bitrate as BANDWIDTH.  Written (atomically) after a segment when
 * its text changes.  Not installed.
 */

#ifndef __ARCLY_HLS_VARIANT_H__
#define __ARCLY_HLS_VARIANT_H__

#include <gst/gst.h>

G_BEGIN_DECLS

typedef struct _GstArclyHlsSink GstArclyHlsSink;

typedef struct
{
  /* the property; the sink's lock */
  gchar *location;

  /* object lock: what the pads have shown (pad streaming threads) */
  gchar *video_codecs;
  gchar *audio_codecs;
  gboolean video_h265;
  guint width, height;

  /* writer thread, set up at READY -> PAUSED */
  gchar *path;                  /* NULL: no multivariant playlist */
  gchar *media_uri;
  gboolean want_video, want_audio;
  guint64 peak_bps;
  gchar *written;               /* the text on disk */
  gboolean warned;
} ArclyHlsVariant;

/* Watches the caps and first buffers of a sink ghost pad for its codec. */
void arcly_hls_variant_watch_pad (GstArclyHlsSink * self, GstPad * pad,
    gboolean video);

/* READY -> PAUSED, with the sink's lock held. */
void arcly_hls_variant_start (GstArclyHlsSink * self);

/* An element message the sink posts: after "arcly-hls-segment" the
 * playlist is written again when its text changed. */
void arcly_hls_variant_on_message (GstArclyHlsSink * self,
    const GstStructure * s);

void arcly_hls_variant_clear (ArclyHlsVariant * v);

G_END_DECLS

#endif /* __ARCLY_HLS_VARIANT_H__ */
