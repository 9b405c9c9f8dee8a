/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Unit tests of the pure HLS playlist writer (gst/arclyhls/playlist.c) and
 * of the crash-safe file writer (gst/arclyhls/hlsfile.c).  Every rendered
 * playlist also goes through the independent checker in
 * arclyhls-playlist-check.h.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <math.h>
#include <string.h>
#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>

#include "playlist.h"
#include "hlsfile.h"
#include "arclyhls-playlist-check.h"

static ArclyHlsPlaylist *
make (ArclyHlsPlaylistType type, guint window, guint target, gdouble part)
{
  ArclyHlsPlaylistConfig cfg = { 0, };

  cfg.type = type;
  cfg.window = window;
  cfg.target_duration = target;
  cfg.part_target = part;
  cfg.independent_segments = TRUE;
  return arcly_hls_playlist_new (&cfg);
}

static HlsCheckPlaylist *
render_and_check (ArclyHlsPlaylist * pl, gchar ** text_out)
{
  gchar *text = arcly_hls_playlist_render (pl), *err = NULL;
  HlsCheckPlaylist *c = hls_check_parse (text, &err);

  fail_unless (c != NULL, "playlist rejected: %s\n%s", err, text);
  if (text_out)
    *text_out = text;
  else
    g_free (text);
  return c;
}

static void
add_segment (ArclyHlsPlaylist * pl, guint n, gdouble dur, gboolean disc,
    const gchar * map)
{
  gchar *uri = g_strdup_printf ("segment%05u.ts", n);

  arcly_hls_playlist_begin_segment (pl, disc, map, -1);
  fail_unless (arcly_hls_playlist_end_segment (pl, uri, dur));
  g_free (uri);
}

GST_START_TEST (test_live_window_slides)
{
  ArclyHlsPlaylist *pl = make (ARCLY_HLS_PLAYLIST_LIVE, 3, 2, 0);
  HlsCheckPlaylist *c;
  gchar *text;
  guint i;

  c = render_and_check (pl, &text);
  fail_unless_equals_int (c->segments->len, 0);
  hls_check_playlist_free (c);
  g_free (text);

  for (i = 0; i < 8; i++)
    add_segment (pl, i, 2.0, FALSE, NULL);
  c = render_and_check (pl, &text);
  fail_unless_equals_int (c->segments->len, 3);
  fail_unless_equals_uint64 (c->media_sequence, 5);
  fail_unless_equals_string (((HlsCheckSegment *)
          g_ptr_array_index (c->segments, 0))->uri, "segment00005.ts");
  fail_unless_equals_int (c->version, 3);
  fail_unless_equals_int (c->target_duration, 2);
  fail_unless (c->independent_segments);
  fail_if (c->endlist);
  fail_unless (c->playlist_type == NULL);
  fail_if (c->has_server_control, "no LL tags without parts:\n%s", text);
  fail_unless_equals_uint64 (arcly_hls_playlist_get_media_sequence (pl), 5);
  fail_unless (fabs (arcly_hls_playlist_get_duration (pl) - 6.0) < 1e-9);
  hls_check_playlist_free (c);
  g_free (text);

  arcly_hls_playlist_end (pl);
  c = render_and_check (pl, NULL);
  fail_unless (c->endlist);
  hls_check_playlist_free (c);
  arcly_hls_playlist_free (pl);
}

GST_END_TEST;

/* RFC 8216 6.2.2: a live window never slides below three target durations
 * of media, whatever playlist-length says. */
