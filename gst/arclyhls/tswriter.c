/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 *
 * This library is distributed in the hope that it will be useful,
 * but WITHOUT ANY WARRANTY; without even the implied warranty of
 * MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the GNU
 * Library General Public License for more details.
 *
 * You should have received a copy of the GNU Library General Public
 * License along with this library; if not, write to the
 * Free Software Foundation, Inc., 51 Franklin St, Fifth Floor,
 * Boston, MA 02110-1301, USA.
 */

/* MPEG-TS packetizer, see tswriter.h.  Section and clause numbers refer to
 * ISO/IEC 13818-1.
 *
 * Transport packet header (§2.4.3.2), 4 bytes:
 *
 *   sync_byte 0x47 | TEI:1 PUSI:1 priority:1 PID:13 |
 *   scrambling:2 adaptation_field_control:2 continuity_counter:4
 *
 * adaptation_field_control: 01 payload only, 10 adaptation field only,
 * 11 both.  An adaptation field (§2.4.3.4) is a length byte followed by that
 * many bytes: a flags byte (discontinuity, random_access, ES_priority, PCR,
 * OPCR, splicing_point, private_data, extension), the 6-byte PCR when
 * flagged, then 0xff stuffing.  A length of 0 is a single stuffing byte. */

#include "tswriter.h"
#include "arclyh264.h"
#include "arclyh265.h"

#include <string.h>

#define TS_HEADER_SIZE 4
#define TS_PAYLOAD_MAX (ARCLY_TS_PACKET_SIZE - TS_HEADER_SIZE)

#define AF_FLAG_RANDOM_ACCESS 0x40
#define AF_FLAG_PCR 0x10

/* ---- small put helpers: write big-endian fields, return the next byte ---- */

static inline guint8 *
put8 (guint8 * p, guint v)
{
  p[0] = v & 0xff;
  return p + 1;
}

static inline guint8 *
put16 (guint8 * p, guint v)
{
  p[0] = (v >> 8) & 0xff;
  p[1] = v & 0xff;
  return p + 2;
}

static inline guint8 *
put32 (guint8 * p, guint32 v)
{
  p[0] = v >> 24;
  p[1] = (v >> 16) & 0xff;
  p[2] = (v >> 8) & 0xff;
  p[3] = v & 0xff;
  return p + 4;
}

/* PTS/DTS field (§2.4.3.7): 4-bit prefix, then the 33 bits as 3+15+15, each
 * group followed by a marker bit. */
static inline guint8 *
put_timestamp (guint8 * p, guint prefix, guint64 ts)
{
  ts &= ARCLY_TS_CLOCK_MASK;
  p[0] = (prefix << 4) | ((ts >> 29) & 0x0e) | 0x01;
  p[1] = (ts >> 22) & 0xff;
  p[2] = ((ts >> 14) & 0xfe) | 0x01;
  p[3] = (ts >> 7) & 0xff;
  p[4] = ((ts << 1) & 0xfe) | 0x01;
  return p + 5;
}

/* PCR (§2.4.3.5): 33-bit base (90 kHz), 6 reserved bits, 9-bit extension
 * (0..299), PCR = base * 300 + extension. */
static inline guint8 *
put_pcr (guint8 * p, guint64 pcr)
{
  guint64 base;
  guint ext;

  pcr %= ARCLY_TS_PCR_WRAP;
  base = pcr / 300;
  ext = pcr % 300;
  p[0] = (base >> 25) & 0xff;
  p[1] = (base >> 17) & 0xff;
  p[2] = (base >> 9) & 0xff;
  p[3] = (base >> 1) & 0xff;
  p[4] = ((base & 1) << 7) | 0x7e | ((ext >> 8) & 0x01);
  p[5] = ext & 0xff;
  return p + 6;
}

static inline guint8 *
put_ts_header (guint8 * p, guint16 pid, gboolean pusi, guint afc, guint cc)
{
  p[0] = 0x47;
  p[1] = (pusi ? 0x40 : 0x00) | ((pid >> 8) & 0x1f);
  p[2] = pid & 0xff;
  p[3] = ((afc & 0x3) << 4) | (cc & 0x0f);
  return p + 4;
}

/* Grows @out by one packet and returns a pointer to it. */
static guint8 *
append_packet (GByteArray * out)
{
  guint old = out->len;

  g_byte_array_set_size (out, old + ARCLY_TS_PACKET_SIZE);
  return out->data + old;
}

