/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * arclytsmux vs mpegtsmux on the same parsed input (see bench/tsmux.sh).
 *
 * The input file (H.264 or, with --codec h265, H.265 + AAC in MP4) is
 * demuxed and parsed ONCE into memory (h264parse / h265parse to the chosen
 * stream-format, aacparse to raw AAC); then each
 * run feeds the very same buffers through
 *
 *   appsrc ! MUX ! fakesink      appsrc ! MUX.
 *
 * alternating the two muxers, and measures the process CPU time (user +
 * system, getrusage) from PLAYING to EOS.  A baseline run without a muxer
 * (appsrc ! fakesink twice) gives the feeding cost, subtracted for the "net"
 * figures.  Output bytes are counted; with --save DIR the last run of each
 * muxer also writes DIR/<mux>.ts for checking (tsmux.sh runs ffmpeg on it).
 *
 * Usage: tsmux --input FILE [--runs N] [--repeat N] [--format byte-stream]
 *              [--codec h264|h265] [--save DIR]
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <gst/gst.h>
#include <gst/app/gstappsrc.h>
#include <gst/app/gstappsink.h>

typedef struct
{
  GPtrArray *video, *audio;
  GstCaps *vcaps, *acaps;
  guint64 in_bytes;
} Input;

typedef struct
{
  gdouble mux_cpu;              /* s, the muxer's streaming thread (m:src) */
  gdouble cpu;                  /* s */
  gdouble wall;                 /* s */
  guint64 bytes;
} RunResult;

static gdouble
cpu_now (void)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
      ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* CPU ticks of every thread of the process, by thread id. */
static GHashTable *
thread_ticks (GHashTable * names)
{
  GHashTable *t = g_hash_table_new (g_direct_hash, g_direct_equal);
  GDir *d = g_dir_open ("/proc/self/task", 0, NULL);
  const gchar *tid;

  while (d && (tid = g_dir_read_name (d))) {
    gchar *path = g_strdup_printf ("/proc/self/task/%s/stat", tid);
    gchar *stat = NULL;

    if (g_file_get_contents (path, &stat, NULL, NULL)) {
      /* "tid (comm) state ..." : utime and stime are fields 14 and 15 */
      gchar *close = strrchr (stat, ')');
      gchar **f = close ? g_strsplit (close + 2, " ", 0) : NULL;

      if (f && g_strv_length (f) > 13) {
        guint64 ticks = g_ascii_strtoull (f[11], NULL, 10) +
            g_ascii_strtoull (f[12], NULL, 10);
        gint id = atoi (tid);

        g_hash_table_insert (t, GINT_TO_POINTER (id), GSIZE_TO_POINTER (ticks));
        if (names) {
          gchar *open = strchr (stat, '(');

          g_hash_table_insert (names, GINT_TO_POINTER (id),
              g_strndup (open + 1, close - open - 1));
        }
      }
      g_strfreev (f);
      g_free (stat);
    }
    g_free (path);
  }
  if (d)
    g_dir_close (d);
  return t;
}

/* CPU seconds the thread(s) named @comm spent between the two snapshots. */
static gdouble
thread_cpu (GHashTable * before, GHashTable * after, GHashTable * names,
    const gchar * comm)
{
  GHashTableIter it;
  gpointer k, v;
  guint64 ticks = 0;

  g_hash_table_iter_init (&it, after);
  while (g_hash_table_iter_next (&it, &k, &v)) {
    const gchar *name = g_hash_table_lookup (names, k);

    if (name && g_str_equal (name, comm))
      ticks += GPOINTER_TO_SIZE (v) -
          GPOINTER_TO_SIZE (g_hash_table_lookup (before, k));
  }
  return ticks / (gdouble) sysconf (_SC_CLK_TCK);
}

static void
pull_all (GstElement * sink, GPtrArray * out, GstCaps ** caps,
    guint64 * bytes)
{
  GstSample *s;

  while ((s = gst_app_sink_try_pull_sample (GST_APP_SINK (sink),
              30 * GST_SECOND))) {
    GstBuffer *b = gst_sample_get_buffer (s);

    if (!*caps)
      *caps = gst_caps_ref (gst_sample_get_caps (s));
    *bytes += gst_buffer_get_size (b);
    g_ptr_array_add (out, gst_buffer_ref (b));
    gst_sample_unref (s);
  }
}

