/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * arclybus through its pads: a test publisher pad pushes into the sink pad,
 * test sink pads (or real elements) subscribe on request pads.  Every wait is
 * bounded; a missing element is a failure.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define ARCLY_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define ARCLY_SANITIZED 1
#endif
#endif

#if defined(__SANITIZE_THREAD__)
#define ARCLY_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define ARCLY_TSAN 1
#endif
#endif

/* GMutex is futex based and invisible to ThreadSanitizer: annotate the
 * test's own locks (see gstarclybus.c) */
#ifdef ARCLY_TSAN
void __tsan_acquire (void *addr);
void __tsan_release (void *addr);
#define TSAN_ACQUIRE(a) __tsan_acquire (a)
#define TSAN_RELEASE(a) __tsan_release (a)
#else
#define TSAN_ACQUIRE(a) G_STMT_START { } G_STMT_END
#define TSAN_RELEASE(a) G_STMT_START { } G_STMT_END
#endif

#define LOCK(m) G_STMT_START { g_mutex_lock (m); TSAN_ACQUIRE (m); } G_STMT_END
#define UNLOCK(m) G_STMT_START { TSAN_RELEASE (m); g_mutex_unlock (m); } G_STMT_END

static gboolean
cond_wait_until (GCond * c, GMutex * m, gint64 end)
{
  gboolean r;

  TSAN_RELEASE (m);
  r = g_cond_wait_until (c, m, end);
  TSAN_ACQUIRE (m);
  return r;
}

/* sanitized builds run several times slower, valgrind much slower: time
 * bounds are multiplied by SLOW */
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define ARCLY_ON_VALGRIND() (RUNNING_ON_VALGRIND)
#endif
#endif
#ifndef ARCLY_ON_VALGRIND
#define ARCLY_ON_VALGRIND() 0
#endif

static guint
slow_factor (void)
{
  if (ARCLY_ON_VALGRIND ())
    return 20;
#ifdef ARCLY_SANITIZED
  return 5;
#else
  return 1;
#endif
}

#define SLOW (slow_factor ())

#define FRAME_DUR (GST_SECOND / 30)

static GstStaticPadTemplate pub_tmpl = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);
static GstStaticPadTemplate sub_tmpl = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

/* ----------------------------------------------------------- publisher */

static gboolean
pub_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  if (GST_QUERY_TYPE (query) == GST_QUERY_LATENCY) {
    gst_query_set_latency (query, TRUE, 40 * GST_MSECOND, GST_SECOND);
    return TRUE;
  }
  if (GST_QUERY_TYPE (query) == GST_QUERY_POSITION) {
    gst_query_set_position (query, GST_FORMAT_TIME, 7 * GST_SECOND);
    return TRUE;
  }
  return gst_pad_query_default (pad, parent, query);
}

static gint fku_events;

static gboolean
pub_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  if (GST_EVENT_TYPE (event) == GST_EVENT_CUSTOM_UPSTREAM &&
      gst_event_has_name (event, "GstForceKeyUnit")) {
    gboolean all_headers = FALSE;

    gst_structure_get_boolean (gst_event_get_structure (event),
        "all-headers", &all_headers);
    if (all_headers)
      g_atomic_int_inc (&fku_events);
  }
  gst_event_unref (event);
  return TRUE;
}

static GstElement *
make_bus (GstPad ** pub, GstBus ** gbus)
{
  GstElement *el = gst_element_factory_make ("arclybus", NULL);
  GstPad *sink;

  fail_unless (el != NULL, "arclybus not found: is the plugin built?");
  *pub = gst_pad_new_from_static_template (&pub_tmpl, "pub");
  gst_pad_set_query_function (*pub, pub_query);
  gst_pad_set_event_function (*pub, pub_event);
  sink = gst_element_get_static_pad (el, "sink");
  fail_unless_equals_int (gst_pad_link (*pub, sink), GST_PAD_LINK_OK);
  gst_object_unref (sink);
  gst_pad_set_active (*pub, TRUE);
  *gbus = gst_bus_new ();
  gst_element_set_bus (el, *gbus);
  return el;
}

static void
start_stream (GstElement * el, GstPad * pub)
{
  GstSegment seg;
  GstCaps *caps;

  fail_unless_equals_int (gst_element_set_state (el, GST_STATE_PLAYING),
      GST_STATE_CHANGE_SUCCESS);
  gst_segment_init (&seg, GST_FORMAT_TIME);
  fail_unless (gst_pad_push_event (pub, gst_event_new_stream_start ("bus")));
  caps = gst_caps_new_empty_simple ("video/x-test");
  fail_unless (gst_pad_push_event (pub, gst_event_new_caps (caps)));
  gst_caps_unref (caps);
  fail_unless (gst_pad_push_event (pub, gst_event_new_segment (&seg)));
}

static GstBuffer *
make_frame (guint i, guint gop)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, 100 + (i % 7), NULL);

  GST_BUFFER_PTS (buf) = i * FRAME_DUR;
  GST_BUFFER_DURATION (buf) = FRAME_DUR;
  if (gop == 0 || i % gop != 0)
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
  if (gop == 0)
    GST_BUFFER_FLAG_UNSET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
  return buf;
}

static void
free_bus (GstElement * el, GstPad * pub, GstBus * gbus)
{
  gst_element_set_state (el, GST_STATE_NULL);
  gst_pad_set_active (pub, FALSE);
  gst_object_unref (pub);
  gst_bus_set_flushing (gbus, TRUE);
  gst_object_unref (gbus);
  gst_object_unref (el);
}

/* Waits for an element message named @name (bounded); returns its
 * structure copy or NULL. */
static GstStructure *
wait_message (GstBus * gbus, const gchar * name, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + SLOW * timeout_ms * 1000;

  while (g_get_monotonic_time () < deadline) {
    GstMessage *m = gst_bus_timed_pop_filtered (gbus, 50 * GST_MSECOND,
        GST_MESSAGE_ELEMENT);
    if (m) {
      const GstStructure *s = gst_message_get_structure (m);
      GstStructure *copy = NULL;

      if (gst_structure_has_name (s, name))
        copy = gst_structure_copy (s);
      gst_message_unref (m);
      if (copy)
        return copy;
    }
  }
  return NULL;
}

/* ---------------------------------------------------------- subscriber */

typedef struct
{
  GstPad *bus_pad;
  GstPad *sink;
  GMutex lock;
  GCond cond;
  GPtrArray *bufs;
  gboolean eos;
  guint n_eos;
  gboolean block;
  gboolean blocked;             /* inside a blocked chain */
  guint block_after;            /* start blocking after this many buffers */
  guint flush_start, flush_stop;
  gint64 first_buf_us;
  GString *log;                 /* "caps:<name> buf buf ..." */
  GString *elog;                /* every event and buffer, in order */
  guint delay_us;               /* a slow sink: time spent per buffer */
  GstFlowReturn fail_ret;       /* refuse buffers with this flow ... */
  guint fail_after;             /* ... once this many were received */
  guint refused;
  guint len_at_flush_stop;      /* buffers received before a flush-stop */
} Sub;

static GstFlowReturn
sub_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  Sub *s = gst_pad_get_element_private (pad);
  gint64 deadline = g_get_monotonic_time () + 30 * G_TIME_SPAN_SECOND;

  LOCK (&s->lock);
  if (s->fail_ret != GST_FLOW_OK && s->bufs->len >= s->fail_after) {
    s->refused++;
    g_cond_broadcast (&s->cond);
    UNLOCK (&s->lock);
    gst_buffer_unref (buf);
    return s->fail_ret;
  }
  g_string_append_printf (s->elog, "b%" G_GUINT64_FORMAT " ",
      GST_BUFFER_PTS (buf) / FRAME_DUR);
  if (s->block_after && s->bufs->len + 1 >= s->block_after) {
    s->block = TRUE;
    s->block_after = 0;
  }
  if (s->first_buf_us == 0)
    s->first_buf_us = g_get_monotonic_time ();
  g_ptr_array_add (s->bufs, buf);
  g_string_append (s->log, "buf ");
  g_cond_broadcast (&s->cond);
  /* a sink that does not return (bounded so a broken test cannot hang) */
  while (s->block && g_get_monotonic_time () < deadline) {
    s->blocked = TRUE;
    g_cond_broadcast (&s->cond);
    cond_wait_until (&s->cond, &s->lock, deadline);
  }
  s->blocked = FALSE;
  UNLOCK (&s->lock);
  if (s->delay_us)
    g_usleep (s->delay_us);
  return GST_FLOW_OK;
}

static gboolean
sub_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  Sub *s = gst_pad_get_element_private (pad);

  LOCK (&s->lock);
  g_string_append (s->elog, GST_EVENT_TYPE_NAME (event));
  if (GST_EVENT_TYPE (event) == GST_EVENT_SEGMENT) {
    const GstSegment *seg;

    gst_event_parse_segment (event, &seg);
    g_string_append_printf (s->elog, ":%" G_GUINT64_FORMAT,
        seg->base / GST_MSECOND);
  } else if (GST_EVENT_TYPE (event) == GST_EVENT_CUSTOM_DOWNSTREAM) {
    g_string_append_printf (s->elog, ":%s",
        gst_structure_get_name (gst_event_get_structure (event)));
  }
  g_string_append_c (s->elog, ' ');
  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS) {
    s->eos = TRUE;
    s->n_eos++;
  } else if (GST_EVENT_TYPE (event) == GST_EVENT_CAPS) {
    GstCaps *caps;

    gst_event_parse_caps (event, &caps);
    g_string_append_printf (s->log, "caps:%s ",
        gst_structure_get_name (gst_caps_get_structure (caps, 0)));
  } else if (GST_EVENT_TYPE (event) == GST_EVENT_FLUSH_START) {
    s->flush_start++;
  } else if (GST_EVENT_TYPE (event) == GST_EVENT_FLUSH_STOP) {
    s->flush_stop++;
    s->len_at_flush_stop = s->bufs->len;
  }
  g_cond_broadcast (&s->cond);
  UNLOCK (&s->lock);
  return gst_pad_event_default (pad, parent, event);
}

static Sub *
sub_new (GstElement * el)
{
  Sub *s = g_new0 (Sub, 1);

  g_mutex_init (&s->lock);
  g_cond_init (&s->cond);
  s->bufs = g_ptr_array_new_with_free_func ((GDestroyNotify) gst_buffer_unref);
  s->log = g_string_new (NULL);
  s->elog = g_string_new (NULL);
  s->bus_pad = gst_element_request_pad_simple (el, "src_%u");
  fail_unless (s->bus_pad != NULL);
  s->sink = gst_pad_new_from_static_template (&sub_tmpl, "sink");
  gst_pad_set_element_private (s->sink, s);
  gst_pad_set_chain_function (s->sink, sub_chain);
  gst_pad_set_event_function (s->sink, sub_event);
  gst_pad_set_active (s->sink, TRUE);
  fail_unless_equals_int (gst_pad_link (s->bus_pad, s->sink), GST_PAD_LINK_OK);
  return s;
}

static void
sub_unblock (Sub * s)
{
  LOCK (&s->lock);
  s->block = FALSE;
  s->block_after = 0;
  g_cond_broadcast (&s->cond);
  UNLOCK (&s->lock);
}

