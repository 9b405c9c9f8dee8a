/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * arclybus max-lag-time: a subscriber that cannot keep up with a live
 * stream is kept within its time bound (plus one GOP) of live by skipping
 * to the newest keyframe, not only when the ring overruns.
 *
 * Time is driven by the test: the pipeline runs on a GstTestClock, advanced
 * one frame duration per frame; the test pushes real H.264 frames (x264enc,
 * encoded beforehand) into a live appsrc with the timestamps of a 30 fps
 * camera, and lets each slow branch take one frame for every three
 * published (100 ms per frame), stepping all in lock-step.  No sleeps: every
 * step waits on a condition, bounded.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <gst/check/gsttestclock.h>
#include <stdio.h>

#define FRAME_DUR (GST_SECOND / 30)
#define GOP 15                  /* frames: 0.5 s */
#define N_FRAMES 150            /* 5 s of stream */
#define WAIT_US (10 * G_TIME_SPAN_SECOND)

static void
require (const gchar * name)
{
  GstElementFactory *f = gst_element_factory_find (name);

  fail_unless (f != NULL, "element %s is missing: install "
      "gstreamer1.0-plugins-ugly / -libav / -bad / -base", name);
  gst_object_unref (f);
}

/* N_FRAMES frames of a live-like I420 H.264 stream with a GOP of GOP
 * frames, byte-stream/au, and their caps. */
static GPtrArray *
encode_frames (GstCaps ** caps)
{
  GPtrArray *frames = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
  GError *err = NULL;
  GstElement *pipe, *sink;
  GstSample *sample;
  gchar *desc;

  desc = g_strdup_printf ("videotestsrc num-buffers=%u pattern=ball ! "
      "video/x-raw,format=I420,width=160,height=120,framerate=30/1 ! "
      "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=%u "
      "option-string=scenecut=0 ! h264parse ! "
      "video/x-h264,stream-format=byte-stream,alignment=au ! "
      "appsink name=out sync=false", N_FRAMES, GOP);
  pipe = gst_parse_launch (desc, &err);
  g_free (desc);
  fail_unless (pipe != NULL, "%s", err ? err->message : "?");
  sink = gst_bin_get_by_name (GST_BIN (pipe), "out");
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  *caps = NULL;
  for (;;) {
    sample = NULL;
    g_signal_emit_by_name (sink, "pull-sample", &sample);
    if (sample == NULL)
      break;
    {
    GstBuffer *b = gst_buffer_copy (gst_sample_get_buffer (sample));

    if (*caps == NULL)
      *caps = gst_caps_ref (gst_sample_get_caps (sample));
    GST_BUFFER_PTS (b) = GST_BUFFER_DTS (b) = frames->len * FRAME_DUR;
    GST_BUFFER_DURATION (b) = FRAME_DUR;
    g_ptr_array_add (frames, b);
    gst_sample_unref (sample);
    }
  }
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (pipe);
  fail_unless_equals_int (frames->len, N_FRAMES);
  fail_if (GST_BUFFER_FLAG_IS_SET (g_ptr_array_index (frames, 0),
          GST_BUFFER_FLAG_DELTA_UNIT));
  return frames;
}

/* ------------------------------------------------------ lock-step state */

typedef struct _Lag Lag;

typedef struct
{
  Lag *lag;
  const gchar *name;
  GstClockTime bound;           /* expected bound, NONE: never skips */
  guint tokens;                 /* frames it may still take */
  gboolean waiting;             /* a frame is held at the gate */
  guint passed;
  guint decoded;
  GstClockTime max_behind;      /* newest published - frame passed */
  GstClockTime first_skip_at;   /* newest published when it first skipped */
  guint skips;
  gboolean bad_discont;         /* a DISCONT that was not a keyframe */
  gboolean open;                /* no gating any more */
} Branch;

struct _Lag
{
  GMutex lock;
  GCond cond;
  guint published;
  GstClockTime newest;
  Branch br[3];
};

