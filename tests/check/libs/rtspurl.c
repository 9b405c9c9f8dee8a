/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Unit tests for rtspurl: splitting (IPv6, ports, percent-encoded
 * credentials), request URIs, redaction of free text, and control URL
 * resolution against Content-Base / request URLs as cameras send them.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <gst/check/gstcheck.h>

#include "rtspurl.h"

typedef struct
{
  const gchar *url;
  const gchar *scheme, *host;
  guint port;
  const gchar *path, *user, *password;
  const gchar *request_uri;
} ParseCase;

static const ParseCase parse_cases[] = {
  {"rtsp://cam/stream", "rtsp", "cam", 554, "/stream", NULL, NULL,
      "rtsp://cam:554/stream"},
  {"rtsp://cam", "rtsp", "cam", 554, "/", NULL, NULL, "rtsp://cam:554/"},
  {"RTSP://Cam.Example:8554/a/b?x=1&y=2", "rtsp", "Cam.Example", 8554,
      "/a/b?x=1&y=2", NULL, NULL, "rtsp://Cam.Example:8554/a/b?x=1&y=2"},
  {"rtsps://cam/s", "rtsps", "cam", 322, "/s", NULL, NULL,
      "rtsps://cam:322/s"},
  {"rtsp://cam:/s", "rtsp", "cam", 554, "/s", NULL, NULL, "rtsp://cam:554/s"},
  {"rtsp://cam?q=1", "rtsp", "cam", 554, "/?q=1", NULL, NULL,
      "rtsp://cam:554/?q=1"},
  {"rtsp://cam/s#frag", "rtsp", "cam", 554, "/s", NULL, NULL,
      "rtsp://cam:554/s"},
  {"rtsp://[::1]:8554/stream", "rtsp", "::1", 8554, "/stream", NULL, NULL,
      "rtsp://[::1]:8554/stream"},
  {"rtsp://[2001:db8::7]/live", "rtsp", "2001:db8::7", 554, "/live", NULL,
      NULL, "rtsp://[2001:db8::7]:554/live"},
  {"rtsp://admin:secret@[fe80::1%25eth0]:10554/x", "rtsp", "fe80::1%25eth0",
      10554, "/x", "admin", "secret", "rtsp://[fe80::1%25eth0]:10554/x"},
  {"rtsp://u:p@127.0.0.1:65535/stream", "rtsp", "127.0.0.1", 65535,
      "/stream", "u", "p", "rtsp://127.0.0.1:65535/stream"},
  /* Percent-encoded '@', ':' and '%' in the password and user. */
  {"rtsp://ad%40min:p%40ss%3Aw%25rd@cam/s", "rtsp", "cam", 554, "/s",
      "ad@min", "p@ss:w%rd", "rtsp://cam:554/s"},
  /* Raw '@' in the password: the userinfo ends at the LAST '@'. */
  {"rtsp://admin:p@ss@cam:554/s", "rtsp", "cam", 554, "/s", "admin", "p@ss",
      "rtsp://cam:554/s"},
  /* Raw ':' in the password: the user ends at the FIRST ':'. */
  {"rtsp://admin:a:b:c@cam/s", "rtsp", "cam", 554, "/s", "admin", "a:b:c",
      "rtsp://cam:554/s"},
  /* Lower-case hex, invalid escapes kept as typed. */
  {"rtsp://u:%7e%zz%4@cam/s", "rtsp", "cam", 554, "/s", "u", "~%zz%4",
      "rtsp://cam:554/s"},
  {"rtsp://user@cam/s", "rtsp", "cam", 554, "/s", "user", NULL,
      "rtsp://cam:554/s"},
  {"rtsp://user:@cam/s", "rtsp", "cam", 554, "/s", "user", "",
      "rtsp://cam:554/s"},
  {"rtsp://:pw@cam/s", "rtsp", "cam", 554, "/s", "", "pw",
      "rtsp://cam:554/s"},
  {"rtsp://@cam/s", "rtsp", "cam", 554, "/s", NULL, NULL, "rtsp://cam:554/s"},
  /* '@' in the path is not userinfo. */
  {"rtsp://cam/a@b", "rtsp", "cam", 554, "/a@b", NULL, NULL,
      "rtsp://cam:554/a@b"},
};

