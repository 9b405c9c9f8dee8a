/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * An HLS origin that never touches the disk: live arclyhlssink pipelines
 * hand every playlist, segment, part and init segment to this program
 * through get-playlist-stream / get-fragment-stream (GMemoryOutputStream),
 * drop them on delete-fragment, and a libsoup server on 127.0.0.1 serves
 * them from memory to headless Chromium with hls.js
 * (web/node_modules, from `npm ci --prefix web`): an LL-HLS fMP4 stream in
 * hls.js's low-latency mode (blocking playlist reload and preload-hinted
 * parts are held until the sink produced them, woken by the sink's
 * messages) and a plain TS stream.  Both must play (no fatal error, video
 * decoded and advancing), the memory held stays bounded by the live window
 * (delete-fragment came) and the sinks' folder is never created.  The page
 * is browser/arclyhlssink.html.
 *
 * Chromium is started in its own process group and killed by that id,
 * with PR_SET_PDEATHSIG so it never outlives the test.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>
#include <libsoup/soup.h>

#define PLAY_SECONDS 14
#define RESULT_TIMEOUT_S 60
#define HOLD_SECONDS 4
#define CHROMIUM "/usr/bin/chromium"

/* 320x240 I420 (browsers refuse 4:4:4), 1 s GOPs without scene cuts */
#define SOURCES \
  "videotestsrc is-live=true ! " \
  "video/x-raw,format=I420,width=320,height=240,framerate=30/1 ! " \
  "x264enc key-int-max=30 option-string=scenecut=0 speed-preset=ultrafast " \
  "tune=zerolatency ! h264parse ! hls.video " \
  "audiotestsrc is-live=true samplesperbuffer=1024 ! " \
  "audio/x-raw,rate=44100,channels=1 ! voaacenc ! aacparse ! hls.audio "

/* One stream the application holds in memory. */
typedef struct {
  gchar *name;
  GstElement *pipeline;
  GMutex lock;
  GHashTable *fragments;        /* basename -> GMemoryOutputStream */
  GMemoryOutputStream *playlist;        /* the newest, maybe being written */
  GBytes *last_playlist;        /* the one before it (complete) */
  guint deletions, max_held, segments;
} MemStream;

typedef struct {
  SoupServer *server;
  guint16 port;
  MemStream *streams[2];
  GList *held;                  /* HeldRequest */
  GMainLoop *loop;
  gchar *hlsjs, *page;          /* file contents */
  gsize hlsjs_len, page_len;
  gchar *result, *caps;
  gboolean starting;            /* waiting for the first segments */
} Origin;

typedef struct {
  Origin *origin;
  SoupServerMessage *msg;
  MemStream *ms;
  gchar *file;                  /* basename, or NULL: the playlist */
  gint64 msn;                   /* _HLS_msn, -1: none */
  gint part;                    /* _HLS_part, -1: none */
  guint timeout_id;
} HeldRequest;

/* ---- the application's side of the signals ----------------------------- */

static GOutputStream *
on_get_fragment_stream (GstElement * sink, const gchar * location,
    MemStream * ms)
{
  GOutputStream *s = g_memory_output_stream_new_resizable ();

  g_mutex_lock (&ms->lock);
  g_hash_table_replace (ms->fragments, g_path_get_basename (location),
      g_object_ref (s));
  ms->max_held = MAX (ms->max_held, g_hash_table_size (ms->fragments));
  g_mutex_unlock (&ms->lock);
  return s;
}

static GOutputStream *
on_get_playlist_stream (GstElement * sink, const gchar * location,
    MemStream * ms)
{
  GOutputStream *s = g_memory_output_stream_new_resizable ();

  g_mutex_lock (&ms->lock);
  if (ms->playlist != NULL
      && g_output_stream_is_closed (G_OUTPUT_STREAM (ms->playlist))) {
    g_clear_pointer (&ms->last_playlist, g_bytes_unref);
    ms->last_playlist = g_memory_output_stream_steal_as_bytes (ms->playlist);
  }
  g_clear_object (&ms->playlist);
  ms->playlist = G_MEMORY_OUTPUT_STREAM (g_object_ref (s));
  g_mutex_unlock (&ms->lock);
  return s;
}

