/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A small, independent HLS media playlist parser and rule checker for the
 * tests (RFC 8216 + 8216bis).  Written separately from
 * gst/arclyhls/playlist.c on purpose: the tests must not trust the writer
 * to check itself.  Header-only (static inline) so any suite can use it.
 */

#ifndef __ARCLYHLS_PLAYLIST_CHECK_H__
#define __ARCLYHLS_PLAYLIST_CHECK_H__

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>

typedef struct {
  gchar *uri;
  gdouble duration;
  gboolean discontinuity;
  gchar *map_uri;               /* the EXT-X-MAP in force, or NULL */
  gboolean has_pdt;
  gint64 pdt_us;                /* EXT-X-PROGRAM-DATE-TIME, us since 1970 */
  guint64 msn;
  guint n_parts;                /* EXT-X-PART lines just before it */
} HlsCheckSegment;

typedef struct {
  gchar *uri;
  gdouble duration;
  gboolean independent;
  guint64 msn;                  /* parent segment's sequence number */
  gint64 offset;                /* BYTERANGE: first byte in @uri, or -1 */
  guint64 length;               /* BYTERANGE: bytes */
} HlsCheckPart;

typedef struct {
  gint version;
  gint target_duration;
  guint64 media_sequence;
  guint64 discontinuity_sequence;
  gchar *playlist_type;
  gboolean endlist;
  gboolean independent_segments;
  gdouble part_target;          /* 0 = no EXT-X-PART-INF */
  gdouble part_hold_back;
  gboolean can_block_reload;
  gboolean has_server_control;
  gchar *preload_hint;
  gint64 preload_hint_start;    /* BYTERANGE-START, or -1 */
  GPtrArray *segments;          /* HlsCheckSegment */
  GPtrArray *parts;             /* HlsCheckPart, incl. the open segment's */
  guint n_discontinuities;
} HlsCheckPlaylist;

static inline void
hls_check_segment_free (gpointer p)
{
  HlsCheckSegment *s = p;
  g_free (s->uri);
  g_free (s->map_uri);
  g_free (s);
}

static inline void
hls_check_part_free (gpointer p)
{
  HlsCheckPart *s = p;
  g_free (s->uri);
  g_free (s);
}

static inline void
hls_check_playlist_free (HlsCheckPlaylist * pl)
{
  if (pl == NULL)
    return;
  g_free (pl->playlist_type);
  g_free (pl->preload_hint);
  g_ptr_array_unref (pl->segments);
  g_ptr_array_unref (pl->parts);
  g_free (pl);
}

/* Value of ATTR=... in an attribute list; quoted strings unquoted. */
static inline gchar *
hls_check_attr (const gchar * list, const gchar * name)
{
  gsize nlen = strlen (name);
  const gchar *p = list;

  while (p && *p) {
    if (strncmp (p, name, nlen) == 0 && p[nlen] == '=') {
      const gchar *v = p + nlen + 1, *end;
      if (*v == '"') {
        end = strchr (v + 1, '"');
        return end ? g_strndup (v + 1, end - v - 1) : NULL;
      }
      end = strchr (v, ',');
      return end ? g_strndup (v, end - v) : g_strdup (v);
    }
    /* skip to the next attribute, past quoted strings */
    while (*p && *p != ',') {
      if (*p == '"') {
        p = strchr (p + 1, '"');
        if (p == NULL)
          return NULL;
      }
      p++;
    }
    if (*p == ',')
      p++;
  }
  return NULL;
}

#define HLS_CHECK_FAIL(...) do { \
    g_free (*error); *error = g_strdup_printf (__VA_ARGS__); goto fail; \
  } while (0)

/* Parse @text and check the rules; returns NULL and sets *error (free it)
 * on the first violation. */
