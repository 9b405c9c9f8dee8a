/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The pure ring behind arclybus: order, overrun to the newest keyframe (never
 * a delta unit), GOP cache bounds (frames, bytes), the sliding window for
 * streams without delta units, trimming and flushing.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include "busring.h"

#define K (ARCLY_BUS_ITEM_BUFFER | ARCLY_BUS_ITEM_KEY)
#define D (ARCLY_BUS_ITEM_BUFFER)

static void
release (ArclyBusItem * items, guint n)
{
  guint i;
  for (i = 0; i < n; i++)
    gst_mini_object_unref (items[i].obj);
}

static void
drain_and_free (ArclyBusRing * ring)
{
  ArclyBusItem out[16];
  guint n;

  while ((n = arcly_bus_ring_clear (ring, out, G_N_ELEMENTS (out))) > 0)
    release (out, n);
  arcly_bus_ring_free (ring);
}

/* Pushes a buffer of @size bytes; returns the (borrowed) pointer. */
static GstBuffer *
push (ArclyBusRing * ring, guint32 flags, guint32 size)
{
  GstBuffer *buf = gst_buffer_new ();
  ArclyBusItem ev;

  if (arcly_bus_ring_push (ring, GST_MINI_OBJECT_CAST (buf), NULL, size,
          flags, &ev))
    release (&ev, 1);
  return buf;
}

GST_START_TEST (test_order_and_pointers)
{
  ArclyBusRing *ring = arcly_bus_ring_new (64);
  ArclyBusCursor a, b;
  ArclyBusItem it;
  GstBuffer *pushed[40];
  guint i;

  fail_if (arcly_bus_ring_join (ring, TRUE, &a));
  fail_if (arcly_bus_ring_join (ring, TRUE, &b));
  fail_unless_equals_int (arcly_bus_ring_next (ring, &a, &it),
      ARCLY_BUS_READ_EMPTY);
  for (i = 0; i < 40; i++)
    pushed[i] = push (ring, i % 10 == 0 ? K : D, 100);
  for (i = 0; i < 40; i++) {
    fail_unless_equals_int (arcly_bus_ring_next (ring, &a, &it),
        ARCLY_BUS_READ_ITEM);
    fail_unless (it.obj == GST_MINI_OBJECT_CAST (pushed[i]));
    fail_unless_equals_int (it.nbuf, i);
  }
  fail_unless_equals_int (arcly_bus_ring_next (ring, &a, &it),
      ARCLY_BUS_READ_EMPTY);
  fail_if (a.discont);
  fail_unless_equals_int (a.dropped, 0);
  /* b is independent of a */
  fail_unless_equals_int (arcly_bus_ring_next (ring, &b, &it),
      ARCLY_BUS_READ_ITEM);
  fail_unless (it.obj == GST_MINI_OBJECT_CAST (pushed[0]));
  drain_and_free (ring);
}

GST_END_TEST;

GST_START_TEST (test_overrun_skips_to_newest_keyframe)
{
  ArclyBusRing *ring = arcly_bus_ring_new (16);
  ArclyBusCursor c;
  ArclyBusItem it;
  GstBuffer *key = NULL;
  guint i;

  arcly_bus_ring_join (ring, FALSE, &c);
  /* 40 buffers, a keyframe every 8: the reader read nothing */
  for (i = 0; i < 40; i++) {
    GstBuffer *b = push (ring, i % 8 == 0 ? K : D, 10);
    if (i % 8 == 0)
      key = b;
  }
  /* newest keyframe is buffer 32, still in the ring (tail is 24) */
  fail_unless_equals_int (arcly_bus_ring_lost_behind (ring, &c), 24);
  fail_unless_equals_int (arcly_bus_ring_next (ring, &c, &it),
      ARCLY_BUS_READ_ITEM);
  fail_unless (it.obj == GST_MINI_OBJECT_CAST (key));
  fail_unless (it.flags & ARCLY_BUS_ITEM_KEY);
  fail_unless (c.discont);
  fail_unless_equals_int (c.dropped, 32);
  fail_unless_equals_int (c.overruns, 1);
  for (i = 33; i < 40; i++) {
    fail_unless_equals_int (arcly_bus_ring_next (ring, &c, &it),
        ARCLY_BUS_READ_ITEM);
    fail_unless_equals_int (it.nbuf, i);
  }
  drain_and_free (ring);
}

GST_END_TEST;

static void
push_timed (ArclyBusRing * ring, guint32 flags, GstClockTime ts)
{
  ArclyBusItem ev;

  if (arcly_bus_ring_push_timed (ring, GST_MINI_OBJECT_CAST (gst_buffer_new ()),
          NULL, 10, flags, ts, ts, &ev))
    release (&ev, 1);
}