static void
on_delete_fragment (GstElement * sink, const gchar * location,
    MemStream * ms)
{
  gchar *base = g_path_get_basename (location);

  g_mutex_lock (&ms->lock);
  if (g_hash_table_remove (ms->fragments, base))
    ms->deletions++;
  g_mutex_unlock (&ms->lock);
  g_free (base);
}

/* The newest complete playlist (NULL: none yet). */
static GBytes *
mem_playlist (MemStream * ms)
{
  GBytes *b = NULL;

  g_mutex_lock (&ms->lock);
  if (ms->playlist != NULL
      && g_output_stream_is_closed (G_OUTPUT_STREAM (ms->playlist)))
    b = g_bytes_new (g_memory_output_stream_get_data (ms->playlist),
        g_memory_output_stream_get_data_size (ms->playlist));
  else if (ms->last_playlist != NULL)
    b = g_bytes_ref (ms->last_playlist);
  g_mutex_unlock (&ms->lock);
  return b;
}

/* A complete fragment (NULL: not there, or still being written). */
static GBytes *
mem_fragment (MemStream * ms, const gchar * file)
{
  GMemoryOutputStream *m;
  GBytes *b = NULL;

  g_mutex_lock (&ms->lock);
  m = g_hash_table_lookup (ms->fragments, file);
  if (m != NULL && g_output_stream_is_closed (G_OUTPUT_STREAM (m)))
    b = g_bytes_new (g_memory_output_stream_get_data (m),
        g_memory_output_stream_get_data_size (m));
  g_mutex_unlock (&ms->lock);
  return b;
}

/* ---- the HTTP origin ---------------------------------------------------- */

/* Blocking playlist reload (RFC 8216bis 6.2.5.2), enough for the test: is
 * part @part (-1: the whole segment) of segment @msn listed? */
static gboolean
playlist_has (GBytes * pl, gint64 msn, gint part)
{
  gchar *text = g_strndup (g_bytes_get_data (pl, NULL), g_bytes_get_size (pl));
  const gchar *p = strstr (text, "#EXT-X-MEDIA-SEQUENCE:");
  gint64 seq, complete = 0;
  gint parts_after = 0;
  gboolean ended = FALSE;
  gchar **lines;
  guint i;

  if (p == NULL) {
    g_free (text);
    return FALSE;
  }
  seq = g_ascii_strtoll (p + 22, NULL, 10);
  lines = g_strsplit (text, "\n", -1);
  for (i = 0; lines[i] != NULL; i++) {
    if (g_str_has_prefix (lines[i], "#EXTINF")) {
      complete++;
      parts_after = 0;
    } else if (g_str_has_prefix (lines[i], "#EXT-X-PART:")) {
      parts_after++;
    } else if (strcmp (lines[i], "#EXT-X-ENDLIST") == 0) {
      ended = TRUE;
    }
  }
  g_strfreev (lines);
  g_free (text);
  if (ended || msn < seq + complete)
    return TRUE;
  return msn == seq + complete && part >= 0 && part < parts_after;
}

static const gchar *
content_type (const gchar * path)
{
  if (g_str_has_suffix (path, ".m3u8"))
    return "application/vnd.apple.mpegurl";
  if (g_str_has_suffix (path, ".ts"))
    return "video/mp2t";
  if (g_str_has_suffix (path, ".js"))
    return "application/javascript";
  if (g_str_has_suffix (path, ".html"))
    return "text/html; charset=utf-8";
  return "video/mp4";
}

