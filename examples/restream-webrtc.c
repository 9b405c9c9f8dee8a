/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * WebRTC for arcly-restream: WHEP out (a viewer plays a stream key) and
 * WHIP in (a browser or OBS publishes one).  webrtcbin (gst-plugins-bad,
 * libnice) does ICE, DTLS and SRTP; this file only builds the pipelines
 * and answers the HTTP side (draft-ietf-wish-whep / RFC 9725).
 *
 * WHEP, one pipeline per viewer:
 *
 *   arclybussrc stream-key=NAME ─video→ [retime, keyframe replay] → rtph264pay ─┐
 *                               └audio→ avdec_aac → … → opusenc → rtpopuspay ─┴→ webrtcbin
 *
 *   POST /whep/NAME (application/sdp offer) → 201, the SDP answer with all
 *   of our ICE candidates (we wait for gathering to complete), Location:
 *   /whep/NAME/ID.  DELETE on it ends the session.  PATCH (trickle ICE) is
 *   405: every candidate is in the answer, and the browser's own are learnt
 *   as peer-reflexive candidates from its connectivity checks.
 *
 *   H.264 is passed through (packetization-mode=1, the payload type of the
 *   browser's offer for the camera's profile); AAC is transcoded to Opus in
 *   the viewer's branch (bench/RESULTS.md: the encoder costs about 1 % of a
 *   core per viewer); G.711 is passed through as PCMU/PCMA when offered.
 *   Other video (H.265) is not sent: the viewer gets the audio, and one
 *   line says why.
 *
 *   The first frames come from the key's GOP cache in a burst; they are
 *   retimed so that the burst plays at once and the live frames after it
 *   keep their spacing (see retime_buffer()).  A PLI or FIR from the
 *   browser (a GstForceKeyUnit event coming up from webrtcbin's RTP
 *   session) is answered by replaying the cached GOP (keyframe and the
 *   frames after it, retimed to now), since a camera cannot be asked for a
 *   keyframe.  NACKs are answered by webrtcbin's RTX (do-nack).
 *
 * WHIP, one pipeline per publisher:
 *
 *   webrtcbin ─H264→ rtph264depay → h264parse ───────────────────────┐
 *             └OPUS→ rtpopusdepay → opusdec → … → voaacenc → aacparse ┴→ arclybussink stream-key=NAME
 *
 *   POST /whip/NAME (Authorization: Bearer TOKEN when --whip-token is set)
 *   → 201 + answer + Location; a second publisher of a key being published
 *   gets 409.
 *
 * A session ends on DELETE, when ICE fails, when the peer says BYE or its
 * RTCP times out (a closed page), and when arcly-restream stops.
 *
 * Test hooks, for tests only: with ARCLY_WEBRTC_TEST_HOOKS in the
 * environment a WHEP POST may carry "X-Arcly-Test-Loss: PERCENT" (that
 * share of the viewer's RTP dropped before SRTP) or "X-Arcly-Test-Outage:
 * MS" (all of its RTP dropped that long, once, and the retransmissions of
 * the video packets dropped: see lossy()) and "X-Arcly-Test-Replay-Max:
 * FRAMES" (a smaller GOP copy for keyframe requests).  Without the
 * variable the headers are ignored.
 *
 * Threads: HTTP, bus watches and teardown run in the GLib main context.
 * arclybussrc's pad-added/no-more-pads (its control thread) only build the
 * viewer's branch; webrtcbin's and rtpbin's signals only post application
 * messages to the session's bus.  The pad probes (delivery threads) own
 * Retime and Replay, each under its own lock; no lock is held across a
 * push except in replay_gop(), which holds none either (it pushes from the
 * probe with the queue copied out).
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#define GST_USE_UNSTABLE_API
#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>

#include "restream-webrtc.h"

#define ANSWER_TIMEOUT_MS 5000
#define REPLAY_MAX_FRAMES 300
#define WHIP_LATENCY_MS 200
/* a WHIP publisher whose media stopped this long is gone when an SSRC of
 * it times out */
#define WHIP_QUIET_S 3
/* Frames of a burst (the cache, a replay) get timestamps at least this far
 * apart: a browser takes frames with one RTP timestamp for one picture
 * (Chromium then showed nothing at times). */
#define BURST_SPACING (GST_MSECOND)
#define MSG_STREAMS "arcly-webrtc-streams"
#define MSG_GATHERED "arcly-webrtc-gathered"
#define MSG_CANDIDATE "arcly-webrtc-candidate"
/* After the first local candidate, the others of a host (its interfaces)
 * follow within a few ms: answer then rather than wait for libnice's
 * end of gathering (~200 ms). */
#define CANDIDATE_GRACE_MS 30
/* A browser sends a keyframe only when asked: HLS needs one per segment,
 * and a subscriber that lagged waits for the next one. */
#define WHIP_KEYFRAME_INTERVAL_S 2
#define MSG_STATE "arcly-webrtc-state"
#define MSG_BYE "arcly-webrtc-bye"

typedef enum
{
  SESSION_WHEP,
  SESSION_WHIP,
} SessionKind;

typedef struct _Session Session;

/* One clock for a viewer's streams (video and audio share it: A/V sync). */
typedef struct
{
  GMutex lock;
  gboolean have_lead;
  GstClockTimeDiff lead;        /* most (pts - now) seen: the bus's delay */
  GstClockTime last_out[2];     /* per stream, for monotonic output */
  GstClockTime video_start;     /* input pts of the first video frame */
} Retime;

/* The GOP seen by this viewer, to answer a keyframe request. */
typedef struct
{
  GMutex lock;
  GQueue gop;                   /* (lock) buffers since the last keyframe */
  gint pending;                 /* atomic: keyframe requests to answer */
  gboolean overflow;            /* (lock) the GOP outgrew the queue */
  gint replays;                 /* atomic: GOPs replayed */
  gboolean replaying;           /* delivery thread only */
  GstClockTime key_pts;         /* delivery thread: input pts of its key */
} Replay;

struct _Session
{
  RestreamWebrtc *owner;
  SessionKind kind;
  gchar *id;
  gchar *key;
  gchar *location;
  GstElement *pipeline;
  GstElement *webrtc;
  GstElement *pub;              /* WHIP: arclybussink */
  GstPad *pub_pad[2];           /* WHIP: its video and audio sink pads */
  gpointer whip_video;          /* WHIP: (atomic, ref) webrtcbin's H.264 pad */
  gint whip_last_data;          /* WHIP: (atomic) monotonic seconds of its
                                 * last received media buffer, 0: none yet */
  guint keyframe_id;            /* WHIP: the keyframe request timer */
  GstSDPMessage *offer;
  gint video_mline, audio_mline;        /* offer m-lines, -1: none */
  gint video_pt, audio_pt;
  const gchar *audio_codec;     /* "OPUS", "PCMU", "PCMA" */
  SoupServerMessage *msg;       /* the POST waiting for its answer */
  guint bus_watch;
  guint timeout_id;
  gboolean negotiating, answered;
  gboolean grace;               /* the answer waits for more candidates */
  guint loss_percent;           /* test hook: RTP dropped on the wire */
  guint outage_ms;              /* test hook: all RTP dropped that long */
  gint64 outage_from;           /* monotonic us, set before outage_set */
  gint outage_set;              /* atomic */
  gint outage_seq[2];           /* atomic: video seqnums dropped, -1 none */
  guint replay_max;             /* frames of a GOP kept (test hook: less) */
  gint64 t_start;               /* monotonic us of the POST */
  gint sent_packets;            /* atomic, for the loss hook */
  Retime retime;
  Replay replay;
};

struct _RestreamWebrtc
{
  gchar *stun_server;
  gchar *public_ip;
  gchar *whip_token;
  RestreamWebrtcKeyFunc key_func;
  gpointer user_data;
  GHashTable *sessions;         /* id → Session */
  guint next_id;
  gboolean test_hooks;
};

static void session_end (Session * s, const gchar * why, gboolean from_watch);
static void session_negotiate (Session * s);
static gboolean on_answer_timeout (gpointer data);

/* ------------------------------------------------------------ SDP */

