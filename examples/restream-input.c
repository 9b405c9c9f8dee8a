/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * arcly-restream's SRT, UDP, RTP and RTMP inputs.
 *
 * An input lives in its ingest pipeline as a source bin ("generation")
 * that ends in parsers, linked to request pads of the input's
 * arclybussink, which stay for the input's whole life:
 *
 *   srt   srtsrc ! tsdemux ─┬→ h264parse|h265parse ─→ arclybussink sink_0
 *   udp   udpsrc ! tsdemux ─┘   aacparse          ─→              sink_1
 *   rtp   udpsrc ! rtpjitterbuffer ! arclyh264depay|arclyh265depay|
 *         arclyaacdepay ! parser  (one udpsrc per m= line of the SDP)
 *   rtmp  rtmp2src ! flvdemux ! parsers
 *
 * Self-healing: when the sender goes away — the source ends (EOS), fails
 * (an element error, caught here and never fatal) or falls silent for
 * INPUT_SILENCE_MS after it had sent — the bin is removed and a new one is
 * built: at once when the old one had streamed, otherwise after a backoff
 * that doubles from 3 s to 30 s as arclyrtspsrc's retry-backoff does.  A
 * fresh bin also means fresh demuxer state for a sender that restarted
 * (new PTS base, new continuity counters).  The publisher never sees the
 * change but in the timestamps: a probe on each arclybussink pad maps every
 * generation's running time onto the pipeline's, starting a generation at
 * "now", so time runs on across the gap, marks the first buffer of each
 * stream DISCONT (one EXT-X-DISCONTINUITY in the playlist), keeps the
 * first stream-start only and swallows EOS: subscribers carry on.
 *
 * Threads: the main loop owns the bin, the timers and the state; streaming
 * threads (pad-added, the probe) touch only what `lock` guards, and talk
 * to the main loop through application messages on the pipeline's bus.
 * One lock: RestreamInput.lock, never held across a push, a link or a
 * state change.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <ifaddrs.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <gio/gio.h>

#include "restream-input.h"

#define INPUT_SILENCE_MS 2000   /* a sender silent this long is gone */
#define INPUT_WATCH_MS 200
#define INPUT_BACKOFF_MS 3000   /* arclyrtspsrc's retry-backoff default */
#define INPUT_BACKOFF_MAX_MS 30000
#define INPUT_UDP_BUFFER (4 * 1024 * 1024)
/* the jitter buffer drops packets later than this: a loaded receiver
 * (2 cores, a browser) stalls that long now and then */
#define INPUT_RTP_LATENCY_MS 500
/* Audio waits for the video until the demuxer has named the sender's
 * streams (no-more-pads: flvdemux once it saw both, or 6 s of audio
 * alone); this bound only if it never does. */
#define INPUT_AUDIO_ALONE_MS 8000
#define INPUT_MSG_ENDED "restream-input-ended"
/* A sender's clock is not ours: its timestamps are followed (regular, as
 * it made them), and the offset onto our time slews by at most this much
 * per DRIFT_WINDOW after the drift measured (follow_drift) — 1000 ppm, ten
 * times a bad crystal, and never a step a frame would notice. */
#define DRIFT_WINDOW GST_SECOND
#define DRIFT_STEP ((gint64) GST_MSECOND)
#define DRIFT_DEADBAND ((gdouble) GST_MSECOND)
#define DRIFT_MIN_WINDOWS 5

enum
{ TRACK_VIDEO, TRACK_AUDIO, N_TRACKS };

typedef struct
{
  GstPad *pub_pad;              /* (lock) arclybussink sink_%u, for good */
  gboolean linked;              /* (lock) a pad of this generation feeds it */
  gboolean started;             /* streaming thread: stream-start passed */
  guint gen;                    /* streaming thread: generation last seen */
  gboolean had_output;          /* streaming thread */
  GstSegment seg;               /* streaming thread: the generation's */
  GstCaps *caps;                /* streaming thread: the last caps sent */
  gboolean published;           /* (lock) its caps reached pub_pad */
  GstClockTime last_dts;        /* RTP video: the last DTS made up */
  GstClockTime max_pts;         /* RTP video: the newest PTS this generation */
} Track;

struct _RestreamInput
{
  gchar *name;
  gchar *display;               /* the URL without secrets */
  RestreamInputUrl url;
  GPtrArray *rtp_caps;          /* RTP: GstCaps per SDP stream */
  GstElement *pipeline;         /* not owned */
  GstElement *pub;              /* not owned */

  /* main thread */
  GstElement *bin;              /* the current generation, or NULL */
  guint retry_id, watch_id;
  guint attempt;
  guint reconnects;
  const gchar *state;
  gboolean announced;           /* "receiving" printed for this generation */
  gboolean stopped;

  GMutex lock;
  guint gen;                    /* (lock) */
  gboolean have_offset;         /* (lock) */
  gboolean gen_keyframe;        /* (lock) the generation's video started */
  gint64 gen_audio_since;       /* (lock) its first audio, 0: none yet */
  gboolean gen_streams_known;   /* (lock) its demuxer named every stream */
  gint64 offset;                /* (lock) generation → pipeline time */
  gint64 drift_min;             /* (lock) this window's least lateness */
  GstClockTime drift_window;    /* (lock) when this window started, or NONE */
  GstClockTime drift_t0;        /* (lock) the generation's first window */
  GstClockTime drift_now;       /* (lock) the last window's end */
  gint64 drift_total;           /* (lock) the slewing so far */
  gdouble fit[5];               /* (lock) n, Σt, Σu, Σt², Σtu: windows' least
                                 * lateness u (s) before slewing at t (s) */
  GstClockTime max_out;         /* (lock) newest time published */
  gint64 last_data_us;          /* (lock) 0: nothing yet this generation */
  Track tracks[N_TRACKS];
};

