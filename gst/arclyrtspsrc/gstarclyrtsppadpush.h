/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * How arclyrtspsrc pushes on a pad while the pipeline starts.  Its one
 * worker thread feeds every pad.  A sink prerolls on its first buffer and
 * waits there until the whole pipeline reaches PLAYING, which needs every
 * other sink to preroll too: without a queue per pad
 * (`arclyrtspsrc ! fakesink` twice, a user's first pipeline) the worker
 * would wait in the first sink forever, the other sinks would never get
 * data, and neither PLAYING nor EOS (`gst-launch-1.0 -e`, Ctrl-C) would
 * ever complete.  So until a pad's first pushes have gone through, they
 * are handed to a short-lived thread of that pad, in order; once its
 * queue ran empty the pad is pushed on directly again (no thread, no copy
 * in the steady state).
 */

#ifndef __GST_ARCLY_RTSP_PAD_PUSH_H__
#define __GST_ARCLY_RTSP_PAD_PUSH_H__

#include <gst/gst.h>

G_BEGIN_DECLS

typedef struct _ArclyPadPusher ArclyPadPusher;

/* Items queued for a pad at most (the oldest buffers go beyond it): a
 * sink that never prerolls must not make the queue grow without bound. */
#define ARCLY_PAD_PUSHER_MAX_QUEUED 2048

/* @direct: push on the calling thread from the start (a single pad). */
ArclyPadPusher * arcly_pad_pusher_new (GstPad * pad, gboolean direct);

/* Pushes @obj (a buffer, a buffer list or a serialized event; taken).  Returns the flow
 * of a direct push, or the last flow of the hand-off thread. */
GstFlowReturn    arcly_pad_pusher_push (ArclyPadPusher * p,
                                        GstMiniObject * obj);

/* Joins the hand-off thread and drops what is queued: deactivate the pad
 * first, so a push blocked downstream returns. */
void             arcly_pad_pusher_free (ArclyPadPusher * p);

G_END_DECLS

#endif
