/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The blocking-reload bookkeeping of arcly-restream: which (msn, part) a
 * playlist already holds.
 */

#include <gst/check/gstcheck.h>
#include "restream-playlist.h"

static const gchar *ll_playlist =
    "#EXTM3U\n"
    "#EXT-X-VERSION:9\n"
    "#EXT-X-TARGETDURATION:2\n"
    "#EXT-X-PART-INF:PART-TARGET=0.3\n"
    "#EXT-X-MEDIA-SEQUENCE:10\n"
    "#EXT-X-MAP:URI=\"init0.mp4\"\n"
    "#EXT-X-PART:DURATION=0.3,URI=\"segment00010.0.m4s\",INDEPENDENT=YES\n"
    "#EXTINF:2.000,\n"
    "segment00010.m4s\n"
    "#EXTINF:2.000,\n"
    "segment00011.m4s\n"
    "#EXT-X-PART:DURATION=0.3,URI=\"segment00012.0.m4s\",INDEPENDENT=YES\n"
    "#EXT-X-PART:DURATION=0.3,URI=\"segment00012.1.m4s\"\n"
    "#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"segment00012.2.m4s\"\n";

GST_START_TEST (test_parse_ll)
{
  RestreamPlaylistInfo info;

  fail_unless (restream_playlist_parse (ll_playlist, &info));
  fail_unless_equals_int64 (info.media_sequence, 10);
  fail_unless_equals_int (info.n_segments, 2);
  fail_unless_equals_int (info.n_parts_pending, 2);
  fail_unless (!info.ended);
  fail_unless_equals_int64 (restream_playlist_next_msn (&info), 12);

  /* Complete segments hold all their parts. */
  fail_unless (restream_playlist_has (&info, 10, -1));
  fail_unless (restream_playlist_has (&info, 11, -1));
  fail_unless (restream_playlist_has (&info, 11, 5));
  /* The segment in progress: parts 0 and 1 exist, 2 is only hinted. */
  fail_unless (!restream_playlist_has (&info, 12, -1));
  fail_unless (restream_playlist_has (&info, 12, 0));
  fail_unless (restream_playlist_has (&info, 12, 1));
  fail_unless (!restream_playlist_has (&info, 12, 2));
  fail_unless (!restream_playlist_has (&info, 13, 0));
}

GST_END_TEST;

GST_START_TEST (test_parse_ended_and_bad)
{
  RestreamPlaylistInfo info;

  fail_unless (restream_playlist_parse ("#EXTM3U\n#EXTINF:2,\na.ts\n"
          "#EXT-X-ENDLIST\n", &info));
  fail_unless (info.ended);
  fail_unless_equals_int64 (info.media_sequence, 0);
  /* After ENDLIST every request is answered at once. */
  fail_unless (restream_playlist_has (&info, 99, 3));

  fail_if (restream_playlist_parse ("", &info));
  fail_if (restream_playlist_parse ("<html>", &info));
  fail_if (restream_playlist_parse (NULL, &info));
  /* A negative media sequence is not trusted. */
  fail_unless (restream_playlist_parse ("#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:-5\n",
          &info));
  fail_unless_equals_int64 (info.media_sequence, 0);
  /* Truncated in the middle of a tag line. */
  fail_unless (restream_playlist_parse ("#EXTM3U\n#EXTINF:2,\nseg.ts\n#EXT-X-PA",
          &info));
  fail_unless_equals_int (info.n_segments, 1);
  fail_unless_equals_int (info.n_parts_pending, 0);
}

GST_END_TEST;

/* A preload hint for a part that never came: segment 12 closed at a
 * keyframe after two parts, so the hinted segment00012.2.m4s never exists. */
static const gchar *closed_early =
    "#EXTM3U\n"
    "#EXT-X-TARGETDURATION:2\n"
    "#EXT-X-PART-INF:PART-TARGET=0.3\n"
    "#EXT-X-MEDIA-SEQUENCE:11\n"
    "#EXTINF:2.000,\n"
    "segment00011.m4s\n"
    "#EXT-X-PART:DURATION=0.3,URI=\"segment00012.0.m4s\",INDEPENDENT=YES\n"
    "#EXT-X-PART:DURATION=0.3,URI=\"segment00012.1.m4s\"\n"
    "#EXTINF:0.600,\n"
    "segment00012.m4s\n"
    "#EXT-X-PART:DURATION=0.3,URI=\"segment00013.0.m4s\",INDEPENDENT=YES\n"
    "#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"segment00013.1.m4s\"\n";

GST_START_TEST (test_part_state)
{
  /* Before the segment closed: the hinted part may still come. */
  fail_unless_equals_int (restream_playlist_part_state (ll_playlist,
          "segment00012.2.m4s"), RESTREAM_PART_PENDING);
  fail_unless_equals_int (restream_playlist_part_state (ll_playlist,
          "segment00012.1.m4s"), RESTREAM_PART_LISTED);
  fail_unless_equals_int (restream_playlist_part_state (ll_playlist,
          "segment00013.0.m4s"), RESTREAM_PART_PENDING);

  /* After: it never will; the open segment's hint still may. */
  fail_unless_equals_int (restream_playlist_part_state (closed_early,
          "segment00012.2.m4s"), RESTREAM_PART_NEVER);
  fail_unless_equals_int (restream_playlist_part_state (closed_early,
          "segment00012.1.m4s"), RESTREAM_PART_LISTED);
  fail_unless_equals_int (restream_playlist_part_state (closed_early,
          "segment00011.4.m4s"), RESTREAM_PART_NEVER);
  fail_unless_equals_int (restream_playlist_part_state (closed_early,
          "segment00013.1.m4s"), RESTREAM_PART_PENDING);
  /* segment00012.12.m4s is not segment00012.1.m4s. */
  fail_unless_equals_int (restream_playlist_part_state (closed_early,
          "segment00012.12.m4s"), RESTREAM_PART_NEVER);

  /* An ended playlist has no more parts to come. */
  fail_unless_equals_int (restream_playlist_part_state ("#EXTM3U\n"
          "#EXT-X-ENDLIST\n", "segment00099.0.m4s"), RESTREAM_PART_NEVER);

  /* Names that are not a part's, and no playlist: never judged. */
  fail_unless_equals_int (restream_playlist_part_state (closed_early,
          "segment00012.m4s"), RESTREAM_PART_PENDING);
  fail_unless_equals_int (restream_playlist_part_state (closed_early,
          "segment00012.x.m4s"), RESTREAM_PART_PENDING);
  fail_unless_equals_int (restream_playlist_part_state (closed_early,
          ".1.m4s"), RESTREAM_PART_PENDING);
  fail_unless_equals_int (restream_playlist_part_state (closed_early,
          "nodot"), RESTREAM_PART_PENDING);
  fail_unless_equals_int (restream_playlist_part_state (NULL,
          "segment00012.2.m4s"), RESTREAM_PART_PENDING);
}

GST_END_TEST;

static Suite *
restream_playlist_suite (void)
{
  Suite *s = suite_create ("restream-playlist");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_parse_ll);
  tcase_add_test (tc, test_parse_ended_and_bad);
  tcase_add_test (tc, test_part_state);
  return s;
}

GST_CHECK_MAIN (restream_playlist);