static inline HlsCheckPlaylist *
hls_check_parse (const gchar * text, gchar ** error)
{
  HlsCheckPlaylist *pl = g_new0 (HlsCheckPlaylist, 1);
  gchar **lines = (pl->preload_hint_start = -1, g_strsplit (text, "\n", -1));
  gboolean have_target = FALSE, have_seq = FALSE, pending_inf = FALSE;
  gboolean pending_disc = FALSE, pending_pdt = FALSE;
  gint64 pending_pdt_us = 0;
  gdouble pending_dur = 0;
  gchar *map = NULL;
  guint i, pending_parts = 0;
  guint64 msn;

  *error = NULL;
  pl->version = 1;
  pl->segments = g_ptr_array_new_with_free_func (hls_check_segment_free);
  pl->parts = g_ptr_array_new_with_free_func (hls_check_part_free);

  if (lines[0] == NULL || strcmp (lines[0], "#EXTM3U") != 0)
    HLS_CHECK_FAIL ("first line is not #EXTM3U");
  msn = 0;
  for (i = 1; lines[i] != NULL; i++) {
    const gchar *l = lines[i];

    if (*l == '\0')
      continue;
    if (g_str_has_prefix (l, "#EXT-X-VERSION:")) {
      pl->version = atoi (l + 15);
    } else if (g_str_has_prefix (l, "#EXT-X-TARGETDURATION:")) {
      pl->target_duration = atoi (l + 22);
      have_target = TRUE;
    } else if (g_str_has_prefix (l, "#EXT-X-MEDIA-SEQUENCE:")) {
      if (pl->segments->len > 0 || pl->parts->len > 0)
        HLS_CHECK_FAIL ("MEDIA-SEQUENCE after the first segment");
      pl->media_sequence = g_ascii_strtoull (l + 22, NULL, 10);
      msn = pl->media_sequence;
      have_seq = TRUE;
    } else if (g_str_has_prefix (l, "#EXT-X-DISCONTINUITY-SEQUENCE:")) {
      pl->discontinuity_sequence = g_ascii_strtoull (l + 30, NULL, 10);
    } else if (strcmp (l, "#EXT-X-DISCONTINUITY") == 0) {
      pending_disc = TRUE;
      pl->n_discontinuities++;
    } else if (g_str_has_prefix (l, "#EXT-X-PLAYLIST-TYPE:")) {
      pl->playlist_type = g_strdup (l + 21);
    } else if (strcmp (l, "#EXT-X-ENDLIST") == 0) {
      pl->endlist = TRUE;
    } else if (strcmp (l, "#EXT-X-INDEPENDENT-SEGMENTS") == 0) {
      pl->independent_segments = TRUE;
    } else if (g_str_has_prefix (l, "#EXT-X-MAP:")) {
      g_free (map);
      map = hls_check_attr (l + 11, "URI");
      if (map == NULL)
        HLS_CHECK_FAIL ("EXT-X-MAP without URI: %s", l);
    } else if (g_str_has_prefix (l, "#EXT-X-PROGRAM-DATE-TIME:")) {
      GDateTime *dt = g_date_time_new_from_iso8601 (l + 25, NULL);
      if (dt == NULL)
        HLS_CHECK_FAIL ("bad PROGRAM-DATE-TIME: %s", l);
      pending_pdt_us = g_date_time_to_unix (dt) * G_USEC_PER_SEC +
          g_date_time_get_microsecond (dt);
      g_date_time_unref (dt);
      pending_pdt = TRUE;
    } else if (g_str_has_prefix (l, "#EXT-X-PART-INF:")) {
      gchar *v = hls_check_attr (l + 16, "PART-TARGET");
      if (v == NULL)
        HLS_CHECK_FAIL ("PART-INF without PART-TARGET");
      pl->part_target = g_ascii_strtod (v, NULL);
      g_free (v);
    } else if (g_str_has_prefix (l, "#EXT-X-SERVER-CONTROL:")) {
      gchar *v = hls_check_attr (l + 22, "PART-HOLD-BACK");
      gchar *b = hls_check_attr (l + 22, "CAN-BLOCK-RELOAD");
      pl->has_server_control = TRUE;
      pl->part_hold_back = v ? g_ascii_strtod (v, NULL) : 0;
      pl->can_block_reload = b && strcmp (b, "YES") == 0;
      g_free (v);
      g_free (b);
    } else if (g_str_has_prefix (l, "#EXT-X-PART:")) {
      HlsCheckPart *p = g_new0 (HlsCheckPart, 1);
      gchar *d = hls_check_attr (l + 12, "DURATION");
      gchar *ind = hls_check_attr (l + 12, "INDEPENDENT");
      gchar *br = hls_check_attr (l + 12, "BYTERANGE");
      HlsCheckPart *prev = pl->parts->len ?
          g_ptr_array_index (pl->parts, pl->parts->len - 1) : NULL;
      p->uri = hls_check_attr (l + 12, "URI");
      p->duration = d ? g_ascii_strtod (d, NULL) : -1;
      p->independent = ind && strcmp (ind, "YES") == 0;
      p->msn = msn;
      p->offset = -1;
      g_free (d);
      g_free (ind);
      g_ptr_array_add (pl->parts, p);
      pending_parts++;
      if (p->uri == NULL || p->duration <= 0)
        HLS_CHECK_FAIL ("bad EXT-X-PART: %s", l);
      if (br != NULL) {
        /* bis 4.4.4.9: "<n>[@<o>]", without @o right after the previous
         * part of the same URI; the parts of a resource tile it from 0 */
        gchar *end = NULL;
        gint64 prev_end = prev && prev->offset >= 0 &&
            g_strcmp0 (prev->uri, p->uri) == 0 ?
            prev->offset + (gint64) prev->length : 0;
        p->length = g_ascii_strtoull (br, &end, 10);
        p->offset = end && *end == '@' ? g_ascii_strtoll (end + 1, NULL, 10) :
            prev_end;
        g_free (br);
        if (p->length == 0)
          HLS_CHECK_FAIL ("empty BYTERANGE: %s", l);
        if (p->offset != prev_end)
          HLS_CHECK_FAIL ("part at byte %" G_GINT64_FORMAT " of %s, the "
              "previous one ended at %" G_GINT64_FORMAT ": %s", p->offset,
              p->uri, prev_end, l);
      }
    } else if (g_str_has_prefix (l, "#EXT-X-PRELOAD-HINT:")) {
      gchar *st = hls_check_attr (l + 20, "BYTERANGE-START");
      g_free (pl->preload_hint);
      pl->preload_hint = hls_check_attr (l + 20, "URI");
      pl->preload_hint_start = st ? g_ascii_strtoll (st, NULL, 10) : -1;
      g_free (st);
    } else if (g_str_has_prefix (l, "#EXTINF:")) {
      pending_dur = g_ascii_strtod (l + 8, NULL);
      if (!(pending_dur > 0))
        HLS_CHECK_FAIL ("bad EXTINF: %s", l);
      pending_inf = TRUE;
    } else if (l[0] == '#') {
      if (g_str_has_prefix (l, "#EXT"))
        HLS_CHECK_FAIL ("unknown tag: %s", l);
    } else {
      HlsCheckSegment *s;
      if (!pending_inf)
        HLS_CHECK_FAIL ("URI without EXTINF: %s", l);
      s = g_new0 (HlsCheckSegment, 1);
      s->uri = g_strdup (l);
      s->duration = pending_dur;
      s->discontinuity = pending_disc;
      s->map_uri = g_strdup (map);
      s->has_pdt = pending_pdt;
      s->pdt_us = pending_pdt ? pending_pdt_us : 0;
      s->msn = msn++;
      s->n_parts = pending_parts;
      g_ptr_array_add (pl->segments, s);
      pending_inf = pending_disc = pending_pdt = FALSE;
      pending_parts = 0;
    }
  }

  if (!have_target)
    HLS_CHECK_FAIL ("no EXT-X-TARGETDURATION");
  if (!have_seq && pl->segments->len > 0)
    HLS_CHECK_FAIL ("no EXT-X-MEDIA-SEQUENCE");
  if (pending_inf)
    HLS_CHECK_FAIL ("EXTINF without URI at the end");
  for (i = 0; i < pl->segments->len; i++) {
    HlsCheckSegment *s = g_ptr_array_index (pl->segments, i);
    if ((gint) floor (s->duration + 0.5) > pl->target_duration)
      HLS_CHECK_FAIL ("EXTINF %.3f of %s rounds above TARGETDURATION %d",
          s->duration, s->uri, pl->target_duration);
  }
  if (map != NULL && pl->version < 6)
    HLS_CHECK_FAIL ("EXT-X-MAP needs EXT-X-VERSION >= 6, got %d",
        pl->version);
  /* a byte-range hint starts where the newest part of its URI ends (at 0
   * in a resource none is listed of yet) */
  if (pl->preload_hint != NULL && pl->preload_hint_start >= 0) {
    gint64 want = 0;
    for (i = 0; i < pl->parts->len; i++) {
      HlsCheckPart *p = g_ptr_array_index (pl->parts, i);
      if (p->offset >= 0 && g_strcmp0 (p->uri, pl->preload_hint) == 0)
        want = p->offset + (gint64) p->length;
    }
    if (pl->preload_hint_start != want)
      HLS_CHECK_FAIL ("preload hint at byte %" G_GINT64_FORMAT " of %s, "
          "its listed parts end at %" G_GINT64_FORMAT, pl->preload_hint_start,
          pl->preload_hint, want);
  }
  if (pl->parts->len > 0) {
    if (pl->part_target <= 0)
      HLS_CHECK_FAIL ("EXT-X-PART without EXT-X-PART-INF");
    if (pl->part_hold_back < 3 * pl->part_target - 0.0015)
      HLS_CHECK_FAIL ("PART-HOLD-BACK %.3f < 3 x PART-TARGET %.3f",
          pl->part_hold_back, pl->part_target);
    for (i = 0; i < pl->parts->len; i++) {
      HlsCheckPart *p = g_ptr_array_index (pl->parts, i);
      HlsCheckPart *next = i + 1 < pl->parts->len ?
          g_ptr_array_index (pl->parts, i + 1) : NULL;
      if (p->duration > pl->part_target + 0.0005)
        HLS_CHECK_FAIL ("part %s lasts %.3f > PART-TARGET %.3f", p->uri,
            p->duration, pl->part_target);
      /* bis 4.4.4.9: at least 85 % of the target, except INDEPENDENT parts
       * and the last part of a segment (the open segment's newest part
       * may be its last).  arclyhlssink starts a part at every keyframe
       * (issue 22), so a part followed by an INDEPENDENT one is excepted
       * too: that is the one deviation allowed here. */
      if (!p->independent && next != NULL && next->msn == p->msn
          && !next->independent
          && p->duration < 0.85 * pl->part_target - 0.0005)
        HLS_CHECK_FAIL ("part %s lasts %.3f < 85%% of PART-TARGET %.3f",
            p->uri, p->duration, pl->part_target);
    }
    /* parts are listed for the newest segments only (a suffix of the
     * playlist), none more than three target durations from its end
     * (bis 6.2.2), and a complete segment's parts add up to it */
    {
      gdouble to_end = 0;
      gboolean seen_parts = FALSE;
      guint j;

      for (j = 0; j < pl->parts->len; j++) {
        HlsCheckPart *p = g_ptr_array_index (pl->parts, j);
        if (p->msn >= msn)
          to_end += p->duration;
      }
      for (i = pl->segments->len; i > 0; i--) {
        HlsCheckSegment *s = g_ptr_array_index (pl->segments, i - 1);
        gdouble sum = 0;

        to_end += s->duration;
        if (s->n_parts == 0) {
          seen_parts = TRUE;    /* from here back: no parts allowed */
          continue;
        }
        if (seen_parts)
          HLS_CHECK_FAIL ("segment %s has parts but a newer one has none",
              s->uri);
        if (to_end > 3 * pl->target_duration + 0.0015)
          HLS_CHECK_FAIL ("parts of %s start %.3f s from the end, more than "
              "3 target durations", s->uri, to_end);
        for (j = 0; j < pl->parts->len; j++) {
          HlsCheckPart *p = g_ptr_array_index (pl->parts, j);
          if (p->msn == s->msn)
            sum += p->duration;
        }
        if (fabs (sum - s->duration) > 0.001 * (s->n_parts + 1))
          HLS_CHECK_FAIL ("parts of %s add up to %.3f s, EXTINF %.3f",
              s->uri, sum, s->duration);
      }
    }
  }
  g_free (map);
  g_strfreev (lines);
  return pl;

fail:
  g_free (map);
  g_strfreev (lines);
  hls_check_playlist_free (pl);
  return NULL;
}

#undef HLS_CHECK_FAIL

#endif