GST_START_TEST (test_parse_table)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (parse_cases); i++) {
    const ParseCase *c = &parse_cases[i];
    ArclyRtspUrl u;
    GError *err = NULL;
    gchar *req;

    fail_unless (arcly_rtsp_url_parse (c->url, &u, &err),
        "case %u: parse failed: %s", i, err ? err->message : "?");
    fail_unless_equals_string (u.scheme, c->scheme);
    fail_unless_equals_string (u.host, c->host);
    fail_unless_equals_int (u.port, c->port);
    fail_unless_equals_string (u.path, c->path);
    fail_unless_equals_string (u.user, c->user);
    fail_unless_equals_string (u.password, c->password);
    req = arcly_rtsp_url_to_request_uri (&u);
    fail_unless_equals_string (req, c->request_uri);
    fail_unless (strchr (req, '@') == NULL || strstr (c->path, "@") != NULL);
    g_free (req);
    arcly_rtsp_url_clear (&u);
    fail_unless (u.host == NULL && u.password == NULL && u.user == NULL);
  }
}

GST_END_TEST;

typedef struct
{
  const gchar *url;
  gint code;
} BadCase;

static const BadCase bad_cases[] = {
  {"", G_URI_ERROR_BAD_SCHEME},
  {"cam/stream", G_URI_ERROR_BAD_SCHEME},
  {"http://cam/stream", G_URI_ERROR_BAD_SCHEME},
  {"rtsp:/cam/stream", G_URI_ERROR_BAD_SCHEME},
  {"rtsp://", G_URI_ERROR_BAD_HOST},
  {"rtsp:///stream", G_URI_ERROR_BAD_HOST},
  {"rtsp://u:secretpw@/stream", G_URI_ERROR_BAD_HOST},
  {"rtsp://cam:0/s", G_URI_ERROR_BAD_PORT},
  {"rtsp://cam:65536/s", G_URI_ERROR_BAD_PORT},
  {"rtsp://cam:123456/s", G_URI_ERROR_BAD_PORT},
  {"rtsp://cam:-1/s", G_URI_ERROR_BAD_PORT},
  {"rtsp://cam:80a/s", G_URI_ERROR_BAD_PORT},
  {"rtsp://u:secretpw@cam:x/s", G_URI_ERROR_BAD_PORT},
  {"rtsp://[::1/s", G_URI_ERROR_BAD_HOST},
  {"rtsp://[]/s", G_URI_ERROR_BAD_HOST},
  {"rtsp://[::1]x/s", G_URI_ERROR_BAD_HOST},
  {"rtsp://[1.2.3.4]/s", G_URI_ERROR_BAD_HOST},
  {"rtsp://ca{m/s", G_URI_ERROR_BAD_HOST},
  {"rtsp://cam/s\r\nX-Injected: 1", G_URI_ERROR_FAILED},
  {"rtsp://cam/a b", G_URI_ERROR_FAILED},
  {"rtsp://u:secret\tpw@cam/s", G_URI_ERROR_FAILED},
  {"rtsp://u:secret%00pw@cam/s", G_URI_ERROR_BAD_PASSWORD},
  {"rtsp://se%00cretpw:x@cam/s", G_URI_ERROR_BAD_USER},
};

GST_START_TEST (test_parse_errors)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (bad_cases); i++) {
    ArclyRtspUrl u;
    GError *err = NULL;

    fail_if (arcly_rtsp_url_parse (bad_cases[i].url, &u, &err),
        "case %u should fail", i);
    fail_unless (err != NULL);
    fail_unless (err->domain == G_URI_ERROR);
    fail_unless_equals_int (err->code, bad_cases[i].code);
    /* Error text never carries the credentials. */
    fail_unless (strstr (err->message, "secret") == NULL);
    fail_unless (u.host == NULL && u.user == NULL && u.password == NULL);
    g_error_free (err);
  }

  /* NULL and an absurdly long URL. */
  {
    ArclyRtspUrl u;
    GError *err = NULL;
    GString *s = g_string_new ("rtsp://cam/");

    fail_if (arcly_rtsp_url_parse (NULL, &u, &err));
    g_clear_error (&err);
    while (s->len < 5000)
      g_string_append (s, "aaaaaaaaaa");
    fail_if (arcly_rtsp_url_parse (s->str, &u, &err));
    fail_unless (err != NULL);
    g_clear_error (&err);
    g_string_free (s, TRUE);
  }
}

GST_END_TEST;

