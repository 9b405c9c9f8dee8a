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
 * ## Example launch line
 * |[
 * gst-launch-1.0 arclyrtspsrc location=rtsp://user:pw@cam/stream ! \
 *     rtph264depay ! h264parse ! avdec_h264 ! autovideosink
 * ]|
 *
 * ## Threads and locks
 * One worker thread (started in READY→PAUSED, joined in PAUSED→READY) owns
 * the socket, the parser buffer, the RTSP session state and the tracks, and
 * pushes on the pads.  Other threads only touch:
 *  - the properties, under the object lock;
 *  - `lock`: the worker control flags (stopping, playing), the stats, the
 *    pad list, and `cond` (wakes the worker's waits).
 * Lock order: the object lock and `lock` are never held at the same time;
 * each is taken alone.  No lock is held across gst_pad_push(), a message
 * post or any socket call.
 * Blocking socket calls use `cancellable`, cancelled by the stopping thread
 * when the worker does not finish within STOP_GRACE_MS, so stopping is
 * bounded even when the server hangs.
 *
 * ## Files
 * This file: the worker, the RTSP session, pads and properties.  The
 * socket and the input buffer are in rtspconn.c; the pure modules do the
 * rest: rtspwire.c (messages and `$` frames), rtspheaders.c (Session,
 * Transport, RTP-Info), rtspsdp.c, rtspauth.c, rtspurl.c, rtsptime.c (RTP
 * header, RTCP) and rtspsync.c (RTP time → PTS, A/V alignment, drift).
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gio/gio.h>
#include <gst/gst.h>
#include <gst/base/gstflowcombiner.h>
#include <string.h>

#include "gstarclyrtspelements.h"
#include "rtspauth.h"
#include "rtspconn.h"
#include "rtspheaders.h"
#include "rtspsdp.h"
#include "rtspsync.h"
#include "rtsptime.h"
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
  ARCLY_RTSP_STREAMS_BOTH = 0,
  ARCLY_RTSP_STREAMS_VIDEO = 1,
  ARCLY_RTSP_STREAMS_AUDIO = 2,
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
#define DEFAULT_PROP_STREAMS ARCLY_RTSP_STREAMS_BOTH
#define DEFAULT_PROP_USER_AGENT "gst-arcly/" VERSION

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
  PROP_STREAMS,
  PROP_USER_AGENT,
  PROP_STATS,
};

/* How long PAUSED→READY lets the worker finish politely (TEARDOWN) before
 * cancelling its socket calls. */
#define STOP_GRACE_MS 150
/* Granularity of the worker's waits: it checks its flags this often. */
#define WAIT_SLICE_US (100 * G_TIME_SPAN_MILLISECOND)
/* RTCP receiver reports: cameras expect one at least every 5 s. */
#define RR_INTERVAL_US (2 * G_TIME_SPAN_SECOND)
#define DEFAULT_SESSION_TIMEOUT 60

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

/* A track set up in the current session (worker-owned, except the stats
 * counters which are under self->lock). */
typedef struct
{
  ArclyRtspTrack *sdp;
  gchar *control_url;
  guint8 rtp_ch, rtcp_ch;
  GstPad *pad;                  /* ref; owned by self->pads too */

  ArclySyncTrack sync;          /* RTP time → PTS, A/V alignment (rtspsync) */

  ArclyRtpSeqStats seq;
  gboolean have_ssrc;
  guint32 remote_ssrc;

  /* under self->lock */
  guint64 packets, bytes;
  guint64 bytes_at_tick;
  guint bitrate;
} Track;

/* Per-pad state that survives reconnects (worker-owned). */
typedef struct
{
  GstPad *pad;
  ArclyRtspTrackType type;
  GstCaps *caps;                /* last caps sent */
  gboolean started;             /* stream-start + segment sent */
  gboolean discont;
  GstClockTime last_pts;
} PadState;

/* A response copied out of the input buffer: msg points into raw. */
typedef struct
{
  guint8 *raw;
  ArclyRtspWireMessage msg;
  gchar *reason;                /* NUL-terminated copy, for messages */
} Response;

typedef enum
{
  RUN_STOPPED,                  /* asked to stop */
  RUN_RETRY,                    /* failed, retry with backoff */
  RUN_FATAL,                    /* failed for good; error posted */
} RunResult;

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
  ArclyRtspStreams streams;
  gchar *user_agent;

  /* worker control and stats: lock */
  GMutex lock;
  GCond cond;
  GThread *thread;
  gboolean stopping;
  gboolean playing;
  gboolean worker_done;
  gboolean eos_requested;
  GCancellable *cancellable;
  GCancellable *wake;           /* interrupts the worker's socket waits */
  GPtrArray *pads;              /* PadState*; also read for stats */
  GPtrArray *tracks;            /* Track*; counters read for stats */
  SrcState state;
  guint reconnects;
  gchar *last_error;

  /* worker-only (settings copied at start) */
  ArclyRtspUrl url;
  gchar *request_uri;           /* without credentials */
  gchar *display_url;           /* redacted, for logs and messages */
  gchar *user, *password;
  GstClockTime latency;
  gint64 timeout_us;
  gchar *ua;

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
  gint64 last_rr_us;
  gint64 last_ka_us;
  gint64 last_tick_us;
  guint n_video, n_audio;       /* pad name counters */
  guint group_id;
  gboolean pads_announced;
  GstFlowCombiner *combiner;
  ArclySync sync;               /* latency and drift of the clock mapping */
  gboolean was_playing;         /* PLAY answered in this session */
  guint fail_status;            /* RTSP status of the last failure */
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
track_free (Track * t)
{
  arcly_rtsp_track_free (t->sdp);
  g_free (t->control_url);
  if (t->pad)
    gst_object_unref (t->pad);
  g_free (t);
}

static void
pad_state_free (PadState * ps)
{
  gst_object_unref (ps->pad);
  if (ps->caps)
    gst_caps_unref (ps->caps);
  g_free (ps);
}

static void
response_free (Response * r)
{
  if (r) {
    g_free (r->raw);
    g_free (r->reason);
    g_free (r);
  }
}

