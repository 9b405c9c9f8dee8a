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
 * SECTION:element-arclyaacdepay
 * @title: arclyaacdepay
 *
 * Extracts AAC access units from RTP packets of payload format
 * mpeg4-generic (RFC 3640, modes AAC-hbr and AAC-lbr) and outputs them as
 * raw AAC (`stream-format=raw`) with the AudioSpecificConfig from the
 * `config` fmtp parameter as `codec_data`.
 *
 * Each AU becomes its own buffer, timestamped with the packet time plus
 * its index times the frame duration (1024 or 960 samples at the core
 * rate, from the config).  Whole AUs are sub-buffers of the RTP payload
 * (no copy); an AU fragmented over packets is a buffer of several such
 * memories.  AUs that arrive wrapped in ADTS headers have them stripped.
 * MP4A-LATM (RFC 6416) is not accepted.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 arclyrtspsrc location=rtsp://127.0.0.1:8554/cam name=src \
 *     src.audio_0 ! arclyaacdepay ! avdec_aac ! audioconvert ! autoaudiosink
 * ]|
 *
 * Threading: all state is touched by the streaming thread only, except the
 * counters behind the `stats` property, which are guarded by the object
 * lock (the only lock here; never held across a push).
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include <gst/gst.h>
#include <gst/rtp/gstrtpbasedepayload.h>
#include <gst/rtp/gstrtpbuffer.h>
#include <gst/pbutils/codec-utils.h>

#include "arclyaac.h"
#include "aacdepaycore.h"
#include "gstarclyrtspelements.h"
#include "depaylist.h"

GST_DEBUG_CATEGORY_STATIC (arcly_aac_depay_debug);
GST_DEBUG_CATEGORY_STATIC (arcly_aac_depay_dataflow);
#define GST_CAT_DEFAULT arcly_aac_depay_debug

#define GST_TYPE_ARCLY_AAC_DEPAY (gst_arcly_aac_depay_get_type ())
G_DECLARE_FINAL_TYPE (GstArclyAacDepay, gst_arcly_aac_depay, GST,
    ARCLY_AAC_DEPAY, GstRTPBaseDepayload);

typedef struct
{
  guint64 packets;
  guint64 aus;
  guint64 bytes;
  guint64 fragmented_aus;
  guint64 adts_stripped;
  guint64 dropped_packets;
  guint64 dropped_aus;
  guint64 discont;
} Stats;

struct _GstArclyAacDepay
{
  GstRTPBaseDepayload parent;

  /* streaming thread only */
  ArclyAacDepayParams params;
  gint clock_rate;
  gboolean have_config;         /* codec_data known (caps or ADTS) */
  ArclyAacConfig config;
  GstClockTime frame_duration;  /* of one AU */

  ArclyAacFragState frag;
  GstBuffer *frag_buf;          /* fragments collected so far */
  GstClockTime frag_pts;
  gboolean skipping;            /* rest of an AU broken by a loss */
  guint32 skip_rtptime;
  gboolean discont;             /* mark the next output DISCONT */
  ArclyDepayList list;          /* a GstBufferList's access units */
  Stats pending;                /* this packet's counts, added to stats at
                                 * its end under one lock */

  /* object lock */
  Stats stats;
};

enum
{
  PROP_0,
  PROP_STATS,
};

G_DEFINE_TYPE (GstArclyAacDepay, gst_arcly_aac_depay,
    GST_TYPE_RTP_BASE_DEPAYLOAD);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (arclyaacdepay, "arclyaacdepay",
    GST_RANK_MARGINAL, GST_TYPE_ARCLY_AAC_DEPAY,
    GST_DEBUG_CATEGORY_INIT (arcly_aac_depay_debug, "arclyaacdepay", 0,
        "arcly AAC RTP depayloader");
    GST_DEBUG_CATEGORY_INIT (arcly_aac_depay_dataflow,
        "arclyaacdepay_dataflow", 0, "arcly AAC RTP depayloader, per buffer"));

/* Field values are case-sensitive in caps, so the encoding name is listed
 * in both spellings; mode and the fmtp keys are checked in set_caps. */
