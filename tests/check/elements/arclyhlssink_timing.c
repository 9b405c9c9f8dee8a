/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * arclyhlssink, where segments and parts end: gaps in the timestamps (a
 * GstHarness pushing real x264 frames with a 3 s jump; live video and AAC
 * dropping together, the video back before the audio), keyframes inside a
 * part (x264 at GOP 1.5 s and a variable GOP, with AAC, pushed through
 * harnesses: media time only, no wall clock), and the preload hint.
 * Every playlist the sink writes is checked by the independent checker
 * (arclyhls-playlist-check.h) at each part and segment message, and its
 * PART-TARGET, PART-HOLD-BACK and TARGETDURATION must never change.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/app/gstappsink.h>
#include <gst/video/video.h>

#include "arclyhls-playlist-check.h"

#define FMT_TS "mpegts"
#define FMT_FMP4 "fmp4"
#define FRAME (GST_SECOND / 30)

typedef struct {
  gchar *dir;
  gchar *playlist;
  GMutex lock;
  gchar *fail;                  /* first failure seen in the sync handler */
  /* the playlist constants, first seen (-1: none yet) */
  gint part_target_ms, hold_back_ms, target_duration;
  guint n_parts, n_segments, n_playlists;
  /* arcly-hls-part messages: running time (start) and independent */
  GArray *part_starts;          /* GstClockTime */
  GArray *part_independent;     /* gboolean */
  GArray *part_durations;       /* GstClockTime */
  /* preload hints and the parts listed next (task: true hints) */
  GPtrArray *hints;             /* gchar *, hint of each playlist snapshot */
  GPtrArray *next_parts;        /* gchar *, first part listed after it */
  gboolean any_target_duration; /* TARGETDURATION may rise (long GOPs) */
  GArray *keys;                 /* GstClockTime, keyframes into the sink */
  GArray *seg_starts;           /* GstClockTime, segment messages */
  guint hints_kept, hints_dead; /* preload hints that came true / not */
  GArray *listed_at;            /* GstClockTime, running time at which each
                                 * part was listed (NONE: no clock) */
} Run;

static gchar *
read_text (const gchar * path)
{
  gchar *text = NULL;

  g_file_get_contents (path, &text, NULL, NULL);
  return text;
}

static void
run_fail (Run * run, gchar * msg)
{
  g_mutex_lock (&run->lock);
  if (run->fail == NULL)
    run->fail = msg;
  else
    g_free (msg);
  g_mutex_unlock (&run->lock);
}

/* "segment00012.3.m4s" -> "segment00012.m4s": the segment a part URI
 * belongs to (the rule documented for origins). */
static gchar *
segment_of_part (const gchar * part)
{
  const gchar *dot = strrchr (part, '.');
  const gchar *prev;

  if (dot == NULL)
    return NULL;
  for (prev = dot - 1; prev > part && g_ascii_isdigit (*prev); prev--);
  if (prev <= part || *prev != '.' || prev == dot - 1)
    return NULL;
  return g_strdup_printf ("%.*s%s", (gint) (prev - part), part, dot);
}

/* The previous playlist's preload hint either is the part listed now, or
 * is still the hint, or will never exist: then this playlist says so by
 * listing its segment complete (EXTINF) without it, or by EXT-X-ENDLIST.
 * Under run->lock. */
static void
check_hint (Run * run, HlsCheckPlaylist * pl)
{
  const gchar *prev = run->hints->len > 0 ?
      g_ptr_array_index (run->hints, run->hints->len - 1) : NULL;
  gchar *seg;
  gboolean listed = FALSE, seg_done = FALSE;
  guint i;

  if (prev == NULL || g_strcmp0 (prev, pl->preload_hint) == 0)
    return;
  for (i = 0; i < pl->parts->len; i++)
    if (g_str_equal (((HlsCheckPart *) g_ptr_array_index (pl->parts,
                    i))->uri, prev))
      listed = TRUE;
  if (listed) {
    run->hints_kept++;
    return;
  }
  seg = segment_of_part (prev);
  for (i = 0; seg != NULL && i < pl->segments->len; i++)
    if (g_str_equal (((HlsCheckSegment *) g_ptr_array_index (pl->segments,
                    i))->uri, seg))
      seg_done = TRUE;
  run->hints_dead++;
  if (!seg_done && !pl->endlist && run->fail == NULL)
    run->fail = g_strdup_printf ("preload hint %s was dropped, but the "
        "next playlist neither lists it nor completes its segment %s",
        prev, seg ? seg : "?");
  g_free (seg);
}