/* Payload type of @media's codec @encoding ("H264", "opus", …) whose fmtp
 * passes @accept (NULL: any), or -1. */
static gint
media_find_pt (const GstSDPMedia * media, const gchar * encoding,
    gint (*score) (const gchar * fmtp, gpointer data), gpointer data)
{
  gint best = -1, best_score = -1;
  guint i, j;

  for (i = 0; i < gst_sdp_media_attributes_len (media); i++) {
    const GstSDPAttribute *a = gst_sdp_media_get_attribute (media, i);
    gchar **f;
    gint pt, sc = 0;

    if (g_strcmp0 (a->key, "rtpmap") != 0 || a->value == NULL)
      continue;
    f = g_strsplit_set (a->value, " /", 3);
    if (g_strv_length (f) < 2 || g_ascii_strcasecmp (f[1], encoding) != 0) {
      g_strfreev (f);
      continue;
    }
    pt = atoi (f[0]);
    g_strfreev (f);
    if (score) {
      const gchar *fmtp = "";
      gchar *prefix = g_strdup_printf ("%d ", pt);

      for (j = 0; j < gst_sdp_media_attributes_len (media); j++) {
        const GstSDPAttribute *b = gst_sdp_media_get_attribute (media, j);

        if (g_strcmp0 (b->key, "fmtp") == 0 && b->value &&
            g_str_has_prefix (b->value, prefix))
          fmtp = b->value + strlen (prefix);
      }
      g_free (prefix);
      sc = score (fmtp, data);
    }
    if (sc > best_score) {
      best = pt;
      best_score = sc;
    }
  }
  return best;
}

/* H.264: packetization-mode=1 only (we send FU-A); the camera's profile
 * (@data: a profile-level-id prefix such as "42e0") preferred. */
static gint
h264_score (const gchar * fmtp, gpointer data)
{
  const gchar *want = data;
  const gchar *pli = strstr (fmtp, "profile-level-id=");

  if (strstr (fmtp, "packetization-mode=1") == NULL)
    return -1;
  if (pli && want && g_ascii_strncasecmp (pli + 17, want, 4) == 0)
    return 2;
  return 1;
}

/* The m-line index of the first @kind ("video", "audio") media, or -1. */
static gint
offer_find_media (const GstSDPMessage * sdp, const gchar * kind)
{
  guint i;

  for (i = 0; i < gst_sdp_message_medias_len (sdp); i++)
    if (g_strcmp0 (gst_sdp_media_get_media (gst_sdp_message_get_media (sdp,
                    i)), kind) == 0)
      return i;
  return -1;
}

/* "42e0" for a constrained-baseline camera, from its caps. */
static const gchar *
h264_profile_prefix (const GstCaps * caps)
{
  const GstStructure *st = gst_caps_get_structure (caps, 0);
  const gchar *profile = gst_structure_get_string (st, "profile");
  const GValue *cd = gst_structure_get_value (st, "codec_data");

  if (profile == NULL && cd && G_VALUE_HOLDS (cd, GST_TYPE_BUFFER)) {
    GstMapInfo map;
    static gchar buf[5];

    /* avcC: version, profile_idc, constraint flags, level */
    if (gst_buffer_map (gst_value_get_buffer (cd), &map, GST_MAP_READ)) {
      if (map.size >= 4)
        g_snprintf (buf, sizeof buf, "%02x%02x", map.data[1], map.data[2]);
      gst_buffer_unmap (gst_value_get_buffer (cd), &map);
      if (buf[0])
        return buf;
    }
  }
  if (g_strcmp0 (profile, "baseline") == 0)
    return "4200";
  if (g_strcmp0 (profile, "main") == 0)
    return "4d00";
  if (g_strcmp0 (profile, "high") == 0)
    return "6400";
  return "42e0";                /* what browsers decode everywhere */
}

/* NAT: the same host candidates again on the public address (a 1:1 NAT
 * or a forwarded UDP port range maps them to ours). */
static gchar *
answer_add_public_ip (const gchar * sdp, const gchar * public_ip)
{
  GString *out = g_string_new (NULL);
  gchar **lines = g_strsplit (sdp, "\r\n", -1);
  guint i;

  for (i = 0; lines[i]; i++) {
    gchar **f;

    if (lines[i][0] == '\0' && lines[i + 1] == NULL)
      break;
    g_string_append_printf (out, "%s\r\n", lines[i]);
    if (!g_str_has_prefix (lines[i], "a=candidate:") ||
        strstr (lines[i], " typ host") == NULL)
      continue;
    /* a=candidate:FOUNDATION COMPONENT udp PRIORITY ADDRESS PORT typ host */
    f = g_strsplit (lines[i] + 12, " ", -1);
    if (g_strv_length (f) >= 8 && g_ascii_strcasecmp (f[2], "udp") == 0)
      g_string_append_printf (out, "a=candidate:%s9 %s udp %u %s %s typ host"
          "\r\n", f[0], f[1], (guint) (g_ascii_strtoull (f[3], NULL, 10) -
              1), public_ip, f[5]);
    g_strfreev (f);
  }
  g_strfreev (lines);
  return g_string_free (out, FALSE);
}

/* ------------------------------------------------- retime and replay */

/* The bus hands a new subscriber its GOP cache at once, timestamped as
 * it was recorded: its live frames then run a GOP's age ahead of the
 * clock, which a browser turns into as much latency.  The most any buffer
 * ran ahead (`lead`) is that delay; taking it off makes the cached burst
 * land at "now" and the live frames follow at their own spacing. */
static GstBuffer *
retime_buffer (Session * s, GstBuffer * buf, guint index)
{
  Retime *r = &s->retime;
  GstClockTime now = gst_element_get_current_running_time (s->pipeline);
  GstClockTime pts = GST_BUFFER_PTS (buf), out;
  GstClockTimeDiff lead;

  if (!GST_CLOCK_TIME_IS_VALID (pts) || !GST_CLOCK_TIME_IS_VALID (now))
    return buf;
  lead = GST_CLOCK_DIFF (now, pts);
  g_mutex_lock (&r->lock);
  if (!r->have_lead || lead > r->lead) {
    r->lead = lead;
    r->have_lead = TRUE;
  }
  out = pts - MIN ((GstClockTime) MAX (r->lead, 0), pts);
  if (GST_CLOCK_TIME_IS_VALID (r->last_out[index]) &&
      out < r->last_out[index] + BURST_SPACING)
    out = r->last_out[index] + BURST_SPACING;
  r->last_out[index] = out;
  g_mutex_unlock (&r->lock);
  if (out == pts)
    return buf;
  buf = gst_buffer_make_writable (buf); /* the bus shares its buffers */
  if (GST_CLOCK_TIME_IS_VALID (GST_BUFFER_DTS (buf)))
    GST_BUFFER_DTS (buf) = out;
  GST_BUFFER_PTS (buf) = out;
  return buf;
}

/* Pushes the frames of the GOP again (keyframe first), before @next, each
 * BURST_SPACING after the previous picture; returns @next retimed after
 * them, so the browser's decoder restarts at the keyframe and catches up
 * at once. */
static GstBuffer *
replay_gop (Session * s, GstPad * pad, GstBuffer * next)
{
  Replay *rp = &s->replay;
  GQueue copy = G_QUEUE_INIT;
  GstClockTime t;
  GstBuffer *b;
  gboolean first = TRUE;

  /* a cut GOP would end in frames whose references were never sent: the
   * browser then waits for the camera's next keyframe */
  g_mutex_lock (&rp->lock);
  for (GList * l = rp->gop.head; l && !rp->overflow; l = l->next)
    g_queue_push_tail (&copy, gst_buffer_ref (l->data));
  g_mutex_unlock (&rp->lock);
  g_mutex_lock (&s->retime.lock);
  t = s->retime.last_out[0];
  g_mutex_unlock (&s->retime.lock);
  if (copy.length == 0 || !GST_CLOCK_TIME_IS_VALID (t))
    goto done;
  rp->replaying = TRUE;
  while ((b = g_queue_pop_head (&copy))) {
    b = gst_buffer_make_writable (b);
    t += BURST_SPACING;
    GST_BUFFER_PTS (b) = t;
    if (GST_CLOCK_TIME_IS_VALID (GST_BUFFER_DTS (b)))
      GST_BUFFER_DTS (b) = t;
    if (first)
      GST_BUFFER_FLAG_SET (b, GST_BUFFER_FLAG_DISCONT);
    first = FALSE;
    if (gst_pad_push (pad, b) != GST_FLOW_OK)
      break;
  }
  rp->replaying = FALSE;
  g_atomic_int_inc (&rp->replays);
  g_mutex_lock (&s->retime.lock);
  t += BURST_SPACING;
  if (t > s->retime.last_out[0]) {
    s->retime.last_out[0] = t;
    next = gst_buffer_make_writable (next);
    GST_BUFFER_PTS (next) = t;
    if (GST_CLOCK_TIME_IS_VALID (GST_BUFFER_DTS (next)))
      GST_BUFFER_DTS (next) = t;
  }
  g_mutex_unlock (&s->retime.lock);
done:
  g_queue_clear_full (&copy, (GDestroyNotify) gst_buffer_unref);
  return next;
}

