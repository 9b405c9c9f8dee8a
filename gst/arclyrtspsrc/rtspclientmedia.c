/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * What arrives in the `$` frames of an RTSP session (see
 * rtspclient-private.h): only real media reaches the owner — a valid RTP
 * packet (RFC 3550 §5.1) with the SDP's payload type, from the track's
 * source — and the drops are counted per reason; RTCP sender reports feed
 * the clock mapping (rtspsync.c); receiver reports and bitrates.  Runs on
 * the thread of arcly_rtsp_client_run(); the counters are under the
 * client's lock.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "rtspclient-private.h"

#define GST_CAT_DEFAULT arcly_rtsp_client_debug

static guint
sync_tracks (ArclyRtspClient * self, ArclySyncTrack ** v)
{
  guint n = MIN (self->tracks->len, ARCLY_SYNC_MAX_ALIGNED), i;

  for (i = 0; i < n; i++)
    v[i] = &((ArclyRtspClientTrack *) g_ptr_array_index (self->tracks, i))->sync;
  return n;
}

static void
log_aligned (ArclyRtspClient * self, guint changed, gboolean use_sr)
{
  guint i;

  for (i = 0; changed && i < self->tracks->len; i++) {
    ArclyRtspClientTrack *o = g_ptr_array_index (self->tracks, i);

    if (changed & (1u << i))
      GST_DEBUG_OBJECT (self->log_obj, "track %u (%s) aligned by %"
          G_GINT64_FORMAT " ns (%s)", i, o->sdp->encoding_name, o->sync.align,
          use_sr ? "RTCP SR" : "RTP-Info");
  }
}

static void
count_drop (ArclyRtspClient * self, ArclyRtspClientTrack * t,
    ArclyRtspClientDrop why, gsize len)
{
  static const gchar *const names[] = { "not RTP", "payload type",
    "SSRC"
  };

  g_mutex_lock (&self->lock);
  t->dropped[why]++;
  g_mutex_unlock (&self->lock);
  GST_CAT_LOG_OBJECT (arcly_rtsp_client_dataflow, self->log_obj,
      "%s: dropping a frame of %" G_GSIZE_FORMAT " bytes (%s)",
      t->sdp->encoding_name, len, names[why]);
}

/* Only the track's source gets through: the SSRC SETUP announced, or the
 * one locked from the first packets (see handle_rtp()).  Another SSRC replaces the locked
 * one when it persists (a camera restart on the same connection): then the
 * sequence and clock mapping restart and the next buffer is a DISCONT. */
static gboolean
accept_ssrc (ArclyRtspClient * self, ArclyRtspClientTrack * t,
    const ArclyRtpHeader * h)
{
  if (t->ssrc_announced)
    return h->ssrc == t->remote_ssrc;
  if (h->ssrc == t->remote_ssrc) {
    t->cand_count = 0;
    return TRUE;
  }
  if (t->cand_count > 0 && h->ssrc == t->cand_ssrc
      && h->seq == (guint16) (t->cand_seq + 1))
    t->cand_count++;
  else
    t->cand_count = 1;
  t->cand_ssrc = h->ssrc;
  t->cand_seq = h->seq;
  if (t->cand_count < ARCLY_RTSP_CLIENT_SSRC_CHANGE_PACKETS)
    return FALSE;

  GST_INFO_OBJECT (self->log_obj, "%s: the source changed from SSRC %08x "
      "to %08x", t->sdp->encoding_name, t->remote_ssrc, h->ssrc);
  t->remote_ssrc = h->ssrc;
  t->cand_count = 0;
  memset (&t->seq, 0, sizeof (t->seq));
  {
    gboolean active = t->sync.active;

    arcly_sync_track_init (&t->sync, t->sdp->clock_rate);
    t->sync.active = active;
  }
  t->discont = TRUE;
  return TRUE;
}

/* A packet of @t's source: counted, and handed to the owner. */
static GstFlowReturn
deliver_rtp (ArclyRtspClient * self, ArclyRtspClientTrack * t,
    const guint8 * data, gsize len, const ArclyRtpHeader * h)
{
  gint64 ext;

  g_mutex_lock (&self->lock);
  t->packets++;
  t->bytes += len;
  g_mutex_unlock (&self->lock);
  /* only valid media counts against the stall timeout */
  self->last_data_us = g_get_monotonic_time ();

  arcly_rtp_seq_update (&t->seq, h->seq);
  ext = arcly_rtp_unwrap (&t->sync.unwrap, h->ts);

  if (t->user == NULL || self->cb.rtp == NULL)
    return GST_FLOW_OK;
  return self->cb.rtp (self, t, data, len, h, ext, self->user_data);
}