static void
sub_free (GstElement * el, Sub * s)
{
  sub_unblock (s);
  gst_element_release_request_pad (el, s->bus_pad);
  gst_object_unref (s->bus_pad);
  /* waits for a chain call still in progress */
  gst_pad_set_active (s->sink, FALSE);
  gst_object_unref (s->sink);
  g_ptr_array_unref (s->bufs);
  g_string_free (s->log, TRUE);
  g_string_free (s->elog, TRUE);
  g_mutex_clear (&s->lock);
  g_cond_clear (&s->cond);
  g_free (s);
}

static gboolean
sub_wait (Sub * s, guint n, gboolean eos, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + SLOW * timeout_ms * 1000;
  gboolean ok;

  LOCK (&s->lock);
  while (!(ok = (s->bufs->len >= n && (!eos || s->eos))))
    if (!cond_wait_until (&s->cond, &s->lock, deadline))
      break;
  ok = s->bufs->len >= n && (!eos || s->eos);
  UNLOCK (&s->lock);
  return ok;
}

static gboolean
sub_wait_blocked (Sub * s, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + SLOW * timeout_ms * 1000;
  gboolean ok;

  LOCK (&s->lock);
  while (!s->blocked)
    if (!cond_wait_until (&s->cond, &s->lock, deadline))
      break;
  ok = s->blocked;
  UNLOCK (&s->lock);
  return ok;
}

static guint64 stat_u64 (GstElement * el, const gchar * field);

/* --------------------------------------------------------------- tests */

GST_START_TEST (test_every_buffer_same_pointers)
{
  GstPad *pub;
  GstBus *gbus;
  GstElement *el = make_bus (&pub, &gbus);
  GPtrArray *pushed = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
  Sub *subs[5];
  GstStructure *st;
  guint64 published;
  guint i, j, n = 3000;

  g_object_set (el, "threads", 2, NULL);
  for (j = 0; j < G_N_ELEMENTS (subs); j++)
    subs[j] = sub_new (el);
  start_stream (el, pub);
  for (i = 0; i < n; i++) {
    GstBuffer *b = make_frame (i, 30);

    g_ptr_array_add (pushed, gst_buffer_ref (b));
    fail_unless_equals_int (gst_pad_push (pub, b), GST_FLOW_OK);
    /* all keep up: never more than 200 frames ahead of a subscriber (the
     * ring holds 1024), however slow the machine */
    if (i % 200 == 199)
      for (j = 0; j < G_N_ELEMENTS (subs); j++)
        fail_unless (sub_wait (subs[j], i + 1 - 200, FALSE, 20000));
  }
  for (j = 0; j < G_N_ELEMENTS (subs); j++) {
    fail_unless (sub_wait (subs[j], n, FALSE, 20000),
        "subscriber %u got %u of %u", j, subs[j]->bufs->len, n);
    for (i = 0; i < n; i++)
      fail_unless (g_ptr_array_index (subs[j]->bufs, i) ==
          g_ptr_array_index (pushed, i), "subscriber %u buffer %u differs",
          j, i);
  }
  g_object_get (el, "stats", &st, NULL);
  fail_unless (gst_structure_get_uint64 (st, "frames-published", &published));
  fail_unless_equals_int (published, n);
  gst_structure_free (st);
  g_object_get (subs[0]->bus_pad, "stats", &st, NULL);
  fail_unless (gst_structure_get_uint64 (st, "frames-pushed", &published));
  fail_unless_equals_int (published, n);
  gst_structure_free (st);

  for (j = 0; j < G_N_ELEMENTS (subs); j++)
    sub_free (el, subs[j]);
  g_ptr_array_unref (pushed);
  free_bus (el, pub, gbus);
}

GST_END_TEST;

/* A clock that takes 200 µs to read: arclybus reads it for each buffer it
 * publishes, so the buffers of a list are published that far apart, time
 * enough for a woken delivery thread to deliver one and wait again. */
typedef struct
{
  GstSystemClock parent;
} TestSlowClock;

typedef struct
{
  GstSystemClockClass parent_class;
} TestSlowClockClass;

static GType test_slow_clock_get_type (void);
G_DEFINE_TYPE (TestSlowClock, test_slow_clock, GST_TYPE_SYSTEM_CLOCK);

static GstClockTime
test_slow_clock_get_internal_time (GstClock * clock)
{
  g_usleep (200);
  return GST_CLOCK_CLASS (test_slow_clock_parent_class)->get_internal_time
      (clock);
}

static void
test_slow_clock_class_init (TestSlowClockClass * klass)
{
  GST_CLOCK_CLASS (klass)->get_internal_time =
      test_slow_clock_get_internal_time;
}

static void
test_slow_clock_init (TestSlowClock * self)
{
}

/* A buffer list (arclyrtspsrc buffer-lists: one camera read) is
 * published whole and wakes the delivery once: every buffer reaches the
 * subscriber, the same pointers in order, and "wake-ups" grows by at most
 * one per list.  A buffer each would wake the thread each time it went
 * idle in between: the slow clock above makes sure it does. */
GST_START_TEST (test_buffer_list_one_wake)
{
  GstPad *pub;
  GstBus *gbus;
  GstElement *el = make_bus (&pub, &gbus);
  GPtrArray *pushed = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
  Sub *sub;
  guint64 wakes0, wakes;
  guint i, j, n = 0, lists = 20, per_list = 12;

  GstClock *slow = g_object_new (test_slow_clock_get_type (), NULL);

  gst_object_ref_sink (slow);
  g_object_set (el, "threads", 1, NULL);
  fail_unless (gst_element_set_clock (el, slow));
  sub = sub_new (el);
  start_stream (el, pub);
  fail_unless_equals_int (gst_pad_push (pub, make_frame (n++, 30)),
      GST_FLOW_OK);
  fail_unless (sub_wait (sub, 1, FALSE, 20000));
  wakes0 = stat_u64 (el, "wake-ups");
  for (j = 0; j < lists; j++) {
    GstBufferList *list = gst_buffer_list_new ();

    for (i = 0; i < per_list; i++) {
      GstBuffer *b = make_frame (n++, 30);

      g_ptr_array_add (pushed, gst_buffer_ref (b));
      gst_buffer_list_add (list, b);
    }
    fail_unless_equals_int (gst_pad_push_list (pub, list), GST_FLOW_OK);
    /* delivered before the next: the thread is idle again when it comes */
    fail_unless (sub_wait (sub, 1 + (j + 1) * per_list, FALSE, 20000),
        "list %u: %u buffers delivered", j, sub->bufs->len);
  }
  wakes = stat_u64 (el, "wake-ups") - wakes0;
  GST_INFO ("%" G_GUINT64_FORMAT " wake-ups for %u lists", wakes, lists);
  fail_unless (wakes <= lists, "%" G_GUINT64_FORMAT " wake-ups for %u lists "
      "of %u buffers", wakes, lists, per_list);
  LOCK (&sub->lock);
  for (i = 0; i < pushed->len; i++)
    fail_unless (g_ptr_array_index (sub->bufs, i + 1) ==
        g_ptr_array_index (pushed, i), "buffer %u differs", i);
  UNLOCK (&sub->lock);
  fail_unless_equals_int (stat_u64 (el, "frames-published"), n);

  sub_free (el, sub);
  g_ptr_array_unref (pushed);
  free_bus (el, pub, gbus);
  gst_object_unref (slow);
}

GST_END_TEST;

/* A live run (a frame every 5 ms) with one subscriber that stops returning
 * from its chain function; all pads share ONE delivery thread. */
GST_START_TEST (test_blocked_subscriber_isolated)
{
  GstPad *pub;
  GstBus *gbus;
  GstElement *el = make_bus (&pub, &gbus);
  Sub *a, *b, *c;
  GstStructure *msg;
  gint64 max_push = 0, sum_push = 0;
  guint i, n = 400, before, k;
  guint64 dropped = 0;
  gboolean found_discont = FALSE;

  g_object_set (el, "threads", 1, "capacity", 64, NULL);
  a = sub_new (el);
  b = sub_new (el);
  c = sub_new (el);
  b->block_after = 20;
  start_stream (el, pub);
  for (i = 0; i < n; i++) {
    gint64 t0 = g_get_monotonic_time ();

    fail_unless_equals_int (gst_pad_push (pub, make_frame (i, 30)),
        GST_FLOW_OK);
    max_push = MAX (max_push, g_get_monotonic_time () - t0);
    sum_push += g_get_monotonic_time () - t0;
    g_usleep (5000);
  }
  /* the publisher never waits for the blocked pad (that would be the 30 s
   * chain bound); the bounds leave room for a loaded 2-core machine */
  g_print ("blocked subscriber: publisher pushes took %" G_GINT64_FORMAT
      " us in total, %" G_GINT64_FORMAT " us at most\n", sum_push, max_push);
  fail_unless (sum_push < SLOW * 200 * 1000, "publisher pushes took %"
      G_GINT64_FORMAT " us", sum_push);
  fail_unless (max_push < SLOW * 200 * 1000, "a publisher push took %"
      G_GINT64_FORMAT " us", max_push);
  fail_unless (sub_wait (a, n, FALSE, 5000), "a got %u", a->bufs->len);
  fail_unless (sub_wait (c, n, FALSE, 5000), "c got %u", c->bufs->len);
  fail_unless (sub_wait_blocked (b, 1000));
  before = b->bufs->len;
  fail_unless_equals_int (before, 20);

  /* unblocked: resumes at a keyframe marked DISCONT */
  sub_unblock (b);
  for (i = 0; i < 60; i++)
    fail_unless_equals_int (gst_pad_push (pub, make_frame (n + i, 30)),
        GST_FLOW_OK);
  fail_unless (sub_wait (b, before + 1, FALSE, 5000));
  msg = wait_message (gbus, "arcly-bus-lagged", 5000);
  fail_unless (msg != NULL, "no arcly-bus-lagged message");
  fail_unless_equals_string (gst_structure_get_string (msg, "pad-name"),
      GST_PAD_NAME (b->bus_pad));
  fail_unless (gst_structure_get_uint64 (msg, "frames-dropped", &dropped));
  fail_unless (dropped > 300, "dropped %" G_GUINT64_FORMAT, dropped);
  gst_structure_free (msg);
  LOCK (&b->lock);
  for (k = before; k < b->bufs->len; k++) {
    GstBuffer *buf = g_ptr_array_index (b->bufs, k);

    if (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DISCONT)) {
      fail_if (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT),
          "resumed on a delta unit");
      fail_unless (k == before, "data before the DISCONT keyframe");
      found_discont = TRUE;
      break;
    }
  }
  UNLOCK (&b->lock);
  fail_unless (found_discont, "no DISCONT keyframe after the lag");
  /* the lag in the stats: only b dropped frames, the healthy pads none */
  {
    GstStructure *st;
    guint64 pad_dropped = 0, pad_lagged = 0;

    guint64 el_dropped = 0, el_lagged = 0, again = G_MAXUINT64;
    gint64 until = g_get_monotonic_time () + 5 * G_TIME_SPAN_SECOND;

    /* b's delivery thread may still be catching up (and dropping): read
     * the pad, the element, and the pad again until the pad's counters
     * hold still across the element's read */
    do {
      g_object_get (b->bus_pad, "stats", &st, NULL);
      fail_unless (gst_structure_get_uint64 (st, "frames-dropped",
              &pad_dropped));
      fail_unless (gst_structure_get_uint64 (st, "lagged", &pad_lagged));
      gst_structure_free (st);
      el_dropped = stat_u64 (el, "frames-dropped");
      el_lagged = stat_u64 (el, "lagged");
      g_object_get (b->bus_pad, "stats", &st, NULL);
      fail_unless (gst_structure_get_uint64 (st, "frames-dropped", &again));
      gst_structure_free (st);
    } while (again != pad_dropped && g_get_monotonic_time () < until);
    fail_unless (pad_dropped >= dropped);
    fail_unless (pad_lagged >= 1);
    fail_unless_equals_uint64 (el_dropped, pad_dropped);
    fail_unless_equals_uint64 (el_lagged, pad_lagged);
    g_object_get (a->bus_pad, "stats", &st, NULL);
    fail_unless (gst_structure_get_uint64 (st, "frames-dropped",
            &pad_dropped));
    gst_structure_free (st);
    fail_unless_equals_uint64 (pad_dropped, 0);
  }

  sub_free (el, a);
  sub_free (el, b);
  sub_free (el, c);
  free_bus (el, pub, gbus);
}

