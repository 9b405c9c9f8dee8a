/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The start-up hand-off of arclyrtspsrc's pads; see gstarclyrtsppadpush.h.
 *
 * Threads and locks: the caller's thread (the element's worker) and the
 * pad's hand-off thread share `lock`, which guards every field but `pad`;
 * it is never held across a push.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstarclyrtsppadpush.h"

struct _ArclyPadPusher
{
  GstPad *pad;                  /* ref */
  GMutex lock;
  GCond cond;                   /* something queued, or closing */
  gboolean direct;              /* pushes go straight to the pad */
  gboolean prerolled;           /* a buffer or EOS push came back */
  gboolean closing;
  GQueue queue;                 /* GstMiniObject* for the thread */
  GThread *thread;              /* running, or done and not joined */
  GstFlowReturn flow;           /* of the thread's last buffer push */
};

static GstFlowReturn
push_one (GstPad * pad, GstMiniObject * obj)
{
  if (GST_IS_BUFFER (obj))
    return gst_pad_push (pad, GST_BUFFER_CAST (obj));
  if (GST_IS_BUFFER_LIST (obj))
    return gst_pad_push_list (pad, GST_BUFFER_LIST_CAST (obj));
  gst_pad_push_event (pad, GST_EVENT_CAST (obj));
  return GST_FLOW_OK;
}

static gpointer
hand_off (gpointer data)
{
  ArclyPadPusher *p = data;

  for (;;) {
    GstMiniObject *obj;
    gboolean is_buffer, prerolls;
    GstFlowReturn ret;

    g_mutex_lock (&p->lock);
    /* sticky events alone do not preroll a sink: stay until a buffer (or
     * EOS) went through */
    while (p->queue.length == 0 && !p->prerolled && !p->closing)
      g_cond_wait (&p->cond, &p->lock);
    obj = g_queue_pop_head (&p->queue);
    if (obj == NULL) {
      /* drained after the sink prerolled: the caller pushes from now on
       * (and joins this thread) */
      p->direct = p->prerolled;
      g_mutex_unlock (&p->lock);
      return NULL;
    }
    g_mutex_unlock (&p->lock);
    is_buffer = GST_IS_BUFFER (obj) || GST_IS_BUFFER_LIST (obj);
    prerolls = is_buffer || GST_EVENT_TYPE (obj) == GST_EVENT_EOS
        || GST_EVENT_TYPE (obj) == GST_EVENT_GAP;
    ret = push_one (p->pad, obj);
    if (prerolls) {
      g_mutex_lock (&p->lock);
      if (is_buffer)
        p->flow = ret;
      p->prerolled = TRUE;
      g_mutex_unlock (&p->lock);
    }
  }
}

ArclyPadPusher *
arcly_pad_pusher_new (GstPad * pad, gboolean direct)
{
  ArclyPadPusher *p = g_new0 (ArclyPadPusher, 1);

  p->pad = gst_object_ref (pad);
  g_mutex_init (&p->lock);
  g_cond_init (&p->cond);
  g_queue_init (&p->queue);
  p->direct = direct;
  p->flow = GST_FLOW_OK;
  return p;
}

/* Drops the oldest queued buffer or buffer list (events stay: they are
 * sticky state or EOS). */
static void
drop_oldest_buffer (ArclyPadPusher * p)
{
  GList *l;

  for (l = p->queue.head; l; l = l->next) {
    if (GST_IS_BUFFER (l->data) || GST_IS_BUFFER_LIST (l->data)) {
      gst_mini_object_unref (l->data);
      g_queue_delete_link (&p->queue, l);
      return;
    }
  }
}

GstFlowReturn
arcly_pad_pusher_push (ArclyPadPusher * p, GstMiniObject * obj)
{
  GThread *done = NULL;
  GstFlowReturn ret;

  g_mutex_lock (&p->lock);
  if (p->direct) {
    done = p->thread;
    p->thread = NULL;
    g_mutex_unlock (&p->lock);
    if (done)
      g_thread_join (done);
    return push_one (p->pad, obj);
  }
  ret = p->flow;
  if (ret != GST_FLOW_OK) {
    /* downstream refused; the caller stops or reconnects */
    g_mutex_unlock (&p->lock);
    gst_mini_object_unref (obj);
    return ret;
  }
  if (g_queue_get_length (&p->queue) >= ARCLY_PAD_PUSHER_MAX_QUEUED)
    drop_oldest_buffer (p);
  g_queue_push_tail (&p->queue, obj);
  g_cond_signal (&p->cond);
  if (p->thread == NULL)
    p->thread = g_thread_new ("arclyrtspsrc-preroll", hand_off, p);
  g_mutex_unlock (&p->lock);
  return GST_FLOW_OK;
}

void
arcly_pad_pusher_free (ArclyPadPusher * p)
{
  GThread *thread;

  if (p == NULL)
    return;
  g_mutex_lock (&p->lock);
  thread = p->thread;
  p->thread = NULL;
  p->closing = TRUE;
  g_cond_signal (&p->cond);
  g_mutex_unlock (&p->lock);
  /* the pad is inactive: what the thread still pushes returns FLUSHING */
  if (thread)
    g_thread_join (thread);
  g_queue_clear_full (&p->queue, (GDestroyNotify) gst_mini_object_unref);
  g_mutex_clear (&p->lock);
  g_cond_clear (&p->cond);
  gst_object_unref (p->pad);
  g_free (p);
}
