/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The scripted RTSP server (tests/check/servers/rtsp-script-server.py) is a
 * real peer: GStreamer's rtspsrc (TCP) and ffprobe read both of its tracks in
 * the scenarios they can cope with, and the JSON event log records what the
 * client did.  Its auth scenarios are checked with our own rtspauth/rtspurl
 * modules driving a minimal RTSP client here (two independent Digest
 * implementations, GChecksum vs Python's hashlib, must agree), and against
 * rtspsrc, which speaks only the RFC 2069 form and must be refused where qop
 * is required.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>

#include "arcly-testcam-helper.h"
#include "rtspauth.h"
#include "rtspurl.h"

#define USER "u"
#define PASS "p4ss-Secret"

/* ------------------------------------------------------------------------ */
/* Starting the server */

typedef struct
{
  ArclyTestCam *srv;
  gchar *dir;
  gchar *log_path;
} Script;

static gchar *
script_path (void)
{
  const gchar *root = g_getenv ("ARCLY_SOURCE_ROOT");

  fail_unless (root != NULL, "ARCLY_SOURCE_ROOT not set (run through meson)");
  return g_build_filename (root, "tests", "check", "servers",
      "rtsp-script-server.py", NULL);
}

/* A real interpreter: a version-manager shim (pyenv) in PATH costs a second
 * or more per start on a loaded machine. */
static const gchar *
python_program (void)
{
  const gchar *env = g_getenv ("ARCLY_PYTHON");

  if (env && *env)
    return env;
  if (g_file_test ("/usr/bin/python3", G_FILE_TEST_IS_EXECUTABLE))
    return "/usr/bin/python3";
  return "python3";
}

static Script *
script_start (const gchar * scenario)
{
  Script *s = g_new0 (Script, 1);
  gchar *path = script_path ();
  const gchar *program[] = { python_program (), path, NULL };
  const gchar *args[] = { "--scenario", scenario, "--log", NULL, "--user",
    USER, "--password", PASS, NULL
  };
  GError *error = NULL;

  fail_unless (g_file_test (path, G_FILE_TEST_EXISTS), "missing %s", path);
  s->dir = g_dir_make_tmp ("arcly-script-XXXXXX", &error);
  fail_unless (s->dir != NULL, "tmp dir: %s", error ? error->message : "");
  s->log_path = g_build_filename (s->dir, "events.jsonl", NULL);
  args[3] = s->log_path;
  s->srv = arcly_test_server_start (program, args, &error);
  fail_unless (s->srv != NULL, "script server (%s) did not start: %s",
      scenario, error ? error->message : "?");
  g_free (path);
  return s;
}

static gchar *
script_log (Script * s)
{
  gchar *text = NULL;

  fail_unless (g_file_get_contents (s->log_path, &text, NULL, NULL),
      "no event log");
  return text;
}

static guint
count_occurrences (const gchar * text, const gchar * needle)
{
  guint n = 0;
  const gchar *p = text;

  while ((p = strstr (p, needle)) != NULL) {
    n++;
    p += strlen (needle);
  }
  return n;
}

/* Lines of the log holding every one of the (NULL-terminated) needles. */
static guint
count_lines_with (const gchar * text, ...)
{
  gchar **lines = g_strsplit (text, "\n", -1);
  guint i, n = 0;

  for (i = 0; lines[i]; i++) {
    va_list ap;
    const gchar *needle;
    gboolean all = lines[i][0] != '\0';

    va_start (ap, text);
    while ((needle = va_arg (ap, const gchar *)) != NULL)
      if (strstr (lines[i], needle) == NULL)
        all = FALSE;
    va_end (ap);
    if (all)
      n++;
  }
  g_strfreev (lines);
  return n;
}

static void
script_free (Script * s)
{
  gint status = arcly_test_cam_stop (s->srv);

  fail_unless (WIFEXITED (status) && WEXITSTATUS (status) == 0,
      "script server exit status %d", status);
  arcly_test_cam_free (s->srv);
  g_unlink (s->log_path);
  g_rmdir (s->dir);
  g_free (s->log_path);
  g_free (s->dir);
  g_free (s);
}

/* ------------------------------------------------------------------------ */
/* rtspsrc against the server */

typedef struct
{
  GMutex lock;
  guint video_buffers;
  guint audio_buffers;
  gchar *video_caps;
  gchar *audio_caps;
} Counts;

static GstPadProbeReturn
count_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Counts *c = user_data;
  gboolean video = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (pad),
          "is-video"));

  g_mutex_lock (&c->lock);
  if (video)
    c->video_buffers++;
  else
    c->audio_buffers++;
  g_mutex_unlock (&c->lock);
  return GST_PAD_PROBE_OK;
}

