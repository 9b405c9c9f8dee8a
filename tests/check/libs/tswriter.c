/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Unit tests of the pure MPEG-TS packetizer (gst/arclyhls/tswriter.c): what
 * it writes is read back by a small, independent transport packet walker
 * written from ISO/IEC 13818-1 in this file.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <gst/check/gstcheck.h>

#include "tswriter.h"

/* ---- a tiny TS packet walker ---- */

typedef struct
{
  guint pid;
  gboolean pusi;
  guint afc;
  guint cc;
  gboolean has_af;
  guint af_len;                 /* adaptation_field_length */
  gboolean rai;
  gboolean has_pcr;
  guint64 pcr;                  /* 27 MHz */
  guint stuffing;               /* 0xff bytes in the adaptation field */
  const guint8 *payload;
  gsize payload_size;
} Pkt;

static void
walk_packet (const guint8 * p, Pkt * k)
{
  const guint8 *end = p + ARCLY_TS_PACKET_SIZE;
  const guint8 *q;

  memset (k, 0, sizeof (*k));
  fail_unless_equals_int (p[0], 0x47);
  fail_if (p[1] & 0x80, "transport_error_indicator set");
  k->pusi = (p[1] & 0x40) != 0;
  k->pid = ((p[1] & 0x1f) << 8) | p[2];
  fail_unless_equals_int (p[3] >> 6, 0);        /* not scrambled */
  k->afc = (p[3] >> 4) & 3;
  k->cc = p[3] & 0x0f;
  fail_unless (k->afc != 0, "reserved adaptation_field_control 00");
  q = p + 4;
  if (k->afc & 2) {
    const guint8 *af_end;

    k->has_af = TRUE;
    k->af_len = q[0];
    fail_unless (k->af_len <= (k->afc == 2 ? 183u : 182u),
        "adaptation field length %u with afc %u", k->af_len, k->afc);
    af_end = q + 1 + k->af_len;
    if (k->af_len > 0) {
      const guint8 *f = q + 2;

      k->rai = (q[1] & 0x40) != 0;
      fail_if (q[1] & 0x0f, "unexpected adaptation field flags 0x%x", q[1]);
      if (q[1] & 0x10) {
        guint64 base = ((guint64) f[0] << 25) | (f[1] << 17) | (f[2] << 9) |
            (f[3] << 1) | (f[4] >> 7);
        guint ext = ((f[4] & 1) << 8) | f[5];

        fail_unless_equals_int (f[4] & 0x7e, 0x7e);
        fail_unless (ext < 300);
        k->has_pcr = TRUE;
        k->pcr = base * 300 + ext;
        f += 6;
      }
      for (; f < af_end; f++) {
        fail_unless_equals_int (*f, 0xff);
        k->stuffing++;
      }
    } else {
      k->stuffing = 1;
    }
    q = af_end;
  }
  fail_unless (q <= end);
  if (k->afc & 1) {
    k->payload = q;
    k->payload_size = end - q;
    fail_unless (k->payload_size > 0);
  } else {
    fail_unless (q == end);
  }
}

static guint64
read_timestamp (const guint8 * p, guint prefix)
{
  fail_unless_equals_int (p[0] >> 4, prefix);
  fail_unless (p[0] & 1 && p[2] & 1 && p[4] & 1, "marker bits");
  return ((guint64) (p[0] & 0x0e) << 29) | (p[1] << 22) |
      ((p[2] & 0xfe) << 14) | (p[3] << 7) | (p[4] >> 1);
}

typedef struct
{
  guint stream_id;
  guint pes_length;
  gboolean data_alignment;
  gboolean has_pts, has_dts;
  guint64 pts, dts;
  gsize header_size;
} PesHdr;

static void
parse_pes_header (const guint8 * p, gsize size, PesHdr * h)
{
  guint flags;

  memset (h, 0, sizeof (*h));
  fail_unless (size >= 9);
  fail_unless (p[0] == 0 && p[1] == 0 && p[2] == 1, "no PES start code");
  h->stream_id = p[3];
  h->pes_length = (p[4] << 8) | p[5];
  fail_unless_equals_int (p[6] & 0xc0, 0x80);
  h->data_alignment = (p[6] & 0x04) != 0;
  flags = p[7] >> 6;
  fail_unless (flags != 1, "forbidden PTS_DTS_flags 01");
  fail_unless_equals_int (p[7] & 0x3f, 0);
  h->header_size = 9 + p[8];
  fail_unless (size >= h->header_size);
  if (flags == 2) {
    fail_unless_equals_int (p[8], 5);
    h->has_pts = TRUE;
    h->pts = read_timestamp (p + 9, 2);
  } else if (flags == 3) {
    fail_unless_equals_int (p[8], 10);
    h->has_pts = h->has_dts = TRUE;
    h->pts = read_timestamp (p + 9, 3);
    h->dts = read_timestamp (p + 14, 1);
  }
}