/* Test hook (X-Arcly-Test-Outage, see lossy()): the outage starts once
 * the session is 2 s old, on a frame 1-4 s after its GOP's keyframe, so
 * with a long GOP the camera's next keyframe is seconds away and only the
 * replay can end the freeze. */
static void
outage_maybe_start (Session * s, GstBuffer * buf)
{
  GstClockTime pts = GST_BUFFER_PTS (buf), key = s->replay.key_pts;
  gint64 now = g_get_monotonic_time ();

  if (g_atomic_int_get (&s->outage_set) || now - s->t_start < 2 *
      G_USEC_PER_SEC || !GST_CLOCK_TIME_IS_VALID (pts) ||
      !GST_CLOCK_TIME_IS_VALID (key) || pts < key + GST_SECOND ||
      pts >= key + 4 * GST_SECOND)
    return;
  s->outage_from = now;
  g_atomic_int_set (&s->outage_set, 1);
  g_print ("arcly-restream: test hook: WHEP session %s: all RTP dropped for "
      "%u ms, %" G_GUINT64_FORMAT " ms after a keyframe, and their RTX\n",
      s->id, s->outage_ms, (guint64) ((pts - key) / GST_MSECOND));
}

static GstPadProbeReturn
on_video_buffer (GstPad * pad, GstPadProbeInfo * info, Session * s)
{
  Replay *rp = &s->replay;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  gboolean key = !GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);

  if (rp->replaying)
    return GST_PAD_PROBE_OK;
  if (key)
    rp->key_pts = GST_BUFFER_PTS (buf);
  if (s->outage_ms)
    outage_maybe_start (s, buf);
  g_mutex_lock (&s->retime.lock);
  if (!GST_CLOCK_TIME_IS_VALID (s->retime.video_start))
    s->retime.video_start = GST_BUFFER_PTS (buf);
  g_mutex_unlock (&s->retime.lock);
  buf = retime_buffer (s, buf, 0);
  GST_PAD_PROBE_INFO_DATA (info) = buf;
  if (!key && g_atomic_int_get (&rp->pending) > 0) {
    g_atomic_int_set (&rp->pending, 0);
    buf = replay_gop (s, pad, buf);
    GST_PAD_PROBE_INFO_DATA (info) = buf;
  } else if (key) {
    g_atomic_int_set (&rp->pending, 0); /* the camera's own answers it */
  }
  g_mutex_lock (&rp->lock);
  if (key) {
    g_queue_clear_full (&rp->gop, (GDestroyNotify) gst_buffer_unref);
    rp->overflow = FALSE;
  }
  if (rp->gop.length >= s->replay_max)
    rp->overflow = TRUE;
  else if (key || rp->gop.length > 0)
    g_queue_push_tail (&rp->gop, gst_buffer_ref (buf));
  g_mutex_unlock (&rp->lock);
  return GST_PAD_PROBE_OK;
}

/* Audio starts with the picture: the bus caches seconds of audio before
 * the keyframe, which a browser would wait to play out before the video
 * it keeps in sync with (it then showed no picture at all). */
static GstPadProbeReturn
on_audio_buffer (GstPad * pad, GstPadProbeInfo * info, Session * s)
{
  GstClockTime pts = GST_BUFFER_PTS (GST_PAD_PROBE_INFO_BUFFER (info));
  gboolean early;

  g_mutex_lock (&s->retime.lock);
  early = s->video_mline >= 0 && s->video_pt >= 0 &&
      (!GST_CLOCK_TIME_IS_VALID (s->retime.video_start) ||
      (GST_CLOCK_TIME_IS_VALID (pts) && pts < s->retime.video_start));
  g_mutex_unlock (&s->retime.lock);
  if (early)
    return GST_PAD_PROBE_DROP;
  GST_PAD_PROBE_INFO_DATA (info) =
      retime_buffer (s, GST_PAD_PROBE_INFO_BUFFER (info), 1);
  return GST_PAD_PROBE_OK;
}

/* A PLI/FIR from the browser, as rtpsession sends it upstream. */
static GstPadProbeReturn
on_upstream_event (GstPad * pad, GstPadProbeInfo * info, Session * s)
{
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);

  if (GST_EVENT_TYPE (event) == GST_EVENT_CUSTOM_UPSTREAM &&
      gst_event_has_name (event, "GstForceKeyUnit")) {
    g_atomic_int_inc (&s->replay.pending);
    return GST_PAD_PROBE_DROP;
  }
  return GST_PAD_PROBE_OK;
}

/* ------------------------------------------------------- WHEP branch */

static GstElement *
chain_make (GstBin * bin, const gchar * const *factories, GstPad * from,
    GstPad ** to)
{
  GstElement *first = NULL, *prev = NULL, *e = NULL;
  GstPad *src;
  guint i;

  for (i = 0; factories[i]; i++) {
    e = gst_element_factory_make (factories[i], NULL);
    if (e == NULL) {
      g_printerr ("arcly-restream: WebRTC: element %s is missing\n",
          factories[i]);
      return NULL;
    }
    gst_bin_add (bin, e);
    if (prev && !gst_element_link (prev, e))
      return NULL;
    if (!first)
      first = e;
    prev = e;
  }
  for (i = 0; factories[i]; i++);
  src = gst_element_get_static_pad (e, "src");
  if (gst_pad_link (src, *to) != GST_PAD_LINK_OK) {
    gst_object_unref (src);
    return NULL;
  }
  gst_object_unref (src);
  src = gst_element_get_static_pad (first, "sink");
  gst_pad_link (from, src);
  gst_object_unref (src);
  return first;
}

/* The element made by @factory after @first in its chain (NULL: the
 * last). */
static GstElement *
chain_find (GstElement * first, const gchar * factory)
{
  GstElement *e = gst_object_ref (first);

  for (;;) {
    GstElementFactory *f = gst_element_get_factory (e);
    GstPad *src = gst_element_get_static_pad (e, "src");
    GstPad *peer = src ? gst_pad_get_peer (src) : NULL;
    GstElement *next = peer ? gst_pad_get_parent_element (peer) : NULL;

    if (src)
      gst_object_unref (src);
    if (peer)
      gst_object_unref (peer);
    if ((factory && g_str_equal (GST_OBJECT_NAME (f), factory)) ||
        (factory == NULL && (next == NULL || next->numsinkpads == 0 ||
                GST_IS_BIN (next)))) {
      if (next)
        gst_object_unref (next);
      gst_object_unref (e);
      return e;                 /* still owned by the pipeline */
    }
    gst_object_unref (e);
    if (next == NULL)
      return NULL;
    e = next;
  }
}

static void
bin_sync_children (GstBin * bin)
{
  GstIterator *it = gst_bin_iterate_elements (bin);
  GValue v = G_VALUE_INIT;

  while (gst_iterator_next (it, &v) == GST_ITERATOR_OK) {
    gst_element_sync_state_with_parent (g_value_get_object (&v));
    g_value_reset (&v);
  }
  g_value_unset (&v);
  gst_iterator_free (it);
}

