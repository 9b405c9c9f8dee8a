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

/* "NAME.N.EXT" -> "NAME.EXT"; NULL when @part_uri is not a part's name. */
static gchar *
segment_of_part (const gchar * part_uri)
{
  const gchar *ext = strrchr (part_uri, '.');
  const gchar *dot, *p;

  if (ext == NULL || ext == part_uri)
    return NULL;
  for (dot = ext - 1; dot > part_uri && *dot != '.'; dot--);
  if (*dot != '.' || dot + 1 == ext || dot == part_uri)
    return NULL;
  for (p = dot + 1; p < ext; p++)
    if (!g_ascii_isdigit (*p))
      return NULL;
  return g_strdup_printf ("%.*s%s", (int) (dot - part_uri), part_uri, ext);
}

RestreamPartState
restream_playlist_part_state (const gchar * text, const gchar * part_uri)
{
  gchar *segment = segment_of_part (part_uri);
  gchar *quoted;
  gsize seg_len;
  const gchar *line = text;
  gboolean closed = FALSE, ended = FALSE;
  RestreamPartState state = RESTREAM_PART_PENDING;

  if (segment == NULL || text == NULL)
    goto out;
  quoted = g_strdup_printf ("URI=\"%s\"", part_uri);
  seg_len = strlen (segment);
  while (line && *line) {
    const gchar *end = strchr (line, '\n');
    gsize len = end ? (gsize) (end - line) : strlen (line);

    if (len > 0 && line[len - 1] == '\r')
      len--;
    if (g_str_has_prefix (line, "#EXT-X-PART:")) {
      const gchar *q = g_strstr_len (line, len, quoted);

      if (q) {
        state = RESTREAM_PART_LISTED;
        break;
      }
    } else if (g_str_has_prefix (line, "#EXT-X-ENDLIST")) {
      ended = TRUE;
    } else if (line[0] != '#' && len == seg_len
        && strncmp (line, segment, len) == 0) {
      closed = TRUE;            /* segment lines follow their EXTINF */
    }
    line = end ? end + 1 : NULL;
  }
  if (state != RESTREAM_PART_LISTED && (closed || ended))
    state = RESTREAM_PART_NEVER;
  g_free (quoted);
out:
  g_free (segment);
  return state;
}
