/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 *
 * This library is distributed in the hope that it will be useful,
 * but WITHOUT ANY WARRANTY; without even the implied warranty of
 * MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the GNU
 * Library General Public License for more details.
 *
 * You should have received a copy of the GNU Library General Public
 * License along with this library; if not, write to the
 * Free Software Foundation, Inc., 51 Franklin St, Fifth Floor,
 * Boston, MA 02110-1301, USA.
 */

/* The delivery threads of arclybus: which pad gets what next, the pushes,
 * the stall watchdog.  The element (gstarclybus.c) publishes into the ring
 * and wakes the threads; everything here runs on the threads it starts.
 *
 * Scheduling
 *
 * Publisher (the sink pad's streaming thread): under `lock`, append to the
 * ring (O(1); when full the oldest item is overwritten and released after
 * unlocking), then wakes at most one idle delivery thread, and none while
 * an awake one keeps claiming pads (wake_workers in gstarclybus.c): one
 * thread keeps up with a live stream, and a second one on another core
 * only costs lock and refcount traffic.  It never looks at the pads.  A
 * worker that claims a pad with more than one item to read (a backlog: a
 * joiner's GOP, a burst, slow pushes) wakes an idle peer, so a backlog is
 * served by the whole pool.
 *
 * Delivery threads ("workers", `threads` of them in the pool): each loops
 * "pick a pad, push one item, repeat".  Picking scans the pad array
 * round-robin from where the last pick stopped for a pad that is not `busy`
 * (claimed by another worker) and has something to read; it claims the pad,
 * reads the next item through the pad's cursor (a ring reference is taken),
 * and pushes it with no lock held.  One worker owns a pad at a time, so
 * every pad sees its items in order; a worker moves over many pads in turn.
 * With nothing to do a worker releases ring items no cursor needs any more,
 * then sleeps on `work_cond`.
 *
 * Stalls (like a Go runtime handing the processor to a new thread when one
 * blocks in a system call): the watchdog wakes once per `stall-threshold`,
 * or sooner when the oldest push in progress reaches it, and marks a
 * worker whose push has not returned by then as stalled.  There is one
 * watchdog thread for every running arclybus of the process (each stream
 * of each stream key is one): a thread per bus woke 20 times a second
 * each, 640 wake-ups a second for 16 cameras with nothing stalled.
 * The worker leaves the pool and becomes that pad's own thread, and the
 * watchdog starts a replacement so the pool keeps `threads` workers for
 * everyone else.  When the push returns the stalled worker keeps serving
 * only its pad (overrun → keyframe skip) until the pad has caught up, then
 * rejoins the pool if there is room or exits.  The watchdog also evicts a
 * stalled pad that has lost more than `max-lag` frames.
 *
 * Workers hold a ref on the element and on the pad they push to, and are
 * detached threads: stopping waits a bounded time for them and leaves a
 * worker stuck in a push behind (it notices the new `gen` and exits when the
 * push returns), so PLAYING→NULL returns promptly even with hung sinks.
 *
 * Locks (as documented at the top of gstarclybus.c; order: sink
 * GST_PAD_STREAM_LOCK → `lock`, and nothing after `lock`): functions marked
 * (L) run with `lock` held.  A worker drops it around each push
 * (execute_work), each release of ring items, each thread creation and each
 * unref that may finalize a pad or the element; no message is posted and
 * no pad or object lock is taken while it is held.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "gstarclybuselements.h"
#include "gstarclybus-private.h"

#define GST_CAT_DEFAULT arclybus_debug

static gpointer worker_main (gpointer data);
static gpointer watchdog_main (gpointer data);

/* The process's watchdog (see "Stalls"): `wd_lock` guards these; it is
 * taken after a bus lock or alone, and no bus lock is taken while it is
 * held. */
