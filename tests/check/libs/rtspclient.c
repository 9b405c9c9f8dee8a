/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The RTSP client layer (gst/arclyrtspsrc/rtspclient.c) driven directly,
 * without an element or a pipeline, against the scripted RTSP server
 * (tests/check/servers/rtsp-script-server.py): tracks, RTP per track,
 * state callbacks, TEARDOWN on stop, and the errors it reports.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <gst/check/gstcheck.h>

#include "../pipelines/scriptserver-helper.h"
#include "rtspclient.h"

/* What the callbacks saw; guarded by lock (they run on the client
 * thread, the test reads from the main thread). */
typedef struct
{
  GMutex lock;
  GCond cond;
  ArclyRtspClient *client;
  guint tracks_ready;
  guint tracks_done;
  guint playing;
  guint connecting;
  guint rtp[8];                 /* per track index */
  guint bad_pt;                 /* packets whose PT is not the SDP's */
  gint64 last_ext[8];
  GQuark err_domain;
  gint err_code;
  guint err_status;
  gchar *err_text;
  gchar *err_debug;
  guint redirects;
  gchar *redirect_from, *redirect_to;
  guint redirect_status;
  gboolean done;
  ArclyRtspClientResult result;
  gchar *result_message;
} Rec;

static gpointer
rec_track_ready (ArclyRtspClient * c, ArclyRtspClientTrack * t, guint nth,
    gpointer user_data)
{
  Rec *r = user_data;
  guint idx;

  g_mutex_lock (&r->lock);
  idx = r->tracks_ready++;
  g_mutex_unlock (&r->lock);
  /* the handle is the track index + 1 (never NULL) */
  return GUINT_TO_POINTER (idx + 1);
}

static void
rec_tracks_done (ArclyRtspClient * c, gpointer user_data)
{
  Rec *r = user_data;

  g_mutex_lock (&r->lock);
  r->tracks_done++;
  g_mutex_unlock (&r->lock);
}

static void
rec_playing (ArclyRtspClient * c, gpointer user_data)
{
  Rec *r = user_data;

  g_mutex_lock (&r->lock);
  r->playing++;
  g_cond_broadcast (&r->cond);
  g_mutex_unlock (&r->lock);
}

static GstFlowReturn
rec_rtp (ArclyRtspClient * c, ArclyRtspClientTrack * t, const guint8 * data,
    gsize len, const ArclyRtpHeader * h, gint64 ext, gpointer user_data)
{
  Rec *r = user_data;
  guint idx = GPOINTER_TO_UINT (t->user) - 1;

  g_mutex_lock (&r->lock);
  if (idx < G_N_ELEMENTS (r->rtp)) {
    r->rtp[idx]++;
    r->last_ext[idx] = ext;
  }
  if (h->pt != t->sdp->pt)
    r->bad_pt++;
  g_cond_broadcast (&r->cond);
  g_mutex_unlock (&r->lock);
  return GST_FLOW_OK;
}

static void
rec_error (ArclyRtspClient * c, GQuark domain, gint code, guint status,
    const gchar * text, const gchar * debug, gpointer user_data)
{
  Rec *r = user_data;

  g_mutex_lock (&r->lock);
  r->err_domain = domain;
  r->err_code = code;
  r->err_status = status;
  g_free (r->err_text);
  r->err_text = g_strdup (text);
  g_free (r->err_debug);
  r->err_debug = g_strdup (debug);
  g_mutex_unlock (&r->lock);
}

static void
rec_state (ArclyRtspClient * c, ArclyRtspClientState state,
    gpointer user_data)
{
  Rec *r = user_data;

  g_mutex_lock (&r->lock);
  if (state == ARCLY_RTSP_CLIENT_STATE_CONNECTING)
    r->connecting++;
  g_mutex_unlock (&r->lock);
}

static void
rec_redirected (ArclyRtspClient * c, const gchar * from, const gchar * to,
    guint status, gpointer user_data)
{
  Rec *r = user_data;

  g_mutex_lock (&r->lock);
  r->redirects++;
  g_free (r->redirect_from);
  r->redirect_from = g_strdup (from);
  g_free (r->redirect_to);
  r->redirect_to = g_strdup (to);
  r->redirect_status = status;
  g_mutex_unlock (&r->lock);
}