static gboolean
is_stopping (GstArclyRtspSrc * self)
{
  gboolean s;

  g_mutex_lock (&self->lock);
  s = self->stopping || self->eos_requested;
  g_mutex_unlock (&self->lock);
  return s;
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

static gint64
ms_to_us (guint ms)
{
  return (gint64) ms * G_TIME_SPAN_MILLISECOND;
}

/* ------------------------------------------------------------------ */
/* socket I/O (rtspconn.c), cancellable by stop() */

static void
close_connection (GstArclyRtspSrc * self)
{
  arcly_rtsp_conn_close (&self->io);
}

static gboolean
send_all (GstArclyRtspSrc * self, const guint8 * data, gsize len,
    GError ** error)
{
  return arcly_rtsp_conn_send (&self->io, data, len, self->cancellable,
      error);
}

/* Waits up to @timeout_us for data and appends what arrives to the input
 * buffer.  Returns >0 bytes read, 0 on timeout or wake-up, -1 on error or
 * EOF (@error set). */
static gssize
read_some (GstArclyRtspSrc * self, gint64 timeout_us, GError ** error)
{
  gssize n = arcly_rtsp_conn_read (&self->io, timeout_us, self->wake,
      self->cancellable, error);

  if (n > 0)
    GST_CAT_LOG_OBJECT (arcly_rtsp_src_dataflow, self, "read %"
        G_GSSIZE_FORMAT " bytes", n);
  return n;
}

/* ------------------------------------------------------------------ */
/* requests */

static gchar *
build_request (GstArclyRtspSrc * self, const gchar * method,
    const gchar * uri, const gchar * extra, guint cseq)
{
  GString *s = g_string_new (NULL);

  g_string_append_printf (s, "%s %s RTSP/1.0\r\nCSeq: %u\r\nUser-Agent: %s\r\n",
      method, uri, cseq, self->ua);
  if (self->session_id)
    g_string_append_printf (s, "Session: %s\r\n", self->session_id);
  if (self->auth && arcly_auth_session_active (self->auth) && self->user) {
    gchar *a = arcly_auth_session_authorization (self->auth, method, uri,
        self->user, self->password ? self->password : "");

    if (a)
      g_string_append_printf (s, "Authorization: %s\r\n", a);
    g_free (a);
  }
  if (extra)
    g_string_append (s, extra);
  g_string_append (s, "\r\n");
  return g_string_free (s, FALSE);
}

static gboolean
send_request (GstArclyRtspSrc * self, const gchar * method, const gchar * uri,
    const gchar * extra, guint * cseq_out, GError ** error)
{
  guint cseq = ++self->cseq;
  gchar *req = build_request (self, method, uri, extra, cseq);
  gboolean ok;

  /* the URI never carries credentials; the Authorization header is not
   * logged */
  GST_DEBUG_OBJECT (self, "> %s %s (CSeq %u)", method, uri, cseq);
  ok = send_all (self, (const guint8 *) req, strlen (req), error);
  g_free (req);
  if (cseq_out)
    *cseq_out = cseq;
  return ok;
}

/* Answers a request the server sent us (RFC 2326 §10: servers may send
 * OPTIONS, GET_PARAMETER, SET_PARAMETER, ANNOUNCE...). */
static void
answer_server_request (GstArclyRtspSrc * self, const ArclyRtspWireMessage * m)
{
  gint64 cseq = arcly_rtsp_wire_get_cseq (m);
  guint code = 200;
  const gchar *reason = "OK";
  GString *s;
  GError *err = NULL;

  {
    /* GStreamer's printf reads %.*s arguments up to a NUL: copy */
    gchar *method = g_strndup (m->method, m->method_len);

    GST_DEBUG_OBJECT (self, "server request %s", method);
    g_free (method);
  }
  if (arcly_rtsp_wire_method_is (m, "OPTIONS")
      || arcly_rtsp_wire_method_is (m, "GET_PARAMETER")) {
    /* 200 */
  } else if (arcly_rtsp_wire_method_is (m, "SET_PARAMETER")) {
    /* we have no parameters to set */
    if (m->body_len > 0) {
      code = 551;
      reason = "Option not supported";
    }
  } else {
    code = 551;
    reason = "Option not supported";
  }
  s = g_string_new (NULL);
  g_string_append_printf (s, "RTSP/1.0 %u %s\r\n", code, reason);
  if (cseq >= 0)
    g_string_append_printf (s, "CSeq: %" G_GINT64_FORMAT "\r\n", cseq);
  if (self->session_id)
    g_string_append_printf (s, "Session: %s\r\n", self->session_id);
  if (arcly_rtsp_wire_method_is (m, "OPTIONS"))
    g_string_append (s, "Public: OPTIONS, GET_PARAMETER, SET_PARAMETER\r\n");
  g_string_append_printf (s, "User-Agent: %s\r\n\r\n", self->ua);
  if (!send_all (self, (const guint8 *) s->str, s->len, &err)) {
    GST_DEBUG_OBJECT (self, "answering server request: %s", err->message);
    g_clear_error (&err);
  }
  g_string_free (s, TRUE);
}

/* ------------------------------------------------------------------ */
/* pads and data */

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

static void
send_sticky_events (GstArclyRtspSrc * self, Track * t, PadState * ps)
{
  if (!ps->started) {
    gchar *sid = gst_pad_create_stream_id (ps->pad, GST_ELEMENT (self),
        GST_PAD_NAME (ps->pad));
    GstEvent *ev = gst_event_new_stream_start (sid);
    GstSegment seg;

    gst_event_set_group_id (ev, self->group_id);
    gst_pad_push_event (ps->pad, ev);
    g_free (sid);
    gst_pad_push_event (ps->pad, gst_event_new_caps (t->sdp->caps));
    gst_caps_replace (&ps->caps, t->sdp->caps);
    /* PTS are running times: a TIME segment from 0 maps them 1:1 */
    gst_segment_init (&seg, GST_FORMAT_TIME);
    gst_pad_push_event (ps->pad, gst_event_new_segment (&seg));
    ps->started = TRUE;
  } else if (ps->caps == NULL || !gst_caps_is_equal (ps->caps, t->sdp->caps)) {
    gst_pad_push_event (ps->pad, gst_event_new_caps (t->sdp->caps));
    gst_caps_replace (&ps->caps, t->sdp->caps);
  }
}

/* The session's first tracks' clock mappings, for the A/V alignment. */
static guint
sync_tracks (GstArclyRtspSrc * self, ArclySyncTrack ** v)
{
  guint n = MIN (self->tracks->len, ARCLY_SYNC_MAX_ALIGNED), i;

  for (i = 0; i < n; i++)
    v[i] = &((Track *) g_ptr_array_index (self->tracks, i))->sync;
  return n;
}

static void
log_aligned (GstArclyRtspSrc * self, guint changed, gboolean use_sr)
{
  guint i;

  for (i = 0; changed && i < self->tracks->len; i++) {
    Track *o = g_ptr_array_index (self->tracks, i);

    if (changed & (1u << i))
      GST_DEBUG_OBJECT (self, "%s aligned by %" G_GINT64_FORMAT " ns (%s)",
          GST_PAD_NAME (o->pad), o->sync.align,
          use_sr ? "RTCP SR" : "RTP-Info");
  }
}

static GstFlowReturn
handle_rtp (GstArclyRtspSrc * self, Track * t, const guint8 * data, gsize len)
{
  PadState *ps;
  ArclyRtpHeader h;
  guint32 ts;
  guint16 seq;
  gint64 ext;
  GstClockTime now, pts;
  GstBuffer *buf;
  GstFlowReturn ret;
  gboolean playing, new_base;
  ArclySyncTrack *v[ARCLY_SYNC_MAX_ALIGNED];
  guint n, aligned;

  if (!arcly_rtp_parse_header (data, len, &h)) {
    GST_CAT_DEBUG_OBJECT (arcly_rtsp_src_dataflow, self,
        "dropping invalid RTP packet of %" G_GSIZE_FORMAT " bytes", len);
    return GST_FLOW_OK;
  }
  seq = h.seq;
  ts = h.ts;

  g_mutex_lock (&self->lock);
  playing = self->playing;
  t->packets++;
  t->bytes += len;
  g_mutex_unlock (&self->lock);
  self->last_data_us = g_get_monotonic_time ();

  t->have_ssrc = TRUE;
  t->remote_ssrc = h.ssrc;
  arcly_rtp_seq_update (&t->seq, seq);
  ext = arcly_rtp_unwrap (&t->sync.unwrap, ts);

  ps = pad_state_for (self, t->pad);
  now = playing ? current_running_time (self) : GST_CLOCK_TIME_NONE;
  if (ps == NULL || !GST_CLOCK_TIME_IS_VALID (now)) {
    /* not PLAYING: drop; the mapping restarts on resume */
    t->sync.have_base = FALSE;
    if (ps)
      ps->discont = TRUE;
    return GST_FLOW_OK;
  }

  n = sync_tracks (self, v);
  pts = arcly_sync_pts (&self->sync, &t->sync,
      t == g_ptr_array_index (self->tracks, 0), v, n, ext, now, ps->last_pts,
      &new_base, &aligned);
  if (new_base)
    GST_DEBUG_OBJECT (self, "%s: RTP %u maps to running time %"
        GST_TIME_FORMAT, GST_PAD_NAME (t->pad), ts,
        GST_TIME_ARGS (t->sync.base_rt));
  log_aligned (self, aligned, FALSE);
  ps->last_pts = pts;

  send_sticky_events (self, t, ps);
  buf = gst_buffer_new_memdup (data, len);
  GST_BUFFER_PTS (buf) = pts;
  if (ps->discont) {
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
    ps->discont = FALSE;
  }
  GST_CAT_LOG_OBJECT (arcly_rtsp_src_dataflow, self, "%s: seq %u ts %u pts %"
      GST_TIME_FORMAT, GST_PAD_NAME (t->pad), seq, ts, GST_TIME_ARGS (pts));
  ret = gst_pad_push (ps->pad, buf);
  return gst_flow_combiner_update_pad_flow (self->combiner, ps->pad, ret);
}

/* RTCP from the server: sender reports give the NTP ↔ RTP mapping that
 * aligns the tracks (RFC 3550 §6.4.1). */
static void
handle_rtcp (GstArclyRtspSrc * self, Track * t, const guint8 * data,
    gsize len)
{
  ArclyRtcpSr sr;

  if (!arcly_rtcp_find_sr (data, len, &sr))
    return;
  if (t == NULL) {
    guint i;

    /* on an unknown channel: find the track by SSRC */
    for (i = 0; i < self->tracks->len && t == NULL; i++) {
      Track *c = g_ptr_array_index (self->tracks, i);

      if (c->have_ssrc && c->remote_ssrc == sr.ssrc)
        t = c;
    }
    if (t == NULL)
      return;
  }
  /* before the track is set up (no pad yet) or before its first packet */
  if (t->pad == NULL || !arcly_sync_sr (&t->sync, &sr,
          g_get_monotonic_time ()))
    return;
  GST_DEBUG_OBJECT (self, "%s: SR ntp %" G_GUINT64_FORMAT " rtp %u",
      GST_PAD_NAME (t->pad), sr.ntp, sr.rtp_ts);
  {
    ArclySyncTrack *v[ARCLY_SYNC_MAX_ALIGNED];
    guint n = sync_tracks (self, v);

    log_aligned (self, arcly_sync_align (v, n, TRUE), TRUE);
  }
}

static GstFlowReturn
handle_frame (GstArclyRtspSrc * self, const ArclyRtspWireMessage * m)
{
  guint i;

  for (i = 0; i < self->tracks->len; i++) {
    Track *t = g_ptr_array_index (self->tracks, i);

    if (m->channel == t->rtp_ch) {
      /* Some cameras send RTCP on the RTP channel: recognise it by its
       * packet type (RFC 5761 §4). */
      if (arcly_rtcp_is_rtcp (m->data, m->data_len)) {
        handle_rtcp (self, t, m->data, m->data_len);
        return GST_FLOW_OK;
      }
      return handle_rtp (self, t, m->data, m->data_len);
    }
    if (m->channel == t->rtcp_ch) {
      handle_rtcp (self, t, m->data, m->data_len);
      return GST_FLOW_OK;
    }
  }
  if (arcly_rtcp_is_rtcp (m->data, m->data_len))
    handle_rtcp (self, NULL, m->data, m->data_len);
  else
    GST_CAT_DEBUG_OBJECT (arcly_rtsp_src_dataflow, self,
        "frame on unknown channel %u dropped", m->channel);
  return GST_FLOW_OK;
}

/* ------------------------------------------------------------------ */
/* the input loop */

typedef enum
{
  PROC_OK,
  PROC_GOT_RESPONSE,
  PROC_ERROR,                   /* protocol error, *error set */
  PROC_FLOW,                    /* downstream flow stops us, *flow set */
} ProcResult;

static gboolean send_keepalive (GstArclyRtspSrc * self, GError ** error);

/* Keep-alive replies arrive while streaming and are not waited for. */
static void
on_keepalive_response (GstArclyRtspSrc * self, const ArclyRtspWireMessage * m)
{
  gboolean resend = FALSE;
  GError *err = NULL;

  self->ka_cseq = -1;
  if (m->status == 401) {
    /* typically a Digest nonce that expired (stale=true): renew it and
     * send the keep-alive again, or the session times out */
    gchar **values = arcly_rtsp_wire_dup_headers (m, "WWW-Authenticate");

    resend = self->user != NULL && values[0] != NULL &&
        arcly_auth_session_challenge (self->auth,
        (const gchar * const *) values, g_strv_length (values));
    g_strfreev (values);
    if (!resend)
      GST_WARNING_OBJECT (self, "keep-alive refused: 401");
  } else if (m->status >= 300 && self->ka_get_parameter) {
    GST_INFO_OBJECT (self, "GET_PARAMETER answered %u, keep-alive with "
        "OPTIONS from now on", m->status);
    self->use_get_parameter = FALSE;
    resend = TRUE;
  }
  if (resend && !send_keepalive (self, &err)) {
    GST_DEBUG_OBJECT (self, "keep-alive: %s", err->message);
    g_clear_error (&err);
  }
}

/* Parses everything buffered.  Frames are pushed, server requests
 * answered; a response with CSeq @want is copied to *resp. */
static ProcResult
process_input (GstArclyRtspSrc * self, gint64 want, Response ** resp,
    GstFlowReturn * flow, GError ** error)
{
  for (;;) {
    ArclyRtspWireMessage m;
    gsize consumed = 0, avail = 0;
    const guint8 *p = arcly_rtsp_conn_pending (&self->io, &avail);
    ArclyRtspWireResult r = arcly_rtsp_wire_parse (p, avail, &m, &consumed);

    switch (r) {
      case ARCLY_RTSP_WIRE_NEED_MORE:
        return PROC_OK;
      case ARCLY_RTSP_WIRE_ERROR:
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
            "protocol error from server: %s",
            arcly_rtsp_wire_error_to_string (m.error));
        return PROC_ERROR;
      case ARCLY_RTSP_WIRE_SKIP:
        GST_CAT_DEBUG_OBJECT (arcly_rtsp_src_dataflow, self,
            "skipping %" G_GSIZE_FORMAT " junk bytes", consumed);
        arcly_rtsp_conn_consume (&self->io, consumed);
        continue;
      case ARCLY_RTSP_WIRE_MESSAGE:
        break;
    }

    if (m.kind == ARCLY_RTSP_WIRE_KIND_FRAME) {
      GstFlowReturn ret = handle_frame (self, &m);

      arcly_rtsp_conn_consume (&self->io, consumed);
      if (ret != GST_FLOW_OK) {
        *flow = ret;
        return PROC_FLOW;
      }
    } else if (m.kind == ARCLY_RTSP_WIRE_KIND_REQUEST) {
      answer_server_request (self, &m);
      arcly_rtsp_conn_consume (&self->io, consumed);
    } else {
      gint64 cseq = arcly_rtsp_wire_get_cseq (&m);
      gchar *reason = g_strndup (m.reason, m.reason_len);

      GST_DEBUG_OBJECT (self, "< %u %s (CSeq %" G_GINT64_FORMAT ")",
          m.status, reason, cseq);
      if (want >= 0 && (cseq == want || cseq < 0) && resp) {
        Response *rr = g_new0 (Response, 1);
        gsize c2 = 0;

        rr->raw = g_memdup2 (p, consumed);
        arcly_rtsp_wire_parse (rr->raw, consumed, &rr->msg, &c2);
        rr->reason = reason;
        *resp = rr;
        arcly_rtsp_conn_consume (&self->io, consumed);
        return PROC_GOT_RESPONSE;
      }
      g_free (reason);
      if (cseq >= 0 && cseq == self->ka_cseq)
        on_keepalive_response (self, &m);
      arcly_rtsp_conn_consume (&self->io, consumed);
    }
  }
}

