/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The `stats` property of arclytsmux, arclyfmp4mux and arclyhlssink after a
 * real run (x264enc + voaacenc), checked against what went in and came out:
 * pad probes count the frames and bytes each muxer pad took and the bytes
 * the muxer pushed; the sink's segment and part messages and the files on
 * disk give its counts.  Structures follow the one naming scheme
 * (arcly-<element>-stats, arcly-<element>-pad-stats).
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>

#define N_VIDEO 60
#define N_AUDIO 40
/* the video buffer whose timestamps are taken away: dropped, counted */
#define BROKEN_VIDEO 10

typedef struct
{
  guint64 frames, bytes;
  guint seen;
  gboolean break_one;
} InCount;

typedef struct
{
  guint64 bytes;
  guint units, keyframe_units;
} OutCount;

static gchar *tmpdir;

static void
setup_dir (void)
{
  tmpdir = g_dir_make_tmp ("arcly-hls-stats-XXXXXX", NULL);
  fail_unless (tmpdir != NULL);
}

static void
cleanup_dir (void)
{
  GDir *d = g_dir_open (tmpdir, 0, NULL);
  const gchar *name;

  while (d && (name = g_dir_read_name (d)) != NULL) {
    gchar *p = g_build_filename (tmpdir, name, NULL);

    g_unlink (p);
    g_free (p);
  }
  if (d)
    g_dir_close (d);
  g_rmdir (tmpdir);
  g_clear_pointer (&tmpdir, g_free);
}

/* On a muxer sink pad: what it was given.  With break_one, the
 * BROKEN_VIDEO-th buffer loses its timestamps (the muxer must drop it). */
static GstPadProbeReturn
in_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  InCount *c = data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);

  if (c->break_one && c->seen++ == BROKEN_VIDEO) {
    buf = gst_buffer_make_writable (buf);
    GST_BUFFER_PTS (buf) = GST_BUFFER_DTS (buf) = GST_CLOCK_TIME_NONE;
    GST_PAD_PROBE_INFO_DATA (info) = buf;
    return GST_PAD_PROBE_OK;
  }
  c->frames++;
  c->bytes += gst_buffer_get_size (buf);
  return GST_PAD_PROBE_OK;
}

/* On a muxer src pad: what it pushed (buffers or fMP4 buffer lists). */
static GstPadProbeReturn
out_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  OutCount *c = data;
  GstBuffer *first;

  if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
    GstBufferList *list = GST_PAD_PROBE_INFO_BUFFER_LIST (info);

    c->bytes += gst_buffer_list_calculate_size (list);
    first = gst_buffer_list_get (list, 0);
  } else {
    first = GST_PAD_PROBE_INFO_BUFFER (info);
    c->bytes += gst_buffer_get_size (first);
  }
  if (GST_BUFFER_FLAG_IS_SET (first, GST_BUFFER_FLAG_HEADER))
    return GST_PAD_PROBE_OK;    /* the fMP4 init segment */
  c->units++;
  if (!GST_BUFFER_FLAG_IS_SET (first, GST_BUFFER_FLAG_DELTA_UNIT))
    c->keyframe_units++;
  return GST_PAD_PROBE_OK;
}

static void
probe (GstElement * e, const gchar * pad_name, GstPadProbeCallback cb,
    gpointer data)
{
  GstPad *pad = gst_element_get_static_pad (e, pad_name);

  fail_unless (pad != NULL, "no pad %s", pad_name);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_BUFFER_LIST, cb, data, NULL);
  gst_object_unref (pad);
}

typedef struct
{
  guint segments, parts;
  guint64 last_segment_duration;
} Messages;

/* Runs @pipe to EOS (bounded); fails on an error; counts the sink's
 * segment and part messages. */
static void
run_to_eos (GstElement * pipe, Messages * m)
{
  GstBus *bus = gst_element_get_bus (pipe);
  gboolean done = FALSE;

  fail_unless (gst_element_set_state (pipe, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  while (!done) {
    GstMessage *msg = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND,
        GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_ELEMENT);
    const GstStructure *s;

    fail_unless (msg != NULL, "no EOS within 60 s");
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
      GError *err = NULL;
      gchar *dbg = NULL;

      gst_message_parse_error (msg, &err, &dbg);
      fail ("pipeline error: %s (%s)", err->message, GST_STR_NULL (dbg));
    }
    done = GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS;
    s = gst_message_get_structure (msg);
    if (m && s && gst_structure_has_name (s, "arcly-hls-segment")) {
      m->segments++;
      fail_unless (gst_structure_get_uint64 (s, "duration",
              &m->last_segment_duration));
    } else if (m && s && gst_structure_has_name (s, "arcly-hls-part")) {
      m->parts++;
    }
    gst_message_unref (msg);
  }
  gst_object_unref (bus);
}

