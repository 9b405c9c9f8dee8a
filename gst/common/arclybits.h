/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A bit reader over an escaped NAL unit payload, shared by the H.264 and
 * H.265 parameter-set parsers (arclyh264.c, arclyh265.c).  It removes
 * emulation-prevention bytes on the fly (00 00 03 → 00 00, H.264 §7.4.1,
 * H.265 §7.4.2), so parsing allocates nothing, and reads exp-Golomb codes
 * (H.264 §9.1, H.265 §9.2).  Reading past the end sets @error and returns 0
 * from then on: callers check @error once after a group of reads.
 */

#ifndef __ARCLY_BITS_H__
#define __ARCLY_BITS_H__

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  const guint8 *data;
  gsize size;
  gsize pos;                    /* next raw byte to load */
  guint zeros;                  /* consecutive zero bytes loaded */
  guint32 cur;                  /* loaded bits, MSB first */
  guint nbits;                  /* number of valid bits in cur */
  gboolean error;
} ArclyBitReader;

void     arcly_br_init (ArclyBitReader * br, const guint8 * data, gsize size);
/* n = 0..24 */
guint32  arcly_br_bits (ArclyBitReader * br, guint n);
guint32  arcly_br_u32 (ArclyBitReader * br);
/* ue(v); more than 31 leading zeros is an error */
guint32  arcly_br_ue (ArclyBitReader * br);
gint32   arcly_br_se (ArclyBitReader * br);
/* skips @n bits (any number) */
void     arcly_br_skip (ArclyBitReader * br, guint n);

G_END_DECLS

#endif
