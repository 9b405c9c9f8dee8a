/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * RTP → H.265 access units (RFC 7798), pure code: see h265depaycore.h.
 *
 * Payload structures handled (RFC 7798 §4.4):
 *
 *   Every payload starts with a payload header shaped like a NAL unit
 *   header (H.265 §7.3.1.2):
 *     +---------------+---------------+
 *     |0|1|2|3|4|5|6|7|0|1|2|3|4|5|6|7|
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *     |F|   Type    |  LayerId  | TID |
 *     +-------------+-----------------+
 *   Type 0..47  single NAL unit packet (§4.4.1): the header, [DONL (16)],
 *               the rest of the NAL unit.
 *   Type 48     aggregation packet, AP (§4.4.2): header, then
 *               [DONL (16)] [size (16)] [NAL unit], and for every further
 *               unit [DOND (8)] [size (16)] [NAL unit].
 *   Type 49     fragmentation unit, FU (§4.4.3): header, FU header
 *               |S|E|FuType (6)|, [DONL (16), start fragment only], then a
 *               fragment of the NAL unit without its header; the header is
 *               rebuilt as F, LayerId, TID of the payload header and
 *               FuType.
 *   Type 50     PACI (§4.4.4): not supported (no camera sends it),
 *               dropped, reported once.
 *   DONL/DOND only exist when sprop-max-don-diff > 0; they are skipped:
 *   a camera sends its NAL units in decoding order anyway.
 *
 * Access units end at the marker bit (§4.1) or, for cameras that never set
 * it, when the RTP timestamp changes.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "h265depaycore.h"
#include "arclyh264.h"
#include "arclyh265.h"
#include "depaymem.h"

/* Bounds against hostile or broken streams: an AU or NAL unit bigger than
 * this is dropped (an 8K intra picture at very high quality stays below). */
#define MAX_AU_SIZE (16 * 1024 * 1024)
#define MAX_AU_NALS 1024

/* Start code kept in front of a reassembled FU NAL unit, so it goes out as
 * one memory. */
#define FU_PREFIX 4

#define N_VPS 16
#define N_SPS 16
#define N_PPS 64

typedef struct
{
  GstMemory *mem;               /* the NAL unit, after FU_PREFIX bytes of
                                 * start code when @embedded */
  guint8 type;
  gboolean embedded;
  gsize copied;                 /* payload bytes copied to make it */
} Nal;

typedef struct
{
  GBytes *bytes;                /* NAL unit, header included */
  GstMemory *mem;               /* wraps @bytes, shared into AUs */
} ParamSet;

struct _ArclyH265DepayCore
{
  gboolean insert_params;
  gboolean wait_keyframe;
  gboolean donl;

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

  /* FU reassembly: each fragment is copied once, straight into one memory
   * sized from the previous fragmented NAL unit (growing it, rare, copies
   * again and is counted) */
  gboolean fu_active;
  guint8 fu_header[2];
  GstMemory *fu_mem;            /* mapped for writing while fu_active */
  GstMapInfo fu_map;
  gsize fu_size;                /* fragment bytes, without the header */
  gsize fu_copied;              /* extra copies made when growing */
  /* capacity for the next one, for IRAP and for other NAL units apart:
   * an intra picture is many times the size of the others, and one hint
   * for both would either grow (copy again) at every IRAP or hand every
   * picture an intra-sized memory */
  gsize fu_hint[2];
  ArclyDepayPool fu_pool;       /* released assembly memories */

  gboolean discont_pending;
  gboolean waiting_keyframe;
  gboolean warned_unsupported;

  ParamSet vps[N_VPS];
  ParamSet sps[N_SPS];
  ParamSet pps[N_PPS];
  gint last_sps_id;

  ArclyH265DepayStats stats;
};

static const guint8 start_code_bytes[4] = { 0, 0, 0, 1 };

/* A memory holding pkt->data[off .. off+size): shared when possible,
 * otherwise a copy added to *copied. */
static GstMemory *
packet_slice (const ArclyH265DepayPacket * pkt, gsize off, gsize size,
    gsize * copied)
{
  if (pkt->mem &&
      !GST_MEMORY_FLAG_IS_SET (pkt->mem, GST_MEMORY_FLAG_NO_SHARE)) {
    GstMemory *m = gst_memory_share (pkt->mem, pkt->mem_offset + off, size);

    if (m)
      return m;
  }
  *copied += size;
  return arcly_depay_copy_to_memory (pkt->data + off, size);
}