/* Each playlist as written: valid, with the same three constants. */
static void
check_snapshot (Run * run)
{
  gchar *text = read_text (run->playlist), *err = NULL;
  HlsCheckPlaylist *pl;
  gint pt, hb;

  if (text == NULL) {
    run_fail (run, g_strdup ("no playlist at a part message"));
    return;
  }
  pl = hls_check_parse (text, &err);
  if (pl == NULL) {
    run_fail (run, g_strdup_printf ("playlist rejected: %s\n%s", err, text));
    g_free (err);
    g_free (text);
    return;
  }
  pt = (gint) (pl->part_target * 1000 + 0.5);
  hb = (gint) (pl->part_hold_back * 1000 + 0.5);
  g_mutex_lock (&run->lock);
  run->n_playlists++;
  if (run->target_duration < 0) {
    run->part_target_ms = pt;
    run->hold_back_ms = hb;
    run->target_duration = pl->target_duration;
  } else if (pt != run->part_target_ms || hb != run->hold_back_ms
      || (pl->target_duration != run->target_duration
          && !run->any_target_duration)) {
    g_mutex_unlock (&run->lock);
    run_fail (run, g_strdup_printf ("PART-TARGET/PART-HOLD-BACK/"
            "TARGETDURATION changed from %d/%d/%d ms,s to %d/%d/%d:\n%s",
            run->part_target_ms, run->hold_back_ms, run->target_duration,
            pt, hb, pl->target_duration, text));
    g_mutex_lock (&run->lock);
  }
  check_hint (run, pl);
  g_ptr_array_add (run->hints, g_strdup (pl->preload_hint));
  g_mutex_unlock (&run->lock);
  hls_check_playlist_free (pl);
  g_free (text);
}

static GstBusSyncReply
sync_handler (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  Run *run = user_data;
  const GstStructure *s;

  if (GST_MESSAGE_TYPE (msg) != GST_MESSAGE_ELEMENT)
    return GST_BUS_PASS;
  s = gst_message_get_structure (msg);
  if (gst_structure_has_name (s, "arcly-hls-part")) {
    guint64 rt = 0, dur = 0;
    gboolean ind = FALSE;

    gst_structure_get_uint64 (s, "running-time", &rt);
    gst_structure_get_uint64 (s, "duration", &dur);
    gst_structure_get_boolean (s, "independent", &ind);
    g_mutex_lock (&run->lock);
    run->n_parts++;
    g_array_append_val (run->part_starts, rt);
    g_array_append_val (run->part_independent, ind);
    g_array_append_val (run->part_durations, dur);
    {
      /* When a player can see the part, in media time: once it is complete
       * (its end), plus the frame the writer may wait for to know whether
       * the segment ends there.  Media time, not the clock at the message:
       * the model then checks where the sink cuts parts, not how busy the
       * machine running the test is. */
      GstClockTime at = rt + dur + 34 * GST_MSECOND;

      g_array_append_val (run->listed_at, at);
    }
    g_mutex_unlock (&run->lock);
    check_snapshot (run);
  } else if (gst_structure_has_name (s, "arcly-hls-segment")) {
    guint64 rt = 0;

    gst_structure_get_uint64 (s, "running-time", &rt);
    g_mutex_lock (&run->lock);
    g_array_append_val (run->seg_starts, rt);
    run->n_segments++;
    g_mutex_unlock (&run->lock);
    check_snapshot (run);
  }
  return GST_BUS_PASS;
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
    g_unlink (p);
    g_free (p);
  }
  g_dir_close (d);
  g_rmdir (dir);
}

static Run *
run_new (void)
{
  Run *run = g_new0 (Run, 1);

  run->dir = g_dir_make_tmp ("arclyhls-timing-XXXXXX", NULL);
  fail_unless (run->dir != NULL);
  run->playlist = g_build_filename (run->dir, "playlist.m3u8", NULL);
  g_mutex_init (&run->lock);
  run->part_target_ms = run->hold_back_ms = run->target_duration = -1;
  run->part_starts = g_array_new (FALSE, FALSE, sizeof (GstClockTime));
  run->part_independent = g_array_new (FALSE, FALSE, sizeof (gboolean));
  run->part_durations = g_array_new (FALSE, FALSE, sizeof (GstClockTime));
  run->hints = g_ptr_array_new_with_free_func (g_free);
  run->next_parts = g_ptr_array_new_with_free_func (g_free);
  run->keys = g_array_new (FALSE, FALSE, sizeof (GstClockTime));
  run->listed_at = g_array_new (FALSE, FALSE, sizeof (GstClockTime));
  run->seg_starts = g_array_new (FALSE, FALSE, sizeof (GstClockTime));
  return run;
}

static void
run_free (Run * run)
{
  remove_dir (run->dir);
  g_free (run->dir);
  g_free (run->playlist);
  g_free (run->fail);
  g_mutex_clear (&run->lock);
  g_array_unref (run->part_starts);
  g_array_unref (run->part_independent);
  g_array_unref (run->part_durations);
  g_ptr_array_unref (run->hints);
  g_ptr_array_unref (run->next_parts);
  g_array_unref (run->keys);
  g_array_unref (run->listed_at);
  g_array_unref (run->seg_starts);
  g_free (run);
}

static HlsCheckPlaylist *
parse_final (Run * run)
{
  gchar *text = read_text (run->playlist), *err = NULL;
  HlsCheckPlaylist *pl;

  fail_unless (text != NULL, "no playlist");
  pl = hls_check_parse (text, &err);
  fail_unless (pl != NULL, "final playlist rejected: %s\n%s", err, text);
  g_free (text);
  return pl;
}

/* ---- real H.264 for the harness ---------------------------------------- */

typedef struct
{
  GstPad *enc_src;              /* x264enc's src pad */
  GRand *rand;
  guint frames, next_key;
} ForceKeys;

/* A variable GOP: asks the encoder (an upstream force-key-unit event on
 * its src pad) for a keyframe every 15-60 frames (0.5-2 s), at
 * pseudo-random (seeded) frames: the encoder makes the next frame one. */
