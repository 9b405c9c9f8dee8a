/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * arclyhlssink output played in a real browser: headless Debian Chromium
 * with hls.js (web/node_modules, from `npm ci --prefix web`).
 *
 * One Chromium run plays six streams side by side from a tiny HTTP server
 * of this test on 127.0.0.1 (GIO, served from a temporary folder):
 * fMP4 and TS as VOD, fMP4 and TS live (pipelines running in this process
 * while the browser plays), and fMP4 and TS VOD with a DISCONT in the
 * middle (EXT-X-DISCONTINUITY), and LL-HLS fMP4 and TS whose sources
 * stop for 3 s while the browser plays (a camera drop): hls.js must play
 * across the gap and be back within its low-latency target after it.
 * The page (arclyhlssink.html) reports
 * through a request to /__result__: current time, how far playback
 * advanced, fatal hls.js / media errors, decoded frames, and what
 * MediaSource.isTypeSupported says for H.264/AAC/HEVC.
 *
 * Chromium is started in its own process group and killed by that id,
 * with PR_SET_PDEATHSIG so it never outlives the test.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>

#define PLAY_SECONDS 16
#define RESULT_TIMEOUT_S 60
#define CHROMIUM "/usr/bin/chromium"

/* 320x240 I420 (browsers refuse 4:4:4), 1 s GOPs without scene cuts */
#define SOURCES_FORMAT \
  "videotestsrc num-buffers=%s is-live=%s ! " \
  "video/x-raw,format=I420,width=320,height=240,framerate=30/1 ! " \
  "x264enc key-int-max=30 option-string=scenecut=0 speed-preset=ultrafast " \
  "tune=zerolatency ! h264parse name=vparse ! hls.video " \
  "audiotestsrc num-buffers=%s is-live=%s samplesperbuffer=1024 ! " \
  "audio/x-raw,rate=44100,channels=1 ! voaacenc ! aacparse name=aparse ! " \
  "hls.audio "

typedef struct {
  gchar *root;
  GSocketListener *listener;
  GCancellable *cancel;
  GThread *thread;
  gint active;                  /* connection threads running (atomic) */
  guint16 port;
  GMutex lock;
  GCond cond;
  gchar *result;                /* under lock */
  gchar *caps;                  /* under lock */
  gint range_requests;          /* answered 206 (atomic) */
} Server;

/* ---- a small static file server ---------------------------------------- */

static const gchar *
content_type (const gchar * path)
{
  if (g_str_has_suffix (path, ".m3u8"))
    return "application/vnd.apple.mpegurl";
  if (g_str_has_suffix (path, ".ts"))
    return "video/mp2t";
  if (g_str_has_suffix (path, ".m4s") || g_str_has_suffix (path, ".mp4"))
    return "video/mp4";
  if (g_str_has_suffix (path, ".js"))
    return "application/javascript";
  if (g_str_has_suffix (path, ".html"))
    return "text/html; charset=utf-8";
  return "application/octet-stream";
}

static void
respond_full (GOutputStream * out, const gchar * status, const gchar * type,
    const gchar * extra, const gchar * body, gsize len)
{
  gchar *head = g_strdup_printf ("HTTP/1.1 %s\r\nContent-Type: %s\r\n"
      "Content-Length: %" G_GSIZE_FORMAT "\r\nCache-Control: no-cache\r\n"
      "%sConnection: close\r\n\r\n", status, type, len, extra);

  g_output_stream_write_all (out, head, strlen (head), NULL, NULL, NULL);
  if (len > 0)
    g_output_stream_write_all (out, body, len, NULL, NULL, NULL);
  g_free (head);
}

static void
respond (GOutputStream * out, const gchar * status, const gchar * type,
    const gchar * body, gsize len)
{
  respond_full (out, status, type, "", body, len);
}

/* "Range: bytes=A-B" (A-: to the end), as hls.js asks for a part that is
 * a byte range of its segment (arclyhlssink part-byteranges): 206 with
 * the bytes, from a segment file that may still grow (at most 4 s for
 * bytes not there yet; a listed part's are), 416 past its end. */
static void
respond_range (Server * srv, GOutputStream * out, const gchar * path,
    const gchar * range)
{
  guint64 start, end = G_MAXUINT64;
  gchar *e = NULL, *data = NULL, *cr;
  gsize len = 0;
  guint waited;

  start = g_ascii_strtoull (range, &e, 10);
  if (e == NULL || *e != '-') {
    respond (out, "400 Bad Request", "text/plain", "", 0);
    return;
  }
  if (g_ascii_isdigit (e[1]))
    end = g_ascii_strtoull (e + 1, NULL, 10);
  for (waited = 0; waited <= 4000; waited += 20) {
    if (g_file_get_contents (path, &data, &len, NULL)
        && (end == G_MAXUINT64 ? len > start : len > end))
      break;
    g_clear_pointer (&data, g_free);
    g_usleep (20 * 1000);
  }
  if (data == NULL) {
    respond (out, "416 Range Not Satisfiable", "text/plain", "", 0);
    return;
  }
  if (end == G_MAXUINT64 || end >= len)
    end = len - 1;
  cr = g_strdup_printf ("Content-Range: bytes %" G_GUINT64_FORMAT "-%"
      G_GUINT64_FORMAT "/%" G_GSIZE_FORMAT "\r\n", start, end, len);
  respond_full (out, "206 Partial Content", content_type (path), cr,
      data + start, end - start + 1);
  g_atomic_int_inc (&srv->range_requests);
  g_free (cr);
  g_free (data);
}