/* The time bound: far from an overrun (a ring of 1024), a reader whose next
 * buffer is more than max_time older than the newest one moves to the newest
 * keyframe; within the bound, or already at the newest keyframe, it stays. */
GST_START_TEST (test_skip_late)
{
  ArclyBusRing *ring = arcly_bus_ring_new (1024);
  ArclyBusCursor c;
  ArclyBusItem it;
  guint i;

  arcly_bus_ring_join (ring, FALSE, &c);
  /* 10 fps, a keyframe every 10 buffers (1 s), an event in between */
  for (i = 0; i < 25; i++) {
    push_timed (ring, i % 10 == 0 ? K : D, i * 100 * GST_MSECOND);
    if (i == 12)
      push_timed (ring, 0, GST_CLOCK_TIME_NONE);
  }
  fail_unless_equals_uint64 (arcly_bus_ring_newest_ts (ring),
      2400 * GST_MSECOND);
  fail_unless_equals_uint64 (arcly_bus_ring_lag_time (ring, &c),
      2400 * GST_MSECOND);
  /* no bound, or within it: no move */
  fail_if (arcly_bus_ring_skip_late (ring, &c, 0));
  fail_if (arcly_bus_ring_skip_late (ring, &c, GST_CLOCK_TIME_NONE));
  fail_if (arcly_bus_ring_skip_late (ring, &c, 2400 * GST_MSECOND));
  /* past it: to the keyframe at 2 s (buffer 20), 20 buffers dropped */
  fail_unless (arcly_bus_ring_skip_late (ring, &c, GST_SECOND));
  fail_unless (c.discont);
  fail_unless_equals_uint64 (c.dropped, 20);
  fail_unless_equals_uint64 (c.overruns, 1);
  fail_unless_equals_uint64 (arcly_bus_ring_lag_time (ring, &c),
      400 * GST_MSECOND);
  fail_unless_equals_int (arcly_bus_ring_next (ring, &c, &it),
      ARCLY_BUS_READ_ITEM);
  fail_unless (it.flags & ARCLY_BUS_ITEM_KEY);
  fail_unless_equals_int (it.nbuf, 20);
  fail_unless_equals_uint64 (it.ts, 2 * GST_SECOND);
  /* the reader at buffer 21 (2.1 s) moves again once it is more than 1 s
   * behind and a newer keyframe (3 s) exists */
  for (i = 25; i < 30; i++)
    push_timed (ring, D, i * 100 * GST_MSECOND);
  fail_if (arcly_bus_ring_skip_late (ring, &c, GST_SECOND));
  push_timed (ring, K, 3000 * GST_MSECOND);
  push_timed (ring, D, 3100 * GST_MSECOND);
  fail_if (arcly_bus_ring_skip_late (ring, &c, GST_SECOND));
  push_timed (ring, D, 3200 * GST_MSECOND);
  fail_unless (arcly_bus_ring_skip_late (ring, &c, GST_SECOND));
  fail_unless_equals_uint64 (c.dropped, 20 + 9);
  /* at the newest keyframe, however late: it stays */
  fail_if (arcly_bus_ring_skip_late (ring, &c, GST_MSECOND));
  /* untimed buffers are never judged */
  push_timed (ring, D, GST_CLOCK_TIME_NONE);
  for (i = 0; i < 3; i++)
    fail_unless_equals_int (arcly_bus_ring_next (ring, &c, &it),
        ARCLY_BUS_READ_ITEM);
  fail_unless_equals_uint64 (arcly_bus_ring_lag_time (ring, &c),
      GST_CLOCK_TIME_NONE);
  fail_if (arcly_bus_ring_skip_late (ring, &c, GST_MSECOND));
  /* a second stream joins where the first is: at the first buffer at or
   * after the position (the keyframe at 3 s here), nowhere when past the
   * newest */
  fail_unless (arcly_bus_ring_join_at (ring, 2950 * GST_MSECOND, &c));
  fail_unless_equals_uint64 (arcly_bus_ring_next_pos (ring, &c),
      3000 * GST_MSECOND);
  fail_if (c.need_key);
  fail_unless (arcly_bus_ring_join_at (ring, 3050 * GST_MSECOND, &c));
  fail_unless (c.need_key);
  fail_if (arcly_bus_ring_join_at (ring, 4 * GST_SECOND, &c));
  drain_and_free (ring);
}

GST_END_TEST;