static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("application/x-rtp, "
        "media = (string) audio, "
        "clock-rate = (int) [ 1, MAX ], "
        "encoding-name = (string) { MPEG4-GENERIC, mpeg4-generic }"));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("audio/mpeg, mpegversion = (int) 4, "
        "stream-format = (string) raw"));

static void commit_stats (GstArclyAacDepay * self);

static void
arcly_aac_depay_reset (GstArclyAacDepay * self, gboolean full)
{
  /* a flushed partial AU is not counted as dropped: nothing was lost */
  arcly_aac_frag_reset (&self->frag);
  gst_clear_buffer (&self->frag_buf);
  self->skipping = FALSE;
  self->discont = TRUE;
  arcly_depay_list_clear (&self->list);
  if (full) {
    memset (&self->pending, 0, sizeof (self->pending));
    GST_OBJECT_LOCK (self);
    memset (&self->stats, 0, sizeof (self->stats));
    GST_OBJECT_UNLOCK (self);
  } else {
    commit_stats (self);
  }
}

/* --- caps ------------------------------------------------------------- */

typedef struct
{
  const gchar *name;
  const GValue *value;
} FieldLookup;

static gboolean
find_field_cb (GQuark field, const GValue * value, gpointer user_data)
{
  FieldLookup *l = user_data;

  if (g_ascii_strcasecmp (g_quark_to_string (field), l->name) == 0) {
    l->value = value;
    return FALSE;
  }
  return TRUE;
}

/* Caps made from an SDP by rtspsrc/arclyrtspsrc have lower-case keys;
 * caps typed by hand or made by other tools keep the SDP's mixed case
 * (sizeLength, indexLength, ...).  Look fields up case-insensitively. */
static const GValue *
find_field (const GstStructure * s, const gchar * name)
{
  FieldLookup l = { name, NULL };

  gst_structure_foreach (s, find_field_cb, &l);
  return l.value;
}

/* Returns a newly allocated string.  A config typed by hand without
 * (string), e.g. config=1190, parses as an integer (or, with a leading 0,
 * as a double); its decimal digits are the hex digits, re-padded to an
 * even count (a config can only start with one 0 digit). */
static gchar *
field_string (const GstStructure * s, const gchar * name)
{
  const GValue *v = find_field (s, name);
  gint64 num = -1;

  if (v == NULL)
    return NULL;
  if (G_VALUE_HOLDS_STRING (v))
    return g_value_dup_string (v);
  if (G_VALUE_HOLDS_INT (v))
    num = g_value_get_int (v);
  else if (G_VALUE_HOLDS_DOUBLE (v) && g_value_get_double (v) >= 0 &&
      g_value_get_double (v) < 1e15 &&
      g_value_get_double (v) == (gint64) g_value_get_double (v))
    num = (gint64) g_value_get_double (v);
  if (num >= 0) {
    gchar *str = g_strdup_printf ("%" G_GINT64_FORMAT, num);

    if (strlen (str) % 2) {
      gchar *padded = g_strconcat ("0", str, NULL);

      g_free (str);
      str = padded;
    }
    return str;
  }
  return NULL;
}

/* fmtp numbers arrive as strings (from SDP) or ints (from hand-made caps).
 * Returns FALSE when present but not a number in 0..G_MAXINT. */
static gboolean
field_uint (const GstStructure * s, const gchar * name, guint * out)
{
  const GValue *v = find_field (s, name);

  if (v == NULL)
    return TRUE;
  if (G_VALUE_HOLDS_INT (v)) {
    if (g_value_get_int (v) < 0)
      return FALSE;
    *out = (guint) g_value_get_int (v);
    return TRUE;
  }
  if (G_VALUE_HOLDS_UINT (v)) {
    *out = g_value_get_uint (v);
    return *out <= G_MAXINT;
  }
  if (G_VALUE_HOLDS_STRING (v)) {
    const gchar *str = g_value_get_string (v);
    guint64 n;

    if (str == NULL ||
        !g_ascii_string_to_unsigned (str, 10, 0, G_MAXINT, &n, NULL))
      return FALSE;
    *out = (guint) n;
    return TRUE;
  }
  return FALSE;
}

