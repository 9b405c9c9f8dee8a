/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * arcly-restream's inputs other than RTSP cameras: SRT (caller and
 * listener), MPEG-TS over UDP (unicast and multicast), RTP over UDP described
 * by an SDP file, and RTMP pull.  Each is a source bin of stock elements and
 * parsers inside the input's ingest pipeline, published into the input's
 * arclybussink exactly as an RTSP camera is, so every consumer (HLS,
 * recorder, RTSP out) works unchanged.
 */

#ifndef __RESTREAM_INPUT_H__
#define __RESTREAM_INPUT_H__

#include <gst/gst.h>

G_BEGIN_DECLS

typedef enum
{
  RESTREAM_INPUT_SRT,
  RESTREAM_INPUT_UDP,
  RESTREAM_INPUT_RTP,
  RESTREAM_INPUT_RTMP,
} RestreamInputKind;

/* What an input URL says, checked (pure: no I/O but for nothing). */
typedef struct
{
  RestreamInputKind kind;
  gchar *host;                  /* SRT: peer (caller) or bind (listener);
                                 * UDP/RTP: local or multicast address */
  gint port;                    /* -1: none given (RTP only) */
  gboolean listener;            /* SRT */
  gint latency_ms;              /* SRT, -1: srtsrc's default */
  gchar *passphrase;            /* SRT, secret: never print it */
  gchar *streamid;              /* SRT */
  gchar *multicast;             /* UDP: group of udp://GROUP@IFADDR:PORT */
  gchar *sdp_path;              /* RTP */
  gchar *location;              /* RTMP: the URL as given */
} RestreamInputUrl;

gboolean restream_input_url_is_input (const gchar * url);
gboolean restream_input_url_parse (const gchar * url, RestreamInputUrl * out,
    GError ** error);
void restream_input_url_clear (RestreamInputUrl * url);
/* @url with its secrets (SRT passphrase, user:password@) replaced by ***. */
gchar *restream_input_url_redact (const gchar * url);
const gchar *restream_input_kind_name (RestreamInputKind kind);

/* RTP caps of each m= line of the SDP @text (application/x-rtp, with the
 * port in "arcly-port" and the connection address in "arcly-address"):
 * a GPtrArray of GstCaps, NULL + @error when unusable. */
GPtrArray *restream_input_sdp_caps (const gchar * text, GError ** error);

typedef struct _RestreamInput RestreamInput;

RestreamInput *restream_input_new (const gchar * name, const gchar * url,
    GError ** error);
/* Builds the first source bin into @pipeline, publishing into @pub
 * (arclybussink); @pipeline's bus messages go through
 * restream_input_handle_message. */
gboolean restream_input_start (RestreamInput * in, GstElement * pipeline,
    GstElement * pub, GError ** error);
/* TRUE when @msg (from the ingest pipeline's bus, main thread) was the
 * input's own and was handled: a source error is retried, never fatal. */
gboolean restream_input_handle_message (RestreamInput * in, GstMessage * msg);
RestreamInputKind restream_input_get_kind (RestreamInput * in);
const gchar *restream_input_get_state (RestreamInput * in);
guint restream_input_get_reconnects (RestreamInput * in);
void restream_input_get_clock (RestreamInput * in, gint * ppm,
    gdouble * lag_ms);
/* Stops retrying and the source bin (before the pipeline goes to NULL). */
void restream_input_stop (RestreamInput * in);
void restream_input_free (RestreamInput * in);

G_END_DECLS

#endif