/* Walks a whole PES written on one PID: checks the packet chain (PUSI only
 * first, CC increments) and returns the reassembled PES bytes. */
static GByteArray *
reassemble (const GByteArray * ts, guint pid, guint first_cc, Pkt * pkt0)
{
  GByteArray *pes = g_byte_array_new ();
  guint i, cc = first_cc;

  fail_unless_equals_int (ts->len % ARCLY_TS_PACKET_SIZE, 0);
  for (i = 0; i < ts->len; i += ARCLY_TS_PACKET_SIZE) {
    Pkt k;

    walk_packet (ts->data + i, &k);
    fail_unless_equals_int (k.pid, pid);
    fail_unless_equals_int (k.pusi, i == 0);
    fail_unless_equals_int (k.cc, cc);
    fail_unless (k.afc & 1, "PES packet without payload");
    cc = (cc + 1) & 0xf;
    if (i == 0)
      *pkt0 = k;
    else
      fail_if (k.has_pcr || k.rai, "flags outside the first packet");
    /* stuffing only in the last packet */
    if (i + ARCLY_TS_PACKET_SIZE < ts->len)
      fail_unless_equals_int (k.stuffing, 0);
    g_byte_array_append (pes, k.payload, k.payload_size);
  }
  return pes;
}

/* ---- tests ---- */

/* The PAT FFmpeg writes for transport_stream_id 1, program 1 on PMT PID
 * 0x1000 (ffmpeg -i x -f mpegts), a well-known CRC vector. */
static const guint8 ffmpeg_pat[] = {
  0x47, 0x40, 0x00, 0x10, 0x00, 0x00, 0xb0, 0x0d, 0x00, 0x01, 0xc1, 0x00,
  0x00, 0x00, 0x01, 0xf0, 0x00, 0x2a, 0xb1, 0x04, 0xb2
};

GST_START_TEST (test_crc32)
{
  /* section = after pointer_field up to the CRC */
  fail_unless_equals_int (arcly_ts_crc32 (ffmpeg_pat + 5, 12), 0x2ab104b2);
  /* the CRC over a section including its CRC is 0 */
  fail_unless_equals_int (arcly_ts_crc32 (ffmpeg_pat + 5, 16), 0);
  fail_unless_equals_int (arcly_ts_crc32 (NULL, 0), 0xffffffff);
  /* CRC-32/MPEG-2 check value of "123456789" */
  fail_unless_equals_int (arcly_ts_crc32 ((const guint8 *) "123456789", 9),
      0x0376e6e7);
}

GST_END_TEST;

GST_START_TEST (test_pat_matches_reference)
{
  ArclyTsProgram prog;
  ArclyTsPid pat = { ARCLY_TS_PAT_PID, 0 };
  GByteArray *out = g_byte_array_new ();
  guint i;

  arcly_ts_program_init (&prog, 1, 0x1000);
  arcly_ts_write_pat (&prog, &pat, out);
  fail_unless_equals_int (out->len, 188);
  fail_unless (memcmp (out->data, ffmpeg_pat, sizeof (ffmpeg_pat)) == 0);
  for (i = sizeof (ffmpeg_pat); i < 188; i++)
    fail_unless_equals_int (out->data[i], 0xff);
  fail_unless_equals_int (pat.cc, 1);

  /* the continuity counter wraps at 16 */
  for (i = 0; i < 16; i++)
    arcly_ts_write_pat (&prog, &pat, out);
  fail_unless_equals_int (pat.cc, 1);
  fail_unless_equals_int (out->data[16 * 188 + 3] & 0xf, 0);
  g_byte_array_unref (out);
}

GST_END_TEST;