GST_END_TEST;

static GstPadProbeReturn
block_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  return GST_PAD_PROBE_OK;
}

/* A pad probe that blocks forever; with max-lag the pad is evicted: it gets
 * EOS (once the probe goes away) and nothing after it. */
GST_START_TEST (test_blocked_probe_evicted)
{
  GstPad *pub;
  GstBus *gbus;
  GstElement *el = make_bus (&pub, &gbus);
  Sub *a, *b;
  GstStructure *msg, *st;
  gulong probe;
  guint i, n = 300, got;
  guint64 evictions;

  g_object_set (el, "threads", 1, "capacity", 64, "max-lag", 50, NULL);
  a = sub_new (el);
  b = sub_new (el);
  start_stream (el, pub);
  for (i = 0; i < 10; i++)
    gst_pad_push (pub, make_frame (i, 30));
  fail_unless (sub_wait (b, 10, FALSE, 5000));
  probe = gst_pad_add_probe (b->bus_pad, GST_PAD_PROBE_TYPE_BLOCK_DOWNSTREAM,
      block_probe, NULL, NULL);
  for (; i < n; i++) {
    fail_unless_equals_int (gst_pad_push (pub, make_frame (i, 30)),
        GST_FLOW_OK);
    g_usleep (5000);
  }
  fail_unless (sub_wait (a, n, FALSE, 5000), "a got %u", a->bufs->len);
  msg = wait_message (gbus, "arcly-bus-evicted", 5000);
  fail_unless (msg != NULL, "no arcly-bus-evicted message");
  fail_unless_equals_string (gst_structure_get_string (msg, "pad-name"),
      GST_PAD_NAME (b->bus_pad));
  gst_structure_free (msg);
  g_object_get (el, "stats", &st, NULL);
  fail_unless (gst_structure_get_uint64 (st, "evictions", &evictions));
  fail_unless_equals_int (evictions, 1);
  gst_structure_free (st);

  gst_pad_remove_probe (b->bus_pad, probe);
  fail_unless (sub_wait (b, 0, TRUE, 5000), "evicted pad got no EOS");
  LOCK (&b->lock);
  got = b->bufs->len;
  UNLOCK (&b->lock);
  for (i = n; i < n + 30; i++)
    gst_pad_push (pub, make_frame (i, 30));
  fail_unless (sub_wait (a, n + 30, FALSE, 5000));
  LOCK (&b->lock);
  fail_unless (b->bufs->len == got, "evicted pad still fed");
  UNLOCK (&b->lock);

  sub_free (el, a);
  sub_free (el, b);
  free_bus (el, pub, gbus);
}

GST_END_TEST;

GST_START_TEST (test_eos_reaches_every_pad)
{
  GstPad *pub;
  GstBus *gbus;
  GstElement *el = make_bus (&pub, &gbus);
  Sub *subs[6], *late;
  guint i, j;

  for (j = 0; j < G_N_ELEMENTS (subs); j++)
    subs[j] = sub_new (el);
  start_stream (el, pub);
  for (i = 0; i < 100; i++)
    gst_pad_push (pub, make_frame (i, 30));
  fail_unless (gst_pad_push_event (pub, gst_event_new_eos ()));
  for (j = 0; j < G_N_ELEMENTS (subs); j++)
    fail_unless (sub_wait (subs[j], 100, TRUE, 5000), "pad %u: no EOS", j);
  /* a pad requested after EOS gets it too (sticky) */
  late = sub_new (el);
  fail_unless (sub_wait (late, 0, TRUE, 5000), "late pad: no EOS");
  sub_free (el, late);
  for (j = 0; j < G_N_ELEMENTS (subs); j++)
    sub_free (el, subs[j]);
  free_bus (el, pub, gbus);
}

GST_END_TEST;