static void
on_pad_added (GstElement * src, GstPad * pad, gpointer user_data)
{
  Counts *c = user_data;
  GstElement *bin = GST_ELEMENT (gst_element_get_parent (src));
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);
  GstCaps *caps = gst_pad_get_current_caps (pad);
  const gchar *media;
  GstPad *sinkpad;
  gboolean video;

  fail_unless (caps != NULL);
  media = gst_structure_get_string (gst_caps_get_structure (caps, 0),
      "media");
  fail_unless (media != NULL);
  video = strcmp (media, "video") == 0;
  g_mutex_lock (&c->lock);
  if (video)
    c->video_caps = gst_caps_to_string (caps);
  else
    c->audio_caps = gst_caps_to_string (caps);
  g_mutex_unlock (&c->lock);
  gst_caps_unref (caps);

  g_object_set (sink, "async", FALSE, NULL);
  gst_bin_add (GST_BIN (bin), sink);
  gst_element_sync_state_with_parent (sink);
  sinkpad = gst_element_get_static_pad (sink, "sink");
  g_object_set_data (G_OBJECT (sinkpad), "is-video", GINT_TO_POINTER (video));
  gst_pad_add_probe (sinkpad, GST_PAD_PROBE_TYPE_BUFFER, count_probe, c,
      NULL);
  fail_unless_equals_int (gst_pad_link (pad, sinkpad), GST_PAD_LINK_OK);
  gst_object_unref (sinkpad);
  gst_object_unref (bin);
}

/* Runs rtspsrc (TCP, credentials as properties) until both tracks got @want
 * buffers, @extra_ms more have passed, or @timeout_s.  Returns the error
 * message posted, if any. */
static gchar *
run_rtspsrc (const gchar * url, Counts * c, guint want, guint extra_ms,
    guint timeout_s)
{
  GstElement *pipe = gst_pipeline_new (NULL);
  GstElement *src = gst_element_factory_make ("rtspsrc", NULL);
  GstBus *bus = gst_element_get_bus (pipe);
  gint64 deadline = g_get_monotonic_time () + timeout_s * G_TIME_SPAN_SECOND;
  gint64 done_at = 0;
  gchar *err_text = NULL;

  fail_unless (src != NULL,
      "rtspsrc missing: install gstreamer1.0-plugins-good");
  g_object_set (src, "location", url, "protocols", 4 /* TCP */ ,
      "latency", 100, "user-id", USER, "user-pw", PASS, NULL);
  g_signal_connect (src, "pad-added", G_CALLBACK (on_pad_added), c);
  gst_bin_add (GST_BIN (pipe), src);
  gst_element_set_state (pipe, GST_STATE_PLAYING);

  while (g_get_monotonic_time () < deadline) {
    GstMessage *m = gst_bus_timed_pop_filtered (bus, 50 * GST_MSECOND,
        GST_MESSAGE_ERROR | GST_MESSAGE_EOS);
    gboolean done;

    if (m) {
      if (GST_MESSAGE_TYPE (m) == GST_MESSAGE_ERROR) {
        GError *e = NULL;

        gst_message_parse_error (m, &e, NULL);
        err_text = g_strdup (e->message);
        g_error_free (e);
      } else {
        err_text = g_strdup ("unexpected EOS");
      }
      gst_message_unref (m);
      break;
    }
    g_mutex_lock (&c->lock);
    done = c->video_buffers >= want && c->audio_buffers >= want;
    g_mutex_unlock (&c->lock);
    if (done && done_at == 0)
      done_at = g_get_monotonic_time ();
    if (done_at && g_get_monotonic_time () - done_at >= extra_ms * 1000)
      break;
  }

  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipe);
  return err_text;
}

/* Runs rtspsrc against @scenario and returns the event log, checked for
 * the whole session. */
