/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The LL-HLS origin of arcly-restream (see restream-origin.h).
 *
 * Only the main context's thread runs this file; no locks.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "restream-origin.h"
#include "restream-validators.h"

#include <string.h>

/* How long an answer to a blocking playlist request may be cached, in
 * target durations. */
#define BLOCKING_CACHE_TARGETS 3
/* RFC 8216bis §6.2.5.2: a server holding a blocking request answers 503
 * after three target durations. */
#define HOLD_TARGETS 3
#define PLAYLIST_NAME "playlist.m3u8"

struct _RestreamOrigin
{
  guint target_duration;        /* s */
  guint part_ms;
};

typedef struct _Waiter Waiter;

struct _RestreamOriginCamera
{
  RestreamOrigin *origin;
  RestreamStore *store;
  gboolean ended;
  GQueue waiters;               /* Waiter, oldest first = deadline order */
  guint timer_id;               /* the oldest waiter's deadline */
  gint64 timer_at;              /* monotonic µs the timer fires, 0: none */
};

struct _Waiter
{
  RestreamOriginCamera *cam;
  SoupServerMessage *msg;
  gchar *name;                  /* file name asked for */
  gint64 msn;                   /* -1: an object wait (preload hint) */
  gint64 part;                  /* -1: whole segment */
  gint64 deadline;              /* monotonic µs */
  GList link;                   /* in cam->waiters */
};

/* A playlist looked up once for a round of waiters: waking N viewers of
 * one camera takes one reference, not N lookups (or N file reads). */
typedef struct
{
  gchar *name;
  RestreamObject *obj;
} Round;

static void
round_clear (Round * r)
{
  g_free (r->name);
  restream_object_unref (r->obj);
  r->name = NULL;
  r->obj = NULL;
}

static RestreamObject *
round_playlist (RestreamOriginCamera * cam, Round * r, const gchar * name)
{
  if (r->name == NULL || strcmp (r->name, name) != 0) {
    round_clear (r);
    r->name = g_strdup (name);
    r->obj = restream_store_lookup (cam->store, name);
  }
  return r->obj && r->obj->playlist_ok ? r->obj : NULL;
}

/* ------------------------------------------------------------ answers */

static const gchar *
mime_for (const gchar * name)
{
  if (g_str_has_suffix (name, ".m3u8"))
    return "application/vnd.apple.mpegurl";
  if (g_str_has_suffix (name, ".m4s"))
    return "video/iso.segment";
  if (g_str_has_suffix (name, ".mp4"))
    return "video/mp4";
  if (g_str_has_suffix (name, ".ts"))
    return "video/mp2t";
  if (g_str_has_suffix (name, ".js"))
    return "text/javascript";
  if (g_str_has_suffix (name, ".html"))
    return "text/html; charset=utf-8";
  return "application/octet-stream";
}

/* Cache-Control of a 200 for @name, so an HTTP cache in front (see
 * docs/deploy/) can serve it: media (segments, parts, init segments) never
 * changes once its name exists; the answer to a blocking playlist request
 * (@blocking: it names _HLS_msn) never changes either, but the segments it
 * lists leave the window, so it is cached for a few target durations; a
 * plain playlist changes every part, so it is cached at most half a part
 * target (whole seconds: 0 for parts under 2 s). */
static gchar *
cache_control_for (RestreamOrigin * origin, const gchar * name,
    gboolean blocking)
{
  if (g_str_has_suffix (name, ".m4s") || g_str_has_suffix (name, ".mp4")
      || g_str_has_suffix (name, ".ts"))
    return g_strdup ("public, max-age=86400, immutable");
  if (!g_str_has_suffix (name, ".m3u8"))
    return g_strdup ("no-cache");
  if (blocking)
    return g_strdup_printf ("public, max-age=%u",
        BLOCKING_CACHE_TARGETS * origin->target_duration);
  return g_strdup_printf ("public, max-age=%u", origin->part_ms > 0 ?
      origin->part_ms / 2000 : origin->target_duration / 2);
}

void
restream_origin_respond_status (SoupServerMessage * msg, guint status)
{
  /* A name that does not exist yet (a part, a playlist) may exist a moment
   * later: nothing keeps this answer. */
  soup_message_headers_replace (soup_server_message_get_response_headers
      (msg), "Cache-Control", "no-store");
  soup_server_message_set_status (msg, status, NULL);
}

/* RFC 9110 §13.2.2: If-None-Match decides when present, otherwise
 * If-Modified-Since (whole seconds, as Last-Modified is sent). */