GST_START_TEST (test_parse_every_prefix)
{
  const gchar *url = "rtsp://us%40er:pa:ss@[2001:db8::1]:8554/live/ch1?a=b#f";
  gsize len = strlen (url), i;

  /* No prefix may crash or leak; a prefix may or may not parse. */
  for (i = 0; i <= len; i++) {
    gchar *p = g_strndup (url, i);
    ArclyRtspUrl u;
    GError *err = NULL;

    if (arcly_rtsp_url_parse (p, &u, &err)) {
      fail_unless (u.host != NULL && u.path != NULL && u.path[0] == '/');
      arcly_rtsp_url_clear (&u);
    } else {
      fail_unless (err != NULL);
      fail_unless (strstr (err->message, "pa:ss") == NULL);
      g_error_free (err);
    }
    g_free (p);
  }
}

GST_END_TEST;

typedef struct
{
  const gchar *in, *out;
} RedactCase;

static const RedactCase redact_cases[] = {
  {"rtsp://u:p@cam/s", "rtsp://cam/s"},
  {"rtsp://cam/s", "rtsp://cam/s"},
  {"no url here", "no url here"},
  {"", ""},
  {"connecting to rtsp://admin:hunter2@10.0.0.5:554/Streaming/Channels/101 "
        "failed", "connecting to rtsp://10.0.0.5:554/Streaming/Channels/101 "
        "failed"},
  {"two: rtsp://a:b@h1/x and rtsps://c:d@h2/y.", "two: rtsp://h1/x and "
        "rtsps://h2/y."},
  {"quoted \"rtsp://a:b@h/x\" and <http://c:d@w/>",
      "quoted \"rtsp://h/x\" and <http://w/>"},
  /* Raw '@', '/' and '?' typed in a password: hidden as well. */
  {"rtsp://admin:p@ss@cam/s", "rtsp://cam/s"},
  {"rtsp://admin:pa/ss@cam/s", "rtsp://cam/s"},
  {"rtsp://admin:pa?ss@cam/s", "rtsp://cam/s"},
  {"rtsp://[::1]:8554/s", "rtsp://[::1]:8554/s"},
  {"rtsp://u:p@[::1]:8554/s", "rtsp://[::1]:8554/s"},
  {"user only rtsp://u@h/", "user only rtsp://h/"},
  {"glued rtsp://a:b@h/xrtsp://c:d@k/", "glued rtsp://h/xrtsp://k/"},
  {"://u:p@h", "://h"},
  {"trailing ://", "trailing ://"},
  {"rtsp://u:p@", "rtsp://"},
};

GST_START_TEST (test_redact)
{
  guint i;

  fail_unless (arcly_rtsp_url_redact (NULL) == NULL);
  for (i = 0; i < G_N_ELEMENTS (redact_cases); i++) {
    gchar *r = arcly_rtsp_url_redact (redact_cases[i].in);

    fail_unless_equals_string (r, redact_cases[i].out);
    g_free (r);
  }
}

GST_END_TEST;

typedef struct
{
  const gchar *base, *control, *out;
} ResolveCase;

