/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * arclyhlssink end to end: real H.264 (x264enc) and AAC (voaacenc) into
 * the sink, the output checked with an independent playlist checker
 * (arclyhls-playlist-check.h), every listed segment decoded by
 * `ffmpeg -v error`, VOD played to EOS by GStreamer's hlsdemux, LL-HLS parts
 * listed before their segment completes (latency printed), crash safety
 * under SIGKILL of a gst-launch-1.0 child, discontinuities, file deletion
 * and write errors.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>

#include "arclyhls-playlist-check.h"
#include "arcly-ffprobe-check.h"

#define FMT_TS "mpegts"
#define FMT_FMP4 "fmp4"

/* 160x120 I420 (browsers refuse 4:4:4), a 1 s GOP without scene cuts. */
#define VIDEO_SRC(n, live) \
  "videotestsrc num-buffers=" n " is-live=" live " ! " \
  "video/x-raw,format=I420,width=160,height=120,framerate=30/1 ! " \
  "x264enc key-int-max=30 option-string=scenecut=0 speed-preset=ultrafast " \
  "tune=zerolatency ! h264parse name=vparse ! "
#define AUDIO_SRC(n, live) \
  "audiotestsrc num-buffers=" n " is-live=" live " samplesperbuffer=1024 ! " \
  "audio/x-raw,rate=44100,channels=1 ! voaacenc ! aacparse ! "

typedef struct {
  gchar *dir;
  gchar *playlist;
  GstElement *pipeline;
  guint n_segments, n_parts;
  GPtrArray *errors;            /* gchar * */
  /* LL checks, done in the streaming thread at each part message */
  gboolean check_parts;
  gboolean byteranges;          /* part-byteranges=true */
  guint parts_before_segment;   /* parts seen listed while their segment was
                                 * not complete yet */
  GArray *latencies;            /* gdouble, s */
  gchar *fail;                  /* first failure in a sync handler */
  gboolean check_listed_exist;
  gboolean check_no_playlist;   /* VOD: nothing written before EOS */
  gboolean audio_only;
  gboolean check_live_latency;  /* segments listed within 1 s of their end */
  gdouble max_segment_latency;  /* s, segment end -> listed */
  /* across segment messages and playlist snapshots */
  guint64 next_seq;
  GstClockTime last_seg_rt;
  gint part_target_ms, target_duration; /* first seen, -1 = none yet */
  /* RFC 8216 6.2.2 availability: uri -> duration (listed last time), and
   * uri -> running time (s) until which a file that left must stay */
  gboolean check_available;
  GHashTable *listed, *left;
  gdouble now_s;                /* end of the newest segment message */
} Run;

static void record_fail (Run * run, gchar * msg);

static gdouble *
boxed_double (gdouble v)
{
  gdouble *p = g_new (gdouble, 1);

  *p = v;
  return p;
}

/* Files that left the playlist less than their duration plus the
 * playlist's ago still exist. */
static void
check_still_available (Run * run)
{
  GHashTableIter it;
  gpointer k, v;

  g_hash_table_iter_init (&it, run->left);
  while (g_hash_table_iter_next (&it, &k, &v)) {
    gchar *path = g_build_filename (run->dir, (const gchar *) k, NULL);

    if (run->now_s < *(gdouble *) v - 0.002
        && !g_file_test (path, G_FILE_TEST_IS_REGULAR))
      record_fail (run, g_strdup_printf ("%s deleted at %.3f s, before "
              "%.3f s (RFC 8216 6.2.2)", path, run->now_s, *(gdouble *) v));
    g_free (path);
  }
}

static gchar *
read_file (const gchar * path)
{
  gchar *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return NULL;
  return text;
}

static HlsCheckPlaylist *
parse_playlist_file (const gchar * path)
{
  gchar *text = read_file (path), *err = NULL;
  HlsCheckPlaylist *pl;

  fail_unless (text != NULL, "playlist %s missing", path);
  pl = hls_check_parse (text, &err);
  fail_unless (pl != NULL, "playlist %s rejected: %s\n%s", path, err, text);
  g_free (text);
  return pl;
}

static void
record_fail (Run * run, gchar * msg)
{
  if (run->fail == NULL)
    run->fail = msg;
  else
    g_free (msg);
}

