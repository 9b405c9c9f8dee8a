/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:element-arclyrtspsrc
 * @title: arclyrtspsrc
 *
 * A live RTSP client source over TCP-interleaved transport (RFC 2326
 * §10.12): OPTIONS → DESCRIBE → SETUP (each track, `RTP/AVP/TCP`) → PLAY,
 * keep-alive and RTCP receiver reports while playing, TEARDOWN on stop, and
 * reconnection with backoff when the connection drops or stalls.  RTP is
 * pushed on sometimes pads `video_%u` / `audio_%u` with the SDP's caps and
 * PTS in running time.  Basic and Digest (RFC 7616) authentication.
 *
 * `rtsps://` URLs (default port 322) run the same session over TLS.  The
 * server's certificate is checked against `tls-database` (the system's
 * trust store when unset); a certificate that fails the check ends with an
 * error naming the reason (unknown CA, expired, bad identity...).  A
 * camera with a self-signed certificate is played either with its
 * certificate (or the CA that signed it) in `tls-database`, or with
 * `tls-validation-flags=0`, which accepts any certificate (insecure: the
 * connection is encrypted but the peer is not authenticated).
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 arclyrtspsrc location=rtsp://user:pw@cam/stream ! \
 *     rtph264depay ! h264parse ! avdec_h264 ! autovideosink
 * ]|
 * A camera with a self-signed TLS certificate, accepted without checking it:
 * |[
 * gst-launch-1.0 arclyrtspsrc location=rtsps://cam/stream \
 *     tls-validation-flags=0 ! rtph264depay ! h264parse ! fakesink
 * ]|
 *
 * ## Threads and locks
 * One worker thread (started in READY→PAUSED, joined in PAUSED→READY) runs
 * the RTSP client (rtspclient.c), whose callbacks create the pads and push
 * on them, and the reconnect loop.  Other threads only touch:
 *  - the properties, under the object lock;
 *  - `lock`: the worker control flags (stopping, playing, eos_requested),
 *    the state for stats, the pad list, and `cond` (wakes the worker's
 *    waits);
 *  - the client's own lock (its flags and track counters), through its API;
 *  - while the pipeline starts, a pad's hand-off thread pushes its first
 *    data (gstarclyrtsppadpush.c, with a lock of its own), so that one
 *    sink's preroll does not hold the data of the others.
 * Lock order: the object lock, `lock` and the client's lock are never held
 * at the same time; each is taken alone.  No lock is held across
 * gst_pad_push(), a message post or any socket call.
 * Blocking socket calls are cancelled (arcly_rtsp_client_cancel()) by the
 * stopping thread when the worker does not finish within STOP_GRACE_MS, so
 * stopping is bounded even when the server hangs.
 *
 * ## Files
 * This file: the element (properties, pads, the flow combiner, the worker
 * thread with its reconnect loop, messages).  The RTSP session is the
 * client layer in rtspclient.c, on top of rtspconn.c (socket, input
 * buffer) and the pure modules: rtspwire.c (messages and `$` frames),
 * rtspheaders.c (Session, Transport, RTP-Info), rtspsdp.c, rtspauth.c,
 * rtspurl.c, rtsptime.c (RTP header, RTCP) and rtspsync.c (RTP time → PTS,
 * A/V alignment, drift).
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gio/gio.h>
#include <gst/gst.h>
#include <gst/base/gstflowcombiner.h>
#include <string.h>

#include "gstarclyrtspelements.h"
#include "gstarclyrtsppadpush.h"
#include "rtspclient.h"
#include "rtspurl.h"

#include "rtspwire.h"

GST_DEBUG_CATEGORY_STATIC (arcly_rtsp_src_debug);
GST_DEBUG_CATEGORY_STATIC (arcly_rtsp_src_dataflow);
#define GST_CAT_DEFAULT arcly_rtsp_src_debug

#define GST_TYPE_ARCLY_RTSP_SRC (gst_arcly_rtsp_src_get_type ())
G_DECLARE_FINAL_TYPE (GstArclyRtspSrc, gst_arcly_rtsp_src, GST,
    ARCLY_RTSP_SRC, GstElement);

typedef enum
{
  ARCLY_RTSP_STREAMS_BOTH = ARCLY_RTSP_CLIENT_STREAMS_BOTH,
  ARCLY_RTSP_STREAMS_VIDEO = ARCLY_RTSP_CLIENT_STREAMS_VIDEO,
  ARCLY_RTSP_STREAMS_AUDIO = ARCLY_RTSP_CLIENT_STREAMS_AUDIO,
} ArclyRtspStreams;

