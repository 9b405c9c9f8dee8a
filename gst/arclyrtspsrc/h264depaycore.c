/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * RTP → H.264 access units (RFC 6184), pure code: see h264depaycore.h.
 *
 * Payload structures handled (RFC 6184 §5.6–5.8):
 *
 *   NAL unit header (every payload starts with one):
 *     +---------------+
 *     |0|1|2|3|4|5|6|7|
 *     +-+-+-+-+-+-+-+-+
 *     |F|NRI|  Type   |
 *     +---------------+
 *   Type 1..23  single NAL unit packet (§5.6): the payload is the NAL unit.
 *   Type 24     STAP-A (§5.7.1): header, then repeated
 *               [16-bit NALU size][NAL unit].
 *   Type 28     FU-A (§5.8): FU indicator (F, NRI, 28), FU header
 *               |S|E|R|Type|, then a fragment of the NAL unit without its
 *               header; the header is rebuilt as F|NRI of the indicator and
 *               Type of the FU header.
 *   Types 25, 26, 27, 29 (STAP-B, MTAP16, MTAP24, FU-B) belong to the
 *   interleaved mode, which is not supported: dropped, reported once.
 *
 * Access units end at the marker bit (§5.1) or, for cameras that never set
 * it, when the RTP timestamp changes.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "h264depaycore.h"
#include "arclyh264.h"
#include "depaymem.h"

/* Bounds against hostile or broken streams: an AU or NAL unit bigger than
 * this is dropped (a 4K intra frame at very high quality stays well below). */
#define MAX_AU_SIZE (16 * 1024 * 1024)
#define MAX_AU_NALS 1024

/* Room kept in front of a reassembled FU-A NAL unit for its start code or
 * AVC length, so it goes out as one memory (no separate prefix memory, and
 * an AU of one such NAL unit is one memory: downstream maps it without
 * merging). */
#define FU_PREFIX 4

typedef struct
{
  GstMemory *mem;               /* the NAL unit, after FU_PREFIX bytes when
                                 * @prefix >= 0 */
  guint8 type;
  gint8 prefix;                 /* -1, or the ArclyH264DepayFormat whose
                                 * prefix @mem's first FU_PREFIX bytes hold */
  gsize copied;                 /* payload bytes copied to make it */
} Nal;

typedef struct
{
  GBytes *bytes;                /* NAL unit, header included */
  GstMemory *mem;               /* wraps @bytes, shared into AUs */
} ParamSet;

struct _ArclyH264DepayCore
{
  ArclyH264DepayFormat format;
  gboolean insert_params;
  gboolean wait_keyframe;

  gboolean have_seq;
  guint16 next_seq;

  /* the access unit being collected */
  GArray *nals;                 /* Nal */
  gsize au_size;
  gsize au_copied;
  gboolean au_open;
  guint32 au_ts;
  GstClockTime au_pts;
  gboolean au_broken;

  /* FU-A reassembly: each fragment is copied once, straight into one
   * memory sized from the previous fragmented NAL unit (growing it, rare,
   * copies again and is counted) */
  gboolean fu_active;
  guint8 fu_header;
  GstMemory *fu_mem;            /* mapped for writing while fu_active */
  GstMapInfo fu_map;
  gsize fu_size;                /* fragment bytes, without the header */
  gsize fu_copied;              /* extra copies made when growing */
  gsize fu_hint;                /* capacity for the next one */
  /* Assembly memories handed out in earlier AUs, kept (one reference each)
   * so that one downstream has released (refcount back to 1: nobody else
   * can reach it) is written again instead of allocating: no malloc, no
   * fresh pages to fault in, a destination still in cache. */
  ArclyDepayPool fu_pool;

  gboolean discont_pending;
  gboolean waiting_keyframe;
  gboolean warned_unsupported;

  ParamSet sps[32];
  ParamSet pps[256];
  gint last_sps_id;

  ArclyH264DepayStats stats;
};

/* ---- memories ---- */

static const guint8 start_code_bytes[4] = { 0, 0, 0, 1 };

/* A memory holding pkt->data[off .. off+size): shared when possible,
 * otherwise a copy added to *copied. */
static GstMemory *
packet_slice (const ArclyH264DepayPacket * pkt, gsize off, gsize size,
    gsize * copied)
{
  if (pkt->mem && !GST_MEMORY_FLAG_IS_SET (pkt->mem, GST_MEMORY_FLAG_NO_SHARE)) {
    GstMemory *m = gst_memory_share (pkt->mem, pkt->mem_offset + off, size);

    if (m)
      return m;
  }
  *copied += size;
  return arcly_depay_copy_to_memory (pkt->data + off, size);
}

/* ---- lifecycle ---- */

static void
param_clear (ParamSet * p)
{
  g_clear_pointer (&p->bytes, g_bytes_unref);
  if (p->mem) {
    gst_memory_unref (p->mem);
    p->mem = NULL;
  }
}

