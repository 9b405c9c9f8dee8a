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

/**
 * SECTION:element-arclyh265depay
 * @title: arclyh265depay
 *
 * Extracts H.265 (HEVC) access units from RTP packets (RFC 7798: single NAL
 * unit packets, aggregation packets and fragmentation units) without
 * copying the payload where it can be referenced.  Outputs
 * `video/x-h265,stream-format=byte-stream,alignment=au`; IRAP pictures
 * (IDR, CRA, BLA) are keyframes, everything else is flagged DELTA_UNIT.
 * The parameter sets from the caps (`sprop-vps`, `sprop-sps`, `sprop-pps`)
 * and those seen in-band are put in front of every IRAP access unit that
 * lacks them, so decoding starts at the first keyframe and again after a
 * loss.  With `sprop-max-don-diff` > 0 the DONL/DOND fields are skipped
 * (cameras send in decoding order).
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 arclyrtspsrc location=rtsp://127.0.0.1:8554/cam ! \
 *     arclyh265depay ! avdec_h265 ! autovideosink
 * ]|
 */

/* Locking: one lock, the object lock.  It guards the property values and
 * the core while the streaming thread feeds it (so `stats` can be read from
 * any thread); it is never held across gst_pad_push or caps setting. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdlib.h>
#include <gst/rtp/gstrtpbasedepayload.h>
#include <gst/rtp/gstrtpbuffer.h>
#include <gst/pbutils/codec-utils.h>

#include "gstarclyrtspelements.h"
#include "depaylist.h"
#include "h265depaycore.h"
#include "arclyh264.h"
#include "arclyh265.h"

GST_DEBUG_CATEGORY_STATIC (arclyh265depay_debug);
GST_DEBUG_CATEGORY_STATIC (arclyh265depay_dataflow);
#define GST_CAT_DEFAULT arclyh265depay_debug

#define GST_TYPE_ARCLY_H265_DEPAY (gst_arcly_h265_depay_get_type ())
G_DECLARE_FINAL_TYPE (GstArclyH265Depay, gst_arcly_h265_depay, GST,
    ARCLY_H265_DEPAY, GstRTPBaseDepayload);

#define DEFAULT_PROP_INSERT_PARAMETER_SETS TRUE
#define DEFAULT_PROP_WAIT_FOR_KEYFRAME FALSE

enum
{
  PROP_0,
  PROP_INSERT_PARAMETER_SETS,
  PROP_WAIT_FOR_KEYFRAME,
  PROP_STATS,
};

struct _GstArclyH265Depay
{
  GstRTPBaseDepayload parent;

  /* object lock */
  gboolean insert_params;
  gboolean wait_keyframe;
  ArclyH265DepayCore *core;

  /* streaming thread only */
  ArclyDepayList list;          /* a GstBufferList's access units */
  gboolean caps_dirty;
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("application/x-rtp, media = (string) video, "
        "clock-rate = (int) 90000, encoding-name = (string) H265"));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("video/x-h265, "
        "stream-format = (string) byte-stream, alignment = (string) au"));

#define gst_arcly_h265_depay_parent_class parent_class
G_DEFINE_TYPE (GstArclyH265Depay, gst_arcly_h265_depay,
    GST_TYPE_RTP_BASE_DEPAYLOAD);
GST_ELEMENT_REGISTER_DEFINE (arclyh265depay, "arclyh265depay",
    GST_RANK_MARGINAL, GST_TYPE_ARCLY_H265_DEPAY);

static void gst_arcly_h265_depay_finalize (GObject * object);
static void gst_arcly_h265_depay_set_property (GObject * object,
    guint prop_id, const GValue * value, GParamSpec * pspec);
static void gst_arcly_h265_depay_get_property (GObject * object,
    guint prop_id, GValue * value, GParamSpec * pspec);
static GstStateChangeReturn gst_arcly_h265_depay_change_state (GstElement *
    element, GstStateChange transition);
