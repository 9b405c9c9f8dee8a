/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Buffer lists through the depayloaders; see depaylist.h.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "depaylist.h"

static void
collect (ArclyDepayList * dl, GstBuffer * buf)
{
  if (GST_CLOCK_TIME_IS_VALID (dl->in_pts)
      || GST_CLOCK_TIME_IS_VALID (dl->in_dts)) {
    buf = gst_buffer_make_writable (buf);
    if (!GST_BUFFER_PTS_IS_VALID (buf))
      GST_BUFFER_PTS (buf) = dl->in_pts;
    if (!GST_BUFFER_DTS_IS_VALID (buf))
      GST_BUFFER_DTS (buf) = dl->in_dts;
    dl->in_pts = dl->in_dts = GST_CLOCK_TIME_NONE;
  }
  gst_buffer_list_add (dl->out, buf);
}

GstFlowReturn
arcly_depay_list_flush (ArclyDepayList * dl, GstRTPBaseDepayload * depay)
{
  GstBufferList *list = dl->out;

  if (list == NULL || gst_buffer_list_length (list) == 0)
    return GST_FLOW_OK;
  dl->out = gst_buffer_list_new_sized (8);
  return gst_rtp_base_depayload_push_list (depay, list);
}

/* The RTP sequence number of @buf, FALSE when it is too short to have
 * one (the base class drops it). */
static gboolean
peek_seq (GstBuffer * buf, guint16 * seq)
{
  guint8 b[2];

  if (gst_buffer_extract (buf, 2, b, 2) != 2)
    return FALSE;
  *seq = GST_READ_UINT16_BE (b);
  return TRUE;
}

GstFlowReturn
arcly_depay_list_chain (ArclyDepayList * dl, GstRTPBaseDepayload * depay,
    GstPad * pad, GstObject * parent, GstBufferList * list)
{
  GstPadChainFunction chain = GST_PAD_CHAINFUNC (pad);
  GstFlowReturn ret = GST_FLOW_OK, fret = GST_FLOW_OK;
  GstBufferList *out;
  guint i, len = gst_buffer_list_length (list);

  g_return_val_if_fail (chain != NULL, GST_FLOW_ERROR);
  dl->out = gst_buffer_list_new_sized (MAX (len / 4, 4));
  for (i = 0; i < len && ret == GST_FLOW_OK; i++) {
    GstBuffer *in = gst_buffer_list_get (list, i);
    guint16 seq = 0;
    gboolean has_seq = peek_seq (in, &seq);

    /* a gap or a DISCONT: the base class marks the next push DISCONT,
     * which must be an access unit of this packet or later */
    if (GST_BUFFER_IS_DISCONT (in) || (has_seq && dl->have_seq
            && seq != dl->next_seq))
      ret = arcly_depay_list_flush (dl, depay);
    if (ret != GST_FLOW_OK)
      break;
    if (has_seq) {
      dl->have_seq = TRUE;
      dl->next_seq = seq + 1;
    }
    dl->in_pts = GST_BUFFER_PTS (in);
    dl->in_dts = GST_BUFFER_DTS (in);
    ret = chain (pad, parent, gst_buffer_ref (in));
  }
  dl->in_pts = dl->in_dts = GST_CLOCK_TIME_NONE;
  /* the rest goes out as it is (no new list for more) */
  out = dl->out;
  dl->out = NULL;
  if (gst_buffer_list_length (out) > 0)
    fret = gst_rtp_base_depayload_push_list (depay, out);
  else
    gst_buffer_list_unref (out);
  gst_buffer_list_unref (list);
  return ret != GST_FLOW_OK ? ret : fret;
}

GstFlowReturn
arcly_depay_list_push (ArclyDepayList * dl, GstRTPBaseDepayload * depay,
    GstBuffer * buf)
{
  if (dl->out == NULL)
    return gst_rtp_base_depayload_push (depay, buf);
  collect (dl, buf);
  return GST_FLOW_OK;
}

GstFlowReturn
arcly_depay_list_push_list (ArclyDepayList * dl, GstRTPBaseDepayload * depay,
    GstBufferList * list)
{
  guint i, len;

  if (dl->out == NULL)
    return gst_rtp_base_depayload_push_list (depay, list);
  len = gst_buffer_list_length (list);
  for (i = 0; i < len; i++)
    collect (dl, gst_buffer_ref (gst_buffer_list_get (list, i)));
  gst_buffer_list_unref (list);
  return GST_FLOW_OK;
}

GstBuffer *
arcly_depay_list_take (ArclyDepayList * dl, GstBuffer * buf)
{
  if (dl->out == NULL || buf == NULL)
    return buf;
  collect (dl, buf);
  return NULL;
}

void
arcly_depay_list_clear (ArclyDepayList * dl)
{
  gst_clear_buffer_list (&dl->out);
  dl->have_seq = FALSE;
  dl->in_pts = dl->in_dts = GST_CLOCK_TIME_NONE;
}