static void
respond (SoupServerMessage * msg, guint status, const gchar * path,
    GBytes * body)
{
  soup_message_headers_replace (soup_server_message_get_response_headers
      (msg), "Cache-Control", "no-cache");
  soup_server_message_set_status (msg, status, NULL);
  if (body != NULL)
    soup_server_message_set_response (msg, content_type (path),
        SOUP_MEMORY_COPY, g_bytes_get_data (body, NULL),
        g_bytes_get_size (body));
}

/* What @h asks for, if it is there now (NULL: not yet). */
static GBytes *
held_ready (HeldRequest * h)
{
  GBytes *b;

  if (h->file != NULL)
    return mem_fragment (h->ms, h->file);
  b = mem_playlist (h->ms);
  if (b != NULL && h->msn >= 0 && !playlist_has (b, h->msn, h->part))
    g_clear_pointer (&b, g_bytes_unref);
  return b;
}

static void
held_finish (HeldRequest * h, GBytes * b)
{
  Origin *o = h->origin;

  if (b == NULL && h->file == NULL)
    b = mem_playlist (h->ms);   /* held long enough: the newest one */
  respond (h->msg, b != NULL ? 200 : 404, h->file ? h->file : "x.m3u8", b);
  soup_server_message_unpause (h->msg);
  if (b != NULL)
    g_bytes_unref (b);
  if (h->timeout_id != 0)
    g_source_remove (h->timeout_id);
  o->held = g_list_remove (o->held, h);
  g_object_unref (h->msg);
  g_free (h->file);
  g_free (h);
}

static gboolean
held_timeout (gpointer data)
{
  HeldRequest *h = data;

  h->timeout_id = 0;
  held_finish (h, NULL);
  return G_SOURCE_REMOVE;
}

/* The sink wrote a part or segment and the playlist listing it. */
static void
wake_held (Origin * o)
{
  GList *l = o->held;

  while (l != NULL) {
    HeldRequest *h = l->data;
    GBytes *b = held_ready (h);

    l = l->next;
    if (b != NULL)
      held_finish (h, b);
  }
}

static MemStream *
find_stream (Origin * o, const gchar * name)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (o->streams); i++)
    if (g_str_equal (o->streams[i]->name, name))
      return o->streams[i];
  return NULL;
}

static void
handle_result (Origin * o, SoupServerMessage * msg)
{
  const gchar *q = g_uri_get_query (soup_server_message_get_uri (msg));
  const gchar *c = q ? strstr (q, "&caps=") : NULL;

  if (q != NULL && o->result == NULL) {
    gchar *r = g_strndup (q, c ? (gsize) (c - q) : strlen (q));

    o->result = g_uri_unescape_string (r, NULL);
    o->caps = c ? g_uri_unescape_string (c + 6, NULL) : g_strdup ("");
    g_free (r);
    g_main_loop_quit (o->loop);
  }
  respond (msg, 204, "x", NULL);
}

static void
server_cb (SoupServer * server, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer data)
{
  Origin *o = data;
  gchar **seg = g_strsplit (path + 1, "/", 3);
  MemStream *ms;
  HeldRequest *h;
  GBytes *b;

  if (g_str_equal (path, "/__result__")) {
    handle_result (o, msg);
  } else if (g_str_equal (path, "/hls.min.js")) {
    b = g_bytes_new_static (o->hlsjs, o->hlsjs_len);
    respond (msg, 200, path, b);
    g_bytes_unref (b);
  } else if (g_str_equal (path, "/index.html")) {
    b = g_bytes_new_static (o->page, o->page_len);
    respond (msg, 200, path, b);
    g_bytes_unref (b);
  } else if (g_strv_length (seg) == 2 && (ms = find_stream (o, seg[0]))) {
    const gchar *m = query ? g_hash_table_lookup (query, "_HLS_msn") : NULL;
    const gchar *p = query ? g_hash_table_lookup (query, "_HLS_part") : NULL;

    h = g_new0 (HeldRequest, 1);
    h->origin = o;
    h->msg = g_object_ref (msg);
    h->ms = ms;
    h->file = g_str_equal (seg[1], "playlist.m3u8") ? NULL : g_strdup (seg[1]);
    h->msn = m ? g_ascii_strtoll (m, NULL, 10) : -1;
    h->part = p ? atoi (p) : -1;
    o->held = g_list_prepend (o->held, h);
    soup_server_message_pause (msg);
    if ((b = held_ready (h)) != NULL)
      held_finish (h, b);
    else
      h->timeout_id = g_timeout_add_seconds (HOLD_SECONDS, held_timeout, h);
  } else {
    respond (msg, 404, path, NULL);
  }
  g_strfreev (seg);
}

