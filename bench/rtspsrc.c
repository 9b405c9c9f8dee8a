/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * arclyrtspsrc vs GStreamer's rtspsrc (protocols=tcp), against one running
 * camera (tools/arcly-testcam --shared, started by bench/rtspsrc.sh):
 *
 *  1. time from set_state(PLAYING) to the first buffer on a src pad,
 *     `runs` times each, alternating, wall clock; median;
 *  2. CPU (user+system of this process, getrusage) while streaming
 *     `seconds` of the camera's stream through SRC → H.264 depayloader →
 *     fakesink (audio → fakesink), alternating, scaled to CPU s per
 *     minute; median.  The depayloader is arclyh264depay after
 *     arclyrtspsrc and rtph264depay after rtspsrc, each the element of
 *     its own stack (falls back to rtph264depay for both if arclyh264depay
 *     is missing).  Buffers are counted so a run that delivers nothing
 *     does not count.
 *
 * Usage: rtspsrc URL [runs] [seconds]
 */

#include <gst/gst.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

typedef struct
{
  GMutex lock;
  gint64 first_us;
  guint64 buffers;
  gboolean arcly;
  const gchar *depay;
  GstElement *pipe;
} Run;

static GstPadProbeReturn
probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  Run *r = data;

  g_mutex_lock (&r->lock);
  if (r->first_us == 0)
    r->first_us = g_get_monotonic_time ();
  r->buffers++;
  g_mutex_unlock (&r->lock);
  return GST_PAD_PROBE_OK;
}

static void
pad_added (GstElement * src, GstPad * pad, gpointer data)
{
  Run *r = data;
  GstCaps *caps = gst_pad_get_current_caps (pad);
  const gchar *media = NULL;
  GstElement *sink, *first;
  GstPad *sinkpad;

  if (caps == NULL)
    caps = gst_pad_query_caps (pad, NULL);
  media = gst_structure_get_string (gst_caps_get_structure (caps, 0),
      "media");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, probe, r, NULL);
  sink = gst_element_factory_make ("fakesink", NULL);
  g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
  gst_bin_add (GST_BIN (r->pipe), sink);
  first = sink;
  if (media && strcmp (media, "video") == 0) {
    GstElement *depay = gst_element_factory_make (r->depay, NULL);

    gst_bin_add (GST_BIN (r->pipe), depay);
    gst_element_link (depay, sink);
    gst_element_sync_state_with_parent (depay);
    first = depay;
  }
  gst_element_sync_state_with_parent (sink);
  sinkpad = gst_element_get_static_pad (first, "sink");
  if (gst_pad_link (pad, sinkpad) != GST_PAD_LINK_OK)
    g_printerr ("link failed\n");
  gst_object_unref (sinkpad);
  gst_caps_unref (caps);
}

static double
cpu_now (void)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
      ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* Runs one pipeline.  Returns ms to the first buffer (-1 on timeout);
 * with @seconds > 0 keeps streaming that long and sets *cpu. */
