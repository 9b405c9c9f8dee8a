/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Shared harness of the arclyrtspsrc suites: a pipeline arclyrtspsrc →
 * fakesink per pad, probes recording what each pad received, and a bounded
 * bus loop recording errors and the element's messages.  Included by
 * elements/arclyrtspsrc.c and elements/arclyrtspsrc_quirks.c only.
 */

#ifndef __ARCLY_RTSPSRC_TEST_COMMON_H__
#define __ARCLY_RTSPSRC_TEST_COMMON_H__

#include <gst/check/gstcheck.h>
#include <string.h>

#include "arcly-testcam-helper.h"

/* not every suite uses every helper */
#pragma GCC diagnostic ignored "-Wunused-function"

#define OFFSETS_KEPT 64

typedef struct
{
  gchar *name;
  gboolean video;
  gchar *caps;
  guint buffers;
  guint lists;                  /* buffer lists (buffer-lists=true) */
  guint singles;                /* buffers pushed on their own */
  guint disconts;
  guint backwards;              /* PTS decreasing */
  guint no_pts;
  guint rtcp_like;              /* buffers that are RTCP, not RTP */
  guint32 last_ssrc;            /* RTP SSRC of the last buffer */
  guint ssrc_changes;           /* buffers whose SSRC differs from the last */
  guint ssrc_change_disconts;   /* ... of them flagged DISCONT */
  guint pt_mask[4];             /* payload types seen (bit per PT) */
  GstClockTime first_pts, last_pts;
  /* pts - running time at arrival, of the last OFFSETS_KEPT buffers */
  gint64 offsets[OFFSETS_KEPT];
  guint n_offsets;
  guint buffers_at_mark;
} PadRecord;

typedef struct
{
  GMutex lock;
  GstElement *pipe;
  GstElement *src;
  GstBus *bus;
  GPtrArray *pads;              /* PadRecord */
  guint connected;
  guint reconnecting;
  guint no_more_pads;
  GstMessage *error;            /* first error */
  gboolean eos;
  GString *messages;            /* every element message, as text */
  GString *warnings;            /* every WARNING: "text | debug" lines */
  guint n_warnings;
} Ctx;

static void
pad_record_free (PadRecord * r)
{
  g_free (r->name);
  g_free (r->caps);
  g_free (r);
}

/* (ctx->lock) */
static void
record_buffer (PadRecord * r, GstBuffer * buf, GstClockTime now)
{
  GstClockTime pts = GST_BUFFER_PTS (buf);

  r->buffers++;
  if (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DISCONT))
    r->disconts++;
  {
    guint8 b[12] = { 0, };

    if (gst_buffer_extract (buf, 0, b, 2) == 2 && b[1] >= 200 && b[1] <= 204)
      r->rtcp_like++;
    if (gst_buffer_extract (buf, 0, b, 12) == 12) {
      guint32 ssrc = GST_READ_UINT32_BE (b + 8);

      if (r->buffers > 1 && ssrc != r->last_ssrc) {
        r->ssrc_changes++;
        if (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DISCONT))
          r->ssrc_change_disconts++;
      }
      r->last_ssrc = ssrc;
      r->pt_mask[(b[1] & 0x7f) / 32] |= 1u << ((b[1] & 0x7f) % 32);
    }
  }
  if (!GST_CLOCK_TIME_IS_VALID (pts)) {
    r->no_pts++;
  } else {
    if (GST_CLOCK_TIME_IS_VALID (r->last_pts) && pts < r->last_pts)
      r->backwards++;
    if (!GST_CLOCK_TIME_IS_VALID (r->first_pts))
      r->first_pts = pts;
    r->last_pts = pts;
    if (GST_CLOCK_TIME_IS_VALID (now))
      r->offsets[r->n_offsets++ % OFFSETS_KEPT] = (gint64) pts - (gint64) now;
  }
}

static GstPadProbeReturn
record_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Ctx *ctx = user_data;
  PadRecord *r = g_object_get_data (G_OBJECT (pad), "record");
  GstClock *clock = gst_element_get_clock (ctx->pipe);
  GstClockTime now = GST_CLOCK_TIME_NONE;

  if (clock) {
    now = gst_clock_get_time (clock) - gst_element_get_base_time (ctx->pipe);
    gst_object_unref (clock);
  }
  g_mutex_lock (&ctx->lock);
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
    GstBufferList *list = GST_PAD_PROBE_INFO_BUFFER_LIST (info);
    guint i;

    r->lists++;
    for (i = 0; i < gst_buffer_list_length (list); i++)
      record_buffer (r, gst_buffer_list_get (list, i), now);
  } else {
    r->singles++;
    record_buffer (r, GST_PAD_PROBE_INFO_BUFFER (info), now);
  }
  g_mutex_unlock (&ctx->lock);
  return GST_PAD_PROBE_OK;
}

