/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * arclyaacdepay vs rtpmp4gdepay on the same RTP packets, in one run.
 *
 * The packets are made once by `audiotestsrc ! voaacenc ! rtpmp4gpay`
 * (48 kHz stereo, 1024-sample frames) and replayed --repeat times with
 * sequence numbers and timestamps continued, so a run is long enough to
 * time.  Each run pushes every packet through a fresh depayloader from
 * this thread into a counting sink pad: all the work happens on this
 * thread, so its CPU time (CLOCK_THREAD_CPUTIME_ID) is the element's cost.
 * The two elements alternate within a run; medians over --runs runs and
 * the ratio arcly / GStreamer are printed.  The outputs are checked: same
 * number of AUs and bytes from both, and how many of ours share memory
 * with the RTP packets (zero-copy).
 *
 * Build and run: bench/aacdepay.sh [build dir] [args]
 */

#include <gst/gst.h>
#include <gst/app/gstappsink.h>
#include <gst/rtp/gstrtpbuffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct
{
  guint64 aus;
  guint64 bytes;
  guint64 shared;               /* AUs whose memories are all also held by
                                 * the RTP packets: shared, not copied */
} SinkCount;

static GstFlowReturn
count_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  SinkCount *c = gst_pad_get_element_private (pad);
  guint i, n = gst_buffer_n_memory (buf);
  gboolean shared = n > 0;

  /* a sub-memory (parent set) or the packet's own memory object (refcount
   * above 1: the packet array still holds it); a copy is neither */
  for (i = 0; i < n; i++) {
    GstMemory *m = gst_buffer_peek_memory (buf, i);

    if (m->parent == NULL && GST_MINI_OBJECT_REFCOUNT_VALUE (m) < 2)
      shared = FALSE;
  }
  c->aus++;
  c->bytes += gst_buffer_get_size (buf);
  c->shared += shared;
  gst_buffer_unref (buf);
  return GST_FLOW_OK;
}

static gboolean
sink_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  gst_event_unref (event);
  return TRUE;
}

