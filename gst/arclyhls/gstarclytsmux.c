/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 *
 * This library is distributed in the hope that it will be useful,
 * but WITHOUT ANY WARRANTY; without even the implied warranty of
 * MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the GNU
 * Library General Public License for more details.
 *
 * You should have received a copy of the GNU Library General Public
 * License along with this library; if not, write to the
 * Free Software Foundation, Inc., 51 Franklin St, Fifth Floor,
 * Boston, MA 02110-1301, USA.
 */

/**
 * SECTION:element-arclytsmux
 * @title: arclytsmux
 *
 * Multiplexes H.264 or H.265 video and AAC audio into an MPEG-2 transport
 * stream (ISO/IEC 13818-1), one output buffer per access unit, so that
 * downstream elements can cut the stream on keyframe buffers (those without
 * %GST_BUFFER_FLAG_DELTA_UNIT start with PAT and PMT).  H.265 is carried as
 * stream_type 0x24 (§2.17): an AUD first in every PES, VPS/SPS/PPS before
 * every IRAP picture (IDR, CRA, BLA), the random access indicator on them.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 videotestsrc num-buffers=300 ! video/x-raw,format=I420 !
 *   x264enc ! arclytsmux name=m ! filesink location=out.ts
 *   audiotestsrc num-buffers=300 ! voaacenc ! m.
 * ]|
 *
 * Threading: every per-stream field is used only by the aggregator's
 * streaming thread (aggregate, sink_event for serialized events, flush) or
 * while it is stopped (start/stop).  Properties are guarded by the object
 * lock, and so are the "program changed" flag set when pads come and go
 * and the counters of the "stats" property.
 * Lock order: element object lock, then the aggregator's pad lock (the
 * order GstAggregator itself uses); never held across a push.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <gst/base/gstaggregator.h>

#include "gstarclyhlselements.h"
#include "tswriter.h"
#include "aggqueue.h"
#include "muxcommon.h"
#include "arclyh264.h"
#include "arclyh265.h"
#include "arclyaac.h"

GST_DEBUG_CATEGORY_STATIC (arclytsmux_debug);
#define GST_CAT_DEFAULT arclytsmux_debug
GST_DEBUG_CATEGORY_STATIC (arclytsmux_dataflow);

#define ARCLY_TYPE_TS_MUX_PAD (arcly_ts_mux_pad_get_type ())
G_DECLARE_FINAL_TYPE (ArclyTsMuxPad, arcly_ts_mux_pad, ARCLY, TS_MUX_PAD,
    GstAggregatorPad);

#define ARCLY_TYPE_TS_MUX (arcly_ts_mux_get_type ())
G_DECLARE_FINAL_TYPE (ArclyTsMux, arcly_ts_mux, ARCLY, TS_MUX, GstAggregator);

/* Timing model.  Running time t maps to PCR = t + CLOCK_BASE and to
 * PTS/DTS = t + CLOCK_BASE + DTS_DELAY, so every PES is decoded DTS_DELAY
 * after the PCR that precedes it: enough for a bundled audio PES and for B
 * frames whose DTS runs before the PTS, below the 1 s T-STD bound.
 * CLOCK_BASE keeps slightly negative running times (B-frame DTS) positive. */
#define CLOCK_BASE            (1 * GST_SECOND)
#define DTS_DELAY             (700 * GST_MSECOND)
/* PCR at most every 40 ms (13818-1 §2.7.2 asks ≤ 100 ms; HLS and DVB ask
 * 40); when the stream leaves a bigger gap, PCR-only packets fill it. */
#define PCR_MAX_INTERVAL      (40 * GST_MSECOND)
#define PCR_FILL_STEP         (30 * GST_MSECOND)
#define PCR_FILL_MAX_PACKETS  40
/* PAT and PMT at least this often, and before every video keyframe.  As
 * they can only go between PES packets, they are written early when the
 * next PES (one frame later) would be past the interval. */
#define PSI_INTERVAL          (100 * GST_MSECOND)
#define PSI_MAX_STEP          (50 * GST_MSECOND)

#define PMT_PID               0x1000
#define VIDEO_PID_BASE        0x0100
#define AUDIO_PID_BASE        0x0110
#define MAX_PADS_PER_KIND     16
/* An audio PES stays well below PES_packet_length's 65535. */
#define AUDIO_PES_MAX_BYTES   60000

/* Input each sink pad may hold when the pipeline is not live (see
 * aggqueue.h), and the most units one aggregate() call handles. */
#define NONLIVE_QUEUE_TIME    (500 * GST_MSECOND)
#define MAX_UNITS_PER_CALL    64

#define DEFAULT_AUDIO_PES_MAX_DURATION (100 * GST_MSECOND)
#define MAX_AUDIO_PES_MAX_DURATION     (500 * GST_MSECOND)

enum
{
  PROP_0,
  PROP_AUDIO_PES_MAX_DURATION,
  PROP_STATS,
};

typedef enum
{
  STREAM_VIDEO,
  STREAM_AUDIO,
} StreamKind;

/* Reasons to drop a unit, each warned about once per pad with an element
 * warning and counted; later ones go to the debug log. */
typedef enum
{
  DROP_EMPTY,
  DROP_NO_TIMESTAMP,
  DROP_BACKWARDS,
  DROP_NO_PARAMS,
  DROP_MALFORMED,
  DROP_NOT_CONFIGURED,
  DROP_N_REASONS
} DropReason;

struct _ArclyTsMuxPad
{
  GstAggregatorPad parent;

  /* Set at creation, then constant. */
  StreamKind kind;
  guint index;
  guint8 stream_id;

  /* Streaming thread only (see the threading note at the top). */
  ArclyTsPid ts;                /* PID and continuity counter */
  gboolean configured;          /* accepted caps */

  /* video */
  gboolean h265;                /* video/x-h265 (byte-stream only) */
  gboolean avc;                 /* length-prefixed input */
  guint nal_length_size;
  GByteArray *codec_params;     /* SPS+PPS from codec_data, Annex-B */
  GByteArray *inband_vps;       /* latest in-band VPS (H.265) / SPS / PPS, */
  GByteArray *inband_sps;       /* Annex-B */
  GByteArray *inband_pps;
  GByteArray *inband_params;    /* the two together */
  gboolean seen_keyframe;

  /* audio */
  gboolean adts;                /* input already framed in ADTS */
  ArclyAacConfig aac;
  gint rate;
  GByteArray *audio_es;         /* ADTS frames waiting for their PES */
  gint64 audio_start;           /* running time of the first one */
  gint64 audio_end;             /* and the end of the last one */
  guint audio_frames;

  /* both */
  gboolean have_last;
  gint64 last_dts;              /* as written (see handle_buffer) */
  gint64 last_in_dts;           /* as it came in */
  guint64 dropped;
  gboolean warned[DROP_N_REASONS];
  gboolean reorder_checked;     /* DTS-only video: the SPS was looked at */

  /* Element object lock: the "stats" property. */
  guint64 frames_written;
  guint64 bytes_written;        /* the access units' own bytes */
  guint64 frames_dropped;
};

struct _ArclyTsMux
{
  GstAggregator parent;

  /* Object lock. */
  GstClockTime audio_pes_max_duration;
  gboolean program_changed;
  guint64 bytes_written;        /* output, for "stats" */

  /* Streaming thread only. */
  ArclyTsProgram program;
  ArclyTsPid pat;
  ArclyTsPid pmt;
  ArclyTsMuxPad *pcr_pad;       /* reffed: it may be released meanwhile */
  gboolean have_video;
  gboolean caps_sent;
  ArclyAggQueue queue;          /* non-live input queue depth (aggqueue.h) */
  gboolean first_output;
  gboolean have_pcr;
  GstClockTime first_rt;        /* of the first input buffer (muxcommon.h) */
  gint64 last_pcr;              /* running time of the last PCR written */
  gboolean have_psi;
  gint64 last_psi;
  gint64 psi_step;              /* the PCR stream's last DTS step */
  gboolean have_now;
  gint64 now;                   /* the latest DTS written: the mux clock */
  GArray *chunks;               /* the PES payload of a video AU: AUD,
                                 * parameter sets, the NAL units (avc: start
                                 * codes and NALs pointing into the input) */
  guint8 psi_packets[2 * ARCLY_TS_PACKET_SIZE];   /* PAT + PMT */
};

