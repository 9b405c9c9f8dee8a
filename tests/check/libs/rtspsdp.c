/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Unit tests of SDP → tracks/caps (gst/arclyrtspsrc/rtspsdp.c), including
 * the faults real cameras send, every truncated prefix and hostile bytes.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <string.h>

#include "rtspsdp.h"

/* DESCRIBE reply body of tools/arcly-testcam (gst-rtsp-server 1.22,
 * x264enc + voaacenc), captured with arclyrtspsrc's debug log. */
static const gchar testcam_sdp[] =
    "v=0\r\n"
    "o=- 1188340656180883 1 IN IP4 127.0.0.1\r\n"
    "s=Session streamed with GStreamer\r\n"
    "i=rtsp-server\r\n"
    "t=0 0\r\n"
    "a=tool:GStreamer\r\n"
    "a=type:broadcast\r\n"
    "a=range:npt=now-\r\n"
    "a=control:rtsp://127.0.0.1:8554/cam\r\n"
    "m=video 0 RTP/AVP 96\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "b=AS:2000\r\n"
    "a=rtpmap:96 H264/90000\r\n"
    "a=framerate:30\r\n"
    "a=fmtp:96 packetization-mode=1;sprop-parameter-sets=Z0LAHtkAoC/5YQAAAwABAAADADwPFi5I,aMuMsg==;profile-level-id=42c01e;level-asymmetry-allowed=1\r\n"
    "a=control:rtsp://127.0.0.1:8554/cam/stream=0\r\n"
    "m=audio 0 RTP/AVP 97\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=rtpmap:97 MPEG4-GENERIC/44100/2\r\n"
    "a=fmtp:97 streamtype=5;profile-level-id=2;mode=AAC-hbr;config=1210;sizelength=13;indexlength=3;indexdeltalength=3\r\n"
    "a=control:rtsp://127.0.0.1:8554/cam/stream=1\r\n";

/* Fault collection modelled on cameras in the field: a Hikvision-style
 * duplicated c= line, an origin without address type, no v=/s=, bare LF,
 * mixed-case fmtp keys (SizeLength), sprop-parameter-sets with Annex-B
 * start codes inside the base64, relative controls. */
static const gchar faulty_sdp[] =
    "o=- 1 1 IN 192.168.1.64\n"
    "c=IN c=IN IP4 192.168.1.64\n"
    "t=0 0\n"
    "garbage line without type\n"
    "m=video 0 RTP/AVP 96\n"
    "a=rtpmap:96 h264/90000\n"
    "a=fmtp:96 Packetization-Mode=1; Sprop-Parameter-Sets=AAAAAWdCwB7ZAKAv+WEAAAMAAQAAAwA8DxYuSA==,AAAAAWjLjLI=; profile-level-id=42C01E\n"
    "a=control:trackID=1\n"
    "m=audio 0 RTP/AVP 97\n"
    "a=rtpmap:97 mpeg4-generic/16000/1\n"
    "a=fmtp:97 StreamType=5; Mode=AAC-hbr; Config=1408; SizeLength=13; IndexLength=3; IndexDeltaLength=3\n"
    "a=control:trackID=2\n"
    "m=application 0 RTP/AVP 107\n" "a=rtpmap:107 vnd.onvif.metadata/90000\n";

/* DESCRIBE reply body of `arcly-testcam --codec h265 --audio-codec pcmu`
 * (gst-rtsp-server 1.22, x265enc + rtph265pay, mulawenc + rtppcmupay). */
static const gchar testcam_h265_sdp[] =
    "v=0\r\n"
    "o=- 6201615631637381990 1 IN IP4 127.0.0.1\r\n"
    "s=Session streamed with GStreamer\r\n"
    "i=rtsp-server\r\n"
    "t=0 0\r\n"
    "a=tool:GStreamer\r\n"
    "a=type:broadcast\r\n"
    "a=control:*\r\n"
    "a=range:npt=now-\r\n"
    "m=video 0 RTP/AVP 96\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=rtpmap:96 H265/90000\r\n"
    "a=framerate:30\r\n"
    "a=fmtp:96 sprop-vps=QAEMAf//AWAAAAMAkAAAAwAAAwA/ugJA;sprop-sps=QgEBAWAAAAMAkAAAAwAAAwA/oAUCAXHy5bpKTC//AAEAAWoMDAwIAAADAAgAAAMA8EA=;sprop-pps=RAHAcYMS\r\n"
    "a=control:stream=0\r\n"
    "a=ts-refclk:local\r\n"
    "a=mediaclk:sender\r\n"
    "a=ssrc:994940668 cname:user794472957@host-d5bb9738\r\n"
    "m=audio 0 RTP/AVP 0\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "b=AS:64\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=control:stream=1\r\n"
    "a=ts-refclk:local\r\n"
    "a=mediaclk:sender\r\n"
    "a=ssrc:2040474343 cname:user794472957@host-d5bb9738\r\n";