guint32
arcly_ts_crc32 (const guint8 * data, gsize size)
{
  guint32 crc = 0xffffffff;
  gsize i;
  guint b;

  for (i = 0; i < size; i++) {
    crc ^= (guint32) data[i] << 24;
    for (b = 0; b < 8; b++)
      crc = (crc & 0x80000000) ? (crc << 1) ^ 0x04c11db7 : (crc << 1);
  }
  return crc;
}

void
arcly_ts_program_init (ArclyTsProgram * program, guint16 program_number,
    guint16 pmt_pid)
{
  memset (program, 0, sizeof (*program));
  program->transport_stream_id = 1;
  program->program_number = program_number;
  program->pmt_pid = pmt_pid & 0x1fff;
  program->pcr_pid = 0x1fff;    /* "no PCR" until a stream is chosen */
}

gboolean
arcly_ts_program_add_stream (ArclyTsProgram * program, guint16 pid,
    guint8 stream_type)
{
  guint i;

  if (program->n_streams >= ARCLY_TS_MAX_STREAMS || pid < 0x0010
      || pid > ARCLY_TS_MAX_PID || pid == program->pmt_pid)
    return FALSE;
  for (i = 0; i < program->n_streams; i++)
    if (program->streams[i].pid == pid)
      return FALSE;
  program->streams[program->n_streams].pid = pid;
  program->streams[program->n_streams].stream_type = stream_type;
  program->n_streams++;
  return TRUE;
}

/* Writes @section (without CRC; the CRC is appended) as the only section of
 * one PSI packet: pointer_field 0, then the section, then 0xff fill
 * (§2.4.4.1-2).  @section_len + 4 must fit in 183 bytes. */
static void
write_psi_packet (ArclyTsPid * pid, const guint8 * section, gsize section_len,
    GByteArray * out)
{
  guint8 *pkt = append_packet (out);
  guint8 *p = put_ts_header (pkt, pid->pid, TRUE, 0x1, pid->cc);
  guint32 crc;

  pid->cc = (pid->cc + 1) & 0x0f;
  p = put8 (p, 0);              /* pointer_field */
  memcpy (p, section, section_len);
  crc = arcly_ts_crc32 (section, section_len);
  p = put32 (p + section_len, crc);
  memset (p, 0xff, pkt + ARCLY_TS_PACKET_SIZE - p);
}

/* table_id, section_syntax_indicator 1, '0', reserved '11', 12-bit
 * section_length (bytes after it, CRC included), then id, reserved '11',
 * version_number:5, current_next_indicator 1, section_number 0,
 * last_section_number 0. */
static guint8 *
put_section_header (guint8 * p, guint table_id, gsize section_length,
    guint id, guint version)
{
  p = put8 (p, table_id);
  p = put16 (p, 0xb000 | (section_length & 0x0fff));
  p = put16 (p, id);
  p = put8 (p, 0xc0 | ((version & 0x1f) << 1) | 0x01);
  p = put8 (p, 0);
  p = put8 (p, 0);
  return p;
}

void
arcly_ts_write_pat (const ArclyTsProgram * program, ArclyTsPid * pat,
    GByteArray * out)
{
  /* §2.4.4.3: one program entry, program_number and '111' + PMT PID. */
  guint8 section[16];
  guint8 *p = section;

  p = put_section_header (p, 0x00, 5 + 4 + 4, program->transport_stream_id,
      program->version);
  p = put16 (p, program->program_number);
  p = put16 (p, 0xe000 | program->pmt_pid);
  write_psi_packet (pat, section, p - section, out);
}

void
arcly_ts_write_pmt (const ArclyTsProgram * program, ArclyTsPid * pmt,
    GByteArray * out)
{
  /* §2.4.4.8: '111' PCR_PID, '1111' program_info_length 0, then per stream
   * stream_type, '111' elementary_PID, '1111' ES_info_length 0.  With at
   * most 32 streams the section (≤ 12 + 160 + 4 bytes) fits one packet. */
  guint8 section[12 + 5 * ARCLY_TS_MAX_STREAMS];
  guint8 *p = section;
  guint i, n = MIN (program->n_streams, ARCLY_TS_MAX_STREAMS);

  p = put_section_header (p, 0x02, 9 + 5 * n + 4, program->program_number,
      program->version);
  p = put16 (p, 0xe000 | (program->pcr_pid & 0x1fff));
  p = put16 (p, 0xf000);
  for (i = 0; i < n; i++) {
    p = put8 (p, program->streams[i].stream_type);
    p = put16 (p, 0xe000 | (program->streams[i].pid & 0x1fff));
    p = put16 (p, 0xf000);
  }
  write_psi_packet (pmt, section, p - section, out);
}

