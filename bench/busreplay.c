/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The fan-out's own CPU, with no encoder in the process: 4 s of H.264
 * (1280x720, 30 fps, 2 s GOP) + AAC (48 kHz stereo) are encoded into
 * memory first, the encoder pipelines are torn down, and only then a
 * publisher replays those buffers in real time (a feeder thread paced by
 * the clock, looping with increasing timestamps) into
 *
 *   bus:   appsrc ×2 → arclybussink stream-key=cam; N subscriber
 *          pipelines arclybussrc → fakesink (per stream)
 *   proxy: appsrc ×2 → tee ×2 → proxysink per stream and subscriber; N
 *          subscriber pipelines proxysrc → fakesink (per stream); proxysrc
 *          is a bin with a queue of its own, so every branch gets its
 *          thread there, and no queue is put after the tee
 *   none:  appsrc ×2 → tee ×2 with no branch (the publisher alone)
 *
 *   busreplay cpu bus|proxy|none N SECONDS
 *     all subscribers PLAYING (and the first second replayed) before
 *     measuring; prints "REPLAY mode=.. subs=.. cpu_s=.. video=.. audio=.."
 *     with the process's user+system CPU over SECONDS and the buffers the
 *     subscribers' sinks got in that time (all streams, all subscribers).
 *
 * bench/busreplay.sh runs it, bounded in time, alternating the modes.
 */

#include <gst/gst.h>
#include <gst/app/gstappsrc.h>
#include <gst/app/gstappsink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#define CLIP_FRAMES 120         /* 4 s at 30 fps: two GOPs */
#define CLIP_DURATION (4 * GST_SECOND)

typedef struct
{
  GPtrArray *bufs;              /* GstBuffer *, in decoding order */
  GstCaps *caps;
} Clip;

typedef struct
{
  GstBuffer *buf;
  gboolean video;
} Item;

static gint video_in, audio_in;
static volatile gint feeding = 1;

static gdouble
cpu_seconds (void)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
      (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static GstElement *
launch (const gchar * desc)
{
  GError *err = NULL;
  GstElement *pipe = gst_parse_launch (desc, &err);

  if (pipe == NULL) {
    g_printerr ("%s: %s\n", desc, err ? err->message : "parse error");
    exit (2);
  }
  return pipe;
}

/* the clip from 0 (encoders start their segments anywhere) */
static void
rebase (Clip * clip)
{
  GstClockTime first = GST_CLOCK_TIME_NONE;
  guint i;

  for (i = 0; i < clip->bufs->len; i++) {
    GstBuffer *b = g_ptr_array_index (clip->bufs, i);

    first = MIN (first, GST_BUFFER_DTS_OR_PTS (b));
  }
  for (i = 0; i < clip->bufs->len; i++) {
    GstBuffer *b = gst_buffer_make_writable (g_ptr_array_index (clip->bufs,
            i));

    if (GST_BUFFER_PTS_IS_VALID (b))
      GST_BUFFER_PTS (b) -= first;
    if (GST_BUFFER_DTS_IS_VALID (b))
      GST_BUFFER_DTS (b) -= first;
    g_ptr_array_index (clip->bufs, i) = b;
  }
}

/* runs @desc (ending in appsink name=out) to EOS, as fast as it goes */
static void
encode (const gchar * desc, Clip * clip)
{
  GstElement *pipe = launch (desc);
  GstElement *out = gst_bin_get_by_name (GST_BIN (pipe), "out");
  GstSample *s;

  clip->bufs = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  while ((s = gst_app_sink_pull_sample (GST_APP_SINK (out))) != NULL) {
    if (clip->caps == NULL)
      clip->caps = gst_caps_ref (gst_sample_get_caps (s));
    g_ptr_array_add (clip->bufs, gst_buffer_ref (gst_sample_get_buffer (s)));
    gst_sample_unref (s);
  }
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (out);
  gst_object_unref (pipe);
  if (clip->bufs->len == 0) {
    g_printerr ("nothing encoded: %s\n", desc);
    exit (2);
  }
  rebase (clip);
}

static gint
cmp_item (gconstpointer a, gconstpointer b)
{
  const Item *x = a, *y = b;
  GstClockTime tx = GST_BUFFER_DTS_OR_PTS (x->buf);
  GstClockTime ty = GST_BUFFER_DTS_OR_PTS (y->buf);

  return tx < ty ? -1 : tx > ty;
}

typedef struct
{
  GstElement *pipe;
  GstAppSrc *vsrc, *asrc;
  GArray *items;                /* Item, both streams by time */
} Feeder;

/* pushes the clip again and again, each buffer at its running time */
static gpointer
feed (gpointer data)
{
  Feeder *f = data;
  GstClock *clock = gst_pipeline_get_clock (GST_PIPELINE (f->pipe));
  GstClockTime base = gst_element_get_base_time (f->pipe);
  guint64 loop;

  for (loop = 0; g_atomic_int_get (&feeding); loop++) {
    guint i;

    for (i = 0; i < f->items->len && g_atomic_int_get (&feeding); i++) {
      Item *it = &g_array_index (f->items, Item, i);
      GstClockTime off = loop * CLIP_DURATION;
      GstClockTime at = GST_BUFFER_DTS_OR_PTS (it->buf) + off;
      GstClockID id = gst_clock_new_single_shot_id (clock, base + at);
      GstBuffer *b;

      gst_clock_id_wait (id, NULL);
      gst_clock_id_unref (id);
      /* a new header on the same memory, as a depayloader would make */
      b = gst_buffer_copy (it->buf);
      if (GST_BUFFER_PTS_IS_VALID (b))
        GST_BUFFER_PTS (b) += off;
      if (GST_BUFFER_DTS_IS_VALID (b))
        GST_BUFFER_DTS (b) += off;
      GST_BUFFER_FLAG_UNSET (b, GST_BUFFER_FLAG_DISCONT);
      gst_app_src_push_buffer (it->video ? f->vsrc : f->asrc, b);
    }
  }
  gst_object_unref (clock);
  return NULL;
}

static GstPadProbeReturn
count_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  g_atomic_int_inc ((gint *) data);
  return GST_PAD_PROBE_OK;
}