typedef struct {
  Server *srv;
  GSocketConnection *conn;
} Connection;

/* LL-HLS blocking playlist reload (RFC 8216bis 6.2.5.2), enough for the
 * test: is part @part (-1: the whole segment) of segment @msn listed? */
static gboolean
playlist_has (const gchar * text, guint64 msn, gint part)
{
  const gchar *p = strstr (text, "#EXT-X-MEDIA-SEQUENCE:");
  guint64 seq, complete = 0;
  gint parts_after = 0;
  gchar **lines;
  guint i;

  if (p == NULL)
    return FALSE;
  seq = g_ascii_strtoull (p + 22, NULL, 10);
  lines = g_strsplit (text, "\n", -1);
  for (i = 0; lines[i] != NULL; i++) {
    if (g_str_has_prefix (lines[i], "#EXTINF")) {
      complete++;
      parts_after = 0;
    } else if (g_str_has_prefix (lines[i], "#EXT-X-PART:")) {
      parts_after++;
    } else if (strcmp (lines[i], "#EXT-X-ENDLIST") == 0) {
      g_strfreev (lines);
      return TRUE;
    }
  }
  g_strfreev (lines);
  /* segments seq .. seq+complete-1 are complete; seq+complete is open
   * with parts_after parts */
  if (msn < seq + complete)
    return TRUE;
  return msn == seq + complete && part >= 0 && part < parts_after;
}

/* Hold a request until @path exists (a preload-hinted part) or, with
 * @msn, until the playlist lists what was asked; at most 4 s. */
static gchar *
wait_for (const gchar * path, gboolean blocking, guint64 msn, gint part,
    gsize * len)
{
  guint waited;
  gchar *data = NULL;

  for (waited = 0; waited <= 4000; waited += 20) {
    if (g_file_get_contents (path, &data, len, NULL)) {
      if (!blocking || playlist_has (data, msn, part))
        return data;
      g_free (data);
      data = NULL;
    }
    g_usleep (20 * 1000);
  }
  if (blocking && g_file_get_contents (path, &data, len, NULL))
    return data;
  return NULL;
}

/* One thread per connection (Chromium opens idle preconnect sockets); a
 * read times out after 5 s so none lingers. */
static gpointer
connection_thread (gpointer user_data)
{
  Connection *c = user_data;
  Server *srv = c->srv;
  GSocketConnection *conn = c->conn;
  GDataInputStream *in = g_data_input_stream_new (g_io_stream_get_input_stream
      (G_IO_STREAM (conn)));
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (conn));
  gchar *line = g_data_input_stream_read_line (in, NULL, NULL, NULL);
  gchar **req = line ? g_strsplit (line, " ", 3) : NULL;
  gchar *h, *range = NULL;
  guint nheaders = 0;

  /* drain the headers (bounded), keeping Range */
  while ((h = g_data_input_stream_read_line (in, NULL, NULL, NULL)) != NULL) {
    gboolean end = (*h == '\0' || (h[0] == '\r' && h[1] == '\0'));

    if (range == NULL && g_ascii_strncasecmp (h, "Range: bytes=", 13) == 0)
      range = g_strstrip (g_strdup (h + 13));
    g_free (h);
    if (end || ++nheaders > 100)
      break;
  }

  if (req == NULL || g_strv_length (req) < 2 || !g_str_equal (req[0], "GET")) {
    respond (out, "400 Bad Request", "text/plain", "", 0);
  } else if (g_str_has_prefix (req[1], "/__result__?")) {
    gchar **q = g_strsplit (req[1] + 12, "&caps=", 2);

    g_mutex_lock (&srv->lock);
    g_free (srv->result);
    srv->result = g_uri_unescape_string (q[0], NULL);
    g_free (srv->caps);
    srv->caps = q[1] ? g_uri_unescape_string (q[1], NULL) : NULL;
    g_cond_broadcast (&srv->cond);
    g_mutex_unlock (&srv->lock);
    g_strfreev (q);
    respond (out, "200 OK", "text/plain", "ok", 2);
  } else {
    gchar *rel = g_uri_unescape_string (req[1] + 1, NULL);
    gchar *qm = rel ? strchr (rel, '?') : NULL;
    gchar *path, *data = NULL, *m;
    gsize len = 0;
    gboolean blocking = FALSE;
    guint64 msn = 0;
    gint part = -1;

    if (qm) {
      *qm = '\0';
      if ((m = strstr (qm + 1, "_HLS_msn=")) != NULL) {
        blocking = TRUE;
        msn = g_ascii_strtoull (m + 9, NULL, 10);
        if ((m = strstr (qm + 1, "_HLS_part=")) != NULL)
          part = atoi (m + 10);
      }
    }
    if (rel == NULL || strstr (rel, "..") != NULL || *rel == '/') {
      respond (out, "403 Forbidden", "text/plain", "", 0);
    } else {
      path = g_build_filename (srv->root, rel, NULL);
      /* parts (…NNNNN.K.ext) may be asked for before they exist
       * (EXT-X-PRELOAD-HINT): hold those, as an LL-HLS origin does */
      if (range != NULL && !blocking)
        respond_range (srv, out, path, range);
      else if (blocking || g_regex_match_simple ("\\.[0-9]+\\.(m4s|ts)$", rel, 0,
              0))
        data = wait_for (path, blocking, msn, part, &len);
      else if (!g_file_get_contents (path, &data, &len, NULL))
        data = NULL;
      if (range != NULL && !blocking)
        ;                       /* answered */
      else if (data != NULL)
        respond (out, "200 OK", content_type (path), data, len);
      else
        respond (out, "404 Not Found", "text/plain", "", 0);
      g_free (data);
      g_free (path);
    }
    g_free (rel);
  }
  g_strfreev (req);
  g_free (range);
  g_free (line);
  g_object_unref (in);
  g_io_stream_close (G_IO_STREAM (conn), NULL, NULL);
  g_object_unref (conn);
  g_free (c);
  g_atomic_int_dec_and_test (&srv->active);
  return NULL;
}

