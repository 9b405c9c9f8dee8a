/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * CODECS values and the multivariant playlist: see hlscodecs.h.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "hlscodecs.h"
#include "arclyaac.h"
#include "arclyh264.h"
#include "arclyh265.h"

typedef struct
{
  gboolean h265;
  gchar *codecs;
} SpsSearch;

static gboolean
find_sps (const guint8 * nal, gsize size, gpointer user_data)
{
  SpsSearch *s = user_data;

  if (s->h265) {
    ArclyH265Sps sps;

    if (size >= 2 && ARCLY_H265_NAL_TYPE (nal[0]) == ARCLY_H265_NAL_SPS &&
        arcly_h265_parse_sps (nal, size, &sps))
      s->codecs = arcly_h265_codecs_string ("hvc1", &sps.ptl);
  } else if (size >= 4 && ARCLY_H264_NAL_TYPE (nal[0]) == ARCLY_H264_NAL_SPS) {
    /* profile_idc, the constraint_set flags and level_idc are the three
     * bytes after the NAL header; no emulation prevention can sit there
     * (profile_idc is never 0) */
    s->codecs = g_strdup_printf ("avc1.%02X%02X%02X", nal[1], nal[2],
        nal[3]);
  }
  return s->codecs == NULL;     /* stop at the first one */
}

gchar *
arcly_hls_codecs_from_annexb (const guint8 * data, gsize size, gboolean h265)
{
  SpsSearch s = { h265, NULL };

  arcly_h264_foreach_annexb_nal (data, size, FALSE, find_sps, &s);
  return s.codecs;
}

gchar *
arcly_hls_codecs_from_avcc (const guint8 * avcc, gsize size)
{
  /* configurationVersion, then AVCProfileIndication,
   * profile_compatibility, AVCLevelIndication (§5.3.3.1) */
  if (avcc == NULL || size < 7 || avcc[0] != 1)
    return NULL;
  return g_strdup_printf ("avc1.%02X%02X%02X", avcc[1], avcc[2], avcc[3]);
}

gchar *
arcly_hls_codecs_from_asc (const guint8 * asc, gsize size)
{
  ArclyAacConfig cfg;

  if (!arcly_aac_parse_asc (asc, size, &cfg) || cfg.object_type == 0)
    return NULL;
  return g_strdup_printf ("mp4a.40.%u", cfg.object_type);
}

gchar *
arcly_hls_codecs_from_adts (const guint8 * data, gsize size)
{
  /* syncword 0xFFF, then profile (object type - 1) in the third byte's
   * two high bits (ISO/IEC 14496-3 §1.A.2.2.1) */
  if (data == NULL || size < 7 || data[0] != 0xff || (data[1] & 0xf6) != 0xf0)
    return NULL;
  return g_strdup_printf ("mp4a.40.%u", (data[2] >> 6) + 1);
}

gchar *
arcly_hls_multivariant_text (const gchar * uri, guint64 bandwidth,
    const gchar * codecs, guint width, guint height)
{
  GString *s = g_string_new ("#EXTM3U\n#EXT-X-VERSION:6\n"
      "#EXT-X-INDEPENDENT-SEGMENTS\n");

  g_string_append_printf (s, "#EXT-X-STREAM-INF:BANDWIDTH=%" G_GUINT64_FORMAT,
      MAX (bandwidth, 1));
  if (codecs != NULL)
    g_string_append_printf (s, ",CODECS=\"%s\"", codecs);
  if (width > 0 && height > 0)
    g_string_append_printf (s, ",RESOLUTION=%ux%u", width, height);
  g_string_append_printf (s, "\n%s\n", uri);
  return g_string_free (s, FALSE);
}