static GstBusSyncReply
sync_handler (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  Run *run = user_data;
  const GstStructure *s;

  if (GST_MESSAGE_TYPE (msg) != GST_MESSAGE_ELEMENT)
    return GST_BUS_PASS;
  s = gst_message_get_structure (msg);
  if (gst_structure_has_name (s, "arcly-hls-segment")) {
    const gchar *loc = gst_structure_get_string (s, "location");
    guint64 dur = 0, seq = G_MAXUINT64, rt = GST_CLOCK_TIME_NONE;

    gst_structure_get_uint64 (s, "duration", &dur);
    gst_structure_get_uint64 (s, "sequence", &seq);
    gst_structure_get_uint64 (s, "running-time", &rt);
    if (loc == NULL || !g_file_test (loc, G_FILE_TEST_IS_REGULAR) || dur == 0)
      record_fail (run, g_strdup_printf ("bad segment message %s",
              gst_structure_to_string (s)));
    /* one message per segment, in order, with its own start */
    if (seq != run->next_seq || !GST_CLOCK_TIME_IS_VALID (rt)
        || (GST_CLOCK_TIME_IS_VALID (run->last_seg_rt)
            && rt <= run->last_seg_rt))
      record_fail (run, g_strdup_printf ("segment message out of order "
              "(expected sequence %" G_GUINT64_FORMAT "): %s", run->next_seq,
              gst_structure_to_string (s)));
    run->next_seq = seq + 1;
    run->last_seg_rt = rt;
    run->now_s = (gdouble) (rt + dur) / GST_SECOND;
    if (run->check_available) {
      gchar *text = read_file (run->playlist), *err = NULL;
      HlsCheckPlaylist *pl = text ? hls_check_parse (text, &err) : NULL;
      GHashTable *now_listed = g_hash_table_new_full (g_str_hash,
          g_str_equal, g_free, g_free);
      GHashTableIter it;
      gpointer k, v;
      gdouble total = 0;
      guint i;

      for (i = 0; pl && i < pl->segments->len; i++) {
        HlsCheckSegment *sg = g_ptr_array_index (pl->segments, i);

        g_hash_table_insert (now_listed, g_strdup (sg->uri),
            boxed_double (sg->duration));
        total += sg->duration;
      }
      g_hash_table_iter_init (&it, run->listed);
      while (g_hash_table_iter_next (&it, &k, &v))
        if (!g_hash_table_contains (now_listed, k)
            && !g_hash_table_contains (run->left, k))
          g_hash_table_insert (run->left, g_strdup (k),
              boxed_double (run->now_s + 2 * *(gdouble *) v + total));
      g_hash_table_unref (run->listed);
      run->listed = now_listed;
      check_still_available (run);
      hls_check_playlist_free (pl);
      g_free (err);
      g_free (text);
    }
    if (run->check_no_playlist && g_file_test (run->playlist,
            G_FILE_TEST_EXISTS))
      record_fail (run, g_strdup ("VOD playlist written before EOS"));
    if (run->check_live_latency) {
      GstClock *clock = gst_element_get_clock (run->pipeline);

      if (clock != NULL) {
        GstClockTime now = gst_clock_get_time (clock) -
            gst_element_get_base_time (run->pipeline);
        gdouble lat = (gdouble) GST_CLOCK_DIFF (rt + dur, now) / GST_SECOND;

        run->max_segment_latency = MAX (run->max_segment_latency, lat);
        gst_object_unref (clock);
      }
    }
    run->n_segments++;
  } else if (gst_structure_has_name (s, "arcly-hls-part")) {
    run->n_parts++;
    if (run->check_parts) {
      const gchar *uri = gst_structure_get_string (s, "uri");
      guint64 seq = 0, rt = 0, br_off = 0, br_len = 0;
      gboolean ranged = gst_structure_get_uint64 (s, "byterange-offset",
          &br_off) && gst_structure_get_uint64 (s, "byterange-length",
          &br_len);
      gchar *text = read_file (run->playlist), *err = NULL;
      HlsCheckPlaylist *pl = text ? hls_check_parse (text, &err) : NULL;
      GstClock *clock = gst_element_get_clock (run->pipeline);
      gboolean listed = FALSE;
      guint i;

      gst_structure_get_uint64 (s, "sequence", &seq);
      gst_structure_get_uint64 (s, "running-time", &rt);
      if (clock != NULL) {
        GstClockTime now = gst_clock_get_time (clock) -
            gst_element_get_base_time (run->pipeline);
        /* the oldest frame of the part was captured at its running time;
         * it is in the playlist now */
        gdouble lat = (gdouble) GST_CLOCK_DIFF (rt, now) / GST_SECOND;
        g_array_append_val (run->latencies, lat);
        gst_object_unref (clock);
      }
      if (pl == NULL) {
        record_fail (run, g_strdup_printf ("playlist at part: %s", err));
      } else {
        for (i = 0; i < pl->parts->len; i++) {
          HlsCheckPart *p = g_ptr_array_index (pl->parts, i);
          /* part-byteranges: the segment's URI, and where in it */
          if (g_strcmp0 (p->uri, uri) == 0 && (ranged ?
                  p->offset == (gint64) br_off && p->length == br_len :
                  p->offset < 0))
            listed = TRUE;
        }
        if (ranged != run->byteranges)
          record_fail (run, g_strdup_printf ("part message %s byte range "
                  "fields", ranged ? "with" : "without"));
        if (ranged) {
          /* listed: its bytes are in the (growing) segment file already */
          gchar *path = g_build_filename (run->dir, uri, NULL);
          GStatBuf st;

          if (g_stat (path, &st) != 0 || (guint64) st.st_size < br_off +
              br_len)
            record_fail (run, g_strdup_printf ("part %s %" G_GUINT64_FORMAT
                    "@%" G_GUINT64_FORMAT " listed before its bytes are in "
                    "the file", uri, br_len, br_off));
          g_free (path);
        }
        if (!listed)
          record_fail (run, g_strdup_printf ("part %s not listed:\n%s", uri,
                  text));
        /* its segment is not complete yet: no EXTINF for it */
        for (i = 0; i < pl->segments->len; i++) {
          HlsCheckSegment *sg = g_ptr_array_index (pl->segments, i);
          if (sg->msn == seq)
            listed = FALSE;
        }
        if (listed)
          run->parts_before_segment++;
        if (pl->preload_hint == NULL)
          record_fail (run, g_strdup ("no EXT-X-PRELOAD-HINT"));
        /* the hint names a part still to come (with byte ranges: where
         * it starts in a segment) */
        if (pl->preload_hint && run->byteranges != (pl->preload_hint_start
                >= 0))
          record_fail (run, g_strdup_printf ("preload hint %s %s "
                  "BYTERANGE-START", pl->preload_hint, run->byteranges ?
                  "without" : "with"));
        for (i = 0; pl->preload_hint && i < pl->parts->len; i++) {
          HlsCheckPart *p = g_ptr_array_index (pl->parts, i);

          if (g_strcmp0 (p->uri, pl->preload_hint) == 0
              && p->offset == pl->preload_hint_start)
            record_fail (run, g_strdup_printf ("preload hint %s (%"
                    G_GINT64_FORMAT ") is listed", pl->preload_hint,
                    pl->preload_hint_start));
        }
        /* audio only: every part starts with an independent frame */
        for (i = 0; run->audio_only && i < pl->parts->len; i++)
          if (!((HlsCheckPart *) g_ptr_array_index (pl->parts,
                      i))->independent)
            record_fail (run, g_strdup ("audio part without INDEPENDENT"));
        /* neither target may change while the stream runs */
        if (run->part_target_ms < 0) {
          run->part_target_ms = (gint) (pl->part_target * 1000 + 0.5);
          run->target_duration = pl->target_duration;
        } else if (run->part_target_ms != (gint) (pl->part_target * 1000 +
                0.5) || run->target_duration != pl->target_duration) {
          record_fail (run, g_strdup_printf ("PART-TARGET/TARGETDURATION "
                  "changed to %.3f/%d:\n%s", pl->part_target,
                  pl->target_duration, text));
        }
      }
      hls_check_playlist_free (pl);
      g_free (err);
      g_free (text);
    }
  }
  if (run->check_listed_exist) {
    /* deletion only after leaving the playlist */
    gchar *text = read_file (run->playlist), *err = NULL;
    HlsCheckPlaylist *pl = text ? hls_check_parse (text, &err) : NULL;
    guint i;

    for (i = 0; pl && i < pl->segments->len; i++) {
      HlsCheckSegment *sg = g_ptr_array_index (pl->segments, i);
      gchar *path = g_build_filename (run->dir, sg->uri, NULL);
      if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
        record_fail (run, g_strdup_printf ("listed %s missing", path));
      g_free (path);
    }
    for (i = 0; pl && i < pl->parts->len; i++) {
      HlsCheckPart *p = g_ptr_array_index (pl->parts, i);
      gchar *path = g_build_filename (run->dir, p->uri, NULL);
      if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
        record_fail (run, g_strdup_printf ("listed part %s missing", path));
      g_free (path);
    }
    hls_check_playlist_free (pl);
    g_free (err);
    g_free (text);
  }
  return GST_BUS_PASS;
}

static Run *
run_new (void)
{
  Run *run = g_new0 (Run, 1);

  run->dir = g_dir_make_tmp ("arclyhlssink-XXXXXX", NULL);
  fail_unless (run->dir != NULL);
  run->playlist = g_build_filename (run->dir, "playlist.m3u8", NULL);
  run->errors = g_ptr_array_new_with_free_func (g_free);
  run->latencies = g_array_new (FALSE, FALSE, sizeof (gdouble));
  run->last_seg_rt = GST_CLOCK_TIME_NONE;
  run->part_target_ms = run->target_duration = -1;
  run->listed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      g_free);
  run->left = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      g_free);
  return run;
}

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
run_free (Run * run)
{
  remove_dir (run->dir);
  g_free (run->dir);
  g_free (run->playlist);
  g_free (run->fail);
  g_ptr_array_unref (run->errors);
  g_array_unref (run->latencies);
  g_hash_table_unref (run->listed);
  g_hash_table_unref (run->left);
  if (run->pipeline)
    gst_object_unref (run->pipeline);
  g_free (run);
}

/* The "input-thread" test case sets this: every sink muxes on the threads
 * that push its input. */
static gboolean input_thread;

static void
input_thread_on (void)
{
  input_thread = TRUE;
}

static void
input_thread_off (void)
{
  input_thread = FALSE;
}

/* "hls." prefix: the sink, with files in the run's folder. */
static gchar *
sink_desc (Run * run, const gchar * format, const gchar * extra)
{
  return g_strdup_printf ("arclyhlssink name=hls segment-format=%s "
      "location=%s/segment%%05d.%s init-location=%s/init%%d.mp4 "
      "playlist-location=%s %s%s", format, run->dir,
      g_str_equal (format, FMT_TS) ? "ts" : "m4s", run->dir, run->playlist,
      extra ? extra : "", input_thread ? " input-thread=true" : "");
}

/* Run @desc until EOS or error, at most @timeout_s; EOS sent after
 * @eos_after_s if > 0 (live sources). */