static const ResolveCase resolve_cases[] = {
  /* Relative, base with and without trailing slash. */
  {"rtsp://cam:554/stream/", "trackID=1", "rtsp://cam:554/stream/trackID=1"},
  {"rtsp://cam:554/stream", "trackID=1", "rtsp://cam:554/stream/trackID=1"},
  {"rtsp://cam:554/", "track1", "rtsp://cam:554/track1"},
  {"rtsp://cam:554", "track1", "rtsp://cam:554/track1"},
  /* "*" and empty: the base itself. */
  {"rtsp://cam:554/stream/", "*", "rtsp://cam:554/stream/"},
  {"rtsp://cam:554/stream", "", "rtsp://cam:554/stream"},
  {"rtsp://cam:554/stream", NULL, "rtsp://cam:554/stream"},
  /* Absolute controls as given. */
  {"rtsp://cam:554/stream/", "rtsp://other:8554/x/track2",
      "rtsp://other:8554/x/track2"},
  {"rtsp://cam/stream/", "RTSP://cam/stream/trackID=0",
      "RTSP://cam/stream/trackID=0"},
  /* Absolute path. */
  {"rtsp://cam:554/stream/", "/other/track1", "rtsp://cam:554/other/track1"},
  /* Dot segments. */
  {"rtsp://cam/a/b/", "../c", "rtsp://cam/a/c"},
  {"rtsp://cam/a/b", "./c", "rtsp://cam/a/b/c"},
  {"rtsp://cam/a/", "../../..", "rtsp://cam/"},
  /* Base with a query: the control goes into the path, the query stays. */
  {"rtsp://cam/live?channel=1&subtype=0", "trackID=0",
      "rtsp://cam/live/trackID=0?channel=1&subtype=0"},
  {"rtsp://cam/live/?channel=1", "track1", "rtsp://cam/live/track1?channel=1"},
  {"rtsp://cam/live?channel=1", "*", "rtsp://cam/live?channel=1"},
  {"rtsp://cam/live?channel=1", "track1?x=2", "rtsp://cam/live/track1?x=2"},
  /* ... unless the server ended its query with '/' (plain concatenation). */
  {"rtsp://cam/live?channel=1/", "trackID=1",
      "rtsp://cam/live?channel=1/trackID=1"},
  /* As cameras send them: Hikvision (session control with a query after
   * a slash), Axis (absolute controls with a query), Bosch (query with a
   * path-like tail), live555 ("track1"). */
  {"rtsp://10.0.0.64:554/Streaming/Channels/101/?transportmode=unicast",
        "trackID=1",
      "rtsp://10.0.0.64:554/Streaming/Channels/101/trackID=1"
        "?transportmode=unicast"},
  {"rtsp://192.168.0.90/axis-media/media.amp?videocodec=h264",
        "rtsp://192.168.0.90/axis-media/media.amp/stream=0?videocodec=h264",
      "rtsp://192.168.0.90/axis-media/media.amp/stream=0?videocodec=h264"},
  {"rtsp://10.1.2.3/?inst=1&h26x=4", "rtsp://10.1.2.3/?inst=1&h26x=4/trackID=1",
      "rtsp://10.1.2.3/?inst=1&h26x=4/trackID=1"},
  {"rtsp://192.168.1.20:554/h264Preview_01_main", "track1",
      "rtsp://192.168.1.20:554/h264Preview_01_main/track1"},
  /* Fragments dropped. */
  {"rtsp://cam/live#x", "t1", "rtsp://cam/live/t1"},
  /* Credentials in Content-Base or in an absolute control are never kept. */
  {"rtsp://u:p@127.0.0.1:8554/stream/", "trackID=1",
      "rtsp://127.0.0.1:8554/stream/trackID=1"},
  {"rtsp://u:p@127.0.0.1:8554/stream/", "*",
      "rtsp://127.0.0.1:8554/stream/"},
  {"rtsp://u:p@127.0.0.1:8554/stream/", "",
      "rtsp://127.0.0.1:8554/stream/"},
  {"rtsp://cam/stream/", "rtsp://admin:pw@cam/stream/track2",
      "rtsp://cam/stream/track2"},
  {"rtsp://u:p@[::1]:8554/s/", "t", "rtsp://[::1]:8554/s/t"},
  /* Unusable. */
  {NULL, "track1", NULL},
  {"not a url", "track1", NULL},
  {"rtsp://cam/s/", "tr\r\nX-Injected: 1", NULL},
  {"rtsp://cam/s\r\n/", "*", NULL},
  {"rtsp://cam/s/", "rtsp://cam/a b", NULL},
};

GST_START_TEST (test_resolve_control)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (resolve_cases); i++) {
    const ResolveCase *c = &resolve_cases[i];
    gchar *r = arcly_rtsp_url_resolve_control (c->base, c->control);

    fail_unless (g_strcmp0 (r, c->out) == 0,
        "case %u: \"%s\" + \"%s\" gave \"%s\", expected \"%s\"", i,
        c->base ? c->base : "(null)", c->control ? c->control : "(null)",
        r ? r : "(null)", c->out ? c->out : "(null)");
    g_free (r);
  }
}

GST_END_TEST;

/* The element's flow: credentials in the location, the request URI used on
 * the wire, controls resolved against it; no step brings the password
 * back. */
GST_START_TEST (test_resolve_from_request_uri)
{
  ArclyRtspUrl u;
  gchar *req, *ctl;

  fail_unless (arcly_rtsp_url_parse ("rtsp://admin:S3cr%40t@cam:8554/live",
          &u, NULL));
  req = arcly_rtsp_url_to_request_uri (&u);
  ctl = arcly_rtsp_url_resolve_control (req, "trackID=2");
  fail_unless_equals_string (ctl, "rtsp://cam:8554/live/trackID=2");
  fail_unless (strstr (ctl, "S3cr") == NULL);
  g_free (ctl);
  g_free (req);
  arcly_rtsp_url_clear (&u);
}

GST_END_TEST;