static void input_build (RestreamInput * in);

/* ------------------------------------------------------------ restamping */

static GstClockTime
pipeline_running_time (RestreamInput * in)
{
  GstClock *clock = gst_element_get_clock (in->pipeline);
  GstClockTime now, base;

  if (clock == NULL)
    return GST_CLOCK_TIME_NONE;
  now = gst_clock_get_time (clock);
  base = gst_element_get_base_time (in->pipeline);
  gst_object_unref (clock);
  return now > base ? now - base : 0;
}

static GstClockTime
map_time (RestreamInput * in, Track * t, GstClockTime ts)
{
  gint64 out;

  if (!GST_CLOCK_TIME_IS_VALID (ts))
    return GST_CLOCK_TIME_NONE;
  ts = gst_segment_to_running_time (&t->seg, GST_FORMAT_TIME, ts);
  if (!GST_CLOCK_TIME_IS_VALID (ts))
    return GST_CLOCK_TIME_NONE;
  out = (gint64) ts + in->offset;
  return out > 0 ? (GstClockTime) out : 0;
}

/* Whether @a and @b describe the same stream: a parser refines its caps
 * once it has read the parameter sets in the stream (h264parse adds
 * chroma-format and bit depths to caps made from an SDP's sprop), and a
 * new generation of the same sender says it all again; neither is a change
 * (which the HLS writer would answer with a new init segment and a
 * discontinuity). */
static gboolean
same_stream_caps (GstCaps * a, GstCaps * b)
{
  static const gchar *fields[] = { "stream-format", "alignment", "width",
    "height", "profile", "level", "tier", "codec_data", "mpegversion", "rate",
    "channels"
  };
  GstStructure *sa = gst_caps_get_structure (a, 0);
  GstStructure *sb = gst_caps_get_structure (b, 0);
  guint i;

  if (!gst_structure_has_name (sb, gst_structure_get_name (sa)))
    return FALSE;
  for (i = 0; i < G_N_ELEMENTS (fields); i++) {
    const GValue *va = gst_structure_get_value (sa, fields[i]);
    const GValue *vb = gst_structure_get_value (sb, fields[i]);

    if ((va == NULL) != (vb == NULL) || (va && gst_value_compare (va, vb) !=
            GST_VALUE_EQUAL))
      return FALSE;
  }
  return TRUE;
}

/* RTP carries no decode time, and frames come in decode order with PTS
 * out of order when the sender uses B-frames (ffmpeg -c copy from a file
 * does): the muxers would drop every frame whose DTS (= PTS) goes back.
 * The DTS made up advances a frame duration per frame from
 * RTP_REORDER_FRAMES behind the first PTS (again from the newest PTS when
 * lost frames left it further behind), never after the frame's PTS. */
#define RTP_REORDER_FRAMES 4

static GstClockTime
rtp_make_dts (Track * t, GstClockTime pts, gboolean new_gen)
{
  GstClockTime dur = GST_SECOND / 30, dts;
  GstStructure *s = t->caps ? gst_caps_get_structure (t->caps, 0) : NULL;
  gint n = 0, d = 0;

  if (s && gst_structure_get_fraction (s, "framerate", &n, &d) && n > 0
      && d > 0)
    dur = gst_util_uint64_scale_int (GST_SECOND, d, n);
  if (new_gen || !GST_CLOCK_TIME_IS_VALID (t->max_pts) || pts > t->max_pts)
    t->max_pts = pts;
  /* a frame duration after the last; from the newest PTS at the start
   * and when lost frames left it far behind */
  dts = t->max_pts > RTP_REORDER_FRAMES * dur ?
      t->max_pts - RTP_REORDER_FRAMES * dur : 0;
  if (!new_gen && GST_CLOCK_TIME_IS_VALID (t->last_dts)
      && t->last_dts + dur + RTP_REORDER_FRAMES * dur >= dts)
    dts = t->last_dts + dur;
  if (dts > pts)
    dts = pts;
  if (GST_CLOCK_TIME_IS_VALID (t->last_dts) && dts <= t->last_dts)
    dts = t->last_dts + 1;
  t->last_dts = dts;
  return dts;
}

/* With in->lock: the slope of a line through fit[] (seconds of lateness
 * per second), FALSE while too few windows make it. */
static gboolean
drift_slope (RestreamInput * in, gdouble * slope)
{
  gdouble *f = in->fit, den = f[0] * f[3] - f[1] * f[1];

  if (f[0] < DRIFT_MIN_WINDOWS || den <= 0)
    return FALSE;
  *slope = (f[0] * f[4] - f[1] * f[2]) / den;
  return TRUE;
}

/* With in->lock: how late @ref arrives against the offset.  The least
 * lateness of a window is the network's floor; a line through the
 * windows' floors as they would be unslewed (fit[]: their ~10 ms noise
 * averages out) rises or falls with the drift of the sender's clock
 * against ours, and the offset follows it a step per window. */
