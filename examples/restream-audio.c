/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Cameras as they are, for arcly-restream: which depayloader a camera's
 * track gets at ingest, and what a subscriber (HLS, recorder) does with
 * audio it cannot carry.
 *
 * The stream key carries the camera's audio as the camera sends it: AAC,
 * or G.711 (PCMU/PCMA, 8 kHz) from the stock depayloaders.  RTSP out
 * passes G.711 on as it is (rtppcmupay/rtppcmapay: every RTSP client
 * plays it).  HLS and the recorder carry AAC only, so with --audio=aac
 * (the default) their own pipeline transcodes:
 *
 *   arclybussrc ─audio→ mulawdec|alawdec → audioconvert → audioresample
 *               → 16 kHz mono → fdkaacenc|voaacenc|avenc_aac → sink
 *
 * in that subscriber's pipeline: ingest, RTSP out and the other
 * subscribers never pay for it.  --audio=copy leaves G.711 out of HLS
 * (with a message), --audio=none publishes no audio at all.
 *
 * Threads: restream_audio_adapt() runs in arclybussrc's pad-added (its
 * control thread) and only builds elements in the pipeline it was given.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "restream-audio.h"

/* AAC for HLS from 8 kHz G.711: 16 kHz is a rate every AAC decoder
 * (browsers' included) takes, and holds all G.711 has. */
#define TRANSCODE_RATE 16000
#define TRANSCODE_BITRATE 32000

static const gchar *const mode_names[] = { "aac", "copy", "none" };

gboolean
restream_audio_mode_parse (const gchar * text, RestreamAudioMode * mode)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (mode_names); i++) {
    if (g_strcmp0 (text, mode_names[i]) == 0) {
      *mode = (RestreamAudioMode) i;
      return TRUE;
    }
  }
  return FALSE;
}

const gchar *
restream_audio_mode_name (RestreamAudioMode mode)
{
  return mode < G_N_ELEMENTS (mode_names) ? mode_names[mode] : "?";
}

static GstCaps *
pad_caps (GstPad * pad)
{
  GstCaps *caps = gst_pad_get_current_caps (pad);

  return caps ? caps : gst_pad_query_caps (pad, NULL);
}

/* The depayloader for RTP @caps, or NULL when the track is not used (a
 * message says why). */
static const gchar *
ingest_depayloader (const GstCaps * caps, const gchar * pad_name,
    const gchar * camera)
{
  static const struct
  {
    const gchar *media, *encoding, *factory;
  } map[] = {
    {"video", "H264", "arclyh264depay"},
    {"video", "H265", "arclyh265depay"},
    {"audio", "MPEG4-GENERIC", "arclyaacdepay"},
    {"audio", "PCMU", "rtppcmudepay"},
    {"audio", "PCMA", "rtppcmadepay"},
  };
  const GstStructure *s;
  const gchar *media = NULL, *encoding = NULL, *factory = NULL;
  guint i;

  if (caps && !gst_caps_is_empty (caps)) {
    s = gst_caps_get_structure (caps, 0);
    media = gst_structure_get_string (s, "media");
    encoding = gst_structure_get_string (s, "encoding-name");
  }
  for (i = 0; media && encoding && i < G_N_ELEMENTS (map); i++) {
    if (strcmp (media, map[i].media) == 0 &&
        g_ascii_strcasecmp (encoding, map[i].encoding) == 0)
      factory = map[i].factory;
  }
  if (factory == NULL) {
    g_printerr ("[%s] %s track %s (%s) is not supported: not used\n", camera,
        media ? media : "unknown", pad_name,
        encoding ? encoding : "no encoding-name");
  }
  return factory;
}

typedef struct
{
  GstBin *pipeline;             /* (ref) */
  GstElement *pub;              /* (ref) */
  GstPad *pubpad;               /* (ref) requested at once: the stream set
                                 * is complete when every pad has caps */
  gchar *camera;
} IngestTrack;

static void
ingest_track_free (gpointer data)
{
  IngestTrack *t = data;

  gst_object_unref (t->pubpad);
  gst_object_unref (t->pipeline);
  gst_object_unref (t->pub);
  g_free (t->camera);
  g_free (t);
}

/* The track's caps event, before it goes on: its depayloader, linked to
 * the publisher, now receives it.  Runs in the source's streaming thread,
 * once per pad. */