static GMutex wd_lock;
static GCond wd_cond;
static GPtrArray *wd_buses;     /* GstArclyBus * (ref): the running ones */
static gboolean wd_alive;       /* the thread exists */
static gboolean wd_kick;        /* look again now: a bus or setting changed */

/* (L) g_cond_wait_until() on the bus lock; G_MAXINT64 waits forever */
gboolean
arcly_bus_wait_until (GstArclyBus * self, GCond * cond, gint64 end_time)
{
  gboolean ret = TRUE;

  TSAN_RELEASE (&self->lock);
  if (end_time == G_MAXINT64)
    g_cond_wait (cond, &self->lock);
  else
    ret = g_cond_wait_until (cond, &self->lock, end_time);
  TSAN_ACQUIRE (&self->lock);
  return ret;
}

/* -------------------------------------------------------------- items */

void
arcly_bus_release_items (ArclyBusItem * items, guint n)
{
  guint i;

  for (i = 0; i < n; i++) {
    gst_mini_object_unref (items[i].obj);
    arcly_bus_sticky_unref (items[i].ctx);
  }
}

static GstEvent *
new_force_key_unit (void)
{
  /* the event gst_video_event_new_upstream_force_key_unit() builds, without
   * linking libgstvideo */
  return gst_event_new_custom (GST_EVENT_CUSTOM_UPSTREAM,
      gst_structure_new ("GstForceKeyUnit",
          "running-time", GST_TYPE_CLOCK_TIME, GST_CLOCK_TIME_NONE,
          "all-headers", G_TYPE_BOOLEAN, TRUE, "count", G_TYPE_UINT, 0, NULL));
}

/* (L) */
static gboolean
fku_due (GstArclyBus * self)
{
  gint64 now = g_get_monotonic_time ();

  if (!self->request_keyframe || (self->last_fku != 0
          && now - self->last_fku < FKU_INTERVAL_US))
    return FALSE;
  self->last_fku = now;
  return TRUE;
}

/* ---------------------------------------------------------- delivery */

/* What a worker does for one pad in one turn, prepared under the lock and
 * carried out without it. */
typedef struct
{
  GstEvent *sticky[MAX_STICKY];
  guint n_sticky;
  GstMiniObject *obj;
  gboolean is_buffer;
  guint32 size;
  gboolean discont;
  guint64 lag_dropped;          /* > 0: post arcly-bus-lagged */
  guint64 total_dropped;
  gboolean evict;               /* send EOS, post arcly-bus-evicted */
  gboolean fku;
  gboolean copy_sticky;         /* push copies of the sticky events */
} BusWork;

static void
work_take_sticky (BusWork * work, const BusSticky * s)
{
  guint i;

  for (i = 0; s && i < s->n && work->n_sticky < MAX_STICKY; i++)
    work->sticky[work->n_sticky++] = gst_event_ref (s->ev[i]);
}

/* (L) Places @p's cursor: at the GOP cache, or at the head waiting for a
 * keyframe (asking upstream for one). */
void
arcly_bus_pad_join (GstArclyBus * self, GstArclyBusPad * p)
{
  gboolean cached;

  /* lined up with another stream (arclybussrc): at the first buffer from
   * that position on, or live when none is held yet; else the GOP cache */
  if (GST_CLOCK_TIME_IS_VALID (p->join_pos))
    cached = arcly_bus_ring_join_at (self->ring, p->join_pos, &p->cur) ||
        arcly_bus_ring_join (self->ring, FALSE, &p->cur);
  else
    cached = arcly_bus_ring_join (self->ring, self->gop_cache, &p->cur);
  p->join_pos = GST_CLOCK_TIME_NONE;
  /* a joiner from the cache starts behind live by the cache's age: its
   * max-lag-time counts from there, or it would skip at once */
  p->joined_pos = arcly_bus_ring_next_pos (self->ring, &p->cur);
  p->lag_grace = arcly_bus_ring_lag_time (self->ring, &p->cur);
  if (!GST_CLOCK_TIME_IS_VALID (p->lag_grace))
    p->lag_grace = 0;

  p->joined = TRUE;
  p->started = FALSE;
  p->need_sticky = TRUE;
  p->retry_at = 0;
  /* a restart: its downstream saw data before, this is not the next of it */
  if (p->resend_sticky)
    p->cur.discont = TRUE;
  GST_DEBUG_OBJECT (p, "joined at %" G_GUINT64_FORMAT " (%s, position %"
      GST_TIME_FORMAT "%s)", p->cur.seq, cached ? "cached" : "live",
      GST_TIME_ARGS (p->joined_pos),
      p->cur.need_key ? ", waiting for a keyframe" : "");
  if (!cached && arcly_bus_ring_has_delta (self->ring) && fku_due (self))
    p->fku_pending = TRUE;
}