static GstPadProbeReturn
force_keys (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  ForceKeys *fk = user_data;

  if (fk->frames++ == fk->next_key) {
    fk->next_key = fk->frames + g_rand_int_range (fk->rand, 15, 61);
    gst_pad_send_event (fk->enc_src,
        gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE,
            TRUE, 0));
  }
  return GST_PAD_PROBE_OK;
}

/* @n frames of 160x120 x264 (GOP @gop frames, no scene cuts; 0: a
 * variable GOP seeded with @seed), byte-stream AUs as h264parse gives
 * them; *caps set. */
static GPtrArray *
encode_h264_full (guint n, guint gop, guint32 seed, GstCaps ** caps)
{
  gchar *desc = g_strdup_printf ("videotestsrc name=vsrc num-buffers=%u ! "
      "video/x-raw,format=I420,width=160,height=120,framerate=30/1 ! "
      "x264enc name=enc key-int-max=%u option-string=scenecut=0 "
      "speed-preset=ultrafast tune=zerolatency ! h264parse ! "
      "video/x-h264,stream-format=byte-stream,alignment=au ! "
      "appsink name=out sync=false", n, gop ? gop : 600);
  GstElement *p = gst_parse_launch (desc, NULL);
  GstElement *out, *e;
  GPtrArray *bufs = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
  GstSample *sample;
  ForceKeys fk = { NULL, NULL, 0, 0 };

  fail_unless (p != NULL);
  out = gst_bin_get_by_name (GST_BIN (p), "out");
  if (gop == 0) {
    GstPad *pad;

    fk.rand = g_rand_new_with_seed (seed);
    e = gst_bin_get_by_name (GST_BIN (p), "enc");
    fk.enc_src = gst_element_get_static_pad (e, "src");
    gst_object_unref (e);
    e = gst_bin_get_by_name (GST_BIN (p), "vsrc");
    pad = gst_element_get_static_pad (e, "src");
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, force_keys, &fk,
        NULL);
    gst_object_unref (pad);
    gst_object_unref (e);
  }
  gst_element_set_state (p, GST_STATE_PLAYING);
  *caps = NULL;
  while ((sample = gst_app_sink_try_pull_sample (GST_APP_SINK (out),
              10 * GST_SECOND)) != NULL) {
    if (*caps == NULL)
      *caps = gst_caps_ref (gst_sample_get_caps (sample));
    g_ptr_array_add (bufs, gst_buffer_ref (gst_sample_get_buffer (sample)));
    gst_sample_unref (sample);
  }
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (out);
  gst_object_unref (p);
  g_free (desc);
  if (fk.rand) {
    g_rand_free (fk.rand);
    gst_object_unref (fk.enc_src);
  }
  fail_unless_equals_int (bufs->len, n);
  return bufs;
}

static GPtrArray *
encode_h264 (guint n, guint gop, GstCaps ** caps)
{
  return encode_h264_full (n, gop, 0, caps);
}

static GstElement *
make_sink (Run * run, const gchar * format, guint target, guint part_ms,
    const gchar * type)
{
  GstElement *sink = gst_element_factory_make ("arclyhlssink", NULL);
  gchar *loc = g_strdup_printf ("%s/segment%%05d.%s", run->dir,
      g_str_equal (format, FMT_TS) ? "ts" : "m4s");
  gchar *init = g_strdup_printf ("%s/init%%d.mp4", run->dir);

  fail_unless (sink != NULL);
  gst_util_set_object_arg (G_OBJECT (sink), "segment-format", format);
  gst_util_set_object_arg (G_OBJECT (sink), "playlist-type", type);
  g_object_set (sink, "location", loc, "init-location", init,
      "playlist-location", run->playlist, "target-duration", target,
      "part-duration", part_ms, NULL);
  g_free (loc);
  g_free (init);
  return sink;
}

/* Waits (bounded) for the sink's EOS message, or an error. */
static void
wait_eos (GstBus * bus, guint timeout_s)
{
  GstMessage *msg = gst_bus_timed_pop_filtered (bus, timeout_s * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);

  fail_unless (msg != NULL, "no EOS within %u s", timeout_s);
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    GError *e = NULL;

    gst_message_parse_error (msg, &e, NULL);
    fail ("error: %s", e->message);
  }
  gst_message_unref (msg);
}

/* A harness pushing into the sink's video pad.  As GstHarness does for
 * any sink it drives, the (internal) sink does not preroll
 * asynchronously; it never syncs anyway. */
static GstHarness *
harness_for (GstElement * sink)
{
  GstElement *writer = gst_bin_get_by_name (GST_BIN (sink), "writer");

  fail_unless (writer != NULL);
  g_object_set (writer, "async", FALSE, NULL);
  gst_object_unref (writer);
  return gst_harness_new_with_element (sink, "video", NULL);
}

/* ---- 1. gaps ------------------------------------------------------------ */

/* 150 frames at 30 fps, GOP 1 s, 200 ms parts, 2 s segments; after frame
 * @jump_at every timestamp jumps 3 s (optionally that frame is DISCONT).
 * The segment before the gap ends with frame @jump_at - 1, the next
 * segment starts at the next keyframe with EXT-X-DISCONTINUITY, and no
 * playlist changes its targets or has a part above PART-TARGET. */
