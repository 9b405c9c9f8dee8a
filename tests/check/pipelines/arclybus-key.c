/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * arclybussink / arclybussrc: several pipelines in one process, a live
 * H.264 (x264enc, 2 s GOP, I420) + AAC publisher, subscribers that join at
 * random moments, record, stall, wait for or outlive their publisher.
 * Every wait is on a condition, bounded; moments are picked by counting
 * the publisher's frames, not by sleeping.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define ARCLY_ON_VALGRIND() (RUNNING_ON_VALGRIND)
#endif
#endif
#ifndef ARCLY_ON_VALGRIND
#define ARCLY_ON_VALGRIND() 0
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SLOW 5
#else
#define SLOW (ARCLY_ON_VALGRIND () ? 20 : 1)
#endif

#define WAIT_US (SLOW * 10 * G_TIME_SPAN_SECOND)
#define AUDIO_FRAME (1024 * GST_SECOND / 48000)

static const gchar *
aac_encoder (void)
{
  GstElementFactory *f = gst_element_factory_find ("voaacenc");

  if (f) {
    gst_object_unref (f);
    return "voaacenc";
  }
  return "avenc_aac";
}

static void
require (const gchar * name)
{
  GstElementFactory *f = gst_element_factory_find (name);

  fail_unless (f != NULL, "element %s is missing", name);
  gst_object_unref (f);
}

/* ------------------------------------------------------------ publisher */

typedef struct
{
  GstElement *pipe;
  GMutex lock;
  GCond cond;
  guint frames;                 /* video frames published */
  guint key_at;                 /* ... when the last keyframe was */
} Pub;

static GstPadProbeReturn
pub_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  Pub *p = data;

  g_mutex_lock (&p->lock);
  p->frames++;
  if (!GST_BUFFER_FLAG_IS_SET (GST_PAD_PROBE_INFO_BUFFER (info),
          GST_BUFFER_FLAG_DELTA_UNIT))
    p->key_at = p->frames;
  g_cond_broadcast (&p->cond);
  g_mutex_unlock (&p->lock);
  return GST_PAD_PROBE_OK;
}

static Pub *
pub_new (const gchar * key, guint width, const gchar * extra)
{
  Pub *p = g_new0 (Pub, 1);
  GError *err = NULL;
  GstElement *sink;
  GstPad *pad;
  gchar *desc;

  require ("x264enc");
  desc = g_strdup_printf ("videotestsrc is-live=true pattern=ball ! "
      "video/x-raw,format=I420,width=%u,height=%u,framerate=30/1 ! "
      "x264enc tune=zerolatency speed-preset=ultrafast bitrate=300 "
      "key-int-max=60 option-string=scenecut=0 ! h264parse ! "
      "arclybussink name=sink stream-key=%s %s "
      "audiotestsrc is-live=true wave=ticks ! "
      "audio/x-raw,rate=48000,channels=1 ! audioconvert ! %s ! sink.",
      width, width * 3 / 4, key, extra ? extra : "", aac_encoder ());
  p->pipe = gst_parse_launch (desc, &err);
  g_free (desc);
  fail_unless (p->pipe != NULL, "%s", err ? err->message : "?");
  g_mutex_init (&p->lock);
  g_cond_init (&p->cond);
  sink = gst_bin_get_by_name (GST_BIN (p->pipe), "sink");
  pad = gst_element_get_static_pad (sink, "sink_0");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, pub_probe, p, NULL);
  gst_object_unref (pad);
  gst_object_unref (sink);
  return p;
}

static void
pub_play (Pub * p)
{
  fail_if (gst_element_set_state (p->pipe, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
}

/* waits until @n more frames were published */
static void
pub_wait_frames (Pub * p, guint n)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_US;
  guint target;

  g_mutex_lock (&p->lock);
  target = p->frames + n;
  while (p->frames < target)
    if (!g_cond_wait_until (&p->cond, &p->lock, deadline))
      break;
  fail_unless (p->frames >= target, "the publisher stopped publishing");
  g_mutex_unlock (&p->lock);
}

/* waits until the newest keyframe is @n frames old */
static void
pub_wait_key_age (Pub * p, guint n)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_US;

  g_mutex_lock (&p->lock);
  while (p->key_at == 0 || p->frames != p->key_at + n)
    if (!g_cond_wait_until (&p->cond, &p->lock, deadline))
      break;
  fail_unless (p->key_at > 0 && p->frames == p->key_at + n,
      "no keyframe %u frames old", n);
  g_mutex_unlock (&p->lock);
}

static void
pub_free (Pub * p)
{
  gst_element_set_state (p->pipe, GST_STATE_NULL);
  gst_object_unref (p->pipe);
  g_mutex_clear (&p->lock);
  g_cond_clear (&p->cond);
  g_free (p);
}

/* ----------------------------------------------------------- subscriber */

