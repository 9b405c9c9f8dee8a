/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The bounded ring behind arclybus; see busring.h for the contract.
 *
 * Sequence numbers: items live in [tail, head); item s sits in slot
 * s % capacity.  Cursors hold a sequence number, so a reader that fell behind
 * is recognised by cursor < tail without any per-reader state in the ring,
 * which keeps the publisher's work independent of the number of readers. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "busring.h"

struct _ArclyBusRing
{
  ArclyBusItem *slots;
  guint capacity;

  guint64 head;                 /* next sequence number to write */
  guint64 tail;                 /* oldest item still held */
  guint64 n_buffers;            /* buffers ever published */
  guint64 last_key;             /* newest keyframe buffer, or SEQ_NONE */
  gboolean has_delta;           /* a delta unit was seen: GOP mode */
  GstClockTime newest_ts;       /* time of the newest timed buffer, or NONE */

  /* GOP cache */
  gboolean cache_enabled;
  guint cache_max_frames;
  guint64 cache_max_bytes;
  guint64 cache_start;          /* first cached item, or SEQ_NONE */
  guint cache_frames;
  guint64 cache_bytes;
};

static inline ArclyBusItem *
ring_slot (const ArclyBusRing * ring, guint64 seq)
{
  return &ring->slots[seq % ring->capacity];
}

ArclyBusRing *
arcly_bus_ring_new (guint capacity)
{
  ArclyBusRing *ring = g_new0 (ArclyBusRing, 1);

  ring->capacity = MAX (capacity, 2);
  ring->slots = g_new0 (ArclyBusItem, ring->capacity);
  ring->last_key = ARCLY_BUS_SEQ_NONE;
  ring->cache_enabled = TRUE;
  ring->cache_max_frames = 300;
  ring->cache_max_bytes = 16 * 1024 * 1024;
  ring->cache_start = ARCLY_BUS_SEQ_NONE;
  ring->newest_ts = GST_CLOCK_TIME_NONE;
  return ring;
}

/* The ring must have been emptied (trim/clear) by the caller, who owns the
 * references. */
void
arcly_bus_ring_free (ArclyBusRing * ring)
{
  if (ring == NULL)
    return;
  g_warn_if_fail (ring->head == ring->tail);
  g_free (ring->slots);
  g_free (ring);
}

guint
arcly_bus_ring_get_capacity (const ArclyBusRing * ring)
{
  return ring->capacity;
}

guint64
arcly_bus_ring_head (const ArclyBusRing * ring)
{
  return ring->head;
}

guint64
arcly_bus_ring_tail (const ArclyBusRing * ring)
{
  return ring->tail;
}

guint64
arcly_bus_ring_n_buffers (const ArclyBusRing * ring)
{
  return ring->n_buffers;
}

gboolean
arcly_bus_ring_has_delta (const ArclyBusRing * ring)
{
  return ring->has_delta;
}

const ArclyBusItem *
arcly_bus_ring_peek (const ArclyBusRing * ring, guint64 seq)
{
  if (seq < ring->tail || seq >= ring->head)
    return NULL;
  return ring_slot (ring, seq);
}

static void
cache_invalidate (ArclyBusRing * ring)
{
  ring->cache_start = ARCLY_BUS_SEQ_NONE;
  ring->cache_frames = 0;
  ring->cache_bytes = 0;
}

static gboolean
cache_over_bounds (const ArclyBusRing * ring)
{
  return ring->cache_frames > ring->cache_max_frames ||
      ring->cache_bytes > ring->cache_max_bytes;
}

/* Sliding-window mode (no delta units): drop the oldest cached buffers until
 * the window fits the bounds again. */
static void
cache_shrink_window (ArclyBusRing * ring)
{
  while (ring->cache_start != ARCLY_BUS_SEQ_NONE && cache_over_bounds (ring)) {
    const ArclyBusItem *it = ring_slot (ring, ring->cache_start);

    if (it->flags & ARCLY_BUS_ITEM_BUFFER) {
      ring->cache_frames--;
      ring->cache_bytes -= it->size;
    }
    ring->cache_start++;
    if (ring->cache_start >= ring->head || ring->cache_frames == 0)
      cache_invalidate (ring);
  }
}

/* GOP mode starts at a keyframe: recount the GOP from there. */
static void
cache_restart_at (ArclyBusRing * ring, guint64 start)
{
  guint64 s;

  cache_invalidate (ring);
  if (!ring->cache_enabled || start == ARCLY_BUS_SEQ_NONE || start < ring->tail)
    return;
  ring->cache_start = start;
  for (s = start; s < ring->head; s++) {
    const ArclyBusItem *it = ring_slot (ring, s);
    if (it->flags & ARCLY_BUS_ITEM_BUFFER) {
      ring->cache_frames++;
      ring->cache_bytes += it->size;
    }
  }
  if (cache_over_bounds (ring))
    cache_invalidate (ring);
}