static gchar *
rtspsrc_scenario_log (const gchar * scenario, guint extra_ms)
{
  Script *s = script_start (scenario);
  Counts c = { 0, };
  gchar *err, *log;

  g_mutex_init (&c.lock);
  err = run_rtspsrc (arcly_test_cam_get_url (s->srv), &c, 15, extra_ms, 25);
  fail_unless (err == NULL, "rtspsrc failed in scenario %s: %s", scenario,
      err);
  fail_unless (c.video_buffers >= 15 && c.audio_buffers >= 15,
      "scenario %s: only %u video / %u audio buffers", scenario,
      c.video_buffers, c.audio_buffers);
  fail_unless (c.video_caps && strstr (c.video_caps, "H264"));
  fail_unless (c.audio_caps && strstr (c.audio_caps, "MPEG4-GENERIC"));
  g_free (c.video_caps);
  g_free (c.audio_caps);
  g_mutex_clear (&c.lock);
  /* Stop first so the log is complete (TEARDOWN, disconnect, exit). */
  {
    gint status = arcly_test_cam_stop (s->srv);

    fail_unless (WIFEXITED (status) && WEXITSTATUS (status) == 0,
        "script server exit status %d", status);
  }
  log = script_log (s);
  fail_unless_equals_int (count_lines_with (log, "\"event\":\"request\"",
          "\"method\":\"DESCRIBE\"", NULL), 1);
  fail_unless_equals_int (count_lines_with (log, "\"event\":\"request\"",
          "\"method\":\"SETUP\"", "trackID=0", NULL), 1);
  fail_unless_equals_int (count_lines_with (log, "\"event\":\"request\"",
          "\"method\":\"SETUP\"", "trackID=1", NULL), 1);
  fail_unless_equals_int (count_lines_with (log, "\"event\":\"request\"",
          "\"method\":\"PLAY\"", NULL), 1);
  fail_unless_equals_int (count_lines_with (log, "\"event\":\"playing\"",
          "\"tracks\":[0,1]", NULL), 1);
  fail_unless_equals_int (count_lines_with (log, "\"event\":\"exit\"", NULL),
      1);
  /* Nothing in the log carries the password. */
  fail_unless (strstr (log, PASS) == NULL);
  arcly_test_cam_free (s->srv);
  g_unlink (s->log_path);
  g_rmdir (s->dir);
  g_free (s->log_path);
  g_free (s->dir);
  g_free (s);
  return log;
}

GST_START_TEST (test_rtspsrc_normal)
{
  gchar *log = rtspsrc_scenario_log ("normal", 0);

  fail_unless_equals_int (count_lines_with (log, "\"method\":\"OPTIONS\"",
          "\"event\":\"request\"", NULL), 1);
  /* OPTIONS, DESCRIBE, SETUP ×2, PLAY (then TEARDOWN or keep-alives). */
  fail_unless (count_lines_with (log, "\"event\":\"response\"",
          "\"status\":200", NULL) >= 5);
  fail_unless_equals_int (count_lines_with (log, "\"event\":\"response\"",
          "\"status\":200", "\"method\":\"PLAY\"", NULL), 1);
  fail_unless (count_occurrences (log, "\"event\":\"teardown\"") <= 1);
  g_free (log);
}

GST_END_TEST;

GST_START_TEST (test_rtspsrc_lowercase_headers)
{
  g_free (rtspsrc_scenario_log ("lowercase-headers", 0));
}

GST_END_TEST;

GST_START_TEST (test_rtspsrc_server_channels)
{
  gchar *log = rtspsrc_scenario_log ("server-channels", 0);

  /* rtspsrc asked for 0-1 and 2-3 and got 4-5 and 6-7, and still received
   * both tracks (checked above). */
  fail_unless_equals_int (count_lines_with (log, "\"method\":\"SETUP\"",
          "interleaved=0-1", NULL), 1);
  fail_unless_equals_int (count_lines_with (log, "\"event\":\"setup\"",
          "\"rtp_channel\":4", NULL), 1);
  fail_unless_equals_int (count_lines_with (log, "\"event\":\"setup\"",
          "\"rtp_channel\":6", NULL), 1);
  g_free (log);
}

GST_END_TEST;

GST_START_TEST (test_rtspsrc_trickle)
{
  g_free (rtspsrc_scenario_log ("trickle", 0));
}

GST_END_TEST;

GST_START_TEST (test_rtspsrc_digest_and_basic)
{
  gchar *log = rtspsrc_scenario_log ("digest-and-basic", 0);

  /* rtspsrc picks Digest (RFC 2069 form: no qop) over Basic. */
  fail_unless (count_lines_with (log, "\"event\":\"auth\"", "\"ok\":true",
          "\"scheme\":\"Digest\"", "\"qop\":null", NULL) >= 4);
  fail_unless_equals_int (count_lines_with (log, "\"event\":\"auth\"",
          "\"scheme\":\"Basic\"", NULL), 0);
  fail_unless (count_lines_with (log, "\"event\":\"response\"",
          "\"status\":401", NULL) >= 1);
  g_free (log);
}

GST_END_TEST;

GST_START_TEST (test_rtspsrc_server_request)
{
  /* Keep playing a little after the buffers arrived: the server sends its
   * requests 1, 2 and 3 s after PLAY. */
  gchar *log = rtspsrc_scenario_log ("server-request", 3500);

  fail_unless_equals_int (count_lines_with (log,
          "\"event\":\"server-request\"", NULL), 3);
  fail_unless_equals_int (count_lines_with (log,
          "\"event\":\"client-response\"", NULL), 3);
  g_free (log);
}

GST_END_TEST;