guint
arcly_ts_pes_header_size (const ArclyTsPesInfo * info)
{
  if (!info->has_pts)
    return 9;
  if (info->has_dts
      && ((info->dts ^ info->pts) & ARCLY_TS_CLOCK_MASK) != 0)
    return 9 + 10;
  return 9 + 5;
}

/* PES packet header (§2.4.3.6): start code prefix 00 00 01, stream_id,
 * PES_packet_length, '10' scrambling:2 priority:1 data_alignment:1
 * copyright:1 original:1, PTS_DTS_flags:2 and six more flags,
 * PES_header_data_length, then PTS ('0011' or '0010') and DTS ('0001'). */
static guint
build_pes_header (const ArclyTsPesInfo * info, gsize payload_size,
    guint8 out[19])
{
  guint header_size = arcly_ts_pes_header_size (info);
  guint data_len = header_size - 9;
  guint8 *p = out;
  gsize length = 3 + data_len + payload_size;

  p = put32 (p, 0x00000100 | info->stream_id);
  p = put16 (p, length > 0xffff ? 0 : (guint) length);
  p = put8 (p, 0x80 | (info->data_alignment ? 0x04 : 0x00));
  p = put8 (p, data_len == 10 ? 0xc0 : data_len == 5 ? 0x80 : 0x00);
  p = put8 (p, data_len);
  if (data_len == 10) {
    p = put_timestamp (p, 0x3, info->pts);
    put_timestamp (p, 0x1, info->dts);
  } else if (data_len == 5) {
    put_timestamp (p, 0x2, info->pts);
  }
  return header_size;
}

/* Copies @n bytes from the chunk list, advancing the cursor (@ci, @off). */
static void
copy_chunks (guint8 * dst, gsize n, const ArclyTsChunk * chunks,
    guint n_chunks, guint * ci, gsize * off)
{
  while (n > 0 && *ci < n_chunks) {
    const ArclyTsChunk *c = &chunks[*ci];
    gsize take = MIN (n, c->size - *off);

    if (take > 0) {
      memcpy (dst, c->data + *off, take);
      dst += take;
      n -= take;
      *off += take;
    }
    if (*off >= c->size) {
      (*ci)++;
      *off = 0;
    }
  }
}

/* What the first packet of a PES has room for after its adaptation field
 * (random access indicator and/or PCR), when it has one. */
static guint
first_packet_space (const ArclyTsPesInfo * info)
{
  if (!info->random_access && !info->write_pcr)
    return TS_PAYLOAD_MAX;
  /* length byte, flags byte, PCR */
  return TS_PAYLOAD_MAX - 2 - (info->write_pcr ? 6 : 0);
}

gsize
arcly_ts_pes_packets_size (const ArclyTsPesInfo * info, gsize payload_size)
{
  gsize total = arcly_ts_pes_header_size (info) + payload_size;
  guint first = first_packet_space (info);

  /* Every packet takes as much as it has room for; only the last one is
   * stuffed (see arcly_ts_write_pes_to). */
  if (total <= first)
    return ARCLY_TS_PACKET_SIZE;
  return (1 + (total - first + TS_PAYLOAD_MAX - 1) / TS_PAYLOAD_MAX) *
      ARCLY_TS_PACKET_SIZE;
}