/* Sends @method and waits for its response (handling interleaved data
 * meanwhile), answering 401 challenges.  Returns NULL with @error set on
 * failure; *fatal tells whether retrying makes no sense. */
static Response *
do_request (GstArclyRtspSrc * self, const gchar * method, const gchar * uri,
    const gchar * extra, gboolean * fatal, GError ** error)
{
  guint attempt;

  *fatal = FALSE;
  for (attempt = 0; attempt < 4; attempt++) {
    guint cseq;
    gint64 deadline;
    Response *resp = NULL;
    GstFlowReturn flow = GST_FLOW_OK;

    if (!send_request (self, method, uri, extra, &cseq, error))
      return NULL;
    deadline = g_get_monotonic_time () + self->timeout_us;
    for (;;) {
      ProcResult pr = process_input (self, cseq, &resp, &flow, error);
      gint64 left;
      gssize n;

      if (pr == PROC_GOT_RESPONSE)
        break;
      if (pr == PROC_ERROR)
        return NULL;
      if (pr == PROC_FLOW) {
        g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED,
            "streaming stopped: %s", gst_flow_get_name (flow));
        *fatal = flow != GST_FLOW_FLUSHING;
        return NULL;
      }
      if (is_stopping (self)) {
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "stopping");
        return NULL;
      }
      left = deadline - g_get_monotonic_time ();
      if (left <= 0) {
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
            "no reply to %s within %u ms", method,
            (guint) (self->timeout_us / 1000));
        return NULL;
      }
      n = read_some (self, MIN (left, WAIT_SLICE_US), error);
      if (n < 0)
        return NULL;
    }

    if (resp->msg.status == 401) {
      gchar **values = arcly_rtsp_wire_dup_headers (&resp->msg,
          "WWW-Authenticate");
      gboolean retry = self->user != NULL && values[0] != NULL &&
          arcly_auth_session_challenge (self->auth,
          (const gchar * const *) values, g_strv_length (values));

      g_strfreev (values);
      if (retry) {
        GST_DEBUG_OBJECT (self, "authenticating with %s",
            arcly_auth_session_describe (self->auth));
        response_free (resp);
        continue;
      }
      self->fail_status = 401;
      *fatal = TRUE;
      GST_ELEMENT_ERROR_WITH_DETAILS (self, RESOURCE, NOT_AUTHORIZED,
          ("Not authorized to access the RTSP stream."),
          ("%s %s: %u %s (%s)", method, self->display_url,
              resp->msg.status, resp->reason, self->user ? "credentials refused" :
              "no credentials given; set them in the location or "
              "user-id/user-pw"), ("rtsp-status-code", G_TYPE_UINT,
              resp->msg.status, NULL));
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
          "401 Unauthorized");
      response_free (resp);
      return NULL;
    }
    return resp;
  }
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
      "authentication loop");
  *fatal = TRUE;
  GST_ELEMENT_ERROR_WITH_DETAILS (self, RESOURCE, NOT_AUTHORIZED,
      ("Not authorized to access the RTSP stream."),
      ("the server kept asking for authentication"),
      ("rtsp-status-code", G_TYPE_UINT, 401, NULL));
  return NULL;
}

