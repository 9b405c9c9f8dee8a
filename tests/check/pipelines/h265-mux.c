/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * H.265 through the muxers: x265enc (a keyframe every 30 frames, the
 * parameter sets only in front of the first one, open GOP so later
 * keyframes are CRA pictures) ! h265parse ! arclytsmux / arclyfmp4mux /
 * arclyhlssink.  What they write is read back byte by byte (the TS walker,
 * the MP4 boxes), decoded by ffmpeg without an error line, counted by
 * ffprobe and decoded by GStreamer's own tsdemux / qtdemux + avdec_h265.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>

#include "arcly-ffprobe-check.h"

#define PMT_PID 0x1000
#define VIDEO_PID 0x100
#include "arcly-ts-check.h"

#define N_FRAMES 90
#define GOP 30
#define H265_NAL_TYPE(b) (((b) >> 1) & 0x3f)
#define H265_IS_IRAP(t) ((t) >= 16 && (t) <= 23)

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
  tmpdir = g_dir_make_tmp ("arcly-h265-mux-XXXXXX", NULL);
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

static GstPadProbeReturn
count_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  g_atomic_int_inc ((gint *) data);
  return GST_PAD_PROBE_OK;
}

/* Runs @desc to EOS (bounded); fails on an error.  With @count_element,
 * returns the number of buffers that reached its sink pad. */
static gint
run_pipeline (const gchar * desc, const gchar * count_element)
{
  GError *err = NULL;
  GstElement *pipe = gst_parse_launch (desc, &err);
  GstBus *bus;
  GstMessage *msg;
  gint count = 0;

  fail_unless (pipe != NULL, "%s: %s", desc, err ? err->message : "?");
  fail_unless (err == NULL, "%s: %s", desc, err->message);
  if (count_element != NULL) {
    GstElement *e = gst_bin_get_by_name (GST_BIN (pipe), count_element);
    GstPad *sink = gst_element_get_static_pad (e, "sink");

    gst_pad_add_probe (sink, GST_PAD_PROBE_TYPE_BUFFER, count_probe, &count,
        NULL);
    gst_object_unref (sink);
    gst_object_unref (e);
  }
  bus = gst_element_get_bus (pipe);
  fail_unless (gst_element_set_state (pipe, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_timed_pop_filtered (bus, 90 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "%s: no EOS within 90 s", desc);
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    GError *e = NULL;
    gchar *dbg = NULL;

    gst_message_parse_error (msg, &e, &dbg);
    fail ("%s: error %s (%s)", desc, e->message, GST_STR_NULL (dbg));
  }
  gst_message_unref (msg);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipe);
  return g_atomic_int_get (&count);
}

/* The encoder part of every pipeline: 320x240 4:2:0 at 30 fps. */
static gchar *
h265_source (guint n_frames)
{
  return g_strdup_printf ("videotestsrc num-buffers=%u ! "
      "video/x-raw,format=I420,width=320,height=240,framerate=30/1 ! "
      "x265enc speed-preset=ultrafast "
      "option-string=keyint=%u:min-keyint=%u:scenecut=0 ! h265parse",
      n_frames, GOP, GOP);
}

/* ffmpeg decodes the whole file (or playlist) without one error line. */
static void
check_ffmpeg_decodes (const gchar * file)
{
  const gchar *argv[] = { "timeout", "60", "ffmpeg", "-nostdin", "-v",
    "error", "-i", file, "-f", "null", "-", NULL
  };
  gchar *out = NULL, *err = NULL;
  gint status = -1;

  fail_unless (g_spawn_sync (NULL, (gchar **) argv, NULL,
          G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status, NULL),
      "cannot run ffmpeg");
  fail_unless (g_spawn_check_wait_status (status, NULL), "ffmpeg on %s: %s",
      file, err);
  fail_unless (out[0] == '\0' && err[0] == '\0',
      "ffmpeg reported errors on %s:\n%s%s", file, out, err);
  g_free (out);
  g_free (err);
}

/* GStreamer's own demuxer and libav's HEVC decoder: every frame. */
static void
check_gst_decodes (const gchar * file, const gchar * demux, gint frames)
{
  gchar *desc = g_strdup_printf ("filesrc location=%s ! %s ! h265parse ! "
      "avdec_h265 ! fakesink name=sink", file, demux);

  fail_unless_equals_int (run_pipeline (desc, "sink"), frames);
  g_free (desc);
}