/* Takes @asc (the AudioSpecificConfig bytes). */
static GstCaps *
make_src_caps (GstArclyAacDepay * self, GBytes * asc)
{
  GstCaps *caps;
  guint rate, channels;

  caps = gst_caps_new_simple ("audio/mpeg", "mpegversion", G_TYPE_INT, 4,
      "stream-format", G_TYPE_STRING, "raw", NULL);
  if (asc == NULL)
    return caps;

  /* the output rate: the SBR rate when SBR is signalled */
  rate = self->config.ext_rate ? self->config.ext_rate : self->config.rate;
  channels = self->config.channels;
  gst_caps_set_simple (caps, "rate", G_TYPE_INT, (gint) rate, NULL);
  if (channels > 0)
    gst_caps_set_simple (caps, "channels", G_TYPE_INT, (gint) channels, NULL);
  {
    GstBuffer *cd = gst_buffer_new_wrapped_bytes (asc);
    gsize len;
    const guint8 *data = g_bytes_get_data (asc, &len);

    gst_caps_set_simple (caps, "codec_data", GST_TYPE_BUFFER, cd, NULL);
    gst_buffer_unref (cd);
    gst_codec_utils_aac_caps_set_level_and_profile (caps, data, (guint) len);
  }
  g_bytes_unref (asc);
  return caps;
}

static void
set_config (GstArclyAacDepay * self, const ArclyAacConfig * config)
{
  self->config = *config;
  self->have_config = TRUE;
  self->frame_duration = gst_util_uint64_scale_int (config->frame_length,
      GST_SECOND, (gint) config->rate);
}

static gboolean
gst_arcly_aac_depay_set_caps (GstRTPBaseDepayload * depay, GstCaps * caps)
{
  GstArclyAacDepay *self = GST_ARCLY_AAC_DEPAY (depay);
  GstStructure *s = gst_caps_get_structure (caps, 0);
  ArclyAacDepayParams params;
  ArclyAacDepayMode mode;
  g_autofree gchar *mode_str = NULL;
  g_autofree gchar *config_hex = NULL;
  const gchar *why = NULL;
  GBytes *asc = NULL;
  GstCaps *src_caps;
  gboolean ok;

  if (!gst_structure_get_int (s, "clock-rate", &self->clock_rate) ||
      self->clock_rate <= 0)
    goto no_clock_rate;
  depay->clock_rate = self->clock_rate;

  mode_str = field_string (s, "mode");
  mode = arcly_aac_depay_mode_from_string (mode_str);
  if (mode == ARCLY_AAC_DEPAY_MODE_UNKNOWN &&
      (mode_str != NULL || find_field (s, "sizelength") == NULL))
    goto bad_mode;

  /* the mode's defaults, overridden by whatever the fmtp gives: cameras
   * often leave indexlength / indexdeltalength out */
  arcly_aac_depay_params_init (&params, mode);
  if (!field_uint (s, "sizelength", &params.size_length) ||
      !field_uint (s, "indexlength", &params.index_length) ||
      !field_uint (s, "indexdeltalength", &params.index_delta_length) ||
      !field_uint (s, "ctsdeltalength", &params.cts_delta_length) ||
      !field_uint (s, "dtsdeltalength", &params.dts_delta_length) ||
      !field_uint (s, "randomaccessindication",
          &params.random_access_indication) ||
      !field_uint (s, "streamstateindication",
          &params.stream_state_indication) ||
      !field_uint (s, "auxiliarydatasizelength",
          &params.auxiliary_data_size_length))
    goto bad_number;
  if (!arcly_aac_depay_params_validate (&params, &why))
    goto bad_params;

  config_hex = field_string (s, "config");
  self->have_config = FALSE;
  if (config_hex != NULL) {
    ArclyAacConfig config;
    gsize len;
    const guint8 *data;

    asc = arcly_aac_config_from_hex (config_hex);
    if (asc == NULL)
      goto bad_config;
    data = g_bytes_get_data (asc, &len);
    if (!arcly_aac_parse_asc (data, len, &config)) {
      g_bytes_unref (asc);
      goto bad_config;
    }
    set_config (self, &config);
  } else {
    /* Without config= the stream can still be used if its AUs carry ADTS
     * headers: caps are completed from the first one. */
    GST_WARNING_OBJECT (self, "no config in caps, waiting for ADTS AUs");
    self->frame_duration = gst_util_uint64_scale_int (1024, GST_SECOND,
        self->clock_rate);
  }

  self->params = params;
  arcly_aac_depay_reset (self, FALSE);

  if (asc == NULL)
    return TRUE;                /* src caps come with the first ADTS AU */
  src_caps = make_src_caps (self, asc);
  GST_DEBUG_OBJECT (self, "src caps %" GST_PTR_FORMAT, src_caps);
  ok = gst_pad_set_caps (GST_RTP_BASE_DEPAYLOAD_SRCPAD (depay), src_caps);
  gst_caps_unref (src_caps);
  return ok;

no_clock_rate:
  GST_WARNING_OBJECT (self, "caps without a usable clock-rate: %"
      GST_PTR_FORMAT, caps);
  return FALSE;
bad_mode:
  GST_ELEMENT_WARNING (self, STREAM, FORMAT,
      ("Unsupported AAC RTP mode."),
      ("mode '%s' is not AAC-hbr or AAC-lbr (and no sizelength is given)",
          GST_STR_NULL (mode_str)));
  return FALSE;
bad_number:
  GST_ELEMENT_WARNING (self, STREAM, FORMAT,
      ("Invalid AAC RTP stream parameters."),
      ("an fmtp length parameter is not a number: %" GST_PTR_FORMAT, caps));
  return FALSE;
bad_params:
  GST_ELEMENT_WARNING (self, STREAM, FORMAT,
      ("Invalid AAC RTP stream parameters."), ("%s", why));
  return FALSE;
bad_config:
  GST_ELEMENT_WARNING (self, STREAM, FORMAT,
      ("Invalid AAC configuration in the stream description."),
      ("config '%s' is not a valid AudioSpecificConfig", config_hex));
  return FALSE;
}