GST_START_TEST (test_pmt)
{
  ArclyTsProgram prog;
  ArclyTsPid pmt = { 0x1000, 7 };
  GByteArray *out = g_byte_array_new ();
  const guint8 *s;
  guint section_length;
  Pkt k;

  arcly_ts_program_init (&prog, 1, 0x1000);
  fail_unless (arcly_ts_program_add_stream (&prog, 0x100,
          ARCLY_TS_STREAM_TYPE_H264));
  fail_unless (arcly_ts_program_add_stream (&prog, 0x101,
          ARCLY_TS_STREAM_TYPE_AAC_ADTS));
  fail_if (arcly_ts_program_add_stream (&prog, 0x101, 0x0f), "dup PID");
  fail_if (arcly_ts_program_add_stream (&prog, 0x1000, 0x0f), "PMT PID");
  fail_if (arcly_ts_program_add_stream (&prog, 0x0001, 0x0f), "reserved PID");
  fail_if (arcly_ts_program_add_stream (&prog, 0x1fff, 0x0f), "null PID");
  prog.pcr_pid = 0x100;
  prog.version = 3;
  arcly_ts_write_pmt (&prog, &pmt, out);

  walk_packet (out->data, &k);
  fail_unless_equals_int (k.pid, 0x1000);
  fail_unless (k.pusi);
  fail_unless_equals_int (k.cc, 7);
  fail_unless_equals_int (pmt.cc, 8);
  fail_unless_equals_int (k.payload[0], 0);     /* pointer_field */
  s = k.payload + 1;
  fail_unless_equals_int (s[0], 0x02);
  section_length = ((s[1] & 0x0f) << 8) | s[2];
  fail_unless_equals_int (section_length, 9 + 2 * 5 + 4);
  fail_unless_equals_int ((s[3] << 8) | s[4], 1);
  fail_unless_equals_int ((s[5] >> 1) & 0x1f, 3);       /* version */
  fail_unless_equals_int (s[5] & 1, 1); /* current_next */
  fail_unless_equals_int (((s[8] & 0x1f) << 8) | s[9], 0x100);  /* PCR PID */
  fail_unless_equals_int (((s[10] & 0x0f) << 8) | s[11], 0);
  fail_unless_equals_int (s[12], 0x1b);
  fail_unless_equals_int (((s[13] & 0x1f) << 8) | s[14], 0x100);
  fail_unless_equals_int (s[17], 0x0f);
  fail_unless_equals_int (((s[18] & 0x1f) << 8) | s[19], 0x101);
  fail_unless_equals_int (arcly_ts_crc32 (s, 3 + section_length), 0);

  /* a full program still fits one packet */
  arcly_ts_program_init (&prog, 1, 0x1000);
  for (guint i = 0; i < ARCLY_TS_MAX_STREAMS; i++)
    fail_unless (arcly_ts_program_add_stream (&prog, 0x100 + i, 0x1b));
  fail_if (arcly_ts_program_add_stream (&prog, 0x200, 0x1b), "overfull");
  g_byte_array_set_size (out, 0);
  arcly_ts_write_pmt (&prog, &pmt, out);
  fail_unless_equals_int (out->len, 188);
  walk_packet (out->data, &k);
  s = k.payload + 1;
  section_length = ((s[1] & 0x0f) << 8) | s[2];
  fail_unless_equals_int (section_length, 9 + 32 * 5 + 4);
  fail_unless_equals_int (arcly_ts_crc32 (s, 3 + section_length), 0);
  g_byte_array_unref (out);
}

GST_END_TEST;