/* (L) Decides what @p gets next; TRUE if there is something to do. */
static gboolean
prepare_work (GstArclyBus * self, GstArclyBusPad * p, BusWork * work,
    gint64 now, gint64 * next_retry)
{
  ArclyBusItem item;
  guint64 overruns;
  GstClockTime bound;

  memset (work, 0, sizeof (*work));
  if (p->removed || self->flushing || self->ring == NULL)
    return FALSE;
  if (p->eos_pending) {
    p->eos_pending = FALSE;
    work->evict = TRUE;
    work->total_dropped = p->dropped;
    return TRUE;
  }
  if (p->dead || p->evicted || !p->linked)
    return FALSE;

  if (!p->joined) {
    if (p->retry_at > now) {
      if (*next_retry == 0 || p->retry_at < *next_retry)
        *next_retry = p->retry_at;
      return FALSE;
    }
    arcly_bus_pad_join (self, p);
  }
  if (p->fku_pending) {
    p->fku_pending = FALSE;
    work->fku = TRUE;
  }

  overruns = p->cur.overruns;
  /* the time bound: too far behind live, skip to the newest keyframe */
  bound = GST_CLOCK_TIME_IS_VALID (p->max_lag_time) ? p->max_lag_time :
      self->max_lag_time;
  if (bound > 0 && GST_CLOCK_TIME_IS_VALID (bound)) {
    GstClockTime lag = arcly_bus_ring_lag_time (self->ring, &p->cur);

    if (GST_CLOCK_TIME_IS_VALID (lag) && lag <= bound)
      p->lag_grace = 0;         /* caught up: the plain bound from now on */
    /* the lag its downstream keeps by design is not lag: skipping it would
     * hand that downstream newer data it then waits for just as long, and
     * the cursor would fall behind again, skip again, for ever */
    arcly_bus_ring_skip_late (self->ring, &p->cur,
        bound + MAX (p->lag_grace, p->lag_offset));
  }
  if (arcly_bus_ring_next (self->ring, &p->cur, &item) == ARCLY_BUS_READ_EMPTY) {
    if (p->cur.overruns != overruns && p->cur.need_key && fku_due (self))
      work->fku = TRUE;
    if (p->need_sticky) {
      /* a joiner at the head gets the stream's caps at once */
      p->need_sticky = FALSE;
      work_take_sticky (work, self->sticky);
      work->copy_sticky = p->resend_sticky;
    }
    return work->n_sticky > 0 || work->fku;
  }

  if (p->cur.overruns != overruns) {
    /* events were lost with the overwritten items: replay the state */
    p->need_sticky = TRUE;
    if (p->cur.need_key && fku_due (self))
      work->fku = TRUE;
  }
  if (p->need_sticky) {
    p->need_sticky = FALSE;
    work_take_sticky (work, item.ctx);
    work->copy_sticky = p->resend_sticky;
  }

  if (item.flags & ARCLY_BUS_ITEM_BUFFER) {
    if (p->cur.discont || p->cur.dropped > 0) {
      guint64 d = p->cur.dropped;

      work->discont = TRUE;
      p->cur.discont = FALSE;
      p->cur.dropped = 0;
      if (d > 0) {
        p->dropped += d;
        p->lagged++;
        self->dropped += d;
        self->lagged++;
        work->lag_dropped = d;
        work->total_dropped = p->dropped;
      }
      if (self->max_lag > 0 && p->dropped > self->max_lag) {
        p->evicted = TRUE;
        self->evictions++;
        work->evict = TRUE;
        return TRUE;
      }
    }
    work->size = item.size;
    work->is_buffer = TRUE;
  }
  work->obj = gst_mini_object_ref (item.obj);
  return TRUE;
}

