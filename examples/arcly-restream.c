/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * arcly-restream: cameras in, Low-Latency HLS out to a browser.
 *
 * Per camera, an ingest pipeline publishes the camera under its name (the
 * stream key) and every consumer is a pipeline of its own subscribing to it:
 *
 *   ingest:   arclyrtspsrc ─video_0→ arclyh264depay ─→ arclybussink stream-key=NAME
 *                          └audio_0→ arclyaacdepay  ─┘
 *   HLS:      arclybussrc stream-key=NAME → arclyhlssink
 *   recorder: arclybussrc stream-key=NAME → splitmuxsink (--record; SIGHUP
 *             closes the files and starts a new recorder)
 *   RTSP:     one media per client group, arclybussrc → RTP payloaders
 *             (restream-rtsp.c)
 *
 * The stream key is the point: subscribers start from the GOP cache, come
 * and go (the recorder is restarted) while the camera keeps streaming, and
 * a slow subscriber never holds the camera or another subscriber back.
 *
 * An HTTP server (libsoup 3) serves the playlists and segments and an index
 * page playing every camera in hls.js.  It is a Low-Latency HLS origin
 * (restream-origin.c): each camera's HLS sink hands its playlists, parts
 * and segments over in memory (restream-store.c; written to --output too
 * when given), playlist requests with _HLS_msn/_HLS_part are held until
 * that part exists (RFC 8216bis §6.2.5.2), and a request for the part
 * named in EXT-X-PRELOAD-HINT is held until the part is written, both
 * woken by the writer closing it.
 *
 * Threads: the GLib main loop (HTTP, bus watches, status, signals) is the
 * only thread that touches Camera and Waiter state; GStreamer streaming
 * threads only post messages.  No locks are needed for that reason.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib-unix.h>
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <libsoup/soup.h>

#include "restream-audio.h"
#include "restream-http.h"
#include "restream-input.h"
#include "restream-origin.h"
#include "restream-playlist.h"
#include "restream-rtsp.h"
#include "restream-tls.h"
#include "restream-webrtc.h"
#include "rtspurl.h"

#define DEFAULT_HTTP_PORT 8080
#define DEFAULT_RTSP_PORT 8554
#define DEFAULT_TARGET_DURATION 2
#define DEFAULT_PART_MS 200
/* An RTSP camera is read once per this many ms while nothing but HLS and
 * the recorder take it: 38 % less CPU per camera than a read per packet
 * burst (bench/RESULTS.md), for at most that much more HLS latency.  A
 * WebRTC viewer or RTSP client of the camera turns the pacing off while it
 * watches. */
#define DEFAULT_READ_INTERVAL_MS 100
#define CONSUMERS_INTERVAL_MS 500
#define STATUS_INTERVAL_S 5
#define DEFAULT_MAX_CLIENTS 1000
#define DEFAULT_IDLE_TIMEOUT_S 30
/* fds kept from HTTP clients for everything else: the process, GLib and
 * GStreamer, and per camera its RTSP socket, the files the HLS writer and
 * the recorder have open, and the pipeline's own. */
#define FD_RESERVE_BASE 48
#define FD_RESERVE_PER_CAMERA 16

typedef struct _App App;

typedef struct
{
  App *app;
  gchar *name;
  gchar *url;                   /* with credentials: never print it */
  gchar *display_url;           /* without */
  gchar *dir;                   /* output folder of this camera, or NULL */
  RestreamOriginCamera *http;   /* its objects and held requests */
  GstElement *pipeline;         /* ingest: camera → arclybussink */
  GstElement *src;
  GstElement *pub;              /* arclybussink stream-key=NAME */
  GstElement *hls_pipeline;     /* arclybussrc → arclyhlssink */
  GstElement *recorder;         /* arclybussrc → splitmuxsink, or NULL */
  gboolean have_video, have_audio;
  gboolean eos;                 /* the HLS pipeline ended */
  gboolean rec_eos;             /* no recorder running */
  gboolean rec_restart;         /* start a new recorder when this one ends */
  guint rec_files;              /* recording files opened so far */
  guint bus_watch, hls_watch, rec_watch;
  GMutex part_lock;             /* the two below: set on the HLS thread */
  gint64 last_part_time;        /* monotonic us of the last part/segment */
  gdouble hls_latency;          /* s, from the sink's messages, -1 unknown */
  guint reconnects;
  gchar *state;
  RestreamInput *input;         /* SRT, UDP, RTP, RTMP; NULL: RTSP */
  guint64 last_bytes;           /* published, at the last status */
  gint64 last_bytes_time;
  guint64 bitrate;              /* bit/s over the last status interval */
  gint read_interval;           /* ms, as set on src (its default: 0) */
  guint low_latency_viewers;    /* subscribers beyond HLS and recorder */
} Camera;

struct _App
{
  GMainLoop *loop;
  GPtrArray *cameras;
  SoupServer *server;
  RestreamHttp *http;
  RestreamOrigin *origin;
  RestreamRtsp *rtsp;           /* NULL: RTSP out off */
  gchar *out_dir;               /* NULL: nothing is written to disk */
  gboolean serve_files;         /* serve --output's files, not memory */
  RestreamWebrtc *webrtc;       /* WHEP out, WHIP in (restream-webrtc.c) */
  gchar *web_dir;
  gchar *record_dir;
  gint http_port;
  gchar *bind;
  gint target_duration;
  gint part_ms;
  gint read_interval_ms;        /* --read-interval */
  GPid testcam_pid;
  gboolean log_requests;
  RestreamTls tls;              /* rtsps:// cameras */
  RestreamAudioMode audio_mode; /* --audio */
  guint shutting_down;
  gint exit_code;
};

static void app_check_done (App * app);
static const gchar *camera_kind (Camera * cam);
static const gchar *camera_state (Camera * cam);
static guint camera_reconnects (Camera * cam);

/* ---------------------------------------------------------------- helpers */

/* The camera URL is checked with the same parser arclyrtspsrc uses, so
 * what the application accepts the element accepts too. */
static gboolean
valid_camera_url (const gchar * url)
{
  ArclyRtspUrl parsed;

  if (!arcly_rtsp_url_parse (url, &parsed, NULL))
    return FALSE;
  arcly_rtsp_url_clear (&parsed);
  return TRUE;
}

static gboolean
valid_camera_name (const gchar * name)
{
  const gchar *p;

  if (*name == '\0' || strlen (name) > 64)
    return FALSE;
  for (p = name; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_')
      return FALSE;
  return TRUE;
}

static gboolean
ensure_writable_dir (const gchar * dir, GError ** error)
{
  gchar *probe;
  gboolean ok;

  if (g_mkdir_with_parents (dir, 0755) != 0) {
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
        "cannot create %s: %s", dir, g_strerror (errno));
    return FALSE;
  }
  probe = g_build_filename (dir, ".arcly-write-test", NULL);
  ok = g_file_set_contents (probe, "", 0, error);
  g_unlink (probe);
  g_free (probe);
  return ok;
}

/* -------------------------------------------------------------- pipeline */

static GstElement *
make (const gchar * factory, const gchar * name)
{
  GstElement *e = gst_element_factory_make (factory, name);

  if (e == NULL)
    g_printerr ("arcly-restream: element %s is missing (is GST_PLUGIN_PATH "
        "set to the build, or gst-arcly installed?)\n", factory);
  return e;
}

/* The ingest pipeline publishes each track into the camera's stream key;
 * pad-added runs in the source's streaming thread, which only builds the
 * depayloader branch (restream-audio.c; no Camera state but the two flags
 * it owns). */
static void
on_pad_added (GstElement * src, GstPad * pad, Camera * cam)
{
  const gchar *name = GST_PAD_NAME (pad);
  gboolean video = g_str_has_prefix (name, "video_");

  if ((video && cam->have_video) || (!video && cam->have_audio)
      || (!video && !g_str_has_prefix (name, "audio_")))
    return;                     /* one track of each kind is enough here */

  /* its depayloader comes with its caps (H.264/H.265, AAC/G.711) */
  restream_ingest_link (pad, GST_BIN (cam->pipeline), cam->pub,
      cam->app->audio_mode, cam->name);
  if (video)
    cam->have_video = TRUE;
  else
    cam->have_audio = TRUE;
}