gsize
arcly_ts_write_pes_to (ArclyTsPid * pid, const ArclyTsPesInfo * info,
    const ArclyTsChunk * chunks, guint n_chunks, guint8 * dst)
{
  guint8 header[19];
  gsize payload = 0, remaining;
  guint header_size, i, ci = 0;
  gsize off = 0;
  gboolean first = TRUE;
  guint8 *p = dst;

  for (i = 0; i < n_chunks; i++)
    payload += chunks[i].size;
  header_size = build_pes_header (info, payload, header);
  remaining = header_size + payload;

  while (remaining > 0) {
    guint8 *pkt = p;
    guint af_body = 0;          /* flags byte + PCR, without stuffing */
    guint8 af_flags = 0;
    gboolean have_af = FALSE;
    gsize space, take, stuffing = 0;

    if (first && (info->random_access || info->write_pcr)) {
      have_af = TRUE;
      af_flags = (info->random_access ? AF_FLAG_RANDOM_ACCESS : 0) |
          (info->write_pcr ? AF_FLAG_PCR : 0);
      af_body = 1 + (info->write_pcr ? 6 : 0);
    }
    space = TS_PAYLOAD_MAX - (have_af ? 1 + af_body : 0);
    if (remaining < space) {
      stuffing = space - remaining;
      if (!have_af) {
        /* An adaptation field of its own: the length byte is the first
         * stuffing byte, a flags byte (0) the second. */
        have_af = TRUE;
        if (stuffing >= 2)
          af_body = 1;
        stuffing -= 1 + af_body;
      }
    }
    take = MIN (remaining, space);

    p = put_ts_header (p, pid->pid, first, have_af ? 0x3 : 0x1, pid->cc);
    pid->cc = (pid->cc + 1) & 0x0f;
    if (have_af) {
      p = put8 (p, af_body + stuffing);
      if (af_body > 0) {
        p = put8 (p, af_flags);
        if (af_flags & AF_FLAG_PCR)
          p = put_pcr (p, info->pcr);
      }
      memset (p, 0xff, stuffing);
      p += stuffing;
    }
    remaining -= take;
    if (first) {
      /* The PES header (at most 19 bytes) always fits the first packet,
       * whose payload room is at least 184 - 8. */
      memcpy (p, header, header_size);
      p += header_size;
      take -= header_size;
    }
    if (take == TS_PAYLOAD_MAX && ci < n_chunks
        && chunks[ci].size - off > TS_PAYLOAD_MAX) {
      /* The common case: a whole packet from inside one chunk. */
      memcpy (p, chunks[ci].data + off, TS_PAYLOAD_MAX);
      off += TS_PAYLOAD_MAX;
    } else {
      copy_chunks (p, take, chunks, n_chunks, &ci, &off);
    }
    p += take;
    first = FALSE;
    g_assert (p == pkt + ARCLY_TS_PACKET_SIZE);
  }
  return p - dst;
}

gsize
arcly_ts_write_pes (ArclyTsPid * pid, const ArclyTsPesInfo * info,
    const ArclyTsChunk * chunks, guint n_chunks, GByteArray * out)
{
  gsize payload = 0, size, start_len = out->len;
  guint i;

  for (i = 0; i < n_chunks; i++)
    payload += chunks[i].size;
  size = arcly_ts_pes_packets_size (info, payload);
  g_byte_array_set_size (out, start_len + size);
  size = arcly_ts_write_pes_to (pid, info, chunks, n_chunks,
      out->data + start_len);
  g_assert (out->len == start_len + size);
  return size;
}

void
arcly_ts_write_pcr_packet_to (const ArclyTsPid * pid, guint64 pcr,
    guint8 * dst)
{
  /* Adaptation field only: the continuity counter keeps the value of the
   * last payload packet (§2.4.3.3). */
  guint8 *p = put_ts_header (dst, pid->pid, FALSE, 0x2,
      (pid->cc + 15) & 0x0f);

  p = put8 (p, TS_PAYLOAD_MAX - 1);
  p = put8 (p, AF_FLAG_PCR);
  p = put_pcr (p, pcr);
  memset (p, 0xff, dst + ARCLY_TS_PACKET_SIZE - p);
}

void
arcly_ts_write_pcr_packet (const ArclyTsPid * pid, guint64 pcr,
    GByteArray * out)
{
  arcly_ts_write_pcr_packet_to (pid, pcr, append_packet (out));
}

/* ---- H.264 access units ---- */

static void
note_nal (ArclyTsH264Au * au, const guint8 * nal, gsize size)
{
  switch (ARCLY_H264_NAL_TYPE (nal[0])) {
    case ARCLY_H264_NAL_IDR:
      au->has_idr = TRUE;
      break;
    case ARCLY_H264_NAL_SPS:
      au->has_sps = TRUE;
      au->sps = nal;
      au->sps_size = size;
      break;
    case ARCLY_H264_NAL_PPS:
      au->has_pps = TRUE;
      au->pps = nal;
      au->pps_size = size;
      break;
    default:
      break;
  }
}

gboolean
arcly_ts_h264_scan_annexb (const guint8 * data, gsize size,
    ArclyTsH264Au * au)
{
  gsize pos, next_pos;
  guint sc_len, next_len;
  gboolean first = TRUE;

  memset (au, 0, sizeof (*au));
  if (!arcly_h264_find_start_code (data, size, 0, &pos, &sc_len))
    return FALSE;
  for (;;) {
    gsize nal = pos + sc_len, end;
    gboolean more;
    guint type;

    if (nal >= size)
      return !first;
    type = ARCLY_H264_NAL_TYPE (data[nal]);
    /* H.264 Table 7-1: 1..5 are slices; nothing we need follows them */
    if (type >= ARCLY_H264_NAL_SLICE && type <= ARCLY_H264_NAL_IDR) {
      note_nal (au, data + nal, 1);
      return TRUE;
    }
    more = arcly_h264_find_start_code (data, size, nal, &next_pos, &next_len);
    end = more ? next_pos : size;
    if (first && type == ARCLY_H264_NAL_AUD) {
      au->aud_first = TRUE;
      au->after_aud = end;
    } else {
      note_nal (au, data + nal, end - nal);
    }
    first = FALSE;
    if (!more)
      return TRUE;
    pos = next_pos;
    sc_len = next_len;
  }
}

