/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The socket layer of arclyrtspsrc (gst/arclyrtspsrc/rtspconn.c) against
 * a real TCP peer on 127.0.0.1: a read makes no file descriptor (GLib's
 * cancellable waits made and closed an eventfd per call: counted here by
 * wrapping eventfd() in this program), takes all the socket holds in one
 * call, and a blocked read returns as soon as the element cancels or
 * wakes it.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <dlfcn.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <gst/check/gstcheck.h>

#include "rtspconn.h"

/* ------------------------------------------------------------------ */
/* eventfd() calls made by the counted thread.  GLib makes a cancellable's
 * poll fd with eventfd(); this definition, in the executable, is the one
 * libglib's calls bind to, and it forwards to libc's. */

static GThread *counted_thread;
static gint eventfds_made;

int
eventfd (unsigned int initval, int flags)
{
  static int (*real) (unsigned int, int) = NULL;

  if (real == NULL)
    real = (int (*)(unsigned int, int)) dlsym (RTLD_NEXT, "eventfd");
  if (counted_thread && g_thread_self () == counted_thread)
    g_atomic_int_inc (&eventfds_made);
  return real (initval, flags);
}

/* ------------------------------------------------------------------ */
/* a connected pair: conn (the client under test) and server (its peer) */

typedef struct
{
  ArclyRtspConn conn;
  GSocketListener *listener;
  GSocketConnection *server;
  GSocket *server_socket;
  GCancellable *wake, *cancel;
  guint16 port;
} Pair;

static void
pair_connect (Pair * p)
{
  GError *err = NULL;

  /* the kernel completes the connection before accept() */
  fail_unless (arcly_rtsp_conn_open (&p->conn, "127.0.0.1", p->port,
          5 * G_TIME_SPAN_SECOND, p->cancel, &err), "connect: %s",
      err ? err->message : "?");
  p->server = g_socket_listener_accept (p->listener, NULL, NULL, &err);
  fail_unless (p->server != NULL, "accept: %s", err ? err->message : "?");
  p->server_socket = g_socket_connection_get_socket (p->server);
}

/* Closes both ends (the conn keeps its buffers and poll fds). */
static void
pair_disconnect (Pair * p)
{
  arcly_rtsp_conn_close (&p->conn);
  g_io_stream_close (G_IO_STREAM (p->server), NULL, NULL);
  g_clear_object (&p->server);
}

static void
pair_open (Pair * p)
{
  GInetAddress *lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  GSocketAddress *addr = g_inet_socket_address_new (lo, 0);
  GSocketAddress *bound = NULL;
  GError *err = NULL;

  memset (p, 0, sizeof *p);
  p->listener = g_socket_listener_new ();
  fail_unless (g_socket_listener_add_address (p->listener, addr,
          G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL, &bound, &err),
      "listen: %s", err ? err->message : "?");
  p->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_object_unref (bound);
  g_object_unref (addr);
  g_object_unref (lo);

  p->wake = g_cancellable_new ();
  p->cancel = g_cancellable_new ();
  pair_connect (p);
}

static void
pair_close (Pair * p)
{
  pair_disconnect (p);
  arcly_rtsp_conn_clear (&p->conn);
  g_socket_listener_close (p->listener);
  g_object_unref (p->listener);
  g_object_unref (p->wake);
  g_object_unref (p->cancel);
}

static void
server_send (Pair * p, const guint8 * data, gsize len)
{
  GError *err = NULL;

  while (len > 0) {
    gssize n = g_socket_send (p->server_socket, (const gchar *) data, len,
        NULL, &err);

    fail_unless (n > 0, "send: %s", err ? err->message : "?");
    data += n;
    len -= (gsize) n;
  }
}