/* A subscriber pipeline's arclybussrc added a stream (its thread): link it
 * to the sink's pad for its kind.  Pads arrive with their caps set. */
static void
on_sub_pad_added (GstElement * src, GstPad * pad, GstElement * sink)
{
  GstCaps *caps = gst_pad_get_current_caps (pad);
  gboolean video = caps && g_str_has_prefix (gst_structure_get_name
      (gst_caps_get_structure (caps, 0)), "video/");
  gboolean is_hls = g_str_has_prefix (GST_OBJECT_NAME (sink), "hls");
  GstPad *dst, *out;

  if (caps)
    gst_caps_unref (caps);
  /* audio the sink cannot carry (G.711) is transcoded or dropped */
  out = video ? gst_object_ref (pad) : restream_audio_adapt (sink, pad);
  if (out == NULL)
    return;
  dst = gst_element_request_pad_simple (sink, video ? "video" :
      is_hls ? "audio" : "audio_%u");
  if (dst == NULL || gst_pad_link (out, dst) != GST_PAD_LINK_OK)
    g_printerr ("arcly-restream: cannot link %s of %s\n", GST_PAD_NAME (pad),
        GST_OBJECT_NAME (GST_OBJECT_PARENT (src)));
  if (dst)
    gst_object_unref (dst);
  gst_object_unref (out);
}

/* A pipeline `arclybussrc stream-key=NAME` → @sink (already configured),
 * watched by @watch; NULL when an element is missing. */
static GstElement *
subscriber_new (Camera * cam, const gchar * role, GstElement * sink,
    GstBusFunc watch, guint * watch_id)
{
  gchar *pname = g_strdup_printf ("%s-%s", cam->name, role);
  GstElement *pipeline = gst_pipeline_new (pname);
  GstElement *src = make ("arclybussrc", NULL);
  GstBus *bus;

  g_free (pname);
  if (src == NULL || sink == NULL) {
    if (src)
      gst_object_unref (src);
    if (sink)
      gst_object_unref (sink);
    gst_object_unref (pipeline);
    return NULL;
  }
  g_object_set (src, "stream-key", cam->name, NULL);
  /* A recording must not lose a GOP to a disk or CPU stall of a second
   * (the bus's default); it skips ahead only 10 s behind. */
  if (strcmp (role, "rec") == 0)
    g_object_set (src, "max-lag-time", (guint64) (10 * GST_SECOND), NULL);
  restream_audio_set_mode (sink, cam->app->audio_mode, cam->name);
  gst_bin_add_many (GST_BIN (pipeline), src, sink, NULL);
  g_signal_connect (src, "pad-added", G_CALLBACK (on_sub_pad_added), sink);
  bus = gst_pipeline_get_bus (GST_PIPELINE (pipeline));
  *watch_id = gst_bus_add_watch (bus, watch, cam);
  gst_object_unref (bus);
  return pipeline;
}

static void
pipeline_dispose (GstElement ** pipeline, guint * watch_id)
{
  if (*pipeline == NULL)
    return;
  gst_element_set_state (*pipeline, GST_STATE_NULL);
  if (*watch_id)
    g_source_remove (*watch_id);
  *watch_id = 0;
  gst_clear_object (pipeline);
}

static gboolean on_rec_message (GstBus * bus, GstMessage * msg, gpointer data);

/* The recorder: its own pipeline, subscribing by key, so it can stop and
 * start (SIGHUP) while ingest and HLS run on.  Files are numbered on from
 * the previous recorder's. */
static gboolean
recorder_start (Camera * cam)
{
  App *app = cam->app;
  GstElement *mux = make ("splitmuxsink", "recorder");
  gchar *loc;

  if (mux == NULL)
    return FALSE;
  loc = g_strdup_printf ("%s/%s-%%05d.ts", app->record_dir, cam->name);
  g_object_set (mux, "location", loc, "muxer-factory", "arclytsmux",
      "max-size-time", (guint64) 3600 * GST_SECOND, "send-keyframe-requests",
      FALSE, "start-index", cam->rec_files, NULL);
  g_free (loc);
  cam->recorder = subscriber_new (cam, "rec", mux, on_rec_message,
      &cam->rec_watch);
  if (cam->recorder == NULL)
    return FALSE;
  cam->rec_eos = FALSE;
  return gst_element_set_state (cam->recorder, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE;
}

static void
recorder_finished (Camera * cam)
{
  App *app = cam->app;

  pipeline_dispose (&cam->recorder, &cam->rec_watch);
  if (cam->rec_restart && !app->shutting_down) {
    cam->rec_restart = FALSE;
    if (recorder_start (cam))
      g_print ("[%s] recorder restarted\n", cam->name);
    else
      g_printerr ("[%s] recorder does not restart\n", cam->name);
  }
  app_check_done (app);
}

/* Closes the current recording (EOS: the file is complete) and starts a new
 * recorder once it is closed. */
static void
recorder_restart (Camera * cam)
{
  if (cam->recorder == NULL || cam->rec_restart || cam->eos)
    return;
  cam->rec_restart = TRUE;
  gst_element_send_event (cam->recorder, gst_event_new_eos ());
}

static gboolean
on_rec_message (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  Camera *cam = user_data;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_ELEMENT:
      if (gst_message_has_name (msg, "splitmuxsink-fragment-opened"))
        cam->rec_files++;
      break;
    case GST_MESSAGE_ERROR:{
      GError *err = NULL;
      gchar *safe;

      gst_message_parse_error (msg, &err, NULL);
      safe = arcly_rtsp_url_redact (err->message);
      g_printerr ("[%s] recorder error from %s: %s\n", cam->name,
          GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)), safe);
      g_free (safe);
      g_error_free (err);
      /* The recorder stops; ingest and HLS go on. */
      cam->rec_watch = 0;
      recorder_finished (cam);
      return G_SOURCE_REMOVE;
    }
    case GST_MESSAGE_EOS:
      cam->rec_eos = TRUE;
      cam->rec_watch = 0;
      recorder_finished (cam);
      return G_SOURCE_REMOVE;
    default:
      break;
  }
  return G_SOURCE_CONTINUE;
}

static const gchar *
structure_string (const GstStructure * s, const gchar * field)
{
  const gchar *v = gst_structure_get_string (s, field);

  return v ? v : "";
}

static void
camera_set_state (Camera * cam, const gchar * state)
{
  g_free (cam->state);
  cam->state = g_strdup (state);
}

/* Any pipeline of the camera failed but the recorder: the camera stops. */
static void
camera_fail (Camera * cam, GstMessage * msg)
{
  GError *err = NULL;
  gchar *safe;

  gst_message_parse_error (msg, &err, NULL);
  safe = arcly_rtsp_url_redact (err->message);
  g_printerr ("[%s] error from %s: %s\n", cam->name,
      GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)), safe);
  g_free (safe);
  g_error_free (err);
  /* One bad camera never stops the others: this one stops. */
  camera_set_state (cam, "failed");
  gst_element_set_state (cam->pipeline, GST_STATE_NULL);
  if (cam->hls_pipeline)
    gst_element_set_state (cam->hls_pipeline, GST_STATE_NULL);
  if (cam->recorder)
    gst_element_set_state (cam->recorder, GST_STATE_NULL);
  cam->eos = TRUE;
  cam->rec_eos = TRUE;
  restream_origin_camera_set_ended (cam->http);
  app_check_done (cam->app);
}

static gboolean
on_ingest_message (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  Camera *cam = user_data;

  /* an input's source errors are retried by it, never fatal */
  if (cam->input && restream_input_handle_message (cam->input, msg))
    return G_SOURCE_CONTINUE;
  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_ELEMENT:{
      const GstStructure *s = gst_message_get_structure (msg);

      if (s == NULL)
        break;
      if (gst_structure_has_name (s, "arcly-rtsp-connected")) {
        camera_set_state (cam, "streaming");
        g_print ("[%s] connected to %s\n", cam->name,
            structure_string (s, "url"));
      } else if (gst_structure_has_name (s, "arcly-rtsp-reconnecting")) {
        guint attempt = 0;

        gst_structure_get_uint (s, "attempt", &attempt);
        cam->reconnects++;
        camera_set_state (cam, "reconnecting");
        g_print ("[%s] reconnecting (attempt %u): %s\n", cam->name, attempt,
            structure_string (s, "reason"));
      }
      break;
    }
    case GST_MESSAGE_ERROR:
      camera_fail (cam, msg);
      break;
    default:
      break;
  }
  return G_SOURCE_CONTINUE;
}

