/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Fan-out benchmark: arclybus vs tee + queue per branch vs bare tee (the
 * floor, no isolation), on the same 720p30 H.264 file paced at real time
 * with identity sync=true, N subscribers ending in fakesink.
 *
 *   bus --input FILE [--runs 3] [--subs 1,10,100,500]      the whole matrix
 *   bus --one MODE N FILE                              one run (a child)
 *   bus --stalled MODE N FILE                          one stalled branch
 *   bus --latejoin MODE JOINS                          time to first picture
 *
 * Each run is a separate process (peak RSS is per process) bounded in time
 * by the parent: a run that does not finish is killed and counted as hung.
 * CPU = user+system seconds of the child from the moment the source is
 * released (every branch PLAYING) to EOS.
 */

#include <gst/gst.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static gdouble
cpu_seconds (void)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
      ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static glong
peak_rss_kb (void)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

static GstPadProbeReturn
hold_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
count_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  g_atomic_int_inc ((gint *) data);
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
stall_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  /* a subscriber that never returns */
  g_usleep (G_MAXINT);
  return GST_PAD_PROBE_OK;
}

static gchar *
pipeline_desc (const gchar * mode, guint n, const gchar * input)
{
  GString *s = g_string_new (NULL);
  guint i;

  g_string_append_printf (s, "filesrc location=\"%s\" ! matroskademux ! "
      "h264parse name=parse ! identity name=pace sync=true ! ", input);
  if (g_str_equal (mode, "bus"))
    g_string_append (s, "arclybus name=f ");
  else
    g_string_append (s, "tee name=f ");
  for (i = 0; i < n; i++) {
    g_string_append (s, "f. ! ");
    if (g_str_equal (mode, "teeq"))
      g_string_append (s, "queue ! ");
    g_string_append_printf (s, "fakesink name=s%u sync=false async=false ", i);
  }
  return g_string_free (s, FALSE);
}

static gint source_done;

static GstPadProbeReturn
eos_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) == GST_EVENT_EOS)
    g_atomic_int_set (&source_done, 1);
  return GST_PAD_PROBE_OK;
}

/* How many of the first @n sinks rendered @frames buffers. */
static guint
sinks_complete (GstElement * pipe, guint n, gint frames)
{
  guint i, complete = 0;

  for (i = 0; i < n; i++) {
    gchar name[32];
    GstElement *s;
    GstStructure *st;
    guint64 rendered = 0;

    g_snprintf (name, sizeof (name), "s%u", i);
    s = gst_bin_get_by_name (GST_BIN (pipe), name);
    g_object_get (s, "stats", &st, NULL);
    gst_structure_get_uint64 (st, "rendered", &rendered);
    gst_structure_free (st);
    gst_object_unref (s);
    if (rendered == (guint64) frames)
      complete++;
  }
  return complete;
}