static gpointer
accept_thread (gpointer data)
{
  Server *srv = data;

  for (;;) {
    GSocketConnection *conn = g_socket_listener_accept (srv->listener, NULL,
        srv->cancel, NULL);
    Connection *c;

    if (conn == NULL)
      break;
    g_socket_set_timeout (g_socket_connection_get_socket (conn), 5);
    c = g_new0 (Connection, 1);
    c->srv = srv;
    c->conn = conn;
    g_atomic_int_inc (&srv->active);
    g_thread_unref (g_thread_new ("http-conn", connection_thread, c));
  }
  return NULL;
}

static Server *
server_start (const gchar * root)
{
  Server *srv = g_new0 (Server, 1);
  GInetAddress *lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  GSocketAddress *addr = g_inet_socket_address_new (lo, 0), *eff = NULL;
  GError *err = NULL;

  srv->root = g_strdup (root);
  g_mutex_init (&srv->lock);
  g_cond_init (&srv->cond);
  srv->listener = g_socket_listener_new ();
  srv->cancel = g_cancellable_new ();
  fail_unless (g_socket_listener_add_address (srv->listener, addr, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
          NULL, &eff, &err), "cannot listen on 127.0.0.1: %s",
      err ? err->message : "?");
  srv->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (eff));
  srv->thread = g_thread_new ("http-accept", accept_thread, srv);
  g_object_unref (eff);
  g_object_unref (addr);
  g_object_unref (lo);
  return srv;
}

static void
server_stop (Server * srv)
{
  guint waited;

  g_cancellable_cancel (srv->cancel);
  g_thread_join (srv->thread);
  g_socket_listener_close (srv->listener);
  /* connection threads end within their 5 s read timeout */
  for (waited = 0; g_atomic_int_get (&srv->active) > 0 && waited < 8000;
      waited += 50)
    g_usleep (50 * 1000);
  fail_unless (g_atomic_int_get (&srv->active) == 0,
      "HTTP connection threads still running");
  g_object_unref (srv->listener);
  g_object_unref (srv->cancel);
  g_free (srv->root);
  g_free (srv->result);
  g_free (srv->caps);
  g_mutex_clear (&srv->lock);
  g_cond_clear (&srv->cond);
  g_free (srv);
}

/* ---- producing the streams ---------------------------------------------- */

static void
remove_dir (const gchar * dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *name;

  if (d == NULL)
    return;
  while ((name = g_dir_read_name (d)) != NULL) {
    gchar *p = g_build_filename (dir, name, NULL);
    if (g_file_test (p, G_FILE_TEST_IS_DIR))
      remove_dir (p);
    else
      g_unlink (p);
    g_free (p);
  }
  g_dir_close (d);
  g_rmdir (dir);
}

static gchar *
stream_desc (const gchar * root, const gchar * name, const gchar * format,
    const gchar * nv, const gchar * na, const gchar * live,
    const gchar * extra)
{
  gchar *dir = g_build_filename (root, name, NULL);
  gchar *desc;

  fail_unless (g_mkdir (dir, 0755) == 0);
  desc = g_strdup_printf (SOURCES_FORMAT "arclyhlssink name=hls "
      "segment-format=%s location=%s/segment%%05d.%s "
      "init-location=%s/init%%d.mp4 playlist-location=%s/playlist.m3u8 "
      "target-duration=1 %s", nv, live, na, live,
      format, dir, g_str_equal (format, "mpegts") ? "ts" : "m4s", dir, dir,
      extra);
  g_free (dir);
  return desc;
}

static GstPadProbeReturn
mark_discont (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  guint *n = user_data;

  if (++(*n) == 105) {
    GstBuffer *buf = gst_buffer_make_writable (GST_PAD_PROBE_INFO_BUFFER
        (info));
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
    GST_PAD_PROBE_INFO_DATA (info) = buf;
  }
  return GST_PAD_PROBE_OK;
}

/* VOD fMP4 with the segments in a subfolder of the playlist's and no
 * init-location: the init segment goes next to the segments, every URI
 * is relative to the playlist ("media/segment00000.m4s"). */
static gchar *
layout_desc (const gchar * root, const gchar * name)
{
  gchar *dir = g_build_filename (root, name, NULL);
  gchar *media = g_build_filename (dir, "media", NULL);
  gchar *desc;

  fail_unless (g_mkdir (dir, 0755) == 0 && g_mkdir (media, 0755) == 0);
  desc = g_strdup_printf (SOURCES_FORMAT "arclyhlssink name=hls "
      "segment-format=fmp4 location=%s/segment%%05d.m4s "
      "playlist-location=%s/playlist.m3u8 target-duration=1 "
      "playlist-type=vod", "180", "false", "258", "false", media, dir);
  g_free (media);
  g_free (dir);
  return desc;
}

/* A live LL-HLS stream whose GOP (1.5 s) does not line up with its
 * 200 ms parts. */