static gboolean
not_modified (SoupServerMessage * msg, const RestreamObject * obj)
{
  SoupMessageHeaders *req = soup_server_message_get_request_headers (msg);
  const gchar *inm = soup_message_headers_get_list (req, "If-None-Match");
  const gchar *ims;
  GDateTime *since;
  gboolean unchanged;

  if (inm)
    return restream_etag_list_matches (inm, strlen (inm), obj->etag);
  ims = soup_message_headers_get_one (req, "If-Modified-Since");
  if (ims == NULL || (since = soup_date_time_new_from_http_string (ims)) ==
      NULL)
    return FALSE;
  unchanged = g_date_time_to_unix (since) >= obj->modified;
  g_date_time_unref (since);
  return unchanged;
}

/* Answers @obj (its body shared, not copied: one object serves every
 * request it satisfies), typed, validated and cached by @name's kind; 304
 * when the client holds it already.  Content-Length, HEAD and Range (206
 * for a single range of the complete body) are libsoup's. */
static void
respond_object (SoupServerMessage * msg, const gchar * name,
    const RestreamObject * obj, const gchar * cache_control)
{
  SoupMessageHeaders *h = soup_server_message_get_response_headers (msg);
  GDateTime *dt = g_date_time_new_from_unix_utc (obj->modified);
  gchar *date = soup_date_time_to_string (dt, SOUP_DATE_HTTP);

  soup_message_headers_replace (h, "Cache-Control", cache_control);
  soup_message_headers_replace (h, "Access-Control-Allow-Origin", "*");
  soup_message_headers_replace (h, "ETag", obj->etag);
  soup_message_headers_replace (h, "Last-Modified", date);
  g_free (date);
  g_date_time_unref (dt);
  if (not_modified (msg, obj)) {
    soup_server_message_set_status (msg, SOUP_STATUS_NOT_MODIFIED, NULL);
    return;
  }
  soup_message_headers_replace (h, "Accept-Ranges", "bytes");
  soup_message_headers_set_content_type (h, mime_for (name), NULL);
  soup_message_body_append_bytes (soup_server_message_get_response_body
      (msg), obj->body);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
}

static void
respond_named (RestreamOrigin * origin, SoupServerMessage * msg,
    const gchar * name, const RestreamObject * obj, gboolean blocking)
{
  gchar *cc = cache_control_for (origin, name, blocking);

  respond_object (msg, name, obj, cc);
  g_free (cc);
}

void
restream_origin_serve_file (RestreamOrigin * origin, SoupServerMessage * msg,
    const gchar * path)
{
  RestreamObject *obj = restream_object_load_file (path);

  if (obj == NULL) {
    restream_origin_respond_status (msg, SOUP_STATUS_NOT_FOUND);
    return;
  }
  respond_named (origin, msg, path, obj, FALSE);
  restream_object_unref (obj);
}

/* ------------------------------------------------------- held requests */

/* The store wakes us after each new object only while a request is held. */
static void
update_waiting (RestreamOriginCamera * cam)
{
  restream_store_set_waiting (cam->store, cam->waiters.length > 0);
}


static gboolean
waiter_ready (RestreamOriginCamera * cam, const Waiter * w,
    const RestreamObject * playlist)
{
  if (w->msn < 0)
    return restream_store_has (cam->store, w->name);
  return playlist && restream_playlist_has (&playlist->info, w->msn,
      w->part);
}

/* Answers and frees @w: with @playlist when given (the one that satisfied
 * it), else with its object as it is now when @status is 200, else with
 * @status. */
static void
waiter_finish (Waiter * w, const RestreamObject * playlist, guint status)
{
  RestreamOriginCamera *cam = w->cam;

  g_queue_unlink (&cam->waiters, &w->link);
  if (status == SOUP_STATUS_OK && playlist) {
    respond_named (cam->origin, w->msg, w->name, playlist, TRUE);
  } else if (status == SOUP_STATUS_OK) {
    RestreamObject *obj = restream_store_lookup (cam->store, w->name);

    if (obj)
      respond_named (cam->origin, w->msg, w->name, obj, FALSE);
    else
      restream_origin_respond_status (w->msg, SOUP_STATUS_NOT_FOUND);
    restream_object_unref (obj);
  } else {
    restream_origin_respond_status (w->msg, status);
  }
  soup_server_message_unpause (w->msg);
  g_object_unref (w->msg);
  g_free (w->name);
  g_free (w);
}

