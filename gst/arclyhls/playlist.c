/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * HLS media playlist writer.  Section numbers refer to RFC 8216 ("RFC") and
 * to draft-pantos-hls-rfc8216bis ("bis"), which adds Low-Latency HLS.
 *
 * The model: a queue of completed segments (EXTINF + URI) and at most one
 * open segment, which the element is still writing and whose parts are
 * already listed (bis 4.4.4.9).  Rendering is a pure function of that state.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <string.h>

#include "playlist.h"

/* bis 6.2.2: parts SHOULD be removed once they are more than three target
 * durations from the end of the playlist. */
#define PARTS_KEPT_TARGET_DURATIONS 3.0

/* bis 4.4.3.8: PART-HOLD-BACK is at least twice the part target; three
 * times is what the spec recommends and what players tolerate best. */
#define PART_HOLD_BACK_FACTOR 3.0

typedef struct {
  gchar *uri;
  gdouble duration;
  gboolean independent;
  gint64 offset;                /* BYTERANGE of @uri, or -1: the whole */
  guint64 length;
} ArclyHlsPart;

typedef struct {
  guint64 msn;
  gchar *uri;                   /* NULL while open */
  gdouble duration;
  gboolean discontinuity;
  gchar *map_uri;
  gint64 pdt_us;
  GPtrArray *parts;             /* ArclyHlsPart */
} ArclyHlsSegment;

struct _ArclyHlsPlaylist {
  ArclyHlsPlaylistConfig cfg;
  GQueue segments;              /* completed ArclyHlsSegment, oldest first */
  ArclyHlsSegment *open;
  guint64 next_msn;
  guint64 discontinuity_seq;
  guint max_rounded;            /* largest rounded EXTINF ever listed */
  gdouble max_part;             /* longest part ever listed */
  gboolean uses_map;
  gchar *preload_hint;
  gint64 preload_hint_start;    /* BYTERANGE-START, or -1 */
  gboolean ended;
};

static void
part_free (gpointer data)
{
  ArclyHlsPart *part = data;

  g_free (part->uri);
  g_free (part);
}

static void
segment_free (gpointer data)
{
  ArclyHlsSegment *seg = data;

  if (seg == NULL)
    return;
  g_free (seg->uri);
  g_free (seg->map_uri);
  g_ptr_array_unref (seg->parts);
  g_free (seg);
}

/* Durations are written with millisecond precision; every comparison uses
 * the value as written. */
static gdouble
to_millis (gdouble seconds)
{
  if (!(seconds > 0.0))         /* also catches NaN */
    return 0.0;
  if (seconds > 1e9)
    seconds = 1e9;
  return floor (seconds * 1000.0 + 0.5) / 1000.0;
}

guint
arcly_hls_playlist_round_duration (gdouble duration)
{
  return (guint) floor (to_millis (duration) + 0.5);
}

ArclyHlsPlaylist *
arcly_hls_playlist_new (const ArclyHlsPlaylistConfig * config)
{
  ArclyHlsPlaylist *pl = g_new0 (ArclyHlsPlaylist, 1);

  pl->cfg = *config;
  if (pl->cfg.target_duration < 1)
    pl->cfg.target_duration = 1;
  pl->cfg.part_target = to_millis (pl->cfg.part_target);
  g_queue_init (&pl->segments);
  pl->preload_hint_start = -1;
  return pl;
}

void
arcly_hls_playlist_free (ArclyHlsPlaylist * pl)
{
  if (pl == NULL)
    return;
  g_queue_clear_full (&pl->segments, segment_free);
  segment_free (pl->open);
  g_free (pl->preload_hint);
  g_free (pl);
}