GST_START_TEST (test_overrun_without_keyframe_waits)
{
  ArclyBusRing *ring = arcly_bus_ring_new (8);
  ArclyBusCursor c;
  ArclyBusItem it;
  guint i;

  push (ring, K, 10);
  arcly_bus_ring_join (ring, TRUE, &c);
  /* 20 delta units overwrite the keyframe */
  for (i = 0; i < 20; i++)
    push (ring, D, 10);
  fail_unless_equals_int (arcly_bus_ring_next (ring, &c, &it),
      ARCLY_BUS_READ_EMPTY);
  fail_unless (c.need_key);
  fail_unless_equals_int (c.dropped, 21);
  /* more deltas are skipped and counted, the keyframe is delivered */
  push (ring, D, 10);
  push (ring, D, 10);
  push (ring, K, 10);
  push (ring, D, 10);
  fail_unless_equals_int (arcly_bus_ring_next (ring, &c, &it),
      ARCLY_BUS_READ_ITEM);
  fail_unless (it.flags & ARCLY_BUS_ITEM_KEY);
  fail_unless_equals_int (it.nbuf, 23);
  fail_unless_equals_int (c.dropped, 23);
  fail_unless_equals_int (arcly_bus_ring_next (ring, &c, &it),
      ARCLY_BUS_READ_ITEM);
  fail_unless_equals_int (it.nbuf, 24);
  fail_unless_equals_int (c.dropped, 23);
  drain_and_free (ring);
}

GST_END_TEST;

GST_START_TEST (test_gop_cache)
{
  ArclyBusRing *ring = arcly_bus_ring_new (128);
  ArclyBusCursor c;
  ArclyBusItem it;
  GstBuffer *key;
  guint i;

  arcly_bus_ring_set_cache (ring, TRUE, 10, 1 << 20);
  fail_if (arcly_bus_ring_join (ring, TRUE, &c));
  push (ring, K, 10);
  for (i = 0; i < 5; i++)
    push (ring, D, 10);
  key = push (ring, K, 10);
  for (i = 0; i < 3; i++)
    push (ring, D, 10);
  fail_unless (arcly_bus_ring_cache_valid (ring));
  fail_unless_equals_int (arcly_bus_ring_cache_frames (ring), 4);
  fail_unless_equals_int (arcly_bus_ring_cache_bytes (ring), 40);
  fail_unless (arcly_bus_ring_join (ring, TRUE, &c));
  fail_unless_equals_int (arcly_bus_ring_next (ring, &c, &it),
      ARCLY_BUS_READ_ITEM);
  fail_unless (it.obj == GST_MINI_OBJECT_CAST (key));
  fail_if (c.discont);
  /* without the cache a joiner waits at the head for a keyframe */
  fail_if (arcly_bus_ring_join (ring, FALSE, &c));
  fail_unless (c.need_key);
  push (ring, D, 10);
  fail_unless_equals_int (arcly_bus_ring_next (ring, &c, &it),
      ARCLY_BUS_READ_EMPTY);
  fail_unless_equals_int (c.dropped, 0);

  /* the GOP outgrows 10 frames: dropped from the cache */
  for (i = 0; i < 6; i++)
    push (ring, D, 10);
  fail_if (arcly_bus_ring_cache_valid (ring));
  fail_if (arcly_bus_ring_join (ring, TRUE, &c));
  push (ring, K, 10);
  fail_unless (arcly_bus_ring_cache_valid (ring));
  fail_unless_equals_int (arcly_bus_ring_cache_frames (ring), 1);

  /* byte bound */
  arcly_bus_ring_set_cache (ring, TRUE, 300, 100);
  fail_unless (arcly_bus_ring_cache_valid (ring));
  push (ring, D, 60);
  fail_unless (arcly_bus_ring_cache_valid (ring));
  push (ring, D, 60);
  fail_if (arcly_bus_ring_cache_valid (ring));

  /* disabled */
  push (ring, K, 10);
  arcly_bus_ring_set_cache (ring, FALSE, 300, 100);
  fail_if (arcly_bus_ring_cache_valid (ring));
  drain_and_free (ring);
}

GST_END_TEST;