GST_START_TEST (test_rtspsrc_transport_padded)
{
  gchar *log = rtspsrc_scenario_log ("transport-padded", 0);

  fail_unless_equals_int (count_lines_with (log, "\"event\":\"setup\"",
          "\"ssrc\":\"000d93ff\"", NULL), 1);
  g_free (log);
}

GST_END_TEST;

GST_START_TEST (test_rtspsrc_rtcp_wrong_channel)
{
  g_free (rtspsrc_scenario_log ("rtcp-wrong-channel", 0));
}

GST_END_TEST;

/* Failures the server must produce. */
static gchar *
rtspsrc_expect_error (const gchar * scenario, gchar ** log_out)
{
  Script *s = script_start (scenario);
  Counts c = { 0, };
  gchar *err;
  gint status;

  g_mutex_init (&c.lock);
  err = run_rtspsrc (arcly_test_cam_get_url (s->srv), &c, 5, 0, 20);
  fail_unless (err != NULL, "rtspsrc did not fail in scenario %s", scenario);
  fail_unless_equals_int (c.video_buffers + c.audio_buffers, 0);
  g_mutex_clear (&c.lock);
  status = arcly_test_cam_stop (s->srv);
  fail_unless (WIFEXITED (status) && WEXITSTATUS (status) == 0);
  *log_out = script_log (s);
  arcly_test_cam_free (s->srv);
  g_unlink (s->log_path);
  g_rmdir (s->dir);
  g_free (s->log_path);
  g_free (s->dir);
  g_free (s);
  return err;
}

GST_START_TEST (test_rtspsrc_not_found)
{
  gchar *log = NULL;
  gchar *err = rtspsrc_expect_error ("not-found", &log);

  fail_unless_equals_int (count_lines_with (log, "\"event\":\"response\"",
          "\"status\":404", "\"method\":\"DESCRIBE\"", NULL), 1);
  g_free (err);
  g_free (log);
}

GST_END_TEST;

GST_START_TEST (test_rtspsrc_refused_without_qop)
{
  gchar *log = NULL;
  gchar *err = rtspsrc_expect_error ("digest-qop-stale", &log);

  /* rtspsrc answers qop=auth challenges in the RFC 2069 form: refused, as
   * by current Dahua firmware. */
  fail_unless (count_lines_with (log, "\"event\":\"auth\"",
          "\"reason\":\"qop-required\"", NULL) >= 1);
  fail_unless_equals_int (count_lines_with (log, "\"event\":\"auth\"",
          "\"ok\":true", NULL), 0);
  g_free (err);
  g_free (log);
}

GST_END_TEST;

/* ------------------------------------------------------------------------ */
/* ffprobe */

static gchar *
run_ffprobe (const gchar * url)
{
  const gchar *argv[] = { "timeout", "30", "ffprobe", "-v", "error",
    "-rtsp_transport", "tcp", "-show_entries",
    "stream=codec_name,codec_type,width,height,sample_rate,channels",
    "-of", "compact", url, NULL
  };
  gchar *out = NULL, *errout = NULL;
  gint status = 0;
  GError *error = NULL;

  fail_unless (g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_SEARCH_PATH,
          NULL, NULL, &out, &errout, &status, &error),
      "cannot run ffprobe (install ffmpeg): %s", error ? error->message : "");
  fail_unless (g_spawn_check_wait_status (status, NULL),
      "ffprobe failed (status %d): %s", status, errout);
  g_free (errout);
  return out;
}

GST_START_TEST (test_ffprobe_normal)
{
  Script *s = script_start ("normal");
  gchar *out = run_ffprobe (arcly_test_cam_get_url (s->srv));

  /* The embedded GOP is a real 64x48 H.264 stream, the AU real AAC-LC. */
  fail_unless (strstr (out, "codec_name=h264|codec_type=video|width=64|"
          "height=48") != NULL, "ffprobe output: %s", out);
  fail_unless (strstr (out, "codec_name=aac|codec_type=audio|"
          "sample_rate=48000|channels=2") != NULL, "ffprobe output: %s", out);
  g_free (out);
  script_free (s);
}

GST_END_TEST;

/* ------------------------------------------------------------------------ */
/* Our auth and URL modules against the server's auth scenarios */

typedef struct
{
  GSocketConnection *conn;
  GInputStream *in;
  GOutputStream *out;
  GByteArray *buf;
  guint cseq;
  gchar *session;
  ArclyAuthSession *auth;
  guint frames;                 /* interleaved frames skipped */
} MiniClient;

typedef struct
{
  guint status;
  GPtrArray *www_auth;          /* WWW-Authenticate values */
  gchar *content_base;
  gchar *session;
  gchar *body;
} MiniResponse;

static void
mini_response_free (MiniResponse * r)
{
  g_ptr_array_unref (r->www_auth);
  g_free (r->content_base);
  g_free (r->session);
  g_free (r->body);
  g_free (r);
}