/* ------------------------------------------------------------------ */
/* session setup */

static gboolean
status_ok (Response * r)
{
  return r->msg.status >= 200 && r->msg.status < 300;
}

static void
set_status_error (GstArclyRtspSrc * self, const gchar * method, Response * r,
    GError ** error)
{
  self->fail_status = r->msg.status;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %u %s", method,
      r->msg.status, r->reason);
}

/* Session header of any reply: the id for the next requests, and the
 * timeout the keep-alive interval follows */
static void
apply_session (GstArclyRtspSrc * self, Response * r)
{
  gchar *v = arcly_rtsp_wire_dup_header (&r->msg, "Session");
  ArclyRtspSessionHeader sh;

  if (arcly_rtsp_headers_parse_session (v, &sh)) {
    g_free (self->session_id);
    self->session_id = g_steal_pointer (&sh.id);
  }
  if (sh.timeout)
    self->session_timeout = sh.timeout;
  arcly_rtsp_session_header_clear (&sh);
  g_free (v);
}

/* Transport reply: honour interleaved=N-M even when it differs from our
 * request; a missing interleaved field keeps the requested channels. */
static void
apply_transport (GstArclyRtspSrc * self, Track * t, Response * r)
{
  gchar *v = arcly_rtsp_wire_dup_header (&r->msg, "Transport");
  ArclyRtspTransport tr;

  arcly_rtsp_headers_parse_transport (v, &tr);
  if (tr.have_interleaved) {
    t->rtp_ch = tr.rtp_channel;
    t->rtcp_ch = tr.rtcp_channel;
  }
  if (tr.have_ssrc) {
    t->remote_ssrc = tr.ssrc;
    t->have_ssrc = TRUE;
  }
  g_free (v);
}

static gchar *
response_base_url (GstArclyRtspSrc * self, Response * r)
{
  gchar *base = arcly_rtsp_wire_dup_header (&r->msg, "Content-Base");
  gchar *loc = arcly_rtsp_wire_dup_header (&r->msg, "Content-Location");
  gchar *url = arcly_rtsp_headers_base_url (base, loc, self->request_uri);

  g_free (base);
  g_free (loc);
  return url;
}

static gboolean
wanted (GstArclyRtspSrc * self, ArclyRtspStreams streams, ArclyRtspTrack * t)
{
  if (streams == ARCLY_RTSP_STREAMS_VIDEO)
    return t->type == ARCLY_RTSP_TRACK_VIDEO;
  if (streams == ARCLY_RTSP_STREAMS_AUDIO)
    return t->type == ARCLY_RTSP_TRACK_AUDIO;
  return TRUE;
}

static void
post_connected (GstArclyRtspSrc * self)
{
  GstStructure *s;
  guint i, nv = 0, na = 0;

  for (i = 0; i < self->tracks->len; i++) {
    Track *t = g_ptr_array_index (self->tracks, i);

    if (t->sdp->type == ARCLY_RTSP_TRACK_VIDEO)
      nv++;
    else
      na++;
  }
  s = gst_structure_new ("arcly-rtsp-connected",
      "url", G_TYPE_STRING, self->display_url,
      "tracks", G_TYPE_UINT, self->tracks->len,
      "video-tracks", G_TYPE_UINT, nv, "audio-tracks", G_TYPE_UINT, na,
      "session-timeout", G_TYPE_UINT, self->session_timeout, NULL);
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), s));
}