static guint64
get_u64 (const GstStructure * s, const gchar * field)
{
  guint64 v = G_MAXUINT64;

  fail_unless (gst_structure_get_uint64 (s, field, &v), "%s: no guint64 %s",
      gst_structure_get_name (s), field);
  return v;
}

/* The pad-stats structure of @pad_name in @s's "pads" array. */
static const GstStructure *
pad_stats (const GstStructure * s, const gchar * pad_name,
    const gchar * struct_name)
{
  const GValue *arr = gst_structure_get_value (s, "pads");
  guint i;

  fail_unless (arr != NULL && GST_VALUE_HOLDS_ARRAY (arr), "no pads array");
  for (i = 0; i < gst_value_array_get_size (arr); i++) {
    const GstStructure *ps =
        gst_value_get_structure (gst_value_array_get_value (arr, i));

    if (g_strcmp0 (gst_structure_get_string (ps, "pad"), pad_name) == 0) {
      fail_unless_equals_string (gst_structure_get_name (ps), struct_name);
      return ps;
    }
  }
  fail ("no stats for pad %s", pad_name);
  return NULL;
}

static void
check_pad (const GstStructure * ps, const gchar * media, const InCount * in,
    guint64 dropped)
{
  fail_unless_equals_string (gst_structure_get_string (ps, "media"), media);
  fail_unless_equals_uint64 (get_u64 (ps, "frames-written"), in->frames);
  fail_unless_equals_uint64 (get_u64 (ps, "bytes-written"), in->bytes);
  fail_unless_equals_uint64 (get_u64 (ps, "frames-dropped"), dropped);
}

#define MUX_PIPELINE \
  "videotestsrc num-buffers=" G_STRINGIFY (N_VIDEO) " ! " \
  "video/x-raw,format=I420,width=320,height=240,framerate=30/1 ! " \
  "x264enc key-int-max=30 bframes=0 option-string=scenecut=0 " \
  "speed-preset=ultrafast ! h264parse ! video/x-h264,stream-format=%s ! " \
  "%s name=m ! fakesink " \
  "audiotestsrc num-buffers=" G_STRINGIFY (N_AUDIO) \
  " samplesperbuffer=1024 ! audio/x-raw,rate=48000,channels=1 ! " \
  "voaacenc ! aacparse ! m."

/* Runs @mux with probes; returns its stats, and the probes' counts. */
static GstStructure *
run_muxer (const gchar * mux, const gchar * format, InCount * video,
    InCount * audio, OutCount * out)
{
  gchar *desc = g_strdup_printf (MUX_PIPELINE, format, mux);
  GError *err = NULL;
  GstElement *pipe = gst_parse_launch (desc, &err), *m;
  GstStructure *stats = NULL;

  fail_unless (pipe != NULL && err == NULL, "%s: %s", desc,
      err ? err->message : "?");
  m = gst_bin_get_by_name (GST_BIN (pipe), "m");
  video->break_one = TRUE;
  probe (m, "video_0", in_probe, video);
  probe (m, "audio_0", in_probe, audio);
  probe (m, "src", out_probe, out);
  run_to_eos (pipe, NULL);
  g_object_get (m, "stats", &stats, NULL);
  fail_unless (stats != NULL);

  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (m);
  gst_object_unref (pipe);
  g_free (desc);
  return stats;
}