#define GST_TYPE_ARCLY_RTSP_STREAMS (arcly_rtsp_streams_get_type ())
static GType
arcly_rtsp_streams_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {ARCLY_RTSP_STREAMS_BOTH, "Video and audio", "both"},
    {ARCLY_RTSP_STREAMS_VIDEO, "Video only", "video"},
    {ARCLY_RTSP_STREAMS_AUDIO, "Audio only", "audio"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstArclyRtspStreams", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

#define DEFAULT_PROP_LOCATION NULL
#define DEFAULT_PROP_USER_ID NULL
#define DEFAULT_PROP_USER_PW NULL
#define DEFAULT_PROP_LATENCY 200
#define DEFAULT_PROP_TIMEOUT 10000
#define DEFAULT_PROP_RETRY_BACKOFF 3000
#define DEFAULT_PROP_RETRY_BACKOFF_MAX 30000
#define DEFAULT_PROP_MAX_RETRIES -1
#define DEFAULT_PROP_KEEP_ALIVE 0
#define DEFAULT_PROP_READ_INTERVAL 0
#define DEFAULT_PROP_BUFFER_LISTS FALSE
#define DEFAULT_PROP_STREAMS ARCLY_RTSP_STREAMS_BOTH
#define DEFAULT_PROP_USER_AGENT "gst-arcly/" VERSION
#define DEFAULT_PROP_TLS_VALIDATION_FLAGS G_TLS_CERTIFICATE_VALIDATE_ALL

enum
{
  PROP_0,
  PROP_LOCATION,
  PROP_USER_ID,
  PROP_USER_PW,
  PROP_LATENCY,
  PROP_TIMEOUT,
  PROP_RETRY_BACKOFF,
  PROP_RETRY_BACKOFF_MAX,
  PROP_MAX_RETRIES,
  PROP_KEEP_ALIVE,
  PROP_READ_INTERVAL,
  PROP_BUFFER_LISTS,
  PROP_STREAMS,
  PROP_USER_AGENT,
  PROP_STATS,
  PROP_TLS_VALIDATION_FLAGS,
  PROP_TLS_DATABASE,
  PROP_TLS_INTERACTION,
};

/* How long PAUSED→READY lets the worker finish politely (TEARDOWN) before
 * cancelling its socket calls. */
#define STOP_GRACE_MS 150

typedef enum
{
  STATE_IDLE,
  STATE_CONNECTING,
  STATE_PLAYING,
  STATE_RECONNECTING,
  STATE_FAILED,
} SrcState;

static const gchar *const state_names[] = {
  "idle", "connecting", "playing", "reconnecting", "failed"
};

/* Per-pad state that survives reconnects (worker-owned). */
typedef struct
{
  GstPad *pad;
  ArclyRtspTrackType type;
  GstCaps *caps;                /* last caps sent */
  gboolean started;             /* stream-start + segment sent */
  gboolean discont;
  GstClockTime last_pts;
  ArclyPadPusher *pusher;       /* how it is pushed on (see padpush.h) */
  GstBufferList *batch;         /* buffer-lists: this read's packets */
} PadState;

struct _GstArclyRtspSrc
{
  GstElement parent;

  /* properties: object lock */
  gchar *location;
  gchar *user_id;
  gchar *user_pw;
  guint latency_ms;
  guint timeout_ms;
  guint backoff_ms;
  guint backoff_max_ms;
  gint max_retries;
  guint keep_alive_ms;
  guint read_interval_ms;
  gint buffer_lists;            /* atomic: read per packet by the worker */
  ArclyRtspStreams streams;
  gchar *user_agent;
  GTlsCertificateFlags tls_validation_flags;
  GTlsDatabase *tls_database;
  GTlsInteraction *tls_interaction;

  /* worker control and stats: lock */
  GMutex lock;
  GCond cond;
  GThread *thread;
  gboolean stopping;
  gboolean playing;
  gboolean worker_done;
  gboolean eos_requested;
  GPtrArray *pads;              /* PadState*; also read for stats */
  SrcState state;
  guint reconnects;
  gchar *last_error;

  /* worker-only */
  ArclyRtspClient *client;      /* the RTSP session */
  guint n_video, n_audio;       /* pad name counters */
  guint group_id;
  gboolean pads_announced;
  GstFlowCombiner *combiner;
};

G_DEFINE_TYPE (GstArclyRtspSrc, gst_arcly_rtsp_src, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE (arclyrtspsrc, "arclyrtspsrc", GST_RANK_NONE,
    GST_TYPE_ARCLY_RTSP_SRC);

static GstStaticPadTemplate video_template =
GST_STATIC_PAD_TEMPLATE ("video_%u", GST_PAD_SRC, GST_PAD_SOMETIMES,
    GST_STATIC_CAPS ("application/x-rtp, media=(string)video"));
static GstStaticPadTemplate audio_template =
GST_STATIC_PAD_TEMPLATE ("audio_%u", GST_PAD_SRC, GST_PAD_SOMETIMES,
    GST_STATIC_CAPS ("application/x-rtp, media=(string)audio"));

static void gst_arcly_rtsp_src_finalize (GObject * object);
static void gst_arcly_rtsp_src_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_arcly_rtsp_src_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static GstStateChangeReturn gst_arcly_rtsp_src_change_state (GstElement *
    element, GstStateChange transition);
static gboolean gst_arcly_rtsp_src_send_event (GstElement * element,
    GstEvent * event);

/* ------------------------------------------------------------------ */
/* small helpers */

static void
pad_state_free (PadState * ps)
{
  arcly_pad_pusher_free (ps->pusher);
  if (ps->batch)
    gst_buffer_list_unref (ps->batch);
  gst_object_unref (ps->pad);
  if (ps->caps)
    gst_caps_unref (ps->caps);
  g_free (ps);
}

/* ------------------------------------------------------------------ */
/* pads */

static GstClockTime
current_running_time (GstArclyRtspSrc * self)
{
  GstClock *clock;
  GstClockTime base, now;

  GST_OBJECT_LOCK (self);
  clock = GST_ELEMENT_CLOCK (self);
  if (clock == NULL) {
    GST_OBJECT_UNLOCK (self);
    return GST_CLOCK_TIME_NONE;
  }
  gst_object_ref (clock);
  base = GST_ELEMENT_CAST (self)->base_time;
  GST_OBJECT_UNLOCK (self);
  now = gst_clock_get_time (clock);
  gst_object_unref (clock);
  return now > base ? now - base : 0;
}

static gboolean
src_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  GstArclyRtspSrc *self = GST_ARCLY_RTSP_SRC (parent);

  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_LATENCY:{
      GstClockTime lat;

      GST_OBJECT_LOCK (self);
      lat = (GstClockTime) self->latency_ms * GST_MSECOND;
      GST_OBJECT_UNLOCK (self);
      gst_query_set_latency (query, TRUE, lat, lat);
      return TRUE;
    }
    case GST_QUERY_SCHEDULING:
      gst_query_set_scheduling (query, GST_SCHEDULING_FLAG_SEQUENTIAL, 1, -1,
          0);
      gst_query_add_scheduling_mode (query, GST_PAD_MODE_PUSH);
      return TRUE;
    default:
      return gst_pad_query_default (pad, parent, query);
  }
}

static PadState *
find_or_add_pad (GstArclyRtspSrc * self, ArclyRtspTrackType type,
    guint nth, gboolean allow_new)
{
  guint i, seen = 0;
  PadState *ps;
  gchar *name;
  GstPadTemplate *templ;

  for (i = 0; i < self->pads->len; i++) {
    ps = g_ptr_array_index (self->pads, i);
    if (ps->type == type && seen++ == nth)
      return ps;
  }
  if (!allow_new)
    return NULL;

  if (type == ARCLY_RTSP_TRACK_VIDEO) {
    name = g_strdup_printf ("video_%u", self->n_video++);
    templ = gst_static_pad_template_get (&video_template);
  } else {
    name = g_strdup_printf ("audio_%u", self->n_audio++);
    templ = gst_static_pad_template_get (&audio_template);
  }
  ps = g_new0 (PadState, 1);
  ps->type = type;
  ps->pad = gst_pad_new_from_template (templ, name);
  ps->last_pts = GST_CLOCK_TIME_NONE;
  gst_object_unref (templ);
  g_free (name);
  gst_pad_set_query_function (ps->pad, src_query);
  gst_pad_use_fixed_caps (ps->pad);
  gst_object_ref (ps->pad);
  g_mutex_lock (&self->lock);
  g_ptr_array_add (self->pads, ps);
  g_mutex_unlock (&self->lock);
  gst_pad_set_active (ps->pad, TRUE);
  gst_flow_combiner_add_pad (self->combiner, ps->pad);
  gst_element_add_pad (GST_ELEMENT (self), ps->pad);
  return ps;
}