static void
follow_drift (RestreamInput * in, Track * t, GstClockTime ref)
{
  GstClockTime now = pipeline_running_time (in);
  GstClockTime rt = gst_segment_to_running_time (&t->seg, GST_FORMAT_TIME,
      ref);
  gdouble x, u, slope;
  gint64 late;

  if (!GST_CLOCK_TIME_IS_VALID (now) || !GST_CLOCK_TIME_IS_VALID (rt))
    return;
  late = (gint64) now - ((gint64) rt + in->offset);
  if (!GST_CLOCK_TIME_IS_VALID (in->drift_window)) {
    in->drift_window = in->drift_t0 = in->drift_now = now;
    in->drift_min = late;
    in->drift_total = 0;
    memset (in->fit, 0, sizeof (in->fit));
    return;
  }
  in->drift_min = MIN (in->drift_min, late);
  if (now < in->drift_window + DRIFT_WINDOW)
    return;
  x = (gdouble) (now - in->drift_t0) / GST_SECOND;
  u = (gdouble) (in->drift_min + in->drift_total) / GST_SECOND;
  in->fit[0] += 1;
  in->fit[1] += x;
  in->fit[2] += u;
  in->fit[3] += x * x;
  in->fit[4] += x * u;
  if (drift_slope (in, &slope)) {
    /* the lateness change the sender's clock made, less what we slewed */
    gdouble lag = slope * x - (gdouble) in->drift_total / GST_SECOND;
    gint64 step = lag * GST_SECOND > DRIFT_DEADBAND ? DRIFT_STEP :
        lag * GST_SECOND < -DRIFT_DEADBAND ? -DRIFT_STEP : 0;

    in->offset += step;
    in->drift_total += step;
  }
  in->drift_window = in->drift_now = now;
  in->drift_min = G_MAXINT64;
}

/* With in->lock: whether the generation's audio waits for its video (a
 * generation starts at a video keyframe): until that keyframe, or while
 * no video stream is there, until the demuxer names the sender's streams
 * (no-more-pads; INPUT_AUDIO_ALONE_MS at most).  flvdemux adds the video
 * pad with the first video tag, which nginx sends a joining player from
 * the next keyframe: up to a GOP after the audio, more on a loaded
 * machine. */
static gboolean
audio_waits (RestreamInput * in, gint64 now)
{
  if (in->gen_keyframe)
    return FALSE;
  if (in->gen_audio_since == 0)
    in->gen_audio_since = now;
  return in->tracks[TRACK_VIDEO].linked || (!in->gen_streams_known
      && now - in->gen_audio_since <
      INPUT_AUDIO_ALONE_MS * G_TIME_SPAN_MILLISECOND);
}

/* On the audio's way out of a generation (its src ghost pad).  A
 * publisher's track set is complete once every track has caps, and a
 * subscriber takes the set it finds then: so until the audio may go, its
 * caps (and the sticky events after them) do not reach the publisher the
 * first time, nor its buffers (on a src pad, sticky events a probe drops
 * stay pending and go again, in order, before the next buffer).  Else an
 * HLS output started on the audio alone and cut a discontinuity and a
 * second init segment when the video came. */
static GstPadProbeReturn
audio_gate_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  RestreamInput *in = user_data;
  gint64 now = g_get_monotonic_time ();
  gboolean drop;

  if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent *ev = GST_PAD_PROBE_INFO_EVENT (info);

    /* (EOS goes on: the sender ended, the next generation comes) */
    if (!GST_EVENT_IS_STICKY (ev)
        || GST_EVENT_TYPE (ev) == GST_EVENT_STREAM_START
        || GST_EVENT_TYPE (ev) == GST_EVENT_EOS)
      return GST_PAD_PROBE_OK;
    g_mutex_lock (&in->lock);
    drop = !in->tracks[TRACK_AUDIO].published && audio_waits (in, now);
    if (!drop && GST_EVENT_TYPE (ev) == GST_EVENT_CAPS)
      in->tracks[TRACK_AUDIO].published = TRUE;
    g_mutex_unlock (&in->lock);
    return drop ? GST_PAD_PROBE_DROP : GST_PAD_PROBE_OK;
  }
  g_mutex_lock (&in->lock);
  in->last_data_us = now;
  drop = audio_waits (in, now);
  g_mutex_unlock (&in->lock);
  return drop ? GST_PAD_PROBE_DROP : GST_PAD_PROBE_OK;
}