static GstPadProbeReturn
published_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  Lag *lag = data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);

  g_mutex_lock (&lag->lock);
  lag->published++;
  lag->newest = GST_BUFFER_PTS (buf);
  g_cond_broadcast (&lag->cond);
  g_mutex_unlock (&lag->lock);
  return GST_PAD_PROBE_OK;
}

/* On the bus's src pad, in the delivery thread: the slow branch.  Holds
 * each frame until the test gives it a token. */
static GstPadProbeReturn
gate_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  Branch *b = data;
  Lag *lag = b->lag;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  gint64 deadline = g_get_monotonic_time () + WAIT_US;
  GstClockTime behind;

  g_mutex_lock (&lag->lock);
  b->waiting = TRUE;
  g_cond_broadcast (&lag->cond);
  while (!b->open && b->tokens == 0)
    if (!g_cond_wait_until (&lag->cond, &lag->lock, deadline))
      break;
  if (b->tokens > 0)
    b->tokens--;
  b->waiting = FALSE;
  if (b->passed > 0 && GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DISCONT)) {
    if (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT))
      b->bad_discont = TRUE;
    if (b->skips++ == 0)
      b->first_skip_at = lag->newest;
  }
  behind = lag->newest - GST_BUFFER_PTS (buf);
  if (!b->open)
    b->max_behind = MAX (b->max_behind, behind);
  b->passed++;
  g_cond_broadcast (&lag->cond);
  g_mutex_unlock (&lag->lock);
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
decoded_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  Branch *b = data;

  g_mutex_lock (&b->lag->lock);
  b->decoded++;
  g_mutex_unlock (&b->lag->lock);
  return GST_PAD_PROBE_OK;
}

/* (lock) bounded wait for @pred */
#define WAIT_FOR(lag, pred) G_STMT_START {                              \
    gint64 _d = g_get_monotonic_time () + WAIT_US;                      \
    while (!(pred))                                                     \
      if (!g_cond_wait_until (&(lag)->cond, &(lag)->lock, _d))          \
        break;                                                          \
    fail_unless (pred, "timed out waiting for " #pred);                 \
  } G_STMT_END

/* Reads the bus up to EOS: fails on any error or warning (a decoder that
 * got a broken reference chain), counts arcly-bus-lagged per pad. */
static void
read_bus_to_eos (GstBus * gbus, guint * n_lagged)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_US;
  gboolean eos = FALSE;

  while (!eos && g_get_monotonic_time () < deadline) {
    GstMessage *m = gst_bus_timed_pop (gbus, 100 * GST_MSECOND);

    if (m == NULL)
      continue;
    if (GST_MESSAGE_TYPE (m) == GST_MESSAGE_EOS)
      eos = TRUE;
    if (GST_MESSAGE_TYPE (m) == GST_MESSAGE_ERROR
        || GST_MESSAGE_TYPE (m) == GST_MESSAGE_WARNING) {
      GError *err = NULL;
      gchar *dbg = NULL;

      if (GST_MESSAGE_TYPE (m) == GST_MESSAGE_ERROR)
        gst_message_parse_error (m, &err, &dbg);
      else
        gst_message_parse_warning (m, &err, &dbg);
      fail ("%s from %s: %s (%s)", GST_MESSAGE_TYPE_NAME (m),
          GST_MESSAGE_SRC_NAME (m), err->message, dbg ? dbg : "");
    }
    if (GST_MESSAGE_TYPE (m) == GST_MESSAGE_ELEMENT
        && gst_message_has_name (m, "arcly-bus-lagged")) {
      const gchar *pad =
          gst_structure_get_string (gst_message_get_structure (m),
          "pad-name");
      guint k;

      if (pad && sscanf (pad, "src_%u", &k) == 1 && k < 3)
        n_lagged[k]++;
    }
    gst_message_unref (m);
  }
  fail_unless (eos, "no EOS");
}

/* Three branches that each take 100 ms per frame of a live 30 fps stream
 * (one frame per three published): src_0 with the element's max-lag-time
 * (default, 1 s), src_1 overriding it with 250 ms, src_2 with 0 (count
 * only).  A fourth branch keeps up.  Each slow branch decodes what it gets
 * (avdec_h264 with output-corrupt=false drops a picture with broken
 * references, so every frame passed must come out decoded). */