GST_START_TEST (test_live_window_three_target_durations)
{
  ArclyHlsPlaylist *pl = make (ARCLY_HLS_PLAYLIST_LIVE, 2, 2, 0);
  HlsCheckPlaylist *c;
  guint i;

  for (i = 0; i < 8; i++)
    add_segment (pl, i, 2.0, FALSE, NULL);
  c = render_and_check (pl, NULL);
  fail_unless_equals_int (c->segments->len, 3);
  fail_unless_equals_uint64 (c->media_sequence, 5);
  hls_check_playlist_free (c);
  /* short segments: as many as needed for 6 s */
  for (i = 8; i < 20; i++)
    add_segment (pl, i, 1.0, FALSE, NULL);
  c = render_and_check (pl, NULL);
  fail_unless_equals_int (c->segments->len, 6);
  fail_unless_equals_uint64 (c->media_sequence, 14);
  hls_check_playlist_free (c);
  /* 3 s segments raise the target duration to 3: 9 s, three segments */
  for (i = 20; i < 24; i++)
    add_segment (pl, i, 3.0, FALSE, NULL);
  c = render_and_check (pl, NULL);
  fail_unless_equals_int (c->target_duration, 3);
  fail_unless_equals_int (c->segments->len, 3);
  fail_unless_equals_uint64 (c->media_sequence, 21);
  hls_check_playlist_free (c);
  arcly_hls_playlist_free (pl);
}

GST_END_TEST;

GST_START_TEST (test_target_duration_covers_extinf)
{
  ArclyHlsPlaylist *pl = make (ARCLY_HLS_PLAYLIST_LIVE, 2, 2, 0);
  HlsCheckPlaylist *c;

  add_segment (pl, 0, 2.4, FALSE, NULL);
  c = render_and_check (pl, NULL);
  fail_unless_equals_int (c->target_duration, 2);
  hls_check_playlist_free (c);

  add_segment (pl, 1, 2.5, FALSE, NULL);
  c = render_and_check (pl, NULL);
  fail_unless_equals_int (c->target_duration, 3);
  hls_check_playlist_free (c);

  /* The target never shrinks (RFC 6.2.1: it must not change), even once
   * the long segment has left the window. */
  add_segment (pl, 2, 1.0, FALSE, NULL);
  add_segment (pl, 3, 1.0, FALSE, NULL);
  c = render_and_check (pl, NULL);
  fail_unless_equals_int (c->target_duration, 3);
  hls_check_playlist_free (c);

  fail_unless_equals_int (arcly_hls_playlist_round_duration (2.4994), 2);
  fail_unless_equals_int (arcly_hls_playlist_round_duration (2.4996), 3);
  fail_unless_equals_int (arcly_hls_playlist_round_duration (NAN), 0);
  fail_unless_equals_int (arcly_hls_playlist_round_duration (-4), 0);
  arcly_hls_playlist_free (pl);
}

GST_END_TEST;

GST_START_TEST (test_discontinuity_sequence)
{
  ArclyHlsPlaylist *pl = make (ARCLY_HLS_PLAYLIST_LIVE, 3, 2, 0);
  HlsCheckPlaylist *c;
  gchar *text;
  guint i;

  /* A discontinuity on the first segment means nothing: not written. */
  add_segment (pl, 0, 2.0, TRUE, NULL);
  add_segment (pl, 1, 2.0, FALSE, NULL);
  add_segment (pl, 2, 2.0, TRUE, NULL);
  c = render_and_check (pl, &text);
  fail_unless_equals_int (c->n_discontinuities, 1);
  fail_unless (((HlsCheckSegment *) g_ptr_array_index (c->segments,
              2))->discontinuity, "%s", text);
  fail_unless_equals_uint64 (c->discontinuity_sequence, 0);
  hls_check_playlist_free (c);
  g_free (text);

  /* Slide segment 2 (with its tag) out: the sequence counts it. */
  for (i = 3; i < 5; i++)
    add_segment (pl, i, 2.0, FALSE, NULL);
  c = render_and_check (pl, NULL);
  fail_unless_equals_uint64 (c->discontinuity_sequence, 0);
  fail_unless_equals_int (c->n_discontinuities, 1);
  hls_check_playlist_free (c);
  add_segment (pl, 5, 2.0, FALSE, NULL);
  c = render_and_check (pl, NULL);
  fail_unless_equals_uint64 (c->media_sequence, 3);
  fail_unless_equals_uint64 (c->discontinuity_sequence, 1);
  fail_unless_equals_int (c->n_discontinuities, 0);
  hls_check_playlist_free (c);
  arcly_hls_playlist_free (pl);
}