/* Without an SSRC from SETUP, the source is locked once two packets agree
 * (same SSRC, consecutive sequence numbers): the first one waits for the
 * second (back to back in a camera's burst), so random bytes that happen
 * to parse as RTP with the right payload type are never delivered. */
static GstFlowReturn
lock_source (ArclyRtspClient * self, ArclyRtspClientTrack * t,
    const guint8 * data, gsize len, const ArclyRtpHeader * h)
{
  ArclyRtpHeader ph;
  GstFlowReturn ret;
  guint8 *first;
  gsize first_len;

  if (t->pending && arcly_rtp_parse_header (t->pending, t->pending_len, &ph)
      && ph.ssrc == h->ssrc && h->seq == (guint16) (ph.seq + 1)) {
    t->ssrc_locked = TRUE;
    t->have_ssrc = TRUE;
    t->remote_ssrc = h->ssrc;
    first = g_steal_pointer (&t->pending);
    first_len = t->pending_len;
    ret = deliver_rtp (self, t, first, first_len, &ph);
    g_free (first);
    if (ret != GST_FLOW_OK)
      return ret;
    return deliver_rtp (self, t, data, len, h);
  }
  if (t->pending)
    count_drop (self, t, ARCLY_RTSP_CLIENT_DROP_SSRC, t->pending_len);
  g_free (t->pending);
  t->pending = g_memdup2 (data, len);
  t->pending_len = len;
  return GST_FLOW_OK;
}

static GstFlowReturn
handle_rtp (ArclyRtspClient * self, ArclyRtspClientTrack * t,
    const guint8 * data, gsize len)
{
  ArclyRtpHeader h;

  if (!arcly_rtp_parse_header (data, len, &h)) {
    count_drop (self, t, ARCLY_RTSP_CLIENT_DROP_INVALID, len);
    return GST_FLOW_OK;
  }
  if (h.pt != t->sdp->pt) {
    count_drop (self, t, ARCLY_RTSP_CLIENT_DROP_PAYLOAD_TYPE, len);
    return GST_FLOW_OK;
  }
  if (!t->ssrc_announced && !t->ssrc_locked)
    return lock_source (self, t, data, len, &h);
  if (!accept_ssrc (self, t, &h)) {
    count_drop (self, t, ARCLY_RTSP_CLIENT_DROP_SSRC, len);
    return GST_FLOW_OK;
  }
  return deliver_rtp (self, t, data, len, &h);
}

GstClockTime
arcly_rtsp_client_track_pts (ArclyRtspClient * self, ArclyRtspClientTrack * t,
    gint64 ext, GstClockTime now, GstClockTime last_pts)
{
  ArclySyncTrack *v[ARCLY_SYNC_MAX_ALIGNED];
  gboolean new_base;
  guint n, aligned;
  GstClockTime pts;

  n = sync_tracks (self, v);
  pts = arcly_sync_pts (&self->sync, &t->sync,
      t == g_ptr_array_index (self->tracks, 0), v, n, ext, now, last_pts,
      &new_base, &aligned);
  if (new_base)
    GST_DEBUG_OBJECT (self->log_obj, "%s: RTP time %" G_GINT64_FORMAT
        " maps to running time %" GST_TIME_FORMAT, t->sdp->encoding_name,
        ext, GST_TIME_ARGS (t->sync.base_rt));
  log_aligned (self, aligned, FALSE);
  return pts;
}

/* RTCP from the server: sender reports give the NTP ↔ RTP mapping that
 * aligns the tracks (RFC 3550 §6.4.1). */
