/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * libFuzzer target for the hvcC writer of gst/common/arclyh265.c (what
 * arclyfmp4mux builds from the parameter sets of untrusted H.265 streams):
 * the input is split as Annex-B, its VPS, SPS and PPS (any NAL unit when
 * there are none, with the SPS header forced) go to
 * arcly_h265_hvcc_build; a record it returns must walk back to exactly
 * those sets, and the CODECS string of the SPS must stay short and plain,
 * its sps_max_num_reorder_pics within the DPB.
 */

#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arclyh264.h"
#include "arclyh265.h"

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

typedef struct
{
  GPtrArray *lists[3];          /* VPS, SPS, PPS */
  GPtrArray *any;
} Sets;

static gboolean
nal_cb (const guint8 * nal, gsize size, gpointer user_data)
{
  Sets *s = user_data;
  guint t;

  if (size < 2)
    return TRUE;
  t = ARCLY_H265_NAL_TYPE (nal[0]);
  if (t >= ARCLY_H265_NAL_VPS && t <= ARCLY_H265_NAL_PPS)
    g_ptr_array_add (s->lists[t - ARCLY_H265_NAL_VPS], g_bytes_new (nal,
            size));
  g_ptr_array_add (s->any, g_bytes_new (nal, size));
  return TRUE;
}

/* The record must be the header and three arrays holding @s's sets. */
static void
check_record (GBytes * hvcc, Sets * s, gboolean complete)
{
  gsize size, off = 23;
  const guint8 *d = g_bytes_get_data (hvcc, &size);
  guint a, j;

  if (size < 23 || d[0] != 1 || d[22] != 3 || (d[21] & 3) != 3)
    abort ();
  for (a = 0; a < 3; a++) {
    guint n;

    if (size - off < 3 || (d[off] & 0x3f) != 32 + a ||
        (d[off] >> 7) != (complete ? 1 : 0))
      abort ();
    n = (d[off + 1] << 8) | d[off + 2];
    off += 3;
    if (n != s->lists[a]->len)
      abort ();
    for (j = 0; j < n; j++) {
      gsize len, want;
      const guint8 *set = g_bytes_get_data (g_ptr_array_index (s->lists[a],
              j), &want);

      if (size - off < 2)
        abort ();
      len = (d[off] << 8) | d[off + 1];
      if (len != want || size - off - 2 < len ||
          memcmp (d + off + 2, set, len) != 0)
        abort ();
      off += 2 + len;
    }
  }
  if (off != size)
    abort ();
}

static void
check_codecs (const guint8 * nal, gsize size)
{
  ArclyH265Sps sps;
  gchar *codecs;
  const gchar *c;
  guint reorder = 99;

  if (arcly_h265_sps_max_num_reorder (nal, size, &reorder) && reorder > 15)
    abort ();
  if (!arcly_h265_parse_sps (nal, size, &sps))
    return;
  codecs = arcly_h265_codecs_string ("hvc1", &sps.ptl);
  /* hvc1. + 2 + 9 + 5 + 6 * 3 at most */
  if (strlen (codecs) > 40 || !g_str_has_prefix (codecs, "hvc1."))
    abort ();
  for (c = codecs; *c; c++)
    if (!g_ascii_isalnum (*c) && *c != '.')
      abort ();
  g_free (codecs);
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  Sets s;
  guint i;

  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  for (i = 0; i < 3; i++)
    s.lists[i] = g_ptr_array_new_with_free_func ((GDestroyNotify)
        g_bytes_unref);
  s.any = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  arcly_h264_foreach_annexb_nal (data, size, FALSE, nal_cb, &s);

  if (s.lists[0]->len == 0 && s.lists[1]->len == 0 && s.lists[2]->len == 0
      && size >= 2) {
    /* no start codes: the input as one SPS (header forced), with a
     * made-up VPS and PPS */
    guint8 *copy = g_memdup2 (data, size);

    copy[0] = ARCLY_H265_NAL_SPS << 1;
    copy[1] = 1;
    g_ptr_array_add (s.lists[0], g_bytes_new_static ("\x40\x01\x0c", 3));
    g_ptr_array_add (s.lists[1], g_bytes_new_take (copy, size));
    g_ptr_array_add (s.lists[2], g_bytes_new_static ("\x44\x01\xc1", 3));
  }
  for (i = 0; i < 2; i++) {
    GBytes *hvcc = arcly_h265_hvcc_build (s.lists[0], s.lists[1],
        s.lists[2], i == 0);

    if (hvcc != NULL) {
      check_record (hvcc, &s, i == 0);
      g_bytes_unref (hvcc);
    }
  }
  for (i = 0; i < s.lists[1]->len; i++) {
    gsize n;
    const guint8 *d = g_bytes_get_data (g_ptr_array_index (s.lists[1], i),
        &n);

    check_codecs (d, n);
  }
  for (i = 0; i < 3; i++)
    g_ptr_array_unref (s.lists[i]);
  g_ptr_array_unref (s.any);
  return 0;
}