typedef struct
{
  GstElement *pipe;
  GstElement *src;
  GMutex lock;
  GCond cond;
  gint64 t_play, t_decoded;
  GstClockTime first_v, first_a, last_v;
  guint first_v_flags, first_a_flags;
  guint n_v, n_a, n_decoded, n_eos, n_segments_v;
  gboolean no_more_pads;
  gboolean monotonic_v;
  gboolean block;               /* stall the video branch */
  guint block_at;               /* ... from this video buffer on */
  gint width;                   /* of the video caps last seen */
  /* buffers after a mark (publisher restart) */
  gboolean marked;
  guint n_after_mark, after_mark_flags;
  GstClockTime first_after_mark;
  GstClockTime last_before_mark;
  const gchar *record;          /* TS file: record instead of decoding */
  gboolean sync;                /* sinks synced to the clock, no decoding */
} Sub;

static GstPadProbeReturn
sub_src_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  Sub *s = data;
  gboolean video = g_object_get_data (G_OBJECT (pad), "video") != NULL;

  g_mutex_lock (&s->lock);
  if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent *ev = GST_PAD_PROBE_INFO_EVENT (info);

    if (GST_EVENT_TYPE (ev) == GST_EVENT_EOS)
      s->n_eos++;
    if (GST_EVENT_TYPE (ev) == GST_EVENT_SEGMENT && video)
      s->n_segments_v++;
    if (GST_EVENT_TYPE (ev) == GST_EVENT_CAPS && video) {
      GstCaps *caps;

      gst_event_parse_caps (ev, &caps);
      gst_structure_get_int (gst_caps_get_structure (caps, 0), "width",
          &s->width);
    }
  } else {
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
    gint64 deadline = g_get_monotonic_time () + WAIT_US;

    if (video) {
      if (s->n_v++ == 0) {
        s->first_v = GST_BUFFER_PTS (buf);
        s->first_v_flags = GST_BUFFER_FLAGS (buf);
        s->monotonic_v = TRUE;
      } else if (GST_BUFFER_DTS_OR_PTS (buf) <= s->last_v
          && !GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DISCONT)) {
        s->monotonic_v = FALSE;
      }
      if (s->marked && s->n_after_mark++ == 0) {
        s->first_after_mark = GST_BUFFER_DTS_OR_PTS (buf);
        s->after_mark_flags = GST_BUFFER_FLAGS (buf);
      }
      s->last_v = GST_BUFFER_DTS_OR_PTS (buf);
      if (s->block_at && s->n_v >= s->block_at)
        s->block = TRUE;
      g_cond_broadcast (&s->cond);
      while (s->block && g_get_monotonic_time () < deadline)
        g_cond_wait_until (&s->cond, &s->lock, deadline);
    } else if (s->n_a++ == 0) {
      s->first_a = GST_BUFFER_PTS (buf);
      s->first_a_flags = GST_BUFFER_FLAGS (buf);
    }
  }
  g_cond_broadcast (&s->cond);
  g_mutex_unlock (&s->lock);
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
decoded_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  Sub *s = data;

  g_mutex_lock (&s->lock);
  if (s->n_decoded++ == 0)
    s->t_decoded = g_get_monotonic_time ();
  g_cond_broadcast (&s->cond);
  g_mutex_unlock (&s->lock);
  return GST_PAD_PROBE_OK;
}

static GstElement *
add_chain (GstElement * pipe, const gchar * desc)
{
  GError *err = NULL;
  GstElement *bin = gst_parse_bin_from_description (desc, TRUE, &err);

  fail_unless (bin != NULL, "%s", err ? err->message : "?");
  gst_bin_add (GST_BIN (pipe), bin);
  return bin;
}

/* on arclybussrc's control thread */
static void
pad_added (GstElement * src, GstPad * pad, gpointer data)
{
  Sub *s = data;
  GstCaps *caps = gst_pad_get_current_caps (pad);
  gboolean video;
  GstElement *bin, *mux = NULL;
  GstPad *sink;

  fail_unless (caps != NULL, "a pad without the publisher's caps");
  video = g_str_has_prefix (gst_structure_get_name (gst_caps_get_structure
          (caps, 0)), "video/");
  gst_caps_unref (caps);
  if (video)
    g_object_set_data (G_OBJECT (pad), "video", GINT_TO_POINTER (1));
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, sub_src_probe, s, NULL);

  if (s->sync) {
    bin = add_chain (s->pipe, "fakesink sync=true");
  } else if (s->record) {
    mux = gst_bin_get_by_name (GST_BIN (s->pipe), "mux");
    bin = add_chain (s->pipe, video ? "h264parse" : "aacparse");
    gst_element_link (bin, mux);
    gst_object_unref (mux);
  } else if (video) {
    GstElement *dec;
    GstPad *dsrc;

    bin = add_chain (s->pipe, "h264parse ! avdec_h264 name=dec ! "
        "fakesink sync=false");
    dec = gst_bin_get_by_name (GST_BIN (bin), "dec");
    dsrc = gst_element_get_static_pad (dec, "src");
    gst_pad_add_probe (dsrc, GST_PAD_PROBE_TYPE_BUFFER, decoded_probe, s,
        NULL);
    gst_object_unref (dsrc);
    gst_object_unref (dec);
  } else {
    bin = add_chain (s->pipe, "fakesink sync=false");
  }
  sink = gst_element_get_static_pad (bin, "sink");
  fail_unless_equals_int (gst_pad_link (pad, sink), GST_PAD_LINK_OK);
  gst_object_unref (sink);
  gst_element_sync_state_with_parent (bin);
}