/* Builds codec_data from the first ADTS header when caps had none. */
static gboolean
config_from_adts (GstArclyAacDepay * self, const guint8 * hdr)
{
  guint profile = (hdr[2] >> 6) + 1;
  guint rate_index = (hdr[2] >> 2) & 0xf;
  guint channels = ((hdr[2] & 1) << 2) | (hdr[3] >> 6);
  guint8 asc[2];
  ArclyAacConfig config;
  GstCaps *caps;
  gboolean ok;

  /* AudioSpecificConfig: object type 5 | rate index 4 | channels 4 | 000 */
  asc[0] = (guint8) ((profile << 3) | (rate_index >> 1));
  asc[1] = (guint8) (((rate_index & 1) << 7) | (channels << 3));
  if (!arcly_aac_parse_asc (asc, sizeof (asc), &config))
    return FALSE;
  set_config (self, &config);
  caps = make_src_caps (self, g_bytes_new (asc, sizeof (asc)));
  GST_INFO_OBJECT (self, "config from ADTS: %" GST_PTR_FORMAT, caps);
  /* after the AUs collected before it (a buffer list) */
  arcly_depay_list_flush (&self->list, GST_RTP_BASE_DEPAYLOAD (self));
  ok = gst_pad_set_caps (GST_RTP_BASE_DEPAYLOAD_SRCPAD (self), caps);
  gst_caps_unref (caps);
  return ok;
}

/* --- data ------------------------------------------------------------- */

static void
bad_packet (GstArclyAacDepay * self, const gchar * why, guint seq)
{
  guint64 n;

  GST_OBJECT_LOCK (self);
  n = ++self->stats.dropped_packets;
  GST_OBJECT_UNLOCK (self);

  /* a warning message for the 1st, 10th, 100th ... bad packet, so a
   * hostile or broken sender cannot flood the bus */
  if (n == 1 || n == 10 || n == 100 || n == 1000 || n % 10000 == 0)
    GST_ELEMENT_WARNING (self, STREAM, DECODE,
        ("Dropped invalid AAC RTP packets."),
        ("packet %u: %s (%" G_GUINT64_FORMAT " dropped so far)", seq, why, n));
  else
    GST_WARNING_OBJECT (self, "packet %u dropped: %s", seq, why);
}