static gdouble
now_s (clockid_t id)
{
  struct timespec ts;

  clock_gettime (id, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Encodes @frames AAC frames and payloads them; returns the packets. */
static GPtrArray *
make_packets (guint frames, guint mtu, GstCaps ** caps)
{
  gchar *desc = g_strdup_printf ("audiotestsrc num-buffers=%u "
      "samplesperbuffer=1024 wave=pink-noise ! "
      "audio/x-raw,rate=48000,channels=2 ! voaacenc bitrate=128000 ! "
      "rtpmp4gpay mtu=%u ! appsink name=sink sync=false", frames, mtu);
  GError *err = NULL;
  GstElement *pipe = gst_parse_launch (desc, &err), *sink;
  GPtrArray *pkts = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
  GstSample *s;

  if (pipe == NULL) {
    g_printerr ("cannot build '%s': %s\n", desc, err->message);
    exit (1);
  }
  sink = gst_bin_get_by_name (GST_BIN (pipe), "sink");
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  while ((s = gst_app_sink_try_pull_sample (GST_APP_SINK (sink),
              60 * GST_SECOND))) {
    if (*caps == NULL)
      *caps = gst_caps_ref (gst_sample_get_caps (s));
    g_ptr_array_add (pkts, gst_buffer_ref (gst_sample_get_buffer (s)));
    gst_sample_unref (s);
  }
  if (!gst_app_sink_is_eos (GST_APP_SINK (sink))) {
    g_printerr ("payloader pipeline did not finish\n");
    exit (1);
  }
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (pipe);
  g_free (desc);
  return pkts;
}

/* The packets repeated @repeat times, seq / timestamp / PTS continued. */
static GPtrArray *
repeat_packets (GPtrArray * pkts, guint repeat)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
  guint r, i;
  guint16 seq = 1;
  guint32 ts_span = 0;
  GstClockTime pts_span;
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  GstBuffer *first = g_ptr_array_index (pkts, 0);
  GstBuffer *last = g_ptr_array_index (pkts, pkts->len - 1);
  guint32 ts0, ts1;

  gst_rtp_buffer_map (first, GST_MAP_READ, &rtp);
  ts0 = gst_rtp_buffer_get_timestamp (&rtp);
  gst_rtp_buffer_unmap (&rtp);
  gst_rtp_buffer_map (last, GST_MAP_READ, &rtp);
  ts1 = gst_rtp_buffer_get_timestamp (&rtp);
  gst_rtp_buffer_unmap (&rtp);
  ts_span = ts1 - ts0 + 1024;
  pts_span = GST_BUFFER_PTS (last) - GST_BUFFER_PTS (first) +
      gst_util_uint64_scale_int (1024, GST_SECOND, 48000);

  for (r = 0; r < repeat; r++) {
    for (i = 0; i < pkts->len; i++) {
      GstBuffer *b = gst_buffer_copy_deep (g_ptr_array_index (pkts, i));

      gst_rtp_buffer_map (b, GST_MAP_WRITE, &rtp);
      gst_rtp_buffer_set_seq (&rtp, seq++);
      gst_rtp_buffer_set_timestamp (&rtp,
          gst_rtp_buffer_get_timestamp (&rtp) + r * ts_span);
      gst_rtp_buffer_unmap (&rtp);
      GST_BUFFER_PTS (b) += r * pts_span;
      GST_BUFFER_DTS (b) = GST_BUFFER_PTS (b);
      g_ptr_array_add (out, b);
    }
  }
  return out;
}

typedef struct
{
  gdouble cpu;
  gdouble wall;
  SinkCount count;
} RunResult;

static RunResult
run_once (const gchar * factory, GPtrArray * pkts, GstCaps * caps)
{
  GstElement *el = gst_element_factory_make (factory, NULL);
  GstPad *src = gst_pad_new ("src", GST_PAD_SRC);
  GstPad *sink = gst_pad_new ("sink", GST_PAD_SINK);
  GstSegment seg;
  RunResult res = { 0, 0, {0, 0, 0} };
  gdouble c0, w0;
  guint i;

  if (el == NULL) {
    g_printerr ("element %s is missing\n", factory);
    exit (1);
  }
  gst_pad_set_element_private (sink, &res.count);
  gst_pad_set_chain_function (sink, count_chain);
  gst_pad_set_event_function (sink, sink_event);
  gst_pad_set_active (src, TRUE);
  gst_pad_set_active (sink, TRUE);
  gst_pad_link (src, gst_element_get_static_pad (el, "sink"));
  gst_object_unref (gst_element_get_static_pad (el, "sink"));
  {
    GstPad *esrc = gst_element_get_static_pad (el, "src");

    gst_pad_link (esrc, sink);
    gst_object_unref (esrc);
  }
  gst_element_set_state (el, GST_STATE_PLAYING);
  gst_pad_push_event (src, gst_event_new_stream_start ("bench"));
  gst_pad_push_event (src, gst_event_new_caps (caps));
  gst_segment_init (&seg, GST_FORMAT_TIME);
  gst_pad_push_event (src, gst_event_new_segment (&seg));

  c0 = now_s (CLOCK_THREAD_CPUTIME_ID);
  w0 = now_s (CLOCK_MONOTONIC);
  for (i = 0; i < pkts->len; i++) {
    if (gst_pad_push (src, gst_buffer_ref (g_ptr_array_index (pkts,
                    i))) != GST_FLOW_OK) {
      g_printerr ("%s: push failed at packet %u\n", factory, i);
      exit (1);
    }
  }
  res.cpu = now_s (CLOCK_THREAD_CPUTIME_ID) - c0;
  res.wall = now_s (CLOCK_MONOTONIC) - w0;

  gst_element_set_state (el, GST_STATE_NULL);
  gst_object_unref (el);
  gst_object_unref (src);
  gst_object_unref (sink);
  return res;
}

static gint
cmp_double (gconstpointer a, gconstpointer b)
{
  gdouble x = *(const gdouble *) a, y = *(const gdouble *) b;

  return x < y ? -1 : x > y;
}

static gdouble
median (gdouble * v, guint n)
{
  qsort (v, n, sizeof (gdouble), (int (*)(const void *, const void *))
      cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void
bench_case (const gchar * label, guint frames, guint mtu, guint repeat,
    guint runs)
{
  GstCaps *caps = NULL;
  GPtrArray *base = make_packets (frames, mtu, &caps);
  GPtrArray *pkts = repeat_packets (base, repeat);
  gdouble *cpu_a = g_new0 (gdouble, runs), *cpu_g = g_new0 (gdouble, runs);
  gdouble *pps_a = g_new0 (gdouble, runs), *pps_g = g_new0 (gdouble, runs);
  SinkCount ca = { 0 }, cg = { 0 };
  guint r;
  gdouble ma, mg;

  for (r = 0; r < runs; r++) {
    /* alternate the order so drift hits both alike */
    RunResult a, g;

    if (r % 2) {
      g = run_once ("rtpmp4gdepay", pkts, caps);
      a = run_once ("arclyaacdepay", pkts, caps);
    } else {
      a = run_once ("arclyaacdepay", pkts, caps);
      g = run_once ("rtpmp4gdepay", pkts, caps);
    }
    cpu_a[r] = a.cpu;
    cpu_g[r] = g.cpu;
    pps_a[r] = pkts->len / a.cpu;
    pps_g[r] = pkts->len / g.cpu;
    ca = a.count;
    cg = g.count;
  }
  if (ca.aus != cg.aus || ca.bytes != cg.bytes) {
    g_printerr ("%s: outputs differ: arcly %" G_GUINT64_FORMAT " AUs / %"
        G_GUINT64_FORMAT " B, rtpmp4gdepay %" G_GUINT64_FORMAT " AUs / %"
        G_GUINT64_FORMAT " B\n", label, ca.aus, ca.bytes, cg.aus, cg.bytes);
    exit (1);
  }
  ma = median (cpu_a, runs);
  mg = median (cpu_g, runs);
  printf ("%s: %u packets (%u frames x %u), %" G_GUINT64_FORMAT " AUs, "
      "%u runs\n", label, pkts->len, base->len, repeat, ca.aus, runs);
  printf ("  arclyaacdepay : median CPU %.4f s  %.0f packets/s  "
      "zero-copy AUs %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT "\n", ma,
      median (pps_a, runs), ca.shared, ca.aus);
  printf ("  rtpmp4gdepay  : median CPU %.4f s  %.0f packets/s  "
      "zero-copy AUs %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT "\n", mg,
      median (pps_g, runs), cg.shared, cg.aus);
  printf ("  ratio CPU arcly/GStreamer = %.2f  (throughput x%.2f)\n",
      ma / mg, mg / ma);

  g_free (cpu_a);
  g_free (cpu_g);
  g_free (pps_a);
  g_free (pps_g);
  g_ptr_array_unref (pkts);
  g_ptr_array_unref (base);
  gst_caps_unref (caps);
}

int
main (int argc, char **argv)
{
  gint frames = 8438, repeat = 10, runs = 5;
  GOptionEntry entries[] = {
    {"frames", 0, 0, G_OPTION_ARG_INT, &frames,
        "AAC frames to encode (8438 = 3 min at 48 kHz)", "N"},
    {"repeat", 0, 0, G_OPTION_ARG_INT, &repeat,
        "times the packets are replayed per run", "N"},
    {"runs", 0, 0, G_OPTION_ARG_INT, &runs, "runs (median taken)", "N"},
    {NULL}
  };
  GOptionContext *ctx = g_option_context_new ("- arclyaacdepay benchmark");
  GError *err = NULL;

  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &err) || frames < 2 ||
      repeat < 1 || runs < 1) {
    g_printerr ("%s\n", err ? err->message : "bad arguments");
    return 2;
  }
  g_option_context_free (ctx);

  bench_case ("one AU per packet (mtu 1400)", frames, 1400, repeat, runs);
  bench_case ("fragmented AUs (mtu 200)", frames / 4, 200, repeat, runs);
  return 0;
}
