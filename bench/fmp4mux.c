/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * arclyfmp4mux vs "mp4mux fragment-duration=2000 streamable=true" (and
 * isofmp4mux when installed) on the same parsed input; see bench/fmp4mux.sh.
 *
 * The input (H.264 + AAC in MP4) is demuxed and parsed once into memory
 * (h264parse → avc, aacparse → raw).  Each timed run then pushes those very
 * buffers (refs, no copies), interleaved by decode time, through
 *
 *   appsrc ! MUX ! fakesink        appsrc ! MUX.
 *
 * and measures the process CPU time (user + system, getrusage) from PLAYING
 * to EOS.  The muxers take turns, with a baseline run (the two appsrcs into
 * fakesinks, no muxer) in between, whose cost is subtracted for the "net"
 * figures.  Two more configurations, "floor-q0" and "floor-q1s", are a
 * do-nothing GstAggregator (below) with latency 0 and 1 s: the hand-off
 * cost every aggregator-based muxer pays.  Output bytes (buffers and buffer
 * lists) are counted at the sink.  --save DIR writes one more, untimed, run
 * of arclyfmp4mux to DIR/arclyfmp4mux.mp4 for checking.  --only LABEL times
 * only the baseline and that configuration (e.g. under perf record).
 *
 * Usage: fmp4mux --input FILE [--runs N] [--save DIR] [--only LABEL]
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <gst/gst.h>
#include <gst/base/gstaggregator.h>

typedef struct
{
  GPtrArray *video, *audio;
  GstCaps *vcaps, *acaps;
} Input;

static gdouble
cpu_seconds (void)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
      ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static gboolean
wait_eos (GstElement * pipe, guint seconds)
{
  GstBus *bus = gst_element_get_bus (pipe);
  GstMessage *m = gst_bus_timed_pop_filtered (bus, seconds * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  gboolean ok = m && GST_MESSAGE_TYPE (m) == GST_MESSAGE_EOS;

  if (m && !ok) {
    GError *err = NULL;
    gst_message_parse_error (m, &err, NULL);
    g_printerr ("error: %s\n", err->message);
    g_error_free (err);
  } else if (!m) {
    g_printerr ("timeout after %u s\n", seconds);
  }
  if (m)
    gst_message_unref (m);
  gst_object_unref (bus);
  return ok;
}

static void
collect (GstElement * sink, GPtrArray * out, GstCaps ** caps)
{
  for (;;) {
    GstSample *s = NULL;

    g_signal_emit_by_name (sink, "try-pull-sample", (GstClockTime) 0, &s);
    if (!s)
      break;
    if (!*caps)
      *caps = gst_caps_ref (gst_sample_get_caps (s));
    g_ptr_array_add (out, gst_buffer_ref (gst_sample_get_buffer (s)));
    gst_sample_unref (s);
  }
}

static gboolean
load_input (const gchar * file, Input * in)
{
  gchar *desc = g_strdup_printf ("filesrc location=\"%s\" ! qtdemux name=d "
      "d.video_0 ! queue ! h264parse ! video/x-h264,stream-format=avc,"
      "alignment=au ! appsink name=v sync=false wait-on-eos=false "
      "d.audio_0 ! queue ! aacparse ! audio/mpeg,stream-format=raw ! "
      "appsink name=a sync=false wait-on-eos=false", file);
  GstElement *pipe = gst_parse_launch (desc, NULL);
  GstElement *v, *a;
  gboolean ok;

  g_free (desc);
  if (!pipe)
    return FALSE;
  v = gst_bin_get_by_name (GST_BIN (pipe), "v");
  a = gst_bin_get_by_name (GST_BIN (pipe), "a");
  /* appsinks queue without limit: everything is in memory at EOS */
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  ok = wait_eos (pipe, 300);
  in->video = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
  in->audio = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
  collect (v, in->video, &in->vcaps);
  collect (a, in->audio, &in->acaps);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (v);
  gst_object_unref (a);
  gst_object_unref (pipe);
  return ok && in->video->len > 0 && in->audio->len > 0;
}

static GstPadProbeReturn
count_bytes (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_BUFFER_LIST)
    *(guint64 *) user_data += gst_buffer_list_calculate_size
        (GST_PAD_PROBE_INFO_BUFFER_LIST (info));
  else
    *(guint64 *) user_data += gst_buffer_get_size (GST_PAD_PROBE_INFO_BUFFER
        (info));
  return GST_PAD_PROBE_OK;
}