static GstElement *
counted_sink (gboolean video)
{
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);
  GstPad *pad = gst_element_get_static_pad (sink, "sink");

  g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, count_probe,
      video ? &video_in : &audio_in, NULL);
  gst_object_unref (pad);
  return sink;
}

/* arclybussrc's control thread */
static void
on_pad (GstElement * src, GstPad * pad, GstElement * pipe)
{
  GstCaps *caps = gst_pad_get_current_caps (pad);
  gboolean video = caps && g_str_has_prefix (gst_structure_get_name
      (gst_caps_get_structure (caps, 0)), "video/");
  GstElement *sink = counted_sink (video);
  GstPad *sinkpad = gst_element_get_static_pad (sink, "sink");

  if (caps)
    gst_caps_unref (caps);
  gst_bin_add (GST_BIN (pipe), sink);
  gst_pad_link (pad, sinkpad);
  gst_object_unref (sinkpad);
  gst_element_sync_state_with_parent (sink);
}

/* tee (of the publisher) → proxysink; a subscriber's proxysrc → fakesink */
static void
add_proxy_branch (GstElement * pub, const gchar * tee_name, GstElement * sub,
    gboolean video)
{
  GstElement *tee = gst_bin_get_by_name (GST_BIN (pub), tee_name);
  GstElement *ps = gst_element_factory_make ("proxysink", NULL);
  GstElement *src = gst_element_factory_make ("proxysrc", NULL);
  GstElement *sink = counted_sink (video);
  GstPad *tpad, *ppad;

  if (ps == NULL || src == NULL) {
    g_printerr ("proxysink/proxysrc missing (gstreamer1.0-plugins-bad)\n");
    exit (2);
  }
  g_object_set (src, "proxysink", ps, NULL);
  gst_bin_add_many (GST_BIN (sub), src, sink, NULL);
  gst_element_link (src, sink);
  gst_bin_add (GST_BIN (pub), ps);
  gst_element_sync_state_with_parent (ps);
  tpad = gst_element_request_pad_simple (tee, "src_%u");
  ppad = gst_element_get_static_pad (ps, "sink");
  gst_pad_link (tpad, ppad);
  gst_object_unref (ppad);
  gst_object_unref (tpad);
  gst_object_unref (tee);
}

