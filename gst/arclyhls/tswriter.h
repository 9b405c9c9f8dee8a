/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * MPEG-2 transport stream packetizer (ISO/IEC 13818-1): PAT and PMT sections
 * with CRC32 (§2.4.4), PES packets with PTS/DTS (§2.4.3.6) split into
 * 188-byte transport packets (§2.4.3.2) with adaptation fields carrying the
 * PCR, the random access indicator and stuffing (§2.4.3.4).
 *
 * Pure code: the caller owns the state (program description, continuity
 * counters) and the output (a GByteArray, or memory it sized with
 * arcly_ts_pes_packets_size); nothing here does I/O or locking.
 * Shared by arclytsmux and arclyhlssink.
 */

#ifndef __ARCLY_TS_WRITER_H__
#define __ARCLY_TS_WRITER_H__

#include <glib.h>

G_BEGIN_DECLS

#define ARCLY_TS_PACKET_SIZE        188
#define ARCLY_TS_PAT_PID            0x0000
#define ARCLY_TS_MAX_PID            0x1ffe
#define ARCLY_TS_MAX_STREAMS        32

#define ARCLY_TS_STREAM_TYPE_AAC_ADTS 0x0f
#define ARCLY_TS_STREAM_TYPE_H264     0x1b
#define ARCLY_TS_STREAM_TYPE_H265     0x24

#define ARCLY_TS_STREAM_ID_VIDEO    0xe0   /* first video stream_id */
#define ARCLY_TS_STREAM_ID_AUDIO    0xc0   /* first audio stream_id */

/* 33-bit system clock: PTS/DTS in 90 kHz units and the PCR base. */
#define ARCLY_TS_CLOCK_MASK  ((G_GUINT64_CONSTANT (1) << 33) - 1)
/* PCR in 27 MHz units wraps at 2^33 * 300. */
#define ARCLY_TS_PCR_WRAP    (((G_GUINT64_CONSTANT (1) << 33)) * 300)

/* Continuity state of one PID (§2.4.3.3: continuity_counter increments for
 * every packet of a PID that carries payload). */
typedef struct
{
  guint16 pid;
  guint8 cc;                    /* the counter the next payload packet gets */
} ArclyTsPid;

typedef struct
{
  guint16 pid;
  guint8 stream_type;
} ArclyTsEsInfo;

/* One program: what the PAT and PMT describe. */
typedef struct
{
  guint16 transport_stream_id;
  guint16 program_number;       /* not 0 (0 is the network PID entry) */
  guint16 pmt_pid;
  guint16 pcr_pid;
  guint8 version;               /* version_number, 0..31 */
  guint n_streams;
  ArclyTsEsInfo streams[ARCLY_TS_MAX_STREAMS];
} ArclyTsProgram;

typedef struct
{
  guint8 stream_id;             /* 0xe0.. video, 0xc0.. audio */
  gboolean has_pts;
  gboolean has_dts;             /* written only with has_pts and dts != pts */
  guint64 pts;                  /* 90 kHz, reduced modulo 2^33 here */
  guint64 dts;
  gboolean data_alignment;      /* data_alignment_indicator: payload starts
                                 * with an access unit / sync word */
  gboolean random_access;       /* random_access_indicator in the first
                                 * packet's adaptation field */
  gboolean write_pcr;           /* PCR in the first packet */
  guint64 pcr;                  /* 27 MHz, reduced modulo 2^33 * 300 here */
} ArclyTsPesInfo;

/* A piece of PES payload; the payload is the concatenation of the chunks. */
typedef struct
{
  const guint8 *data;
  gsize size;
} ArclyTsChunk;

/* CRC-32/MPEG-2 (polynomial 0x04c11db7, initial value all ones, no
 * reflection, no final xor), as in PSI sections (Annex A). */
guint32 arcly_ts_crc32 (const guint8 * data, gsize size);

void    arcly_ts_program_init (ArclyTsProgram * program,
                               guint16 program_number, guint16 pmt_pid);

/* Adds an elementary stream; FALSE when full or the PID is out of range or
 * already used. */
gboolean arcly_ts_program_add_stream (ArclyTsProgram * program,
                                      guint16 pid, guint8 stream_type);

/* Appends one 188-byte packet with the PAT (resp. PMT) section and advances
 * the PID's continuity counter. */
void    arcly_ts_write_pat (const ArclyTsProgram * program, ArclyTsPid * pat,
                            GByteArray * out);
void    arcly_ts_write_pmt (const ArclyTsProgram * program, ArclyTsPid * pmt,
                            GByteArray * out);

