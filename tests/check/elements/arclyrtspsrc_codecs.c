/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * arclyrtspsrc with the codecs most IP cameras send: H.265 video and G.711
 * (PCMU/PCMA) audio, against tools/arcly-testcam --codec h265 --audio-codec
 * pcmu|pcma (gst-rtsp-server, x265enc + rtph265pay, mulawenc/alawenc +
 * rtppcmupay/rtppcmapay on the static payload types 0/8).  No property is
 * set for the codecs: the tracks come from the SDP alone.  The video pad
 * feeds arclyh265depay ! avdec_h265, the audio pad the stock
 * rtppcmudepay/rtppcmadepay ! mulawdec/alawdec; every decoded frame and
 * sample is counted, and the audio's sample count over its PTS span must be
 * the camera's 8 kHz.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <string.h>

#include "arcly-testcam-helper.h"

#define WANT_VIDEO_FRAMES 45
#define WANT_AUDIO_SECONDS 2

typedef struct
{
  GMutex lock;
  guint video_frames;
  guint video_keyframes_first;  /* 1 when the first decoded frame's input
                                 * was a keyframe (set by the depay probe) */
  guint64 audio_samples;
  GstClockTime audio_first_pts, audio_end;
  gint audio_rate, audio_channels;
  gchar *audio_format;
} Counts;

static GstFlowReturn
on_video_sample (GstElement * sink, gpointer user_data)
{
  Counts *c = user_data;
  GstSample *s = NULL;

  g_signal_emit_by_name (sink, "pull-sample", &s);
  if (s == NULL)
    return GST_FLOW_EOS;
  g_mutex_lock (&c->lock);
  c->video_frames++;
  g_mutex_unlock (&c->lock);
  gst_sample_unref (s);
  return GST_FLOW_OK;
}

static GstFlowReturn
on_audio_sample (GstElement * sink, gpointer user_data)
{
  Counts *c = user_data;
  GstSample *s = NULL;
  GstBuffer *buf;
  GstStructure *st;

  g_signal_emit_by_name (sink, "pull-sample", &s);
  if (s == NULL)
    return GST_FLOW_EOS;
  buf = gst_sample_get_buffer (s);
  st = gst_caps_get_structure (gst_sample_get_caps (s), 0);
  g_mutex_lock (&c->lock);
  gst_structure_get_int (st, "rate", &c->audio_rate);
  gst_structure_get_int (st, "channels", &c->audio_channels);
  if (c->audio_format == NULL)
    c->audio_format = g_strdup (gst_structure_get_string (st, "format"));
  if (GST_BUFFER_PTS_IS_VALID (buf)) {
    if (!GST_CLOCK_TIME_IS_VALID (c->audio_first_pts))
      c->audio_first_pts = GST_BUFFER_PTS (buf);
    else
      /* only samples after the first buffer's PTS span the measured time */
      c->audio_samples += gst_buffer_get_size (buf) / 2;
    c->audio_end = GST_BUFFER_PTS (buf);
  }
  g_mutex_unlock (&c->lock);
  gst_sample_unref (s);
  return GST_FLOW_OK;
}

static GstPadProbeReturn
first_au_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Counts *c = user_data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);

  g_mutex_lock (&c->lock);
  c->video_keyframes_first =
      !GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
  g_mutex_unlock (&c->lock);
  return GST_PAD_PROBE_REMOVE;
}

static void
require_elements (const gchar * const *names)
{
  for (; *names; names++) {
    GstElementFactory *f = gst_element_factory_find (*names);

    fail_unless (f != NULL, "element %s is not installed", *names);
    gst_object_unref (f);
  }
}

static const gchar *
caps_field (GstElement * src, const gchar * pad_name, const gchar * field,
    gchar ** keep)
{
  GstPad *pad = gst_element_get_static_pad (src, pad_name);
  GstCaps *caps;
  const gchar *v;

  fail_unless (pad != NULL, "no pad %s", pad_name);
  caps = gst_pad_get_current_caps (pad);
  fail_unless (caps != NULL);
  v = gst_structure_get_string (gst_caps_get_structure (caps, 0), field);
  *keep = g_strdup (v);
  gst_caps_unref (caps);
  gst_object_unref (pad);
  return *keep;
}