static void
check_gap (const gchar * format, guint jump_at, gboolean flag_discont)
{
  Run *run = run_new ();
  GstCaps *caps;
  GPtrArray *frames = encode_h264 (150, 30, &caps);
  GstElement *sink = make_sink (run, format, 2, 200, "event");
  GstBus *bus = gst_bus_new ();
  GstHarness *h;
  HlsCheckPlaylist *pl;
  GstClockTime gap = 3 * GST_SECOND, before_end = jump_at * FRAME;
  guint i, disc_at = 0, n_disc = 0;
  gdouble sum_before = 0;

  gst_element_set_bus (sink, bus);
  gst_bus_set_sync_handler (bus, sync_handler, run, NULL);
  h = harness_for (sink);
  gst_harness_set_src_caps (h, gst_caps_ref (caps));
  for (i = 0; i < frames->len; i++) {
    GstBuffer *b = gst_buffer_copy (g_ptr_array_index (frames, i));
    GstClockTime t = i * FRAME + (i >= jump_at ? gap : 0);

    GST_BUFFER_PTS (b) = GST_BUFFER_DTS (b) = t;
    GST_BUFFER_DURATION (b) = FRAME;
    GST_BUFFER_FLAG_UNSET (b, GST_BUFFER_FLAG_DISCONT);
    if (i == jump_at && flag_discont)
      GST_BUFFER_FLAG_SET (b, GST_BUFFER_FLAG_DISCONT);
    fail_unless_equals_int (gst_harness_push (h, b), GST_FLOW_OK);
  }
  gst_harness_push_event (h, gst_event_new_eos ());
  wait_eos (bus, 30);
  gst_harness_teardown (h);
  gst_bus_set_sync_handler (bus, NULL, NULL, NULL);
  gst_object_unref (bus);
  fail_unless (run->fail == NULL, "%s", run->fail);

  pl = parse_final (run);
  fail_unless (pl->endlist);
  fail_unless_equals_int (pl->target_duration, 2);
  fail_unless (fabs (pl->part_target - 0.2) < 1e-6, "PART-TARGET %.3f",
      pl->part_target);
  fail_unless (run->n_playlists > 10);
  for (i = 0; i < pl->segments->len; i++) {
    HlsCheckSegment *s = g_ptr_array_index (pl->segments, i);

    if (s->discontinuity) {
      disc_at = i;
      n_disc++;
    }
    if (n_disc == 0)
      sum_before += s->duration;
  }
  fail_unless_equals_int (n_disc, 1);
  /* the media before the gap, to the end of its last frame, no more */
  fail_unless (fabs (sum_before - (gdouble) before_end / GST_SECOND) < 0.002,
      "segments before the gap last %.3f s, the media %.3f s", sum_before,
      (gdouble) before_end / GST_SECOND);
  /* the new segment starts at the first keyframe after the gap */
  {
    GstClockTime key = ((jump_at + 29) / 30) * 30 * FRAME + gap;
    gboolean found = FALSE;

    for (i = 0; i < run->part_starts->len; i++)
      if (g_array_index (run->part_starts, GstClockTime, i) + GST_MSECOND >
          before_end && g_array_index (run->part_starts, GstClockTime,
              i) < key + GST_MSECOND) {
        fail_unless (g_array_index (run->part_starts, GstClockTime, i) + 
            GST_MSECOND > key, "a part starts at %" GST_TIME_FORMAT
            ", in the gap", GST_TIME_ARGS (g_array_index (run->part_starts,
                    GstClockTime, i)));
        fail_unless (g_array_index (run->part_independent, gboolean, i));
        found = TRUE;
      }
    fail_unless (found, "no part at the keyframe after the gap");
  }
  fail_unless (disc_at >= 1);
  for (i = 0; i < run->part_durations->len; i++)
    fail_unless (g_array_index (run->part_durations, GstClockTime, i) <
        200 * GST_MSECOND + GST_MSECOND / 2, "part %u lasts %" GST_TIME_FORMAT, i,
        GST_TIME_ARGS (g_array_index (run->part_durations, GstClockTime,
                i)));
  hls_check_playlist_free (pl);
  gst_caps_unref (caps);
  g_ptr_array_unref (frames);
  run_free (run);
}

GST_START_TEST (test_gap_jump_fmp4)
{
  check_gap (FMT_FMP4, 75, FALSE);
}

GST_END_TEST;

GST_START_TEST (test_gap_jump_ts)
{
  check_gap (FMT_TS, 75, FALSE);
}

GST_END_TEST;

/* A source that reconnects: DISCONT on a keyframe after the jump. */
GST_START_TEST (test_gap_discont_keyframe_fmp4)
{
  check_gap (FMT_FMP4, 90, TRUE);
}

GST_END_TEST;

GST_START_TEST (test_gap_discont_keyframe_ts)
{
  check_gap (FMT_TS, 90, TRUE);
}

GST_END_TEST;

/* @n AAC frames (48 kHz stereo, 1024 samples each) as aacparse gives
 * them (raw, codec_data in the caps); *caps set. */