static void
drop_fragments (GstArclyAacDepay * self, const gchar * why)
{
  if (!self->frag.active && self->frag_buf == NULL)
    return;
  GST_WARNING_OBJECT (self, "dropping incomplete fragmented AU: %s", why);
  self->pending.dropped_aus++;
  arcly_aac_frag_reset (&self->frag);
  gst_clear_buffer (&self->frag_buf);
  self->discont = TRUE;
}

/* The AU being reassembled cannot complete (a fragment is lost or bad):
 * drop it and ignore its remaining fragments (same RTP timestamp). */
static void
abort_fragmented_au (GstArclyAacDepay * self, const gchar * why)
{
  if (!self->frag.active)
    return;
  self->skipping = TRUE;
  self->skip_rtptime = self->frag.rtptime;
  drop_fragments (self, why);
}

/* Strips an ADTS header (@buf is ours) and completes the caps from it
 * when they were pending.  @data is the AU's first bytes when at hand
 * (whole AUs); otherwise a few are copied out: mapping a fragmented AU
 * would merge (copy) its memories. */
static void
strip_adts (GstArclyAacDepay * self, GstBuffer * buf, const guint8 * data)
{
  guint8 head[ARCLY_AAC_ADTS_HEADER_SIZE + 2];
  gsize size = gst_buffer_get_size (buf), n;
  guint skip;

  /* cheap reject first: every ADTS frame starts with 0xff */
  if (data) {
    if (data[0] != 0xff)
      return;
    n = MIN (size, sizeof (head));
    memcpy (head, data, n);
  } else {
    n = gst_buffer_extract (buf, 0, head, sizeof (head));
  }
  skip = arcly_aac_depay_adts_skip (head, n, size);
  if (skip == 0)
    return;
  if (!self->have_config)
    config_from_adts (self, head);
  self->pending.adts_stripped++;
  gst_buffer_resize (buf, skip, -1);
}

static GstClockTime
au_pts (GstArclyAacDepay * self, GstClockTime pts, const ArclyAacAu * au)
{
  if (!GST_CLOCK_TIME_IS_VALID (pts))
    return GST_CLOCK_TIME_NONE;
  if (au->has_cts) {
    /* CTS-delta (§3.2.1.1) in clock-rate units, signed */
    GstClockTime off = gst_util_uint64_scale_int (ABS ((gint64) au->cts_delta),
        GST_SECOND, self->clock_rate);

    if (au->cts_delta >= 0)
      return pts + off;
    return pts > off ? pts - off : 0;
  }
  return pts + au->index * self->frame_duration;
}

/* Stamps an AU buffer (ours) and counts it. */
static GstBuffer *
finish_au (GstArclyAacDepay * self, GstBuffer * buf, GstClockTime pts,
    const ArclyAacAu * au, const guint8 * data)
{
  GstClockTime dts = pts;

  strip_adts (self, buf, data);
  if (au && au->has_dts && GST_CLOCK_TIME_IS_VALID (pts)) {
    GstClockTime off = gst_util_uint64_scale_int (ABS ((gint64) au->dts_delta),
        GST_SECOND, self->clock_rate);

    if (au->dts_delta >= 0)
      dts = pts > off ? pts - off : 0;
    else
      dts = pts + off;
  }
  GST_BUFFER_PTS (buf) = pts;
  GST_BUFFER_DTS (buf) = dts;
  GST_BUFFER_DURATION (buf) = self->frame_duration;
  /* copied from the RTP buffer with the region; it means nothing here */
  GST_BUFFER_FLAG_UNSET (buf, GST_BUFFER_FLAG_MARKER);
  if (self->discont) {
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
    self->discont = FALSE;
  }
  GST_CAT_LOG_OBJECT (arcly_aac_depay_dataflow, self, "AU of %" G_GSIZE_FORMAT
      " bytes in %u memories, pts %" GST_TIME_FORMAT,
      gst_buffer_get_size (buf), gst_buffer_n_memory (buf),
      GST_TIME_ARGS (pts));

  self->pending.aus++;
  self->pending.bytes += gst_buffer_get_size (buf);
  return buf;
}