static void
check_pes_roundtrip (gsize payload_size, guint n_chunks,
    const ArclyTsPesInfo * info)
{
  GByteArray *out = g_byte_array_new ();
  GByteArray *pes;
  guint8 *payload = g_malloc (payload_size + 1);
  ArclyTsChunk chunks[16];
  ArclyTsPid pid = { 0x123, 14 };
  PesHdr h;
  Pkt p0 = { 0 };
  gsize i, written, pos = 0;

  for (i = 0; i < payload_size; i++)
    payload[i] = (guint8) (i * 7 + 3);
  g_assert (n_chunks >= 1 && n_chunks <= 16);
  for (i = 0; i < n_chunks; i++) {
    gsize len = (i + 1 == n_chunks) ? payload_size - pos :
        MIN (payload_size - pos, payload_size / n_chunks);
    chunks[i].data = payload + pos;
    chunks[i].size = len;
    pos += len;
  }

  g_byte_array_append (out, (const guint8 *) "x", 1);   /* appends, keeps */
  written = arcly_ts_write_pes (&pid, info, chunks, n_chunks, out);
  fail_unless_equals_int (written + 1, out->len);
  fail_unless_equals_int (out->data[0], 'x');
  g_byte_array_remove_index (out, 0);
  fail_unless_equals_int (out->len % 188, 0);
  /* the size announced beforehand is the size written, and writing into
   * memory of exactly that size (no slack: ASan checks it) gives the same
   * bytes, with the same continuity counters */
  fail_unless_equals_int (arcly_ts_pes_packets_size (info, payload_size),
      written);
  {
    guint8 *exact = g_malloc (written);
    ArclyTsPid pid2 = { 0x123, 14 };

    fail_unless_equals_int (arcly_ts_write_pes_to (&pid2, info, chunks,
            n_chunks, exact), written);
    fail_unless (memcmp (exact, out->data, written) == 0);
    fail_unless_equals_int (pid2.cc, pid.cc);
    g_free (exact);
  }
  /* as few packets as possible */
  fail_unless (out->len / 188 <=
      (payload_size + arcly_ts_pes_header_size (info) + 8 + 183) / 184);

  pes = reassemble (out, 0x123, 14, &p0);
  fail_unless_equals_int (pid.cc, (14 + out->len / 188) & 0xf);
  fail_unless_equals_int (p0.rai, info->random_access);
  fail_unless_equals_int (p0.has_pcr, info->write_pcr);
  if (info->write_pcr)
    fail_unless_equals_uint64 (p0.pcr, info->pcr % ARCLY_TS_PCR_WRAP);

  parse_pes_header (pes->data, pes->len, &h);
  fail_unless_equals_int (h.stream_id, info->stream_id);
  fail_unless_equals_int (h.data_alignment, info->data_alignment);
  fail_unless_equals_int (h.has_pts, info->has_pts);
  if (info->has_pts)
    fail_unless_equals_uint64 (h.pts, info->pts & ARCLY_TS_CLOCK_MASK);
  if (h.has_dts)
    fail_unless_equals_uint64 (h.dts, info->dts & ARCLY_TS_CLOCK_MASK);
  if (h.header_size + payload_size + 3 - 9 <= 0xffff) {
    fail_unless_equals_int (h.pes_length, h.header_size - 6 + payload_size);
  } else {
    fail_unless_equals_int (h.pes_length, 0);
  }
  fail_unless_equals_int (pes->len, h.header_size + payload_size);
  fail_unless (memcmp (pes->data + h.header_size, payload, payload_size) == 0);

  g_byte_array_unref (pes);
  g_byte_array_unref (out);
  g_free (payload);
}

GST_START_TEST (test_pes_every_small_size)
{
  ArclyTsPesInfo info = { 0 };
  gsize size;

  /* Every size around the packet boundaries, with each kind of header and
   * adaptation field: the stuffing arithmetic has many edges. */
  for (size = 0; size < 3 * 188 + 20; size++) {
    info.stream_id = 0xe0;
    info.has_pts = TRUE;
    info.pts = 1000 + size;
    info.has_dts = FALSE;
    info.random_access = FALSE;
    info.write_pcr = FALSE;
    info.data_alignment = FALSE;
    check_pes_roundtrip (size, 1, &info);

    info.has_dts = TRUE;
    info.dts = 900;
    info.random_access = TRUE;
    info.data_alignment = TRUE;
    check_pes_roundtrip (size, 3, &info);

    info.write_pcr = TRUE;
    info.pcr = 27000000 + size;
    check_pes_roundtrip (size, 2, &info);

    info.random_access = FALSE;
    info.has_pts = FALSE;
    info.stream_id = 0xc0;
    check_pes_roundtrip (size, 1, &info);
  }
}

GST_END_TEST;

GST_START_TEST (test_pes_large_and_wrap)
{
  ArclyTsPesInfo info = { 0 };

  info.stream_id = 0xe1;
  info.has_pts = info.has_dts = TRUE;
  /* values past 2^33 are written modulo 2^33 */
  info.pts = (G_GUINT64_CONSTANT (1) << 33) + 12345;
  info.dts = (G_GUINT64_CONSTANT (1) << 33) - 3003;
  info.write_pcr = TRUE;
  info.pcr = ARCLY_TS_PCR_WRAP + 299;
  info.random_access = TRUE;
  info.data_alignment = TRUE;
  /* a PES too long for PES_packet_length: written as 0 */
  check_pes_roundtrip (200000, 16, &info);
  check_pes_roundtrip (65535 - 13, 5, &info);
  check_pes_roundtrip (65535 - 12, 5, &info);

  /* pts == dts: the DTS is left out */
  info.dts = info.pts;
  check_pes_roundtrip (1000, 1, &info);
  fail_unless_equals_int (arcly_ts_pes_header_size (&info), 14);
}