static GPtrArray *
encode_aac (guint n, GstCaps ** caps)
{
  gchar *desc = g_strdup_printf ("audiotestsrc num-buffers=%u "
      "samplesperbuffer=1024 ! audio/x-raw,rate=48000,channels=2 ! "
      "voaacenc ! aacparse ! audio/mpeg,stream-format=raw ! "
      "appsink name=out sync=false", n + 4);
  GstElement *p = gst_parse_launch (desc, NULL);
  GstElement *out;
  GPtrArray *bufs = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
  GstSample *sample;

  fail_unless (p != NULL, "cannot build %s (voaacenc missing?)", desc);
  out = gst_bin_get_by_name (GST_BIN (p), "out");
  gst_element_set_state (p, GST_STATE_PLAYING);
  *caps = NULL;
  while ((sample = gst_app_sink_try_pull_sample (GST_APP_SINK (out),
              10 * GST_SECOND)) != NULL) {
    if (*caps == NULL)
      *caps = gst_caps_ref (gst_sample_get_caps (sample));
    g_ptr_array_add (bufs, gst_buffer_ref (gst_sample_get_buffer (sample)));
    gst_sample_unref (sample);
  }
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (out);
  gst_object_unref (p);
  g_free (desc);
  fail_unless (bufs->len >= n, "%u AAC frames, want %u", bufs->len, n);
  return bufs;
}

#define AAC_FRAME (GST_SECOND * 1024 / 48000)

/* Pushes a copy of @frames[@i] at @t into @h (DISCONT if @discont). */
static void
push_frame (GstHarness * h, GPtrArray * frames, guint i, GstClockTime t,
    GstClockTime dur, gboolean discont)
{
  GstBuffer *b = gst_buffer_copy (g_ptr_array_index (frames, i));

  GST_BUFFER_PTS (b) = GST_BUFFER_DTS (b) = t;
  GST_BUFFER_DURATION (b) = dur;
  GST_BUFFER_FLAG_UNSET (b, GST_BUFFER_FLAG_DISCONT);
  if (discont)
    GST_BUFFER_FLAG_SET (b, GST_BUFFER_FLAG_DISCONT);
  fail_unless_equals_int (gst_harness_push (h, b), GST_FLOW_OK);
}

/* Video frames from @v0 at @tv and audio frames from @a0 at @ta, in time
 * order, each stream up to @to; the first of each DISCONT if @discont. */
static void
push_av (GstHarness * hv, GstHarness * ha, GPtrArray * video, guint v0, GstClockTime tv, GPtrArray * audio,
    guint a0, GstClockTime ta, GstClockTime to, gboolean discont)
{
  guint v = 0, a = 0;

  while (tv + v * FRAME < to || ta + a * AAC_FRAME < to) {
    GstClockTime t_v = tv + v * FRAME, t_a = ta + a * AAC_FRAME;

    if (t_v < to && (t_v <= t_a || t_a >= to)) {
      push_frame (hv, video, v0 + v, t_v, FRAME, discont && v == 0);
      v++;
    } else {
      push_frame (ha, audio, a0 + a, t_a, AAC_FRAME, discont && a == 0);
      a++;
    }
  }
}

/* Until the sink listed a part starting at or after @rt (bounded): lets
 * the live muxer time out on the input it has, as the clock passing its
 * latency would. */
static gboolean
time_out_until_part (Run * run, GstTestClock * clock, GstClockTime rt)
{
  gint64 deadline = g_get_monotonic_time () + 20 * G_TIME_SPAN_SECOND;
  gboolean found = FALSE;
  guint i;

  while (!found && g_get_monotonic_time () < deadline) {
    if (gst_test_clock_timed_wait_for_multiple_pending_ids (clock, 1, 100,
            NULL))
      gst_test_clock_crank (clock);
    g_mutex_lock (&run->lock);
    for (i = 0; i < run->part_starts->len && !found; i++)
      found = g_array_index (run->part_starts, GstClockTime, i) + GST_MSECOND
          >= rt;
    g_mutex_unlock (&run->lock);
  }
  return found;
}

/* A live camera that drops both streams for 3 s and comes back (a new
 * sender behind arcly-restream's inputs): the live muxer goes on with the
 * video after its latency, and the writer has started the discontinuity
 * before the audio's first buffer after the drop comes in.  That audio is
 * the same drop: one EXT-X-DISCONTINUITY, and the segments after it hold
 * all the media from the keyframe after the gap (it used to cut the new
 * segment after a part and skip a GOP to a second discontinuity). */