GST_START_TEST (test_stop_with_stalled_pads)
{
  GstPad *pub;
  GstBus *gbus;
  GstElement *el = make_bus (&pub, &gbus);
  Sub *subs[3];
  gint64 t0, dt;
  guint i, j;

  for (j = 0; j < G_N_ELEMENTS (subs); j++) {
    subs[j] = sub_new (el);
    subs[j]->block_after = 5;
  }
  start_stream (el, pub);
  for (i = 0; i < 50; i++)
    gst_pad_push (pub, make_frame (i, 30));
  for (j = 0; j < G_N_ELEMENTS (subs); j++)
    fail_unless (sub_wait_blocked (subs[j], 5000));
  t0 = g_get_monotonic_time ();
  fail_unless_equals_int (gst_element_set_state (el, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  dt = g_get_monotonic_time () - t0;
  GST_INFO ("PLAYING->NULL with 3 stalled pads: %" G_GINT64_FORMAT " us", dt);
  fail_unless (dt < G_TIME_SPAN_SECOND, "stopping took %" G_GINT64_FORMAT
      " us", dt);
  /* and it starts again */
  start_stream (el, pub);
  for (j = 0; j < G_N_ELEMENTS (subs); j++)
    sub_free (el, subs[j]);
  free_bus (el, pub, gbus);
}

GST_END_TEST;

typedef struct
{
  GstElement *el;
  volatile gint stop;
  guint rounds;
} RaceCtx;

static gpointer
race_thread (gpointer data)
{
  RaceCtx *ctx = data;
  GRand *rand = g_rand_new ();

  while (!g_atomic_int_get (&ctx->stop)) {
    Sub *s = sub_new (ctx->el);

    if (g_rand_boolean (rand)) {
      GstStructure *st;
      g_object_get (s->bus_pad, "stats", &st, NULL);
      gst_structure_free (st);
    }
    g_usleep (g_rand_int_range (rand, 0, 15000));
    sub_free (ctx->el, s);
    ctx->rounds++;
  }
  g_rand_free (rand);
  return NULL;
}

GST_START_TEST (test_request_release_race)
{
  GstPad *pub;
  GstBus *gbus;
  GstElement *el = make_bus (&pub, &gbus);
  RaceCtx ctx[4];
  GThread *threads[4];
  Sub *steady;
  gint64 end;
  guint i = 0, j, total = 0;

  steady = sub_new (el);
  start_stream (el, pub);
  for (j = 0; j < G_N_ELEMENTS (threads); j++) {
    ctx[j].el = el;
    ctx[j].stop = 0;
    ctx[j].rounds = 0;
    threads[j] = g_thread_new ("race", race_thread, &ctx[j]);
  }
  end = g_get_monotonic_time () + 3 * G_TIME_SPAN_SECOND;
  while (g_get_monotonic_time () < end) {
    fail_unless_equals_int (gst_pad_push (pub, make_frame (i, 30)),
        GST_FLOW_OK);
    i++;
    g_usleep (1000);
  }
  for (j = 0; j < G_N_ELEMENTS (threads); j++) {
    g_atomic_int_set (&ctx[j].stop, 1);
    g_thread_join (threads[j]);
    total += ctx[j].rounds;
  }
  GST_INFO ("%u frames, %u request/release rounds", i, total);
  fail_unless (total > 20);
  fail_unless (gst_pad_push_event (pub, gst_event_new_eos ()));
  fail_unless (sub_wait (steady, 0, TRUE, 10000), "steady pad: no EOS");
  {
    GstStructure *st;
    guint64 dropped = 0;

    /* every frame reached the steady pad or was counted as dropped by a
     * lag skip (only on a machine too slow to keep up: sanitizers) */
    g_object_get (steady->bus_pad, "stats", &st, NULL);
    fail_unless (gst_structure_get_uint64 (st, "frames-dropped", &dropped));
    gst_structure_free (st);
    fail_unless_equals_int (steady->bufs->len + dropped, i);
    if (SLOW == 1)
      fail_unless_equals_int (dropped, 0);
  }
  sub_free (el, steady);
  free_bus (el, pub, gbus);
}

GST_END_TEST;

GST_START_TEST (test_flush_and_queries)
{
  GstPad *pub;
  GstBus *gbus;
  GstElement *el = make_bus (&pub, &gbus);
  Sub *a;
  GstQuery *q;
  GstCaps *caps;
  gboolean live;
  GstClockTime min, max;
  GstPad *sink = gst_element_get_static_pad (el, "sink");
  guint i;

  a = sub_new (el);
  start_stream (el, pub);
  for (i = 0; i < 10; i++)
    gst_pad_push (pub, make_frame (i, 5));
  fail_unless (sub_wait (a, 10, FALSE, 5000));

  /* allocation: answered, without pools */
  caps = gst_caps_new_empty_simple ("video/x-test");
  q = gst_query_new_allocation (caps, TRUE);
  fail_unless (gst_pad_peer_query (pub, q));
  fail_unless_equals_int (gst_query_get_n_allocation_pools (q), 0);
  gst_query_unref (q);
  gst_caps_unref (caps);
  /* latency from upstream, through the bus */
  q = gst_query_new_latency ();
  fail_unless (gst_pad_peer_query (a->sink, q));
  gst_query_parse_latency (q, &live, &min, &max);
  fail_unless (live);
  fail_unless_equals_uint64 (min, 40 * GST_MSECOND);
  gst_query_unref (q);
  /* position from upstream */
  {
    gint64 pos = 0;
    fail_unless (gst_pad_peer_query_position (a->sink, GST_FORMAT_TIME, &pos));
    fail_unless_equals_int64 (pos, 7 * GST_SECOND);
  }
  /* caps of a subscriber: the stream's */
  caps = gst_pad_peer_query_caps (a->sink, NULL);
  fail_unless (gst_structure_has_name (gst_caps_get_structure (caps, 0),
          "video/x-test"));
  gst_caps_unref (caps);

  /* flush: every pad sees it, data flows again after */
  fail_unless (gst_pad_push_event (pub, gst_event_new_flush_start ()));
  fail_unless (gst_pad_push_event (pub, gst_event_new_flush_stop (TRUE)));
  {
    GstSegment seg;
    gst_segment_init (&seg, GST_FORMAT_TIME);
    fail_unless (gst_pad_push_event (pub, gst_event_new_segment (&seg)));
  }
  LOCK (&a->lock);
  fail_unless_equals_int (a->flush_start, 1);
  fail_unless_equals_int (a->flush_stop, 1);
  UNLOCK (&a->lock);
  for (i = 0; i < 10; i++)
    gst_pad_push (pub, make_frame (i, 5));
  fail_unless (sub_wait (a, 20, FALSE, 5000));

  gst_object_unref (sink);
  sub_free (el, a);
  free_bus (el, pub, gbus);
}

GST_END_TEST;

/* Raw audio (no delta units): a joiner gets the last gop-max-frames
 * buffers, then live, in order. */
GST_START_TEST (test_window_cache_without_delta)
{
  GstPad *pub;
  GstBus *gbus;
  GstElement *el = make_bus (&pub, &gbus);
  Sub *late;
  GstBuffer *bufs[60];
  guint i;

  g_object_set (el, "gop-max-frames", 10, NULL);
  start_stream (el, pub);
  for (i = 0; i < 50; i++) {
    bufs[i] = make_frame (i, 0);
    gst_pad_push (pub, gst_buffer_ref (bufs[i]));
  }
  late = sub_new (el);
  fail_unless (sub_wait (late, 10, FALSE, 5000));
  for (; i < 60; i++) {
    bufs[i] = make_frame (i, 0);
    gst_pad_push (pub, gst_buffer_ref (bufs[i]));
  }
  fail_unless (sub_wait (late, 20, FALSE, 5000));
  for (i = 0; i < 20; i++)
    fail_unless (g_ptr_array_index (late->bufs, i) == bufs[40 + i],
        "buffer %u", i);
  sub_free (el, late);
  for (i = 0; i < 60; i++)
    gst_buffer_unref (bufs[i]);
  free_bus (el, pub, gbus);
}

GST_END_TEST;

/* A GOP longer than gop-max-frames is not cached: a joiner waits for the
 * next keyframe (caps first), and upstream is asked for one, at most once a
 * second. */
GST_START_TEST (test_gop_overflow_requests_keyframe)
{
  GstPad *pub;
  GstBus *gbus;
  GstElement *el = make_bus (&pub, &gbus);
  Sub *a, *b, *c;
  GstCaps *caps;
  GstStructure *st;
  guint i, k, cache;

  g_atomic_int_set (&fku_events, 0);
  g_object_set (el, "gop-max-frames", 5, NULL);
  start_stream (el, pub);
  for (i = 0; i < 10; i++)
    gst_pad_push (pub, make_frame (i, 100));
  g_object_get (el, "stats", &st, NULL);
  fail_unless (gst_structure_get_uint (st, "cache-frames", &cache));
  fail_unless_equals_int (cache, 0);
  gst_structure_free (st);

  a = sub_new (el);
  b = sub_new (el);
  /* both joiners got the caps at once, and one keyframe request went up */
  for (k = 0; k < 200 && g_atomic_int_get (&fku_events) == 0; k++)
    g_usleep (10000);
  g_usleep (50000);
  fail_unless_equals_int (g_atomic_int_get (&fku_events), 1);
  caps = gst_pad_get_current_caps (a->sink);
  fail_unless (caps != NULL, "a joiner did not get the caps");
  gst_caps_unref (caps);
  for (i = 10; i < 15; i++)
    gst_pad_push (pub, make_frame (i, 100));
  gst_pad_push (pub, make_frame (100, 100));    /* a keyframe */
  fail_unless (sub_wait (a, 1, FALSE, 5000));
  fail_unless (sub_wait (b, 1, FALSE, 5000));
  fail_if (GST_BUFFER_FLAG_IS_SET (g_ptr_array_index (a->bufs, 0),
          GST_BUFFER_FLAG_DELTA_UNIT), "a joiner started on a delta unit");
  fail_unless_equals_uint64 (GST_BUFFER_PTS (g_ptr_array_index (b->bufs, 0)),
      100 * FRAME_DUR);

  /* with gop-cache=false, a joiner also waits for the next keyframe */
  g_object_set (el, "gop-cache", FALSE, NULL);
  c = sub_new (el);
  for (i = 101; i < 110; i++)
    gst_pad_push (pub, make_frame (i, 100));
  gst_pad_push (pub, make_frame (200, 100));
  fail_unless (sub_wait (c, 1, FALSE, 5000));
  fail_unless_equals_uint64 (GST_BUFFER_PTS (g_ptr_array_index (c->bufs, 0)),
      200 * FRAME_DUR);

  sub_free (el, a);
  sub_free (el, b);
  sub_free (el, c);
  free_bus (el, pub, gbus);
}

GST_END_TEST;

/* A caps change inside the cached GOP: a joiner gets the caps in force at
 * the keyframe, then the change at its place; a joiner after the change's
 * keyframe only gets the new caps. */
GST_START_TEST (test_caps_change_replayed_to_joiners)
{
  GstPad *pub;
  GstBus *gbus;
  GstElement *el = make_bus (&pub, &gbus);
  GstCaps *caps;
  Sub *a, *b;
  guint i;

  start_stream (el, pub);       /* caps video/x-test */
  for (i = 0; i < 3; i++)
    gst_pad_push (pub, make_frame (i, 100));
  caps = gst_caps_new_empty_simple ("video/x-test2");
  fail_unless (gst_pad_push_event (pub, gst_event_new_caps (caps)));
  gst_caps_unref (caps);
  for (; i < 5; i++)
    gst_pad_push (pub, make_frame (i, 100));
  a = sub_new (el);
  fail_unless (sub_wait (a, 5, FALSE, 5000));
  LOCK (&a->lock);
  fail_unless_equals_string (a->log->str,
      "caps:video/x-test buf buf buf caps:video/x-test2 buf buf ");
  UNLOCK (&a->lock);

  gst_pad_push (pub, make_frame (100, 100));    /* a keyframe */
  gst_pad_push (pub, make_frame (101, 100));
  b = sub_new (el);
  fail_unless (sub_wait (b, 2, FALSE, 5000));
  LOCK (&b->lock);
  fail_unless_equals_string (b->log->str, "caps:video/x-test2 buf buf ");
  UNLOCK (&b->lock);
  sub_free (el, a);
  sub_free (el, b);
  free_bus (el, pub, gbus);
}

GST_END_TEST;

/* Pads requested and released in every state, and state changes back and
 * forth with pads in place. */
GST_START_TEST (test_pads_in_every_state)
{
  GstPad *pub;
  GstBus *gbus;
  GstElement *el = make_bus (&pub, &gbus);
  Sub *a, *b, *c;
  guint i, round;

  a = sub_new (el);             /* NULL */
  fail_unless_equals_int (gst_element_set_state (el, GST_STATE_READY),
      GST_STATE_CHANGE_SUCCESS);
  b = sub_new (el);             /* READY */
  for (round = 0; round < 3; round++) {
    start_stream (el, pub);
    for (i = 0; i < 20; i++)
      gst_pad_push (pub, make_frame (i, 10));
    fail_unless (sub_wait (a, 20 * (round + 1), FALSE, 5000));
    fail_unless (sub_wait (b, 20 * (round + 1), FALSE, 5000));
    fail_unless_equals_int (gst_element_set_state (el, GST_STATE_PAUSED),
        GST_STATE_CHANGE_SUCCESS);
    c = sub_new (el);           /* PAUSED */
    sub_free (el, c);
    fail_unless_equals_int (gst_element_set_state (el, GST_STATE_READY),
        GST_STATE_CHANGE_SUCCESS);
  }
  fail_unless_equals_int (gst_element_set_state (el, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  sub_free (el, b);             /* NULL */
  sub_free (el, a);
  free_bus (el, pub, gbus);
}

GST_END_TEST;

/* ----------------------------------------------------- real pipelines */

static GstPadProbeReturn
count_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  g_atomic_int_inc ((gint *) data);
  return GST_PAD_PROBE_OK;
}

static gboolean
run_to_eos (GstElement * pipe, guint timeout_s)
{
  GstBus *bus = gst_element_get_bus (pipe);
  GstMessage *m;
  gboolean ok;

  gst_element_set_state (pipe, GST_STATE_PLAYING);
  m = gst_bus_timed_pop_filtered (bus, timeout_s * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  ok = m && GST_MESSAGE_TYPE (m) == GST_MESSAGE_EOS;
  if (m)
    gst_message_unref (m);
  gst_object_unref (bus);
  gst_element_set_state (pipe, GST_STATE_NULL);
  return ok;
}

static void
check_fanout_pipeline (const gchar * src, guint n_buffers)
{
  gchar *desc = g_strdup_printf ("%s ! arclybus name=b "
      "b. ! fakesink name=s0 sync=false b. ! fakesink name=s1 sync=false "
      "b. ! queue ! fakesink name=s2 sync=false", src);
  GError *err = NULL;
  GstElement *pipe = gst_parse_launch (desc, &err);
  gint counts[3] = { 0, 0, 0 };
  guint i;

  fail_unless (pipe != NULL, "%s: %s", desc, err ? err->message : "?");
  for (i = 0; i < 3; i++) {
    gchar *name = g_strdup_printf ("s%u", i);
    GstElement *s = gst_bin_get_by_name (GST_BIN (pipe), name);
    GstPad *pad = gst_element_get_static_pad (s, "sink");

    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, count_probe,
        &counts[i], NULL);
    gst_object_unref (pad);
    gst_object_unref (s);
    g_free (name);
  }
  fail_unless (run_to_eos (pipe, 20), "%s did not reach EOS", desc);
  for (i = 0; i < 3; i++)
    fail_unless_equals_int (g_atomic_int_get (&counts[i]), n_buffers);
  gst_object_unref (pipe);
  g_free (desc);
}

GST_START_TEST (test_audio_and_raw_streams)
{
  check_fanout_pipeline ("audiotestsrc num-buffers=200", 200);
  check_fanout_pipeline ("videotestsrc num-buffers=60 ! "
      "video/x-raw,format=I420,width=320,height=240", 60);
  check_fanout_pipeline ("audiotestsrc num-buffers=100 ! voaacenc ! aacparse",
      100);
}

GST_END_TEST;

/* A subscriber branch that goes to READY and back while linked (its sink
 * pad deactivated, then active again): what the bus pushed meanwhile was
 * refused (FLUSHING), and afterwards the branch starts again like a late
 * joiner: caps and segment again, then a keyframe flagged DISCONT, never a
 * delta frame whose reference it missed. */
GST_START_TEST (test_subscriber_restarts_on_keyframe)
{
  GstPad *pub;
  GstBus *gbus;
  GstElement *el = make_bus (&pub, &gbus);
  Sub *s;
  GstEvent *seg;
  GstBuffer *head;
  guint i, before;
  gint64 deadline;

  g_object_set (el, "threads", 1, NULL);
  s = sub_new (el);
  start_stream (el, pub);
  for (i = 0; i < 15; i++)
    fail_unless_equals_int (gst_pad_push (pub, make_frame (i, 10)),
        GST_FLOW_OK);
  fail_unless (sub_wait (s, 15, FALSE, 10000));

  gst_pad_set_active (s->sink, FALSE);
  for (; i < 25; i++)
    fail_unless_equals_int (gst_pad_push (pub, make_frame (i, 10)),
        GST_FLOW_OK);
  /* the bus tries the pad, which refuses */
  g_usleep (100 * 1000);
  LOCK (&s->lock);
  before = s->bufs->len;
  g_string_truncate (s->log, 0);
  UNLOCK (&s->lock);
  fail_unless_equals_int (before, 15);

  gst_pad_set_active (s->sink, TRUE);
  for (; i < 45; i++) {
    fail_unless_equals_int (gst_pad_push (pub, make_frame (i, 10)),
        GST_FLOW_OK);
    g_usleep (2000);
  }
  deadline = g_get_monotonic_time () + SLOW * 10 * G_TIME_SPAN_SECOND;
  for (;;) {
    GstBuffer *last = NULL;

    LOCK (&s->lock);
    if (s->bufs->len > before)
      last = g_ptr_array_index (s->bufs, s->bufs->len - 1);
    if (last && GST_BUFFER_PTS (last) == 44 * FRAME_DUR) {
      UNLOCK (&s->lock);
      break;
    }
    UNLOCK (&s->lock);
    fail_unless (g_get_monotonic_time () < deadline,
        "the subscriber did not get the stream back");
    g_usleep (5000);
  }
  LOCK (&s->lock);
  head = g_ptr_array_index (s->bufs, before);
  fail_if (GST_BUFFER_FLAG_IS_SET (head, GST_BUFFER_FLAG_DELTA_UNIT),
      "after its restart the subscriber got frame %" G_GUINT64_FORMAT
      ", a delta frame", GST_BUFFER_PTS (head) / FRAME_DUR);
  fail_unless (GST_BUFFER_FLAG_IS_SET (head, GST_BUFFER_FLAG_DISCONT));
  fail_unless (g_str_has_prefix (s->log->str, "caps:video/x-test buf"),
      "after the restart: %s", s->log->str);
  for (i = before + 1; i < s->bufs->len; i++)
    fail_unless (GST_BUFFER_PTS (g_ptr_array_index (s->bufs, i)) ==
        GST_BUFFER_PTS (g_ptr_array_index (s->bufs, i - 1)) + FRAME_DUR,
        "frame missing or repeated after the restart");
  UNLOCK (&s->lock);
  seg = gst_pad_get_sticky_event (s->sink, GST_EVENT_SEGMENT, 0);
  fail_unless (seg != NULL, "no segment after the restart");
  gst_event_unref (seg);

  sub_free (el, s);
  free_bus (el, pub, gbus);
}

GST_END_TEST;

typedef struct
{
  GMutex lock;
  GArray *flags;                /* first buffers on the new pad */
  GArray *pts;
  gint64 first_decoded_us;
  gint caps_at;                 /* buffers seen before the first caps */
  gint stream_start_at;
} JoinCtx;

static GstPadProbeReturn
join_bus_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  JoinCtx *j = data;
  GstBuffer *buf;
  guint f;

  if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent *ev = GST_PAD_PROBE_INFO_EVENT (info);

    LOCK (&j->lock);
    if (GST_EVENT_TYPE (ev) == GST_EVENT_CAPS && j->caps_at < 0)
      j->caps_at = j->flags->len;
    if (GST_EVENT_TYPE (ev) == GST_EVENT_STREAM_START
        && j->stream_start_at < 0)
      j->stream_start_at = j->flags->len;
    UNLOCK (&j->lock);
    return GST_PAD_PROBE_OK;
  }
  buf = GST_PAD_PROBE_INFO_BUFFER (info);
  f = GST_BUFFER_FLAGS (buf);
  LOCK (&j->lock);
  if (j->flags->len < 400) {
    g_array_append_val (j->flags, f);
    g_array_append_val (j->pts, GST_BUFFER_PTS (buf));
  }
  UNLOCK (&j->lock);
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
join_dec_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  JoinCtx *j = data;

  LOCK (&j->lock);
  if (j->first_decoded_us == 0)
    j->first_decoded_us = g_get_monotonic_time ();
  UNLOCK (&j->lock);
  return GST_PAD_PROBE_OK;
}

static guint64
stat_u64 (GstElement * el, const gchar * field)
{
  GstStructure *st;
  guint64 v = 0;
  guint u;

  g_object_get (el, "stats", &st, NULL);
  if (!gst_structure_get_uint64 (st, field, &v) &&
      gst_structure_get_uint (st, field, &u))
    v = u;
  gst_structure_free (st);
  return v;
}

/* A live H.264 stream with a 2 s GOP; a decoder added mid-GOP outputs a
 * picture within 100 ms of the request. */
GST_START_TEST (test_late_join_h264)
{
  GError *err = NULL;
  GstElement *pipe, *bus, *dec, *sink;
  GstPad *pad, *dsrc;
  JoinCtx j;
  gint64 t0, deadline, dt;
  guint64 cached;
  guint i, n_cached;
  const gchar *missing[] = { "x264enc", "avdec_h264", "h264parse" };

  for (i = 0; i < G_N_ELEMENTS (missing); i++) {
    GstElementFactory *f = gst_element_factory_find (missing[i]);
    fail_unless (f != NULL, "element %s is missing: install "
        "gstreamer1.0-plugins-ugly / -libav / -bad", missing[i]);
    gst_object_unref (f);
  }
  pipe = gst_parse_launch ("videotestsrc is-live=true ! "
      "video/x-raw,format=I420,width=320,height=240,framerate=30/1 ! "
      "x264enc tune=zerolatency key-int-max=60 option-string=scenecut=0 "
      "speed-preset=ultrafast ! h264parse ! arclybus name=bus "
      "bus. ! fakesink sync=false", &err);
  fail_unless (pipe != NULL, "%s", err ? err->message : "?");
  bus = gst_bin_get_by_name (GST_BIN (pipe), "bus");
  gst_element_set_state (pipe, GST_STATE_PLAYING);

  g_mutex_init (&j.lock);
  j.flags = g_array_new (FALSE, FALSE, sizeof (guint));
  j.pts = g_array_new (FALSE, FALSE, sizeof (GstClockTime));
  j.first_decoded_us = 0;
  j.caps_at = j.stream_start_at = -1;
  dec = gst_element_factory_make ("avdec_h264", NULL);
  sink = gst_element_factory_make ("fakesink", NULL);
  g_object_set (sink, "sync", FALSE, NULL);
  gst_bin_add_many (GST_BIN (pipe), dec, sink, NULL);
  fail_unless (gst_element_link (dec, sink));
  dsrc = gst_element_get_static_pad (dec, "src");
  gst_pad_add_probe (dsrc, GST_PAD_PROBE_TYPE_BUFFER, join_dec_probe, &j,
      NULL);
  gst_object_unref (dsrc);
  gst_element_sync_state_with_parent (sink);
  gst_element_sync_state_with_parent (dec);

  /* mid-GOP of the second GOP or later: about a second after a keyframe
   * (the cached GOP, not the publishing count, says where the stream is,
   * also when a slow machine delivers the encoder's frames in bursts) */
  deadline = g_get_monotonic_time () + SLOW * 15 * G_TIME_SPAN_SECOND;
  for (;;) {
    cached = stat_u64 (bus, "cache-frames");
    if (stat_u64 (bus, "frames-published") > 60 && cached >= 20
        && cached <= 40)
      break;
    fail_unless (g_get_monotonic_time () < deadline, "no mid-GOP point: %"
        G_GUINT64_FORMAT " frames published, %" G_GUINT64_FORMAT " cached",
        stat_u64 (bus, "frames-published"), cached);
    g_usleep (2000);
  }
  t0 = g_get_monotonic_time ();
  pad = gst_element_request_pad_simple (bus, "src_%u");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, join_bus_probe, &j, NULL);
  {
    GstPad *dsink = gst_element_get_static_pad (dec, "sink");
    fail_unless_equals_int (gst_pad_link (pad, dsink), GST_PAD_LINK_OK);
    gst_object_unref (dsink);
  }
  deadline = t0 + SLOW * 5 * G_TIME_SPAN_SECOND;
  while (g_get_monotonic_time () < deadline) {
    guint len;

    LOCK (&j.lock);
    dt = j.first_decoded_us;
    len = j.flags->len;
    UNLOCK (&j.lock);
    if (dt && len > cached + 5)
      break;
    g_usleep (5000);
  }
  /* stopped before checking: a failed check must not leave the pipeline
   * running into the next test (CK_FORK=no, valgrind) */
  gst_element_set_state (pipe, GST_STATE_NULL);
  fail_unless (j.first_decoded_us != 0, "the decoder output nothing");
  dt = j.first_decoded_us - t0;
  g_print ("arclybus late join: first decoded frame %.1f ms after the request"
      " (%" G_GUINT64_FORMAT " cached frames)\n", dt / 1000.0, cached);
  /* structure: keyframe first, then the cached frames, then live, with no
   * frame missing in between */
  fail_unless (j.flags->len > cached + 5);
  /* the sticky events first: stream-start and caps before any buffer */
  fail_unless_equals_int (j.stream_start_at, 0);
  fail_unless_equals_int (j.caps_at, 0);
  fail_if (g_array_index (j.flags, guint, 0) & GST_BUFFER_FLAG_DELTA_UNIT,
      "the first buffer is not a keyframe");
  fail_unless (cached >= 15, "only %" G_GUINT64_FORMAT " frames cached",
      cached);
  n_cached = 0;
  for (i = 1; i < j.pts->len; i++) {
    GstClockTime a = g_array_index (j.pts, GstClockTime, i - 1);
    GstClockTime b = g_array_index (j.pts, GstClockTime, i);

    fail_unless (b > a && b - a < FRAME_DUR + GST_MSECOND * 5,
        "gap between buffer %u and %u", i - 1, i);
    if (i < cached)
      fail_if (g_array_index (j.flags, guint, i) & GST_BUFFER_FLAG_DELTA_UNIT
          ? FALSE : TRUE, "a second keyframe inside the cached GOP");
    n_cached++;
  }
  fail_unless (dt < SLOW * 100 * G_TIME_SPAN_MILLISECOND, "took %"
      G_GINT64_FORMAT " us", dt);

  gst_object_unref (pad);
  gst_object_unref (bus);
  gst_object_unref (pipe);
  g_array_unref (j.flags);
  g_array_unref (j.pts);
  g_mutex_clear (&j.lock);
}

