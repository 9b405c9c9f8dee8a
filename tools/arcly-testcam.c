/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * arcly-testcam: a live test camera served over RTSP by gst-rtsp-server.
 *
 * H.264 (x264enc, zerolatency, fixed GOP) or, with --codec h265, H.265
 * (x265enc, the same settings) and AAC (voaacenc) or, with --audio-codec
 * pcmu|pcma, G.711 at 8 kHz mono as most IP cameras send it (static payload
 * types 0 and 8), TCP transport allowed,
 * optional Basic or Digest auth, optional TLS (rtsps://, --tls-cert).  When
 * it listens it prints exactly one line "READY rtsp://127.0.0.1:PORT/PATH"
 * (rtsps:// with TLS) on stdout (credentials are never printed) and it exits
 * with status 0 on SIGINT/SIGTERM.  Tests, the demo and
 * the benchmarks use it as the camera.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib-unix.h>
#include <gst/gst.h>
#include <gst/rtsp-server/rtsp-server.h>

typedef struct
{
  gint port;
  gchar *path;
  gchar *auth;
  gchar *user;
  gchar *password;
  gint gop;
  gboolean no_audio;
  gboolean no_video;
  gint bitrate;
  gchar *size;
  gint fps;
  gboolean shared;
  gint session_timeout;
  gchar *address;
  gboolean udp;
  gboolean overlay;
  gchar *codec;                 /* "h264" (default) or "h265" */
  gchar *audio_codec;           /* "aac" (default), "pcmu" or "pcma" */
  gchar *tls_cert;              /* PEM: certificate (and key), or NULL */
  gchar *tls_key;               /* PEM key, when not in tls_cert */
  gchar *tls_client_ca;         /* require client certificates of this CA */
} CamOptions;

static gboolean
on_signal (gpointer user_data)
{
  GMainLoop *loop = user_data;

  g_main_loop_quit (loop);
  return G_SOURCE_CONTINUE;
}

static void
on_new_session (GstRTSPClient * client, GstRTSPSession * session,
    gpointer user_data)
{
  const CamOptions *opts = user_data;

  gst_rtsp_session_set_timeout (session, opts->session_timeout);
}

static void
on_client_connected (GstRTSPServer * server, GstRTSPClient * client,
    gpointer user_data)
{
  g_signal_connect (client, "new-session", G_CALLBACK (on_new_session),
      user_data);
}

static gchar *
build_launch (const CamOptions * opts, gint width, gint height)
{
  GString *s = g_string_new ("( ");
  gint pt = 0;

  if (!opts->no_video) {
    /* I420 is forced: without it x264enc picks 4:4:4 High, which browsers
     * and hardware decoders refuse.  scenecut=0 keeps the GOP at --gop:
     * zerolatency on a busy pattern otherwise inserts IDRs every few frames. */
    g_string_append_printf (s,
        "videotestsrc is-live=true pattern=smpte ! "
        "video/x-raw,format=I420,width=%d,height=%d,framerate=%d/1 ! ",
        width, height, opts->fps);
    if (opts->overlay)
      g_string_append (s, "timeoverlay halignment=left valignment=top "
          "time-mode=running-time font-desc=\"Sans 24\" ! ");
    if (g_strcmp0 (opts->codec, "h265") == 0) {
      /* x265 has the same scene-cut habit; open-gop=0 makes every
       * keyframe an IDR (a CRA with leading pictures is not one a
       * decoder can start at cleanly) */
      g_string_append_printf (s,
          "x265enc tune=zerolatency speed-preset=ultrafast bitrate=%d "
          "key-int-max=%d option-string=\"scenecut=0:open-gop=0\" ! "
          "video/x-h265,profile=main ! "
          "rtph265pay name=pay%d pt=96 config-interval=-1 ",
          opts->bitrate, opts->gop, pt);
    } else {
      g_string_append_printf (s,
          "x264enc tune=zerolatency speed-preset=ultrafast bitrate=%d "
          "key-int-max=%d option-string=scenecut=0 ! "
          "video/x-h264,profile=constrained-baseline ! "
          "rtph264pay name=pay%d pt=96 config-interval=-1 ",
          opts->bitrate, opts->gop, pt);
    }
    pt++;
  }
  if (!opts->no_audio && g_strcmp0 (opts->audio_codec, "aac") != 0) {
    gboolean mulaw = g_strcmp0 (opts->audio_codec, "pcmu") == 0;

    /* G.711 as cameras send it: 8 kHz mono, 20 ms packets, the static
     * payload type of RFC 3551 (0 = PCMU, 8 = PCMA) */
    g_string_append_printf (s,
        "audiotestsrc is-live=true wave=sine freq=440 volume=0.3 "
        "samplesperbuffer=160 ! audio/x-raw,rate=8000,channels=1 ! "
        "audioconvert ! %s ! %s name=pay%d pt=%d ",
        mulaw ? "mulawenc" : "alawenc", mulaw ? "rtppcmupay" : "rtppcmapay",
        pt, mulaw ? 0 : 8);
  } else if (!opts->no_audio) {
    g_string_append_printf (s,
        "audiotestsrc is-live=true wave=sine freq=440 volume=0.3 "
        "samplesperbuffer=1024 ! audio/x-raw,rate=48000,channels=2 ! "
        "audioconvert ! voaacenc bitrate=128000 ! "
        "rtpmp4gpay name=pay%d pt=97 ", pt);
  }
  g_string_append (s, ")");
  return g_string_free (s, FALSE);
}

static gboolean
parse_size (const gchar * size, gint * w, gint * h)
{
  gchar *end = NULL;
  gint64 a, b;

  a = g_ascii_strtoll (size, &end, 10);
  if (end == size || (*end != 'x' && *end != 'X'))
    return FALSE;
  size = end + 1;
  b = g_ascii_strtoll (size, &end, 10);
  if (end == size || *end != '\0')
    return FALSE;
  if (a < 16 || b < 16 || a > 7680 || b > 4320 || (a % 2) || (b % 2))
    return FALSE;
  *w = a;
  *h = b;
  return TRUE;
}

static gboolean
check_elements (const CamOptions * opts, GError ** error)
{
  gboolean h265 = g_strcmp0 (opts->codec, "h265") == 0;
  gboolean aac = g_strcmp0 (opts->audio_codec, "aac") == 0;
  gboolean pcmu = g_strcmp0 (opts->audio_codec, "pcmu") == 0;
  const gchar *need[] = { "videotestsrc",
    h265 ? "x265enc" : "x264enc", h265 ? "rtph265pay" : "rtph264pay",
    "audiotestsrc", "audioconvert",
    aac ? "voaacenc" : pcmu ? "mulawenc" : "alawenc",
    aac ? "rtpmp4gpay" : pcmu ? "rtppcmupay" : "rtppcmapay",
    opts->overlay ? "timeoverlay" : NULL
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (need); i++) {
    GstElementFactory *f;

    if (need[i] == NULL)
      continue;
    f = gst_element_factory_find (need[i]);
    if (f == NULL) {
      g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
          "GStreamer element '%s' is missing (install the GStreamer "
          "plugins packages listed in README.md)", need[i]);
      return FALSE;
    }
    gst_object_unref (f);
  }
  return TRUE;
}

/* gst-rtsp-server asks about every client certificate, also one its
 * database found no fault with: accept exactly those. */
static gboolean
on_accept_client_certificate (GstRTSPAuth * auth, GTlsConnection * conn,
    GTlsCertificate * peer, GTlsCertificateFlags errors, gpointer user_data)
{
  if (errors != 0)
    g_printerr ("arcly-testcam: client certificate refused (0x%x)\n",
        errors);
  return errors == 0;
}

/* Basic or Digest users (--auth), and the TLS certificate (--tls-cert):
 * both are GstRTSPAuth's business.  Without users, TLS clients get the
 * "anonymous" role, allowed to play. */
static gboolean
setup_auth (GstRTSPServer * server, GstRTSPMediaFactory * factory,
    const CamOptions * opts, GError ** error)
{
  gboolean users = strcmp (opts->auth, "none") != 0;
  const gchar *role = users ? "viewer" : "anonymous";
  GstRTSPAuth *auth;
  GstRTSPToken *token;

  if (!users && opts->tls_cert == NULL)
    return TRUE;
  auth = gst_rtsp_auth_new ();
  token = gst_rtsp_token_new (GST_RTSP_TOKEN_MEDIA_FACTORY_ROLE,
      G_TYPE_STRING, role, NULL);
  if (opts->tls_cert) {
    GTlsCertificate *cert = opts->tls_key ?
        g_tls_certificate_new_from_files (opts->tls_cert, opts->tls_key,
        error) : g_tls_certificate_new_from_file (opts->tls_cert, error);

    if (cert == NULL) {
      gst_rtsp_token_unref (token);
      g_object_unref (auth);
      return FALSE;
    }
    gst_rtsp_auth_set_tls_certificate (auth, cert);
    g_object_unref (cert);
  }
  if (opts->tls_client_ca) {
    gchar *path = g_canonicalize_filename (opts->tls_client_ca, NULL);
    GTlsDatabase *db = g_tls_file_database_new (path, error);

    g_free (path);
    if (db == NULL) {
      gst_rtsp_token_unref (token);
      g_object_unref (auth);
      return FALSE;
    }
    g_signal_connect (auth, "accept-certificate",
        G_CALLBACK (on_accept_client_certificate), NULL);
    gst_rtsp_auth_set_tls_database (auth, db);
    gst_rtsp_auth_set_tls_authentication_mode (auth,
        G_TLS_AUTHENTICATION_REQUIRED);
    g_object_unref (db);
  }
  if (!users) {
    gst_rtsp_auth_set_default_token (auth, token);
  } else if (strcmp (opts->auth, "basic") == 0) {
    gchar *basic = gst_rtsp_auth_make_basic (opts->user, opts->password);

    gst_rtsp_auth_add_basic (auth, basic, token);
    g_free (basic);
    gst_rtsp_auth_set_supported_methods (auth, GST_RTSP_AUTH_BASIC);
  } else {
    gst_rtsp_auth_add_digest (auth, opts->user, opts->password, token);
    gst_rtsp_auth_set_supported_methods (auth, GST_RTSP_AUTH_DIGEST);
  }
  gst_rtsp_token_unref (token);
  gst_rtsp_media_factory_add_role (factory, role,
      GST_RTSP_PERM_MEDIA_FACTORY_ACCESS, G_TYPE_BOOLEAN, TRUE,
      GST_RTSP_PERM_MEDIA_FACTORY_CONSTRUCT, G_TYPE_BOOLEAN, TRUE, NULL);
  gst_rtsp_server_set_auth (server, auth);
  g_object_unref (auth);
  return TRUE;
}

int
main (int argc, char **argv)
{
  CamOptions opts = {
    .port = 8554,
    .gop = 60,
    .bitrate = 2000,
    .fps = 30,
    .session_timeout = 60,
  };
  GOptionEntry entries[] = {
    {"port", 0, 0, G_OPTION_ARG_INT, &opts.port,
        "TCP port to listen on (0 = any free port; default 8554)", "PORT"},
    {"address", 0, 0, G_OPTION_ARG_STRING, &opts.address,
        "Address to bind (default 127.0.0.1)", "ADDR"},
    {"path", 0, 0, G_OPTION_ARG_STRING, &opts.path,
        "Mount path (default /cam)", "PATH"},
    {"auth", 0, 0, G_OPTION_ARG_STRING, &opts.auth,
        "Authentication: none, basic or digest (default none)", "MODE"},
    {"user", 0, 0, G_OPTION_ARG_STRING, &opts.user,
        "User name for --auth (default 'user')", "NAME"},
    {"password", 0, 0, G_OPTION_ARG_STRING, &opts.password,
        "Password for --auth (default 'pass')", "PASSWORD"},
    {"gop", 0, 0, G_OPTION_ARG_INT, &opts.gop,
        "Frames between keyframes (default 60)", "FRAMES"},
    {"fps", 0, 0, G_OPTION_ARG_INT, &opts.fps,
        "Frames per second (default 30)", "FPS"},
    {"no-audio", 0, 0, G_OPTION_ARG_NONE, &opts.no_audio,
        "Serve video only", NULL},
    {"no-video", 0, 0, G_OPTION_ARG_NONE, &opts.no_video,
        "Serve audio only", NULL},
    {"bitrate", 0, 0, G_OPTION_ARG_INT, &opts.bitrate,
        "Video bitrate in kbit/s (default 2000)", "KBPS"},
    {"size", 0, 0, G_OPTION_ARG_STRING, &opts.size,
        "Video size WxH (default 640x360)", "WxH"},
    {"overlay", 0, 0, G_OPTION_ARG_NONE, &opts.overlay,
        "Burn the running time into the picture", NULL},
    {"shared", 0, 0, G_OPTION_ARG_NONE, &opts.shared,
        "Share one running media between all clients (an already-live "
        "camera, as with real cameras)", NULL},
    {"session-timeout", 0, 0, G_OPTION_ARG_INT, &opts.session_timeout,
        "RTSP session timeout in seconds (default 60)", "SECONDS"},
    {"udp", 0, 0, G_OPTION_ARG_NONE, &opts.udp,
        "Also allow UDP transport (default: TCP interleaved only)", NULL},
    {"codec", 0, 0, G_OPTION_ARG_STRING, &opts.codec,
        "Video codec: h264 (x264enc) or h265 (x265enc); default h264",
        "CODEC"},
    {"tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &opts.tls_cert,
        "Serve rtsps:// (TLS) with the certificate in this PEM file (with "
          "its private key, unless --tls-key)", "FILE"},
    {"tls-key", 0, 0, G_OPTION_ARG_FILENAME, &opts.tls_key,
        "The private key of --tls-cert, in PEM", "FILE"},
    {"tls-client-ca", 0, 0, G_OPTION_ARG_FILENAME, &opts.tls_client_ca,
        "With --tls-cert: require a client certificate signed by the CA in "
          "this PEM file", "FILE"},
    {"audio-codec", 0, 0, G_OPTION_ARG_STRING, &opts.audio_codec,
          "Audio codec: aac (voaacenc, 48 kHz stereo), pcmu or pcma (G.711, "
          "8 kHz mono, payload type 0 or 8); default aac", "CODEC"},
    {NULL}
  };
  GOptionContext *ctx;
  GError *error = NULL;
  GMainLoop *loop;
  GstRTSPServer *server;
  GstRTSPMountPoints *mounts;
  GstRTSPMediaFactory *factory;
  gchar *launch, *service, *path;
  gint width = 640, height = 360;
  guint server_id;

  ctx = g_option_context_new ("- serve a live RTSP test camera");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    g_printerr ("arcly-testcam: %s\n", error->message);
    return 2;
  }
  g_option_context_free (ctx);

  if (opts.path == NULL)
    opts.path = g_strdup ("/cam");
  if (opts.auth == NULL)
    opts.auth = g_strdup ("none");
  if (opts.user == NULL)
    opts.user = g_strdup ("user");
  if (opts.password == NULL)
    opts.password = g_strdup ("pass");
  if (opts.address == NULL)
    opts.address = g_strdup ("127.0.0.1");
  if (opts.codec == NULL)
    opts.codec = g_strdup ("h264");
  if (opts.audio_codec == NULL)
    opts.audio_codec = g_strdup ("aac");

  if (opts.path[0] != '/') {
    path = g_strconcat ("/", opts.path, NULL);
    g_free (opts.path);
    opts.path = path;
  }
  if (opts.size && !parse_size (opts.size, &width, &height)) {
    g_printerr ("arcly-testcam: --size must be WxH with even sizes, "
        "e.g. 1280x720\n");
    return 2;
  }
  if (opts.port < 0 || opts.port > 65535 || opts.gop < 1 || opts.fps < 1
      || opts.fps > 240 || opts.bitrate < 16 || opts.session_timeout < 1) {
    g_printerr ("arcly-testcam: --port, --gop, --fps, --bitrate or "
        "--session-timeout out of range\n");
    return 2;
  }
  if (opts.no_audio && opts.no_video) {
    g_printerr ("arcly-testcam: --no-audio and --no-video leave nothing to "
        "serve\n");
    return 2;
  }
  if (strcmp (opts.codec, "h264") && strcmp (opts.codec, "h265")) {
    g_printerr ("arcly-testcam: --codec must be h264 or h265\n");
    return 2;
  }
  if (strcmp (opts.audio_codec, "aac") && strcmp (opts.audio_codec, "pcmu")
      && strcmp (opts.audio_codec, "pcma")) {
    g_printerr ("arcly-testcam: --audio-codec must be aac, pcmu or pcma\n");
    return 2;
  }
  if (strcmp (opts.auth, "none") && strcmp (opts.auth, "basic")
      && strcmp (opts.auth, "digest")) {
    g_printerr ("arcly-testcam: --auth must be none, basic or digest\n");
    return 2;
  }
  if (!check_elements (&opts, &error)) {
    g_printerr ("arcly-testcam: %s\n", error->message);
    return 3;
  }

  loop = g_main_loop_new (NULL, FALSE);
  server = gst_rtsp_server_new ();
  gst_rtsp_server_set_address (server, opts.address);
  service = g_strdup_printf ("%d", opts.port);
  gst_rtsp_server_set_service (server, service);
  g_free (service);
  g_signal_connect (server, "client-connected",
      G_CALLBACK (on_client_connected), &opts);

  factory = gst_rtsp_media_factory_new ();
  launch = build_launch (&opts, width, height);
  gst_rtsp_media_factory_set_launch (factory, launch);
  g_free (launch);
  gst_rtsp_media_factory_set_shared (factory, opts.shared);
  gst_rtsp_media_factory_set_protocols (factory, GST_RTSP_LOWER_TRANS_TCP |
      (opts.udp ? GST_RTSP_LOWER_TRANS_UDP : 0));

  if (!setup_auth (server, factory, &opts, &error)) {
    g_printerr ("arcly-testcam: TLS: %s\n", error->message);
    return 2;
  }

  mounts = gst_rtsp_server_get_mount_points (server);
  gst_rtsp_mount_points_add_factory (mounts, opts.path, factory);
  g_object_unref (mounts);

  server_id = gst_rtsp_server_attach (server, NULL);
  if (server_id == 0) {
    g_printerr ("arcly-testcam: cannot listen on %s:%d (port in use?)\n",
        opts.address, opts.port);
    return 1;
  }

  g_unix_signal_add (SIGINT, on_signal, loop);
  g_unix_signal_add (SIGTERM, on_signal, loop);

  /* The one line tests wait for; never with credentials in it. */
  printf ("READY %s://%s:%d%s\n", opts.tls_cert ? "rtsps" : "rtsp",
      opts.address,
      gst_rtsp_server_get_bound_port (server), opts.path);
  fflush (stdout);

  g_main_loop_run (loop);

  g_source_remove (server_id);
  g_object_unref (server);
  g_main_loop_unref (loop);
  g_free (opts.path);
  g_free (opts.auth);
  g_free (opts.user);
  g_free (opts.password);
  g_free (opts.size);
  g_free (opts.address);
  g_free (opts.codec);
  g_free (opts.audio_codec);
  g_free (opts.tls_cert);
  g_free (opts.tls_key);
  g_free (opts.tls_client_ca);
  return 0;
}
