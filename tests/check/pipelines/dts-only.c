/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Input with decode timestamps only, the textbook way to wrap a raw H.264
 * file: `filesrc ! h264parse ! arclytsmux ! filesink` (h264parse gives such
 * streams a DTS and no PTS).  arclytsmux, arclyfmp4mux and arclyhlssink
 * write PTS = DTS: ffprobe decodes every frame of the file / playlist.  A
 * stream whose SPS allows reordering (x264enc's default B-frames) gets one
 * WARNING and is still written; one without gets none.  AAC with a DTS
 * only is written too.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>

#include "arclyhls-playlist-check.h"
#include "arcly-ffprobe-check.h"

#define N_FRAMES 90
#define N_AUDIO_FRAMES 60

static gchar *tmpdir;

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

static void
setup_dir (void)
{
  tmpdir = g_dir_make_tmp ("arcly-dts-only-XXXXXX", NULL);
  fail_unless (tmpdir != NULL);
}

static void
cleanup_dir (void)
{
  remove_dir (tmpdir);
  g_clear_pointer (&tmpdir, g_free);
}

static gchar *
path_in_tmp (const gchar * name)
{
  return g_build_filename (tmpdir, name, NULL);
}

/* Runs @desc to EOS (bounded); fails on an error.  Returns the number of
 * warnings about decode-only timestamps. */
static guint
run_pipeline (const gchar * desc, GstPadProbeCallback probe,
    const gchar * probe_element)
{
  GError *err = NULL;
  GstElement *pipe = gst_parse_launch (desc, &err);
  GstBus *bus;
  GstMessage *msg;
  guint warnings = 0;
  gboolean done = FALSE;

  fail_unless (pipe != NULL, "%s: %s", desc, err ? err->message : "?");
  fail_unless (err == NULL, "%s: %s", desc, err->message);
  if (probe != NULL) {
    GstElement *e = gst_bin_get_by_name (GST_BIN (pipe), probe_element);
    GstPad *src = gst_element_get_static_pad (e, "src");

    gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER, probe, NULL, NULL);
    gst_object_unref (src);
    gst_object_unref (e);
  }
  bus = gst_element_get_bus (pipe);
  fail_unless (gst_element_set_state (pipe, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  while (!done) {
    GError *e = NULL;
    gchar *dbg = NULL;

    msg = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND,
        GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_WARNING);
    fail_unless (msg != NULL, "%s: no EOS within 60 s", desc);
    switch (GST_MESSAGE_TYPE (msg)) {
      case GST_MESSAGE_ERROR:
        gst_message_parse_error (msg, &e, &dbg);
        fail ("%s: error %s (%s)", desc, e->message, GST_STR_NULL (dbg));
        break;
      case GST_MESSAGE_WARNING:
        gst_message_parse_warning (msg, &e, &dbg);
        GST_INFO ("warning: %s (%s)", e->message, GST_STR_NULL (dbg));
        if (strstr (e->message, "decode timestamps only") != NULL)
          warnings++;
        g_clear_error (&e);
        g_free (dbg);
        break;
      default:
        done = TRUE;
        break;
    }
    gst_message_unref (msg);
  }
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipe);
  return warnings;
}

/* A raw H.264 file (Annex-B, no container), 30 fps, a keyframe every
 * second; with @bframes the SPS allows reordering. */
static gchar *
make_raw_h264 (guint bframes)
{
  gchar *file = path_in_tmp (bframes ? "bframes.h264" : "ipp.h264");
  gchar *desc = g_strdup_printf ("videotestsrc num-buffers=%u ! "
      "video/x-raw,format=I420,width=320,height=240,framerate=30/1 ! "
      "x264enc option-string=scenecut=0 key-int-max=30 bframes=%u "
      "b-adapt=false ! filesink location=%s", N_FRAMES, bframes, file);

  fail_unless_equals_int (run_pipeline (desc, NULL, NULL), 0);
  g_free (desc);
  return file;
}

/* `filesrc ! h264parse ! @mux ! filesink`; returns the warning count. */
static guint
mux_raw_file (const gchar * raw, const gchar * mux, const gchar * out)
{
  gchar *desc = g_strdup_printf ("filesrc location=%s ! h264parse ! %s ! "
      "filesink location=%s", raw, mux, out);
  guint warnings = run_pipeline (desc, NULL, NULL);

  g_free (desc);
  return warnings;
}

static void
check_raw_file (const gchar * mux, const gchar * ext, guint bframes)
{
  gchar *raw = make_raw_h264 (bframes);
  gchar *name = g_strdup_printf ("out-%u.%s", bframes, ext);
  gchar *out = path_in_tmp (name);
  guint warnings = mux_raw_file (raw, mux, out);

  fail_unless_equals_int (warnings, bframes ? 1 : 0);
  fail_unless_equals_int (arcly_check_count_frames (out, "v:0"), N_FRAMES);
  g_free (raw);
  g_free (name);
  g_free (out);
}

GST_START_TEST (test_tsmux_raw_file)
{
  check_raw_file ("arclytsmux", "ts", 0);
}

GST_END_TEST;

GST_START_TEST (test_tsmux_raw_file_bframes)
{
  check_raw_file ("arclytsmux", "ts", 2);
}

GST_END_TEST;

GST_START_TEST (test_fmp4mux_raw_file)
{
  check_raw_file ("arclyfmp4mux", "mp4", 0);
}

GST_END_TEST;

GST_START_TEST (test_fmp4mux_raw_file_bframes)
{
  check_raw_file ("arclyfmp4mux", "mp4", 2);
}

GST_END_TEST;

