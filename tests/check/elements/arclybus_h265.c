/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * arclybus with H.265: the GOP cache and the late-join logic only look at
 * GST_BUFFER_FLAG_DELTA_UNIT, so an H.265 stream whose IRAP pictures (IDR,
 * CRA, BLA) carry no DELTA_UNIT works unchanged.  A live x265enc stream
 * (1 s GOP) reaches the bus through h265parse, or through rtph265pay !
 * arclyh265depay as from a camera; a subscriber requested in the middle of
 * a GOP must get, as its first buffer, the newest IRAP access unit (checked
 * in the bytes: the first VCL NAL unit's type is 16..21), and avdec_h265
 * must output that very picture (same PTS) and every frame after it.
 * Variants: closed GOPs (IDR keyframes) and x265's default open GOPs (CRA
 * keyframes after the first IDR).
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <string.h>

#define GOP 30

typedef struct
{
  GMutex lock;
  GCond cond;
  /* publisher side (bus sink pad) */
  guint published;
  guint since_key;
  guint keyframes;
  GArray *key_pts;              /* PTS of every keyframe published */
  GArray *key_nal;              /* its first VCL NAL type */
  gboolean mid_gop;             /* second GOP or later, half way through */
  /* subscriber side */
  GArray *sub_pts;              /* PTS of the buffers the new pad got */
  guint first_flags;
  gint first_nal;               /* first VCL NAL type of its first buffer */
  GArray *dec_pts;              /* PTS of the decoded frames */
} H265Ctx;

/* The nal_unit_type of the first VCL NAL unit (type < 32) of an Annex-B
 * access unit, or -1. */
static gint
first_vcl_type (GstBuffer * buf)
{
  GstMapInfo map;
  gint type = -1;
  gsize i;

  if (!gst_buffer_map (buf, &map, GST_MAP_READ))
    return -1;
  for (i = 0; i + 4 < map.size && type < 0; i++) {
    if (map.data[i] == 0 && map.data[i + 1] == 0 && map.data[i + 2] == 1) {
      guint t = (map.data[i + 3] >> 1) & 0x3f;

      if (t < 32)
        type = (gint) t;
      i += 2;
    }
  }
  gst_buffer_unmap (buf, &map);
  return type;
}

static void
publish_one (H265Ctx * c, GstBuffer * buf)
{
  gboolean key = !GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
  gint nal = key ? first_vcl_type (buf) : -1;

  g_mutex_lock (&c->lock);
  c->published++;
  if (key) {
    GstClockTime pts = GST_BUFFER_PTS (buf);

    c->keyframes++;
    c->since_key = 0;
    g_array_append_val (c->key_pts, pts);
    g_array_append_val (c->key_nal, nal);
  } else {
    c->since_key++;
  }
  if (c->keyframes >= 2 && c->since_key == GOP / 2) {
    c->mid_gop = TRUE;
    g_cond_broadcast (&c->cond);
  }
  g_mutex_unlock (&c->lock);
}

/* rtph265pay pushes a picture's packets as a list, and arclyh265depay
 * passes the pictures of a list on as a list */
static GstPadProbeReturn
publish_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
    GstBufferList *list = GST_PAD_PROBE_INFO_BUFFER_LIST (info);
    guint i;

    for (i = 0; i < gst_buffer_list_length (list); i++)
      publish_one (data, gst_buffer_list_get (list, i));
  } else {
    publish_one (data, GST_PAD_PROBE_INFO_BUFFER (info));
  }
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
subscribe_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  H265Ctx *c = data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstClockTime pts = GST_BUFFER_PTS (buf);
  gboolean first;

  g_mutex_lock (&c->lock);
  first = c->sub_pts->len == 0;
  g_array_append_val (c->sub_pts, pts);
  if (first)
    c->first_flags = GST_BUFFER_FLAGS (buf);
  g_mutex_unlock (&c->lock);
  if (first) {
    gint nal = first_vcl_type (buf);

    g_mutex_lock (&c->lock);
    c->first_nal = nal;
    g_mutex_unlock (&c->lock);
  }
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
decoded_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  H265Ctx *c = data;
  GstClockTime pts = GST_BUFFER_PTS (GST_PAD_PROBE_INFO_BUFFER (info));

  g_mutex_lock (&c->lock);
  g_array_append_val (c->dec_pts, pts);
  g_cond_broadcast (&c->cond);
  g_mutex_unlock (&c->lock);
  return GST_PAD_PROBE_OK;
}

