/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * arclyrtspsrc over rtsps:// against a real TLS peer: tools/arcly-testcam
 * (gst-rtsp-server, gst_rtsp_auth_set_tls_certificate()) serving a
 * certificate that openssl makes at test time in a temporary folder, signed
 * by a test CA.  Played with the CA in tls-database; refused without it
 * (one clear error naming the reason, no retry, no credentials in it) and
 * when the certificate names another host; played with validation turned
 * off explicitly; Digest auth, reconnect and a session longer than the
 * server's timeout over TLS; stopping during a TLS handshake the server
 * never answers; no socket or thread left after stop.
 *
 * GIO's TLS backend (glib-networking) is a requirement here, not an
 * option: without it this suite FAILS (scripts/arcly setup installs it).
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "arclyrtspsrc-common.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <signal.h>

#include "rtsptls.h"

#define USER "tlsuser"
#define PASS "S3cret-over-TLS"

/* ------------------------------------------------------------------ */
/* certificates, made by openssl in a temporary folder */

typedef struct
{
  gchar *dir;
  gchar *ca;                    /* the test CA's certificate (PEM) */
  gchar *cam_cert, *cam_key;    /* for 127.0.0.1, signed by the CA */
  gchar *other_cert, *other_key;        /* for camera.invalid, same CA */
  gchar *client_cert, *client_key;      /* a client's, same CA */
} Certs;

