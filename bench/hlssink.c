/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * bench/hlssink: arclyhlssink (TS, fMP4) vs GStreamer's hlssink2
 * (target-duration 2) on the same input, in one run.  Built and run by
 * bench/hlssink.sh.
 *
 *   hlssink cpu INPUT.mp4 RUNS OUTDIR
 *     CPU (getrusage, user+system of this process) to package INPUT.mp4
 *     (H.264 + AAC) with each sink, alternating, RUNS times; also a
 *     baseline run (demux + parse into fakesink) so the sink's own share
 *     can be given.  Prints medians and ratios.
 *
 *   hlssink latency SECONDS OUTDIR
 *     Live source (videotestsrc is-live + x264enc zerolatency + AAC): every
 *     20 ms, the distance between the newest frame's capture (the running
 *     time now) and the end of the newest segment or part in the playlist
 *     (from the sinks' messages, posted right after the playlist is
 *     written).  Prints mean and max per sink.
 */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <glib/gstdio.h>
#include <gst/gst.h>

static gdouble
cpu_seconds (void)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
      ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static int
cmp_double (const void *a, const void *b)
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

static void
clean_dir (const gchar * dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *name;

  if (d == NULL)
    return;
  while ((name = g_dir_read_name (d)) != NULL) {
    gchar *p = g_build_filename (dir, name, NULL);
    g_unlink (p);
    g_free (p);
  }
  g_dir_close (d);
}

typedef struct {
  guint segments;
  GstClockTime listed_end;      /* newest segment/part end, running time */
  GMutex lock;
} Stats;

static GstBusSyncReply
on_sync (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  Stats *st = user_data;
  const GstStructure *s;
  guint64 rt = 0, dur = 0;

  if (GST_MESSAGE_TYPE (msg) != GST_MESSAGE_ELEMENT)
    return GST_BUS_PASS;
  s = gst_message_get_structure (msg);
  /* hlssink2 (1.22) writes its playlist when its splitmuxsink closes a
   * fragment, before the message reaches the bus; running-time is the
   * fragment's end there. */
  if (gst_structure_has_name (s, "arcly-hls-segment")
      || gst_structure_has_name (s, "splitmuxsink-fragment-closed"))
    st->segments++;
  if (gst_structure_has_name (s, "arcly-hls-segment")
      || gst_structure_has_name (s, "arcly-hls-part")
      || gst_structure_has_name (s, "splitmuxsink-fragment-closed")) {
    gst_structure_get_uint64 (s, "running-time", &rt);
    gst_structure_get_uint64 (s, "duration", &dur);
    g_mutex_lock (&st->lock);
    if (!GST_CLOCK_TIME_IS_VALID (st->listed_end) || rt + dur > st->listed_end)
      st->listed_end = rt + dur;
    g_mutex_unlock (&st->lock);
  }
  return GST_BUS_PASS;
}

/* Runs to EOS (or @seconds then EOS when > 0); returns FALSE on error.
 * With @lat, samples the latency every 20 ms into it. */