static gboolean
connect_socket (GstArclyRtspSrc * self, GError ** error)
{
  GST_DEBUG_OBJECT (self, "connecting to %s", self->display_url);
  return arcly_rtsp_conn_open (&self->io, self->url.host, self->url.port,
      self->timeout_us, self->cancellable, error);
}

/* The session_* steps below return RUN_STOPPED when they succeeded, as
 * session_setup() does, RUN_RETRY or RUN_FATAL (error posted) otherwise. */

/* OPTIONS: keep-alive with GET_PARAMETER only when the server lists it */
static RunResult
session_options (GstArclyRtspSrc * self, GError ** error)
{
  gboolean fatal = FALSE;
  gchar *public_;
  Response *r = do_request (self, "OPTIONS", self->request_uri, NULL, &fatal,
      error);

  if (r == NULL)
    return fatal ? RUN_FATAL : RUN_RETRY;
  public_ = arcly_rtsp_wire_dup_header (&r->msg, "Public");
  self->use_get_parameter = public_ && strstr (public_, "GET_PARAMETER");
  g_free (public_);
  response_free (r);
  return RUN_STOPPED;
}

/* DESCRIBE: the base URL, the live flag, and the SDP tracks in
 * *sdp_tracks with the session control in *session_ctrl. */
static RunResult
session_describe (GstArclyRtspSrc * self, GPtrArray ** sdp_tracks,
    gchar ** session_ctrl, GError ** error)
{
  gboolean fatal = FALSE;
  Response *r = do_request (self, "DESCRIBE", self->request_uri,
      "Accept: application/sdp\r\n", &fatal, error);

  if (r == NULL)
    return fatal ? RUN_FATAL : RUN_RETRY;
  if (r->msg.status == 404) {
    self->fail_status = 404;
    GST_ELEMENT_ERROR_WITH_DETAILS (self, RESOURCE, NOT_FOUND,
        ("The RTSP stream was not found."),
        ("DESCRIBE %s: %u %s", self->display_url, r->msg.status,
            r->reason),
        ("rtsp-status-code", G_TYPE_UINT, r->msg.status, NULL));
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "404 Not Found");
    response_free (r);
    return RUN_FATAL;
  }
  if (!status_ok (r) || r->msg.body_len == 0) {
    if (status_ok (r))
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
          "DESCRIBE reply without SDP");
    else
      set_status_error (self, "DESCRIBE", r, error);
    response_free (r);
    return RUN_RETRY;
  }
  g_free (self->base_url);
  self->base_url = response_base_url (self, r);
  /* A live source announces a=range:npt=now-; PLAY then asks for "now-".
   * "npt=0-" would make gst-rtsp-server seek its running shared media
   * (~80 ms, and a glitch for the other clients). */
  self->live_range = g_strstr_len ((const gchar *) r->msg.body,
      r->msg.body_len, "a=range:npt=now") != NULL;
  *sdp_tracks = arcly_rtsp_sdp_parse (r->msg.body, r->msg.body_len,
      session_ctrl, error);
  response_free (r);
  return *sdp_tracks ? RUN_STOPPED : RUN_RETRY;
}

/* The wanted SDP tracks become our tracks (taken out of @sdp_tracks), on
 * channels 0-1, 2-3, ... until the SETUP replies say otherwise. */
static void
session_make_tracks (GstArclyRtspSrc * self, ArclyRtspStreams streams,
    GPtrArray * sdp_tracks)
{
  guint i;

  g_mutex_lock (&self->lock);
  g_ptr_array_set_size (self->tracks, 0);
  for (i = 0; i < sdp_tracks->len; i++) {
    ArclyRtspTrack *st = g_ptr_array_index (sdp_tracks, i);
    Track *t;

    if (!wanted (self, streams, st))
      continue;
    t = g_new0 (Track, 1);
    t->sdp = st;
    sdp_tracks->pdata[i] = NULL;
    t->rtp_ch = (guint8) (self->tracks->len * 2);
    t->rtcp_ch = t->rtp_ch + 1;
    arcly_sync_track_init (&t->sync, st->clock_rate);
    g_ptr_array_add (self->tracks, t);
  }
  g_mutex_unlock (&self->lock);
}

/* The SDP's session-level a=control becomes the aggregate URL. */
static void
session_apply_control (GstArclyRtspSrc * self, const gchar * session_ctrl)
{
  gchar *resolved;

  if (session_ctrl == NULL || *session_ctrl == '\0')
    return;
  /* The resolver already drops userinfo; redacting again would cut a
   * path that holds an '@'.  NULL (CR/LF in the control, unusable base):
   * keep the base we have. */
  resolved = arcly_rtsp_url_resolve_control (self->base_url, session_ctrl);
  if (resolved) {
    g_free (self->base_url);
    self->base_url = resolved;
  } else {
    GST_WARNING_OBJECT (self, "unusable session control URL, ignored");
  }
}

/* SETUP of track @i, and its pad (the @i-th video or audio pad, counted in
 * *nv / *na). */
static RunResult
session_setup_track (GstArclyRtspSrc * self, Track * t, guint i, guint * nv,
    guint * na, GError ** error)
{
  gboolean fatal = FALSE;
  gchar *resolved = arcly_rtsp_url_resolve_control (self->base_url,
      t->sdp->control);
  gchar *extra;
  PadState *ps;
  Response *r;

  if (resolved == NULL) {
    /* a control value we cannot use (CR/LF, bad base): the aggregate URL
     * is what cameras with a single broken control answer to */
    GST_WARNING_OBJECT (self, "track %u: unusable control URL, using the "
        "session URL", i);
    resolved = g_strdup (self->base_url);
  }
  g_free (t->control_url);
  t->control_url = resolved;
  extra = g_strdup_printf ("Transport: RTP/AVP/TCP;unicast;"
      "interleaved=%u-%u\r\n", t->rtp_ch, t->rtcp_ch);
  r = do_request (self, "SETUP", t->control_url, extra, &fatal, error);
  g_free (extra);
  if (r == NULL)
    return fatal ? RUN_FATAL : RUN_RETRY;
  if (!status_ok (r)) {
    set_status_error (self, "SETUP", r, error);
    response_free (r);
    return RUN_RETRY;
  }
  apply_session (self, r);
  apply_transport (self, t, r);
  response_free (r);
  GST_DEBUG_OBJECT (self, "track %u (%s) on channels %u-%u", i,
      t->sdp->encoding_name, t->rtp_ch, t->rtcp_ch);

  ps = find_or_add_pad (self, t->sdp->type,
      t->sdp->type == ARCLY_RTSP_TRACK_VIDEO ? (*nv)++ : (*na)++,
      !self->pads_announced);
  if (ps) {
    t->pad = gst_object_ref (ps->pad);
    t->sync.active = TRUE;
  }
  return RUN_STOPPED;
}

