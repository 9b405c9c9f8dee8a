/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One camera's HLS output in memory (see restream-store.h).
 *
 * Threads: the sink's streaming thread opens, writes, closes and deletes
 * (the signal handlers); the origin's main thread looks objects up.  They
 * meet in store->lock, which guards the object table and the usage
 * counters and is held only to change or read them (never across a file
 * write, a signal or a callback); it is the only lock here.  A stream
 * belongs to the streaming thread until it is closed; a complete
 * RestreamObject is immutable and reference counted, so a response keeps
 * sending it after the sink deleted it.  The wake-up is a GSource whose
 * ready time the streaming thread sets (g_source_set_ready_time is
 * thread-safe and wakes the context): several closes before the main loop
 * runs make one call.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "restream-store.h"

#include <string.h>

#include <sys/stat.h>

#include <glib/gstdio.h>

#include "hlsfile.h"

struct _RestreamStore
{
  gint ref;                     /* atomic */
  gboolean memory;
  gchar *dir;                   /* disk copy (memory) or the files (files) */
  GSource *wake;                /* NULL for a files store */
  gint waiting;                 /* atomic: a request is held */
  RestreamStoreReadyFunc ready;
  gpointer user_data;

  GMutex lock;
  GHashTable *objects;          /* name -> RestreamObject; lock */
  guint64 bytes, max_bytes;     /* lock */
  gboolean disk_error_said;     /* lock */
};

static RestreamStore *
store_ref (RestreamStore * store)
{
  g_atomic_int_inc (&store->ref);
  return store;
}

static void
store_unref (gpointer data)
{
  RestreamStore *store = data;

  if (!g_atomic_int_dec_and_test (&store->ref))
    return;
  if (store->wake)
    g_source_unref (store->wake);
  g_hash_table_unref (store->objects);
  g_mutex_clear (&store->lock);
  g_free (store->dir);
  g_free (store);
}

/* ------------------------------------------------------------- objects */

RestreamObject *
restream_object_ref (RestreamObject * obj)
{
  g_atomic_rc_box_acquire (obj);
  return obj;
}

static void
object_clear (gpointer data)
{
  RestreamObject *obj = data;

  g_bytes_unref (obj->body);
  g_free (obj->etag);
}

void
restream_object_unref (RestreamObject * obj)
{
  if (obj)
    g_atomic_rc_box_release_full (obj, object_clear);
}

/* Takes @data (g_malloc'ed, @len bytes and room for one more). */
static RestreamObject *
object_new (const gchar * name, guint8 * data, gsize len, gint64 modified_us,
    const gchar * etag)
{
  RestreamObject *obj = g_atomic_rc_box_new0 (RestreamObject);
  GBytes *whole;

  /* A NUL after the bytes: a playlist's text is the body itself. */
  data[len] = '\0';
  whole = g_bytes_new_take (data, len + 1);
  obj->body = g_bytes_new_from_bytes (whole, 0, len);
  g_bytes_unref (whole);
  obj->modified = modified_us / G_USEC_PER_SEC;
  obj->etag = etag ? g_strdup (etag) : g_strdup_printf ("\"%"
      G_GINT64_MODIFIER "x-%" G_GSIZE_MODIFIER "x\"", modified_us, len);
  obj->is_playlist = g_str_has_suffix (name, ".m3u8");
  if (obj->is_playlist)
    obj->playlist_ok = restream_playlist_parse ((const gchar *) data,
        &obj->info);
  return obj;
}

/* A part is named after its segment with its index before the extension
 * (segment00012.3.m4s): a second dot. */
static gboolean
name_is_part (const gchar * name)
{
  const gchar *dot = strchr (name, '.');

  return dot && strchr (dot + 1, '.') != NULL;
}

static void
store_publish (RestreamStore * store, const gchar * name, const gchar * path,
    GByteArray * buf)
{
  gsize len = buf->len;
  RestreamObject *obj, *old;
  GError *error = NULL;

  g_byte_array_append (buf, (const guint8 *) "", 1);
  if (store->dir && path) {
    /* As the sink's default sync-mode: segments and init segments are
     * fsynced, parts and playlist rewrites are not. */
    gboolean sync = !name_is_part (name) && !g_str_has_suffix (name, ".m3u8");

    if (!arcly_hls_file_write_atomic_sync (path, buf->data, len, sync,
            &error)) {
      gboolean say;

      g_mutex_lock (&store->lock);
      say = !store->disk_error_said;
      store->disk_error_said = TRUE;
      g_mutex_unlock (&store->lock);
      if (say)
        g_printerr ("arcly-restream: cannot write %s (serving from memory "
            "goes on): %s\n", path, error->message);
      g_clear_error (&error);
    }
  }
  /* The array grew by doubling: give the slack back before keeping it
   * for the window (shrinking in place, no copy, for the allocator). */
  obj = object_new (name, g_realloc (g_byte_array_free (buf, FALSE), len + 1),
      len, g_get_real_time (), NULL);

  g_mutex_lock (&store->lock);
  old = g_hash_table_lookup (store->objects, name);
  if (old)
    store->bytes -= g_bytes_get_size (old->body);
  g_hash_table_replace (store->objects, g_strdup (name), obj);
  store->bytes += len;
  store->max_bytes = MAX (store->max_bytes, store->bytes);
  g_mutex_unlock (&store->lock);

  /* Nobody held: no main-loop wake-up (an eventfd write and read, a
   * poll) for each of the 5 parts a second. */
  if (store->wake && g_atomic_int_get (&store->waiting))
    g_source_set_ready_time (store->wake, 0);
}

