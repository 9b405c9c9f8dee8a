/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * RFC 3640 payload parsing (see aacdepaycore.h).
 *
 * An RTP payload of mode AAC-hbr / AAC-lbr (RFC 3640 §3.2.1):
 *
 *   +-----------------+-----------------+-----------------------+
 *   | AU-headers      | auxiliary       | AU data section:      |
 *   | section         | section (opt.)  | AU(1) AU(2) ... or    |
 *   |                 |                 | one AU fragment       |
 *   +-----------------+-----------------+-----------------------+
 *
 * AU-headers section: AU-headers-length (16 bits, counts BITS of the
 * headers that follow), then the headers, then padding to a byte.  Each
 * header (§3.2.1.1), every field as wide as the fmtp says, absent if 0:
 *
 *   AU-size | AU-Index (first) or AU-Index-delta (others) |
 *   CTS-flag [CTS-delta] | DTS-flag [DTS-delta] | RAP-flag | Stream-state
 *
 * Auxiliary section (§3.2.2): auxiliary-data-size (bits), data, padding.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "aacdepaycore.h"
#include "arclyaac.h"

#include <string.h>

/* Index deltas can declare AUs far apart; a packet spanning more than this
 * many AU periods is treated as garbage. */
#define MAX_INDEX_SPAN 4096

typedef struct
{
  const guint8 *data;
  gsize size_bits;              /* readable bits from data */
  gsize pos;
} Bits;

static gboolean
bits_get (Bits * b, guint n, guint32 * out)
{
  guint32 v = 0;
  guint i;

  if (n > 32 || b->pos > b->size_bits || b->size_bits - b->pos < n)
    return FALSE;
  for (i = 0; i < n; i++, b->pos++)
    v = (v << 1) | ((b->data[b->pos / 8] >> (7 - b->pos % 8)) & 1);
  *out = v;
  return TRUE;
}

static gint32
sign_extend (guint32 v, guint bits)
{
  if (bits == 0 || bits >= 32)
    return (gint32) v;
  if (v & (1u << (bits - 1)))
    return (gint32) ((gint64) v - ((gint64) 1 << bits));
  return (gint32) v;
}

ArclyAacDepayMode
arcly_aac_depay_mode_from_string (const gchar * mode)
{
  if (mode == NULL)
    return ARCLY_AAC_DEPAY_MODE_UNKNOWN;
  if (g_ascii_strcasecmp (mode, "AAC-hbr") == 0)
    return ARCLY_AAC_DEPAY_MODE_AAC_HBR;
  if (g_ascii_strcasecmp (mode, "AAC-lbr") == 0)
    return ARCLY_AAC_DEPAY_MODE_AAC_LBR;
  return ARCLY_AAC_DEPAY_MODE_UNKNOWN;
}

void
arcly_aac_depay_params_init (ArclyAacDepayParams * params,
    ArclyAacDepayMode mode)
{
  g_return_if_fail (params != NULL);

  memset (params, 0, sizeof (*params));
  switch (mode) {
    case ARCLY_AAC_DEPAY_MODE_AAC_HBR:
      /* §3.3.6: AUs up to 8191 bytes, interleaving possible */
      params->size_length = 13;
      params->index_length = 3;
      params->index_delta_length = 3;
      break;
    case ARCLY_AAC_DEPAY_MODE_AAC_LBR:
      /* §3.3.5: AUs up to 63 bytes */
      params->size_length = 6;
      params->index_length = 2;
      params->index_delta_length = 2;
      break;
    case ARCLY_AAC_DEPAY_MODE_UNKNOWN:
      break;
  }
}