static gboolean
is_part_message (GstMessage * msg)
{
  const GstStructure *s;

  if (GST_MESSAGE_TYPE (msg) != GST_MESSAGE_ELEMENT)
    return FALSE;
  s = gst_message_get_structure (msg);
  return s && (gst_structure_has_name (s, "arcly-hls-part")
      || gst_structure_has_name (s, "arcly-hls-segment"));
}

/* On the HLS pipeline's streaming thread, for each part and segment the
 * sink writes (5 a second with 200 ms parts): the status figures are
 * taken here.  Served from memory, the held requests were woken by the
 * writer already and nothing is left for the main loop, so the message is
 * dropped: passing it on would wake the main loop 5 times a second per
 * camera for nothing (a poll, a read and a write each). */
static GstBusSyncReply
on_hls_sync_message (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  Camera *cam = user_data;
  const GstStructure *s;
  guint64 start = 0, dur = 0;
  GstClockTime now;
  guint src_latency_ms = 0;

  if (!is_part_message (msg))
    return GST_BUS_PASS;
  s = gst_message_get_structure (msg);
  now = gst_element_get_current_running_time (GST_ELEMENT (GST_MESSAGE_SRC
          (msg)));
  /* HLS latency: how old the newest frame in the playlist is when it
   * appears there.  A frame's running time is its arrival plus the
   * source's latency (arclybussrc carries the publisher's running time
   * over to this pipeline's), so that latency is added back. */
  if (cam->src)                 /* none for a WHIP key */
    g_object_get (cam->src, "latency", &src_latency_ms, NULL);
  g_mutex_lock (&cam->part_lock);
  cam->last_part_time = g_get_monotonic_time ();
  if (gst_structure_get_uint64 (s, "running-time", &start) &&
      gst_structure_get_uint64 (s, "duration", &dur) &&
      GST_CLOCK_TIME_IS_VALID (now) && now + src_latency_ms *
      GST_MSECOND >= start + dur)
    cam->hls_latency = (now + src_latency_ms * GST_MSECOND - start -
        dur) / (gdouble) GST_SECOND;
  g_mutex_unlock (&cam->part_lock);
  return cam->app->serve_files ? GST_BUS_PASS : GST_BUS_DROP;
}

static gboolean
on_hls_message (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  Camera *cam = user_data;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_ELEMENT:
      /* served from files: wake the requests held for this part */
      if (is_part_message (msg) && cam->app->serve_files)
        restream_origin_camera_wake (cam->http);
      break;
    case GST_MESSAGE_ERROR:
      camera_fail (cam, msg);
      break;
    case GST_MESSAGE_EOS:
      cam->eos = TRUE;
      camera_set_state (cam, "ended");
      restream_origin_camera_set_ended (cam->http);
      app_check_done (cam->app);
      break;
    default:
      break;
  }
  return G_SOURCE_CONTINUE;
}

/* The publisher's counts (arclybussink `stats`); zeros without one. */
static void
camera_pub_counts (Camera * cam, guint64 * frames, guint64 * bytes,
    guint * subscribers)
{
  GstStructure *stats = NULL;

  *frames = *bytes = 0;
  *subscribers = 0;
  if (cam->pub)
    g_object_get (cam->pub, "stats", &stats, NULL);
  if (stats == NULL)
    return;
  gst_structure_get_uint64 (stats, "frames-published", frames);
  gst_structure_get_uint64 (stats, "bytes-published", bytes);
  gst_structure_get_uint (stats, "subscribers", subscribers);
  gst_structure_free (stats);
}

static void
camera_set_read_interval (Camera * cam, gint ms)
{
  if (cam->src == NULL || cam->read_interval == ms)
    return;
  g_object_set (cam->src, "read-interval", (guint) ms, NULL);
  cam->read_interval = ms;
}

/* Every CONSUMERS_INTERVAL_MS: a camera's subscribers beyond its own HLS
 * pipeline and recorder are WebRTC viewers and RTSP clients, who see every
 * ms of a paced read as latency; while there is one its camera is read as
 * the data comes, and paced again when the last one left. */
static gboolean
follow_consumers (gpointer user_data)
{
  App *app = user_data;
  guint i;

  for (i = 0; i < app->cameras->len; i++) {
    Camera *cam = g_ptr_array_index (app->cameras, i);
    guint64 frames, bytes;
    guint subscribers, own;

    if (cam->src == NULL || cam->pub == NULL)
      continue;
    camera_pub_counts (cam, &frames, &bytes, &subscribers);
    own = (cam->hls_pipeline ? 1 : 0) + (cam->recorder ? 1 : 0);
    cam->low_latency_viewers = subscribers > own ? subscribers - own : 0;
    if (cam->low_latency_viewers > 0 && cam->read_interval > 0)
      g_print ("[%s] reading the camera as data comes: %u WebRTC viewer(s) "
          "or RTSP client(s)\n", cam->name, cam->low_latency_viewers);
    else if (cam->low_latency_viewers == 0 && app->read_interval_ms > 0
        && cam->read_interval == 0)
      g_print ("[%s] reading the camera every %d ms again\n", cam->name,
          app->read_interval_ms);
    camera_set_read_interval (cam, cam->low_latency_viewers > 0 ? 0 :
        app->read_interval_ms);
  }
  return G_SOURCE_CONTINUE;
}

static gboolean
camera_start (Camera * cam, GError ** error)
{
  App *app = cam->app;
  GstBus *bus;
  GstElement *hls;
  gchar *seg, *init, *playlist, *dir;

  /* Ingest: camera → depayloaders → arclybussink stream-key=NAME; a
   * --whip key is published by its WHIP session (restream-webrtc.c). */
  if (cam->url == NULL) {
    cam->state = g_strdup ("waiting for a WHIP publisher");
    goto subscribers;
  }
  cam->pipeline = gst_pipeline_new (cam->name);
  cam->src = cam->input ? NULL : make ("arclyrtspsrc", "src");
  cam->pub = make ("arclybussink", "pub");
  if ((cam->src == NULL && cam->input == NULL) || cam->pub == NULL) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
        "arclyrtspsrc or arclybussink missing");
    return FALSE;
  }
  g_object_set (cam->pub, "stream-key", cam->name, NULL);
  gst_bin_add (GST_BIN (cam->pipeline), cam->pub);
  if (cam->src) {
    /* a paced read's frames reach the bus as one list per track: one
     * wake-up of its delivery, not one per frame */
    g_object_set (cam->src, "location", cam->url, "buffer-lists", TRUE, NULL);
    camera_set_read_interval (cam, app->read_interval_ms);
    restream_tls_apply (&app->tls, cam->src, cam->url);
    gst_bin_add (GST_BIN (cam->pipeline), cam->src);
    g_signal_connect (cam->src, "pad-added", G_CALLBACK (on_pad_added), cam);
  }
  bus = gst_pipeline_get_bus (GST_PIPELINE (cam->pipeline));
  cam->bus_watch = gst_bus_add_watch (bus, on_ingest_message, cam);
  gst_object_unref (bus);
  cam->state = g_strdup ("connecting");

