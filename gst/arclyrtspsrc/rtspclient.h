/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The RTSP client layer of arclyrtspsrc: one RTSP session over
 * TCP-interleaved transport (RFC 2326 §10.12): connect, OPTIONS, DESCRIBE,
 * SETUP of each wanted track, PLAY when asked, keep-alive and RTCP
 * receiver reports, the input loop that splits RTSP messages from `$`
 * frames, answers to server requests, TEARDOWN.  No pads, no element: the
 * owner gets tracks, RTP packets, state changes and errors through
 * callbacks, all called on the thread that runs arcly_rtsp_client_run(),
 * with no lock of the client held.  rtsps:// runs the same session over
 * TLS (rtsptls.c); a refused certificate is a final error.
 *
 * The owner runs the reconnect loop: arcly_rtsp_client_run() is one
 * session (one connection, or one per redirect hop; every run starts at
 * the configured location), and says whether retrying makes sense.
 */

#ifndef __ARCLY_RTSP_CLIENT_H__
#define __ARCLY_RTSP_CLIENT_H__

#include <gio/gio.h>
#include <gst/gst.h>

#include "rtspsdp.h"
#include "rtspsync.h"
#include "rtsptime.h"
#include "rtsptls.h"

G_BEGIN_DECLS

typedef struct _ArclyRtspClient ArclyRtspClient;

/* 3xx replies followed in one run, at most */
#define ARCLY_RTSP_CLIENT_MAX_REDIRECTS 5

typedef enum
{
  ARCLY_RTSP_CLIENT_STREAMS_BOTH = 0,
  ARCLY_RTSP_CLIENT_STREAMS_VIDEO = 1,
  ARCLY_RTSP_CLIENT_STREAMS_AUDIO = 2,
} ArclyRtspClientStreams;

typedef enum
{
  ARCLY_RTSP_CLIENT_STOPPED,    /* asked to stop, or the stream ended */
  ARCLY_RTSP_CLIENT_RETRY,      /* failed; retrying may help */
  ARCLY_RTSP_CLIENT_FATAL,      /* failed for good; the error callback ran */
} ArclyRtspClientResult;

typedef enum
{
  ARCLY_RTSP_CLIENT_STATE_CONNECTING,
  ARCLY_RTSP_CLIENT_STATE_PLAYING,
} ArclyRtspClientState;

/* Why a frame on an RTP channel was not delivered */
typedef enum
{
  ARCLY_RTSP_CLIENT_DROP_INVALID = 0, /* not an RTP packet (RFC 3550 §5.1) */
  ARCLY_RTSP_CLIENT_DROP_PAYLOAD_TYPE, /* not the SDP's payload type */
  ARCLY_RTSP_CLIENT_DROP_SSRC,  /* not the track's source */
  ARCLY_RTSP_CLIENT_DROP_N,
} ArclyRtspClientDrop;

/* A new SSRC replaces the locked one after this many packets in a row
 * (consecutive sequence numbers, none of the old source in between): a
 * camera that restarted, not random bytes. */
#define ARCLY_RTSP_CLIENT_SSRC_CHANGE_PACKETS 8

/* A track of the current session.  Written by the running thread; the
 * counters are also read by others, under the client's lock
 * (arcly_rtsp_client_foreach_track()). */
typedef struct
{
  ArclyRtspTrack *sdp;
  gchar *control_url;
  guint8 rtp_ch, rtcp_ch;
  gpointer user;                /* the owner's handle (a pad), or NULL */
  GDestroyNotify user_free;     /* private: releases @user */

  ArclySyncTrack sync;          /* RTP time → PTS, A/V alignment */

  ArclyRtpSeqStats seq;
  gboolean have_ssrc;           /* remote_ssrc is known */
  guint32 remote_ssrc;
  gboolean ssrc_announced;      /* by SETUP's Transport: only this one */
  gboolean ssrc_locked;         /* from the first packets */
  guint8 *pending;              /* the first packet, until the second one
                                 * confirms its source */
  gsize pending_len;
  guint32 cand_ssrc;            /* another SSRC, and how long it lasted */
  guint cand_count;
  guint16 cand_seq;
  /* the next packet is a discontinuity (a new SSRC); the owner clears it */
  gboolean discont;

  /* under the client's lock */
  guint64 packets, bytes;
  guint64 bytes_at_tick;
  guint bitrate;
  guint64 dropped[ARCLY_RTSP_CLIENT_DROP_N];
} ArclyRtspClientTrack;