static int
run_cpu (const gchar * mode, guint n, guint seconds)
{
  Clip v = { 0 }, a = { 0 };
  Feeder f = { 0 };
  GstElement **subs;
  GThread *feeder;
  gchar *desc;
  gboolean bus = g_str_equal (mode, "bus");
  gdouble c0;
  guint i;
  gint nv, na;

  encode ("videotestsrc num-buffers=120 pattern=ball ! "
      "video/x-raw,format=I420,width=1280,height=720,framerate=30/1 ! "
      "x264enc tune=zerolatency speed-preset=ultrafast bitrate=2000 "
      "key-int-max=60 option-string=scenecut=0 ! h264parse ! "
      "video/x-h264,stream-format=byte-stream,alignment=au ! "
      "appsink name=out sync=false", &v);
  encode ("audiotestsrc num-buffers=188 samplesperbuffer=1024 wave=ticks ! "
      "audio/x-raw,rate=48000,channels=2 ! audioconvert ! voaacenc ! "
      "aacparse ! appsink name=out sync=false", &a);
  f.items = g_array_new (FALSE, FALSE, sizeof (Item));
  for (i = 0; i < v.bufs->len; i++) {
    Item it = { g_ptr_array_index (v.bufs, i), TRUE };
    g_array_append_val (f.items, it);
  }
  for (i = 0; i < a.bufs->len; i++) {
    Item it = { g_ptr_array_index (a.bufs, i), FALSE };
    if (GST_BUFFER_PTS (it.buf) < CLIP_DURATION)
      g_array_append_val (f.items, it);
  }
  g_array_sort (f.items, cmp_item);

  desc = g_strdup_printf ("appsrc name=v is-live=true format=time "
      "max-bytes=50000000 ! %s appsrc name=a is-live=true format=time max-bytes=50000000 ! "
      "%s", bus ? "arclybussink name=t stream-key=cam" :
      "tee name=tv allow-not-linked=true", bus ? "t." :
      "tee name=ta allow-not-linked=true");
  f.pipe = launch (desc);
  g_free (desc);
  f.vsrc = GST_APP_SRC (gst_bin_get_by_name (GST_BIN (f.pipe), "v"));
  f.asrc = GST_APP_SRC (gst_bin_get_by_name (GST_BIN (f.pipe), "a"));
  gst_app_src_set_caps (f.vsrc, v.caps);
  gst_app_src_set_caps (f.asrc, a.caps);

  subs = g_new0 (GstElement *, n);
  for (i = 0; !g_str_equal (mode, "none") && i < n; i++) {
    subs[i] = gst_pipeline_new (NULL);
    if (bus) {
      GstElement *src = gst_element_factory_make ("arclybussrc", NULL);

      g_object_set (src, "stream-key", "cam", NULL);
      g_signal_connect (src, "pad-added", G_CALLBACK (on_pad), subs[i]);
      gst_bin_add (GST_BIN (subs[i]), src);
    } else {
      add_proxy_branch (f.pipe, "tv", subs[i], TRUE);
      add_proxy_branch (f.pipe, "ta", subs[i], FALSE);
    }
  }
  /* the source held until every subscriber plays */
  gst_element_set_state (f.pipe, GST_STATE_PLAYING);
  for (i = 0; i < n; i++)
    if (subs[i])
      gst_element_set_state (subs[i], GST_STATE_PLAYING);
  gst_element_get_state (f.pipe, NULL, NULL, GST_CLOCK_TIME_NONE);
  feeder = g_thread_new ("feeder", feed, &f);
  g_usleep (2 * G_USEC_PER_SEC);
  g_atomic_int_set (&video_in, 0);
  g_atomic_int_set (&audio_in, 0);
  c0 = cpu_seconds ();
  g_usleep (seconds * G_USEC_PER_SEC);
  nv = g_atomic_int_get (&video_in);
  na = g_atomic_int_get (&audio_in);
  printf ("REPLAY mode=%s subs=%u cpu_s=%.3f video=%d audio=%d\n", mode,
      g_str_equal (mode, "none") ? 0 : n, cpu_seconds () - c0, nv, na);
  fflush (stdout);

  g_atomic_int_set (&feeding, 0);
  g_thread_join (feeder);
  for (i = 0; i < n; i++) {
    if (subs[i]) {
      gst_element_set_state (subs[i], GST_STATE_NULL);
      gst_object_unref (subs[i]);
    }
  }
  gst_element_set_state (f.pipe, GST_STATE_NULL);
  gst_object_unref (f.vsrc);
  gst_object_unref (f.asrc);
  gst_object_unref (f.pipe);
  g_array_free (f.items, TRUE);
  g_ptr_array_free (v.bufs, TRUE);
  g_ptr_array_free (a.bufs, TRUE);
  gst_caps_unref (v.caps);
  gst_caps_unref (a.caps);
  g_free (subs);
  return 0;
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  if (argc >= 5 && g_str_equal (argv[1], "cpu"))
    return run_cpu (argv[2], atoi (argv[3]), atoi (argv[4]));
  g_printerr ("usage: busreplay cpu bus|proxy|none N SECONDS\n");
  return 2;
}