static void
check_gap_late_audio (const gchar * format)
{
  Run *run = run_new ();
  GstCaps *vcaps, *acaps;
  GPtrArray *video = encode_h264 (150, 30, &vcaps);
  GPtrArray *audio = encode_aac (250, &acaps);
  GstElement *sink = make_sink (run, format, 1, 200, "event");
  GstBus *bus = gst_bus_new ();
  GstHarness *hv, *ha;
  GstTestClock *clock;
  HlsCheckPlaylist *pl;
  GstClockTime back = 5 * GST_SECOND;
  guint i, n_disc = 0;
  gdouble after = 0, disc_start = -1, t = 0;

  gst_element_set_bus (sink, bus);
  gst_bus_set_sync_handler (bus, sync_handler, run, NULL);
  hv = harness_for (sink);
  ha = gst_harness_new_with_element (sink, "audio", NULL);
  gst_harness_set_src_caps (hv, gst_caps_ref (vcaps));
  gst_harness_set_src_caps (ha, gst_caps_ref (acaps));
  /* One test clock for both (the second harness takes the first's),
   * still while data flows: the muxer takes both streams together.  A
   * large upstream latency lets its pads queue without blocking us. */
  clock = gst_harness_get_testclock (hv);
  gst_harness_set_upstream_latency (hv, 30 * GST_SECOND);
  gst_harness_set_upstream_latency (ha, 30 * GST_SECOND);

  /* 2 s of both, then nothing for 3 s (frames 60..149 and the audio
   * after the gap are the sender's next ones) */
  push_av (hv, ha, video, 0, 0, audio, 0, 0, 2 * GST_SECOND, FALSE);
  /* the video comes back first, at 5 s on a keyframe: the muxer writes
   * it alone once its latency passed, and the writer starts the
   * discontinuity */
  for (i = 0; i < 13; i++)
    push_frame (hv, video, 60 + i, back + i * FRAME, FRAME, i == 0);
  fail_unless (time_out_until_part (run, clock, back),
      "no part after the gap");
  /* then the audio of the same drop, from 5.01 s, and both to 8 s */
  push_frame (ha, audio, 94, back + 10 * GST_MSECOND, AAC_FRAME, TRUE);
  push_av (hv, ha, video, 73, back + 13 * FRAME, audio, 95,
      back + 10 * GST_MSECOND + AAC_FRAME, back + 90 * FRAME, FALSE);
  gst_harness_push_event (hv, gst_event_new_eos ());
  gst_harness_push_event (ha, gst_event_new_eos ());
  wait_eos (bus, 30);
  gst_harness_teardown (ha);
  gst_harness_teardown (hv);
  gst_object_unref (clock);
  gst_bus_set_sync_handler (bus, NULL, NULL, NULL);
  gst_object_unref (bus);
  fail_unless (run->fail == NULL, "%s", run->fail);

  pl = parse_final (run);
  fail_unless (pl->endlist);
  for (i = 0; i < pl->segments->len; i++) {
    HlsCheckSegment *s = g_ptr_array_index (pl->segments, i);

    if (s->discontinuity) {
      n_disc++;
      if (disc_start < 0)
        disc_start = t;
    }
    if (disc_start >= 0)
      after += s->duration;
    t += s->duration;
  }
  fail_unless_equals_int (n_disc, 1);
  /* 5 s to 8 s: every frame after the gap, none skipped */
  fail_unless (fabs (after - 3.0) < 0.05, "the segments after the gap last "
      "%.3f s, the media 3.000 s", after);
  hls_check_playlist_free (pl);
  gst_caps_unref (vcaps);
  gst_caps_unref (acaps);
  g_ptr_array_unref (video);
  g_ptr_array_unref (audio);
  run_free (run);
}

GST_START_TEST (test_gap_late_audio_fmp4)
{
  check_gap_late_audio (FMT_FMP4);
}

GST_END_TEST;

GST_START_TEST (test_gap_late_audio_ts)
{
  check_gap_late_audio (FMT_TS);
}

GST_END_TEST;

/* ---- 2. every keyframe starts a part ----------------------------------- */

static gboolean
near (GstClockTime a, GstClockTime b)
{
  return (a > b ? a - b : b - a) < GST_MSECOND;
}

static gint
compare_times (gconstpointer a, gconstpointer b)
{
  GstClockTime x = *(const GstClockTime *) a, y = *(const GstClockTime *) b;

  return x < y ? -1 : x > y;
}

/* Age of the first frame of a viewer joining at @t that starts at the
 * newest INDEPENDENT part listed then. */
static GstClockTime
start_age (Run * run, GstClockTime t)
{
  GstClockTime start = GST_CLOCK_TIME_NONE;
  guint j;

  for (j = 0; j < run->listed_at->len; j++)
    if (g_array_index (run->part_independent, gboolean, j)
        && g_array_index (run->listed_at, GstClockTime, j) <= t)
      start = g_array_index (run->part_starts, GstClockTime, j);
  fail_unless (GST_CLOCK_TIME_IS_VALID (start));
  return t - start;
}

static GstClockTime
median_age (Run * run, GstClockTime from, GstClockTime to, guint n,
    GRand * rand, GstClockTime * max)
{
  GArray *ages = g_array_new (FALSE, FALSE, sizeof (GstClockTime));
  GstClockTime med;
  guint i;

  for (i = 0; i < n; i++) {
    gdouble f = rand ? g_rand_double (rand) : (i + 0.5) / n;
    GstClockTime age = start_age (run, from + (GstClockTime) (f * (to -
                from)));

    g_array_append_val (ages, age);
  }
  g_array_sort (ages, compare_times);
  med = (g_array_index (ages, GstClockTime, (n - 1) / 2) +
      g_array_index (ages, GstClockTime, n / 2)) / 2;
  *max = g_array_index (ages, GstClockTime, n - 1);
  g_array_unref (ages);
  return med;
}

/* New viewers that start at the newest INDEPENDENT part the playlist
 * lists when they join: the first frame they show is at most a GOP and a
 * part old (the newest keyframe's part is listed once complete, up to a
 * part after the keyframe), half a GOP and a part in the median (over 200
 * evenly spread joins; 20 random ones are printed). */