/* OPTIONS, DESCRIBE, SETUP each track, and the pads. */
static RunResult
session_setup (GstArclyRtspSrc * self, ArclyRtspStreams streams,
    GError ** error)
{
  GPtrArray *sdp_tracks = NULL;
  gchar *session_ctrl = NULL;
  RunResult res;
  guint i, nv = 0, na = 0;

  res = session_options (self, error);
  if (res != RUN_STOPPED)
    return res;
  res = session_describe (self, &sdp_tracks, &session_ctrl, error);
  if (res != RUN_STOPPED) {
    g_free (session_ctrl);
    return res;
  }
  session_make_tracks (self, streams, sdp_tracks);
  g_ptr_array_unref (sdp_tracks);

  if (self->tracks->len == 0) {
    g_free (session_ctrl);
    GST_ELEMENT_ERROR (self, STREAM, CODEC_NOT_FOUND,
        ("The RTSP stream has no usable audio or video track."),
        ("%s: no %s track in the SDP", self->display_url,
            streams == ARCLY_RTSP_STREAMS_VIDEO ? "video" :
            streams == ARCLY_RTSP_STREAMS_AUDIO ? "audio" : "audio/video"));
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
        "no usable track");
    return RUN_FATAL;
  }

  session_apply_control (self, session_ctrl);
  g_free (session_ctrl);

  for (i = 0; i < self->tracks->len; i++) {
    res = session_setup_track (self, g_ptr_array_index (self->tracks, i), i,
        &nv, &na, error);
    if (res != RUN_STOPPED)
      return res;
  }
  /* tracks that found no pad (the SDP changed after a reconnect) are
   * dropped */
  g_mutex_lock (&self->lock);
  for (i = self->tracks->len; i > 0; i--) {
    Track *t = g_ptr_array_index (self->tracks, i - 1);

    if (t->pad == NULL)
      g_ptr_array_remove_index (self->tracks, i - 1);
  }
  g_mutex_unlock (&self->lock);
  if (self->tracks->len == 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
        "the tracks changed: none matches the existing pads");
    return RUN_RETRY;
  }
  if (!self->pads_announced) {
    self->pads_announced = TRUE;
    gst_element_no_more_pads (GST_ELEMENT (self));
  }
  return RUN_STOPPED;
}

/* RTP-Info of the PLAY reply: the RTP timestamp each track starts at */
static void
apply_rtp_info (GstArclyRtspSrc * self, Response * r)
{
  gchar *v = arcly_rtsp_wire_dup_header (&r->msg, "RTP-Info");
  GArray *entries = arcly_rtsp_headers_parse_rtp_info (v);
  guint i, k;

  for (i = 0; entries && i < entries->len; i++) {
    const ArclyRtspRtpInfo *e = &g_array_index (entries, ArclyRtspRtpInfo, i);
    Track *t = NULL;

    for (k = 0; e->url && k < self->tracks->len && t == NULL; k++) {
      Track *c = g_ptr_array_index (self->tracks, k);

      if (arcly_rtsp_headers_rtp_info_matches (e->url, c->control_url,
              c->sdp->control))
        t = c;
    }
    if (t && e->have_rtptime) {
      t->sync.have_rtpinfo = TRUE;
      t->sync.rtpinfo_ts = e->rtptime;
    }
  }
  if (entries)
    g_array_unref (entries);
  g_free (v);
}

static gboolean
send_play (GstArclyRtspSrc * self, gboolean * fatal, GError ** error)
{
  Response *r = do_request (self, "PLAY", self->base_url,
      self->live_range ? "Range: npt=now-\r\n" : "Range: npt=0.000-\r\n",
      fatal, error);

  if (r == NULL)
    return FALSE;
  if (!status_ok (r)) {
    set_status_error (self, "PLAY", r, error);
    response_free (r);
    return FALSE;
  }
  apply_session (self, r);
  apply_rtp_info (self, r);
  response_free (r);
  return TRUE;
}

static void
send_receiver_reports (GstArclyRtspSrc * self)
{
  guint i;

  for (i = 0; i < self->tracks->len; i++) {
    Track *t = g_ptr_array_index (self->tracks, i);
    guint8 pkt[4 + 160];
    ArclyRtcpReportBlock b = { 0, };
    gsize n;
    GError *err = NULL;

    if (t->have_ssrc && t->seq.have) {
      b.ssrc = t->remote_ssrc;
      arcly_rtp_seq_fill_report (&t->seq, &b);
      arcly_sync_fill_report (&t->sync, g_get_monotonic_time (), &b);
    }
    n = arcly_rtcp_build_rr (pkt + 4, sizeof (pkt) - 4, self->our_ssrc,
        t->seq.have ? &b : NULL, "arclyrtspsrc");
    if (n == 0)
      continue;
    pkt[0] = '$';
    pkt[1] = t->rtcp_ch;
    pkt[2] = (guint8) (n >> 8);
    pkt[3] = (guint8) n;
    if (!send_all (self, pkt, n + 4, &err)) {
      GST_DEBUG_OBJECT (self, "sending RR: %s", err->message);
      g_clear_error (&err);
    }
  }
}

static gboolean
send_keepalive (GstArclyRtspSrc * self, GError ** error)
{
  guint cseq;

  /* a camera that never answered the last GET_PARAMETER ignores it */
  if (self->ka_cseq >= 0 && self->ka_get_parameter) {
    GST_INFO_OBJECT (self, "GET_PARAMETER unanswered, keep-alive with "
        "OPTIONS from now on");
    self->use_get_parameter = FALSE;
  }
  self->ka_get_parameter = self->use_get_parameter;
  if (!send_request (self, self->use_get_parameter ? "GET_PARAMETER" :
          "OPTIONS", self->base_url, NULL, &cseq, error))
    return FALSE;
  self->ka_cseq = cseq;
  return TRUE;
}

static void
update_bitrates (GstArclyRtspSrc * self, gint64 now)
{
  gint64 dt = now - self->last_tick_us;
  guint i;

  if (dt < G_TIME_SPAN_SECOND)
    return;
  g_mutex_lock (&self->lock);
  for (i = 0; i < self->tracks->len; i++) {
    Track *t = g_ptr_array_index (self->tracks, i);

    t->bitrate = (guint) MIN (G_MAXUINT, (t->bytes - t->bytes_at_tick) * 8 *
        G_TIME_SPAN_SECOND / dt);
    t->bytes_at_tick = t->bytes;
  }
  g_mutex_unlock (&self->lock);
  self->last_tick_us = now;
}