GST_END_TEST;

/* ------------------------------------------------- audit of issue #5 */

static void
push_custom (GstPad * pub, const gchar * name)
{
  fail_unless (gst_pad_push_event (pub,
          gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM,
              gst_structure_new_empty (name))));
}

/* Serialized events (segment update, custom downstream, gap, tags, EOS)
 * reach every pad at their place between the buffers; a joiner from the GOP
 * cache sees the same sequence (sticky events of the keyframe first). */
GST_START_TEST (test_serialized_events_in_order)
{
  GstPad *pub;
  GstBus *gbus;
  GstElement *el = make_bus (&pub, &gbus);
  const gchar *expected = "stream-start caps segment:0 tag b0 b1 "
      "custom-downstream:arcly-test-marker b2 gap b3 segment:5000 b4 b5 eos ";
  Sub *a, *b, *late;
  GstSegment seg;
  guint i;

  g_object_set (el, "threads", 2, NULL);
  a = sub_new (el);
  b = sub_new (el);
  start_stream (el, pub);
  fail_unless (gst_pad_push_event (pub,
          gst_event_new_tag (gst_tag_list_new (GST_TAG_TITLE, "bus", NULL))));
  for (i = 0; i < 2; i++)
    fail_unless_equals_int (gst_pad_push (pub, make_frame (i, 100)),
        GST_FLOW_OK);
  push_custom (pub, "arcly-test-marker");
  gst_pad_push (pub, make_frame (2, 100));
  fail_unless (gst_pad_push_event (pub, gst_event_new_gap (3 * FRAME_DUR,
              FRAME_DUR)));
  gst_pad_push (pub, make_frame (3, 100));
  gst_segment_init (&seg, GST_FORMAT_TIME);
  seg.base = 5 * GST_SECOND;
  fail_unless (gst_pad_push_event (pub, gst_event_new_segment (&seg)));
  gst_pad_push (pub, make_frame (4, 100));
  late = sub_new (el);
  gst_pad_push (pub, make_frame (5, 100));
  fail_unless (gst_pad_push_event (pub, gst_event_new_eos ()));

  fail_unless (sub_wait (a, 6, TRUE, 5000));
  fail_unless (sub_wait (b, 6, TRUE, 5000));
  fail_unless (sub_wait (late, 6, TRUE, 5000));
  LOCK (&a->lock);
  fail_unless_equals_string (a->elog->str, expected);
  UNLOCK (&a->lock);
  LOCK (&b->lock);
  fail_unless_equals_string (b->elog->str, expected);
  UNLOCK (&b->lock);
  LOCK (&late->lock);
  fail_unless_equals_string (late->elog->str, expected);
  UNLOCK (&late->lock);

  sub_free (el, a);
  sub_free (el, b);
  sub_free (el, late);
  free_bus (el, pub, gbus);
}