static GstPadProbeReturn
on_track_caps (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  IngestTrack *t = data;
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  GstCaps *caps;
  const gchar *factory;
  GstElement *depay;
  GstPad *sinkpad;

  if (GST_EVENT_TYPE (event) != GST_EVENT_CAPS)
    return GST_PAD_PROBE_OK;
  gst_event_parse_caps (event, &caps);
  factory = ingest_depayloader (caps, GST_PAD_NAME (pad), t->camera);
  depay = factory ? gst_element_factory_make (factory, NULL) : NULL;
  if (factory && depay == NULL)
    g_printerr ("[%s] element %s is missing: %s not used\n", t->camera,
        factory, GST_PAD_NAME (pad));
  if (depay == NULL) {
    /* not published: the others do not wait for it */
    gst_element_release_request_pad (t->pub, t->pubpad);
    return GST_PAD_PROBE_REMOVE;
  }
  gst_bin_add (t->pipeline, depay);
  sinkpad = gst_element_get_static_pad (depay, "src");
  if (gst_pad_link (sinkpad, t->pubpad) != GST_PAD_LINK_OK)
    g_printerr ("[%s] cannot publish %s\n", t->camera, GST_PAD_NAME (pad));
  gst_object_unref (sinkpad);
  gst_element_sync_state_with_parent (depay);
  sinkpad = gst_element_get_static_pad (depay, "sink");
  if (gst_pad_link (pad, sinkpad) != GST_PAD_LINK_OK)
    g_printerr ("[%s] cannot link %s\n", t->camera, GST_PAD_NAME (pad));
  gst_object_unref (sinkpad);
  return GST_PAD_PROBE_REMOVE;
}

/* A camera's RTP pad @pad (arclyrtspsrc, no caps yet): when its caps come,
 * it gets the depayloader for its encoding (H.264, H.265, AAC, G.711)
 * publishing into @pub, or none (a message says why). */
void
restream_ingest_link (GstPad * pad, GstBin * pipeline, GstElement * pub,
    RestreamAudioMode mode, const gchar * camera)
{
  IngestTrack *t;
  GstPad *pubpad;

  if (mode == RESTREAM_AUDIO_NONE && g_str_has_prefix (GST_PAD_NAME (pad),
          "audio_")) {
    g_print ("[%s] audio not used (--audio=none)\n", camera);
    return;
  }
  pubpad = gst_element_request_pad_simple (pub, "sink_%u");
  if (pubpad == NULL) {
    g_printerr ("[%s] cannot publish %s\n", camera, GST_PAD_NAME (pad));
    return;
  }
  t = g_new0 (IngestTrack, 1);
  t->pipeline = gst_object_ref (pipeline);
  t->pub = gst_object_ref (pub);
  t->pubpad = pubpad;
  t->camera = g_strdup (camera);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, on_track_caps,
      t, ingest_track_free);
}

/* ------------------------------------------------------ subscribers */

typedef struct
{
  RestreamAudioMode mode;
  gchar *camera;
} AudioConfig;

static void
audio_config_free (gpointer data)
{
  AudioConfig *config = data;

  g_free (config->camera);
  g_free (config);
}

/* How the subscriber whose sink is @sink treats audio it cannot carry. */
void
restream_audio_set_mode (GstElement * sink, RestreamAudioMode mode,
    const gchar * camera)
{
  AudioConfig *config = g_new0 (AudioConfig, 1);

  config->mode = mode;
  config->camera = g_strdup (camera);
  g_object_set_data_full (G_OBJECT (sink), "restream-audio", config,
      audio_config_free);
}

static GstElement *
make_aac_encoder (void)
{
  static const gchar *const encoders[] = { "fdkaacenc", "voaacenc",
    "avenc_aac"
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (encoders); i++) {
    GstElement *enc = gst_element_factory_make (encoders[i], NULL);

    if (enc) {
      if (g_object_class_find_property (G_OBJECT_GET_CLASS (enc), "bitrate"))
        g_object_set (enc, "bitrate", TRANSCODE_BITRATE, NULL);
      return enc;
    }
  }
  return NULL;
}

/* @pad's stream goes nowhere in @bin, so it cannot stall the others. */
static void
consume (GstBin * bin, GstPad * pad)
{
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);
  GstPad *sinkpad;

  g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
  gst_bin_add (bin, sink);
  sinkpad = gst_element_get_static_pad (sink, "sink");
  gst_pad_link (pad, sinkpad);
  gst_object_unref (sinkpad);
  gst_element_sync_state_with_parent (sink);
}

/* G.711 (@decoder) → AAC in @bin; returns the encoder's src pad, or NULL
 * when an element is missing. */