static GstPad *
webrtc_sink_pad (Session * s, gint mline)
{
  gchar *name = g_strdup_printf ("sink_%d", mline);
  GstPad *pad = gst_element_request_pad_simple (s->webrtc, name);

  g_free (name);
  return pad;
}

/* arclybussrc added a stream (its control thread). */
static void
on_stream_added (GstElement * src, GstPad * pad, Session * s)
{
  GstCaps *caps = gst_pad_get_current_caps (pad);
  const gchar *type = caps ? gst_structure_get_name (gst_caps_get_structure
      (caps, 0)) : "";
  GstBin *bin = GST_BIN (s->pipeline);
  GstPad *sink = NULL;
  GstElement *first = NULL;
  if (g_str_equal (type, "video/x-h264") && s->video_mline >= 0 &&
      s->video_pt < 0) {
    const GstSDPMedia *m = gst_sdp_message_get_media (s->offer,
        s->video_mline);
    const gchar *chain[] = { "rtph264pay", NULL };

    s->video_pt = media_find_pt (m, "H264", h264_score,
        (gpointer) h264_profile_prefix (caps));
    if (s->video_pt >= 0 && (sink = webrtc_sink_pad (s, s->video_mline))) {
      first = chain_make (bin, chain, pad, &sink);
      if (first) {
        GstPad *fsink = gst_element_get_static_pad (first, "sink");

        /* SPS/PPS before every IDR: browsers ignore sprop-parameter-sets */
        g_object_set (first, "pt", s->video_pt, "config-interval", -1, NULL);
        gst_util_set_object_arg (G_OBJECT (first), "aggregate-mode",
            "zero-latency");
        gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER,
            (GstPadProbeCallback) on_video_buffer, s, NULL);
        gst_pad_add_probe (fsink, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM,
            (GstPadProbeCallback) on_upstream_event, s, NULL);
        gst_object_unref (fsink);
      }
    } else if (s->video_pt < 0) {
      g_print ("arcly-restream: WHEP session %s of %s: no video: the browser "
          "offered no H.264 with packetization-mode=1\n", s->id, s->key);
    }
  } else if (g_str_has_prefix (type, "video/") && s->video_mline >= 0) {
    /* H.265: browsers offer it over WebRTC only with a hardware decoder,
     * if at all (headless Chromium does not), and we do not transcode */
    g_print ("arcly-restream: WHEP session %s of %s: no video: the camera "
        "sends %s and WebRTC out sends H.264 only (no transcoding); the "
        "viewer gets the audio alone\n", s->id, s->key,
        g_str_equal (type, "video/x-h265") ? "H.265" : type);
  } else if (g_str_has_prefix (type, "audio/") && s->audio_mline >= 0 &&
      s->audio_pt < 0) {
    const GstSDPMedia *m = gst_sdp_message_get_media (s->offer,
        s->audio_mline);
    gboolean mulaw = g_str_equal (type, "audio/x-mulaw");
    gboolean alaw = g_str_equal (type, "audio/x-alaw");
    const gchar *pcmu[] = { "rtppcmupay", NULL };
    const gchar *pcma[] = { "rtppcmapay", NULL };
    const gchar *opus[] = { mulaw ? "mulawdec" : alaw ? "alawdec" :
          "avdec_aac", "audioconvert", "audioresample", "opusenc",
      "rtpopuspay", NULL
    };
    const gchar *const *chain = opus;
    GstElement *pay;

    s->audio_codec = "OPUS";
    if (mulaw && (s->audio_pt = media_find_pt (m, "PCMU", NULL, NULL)) >= 0) {
      chain = pcmu;
      s->audio_codec = "PCMU";
    } else if (alaw &&
        (s->audio_pt = media_find_pt (m, "PCMA", NULL, NULL)) >= 0) {
      chain = pcma;
      s->audio_codec = "PCMA";
    } else if (mulaw || alaw || g_str_equal (type, "audio/mpeg")) {
      s->audio_pt = media_find_pt (m, "opus", NULL, NULL);
    }
    if (s->audio_pt >= 0 && (sink = webrtc_sink_pad (s, s->audio_mline))) {
      first = chain_make (bin, chain, pad, &sink);
      if (first) {
        GstElement *enc = chain_find (first, "opusenc");

        /* 5 ms of look-ahead less than the default's */
        if (enc)
          gst_util_set_object_arg (G_OBJECT (enc), "audio-type",
              "restricted-lowdelay");
        pay = chain_find (first, chain == opus ? "rtpopuspay" : NULL);
        if (pay)
          g_object_set (pay, "pt", s->audio_pt, NULL);
        gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER,
            (GstPadProbeCallback) on_audio_buffer, s, NULL);
      }
    }
  }
  if (caps)
    gst_caps_unref (caps);
  if (sink)
    gst_object_unref (sink);
  if (first == NULL) {
    /* a stream we cannot send is consumed, so it cannot stall the rest */
    GstElement *fs = gst_element_factory_make ("fakesink", NULL);
    GstPad *fpad = gst_element_get_static_pad (fs, "sink");

    g_object_set (fs, "async", FALSE, "sync", FALSE, NULL);
    gst_bin_add (bin, fs);
    gst_pad_link (pad, fpad);
    gst_object_unref (fpad);
  }
  bin_sync_children (bin);
}

static void
on_streams_complete (GstElement * src, Session * s)
{
  gst_element_post_message (src, gst_message_new_application (GST_OBJECT
          (src), gst_structure_new_empty (MSG_STREAMS)));
}

/* -------------------------------------------------------- WHIP branch */

/* WHIP: media came from the publisher (webrtcbin's thread). */
static GstPadProbeReturn
on_whip_data (GstPad * pad, GstPadProbeInfo * info, Session * s)
{
  g_atomic_int_set (&s->whip_last_data,
      (gint) (g_get_monotonic_time () / G_USEC_PER_SEC));
  return GST_PAD_PROBE_OK;
}

/* webrtcbin added a received stream (its thread): depayload it into the
 * arclybussink pad requested for its kind when the session started. */
static void
on_whip_pad_added (GstElement * webrtc, GstPad * pad, Session * s)
{
  GstCaps *caps;
  const gchar *enc;
  GstPad *sink = NULL;
  GstElement *first = NULL;
  const gchar *video[] = { "rtph264depay", "h264parse", NULL };
  const gchar *audio[] = { "rtpopusdepay", "opusdec", "audioconvert",
    "audioresample", "voaacenc", "aacparse", NULL
  };

  if (GST_PAD_DIRECTION (pad) != GST_PAD_SRC)
    return;
  g_print ("arcly-restream: WHIP session %s: stream %s\n", s->id,
      GST_PAD_NAME (pad));
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER,
      (GstPadProbeCallback) on_whip_data, s, NULL);
  caps = gst_pad_get_current_caps (pad);
  if (caps == NULL)
    caps = gst_pad_query_caps (pad, NULL);
  enc = gst_structure_get_string (gst_caps_get_structure (caps, 0),
      "encoding-name");
  if (enc && g_ascii_strcasecmp (enc, "H264") == 0 && s->pub_pad[0] &&
      !gst_pad_is_linked (s->pub_pad[0])) {
    sink = s->pub_pad[0];
    first = chain_make (GST_BIN (s->pipeline), video, pad, &sink);
    if (first)
      g_atomic_pointer_set (&s->whip_video, gst_object_ref (pad));
  } else if (enc && g_ascii_strcasecmp (enc, "OPUS") == 0 && s->pub_pad[1] &&
      !gst_pad_is_linked (s->pub_pad[1])) {
    sink = s->pub_pad[1];
    first = chain_make (GST_BIN (s->pipeline), audio, pad, &sink);
  }
  if (first == NULL) {
    GstElement *fs = gst_element_factory_make ("fakesink", NULL);
    GstPad *fpad = gst_element_get_static_pad (fs, "sink");
    gchar *c = gst_caps_to_string (caps);

    g_printerr ("arcly-restream: WHIP session %s: stream %s not taken\n",
        s->id, c);
    g_free (c);
    g_object_set (fs, "async", FALSE, "sync", FALSE, NULL);
    gst_bin_add (GST_BIN (s->pipeline), fs);
    gst_pad_link (pad, fpad);
    gst_object_unref (fpad);
  }
  gst_caps_unref (caps);
  bin_sync_children (GST_BIN (s->pipeline));
}

