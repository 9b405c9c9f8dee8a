/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Memory helpers shared by the H.264 and H.265 depacketizer cores
 * (h264depaycore.c, h265depaycore.c): copying a payload slice into a new
 * memory, copying bytes out of a multi-memory packet without merging it,
 * and the small pool of fragment-assembly memories that downstream has
 * released and can be written again.  Pure code: no pads, no locks.
 */

#ifndef __ARCLY_DEPAY_MEM_H__
#define __ARCLY_DEPAY_MEM_H__

#include <gst/gst.h>

G_BEGIN_DECLS

/* assembly memories kept for reuse (a few: multi-slice pictures, and AUs
 * still held downstream) */
#define ARCLY_DEPAY_POOL_SIZE 8

typedef struct
{
  GstMemory *mem[ARCLY_DEPAY_POOL_SIZE];        /* newest first */
} ArclyDepayPool;

/* Keeps @mem (the reference is taken); the oldest goes when all slots are
 * taken. */
void arcly_depay_pool_put (ArclyDepayPool * pool, GstMemory * mem);

/* A kept memory nobody else references any more, of @cap..2*@cap bytes,
 * reset to its full size (reference returned); NULL when there is none. */
GstMemory *arcly_depay_pool_get (ArclyDepayPool * pool, gsize cap);

void arcly_depay_pool_clear (ArclyDepayPool * pool);

/* A new memory holding a copy of @data. */
GstMemory *arcly_depay_copy_to_memory (const guint8 * data, gsize size);

/* Copies @size bytes at @offset out of @buf.  Unlike gst_buffer_extract,
 * which maps (ref, lock, unlock, unref) every memory from the first one,
 * this maps only the memories holding the bytes, without taking a
 * reference.  FALSE when @buf is shorter. */
gboolean arcly_depay_buffer_copy_out (GstBuffer * buf, gsize offset,
    guint8 * dest, gsize size);

G_END_DECLS

#endif
