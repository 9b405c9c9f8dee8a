/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * arclybussink / arclybussrc across pipelines on different clocks: a live
 * H.264 + AAC publisher on the system clock, subscribers each on a
 * GstTestClock of their own that the test drives from the publisher's
 * progress, one running 4 % fast, one 4 % slow, from an unrelated start
 * time (so also another base time).  Real clocks (an audio device's, a
 * network clock) drift by a few ppm; 4 % shows in seconds what they do in
 * hours.  Each subscriber's timestamps must follow its own clock: a buffer
 * published at publisher running time r comes out at rate * r + constant,
 * audio and video on one mapping, and its synced sinks drop nothing.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <gst/check/gsttestclock.h>

/* GMutex is futex based and invisible to ThreadSanitizer: annotate the
 * test's own lock (see gstarclybus-private.h) */
#if defined(__SANITIZE_THREAD__)
#define ARCLY_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define ARCLY_TSAN 1
#endif
#endif
#ifdef ARCLY_TSAN
void __tsan_acquire (void *addr);
void __tsan_release (void *addr);
#define TSAN_ACQUIRE(a) __tsan_acquire (a)
#define TSAN_RELEASE(a) __tsan_release (a)
#else
#define TSAN_ACQUIRE(a) G_STMT_START { } G_STMT_END
#define TSAN_RELEASE(a) G_STMT_START { } G_STMT_END
#endif
#define T_LOCK(m) G_STMT_START { g_mutex_lock (m); TSAN_ACQUIRE (m); } G_STMT_END
#define T_UNLOCK(m) G_STMT_START { TSAN_RELEASE (m); g_mutex_unlock (m); } G_STMT_END

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SLOW 5
#else
#define SLOW 1
#endif
#define WAIT_US (SLOW * 10 * G_TIME_SPAN_SECOND)
#define AUDIO_FRAME (1024 * GST_SECOND / 48000)
/* what the subscriber's sinks accept as late before they drop: a thread
 * held up on a loaded machine is late too, but not by more and more */
#define MAX_LATENESS (SLOW * 250 * GST_MSECOND)

typedef struct _Sub Sub;

/* what the publisher sent: the memory of each buffer (the bus hands every
 * subscriber the same memory) -> its running time and publication order */
typedef struct
{
  GstClockTime pts;
  guint seq;
} Sent;

typedef struct
{
  GstElement *pipe;
  GstClock *clock;              /* the system clock it runs on */
  GstClockTime clock_start;
  GMutex lock;
  GCond cond;
  GHashTable *sent;             /* GstMemory * -> Sent * */
  guint seq;                    /* buffers published (both streams) */
  guint frames;                 /* video frames published */
  guint key_at;                 /* ... when the last keyframe was */
  Sub *subs[2];                 /* their clocks follow ours */
  guint n_subs;
} Pub;

struct _Sub
{
  Pub *pub;
  gdouble rate;                 /* of its clock against the publisher's */
  GstClock *clock;              /* (GstTestClock) */
  GstClockTime clock_start;
  GstElement *pipe, *src;
  GstElement *sinks[2];
  guint n_sinks;
  /* under the publisher's lock */
  guint live_from;              /* first publication after the joining */
  guint n_v, n_a, n_live;
  GstClockTime first_v, first_a;
  /* out PTS - rate * publisher PTS, over the live buffers */
  gint64 dev_min, dev_max;
  /* out PTS - publisher PTS of the last video buffer (and when it came);
   * the largest distance of an audio buffer's from it, past what the
   * mapping may move in the time between them */
  gboolean have_d_v;
  gint64 d_v, t_v, av_max;
  /* out PTS - the subscriber's running time when it came out */
  gint64 early_min, early_max;
  /* timestamps that did not increase, per stream (video, audio) */
  GstClockTime last[2];
  guint n_backwards;
};

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

/* with the publisher's lock: the subscribers' clocks at rate x ours */
static void
drive_clocks (Pub * p)
{
  GstClockTime now = gst_clock_get_time (p->clock);
  guint i;

  for (i = 0; i < p->n_subs; i++) {
    Sub *s = p->subs[i];
    GstClockTime t = s->clock_start +
        (GstClockTime) ((now - p->clock_start) * s->rate);

    GstTestClock *tc = GST_TEST_CLOCK (s->clock);
    GstClockID id;

    if (t > gst_clock_get_time (s->clock))
      gst_test_clock_set_time (tc, t);
    /* a GstTestClock wakes a waiter only when told to: the sinks' waits
     * that are due now */
    while ((id = gst_test_clock_process_next_clock_id (tc)) != NULL)
      gst_clock_id_unref (id);
  }
}