static gchar *
gop_desc (const gchar * root, const gchar * name, const gchar * format)
{
  gchar *desc = stream_desc (root, name, format, "-1", "-1", "true",
      "playlist-length=5 max-files=8 part-duration=200 blocking-reload=true");
  gchar **split = g_strsplit (desc, "key-int-max=30 ", 2);
  gchar *gop, *t;

  fail_unless (split[1] != NULL);
  gop = g_strjoinv ("key-int-max=45 ", split);
  /* segments end at the first keyframe at or after 3 s */
  t = g_strconcat (gop, " target-duration=3", NULL);
  g_strfreev (split);
  g_free (gop);
  g_free (desc);
  return t;
}

/* A camera drop: no buffer of either stream from GAP_FROM for GAP_LENGTH
 * of running time (a live pipeline: its timestamps jump over it).  By
 * running time, not PTS: x264enc's timestamps start at 1000 h, so a
 * window of PTS dropped only the audio (hls.js then stalled on the 3 s
 * hole in the audio, not on anything a camera drop does). */
#define GAP_FROM (9 * GST_SECOND)
#define GAP_LENGTH (3 * GST_SECOND)

static GstPadProbeReturn
drop_window (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstClockTime t = GST_BUFFER_PTS (GST_PAD_PROBE_INFO_BUFFER (info));
  GstEvent *ev = gst_pad_get_sticky_event (pad, GST_EVENT_SEGMENT, 0);

  if (ev != NULL) {
    const GstSegment *seg;

    gst_event_parse_segment (ev, &seg);
    t = gst_segment_to_running_time (seg, GST_FORMAT_TIME, t);
    gst_event_unref (ev);
  }
  if (GST_CLOCK_TIME_IS_VALID (t) && t >= GAP_FROM
      && t < GAP_FROM + GAP_LENGTH)
    return GST_PAD_PROBE_DROP;
  return GST_PAD_PROBE_OK;
}

static void
add_gap (GstElement * p)
{
  const gchar *names[] = { "vparse", "aparse" };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (names); i++) {
    GstElement *e = gst_bin_get_by_name (GST_BIN (p), names[i]);
    GstPad *pad = gst_element_get_static_pad (e, "src");

    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, drop_window, NULL,
        NULL);
    gst_object_unref (pad);
    gst_object_unref (e);
  }
}

static GstElement *
start_pipeline_full (const gchar * desc, guint * discont_counter,
    gboolean gap)
{
  GError *err = NULL;
  GstElement *p = gst_parse_launch (desc, &err);

  fail_unless (p != NULL, "cannot build %s: %s", desc,
      err ? err->message : "?");
  if (discont_counter != NULL) {
    GstElement *parse = gst_bin_get_by_name (GST_BIN (p), "vparse");
    GstPad *pad = gst_element_get_static_pad (parse, "src");

    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, mark_discont,
        discont_counter, NULL);
    gst_object_unref (pad);
    gst_object_unref (parse);
  }
  if (gap)
    add_gap (p);
  fail_if (gst_element_set_state (p, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  return p;
}

/* The running time of the playing pipeline @p now. */
static GstClockTimeDiff
running_time (GstElement * p)
{
  GstClock *clock = gst_element_get_clock (p);
  GstClockTimeDiff rt;

  fail_unless (clock != NULL);
  rt = GST_CLOCK_DIFF (gst_element_get_base_time (p),
      gst_clock_get_time (clock));
  gst_object_unref (clock);
  return rt;
}

static GstElement *
start_pipeline (const gchar * desc, guint * discont_counter)
{
  return start_pipeline_full (desc, discont_counter, FALSE);
}

static void
finish_pipeline (GstElement * p, gboolean send_eos)
{
  GstBus *bus = gst_element_get_bus (p);
  GstMessage *msg;

  if (send_eos)
    gst_element_send_event (p, gst_event_new_eos ());
  msg = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "pipeline did not finish in 30 s");
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    GError *e = NULL;
    gst_message_parse_error (msg, &e, NULL);
    fail ("pipeline error: %s", e->message);
  }
  gst_message_unref (msg);
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (p);
}

static gboolean
wait_segments (const gchar * playlist, guint n, guint timeout_ms)
{
  guint waited;

  for (waited = 0; waited < timeout_ms; waited += 100) {
    gchar *text = NULL;
    guint count = 0;
    const gchar *p;

    if (g_file_get_contents (playlist, &text, NULL, NULL))
      for (p = text; (p = strstr (p, "#EXTINF")) != NULL; p++)
        count++;
    g_free (text);
    if (count >= n)
      return TRUE;
    g_usleep (100 * 1000);
  }
  return FALSE;
}

/* ---- the browser ---------------------------------------------------------- */

static void
child_setup (gpointer data)
{
  setpgid (0, 0);
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static void
check_stream (const gchar * result, const gchar * name, gdouble min_time,
    gdouble min_advance)
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
      g_print ("browser %-12s time %6.2f s advanced %6.2f s width %d frames "
          "%d fatal '%s' non-fatal errors %s (last '%s') hls.js latency %s "
          "s\n", name, t, adv, width, frames, f[3], f[4], f[7],
          f[8] ? f[8] : "?");
      fail_unless (*f[3] == '\0', "%s: fatal error in the browser: %s", name,
          f[3]);
      fail_unless (t >= min_time, "%s: playback reached only %.2f s", name,
          t);
      fail_unless (adv >= min_advance, "%s: playback advanced only %.2f s",
          name, adv);
      fail_unless (width == 320, "%s: video width %d", name, width);
      fail_unless (frames > 30, "%s: only %d frames decoded", name, frames);
    }
    g_strfreev (f);
  }
  g_strfreev (streams);
  fail_unless (found, "%s: no result from the page", name);
}