static void
check_new_viewers (Run * run, GstClockTime gop)
{
  GstClockTime first = GST_CLOCK_TIME_NONE, last = 0, med, max, med20, max20;
  GstClockTime part = 200 * GST_MSECOND;
  GRand *rand = g_rand_new_with_seed (22);
  guint i;

  for (i = 0; i < run->listed_at->len; i++) {
    GstClockTime at = g_array_index (run->listed_at, GstClockTime, i);

    fail_unless (GST_CLOCK_TIME_IS_VALID (at));
    if (g_array_index (run->part_independent, gboolean, i) &&
        !GST_CLOCK_TIME_IS_VALID (first))
      first = at;
    last = MAX (last, at);
  }
  med = median_age (run, first, last, 200, NULL, &max);
  med20 = median_age (run, first, last, 20, rand, &max20);
  g_print ("new viewers (GOP %.1f s): first-frame age median %.3f s, max "
      "%.3f s (20 random joins: median %.3f s, max %.3f s)\n",
      (gdouble) gop / GST_SECOND, (gdouble) med / GST_SECOND,
      (gdouble) max / GST_SECOND, (gdouble) med20 / GST_SECOND,
      (gdouble) max20 / GST_SECOND);
  /* 50 ms: the writer's and this handler's scheduling on a loaded host */
  fail_unless (max <= gop + part + 50 * GST_MSECOND, "a viewer started "
      "%.3f s behind", (gdouble) max / GST_SECOND);
  fail_unless (med <= gop / 2 + part + 50 * GST_MSECOND, "median "
      "first-frame age %.3f s above GOP/2 + a part",
      (gdouble) med / GST_SECOND);
  g_rand_free (rand);
}

/* x264 (GOP @gop frames, 0 = variable) and AAC (from @audio_at) into the
 * sink through harnesses, in time order as a live source gives them, with
 * 200 ms parts, until @n_segments segments are complete: every keyframe
 * is the first frame of a part marked INDEPENDENT, every INDEPENDENT part
 * starts with a keyframe, no part exceeds PART-TARGET, and every segment
 * ends at the first keyframe at or after the target duration.  Media time
 * only (a test clock that never runs): the same parts on every run. */
