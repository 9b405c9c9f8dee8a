/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * libFuzzer target for arclyaacdepay's core (gst/arclyrtspsrc/
 * aacdepaycore.c): a sequence of RTP payloads is parsed and fragmented AUs
 * are reassembled the way the element does it.
 *
 * Input layout:
 *   byte 0      parameter set: bit 0 AAC-lbr instead of AAC-hbr, bit 1
 *               ctsdeltalength=16/dtsdeltalength=8, bit 2
 *               randomaccessindication=1 + streamstateindication=3, bit 3
 *               auxiliarydatasizelength=8, bit 4 indexlength 0
 *   then records: flags (bit 0 marker, bit 1 new RTP timestamp),
 *                 length (1 byte), payload (length bytes, clipped)
 * Each payload is handed over in an exact-size heap copy so a read past
 * it is an ASan error.
 */

#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aacdepaycore.h"

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

static void
check_au (const ArclyAacAu * au, gsize payload_len)
{
  if (au->offset > payload_len || au->size > payload_len - au->offset)
    abort ();
  if (au->size == 0)
    abort ();
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  ArclyAacDepayParams params;
  ArclyAacFragState frag;
  ArclyAacAu aus[ARCLY_AAC_DEPAY_MAX_AUS];
  gsize pos = 1, collected = 0;
  guint32 rtptime = 1000;
  guint8 cfg;

  if (size < 1)
    return 0;
  cfg = data[0];
  arcly_aac_depay_params_init (&params, (cfg & 1) ?
      ARCLY_AAC_DEPAY_MODE_AAC_LBR : ARCLY_AAC_DEPAY_MODE_AAC_HBR);
  if (cfg & 2) {
    params.cts_delta_length = 16;
    params.dts_delta_length = 8;
  }
  if (cfg & 4) {
    params.random_access_indication = 1;
    params.stream_state_indication = 3;
  }
  if (cfg & 8)
    params.auxiliary_data_size_length = 8;
  if (cfg & 16)
    params.index_length = params.index_delta_length = 0;
  if (!arcly_aac_depay_params_validate (&params, NULL))
    abort ();
  arcly_aac_frag_reset (&frag);

  while (pos + 2 <= size) {
    guint8 flags = data[pos];
    gsize len = data[pos + 1];
    guint8 *payload;
    guint n = 0, i;
    const gchar *why = NULL;
    ArclyAacDepayResult r;

    pos += 2;
    if (len > size - pos)
      len = size - pos;
    payload = g_malloc (len ? len : 1);
    memcpy (payload, data + pos, len);
    pos += len;
    if (flags & 2)
      rtptime += 1024;

    r = arcly_aac_depay_parse (&params, len ? payload : NULL, len, aus,
        G_N_ELEMENTS (aus), &n, &why);
    switch (r) {
      case ARCLY_AAC_DEPAY_INVALID:
        if (why == NULL)
          abort ();
        arcly_aac_frag_reset (&frag);
        collected = 0;
        break;
      case ARCLY_AAC_DEPAY_FRAGMENT:
        if (n != 1)
          abort ();
        check_au (&aus[0], len);
        switch (arcly_aac_frag_add (&frag, aus[0].au_size, aus[0].size,
                rtptime, flags & 1)) {
          case ARCLY_AAC_FRAG_MORE:
            collected += aus[0].size;
            if (collected != frag.have || collected >= frag.au_size)
              abort ();
            break;
          case ARCLY_AAC_FRAG_DONE:
            collected += aus[0].size;
            if (collected != aus[0].au_size ||
                collected > ARCLY_AAC_DEPAY_MAX_AU_SIZE)
              abort ();
            collected = 0;
            break;
          case ARCLY_AAC_FRAG_BROKEN:
            if (frag.active)
              abort ();
            collected = 0;
            break;
        }
        break;
      case ARCLY_AAC_DEPAY_AUS:
        if (n == 0 || n > ARCLY_AAC_DEPAY_MAX_AUS)
          abort ();
        for (i = 0; i < n; i++) {
          guint skip;

          check_au (&aus[i], len);
          if (aus[i].size != aus[i].au_size)
            abort ();
          skip = arcly_aac_depay_adts_skip (payload + aus[i].offset,
              MIN (aus[i].size, 9), aus[i].size);
          if (skip != 0 && skip != 7 && skip != 9)
            abort ();
          if (skip >= aus[i].size && skip != 0)
            abort ();
        }
        break;
    }
    g_free (payload);
  }
  return 0;
}