/* An H.265 camera as many are in the field: lower-case rtpmap name,
 * mixed-case fmtp keys, the parameter sets base64'd with their Annex-B
 * start codes, DONL in use (sprop-max-don-diff), and G.711 A-law on the
 * static payload type 8 with no rtpmap at all (RFC 3551 §6). */
static const gchar camera_h265_sdp[] =
    "v=0\n"
    "o=- 1 1 IN IP4 192.168.1.64\n"
    "s=Media Presentation\n"
    "t=0 0\n"
    "a=control:*\n"
    "m=video 0 RTP/AVP 98\n"
    "a=rtpmap:98 h265/90000\n"
    "a=fmtp:98 Profile-Space=0; profile-id=1; tier-flag=0; level-id=93; "
    "Sprop-Max-Don-Diff=2; "
    "sprop-vps=AAAAAUABDAH//wFgAAADAJAAAAMAAAMAP7oCQA==; "
    "sprop-sps=AAABQgEBAWAAAAMAkAAAAwAAAwA/oAUCAXHy5bpKTC//AAEAAWoMDAwIAAADAAgAAAMA8EA=; "
    "Sprop-PPS=AAAAAUQBwHGDEg==\n"
    "a=control:trackID=1\n"
    "m=audio 0 RTP/AVP 8\n"
    "a=control:trackID=2\n";

static const gchar *
field (ArclyRtspTrack * t, const gchar * name)
{
  return gst_structure_get_string (gst_caps_get_structure (t->caps, 0), name);
}

static gint
int_field (ArclyRtspTrack * t, const gchar * name)
{
  gint v = -1;

  fail_unless (gst_structure_get_int (gst_caps_get_structure (t->caps, 0),
          name, &v));
  return v;
}

GST_START_TEST (test_testcam_sdp)
{
  gchar *ctrl = NULL;
  GPtrArray *tracks = arcly_rtsp_sdp_parse ((const guint8 *) testcam_sdp,
      strlen (testcam_sdp), &ctrl, NULL);
  ArclyRtspTrack *v, *a;

  fail_unless (tracks != NULL);
  fail_unless_equals_int (tracks->len, 2);
  fail_unless_equals_string (ctrl, "rtsp://127.0.0.1:8554/cam");
  v = g_ptr_array_index (tracks, 0);
  a = g_ptr_array_index (tracks, 1);
  fail_unless_equals_int (v->type, ARCLY_RTSP_TRACK_VIDEO);
  fail_unless_equals_int (v->pt, 96);
  fail_unless_equals_int (v->clock_rate, 90000);
  fail_unless_equals_string (v->control,
      "rtsp://127.0.0.1:8554/cam/stream=0");
  fail_unless_equals_string (field (v, "media"), "video");
  fail_unless_equals_string (field (v, "encoding-name"), "H264");
  fail_unless_equals_int (int_field (v, "payload"), 96);
  fail_unless_equals_int (int_field (v, "clock-rate"), 90000);
  fail_unless_equals_string (field (v, "packetization-mode"), "1");
  fail_unless_equals_string (field (v, "profile-level-id"), "42c01e");
  fail_unless_equals_string (field (v, "sprop-parameter-sets"),
      "Z0LAHtkAoC/5YQAAAwABAAADADwPFi5I,aMuMsg==");
  fail_unless (gst_caps_is_fixed (v->caps));

  fail_unless_equals_int (a->type, ARCLY_RTSP_TRACK_AUDIO);
  fail_unless_equals_string (field (a, "encoding-name"), "MPEG4-GENERIC");
  fail_unless_equals_int (int_field (a, "clock-rate"), 44100);
  fail_unless_equals_string (field (a, "encoding-params"), "2");
  fail_unless_equals_string (field (a, "mode"), "AAC-hbr");
  fail_unless_equals_string (field (a, "config"), "1210");
  fail_unless_equals_string (field (a, "sizelength"), "13");
  fail_unless_equals_string (field (a, "indexlength"), "3");
  fail_unless_equals_string (field (a, "indexdeltalength"), "3");
  fail_unless_equals_string (field (a, "streamtype"), "5");
  g_ptr_array_unref (tracks);
  g_free (ctrl);
}

