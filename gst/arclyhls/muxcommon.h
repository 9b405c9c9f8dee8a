/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * What arclytsmux and arclyfmp4mux do alike with their input: the check of
 * video that comes with decode timestamps only, and the per-pad structures
 * of their "stats".  Not installed.
 */

#ifndef __ARCLY_MUX_COMMON_H__
#define __ARCLY_MUX_COMMON_H__

#include <gst/gst.h>
#include <gst/base/gstaggregator.h>

G_BEGIN_DECLS

/* A gap in a track (a camera that dropped and came back): a DISCONT
 * buffer, or a hole in its timestamps longer than three of its frames and
 * longer than ARCLY_GAP_MAX_HOLE, or, when the stream is cut in chunks
 * (LL-HLS), than ARCLY_CHUNKS_PER_PART chunks (one part).  arclyhlssink ends
 * its segment before a gap and starts a discontinuity after it; arclyfmp4mux
 * starts a new moof there instead of stretching the sample before the gap
 * over it.  Both must agree (see arclyfmp4mux's sample_after_gap). */
#define ARCLY_GAP_MAX_HOLE (500 * GST_MSECOND)

/* fMP4 LL-HLS: arclyhlssink asks its muxer for chunks of a tenth of a part
 * (in practice one per video frame, and always one at a keyframe); the
 * writer groups chunks into parts, so a part can end near its target
 * whatever the GOP length. */
#define ARCLY_CHUNKS_PER_PART 10

/* A video pad of @mux gets buffers with a DTS and no PTS, written with
 * PTS = DTS: right unless the stream reorders frames, which only its SPS
 * (@sps, a NAL unit without start code) can tell.  Posts a STREAM/FORMAT
 * warning when it may (or the SPS cannot be parsed); call it once per pad. */
void arcly_mux_check_dts_only_video (GstElement * mux, GstPad * pad,
    const guint8 * sps, gsize sps_size);

/* The same for H.265 (@sps an H.265 SPS NAL unit): warns when its
 * sps_max_num_reorder_pics is not 0, or it cannot be parsed. */
void arcly_mux_check_dts_only_h265 (GstElement * mux, GstPad * pad,
    const guint8 * sps, gsize sps_size);

/* An "arcly-<element>-pad-stats" structure (@name) for @pad: pad, media,
 * frames-written, bytes-written, frames-dropped. */
GstStructure *arcly_mux_pad_stats_new (const gchar * name, GstPad * pad,
    gboolean video, guint64 frames_written, guint64 bytes_written,
    guint64 frames_dropped);

/* Whether @pad has delivered data since the stream (re)started. */
typedef gboolean (*ArclyMuxPadStarted) (GstAggregatorPad * pad);

/* How long (running time) after the first buffer a live muxer waits for
 * an input that has not delivered anything yet, on top of its latency. */
#define ARCLY_MUX_START_GRACE GST_SECOND

/* GstAggregatorClass::get_next_time of both muxers: the running time of
 * the earliest buffer queued on a sink pad (its decode time, else its
 * presentation time); NONE when none is queued.  While a pad that has not
 * delivered anything yet (@started) has nothing queued, not before
 * *@first + ARCLY_MUX_START_GRACE: at the start every input is waited for
 * a while (a camera's audio may start after its video), but not for ever.
 * @first holds the running time of the first buffer seen since the stream
 * (re)started (set here; the muxer resets it to NONE on start and flush).
 * Live, the base class calls aggregate (timeout = TRUE) once the clock
 * passes the time returned plus the latency, so an input that stops (a
 * camera's audio) holds the others back by the latency at most, and one
 * that has not started by the start grace plus the latency; without
 * get_next_time a live GstAggregator never times out and waits for that
 * input for as long as it is away (and with one streaming thread feeding
 * every pad, as arclyrtspsrc has, for ever: the full pad blocks the
 * thread that would bring the missing input).  A buffer after a gap
 * (DISCONT on a pad that had started) is due ARCLY_GAP_MAX_HOLE after its
 * time, so the other inputs of the same drop can come back with it. */
GstClockTime arcly_mux_next_time (GstAggregator * agg,
    ArclyMuxPadStarted started, GstClockTime * first);

G_END_DECLS

#endif /* __ARCLY_MUX_COMMON_H__ */
