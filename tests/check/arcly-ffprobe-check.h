/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * What ffprobe says about a file we wrote, for the tests that decode our
 * segments with ffmpeg.  Header-only; include after gst/check/gstcheck.h.
 */

#ifndef __ARCLY_FFPROBE_CHECK_H__
#define __ARCLY_FFPROBE_CHECK_H__

#include <gst/check/gstcheck.h>

/* TRUE if @file declares a stream that carries no packet at all. */
static inline gboolean
arcly_check_has_empty_stream (const gchar * file)
{
  const gchar *argv[] = { "ffprobe", "-v", "error", "-show_entries",
    "stream=index,codec_type:packet=stream_index", "-of", "csv=p=0", file,
    NULL
  };
  gchar *out = NULL;
  gchar **lines;
  gint status = -1;
  guint i;
  guint64 streams = 0, seen = 0;

  fail_unless (g_spawn_sync (NULL, (gchar **) argv, NULL,
          G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out,
          NULL, &status, NULL), "cannot run ffprobe");
  fail_unless (g_spawn_check_wait_status (status, NULL), "ffprobe %s", file);
  lines = g_strsplit (out, "\n", -1);
  for (i = 0; lines[i] != NULL; i++) {
    gchar **f = g_strsplit (g_strstrip (lines[i]), ",", -1);

    guint64 idx = f[0] ? g_ascii_strtoull (f[0], NULL, 10) : 64;

    if (f[0] == NULL || f[0][0] == '\0' || idx >= 64) {
      /* empty line */
    } else if (g_strv_length (f) >= 2 && (g_str_equal (f[1], "video")
            || g_str_equal (f[1], "audio"))) {
      streams |= G_GUINT64_CONSTANT (1) << idx;     /* "index,codec_type" */
    } else {
      seen |= G_GUINT64_CONSTANT (1) << idx;        /* a packet's index */
    }
    g_strfreev (f);
  }
  g_strfreev (lines);
  g_free (out);
  return (streams & ~seen) != 0;
}

/* Frames ffprobe decodes from stream @stream ("v:0", "a:0") of @file, a
 * media file or a playlist; -1 when ffprobe finds no such stream. */
static inline gint
arcly_check_count_frames (const gchar * file, const gchar * stream)
{
  const gchar *argv[] = { "ffprobe", "-v", "error", "-count_frames",
    "-select_streams", stream, "-show_entries", "stream=nb_read_frames",
    "-of", "csv=p=0", file, NULL
  };
  gchar *out = NULL, *err = NULL;
  gint status = -1, n = -1;

  fail_unless (g_spawn_sync (NULL, (gchar **) argv, NULL,
          G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status, NULL),
      "cannot run ffprobe");
  fail_unless (g_spawn_check_wait_status (status, NULL), "ffprobe %s: %s",
      file, err);
  g_strstrip (out);
  if (g_ascii_isdigit (out[0]))
    n = (gint) g_ascii_strtoll (out, NULL, 10);
  g_free (out);
  g_free (err);
  return n;
}

#endif
