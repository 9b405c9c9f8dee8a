/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * AAC helpers shared by the depayloader (plugin arclyrtsp) and the writers
 * (plugin arclyhls): AudioSpecificConfig parsing (ISO/IEC 14496-3
 * §1.6.2.1, including the escape sample-rate index and SBR/PS signalling)
 * and ADTS headers (§1.A.2.2).  Pure code over byte slices.
 */

#ifndef __ARCLY_AAC_H__
#define __ARCLY_AAC_H__

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  guint object_type;        /* 2 = AAC-LC, 5 = SBR (HE-AAC), 29 = PS ... */
  guint rate;               /* core sampling rate in Hz */
  guint rate_index;         /* 0..12, or 15 when explicit */
  guint channels;           /* from channel_configuration (0 = in PCE) */
  guint channel_config;
  guint frame_length;       /* 1024 or 960 samples */
  guint ext_rate;           /* SBR output rate, 0 when none */
} ArclyAacConfig;

/* Parses an AudioSpecificConfig.  FALSE when truncated or invalid. */
gboolean arcly_aac_parse_asc (const guint8 * data, gsize size,
                              ArclyAacConfig * config);

/* Parses "1190"-style hex (the SDP config= value) into bytes.  NULL when not
 * an even count of hex digits (case-insensitive) or empty. */
GBytes * arcly_aac_config_from_hex (const gchar * hex);

#define ARCLY_AAC_ADTS_HEADER_SIZE 7

/* Writes a 7-byte ADTS header (no CRC) for a raw AAC frame of
 * @payload_size bytes.  FALSE when the config cannot be expressed in ADTS
 * (object type > 4, explicit rate, channel config 0 or > 7, frame too big). */
gboolean arcly_aac_write_adts_header (const ArclyAacConfig * config,
                                      gsize payload_size,
                                      guint8 out[ARCLY_AAC_ADTS_HEADER_SIZE]);

/* Recognises an ADTS header at @data: returns TRUE and its header length
 * (7 or 9 with CRC) and the whole frame length, FALSE otherwise. */
gboolean arcly_aac_parse_adts_header (const guint8 * data, gsize size,
                                      guint * header_len, guint * frame_len);

G_END_DECLS

#endif