static void
openssl (const gchar * dir, const gchar * const *args)
{
  GPtrArray *argv = g_ptr_array_new ();
  gchar *out = NULL, *err = NULL;
  gint status = -1;
  GError *error = NULL;
  guint i;

  g_ptr_array_add (argv, (gpointer) "openssl");
  for (i = 0; args[i]; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  fail_unless (g_spawn_sync (dir, (gchar **) argv->pdata, NULL,
          G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status, &error),
      "openssl: %s", error ? error->message : "?");
  fail_unless (g_spawn_check_wait_status (status, NULL), "openssl %s: %s",
      args[0], err);
  g_ptr_array_unref (argv);
  g_free (out);
  g_free (err);
}

/* A key and a certificate for @cn with the extensions in @ext_lines
 * (openssl's -extfile syntax), signed by the CA. */
static void
make_leaf (Certs * c, const gchar * name, const gchar * cn,
    const gchar * ext_lines, gchar ** cert, gchar ** key)
{
  gchar *keyf = g_strconcat (name, ".key", NULL);
  gchar *csrf = g_strconcat (name, ".csr", NULL);
  gchar *pemf = g_strconcat (name, ".pem", NULL);
  gchar *extf = g_strconcat (name, ".ext", NULL);
  gchar *subj = g_strconcat ("/CN=", cn, NULL);
  gchar *ext = g_strdup_printf ("basicConstraints=CA:FALSE\n%s\n",
      ext_lines);
  gchar *extpath = g_build_filename (c->dir, extf, NULL);
  const gchar *req[] = { "req", "-new", "-newkey", "ec", "-pkeyopt",
    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", keyf, "-out", csrf,
    "-subj", subj, NULL
  };
  const gchar *sign[] = { "x509", "-req", "-in", csrf, "-CA", "ca.pem",
    "-CAkey", "ca.key", "-CAcreateserial", "-out", pemf, "-days", "2",
    "-extfile", extf, NULL
  };

  fail_unless (g_file_set_contents (extpath, ext, -1, NULL));
  openssl (c->dir, req);
  openssl (c->dir, sign);
  *cert = g_build_filename (c->dir, pemf, NULL);
  *key = g_build_filename (c->dir, keyf, NULL);
  g_free (keyf);
  g_free (csrf);
  g_free (pemf);
  g_free (extf);
  g_free (subj);
  g_free (ext);
  g_free (extpath);
}

static Certs *
certs_make (void)
{
  Certs *c = g_new0 (Certs, 1);
  const gchar *ca[] = { "req", "-x509", "-newkey", "ec", "-pkeyopt",
    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "ca.key", "-out",
    "ca.pem", "-days", "2", "-subj", "/CN=arcly test CA", "-addext",
    "basicConstraints=critical,CA:TRUE", "-addext",
    "keyUsage=critical,keyCertSign,cRLSign", NULL
  };

  c->dir = g_dir_make_tmp ("arcly-tls-XXXXXX", NULL);
  fail_unless (c->dir != NULL);
  openssl (c->dir, ca);
  c->ca = g_build_filename (c->dir, "ca.pem", NULL);
  make_leaf (c, "cam", "127.0.0.1", "subjectAltName=IP:127.0.0.1,"
      "DNS:localhost\nextendedKeyUsage=serverAuth", &c->cam_cert,
      &c->cam_key);
  make_leaf (c, "other", "camera.invalid", "subjectAltName=DNS:camera."
      "invalid\nextendedKeyUsage=serverAuth", &c->other_cert, &c->other_key);
  make_leaf (c, "client", "arcly client", "extendedKeyUsage=clientAuth",
      &c->client_cert, &c->client_key);
  return c;
}

static void
certs_free (Certs * c)
{
  GDir *d = g_dir_open (c->dir, 0, NULL);
  const gchar *n;

  while (d && (n = g_dir_read_name (d))) {
    gchar *p = g_build_filename (c->dir, n, NULL);

    g_unlink (p);
    g_free (p);
  }
  if (d)
    g_dir_close (d);
  g_rmdir (c->dir);
  g_free (c->dir);
  g_free (c->ca);
  g_free (c->cam_cert);
  g_free (c->cam_key);
  g_free (c->other_cert);
  g_free (c->other_key);
  g_free (c->client_cert);
  g_free (c->client_key);
  g_free (c);
}

static GTlsDatabase *
ca_database (Certs * c)
{
  GError *error = NULL;
  GTlsDatabase *db = g_tls_file_database_new (c->ca, &error);

  fail_unless (db != NULL, "CA database: %s", error ? error->message : "?");
  return db;
}

/* ------------------------------------------------------------------ */
/* the camera */

/* @auth "none" or "digest"; @cert/@key NULL for plain RTSP */
static ArclyTestCam *
start_cam (const gchar * auth, const gchar * cert, const gchar * key,
    const gchar * extra, const gchar * extra_value)
{
  const gchar *args[16] = { "--auth", auth, "--user", USER, "--password",
    PASS, "--gop", "30", NULL,
  };
  guint n = 8;
  GError *error = NULL;
  ArclyTestCam *cam;

  if (cert) {
    args[n++] = "--tls-cert";
    args[n++] = cert;
    args[n++] = "--tls-key";
    args[n++] = key;
  }
  if (extra) {
    args[n++] = extra;
    args[n++] = extra_value;
  }
  args[n] = NULL;
  cam = arcly_test_cam_start (args, &error);
  fail_unless (cam != NULL, "test camera did not start: %s",
      error ? error->message : "?");
  return cam;
}

static gboolean
cond_failed (Ctx * ctx, gpointer data)
{
  GstStructure *s = NULL;
  gboolean failed;

  g_object_get (ctx->src, "stats", &s, NULL);
  failed = g_strcmp0 (gst_structure_get_string (s, "state"), "failed") == 0;
  gst_structure_free (s);
  return failed && ctx->error != NULL;
}

/* Plays @ctx until data flows on every pad and returns. */
static void
play (Ctx * ctx, const gchar * what)
{
  fail_unless (gst_element_set_state (ctx->pipe, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  ctx_assert_flowing (ctx, 30, 20000, what);
  fail_unless_equals_int (ctx->pads->len, 2);
}

/* The error @ctx ended with: one, no retry before it, and the parts. */
static void
expect_final_error (Ctx * ctx, gint code, const gchar * text_part,
    const gchar * debug_part)
{
  GError *e = NULL;
  gchar *dbg = NULL;

  fail_unless (gst_element_set_state (ctx->pipe, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  fail_unless (ctx_run_until (ctx, cond_failed, NULL, 15000, TRUE),
      "no final error; warnings: %s", ctx->warnings->str);
  gst_message_parse_error (ctx->error, &e, &dbg);
  fail_unless (e->domain == GST_RESOURCE_ERROR && e->code == code,
      "error %s %d: %s", g_quark_to_string (e->domain), e->code, e->message);
  fail_unless (strstr (e->message, text_part) != NULL, "message: %s",
      e->message);
  fail_unless (dbg && strstr (dbg, debug_part) != NULL, "debug: %s", dbg);
  /* refused at once: no retry, no warning before it, no pad */
  fail_unless (ctx->reconnecting == 0 && ctx->n_warnings == 0,
      "retried before the error: %s", ctx->warnings->str);
  fail_unless_equals_int (ctx->pads->len, 0);
  /* the password never shows, in any text */
  fail_if (strstr (e->message, PASS) || strstr (dbg, PASS)
      || strstr (ctx->messages->str, PASS), "credentials leaked");
  g_error_free (e);
  g_free (dbg);
}

/* A GTlsInteraction that answers a server's certificate request with
 * the test client's certificate. */
#define TEST_TYPE_INTERACTION (test_interaction_get_type ())
G_DECLARE_FINAL_TYPE (TestInteraction, test_interaction, TEST, INTERACTION,
    GTlsInteraction);

struct _TestInteraction
{
  GTlsInteraction parent;
  GTlsCertificate *cert;
  gint asked;                   /* atomic */
};

G_DEFINE_TYPE (TestInteraction, test_interaction, G_TYPE_TLS_INTERACTION);

static GTlsInteractionResult
test_interaction_request_certificate (GTlsInteraction * interaction,
    GTlsConnection * connection, GTlsCertificateRequestFlags flags,
    GCancellable * cancellable, GError ** error)
{
  TestInteraction *self = TEST_INTERACTION (interaction);

  g_atomic_int_inc (&self->asked);
  g_tls_connection_set_certificate (connection, self->cert);
  return G_TLS_INTERACTION_HANDLED;
}

static void
test_interaction_finalize (GObject * object)
{
  g_clear_object (&TEST_INTERACTION (object)->cert);
  G_OBJECT_CLASS (test_interaction_parent_class)->finalize (object);
}

static void
test_interaction_class_init (TestInteractionClass * klass)
{
  G_OBJECT_CLASS (klass)->finalize = test_interaction_finalize;
  G_TLS_INTERACTION_CLASS (klass)->request_certificate =
      test_interaction_request_certificate;
}

static void
test_interaction_init (TestInteraction * self)
{
}

/* ------------------------------------------------------------------ */
/* tests */

GST_START_TEST (test_tls_backend_present)
{
  /* a missing backend is a broken install, never a skip */
  fail_unless (arcly_rtsp_tls_available (),
      "GIO has no TLS backend: install glib-networking (scripts/arcly "
      "setup does)");
}

GST_END_TEST;

GST_START_TEST (test_plays_with_ca_database)
{
  Certs *c = certs_make ();
  ArclyTestCam *cam = start_cam ("none", c->cam_cert, c->cam_key, NULL, NULL);
  Ctx *ctx = ctx_new (arcly_test_cam_get_url (cam));
  GTlsDatabase *db = ca_database (c);
  GstStructure *s = NULL;
  gint64 took;

  fail_unless (g_str_has_prefix (arcly_test_cam_get_url (cam), "rtsps://"));
  g_object_set (ctx->src, "tls-database", db, NULL);
  play (ctx, "rtsps with the CA");
  fail_unless (strstr (ctx->messages->str, "url=(string)rtsps://127.0.0.1"),
      "%s", ctx->messages->str);
  fail_unless (ctx->error == NULL);
  fail_unless_equals_int (ctx->reconnecting, 0);
  /* PTS keep going forward over the TLS reads */
  fail_unless_equals_int (ctx_pad (ctx, TRUE)->backwards, 0);
  fail_unless_equals_int (ctx_pad (ctx, TRUE)->disconts, 1);
  g_object_get (ctx->src, "stats", &s, NULL);
  fail_unless_equals_string (gst_structure_get_string (s, "state"),
      "playing");
  gst_structure_free (s);
  /* the camera freezes: the TLS read waits on a silent socket, TEARDOWN
   * and close_notify go to a peer that reads nothing; stopping is prompt */
  fail_unless (kill (arcly_test_cam_get_pid (cam), SIGSTOP) == 0);
  took = ctx_stop (ctx);
  kill (arcly_test_cam_get_pid (cam), SIGCONT);
  fail_unless (took < G_TIME_SPAN_SECOND, "stop took %" G_GINT64_FORMAT
      " us", took);
  ctx_free (ctx);
  g_object_unref (db);
  arcly_test_cam_free (cam);
  certs_free (c);
}

GST_END_TEST;

GST_START_TEST (test_refused_without_ca)
{
  Certs *c = certs_make ();
  ArclyTestCam *cam = start_cam ("digest", c->cam_cert, c->cam_key, NULL,
      NULL);
  gchar *url = arcly_test_cam_get_url_with_credentials (cam, USER, PASS);
  Ctx *ctx = ctx_new (url);

  /* the system's trust store does not know the test CA */
  g_object_set (ctx->src, "retry-backoff", 100, NULL);
  expect_final_error (ctx, GST_RESOURCE_ERROR_OPEN_READ,
      "not signed by a trusted authority (unknown CA)", "tls-database");
  ctx_free (ctx);
  g_free (url);
  arcly_test_cam_free (cam);
  certs_free (c);
}

GST_END_TEST;

GST_START_TEST (test_refused_bad_identity)
{
  Certs *c = certs_make ();
  ArclyTestCam *cam = start_cam ("none", c->other_cert, c->other_key, NULL,
      NULL);
  Ctx *ctx = ctx_new (arcly_test_cam_get_url (cam));
  GTlsDatabase *db = ca_database (c);

  /* a trusted CA, but the certificate is for camera.invalid */
  g_object_set (ctx->src, "tls-database", db, "retry-backoff", 100, NULL);
  expect_final_error (ctx, GST_RESOURCE_ERROR_OPEN_READ, "(bad identity)",
      "host name or address");
  ctx_free (ctx);
  g_object_unref (db);
  arcly_test_cam_free (cam);
  certs_free (c);
}

GST_END_TEST;

GST_START_TEST (test_plays_with_validation_off)
{
  Certs *c = certs_make ();
  ArclyTestCam *cam = start_cam ("none", c->cam_cert, c->cam_key, NULL, NULL);
  Ctx *ctx = ctx_new (arcly_test_cam_get_url (cam));
  GTlsCertificateFlags flags = 0;

  /* the default checks everything */
  g_object_get (ctx->src, "tls-validation-flags", &flags, NULL);
  fail_unless_equals_int (flags, G_TLS_CERTIFICATE_VALIDATE_ALL);
  /* the explicit opt-out, as from gst-launch-1.0 */
  gst_util_set_object_arg (G_OBJECT (ctx->src), "tls-validation-flags", "0");
  play (ctx, "rtsps, validation off");
  fail_unless (ctx->error == NULL);
  ctx_free (ctx);
  arcly_test_cam_free (cam);
  certs_free (c);
}

GST_END_TEST;

/* Flags name the errors that refuse: all but unknown-ca accepts a camera
 * whose only fault is an unknown CA, and still refuses another host's. */
GST_START_TEST (test_validation_flags_mask)
{
  Certs *c = certs_make ();
  ArclyTestCam *cam = start_cam ("none", c->cam_cert, c->cam_key, NULL, NULL);
  ArclyTestCam *other = start_cam ("none", c->other_cert, c->other_key, NULL,
      NULL);
  Ctx *ctx = ctx_new (arcly_test_cam_get_url (cam));

  gst_util_set_object_arg (G_OBJECT (ctx->src), "tls-validation-flags",
      "bad-identity+not-activated+expired+revoked+insecure+generic-error");
  play (ctx, "unknown CA tolerated");
  ctx_free (ctx);

  ctx = ctx_new (arcly_test_cam_get_url (other));
  gst_util_set_object_arg (G_OBJECT (ctx->src), "tls-validation-flags",
      "bad-identity+not-activated+expired+revoked+insecure+generic-error");
  expect_final_error (ctx, GST_RESOURCE_ERROR_OPEN_READ, "(bad identity)",
      "host name");
  ctx_free (ctx);
  arcly_test_cam_free (other);
  arcly_test_cam_free (cam);
  certs_free (c);
}

GST_END_TEST;

GST_START_TEST (test_digest_over_tls)
{
  Certs *c = certs_make ();
  ArclyTestCam *cam = start_cam ("digest", c->cam_cert, c->cam_key, NULL,
      NULL);
  gchar *url = arcly_test_cam_get_url_with_credentials (cam, USER, PASS);
  gchar *bad = arcly_test_cam_get_url_with_credentials (cam, USER, "wrong");
  GTlsDatabase *db = ca_database (c);
  Ctx *ctx = ctx_new (url);

  g_object_set (ctx->src, "tls-database", db, NULL);
  play (ctx, "Digest over TLS");
  fail_if (strstr (ctx->messages->str, PASS), "credentials leaked");
  ctx_free (ctx);

  ctx = ctx_new (bad);
  g_object_set (ctx->src, "tls-database", db, NULL);
  expect_final_error (ctx, GST_RESOURCE_ERROR_NOT_AUTHORIZED,
      "Not authorized", "credentials refused");
  ctx_free (ctx);
  g_object_unref (db);
  g_free (url);
  g_free (bad);
  arcly_test_cam_free (cam);
  certs_free (c);
}

GST_END_TEST;

/* The camera restarts on the same port: a new TLS connection, the same
 * pads, and the session outlives the server's 4 s timeout (keep-alive). */
GST_START_TEST (test_reconnect_and_keepalive_over_tls)
{
  Certs *c = certs_make ();
  ArclyTestCam *cam = start_cam ("digest", c->cam_cert, c->cam_key,
      "--session-timeout", "4");
  gchar *url = arcly_test_cam_get_url_with_credentials (cam, USER, PASS);
  GTlsDatabase *db = ca_database (c);
  Ctx *ctx = ctx_new (url);
  GError *err = NULL;

  g_object_set (ctx->src, "tls-database", db, "retry-backoff", 200, NULL);
  play (ctx, "before the restart");
  fail_unless (strstr (ctx->messages->str, "session-timeout=(uint)4"),
      "%s", ctx->messages->str);
  ctx_run_until (ctx, NULL, NULL, 6000, FALSE);
  ctx_assert_flowing (ctx, 20, 3000, "past the session timeout");
  fail_unless_equals_int (ctx->reconnecting, 0);

  fail_unless (arcly_test_cam_stop (cam) >= 0);
  fail_unless (arcly_test_cam_restart (cam, &err), "restart: %s",
      err ? err->message : "?");
  ctx_assert_flowing (ctx, 30, 20000, "after the restart");
  fail_unless (ctx->error == NULL);
  fail_unless (ctx->reconnecting >= 1);
  fail_unless_equals_int (ctx->connected, 2);
  fail_unless_equals_int (ctx->pads->len, 2);
  ctx_free (ctx);
  g_object_unref (db);
  g_free (url);
  arcly_test_cam_free (cam);
  certs_free (c);
}

GST_END_TEST;

/* rtsps:// to a plain RTSP port: a clear error, not a retry loop */
GST_START_TEST (test_plain_server_on_rtsps)
{
  ArclyTestCam *cam = start_cam ("none", NULL, NULL, NULL, NULL);
  gchar *url = g_strdup_printf ("rtsps://127.0.0.1:%u/cam",
      arcly_test_cam_get_port (cam));
  Ctx *ctx = ctx_new (url);

  g_object_set (ctx->src, "tls-validation-flags", 0, NULL);
  expect_final_error (ctx, GST_RESOURCE_ERROR_OPEN_READ,
      "TLS handshake with the server failed", url);
  ctx_free (ctx);
  g_free (url);
  arcly_test_cam_free (cam);
}

GST_END_TEST;

static guint
count_entries (const gchar * path)
{
  GDir *d = g_dir_open (path, 0, NULL);
  guint n = 0;

  fail_unless (d != NULL);
  while (g_dir_read_name (d))
    n++;
  g_dir_close (d);
  return n;
}

/* The number of open fds once GLib's worker threads dropped what they
 * held: the handshake runs as a GTask in GLib's pool, whose thread lets go
 * of the task (and of the cancellable's eventfd with it) just after the
 * caller has returned.  Waits for the count to hold still for 100 ms
 * (bounded: 3 s). */
static guint
settled_fd_count (void)
{
  gint64 deadline = g_get_monotonic_time () + 3 * G_TIME_SPAN_SECOND;
  gint64 since = g_get_monotonic_time ();
  guint n = count_entries ("/proc/self/fd");

  while (g_get_monotonic_time () < deadline) {
    guint now;

    g_usleep (5000);
    now = count_entries ("/proc/self/fd");
    if (now != n) {
      n = now;
      since = g_get_monotonic_time ();
    } else if (g_get_monotonic_time () - since >= 100000) {
      break;
    }
  }
  return n;
}

/* A server that accepts and reads the ClientHello, and never answers;
 * twice. */
typedef struct
{
  GSocketListener *listener;
  GMutex lock;
  GCond cond;
  guint hellos;                 /* ClientHellos received */
  GSocketConnection *conn;      /* the last one accepted */
} MuteServer;

static gpointer
mute_server_run (gpointer data)
{
  MuteServer *m = data;
  guint round;

  for (round = 0; round < 2; round++) {
    GSocketConnection *conn = g_socket_listener_accept (m->listener, NULL,
        NULL, NULL);
    guint8 buf[512];
    gssize n = -1;

    if (conn == NULL)
      break;
    n = g_input_stream_read (g_io_stream_get_input_stream (G_IO_STREAM
            (conn)), buf, sizeof (buf), NULL, NULL);
    g_mutex_lock (&m->lock);
    g_clear_object (&m->conn);
    m->conn = conn;
    /* a TLS handshake record (RFC 8446 §5.1: content type 22) */
    if (n > 0 && buf[0] == 22)
      m->hellos++;
    g_cond_broadcast (&m->cond);
    g_mutex_unlock (&m->lock);
  }
  return NULL;
}

/* The server never answers the handshake and the socket timeout is a
 * minute: stopping must cut the handshake short, and close its socket.
 * The first round starts GLib's process-wide helpers (their eventfds
 * stay); the second must leave the fds exactly as the first did. */
GST_START_TEST (test_stop_during_handshake)
{
  MuteServer m = { NULL, };
  GInetAddress *lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  GSocketAddress *addr = g_inet_socket_address_new (lo, 0), *bound = NULL;
  GThread *thread;
  gchar *url;
  guint round, fds = 0;

  m.listener = g_socket_listener_new ();
  fail_unless (g_socket_listener_add_address (m.listener, addr,
          G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL, &bound, NULL));
  g_mutex_init (&m.lock);
  g_cond_init (&m.cond);
  thread = g_thread_new ("mute-server", mute_server_run, &m);
  url = g_strdup_printf ("rtsps://127.0.0.1:%u/cam",
      g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));

  for (round = 0; round < 2; round++) {
    Ctx *ctx = ctx_new (url);
    gint64 took, deadline;

    g_object_set (ctx->src, "timeout", 60000, NULL);
    gst_element_set_state (ctx->pipe, GST_STATE_PLAYING);
    deadline = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;
    g_mutex_lock (&m.lock);
    while (m.hellos <= round
        && g_cond_wait_until (&m.cond, &m.lock, deadline));
    g_mutex_unlock (&m.lock);
    fail_unless_equals_int (m.hellos, round + 1);

    took = ctx_stop (ctx);
    fail_unless (took < 2 * G_TIME_SPAN_SECOND, "stop took %"
        G_GINT64_FORMAT " us", took);
    fail_unless (ctx->error == NULL);
    ctx_free (ctx);
    g_mutex_lock (&m.lock);
    g_clear_object (&m.conn);
    g_mutex_unlock (&m.lock);
    if (round == 0)
      fds = settled_fd_count ();
    else
      fail_unless_equals_int (settled_fd_count (), fds);
  }

  g_thread_join (thread);
  g_socket_listener_close (m.listener);
  g_object_unref (m.listener);
  g_mutex_clear (&m.lock);
  g_cond_clear (&m.cond);
  g_object_unref (bound);
  g_object_unref (addr);
  g_object_unref (lo);
  g_free (url);
}

GST_END_TEST;

/* Play and stop over TLS, again and again: every socket is closed and no
 * thread is left behind (GIO's shared worker threads are started by the
 * first round and reused by the others). */
GST_START_TEST (test_no_fd_or_thread_left)
{
  Certs *c = certs_make ();
  ArclyTestCam *cam = start_cam ("digest", c->cam_cert, c->cam_key, NULL,
      NULL);
  gchar *url = arcly_test_cam_get_url_with_credentials (cam, USER, PASS);
  GTlsDatabase *db = ca_database (c);
  guint fds = 0, threads = 0, round;

  for (round = 0; round < 4; round++) {
    Ctx *ctx = ctx_new (url);

    g_object_set (ctx->src, "tls-database", db, NULL);
    play (ctx, "round");
    ctx_free (ctx);
    if (round == 0) {
      fds = settled_fd_count ();
      threads = count_entries ("/proc/self/task");
      continue;
    }
    fail_unless_equals_int (settled_fd_count (), fds);
    fail_unless (count_entries ("/proc/self/task") <= threads,
        "round %u: %u threads, %u after the first", round,
        count_entries ("/proc/self/task"), threads);
  }
  g_object_unref (db);
  g_free (url);
  arcly_test_cam_free (cam);
  certs_free (c);
}

GST_END_TEST;

/* Without a TLS backend in GIO (no modules: GIO_MODULE_DIR at an empty
 * folder), an rtsps:// location is one clear error, in a gst-launch-1.0
 * of its own (the backend is chosen once per process). */
GST_START_TEST (test_no_backend_is_an_error)
{
  GSocketListener *listener = g_socket_listener_new ();
  GInetAddress *lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  GSocketAddress *addr = g_inet_socket_address_new (lo, 0), *bound = NULL;
  gchar *empty = g_dir_make_tmp ("arcly-no-gio-modules-XXXXXX", NULL);
  gchar **env = g_get_environ ();
  gchar *location, *out = NULL, *err = NULL;
  gint status = -1;
  GError *error = NULL;

  /* the kernel completes the TCP connect from the backlog: no accept */
  fail_unless (g_socket_listener_add_address (listener, addr,
          G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL, &bound, NULL));
  location = g_strdup_printf ("location=rtsps://127.0.0.1:%u/cam",
      g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  env = g_environ_setenv (env, "GIO_MODULE_DIR", empty, TRUE);
  env = g_environ_unsetenv (env, "GIO_EXTRA_MODULES");
  {
    const gchar *argv[] = { "timeout", "20", "gst-launch-1.0",
      "arclyrtspsrc", location, "!", "fakesink", NULL
    };

    fail_unless (g_spawn_sync (NULL, (gchar **) argv, env,
            G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status, &error),
        "gst-launch-1.0: %s", error ? error->message : "?");
  }
  /* gst-launch-1.0 prints the error on stderr, the rest on stdout */
  fail_if (g_spawn_check_wait_status (status, NULL), "no error: %s", out);
  fail_unless (strstr (err, "TLS is not available") != NULL
      && strstr (err, "install glib-networking") != NULL, "%s\n%s", out,
      err);
  fail_if (strstr (out, "retrying") || strstr (err, "retrying"),
      "retried: %s\n%s", out, err);

  g_rmdir (empty);
  g_free (empty);
  g_free (location);
  g_free (out);
  g_free (err);
  g_strfreev (env);
  g_socket_listener_close (listener);
  g_object_unref (listener);
  g_object_unref (bound);
  g_object_unref (addr);
  g_object_unref (lo);
}

GST_END_TEST;

/* A camera that wants a client certificate: tls-interaction hands it
 * over and the stream plays; without one, a clear error. */
GST_START_TEST (test_client_certificate_interaction)
{
  Certs *c = certs_make ();
  ArclyTestCam *cam = start_cam ("none", c->cam_cert, c->cam_key,
      "--tls-client-ca", c->ca);
  GTlsDatabase *db = ca_database (c);
  TestInteraction *ia = g_object_new (TEST_TYPE_INTERACTION, NULL);
  GError *error = NULL;
  Ctx *ctx = ctx_new (arcly_test_cam_get_url (cam));

  ia->cert = g_tls_certificate_new_from_files (c->client_cert, c->client_key,
      &error);
  fail_unless (ia->cert != NULL, "%s", error ? error->message : "?");
  g_object_set (ctx->src, "tls-database", db, "tls-interaction", ia, NULL);
  play (ctx, "with a client certificate");
  fail_unless (g_atomic_int_get (&ia->asked) >= 1);
  ctx_free (ctx);

  /* without: the server's "certificate required" is one clear error */
  ctx = ctx_new (arcly_test_cam_get_url (cam));
  g_object_set (ctx->src, "tls-database", db, "retry-backoff", 100, NULL);
  expect_final_error (ctx, GST_RESOURCE_ERROR_OPEN_READ,
      "asks for a client certificate", "tls-interaction");
  ctx_free (ctx);
  g_object_unref (ia);
  g_object_unref (db);
  arcly_test_cam_free (cam);
  certs_free (c);
}

GST_END_TEST;

GST_START_TEST (test_describe_errors)
{
  static const struct
  {
    GTlsCertificateFlags flags;
    const gchar *want;
  } cases[] = {
    {G_TLS_CERTIFICATE_UNKNOWN_CA,
        "not signed by a trusted authority (unknown CA)"},
    {G_TLS_CERTIFICATE_EXPIRED, "expired"},
    {G_TLS_CERTIFICATE_BAD_IDENTITY | G_TLS_CERTIFICATE_EXPIRED,
        "issued for another name than the server's (bad identity), expired"},
    {G_TLS_CERTIFICATE_NOT_ACTIVATED, "not valid yet (not activated)"},
    {G_TLS_CERTIFICATE_REVOKED, "revoked"},
    {G_TLS_CERTIFICATE_INSECURE, "signed with an insecure algorithm"},
    {G_TLS_CERTIFICATE_GENERIC_ERROR, "invalid"},
    {0, "invalid"},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    gchar *got = arcly_rtsp_tls_describe_errors (cases[i].flags);

    fail_unless_equals_string (got, cases[i].want);
    g_free (got);
  }
}

GST_END_TEST;

static Suite *
arclyrtspsrc_tls_suite (void)
{
  Suite *s = suite_create ("arclyrtspsrc_tls");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 90);
  tcase_add_test (tc, test_tls_backend_present);
  tcase_add_test (tc, test_describe_errors);
  tcase_add_test (tc, test_plays_with_ca_database);
  tcase_add_test (tc, test_refused_without_ca);
  tcase_add_test (tc, test_refused_bad_identity);
  tcase_add_test (tc, test_plays_with_validation_off);
  tcase_add_test (tc, test_validation_flags_mask);
  tcase_add_test (tc, test_digest_over_tls);
  tcase_add_test (tc, test_reconnect_and_keepalive_over_tls);
  tcase_add_test (tc, test_plain_server_on_rtsps);
  tcase_add_test (tc, test_stop_during_handshake);
  tcase_add_test (tc, test_no_fd_or_thread_left);
  tcase_add_test (tc, test_no_backend_is_an_error);
  tcase_add_test (tc, test_client_certificate_interaction);
  return s;
}

GST_CHECK_MAIN (arclyrtspsrc_tls);
