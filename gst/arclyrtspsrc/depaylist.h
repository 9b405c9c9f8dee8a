/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Buffer lists through arclyh264depay, arclyh265depay and arclyaacdepay.
 * GstRTPBaseDepayload takes a list apart and pushes what each packet
 * completes on its own; so a read of arclyrtspsrc (buffer-lists), one list
 * of a few dozen packets, would leave as one push per access unit, each a
 * hand-off downstream (arclybus wakes a delivery thread per push).  While
 * a list is chained in, the access units its packets complete are
 * collected instead and pushed as one list after its last packet.
 *
 * Order is kept: the list collected so far goes out before the depayloader
 * sets new caps (arcly_depay_list_flush) and before a packet that follows
 * a gap in the sequence numbers or is marked DISCONT, so the base class's
 * DISCONT flag lands on the first access unit after the gap as it does
 * without lists.  Timestamps: an access unit without a PTS/DTS gets its
 * packet's, as the base class does for the first one a packet completes.
 *
 * Threads: the streaming thread only (the sink pad's stream lock).
 */

#ifndef __ARCLY_DEPAY_LIST_H__
#define __ARCLY_DEPAY_LIST_H__

#include <gst/gst.h>
#include <gst/rtp/gstrtpbasedepayload.h>

G_BEGIN_DECLS

typedef struct
{
  GstBufferList *out;           /* collecting: a list is being chained */
  GstClockTime in_pts, in_dts;  /* of the packet being processed, until
                                 * its first access unit took them */
  gboolean have_seq;
  guint16 next_seq;
} ArclyDepayList;

/* The sink pad's chain_list function of the depayloader (call it from
 * one set with gst_pad_set_chain_list_function). */
GstFlowReturn arcly_depay_list_chain (ArclyDepayList * dl,
                                      GstRTPBaseDepayload * depay,
                                      GstPad * pad, GstObject * parent,
                                      GstBufferList * list);

/* Pushes @buf (taken), or collects it while a list is chained in. */
GstFlowReturn arcly_depay_list_push (ArclyDepayList * dl,
                                     GstRTPBaseDepayload * depay,
                                     GstBuffer * buf);

/* The same for several (taken). */
GstFlowReturn arcly_depay_list_push_list (ArclyDepayList * dl,
                                          GstRTPBaseDepayload * depay,
                                          GstBufferList * list);

/* For process_rtp_packet's return value: @buf (for the base class to
 * push), or NULL with @buf collected. */
GstBuffer *   arcly_depay_list_take (ArclyDepayList * dl, GstBuffer * buf);

/* Pushes what was collected so far (before new caps, say). */
GstFlowReturn arcly_depay_list_flush (ArclyDepayList * dl,
                                      GstRTPBaseDepayload * depay);

/* Drops what was collected (flushing, stopping). */
void          arcly_depay_list_clear (ArclyDepayList * dl);

G_END_DECLS

#endif