GST_END_TEST;

GST_START_TEST (test_map_and_pdt)
{
  ArclyHlsPlaylist *pl = make (ARCLY_HLS_PLAYLIST_EVENT, 2, 2, 0);
  HlsCheckPlaylist *c;
  gchar *text;
  guint i;

  /* 2026-01-02T03:04:05.678Z */
  arcly_hls_playlist_begin_segment (pl, FALSE, "init0.mp4",
      G_GINT64_CONSTANT (1767323045678000));
  arcly_hls_playlist_end_segment (pl, "segment00000.m4s", 2.0);
  arcly_hls_playlist_begin_segment (pl, FALSE, "init0.mp4", -1);
  arcly_hls_playlist_end_segment (pl, "segment00001.m4s", 2.0);
  arcly_hls_playlist_begin_segment (pl, TRUE, "init1.mp4", -1);
  arcly_hls_playlist_end_segment (pl, "segment00002.m4s", 2.0);
  c = render_and_check (pl, &text);
  fail_unless_equals_int (c->version, 6);
  fail_unless_equals_string (c->playlist_type, "EVENT");
  /* event playlists never slide, whatever the window */
  fail_unless_equals_int (c->segments->len, 3);
  fail_unless (strstr (text,
          "#EXT-X-PROGRAM-DATE-TIME:2026-01-02T03:04:05.678Z\n") != NULL,
      "%s", text);
  fail_unless (strstr (text, "#EXT-X-MAP:URI=\"init0.mp4\"\n#EXT-X-PROGRAM") !=
      NULL, "%s", text);
  /* the MAP is written once per change, not per segment */
  fail_unless (strstr (strstr (text, "init0.mp4") + 1, "init0.mp4") == NULL,
      "%s", text);
  for (i = 0; i < 3; i++) {
    HlsCheckSegment *s = g_ptr_array_index (c->segments, i);
    fail_unless_equals_string (s->map_uri, i < 2 ? "init0.mp4" : "init1.mp4");
    fail_unless_equals_int (s->has_pdt, i == 0);
  }
  hls_check_playlist_free (c);
  g_free (text);
  arcly_hls_playlist_free (pl);
}

GST_END_TEST;

static void
add_ll_segment (ArclyHlsPlaylist * pl, guint n, guint nparts, gboolean close)
{
  guint i;
  gchar *uri;

  arcly_hls_playlist_begin_segment (pl, FALSE, NULL, -1);
  for (i = 0; i < nparts; i++) {
    uri = g_strdup_printf ("segment%05u.%u.ts", n, i);
    arcly_hls_playlist_add_part (pl, uri, 0.3, i == 0);
    g_free (uri);
  }
  uri = g_strdup_printf ("segment%05u.%u.ts", n, nparts);
  arcly_hls_playlist_set_preload_hint (pl, uri);
  g_free (uri);
  if (close) {
    uri = g_strdup_printf ("segment%05u.ts", n);
    arcly_hls_playlist_end_segment (pl, uri, 0.3 * nparts);
    g_free (uri);
  }
}