void
arcly_bus_ring_set_cache (ArclyBusRing * ring, gboolean enabled,
    guint max_frames, guint64 max_bytes)
{
  ring->cache_enabled = enabled;
  ring->cache_max_frames = max_frames;
  ring->cache_max_bytes = max_bytes;
  if (!enabled) {
    cache_invalidate (ring);
  } else if (ring->has_delta) {
    cache_restart_at (ring, ring->last_key);
  } else if (ring->cache_start != ARCLY_BUS_SEQ_NONE) {
    cache_shrink_window (ring);
  }
}

gboolean
arcly_bus_ring_cache_valid (const ArclyBusRing * ring)
{
  return ring->cache_start != ARCLY_BUS_SEQ_NONE;
}

guint64
arcly_bus_ring_cache_start (const ArclyBusRing * ring)
{
  return ring->cache_start;
}

guint
arcly_bus_ring_cache_frames (const ArclyBusRing * ring)
{
  return ring->cache_frames;
}

guint64
arcly_bus_ring_cache_bytes (const ArclyBusRing * ring)
{
  return ring->cache_bytes;
}

static void
cache_account_buffer (ArclyBusRing * ring, guint64 seq, guint32 size,
    gboolean key)
{
  if (!ring->cache_enabled)
    return;

  if (ring->has_delta) {
    if (key) {
      cache_invalidate (ring);
      ring->cache_start = seq;
      ring->cache_frames = 1;
      ring->cache_bytes = size;
      if (cache_over_bounds (ring))
        cache_invalidate (ring);
    } else if (ring->cache_start != ARCLY_BUS_SEQ_NONE) {
      ring->cache_frames++;
      ring->cache_bytes += size;
      /* the GOP outgrew the cache: joiners wait for the next keyframe */
      if (cache_over_bounds (ring))
        cache_invalidate (ring);
    }
  } else {
    if (ring->cache_start == ARCLY_BUS_SEQ_NONE)
      ring->cache_start = seq;
    ring->cache_frames++;
    ring->cache_bytes += size;
    cache_shrink_window (ring);
  }
}

/* Stores @obj (the ring takes the reference).  When the ring is full the
 * oldest item is moved to @evicted and TRUE is returned: the caller releases
 * it, outside its lock. */
gboolean
arcly_bus_ring_push (ArclyBusRing * ring, GstMiniObject * obj, gpointer ctx,
    guint32 size, guint32 flags, ArclyBusItem * evicted)
{
  return arcly_bus_ring_push_timed (ring, obj, ctx, size, flags,
      GST_CLOCK_TIME_NONE, GST_CLOCK_TIME_NONE, evicted);
}

/* As arcly_bus_ring_push(), with the buffer's time @ts (NONE: untimed) for
 * the time bound of arcly_bus_ring_skip_late(), and its stream position
 * @pos for arcly_bus_ring_join_at(). */
gboolean
arcly_bus_ring_push_timed (ArclyBusRing * ring, GstMiniObject * obj,
    gpointer ctx, guint32 size, guint32 flags, GstClockTime ts,
    GstClockTime pos, ArclyBusItem * evicted)
{
  gboolean did_evict = FALSE;
  ArclyBusItem *it;
  guint64 seq;

  if (!(flags & ARCLY_BUS_ITEM_BUFFER))
    flags &= ~ARCLY_BUS_ITEM_KEY;

  if (ring->head - ring->tail == ring->capacity) {
    ArclyBusItem *old = ring_slot (ring, ring->tail);

    *evicted = *old;
    memset (old, 0, sizeof (*old));
    did_evict = TRUE;
    if (ring->cache_start == ring->tail) {
      if (ring->has_delta) {
        cache_invalidate (ring);
      } else {
        if (evicted->flags & ARCLY_BUS_ITEM_BUFFER) {
          ring->cache_frames--;
          ring->cache_bytes -= evicted->size;
        }
        ring->cache_start++;
        if (ring->cache_frames == 0)
          cache_invalidate (ring);
      }
    }
    ring->tail++;
  }

  seq = ring->head;
  it = ring_slot (ring, seq);
  it->obj = obj;
  it->ctx = ctx;
  it->size = size;
  it->flags = flags;
  it->nbuf = ring->n_buffers;
  it->ts = (flags & ARCLY_BUS_ITEM_BUFFER) ? ts : GST_CLOCK_TIME_NONE;
  it->pos = (flags & ARCLY_BUS_ITEM_BUFFER) ? pos : GST_CLOCK_TIME_NONE;
  ring->head++;
  if (GST_CLOCK_TIME_IS_VALID (it->ts))
    ring->newest_ts = it->ts;

  if (flags & ARCLY_BUS_ITEM_BUFFER) {
    gboolean key = (flags & ARCLY_BUS_ITEM_KEY) != 0;

    ring->n_buffers++;
    if (key)
      ring->last_key = seq;
    if (!key && !ring->has_delta) {
      /* first delta unit: from a sliding window to GOP mode; the recount
       * includes this buffer */
      ring->has_delta = TRUE;
      cache_restart_at (ring, ring->last_key);
    } else {
      cache_account_buffer (ring, seq, size, key);
    }
  }
  return did_evict;
}

