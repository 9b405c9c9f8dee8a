/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "restream-playlist.h"

#include <string.h>

gboolean
restream_playlist_parse (const gchar * text, RestreamPlaylistInfo * info)
{
  const gchar *line = text;

  memset (info, 0, sizeof (*info));
  if (text == NULL || !g_str_has_prefix (text, "#EXTM3U"))
    return FALSE;

  while (line && *line) {
    const gchar *end = strchr (line, '\n');

    if (g_str_has_prefix (line, "#EXT-X-MEDIA-SEQUENCE:")) {
      gint64 v = g_ascii_strtoll (line + strlen ("#EXT-X-MEDIA-SEQUENCE:"),
          NULL, 10);
      info->media_sequence = MAX (v, 0);
    } else if (g_str_has_prefix (line, "#EXTINF:")) {
      info->n_segments++;
      info->n_parts_pending = 0;
    } else if (g_str_has_prefix (line, "#EXT-X-PART:")) {
      info->n_parts_pending++;
    } else if (g_str_has_prefix (line, "#EXT-X-ENDLIST")) {
      info->ended = TRUE;
    }
    line = end ? end + 1 : NULL;
  }
  return TRUE;
}

gint64
restream_playlist_next_msn (const RestreamPlaylistInfo * info)
{
  return info->media_sequence + info->n_segments;
}

gboolean
restream_playlist_has (const RestreamPlaylistInfo * info, gint64 msn,
    gint64 part)
{
  gint64 next = restream_playlist_next_msn (info);

  if (info->ended || msn < next)
    return TRUE;
  if (msn == next && part >= 0)
    return part < (gint64) info->n_parts_pending;
  return FALSE;
}