static void
on_pad_added (GstElement * src, GstPad * pad, gpointer user_data)
{
  Ctx *ctx = user_data;
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);
  GstPad *sinkpad;
  PadRecord *r = g_new0 (PadRecord, 1);

  r->name = gst_pad_get_name (pad);
  r->video = g_str_has_prefix (r->name, "video_");
  r->first_pts = r->last_pts = GST_CLOCK_TIME_NONE;
  g_mutex_lock (&ctx->lock);
  g_ptr_array_add (ctx->pads, r);
  g_mutex_unlock (&ctx->lock);

  g_object_set (sink, "async", FALSE, "sync", FALSE, NULL);
  gst_bin_add (GST_BIN (ctx->pipe), sink);
  gst_element_sync_state_with_parent (sink);
  sinkpad = gst_element_get_static_pad (sink, "sink");
  g_object_set_data (G_OBJECT (sinkpad), "record", r);
  gst_pad_add_probe (sinkpad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_BUFFER_LIST, record_probe, ctx, NULL);
  fail_unless_equals_int (gst_pad_link (pad, sinkpad), GST_PAD_LINK_OK);
  gst_object_unref (sinkpad);
}

static void
on_no_more_pads (GstElement * src, gpointer user_data)
{
  Ctx *ctx = user_data;

  g_mutex_lock (&ctx->lock);
  ctx->no_more_pads++;
  g_mutex_unlock (&ctx->lock);
}

static Ctx *
ctx_new (const gchar * url)
{
  Ctx *ctx = g_new0 (Ctx, 1);

  g_mutex_init (&ctx->lock);
  ctx->pads = g_ptr_array_new_with_free_func ((GDestroyNotify)
      pad_record_free);
  ctx->messages = g_string_new (NULL);
  ctx->warnings = g_string_new (NULL);
  ctx->pipe = gst_pipeline_new (NULL);
  ctx->src = gst_element_factory_make ("arclyrtspsrc", NULL);
  fail_unless (ctx->src != NULL, "arclyrtspsrc is not registered");
  g_object_set (ctx->src, "location", url, NULL);
  g_signal_connect (ctx->src, "pad-added", G_CALLBACK (on_pad_added), ctx);
  g_signal_connect (ctx->src, "no-more-pads", G_CALLBACK (on_no_more_pads),
      ctx);
  gst_bin_add (GST_BIN (ctx->pipe), ctx->src);
  ctx->bus = gst_element_get_bus (ctx->pipe);
  return ctx;
}

/* Sets NULL and returns how long it took (µs). */
static gint64
ctx_stop (Ctx * ctx)
{
  gint64 t0 = g_get_monotonic_time ();

  gst_element_set_state (ctx->pipe, GST_STATE_NULL);
  return g_get_monotonic_time () - t0;
}

static void
ctx_free (Ctx * ctx)
{
  ctx_stop (ctx);
  gst_object_unref (ctx->bus);
  gst_object_unref (ctx->pipe);
  if (ctx->error)
    gst_message_unref (ctx->error);
  g_ptr_array_unref (ctx->pads);
  g_string_free (ctx->messages, TRUE);
  g_string_free (ctx->warnings, TRUE);
  g_mutex_clear (&ctx->lock);
  g_free (ctx);
}

static void
ctx_handle (Ctx * ctx, GstMessage * m)
{
  switch (GST_MESSAGE_TYPE (m)) {
    case GST_MESSAGE_ERROR:
      if (ctx->error == NULL)
        ctx->error = gst_message_ref (m);
      break;
    case GST_MESSAGE_EOS:
      ctx->eos = TRUE;
      break;
    case GST_MESSAGE_WARNING:{
      GError *e = NULL;
      gchar *dbg = NULL;

      gst_message_parse_warning (m, &e, &dbg);
      g_string_append_printf (ctx->warnings, "%s | %s\n", e->message,
          dbg ? dbg : "");
      ctx->n_warnings++;
      g_error_free (e);
      g_free (dbg);
      break;
    }
    case GST_MESSAGE_ELEMENT:{
      const GstStructure *s = gst_message_get_structure (m);
      gchar *str = gst_structure_to_string (s);

      g_string_append_printf (ctx->messages, "%s\n", str);
      g_free (str);
      if (gst_structure_has_name (s, "arcly-rtsp-connected"))
        ctx->connected++;
      else if (gst_structure_has_name (s, "arcly-rtsp-reconnecting"))
        ctx->reconnecting++;
      break;
    }
    default:
      break;
  }
}