static GstPadProbeReturn
pub_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  Pub *p = data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  gboolean video = g_object_get_data (G_OBJECT (pad), "video") != NULL;
  Sent *sent = g_new (Sent, 1);
  GstEvent *ev = gst_pad_get_sticky_event (pad, GST_EVENT_SEGMENT, 0);
  const GstSegment *seg;

  /* in running time: encoders may start their segments anywhere */
  fail_unless (ev != NULL);
  gst_event_parse_segment (ev, &seg);
  T_LOCK (&p->lock);
  sent->pts = gst_segment_to_running_time (seg, GST_FORMAT_TIME,
      GST_BUFFER_PTS (buf));
  gst_event_unref (ev);
  sent->seq = ++p->seq;
  g_hash_table_insert (p->sent, gst_buffer_peek_memory (buf, 0), sent);
  if (video) {
    p->frames++;
    if (!GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT))
      p->key_at = p->frames;
  }
  drive_clocks (p);
  g_cond_broadcast (&p->cond);
  T_UNLOCK (&p->lock);
  return GST_PAD_PROBE_OK;
}

static Pub *
pub_new (const gchar * key)
{
  Pub *p = g_new0 (Pub, 1);
  GError *err = NULL;
  GstElement *sink;
  GstPad *pad;
  gchar *desc;
  guint i;

  desc = g_strdup_printf ("videotestsrc is-live=true pattern=ball ! "
      "video/x-raw,format=I420,width=160,height=120,framerate=30/1 ! "
      "x264enc tune=zerolatency speed-preset=ultrafast bitrate=300 "
      "key-int-max=60 option-string=scenecut=0 ! h264parse ! "
      "arclybussink name=sink stream-key=%s "
      "audiotestsrc is-live=true wave=ticks ! "
      "audio/x-raw,rate=48000,channels=1 ! audioconvert ! %s ! sink.",
      key, aac_encoder ());
  p->pipe = gst_parse_launch (desc, &err);
  g_free (desc);
  fail_unless (p->pipe != NULL, "%s", err ? err->message : "?");
  g_mutex_init (&p->lock);
  g_cond_init (&p->cond);
  p->sent = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  p->clock = gst_system_clock_obtain ();
  gst_pipeline_use_clock (GST_PIPELINE (p->pipe), p->clock);
  p->clock_start = gst_clock_get_time (p->clock);
  sink = gst_bin_get_by_name (GST_BIN (p->pipe), "sink");
  for (i = 0; i < 2; i++) {
    gchar *name = g_strdup_printf ("sink_%u", i);

    pad = gst_element_get_static_pad (sink, name);
    fail_unless (pad != NULL);
    if (i == 0)
      g_object_set_data (G_OBJECT (pad), "video", GINT_TO_POINTER (1));
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, pub_probe, p, NULL);
    gst_object_unref (pad);
    g_free (name);
  }
  gst_object_unref (sink);
  return p;
}

#define PUB_WAIT(p, pred) G_STMT_START {                                \
    gint64 _d = g_get_monotonic_time () + WAIT_US;                      \
    T_LOCK (&(p)->lock);                                                \
    while (!(pred)) {                                                   \
      gboolean _ok;                                                     \
      TSAN_RELEASE (&(p)->lock);                                        \
      _ok = g_cond_wait_until (&(p)->cond, &(p)->lock, _d);             \
      TSAN_ACQUIRE (&(p)->lock);                                        \
      if (!_ok)                                                         \
        break;                                                          \
    }                                                                   \
    fail_unless (pred, "timed out waiting for " #pred);                 \
    T_UNLOCK (&(p)->lock);                                              \
  } G_STMT_END

static void
pub_free (Pub * p)
{
  gst_element_set_state (p->pipe, GST_STATE_NULL);
  gst_object_unref (p->pipe);
  gst_object_unref (p->clock);
  g_hash_table_unref (p->sent);
  g_mutex_clear (&p->lock);
  g_cond_clear (&p->cond);
  g_free (p);
}