/* Returns the AU when this fragment completes it, NULL otherwise. */
static GstBuffer *
handle_fragment (GstArclyAacDepay * self, GstRTPBuffer * rtp,
    const ArclyAacAu * au, gboolean marker, guint32 rtptime)
{
  ArclyAacFragResult r;
  GstBuffer *part, *buf;

  if (self->skipping && rtptime == self->skip_rtptime) {
    /* the rest of an AU whose start was lost */
    GST_DEBUG_OBJECT (self, "skipping fragment of a broken AU");
    if (marker)
      self->skipping = FALSE;
    return NULL;
  }
  self->skipping = FALSE;

  if (self->frag.active && rtptime != self->frag.rtptime)
    drop_fragments (self, "a new AU started before the last one ended");

  r = arcly_aac_frag_add (&self->frag, au->au_size, au->size, rtptime, marker);
  if (r == ARCLY_AAC_FRAG_BROKEN) {
    /* counted as one dropped AU, with or without data collected */
    if (self->frag_buf == NULL) {
      self->pending.dropped_aus++;
      self->discont = TRUE;
    } else {
      drop_fragments (self, "fragment sizes do not add up to the AU-size");
    }
    if (!marker) {
      self->skipping = TRUE;
      self->skip_rtptime = rtptime;
    }
    return NULL;
  }

  part = gst_rtp_buffer_get_payload_subbuffer (rtp, au->offset, au->size);
  if (self->frag_buf == NULL) {
    self->frag_buf = part;
    self->frag_pts = au_pts (self, GST_BUFFER_PTS (rtp->buffer), au);
  } else {
    /* joins memories, copies no payload bytes */
    self->frag_buf = gst_buffer_append (self->frag_buf, part);
  }
  if (r != ARCLY_AAC_FRAG_DONE)
    return NULL;

  buf = self->frag_buf;
  self->frag_buf = NULL;
  self->pending.fragmented_aus++;
  return finish_au (self, buf, self->frag_pts, au, NULL);
}

/* Adds this packet's counts to the stats: one lock per packet. */
static void
commit_stats (GstArclyAacDepay * self)
{
  Stats *p = &self->pending;

  GST_OBJECT_LOCK (self);
  self->stats.packets += p->packets;
  self->stats.aus += p->aus;
  self->stats.bytes += p->bytes;
  self->stats.fragmented_aus += p->fragmented_aus;
  self->stats.adts_stripped += p->adts_stripped;
  self->stats.dropped_aus += p->dropped_aus;
  self->stats.discont += p->discont;
  GST_OBJECT_UNLOCK (self);
  memset (p, 0, sizeof (*p));
}