G_DEFINE_TYPE (ArclyTsMuxPad, arcly_ts_mux_pad, GST_TYPE_AGGREGATOR_PAD);
G_DEFINE_TYPE (ArclyTsMux, arcly_ts_mux, GST_TYPE_AGGREGATOR);

GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (arclytsmux, "arclytsmux",
    GST_RANK_NONE, ARCLY_TYPE_TS_MUX,
    GST_DEBUG_CATEGORY_INIT (arclytsmux_debug, "arclytsmux", 0,
        "gst-arcly MPEG-TS muxer");
    GST_DEBUG_CATEGORY_INIT (arclytsmux_dataflow, "arclytsmux_dataflow", 0,
        "gst-arcly MPEG-TS muxer, per buffer"));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("video/mpegts, systemstream = (boolean) true, "
        "packetsize = (int) 188"));

static GstStaticPadTemplate video_template =
GST_STATIC_PAD_TEMPLATE ("video_%u",
    GST_PAD_SINK,
    GST_PAD_REQUEST,
    GST_STATIC_CAPS ("video/x-h264, stream-format = (string) { byte-stream, "
        "avc }, alignment = (string) au; "
        "video/x-h265, stream-format = (string) byte-stream, "
        "alignment = (string) au"));

static GstStaticPadTemplate audio_template =
GST_STATIC_PAD_TEMPLATE ("audio_%u",
    GST_PAD_SINK,
    GST_PAD_REQUEST,
    GST_STATIC_CAPS ("audio/mpeg, mpegversion = (int) 4, "
        "stream-format = (string) { raw, adts }"));

static const gchar *const drop_text[DROP_N_REASONS] = {
  "empty buffer",
  "buffer without timestamp",
  "timestamp going backwards",
  "keyframe without parameter sets (no codec_data and none in the stream)",
  "malformed access unit",
  "buffer before caps",
};

/* ---------------------------------------------------------------- pads -- */

static void
arcly_ts_mux_pad_finalize (GObject * object)
{
  ArclyTsMuxPad *pad = ARCLY_TS_MUX_PAD (object);

  g_clear_pointer (&pad->codec_params, g_byte_array_unref);
  g_clear_pointer (&pad->inband_vps, g_byte_array_unref);
  g_clear_pointer (&pad->inband_sps, g_byte_array_unref);
  g_clear_pointer (&pad->inband_pps, g_byte_array_unref);
  g_clear_pointer (&pad->inband_params, g_byte_array_unref);
  g_clear_pointer (&pad->audio_es, g_byte_array_unref);
  G_OBJECT_CLASS (arcly_ts_mux_pad_parent_class)->finalize (object);
}

static void
arcly_ts_mux_pad_class_init (ArclyTsMuxPadClass * klass)
{
  G_OBJECT_CLASS (klass)->finalize = arcly_ts_mux_pad_finalize;
}

static void
arcly_ts_mux_pad_init (ArclyTsMuxPad * pad)
{
  pad->audio_es = g_byte_array_new ();
}

/* Forgets stream progress (not the codec configuration): after a flush or
 * a stop, the next unit starts a new stream. */
static void
pad_reset_stream (ArclyTsMuxPad * pad)
{
  pad->ts.cc = 0;
  pad->have_last = FALSE;
  pad->seen_keyframe = FALSE;
  g_byte_array_set_size (pad->audio_es, 0);
  pad->audio_frames = 0;
}

static void
pad_drop (ArclyTsMux * self, ArclyTsMuxPad * pad, DropReason reason,
    const gchar * detail)
{
  pad->dropped++;
  GST_OBJECT_LOCK (self);
  pad->frames_dropped++;
  GST_OBJECT_UNLOCK (self);
  if (!pad->warned[reason]) {
    pad->warned[reason] = TRUE;
    GST_ELEMENT_WARNING (self, STREAM, FORMAT,
        ("Dropped invalid input on pad %s: %s", GST_PAD_NAME (pad),
            drop_text[reason]),
        ("%s (warned once per pad and reason; %" G_GUINT64_FORMAT
            " dropped so far)", detail ? detail : drop_text[reason],
            pad->dropped));
  } else {
    GST_WARNING_OBJECT (pad, "dropped: %s (%s), %" G_GUINT64_FORMAT
        " so far", drop_text[reason], detail ? detail : "", pad->dropped);
  }
}

/* ---------------------------------------------------------- timestamps -- */

/* Signed running time of @ts on @pad's segment; FALSE when not valid. */
static gboolean
pad_running_time (ArclyTsMuxPad * pad, GstClockTime ts, gint64 * rt)
{
  GstAggregatorPad *apad = GST_AGGREGATOR_PAD (pad);
  guint64 t = 0;
  gint sign;

  if (!GST_CLOCK_TIME_IS_VALID (ts))
    return FALSE;
  GST_OBJECT_LOCK (pad);
  sign = gst_segment_to_running_time_full (&apad->segment, GST_FORMAT_TIME,
      ts, &t);
  GST_OBJECT_UNLOCK (pad);
  if (sign == 0 || t > G_MAXINT64)
    return FALSE;
  *rt = sign > 0 ? (gint64) t : -(gint64) t;
  return TRUE;
}

/* ns → ticks of @rate Hz, modulo @wrap; valid for negative @ns too. */
static guint64
ns_to_clock (gint64 ns, guint64 rate, guint64 wrap)
{
  guint64 ticks;

  if (ns >= 0)
    return gst_util_uint64_scale_round (ns, rate, GST_SECOND) % wrap;
  ticks = gst_util_uint64_scale_round (-ns, rate, GST_SECOND) % wrap;
  return (wrap - ticks) % wrap;
}

static guint64
rt_to_pts (gint64 rt)
{
  return ns_to_clock (rt + CLOCK_BASE + DTS_DELAY, 90000,
      ARCLY_TS_CLOCK_MASK + 1);
}

/* The 90 kHz tick rt_to_pts() writes for @rt, without the wrap (@rt must
 * not be below -(CLOCK_BASE + DTS_DELAY)), and the first running time that
 * rounds onto the tick after @tick. */
static guint64
rt_to_tick (gint64 rt)
{
  return gst_util_uint64_scale_round (rt + CLOCK_BASE + DTS_DELAY, 90000,
      GST_SECOND);
}

static gint64
tick_after (guint64 tick)
{
  return (gint64) gst_util_uint64_scale_ceil (2 * tick + 1, GST_SECOND,
      2 * 90000) - CLOCK_BASE - DTS_DELAY;
}

static guint64
rt_to_pcr (gint64 rt)
{
  return ns_to_clock (rt + CLOCK_BASE, 27000000, ARCLY_TS_PCR_WRAP);
}

/* Buffer timestamps of the output: running time, when not negative. */
static GstClockTime
rt_to_out (gint64 rt)
{
  return rt >= 0 ? (GstClockTime) rt : GST_CLOCK_TIME_NONE;
}

/* ------------------------------------------------------------- program -- */

static gint
compare_pads (gconstpointer a, gconstpointer b)
{
  const ArclyTsMuxPad *pa = *(ArclyTsMuxPad * const *) a;
  const ArclyTsMuxPad *pb = *(ArclyTsMuxPad * const *) b;

  return (gint) pa->ts.pid - (gint) pb->ts.pid;
}

/* Rebuilds the PMT from the current sink pads when they changed.  Returns
 * TRUE when the program is (now) different from what was sent. */