static gboolean
load_input (const gchar * file, const gchar * codec, const gchar * format,
    Input * in)
{
  gchar *desc = g_strdup_printf ("filesrc location=\"%s\" ! qtdemux name=d "
      "d.video_0 ! queue ! %sparse ! video/x-%s,stream-format=%s,"
      "alignment=au ! appsink name=v sync=false "
      "d.audio_0 ! queue ! aacparse ! audio/mpeg,stream-format=raw ! "
      "appsink name=a sync=false", file, codec, codec, format);
  GError *err = NULL;
  GstElement *pipe = gst_parse_launch (desc, &err);
  GstElement *v, *a;

  g_free (desc);
  if (!pipe) {
    g_printerr ("cannot load %s: %s\n", file, err->message);
    return FALSE;
  }
  v = gst_bin_get_by_name (GST_BIN (pipe), "v");
  a = gst_bin_get_by_name (GST_BIN (pipe), "a");
  memset (in, 0, sizeof (*in));
  in->video = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
  in->audio = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  /* appsinks queue without limit: drain one, then the other */
  pull_all (v, in->video, &in->vcaps, &in->in_bytes);
  pull_all (a, in->audio, &in->acaps, &in->in_bytes);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (v);
  gst_object_unref (a);
  gst_object_unref (pipe);
  return in->video->len > 0 && in->audio->len > 0;
}

/* Loops the input @times times back to back (shallow copies: the memory is
 * shared, only the timestamps move), so that a run lasts long enough to
 * measure on a noisy machine. */
static void
repeat_array (GPtrArray * bufs, guint times, GstClockTime period)
{
  guint n = bufs->len, t, i;

  for (t = 1; t < times; t++) {
    for (i = 0; i < n; i++) {
      GstBuffer *b = gst_buffer_copy (g_ptr_array_index (bufs, i));

      if (GST_BUFFER_PTS_IS_VALID (b))
        GST_BUFFER_PTS (b) += t * period;
      if (GST_BUFFER_DTS_IS_VALID (b))
        GST_BUFFER_DTS (b) += t * period;
      GST_BUFFER_FLAG_UNSET (b, GST_BUFFER_FLAG_DISCONT);
      g_ptr_array_add (bufs, b);
    }
  }
}

static void
repeat_input (Input * in, guint times)
{
  GstBuffer *last = g_ptr_array_index (in->video, in->video->len - 1);
  GstBuffer *first = g_ptr_array_index (in->video, 0);
  /* one frame after the last PTS, rounded to whole seconds of media */
  GstClockTime period = GST_BUFFER_PTS (last) - GST_BUFFER_PTS (first) +
      GST_BUFFER_DURATION (last);

  period = gst_util_uint64_scale_round (period, 1, GST_SECOND) * GST_SECOND;
  repeat_array (in->video, times, period);
  repeat_array (in->audio, times, period);
  in->in_bytes *= times;
}

static GstPadProbeReturn
count_bytes (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  /* mpegtsmux pushes buffer lists */
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST)
    *(guint64 *) data += gst_buffer_list_calculate_size
        (GST_PAD_PROBE_INFO_BUFFER_LIST (info));
  else
    *(guint64 *) data += gst_buffer_get_size (GST_PAD_PROBE_INFO_BUFFER
        (info));
  return GST_PAD_PROBE_OK;
}