static void
check_keyframe_parts (const gchar * format, guint gop, guint target,
    guint n_segments, GstClockTime audio_at)
{
  Run *run = run_new ();
  /* enough media for @n_segments segments of at most target + a GOP */
  guint n_video = (n_segments + 1) * (target * 30 + (gop ? gop : 60));
  GstClockTime to = n_video * FRAME;
  GstCaps *vcaps, *acaps;
  GPtrArray *video = encode_h264_full (n_video, gop, 20, &vcaps);
  GPtrArray *audio = encode_aac ((guint) (to / AAC_FRAME) + 1, &acaps);
  GstElement *sink = make_sink (run, format, target, 200, "event");
  GstBus *bus = gst_bus_new ();
  GstHarness *hv, *ha;
  GstClockTime parts_end = 0;
  guint i, j, n_keys_checked = 0, n_short = 0;

  run->any_target_duration = (gop == 0);
  for (i = 0; i < video->len; i++) {
    GstClockTime t = i * FRAME;

    if (!GST_BUFFER_FLAG_IS_SET (g_ptr_array_index (video, i),
            GST_BUFFER_FLAG_DELTA_UNIT))
      g_array_append_val (run->keys, t);
  }
  gst_element_set_bus (sink, bus);
  gst_bus_set_sync_handler (bus, sync_handler, run, NULL);
  hv = harness_for (sink);
  ha = gst_harness_new_with_element (sink, "audio", NULL);
  gst_harness_set_src_caps (hv, gst_caps_ref (vcaps));
  gst_harness_set_src_caps (ha, gst_caps_ref (acaps));
  gst_harness_set_upstream_latency (hv, 30 * GST_SECOND);
  gst_harness_set_upstream_latency (ha, 30 * GST_SECOND);
  push_av (hv, ha, video, 0, 0, audio, 0, audio_at, to, FALSE);
  gst_harness_push_event (hv, gst_event_new_eos ());
  gst_harness_push_event (ha, gst_event_new_eos ());
  wait_eos (bus, 60);
  gst_harness_teardown (ha);
  gst_harness_teardown (hv);
  gst_bus_set_sync_handler (bus, NULL, NULL, NULL);
  gst_object_unref (bus);
  fail_unless (run->fail == NULL, "%s", run->fail);
  fail_unless (run->n_segments >= n_segments, "only %u segments",
      run->n_segments);

  for (i = 0; i < run->part_starts->len; i++) {
    GstClockTime st = g_array_index (run->part_starts, GstClockTime, i);
    GstClockTime d = g_array_index (run->part_durations, GstClockTime, i);
    gboolean ind = g_array_index (run->part_independent, gboolean, i);
    gboolean at_key = FALSE;

    parts_end = MAX (parts_end, st + d);
    fail_unless (d < 200 * GST_MSECOND + GST_MSECOND / 2, "part at %"
        GST_TIME_FORMAT " lasts %" GST_TIME_FORMAT, GST_TIME_ARGS (st),
        GST_TIME_ARGS (d));
    if (d < 170 * GST_MSECOND)
      n_short++;
    /* The part that starts with a keyframe is the last one that starts
     * at its time: TS units interleave, and an audio unit that does not
     * fit the part before may start a part a few nanoseconds before the
     * keyframe (25 AAC frames at 48 kHz end 3 ns before 16 video frames
     * at 30 fps) that the keyframe closes at once. */
    for (j = 0; j < run->keys->len; j++) {
      GstClockTime k = g_array_index (run->keys, GstClockTime, j);

      if (near (k, st) && !(i + 1 < run->part_starts->len
              && near (k, g_array_index (run->part_starts, GstClockTime,
                      i + 1))))
        at_key = TRUE;
    }
    fail_unless (ind == at_key, "part at %" GST_TIME_FORMAT " %s a keyframe "
        "but is%s INDEPENDENT", GST_TIME_ARGS (st), at_key ? "starts with" :
        "does not start with", ind ? "" : " not");
  }
  /* every keyframe inside the parts written starts one */
  for (j = 0; j < run->keys->len; j++) {
    GstClockTime k = g_array_index (run->keys, GstClockTime, j);
    gboolean found = FALSE;

    if (k < g_array_index (run->seg_starts, GstClockTime, 0)
        || k + GST_MSECOND >= parts_end)
      continue;
    for (i = 0; i < run->part_starts->len; i++)
      if (near (g_array_index (run->part_starts, GstClockTime, i), k))
        found = TRUE;
    fail_unless (found, "keyframe at %" GST_TIME_FORMAT " starts no part",
        GST_TIME_ARGS (k));
    n_keys_checked++;
  }
  /* each segment ends at the first keyframe at or after its target */
  for (i = 0; i + 1 < run->seg_starts->len; i++) {
    GstClockTime s0 = g_array_index (run->seg_starts, GstClockTime, i);
    GstClockTime s1 = g_array_index (run->seg_starts, GstClockTime, i + 1);
    GstClockTime expect = GST_CLOCK_TIME_NONE;

    for (j = 0; j < run->keys->len; j++) {
      GstClockTime k = g_array_index (run->keys, GstClockTime, j);

      if (k + GST_MSECOND >= s0 + target * GST_SECOND) {
        expect = k;
        break;
      }
    }
    fail_unless (near (s1, expect), "segment %u ends at %" GST_TIME_FORMAT
        ", the first keyframe after its target is at %" GST_TIME_FORMAT, i,
        GST_TIME_ARGS (s1), GST_TIME_ARGS (expect));
  }
  g_print ("%s GOP %s: %u keyframes each start an INDEPENDENT part, %u "
      "parts (%u shorter than 85 %%), %u segments\n", format,
      gop ? "fixed" : "variable", n_keys_checked, run->part_starts->len,
      n_short, run->seg_starts->len);
  fail_unless (n_keys_checked >= 4, "only %u keyframes checked",
      n_keys_checked);
  /* live, without gaps: every preload hint names the part that comes */
  g_print ("%s: %u preload hints came true, %u did not\n", format,
      run->hints_kept, run->hints_dead);
  fail_unless (run->hints_dead == 0, "%u of %u preload hints named a part "
      "that was never written", run->hints_dead, run->hints_dead +
      run->hints_kept);
  fail_unless (run->hints_kept + 2 >= run->part_starts->len);
  if (gop != 0)
    check_new_viewers (run, gop * GST_SECOND / 30);
  gst_caps_unref (vcaps);
  gst_caps_unref (acaps);
  g_ptr_array_unref (video);
  g_ptr_array_unref (audio);
  run_free (run);
}

/* GOP 1.5 s: 3 s segments (target 3), keyframes at 0, 1.5, 3 ... never on
 * a 200 ms part boundary in the middle of a segment. */
GST_START_TEST (test_keyframe_parts_gop15_fmp4)
{
  check_keyframe_parts (FMT_FMP4, 45, 3, 3, 0);
}

GST_END_TEST;

GST_START_TEST (test_keyframe_parts_gop15_ts)
{
  check_keyframe_parts (FMT_TS, 45, 3, 3, 0);
}

GST_END_TEST;

GST_START_TEST (test_keyframe_parts_variable_gop_fmp4)
{
  check_keyframe_parts (FMT_FMP4, 0, 2, 4, 0);
}

GST_END_TEST;

GST_START_TEST (test_keyframe_parts_variable_gop_ts)
{
  check_keyframe_parts (FMT_TS, 0, 2, 4, 0);
}

GST_END_TEST;

static Suite *
arclyhlssink_timing_suite (void)
{
  Suite *s = suite_create ("arclyhlssink_timing");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_gap_jump_fmp4);
  tcase_add_test (tc, test_gap_jump_ts);
  tcase_add_test (tc, test_gap_discont_keyframe_fmp4);
  tcase_add_test (tc, test_gap_discont_keyframe_ts);
  tcase_add_test (tc, test_gap_late_audio_fmp4);
  tcase_add_test (tc, test_gap_late_audio_ts);
  tcase_add_test (tc, test_keyframe_parts_gop15_fmp4);
  tcase_add_test (tc, test_keyframe_parts_gop15_ts);
  tcase_add_test (tc, test_keyframe_parts_variable_gop_fmp4);
  tcase_add_test (tc, test_keyframe_parts_variable_gop_ts);
  return s;
}

GST_CHECK_MAIN (arclyhlssink_timing);