static const ArclyRtspClientCallbacks rec_callbacks = {
  rec_track_ready, rec_tracks_done, rec_playing, rec_rtp, rec_error,
  rec_state, NULL, rec_redirected
};

static gpointer
run_thread (gpointer data)
{
  Rec *r = data;
  GError *err = NULL;
  ArclyRtspClientResult res = arcly_rtsp_client_run (r->client, &err);

  g_mutex_lock (&r->lock);
  r->result = res;
  r->result_message = g_strdup (err ? err->message : "");
  r->done = TRUE;
  g_cond_broadcast (&r->cond);
  g_mutex_unlock (&r->lock);
  g_clear_error (&err);
  return NULL;
}

static Rec *
rec_new (const gchar * url, const gchar * user, const gchar * pass)
{
  Rec *r = g_new0 (Rec, 1);
  ArclyRtspClientConfig cfg = { NULL, };
  GError *err = NULL;

  g_mutex_init (&r->lock);
  g_cond_init (&r->cond);
  r->client = arcly_rtsp_client_new (&rec_callbacks, r, NULL);
  cfg.location = url;
  cfg.user_id = user;
  cfg.user_pw = pass;
  cfg.user_agent = "rtspclient-test";
  cfg.timeout_ms = 3000;
  cfg.latency = 200 * GST_MSECOND;
  cfg.streams = ARCLY_RTSP_CLIENT_STREAMS_BOTH;
  fail_unless (arcly_rtsp_client_configure (r->client, &cfg, &err), "%s",
      err ? err->message : "");
  return r;
}

static void
rec_free (Rec * r)
{
  arcly_rtsp_client_free (r->client);
  g_free (r->err_text);
  g_free (r->err_debug);
  g_free (r->result_message);
  g_free (r->redirect_from);
  g_free (r->redirect_to);
  g_mutex_clear (&r->lock);
  g_cond_clear (&r->cond);
  g_free (r);
}

/* Waits (bounded) until @cond holds; the lock is held while it is
 * evaluated. */
#define WAIT_FOR(rec, expr, seconds) G_STMT_START {                     \
  gint64 _until = g_get_monotonic_time () + (seconds) * G_TIME_SPAN_SECOND; \
  gboolean _ok;                                                         \
  g_mutex_lock (&(rec)->lock);                                          \
  while (!(expr))                                                       \
    if (!g_cond_wait_until (&(rec)->cond, &(rec)->lock, _until))        \
      break;                                                            \
  _ok = (expr);                                                         \
  g_mutex_unlock (&(rec)->lock);                                        \
  fail_unless (_ok, "timed out waiting for %s", #expr);                 \
} G_STMT_END

static const gchar *
script_url (Script * s)
{
  return arcly_test_cam_get_url (s->srv);
}

GST_START_TEST (test_client_plays_and_tears_down)
{
  Script *s = script_start ("normal");
  Rec *r = rec_new (script_url (s), NULL, NULL);
  GThread *th;
  gchar *log;
  GPtrArray *tracks;

  th = g_thread_new ("client", run_thread, r);
  /* set up, then nothing flows until we ask for PLAY */
  WAIT_FOR (r, r->tracks_done == 1, 10);
  fail_unless_equals_int (r->tracks_ready, 2);
  fail_unless_equals_int (r->playing, 0);
  fail_unless_equals_int (r->rtp[0] + r->rtp[1], 0);

  arcly_rtsp_client_set_playing (r->client, TRUE);
  WAIT_FOR (r, r->playing == 1 && r->rtp[0] >= 60 && r->rtp[1] >= 20, 10);
  fail_unless_equals_int (r->bad_pt, 0);
  fail_unless (r->last_ext[0] > 0);

  tracks = arcly_rtsp_client_get_tracks (r->client);
  fail_unless_equals_int (tracks->len, 2);

  arcly_rtsp_client_stop (r->client);
  WAIT_FOR (r, r->done, 5);
  g_thread_join (th);
  fail_unless_equals_int (r->result, ARCLY_RTSP_CLIENT_STOPPED);
  fail_unless (r->err_text == NULL);
  fail_unless (arcly_rtsp_client_was_playing (r->client));
  fail_unless_equals_int (r->connecting, 1);

  log = script_stop_and_log (s);
  fail_unless_equals_int (count_lines_with (log, "\"event\":\"request\"",
          "\"method\":\"TEARDOWN\"",
          NULL), 1);
  fail_unless_equals_int (count_lines_with (log, "\"event\":\"request\"",
          "\"method\":\"PLAY\"",
          NULL), 1);
  g_free (log);
  rec_free (r);
}