static gboolean
run_pipeline (Run * run, const gchar * desc, guint timeout_s,
    guint eos_after_s)
{
  GError *err = NULL;
  GstBus *bus;
  gint64 deadline = g_get_monotonic_time () + timeout_s * G_USEC_PER_SEC;
  gint64 eos_at = eos_after_s ? g_get_monotonic_time () +
      eos_after_s * G_USEC_PER_SEC : 0;
  gboolean eos = FALSE;

  run->pipeline = gst_parse_launch (desc, &err);
  fail_unless (run->pipeline != NULL, "parse %s: %s", desc,
      err ? err->message : "?");
  g_clear_error (&err);
  bus = gst_element_get_bus (run->pipeline);
  gst_bus_set_sync_handler (bus, sync_handler, run, NULL);
  fail_if (gst_element_set_state (run->pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE, "could not start %s", desc);

  while (g_get_monotonic_time () < deadline) {
    GstMessage *msg = gst_bus_timed_pop_filtered (bus, 100 * GST_MSECOND,
        GST_MESSAGE_EOS | GST_MESSAGE_ERROR);

    if (eos_at && g_get_monotonic_time () >= eos_at) {
      gst_element_send_event (run->pipeline, gst_event_new_eos ());
      eos_at = 0;
    }
    if (msg == NULL)
      continue;
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
      GError *e = NULL;
      gchar *dbg = NULL;

      gst_message_parse_error (msg, &e, &dbg);
      g_ptr_array_add (run->errors, g_strdup_printf ("%s (%s)", e->message,
              dbg ? dbg : ""));
      g_clear_error (&e);
      g_free (dbg);
      gst_message_unref (msg);
      break;
    }
    gst_message_unref (msg);
    eos = TRUE;
    break;
  }
  gst_element_set_state (run->pipeline, GST_STATE_NULL);
  gst_bus_set_sync_handler (bus, NULL, NULL, NULL);
  gst_object_unref (bus);
  fail_unless (run->fail == NULL, "%s", run->fail);
  return eos;
}

static void
run_ok (Run * run, const gchar * desc, guint timeout_s, guint eos_after_s)
{
  gboolean eos = run_pipeline (run, desc, timeout_s, eos_after_s);

  fail_unless (run->errors->len == 0, "error: %s",
      run->errors->len ? (gchar *) g_ptr_array_index (run->errors, 0) : "");
  fail_unless (eos, "no EOS within %u s: %s", timeout_s, desc);
}

/* Concatenation of @init and @path in a temporary file (fMP4 segments
 * decode only with their init segment). */
static gchar *
with_init (const gchar * init, const gchar * path)
{
  gchar *tmp = NULL, *a = NULL, *b = NULL;
  gsize la, lb;
  GString *cat;
  gint fd = g_file_open_tmp ("arclyhls-XXXXXX.mp4", &tmp, NULL);

  fail_unless (fd >= 0);
  close (fd);
  fail_unless (g_file_get_contents (init, &a, &la, NULL), "no %s", init);
  fail_unless (g_file_get_contents (path, &b, &lb, NULL), "no %s", path);
  cat = g_string_new_len (a, la);
  g_string_append_len (cat, b, lb);
  fail_unless (g_file_set_contents (tmp, cat->str, cat->len, NULL));
  g_string_free (cat, TRUE);
  g_free (a);
  g_free (b);
  return tmp;
}

/* `ffmpeg -v error` decodes every file of @inputs, each as its own input
 * (so each segment must decode on its own), without a word: one ffmpeg
 * process for all of them. */
static void
check_decodes (GPtrArray * inputs)
{
  GPtrArray *argv = g_ptr_array_new_with_free_func (g_free);
  gchar *out = NULL, *errout = NULL;
  gint status = -1;
  GError *err = NULL;
  guint i;

  g_ptr_array_add (argv, g_strdup ("ffmpeg"));
  g_ptr_array_add (argv, g_strdup ("-nostdin"));
  g_ptr_array_add (argv, g_strdup ("-v"));
  g_ptr_array_add (argv, g_strdup ("error"));
  for (i = 0; i < inputs->len; i++) {
    g_ptr_array_add (argv, g_strdup ("-i"));
    g_ptr_array_add (argv, g_strdup (g_ptr_array_index (inputs, i)));
  }
  for (i = 0; i < inputs->len; i++) {
    const gchar *in = g_ptr_array_index (inputs, i);

    g_ptr_array_add (argv, g_strdup ("-map"));
    if (arcly_check_has_empty_stream (in)) {
      /* ffmpeg cannot set up a decoder for a stream it never saw a packet
       * of: only the last segment of a stream that ended may be that
       * short (e.g. one video frame after the audio's last one) */
      fail_unless (i + 1 == inputs->len, "%s: a stream without data", in);
      g_ptr_array_add (argv, g_strdup_printf ("%u:v", i));
    } else {
      g_ptr_array_add (argv, g_strdup_printf ("%u", i));
    }
  }
  /* decode at the demuxer's time base: with its default (1/frame rate)
   * ffmpeg's own output step rounds the live, slightly jittered PTS and
   * reports two frames landing on one tick as a muxing error */
  g_ptr_array_add (argv, g_strdup ("-enc_time_base:v"));
  g_ptr_array_add (argv, g_strdup ("-1"));
  g_ptr_array_add (argv, g_strdup ("-f"));
  g_ptr_array_add (argv, g_strdup ("null"));
  g_ptr_array_add (argv, g_strdup ("-"));
  g_ptr_array_add (argv, NULL);
  fail_unless (g_spawn_sync (NULL, (gchar **) argv->pdata, NULL,
          G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &errout, &status, &err),
      "cannot run ffmpeg: %s", err ? err->message : "?");
  fail_unless (g_spawn_check_wait_status (status, NULL) && *errout == '\0',
      "ffmpeg could not decode the segments (%u inputs, first %s): %s",
      inputs->len, (gchar *) g_ptr_array_index (inputs, 0), errout);
  g_ptr_array_unref (argv);
  g_free (out);
  g_free (errout);
}

/* Every listed segment exists and decodes; returns the parsed playlist. */
static HlsCheckPlaylist *
check_output (Run * run)
{
  HlsCheckPlaylist *pl = parse_playlist_file (run->playlist);
  GPtrArray *inputs = g_ptr_array_new_with_free_func (g_free);
  GPtrArray *tmps = g_ptr_array_new_with_free_func (g_free);
  guint i;

  fail_unless (pl->segments->len > 0, "no segments listed");
  for (i = 0; i < pl->segments->len; i++) {
    HlsCheckSegment *s = g_ptr_array_index (pl->segments, i);
    gchar *path = g_build_filename (run->dir, s->uri, NULL);

    fail_unless (g_file_test (path, G_FILE_TEST_IS_REGULAR), "%s missing",
        path);
    if (s->map_uri != NULL) {
      gchar *init = g_build_filename (run->dir, s->map_uri, NULL);
      gchar *tmp = with_init (init, path);

      g_ptr_array_add (inputs, g_strdup (tmp));
      g_ptr_array_add (tmps, tmp);
      g_free (init);
      g_free (path);
    } else {
      g_ptr_array_add (inputs, path);
    }
  }
  check_decodes (inputs);
  for (i = 0; i < tmps->len; i++)
    g_unlink (g_ptr_array_index (tmps, i));
  g_ptr_array_unref (tmps);
  g_ptr_array_unref (inputs);
  return pl;
}