static PadState *
pad_state_for (GstArclyRtspSrc * self, GstPad * pad)
{
  guint i;

  for (i = 0; i < self->pads->len; i++) {
    PadState *ps = g_ptr_array_index (self->pads, i);

    if (ps->pad == pad)
      return ps;
  }
  return NULL;
}

/* buffer-lists: pushes the packets of @ps collected since the last read;
 * the combined flow */
static GstFlowReturn
push_batch (GstArclyRtspSrc * self, PadState * ps)
{
  GstBufferList *list = ps->batch;
  GstFlowReturn ret;

  if (list == NULL)
    return GST_FLOW_OK;
  ps->batch = NULL;
  ret = arcly_pad_pusher_push (ps->pusher, GST_MINI_OBJECT_CAST (list));
  return gst_flow_combiner_update_pad_flow (self->combiner, ps->pad, ret);
}

static void
push_event (GstArclyRtspSrc * self, PadState * ps, GstEvent * ev)
{
  if (ps->pusher) {
    push_batch (self, ps);      /* the packets before it first */
    arcly_pad_pusher_push (ps->pusher, GST_MINI_OBJECT_CAST (ev));
  } else {                      /* set up half way (EOS) */
    gst_pad_push_event (ps->pad, ev);
  }
}

static void
send_sticky_events (GstArclyRtspSrc * self, ArclyRtspClientTrack * t,
    PadState * ps)
{
  if (!ps->started) {
    gchar *sid = gst_pad_create_stream_id (ps->pad, GST_ELEMENT (self),
        GST_PAD_NAME (ps->pad));
    GstEvent *ev = gst_event_new_stream_start (sid);
    GstSegment seg;

    gst_event_set_group_id (ev, self->group_id);
    push_event (self, ps, ev);
    g_free (sid);
    push_event (self, ps, gst_event_new_caps (t->sdp->caps));
    gst_caps_replace (&ps->caps, t->sdp->caps);
    /* PTS are running times: a TIME segment from 0 maps them 1:1 */
    gst_segment_init (&seg, GST_FORMAT_TIME);
    push_event (self, ps, gst_event_new_segment (&seg));
    ps->started = TRUE;
  } else if (ps->caps == NULL || !gst_caps_is_equal (ps->caps, t->sdp->caps)) {
    push_event (self, ps, gst_event_new_caps (t->sdp->caps));
    gst_caps_replace (&ps->caps, t->sdp->caps);
  }
}

/* ------------------------------------------------------------------ */
/* the client's callbacks (on the worker thread, no lock held) */

static gpointer
on_track_ready (ArclyRtspClient * c, ArclyRtspClientTrack * t, guint nth,
    gpointer user_data)
{
  GstArclyRtspSrc *self = user_data;
  PadState *ps = find_or_add_pad (self, t->sdp->type, nth,
      !self->pads_announced);

  return ps ? gst_object_ref (ps->pad) : NULL;
}

static void
on_tracks_done (ArclyRtspClient * c, gpointer user_data)
{
  GstArclyRtspSrc *self = user_data;
  guint i;

  /* one worker feeds every pad: see gstarclyrtsppadpush.h */
  for (i = 0; i < self->pads->len; i++) {
    PadState *ps = g_ptr_array_index (self->pads, i);

    if (ps->pusher == NULL)
      ps->pusher = arcly_pad_pusher_new (ps->pad, self->pads->len == 1);
  }
  if (!self->pads_announced) {
    self->pads_announced = TRUE;
    gst_element_no_more_pads (GST_ELEMENT (self));
  }
}

static void
set_state (GstArclyRtspSrc * self, SrcState state, const gchar * error)
{
  g_mutex_lock (&self->lock);
  self->state = state;
  if (error) {
    g_free (self->last_error);
    self->last_error = arcly_rtsp_url_redact (error);
  }
  g_mutex_unlock (&self->lock);
}

static void
on_state (ArclyRtspClient * c, ArclyRtspClientState state,
    gpointer user_data)
{
  set_state (user_data, state == ARCLY_RTSP_CLIENT_STATE_PLAYING ?
      STATE_PLAYING : STATE_CONNECTING, NULL);
}

static void
post_connected (GstArclyRtspSrc * self)
{
  GPtrArray *tracks = arcly_rtsp_client_get_tracks (self->client);
  GstStructure *s;
  guint i, nv = 0, na = 0;

  for (i = 0; i < tracks->len; i++) {
    ArclyRtspClientTrack *t = g_ptr_array_index (tracks, i);

    if (t->sdp->type == ARCLY_RTSP_TRACK_VIDEO)
      nv++;
    else
      na++;
  }
  s = gst_structure_new ("arcly-rtsp-connected",
      "url", G_TYPE_STRING, arcly_rtsp_client_get_display_url (self->client),
      "tracks", G_TYPE_UINT, tracks->len,
      "video-tracks", G_TYPE_UINT, nv, "audio-tracks", G_TYPE_UINT, na,
      "session-timeout", G_TYPE_UINT,
      arcly_rtsp_client_get_session_timeout (self->client), NULL);
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), s));
}

/* PLAY answered: the next buffer of every pad is a discontinuity */
static void
on_playing (ArclyRtspClient * c, gpointer user_data)
{
  GstArclyRtspSrc *self = user_data;
  guint i;

  for (i = 0; i < self->pads->len; i++)
    ((PadState *) g_ptr_array_index (self->pads, i))->discont = TRUE;
  post_connected (self);
}