GST_END_TEST;

/* the counters the element's stats read, under the client's lock */
static void
sum_packets (gpointer data, gpointer user_data)
{
  ArclyRtspClientTrack *t = data;

  *(guint64 *) user_data += t->packets;
}

GST_START_TEST (test_client_not_found_is_fatal)
{
  Script *s = script_start ("not-found");
  Rec *r = rec_new (script_url (s), NULL, NULL);
  GError *err = NULL;
  ArclyRtspClientResult res;
  guint64 packets = 0;
  gchar *log;

  res = arcly_rtsp_client_run (r->client, &err);
  fail_unless_equals_int (res, ARCLY_RTSP_CLIENT_FATAL);
  fail_unless (err != NULL);
  g_clear_error (&err);
  fail_unless (r->err_domain == GST_RESOURCE_ERROR);
  fail_unless_equals_int (r->err_code, GST_RESOURCE_ERROR_NOT_FOUND);
  fail_unless_equals_int (r->err_status, 404);
  fail_unless_equals_int (arcly_rtsp_client_get_fail_status (r->client), 404);
  fail_unless (strstr (r->err_debug, "DESCRIBE") != NULL);
  arcly_rtsp_client_foreach_track (r->client, sum_packets, &packets);
  fail_unless_equals_int (packets, 0);
  fail_unless_equals_int (r->tracks_ready, 0);

  log = script_stop_and_log (s);
  g_free (log);
  rec_free (r);
}

GST_END_TEST;

GST_START_TEST (test_client_digest_auth)
{
  Script *s = script_start ("digest-qop-stale");
  Rec *r = rec_new (script_url (s), SCRIPT_USER, SCRIPT_PASS);
  GThread *th;
  gchar *log;

  arcly_rtsp_client_set_playing (r->client, TRUE);
  th = g_thread_new ("client", run_thread, r);
  WAIT_FOR (r, r->rtp[0] >= 30, 10);
  arcly_rtsp_client_stop (r->client);
  WAIT_FOR (r, r->done, 5);
  g_thread_join (th);
  fail_unless_equals_int (r->result, ARCLY_RTSP_CLIENT_STOPPED);

  log = script_stop_and_log (s);
  fail_unless (count_lines_with (log, "\"event\":\"auth\"", "\"ok\":true",
          NULL) >= 4);
  fail_unless_equals_int (count_lines_with (log, "\"event\":\"auth\"",
          "\"ok\":false", "wrong-credentials", NULL), 0);
  g_free (log);
  rec_free (r);
}

GST_END_TEST;

/* cancel() cuts a hanging request short: the server never answers */
GST_START_TEST (test_client_cancel_unblocks)
{
  Script *s = script_start ("never-answer");
  Rec *r = rec_new (script_url (s), NULL, NULL);
  GThread *th;
  gint64 t0;

  th = g_thread_new ("client", run_thread, r);
  /* let it connect and send OPTIONS (no way to see it from here but the
   * server log) */
  {
    gint64 until = g_get_monotonic_time () + 5 * G_TIME_SPAN_SECOND;
    gchar *log = NULL;

    do {
      g_free (log);
      log = script_log (s);
      if (count_lines_with (log, "\"method\":\"OPTIONS\"", NULL) > 0)
        break;
      g_usleep (20 * 1000);
    } while (g_get_monotonic_time () < until);
    fail_unless (count_lines_with (log, "\"method\":\"OPTIONS\"", NULL) > 0);
    g_free (log);
  }
  t0 = g_get_monotonic_time ();
  arcly_rtsp_client_stop (r->client);
  arcly_rtsp_client_cancel (r->client);
  WAIT_FOR (r, r->done, 2);
  g_thread_join (th);
  fail_unless (g_get_monotonic_time () - t0 < G_TIME_SPAN_SECOND);
  fail_unless (r->result != ARCLY_RTSP_CLIENT_FATAL);
  g_free (script_stop_and_log (s));
  rec_free (r);
}

