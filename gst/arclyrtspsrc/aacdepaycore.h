/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * RFC 3640 (mpeg4-generic) payload parsing for arclyaacdepay: the
 * AU-headers section, the auxiliary section, the AU data section, and the
 * bookkeeping of an AU fragmented over several packets.  Pure code over a
 * payload byte slice: bounded, never reads past @size, no allocation.
 */

#ifndef __ARCLY_AAC_DEPAY_CORE_H__
#define __ARCLY_AAC_DEPAY_CORE_H__

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  ARCLY_AAC_DEPAY_MODE_UNKNOWN = 0,
  ARCLY_AAC_DEPAY_MODE_AAC_HBR,       /* sizelength 13, indexlength 3/3 */
  ARCLY_AAC_DEPAY_MODE_AAC_LBR,       /* sizelength 6, indexlength 2/2 */
} ArclyAacDepayMode;

/* Field widths from the fmtp / caps (RFC 3640 §4.1), in bits. */
typedef struct
{
  guint size_length;
  guint index_length;
  guint index_delta_length;
  guint cts_delta_length;
  guint dts_delta_length;
  guint random_access_indication;     /* 0 or 1 */
  guint stream_state_indication;      /* width of the Stream-state field */
  guint auxiliary_data_size_length;
} ArclyAacDepayParams;

/* Largest AU accepted (declared or reassembled): far above any AAC frame
 * (6144 bits per channel) and a bound on fragment accumulation. */
#define ARCLY_AAC_DEPAY_MAX_AU_SIZE (256 * 1024)

/* Most AU headers accepted in one packet ("absurd counts" above it). */
#define ARCLY_AAC_DEPAY_MAX_AUS 128

/* "AAC-hbr" / "AAC-lbr", case-insensitive; UNKNOWN otherwise. */
ArclyAacDepayMode arcly_aac_depay_mode_from_string (const gchar * mode);

/* The mode's default widths (RFC 3640 §3.3.5, §3.3.6); all zero for
 * UNKNOWN. */
void arcly_aac_depay_params_init (ArclyAacDepayParams * params,
                                  ArclyAacDepayMode mode);

/* FALSE (with a static reason) when the widths cannot describe a stream
 * this parser handles: size_length must be 1..32, the others <= 32. */
gboolean arcly_aac_depay_params_validate (const ArclyAacDepayParams * params,
                                          const gchar ** why);

typedef struct
{
  guint offset;                 /* of this AU's bytes in the payload */
  guint size;                   /* bytes of it in this payload */
  guint au_size;                /* AU-size: the whole AU */
  guint index;                  /* serial number minus the first AU's */
  gboolean has_cts;
  gint32 cts_delta;             /* in clock-rate units, signed */
  gboolean has_dts;
  gint32 dts_delta;             /* DTS = CTS - dts_delta */
  gboolean rap;
} ArclyAacAu;

typedef enum
{
  ARCLY_AAC_DEPAY_INVALID = 0,  /* drop the packet */
  ARCLY_AAC_DEPAY_AUS,          /* *n_aus whole AUs */
  ARCLY_AAC_DEPAY_FRAGMENT,     /* one AU header; the payload holds part */
} ArclyAacDepayResult;

/* Parses one RTP payload.  @aus must hold @max_aus entries; more headers
 * than that is INVALID.  On INVALID *@why says what was wrong. */
ArclyAacDepayResult arcly_aac_depay_parse (const ArclyAacDepayParams * params,
                                           const guint8 * payload, gsize size,
                                           ArclyAacAu * aus, guint max_aus,
                                           guint * n_aus, const gchar ** why);

/* If an AU of @au_size bytes starting with the @head_len bytes at @head
 * is exactly one ADTS frame (a camera quirk: AUs sent with their ADTS
 * header), returns the header length to skip; 0 otherwise.  @head needs
 * no more than 9 bytes. */
guint arcly_aac_depay_adts_skip (const guint8 * head, gsize head_len,
                                 gsize au_size);

/* Reassembly of one AU fragmented over packets (RFC 3640 §3.2.3): every
 * fragment carries the same AU-size and RTP timestamp, the marker bit is
 * set on the last one. */
typedef struct
{
  gboolean active;
  guint au_size;
  guint have;
  guint32 rtptime;
  guint n_fragments;
} ArclyAacFragState;

typedef enum
{
  ARCLY_AAC_FRAG_MORE,          /* keep the fragment, wait for the next */
  ARCLY_AAC_FRAG_DONE,          /* keep it: the AU is complete */
  ARCLY_AAC_FRAG_BROKEN,        /* drop what was collected and this one */
} ArclyAacFragResult;

void arcly_aac_frag_reset (ArclyAacFragState * state);

ArclyAacFragResult arcly_aac_frag_add (ArclyAacFragState * state,
                                       guint au_size, guint len,
                                       guint32 rtptime, gboolean marker);

G_END_DECLS

#endif