/* Runs in the streaming thread of whatever generation feeds @pad. */
static GstPadProbeReturn
pub_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  RestreamInput *in = user_data;
  Track *t = g_object_get_data (G_OBJECT (pad), "restream-track");

  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer *buf = gst_buffer_make_writable (GST_PAD_PROBE_INFO_BUFFER
        (info));
    GstClockTime ref = GST_BUFFER_PTS_IS_VALID (buf) ? GST_BUFFER_PTS (buf) :
        GST_BUFFER_DTS (buf);
    GstClockTime pts, dts;

    GST_PAD_PROBE_INFO_DATA (info) = buf;
    g_mutex_lock (&in->lock);
    in->last_data_us = g_get_monotonic_time ();
    /* A generation starts at a video keyframe, audio with it: a sender
     * joined mid-GOP would otherwise open the playlist's next segment with
     * frames no decoder can show (and a second init segment once the
     * keyframe's parameter sets come). */
    if (!in->gen_keyframe) {
      gboolean video = t == &in->tracks[TRACK_VIDEO];

      if (video && !GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT)) {
        in->gen_keyframe = TRUE;
      } else if (video || audio_waits (in, in->last_data_us)) {
        g_mutex_unlock (&in->lock);
        return GST_PAD_PROBE_DROP;
      }
    }
    if (!in->have_offset && GST_CLOCK_TIME_IS_VALID (ref)) {
      /* The first buffer of a generation starts it now (and after all
       * that was published before), whatever its own clock said. */
      GstClockTime now = pipeline_running_time (in);
      GstClockTime rt = gst_segment_to_running_time (&t->seg,
          GST_FORMAT_TIME, ref);

      if (!GST_CLOCK_TIME_IS_VALID (now))
        now = 0;
      if (GST_CLOCK_TIME_IS_VALID (in->max_out) && now <= in->max_out)
        now = in->max_out + GST_MSECOND;
      if (GST_CLOCK_TIME_IS_VALID (rt)) {
        in->offset = (gint64) now - (gint64) rt;
        in->have_offset = TRUE;
        in->drift_window = GST_CLOCK_TIME_NONE;
      }
    } else if (in->have_offset && GST_CLOCK_TIME_IS_VALID (ref)) {
      follow_drift (in, t, ref);
    }
    pts = in->have_offset ? map_time (in, t, GST_BUFFER_PTS (buf)) :
        GST_CLOCK_TIME_NONE;
    dts = in->have_offset ? map_time (in, t, GST_BUFFER_DTS (buf)) :
        GST_CLOCK_TIME_NONE;
    if (GST_CLOCK_TIME_IS_VALID (pts) && (!GST_CLOCK_TIME_IS_VALID
            (in->max_out) || pts > in->max_out))
      in->max_out = pts;
    /* The input's discontinuities are its generations: a new sender (or
     * the same one back).  Inside one the timeline is the sender's, and a
     * DISCONT from upstream marks lost packets (arclyaacdepay copies it
     * onto every AU of the packet), which would cut an HLS discontinuity
     * for every loss. */
    GST_BUFFER_FLAG_UNSET (buf, GST_BUFFER_FLAG_DISCONT);
    if (t->gen != in->gen) {
      t->gen = in->gen;
      if (t->had_output)
        GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
    }
    if (in->url.kind == RESTREAM_INPUT_RTP && t == &in->tracks[TRACK_VIDEO]
        && GST_CLOCK_TIME_IS_VALID (pts))
      dts = rtp_make_dts (t, pts, GST_BUFFER_FLAG_IS_SET (buf,
              GST_BUFFER_FLAG_DISCONT) || !t->had_output);
    t->had_output = TRUE;
    g_mutex_unlock (&in->lock);
    GST_BUFFER_PTS (buf) = pts;
    GST_BUFFER_DTS (buf) = dts;
    return GST_PAD_PROBE_OK;
  }

  if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent *ev = GST_PAD_PROBE_INFO_EVENT (info);

    switch (GST_EVENT_TYPE (ev)) {
      case GST_EVENT_STREAM_START:
        /* one stream for the input's life */
        if (t->started)
          return GST_PAD_PROBE_DROP;
        t->started = TRUE;
        break;
      case GST_EVENT_SEGMENT:{
        GstSegment plain;

        /* keep the generation's segment to read its running times; the
         * publisher gets running times in a plain segment */
        g_mutex_lock (&in->lock);
        gst_event_copy_segment (ev, &t->seg);
        g_mutex_unlock (&in->lock);
        if (t->seg.format != GST_FORMAT_TIME)
          return GST_PAD_PROBE_DROP;
        gst_segment_init (&plain, GST_FORMAT_TIME);
        gst_event_unref (ev);
        GST_PAD_PROBE_INFO_DATA (info) = gst_event_new_segment (&plain);
        break;
      }
      case GST_EVENT_EOS:{
        guint gen;

        /* the sender ended: the main loop builds the next generation */
        g_mutex_lock (&in->lock);
        gen = in->gen;
        g_mutex_unlock (&in->lock);
        gst_element_post_message (in->pipeline,
            gst_message_new_application (GST_OBJECT (in->pipeline),
                gst_structure_new (INPUT_MSG_ENDED, "input", G_TYPE_POINTER,
                    in, "generation", G_TYPE_UINT, gen, NULL)));
        return GST_PAD_PROBE_DROP;
      }
      case GST_EVENT_FLUSH_START:
      case GST_EVENT_FLUSH_STOP:
        return GST_PAD_PROBE_DROP;
      case GST_EVENT_CAPS:{
        GstCaps *caps;

        gst_event_parse_caps (ev, &caps);
        if (t->caps && same_stream_caps (t->caps, caps))
          return GST_PAD_PROBE_DROP;
        gst_caps_replace (&t->caps, caps);
        break;
      }
      default:
        break;
    }
  }
  return GST_PAD_PROBE_OK;
}

/* ------------------------------------------------------------ source bin */

static GstElement *
make (const gchar * factory)
{
  GstElement *e = gst_element_factory_make (factory, NULL);

  if (e == NULL)
    g_printerr ("arcly-restream: element %s is missing (Debian: "
        "gstreamer1.0-plugins-good/-bad, or gst-arcly's build)\n", factory);
  return e;
}

/* The arclybussink pad of track @kind, requested once. */
static GstPad *
get_pub_pad (RestreamInput * in, guint kind)
{
  GstPad *pad;

  g_mutex_lock (&in->lock);
  pad = in->tracks[kind].pub_pad;
  g_mutex_unlock (&in->lock);
  if (pad)
    return pad;
  pad = gst_element_request_pad_simple (in->pub, "sink_%u");
  if (pad == NULL)
    return NULL;
  g_object_set_data (G_OBJECT (pad), "restream-track", &in->tracks[kind]);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, pub_probe, in, NULL);
  g_mutex_lock (&in->lock);
  in->tracks[kind].pub_pad = pad;
  g_mutex_unlock (&in->lock);
  return pad;
}

static void
consume_pad (GstBin * bin, GstPad * pad)
{
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);
  GstPad *sinkpad;

  g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
  gst_bin_add (bin, sink);
  sinkpad = gst_element_get_static_pad (sink, "sink");
  gst_pad_link (pad, sinkpad);
  gst_object_unref (sinkpad);
  gst_element_sync_state_with_parent (sink);
}

/* A demuxed or depayloaded elementary stream @pad of @bin: parse it and
 * publish it as the input's video or audio track.  Any thread. */