void
restream_store_set_waiting (RestreamStore * store, gboolean waiting)
{
  g_atomic_int_set (&store->waiting, waiting ? 1 : 0);
}

/* ------------------------------------------------------------- streams */

#define RESTREAM_TYPE_STORE_STREAM (restream_store_stream_get_type ())
G_DECLARE_FINAL_TYPE (RestreamStoreStream, restream_store_stream, RESTREAM,
    STORE_STREAM, GOutputStream);

struct _RestreamStoreStream
{
  GOutputStream parent;
  RestreamStore *store;
  gchar *name;                  /* basename: what the playlist lists */
  gchar *path;                  /* in the disk folder, or NULL */
  GByteArray *buf;              /* NULL once published */
};

G_DEFINE_TYPE (RestreamStoreStream, restream_store_stream,
    G_TYPE_OUTPUT_STREAM);

static gssize
store_stream_write (GOutputStream * stream, const void *buffer, gsize count,
    GCancellable * cancellable, GError ** error)
{
  RestreamStoreStream *self = RESTREAM_STORE_STREAM (stream);

  g_byte_array_append (self->buf, buffer, count);
  return count;
}

static gboolean
store_stream_close (GOutputStream * stream, GCancellable * cancellable,
    GError ** error)
{
  RestreamStoreStream *self = RESTREAM_STORE_STREAM (stream);

  store_publish (self->store, self->name, self->path, self->buf);
  self->buf = NULL;
  return TRUE;
}

static void
restream_store_stream_finalize (GObject * object)
{
  RestreamStoreStream *self = RESTREAM_STORE_STREAM (object);

  if (self->buf)
    g_byte_array_unref (self->buf);
  store_unref (self->store);
  g_free (self->name);
  g_free (self->path);
  G_OBJECT_CLASS (restream_store_stream_parent_class)->finalize (object);
}

static void
restream_store_stream_class_init (RestreamStoreStreamClass * klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GOutputStreamClass *stream_class = G_OUTPUT_STREAM_CLASS (klass);

  object_class->finalize = restream_store_stream_finalize;
  stream_class->write_fn = store_stream_write;
  stream_class->close_fn = store_stream_close;
}

static void
restream_store_stream_init (RestreamStoreStream * self)
{
}

/* ------------------------------------------------- the sink's signals */

static GOutputStream *
on_get_stream (GObject * sink, const gchar * location, RestreamStore * store)
{
  RestreamStoreStream *s = g_object_new (RESTREAM_TYPE_STORE_STREAM, NULL);

  s->store = store_ref (store);
  s->name = g_path_get_basename (location);
  s->path = store->dir ? g_build_filename (store->dir, s->name, NULL) : NULL;
  s->buf = g_byte_array_new ();
  return G_OUTPUT_STREAM (s);
}

static void
on_delete_fragment (GObject * sink, const gchar * location,
    RestreamStore * store)
{
  gchar *name = g_path_get_basename (location);
  RestreamObject *obj;

  g_mutex_lock (&store->lock);
  obj = g_hash_table_lookup (store->objects, name);
  if (obj) {
    store->bytes -= g_bytes_get_size (obj->body);
    g_hash_table_remove (store->objects, name);
  }
  g_mutex_unlock (&store->lock);
  if (store->dir) {
    gchar *path = g_build_filename (store->dir, name, NULL);

    g_unlink (path);
    g_free (path);
  }
  g_free (name);
}

void
restream_store_attach (RestreamStore * store, GObject * hlssink)
{
  g_return_if_fail (store->memory);

  g_signal_connect_data (hlssink, "get-playlist-stream",
      G_CALLBACK (on_get_stream), store_ref (store),
      (GClosureNotify) store_unref, 0);
  g_signal_connect_data (hlssink, "get-fragment-stream",
      G_CALLBACK (on_get_stream), store_ref (store),
      (GClosureNotify) store_unref, 0);
  g_signal_connect_data (hlssink, "delete-fragment",
      G_CALLBACK (on_delete_fragment), store_ref (store),
      (GClosureNotify) store_unref, 0);
}