static MiniClient *
mini_connect (guint port)
{
  MiniClient *c = g_new0 (MiniClient, 1);
  GSocketClient *client = g_socket_client_new ();
  GError *error = NULL;

  g_socket_client_set_timeout (client, 5);
  c->conn = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL,
      &error);
  fail_unless (c->conn != NULL, "connect: %s", error ? error->message : "");
  g_object_unref (client);
  c->in = g_io_stream_get_input_stream (G_IO_STREAM (c->conn));
  c->out = g_io_stream_get_output_stream (G_IO_STREAM (c->conn));
  c->buf = g_byte_array_new ();
  c->auth = arcly_auth_session_new ();
  return c;
}

static void
mini_free (MiniClient * c)
{
  g_object_unref (c->conn);
  g_byte_array_unref (c->buf);
  g_free (c->session);
  arcly_auth_session_free (c->auth);
  g_free (c);
}

static void
mini_fill (MiniClient * c)
{
  guint8 tmp[4096];
  GError *error = NULL;
  gssize n = g_input_stream_read (c->in, tmp, sizeof (tmp), NULL, &error);

  fail_unless (n > 0, "read: %s", error ? error->message : "EOF");
  g_byte_array_append (c->buf, tmp, n);
}

static const gchar *
find_crlfcrlf (const guint8 * data, gsize len)
{
  gsize i;

  for (i = 0; i + 3 < len; i++)
    if (memcmp (data + i, "\r\n\r\n", 4) == 0)
      return (const gchar *) data + i;
  return NULL;
}

/* Reads the next RTSP response, skipping interleaved frames. */
static MiniResponse *
mini_read_response (MiniClient * c)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;

  while (g_get_monotonic_time () < deadline) {
    const gchar *end;

    if (c->buf->len >= 1 && c->buf->data[0] == '$') {
      guint len;

      if (c->buf->len < 4) {
        mini_fill (c);
        continue;
      }
      len = (c->buf->data[2] << 8) | c->buf->data[3];
      if (c->buf->len < 4 + len) {
        mini_fill (c);
        continue;
      }
      g_byte_array_remove_range (c->buf, 0, 4 + len);
      c->frames++;
      continue;
    }
    end = find_crlfcrlf (c->buf->data, c->buf->len);
    if (end == NULL) {
      mini_fill (c);
      continue;
    }
    {
      gsize head_len = end - (const gchar *) c->buf->data;
      gchar *head = g_strndup ((const gchar *) c->buf->data, head_len);
      gchar **lines = g_strsplit (head, "\r\n", -1);
      MiniResponse *r = g_new0 (MiniResponse, 1);
      guint clen = 0, i;

      r->www_auth = g_ptr_array_new_with_free_func (g_free);
      fail_unless (g_str_has_prefix (lines[0], "RTSP/1.0 "), "bad status "
          "line");
      r->status = atoi (lines[0] + 9);
      for (i = 1; lines[i]; i++) {
        gchar *colon = strchr (lines[i], ':');
        gchar *value;

        if (!colon)
          continue;
        *colon = '\0';
        value = g_strstrip (colon + 1);
        if (g_ascii_strcasecmp (lines[i], "WWW-Authenticate") == 0)
          g_ptr_array_add (r->www_auth, g_strdup (value));
        else if (g_ascii_strcasecmp (lines[i], "Content-Length") == 0)
          clen = atoi (value);
        else if (g_ascii_strcasecmp (lines[i], "Content-Base") == 0)
          r->content_base = g_strdup (value);
        else if (g_ascii_strcasecmp (lines[i], "Session") == 0)
          r->session = g_strndup (value, strcspn (value, ";"));
      }
      g_strfreev (lines);
      g_free (head);
      while (c->buf->len < head_len + 4 + clen)
        mini_fill (c);
      r->body = g_strndup ((const gchar *) c->buf->data + head_len + 4, clen);
      g_byte_array_remove_range (c->buf, 0, head_len + 4 + clen);
      return r;
    }
  }
  fail ("no response within 10 s");
  return NULL;
}

static MiniResponse *
mini_send_once (MiniClient * c, const gchar * method, const gchar * uri,
    const gchar * extra)
{
  GString *req = g_string_new (NULL);
  gchar *authz = arcly_auth_session_authorization (c->auth, method, uri,
      USER, PASS);
  GError *error = NULL;

  g_string_append_printf (req, "%s %s RTSP/1.0\r\nCSeq: %u\r\n"
      "User-Agent: arcly-check\r\n", method, uri, ++c->cseq);
  if (authz)
    g_string_append_printf (req, "Authorization: %s\r\n", authz);
  if (c->session)
    g_string_append_printf (req, "Session: %s\r\n", c->session);
  if (extra)
    g_string_append (req, extra);
  g_string_append (req, "\r\n");
  fail_unless (g_output_stream_write_all (c->out, req->str, req->len, NULL,
          NULL, &error), "write: %s", error ? error->message : "");
  g_string_free (req, TRUE);
  g_free (authz);
  return mini_read_response (c);
}