static void
handle_rtcp (ArclyRtspClient * self, ArclyRtspClientTrack * t, const guint8 * data,
    gsize len)
{
  ArclyRtcpSr sr;

  if (!arcly_rtcp_find_sr (data, len, &sr))
    return;
  if (t == NULL) {
    guint i;

    /* on an unknown channel: find the track by SSRC */
    for (i = 0; i < self->tracks->len && t == NULL; i++) {
      ArclyRtspClientTrack *c = g_ptr_array_index (self->tracks, i);

      if (c->have_ssrc && c->remote_ssrc == sr.ssrc)
        t = c;
    }
    if (t == NULL)
      return;
  }
  /* another source's report (or random bytes that look like one) must
   * not move the clock mapping */
  if (t->have_ssrc && sr.ssrc != t->remote_ssrc)
    return;
  /* before the track is set up (no pad yet) or before its first packet */
  if (t->user == NULL || !arcly_sync_sr (&t->sync, &sr,
          g_get_monotonic_time ()))
    return;
  GST_DEBUG_OBJECT (self->log_obj, "%s: SR ntp %" G_GUINT64_FORMAT " rtp %u",
      t->sdp->encoding_name, sr.ntp, sr.rtp_ts);
  {
    ArclySyncTrack *v[ARCLY_SYNC_MAX_ALIGNED];
    guint n = sync_tracks (self, v);

    log_aligned (self, arcly_sync_align (v, n, TRUE), TRUE);
  }
}

GstFlowReturn
arcly_rtsp_client_handle_frame (ArclyRtspClient * self,
    const ArclyRtspWireMessage * m)
{
  guint i;

  for (i = 0; i < self->tracks->len; i++) {
    ArclyRtspClientTrack *t = g_ptr_array_index (self->tracks, i);

    if (m->channel == t->rtp_ch) {
      /* Some cameras send RTCP on the RTP channel: recognise it by its
       * packet type (RFC 5761 §4). */
      if (arcly_rtcp_is_rtcp (m->data, m->data_len)) {
        handle_rtcp (self, t, m->data, m->data_len);
        return GST_FLOW_OK;
      }
      return handle_rtp (self, t, m->data, m->data_len);
    }
    if (m->channel == t->rtcp_ch) {
      handle_rtcp (self, t, m->data, m->data_len);
      return GST_FLOW_OK;
    }
  }
  if (arcly_rtcp_is_rtcp (m->data, m->data_len))
    handle_rtcp (self, NULL, m->data, m->data_len);
  else
    GST_CAT_DEBUG_OBJECT (arcly_rtsp_client_dataflow, self->log_obj,
        "frame on unknown channel %u dropped", m->channel);
  return GST_FLOW_OK;
}

void
arcly_rtsp_client_send_receiver_reports (ArclyRtspClient * self)
{
  guint i;

  for (i = 0; i < self->tracks->len; i++) {
    ArclyRtspClientTrack *t = g_ptr_array_index (self->tracks, i);
    guint8 pkt[4 + 160];
    ArclyRtcpReportBlock b = { 0, };
    gsize n;
    GError *err = NULL;

    if (t->have_ssrc && t->seq.have) {
      b.ssrc = t->remote_ssrc;
      arcly_rtp_seq_fill_report (&t->seq, &b);
      arcly_sync_fill_report (&t->sync, g_get_monotonic_time (), &b);
    }
    n = arcly_rtcp_build_rr (pkt + 4, sizeof (pkt) - 4, self->our_ssrc,
        t->seq.have ? &b : NULL, "arclyrtspsrc");
    if (n == 0)
      continue;
    pkt[0] = '$';
    pkt[1] = t->rtcp_ch;
    pkt[2] = (guint8) (n >> 8);
    pkt[3] = (guint8) n;
    if (!arcly_rtsp_client_send_all (self, pkt, n + 4, &err)) {
      GST_DEBUG_OBJECT (self->log_obj, "sending RR: %s", err->message);
      g_clear_error (&err);
    }
  }
}

void
arcly_rtsp_client_update_bitrates (ArclyRtspClient * self, gint64 now)
{
  gint64 dt = now - self->last_tick_us;
  guint i;

  if (dt < G_TIME_SPAN_SECOND)
    return;
  g_mutex_lock (&self->lock);
  for (i = 0; i < self->tracks->len; i++) {
    ArclyRtspClientTrack *t = g_ptr_array_index (self->tracks, i);

    t->bitrate = (guint) MIN (G_MAXUINT, (t->bytes - t->bytes_at_tick) * 8 *
        G_TIME_SPAN_SECOND / dt);
    t->bytes_at_tick = t->bytes;
  }
  g_mutex_unlock (&self->lock);
  self->last_tick_us = now;
}