static void
post_pad_message (GstArclyBus * self, GstArclyBusPad * p, const gchar * name,
    guint64 dropped, guint64 total)
{
  GstStructure *s = gst_structure_new (name,
      "pad-name", G_TYPE_STRING, GST_PAD_NAME (p),
      "frames-dropped", G_TYPE_UINT64, dropped,
      "total-dropped", G_TYPE_UINT64, total, NULL);

  gst_element_post_message (GST_ELEMENT_CAST (self),
      gst_message_new_element (GST_OBJECT_CAST (self), s));
}

static gboolean
pad_has_sticky (GstPad * pad, GstEvent * ev)
{
  guint idx;

  for (idx = 0;; idx++) {
    GstEvent *cur = gst_pad_get_sticky_event (pad, GST_EVENT_TYPE (ev), idx);
    gboolean same = cur == ev;

    if (cur == NULL)
      return FALSE;
    gst_event_unref (cur);
    if (same)
      return TRUE;
  }
}

/* No lock held.  Consumes @work's references.  Returns the flow of the
 * buffer pushed (GST_FLOW_OK for events). */
static GstFlowReturn
execute_work (GstArclyBus * self, GstArclyBusPad * p, BusWork * work)
{
  GstPad *pad = GST_PAD_CAST (p);
  GstFlowReturn ret = GST_FLOW_OK;
  guint i;

  if (work->fku) {
    GST_INFO_OBJECT (self, "asking upstream for a keyframe for %s",
        GST_PAD_NAME (p));
    gst_pad_push_event (self->sinkpad, new_force_key_unit ());
  }
  for (i = 0; i < work->n_sticky; i++) {
    if (work->copy_sticky) {
      /* the pad already stored this very event as sent: a copy replaces
       * it and goes downstream again */
      gst_pad_push_event (pad, gst_event_copy (work->sticky[i]));
      gst_event_unref (work->sticky[i]);
    } else if (pad_has_sticky (pad, work->sticky[i])) {
      gst_event_unref (work->sticky[i]);
    } else {
      gst_pad_push_event (pad, work->sticky[i]);
    }
  }
  if (work->lag_dropped > 0) {
    GST_INFO_OBJECT (self, "%s lagged: %" G_GUINT64_FORMAT " frames dropped",
        GST_PAD_NAME (p), work->lag_dropped);
    post_pad_message (self, p, "arcly-bus-lagged", work->lag_dropped,
        work->total_dropped);
  }
  if (work->evict) {
    GST_WARNING_OBJECT (self, "evicting %s after %" G_GUINT64_FORMAT
        " dropped frames", GST_PAD_NAME (p), work->total_dropped);
    if (work->obj)
      gst_mini_object_unref (work->obj);
    gst_pad_push_event (pad, gst_event_new_eos ());
    post_pad_message (self, p, "arcly-bus-evicted", 0, work->total_dropped);
    return GST_FLOW_EOS;
  }
  if (work->obj == NULL)
    return GST_FLOW_OK;

  if (GST_IS_BUFFER (work->obj)) {
    GstBuffer *buf = GST_BUFFER_CAST (work->obj);

    if (work->discont) {
      /* a new GstBuffer header sharing the memory: the payload is never
       * copied, and the other pads' buffer stays untouched */
      buf = gst_buffer_make_writable (buf);
      GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
    }
    GST_CAT_LOG_OBJECT (arclybus_dataflow, p, "pushing %" GST_PTR_FORMAT, buf);
    ret = gst_pad_push (pad, buf);
  } else {
    GST_CAT_LOG_OBJECT (arclybus_dataflow, p, "pushing %" GST_PTR_FORMAT,
        work->obj);
    gst_pad_push_event (pad, GST_EVENT_CAST (work->obj));
  }
  return ret;
}