static void
attach_stream (RestreamInput * in, GstBin * bin, GstPad * pad)
{
  GstCaps *caps = gst_pad_get_current_caps (pad);
  const gchar *media, *parser = NULL;
  gchar *filter = NULL;
  guint kind = TRACK_VIDEO;
  gboolean hevc_unaligned = FALSE;
  GstElement *parse, *cf, *in_cf = NULL;
  GstPad *src, *ghost, *pub;
  gboolean taken;

  if (caps == NULL)
    caps = gst_pad_query_caps (pad, NULL);
  media = gst_structure_get_name (gst_caps_get_structure (caps, 0));
  if (g_str_equal (media, "video/x-h264")) {
    parser = "h264parse";
    filter = g_strdup ("video/x-h264,stream-format=byte-stream,alignment=au");
  } else if (g_str_equal (media, "video/x-h265")) {
    parser = "h265parse";
    filter = g_strdup ("video/x-h265,stream-format=byte-stream,alignment=au");
    /* tsdemux says no alignment; told nothing, h265parse on a live
     * source gives every frame the timestamps of the one before (the
     * first two share them, display order is scrambled).  A PES holds an
     * access unit, as H.265 in MPEG-TS has it. */
    hevc_unaligned = !gst_structure_has_field (gst_caps_get_structure (caps,
            0), "alignment");
  } else if (g_str_equal (media, "audio/mpeg")) {
    gint version = 0;

    gst_structure_get_int (gst_caps_get_structure (caps, 0), "mpegversion",
        &version);
    if (version == 2 || version == 4) {
      parser = "aacparse";
      kind = TRACK_AUDIO;
      filter = g_strdup ("audio/mpeg,mpegversion=4,stream-format=raw");
    }
  }
  gst_caps_unref (caps);
  g_mutex_lock (&in->lock);
  taken = parser == NULL || in->tracks[kind].linked;
  if (!taken)
    in->tracks[kind].linked = TRUE;
  g_mutex_unlock (&in->lock);
  if (taken) {
    /* one stream of each kind: the others are consumed */
    g_print ("[%s] ignoring %s stream %s\n", in->name, media,
        GST_PAD_NAME (pad));
    consume_pad (bin, pad);
    g_free (filter);
    return;
  }

  parse = make (parser);
  cf = gst_element_factory_make ("capsfilter", NULL);
  if (parse == NULL || cf == NULL) {
    g_free (filter);
    return;
  }
  if (kind == TRACK_VIDEO)
    /* SPS/PPS before every keyframe: a late subscriber starts on any */
    g_object_set (parse, "config-interval", -1, NULL);
  gst_util_set_object_arg (G_OBJECT (cf), "caps", filter);
  g_free (filter);
  gst_bin_add_many (bin, parse, cf, NULL);
  gst_element_link (parse, cf);
  gst_element_sync_state_with_parent (cf);
  gst_element_sync_state_with_parent (parse);
  if (hevc_unaligned
      && (in_cf = gst_element_factory_make ("capsfilter", NULL)) != NULL) {
    gst_util_set_object_arg (G_OBJECT (in_cf), "caps",
        "video/x-h265,alignment=au");
    gst_bin_add (bin, in_cf);
    gst_element_link (in_cf, parse);
    gst_element_sync_state_with_parent (in_cf);
  }
  src = gst_element_get_static_pad (in_cf ? in_cf : parse, "sink");
  gst_pad_link (pad, src);
  gst_object_unref (src);
  src = gst_element_get_static_pad (cf, "src");
  ghost = gst_ghost_pad_new (kind == TRACK_VIDEO ? "video" : "audio", src);
  gst_object_unref (src);
  if (kind == TRACK_AUDIO)
    gst_pad_add_probe (ghost, GST_PAD_PROBE_TYPE_BUFFER |
        GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, audio_gate_probe, in, NULL);
  gst_pad_set_active (ghost, TRUE);
  gst_element_add_pad (GST_ELEMENT (bin), ghost);
  pub = get_pub_pad (in, kind);
  if (pub == NULL || gst_pad_link (ghost, pub) != GST_PAD_LINK_OK)
    g_printerr ("[%s] cannot publish the %s stream\n", in->name,
        kind == TRACK_VIDEO ? "video" : "audio");
}

static void
on_demux_pad (GstElement * demux, GstPad * pad, RestreamInput * in)
{
  attach_stream (in, GST_BIN (GST_OBJECT_PARENT (demux)), pad);
}

/* The demuxer named every stream of the sender (flvdemux: audio and video
 * seen, or audio alone for 6 s; tsdemux: the PMT's): audio with no video
 * may go now.  A demuxer of a generation already gone may still call. */
static void
on_demux_streams_known (GstElement * demux, RestreamInput * in)
{
  GstObject *bin = gst_object_get_parent (GST_OBJECT (demux));
  gchar *name = bin ? gst_object_get_name (bin) : NULL;
  gchar *current;

  g_mutex_lock (&in->lock);
  current = g_strdup_printf ("input-%u", in->gen);
  if (g_strcmp0 (name, current) == 0)
    in->gen_streams_known = TRUE;
  g_mutex_unlock (&in->lock);
  g_free (current);
  g_free (name);
  if (bin)
    gst_object_unref (bin);
}

static gboolean
add_chain (GstBin * bin, GstElement ** chain, guint n)
{
  guint i;

  for (i = 0; i < n; i++)
    if (chain[i] == NULL)
      goto fail;
  for (i = 0; i < n; i++)
    gst_bin_add (bin, chain[i]);
  for (i = 0; i + 1 < n; i++)
    if (!gst_element_link (chain[i], chain[i + 1]))
      return FALSE;
  return TRUE;
fail:
  for (i = 0; i < n; i++)
    if (chain[i])
      gst_object_unref (chain[i]);
  return FALSE;
}