/* One request, answering 401s the way the element does. */
static MiniResponse *
mini_request (MiniClient * c, const gchar * method, const gchar * uri,
    const gchar * extra, guint * n_401)
{
  MiniResponse *r = mini_send_once (c, method, uri, extra);
  guint tries = 0;

  while (r->status == 401 && tries++ < 4) {
    gboolean again = arcly_auth_session_challenge (c->auth,
        (const gchar * const *) r->www_auth->pdata, r->www_auth->len);

    if (n_401)
      (*n_401)++;
    if (!again)
      break;
    mini_response_free (r);
    r = mini_send_once (c, method, uri, extra);
  }
  if (r->session && c->session == NULL)
    c->session = g_strdup (r->session);
  return r;
}

/* OPTIONS, DESCRIBE, SETUP ×2 (controls resolved with rtspurl), PLAY.
 * Returns the number of 401s met. */
static guint
mini_session (MiniClient * c, const gchar * url)
{
  MiniResponse *r;
  guint n_401 = 0, i;
  const gchar *base;

  r = mini_request (c, "OPTIONS", url, NULL, &n_401);
  fail_unless_equals_int (r->status, 200);
  mini_response_free (r);
  r = mini_request (c, "DESCRIBE", url, "Accept: application/sdp\r\n",
      &n_401);
  fail_unless_equals_int (r->status, 200);
  fail_unless (strstr (r->body, "a=control:trackID=1") != NULL);
  base = r->content_base ? r->content_base : url;
  for (i = 0; i < 2; i++) {
    gchar *ctl = g_strdup_printf ("trackID=%u", i);
    gchar *uri = arcly_rtsp_url_resolve_control (base, ctl);
    gchar *transport = g_strdup_printf ("Transport: RTP/AVP/TCP;unicast;"
        "interleaved=%u-%u\r\n", 2 * i, 2 * i + 1);
    MiniResponse *s;

    fail_unless (uri != NULL);
    fail_unless (strchr (uri, '@') == NULL);
    s = mini_request (c, "SETUP", uri, transport, &n_401);
    fail_unless_equals_int (s->status, 200);
    mini_response_free (s);
    g_free (transport);
    g_free (uri);
    g_free (ctl);
  }
  mini_response_free (r);
  r = mini_request (c, "PLAY", url, "Range: npt=0-\r\n", &n_401);
  fail_unless_equals_int (r->status, 200);
  mini_response_free (r);
  return n_401;
}

static Script *
auth_scenario_session (const gchar * scenario, const gchar * expect_desc,
    MiniClient ** client_out)
{
  Script *s = script_start (scenario);
  MiniClient *c = mini_connect (arcly_test_cam_get_port (s->srv));
  guint n_401;

  n_401 = mini_session (c, arcly_test_cam_get_url (s->srv));
  /* Asked once, on the first request; the challenge then serves every
   * later one. */
  fail_unless_equals_int (n_401, 1);
  fail_unless_equals_string (arcly_auth_session_describe (c->auth),
      expect_desc);
  *client_out = c;
  return s;
}

static gchar *
stop_and_log (Script * s)
{
  gint status = arcly_test_cam_stop (s->srv);
  gchar *log;

  fail_unless (WIFEXITED (status) && WEXITSTATUS (status) == 0);
  log = script_log (s);
  arcly_test_cam_free (s->srv);
  g_unlink (s->log_path);
  g_rmdir (s->dir);
  g_free (s->log_path);
  g_free (s->dir);
  g_free (s);
  fail_unless (strstr (log, PASS) == NULL);
  return log;
}

GST_START_TEST (test_auth_digest_and_basic)
{
  MiniClient *c = NULL;
  Script *s = auth_scenario_session ("digest-and-basic", "Digest MD5", &c);
  gchar *log;

  mini_free (c);
  log = stop_and_log (s);
  fail_unless_equals_int (count_lines_with (log, "\"event\":\"auth\"",
          "\"ok\":true", "\"scheme\":\"Digest\"", "\"qop\":\"auth\"", NULL),
      5);
  g_free (log);
}

GST_END_TEST;

GST_START_TEST (test_auth_digest_multi_algo)
{
  MiniClient *c = NULL;
  Script *s = auth_scenario_session ("digest-multi-algo", "Digest SHA-256",
      &c);
  gchar *log;

  mini_free (c);
  log = stop_and_log (s);
  fail_unless_equals_int (count_lines_with (log, "\"event\":\"auth\"",
          "\"ok\":true", "\"algorithm\":\"SHA-256\"", NULL), 5);
  fail_unless_equals_int (count_lines_with (log, "\"event\":\"auth\"",
          "\"ok\":true", "\"algorithm\":\"MD5\"", NULL), 0);
  g_free (log);
}