/* Reads until @want bytes are pending (bounded: 5 s per read). */
static gsize
read_until (Pair * p, gsize want, guint * reads)
{
  gsize have = 0;

  while (have < want) {
    GError *err = NULL;
    gssize n = arcly_rtsp_conn_read (&p->conn, 5 * G_TIME_SPAN_SECOND, 0,
        p->wake, p->cancel, &err);

    fail_unless (n > 0, "read: %" G_GSSIZE_FORMAT " %s", n,
        err ? err->message : "timeout");
    (*reads)++;
    arcly_rtsp_conn_pending (&p->conn, &have);
  }
  return have;
}

#define PACKETS 300

/* 300 packets, each read on its own: the cancellables' poll fds are made
 * at the first read and never again, also across a reconnect (whose
 * connect waits on the held fd too). */
GST_START_TEST (test_read_makes_no_fd_per_call)
{
  Pair p;
  guint8 pkt[1404];
  guint i, reads = 0;

  counted_thread = g_thread_self ();
  pair_open (&p);
  for (i = 0; i < PACKETS; i++) {
    const guint8 *got;
    gsize len;

    memset (pkt, (int) (i & 0xff), sizeof pkt);
    pkt[0] = '$';
    server_send (&p, pkt, sizeof pkt);
    fail_unless_equals_int (read_until (&p, sizeof pkt, &reads), sizeof pkt);
    got = arcly_rtsp_conn_pending (&p.conn, &len);
    fail_unless (memcmp (got, pkt, sizeof pkt) == 0, "packet %u differs", i);
    arcly_rtsp_conn_consume (&p.conn, len);
    /* the first read made the cancellables' poll fds: count after it */
    if (i == 0)
      g_atomic_int_set (&eventfds_made, 0);
  }
  fail_unless (reads >= PACKETS);
  fail_unless_equals_int (g_atomic_int_get (&eventfds_made), 0);

  /* a reconnect on the same conn keeps them */
  pair_disconnect (&p);
  pair_connect (&p);
  server_send (&p, pkt, sizeof pkt);
  fail_unless_equals_int (read_until (&p, sizeof pkt, &reads), sizeof pkt);
  fail_unless_equals_int (g_atomic_int_get (&eventfds_made), 0);
  counted_thread = NULL;
  pair_close (&p);
}

GST_END_TEST;

