/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * End to end: arcly-restream with two test cameras (one with Digest auth),
 * over real HTTP.  The index lists both; both playlists get segments; a
 * camera killed and restarted continues its playlist after an
 * EXT-X-DISCONTINUITY while the other never stops; blocking playlist reload
 * holds a request until the part exists; SIGINT ends every playlist with
 * EXT-X-ENDLIST, every listed segment exists and decodes, and the process
 * exits 0.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>
#include <libsoup/soup.h>

#include "arcly-testcam-helper.h"
#include "restream-playlist.h"

#define USER "viewer"
#define PASS "s3cret-Pw"

typedef struct
{
  ArclyTestCam *cam_a, *cam_b, *restream;
  gchar *out_dir;
  gchar *rec_dir;
  gchar *base;                  /* http://127.0.0.1:PORT */
  SoupSession *http;
} Fixture;

static gchar *
http_get (Fixture * f, const gchar * path, guint * status, gdouble * took_s)
{
  gchar *url = g_strconcat (f->base, path, NULL);
  SoupMessage *msg = soup_message_new ("GET", url);
  GError *error = NULL;
  gint64 t0 = g_get_monotonic_time ();
  GBytes *body;
  gchar *text;

  fail_unless (msg != NULL, "bad URL %s", url);
  body = soup_session_send_and_read (f->http, msg, NULL, &error);
  fail_unless (body != NULL, "GET %s: %s", url, error ? error->message : "");
  if (took_s)
    *took_s = (g_get_monotonic_time () - t0) / 1e6;
  *status = soup_message_get_status (msg);
  text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  g_bytes_unref (body);
  g_object_unref (msg);
  g_free (url);
  return text;
}

static guint
count_lines_with (const gchar * text, const gchar * prefix)
{
  guint n = 0;
  const gchar *p = text;

  while ((p = strstr (p, prefix))) {
    if (p == text || p[-1] == '\n')
      n++;
    p += strlen (prefix);
  }
  return n;
}

static gint64
media_sequence (const gchar * text)
{
  const gchar *p = strstr (text, "#EXT-X-MEDIA-SEQUENCE:");

  return p ? g_ascii_strtoll (p + strlen ("#EXT-X-MEDIA-SEQUENCE:"), NULL,
      10) : 0;
}

/* Total segments ever completed, as the playlist tells it. */
static gint64
completed_segments (const gchar * text)
{
  return media_sequence (text) + count_lines_with (text, "#EXTINF:");
}

static gchar *
wait_playlist (Fixture * f, const gchar * cam, gint64 min_completed,
    guint timeout_s)
{
  gchar *path = g_strdup_printf ("/cam/%s/playlist.m3u8", cam);
  gint64 deadline = g_get_monotonic_time () + timeout_s * G_TIME_SPAN_SECOND;
  gchar *text = NULL;

  while (g_get_monotonic_time () < deadline) {
    guint status = 0;

    g_free (text);
    text = http_get (f, path, &status, NULL);
    if (status == 200 && completed_segments (text) >= min_completed)
      break;
    g_usleep (200 * 1000);
  }
  fail_unless (text && completed_segments (text) >= min_completed,
      "camera %s: fewer than %" G_GINT64_FORMAT " segments after %u s:\n%s",
      cam, min_completed, timeout_s, text ? text : "(none)");
  g_free (path);
  return text;
}

static ArclyTestCam *
start_cam (const gchar * auth)
{
  const gchar *args[] = { "--auth", auth, "--user", USER, "--password", PASS,
    "--gop", "30", "--size", "320x180", "--bitrate", "500", NULL
  };
  GError *error = NULL;
  ArclyTestCam *cam = arcly_test_cam_start (args, &error);

  fail_unless (cam != NULL, "test camera: %s", error ? error->message : "");
  return cam;
}