static GstBuffer *
gst_arcly_aac_depay_process (GstRTPBaseDepayload * depay, GstRTPBuffer * rtp)
{
  GstArclyAacDepay *self = GST_ARCLY_AAC_DEPAY (depay);
  ArclyAacAu aus[ARCLY_AAC_DEPAY_MAX_AUS];
  const guint8 *payload = gst_rtp_buffer_get_payload (rtp);
  guint size = gst_rtp_buffer_get_payload_len (rtp);
  gboolean marker = gst_rtp_buffer_get_marker (rtp);
  guint32 rtptime = gst_rtp_buffer_get_timestamp (rtp);
  GstClockTime pts = GST_BUFFER_PTS (rtp->buffer);
  GstBufferList *list = NULL;
  GstBuffer *out = NULL;
  ArclyAacDepayResult res;
  const gchar *why = NULL;
  guint n = 0, i;

  self->pending.packets++;
  if (GST_BUFFER_IS_DISCONT (rtp->buffer)) {
    self->pending.discont++;
    /* the AU in progress lost a fragment; skip the rest of it */
    abort_fragmented_au (self, "packet loss");
    self->discont = TRUE;
  }

  res = arcly_aac_depay_parse (&self->params, payload, size, aus,
      G_N_ELEMENTS (aus), &n, &why);
  if (res == ARCLY_AAC_DEPAY_INVALID) {
    abort_fragmented_au (self, "invalid packet");
    commit_stats (self);
    bad_packet (self, why, gst_rtp_buffer_get_seq (rtp));
    self->discont = TRUE;
    return NULL;
  }

  if (res == ARCLY_AAC_DEPAY_FRAGMENT) {
    out = handle_fragment (self, rtp, &aus[0], marker, rtptime);
  } else {
    if (self->frag.active)
      drop_fragments (self, "whole AUs arrived before the fragmented one ended");
    self->skipping = FALSE;
    /* the common case, one AU per packet, goes out without a list */
    if (n > 1)
      list = gst_buffer_list_new_sized (n);
    for (i = 0; i < n; i++) {
      GstBuffer *buf = gst_rtp_buffer_get_payload_subbuffer (rtp,
          aus[i].offset, aus[i].size);

      buf = finish_au (self, buf, au_pts (self, pts, &aus[i]), &aus[i],
          payload + aus[i].offset);
      if (list) {
        gst_buffer_list_add (list, buf);
      } else {
        out = buf;
      }
    }
  }
  commit_stats (self);

  if (out == NULL && list == NULL)
    return NULL;
  if (G_UNLIKELY (!self->have_config)) {
    /* no config= and the AUs were not ADTS: nothing tells the format */
    gst_clear_buffer (&out);
    gst_clear_buffer_list (&list);
    GST_ELEMENT_ERROR (self, STREAM, FORMAT,
        ("The AAC stream has no configuration."),
        ("caps have no config= and the AUs carry no ADTS headers"));
    return NULL;
  }
  if (list)
    arcly_depay_list_push_list (&self->list, depay, list);
  /* a single AU is returned: the base class pushes it (or it is collected
   * while a buffer list is chained in) */
  return arcly_depay_list_take (&self->list, out);
}

static gboolean
gst_arcly_aac_depay_packet_lost (GstRTPBaseDepayload * depay, GstEvent * event)
{
  GstArclyAacDepay *self = GST_ARCLY_AAC_DEPAY (depay);

  abort_fragmented_au (self, "packet lost");
  commit_stats (self);
  self->discont = TRUE;
  return GST_RTP_BASE_DEPAYLOAD_CLASS (gst_arcly_aac_depay_parent_class)
      ->packet_lost (depay, event);
}

static gboolean
gst_arcly_aac_depay_handle_event (GstRTPBaseDepayload * depay,
    GstEvent * event)
{
  GstArclyAacDepay *self = GST_ARCLY_AAC_DEPAY (depay);

  if (GST_EVENT_TYPE (event) == GST_EVENT_FLUSH_STOP)
    arcly_aac_depay_reset (self, FALSE);
  return GST_RTP_BASE_DEPAYLOAD_CLASS (gst_arcly_aac_depay_parent_class)
      ->handle_event (depay, event);
}

static GstStateChangeReturn
gst_arcly_aac_depay_change_state (GstElement * element,
    GstStateChange transition)
{
  GstArclyAacDepay *self = GST_ARCLY_AAC_DEPAY (element);
  GstStateChangeReturn ret;

  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED)
    arcly_aac_depay_reset (self, TRUE);

  ret = GST_ELEMENT_CLASS (gst_arcly_aac_depay_parent_class)->change_state
      (element, transition);

  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
    arcly_aac_depay_reset (self, FALSE);
  return ret;
}

/* --- GObject ---------------------------------------------------------- */

/* The base class has a "stats" property too (seqnum, timestamp, npt,
 * running times...); ours shadows it, so its fields are fetched through
 * its own pspec and ours appended, keeping what its users read. */
