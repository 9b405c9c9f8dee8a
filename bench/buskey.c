/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * arclybussink/arclybussrc vs tee + proxysink/proxysrc (gst-plugins-bad):
 * one live publisher pipeline (x264enc, 2 s GOP), subscribers in pipelines
 * of their own.
 *
 *   buskey latejoin bus|proxy JOINS
 *     JOINS times, at moments spread over the GOP, start a new subscriber
 *     pipeline (→ avdec_h264 output-corrupt=false → fakesink) and time from
 *     its set_state(PLAYING) to its first decoded picture.
 *     Prints "LATEJOIN mode=.. joins=.. ok=.. median_ms=.. min_ms=.. max_ms=..".
 *   buskey cpu bus|proxy|none N SECONDS
 *     N subscriber pipelines (→ fakesink) on one publisher (none: the
 *     publisher alone), all PLAYING before measuring; process CPU over
 *     SECONDS.  Prints "CPU mode=.. subs=.. cpu_s=.. frames=..".
 *
 * Each run is one process; bench/buskey.sh bounds them in time.
 */

#include <gst/gst.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static gdouble
cpu_seconds (void)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
      (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static GstElement *
make_publisher (const gchar * mode, guint width)
{
  gchar *desc = g_strdup_printf ("videotestsrc is-live=true pattern=ball ! "
      "video/x-raw,format=I420,width=%u,height=%u,framerate=30/1 ! "
      "x264enc tune=zerolatency speed-preset=ultrafast bitrate=1000 "
      "key-int-max=60 option-string=scenecut=0 ! h264parse ! %s",
      width, width * 9 / 16, g_str_equal (mode, "bus") ?
      "arclybussink stream-key=cam" : "tee name=t allow-not-linked=true");
  GError *err = NULL;
  GstElement *pipe = gst_parse_launch (desc, &err);

  if (pipe == NULL) {
    g_printerr ("%s\n", err ? err->message : "parse error");
    exit (2);
  }
  g_free (desc);
  return pipe;
}

/* tee → queue → proxysink added to the running publisher; returns the
 * proxysink (owned by the publisher pipeline) */
static GstElement *
add_proxy_branch (GstElement * pub)
{
  GstElement *tee = gst_bin_get_by_name (GST_BIN (pub), "t");
  GstElement *q = gst_element_factory_make ("queue", NULL);
  GstElement *ps = gst_element_factory_make ("proxysink", NULL);
  GstPad *tpad, *qpad;

  if (ps == NULL) {
    g_printerr ("proxysink missing (gstreamer1.0-plugins-bad)\n");
    exit (2);
  }
  gst_bin_add_many (GST_BIN (pub), q, ps, NULL);
  gst_element_link (q, ps);
  gst_element_sync_state_with_parent (ps);
  gst_element_sync_state_with_parent (q);
  tpad = gst_element_request_pad_simple (tee, "src_%u");
  qpad = gst_element_get_static_pad (q, "sink");
  gst_pad_link (tpad, qpad);
  gst_object_unref (qpad);
  gst_object_unref (tpad);
  gst_object_unref (tee);
  return ps;
}

static gint64 first_decoded;
static GMutex lock;

static GstPadProbeReturn
decoded_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  g_mutex_lock (&lock);
  if (first_decoded == 0)
    first_decoded = g_get_monotonic_time ();
  g_mutex_unlock (&lock);
  return GST_PAD_PROBE_OK;
}

static void
on_pad (GstElement * src, GstPad * pad, GstElement * branch)
{
  GstPad *sink = gst_element_get_static_pad (branch, "sink");

  if (!gst_pad_is_linked (sink))
    gst_pad_link (pad, sink);
  gst_object_unref (sink);
}

/* A subscriber pipeline: its source (arclybussrc or proxysrc) → @chain. */
static GstElement *
make_subscriber (const gchar * mode, GstElement * proxysink,
    const gchar * chain, gboolean probe)
{
  GstElement *pipe = gst_pipeline_new (NULL);
  GstElement *src, *branch;
  GError *err = NULL;

  branch = gst_parse_bin_from_description (chain, TRUE, &err);
  if (g_str_equal (mode, "bus")) {
    src = gst_element_factory_make ("arclybussrc", NULL);
    g_object_set (src, "stream-key", "cam", NULL);
    g_signal_connect (src, "pad-added", G_CALLBACK (on_pad), branch);
  } else {
    src = gst_element_factory_make ("proxysrc", NULL);
    g_object_set (src, "proxysink", proxysink, NULL);
  }
  gst_bin_add_many (GST_BIN (pipe), src, branch, NULL);
  if (!g_str_equal (mode, "bus"))
    gst_element_link (src, branch);
  if (probe) {
    GstElement *dec = gst_bin_get_by_name (GST_BIN (branch), "dec");
    GstPad *dsrc = gst_element_get_static_pad (dec, "src");

    gst_pad_add_probe (dsrc, GST_PAD_PROBE_TYPE_BUFFER, decoded_probe, NULL,
        NULL);
    gst_object_unref (dsrc);
    gst_object_unref (dec);
  }
  return pipe;
}