GST_START_TEST (test_low_latency_parts)
{
  ArclyHlsPlaylist *pl = make (ARCLY_HLS_PLAYLIST_LIVE, 6, 2, 0.3);
  HlsCheckPlaylist *c;
  HlsCheckPart *p;
  gchar *text;
  guint i;

  /* parts of the open segment are listed before its EXTINF exists */
  add_ll_segment (pl, 0, 3, FALSE);
  c = render_and_check (pl, &text);
  fail_unless_equals_int (c->segments->len, 0);
  fail_unless_equals_int (c->parts->len, 3);
  fail_unless_equals_string (c->preload_hint, "segment00000.3.ts");
  fail_unless (c->has_server_control);
  fail_if (c->can_block_reload, "no CAN-BLOCK-RELOAD unless asked:\n%s",
      text);
  fail_unless (fabs (c->part_target - 0.3) < 1e-9);
  fail_unless (c->part_hold_back >= 0.9 - 1e-9);
  fail_unless (strstr (text,
          "#EXT-X-PART:DURATION=0.300,URI=\"segment00000.0.ts\","
          "INDEPENDENT=YES\n") != NULL, "%s", text);
  fail_unless (strstr (text,
          "#EXT-X-PART:DURATION=0.300,URI=\"segment00000.1.ts\"\n") != NULL,
      "%s", text);
  hls_check_playlist_free (c);
  g_free (text);

  /* close it; 7 more segments of 2.1 s: parts only for the last ones
   * within 3 target durations (3 x 2 s: 2.1 s rounds to 2) */
  arcly_hls_playlist_end_segment (pl, "segment00000.ts", 0.9);
  for (i = 1; i < 8; i++)
    add_ll_segment (pl, i, 7, TRUE);
  add_ll_segment (pl, 8, 2, FALSE);
  c = render_and_check (pl, &text);
  fail_unless_equals_int (c->segments->len, 6);
  /* 3 target durations = 6 s covers the last 2 full segments (4.2 s)
   * but not a third (6.3 s) */
  for (i = 0; i < c->segments->len; i++) {
    HlsCheckSegment *s = g_ptr_array_index (c->segments, i);
    fail_unless_equals_int (s->n_parts, i >= 4 ? 7 : 0);
  }
  fail_unless_equals_uint64 (arcly_hls_playlist_get_first_part_sequence (pl),
      6);
  fail_unless_equals_int (c->parts->len, 16);
  p = g_ptr_array_index (c->parts, c->parts->len - 1);
  fail_unless_equals_string (p->uri, "segment00008.1.ts");
  fail_unless_equals_uint64 (p->msn, 8);
  hls_check_playlist_free (c);
  g_free (text);

  /* the open segment's parts count towards the three target durations:
   * with 2.1 s of them, only the newest complete segment keeps its parts */
  for (i = 2; i < 7; i++) {
    gchar *uri = g_strdup_printf ("segment00008.%u.ts", i);
    arcly_hls_playlist_add_part (pl, uri, 0.3, FALSE);
    g_free (uri);
  }
  c = render_and_check (pl, &text);
  for (i = 0; i < c->segments->len; i++) {
    HlsCheckSegment *s = g_ptr_array_index (c->segments, i);
    fail_unless (s->n_parts == (i == 5 ? 7u : 0u), "%s", text);
  }
  fail_unless_equals_uint64 (arcly_hls_playlist_get_first_part_sequence (pl),
      7);
  hls_check_playlist_free (c);
  g_free (text);

  /* at the end: no preload hint, ENDLIST */
  arcly_hls_playlist_end (pl);
  c = render_and_check (pl, &text);
  fail_unless (c->endlist);
  fail_unless (c->preload_hint == NULL);
  hls_check_playlist_free (c);
  g_free (text);
  arcly_hls_playlist_free (pl);
}

GST_END_TEST;

/* part-byteranges: parts as byte ranges of their segment
 * (BYTERANGE="<length>@<offset>"), the hint with BYTERANGE-START where the
 * next one starts; a new segment's hint starts at 0. */
