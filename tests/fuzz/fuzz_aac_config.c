/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * libFuzzer target for gst/common/arclyaac.c: the input is parsed as an
 * AudioSpecificConfig, as an ADTS header, and (NUL-terminated) as an SDP
 * config= hex string.  Whatever parses is written back as ADTS and must
 * read back the same.
 */

#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arclyaac.h"

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

static void
check_adts_round_trip (const ArclyAacConfig * cfg, gsize payload)
{
  guint8 hdr[ARCLY_AAC_ADTS_HEADER_SIZE];
  guint hlen = 0, flen = 0;

  if (!arcly_aac_write_adts_header (cfg, payload, hdr))
    return;
  if (!arcly_aac_parse_adts_header (hdr, sizeof (hdr), &hlen, &flen) ||
      hlen != ARCLY_AAC_ADTS_HEADER_SIZE ||
      flen != payload + ARCLY_AAC_ADTS_HEADER_SIZE)
    abort ();
  if ((guint) ((hdr[2] & 1) << 2 | hdr[3] >> 6) != cfg->channel_config)
    abort ();
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  ArclyAacConfig cfg;
  guint hlen, flen;
  gchar *str;
  GBytes *bytes;

  if (arcly_aac_parse_asc (data, size, &cfg)) {
    if (cfg.rate == 0 || (cfg.frame_length != 1024 && cfg.frame_length != 960))
      abort ();
    check_adts_round_trip (&cfg, size);
  }

  if (arcly_aac_parse_adts_header (data, size, &hlen, &flen)) {
    if (hlen > size || flen < hlen)
      abort ();
  }

  str = g_strndup ((const gchar *) data, size);
  bytes = arcly_aac_config_from_hex (str);
  if (bytes) {
    gsize len;
    const guint8 *b = g_bytes_get_data (bytes, &len);

    if (len * 2 != strlen (str))
      abort ();
    if (arcly_aac_parse_asc (b, len, &cfg))
      check_adts_round_trip (&cfg, 100);
    g_bytes_unref (bytes);
  }
  g_free (str);
  return 0;
}