/* Will the part @name never be written?  True when the camera's playlist
 * lists the part's segment as complete without it: a preload hint names
 * the next part of the open segment, and when the segment closes at a
 * keyframe instead, that part never exists. */
static gboolean
part_will_never_come (RestreamOriginCamera * cam, const gchar * name,
    Round * r)
{
  RestreamObject *pl = round_playlist (cam, r, PLAYLIST_NAME);

  return pl && restream_playlist_part_state (g_bytes_get_data (pl->body,
          NULL), name) == RESTREAM_PART_NEVER;
}

/* Settles @w against what exists: answered when ready, 404 when its part
 * will never come (or the camera ended), 503 when @timed_out, left waiting
 * otherwise. */
static void
waiter_settle (Waiter * w, Round * r, gboolean timed_out)
{
  RestreamOriginCamera *cam = w->cam;

  if (w->msn >= 0) {
    RestreamObject *pl = round_playlist (cam, r, w->name);

    if (waiter_ready (cam, w, pl))
      waiter_finish (w, pl, SOUP_STATUS_OK);
    else if (timed_out || cam->ended)
      waiter_finish (w, NULL, SOUP_STATUS_SERVICE_UNAVAILABLE);
    return;
  }
  if (waiter_ready (cam, w, NULL))
    waiter_finish (w, NULL, SOUP_STATUS_OK);
  else if (cam->ended || part_will_never_come (cam, w->name, r))
    waiter_finish (w, NULL, SOUP_STATUS_NOT_FOUND);
  else if (timed_out)
    waiter_finish (w, NULL, SOUP_STATUS_SERVICE_UNAVAILABLE);
}

static void arm_timer (RestreamOriginCamera * cam);

static gboolean
on_timer (gpointer user_data)
{
  RestreamOriginCamera *cam = user_data;
  gint64 now = g_get_monotonic_time ();
  Round r = { 0, };
  Waiter *w;

  cam->timer_id = 0;
  cam->timer_at = 0;
  while ((w = g_queue_peek_head (&cam->waiters)) && w->deadline <= now)
    waiter_settle (w, &r, TRUE);
  round_clear (&r);
  update_waiting (cam);
  arm_timer (cam);
  return G_SOURCE_REMOVE;
}

/* One timer per camera, at the oldest held request's deadline (held
 * requests are queued in deadline order: they all wait as long). */
static void
arm_timer (RestreamOriginCamera * cam)
{
  Waiter *w = g_queue_peek_head (&cam->waiters);

  if (w == NULL || (cam->timer_id && cam->timer_at <= w->deadline))
    return;
  if (cam->timer_id)
    g_source_remove (cam->timer_id);
  cam->timer_at = w->deadline;
  cam->timer_id = g_timeout_add (MAX (0, (w->deadline -
              g_get_monotonic_time () + 999) / 1000), on_timer, cam);
}

static void
hold_request (RestreamOriginCamera * cam, SoupServerMessage * msg,
    const gchar * name, gint64 msn, gint64 part)
{
  Waiter *w = g_new0 (Waiter, 1);

  w->cam = cam;
  w->msg = g_object_ref (msg);
  w->name = g_strdup (name);
  w->msn = msn;
  w->part = part;
  w->deadline = g_get_monotonic_time () + (gint64) HOLD_TARGETS *
      cam->origin->target_duration * G_USEC_PER_SEC;
  w->link.data = w;
  g_queue_push_tail_link (&cam->waiters, &w->link);
  soup_server_message_pause (msg);
  arm_timer (cam);
}

void
restream_origin_camera_wake (RestreamOriginCamera * cam)
{
  GList *l = cam->waiters.head, *next;
  Round r = { 0, };

  for (; l; l = next) {
    next = l->next;
    waiter_settle (l->data, &r, FALSE);
  }
  round_clear (&r);
  update_waiting (cam);
}

static void
on_store_ready (gpointer user_data)
{
  restream_origin_camera_wake (user_data);
}

/* ------------------------------------------------------------ serving */

static void serve (RestreamOriginCamera * cam, SoupServerMessage * msg,
    const gchar * file, GHashTable * query);

void
restream_origin_serve (RestreamOriginCamera * cam, SoupServerMessage * msg,
    const gchar * file, GHashTable * query)
{
  /* before any lookup: what is stored from now on wakes us */
  restream_store_set_waiting (cam->store, TRUE);
  serve (cam, msg, file, query);
  update_waiting (cam);
}

