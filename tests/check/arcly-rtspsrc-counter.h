/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Runs GStreamer's own rtspsrc (TCP) against one of our test servers and
 * counts the buffers and caps of each track: how the tests prove a server
 * is a real RTSP peer.
 */

#ifndef __ARCLY_RTSPSRC_COUNTER_H__
#define __ARCLY_RTSPSRC_COUNTER_H__

#include <gst/gst.h>

G_BEGIN_DECLS

typedef struct
{
  GMutex lock;
  guint video_buffers;
  guint audio_buffers;
  gchar *video_caps;            /* of the last video pad added */
  gchar *audio_caps;
} ArclyRtspCounts;

void    arcly_rtsp_counts_init (ArclyRtspCounts * c);
void    arcly_rtsp_counts_clear (ArclyRtspCounts * c);

/* Plays `rtspsrc protocols=tcp latency=100` from @url (credentials from
 * @user/@password when not NULL, else from the URL) into a fakesink per
 * pad until both tracks got @want buffers and @extra_ms more passed, or
 * @timeout_s.  Returns the message of the error (or "unexpected EOS")
 * posted, NULL when none. */
gchar * arcly_run_rtspsrc (const gchar * url, const gchar * user,
                           const gchar * password, ArclyRtspCounts * c,
                           guint want, guint extra_ms, guint timeout_s);

G_END_DECLS

#endif