static void
fu_clear (ArclyH264DepayCore * core)
{
  if (core->fu_mem) {
    gst_memory_unmap (core->fu_mem, &core->fu_map);
    arcly_depay_pool_put (&core->fu_pool, core->fu_mem);
    core->fu_mem = NULL;
  }
  core->fu_active = FALSE;
  core->fu_size = 0;
  core->fu_copied = 0;
}

static void
au_clear (ArclyH264DepayCore * core)
{
  guint i;

  for (i = 0; i < core->nals->len; i++)
    gst_memory_unref (g_array_index (core->nals, Nal, i).mem);
  g_array_set_size (core->nals, 0);
  core->au_size = 0;
  core->au_copied = 0;
  core->au_open = FALSE;
  core->au_broken = FALSE;
  fu_clear (core);
}

ArclyH264DepayCore *
arcly_h264_depay_core_new (void)
{
  ArclyH264DepayCore *core = g_new0 (ArclyH264DepayCore, 1);

  core->nals = g_array_sized_new (FALSE, FALSE, sizeof (Nal), 16);
  core->fu_hint = 64 * 1024;
  core->format = ARCLY_H264_DEPAY_FORMAT_BYTE_STREAM;
  core->insert_params = TRUE;
  arcly_h264_depay_core_reset (core, TRUE);
  return core;
}

void
arcly_h264_depay_core_free (ArclyH264DepayCore * core)
{
  if (core == NULL)
    return;
  arcly_h264_depay_core_reset (core, TRUE);
  g_array_unref (core->nals);
  g_free (core);
}

void
arcly_h264_depay_core_reset (ArclyH264DepayCore * core, gboolean hard)
{
  au_clear (core);
  core->have_seq = FALSE;
  core->discont_pending = TRUE;
  core->waiting_keyframe = core->wait_keyframe;
  if (hard) {
    guint i;

    for (i = 0; i < G_N_ELEMENTS (core->sps); i++)
      param_clear (&core->sps[i]);
    for (i = 0; i < G_N_ELEMENTS (core->pps); i++)
      param_clear (&core->pps[i]);
    core->last_sps_id = -1;
    core->warned_unsupported = FALSE;
    arcly_depay_pool_clear (&core->fu_pool);
    memset (&core->stats, 0, sizeof (core->stats));
  }
}

void
arcly_h264_depay_core_set_format (ArclyH264DepayCore * core,
    ArclyH264DepayFormat format)
{
  core->format = format;
}

void
arcly_h264_depay_core_set_insert_params (ArclyH264DepayCore * core,
    gboolean insert)
{
  core->insert_params = insert;
}

void
arcly_h264_depay_core_set_wait_keyframe (ArclyH264DepayCore * core,
    gboolean wait)
{
  core->wait_keyframe = wait;
  if (!wait)
    core->waiting_keyframe = FALSE;
  else if (core->stats.aus_pushed == 0)
    core->waiting_keyframe = TRUE;
}

const ArclyH264DepayStats *
arcly_h264_depay_core_get_stats (ArclyH264DepayCore * core)
{
  return &core->stats;
}

void
arcly_h264_depay_au_free (ArclyH264DepayAu * au)
{
  if (au == NULL)
    return;
  gst_clear_buffer (&au->buffer);
  g_free (au);
}

/* ---- parameter sets ---- */

/* Reads pic_parameter_set_id (ue) from a PPS (§7.3.2.2).  Only the first
 * bytes matter; they are unescaped into a small stack buffer. */
static gboolean
pps_get_id (const guint8 * nal, gsize size, guint * pps_id)
{
  guint8 rbsp[8];
  gsize i, n = 0;
  guint zeros = 0, bit = 0, lz = 0;
  guint32 v = 0;

  for (i = 1; i < size && n < sizeof (rbsp); i++) {
    if (zeros >= 2 && nal[i] == 3) {
      zeros = 0;
      continue;
    }
    rbsp[n++] = nal[i];
    zeros = nal[i] == 0 ? zeros + 1 : 0;
  }
#define NEXT_BIT() ((rbsp[bit / 8] >> (7 - bit % 8)) & 1)
  while (bit < n * 8 && NEXT_BIT () == 0) {
    lz++;
    bit++;
  }
  if (bit >= n * 8 || lz > 8)
    return FALSE;
  bit++;
  if (bit + lz > n * 8)
    return FALSE;
  for (i = 0; i < lz; i++, bit++)
    v = (v << 1) | NEXT_BIT ();
#undef NEXT_BIT
  v += (1u << lz) - 1;
  if (v > 255)
    return FALSE;
  *pps_id = v;
  return TRUE;
}

static gboolean
param_store (ParamSet * p, const guint8 * nal, gsize size)
{
  if (p->bytes) {
    gsize s;
    const guint8 *d = g_bytes_get_data (p->bytes, &s);

    if (s == size && memcmp (d, nal, size) == 0)
      return FALSE;
    param_clear (p);
  }
  p->bytes = g_bytes_new (nal, size);
  p->mem = gst_memory_new_wrapped (GST_MEMORY_FLAG_READONLY,
      (gpointer) g_bytes_get_data (p->bytes, NULL), size, 0, size,
      g_bytes_ref (p->bytes), (GDestroyNotify) g_bytes_unref);
  return TRUE;
}