static void
check_format (const gchar * format, gboolean video, gboolean audio)
{
  Run *run = run_new ();
  gchar *sink = sink_desc (run, format, "target-duration=1 playlist-type=vod");
  gchar *desc = g_strdup_printf ("%s %s%s%s%s",
      video ? VIDEO_SRC ("90", "false") : "", video ? "hls.video " : "",
      audio ? AUDIO_SRC ("130", "false") : "", audio ? "hls.audio " : "",
      sink);
  HlsCheckPlaylist *pl;
  gdouble total = 0;
  gint64 now_us = g_get_real_time ();
  guint i;

  run->check_no_playlist = TRUE;
  run_ok (run, desc, 30, 0);
  pl = check_output (run);
  fail_unless (pl->endlist);
  fail_unless_equals_string (pl->playlist_type, "VOD");
  fail_unless (pl->independent_segments);
  /* 1 s GOPs (audio: 23 ms frames) fit the 1 s target: not raised */
  fail_unless_equals_int (pl->target_duration, 1);
  for (i = 0; i < pl->segments->len; i++) {
    HlsCheckSegment *s = g_ptr_array_index (pl->segments, i);
    total += s->duration;
    fail_unless (s->has_pdt, "no PROGRAM-DATE-TIME on %s", s->uri);
    /* wall time of the run, each segment one EXTINF after the previous */
    fail_unless (ABS (s->pdt_us - now_us) < 60 * G_USEC_PER_SEC,
        "PROGRAM-DATE-TIME of %s is %.1f s off the wall clock", s->uri,
        (s->pdt_us - now_us) / 1e6);
    if (i > 0) {
      HlsCheckSegment *prev = g_ptr_array_index (pl->segments, i - 1);
      fail_unless (ABS (s->pdt_us - prev->pdt_us - (gint64) (prev->duration *
                  G_USEC_PER_SEC)) <= 2000, "PROGRAM-DATE-TIME of %s is not "
          "the previous one + EXTINF", s->uri);
    }
    fail_unless_equals_int (s->map_uri != NULL, g_str_equal (format,
            FMT_FMP4));
    fail_if (s->discontinuity);
  }
  /* 3 s of media, 1 s segments (1 s GOPs for video) */
  fail_unless (pl->segments->len >= 3 && pl->segments->len <= 4,
      "%u segments", pl->segments->len);
  fail_unless (total > 2.8 && total < 3.3, "total %.3f s", total);
  fail_unless_equals_int (run->n_segments, pl->segments->len);
  hls_check_playlist_free (pl);
  g_free (desc);
  g_free (sink);
  run_free (run);
}

GST_START_TEST (test_fmp4_av)
{
  check_format (FMT_FMP4, TRUE, TRUE);
}

GST_END_TEST;

GST_START_TEST (test_fmp4_video)
{
  check_format (FMT_FMP4, TRUE, FALSE);
}

GST_END_TEST;

GST_START_TEST (test_fmp4_audio)
{
  check_format (FMT_FMP4, FALSE, TRUE);
}

GST_END_TEST;

GST_START_TEST (test_ts_av)
{
  check_format (FMT_TS, TRUE, TRUE);
}

GST_END_TEST;

GST_START_TEST (test_ts_video)
{
  check_format (FMT_TS, TRUE, FALSE);
}

GST_END_TEST;

GST_START_TEST (test_ts_audio)
{
  check_format (FMT_TS, FALSE, TRUE);
}

GST_END_TEST;

static GstPadProbeReturn
count_buffers (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  (*(guint *) user_data)++;
  return GST_PAD_PROBE_OK;
}

/* GStreamer's hlsdemux plays the VOD playlist to EOS with
 * every video frame. */
static void
play_with_demuxer (const gchar * playlist, const gchar * demux, guint frames)
{
  gchar *desc = g_strdup_printf ("filesrc location=%s ! %s ! decodebin ! "
      "video/x-raw ! fakesink name=out", playlist, demux);
  GstElement *p = gst_parse_launch (desc, NULL);
  GstElement *out;
  GstPad *pad;
  GstBus *bus;
  GstMessage *msg;
  guint count = 0;

  fail_unless (p != NULL, "cannot build %s", desc);
  out = gst_bin_get_by_name (GST_BIN (p), "out");
  pad = gst_element_get_static_pad (out, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, count_buffers, &count,
      NULL);
  gst_object_unref (pad);
  gst_object_unref (out);
  bus = gst_element_get_bus (p);
  gst_element_set_state (p, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "%s: no EOS in 30 s", demux);
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    GError *e = NULL;
    gst_message_parse_error (msg, &e, NULL);
    fail ("%s: %s", demux, e->message);
  }
  gst_message_unref (msg);
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (p);
  fail_unless_equals_int (count, frames);
  g_free (desc);
}

static void
check_hlsdemux (const gchar * format)
{
  Run *run = run_new ();
  gchar *sink = sink_desc (run, format, "target-duration=1 playlist-type=vod");
  gchar *desc = g_strdup_printf ("%s hls.video %s hls.audio %s",
      VIDEO_SRC ("90", "false"), AUDIO_SRC ("130", "false"), sink);

  run_ok (run, desc, 30, 0);
  fail_unless (gst_element_factory_find ("hlsdemux") != NULL,
      "GStreamer's hlsdemux is missing (gstreamer1.0-plugins-bad)");
  play_with_demuxer (run->playlist, "hlsdemux", 90);
  g_free (desc);
  g_free (sink);
  run_free (run);
}

GST_START_TEST (test_hlsdemux_vod_fmp4)
{
  check_hlsdemux (FMT_FMP4);
}

GST_END_TEST;

GST_START_TEST (test_hlsdemux_vod_ts)
{
  check_hlsdemux (FMT_TS);
}

GST_END_TEST;

/* The part files on disk are exactly the parts @pl lists: each was
 * deleted once it left the playlist, none listed is missing. */
static void
check_part_files (Run * run, HlsCheckPlaylist * pl)
{
  GDir *d = g_dir_open (run->dir, 0, NULL);
  const gchar *name;
  guint on_disk = 0, i;

  fail_unless (d != NULL);
  while ((name = g_dir_read_name (d)) != NULL) {
    gboolean listed = FALSE;

    if (!g_regex_match_simple ("^segment[0-9]+\\.[0-9]+\\.", name, 0, 0))
      continue;
    on_disk++;
    for (i = 0; i < pl->parts->len; i++)
      if (g_str_equal (((HlsCheckPart *) g_ptr_array_index (pl->parts,
                      i))->uri, name))
        listed = TRUE;
    fail_unless (listed, "part file %s is not listed (not deleted)", name);
  }
  g_dir_close (d);
  fail_unless_equals_int (on_disk, pl->parts->len);
}

/* part-byteranges: no part files; the listed parts of each segment tile
 * its file from byte 0 to its end, each starting with a fragment (fMP4:
 * a moof box) or a TS packet. */
static void
check_byterange_parts (Run * run, HlsCheckPlaylist * pl, gboolean fmp4)
{
  GDir *d = g_dir_open (run->dir, 0, NULL);
  const gchar *name;
  guint i, j, checked = 0;

  fail_unless (d != NULL);
  while ((name = g_dir_read_name (d)) != NULL)
    fail_if (g_regex_match_simple ("^segment[0-9]+\\.[0-9]+\\.", name, 0,
            0), "part file %s written with part-byteranges", name);
  g_dir_close (d);
  for (i = 0; i < pl->parts->len; i++)
    fail_unless (((HlsCheckPart *) g_ptr_array_index (pl->parts,
                i))->offset >= 0, "a part without BYTERANGE");
  for (i = 0; i < pl->segments->len; i++) {
    HlsCheckSegment *sg = g_ptr_array_index (pl->segments, i);
    gchar *path = g_build_filename (run->dir, sg->uri, NULL), *data = NULL;
    gsize size = 0;
    guint64 covered = 0;

    if (sg->n_parts == 0) {
      g_free (path);
      continue;
    }
    fail_unless (g_file_get_contents (path, &data, &size, NULL), "%s", path);
    for (j = 0; j < pl->parts->len; j++) {
      HlsCheckPart *p = g_ptr_array_index (pl->parts, j);

      if (p->msn != sg->msn)
        continue;
      fail_unless_equals_string (p->uri, sg->uri);
      fail_unless ((guint64) p->offset == covered);
      fail_unless ((guint64) p->offset + p->length <= size);
      if (fmp4)
        fail_unless (memcmp (data + p->offset + 4, "moof", 4) == 0,
            "%s part at %" G_GINT64_FORMAT " is not a fragment", sg->uri,
            p->offset);
      else
        fail_unless_equals_int (data[p->offset], 0x47);
      covered += p->length;
    }
    fail_unless_equals_uint64 (covered, size);
    checked++;
    g_free (data);
    g_free (path);
  }
  fail_unless (checked > 0, "no complete segment with parts listed");
}