/* (L) after a push */
static void
finish_work (GstArclyBus * self, GstArclyBusPad * p, BusWork * work,
    GstFlowReturn ret)
{
  if (work->evict) {
    p->evicted = TRUE;
    return;
  }
  if (!work->is_buffer)
    return;
  if (ret == GST_FLOW_OK) {
    p->frames++;
    p->bytes += work->size;
    p->started = TRUE;
    p->resend_sticky = FALSE;
  } else if (ret == GST_FLOW_FLUSHING || ret == GST_FLOW_NOT_LINKED) {
    /* allow-not-linked.  A joiner whose downstream was not ready yet, or a
     * branch that was flushed or went to READY and back, starts again like
     * a late joiner a little later: sticky events again, then a keyframe
     * (what it missed meanwhile would leave a decoder with broken
     * references until the next one). */
    if (!p->removed && p->joined && self->running) {
      if (p->started) {
        GST_DEBUG_OBJECT (self, "%s: downstream returned %s, restarting it "
            "from a keyframe", GST_PAD_NAME (p), gst_flow_get_name (ret));
        p->resend_sticky = TRUE;
      }
      p->joined = FALSE;
      p->retry_at = g_get_monotonic_time () + JOIN_RETRY_US;
    }
  } else {
    GST_INFO_OBJECT (self, "%s: downstream returned %s, no more data to it",
        GST_PAD_NAME (p), gst_flow_get_name (ret));
    p->dead = TRUE;
  }
}

/* (L) Wake one idle worker (n_idle > 0); it takes the wake-up back when
 * it returns from its wait (worker_main). */
void
arcly_bus_wake_one (GstArclyBus * self)
{
  self->n_wakes++;
  self->wakeups++;
  g_cond_signal (&self->work_cond);
}

/* (L) A pad other than @p no worker holds: something a woken peer could
 * serve.  With a single subscriber a backlog is that pad's alone, and a
 * peer woken for it would find nothing to do. */
static gboolean
other_pad_free (GstArclyBus * self, GstArclyBusPad * p)
{
  guint i;

  for (i = 0; i < self->pads->len; i++) {
    GstArclyBusPad *o = g_ptr_array_index (self->pads, i);

    if (o != p && !o->busy && !o->dead)
      return TRUE;
  }
  return FALSE;
}

/* (L) Round-robin over the pads for one with work; claims it. */
static GstArclyBusPad *
pick_pad (GstArclyBus * self, BusWork * work, gint64 * next_retry)
{
  guint n = self->pads->len, i;
  gint64 now = g_get_monotonic_time ();

  for (i = 0; i < n; i++) {
    guint idx = (self->rr + i) % n;
    GstArclyBusPad *p = g_ptr_array_index (self->pads, idx);

    if (p->busy)
      continue;
    if (prepare_work (self, p, work, now, next_retry)) {
      self->rr = idx + 1;
      self->last_pick = now;
      p->busy = TRUE;
      /* behind by more than this item: a backlog, serve it in parallel,
       * if there is another pad a peer could take */
      if (self->n_idle > 0 && self->n_wakes == 0 && self->ring
          && arcly_bus_ring_head (self->ring) > p->cur.seq
          && other_pad_free (self, p))
        arcly_bus_wake_one (self);
      return p;
    }
  }
  return NULL;
}