/* ---------------------------------------------------------- sessions */

static void
respond (SoupServerMessage * msg, guint status, const gchar * text)
{
  soup_server_message_set_status (msg, status, NULL);
  if (text)
    soup_server_message_set_response (msg, "text/plain; charset=utf-8",
        SOUP_MEMORY_COPY, text, strlen (text));
}

static void
session_reply (Session * s, guint status, const gchar * text)
{
  if (s->msg == NULL)
    return;
  respond (s->msg, status, text);
  soup_server_message_unpause (s->msg);
  g_object_unref (s->msg);
  s->msg = NULL;
}

static void
on_gathering (GstElement * webrtc, GParamSpec * pspec, Session * s)
{
  GstWebRTCICEGatheringState state;

  g_object_get (webrtc, "ice-gathering-state", &state, NULL);
  if (state == GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE)
    gst_element_post_message (webrtc, gst_message_new_application
        (GST_OBJECT (webrtc), gst_structure_new_empty (MSG_GATHERED)));
}

static void
on_ice_candidate (GstElement * webrtc, guint mline, gchar * candidate,
    Session * s)
{
  gst_element_post_message (webrtc, gst_message_new_application (GST_OBJECT
          (webrtc), gst_structure_new_empty (MSG_CANDIDATE)));
}

static void
on_connection_state (GstElement * webrtc, GParamSpec * pspec, Session * s)
{
  gst_element_post_message (webrtc, gst_message_new_application (GST_OBJECT
          (webrtc), gst_structure_new_empty (MSG_STATE)));
}

static void
on_peer_gone (GstElement * rtpbin, guint session, guint ssrc, Session * s)
{
  gst_element_post_message (rtpbin, gst_message_new_application (GST_OBJECT
          (rtpbin), gst_structure_new_empty (MSG_BYE)));
}

/* An SSRC of the peer timed out (rtpbin's thread).  A WHEP viewer has one
 * (its receiver reports): it is gone.  A WHIP publisher has several, and
 * one going quiet while its media still flows is no departure (most likely
 * its RTX SSRC, heard while it retransmitted or probed: the session ended
 * ~20 s in now and then); it is gone when its media stopped too. */
static void
on_peer_timeout (GstElement * rtpbin, guint session, guint ssrc, Session * s)
{
  gint last = g_atomic_int_get (&s->whip_last_data);

  if (s->kind == SESSION_WHIP && last != 0
      && g_get_monotonic_time () / G_USEC_PER_SEC - last < WHIP_QUIET_S) {
    g_print ("arcly-restream: WHIP session %s: SSRC %u timed out while its "
        "media flows: the session goes on\n", s->id, ssrc);
    return;
  }
  on_peer_gone (rtpbin, session, ssrc, s);
}

/* The test hooks: RTP packets dropped between webrtcbin and the socket,
 * as a lossy link would (RTCP passes).  An outage drops everything, and
 * afterwards every retransmission (RTX, RFC 4588: a payload type we do not
 * send media with) of a video packet it dropped, so the browser cannot
 * repair the hole and must ask for a keyframe. */
static gboolean
lossy (Session * s, GstBuffer * buf)
{
  guint n = g_atomic_int_add (&s->sent_packets, 1);

  if (g_atomic_int_get (&s->outage_set)) {
    gint64 now = g_get_monotonic_time ();
    gint64 end = s->outage_from + s->outage_ms * 1000;
    gint first = g_atomic_int_get (&s->outage_seq[0]);
    guint8 h[64];
    gsize len = gst_buffer_extract (buf, 0, h, sizeof (h)), off;
    guint pt = len >= 12 ? h[1] & 0x7f : 0, seq;

    if (len < 12)
      return FALSE;
    seq = GST_READ_UINT16_BE (h + 2);
    if (now >= s->outage_from && now < end) {
      if (pt == (guint) s->video_pt) {
        if (first < 0)
          g_atomic_int_set (&s->outage_seq[0], seq);
        g_atomic_int_set (&s->outage_seq[1], seq);
      }
      return TRUE;
    }
    /* RTX: the original seqnum opens the payload, after the CSRCs and
     * the header extension */
    off = 12 + 4 * (h[0] & 0x0f);
    if ((h[0] & 0x10) && off + 4 <= len)
      off += 4 + 4 * GST_READ_UINT16_BE (h + off + 2);
    if (now >= end && first >= 0 && pt != (guint) s->video_pt &&
        pt != (guint) s->audio_pt && off + 2 <= len) {
      guint osn = GST_READ_UINT16_BE (h + off);
      guint last = g_atomic_int_get (&s->outage_seq[1]);

      if ((guint16) (osn - first) <= (guint16) (last - first))
        return TRUE;
    }
  }

  return n * s->loss_percent / 100 != (n + 1) * s->loss_percent / 100;
}

static gboolean
drop_list_item (GstBuffer ** buf, guint idx, gpointer s)
{
  if (lossy (s, *buf))
    gst_clear_buffer (buf);
  return TRUE;
}

static GstPadProbeReturn
on_wire (GstPad * pad, GstPadProbeInfo * info, Session * s)
{
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER)
    return lossy (s, GST_PAD_PROBE_INFO_BUFFER (info)) ? GST_PAD_PROBE_DROP :
        GST_PAD_PROBE_OK;
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
    GstBufferList *l = gst_buffer_list_make_writable
        (GST_PAD_PROBE_INFO_BUFFER_LIST (info));

    gst_buffer_list_foreach (l, drop_list_item, s);
    GST_PAD_PROBE_INFO_DATA (info) = l;
  }
  return GST_PAD_PROBE_OK;
}

static void
probe_rtp_sink (GstElement * srtpenc, GstPad * p, Session * s)
{
  if (GST_PAD_IS_SINK (p) && g_str_has_prefix (GST_PAD_NAME (p), "rtp_sink"))
    gst_pad_add_probe (p, GST_PAD_PROBE_TYPE_BUFFER |
        GST_PAD_PROBE_TYPE_BUFFER_LIST, (GstPadProbeCallback) on_wire, s,
        NULL);
}

static void
install_loss (Session * s)
{
  GstIterator *it = gst_bin_iterate_recurse (GST_BIN (s->webrtc));
  GValue v = G_VALUE_INIT;

  while (gst_iterator_next (it, &v) == GST_ITERATOR_OK) {
    GstElement *e = g_value_get_object (&v);
    GstElementFactory *f = gst_element_get_factory (e);

    /* the RTP side of the DTLS/SRTP encoder: RTP only, not RTCP */
    if (f && g_str_equal (GST_OBJECT_NAME (f), "srtpenc")) {
      GstIterator *pit = gst_element_iterate_sink_pads (e);
      GValue pv = G_VALUE_INIT;

      while (gst_iterator_next (pit, &pv) == GST_ITERATOR_OK) {
        probe_rtp_sink (e, g_value_get_object (&pv), s);
        g_value_reset (&pv);
      }
      g_value_unset (&pv);
      gst_iterator_free (pit);
      /* a stream's RTP pad may be requested after the answer */
      g_signal_connect (e, "pad-added", G_CALLBACK (probe_rtp_sink), s);
    }
    g_value_reset (&v);
  }
  g_value_unset (&v);
  gst_iterator_free (it);
}