/* LL-HLS: parts listed before their segment completes, with a preload
 * hint, and a frame is in the playlist (as part of a part) within 1 s of
 * its capture; with @byteranges (part-byteranges=true) as byte ranges of
 * the segments. */
static void
check_low_latency_full (const gchar * format, gboolean video,
    gboolean byteranges)
{
  Run *run = run_new ();
  gchar *sink = sink_desc (run, format, byteranges ?
      "target-duration=2 part-duration=300 playlist-length=4 max-files=6 "
      "part-byteranges=true" :
      "target-duration=2 part-duration=300 playlist-length=4 max-files=6");
  gchar *desc = g_strdup_printf ("%s%s %s hls.audio %s",
      video ? VIDEO_SRC ("-1", "true") : "", video ? "hls.video" : "",
      AUDIO_SRC ("-1", "true"), sink);
  HlsCheckPlaylist *pl;
  gdouble max = 0, sum = 0;
  guint i;

  run->check_parts = TRUE;
  run->byteranges = byteranges;
  run->check_listed_exist = TRUE;
  run->audio_only = !video;
  run_ok (run, desc, 30, 4);
  pl = check_output (run);
  fail_unless (run->n_parts >= 8, "only %u parts", run->n_parts);
  fail_unless (run->parts_before_segment >= run->n_parts / 2,
      "only %u of %u parts listed before their segment completed",
      run->parts_before_segment, run->n_parts);
  fail_unless (run->latencies->len > 0);
  for (i = 0; i < run->latencies->len; i++) {
    gdouble l = g_array_index (run->latencies, gdouble, i);
    max = MAX (max, l);
    sum += l;
  }
  g_print ("LL-HLS %s: capture -> part in playlist: mean %.3f s, max %.3f s "
      "over %u parts\n", format, sum / run->latencies->len, max,
      run->latencies->len);
  fail_unless (max < 1.0, "latency %.3f s >= 1 s", max);
  fail_unless (fabs (pl->part_target - 0.3) < 1e-6, "PART-TARGET %.3f",
      pl->part_target);
  fail_if (pl->can_block_reload);
  if (byteranges)
    check_byterange_parts (run, pl, g_str_equal (format, FMT_FMP4));
  else
    check_part_files (run, pl);
  hls_check_playlist_free (pl);
  g_free (desc);
  g_free (sink);
  run_free (run);
}

static void
check_low_latency (const gchar * format, gboolean video)
{
  check_low_latency_full (format, video, FALSE);
}

GST_START_TEST (test_low_latency_fmp4)
{
  check_low_latency (FMT_FMP4, TRUE);
}

GST_END_TEST;

GST_START_TEST (test_low_latency_ts)
{
  check_low_latency (FMT_TS, TRUE);
}

GST_END_TEST;

GST_START_TEST (test_low_latency_byteranges_fmp4)
{
  check_low_latency_full (FMT_FMP4, TRUE, TRUE);
}

GST_END_TEST;

GST_START_TEST (test_low_latency_byteranges_ts)
{
  check_low_latency_full (FMT_TS, TRUE, TRUE);
}

GST_END_TEST;

/* Audio only: every AAC frame is a cut point; parts still group them up
 * to the target (not one 23 ms part per frame). */
GST_START_TEST (test_low_latency_audio_fmp4)
{
  check_low_latency (FMT_FMP4, FALSE);
}

GST_END_TEST;

GST_START_TEST (test_low_latency_audio_ts)
{
  check_low_latency (FMT_TS, FALSE);
}

GST_END_TEST;

/* Live without parts: the sink does not wait for upstream to stop (or for
 * a GOP more) to finish a segment: each is listed within 1 s of its end,
 * while the source runs. */
static void
check_live_segments (const gchar * format)
{
  Run *run = run_new ();
  gchar *sink = sink_desc (run, format, "target-duration=1");
  gchar *desc = g_strdup_printf ("%s hls.video %s hls.audio %s",
      VIDEO_SRC ("-1", "true"), AUDIO_SRC ("-1", "true"), sink);
  HlsCheckPlaylist *pl;

  run->check_live_latency = TRUE;
  run->check_listed_exist = TRUE;
  run_ok (run, desc, 30, 4);
  pl = check_output (run);
  /* about 4 s: 3 segments complete before EOS, the last one at EOS */
  fail_unless (run->n_segments >= 4, "%u segments", run->n_segments);
  g_print ("live %s without parts: segment end -> listed, max %.3f s\n",
      format, run->max_segment_latency);
  fail_unless (run->max_segment_latency < 1.0, "a segment was listed %.3f s "
      "after its end", run->max_segment_latency);
  fail_unless_equals_int (pl->segments->len, run->n_segments);
  hls_check_playlist_free (pl);
  g_free (desc);
  g_free (sink);
  run_free (run);
}

GST_START_TEST (test_live_segments_fmp4)
{
  check_live_segments (FMT_FMP4);
}

GST_END_TEST;

GST_START_TEST (test_live_segments_ts)
{
  check_live_segments (FMT_TS);
}

GST_END_TEST;

/* A DISCONT buffer in the middle: the segment starting at the next
 * keyframe carries EXT-X-DISCONTINUITY, no other does. */
static GstPadProbeReturn
mark_discont (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  guint *n = user_data;

  if (++(*n) == 45) {
    GstBuffer *buf = gst_buffer_make_writable (GST_PAD_PROBE_INFO_BUFFER
        (info));
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
    GST_PAD_PROBE_INFO_DATA (info) = buf;
  }
  return GST_PAD_PROBE_OK;
}

static void
check_discont (const gchar * format)
{
  Run *run = run_new ();
  gchar *sink = sink_desc (run, format,
      "target-duration=1 playlist-type=event");
  gchar *desc = g_strdup_printf ("%s hls.video %s", VIDEO_SRC ("120",
          "false"), sink);
  GError *err = NULL;
  GstElement *parse;
  GstPad *pad;
  GstBus *bus;
  GstMessage *msg;
  HlsCheckPlaylist *pl;
  guint n = 0, i;

  run->pipeline = gst_parse_launch (desc, &err);
  fail_unless (run->pipeline != NULL);
  parse = gst_bin_get_by_name (GST_BIN (run->pipeline), "vparse");
  pad = gst_element_get_static_pad (parse, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, mark_discont, &n, NULL);
  gst_object_unref (pad);
  gst_object_unref (parse);
  bus = gst_element_get_bus (run->pipeline);
  gst_element_set_state (run->pipeline, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS);
  gst_message_unref (msg);
  gst_element_set_state (run->pipeline, GST_STATE_NULL);
  gst_object_unref (bus);

  pl = check_output (run);
  /* frames 0..119, GOPs at 0, 30, 60, 90; DISCONT on frame 44 (1.47 s):
   * segment 2 (from 2.0 s) starts the discontinuity */
  fail_unless_equals_int (pl->segments->len, 4);
  fail_unless_equals_string (pl->playlist_type, "EVENT");
  fail_unless_equals_uint64 (pl->media_sequence, 0);
  fail_unless_equals_int (pl->n_discontinuities, 1);
  for (i = 0; i < pl->segments->len; i++) {
    HlsCheckSegment *s = g_ptr_array_index (pl->segments, i);
    fail_unless_equals_int (s->discontinuity, i == 2);
  }
  hls_check_playlist_free (pl);
  g_free (desc);
  g_free (sink);
  run_free (run);
}