/* (L) The oldest position any active cursor still needs. */
static guint64
min_cursor (GstArclyBus * self)
{
  guint64 m = arcly_bus_ring_head (self->ring);
  guint i;

  for (i = 0; i < self->pads->len; i++) {
    GstArclyBusPad *p = g_ptr_array_index (self->pads, i);

    if (p->joined && !p->dead && !p->evicted && !p->removed)
      m = MIN (m, p->cur.seq);
  }
  return m;
}

/* (L) Releases ring items nobody needs; unlocks while unreffing.  TRUE if
 * anything was released (the caller re-checks for work). */
static gboolean
trim_ring (GstArclyBus * self)
{
  ArclyBusItem out[TRIM_BATCH];
  guint n;

  if (self->ring == NULL)
    return FALSE;
  n = arcly_bus_ring_trim (self->ring, min_cursor (self), out, TRIM_BATCH);
  if (n == 0)
    return FALSE;
  BUS_UNLOCK (self);
  arcly_bus_release_items (out, n);
  BUS_LOCK (self);
  return TRUE;
}

/* (L) Starts a worker.  The thread is created with the
 * lock released, so the publisher never waits for a thread creation; the
 * worker is accounted for before, and the new thread starts by taking the
 * lock. */
gboolean
arcly_bus_spawn_worker (GstArclyBus * self)
{
  BusWorker *w = g_new0 (BusWorker, 1);
  GError *err = NULL;
  GThread *t;

  w->bus = gst_object_ref (self);
  w->gen = self->gen;
  self->workers = g_list_prepend (self->workers, w);
  self->n_alive++;
  self->pool_active++;

  BUS_UNLOCK (self);
  /* at most 15 characters: Linux refuses a longer thread name and the
   * thread would keep its creator's ("arclyrtspsrc" in top and perf) */
  t = g_thread_try_new ("arclybus-send", worker_main, w, &err);
  BUS_LOCK (self);
  if (t == NULL) {
    GST_WARNING_OBJECT (self, "could not start a thread: %s", err->message);
    g_clear_error (&err);
    /* the thread never ran: undo its accounting */
    if (w->gen == self->gen) {
      self->workers = g_list_remove (self->workers, w);
      self->n_alive--;
      self->pool_active--;
    }
    gst_object_unref (w->bus);
    g_free (w);
    return FALSE;
  }
  g_thread_unref (t);           /* detached: see "Scheduling" */
  return TRUE;
}

/* (L) a worker leaving */
static void
worker_exit (GstArclyBus * self, BusWorker * w)
{
  if (w->pad) {
    w->pad->busy = FALSE;
    w->pad->stalled = FALSE;
  }
  if (w->gen == self->gen) {
    self->workers = g_list_remove (self->workers, w);
    if (w->stalled)
      self->n_stalled--;
    else
      self->pool_active--;
    self->n_alive--;
  }
  g_cond_broadcast (&self->exit_cond);
  g_cond_broadcast (&self->work_cond);
}

