/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Preloaded into the ThreadSanitizer runs (scripts/arcly tsan): GLib's
 * GMutex and GCond are futex based on Linux, so TSan, which learns about
 * locks from the pthread calls it intercepts, cannot see GStreamer's
 * object locks, stream handoffs, queues or buses, and reports every
 * buffer, event or structure handed from one thread to another through
 * them as a race.  These wrappers stand in front of GLib's (the calls
 * from libgstreamer and the plugins go through the PLT), call the real
 * function and tell TSan about the acquire and release, so the reports
 * left are about what a lock really does not protect.
 */

#define _GNU_SOURCE
#include <dlfcn.h>
#include <glib.h>
#include <stdlib.h>

void __tsan_acquire (void *addr);
void __tsan_release (void *addr);

typedef void (*MutexFn) (GMutex *);
typedef gboolean (*TryFn) (GMutex *);
typedef void (*WaitFn) (GCond *, GMutex *);
typedef gboolean (*WaitUntilFn) (GCond *, GMutex *, gint64);

/* looked up at the first call, from any thread: an atomic pointer */
#define REAL(name, type) \
  static type real_fn = NULL; \
  type real = __atomic_load_n (&real_fn, __ATOMIC_ACQUIRE); \
  if (G_UNLIKELY (real == NULL)) { \
    real = (type) dlsym (RTLD_NEXT, name); \
    __atomic_store_n (&real_fn, real, __ATOMIC_RELEASE); \
  }

void
g_mutex_lock (GMutex * mutex)
{
  REAL ("g_mutex_lock", MutexFn);
  real (mutex);
  __tsan_acquire (mutex);
}

gboolean
g_mutex_trylock (GMutex * mutex)
{
  gboolean ok;

  REAL ("g_mutex_trylock", TryFn);
  ok = real (mutex);
  if (ok)
    __tsan_acquire (mutex);
  return ok;
}

void
g_mutex_unlock (GMutex * mutex)
{
  REAL ("g_mutex_unlock", MutexFn);
  __tsan_release (mutex);
  real (mutex);
}

void
g_cond_wait (GCond * cond, GMutex * mutex)
{
  REAL ("g_cond_wait", WaitFn);
  __tsan_release (mutex);
  real (cond, mutex);
  __tsan_acquire (mutex);
}

gboolean
g_cond_wait_until (GCond * cond, GMutex * mutex, gint64 end_time)
{
  gboolean r;

  REAL ("g_cond_wait_until", WaitUntilFn);
  __tsan_release (mutex);
  r = real (cond, mutex, end_time);
  __tsan_acquire (mutex);
  return r;
}

/* children (ffmpeg, ffprobe, gst-launch-1.0 the tests start) are not
 * built with TSan: they must not get the runtime or this preloaded */
static void drop_preload (void) __attribute__ ((constructor));

static void
drop_preload (void)
{
  unsetenv ("LD_PRELOAD");
}