static void
require_elements (const gchar * const *names)
{
  for (; *names; names++) {
    GstElementFactory *f = gst_element_factory_find (*names);

    fail_unless (f != NULL, "element %s is missing: install "
        "gstreamer1.0-plugins-bad / -libav", *names);
    gst_object_unref (f);
  }
}

/* Waits on @c->cond until @pred holds or @seconds pass; under c->lock. */
static gboolean
wait_for (H265Ctx * c, gboolean (*pred) (H265Ctx *), guint seconds)
{
  gint64 end = g_get_monotonic_time () + seconds * G_TIME_SPAN_SECOND;

  while (!pred (c)) {
    if (!g_cond_wait_until (&c->cond, &c->lock, end))
      return pred (c);
  }
  return TRUE;
}

static gboolean
pred_mid_gop (H265Ctx * c)
{
  return c->mid_gop;
}

/* the joiner decoded the cached half GOP and 20 live frames */
static gboolean
pred_decoded (H265Ctx * c)
{
  return c->dec_pts->len >= GOP / 2 + 20;
}

/* Bus errors (a decoder that cannot start, a depayloader that fails). */
static void
assert_no_error (GstElement * pipe)
{
  GstBus *bus = gst_element_get_bus (pipe);
  GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);

  if (msg) {
    GError *e = NULL;
    gchar *dbg = NULL;

    gst_message_parse_error (msg, &e, &dbg);
    fail ("error from %s: %s (%s)", GST_MESSAGE_SRC_NAME (msg), e->message,
        dbg ? dbg : "");
  }
  gst_object_unref (bus);
}