GST_END_TEST;

GST_START_TEST (test_faulty_sdp)
{
  gchar *ctrl = NULL;
  gchar *clean = arcly_rtsp_sdp_clean ((const guint8 *) faulty_sdp,
      strlen (faulty_sdp));
  GPtrArray *tracks;
  ArclyRtspTrack *v, *a;

  fail_unless (g_str_has_prefix (clean, "v=0\r\no=- 1 1 IN IP4 192.168.1.64\r\n"
          "s=-\r\nc=IN IP4 192.168.1.64\r\n"), "%s", clean);
  fail_if (strstr (clean, "garbage") != NULL);
  g_free (clean);

  tracks = arcly_rtsp_sdp_parse ((const guint8 *) faulty_sdp,
      strlen (faulty_sdp), &ctrl, NULL);
  fail_unless (tracks != NULL);
  fail_unless (ctrl == NULL);
  /* the ONVIF metadata track is not audio/video */
  fail_unless_equals_int (tracks->len, 2);
  v = g_ptr_array_index (tracks, 0);
  a = g_ptr_array_index (tracks, 1);
  fail_unless_equals_string (field (v, "encoding-name"), "H264");
  fail_unless_equals_string (v->control, "trackID=1");
  fail_unless_equals_string (field (v, "packetization-mode"), "1");
  fail_unless_equals_string (field (v, "sprop-parameter-sets"),
      "Z0LAHtkAoC/5YQAAAwABAAADADwPFi5I,aMuMsg==");
  fail_unless_equals_string (field (v, "profile-level-id"), "42C01E");
  fail_unless_equals_string (field (a, "sizelength"), "13");
  fail_unless_equals_string (field (a, "indexlength"), "3");
  fail_unless_equals_string (field (a, "indexdeltalength"), "3");
  fail_unless_equals_string (field (a, "config"), "1408");
  fail_unless_equals_string (field (a, "mode"), "AAC-hbr");
  fail_unless (field (a, "SizeLength") == NULL);
  fail_unless_equals_int (int_field (a, "clock-rate"), 16000);
  g_ptr_array_unref (tracks);
}

GST_END_TEST;

GST_START_TEST (test_sprop_fix)
{
  gchar *s;

  /* one blob holding SPS and PPS each with a 4-byte start code */
  {
    static const guint8 blob[] = { 0, 0, 0, 1, 0x67, 0x42, 0xc0, 0x1e,
      0, 0, 0, 1, 0x68, 0xce, 0x3c, 0x80
    };
    gchar *b64 = g_base64_encode (blob, sizeof (blob));

    s = arcly_rtsp_sdp_fix_sprop (b64);
    fail_unless_equals_string (s, "Z0LAHg==,aM48gA==");
    g_free (s);
    g_free (b64);
  }
  /* already clean values are kept */
  s = arcly_rtsp_sdp_fix_sprop ("Z0LAHg==, aM48gA==");
  fail_unless_equals_string (s, "Z0LAHg==,aM48gA==");
  g_free (s);
  /* 3-byte start code */
  s = arcly_rtsp_sdp_fix_sprop ("AAABZ0LAHg==");
  fail_unless_equals_string (s, "Z0LAHg==");
  g_free (s);
  s = arcly_rtsp_sdp_fix_sprop ("");
  fail_unless_equals_string (s, "");
  g_free (s);
}

GST_END_TEST;

GST_START_TEST (test_static_and_missing)
{
  static const gchar sdp[] =
      "v=0\r\nm=audio 0 RTP/AVP 0\r\n"
      "m=video 0 RTP/AVP 98\r\n"        /* dynamic without rtpmap: skipped */
      "m=video 0 RTP/AVP 26\r\n"
      "m=audio 0 RTP/AVP 300\r\n" "m=video 0 RTP/AVP\r\n";
  GPtrArray *tracks = arcly_rtsp_sdp_parse ((const guint8 *) sdp,
      strlen (sdp), NULL, NULL);

  fail_unless (tracks != NULL);
  fail_unless_equals_int (tracks->len, 2);
  fail_unless_equals_string (field (g_ptr_array_index (tracks, 0),
          "encoding-name"), "PCMU");
  fail_unless_equals_int (((ArclyRtspTrack *) g_ptr_array_index (tracks,
              1))->index, 2);
  g_ptr_array_unref (tracks);
}

GST_END_TEST;

