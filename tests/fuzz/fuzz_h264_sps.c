/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * libFuzzer target for gst/common/arclyh264.c: the input is parsed as an SPS
 * (with and without a forced SPS header byte), unescaped, split as Annex-B,
 * parsed as an avcC; whatever parses as avcC is rebuilt and must parse back
 * to the same parameter sets.
 */

#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arclyh264.h"

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

static void
check_sps (const guint8 * nal, gsize size)
{
  ArclyH264Sps sps;

  if (!arcly_h264_parse_sps (nal, size, &sps))
    return;
  if (sps.width == 0 || sps.width > 16384 || sps.height == 0 ||
      sps.height > 32768 || sps.sps_id > 31 || sps.par_n <= 0 ||
      sps.par_d <= 0 || sps.fps_n < 0 || sps.fps_d <= 0 ||
      sps.chroma_format_idc > 3 || sps.bit_depth_luma > 14 ||
      sps.max_num_reorder_frames > 16 ||
      (!sps.bitstream_restriction && sps.max_num_reorder_frames != 0))
    abort ();
  (void) arcly_h264_sps_may_reorder (&sps);
}

static gboolean
nal_cb (const guint8 * nal, gsize size, gpointer user_data)
{
  gsize *total = user_data;

  if (size == 0 || nal[size - 1] == 0)
    abort ();
  *total += size;
  check_sps (nal, size);
  return TRUE;
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  guint8 *copy, *rbsp;
  gsize rbsp_size = 0, total = 0;
  GPtrArray *sps, *pps;
  guint nls = 0;

  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  check_sps (data, size);

  /* the same bytes behind an SPS header byte */
  copy = g_malloc (size + 1);
  copy[0] = 0x67;
  memcpy (copy + 1, data, size);
  check_sps (copy, size + 1);
  g_free (copy);

  rbsp = arcly_h264_unescape_rbsp (data, size, &rbsp_size);
  if (rbsp_size > size)
    abort ();
  g_free (rbsp);

  arcly_h264_foreach_annexb_nal (data, size, TRUE, nal_cb, &total);
  if (total > size)
    abort ();

  sps = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  pps = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  if (arcly_h264_avcc_parse (data, size, sps, pps, &nls)) {
    GBytes *again;

    if (nls != 1 && nls != 2 && nls != 4)
      abort ();
    again = arcly_h264_avcc_build (sps, pps);
    if (again) {
      GPtrArray *sps2 = g_ptr_array_new_with_free_func ((GDestroyNotify)
          g_bytes_unref);
      GPtrArray *pps2 = g_ptr_array_new_with_free_func ((GDestroyNotify)
          g_bytes_unref);
      gsize n;
      const guint8 *d = g_bytes_get_data (again, &n);
      guint i;

      if (!arcly_h264_avcc_parse (d, n, sps2, pps2, &nls) ||
          sps2->len != sps->len || pps2->len != pps->len || nls != 4)
        abort ();
      for (i = 0; i < sps->len; i++)
        if (!g_bytes_equal (g_ptr_array_index (sps, i),
                g_ptr_array_index (sps2, i)))
          abort ();
      g_ptr_array_unref (sps2);
      g_ptr_array_unref (pps2);
      g_bytes_unref (again);
    }
  }
  g_ptr_array_unref (sps);
  g_ptr_array_unref (pps);
  return 0;
}