static gpointer
worker_main (gpointer data)
{
  BusWorker *w = data;
  GstArclyBus *self = w->bus;
  GstArclyBusPad *p, *old;
  BusWork work;

  BUS_LOCK (self);
  while (self->running && w->gen == self->gen) {
    gint64 next_retry = 0;
    GstFlowReturn ret;

    if (w->stalled) {
      /* dedicated to its pad until it has caught up */
      p = w->pad;
      if (!prepare_work (self, p, &work, g_get_monotonic_time (),
              &next_retry)) {
        p->busy = FALSE;
        p->stalled = FALSE;
        w->pad = NULL;
        BUS_UNLOCK (self);
        gst_object_unref (p);
        BUS_LOCK (self);
        if (w->gen != self->gen || self->pool_active >= self->pool_target)
          break;
        w->stalled = FALSE;
        self->n_stalled--;
        self->pool_active++;
        GST_DEBUG_OBJECT (self, "stalled worker back in the pool");
        continue;
      }
    } else {
      if (self->pool_active > self->pool_target)
        break;
      p = pick_pad (self, &work, &next_retry);
      if (p == NULL) {
        if (trim_ring (self))
          continue;
        self->n_idle++;
        if (next_retry)
          arcly_bus_wait_until (self, &self->work_cond, next_retry);
        else
          arcly_bus_wait_until (self, &self->work_cond, G_MAXINT64);
        self->n_idle--;
        /* a wake-up, or a timeout or broadcast next to one: either way
         * this worker now looks at every pad */
        if (self->n_wakes > 0)
          self->n_wakes--;
        continue;
      }
      w->pad = gst_object_ref (p);
    }

    w->push_start = g_get_monotonic_time ();
    BUS_UNLOCK (self);
    ret = execute_work (self, p, &work);
    BUS_LOCK (self);
    w->push_start = 0;
    /* abandoned by a stop while in this push: the pad now belongs to a new
     * run (its cursor, dead/joined flags were reset by the start), and
     * this push's result says nothing about it */
    if (w->gen != self->gen)
      break;
    finish_work (self, p, &work, ret);
    if (!w->stalled) {
      p->busy = FALSE;
      old = w->pad;
      w->pad = NULL;
      BUS_UNLOCK (self);
      gst_object_unref (old);
      BUS_LOCK (self);
    }
  }
  old = w->pad;
  worker_exit (self, w);
  BUS_UNLOCK (self);
  if (old)
    gst_object_unref (old);
  gst_object_unref (self);
  g_free (w);
  return NULL;
}

/* (L) Marks workers stuck in a push as stalled, tops the pool up, evicts
 * stalled pads past max-lag.  Returns messages to post; *@next is when to
 * look again: the moment the oldest push in progress passes the threshold
 * (a push that starts later cannot pass it sooner than now + threshold),
 * or sooner while a stalled pad may still pass max-lag. */
static GList *
watchdog_tick (GstArclyBus * self, gint64 now, gint64 * next)
{
  GstClockTime thr = self->stall_threshold;
  gint64 thr_us = (gint64) ((thr + GST_USECOND - 1) / GST_USECOND);
  GList *l, *msgs = NULL;

  *next = now + thr_us + 1;
  for (l = self->workers; l; l = l->next) {
    BusWorker *w = l->data;
    GstArclyBusPad *p = w->pad;

    if (p == NULL)
      continue;
    if (!w->stalled && w->push_start != 0
        && (now <= w->push_start
            || (GstClockTime) (now - w->push_start) * GST_USECOND <= thr)) {
      *next = MIN (*next, w->push_start + thr_us + 1);
    } else if (!w->stalled && w->push_start != 0) {
      GST_INFO_OBJECT (self, "push to %s blocked for more than %"
          GST_TIME_FORMAT ": it keeps its thread, the pool gets a new one",
          GST_PAD_NAME (p), GST_TIME_ARGS (thr));
      w->stalled = TRUE;
      p->stalled = TRUE;
      self->pool_active--;
      self->n_stalled++;
    }
    if (w->stalled && self->max_lag > 0 && !p->evicted && self->ring) {
      guint64 lost = p->dropped + p->cur.dropped +
          arcly_bus_ring_lost_behind (self->ring, &p->cur);

      *next = MIN (*next, now + MAX (thr_us / 2, 1000));

      if (lost > self->max_lag) {
        p->evicted = TRUE;
        p->eos_pending = TRUE;
        p->dropped = lost;
        self->evictions++;
        msgs = g_list_prepend (msgs,
            gst_message_new_element (GST_OBJECT_CAST (self),
                gst_structure_new ("arcly-bus-evicted",
                    "pad-name", G_TYPE_STRING, GST_PAD_NAME (p),
                    "frames-dropped", G_TYPE_UINT64, (guint64) 0,
                    "total-dropped", G_TYPE_UINT64, lost, NULL)));
      }
    }
  }
  while (self->pool_active < self->pool_target)
    if (!arcly_bus_spawn_worker (self))
      break;
  return msgs;
}

