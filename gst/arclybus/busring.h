/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* ArclyBusRing: the pure core of arclybus.
 *
 * A bounded ring of references (buffers and serialized events, as
 * GstMiniObject pointers the ring never dereferences) addressed by a 64-bit
 * sequence number that only grows.  Readers keep their own ArclyBusCursor; the
 * ring never waits for them: when the publisher needs a slot the oldest item
 * is overwritten and a reader whose cursor fell behind the tail skips forward
 * to the newest keyframe still in the ring (or, if there is none, waits for
 * the next one), never to a delta unit.
 *
 * The ring also keeps the GOP cache accounting: the range a late joiner starts
 * from.  For a stream with delta units (video) that is the latest keyframe and
 * everything after it, as long as the GOP fits in max-frames / max-bytes; a
 * GOP that outgrows the bound is dropped from the cache until the next
 * keyframe.  For a stream without delta units (audio, raw video) the cache is
 * a sliding window of the last max-frames buffers (and max-bytes).
 *
 * Time bound: buffers may carry a time (arclybus: when it was published).  A
 * reader whose next buffer is older than the newest buffer by more than a
 * bound is moved to the newest keyframe (arcly_bus_ring_skip_late), the same
 * skip as an overrun, so a slow reader stays within the bound plus one GOP
 * of live however large the ring is.
 *
 * No locking, no allocation after creation, no GStreamer element code: the
 * caller serializes access and releases the items handed back to it (dropped
 * from the tail) outside its lock.
 */

#ifndef __ARCLY_BUS_RING_H__
#define __ARCLY_BUS_RING_H__

#include <gst/gst.h>

G_BEGIN_DECLS

#define ARCLY_BUS_SEQ_NONE G_MAXUINT64

typedef enum {
  ARCLY_BUS_ITEM_BUFFER = (1 << 0),     /* a buffer (else an event) */
  ARCLY_BUS_ITEM_KEY = (1 << 1),        /* a buffer that is not a delta unit */
} ArclyBusItemFlags;

typedef struct {
  GstMiniObject *obj;           /* owned reference */
  gpointer ctx;                 /* caller's per-item context (owned by caller) */
  guint64 nbuf;                 /* buffers published before this item */
  guint32 size;                 /* payload bytes (buffers) */
  guint32 flags;                /* ArclyBusItemFlags */
  GstClockTime ts;              /* buffers: the caller's time (arclybus: when
                                 * published) or GST_CLOCK_TIME_NONE */
  GstClockTime pos;             /* buffers: the stream position (running time
                                 * of its PTS) or GST_CLOCK_TIME_NONE */
} ArclyBusItem;

typedef struct {
  guint64 seq;                  /* next item to read */
  guint64 nbuf;                 /* buffers published before @seq */
  gboolean need_key;            /* skip delta buffers until a keyframe */
  gboolean count_skips;         /* delta units skipped while need_key are drops */
  gboolean discont;             /* data was lost before the next buffer */
  guint64 dropped;              /* buffers lost since the caller last cleared it */
  guint64 overruns;             /* times the ring moved this cursor forward
                                 * past unread data (overrun or lag) */
} ArclyBusCursor;

typedef enum {
  ARCLY_BUS_READ_EMPTY = 0,     /* nothing to read yet */
  ARCLY_BUS_READ_ITEM,          /* *out filled; cursor advanced */
} ArclyBusReadResult;

typedef struct _ArclyBusRing ArclyBusRing;

ArclyBusRing *arcly_bus_ring_new (guint capacity);
void arcly_bus_ring_free (ArclyBusRing * ring);

guint arcly_bus_ring_get_capacity (const ArclyBusRing * ring);
guint64 arcly_bus_ring_head (const ArclyBusRing * ring);
guint64 arcly_bus_ring_tail (const ArclyBusRing * ring);
guint64 arcly_bus_ring_n_buffers (const ArclyBusRing * ring);
gboolean arcly_bus_ring_has_delta (const ArclyBusRing * ring);
const ArclyBusItem *arcly_bus_ring_peek (const ArclyBusRing * ring,
    guint64 seq);

void arcly_bus_ring_set_cache (ArclyBusRing * ring, gboolean enabled,
    guint max_frames, guint64 max_bytes);
gboolean arcly_bus_ring_cache_valid (const ArclyBusRing * ring);
guint64 arcly_bus_ring_cache_start (const ArclyBusRing * ring);
guint arcly_bus_ring_cache_frames (const ArclyBusRing * ring);
guint64 arcly_bus_ring_cache_bytes (const ArclyBusRing * ring);

gboolean arcly_bus_ring_push (ArclyBusRing * ring, GstMiniObject * obj,
    gpointer ctx, guint32 size, guint32 flags, ArclyBusItem * evicted);
gboolean arcly_bus_ring_push_timed (ArclyBusRing * ring, GstMiniObject * obj,
    gpointer ctx, guint32 size, guint32 flags, GstClockTime ts,
    GstClockTime pos, ArclyBusItem * evicted);
guint arcly_bus_ring_trim (ArclyBusRing * ring, guint64 upto,
    ArclyBusItem * out, guint max_out);
guint arcly_bus_ring_clear (ArclyBusRing * ring, ArclyBusItem * out,
    guint max_out);

gboolean arcly_bus_ring_join (const ArclyBusRing * ring, gboolean use_cache,
    ArclyBusCursor * cursor);
gboolean arcly_bus_ring_join_at (const ArclyBusRing * ring, GstClockTime pos,
    ArclyBusCursor * cursor);
GstClockTime arcly_bus_ring_next_pos (const ArclyBusRing * ring,
    const ArclyBusCursor * cursor);
ArclyBusReadResult arcly_bus_ring_next (ArclyBusRing * ring,
    ArclyBusCursor * cursor, ArclyBusItem * out);
guint64 arcly_bus_ring_lost_behind (const ArclyBusRing * ring,
    const ArclyBusCursor * cursor);
GstClockTime arcly_bus_ring_newest_ts (const ArclyBusRing * ring);
GstClockTime arcly_bus_ring_lag_time (const ArclyBusRing * ring,
    const ArclyBusCursor * cursor);
gboolean arcly_bus_ring_skip_late (const ArclyBusRing * ring,
    ArclyBusCursor * cursor, GstClockTime max_time);

G_END_DECLS

#endif /* __ARCLY_BUS_RING_H__ */