GST_START_TEST (test_window_without_delta_units)
{
  ArclyBusRing *ring = arcly_bus_ring_new (64);
  ArclyBusCursor c;
  ArclyBusItem it;
  GstBuffer *pushed[30];
  guint i;

  arcly_bus_ring_set_cache (ring, TRUE, 10, 1 << 20);
  for (i = 0; i < 30; i++)
    pushed[i] = push (ring, K, 4);
  fail_if (arcly_bus_ring_has_delta (ring));
  fail_unless_equals_int (arcly_bus_ring_cache_frames (ring), 10);
  fail_unless_equals_int (arcly_bus_ring_cache_bytes (ring), 40);
  fail_unless (arcly_bus_ring_join (ring, TRUE, &c));
  for (i = 20; i < 30; i++) {
    fail_unless_equals_int (arcly_bus_ring_next (ring, &c, &it),
        ARCLY_BUS_READ_ITEM);
    fail_unless (it.obj == GST_MINI_OBJECT_CAST (pushed[i]));
  }
  fail_unless_equals_int (arcly_bus_ring_next (ring, &c, &it),
      ARCLY_BUS_READ_EMPTY);
  /* the window wider than the ring follows the tail */
  arcly_bus_ring_set_cache (ring, TRUE, 1000, 1 << 20);
  for (i = 0; i < 100; i++)
    push (ring, K, 4);
  fail_unless (arcly_bus_ring_cache_valid (ring));
  fail_unless_equals_int (arcly_bus_ring_cache_start (ring),
      arcly_bus_ring_tail (ring));
  fail_unless (arcly_bus_ring_cache_frames (ring) <= 64);
  /* a single buffer above the byte bound empties the window */
  arcly_bus_ring_set_cache (ring, TRUE, 10, 8);
  push (ring, K, 9);
  fail_if (arcly_bus_ring_cache_valid (ring));
  /* the first delta unit switches to GOP mode, counted from the keyframe */
  arcly_bus_ring_set_cache (ring, TRUE, 10, 1 << 20);
  push (ring, K, 4);
  push (ring, D, 4);
  fail_unless (arcly_bus_ring_has_delta (ring));
  fail_unless_equals_int (arcly_bus_ring_cache_frames (ring), 2);
  drain_and_free (ring);
}

GST_END_TEST;

GST_START_TEST (test_events_trim_clear)
{
  ArclyBusRing *ring = arcly_bus_ring_new (32);
  ArclyBusCursor c;
  ArclyBusItem it, out[32], ev;
  guint i, n;

  arcly_bus_ring_set_cache (ring, TRUE, 300, 1 << 20);
  arcly_bus_ring_join (ring, TRUE, &c);
  push (ring, K, 1);
  fail_if (arcly_bus_ring_push (ring,
          GST_MINI_OBJECT_CAST (gst_event_new_gap (0, GST_SECOND)), NULL, 0,
          ARCLY_BUS_ITEM_KEY, &ev));
  push (ring, D, 1);
  fail_unless_equals_int (arcly_bus_ring_next (ring, &c, &it),
      ARCLY_BUS_READ_ITEM);
  fail_unless_equals_int (arcly_bus_ring_next (ring, &c, &it),
      ARCLY_BUS_READ_ITEM);
  fail_unless (GST_IS_EVENT (it.obj));
  fail_unless_equals_int (it.flags, 0);
  fail_unless_equals_int (it.nbuf, 1);
  /* events never count as buffers */
  fail_unless_equals_int (arcly_bus_ring_n_buffers (ring), 2);
  fail_unless_equals_int (arcly_bus_ring_cache_frames (ring), 2);

  /* trimming stops at the cache */
  n = arcly_bus_ring_trim (ring, 3, out, 32);
  fail_unless_equals_int (n, 0);
  push (ring, K, 1);            /* seq 3 starts a new cached GOP */
  n = arcly_bus_ring_trim (ring, 100, out, 2);
  fail_unless_equals_int (n, 2);
  release (out, n);
  n = arcly_bus_ring_trim (ring, 100, out, 32);
  fail_unless_equals_int (n, 1);
  release (out, n);
  fail_unless_equals_int (arcly_bus_ring_tail (ring), 3);
  fail_unless (arcly_bus_ring_peek (ring, 2) == NULL);
  fail_unless (arcly_bus_ring_peek (ring, 3) != NULL);

  /* without a cache, trimming follows the readers */
  arcly_bus_ring_set_cache (ring, FALSE, 300, 1 << 20);
  for (i = 0; i < 5; i++)
    push (ring, D, 1);
  n = arcly_bus_ring_trim (ring, 6, out, 32);
  fail_unless_equals_int (n, 3);
  release (out, n);

  /* flush */
  n = arcly_bus_ring_clear (ring, out, 32);
  fail_unless_equals_int (n, 3);
  release (out, n);
  fail_unless_equals_int (arcly_bus_ring_head (ring),
      arcly_bus_ring_tail (ring));
  fail_if (arcly_bus_ring_has_delta (ring));
  arcly_bus_ring_free (ring);
}

GST_END_TEST;

static Suite *
busring_suite (void)
{
  Suite *s = suite_create ("busring");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_order_and_pointers);
  tcase_add_test (tc, test_overrun_skips_to_newest_keyframe);
  tcase_add_test (tc, test_overrun_without_keyframe_waits);
  tcase_add_test (tc, test_skip_late);
  tcase_add_test (tc, test_gop_cache);
  tcase_add_test (tc, test_window_without_delta_units);
  tcase_add_test (tc, test_events_trim_clear);
  return s;
}

GST_CHECK_MAIN (busring);