GST_START_TEST (test_discontinuity_fmp4)
{
  check_discont (FMT_FMP4);
}

GST_END_TEST;

GST_START_TEST (test_discontinuity_ts)
{
  check_discont (FMT_TS);
}

GST_END_TEST;

/* A caps change (resolution) in the middle: the segment starting at the new
 * caps carries EXT-X-DISCONTINUITY and, for fMP4, a new EXT-X-MAP (a new
 * init file); everything decodes. */
static GstPadProbeReturn
change_caps (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  guint *n = user_data;

  if (++(*n) == 45) {
    GstElement *cf = gst_pad_get_parent_element (pad);
    GstCaps *caps = gst_caps_from_string ("video/x-raw,format=I420,"
        "width=320,height=240,framerate=30/1");

    g_object_set (cf, "caps", caps, NULL);
    gst_caps_unref (caps);
    gst_object_unref (cf);
  }
  return GST_PAD_PROBE_OK;
}

static void
check_caps_change (const gchar * format)
{
  Run *run = run_new ();
  gchar *sink = sink_desc (run, format,
      "target-duration=1 playlist-type=event");
  gchar *desc = g_strdup_printf ("videotestsrc num-buffers=120 ! "
      "capsfilter name=cf caps=video/x-raw,format=I420,width=160,height=120,"
      "framerate=30/1 ! x264enc key-int-max=30 option-string=scenecut=0 "
      "speed-preset=ultrafast tune=zerolatency ! h264parse ! hls.video %s",
      sink);
  GstElement *cf;
  GstPad *pad;
  GstBus *bus;
  GstMessage *msg;
  HlsCheckPlaylist *pl;
  guint n = 0, i, disc_at = 0;

  run->pipeline = gst_parse_launch (desc, NULL);
  fail_unless (run->pipeline != NULL);
  cf = gst_bin_get_by_name (GST_BIN (run->pipeline), "cf");
  pad = gst_element_get_static_pad (cf, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, change_caps, &n, NULL);
  gst_object_unref (pad);
  gst_object_unref (cf);
  bus = gst_element_get_bus (run->pipeline);
  gst_element_set_state (run->pipeline, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS,
      "no EOS after a caps change");
  gst_message_unref (msg);
  gst_element_set_state (run->pipeline, GST_STATE_NULL);
  gst_object_unref (bus);

  pl = check_output (run);
  fail_unless_equals_int (pl->n_discontinuities, 1);
  for (i = 0; i < pl->segments->len; i++) {
    HlsCheckSegment *s = g_ptr_array_index (pl->segments, i);
    if (s->discontinuity)
      disc_at = i;
    if (g_str_equal (format, FMT_FMP4))
      fail_unless_equals_string (s->map_uri, disc_at && i >= disc_at ?
          "init1.mp4" : "init0.mp4");
  }
  /* the new caps arrive with frame 45 (1.5 s): not in the first segment */
  fail_unless (disc_at >= 1 && disc_at <= 2, "discontinuity at segment %u",
      disc_at);
  hls_check_playlist_free (pl);
  g_free (desc);
  g_free (sink);
  run_free (run);
}

GST_START_TEST (test_caps_change_fmp4)
{
  check_caps_change (FMT_FMP4);
}

GST_END_TEST;

GST_START_TEST (test_caps_change_ts)
{
  check_caps_change (FMT_TS);
}

GST_END_TEST;

/* PLAYING -> READY -> PLAYING -> EOS: the second run starts a fresh
 * playlist (its segments numbered from sequence 0 and file 0 again, the
 * first run's segments no longer listed) and the unfinished segment of the
 * first left no temporary file behind. */
static GstBusSyncReply
record_segments (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  GArray *seqs = user_data;

  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ELEMENT &&
      gst_structure_has_name (gst_message_get_structure (msg),
          "arcly-hls-segment")) {
    guint64 seq = G_MAXUINT64;

    gst_structure_get_uint64 (gst_message_get_structure (msg), "sequence",
        &seq);
    g_array_append_val (seqs, seq);
  }
  return GST_BUS_PASS;
}

GST_START_TEST (test_restart)
{
  Run *run = run_new ();
  gchar *sink = sink_desc (run, FMT_FMP4,
      "target-duration=1 playlist-type=event part-duration=250");
  gchar *desc = g_strdup_printf ("%s hls.video %s", VIDEO_SRC ("-1",
          "true"), sink);
  GArray *seqs = g_array_new (FALSE, FALSE, sizeof (guint64));
  GstBus *bus;
  GstMessage *msg;
  HlsCheckPlaylist *pl;
  GDir *d;
  const gchar *name;
  guint round, first_run_segments = 0, i;
  gint64 restart_us = 0;

  run->pipeline = gst_parse_launch (desc, NULL);
  fail_unless (run->pipeline != NULL);
  bus = gst_element_get_bus (run->pipeline);
  gst_bus_set_sync_handler (bus, record_segments, seqs, NULL);
  for (round = 0; round < 2; round++) {
    fail_if (gst_element_set_state (run->pipeline, GST_STATE_PLAYING) ==
        GST_STATE_CHANGE_FAILURE);
    g_usleep (2600 * 1000);
    if (round == 0) {
      fail_unless (gst_element_set_state (run->pipeline, GST_STATE_READY) ==
          GST_STATE_CHANGE_SUCCESS);
      restart_us = g_get_real_time ();
      first_run_segments = seqs->len;
      pl = parse_playlist_file (run->playlist);
      fail_if (pl->endlist);
      fail_unless (pl->segments->len >= 2, "%u segments in the first run",
          pl->segments->len);
      hls_check_playlist_free (pl);
      d = g_dir_open (run->dir, 0, NULL);
      while ((name = g_dir_read_name (d)) != NULL)
        fail_if (g_str_has_prefix (name, "."), "temporary file left: %s",
            name);
      g_dir_close (d);
    }
  }
  gst_element_send_event (run->pipeline, gst_event_new_eos ());
  msg = gst_bus_timed_pop_filtered (bus, 20 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS);
  gst_message_unref (msg);
  gst_element_set_state (run->pipeline, GST_STATE_NULL);
  gst_bus_set_sync_handler (bus, NULL, NULL, NULL);
  gst_object_unref (bus);

  /* each run numbers its segments from 0 */
  fail_unless (first_run_segments >= 2 && seqs->len > first_run_segments);
  for (i = 0; i < seqs->len; i++)
    fail_unless_equals_uint64 (g_array_index (seqs, guint64, i),
        i < first_run_segments ? i : i - first_run_segments);
  pl = check_output (run);
  fail_unless (pl->endlist);
  fail_unless_equals_uint64 (pl->media_sequence, 0);
  /* only the second run's segments: all of them, none from before */
  fail_unless_equals_int (pl->segments->len, seqs->len - first_run_segments);
  fail_unless_equals_string (((HlsCheckSegment *)
          g_ptr_array_index (pl->segments, 0))->uri, "segment00000.m4s");
  fail_unless (((HlsCheckSegment *) g_ptr_array_index (pl->segments,
              0))->pdt_us >= restart_us - 500 * 1000, "the first segment "
      "listed is from before the restart");
  hls_check_playlist_free (pl);
  g_array_unref (seqs);
  g_free (desc);
  g_free (sink);
  run_free (run);
}

GST_END_TEST;