static GstFlowReturn
on_rtp (ArclyRtspClient * c, ArclyRtspClientTrack * t, const guint8 * data,
    gsize len, const ArclyRtpHeader * h, gint64 ext, gpointer user_data)
{
  GstArclyRtspSrc *self = user_data;
  PadState *ps;
  GstClockTime now, pts;
  GstBuffer *buf;
  GstFlowReturn ret;
  gboolean playing;

  g_mutex_lock (&self->lock);
  playing = self->playing;
  g_mutex_unlock (&self->lock);

  ps = pad_state_for (self, t->user);
  if (t->discont && ps) {
    /* the client saw the source change (a camera restart) */
    ps->discont = TRUE;
    t->discont = FALSE;
  }
  now = playing ? current_running_time (self) : GST_CLOCK_TIME_NONE;
  if (ps == NULL || !GST_CLOCK_TIME_IS_VALID (now)) {
    /* not PLAYING: drop; the mapping restarts on resume */
    t->sync.have_base = FALSE;
    if (ps)
      ps->discont = TRUE;
    return GST_FLOW_OK;
  }

  pts = arcly_rtsp_client_track_pts (c, t, ext, now, ps->last_pts);
  ps->last_pts = pts;

  send_sticky_events (self, t, ps);
  buf = gst_buffer_new_memdup (data, len);
  GST_BUFFER_PTS (buf) = pts;
  if (ps->discont) {
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
    ps->discont = FALSE;
  }
  GST_CAT_LOG_OBJECT (arcly_rtsp_src_dataflow, self, "%s: seq %u ts %u pts %"
      GST_TIME_FORMAT, GST_PAD_NAME (ps->pad), h->seq, h->ts,
      GST_TIME_ARGS (pts));
  if (g_atomic_int_get (&self->buffer_lists)) {
    /* pushed by on_rtp_done, after the read */
    if (ps->batch == NULL)
      ps->batch = gst_buffer_list_new_sized (16);
    gst_buffer_list_add (ps->batch, buf);
    return GST_FLOW_OK;
  }
  ret = arcly_pad_pusher_push (ps->pusher, GST_MINI_OBJECT_CAST (buf));
  return gst_flow_combiner_update_pad_flow (self->combiner, ps->pad, ret);
}

/* Everything read was parsed: each pad's packets of the read go out as one
 * list (buffer-lists). */
static GstFlowReturn
on_rtp_done (ArclyRtspClient * c, gpointer user_data)
{
  GstArclyRtspSrc *self = user_data;
  GstFlowReturn ret = GST_FLOW_OK;
  guint i;

  for (i = 0; i < self->pads->len; i++) {
    GstFlowReturn r = push_batch (self, g_ptr_array_index (self->pads, i));

    if (r != GST_FLOW_OK)
      ret = r;
  }
  return ret;
}

static void
on_redirected (ArclyRtspClient * c, const gchar * from, const gchar * to,
    guint status, gpointer user_data)
{
  GstArclyRtspSrc *self = user_data;
  GstStructure *s = gst_structure_new ("arcly-rtsp-redirected",
      "from", G_TYPE_STRING, from, "to", G_TYPE_STRING, to,
      "status", G_TYPE_UINT, status, NULL);

  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), s));
}

static void
on_error (ArclyRtspClient * c, GQuark domain, gint code, guint status,
    const gchar * text, const gchar * debug, gpointer user_data)
{
  GstArclyRtspSrc *self = user_data;
  GstStructure *details = NULL;

  if (status)
    details = gst_structure_new ("details", "rtsp-status-code", G_TYPE_UINT,
        status, NULL);
  gst_element_message_full_with_details (GST_ELEMENT (self),
      GST_MESSAGE_ERROR, domain, code, g_strdup (text), g_strdup (debug),
      __FILE__, GST_FUNCTION, __LINE__, details);
}

static void
post_reconnecting (GstArclyRtspSrc * self, guint attempt, guint delay_ms,
    const gchar * reason)
{
  GstStructure *s = gst_structure_new ("arcly-rtsp-reconnecting",
      "url", G_TYPE_STRING, arcly_rtsp_client_get_display_url (self->client),
      "attempt", G_TYPE_UINT, attempt,
      "delay", G_TYPE_UINT64, (guint64) delay_ms * GST_MSECOND,
      "delay-ms", G_TYPE_UINT, delay_ms,
      "reason", G_TYPE_STRING, reason, NULL);

  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), s));
}

/* gst-launch-1.0 and applications show warnings, not element messages: a
 * self-healing source still says that it is healing, and why. */
static void
post_retry_warning (GstArclyRtspSrc * self, guint attempt, guint delay_ms,
    const gchar * reason)
{
  gchar *safe = arcly_rtsp_url_redact (reason);

  if (arcly_rtsp_client_was_playing (self->client))
    GST_ELEMENT_WARNING (self, RESOURCE, READ,
        ("Lost the RTSP stream (%s); reconnecting in %u ms.", safe,
            delay_ms), ("%s: attempt %u",
            arcly_rtsp_client_get_display_url (self->client), attempt));
  else
    GST_ELEMENT_WARNING (self, RESOURCE, OPEN_READ,
        ("Could not open the RTSP stream (%s); retrying in %u ms.", safe,
            delay_ms), ("%s: attempt %u",
            arcly_rtsp_client_get_display_url (self->client), attempt));
  g_free (safe);
}

static void
push_eos (GstArclyRtspSrc * self)
{
  guint i;

  for (i = 0; i < self->pads->len; i++) {
    PadState *ps = g_ptr_array_index (self->pads, i);

    push_event (self, ps, gst_event_new_eos ());
  }
}