GST_START_TEST (test_testcam_h265_pcmu)
{
  gchar *ctrl = NULL;
  GPtrArray *tracks = arcly_rtsp_sdp_parse ((const guint8 *) testcam_h265_sdp,
      strlen (testcam_h265_sdp), &ctrl, NULL);
  ArclyRtspTrack *v, *a;

  fail_unless (tracks != NULL);
  fail_unless_equals_int (tracks->len, 2);
  fail_unless_equals_string (ctrl, "*");
  v = g_ptr_array_index (tracks, 0);
  a = g_ptr_array_index (tracks, 1);
  fail_unless_equals_int (v->type, ARCLY_RTSP_TRACK_VIDEO);
  fail_unless_equals_int (v->pt, 96);
  fail_unless_equals_string (v->encoding_name, "H265");
  fail_unless_equals_int (v->clock_rate, 90000);
  fail_unless_equals_string (v->control, "stream=0");
  fail_unless_equals_string (field (v, "media"), "video");
  fail_unless_equals_string (field (v, "encoding-name"), "H265");
  fail_unless_equals_int (int_field (v, "payload"), 96);
  fail_unless_equals_int (int_field (v, "clock-rate"), 90000);
  fail_unless_equals_string (field (v, "sprop-vps"),
      "QAEMAf//AWAAAAMAkAAAAwAAAwA/ugJA");
  fail_unless_equals_string (field (v, "sprop-sps"),
      "QgEBAWAAAAMAkAAAAwAAAwA/oAUCAXHy5bpKTC//AAEAAWoMDAwIAAADAAgAAAMA8EA=");
  fail_unless_equals_string (field (v, "sprop-pps"), "RAHAcYMS");
  fail_unless (field (v, "sprop-max-don-diff") == NULL);
  fail_unless (gst_caps_is_fixed (v->caps));

  fail_unless_equals_int (a->type, ARCLY_RTSP_TRACK_AUDIO);
  fail_unless_equals_int (a->pt, 0);
  fail_unless_equals_string (a->encoding_name, "PCMU");
  fail_unless_equals_int (a->clock_rate, 8000);
  fail_unless_equals_string (field (a, "media"), "audio");
  fail_unless_equals_string (field (a, "encoding-name"), "PCMU");
  fail_unless_equals_int (int_field (a, "payload"), 0);
  fail_unless_equals_int (int_field (a, "clock-rate"), 8000);
  fail_unless (gst_caps_is_fixed (a->caps));
  g_ptr_array_unref (tracks);
  g_free (ctrl);
}

GST_END_TEST;

GST_START_TEST (test_camera_h265_pcma)
{
  GPtrArray *tracks = arcly_rtsp_sdp_parse ((const guint8 *) camera_h265_sdp,
      strlen (camera_h265_sdp), NULL, NULL);
  ArclyRtspTrack *v, *a;

  fail_unless (tracks != NULL);
  fail_unless_equals_int (tracks->len, 2);
  v = g_ptr_array_index (tracks, 0);
  a = g_ptr_array_index (tracks, 1);
  fail_unless_equals_string (field (v, "encoding-name"), "H265");
  fail_unless_equals_int (int_field (v, "payload"), 98);
  /* start codes removed, so the depayloader gets bare NAL units */
  fail_unless_equals_string (field (v, "sprop-vps"),
      "QAEMAf//AWAAAAMAkAAAAwAAAwA/ugJA");
  fail_unless_equals_string (field (v, "sprop-sps"),
      "QgEBAWAAAAMAkAAAAwAAAwA/oAUCAXHy5bpKTC//AAEAAWoMDAwIAAADAAgAAAMA8EA=");
  fail_unless_equals_string (field (v, "sprop-pps"), "RAHAcYMS");
  fail_unless_equals_string (field (v, "sprop-max-don-diff"), "2");
  fail_unless_equals_string (field (v, "profile-id"), "1");
  fail_unless_equals_string (field (v, "level-id"), "93");
  fail_unless_equals_string (v->control, "trackID=1");

  /* static payload type 8 without rtpmap: PCMA/8000 */
  fail_unless_equals_int (a->type, ARCLY_RTSP_TRACK_AUDIO);
  fail_unless_equals_int (a->pt, 8);
  fail_unless_equals_string (field (a, "encoding-name"), "PCMA");
  fail_unless_equals_int (int_field (a, "clock-rate"), 8000);
  fail_unless_equals_int (int_field (a, "payload"), 8);
  fail_unless_equals_string (a->control, "trackID=2");
  g_ptr_array_unref (tracks);
}

GST_END_TEST;