GST_START_TEST (test_low_latency_byteranges)
{
  ArclyHlsPlaylist *pl = make (ARCLY_HLS_PLAYLIST_LIVE, 6, 2, 0.3);
  HlsCheckPlaylist *c;
  HlsCheckPart *p;
  gchar *text;

  arcly_hls_playlist_begin_segment (pl, FALSE, NULL, -1);
  arcly_hls_playlist_add_part_range (pl, "segment00000.m4s", 0.3, TRUE, 0,
      1000);
  arcly_hls_playlist_add_part_range (pl, "segment00000.m4s", 0.3, FALSE,
      1000, 500);
  arcly_hls_playlist_set_preload_hint_range (pl, "segment00000.m4s", 1500);
  c = render_and_check (pl, &text);
  fail_unless (strstr (text, "#EXT-X-PART:DURATION=0.300,URI=\"segment00000"
          ".m4s\",BYTERANGE=\"1000@0\",INDEPENDENT=YES\n") != NULL, "%s",
      text);
  fail_unless (strstr (text, "#EXT-X-PART:DURATION=0.300,URI=\"segment00000"
          ".m4s\",BYTERANGE=\"500@1000\"\n") != NULL, "%s", text);
  fail_unless (strstr (text, "#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\""
          "segment00000.m4s\",BYTERANGE-START=1500\n") != NULL, "%s", text);
  fail_unless_equals_int (c->parts->len, 2);
  p = g_ptr_array_index (c->parts, 1);
  fail_unless_equals_int (p->offset, 1000);
  fail_unless_equals_int (p->length, 500);
  fail_unless_equals_int (c->preload_hint_start, 1500);
  hls_check_playlist_free (c);
  g_free (text);

  /* the segment ends with a third part; the hint moves to the next one */
  arcly_hls_playlist_add_part_range (pl, "segment00000.m4s", 0.3, FALSE,
      1500, 700);
  fail_unless (arcly_hls_playlist_end_segment (pl, "segment00000.m4s", 0.9));
  arcly_hls_playlist_begin_segment (pl, FALSE, NULL, -1);
  arcly_hls_playlist_set_preload_hint_range (pl, "segment00001.m4s", 0);
  c = render_and_check (pl, &text);
  fail_unless (strstr (text, "#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\""
          "segment00001.m4s\",BYTERANGE-START=0\n") != NULL, "%s", text);
  fail_unless_equals_int (c->parts->len, 3);
  hls_check_playlist_free (c);
  g_free (text);

  /* a plain hint again has no BYTERANGE-START */
  arcly_hls_playlist_set_preload_hint (pl, "segment00001.0.m4s");
  c = render_and_check (pl, &text);
  fail_unless (strstr (text, "BYTERANGE-START") == NULL, "%s", text);
  fail_unless_equals_int (c->preload_hint_start, -1);
  hls_check_playlist_free (c);
  g_free (text);
  arcly_hls_playlist_free (pl);
}

GST_END_TEST;

GST_START_TEST (test_blocking_reload_claim)
{
  ArclyHlsPlaylistConfig cfg = { 0, };
  ArclyHlsPlaylist *pl;
  HlsCheckPlaylist *c;

  cfg.type = ARCLY_HLS_PLAYLIST_LIVE;
  cfg.target_duration = 1;
  cfg.part_target = 0.2;
  cfg.blocking_reload = TRUE;
  pl = arcly_hls_playlist_new (&cfg);
  add_ll_segment (pl, 0, 1, FALSE);
  c = render_and_check (pl, NULL);
  fail_unless (c->can_block_reload);
  fail_if (c->independent_segments);
  hls_check_playlist_free (c);
  arcly_hls_playlist_free (pl);
}

GST_END_TEST;

GST_START_TEST (test_vod)
{
  ArclyHlsPlaylist *pl = make (ARCLY_HLS_PLAYLIST_VOD, 2, 2, 0.3);
  HlsCheckPlaylist *c;
  gchar *text;
  guint i;

  for (i = 0; i < 5; i++)
    add_ll_segment (pl, i, 6, TRUE);
  arcly_hls_playlist_end (pl);
  c = render_and_check (pl, &text);
  fail_unless_equals_string (c->playlist_type, "VOD");
  fail_unless_equals_int (c->segments->len, 5);
  fail_unless_equals_uint64 (c->media_sequence, 0);
  fail_unless (c->endlist);
  fail_unless_equals_int (c->parts->len, 0);
  fail_if (c->has_server_control, "%s", text);
  fail_unless (c->part_target == 0, "%s", text);
  hls_check_playlist_free (c);
  g_free (text);
  arcly_hls_playlist_free (pl);
}

GST_END_TEST;

