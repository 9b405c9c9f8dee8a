/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * arclytsmux: the transport stream it writes is read back by a small TS
 * walker in this file (PAT/PMT positions and CRCs, PCR spacing, continuity
 * counters, PES timestamps, the AU contents), through GstHarness with
 * synthetic access units; then real round trips: x264enc + voaacenc through
 * arclytsmux, read back by GStreamer's tsdemux, ffprobe and ffmpeg, and
 * splitmuxsink with arclytsmux as its muxer.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include "arcly-agg-queue-check.h"

#include "tswriter.h"           /* only the CRC, unit-tested on its own */

#define FRAME_NS(i, fps) gst_util_uint64_scale ((i), GST_SECOND, (fps))
#define AAC_FRAME_NS gst_util_uint64_scale (1024, GST_SECOND, 48000)
#define PMT_PID 0x1000
#define VIDEO_PID 0x100
#define AUDIO_PID 0x110

/* the TS walker: ts_scan (), Pes, TsScan */
#include "arcly-ts-check.h"

/* The NAL unit types of an Annex-B ES, in order. */
static GArray *
nal_types (const guint8 * d, gsize size)
{
  GArray *types = g_array_new (FALSE, FALSE, sizeof (guint));
  gsize i;

  for (i = 0; i + 3 < size; i++) {
    if (d[i] == 0 && d[i + 1] == 0 && d[i + 2] == 1) {
      guint t = d[i + 3] & 0x1f;

      g_array_append_val (types, t);
      i += 3;
    }
  }
  return types;
}

/* ======================================== synthetic input streams ==== */

static const guint8 sps[] = { 0x67, 0x42, 0xc0, 0x1e, 0x95, 0xa0, 0x50, 0x1f };
static const guint8 pps[] = { 0x68, 0xce, 0x3c, 0x80 };

/* An access unit: optional AUD, SPS/PPS, then one slice of @slice_size. */
static GstBuffer *
make_au (gboolean avc, gboolean idr, gboolean with_params, gboolean with_aud,
    gsize slice_size, GstClockTime pts, GstClockTime dts)
{
  GByteArray *a = g_byte_array_new ();
  guint8 *slice = g_malloc (slice_size);
  GstBuffer *buf;
  gsize len;

#define ADD_NAL(d, n) G_STMT_START {                                     \
    if (avc) {                                                          \
      guint8 l[4] = { (n) >> 24, ((n) >> 16) & 0xff, ((n) >> 8) & 0xff,  \
        (n) & 0xff };                                                   \
      g_byte_array_append (a, l, 4);                                    \
    } else {                                                            \
      static const guint8 sc[] = { 0, 0, 0, 1 };                        \
      g_byte_array_append (a, sc, 4);                                   \
    }                                                                   \
    g_byte_array_append (a, (d), (n));                                  \
  } G_STMT_END

  memset (slice, 0x55, slice_size);
  slice[0] = idr ? 0x65 : 0x41;
  if (with_aud) {
    static const guint8 aud[] = { 0x09, 0xf0 };
    ADD_NAL (aud, 2);
  }
  if (with_params) {
    ADD_NAL (sps, sizeof (sps));
    ADD_NAL (pps, sizeof (pps));
  }
  ADD_NAL (slice, slice_size);
#undef ADD_NAL
  g_free (slice);
  len = a->len;
  buf = gst_buffer_new_wrapped (g_byte_array_free (a, FALSE), len);
  GST_BUFFER_PTS (buf) = pts;
  GST_BUFFER_DTS (buf) = dts;
  if (!idr)
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
  return buf;
}

static GstCaps *
video_caps (gboolean avc)
{
  GstCaps *caps = gst_caps_new_simple ("video/x-h264",
      "stream-format", G_TYPE_STRING, avc ? "avc" : "byte-stream",
      "alignment", G_TYPE_STRING, "au", "width", G_TYPE_INT, 320,
      "height", G_TYPE_INT, 240, "framerate", GST_TYPE_FRACTION, 30, 1, NULL);

  if (avc) {
    guint8 rec[64];
    gsize n = 0;
    GstBuffer *cd;

    rec[n++] = 1;
    rec[n++] = sps[1];
    rec[n++] = sps[2];
    rec[n++] = sps[3];
    rec[n++] = 0xff;
    rec[n++] = 0xe1;
    rec[n++] = 0;
    rec[n++] = sizeof (sps);
    memcpy (rec + n, sps, sizeof (sps));
    n += sizeof (sps);
    rec[n++] = 1;
    rec[n++] = 0;
    rec[n++] = sizeof (pps);
    memcpy (rec + n, pps, sizeof (pps));
    n += sizeof (pps);
    cd = gst_buffer_new_memdup (rec, n);
    gst_caps_set_simple (caps, "codec_data", GST_TYPE_BUFFER, cd, NULL);
    gst_buffer_unref (cd);
  }
  return caps;
}

static GstCaps *
audio_caps (void)
{
  static const guint8 asc[] = { 0x11, 0x90 };   /* AAC-LC 48 kHz stereo */
  GstBuffer *cd = gst_buffer_new_memdup (asc, sizeof (asc));
  GstCaps *caps = gst_caps_new_simple ("audio/mpeg",
      "mpegversion", G_TYPE_INT, 4, "stream-format", G_TYPE_STRING, "raw",
      "rate", G_TYPE_INT, 48000, "channels", G_TYPE_INT, 2,
      "codec_data", GST_TYPE_BUFFER, cd, NULL);

  gst_buffer_unref (cd);
  return caps;
}

static GstBuffer *
make_aac (guint i, guint64 base)
{
  guint8 frame[300];
  GstBuffer *buf;

  memset (frame, 0x20 + (i & 0x3f), sizeof (frame));
  buf = gst_buffer_new_memdup (frame, 200 + (i % 100));
  GST_BUFFER_PTS (buf) = base + gst_util_uint64_scale (i, 1024 * GST_SECOND,
      48000);
  GST_BUFFER_DURATION (buf) = AAC_FRAME_NS;
  return buf;
}

/* ===================================================== harness glue ==== */

typedef struct
{
  GstHarness *h;
  GPtrArray *bufs;
} PushJob;

static gpointer
push_all (gpointer data)
{
  PushJob *job = data;
  guint i;

  for (i = 0; i < job->bufs->len; i++)
    gst_harness_push (job->h, gst_buffer_ref (g_ptr_array_index (job->bufs,
                i)));
  gst_harness_push_event (job->h, gst_event_new_eos ());
  return NULL;
}

/* Pushes both inputs from their own threads (the aggregator holds a pad's
 * chain until the other pad has data), waits for EOS on the output and
 * returns every output buffer. */
static GPtrArray *
run_mux (GstHarness * hv, GPtrArray * vbufs, GstHarness * ha, GPtrArray * abufs)
{
  PushJob jv = { hv, vbufs }, ja = { ha, abufs };
  GThread *tv = NULL, *ta = NULL;
  GPtrArray *out = g_ptr_array_new_with_free_func (
      (GDestroyNotify) gst_buffer_unref);
  GstHarness *hs = hv ? hv : ha;
  gint64 deadline = g_get_monotonic_time () + 40 * G_TIME_SPAN_SECOND;
  gboolean eos = FALSE;

  if (hv)
    tv = g_thread_new ("push-video", push_all, &jv);
  if (ha)
    ta = g_thread_new ("push-audio", push_all, &ja);
  if (tv)
    g_thread_join (tv);
  if (ta)
    g_thread_join (ta);
  while (!eos) {
    GstEvent *ev = gst_harness_try_pull_event (hs);
    GstBuffer *b;

    while ((b = gst_harness_try_pull (hs)))
      g_ptr_array_add (out, b);
    if (ev) {
      eos = GST_EVENT_TYPE (ev) == GST_EVENT_EOS;
      gst_event_unref (ev);
      continue;
    }
    fail_unless (g_get_monotonic_time () < deadline, "no EOS from the muxer");
    g_usleep (2000);
  }
  {
    GstBuffer *b;

    while ((b = gst_harness_try_pull (hs)))
      g_ptr_array_add (out, b);
  }
  return out;
}

static GByteArray *
concat (GPtrArray * bufs)
{
  GByteArray *all = g_byte_array_new ();
  guint i;

  for (i = 0; i < bufs->len; i++) {
    GstMapInfo map;

    gst_buffer_map (g_ptr_array_index (bufs, i), &map, GST_MAP_READ);
    g_byte_array_append (all, map.data, map.size);
    gst_buffer_unmap (g_ptr_array_index (bufs, i), &map);
  }
  return all;
}

/* Waits (bounded) for the EOS event at the output: every buffer before it
 * is then in the harness queue. */
static void
wait_eos (GstHarness * h)
{
  gint64 deadline = g_get_monotonic_time () + 30 * G_TIME_SPAN_SECOND;

  for (;;) {
    GstEvent *ev = gst_harness_try_pull_event (h);

    if (ev) {
      gboolean eos = GST_EVENT_TYPE (ev) == GST_EVENT_EOS;

      gst_event_unref (ev);
      if (eos)
        return;
      continue;
    }
    fail_unless (g_get_monotonic_time () < deadline, "no EOS from the muxer");
    g_usleep (2000);
  }
}

static GstBus *
attach_bus (GstElement * e)
{
  GstBus *bus = gst_bus_new ();

  gst_element_set_bus (e, bus);
  return bus;
}

static guint
count_messages (GstBus * bus, GstMessageType type)
{
  GstMessage *m;
  guint n = 0;

  while ((m = gst_bus_pop_filtered (bus, type))) {
    n++;
    gst_message_unref (m);
  }
  return n;
}

/* ========================================================== tests ==== */

/* Video (byte-stream, SPS/PPS only in the first AU) + raw AAC: the whole
 * structure of what comes out. */