static gboolean
ensure_program (ArclyTsMux * self)
{
  GPtrArray *pads;
  GList *l;
  guint i;
  gboolean changed;
  guint8 version = self->program.version;
  ArclyTsMuxPad *old_pcr_pad;

  GST_OBJECT_LOCK (self);
  changed = self->program_changed;
  self->program_changed = FALSE;
  if (!changed) {
    GST_OBJECT_UNLOCK (self);
    return FALSE;
  }
  pads = g_ptr_array_new ();
  for (l = GST_ELEMENT (self)->sinkpads; l; l = l->next)
    g_ptr_array_add (pads, l->data);
  g_ptr_array_sort (pads, compare_pads);

  arcly_ts_program_init (&self->program, 1, PMT_PID);
  self->program.version = self->caps_sent ? (version + 1) & 0x1f : version;
  old_pcr_pad = self->pcr_pad;  /* unreffed after the lock */
  self->pcr_pad = NULL;
  self->have_video = FALSE;
  for (i = 0; i < pads->len; i++) {
    ArclyTsMuxPad *pad = g_ptr_array_index (pads, i);

    arcly_ts_program_add_stream (&self->program, pad->ts.pid,
        pad->kind == STREAM_AUDIO ? ARCLY_TS_STREAM_TYPE_AAC_ADTS :
        pad->h265 ? ARCLY_TS_STREAM_TYPE_H265 : ARCLY_TS_STREAM_TYPE_H264);
    if (pad->kind == STREAM_VIDEO && !self->have_video) {
      self->have_video = TRUE;
      self->pcr_pad = pad;
    }
  }
  if (!self->pcr_pad && pads->len > 0)
    self->pcr_pad = g_ptr_array_index (pads, 0);
  if (self->pcr_pad) {
    gst_object_ref (self->pcr_pad);
    self->program.pcr_pid = self->pcr_pad->ts.pid;
  }
  GST_OBJECT_UNLOCK (self);
  g_ptr_array_free (pads, TRUE);
  if (old_pcr_pad)
    gst_object_unref (old_pcr_pad);

  GST_DEBUG_OBJECT (self, "program: %u streams, PCR PID 0x%x, version %u",
      self->program.n_streams, self->program.pcr_pid, self->program.version);
  return TRUE;
}

/* PAT + PMT as the caps' streamheader; written with copies of the
 * continuity counters so the stream's own counters do not move. */
static void
send_caps (ArclyTsMux * self)
{
  GByteArray *hdr = g_byte_array_sized_new (2 * ARCLY_TS_PACKET_SIZE);
  ArclyTsPid pat = self->pat, pmt = self->pmt;
  GstBuffer *buf;
  GstCaps *caps;
  GValue array = G_VALUE_INIT, value = G_VALUE_INIT;
  gsize len;

  arcly_ts_write_pat (&self->program, &pat, hdr);
  arcly_ts_write_pmt (&self->program, &pmt, hdr);
  g_assert (hdr->len == sizeof (self->psi_packets));
  memcpy (self->psi_packets, hdr->data, hdr->len);
  len = hdr->len;
  buf = gst_buffer_new_wrapped (g_byte_array_free (hdr, FALSE), len);
  GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_HEADER);

  caps = gst_static_pad_template_get_caps (&src_template);
  caps = gst_caps_make_writable (caps);
  g_value_init (&array, GST_TYPE_ARRAY);
  g_value_init (&value, GST_TYPE_BUFFER);
  gst_value_set_buffer (&value, buf);
  gst_value_array_append_and_take_value (&array, &value);
  gst_structure_take_value (gst_caps_get_structure (caps, 0), "streamheader",
      &array);
  gst_buffer_unref (buf);

  GST_DEBUG_OBJECT (self, "src caps %" GST_PTR_FORMAT, caps);
  gst_aggregator_set_src_caps (GST_AGGREGATOR (self), caps);
  gst_caps_unref (caps);
  self->caps_sent = TRUE;
}

/* ----------------------------------------------------------- writing -- */

/* Copies the PAT + PMT to @dst (2 packets) and returns what follows. */
static guint8 *
write_psi (ArclyTsMux * self, guint8 * dst)
{
  /* The sections only change with the program: copy the packets written
   * for it (see send_caps) and set their continuity counters. */
  memcpy (dst, self->psi_packets, sizeof (self->psi_packets));
  dst[3] = (dst[3] & 0xf0) | self->pat.cc;
  dst[ARCLY_TS_PACKET_SIZE + 3] = (dst[ARCLY_TS_PACKET_SIZE + 3] & 0xf0) |
      self->pmt.cc;
  self->pat.cc = (self->pat.cc + 1) & 0x0f;
  self->pmt.cc = (self->pmt.cc + 1) & 0x0f;
  self->have_psi = TRUE;
  self->last_psi = self->now;
  return dst + sizeof (self->psi_packets);
}

/* Advances the mux clock to @t. */
static void
advance_clock (ArclyTsMux * self, gint64 t)
{
  if (!self->have_now || t > self->now)
    self->now = t;
  self->have_now = TRUE;
}

/* Fills a PCR gap longer than PCR_MAX_INTERVAL with PCR-only packets (after
 * the PAT/PMT a buffer may start with).  @pcr_in_pes: the PES about to be
 * written carries a PCR itself.  Returns the number of packets; with @dst
 * NULL, only counts them (the state is kept), so that the output can be
 * allocated at its exact size first. */
static guint
fill_pcr (ArclyTsMux * self, guint8 * dst, gboolean pcr_in_pes)
{
  gboolean have_pcr = self->have_pcr;
  gint64 last_pcr = self->last_pcr;
  guint n = 0;

  if (!self->pcr_pad)
    return 0;

  if (!have_pcr) {
    if (pcr_in_pes)
      return 0;
    /* A PCR before the very first PES. */
    if (dst) {
      arcly_ts_write_pcr_packet_to (&self->pcr_pad->ts,
          rt_to_pcr (self->now), dst);
      self->have_pcr = TRUE;
      self->last_pcr = self->now;
    }
    return 1;
  }
  while (self->now - last_pcr > PCR_MAX_INTERVAL
      && n < PCR_FILL_MAX_PACKETS) {
    last_pcr += PCR_FILL_STEP;
    if (dst)
      arcly_ts_write_pcr_packet_to (&self->pcr_pad->ts, rt_to_pcr (last_pcr),
          dst + n * ARCLY_TS_PACKET_SIZE);
    n++;
  }
  if (self->now - last_pcr > PCR_MAX_INTERVAL) {
    /* A gap of over a second in the input: nothing to fill it with. */
    if (dst)
      GST_DEBUG_OBJECT (self, "PCR jumps by %" GST_STIME_FORMAT,
          GST_STIME_ARGS (self->now - last_pcr));
    if (!pcr_in_pes) {
      if (dst)
        arcly_ts_write_pcr_packet_to (&self->pcr_pad->ts,
            rt_to_pcr (self->now), dst + n * ARCLY_TS_PACKET_SIZE);
      last_pcr = self->now;
      n++;
    }
  }
  if (dst)
    self->last_pcr = last_pcr;
  return n;
}

static gboolean
psi_due (ArclyTsMux * self)
{
  return !self->have_psi
      || self->now - self->last_psi + self->psi_step > PSI_INTERVAL;
}

/* One access unit's output: a buffer allocated at its exact size (PAT/PMT,
 * PCR-only packets, the PES), written in place while mapped. */
typedef struct
{
  GstBuffer *buf;
  GstMapInfo map;
} Output;

static gboolean
output_alloc (Output * o, gsize size)
{
  o->buf = gst_buffer_new_allocate (NULL, size, NULL);
  if (!o->buf || !gst_buffer_map (o->buf, &o->map, GST_MAP_WRITE)) {
    gst_clear_buffer (&o->buf);
    return FALSE;
  }
  return TRUE;
}

/* Writes the PES of @info and @chunks after what the buffer starts with
 * (PAT/PMT when @psi, PCR-only packets when needed), all at once: the sizes
 * are known first, so the memory is allocated once at its exact size and
 * the payload copied once, straight into its transport packets. */
static GstBuffer *
write_unit (ArclyTsMux * self, ArclyTsMuxPad * pad, gboolean psi,
    ArclyTsPesInfo * info, const ArclyTsChunk * chunks, guint n_chunks)
{
  gboolean pcr = info->write_pcr;
  gsize payload = 0, size;
  guint i, n_pcr = fill_pcr (self, NULL, pcr);
  Output o;
  guint8 *p;

  for (i = 0; i < n_chunks; i++)
    payload += chunks[i].size;
  size = (psi ? 2 + n_pcr : n_pcr) * ARCLY_TS_PACKET_SIZE +
      arcly_ts_pes_packets_size (info, payload);
  if (!output_alloc (&o, size))
    return NULL;
  p = o.map.data;
  if (psi)
    p = write_psi (self, p);
  p += fill_pcr (self, p, pcr) * ARCLY_TS_PACKET_SIZE;
  info->pcr = rt_to_pcr (self->now);
  if (pcr) {
    self->have_pcr = TRUE;
    self->last_pcr = self->now;
  }
  p += arcly_ts_write_pes_to (&pad->ts, info, chunks, n_chunks, p);
  g_assert (p == o.map.data + size);
  gst_buffer_unmap (o.buf, &o.map);
  return o.buf;
}

