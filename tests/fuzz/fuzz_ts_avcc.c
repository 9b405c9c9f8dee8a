/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * libFuzzer target for the H.264 and H.265 access-unit scanners of
 * gst/arclyhls/tswriter.c (what arclytsmux reads of untrusted video): the
 * input is scanned as an H.264 and as an H.265 Annex-B AU, and converted as a length-prefixed (avc)
 * AU with NAL length sizes 1, 2 and 4.  Whatever they report must point
 * inside the input, and a converted AU must scan back to the same findings
 * and packetize into whole TS packets.
 */

#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tswriter.h"
#include "hlscodecs.h"

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

static void
check_inside (const ArclyTsH264Au * au, const guint8 * data, gsize size)
{
  if (au->sps && (au->sps < data || au->sps + au->sps_size > data + size
          || au->sps_size == 0))
    abort ();
  if (au->pps && (au->pps < data || au->pps + au->pps_size > data + size
          || au->pps_size == 0))
    abort ();
  if (au->vps && (au->vps < data || au->vps + au->vps_size > data + size
          || au->vps_size < 2))
    abort ();
  if (au->has_sps != (au->sps != NULL) || au->has_pps != (au->pps != NULL)
      || au->has_vps != (au->vps != NULL))
    abort ();
}

static void
check_codecs (gchar * c)
{
  const gchar *p;

  if (c == NULL)
    return;
  if (strlen (c) > 40)
    abort ();
  for (p = c; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '.')
      abort ();
  g_free (c);
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  static const guint sizes[] = { 1, 2, 4 };
  ArclyTsH264Au au, back;
  GByteArray *out = g_byte_array_new ();
  guint i;

  if (arcly_ts_h264_scan_annexb (data, size, &au)) {
    check_inside (&au, data, size);
    if (au.aud_first && au.after_aud > size)
      abort ();
  }

  if (arcly_ts_h265_scan_annexb (data, size, &au)) {
    check_inside (&au, data, size);
    if (au.aud_first && au.after_aud > size)
      abort ();
    if ((au.sps && au.sps_size < 2) || (au.pps && au.pps_size < 2))
      abort ();                 /* H.265 sets come with their 2-byte header */
  }

  check_codecs (arcly_hls_codecs_from_annexb (data, size, FALSE));
  check_codecs (arcly_hls_codecs_from_annexb (data, size, TRUE));
  check_codecs (arcly_hls_codecs_from_avcc (data, size));
  check_codecs (arcly_hls_codecs_from_asc (data, size));
  check_codecs (arcly_hls_codecs_from_adts (data, size));

  for (i = 0; i < G_N_ELEMENTS (sizes); i++) {
    g_byte_array_set_size (out, 3);
    if (arcly_ts_h264_avc_to_annexb (data, size, sizes[i], out, &au)) {
      ArclyTsPid pid = { 0x100, 0 };
      ArclyTsPesInfo info = { 0 };
      ArclyTsChunk chunk = { out->data + 3, out->len - 3 };
      GByteArray *ts = g_byte_array_new ();

      check_inside (&au, data, size);
      if (out->len <= 3 || out->len - 3 > 4 * size)
        abort ();
      if (!arcly_ts_h264_scan_annexb (out->data + 3, out->len - 3, &back))
        abort ();
      if (back.aud_first)
        abort ();               /* AUDs are left out */

      info.stream_id = 0xe0;
      info.has_pts = TRUE;
      info.pts = size;
      arcly_ts_write_pes (&pid, &info, &chunk, 1, ts);
      if (ts->len == 0 || ts->len % ARCLY_TS_PACKET_SIZE != 0)
        abort ();
      g_byte_array_unref (ts);
    } else if (out->len != 3) {
      abort ();                 /* a failure leaves @out as it was */
    }
  }
  g_byte_array_unref (out);
  return 0;
}
