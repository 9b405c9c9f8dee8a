/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The Low-Latency HLS origin of arcly-restream: answers /cam/NAME/FILE
 * from each camera's RestreamStore (restream-store.h), holds blocking
 * playlist reloads (_HLS_msn/_HLS_part, RFC 8216bis §6.2.5.2) and
 * preload-hint part requests until the writer produced what they ask for,
 * and sets what an HTTP cache in front needs (Cache-Control per object,
 * ETag / Last-Modified, 304 to If-None-Match / If-Modified-Since, see
 * docs/deploy/).
 *
 * Everything here runs on the thread of the main context (libsoup's); the
 * stores wake it from the sink's streaming thread.  Held requests cost no
 * work while they wait: one timer per camera (the oldest request's
 * deadline) and a pass over the camera's held requests when an object of
 * that camera completes.
 */

#ifndef __RESTREAM_ORIGIN_H__
#define __RESTREAM_ORIGIN_H__

#include <gio/gio.h>
#include <libsoup/soup.h>

#include "restream-store.h"

G_BEGIN_DECLS

typedef struct _RestreamOrigin RestreamOrigin;
typedef struct _RestreamOriginCamera RestreamOriginCamera;

/* @target_duration in s, @part_ms 0 for plain HLS: the cache times. */
RestreamOrigin * restream_origin_new (guint target_duration, guint part_ms);
void             restream_origin_free (RestreamOrigin * origin);

/* A camera whose objects come from memory (written to @disk_dir too when
 * not NULL), or, with @serve_files, from the files in @disk_dir as the
 * sink writes them (then the camera is woken by
 * restream_origin_camera_wake on the sink's messages). */
RestreamOriginCamera * restream_origin_camera_new (RestreamOrigin * origin,
                                                   const gchar * disk_dir,
                                                   gboolean serve_files);

/* A memory camera takes the bytes from @hlssink (an arclyhlssink). */
void             restream_origin_camera_attach (RestreamOriginCamera * cam,
                                                GObject * hlssink);

/* Settles the held requests against what exists now. */
void             restream_origin_camera_wake (RestreamOriginCamera * cam);

/* The camera's output is final (EOS or failure): requests are no longer
 * held for what will not come. */
void             restream_origin_camera_set_ended (RestreamOriginCamera * cam);

/* Held requests now; objects and bytes in memory, the most bytes held. */
guint            restream_origin_camera_get_n_held (RestreamOriginCamera * cam);
void             restream_origin_camera_get_usage (RestreamOriginCamera * cam,
                                                   guint * n_objects,
                                                   guint64 * bytes,
                                                   guint64 * max_bytes);

/* Answers 503 to the held requests and frees @cam. */
void             restream_origin_camera_free (RestreamOriginCamera * cam);

/* GET/HEAD of @file (a plain name, checked by the caller) of @cam; @query
 * as libsoup parsed it (may be NULL). */
void             restream_origin_serve (RestreamOriginCamera * cam,
                                        SoupServerMessage * msg,
                                        const gchar * file,
                                        GHashTable * query);

/* A static file (the player's scripts), validated, 304 when unchanged. */
void             restream_origin_serve_file (RestreamOrigin * origin,
                                             SoupServerMessage * msg,
                                             const gchar * path);

/* A 404 (or other status) nothing caches. */
void             restream_origin_respond_status (SoupServerMessage * msg,
                                                 guint status);

G_END_DECLS

#endif