/* One bounded run; prints a RESULT line. */
static int
run_one (const gchar * mode, guint n, const gchar * input, gboolean stalled)
{
  gchar *desc = pipeline_desc (mode, n + (stalled ? 1 : 0), input);
  GError *err = NULL;
  GstElement *pipe = gst_parse_launch (desc, &err), *parse, *pace;
  GstPad *pad;
  GstBus *bus;
  GstMessage *msg;
  GstClock *clock;
  gint published = 0;
  gulong hold;
  gdouble cpu0, cpu1;
  gint64 w0, w1;
  guint i, complete = 0, min_frames = G_MAXUINT;

  if (pipe == NULL) {
    g_printerr ("%s\n", err ? err->message : "parse error");
    return 2;
  }
  parse = gst_bin_get_by_name (GST_BIN (pipe), "parse");
  pace = gst_bin_get_by_name (GST_BIN (pipe), "pace");
  pad = gst_element_get_static_pad (parse, "src");
  hold = gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BLOCK_DOWNSTREAM,
      hold_probe, NULL, NULL);
  gst_object_unref (pad);
  pad = gst_element_get_static_pad (pace, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, count_probe, &published,
      NULL);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, eos_probe,
      NULL, NULL);
  gst_object_unref (pad);
  if (stalled) {
    gchar name[32];
    GstElement *s;

    g_snprintf (name, sizeof (name), "s%u", n);
    s = gst_bin_get_by_name (GST_BIN (pipe), name);
    pad = gst_element_get_static_pad (s, "sink");
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, stall_probe, NULL,
        NULL);
    gst_object_unref (pad);
    gst_object_unref (s);
  }

  /* every branch PLAYING before the source is released */
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  if (gst_element_get_state (pipe, NULL, NULL, 60 * GST_SECOND) ==
      GST_STATE_CHANGE_FAILURE) {
    g_printerr ("state change failed\n");
    return 2;
  }
  clock = gst_element_get_clock (pipe);
  if (clock) {
    /* pace from now on, not from the base time */
    GstClockTime now = gst_clock_get_time (clock) -
        gst_element_get_base_time (pipe);
    g_object_set (pace, "ts-offset", (gint64) now, NULL);
    gst_object_unref (clock);
  }
  cpu0 = cpu_seconds ();
  w0 = g_get_monotonic_time ();
  pad = gst_element_get_static_pad (parse, "src");
  gst_pad_remove_probe (pad, hold);
  gst_object_unref (pad);

  bus = gst_element_get_bus (pipe);
  if (stalled) {
    /* the stalled sink never gets EOS, so neither does the pipeline: wait
     * (bounded) for the healthy sinks to have every frame of the file */
    gint64 deadline = g_get_monotonic_time () + 30 * G_TIME_SPAN_SECOND;

    while (g_get_monotonic_time () < deadline) {
      msg = gst_bus_timed_pop_filtered (bus, 100 * GST_MSECOND,
          GST_MESSAGE_ERROR);
      if (msg) {
        g_printerr ("error\n");
        return 3;
      }
      if (g_atomic_int_get (&source_done)
          && sinks_complete (pipe, n, g_atomic_int_get (&published)) == n)
        break;
    }
  } else {
    msg = gst_bus_timed_pop_filtered (bus, 120 * GST_SECOND,
        GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
    if (msg == NULL || GST_MESSAGE_TYPE (msg) != GST_MESSAGE_EOS) {
      g_printerr ("no EOS\n");
      return 3;
    }
    gst_message_unref (msg);
  }
  cpu1 = cpu_seconds ();
  w1 = g_get_monotonic_time ();
  gst_object_unref (bus);

  for (i = 0; i < n; i++) {
    gchar name[32];
    GstElement *s;
    GstStructure *st;
    guint64 rendered = 0;

    g_snprintf (name, sizeof (name), "s%u", i);
    s = gst_bin_get_by_name (GST_BIN (pipe), name);
    g_object_get (s, "stats", &st, NULL);
    gst_structure_get_uint64 (st, "rendered", &rendered);
    gst_structure_free (st);
    gst_object_unref (s);
    if (rendered == (guint64) published)
      complete++;
    min_frames = MIN (min_frames, (guint) rendered);
  }
  printf ("RESULT mode=%s n=%u cpu=%.3f rss_kb=%ld wall=%.2f frames=%d "
      "complete=%u min_frames=%u\n", mode, n, cpu1 - cpu0, peak_rss_kb (),
      (w1 - w0) / 1e6, published, complete, min_frames);
  fflush (stdout);
  /* a stalled branch never returns: do not wait for it in NULL */
  if (stalled)
    _exit (0);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (parse);
  gst_object_unref (pace);
  gst_object_unref (pipe);
  g_free (desc);
  return 0;
}

/* --------------------------------------------------------- late join */

static gint64 first_decoded;
static GMutex join_lock;