GST_END_TEST;

GST_START_TEST (test_auth_digest_uri_check)
{
  MiniClient *c = NULL;
  Script *s = auth_scenario_session ("digest-uri-check", "Digest MD5", &c);
  gchar *log;

  mini_free (c);
  log = stop_and_log (s);
  /* The Content-Base carried credentials; the controls resolved from it
   * did not, and the server accepted every Digest uri. */
  fail_unless_equals_int (count_lines_with (log, "\"event\":\"auth\"",
          "\"reason\":\"uri-has-credentials\"", NULL), 0);
  fail_unless_equals_int (count_lines_with (log, "\"event\":\"auth\"",
          "\"ok\":true", "trackID=1", NULL), 1);
  g_free (log);
}

GST_END_TEST;

GST_START_TEST (test_auth_digest_uri_check_refuses_credentials)
{
  Script *s = script_start ("digest-uri-check");
  MiniClient *c = mini_connect (arcly_test_cam_get_port (s->srv));
  gchar *bad = g_strdup_printf ("rtsp://%s:%s@127.0.0.1:%u/stream", USER,
      PASS, arcly_test_cam_get_port (s->srv));
  MiniResponse *r;
  gchar *log;

  /* A client that keeps the credentials in the request URI is refused. */
  r = mini_request (c, "OPTIONS", bad, NULL, NULL);
  fail_unless_equals_int (r->status, 401);
  mini_response_free (r);
  mini_free (c);
  g_free (bad);
  log = stop_and_log (s);
  fail_unless_equals_int (count_lines_with (log, "\"event\":\"auth\"",
          "\"reason\":\"uri-has-credentials\"", "\"uri_has_at\":true",
          NULL), 1);
  g_free (log);
}

GST_END_TEST;

GST_START_TEST (test_auth_digest_qop_stale)
{
  MiniClient *c = NULL;
  Script *s = auth_scenario_session ("digest-qop-stale", "Digest MD5", &c);
  MiniResponse *r;
  guint n_401 = 0;
  gchar *log;

  /* Streaming; the nonce "expires" 3 s after the first success. */
  g_usleep (3300 * G_TIME_SPAN_MILLISECOND);
  r = mini_request (c, "GET_PARAMETER", arcly_test_cam_get_url (s->srv),
      NULL, &n_401);
  fail_unless_equals_int (r->status, 200);
  fail_unless_equals_int (n_401, 1);
  mini_response_free (r);
  /* The renewed nonce keeps working. */
  r = mini_request (c, "GET_PARAMETER", arcly_test_cam_get_url (s->srv),
      NULL, &n_401);
  fail_unless_equals_int (r->status, 200);
  fail_unless_equals_int (n_401, 1);
  mini_response_free (r);
  fail_unless (c->frames > 50, "only %u media frames", c->frames);
  mini_free (c);
  log = stop_and_log (s);
  fail_unless_equals_int (count_lines_with (log, "\"event\":\"auth\"",
          "\"reason\":\"stale\"", NULL), 1);
  fail_unless_equals_int (count_lines_with (log, "\"event\":\"auth\"",
          "\"ok\":true", "\"method\":\"GET_PARAMETER\"",
          "\"nc\":\"00000001\"", NULL), 1);
  fail_unless_equals_int (count_lines_with (log, "\"event\":\"auth\"",
          "\"ok\":true", "\"method\":\"GET_PARAMETER\"",
          "\"nc\":\"00000002\"", NULL), 1);
  fail_unless_equals_int (count_lines_with (log, "\"event\":\"auth\"",
          "\"ok\":false", "\"reason\":\"wrong-credentials\"", NULL), 0);
  g_free (log);
}

GST_END_TEST;