/* Live window: the playlist slides, a file is never deleted while listed,
 * nor before it has been out of the playlist for its duration plus the
 * playlist's (RFC 8216 6.2.2), and then max-files bounds the rest. */
GST_START_TEST (test_live_window_and_max_files)
{
  Run *run = run_new ();
  gchar *sink = sink_desc (run, FMT_FMP4,
      "target-duration=1 playlist-length=3 max-files=4 "
      "program-date-time=false");
  gchar *desc = g_strdup_printf ("%s hls.video %s", VIDEO_SRC ("480",
          "false"), sink);
  HlsCheckPlaylist *pl;
  GDir *d;
  const gchar *name;
  guint n_seg_files = 0, i;

  run->check_listed_exist = TRUE;
  run->check_available = TRUE;
  run_ok (run, desc, 30, 0);
  check_still_available (run);
  fail_unless (run->fail == NULL, "%s", run->fail);
  pl = check_output (run);
  fail_unless_equals_int (run->n_segments, 16);
  fail_unless_equals_int (pl->segments->len, 3);
  fail_unless_equals_uint64 (pl->media_sequence, 13);
  fail_unless (pl->endlist);
  fail_unless (pl->playlist_type == NULL);
  for (i = 0; i < pl->segments->len; i++)
    fail_if (((HlsCheckSegment *) g_ptr_array_index (pl->segments,
                i))->has_pdt, "PROGRAM-DATE-TIME with program-date-time=false");
  d = g_dir_open (run->dir, 0, NULL);
  while ((name = g_dir_read_name (d)) != NULL) {
    if (g_str_has_prefix (name, "segment"))
      n_seg_files++;
    fail_if (g_str_has_prefix (name, "."), "temporary file left: %s", name);
  }
  g_dir_close (d);
  /* 1 s segments leave 5 s (1 + 1 + 3 listed) before they may go: at
   * 16 s, segments 0-7 are gone (7 may be a nanosecond early or late) */
  fail_unless (n_seg_files == 8 || n_seg_files == 9, "%u segment files",
      n_seg_files);
  hls_check_playlist_free (pl);
  g_free (desc);
  g_free (sink);
  run_free (run);
}

GST_END_TEST;

/* An unwritable folder is an element error naming the path and the OS
 * error; the last good playlist stays. */
static GstBusSyncReply
remove_segment_dir (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  Run *run = user_data;

  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ELEMENT &&
      gst_structure_has_name (gst_message_get_structure (msg),
          "arcly-hls-segment") && ++run->n_segments == 2) {
    gchar *segdir = g_build_filename (run->dir, "seg", NULL);
    remove_dir (segdir);
    g_free (segdir);
  }
  return GST_BUS_PASS;
}

GST_START_TEST (test_write_error_keeps_playlist)
{
  Run *run = run_new ();
  gchar *segdir = g_build_filename (run->dir, "seg", NULL);
  gchar *desc, *text, *expect;
  GstBus *bus;
  GstMessage *msg;
  GError *e = NULL;
  HlsCheckPlaylist *pl;

  fail_unless (g_mkdir (segdir, 0755) == 0);
  desc = g_strdup_printf ("%s hls.video arclyhlssink name=hls "
      "target-duration=1 location=%s/segment%%05d.m4s "
      "init-location=%s/init%%d.mp4 playlist-location=%s playlist-root=seg",
      VIDEO_SRC ("240", "false"), segdir, segdir, run->playlist);
  run->pipeline = gst_parse_launch (desc, NULL);
  bus = gst_element_get_bus (run->pipeline);
  gst_bus_set_sync_handler (bus, remove_segment_dir, run, NULL);
  gst_element_set_state (run->pipeline, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR,
      "expected an error");
  gst_message_parse_error (msg, &e, NULL);
  expect = g_build_filename (segdir, "segment0000", NULL);
  fail_unless (strstr (e->message, expect) != NULL, "no path in: %s",
      e->message);
  fail_unless (strstr (e->message, g_strerror (ENOENT)) != NULL,
      "no OS error in: %s", e->message);
  fail_unless (g_error_matches (e, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_OPEN_WRITE));
  g_clear_error (&e);
  gst_message_unref (msg);
  gst_element_set_state (run->pipeline, GST_STATE_NULL);
  gst_bus_set_sync_handler (bus, NULL, NULL, NULL);
  gst_object_unref (bus);

  /* the last good playlist: two segments, parseable, nothing half-done */
  text = read_file (run->playlist);
  fail_unless (text != NULL);
  pl = parse_playlist_file (run->playlist);
  fail_unless_equals_int (pl->segments->len, 2);
  fail_unless_equals_string (((HlsCheckSegment *)
          g_ptr_array_index (pl->segments, 0))->uri, "seg/segment00000.m4s");
  hls_check_playlist_free (pl);
  g_free (text);
  g_free (expect);
  g_free (desc);
  g_free (segdir);
  run_free (run);
}

GST_END_TEST;

/* A full disk: the sink writes into a 256 KiB tmpfs (a private mount
 * namespace: `unshare -m`, as root) until ENOSPC.  gst-launch-1.0 stops with
 * an element error naming the path and "No space left on device"; the
 * playlist left on the full disk parses and lists only complete segments,
 * and no temporary file remains. */
GST_START_TEST (test_disk_full)
{
  Run *run = run_new ();
  gchar *mnt = g_build_filename (run->dir, "mnt", NULL);
  gchar *copy = g_build_filename (run->dir, "copy", NULL);
  gchar *script, *out = NULL, *errout = NULL, *stderr_text = NULL;
  gchar *errpath;
  gint status;
  GError *err = NULL;
  HlsCheckPlaylist *pl;
  GDir *d;
  const gchar *name;

  fail_unless (g_mkdir (mnt, 0755) == 0 && g_mkdir (copy, 0755) == 0);
  script = g_strdup_printf ("mount -t tmpfs -o size=256k tmpfs \"$1\" || "
      "exit 77; gst-launch-1.0 -q %s hls.video arclyhlssink name=hls "
      "target-duration=1 playlist-type=event location=\"$1\"/segment%%05d.m4s "
      "init-location=\"$1\"/init%%d.mp4 playlist-location=\"$1\"/playlist.m3u8 "
      "> \"$2\"/stderr.txt 2>&1; echo $? > \"$2\"/rc; cp -a \"$1\"/. \"$2\"/copy/",
      VIDEO_SRC ("900", "false"));
  {
    const gchar *argv[] = { "unshare", "-m", "sh", "-c", script, "sh", mnt,
      run->dir, NULL
    };
    fail_unless (g_spawn_sync (NULL, (gchar **) argv, NULL,
            G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &errout, &status, &err),
        "cannot run unshare: %s", err ? err->message : "?");
  }
  fail_if (WIFEXITED (status) && WEXITSTATUS (status) == 77,
      "cannot mount a small tmpfs for the disk-full test (needs root and "
      "unshare -m): %s", errout);
  errpath = g_build_filename (run->dir, "stderr.txt", NULL);
  fail_unless (g_file_get_contents (errpath, &stderr_text, NULL, NULL));
  fail_unless (strstr (stderr_text, g_strerror (ENOSPC)) != NULL,
      "no ENOSPC error: %s", stderr_text);
  fail_unless (strstr (stderr_text, mnt) != NULL, "no path in: %s",
      stderr_text);
  g_print ("disk full: %s", stderr_text);

  /* what the full disk holds: a valid playlist of complete segments */
  g_free (run->playlist);
  run->playlist = g_build_filename (copy, "playlist.m3u8", NULL);
  g_free (run->dir);
  run->dir = g_strdup (copy);
  pl = check_output (run);
  fail_if (pl->endlist);
  fail_unless (pl->segments->len >= 1);
  hls_check_playlist_free (pl);
  d = g_dir_open (copy, 0, NULL);
  while ((name = g_dir_read_name (d)) != NULL)
    fail_if (g_str_has_prefix (name, "."), "temporary file left: %s", name);
  g_dir_close (d);

  /* run_free removes copy/; the rest of the original folder here */
  {
    gchar *orig = g_path_get_dirname (copy);
    remove_dir (orig);
    g_free (orig);
  }
  g_free (errpath);
  g_free (stderr_text);
  g_free (script);
  g_free (out);
  g_free (errout);
  g_free (mnt);
  g_free (copy);
  run_free (run);
}