static GstFlowReturn
push_output (ArclyTsMux * self, GstBuffer * buf, gint64 pts, gint64 dts,
    GstClockTime duration, gboolean keyframe)
{
  if (!buf) {
    GST_ELEMENT_ERROR (self, RESOURCE, FAILED, ("Out of memory"),
        ("could not allocate an output buffer"));
    return GST_FLOW_ERROR;
  }
  GST_BUFFER_PTS (buf) = rt_to_out (pts);
  GST_BUFFER_DTS (buf) = rt_to_out (dts);
  GST_BUFFER_DURATION (buf) = duration;
  if (!keyframe)
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
  if (self->first_output) {
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
    self->first_output = FALSE;
  }
  GST_OBJECT_LOCK (self);
  self->bytes_written += gst_buffer_get_size (buf);
  GST_OBJECT_UNLOCK (self);
  GST_CAT_LOG_OBJECT (arclytsmux_dataflow, self, "output %" G_GSIZE_FORMAT
      " bytes pts %" GST_STIME_FORMAT " %s", gst_buffer_get_size (buf),
      GST_STIME_ARGS (pts), keyframe ? "keyframe" : "delta");
  return gst_aggregator_finish_buffer (GST_AGGREGATOR (self), buf);
}

/* ----------------------------------------------------------------- audio -- */

/* Writes the ADTS frames waiting on @pad as one PES, in its own buffer. */
static GstFlowReturn
flush_audio (ArclyTsMux * self, ArclyTsMuxPad * pad)
{
  ArclyTsPesInfo info = { 0 };
  ArclyTsChunk chunk;
  GstBuffer *out;
  gboolean keyframe;

  if (pad->audio_frames == 0)
    return GST_FLOW_OK;

  advance_clock (self, pad->audio_start);
  /* Audio-only: the buffers that start with PAT/PMT are the cut points. */
  keyframe = !self->have_video && psi_due (self);
  info.stream_id = pad->stream_id;
  info.has_pts = TRUE;
  info.pts = rt_to_pts (pad->audio_start);
  info.data_alignment = TRUE;
  info.random_access = !self->have_video;
  info.write_pcr = (pad == self->pcr_pad);
  chunk.data = pad->audio_es->data;
  chunk.size = pad->audio_es->len;
  out = write_unit (self, pad, keyframe, &info, &chunk, 1);

  GST_CAT_LOG_OBJECT (arclytsmux_dataflow, pad, "audio PES of %u frames",
      pad->audio_frames);
  g_byte_array_set_size (pad->audio_es, 0);
  pad->audio_frames = 0;
  return push_output (self, out, pad->audio_start, pad->audio_start,
      pad->audio_end - pad->audio_start, keyframe);
}

static GstFlowReturn
flush_all_audio (ArclyTsMux * self)
{
  GstFlowReturn ret = GST_FLOW_OK;
  GList *pads = NULL, *l;

  GST_OBJECT_LOCK (self);
  for (l = GST_ELEMENT (self)->sinkpads; l; l = l->next)
    pads = g_list_prepend (pads, gst_object_ref (l->data));
  GST_OBJECT_UNLOCK (self);
  for (l = pads; l; l = l->next) {
    ArclyTsMuxPad *pad = l->data;

    if (ret == GST_FLOW_OK && pad->kind == STREAM_AUDIO)
      ret = flush_audio (self, pad);
  }
  g_list_free_full (pads, gst_object_unref);
  return ret;
}

static GstClockTime
audio_frame_duration (ArclyTsMuxPad * pad, GstBuffer * buf)
{
  if (GST_BUFFER_DURATION_IS_VALID (buf))
    return GST_BUFFER_DURATION (buf);
  if (!pad->adts && pad->aac.rate > 0)
    return gst_util_uint64_scale (pad->aac.frame_length
        ? pad->aac.frame_length : 1024, GST_SECOND, pad->aac.rate);
  if (pad->rate > 0)
    return gst_util_uint64_scale (1024, GST_SECOND, pad->rate);
  return 0;
}

static GstFlowReturn
handle_audio (ArclyTsMux * self, ArclyTsMuxPad * pad, GstBuffer * buf,
    gint64 pts, GstClockTime max_duration)
{
  GstFlowReturn ret = GST_FLOW_OK;
  GstMapInfo map;
  GstClockTime dur = audio_frame_duration (pad, buf);
  guint8 adts[ARCLY_AAC_ADTS_HEADER_SIZE];
  gsize frame_size;

  if (!gst_buffer_map (buf, &map, GST_MAP_READ)) {
    pad_drop (self, pad, DROP_MALFORMED, "could not map the buffer");
    return GST_FLOW_OK;
  }
  if (pad->adts) {
    guint hlen, flen;

    if (!arcly_aac_parse_adts_header (map.data, map.size, &hlen, &flen)) {
      pad_drop (self, pad, DROP_MALFORMED, "no ADTS header at the start");
      goto done;
    }
    frame_size = map.size;
  } else {
    if (!arcly_aac_write_adts_header (&pad->aac, map.size, adts)) {
      pad_drop (self, pad, DROP_MALFORMED, "AAC frame too big for ADTS");
      goto done;
    }
    frame_size = map.size + sizeof (adts);
  }

  /* Close the waiting PES when this frame would make it too long. */
  if (pad->audio_frames > 0 &&
      (pts + (gint64) dur - pad->audio_start > (gint64) max_duration
          || pad->audio_es->len + frame_size > AUDIO_PES_MAX_BYTES)) {
    ret = flush_audio (self, pad);
    if (ret != GST_FLOW_OK)
      goto done;
  }
  if (pad->audio_frames == 0)
    pad->audio_start = pts;
  if (!pad->adts)
    g_byte_array_append (pad->audio_es, adts, sizeof (adts));
  g_byte_array_append (pad->audio_es, map.data, map.size);
  pad->audio_frames++;
  GST_OBJECT_LOCK (self);
  pad->frames_written++;
  pad->bytes_written += map.size;
  GST_OBJECT_UNLOCK (self);
  pad->audio_end = pts + dur;
  if (max_duration == 0 || pad->audio_es->len >= AUDIO_PES_MAX_BYTES)
    ret = flush_audio (self, pad);

done:
  gst_buffer_unmap (buf, &map);
  return ret;
}

/* ----------------------------------------------------------------- video -- */

/* access_unit_delimiter_rbsp: primary_pic_type 7 (any slice type), then the
 * rbsp stop bit (H.264 §7.3.2.4). */
static const guint8 aud_nal[] = { 0x00, 0x00, 0x00, 0x01, 0x09, 0xf0 };
/* H.265 access_unit_delimiter_rbsp (§7.3.2.5): NAL header type 35, layer 0,
 * TemporalId 0; pic_type 2 (I, P and B slices), then the stop bit. */
static const guint8 aud_nal_h265[] = { 0x00, 0x00, 0x00, 0x01, 0x46, 0x01,
  0x50
};
static const guint8 start_code[] = { 0x00, 0x00, 0x00, 0x01 };

/* Keeps a copy of an in-band SPS or PPS; TRUE when it changed. */
static gboolean
store_param_set (GByteArray ** slot, const guint8 * nal, gsize size)
{
  if (*slot && (*slot)->len == size + 4
      && memcmp ((*slot)->data + 4, nal, size) == 0)
    return FALSE;
  if (!*slot)
    *slot = g_byte_array_new ();
  g_byte_array_set_size (*slot, 0);
  g_byte_array_append (*slot, start_code, 4);
  g_byte_array_append (*slot, nal, size);
  return TRUE;
}

/* Remembers the latest in-band parameter sets, for the IDRs without. */
static void
update_inband_params (ArclyTsMuxPad * pad, const ArclyTsH264Au * au)
{
  gboolean changed = FALSE;

  if (au->vps)
    changed |= store_param_set (&pad->inband_vps, au->vps, au->vps_size);
  if (au->sps)
    changed |= store_param_set (&pad->inband_sps, au->sps, au->sps_size);
  if (au->pps)
    changed |= store_param_set (&pad->inband_pps, au->pps, au->pps_size);
  if (changed && pad->inband_sps && pad->inband_pps &&
      (!pad->h265 || pad->inband_vps)) {
    if (!pad->inband_params)
      pad->inband_params = g_byte_array_new ();
    g_byte_array_set_size (pad->inband_params, 0);
    if (pad->h265)
      g_byte_array_append (pad->inband_params, pad->inband_vps->data,
          pad->inband_vps->len);
    g_byte_array_append (pad->inband_params, pad->inband_sps->data,
        pad->inband_sps->len);
    g_byte_array_append (pad->inband_params, pad->inband_pps->data,
        pad->inband_pps->len);
  }
}

