/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "muxcommon.h"
#include "arclyh264.h"
#include "arclyh265.h"

void
arcly_mux_check_dts_only_video (GstElement * mux, GstPad * pad,
    const guint8 * sps, gsize sps_size)
{
  ArclyH264Sps info;
  gboolean parsed = arcly_h264_parse_sps (sps, sps_size, &info);

  if (parsed && !arcly_h264_sps_may_reorder (&info)) {
    GST_INFO_OBJECT (pad, "decode timestamps only: PTS = DTS (the SPS "
        "allows no reordering)");
    return;
  }
  GST_ELEMENT_WARNING (mux, STREAM, FORMAT,
      ("Video on pad %s has decode timestamps only, and its frames may be "
          "reordered: presentation times are written equal to decode times",
          GST_PAD_NAME (pad)),
      ("%s; players may show B-frames at slightly wrong times.  Feed the "
          "muxer presentation timestamps (a container demuxer gives them; "
          "h264parse on a raw .h264 file does not) or encode without "
          "B-frames", !parsed ? "the SPS could not be parsed" :
          info.bitstream_restriction ? "the SPS's VUI allows frame "
          "reordering (max_num_reorder_frames > 0)" : "the SPS's profile "
          "allows B-frames and its VUI does not rule them out"));
}

void
arcly_mux_check_dts_only_h265 (GstElement * mux, GstPad * pad,
    const guint8 * sps, gsize sps_size)
{
  guint reorder = 0;
  gboolean parsed = arcly_h265_sps_max_num_reorder (sps, sps_size, &reorder);

  if (parsed && reorder == 0) {
    GST_INFO_OBJECT (pad, "decode timestamps only: PTS = DTS (the SPS "
        "allows no reordering)");
    return;
  }
  GST_ELEMENT_WARNING (mux, STREAM, FORMAT,
      ("Video on pad %s has decode timestamps only, and its frames may be "
          "reordered: presentation times are written equal to decode times",
          GST_PAD_NAME (pad)),
      ("%s; players may show B-frames at slightly wrong times.  Feed the "
          "muxer presentation timestamps (a container demuxer gives them; "
          "h265parse on a raw .h265 file does not) or encode without "
          "B-frames", !parsed ? "the SPS could not be parsed" :
          "the SPS allows frame reordering (sps_max_num_reorder_pics > 0)"));
}

GstStructure *
arcly_mux_pad_stats_new (const gchar * name, GstPad * pad, gboolean video,
    guint64 frames_written, guint64 bytes_written, guint64 frames_dropped)
{
  return gst_structure_new (name,
      "pad", G_TYPE_STRING, GST_PAD_NAME (pad),
      "media", G_TYPE_STRING, video ? "video" : "audio",
      "frames-written", G_TYPE_UINT64, frames_written,
      "bytes-written", G_TYPE_UINT64, bytes_written,
      "frames-dropped", G_TYPE_UINT64, frames_dropped, NULL);
}

GstClockTime
arcly_mux_next_time (GstAggregator * agg, ArclyMuxPadStarted started,
    GstClockTime * first)
{
  GstClockTime next = GST_CLOCK_TIME_NONE;
  gboolean waiting = FALSE;
  GList *l;

  /* the segments, *@first and @started's state belong to the aggregator's
   * streaming thread, which calls us */
  GST_OBJECT_LOCK (agg);
  for (l = GST_ELEMENT (agg)->sinkpads; l; l = l->next) {
    GstAggregatorPad *pad = l->data;
    GstBuffer *buf = gst_aggregator_pad_peek_buffer (pad);
    GstClockTime t, rt = 0, wait = 0;

    if (buf == NULL) {
      if (!started (pad) && !gst_aggregator_pad_is_eos (pad)) {
        /* no caps yet (an encoder upstream that has not produced its
         * first frame): its stream cannot join an fMP4 init segment
         * written without it, so it is waited for; the source of a pad
         * whose caps came first may be the very thread a full pad
         * blocks, so that one gets the start grace */
        if (!gst_pad_has_current_caps (GST_PAD (pad))) {
          GST_OBJECT_UNLOCK (agg);
          return GST_CLOCK_TIME_NONE;
        }
        waiting = TRUE;
      }
      continue;
    }
    t = GST_BUFFER_DTS_OR_PTS (buf);
    /* The first buffer after a gap (a camera back after a drop) waits a
     * little for the other inputs of the same drop: they come back a bit
     * later (a demuxer, a probe that holds the audio until the video's
     * keyframe), and a fragment after a discontinuity without them makes
     * players (hls.js) misplace what follows.  Not for ever: an input
     * that does not come back holds the others back by this and the
     * latency, as when it stops. */
    if (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DISCONT) && started (pad))
      wait = ARCLY_GAP_MAX_HOLE;
    gst_buffer_unref (buf);
    /* a buffer without a timestamp, or one before its segment, is due at
     * once (aggregate drops it) */
    if (GST_CLOCK_TIME_IS_VALID (t) && pad->segment.format == GST_FORMAT_TIME)
      rt = gst_segment_to_running_time (&pad->segment, GST_FORMAT_TIME, t);
    if (!GST_CLOCK_TIME_IS_VALID (rt))
      rt = 0;
    rt += wait;
    if (!GST_CLOCK_TIME_IS_VALID (next) || rt < next)
      next = rt;
  }
  GST_OBJECT_UNLOCK (agg);

  if (GST_CLOCK_TIME_IS_VALID (next) && !GST_CLOCK_TIME_IS_VALID (*first))
    *first = next;
  /* An input that has not started yet is waited for until the start
   * grace after the first buffer has passed, then the others go on
   * without it; its buffers join the output when they come. */
  if (waiting && GST_CLOCK_TIME_IS_VALID (next))
    next = MAX (next, *first + ARCLY_MUX_START_GRACE);
  return next;
}