/* Remembers an SPS or PPS; TRUE when it is new or changed. */
static gboolean
store_param_set (ArclyH264DepayCore * core, const guint8 * nal, gsize size)
{
  guint type = ARCLY_H264_NAL_TYPE (nal[0]);

  if (type == ARCLY_H264_NAL_SPS) {
    ArclyH264Sps sps;

    if (!arcly_h264_parse_sps (nal, size, &sps))
      return FALSE;
    core->last_sps_id = sps.sps_id;
    return param_store (&core->sps[sps.sps_id], nal, size);
  } else if (type == ARCLY_H264_NAL_PPS) {
    guint id;

    if (!pps_get_id (nal, size, &id))
      return FALSE;
    return param_store (&core->pps[id], nal, size);
  }
  return FALSE;
}

typedef struct
{
  ArclyH264DepayCore *core;
  guint stored;
  gboolean changed;
} SpropCtx;

static gboolean
sprop_nal (const guint8 * nal, gsize size, gpointer user_data)
{
  SpropCtx *ctx = user_data;
  guint type = ARCLY_H264_NAL_TYPE (nal[0]);

  if (type == ARCLY_H264_NAL_SPS || type == ARCLY_H264_NAL_PPS) {
    ctx->changed |= store_param_set (ctx->core, nal, size);
    ctx->stored++;
  }
  return TRUE;
}

guint
arcly_h264_depay_core_set_sprop (ArclyH264DepayCore * core,
    const gchar * sprop)
{
  gchar **parts;
  guint i;
  SpropCtx ctx = { core, 0, FALSE };

  if (sprop == NULL)
    return 0;
  parts = g_strsplit (sprop, ",", 64);
  for (i = 0; parts[i]; i++) {
    gchar *b64 = g_strstrip (parts[i]);
    gsize len = 0;
    guchar *nal;

    /* shorter than one base64 quantum: no NAL unit (and GLib refuses
     * to decode fewer than 2 characters) */
    if (strlen (b64) < 4)
      continue;
    nal = g_base64_decode_inplace (b64, &len);
    /* Some cameras put Annex-B start codes inside the base64 blobs, or
     * several NAL units in one blob. */
    arcly_h264_foreach_annexb_nal (nal, len, TRUE, sprop_nal, &ctx);
  }
  g_strfreev (parts);
  return ctx.stored;
}

gboolean
arcly_h264_depay_core_get_params (ArclyH264DepayCore * core,
    GPtrArray * sps_list, GPtrArray * pps_list)
{
  guint i, n_sps = 0, n_pps = 0;

  for (i = 0; i < G_N_ELEMENTS (core->sps); i++) {
    if (core->sps[i].bytes) {
      n_sps++;
      if (sps_list)
        g_ptr_array_add (sps_list, g_bytes_ref (core->sps[i].bytes));
    }
  }
  for (i = 0; i < G_N_ELEMENTS (core->pps); i++) {
    if (core->pps[i].bytes) {
      n_pps++;
      if (pps_list)
        g_ptr_array_add (pps_list, g_bytes_ref (core->pps[i].bytes));
    }
  }
  return n_sps > 0 && n_pps > 0;
}

GBytes *
arcly_h264_depay_core_get_last_sps (ArclyH264DepayCore * core)
{
  if (core->last_sps_id < 0)
    return NULL;
  return core->sps[core->last_sps_id].bytes;
}

/* ---- access units ---- */

static void
au_mark_broken (ArclyH264DepayCore * core)
{
  core->au_broken = TRUE;
  fu_clear (core);
}

/* Adds one complete NAL unit (its memory is taken) to the current AU.
 * @data/@size are its bytes, readable for the duration of the call. */
static guint
au_add_nal (ArclyH264DepayCore * core, GstMemory * mem, gint prefix,
    const guint8 * data, gsize size, gsize copied)
{
  Nal nal;
  guint ev = 0;
  guint type = ARCLY_H264_NAL_TYPE (data[0]);

  if (core->au_broken) {
    gst_memory_unref (mem);
    return 0;
  }
  /* Type 0 is unspecified; 24..31 cannot appear inside an AU. */
  if (type == 0 || type >= 24) {
    gst_memory_unref (mem);
    return ARCLY_H264_DEPAY_EV_MALFORMED;
  }
  if (core->nals->len >= MAX_AU_NALS || size > MAX_AU_SIZE - core->au_size) {
    gst_memory_unref (mem);
    au_mark_broken (core);
    return ARCLY_H264_DEPAY_EV_MALFORMED;
  }
  if ((type == ARCLY_H264_NAL_SPS || type == ARCLY_H264_NAL_PPS) &&
      store_param_set (core, data, size))
    ev |= ARCLY_H264_DEPAY_EV_PARAMS_CHANGED;

  nal.mem = mem;
  nal.type = type;
  nal.prefix = prefix;
  nal.copied = copied;
  g_array_append_val (core->nals, nal);
  core->au_size += size;
  /* only bytes that end up in the AU count as copied for it */
  core->au_copied += copied;
  return ev;
}