/* What a read after a burst gets: everything the socket holds, at once. */
GST_START_TEST (test_read_takes_all_pending)
{
  Pair p;
  guint8 chunk[4000];
  guint i, reads = 0;
  gsize len;

  pair_open (&p);
  for (i = 0; i < 3; i++) {
    memset (chunk, 'a' + i, sizeof chunk);
    server_send (&p, chunk, sizeof chunk);
  }
  /* the loopback holds all 12,000 bytes once the last send returned
   * (they are within the first receive window) */
  fail_unless_equals_int (read_until (&p, 3 * sizeof chunk, &reads),
      3 * sizeof chunk);
  fail_unless_equals_int (reads, 1);
  fail_unless (arcly_rtsp_conn_pending (&p.conn, &len)[8000] == 'c');
  pair_close (&p);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* a read blocked on a silent socket, in a thread of its own */

typedef struct
{
  Pair *p;
  GMutex lock;
  GCond cond;
  gint64 not_before;            /* of the read (0 = not paced) */
  gint tid;
  gboolean done;
  gssize result;
  GError *err;
} Blocked;

static gpointer
blocked_read (gpointer data)
{
  Blocked *b = data;
  GError *err = NULL;
  gssize n;

  g_mutex_lock (&b->lock);
  b->tid = (gint) syscall (SYS_gettid);
  g_cond_broadcast (&b->cond);
  g_mutex_unlock (&b->lock);
  /* a minute: far longer than the test waits for the result */
  n = arcly_rtsp_conn_read (&b->p->conn, 60 * G_TIME_SPAN_SECOND,
      b->not_before, b->p->wake, b->p->cancel, &err);
  g_mutex_lock (&b->lock);
  b->result = n;
  b->err = err;
  b->done = TRUE;
  g_cond_broadcast (&b->cond);
  g_mutex_unlock (&b->lock);
  return NULL;
}

/* The thread's state in /proc: 'S' once it sleeps in poll(). */
static gchar
thread_state (gint tid)
{
  gchar *path = g_strdup_printf ("/proc/self/task/%d/stat", tid);
  gchar *text = NULL, *paren;
  gchar state = '?';

  if (g_file_get_contents (path, &text, NULL, NULL)
      && (paren = strrchr (text, ')')) && paren[1] == ' ')
    state = paren[2];
  g_free (text);
  g_free (path);
  return state;
}

/* Starts a read on a silent socket and returns once it sleeps. */
static GThread *
start_blocked (Blocked * b, Pair * p, gint64 not_before)
{
  GThread *t;
  gint64 until;

  memset (b, 0, sizeof *b);
  b->p = p;
  b->not_before = not_before;
  g_mutex_init (&b->lock);
  g_cond_init (&b->cond);
  t = g_thread_new ("blocked-read", blocked_read, b);
  g_mutex_lock (&b->lock);
  while (b->tid == 0)
    g_cond_wait (&b->cond, &b->lock);
  g_mutex_unlock (&b->lock);
  until = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;
  while (thread_state (b->tid) != 'S' && g_get_monotonic_time () < until)
    g_thread_yield ();
  fail_unless (thread_state (b->tid) == 'S', "the read never blocked");
  return t;
}

/* Waits for the read's return, at most 5 s of its 60 s timeout. */
static gboolean
wait_done (Blocked * b)
{
  gint64 until = g_get_monotonic_time () + 5 * G_TIME_SPAN_SECOND;
  gboolean done;

  g_mutex_lock (&b->lock);
  while (!b->done && g_cond_wait_until (&b->cond, &b->lock, until));
  done = b->done;
  g_mutex_unlock (&b->lock);
  return done;
}

GST_START_TEST (test_cancel_unblocks_read)
{
  Pair p;
  Blocked b;
  GThread *t;

  pair_open (&p);
  t = start_blocked (&b, &p, 0);
  g_cancellable_cancel (p.cancel);
  fail_unless (wait_done (&b), "cancel did not end the blocked read");
  g_thread_join (t);
  fail_unless_equals_int (b.result, -1);
  fail_unless (g_error_matches (b.err, G_IO_ERROR, G_IO_ERROR_CANCELLED));
  g_clear_error (&b.err);
  g_mutex_clear (&b.lock);
  g_cond_clear (&b.cond);
  pair_close (&p);
}

GST_END_TEST;

GST_START_TEST (test_wake_unblocks_read)
{
  Pair p;
  Blocked b;
  GThread *t;
  guint reads = 0;
  const guint8 hello[] = "RTSP/1.0 200 OK\r\n\r\n";

  pair_open (&p);
  t = start_blocked (&b, &p, 0);
  g_cancellable_cancel (p.wake);
  fail_unless (wait_done (&b), "wake did not end the blocked read");
  g_thread_join (t);
  /* a wake-up is not an error: 0, and the wake is re-armed */
  fail_unless_equals_int (b.result, 0);
  fail_unless (b.err == NULL);
  fail_if (g_cancellable_is_cancelled (p.wake));
  g_mutex_clear (&b.lock);
  g_cond_clear (&b.cond);

  /* the connection reads on */
  server_send (&p, hello, sizeof hello - 1);
  fail_unless_equals_int (read_until (&p, sizeof hello - 1, &reads),
      sizeof hello - 1);
  pair_close (&p);
}

GST_END_TEST;

/* A paced read (read-interval) takes, after its pause, what arrived
 * before and during it, in one call: a packet there when it started and
 * one sent while it slept come back together. */
GST_START_TEST (test_paced_read_takes_both)
{
  Pair p;
  Blocked b;
  GThread *t;
  guint8 pkt[1404];
  gsize len;

  pair_open (&p);
  memset (pkt, 'a', sizeof pkt);
  server_send (&p, pkt, sizeof pkt);
  /* 2 s: far longer than the test needs to send the second packet */
  t = start_blocked (&b, &p, g_get_monotonic_time () + 2 *
      G_TIME_SPAN_SECOND);
  memset (pkt, 'b', sizeof pkt);
  server_send (&p, pkt, sizeof pkt);
  g_thread_join (t);
  fail_unless (b.err == NULL, "read: %s", b.err ? b.err->message : "");
  fail_unless_equals_int (b.result, 2 * sizeof pkt);
  fail_unless (arcly_rtsp_conn_pending (&p.conn, &len)[sizeof pkt] == 'b');
  g_mutex_clear (&b.lock);
  g_cond_clear (&b.cond);
  pair_close (&p);
}

GST_END_TEST;

static gpointer
send_thread (gpointer data)
{
  Pair *p = data;
  gsize len = 3 * ARCLY_RTSP_CONN_READ_CHUNK + 1000;
  guint8 *buf = g_malloc (len);

  memset (buf, 'c', len);
  server_send (p, buf, len);
  g_free (buf);
  return NULL;
}

/* ... all of it, not one chunk: 3 chunks + 1000 bytes waiting come back in
 * one paced read (a read per chunk per interval capped a camera read every
 * 100 ms at 5 Mbit/s) */
GST_START_TEST (test_paced_read_takes_all)
{
  Pair p;
  Blocked b;
  GThread *t;
  gsize len, want = 3 * ARCLY_RTSP_CONN_READ_CHUNK + 1000;
  gint big = 1 << 20;

  pair_open (&p);
  /* room for all of it in the kernel before the read (the send times out
   * instead of hanging if not) */
  fail_unless (g_socket_set_option (p.conn.socket, SOL_SOCKET, SO_RCVBUF,
          big, NULL));
  fail_unless (g_socket_set_option (p.server_socket, SOL_SOCKET, SO_SNDBUF,
          big, NULL));
  g_socket_set_timeout (p.server_socket, 5);
  g_thread_join (g_thread_new ("send", send_thread, &p));
  t = start_blocked (&b, &p, g_get_monotonic_time () + 10 *
      G_TIME_SPAN_MILLISECOND);
  g_thread_join (t);
  fail_unless (b.err == NULL, "read: %s", b.err ? b.err->message : "");
  fail_unless_equals_int (b.result, want);
  arcly_rtsp_conn_pending (&p.conn, &len);
  fail_unless_equals_int (len, want);
  g_mutex_clear (&b.lock);
  g_cond_clear (&b.cond);
  pair_close (&p);
}

GST_END_TEST;

/* ... and its pause ends at once on stop (cancel) */
GST_START_TEST (test_cancel_unblocks_paced_read)
{
  Pair p;
  Blocked b;
  GThread *t;
  const guint8 pkt[] = "$\0\0\4abcd";

  pair_open (&p);
  server_send (&p, pkt, sizeof pkt - 1);
  t = start_blocked (&b, &p, g_get_monotonic_time () + 60 *
      G_TIME_SPAN_SECOND);
  g_cancellable_cancel (p.cancel);
  fail_unless (wait_done (&b), "cancel did not end the paced read");
  g_thread_join (t);
  fail_unless_equals_int (b.result, -1);
  fail_unless (g_error_matches (b.err, G_IO_ERROR, G_IO_ERROR_CANCELLED));
  g_clear_error (&b.err);
  g_mutex_clear (&b.lock);
  g_cond_clear (&b.cond);
  pair_close (&p);
}

GST_END_TEST;

static Suite *
rtspconn_suite (void)
{
  Suite *s = suite_create ("rtspconn");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_read_makes_no_fd_per_call);
  tcase_add_test (tc, test_read_takes_all_pending);
  tcase_add_test (tc, test_cancel_unblocks_read);
  tcase_add_test (tc, test_wake_unblocks_read);
  tcase_add_test (tc, test_paced_read_takes_both);
  tcase_add_test (tc, test_paced_read_takes_all);
  tcase_add_test (tc, test_cancel_unblocks_paced_read);
  return s;
}

GST_CHECK_MAIN (rtspconn);