GST_END_TEST;

/* a relative 302 to DESCRIBE: the callback names both URLs, the session
 * restarts at the target and plays there */
GST_START_TEST (test_client_follows_redirect)
{
  Script *s = script_start ("redirect-relative");
  Rec *r = rec_new (script_url (s), NULL, NULL);
  GThread *th;
  gchar *want_to = g_strdup_printf ("rtsp://127.0.0.1:%u/moved",
      arcly_test_cam_get_port (s->srv));
  gchar *log;

  arcly_rtsp_client_set_playing (r->client, TRUE);
  th = g_thread_new ("client", run_thread, r);
  WAIT_FOR (r, r->rtp[0] >= 10, 10);
  arcly_rtsp_client_stop (r->client);
  WAIT_FOR (r, r->done, 5);
  g_thread_join (th);
  fail_unless_equals_int (r->redirects, 1);
  fail_unless_equals_int (r->redirect_status, 302);
  fail_unless_equals_string (r->redirect_from, script_url (s));
  fail_unless_equals_string (r->redirect_to, want_to);
  fail_unless_equals_string (arcly_rtsp_client_get_display_url (r->client),
      want_to);
  log = script_stop_and_log (s);
  fail_unless_equals_int (count_lines_with (log, "\"event\":\"request\"",
          "\"method\":\"PLAY\"", "/moved/", NULL), 1);
  g_free (log);
  g_free (want_to);
  rec_free (r);
}

GST_END_TEST;

static void
sum_drops (gpointer data, gpointer user_data)
{
  ArclyRtspClientTrack *t = data;
  guint64 *d = user_data;
  guint i;

  for (i = 0; i < ARCLY_RTSP_CLIENT_DROP_N; i++)
    d[i] += t->dropped[i];
}

/* random bytes on the RTP channels: no packet reaches the owner, the drops
 * are counted, and the run ends in a retry for lack of media */
GST_START_TEST (test_client_random_frames)
{
  Script *s = script_start ("random-frames");
  Rec *r = rec_new (script_url (s), NULL, NULL);
  GError *err = NULL;
  guint64 drops[ARCLY_RTSP_CLIENT_DROP_N] = { 0, };
  ArclyRtspClientResult res;
  ArclyRtspClientConfig cfg = { NULL, };

  /* a short stall timeout */
  cfg.location = script_url (s);
  cfg.timeout_ms = 1000;
  fail_unless (arcly_rtsp_client_configure (r->client, &cfg, NULL));
  arcly_rtsp_client_set_playing (r->client, TRUE);
  res = arcly_rtsp_client_run (r->client, &err);
  fail_unless_equals_int (res, ARCLY_RTSP_CLIENT_RETRY);
  fail_unless (err && strstr (err->message, "no media for 1000 ms"), "%s",
      err ? err->message : "");
  g_clear_error (&err);
  fail_unless_equals_int (r->playing, 1);
  fail_unless_equals_int (r->rtp[0] + r->rtp[1], 0);
  arcly_rtsp_client_foreach_track (r->client, sum_drops, drops);
  fail_unless (drops[ARCLY_RTSP_CLIENT_DROP_INVALID] >= 5);
  fail_unless (drops[ARCLY_RTSP_CLIENT_DROP_INVALID] +
      drops[ARCLY_RTSP_CLIENT_DROP_PAYLOAD_TYPE] +
      drops[ARCLY_RTSP_CLIENT_DROP_SSRC] >= 20);
  g_free (script_stop_and_log (s));
  rec_free (r);
}

GST_END_TEST;

static Suite *
rtspclient_suite (void)
{
  Suite *s = suite_create ("rtspclient");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 60);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_client_plays_and_tears_down);
  tcase_add_test (tc, test_client_not_found_is_fatal);
  tcase_add_test (tc, test_client_digest_auth);
  tcase_add_test (tc, test_client_cancel_unblocks);
  tcase_add_test (tc, test_client_follows_redirect);
  tcase_add_test (tc, test_client_random_frames);
  return s;
}

GST_CHECK_MAIN (rtspclient);