subscribers:
  /* HLS: arclybussrc stream-key=NAME → arclyhlssink, its own pipeline,
   * handing its output to the origin (in memory, and to --output). */
  hls = make ("arclyhlssink", "hls");
  cam->http = restream_origin_camera_new (app->origin, cam->dir,
      app->serve_files);
  if (hls) {
    /* Without --output the locations only name the objects: a folder that
     * does not exist (the sink looks there for its stale temporaries). */
    dir = cam->dir ? g_strdup (cam->dir) : g_build_filename ("/",
        "arcly-restream-memory", cam->name, NULL);
    seg = g_build_filename (dir, "segment%05d.m4s", NULL);
    init = g_build_filename (dir, "init%d.mp4", NULL);
    playlist = g_build_filename (dir, "playlist.m3u8", NULL);
    g_free (dir);
    restream_origin_camera_attach (cam->http, G_OBJECT (hls));
    g_object_set (hls, "location", seg, "init-location", init,
        "playlist-location", playlist, "target-duration",
        app->target_duration, "part-duration", app->part_ms,
        "playlist-length", 6, "max-files", 12, "blocking-reload",
        app->part_ms > 0,
        /* mux on the bus's delivery threads: no hand-off to a muxer
         * thread per frame (two system calls and a context switch each) */
        "input-thread", TRUE, NULL);
    g_free (seg);
    g_free (init);
    g_free (playlist);
  }
  cam->hls_pipeline = subscriber_new (cam, "hls", hls, on_hls_message,
      &cam->hls_watch);
  if (cam->hls_pipeline == NULL) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
        "arclybussrc or arclyhlssink missing");
    return FALSE;
  }
  bus = gst_pipeline_get_bus (GST_PIPELINE (cam->hls_pipeline));
  gst_bus_set_sync_handler (bus, on_hls_sync_message, cam, NULL);
  gst_object_unref (bus);
  /* Subscribers first: they wait for the key, then start from its first
   * keyframe. */
  if (gst_element_set_state (cam->hls_pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE || (app->record_dir && !recorder_start (cam))
      || (cam->pipeline && gst_element_set_state (cam->pipeline,
              GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
      || (cam->input && !restream_input_start (cam->input, cam->pipeline,
              cam->pub, error))) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_STATE_CHANGE,
        "camera %s does not start", cam->name);
    return FALSE;
  }
  if (!app->record_dir)
    cam->rec_eos = TRUE;
  return TRUE;
}

static void
camera_free (Camera * cam)
{
  /* Subscribers first, then the publisher; held requests get a 503. */
  pipeline_dispose (&cam->recorder, &cam->rec_watch);
  pipeline_dispose (&cam->hls_pipeline, &cam->hls_watch);
  if (cam->input)
    restream_input_stop (cam->input);
  pipeline_dispose (&cam->pipeline, &cam->bus_watch);
  restream_input_free (cam->input);
  restream_origin_camera_free (cam->http);
  g_free (cam->name);
  g_free (cam->url);
  g_free (cam->display_url);
  g_free (cam->dir);
  g_free (cam->state);
  g_mutex_clear (&cam->part_lock);
  g_free (cam);
}

static Camera *
camera_new (void)
{
  Camera *cam = g_new0 (Camera, 1);

  g_mutex_init (&cam->part_lock);
  cam->hls_latency = -1;
  return cam;
}

/* ------------------------------------------------------------------ HTTP */

static Camera *
find_camera (App * app, const gchar * name)
{
  guint i;

  for (i = 0; i < app->cameras->len; i++) {
    Camera *cam = g_ptr_array_index (app->cameras, i);

    if (strcmp (cam->name, name) == 0)
      return cam;
  }
  return NULL;
}

/* WHEP plays any camera's key; WHIP publishes the --whip keys. */
static gboolean
webrtc_key_allowed (const gchar * name, gboolean publish, gpointer user_data)
{
  Camera *cam = find_camera (user_data, name);

  return cam && (!publish || cam->url == NULL);
}

static void
serve_index (App * app, SoupServerMessage * msg)
{
  GString *s = g_string_new (NULL);
  guint i;

  g_string_append (s, "<!doctype html>\n<html><head><meta charset=\"utf-8\">"
      "<title>arcly-restream</title>\n"
      "<style>body{font-family:sans-serif;background:#111;color:#eee}"
      ".cam{display:inline-block;margin:8px}video{width:480px;"
      "background:#000}</style>\n"
      "<script src=\"hls.js\"></script></head><body>\n"
      "<h1>arcly-restream</h1>\n");
  for (i = 0; i < app->cameras->len; i++) {
    Camera *cam = g_ptr_array_index (app->cameras, i);
    gchar *name = g_markup_escape_text (cam->name, -1);
    guint latency_ms = 0;

    /* The page adds the source's latency to the age of the frame on
     * screen (see web/player.js). */
    if (cam->src)
      g_object_get (cam->src, "latency", &latency_ms, NULL);
    g_string_append_printf (s, "<div class=\"cam\"><h2>%s</h2>"
        "<video id=\"v-%s\" data-src=\"cam/%s/playlist.m3u8\" "
        "data-source-latency=\"%u\" muted autoplay playsinline controls>"
        "</video><div id=\"s-%s\" class=\"status\"></div>", name,
        name, name, latency_ms, name);
    g_string_append_printf (s, "<div class=\"input\" id=\"i-%s\">%s, %s, "
        "%" G_GUINT64_FORMAT " kbit/s, %u reconnects</div>", name,
        camera_kind (cam), camera_state (cam), cam->bitrate / 1000,
        camera_reconnects (cam));
    g_string_append_printf (s, "<h3>WebRTC</h3><video id=\"w-%s\" "
        "data-whep=\"whep/%s\" muted autoplay playsinline controls></video>"
        "<div id=\"ws-%s\" class=\"status\"></div>", name, name, name);
    if (app->rtsp) {
      /* The RTSP URL on the host the page was asked for. */
      const gchar *host = g_uri_get_host (soup_server_message_get_uri (msg));
      gchar *url = restream_rtsp_get_url (app->rtsp, host && *host ? host :
          app->bind, cam->name);
      gchar *esc = g_markup_escape_text (url, -1);

      g_string_append_printf (s, "<div class=\"rtsp\">RTSP: <a href=\"%s\">"
          "<code>%s</code></a></div>", esc, esc);
      g_free (esc);
      g_free (url);
    }
    g_string_append (s, "</div>\n");
    g_free (name);
  }
  /* The inputs' status lines follow /status.json. */
  g_string_append (s, "<script src=\"player.js\"></script>\n"
      "<script src=\"webrtc.js\"></script>\n<script>"
      "setInterval(function(){fetch('status.json',{cache:'no-store'})"
      ".then(function(r){return r.json();}).then(function(j){"
      "j.inputs.forEach(function(i){var e=document.getElementById('i-'+"
      "i.name);if(e)e.textContent=i.kind+', '+i.state+', '+Math.round("
      "i.bitrate/1000)+' kbit/s, '+i.reconnects+' reconnects';});})"
      ".catch(function(){});},2000);</script>\n</body></html>\n");
  soup_message_headers_replace (soup_server_message_get_response_headers
      (msg), "Cache-Control", "no-cache");
  soup_server_message_set_response (msg, "text/html; charset=utf-8",
      SOUP_MEMORY_TAKE, s->str, s->len);
  g_string_free (s, FALSE);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
}

/* Every input's kind, state, bitrate (bit/s over the last status
 * interval) and reconnects, for the index page; for RTSP cameras how often
 * the socket is read (read_interval_ms) and the WebRTC viewers and RTSP
 * clients that turned the pacing off (low_latency_viewers); for the
 * non-RTSP inputs
 * also how fast the sender's clock runs against ours (clock_ppm) and how
 * far our time is from it after the slewing (clock_lag_ms). */
static void
serve_status (App * app, SoupServerMessage * msg)
{
  GString *s = g_string_new ("{\"inputs\":[");
  guint i;

  for (i = 0; i < app->cameras->len; i++) {
    Camera *cam = g_ptr_array_index (app->cameras, i);

    /* names are [A-Za-z0-9_-], kinds and states plain words */
    g_string_append_printf (s, "%s{\"name\":\"%s\",\"kind\":\"%s\","
        "\"state\":\"%s\",\"bitrate\":%" G_GUINT64_FORMAT ",\"reconnects\":"
        "%u", i ? "," : "", cam->name, camera_kind (cam), camera_state (cam),
        cam->bitrate, camera_reconnects (cam));
    if (cam->input) {
      gint ppm;
      gdouble lag;

      restream_input_get_clock (cam->input, &ppm, &lag);
      g_string_append_printf (s, ",\"clock_ppm\":%d,\"clock_lag_ms\":%.1f",
          ppm, lag);
    }
    if (cam->src)
      g_string_append_printf (s, ",\"read_interval_ms\":%d,"
          "\"low_latency_viewers\":%u", cam->read_interval,
          cam->low_latency_viewers);
    g_string_append_c (s, '}');
  }
  g_string_append (s, "]}\n");
  soup_message_headers_replace (soup_server_message_get_response_headers
      (msg), "Cache-Control", "no-store");
  soup_server_message_set_response (msg, "application/json",
      SOUP_MEMORY_TAKE, s->str, s->len);
  g_string_free (s, FALSE);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
}