/* Stalls hls.js reported in the first STARTUP_STALL_S seconds of the
 * page (its timeline lines "<page seconds> bufferStalledError"): while
 * Chromium itself is starting, a loaded machine (CI's is shared) can hold
 * the first parts' loading past the playhead (a CI run failed so, the
 * machine otherwise idle).  A stall after that is the stream's and
 * counts. */
#define STARTUP_STALL_S 2.0

static guint
startup_stalls (const gchar * timeline)
{
  gchar **lines = g_strsplit (timeline, "\n", -1);
  guint i, n = 0;

  for (i = 0; lines[i] != NULL; i++) {
    gchar *end = NULL;
    gdouble t = g_ascii_strtod (lines[i], &end);

    if (end != lines[i] && t < STARTUP_STALL_S
        && g_str_equal (g_strstrip (end), "bufferStalledError"))
      n++;
  }
  g_strfreev (lines);
  return n;
}

/* hls.js in low-latency mode: its target latency starts at the
 * playlist's PART-HOLD-BACK (3 x 300 ms), grows by one second per stall
 * (hls.js's liveSyncOnStallIncrease: a camera that stops for 3 s is one;
 * a stall while Chromium starts is allowed, see startup_stalls), and it
 * plays within a second of it (headless Chromium playing a dozen streams
 * on a loaded machine catches up slowly) at the end and over the last 3 s
 * of the run.  On a failure the page's timeline of the stream is printed
 * (latency, buffered ranges and hls.js errors every 0.5 s). */
static void
check_ll_latency (const gchar * result, const gchar * name,
    gdouble hold_back, guint stalls)
{
  gchar **streams = g_strsplit (result, ";", -1);
  gboolean found = FALSE;
  guint i;

  for (i = 0; streams[i] != NULL; i++) {
    gchar **f = g_strsplit (streams[i], "|", -1);

    if (g_strv_length (f) >= 11 && g_str_equal (f[0], name)) {
      gdouble latency = -1, target = -1, highest;
      gboolean ok;
      guint early;

      found = sscanf (f[8], "%lf (target %lf)", &latency, &target) == 2;
      fail_unless (found, "%s: no hls.js latency in '%s'", name, f[8]);
      highest = g_ascii_strtod (f[9], NULL);
      early = startup_stalls (f[10]);
      g_print ("browser %-12s hls.js latency %.3f s, at most %.3f s over "
          "the last 3 s (target %.3f s, %u stall(s) while starting)\n", name,
          latency, highest, target, early);
      stalls += early;
      ok = target > hold_back - 0.05 && target < hold_back + 0.05 + stalls
          && latency < target + 1.0 && highest > 0 && highest < target + 1.0;
      if (!ok)
        g_print ("%s timeline (page seconds):\n%s\n", name, f[10]);
      fail_unless (target > hold_back - 0.05 && target < hold_back + 0.05 +
          stalls, "%s: hls.js target latency %.3f s, not PART-HOLD-BACK "
          "%.1f s (+ %u s)", name, target, hold_back, stalls);
      fail_unless (latency < target + 1.0, "%s: hls.js %.3f s behind live, "
          "target %.3f s", name, latency, target);
      fail_unless (highest > 0 && highest < target + 1.0, "%s: hls.js up "
          "to %.3f s behind live over the last 3 s, target %.3f s", name,
          highest, target);
    }
    g_strfreev (f);
  }
  g_strfreev (streams);
  fail_unless (found, "%s: no result from the page", name);
}

/* A folder with the test page and hls.js, for the streams. */
static gchar *
prepare_root (void)
{
  const gchar *src_root = g_getenv ("ARCLY_SOURCE_ROOT");
  gchar *root = g_dir_make_tmp ("arclyhls-browser-XXXXXX", NULL);
  gchar *hlsjs, *page_src, *p, *data = NULL;
  gsize len;

  fail_unless (src_root != NULL, "ARCLY_SOURCE_ROOT not set");
  hlsjs = g_build_filename (src_root, "web", "node_modules", "hls.js", "dist",
      "hls.min.js", NULL);
  fail_unless (g_file_test (hlsjs, G_FILE_TEST_IS_REGULAR),
      "hls.js missing (%s): run `npm ci --prefix web`", hlsjs);
  fail_unless (g_file_test (CHROMIUM, G_FILE_TEST_IS_EXECUTABLE),
      "Chromium missing: install Debian's chromium package");
  fail_unless (g_file_get_contents (hlsjs, &data, &len, NULL));
  p = g_build_filename (root, "hls.min.js", NULL);
  fail_unless (g_file_set_contents (p, data, len, NULL));
  g_free (p);
  g_free (data);
  page_src = g_build_filename (src_root, "tests", "check", "browser",
      "arclyhlssink.html", NULL);
  fail_unless (g_file_get_contents (page_src, &data, &len, NULL));
  p = g_build_filename (root, "index.html", NULL);
  fail_unless (g_file_set_contents (p, data, len, NULL));
  g_free (p);
  g_free (data);
  g_free (page_src);
  g_free (hlsjs);
  return root;
}

/* Range requests the server of the last play_in_chromium() answered. */
static gint last_range_requests;

/* Serves @root, plays @streams (comma separated) in headless Chromium for
 * PLAY_SECONDS and returns the page's result (NULL: none in time);
 * *caps: its MSE support line. */