static GstPadProbeReturn
decoded_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  g_mutex_lock (&join_lock);
  if (first_decoded == 0)
    first_decoded = g_get_monotonic_time ();
  g_mutex_unlock (&join_lock);
  return GST_PAD_PROBE_OK;
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
  gchar *desc = g_strdup_printf ("videotestsrc is-live=true ! "
      "video/x-raw,format=I420,width=1280,height=720,framerate=30/1 ! "
      "x264enc tune=zerolatency speed-preset=ultrafast bitrate=2000 "
      "key-int-max=60 option-string=scenecut=0 ! h264parse ! %s name=f "
      "f. ! %sfakesink sync=false", g_str_equal (mode, "bus") ? "arclybus" :
      "tee", g_str_equal (mode, "bus") ? "" : "queue ! ");
  GError *err = NULL;
  GstElement *pipe = gst_parse_launch (desc, &err);
  GstElement *fan;
  gdouble *ms = g_new0 (gdouble, joins);
  guint i, ok = 0;

  if (pipe == NULL) {
    g_printerr ("%s\n", err ? err->message : "parse error");
    return 2;
  }
  fan = gst_bin_get_by_name (GST_BIN (pipe), "f");
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  gst_element_get_state (pipe, NULL, NULL, 10 * GST_SECOND);
  g_usleep (2500 * 1000);
  for (i = 0; i < joins; i++) {
    GstElement *q = NULL, *dec, *sink, *first;
    GstPad *req, *target, *dsrc;
    gint64 t0, deadline;

    dec = gst_element_factory_make ("avdec_h264", NULL);
    sink = gst_element_factory_make ("fakesink", NULL);
    g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
    /* a picture, not a corrupted frame decoded without its reference */
    g_object_set (dec, "output-corrupt", FALSE, NULL);
    gst_bin_add_many (GST_BIN (pipe), dec, sink, NULL);
    gst_element_link (dec, sink);
    first = dec;
    if (!g_str_equal (mode, "bus")) {
      q = gst_element_factory_make ("queue", NULL);
      gst_bin_add (GST_BIN (pipe), q);
      gst_element_link (q, dec);
      first = q;
    }
    dsrc = gst_element_get_static_pad (dec, "src");
    gst_pad_add_probe (dsrc, GST_PAD_PROBE_TYPE_BUFFER, decoded_probe, NULL,
        NULL);
    gst_object_unref (dsrc);
    gst_element_sync_state_with_parent (sink);
    gst_element_sync_state_with_parent (dec);
    if (q)
      gst_element_sync_state_with_parent (q);
    g_mutex_lock (&join_lock);
    first_decoded = 0;
    g_mutex_unlock (&join_lock);

    t0 = g_get_monotonic_time ();
    req = gst_element_request_pad_simple (fan, "src_%u");
    target = gst_element_get_static_pad (first, "sink");
    gst_pad_link (req, target);
    deadline = t0 + 5 * G_TIME_SPAN_SECOND;
    while (g_get_monotonic_time () < deadline) {
      gint64 d;
      g_mutex_lock (&join_lock);
      d = first_decoded;
      g_mutex_unlock (&join_lock);
      if (d) {
        ms[ok++] = (d - t0) / 1000.0;
        break;
      }
      g_usleep (2000);
    }
    /* leave the branch, wait a GOP phase away from the last join */
    gst_pad_unlink (req, target);
    gst_element_release_request_pad (fan, req);
    gst_object_unref (req);
    gst_object_unref (target);
    gst_element_set_state (sink, GST_STATE_NULL);
    gst_element_set_state (dec, GST_STATE_NULL);
    if (q)
      gst_element_set_state (q, GST_STATE_NULL);
    gst_bin_remove_many (GST_BIN (pipe), dec, sink, NULL);
    if (q)
      gst_bin_remove (GST_BIN (pipe), q);
    g_usleep ((1370 - 200 * (i % 3)) * 1000);
  }
  qsort (ms, ok, sizeof (gdouble), cmp_double);
  printf ("LATEJOIN mode=%s joins=%u ok=%u median_ms=%.1f min_ms=%.1f "
      "max_ms=%.1f\n", mode, joins, ok, ok ? ms[ok / 2] : -1.0,
      ok ? ms[0] : -1.0, ok ? ms[ok - 1] : -1.0);
  fflush (stdout);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (fan);
  gst_object_unref (pipe);
  g_free (ms);
  g_free (desc);
  return 0;
}