/* The SPS that applies to @au: its own, the latest in-band one or the
 * first one of codec_data.  NULL when none is known. */
static const guint8 *
current_sps (ArclyTsMuxPad * pad, const ArclyTsH264Au * au, gsize * size)
{
  const GByteArray *a = pad->inband_sps ? pad->inband_sps :
      pad->codec_params;
  gsize pos;
  guint sc_len;

  if (au->sps) {
    *size = au->sps_size;
    return au->sps;
  }
  if (!a || a->len <= 4)
    return NULL;
  /* both start with a 4-byte start code; codec_params has more NALs */
  if (arcly_h264_find_start_code (a->data, a->len, 4, &pos, &sc_len))
    *size = pos - 4;
  else
    *size = a->len - 4;
  return a->data + 4;
}

/* Video with a DTS and no PTS is written with PTS = DTS: checked once
 * against the SPS, as soon as one is known. */
static void
check_dts_only_video (ArclyTsMux * self, ArclyTsMuxPad * pad,
    const ArclyTsH264Au * au)
{
  gsize size = 0;
  const guint8 *nal;

  if (pad->h265) {
    /* the AU's own SPS or the latest in-band one (H.265 has no
     * codec_data here) */
    nal = au->sps ? au->sps : pad->inband_sps ? pad->inband_sps->data + 4 :
        NULL;
    size = au->sps ? au->sps_size : pad->inband_sps ?
        pad->inband_sps->len - 4 : 0;
    if (!nal)
      return;                   /* again at the next unit */
    pad->reorder_checked = TRUE;
    arcly_mux_check_dts_only_h265 (GST_ELEMENT (self), GST_PAD (pad), nal,
        size);
    return;
  }
  nal = current_sps (pad, au, &size);
  if (!nal)
    return;                     /* again at the next unit */
  pad->reorder_checked = TRUE;
  arcly_mux_check_dts_only_video (GST_ELEMENT (self), GST_PAD (pad), nal,
      size);
}

static GstFlowReturn
handle_video (ArclyTsMux * self, ArclyTsMuxPad * pad, GstBuffer * buf,
    gint64 pts, gint64 dts, gboolean pts_from_dts)
{
  GstFlowReturn ret = GST_FLOW_OK;
  GstMapInfo map;
  ArclyTsH264Au au;
  ArclyTsChunk *head;
  gboolean keyframe, has_params, pcr = (pad == self->pcr_pad), ok;
  const GByteArray *params = NULL;
  ArclyTsPesInfo info = { 0 };
  GstBuffer *out;

  if (!gst_buffer_map (buf, &map, GST_MAP_READ)) {
    pad_drop (self, pad, DROP_MALFORMED, "could not map the buffer");
    return GST_FLOW_OK;
  }
  /* chunks 0 and 1 (AUD, parameter sets) are filled in below */
  g_array_set_size (self->chunks, 2);
  if (pad->avc) {
    ok = arcly_ts_h264_avc_chunks (map.data, map.size, pad->nal_length_size,
        self->chunks, &au);
  } else {
    ok = pad->h265 ? arcly_ts_h265_scan_annexb (map.data, map.size, &au) :
        arcly_ts_h264_scan_annexb (map.data, map.size, &au);
    if (ok) {
      ArclyTsChunk rest = { map.data + au.after_aud, map.size - au.after_aud };

      g_array_append_val (self->chunks, rest);
    }
  }
  if (!ok) {
    pad_drop (self, pad, DROP_MALFORMED, pad->avc ?
        "NAL length prefixes do not match the buffer size" :
        "no Annex-B start code in the access unit");
    goto done;
  }

  update_inband_params (pad, &au);

  /* H.265: has_idr is an IRAP picture, and a VPS belongs to the sets */
  has_params = au.has_sps && au.has_pps && (!pad->h265 || au.has_vps);
  keyframe = au.has_idr || (!pad->h265 && !GST_BUFFER_FLAG_IS_SET (buf,
          GST_BUFFER_FLAG_DELTA_UNIT) && has_params);
  if (keyframe && !has_params) {
    params = pad->inband_params ? pad->inband_params : pad->codec_params;
    if (!params) {
      pad_drop (self, pad, DROP_NO_PARAMS, pad->h265 ? "an IRAP picture "
          "arrived but the stream gave no VPS, SPS and PPS: upstream must "
          "send them (e.g. h265parse config-interval=-1)" : "an IDR arrived "
          "but neither codec_data nor the stream gave SPS and PPS: upstream "
          "must send them (e.g. h264parse config-interval=-1)");
      pad->seen_keyframe = FALSE;
      goto done;
    }
  }
  if (!keyframe && !pad->seen_keyframe) {
    /* Leading frames that no decoder could use. */
    GST_CAT_DEBUG_OBJECT (arclytsmux_dataflow, pad,
        "dropping delta unit before the first keyframe");
    GST_OBJECT_LOCK (self);
    pad->frames_dropped++;
    GST_OBJECT_UNLOCK (self);
    goto done;
  }
  if (keyframe)
    pad->seen_keyframe = TRUE;
  if (pts_from_dts && !pad->reorder_checked)
    check_dts_only_video (self, pad, &au);

  /* AUD first, then the parameter sets before an IDR (or nothing: an
   * empty chunk), then the AU. */
  head = (ArclyTsChunk *) self->chunks->data;
  if (au.aud_first) {
    head[0].data = map.data;
    head[0].size = au.after_aud;
  } else if (pad->h265) {
    head[0].data = aud_nal_h265;
    head[0].size = sizeof (aud_nal_h265);
  } else {
    head[0].data = aud_nal;
    head[0].size = sizeof (aud_nal);
  }
  head[1].data = params ? params->data : NULL;
  head[1].size = params ? params->len : 0;

  /* The buffer that starts a GOP starts with what a new reader needs: the
   * audio waiting for its PES goes first, then PAT/PMT. */
  if (keyframe && pcr) {
    ret = flush_all_audio (self);
    if (ret != GST_FLOW_OK)
      goto done;
  }

  advance_clock (self, dts);
  info.stream_id = pad->stream_id;
  info.has_pts = info.has_dts = TRUE;
  info.pts = rt_to_pts (pts);
  info.dts = rt_to_pts (dts);
  info.data_alignment = TRUE;
  info.random_access = keyframe;
  info.write_pcr = pcr;
  out = write_unit (self, pad, (keyframe && pcr) || psi_due (self), &info,
      (const ArclyTsChunk *) self->chunks->data, self->chunks->len);
  GST_OBJECT_LOCK (self);
  pad->frames_written++;
  pad->bytes_written += map.size;
  GST_OBJECT_UNLOCK (self);
  ret = push_output (self, out, pts, dts, GST_BUFFER_DURATION (buf),
      keyframe && pcr);

done:
  gst_buffer_unmap (buf, &map);
  return ret;
}

/* ------------------------------------------------------------ aggregate -- */