/* The raw file through arclyhlssink: a VOD playlist whose every URI is a
 * file next to it, and ffmpeg's HLS demuxer decodes all frames from it. */
static void
check_hls (const gchar * format, const gchar * ext, guint bframes)
{
  gchar *raw = make_raw_h264 (bframes);
  gchar *dir = path_in_tmp (format);
  gchar *playlist = g_build_filename (dir, "index.m3u8", NULL);
  gchar *desc, *text = NULL, *error = NULL;
  HlsCheckPlaylist *pl;
  guint i;

  fail_unless (g_mkdir (dir, 0755) == 0);
  desc = g_strdup_printf ("filesrc location=%s ! h264parse ! arclyhlssink "
      "segment-format=%s target-duration=1 playlist-type=vod "
      "location=%s/seg%%05d.%s init-location=%s/init%%d.mp4 "
      "playlist-location=%s", raw, format, dir, ext, dir, playlist);
  fail_unless_equals_int (run_pipeline (desc, NULL, NULL), bframes ? 1 : 0);

  fail_unless (g_file_get_contents (playlist, &text, NULL, NULL));
  pl = hls_check_parse (text, &error);
  fail_unless (pl != NULL, "unparsable playlist (%s): %s", error, text);
  fail_unless (pl->endlist);
  /* a keyframe every second, target 1 s: one segment per second */
  fail_unless_equals_int (pl->segments->len, N_FRAMES / 30);
  for (i = 0; i < pl->segments->len; i++) {
    HlsCheckSegment *s = g_ptr_array_index (pl->segments, i);
    gchar *p = g_build_filename (dir, s->uri, NULL);

    fail_unless (g_file_test (p, G_FILE_TEST_IS_REGULAR), "%s missing", p);
    g_free (p);
  }
  fail_unless_equals_int (arcly_check_count_frames (playlist, "v:0"),
      N_FRAMES);

  hls_check_playlist_free (pl);
  g_free (text);
  g_free (desc);
  g_free (playlist);
  g_free (dir);
  g_free (raw);
}

GST_START_TEST (test_hlssink_ts_raw_file)
{
  check_hls ("mpegts", "ts", 0);
}

GST_END_TEST;

GST_START_TEST (test_hlssink_ts_raw_file_bframes)
{
  check_hls ("mpegts", "ts", 2);
}

GST_END_TEST;

GST_START_TEST (test_hlssink_fmp4_raw_file_bframes)
{
  check_hls ("fmp4", "m4s", 2);
}

GST_END_TEST;

/* Moves each buffer's PTS to its DTS, as a demuxer of a DTS-only container
 * would hand it over. */
static GstPadProbeReturn
pts_to_dts_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  GstBuffer *buf = gst_buffer_make_writable (GST_PAD_PROBE_INFO_BUFFER (info));

  GST_BUFFER_DTS (buf) = GST_BUFFER_PTS (buf);
  GST_BUFFER_PTS (buf) = GST_CLOCK_TIME_NONE;
  GST_PAD_PROBE_INFO_DATA (info) = buf;
  return GST_PAD_PROBE_OK;
}

static gchar *
audio_pipeline (const gchar * mux, const gchar * out)
{
  return g_strdup_printf ("audiotestsrc num-buffers=%u samplesperbuffer=1024 "
      "! audio/x-raw,rate=48000,channels=1 ! voaacenc ! aacparse name=p ! "
      "%s ! filesink location=%s", N_AUDIO_FRAMES, mux, out);
}

/* AAC with a DTS only: as many frames out as with PTS. */
static void
check_audio (const gchar * mux, const gchar * ext)
{
  gchar *ref = g_strdup_printf ("%s/ref-audio.%s", tmpdir, ext);
  gchar *out = g_strdup_printf ("%s/dts-audio.%s", tmpdir, ext);
  gchar *desc;
  gint n_ref, n;

  desc = audio_pipeline (mux, ref);
  fail_unless_equals_int (run_pipeline (desc, NULL, NULL), 0);
  g_free (desc);
  n_ref = arcly_check_count_frames (ref, "a:0");
  fail_unless (n_ref >= N_AUDIO_FRAMES, "%d audio frames with PTS", n_ref);

  desc = audio_pipeline (mux, out);
  fail_unless_equals_int (run_pipeline (desc, pts_to_dts_probe, "p"), 0);
  g_free (desc);
  n = arcly_check_count_frames (out, "a:0");
  fail_unless_equals_int (n, n_ref);

  g_free (out);
  g_free (ref);
}

GST_START_TEST (test_tsmux_audio_dts_only)
{
  check_audio ("arclytsmux", "ts");
}

GST_END_TEST;

GST_START_TEST (test_fmp4mux_audio_dts_only)
{
  check_audio ("arclyfmp4mux", "mp4");
}

GST_END_TEST;

static Suite *
dts_only_suite (void)
{
  Suite *s = suite_create ("dts-only");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 120);
  tcase_add_checked_fixture (tc, setup_dir, cleanup_dir);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_tsmux_raw_file);
  tcase_add_test (tc, test_tsmux_raw_file_bframes);
  tcase_add_test (tc, test_fmp4mux_raw_file);
  tcase_add_test (tc, test_fmp4mux_raw_file_bframes);
  tcase_add_test (tc, test_hlssink_ts_raw_file);
  tcase_add_test (tc, test_hlssink_ts_raw_file_bframes);
  tcase_add_test (tc, test_hlssink_fmp4_raw_file_bframes);
  tcase_add_test (tc, test_tsmux_audio_dts_only);
  tcase_add_test (tc, test_fmp4mux_audio_dts_only);
  return s;
}

GST_CHECK_MAIN (dts_only);