/* ------------------------------------------------------------ driver */

/* Runs @argv as a child for at most @limit_s; its RESULT line in @out. */
static gboolean
run_child (gchar ** argv, guint limit_s, gchar ** out)
{
  GPid pid;
  gint fd;
  GString *buf = g_string_new (NULL);
  gint64 deadline = g_get_monotonic_time () + limit_s * G_TIME_SPAN_SECOND;
  gboolean done = FALSE;
  int status = 0;

  if (!g_spawn_async_with_pipes (NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
          NULL, NULL, &pid, NULL, &fd, NULL, NULL))
    return FALSE;
  while (!done) {
    gchar tmp[512];
    ssize_t r;
    fd_set set;
    struct timeval tv = { 0, 200000 };

    FD_ZERO (&set);
    FD_SET (fd, &set);
    if (select (fd + 1, &set, NULL, NULL, &tv) > 0) {
      r = read (fd, tmp, sizeof (tmp));
      if (r <= 0)
        done = TRUE;
      else
        g_string_append_len (buf, tmp, r);
    }
    if (!done && g_get_monotonic_time () > deadline) {
      kill (pid, SIGKILL);
      waitpid (pid, &status, 0);
      close (fd);
      g_string_free (buf, TRUE);
      *out = NULL;
      return FALSE;
    }
  }
  /* the child closed stdout: it is exiting; still bounded */
  while (waitpid (pid, &status, WNOHANG) == 0) {
    if (g_get_monotonic_time () > deadline) {
      kill (pid, SIGKILL);
      waitpid (pid, &status, 0);
      break;
    }
    g_usleep (20000);
  }
  close (fd);
  *out = g_string_free (buf, FALSE);
  return strstr (*out, "RESULT") != NULL || strstr (*out, "LATEJOIN") != NULL;
}

static gdouble
field (const gchar * line, const gchar * key)
{
  const gchar *p = strstr (line, key);
  return p ? g_ascii_strtod (p + strlen (key), NULL) : -1;
}