static gpointer
worker (gpointer data)
{
  GstArclyRtspSrc *self = data;
  guint attempt = 0, backoff_ms, backoff_max_ms;
  gint max_retries;

  GST_OBJECT_LOCK (self);
  backoff_ms = self->backoff_ms;
  backoff_max_ms = MAX (self->backoff_max_ms, self->backoff_ms);
  max_retries = self->max_retries;
  GST_OBJECT_UNLOCK (self);

  for (;;) {
    GError *err = NULL;
    ArclyRtspClientResult res = arcly_rtsp_client_run (self->client, &err);
    gchar *reason;
    guint64 delay;
    gint64 until;
    gboolean stop, eos;

    g_mutex_lock (&self->lock);
    stop = self->stopping;
    eos = self->eos_requested;
    g_mutex_unlock (&self->lock);
    if (eos && !stop) {
      push_eos (self);
      g_clear_error (&err);
      break;
    }
    if (stop || res == ARCLY_RTSP_CLIENT_STOPPED) {
      g_clear_error (&err);
      break;
    }
    reason = g_strdup (err ? err->message : "unknown error");
    g_clear_error (&err);
    if (res == ARCLY_RTSP_CLIENT_FATAL) {
      GST_WARNING_OBJECT (self, "giving up: %s", reason);
      set_state (self, STATE_FAILED, reason);
      g_free (reason);
      break;
    }
    if (arcly_rtsp_client_was_playing (self->client))
      attempt = 0;              /* a session that streamed resets backoff */
    attempt++;
    if (max_retries >= 0 && attempt > (guint) max_retries) {
      set_state (self, STATE_FAILED, reason);
      GST_ELEMENT_ERROR_WITH_DETAILS (self, RESOURCE, OPEN_READ,
          ("Could not connect to the RTSP server."),
          ("%s: %s (after %d retries)",
              arcly_rtsp_client_get_display_url (self->client), reason,
              max_retries), ("rtsp-status-code", G_TYPE_UINT,
              arcly_rtsp_client_get_fail_status (self->client), NULL));
      g_free (reason);
      break;
    }
    delay = (guint64) backoff_ms << MIN (attempt - 1, 20u);
    delay = MIN (delay, backoff_max_ms);
    GST_INFO_OBJECT (self, "reconnecting in %" G_GUINT64_FORMAT " ms "
        "(attempt %u): %s", delay, attempt, reason);
    set_state (self, STATE_RECONNECTING, reason);
    g_mutex_lock (&self->lock);
    self->reconnects++;
    g_mutex_unlock (&self->lock);
    post_reconnecting (self, attempt, (guint) delay, reason);
    post_retry_warning (self, attempt, (guint) delay, reason);
    g_free (reason);

    until = g_get_monotonic_time () + (gint64) delay * 1000;
    g_mutex_lock (&self->lock);
    while (!self->stopping && !self->eos_requested) {
      if (!g_cond_wait_until (&self->cond, &self->lock, until))
        break;
    }
    g_mutex_unlock (&self->lock);
  }

  arcly_rtsp_client_reset (self->client);
  g_mutex_lock (&self->lock);
  self->worker_done = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  return NULL;
}

/* ------------------------------------------------------------------ */
/* start / stop */

static gboolean
start (GstArclyRtspSrc * self)
{
  GError *err = NULL;
  ArclyRtspClientConfig cfg = { NULL, };
  gchar *location, *user_id, *user_pw, *ua;
  gboolean ok;

  GST_OBJECT_LOCK (self);
  location = g_strdup (self->location);
  user_id = g_strdup (self->user_id);
  user_pw = g_strdup (self->user_pw);
  ua = g_strdup (self->user_agent ? self->user_agent :
      DEFAULT_PROP_USER_AGENT);
  cfg.latency = (GstClockTime) self->latency_ms * GST_MSECOND;
  cfg.timeout_ms = self->timeout_ms;
  cfg.keep_alive_ms = self->keep_alive_ms;
  cfg.read_interval_ms = self->read_interval_ms;
  cfg.streams = (ArclyRtspClientStreams) self->streams;
  /* referenced by configure() */
  cfg.tls.validation_flags = self->tls_validation_flags;
  cfg.tls.database = self->tls_database ?
      g_object_ref (self->tls_database) : NULL;
  cfg.tls.interaction = self->tls_interaction ?
      g_object_ref (self->tls_interaction) : NULL;
  GST_OBJECT_UNLOCK (self);

  if (location == NULL) {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        ("No RTSP location given."), ("set the location property"));
    ok = FALSE;
    goto done;
  }
  cfg.location = location;
  cfg.user_id = user_id;
  cfg.user_pw = user_pw;
  cfg.user_agent = ua;
  if (!arcly_rtsp_client_configure (self->client, &cfg, &err)) {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        ("Invalid RTSP location."), ("%s", err->message));
    g_clear_error (&err);
    ok = FALSE;
    goto done;
  }
  GST_DEBUG_OBJECT (self, "starting on %s",
      arcly_rtsp_client_get_display_url (self->client));
  if (cfg.tls.validation_flags != G_TLS_CERTIFICATE_VALIDATE_ALL &&
      g_str_has_prefix (arcly_rtsp_client_get_display_url (self->client),
          "rtsps:"))
    GST_WARNING_OBJECT (self, "TLS certificate errors outside 0x%x are "
        "accepted (tls-validation-flags)", cfg.tls.validation_flags);

  if (self->combiner == NULL)
    self->combiner = gst_flow_combiner_new ();
  self->group_id = gst_util_group_id_next ();

  g_mutex_lock (&self->lock);
  self->stopping = FALSE;
  self->eos_requested = FALSE;
  self->worker_done = FALSE;
  self->reconnects = 0;
  self->state = STATE_CONNECTING;
  g_clear_pointer (&self->last_error, g_free);
  g_mutex_unlock (&self->lock);

  self->thread = g_thread_new ("arclyrtspsrc", worker, self);
  ok = TRUE;

done:
  g_free (location);
  g_free (user_id);
  g_free (user_pw);
  g_free (ua);
  g_clear_object (&cfg.tls.database);
  g_clear_object (&cfg.tls.interaction);
  return ok;
}

static void
stop (GstArclyRtspSrc * self)
{
  gint64 until;
  guint i;

  if (self->thread == NULL)
    return;
  g_mutex_lock (&self->lock);
  self->stopping = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  arcly_rtsp_client_stop (self->client);
  g_mutex_lock (&self->lock);
  /* let it send TEARDOWN; then cut every blocking call short */
  until = g_get_monotonic_time () + STOP_GRACE_MS * G_TIME_SPAN_MILLISECOND;
  while (!self->worker_done) {
    if (!g_cond_wait_until (&self->cond, &self->lock, until))
      break;
  }
  g_mutex_unlock (&self->lock);
  arcly_rtsp_client_cancel (self->client);
  g_thread_join (self->thread);
  self->thread = NULL;

  arcly_rtsp_client_clear_tracks (self->client);
  g_mutex_lock (&self->lock);
  self->state = STATE_IDLE;
  g_mutex_unlock (&self->lock);
  for (i = 0; i < self->pads->len; i++) {
    PadState *ps = g_ptr_array_index (self->pads, i);

    gst_flow_combiner_remove_pad (self->combiner, ps->pad);
    gst_pad_set_active (ps->pad, FALSE);
    /* inactive: a hand-off push still blocked downstream returns now */
    g_clear_pointer (&ps->pusher, arcly_pad_pusher_free);
    gst_element_remove_pad (GST_ELEMENT (self), ps->pad);
  }
  g_mutex_lock (&self->lock);
  g_ptr_array_set_size (self->pads, 0);
  g_mutex_unlock (&self->lock);
  self->n_video = self->n_audio = 0;
  self->pads_announced = FALSE;
}