static void
fixture_start (Fixture * f)
{
  const gchar *bin = g_getenv ("ARCLY_RESTREAM");
  gchar *cam_a_url, *cam_a_arg, *cam_b_arg, *out_arg, *rec_arg;
  GError *error = NULL;
  const gchar *program[] = { bin, NULL };

  fail_unless (bin != NULL, "ARCLY_RESTREAM not set: run through meson test");
  f->cam_a = start_cam ("digest");
  f->cam_b = start_cam ("none");
  f->out_dir = g_dir_make_tmp ("arcly-restream-XXXXXX", NULL);
  fail_unless (f->out_dir != NULL);

  cam_a_url = arcly_test_cam_get_url_with_credentials (f->cam_a, USER, PASS);
  cam_a_arg = g_strconcat ("a=", cam_a_url, NULL);
  cam_b_arg = g_strconcat ("b=", arcly_test_cam_get_url (f->cam_b), NULL);
  out_arg = g_strconcat ("--output=", f->out_dir, NULL);
  f->rec_dir = g_build_filename (f->out_dir, "recordings", NULL);
  rec_arg = g_strconcat ("--record=", f->rec_dir, NULL);
  {
    const gchar *args[] = { "--camera", cam_a_arg, "--camera", cam_b_arg,
      out_arg, rec_arg, "--http-port", "0", "--target-duration", "1",
      "--part-duration", "250", NULL
    };
    f->restream = arcly_test_server_start_full (program, "--http-port", args,
        &error);
  }
  fail_unless (f->restream != NULL, "arcly-restream: %s",
      error ? error->message : "");
  f->base = g_strdup_printf ("http://127.0.0.1:%u",
      arcly_test_cam_get_port (f->restream));
  f->http = soup_session_new_with_options ("timeout", 20, NULL);
  g_free (cam_a_url);
  g_free (cam_a_arg);
  g_free (cam_b_arg);
  g_free (out_arg);
  g_free (rec_arg);
}

static void
rm_rf (const gchar * dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *name;

  if (d == NULL)
    return;
  while ((name = g_dir_read_name (d))) {
    gchar *p = g_build_filename (dir, name, NULL);

    if (g_file_test (p, G_FILE_TEST_IS_DIR))
      rm_rf (p);
    else
      g_unlink (p);
    g_free (p);
  }
  g_dir_close (d);
  g_rmdir (dir);
}

static void
fixture_stop (Fixture * f)
{
  arcly_test_cam_free (f->restream);
  arcly_test_cam_free (f->cam_a);
  arcly_test_cam_free (f->cam_b);
  g_object_unref (f->http);
  rm_rf (f->out_dir);
  g_free (f->out_dir);
  g_free (f->rec_dir);
  g_free (f->base);
}

/* ffmpeg decodes init + segment with no error line (at the demuxer's time
 * base: its default 1/frame-rate rounding of live PTS is its own muxing
 * error, not ours). */
static void
check_segment_decodes (const gchar * dir, const gchar * init,
    const gchar * segment)
{
  gchar *init_path = g_build_filename (dir, init, NULL);
  gchar *seg_path = g_build_filename (dir, segment, NULL);
  gchar *joined = g_build_filename (dir, "joined-check.mp4", NULL);
  gchar *a = NULL, *b = NULL, *both;
  gsize la = 0, lb = 0;
  const gchar *argv[] = { "timeout", "30", "ffmpeg", "-nostdin", "-v",
    "error", "-i", joined, "-enc_time_base:v", "-1", "-f", "null", "-", NULL
  };
  gchar *out = NULL, *err = NULL;
  gint status = 0;

  fail_unless (g_file_get_contents (init_path, &a, &la, NULL),
      "missing init segment %s", init_path);
  fail_unless (g_file_get_contents (seg_path, &b, &lb, NULL),
      "listed segment %s does not exist", seg_path);
  both = g_malloc (la + lb);
  memcpy (both, a, la);
  memcpy (both + la, b, lb);
  fail_unless (g_file_set_contents (joined, both, la + lb, NULL));
  fail_unless (g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_SEARCH_PATH,
          NULL, NULL, &out, &err, &status, NULL), "cannot run ffmpeg");
  fail_unless (g_spawn_check_wait_status (status, NULL) && *err == '\0',
      "segment %s does not decode: %s", segment, err);
  g_unlink (joined);
  g_free (both);
  g_free (a);
  g_free (b);
  g_free (out);
  g_free (err);
  g_free (init_path);
  g_free (seg_path);
  g_free (joined);
}