static gboolean
on_session_message (GstBus * bus, GstMessage * m, gpointer data)
{
  Session *s = data;

  switch (GST_MESSAGE_TYPE (m)) {
    case GST_MESSAGE_APPLICATION:{
      const GstStructure *st = gst_message_get_structure (m);
      if (gst_structure_has_name (st, MSG_STREAMS)) {
        session_negotiate (s);
      } else if (gst_structure_has_name (st, MSG_GATHERED)) {
        if (s->negotiating && !s->answered)
          session_negotiate (s);
      } else if (gst_structure_has_name (st, MSG_CANDIDATE)) {
        if (s->negotiating && !s->answered && !s->grace) {
          s->grace = TRUE;
          if (s->timeout_id)
            g_source_remove (s->timeout_id);
          s->timeout_id = g_timeout_add (CANDIDATE_GRACE_MS,
              on_answer_timeout, s);
        }
      } else if (gst_structure_has_name (st, MSG_STATE)) {
        GstWebRTCPeerConnectionState state;

        g_object_get (s->webrtc, "connection-state", &state, NULL);
        if (state == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED) {
          session_end (s, "ICE/DTLS failed", TRUE);
          return G_SOURCE_REMOVE;
        }
      } else if (gst_structure_has_name (st, MSG_BYE)) {
        session_end (s, "the peer left", TRUE);
        return G_SOURCE_REMOVE;
      }
      break;
    }
    case GST_MESSAGE_ERROR:{
      GError *err = NULL;

      gst_message_parse_error (m, &err, NULL);
      if (s->msg) {
        gboolean busy = g_error_matches (err, GST_RESOURCE_ERROR,
            GST_RESOURCE_ERROR_BUSY);

        session_reply (s, busy ? SOUP_STATUS_CONFLICT :
            SOUP_STATUS_INTERNAL_SERVER_ERROR, busy ?
            "the stream key is already published\n" : "session failed\n");
      }
      g_printerr ("arcly-restream: WebRTC session %s: %s\n", s->id,
          err->message);
      g_clear_error (&err);
      session_end (s, "error", TRUE);
      return G_SOURCE_REMOVE;
    }
    default:
      break;
  }
  return G_SOURCE_CONTINUE;
}

static gboolean
on_answer_timeout (gpointer data)
{
  Session *s = data;

  s->timeout_id = 0;
  if (!s->negotiating) {
    session_reply (s, SOUP_STATUS_SERVICE_UNAVAILABLE,
        "the stream key has no streams yet\n");
    session_end (s, "no streams", FALSE);
  } else {
    /* ICE gathering still going (a slow STUN server): answer with the
     * candidates we have */
    s->answered = FALSE;
    session_negotiate (s);
  }
  return G_SOURCE_REMOVE;
}

static gboolean
promise_wait_ok (GstPromise * p)
{
  gboolean ok = gst_promise_wait (p) == GST_PROMISE_RESULT_REPLIED;

  gst_promise_unref (p);
  return ok;
}

/* Sets @s->offer as remote description (main thread, webrtcbin READY). */
static gboolean
session_set_offer (Session * s)
{
  GstSDPMessage *copy;
  GstWebRTCSessionDescription *desc;
  GstPromise *p = gst_promise_new ();

  gst_sdp_message_copy (s->offer, &copy);
  desc = gst_webrtc_session_description_new (GST_WEBRTC_SDP_TYPE_OFFER, copy);
  g_signal_emit_by_name (s->webrtc, "set-remote-description", desc, p);
  gst_webrtc_session_description_free (desc);
  return promise_wait_ok (p);
}

static GstCaps *
codec_caps (Session * s, gboolean video)
{
  if (video && s->video_pt >= 0)
    return gst_caps_new_simple ("application/x-rtp", "media", G_TYPE_STRING,
        "video", "encoding-name", G_TYPE_STRING, "H264", "clock-rate",
        G_TYPE_INT, 90000, "payload", G_TYPE_INT, s->video_pt,
        "packetization-mode", G_TYPE_STRING, "1", NULL);
  if (!video && s->audio_pt >= 0)
    return gst_caps_new_simple ("application/x-rtp", "media", G_TYPE_STRING,
        "audio", "encoding-name", G_TYPE_STRING, s->audio_codec,
        "clock-rate", G_TYPE_INT, g_str_equal (s->audio_codec, "OPUS") ?
        48000 : 8000, "payload", G_TYPE_INT, s->audio_pt, NULL);
  return NULL;
}

/* WHEP: the offer's (recvonly) m-lines made the transceivers, which our
 * pads feed: they send the payload type chosen, or nothing.  WHIP: a
 * sendonly offer makes none, so ours are added, and the answer takes the
 * codecs they name (webrtcbin answers with its first offered codec
 * otherwise: VP8 from a browser). */
static void
transceivers_configure (Session * s)
{
  GArray *ts = NULL;
  guint i;

  if (s->kind == SESSION_WHIP) {
    for (i = 0; i < 2; i++) {
      GstCaps *caps = codec_caps (s, i == 0);
      GstWebRTCRTPTransceiver *t = NULL;

      if (caps == NULL)
        continue;
      g_signal_emit_by_name (s->webrtc, "add-transceiver",
          GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY, caps, &t);
      if (t) {
        g_object_set (t, "do-nack", TRUE, NULL);
        gst_object_unref (t);
      }
      gst_caps_unref (caps);
    }
    return;
  }
  g_signal_emit_by_name (s->webrtc, "get-transceivers", &ts);
  for (i = 0; ts && i < ts->len; i++) {
    GstWebRTCRTPTransceiver *t = g_array_index (ts, GstWebRTCRTPTransceiver *,
        i);
    guint mline;
    GstCaps *caps = NULL;

    g_object_get (t, "mlineindex", &mline, NULL);
    if ((gint) mline == s->video_mline)
      caps = codec_caps (s, TRUE);
    else if ((gint) mline == s->audio_mline)
      caps = codec_caps (s, FALSE);
    g_object_set (t, "direction", caps ?
        GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY :
        GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_INACTIVE, "do-nack", TRUE,
        "codec-preferences", caps, NULL);
    if (caps)
      gst_caps_unref (caps);
  }
  if (ts)
    g_array_unref (ts);
}

/* Creates the answer once the streams are linked, then answers the POST
 * once ICE gathering completed (or the timeout struck). */
static void
session_negotiate (Session * s)
{
  GstWebRTCSessionDescription *answer = NULL;
  const GstStructure *reply;
  GstPromise *p;
  gchar *sdp, *body;
  GstWebRTCICEGatheringState gathering;

  if (s->msg == NULL)
    return;
  if (!s->negotiating) {
    s->negotiating = TRUE;
    transceivers_configure (s);
    p = gst_promise_new ();
    g_signal_emit_by_name (s->webrtc, "create-answer", NULL, p);
    if (gst_promise_wait (p) != GST_PROMISE_RESULT_REPLIED ||
        (reply = gst_promise_get_reply (p)) == NULL ||
        !gst_structure_get (reply, "answer",
            GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &answer, NULL)) {
      gst_promise_unref (p);
      session_reply (s, SOUP_STATUS_NOT_ACCEPTABLE,
          "no codec of the offer can be sent or received\n");
      session_end (s, "no answer", FALSE);
      return;
    }
    gst_promise_unref (p);
    p = gst_promise_new ();
    g_signal_emit_by_name (s->webrtc, "set-local-description", answer, p);
    gst_webrtc_session_description_free (answer);
    answer = NULL;
    if (!promise_wait_ok (p)) {
      session_reply (s, SOUP_STATUS_INTERNAL_SERVER_ERROR, "no answer\n");
      session_end (s, "no local description", FALSE);
      return;
    }
    if (s->loss_percent || s->outage_ms)
      install_loss (s);
  }
  g_object_get (s->webrtc, "ice-gathering-state", &gathering, NULL);
  if (gathering != GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE &&
      s->timeout_id != 0)
    return;                     /* MSG_GATHERED or the timeout comes back */
  if (s->timeout_id) {
    g_source_remove (s->timeout_id);
    s->timeout_id = 0;
  }
  g_object_get (s->webrtc, "local-description", &answer, NULL);
  if (answer == NULL) {
    session_reply (s, SOUP_STATUS_INTERNAL_SERVER_ERROR, "no answer\n");
    session_end (s, "no local description", FALSE);
    return;
  }
  sdp = gst_sdp_message_as_text (answer->sdp);
  gst_webrtc_session_description_free (answer);
  body = s->owner->public_ip ? answer_add_public_ip (sdp,
      s->owner->public_ip) : g_strdup (sdp);
  g_free (sdp);
  s->answered = TRUE;
  soup_message_headers_replace (soup_server_message_get_response_headers
      (s->msg), "Location", s->location);
  soup_server_message_set_response (s->msg, "application/sdp",
      SOUP_MEMORY_TAKE, body, strlen (body));
  soup_server_message_set_status (s->msg, SOUP_STATUS_CREATED, NULL);
  soup_server_message_unpause (s->msg);
  g_clear_object (&s->msg);
}