gboolean
arcly_aac_depay_params_validate (const ArclyAacDepayParams * params,
    const gchar ** why)
{
  const gchar *reason = NULL;

  g_return_val_if_fail (params != NULL, FALSE);

  if (params->size_length == 0)
    reason = "sizelength is 0 (constant-size AUs are not supported)";
  else if (params->size_length > 32)
    reason = "sizelength above 32 bits";
  else if (params->index_length > 32 || params->index_delta_length > 32)
    reason = "indexlength or indexdeltalength above 32 bits";
  else if (params->cts_delta_length > 32 || params->dts_delta_length > 32)
    reason = "ctsdeltalength or dtsdeltalength above 32 bits";
  else if (params->random_access_indication > 1)
    reason = "randomaccessindication is not 0 or 1";
  else if (params->stream_state_indication > 32)
    reason = "streamstateindication above 32 bits";
  else if (params->auxiliary_data_size_length > 32)
    reason = "auxiliarydatasizelength above 32 bits";

  if (why)
    *why = reason;
  return reason == NULL;
}

/* Reads one AU-header; @first selects AU-Index over AU-Index-delta. */
static gboolean
read_au_header (const ArclyAacDepayParams * p, Bits * b, gboolean first,
    ArclyAacAu * au, guint32 * index_field)
{
  guint32 v, flag;

  if (!bits_get (b, p->size_length, &v))
    return FALSE;
  au->au_size = v;
  if (!bits_get (b, first ? p->index_length : p->index_delta_length,
          index_field))
    return FALSE;

  au->has_cts = FALSE;
  if (p->cts_delta_length > 0) {
    if (!bits_get (b, 1, &flag))
      return FALSE;
    if (flag) {
      if (!bits_get (b, p->cts_delta_length, &v))
        return FALSE;
      au->has_cts = TRUE;
      au->cts_delta = sign_extend (v, p->cts_delta_length);
    }
  }
  au->has_dts = FALSE;
  if (p->dts_delta_length > 0) {
    if (!bits_get (b, 1, &flag))
      return FALSE;
    if (flag) {
      if (!bits_get (b, p->dts_delta_length, &v))
        return FALSE;
      au->has_dts = TRUE;
      au->dts_delta = sign_extend (v, p->dts_delta_length);
    }
  }
  au->rap = FALSE;
  if (p->random_access_indication) {
    if (!bits_get (b, 1, &flag))
      return FALSE;
    au->rap = flag != 0;
  }
  if (p->stream_state_indication > 0 &&
      !bits_get (b, p->stream_state_indication, &v))
    return FALSE;
  return TRUE;
}

#define FAIL(msg) G_STMT_START { if (why) *why = (msg); \
    return ARCLY_AAC_DEPAY_INVALID; } G_STMT_END

