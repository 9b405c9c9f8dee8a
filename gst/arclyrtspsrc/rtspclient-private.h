/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Shared by the two halves of the RTSP client layer: rtspclient.c (the
 * session: requests, replies, the input loop, redirects, errors) and
 * rtspclientmedia.c (what arrives in `$` frames: RTP checks and source
 * locking, RTCP sender reports, receiver reports, bitrates).  Not part of
 * the client's API.
 */

#ifndef __ARCLY_RTSP_CLIENT_PRIVATE_H__
#define __ARCLY_RTSP_CLIENT_PRIVATE_H__

#include "rtspclient.h"
#include "rtspauth.h"
#include "rtspconn.h"
#include "rtspurl.h"
#include "rtspwire.h"

G_BEGIN_DECLS

GST_DEBUG_CATEGORY_EXTERN (arcly_rtsp_client_debug);
GST_DEBUG_CATEGORY_EXTERN (arcly_rtsp_client_dataflow);

/* A response copied out of the input buffer: msg points into raw. */
typedef struct
{
  guint8 *raw;
  ArclyRtspWireMessage msg;
  gchar *reason;                /* NUL-terminated copy, for messages */
} Response;

struct _ArclyRtspClient
{
  ArclyRtspClientCallbacks cb;
  gpointer user_data;
  gpointer log_obj;

  /* lock */
  GMutex lock;
  gboolean stopping;
  gboolean playing;
  GPtrArray *tracks;            /* ArclyRtspClientTrack* */
  guint64 reads;                /* socket reads that returned data */

  /* set by configure() */
  GCancellable *cancellable;    /* cuts socket calls short (cancel()) */
  GCancellable *wake;           /* interrupts the socket waits */
  gchar *location;              /* as configured, with its credentials */
  gchar *user_id, *user_pw;     /* configured overrides, or NULL */

  /* the running thread: where the session goes (location, or a redirect) */
  ArclyRtspUrl url;
  gchar *request_uri;           /* without credentials */
  gchar *display_url;           /* redacted, for logs and messages */
  gchar *user, *password;
  gboolean basic_allowed;       /* Basic may go to this host */
  gchar *redirect_to;           /* set by do_request() on a 3xx */
  guint redirect_status;
  GPtrArray *visited;           /* request URIs of this run's hops */
  gint64 timeout_us;
  gchar *ua;
  guint keep_alive_ms;
  gint64 read_interval_us;      /* (lock) 0 = read as data arrives */
  ArclyRtspClientStreams streams;
  ArclyRtspTlsSettings tls;     /* for rtsps://; holds references */

  /* the running thread */
  ArclyRtspConn io;             /* the socket and the input buffer */
  guint cseq;
  ArclyAuthSession *auth;
  gchar *session_id;
  guint session_timeout;
  gchar *base_url;              /* aggregate control for PLAY/keep-alive */
  gboolean use_get_parameter;
  gboolean live_range;          /* SDP says a=range:npt=now- */
  gint64 ka_cseq;
  gboolean ka_get_parameter;
  guint32 our_ssrc;
  gint64 last_data_us;
  GstFlowReturn pending_flow;   /* of cb.rtp_done, see process_input() */
  gint64 last_rr_us;
  gint64 last_ka_us;
  gint64 last_tick_us;
  ArclySync sync;               /* latency and drift of the clock mapping */
  gboolean was_playing;         /* PLAY answered in this session */
  gboolean played_once;         /* PLAY answered since configure() */
  /* why the last reply could not be read (see fail_fast_protocol()) */
  ArclyRtspWireError wire_fault;
  ArclyRtspWireJunk junk_fault;
  gchar *junk_line;             /* printable start of a non-RTSP reply */
  guint fail_status;            /* RTSP status of the last failure */
};

/* rtspclient.c */
G_GNUC_INTERNAL
gboolean      arcly_rtsp_client_send_all (ArclyRtspClient * self,
                                          const guint8 * data, gsize len,
                                          GError ** error);

/* rtspclientmedia.c, on the running thread */
G_GNUC_INTERNAL
GstFlowReturn arcly_rtsp_client_handle_frame (ArclyRtspClient * self,
                                              const ArclyRtspWireMessage * m);
G_GNUC_INTERNAL
void          arcly_rtsp_client_send_receiver_reports (ArclyRtspClient * self);
G_GNUC_INTERNAL
void          arcly_rtsp_client_update_bitrates (ArclyRtspClient * self,
                                                 gint64 now);

G_END_DECLS

#endif