static GstStructure *
make_stats (GstArclyAacDepay * self)
{
  GObjectClass *parent = G_OBJECT_CLASS (gst_arcly_aac_depay_parent_class);
  GParamSpec *base_pspec = g_object_class_find_property (parent, "stats");
  GstStructure *st = NULL;
  Stats s;

  if (base_pspec && base_pspec->owner_type != GST_TYPE_ARCLY_AAC_DEPAY &&
      G_PARAM_SPEC_VALUE_TYPE (base_pspec) == GST_TYPE_STRUCTURE) {
    GValue v = G_VALUE_INIT;

    g_value_init (&v, GST_TYPE_STRUCTURE);
    parent->get_property (G_OBJECT (self), base_pspec->param_id, &v,
        base_pspec);
    st = g_value_dup_boxed (&v);
    g_value_unset (&v);
  }
  if (st == NULL)
    st = gst_structure_new_empty ("arcly-aacdepay-stats");
  else
    gst_structure_set_name (st, "arcly-aacdepay-stats");

  GST_OBJECT_LOCK (self);
  s = self->stats;
  GST_OBJECT_UNLOCK (self);

  gst_structure_set (st,
      "packets", G_TYPE_UINT64, s.packets,
      "aus", G_TYPE_UINT64, s.aus,
      "bytes", G_TYPE_UINT64, s.bytes,
      "fragmented-aus", G_TYPE_UINT64, s.fragmented_aus,
      "adts-stripped", G_TYPE_UINT64, s.adts_stripped,
      "dropped-packets", G_TYPE_UINT64, s.dropped_packets,
      "dropped-aus", G_TYPE_UINT64, s.dropped_aus,
      "discont", G_TYPE_UINT64, s.discont, NULL);
  return st;
}

static void
gst_arcly_aac_depay_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstArclyAacDepay *self = GST_ARCLY_AAC_DEPAY (object);

  switch (prop_id) {
    case PROP_STATS:
      g_value_take_boxed (value, make_stats (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_arcly_aac_depay_finalize (GObject * object)
{
  GstArclyAacDepay *self = GST_ARCLY_AAC_DEPAY (object);

  gst_clear_buffer (&self->frag_buf);
  G_OBJECT_CLASS (gst_arcly_aac_depay_parent_class)->finalize (object);
}

static void
gst_arcly_aac_depay_class_init (GstArclyAacDepayClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstRTPBaseDepayloadClass *depay_class = GST_RTP_BASE_DEPAYLOAD_CLASS (klass);

  gobject_class->get_property = gst_arcly_aac_depay_get_property;
  gobject_class->finalize = gst_arcly_aac_depay_finalize;

  g_object_class_install_property (gobject_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics",
          "The RTP base class statistics (seqnum, timestamp, ...) plus "
          "counters since the element went to PAUSED: packets, aus, bytes, "
          "fragmented-aus, adts-stripped, dropped-packets (invalid), "
          "dropped-aus (incomplete fragmented AUs), discont",
          GST_TYPE_STRUCTURE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "arcly AAC RTP depayloader", "Codec/Depayloader/Network/RTP",
      "Extracts AAC access units from mpeg4-generic RTP packets (RFC 3640) "
      "without copying them", "gst-arcly developers");

  element_class->change_state = gst_arcly_aac_depay_change_state;
  depay_class->set_caps = gst_arcly_aac_depay_set_caps;
  depay_class->process_rtp_packet = gst_arcly_aac_depay_process;
  depay_class->packet_lost = gst_arcly_aac_depay_packet_lost;
  depay_class->handle_event = gst_arcly_aac_depay_handle_event;
}

static GstFlowReturn
gst_arcly_aac_depay_chain_list (GstPad * pad, GstObject * parent,
    GstBufferList * list)
{
  GstArclyAacDepay *self = GST_ARCLY_AAC_DEPAY (parent);

  return arcly_depay_list_chain (&self->list, GST_RTP_BASE_DEPAYLOAD (self),
      pad, parent, list);
}

static void
gst_arcly_aac_depay_init (GstArclyAacDepay * self)
{
  arcly_depay_list_clear (&self->list);
  gst_pad_set_chain_list_function (GST_RTP_BASE_DEPAYLOAD_SINKPAD (self),
      gst_arcly_aac_depay_chain_list);
  self->clock_rate = 0;
  self->frame_duration = GST_CLOCK_TIME_NONE;
  self->frag_pts = GST_CLOCK_TIME_NONE;
  self->discont = TRUE;
}