static int
cmp_double (const void *a, const void *b)
{
  gdouble x = *(const gdouble *) a, y = *(const gdouble *) b;
  return x < y ? -1 : x > y;
}

static int
run_latejoin (const gchar * mode, guint joins)
{
  GstElement *pub = make_publisher (mode, 640);
  gdouble *ms = g_new0 (gdouble, joins);
  guint i, ok = 0;

  gst_element_set_state (pub, GST_STATE_PLAYING);
  g_usleep (2500 * 1000);       /* the first GOP cached */
  for (i = 0; i < joins; i++) {
    GstElement *ps = NULL, *sub;
    gint64 t0, deadline;

    if (!g_str_equal (mode, "bus"))
      ps = add_proxy_branch (pub);
    sub = make_subscriber (mode, ps, "h264parse ! avdec_h264 name=dec "
        "output-corrupt=false ! fakesink sync=false", TRUE);
    g_mutex_lock (&lock);
    first_decoded = 0;
    g_mutex_unlock (&lock);
    t0 = g_get_monotonic_time ();
    gst_element_set_state (sub, GST_STATE_PLAYING);
    deadline = t0 + 5 * G_TIME_SPAN_SECOND;
    while (g_get_monotonic_time () < deadline) {
      gint64 d;

      g_mutex_lock (&lock);
      d = first_decoded;
      g_mutex_unlock (&lock);
      if (d) {
        ms[ok++] = (d - t0) / 1000.0;
        break;
      }
      g_usleep (1000);
    }
    gst_element_set_state (sub, GST_STATE_NULL);
    gst_object_unref (sub);
    /* a proxy branch stays (its proxysink without a proxysrc drops) */
    /* the next join a different phase of the 2 s GOP */
    g_usleep ((1370 - 200 * (i % 3)) * 1000);
  }
  qsort (ms, ok, sizeof (gdouble), cmp_double);
  printf ("LATEJOIN mode=%s joins=%u ok=%u median_ms=%.1f min_ms=%.1f "
      "max_ms=%.1f\n", mode, joins, ok, ok ? ms[ok / 2] : -1.0,
      ok ? ms[0] : -1.0, ok ? ms[ok - 1] : -1.0);
  fflush (stdout);
  gst_element_set_state (pub, GST_STATE_NULL);
  gst_object_unref (pub);
  g_free (ms);
  return 0;
}

static gint frames;

static GstPadProbeReturn
count_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  g_atomic_int_inc (&frames);
  return GST_PAD_PROBE_OK;
}

static int
run_cpu (const gchar * mode, guint n, guint seconds)
{
  GstElement *pub = make_publisher (g_str_equal (mode, "none") ? "proxy" :
      mode, 1280);
  GstElement **subs = g_new0 (GstElement *, n);
  gdouble c0;
  guint i;

  gst_element_set_state (pub, GST_STATE_PLAYING);
  for (i = 0; !g_str_equal (mode, "none") && i < n; i++) {
    GstElement *ps = NULL, *sink;
    GstPad *pad;

    if (!g_str_equal (mode, "bus"))
      ps = add_proxy_branch (pub);
    subs[i] = make_subscriber (mode, ps, "fakesink name=s sync=false", FALSE);
    sink = gst_bin_get_by_name (GST_BIN (subs[i]), "s");
    pad = gst_element_get_static_pad (sink, "sink");
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, count_probe, NULL,
        NULL);
    gst_object_unref (pad);
    gst_object_unref (sink);
    gst_element_set_state (subs[i], GST_STATE_PLAYING);
  }
  g_usleep (3 * G_USEC_PER_SEC);        /* everybody playing */
  c0 = cpu_seconds ();
  g_atomic_int_set (&frames, 0);
  g_usleep (seconds * G_USEC_PER_SEC);
  printf ("CPU mode=%s subs=%u cpu_s=%.3f frames=%d\n", mode,
      g_str_equal (mode, "none") ? 0 : n, cpu_seconds () - c0,
      g_atomic_int_get (&frames));
  fflush (stdout);
  for (i = 0; i < n; i++) {
    if (subs[i]) {
      gst_element_set_state (subs[i], GST_STATE_NULL);
      gst_object_unref (subs[i]);
    }
  }
  gst_element_set_state (pub, GST_STATE_NULL);
  gst_object_unref (pub);
  g_free (subs);
  return 0;
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  if (argc >= 4 && g_str_equal (argv[1], "latejoin"))
    return run_latejoin (argv[2], atoi (argv[3]));
  if (argc >= 5 && g_str_equal (argv[1], "cpu"))
    return run_cpu (argv[2], atoi (argv[3]), atoi (argv[4]));
  g_printerr ("usage: buskey latejoin bus|proxy JOINS\n"
      "       buskey cpu bus|proxy|none N SECONDS\n");
  return 2;
}