/* Streams until stopped or failed. */
static RunResult
session_stream (GstArclyRtspSrc * self, guint keep_alive_ms, GError ** error)
{
  gboolean played = FALSE, fatal = FALSE;
  gint64 ka_interval;

  self->last_data_us = self->last_rr_us = self->last_ka_us =
      self->last_tick_us = g_get_monotonic_time ();
  for (;;) {
    GstFlowReturn flow = GST_FLOW_OK;
    ProcResult pr;
    gboolean playing;
    gint64 now;
    gssize n;

    g_mutex_lock (&self->lock);
    playing = self->playing;
    g_mutex_unlock (&self->lock);
    if (is_stopping (self))
      return RUN_STOPPED;

    if (playing && !played) {
      guint i;

      if (!send_play (self, &fatal, error))
        return fatal ? RUN_FATAL : RUN_RETRY;
      played = TRUE;
      self->was_playing = TRUE;
      for (i = 0; i < self->pads->len; i++)
        ((PadState *) g_ptr_array_index (self->pads, i))->discont = TRUE;
      set_state (self, STATE_PLAYING, NULL);
      post_connected (self);
      self->last_data_us = g_get_monotonic_time ();
    }

    pr = process_input (self, -1, NULL, &flow, error);
    if (pr == PROC_ERROR)
      return RUN_RETRY;
    if (pr == PROC_FLOW) {
      if (flow == GST_FLOW_FLUSHING)
        return RUN_STOPPED;
      if (flow == GST_FLOW_NOT_LINKED || flow < GST_FLOW_EOS) {
        GST_ELEMENT_FLOW_ERROR (self, flow);
        g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED,
            "streaming stopped: %s", gst_flow_get_name (flow));
        return RUN_FATAL;
      }
      if (flow == GST_FLOW_EOS)
        return RUN_STOPPED;
    }

    now = g_get_monotonic_time ();
    if (played) {
      if (now - self->last_data_us > self->timeout_us) {
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
            "no data for %u ms", (guint) (self->timeout_us / 1000));
        return RUN_RETRY;
      }
      if (now - self->last_rr_us >= RR_INTERVAL_US) {
        send_receiver_reports (self);
        self->last_rr_us = now;
      }
      update_bitrates (self, now);
    }
    /* keep-alive also while PAUSED (session set up, not playing) */
    ka_interval = keep_alive_ms ? ms_to_us (keep_alive_ms) :
        (gint64) self->session_timeout * G_TIME_SPAN_SECOND / 2;
    /* A camera that lists GET_PARAMETER and then ignores it: waiting for
     * the next interval would reach the session timeout on the server, so
     * an unanswered one is followed sooner (send_keepalive() switches to
     * OPTIONS). */
    if (self->ka_cseq >= 0 && self->ka_get_parameter)
      ka_interval = MIN (self->timeout_us, ka_interval / 2);
    if (now - self->last_ka_us >= ka_interval) {
      if (!send_keepalive (self, error))
        return RUN_RETRY;
      self->last_ka_us = now;
    }

    n = read_some (self, WAIT_SLICE_US, error);
    if (n < 0) {
      if (g_error_matches (*error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return RUN_STOPPED;
      return RUN_RETRY;
    }
  }
}

static void
send_teardown (GstArclyRtspSrc * self)
{
  GError *err = NULL;

  if (!arcly_rtsp_conn_is_open (&self->io) || self->session_id == NULL)
    return;
  /* fire and forget: the reply is not waited for */
  if (!send_request (self, "TEARDOWN", self->base_url, NULL, NULL, &err)) {
    GST_DEBUG_OBJECT (self, "TEARDOWN: %s", err->message);
    g_clear_error (&err);
  }
}

static void
reset_session (GstArclyRtspSrc * self)
{
  close_connection (self);
  g_clear_pointer (&self->session_id, g_free);
  g_clear_pointer (&self->base_url, g_free);
  g_clear_pointer (&self->auth, arcly_auth_session_free);
  self->session_timeout = DEFAULT_SESSION_TIMEOUT;
  self->ka_cseq = -1;
  self->cseq = 0;
  self->fail_status = 0;
  self->was_playing = FALSE;
}

/* One connection: connect, set up, stream. */
static RunResult
session_run (GstArclyRtspSrc * self, ArclyRtspStreams streams,
    guint keep_alive_ms, GError ** error)
{
  RunResult res;

  reset_session (self);
  self->auth = arcly_auth_session_new ();
  self->our_ssrc = g_random_int ();
  set_state (self, STATE_CONNECTING, NULL);
  if (!connect_socket (self, error))
    return RUN_RETRY;

  res = session_setup (self, streams, error);
  if (res == RUN_STOPPED && !is_stopping (self))
    res = session_stream (self, keep_alive_ms, error);
  if (res == RUN_STOPPED)
    send_teardown (self);
  close_connection (self);
  return res;
}

static void
post_reconnecting (GstArclyRtspSrc * self, guint attempt, guint delay_ms,
    const gchar * reason)
{
  GstStructure *s = gst_structure_new ("arcly-rtsp-reconnecting",
      "url", G_TYPE_STRING, self->display_url,
      "attempt", G_TYPE_UINT, attempt,
      "delay", G_TYPE_UINT64, (guint64) delay_ms * GST_MSECOND,
      "delay-ms", G_TYPE_UINT, delay_ms,
      "reason", G_TYPE_STRING, reason, NULL);

  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), s));
}

static void
push_eos (GstArclyRtspSrc * self)
{
  guint i;

  for (i = 0; i < self->pads->len; i++) {
    PadState *ps = g_ptr_array_index (self->pads, i);

    gst_pad_push_event (ps->pad, gst_event_new_eos ());
  }
}

static gpointer
worker (gpointer data)
{
  GstArclyRtspSrc *self = data;
  guint attempt = 0, backoff_ms, backoff_max_ms, keep_alive_ms;
  gint max_retries;
  ArclyRtspStreams streams;

  GST_OBJECT_LOCK (self);
  backoff_ms = self->backoff_ms;
  backoff_max_ms = MAX (self->backoff_max_ms, self->backoff_ms);
  max_retries = self->max_retries;
  keep_alive_ms = self->keep_alive_ms;
  streams = self->streams;
  GST_OBJECT_UNLOCK (self);

  for (;;) {
    GError *err = NULL;
    RunResult res = session_run (self, streams, keep_alive_ms, &err);
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
    if (stop || res == RUN_STOPPED) {
      g_clear_error (&err);
      break;
    }
    reason = g_strdup (err ? err->message : "unknown error");
    g_clear_error (&err);
    if (res == RUN_FATAL) {
      GST_WARNING_OBJECT (self, "giving up: %s", reason);
      set_state (self, STATE_FAILED, reason);
      g_free (reason);
      break;
    }
    if (self->was_playing)
      attempt = 0;              /* a session that streamed resets backoff */
    attempt++;
    if (max_retries >= 0 && attempt > (guint) max_retries) {
      set_state (self, STATE_FAILED, reason);
      GST_ELEMENT_ERROR_WITH_DETAILS (self, RESOURCE, OPEN_READ,
          ("Could not connect to the RTSP server."),
          ("%s: %s (after %d retries)", self->display_url, reason,
              max_retries), ("rtsp-status-code", G_TYPE_UINT,
              self->fail_status, NULL));
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
    g_free (reason);

    until = g_get_monotonic_time () + (gint64) delay * 1000;
    g_mutex_lock (&self->lock);
    while (!self->stopping && !self->eos_requested) {
      if (!g_cond_wait_until (&self->cond, &self->lock, until))
        break;
    }
    g_mutex_unlock (&self->lock);
  }

  reset_session (self);
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
  gchar *location, *user_id, *user_pw;

  GST_OBJECT_LOCK (self);
  location = g_strdup (self->location);
  user_id = g_strdup (self->user_id);
  user_pw = g_strdup (self->user_pw);
  self->latency = (GstClockTime) self->latency_ms * GST_MSECOND;
  self->timeout_us = ms_to_us (MAX (self->timeout_ms, 100));
  g_free (self->ua);
  self->ua = g_strdup (self->user_agent ? self->user_agent :
      DEFAULT_PROP_USER_AGENT);
  GST_OBJECT_UNLOCK (self);

  if (location == NULL) {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        ("No RTSP location given."), ("set the location property"));
    goto fail;
  }
  arcly_rtsp_url_clear (&self->url);
  if (!arcly_rtsp_url_parse (location, &self->url, &err)) {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        ("Invalid RTSP location."), ("%s", err->message));
    g_clear_error (&err);
    goto fail;
  }
  g_free (self->request_uri);
  self->request_uri = arcly_rtsp_url_to_request_uri (&self->url);
  g_free (self->display_url);
  self->display_url = g_strdup (self->request_uri);
  g_free (self->user);
  g_free (self->password);
  self->user = g_strdup (user_id ? user_id : self->url.user);
  self->password = g_strdup (user_pw ? user_pw : self->url.password);
  GST_DEBUG_OBJECT (self, "starting on %s", self->display_url);

  if (self->combiner == NULL)
    self->combiner = gst_flow_combiner_new ();
  arcly_sync_init (&self->sync, self->latency);
  self->group_id = gst_util_group_id_next ();

  g_mutex_lock (&self->lock);
  self->stopping = FALSE;
  self->eos_requested = FALSE;
  self->worker_done = FALSE;
  self->reconnects = 0;
  self->state = STATE_CONNECTING;
  g_clear_pointer (&self->last_error, g_free);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  g_clear_object (&self->wake);
  self->wake = g_cancellable_new ();
  g_mutex_unlock (&self->lock);

  self->thread = g_thread_new ("arclyrtspsrc", worker, self);
  g_free (location);
  g_free (user_id);
  g_free (user_pw);
  return TRUE;