static gboolean
run (const gchar * desc, Stats * st, guint seconds, GArray * lat)
{
  GError *err = NULL;
  GstElement *p = gst_parse_launch (desc, &err);
  GstBus *bus;
  gboolean ok = TRUE, eos_sent = FALSE;
  gint64 start = g_get_monotonic_time ();

  if (p == NULL) {
    g_printerr ("cannot build %s: %s\n", desc, err->message);
    return FALSE;
  }
  bus = gst_element_get_bus (p);
  gst_bus_set_sync_handler (bus, on_sync, st, NULL);
  gst_element_set_state (p, GST_STATE_PLAYING);
  for (;;) {
    GstMessage *m = gst_bus_timed_pop_filtered (bus, 20 * GST_MSECOND,
        GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
    gint64 elapsed = g_get_monotonic_time () - start;

    if (m != NULL) {
      if (GST_MESSAGE_TYPE (m) == GST_MESSAGE_ERROR) {
        gst_message_parse_error (m, &err, NULL);
        g_printerr ("error: %s\n", err->message);
        g_clear_error (&err);
        ok = FALSE;
      }
      gst_message_unref (m);
      break;
    }
    if (lat != NULL && !eos_sent) {
      GstClock *clock = gst_element_get_clock (p);

      g_mutex_lock (&st->lock);
      if (clock && GST_CLOCK_TIME_IS_VALID (st->listed_end)
          && elapsed > 4 * G_USEC_PER_SEC) {
        GstClockTime now = gst_clock_get_time (clock) -
            gst_element_get_base_time (p);
        gdouble l = (gdouble) GST_CLOCK_DIFF (st->listed_end, now) / GST_SECOND;
        g_array_append_val (lat, l);
      }
      g_mutex_unlock (&st->lock);
      if (clock)
        gst_object_unref (clock);
    }
    if (seconds > 0 && !eos_sent && elapsed > seconds * G_USEC_PER_SEC) {
      gst_element_send_event (p, gst_event_new_eos ());
      eos_sent = TRUE;
    }
    if (elapsed > (seconds + 120) * G_USEC_PER_SEC) {
      g_printerr ("timeout: %s\n", desc);
      ok = FALSE;
      break;
    }
  }
  gst_element_set_state (p, GST_STATE_NULL);
  gst_bus_set_sync_handler (bus, NULL, NULL, NULL);
  gst_object_unref (bus);
  gst_object_unref (p);
  return ok;
}

enum { BASE, ARCLY_TS, ARCLY_FMP4, ARCLY_FMP4_LL, HLSSINK2, N_KINDS };
static const gchar *kind_names[] = { "baseline (demux+parse)",
  "arclyhlssink mpegts", "arclyhlssink fmp4", "arclyhlssink fmp4 parts",
  "hlssink2 (target 2)"
};

static gchar *
cpu_desc (guint kind, const gchar * input, const gchar * out)
{
  gchar *sink, *desc;

  switch (kind) {
    case BASE:
      sink = g_strdup ("fakesink name=v fakesink name=a");
      break;
    case ARCLY_TS:
    case ARCLY_FMP4:
    case ARCLY_FMP4_LL:
      /* "fmp4 parts": LL-HLS with 300 ms parts, every part written as its
       * own file besides the segment */
      sink = g_strdup_printf ("arclyhlssink name=s target-duration=2 "
          "playlist-length=6 max-files=10 segment-format=%s %s"
          "location=%s/seg%%05d.%s init-location=%s/init%%d.mp4 "
          "playlist-location=%s/playlist.m3u8", kind == ARCLY_TS ? "mpegts" :
          "fmp4", kind == ARCLY_FMP4_LL ? "part-duration=300 " : "", out,
          kind == ARCLY_TS ? "ts" : "m4s", out, out);
      break;
    default:
      sink = g_strdup_printf ("hlssink2 name=s target-duration=2 "
          "playlist-length=6 max-files=10 location=%s/seg%%05d.ts "
          "playlist-location=%s/playlist.m3u8", out, out);
      break;
  }
  desc = g_strdup_printf ("filesrc location=%s ! qtdemux name=d "
      "d.video_0 ! queue ! h264parse ! %s d.audio_0 ! queue ! aacparse ! %s "
      "%s", input, kind == BASE ? "v." : "s.video",
      kind == BASE ? "a." : "s.audio", sink);
  g_free (sink);
  return desc;
}

static int
bench_cpu (const gchar * input, guint runs, const gchar * out)
{
  gdouble *cpu[N_KINDS];
  guint r, k, segs[N_KINDS] = { 0, };
  gdouble med[N_KINDS];

  for (k = 0; k < N_KINDS; k++)
    cpu[k] = g_new0 (gdouble, runs);
  for (r = 0; r < runs; r++) {
    for (k = 0; k < N_KINDS; k++) {
      gchar *desc = cpu_desc (k, input, out);
      Stats st = { 0, GST_CLOCK_TIME_NONE };
      gdouble c0;

      g_mutex_init (&st.lock);
      clean_dir (out);
      c0 = cpu_seconds ();
      if (!run (desc, &st, 0, NULL))
        return 1;
      cpu[k][r] = cpu_seconds () - c0;
      segs[k] = st.segments;
      g_mutex_clear (&st.lock);
      g_free (desc);
      printf ("run %u %-24s cpu %.3f s, %u segments\n", r, kind_names[k],
          cpu[k][r], segs[k]);
      fflush (stdout);
    }
  }
  for (k = 0; k < N_KINDS; k++)
    med[k] = median (cpu[k], runs);
  printf ("\nmedian CPU over %u runs (user+system):\n", runs);
  for (k = 0; k < N_KINDS; k++)
    printf ("  %-24s %.3f s  (sink share %.3f s)\n", kind_names[k], med[k],
        k == BASE ? 0.0 : med[k] - med[BASE]);
  printf ("ratio arclyhlssink mpegts / hlssink2: total %.2f, sink share %.2f\n",
      med[ARCLY_TS] / med[HLSSINK2], (med[ARCLY_TS] - med[BASE]) /
      (med[HLSSINK2] - med[BASE]));
  printf ("ratio arclyhlssink fmp4 / hlssink2:   total %.2f, sink share %.2f\n",
      med[ARCLY_FMP4] / med[HLSSINK2], (med[ARCLY_FMP4] - med[BASE]) /
      (med[HLSSINK2] - med[BASE]));
  printf ("ratio arclyhlssink fmp4 parts / hlssink2: total %.2f, sink share "
      "%.2f\n", med[ARCLY_FMP4_LL] / med[HLSSINK2],
      (med[ARCLY_FMP4_LL] - med[BASE]) / (med[HLSSINK2] - med[BASE]));
  for (k = 0; k < N_KINDS; k++)
    g_free (cpu[k]);
  return 0;
}

static int
bench_latency (guint seconds, const gchar * out)
{
  static const struct {
    const gchar *name, *sink;
  } sinks[] = {
    {"arclyhlssink mpegts part-duration=300",
        "arclyhlssink name=s segment-format=mpegts part-duration=300 "},
    {"arclyhlssink fmp4 part-duration=300",
        "arclyhlssink name=s segment-format=fmp4 part-duration=300 "},
    {"arclyhlssink fmp4 (no parts)",
        "arclyhlssink name=s segment-format=fmp4 "},
    {"hlssink2", "hlssink2 name=s "},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (sinks); i++) {
    gboolean arcly = g_str_has_prefix (sinks[i].sink, "arcly");
    gchar *init = arcly ? g_strdup_printf ("init-location=%s/init%%d.mp4",
        out) : g_strdup ("");
    gchar *desc = g_strdup_printf ("videotestsrc is-live=true ! "
        "video/x-raw,format=I420,width=640,height=360,framerate=30/1 ! "
        "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=60 "
        "option-string=scenecut=0 ! h264parse ! s.video "
        "audiotestsrc is-live=true samplesperbuffer=1024 ! voaacenc ! "
        "aacparse ! s.audio %s target-duration=2 playlist-length=6 "
        "max-files=10 location=%s/seg%%05d.%s %s playlist-location=%s/"
        "playlist.m3u8", sinks[i].sink, out,
        strstr (sinks[i].sink, "fmp4") ? "m4s" : "ts", init, out);
    GArray *lat = g_array_new (FALSE, FALSE, sizeof (gdouble));
    Stats st = { 0, GST_CLOCK_TIME_NONE };
    gdouble sum = 0, max = 0, *v;

    g_free (init);
    g_mutex_init (&st.lock);
    clean_dir (out);
    if (!run (desc, &st, seconds, lat))
      return 1;
    for (guint j = 0; j < lat->len; j++) {
      gdouble l = g_array_index (lat, gdouble, j);
      sum += l;
      max = MAX (max, l);
    }
    v = (gdouble *) (void *) lat->data;
    printf ("%-40s newest capture -> newest listed media: mean %.3f s, "
        "median %.3f s, max %.3f s (%u samples, %u segments)\n",
        sinks[i].name, lat->len ? sum / lat->len : NAN,
        lat->len ? median (v, lat->len) : NAN, max, lat->len, st.segments);
    fflush (stdout);
    g_array_unref (lat);
    g_mutex_clear (&st.lock);
    g_free (desc);
  }
  return 0;
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  if (argc == 5 && g_str_equal (argv[1], "cpu"))
    return bench_cpu (argv[2], (guint) atoi (argv[3]), argv[4]);
  if (argc == 4 && g_str_equal (argv[1], "latency"))
    return bench_latency ((guint) atoi (argv[2]), argv[3]);
  g_printerr ("usage: %s cpu INPUT.mp4 RUNS OUTDIR | latency SECONDS "
      "OUTDIR\n", argv[0]);
  return 2;
}