static gboolean
bus_cb (GstBus * bus, GstMessage * msg, gpointer data)
{
  Origin *o = data;
  const GstStructure *s = gst_message_get_structure (msg);

  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    GError *err = NULL;

    gst_message_parse_error (msg, &err, NULL);
    fail ("pipeline error from %s: %s", GST_OBJECT_NAME (msg->src),
        err->message);
  }
  if (s != NULL && (gst_structure_has_name (s, "arcly-hls-part")
          || gst_structure_has_name (s, "arcly-hls-segment"))) {
    guint i;

    for (i = 0; i < G_N_ELEMENTS (o->streams); i++)
      if (GST_MESSAGE_SRC (msg) == GST_OBJECT (o->streams[i]->pipeline) ||
          gst_object_has_as_ancestor (GST_MESSAGE_SRC (msg),
              GST_OBJECT (o->streams[i]->pipeline)))
        o->streams[i]->segments +=
            gst_structure_has_name (s, "arcly-hls-segment");
    wake_held (o);
    /* before the browser starts: quit once both have two segments */
    if (o->starting && o->streams[0]->segments >= 2
        && o->streams[1]->segments >= 2) {
      o->starting = FALSE;
      g_main_loop_quit (o->loop);
    }
  }
  return G_SOURCE_CONTINUE;
}