/* 3xx Location values (RFC 3986 §5.2 against the request URL) */
GST_START_TEST (test_resolve_location)
{
  static const struct
  {
    const gchar *base, *loc, *want;
  } cases[] = {
    {"rtsp://127.0.0.1:8554/stream", "rtsp://10.0.0.2/live", "rtsp://10.0.0.2/live"},
    {"rtsp://127.0.0.1:8554/stream", "RTSP://h:99/x#frag", "RTSP://h:99/x"},
    {"rtsp://127.0.0.1:8554/stream", "rtsp://u:p@h/x", "rtsp://u:p@h/x"},
    {"rtsp://127.0.0.1:8554/stream", "moved", "rtsp://127.0.0.1:8554/moved"},
    {"rtsp://127.0.0.1:8554/a/b/stream", "../moved?x=1",
        "rtsp://127.0.0.1:8554/a/moved?x=1"},
    {"rtsp://127.0.0.1:8554/a/stream?q=1", "/moved",
        "rtsp://127.0.0.1:8554/moved"},
    {"rtsp://127.0.0.1:8554/stream", "//other:554/s", "rtsp://other:554/s"},
    {"rtsp://127.0.0.1:8554/", "./x", "rtsp://127.0.0.1:8554/x"},
    {"rtsp://127.0.0.1:8554/stream", "http://web/page", NULL},
    /* TLS: taken on, never dropped */
    {"rtsp://127.0.0.1:8554/stream", "rtsps://h/x", "rtsps://h/x"},
    {"rtsps://127.0.0.1:8322/stream", "rtsps://h/x", "rtsps://h/x"},
    {"rtsps://127.0.0.1:8322/stream", "RTSPS://h/x", "RTSPS://h/x"},
    {"rtsps://127.0.0.1:8322/stream", "rtsp://h/x", NULL},
    {"RTSPS://127.0.0.1:8322/stream", "RTSP://h/x", NULL},
    {"rtsps://127.0.0.1:8322/a/stream", "moved",
        "rtsps://127.0.0.1:8322/a/moved"},
    {"rtsps://127.0.0.1:8322/stream", "//other/s", "rtsps://other/s"},
    {"rtsp://127.0.0.1:8554/stream", "rtspx://h/x", NULL},
    {"rtsp://127.0.0.1:8554/stream", "", NULL},
    {"rtsp://127.0.0.1:8554/stream", NULL, NULL},
    {"rtsp://127.0.0.1:8554/stream", "rtsp://h/x\r\nX-Injected: 1", NULL},
    {"rtsp://127.0.0.1:8554/stream", "moved on", NULL},
    {"not a url", "moved", NULL},
    /* found by fuzz_rtsp_url: a relative Location against another scheme */
    {"r://", "r", NULL},
    {"http://web/a", "/b", NULL},
    {NULL, "moved", NULL},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    gchar *got = arcly_rtsp_url_resolve_location (cases[i].base,
        cases[i].loc);

    fail_unless (g_strcmp0 (got, cases[i].want) == 0, "case %u: %s", i,
        got ? got : "(null)");
    g_free (got);
  }
  /* a URL just under the bound: its request URI (":554" added) parses
   * again, or the URL itself is refused (found by fuzz_rtsp_url) */
  {
    gchar *path = g_strnfill (4093 - strlen ("rtsp://h/"), 'a');
    gchar *url = g_strconcat ("rtsp://h/", path, NULL);
    ArclyRtspUrl u = { NULL, }, again = { NULL, };

    if (arcly_rtsp_url_parse (url, &u, NULL)) {
      gchar *req = arcly_rtsp_url_to_request_uri (&u);

      fail_unless (arcly_rtsp_url_parse (req, &again, NULL));
      arcly_rtsp_url_clear (&again);
      g_free (req);
    }
    arcly_rtsp_url_clear (&u);
    g_free (url);
    g_free (path);
  }
  /* over 4 KiB */
  {
    gchar *big = g_strnfill (5000, 'a');
    gchar *got = arcly_rtsp_url_resolve_location ("rtsp://h/s", big);

    fail_unless (got == NULL);
    g_free (big);
  }
}

GST_END_TEST;

static Suite *
rtspurl_suite (void)
{
  Suite *s = suite_create ("rtspurl");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_parse_table);
  tcase_add_test (tc, test_parse_errors);
  tcase_add_test (tc, test_parse_every_prefix);
  tcase_add_test (tc, test_redact);
  tcase_add_test (tc, test_resolve_control);
  tcase_add_test (tc, test_resolve_from_request_uri);
  tcase_add_test (tc, test_resolve_location);
  return s;
}

GST_CHECK_MAIN (rtspurl);
