/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The CODECS attribute of an HLS multivariant playlist (RFC 8216 §4.3.4.2,
 * values as RFC 6381 defines them) and the playlist itself.  Pure code over
 * byte slices: the element hands in what it saw of its input.
 *
 *   H.264  avc1.PPCCLL     profile_idc, constraint flags, level_idc of the
 *                          SPS, hex (ISO/IEC 14496-15 §5.4.2)
 *   H.265  hvc1.P.C.TL.B…  ISO/IEC 14496-15 Annex E.3 (arclyh265.h)
 *   AAC    mp4a.40.AOT     the audio object type (RFC 6381 §3.3)
 */

#ifndef __ARCLY_HLS_CODECS_H__
#define __ARCLY_HLS_CODECS_H__

#include <glib.h>

G_BEGIN_DECLS

/* The codec of an Annex-B access unit's first SPS (H.265 when @h265):
 * "avc1.64001F", "hvc1.1.6.L93.B0"; NULL when it has no (parsable) SPS. */
gchar *arcly_hls_codecs_from_annexb (const guint8 * data, gsize size,
                                     gboolean h265);

/* The same from an avcC record (H.264 in avc format); NULL when too
 * short. */
gchar *arcly_hls_codecs_from_avcc (const guint8 * avcc, gsize size);

/* "mp4a.40.<object type>" from an AudioSpecificConfig; NULL when it does
 * not parse. */
gchar *arcly_hls_codecs_from_asc (const guint8 * asc, gsize size);

/* The same from the header of an ADTS frame; NULL when it is none. */
gchar *arcly_hls_codecs_from_adts (const guint8 * data, gsize size);

/* A multivariant playlist with one variant, the media playlist @uri:
 * EXT-X-STREAM-INF with BANDWIDTH (bits per second), CODECS (left out
 * when NULL) and RESOLUTION (left out when 0). */
gchar *arcly_hls_multivariant_text (const gchar * uri, guint64 bandwidth,
                                    const gchar * codecs, guint width,
                                    guint height);

G_END_DECLS

#endif /* __ARCLY_HLS_CODECS_H__ */