static GstFlowReturn
handle_buffer (ArclyTsMux * self, ArclyTsMuxPad * pad, GstBuffer * buf)
{
  gint64 pts, dts;
  GstClockTime max_audio;
  gboolean pts_from_dts = FALSE;

  if (!pad->configured) {
    pad_drop (self, pad, DROP_NOT_CONFIGURED, NULL);
    return GST_FLOW_OK;
  }
  if (gst_buffer_get_size (buf) == 0) {
    pad_drop (self, pad, DROP_EMPTY, NULL);
    return GST_FLOW_OK;
  }
  if (GST_BUFFER_PTS_IS_VALID (buf)) {
    if (!pad_running_time (pad, GST_BUFFER_PTS (buf), &pts)) {
      pad_drop (self, pad, DROP_NO_TIMESTAMP, "the buffer's PTS is outside "
          "the segment");
      return GST_FLOW_OK;
    }
    if (!pad_running_time (pad, GST_BUFFER_DTS (buf), &dts))
      dts = pts;
  } else {
    /* DTS only (h264parse on a raw .h264 file, demuxers and encoders
     * without reordering): PTS = DTS, checked against the SPS for video
     * (handle_video); AAC is never reordered. */
    if (!pad_running_time (pad, GST_BUFFER_DTS (buf), &dts)) {
      pad_drop (self, pad, DROP_NO_TIMESTAMP, "the buffer has neither PTS "
          "nor DTS, or a DTS outside the segment");
      return GST_FLOW_OK;
    }
    pts = dts;
    pts_from_dts = TRUE;
  }
  if (pad->have_last && dts < pad->last_in_dts) {
    gchar *detail = g_strdup_printf ("DTS %" GST_STIME_FORMAT " after %"
        GST_STIME_FORMAT, GST_STIME_ARGS (dts),
        GST_STIME_ARGS (pad->last_in_dts));

    pad_drop (self, pad, DROP_BACKWARDS, detail);
    g_free (detail);
    return GST_FLOW_OK;
  }
  pad->last_in_dts = dts;
  if (pad->kind == STREAM_VIDEO && pad->have_last
      && pad->last_dts >= -(gint64) (CLOCK_BASE + DTS_DELAY)
      && rt_to_tick (dts) <= rt_to_tick (pad->last_dts)) {
    /* Two frames on one 90 kHz tick (a camera that repeats an RTP
     * timestamp, timestamps finer than the TS clock): decoders and
     * demuxers need increasing DTS, and dropping the frame would break
     * the GOP's references, so it moves to the next tick. */
    GST_DEBUG_OBJECT (pad, "DTS %" GST_STIME_FORMAT " on the previous "
        "frame's 90 kHz tick: moved to the next", GST_STIME_ARGS (dts));
    dts = tick_after (rt_to_tick (pad->last_dts));
    pts = MAX (pts, dts);
  }
  if (pad->have_last && pad == self->pcr_pad)
    self->psi_step = CLAMP (dts - pad->last_dts, 0, PSI_MAX_STEP);
  pad->have_last = TRUE;
  pad->last_dts = dts;

  GST_CAT_LOG_OBJECT (arclytsmux_dataflow, pad, "%" G_GSIZE_FORMAT
      " bytes, pts %" GST_STIME_FORMAT " dts %" GST_STIME_FORMAT,
      gst_buffer_get_size (buf), GST_STIME_ARGS (pts), GST_STIME_ARGS (dts));

  if (pad->kind == STREAM_VIDEO)
    return handle_video (self, pad, buf, pts, dts, pts_from_dts);

  GST_OBJECT_LOCK (self);
  max_audio = self->audio_pes_max_duration;
  GST_OBJECT_UNLOCK (self);
  return handle_audio (self, pad, buf, pts, max_audio);
}

/* The sink pad whose next buffer has the earliest DTS (PTS when no DTS);
 * buffers without a usable timestamp come first, to be dropped.
 * @all_ready: every pad has a buffer waiting or is at EOS, so the choice is
 * the same as the one a later call would make. */
static ArclyTsMuxPad *
pick_pad (ArclyTsMux * self, gboolean * all_eos, gboolean * all_ready)
{
  ArclyTsMuxPad *best = NULL;
  gint64 best_t = 0;
  GList *l;

  *all_eos = TRUE;
  *all_ready = TRUE;
  GST_OBJECT_LOCK (self);
  for (l = GST_ELEMENT (self)->sinkpads; l; l = l->next) {
    ArclyTsMuxPad *pad = l->data;
    GstBuffer *buf = gst_aggregator_pad_peek_buffer (GST_AGGREGATOR_PAD (pad));
    gint64 t;

    if (!buf) {
      if (!gst_aggregator_pad_is_eos (GST_AGGREGATOR_PAD (pad))) {
        *all_eos = FALSE;
        *all_ready = FALSE;
      }
      continue;
    }
    *all_eos = FALSE;
    if (!pad_running_time (pad, GST_BUFFER_DTS (buf), &t)
        && !pad_running_time (pad, GST_BUFFER_PTS (buf), &t))
      t = G_MININT64;
    gst_buffer_unref (buf);
    if (!best || t < best_t) {
      best = pad;
      best_t = t;
    }
  }
  if (best)
    gst_object_ref (best);
  GST_OBJECT_UNLOCK (self);
  return best;
}

/* Pads queue NONLIVE_QUEUE_TIME each without a live source (aggqueue.h);
 * decided when the stream (re)starts, once upstream latency is known. */
static void
update_queue_depth (ArclyTsMux * self)
{
  GstAggregator *agg = GST_AGGREGATOR (self);
  gboolean live = GST_CLOCK_TIME_IS_VALID (gst_aggregator_get_latency (agg));

  if (arcly_agg_queue_update (agg, &self->queue, live))
    GST_DEBUG_OBJECT (self, "%s input: pads queue %" GST_TIME_FORMAT,
        live ? "live" : "non-live",
        GST_TIME_ARGS (live ? 0 : NONLIVE_QUEUE_TIME));
}

static GstFlowReturn
arcly_ts_mux_aggregate (GstAggregator * agg, gboolean timeout)
{
  ArclyTsMux *self = ARCLY_TS_MUX (agg);
  ArclyTsMuxPad *pad;
  GstBuffer *buf;
  GstFlowReturn ret = GST_FLOW_OK;
  gboolean all_eos, all_ready;
  guint n;

  if (ensure_program (self) || !self->caps_sent) {
    if (self->caps_sent)
      self->have_psi = FALSE;   /* a new PMT version: announce it now */
    send_caps (self);
    update_queue_depth (self);
  }

  /* One unit, then as many as are queued (bounded, so that events and
   * state changes waiting in the base class are not held back long) while
   * every pad has one to compare: GstAggregator would call again at once
   * for each of them anyway. */
  for (n = 0; n < MAX_UNITS_PER_CALL && ret == GST_FLOW_OK; n++) {
    pad = pick_pad (self, &all_eos, &all_ready);
    if (!pad) {
      if (n > 0 || !all_eos)
        break;
      ret = flush_all_audio (self);
      GST_DEBUG_OBJECT (self, "all pads at EOS");
      return ret == GST_FLOW_OK ? GST_FLOW_EOS : ret;
    }
    if (n > 0 && !all_ready) {
      gst_object_unref (pad);
      break;
    }
    buf = gst_aggregator_pad_pop_buffer (GST_AGGREGATOR_PAD (pad));
    if (buf) {
      ret = handle_buffer (self, pad, buf);
      gst_buffer_unref (buf);
    }
    gst_object_unref (pad);
    if (!buf)
      break;
  }
  return ret;
}

/* ------------------------------------------------------------------ caps -- */

static gboolean
set_video_caps (ArclyTsMux * self, ArclyTsMuxPad * pad, GstStructure * s)
{
  const gchar *format = gst_structure_get_string (s, "stream-format");
  const GValue *v = gst_structure_get_value (s, "codec_data");
  GstBuffer *codec_data = v ? gst_value_get_buffer (v) : NULL;
  gboolean h265 = gst_structure_has_name (s, "video/x-h265");

  if (h265 != pad->h265) {
    /* the PMT's stream_type follows the codec */
    GST_OBJECT_LOCK (self);
    pad->h265 = h265;
    self->program_changed = TRUE;
    GST_OBJECT_UNLOCK (self);
  }
  pad->avc = g_strcmp0 (format, "avc") == 0;
  g_clear_pointer (&pad->codec_params, g_byte_array_unref);
  g_clear_pointer (&pad->inband_vps, g_byte_array_unref);
  g_clear_pointer (&pad->inband_sps, g_byte_array_unref);
  g_clear_pointer (&pad->inband_pps, g_byte_array_unref);
  g_clear_pointer (&pad->inband_params, g_byte_array_unref);

  /* H.265 comes as byte-stream only (the template): its parameter sets
   * are in band, a codec_data (hvcC) next to them is not needed */
  if (codec_data && !h265) {
    GPtrArray *sps = g_ptr_array_new_with_free_func (
        (GDestroyNotify) g_bytes_unref);
    GPtrArray *pps = g_ptr_array_new_with_free_func (
        (GDestroyNotify) g_bytes_unref);
    GstMapInfo map;
    guint nls = 4, i;
    gboolean ok;

    gst_buffer_map (codec_data, &map, GST_MAP_READ);
    ok = arcly_h264_avcc_parse (map.data, map.size, sps, pps, &nls);
    gst_buffer_unmap (codec_data, &map);
    if (ok && sps->len > 0 && pps->len > 0) {
      pad->codec_params = g_byte_array_new ();
      for (i = 0; i < sps->len + pps->len; i++) {
        GBytes *b = i < sps->len ? g_ptr_array_index (sps, i) :
            g_ptr_array_index (pps, i - sps->len);
        gsize len;
        const guint8 *d = g_bytes_get_data (b, &len);

        g_byte_array_append (pad->codec_params, start_code, 4);
        g_byte_array_append (pad->codec_params, d, len);
      }
      pad->nal_length_size = nls;
    } else {
      ok = FALSE;
    }
    g_ptr_array_unref (sps);
    g_ptr_array_unref (pps);
    if (!ok && pad->avc) {
      GST_ELEMENT_ERROR (self, STREAM, FORMAT,
          ("Invalid H.264 codec_data on pad %s", GST_PAD_NAME (pad)),
          ("the avcC record in the caps could not be parsed or has no SPS "
              "or PPS"));
      return FALSE;
    }
  } else if (pad->avc) {
    GST_ELEMENT_ERROR (self, STREAM, FORMAT,
        ("H.264 in avc format without codec_data on pad %s",
            GST_PAD_NAME (pad)),
        ("stream-format=avc needs the avcC record in the caps (codec_data); "
            "use h264parse or stream-format=byte-stream"));
    return FALSE;
  }
  return TRUE;
}