/* The caps of G.711 tracks are ones the stock depayloaders accept: checked
 * against rtppcmudepay/rtppcmadepay's own sink templates (gst-plugins-good,
 * which the test camera needs anyway). */
GST_START_TEST (test_g711_caps_accepted)
{
  static const gchar sdp[] =
      "v=0\r\n"
      "m=audio 0 RTP/AVP 0\r\n"
      "m=audio 0 RTP/AVP 8\r\n"
      "m=audio 0 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000/1\r\n"
      "m=audio 0 RTP/AVP 110\r\na=rtpmap:110 pcma/8000\r\n";
  static const gchar *const depay[] = { "rtppcmudepay", "rtppcmadepay",
    "rtppcmudepay", "rtppcmadepay"
  };
  GPtrArray *tracks = arcly_rtsp_sdp_parse ((const guint8 *) sdp,
      strlen (sdp), NULL, NULL);
  guint i;

  fail_unless (tracks != NULL);
  fail_unless_equals_int (tracks->len, 4);
  for (i = 0; i < tracks->len; i++) {
    ArclyRtspTrack *t = g_ptr_array_index (tracks, i);
    GstElementFactory *f = gst_element_factory_find (depay[i]);
    const GList *l;
    gboolean ok = FALSE;

    fail_unless_equals_int (t->clock_rate, 8000);
    fail_unless_equals_string (t->encoding_name, i % 2 ? "PCMA" : "PCMU");
    fail_unless (f != NULL, "%s is not installed", depay[i]);
    for (l = gst_element_factory_get_static_pad_templates (f); l; l = l->next) {
      GstStaticPadTemplate *tpl = l->data;
      GstCaps *tcaps;

      if (tpl->direction != GST_PAD_SINK)
        continue;
      tcaps = gst_static_caps_get (&tpl->static_caps);
      ok = ok || gst_caps_can_intersect (tcaps, t->caps);
      gst_caps_unref (tcaps);
    }
    fail_unless (ok, "%s refuses %" GST_PTR_FORMAT, depay[i], t->caps);
    gst_object_unref (f);
  }
  g_ptr_array_unref (tracks);
}

GST_END_TEST;

GST_START_TEST (test_prefixes_and_hostile)
{
  const gchar *samples[] = { testcam_sdp, faulty_sdp, testcam_h265_sdp,
    camera_h265_sdp
  };
  GRand *rand = g_rand_new_with_seed (42);
  guint s, i;

  for (s = 0; s < G_N_ELEMENTS (samples); s++) {
    gsize full = strlen (samples[s]), n;

    for (n = 0; n <= full; n++) {
      guint8 *copy = g_memdup2 (samples[s], n);
      GPtrArray *tracks = arcly_rtsp_sdp_parse (copy, n, NULL, NULL);

      if (tracks) {
        fail_unless (tracks->len <= 2);
        for (i = 0; i < tracks->len; i++) {
          ArclyRtspTrack *t = g_ptr_array_index (tracks, i);
          gchar *str = gst_caps_to_string (t->caps);
          GstCaps *back = gst_caps_from_string (str);

          /* the caps survive serialisation (valid field names/values) */
          fail_unless (back != NULL, "%s", str);
          gst_caps_unref (back);
          g_free (str);
        }
        g_ptr_array_unref (tracks);
      }
      g_free (copy);
    }
  }
  for (i = 0; i < 3000; i++) {
    gsize len = strlen (testcam_sdp), k;
    guint8 *copy = g_memdup2 (testcam_sdp, len);
    GPtrArray *tracks;

    for (k = 0; k < 8; k++)
      copy[g_rand_int_range (rand, 0, len)] = (guint8) g_rand_int (rand);
    tracks = arcly_rtsp_sdp_parse (copy, len, NULL, NULL);
    if (tracks)
      g_ptr_array_unref (tracks);
    g_free (copy);
  }
  g_rand_free (rand);
}

GST_END_TEST;

static Suite *
rtspsdp_suite (void)
{
  Suite *s = suite_create ("rtspsdp");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_testcam_sdp);
  tcase_add_test (tc, test_faulty_sdp);
  tcase_add_test (tc, test_sprop_fix);
  tcase_add_test (tc, test_static_and_missing);
  tcase_add_test (tc, test_testcam_h265_pcmu);
  tcase_add_test (tc, test_camera_h265_pcma);
  tcase_add_test (tc, test_g711_caps_accepted);
  tcase_add_test (tc, test_prefixes_and_hostile);
  return s;
}

GST_CHECK_MAIN (rtspsdp);
