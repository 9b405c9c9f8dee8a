/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * AAC helpers: AudioSpecificConfig (ISO/IEC 14496-3 §1.6.2.1) and ADTS
 * headers (§1.A.2.2).  Every read is bounds-checked against the slice
 * given; nothing here allocates except arcly_aac_config_from_hex().
 *
 * Conventions for ArclyAacConfig (see arclyaac.h):
 *  - object_type is the type the config signals at its top level: 5 (SBR)
 *    or 29 (PS) for explicit hierarchical signalling, the core type (2 for
 *    AAC-LC) otherwise.  When SBR is signalled backward-compatibly (the
 *    0x2b7 sync extension after a plain AAC-LC config) object_type stays 2
 *    and ext_rate is set: ext_rate != 0 always means "SBR present".
 *  - rate / rate_index are the core (AAC) rate, i.e. the rate one
 *    frame_length-sample frame is counted in.
 *  - channels is 0 when channel_configuration is 0 (layout in a PCE).
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "arclyaac.h"

#include <string.h>

/* §1.6.3.4, Table 1.18: samplingFrequencyIndex. 13, 14 reserved, 15 escape */
static const guint aac_rates[13] = {
  96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000,
  11025, 8000, 7350
};

/* channel_configuration → channel count (Table 1.19, plus the 2013
 * amendment's 11..14).  0 = defined in a program_config_element. */
static const guint aac_channels[16] = {
  0, 1, 2, 3, 4, 5, 6, 8, 0, 0, 0, 7, 8, 24, 8, 0
};

/* A minimal MSB-first bit reader over a bounded slice. */
typedef struct
{
  const guint8 *data;
  gsize size;
  gsize pos;                    /* in bits */
} BitReader;

static gboolean
br_get (BitReader * br, guint nbits, guint32 * out)
{
  guint32 v = 0;
  guint i;

  g_assert (nbits <= 32);
  if (br->size * 8 < br->pos || br->size * 8 - br->pos < nbits)
    return FALSE;
  for (i = 0; i < nbits; i++) {
    gsize p = br->pos + i;
    v = (v << 1) | ((br->data[p / 8] >> (7 - (p % 8))) & 1);
  }
  br->pos += nbits;
  *out = v;
  return TRUE;
}

static gboolean
br_skip (BitReader * br, gsize nbits)
{
  if (br->size * 8 < br->pos || br->size * 8 - br->pos < nbits)
    return FALSE;
  br->pos += nbits;
  return TRUE;
}

static gsize
br_left (const BitReader * br)
{
  return br->size * 8 > br->pos ? br->size * 8 - br->pos : 0;
}

/* GetAudioObjectType(): 5 bits, 31 escapes to 32 + 6 more bits. */
static gboolean
read_object_type (BitReader * br, guint * aot)
{
  guint32 v, ext;

  if (!br_get (br, 5, &v))
    return FALSE;
  if (v == 31) {
    if (!br_get (br, 6, &ext))
      return FALSE;
    v = 32 + ext;
  }
  *aot = v;
  return TRUE;
}

/* samplingFrequencyIndex, with the 24-bit explicit frequency for 15. */
static gboolean
read_rate (BitReader * br, guint * rate, guint * index)
{
  guint32 idx, explicit_rate;

  if (!br_get (br, 4, &idx))
    return FALSE;
  if (idx == 15) {
    if (!br_get (br, 24, &explicit_rate) || explicit_rate == 0)
      return FALSE;
    *rate = explicit_rate;
  } else if (idx < G_N_ELEMENTS (aac_rates)) {
    *rate = aac_rates[idx];
  } else {
    return FALSE;               /* 13, 14: reserved */
  }
  *index = idx;
  return TRUE;
}

/* program_config_element() (§4.4.1.1, Table 4.2): only skipped, so the bits
 * after it (the SBR sync extension) are found at the right place. */
static gboolean
skip_pce (BitReader * br)
{
  guint32 n_front, n_side, n_back, n_lfe, n_assoc, n_cc, flag, comment_len;

  /* element_instance_tag 4, object_type 2, sampling_frequency_index 4 */
  if (!br_skip (br, 10))
    return FALSE;
  if (!br_get (br, 4, &n_front) || !br_get (br, 4, &n_side) ||
      !br_get (br, 4, &n_back) || !br_get (br, 2, &n_lfe) ||
      !br_get (br, 3, &n_assoc) || !br_get (br, 4, &n_cc))
    return FALSE;
  /* mono_mixdown, stereo_mixdown (4 bits each), matrix_mixdown (3 bits) */
  if (!br_get (br, 1, &flag) || (flag && !br_skip (br, 4)))
    return FALSE;
  if (!br_get (br, 1, &flag) || (flag && !br_skip (br, 4)))
    return FALSE;
  if (!br_get (br, 1, &flag) || (flag && !br_skip (br, 3)))
    return FALSE;
  /* front/side/back: is_cpe 1 + tag 4; lfe, assoc data: tag 4;
   * valid cc: ind_sw 1 + tag 4 */
  if (!br_skip (br, (gsize) (n_front + n_side + n_back) * 5 +
          (gsize) (n_lfe + n_assoc) * 4 + (gsize) n_cc * 5))
    return FALSE;
  /* byte_alignment() relative to the AudioSpecificConfig start, which is
   * byte-aligned itself */
  if (br->pos % 8 && !br_skip (br, 8 - br->pos % 8))
    return FALSE;
  if (!br_get (br, 8, &comment_len))
    return FALSE;
  return br_skip (br, (gsize) comment_len * 8);
}