GST_START_TEST (test_hostile_values)
{
  ArclyHlsPlaylist *pl = make (ARCLY_HLS_PLAYLIST_LIVE, 0, 0, 0);
  gchar *text;

  /* nothing open: parts and end are ignored, not crashes */
  arcly_hls_playlist_add_part (pl, "x", 1.0, TRUE);
  fail_if (arcly_hls_playlist_end_segment (pl, "x", 1.0));
  arcly_hls_playlist_begin_segment (pl, FALSE, NULL, -1);
  arcly_hls_playlist_add_part (pl, NULL, 1.0, TRUE);
  fail_if (arcly_hls_playlist_end_segment (pl, NULL, 1.0));
  fail_unless (arcly_hls_playlist_end_segment (pl, "a.ts", NAN));
  /* an open segment dropped by the next begin keeps its number */
  arcly_hls_playlist_begin_segment (pl, FALSE, NULL, -1);
  fail_unless_equals_uint64 (arcly_hls_playlist_begin_segment (pl, FALSE,
          NULL, -1), 2);
  arcly_hls_playlist_end_segment (pl, "b.ts", 1e300);
  text = arcly_hls_playlist_render (pl);
  /* target duration 0 is raised to 1; a NaN duration is written as 0 */
  fail_unless (strstr (text, "#EXT-X-TARGETDURATION:1000000000\n") != NULL,
      "%s", text);
  fail_unless (strstr (text, "#EXTINF:0.000,\na.ts\n") != NULL, "%s", text);
  g_free (text);
  arcly_hls_playlist_free (pl);
}

GST_END_TEST;