static GstStateChangeReturn
gst_arcly_rtsp_src_change_state (GstElement * element,
    GstStateChange transition)
{
  GstArclyRtspSrc *self = GST_ARCLY_RTSP_SRC (element);
  GstStateChangeReturn ret;

  switch (transition) {
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      if (!start (self))
        return GST_STATE_CHANGE_FAILURE;
      break;
    case GST_STATE_CHANGE_PAUSED_TO_PLAYING:
      g_mutex_lock (&self->lock);
      self->playing = TRUE;
      g_cond_broadcast (&self->cond);
      g_mutex_unlock (&self->lock);
      arcly_rtsp_client_set_playing (self->client, TRUE);
      break;
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      stop (self);
      break;
    default:
      break;
  }

  ret = GST_ELEMENT_CLASS (gst_arcly_rtsp_src_parent_class)->change_state
      (element, transition);
  if (ret == GST_STATE_CHANGE_FAILURE) {
    if (transition == GST_STATE_CHANGE_READY_TO_PAUSED)
      stop (self);
    return ret;
  }

  switch (transition) {
    case GST_STATE_CHANGE_READY_TO_PAUSED:
    case GST_STATE_CHANGE_PLAYING_TO_PAUSED:
      if (transition == GST_STATE_CHANGE_PLAYING_TO_PAUSED) {
        g_mutex_lock (&self->lock);
        self->playing = FALSE;
        g_mutex_unlock (&self->lock);
        arcly_rtsp_client_set_playing (self->client, FALSE);
      }
      ret = GST_STATE_CHANGE_NO_PREROLL;
      break;
    default:
      break;
  }
  return ret;
}

static gboolean
gst_arcly_rtsp_src_send_event (GstElement * element, GstEvent * event)
{
  GstArclyRtspSrc *self = GST_ARCLY_RTSP_SRC (element);

  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS) {
    /* the worker ends the session and pushes EOS on every pad */
    g_mutex_lock (&self->lock);
    self->eos_requested = TRUE;
    g_cond_broadcast (&self->cond);
    g_mutex_unlock (&self->lock);
    arcly_rtsp_client_stop (self->client);
    gst_event_unref (event);
    return TRUE;
  }
  return GST_ELEMENT_CLASS (gst_arcly_rtsp_src_parent_class)->send_event
      (element, event);
}

/* ------------------------------------------------------------------ */
/* properties */

typedef struct
{
  GValue arr;
  guint total;
  guint64 packets, bytes;
  guint64 dropped[ARCLY_RTSP_CLIENT_DROP_N];
} StatsAcc;

/* under the client's lock */
static void
add_track_stats (gpointer data, gpointer user_data)
{
  ArclyRtspClientTrack *t = data;
  StatsAcc *acc = user_data;
  GValue v = G_VALUE_INIT;
  GstStructure *ts = gst_structure_new ("arcly-rtspsrc-pad-stats",
      "pad", G_TYPE_STRING, t->user ? GST_PAD_NAME (t->user) : "",
      "media", G_TYPE_STRING, t->sdp->type == ARCLY_RTSP_TRACK_VIDEO ?
      "video" : "audio",
      "encoding-name", G_TYPE_STRING, t->sdp->encoding_name,
      "packets", G_TYPE_UINT64, t->packets,
      "bytes", G_TYPE_UINT64, t->bytes,
      "bitrate", G_TYPE_UINT, t->bitrate,
      "dropped-invalid", G_TYPE_UINT64,
      t->dropped[ARCLY_RTSP_CLIENT_DROP_INVALID],
      "dropped-payload-type", G_TYPE_UINT64,
      t->dropped[ARCLY_RTSP_CLIENT_DROP_PAYLOAD_TYPE],
      "dropped-ssrc", G_TYPE_UINT64, t->dropped[ARCLY_RTSP_CLIENT_DROP_SSRC],
      "ssrc", G_TYPE_UINT, t->have_ssrc ? t->remote_ssrc : 0, NULL);
  guint i;

  for (i = 0; i < ARCLY_RTSP_CLIENT_DROP_N; i++)
    acc->dropped[i] += t->dropped[i];
  g_value_init (&v, GST_TYPE_STRUCTURE);
  g_value_take_boxed (&v, ts);
  gst_value_array_append_and_take_value (&acc->arr, &v);
  acc->total += t->bitrate;
  acc->packets += t->packets;
  acc->bytes += t->bytes;
}

static GstStructure *
build_stats (GstArclyRtspSrc * self)
{
  GstStructure *s;
  StatsAcc acc = { G_VALUE_INIT, 0, 0, 0, {0,} };
  guint64 reads;

  g_value_init (&acc.arr, GST_TYPE_ARRAY);
  arcly_rtsp_client_foreach_track (self->client, add_track_stats, &acc);
  reads = arcly_rtsp_client_get_reads (self->client);
  g_mutex_lock (&self->lock);
  s = gst_structure_new ("arcly-rtspsrc-stats",
      "state", G_TYPE_STRING, state_names[self->state],
      "reconnects", G_TYPE_UINT, self->reconnects,
      "reads", G_TYPE_UINT64, reads,
      "packets", G_TYPE_UINT64, acc.packets,
      "bytes", G_TYPE_UINT64, acc.bytes,
      "bitrate", G_TYPE_UINT, acc.total,
      "dropped-invalid", G_TYPE_UINT64,
      acc.dropped[ARCLY_RTSP_CLIENT_DROP_INVALID],
      "dropped-payload-type", G_TYPE_UINT64,
      acc.dropped[ARCLY_RTSP_CLIENT_DROP_PAYLOAD_TYPE],
      "dropped-ssrc", G_TYPE_UINT64, acc.dropped[ARCLY_RTSP_CLIENT_DROP_SSRC],
      "last-error", G_TYPE_STRING, self->last_error ? self->last_error : "",
      NULL);
  g_mutex_unlock (&self->lock);
  gst_structure_take_value (s, "tracks", &acc.arr);
  return s;
}