static inline guint
read_u16 (const guint8 * p)
{
  return (p[0] << 8) | p[1];
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
fu_clear (ArclyH265DepayCore * core)
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
au_clear (ArclyH265DepayCore * core)
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

ArclyH265DepayCore *
arcly_h265_depay_core_new (void)
{
  ArclyH265DepayCore *core = g_new0 (ArclyH265DepayCore, 1);

  core->nals = g_array_sized_new (FALSE, FALSE, sizeof (Nal), 16);
  core->fu_hint[0] = core->fu_hint[1] = 64 * 1024;
  core->insert_params = TRUE;
  arcly_h265_depay_core_reset (core, TRUE);
  return core;
}

void
arcly_h265_depay_core_free (ArclyH265DepayCore * core)
{
  if (core == NULL)
    return;
  arcly_h265_depay_core_reset (core, TRUE);
  g_array_unref (core->nals);
  g_free (core);
}

void
arcly_h265_depay_core_reset (ArclyH265DepayCore * core, gboolean hard)
{
  au_clear (core);
  core->have_seq = FALSE;
  core->discont_pending = TRUE;
  core->waiting_keyframe = core->wait_keyframe;
  if (hard) {
    guint i;

    for (i = 0; i < N_VPS; i++)
      param_clear (&core->vps[i]);
    for (i = 0; i < N_SPS; i++)
      param_clear (&core->sps[i]);
    for (i = 0; i < N_PPS; i++)
      param_clear (&core->pps[i]);
    core->last_sps_id = -1;
    core->warned_unsupported = FALSE;
    core->donl = FALSE;
    arcly_depay_pool_clear (&core->fu_pool);
    memset (&core->stats, 0, sizeof (core->stats));
  }
}

void
arcly_h265_depay_core_set_insert_params (ArclyH265DepayCore * core,
    gboolean insert)
{
  core->insert_params = insert;
}

void
arcly_h265_depay_core_set_wait_keyframe (ArclyH265DepayCore * core,
    gboolean wait)
{
  core->wait_keyframe = wait;
  if (!wait)
    core->waiting_keyframe = FALSE;
  else if (core->stats.aus_pushed == 0)
    core->waiting_keyframe = TRUE;
}

void
arcly_h265_depay_core_set_donl (ArclyH265DepayCore * core, gboolean donl)
{
  core->donl = donl;
}

const ArclyH265DepayStats *
arcly_h265_depay_core_get_stats (ArclyH265DepayCore * core)
{
  return &core->stats;
}

void
arcly_h265_depay_au_free (ArclyH265DepayAu * au)
{
  if (au == NULL)
    return;
  gst_clear_buffer (&au->buffer);
  g_free (au);
}

/* ---- parameter sets ---- */

/* Stores @nal in @p; TRUE when the content is new. */
static gboolean
param_store (ParamSet * p, const guint8 * nal, gsize size)
{
  if (p->bytes) {
    gsize old_size;
    const guint8 *old = g_bytes_get_data (p->bytes, &old_size);

    if (old_size == size && memcmp (old, nal, size) == 0)
      return FALSE;
  }
  param_clear (p);
  p->bytes = g_bytes_new (nal, size);
  p->mem = gst_memory_new_wrapped (GST_MEMORY_FLAG_READONLY,
      (gpointer) g_bytes_get_data (p->bytes, NULL), size, 0, size,
      g_bytes_ref (p->bytes), (GDestroyNotify) g_bytes_unref);
  return TRUE;
}

/* Remembers a VPS, SPS or PPS; TRUE when it is new or changed. */
static gboolean
store_param_set (ArclyH265DepayCore * core, const guint8 * nal, gsize size)
{
  guint type = ARCLY_H265_NAL_TYPE (nal[0]), id;
  ArclyH265Sps sps;

  switch (type) {
    case ARCLY_H265_NAL_VPS:
      if (!arcly_h265_parse_vps_id (nal, size, &id))
        return FALSE;
      return param_store (&core->vps[id], nal, size);
    case ARCLY_H265_NAL_SPS:
      if (!arcly_h265_parse_sps (nal, size, &sps))
        return FALSE;
      core->last_sps_id = sps.sps_id;
      return param_store (&core->sps[sps.sps_id], nal, size);
    case ARCLY_H265_NAL_PPS:
      if (!arcly_h265_parse_pps_ids (nal, size, &id, NULL))
        return FALSE;
      return param_store (&core->pps[id], nal, size);
    default:
      return FALSE;
  }
}

typedef struct
{
  ArclyH265DepayCore *core;
  guint stored;
} SpropCtx;

static gboolean
sprop_nal (const guint8 * nal, gsize size, gpointer user_data)
{
  SpropCtx *ctx = user_data;

  if (arcly_h265_nal_header_valid (nal, size)) {
    guint type = ARCLY_H265_NAL_TYPE (nal[0]);

    if (type == ARCLY_H265_NAL_VPS || type == ARCLY_H265_NAL_SPS ||
        type == ARCLY_H265_NAL_PPS) {
      store_param_set (ctx->core, nal, size);
      ctx->stored++;
    }
  }
  return TRUE;
}

guint
arcly_h265_depay_core_set_sprop (ArclyH265DepayCore * core,
    const gchar * sprop)
{
  gchar **parts;
  guint i;
  SpropCtx ctx = { core, 0 };

  if (sprop == NULL)
    return 0;
  parts = g_strsplit (sprop, ",", 64);
  for (i = 0; parts[i]; i++) {
    gchar *b64 = g_strstrip (parts[i]);
    gsize len = 0;
    guchar *nal;

    /* shorter than one base64 quantum: no NAL unit (and GLib refuses to
     * decode fewer than 2 characters) */
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

static guint
params_collect (ParamSet * set, guint n, GPtrArray * list)
{
  guint i, found = 0;

  for (i = 0; i < n; i++) {
    if (set[i].bytes) {
      found++;
      if (list)
        g_ptr_array_add (list, g_bytes_ref (set[i].bytes));
    }
  }
  return found;
}

gboolean
arcly_h265_depay_core_get_params (ArclyH265DepayCore * core,
    GPtrArray * vps_list, GPtrArray * sps_list, GPtrArray * pps_list)
{
  guint n_vps = params_collect (core->vps, N_VPS, vps_list);
  guint n_sps = params_collect (core->sps, N_SPS, sps_list);
  guint n_pps = params_collect (core->pps, N_PPS, pps_list);

  return n_vps > 0 && n_sps > 0 && n_pps > 0;
}

GBytes *
arcly_h265_depay_core_get_last_sps (ArclyH265DepayCore * core)
{
  if (core->last_sps_id < 0)
    return NULL;
  return core->sps[core->last_sps_id].bytes;
}

/* ---- access units ---- */

static void
au_mark_broken (ArclyH265DepayCore * core)
{
  core->au_broken = TRUE;
  fu_clear (core);
}

/* Adds one complete NAL unit (its memory is taken) to the current AU.
 * @data/@size are its bytes, readable for the duration of the call. */
static guint
au_add_nal (ArclyH265DepayCore * core, GstMemory * mem, gboolean embedded,
    const guint8 * data, gsize size, gsize copied)
{
  Nal nal;
  guint ev = 0, type;

  if (core->au_broken) {
    gst_memory_unref (mem);
    return 0;
  }
  /* a decoder refuses a bad header; types 48..63 are RTP structures (or
   * unspecified) and cannot sit inside an AU */
  if (!arcly_h265_nal_header_valid (data, size) ||
      ARCLY_H265_NAL_TYPE (data[0]) >= 48) {
    gst_memory_unref (mem);
    return ARCLY_H265_DEPAY_EV_MALFORMED;
  }
  type = ARCLY_H265_NAL_TYPE (data[0]);
  if (core->nals->len >= MAX_AU_NALS || size > MAX_AU_SIZE - core->au_size) {
    gst_memory_unref (mem);
    au_mark_broken (core);
    return ARCLY_H265_DEPAY_EV_MALFORMED;
  }
  if ((type == ARCLY_H265_NAL_VPS || type == ARCLY_H265_NAL_SPS ||
          type == ARCLY_H265_NAL_PPS) && store_param_set (core, data, size))
    ev |= ARCLY_H265_DEPAY_EV_PARAMS_CHANGED;

  nal.mem = mem;
  nal.type = type;
  nal.embedded = embedded;
  nal.copied = copied;
  g_array_append_val (core->nals, nal);
  core->au_size += size;
  /* only bytes that end up in the AU count as copied for it */
  core->au_copied += copied;
  return ev;
}

/* Size of the NAL unit itself (without an embedded start code). */
static gsize
nal_size (const Nal * n)
{
  return gst_memory_get_sizes (n->mem, NULL, NULL) -
      (n->embedded ? FU_PREFIX : 0);
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
      eq = memcmp (ma.data + (a->embedded ? FU_PREFIX : 0),
          mb.data + (b->embedded ? FU_PREFIX : 0), size) == 0;
      gst_memory_unmap (b->mem, &mb);
    }
    gst_memory_unmap (a->mem, &ma);
  }
  return eq;
}

static gboolean
is_param_type (guint type)
{
  return type == ARCLY_H265_NAL_VPS || type == ARCLY_H265_NAL_SPS ||
      type == ARCLY_H265_NAL_PPS;
}

/* Senders repeat VPS/SPS/PPS inside one access unit (rtph265pay with
 * config-interval=-1 puts them in front of every IRAP *slice*).  H.265
 * §7.4.2.4.4 makes a parameter set that follows a VCL NAL unit the start
 * of a new access unit, so decoders and demuxers cut such a picture in
 * two: identical repeats are dropped. */
static void
au_drop_repeated_params (ArclyH265DepayCore * core)
{
  guint i, j;

  for (i = 0; i < core->nals->len; i++) {
    Nal *n = &g_array_index (core->nals, Nal, i);
    gboolean dup = FALSE;

    if (!is_param_type (n->type))
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
}

/* Inserts the parameter sets of one kind, all known ids, at *@pos. */
static guint
au_insert_kind (ArclyH265DepayCore * core, ParamSet * set, guint n,
    guint8 type, guint * pos)
{
  guint i, added = 0;

  for (i = 0; i < n; i++) {
    if (set[i].mem) {
      Nal nal = { gst_memory_share (set[i].mem, 0, -1), type, FALSE, 0 };

      g_array_insert_val (core->nals, *pos, nal);
      core->au_size += g_bytes_get_size (set[i].bytes);
      (*pos)++;
      added++;
    }
  }
  return added;
}

/* Inserts the known VPS/SPS/PPS an IRAP access unit lacks, after any
 * leading AUD, in that order.  TRUE when something was added. */
static gboolean
au_insert_params (ArclyH265DepayCore * core)
{
  gboolean has[3] = { FALSE, FALSE, FALSE };
  guint i, pos = 0, added = 0;

  for (i = 0; i < core->nals->len; i++) {
    guint t = g_array_index (core->nals, Nal, i).type;

    if (is_param_type (t))
      has[t - ARCLY_H265_NAL_VPS] = TRUE;
  }
  if (has[0] && has[1] && has[2])
    return FALSE;

  while (pos < core->nals->len &&
      g_array_index (core->nals, Nal, pos).type == ARCLY_H265_NAL_AUD)
    pos++;
  /* The ones already there stay where they are; the missing kinds go in
   * front of everything but the AUD, VPS before SPS before PPS. */
  if (!has[0])
    added += au_insert_kind (core, core->vps, N_VPS, ARCLY_H265_NAL_VPS,
        &pos);
  if (!has[1])
    added += au_insert_kind (core, core->sps, N_SPS, ARCLY_H265_NAL_SPS,
        &pos);
  if (!has[2])
    added += au_insert_kind (core, core->pps, N_PPS, ARCLY_H265_NAL_PPS,
        &pos);
  return added > 0;
}

/* Builds the byte-stream buffer from the AU's NAL memories (taken). */
static GstBuffer *
au_build_buffer (ArclyH265DepayCore * core, gsize * copied)
{
  GstBuffer *buf = gst_buffer_new ();
  guint i, n = core->nals->len, n_mem = 0;

  for (i = 0; i < n; i++)
    n_mem += g_array_index (core->nals, Nal, i).embedded ? 1 : 2;

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
      gsize skip = nal->embedded ? FU_PREFIX : 0;
      GstMapInfo map;

      if (gst_memory_map (nal->mem, &map, GST_MAP_READ)) {
        memcpy (omap.data + off, start_code_bytes, 4);
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
  } else {
    /* A start code is a small read-only memory wrapping static bytes, not
     * a share of one static memory (see h264depaycore.c). */
    for (i = 0; i < n; i++) {
      Nal *nal = &g_array_index (core->nals, Nal, i);

      if (!nal->embedded)
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
au_finish (ArclyH265DepayCore * core, GQueue * out, gboolean final)
{
  gboolean keyframe = FALSE, vcl = FALSE, inserted = FALSE;
  ArclyH265DepayAu *au;
  gsize copied;
  guint i;

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
    return ARCLY_H265_DEPAY_EV_LOSS;
  }
  if (core->nals->len == 0) {
    au_clear (core);
    return 0;
  }
  for (i = 0; i < core->nals->len; i++) {
    guint t = g_array_index (core->nals, Nal, i).type;

    keyframe |= ARCLY_H265_IS_IRAP (t);
    vcl |= ARCLY_H265_IS_VCL (t);
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
  au_drop_repeated_params (core);
  if (keyframe && core->insert_params)
    inserted = au_insert_params (core);

  au = g_new0 (ArclyH265DepayAu, 1);
  au->n_nals = core->nals->len;
  copied = core->au_copied;
  au->buffer = au_build_buffer (core, &copied);
  if (au->buffer == NULL) {
    g_free (au);
    au_clear (core);
    return ARCLY_H265_DEPAY_EV_MALFORMED;
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
  return 0;
}

/* ---- packets ---- */

typedef struct
{
  ArclyH265DepayCore *core;
  const ArclyH265DepayPacket *pkt;
  guint ev;
} AnnexBCtx;

static gboolean
annexb_nal (const guint8 * nal, gsize size, gpointer user_data)
{
  AnnexBCtx *ctx = user_data;
  gsize copied = 0;
  GstMemory *mem = packet_slice (ctx->pkt, nal - ctx->pkt->data, size,
      &copied);

  ctx->ev |= au_add_nal (ctx->core, mem, FALSE, nal, size, copied);
  return TRUE;
}

static gboolean
starts_with_start_code (const ArclyH265DepayPacket * pkt)
{
  return pkt->size >= 3 && pkt->data[0] == 0 && pkt->data[1] == 0 &&
      (pkt->data[2] == 1 || (pkt->size >= 4 && pkt->data[2] == 0 &&
          pkt->data[3] == 1));
}

/* Single NAL unit packet (§4.4.1).  Cameras sometimes send the NAL unit
 * with an Annex-B start code in front (or several with start codes): a NAL
 * unit cannot start with a zero byte pair (TemporalId + 1 would be 0), so
 * such a payload is split at its start codes instead. */
static guint
handle_single (ArclyH265DepayCore * core, const ArclyH265DepayPacket * pkt)
{
  gsize copied = 0;
  GstMemory *mem;

  if (starts_with_start_code (pkt)) {
    AnnexBCtx ctx = { core, pkt, 0 };

    arcly_h264_foreach_annexb_nal (pkt->data, pkt->size, FALSE, annexb_nal,
        &ctx);
    return ctx.ev;
  }
  if (core->donl) {
    /* header, DONL, payload: the NAL unit is the header and the payload */
    GstMapInfo map;
    gsize size;
    guint ev;

    if (pkt->size < 5)
      return ARCLY_H265_DEPAY_EV_MALFORMED;
    size = pkt->size - 2;
    mem = gst_allocator_alloc (NULL, size, NULL);
    if (!gst_memory_map (mem, &map, GST_MAP_WRITE)) {
      gst_memory_unref (mem);
      return ARCLY_H265_DEPAY_EV_MALFORMED;
    }
    map.data[0] = pkt->data[0];
    map.data[1] = pkt->data[1];
    memcpy (map.data + 2, pkt->data + 4, size - 2);
    /* au_add_nal takes (and may drop) a reference while the bytes are
     * still mapped: ours keeps the memory alive until it is unmapped */
    ev = au_add_nal (core, gst_memory_ref (mem), FALSE, map.data, size, size);
    gst_memory_unmap (mem, &map);
    gst_memory_unref (mem);
    return ev;
  }
  mem = packet_slice (pkt, 0, pkt->size, &copied);
  return au_add_nal (core, mem, FALSE, pkt->data, pkt->size, copied);
}

/* Walks the aggregation units of an AP; calls au_add_nal for each when
 * @add.  Returns the number of units, 0 when the packet is malformed. */
static guint
ap_walk (ArclyH265DepayCore * core, const ArclyH265DepayPacket * pkt,
    gboolean add, guint * ev)
{
  gsize pos = 2;
  guint n = 0;

  while (pos < pkt->size) {
    /* DONL (16 bits) before the first unit, DOND (8) before the others */
    gsize don = core->donl ? (n == 0 ? 2 : 1) : 0;
    guint len;

    if (pkt->size - pos < don + 2)
      return 0;
    pos += don;
    len = read_u16 (pkt->data + pos);
    if (len < 2 || pkt->size - pos - 2 < len)
      return 0;
    if (add) {
      gsize copied = 0;
      GstMemory *mem = packet_slice (pkt, pos + 2, len, &copied);

      *ev |= au_add_nal (core, mem, FALSE, pkt->data + pos + 2, len, copied);
    }
    pos += 2 + len;
    n++;
  }
  return n;
}

/* Aggregation packet (§4.4.2): validated completely before any NAL unit is
 * used, so a corrupt packet is dropped whole. */
static guint
handle_ap (ArclyH265DepayCore * core, const ArclyH265DepayPacket * pkt)
{
  guint ev = 0;

  if (ap_walk (core, pkt, FALSE, &ev) == 0)
    return ARCLY_H265_DEPAY_EV_MALFORMED;
  ap_walk (core, pkt, TRUE, &ev);
  return ev;
}

static inline guint
fu_is_irap (ArclyH265DepayCore * core)
{
  return ARCLY_H265_IS_IRAP (ARCLY_H265_NAL_TYPE (core->fu_header[0])) ? 1 : 0;
}

/* Makes room for @more fragment bytes (plus the 2-byte header). */
static gboolean
fu_reserve (ArclyH265DepayCore * core, gsize more)
{
  gsize need = FU_PREFIX + 2 + core->fu_size + more, cap;
  GstMemory *mem;
  GstMapInfo map;

  if (core->fu_mem && need <= core->fu_map.size)
    return TRUE;
  cap = core->fu_mem ? MAX (2 * core->fu_map.size, need) :
      MAX (core->fu_hint[fu_is_irap (core)], need);
  cap = MIN (cap, (gsize) MAX_AU_SIZE + FU_PREFIX + 2);
  mem = core->fu_mem ? NULL : arcly_depay_pool_get (&core->fu_pool, cap);
  if (mem == NULL)
    mem = gst_allocator_alloc (NULL, cap, NULL);
  if (!gst_memory_map (mem, &map, GST_MAP_WRITE)) {
    gst_memory_unref (mem);
    return FALSE;
  }
  if (core->fu_mem) {
    memcpy (map.data + FU_PREFIX, core->fu_map.data + FU_PREFIX,
        2 + core->fu_size);
    core->fu_copied += core->fu_size;
    gst_memory_unmap (core->fu_mem, &core->fu_map);
    /* too small now: not worth keeping */
    gst_memory_unref (core->fu_mem);
  } else {
    memcpy (map.data, start_code_bytes, 4);
    map.data[FU_PREFIX] = core->fu_header[0];
    map.data[FU_PREFIX + 1] = core->fu_header[1];
  }
  core->fu_mem = mem;
  core->fu_map = map;
  return TRUE;
}

/* The end fragment arrived: the joined NAL unit goes into the AU. */
static guint
fu_complete (ArclyH265DepayCore * core)
{
  GstMemory *mem;
  gsize size = 2 + core->fu_size, copied = core->fu_copied + core->fu_size;
  gsize *hint = &core->fu_hint[fu_is_irap (core)];
  guint ev;

  if (!fu_reserve (core, 0)) {
    au_mark_broken (core);
    return ARCLY_H265_DEPAY_EV_MALFORMED;
  }
  /* size the next one for the biggest recent one (slowly forgotten), with
   * some headroom: growing costs a copy */
  *hint = MIN (MAX (size + size / 4, *hint - *hint / 64),
      (gsize) MAX_AU_SIZE);
  *hint = MAX (*hint, (gsize) 2048);
  mem = gst_memory_ref (core->fu_mem);
  gst_memory_resize (mem, 0, FU_PREFIX + size);
  /* au_add_nal takes (and may drop) its reference: it reads the bytes
   * while the memory is still mapped */
  ev = au_add_nal (core, gst_memory_ref (mem), TRUE,
      core->fu_map.data + FU_PREFIX, size, copied);
  fu_clear (core);
  gst_memory_unref (mem);
  return ev;
}

/* Checks the FU header against the reassembly state; on a start fragment
 * opens it.  Returns events; *@proceed tells whether to take the bytes. */
static guint
fu_begin (ArclyH265DepayCore * core, const guint8 * hdr, gboolean * proceed)
{
  guint8 fu = hdr[2];
  gboolean start = (fu & 0x80) != 0;
  guint fu_type = fu & 0x3f;
  guint ev = 0;

  *proceed = FALSE;
  /* S and E both set, or a type that cannot be fragmented (§4.4.3) */
  if ((start && (fu & 0x40)) || fu_type >= 48) {
    au_mark_broken (core);
    return ARCLY_H265_DEPAY_EV_MALFORMED;
  }
  if (start) {
    if (core->fu_active) {
      /* previous NAL unit lost its end */
      au_mark_broken (core);
      ev |= ARCLY_H265_DEPAY_EV_LOSS;
    }
    if (core->au_broken)
      return ev;
    core->fu_active = TRUE;
    core->fu_header[0] = (hdr[0] & 0x81) | (fu_type << 1);
    core->fu_header[1] = hdr[1];
  } else if (!core->fu_active) {
    /* a fragment without its start: the NAL unit is lost */
    if (core->au_broken)
      return 0;
    au_mark_broken (core);
    return ARCLY_H265_DEPAY_EV_LOSS;
  } else if (ARCLY_H265_NAL_TYPE (core->fu_header[0]) != fu_type ||
      core->fu_header[1] != hdr[1]) {
    au_mark_broken (core);
    return ARCLY_H265_DEPAY_EV_MALFORMED;
  }
  *proceed = TRUE;
  return ev;
}

/* Fragmentation unit (§4.4.3). */
static guint
handle_fu (ArclyH265DepayCore * core, const ArclyH265DepayPacket * pkt)
{
  const guint8 *hdr;
  gsize skip, frag_size;
  gboolean proceed;
  guint ev;

  if (pkt->size < 3) {
    if (core->fu_active)
      au_mark_broken (core);
    return ARCLY_H265_DEPAY_EV_MALFORMED;
  }
  hdr = pkt->data ? pkt->data : pkt->head;
  /* DONL only in the start fragment */
  skip = 3 + ((core->donl && (hdr[2] & 0x80)) ? 2 : 0);
  if (pkt->size < skip) {
    au_mark_broken (core);
    return ARCLY_H265_DEPAY_EV_MALFORMED;
  }
  ev = fu_begin (core, hdr, &proceed);
  if (!proceed)
    return ev;
  frag_size = pkt->size - skip;

  if (frag_size > 0) {
    if (frag_size > MAX_AU_SIZE ||
        core->fu_size + core->au_size + frag_size > MAX_AU_SIZE) {
      au_mark_broken (core);
      return ev | ARCLY_H265_DEPAY_EV_MALFORMED;
    }
    if (!fu_reserve (core, frag_size)) {
      au_mark_broken (core);
      return ev | ARCLY_H265_DEPAY_EV_MALFORMED;
    }
    if (pkt->data) {
      memcpy (core->fu_map.data + FU_PREFIX + 2 + core->fu_size,
          pkt->data + skip, frag_size);
    } else if (!arcly_depay_buffer_copy_out (pkt->buffer,
            pkt->buffer_offset + skip,
            core->fu_map.data + FU_PREFIX + 2 + core->fu_size, frag_size)) {
      au_mark_broken (core);
      return ev | ARCLY_H265_DEPAY_EV_MALFORMED;
    }
    core->fu_size += frag_size;
  }
  if (hdr[2] & 0x40)
    ev |= fu_complete (core);
  return ev;
}

/* Sequence gaps and upstream DISCONT: the pending AU is broken. */
static guint
check_loss (ArclyH265DepayCore * core, const ArclyH265DepayPacket * pkt,
    GQueue * out)
{
  guint ev = 0;

  if (core->have_seq && (pkt->seq != core->next_seq || pkt->discont)) {
    core->stats.gaps++;
    ev |= ARCLY_H265_DEPAY_EV_LOSS;
    if (core->au_open) {
      /* packets of the pending AU, or its marker packet, are gone */
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
  return ev;
}

guint
arcly_h265_depay_core_push (ArclyH265DepayCore * core,
    const ArclyH265DepayPacket * pkt, GQueue * out)
{
  guint ev, type;
  const guint8 *hdr;

  core->stats.packets++;
  ev = check_loss (core, pkt, out);

  /* A new timestamp ends the previous AU (cameras without marker bit). */
  if (core->au_open && pkt->rtp_ts != core->au_ts)
    ev |= au_finish (core, out, FALSE);

  if (!core->au_open) {
    core->au_open = TRUE;
    core->au_ts = pkt->rtp_ts;
    core->au_pts = pkt->pts;
    core->au_broken = FALSE;
  }

  if (pkt->size < 2 || (pkt->data == NULL && (pkt->buffer == NULL ||
              pkt->size < 3))) {
    ev |= ARCLY_H265_DEPAY_EV_MALFORMED;
    goto dropped;
  }
  hdr = pkt->data ? pkt->data : pkt->head;
  type = ARCLY_H265_NAL_TYPE (hdr[0]);
  if (pkt->data == NULL && type != ARCLY_H265_NAL_FU) {
    /* only FU may come split (see ArclyH265DepayPacket) */
    ev |= ARCLY_H265_DEPAY_EV_MALFORMED;
    goto dropped;
  }
  if (pkt->data && starts_with_start_code (pkt)) {
    /* a start code where the payload header should be (quirk) */
    ev |= handle_single (core, pkt);
    goto done;
  }
  if (!arcly_h265_nal_header_valid (hdr, pkt->size)) {
    ev |= ARCLY_H265_DEPAY_EV_MALFORMED;
    goto dropped;
  }
  if (core->fu_active && type != ARCLY_H265_NAL_FU) {
    /* the fragmented NAL unit never got its end */
    au_mark_broken (core);
    ev |= ARCLY_H265_DEPAY_EV_LOSS;
  }

  switch (type) {
    case ARCLY_H265_NAL_AP:
      ev |= handle_ap (core, pkt);
      break;
    case ARCLY_H265_NAL_FU:
      ev |= handle_fu (core, pkt);
      break;
    case ARCLY_H265_NAL_PACI:
      /* its NAL units are missing from the AU, so the AU is broken */
      if (!core->warned_unsupported) {
        core->warned_unsupported = TRUE;
        ev |= ARCLY_H265_DEPAY_EV_UNSUPPORTED;
      }
      au_mark_broken (core);
      goto dropped;
    default:
      if (type > ARCLY_H265_NAL_PACI) {
        /* 51..63: unspecified */
        ev |= ARCLY_H265_DEPAY_EV_MALFORMED;
        goto dropped;
      }
      ev |= handle_single (core, pkt);
      break;
  }
done:
  if (ev & ARCLY_H265_DEPAY_EV_MALFORMED)
    core->stats.packets_dropped++;
  if (pkt->marker)
    ev |= au_finish (core, out, FALSE);
  return ev;

dropped:
  core->stats.packets_dropped++;
  if (core->fu_active) {
    /* a packet of the fragmented NAL unit may be the one dropped */
    au_mark_broken (core);
  }
  if (pkt->marker)
    ev |= au_finish (core, out, FALSE);
  return ev;
}

void
arcly_h265_depay_core_drain (ArclyH265DepayCore * core, GQueue * out)
{
  au_finish (core, out, TRUE);
}