/* Many senders repeat SPS/PPS inside one access unit: rtph264pay with
 * config-interval=-1 puts them in front of every IDR *slice* (x264 with
 * sliced threads makes several), some cameras send them after the SEI.
 * H.264 §7.4.1.2.3 makes an SPS or PPS that follows a SEI or VCL NAL unit
 * the start of a new access unit, so decoders and demuxers (FFmpeg) cut
 * such a picture in two.  Identical repeats are dropped, and the parameter
 * sets before the first VCL NAL unit are moved in front of any SEI, so
 * every AU reads AUD, SPS/PPS, SEI, slices. */
/* Size of the NAL unit itself (without an embedded prefix). */
static gsize
nal_size (const Nal * n)
{
  return gst_memory_get_sizes (n->mem, NULL, NULL) -
      (n->prefix >= 0 ? FU_PREFIX : 0);
}

static gboolean
nal_equal (const Nal * a, const Nal * b)
{
  GstMapInfo ma, mb;
  gboolean eq = FALSE;
  gsize size = nal_size (a);

  if (size != nal_size (b))
    return FALSE;
  if (gst_memory_map (a->mem, &ma, GST_MAP_READ)) {
    if (gst_memory_map (b->mem, &mb, GST_MAP_READ)) {
      eq = memcmp (ma.data + (a->prefix >= 0 ? FU_PREFIX : 0),
          mb.data + (b->prefix >= 0 ? FU_PREFIX : 0), size) == 0;
      gst_memory_unmap (b->mem, &mb);
    }
    gst_memory_unmap (a->mem, &ma);
  }
  return eq;
}

static void
au_tidy_params (ArclyH264DepayCore * core)
{
  guint i, j, first_vcl = G_MAXUINT, insert_at;

  for (i = 0; i < core->nals->len; i++) {
    Nal *n = &g_array_index (core->nals, Nal, i);
    gboolean dup = FALSE;

    if (n->type != ARCLY_H264_NAL_SPS && n->type != ARCLY_H264_NAL_PPS)
      continue;
    for (j = 0; j < i && !dup; j++) {
      Nal *m = &g_array_index (core->nals, Nal, j);

      dup = m->type == n->type && nal_equal (m, n);
    }
    if (dup) {
      /* its bytes do not end up in the AU: neither do its copies */
      core->au_size -= nal_size (n);
      core->au_copied -= n->copied;
      gst_memory_unref (n->mem);
      g_array_remove_index (core->nals, i);
      i--;
    }
  }

  for (i = 0; i < core->nals->len && first_vcl == G_MAXUINT; i++) {
    guint t = g_array_index (core->nals, Nal, i).type;

    if (t >= 1 && t <= 5)
      first_vcl = i;
  }
  if (first_vcl == G_MAXUINT)
    return;
  /* stable: AUDs, then parameter sets, then the rest of the prefix */
  insert_at = 0;
  while (insert_at < first_vcl &&
      g_array_index (core->nals, Nal, insert_at).type == ARCLY_H264_NAL_AUD)
    insert_at++;
  for (i = insert_at; i < first_vcl; i++) {
    Nal n = g_array_index (core->nals, Nal, i);

    if (n.type != ARCLY_H264_NAL_SPS && n.type != ARCLY_H264_NAL_PPS)
      continue;
    if (i != insert_at) {
      g_array_remove_index (core->nals, i);
      g_array_insert_val (core->nals, insert_at, n);
    }
    insert_at++;
  }
}

/* Inserts the known SPS/PPS an IDR access unit lacks: SPS after any
 * leading AUD, PPS after the SPS.  Returns TRUE when something was added. */
static gboolean
au_insert_params (ArclyH264DepayCore * core)
{
  gboolean has_sps = FALSE, has_pps = FALSE;
  guint i, pos = 0, n_added = 0;

  for (i = 0; i < core->nals->len; i++) {
    guint t = g_array_index (core->nals, Nal, i).type;

    has_sps |= t == ARCLY_H264_NAL_SPS;
    has_pps |= t == ARCLY_H264_NAL_PPS;
  }
  if (has_sps && has_pps)
    return FALSE;

  while (pos < core->nals->len &&
      g_array_index (core->nals, Nal, pos).type == ARCLY_H264_NAL_AUD)
    pos++;
  if (!has_sps) {
    for (i = 0; i < G_N_ELEMENTS (core->sps); i++) {
      if (core->sps[i].mem) {
        Nal n = { gst_memory_share (core->sps[i].mem, 0, -1),
          ARCLY_H264_NAL_SPS, -1, 0
        };

        g_array_insert_val (core->nals, pos, n);
        core->au_size += g_bytes_get_size (core->sps[i].bytes);
        pos++;
        n_added++;
      }
    }
  }
  if (!has_pps) {
    /* after every leading AUD/SPS */
    while (pos < core->nals->len &&
        (g_array_index (core->nals, Nal, pos).type == ARCLY_H264_NAL_AUD ||
            g_array_index (core->nals, Nal, pos).type == ARCLY_H264_NAL_SPS))
      pos++;
    for (i = 0; i < G_N_ELEMENTS (core->pps); i++) {
      if (core->pps[i].mem) {
        Nal n = { gst_memory_share (core->pps[i].mem, 0, -1),
          ARCLY_H264_NAL_PPS, -1, 0
        };

        g_array_insert_val (core->nals, pos, n);
        core->au_size += g_bytes_get_size (core->pps[i].bytes);
        pos++;
        n_added++;
      }
    }
  }
  return n_added > 0;
}