/* Every segment listed exists and decodes with the EXT-X-MAP before it. */
static guint
check_playlist_files (const gchar * dir, const gchar * text)
{
  gchar **lines = g_strsplit (text, "\n", -1);
  gchar *init = NULL;
  guint i, n = 0;

  for (i = 0; lines[i]; i++) {
    const gchar *l = lines[i];

    if (g_str_has_prefix (l, "#EXT-X-MAP:URI=\"")) {
      const gchar *s = l + strlen ("#EXT-X-MAP:URI=\"");
      const gchar *e = strchr (s, '"');

      g_free (init);
      init = g_strndup (s, e ? (gsize) (e - s) : strlen (s));
    } else if (*l && *l != '#') {
      fail_unless (init != NULL, "segment %s before any EXT-X-MAP", l);
      check_segment_decodes (dir, init, l);
      n++;
    }
  }
  g_free (init);
  g_strfreev (lines);
  return n;
}

GST_START_TEST (test_restream_end_to_end)
{
  Fixture f = { 0, };
  gchar *index, *pl_a, *pl_b, *path;
  guint status = 0, port_b;
  gint64 a_before, a_after, b_before;
  gint64 deadline;
  gint exit_status;
  GError *error = NULL;

  fixture_start (&f);

  /* The index page lists both cameras and loads hls.js from us, by
   * relative URIs (it works under any proxy path: docs/deploy/). */
  index = http_get (&f, "/", &status, NULL);
  fail_unless_equals_int (status, 200);
  fail_unless (strstr (index, "\"cam/a/playlist.m3u8\"") != NULL, "%s", index);
  fail_unless (strstr (index, "\"cam/b/playlist.m3u8\"") != NULL);
  fail_unless (strstr (index, "src=\"hls.js\"") != NULL);
  g_free (index);
  g_free (http_get (&f, "/hls.js", &status, NULL));
  fail_unless_equals_int (status, 200);
  g_free (http_get (&f, "/cam/zzz/playlist.m3u8", &status, NULL));
  fail_unless_equals_int (status, 404);
  g_free (http_get (&f, "/cam/a/..%2F..%2Fetc%2Fpasswd", &status, NULL));
  fail_unless (status == 404 || status == 400);

  pl_a = wait_playlist (&f, "a", 2, 30);
  pl_b = wait_playlist (&f, "b", 2, 30);
  fail_unless (strstr (pl_a, "#EXT-X-PART:") != NULL, "no LL-HLS parts:\n%s",
      pl_a);
  fail_unless (strstr (pl_a, "CAN-BLOCK-RELOAD=YES") != NULL);
  g_free (pl_b);

  /* Blocking reload: ask for the next part; it is held, then answered with
   * a playlist holding that part. */
  {
    gint64 next = completed_segments (pl_a);
    gdouble took = 0;
    gchar *q = g_strdup_printf ("/cam/a/playlist.m3u8?_HLS_msn=%"
        G_GINT64_FORMAT "&_HLS_part=1", next);
    gchar *held = http_get (&f, q, &status, &took);
    gchar *want = g_strdup_printf ("%" G_GINT64_FORMAT, next);
    RestreamPlaylistInfo info;

    fail_unless_equals_int (status, 200);
    fail_unless (restream_playlist_parse (held, &info));
    fail_unless (restream_playlist_has (&info, next, 1),
        "held playlist lacks part 1 of %s:\n%s", want, held);
    fail_unless (took < 3.0, "blocking reload took %.2f s", took);
    g_print ("blocking reload for msn %s part 1 answered in %.3f s\n", want,
        took);
    g_free (q);
    g_free (held);
    g_free (want);
    q = g_strdup_printf ("/cam/a/playlist.m3u8?_HLS_msn=%" G_GINT64_FORMAT,
        next + 50);
    g_free (http_get (&f, q, &status, NULL));
    fail_unless_equals_int (status, 400);
    g_free (q);
  }

  /* Kill camera b, restart it on the same port: a keeps going, b continues
   * after a discontinuity. */
  g_free (pl_a);
  pl_a = wait_playlist (&f, "a", 0, 5);
  a_before = completed_segments (pl_a);
  g_free (pl_a);
  pl_b = wait_playlist (&f, "b", 0, 5);
  b_before = completed_segments (pl_b);
  g_free (pl_b);
  port_b = arcly_test_cam_get_port (f.cam_b);
  arcly_test_cam_stop (f.cam_b);
  g_usleep (2 * G_USEC_PER_SEC);
  fail_unless (arcly_test_cam_restart (f.cam_b, &error), "restart b: %s",
      error ? error->message : "");
  fail_unless_equals_int (arcly_test_cam_get_port (f.cam_b), port_b);

  deadline = g_get_monotonic_time () + 40 * G_TIME_SPAN_SECOND;
  for (;;) {
    pl_b = wait_playlist (&f, "b", 0, 5);
    if (strstr (pl_b, "#EXT-X-DISCONTINUITY\n") &&
        completed_segments (pl_b) >= b_before + 3)
      break;
    fail_unless (g_get_monotonic_time () < deadline,
        "camera b did not continue after its restart:\n%s", pl_b);
    g_free (pl_b);
    g_usleep (500 * 1000);
  }
  g_free (pl_b);
  pl_a = wait_playlist (&f, "a", 0, 5);
  a_after = completed_segments (pl_a);
  g_free (pl_a);
  /* At 1 s segments, a must have completed segments while b was away. */
  fail_unless (a_after >= a_before + 3, "camera a stalled while b was down "
      "(%" G_GINT64_FORMAT " → %" G_GINT64_FORMAT ")", a_before, a_after);

  /* SIGINT: clean EOS, ENDLIST, files decode, exit 0. */
  kill (arcly_test_cam_get_pid (f.restream), SIGINT);
  exit_status = arcly_test_cam_wait (f.restream, 15000);
  fail_unless (exit_status != -1, "arcly-restream did not exit after SIGINT");
  fail_unless (WIFEXITED (exit_status) && WEXITSTATUS (exit_status) == 0,
      "arcly-restream exit status %d", exit_status);

  {
    const gchar *cams[] = { "a", "b" };
    guint i;

    for (i = 0; i < G_N_ELEMENTS (cams); i++) {
      gchar *dir = g_build_filename (f.out_dir, cams[i], NULL);
      gchar *text = NULL;

      path = g_build_filename (dir, "playlist.m3u8", NULL);
      fail_unless (g_file_get_contents (path, &text, NULL, NULL));
      fail_unless (g_str_has_suffix (g_strchomp (text), "#EXT-X-ENDLIST"),
          "camera %s playlist does not end with ENDLIST:\n%s", cams[i], text);
      fail_unless (check_playlist_files (dir, text) >= 2);
      g_free (text);
      g_free (path);
      g_free (dir);

      /* --record: the camera's TS recording exists and decodes */
      {
        gchar *rec = g_strdup_printf ("%s/%s-00000.ts", f.rec_dir, cams[i]);
        const gchar *argv[] = { "timeout", "60", "ffmpeg", "-nostdin", "-v",
          "error", "-i", rec, "-enc_time_base:v", "-1", "-f", "null", "-", NULL
        };
        gchar *out = NULL, *err = NULL;
        gint st = 0;

        fail_unless (g_file_test (rec, G_FILE_TEST_EXISTS),
            "no recording %s", rec);
        fail_unless (g_spawn_sync (NULL, (gchar **) argv, NULL,
                G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &st, NULL));
        fail_unless (g_spawn_check_wait_status (st, NULL) && *err == '\0',
            "recording %s does not decode: %s", rec, err);
        g_free (out);
        g_free (err);
        g_free (rec);
      }
    }
  }

  fixture_stop (&f);
}