/* Asks the publisher for a keyframe (webrtcbin's RTP session turns the
 * upstream GstForceKeyUnit event into a PLI). */
static gboolean
on_keyframe_timer (gpointer data)
{
  Session *s = data;
  GstPad *pad = g_atomic_pointer_get (&s->whip_video);

  if (pad)
    gst_pad_send_event (pad, gst_event_new_custom (GST_EVENT_CUSTOM_UPSTREAM,
            gst_structure_new ("GstForceKeyUnit", "all-headers",
                G_TYPE_BOOLEAN, TRUE, NULL)));
  return G_SOURCE_CONTINUE;
}

static void
session_free (Session * s)
{
  if (s->pipeline) {
    gst_element_set_state (s->pipeline, GST_STATE_NULL);
    gst_object_unref (s->pipeline);
  }
  if (s->bus_watch)
    g_source_remove (s->bus_watch);
  if (s->timeout_id)
    g_source_remove (s->timeout_id);
  if (s->keyframe_id)
    g_source_remove (s->keyframe_id);
  if (s->whip_video)
    gst_object_unref (s->whip_video);
  if (s->msg) {
    respond (s->msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "shutting down\n");
    soup_server_message_unpause (s->msg);
    g_object_unref (s->msg);
  }
  if (s->offer)
    gst_sdp_message_free (s->offer);
  g_clear_object (&s->pub_pad[0]);
  g_clear_object (&s->pub_pad[1]);
  g_queue_clear_full (&s->replay.gop, (GDestroyNotify) gst_buffer_unref);
  g_mutex_clear (&s->replay.lock);
  g_mutex_clear (&s->retime.lock);
  g_free (s->id);
  g_free (s->key);
  g_free (s->location);
  g_free (s);
}

/* @from_watch: called by the session's bus watch, which then returns
 * G_SOURCE_REMOVE. */
static void
session_end (Session * s, const gchar * why, gboolean from_watch)
{
  g_print ("arcly-restream: %s session %s of %s ended (%s; %d keyframe "
      "replays)\n", s->kind == SESSION_WHEP ? "WHEP" : "WHIP", s->id, s->key,
      why, g_atomic_int_get (&s->replay.replays));
  if (from_watch)
    s->bus_watch = 0;
  g_hash_table_remove (s->owner->sessions, s->id);
}

/* A session's pipeline: webrtcbin and, for WHEP, the bus subscription. */
static Session *
session_new (RestreamWebrtc * w, SessionKind kind, const gchar * key,
    GstSDPMessage * offer)
{
  Session *s = g_new0 (Session, 1);
  GstBus *bus;
  GstElement *rtpbin;

  s->owner = w;
  s->kind = kind;
  s->key = g_strdup (key);
  s->id = g_strdup_printf ("%u", ++w->next_id);
  s->location = g_strdup_printf ("/%s/%s/%s", kind == SESSION_WHEP ? "whep"
      : "whip", key, s->id);
  s->offer = offer;
  s->video_mline = offer_find_media (offer, "video");
  s->audio_mline = offer_find_media (offer, "audio");
  s->video_pt = s->audio_pt = -1;
  g_mutex_init (&s->retime.lock);
  g_mutex_init (&s->replay.lock);
  s->retime.last_out[0] = s->retime.last_out[1] = GST_CLOCK_TIME_NONE;
  s->retime.video_start = GST_CLOCK_TIME_NONE;
  g_queue_init (&s->replay.gop);
  s->outage_seq[0] = s->outage_seq[1] = -1;
  s->replay_max = REPLAY_MAX_FRAMES;
  s->replay.key_pts = GST_CLOCK_TIME_NONE;

  s->pipeline = gst_pipeline_new (s->location + 1);
  s->webrtc = gst_element_factory_make ("webrtcbin", "webrtc");
  if (s->webrtc == NULL) {
    session_free (s);
    return NULL;
  }
  /* A WHEP session only sends (its jitter buffers see RTCP alone); a WHIP
   * one receives, and with no jitter-buffer latency every packet a busy
   * receiver thread reads a little late is declared lost (NACK storms on
   * loopback, frames broken before the bus): webrtcbin's own 200 ms,
   * which costs nothing while packets come in order. */
  g_object_set (s->webrtc, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE,
      "latency", kind == SESSION_WHIP ? WHIP_LATENCY_MS : 0, NULL);
  {
    GObject *ice = NULL;

    /* UDP host candidates only: TCP ones cost gathering time, and a
     * browser prefers UDP anyway */
    g_object_get (s->webrtc, "ice-agent", &ice, NULL);
    if (ice) {
      g_object_set (ice, "ice-tcp", FALSE, NULL);
      g_object_unref (ice);
    }
  }
  if (w->stun_server)
    g_object_set (s->webrtc, "stun-server", w->stun_server, NULL);
  gst_bin_add (GST_BIN (s->pipeline), s->webrtc);
  g_signal_connect (s->webrtc, "notify::ice-gathering-state",
      G_CALLBACK (on_gathering), s);
  g_signal_connect (s->webrtc, "on-ice-candidate",
      G_CALLBACK (on_ice_candidate), s);
  g_signal_connect (s->webrtc, "notify::connection-state",
      G_CALLBACK (on_connection_state), s);
  rtpbin = gst_bin_get_by_name (GST_BIN (s->webrtc), "rtpbin");
  if (rtpbin) {
    g_signal_connect (rtpbin, "on-bye-ssrc", G_CALLBACK (on_peer_gone), s);
    g_signal_connect (rtpbin, "on-timeout", G_CALLBACK (on_peer_timeout), s);
    gst_object_unref (rtpbin);
  }
  if (kind == SESSION_WHEP) {
    GstElement *src = gst_element_factory_make ("arclybussrc", NULL);

    g_object_set (src, "stream-key", key, NULL);
    gst_bin_add (GST_BIN (s->pipeline), src);
    g_signal_connect (src, "pad-added", G_CALLBACK (on_stream_added), s);
    g_signal_connect (src, "no-more-pads", G_CALLBACK (on_streams_complete),
        s);
  } else {
    /* what we take: H.264 (packetization-mode=1) and Opus; both sink pads
     * now, so subscribers see the whole stream set at once */
    if (s->video_mline >= 0)
      s->video_pt = media_find_pt (gst_sdp_message_get_media (offer,
              s->video_mline), "H264", h264_score, (gpointer) "42e0");
    if (s->audio_mline >= 0) {
      s->audio_pt = media_find_pt (gst_sdp_message_get_media (offer,
              s->audio_mline), "opus", NULL, NULL);
      s->audio_codec = "OPUS";
    }
    s->pub = gst_element_factory_make ("arclybussink", NULL);
    g_object_set (s->pub, "stream-key", key, NULL);
    if (s->video_pt >= 0)
      s->pub_pad[0] = gst_element_request_pad_simple (s->pub, "sink_%u");
    if (s->audio_pt >= 0)
      s->pub_pad[1] = gst_element_request_pad_simple (s->pub, "sink_%u");
    gst_bin_add (GST_BIN (s->pipeline), s->pub);
    g_signal_connect (s->webrtc, "pad-added", G_CALLBACK (on_whip_pad_added),
        s);
  }
  bus = gst_pipeline_get_bus (GST_PIPELINE (s->pipeline));
  s->bus_watch = gst_bus_add_watch (bus, on_session_message, s);
  gst_object_unref (bus);
  return s;
}

/* ------------------------------------------------------------- HTTP */

static gboolean
authorized (RestreamWebrtc * w, SoupServerMessage * msg)
{
  const gchar *auth;
  gchar *want;
  gboolean ok;

  if (w->whip_token == NULL)
    return TRUE;
  auth = soup_message_headers_get_one (soup_server_message_get_request_headers
      (msg), "Authorization");
  if (auth == NULL)
    return FALSE;
  want = g_strconcat ("Bearer ", w->whip_token, NULL);
  ok = strlen (auth) == strlen (want) && strcmp (auth, want) == 0;
  g_free (want);
  return ok;
}