static gdouble
median (gdouble * v, guint n)
{
  if (n == 0)
    return -1;
  qsort (v, n, sizeof (gdouble), cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#define MAX_RUNS 9

int
main (int argc, char **argv)
{
  const gchar *modes[] = { "bus", "teeq", "tee" };
  const gchar *input = NULL;
  gchar *nlist = g_strdup ("1,10,100,500");
  gchar **ns;
  guint runs = 3, i, k, r;
  gchar *self = g_file_read_link ("/proc/self/exe", NULL);

  setvbuf (stdout, NULL, _IOLBF, 0);
  if (argc >= 2 && g_str_has_prefix (argv[1], "--") && (g_str_equal (argv[1],
              "--one") || g_str_equal (argv[1], "--stalled")
          || g_str_equal (argv[1], "--latejoin")))
    gst_init (NULL, NULL);
  if (argc >= 5 && g_str_equal (argv[1], "--one"))
    return run_one (argv[2], atoi (argv[3]), argv[4], FALSE);
  if (argc >= 5 && g_str_equal (argv[1], "--stalled"))
    return run_one (argv[2], atoi (argv[3]), argv[4], TRUE);
  if (argc >= 4 && g_str_equal (argv[1], "--latejoin"))
    return run_latejoin (argv[2], atoi (argv[3]));
  for (i = 1; i + 1 < (guint) argc; i++) {
    if (g_str_equal (argv[i], "--input"))
      input = argv[++i];
    else if (g_str_equal (argv[i], "--runs")) {
      gint v = atoi (argv[++i]);
      runs = CLAMP (v, 1, MAX_RUNS);
    }
    else if (g_str_equal (argv[i], "--subs")) {
      g_free (nlist);
      nlist = g_strdup (argv[++i]);
    }
  }
  if (input == NULL) {
    g_printerr ("usage: %s --input FILE.mkv [--runs 3] [--subs 1,10,100,500]\n",
        argv[0]);
    return 1;
  }

  ns = g_strsplit (nlist, ",", -1);
  printf ("fan-out of %s, %u runs each, medians (cpu = user+sys s while "
      "streaming; rss = peak MiB)\n", input, runs);
  printf ("%5s %-5s %8s %8s %8s %9s %6s\n", "N", "mode", "cpu_s", "rss_MiB",
      "KiB/sub", "complete", "hung");
  for (k = 0; ns[k]; k++) {
    guint n = atoi (ns[k]);
    gdouble cpu[3][MAX_RUNS], rss[3][MAX_RUNS], med_cpu[3], med_rss[3];
    guint got[3] = { 0 }, hung[3] = { 0 }, complete_runs[3] = { 0 };
    static gdouble rss1[3] = { 0 };

    for (r = 0; r < runs; r++) {
      for (i = 0; i < 3; i++) {
        gchar nbuf[16];
        gchar *args[] = { self, (gchar *) "--one", (gchar *) modes[i], nbuf,
          (gchar *) input, NULL
        };
        gchar *out = NULL;

        g_snprintf (nbuf, sizeof (nbuf), "%u", n);
        if (!run_child (args, 90, &out)) {
          hung[i]++;
          g_free (out);
          continue;
        }
        cpu[i][got[i]] = field (out, "cpu=");
        rss[i][got[i]] = field (out, "rss_kb=") / 1024.0;
        if ((guint) field (out, "complete=") == n)
          complete_runs[i]++;
        got[i]++;
        g_free (out);
      }
    }
    for (i = 0; i < 3; i++) {
      med_cpu[i] = median (cpu[i], got[i]);
      med_rss[i] = median (rss[i], got[i]);
      if (n == 1)
        rss1[i] = med_rss[i];
      printf ("%5u %-5s %8.3f %8.1f %8.1f %5u/%-3u %6u\n", n, modes[i],
          med_cpu[i], med_rss[i], (n > 1 && rss1[i] > 0 && got[i]) ?
          (med_rss[i] - rss1[i]) * 1024 / (n - 1) : 0.0, complete_runs[i],
          runs, hung[i]);
    }
    if (got[0] && got[1] && got[2])
      printf ("      ratios: bus/tee+queue cpu %.2f, bus/tee cpu %.2f, "
          "bus/tee+queue rss %.2f\n", med_cpu[0] / med_cpu[1],
          med_cpu[0] / med_cpu[2], med_rss[0] / med_rss[1]);
    fflush (stdout);
  }

  /* one stalled subscriber among 10 */
  for (i = 0; i < 2; i++) {
    gchar *args[] = { self, (gchar *) "--stalled", (gchar *) modes[i],
      (gchar *) "10", (gchar *) input, NULL
    };
    gchar *out = NULL;

    if (run_child (args, 40, &out))
      printf ("stalled subscriber, %s: %s", modes[i], strstr (out, "RESULT"));
    else
      printf ("stalled subscriber, %s: no EOS within 40 s (hung: the "
          "healthy branches stopped)\n", modes[i]);
    g_free (out);
  }
  /* late join: 10 joins at a 2 s GOP */
  for (i = 0; i < 3; i += 2) {
    gchar *args[] = { self, (gchar *) "--latejoin", (gchar *) modes[i],
      (gchar *) "10", NULL
    };
    gchar *out = NULL;

    if (run_child (args, 120, &out))
      printf ("late join, %s: %s", modes[i], strstr (out, "LATEJOIN"));
    else
      printf ("late join, %s: did not finish\n", modes[i]);
    g_free (out);
  }
  g_strfreev (ns);
  g_free (nlist);
  g_free (self);
  return 0;
}
