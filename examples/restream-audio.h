/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __RESTREAM_AUDIO_H__
#define __RESTREAM_AUDIO_H__

#include <gst/gst.h>

G_BEGIN_DECLS

/* --audio: what arcly-restream does with a camera's audio */
typedef enum
{
  RESTREAM_AUDIO_AAC,           /* G.711 transcoded to AAC for HLS/recorder */
  RESTREAM_AUDIO_COPY,          /* as the camera sends it; HLS drops G.711 */
  RESTREAM_AUDIO_NONE,          /* no audio anywhere */
} RestreamAudioMode;

#define RESTREAM_AUDIO_DEFAULT RESTREAM_AUDIO_AAC

gboolean restream_audio_mode_parse (const gchar * text,
    RestreamAudioMode * mode);
const gchar *restream_audio_mode_name (RestreamAudioMode mode);

void restream_ingest_link (GstPad * pad, GstBin * pipeline, GstElement * pub,
    RestreamAudioMode mode, const gchar * camera);

void restream_audio_set_mode (GstElement * sink, RestreamAudioMode mode,
    const gchar * camera);
GstPad *restream_audio_adapt (GstElement * sink, GstPad * pad);

G_END_DECLS

#endif
