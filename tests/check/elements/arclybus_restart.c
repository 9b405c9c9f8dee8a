/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * arclybus stopped while a push is stalled, then started again: the
 * delivery thread left behind in that push belongs to the old run.  When
 * its push returns (with whatever flow) it must not touch the pad's state
 * in the new run (mark it dead, reset its cursor): the pad still gets every
 * frame of the new run, in order.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>

#define FRAME_DUR (GST_SECOND / 30)
#define WAIT_US (10 * G_TIME_SPAN_SECOND)

static GstStaticPadTemplate pub_tmpl = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);
static GstStaticPadTemplate sub_tmpl = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

typedef struct
{
  GMutex lock;
  GCond cond;
  gboolean block;               /* hold the next buffer ... */
  gboolean blocked;             /* ... it is held */
  GstFlowReturn held_ret;       /* what the held push returns */
  GArray *pts;                  /* buffers received (not the held one) */
} Sub;

static GstFlowReturn
sub_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  Sub *s = gst_pad_get_element_private (pad);
  gint64 deadline = g_get_monotonic_time () + WAIT_US;
  GstFlowReturn ret = GST_FLOW_OK;

  g_mutex_lock (&s->lock);
  if (s->block) {
    s->blocked = TRUE;
    g_cond_broadcast (&s->cond);
    while (s->block && g_get_monotonic_time () < deadline)
      g_cond_wait_until (&s->cond, &s->lock, deadline);
    s->blocked = FALSE;
    ret = s->held_ret;
  } else {
    g_array_append_val (s->pts, GST_BUFFER_PTS (buf));
  }
  g_cond_broadcast (&s->cond);
  g_mutex_unlock (&s->lock);
  gst_buffer_unref (buf);
  return ret;
}

static GstBuffer *
make_frame (guint i)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, 100, NULL);

  GST_BUFFER_PTS (buf) = i * FRAME_DUR;
  GST_BUFFER_DURATION (buf) = FRAME_DUR;
  if (i % 30 != 0)
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
  return buf;
}

static void
start_stream (GstElement * el, GstPad * pub, guint run)
{
  GstSegment seg;
  GstCaps *caps;
  gchar *id = g_strdup_printf ("run%u", run);

  fail_unless_equals_int (gst_element_set_state (el, GST_STATE_PLAYING),
      GST_STATE_CHANGE_SUCCESS);
  gst_segment_init (&seg, GST_FORMAT_TIME);
  fail_unless (gst_pad_push_event (pub, gst_event_new_stream_start (id)));
  caps = gst_caps_new_empty_simple ("video/x-test");
  fail_unless (gst_pad_push_event (pub, gst_event_new_caps (caps)));
  gst_caps_unref (caps);
  fail_unless (gst_pad_push_event (pub, gst_event_new_segment (&seg)));
  g_free (id);
}