static double
run_once (gboolean arcly, const gchar * url, const gchar * depay,
    double seconds, double *cpu, guint64 * buffers)
{
  Run r = { 0, };
  GstElement *src;
  gint64 t0, deadline;
  double ms = -1, c0 = 0;
  GstBus *bus;

  g_mutex_init (&r.lock);
  r.arcly = arcly;
  r.depay = depay;
  r.pipe = gst_pipeline_new (NULL);
  src = gst_element_factory_make (arcly ? "arclyrtspsrc" : "rtspsrc", NULL);
  if (src == NULL) {
    g_printerr ("missing %s\n", arcly ? "arclyrtspsrc" : "rtspsrc");
    exit (1);
  }
  g_object_set (src, "location", url, NULL);
  if (!arcly)
    g_object_set (src, "protocols", 4 /* TCP */ , NULL);
  /* rtsps:// (bench/rtsps.sh): the test camera's self-signed certificate,
   * accepted by both elements the same way */
  if (g_str_has_prefix (url, "rtsps://"))
    g_object_set (src, "tls-validation-flags", 0, NULL);
  g_signal_connect (src, "pad-added", G_CALLBACK (pad_added), &r);
  gst_bin_add (GST_BIN (r.pipe), src);
  bus = gst_element_get_bus (r.pipe);

  if (seconds > 0)
    c0 = cpu_now ();
  t0 = g_get_monotonic_time ();
  gst_element_set_state (r.pipe, GST_STATE_PLAYING);
  deadline = t0 + 10 * G_TIME_SPAN_SECOND;
  while (g_get_monotonic_time () < deadline) {
    GstMessage *m = gst_bus_timed_pop_filtered (bus, 2 * GST_MSECOND,
        GST_MESSAGE_ERROR);
    gboolean got;

    if (m) {
      g_printerr ("error from %s\n", arcly ? "arclyrtspsrc" : "rtspsrc");
      gst_message_unref (m);
      break;
    }
    g_mutex_lock (&r.lock);
    got = r.first_us != 0;
    if (got)
      ms = (r.first_us - t0) / 1000.0;
    g_mutex_unlock (&r.lock);
    if (got)
      break;
  }
  if (seconds > 0 && ms >= 0) {
    g_usleep ((gulong) (seconds * G_USEC_PER_SEC));
    *cpu = cpu_now () - c0;
  }
  g_mutex_lock (&r.lock);
  *buffers = r.buffers;
  g_mutex_unlock (&r.lock);
  gst_element_set_state (r.pipe, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (r.pipe);
  g_mutex_clear (&r.lock);
  return ms;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static double
median (double *v, guint n)
{
  qsort (v, n, sizeof (double), cmp_double);
  return n ? (n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2) : -1;
}

int
main (int argc, char **argv)
{
  const gchar *url;
  guint runs, i, na = 0, ng = 0, ca = 0, cg = 0;
  double seconds, first_a[64], first_g[64], cpu_a[64], cpu_g[64];
  const gchar *arcly_depay = "arclyh264depay";
  GstElementFactory *f;

  gst_init (&argc, &argv);
  if (argc < 2) {
    g_printerr ("usage: %s URL [runs] [seconds]\n", argv[0]);
    return 2;
  }
  url = argv[1];
  runs = argc > 2 ? (guint) atoi (argv[2]) : 7;
  seconds = argc > 3 ? atof (argv[3]) : 15;
  runs = CLAMP (runs, 1, 64);
  f = gst_element_factory_find (arcly_depay);
  if (f == NULL) {
    arcly_depay = "rtph264depay";
    printf ("note: arclyh264depay missing, rtph264depay used for both\n");
  } else {
    gst_object_unref (f);
  }

  /* warm up (plugin loading, camera media) */
  {
    guint64 b;
    double c;

    run_once (TRUE, url, arcly_depay, 0, &c, &b);
    run_once (FALSE, url, "rtph264depay", 0, &c, &b);
  }

  for (i = 0; i < runs; i++) {
    guint64 b;
    double c, ms;

    ms = run_once (TRUE, url, arcly_depay, 0, &c, &b);
    if (ms >= 0)
      first_a[na++] = ms;
    ms = run_once (FALSE, url, "rtph264depay", 0, &c, &b);
    if (ms >= 0)
      first_g[ng++] = ms;
  }
  printf ("first buffer after PLAYING (ms), %u runs: arclyrtspsrc %u ok, "
      "rtspsrc %u ok\n", runs, na, ng);
  {
    double ma = median (first_a, na), mg = median (first_g, ng);

    printf ("  median arclyrtspsrc %.1f ms, rtspsrc %.1f ms, ratio %.3f\n",
        ma, mg, mg > 0 ? ma / mg : 0);
  }

  for (i = 0; i < MIN (runs, 5u); i++) {
    guint64 ba = 0, bg = 0;
    double c = 0;

    if (run_once (TRUE, url, arcly_depay, seconds, &c, &ba) >= 0 && ba > 0)
      cpu_a[ca++] = c * 60.0 / seconds;
    if (run_once (FALSE, url, "rtph264depay", seconds, &c, &bg) >= 0
        && bg > 0)
      cpu_g[cg++] = c * 60.0 / seconds;
    printf ("  run %u: %" G_GUINT64_FORMAT " / %" G_GUINT64_FORMAT
        " packets\n", i, ba, bg);
  }
  {
    double ma = median (cpu_a, ca), mg = median (cpu_g, cg);

    printf ("CPU s per minute (%s vs rtspsrc ! rtph264depay, %.0f s runs): "
        "arclyrtspsrc %.3f, rtspsrc %.3f, ratio %.3f\n", arcly_depay,
        seconds, ma, mg, mg > 0 ? ma / mg : 0);
  }
  return 0;
}