static guint
ring_drop_until (ArclyBusRing * ring, guint64 limit, ArclyBusItem * out,
    guint max_out)
{
  guint n = 0;

  limit = MIN (limit, ring->head);
  while (ring->tail < limit && n < max_out) {
    ArclyBusItem *it = ring_slot (ring, ring->tail);

    out[n++] = *it;
    memset (it, 0, sizeof (*it));
    ring->tail++;
  }
  return n;
}

/* Releases items before @upto that no reader needs any more, never the GOP
 * cache.  At most @max_out items are moved to @out; returns how many. */
guint
arcly_bus_ring_trim (ArclyBusRing * ring, guint64 upto, ArclyBusItem * out,
    guint max_out)
{
  if (ring->cache_start != ARCLY_BUS_SEQ_NONE)
    upto = MIN (upto, ring->cache_start);
  return ring_drop_until (ring, upto, out, max_out);
}

/* Flush: forget the cache and the stream's keyframe history, and move up to
 * @max_out items to @out.  Call until it returns 0. */
guint
arcly_bus_ring_clear (ArclyBusRing * ring, ArclyBusItem * out, guint max_out)
{
  cache_invalidate (ring);
  ring->last_key = ARCLY_BUS_SEQ_NONE;
  ring->has_delta = FALSE;
  ring->newest_ts = GST_CLOCK_TIME_NONE;
  return ring_drop_until (ring, ring->head, out, max_out);
}

/* Places a new reader: at the start of the GOP cache when @use_cache and the
 * cache can serve, else at the head (waiting for a keyframe in GOP mode).
 * Returns TRUE when the reader starts from the cache. */
gboolean
arcly_bus_ring_join (const ArclyBusRing * ring, gboolean use_cache,
    ArclyBusCursor * cursor)
{
  memset (cursor, 0, sizeof (*cursor));
  if (use_cache && ring->cache_start != ARCLY_BUS_SEQ_NONE) {
    cursor->seq = ring->cache_start;
    cursor->nbuf = ring_slot (ring, ring->cache_start)->nbuf;
    return TRUE;
  }
  cursor->seq = ring->head;
  cursor->nbuf = ring->n_buffers;
  cursor->need_key = ring->has_delta;
  return FALSE;
}

/* Places a new reader at the first buffer whose position is @pos or later,
 * so a second stream (audio) starts where a first one (video, at its
 * keyframe) does.  FALSE, cursor untouched, when no buffer held is at or
 * after @pos. */
gboolean
arcly_bus_ring_join_at (const ArclyBusRing * ring, GstClockTime pos,
    ArclyBusCursor * cursor)
{
  guint64 s;

  if (!GST_CLOCK_TIME_IS_VALID (pos))
    return FALSE;
  for (s = ring->tail; s < ring->head; s++) {
    const ArclyBusItem *it = ring_slot (ring, s);

    if ((it->flags & ARCLY_BUS_ITEM_BUFFER) && GST_CLOCK_TIME_IS_VALID (it->pos)
        && it->pos >= pos) {
      memset (cursor, 0, sizeof (*cursor));
      cursor->seq = s;
      cursor->nbuf = it->nbuf;
      /* a stream with delta units still starts on a keyframe */
      cursor->need_key = ring->has_delta && !(it->flags & ARCLY_BUS_ITEM_KEY);
      return TRUE;
    }
  }
  return FALSE;
}

/* The position of the next buffer @cursor reads, NONE if none is held. */
GstClockTime
arcly_bus_ring_next_pos (const ArclyBusRing * ring,
    const ArclyBusCursor * cursor)
{
  guint64 s;

  for (s = MAX (cursor->seq, ring->tail); s < ring->head; s++) {
    const ArclyBusItem *it = ring_slot (ring, s);

    if (it->flags & ARCLY_BUS_ITEM_BUFFER)
      return it->pos;
  }
  return GST_CLOCK_TIME_NONE;
}