/* Appends the PES packet made of @info's header and the @n_chunks payload
 * chunks, as transport packets on @pid (stuffing in the last packet's
 * adaptation field).  PES_packet_length is 0 ("unbounded", allowed for video
 * only) when the packet exceeds 65535 bytes.  Returns the number of bytes
 * appended, a multiple of 188. */
gsize   arcly_ts_write_pes (ArclyTsPid * pid, const ArclyTsPesInfo * info,
                            const ArclyTsChunk * chunks, guint n_chunks,
                            GByteArray * out);

/* The same, written at @dst, which has room for
 * arcly_ts_pes_packets_size() bytes: for callers that allocate their output
 * exactly.  Returns the number of bytes written. */
gsize   arcly_ts_write_pes_to (ArclyTsPid * pid, const ArclyTsPesInfo * info,
                               const ArclyTsChunk * chunks, guint n_chunks,
                               guint8 * dst);

/* Size of the transport packets (a multiple of 188) that the PES of @info
 * with @payload_size bytes of payload takes. */
gsize   arcly_ts_pes_packets_size (const ArclyTsPesInfo * info,
                                   gsize payload_size);

/* Appends a packet on @pid with only an adaptation field carrying @pcr
 * (27 MHz); it carries no payload, so the continuity counter is kept. */
void    arcly_ts_write_pcr_packet (const ArclyTsPid * pid, guint64 pcr,
                                   GByteArray * out);

/* The same, written at @dst (188 bytes). */
void    arcly_ts_write_pcr_packet_to (const ArclyTsPid * pid, guint64 pcr,
                                      guint8 * dst);

/* Size of the PES header @info produces (9 + 0, 5 or 10 bytes). */
guint   arcly_ts_pes_header_size (const ArclyTsPesInfo * info);

/* ---- H.264 access units as ITU-T H.222.0 §2.14 wants them in TS ----
 *
 * What the muxer needs to know of an access unit before packetizing it: is
 * it an IDR, does it carry SPS/PPS (and which), does it start with an access
 * unit delimiter.  Bounded scans over untrusted bytes (fuzzed by
 * tests/fuzz/fuzz_ts_avcc.c). */
typedef struct
{
  gboolean has_idr;
  gboolean has_sps;
  gboolean has_pps;
  gboolean aud_first;           /* the first NAL is an AUD */
  gsize after_aud;              /* Annex-B: offset of what follows it */
  const guint8 *sps;            /* the last SPS / PPS NAL seen (into the */
  gsize sps_size;               /* input), without start code */
  const guint8 *pps;
  gsize pps_size;
  /* H.265 only (arcly_ts_h265_scan_annexb): has_idr means "an IRAP
   * picture" (IDR, CRA or BLA), and the VPS is reported like SPS and PPS */
  gboolean has_vps;
  const guint8 *vps;
  gsize vps_size;
} ArclyTsH264Au;

/* Scans an Annex-B access unit up to its first slice NAL (the slice data is
 * never read: everything of interest comes before it).  FALSE when there is
 * no NAL unit at all. */
gboolean arcly_ts_h264_scan_annexb (const guint8 * data, gsize size,
                                    ArclyTsH264Au * au);

/* The same conversion without copying: appends to @chunks (a GArray of
 * ArclyTsChunk) a start code and the NAL unit (pointing into @data) for each
 * NAL unit but AUDs, ready for arcly_ts_write_pes_to().  FALSE (and @chunks
 * back at its old length) as below. */
gboolean arcly_ts_h264_avc_chunks (const guint8 * data, gsize size,
                                   guint nal_length_size, GArray * chunks,
                                   ArclyTsH264Au * au);

/* Appends a length-prefixed (avc, @nal_length_size 1, 2 or 4) access unit
 * to @out as Annex-B (4-byte start codes), leaving out access unit
 * delimiters.  FALSE (and @out back at its old length) when a length is 0 or
 * runs past the buffer, or nothing but AUDs is left. */
gboolean arcly_ts_h264_avc_to_annexb (const guint8 * data, gsize size,
                                      guint nal_length_size, GByteArray * out,
                                      ArclyTsH264Au * au);

/* ---- H.265 access units (ITU-T H.222.0 §2.17) ----
 *
 * The same scan for an H.265 Annex-B access unit (2-byte NAL headers, ITU-T
 * H.265 §7.3.1.2) up to its first VCL NAL unit: AUD first, the last VPS,
 * SPS and PPS before the picture, and has_idr set for an IRAP picture
 * (NAL unit types 16..23).  FALSE when there is no NAL unit at all.
 * Fuzzed by tests/fuzz/fuzz_ts_avcc.c too. */
gboolean arcly_ts_h265_scan_annexb (const guint8 * data, gsize size,
                                    ArclyTsH264Au * au);

G_END_DECLS

#endif /* __ARCLY_TS_WRITER_H__ */