static void
write_prefix (guint8 * p, ArclyH264DepayFormat format, gsize size)
{
  if (format == ARCLY_H264_DEPAY_FORMAT_AVC) {
    /* byte by byte: @p is not aligned */
    p[0] = size >> 24;
    p[1] = size >> 16;
    p[2] = size >> 8;
    p[3] = size;
  } else {
    memcpy (p, start_code_bytes, 4);
  }
}

/* Builds the output buffer from the AU's NAL memories (taken). */
static GstBuffer *
au_build_buffer (ArclyH264DepayCore * core, gsize * copied)
{
  GstBuffer *buf = gst_buffer_new ();
  guint i, n = core->nals->len, n_mem = 0, n_bare = 0;

  for (i = 0; i < n; i++) {
    Nal *nal = &g_array_index (core->nals, Nal, i);

    if (nal->prefix >= 0 && nal->prefix != (gint) core->format) {
      /* embedded for another format (changed since): leave it out */
      GstMemory *m = gst_memory_share (nal->mem, FU_PREFIX, -1);

      gst_memory_unref (nal->mem);
      nal->mem = m;
      nal->prefix = -1;
    }
    n_bare += nal->prefix < 0;
    n_mem += nal->prefix < 0 ? 2 : 1;
  }

  if (n_mem > gst_buffer_get_max_memory ()) {
    /* More NAL units than a buffer holds memories (many slices per
     * picture): join them once rather than let GstBuffer merge. */
    gsize total = core->au_size + 4 * (gsize) n, off = 0;
    GstMemory *out = gst_allocator_alloc (NULL, total, NULL);
    GstMapInfo omap;

    if (!gst_memory_map (out, &omap, GST_MAP_WRITE)) {
      gst_memory_unref (out);
      gst_buffer_unref (buf);
      return NULL;
    }
    for (i = 0; i < n; i++) {
      Nal *nal = &g_array_index (core->nals, Nal, i);
      gsize skip = nal->prefix >= 0 ? FU_PREFIX : 0;
      GstMapInfo map;

      if (gst_memory_map (nal->mem, &map, GST_MAP_READ)) {
        write_prefix (omap.data + off, core->format, map.size - skip);
        memcpy (omap.data + off + 4, map.data + skip, map.size - skip);
        off += 4 + map.size - skip;
        gst_memory_unmap (nal->mem, &map);
      }
      gst_memory_unref (nal->mem);
    }
    gst_memory_unmap (out, &omap);
    gst_memory_resize (out, 0, off);
    *copied += core->au_size;
    gst_buffer_append_memory (buf, out);
  } else if (core->format == ARCLY_H264_DEPAY_FORMAT_AVC) {
    GstMemory *prefixes = NULL;
    GstMapInfo pmap;
    guint k = 0;

    if (n_bare > 0) {
      prefixes = gst_allocator_alloc (NULL, 4 * (gsize) n_bare, NULL);
      if (gst_memory_map (prefixes, &pmap, GST_MAP_WRITE)) {
        for (i = 0; i < n; i++) {
          Nal *nal = &g_array_index (core->nals, Nal, i);

          if (nal->prefix < 0)
            write_prefix (pmap.data + 4 * k++, core->format, nal_size (nal));
        }
        gst_memory_unmap (prefixes, &pmap);
      }
    }
    for (i = 0, k = 0; i < n; i++) {
      Nal *nal = &g_array_index (core->nals, Nal, i);

      if (nal->prefix < 0)
        gst_buffer_append_memory (buf, gst_memory_share (prefixes, 4 * k++,
                4));
      gst_buffer_append_memory (buf, nal->mem);
    }
    if (prefixes)
      gst_memory_unref (prefixes);
  } else {
    /* A start code is a small read-only memory wrapping static bytes, not
     * a share of one static memory: every share registers as a parent of
     * that one memory (a list walked and locked on each share and free,
     * from any thread holding AUs). */
    for (i = 0; i < n; i++) {
      Nal *nal = &g_array_index (core->nals, Nal, i);

      if (nal->prefix < 0)
        gst_buffer_append_memory (buf,
            gst_memory_new_wrapped (GST_MEMORY_FLAG_READONLY,
                (gpointer) start_code_bytes, 4, 0, 4, NULL, NULL));
      gst_buffer_append_memory (buf, nal->mem);
    }
  }
  /* the memories moved into the buffer */
  g_array_set_size (core->nals, 0);
  return buf;
}

