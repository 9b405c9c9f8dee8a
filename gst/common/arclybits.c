/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Bit reader over escaped NAL payloads: see arclybits.h.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "arclybits.h"

void
arcly_br_init (ArclyBitReader * br, const guint8 * data, gsize size)
{
  memset (br, 0, sizeof (*br));
  br->data = data;
  br->size = size;
}

/* Loads one RBSP byte, skipping an emulation-prevention byte. */
static gboolean
br_load_byte (ArclyBitReader * br)
{
  guint8 b;

  if (br->pos < br->size && br->zeros >= 2 && br->data[br->pos] == 0x03) {
    br->pos++;
    br->zeros = 0;
  }
  if (br->pos >= br->size)
    return FALSE;
  b = br->data[br->pos++];
  br->zeros = b == 0 ? br->zeros + 1 : 0;
  br->cur = (br->cur << 8) | b;
  br->nbits += 8;
  return TRUE;
}

guint32
arcly_br_bits (ArclyBitReader * br, guint n)
{
  guint32 v;

  if (br->error)
    return 0;
  if (n > 24) {
    br->error = TRUE;
    return 0;
  }
  while (br->nbits < n) {
    if (!br_load_byte (br)) {
      br->error = TRUE;
      return 0;
    }
  }
  v = (br->cur >> (br->nbits - n)) & ((1u << n) - 1);
  br->nbits -= n;
  br->cur &= (br->nbits == 0) ? 0 : ((1u << br->nbits) - 1);
  return v;
}

guint32
arcly_br_u32 (ArclyBitReader * br)
{
  guint32 hi = arcly_br_bits (br, 16);

  return (hi << 16) | arcly_br_bits (br, 16);
}

void
arcly_br_skip (ArclyBitReader * br, guint n)
{
  while (n > 0 && !br->error) {
    guint k = MIN (n, 24u);

    arcly_br_bits (br, k);
    n -= k;
  }
}

guint32
arcly_br_ue (ArclyBitReader * br)
{
  guint lz = 0;
  guint32 v;

  while (!br->error && arcly_br_bits (br, 1) == 0) {
    if (++lz > 31) {
      br->error = TRUE;
      return 0;
    }
  }
  if (br->error)
    return 0;
  if (lz == 0)
    return 0;
  if (lz > 16)
    v = (arcly_br_bits (br, lz - 16) << 16) | arcly_br_bits (br, 16);
  else
    v = arcly_br_bits (br, lz);
  return (guint32) (((guint64) 1 << lz) - 1 + v);
}

gint32
arcly_br_se (ArclyBitReader * br)
{
  guint32 k = arcly_br_ue (br);

  if (k & 1)
    return (gint32) ((k >> 1) + 1);
  return -(gint32) (k >> 1);
}