static void
no_more_pads (GstElement * src, gpointer data)
{
  Sub *s = data;

  g_mutex_lock (&s->lock);
  s->no_more_pads = TRUE;
  g_cond_broadcast (&s->cond);
  g_mutex_unlock (&s->lock);
}

static Sub *
sub_new (const gchar * key, const gchar * props, const gchar * record)
{
  Sub *s = g_new0 (Sub, 1);
  GError *err = NULL;
  gchar *desc;

  g_mutex_init (&s->lock);
  g_cond_init (&s->cond);
  s->record = record;
  desc = g_strdup_printf ("arclybussrc name=src stream-key=%s %s %s", key,
      props ? props : "", record ? "arclytsmux name=mux ! filesink name=out"
      : "");
  s->pipe = gst_parse_launch (desc, &err);
  g_free (desc);
  fail_unless (s->pipe != NULL, "%s", err ? err->message : "?");
  if (!GST_IS_PIPELINE (s->pipe)) {
    GstElement *only = s->pipe;

    s->pipe = gst_pipeline_new (NULL);
    gst_bin_add (GST_BIN (s->pipe), only);
  }
  if (record) {
    GstElement *out = gst_bin_get_by_name (GST_BIN (s->pipe), "out");
    g_object_set (out, "location", record, NULL);
    gst_object_unref (out);
  }
  s->src = gst_bin_get_by_name (GST_BIN (s->pipe), "src");
  g_signal_connect (s->src, "pad-added", G_CALLBACK (pad_added), s);
  g_signal_connect (s->src, "no-more-pads", G_CALLBACK (no_more_pads), s);
  return s;
}