static const guint8 start_code[] = { 0x00, 0x00, 0x00, 0x01 };

gboolean
arcly_ts_h264_avc_chunks (const guint8 * data, gsize size,
    guint nal_length_size, GArray * chunks, ArclyTsH264Au * au)
{
  guint old_len = chunks->len;
  gsize off = 0, n = nal_length_size;
  gboolean any = FALSE;

  memset (au, 0, sizeof (*au));
  if (n != 1 && n != 2 && n != 4)
    return FALSE;
  while (off < size) {
    gsize len = 0, i;

    if (size - off < n)
      goto bad;
    for (i = 0; i < n; i++)
      len = (len << 8) | data[off + i];
    off += n;
    if (len == 0 || len > size - off)
      goto bad;
    if (ARCLY_H264_NAL_TYPE (data[off]) != ARCLY_H264_NAL_AUD) {
      ArclyTsChunk c[2] = { {start_code, 4}, {data + off, len} };

      note_nal (au, data + off, len);
      g_array_append_vals (chunks, c, 2);
      any = TRUE;
    }
    off += len;
  }
  if (any)
    return TRUE;

bad:
  g_array_set_size (chunks, old_len);
  memset (au, 0, sizeof (*au));
  return FALSE;
}

gboolean
arcly_ts_h264_avc_to_annexb (const guint8 * data, gsize size,
    guint nal_length_size, GByteArray * out, ArclyTsH264Au * au)
{
  GArray *chunks = g_array_new (FALSE, FALSE, sizeof (ArclyTsChunk));
  gboolean ok = arcly_ts_h264_avc_chunks (data, size, nal_length_size,
      chunks, au);
  guint i;

  for (i = 0; ok && i < chunks->len; i++) {
    const ArclyTsChunk *c = &g_array_index (chunks, ArclyTsChunk, i);

    g_byte_array_append (out, c->data, c->size);
  }
  g_array_unref (chunks);
  return ok;
}

/* ---- H.265 access units ---- */

static void
note_h265_nal (ArclyTsH264Au * au, const guint8 * nal, gsize size)
{
  switch (ARCLY_H265_NAL_TYPE (nal[0])) {
    case ARCLY_H265_NAL_VPS:
      au->has_vps = TRUE;
      au->vps = nal;
      au->vps_size = size;
      break;
    case ARCLY_H265_NAL_SPS:
      au->has_sps = TRUE;
      au->sps = nal;
      au->sps_size = size;
      break;
    case ARCLY_H265_NAL_PPS:
      au->has_pps = TRUE;
      au->pps = nal;
      au->pps_size = size;
      break;
    default:
      break;
  }
}

gboolean
arcly_ts_h265_scan_annexb (const guint8 * data, gsize size,
    ArclyTsH264Au * au)
{
  gsize pos, next_pos;
  guint sc_len, next_len;
  gboolean first = TRUE;

  memset (au, 0, sizeof (*au));
  if (!arcly_h264_find_start_code (data, size, 0, &pos, &sc_len))
    return FALSE;
  for (;;) {
    gsize nal = pos + sc_len, end;
    gboolean more;
    guint type;

    if (nal >= size)
      return !first;
    type = ARCLY_H265_NAL_TYPE (data[nal]);
    /* the first VCL NAL unit says what the picture is; the slice data
     * after it is never read */
    if (ARCLY_H265_IS_VCL (type)) {
      au->has_idr = ARCLY_H265_IS_IRAP (type);
      return TRUE;
    }
    more = arcly_h264_find_start_code (data, size, nal, &next_pos, &next_len);
    end = more ? next_pos : size;
    if (first && type == ARCLY_H265_NAL_AUD) {
      au->aud_first = TRUE;
      au->after_aud = end;
    } else if (end - nal >= 2) {
      /* parameter sets are reported only with a whole NAL header */
      note_h265_nal (au, data + nal, end - nal);
    }
    first = FALSE;
    if (!more)
      return TRUE;
    pos = next_pos;
    sc_len = next_len;
  }
}