ArclyAacDepayResult
arcly_aac_depay_parse (const ArclyAacDepayParams * params,
    const guint8 * payload, gsize size, ArclyAacAu * aus, guint max_aus,
    guint * n_aus, const gchar ** why)
{
  Bits b;
  gsize headers_bits, pos, avail, used;
  guint n = 0, i;
  guint64 rel_index = 0;

  g_return_val_if_fail (params != NULL && aus != NULL && n_aus != NULL,
      ARCLY_AAC_DEPAY_INVALID);
  *n_aus = 0;
  if (why)
    *why = NULL;

  if (!arcly_aac_depay_params_validate (params, why))
    return ARCLY_AAC_DEPAY_INVALID;
  if (payload == NULL || size < 2)
    FAIL ("payload shorter than the AU-headers-length field");

  /* AU-headers section */
  headers_bits = ((gsize) payload[0] << 8) | payload[1];
  if (headers_bits == 0)
    FAIL ("AU-headers-length is 0");
  pos = 2 + (headers_bits + 7) / 8;
  if (pos > size)
    FAIL ("AU-headers-length runs past the payload");

  b.data = payload + 2;
  b.size_bits = headers_bits;
  b.pos = 0;
  while (b.pos < b.size_bits) {
    guint32 index_field;
    ArclyAacAu au;

    if (n >= max_aus)
      FAIL ("more AU headers in one packet than accepted");
    if (!read_au_header (params, &b, n == 0, &au, &index_field))
      FAIL ("AU-headers-length does not hold a whole number of AU headers");
    /* AU-Index of the first AU is absolute; the others' serial numbers
     * are the previous one's + AU-Index-delta + 1 (§3.2.1.1). */
    if (n > 0)
      rel_index += (guint64) index_field + 1;
    if (rel_index > MAX_INDEX_SPAN)
      FAIL ("AU-Index-delta spans an absurd number of AUs");
    au.index = (guint) rel_index;
    aus[n++] = au;
  }

  /* auxiliary section: skipped */
  if (params->auxiliary_data_size_length > 0) {
    guint32 aux_bits;
    Bits ab;

    ab.data = payload + pos;
    ab.size_bits = (size - pos) * 8;
    ab.pos = 0;
    if (!bits_get (&ab, params->auxiliary_data_size_length, &aux_bits))
      FAIL ("auxiliary-data-size runs past the payload");
    if ((guint64) aux_bits > ab.size_bits - ab.pos)
      FAIL ("auxiliary data runs past the payload");
    pos += (params->auxiliary_data_size_length + (gsize) aux_bits + 7) / 8;
  }

  /* AU data section */
  avail = size - pos;
  if (n == 1 && aus[0].au_size > avail) {
    /* §3.2.3: one header whose AU-size exceeds the data: a fragment */
    if (aus[0].au_size > ARCLY_AAC_DEPAY_MAX_AU_SIZE)
      FAIL ("fragmented AU larger than accepted");
    if (avail == 0)
      FAIL ("empty AU fragment");
    aus[0].offset = (guint) pos;
    aus[0].size = (guint) avail;
    *n_aus = 1;
    return ARCLY_AAC_DEPAY_FRAGMENT;
  }

  used = 0;
  for (i = 0; i < n; i++) {
    if (aus[i].au_size == 0)
      FAIL ("AU-size of 0");
    if (aus[i].au_size > avail - used)
      FAIL ("AU sizes add up to more than the payload");
    aus[i].offset = (guint) (pos + used);
    aus[i].size = aus[i].au_size;
    used += aus[i].au_size;
  }
  *n_aus = n;
  return ARCLY_AAC_DEPAY_AUS;
}

#undef FAIL

guint
arcly_aac_depay_adts_skip (const guint8 * head, gsize head_len, gsize au_size)
{
  guint header_len, frame_len;

  if (head_len > au_size)
    head_len = au_size;
  if (!arcly_aac_parse_adts_header (head, head_len, &header_len, &frame_len))
    return 0;
  /* Only an exact whole frame: a raw AU cannot be mistaken for it by
   * chance, and a header with trailing bytes is not what we strip. */
  if (frame_len != au_size || header_len >= au_size)
    return 0;
  return header_len;
}

void
arcly_aac_frag_reset (ArclyAacFragState * state)
{
  g_return_if_fail (state != NULL);
  memset (state, 0, sizeof (*state));
}

ArclyAacFragResult
arcly_aac_frag_add (ArclyAacFragState * state, guint au_size, guint len,
    guint32 rtptime, gboolean marker)
{
  g_return_val_if_fail (state != NULL, ARCLY_AAC_FRAG_BROKEN);

  if (au_size == 0 || au_size > ARCLY_AAC_DEPAY_MAX_AU_SIZE || len == 0)
    goto broken;

  if (!state->active) {
    state->active = TRUE;
    state->au_size = au_size;
    state->rtptime = rtptime;
    state->have = 0;
    state->n_fragments = 0;
  } else if (state->au_size != au_size || state->rtptime != rtptime) {
    /* every fragment of one AU repeats its AU-size and timestamp */
    goto broken;
  }

  if (len > state->au_size - state->have)
    goto broken;
  state->have += len;
  state->n_fragments++;

  if (state->have == state->au_size) {
    /* complete; a missing marker here is tolerated (the size says it) */
    state->active = FALSE;
    return ARCLY_AAC_FRAG_DONE;
  }
  if (marker)
    goto broken;                /* last fragment, but bytes are missing */
  return ARCLY_AAC_FRAG_MORE;

broken:
  arcly_aac_frag_reset (state);
  return ARCLY_AAC_FRAG_BROKEN;
}