GST_END_TEST;

/* Bad configuration: a one-line error and a non-zero exit, never a crash. */
GST_START_TEST (test_restream_bad_configuration)
{
  const gchar *bin = g_getenv ("ARCLY_RESTREAM");
  struct
  {
    const gchar *args[8];
    const gchar *expect;
  } cases[] = {
    {{"--camera", "x=http://nope/", NULL}, "not an rtsp:// URL"},
    {{"--camera", "noequals", NULL}, "NAME=URL"},
    {{"--camera", "bad name=rtsp://h/p", NULL}, "camera name"},
    {{"--output", "/proc/arcly-cannot-write", "--camera", "a=rtsp://h/p",
            NULL}, "not writable"},
    {{"--camera", "a=rtsp://u:topsecret@:/", NULL}, "rtsp://"},
    {{"--rtsp-user", "u", "--camera", "a=rtsp://h/p", NULL}, "--rtsp-password"},
    {{"--rtsp-user", "u", "--rtsp-password", "topsecret", "--rtsp-port",
            "70000", NULL}, "out of range"},
    {{"--rtsp-credentials", "/nonexistent/creds", NULL}, "cannot read"},
  };
  guint i;

  fail_unless (bin != NULL);
  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    GPtrArray *argv = g_ptr_array_new ();
    gchar *out = NULL, *err = NULL;
    gint status = 0;
    guint j;

    g_ptr_array_add (argv, (gpointer) "timeout");
    g_ptr_array_add (argv, (gpointer) "20");
    g_ptr_array_add (argv, (gpointer) bin);
    for (j = 0; cases[i].args[j]; j++)
      g_ptr_array_add (argv, (gpointer) cases[i].args[j]);
    g_ptr_array_add (argv, NULL);
    fail_unless (g_spawn_sync (NULL, (gchar **) argv->pdata, NULL,
            G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status, NULL));
    fail_unless (WIFEXITED (status) && WEXITSTATUS (status) != 0
        && WEXITSTATUS (status) != 124, "case %u: exit status %d", i, status);
    fail_unless (strstr (err, cases[i].expect) != NULL,
        "case %u: stderr lacks '%s': %s", i, cases[i].expect, err);
    fail_unless (strstr (err, "CRITICAL") == NULL && strstr (err,
            "topsecret") == NULL, "case %u: %s", i, err);
    fail_unless_equals_int (count_lines_with (err, "arcly-restream:"), 1);
    g_free (out);
    g_free (err);
    g_ptr_array_unref (argv);
  }
}