static gchar *
play_in_chromium (const gchar * root, const gchar * streams, gchar ** caps)
{
  Server *srv = server_start (root);
  gchar *profile = g_dir_make_tmp ("arclyhls-chromium-XXXXXX", NULL);
  gchar *url = g_strdup_printf ("http://127.0.0.1:%u/index.html?secs=%d&s=%s",
      srv->port, PLAY_SECONDS, streams);
  gchar *udd = g_strdup_printf ("--user-data-dir=%s", profile);
  const gchar *argv[] = { CHROMIUM, "--headless", "--no-sandbox",
    "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--autoplay-policy=no-user-gesture-required",
    "--mute-audio", udd, url, NULL
  };
  GError *err = NULL;
  gchar *result;
  gint64 deadline;
  gint status;
  GPid pid;

  fail_unless (g_spawn_async (NULL, (gchar **) argv, NULL,
          G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL |
          G_SPAWN_STDERR_TO_DEV_NULL, child_setup, NULL, &pid, &err),
      "cannot start chromium: %s", err ? err->message : "?");
  deadline = g_get_monotonic_time () + RESULT_TIMEOUT_S * G_USEC_PER_SEC;
  g_mutex_lock (&srv->lock);
  while (srv->result == NULL)
    if (!g_cond_wait_until (&srv->cond, &srv->lock, deadline))
      break;
  result = g_strdup (srv->result);
  *caps = g_strdup (srv->caps);
  g_mutex_unlock (&srv->lock);

  kill (-pid, SIGKILL);
  waitpid (pid, &status, 0);
  g_spawn_close_pid (pid);
  last_range_requests = g_atomic_int_get (&srv->range_requests);
  server_stop (srv);
  remove_dir (profile);
  g_free (profile);
  g_free (udd);
  g_free (url);
  return result;
}

GST_START_TEST (test_hlsjs_playback)
{
  gchar *root = prepare_root ();
  gchar *desc, *p, *data = NULL;
  GstElement *live_fmp4, *live_ts, *live_fmp4_ll, *live_ts_ll, *vod[5];
  guint discont_n[2] = { 0, 0 }, i;
  gchar *result = NULL, *caps = NULL;

  /* VOD streams: 6 s; with a DISCONT at 3.5 s: 8 s */
  desc = stream_desc (root, "fmp4-vod", "fmp4", "180", "258", "false",
      "playlist-type=vod");
  vod[0] = start_pipeline (desc, NULL);
  g_free (desc);
  desc = stream_desc (root, "ts-vod", "mpegts", "180", "258", "false",
      "playlist-type=vod");
  vod[1] = start_pipeline (desc, NULL);
  g_free (desc);
  desc = stream_desc (root, "fmp4-disc", "fmp4", "240", "345", "false",
      "playlist-type=vod");
  vod[2] = start_pipeline (desc, &discont_n[0]);
  g_free (desc);
  desc = stream_desc (root, "ts-disc", "mpegts", "240", "345", "false",
      "playlist-type=vod");
  vod[3] = start_pipeline (desc, &discont_n[1]);
  g_free (desc);
  desc = layout_desc (root, "fmp4-layout");
  vod[4] = start_pipeline (desc, NULL);
  g_free (desc);
  for (i = 0; i < 5; i++)
    finish_pipeline (vod[i], FALSE);
  p = g_build_filename (root, "fmp4-layout", "playlist.m3u8", NULL);
  fail_unless (g_file_get_contents (p, &data, NULL, NULL));
  fail_unless (strstr (data, "#EXT-X-MAP:URI=\"media/init0.mp4\"") != NULL
      && strstr (data, "\nmedia/segment00000.m4s\n") != NULL, "%s", data);
  g_free (data);
  g_free (p);
  for (i = 0; i < 2; i++) {
    gchar *pl = g_build_filename (root, i ? "ts-disc" : "fmp4-disc",
        "playlist.m3u8", NULL);
    fail_unless (g_file_get_contents (pl, &data, NULL, NULL));
    fail_unless (strstr (data, "#EXT-X-DISCONTINUITY\n") != NULL, "%s", data);
    g_free (data);
    g_free (pl);
  }

  /* live streams, running while the browser plays */
  desc = stream_desc (root, "fmp4-live", "fmp4", "-1", "-1", "true",
      "playlist-length=5 max-files=8");
  live_fmp4 = start_pipeline (desc, NULL);
  g_free (desc);
  desc = stream_desc (root, "ts-live", "mpegts", "-1", "-1", "true",
      "playlist-length=5 max-files=8");
  live_ts = start_pipeline (desc, NULL);
  g_free (desc);
  /* LL-HLS, 300 ms parts, served with blocking reload by this server */
  desc = stream_desc (root, "fmp4-ll", "fmp4", "-1", "-1", "true",
      "playlist-length=5 max-files=8 part-duration=300 blocking-reload=true");
  live_fmp4_ll = start_pipeline (desc, NULL);
  g_free (desc);
  desc = stream_desc (root, "ts-ll", "mpegts", "-1", "-1", "true",
      "playlist-length=5 max-files=8 part-duration=300 blocking-reload=true");
  live_ts_ll = start_pipeline (desc, NULL);
  g_free (desc);
  p = g_build_filename (root, "ts-live", "playlist.m3u8", NULL);
  fail_unless (wait_segments (p, 3, 20000), "live playlist not started");
  g_free (p);
  p = g_build_filename (root, "ts-ll", "playlist.m3u8", NULL);
  fail_unless (wait_segments (p, 2, 20000), "LL playlist not started");
  g_free (p);

  result = play_in_chromium (root, "fmp4-vod,ts-vod,fmp4-live,ts-live,"
      "fmp4-disc,ts-disc,fmp4-ll,ts-ll,fmp4-layout", &caps);
  finish_pipeline (live_fmp4, TRUE);
  finish_pipeline (live_ts, TRUE);
  finish_pipeline (live_fmp4_ll, TRUE);
  finish_pipeline (live_ts_ll, TRUE);

  fail_unless (result != NULL, "no result from Chromium within %d s",
      RESULT_TIMEOUT_S);
  g_print ("Chromium MSE support: %s\n", caps ? caps : "?");
  check_stream (result, "fmp4-vod", 5.5, 4.0);
  check_stream (result, "ts-vod", 5.5, 4.0);
  /* segments and init segment in a subfolder of the playlist's */
  check_stream (result, "fmp4-layout", 5.5, 4.0);
  /* the discontinuity starts the segment at 4 s: play well past it */
  check_stream (result, "fmp4-disc", 5.5, 4.5);
  check_stream (result, "ts-disc", 5.5, 4.5);
  check_stream (result, "fmp4-live", 0.0, 3.0);
  check_stream (result, "ts-live", 0.0, 3.0);
  check_stream (result, "fmp4-ll", 0.0, 3.0);
  check_stream (result, "ts-ll", 0.0, 3.0);

  g_free (result);
  g_free (caps);
  remove_dir (root);
  g_free (root);
}