/* Ends the current access unit: returns it through @out unless it is
 * broken, empty or (wait-for-keyframe) not decodable. */
static guint
au_finish (ArclyH264DepayCore * core, GQueue * out, gboolean final)
{
  gboolean keyframe = FALSE, vcl = FALSE, inserted = FALSE;
  guint i, ev = 0;
  ArclyH264DepayAu *au;
  gsize copied;

  if (!core->au_open)
    return 0;
  if (core->fu_active) {
    /* the AU ended in the middle of a fragmented NAL unit */
    au_mark_broken (core);
  }
  if (core->au_broken) {
    core->stats.aus_dropped++;
    core->discont_pending = TRUE;
    if (core->wait_keyframe)
      core->waiting_keyframe = TRUE;
    au_clear (core);
    return ARCLY_H264_DEPAY_EV_LOSS;
  }
  if (core->nals->len == 0) {
    au_clear (core);
    return 0;
  }
  for (i = 0; i < core->nals->len; i++) {
    guint t = g_array_index (core->nals, Nal, i).type;

    keyframe |= t == ARCLY_H264_NAL_IDR;
    vcl |= t >= 1 && t <= 5;
  }
  if (!vcl && !final) {
    /* Parameter sets or SEI sent on their own timestamp (some cameras):
     * keep them for the next AU instead of emitting a picture-less AU. */
    core->au_open = FALSE;
    return 0;
  }
  if (core->waiting_keyframe && !keyframe) {
    core->stats.aus_waiting++;
    au_clear (core);
    return 0;
  }
  if (core->format == ARCLY_H264_DEPAY_FORMAT_AVC &&
      !arcly_h264_depay_core_get_params (core, NULL, NULL)) {
    /* avc needs codec_data: nothing is decodable before SPS and PPS */
    core->stats.aus_waiting++;
    au_clear (core);
    return 0;
  }
  au_tidy_params (core);
  if (keyframe && core->insert_params)
    inserted = au_insert_params (core);

  au = g_new0 (ArclyH264DepayAu, 1);
  au->n_nals = core->nals->len;
  copied = core->au_copied;
  au->buffer = au_build_buffer (core, &copied);
  if (au->buffer == NULL) {
    g_free (au);
    au_clear (core);
    return ARCLY_H264_DEPAY_EV_MALFORMED;
  }
  GST_BUFFER_PTS (au->buffer) = core->au_pts;
  au->pts = core->au_pts;
  au->rtp_ts = core->au_ts;
  au->keyframe = keyframe;
  au->discont = core->discont_pending;
  au->params_inserted = inserted;
  au->bytes_copied = copied;
  core->discont_pending = FALSE;
  if (keyframe)
    core->waiting_keyframe = FALSE;

  core->stats.aus_pushed++;
  core->stats.keyframes += keyframe;
  core->stats.params_inserted += inserted;
  core->stats.bytes_out += gst_buffer_get_size (au->buffer);
  core->stats.bytes_copied += copied;
  g_queue_push_tail (out, au);
  au_clear (core);
  return ev;
}

/* ---- packets ---- */

/* Single NAL unit packet (§5.6).  Cameras sometimes send the NAL unit with
 * an Annex-B start code in front (or several NAL units with start codes):
 * a NAL unit cannot start with a zero byte, so such a payload is split at
 * its start codes instead. */
typedef struct
{
  ArclyH264DepayCore *core;
  const ArclyH264DepayPacket *pkt;
  guint ev;
} AnnexBCtx;

static gboolean
annexb_nal (const guint8 * nal, gsize size, gpointer user_data)
{
  AnnexBCtx *ctx = user_data;
  gsize copied = 0;
  GstMemory *mem = packet_slice (ctx->pkt, nal - ctx->pkt->data, size,
      &copied);

  ctx->ev |= au_add_nal (ctx->core, mem, -1, nal, size, copied);
  return TRUE;
}

static gboolean
starts_with_start_code (const ArclyH264DepayPacket * pkt)
{
  return pkt->size >= 3 && pkt->data[0] == 0 && pkt->data[1] == 0 &&
      (pkt->data[2] == 1 || (pkt->size >= 4 && pkt->data[2] == 0 &&
          pkt->data[3] == 1));
}

static guint
handle_single (ArclyH264DepayCore * core, const ArclyH264DepayPacket * pkt)
{
  if (starts_with_start_code (pkt)) {
    AnnexBCtx ctx = { core, pkt, 0 };

    arcly_h264_foreach_annexb_nal (pkt->data, pkt->size, FALSE, annexb_nal,
        &ctx);
    return ctx.ev;
  }
  {
    gsize copied = 0;
    GstMemory *mem = packet_slice (pkt, 0, pkt->size, &copied);

    return au_add_nal (core, mem, -1, pkt->data, pkt->size, copied);
  }
}

/* GST_READ_UINT16_BE may load unaligned; this does not */
static inline guint
read_u16 (const guint8 * p)
{
  return (p[0] << 8) | p[1];
}

/* STAP-A (§5.7.1): validated completely before any NAL unit is used, so a
 * corrupt packet is dropped whole. */