GST_END_TEST;

/* With no subscriber, with a requested pad nobody linked, and with
 * subscribers whose downstream returns an error or not-linked, the
 * publisher always gets GST_FLOW_OK, the healthy pad gets every buffer, the
 * failing pads only lose their own data, and no error is posted. */
GST_START_TEST (test_downstream_errors_isolated)
{
  GstPad *pub, *unlinked;
  GstBus *gbus;
  GstElement *el = make_bus (&pub, &gbus);
  GstMessage *m;
  Sub *ok, *err, *nl;
  guint i, n = 200, err_got;

  g_object_set (el, "threads", 1, NULL);
  start_stream (el, pub);
  /* no subscriber at all */
  for (i = 0; i < 5; i++)
    fail_unless_equals_int (gst_pad_push (pub, make_frame (i, 30)),
        GST_FLOW_OK);
  unlinked = gst_element_request_pad_simple (el, "src_%u");
  ok = sub_new (el);
  err = sub_new (el);
  nl = sub_new (el);
  LOCK (&err->lock);
  err->fail_ret = GST_FLOW_ERROR;
  err->fail_after = 10;
  UNLOCK (&err->lock);
  LOCK (&nl->lock);
  nl->fail_ret = GST_FLOW_NOT_LINKED;
  nl->fail_after = 10;
  UNLOCK (&nl->lock);
  for (; i < n; i++) {
    fail_unless_equals_int (gst_pad_push (pub, make_frame (i, 30)),
        GST_FLOW_OK);
    if (i % 20 == 0)
      g_usleep (2000);
  }
  fail_unless_equals_int (gst_pad_push_event (pub, gst_event_new_eos ()),
      TRUE);
  /* the healthy pad joined at the cached keyframe (frame 0): all of it */
  fail_unless (sub_wait (ok, n, TRUE, 10000), "ok got %u", ok->bufs->len);
  for (i = 0; i < n; i++)
    fail_unless_equals_uint64 (GST_BUFFER_PTS (g_ptr_array_index (ok->bufs,
                i)), i * FRAME_DUR);
  /* the erroring pad got nothing after its error */
  LOCK (&err->lock);
  err_got = err->bufs->len;
  fail_unless_equals_int (err_got, 10);
  fail_unless_equals_int (err->refused, 1);
  UNLOCK (&err->lock);
  /* the not-linked pad is retried like a late joiner, never declared dead */
  LOCK (&nl->lock);
  fail_unless_equals_int (nl->bufs->len, 10);
  fail_unless (nl->refused >= 1);
  UNLOCK (&nl->lock);
  /* no error or warning from the bus */
  m = gst_bus_pop_filtered (gbus, GST_MESSAGE_ERROR | GST_MESSAGE_WARNING);
  fail_unless (m == NULL, "the bus posted %" GST_PTR_FORMAT, m);

  gst_element_release_request_pad (el, unlinked);
  gst_object_unref (unlinked);
  sub_free (el, ok);
  sub_free (el, err);
  sub_free (el, nl);
  free_bus (el, pub, gbus);
}

GST_END_TEST;

/* A flush resets every cursor and the cache: a slow pad with a backlog of
 * pre-flush data gets none of it after the flush-stop, and a pad requested
 * after the flush starts at the first new keyframe, not in the old cache. */
GST_START_TEST (test_flush_resets_cursors_and_cache)
{
  GstPad *pub;
  GstBus *gbus;
  GstElement *el = make_bus (&pub, &gbus);
  Sub *slow, *late;
  GstSegment seg;
  guint i, k, n = 200, at_stop;

  g_object_set (el, "threads", 1, NULL);
  slow = sub_new (el);
  slow->delay_us = 3000;
  start_stream (el, pub);
  for (i = 0; i < n; i++)
    fail_unless_equals_int (gst_pad_push (pub, make_frame (i, 10)),
        GST_FLOW_OK);
  fail_unless (stat_u64 (el, "cache-frames") > 0);

  fail_unless (gst_pad_push_event (pub, gst_event_new_flush_start ()));
  fail_unless (gst_pad_push_event (pub, gst_event_new_flush_stop (TRUE)));
  LOCK (&slow->lock);
  at_stop = slow->len_at_flush_stop;
  UNLOCK (&slow->lock);
  /* the test means something only if a backlog was pending */
  fail_unless (at_stop < n - 20, "no backlog at the flush (%u of %u)",
      at_stop, n);
  fail_unless_equals_uint64 (stat_u64 (el, "cache-frames"), 0);
  fail_unless_equals_uint64 (stat_u64 (el, "cache-bytes"), 0);

  gst_segment_init (&seg, GST_FORMAT_TIME);
  fail_unless (gst_pad_push_event (pub, gst_event_new_segment (&seg)));
  late = sub_new (el);
  for (i = 1000; i < 1020; i++)
    fail_unless_equals_int (gst_pad_push (pub, make_frame (i, 10)),
        GST_FLOW_OK);
  fail_unless (sub_wait (late, 20, FALSE, 5000), "late got %u",
      late->bufs->len);
  fail_unless (sub_wait (slow, at_stop + 20, FALSE, 10000));
  /* a little longer: pre-flush data would come now */
  g_usleep (100 * 1000);
  LOCK (&slow->lock);
  fail_unless_equals_int (slow->bufs->len, at_stop + 20);
  for (k = at_stop; k < slow->bufs->len; k++)
    fail_unless_equals_uint64 (GST_BUFFER_PTS (g_ptr_array_index (slow->bufs,
                k)), (1000 + k - at_stop) * FRAME_DUR);
  UNLOCK (&slow->lock);
  LOCK (&late->lock);
  fail_unless_equals_int (late->bufs->len, 20);
  fail_unless_equals_uint64 (GST_BUFFER_PTS (g_ptr_array_index (late->bufs,
              0)), 1000 * FRAME_DUR);
  UNLOCK (&late->lock);

  sub_free (el, slow);
  sub_free (el, late);
  free_bus (el, pub, gbus);
}

GST_END_TEST;

/* A bus with one delivery thread shared by three pads; b's sink stops
 * returning inside its 10th buffer.  No time bound on lag (max-lag-time 0):
 * what is published while a thread is stuck is all still delivered. */
typedef struct
{
  GstElement *el;
  GstPad *pub;
  GstBus *gbus;
  Sub *a, *b, *c;
} StallBus;

static void
stall_bus_start (StallBus * s, GstClockTime threshold)
{
  s->el = make_bus (&s->pub, &s->gbus);
  g_object_set (s->el, "threads", 1, "stall-threshold", threshold,
      "max-lag-time", (guint64) 0, NULL);
  s->a = sub_new (s->el);
  s->b = sub_new (s->el);
  s->c = sub_new (s->el);
  s->b->block_after = 10;
  start_stream (s->el, s->pub);
}

static void
stall_bus_free (StallBus * s)
{
  sub_free (s->el, s->a);
  sub_free (s->el, s->b);
  sub_free (s->el, s->c);
  free_bus (s->el, s->pub, s->gbus);
}

/* @s received frames 0 .. @n - 1, each once, in order */
static void
assert_all_in_order (Sub * s, guint n, const gchar * what)
{
  guint i, len;

  LOCK (&s->lock);
  len = s->bufs->len;
  for (i = 0; i < MIN (len, n); i++) {
    GstClockTime pts = GST_BUFFER_PTS (g_ptr_array_index (s->bufs, i));

    if (pts != i * FRAME_DUR) {
      UNLOCK (&s->lock);
      fail ("%s: buffer %u is frame %" G_GUINT64_FORMAT, what, i,
          pts / FRAME_DUR);
    }
  }
  UNLOCK (&s->lock);
  fail_unless (len == n, "%s: %u buffers, not %u", what, len, n);
}

static gboolean
pad_stalled (Sub * s)
{
  GstStructure *st;
  gboolean stalled = FALSE;

  g_object_get (s->bus_pad, "stats", &st, NULL);
  fail_unless (gst_structure_get_boolean (st, "stalled", &stalled));
  gst_structure_free (st);
  return stalled;
}

/* stall-threshold is what hands the shared thread over.  Two buses get the
 * same frames and the same stall: X (threshold 50 ms) hands over, its
 * healthy pads get every frame in order while b is still blocked, and the
 * stats say so.  Y (60 s, longer than the test) has, at that moment, not:
 * its thread is still in b's push, its healthy pads no further than one
 * frame past b's.  Released, both b's catch up: nothing dropped, nothing
 * out of order anywhere.  The handover is observed, not timed (a wall-clock
 * bound on the healthy pads' delay failed on a loaded machine). */
GST_START_TEST (test_stall_threshold_handover)
{
  StallBus x, y;
  guint i, n = 150, ya, yc;

  stall_bus_start (&x, 50 * GST_MSECOND);
  stall_bus_start (&y, 60 * GST_SECOND);
  for (i = 0; i < n; i++) {
    fail_unless_equals_int (gst_pad_push (x.pub, make_frame (i, 30)),
        GST_FLOW_OK);
    fail_unless_equals_int (gst_pad_push (y.pub, make_frame (i, 30)),
        GST_FLOW_OK);
  }

  /* X: past the threshold the pool gets a new thread for a and c */
  fail_unless (sub_wait_blocked (x.b, 5000));
  fail_unless (sub_wait (x.a, n, FALSE, 10000), "a got %u", x.a->bufs->len);
  fail_unless (sub_wait (x.c, n, FALSE, 10000), "c got %u", x.c->bufs->len);
  assert_all_in_order (x.a, n, "X a");
  assert_all_in_order (x.c, n, "X c");
  LOCK (&x.b->lock);
  fail_unless (x.b->blocked);
  fail_unless_equals_int (x.b->bufs->len, 10);
  UNLOCK (&x.b->lock);
  /* the stalled pad kept its thread, the pool got a new one */
  fail_unless_equals_uint64 (stat_u64 (x.el, "delivery-threads"), 1);
  fail_unless_equals_uint64 (stat_u64 (x.el, "stalled-threads"), 1);
  fail_unless (pad_stalled (x.b), "the blocked pad is not reported stalled");
  fail_if (pad_stalled (x.a));

  /* Y, stalled as long: no handover before its threshold; round-robin on
   * its one thread left a and c at most one frame past b */
  fail_unless (sub_wait_blocked (y.b, 5000));
  fail_unless_equals_uint64 (stat_u64 (y.el, "stalled-threads"), 0);
  fail_if (pad_stalled (y.b));
  LOCK (&y.a->lock);
  ya = y.a->bufs->len;
  UNLOCK (&y.a->lock);
  LOCK (&y.c->lock);
  yc = y.c->bufs->len;
  UNLOCK (&y.c->lock);
  fail_unless (ya <= 11 && yc <= 11, "Y handed over before its threshold: "
      "a got %u, c got %u while b was blocked at 10", ya, yc);

  /* released: Y's thread carries on with everyone, X's b catches up on
   * the thread it kept */
  sub_unblock (y.b);
  sub_unblock (x.b);
  fail_unless (sub_wait (y.a, n, FALSE, 10000), "Y a got %u", y.a->bufs->len);
  fail_unless (sub_wait (y.b, n, FALSE, 10000), "Y b got %u", y.b->bufs->len);
  fail_unless (sub_wait (y.c, n, FALSE, 10000), "Y c got %u", y.c->bufs->len);
  fail_unless (sub_wait (x.b, n, FALSE, 10000), "X b got %u", x.b->bufs->len);
  assert_all_in_order (y.a, n, "Y a");
  assert_all_in_order (y.b, n, "Y b");
  assert_all_in_order (y.c, n, "Y c");
  assert_all_in_order (x.b, n, "X b");

  stall_bus_free (&x);
  stall_bus_free (&y);
}