static void
gst_arcly_rtsp_src_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstArclyRtspSrc *self = GST_ARCLY_RTSP_SRC (object);
  gboolean read_interval = FALSE;

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_LOCATION:
      g_free (self->location);
      self->location = g_value_dup_string (value);
      break;
    case PROP_USER_ID:
      g_free (self->user_id);
      self->user_id = g_value_dup_string (value);
      break;
    case PROP_USER_PW:
      g_free (self->user_pw);
      self->user_pw = g_value_dup_string (value);
      break;
    case PROP_LATENCY:
      self->latency_ms = g_value_get_uint (value);
      break;
    case PROP_TIMEOUT:
      self->timeout_ms = g_value_get_uint (value);
      break;
    case PROP_RETRY_BACKOFF:
      self->backoff_ms = g_value_get_uint (value);
      break;
    case PROP_RETRY_BACKOFF_MAX:
      self->backoff_max_ms = g_value_get_uint (value);
      break;
    case PROP_MAX_RETRIES:
      self->max_retries = g_value_get_int (value);
      break;
    case PROP_KEEP_ALIVE:
      self->keep_alive_ms = g_value_get_uint (value);
      break;
    case PROP_READ_INTERVAL:
      self->read_interval_ms = g_value_get_uint (value);
      read_interval = TRUE;
      break;
    case PROP_BUFFER_LISTS:
      g_atomic_int_set (&self->buffer_lists, g_value_get_boolean (value));
      break;
    case PROP_STREAMS:
      self->streams = g_value_get_enum (value);
      break;
    case PROP_USER_AGENT:
      g_free (self->user_agent);
      self->user_agent = g_value_dup_string (value);
      break;
    case PROP_TLS_VALIDATION_FLAGS:
      self->tls_validation_flags = g_value_get_flags (value);
      break;
    case PROP_TLS_DATABASE:
      g_clear_object (&self->tls_database);
      self->tls_database = g_value_dup_object (value);
      break;
    case PROP_TLS_INTERACTION:
      g_clear_object (&self->tls_interaction);
      self->tls_interaction = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
  /* while playing too (arcly-restream lowers it for a WebRTC viewer) */
  if (read_interval)
    arcly_rtsp_client_set_read_interval (self->client,
        g_value_get_uint (value));
}

static void
gst_arcly_rtsp_src_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstArclyRtspSrc *self = GST_ARCLY_RTSP_SRC (object);

  if (prop_id == PROP_STATS) {
    g_value_take_boxed (value, build_stats (self));
    return;
  }
  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_LOCATION:
      g_value_set_string (value, self->location);
      break;
    case PROP_USER_ID:
      g_value_set_string (value, self->user_id);
      break;
    case PROP_USER_PW:
      g_value_set_string (value, self->user_pw);
      break;
    case PROP_LATENCY:
      g_value_set_uint (value, self->latency_ms);
      break;
    case PROP_TIMEOUT:
      g_value_set_uint (value, self->timeout_ms);
      break;
    case PROP_RETRY_BACKOFF:
      g_value_set_uint (value, self->backoff_ms);
      break;
    case PROP_RETRY_BACKOFF_MAX:
      g_value_set_uint (value, self->backoff_max_ms);
      break;
    case PROP_MAX_RETRIES:
      g_value_set_int (value, self->max_retries);
      break;
    case PROP_KEEP_ALIVE:
      g_value_set_uint (value, self->keep_alive_ms);
      break;
    case PROP_READ_INTERVAL:
      g_value_set_uint (value, self->read_interval_ms);
      break;
    case PROP_BUFFER_LISTS:
      g_value_set_boolean (value, g_atomic_int_get (&self->buffer_lists));
      break;
    case PROP_STREAMS:
      g_value_set_enum (value, self->streams);
      break;
    case PROP_USER_AGENT:
      g_value_set_string (value, self->user_agent);
      break;
    case PROP_TLS_VALIDATION_FLAGS:
      g_value_set_flags (value, self->tls_validation_flags);
      break;
    case PROP_TLS_DATABASE:
      g_value_set_object (value, self->tls_database);
      break;
    case PROP_TLS_INTERACTION:
      g_value_set_object (value, self->tls_interaction);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_arcly_rtsp_src_finalize (GObject * object)
{
  GstArclyRtspSrc *self = GST_ARCLY_RTSP_SRC (object);

  stop (self);
  arcly_rtsp_client_free (self->client);
  g_free (self->location);
  g_free (self->user_id);
  g_free (self->user_pw);
  g_free (self->user_agent);
  g_clear_object (&self->tls_database);
  g_clear_object (&self->tls_interaction);
  g_free (self->last_error);
  g_ptr_array_unref (self->pads);
  if (self->combiner)
    gst_flow_combiner_free (self->combiner);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  G_OBJECT_CLASS (gst_arcly_rtsp_src_parent_class)->finalize (object);
}

static const ArclyRtspClientCallbacks client_callbacks = {
  on_track_ready,
  on_tracks_done,
  on_playing,
  on_rtp,
  on_error,
  on_state,
  gst_object_unref,
  on_redirected,
  on_rtp_done,
};

static void
gst_arcly_rtsp_src_init (GstArclyRtspSrc * self)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->latency_ms = DEFAULT_PROP_LATENCY;
  self->timeout_ms = DEFAULT_PROP_TIMEOUT;
  self->backoff_ms = DEFAULT_PROP_RETRY_BACKOFF;
  self->backoff_max_ms = DEFAULT_PROP_RETRY_BACKOFF_MAX;
  self->max_retries = DEFAULT_PROP_MAX_RETRIES;
  self->keep_alive_ms = DEFAULT_PROP_KEEP_ALIVE;
  self->read_interval_ms = DEFAULT_PROP_READ_INTERVAL;
  self->streams = DEFAULT_PROP_STREAMS;
  self->user_agent = g_strdup (DEFAULT_PROP_USER_AGENT);
  self->tls_validation_flags = DEFAULT_PROP_TLS_VALIDATION_FLAGS;
  self->pads = g_ptr_array_new_with_free_func ((GDestroyNotify)
      pad_state_free);
  self->client = arcly_rtsp_client_new (&client_callbacks, self, self);
  GST_OBJECT_FLAG_SET (self, GST_ELEMENT_FLAG_SOURCE);
}