static GstClockTime
decode_time (GstBuffer * b)
{
  return GST_BUFFER_DTS_OR_PTS (b);
}

/* ------------------------------------------------------------------ */
/* The floor: a GstAggregator that does nothing but take its input in
 * decode-time order (the earliest head buffer first, like both muxers) and
 * drop it.  What it costs is GstAggregator's hand-off between the upstream
 * threads and its src thread, which every aggregator-based muxer pays.
 * Like arclyfmp4mux it takes up to 64 buffers per aggregate call while
 * every pad has data; its "latency" property is the queue length per pad
 * (mp4mux leaves it at 0: one buffer; arclyfmp4mux sets 1 s for non-live
 * input). */

typedef struct
{
  GstAggregator parent;
} BenchFloor;

typedef struct
{
  GstAggregatorClass parent_class;
} BenchFloorClass;

static GType bench_floor_get_type (void);
G_DEFINE_TYPE (BenchFloor, bench_floor, GST_TYPE_AGGREGATOR);

static GstStaticPadTemplate floor_src = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);
static GstStaticPadTemplate floor_video = GST_STATIC_PAD_TEMPLATE ("video_%u",
    GST_PAD_SINK, GST_PAD_REQUEST, GST_STATIC_CAPS_ANY);
static GstStaticPadTemplate floor_audio = GST_STATIC_PAD_TEMPLATE ("audio_%u",
    GST_PAD_SINK, GST_PAD_REQUEST, GST_STATIC_CAPS_ANY);

static GstAggregatorPad *
bench_floor_create_new_pad (GstAggregator * agg, GstPadTemplate * templ,
    const gchar * req_name, const GstCaps * caps)
{
  return g_object_new (GST_TYPE_AGGREGATOR_PAD, "name", req_name ? req_name :
      templ->name_template, "direction", GST_PAD_SINK, "template", templ,
      NULL);
}

static GstFlowReturn
bench_floor_aggregate (GstAggregator * agg, gboolean timeout)
{
  guint n;

  for (n = 0; n < 64; n++) {
    GstAggregatorPad *best = NULL;
    GstClockTime best_t = GST_CLOCK_TIME_NONE;
    gboolean all_eos = TRUE, missing = FALSE;
    GList *l;
    GstBuffer *b;

    GST_OBJECT_LOCK (agg);
    for (l = GST_ELEMENT (agg)->sinkpads; l; l = l->next) {
      GstAggregatorPad *p = l->data;
      GstBuffer *head = gst_aggregator_pad_peek_buffer (p);

      if (head == NULL) {
        if (!gst_aggregator_pad_is_eos (p)) {
          all_eos = FALSE;
          missing = TRUE;
        }
        continue;
      }
      all_eos = FALSE;
      if (best == NULL || GST_BUFFER_DTS_OR_PTS (head) < best_t) {
        best = p;
        best_t = GST_BUFFER_DTS_OR_PTS (head);
      }
      gst_buffer_unref (head);
    }
    if (best)
      gst_object_ref (best);
    GST_OBJECT_UNLOCK (agg);
    if (all_eos)
      return n == 0 ? GST_FLOW_EOS : GST_FLOW_OK;
    if (best == NULL || (n > 0 && missing)) {
      gst_clear_object (&best);
      break;
    }
    b = gst_aggregator_pad_pop_buffer (best);
    gst_object_unref (best);
    if (b == NULL)
      break;
    gst_aggregator_selected_samples (agg, GST_BUFFER_PTS (b),
        GST_BUFFER_DTS (b), GST_BUFFER_DURATION (b), NULL);
    gst_buffer_unref (b);
  }
  return GST_FLOW_OK;
}

static void
bench_floor_class_init (BenchFloorClass * klass)
{
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  gst_element_class_add_static_pad_template_with_gtype (element_class,
      &floor_src, GST_TYPE_AGGREGATOR_PAD);
  gst_element_class_add_static_pad_template_with_gtype (element_class,
      &floor_video, GST_TYPE_AGGREGATOR_PAD);
  gst_element_class_add_static_pad_template_with_gtype (element_class,
      &floor_audio, GST_TYPE_AGGREGATOR_PAD);
  gst_element_class_set_static_metadata (element_class, "bench floor",
      "Codec/Muxer", "Takes buffers in decode order and drops them", "bench");
  GST_AGGREGATOR_CLASS (klass)->aggregate = bench_floor_aggregate;
  GST_AGGREGATOR_CLASS (klass)->create_new_pad = bench_floor_create_new_pad;
}