static gchar *
read_file (const gchar * file, gsize * size)
{
  gchar *data = NULL;

  fail_unless (g_file_get_contents (file, &data, size, NULL), "%s", file);
  return data;
}

/* ============================================================== TS ==== */

/* NAL unit types of an Annex-B ES, in order. */
static GArray *
h265_nal_types (const guint8 * d, gsize size)
{
  GArray *types = g_array_new (FALSE, FALSE, sizeof (guint));
  gsize i;

  for (i = 0; i + 3 < size; i++) {
    if (d[i] == 0 && d[i + 1] == 0 && d[i + 2] == 1) {
      guint t = H265_NAL_TYPE (d[i + 3]);

      g_array_append_val (types, t);
      i += 3;
    }
  }
  return types;
}

/* The video PES packets of a TS with H.265: PMT stream_type 0x24, an AUD
 * first in each, AUD VPS SPS PPS then the picture in front of every IRAP,
 * the random access indicator exactly on those.  Returns the number of
 * IRAP pictures. */
static guint
check_ts_h265 (const guint8 * data, gsize size, guint * n_pictures)
{
  TsScan *s = ts_scan (data, size);
  guint i, irap = 0, pictures = 0;

  fail_unless (s->pmt_offsets->len > 0, "no PMT");
  fail_unless_equals_int (s->n_streams, 1);
  fail_unless_equals_int (s->stream_types[0], 0x24);
  fail_unless_equals_int (s->stream_pids[0], VIDEO_PID);
  for (i = 0; i < s->pes->len; i++) {
    Pes *p = g_ptr_array_index (s->pes, i);
    GArray *t = h265_nal_types (p->es->data, p->es->len);
    guint j, first_vcl = G_MAXUINT;

    fail_unless_equals_int (p->pid, VIDEO_PID);
    fail_unless (p->has_pts && p->data_alignment);
    fail_unless (t->len > 1);
    fail_unless_equals_int (g_array_index (t, guint, 0), 35);
    for (j = 0; j < t->len; j++) {
      if (g_array_index (t, guint, j) < 32) {
        first_vcl = j;
        break;
      }
    }
    fail_unless (first_vcl != G_MAXUINT, "PES %u without a picture", i);
    pictures++;
    if (H265_IS_IRAP (g_array_index (t, guint, first_vcl))) {
      gboolean vps = FALSE, sps = FALSE, pps = FALSE;

      irap++;
      fail_unless (p->rai, "IRAP PES %u without random_access_indicator", i);
      for (j = 1; j < first_vcl; j++) {
        guint type = g_array_index (t, guint, j);

        vps |= type == 32;
        sps |= type == 33 && vps;
        pps |= type == 34 && sps;
      }
      fail_unless (vps && sps && pps, "IRAP PES %u lacks VPS, SPS, PPS in "
          "that order", i);
    } else {
      fail_if (p->rai, "random_access_indicator on a non-IRAP PES %u", i);
    }
    g_array_unref (t);
  }
  ts_scan_free (s);
  if (n_pictures)
    *n_pictures = pictures;
  return irap;
}

GST_START_TEST (test_tsmux_h265)
{
  gchar *src = h265_source (N_FRAMES);
  gchar *out = path_in_tmp ("h265.ts");
  gchar *desc = g_strdup_printf ("%s ! arclytsmux ! filesink location=%s",
      src, out);
  gchar *data;
  gsize size;
  guint pictures = 0;

  run_pipeline (desc, NULL);
  data = read_file (out, &size);
  /* the parameter sets come once from x265enc: the two CRAs get them from
   * the muxer */
  fail_unless_equals_int (check_ts_h265 ((const guint8 *) data, size,
          &pictures), N_FRAMES / GOP);
  fail_unless_equals_int (pictures, N_FRAMES);
  fail_unless_equals_int (arcly_check_count_frames (out, "v:0"), N_FRAMES);
  check_ffmpeg_decodes (out);
  check_gst_decodes (out, "tsdemux", N_FRAMES);
  g_free (data);
  g_free (desc);
  g_free (out);
  g_free (src);
}

GST_END_TEST;

static Suite *
h265_mux_suite (void)
{
  Suite *s = suite_create ("h265-mux");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 240);
  tcase_add_checked_fixture (tc, setup_dir, cleanup_dir);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_tsmux_h265);
  return s;
}

GST_CHECK_MAIN (h265_mux);