/* @mux NULL: the baseline (no muxer). */
static gboolean
run_once (const Input * in, const gchar * mux, const gchar * save,
    RunResult * r)
{
  gchar *desc;
  GstElement *pipe, *v, *a, *sink;
  GstBus *bus;
  GstMessage *msg;
  GError *err = NULL;
  GstPad *pad;
  gdouble c0, w0;
  GHashTable *before, *after, *names;
  guint i;
  gboolean ok;

  if (!mux)
    desc = g_strdup ("appsrc name=v format=time max-bytes=0 ! "
        "fakesink name=out sync=false "
        "appsrc name=a format=time max-bytes=0 ! fakesink sync=false");
  else {
    /* the appsrcs have no caps yet when linked: name arclytsmux's pads */
    gboolean arcly = g_str_equal (mux, "arclytsmux");
    gchar *sink = save ? g_strdup_printf ("filesink name=out "
        "location=\"%s/%s.ts\"", save, mux) :
        g_strdup ("fakesink name=out sync=false");

    desc = g_strdup_printf ("appsrc name=v format=time max-bytes=0 ! m.%s "
        "appsrc name=a format=time max-bytes=0 ! m.%s %s name=m ! %s",
        arcly ? "video_0" : "", arcly ? "audio_0" : "", mux, sink);
    g_free (sink);
  }
  pipe = gst_parse_launch (desc, &err);
  g_free (desc);
  if (!pipe) {
    g_printerr ("pipeline: %s\n", err->message);
    return FALSE;
  }
  v = gst_bin_get_by_name (GST_BIN (pipe), "v");
  a = gst_bin_get_by_name (GST_BIN (pipe), "a");
  sink = gst_bin_get_by_name (GST_BIN (pipe), "out");
  g_object_set (v, "caps", in->vcaps, NULL);
  g_object_set (a, "caps", in->acaps, NULL);
  r->bytes = 0;
  pad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_BUFFER_LIST, count_bytes, &r->bytes,
      NULL);
  gst_object_unref (pad);

  /* Queue every buffer (refs, no copies) before the clock starts. */
  for (i = 0; i < in->video->len; i++)
    gst_app_src_push_buffer (GST_APP_SRC (v),
        gst_buffer_ref (g_ptr_array_index (in->video, i)));
  gst_app_src_end_of_stream (GST_APP_SRC (v));
  for (i = 0; i < in->audio->len; i++)
    gst_app_src_push_buffer (GST_APP_SRC (a),
        gst_buffer_ref (g_ptr_array_index (in->audio, i)));
  gst_app_src_end_of_stream (GST_APP_SRC (a));

  bus = gst_element_get_bus (pipe);
  before = thread_ticks (NULL);
  c0 = cpu_now ();
  w0 = g_get_monotonic_time () / 1e6;
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (bus, 120 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  r->cpu = cpu_now () - c0;
  r->wall = g_get_monotonic_time () / 1e6 - w0;
  names = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);
  after = thread_ticks (names);
  r->mux_cpu = thread_cpu (before, after, names, "m:src");
  g_hash_table_unref (before);
  g_hash_table_unref (after);
  g_hash_table_unref (names);
  ok = msg && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS;
  if (!ok)
    g_printerr ("%s: %s\n", mux ? mux : "baseline",
        msg ? "error" : "timed out after 120 s");
  if (msg)
    gst_message_unref (msg);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (v);
  gst_object_unref (a);
  gst_object_unref (sink);
  gst_object_unref (pipe);
  return ok;
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