static void
bench_floor_init (BenchFloor * self)
{
}

/* One run: @mux NULL = baseline.  Returns CPU seconds, -1 on failure. */
static gdouble
run_once (const Input * in, const gchar * mux, const gchar * save,
    guint64 * bytes)
{
  gchar *desc;
  GstElement *pipe, *vsrc, *asrc, *out;
  GstPad *pad;
  guint iv = 0, ia = 0;
  gdouble start;
  gboolean ok;
  GstFlowReturn fr;

  if (mux)
    desc = g_strdup_printf ("appsrc name=v format=time max-bytes=0 ! "
        "m.video_0 %s name=m ! %s name=out appsrc name=a format=time "
        "max-bytes=0 ! m.audio_0", mux, save ? "filesink" : "fakesink");
  else
    desc = g_strdup ("appsrc name=v format=time max-bytes=0 ! "
        "fakesink name=out appsrc name=a format=time max-bytes=0 ! fakesink");
  pipe = gst_parse_launch (desc, NULL);
  g_free (desc);
  if (!pipe)
    return -1;
  vsrc = gst_bin_get_by_name (GST_BIN (pipe), "v");
  asrc = gst_bin_get_by_name (GST_BIN (pipe), "a");
  out = gst_bin_get_by_name (GST_BIN (pipe), "out");
  if (save)
    g_object_set (out, "location", save, NULL);
  else
    g_object_set (out, "sync", FALSE, NULL);
  g_object_set (vsrc, "caps", in->vcaps, NULL);
  g_object_set (asrc, "caps", in->acaps, NULL);
  *bytes = 0;
  pad = gst_element_get_static_pad (out, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_BUFFER_LIST, count_bytes, bytes, NULL);
  gst_object_unref (pad);

  start = cpu_seconds ();
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  while (iv < in->video->len || ia < in->audio->len) {
    gboolean video = ia >= in->audio->len || (iv < in->video->len &&
        decode_time (g_ptr_array_index (in->video, iv)) <=
        decode_time (g_ptr_array_index (in->audio, ia)));

    if (video)
      g_signal_emit_by_name (vsrc, "push-buffer",
          g_ptr_array_index (in->video, iv++), &fr);
    else
      g_signal_emit_by_name (asrc, "push-buffer",
          g_ptr_array_index (in->audio, ia++), &fr);
  }
  g_signal_emit_by_name (vsrc, "end-of-stream", &fr);
  g_signal_emit_by_name (asrc, "end-of-stream", &fr);
  ok = wait_eos (pipe, 300);
  start = cpu_seconds () - start;

  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (vsrc);
  gst_object_unref (asrc);
  gst_object_unref (out);
  gst_object_unref (pipe);
  return ok ? start : -1;
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
  qsort (v, n, sizeof (gdouble), cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#define MAX_MUXES 6
enum
{ BASELINE, ARCLY, MP4MUX, FLOOR_Q0, FLOOR_Q1S, ISO };

int
main (int argc, char **argv)
{
  gchar *input = NULL, *save = NULL, *only = NULL;
  gint runs = 5;
  GOptionEntry entries[] = {
    {"input", 0, 0, G_OPTION_ARG_FILENAME, &input, "input MP4 (H.264+AAC)",
        "FILE"},
    {"runs", 0, 0, G_OPTION_ARG_INT, &runs, "runs per muxer (5)", "N"},
    {"save", 0, 0, G_OPTION_ARG_FILENAME, &save,
        "write DIR/arclyfmp4mux.mp4 once, untimed", "DIR"},
    {"only", 0, 0, G_OPTION_ARG_STRING, &only,
        "time only the baseline and this configuration (for profiling)",
        "LABEL"},
    {NULL}
  };
  const gchar *names[MAX_MUXES] = { NULL, "arclyfmp4mux",
    "mp4mux fragment-duration=2000 streamable=true",
    "benchfloor", "benchfloor latency=1000000000",
    "isofmp4mux fragment-duration=2000000000"
  };
  const gchar *labels[MAX_MUXES] = { "baseline", "arclyfmp4mux", "mp4mux",
    "floor-q0", "floor-q1s", "isofmp4mux"
  };
  gdouble *cpu[MAX_MUXES], med[MAX_MUXES] = { 0, };
  guint64 bytes[MAX_MUXES] = { 0, };
  gboolean on[MAX_MUXES] = { TRUE, TRUE, TRUE, TRUE, TRUE, FALSE };
  guint order[MAX_MUXES], n_on = 0, r, k;
  GOptionContext *ctx = g_option_context_new ("- fMP4 muxer benchmark");
  GError *err = NULL;
  Input in = { 0, };
  GstElementFactory *iso;

  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &err) || !input
      || runs < 1) {
    g_printerr ("usage: fmp4mux --input FILE [--runs N] [--save DIR] "
        "[--only LABEL]\n");
    return 2;
  }
  g_option_context_free (ctx);
  gst_element_register (NULL, "benchfloor", GST_RANK_NONE,
      bench_floor_get_type ());

  iso = gst_element_factory_find ("isofmp4mux");
  if (iso) {
    on[ISO] = TRUE;
    gst_object_unref (iso);
  } else {
    printf ("isofmp4mux: not installed (gst-plugins-rs), not measured\n");
  }
  if (!gst_element_factory_find ("arclyfmp4mux")) {
    g_printerr ("arclyfmp4mux not found: set GST_PLUGIN_PATH\n");
    return 1;
  }
  if (only) {
    for (k = 1; k < MAX_MUXES; k++)
      on[k] = g_strcmp0 (only, labels[k]) == 0;
  }
  for (k = 0; k < MAX_MUXES; k++)
    if (on[k])
      order[n_on++] = k;
  if (!load_input (input, &in)) {
    g_printerr ("cannot load %s\n", input);
    return 1;
  }
  printf ("input: %u video AUs, %u audio frames\n", in.video->len,
      in.audio->len);

  for (k = 0; k < MAX_MUXES; k++)
    cpu[k] = g_new0 (gdouble, runs);
  for (r = 0; r < (guint) runs; r++) {
    for (k = 0; k < n_on; k++) {
      /* rotate who goes first so drift hits everyone alike */
      guint m = order[(k + r) % n_on];
      guint64 b;
      gdouble c = run_once (&in, names[m], NULL, &b);

      if (c < 0) {
        g_printerr ("run %u of %s failed\n", r, labels[m]);
        return 1;
      }
      cpu[m][r] = c;
      bytes[m] = b;
      printf ("run %u %-13s cpu %.3f s  %" G_GUINT64_FORMAT " bytes\n", r,
          labels[m], c, b);
      fflush (stdout);
    }
  }

  printf ("\nmedians of %d runs (process CPU, user+system):\n", runs);
  for (k = 0; k < MAX_MUXES; k++) {
    if (!on[k])
      continue;
    med[k] = median (cpu[k], runs);
    if (k == BASELINE)
      printf ("  %-13s %.3f s\n", labels[k], med[k]);
    else
      printf ("  %-13s %.3f s  net %.3f s  output %" G_GUINT64_FORMAT
          " bytes\n", labels[k], med[k], med[k] - med[0], bytes[k]);
  }
  for (k = MP4MUX; k < MAX_MUXES; k++)
    if (on[ARCLY] && on[k] && (k == MP4MUX || k == ISO))
      printf ("ratio arclyfmp4mux/%s: %.2f (net of baseline: %.2f, i.e. "
          "%.1fx faster); size %+.2f%%\n", labels[k], med[ARCLY] / med[k],
          (med[ARCLY] - med[0]) / (med[k] - med[0]),
          (med[k] - med[0]) / (med[ARCLY] - med[0]),
          100.0 * ((gdouble) bytes[ARCLY] - (gdouble) bytes[k]) / bytes[k]);
  if (on[ARCLY] && on[MP4MUX] && on[FLOOR_Q0] && on[FLOOR_Q1S])
    printf ("above the GstAggregator floor with the same queueing: "
        "arclyfmp4mux %.3f s (vs floor-q1s), mp4mux %.3f s (vs floor-q0)\n",
        med[ARCLY] - med[FLOOR_Q1S], med[MP4MUX] - med[FLOOR_Q0]);

  if (save) {
    gchar *path = g_build_filename (save, "arclyfmp4mux.mp4", NULL);
    guint64 b;

    if (run_once (&in, names[ARCLY], path, &b) < 0)
      return 1;
    printf ("saved %s\n", path);
    g_free (path);
  }
  return 0;
}
