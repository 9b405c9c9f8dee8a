/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Memory helpers of the depacketizer cores: see depaymem.h.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "depaymem.h"

GstMemory *
arcly_depay_copy_to_memory (const guint8 * data, gsize size)
{
  GstMemory *mem = gst_allocator_alloc (NULL, size, NULL);
  GstMapInfo map;

  if (gst_memory_map (mem, &map, GST_MAP_WRITE)) {
    memcpy (map.data, data, size);
    gst_memory_unmap (mem, &map);
  }
  return mem;
}

void
arcly_depay_pool_put (ArclyDepayPool * pool, GstMemory * mem)
{
  guint i;

  if (pool->mem[ARCLY_DEPAY_POOL_SIZE - 1])
    gst_memory_unref (pool->mem[ARCLY_DEPAY_POOL_SIZE - 1]);
  for (i = ARCLY_DEPAY_POOL_SIZE - 1; i > 0; i--)
    pool->mem[i] = pool->mem[i - 1];
  pool->mem[0] = mem;
}

GstMemory *
arcly_depay_pool_get (ArclyDepayPool * pool, gsize cap)
{
  guint i;

  for (i = 0; i < ARCLY_DEPAY_POOL_SIZE && pool->mem[i]; i++) {
    GstMemory *mem = pool->mem[i];
    gsize offset, maxsize;

    /* refcount 1 = only our reference: no buffer (downstream) and no
     * sub-memory holds it, and nobody can take a new one */
    if (GST_MINI_OBJECT_REFCOUNT_VALUE (mem) != 1)
      continue;
    gst_memory_get_sizes (mem, &offset, &maxsize);
    if (maxsize < cap || maxsize > 2 * cap) {
      /* too small, or much bigger than needed now: let it go */
      continue;
    }
    for (; i + 1 < ARCLY_DEPAY_POOL_SIZE; i++)
      pool->mem[i] = pool->mem[i + 1];
    pool->mem[ARCLY_DEPAY_POOL_SIZE - 1] = NULL;
    gst_memory_resize (mem, -(gssize) offset, maxsize);
    return mem;
  }
  return NULL;
}

void
arcly_depay_pool_clear (ArclyDepayPool * pool)
{
  guint i;

  for (i = 0; i < ARCLY_DEPAY_POOL_SIZE; i++) {
    if (pool->mem[i]) {
      gst_memory_unref (pool->mem[i]);
      pool->mem[i] = NULL;
    }
  }
}

gboolean
arcly_depay_buffer_copy_out (GstBuffer * buf, gsize offset, guint8 * dest,
    gsize size)
{
  guint idx, n, i;
  gsize skip;

  if (!gst_buffer_find_memory (buf, offset, size, &idx, &n, &skip))
    return FALSE;
  for (i = idx; i < idx + n && size > 0; i++) {
    GstMemory *mem = gst_buffer_peek_memory (buf, i);
    GstMapInfo map;
    gsize len;

    if (!gst_memory_map (mem, &map, GST_MAP_READ))
      return FALSE;
    len = map.size > skip ? MIN (map.size - skip, size) : 0;
    memcpy (dest, map.data + skip, len);
    gst_memory_unmap (mem, &map);
    dest += len;
    size -= len;
    skip = 0;
  }
  return size == 0;
}