GST_START_TEST (test_slow_branch_held_within_max_lag_time)
{
  GError *err = NULL;
  GstElement *pipe, *src, *bus;
  GstBus *gbus;
  GstCaps *caps;
  GPtrArray *frames;
  GstPad *pad;
  GstClock *clock;
  GstClockTime v;
  Lag lag;
  guint i, j, n_lagged[3] = { 0, 0, 0 };
  const gchar *missing[] = { "x264enc", "avdec_h264", "h264parse", "appsrc" };

  for (i = 0; i < G_N_ELEMENTS (missing); i++)
    require (missing[i]);
  frames = encode_frames (&caps);

  memset (&lag, 0, sizeof (lag));
  g_mutex_init (&lag.lock);
  g_cond_init (&lag.cond);
  lag.br[0].name = "src_0";
  lag.br[0].bound = GST_SECOND;
  lag.br[1].name = "src_1";
  lag.br[1].bound = 250 * GST_MSECOND;
  lag.br[2].name = "src_2";
  lag.br[2].bound = GST_CLOCK_TIME_NONE;

  pipe = gst_parse_launch ("appsrc name=src is-live=true format=time ! "
      "arclybus name=bus "
      "bus.src_0 ! avdec_h264 name=d0 output-corrupt=false max-threads=1 ! "
      "fakesink sync=false "
      "bus.src_1 ! avdec_h264 name=d1 output-corrupt=false max-threads=1 ! "
      "fakesink sync=false "
      "bus.src_2 ! avdec_h264 name=d2 output-corrupt=false max-threads=1 ! "
      "fakesink sync=false "
      "bus.src_3 ! fakesink sync=false", &err);
  fail_unless (pipe != NULL, "%s", err ? err->message : "?");
  src = gst_bin_get_by_name (GST_BIN (pipe), "src");
  bus = gst_bin_get_by_name (GST_BIN (pipe), "bus");
  g_object_set (src, "caps", caps, NULL);

  /* the element default and the per-pad override */
  g_object_get (bus, "max-lag-time", &v, NULL);
  fail_unless_equals_uint64 (v, GST_SECOND);
  pad = gst_element_get_static_pad (bus, "src_0");
  g_object_get (pad, "max-lag-time", &v, NULL);
  fail_unless_equals_uint64 (v, GST_CLOCK_TIME_NONE);
  gst_object_unref (pad);
  pad = gst_element_get_static_pad (bus, "src_1");
  g_object_set (pad, "max-lag-time", (guint64) (250 * GST_MSECOND), NULL);
  gst_object_unref (pad);
  pad = gst_element_get_static_pad (bus, "src_2");
  g_object_set (pad, "max-lag-time", (guint64) 0, NULL);
  gst_object_unref (pad);

  pad = gst_element_get_static_pad (bus, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, published_probe, &lag,
      NULL);
  gst_object_unref (pad);
  for (j = 0; j < 3; j++) {
    gchar *dname = g_strdup_printf ("d%u", j);
    GstElement *dec = gst_bin_get_by_name (GST_BIN (pipe), dname);

    lag.br[j].lag = &lag;
    pad = gst_element_get_static_pad (bus, lag.br[j].name);
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, gate_probe, &lag.br[j],
        NULL);
    gst_object_unref (pad);
    pad = gst_element_get_static_pad (dec, "src");
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, decoded_probe,
        &lag.br[j], NULL);
    gst_object_unref (pad);
    gst_object_unref (dec);
    g_free (dname);
  }
  gbus = gst_element_get_bus (pipe);
  clock = gst_test_clock_new ();
  gst_pipeline_use_clock (GST_PIPELINE (pipe), clock);
  fail_if (gst_element_set_state (pipe, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);

  for (i = 0; i < N_FRAMES; i++) {
    GstFlowReturn fr = GST_FLOW_ERROR;

    /* a live camera: frame i arrives at running time i / 30 s */
    if (i > 0)
      gst_test_clock_advance_time (GST_TEST_CLOCK (clock), FRAME_DUR);
    g_signal_emit_by_name (src, "push-buffer", g_ptr_array_index (frames, i),
        &fr);
    fail_unless_equals_int (fr, GST_FLOW_OK);
    g_mutex_lock (&lag.lock);
    WAIT_FOR (&lag, lag.published == i + 1);
    if (i % 3 == 2) {
      /* 100 ms have passed: each slow branch finishes one frame */
      for (j = 0; j < 3; j++)
        lag.br[j].tokens++;
      g_cond_broadcast (&lag.cond);
      WAIT_FOR (&lag, lag.br[0].tokens == 0 && lag.br[1].tokens == 0
          && lag.br[2].tokens == 0 && lag.br[0].waiting && lag.br[1].waiting
          && lag.br[2].waiting);
    }
    g_mutex_unlock (&lag.lock);
  }

  /* drain: the gates open, EOS reaches every decoder */
  g_mutex_lock (&lag.lock);
  for (j = 0; j < 3; j++)
    lag.br[j].open = TRUE;
  g_cond_broadcast (&lag.cond);
  g_mutex_unlock (&lag.lock);
  {
    GstFlowReturn fr = GST_FLOW_ERROR;

    g_signal_emit_by_name (src, "end-of-stream", &fr);
    fail_unless_equals_int (fr, GST_FLOW_OK);
  }
  read_bus_to_eos (gbus, n_lagged);
  gst_element_set_state (pipe, GST_STATE_NULL);

  for (j = 0; j < 3; j++) {
    Branch *b = &lag.br[j];

    GST_INFO ("%s: %u passed, %u decoded, %u skips (first at %"
        GST_TIME_FORMAT "), at most %" GST_TIME_FORMAT " behind", b->name,
        b->passed, b->decoded, b->skips, GST_TIME_ARGS (b->first_skip_at),
        GST_TIME_ARGS (b->max_behind));
    fail_if (b->bad_discont, "%s: a skip landed on a delta unit", b->name);
    fail_unless_equals_int (b->decoded, b->passed);
    if (!GST_CLOCK_TIME_IS_VALID (b->bound)) {
      /* count only: every frame, ever further behind (2/3 of 5 s) */
      fail_unless_equals_int (b->skips, 0);
      fail_unless_equals_int (n_lagged[j], 0);
      fail_unless (b->max_behind > 3 * GST_SECOND);
      continue;
    }
    fail_unless (b->skips > 0 && n_lagged[j] == b->skips,
        "%s: %u skips, %u arcly-bus-lagged", b->name, b->skips, n_lagged[j]);
    /* lagged within 2 s of stream; never further behind than the bound
     * plus one GOP (and the frame in flight) */
    fail_unless (b->first_skip_at <= 2 * GST_SECOND, "%s: first skip at %"
        GST_TIME_FORMAT, b->name, GST_TIME_ARGS (b->first_skip_at));
    fail_unless (b->max_behind <= b->bound + (GOP + 1) * FRAME_DUR,
        "%s: %" GST_TIME_FORMAT " behind", b->name,
        GST_TIME_ARGS (b->max_behind));
  }
  /* the tighter bound skips sooner and more often */
  fail_unless (lag.br[1].first_skip_at < lag.br[0].first_skip_at);
  fail_unless (lag.br[1].skips > lag.br[0].skips);

  gst_object_unref (gbus);
  gst_object_unref (clock);
  gst_object_unref (bus);
  gst_object_unref (src);
  gst_object_unref (pipe);
  gst_caps_unref (caps);
  g_ptr_array_unref (frames);
  g_mutex_clear (&lag.lock);
  g_cond_clear (&lag.cond);
}

GST_END_TEST;

static Suite *
arclybus_lag_suite (void)
{
  Suite *s = suite_create ("arclybus_lag");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_slow_branch_held_within_max_lag_time);
  return s;
}

GST_CHECK_MAIN (arclybus_lag);