static gboolean
set_audio_caps (ArclyTsMux * self, ArclyTsMuxPad * pad, GstStructure * s)
{
  const gchar *format = gst_structure_get_string (s, "stream-format");
  const GValue *v = gst_structure_get_value (s, "codec_data");
  GstBuffer *codec_data = v ? gst_value_get_buffer (v) : NULL;
  guint8 probe[ARCLY_AAC_ADTS_HEADER_SIZE];

  pad->rate = 0;
  gst_structure_get_int (s, "rate", &pad->rate);
  pad->adts = g_strcmp0 (format, "adts") == 0;
  memset (&pad->aac, 0, sizeof (pad->aac));
  if (pad->adts)
    return TRUE;

  if (codec_data) {
    GstMapInfo map;
    gboolean ok;

    gst_buffer_map (codec_data, &map, GST_MAP_READ);
    ok = arcly_aac_parse_asc (map.data, map.size, &pad->aac);
    gst_buffer_unmap (codec_data, &map);
    /* ADTS carries the AAC core: HE-AAC (SBR, PS) is signalled implicitly
     * in its payload, so the header says AAC-LC at the core rate. */
    if (ok && (pad->aac.object_type == 5 || pad->aac.object_type == 29))
      pad->aac.object_type = 2;
    if (ok && arcly_aac_write_adts_header (&pad->aac, 0, probe))
      return TRUE;
  }
  GST_ELEMENT_ERROR (self, STREAM, FORMAT,
      ("Raw AAC on pad %s without a usable codec_data", GST_PAD_NAME (pad)),
      ("stream-format=raw needs an AudioSpecificConfig (codec_data) that ADTS "
          "can express: AAC Main/LC/SSR/LTP, sample-rate index, channel "
          "configuration 1-7"));
  return FALSE;
}

static gboolean
arcly_ts_mux_sink_event (GstAggregator * agg, GstAggregatorPad * apad,
    GstEvent * event)
{
  ArclyTsMux *self = ARCLY_TS_MUX (agg);
  ArclyTsMuxPad *pad = ARCLY_TS_MUX_PAD (apad);

  if (GST_EVENT_TYPE (event) == GST_EVENT_CAPS) {
    GstCaps *caps;
    GstStructure *s;
    gboolean ok;

    gst_event_parse_caps (event, &caps);
    s = gst_caps_get_structure (caps, 0);
    GST_DEBUG_OBJECT (pad, "caps %" GST_PTR_FORMAT, caps);
    if (pad->kind == STREAM_VIDEO) {
      /* A new stream configuration: flush what is waiting in the old one. */
      ok = set_video_caps (self, pad, s);
    } else {
      flush_audio (self, pad);
      ok = set_audio_caps (self, pad, s);
    }
    pad->configured = ok;
    if (!ok) {
      gst_event_unref (event);
      return FALSE;
    }
  }
  return GST_AGGREGATOR_CLASS (arcly_ts_mux_parent_class)->sink_event (agg,
      apad, event);
}

/* ---------------------------------------------------------- lifecycle -- */

static void
reset_stream (ArclyTsMux * self)
{
  GList *l;

  self->pat.pid = ARCLY_TS_PAT_PID;
  self->pat.cc = 0;
  self->pmt.pid = PMT_PID;
  self->pmt.cc = 0;
  self->first_output = TRUE;
  self->have_pcr = FALSE;
  self->first_rt = GST_CLOCK_TIME_NONE;
  self->have_psi = FALSE;
  self->have_now = FALSE;
  self->psi_step = 0;
  GST_OBJECT_LOCK (self);
  for (l = GST_ELEMENT (self)->sinkpads; l; l = l->next)
    pad_reset_stream (l->data);
  GST_OBJECT_UNLOCK (self);
}

static gboolean
arcly_ts_mux_start (GstAggregator * agg)
{
  ArclyTsMux *self = ARCLY_TS_MUX (agg);

  GList *l;

  reset_stream (self);
  self->caps_sent = FALSE;
  self->program.version = 0;
  GST_OBJECT_LOCK (self);
  self->program_changed = TRUE;
  /* "stats" count from the start of each run */
  self->bytes_written = 0;
  for (l = GST_ELEMENT (self)->sinkpads; l; l = l->next) {
    ArclyTsMuxPad *pad = l->data;

    pad->frames_written = pad->bytes_written = pad->frames_dropped = 0;
  }
  GST_OBJECT_UNLOCK (self);
  return TRUE;
}

static gboolean
arcly_ts_mux_stop (GstAggregator * agg)
{
  ArclyTsMux *self = ARCLY_TS_MUX (agg);

  reset_stream (self);
  gst_clear_object (&self->pcr_pad);
  /* The next run may be live: give the latency property back as it was
   * (update_queue_depth decides again once data flows). */
  arcly_agg_queue_restore (agg, &self->queue);
  return TRUE;
}

static GstFlowReturn
arcly_ts_mux_flush (GstAggregator * agg)
{
  ArclyTsMux *self = ARCLY_TS_MUX (agg);

  /* After a flushing seek the stream restarts: PAT/PMT and PCR first. */
  reset_stream (self);
  return GST_FLOW_OK;
}

static gboolean
arcly_ts_mux_negotiate (GstAggregator * agg)
{
  /* The caps (with their streamheader) are set from aggregate once the
   * program is known. */
  return TRUE;
}

static gboolean
pad_started (GstAggregatorPad * pad)
{
  return ARCLY_TS_MUX_PAD (pad)->have_last;
}

/* Live: when an input stops, the others go on after the latency
 * (muxcommon.h). */
static GstClockTime
arcly_ts_mux_get_next_time (GstAggregator * agg)
{
  return arcly_mux_next_time (agg, pad_started,
      &ARCLY_TS_MUX (agg)->first_rt);
}