/* testcam H.265 + @audio (pcmu|pcma) → arclyrtspsrc → decoders */
static void
check_h265_g711 (const gchar * audio)
{
  gboolean mulaw = strcmp (audio, "pcmu") == 0;
  const gchar *const needed[] = { "x265enc", "avdec_h265", "appsink",
    mulaw ? "rtppcmudepay" : "rtppcmadepay", mulaw ? "mulawdec" : "alawdec",
    NULL
  };
  const gchar *args[] = { "--codec", "h265", "--audio-codec", audio,
    "--gop", "15", NULL
  };
  Counts c = { 0, };
  GError *error = NULL;
  ArclyTestCam *cam;
  GstElement *pipe, *src, *vsink, *asink, *depay;
  GstPad *depay_src;
  GstBus *bus;
  gchar *desc, *keep = NULL;
  gint64 deadline;
  gboolean done = FALSE;
  GstStructure *stats = NULL;
  const GValue *tracks;
  gdouble rate;
  guint i;

  require_elements (needed);
  g_mutex_init (&c.lock);
  c.audio_first_pts = GST_CLOCK_TIME_NONE;
  cam = arcly_test_cam_start (args, &error);
  fail_unless (cam != NULL, "test camera did not start: %s",
      error ? error->message : "?");

  desc = g_strdup_printf ("arclyrtspsrc name=src location=%s "
      "src.video_0 ! arclyh265depay name=d ! avdec_h265 ! "
      "appsink name=vsink sync=false emit-signals=true "
      "src.audio_0 ! %s ! %s ! "
      "appsink name=asink sync=false emit-signals=true",
      arcly_test_cam_get_url (cam), mulaw ? "rtppcmudepay" : "rtppcmadepay",
      mulaw ? "mulawdec" : "alawdec");
  pipe = gst_parse_launch (desc, &error);
  fail_unless (pipe != NULL, "%s", error ? error->message : "");
  g_free (desc);
  src = gst_bin_get_by_name (GST_BIN (pipe), "src");
  vsink = gst_bin_get_by_name (GST_BIN (pipe), "vsink");
  asink = gst_bin_get_by_name (GST_BIN (pipe), "asink");
  depay = gst_bin_get_by_name (GST_BIN (pipe), "d");
  depay_src = gst_element_get_static_pad (depay, "src");
  gst_pad_add_probe (depay_src, GST_PAD_PROBE_TYPE_BUFFER, first_au_probe,
      &c, NULL);
  gst_object_unref (depay_src);
  g_signal_connect (vsink, "new-sample", G_CALLBACK (on_video_sample), &c);
  g_signal_connect (asink, "new-sample", G_CALLBACK (on_audio_sample), &c);
  bus = gst_element_get_bus (pipe);
  fail_unless (gst_element_set_state (pipe, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);

  /* bounded: wait on the bus for an error while the counts grow */
  deadline = g_get_monotonic_time () + 60 * G_TIME_SPAN_SECOND;
  while (!done && g_get_monotonic_time () < deadline) {
    GstMessage *msg = gst_bus_timed_pop_filtered (bus, 100 * GST_MSECOND,
        GST_MESSAGE_ERROR | GST_MESSAGE_WARNING | GST_MESSAGE_EOS);

    if (msg) {
      GError *e = NULL;
      gchar *dbg = NULL;

      if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS)
        fail ("unexpected EOS");
      if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR)
        gst_message_parse_error (msg, &e, &dbg);
      else
        gst_message_parse_warning (msg, &e, &dbg);
      fail ("%s from %s: %s (%s)", GST_MESSAGE_TYPE_NAME (msg),
          GST_MESSAGE_SRC_NAME (msg), e->message, dbg ? dbg : "");
    }
    g_mutex_lock (&c.lock);
    done = c.video_frames >= WANT_VIDEO_FRAMES
        && GST_CLOCK_TIME_IS_VALID (c.audio_first_pts)
        && c.audio_end - c.audio_first_pts >= WANT_AUDIO_SECONDS * GST_SECOND;
    g_mutex_unlock (&c.lock);
  }

  g_mutex_lock (&c.lock);
  fail_unless (done, "%u video frames and %" G_GUINT64_FORMAT
      " audio samples in 60 s", c.video_frames, c.audio_samples);
  fail_unless_equals_int (c.video_keyframes_first, 1);
  fail_unless_equals_int (c.audio_rate, 8000);
  fail_unless_equals_int (c.audio_channels, 1);
  fail_unless_equals_string (c.audio_format, "S16LE");
  /* the samples decoded between the first and the last buffer's PTS are
   * 8000 a second of PTS: timestamps follow the 8 kHz RTP clock, nothing
   * lost or doubled.  The bound is 6 %: while the RTCP sender-report
   * alignment slews a track (at most 1 ms per 20 ms packet, rtspsync.h) the
   * PTS may run up to 5 % off; measured 0-0.6 %.  A wrong clock rate
   * (16 kHz, 48 kHz) or lost packets are far outside it. */
  rate = (gdouble) c.audio_samples * GST_SECOND /
      (gdouble) (c.audio_end - c.audio_first_pts);
  GST_INFO ("%s: %u video frames, audio at %.1f Hz", audio, c.video_frames,
      rate);
  fail_unless (rate > 7520.0 && rate < 8480.0, "audio at %.1f Hz", rate);
  g_mutex_unlock (&c.lock);

  /* the caps come from the SDP: H265 with its parameter sets, G.711 on
   * its static payload type */
  fail_unless_equals_string (caps_field (src, "video_0", "encoding-name",
          &keep), "H265");
  g_free (keep);
  fail_unless (caps_field (src, "video_0", "sprop-vps", &keep) != NULL);
  g_free (keep);
  fail_unless (caps_field (src, "video_0", "sprop-sps", &keep) != NULL);
  g_free (keep);
  fail_unless (caps_field (src, "video_0", "sprop-pps", &keep) != NULL);
  g_free (keep);
  fail_unless_equals_string (caps_field (src, "audio_0", "encoding-name",
          &keep), mulaw ? "PCMU" : "PCMA");
  g_free (keep);

  g_object_get (src, "stats", &stats, NULL);
  tracks = gst_structure_get_value (stats, "tracks");
  fail_unless_equals_int (gst_value_array_get_size (tracks), 2);
  for (i = 0; i < 2; i++) {
    const GstStructure *ts =
        gst_value_get_structure (gst_value_array_get_value (tracks, i));
    const gchar *media = gst_structure_get_string (ts, "media");
    guint64 dpt = 1;

    fail_unless_equals_string (gst_structure_get_string (ts, "encoding-name"),
        strcmp (media, "video") == 0 ? "H265" : mulaw ? "PCMU" : "PCMA");
    fail_unless (gst_structure_get_uint64 (ts, "dropped-payload-type", &dpt));
    fail_unless_equals_uint64 (dpt, 0);
  }
  gst_structure_free (stats);

  fail_unless_equals_int (gst_element_set_state (pipe, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  gst_object_unref (bus);
  gst_object_unref (depay);
  gst_object_unref (vsink);
  gst_object_unref (asink);
  gst_object_unref (src);
  gst_object_unref (pipe);
  fail_unless_equals_int (arcly_test_cam_stop (cam), 0);
  arcly_test_cam_free (cam);
  g_free (c.audio_format);
  g_mutex_clear (&c.lock);
}

GST_START_TEST (test_h265_pcmu)
{
  check_h265_g711 ("pcmu");
}

GST_END_TEST;

GST_START_TEST (test_h265_pcma)
{
  check_h265_g711 ("pcma");
}

GST_END_TEST;

static Suite *
arclyrtspsrc_codecs_suite (void)
{
  Suite *s = suite_create ("arclyrtspsrc_codecs");
  TCase *tc = tcase_create ("testcam");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_h265_pcmu);
  tcase_add_test (tc, test_h265_pcma);
  return s;
}

GST_CHECK_MAIN (arclyrtspsrc_codecs);