static GstPad *
transcode (GstBin * bin, GstPad * pad, const gchar * decoder,
    const gchar ** encoder_name)
{
  GstElement *e[5] = { gst_element_factory_make (decoder, NULL),
    gst_element_factory_make ("audioconvert", NULL),
    gst_element_factory_make ("audioresample", NULL),
    gst_element_factory_make ("capsfilter", NULL), make_aac_encoder ()
  };
  GstCaps *caps;
  GstPad *sinkpad;
  gboolean ok = TRUE;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (e); i++)
    ok &= e[i] != NULL;
  if (!ok) {
    for (i = 0; i < G_N_ELEMENTS (e); i++)
      gst_clear_object (&e[i]);
    return NULL;
  }
  caps = gst_caps_new_simple ("audio/x-raw", "rate", G_TYPE_INT,
      TRANSCODE_RATE, "channels", G_TYPE_INT, 1, NULL);
  g_object_set (e[3], "caps", caps, NULL);
  gst_caps_unref (caps);
  *encoder_name = GST_OBJECT_NAME (gst_element_get_factory (e[4]));
  for (i = 0; i < G_N_ELEMENTS (e); i++)
    gst_bin_add (bin, e[i]);
  ok = gst_element_link_many (e[0], e[1], e[2], e[3], e[4], NULL);
  sinkpad = gst_element_get_static_pad (e[0], "sink");
  ok = ok && gst_pad_link (pad, sinkpad) == GST_PAD_LINK_OK;
  gst_object_unref (sinkpad);
  /* downstream first, so nothing pushes into an element not yet started */
  for (i = G_N_ELEMENTS (e); i > 0; i--) {
    if (ok)
      gst_element_sync_state_with_parent (e[i - 1]);
    else
      gst_bin_remove (bin, e[i - 1]);
  }
  return ok ? gst_element_get_static_pad (e[4], "src") : NULL;
}

/* An audio pad @pad of a subscriber's arclybussrc, whose sink is @sink:
 * returns (a ref to) the pad to link to the sink — @pad itself for AAC,
 * the end of a transcoding branch for G.711 — or NULL when the stream is
 * consumed here (audio the sink cannot carry, a message says so). */
GstPad *
restream_audio_adapt (GstElement * sink, GstPad * pad)
{
  AudioConfig *config = g_object_get_data (G_OBJECT (sink), "restream-audio");
  GstBin *bin = GST_BIN (GST_OBJECT_PARENT (sink));
  RestreamAudioMode mode = config ? config->mode : RESTREAM_AUDIO_DEFAULT;
  const gchar *camera = config ? config->camera : "?";
  const gchar *what = GST_OBJECT_NAME (sink);
  GstCaps *caps = pad_caps (pad);
  const gchar *name = caps && !gst_caps_is_empty (caps) ?
      gst_structure_get_name (gst_caps_get_structure (caps, 0)) : "";
  const gchar *decoder = NULL, *label = NULL, *encoder = NULL;
  GstPad *out = NULL;

  if (strcmp (name, "audio/mpeg") == 0) {
    gst_caps_unref (caps);
    return gst_object_ref (pad);
  }
  if (strcmp (name, "audio/x-mulaw") == 0) {
    decoder = "mulawdec";
    label = "G.711 PCMU";
  } else if (strcmp (name, "audio/x-alaw") == 0) {
    decoder = "alawdec";
    label = "G.711 PCMA";
  }
  if (decoder && mode == RESTREAM_AUDIO_AAC) {
    out = transcode (bin, pad, decoder, &encoder);
    if (out)
      g_print ("[%s] %s: %s audio is transcoded to AAC (%s, %d Hz)\n",
          camera, what, label, encoder, TRANSCODE_RATE);
    else
      g_printerr ("[%s] %s: cannot transcode %s audio to AAC (mulawdec/"
          "alawdec, audioconvert, audioresample and an AAC encoder: "
          "fdkaacenc, voaacenc or avenc_aac): no audio\n", camera, what,
          label);
  } else if (decoder) {
    g_print ("[%s] %s: %s audio cannot be carried: dropped (--audio=copy; "
        "--audio=aac transcodes it)\n", camera, what, label);
  } else {
    g_printerr ("[%s] %s: audio %s cannot be carried: dropped\n", camera,
        what, name);
  }
  if (out == NULL && !gst_pad_is_linked (pad))
    consume (bin, pad);
  if (caps)
    gst_caps_unref (caps);
  return out;
}
