/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * SDP (RFC 8866) from a DESCRIBE reply → the list of audio/video tracks with
 * full application/x-rtp caps.  Parsing is done by gst-plugins-base's
 * GstSDPMessage after a clean-up pass that repairs faults seen in real
 * cameras (see rtspsdp.c).  Pure code: no element code, no I/O.
 */

#ifndef __ARCLY_RTSP_SDP_H__
#define __ARCLY_RTSP_SDP_H__

#include <gst/gst.h>

G_BEGIN_DECLS

typedef enum
{
  ARCLY_RTSP_TRACK_VIDEO = 1,
  ARCLY_RTSP_TRACK_AUDIO = 2,
} ArclyRtspTrackType;

typedef struct
{
  ArclyRtspTrackType type;
  guint index;                  /* position of the m= line in the SDP */
  guint pt;
  gchar *encoding_name;         /* upper case, e.g. "H264", "MPEG4-GENERIC" */
  guint clock_rate;
  gchar *control;               /* a=control as given, NULL when absent */
  GstCaps *caps;                /* application/x-rtp, fixed */
} ArclyRtspTrack;

/* Cleans @len bytes of SDP text into a form GstSDPMessage accepts: CRLF
 * line ends, no junk lines, a v= first and an s= line, repaired c= and o=
 * lines.  Never fails; returns a new NUL-terminated string. */
gchar *     arcly_rtsp_sdp_clean (const guint8 * data, gsize len);

/* Parses an SDP body into tracks (a GPtrArray of ArclyRtspTrack, possibly
 * empty).  *session_control receives the session-level a=control (or
 * NULL).  Returns NULL with @error set only when nothing parses at all. */
GPtrArray * arcly_rtsp_sdp_parse (const guint8 * data, gsize len,
                                  gchar ** session_control, GError ** error);

void        arcly_rtsp_track_free (ArclyRtspTrack * track);

/* A base64 sprop-parameter-sets value with any Annex-B start codes removed
 * from the decoded NAL units (and units split at them).  New string. */
gchar *     arcly_rtsp_sdp_fix_sprop (const gchar * value);

G_END_DECLS

#endif