/* The name of the interface that has the IPv4 address @addr (udpsrc joins
 * multicast groups by interface name). */
static gchar *
interface_of (const gchar * addr)
{
  struct ifaddrs *list, *i;
  struct in_addr want;
  gchar *name = NULL;

  if (inet_pton (AF_INET, addr, &want) != 1 || getifaddrs (&list) != 0)
    return NULL;
  for (i = list; i && name == NULL; i = i->ifa_next)
    if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET &&
        ((struct sockaddr_in *) i->ifa_addr)->sin_addr.s_addr == want.s_addr)
      name = g_strdup (i->ifa_name);
  freeifaddrs (list);
  return name;
}

static gboolean
build_ts (RestreamInput * in, GstBin * bin)
{
  GstElement *chain[2];

  if (in->url.kind == RESTREAM_INPUT_SRT) {
    gchar *uri;

    chain[0] = make ("srtsrc");
    if (chain[0]) {
      uri = g_strdup_printf ("srt://%s:%d?mode=%s", in->url.host,
          in->url.port, in->url.listener ? "listener" : "caller");
      g_object_set (chain[0], "uri", uri, NULL);
      g_free (uri);
      /* reconnecting is ours (a fresh demuxer, the backoff) */
      g_object_set (chain[0], "auto-reconnect", FALSE, "keep-listening",
          FALSE, NULL);
      if (in->url.latency_ms >= 0)
        g_object_set (chain[0], "latency", in->url.latency_ms, NULL);
      if (in->url.passphrase)
        g_object_set (chain[0], "passphrase", in->url.passphrase, NULL);
      if (in->url.streamid)
        g_object_set (chain[0], "streamid", in->url.streamid, NULL);
    }
  } else {
    chain[0] = make ("udpsrc");
    if (chain[0]) {
      GstCaps *caps = gst_caps_from_string ("video/mpegts,systemstream=true,"
          "packetsize=188");

      g_object_set (chain[0], "address", in->url.multicast ?
          in->url.multicast : in->url.host, "port", in->url.port,
          "buffer-size", INPUT_UDP_BUFFER, "caps", caps, NULL);
      gst_caps_unref (caps);
      if (in->url.multicast) {
        gchar *iface = interface_of (in->url.host);

        if (iface == NULL) {
          g_printerr ("[%s] no interface has the address %s\n", in->name,
              in->url.host);
          gst_object_unref (chain[0]);
          return FALSE;
        }
        g_object_set (chain[0], "multicast-iface", iface, NULL);
        g_free (iface);
      }
    }
  }
  chain[1] = make ("tsdemux");
  /* The sender's PTS as they are: tsdemux's PCR-based clock recovery on a
   * live source starts skewed (DTS going back by up to 11 ms in the first
   * second of a sender, at every reconnect), which players stall on;
   * follow_drift() keeps the sender's clock on ours instead. */
  g_object_set (chain[1], "ignore-pcr", TRUE, NULL);
  if (!add_chain (bin, chain, 2))
    return FALSE;
  g_signal_connect (chain[1], "pad-added", G_CALLBACK (on_demux_pad), in);
  g_signal_connect (chain[1], "no-more-pads",
      G_CALLBACK (on_demux_streams_known), in);
  return TRUE;
}

static gboolean
build_rtmp (RestreamInput * in, GstBin * bin)
{
  GstElement *chain[2] = { make ("rtmp2src"), make ("flvdemux") };

  if (chain[0])
    g_object_set (chain[0], "location", in->url.location, NULL);
  if (!add_chain (bin, chain, 2))
    return FALSE;
  g_signal_connect (chain[1], "pad-added", G_CALLBACK (on_demux_pad), in);
  g_signal_connect (chain[1], "no-more-pads",
      G_CALLBACK (on_demux_streams_known), in);
  return TRUE;
}

static const gchar *
depayloader_for (const gchar * encoding)
{
  if (g_ascii_strcasecmp (encoding, "H264") == 0)
    return "arclyh264depay";
  if (g_ascii_strcasecmp (encoding, "H265") == 0)
    return "arclyh265depay";
  if (g_ascii_strcasecmp (encoding, "MPEG4-GENERIC") == 0)
    return "arclyaacdepay";
  return NULL;
}

static gboolean
build_rtp (RestreamInput * in, GstBin * bin)
{
  guint i;

  for (i = 0; i < in->rtp_caps->len; i++) {
    GstCaps *caps = gst_caps_copy (g_ptr_array_index (in->rtp_caps, i));
    GstStructure *s = gst_caps_get_structure (caps, 0);
    const gchar *dep = depayloader_for (gst_structure_get_string (s,
            "encoding-name"));
    const gchar *sdp_addr = gst_structure_get_string (s, "arcly-address");
    gint port = 0;
    GstElement *chain[3];
    GstPad *pad;

    gst_structure_get_int (s, "arcly-port", &port);
    chain[0] = make ("udpsrc");
    chain[1] = make ("rtpjitterbuffer");
    chain[2] = dep ? make (dep) : make ("fakesink");
    if (chain[0]) {
      /* the SDP's multicast group if it names one, else the URL's host */
      GInetAddress *a = g_inet_address_new_from_string (sdp_addr);
      gboolean mcast = a && g_inet_address_get_is_multicast (a);

      if (a)
        g_object_unref (a);
      g_object_set (chain[0], "address", mcast ? sdp_addr : in->url.host,
          "port", port, "buffer-size", INPUT_UDP_BUFFER, NULL);
      gst_structure_remove_fields (s, "arcly-port", "arcly-address", NULL);
      g_object_set (chain[0], "caps", caps, NULL);
    }
    gst_caps_unref (caps);
    /* mode none: the RTP timestamps as they are (its default clock
     * slaving starts as skewed as tsdemux's); follow_drift() instead */
    if (chain[1])
      g_object_set (chain[1], "latency", INPUT_RTP_LATENCY_MS, "mode", 0,
          NULL);
    if (!add_chain (bin, chain, 3))
      return FALSE;
    if (dep == NULL)
      continue;
    /* the depayloader's template caps say the kind */
    pad = gst_element_get_static_pad (chain[2], "src");
    attach_stream (in, bin, pad);
    gst_object_unref (pad);
  }
  /* the SDP named every stream */
  g_mutex_lock (&in->lock);
  in->gen_streams_known = TRUE;
  g_mutex_unlock (&in->lock);
  return TRUE;
}