static gboolean gst_arcly_h265_depay_set_caps (GstRTPBaseDepayload * depay,
    GstCaps * caps);
static GstBuffer *gst_arcly_h265_depay_process (GstRTPBaseDepayload * depay,
    GstRTPBuffer * rtp);
static gboolean gst_arcly_h265_depay_handle_event (GstRTPBaseDepayload *
    depay, GstEvent * event);

static void
gst_arcly_h265_depay_class_init (GstArclyH265DepayClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstRTPBaseDepayloadClass *depay_class = GST_RTP_BASE_DEPAYLOAD_CLASS (klass);

  gobject_class->finalize = gst_arcly_h265_depay_finalize;
  gobject_class->set_property = gst_arcly_h265_depay_set_property;
  gobject_class->get_property = gst_arcly_h265_depay_get_property;

  g_object_class_install_property (gobject_class, PROP_INSERT_PARAMETER_SETS,
      g_param_spec_boolean ("insert-parameter-sets", "Insert parameter sets",
          "Put the known VPS, SPS and PPS (from the caps' sprop-vps/sps/pps "
          "and in-band) in front of every IRAP access unit that lacks them, "
          "so decoding can start at any keyframe",
          DEFAULT_PROP_INSERT_PARAMETER_SETS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_WAIT_FOR_KEYFRAME,
      g_param_spec_boolean ("wait-for-keyframe", "Wait for keyframe",
          "After start-up or packet loss, drop access units until the next "
          "IRAP picture (decoders usually prefer to get them and conceal)",
          DEFAULT_PROP_WAIT_FOR_KEYFRAME,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  /* Replaces the base class "stats"; its fields are kept in ours. */
  g_object_class_install_property (gobject_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics",
          "Counters: packets, packets-dropped, gaps, aus-pushed, aus-dropped, "
          "aus-waiting, keyframes, params-inserted, bytes-out, bytes-copied "
          "(plus the RTP base depayloader's fields)",
          GST_TYPE_STRUCTURE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_set_static_metadata (element_class,
      "Arcly RTP H.265 depayloader", "Codec/Depayloader/Network/RTP",
      "Extracts H.265 access units from RTP packets (RFC 7798) without "
      "copying the payload", "gst-arcly developers");

  element_class->change_state = gst_arcly_h265_depay_change_state;
  depay_class->set_caps = gst_arcly_h265_depay_set_caps;
  depay_class->process_rtp_packet = gst_arcly_h265_depay_process;
  depay_class->handle_event = gst_arcly_h265_depay_handle_event;

  GST_DEBUG_CATEGORY_INIT (arclyh265depay_debug, "arclyh265depay", 0,
      "Arcly RTP H.265 depayloader");
  GST_DEBUG_CATEGORY_INIT (arclyh265depay_dataflow, "arclyh265depay_dataflow",
      0, "Arcly RTP H.265 depayloader, per access unit");
}

static GstFlowReturn
gst_arcly_h265_depay_chain_list (GstPad * pad, GstObject * parent,
    GstBufferList * list)
{
  GstArclyH265Depay *self = GST_ARCLY_H265_DEPAY (parent);

  return arcly_depay_list_chain (&self->list, GST_RTP_BASE_DEPAYLOAD (self),
      pad, parent, list);
}

static void
gst_arcly_h265_depay_init (GstArclyH265Depay * self)
{
  arcly_depay_list_clear (&self->list);
  gst_pad_set_chain_list_function (GST_RTP_BASE_DEPAYLOAD_SINKPAD (self),
      gst_arcly_h265_depay_chain_list);
  self->insert_params = DEFAULT_PROP_INSERT_PARAMETER_SETS;
  self->wait_keyframe = DEFAULT_PROP_WAIT_FOR_KEYFRAME;
  self->core = arcly_h265_depay_core_new ();
  arcly_h265_depay_core_set_insert_params (self->core, self->insert_params);
  arcly_h265_depay_core_set_wait_keyframe (self->core, self->wait_keyframe);
}

static void
gst_arcly_h265_depay_finalize (GObject * object)
{
  GstArclyH265Depay *self = GST_ARCLY_H265_DEPAY (object);

  arcly_h265_depay_core_free (self->core);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static GstStructure *
create_stats (GstArclyH265Depay * self)
{
  GObjectClass *pclass = G_OBJECT_CLASS (parent_class);
  GParamSpec *ppspec = g_object_class_find_property (pclass, "stats");
  GstStructure *s = gst_structure_new_empty ("arcly-h265depay-stats");
  ArclyH265DepayStats st;

  /* the base class's own fields first (seqnum, timestamp, clock-rate...) */
  if (ppspec && ppspec->owner_type != GST_TYPE_ARCLY_H265_DEPAY) {
    GValue v = G_VALUE_INIT;
    const GstStructure *ps;

    g_value_init (&v, GST_TYPE_STRUCTURE);
    pclass->get_property (G_OBJECT (self), ppspec->param_id, &v, ppspec);
    ps = gst_value_get_structure (&v);
    if (ps) {
      guint i;

      for (i = 0; i < (guint) gst_structure_n_fields (ps); i++) {
        const gchar *name = gst_structure_nth_field_name (ps, i);

        gst_structure_set_value (s, name, gst_structure_get_value (ps, name));
      }
    }
    g_value_unset (&v);
  }

  GST_OBJECT_LOCK (self);
  st = *arcly_h265_depay_core_get_stats (self->core);
  GST_OBJECT_UNLOCK (self);

  gst_structure_set (s,
      "packets", G_TYPE_UINT64, st.packets,
      "packets-dropped", G_TYPE_UINT64, st.packets_dropped,
      "gaps", G_TYPE_UINT64, st.gaps,
      "aus-pushed", G_TYPE_UINT64, st.aus_pushed,
      "aus-dropped", G_TYPE_UINT64, st.aus_dropped,
      "aus-waiting", G_TYPE_UINT64, st.aus_waiting,
      "keyframes", G_TYPE_UINT64, st.keyframes,
      "params-inserted", G_TYPE_UINT64, st.params_inserted,
      "bytes-out", G_TYPE_UINT64, st.bytes_out,
      "bytes-copied", G_TYPE_UINT64, st.bytes_copied, NULL);
  return s;
}

static void
gst_arcly_h265_depay_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstArclyH265Depay *self = GST_ARCLY_H265_DEPAY (object);

  switch (prop_id) {
    case PROP_INSERT_PARAMETER_SETS:
      GST_OBJECT_LOCK (self);
      self->insert_params = g_value_get_boolean (value);
      arcly_h265_depay_core_set_insert_params (self->core,
          self->insert_params);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_WAIT_FOR_KEYFRAME:
      GST_OBJECT_LOCK (self);
      self->wait_keyframe = g_value_get_boolean (value);
      arcly_h265_depay_core_set_wait_keyframe (self->core,
          self->wait_keyframe);
      GST_OBJECT_UNLOCK (self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_arcly_h265_depay_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstArclyH265Depay *self = GST_ARCLY_H265_DEPAY (object);

  switch (prop_id) {
    case PROP_INSERT_PARAMETER_SETS:
      GST_OBJECT_LOCK (self);
      g_value_set_boolean (value, self->insert_params);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_WAIT_FOR_KEYFRAME:
      GST_OBJECT_LOCK (self);
      g_value_set_boolean (value, self->wait_keyframe);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_STATS:
      g_value_take_boxed (value, create_stats (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
reset_core (GstArclyH265Depay * self, gboolean hard)
{
  GST_OBJECT_LOCK (self);
  arcly_h265_depay_core_reset (self->core, hard);
  GST_OBJECT_UNLOCK (self);
  arcly_depay_list_clear (&self->list);
  self->caps_dirty = TRUE;
}

static GstStateChangeReturn
gst_arcly_h265_depay_change_state (GstElement * element,
    GstStateChange transition)
{
  GstArclyH265Depay *self = GST_ARCLY_H265_DEPAY (element);
  GstStateChangeReturn ret;

  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED)
    reset_core (self, TRUE);

  ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);

  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
    reset_core (self, TRUE);
  return ret;
}

/* Adds width, height, profile, tier and level from an SPS to @caps. */
static void
caps_set_sps_fields (GstCaps * caps, GBytes * sps_bytes)
{
  gsize size, rbsp_size;
  const guint8 *data = g_bytes_get_data (sps_bytes, &size);
  ArclyH265Sps sps;
  guint8 *rbsp;

  if (!arcly_h265_parse_sps (data, size, &sps))
    return;
  gst_caps_set_simple (caps, "width", G_TYPE_INT, (gint) sps.width,
      "height", G_TYPE_INT, (gint) sps.height, NULL);
  /* profile_tier_level starts after the 2-byte header and the byte of
   * vps id / sub-layers / nesting; the helper wants it unescaped */
  rbsp = arcly_h264_unescape_rbsp (data, size, &rbsp_size);
  if (rbsp_size > 3)
    gst_codec_utils_h265_caps_set_level_tier_and_profile (caps, rbsp + 3,
        rbsp_size - 3);
  g_free (rbsp);
}

/* Sets the src caps from the current SPS. */
static gboolean
update_src_caps (GstArclyH265Depay * self)
{
  GstPad *srcpad = GST_RTP_BASE_DEPAYLOAD_SRCPAD (self);
  GstCaps *caps, *current;
  GBytes *sps_bytes;
  gboolean ok = TRUE;

  caps = gst_caps_new_simple ("video/x-h265",
      "stream-format", G_TYPE_STRING, "byte-stream",
      "alignment", G_TYPE_STRING, "au", NULL);

  GST_OBJECT_LOCK (self);
  sps_bytes = arcly_h265_depay_core_get_last_sps (self->core);
  if (sps_bytes)
    g_bytes_ref (sps_bytes);
  GST_OBJECT_UNLOCK (self);

  if (sps_bytes) {
    caps_set_sps_fields (caps, sps_bytes);
    g_bytes_unref (sps_bytes);
  }

  current = gst_pad_get_current_caps (srcpad);
  if (current == NULL || !gst_caps_is_equal (current, caps)) {
    GST_DEBUG_OBJECT (self, "src caps %" GST_PTR_FORMAT, caps);
    /* after the access units collected before the change */
    arcly_depay_list_flush (&self->list, GST_RTP_BASE_DEPAYLOAD (self));
    ok = gst_pad_set_caps (srcpad, caps);
  }
  if (current)
    gst_caps_unref (current);
  if (ok)
    self->caps_dirty = FALSE;
  gst_caps_unref (caps);
  return ok;
}

/* sprop-max-don-diff arrives as a string from SDP fmtp, or as an int. */
static gint
get_max_don_diff (const GstStructure * s)
{
  const gchar *str;
  gint v = 0;

  if (gst_structure_get_int (s, "sprop-max-don-diff", &v))
    return v;
  str = gst_structure_get_string (s, "sprop-max-don-diff");
  if (str)
    return (gint) CLAMP (g_ascii_strtoll (str, NULL, 10), 0, 32767);
  return 0;
}

static gboolean
gst_arcly_h265_depay_set_caps (GstRTPBaseDepayload * depay, GstCaps * caps)
{
  GstArclyH265Depay *self = GST_ARCLY_H265_DEPAY (depay);
  const GstStructure *s = gst_caps_get_structure (caps, 0);
  static const gchar *const sprops[] = { "sprop-vps", "sprop-sps",
    "sprop-pps"
  };
  gint max_don_diff = get_max_don_diff (s);
  guint i, n = 0;

  GST_OBJECT_LOCK (self);
  arcly_h265_depay_core_set_donl (self->core, max_don_diff > 0);
  for (i = 0; i < G_N_ELEMENTS (sprops); i++) {
    const gchar *sprop = gst_structure_get_string (s, sprops[i]);

    if (sprop)
      n += arcly_h265_depay_core_set_sprop (self->core, sprop);
  }
  GST_OBJECT_UNLOCK (self);
  GST_DEBUG_OBJECT (self, "%u parameter sets from the caps, "
      "sprop-max-don-diff %d", n, max_don_diff);

  self->caps_dirty = TRUE;
  update_src_caps (self);
  return TRUE;
}

static GstFlowReturn
push_aus (GstArclyH265Depay * self, GQueue * aus)
{
  GstRTPBaseDepayload *depay = GST_RTP_BASE_DEPAYLOAD (self);
  GstFlowReturn ret = GST_FLOW_OK;
  ArclyH265DepayAu *au;

  while ((au = g_queue_pop_head (aus))) {
    GstBuffer *buf = au->buffer;

    au->buffer = NULL;
    if (self->caps_dirty || !gst_pad_has_current_caps (depay->srcpad)) {
      if (!update_src_caps (self)) {
        GST_DEBUG_OBJECT (self, "caps refused, dropping access unit");
        gst_buffer_unref (buf);
        arcly_h265_depay_au_free (au);
        continue;
      }
    }
    if (!au->keyframe)
      GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
    if (au->discont)
      GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);

    GST_CAT_DEBUG_OBJECT (arclyh265depay_dataflow, self,
        "pushing AU pts %" GST_TIME_FORMAT " rtp-ts %u: %" G_GSIZE_FORMAT
        " bytes, %u NAL units, %s%s, bytes copied: %" G_GSIZE_FORMAT,
        GST_TIME_ARGS (au->pts), au->rtp_ts, gst_buffer_get_size (buf),
        au->n_nals, au->keyframe ? "keyframe" : "delta",
        au->params_inserted ? " (VPS/SPS/PPS inserted)" : "",
        au->bytes_copied);

    ret = arcly_depay_list_push (&self->list, depay, buf);
    arcly_h265_depay_au_free (au);
    if (ret != GST_FLOW_OK)
      break;
  }
  /* whatever is left after a flow error is dropped */
  g_queue_clear_full (aus, (GDestroyNotify) arcly_h265_depay_au_free);
  return ret;
}

static void
report_events (GstArclyH265Depay * self, guint ev, guint16 seq)
{
  if (ev & ARCLY_H265_DEPAY_EV_UNSUPPORTED)
    GST_ELEMENT_WARNING (self, STREAM, CODEC_NOT_FOUND,
        ("Unsupported H.265 RTP packetization, some frames are lost"),
        ("PACI packets (RFC 7798 section 4.4.4) are not supported and are "
            "dropped; configure the sender without PACI"));
  if (ev & ARCLY_H265_DEPAY_EV_MALFORMED)
    GST_WARNING_OBJECT (self, "malformed H.265 RTP payload in packet %u, "
        "dropped", seq);
  if (ev & ARCLY_H265_DEPAY_EV_LOSS)
    GST_DEBUG_OBJECT (self, "loss at packet %u, broken access unit dropped",
        seq);
  if (ev & ARCLY_H265_DEPAY_EV_PARAMS_CHANGED) {
    GST_DEBUG_OBJECT (self, "new VPS/SPS/PPS");
    self->caps_dirty = TRUE;
  }
}

/* Fills @pkt from @rtp without merging the payload's memories; returns
 * the memory mapped for it (to unmap after the core ran) in @map. */
static void
packet_from_rtp (GstRTPBuffer * rtp, ArclyH265DepayPacket * pkt,
    GstMapInfo * map)
{
  GstBuffer *in = rtp->buffer;
  guint hlen = gst_rtp_buffer_get_header_len (rtp);
  guint idx, n_mem = 0;
  gsize skip;

  pkt->size = gst_rtp_buffer_get_payload_len (rtp);
  if (pkt->size > 0 && !gst_buffer_find_memory (in, hlen, pkt->size, &idx,
          &n_mem, &skip))
    n_mem = 0;
  if (n_mem == 1 && gst_buffer_n_memory (in) > 1) {
    /* the payload is one memory of several (header, payload): map just
     * that one, without taking a reference */
    pkt->mem = gst_buffer_peek_memory (in, idx);
    pkt->mem_offset = skip;
    if (gst_memory_map (pkt->mem, map, GST_MAP_READ))
      pkt->data = map->data + skip;
    else
      pkt->mem = NULL;
  } else if (n_mem > 1) {
    GstMemory *first = gst_buffer_peek_memory (in, idx);
    GstMapInfo fmap;

    /* an FU split over memories (rtph265pay: payload header and FU header
     * in one memory, the fragment in the next): the core copies the
     * fragment straight from the packet instead of a merge and a copy */
    if (pkt->size > 3 && gst_memory_map (first, &fmap, GST_MAP_READ)) {
      if (fmap.size >= skip + 3 &&
          ARCLY_H265_NAL_TYPE (fmap.data[skip]) == ARCLY_H265_NAL_FU) {
        memcpy (pkt->head, fmap.data + skip, 3);
        pkt->buffer = in;
        pkt->buffer_offset = hlen;
      }
      gst_memory_unmap (first, &fmap);
    }
  }
  if (pkt->data == NULL && pkt->buffer == NULL) {
    /* one memory, or anything else (merged if need be) */
    pkt->data = gst_rtp_buffer_get_payload (rtp);
    if (n_mem == 1) {
      pkt->mem = gst_buffer_peek_memory (in, idx);
      pkt->mem_offset = skip;
    }
  }
  pkt->seq = gst_rtp_buffer_get_seq (rtp);
  pkt->rtp_ts = gst_rtp_buffer_get_timestamp (rtp);
  pkt->marker = gst_rtp_buffer_get_marker (rtp);
  pkt->discont = GST_BUFFER_IS_DISCONT (in);
  pkt->pts = GST_BUFFER_PTS (in);
}

static GstBuffer *
gst_arcly_h265_depay_process (GstRTPBaseDepayload * depay, GstRTPBuffer * rtp)
{
  GstArclyH265Depay *self = GST_ARCLY_H265_DEPAY (depay);
  ArclyH265DepayPacket pkt = { 0, };
  GQueue aus = G_QUEUE_INIT;
  GstMapInfo map = GST_MAP_INFO_INIT;
  guint ev;

  packet_from_rtp (rtp, &pkt, &map);

  GST_OBJECT_LOCK (self);
  ev = arcly_h265_depay_core_push (self->core, &pkt, &aus);
  GST_OBJECT_UNLOCK (self);
  if (map.memory)
    gst_memory_unmap (map.memory, &map);

  report_events (self, ev, pkt.seq);
  push_aus (self, &aus);
  return NULL;
}

static gboolean
gst_arcly_h265_depay_handle_event (GstRTPBaseDepayload * depay,
    GstEvent * event)
{
  GstArclyH265Depay *self = GST_ARCLY_H265_DEPAY (depay);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_FLUSH_STOP:
      reset_core (self, FALSE);
      break;
    case GST_EVENT_EOS:{
      GQueue aus = G_QUEUE_INIT;

      GST_OBJECT_LOCK (self);
      arcly_h265_depay_core_drain (self->core, &aus);
      GST_OBJECT_UNLOCK (self);
      push_aus (self, &aus);
      break;
    }
    default:
      break;
  }
  return GST_RTP_BASE_DEPAYLOAD_CLASS (parent_class)->handle_event (depay,
      event);
}