int
main (int argc, char **argv)
{
  gchar *input = NULL, *format = g_strdup ("byte-stream"), *save = NULL;
  gchar *codec = g_strdup ("h264");
  gint runs = 5, repeat = 5;
  gchar *only = NULL;
  GOptionEntry entries[] = {
    {"input", 0, 0, G_OPTION_ARG_FILENAME, &input,
        "MP4 with H.264 or H.265 + AAC", "FILE"},
    {"codec", 0, 0, G_OPTION_ARG_STRING, &codec,
        "video codec of the input: h264 (default) or h265", "C"},
    {"runs", 0, 0, G_OPTION_ARG_INT, &runs, "runs per muxer (5)", "N"},
    {"repeat", 0, 0, G_OPTION_ARG_INT, &repeat,
        "feed the input N times back to back in each run (5)", "N"},
    {"format", 0, 0, G_OPTION_ARG_STRING, &format,
        "H.264 stream-format fed to both muxers (mpegtsmux 1.22 takes byte-stream only)", "F"},
    {"only", 0, 0, G_OPTION_ARG_STRING, &only,
        "run only this muxer (for profiling; no ratio)", "NAME"},
    {"save", 0, 0, G_OPTION_ARG_FILENAME, &save,
        "write DIR/<muxer>.ts from one extra run each", "DIR"},
    {NULL}
  };
  const gchar *muxers[2] = { "arclytsmux", "mpegtsmux" };
  GOptionContext *ctx = g_option_context_new ("- arclytsmux vs mpegtsmux");
  GError *err = NULL;
  Input in;
  gdouble *cpu[3], *wall[3], *mcpu[3], med_cpu[3], med_wall[3], med_mcpu[3];
  guint64 bytes[3] = { 0, 0, 0 };
  gint r, k;
  RunResult res;

  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &err) || !input
      || runs < 1 || (!g_str_equal (codec, "h264")
          && !g_str_equal (codec, "h265"))) {
    g_printerr ("usage: tsmux --input FILE [--runs N] [--format F] "
        "[--save DIR]\n");
    return 2;
  }
  g_option_context_free (ctx);

  if (!load_input (input, codec, format, &in)) {
    g_printerr ("could not load %s\n", input);
    return 1;
  }
  if (repeat > 1)
    repeat_input (&in, repeat);
  {
    GstClockTime first = GST_BUFFER_PTS (g_ptr_array_index (in.video, 0));
    GstClockTime last = GST_BUFFER_PTS (g_ptr_array_index (in.video,
            in.video->len - 1));

    printf ("input: %s looped %d times: %u %s video AUs (%s), %u AAC "
        "frames, %.1f MB, %.1f s\n", input, repeat, in.video->len, codec,
        format,
        in.audio->len, in.in_bytes / 1e6, (last - first) / 1e9);
  }

  for (k = 0; k < 3; k++) {
    cpu[k] = g_new0 (gdouble, runs);
    mcpu[k] = g_new0 (gdouble, runs);
    wall[k] = g_new0 (gdouble, runs);
  }
  for (r = 0; r < runs; r++) {
    /* alternate which muxer goes first, baseline in between */
    for (k = 0; k < 3; k++) {
      gint which = (k == 2) ? 2 : ((r % 2) ? 1 - k : k);
      const gchar *mux = which < 2 ? muxers[which] : NULL;

      if (only && (!mux || !g_str_equal (mux, only)))
        continue;

      if (!run_once (&in, mux, NULL, &res))
        return 1;
      cpu[which][r] = res.cpu;
      mcpu[which][r] = res.mux_cpu;
      wall[which][r] = res.wall;
      bytes[which] = res.bytes;
      printf ("run %d %-10s cpu %.3f s (muxer thread %.2f s) wall %.3f s out %"
          G_GUINT64_FORMAT " bytes\n", r, mux ? mux : "baseline", res.cpu,
          res.mux_cpu, res.wall, res.bytes);
      fflush (stdout);
    }
  }
  if (only)
    return 0;
  for (k = 0; k < 3; k++) {
    med_cpu[k] = median (cpu[k], runs);
    med_wall[k] = median (wall[k], runs);
    med_mcpu[k] = median (mcpu[k], runs);
  }

  printf ("\nmedians of %d runs (CPU = user+system of the process):\n", runs);
  for (k = 0; k < 2; k++)
    printf ("  %-10s cpu %.3f s  muxer thread %.2f s  wall %.3f s  out %"
        G_GUINT64_FORMAT " bytes\n", muxers[k], med_cpu[k], med_mcpu[k],
        med_wall[k], bytes[k]);
  printf ("  %-10s cpu %.3f s  wall %.3f s\n", "baseline", med_cpu[2],
      med_wall[2]);
  printf ("speed: mpegtsmux/arclytsmux CPU ratio %.2fx (process), %.2fx net "
      "of the baseline, %.2fx (muxer streaming thread)\n",
      med_cpu[1] / med_cpu[0],
      (med_cpu[1] - med_cpu[2]) / MAX (med_cpu[0] - med_cpu[2], 1e-3),
      med_mcpu[1] / MAX (med_mcpu[0], 1e-3));
  printf ("size: arclytsmux %" G_GUINT64_FORMAT " vs mpegtsmux %"
      G_GUINT64_FORMAT " bytes: %+.2f%%; TS overhead over the %" G_GUINT64_FORMAT
      " ES bytes: arcly %.2f%%, mpegtsmux %.2f%%\n", bytes[0], bytes[1],
      100.0 * ((gdouble) bytes[0] - (gdouble) bytes[1]) / bytes[1],
      in.in_bytes, 100.0 * ((gdouble) bytes[0] - in.in_bytes) / in.in_bytes,
      100.0 * ((gdouble) bytes[1] - in.in_bytes) / in.in_bytes);

  if (save) {
    for (k = 0; k < 2; k++)
      if (!run_once (&in, muxers[k], save, &res))
        return 1;
    printf ("saved %s/arclytsmux.ts and %s/mpegtsmux.ts\n", save, save);
  }
  return 0;
}