GST_END_TEST;

GST_START_TEST (test_pcr_packet)
{
  ArclyTsPid pid = { 0x100, 5 };
  GByteArray *out = g_byte_array_new ();
  Pkt k;

  arcly_ts_write_pcr_packet (&pid, 123456789, out);
  fail_unless_equals_int (out->len, 188);
  {
    guint8 exact[188];

    arcly_ts_write_pcr_packet_to (&pid, 123456789, exact);
    fail_unless (memcmp (exact, out->data, 188) == 0);
  }
  walk_packet (out->data, &k);
  fail_unless_equals_int (k.afc, 2);
  fail_unless_equals_int (k.pid, 0x100);
  fail_unless_equals_int (k.cc, 4);     /* the previous payload packet's */
  fail_unless_equals_int (pid.cc, 5);
  fail_unless (k.has_pcr);
  fail_unless_equals_uint64 (k.pcr, 123456789);
  fail_unless_equals_int (k.af_len, 183);
  g_byte_array_unref (out);
}

GST_END_TEST;

/* H.264 AU scanners: what they find, and every truncated prefix of an AU
 * stays in bounds and never claims more than it saw. */
static const guint8 au_annexb[] = {
  0, 0, 0, 1, 0x09, 0xf0,       /* AUD */
  0, 0, 0, 1, 0x67, 0x42, 0xc0, 0x1e, /* SPS */
  0, 0, 1, 0x68, 0xce, 0x3c, 0x80,      /* PPS, 3-byte start code */
  0, 0, 0, 1, 0x65, 0x88, 0x84, 0x00, 0x00, 0x03, 0x01, 0x55  /* IDR */
};

static const guint8 au_avc[] = {
  0, 0, 0, 2, 0x09, 0xf0,
  0, 0, 0, 4, 0x67, 0x42, 0xc0, 0x1e,
  0, 0, 0, 4, 0x68, 0xce, 0x3c, 0x80,
  0, 0, 0, 3, 0x41, 0x9a, 0x55
};

GST_START_TEST (test_h264_scan)
{
  ArclyTsH264Au au;
  GByteArray *out = g_byte_array_new ();
  gsize n;

  fail_unless (arcly_ts_h264_scan_annexb (au_annexb, sizeof (au_annexb),
          &au));
  fail_unless (au.aud_first && au.has_sps && au.has_pps && au.has_idr);
  fail_unless_equals_int (au.after_aud, 6);
  fail_unless (au.sps == au_annexb + 10 && au.sps_size == 4);
  fail_unless (au.pps == au_annexb + 17 && au.pps_size == 4);

  for (n = 0; n < sizeof (au_annexb); n++) {
    /* a copy of exactly n bytes: ASan/valgrind catch any over-read */
    guint8 *copy = g_memdup2 (au_annexb, n);

    if (arcly_ts_h264_scan_annexb (copy, n, &au)) {
      fail_unless (n >= 5);
      if (au.sps)
        fail_unless (au.sps + au.sps_size <= copy + n);
      if (au.pps)
        fail_unless (au.pps + au.pps_size <= copy + n);
      fail_unless (au.after_aud <= n);
      fail_unless (!au.has_idr || n >= 26);
    }
    g_free (copy);
  }
  fail_if (arcly_ts_h264_scan_annexb ((const guint8 *) "\x12\x34", 2, &au));

  /* avc: converted, AUD left out, parameter sets found */
  g_byte_array_append (out, (const guint8 *) "xy", 2);
  fail_unless (arcly_ts_h264_avc_to_annexb (au_avc, sizeof (au_avc), 4, out,
          &au));
  fail_unless (!au.has_idr && au.has_sps && au.has_pps && !au.aud_first);
  fail_unless_equals_int (out->len, 2 + 8 + 8 + 7);
  fail_unless (memcmp (out->data + 2, "\0\0\0\x01\x67", 5) == 0);
  fail_unless (memcmp (out->data + 2 + 16, "\0\0\0\x01\x41", 5) == 0);
  for (n = 0; n < sizeof (au_avc); n++) {
    guint8 *copy = g_memdup2 (au_avc, n);
    gboolean ok;

    g_byte_array_set_size (out, 2);
    ok = arcly_ts_h264_avc_to_annexb (copy, n, 4, out, &au);
    /* only whole NALs convert; a failure leaves the array as it was */
    fail_unless_equals_int (ok, n == 14 || n == 22);
    if (!ok)
      fail_unless_equals_int (out->len, 2);
    g_free (copy);
  }
  g_byte_array_set_size (out, 0);
  fail_if (arcly_ts_h264_avc_to_annexb (au_avc, 6, 4, out, &au), "AUD only");
  fail_if (arcly_ts_h264_avc_to_annexb (au_avc, sizeof (au_avc), 3, out,
          &au), "length size 3");
  fail_if (arcly_ts_h264_avc_to_annexb ((const guint8 *) "\0\0\0\0\x41",
          5, 4, out, &au), "zero length");
  fail_unless (arcly_ts_h264_avc_to_annexb ((const guint8 *) "\x02\x41\x9a",
          3, 1, out, &au));
  fail_unless_equals_int (out->len, 6);
  g_byte_array_unref (out);
}