/* on the subscriber's delivery threads */
static GstPadProbeReturn
sub_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  Sub *s = data;
  Pub *p = s->pub;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  gboolean video = g_object_get_data (G_OBJECT (pad), "video") != NULL;
  GstClockTime pts = GST_BUFFER_PTS (buf);
  gint64 rt = (gint64) gst_clock_get_time (s->clock) -
      (gint64) gst_element_get_base_time (s->pipe);
  Sent *sent;

  fail_unless (GST_CLOCK_TIME_IS_VALID (pts));
  T_LOCK (&p->lock);
  sent = g_hash_table_lookup (p->sent, gst_buffer_peek_memory (buf, 0));
  fail_unless (sent != NULL, "a buffer the publisher did not send");
  if (s->n_v + s->n_a == 0)
    s->live_from = p->seq;
  if ((video ? s->n_v : s->n_a) > 0 && pts <= s->last[video ? 0 : 1])
    s->n_backwards++;
  s->last[video ? 0 : 1] = pts;
  if (video && s->n_v++ == 0)
    s->first_v = pts;
  if (!video && s->n_a++ == 0)
    s->first_a = pts;
  if (sent->seq > s->live_from) {
    gint64 dev = (gint64) pts - (gint64) (sent->pts * s->rate);
    gint64 early = (gint64) pts - rt;

    if (s->n_live++ == 0) {
      s->dev_min = s->dev_max = dev;
      s->early_min = s->early_max = early;
    }
    s->dev_min = MIN (s->dev_min, dev);
    s->dev_max = MAX (s->dev_max, dev);
    s->early_min = MIN (s->early_min, early);
    s->early_max = MAX (s->early_max, early);
  }
  if (video) {
    s->d_v = (gint64) pts - (gint64) sent->pts;
    s->t_v = g_get_monotonic_time ();
    s->have_d_v = TRUE;
  } else if (s->have_d_v) {
    gint64 d = (gint64) pts - (gint64) sent->pts - s->d_v;
    /* the mapping moves at most a tenth of the time elapsed */
    gint64 slew = (g_get_monotonic_time () - s->t_v) * GST_USECOND / 10;

    s->av_max = MAX (s->av_max, ABS (d) - slew);
  }
  g_cond_broadcast (&p->cond);
  T_UNLOCK (&p->lock);
  return GST_PAD_PROBE_OK;
}

/* on arclybussrc's control thread */
static void
pad_added (GstElement * src, GstPad * pad, gpointer data)
{
  Sub *s = data;
  GstCaps *caps = gst_pad_get_current_caps (pad);
  GstElement *sink;
  GstPad *sinkpad;

  fail_unless (caps != NULL);
  if (g_str_has_prefix (gst_structure_get_name (gst_caps_get_structure (caps,
                  0)), "video/"))
    g_object_set_data (G_OBJECT (pad), "video", GINT_TO_POINTER (1));
  gst_caps_unref (caps);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, sub_probe, s, NULL);
  sink = gst_element_factory_make ("fakesink", NULL);
  g_object_set (sink, "sync", TRUE, "max-lateness", (gint64) MAX_LATENESS,
      "qos", TRUE, NULL);
  fail_unless (s->n_sinks < G_N_ELEMENTS (s->sinks));
  s->sinks[s->n_sinks++] = gst_object_ref (sink);
  gst_bin_add (GST_BIN (s->pipe), sink);
  sinkpad = gst_element_get_static_pad (sink, "sink");
  fail_unless_equals_int (gst_pad_link (pad, sinkpad), GST_PAD_LINK_OK);
  gst_object_unref (sinkpad);
  gst_element_sync_state_with_parent (sink);
}

/* joins @p's key on a test clock running at @rate x the publisher's, from
 * 1000 s on (another time, another base time) */
static Sub *
sub_new (Pub * p, const gchar * key, gdouble rate)
{
  Sub *s = g_new0 (Sub, 1);

  s->pub = p;
  s->rate = rate;
  s->clock = gst_test_clock_new_with_start_time (1000 * GST_SECOND);
  s->clock_start = 1000 * GST_SECOND;
  s->pipe = gst_pipeline_new (NULL);
  gst_pipeline_use_clock (GST_PIPELINE (s->pipe), s->clock);
  s->src = gst_element_factory_make ("arclybussrc", NULL);
  fail_unless (s->src != NULL);
  g_object_set (s->src, "stream-key", key, NULL);
  gst_bin_add (GST_BIN (s->pipe), s->src);
  g_signal_connect (s->src, "pad-added", G_CALLBACK (pad_added), s);
  T_LOCK (&p->lock);
  /* from now on its clock (at 1000 s now) is driven from the publisher's */
  s->clock_start -= (GstClockTime) ((gst_clock_get_time (p->clock) -
          p->clock_start) * rate);
  p->subs[p->n_subs++] = s;
  T_UNLOCK (&p->lock);
  return s;
}

static guint64
sink_dropped (GstElement * sink)
{
  GstStructure *st;
  guint64 dropped = G_MAXUINT64;

  g_object_get (sink, "stats", &st, NULL);
  fail_unless (gst_structure_get_uint64 (st, "dropped", &dropped));
  gst_structure_free (st);
  return dropped;
}