static gboolean
is_ga_object_type (guint aot)
{
  switch (aot) {
    case 1:
    case 2:
    case 3:
    case 4:
    case 6:
    case 7:
    case 17:
    case 19:
    case 20:
    case 21:
    case 22:
    case 23:
      return TRUE;
    default:
      return FALSE;
  }
}

/* GASpecificConfig() (§4.4.1, Table 4.1). */
static gboolean
parse_ga_specific (BitReader * br, guint aot, guint channel_config,
    guint * frame_length)
{
  guint32 frame_length_flag, depends_on_core, extension_flag, v;

  if (!br_get (br, 1, &frame_length_flag) || !br_get (br, 1, &depends_on_core))
    return FALSE;
  if (depends_on_core && !br_skip (br, 14))     /* coreCoderDelay */
    return FALSE;
  if (!br_get (br, 1, &extension_flag))
    return FALSE;
  if (channel_config == 0 && !skip_pce (br))
    return FALSE;
  if ((aot == 6 || aot == 20) && !br_skip (br, 3))      /* layerNr */
    return FALSE;
  if (extension_flag) {
    if (aot == 22 && !br_skip (br, 5 + 11))     /* numOfSubFrame, layer_length */
      return FALSE;
    if ((aot == 17 || aot == 19 || aot == 20 || aot == 23) && !br_skip (br, 3))
      return FALSE;             /* the three resilience flags */
    if (!br_get (br, 1, &v))    /* extensionFlag3 */
      return FALSE;
  }
  *frame_length = frame_length_flag ? 960 : 1024;
  return TRUE;
}

gboolean
arcly_aac_parse_asc (const guint8 * data, gsize size, ArclyAacConfig * config)
{
  BitReader br = { data, size, 0 };
  ArclyAacConfig c;
  guint aot, signalled_aot, ext_index = 0;
  guint32 chan;
  gboolean explicit_sbr = FALSE;

  g_return_val_if_fail (config != NULL, FALSE);
  if (data == NULL || size < 2)
    return FALSE;

  memset (&c, 0, sizeof (c));
  if (!read_object_type (&br, &aot) || aot == 0)
    return FALSE;
  if (!read_rate (&br, &c.rate, &c.rate_index))
    return FALSE;
  if (!br_get (&br, 4, &chan))
    return FALSE;
  c.channel_config = chan;
  signalled_aot = aot;

  /* Explicit hierarchical SBR / PS signalling (§1.6.2.1): the config
   * continues with the SBR output rate and the core object type. */
  if (aot == 5 || aot == 29) {
    explicit_sbr = TRUE;
    if (!read_rate (&br, &c.ext_rate, &ext_index))
      return FALSE;
    if (!read_object_type (&br, &aot) || aot == 0 || aot == 5 || aot == 29)
      return FALSE;
    if (aot == 22 && !br_skip (&br, 4)) /* extensionChannelConfiguration */
      return FALSE;
  }

  c.frame_length = 1024;
  if (is_ga_object_type (aot)) {
    if (!parse_ga_specific (&br, aot, c.channel_config, &c.frame_length))
      return FALSE;
    /* epConfig for the error-resilient types */
    if (aot >= 17 && aot <= 23 && !br_skip (&br, 2))
      return FALSE;

    /* Backward-compatible SBR / PS signalling: a sync extension after the
     * core config (§1.6.5.2).  Decoders that do not know it stop before
     * it; anything malformed here is ignored rather than fatal, as those
     * decoders would. */
    if (!explicit_sbr && br_left (&br) >= 16) {
      BitReader ext = br;
      guint32 sync, ext_aot, sbr_present;
      guint ext_rate = 0;

      if (br_get (&ext, 11, &sync) && sync == 0x2b7 &&
          br_get (&ext, 5, &ext_aot) && ext_aot == 5 &&
          br_get (&ext, 1, &sbr_present) && sbr_present &&
          read_rate (&ext, &ext_rate, &ext_index))
        c.ext_rate = ext_rate;
    }
  }
  /* Other object types (CELP, HVXC, ALS, USAC...) keep their specific
   * config unparsed: the header fields above are all that is known. */

  c.object_type = explicit_sbr ? signalled_aot : aot;
  c.channels = aac_channels[c.channel_config & 0xf];
  if (c.channel_config != 0 && c.channels == 0)
    return FALSE;               /* 8, 9, 10, 15: reserved */
  *config = c;
  return TRUE;
}