GST_START_TEST (test_tsmux_stats)
{
  InCount video = { 0 }, audio = { 0 };
  OutCount out = { 0 };
  GstStructure *s = run_muxer ("arclytsmux", "byte-stream", &video, &audio,
      &out);

  GST_INFO ("%" GST_PTR_FORMAT, s);
  fail_unless_equals_string (gst_structure_get_name (s), "arcly-tsmux-stats");
  fail_unless_equals_int (video.frames, N_VIDEO - 1);
  fail_unless (audio.frames >= N_AUDIO);
  check_pad (pad_stats (s, "video_0", "arcly-tsmux-pad-stats"), "video",
      &video, 1);
  check_pad (pad_stats (s, "audio_0", "arcly-tsmux-pad-stats"), "audio",
      &audio, 0);
  fail_unless_equals_uint64 (get_u64 (s, "frames-written"),
      video.frames + audio.frames);
  fail_unless_equals_uint64 (get_u64 (s, "frames-dropped"), 1);
  fail_unless_equals_uint64 (get_u64 (s, "bytes-written"), out.bytes);
  fail_unless (out.bytes % 188 == 0);
  gst_structure_free (s);
}

GST_END_TEST;

GST_START_TEST (test_fmp4mux_stats)
{
  InCount video = { 0 }, audio = { 0 };
  OutCount out = { 0 };
  /* avc input: the samples are the input buffers, byte for byte */
  GstStructure *s = run_muxer ("arclyfmp4mux fragment-duration=1000000000 "
      "chunk-duration=250000000", "avc", &video, &audio, &out);

  GST_INFO ("%" GST_PTR_FORMAT, s);
  fail_unless_equals_string (gst_structure_get_name (s),
      "arcly-fmp4mux-stats");
  fail_unless_equals_int (video.frames, N_VIDEO - 1);
  check_pad (pad_stats (s, "video_0", "arcly-fmp4mux-pad-stats"), "video",
      &video, 1);
  check_pad (pad_stats (s, "audio_0", "arcly-fmp4mux-pad-stats"), "audio",
      &audio, 0);
  fail_unless_equals_uint64 (get_u64 (s, "frames-written"),
      video.frames + audio.frames);
  fail_unless_equals_uint64 (get_u64 (s, "frames-dropped"), 1);
  fail_unless_equals_uint64 (get_u64 (s, "bytes-written"), out.bytes);
  fail_unless_equals_uint64 (get_u64 (s, "init-segments-written"), 1);
  fail_unless_equals_uint64 (get_u64 (s, "chunks-written"), out.units);
  /* one keyframe a second, fragments of a second: each fragment starts
   * with the only keyframe in it */
  fail_unless_equals_uint64 (get_u64 (s, "fragments-written"),
      out.keyframe_units);
  fail_unless_equals_int (out.keyframe_units, 2);
  fail_unless (out.units > 2 * 3, "%u chunks", out.units);
  gst_structure_free (s);
}

GST_END_TEST;

static guint64
dir_bytes (const gchar * dir, const gchar * suffix, guint * n)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *name;
  guint64 total = 0;

  *n = 0;
  while ((name = g_dir_read_name (d)) != NULL) {
    gchar *p = g_build_filename (dir, name, NULL);
    GStatBuf st;

    /* segment files only: "seg00001.m4s", not "seg00001.2.m4s" (parts) */
    if (g_str_has_suffix (name, suffix) && strchr (name, '.') ==
        strrchr (name, '.') && g_stat (p, &st) == 0) {
      total += st.st_size;
      (*n)++;
    }
    g_free (p);
  }
  g_dir_close (d);
  return total;
}