static void
check_sub (Sub * s, const gchar * what)
{
  Pub *p = s->pub;
  GstStructure *st;
  guint64 lagged = G_MAXUINT64, dropped = G_MAXUINT64;
  guint i;

  T_LOCK (&p->lock);
  GST_INFO ("%s clock: %u live buffers, out PTS - rate x publisher PTS "
      "within %.1f ms, %.1f..%.1f ms ahead of its running time, audio %.1f ms "
      "past the slew from video's mapping, first audio %+.1f ms from video", what,
      s->n_live, (s->dev_max - s->dev_min) / 1e6, s->early_min / 1e6,
      s->early_max / 1e6, s->av_max / 1e6,
      ((gdouble) s->first_a - (gdouble) s->first_v) / 1e6);
  fail_unless (s->n_live >= 600, "%s clock: %u live buffers", what,
      s->n_live);
  /* timestamps follow the subscriber's own clock: published 10 s apart,
   * they come out rate x 10 s apart; following the monotonic clock
   * instead, they drift 4 % = 400 ms from it */
  fail_unless (s->dev_max - s->dev_min <= 60 * GST_MSECOND,
      "%s clock: timestamps drift %.1f ms from the subscriber's clock", what,
      (s->dev_max - s->dev_min) / 1e6);
  /* moving the mapping never reorders a stream */
  fail_unless_equals_int (s->n_backwards, 0);
  /* in its running time, neither late nor drifting ahead */
  fail_unless (s->early_min > -(gint64) MAX_LATENESS,
      "%s clock: a buffer came out %.1f ms late", what, s->early_min / 1e6);
  fail_unless (s->early_max < SLOW * 2 * GST_SECOND, "%s clock: %.1f ms early",
      what, s->early_max / 1e6);
  /* audio and video on one mapping: an audio buffer's differs from the
   * last video buffer's by no more than the mapping may move in between
   * (a tenth of the time), within a millisecond */
  fail_unless (s->first_a >= s->first_v && s->first_a - s->first_v <=
      AUDIO_FRAME, "%s clock: audio starts %.1f ms from video", what,
      ((gdouble) s->first_a - (gdouble) s->first_v) / 1e6);
  fail_unless (s->av_max <= GST_MSECOND,
      "%s clock: audio %.1f ms off the video's mapping", what,
      s->av_max / 1e6);
  T_UNLOCK (&p->lock);

  /* no drift-induced drops: not in the sinks, not in the bus */
  for (i = 0; i < s->n_sinks; i++)
    fail_unless_equals_uint64 (sink_dropped (s->sinks[i]), 0);
  g_object_get (s->src, "stats", &st, NULL);
  fail_unless (gst_structure_get_uint64 (st, "lagged", &lagged));
  fail_unless (gst_structure_get_uint64 (st, "frames-dropped", &dropped));
  gst_structure_free (st);
  fail_unless_equals_uint64 (lagged, 0);
  fail_unless_equals_uint64 (dropped, 0);
}

static void
sub_free (Sub * s)
{
  guint i;

  gst_element_set_state (s->pipe, GST_STATE_NULL);
  for (i = 0; i < s->n_sinks; i++)
    gst_object_unref (s->sinks[i]);
  gst_object_unref (s->pipe);
  gst_object_unref (s->clock);
  g_free (s);
}

/* Two subscribers on clocks of their own, 4 % fast and 4 % slow against the
 * publisher's, join at a fresh keyframe and run for 10 s of the
 * publisher's time with clock-synced sinks. */
GST_START_TEST (test_subscribers_follow_their_clocks)
{
  Pub *p;
  Sub *fast, *slow;
  guint i;
  GstElementFactory *x264 = gst_element_factory_find ("x264enc");

  fail_unless (x264 != NULL, "x264enc is missing");
  gst_object_unref (x264);
  p = pub_new ("cam-clock");
  fast = sub_new (p, "cam-clock", 1.04);
  slow = sub_new (p, "cam-clock", 0.96);
  fail_if (gst_element_set_state (p->pipe, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  /* the next keyframe but one, just published: a small cache to replay */
  PUB_WAIT (p, p->key_at > 1 && p->frames == p->key_at);
  for (i = 0; i < p->n_subs; i++)
    fail_if (gst_element_set_state (p->subs[i]->pipe, GST_STATE_PLAYING) ==
        GST_STATE_CHANGE_FAILURE);
  PUB_WAIT (p, fast->n_v > 0 && fast->n_a > 0 && slow->n_v > 0
      && slow->n_a > 0);
  /* 10 s, in two waits of 5 (each bounded by WAIT_US) */
  for (i = 0; i < 2; i++) {
    guint target;

    T_LOCK (&p->lock);
    target = p->frames + 150;
    T_UNLOCK (&p->lock);
    PUB_WAIT (p, p->frames >= target);
  }
  check_sub (fast, "fast");
  check_sub (slow, "slow");

  gst_element_set_state (p->pipe, GST_STATE_NULL);
  T_LOCK (&p->lock);
  p->n_subs = 0;
  T_UNLOCK (&p->lock);
  sub_free (fast);
  sub_free (slow);
  pub_free (p);
}

GST_END_TEST;

static Suite *
arclybus_clock_suite (void)
{
  Suite *s = suite_create ("arclybus-clock");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_subscribers_follow_their_clocks);
  return s;
}

GST_CHECK_MAIN (arclybus_clock);
