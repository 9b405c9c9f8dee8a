/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * For the depayloaders' buffer-list tests: what a harness's sink pad
 * receives, in order, as text (one line per buffer with its timestamps,
 * flags and bytes' checksum, one per caps event), and how many buffer
 * lists and single buffers were pushed.  (A list reaches the probe once
 * as a list and then buffer by buffer: the harness's pad has the default
 * chain_list function, which chains each buffer.)  The same packets pushed one at a
 * time and as one GstBufferList must give the same lines.
 */

#ifndef __ARCLY_DEPAY_LIST_CHECK_H__
#define __ARCLY_DEPAY_LIST_CHECK_H__

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>

typedef struct
{
  GString *seen;
  guint lists, buffers;         /* pushes of a list, of a single buffer */
  guint in_lists;               /* buffers of the lists, still to come */
} ArclyPushLog;

static gboolean
arcly_push_log_buffer (GstBuffer ** buf, guint idx, gpointer user_data)
{
  ArclyPushLog *log = user_data;
  GstMapInfo map;
  gchar *sum = NULL;

  if (gst_buffer_map (*buf, &map, GST_MAP_READ)) {
    sum = g_compute_checksum_for_data (G_CHECKSUM_MD5, map.data, map.size);
    gst_buffer_unmap (*buf, &map);
  }
  g_string_append_printf (log->seen, "buffer pts %" G_GUINT64_FORMAT " dts %"
      G_GUINT64_FORMAT " flags 0x%x size %" G_GSIZE_FORMAT " md5 %s\n",
      (guint64) GST_BUFFER_PTS (*buf), (guint64) GST_BUFFER_DTS (*buf),
      GST_BUFFER_FLAGS (*buf) & (GST_BUFFER_FLAG_DISCONT |
          GST_BUFFER_FLAG_DELTA_UNIT | GST_BUFFER_FLAG_MARKER),
      gst_buffer_get_size (*buf), sum ? sum : "?");
  g_free (sum);
  return TRUE;
}

static GstPadProbeReturn
arcly_push_log_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  ArclyPushLog *log = data;

  if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
    log->lists++;
    log->in_lists +=
        gst_buffer_list_length (GST_PAD_PROBE_INFO_BUFFER_LIST (info));
  } else if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);

    if (log->in_lists > 0)
      log->in_lists--;
    else
      log->buffers++;
    arcly_push_log_buffer (&buf, 0, log);
  } else if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) ==
      GST_EVENT_CAPS) {
    GstCaps *caps;
    gchar *s;

    gst_event_parse_caps (GST_PAD_PROBE_INFO_EVENT (info), &caps);
    s = gst_caps_to_string (caps);
    g_string_append_printf (log->seen, "caps %s\n", s);
    g_free (s);
  }
  return GST_PAD_PROBE_OK;
}

/* Starts logging what @h's sink pad gets. */
static inline void
arcly_push_log_start (ArclyPushLog * log, GstHarness * h)
{
  log->seen = g_string_new (NULL);
  log->lists = log->buffers = log->in_lists = 0;
  gst_pad_add_probe (h->sinkpad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_BUFFER_LIST | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      arcly_push_log_probe, log, NULL);
}

static inline void
arcly_push_log_clear (ArclyPushLog * log)
{
  g_string_free (log->seen, TRUE);
  log->seen = NULL;
}

/* Pushes @list (taken) into @h's element as one list. */
static inline GstFlowReturn
arcly_harness_push_list (GstHarness * h, GstBufferList * list)
{
  return gst_pad_push_list (h->srcpad, list);
}

/* Logs both harnesses, then pushes the @n packets @pkts (taken) into
 * @one_by_one one at a time and copies of them into @as_list as one list:
 * what the depayloader does with a list against what it does without. */
static inline void
arcly_push_both_ways (GstHarness * one_by_one, GstHarness * as_list,
    GstBuffer ** pkts, guint n, ArclyPushLog * one, ArclyPushLog * many)
{
  GstBufferList *list = gst_buffer_list_new_sized (n);
  guint i;

  arcly_push_log_start (one, one_by_one);
  arcly_push_log_start (many, as_list);
  for (i = 0; i < n; i++) {
    gst_buffer_list_add (list, gst_buffer_copy_deep (pkts[i]));
    fail_unless_equals_int (gst_harness_push (one_by_one, pkts[i]),
        GST_FLOW_OK);
  }
  fail_unless_equals_int (arcly_harness_push_list (as_list, list),
      GST_FLOW_OK);
}

#endif