/* ------------------------------------------------------------- public */

static gboolean
wake_dispatch (GSource * source, GSourceFunc callback, gpointer user_data)
{
  /* Reset first: a close while the callback runs wakes it again. */
  g_source_set_ready_time (source, -1);
  return callback (user_data);
}

static GSourceFuncs wake_funcs = { NULL, NULL, wake_dispatch, NULL, };

static gboolean
wake_callback (gpointer user_data)
{
  RestreamStore *store = user_data;

  if (store->ready)
    store->ready (store->user_data);
  return G_SOURCE_CONTINUE;
}

static RestreamStore *
store_new (const gchar * dir, gboolean memory)
{
  RestreamStore *store = g_new0 (RestreamStore, 1);

  store->ref = 1;
  store->memory = memory;
  store->dir = g_strdup (dir);
  g_mutex_init (&store->lock);
  store->objects = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      (GDestroyNotify) restream_object_unref);
  return store;
}

RestreamStore *
restream_store_new (const gchar * disk_dir, GMainContext * context,
    RestreamStoreReadyFunc ready, gpointer user_data)
{
  RestreamStore *store = store_new (disk_dir, TRUE);

  store->ready = ready;
  store->user_data = user_data;
  store->wake = g_source_new (&wake_funcs, sizeof (GSource));
  g_source_set_name (store->wake, "restream-store-wake");
  g_source_set_ready_time (store->wake, -1);
  g_source_set_callback (store->wake, wake_callback, store, NULL);
  g_source_attach (store->wake, context);
  return store;
}

RestreamStore *
restream_store_new_files (const gchar * dir)
{
  return store_new (dir, FALSE);
}

gboolean
restream_store_is_memory (RestreamStore * store)
{
  return store->memory;
}

/* Media is validated by its size and time (it never changes), a playlist
 * by its bytes, as the file server did. */
RestreamObject *
restream_object_load_file (const gchar * path)
{
  gchar *data = NULL, *etag = NULL, *name;
  gsize len = 0;
  struct stat st;
  gint64 mtime_us;
  RestreamObject *obj;

  if (stat (path, &st) != 0 || !g_file_get_contents (path, &data, &len,
          NULL))
    return NULL;
  mtime_us = (gint64) st.st_mtim.tv_sec * G_USEC_PER_SEC +
      st.st_mtim.tv_nsec / 1000;
  data = g_realloc (data, len + 1);
  name = g_path_get_basename (path);
  /* File times tick with the kernel's coarse clock (a few ms): a playlist
   * rewritten within one tick keeps its time, so it is validated by its
   * bytes.  Media never changes under its name: validated by when it was
   * written, as memory objects are (NULL: object_new's). */
  if (g_str_has_suffix (name, ".m3u8"))
    etag = g_strdup_printf ("\"%x-%" G_GSIZE_MODIFIER "x\"",
        g_str_hash (data), len);
  obj = object_new (name, (guint8 *) data, len, mtime_us, etag);
  g_free (etag);
  g_free (name);
  return obj;
}

static RestreamObject *
lookup_file (RestreamStore * store, const gchar * name)
{
  gchar *path = g_build_filename (store->dir, name, NULL);
  RestreamObject *obj = restream_object_load_file (path);

  g_free (path);
  return obj;
}

RestreamObject *
restream_store_lookup (RestreamStore * store, const gchar * name)
{
  RestreamObject *obj;

  if (!store->memory)
    return lookup_file (store, name);
  g_mutex_lock (&store->lock);
  obj = g_hash_table_lookup (store->objects, name);
  if (obj)
    restream_object_ref (obj);
  g_mutex_unlock (&store->lock);
  return obj;
}

gboolean
restream_store_has (RestreamStore * store, const gchar * name)
{
  gboolean has;
  gchar *path;

  if (store->memory) {
    g_mutex_lock (&store->lock);
    has = g_hash_table_contains (store->objects, name);
    g_mutex_unlock (&store->lock);
    return has;
  }
  path = g_build_filename (store->dir, name, NULL);
  has = g_file_test (path, G_FILE_TEST_EXISTS);
  g_free (path);
  return has;
}

void
restream_store_get_usage (RestreamStore * store, guint * n_objects,
    guint64 * bytes, guint64 * max_bytes)
{
  g_mutex_lock (&store->lock);
  *n_objects = g_hash_table_size (store->objects);
  *bytes = store->bytes;
  *max_bytes = store->max_bytes;
  g_mutex_unlock (&store->lock);
}

void
restream_store_free (RestreamStore * store)
{
  if (store == NULL)
    return;
  if (store->wake)
    g_source_destroy (store->wake);
  store->ready = NULL;
  store_unref (store);
}