GST_START_TEST (test_checker_rejects)
{
  static const gchar *bad[] = {
    "",
    "#EXT-X-VERSION:3\n",
    "#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:2.0,\na.ts\n",
    "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n"
        "#EXTINF:2.6,\na.ts\n",
    "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\na.ts\n",
    "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n"
        "#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-MAP:URI=\"i.mp4\"\n#EXTINF:2,\na\n",
    "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n"
        "#EXT-X-PART:DURATION=0.3,URI=\"p\"\n",
    "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-SERVER-CONTROL:PART-HOLD-BACK"
        "=0.6\n#EXT-X-PART-INF:PART-TARGET=0.3\n#EXT-X-MEDIA-SEQUENCE:0\n"
        "#EXT-X-PART:DURATION=0.3,URI=\"p\"\n",
    "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-SERVER-CONTROL:PART-HOLD-BACK"
        "=1.0\n#EXT-X-PART-INF:PART-TARGET=0.3\n#EXT-X-MEDIA-SEQUENCE:0\n"
        "#EXT-X-PART:DURATION=0.4,URI=\"p\"\n",
    "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n"
        "#EXTINF:2,\n",
    /* a short part that is neither INDEPENDENT nor its segment's last */
    "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-SERVER-CONTROL:PART-HOLD-BACK"
        "=0.9\n#EXT-X-PART-INF:PART-TARGET=0.3\n#EXT-X-MEDIA-SEQUENCE:0\n"
        "#EXT-X-PART:DURATION=0.3,URI=\"p0\",INDEPENDENT=YES\n"
        "#EXT-X-PART:DURATION=0.2,URI=\"p1\"\n"
        "#EXT-X-PART:DURATION=0.3,URI=\"p2\"\n",
    /* parts that do not add up to their segment */
    "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-SERVER-CONTROL:PART-HOLD-BACK"
        "=0.9\n#EXT-X-PART-INF:PART-TARGET=0.3\n#EXT-X-MEDIA-SEQUENCE:0\n"
        "#EXT-X-PART:DURATION=0.3,URI=\"p0\",INDEPENDENT=YES\n"
        "#EXT-X-PART:DURATION=0.3,URI=\"p1\"\n#EXTINF:2.0,\na.ts\n",
    /* parts of a segment that starts 4 s (> 3 x 1 s) from the end */
    "#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXT-X-SERVER-CONTROL:PART-HOLD-BACK"
        "=1.5\n#EXT-X-PART-INF:PART-TARGET=0.5\n#EXT-X-MEDIA-SEQUENCE:0\n"
        "#EXT-X-PART:DURATION=0.5,URI=\"a0\",INDEPENDENT=YES\n"
        "#EXT-X-PART:DURATION=0.5,URI=\"a1\"\n#EXTINF:1.0,\na.ts\n"
        "#EXT-X-PART:DURATION=0.5,URI=\"b0\",INDEPENDENT=YES\n"
        "#EXT-X-PART:DURATION=0.5,URI=\"b1\"\n#EXTINF:1.0,\nb.ts\n"
        "#EXT-X-PART:DURATION=0.5,URI=\"c0\",INDEPENDENT=YES\n"
        "#EXT-X-PART:DURATION=0.5,URI=\"c1\"\n#EXTINF:1.0,\nc.ts\n"
        "#EXT-X-PART:DURATION=0.5,URI=\"d0\",INDEPENDENT=YES\n"
        "#EXT-X-PART:DURATION=0.5,URI=\"d1\"\n#EXTINF:1.0,\nd.ts\n",
    /* byte-range parts with a hole between them */
    "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-SERVER-CONTROL:PART-HOLD-BACK"
        "=0.9\n#EXT-X-PART-INF:PART-TARGET=0.3\n#EXT-X-MEDIA-SEQUENCE:0\n"
        "#EXT-X-PART:DURATION=0.3,URI=\"s\",BYTERANGE=\"10@0\","
        "INDEPENDENT=YES\n#EXT-X-PART:DURATION=0.3,URI=\"s\","
        "BYTERANGE=\"10@11\"\n",
    /* a byte-range hint that does not start where the parts end */
    "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-SERVER-CONTROL:PART-HOLD-BACK"
        "=0.9\n#EXT-X-PART-INF:PART-TARGET=0.3\n#EXT-X-MEDIA-SEQUENCE:0\n"
        "#EXT-X-PART:DURATION=0.3,URI=\"s\",BYTERANGE=\"10@0\","
        "INDEPENDENT=YES\n#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"s\","
        "BYTERANGE-START=9\n",
    /* parts on an old segment but not on a newer one */
    "#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXT-X-SERVER-CONTROL:PART-HOLD-BACK"
        "=1.5\n#EXT-X-PART-INF:PART-TARGET=0.5\n#EXT-X-MEDIA-SEQUENCE:0\n"
        "#EXT-X-PART:DURATION=0.5,URI=\"a0\",INDEPENDENT=YES\n"
        "#EXT-X-PART:DURATION=0.5,URI=\"a1\"\n#EXTINF:1.0,\na.ts\n"
        "#EXTINF:1.0,\nb.ts\n",
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (bad); i++) {
    gchar *err = NULL;
    HlsCheckPlaylist *c = hls_check_parse (bad[i], &err);

    fail_unless (c == NULL, "checker accepted bad playlist %u", i);
    fail_unless (err != NULL);
    g_free (err);
  }
}

GST_END_TEST;