/* ------------------------------------------------------------ lifecycle */

static void
set_state (RestreamInput * in, const gchar * state)
{
  in->state = state;
}

static void
input_teardown (RestreamInput * in)
{
  guint k;

  if (in->bin == NULL)
    return;
  gst_element_set_state (in->bin, GST_STATE_NULL);
  gst_bin_remove (GST_BIN (in->pipeline), in->bin);
  in->bin = NULL;
  g_mutex_lock (&in->lock);
  in->gen++;
  in->have_offset = FALSE;
  in->gen_keyframe = FALSE;
  in->gen_audio_since = 0;
  in->gen_streams_known = FALSE;
  in->last_data_us = 0;
  for (k = 0; k < N_TRACKS; k++)
    in->tracks[k].linked = FALSE;
  g_mutex_unlock (&in->lock);
}

static gboolean
retry_cb (gpointer user_data)
{
  RestreamInput *in = user_data;

  in->retry_id = 0;
  input_build (in);
  return G_SOURCE_REMOVE;
}

/* The current generation ended (@reason): build the next one, at once if
 * it streamed, else after the backoff. */
static void
input_restart (RestreamInput * in, const gchar * reason)
{
  gboolean streamed;
  guint64 delay = 0;

  g_mutex_lock (&in->lock);
  streamed = in->last_data_us != 0;
  g_mutex_unlock (&in->lock);
  input_teardown (in);
  if (in->stopped || in->retry_id)
    return;
  if (streamed) {
    in->attempt = 0;
    in->reconnects++;
    g_print ("[%s] %s sender gone (%s): waiting for it on %s\n", in->name,
        restream_input_kind_name (in->url.kind), reason, in->display);
    set_state (in, "waiting");
    input_build (in);
    return;
  }
  in->attempt++;
  delay = (guint64) INPUT_BACKOFF_MS << MIN (in->attempt - 1, 20u);
  delay = MIN (delay, INPUT_BACKOFF_MAX_MS);
  g_print ("[%s] %s: %s; retrying in %" G_GUINT64_FORMAT " ms (attempt %u)"
      "\n", in->name, restream_input_kind_name (in->url.kind), reason, delay,
      in->attempt);
  set_state (in, "retrying");
  in->retry_id = g_timeout_add ((guint) delay, retry_cb, in);
}

static void
input_build (RestreamInput * in)
{
  gchar *name;
  gboolean ok;

  if (in->stopped)
    return;
  g_mutex_lock (&in->lock);
  name = g_strdup_printf ("input-%u", in->gen);
  g_mutex_unlock (&in->lock);
  in->bin = gst_bin_new (name);
  g_free (name);
  in->announced = FALSE;
  gst_bin_add (GST_BIN (in->pipeline), in->bin);
  switch (in->url.kind) {
    case RESTREAM_INPUT_SRT:
    case RESTREAM_INPUT_UDP:
      ok = build_ts (in, GST_BIN (in->bin));
      break;
    case RESTREAM_INPUT_RTMP:
      ok = build_rtmp (in, GST_BIN (in->bin));
      break;
    case RESTREAM_INPUT_RTP:
    default:
      ok = build_rtp (in, GST_BIN (in->bin));
      break;
  }
  if (!ok || !gst_element_sync_state_with_parent (in->bin)) {
    input_restart (in, "the source does not start");
    return;
  }
  if (g_strcmp0 (in->state, "waiting") != 0)
    set_state (in, in->url.kind == RESTREAM_INPUT_SRT && in->url.listener ?
        "listening" : "connecting");
}

/* The sender is gone when it falls silent after it had sent. */
static gboolean
watch_cb (gpointer user_data)
{
  RestreamInput *in = user_data;
  gint64 last;

  if (in->bin == NULL)
    return G_SOURCE_CONTINUE;
  g_mutex_lock (&in->lock);
  last = in->last_data_us;
  g_mutex_unlock (&in->lock);
  if (last == 0)
    return G_SOURCE_CONTINUE;
  if (!in->announced) {
    in->announced = TRUE;
    set_state (in, "streaming");
    g_print ("[%s] %s receiving from %s\n", in->name,
        restream_input_kind_name (in->url.kind), in->display);
  }
  if (g_get_monotonic_time () - last > INPUT_SILENCE_MS * G_TIME_SPAN_MILLISECOND)
    input_restart (in, "silent for 2 s");
  return G_SOURCE_CONTINUE;
}