GST_START_TEST (test_structure_av)
{
  GstHarness *hv, *ha;
  GPtrArray *vbufs = g_ptr_array_new_with_free_func (
      (GDestroyNotify) gst_buffer_unref);
  GPtrArray *abufs = g_ptr_array_new_with_free_func (
      (GDestroyNotify) gst_buffer_unref);
  GPtrArray *out;
  GByteArray *all;
  TsScan *s;
  guint i, n_video = 0, n_audio_frames = 0, n_key_bufs = 0;
  guint64 first_vpts = 0;
  GstCaps *caps;
  const GValue *sh;
  GstBus *bus;

  hv = gst_harness_new_with_padnames ("arclytsmux", "video_0", "src");
  ha = gst_harness_new_with_element (hv->element, "audio_0", NULL);
  bus = attach_bus (hv->element);
  gst_harness_set_src_caps (hv, video_caps (FALSE));
  gst_harness_set_src_caps (ha, audio_caps ());

  /* 3 s at 30 fps, GOP of 30, then AAC 48 kHz for the same time */
  for (i = 0; i < 90; i++) {
    gboolean key = i % 30 == 0;
    GstBuffer *b = make_au (FALSE, key, i == 0, FALSE, key ? 9000 : 700 + i,
        FRAME_NS (i, 30), FRAME_NS (i, 30));

    GST_BUFFER_DURATION (b) = FRAME_NS (1, 30);
    g_ptr_array_add (vbufs, b);
  }
  for (i = 0; i < 140; i++)
    g_ptr_array_add (abufs, make_aac (i, 0));

  out = run_mux (hv, vbufs, ha, abufs);
  fail_unless_equals_int (count_messages (bus, GST_MESSAGE_ERROR), 0);
  fail_unless_equals_int (count_messages (bus, GST_MESSAGE_WARNING), 0);

  /* the buffer contract: multiples of 188; the keyframe buffers (not
   * DELTA_UNIT) start with PAT then PMT, then the IDR's PES */
  for (i = 0; i < out->len; i++) {
    GstBuffer *b = g_ptr_array_index (out, i);
    gsize size = gst_buffer_get_size (b);
    guint8 hdr[3 * 188];

    fail_unless (size > 0 && size % 188 == 0);
    if (!GST_BUFFER_FLAG_IS_SET (b, GST_BUFFER_FLAG_DELTA_UNIT)) {
      fail_unless (size >= 3 * 188);
      gst_buffer_extract (b, 0, hdr, sizeof (hdr));
      fail_unless_equals_int (((hdr[1] & 0x1f) << 8) | hdr[2], 0);
      fail_unless_equals_int (((hdr[189] & 0x1f) << 8) | hdr[190], PMT_PID);
      fail_unless_equals_int (((hdr[377] & 0x1f) << 8) | hdr[378],
          VIDEO_PID);
      fail_unless (hdr[379] & 0x20 && hdr[381] & 0x40, "no RAI");
      fail_unless (GST_BUFFER_PTS (b) % GST_SECOND == 0, "keyframe at %"
          GST_TIME_FORMAT, GST_TIME_ARGS (GST_BUFFER_PTS (b)));
      n_key_bufs++;
    }
  }
  fail_unless_equals_int (n_key_bufs, 3);
  fail_unless (GST_BUFFER_FLAG_IS_SET (g_ptr_array_index (out, 0),
          GST_BUFFER_FLAG_DISCONT));

  /* src caps: video/mpegts with PAT+PMT as streamheader */
  caps = gst_pad_get_current_caps (hv->sinkpad);
  fail_unless (caps != NULL);
  fail_unless (gst_structure_has_name (gst_caps_get_structure (caps, 0),
          "video/mpegts"));
  sh = gst_structure_get_value (gst_caps_get_structure (caps, 0),
      "streamheader");
  fail_unless (sh && GST_VALUE_HOLDS_ARRAY (sh));
  {
    GstBuffer *hb = gst_value_get_buffer (gst_value_array_get_value (sh, 0));
    TsScan *hs;
    GstMapInfo map;

    fail_unless_equals_int (gst_buffer_get_size (hb), 2 * 188);
    gst_buffer_map (hb, &map, GST_MAP_READ);
    hs = ts_scan (map.data, map.size);
    fail_unless_equals_int (hs->pat_offsets->len, 1);
    fail_unless_equals_int (hs->pmt_offsets->len, 1);
    fail_unless_equals_int (hs->pcr_pid, VIDEO_PID);
    ts_scan_free (hs);
    gst_buffer_unmap (hb, &map);
  }
  gst_caps_unref (caps);

  all = concat (out);
  s = ts_scan (all->data, all->len);
  g_ptr_array_sort (s->pes, cmp_pes_offset);

  /* PMT: H.264 0x1b on 0x100 (the PCR PID), ADTS AAC 0x0f on 0x110 */
  fail_unless_equals_int (s->pcr_pid, VIDEO_PID);
  fail_unless_equals_int (s->n_streams, 2);
  fail_unless_equals_int (s->stream_pids[0], VIDEO_PID);
  fail_unless_equals_int (s->stream_types[0], 0x1b);
  fail_unless_equals_int (s->stream_pids[1], AUDIO_PID);
  fail_unless_equals_int (s->stream_types[1], 0x0f);

  /* stream starts with PAT, PMT */
  fail_unless_equals_int (g_array_index (s->pat_offsets, gsize, 0), 0);
  fail_unless_equals_int (g_array_index (s->pmt_offsets, gsize, 0), 188);

  /* PCR: monotonic, at most 40 ms apart */
  fail_unless (s->pcr_values->len >= 75);
  for (i = 1; i < s->pcr_values->len; i++) {
    guint64 a = g_array_index (s->pcr_values, guint64, i - 1);
    guint64 b = g_array_index (s->pcr_values, guint64, i);

    fail_unless (b >= a, "PCR going back");
    fail_unless (b - a <= 27000 * 40, "PCR gap of %" G_GUINT64_FORMAT " ms",
        (b - a) / 27000);
  }

  for (i = 0; i < s->pes->len; i++) {
    Pes *p = g_ptr_array_index (s->pes, i);
    guint64 decode = p->has_dts ? p->dts : p->pts;

    fail_unless (p->has_pts);
    fail_unless (p->data_alignment);
    /* decoded after it arrives: the DTS is ahead of the PCR before it, by
     * less than the T-STD's 1 s */
    fail_unless (p->have_pcr_before, "PES before any PCR");
    fail_unless (decode * 300 > p->pcr_before);
    fail_unless (decode * 300 - p->pcr_before < 27000000ULL);

    if (p->pid == VIDEO_PID) {
      GArray *t = nal_types (p->es->data, p->es->len);
      gboolean idr = FALSE;
      guint j;

      fail_unless_equals_int (p->stream_id, 0xe0);
      for (j = 0; j < t->len; j++)
        idr |= g_array_index (t, guint, j) == 5;
      /* AUD first; SPS and PPS before every IDR */
      fail_unless_equals_int (g_array_index (t, guint, 0), 9);
      if (idr) {
        fail_unless (t->len >= 4);
        fail_unless_equals_int (g_array_index (t, guint, 1), 7);
        fail_unless_equals_int (g_array_index (t, guint, 2), 8);
        fail_unless (p->rai);
      }
      fail_unless_equals_int (idr, n_video % 30 == 0);
      fail_unless_equals_int (p->rai, idr);
      if (n_video == 0)
        first_vpts = p->pts;
      /* PTS exactly the input's, in 90 kHz */
      fail_unless_equals_uint64 ((p->pts - first_vpts) & ARCLY_TS_CLOCK_MASK,
          gst_util_uint64_scale (n_video, 90000, 30));
      fail_unless (!p->has_dts, "DTS == PTS is left out");
      n_video++;
      g_array_unref (t);
    } else {
      const guint8 *d = p->es->data;
      gsize pos = 0;
      guint frames = 0;

      fail_unless_equals_int (p->pid, AUDIO_PID);
      fail_unless_equals_int (p->stream_id, 0xc0);
      fail_unless (p->pes_length != 0);
      /* ADTS frames: sync word, AAC-LC, 48 kHz (index 3), 2 channels */
      while (pos < p->es->len) {
        guint flen;

        fail_unless (p->es->len - pos >= 7);
        fail_unless (d[pos] == 0xff && (d[pos + 1] & 0xf6) == 0xf0);
        fail_unless_equals_int (d[pos + 2] >> 6, 1);
        fail_unless_equals_int ((d[pos + 2] >> 2) & 0xf, 3);
        fail_unless_equals_int (((d[pos + 2] & 1) << 2) | (d[pos + 3] >> 6),
            2);
        flen = ((d[pos + 3] & 3) << 11) | (d[pos + 4] << 3) | (d[pos + 5] >>
            5);
        fail_unless_equals_int (flen, 7 + 200 + ((n_audio_frames + frames) %
                100));
        pos += flen;
        frames++;
      }
      fail_unless_equals_int (pos, p->es->len);
      /* several frames, at most 100 ms of them */
      fail_unless (frames >= 1 && frames <= 4, "%u frames in a PES", frames);
      n_audio_frames += frames;
    }
  }
  fail_unless_equals_int (n_video, 90);
  fail_unless_equals_int (n_audio_frames, 140);

  /* PAT/PMT at least every 100 ms: the PES after each PAT is decoded at
   * most 100 ms after the one after the previous PAT */
  {
    guint64 prev = 0;
    guint k = 0, pi;

    for (pi = 0; pi < s->pat_offsets->len; pi++) {
      gsize at = g_array_index (s->pat_offsets, gsize, pi);
      Pes *p;

      while (k < s->pes->len &&
          ((Pes *) g_ptr_array_index (s->pes, k))->offset < at)
        k++;
      if (k == s->pes->len)
        break;
      p = g_ptr_array_index (s->pes, k);
      if (pi > 0)
        fail_unless ((p->has_dts ? p->dts : p->pts) - prev <= 9000,
            "%" G_GUINT64_FORMAT " ticks between PATs",
            (p->has_dts ? p->dts : p->pts) - prev);
      prev = p->has_dts ? p->dts : p->pts;
    }
    fail_unless (s->pat_offsets->len >= 30);
    fail_unless_equals_int (s->pat_offsets->len, s->pmt_offsets->len);
  }

  /* every PAT is followed by a PMT */
  for (i = 0; i < s->pat_offsets->len; i++)
    fail_unless_equals_int (g_array_index (s->pmt_offsets, gsize, i),
        g_array_index (s->pat_offsets, gsize, i) + 188);

  ts_scan_free (s);
  g_byte_array_unref (all);
  g_ptr_array_unref (out);
  g_ptr_array_unref (vbufs);
  g_ptr_array_unref (abufs);
  gst_element_set_bus (hv->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (ha);
  gst_harness_teardown (hv);
}

GST_END_TEST;

/* avc input with codec_data and B-frame timestamps (DTS before PTS): Annex-B
 * out, SPS/PPS from codec_data before every IDR, PTS and DTS both kept. */
GST_START_TEST (test_avc_bframes)
{
  GstHarness *h = gst_harness_new_with_padnames ("arclytsmux", "video_0",
      "src");
  GByteArray *all;
  GPtrArray *out = g_ptr_array_new_with_free_func (
      (GDestroyNotify) gst_buffer_unref);
  TsScan *s;
  GstBuffer *b;
  /* decode order I P B B P B B ...: PTS index per decode index */
  static const guint order[] = { 0, 3, 1, 2, 6, 4, 5, 9, 7, 8 };
  guint i, n = 0;
  guint64 base_dts = 0;

  gst_harness_set_src_caps (h, video_caps (TRUE));
  for (i = 0; i < 60; i++) {
    guint pts_i = (i / 10) * 10 + order[i % 10];
    gboolean key = i % 30 == 0;

    /* DTS starts two frames before PTS 0 (as x264enc with bframes does) */
    b = make_au (TRUE, key, FALSE, i % 2 == 0, key ? 5000 : 300,
        FRAME_NS (pts_i, 30) + FRAME_NS (2, 30), FRAME_NS (i, 30));
    fail_unless_equals_int (gst_harness_push (h, b), GST_FLOW_OK);
  }
  gst_harness_push_event (h, gst_event_new_eos ());
  wait_eos (h);
  while ((b = gst_harness_try_pull (h)))
    g_ptr_array_add (out, b);
  all = concat (out);
  s = ts_scan (all->data, all->len);
  g_ptr_array_sort (s->pes, cmp_pes_offset);
  fail_unless_equals_int (s->pes->len, 60);
  for (i = 0; i < s->pes->len; i++) {
    Pes *p = g_ptr_array_index (s->pes, i);
    GArray *t = nal_types (p->es->data, p->es->len);
    guint pts_i = (i / 10) * 10 + order[i % 10];

    fail_unless_equals_int (p->has_dts, pts_i + 2 != i);
    if (i == 0)
      base_dts = p->has_dts ? p->dts : p->pts;
    fail_unless_equals_uint64 (((p->has_dts ? p->dts : p->pts) - base_dts)
        & ARCLY_TS_CLOCK_MASK, gst_util_uint64_scale (i, 90000, 30));
    fail_unless_equals_uint64 ((p->pts - base_dts) & ARCLY_TS_CLOCK_MASK,
        gst_util_uint64_scale (pts_i + 2, 90000, 30));
    /* AUD once and first (the input's own AUDs are not doubled) */
    fail_unless_equals_int (g_array_index (t, guint, 0), 9);
    if (i % 30 == 0) {
      fail_unless_equals_int (t->len, 4);
      fail_unless_equals_int (g_array_index (t, guint, 1), 7);
      fail_unless_equals_int (g_array_index (t, guint, 2), 8);
      fail_unless_equals_int (g_array_index (t, guint, 3), 5);
      /* the SPS from codec_data, converted to Annex-B */
      fail_unless (memcmp (p->es->data + 6 + 4, sps, sizeof (sps)) == 0);
    } else {
      fail_unless_equals_int (t->len, 2);
    }
    n++;
    g_array_unref (t);
  }
  fail_unless_equals_int (n, 60);
  ts_scan_free (s);
  g_byte_array_unref (all);
  g_ptr_array_unref (out);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* 10 fps: frames 100 ms apart, PCR-only packets keep the PCR ≤ 40 ms. */
GST_START_TEST (test_pcr_fill_low_fps)
{
  GstHarness *h = gst_harness_new_with_padnames ("arclytsmux", "video_0",
      "src");
  GPtrArray *out = g_ptr_array_new_with_free_func (
      (GDestroyNotify) gst_buffer_unref);
  GByteArray *all;
  TsScan *s;
  GstBuffer *b;
  guint i;

  gst_harness_set_src_caps (h, video_caps (FALSE));
  for (i = 0; i < 30; i++)
    gst_harness_push (h, make_au (FALSE, i % 10 == 0, i % 10 == 0, TRUE,
            800, FRAME_NS (i, 10), FRAME_NS (i, 10)));
  gst_harness_push_event (h, gst_event_new_eos ());
  wait_eos (h);
  while ((b = gst_harness_try_pull (h)))
    g_ptr_array_add (out, b);
  all = concat (out);
  s = ts_scan (all->data, all->len);
  fail_unless (s->pcr_only_packets >= 2 * 29);
  for (i = 1; i < s->pcr_values->len; i++) {
    guint64 d = g_array_index (s->pcr_values, guint64, i) -
        g_array_index (s->pcr_values, guint64, i - 1);

    fail_unless (d <= 27000 * 40, "PCR gap %" G_GUINT64_FORMAT, d);
  }
  /* 2.9 s of PCR */
  fail_unless_equals_uint64 (g_array_index (s->pcr_values, guint64,
          s->pcr_values->len - 1) - g_array_index (s->pcr_values, guint64, 0),
      27000000ULL * 29 / 10);
  ts_scan_free (s);
  g_byte_array_unref (all);
  g_ptr_array_unref (out);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Audio only: PCR on the audio PID, and the buffers starting with PAT/PMT
 * (at least every 100 ms) are the cut points. */
GST_START_TEST (test_audio_only)
{
  GstHarness *h = gst_harness_new_with_padnames ("arclytsmux", "audio_0",
      "src");
  GPtrArray *out = g_ptr_array_new_with_free_func (
      (GDestroyNotify) gst_buffer_unref);
  GByteArray *all;
  TsScan *s;
  GstBuffer *b;
  guint i, keys = 0;

  gst_harness_set_src_caps (h, audio_caps ());
  for (i = 0; i < 100; i++)
    gst_harness_push (h, make_aac (i, 5 * GST_SECOND));
  gst_harness_push_event (h, gst_event_new_eos ());
  wait_eos (h);
  while ((b = gst_harness_try_pull (h))) {
    if (!GST_BUFFER_FLAG_IS_SET (b, GST_BUFFER_FLAG_DELTA_UNIT)) {
      guint8 hdr[3];

      gst_buffer_extract (b, 0, hdr, 3);
      fail_unless_equals_int (((hdr[1] & 0x1f) << 8) | hdr[2], 0);
      keys++;
    }
    g_ptr_array_add (out, b);
  }
  fail_unless (keys >= 10, "only %u cut points in 2.1 s", keys);
  all = concat (out);
  s = ts_scan (all->data, all->len);
  fail_unless_equals_int (s->pcr_pid, AUDIO_PID);
  fail_unless_equals_int (s->n_streams, 1);
  for (i = 1; i < s->pcr_values->len; i++)
    fail_unless (g_array_index (s->pcr_values, guint64, i) -
        g_array_index (s->pcr_values, guint64, i - 1) <= 27000 * 40);
  fail_unless (s->pcr_values->len >= 50);
  ts_scan_free (s);
  g_byte_array_unref (all);
  g_ptr_array_unref (out);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* ADTS input passes through unchanged; a buffer that is not ADTS is dropped
 * with a warning. */
GST_START_TEST (test_adts_passthrough)
{
  GstHarness *h = gst_harness_new_with_padnames ("arclytsmux", "audio_0",
      "src");
  GstBus *bus = attach_bus (h->element);
  GPtrArray *out = g_ptr_array_new_with_free_func (
      (GDestroyNotify) gst_buffer_unref);
  GByteArray *all, *es = g_byte_array_new ();
  TsScan *s;
  GstBuffer *b;
  guint i, k;

  gst_harness_set_src_caps_str (h, "audio/mpeg, mpegversion=4, "
      "stream-format=adts, rate=48000, channels=2");
  for (i = 0; i < 20; i++) {
    guint8 f[7 + 100];
    guint len = sizeof (f);

    /* ADTS: sync, MPEG-4, no CRC, LC, 48 kHz, 2 channels, frame length */
    f[0] = 0xff;
    f[1] = 0xf1;
    f[2] = (1 << 6) | (3 << 2);
    f[3] = (2 << 6) | ((len >> 11) & 3);
    f[4] = (len >> 3) & 0xff;
    f[5] = ((len & 7) << 5) | 0x1f;
    f[6] = 0xfc;
    memset (f + 7, i, 100);
    if (i == 5)
      f[0] = 0x12;              /* not ADTS: dropped */
    else
      g_byte_array_append (es, f, len);
    b = gst_buffer_new_memdup (f, len);
    GST_BUFFER_PTS (b) = gst_util_uint64_scale (i, 1024 * GST_SECOND, 48000);
    gst_harness_push (h, b);
  }
  gst_harness_push_event (h, gst_event_new_eos ());
  wait_eos (h);
  fail_unless_equals_int (count_messages (bus, GST_MESSAGE_WARNING), 1);
  while ((b = gst_harness_try_pull (h)))
    g_ptr_array_add (out, b);
  all = concat (out);
  s = ts_scan (all->data, all->len);
  g_ptr_array_sort (s->pes, cmp_pes_offset);
  for (i = 0, k = 0; i < s->pes->len; i++) {
    Pes *p = g_ptr_array_index (s->pes, i);

    fail_unless (k + p->es->len <= es->len);
    fail_unless (memcmp (es->data + k, p->es->data, p->es->len) == 0);
    k += p->es->len;
  }
  fail_unless_equals_int (k, es->len);
  ts_scan_free (s);
  g_byte_array_unref (all);
  g_byte_array_unref (es);
  g_ptr_array_unref (out);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Running time near 2^33 / 90 kHz (26.5 h): PTS, DTS and PCR wrap and keep
 * counting modulo 2^33. */
GST_START_TEST (test_33bit_wrap)
{
  GstHarness *h = gst_harness_new_with_padnames ("arclytsmux", "video_0",
      "src");
  GPtrArray *out = g_ptr_array_new_with_free_func (
      (GDestroyNotify) gst_buffer_unref);
  GByteArray *all;
  TsScan *s;
  GstBuffer *b;
  guint i, wrapped = 0;
  GstClockTime base = gst_util_uint64_scale (ARCLY_TS_CLOCK_MASK + 1,
      GST_SECOND, 90000) - 3 * GST_SECOND;

  gst_harness_set_src_caps (h, video_caps (FALSE));
  for (i = 0; i < 90; i++)
    gst_harness_push (h, make_au (FALSE, i % 30 == 0, i == 0, FALSE, 500,
            base + FRAME_NS (i, 30), base + FRAME_NS (i, 30)));
  gst_harness_push_event (h, gst_event_new_eos ());
  wait_eos (h);
  while ((b = gst_harness_try_pull (h)))
    g_ptr_array_add (out, b);
  all = concat (out);
  s = ts_scan (all->data, all->len);
  g_ptr_array_sort (s->pes, cmp_pes_offset);
  fail_unless_equals_int (s->pes->len, 90);
  for (i = 1; i < s->pes->len; i++) {
    Pes *a = g_ptr_array_index (s->pes, i - 1);
    Pes *c = g_ptr_array_index (s->pes, i);

    if (c->pts < a->pts)
      wrapped++;
    fail_unless_equals_uint64 ((c->pts - a->pts) & ARCLY_TS_CLOCK_MASK,
        gst_util_uint64_scale (i, 90000, 30) -
        gst_util_uint64_scale (i - 1, 90000, 30));
  }
  fail_unless_equals_int (wrapped, 1);
  wrapped = 0;
  for (i = 1; i < s->pcr_values->len; i++) {
    guint64 p0 = g_array_index (s->pcr_values, guint64, i - 1);
    guint64 p1 = g_array_index (s->pcr_values, guint64, i);

    if (p1 < p0)
      wrapped++;
    fail_unless (((p1 + ARCLY_TS_PCR_WRAP - p0) % ARCLY_TS_PCR_WRAP) <=
        27000 * 40);
  }
  fail_unless_equals_int (wrapped, 1);
  ts_scan_free (s);
  g_byte_array_unref (all);
  g_ptr_array_unref (out);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Bad input never makes corrupt output: empty buffers, buffers without
 * timestamps and timestamps going backwards are dropped with a warning. */
GST_START_TEST (test_bad_buffers_dropped)
{
  GstHarness *h = gst_harness_new_with_padnames ("arclytsmux", "video_0",
      "src");
  GstBus *bus = attach_bus (h->element);
  GPtrArray *out = g_ptr_array_new_with_free_func (
      (GDestroyNotify) gst_buffer_unref);
  GByteArray *all;
  TsScan *s;
  GstBuffer *b;

  gst_harness_set_src_caps (h, video_caps (FALSE));
  gst_harness_push (h, make_au (FALSE, TRUE, TRUE, FALSE, 900,
          FRAME_NS (10, 30), FRAME_NS (10, 30)));
  gst_harness_push (h, gst_buffer_new ());      /* empty */
  b = make_au (FALSE, FALSE, FALSE, FALSE, 300, GST_CLOCK_TIME_NONE,
      GST_CLOCK_TIME_NONE);
  gst_harness_push (h, b);      /* no timestamps */
  gst_harness_push (h, make_au (FALSE, FALSE, FALSE, FALSE, 300,
          FRAME_NS (5, 30), FRAME_NS (5, 30)));  /* backwards */
  b = gst_buffer_new_memdup ("\x12\x34\x56\x78", 4);
  GST_BUFFER_PTS (b) = GST_BUFFER_DTS (b) = FRAME_NS (11, 30);
  gst_harness_push (h, b);      /* no start code at all */
  gst_harness_push (h, make_au (FALSE, FALSE, FALSE, FALSE, 300,
          FRAME_NS (12, 30), FRAME_NS (12, 30)));
  gst_harness_push_event (h, gst_event_new_eos ());
  wait_eos (h);

  fail_unless_equals_int (count_messages (bus, GST_MESSAGE_WARNING), 4);
  fail_unless_equals_int (count_messages (bus, GST_MESSAGE_ERROR), 0);
  while ((b = gst_harness_try_pull (h)))
    g_ptr_array_add (out, b);
  fail_unless_equals_int (out->len, 2);
  all = concat (out);
  s = ts_scan (all->data, all->len);
  fail_unless_equals_int (s->pes->len, 2);
  ts_scan_free (s);
  g_byte_array_unref (all);
  g_ptr_array_unref (out);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Frames whose DTS fall on the previous frame's 90 kHz tick (a camera
 * repeating an RTP timestamp, or steps finer than the TS clock) are all
 * written, each on a later tick than the one before, PTS >= DTS. */
GST_START_TEST (test_same_tick_dts_moved)
{
  GstHarness *h = gst_harness_new_with_padnames ("arclytsmux", "video_0",
      "src");
  GstBus *bus = attach_bus (h->element);
  GPtrArray *out = g_ptr_array_new_with_free_func (
      (GDestroyNotify) gst_buffer_unref);
  GstClockTime t[] = { FRAME_NS (10, 30), FRAME_NS (11, 30),
    FRAME_NS (11, 30), FRAME_NS (11, 30) + 5 * GST_USECOND,
    FRAME_NS (12, 30), FRAME_NS (13, 30)
  };
  GByteArray *all;
  TsScan *s;
  GstBuffer *b;
  guint i;

  gst_harness_set_src_caps (h, video_caps (FALSE));
  for (i = 0; i < G_N_ELEMENTS (t); i++)
    gst_harness_push (h, make_au (FALSE, i == 0, i == 0, FALSE, 300, t[i],
            t[i]));
  gst_harness_push_event (h, gst_event_new_eos ());
  wait_eos (h);

  fail_unless_equals_int (count_messages (bus, GST_MESSAGE_WARNING), 0);
  while ((b = gst_harness_try_pull (h)))
    g_ptr_array_add (out, b);
  all = concat (out);
  s = ts_scan (all->data, all->len);
  fail_unless_equals_int (s->pes->len, G_N_ELEMENTS (t));
  for (i = 0; i < s->pes->len; i++) {
    Pes *p = g_ptr_array_index (s->pes, i);
    guint64 dts = p->has_dts ? p->dts : p->pts;

    fail_unless (p->pts >= dts, "PES %u: PTS %" G_GUINT64_FORMAT " < DTS %"
        G_GUINT64_FORMAT, i, p->pts, dts);
    if (i > 0) {
      Pes *q = g_ptr_array_index (s->pes, i - 1);
      guint64 prev = q->has_dts ? q->dts : q->pts;

      fail_unless (dts > prev, "PES %u: DTS %" G_GUINT64_FORMAT " after %"
          G_GUINT64_FORMAT, i, dts, prev);
    }
  }
  /* the frames after the repeated ones keep their own time */
  {
    Pes *a = g_ptr_array_index (s->pes, 4), *z = g_ptr_array_index (s->pes, 0);

    fail_unless_equals_uint64 (a->pts - z->pts, 2 * 3000);
  }
  ts_scan_free (s);
  g_byte_array_unref (all);
  g_ptr_array_unref (out);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* byte-stream without codec_data and without SPS in the stream: the IDR is
 * dropped with a warning (and so is what depends on it). */
GST_START_TEST (test_no_sps_dropped)
{
  GstHarness *h = gst_harness_new_with_padnames ("arclytsmux", "video_0",
      "src");
  GstBus *bus = attach_bus (h->element);
  GstBuffer *b;
  guint i, n = 0;

  gst_harness_set_src_caps (h, video_caps (FALSE));
  for (i = 0; i < 10; i++)
    gst_harness_push (h, make_au (FALSE, i % 5 == 0, FALSE, FALSE, 300,
            FRAME_NS (i, 30), FRAME_NS (i, 30)));
  gst_harness_push_event (h, gst_event_new_eos ());
  wait_eos (h);
  while ((b = gst_harness_try_pull (h))) {
    /* nothing but PSI/PCR may come out: no video PES */
    GstMapInfo map;
    TsScan *s;

    gst_buffer_map (b, &map, GST_MAP_READ);
    s = ts_scan (map.data, map.size);
    n += s->pes->len;
    ts_scan_free (s);
    gst_buffer_unmap (b, &map);
    gst_buffer_unref (b);
  }
  fail_unless_equals_int (n, 0);
  fail_unless_equals_int (count_messages (bus, GST_MESSAGE_WARNING), 1);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* avc caps without codec_data: refused with a clear element error. */
GST_START_TEST (test_avc_without_codec_data_error)
{
  GstHarness *h = gst_harness_new_with_padnames ("arclytsmux", "video_0",
      "src");
  GstBus *bus = attach_bus (h->element);
  GstCaps *caps = gst_caps_from_string ("video/x-h264, stream-format=avc, "
      "alignment=au");
  GstMessage *msg;
  GError *err = NULL;
  gchar *dbg = NULL;
  GstFlowReturn ret;

  gst_harness_set_src_caps (h, caps);
  ret = gst_harness_push (h, make_au (TRUE, TRUE, TRUE, FALSE, 100, 0, 0));
  GST_DEBUG ("push after refused caps: %s", gst_flow_get_name (ret));
  msg = gst_bus_timed_pop_filtered (bus, 10 * GST_SECOND, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "no error for avc without codec_data");
  gst_message_parse_error (msg, &err, &dbg);
  fail_unless (strstr (err->message, "codec_data") != NULL, "%s",
      err->message);
  g_error_free (err);
  g_free (dbg);
  gst_message_unref (msg);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Raw AAC without codec_data: refused with a clear element error. */
GST_START_TEST (test_raw_aac_without_codec_data_error)
{
  GstHarness *h = gst_harness_new_with_padnames ("arclytsmux", "audio_0",
      "src");
  GstBus *bus = attach_bus (h->element);
  GstMessage *msg;

  gst_harness_set_src_caps_str (h, "audio/mpeg, mpegversion=4, "
      "stream-format=raw, rate=48000, channels=2");
  gst_harness_push (h, make_aac (0, 0));
  msg = gst_bus_timed_pop_filtered (bus, 10 * GST_SECOND, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "no error for raw AAC without codec_data");
  gst_message_unref (msg);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* A flush restarts the stream: the next buffer is DISCONT and starts with
 * PAT/PMT again, continuity counters from 0. */
GST_START_TEST (test_flush_restarts)
{
  GstHarness *h = gst_harness_new_with_padnames ("arclytsmux", "video_0",
      "src");
  GPtrArray *out = g_ptr_array_new_with_free_func (
      (GDestroyNotify) gst_buffer_unref);
  GstSegment seg;
  GstBuffer *b, *last2;
  guint8 hdr[4];
  guint i;

  gst_harness_set_src_caps (h, video_caps (FALSE));
  for (i = 0; i < 3; i++)
    gst_harness_push (h, make_au (FALSE, i == 0, i == 0, FALSE, 400,
            FRAME_NS (i, 30), FRAME_NS (i, 30)));
  gst_harness_push_event (h, gst_event_new_flush_start ());
  gst_harness_push_event (h, gst_event_new_flush_stop (TRUE));
  gst_segment_init (&seg, GST_FORMAT_TIME);
  gst_harness_push_event (h, gst_event_new_segment (&seg));
  /* after the flush a delta unit first: dropped until the keyframe */
  gst_harness_push (h, make_au (FALSE, FALSE, FALSE, FALSE, 400, 0, 0));
  gst_harness_push (h, make_au (FALSE, TRUE, FALSE, FALSE, 400,
          FRAME_NS (1, 30), FRAME_NS (1, 30)));
  gst_harness_push (h, make_au (FALSE, FALSE, FALSE, FALSE, 400,
          FRAME_NS (2, 30), FRAME_NS (2, 30)));
  gst_harness_push_event (h, gst_event_new_eos ());
  wait_eos (h);
  while ((b = gst_harness_try_pull (h)))
    g_ptr_array_add (out, b);
  fail_unless (out->len >= 2);
  last2 = g_ptr_array_index (out, out->len - 2);
  fail_unless (GST_BUFFER_FLAG_IS_SET (last2, GST_BUFFER_FLAG_DISCONT));
  fail_if (GST_BUFFER_FLAG_IS_SET (last2, GST_BUFFER_FLAG_DELTA_UNIT));
  fail_unless_equals_uint64 (GST_BUFFER_PTS (last2), FRAME_NS (1, 30));
  gst_buffer_extract (last2, 0, hdr, 4);
  fail_unless_equals_int (((hdr[1] & 0x1f) << 8) | hdr[2], 0);
  fail_unless_equals_int (hdr[3] & 0x0f, 0);
  /* the in-band SPS/PPS from before the flush still serve the new IDR */
  {
    GByteArray *all = concat (out);
    TsScan *s = ts_scan (all->data + all->len -
        gst_buffer_get_size (last2) -
        gst_buffer_get_size (g_ptr_array_index (out, out->len - 1)),
        gst_buffer_get_size (last2) +
        gst_buffer_get_size (g_ptr_array_index (out, out->len - 1)));
    Pes *p;
    GArray *t;

    g_ptr_array_sort (s->pes, cmp_pes_offset);
    fail_unless_equals_int (s->pes->len, 2);
    p = g_ptr_array_index (s->pes, 0);
    t = nal_types (p->es->data, p->es->len);
    fail_unless_equals_int (g_array_index (t, guint, 1), 7);
    g_array_unref (t);
    ts_scan_free (s);
    g_byte_array_unref (all);
  }
  g_ptr_array_unref (out);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* A pad requested while running: a new PMT version, announced at once and
 * in new caps. */
GST_START_TEST (test_pad_added_bumps_pmt)
{
  GstHarness *hv = gst_harness_new_with_padnames ("arclytsmux", "video_0",
      "src");
  GstHarness *ha;
  GPtrArray *vbufs = g_ptr_array_new_with_free_func (
      (GDestroyNotify) gst_buffer_unref);
  GPtrArray *abufs = g_ptr_array_new_with_free_func (
      (GDestroyNotify) gst_buffer_unref);
  GPtrArray *out;
  GByteArray *all;
  TsScan *s;
  GstBuffer *b;
  guint i;

  gst_harness_set_src_caps (hv, video_caps (FALSE));
  gst_harness_push (hv, make_au (FALSE, TRUE, TRUE, FALSE, 400, 0, 0));
  /* wait until it went out */
  b = gst_harness_pull (hv);
  fail_unless (b != NULL);
  gst_buffer_unref (b);

  ha = gst_harness_new_with_element (hv->element, "audio_0", NULL);
  gst_harness_set_src_caps (ha, audio_caps ());
  for (i = 1; i < 10; i++)
    g_ptr_array_add (vbufs, make_au (FALSE, FALSE, FALSE, FALSE, 300,
            FRAME_NS (i, 30), FRAME_NS (i, 30)));
  for (i = 0; i < 14; i++)
    g_ptr_array_add (abufs, make_aac (i, 0));
  out = run_mux (hv, vbufs, ha, abufs);
  all = concat (out);
  s = ts_scan (all->data, all->len);
  /* the first PMT after the change lists both streams */
  fail_unless (s->pmt_offsets->len >= 1);
  fail_unless_equals_int (s->n_streams, 2);
  {
    /* the PMT version went from 0 to 1 */
    gsize at = g_array_index (s->pmt_offsets, gsize, 0);

    fail_unless_equals_int ((all->data[at + 5 + 5] >> 1) & 0x1f, 1);
  }
  {
    GstCaps *caps = gst_pad_get_current_caps (hv->sinkpad);
    const GValue *sh = gst_structure_get_value (gst_caps_get_structure (caps,
            0), "streamheader");
    GstBuffer *hb = gst_value_get_buffer (gst_value_array_get_value (sh, 0));
    guint8 pmt[188];

    gst_buffer_extract (hb, 188, pmt, 188);
    fail_unless_equals_int ((pmt[5 + 5] >> 1) & 0x1f, 1);
    gst_caps_unref (caps);
  }
  ts_scan_free (s);
  g_byte_array_unref (all);
  g_ptr_array_unref (out);
  g_ptr_array_unref (vbufs);
  g_ptr_array_unref (abufs);
  gst_harness_teardown (ha);
  gst_harness_teardown (hv);
}

GST_END_TEST;

/* Pads: names, PIDs, release, and the state changes back and forth. */
GST_START_TEST (test_pads_and_states)
{
  GstElement *mux = gst_element_factory_make ("arclytsmux", NULL);
  GstPad *v0, *v1, *a0, *dup;
  guint i;

  fail_unless (mux != NULL);
  v0 = gst_element_request_pad_simple (mux, "video_%u");
  v1 = gst_element_request_pad_simple (mux, "video_%u");
  a0 = gst_element_request_pad_simple (mux, "audio_3");
  fail_unless_equals_string (GST_PAD_NAME (v0), "video_0");
  fail_unless_equals_string (GST_PAD_NAME (v1), "video_1");
  fail_unless_equals_string (GST_PAD_NAME (a0), "audio_3");
  /* a 17th video pad: more than the PID plan has room for */
  for (i = 0; i < 14; i++) {
    dup = gst_element_request_pad_simple (mux, "video_%u");
    fail_unless (dup != NULL, "video pad %u", i);
    gst_object_unref (dup);
  }
  dup = gst_element_request_pad_simple (mux, "video_%u");
  fail_unless (dup == NULL);
  gst_element_release_request_pad (mux, v1);
  gst_object_unref (v1);
  for (i = 0; i < 3; i++) {
    fail_unless_equals_int (gst_element_set_state (mux, GST_STATE_PAUSED),
        GST_STATE_CHANGE_SUCCESS);
    fail_unless_equals_int (gst_element_set_state (mux, GST_STATE_READY),
        GST_STATE_CHANGE_SUCCESS);
  }
  fail_unless_equals_int (gst_element_set_state (mux, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  gst_object_unref (v0);
  gst_object_unref (a0);
  gst_object_unref (mux);
}

GST_END_TEST;

/* ============================================ real-pipeline round trips */

static gchar *
tmp_path (const gchar * name)
{
  static gchar *dir = NULL;

  if (!dir) {
    dir = g_dir_make_tmp ("arclytsmux-XXXXXX", NULL);
    fail_unless (dir != NULL);
  }
  return g_build_filename (dir, name, NULL);
}

static void
rm_rf (const gchar * dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *n;

  if (!d)
    return;
  while ((n = g_dir_read_name (d))) {
    gchar *p = g_build_filename (dir, n, NULL);

    g_unlink (p);
    g_free (p);
  }
  g_dir_close (d);
  g_rmdir (dir);
}

static void
require_element (const gchar * name)
{
  GstElementFactory *f = gst_element_factory_find (name);

  fail_unless (f != NULL, "GStreamer element %s is missing: install it to "
      "run this test", name);
  gst_object_unref (f);
}

static gchar *
require_program (const gchar * name)
{
  gchar *path = g_find_program_in_path (name);

  fail_unless (path != NULL, "%s not found in PATH: install it to run this "
      "test", name);
  return path;
}

/* Runs a pipeline to EOS (bounded); fails on an error. */
static void
run_to_eos (GstElement * pipe, guint timeout_s)
{
  GstBus *bus = gst_element_get_bus (pipe);
  GstMessage *msg;

  fail_unless (gst_element_set_state (pipe, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_timed_pop_filtered (bus, timeout_s * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "pipeline did not finish in %u s", timeout_s);
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    GError *err = NULL;
    gchar *dbg = NULL;

    gst_message_parse_error (msg, &err, &dbg);
    fail ("pipeline error: %s (%s)", err->message, GST_STR_NULL (dbg));
  }
  gst_message_unref (msg);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (bus);
}

typedef struct
{
  GPtrArray *bufs;
} Collect;

static GstPadProbeReturn
collect_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  Collect *c = data;
  GstBuffer *b = gst_buffer_copy (GST_PAD_PROBE_INFO_BUFFER (info));
  GstEvent *ev = gst_pad_get_sticky_event (pad, GST_EVENT_SEGMENT, 0);
  const GstSegment *seg;

  /* timestamps as running time (x264enc shifts its segment by 1000 h) */
  fail_unless (ev != NULL);
  gst_event_parse_segment (ev, &seg);
  GST_BUFFER_PTS (b) = gst_segment_to_running_time (seg, GST_FORMAT_TIME,
      GST_BUFFER_PTS (b));
  GST_BUFFER_DTS (b) = gst_segment_to_running_time (seg, GST_FORMAT_TIME,
      GST_BUFFER_DTS (b));
  gst_event_unref (ev);
  g_ptr_array_add (c->bufs, b);
  return GST_PAD_PROBE_OK;
}

static void
collect_on (GstElement * pipe, const gchar * name, Collect * c)
{
  GstElement *e = gst_bin_get_by_name (GST_BIN (pipe), name);
  GstPad *pad;

  fail_unless (e != NULL);
  pad = gst_element_get_static_pad (e, "sink");
  c->bufs = g_ptr_array_new_with_free_func ((GDestroyNotify) gst_buffer_unref);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, collect_probe, c, NULL);
  gst_object_unref (pad);
  gst_object_unref (e);
}

static gchar *
run_capture (const gchar * const *argv, gint * status)
{
  gchar *out = NULL, *err = NULL, *both;
  GError *error = NULL;

  fail_unless (g_spawn_sync (NULL, (gchar **) argv, NULL,
          G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, status, &error),
      "could not run %s: %s", argv[0], error ? error->message : "");
  both = g_strconcat (out, err, NULL);
  g_free (out);
  g_free (err);
  return both;
}

/* ffmpeg decodes the whole file without a single error line. */
static void
check_ffmpeg_decodes (const gchar * file)
{
  gchar *ffmpeg = require_program ("ffmpeg");
  const gchar *argv[] = { "timeout", "60", ffmpeg, "-nostdin", "-v", "error",
    "-i", file, "-f", "null", "-", NULL
  };
  gint status;
  gchar *text = run_capture (argv, &status);

  fail_unless (g_spawn_check_wait_status (status, NULL),
      "ffmpeg failed on %s: %s", file, text);
  fail_unless (text[0] == '\0', "ffmpeg reported errors on %s:\n%s", file,
      text);
  g_free (text);
  g_free (ffmpeg);
}

static gchar *
ffprobe (const gchar * file, const gchar * entries)
{
  gchar *prog = require_program ("ffprobe");
  const gchar *argv[] = { "timeout", "60", prog, "-v", "error",
    "-show_entries", entries, "-of", "default=nw=1", file, NULL
  };
  gint status;
  gchar *text = run_capture (argv, &status);

  fail_unless (g_spawn_check_wait_status (status, NULL), "ffprobe: %s", text);
  g_free (prog);
  return text;
}

static void
round_trip (guint bframes)
{
  gchar *file = tmp_path (bframes ? "rt-b.ts" : "rt.ts");
  gchar *desc, *probe;
  GstElement *pipe;
  Collect vin, ain, vout, aout;
  GError *err = NULL;
  guint i;
  GstClockTime v0_in, v0_out, a0_in, a0_out;
  gdouble dur;

  require_element ("x264enc");
  require_element ("voaacenc");
  require_element ("tsdemux");
  require_element ("aacparse");

  /* 1. encode 4 s of video (30 fps, GOP 1 s) and audio into arclytsmux */
  desc = g_strdup_printf ("videotestsrc num-buffers=120 ! "
      "video/x-raw,format=I420,width=320,height=240,framerate=30/1 ! "
      "x264enc bframes=%u key-int-max=30 speed-preset=ultrafast "
      "option-string=scenecut=0 ! video/x-h264,stream-format=%s ! "
      "identity name=vin ! m.video_0 "
      "audiotestsrc num-buffers=172 samplesperbuffer=1024 ! "
      "audio/x-raw,rate=44100,channels=2 ! voaacenc bitrate=128000 ! "
      "identity name=ain ! m.audio_0 "
      "arclytsmux name=m ! filesink location=%s", bframes,
      bframes ? "byte-stream" : "avc", file);
  pipe = gst_parse_launch (desc, &err);
  fail_unless (pipe != NULL, "%s", err ? err->message : "");
  g_free (desc);
  collect_on (pipe, "vin", &vin);
  collect_on (pipe, "ain", &ain);
  run_to_eos (pipe, 60);
  gst_object_unref (pipe);
  fail_unless_equals_int (vin.bufs->len, 120);

  /* 2. tsdemux gives the same access units with the same timestamps */
  desc = g_strdup_printf ("filesrc location=%s ! tsdemux name=d "
      "d. ! video/x-h264 ! queue ! fakesink name=vout sync=false "
      "d. ! audio/mpeg ! queue ! aacparse ! "
      "audio/mpeg,stream-format=raw ! fakesink name=aout sync=false", file);
  pipe = gst_parse_launch (desc, &err);
  fail_unless (pipe != NULL, "%s", err ? err->message : "");
  g_free (desc);
  collect_on (pipe, "vout", &vout);
  collect_on (pipe, "aout", &aout);
  run_to_eos (pipe, 60);
  gst_object_unref (pipe);

  fail_unless_equals_int (vout.bufs->len, vin.bufs->len);
  v0_in = GST_BUFFER_PTS (g_ptr_array_index (vin.bufs, 0));
  v0_out = GST_BUFFER_PTS (g_ptr_array_index (vout.bufs, 0));
  for (i = 0; i < vin.bufs->len; i++) {
    GstBuffer *bi = g_ptr_array_index (vin.bufs, i);
    GstBuffer *bo = g_ptr_array_index (vout.bufs, i);
    GstClockTimeDiff din = GST_BUFFER_PTS (bi) - v0_in;
    GstClockTimeDiff dout = GST_BUFFER_PTS (bo) - v0_out;
    GstMapInfo mi, mo;
    GArray *to;

    /* 90 kHz: equal to within one tick */
    fail_unless (ABS (din - dout) <= 11112, "video PTS %u: %" G_GINT64_FORMAT
        " vs %" G_GINT64_FORMAT, i, din, dout);
    if (GST_BUFFER_DTS_IS_VALID (bi) && GST_BUFFER_DTS_IS_VALID (bo)) {
      GstClockTimeDiff ddi = GST_BUFFER_DTS (bi) - v0_in;
      GstClockTimeDiff ddo = GST_BUFFER_DTS (bo) - v0_out;

      fail_unless (ABS (ddi - ddo) <= 11112, "video DTS %u", i);
    }
    /* the same slices: the AU we wrote ends with the input's last NAL */
    gst_buffer_map (bi, &mi, GST_MAP_READ);
    gst_buffer_map (bo, &mo, GST_MAP_READ);
    to = nal_types (mo.data, mo.size);
    fail_unless_equals_int (g_array_index (to, guint, 0), 9);
    {
      gboolean idr = FALSE;
      guint j;

      for (j = 0; j < to->len; j++)
        idr |= g_array_index (to, guint, j) == 5;
      /* keyframes stay keyframes, with SPS and PPS before them */
      fail_unless_equals_int (idr, !GST_BUFFER_FLAG_IS_SET (bi,
              GST_BUFFER_FLAG_DELTA_UNIT));
      if (idr)
        fail_unless (g_array_index (to, guint, 1) == 7, "AU %u", i);
    }
    if (!bframes) {
      /* avc in: compare the last NAL's bytes */
      gsize off = 0, last = 0, last_len = 0;

      while (off + 4 <= mi.size) {
        gsize len = ((gsize) mi.data[off] << 24) | (mi.data[off + 1] << 16) |
            (mi.data[off + 2] << 8) | mi.data[off + 3];
        last = off + 4;
        last_len = len;
        off += 4 + len;
      }
      fail_unless (mo.size >= last_len);
      fail_unless (memcmp (mo.data + mo.size - last_len, mi.data + last,
              last_len) == 0, "AU %u differs", i);
    } else {
      /* byte-stream in: the whole input AU, after what we put first */
      fail_unless (mo.size >= mi.size);
      fail_unless (memcmp (mo.data + mo.size - mi.size, mi.data,
              mi.size) == 0, "AU %u differs", i);
    }
    g_array_unref (to);
    gst_buffer_unmap (bi, &mi);
    gst_buffer_unmap (bo, &mo);
  }

  fail_unless_equals_int (aout.bufs->len, ain.bufs->len);
  a0_in = GST_BUFFER_PTS (g_ptr_array_index (ain.bufs, 0));
  a0_out = GST_BUFFER_PTS (g_ptr_array_index (aout.bufs, 0));
  for (i = 0; i < ain.bufs->len; i++) {
    GstBuffer *bi = g_ptr_array_index (ain.bufs, i);
    GstBuffer *bo = g_ptr_array_index (aout.bufs, i);
    GstClockTimeDiff din = GST_BUFFER_PTS (bi) - a0_in;
    GstClockTimeDiff dout = GST_BUFFER_PTS (bo) - a0_out;

    fail_unless (ABS (din - dout) <= 11112 * 2, "audio PTS %u", i);
    fail_unless (gst_buffer_get_size (bi) == gst_buffer_get_size (bo)
        , "audio frame %u size", i);
    {
      GstMapInfo mi;

      gst_buffer_map (bi, &mi, GST_MAP_READ);
      fail_unless (gst_buffer_memcmp (bo, 0, mi.data, mi.size) == 0,
          "audio frame %u differs", i);
      gst_buffer_unmap (bi, &mi);
    }
  }
  /* audio and video keep their relative timing */
  fail_unless (ABS ((GstClockTimeDiff) (a0_out - v0_out) -
          (GstClockTimeDiff) (a0_in - v0_in)) <= 22224,
      "A/V offset in %" G_GINT64_FORMAT " out %" G_GINT64_FORMAT
      " (v0 %" GST_TIME_FORMAT " a0 %" GST_TIME_FORMAT ")",
      (GstClockTimeDiff) (a0_in - v0_in), (GstClockTimeDiff) (a0_out - v0_out),
      GST_TIME_ARGS (v0_out), GST_TIME_ARGS (a0_out));

  /* 3. ffprobe: the codecs, the size, the duration */
  probe = ffprobe (file, "stream=codec_name,width,height:format=duration");
  fail_unless (strstr (probe, "codec_name=h264"), "%s", probe);
  fail_unless (strstr (probe, "codec_name=aac"), "%s", probe);
  fail_unless (strstr (probe, "width=320") && strstr (probe, "height=240"),
      "%s", probe);
  {
    const gchar *d = strstr (probe, "duration=");

    fail_unless (d != NULL, "%s", probe);
    dur = g_ascii_strtod (d + 9, NULL);
    fail_unless (dur > 3.8 && dur < 4.2, "duration %f", dur);
  }
  g_free (probe);

  /* 4. ffmpeg decodes it all without an error */
  check_ffmpeg_decodes (file);

  g_ptr_array_unref (vin.bufs);
  g_ptr_array_unref (ain.bufs);
  g_ptr_array_unref (vout.bufs);
  g_ptr_array_unref (aout.bufs);
  g_unlink (file);
  g_free (file);
}

GST_START_TEST (test_roundtrip_x264_aac)
{
  round_trip (0);
}

GST_END_TEST;

GST_START_TEST (test_roundtrip_x264_bframes_aac)
{
  round_trip (2);
}

GST_END_TEST;

/* splitmuxsink with arclytsmux as its muxer: every file stands alone. */
GST_START_TEST (test_splitmuxsink)
{
  gchar *pattern = tmp_path ("split%02d.ts");
  gchar *desc;
  GstElement *pipe;
  GError *err = NULL;
  guint i, files = 0;

  require_element ("splitmuxsink");
  require_element ("x264enc");
  require_element ("voaacenc");
  desc = g_strdup_printf ("videotestsrc num-buffers=150 ! "
      "video/x-raw,format=I420,width=320,height=240,framerate=30/1 ! "
      "x264enc key-int-max=15 speed-preset=ultrafast bframes=2 "
      "option-string=scenecut=0 ! h264parse ! queue ! "
      "splitmuxsink name=s muxer-factory=arclytsmux max-size-time=1000000000 "
      "location=%s audiotestsrc num-buffers=215 samplesperbuffer=1024 ! "
      "voaacenc ! aacparse ! queue ! s.audio_0", pattern);
  pipe = gst_parse_launch (desc, &err);
  fail_unless (pipe != NULL, "%s", err ? err->message : "");
  g_free (desc);
  run_to_eos (pipe, 60);
  gst_object_unref (pipe);

  for (i = 0; i < 20; i++) {
    gchar *name = g_strdup_printf ("split%02u.ts", i);
    gchar *file = tmp_path (name);

    g_free (name);
    if (!g_file_test (file, G_FILE_TEST_EXISTS)) {
      g_free (file);
      break;
    }
    {
      gchar *probe = ffprobe (file, "stream=codec_name,width,height");

      fail_unless (strstr (probe, "codec_name=h264") &&
          strstr (probe, "width=320") && strstr (probe, "codec_name=aac"),
          "%s: %s", file, probe);
      g_free (probe);
    }
    check_ffmpeg_decodes (file);
    g_unlink (file);
    g_free (file);
    files++;
  }
  fail_unless (files >= 4, "only %u files from 5 s split at 1 s", files);
  g_free (pattern);
}

GST_END_TEST;

/* Live sources: the muxer reports its latency (the audio PES wait adds to
 * upstream's) and writes a stream that decodes. */
GST_START_TEST (test_live)
{
  gchar *file = tmp_path ("live.ts");
  gchar *desc;
  GstElement *pipe;
  GError *err = NULL;
  GstBus *bus;
  GstMessage *msg;
  GstQuery *q;
  gboolean live = FALSE;
  GstClockTime min = 0, max = 0;

  require_element ("x264enc");
  require_element ("voaacenc");
  desc = g_strdup_printf ("videotestsrc is-live=true num-buffers=45 ! "
      "video/x-raw,format=I420,width=320,height=240,framerate=30/1 ! "
      "x264enc tune=zerolatency key-int-max=15 speed-preset=ultrafast ! "
      "arclytsmux name=m ! filesink location=%s "
      "audiotestsrc is-live=true num-buffers=65 samplesperbuffer=1024 ! "
      "voaacenc ! m.", file);
  pipe = gst_parse_launch (desc, &err);
  fail_unless (pipe != NULL, "%s", err ? err->message : "");
  g_free (desc);
  bus = gst_element_get_bus (pipe);
  fail_unless (gst_element_set_state (pipe, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  fail_unless_equals_int (gst_element_get_state (pipe, NULL, NULL,
          20 * GST_SECOND), GST_STATE_CHANGE_SUCCESS);
  /* (filesink does not sync, so ask the muxer itself) */
  q = gst_query_new_latency ();
  {
    GstElement *m = gst_bin_get_by_name (GST_BIN (pipe), "m");

    fail_unless (gst_element_query (m, q));
    gst_object_unref (m);
  }
  gst_query_parse_latency (q, &live, &min, &max);
  gst_query_unref (q);
  fail_unless (live);
  fail_unless (min >= 100 * GST_MSECOND, "latency %" GST_TIME_FORMAT,
      GST_TIME_ARGS (min));
  msg = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS,
      "live pipeline did not reach EOS");
  gst_message_unref (msg);
  {
    /* the deeper input queues of non-live pipelines are not used live:
     * the base class latency property stays the application's */
    GstElement *m = gst_bin_get_by_name (GST_BIN (pipe), "m");
    GstClockTime latency = GST_CLOCK_TIME_NONE;

    g_object_get (m, "latency", &latency, NULL);
    fail_unless_equals_uint64 (latency, 0);
    gst_object_unref (m);
  }
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipe);
  check_ffmpeg_decodes (file);
  {
    gchar *probe = ffprobe (file, "stream=codec_name");

    fail_unless (strstr (probe, "h264") && strstr (probe, "aac"), "%s", probe);
    g_free (probe);
  }
  g_unlink (file);
  g_free (file);
}

GST_END_TEST;

/* Drops every buffer from 1 s of running time on: a live input that
 * stops without EOS (a camera whose audio drops while its video goes on). */
static GstPadProbeReturn
drop_from_one_second (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  GstClockTime t = GST_BUFFER_PTS (GST_PAD_PROBE_INFO_BUFFER (info));
  GstEvent *ev = gst_pad_get_sticky_event (pad, GST_EVENT_SEGMENT, 0);

  if (ev != NULL) {
    const GstSegment *seg;

    gst_event_parse_segment (ev, &seg);
    t = gst_segment_to_running_time (seg, GST_FORMAT_TIME, t);
    gst_event_unref (ev);
  }
  return GST_CLOCK_TIME_IS_VALID (t) && t >= GST_SECOND ?
      GST_PAD_PROBE_DROP : GST_PAD_PROBE_OK;
}

/* Live video and audio into the muxer (@mux_desc, named m, its output
 * into "appsink name=sink"), the audio stopping at 1 s without EOS: the
 * muxer's output must go on past 3 s of running time with the video alone
 * (a live GstAggregator times out after its latency), where it used to
 * stop until the audio came back. */
static void
check_live_input_stops (const gchar * mux_desc)
{
  gchar *desc = g_strdup_printf ("videotestsrc is-live=true pattern=ball ! "
      "video/x-raw,format=I420,width=160,height=120,framerate=30/1 ! "
      "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=15 "
      "option-string=scenecut=0 ! h264parse ! m.video_0 "
      "audiotestsrc is-live=true samplesperbuffer=1024 ! "
      "audio/x-raw,rate=44100,channels=2 ! voaacenc ! aacparse name=a ! "
      "m.audio_0 %s ! appsink name=sink sync=false", mux_desc);
  GstElement *pipe = gst_parse_launch (desc, NULL);
  GstElement *sink, *a;
  GstPad *pad;
  GstClockTime reached = 0;

  fail_unless (pipe != NULL, "cannot build %s (x264enc/voaacenc missing?)",
      desc);
  a = gst_bin_get_by_name (GST_BIN (pipe), "a");
  pad = gst_element_get_static_pad (a, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, drop_from_one_second,
      NULL, NULL);
  gst_object_unref (pad);
  gst_object_unref (a);
  sink = gst_bin_get_by_name (GST_BIN (pipe), "sink");
  fail_unless (gst_element_set_state (pipe, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  while (reached < 3 * GST_SECOND) {
    GstSample *sample = NULL;
    GstBuffer *b;

    g_signal_emit_by_name (sink, "try-pull-sample", 10 * GST_SECOND, &sample);
    fail_unless (sample != NULL, "no output for 10 s after %" GST_TIME_FORMAT
        " of running time: the muxer holds the video while the audio is "
        "away", GST_TIME_ARGS (reached));
    b = gst_sample_get_buffer (sample);
    if (GST_BUFFER_PTS_IS_VALID (b))
      reached = MAX (reached, GST_BUFFER_PTS (b));
    gst_sample_unref (sample);
  }
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (pipe);
  g_free (desc);
}

GST_START_TEST (test_live_input_stops)
{
  check_live_input_stops ("arclytsmux name=m");
}

GST_END_TEST;

/* A live camera back after a drop: the first video buffer after the gap
 * (DISCONT) waits half a second (ARCLY_GAP_MAX_HOLE) for the audio of the
 * same drop before the muxer goes on without it (arcly_mux_next_time), so
 * the fragment after the discontinuity holds both.  The clock wait the
 * muxer asks for says when it would go on. */
GST_START_TEST (test_live_gap_waits_for_the_other_inputs)
{
  GstHarness *hv = gst_harness_new_with_padnames ("arclytsmux", "video_0",
      "src");
  GstHarness *ha = gst_harness_new_with_element (hv->element, "audio_0",
      NULL);
  GstTestClock *clock = gst_harness_get_testclock (hv);
  GstClockTime latency = 2 * GST_SECOND, back = 5 * GST_SECOND;
  GstClockTime due = 0;
  GstBuffer *b;
  guint i;

  /* a large upstream latency: the pads queue what we push */
  gst_harness_set_upstream_latency (hv, latency);
  gst_harness_set_upstream_latency (ha, latency);
  gst_harness_set_src_caps (hv, video_caps (FALSE));
  gst_harness_set_src_caps (ha, audio_caps ());
  /* How much a pad queues follows the latency GstAggregator configures when
   * a latency query reaches it, which its own thread does on its first
   * turn.  Pushed before that, the third buffer met a full queue and waited
   * for a clock the test never advanced (1 run in 12 hung): configure it
   * first. */
  {
    GstQuery *q = gst_query_new_latency ();

    fail_unless (gst_pad_peer_query (hv->sinkpad, q));
    gst_query_unref (q);
  }
  for (i = 0; i < 30; i++) {
    b = make_au (FALSE, i == 0, i == 0, FALSE, i == 0 ? 9000 : 700,
        FRAME_NS (i, 30), FRAME_NS (i, 30));
    GST_BUFFER_DURATION (b) = FRAME_NS (1, 30);
    fail_unless_equals_int (gst_harness_push (hv, b), GST_FLOW_OK);
  }
  for (i = 0; i < 46; i++)
    fail_unless_equals_int (gst_harness_push (ha, make_aac (i, 0)),
        GST_FLOW_OK);
  /* the video comes back first, at 5 s on a keyframe */
  b = make_au (FALSE, TRUE, TRUE, FALSE, 9000, back, back);
  GST_BUFFER_DURATION (b) = FRAME_NS (1, 30);
  GST_BUFFER_FLAG_SET (b, GST_BUFFER_FLAG_DISCONT);
  fail_unless_equals_int (gst_harness_push (hv, b), GST_FLOW_OK);
  /* the waits for the media before the gap run out; then the one for the
   * video after it */
  while (due < back) {
    GstClockID id = NULL;

    fail_unless (gst_test_clock_timed_wait_for_multiple_pending_ids (clock,
            1, 10000, NULL), "the muxer waits for no clock");
    gst_test_clock_wait_for_next_pending_id (clock, &id);
    due = gst_clock_id_get_time (id);
    gst_clock_id_unref (id);
    if (due < back)
      gst_test_clock_crank (clock);
  }
  fail_unless (due >= back + 500 * GST_MSECOND + latency, "the video after "
      "the gap is due at %" GST_TIME_FORMAT ", want 500 ms after %"
      GST_TIME_FORMAT " + the latency", GST_TIME_ARGS (due),
      GST_TIME_ARGS (back));
  /* the audio of the same drop: both go on together */
  b = make_aac (0, back + 10 * GST_MSECOND);
  GST_BUFFER_FLAG_SET (b, GST_BUFFER_FLAG_DISCONT);
  fail_unless_equals_int (gst_harness_push (ha, b), GST_FLOW_OK);
  gst_harness_push_event (hv, gst_event_new_eos ());
  gst_harness_push_event (ha, gst_event_new_eos ());
  gst_object_unref (clock);
  gst_harness_teardown (ha);
  gst_harness_teardown (hv);
}

GST_END_TEST;

/* Without a live source each sink pad may queue 500 ms of input (the base
 * class latency property) instead of one buffer; stopping gives the
 * property back, and an application's own value is never changed. */
static const gchar nonlive_pipeline[] =
    "videotestsrc num-buffers=20 ! "
    "video/x-raw,format=I420,width=160,height=120,framerate=30/1 ! "
    "x264enc speed-preset=ultrafast ! arclytsmux name=m ! "
    "fakesink sync=false audiotestsrc num-buffers=30 ! voaacenc ! m.";

/* One thread feeds video and audio, as arclyrtspsrc's one streaming thread
 * does; the audio (@abufs) comes after @video_first video buffers. */
typedef struct
{
  GstHarness *v, *a;
  GPtrArray *vbufs, *abufs;
  guint video_first;
  GMutex lock;
  GCond cond;
  gboolean done;
  GstFlowReturn v_ret, a_ret;
} LateStart;

static gpointer
late_start_feed (gpointer data)
{
  LateStart *ls = data;
  guint vi = 0, ai = 0;

  while (ls->v_ret == GST_FLOW_OK && ls->a_ret == GST_FLOW_OK &&
      (vi < ls->vbufs->len || ai < ls->abufs->len)) {
    GstBuffer *vb = vi < ls->vbufs->len ? g_ptr_array_index (ls->vbufs,
        vi) : NULL;
    GstBuffer *ab = vi >= ls->video_first && ai < ls->abufs->len ?
        g_ptr_array_index (ls->abufs, ai) : NULL;

    if (vb != NULL && (ab == NULL || GST_BUFFER_DTS_OR_PTS (vb) <=
            GST_BUFFER_PTS (ab))) {
      ls->v_ret = gst_harness_push (ls->v, gst_buffer_ref (vb));
      vi++;
    } else {
      ls->a_ret = gst_harness_push (ls->a, gst_buffer_ref (ab));
      ai++;
    }
  }
  g_mutex_lock (&ls->lock);
  ls->done = TRUE;
  g_cond_signal (&ls->cond);
  g_mutex_unlock (&ls->lock);
  return NULL;
}

/* A live muxer whose audio pad starts 3 s after the video, both fed by
 * one thread: the full video pad blocks that thread, so the muxer must go
 * on with the video alone after the start grace (it used to wait for the
 * audio for ever: a deadlock).  The audio then joins the stream: every
 * frame written, in the PMT from the start, no error. */
GST_START_TEST (test_live_late_audio_one_thread)
{
  GstHarness *hv = gst_harness_new_with_padnames ("arclytsmux", "video_0",
      "src");
  GstHarness *ha = gst_harness_new_with_element (hv->element, "audio_0",
      NULL);
  GstBus *bus = attach_bus (hv->element);
  GstClock *clock = gst_test_clock_new ();
  LateStart ls = { hv, ha, NULL, NULL, 90, };
  GstClockTime now = 0;
  gint64 deadline = g_get_monotonic_time () + 30 * G_TIME_SPAN_SECOND;
  GThread *feeder;
  GstClockID id;
  GPtrArray *out;
  GByteArray *all;
  TsScan *s;
  guint i, n_video = 0, n_audio_frames = 0;

  ls.vbufs = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
  ls.abufs = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
  /* 6 s at 30 fps, GOP of 30; AAC from 3 s to 6 s */
  for (i = 0; i < 180; i++) {
    gboolean key = i % 30 == 0;
    GstBuffer *b = make_au (FALSE, key, i == 0, FALSE, key ? 9000 : 700 + i,
        FRAME_NS (i, 30), FRAME_NS (i, 30));

    GST_BUFFER_DURATION (b) = FRAME_NS (1, 30);
    g_ptr_array_add (ls.vbufs, b);
  }
  for (i = 0; i < 140; i++)
    g_ptr_array_add (ls.abufs, make_aac (i, 3 * GST_SECOND));

  /* both live (the harness answers the latency query as live), with the
   * caps set before any data, as arclyrtspsrc does */
  gst_harness_set_upstream_latency (hv, 0);
  gst_harness_set_upstream_latency (ha, 0);
  gst_harness_set_src_caps (hv, video_caps (FALSE));
  gst_harness_set_src_caps (ha, audio_caps ());
  gst_element_set_clock (hv->element, clock);
  g_mutex_init (&ls.lock);
  g_cond_init (&ls.cond);
  feeder = g_thread_new ("feeder", late_start_feed, &ls);

  /* drive the clock 20 ms a step, up to 60 s, until the feeder is done */
  g_mutex_lock (&ls.lock);
  while (!ls.done) {
    if (now < 60 * GST_SECOND) {
      now += 20 * GST_MSECOND;
      gst_test_clock_set_time (GST_TEST_CLOCK (clock), now);
    }
    /* release the muxer's clock waits that are due */
    while ((id = gst_test_clock_process_next_clock_id (GST_TEST_CLOCK
                (clock))) != NULL)
      gst_clock_id_unref (id);
    g_cond_wait_until (&ls.cond, &ls.lock,
        g_get_monotonic_time () + 2 * G_TIME_SPAN_MILLISECOND);
    fail_unless (ls.done || g_get_monotonic_time () < deadline,
        "the feeder is still blocked in the muxer at %" GST_TIME_FORMAT
        " of clock time: the muxer waits for the audio that the blocked "
        "thread would bring", GST_TIME_ARGS (now));
  }
  g_mutex_unlock (&ls.lock);
  g_thread_join (feeder);
  fail_unless_equals_int (ls.v_ret, GST_FLOW_OK);
  fail_unless_equals_int (ls.a_ret, GST_FLOW_OK);

  fail_unless (gst_harness_push_event (ha, gst_event_new_eos ()));
  fail_unless (gst_harness_push_event (hv, gst_event_new_eos ()));
  wait_eos (hv);
  out = g_ptr_array_new_with_free_func ((GDestroyNotify) gst_buffer_unref);
  {
    GstBuffer *b;

    while ((b = gst_harness_try_pull (hv)))
      g_ptr_array_add (out, b);
  }
  fail_unless_equals_int (count_messages (bus, GST_MESSAGE_ERROR), 0);
  all = concat (out);
  s = ts_scan (all->data, all->len);
  fail_unless_equals_int (s->n_streams, 2);
  for (i = 0; i < s->pes->len; i++) {
    Pes *p = g_ptr_array_index (s->pes, i);
    gsize pos = 0;

    if (p->pid == VIDEO_PID) {
      n_video++;
      continue;
    }
    fail_unless_equals_int (p->pid, AUDIO_PID);
    /* count the ADTS frames */
    while (pos + 7 <= p->es->len) {
      const guint8 *d = p->es->data + pos;

      fail_unless (d[0] == 0xff && (d[1] & 0xf6) == 0xf0);
      pos += ((d[3] & 3) << 11) | (d[4] << 3) | (d[5] >> 5);
      n_audio_frames++;
    }
    fail_unless_equals_int (pos, p->es->len);
  }
  fail_unless_equals_int (n_video, 180);
  fail_unless_equals_int (n_audio_frames, 140);

  ts_scan_free (s);
  g_byte_array_unref (all);
  g_ptr_array_unref (out);
  g_ptr_array_unref (ls.vbufs);
  g_ptr_array_unref (ls.abufs);
  g_mutex_clear (&ls.lock);
  g_cond_clear (&ls.cond);
  gst_element_set_bus (hv->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (ha);
  gst_harness_teardown (hv);
  gst_object_unref (clock);
}

GST_END_TEST;

GST_START_TEST (test_nonlive_queue)
{
  require_element ("x264enc");
  require_element ("voaacenc");
  arcly_check_nonlive_queue (nonlive_pipeline, 0, 500 * GST_MSECOND);
  arcly_check_nonlive_queue (nonlive_pipeline, 20 * GST_MSECOND,
      20 * GST_MSECOND);
}

GST_END_TEST;

static gchar *test_dir = NULL;

static void
cleanup_dir (void)
{
  gchar *any = tmp_path ("x");

  test_dir = g_path_get_dirname (any);
  g_free (any);
  rm_rf (test_dir);
  g_free (test_dir);
}

static Suite *
arclytsmux_suite (void)
{
  Suite *s = suite_create ("arclytsmux");
  TCase *tc = tcase_create ("structure");
  TCase *rt = tcase_create ("roundtrip");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_structure_av);
  tcase_add_test (tc, test_avc_bframes);
  tcase_add_test (tc, test_pcr_fill_low_fps);
  tcase_add_test (tc, test_audio_only);
  tcase_add_test (tc, test_adts_passthrough);
  tcase_add_test (tc, test_33bit_wrap);
  tcase_add_test (tc, test_bad_buffers_dropped);
  tcase_add_test (tc, test_same_tick_dts_moved);
  tcase_add_test (tc, test_no_sps_dropped);
  tcase_add_test (tc, test_avc_without_codec_data_error);
  tcase_add_test (tc, test_raw_aac_without_codec_data_error);
  tcase_add_test (tc, test_pads_and_states);
  tcase_add_test (tc, test_flush_restarts);
  tcase_add_test (tc, test_pad_added_bumps_pmt);

  suite_add_tcase (s, rt);
  tcase_set_timeout (rt, 120);
  tcase_add_unchecked_fixture (rt, NULL, cleanup_dir);
  tcase_add_test (rt, test_roundtrip_x264_aac);
  tcase_add_test (rt, test_roundtrip_x264_bframes_aac);
  tcase_add_test (rt, test_splitmuxsink);
  tcase_add_test (rt, test_live);
  tcase_add_test (rt, test_nonlive_queue);
  tcase_add_test (rt, test_live_input_stops);
  tcase_add_test (rt, test_live_gap_waits_for_the_other_inputs);
  tcase_add_test (rt, test_live_late_audio_one_thread);
  return s;
}

GST_CHECK_MAIN (arclytsmux);
