/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One camera's HLS output held in memory: every playlist, segment, part
 * and init segment that arclyhlssink hands over through its hlssink2-style
 * signals (get-playlist-stream, get-fragment-stream, delete-fragment), kept
 * until the sink lets it go, so memory is bounded by the live window as the
 * folder on disk would be.  An HTTP origin looks objects up by file name
 * and is woken, on its own main context, the moment the writer closed one:
 * no file-system events, no reading back.
 *
 * Optionally (a folder given) every object is also written to disk as it
 * completes, whole or not at all (temporary file + rename, as the sink
 * writes), and its file deleted with it: the same bytes in both places.
 *
 * A store can instead be "file-backed" (restream_store_new_files): lookups
 * read the folder the sink writes, as a plain file server does.  The origin
 * keeps that mode to compare the two (bench/origin.sh).
 */

#ifndef __RESTREAM_STORE_H__
#define __RESTREAM_STORE_H__

#include <gio/gio.h>

#include "restream-playlist.h"

G_BEGIN_DECLS

typedef struct _RestreamStore RestreamStore;

/* One complete object: immutable, shared by every response that sends it. */
typedef struct
{
  GBytes *body;                 /* the bytes; followed by a NUL (not counted) */
  gchar *etag;                  /* strong validator, quoted: "T-S", T the
                                 * µs (Unix, hex) the object was completed
                                 * (a file's mtime), S its size (hex); a
                                 * file store's playlist "H-S", H a hash */
  gint64 modified;              /* Unix time (s) it was completed */
  gboolean is_playlist;         /* name ends in .m3u8 */
  gboolean playlist_ok;         /* is_playlist and it parsed */
  RestreamPlaylistInfo info;    /* when playlist_ok */
} RestreamObject;

/* Called on the store's main context after one or more objects completed
 * (coalesced: one call for several closes in a row). */
typedef void (*RestreamStoreReadyFunc) (gpointer user_data);

/* A memory store; @disk_dir: also write every object there (NULL: memory
 * only, nothing touches the disk).  @ready runs on @context. */
RestreamStore * restream_store_new (const gchar * disk_dir,
                                    GMainContext * context,
                                    RestreamStoreReadyFunc ready,
                                    gpointer user_data);

/* A store that only reads the files in @dir (no signals, no memory). */
RestreamStore * restream_store_new_files (const gchar * dir);

gboolean        restream_store_is_memory (RestreamStore * store);

/* Connects the store to an arclyhlssink's three signals (memory stores
 * only).  The handlers run in the sink's streaming thread. */
void            restream_store_attach (RestreamStore * store,
                                       GObject * hlssink);

/* The object named @name (a file name, no folder), or NULL when it does not
 * exist or is not complete yet.  Free with restream_object_unref. */
RestreamObject * restream_store_lookup (RestreamStore * store,
                                        const gchar * name);

/* Whether a request is held for something this store will get (main
 * thread).  A memory store wakes its ready callback after each new object
 * only while one is: set it before looking the object up, so an object
 * stored meanwhile is either found or wakes the request. */
void            restream_store_set_waiting (RestreamStore * store,
                                            gboolean waiting);

/* Is @name complete (cheaper than a lookup)? */
gboolean        restream_store_has (RestreamStore * store,
                                    const gchar * name);

/* The file @path as an object (validated by its time and size, a playlist
 * by its bytes), or NULL when it cannot be read. */
RestreamObject * restream_object_load_file (const gchar * path);

RestreamObject * restream_object_ref (RestreamObject * obj);
void            restream_object_unref (RestreamObject * obj);

/* Objects and bytes held now, and the most ever held (memory stores). */
void            restream_store_get_usage (RestreamStore * store,
                                          guint * n_objects,
                                          guint64 * bytes,
                                          guint64 * max_bytes);

/* Stops waking; the store is freed once no stream the sink holds refers
 * to it anymore. */
void            restream_store_free (RestreamStore * store);

G_END_DECLS

#endif