GST_END_TEST;

/* H.265 (2-byte NAL headers): AUD 35, VPS 32, SPS 33, PPS 34, then a CRA
 * (21) slice; the scan stops at the first VCL NAL unit. */
static const guint8 au_h265[] = {
  0, 0, 0, 1, 0x46, 0x01, 0x50, /* AUD */
  0, 0, 0, 1, 0x40, 0x01, 0x0c, 0x01, /* VPS */
  0, 0, 1, 0x42, 0x01, 0x01, 0x01,      /* SPS, 3-byte start code */
  0, 0, 0, 1, 0x44, 0x01, 0xc1, /* PPS */
  0, 0, 0, 1, 0x2a, 0x01, 0xaf, 0x00, 0x00, 0x03, 0x01   /* CRA */
};

GST_START_TEST (test_h265_scan)
{
  static const guint8 trail[] = { 0, 0, 1, 0x02, 0x01, 0xd0, 0x11 };
  static const guint8 sei_then_idr[] = { 0, 0, 1, 0x4e, 0x01, 0x05,
    0, 0, 1, 0x26, 0x01, 0xaf
  };
  ArclyTsH264Au au;
  gsize n;

  fail_unless (arcly_ts_h265_scan_annexb (au_h265, sizeof (au_h265), &au));
  fail_unless (au.aud_first && au.has_vps && au.has_sps && au.has_pps);
  fail_unless (au.has_idr, "a CRA picture is an IRAP");
  fail_unless_equals_int (au.after_aud, 7);
  fail_unless (au.vps == au_h265 + 11 && au.vps_size == 4);
  fail_unless (au.sps == au_h265 + 18 && au.sps_size == 4);
  fail_unless (au.pps == au_h265 + 26 && au.pps_size == 3);

  fail_unless (arcly_ts_h265_scan_annexb (trail, sizeof (trail), &au));
  fail_if (au.has_idr || au.aud_first || au.has_vps || au.has_sps);
  fail_unless (arcly_ts_h265_scan_annexb (sei_then_idr,
          sizeof (sei_then_idr), &au));
  fail_unless (au.has_idr && !au.aud_first, "IDR_W_RADL after an SEI");

  for (n = 0; n < sizeof (au_h265); n++) {
    guint8 *copy = g_memdup2 (au_h265, n);

    if (arcly_ts_h265_scan_annexb (copy, n, &au)) {
      fail_unless (n >= 5);
      if (au.vps)
        fail_unless (au.vps_size >= 2 && au.vps + au.vps_size <= copy + n);
      if (au.sps)
        fail_unless (au.sps_size >= 2 && au.sps + au.sps_size <= copy + n);
      if (au.pps)
        fail_unless (au.pps_size >= 2 && au.pps + au.pps_size <= copy + n);
      fail_unless (au.after_aud <= n);
      fail_unless (!au.has_idr || n >= 34);
    }
    g_free (copy);
  }
  fail_if (arcly_ts_h265_scan_annexb ((const guint8 *) "\x12\x34", 2, &au));
}

GST_END_TEST;

static Suite *
tswriter_suite (void)
{
  Suite *s = suite_create ("tswriter");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_crc32);
  tcase_add_test (tc, test_pat_matches_reference);
  tcase_add_test (tc, test_pmt);
  tcase_add_test (tc, test_pes_every_small_size);
  tcase_add_test (tc, test_pes_large_and_wrap);
  tcase_add_test (tc, test_pcr_packet);
  tcase_add_test (tc, test_h264_scan);
  tcase_add_test (tc, test_h265_scan);
  return s;
}

GST_CHECK_MAIN (tswriter);