static void
http_handler (SoupServer * server, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer user_data)
{
  App *app = user_data;
  gchar **parts = NULL;
  Camera *cam;

  if (restream_webrtc_handle (app->webrtc, msg, path))
    return;
  if (strcmp (soup_server_message_get_method (msg), "GET") != 0 &&
      strcmp (soup_server_message_get_method (msg), "HEAD") != 0) {
    soup_server_message_set_status (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
    return;
  }
  if (strcmp (path, "/") == 0 || strcmp (path, "/index.html") == 0) {
    serve_index (app, msg);
    return;
  }
  if (strcmp (path, "/status.json") == 0) {
    serve_status (app, msg);
    return;
  }
  if (strcmp (path, "/player.js") == 0 || strcmp (path, "/webrtc.js") == 0) {
    gchar *js = g_build_filename (app->web_dir, path + 1, NULL);

    restream_origin_serve_file (app->origin, msg, js);
    g_free (js);
    return;
  }
  if (strcmp (path, "/hls.js") == 0) {
    gchar *js = g_build_filename (app->web_dir, "node_modules", "hls.js",
        "dist", "hls.min.js", NULL);

    restream_origin_serve_file (app->origin, msg, js);
    g_free (js);
    return;
  }
  /* /cam/NAME/FILE, FILE a plain name (no traversal). */
  parts = g_strsplit (path, "/", -1);
  if (g_strv_length (parts) != 4 || strcmp (parts[1], "cam") != 0 ||
      (cam = find_camera (app, parts[2])) == NULL || cam->http == NULL ||
      parts[3][0] == '\0' || parts[3][0] == '.' || strchr (parts[3], '\\'))
    restream_origin_respond_status (msg, SOUP_STATUS_NOT_FOUND);
  else
    restream_origin_serve (cam->http, msg, parts[3], query);
  g_strfreev (parts);
}

static void
on_request_started (SoupServer * server, SoupServerMessage * msg,
    gpointer user_data)
{
  gint64 *t = g_new (gint64, 1);

  *t = g_get_monotonic_time ();
  g_object_set_data_full (G_OBJECT (msg), "arcly-t0", t, g_free);
}

static void
on_request_finished (SoupServer * server, SoupServerMessage * msg,
    gpointer user_data)
{
  gint64 *t = g_object_get_data (G_OBJECT (msg), "arcly-t0");
  GUri *uri = soup_server_message_get_uri (msg);

  g_print ("http %s %s%s%s -> %u in %.0f ms\n",
      soup_server_message_get_method (msg), g_uri_get_path (uri),
      g_uri_get_query (uri) ? "?" : "",
      g_uri_get_query (uri) ? g_uri_get_query (uri) : "",
      soup_server_message_get_status (msg),
      t ? (g_get_monotonic_time () - *t) / 1000.0 : -1.0);
}

/* ----------------------------------------------------------------- status */

/* What kind of input @cam is, its state and reconnects: an input's own
 * unless the camera failed or ended. */
static const gchar *
camera_kind (Camera * cam)
{
  if (cam->input)
    return restream_input_kind_name (restream_input_get_kind (cam->input));
  return cam->url ? "rtsp" : "whip";
}

static const gchar *
camera_state (Camera * cam)
{
  if (cam->input && !cam->eos)
    return restream_input_get_state (cam->input);
  return cam->state ? cam->state : "";
}

static guint
camera_reconnects (Camera * cam)
{
  return cam->input ? restream_input_get_reconnects (cam->input) :
      cam->reconnects;
}

static gboolean
print_status (gpointer user_data)
{
  App *app = user_data;
  guint i;

  for (i = 0; i < app->cameras->len; i++) {
    Camera *cam = g_ptr_array_index (app->cameras, i);
    guint64 frames, bytes;
    guint subscribers;
    gdouble since = -1, hls_latency;
    gint64 now = g_get_monotonic_time ();

    camera_pub_counts (cam, &frames, &bytes, &subscribers);
    if (cam->last_bytes_time && now > cam->last_bytes_time
        && bytes >= cam->last_bytes)
      cam->bitrate = (bytes - cam->last_bytes) * 8 * G_USEC_PER_SEC /
          (now - cam->last_bytes_time);
    cam->last_bytes = bytes;
    cam->last_bytes_time = now;
    g_mutex_lock (&cam->part_lock);
    if (cam->last_part_time)
      since = (now - cam->last_part_time) / 1e6;
    hls_latency = cam->hls_latency;
    g_mutex_unlock (&cam->part_lock);
    if (cam->http) {
      guint n_objects = 0;
      guint64 mem_bytes = 0, max_bytes = 0;

      restream_origin_camera_get_usage (cam->http, &n_objects, &mem_bytes,
          &max_bytes);
      g_print ("[%s] origin: %u held requests, %u objects in memory, %"
          G_GUINT64_FORMAT " bytes (at most %" G_GUINT64_FORMAT ")\n",
          cam->name, restream_origin_camera_get_n_held (cam->http),
          n_objects, mem_bytes, max_bytes);
    }
    g_print ("[%s] %s %s  %" G_GUINT64_FORMAT " kbit/s  %" G_GUINT64_FORMAT
        " frames  reconnects %u  subscribers %u  HLS latency %.2f s  "
        "last part %.1f s ago\n", cam->name, camera_kind (cam),
        camera_state (cam), cam->bitrate / 1000, frames,
        camera_reconnects (cam), subscribers, hls_latency, since);
  }
  g_print ("[http] %u connections  %" G_GUINT64_FORMAT " refused (503)\n",
      restream_http_get_n_clients (app->http),
      restream_http_get_n_refused (app->http));
  return G_SOURCE_CONTINUE;
}

/* ------------------------------------------------------------ shutdown */

static gboolean
force_quit (gpointer user_data)
{
  App *app = user_data;

  g_printerr ("arcly-restream: EOS did not complete in time, stopping\n");
  app->exit_code = 1;
  g_main_loop_quit (app->loop);
  return G_SOURCE_REMOVE;
}

/* Quits once shutting down and every camera's HLS pipeline and recorder
 * have ended. */
static void
app_check_done (App * app)
{
  guint i;

  if (!app->shutting_down)
    return;
  for (i = 0; i < app->cameras->len; i++) {
    Camera *cam = g_ptr_array_index (app->cameras, i);

    if (!cam->eos || !cam->rec_eos)
      return;
  }
  g_main_loop_quit (app->loop);
}

/* Whether the sink named @name in @pipeline got any stream: one that got
 * none (its input never sent anything) has nothing to finish, and an EOS
 * sent to its pipeline would never come out. */
static gboolean
sink_has_streams (GstElement * pipeline, const gchar * name)
{
  GstElement *sink = pipeline ? gst_bin_get_by_name (GST_BIN (pipeline),
      name) : NULL;
  gboolean has;

  if (sink == NULL)
    return FALSE;
  GST_OBJECT_LOCK (sink);
  has = sink->numsinkpads > 0;
  GST_OBJECT_UNLOCK (sink);
  gst_object_unref (sink);
  return has;
}

static gboolean
on_signal (gpointer user_data)
{
  App *app = user_data;
  guint i;

  if (app->shutting_down++) {
    g_main_loop_quit (app->loop);
    return G_SOURCE_CONTINUE;
  }
  g_print ("arcly-restream: stopping, finishing the playlists\n");
  /* EOS into each subscriber pipeline (HLS writes EXT-X-ENDLIST, the
   * recorder closes its file); ingest is simply stopped afterwards. */
  for (i = 0; i < app->cameras->len; i++) {
    Camera *cam = g_ptr_array_index (app->cameras, i);

    if (!cam->eos && !sink_has_streams (cam->hls_pipeline, "hls")) {
      cam->eos = TRUE;
      camera_set_state (cam, "ended");
    } else if (!cam->eos && cam->hls_pipeline) {
      gst_element_send_event (cam->hls_pipeline, gst_event_new_eos ());
    }
    if (cam->recorder && !sink_has_streams (cam->recorder, "recorder"))
      cam->rec_eos = TRUE;
    else if (cam->recorder && !cam->rec_restart)
      gst_element_send_event (cam->recorder, gst_event_new_eos ());
  }
  app_check_done (app);
  g_timeout_add_seconds (10, force_quit, app);
  return G_SOURCE_CONTINUE;
}

/* SIGHUP: close every recording and start new files (log-rotation style),
 * while ingest and HLS carry on. */
static gboolean
on_sighup (gpointer user_data)
{
  App *app = user_data;
  guint i;

  for (i = 0; i < app->cameras->len; i++)
    recorder_restart (g_ptr_array_index (app->cameras, i));
  return G_SOURCE_CONTINUE;
}

/* -------------------------------------------------------- test camera */

static gchar *
start_test_camera (App * app, GError ** error)
{
  const gchar *bin = g_getenv ("ARCLY_TESTCAM");
  gchar *user = g_strdup ("demo");
  gchar *password = g_strdup_printf ("%08x", g_random_int ());
  const gchar *argv[] = { bin ? bin : ARCLY_TESTCAM_PATH, "--port", "0",
    "--auth", "digest", "--user", user, "--password", password,
    "--gop", "30", "--overlay", "--shared", NULL
  };
  gint out_fd = -1;
  gchar buf[512];
  gsize len = 0;
  gchar *url = NULL;
  gint64 deadline = g_get_monotonic_time () + 20 * G_TIME_SPAN_SECOND;

  if (!g_spawn_async_with_pipes (NULL, (gchar **) argv, NULL,
          G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &app->testcam_pid, NULL,
          &out_fd, NULL, error))
    goto out;
  while (len < sizeof (buf) - 1 && g_get_monotonic_time () < deadline) {
    gssize n = read (out_fd, buf + len, 1);

    if (n <= 0)
      break;
    len += n;
    if (buf[len - 1] == '\n')
      break;
  }
  buf[len] = '\0';
  if (!g_str_has_prefix (buf, "READY rtsp://")) {
    g_set_error (error, G_SPAWN_ERROR, G_SPAWN_ERROR_FAILED,
        "the bundled test camera did not start");
    goto out;
  }
  g_strchomp (buf);
  url = g_strdup_printf ("rtsp://%s:%s@%s", user, password,
      buf + strlen ("READY rtsp://"));
out:
  if (out_fd >= 0)
    close (out_fd);
  g_free (user);
  g_free (password);
  return url;
}

/* ----------------------------------------------------------------- RTSP */

/* USER:PASSWORD from the first line of @path; FALSE (said why, without the
 * contents) when unreadable or malformed. */
static gboolean
read_credentials (const gchar * path, gchar ** user, gchar ** password)
{
  gchar *text = NULL, *nl, *colon;
  gboolean ok = FALSE;

  if (!g_file_get_contents (path, &text, NULL, NULL)) {
    g_printerr ("arcly-restream: cannot read --rtsp-credentials %s\n", path);
    return FALSE;
  }
  nl = strpbrk (text, "\r\n");
  if (nl)
    *nl = '\0';
  colon = strchr (text, ':');
  if (colon && colon != text && colon[1] != '\0') {
    *colon = '\0';
    g_free (*user);
    g_free (*password);
    *user = g_strdup (text);
    *password = g_strdup (colon + 1);
    ok = TRUE;
  } else {
    g_printerr ("arcly-restream: --rtsp-credentials %s: the first line is "
        "not USER:PASSWORD\n", path);
  }
  memset (text, 0, strlen (text));
  g_free (text);
  return ok;
}

/* RTSP out: a mount per camera.  A port given explicitly must be free (a
 * configuration error otherwise); the default port is skipped with a
 * warning when taken. */
static gboolean
start_rtsp (App * app, gint port, gboolean shared, const gchar * user,
    const gchar * password)
{
  GError *error = NULL;
  guint i;

  app->rtsp = restream_rtsp_new (app->bind, port < 0 ? DEFAULT_RTSP_PORT :
      (guint) port, shared, user, password);
  for (i = 0; i < app->cameras->len; i++)
    restream_rtsp_add_camera (app->rtsp,
        ((Camera *) g_ptr_array_index (app->cameras, i))->name);
  if (!restream_rtsp_start (app->rtsp, &error)) {
    restream_rtsp_free (app->rtsp);
    app->rtsp = NULL;
    if (port >= 0) {
      g_printerr ("arcly-restream: cannot serve RTSP on %s:%d: %s\n",
          app->bind, port, error->message);
      g_error_free (error);
      return FALSE;
    }
    g_printerr ("arcly-restream: RTSP out off: port %d is taken (%s); "
        "choose one with --rtsp-port\n", DEFAULT_RTSP_PORT, error->message);
    g_error_free (error);
    return TRUE;
  }
  for (i = 0; i < app->cameras->len; i++) {
    Camera *cam = g_ptr_array_index (app->cameras, i);
    gchar *url = restream_rtsp_get_url (app->rtsp, app->bind, cam->name);

    g_print ("arcly-restream: RTSP %s%s\n", url, user ? " (Digest auth)" :
        "");
    g_free (url);
  }
  return TRUE;
}

/* ----------------------------------------------------------------- main */

int
main (int argc, char **argv)
{
  App app = { 0, };
  gchar **camera_args = NULL;
  gchar *out_dir = NULL, *web_dir = NULL, *record_dir = NULL, *bind = NULL;
  gint http_port = DEFAULT_HTTP_PORT, target = DEFAULT_TARGET_DURATION;
  gint part_ms = DEFAULT_PART_MS;
  gint read_interval = DEFAULT_READ_INTERVAL_MS;
  gint rtsp_port = -1;          /* -1: not given, the default */
  gboolean rtsp_shared = FALSE;
  gchar *rtsp_user = NULL, *rtsp_password = NULL, *rtsp_credentials = NULL;
  gchar *tls_ca_file = NULL;
  gboolean tls_no_verify = FALSE;
  gint max_clients = DEFAULT_MAX_CLIENTS, idle_timeout = DEFAULT_IDLE_TIMEOUT_S;
  gchar *audio = NULL;
  guint fd_budget;
  gchar *webrtc_stun = NULL, *webrtc_public_ip = NULL, *whip_token = NULL;
  gchar **whip_keys = NULL;
  GOptionEntry entries[] = {
    {"input", 'i', 0, G_OPTION_ARG_STRING_ARRAY, &camera_args,
        "An input published as NAME, by URL: rtsp[s]://[user:pass@]host[:port]"
          "/path, srt://HOST:PORT?mode=caller|listener[&latency=MS]"
          "[&passphrase=P][&streamid=S], udp://[GROUP@]HOST:PORT (MPEG-TS), "
          "rtp://HOST[:PORT]?sdp=FILE, rtmp://HOST[:PORT]/APP/STREAM "
          "(repeatable; default: the bundled test camera)", "NAME=URL"},
    {"camera", 'c', 0, G_OPTION_ARG_STRING_ARRAY, &camera_args,
        "Same as --input", "NAME=URL"},
    {"tls-ca-file", 0, 0, G_OPTION_ARG_FILENAME, &tls_ca_file,
        "rtsps:// cameras: trust the certificate authorities in FILE (PEM) "
          "instead of the system's", "FILE"},
    {"tls-no-verify", 0, 0, G_OPTION_ARG_NONE, &tls_no_verify,
        "rtsps:// cameras: accept any certificate (insecure: encrypted, but "
          "the camera is not authenticated; for self-signed cameras)", NULL},
    {"http-port", 'p', 0, G_OPTION_ARG_INT, &http_port,
        "HTTP port (default 8080; 0 = any free port)", "PORT"},
    {"webrtc-stun", 0, 0, G_OPTION_ARG_STRING, &webrtc_stun,
        "STUN server for WebRTC behind NAT (stun://host:port); default: "
          "host candidates only", "URL"},
    {"webrtc-public-ip", 0, 0, G_OPTION_ARG_STRING, &webrtc_public_ip,
        "Also offer WebRTC viewers our host candidates on this address (a "
          "1:1 NAT or forwarded UDP ports)", "IP"},
    {"whip", 0, 0, G_OPTION_ARG_STRING_ARRAY, &whip_keys,
        "A stream key browsers or OBS may publish by WHIP (POST /whip/NAME), "
          "served like a camera (repeatable)", "NAME"},
    {"whip-token", 0, 0, G_OPTION_ARG_STRING, &whip_token,
        "WHIP publishers must send Authorization: Bearer TOKEN", "TOKEN"},
    {"rtsp-port", 0, 0, G_OPTION_ARG_INT, &rtsp_port,
        "Serve every camera as rtsp://HOST:PORT/NAME (default 8554, used "
          "only if free; 0 = no RTSP)", "PORT"},
    {"rtsp-shared", 0, 0, G_OPTION_ARG_NONE, &rtsp_shared,
        "RTSP clients of a camera share one media (fewer payloaders; a "
          "client joining a playing media waits for the next keyframe)", NULL},
    {"rtsp-user", 0, 0, G_OPTION_ARG_STRING, &rtsp_user,
        "RTSP clients must log in (Digest) as USER, with --rtsp-password",
          "USER"},
    {"rtsp-password", 0, 0, G_OPTION_ARG_STRING, &rtsp_password,
        "The RTSP clients' password (visible to other local users in the "
          "process list: prefer --rtsp-credentials)", "PASSWORD"},
    {"rtsp-credentials", 0, 0, G_OPTION_ARG_FILENAME, &rtsp_credentials,
        "Read the RTSP clients' USER:PASSWORD from the first line of FILE",
          "FILE"},
    {"audio", 0, 0, G_OPTION_ARG_STRING, &audio,
        "Camera audio: aac (default: AAC as is, G.711 transcoded to AAC for "
          "HLS and the recorder, passed as is to RTSP out), copy (as the "
          "camera sends it; HLS drops G.711) or none", "aac|copy|none"},
    {"bind", 0, 0, G_OPTION_ARG_STRING, &bind,
        "HTTP bind address (default 127.0.0.1)", "ADDR"},
    {"output", 'o', 0, G_OPTION_ARG_FILENAME, &out_dir,
        "Also write playlists and segments to DIR/NAME/ (default: served "
          "from memory only, nothing is written to disk)", "DIR"},
    {"serve-files", 0, 0, G_OPTION_ARG_NONE, &app.serve_files,
        "Serve the files in --output instead of memory, reading them per "
          "request (to compare; bench/origin.sh)", NULL},
    {"record", 'r', 0, G_OPTION_ARG_FILENAME, &record_dir,
        "Also record each camera as hourly MPEG-TS files in DIR (SIGHUP "
          "starts new files)", "DIR"},
    {"target-duration", 0, 0, G_OPTION_ARG_INT, &target,
        "HLS segment target duration in seconds (default 2)", "S"},
    {"part-duration", 0, 0, G_OPTION_ARG_INT, &part_ms,
        "LL-HLS part duration in ms (default 200; 0 = plain HLS)", "MS"},
    {"read-interval", 0, 0, G_OPTION_ARG_INT, &read_interval,
        "Read each RTSP camera once per MS ms while only HLS and the "
          "recorder take it: less CPU for up to MS ms more HLS latency; "
          "off while a WebRTC viewer or RTSP client watches it (default "
          "100; 0 = read each packet as it comes, 0-1000)", "MS"},
    {"max-clients", 0, 0, G_OPTION_ARG_INT, &max_clients,
        "HTTP connections served at once; more are answered 503 (default "
          "1000, lowered to what the open-files limit allows)", "N"},
    {"http-idle-timeout", 0, 0, G_OPTION_ARG_INT, &idle_timeout,
        "Close an idle HTTP keep-alive connection after S seconds (default "
          "30; 0 = never)", "S"},
    {"log-requests", 0, 0, G_OPTION_ARG_NONE, &app.log_requests,
        "Print every HTTP request with its status and how long it was held",
          NULL},
    {"web-dir", 0, 0, G_OPTION_ARG_FILENAME, &web_dir,
        "Folder holding player.js and node_modules/hls.js (default: the "
          "source tree's web/)",
        "DIR"},
    {NULL}
  };
  GOptionContext *ctx;
  GError *error = NULL;
  GSocketAddress *addr = NULL;
  guint i;
  gchar **c;

  ctx = g_option_context_new ("- restream cameras and encoders (RTSP, SRT, "
      "UDP, RTP, RTMP) as Low-Latency HLS");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    g_printerr ("arcly-restream: %s\n", error->message);
    return 2;
  }
  g_option_context_free (ctx);
  /* Line-buffered even into a pipe: the READY and status lines are read by
   * other programs. */
  setvbuf (stdout, NULL, _IOLBF, 0);

  app.out_dir = out_dir;
  app.web_dir = web_dir ? web_dir : g_strdup (ARCLY_WEB_DIR);
  app.record_dir = record_dir;
  app.bind = bind ? bind : g_strdup ("127.0.0.1");
  app.http_port = http_port;
  app.target_duration = target;
  app.part_ms = part_ms;
  app.read_interval_ms = read_interval;
  app.cameras = g_ptr_array_new_with_free_func ((GDestroyNotify) camera_free);
  app.loop = g_main_loop_new (NULL, FALSE);

  if (http_port < 0 || http_port > 65535 || target < 1 || target > 30 ||
      part_ms < 0 || (part_ms > 0 && (part_ms < 100
              || part_ms > target * 1000)) || max_clients < 1
      || idle_timeout < 0 || rtsp_port < -1 || rtsp_port > 65535
      || read_interval < 0 || read_interval > 1000) {
    g_printerr ("arcly-restream: --http-port, --target-duration, "
        "--part-duration, --max-clients, --http-idle-timeout, --rtsp-port "
        "or --read-interval out of range\n");
    return 2;
  }
  app.audio_mode = RESTREAM_AUDIO_DEFAULT;
  if (audio && !restream_audio_mode_parse (audio, &app.audio_mode)) {
    g_printerr ("arcly-restream: --audio must be aac, copy or none\n");
    return 2;
  }
  g_free (audio);
  if (rtsp_credentials && !read_credentials (rtsp_credentials, &rtsp_user,
          &rtsp_password))
    return 2;
  if ((rtsp_user == NULL) != (rtsp_password == NULL)
      || (rtsp_user && (*rtsp_user == '\0' || *rtsp_password == '\0'))) {
    g_printerr ("arcly-restream: --rtsp-user and --rtsp-password go "
        "together, neither empty\n");
    return 2;
  }
  if (!restream_tls_init (&app.tls, tls_ca_file, tls_no_verify, &error)) {
    g_printerr ("arcly-restream: --tls-ca-file: %s\n", error->message);
    return 2;
  }
  g_free (tls_ca_file);
  if (tls_no_verify)
    g_printerr ("arcly-restream: warning: --tls-no-verify: the certificates "
        "of rtsps:// cameras are not checked\n");
  /* Cameras, validated before anything starts. */
  for (c = camera_args; c && *c; c++) {
    gchar *eq = strchr (*c, '=');
    Camera *cam;

    if (eq == NULL) {
      g_printerr ("arcly-restream: --input wants NAME=URL\n");
      return 2;
    }
    *eq = '\0';
    if (!valid_camera_name (*c) || find_camera (&app, *c)) {
      g_printerr ("arcly-restream: bad or duplicate camera name '%s' "
          "(letters, digits, - and _)\n", *c);
      return 2;
    }
    if (restream_input_url_is_input (eq + 1)) {
      RestreamInput *input = restream_input_new (*c, eq + 1, &error);
      gchar *safe = restream_input_url_redact (eq + 1);

      if (input == NULL) {
        g_printerr ("arcly-restream: input %s: %s: %s\n", *c, safe,
            error->message);
        g_free (safe);
        return 2;
      }
      cam = camera_new ();
      cam->input = input;
      cam->display_url = safe;
    } else if (!valid_camera_url (eq + 1)) {
      gchar *safe = arcly_rtsp_url_redact (eq + 1);

      g_printerr ("arcly-restream: input %s: not an rtsp:// URL (nor srt://, "
          "udp://, rtp:// or rtmp://): %s\n", *c, safe);
      g_free (safe);
      return 2;
    } else {
      cam = camera_new ();
      cam->display_url = arcly_rtsp_url_redact (eq + 1);
    }
    cam->app = &app;
    cam->name = g_strdup (*c);
    cam->url = g_strdup (eq + 1);
    g_ptr_array_add (app.cameras, cam);
  }
  g_strfreev (camera_args);
  for (gchar ** k = whip_keys; k && *k; k++) {
    Camera *cam;

    if (!valid_camera_name (*k) || find_camera (&app, *k)) {
      g_printerr ("arcly-restream: bad or duplicate --whip name '%s' "
          "(letters, digits, - and _)\n", *k);
      return 2;
    }
    cam = camera_new ();
    cam->app = &app;
    cam->name = g_strdup (*k);
    cam->display_url = g_strdup ("WHIP");
    g_ptr_array_add (app.cameras, cam);
  }
  g_strfreev (whip_keys);

  if (app.serve_files && app.out_dir == NULL) {
    g_printerr ("arcly-restream: --serve-files needs --output\n");
    return 2;
  }
  if ((app.out_dir && !ensure_writable_dir (app.out_dir, &error)) ||
      (app.record_dir && !ensure_writable_dir (app.record_dir, &error))) {
    g_printerr ("arcly-restream: output folder not writable: %s\n",
        error->message);
    return 1;
  }

  if (app.cameras->len == 0) {
    Camera *cam = camera_new ();

    cam->url = start_test_camera (&app, &error);
    if (cam->url == NULL) {
      g_printerr ("arcly-restream: %s\n", error->message);
      g_mutex_clear (&cam->part_lock);
      g_free (cam);
      return 1;
    }
    cam->app = &app;
    cam->name = g_strdup ("testcam");
    cam->display_url = arcly_rtsp_url_redact (cam->url);
    g_ptr_array_add (app.cameras, cam);
  }

  /* HTTP clients never take the fds the cameras need: the open-files limit
   * bounds --max-clients. */
  fd_budget = restream_http_fd_budget (FD_RESERVE_BASE +
      FD_RESERVE_PER_CAMERA * app.cameras->len);
  if (fd_budget < 8) {
    g_printerr ("arcly-restream: the open-files limit (ulimit -n) leaves no "
        "room for HTTP clients: raise it to at least %u\n",
        FD_RESERVE_BASE + FD_RESERVE_PER_CAMERA * app.cameras->len + 40 + 8);
    if (app.testcam_pid)
      kill (app.testcam_pid, SIGTERM);
    return 1;
  }
  if ((guint) max_clients > fd_budget) {
    if (max_clients != DEFAULT_MAX_CLIENTS)
      g_print ("arcly-restream: --max-clients %d lowered to %u by the "
          "open-files limit (ulimit -n)\n", max_clients, fd_budget);
    max_clients = fd_budget;
  }

  /* HTTP first: a port in use is a configuration error, before any camera
   * starts. */
  app.origin = restream_origin_new (target, part_ms);
  app.server = soup_server_new ("server-header", "arcly-restream ", NULL);
  app.http = restream_http_new (app.server, max_clients, idle_timeout);
  soup_server_add_handler (app.server, NULL, http_handler, &app, NULL);
  app.webrtc = restream_webrtc_new (webrtc_stun, webrtc_public_ip, whip_token,
      webrtc_key_allowed, &app);
  g_free (webrtc_stun);
  g_free (webrtc_public_ip);
  if (whip_token)
    memset (whip_token, 0, strlen (whip_token));
  g_free (whip_token);
  if (app.log_requests) {
    g_signal_connect (app.server, "request-read",
        G_CALLBACK (on_request_started), &app);
    g_signal_connect (app.server, "request-finished",
        G_CALLBACK (on_request_finished), &app);
  }
  addr = g_inet_socket_address_new_from_string (app.bind, app.http_port);
  if (addr == NULL) {
    g_printerr ("arcly-restream: --bind %s is not an IP address\n", app.bind);
    return 2;
  }
  if (!restream_http_listen (app.http, addr, &error)) {
    g_printerr ("arcly-restream: cannot listen on %s:%d: %s\n", app.bind,
        app.http_port, error->message);
    g_object_unref (addr);
    if (app.testcam_pid)
      kill (app.testcam_pid, SIGTERM);
    return 1;
  }
  g_object_unref (addr);
  /* Before READY and before any input listens: a Ctrl-C from then on
   * finishes the playlists (it is handled once the main loop runs);
   * earlier it killed the process (pipelines/restream-inputs caught it). */
  g_unix_signal_add (SIGINT, on_signal, &app);
  g_unix_signal_add (SIGTERM, on_signal, &app);
  g_unix_signal_add (SIGHUP, on_sighup, &app);
  {
    gchar *u = restream_http_get_uri (app.http);

    /* First line: where to look (tests wait for "READY <url>"). */
    g_print ("READY %s\n", u);
    g_print ("arcly-restream: open %s in a browser (HLS served from %s%s; "
        "at most %d HTTP connections)\n", u, app.serve_files ? "the files in "
        : "memory", app.serve_files ? app.out_dir : app.out_dir ?
        ", also written to disk" : "", max_clients);
    g_free (u);
  }

  if (rtsp_port != 0 && !start_rtsp (&app, rtsp_port, rtsp_shared,
          rtsp_user, rtsp_password)) {
    if (app.testcam_pid)
      kill (app.testcam_pid, SIGTERM);
    return 1;
  }
  g_free (rtsp_user);
  if (rtsp_password)
    memset (rtsp_password, 0, strlen (rtsp_password));
  g_free (rtsp_password);
  g_free (rtsp_credentials);

  if (app.testcam_pid)
    g_print ("arcly-restream: no --camera given: serving the bundled test "
        "camera (Digest auth) at %s\n",
        ((Camera *) g_ptr_array_index (app.cameras, 0))->display_url);

  for (i = 0; i < app.cameras->len; i++) {
    Camera *cam = g_ptr_array_index (app.cameras, i);

    if (app.out_dir)
      cam->dir = g_build_filename (app.out_dir, cam->name, NULL);
    if ((cam->dir && !ensure_writable_dir (cam->dir, &error))
        || !camera_start (cam, &error)) {
      g_printerr ("arcly-restream: camera %s: %s\n", cam->name,
          error->message);
      g_clear_error (&error);
      cam->eos = TRUE;
      cam->rec_eos = TRUE;
      g_free (cam->state);
      cam->state = g_strdup ("failed");
    }
  }

  g_timeout_add_seconds (STATUS_INTERVAL_S, print_status, &app);
  g_timeout_add (CONSUMERS_INTERVAL_MS, follow_consumers, &app);

  g_main_loop_run (app.loop);

  /* RTSP clients and WebRTC sessions first: they subscribe to the
   * cameras' keys. */
  restream_rtsp_free (app.rtsp);
  restream_webrtc_free (app.webrtc);
  g_ptr_array_unref (app.cameras);
  soup_server_disconnect (app.server);
  restream_http_free (app.http);
  g_object_unref (app.server);
  restream_origin_free (app.origin);
  if (app.testcam_pid) {
    kill (app.testcam_pid, SIGTERM);
    waitpid (app.testcam_pid, NULL, 0);
    g_spawn_close_pid (app.testcam_pid);
  }
  g_main_loop_unref (app.loop);
  restream_tls_clear (&app.tls);
  g_free (app.out_dir);
  g_free (app.web_dir);
  g_free (app.record_dir);
  g_free (app.bind);
  /* the leaks tracer (GST_TRACERS=leaks) reports what is left here */
  gst_deinit ();
  return app.exit_code;
}