typedef struct
{
  /* SETUP of @t succeeded; @nth counts the tracks of its media type in
   * this session from 0.  Returns the owner's handle for it (kept in
   * t->user, released with @user_free), or NULL to drop the track. */
  gpointer (*track_ready) (ArclyRtspClient * c, ArclyRtspClientTrack * t,
      guint nth, gpointer user_data);
  /* every track is set up */
  void (*tracks_done) (ArclyRtspClient * c, gpointer user_data);
  /* PLAY was answered 2xx */
  void (*playing) (ArclyRtspClient * c, gpointer user_data);
  /* a valid RTP packet of @t (header in @h, unwrapped RTP time @ext);
   * a return other than GST_FLOW_OK ends the session */
  GstFlowReturn (*rtp) (ArclyRtspClient * c, ArclyRtspClientTrack * t,
      const guint8 * data, gsize len, const ArclyRtpHeader * h, gint64 ext,
      gpointer user_data);
  /* the session failed for good (before run() returns FATAL): @domain and
   * @code are a GStreamer error (GST_RESOURCE_ERROR...), @text for users,
   * @debug for developers, @status the RTSP status or 0 */
  void (*error) (ArclyRtspClient * c, GQuark domain, gint code, guint status,
      const gchar * text, const gchar * debug, gpointer user_data);
  void (*state) (ArclyRtspClient * c, ArclyRtspClientState state,
      gpointer user_data);
  GDestroyNotify user_free;     /* for ArclyRtspClientTrack.user */
  /* a 3xx is followed: the session restarts at @to (both without
   * credentials) */
  void (*redirected) (ArclyRtspClient * c, const gchar * from,
      const gchar * to, guint status, gpointer user_data);
  /* optional: the packets of everything read so far were given to @rtp
   * (called after each parse of the input, also when none was); a
   * return other than GST_FLOW_OK ends the session as @rtp's does */
  GstFlowReturn (*rtp_done) (ArclyRtspClient * c, gpointer user_data);
} ArclyRtspClientCallbacks;

typedef struct
{
  const gchar *location;        /* rtsp:// or rtsps:// URL, may carry
                                 * user:pass@ */
  const gchar *user_id;         /* override the URL's user, or NULL */
  const gchar *user_pw;         /* override the URL's password, or NULL */
  const gchar *user_agent;
  guint timeout_ms;             /* connect, each reply, data while playing */
  guint keep_alive_ms;          /* 0 = half the session timeout */
  guint read_interval_ms;       /* least time between reads while
                                 * playing; 0 = as data arrives */
  guint64 latency;              /* ns, for the clock mapping */
  ArclyRtspClientStreams streams;
  /* rtsps://: how the server's certificate is checked (the database and
   * interaction are referenced by the client) */
  ArclyRtspTlsSettings tls;
} ArclyRtspClientConfig;

/* @log_object (may be NULL) is the object debug lines name. */
ArclyRtspClient * arcly_rtsp_client_new (const ArclyRtspClientCallbacks * cb,
                                         gpointer user_data,
                                         gpointer log_object);
void     arcly_rtsp_client_free (ArclyRtspClient * c);

/* Takes the settings for the next runs and clears the stop flag.  FALSE
 * with @error when the location is not a usable rtsp:// URL. */
gboolean arcly_rtsp_client_configure (ArclyRtspClient * c,
                                      const ArclyRtspClientConfig * cfg,
                                      GError ** error);

/* One connection: connect, set up, stream until stopped or failed (PLAY
 * is sent once arcly_rtsp_client_set_playing (TRUE) was called), TEARDOWN
 * when stopped.  Blocking; returns within the timeout of a step after
 * arcly_rtsp_client_stop(), at once after arcly_rtsp_client_cancel(). */
ArclyRtspClientResult arcly_rtsp_client_run (ArclyRtspClient * c,
                                             GError ** error);

/* Any thread. */
/* read-interval while running: takes effect at once (a paced wait in
 * progress is cut short) */
void     arcly_rtsp_client_set_read_interval (ArclyRtspClient * c,
                                              guint ms);
void     arcly_rtsp_client_set_playing (ArclyRtspClient * c,
                                        gboolean playing);
/* Any thread: the running session ends at its next check (TEARDOWN). */
void     arcly_rtsp_client_stop (ArclyRtspClient * c);
gboolean arcly_rtsp_client_is_stopping (ArclyRtspClient * c);
/* Any thread: cuts every blocking socket call short. */
void     arcly_rtsp_client_cancel (ArclyRtspClient * c);

/* Closes the connection and forgets the session (not the tracks). */
void     arcly_rtsp_client_reset (ArclyRtspClient * c);
/* Drops the tracks (their handles are released). */
void     arcly_rtsp_client_clear_tracks (ArclyRtspClient * c);

/* Calls @func for every track under the client's lock. */
void     arcly_rtsp_client_foreach_track (ArclyRtspClient * c,
                                          GFunc func, gpointer data);

/* The running thread only. */
GPtrArray * arcly_rtsp_client_get_tracks (ArclyRtspClient * c);
const gchar * arcly_rtsp_client_get_display_url (ArclyRtspClient * c);
guint    arcly_rtsp_client_get_session_timeout (ArclyRtspClient * c);

/* Socket reads that returned data since the client was made (any thread). */
guint64  arcly_rtsp_client_get_reads (ArclyRtspClient * c);
/* TRUE when PLAY was answered in the last run */
gboolean arcly_rtsp_client_was_playing (ArclyRtspClient * c);
/* the RTSP status of the last failure, 0 if none */
guint    arcly_rtsp_client_get_fail_status (ArclyRtspClient * c);

/* The PTS (running time) of @t's RTP time @ext arriving at running time
 * @now, given the PTS last pushed for its stream. */
GstClockTime arcly_rtsp_client_track_pts (ArclyRtspClient * c,
                                          ArclyRtspClientTrack * t,
                                          gint64 ext, GstClockTime now,
                                          GstClockTime last_pts);

G_END_DECLS

#endif