GST_END_TEST;

/* Port in use: one line, exit non-zero, and the test camera it started for
 * itself does not outlive it. */
GST_START_TEST (test_restream_port_in_use)
{
  const gchar *bin = g_getenv ("ARCLY_RESTREAM");
  GSocketListener *l = g_socket_listener_new ();
  GError *error = NULL;
  guint16 port = g_socket_listener_add_any_inet_port (l, NULL, &error);
  gchar *port_s = g_strdup_printf ("%u", port);
  const gchar *argv[] = { "timeout", "30", bin, "--bind", "127.0.0.1",
    "--http-port", port_s, "--camera", "a=rtsp://127.0.0.1:9/none", NULL
  };
  gchar *out = NULL, *err = NULL;
  gint status = 0;

  fail_unless (port != 0, "%s", error ? error->message : "");
  fail_unless (g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_SEARCH_PATH,
          NULL, NULL, &out, &err, &status, NULL));
  fail_unless (WIFEXITED (status) && WEXITSTATUS (status) == 1,
      "exit status %d, stderr %s", status, err);
  fail_unless (strstr (err, "cannot listen") != NULL, "%s", err);
  g_free (out);
  g_free (err);
  g_free (port_s);
  g_socket_listener_close (l);
  g_object_unref (l);
}

GST_END_TEST;

static Suite *
restream_suite (void)
{
  Suite *s = suite_create ("restream");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 180);
  tcase_add_test (tc, test_restream_bad_configuration);
  tcase_add_test (tc, test_restream_port_in_use);
  tcase_add_test (tc, test_restream_end_to_end);
  return s;
}

GST_CHECK_MAIN (restream);