static guint
handle_stap_a (ArclyH264DepayCore * core, const ArclyH264DepayPacket * pkt)
{
  gsize pos = 1;
  guint n = 0, ev = 0;

  while (pos < pkt->size) {
    guint len;

    if (pkt->size - pos < 2)
      break;
    len = read_u16 (pkt->data + pos);
    if (len == 0 || pkt->size - pos - 2 < len)
      break;
    pos += 2 + len;
    n++;
  }
  if (pos != pkt->size || n == 0)
    return ARCLY_H264_DEPAY_EV_MALFORMED;

  pos = 1;
  while (pos < pkt->size) {
    guint len = read_u16 (pkt->data + pos);
    gsize copied = 0;
    GstMemory *mem = packet_slice (pkt, pos + 2, len, &copied);

    ev |= au_add_nal (core, mem, -1, pkt->data + pos + 2, len, copied);
    pos += 2 + len;
  }
  return ev;
}

/* Makes room for @more fragment bytes (plus the header byte). */
static gboolean
fu_reserve (ArclyH264DepayCore * core, gsize more)
{
  gsize need = FU_PREFIX + 1 + core->fu_size + more, cap;
  GstMemory *mem;
  GstMapInfo map;

  if (core->fu_mem && need <= core->fu_map.size)
    return TRUE;
  cap = core->fu_mem ? MAX (2 * core->fu_map.size, need) :
      MAX (core->fu_hint, need);
  cap = MIN (cap, (gsize) MAX_AU_SIZE + FU_PREFIX + 1);
  mem = core->fu_mem ? NULL : arcly_depay_pool_get (&core->fu_pool, cap);
  if (mem == NULL)
    mem = gst_allocator_alloc (NULL, cap, NULL);
  if (!gst_memory_map (mem, &map, GST_MAP_WRITE)) {
    gst_memory_unref (mem);
    return FALSE;
  }
  if (core->fu_mem) {
    memcpy (map.data + FU_PREFIX, core->fu_map.data + FU_PREFIX,
        1 + core->fu_size);
    core->fu_copied += core->fu_size;
    gst_memory_unmap (core->fu_mem, &core->fu_map);
    /* too small now: not worth keeping */
    gst_memory_unref (core->fu_mem);
  } else {
    map.data[FU_PREFIX] = core->fu_header;
  }
  core->fu_mem = mem;
  core->fu_map = map;
  return TRUE;
}

/* The end fragment arrived: the joined NAL unit goes into the AU. */
static guint
fu_complete (ArclyH264DepayCore * core)
{
  GstMemory *mem;
  gsize size = 1 + core->fu_size, copied = core->fu_copied + core->fu_size;
  guint ev;

  if (!fu_reserve (core, 0)) {
    au_mark_broken (core);
    return ARCLY_H264_DEPAY_EV_MALFORMED;
  }
  /* size the next one for the biggest recent one (slowly forgotten), with
   * some headroom: growing costs a copy */
  core->fu_hint = MIN (MAX (size + size / 4, core->fu_hint -
          core->fu_hint / 64), (gsize) MAX_AU_SIZE);
  core->fu_hint = MAX (core->fu_hint, (gsize) 2048);
  /* the prefix goes in front now: one memory in the output buffer */
  write_prefix (core->fu_map.data, core->format, size);
  mem = gst_memory_ref (core->fu_mem);
  gst_memory_resize (mem, 0, FU_PREFIX + size);
  /* au_add_nal takes (and may drop) its reference: it reads the bytes
   * while the memory is still mapped */
  ev = au_add_nal (core, gst_memory_ref (mem), core->format,
      core->fu_map.data + FU_PREFIX, size, copied);
  fu_clear (core);
  gst_memory_unref (mem);
  return ev;
}

/* FU-A (§5.8). */
static guint
handle_fu_a (ArclyH264DepayCore * core, const ArclyH264DepayPacket * pkt)
{
  const guint8 *hdr;
  guint8 fu;
  gboolean start, end;
  gsize frag_size;

  if (pkt->size < 2)
    return ARCLY_H264_DEPAY_EV_MALFORMED;
  hdr = pkt->data ? pkt->data : pkt->head;
  fu = hdr[1];
  start = (fu & 0x80) != 0;
  end = (fu & 0x40) != 0;
  frag_size = pkt->size - 2;

  if (start) {
    guint ev = 0;

    if (core->fu_active) {
      /* previous NAL unit lost its end */
      au_mark_broken (core);
      ev |= ARCLY_H264_DEPAY_EV_LOSS;
    }
    if (core->au_broken)
      return ev;
    core->fu_active = TRUE;
    core->fu_header = (hdr[0] & 0xe0) | (fu & 0x1f);
  } else if (!core->fu_active) {
    /* a fragment without its start: the NAL unit is lost */
    if (core->au_broken)
      return 0;
    au_mark_broken (core);
    return ARCLY_H264_DEPAY_EV_LOSS;
  } else if ((core->fu_header & 0x1f) != (fu & 0x1f)) {
    au_mark_broken (core);
    return ARCLY_H264_DEPAY_EV_MALFORMED;
  }

  if (frag_size > 0) {
    if (frag_size > MAX_AU_SIZE ||
        core->fu_size + core->au_size + frag_size > MAX_AU_SIZE) {
      au_mark_broken (core);
      return ARCLY_H264_DEPAY_EV_MALFORMED;
    }
    if (!fu_reserve (core, frag_size)) {
      au_mark_broken (core);
      return ARCLY_H264_DEPAY_EV_MALFORMED;
    }
    if (pkt->data) {
      memcpy (core->fu_map.data + FU_PREFIX + 1 + core->fu_size,
          pkt->data + 2, frag_size);
    } else if (!arcly_depay_buffer_copy_out (pkt->buffer,
            pkt->buffer_offset + 2,
            core->fu_map.data + FU_PREFIX + 1 + core->fu_size, frag_size)) {
      au_mark_broken (core);
      return ARCLY_H264_DEPAY_EV_MALFORMED;
    }
    core->fu_size += frag_size;
  }
  if (end)
    return fu_complete (core);
  return 0;
}