GST_END_TEST;

/* threads of this process named @name (/proc/self/task/N/comm) */
static guint
count_threads_named (const gchar * name)
{
  GDir *d = g_dir_open ("/proc/self/task", 0, NULL);
  const gchar *tid;
  guint n = 0;

  fail_unless (d != NULL);
  while ((tid = g_dir_read_name (d))) {
    gchar *path = g_build_filename ("/proc/self/task", tid, "comm", NULL);
    gchar *comm = NULL;

    if (g_file_get_contents (path, &comm, NULL, NULL)) {
      g_strchomp (comm);
      n += g_strcmp0 (comm, name) == 0;
    }
    g_free (comm);
    g_free (path);
  }
  g_dir_close (d);
  return n;
}

/* TRUE once count_threads_named (@name) is @want, FALSE after @timeout_ms */
static gboolean
wait_threads_named (const gchar * name, guint want, guint timeout_ms)
{
  gint64 end = g_get_monotonic_time () + timeout_ms * G_TIME_SPAN_MILLISECOND;

  while (count_threads_named (name) != want) {
    if (g_get_monotonic_time () > end)
      return FALSE;
    g_usleep (10 * 1000);       /* a thread exiting: no event to wait on */
  }
  return TRUE;
}

/* Every running bus of the process shares one watchdog thread (one per bus
 * woke 20 times a second each); it still hands a stalled bus's pads over
 * while the others run, a stall-threshold lowered while playing takes
 * effect at once, and the thread ends with the last bus.  The delivery
 * threads carry their own name (a name over 15 characters was refused and
 * they showed up as their creator). */
GST_START_TEST (test_one_watchdog_for_all_buses)
{
  StallBus b[6];
  guint i, k, n = 40;

  /* none left by an earlier test run in this process (CK_FORK=no) */
  fail_unless (wait_threads_named ("arclybus-watch", 0, 5000));

  /* One bus, 60 s threshold, stalled: the watchdog sleeps for 60 s.  Its
   * threshold lowered to 50 ms, it hands over at once. */
  stall_bus_start (&b[0], 60 * GST_SECOND);
  for (i = 0; i < n; i++)
    fail_unless_equals_int (gst_pad_push (b[0].pub, make_frame (i, 30)),
        GST_FLOW_OK);
  fail_unless (sub_wait_blocked (b[0].b, 5000));
  fail_unless_equals_uint64 (stat_u64 (b[0].el, "stalled-threads"), 0);
  g_object_set (b[0].el, "stall-threshold", 50 * GST_MSECOND, NULL);
  fail_unless (sub_wait (b[0].a, n, FALSE, 5000), "a got %u after lowering "
      "the threshold", b[0].a->bufs->len);
  fail_unless (sub_wait (b[0].c, n, FALSE, 5000));
  fail_unless_equals_uint64 (stat_u64 (b[0].el, "stalled-threads"), 1);

  /* five more, stalled the same way: still one watchdog, every bus's
   * healthy pads handed over */
  for (k = 1; k < G_N_ELEMENTS (b); k++)
    stall_bus_start (&b[k], 50 * GST_MSECOND);
  fail_unless_equals_int (count_threads_named ("arclybus-watch"), 1);
  for (i = 0; i < n; i++)
    for (k = 1; k < G_N_ELEMENTS (b); k++)
      fail_unless_equals_int (gst_pad_push (b[k].pub, make_frame (i, 30)),
          GST_FLOW_OK);
  for (k = 1; k < G_N_ELEMENTS (b); k++) {
    fail_unless (sub_wait_blocked (b[k].b, 5000));
    fail_unless (sub_wait (b[k].a, n, FALSE, 10000), "bus %u: a got %u", k,
        b[k].a->bufs->len);
    fail_unless (sub_wait (b[k].c, n, FALSE, 10000), "bus %u: c got %u", k,
        b[k].c->bufs->len);
    fail_unless (pad_stalled (b[k].b), "bus %u: b not reported stalled", k);
  }
  /* (named once they ran: they have delivered by now) */
  fail_unless (count_threads_named ("arclybus-send") >= G_N_ELEMENTS (b),
      "%u delivery threads named arclybus-send",
      count_threads_named ("arclybus-send"));

  for (k = 0; k < G_N_ELEMENTS (b); k++) {
    sub_unblock (b[k].b);
    fail_unless (sub_wait (b[k].b, n, FALSE, 10000), "bus %u: b got %u", k,
        b[k].b->bufs->len);
    assert_all_in_order (b[k].a, n, "a");
    assert_all_in_order (b[k].b, n, "b");
    assert_all_in_order (b[k].c, n, "c");
  }
  for (k = 0; k < G_N_ELEMENTS (b); k++) {
    stall_bus_free (&b[k]);
    /* the watchdog stays while a bus runs, and goes with the last */
    if (k + 1 < G_N_ELEMENTS (b))
      fail_unless_equals_int (count_threads_named ("arclybus-watch"), 1);
  }
  fail_unless (wait_threads_named ("arclybus-watch", 0, 5000),
      "the watchdog thread outlived every bus");
}

GST_END_TEST;

/* A pad that returns, but too slowly (no stall), overruns again and again;
 * past max-lag it is evicted: lag messages, then EOS and arcly-bus-evicted,
 * then nothing.  The other pad loses nothing. */
GST_START_TEST (test_slow_subscriber_evicted)
{
  GstPad *pub;
  GstBus *gbus;
  GstElement *el = make_bus (&pub, &gbus);
  Sub *a, *slow;
  GstStructure *msg, *st;
  guint64 total = 0, v = 0;
  gboolean evicted = FALSE;
  guint i, n = 300, got;

  g_object_set (el, "threads", 2, "capacity", 32, "max-lag", 40,
      "stall-threshold", 10 * GST_SECOND, NULL);
  a = sub_new (el);
  slow = sub_new (el);
  slow->delay_us = 20000;
  start_stream (el, pub);
  for (i = 0; i < n; i++) {
    fail_unless_equals_int (gst_pad_push (pub, make_frame (i, 10)),
        GST_FLOW_OK);
    g_usleep (2000);
  }
  msg = wait_message (gbus, "arcly-bus-evicted", 10000);
  fail_unless (msg != NULL, "no arcly-bus-evicted message");
  fail_unless_equals_string (gst_structure_get_string (msg, "pad-name"),
      GST_PAD_NAME (slow->bus_pad));
  fail_unless (gst_structure_get_uint64 (msg, "total-dropped", &total));
  fail_unless (total > 40, "evicted after %" G_GUINT64_FORMAT, total);
  gst_structure_free (msg);
  fail_unless (sub_wait (slow, 0, TRUE, 5000), "evicted pad got no EOS");
  fail_unless (stat_u64 (el, "lagged") >= 1);
  fail_unless_equals_uint64 (stat_u64 (el, "evictions"), 1);
  g_object_get (slow->bus_pad, "stats", &st, NULL);
  fail_unless (gst_structure_get_boolean (st, "evicted", &evicted));
  fail_unless (evicted);
  fail_unless (gst_structure_get_uint64 (st, "frames-dropped", &v));
  fail_unless_equals_uint64 (v, total);
  fail_unless (gst_structure_get_uint64 (st, "lagged", &v));
  fail_unless (v >= 1);
  gst_structure_free (st);

  LOCK (&slow->lock);
  got = slow->bufs->len;
  UNLOCK (&slow->lock);
  for (; i < n + 30; i++)
    fail_unless_equals_int (gst_pad_push (pub, make_frame (i, 10)),
        GST_FLOW_OK);
  fail_unless (sub_wait (a, n + 30, FALSE, 5000), "a got %u", a->bufs->len);
  g_usleep (50 * 1000);
  LOCK (&slow->lock);
  fail_unless_equals_int (slow->bufs->len, got);
  fail_unless_equals_int (slow->n_eos, 1);
  fail_unless (g_str_has_suffix (slow->elog->str, "eos "));
  UNLOCK (&slow->lock);
  LOCK (&a->lock);
  for (i = 0; i < n + 30; i++)
    fail_unless_equals_uint64 (GST_BUFFER_PTS (g_ptr_array_index (a->bufs,
                i)), i * FRAME_DUR);
  UNLOCK (&a->lock);

  sub_free (el, a);
  sub_free (el, slow);
  free_bus (el, pub, gbus);
}

GST_END_TEST;

/* The element's and the pads' statistics on a paced 30 fps stream. */
GST_START_TEST (test_stats)
{
  GstPad *pub;
  GstBus *gbus;
  GstElement *el = make_bus (&pub, &gbus);
  Sub *a, *b;
  GstStructure *st;
  guint64 bytes = 0, cache_bytes = 0, v;
  gdouble fps = 0;
  gboolean flag = TRUE;
  gint64 end;
  guint i = 0, k, cache_frames;

  a = sub_new (el);
  b = sub_new (el);
  start_stream (el, pub);
  end = g_get_monotonic_time () + 1400 * G_TIME_SPAN_MILLISECOND;
  while (g_get_monotonic_time () < end) {
    GstBuffer *buf = make_frame (i, 10);

    bytes += gst_buffer_get_size (buf);
    fail_unless_equals_int (gst_pad_push (pub, buf), GST_FLOW_OK);
    i++;
    g_usleep (G_USEC_PER_SEC / 30);
  }
  fail_unless (sub_wait (a, i, FALSE, 5000));
  fail_unless (sub_wait (b, i, FALSE, 5000));
  /* the GOP in the cache: from the last keyframe on */
  cache_frames = (i - 1) % 10 + 1;
  for (k = i - cache_frames; k < i; k++)
    cache_bytes += 100 + (k % 7);

  g_object_get (el, "stats", &st, NULL);
  GST_INFO ("%" GST_PTR_FORMAT, st);
  fail_unless (gst_structure_get_uint (st, "subscribers", &k));
  fail_unless_equals_int (k, 2);
  fail_unless (gst_structure_get_uint64 (st, "frames-published", &v));
  fail_unless_equals_uint64 (v, i);
  fail_unless (gst_structure_get_uint64 (st, "bytes-published", &v));
  fail_unless_equals_uint64 (v, bytes);
  fail_unless (gst_structure_get_double (st, "fps", &fps));
  fail_unless (fps > 20 && fps < 40, "fps %f", fps);
  /* bitrate and fps over the same window: bits per frame = 8 x 100..106 */
  fail_unless (gst_structure_get_uint64 (st, "bitrate", &v));
  fail_unless (v / fps >= 8 * 99 && v / fps <= 8 * 107, "bitrate %"
      G_GUINT64_FORMAT " at %f fps", v, fps);
  fail_unless (gst_structure_get_uint (st, "cache-frames", &k));
  fail_unless_equals_int (k, cache_frames);
  fail_unless (gst_structure_get_uint64 (st, "cache-bytes", &v));
  fail_unless_equals_uint64 (v, cache_bytes);
  fail_unless (gst_structure_get_uint64 (st, "lagged", &v));
  fail_unless_equals_uint64 (v, 0);
  fail_unless (gst_structure_get_uint64 (st, "frames-dropped", &v));
  fail_unless_equals_uint64 (v, 0);
  fail_unless (gst_structure_get_uint64 (st, "evictions", &v));
  fail_unless_equals_uint64 (v, 0);
  gst_structure_free (st);

  g_object_get (b->bus_pad, "stats", &st, NULL);
  fail_unless (gst_structure_get_uint64 (st, "frames-pushed", &v));
  fail_unless_equals_uint64 (v, i);
  fail_unless (gst_structure_get_uint64 (st, "bytes-pushed", &v));
  fail_unless_equals_uint64 (v, bytes);
  fail_unless (gst_structure_get_uint64 (st, "lag-frames", &v));
  fail_unless_equals_uint64 (v, 0);
  fail_unless (gst_structure_get_uint64 (st, "lagged", &v));
  fail_unless_equals_uint64 (v, 0);
  fail_unless (gst_structure_get_boolean (st, "stalled", &flag));
  fail_if (flag);
  fail_unless (gst_structure_get_boolean (st, "evicted", &flag));
  fail_if (flag);
  gst_structure_free (st);

  sub_free (el, a);
  sub_free (el, b);
  free_bus (el, pub, gbus);
}