fail:
  g_free (location);
  g_free (user_id);
  g_free (user_pw);
  return FALSE;
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
  g_cancellable_cancel (self->wake);
  /* let it send TEARDOWN; then cut every blocking call short */
  until = g_get_monotonic_time () + STOP_GRACE_MS * G_TIME_SPAN_MILLISECOND;
  while (!self->worker_done) {
    if (!g_cond_wait_until (&self->cond, &self->lock, until))
      break;
  }
  g_mutex_unlock (&self->lock);
  g_cancellable_cancel (self->cancellable);
  g_thread_join (self->thread);
  self->thread = NULL;

  g_mutex_lock (&self->lock);
  g_ptr_array_set_size (self->tracks, 0);
  self->state = STATE_IDLE;
  g_mutex_unlock (&self->lock);
  for (i = 0; i < self->pads->len; i++) {
    PadState *ps = g_ptr_array_index (self->pads, i);

    gst_flow_combiner_remove_pad (self->combiner, ps->pad);
    gst_pad_set_active (ps->pad, FALSE);
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
      if (self->wake)
        g_cancellable_cancel (self->wake);
      g_mutex_unlock (&self->lock);
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
    if (self->wake)
      g_cancellable_cancel (self->wake);
    g_mutex_unlock (&self->lock);
    gst_event_unref (event);
    return TRUE;
  }
  return GST_ELEMENT_CLASS (gst_arcly_rtsp_src_parent_class)->send_event
      (element, event);
}

/* ------------------------------------------------------------------ */
/* properties */

static GstStructure *
build_stats (GstArclyRtspSrc * self)
{
  GstStructure *s;
  GValue arr = G_VALUE_INIT;
  guint i, total = 0;
  guint64 packets = 0, bytes = 0;

  g_value_init (&arr, GST_TYPE_ARRAY);
  g_mutex_lock (&self->lock);
  for (i = 0; i < self->tracks->len; i++) {
    Track *t = g_ptr_array_index (self->tracks, i);
    GValue v = G_VALUE_INIT;
    GstStructure *ts = gst_structure_new ("arcly-rtsp-track",
        "pad", G_TYPE_STRING, t->pad ? GST_PAD_NAME (t->pad) : "",
        "media", G_TYPE_STRING, t->sdp->type == ARCLY_RTSP_TRACK_VIDEO ?
        "video" : "audio",
        "encoding-name", G_TYPE_STRING, t->sdp->encoding_name,
        "packets", G_TYPE_UINT64, t->packets,
        "bytes", G_TYPE_UINT64, t->bytes,
        "bitrate", G_TYPE_UINT, t->bitrate, NULL);

    g_value_init (&v, GST_TYPE_STRUCTURE);
    g_value_take_boxed (&v, ts);
    gst_value_array_append_and_take_value (&arr, &v);
    total += t->bitrate;
    packets += t->packets;
    bytes += t->bytes;
  }
  s = gst_structure_new ("arcly-rtsp-stats",
      "state", G_TYPE_STRING, state_names[self->state],
      "reconnects", G_TYPE_UINT, self->reconnects,
      "packets", G_TYPE_UINT64, packets,
      "bytes", G_TYPE_UINT64, bytes,
      "bitrate", G_TYPE_UINT, total,
      "last-error", G_TYPE_STRING, self->last_error ? self->last_error : "",
      NULL);
  g_mutex_unlock (&self->lock);
  gst_structure_take_value (s, "tracks", &arr);
  return s;
}

static void
gst_arcly_rtsp_src_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstArclyRtspSrc *self = GST_ARCLY_RTSP_SRC (object);

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
    case PROP_STREAMS:
      self->streams = g_value_get_enum (value);
      break;
    case PROP_USER_AGENT:
      g_free (self->user_agent);
      self->user_agent = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
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
    case PROP_STREAMS:
      g_value_set_enum (value, self->streams);
      break;
    case PROP_USER_AGENT:
      g_value_set_string (value, self->user_agent);
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
  reset_session (self);
  g_free (self->location);
  g_free (self->user_id);
  g_free (self->user_pw);
  g_free (self->user_agent);
  g_free (self->ua);
  g_free (self->last_error);
  g_free (self->request_uri);
  g_free (self->display_url);
  g_free (self->user);
  g_free (self->password);
  arcly_rtsp_url_clear (&self->url);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->wake);
  g_ptr_array_unref (self->tracks);
  g_ptr_array_unref (self->pads);
  arcly_rtsp_conn_clear (&self->io);
  if (self->combiner)
    gst_flow_combiner_free (self->combiner);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  G_OBJECT_CLASS (gst_arcly_rtsp_src_parent_class)->finalize (object);
}

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
  self->streams = DEFAULT_PROP_STREAMS;
  self->user_agent = g_strdup (DEFAULT_PROP_USER_AGENT);
  self->tracks = g_ptr_array_new_with_free_func ((GDestroyNotify) track_free);
  self->pads = g_ptr_array_new_with_free_func ((GDestroyNotify)
      pad_state_free);
  self->session_timeout = DEFAULT_SESSION_TIMEOUT;
  self->ka_cseq = -1;
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
          "rtsp:// URL of the stream; user:password@ in it are used for "
          "authentication and never logged", DEFAULT_PROP_LOCATION, rw));
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
  g_object_class_install_property (gobject_class, PROP_STREAMS,
      g_param_spec_enum ("streams", "Streams",
          "Which media tracks to set up", GST_TYPE_ARCLY_RTSP_STREAMS,
          DEFAULT_PROP_STREAMS, rw));
  g_object_class_install_property (gobject_class, PROP_USER_AGENT,
      g_param_spec_string ("user-agent", "User agent",
          "User-Agent header sent with every request",
          DEFAULT_PROP_USER_AGENT, rw));
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
      "RTSP client over TCP-interleaved transport with Basic/Digest auth, "
      "keep-alive and reconnection", "gst-arcly developers");
  gst_type_mark_as_plugin_api (GST_TYPE_ARCLY_RTSP_STREAMS, 0);
}
