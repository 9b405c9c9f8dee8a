/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * HLS media playlist writer (RFC 8216 and its second edition draft,
 * "8216bis", for Low-Latency HLS parts).  Pure code: the element feeds it
 * segments and parts as plain values and gets the playlist text back; no
 * I/O, no GStreamer element code.
 */

#ifndef __ARCLY_HLS_PLAYLIST_H__
#define __ARCLY_HLS_PLAYLIST_H__

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  ARCLY_HLS_PLAYLIST_LIVE = 0,  /* sliding window, no EXT-X-PLAYLIST-TYPE */
  ARCLY_HLS_PLAYLIST_EVENT = 1, /* grows, EXT-X-PLAYLIST-TYPE:EVENT */
  ARCLY_HLS_PLAYLIST_VOD = 2,   /* complete list, EXT-X-PLAYLIST-TYPE:VOD */
} ArclyHlsPlaylistType;

typedef struct _ArclyHlsPlaylist ArclyHlsPlaylist;

typedef struct {
  ArclyHlsPlaylistType type;
  /* Live window in segments (0 = keep all); it never slides below three
   * target durations of media (RFC 8216 6.2.2).  Ignored for event/vod. */
  guint window;
  /* Configured target duration in seconds (>= 1).  The written
   * EXT-X-TARGETDURATION is never below any rounded EXTINF. */
  guint target_duration;
  /* Part target in seconds; 0 turns Low-Latency HLS off. */
  gdouble part_target;
  /* Claim CAN-BLOCK-RELOAD=YES (only when something serves blocking
   * playlist reloads, see 8216bis 6.2.5.2). */
  gboolean blocking_reload;
  /* Write EXT-X-INDEPENDENT-SEGMENTS (every segment starts with a
   * keyframe). */
  gboolean independent_segments;
} ArclyHlsPlaylistConfig;

ArclyHlsPlaylist *arcly_hls_playlist_new (const ArclyHlsPlaylistConfig * config);
void arcly_hls_playlist_free (ArclyHlsPlaylist * pl);

/* Open a new (in-progress) segment.  Its parts are listed as they are added;
 * the segment itself (EXTINF) only once arcly_hls_playlist_end_segment()
 * is called.  @map_uri: EXT-X-MAP URI (fMP4 init segment) or NULL.
 * @pdt_us: wall-clock time of its first sample in microseconds since the
 * epoch, or -1 for no EXT-X-PROGRAM-DATE-TIME.  If a segment is still open,
 * it is dropped (its parts with it).  Returns the segment's media sequence
 * number. */
guint64 arcly_hls_playlist_begin_segment (ArclyHlsPlaylist * pl,
    gboolean discontinuity, const gchar * map_uri, gint64 pdt_us);

/* Add a part to the open segment (does nothing without one). */
void arcly_hls_playlist_add_part (ArclyHlsPlaylist * pl, const gchar * uri,
    gdouble duration, gboolean independent);

/* The same for a part that is bytes @offset.. (@length of them) of @uri
 * (BYTERANGE; @offset -1: the whole of @uri). */
void arcly_hls_playlist_add_part_range (ArclyHlsPlaylist * pl,
    const gchar * uri, gdouble duration, gboolean independent, gint64 offset,
    guint64 length);

/* URI of the part expected next (EXT-X-PRELOAD-HINT), or NULL. */
void arcly_hls_playlist_set_preload_hint (ArclyHlsPlaylist * pl,
    const gchar * uri);

/* The same for a part that will start at byte @start of @uri
 * (BYTERANGE-START; -1: none). */
void arcly_hls_playlist_set_preload_hint_range (ArclyHlsPlaylist * pl,
    const gchar * uri, gint64 start);

/* Complete the open segment: it is listed with EXTINF @duration and @uri.
 * Slides the live window.  Returns FALSE if no segment was open. */
gboolean arcly_hls_playlist_end_segment (ArclyHlsPlaylist * pl,
    const gchar * uri, gdouble duration);

/* Add EXT-X-ENDLIST (no preload hint, no open segment from now on). */
void arcly_hls_playlist_end (ArclyHlsPlaylist * pl);

/* Media sequence number of the first listed segment. */
guint64 arcly_hls_playlist_get_media_sequence (ArclyHlsPlaylist * pl);

/* Oldest media sequence number whose parts are still listed (segments
 * before it have had their EXT-X-PART lines removed).  Equals the open
 * segment's (or next) sequence number if no parts are listed. */
guint64 arcly_hls_playlist_get_first_part_sequence (ArclyHlsPlaylist * pl);

/* Total duration in seconds of the completed segments listed. */
gdouble arcly_hls_playlist_get_duration (ArclyHlsPlaylist * pl);

/* Number of completed segments listed. */
guint arcly_hls_playlist_get_n_segments (ArclyHlsPlaylist * pl);

/* The playlist text (UTF-8, '\n' line ends).  Free with g_free. */
gchar *arcly_hls_playlist_render (ArclyHlsPlaylist * pl);

/* Seconds needed as integer EXT-X-TARGETDURATION for @duration
 * (RFC 8216 4.3.3.1: EXTINF rounded to the nearest integer). */
guint arcly_hls_playlist_round_duration (gdouble duration);

G_END_DECLS

#endif /* __ARCLY_HLS_PLAYLIST_H__ */