GST_END_TEST;

static gint
wait_fku (gint at_least, guint timeout_ms)
{
  gint64 end = g_get_monotonic_time () + SLOW * timeout_ms * 1000;

  while (g_atomic_int_get (&fku_events) < at_least &&
      g_get_monotonic_time () < end)
    g_usleep (5000);
  return g_atomic_int_get (&fku_events);
}

/* Joiners that must wait for a keyframe ask upstream for one at most once
 * a second, again after a second, and never with request-keyframe=false. */
GST_START_TEST (test_keyframe_request_rate)
{
  GstPad *pub;
  GstBus *gbus;
  GstElement *el = make_bus (&pub, &gbus);
  Sub *s[4];
  guint i;

  g_atomic_int_set (&fku_events, 0);
  g_object_set (el, "gop-max-frames", 5, NULL);
  start_stream (el, pub);
  for (i = 0; i < 10; i++)
    gst_pad_push (pub, make_frame (i, 100));
  s[0] = sub_new (el);
  fail_unless_equals_int (wait_fku (1, 2000), 1);
  s[1] = sub_new (el);
  g_usleep (200 * 1000);
  fail_unless_equals_int (g_atomic_int_get (&fku_events), 1);
  g_usleep (900 * 1000);
  s[2] = sub_new (el);
  fail_unless_equals_int (wait_fku (2, 2000), 2);
  g_object_set (el, "request-keyframe", FALSE, NULL);
  g_usleep (1100 * 1000);
  s[3] = sub_new (el);
  g_usleep (200 * 1000);
  fail_unless_equals_int (g_atomic_int_get (&fku_events), 2);
  for (i = 0; i < G_N_ELEMENTS (s); i++)
    sub_free (el, s[i]);
  free_bus (el, pub, gbus);
}

GST_END_TEST;

/* A pad that lagged past the last keyframe still in the ring waits for the
 * next one, and upstream is asked for it (once), so it does not wait a
 * whole GOP. */
GST_START_TEST (test_lag_without_keyframe_requests_one)
{
  GstPad *pub;
  GstBus *gbus;
  GstElement *el = make_bus (&pub, &gbus);
  GstStructure *msg;
  GstBuffer *head;
  Sub *b;
  guint i, before;

  g_atomic_int_set (&fku_events, 0);
  g_object_set (el, "threads", 1, "capacity", 16, "gop-max-frames", 5,
      NULL);
  b = sub_new (el);
  b->block_after = 2;
  start_stream (el, pub);
  /* one keyframe (frame 0), then delta units only; b stops returning at
   * its second buffer while 40 more overrun its cursor */
  for (i = 0; i < 2; i++)
    gst_pad_push (pub, make_frame (i, 1000));
  fail_unless (sub_wait_blocked (b, 5000));
  for (; i < 40; i++)
    fail_unless_equals_int (gst_pad_push (pub, make_frame (i, 1000)),
        GST_FLOW_OK);
  fail_unless_equals_int (g_atomic_int_get (&fku_events), 0);
  sub_unblock (b);
  fail_unless_equals_int (wait_fku (1, 2000), 1);
  LOCK (&b->lock);
  before = b->bufs->len;
  UNLOCK (&b->lock);
  fail_unless_equals_int (before, 2);
  /* more delta units: still nothing for the lagged pad */
  for (; i < 45; i++)
    gst_pad_push (pub, make_frame (i, 1000));
  g_usleep (100 * 1000);
  LOCK (&b->lock);
  fail_unless_equals_int (b->bufs->len, before);
  UNLOCK (&b->lock);
  /* the keyframe upstream was asked for */
  gst_pad_push (pub, make_frame (1000, 1000));
  fail_unless (sub_wait (b, before + 1, FALSE, 5000));
  LOCK (&b->lock);
  head = g_ptr_array_index (b->bufs, before);
  fail_unless_equals_uint64 (GST_BUFFER_PTS (head), 1000 * FRAME_DUR);
  fail_unless (GST_BUFFER_FLAG_IS_SET (head, GST_BUFFER_FLAG_DISCONT));
  UNLOCK (&b->lock);
  msg = wait_message (gbus, "arcly-bus-lagged", 5000);
  fail_unless (msg != NULL, "no arcly-bus-lagged message");
  gst_structure_free (msg);
  fail_unless_equals_int (g_atomic_int_get (&fku_events), 1);

  sub_free (el, b);
  free_bus (el, pub, gbus);
}

GST_END_TEST;

static gboolean
pool_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  if (GST_QUERY_TYPE (query) == GST_QUERY_ALLOCATION) {
    GstBufferPool *pool = gst_buffer_pool_new ();

    gst_query_add_allocation_pool (query, pool, 4096, 2, 0);
    gst_object_unref (pool);
    return TRUE;
  }
  return gst_pad_query_default (pad, parent, query);
}

/* The allocation query is answered without a pool even when a subscriber
 * would propose one; in a live pipeline the latency through the bus is the
 * source's. */
GST_START_TEST (test_allocation_and_live_latency)
{
  GstPad *pub;
  GstBus *gbus;
  GstElement *el = make_bus (&pub, &gbus);
  GstElement *pipe, *src, *sink;
  GstPad *srcpad, *sinkpad;
  GstQuery *q;
  GstCaps *caps;
  GError *err = NULL;
  gboolean live = FALSE, src_live = FALSE;
  GstClockTime min, max, src_min, src_max;
  Sub *a;
  gint64 pos = -1;

  a = sub_new (el);
  gst_pad_set_query_function (a->sink, pool_query);
  start_stream (el, pub);
  caps = gst_caps_new_empty_simple ("video/x-test");
  q = gst_query_new_allocation (caps, TRUE);
  fail_unless (gst_pad_query (a->sink, q));
  fail_unless_equals_int (gst_query_get_n_allocation_pools (q), 1);
  gst_query_unref (q);
  q = gst_query_new_allocation (caps, TRUE);
  fail_unless (gst_pad_peer_query (pub, q));
  fail_unless_equals_int (gst_query_get_n_allocation_pools (q), 0);
  gst_query_unref (q);
  gst_caps_unref (caps);
  sub_free (el, a);
  free_bus (el, pub, gbus);

  pipe = gst_parse_launch ("videotestsrc is-live=true name=src ! "
      "video/x-raw,width=64,height=48,framerate=30/1 ! arclybus name=b "
      "b. ! fakesink name=s0 sync=true b. ! fakesink name=s1 sync=true", &err);
  fail_unless (pipe != NULL, "%s", err ? err->message : "?");
  fail_unless (gst_element_set_state (pipe, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  fail_unless_equals_int (gst_element_get_state (pipe, NULL, NULL,
          SLOW * 10 * GST_SECOND), GST_STATE_CHANGE_SUCCESS);
  src = gst_bin_get_by_name (GST_BIN (pipe), "src");
  srcpad = gst_element_get_static_pad (src, "src");
  q = gst_query_new_latency ();
  fail_unless (gst_pad_query (srcpad, q));
  gst_query_parse_latency (q, &src_live, &src_min, &src_max);
  gst_query_unref (q);
  /* what a subscriber's sink sees upstream: the source's latency, the bus
   * adds none */
  sink = gst_bin_get_by_name (GST_BIN (pipe), "s1");
  sinkpad = gst_element_get_static_pad (sink, "sink");
  q = gst_query_new_latency ();
  fail_unless (gst_pad_peer_query (sinkpad, q));
  gst_query_parse_latency (q, &live, &min, &max);
  gst_query_unref (q);
  fail_unless (src_live && live, "the bus's src pad is not reported live");
  fail_unless_equals_uint64 (min, src_min);
  fail_unless_equals_uint64 (max, src_max);
  fail_unless (src_min > 0);
  /* and the pipeline as a whole is live */
  q = gst_query_new_latency ();
  fail_unless (gst_element_query (pipe, q));
  gst_query_parse_latency (q, &live, &min, &max);
  gst_query_unref (q);
  fail_unless (live);
  fail_unless (min >= src_min);
  pos = -1;
  fail_unless (gst_pad_peer_query_position (sinkpad, GST_FORMAT_TIME, &pos));
  fail_unless (pos >= 0);
  gst_object_unref (sinkpad);
  gst_object_unref (sink);
  fail_unless (gst_element_query_position (pipe, GST_FORMAT_TIME, &pos));
  fail_unless (pos >= 0);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (srcpad);
  gst_object_unref (src);
  gst_object_unref (pipe);
}

GST_END_TEST;

static Suite *
arclybus_suite (void)
{
  Suite *s = suite_create ("arclybus");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_every_buffer_same_pointers);
  tcase_add_test (tc, test_buffer_list_one_wake);
  tcase_add_test (tc, test_blocked_subscriber_isolated);
  tcase_add_test (tc, test_blocked_probe_evicted);
  tcase_add_test (tc, test_eos_reaches_every_pad);
  tcase_add_test (tc, test_stop_with_stalled_pads);
  tcase_add_test (tc, test_request_release_race);
  tcase_add_test (tc, test_flush_and_queries);
  tcase_add_test (tc, test_window_cache_without_delta);
  tcase_add_test (tc, test_gop_overflow_requests_keyframe);
  tcase_add_test (tc, test_pads_in_every_state);
  tcase_add_test (tc, test_caps_change_replayed_to_joiners);
  tcase_add_test (tc, test_audio_and_raw_streams);
  tcase_add_test (tc, test_subscriber_restarts_on_keyframe);
  tcase_add_test (tc, test_late_join_h264);
  tcase_add_test (tc, test_serialized_events_in_order);
  tcase_add_test (tc, test_downstream_errors_isolated);
  tcase_add_test (tc, test_flush_resets_cursors_and_cache);
  tcase_add_test (tc, test_stall_threshold_handover);
  tcase_add_test (tc, test_one_watchdog_for_all_buses);
  tcase_add_test (tc, test_slow_subscriber_evicted);
  tcase_add_test (tc, test_stats);
  tcase_add_test (tc, test_keyframe_request_rate);
  tcase_add_test (tc, test_lag_without_keyframe_requests_one);
  tcase_add_test (tc, test_allocation_and_live_latency);
  return s;
}

GST_CHECK_MAIN (arclybus);
