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

/* Types and helpers shared by the arclybus element (gstarclybus.c) and its
 * delivery threads (gstarclybusdeliver.c).  Locking: see the top of
 * gstarclybus.c; fields marked (L) are guarded by GstArclyBus.lock. */

#ifndef __GST_ARCLY_BUS_PRIVATE_H__
#define __GST_ARCLY_BUS_PRIVATE_H__

#include <gst/gst.h>

#include "busring.h"

G_BEGIN_DECLS

/* GLib's GMutex is futex based on Linux, which ThreadSanitizer cannot see:
 * in a -Db_sanitize=thread build the bus lock is annotated so the races
 * TSan reports in these files are real ones. */
#if defined(__SANITIZE_THREAD__)
#define ARCLY_BUS_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define ARCLY_BUS_TSAN 1
#endif
#endif

#ifdef ARCLY_BUS_TSAN
void __tsan_acquire (void *addr);
void __tsan_release (void *addr);
#define TSAN_ACQUIRE(a) __tsan_acquire (a)
#define TSAN_RELEASE(a) __tsan_release (a)
#else
#define TSAN_ACQUIRE(a) G_STMT_START { } G_STMT_END
#define TSAN_RELEASE(a) G_STMT_START { } G_STMT_END
#endif

/* any other GMutex of the plugin (arclybussink, arclybussrc, the hub) */
#define ARCLY_MUTEX_LOCK(m) G_STMT_START {              \
    g_mutex_lock (m);                                   \
    TSAN_ACQUIRE (m);                                   \
  } G_STMT_END
#define ARCLY_MUTEX_UNLOCK(m) G_STMT_START {            \
    TSAN_RELEASE (m);                                   \
    g_mutex_unlock (m);                                 \
  } G_STMT_END
#define ARCLY_COND_WAIT(c, m) G_STMT_START {            \
    TSAN_RELEASE (m);                                   \
    g_cond_wait (c, m);                                 \
    TSAN_ACQUIRE (m);                                   \
  } G_STMT_END

#define BUS_LOCK(s) G_STMT_START {                      \
    g_mutex_lock (&(s)->lock);                          \
    TSAN_ACQUIRE (&(s)->lock);                          \
  } G_STMT_END
#define BUS_UNLOCK(s) G_STMT_START {                    \
    TSAN_RELEASE (&(s)->lock);                          \
    g_mutex_unlock (&(s)->lock);                        \
  } G_STMT_END

/* a joiner whose first push hit a flushing peer tries again after this */
#define JOIN_RETRY_US (20 * G_TIME_SPAN_MILLISECOND)
/* at most one upstream force-key-unit per second */
#define FKU_INTERVAL_US G_TIME_SPAN_SECOND
/* how long stopping waits for the delivery threads */
#define STOP_WAIT_US (500 * G_TIME_SPAN_MILLISECOND)
/* how long a flush-stop waits for pushes of pre-flush data to return */
#define FLUSH_WAIT_US (200 * G_TIME_SPAN_MILLISECOND)
#define MAX_STICKY 16
#define TRIM_BATCH 64

/* An immutable snapshot of the sticky events (stream-start, caps, segment,
 * tags, ...) in force at one point of the stream, shared by ring items. */
typedef struct
{
  gint ref;
  guint n;
  GstEvent *ev[MAX_STICKY];
} BusSticky;

/* ------------------------------------------------------------------ pad */

#define GST_TYPE_ARCLY_BUS_PAD (gst_arcly_bus_pad_get_type ())
G_DECLARE_FINAL_TYPE (GstArclyBusPad, gst_arcly_bus_pad, GST, ARCLY_BUS_PAD,
    GstPad);

struct _GstArclyBusPad
{
  GstPad parent;

  /* all (L) */
  gboolean linked;
  gboolean joined;              /* cursor placed */
  gboolean started;             /* a buffer went through since joining */
  gboolean need_sticky;         /* replay the sticky events before next item */
  gboolean resend_sticky;       /* downstream lost them (flushed, deactivated):
                                 * push copies, which GstPad sends again */
  gboolean busy;                /* claimed by a worker */
  gboolean removed;
  gboolean dead;                /* downstream returned EOS or an error */
  gboolean evicted;
  gboolean eos_pending;         /* evicted while stalled: EOS still to send */
  gboolean stalled;
  gboolean fku_pending;         /* joined where it must wait for a keyframe */
  gint64 retry_at;
  GstClockTime max_lag_time;    /* NONE: the element's max-lag-time */
  GstClockTime join_pos;        /* NONE, or join at this stream position */
  GstClockTime lag_grace;       /* how far behind live it joined (cache) */
  GstClockTime lag_offset;      /* how far behind live it runs by design */
  GstClockTime joined_pos;      /* stream position it joined at, or NONE */
  ArclyBusCursor cur;
  guint64 frames, bytes, dropped, lagged;
};