static MemStream *
mem_stream_start (Origin * o, const gchar * dir, const gchar * name,
    const gchar * opts)
{
  MemStream *ms = g_new0 (MemStream, 1);
  gchar *desc = g_strdup_printf (SOURCES "arclyhlssink name=hls "
      "location=%s/%s/seg%%05d.%s init-location=%s/%s/init%%d.mp4 "
      "playlist-location=%s/%s/playlist.m3u8 target-duration=1 "
      "playlist-length=4 max-files=6 %s", dir, name,
      strstr (opts, "mpegts") ? "ts" : "m4s", dir, name, dir, name, opts);
  GError *err = NULL;
  GstElement *hls;
  GstBus *bus;

  g_mutex_init (&ms->lock);
  ms->name = g_strdup (name);
  ms->fragments = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      g_object_unref);
  ms->pipeline = gst_parse_launch (desc, &err);
  fail_unless (ms->pipeline != NULL && err == NULL, "%s", desc);
  hls = gst_bin_get_by_name (GST_BIN (ms->pipeline), "hls");
  g_signal_connect (hls, "get-fragment-stream",
      G_CALLBACK (on_get_fragment_stream), ms);
  g_signal_connect (hls, "get-playlist-stream",
      G_CALLBACK (on_get_playlist_stream), ms);
  g_signal_connect (hls, "delete-fragment", G_CALLBACK (on_delete_fragment),
      ms);
  gst_object_unref (hls);
  bus = gst_element_get_bus (ms->pipeline);
  gst_bus_add_watch (bus, bus_cb, o);
  gst_object_unref (bus);
  fail_unless (gst_element_set_state (ms->pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  g_free (desc);
  return ms;
}

static void
mem_stream_stop (MemStream * ms)
{
  GstBus *bus = gst_element_get_bus (ms->pipeline);

  gst_element_set_state (ms->pipeline, GST_STATE_NULL);
  gst_bus_remove_watch (bus);
  gst_object_unref (bus);
  gst_object_unref (ms->pipeline);
  g_hash_table_unref (ms->fragments);
  g_clear_object (&ms->playlist);
  g_clear_pointer (&ms->last_playlist, g_bytes_unref);
  g_mutex_clear (&ms->lock);
  g_free (ms->name);
  g_free (ms);
}

static void
child_setup (gpointer data)
{
  setpgid (0, 0);
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static gboolean
quit_loop (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

/* Runs the main loop (HTTP, bus) until something quits it or @secs. */
static void
run_loop (Origin * o, guint secs)
{
  guint id = g_timeout_add_seconds (secs, quit_loop, o->loop);

  g_main_loop_run (o->loop);
  if (g_main_context_find_source_by_id (NULL, id) != NULL)
    g_source_remove (id);
}

static void
check_stream (const gchar * result, const gchar * name)
{
  gchar **streams = g_strsplit (result, ";", -1);
  gboolean found = FALSE;
  guint i;

  for (i = 0; streams[i] != NULL; i++) {
    gchar **f = g_strsplit (streams[i], "|", -1);

    if (g_strv_length (f) >= 8 && g_str_equal (f[0], name)) {
      gdouble t = g_ascii_strtod (f[1], NULL);
      gdouble adv = g_ascii_strtod (f[2], NULL);
      gint width = atoi (f[5]), frames = atoi (f[6]);

      found = TRUE;
      g_print ("browser %-8s time %6.2f s advanced %6.2f s width %d frames "
          "%d fatal '%s' non-fatal errors %s (last '%s') hls.js latency %s "
          "s\n", name, t, adv, width, frames, f[3], f[4], f[7],
          f[8] ? f[8] : "?");
      fail_unless (*f[3] == '\0', "%s: fatal error in the browser: %s", name,
          f[3]);
      fail_unless (adv >= PLAY_SECONDS / 2, "%s: playback advanced only "
          "%.2f s", name, adv);
      fail_unless (width == 320, "%s: video width %d", name, width);
      fail_unless (frames > 30, "%s: only %d frames decoded", name, frames);
    }
    g_strfreev (f);
  }
  g_strfreev (streams);
  fail_unless (found, "%s: no result from the page", name);
}

static void
remove_dir (const gchar * dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *name;

  while (d && (name = g_dir_read_name (d)) != NULL) {
    gchar *p = g_build_filename (dir, name, NULL);

    g_unlink (p);
    g_free (p);
  }
  if (d)
    g_dir_close (d);
  g_rmdir (dir);
}

GST_START_TEST (test_hlsjs_plays_from_memory)
{
  const gchar *src_root = g_getenv ("ARCLY_SOURCE_ROOT");
  gchar *tmp = g_dir_make_tmp ("arcly-memorigin-XXXXXX", NULL);
  gchar *never = g_build_filename (tmp, "never-created", NULL);
  gchar *profile = g_dir_make_tmp ("arclyhls-chromium-XXXXXX", NULL);
  gchar *hlsjs, *page, *url, *udd;
  Origin o = { 0, };
  GError *err = NULL;
  GSList *uris;
  gint status;
  GPid pid;
  guint i;

  fail_unless (src_root != NULL, "ARCLY_SOURCE_ROOT not set");
  hlsjs = g_build_filename (src_root, "web", "node_modules", "hls.js", "dist",
      "hls.min.js", NULL);
  page = g_build_filename (src_root, "tests", "check", "browser",
      "arclyhlssink.html", NULL);
  fail_unless (g_file_get_contents (hlsjs, &o.hlsjs, &o.hlsjs_len, NULL),
      "hls.js missing (%s): run `npm ci --prefix web`", hlsjs);
  fail_unless (g_file_get_contents (page, &o.page, &o.page_len, NULL));
  fail_unless (g_file_test (CHROMIUM, G_FILE_TEST_IS_EXECUTABLE),
      "Chromium missing: install Debian's chromium package");

  o.loop = g_main_loop_new (NULL, FALSE);
  o.server = soup_server_new ("server-header", "arcly-memory-origin", NULL);
  soup_server_add_handler (o.server, NULL, server_cb, &o, NULL);
  fail_unless (soup_server_listen_local (o.server, 0,
          SOUP_SERVER_LISTEN_IPV4_ONLY, &err), "%s", err ? err->message : "");
  uris = soup_server_get_uris (o.server);
  o.port = (guint16) g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  o.starting = TRUE;
  /* names ending in -ll play in hls.js's low-latency mode */
  o.streams[0] = mem_stream_start (&o, never, "fmp4-ll",
      "segment-format=fmp4 part-duration=300 blocking-reload=true");
  o.streams[1] = mem_stream_start (&o, never, "ts", "segment-format=mpegts");
  run_loop (&o, 30);
  fail_unless (o.streams[0]->segments >= 2 && o.streams[1]->segments >= 2,
      "the live streams did not start");

  url = g_strdup_printf ("http://127.0.0.1:%u/index.html?secs=%d&s=%s,%s",
      o.port, PLAY_SECONDS, o.streams[0]->name, o.streams[1]->name);
  udd = g_strdup_printf ("--user-data-dir=%s", profile);
  {
    const gchar *argv[] = { CHROMIUM, "--headless", "--no-sandbox",
      "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update",
      "--disable-sync", "--autoplay-policy=no-user-gesture-required",
      "--mute-audio", udd, url, NULL
    };
    fail_unless (g_spawn_async (NULL, (gchar **) argv, NULL,
            G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL |
            G_SPAWN_STDERR_TO_DEV_NULL, child_setup, NULL, &pid, &err),
        "cannot start chromium: %s", err ? err->message : "?");
  }
  run_loop (&o, RESULT_TIMEOUT_S);
  kill (-pid, SIGKILL);
  waitpid (pid, &status, 0);
  g_spawn_close_pid (pid);

  fail_unless (o.result != NULL, "no result from the page in %d s",
      RESULT_TIMEOUT_S);
  g_print ("MSE: %s\n", o.caps);
  check_stream (o.result, "fmp4-ll");
  check_stream (o.result, "ts");

  for (i = 0; i < G_N_ELEMENTS (o.streams); i++) {
    MemStream *ms = o.streams[i];

    g_print ("%s: %u fragments deleted, at most %u held\n", ms->name,
        ms->deletions, ms->max_held);
    fail_unless (ms->deletions > 0, "%s: nothing ever deleted", ms->name);
  }
  /* bounded by the window, never the whole run (~20 segments): 4 listed,
   * the open one, and those that left within their duration plus the
   * playlist's (RFC 8216 6.2.2: 6 s at most); with parts, the parts of
   * the newest segments too */
  fail_unless (o.streams[1]->max_held <= 12, "%u", o.streams[1]->max_held);
  fail_unless (o.streams[0]->max_held <= 60, "%u", o.streams[0]->max_held);
  fail_if (g_file_test (never, G_FILE_TEST_EXISTS), "the sinks wrote files");

  while (o.held != NULL)
    held_finish (o.held->data, NULL);
  for (i = 0; i < G_N_ELEMENTS (o.streams); i++)
    mem_stream_stop (o.streams[i]);
  soup_server_disconnect (o.server);
  g_object_unref (o.server);
  g_main_loop_unref (o.loop);
  remove_dir (profile);
  g_rmdir (tmp);
  g_free (o.result);
  g_free (o.caps);
  g_free (o.hlsjs);
  g_free (o.page);
  g_free (hlsjs);
  g_free (page);
  g_free (url);
  g_free (udd);
  g_free (profile);
  g_free (never);
  g_free (tmp);
}

GST_END_TEST;

static Suite *
hlssink_memory_suite (void)
{
  Suite *s = suite_create ("browser-hlssink-memory");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 150);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_hlsjs_plays_from_memory);
  return s;
}

GST_CHECK_MAIN (hlssink_memory);