GST_START_TEST (test_auth_wrong_password_refused)
{
  Script *s = script_start ("digest-multi-algo");
  MiniClient *c = mini_connect (arcly_test_cam_get_port (s->srv));
  const gchar *url = arcly_test_cam_get_url (s->srv);
  MiniResponse *r;
  gchar *authz;
  gchar *log;

  r = mini_send_once (c, "DESCRIBE", url, NULL);
  fail_unless_equals_int (r->status, 401);
  fail_unless (arcly_auth_session_challenge (c->auth,
          (const gchar * const *) r->www_auth->pdata, r->www_auth->len));
  mini_response_free (r);
  /* Send a wrong password by hand. */
  authz = arcly_auth_session_authorization (c->auth, "DESCRIBE", url, USER,
      "wrong");
  {
    gchar *req = g_strdup_printf ("DESCRIBE %s RTSP/1.0\r\nCSeq: 9\r\n"
        "Authorization: %s\r\n\r\n", url, authz);

    fail_unless (g_output_stream_write_all (c->out, req, strlen (req), NULL,
            NULL, NULL));
    g_free (req);
  }
  g_free (authz);
  r = mini_read_response (c);
  fail_unless_equals_int (r->status, 401);
  /* Same nonce, no stale: the session gives up. */
  fail_if (arcly_auth_session_challenge (c->auth,
          (const gchar * const *) r->www_auth->pdata, r->www_auth->len));
  mini_response_free (r);
  mini_free (c);
  log = stop_and_log (s);
  fail_unless_equals_int (count_lines_with (log, "\"event\":\"auth\"",
          "\"reason\":\"wrong-credentials\"", NULL), 1);
  g_free (log);
}

GST_END_TEST;

/* ------------------------------------------------------------------------ */
/* The server's own conventions */

GST_START_TEST (test_ready_line_and_clean_exit)
{
  Script *s = script_start ("never-answer");
  const gchar *url = arcly_test_cam_get_url (s->srv);
  GError *error = NULL;
  gint status;
  gchar *log;
  MiniClient *c;

  fail_unless (g_str_has_prefix (url, "rtsp://127.0.0.1:"));
  fail_unless (g_str_has_suffix (url, "/stream"));
  fail_unless (strstr (url, "@") == NULL);

  /* never-answer: the request is logged, no reply within 1.5 s. */
  c = mini_connect (arcly_test_cam_get_port (s->srv));
  {
    const gchar *req = "OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n\r\n";
    GSocket *sock = g_socket_connection_get_socket (c->conn);

    fail_unless (g_output_stream_write_all (c->out, req, strlen (req), NULL,
            NULL, NULL));
    g_socket_set_timeout (sock, 0);
    fail_if (g_socket_condition_timed_wait (sock, G_IO_IN, 1500000, NULL,
            NULL));
  }
  mini_free (c);

  status = arcly_test_cam_stop (s->srv);
  fail_unless (WIFEXITED (status) && WEXITSTATUS (status) == 0,
      "SIGTERM exit status %d", status);
  log = script_log (s);
  fail_unless_equals_int (count_lines_with (log, "\"event\":\"listening\"",
          "\"scenario\":\"never-answer\"", NULL), 1);
  fail_unless_equals_int (count_lines_with (log, "\"event\":\"request\"",
          "\"method\":\"OPTIONS\"", NULL), 1);
  fail_unless_equals_int (count_lines_with (log, "\"event\":\"response\"",
          NULL), 0);
  fail_unless_equals_int (count_lines_with (log, "\"event\":\"exit\"", NULL),
      1);
  g_free (log);

  fail_unless (arcly_test_cam_restart (s->srv, &error), "restart: %s",
      error ? error->message : "");
  kill (arcly_test_cam_get_pid (s->srv), SIGINT);
  status = arcly_test_cam_wait (s->srv, 5000);
  fail_unless (WIFEXITED (status) && WEXITSTATUS (status) == 0,
      "SIGINT exit status %d", status);
  arcly_test_cam_free (s->srv);
  g_unlink (s->log_path);
  g_rmdir (s->dir);
  g_free (s->log_path);
  g_free (s->dir);
  g_free (s);
}

GST_END_TEST;

static Suite *
scriptserver_suite (void)
{
  Suite *s = suite_create ("scriptserver");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_ready_line_and_clean_exit);
  tcase_add_test (tc, test_rtspsrc_normal);
  tcase_add_test (tc, test_rtspsrc_lowercase_headers);
  tcase_add_test (tc, test_rtspsrc_server_channels);
  tcase_add_test (tc, test_rtspsrc_trickle);
  tcase_add_test (tc, test_rtspsrc_digest_and_basic);
  tcase_add_test (tc, test_rtspsrc_server_request);
  tcase_add_test (tc, test_rtspsrc_transport_padded);
  tcase_add_test (tc, test_rtspsrc_rtcp_wrong_channel);
  tcase_add_test (tc, test_rtspsrc_not_found);
  tcase_add_test (tc, test_rtspsrc_refused_without_qop);
  tcase_add_test (tc, test_ffprobe_normal);
  tcase_add_test (tc, test_auth_digest_and_basic);
  tcase_add_test (tc, test_auth_digest_multi_algo);
  tcase_add_test (tc, test_auth_digest_uri_check);
  tcase_add_test (tc, test_auth_digest_uri_check_refuses_credentials);
  tcase_add_test (tc, test_auth_digest_qop_stale);
  tcase_add_test (tc, test_auth_wrong_password_refused);
  return s;
}

GST_CHECK_MAIN (scriptserver);