GST_END_TEST;

/* LL-HLS in hls.js's low-latency mode, in a Chromium run of its own (a
 * loaded machine makes hls.js stall): GOPs of 1.5 s with 200 ms parts
 * (keyframes start parts in mid-segment). */
GST_START_TEST (test_hlsjs_low_latency_keyframes)
{
  gchar *root = prepare_root ();
  gchar *desc, *data = NULL;
  GstElement *gop_fmp4_ll, *gop_ts_ll;
  gchar *result = NULL, *caps = NULL, *p;
  guint i;

  desc = gop_desc (root, "fmp4-gop-ll", "fmp4");
  gop_fmp4_ll = start_pipeline (desc, NULL);
  g_free (desc);
  desc = gop_desc (root, "ts-gop-ll", "mpegts");
  gop_ts_ll = start_pipeline (desc, NULL);
  g_free (desc);
  p = g_build_filename (root, "ts-gop-ll", "playlist.m3u8", NULL);
  fail_unless (wait_segments (p, 1, 20000), "LL playlist not started");
  g_free (p);

  result = play_in_chromium (root, "fmp4-gop-ll,ts-gop-ll", &caps);
  finish_pipeline (gop_fmp4_ll, TRUE);
  finish_pipeline (gop_ts_ll, TRUE);
  fail_unless (result != NULL, "no result from Chromium within %d s",
      RESULT_TIMEOUT_S);

  check_stream (result, "fmp4-gop-ll", 0.0, 3.0);
  check_stream (result, "ts-gop-ll", 0.0, 3.0);
  check_ll_latency (result, "fmp4-gop-ll", 0.6, 0);
  check_ll_latency (result, "ts-gop-ll", 0.6, 0);
  for (i = 0; i < 2; i++) {
    gchar *pl = g_build_filename (root, i ? "ts-gop-ll" : "fmp4-gop-ll",
        "playlist.m3u8", NULL);

    fail_unless (g_file_get_contents (pl, &data, NULL, NULL));
    fail_unless (g_regex_match_simple ("#EXT-X-PART:[^\n]*\n"
            "#EXT-X-PART:[^\n]*INDEPENDENT=YES", data, 0, 0),
        "no keyframe in mid-segment:\n%s", data);
    g_free (data);
    g_free (pl);
  }
  g_free (result);
  g_free (caps);
  remove_dir (root);
  g_free (root);
}

GST_END_TEST;

/* LL-HLS whose parts are byte ranges of their segments (part-byteranges,
 * one file per segment), fMP4 and TS, 300 ms parts: hls.js in low-latency
 * mode fetches the parts with Range requests and plays within its target
 * latency (PART-HOLD-BACK), in a Chromium run of their own. */