static GstAggregatorPad *
arcly_ts_mux_create_new_pad (GstAggregator * agg, GstPadTemplate * templ,
    const gchar * req_name, const GstCaps * caps)
{
  ArclyTsMux *self = ARCLY_TS_MUX (agg);
  GstPadTemplate *video_templ = gst_element_class_get_pad_template
      (GST_ELEMENT_GET_CLASS (self), "video_%u");
  StreamKind kind = templ == video_templ ? STREAM_VIDEO : STREAM_AUDIO;
  const gchar *prefix = kind == STREAM_VIDEO ? "video_" : "audio_";
  gboolean used[MAX_PADS_PER_KIND] = { FALSE };
  ArclyTsMuxPad *pad;
  GList *l;
  guint index = G_MAXUINT, i;
  gchar *name;

  GST_OBJECT_LOCK (self);
  for (l = GST_ELEMENT (self)->sinkpads; l; l = l->next) {
    ArclyTsMuxPad *p = l->data;

    if (p->kind == kind && p->index < MAX_PADS_PER_KIND)
      used[p->index] = TRUE;
  }
  if (req_name && g_str_has_prefix (req_name, prefix)) {
    gchar *end = NULL;
    guint64 n = g_ascii_strtoull (req_name + strlen (prefix), &end, 10);

    if (end && *end == '\0' && end != req_name + strlen (prefix)
        && n < MAX_PADS_PER_KIND && !used[n])
      index = n;
  } else if (!req_name || strchr (req_name, '%')) {
    for (i = 0; i < MAX_PADS_PER_KIND && index == G_MAXUINT; i++)
      if (!used[i])
        index = i;
  }
  if (index == G_MAXUINT) {
    GST_OBJECT_UNLOCK (self);
    GST_WARNING_OBJECT (self, "cannot create pad %s: name taken or more "
        "than %u %s pads", GST_STR_NULL (req_name), MAX_PADS_PER_KIND,
        prefix);
    return NULL;
  }
  self->program_changed = TRUE;
  GST_OBJECT_UNLOCK (self);

  name = g_strdup_printf ("%s%u", prefix, index);
  pad = g_object_new (ARCLY_TYPE_TS_MUX_PAD, "name", name, "direction",
      GST_PAD_SINK, "template", templ, NULL);
  g_free (name);
  pad->kind = kind;
  pad->index = index;
  pad->ts.pid = (kind == STREAM_VIDEO ? VIDEO_PID_BASE : AUDIO_PID_BASE)
      + index;
  pad->stream_id = (kind == STREAM_VIDEO ? ARCLY_TS_STREAM_ID_VIDEO :
      ARCLY_TS_STREAM_ID_AUDIO) + index;
  return GST_AGGREGATOR_PAD (pad);
}

static void
arcly_ts_mux_release_pad (GstElement * element, GstPad * pad)
{
  ArclyTsMux *self = ARCLY_TS_MUX (element);

  GST_OBJECT_LOCK (self);
  self->program_changed = TRUE;
  GST_OBJECT_UNLOCK (self);
  GST_ELEMENT_CLASS (arcly_ts_mux_parent_class)->release_pad (element, pad);
}

/* ---------------------------------------------------------- properties -- */

/* "stats": an arcly-tsmux-stats structure (the naming scheme is in
 * docs/architecture.md), totals and one arcly-tsmux-pad-stats per pad. */
static GstStructure *
make_stats (ArclyTsMux * self)
{
  GValue pads = G_VALUE_INIT;
  guint64 frames = 0, dropped = 0;
  GstStructure *s;
  GList *l;

  g_value_init (&pads, GST_TYPE_ARRAY);
  GST_OBJECT_LOCK (self);
  for (l = GST_ELEMENT (self)->sinkpads; l; l = l->next) {
    ArclyTsMuxPad *pad = l->data;
    GValue v = G_VALUE_INIT;

    g_value_init (&v, GST_TYPE_STRUCTURE);
    g_value_take_boxed (&v, arcly_mux_pad_stats_new ("arcly-tsmux-pad-stats",
            GST_PAD (pad), pad->kind == STREAM_VIDEO, pad->frames_written,
            pad->bytes_written, pad->frames_dropped));
    gst_value_array_append_and_take_value (&pads, &v);
    frames += pad->frames_written;
    dropped += pad->frames_dropped;
  }
  s = gst_structure_new ("arcly-tsmux-stats",
      "frames-written", G_TYPE_UINT64, frames,
      "bytes-written", G_TYPE_UINT64, self->bytes_written,
      "frames-dropped", G_TYPE_UINT64, dropped, NULL);
  GST_OBJECT_UNLOCK (self);
  gst_structure_take_value (s, "pads", &pads);
  return s;
}

static void
arcly_ts_mux_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  ArclyTsMux *self = ARCLY_TS_MUX (object);

  switch (prop_id) {
    case PROP_AUDIO_PES_MAX_DURATION:{
      GstClockTime d = g_value_get_uint64 (value);

      GST_OBJECT_LOCK (self);
      self->audio_pes_max_duration = d;
      GST_OBJECT_UNLOCK (self);
      /* Audio waits up to this long for its PES: report it as latency. */
      gst_aggregator_set_latency (GST_AGGREGATOR (self), d, d);
      break;
    }
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
arcly_ts_mux_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  ArclyTsMux *self = ARCLY_TS_MUX (object);

  switch (prop_id) {
    case PROP_AUDIO_PES_MAX_DURATION:
      GST_OBJECT_LOCK (self);
      g_value_set_uint64 (value, self->audio_pes_max_duration);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_STATS:
      g_value_take_boxed (value, make_stats (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
arcly_ts_mux_finalize (GObject * object)
{
  ArclyTsMux *self = ARCLY_TS_MUX (object);

  g_array_unref (self->chunks);
  gst_clear_object (&self->pcr_pad);
  G_OBJECT_CLASS (arcly_ts_mux_parent_class)->finalize (object);
}

static void
arcly_ts_mux_class_init (ArclyTsMuxClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstAggregatorClass *agg_class = GST_AGGREGATOR_CLASS (klass);

  gobject_class->set_property = arcly_ts_mux_set_property;
  gobject_class->get_property = arcly_ts_mux_get_property;
  gobject_class->finalize = arcly_ts_mux_finalize;

  g_object_class_install_property (gobject_class, PROP_AUDIO_PES_MAX_DURATION,
      g_param_spec_uint64 ("audio-pes-max-duration",
          "Audio PES maximum duration",
          "Longest stretch of audio (in ns) carried by one PES packet: fewer "
          "headers and less stuffing, at the cost of this much audio latency; "
          "0 puts every AAC frame in its own PES", 0,
          MAX_AUDIO_PES_MAX_DURATION, DEFAULT_AUDIO_PES_MAX_DURATION,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics",
          "arcly-tsmux-stats: frames-written, bytes-written (output), "
          "frames-dropped, and pads (an array of arcly-tsmux-pad-stats: pad, "
          "media, frames-written, bytes-written, frames-dropped); counted "
          "from READY to PAUSED", GST_TYPE_STRUCTURE,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  gst_element_class_add_static_pad_template_with_gtype (element_class,
      &src_template, GST_TYPE_AGGREGATOR_PAD);
  gst_element_class_add_static_pad_template_with_gtype (element_class,
      &video_template, ARCLY_TYPE_TS_MUX_PAD);
  gst_element_class_add_static_pad_template_with_gtype (element_class,
      &audio_template, ARCLY_TYPE_TS_MUX_PAD);
  gst_element_class_set_static_metadata (element_class,
      "MPEG-TS muxer (gst-arcly)", "Codec/Muxer",
      "Multiplexes H.264 and AAC into an MPEG-2 transport stream, one buffer "
      "per access unit, PAT/PMT at every keyframe",
      "gst-arcly developers");

  element_class->release_pad = GST_DEBUG_FUNCPTR (arcly_ts_mux_release_pad);
  agg_class->aggregate = GST_DEBUG_FUNCPTR (arcly_ts_mux_aggregate);
  agg_class->sink_event = GST_DEBUG_FUNCPTR (arcly_ts_mux_sink_event);
  agg_class->start = GST_DEBUG_FUNCPTR (arcly_ts_mux_start);
  agg_class->stop = GST_DEBUG_FUNCPTR (arcly_ts_mux_stop);
  agg_class->flush = GST_DEBUG_FUNCPTR (arcly_ts_mux_flush);
  agg_class->negotiate = GST_DEBUG_FUNCPTR (arcly_ts_mux_negotiate);
  agg_class->create_new_pad = GST_DEBUG_FUNCPTR (arcly_ts_mux_create_new_pad);
  agg_class->get_next_time = GST_DEBUG_FUNCPTR (arcly_ts_mux_get_next_time);

  gst_type_mark_as_plugin_api (ARCLY_TYPE_TS_MUX_PAD, 0);
}

static void
arcly_ts_mux_init (ArclyTsMux * self)
{
  self->audio_pes_max_duration = DEFAULT_AUDIO_PES_MAX_DURATION;
  self->chunks = g_array_new (FALSE, FALSE, sizeof (ArclyTsChunk));
  self->program_changed = TRUE;
  self->queue.depth = NONLIVE_QUEUE_TIME;
  arcly_ts_program_init (&self->program, 1, PMT_PID);
  gst_aggregator_set_latency (GST_AGGREGATOR (self),
      DEFAULT_AUDIO_PES_MAX_DURATION, DEFAULT_AUDIO_PES_MAX_DURATION);
}