static void
check_late_join (const gchar * path, gboolean open_gop)
{
  const gchar *const needed[] = { "x265enc", "h265parse", "rtph265pay",
    "avdec_h265", NULL
  };
  H265Ctx c;
  GError *err = NULL;
  GstElement *pipe, *bus, *dec, *sink;
  GstPad *pad, *bsink, *dpad;
  gchar *desc;
  GstClockTime first_pts, key_at_join;
  gint key_nal_at_join = -1;
  guint i;
  gboolean ok;

  require_elements (needed);
  memset (&c, 0, sizeof (c));
  g_mutex_init (&c.lock);
  g_cond_init (&c.cond);
  c.key_pts = g_array_new (FALSE, FALSE, sizeof (GstClockTime));
  c.key_nal = g_array_new (FALSE, FALSE, sizeof (gint));
  c.sub_pts = g_array_new (FALSE, FALSE, sizeof (GstClockTime));
  c.dec_pts = g_array_new (FALSE, FALSE, sizeof (GstClockTime));
  c.first_nal = -1;

  /* open-gop=1 is x265's default: keyframes after the first are CRA
   * pictures (zerolatency has no B-frames, so no leading pictures) */
  desc = g_strdup_printf ("videotestsrc is-live=true pattern=smpte ! "
      "video/x-raw,format=I420,width=320,height=240,framerate=30/1 ! "
      "x265enc tune=zerolatency speed-preset=ultrafast key-int-max=%d "
      "option-string=\"scenecut=0:open-gop=%d\" ! video/x-h265,profile=main ! "
      "%s ! arclybus name=bus bus. ! fakesink sync=false", GOP,
      open_gop ? 1 : 0, path);
  pipe = gst_parse_launch (desc, &err);
  fail_unless (pipe != NULL, "%s", err ? err->message : "?");
  g_free (desc);
  bus = gst_bin_get_by_name (GST_BIN (pipe), "bus");
  bsink = gst_element_get_static_pad (bus, "sink");
  gst_pad_add_probe (bsink, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_BUFFER_LIST, publish_probe, &c, NULL);
  gst_object_unref (bsink);

  dec = gst_element_factory_make ("avdec_h265", NULL);
  sink = gst_element_factory_make ("fakesink", NULL);
  g_object_set (sink, "sync", FALSE, NULL);
  gst_bin_add_many (GST_BIN (pipe), dec, sink, NULL);
  fail_unless (gst_element_link (dec, sink));
  dpad = gst_element_get_static_pad (dec, "src");
  gst_pad_add_probe (dpad, GST_PAD_PROBE_TYPE_BUFFER, decoded_probe, &c,
      NULL);
  gst_object_unref (dpad);

  fail_unless (gst_element_set_state (pipe, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);

  /* join half way through the second GOP or a later one */
  g_mutex_lock (&c.lock);
  ok = wait_for (&c, pred_mid_gop, 60);
  key_at_join = c.key_pts->len ?
      g_array_index (c.key_pts, GstClockTime, c.key_pts->len - 1) : 0;
  g_mutex_unlock (&c.lock);
  if (!ok) {
    gst_element_set_state (pipe, GST_STATE_NULL);
    fail ("the publisher never reached the middle of a second GOP");
  }

  gst_element_sync_state_with_parent (sink);
  gst_element_sync_state_with_parent (dec);
  pad = gst_element_request_pad_simple (bus, "src_%u");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, subscribe_probe, &c,
      NULL);
  dpad = gst_element_get_static_pad (dec, "sink");
  fail_unless_equals_int (gst_pad_link (pad, dpad), GST_PAD_LINK_OK);
  gst_object_unref (dpad);

  g_mutex_lock (&c.lock);
  ok = wait_for (&c, pred_decoded, 60);
  g_mutex_unlock (&c.lock);
  assert_no_error (pipe);
  /* stopped before checking, so a failed check leaves nothing running */
  gst_element_set_state (pipe, GST_STATE_NULL);
  fail_unless (ok, "the late subscriber decoded %u frames of %u received",
      c.dec_pts->len, c.sub_pts->len);

  /* the first buffer of the joiner: a keyframe by its flags, an IRAP by
   * its bytes, and one of the publisher's keyframes — the newest at the
   * time of the request (or a newer one, if a GOP began meanwhile) */
  fail_if (c.first_flags & GST_BUFFER_FLAG_DELTA_UNIT,
      "the first buffer is a delta unit");
  fail_unless (c.first_nal >= 16 && c.first_nal <= 21,
      "the first buffer's first picture has NAL type %d (not IRAP)",
      c.first_nal);
  first_pts = g_array_index (c.sub_pts, GstClockTime, 0);
  fail_unless (first_pts >= key_at_join, "the joiner started on an older "
      "GOP");
  for (i = 0; i < c.key_pts->len; i++) {
    if (g_array_index (c.key_pts, GstClockTime, i) == first_pts) {
      key_nal_at_join = g_array_index (c.key_nal, gint, i);
      break;
    }
  }
  fail_unless (i < c.key_pts->len, "the first buffer is no published "
      "keyframe");
  fail_unless_equals_int (key_nal_at_join, c.first_nal);
  if (open_gop) {
    /* CRA_NUT: the keyframe path is not just IDR */
    fail_unless_equals_int (c.first_nal, 21);
  } else {
    fail_unless (c.first_nal == 19 || c.first_nal == 20, "NAL type %d",
        c.first_nal);
  }
  /* it decodes: the decoder's first picture is that IRAP, then every
   * frame received follows (no B-frames: output order = input order) */
  fail_unless_equals_uint64 (g_array_index (c.dec_pts, GstClockTime, 0),
      first_pts);
  for (i = 0; i < c.dec_pts->len; i++)
    fail_unless_equals_uint64 (g_array_index (c.dec_pts, GstClockTime, i),
        g_array_index (c.sub_pts, GstClockTime, i));

  gst_object_unref (pad);
  gst_object_unref (bus);
  gst_object_unref (pipe);
  g_array_unref (c.key_pts);
  g_array_unref (c.key_nal);
  g_array_unref (c.sub_pts);
  g_array_unref (c.dec_pts);
  g_cond_clear (&c.cond);
  g_mutex_clear (&c.lock);
}

GST_START_TEST (test_late_join_h265parse_idr)
{
  check_late_join ("h265parse config-interval=-1", FALSE);
}

GST_END_TEST;

GST_START_TEST (test_late_join_h265parse_cra)
{
  check_late_join ("h265parse config-interval=-1", TRUE);
}

GST_END_TEST;

/* as from a camera: RTP (FUs for the large IRAPs) through arclyh265depay */
GST_START_TEST (test_late_join_depay_idr)
{
  check_late_join ("rtph265pay mtu=1200 config-interval=-1 ! "
      "arclyh265depay", FALSE);
}

GST_END_TEST;

GST_START_TEST (test_late_join_depay_cra)
{
  check_late_join ("rtph265pay mtu=1200 config-interval=-1 ! "
      "arclyh265depay", TRUE);
}

GST_END_TEST;

static Suite *
arclybus_h265_suite (void)
{
  Suite *s = suite_create ("arclybus_h265");
  TCase *tc = tcase_create ("late-join");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 150);
  tcase_add_test (tc, test_late_join_h265parse_idr);
  tcase_add_test (tc, test_late_join_h265parse_cra);
  tcase_add_test (tc, test_late_join_depay_idr);
  tcase_add_test (tc, test_late_join_depay_cra);
  return s;
}

GST_CHECK_MAIN (arclybus_h265);