static void
handle_post (RestreamWebrtc * w, SoupServerMessage * msg, SessionKind kind,
    const gchar * key)
{
  SoupMessageHeaders *h = soup_server_message_get_request_headers (msg);
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  const gchar *ctype = soup_message_headers_get_content_type (h, NULL);
  GstSDPMessage *offer = NULL;
  GBytes *bytes;
  Session *s;
  if (kind == SESSION_WHIP && !authorized (w, msg)) {
    soup_message_headers_replace (soup_server_message_get_response_headers
        (msg), "WWW-Authenticate", "Bearer");
    respond (msg, SOUP_STATUS_UNAUTHORIZED, "a bearer token is needed\n");
    return;
  }
  if (!w->key_func (key, kind == SESSION_WHIP, w->user_data)) {
    respond (msg, SOUP_STATUS_NOT_FOUND, "no such stream key\n");
    return;
  }
  if (g_strcmp0 (ctype, "application/sdp") != 0) {
    respond (msg, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE,
        "the offer must be application/sdp\n");
    return;
  }
  bytes = soup_message_body_flatten (body);
  gst_sdp_message_new (&offer);
  if (gst_sdp_message_parse_buffer (g_bytes_get_data (bytes, NULL),
          g_bytes_get_size (bytes), offer) != GST_SDP_OK ||
      gst_sdp_message_medias_len (offer) == 0) {
    g_bytes_unref (bytes);
    gst_sdp_message_free (offer);
    respond (msg, SOUP_STATUS_BAD_REQUEST, "not an SDP offer\n");
    return;
  }
  g_bytes_unref (bytes);
  s = session_new (w, kind, key, offer);
  if (s == NULL) {
    respond (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "webrtcbin is missing "
        "(gstreamer1.0-plugins-bad, gstreamer1.0-nice)\n");
    return;
  }
  if (w->test_hooks) {
    const gchar *loss = soup_message_headers_get_one (h, "X-Arcly-Test-Loss");
    const gchar *outage = soup_message_headers_get_one (h,
        "X-Arcly-Test-Outage");
    const gchar *rmax = soup_message_headers_get_one (h,
        "X-Arcly-Test-Replay-Max");

    s->loss_percent = loss ? CLAMP (atoi (loss), 0, 100) : 0;
    s->outage_ms = outage ? CLAMP (atoi (outage), 0, 10000) : 0;
    if (rmax)
      s->replay_max = CLAMP (atoi (rmax), 1, REPLAY_MAX_FRAMES);
  }
  s->t_start = g_get_monotonic_time ();
  g_hash_table_insert (w->sessions, s->id, s);
  s->msg = g_object_ref (msg);
  soup_server_message_pause (msg);
  /* READY first: webrtcbin's thread runs, the offer makes the
   * transceivers, whose pads the streams then link to. */
  if (gst_element_set_state (s->pipeline, GST_STATE_READY) ==
      GST_STATE_CHANGE_FAILURE || !session_set_offer (s)) {
    session_reply (s, SOUP_STATUS_BAD_REQUEST, "the offer was refused\n");
    session_end (s, "bad offer", FALSE);
    return;
  }
  if (kind == SESSION_WHIP)
    gst_element_post_message (s->webrtc, gst_message_new_application
        (GST_OBJECT (s->webrtc), gst_structure_new_empty (MSG_STREAMS)));
  if (gst_element_set_state (s->pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    /* arclybussink refuses a key already published */
    session_reply (s, kind == SESSION_WHIP ? SOUP_STATUS_CONFLICT :
        SOUP_STATUS_INTERNAL_SERVER_ERROR, kind == SESSION_WHIP ?
        "the stream key is already published\n" : "session failed\n");
    session_end (s, "did not start", FALSE);
    return;
  }
  s->timeout_id = g_timeout_add (ANSWER_TIMEOUT_MS, on_answer_timeout, s);
  if (kind == SESSION_WHIP)
    s->keyframe_id = g_timeout_add_seconds (WHIP_KEYFRAME_INTERVAL_S,
        on_keyframe_timer, s);
  g_print ("arcly-restream: %s session %s of %s started\n",
      kind == SESSION_WHEP ? "WHEP" : "WHIP", s->id, key);
}

/* Serves /whep/… and /whip/…; FALSE for any other path. */
gboolean
restream_webrtc_handle (RestreamWebrtc * w, SoupServerMessage * msg,
    const gchar * path)
{
  const gchar *method = soup_server_message_get_method (msg);
  SessionKind kind;
  gchar **parts;
  guint n;

  if (g_str_has_prefix (path, "/whep/"))
    kind = SESSION_WHEP;
  else if (g_str_has_prefix (path, "/whip/"))
    kind = SESSION_WHIP;
  else
    return FALSE;
  parts = g_strsplit (path + 6, "/", -1);
  n = g_strv_length (parts);
  if (n == 1 && parts[0][0]) {
    if (g_str_equal (method, "POST"))
      handle_post (w, msg, kind, parts[0]);
    else if (g_str_equal (method, "OPTIONS"))
      respond (msg, SOUP_STATUS_NO_CONTENT, NULL);
    else
      respond (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
  } else if (n == 2) {
    Session *s = g_hash_table_lookup (w->sessions, parts[1]);

    if (s == NULL || s->kind != kind || strcmp (s->key, parts[0]) != 0) {
      respond (msg, SOUP_STATUS_NOT_FOUND, "no such session\n");
    } else if (g_str_equal (method, "DELETE")) {
  if (kind == SESSION_WHIP && !authorized (w, msg)) {
        respond (msg, SOUP_STATUS_UNAUTHORIZED, NULL);
      } else {
        respond (msg, SOUP_STATUS_OK, NULL);
        session_end (s, "DELETE", FALSE);
      }
    } else {
      /* PATCH (trickle ICE, ICE restart): all our candidates are in the
       * answer, and the peer's are learnt from its checks. */
      respond (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
    }
  } else {
    respond (msg, SOUP_STATUS_NOT_FOUND, NULL);
  }
  g_strfreev (parts);
  return TRUE;
}

/* Loads the plugins a session needs and makes the process's DTLS
 * certificate (dtlsdec generates one key pair, shared by every later
 * session), so the first viewer does not wait ~1 s for them. */
static void
warm_up (void)
{
  const gchar *factories[] = { "webrtcbin", "dtlsdec", "nicesrc", "nicesink",
    "rtpbin", "srtpenc", "rtph264pay", "rtpopuspay", "opusenc", "avdec_aac",
    "rtph264depay", "opusdec", "voaacenc", NULL
  };
  guint i;

  for (i = 0; factories[i]; i++) {
    GstElement *e = gst_element_factory_make (factories[i], NULL);

    if (e)
      gst_object_unref (gst_object_ref_sink (e));
  }
}

RestreamWebrtc *
restream_webrtc_new (const gchar * stun_server, const gchar * public_ip,
    const gchar * whip_token, RestreamWebrtcKeyFunc key_func,
    gpointer user_data)
{
  RestreamWebrtc *w = g_new0 (RestreamWebrtc, 1);

  w->stun_server = g_strdup (stun_server);
  w->public_ip = g_strdup (public_ip);
  w->whip_token = g_strdup (whip_token);
  w->key_func = key_func;
  w->user_data = user_data;
  w->sessions = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
      (GDestroyNotify) session_free);
  w->test_hooks = g_getenv ("ARCLY_WEBRTC_TEST_HOOKS") != NULL;
  warm_up ();
  return w;
}

guint
restream_webrtc_get_n_sessions (RestreamWebrtc * w)
{
  return w ? g_hash_table_size (w->sessions) : 0;
}

void
restream_webrtc_free (RestreamWebrtc * w)
{
  if (w == NULL)
    return;
  g_hash_table_unref (w->sessions);
  g_free (w->stun_server);
  g_free (w->public_ip);
  if (w->whip_token)
    memset (w->whip_token, 0, strlen (w->whip_token));
  g_free (w->whip_token);
  g_free (w);
}
