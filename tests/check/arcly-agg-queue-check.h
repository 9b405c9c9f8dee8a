/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The muxers' non-live input queue (gst/arclyhls/aggqueue.h), checked
 * through a real pipeline.  Header-only; include after gst/check/gstcheck.h.
 */

#ifndef __ARCLY_AGG_QUEUE_CHECK_H__
#define __ARCLY_AGG_QUEUE_CHECK_H__

#include <gst/check/gstcheck.h>

/* Runs the non-live pipeline @desc, whose muxer is named "m", to EOS with
 * the muxer's "latency" property first set to @app_latency: while it runs
 * the property must be @expected (the muxer's own queue depth when the
 * application left 0, the application's value otherwise), and stopping
 * must give @app_latency back. */
static inline void
arcly_check_nonlive_queue (const gchar * desc, GstClockTime app_latency,
    GstClockTime expected)
{
  GstElement *pipe, *m;
  GstBus *bus;
  GstMessage *msg;
  GError *err = NULL;
  GstClockTime latency = GST_CLOCK_TIME_NONE;

  pipe = gst_parse_launch (desc, &err);
  fail_unless (pipe != NULL, "%s", err ? err->message : "");
  m = gst_bin_get_by_name (GST_BIN (pipe), "m");
  fail_unless (m != NULL, "no element named m in %s", desc);
  g_object_set (m, "latency", app_latency, NULL);
  bus = gst_element_get_bus (pipe);
  fail_unless (gst_element_set_state (pipe, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS,
      "pipeline did not reach EOS");
  gst_message_unref (msg);
  g_object_get (m, "latency", &latency, NULL);
  fail_unless_equals_uint64 (latency, expected);
  gst_element_set_state (pipe, GST_STATE_NULL);
  g_object_get (m, "latency", &latency, NULL);
  fail_unless_equals_uint64 (latency, app_latency);
  gst_object_unref (m);
  gst_object_unref (bus);
  gst_object_unref (pipe);
}

#endif /* __ARCLY_AGG_QUEUE_CHECK_H__ */