gboolean
restream_input_handle_message (RestreamInput * in, GstMessage * msg)
{
  GstObject *src = GST_MESSAGE_SRC (msg);

  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_APPLICATION) {
    const GstStructure *s = gst_message_get_structure (msg);
    gpointer who = NULL;
    guint gen = 0, now;

    if (!gst_structure_has_name (s, INPUT_MSG_ENDED)
        || !gst_structure_get (s, "input", G_TYPE_POINTER, &who, "generation",
            G_TYPE_UINT, &gen, NULL) || who != in)
      return FALSE;
    g_mutex_lock (&in->lock);
    now = in->gen;
    g_mutex_unlock (&in->lock);
    if (gen == now && in->bin)
      input_restart (in, "the stream ended");
    return TRUE;
  }
  if (GST_MESSAGE_TYPE (msg) != GST_MESSAGE_ERROR
      && GST_MESSAGE_TYPE (msg) != GST_MESSAGE_WARNING)
    return FALSE;
  /* the publisher's and the pipeline's own are the application's */
  if (src == GST_OBJECT (in->pub) || src == GST_OBJECT (in->pipeline))
    return FALSE;
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR && in->bin
      && gst_object_has_as_ancestor (src, GST_OBJECT (in->bin))) {
    GError *err = NULL;
    gchar *safe, *reason;

    gst_message_parse_error (msg, &err, NULL);
    safe = restream_input_url_redact (err->message);
    reason = g_strdup_printf ("%s: %s", GST_OBJECT_NAME (src), safe);
    input_restart (in, reason);
    g_free (reason);
    g_free (safe);
    g_error_free (err);
  }
  /* warnings, and errors of a generation already gone: ours, handled */
  return TRUE;
}

/* ------------------------------------------------------------ public */

RestreamInput *
restream_input_new (const gchar * name, const gchar * url, GError ** error)
{
  RestreamInput *in = g_new0 (RestreamInput, 1);
  guint k;

  g_mutex_init (&in->lock);
  if (!restream_input_url_parse (url, &in->url, error)) {
    g_mutex_clear (&in->lock);
    g_free (in);
    return NULL;
  }
  if (in->url.kind == RESTREAM_INPUT_RTP) {
    gchar *text = NULL;
    gboolean port_found = in->url.port <= 0;
    guint i;

    if (!g_file_get_contents (in->url.sdp_path, &text, NULL, error)
        || (in->rtp_caps = restream_input_sdp_caps (text, error)) == NULL) {
      g_free (text);
      restream_input_url_clear (&in->url);
      g_mutex_clear (&in->lock);
      g_free (in);
      return NULL;
    }
    g_free (text);
    for (i = 0; i < in->rtp_caps->len; i++) {
      gint port = 0;

      gst_structure_get_int (gst_caps_get_structure (g_ptr_array_index
              (in->rtp_caps, i), 0), "arcly-port", &port);
      port_found |= port == in->url.port;
    }
    if (!port_found) {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "port %d is not "
          "one of the SDP's media ports", in->url.port);
      restream_input_free (in);
      return NULL;
    }
  }
  in->name = g_strdup (name);
  in->display = restream_input_url_redact (url);
  in->state = "starting";
  in->max_out = GST_CLOCK_TIME_NONE;
  for (k = 0; k < N_TRACKS; k++)
    in->tracks[k].last_dts = in->tracks[k].max_pts = GST_CLOCK_TIME_NONE;
  return in;
}

gboolean
restream_input_start (RestreamInput * in, GstElement * pipeline,
    GstElement * pub, GError ** error)
{
  in->pipeline = pipeline;
  in->pub = pub;
  input_build (in);
  in->watch_id = g_timeout_add (INPUT_WATCH_MS, watch_cb, in);
  return TRUE;
}

RestreamInputKind
restream_input_get_kind (RestreamInput * in)
{
  return in->url.kind;
}

const gchar *
restream_input_get_state (RestreamInput * in)
{
  return in->state;
}

guint
restream_input_get_reconnects (RestreamInput * in)
{
  return in->reconnects;
}

/* How much faster the sender's clock runs than ours (@ppm, parts per
 * million: the slope of its lateness over the current generation, a slow
 * sender's lateness grows) and how far the slewing left our published time
 * from where the sender's clock puts it (@lag_ms: the fitted lateness
 * change since the generation started, less the slewing).  0 and 0 until
 * the generation ran 10 s. */
void
restream_input_get_clock (RestreamInput * in, gint * ppm, gdouble * lag_ms)
{
  gdouble slope;

  *ppm = 0;
  *lag_ms = 0;
  g_mutex_lock (&in->lock);
  if (in->have_offset && GST_CLOCK_TIME_IS_VALID (in->drift_window)
      && in->drift_now >= in->drift_t0 + 10 * GST_SECOND
      && drift_slope (in, &slope)) {
    gdouble x = (gdouble) (in->drift_now - in->drift_t0) / GST_SECOND;

    *ppm = (gint) (-slope * 1e6);
    *lag_ms = (slope * x - (gdouble) in->drift_total / GST_SECOND) * 1e3;
  }
  g_mutex_unlock (&in->lock);
}

void
restream_input_stop (RestreamInput * in)
{
  in->stopped = TRUE;
  if (in->retry_id)
    g_source_remove (in->retry_id);
  if (in->watch_id)
    g_source_remove (in->watch_id);
  in->retry_id = in->watch_id = 0;
  if (in->pipeline)
    input_teardown (in);
  set_state (in, "stopped");
}

void
restream_input_free (RestreamInput * in)
{
  guint k;

  if (in == NULL)
    return;
  restream_input_stop (in);
  if (in->rtp_caps)
    g_ptr_array_unref (in->rtp_caps);
  for (k = 0; k < N_TRACKS; k++) {
    gst_clear_caps (&in->tracks[k].caps);
    /* the ref from requesting it; the publisher is gone with its pipeline */
    gst_clear_object (&in->tracks[k].pub_pad);
  }
  restream_input_url_clear (&in->url);
  g_free (in->name);
  g_free (in->display);
  g_mutex_clear (&in->lock);
  g_free (in);
}