GST_START_TEST (test_hlssink_stats)
{
  InCount video = { 0 };
  Messages m = { 0 };
  gchar *desc = g_strdup_printf ("videotestsrc num-buffers=90 ! "
      "video/x-raw,format=I420,width=320,height=240,framerate=30/1 ! "
      "x264enc key-int-max=30 bframes=0 option-string=scenecut=0 "
      "speed-preset=ultrafast ! h264parse ! identity name=in ! "
      "arclyhlssink name=hls target-duration=1 part-duration=500 "
      "playlist-type=event location=%s/seg%%05d.m4s "
      "init-location=%s/init%%d.mp4 playlist-location=%s/index.m3u8",
      tmpdir, tmpdir, tmpdir);
  GError *err = NULL;
  GstElement *pipe = gst_parse_launch (desc, &err), *hls, *in;
  GstStructure *s = NULL;
  guint n_files;
  guint64 bytes;

  fail_unless (pipe != NULL && err == NULL);
  in = gst_bin_get_by_name (GST_BIN (pipe), "in");
  probe (in, "src", in_probe, &video);
  hls = gst_bin_get_by_name (GST_BIN (pipe), "hls");
  run_to_eos (pipe, &m);
  g_object_get (hls, "stats", &s, NULL);
  fail_unless (s != NULL);
  GST_INFO ("%" GST_PTR_FORMAT, s);

  fail_unless_equals_string (gst_structure_get_name (s),
      "arcly-hlssink-stats");
  fail_unless_equals_int (video.frames, 90);
  fail_unless_equals_int (m.segments, 3);
  fail_unless (m.parts >= 6, "%u parts", m.parts);
  fail_unless_equals_uint64 (get_u64 (s, "segments-written"), m.segments);
  fail_unless_equals_uint64 (get_u64 (s, "parts-written"), m.parts);
  fail_unless_equals_uint64 (get_u64 (s, "init-segments-written"), 1);
  /* every part and every segment is listed by a playlist update of its
   * own, and EOS writes the last one (EXT-X-ENDLIST) */
  fail_unless_equals_uint64 (get_u64 (s, "playlists-written"),
      m.parts + m.segments + 1);
  fail_unless_equals_uint64 (get_u64 (s, "last-segment-duration"),
      m.last_segment_duration);
  bytes = dir_bytes (tmpdir, ".m4s", &n_files);
  fail_unless_equals_int (n_files, m.segments);
  fail_unless_equals_uint64 (get_u64 (s, "bytes-written"), bytes);
  fail_unless_equals_uint64 (get_u64 (s, "frames-written"), 90);
  fail_unless_equals_uint64 (get_u64 (s, "frames-dropped"), 0);
  check_pad (pad_stats (s, "video", "arcly-hlssink-pad-stats"), "video",
      &video, 0);
  /* not live: the media runs ahead of the clock, no latency to measure */
  fail_unless_equals_uint64 (get_u64 (s, "playlist-latency"), 0);

  gst_structure_free (s);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (in);
  gst_object_unref (hls);
  gst_object_unref (pipe);
  g_free (desc);
}

GST_END_TEST;

/* Live: a segment is listed once the keyframe after it arrives, so its
 * first frame is then about a segment old (plus the encoder's delay). */
GST_START_TEST (test_hlssink_stats_live_latency)
{
  Messages m = { 0 };
  gchar *desc = g_strdup_printf ("videotestsrc is-live=true num-buffers=75 ! "
      "video/x-raw,format=I420,width=320,height=240,framerate=30/1 ! "
      "x264enc tune=zerolatency key-int-max=15 option-string=scenecut=0 "
      "speed-preset=ultrafast ! h264parse ! arclyhlssink name=hls "
      "segment-format=mpegts target-duration=1 playlist-type=event "
      "location=%s/seg%%05d.ts playlist-location=%s/index.m3u8", tmpdir,
      tmpdir);
  GError *err = NULL;
  GstElement *pipe = gst_parse_launch (desc, &err), *hls;
  GstStructure *s = NULL;
  guint64 latency, dur;

  fail_unless (pipe != NULL && err == NULL);
  hls = gst_bin_get_by_name (GST_BIN (pipe), "hls");
  run_to_eos (pipe, &m);
  g_object_get (hls, "stats", &s, NULL);
  GST_INFO ("%" GST_PTR_FORMAT, s);
  fail_unless (m.segments >= 2, "%u segments", m.segments);
  fail_unless_equals_uint64 (get_u64 (s, "segments-written"), m.segments);
  dur = get_u64 (s, "last-segment-duration");
  fail_unless_equals_uint64 (dur, m.last_segment_duration);
  /* the last segment is listed at EOS, a moment after its last frame */
  latency = get_u64 (s, "playlist-latency");
  fail_unless (latency + 100 * GST_MSECOND >= dur && latency < dur +
      GST_SECOND, "latency %" GST_TIME_FORMAT ", segment %" GST_TIME_FORMAT,
      GST_TIME_ARGS (latency), GST_TIME_ARGS (dur));

  gst_structure_free (s);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (hls);
  gst_object_unref (pipe);
  g_free (desc);
}

GST_END_TEST;

static Suite *
hls_stats_suite (void)
{
  Suite *s = suite_create ("hls-stats");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 120);
  tcase_add_checked_fixture (tc, setup_dir, cleanup_dir);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_tsmux_stats);
  tcase_add_test (tc, test_fmp4mux_stats);
  tcase_add_test (tc, test_hlssink_stats);
  tcase_add_test (tc, test_hlssink_stats_live_latency);
  return s;
}

GST_CHECK_MAIN (hls_stats);