static void
gst_arcly_rtsp_src_class_init (GstArclyRtspSrcClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_READY;

  GST_DEBUG_CATEGORY_INIT (arcly_rtsp_src_debug, "arclyrtspsrc", 0,
      "arcly RTSP client source");
  GST_DEBUG_CATEGORY_INIT (arcly_rtsp_src_dataflow, "arclyrtspsrc_dataflow",
      0, "arcly RTSP client source, per packet");

  gobject_class->set_property = gst_arcly_rtsp_src_set_property;
  gobject_class->get_property = gst_arcly_rtsp_src_get_property;
  gobject_class->finalize = gst_arcly_rtsp_src_finalize;

  g_object_class_install_property (gobject_class, PROP_LOCATION,
      g_param_spec_string ("location", "Location",
          "rtsp:// or rtsps:// (TLS) URL of the stream; user:password@ in "
          "it are used for authentication and never logged",
          DEFAULT_PROP_LOCATION, rw));
  g_object_class_install_property (gobject_class, PROP_USER_ID,
      g_param_spec_string ("user-id", "User ID",
          "User name for authentication (overrides the one in location)",
          DEFAULT_PROP_USER_ID, rw));
  g_object_class_install_property (gobject_class, PROP_USER_PW,
      g_param_spec_string ("user-pw", "User password",
          "Password for authentication (overrides the one in location)",
          DEFAULT_PROP_USER_PW, rw));
  g_object_class_install_property (gobject_class, PROP_LATENCY,
      g_param_spec_uint ("latency", "Latency",
          "Latency added to the arrival time of the first packet (ms); "
          "reported in the latency query", 0, 60000, DEFAULT_PROP_LATENCY,
          rw));
  g_object_class_install_property (gobject_class, PROP_TIMEOUT,
      g_param_spec_uint ("timeout", "Timeout",
          "Time to wait for a connection, for each reply, and for data "
          "while playing before reconnecting (ms)", 100, 600000,
          DEFAULT_PROP_TIMEOUT, rw));
  g_object_class_install_property (gobject_class, PROP_RETRY_BACKOFF,
      g_param_spec_uint ("retry-backoff", "Retry backoff",
          "Delay before the first reconnect attempt, doubled on each "
          "further failure (ms)", 10, 3600000, DEFAULT_PROP_RETRY_BACKOFF,
          rw));
  g_object_class_install_property (gobject_class, PROP_RETRY_BACKOFF_MAX,
      g_param_spec_uint ("retry-backoff-max", "Maximum retry backoff",
          "Upper bound of the reconnect delay (ms)", 10, 3600000,
          DEFAULT_PROP_RETRY_BACKOFF_MAX, rw));
  g_object_class_install_property (gobject_class, PROP_MAX_RETRIES,
      g_param_spec_int ("max-retries", "Maximum retries",
          "Reconnect attempts in a row before failing with an error "
          "(-1 = retry forever)", -1, G_MAXINT, DEFAULT_PROP_MAX_RETRIES,
          rw));
  g_object_class_install_property (gobject_class, PROP_KEEP_ALIVE,
      g_param_spec_uint ("keep-alive", "Keep-alive interval",
          "Interval of keep-alive requests (ms); 0 = automatic, half the "
          "session timeout the server announces (60 s when it does not)",
          0, 3600000, DEFAULT_PROP_KEEP_ALIVE, rw));
  g_object_class_install_property (gobject_class, PROP_READ_INTERVAL,
      g_param_spec_uint ("read-interval", "Read interval",
          "Least time between two socket reads while playing (ms): what "
          "arrives meanwhile is read and pushed in one go.  0 reads each "
          "packet burst as it arrives; 20-50 cuts the wake-ups and system "
          "calls of the reading thread for that much added delay (keep it "
          "below latency); can be changed while playing",
          0, 1000, DEFAULT_PROP_READ_INTERVAL, rw));
  g_object_class_install_property (gobject_class, PROP_BUFFER_LISTS,
      g_param_spec_boolean ("buffer-lists", "Buffer lists",
          "Push the RTP packets of one socket read on a pad as one "
          "GstBufferList instead of one buffer each: with read-interval, "
          "one hand-off downstream per read (arclyh264depay, arclyh265depay "
          "and arclyaacdepay pass the access units on as a list, arclybus "
          "wakes its delivery once).  Pad probes for buffers only "
          "(GST_PAD_PROBE_TYPE_BUFFER) do not see lists; can be changed "
          "while playing", DEFAULT_PROP_BUFFER_LISTS, rw));
  g_object_class_install_property (gobject_class, PROP_STREAMS,
      g_param_spec_enum ("streams", "Streams",
          "Which media tracks to set up", GST_TYPE_ARCLY_RTSP_STREAMS,
          DEFAULT_PROP_STREAMS, rw));
  g_object_class_install_property (gobject_class, PROP_USER_AGENT,
      g_param_spec_string ("user-agent", "User agent",
          "User-Agent header sent with every request",
          DEFAULT_PROP_USER_AGENT, rw));
  g_object_class_install_property (gobject_class, PROP_TLS_VALIDATION_FLAGS,
      g_param_spec_flags ("tls-validation-flags", "TLS validation flags",
          "rtsps://: the certificate errors that refuse the server's "
          "certificate; 0 accepts any certificate (insecure, for a camera "
          "with a self-signed certificate)", G_TYPE_TLS_CERTIFICATE_FLAGS,
          DEFAULT_PROP_TLS_VALIDATION_FLAGS, rw));
  g_object_class_install_property (gobject_class, PROP_TLS_DATABASE,
      g_param_spec_object ("tls-database", "TLS database",
          "rtsps://: the certificate authorities the server's certificate "
          "is checked against (e.g. a GTlsFileDatabase); NULL = the "
          "system's trust store", G_TYPE_TLS_DATABASE, rw));
  g_object_class_install_property (gobject_class, PROP_TLS_INTERACTION,
      g_param_spec_object ("tls-interaction", "TLS interaction",
          "rtsps://: asked for a client certificate or a password when the "
          "server wants one", G_TYPE_TLS_INTERACTION, rw));
  g_object_class_install_property (gobject_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics",
          "Connection state, reconnects, packets/bytes/bitrate per track "
          "and the last error", GST_TYPE_STRUCTURE,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  element_class->change_state = gst_arcly_rtsp_src_change_state;
  element_class->send_event = gst_arcly_rtsp_src_send_event;
  gst_element_class_add_static_pad_template (element_class, &video_template);
  gst_element_class_add_static_pad_template (element_class, &audio_template);
  gst_element_class_set_static_metadata (element_class,
      "arcly RTSP source", "Source/Network",
      "RTSP client (rtsp://, rtsps:// over TLS) over TCP-interleaved "
      "transport with Basic/Digest auth, keep-alive and reconnection", "gst-arcly developers");
  gst_type_mark_as_plugin_api (GST_TYPE_ARCLY_RTSP_STREAMS, 0);
}