typedef gboolean (*CtxCond) (Ctx * ctx, gpointer data);

/* Pumps the bus until @cond holds (checked with ctx->lock held), an error
 * arrives (unless @allow_error) or @timeout_ms passes.  TRUE if @cond. */
static gboolean
ctx_run_until (Ctx * ctx, CtxCond cond, gpointer data, guint timeout_ms,
    gboolean allow_error)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (g_get_monotonic_time () < deadline) {
    GstMessage *m = gst_bus_timed_pop (ctx->bus, 20 * GST_MSECOND);
    gboolean ok;

    if (m) {
      ctx_handle (ctx, m);
      gst_message_unref (m);
    }
    if (ctx->error && !allow_error)
      return FALSE;
    g_mutex_lock (&ctx->lock);
    ok = cond ? cond (ctx, data) : FALSE;
    g_mutex_unlock (&ctx->lock);
    if (ok)
      return TRUE;
  }
  return FALSE;
}

static PadRecord *
ctx_pad (Ctx * ctx, gboolean video)
{
  guint i;

  for (i = 0; i < ctx->pads->len; i++) {
    PadRecord *r = g_ptr_array_index (ctx->pads, i);

    if (r->video == video)
      return r;
  }
  return NULL;
}

/* data: GUINT_TO_POINTER (n) — both pads (or the only one) got n more
 * buffers than at the last mark */
static gboolean
cond_buffers (Ctx * ctx, gpointer data)
{
  guint want = GPOINTER_TO_UINT (data), i;

  if (ctx->pads->len == 0)
    return FALSE;
  for (i = 0; i < ctx->pads->len; i++) {
    PadRecord *r = g_ptr_array_index (ctx->pads, i);

    if (r->buffers < r->buffers_at_mark + want)
      return FALSE;
  }
  return TRUE;
}

static gboolean
cond_error (Ctx * ctx, gpointer data)
{
  return ctx->error != NULL;
}

static void
ctx_mark (Ctx * ctx)
{
  guint i;

  g_mutex_lock (&ctx->lock);
  for (i = 0; i < ctx->pads->len; i++) {
    PadRecord *r = g_ptr_array_index (ctx->pads, i);

    r->buffers_at_mark = r->buffers;
  }
  g_mutex_unlock (&ctx->lock);
}

static gchar *
ctx_error_text (Ctx * ctx)
{
  GError *e = NULL;
  gchar *dbg = NULL, *out;

  if (ctx->error == NULL)
    return g_strdup ("(no error)");
  gst_message_parse_error (ctx->error, &e, &dbg);
  out = g_strdup_printf ("%s | %s", e->message, dbg ? dbg : "");
  g_error_free (e);
  g_free (dbg);
  return out;
}

static void
ctx_assert_flowing (Ctx * ctx, guint n, guint timeout_ms, const gchar * what)
{
  ctx_mark (ctx);
  if (!ctx_run_until (ctx, cond_buffers, GUINT_TO_POINTER (n), timeout_ms,
          FALSE)) {
    gchar *e = ctx_error_text (ctx);

    fail ("%s: no data flow (%u pads): %s; messages: %s", what,
        ctx->pads->len, e, ctx->messages->str);
    g_free (e);
  }
}

static gint64
median_offset (PadRecord * r)
{
  gint64 v[OFFSETS_KEPT];
  guint n = MIN (r->n_offsets, OFFSETS_KEPT), i, j;

  memcpy (v, r->offsets, n * sizeof (gint64));
  for (i = 1; i < n; i++) {
    for (j = i; j > 0 && v[j - 1] > v[j]; j--) {
      gint64 t = v[j];

      v[j] = v[j - 1];
      v[j - 1] = t;
    }
  }
  return n ? v[n / 2] : 0;
}

#endif