/* -------------------------------------------------------------- element */

#define GST_TYPE_ARCLY_BUS (gst_arcly_bus_get_type ())
G_DECLARE_FINAL_TYPE (GstArclyBus, gst_arcly_bus, GST, ARCLY_BUS, GstElement);

typedef struct
{
  GstArclyBus *bus;             /* strong ref */
  guint gen;
  /* (L) */
  GstArclyBusPad *pad;          /* pad being served (ref) */
  gint64 push_start;            /* 0 when not inside a push */
  gboolean stalled;             /* left the pool for its pad */
} BusWorker;

struct _GstArclyBus
{
  GstElement parent;

  GstPad *sinkpad;

  GMutex lock;
  GCond work_cond;              /* idle workers */
  GCond exit_cond;              /* workers exiting */

  /* properties (L) */
  guint capacity;
  guint threads;
  GstClockTime stall_threshold;
  guint64 max_lag;
  GstClockTime max_lag_time;
  gboolean gop_cache;
  guint gop_max_frames;
  guint64 gop_max_bytes;
  gboolean request_keyframe;

  /* streaming state (L) */
  ArclyBusRing *ring;
  BusSticky *sticky;
  GstSegment segment;           /* the publisher's: items' stream positions */
  gboolean running;
  gboolean flushing;
  guint gen;
  gint64 last_fku;

  /* pads (L) */
  GPtrArray *pads;
  guint rr;
  guint next_pad_id;

  /* workers (L) */
  GList *workers;
  guint pool_target;
  guint pool_active;
  guint n_stalled;
  guint n_idle;
  guint n_wakes;                /* work_cond signals not yet taken by a worker */
  guint64 wakeups;              /* work_cond signals, for stats */
  guint n_alive;
  gint64 last_pick;             /* when a pool worker last claimed a pad */

  /* statistics (L) */
  guint64 frames, bytes, lagged, dropped, evictions;
  gint64 win_start;
  guint64 win_frames, win_bytes;
  gdouble fps;
  guint64 bitrate;
  gint64 rate_time;
};

GST_DEBUG_CATEGORY_EXTERN (arclybus_dataflow);

/* gstarclybus.c */
void arcly_bus_sticky_unref (BusSticky * s);

/* for arclybussrc (gstarclybus.c): a src pad that joins at the first buffer
 * at or after @pos (running time of the publisher) instead of the GOP cache;
 * set before linking */
void arcly_bus_pad_set_join_pos (GstPad * pad, GstClockTime pos);
/* a join position after every buffer: the pad starts live */
#define ARCLY_BUS_JOIN_LIVE (G_MAXUINT64 - 1)
/* the stream position of the first buffer the pad got when it joined,
 * NONE if unknown */
GstClockTime arcly_bus_pad_get_joined_pos (GstPad * pad);
gboolean arcly_bus_pad_is_evicted (GstPad * pad);
/* how far behind live the pad's downstream runs on purpose (arclybussrc:
 * its time mapping's delay; a clock-synced sink takes each buffer that
 * long after it was published): the time bound counts from there, or a
 * skip to newer data would only make that sink wait again */
void arcly_bus_pad_set_lag_offset (GstPad * pad, GstClockTime offset);

/* gstarclybusdeliver.c */
gboolean arcly_bus_wait_until (GstArclyBus * self, GCond * cond,
    gint64 end_time);
void arcly_bus_wake_one (GstArclyBus * self);
void arcly_bus_release_items (ArclyBusItem * items, guint n);
void arcly_bus_pad_join (GstArclyBus * self, GstArclyBusPad * p);
gboolean arcly_bus_spawn_worker (GstArclyBus * self);
gboolean arcly_bus_watch (GstArclyBus * self);
void arcly_bus_unwatch (GstArclyBus * self);
void arcly_bus_watch_kick (void);

G_END_DECLS

#endif /* __GST_ARCLY_BUS_PRIVATE_H__ */