guint64
arcly_hls_playlist_begin_segment (ArclyHlsPlaylist * pl,
    gboolean discontinuity, const gchar * map_uri, gint64 pdt_us)
{
  ArclyHlsSegment *seg;

  if (pl->open != NULL) {
    /* An abandoned segment keeps its number: a player may have seen its
     * parts, so the number is never reused for other media. */
    segment_free (pl->open);
    pl->open = NULL;
  }

  seg = g_new0 (ArclyHlsSegment, 1);
  seg->msn = pl->next_msn++;
  /* RFC 4.3.2.3: a discontinuity before the very first segment means
   * nothing; never write one there. */
  seg->discontinuity = discontinuity && seg->msn > 0;
  seg->map_uri = g_strdup (map_uri);
  seg->pdt_us = pdt_us;
  seg->parts = g_ptr_array_new_with_free_func (part_free);
  if (map_uri != NULL)
    pl->uses_map = TRUE;
  pl->open = seg;
  return seg->msn;
}

void
arcly_hls_playlist_add_part_range (ArclyHlsPlaylist * pl, const gchar * uri,
    gdouble duration, gboolean independent, gint64 offset, guint64 length)
{
  ArclyHlsPart *part;

  if (pl->open == NULL || uri == NULL)
    return;
  part = g_new0 (ArclyHlsPart, 1);
  part->uri = g_strdup (uri);
  part->duration = to_millis (duration);
  part->independent = independent;
  part->offset = offset;
  part->length = length;
  pl->max_part = MAX (pl->max_part, part->duration);
  g_ptr_array_add (pl->open->parts, part);
}

void
arcly_hls_playlist_add_part (ArclyHlsPlaylist * pl, const gchar * uri,
    gdouble duration, gboolean independent)
{
  arcly_hls_playlist_add_part_range (pl, uri, duration, independent, -1, 0);
}

void
arcly_hls_playlist_set_preload_hint_range (ArclyHlsPlaylist * pl,
    const gchar * uri, gint64 start)
{
  g_free (pl->preload_hint);
  pl->preload_hint = g_strdup (uri);
  pl->preload_hint_start = uri ? start : -1;
}

void
arcly_hls_playlist_set_preload_hint (ArclyHlsPlaylist * pl, const gchar * uri)
{
  arcly_hls_playlist_set_preload_hint_range (pl, uri, -1);
}

static guint target_duration (ArclyHlsPlaylist * pl);

gboolean
arcly_hls_playlist_end_segment (ArclyHlsPlaylist * pl, const gchar * uri,
    gdouble duration)
{
  ArclyHlsSegment *seg = pl->open;

  if (seg == NULL || uri == NULL)
    return FALSE;
  pl->open = NULL;
  seg->uri = g_strdup (uri);
  seg->duration = to_millis (duration);
  pl->max_rounded = MAX (pl->max_rounded,
      arcly_hls_playlist_round_duration (seg->duration));
  g_queue_push_tail (&pl->segments, seg);

  /* RFC 6.2.2: slide the live window, but never below three target
   * durations of media.  Removing a segment removes the
   * EXT-X-DISCONTINUITY tag before it, which the discontinuity sequence
   * must account for. */
  if (pl->cfg.type == ARCLY_HLS_PLAYLIST_LIVE && pl->cfg.window > 0) {
    gdouble total = arcly_hls_playlist_get_duration (pl);
    gdouble min_total = 3.0 * target_duration (pl);

    while (g_queue_get_length (&pl->segments) > pl->cfg.window) {
      ArclyHlsSegment *old = g_queue_peek_head (&pl->segments);

      if (total - old->duration < min_total - 0.0005)
        break;
      total -= old->duration;
      g_queue_pop_head (&pl->segments);
      if (old->discontinuity)
        pl->discontinuity_seq++;
      segment_free (old);
    }
  }
  return TRUE;
}

void
arcly_hls_playlist_end (ArclyHlsPlaylist * pl)
{
  segment_free (pl->open);
  pl->open = NULL;
  g_free (pl->preload_hint);
  pl->preload_hint = NULL;
  pl->ended = TRUE;
}

guint64
arcly_hls_playlist_get_media_sequence (ArclyHlsPlaylist * pl)
{
  ArclyHlsSegment *first = g_queue_peek_head (&pl->segments);

  if (first != NULL)
    return first->msn;
  if (pl->open != NULL)
    return pl->open->msn;
  return pl->next_msn;
}