GST_END_TEST;

/* Crash safety: SIGKILL a gst-launch-1.0 writing LL-HLS; the playlist on
 * disk parses and lists only complete, decodable files. */
static void
check_crash (const gchar * format, guint kill_after_ms)
{
  Run *run = run_new ();
  gchar *sink = sink_desc (run, format,
      "target-duration=1 part-duration=200 playlist-length=5 max-files=8");
  gchar *desc = g_strdup_printf ("%s hls.video %s hls.audio %s",
      VIDEO_SRC ("-1", "true"), AUDIO_SRC ("-1", "true"), sink);
  gchar **argv = NULL, *cmd;
  GPid pid;
  GError *err = NULL;
  HlsCheckPlaylist *pl = NULL;
  gint status, waited;

  cmd = g_strdup_printf ("gst-launch-1.0 -q %s", desc);
  fail_unless (g_shell_parse_argv (cmd, NULL, &argv, &err));
  fail_unless (g_spawn_async (NULL, argv, NULL, G_SPAWN_SEARCH_PATH |
          G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
          &pid, &err), "cannot start gst-launch-1.0: %s",
      err ? err->message : "?");
  /* wait for 2 complete segments (bounded), then a little more */
  for (waited = 0; waited < 20000; waited += 50) {
    gchar *text = read_file (run->playlist), *e = NULL;
    HlsCheckPlaylist *p = text ? hls_check_parse (text, &e) : NULL;
    gboolean enough = p && p->segments->len >= 2;

    hls_check_playlist_free (p);
    g_free (e);
    g_free (text);
    if (enough)
      break;
    g_usleep (50 * 1000);
  }
  g_usleep (kill_after_ms * 1000);
  kill (pid, SIGKILL);
  fail_unless (waitpid (pid, &status, 0) == pid);
  g_spawn_close_pid (pid);
  fail_unless (WIFSIGNALED (status), "gst-launch-1.0 exited early (%d)",
      status);
  fail_unless (waited < 20000, "no 2 segments within 20 s");

  pl = check_output (run);
  fail_if (pl->endlist);
  /* every listed part is complete on disk too */
  {
    guint i;
    for (i = 0; i < pl->parts->len; i++) {
      HlsCheckPart *p = g_ptr_array_index (pl->parts, i);
      gchar *path = g_build_filename (run->dir, p->uri, NULL);
      fail_unless (g_file_test (path, G_FILE_TEST_IS_REGULAR), "%s missing",
          path);
      g_free (path);
    }
  }
  hls_check_playlist_free (pl);
  g_strfreev (argv);
  g_free (cmd);
  g_free (desc);
  g_free (sink);
  run_free (run);
}

GST_START_TEST (test_crash_safety)
{
  check_crash (FMT_FMP4, 130);
  check_crash (FMT_TS, 370);
}

GST_END_TEST;

GST_START_TEST (test_properties_and_bad_location)
{
  GstElement *e = gst_element_factory_make ("arclyhlssink", NULL);
  gchar *s = NULL;
  guint u;
  gint fmt;
  gboolean b;
  GstElement *pipe;
  GstBus *bus;
  GstMessage *msg;

  fail_unless (e != NULL);
  g_object_get (e, "location", &s, "target-duration", &u, NULL);
  fail_unless (s == NULL);
  fail_unless_equals_int (u, 2);
  /* NULL: init%d.mp4 in the folder of location */
  g_object_get (e, "init-location", &s, NULL);
  fail_unless (s == NULL);
  g_object_get (e, "playlist-location", &s, "segment-format", &fmt,
      "playlist-length", &u, NULL);
  fail_unless_equals_string (s, "playlist.m3u8");
  fail_unless_equals_int (fmt, 1);
  fail_unless_equals_int (u, 6);
  g_free (s);
  g_object_get (e, "max-files", &u, "program-date-time", &b, NULL);
  fail_unless_equals_int (u, 10);
  fail_unless (b);
  g_object_get (e, "part-duration", &u, "blocking-reload", &b, NULL);
  fail_unless_equals_int (u, 0);
  fail_if (b);
  gst_object_unref (e);

  /* a pattern without exactly one integer directive is a settings error,
   * never a printf format */
  pipe = gst_parse_launch (VIDEO_SRC ("30", "false")
      "arclyhlssink location=/tmp/seg%s%n.ts", NULL);
  fail_unless (pipe != NULL);
  bus = gst_element_get_bus (pipe);
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (bus, 10 * GST_SECOND, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL);
  gst_message_unref (msg);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipe);
}

GST_END_TEST;

static Suite *
arclyhlssink_suite (void)
{
  Suite *s = suite_create ("arclyhlssink");
  TCase *tc = tcase_create ("general");
  TCase *it = tcase_create ("input-thread");

  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_properties_and_bad_location);
  tcase_add_test (tc, test_fmp4_av);
  tcase_add_test (tc, test_fmp4_video);
  tcase_add_test (tc, test_fmp4_audio);
  tcase_add_test (tc, test_hlsdemux_vod_fmp4);
  tcase_add_test (tc, test_discontinuity_fmp4);
  tcase_add_test (tc, test_caps_change_fmp4);
  tcase_add_test (tc, test_caps_change_ts);
  tcase_add_test (tc, test_live_window_and_max_files);
  tcase_add_test (tc, test_restart);
  tcase_add_test (tc, test_write_error_keeps_playlist);
  tcase_add_test (tc, test_disk_full);
  tcase_add_test (tc, test_low_latency_fmp4);
  tcase_add_test (tc, test_ts_av);
  tcase_add_test (tc, test_ts_video);
  tcase_add_test (tc, test_ts_audio);
  tcase_add_test (tc, test_hlsdemux_vod_ts);
  tcase_add_test (tc, test_discontinuity_ts);
  tcase_add_test (tc, test_low_latency_ts);
  tcase_add_test (tc, test_low_latency_byteranges_fmp4);
  tcase_add_test (tc, test_low_latency_byteranges_ts);
  tcase_add_test (tc, test_low_latency_audio_fmp4);
  tcase_add_test (tc, test_low_latency_audio_ts);
  tcase_add_test (tc, test_live_segments_fmp4);
  tcase_add_test (tc, test_live_segments_ts);
  tcase_add_test (tc, test_crash_safety);

  /* fMP4 muxed on the threads that push (input-thread=true) */
  suite_add_tcase (s, it);
  tcase_set_timeout (it, 120);
  tcase_add_checked_fixture (it, input_thread_on, input_thread_off);
  tcase_add_test (it, test_fmp4_av);
  tcase_add_test (it, test_fmp4_video);
  tcase_add_test (it, test_fmp4_audio);
  tcase_add_test (it, test_hlsdemux_vod_fmp4);
  tcase_add_test (it, test_discontinuity_fmp4);
  tcase_add_test (it, test_caps_change_fmp4);
  tcase_add_test (it, test_restart);
  tcase_add_test (it, test_low_latency_fmp4);
  tcase_add_test (it, test_low_latency_audio_fmp4);
  tcase_add_test (it, test_live_segments_fmp4);
  return s;
}

GST_CHECK_MAIN (arclyhlssink);