static void
serve (RestreamOriginCamera * cam, SoupServerMessage * msg,
    const gchar * file, GHashTable * query)
{
  RestreamOrigin *origin = cam->origin;
  RestreamObject *obj;

  if (g_str_has_suffix (file, ".m3u8") && query &&
      g_hash_table_contains (query, "_HLS_msn")) {
    const gchar *msn_s = g_hash_table_lookup (query, "_HLS_msn");
    const gchar *part_s = g_hash_table_lookup (query, "_HLS_part");
    gint64 msn = g_ascii_strtoll (msn_s ? msn_s : "", NULL, 10);
    gint64 part = part_s ? g_ascii_strtoll (part_s, NULL, 10) : -1;
    Waiter probe = { cam, msg, (gchar *) file, msn, part, 0, };
    RestreamObject *pl;

    obj = restream_store_lookup (cam->store, file);
    pl = obj && obj->playlist_ok ? obj : NULL;
    /* §6.2.5.2: a request more than two segments ahead is a 400. */
    if (msn < 0 || (part_s && part < 0) ||
        (pl && msn > restream_playlist_next_msn (&pl->info) + 2))
      restream_origin_respond_status (msg, SOUP_STATUS_BAD_REQUEST);
    else if (pl && (waiter_ready (cam, &probe, pl) || cam->ended))
      respond_named (origin, msg, file, pl, TRUE);
    else if (pl == NULL && cam->ended)
      restream_origin_respond_status (msg, SOUP_STATUS_NOT_FOUND);
    else
      hold_request (cam, msg, file, msn, part);
    restream_object_unref (obj);
    return;
  }
  obj = restream_store_lookup (cam->store, file);
  if (obj) {
    respond_named (origin, msg, file, obj, FALSE);
    restream_object_unref (obj);
  } else if (!cam->ended && !g_str_has_suffix (file, ".m3u8")) {
    Round r = { 0, };

    /* Most likely the part of EXT-X-PRELOAD-HINT: hold it until written,
     * unless its segment already closed without it. */
    if (part_will_never_come (cam, file, &r))
      restream_origin_respond_status (msg, SOUP_STATUS_NOT_FOUND);
    else
      hold_request (cam, msg, file, -1, -1);
    round_clear (&r);
  } else {
    restream_origin_respond_status (msg, SOUP_STATUS_NOT_FOUND);
  }
}

/* ------------------------------------------------------------- public */

RestreamOrigin *
restream_origin_new (guint target_duration, guint part_ms)
{
  RestreamOrigin *origin = g_new0 (RestreamOrigin, 1);

  origin->target_duration = target_duration;
  origin->part_ms = part_ms;
  return origin;
}

void
restream_origin_free (RestreamOrigin * origin)
{
  g_free (origin);
}

RestreamOriginCamera *
restream_origin_camera_new (RestreamOrigin * origin, const gchar * disk_dir,
    gboolean serve_files)
{
  RestreamOriginCamera *cam = g_new0 (RestreamOriginCamera, 1);

  g_return_val_if_fail (!serve_files || disk_dir != NULL, NULL);
  cam->origin = origin;
  g_queue_init (&cam->waiters);
  if (serve_files)
    cam->store = restream_store_new_files (disk_dir);
  else
    cam->store = restream_store_new (disk_dir, NULL, on_store_ready, cam);
  return cam;
}

void
restream_origin_camera_attach (RestreamOriginCamera * cam, GObject * hlssink)
{
  if (restream_store_is_memory (cam->store))
    restream_store_attach (cam->store, hlssink);
}

void
restream_origin_camera_set_ended (RestreamOriginCamera * cam)
{
  cam->ended = TRUE;
  restream_origin_camera_wake (cam);
}

guint
restream_origin_camera_get_n_held (RestreamOriginCamera * cam)
{
  return cam->waiters.length;
}

void
restream_origin_camera_get_usage (RestreamOriginCamera * cam,
    guint * n_objects, guint64 * bytes, guint64 * max_bytes)
{
  restream_store_get_usage (cam->store, n_objects, bytes, max_bytes);
}

void
restream_origin_camera_free (RestreamOriginCamera * cam)
{
  Waiter *w;

  if (cam == NULL)
    return;
  while ((w = g_queue_peek_head (&cam->waiters)))
    waiter_finish (w, NULL, SOUP_STATUS_SERVICE_UNAVAILABLE);
  if (cam->timer_id)
    g_source_remove (cam->timer_id);
  restream_store_free (cam->store);
  g_free (cam);
}
