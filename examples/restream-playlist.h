/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * What a media playlist contains, as far as a blocking playlist reload
 * (RFC 8216bis §6.2.5.2) needs to know: which segments are complete and how
 * many parts of the segment in progress exist.  Pure code.
 */

#ifndef __RESTREAM_PLAYLIST_H__
#define __RESTREAM_PLAYLIST_H__

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  gint64 media_sequence;        /* EXT-X-MEDIA-SEQUENCE (0 when absent) */
  guint n_segments;             /* complete segments (EXTINF) listed */
  guint n_parts_pending;        /* EXT-X-PART after the last segment */
  gboolean ended;               /* EXT-X-ENDLIST */
} RestreamPlaylistInfo;

gboolean restream_playlist_parse (const gchar * text,
                                  RestreamPlaylistInfo * info);

/* Does the playlist hold segment @msn (and its part @part; -1 = the whole
 * segment)?  A complete segment holds all of its parts. */
gboolean restream_playlist_has (const RestreamPlaylistInfo * info,
                                gint64 msn, gint64 part);

/* What a playlist says of a part file (arclyhlssink names the parts of
 * segment "NAME.EXT" "NAME.0.EXT", "NAME.1.EXT", …). */
typedef enum
{
  RESTREAM_PART_PENDING,        /* not written yet, may come */
  RESTREAM_PART_LISTED,         /* listed as EXT-X-PART */
  RESTREAM_PART_NEVER,          /* its segment is complete without it, or
                                 * the playlist ended: it will never come */
} RestreamPartState;

/* @part_uri as the playlist writes it, e.g. "segment00012.3.m4s"; a name
 * that is not a part's is always PENDING. */
RestreamPartState restream_playlist_part_state (const gchar * text,
                                                const gchar * part_uri);

/* The next media sequence number that is not complete yet. */
gint64   restream_playlist_next_msn (const RestreamPlaylistInfo * info);

G_END_DECLS

#endif