gdouble
arcly_hls_playlist_get_duration (ArclyHlsPlaylist * pl)
{
  gdouble total = 0.0;
  GList *l;

  for (l = pl->segments.head; l != NULL; l = l->next)
    total += ((ArclyHlsSegment *) l->data)->duration;
  return total;
}

guint
arcly_hls_playlist_get_n_segments (ArclyHlsPlaylist * pl)
{
  return g_queue_get_length (&pl->segments);
}

static gboolean
low_latency (ArclyHlsPlaylist * pl)
{
  return pl->cfg.part_target > 0.0 && pl->cfg.type != ARCLY_HLS_PLAYLIST_VOD;
}

/* The oldest completed segment whose parts are still written: those that
 * start within three target durations of the end of the playlist, the
 * open segment's parts included (bis 6.2.2). */
static GList *
first_segment_with_parts (ArclyHlsPlaylist * pl, guint target)
{
  GList *l, *first = NULL;
  gdouble span = 0.0, limit = PARTS_KEPT_TARGET_DURATIONS * target;
  guint i;

  if (!low_latency (pl))
    return NULL;
  if (pl->open != NULL && !pl->ended)
    for (i = 0; i < pl->open->parts->len; i++)
      span += ((ArclyHlsPart *) g_ptr_array_index (pl->open->parts,
              i))->duration;
  for (l = pl->segments.tail; l != NULL; l = l->prev) {
    ArclyHlsSegment *seg = l->data;

    span += seg->duration;
    if (span > limit + 0.0005)
      break;
    first = l;
  }
  return first;
}

static guint
target_duration (ArclyHlsPlaylist * pl)
{
  return MAX (pl->cfg.target_duration, pl->max_rounded);
}

guint64
arcly_hls_playlist_get_first_part_sequence (ArclyHlsPlaylist * pl)
{
  GList *l = first_segment_with_parts (pl, target_duration (pl));

  if (l != NULL)
    return ((ArclyHlsSegment *) l->data)->msn;
  if (pl->open != NULL)
    return pl->open->msn;
  return pl->next_msn;
}

static void
append_seconds (GString * s, gdouble seconds)
{
  gchar buf[G_ASCII_DTOSTR_BUF_SIZE];

  g_string_append (s, g_ascii_formatd (buf, sizeof (buf), "%.3f",
          to_millis (seconds)));
}

/* RFC 4.3.2.6: ISO 8601 with milliseconds and a time zone. */
static void
append_pdt (GString * s, gint64 pdt_us)
{
  GDateTime *dt = g_date_time_new_from_unix_utc (pdt_us / G_USEC_PER_SEC);

  if (dt == NULL)
    return;
  g_string_append (s, "#EXT-X-PROGRAM-DATE-TIME:");
  g_string_append_printf (s, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ\n",
      g_date_time_get_year (dt), g_date_time_get_month (dt),
      g_date_time_get_day_of_month (dt), g_date_time_get_hour (dt),
      g_date_time_get_minute (dt), g_date_time_get_second (dt),
      (gint) ((pdt_us % G_USEC_PER_SEC) / 1000));
  g_date_time_unref (dt);
}

static void
append_parts (GString * s, ArclyHlsSegment * seg)
{
  guint i;

  for (i = 0; i < seg->parts->len; i++) {
    ArclyHlsPart *part = g_ptr_array_index (seg->parts, i);

    g_string_append (s, "#EXT-X-PART:DURATION=");
    append_seconds (s, part->duration);
    g_string_append_printf (s, ",URI=\"%s\"", part->uri);
    /* bis 4.4.4.9: BYTERANGE="<length>[@<offset>]" */
    if (part->offset >= 0)
      g_string_append_printf (s, ",BYTERANGE=\"%" G_GUINT64_FORMAT "@%"
          G_GINT64_FORMAT "\"", part->length, part->offset);
    g_string_append_printf (s, "%s\n", part->independent ?
        ",INDEPENDENT=YES" : "");
  }
}