GST_START_TEST (test_hlsjs_low_latency_byteranges)
{
  gchar *root = prepare_root ();
  gchar *desc, *data = NULL;
  GstElement *br_fmp4, *br_ts;
  gchar *result = NULL, *caps = NULL, *p;
  guint i;

  desc = stream_desc (root, "fmp4-br-ll", "fmp4", "-1", "-1", "true",
      "playlist-length=5 max-files=8 part-duration=300 blocking-reload=true "
      "part-byteranges=true");
  br_fmp4 = start_pipeline (desc, NULL);
  g_free (desc);
  desc = stream_desc (root, "ts-br-ll", "mpegts", "-1", "-1", "true",
      "playlist-length=5 max-files=8 part-duration=300 blocking-reload=true "
      "part-byteranges=true");
  br_ts = start_pipeline (desc, NULL);
  g_free (desc);
  p = g_build_filename (root, "ts-br-ll", "playlist.m3u8", NULL);
  fail_unless (wait_segments (p, 2, 20000), "LL playlist not started");
  g_free (p);

  result = play_in_chromium (root, "fmp4-br-ll,ts-br-ll", &caps);
  finish_pipeline (br_fmp4, TRUE);
  finish_pipeline (br_ts, TRUE);
  fail_unless (result != NULL, "no result from Chromium within %d s",
      RESULT_TIMEOUT_S);

  check_stream (result, "fmp4-br-ll", 0.0, 3.0);
  check_stream (result, "ts-br-ll", 0.0, 3.0);
  check_ll_latency (result, "fmp4-br-ll", 0.9, 0);
  check_ll_latency (result, "ts-br-ll", 0.9, 0);
  g_print ("byte-range parts: %d Range requests answered\n",
      last_range_requests);
  fail_unless (last_range_requests > 20, "hls.js made %d Range requests",
      last_range_requests);
  for (i = 0; i < 2; i++) {
    gchar *pl = g_build_filename (root, i ? "ts-br-ll" : "fmp4-br-ll",
        "playlist.m3u8", NULL), **names;
    GDir *d;
    const gchar *name;

    fail_unless (g_file_get_contents (pl, &data, NULL, NULL));
    fail_unless (strstr (data, ",BYTERANGE=\"") != NULL, "%s", data);
    g_free (data);
    /* one file per segment: no part files */
    p = g_path_get_dirname (pl);
    d = g_dir_open (p, 0, NULL);
    fail_unless (d != NULL);
    while ((name = g_dir_read_name (d)) != NULL) {
      names = g_strsplit (name, ".", -1);
      fail_if (g_strv_length (names) > 2 && g_ascii_isdigit (names[1][0]),
          "part file %s", name);
      g_strfreev (names);
    }
    g_dir_close (d);
    g_free (p);
    g_free (pl);
  }
  g_free (result);
  g_free (caps);
  remove_dir (root);
  g_free (root);
}

GST_END_TEST;

/* LL-HLS fMP4 and TS whose sources stop for 3 s while hls.js plays them in
 * low-latency mode (a camera drop), in a Chromium run of their own: hls.js
 * plays across the gap and, once the camera is back, within its target
 * latency (PART-HOLD-BACK, plus the one stall of the camera stopping) and a
 * second: at the end of the run and over its last 3 s, more than 5 s after
 * the camera came back. */
GST_START_TEST (test_hlsjs_low_latency_camera_gap)
{
  gchar *root = prepare_root ();
  gchar *desc, *data = NULL;
  GstElement *gap_fmp4_ll, *gap_ts_ll;
  gchar *result = NULL, *caps = NULL, *p;
  GstClockTimeDiff since_gap;
  guint i;

  desc = stream_desc (root, "fmp4-gap-ll", "fmp4", "-1", "-1", "true",
      "playlist-length=5 max-files=8 part-duration=300 blocking-reload=true");
  gap_fmp4_ll = start_pipeline_full (desc, NULL, TRUE);
  g_free (desc);
  desc = stream_desc (root, "ts-gap-ll", "mpegts", "-1", "-1", "true",
      "playlist-length=5 max-files=8 part-duration=300 blocking-reload=true");
  gap_ts_ll = start_pipeline_full (desc, NULL, TRUE);
  g_free (desc);
  p = g_build_filename (root, "ts-gap-ll", "playlist.m3u8", NULL);
  fail_unless (wait_segments (p, 2, 20000), "LL playlist not started");
  g_free (p);

  result = play_in_chromium (root, "fmp4-gap-ll,ts-gap-ll", &caps);
  /* the latency checks below look at the last 3 s before the report:
   * the camera must have been back for longer than that */
  since_gap = running_time (gap_ts_ll) - (GAP_FROM + GAP_LENGTH);
  finish_pipeline (gap_fmp4_ll, TRUE);
  finish_pipeline (gap_ts_ll, TRUE);
  fail_unless (result != NULL, "no result from Chromium within %d s",
      RESULT_TIMEOUT_S);
  fail_unless (since_gap > 5 * GST_SECOND, "the page reported %.1f s after "
      "the camera came back", (gdouble) since_gap / GST_SECOND);

  /* the gap is 9-12 s of the sources' running time, the page reports
   * 6-10 s after it: played across it, close to live */
  check_stream (result, "fmp4-gap-ll", 0.0, 3.0);
  check_stream (result, "ts-gap-ll", 0.0, 3.0);
  /* the camera stopping is one stall; none after it.  (fMP4 used to stall
   * after the gap: the last audio sample before it lasted 3 s, over the
   * media after the discontinuity, and hls.js ended 2-5 s behind live.) */
  check_ll_latency (result, "fmp4-gap-ll", 0.9, 1);
  check_ll_latency (result, "ts-gap-ll", 0.9, 1);
  for (i = 0; i < 2; i++) {
    gchar *pl = g_build_filename (root, i ? "ts-gap-ll" : "fmp4-gap-ll",
        "playlist.m3u8", NULL);

    fail_unless (g_file_get_contents (pl, &data, NULL, NULL));
    fail_unless (strstr (data, "PART-HOLD-BACK=0.900") != NULL
        && strstr (data, "#EXT-X-TARGETDURATION:1\n") != NULL, "%s", data);
    g_free (data);
    g_free (pl);
  }
  g_free (result);
  g_free (caps);
  remove_dir (root);
  g_free (root);
}

GST_END_TEST;

static Suite *
browser_suite (void)
{
  Suite *s = suite_create ("arclyhlssink-browser");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 150);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_hlsjs_playback);
  tcase_add_test (tc, test_hlsjs_low_latency_keyframes);
  tcase_add_test (tc, test_hlsjs_low_latency_camera_gap);
  tcase_add_test (tc, test_hlsjs_low_latency_byteranges);
  return s;
}

GST_CHECK_MAIN (browser);