GST_START_TEST (test_file_atomic)
{
  gchar *dir = g_dir_make_tmp ("arclyhls-XXXXXX", NULL);
  gchar *path = g_build_filename (dir, "playlist.m3u8", NULL);
  gchar *bad, *contents = NULL, *notdir;
  GError *err = NULL;
  ArclyHlsFileWriter *w;
  GDir *d;
  const gchar *name;
  guint n = 0;

  fail_unless (arcly_hls_file_write_atomic (path, (const guint8 *) "one", 3,
          &err));
  /* while a new version is being written the old one stays complete */
  w = arcly_hls_file_writer_open (path, &err);
  fail_unless (w != NULL);
  fail_unless (arcly_hls_file_writer_append (w, (const guint8 *) "two-", 4,
          &err));
  fail_unless (g_file_get_contents (path, &contents, NULL, NULL));
  fail_unless_equals_string (contents, "one");
  g_free (contents);
  fail_unless (arcly_hls_file_writer_append (w, (const guint8 *) "2", 1,
          &err));
  fail_unless_equals_uint64 (arcly_hls_file_writer_get_size (w), 5);
  fail_unless (arcly_hls_file_writer_commit (w, &err));
  fail_unless (g_file_get_contents (path, &contents, NULL, NULL));
  fail_unless_equals_string (contents, "two-2");
  g_free (contents);

  /* gathered appends: small pieces are buffered, a large one goes out
   * directly after what was buffered; the bytes stay in order */
  {
    static guint8 big[40000];
    struct iovec iov[3];
    gsize len = 0, i;

    for (i = 0; i < sizeof (big); i++)
      big[i] = (guint8) (i * 7);
    w = arcly_hls_file_writer_open (path, &err);
    fail_unless (arcly_hls_file_writer_append (w, (const guint8 *) "ab", 2,
            &err));
    iov[0].iov_base = (void *) "cd";
    iov[0].iov_len = 2;
    iov[1].iov_base = big;
    iov[1].iov_len = sizeof (big);
    iov[2].iov_base = (void *) "ef";
    iov[2].iov_len = 2;
    fail_unless (arcly_hls_file_writer_appendv (w, iov, 1, &err));
    fail_unless (arcly_hls_file_writer_appendv (w, iov + 1, 2, &err));
    fail_unless (arcly_hls_file_writer_appendv (w, iov + 2, 1, &err));
    fail_unless_equals_uint64 (arcly_hls_file_writer_get_size (w),
        8 + sizeof (big));
    fail_unless (arcly_hls_file_writer_commit (w, &err));
    fail_unless (g_file_get_contents (path, &contents, &len, NULL));
    fail_unless_equals_uint64 (len, 8 + sizeof (big));
    fail_unless (memcmp (contents, "abcd", 4) == 0);
    fail_unless (memcmp (contents + 4, big, sizeof (big)) == 0);
    fail_unless (memcmp (contents + 4 + sizeof (big), "efef", 4) == 0);
    g_free (contents);
  }

  /* an aborted write leaves nothing behind */
  w = arcly_hls_file_writer_open (path, &err);
  arcly_hls_file_writer_append (w, (const guint8 *) "x", 1, &err);
  arcly_hls_file_writer_abort (w);
  d = g_dir_open (dir, 0, NULL);
  while ((name = g_dir_read_name (d)) != NULL)
    n++;
  g_dir_close (d);
  fail_unless_equals_int (n, 1);

  /* an unwritable folder (a file used as a folder: root ignores modes)
   * names the path and the OS error */
  notdir = g_build_filename (path, "x.ts", NULL);
  fail_if (arcly_hls_file_write_atomic (notdir, (const guint8 *) "x", 1,
          &err));
  fail_unless (err != NULL);
  fail_unless (strstr (err->message, notdir) != NULL, "%s", err->message);
  fail_unless (strstr (err->message, g_strerror (ENOTDIR)) != NULL, "%s",
      err->message);
  g_clear_error (&err);
  bad = g_build_filename (dir, "missing", "x.ts", NULL);
  fail_if (arcly_hls_file_write_atomic (bad, (const guint8 *) "x", 1, &err));
  fail_unless (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_NOT_FOUND));
  g_clear_error (&err);

  g_unlink (path);
  g_rmdir (dir);
  g_free (bad);
  g_free (notdir);
  g_free (path);
  g_free (dir);
}

GST_END_TEST;

static Suite *
playlist_suite (void)
{
  Suite *s = suite_create ("arclyhls-playlist");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_live_window_slides);
  tcase_add_test (tc, test_live_window_three_target_durations);
  tcase_add_test (tc, test_target_duration_covers_extinf);
  tcase_add_test (tc, test_discontinuity_sequence);
  tcase_add_test (tc, test_map_and_pdt);
  tcase_add_test (tc, test_low_latency_parts);
  tcase_add_test (tc, test_low_latency_byteranges);
  tcase_add_test (tc, test_blocking_reload_claim);
  tcase_add_test (tc, test_vod);
  tcase_add_test (tc, test_hostile_values);
  tcase_add_test (tc, test_checker_rejects);
  tcase_add_test (tc, test_file_atomic);
  return s;
}

GST_CHECK_MAIN (playlist);