guint
arcly_h264_depay_core_push (ArclyH264DepayCore * core,
    const ArclyH264DepayPacket * pkt, GQueue * out)
{
  guint ev = 0, type;

  core->stats.packets++;

  /* Loss (sequence gap, or upstream's DISCONT after the first packet). */
  if (core->have_seq && (pkt->seq != core->next_seq || pkt->discont)) {
    core->stats.gaps++;
    ev |= ARCLY_H264_DEPAY_EV_LOSS;
    if (core->au_open) {
      /* Packets of the pending AU, or its marker packet, are gone. */
      au_mark_broken (core);
      if (pkt->rtp_ts != core->au_ts)
        ev |= au_finish (core, out, FALSE);
    }
    core->discont_pending = TRUE;
    if (core->wait_keyframe)
      core->waiting_keyframe = TRUE;
  }
  core->have_seq = TRUE;
  core->next_seq = pkt->seq + 1;

  /* A new timestamp ends the previous AU (cameras without marker bit). */
  if (core->au_open && pkt->rtp_ts != core->au_ts)
    ev |= au_finish (core, out, FALSE);

  if (!core->au_open) {
    core->au_open = TRUE;
    core->au_ts = pkt->rtp_ts;
    core->au_pts = pkt->pts;
    core->au_broken = FALSE;
  }

  if (pkt->size < 1) {
    ev |= ARCLY_H264_DEPAY_EV_MALFORMED;
    goto dropped;
  }

  type = ARCLY_H264_NAL_TYPE (pkt->data ? pkt->data[0] : pkt->head[0]);
  if (pkt->data == NULL && (type != ARCLY_H264_NAL_FU_A || pkt->size < 2 ||
          pkt->buffer == NULL)) {
    /* only FU-A may come split (see ArclyH264DepayPacket) */
    ev |= ARCLY_H264_DEPAY_EV_MALFORMED;
    goto dropped;
  }
  if (core->fu_active && type != ARCLY_H264_NAL_FU_A) {
    /* the fragmented NAL unit never got its end */
    au_mark_broken (core);
    ev |= ARCLY_H264_DEPAY_EV_LOSS;
  }

  switch (type) {
    case ARCLY_H264_NAL_STAP_A:
      ev |= handle_stap_a (core, pkt);
      break;
    case ARCLY_H264_NAL_FU_A:
      ev |= handle_fu_a (core, pkt);
      break;
    case ARCLY_H264_NAL_STAP_B:
    case ARCLY_H264_NAL_MTAP16:
    case ARCLY_H264_NAL_MTAP24:
    case ARCLY_H264_NAL_FU_B:
      /* Interleaved mode (packetization-mode=2) only: its NAL units are
       * missing from the AU, so the AU is broken. */
      if (!core->warned_unsupported) {
        core->warned_unsupported = TRUE;
        ev |= ARCLY_H264_DEPAY_EV_UNSUPPORTED;
      }
      au_mark_broken (core);
      goto dropped;
    case 0:
      /* a start code where the NAL header should be (quirk) */
      if (starts_with_start_code (pkt)) {
        ev |= handle_single (core, pkt);
        break;
      }
      ev |= ARCLY_H264_DEPAY_EV_MALFORMED;
      goto dropped;
    case 30:
    case 31:
      ev |= ARCLY_H264_DEPAY_EV_MALFORMED;
      goto dropped;
    default:
      ev |= handle_single (core, pkt);
      break;
  }
  if (ev & ARCLY_H264_DEPAY_EV_MALFORMED)
    core->stats.packets_dropped++;

  if (pkt->marker)
    ev |= au_finish (core, out, FALSE);
  return ev;

dropped:
  core->stats.packets_dropped++;
  if (pkt->marker)
    ev |= au_finish (core, out, FALSE);
  return ev;
}

void
arcly_h264_depay_core_drain (ArclyH264DepayCore * core, GQueue * out)
{
  au_finish (core, out, TRUE);
}