/* At least how many buffers a reader has already lost to overwrites. */
guint64
arcly_bus_ring_lost_behind (const ArclyBusRing * ring,
    const ArclyBusCursor * cursor)
{
  guint64 tail_nbuf;

  if (cursor->seq >= ring->tail)
    return 0;
  tail_nbuf = ring->tail < ring->head ?
      ring_slot (ring, ring->tail)->nbuf : ring->n_buffers;
  return tail_nbuf > cursor->nbuf ? tail_nbuf - cursor->nbuf : 0;
}

GstClockTime
arcly_bus_ring_newest_ts (const ArclyBusRing * ring)
{
  return ring->newest_ts;
}

/* How much older than the newest buffer the reader's next buffer is; 0 when
 * it is at the head, NONE when that cannot be told (an event next, untimed
 * buffers, overrun). */
GstClockTime
arcly_bus_ring_lag_time (const ArclyBusRing * ring,
    const ArclyBusCursor * cursor)
{
  const ArclyBusItem *it;

  if (cursor->seq >= ring->head)
    return 0;
  if (cursor->seq < ring->tail || !GST_CLOCK_TIME_IS_VALID (ring->newest_ts))
    return GST_CLOCK_TIME_NONE;
  it = ring_slot (ring, cursor->seq);
  if (!(it->flags & ARCLY_BUS_ITEM_BUFFER) || !GST_CLOCK_TIME_IS_VALID (it->ts))
    return GST_CLOCK_TIME_NONE;
  return ring->newest_ts > it->ts ? ring->newest_ts - it->ts : 0;
}

/* The time bound: when the reader's next buffer is older than the newest
 * buffer by more than @max_time (0 or NONE: no bound), move it to the newest
 * keyframe, counting what it skips as dropped (discont), as an overrun does.
 * A reader already at or past the newest keyframe stays: there is nothing
 * better to decode from, so a reader is at most @max_time + one GOP behind.
 * Returns TRUE when the cursor moved. */
gboolean
arcly_bus_ring_skip_late (const ArclyBusRing * ring, ArclyBusCursor * cursor,
    GstClockTime max_time)
{
  GstClockTime lag;
  guint64 nbuf;

  if (max_time == 0 || !GST_CLOCK_TIME_IS_VALID (max_time))
    return FALSE;
  lag = arcly_bus_ring_lag_time (ring, cursor);
  if (!GST_CLOCK_TIME_IS_VALID (lag) || lag <= max_time)
    return FALSE;
  if (ring->last_key == ARCLY_BUS_SEQ_NONE || ring->last_key <= cursor->seq
      || ring->last_key < ring->tail)
    return FALSE;
  nbuf = ring_slot (ring, ring->last_key)->nbuf;
  if (nbuf > cursor->nbuf)
    cursor->dropped += nbuf - cursor->nbuf;
  cursor->seq = ring->last_key;
  cursor->nbuf = nbuf;
  cursor->need_key = FALSE;
  cursor->count_skips = FALSE;
  cursor->discont = TRUE;
  cursor->overruns++;
  return TRUE;
}

/* Reads the next item for @cursor.  The item's reference stays with the
 * ring: the caller takes its own before unlocking. */
ArclyBusReadResult
arcly_bus_ring_next (ArclyBusRing * ring, ArclyBusCursor * cursor,
    ArclyBusItem * out)
{
  if (cursor->seq < ring->tail) {
    /* overrun: jump to the newest keyframe still held, never a delta unit */
    cursor->overruns++;
    cursor->discont = TRUE;
    if (ring->last_key != ARCLY_BUS_SEQ_NONE && ring->last_key >= ring->tail) {
      guint64 nbuf = ring_slot (ring, ring->last_key)->nbuf;

      if (nbuf > cursor->nbuf)
        cursor->dropped += nbuf - cursor->nbuf;
      cursor->seq = ring->last_key;
      cursor->nbuf = nbuf;
      cursor->need_key = FALSE;
    } else {
      if (ring->n_buffers > cursor->nbuf)
        cursor->dropped += ring->n_buffers - cursor->nbuf;
      cursor->seq = ring->head;
      cursor->nbuf = ring->n_buffers;
      cursor->need_key = ring->has_delta;
      cursor->count_skips = TRUE;
    }
  }

  while (cursor->seq < ring->head) {
    const ArclyBusItem *it = ring_slot (ring, cursor->seq);

    cursor->seq++;
    if (it->flags & ARCLY_BUS_ITEM_BUFFER) {
      cursor->nbuf = it->nbuf + 1;
      if (cursor->need_key && !(it->flags & ARCLY_BUS_ITEM_KEY)) {
        if (cursor->count_skips) {
          cursor->dropped++;
          cursor->discont = TRUE;
        }
        continue;
      }
      cursor->need_key = FALSE;
      cursor->count_skips = FALSE;
    }
    *out = *it;
    return ARCLY_BUS_READ_ITEM;
  }
  return ARCLY_BUS_READ_EMPTY;
}