/* The watchdog thread: ticks every running bus, then sleeps until the
 * soonest moment one of them needs it.  It exits when no bus runs. */
static gpointer
watchdog_main (gpointer data)
{
  GPtrArray *snap = g_ptr_array_new ();
  guint i;

  g_mutex_lock (&wd_lock);
  while (wd_buses->len > 0) {
    gint64 now, next = G_MAXINT64;
    gboolean posted = FALSE;

    wd_kick = FALSE;
    for (i = 0; i < wd_buses->len; i++)
      g_ptr_array_add (snap, gst_object_ref (g_ptr_array_index (wd_buses,
                  i)));
    g_mutex_unlock (&wd_lock);

    for (i = 0; i < snap->len; i++) {
      GstArclyBus *self = g_ptr_array_index (snap, i);
      GList *msgs = NULL, *l;
      gint64 n = G_MAXINT64;

      BUS_LOCK (self);
      /* read under the bus lock: a push that started while the buses
       * before this one were ticked would otherwise look as if it began
       * in the future, and (unsigned) as stalled for ages */
      now = g_get_monotonic_time ();
      if (self->running)
        msgs = watchdog_tick (self, now, &n);
      BUS_UNLOCK (self);
      next = MIN (next, n);
      for (l = msgs; l; l = l->next)
        gst_element_post_message (GST_ELEMENT_CAST (self), l->data);
      posted |= msgs != NULL;
      g_list_free (msgs);
      /* may be the last ref of a bus stopped meanwhile: no lock held */
      gst_object_unref (self);
    }
    g_ptr_array_set_size (snap, 0);

    g_mutex_lock (&wd_lock);
    /* after an eviction look again at once, as after a change */
    if (!posted && !wd_kick && wd_buses->len > 0)
      g_cond_wait_until (&wd_cond, &wd_lock, next);
  }
  wd_alive = FALSE;
  g_mutex_unlock (&wd_lock);
  g_ptr_array_free (snap, TRUE);
  return NULL;
}

/* (L) Puts a starting bus under the watchdog, starting its thread if none
 * runs.  FALSE if the thread cannot be started. */
gboolean
arcly_bus_watch (GstArclyBus * self)
{
  gboolean ok = TRUE;

  g_mutex_lock (&wd_lock);
  if (wd_buses == NULL)
    wd_buses = g_ptr_array_new ();
  g_ptr_array_add (wd_buses, gst_object_ref (self));
  wd_kick = TRUE;
  if (!wd_alive) {
    GError *err = NULL;
    GThread *t = g_thread_try_new ("arclybus-watch", watchdog_main, NULL,
        &err);

    if (t) {
      wd_alive = TRUE;
      g_thread_unref (t);
    } else {
      GST_WARNING_OBJECT (self, "could not start the watchdog: %s",
          err->message);
      g_clear_error (&err);
      g_ptr_array_remove_index_fast (wd_buses, wd_buses->len - 1);
      ok = FALSE;
    }
  } else {
    g_cond_signal (&wd_cond);
  }
  g_mutex_unlock (&wd_lock);
  if (!ok)
    gst_object_unref (self);    /* the caller holds another ref */
  return ok;
}

/* Takes a stopping bus from the watchdog; call without the bus lock (the
 * ref the watchdog held is dropped here). */
void
arcly_bus_unwatch (GstArclyBus * self)
{
  gboolean found;

  g_mutex_lock (&wd_lock);
  found = wd_buses && g_ptr_array_remove_fast (wd_buses, self);
  g_mutex_unlock (&wd_lock);
  if (found)
    gst_object_unref (self);
}

/* A setting the watchdog's timing depends on changed (stall-threshold). */
void
arcly_bus_watch_kick (void)
{
  g_mutex_lock (&wd_lock);
  wd_kick = TRUE;
  g_cond_signal (&wd_cond);
  g_mutex_unlock (&wd_lock);
}