/* The tags that precede a segment (or the parts of the open one). */
static void
append_segment_tags (GString * s, ArclyHlsPlaylist * pl, ArclyHlsSegment * seg,
    const gchar ** last_map)
{
  if (seg->discontinuity)
    g_string_append (s, "#EXT-X-DISCONTINUITY\n");
  /* RFC 4.3.2.5: EXT-X-MAP applies to every following segment until the
   * next one; write it where it changes (and always for the first). */
  if (seg->map_uri != NULL && g_strcmp0 (seg->map_uri, *last_map) != 0) {
    g_string_append_printf (s, "#EXT-X-MAP:URI=\"%s\"\n", seg->map_uri);
    *last_map = seg->map_uri;
  }
  if (seg->pdt_us >= 0)
    append_pdt (s, seg->pdt_us);
}

gchar *
arcly_hls_playlist_render (ArclyHlsPlaylist * pl)
{
  GString *s = g_string_sized_new (1024);
  guint target = target_duration (pl);
  gboolean ll = low_latency (pl);
  GList *l, *parts_from = first_segment_with_parts (pl, target);
  gboolean with_parts = FALSE;
  const gchar *last_map = NULL;
  gdouble part_target = MAX (pl->cfg.part_target, pl->max_part);

  g_string_append (s, "#EXTM3U\n");
  /* RFC 7: version 6 for EXT-X-MAP without I-frames-only; 3 for decimal
   * EXTINF.  LL-HLS players expect at least 6 too. */
  g_string_append_printf (s, "#EXT-X-VERSION:%d\n",
      (pl->uses_map || ll) ? 6 : 3);
  g_string_append_printf (s, "#EXT-X-TARGETDURATION:%u\n", target);
  if (pl->cfg.type == ARCLY_HLS_PLAYLIST_EVENT)
    g_string_append (s, "#EXT-X-PLAYLIST-TYPE:EVENT\n");
  else if (pl->cfg.type == ARCLY_HLS_PLAYLIST_VOD)
    g_string_append (s, "#EXT-X-PLAYLIST-TYPE:VOD\n");
  if (ll) {
    g_string_append (s, "#EXT-X-SERVER-CONTROL:");
    if (pl->cfg.blocking_reload)
      g_string_append (s, "CAN-BLOCK-RELOAD=YES,");
    g_string_append (s, "PART-HOLD-BACK=");
    append_seconds (s, PART_HOLD_BACK_FACTOR * part_target);
    g_string_append (s, "\n#EXT-X-PART-INF:PART-TARGET=");
    append_seconds (s, part_target);
    g_string_append_c (s, '\n');
  }
  g_string_append_printf (s, "#EXT-X-MEDIA-SEQUENCE:%" G_GUINT64_FORMAT "\n",
      arcly_hls_playlist_get_media_sequence (pl));
  g_string_append_printf (s,
      "#EXT-X-DISCONTINUITY-SEQUENCE:%" G_GUINT64_FORMAT "\n",
      pl->discontinuity_seq);
  if (pl->cfg.independent_segments)
    g_string_append (s, "#EXT-X-INDEPENDENT-SEGMENTS\n");

  for (l = pl->segments.head; l != NULL; l = l->next) {
    ArclyHlsSegment *seg = l->data;

    if (l == parts_from)
      with_parts = TRUE;
    append_segment_tags (s, pl, seg, &last_map);
    if (with_parts)
      append_parts (s, seg);
    g_string_append (s, "#EXTINF:");
    append_seconds (s, seg->duration);
    g_string_append_printf (s, ",\n%s\n", seg->uri);
  }

  if (ll && !pl->ended) {
    if (pl->open != NULL && pl->open->parts->len > 0) {
      append_segment_tags (s, pl, pl->open, &last_map);
      append_parts (s, pl->open);
    }
    if (pl->preload_hint != NULL) {
      g_string_append_printf (s,
          "#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"%s\"", pl->preload_hint);
      /* bis 4.4.5.3: the hinted part starts there, its end is open */
      if (pl->preload_hint_start >= 0)
        g_string_append_printf (s, ",BYTERANGE-START=%" G_GINT64_FORMAT,
            pl->preload_hint_start);
      g_string_append_c (s, '\n');
    }
  }
  if (pl->ended)
    g_string_append (s, "#EXT-X-ENDLIST\n");

  return g_string_free (s, FALSE);
}