static void
sub_play (Sub * s)
{
  s->t_play = g_get_monotonic_time ();
  fail_if (gst_element_set_state (s->pipe, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
}

#define SUB_WAIT(s, pred) G_STMT_START {                                \
    gint64 _d = g_get_monotonic_time () + WAIT_US;                      \
    g_mutex_lock (&(s)->lock);                                          \
    while (!(pred))                                                     \
      if (!g_cond_wait_until (&(s)->cond, &(s)->lock, _d))              \
        break;                                                          \
    fail_unless (pred, "timed out waiting for " #pred);                 \
    g_mutex_unlock (&(s)->lock);                                        \
  } G_STMT_END

static void
sub_free (Sub * s)
{
  g_mutex_lock (&s->lock);
  s->block = FALSE;
  s->block_at = 0;
  g_cond_broadcast (&s->cond);
  g_mutex_unlock (&s->lock);
  gst_element_set_state (s->pipe, GST_STATE_NULL);
  gst_object_unref (s->src);
  gst_object_unref (s->pipe);
  g_mutex_clear (&s->lock);
  g_cond_clear (&s->cond);
  g_free (s);
}

static gint
cmp_i64 (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;
  return x < y ? -1 : x > y;
}

/* Threads of ours still alive in this process: delivery threads, their
 * watchdogs, subscribers' control threads (names as in /proc, 15 chars). */
static guint
arcly_threads (void)
{
  GDir *dir = g_dir_open ("/proc/self/task", 0, NULL);
  const gchar *tid;
  guint n = 0;

  fail_unless (dir != NULL);
  while ((tid = g_dir_read_name (dir)) != NULL) {
    gchar *path = g_build_filename ("/proc/self/task", tid, "comm", NULL);
    gchar *comm = NULL;

    if (g_file_get_contents (path, &comm, NULL, NULL) &&
        (g_str_has_prefix (comm, "arclybus-") ||
            g_str_has_prefix (comm, "arclybussrc")))
      n++;
    g_free (comm);
    g_free (path);
  }
  g_dir_close (dir);
  return n;
}

/* after a teardown: every thread of ours ends (bounded; the delivery
 * threads are detached and finish their last unref after NULL returns) */
static void
check_no_thread_left (void)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_US;
  guint n;

  while ((n = arcly_threads ()) > 0 && g_get_monotonic_time () < deadline)
    g_usleep (1000);
  fail_unless_equals_int (n, 0);
}

/* ---------------------------------------------------------------- tests */

/* Ten subscriber pipelines join a running publisher at random moments of
 * its 2 s GOP: each starts from the cached keyframe (DISCONT), decodes a
 * first picture at once, and its first audio buffer is within one AAC
 * frame of its first video frame.  Then the publisher goes first, the
 * subscribers after, in alternating order. */
GST_START_TEST (test_late_joiners_start_from_cache)
{
  Pub *p;
  Sub *subs[10];
  gint64 lat[10];
  GRand *rand = g_rand_new_with_seed (14);
  GstStructure *st;
  guint i, n_subs = 0;

  require ("avdec_h264");
  p = pub_new ("cam-join", 160, NULL);
  pub_play (p);
  pub_wait_frames (p, 70);
  for (i = 0; i < G_N_ELEMENTS (subs); i++) {
    Sub *s;

    pub_wait_frames (p, g_rand_int_range (rand, 3, 50));
    s = subs[i] = sub_new ("cam-join", NULL, NULL);
    sub_play (s);
    SUB_WAIT (s, s->n_decoded >= 1 && s->n_a >= 1 && s->no_more_pads);
    lat[i] = s->t_decoded - s->t_play;
    g_mutex_lock (&s->lock);
    GST_INFO ("subscriber %u: first picture after %.1f ms, audio %+.1f ms "
        "from video", i, lat[i] / 1000.0,
        ((gdouble) s->first_a - (gdouble) s->first_v) / GST_MSECOND);
    fail_unless (s->first_v_flags & GST_BUFFER_FLAG_DISCONT);
    fail_if (s->first_v_flags & GST_BUFFER_FLAG_DELTA_UNIT,
        "the first video buffer is not a keyframe");
    fail_unless (s->first_a_flags & GST_BUFFER_FLAG_DISCONT);
    fail_unless (s->first_a >= s->first_v
        && s->first_a - s->first_v <= AUDIO_FRAME,
        "audio starts %" GST_STIME_FORMAT " from video",
        GST_STIME_ARGS ((gint64) s->first_a - (gint64) s->first_v));
    g_mutex_unlock (&s->lock);
    n_subs++;
  }
  /* the publisher's view */
  {
    GstElement *sink = gst_bin_get_by_name (GST_BIN (p->pipe), "sink");
    guint n = 0;
    const GValue *arr;

    g_object_get (sink, "stats", &st, NULL);
    fail_unless (gst_structure_get_uint (st, "subscribers", &n));
    fail_unless_equals_int (n, 10);
    arr = gst_structure_get_value (st, "subscriber-stats");
    fail_unless_equals_int (gst_value_array_get_size (arr), 10);
    gst_structure_free (st);
    gst_object_unref (sink);
  }
  for (i = 0; i < n_subs; i++) {
    Sub *s = subs[i];

    SUB_WAIT (s, s->n_v >= 40);
    g_mutex_lock (&s->lock);
    fail_unless (s->monotonic_v, "video timestamps went backwards");
    g_mutex_unlock (&s->lock);
  }
  qsort (lat, n_subs, sizeof (gint64), cmp_i64);
  g_print ("arclybussrc late join: first decoded picture after %.1f ms "
      "(median of %u, min %.1f, max %.1f)\n", lat[n_subs / 2] / 1000.0,
      n_subs, lat[0] / 1000.0, lat[n_subs - 1] / 1000.0);
  fail_unless (lat[n_subs / 2] < SLOW * 100 * G_TIME_SPAN_MILLISECOND,
      "median %" G_GINT64_FORMAT " us", lat[n_subs / 2]);

  /* (the count sees our threads: delivery, watchdogs, 10 control threads) */
  fail_unless (arcly_threads () >= 10);
  /* teardown: publisher first, then the subscribers in alternating order */
  pub_free (p);
  for (i = 0; i < n_subs; i += 2)
    sub_free (subs[i]);
  for (i = 1; i < n_subs; i += 2)
    sub_free (subs[i]);
  check_no_thread_left ();
  g_rand_free (rand);
}

GST_END_TEST;

static gchar *
run_ffmpeg (const gchar * file)
{
  gchar *argv[] = { (gchar *) "ffmpeg", (gchar *) "-v", (gchar *) "error",
    (gchar *) "-i", (gchar *) file, (gchar *) "-f", (gchar *) "null",
    (gchar *) "-", NULL
  };
  gchar *out = NULL, *err = NULL;
  gint status = -1;

  fail_unless (g_spawn_sync (NULL, argv, NULL, G_SPAWN_SEARCH_PATH, NULL,
          NULL, &out, &err, &status, NULL), "ffmpeg not found");
  g_free (out);
  fail_unless (g_spawn_check_wait_status (status, NULL), "ffmpeg: %s", err);
  return err;
}

static gint
count_packets (const gchar * file, const gchar * stream)
{
  gchar *argv[] = { (gchar *) "ffprobe", (gchar *) "-v", (gchar *) "error",
    (gchar *) "-select_streams", (gchar *) stream, (gchar *) "-count_packets",
    (gchar *) "-show_entries", (gchar *) "stream=nb_read_packets",
    (gchar *) "-of", (gchar *) "csv=p=0", (gchar *) file, NULL
  };
  gchar *out = NULL;
  gint status = -1, n;

  fail_unless (g_spawn_sync (NULL, argv, NULL, G_SPAWN_SEARCH_PATH |
          G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out, NULL, &status, NULL));
  n = out ? atoi (out) : -1;
  g_free (out);
  return n;
}

/* A recorder pipeline subscribes mid-GOP, writes 5 s of MPEG-TS through
 * arclytsmux, ends with EOS: ffmpeg decodes it without a single error. */
GST_START_TEST (test_recorder_ts_decodes)
{
  gchar *dir = g_dir_make_tmp ("arclybus-key-XXXXXX", NULL);
  gchar *file = g_build_filename (dir, "rec.ts", NULL);
  Pub *p;
  Sub *s;
  GstMessage *m;
  GstBus *gbus;
  gchar *err;

  require ("arclytsmux");
  p = pub_new ("cam-rec", 160, NULL);
  pub_play (p);
  pub_wait_frames (p, 75);
  s = sub_new ("cam-rec", NULL, file);
  sub_play (s);
  SUB_WAIT (s, s->n_v >= 150);
  gst_element_send_event (s->src, gst_event_new_eos ());
  gbus = gst_element_get_bus (s->pipe);
  m = gst_bus_timed_pop_filtered (gbus, WAIT_US * 1000,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (m != NULL && GST_MESSAGE_TYPE (m) == GST_MESSAGE_EOS,
      "the recording did not end with EOS");
  gst_message_unref (m);
  gst_object_unref (gbus);
  sub_free (s);
  pub_free (p);

  err = run_ffmpeg (file);
  fail_unless (err == NULL || *err == '\0', "ffmpeg reported: %s", err);
  g_free (err);
  fail_unless (count_packets (file, "v:0") >= 140);
  fail_unless (count_packets (file, "a:0") >= 200);
  g_unlink (file);
  g_rmdir (dir);
  g_free (file);
  g_free (dir);
}

GST_END_TEST;

/* on-unpublish=wait: the publisher stops, the subscriber keeps running and
 * resumes with the next publisher (new segment, DISCONT, timestamps still
 * going forward); on-unpublish=eos: it ends. */
GST_START_TEST (test_publisher_restart)
{
  Pub *p = pub_new ("cam-restart", 160, NULL);
  Sub *wait = sub_new ("cam-restart", NULL, NULL);
  Sub *eos = sub_new ("cam-restart", "on-unpublish=eos", NULL);
  guint segs;

  pub_play (p);
  sub_play (wait);
  sub_play (eos);
  SUB_WAIT (wait, wait->n_v >= 20);
  SUB_WAIT (eos, eos->n_v >= 20);
  pub_free (p);

  SUB_WAIT (eos, eos->n_eos >= 2);
  g_mutex_lock (&wait->lock);
  wait->marked = TRUE;
  wait->last_before_mark = wait->last_v;
  segs = wait->n_segments_v;
  g_mutex_unlock (&wait->lock);

  p = pub_new ("cam-restart", 160, NULL);
  pub_play (p);
  SUB_WAIT (wait, wait->n_after_mark >= 20);
  g_mutex_lock (&wait->lock);
  fail_unless_equals_int (wait->n_eos, 0);
  fail_unless (wait->after_mark_flags & GST_BUFFER_FLAG_DISCONT);
  fail_if (wait->after_mark_flags & GST_BUFFER_FLAG_DELTA_UNIT);
  fail_unless (wait->n_segments_v > segs, "no new segment");
  fail_unless (wait->first_after_mark > wait->last_before_mark,
      "timestamps went back at the restart");
  fail_unless (wait->monotonic_v);
  g_mutex_unlock (&wait->lock);

  /* teardown: subscribers first this time */
  sub_free (wait);
  sub_free (eos);
  pub_free (p);
  check_no_thread_left ();
}

GST_END_TEST;

/* A subscriber started before anything is published waits (no pads, no
 * error), then starts with the publisher. */
GST_START_TEST (test_subscriber_before_publisher)
{
  Sub *s = sub_new ("cam-early", NULL, NULL);
  GstBus *gbus = gst_element_get_bus (s->pipe);
  GstMessage *m;
  Pub *p;

  sub_play (s);
  p = pub_new ("cam-early", 160, NULL);
  /* nothing happened meanwhile, and nothing went wrong */
  g_mutex_lock (&s->lock);
  fail_if (s->no_more_pads);
  g_mutex_unlock (&s->lock);
  m = gst_bus_pop_filtered (gbus, GST_MESSAGE_ERROR);
  fail_unless (m == NULL);
  pub_play (p);
  SUB_WAIT (s, s->no_more_pads && s->n_decoded >= 10 && s->n_a >= 10);
  {
    GstQuery *q = gst_query_new_latency ();
    gboolean live = FALSE;

    GstPad *pad = gst_element_get_static_pad (s->src, "src_0");

    /* a live source (the sinks here do not sync, so ask its pad) */
    fail_unless (pad != NULL);
    fail_unless (gst_pad_query (pad, q));
    gst_query_parse_latency (q, &live, NULL, NULL);
    fail_unless (live);
    gst_query_unref (q);
    gst_object_unref (pad);
  }
  gst_object_unref (gbus);
  pub_free (p);
  sub_free (s);
}

GST_END_TEST;

/* A second publisher on a key fails with a clear error; with replace=true
 * it takes over and the subscriber continues with its stream. */
GST_START_TEST (test_replace)
{
  Pub *p1 = pub_new ("cam-replace", 160, NULL);
  Pub *p2 = pub_new ("cam-replace", 320, NULL);
  Pub *p3 = pub_new ("cam-replace", 320, "replace=true");
  Sub *s = sub_new ("cam-replace", NULL, NULL);
  GstBus *gbus;
  GstMessage *m;
  GError *err = NULL;

  pub_play (p1);
  sub_play (s);
  SUB_WAIT (s, s->n_decoded >= 10);
  g_mutex_lock (&s->lock);
  fail_unless_equals_int (s->width, 160);
  g_mutex_unlock (&s->lock);

  fail_unless_equals_int (gst_element_set_state (p2->pipe,
          GST_STATE_PLAYING), GST_STATE_CHANGE_FAILURE);
  gbus = gst_element_get_bus (p2->pipe);
  m = gst_bus_pop_filtered (gbus, GST_MESSAGE_ERROR);
  fail_unless (m != NULL, "no error message");
  gst_message_parse_error (m, &err, NULL);
  fail_unless (g_error_matches (err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_BUSY));
  fail_unless (strstr (err->message, "cam-replace") != NULL);
  g_clear_error (&err);
  gst_message_unref (m);
  gst_object_unref (gbus);
  pub_free (p2);

  g_mutex_lock (&s->lock);
  s->marked = TRUE;
  g_mutex_unlock (&s->lock);
  pub_play (p3);
  SUB_WAIT (s, s->width == 320 && s->n_after_mark >= 30);
  SUB_WAIT (s, s->n_decoded >= 40);
  pub_free (p1);
  pub_free (p3);
  sub_free (s);
}

GST_END_TEST;

/* One subscriber pipeline whose video sink never returns: the publisher and
 * the other subscribers go on at full rate. */
GST_START_TEST (test_stalled_subscriber_isolated)
{
  Pub *p = pub_new ("cam-stall", 160, NULL);
  Sub *stalled = sub_new ("cam-stall", NULL, NULL);
  Sub *a = sub_new ("cam-stall", NULL, NULL);
  Sub *b = sub_new ("cam-stall", NULL, NULL);
  guint na, nb;

  pub_play (p);
  /* (after a few buffers: a sink that never gets its first one keeps the
   * subscriber pipeline from PLAYING, and a live source drops meanwhile) */
  stalled->block_at = 5;
  sub_play (stalled);
  sub_play (a);
  sub_play (b);
  SUB_WAIT (stalled, stalled->n_v >= 5);
  GST_INFO ("stalled");
  SUB_WAIT (a, a->n_v >= 5);
  SUB_WAIT (b, b->n_v >= 5);
  GST_INFO ("a, b started");
  g_mutex_lock (&a->lock);
  na = a->n_v;
  g_mutex_unlock (&a->lock);
  g_mutex_lock (&b->lock);
  nb = b->n_v;
  g_mutex_unlock (&b->lock);
  pub_wait_frames (p, 60);
  GST_INFO ("60 published");
  /* the others got (nearly) all of the 60 frames: nothing waited */
  SUB_WAIT (a, a->n_v >= na + 55);
  SUB_WAIT (b, b->n_v >= nb + 55);
  g_mutex_lock (&stalled->lock);
  fail_unless_equals_int (stalled->n_v, 5);
  g_mutex_unlock (&stalled->lock);
  /* teardown while it is still stalled */
  pub_free (p);
  sub_free (a);
  sub_free (stalled);
  sub_free (b);
  check_no_thread_left ();
}

GST_END_TEST;

static GstMessage *
pop_element_message (GstElement * pipe, const gchar * name)
{
  GstBus *gbus = gst_element_get_bus (pipe);
  gint64 deadline = g_get_monotonic_time () + WAIT_US;
  GstMessage *found = NULL;

  while (!found && g_get_monotonic_time () < deadline) {
    GstMessage *m = gst_bus_timed_pop_filtered (gbus, 100 * GST_MSECOND,
        GST_MESSAGE_ELEMENT);

    if (m && gst_message_has_name (m, name))
      found = m;
    else if (m)
      gst_message_unref (m);
  }
  gst_object_unref (gbus);
  return found;
}

/* A subscriber held up for two seconds with max-lag-time=200 ms skips to the
 * newest keyframe: arcly-bus-lagged on its own pipeline (with the key),
 * counted in its stats and in the publisher's per-subscriber stats; the
 * publisher is told of subscribers coming and going. */
GST_START_TEST (test_lag_messages_and_stats)
{
  Pub *p = pub_new ("cam-lag", 160, NULL);
  Sub *s = sub_new ("cam-lag", "max-lag-time=200000000", NULL);
  GstElement *sink = gst_bin_get_by_name (GST_BIN (p->pipe), "sink");
  GstMessage *m;
  GstStructure *st;
  const GValue *arr;
  guint64 lagged = 0, dropped = 0;
  const gchar *key;

  pub_play (p);
  s->block_at = 5;
  sub_play (s);
  m = pop_element_message (p->pipe, "arcly-bus-subscribed");
  fail_unless (m != NULL, "no arcly-bus-subscribed");
  key = gst_structure_get_string (gst_message_get_structure (m),
      "stream-key");
  fail_unless_equals_string (key, "cam-lag");
  gst_message_unref (m);

  SUB_WAIT (s, s->n_v >= 5);
  /* past the next keyframe (2 s GOP): somewhere newer to skip to */
  pub_wait_frames (p, 70);
  g_mutex_lock (&s->lock);
  s->block = FALSE;
  s->block_at = 0;
  g_cond_broadcast (&s->cond);
  g_mutex_unlock (&s->lock);
  m = pop_element_message (s->pipe, "arcly-bus-lagged");
  fail_unless (m != NULL, "no arcly-bus-lagged on the subscriber");
  fail_unless_equals_string (gst_structure_get_string
      (gst_message_get_structure (m), "stream-key"), "cam-lag");
  fail_unless (GST_MESSAGE_SRC (m) == GST_OBJECT_CAST (s->src));
  gst_message_unref (m);

  g_object_get (s->src, "stats", &st, NULL);
  fail_unless (gst_structure_has_name (st, "arcly-bussrc-stats"));
  fail_unless (gst_structure_get_uint64 (st, "lagged", &lagged));
  fail_unless (gst_structure_get_uint64 (st, "frames-dropped", &dropped));
  fail_unless (lagged >= 1 && dropped >= 1);
  gst_structure_free (st);
  g_object_get (sink, "stats", &st, NULL);
  fail_unless (gst_structure_has_name (st, "arcly-bussink-stats"));
  arr = gst_structure_get_value (st, "subscriber-stats");
  fail_unless_equals_int (gst_value_array_get_size (arr), 1);
  fail_unless (gst_structure_get_uint64 (gst_value_get_structure
          (gst_value_array_get_value (arr, 0)), "lagged", &lagged));
  fail_unless (lagged >= 1);
  gst_structure_free (st);

  sub_free (s);
  m = pop_element_message (p->pipe, "arcly-bus-unsubscribed");
  fail_unless (m != NULL, "no arcly-bus-unsubscribed");
  gst_message_unref (m);
  gst_object_unref (sink);
  pub_free (p);
}

GST_END_TEST;

/* A subscriber whose sinks sync to the clock, as an RTSP server's do, joins
 * when the cached keyframe is 0.8 s old, with 300 ms of pipeline latency:
 * it runs 1.1 s behind the publisher by design, past the publisher's
 * max-lag-time (1 s, the default).  That is not lag: nothing is skipped,
 * audio and video come at the publisher's rate.  (Counted from live, the
 * audio skipped to the newest buffer, which the sink held for 1.1 s, late
 * again: one audio buffer a second, the video skipping a GOP at a time.) */
GST_START_TEST (test_synced_subscriber_not_lagged)
{
  Pub *p = pub_new ("cam-sync", 160, NULL);
  Sub *s = sub_new ("cam-sync", NULL, NULL);
  GstStructure *st;
  guint64 lagged = G_MAXUINT64, dropped = G_MAXUINT64;
  guint n_a, n_v;

  s->sync = TRUE;
  gst_pipeline_set_latency (GST_PIPELINE (s->pipe), 300 * GST_MSECOND);
  pub_play (p);
  pub_wait_key_age (p, 24);
  sub_play (s);
  SUB_WAIT (s, s->n_v >= 1 && s->n_a >= 1);
  g_mutex_lock (&s->lock);
  n_a = s->n_a;
  n_v = s->n_v;
  g_mutex_unlock (&s->lock);
  /* 3 s: past the next keyframe, three times the max-lag-time */
  pub_wait_frames (p, 90);
  g_mutex_lock (&s->lock);
  GST_INFO ("in 90 published frames: %u video, %u audio buffers",
      s->n_v - n_v, s->n_a - n_a);
  /* 3 s are 90 frames, 140 AAC frames; a margin for the scheduling */
  fail_unless (s->n_a - n_a >= 110, "%u audio buffers in 3 s", s->n_a - n_a);
  fail_unless (s->n_v - n_v >= 70, "%u video frames in 3 s", s->n_v - n_v);
  g_mutex_unlock (&s->lock);
  g_object_get (s->src, "stats", &st, NULL);
  fail_unless (gst_structure_get_uint64 (st, "lagged", &lagged));
  fail_unless (gst_structure_get_uint64 (st, "frames-dropped", &dropped));
  gst_structure_free (st);
  fail_unless_equals_uint64 (lagged, 0);
  fail_unless_equals_uint64 (dropped, 0);
  sub_free (s);
  pub_free (p);
}

GST_END_TEST;

/* The publisher's max-lag evicts a subscriber that dropped too much: it
 * gets arcly-bus-evicted and EOS on that stream even with
 * on-unpublish=wait, and the publisher goes on. */
GST_START_TEST (test_evicted_subscriber_ends)
{
  Pub *p = pub_new ("cam-evict", 160, "max-lag=10");
  Sub *s = sub_new ("cam-evict", NULL, NULL);
  GstMessage *m;
  gboolean evicted = FALSE;
  GstStructure *st;

  pub_play (p);
  s->block_at = 5;
  sub_play (s);
  SUB_WAIT (s, s->n_v >= 5);
  pub_wait_frames (p, 70);
  g_mutex_lock (&s->lock);
  s->block = FALSE;
  s->block_at = 0;
  g_cond_broadcast (&s->cond);
  g_mutex_unlock (&s->lock);
  m = pop_element_message (s->pipe, "arcly-bus-evicted");
  fail_unless (m != NULL, "no arcly-bus-evicted on the subscriber");
  gst_message_unref (m);
  SUB_WAIT (s, s->n_eos >= 1);
  g_object_get (s->src, "stats", &st, NULL);
  fail_unless (gst_structure_get_boolean (st, "evicted", &evicted));
  fail_unless (evicted);
  gst_structure_free (st);
  pub_wait_frames (p, 10);
  sub_free (s);
  pub_free (p);
}

GST_END_TEST;

/* A source whose pads come one by one: audio is requested on a publishing
 * arclybussink; a subscriber attached to the video alone gets an audio pad
 * and audio buffers too. */
GST_START_TEST (test_stream_added_while_publishing)
{
  GError *err = NULL;
  GstElement *pub = gst_parse_launch ("videotestsrc is-live=true ! "
      "video/x-raw,format=I420,width=160,height=120,framerate=30/1 ! "
      "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=30 "
      "option-string=scenecut=0 ! h264parse ! arclybussink name=sink "
      "stream-key=cam-grow", &err);
  GstElement *sink, *abin;
  GstPad *apad, *asrc;
  Sub *s = sub_new ("cam-grow", NULL, NULL);
  gchar *desc;

  fail_unless (pub != NULL, "%s", err ? err->message : "?");
  sink = gst_bin_get_by_name (GST_BIN (pub), "sink");
  fail_if (gst_element_set_state (pub, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  sub_play (s);
  SUB_WAIT (s, s->no_more_pads && s->n_decoded >= 5);

  desc = g_strdup_printf ("audiotestsrc is-live=true ! "
      "audio/x-raw,rate=48000,channels=1 ! audioconvert ! %s", aac_encoder ());
  abin = gst_parse_bin_from_description (desc, TRUE, &err);
  g_free (desc);
  fail_unless (abin != NULL);
  gst_bin_add (GST_BIN (pub), abin);
  apad = gst_element_request_pad_simple (sink, "sink_%u");
  fail_unless (apad != NULL, "no sink pad while publishing");
  asrc = gst_element_get_static_pad (abin, "src");
  fail_unless_equals_int (gst_pad_link (asrc, apad), GST_PAD_LINK_OK);
  gst_object_unref (asrc);
  gst_element_sync_state_with_parent (abin);
  SUB_WAIT (s, s->n_a >= 10);
  g_mutex_lock (&s->lock);
  fail_unless (s->first_a_flags & GST_BUFFER_FLAG_DISCONT);
  g_mutex_unlock (&s->lock);

  sub_free (s);
  gst_element_set_state (pub, GST_STATE_NULL);
  gst_element_release_request_pad (sink, apad);
  gst_object_unref (apad);
  gst_object_unref (sink);
  gst_object_unref (pub);
}

GST_END_TEST;

static Suite *
arclybus_key_suite (void)
{
  Suite *s = suite_create ("arclybus-key");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_late_joiners_start_from_cache);
  tcase_add_test (tc, test_recorder_ts_decodes);
  tcase_add_test (tc, test_publisher_restart);
  tcase_add_test (tc, test_subscriber_before_publisher);
  tcase_add_test (tc, test_replace);
  tcase_add_test (tc, test_stalled_subscriber_isolated);
  tcase_add_test (tc, test_lag_messages_and_stats);
  tcase_add_test (tc, test_synced_subscriber_not_lagged);
  tcase_add_test (tc, test_stream_added_while_publishing);
  tcase_add_test (tc, test_evicted_subscriber_ends);
  return s;
}

GST_CHECK_MAIN (arclybus_key);