static void
run_stale_push (GstFlowReturn held_ret)
{
  GstElement *el = gst_element_factory_make ("arclybus", NULL);
  GstPad *pub, *sink, *bus_pad;
  GstStructure *st;
  gboolean evicted = TRUE;
  Sub s;
  guint i;

  fail_unless (el != NULL, "arclybus not found: is the plugin built?");
  memset (&s, 0, sizeof (s));
  g_mutex_init (&s.lock);
  g_cond_init (&s.cond);
  s.pts = g_array_new (FALSE, FALSE, sizeof (GstClockTime));
  s.held_ret = held_ret;
  /* the max-lag-time skip would hide the bug behind a keyframe jump */
  g_object_set (el, "max-lag-time", (guint64) 0, NULL);

  pub = gst_pad_new_from_static_template (&pub_tmpl, "pub");
  sink = gst_element_get_static_pad (el, "sink");
  fail_unless_equals_int (gst_pad_link (pub, sink), GST_PAD_LINK_OK);
  gst_object_unref (sink);
  gst_pad_set_active (pub, TRUE);

  bus_pad = gst_element_request_pad_simple (el, "src_%u");
  sink = gst_pad_new_from_static_template (&sub_tmpl, "sink");
  gst_pad_set_element_private (sink, &s);
  gst_pad_set_chain_function (sink, sub_chain);
  gst_pad_set_active (sink, TRUE);
  fail_unless_equals_int (gst_pad_link (bus_pad, sink), GST_PAD_LINK_OK);

  /* run 1: the first buffer's push stalls */
  s.block = TRUE;
  start_stream (el, pub, 1);
  for (i = 0; i < 5; i++)
    fail_unless_equals_int (gst_pad_push (pub, make_frame (i)), GST_FLOW_OK);
  g_mutex_lock (&s.lock);
  while (!s.blocked)
    fail_unless (g_cond_wait_until (&s.cond, &s.lock,
            g_get_monotonic_time () + WAIT_US), "the push never stalled");
  g_mutex_unlock (&s.lock);

  /* stop (the stalled thread is left behind), start again, publish run 2 */
  fail_unless_equals_int (gst_element_set_state (el, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  /* NULL deactivated the src pad: reactivate it with PLAYING */
  start_stream (el, pub, 2);
  for (i = 0; i < 40; i++)
    fail_unless_equals_int (gst_pad_push (pub, make_frame (i)), GST_FLOW_OK);

  /* the old push returns now, with @held_ret */
  g_mutex_lock (&s.lock);
  s.block = FALSE;
  g_cond_broadcast (&s.cond);
  while (s.pts->len < 40)
    if (!g_cond_wait_until (&s.cond, &s.lock,
            g_get_monotonic_time () + 2 * G_TIME_SPAN_SECOND))
      break;
  GST_INFO ("after a stale %s: %u of 40 frames of the new run",
      gst_flow_get_name (held_ret), s.pts->len);
  fail_unless_equals_int (s.pts->len, 40);
  for (i = 0; i < 40; i++)
    fail_unless_equals_uint64 (g_array_index (s.pts, GstClockTime, i),
        i * FRAME_DUR);
  g_mutex_unlock (&s.lock);
  g_object_get (bus_pad, "stats", &st, NULL);
  fail_unless (gst_structure_get_boolean (st, "evicted", &evicted));
  fail_if (evicted);
  gst_structure_free (st);

  gst_element_set_state (el, GST_STATE_NULL);
  gst_element_release_request_pad (el, bus_pad);
  gst_object_unref (bus_pad);
  gst_pad_set_active (sink, FALSE);
  gst_object_unref (sink);
  gst_pad_set_active (pub, FALSE);
  gst_object_unref (pub);
  gst_object_unref (el);
  g_array_unref (s.pts);
  g_mutex_clear (&s.lock);
  g_cond_clear (&s.cond);
}

/* downstream errors out of the stalled push: the pad of the new run must
 * not be marked dead */
GST_START_TEST (test_stale_push_error_after_restart)
{
  run_stale_push (GST_FLOW_ERROR);
}

GST_END_TEST;

/* downstream was flushing: the pad of the new run must not be reset to
 * rejoin later from the GOP cache (losing the frames before it) */
GST_START_TEST (test_stale_push_flushing_after_restart)
{
  run_stale_push (GST_FLOW_FLUSHING);
}

GST_END_TEST;

/* and a push that simply returns OK does not disturb it either */
GST_START_TEST (test_stale_push_ok_after_restart)
{
  run_stale_push (GST_FLOW_OK);
}

GST_END_TEST;

static Suite *
arclybus_restart_suite (void)
{
  Suite *s = suite_create ("arclybus_restart");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_stale_push_error_after_restart);
  tcase_add_test (tc, test_stale_push_flushing_after_restart);
  tcase_add_test (tc, test_stale_push_ok_after_restart);
  return s;
}

GST_CHECK_MAIN (arclybus_restart);