static gint
hex_value (gchar ch)
{
  if (ch >= '0' && ch <= '9')
    return ch - '0';
  if (ch >= 'a' && ch <= 'f')
    return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F')
    return ch - 'A' + 10;
  return -1;
}

GBytes *
arcly_aac_config_from_hex (const gchar * hex)
{
  gsize len, i;
  guint8 *out;

  if (hex == NULL)
    return NULL;
  len = strlen (hex);
  if (len == 0 || len % 2 != 0)
    return NULL;
  out = g_malloc (len / 2);
  for (i = 0; i < len / 2; i++) {
    gint hi = hex_value (hex[2 * i]);
    gint lo = hex_value (hex[2 * i + 1]);

    if (hi < 0 || lo < 0) {
      g_free (out);
      return NULL;
    }
    out[i] = (guint8) ((hi << 4) | lo);
  }
  return g_bytes_new_take (out, len / 2);
}

/* ADTS fixed + variable header (§1.A.2.2.1/2), 56 bits without CRC:
 *
 *   syncword 12 | ID 1 | layer 2 | protection_absent 1 | profile 2 |
 *   sampling_frequency_index 4 | private 1 | channel_configuration 3 |
 *   original 1 | home 1 | copyright_id_bit 1 | copyright_id_start 1 |
 *   aac_frame_length 13 | adts_buffer_fullness 11 |
 *   number_of_raw_data_blocks_in_frame 2
 */
#define ADTS_MAX_FRAME_LENGTH 0x1fff

gboolean
arcly_aac_write_adts_header (const ArclyAacConfig * config,
    gsize payload_size, guint8 out[ARCLY_AAC_ADTS_HEADER_SIZE])
{
  guint profile, rate_index, frame_len;

  g_return_val_if_fail (config != NULL && out != NULL, FALSE);

  /* HE-AAC (v2) is carried in ADTS as its AAC-LC core at the core rate;
   * decoders find the SBR / PS data in the frames themselves. */
  if (config->object_type == 5 || config->object_type == 29)
    profile = 2;
  else
    profile = config->object_type;
  if (profile < 1 || profile > 4)
    return FALSE;
  if (config->frame_length != 1024)
    return FALSE;               /* ADTS has no 960-sample frames */

  rate_index = config->rate_index;
  if (rate_index == 15) {
    /* An explicit rate is expressible only when it is a table rate. */
    guint i;

    for (i = 0; i < G_N_ELEMENTS (aac_rates); i++)
      if (aac_rates[i] == config->rate)
        break;
    if (i == G_N_ELEMENTS (aac_rates))
      return FALSE;
    rate_index = i;
  }
  if (rate_index >= G_N_ELEMENTS (aac_rates))
    return FALSE;
  if (config->channel_config < 1 || config->channel_config > 7)
    return FALSE;
  if (payload_size > ADTS_MAX_FRAME_LENGTH - ARCLY_AAC_ADTS_HEADER_SIZE)
    return FALSE;

  frame_len = (guint) payload_size + ARCLY_AAC_ADTS_HEADER_SIZE;
  out[0] = 0xff;
  out[1] = 0xf1;                /* syncword, MPEG-4, layer 0, no CRC */
  out[2] = (guint8) (((profile - 1) << 6) | (rate_index << 2) |
      (config->channel_config >> 2));
  out[3] = (guint8) (((config->channel_config & 3) << 6) | (frame_len >> 11));
  out[4] = (guint8) ((frame_len >> 3) & 0xff);
  out[5] = (guint8) (((frame_len & 7) << 5) | 0x1f);   /* fullness 0x7ff: VBR */
  out[6] = 0xfc;                /* fullness low bits, 1 raw data block */
  return TRUE;
}

gboolean
arcly_aac_parse_adts_header (const guint8 * data, gsize size,
    guint * header_len, guint * frame_len)
{
  guint hlen, flen;

  if (data == NULL || size < ARCLY_AAC_ADTS_HEADER_SIZE)
    return FALSE;
  if (data[0] != 0xff || (data[1] & 0xf6) != 0xf0)
    return FALSE;               /* syncword, layer must be 0 */
  if (((data[2] >> 2) & 0xf) >= G_N_ELEMENTS (aac_rates))
    return FALSE;               /* reserved / escape rate index */
  hlen = (data[1] & 1) ? 7 : 9;
  if (size < hlen)
    return FALSE;
  flen = ((guint) (data[3] & 3) << 11) | ((guint) data[4] << 3) |
      (data[5] >> 5);
  if (flen < hlen)
    return FALSE;
  if (header_len)
    *header_len = hlen;
  if (frame_len)
    *frame_len = flen;
  return TRUE;
}
