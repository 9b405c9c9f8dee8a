/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Unit tests for rtspauth: challenge parsing as cameras send it, the choice
 * of the strongest challenge, Authorization values checked against the
 * RFC 7616 §3.9.1 and RFC 2617 §3.5 test vectors, nonce counting, stale
 * renewal and refusal.  Expected values not printed in an RFC were computed
 * independently with Python's hashlib (the formula of RFC 7616 §3.4.1).
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <gst/check/gstcheck.h>

#include "rtspauth.h"

#define N(v) ((const gchar * const *) (v)), G_N_ELEMENTS (v)

static GPtrArray *
parse1 (const gchar * value)
{
  const gchar *values[] = { value };
  return arcly_auth_parse_challenges (values, 1);
}

static ArclyAuthChallenge *
ch_at (GPtrArray * a, guint i)
{
  fail_unless (i < a->len);
  return g_ptr_array_index (a, i);
}

/* ------------------------------------------------------------------------ */
/* Parsing */

GST_START_TEST (test_parse_digest_full)
{
  GPtrArray *a = parse1 ("Digest realm=\"http-auth@example.org\", "
      "qop=\"auth, auth-int\", algorithm=SHA-256, "
      "nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", "
      "opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\", "
      "userhash=true, stale=FALSE, charset=UTF-8, domain=\"/a /b\"");
  ArclyAuthChallenge *c;

  fail_unless_equals_int (a->len, 1);
  c = ch_at (a, 0);
  fail_unless_equals_int (c->scheme, ARCLY_AUTH_SCHEME_DIGEST);
  fail_unless_equals_int (c->algorithm, ARCLY_DIGEST_SHA256);
  fail_unless_equals_string (c->realm, "http-auth@example.org");
  fail_unless_equals_string (c->nonce,
      "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v");
  fail_unless_equals_string (c->opaque,
      "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS");
  fail_unless (c->qop_auth);
  fail_unless (c->userhash);
  fail_if (c->stale);
  g_ptr_array_unref (a);
}

GST_END_TEST;

GST_START_TEST (test_parse_syntax_variants)
{
  GPtrArray *a;
  ArclyAuthChallenge *c;

  /* Case-insensitive names, odd whitespace, unquoted tokens, no qop. */
  a = parse1 ("  dIgEsT   REALM = \"cam\" ,NONCE=abc123 ,, ALGORITHM = md5 ,"
      "  StAlE = TRUE  ");
  fail_unless_equals_int (a->len, 1);
  c = ch_at (a, 0);
  fail_unless_equals_int (c->scheme, ARCLY_AUTH_SCHEME_DIGEST);
  fail_unless_equals_int (c->algorithm, ARCLY_DIGEST_MD5);
  fail_unless_equals_string (c->realm, "cam");
  fail_unless_equals_string (c->nonce, "abc123");
  fail_unless (c->stale);
  fail_if (c->qop_auth);
  fail_unless (c->opaque == NULL);
  g_ptr_array_unref (a);

  /* Commas and escapes inside quotes. */
  a = parse1 ("Digest realm=\"a, \\\"quoted\\\" \\\\ realm\", "
      "nonce=\"n,o,n,c,e\", opaque=\"x=y, z\"");
  fail_unless_equals_int (a->len, 1);
  c = ch_at (a, 0);
  fail_unless_equals_string (c->realm, "a, \"quoted\" \\ realm");
  fail_unless_equals_string (c->nonce, "n,o,n,c,e");
  fail_unless_equals_string (c->opaque, "x=y, z");
  g_ptr_array_unref (a);

  /* Basic without realm, followed by Digest in the same value. */
  a = parse1 ("Basic, Digest realm=\"r\", nonce=\"n\"");
  fail_unless_equals_int (a->len, 2);
  fail_unless_equals_int (ch_at (a, 0)->scheme, ARCLY_AUTH_SCHEME_DIGEST);
  fail_unless_equals_int (ch_at (a, 1)->scheme, ARCLY_AUTH_SCHEME_BASIC);
  fail_unless_equals_string (ch_at (a, 1)->realm, "");
  g_ptr_array_unref (a);

  /* All the algorithms. */
  a = parse1 ("Digest realm=\"r\", nonce=\"n\", algorithm=MD5-sess, qop=auth");
  fail_unless_equals_int (ch_at (a, 0)->algorithm, ARCLY_DIGEST_MD5_SESS);
  g_ptr_array_unref (a);
  a = parse1 ("Digest realm=\"r\", nonce=\"n\", algorithm=\"sha-256-SESS\"");
  fail_unless_equals_int (ch_at (a, 0)->algorithm, ARCLY_DIGEST_SHA256_SESS);
  g_ptr_array_unref (a);
  /* No algorithm: MD5 (RFC 7616 §3.3). */
  a = parse1 ("Digest realm=\"r\", nonce=\"n\"");
  fail_unless_equals_int (ch_at (a, 0)->algorithm, ARCLY_DIGEST_MD5);
  g_ptr_array_unref (a);
}

GST_END_TEST;

GST_START_TEST (test_parse_skips_unusable)
{
  GPtrArray *a;

  a = parse1 ("Negotiate YIIGhgYGKwYBBQUCoIIGejCCBnagMDAuBgkqhkiC9xIBAgIG==, "
      "NTLM, Bearer realm=\"x\", "
      "Digest realm=\"r\", nonce=\"n1\", algorithm=SHA-512-256, "
      "Digest realm=\"r\", nonce=\"n2\", qop=\"auth-int\", "
      "Digest realm=\"r\", algorithm=MD5, "
      "Digest realm=\"r\", nonce=\"bad\r\nX-Injected: 1\", "
      "Digest realm=\"r\", nonce=\"ok\", algorithm=MD5");
  fail_unless_equals_int (a->len, 1);
  fail_unless_equals_string (ch_at (a, 0)->nonce, "ok");
  g_ptr_array_unref (a);

  /* Unterminated quote: that challenge is dropped, not the earlier one. */
  a = parse1 ("Basic realm=\"r\", Digest realm=\"r\", nonce=\"abc");
  fail_unless_equals_int (a->len, 1);
  fail_unless_equals_int (ch_at (a, 0)->scheme, ARCLY_AUTH_SCHEME_BASIC);
  g_ptr_array_unref (a);

  /* Nothing at all. */
  a = parse1 ("");
  fail_unless_equals_int (a->len, 0);
  g_ptr_array_unref (a);
  a = parse1 ("   ,,, = \"\" =x");
  fail_unless_equals_int (a->len, 0);
  g_ptr_array_unref (a);
  a = arcly_auth_parse_challenges (NULL, 0);
  fail_unless_equals_int (a->len, 0);
  g_ptr_array_unref (a);
}

GST_END_TEST;

GST_START_TEST (test_parse_several_headers_order)
{
  /* Three headers, weakest first: the array comes back strongest first,
   * equally strong ones in the server's order. */
  const gchar *values[] = {
    "Basic realm=\"cam\"",
    "Digest realm=\"cam\", nonce=\"m1\", algorithm=MD5, qop=\"auth\"",
    NULL,
    "Digest realm=\"cam\", nonce=\"s1\", algorithm=SHA-256, qop=\"auth\", "
        "Digest realm=\"cam\", nonce=\"s2\", algorithm=SHA-256, qop=\"auth\"",
    "Digest realm=\"cam\", nonce=\"m0\"",
  };
  GPtrArray *a = arcly_auth_parse_challenges (N (values));

  fail_unless_equals_int (a->len, 5);
  fail_unless_equals_string (ch_at (a, 0)->nonce, "s1");
  fail_unless_equals_string (ch_at (a, 1)->nonce, "s2");
  fail_unless_equals_string (ch_at (a, 2)->nonce, "m1");
  fail_unless_equals_string (ch_at (a, 3)->nonce, "m0");
  fail_unless_equals_int (ch_at (a, 4)->scheme, ARCLY_AUTH_SCHEME_BASIC);
  g_ptr_array_unref (a);
}

GST_END_TEST;

GST_START_TEST (test_parse_bounded)
{
  GString *s = g_string_new (NULL);
  GPtrArray *a;
  guint i;

  /* 200 challenges in one value: only a bounded number kept. */
  for (i = 0; i < 200; i++)
    g_string_append_printf (s, "Digest realm=\"r\", nonce=\"n%u\", ", i);
  a = parse1 (s->str);
  fail_unless (a->len > 0 && a->len <= 16);
  g_ptr_array_unref (a);

  /* A huge nonce is truncated, never kept whole. */
  g_string_assign (s, "Digest realm=\"r\", nonce=\"");
  for (i = 0; i < 3000; i++)
    g_string_append_c (s, 'a');
  g_string_append (s, "\"");
  a = parse1 (s->str);
  fail_unless_equals_int (a->len, 1);
  fail_unless (strlen (ch_at (a, 0)->nonce) <= 1024);
  g_ptr_array_unref (a);
  g_string_free (s, TRUE);
}

GST_END_TEST;

GST_START_TEST (test_parse_every_prefix)
{
  const gchar *full = "Digest realm=\"a,\\\"b\", nonce=\"n\", qop=\"auth\", "
      "algorithm=SHA-256, opaque=\"o\", Basic realm=\"c\"";
  gsize len = strlen (full), i;

  for (i = 0; i <= len; i++) {
    gchar *p = g_strndup (full, i);
    GPtrArray *a = parse1 (p);

    fail_unless (a->len <= 2);
    g_ptr_array_unref (a);
    g_free (p);
  }
}

GST_END_TEST;

/* ------------------------------------------------------------------------ */
/* Authorization values: test vectors */

static gchar *
answer (const gchar * challenge, const gchar * cnonce, const gchar * method,
    const gchar * uri, const gchar * user, const gchar * pass)
{
  ArclyAuthSession *s = arcly_auth_session_new ();
  const gchar *values[] = { challenge };
  gchar *ret;

  arcly_auth_session_set_cnonce (s, cnonce);
  fail_unless (arcly_auth_session_challenge (s, N (values)));
  ret = arcly_auth_session_authorization (s, method, uri, user, pass);
  arcly_auth_session_free (s);
  return ret;
}

#define RFC7616_NONCE "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"
#define RFC7616_OPAQUE "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"
#define RFC7616_CNONCE "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"
#define RFC7616_CHALLENGE(alg) "Digest realm=\"http-auth@example.org\", " \
  "qop=\"auth, auth-int\", algorithm=" alg ", nonce=\"" RFC7616_NONCE "\", " \
  "opaque=\"" RFC7616_OPAQUE "\""
#define RFC7616_ANSWER(alg, response) "Digest username=\"Mufasa\", " \
  "realm=\"http-auth@example.org\", nonce=\"" RFC7616_NONCE "\", " \
  "uri=\"/dir/index.html\", algorithm=" alg ", response=\"" response "\", " \
  "cnonce=\"" RFC7616_CNONCE "\", qop=auth, nc=00000001, " \
  "opaque=\"" RFC7616_OPAQUE "\""

GST_START_TEST (test_rfc7616_md5)
{
  gchar *h = answer (RFC7616_CHALLENGE ("MD5"), RFC7616_CNONCE, "GET",
      "/dir/index.html", "Mufasa", "Circle of Life");

  /* RFC 7616 §3.9.1, MD5 */
  fail_unless_equals_string (h, RFC7616_ANSWER ("MD5",
          "8ca523f5e9506fed4657c9700eebdbec"));
  g_free (h);
}

GST_END_TEST;

GST_START_TEST (test_rfc7616_sha256)
{
  gchar *h = answer (RFC7616_CHALLENGE ("SHA-256"), RFC7616_CNONCE, "GET",
      "/dir/index.html", "Mufasa", "Circle of Life");

  /* RFC 7616 §3.9.1, SHA-256 */
  fail_unless_equals_string (h, RFC7616_ANSWER ("SHA-256",
          "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"));
  g_free (h);
}

GST_END_TEST;

GST_START_TEST (test_sess_variants)
{
  gchar *h;

  h = answer (RFC7616_CHALLENGE ("MD5-sess"), RFC7616_CNONCE, "GET",
      "/dir/index.html", "Mufasa", "Circle of Life");
  fail_unless_equals_string (h, RFC7616_ANSWER ("MD5-sess",
          "e783283f46242139c486a698fec7211d"));
  g_free (h);

  h = answer (RFC7616_CHALLENGE ("SHA-256-sess"), RFC7616_CNONCE, "GET",
      "/dir/index.html", "Mufasa", "Circle of Life");
  fail_unless_equals_string (h, RFC7616_ANSWER ("SHA-256-sess",
          "2fd51b3a77ad75bad6afad6003e818d767133c46d9e2749e7f5232ae1ea3efd7"));
  g_free (h);
}

GST_END_TEST;

GST_START_TEST (test_rfc2617)
{
  gchar *h = answer ("Digest realm=\"testrealm@host.com\", qop=\"auth,auth-int\", "
      "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", "
      "opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"", "0a4f113b", "GET",
      "/dir/index.html", "Mufasa", "Circle Of Life");

  /* RFC 2617 §3.5 */
  fail_unless_equals_string (h, "Digest username=\"Mufasa\", "
      "realm=\"testrealm@host.com\", "
      "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", uri=\"/dir/index.html\", "
      "algorithm=MD5, response=\"6629fae49393a05397450978507c4ef1\", "
      "cnonce=\"0a4f113b\", qop=auth, nc=00000001, "
      "opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"");
  g_free (h);
}

GST_END_TEST;

GST_START_TEST (test_rfc2069_form)
{
  /* No qop offered: no qop, nc, cnonce nor algorithm in the answer (what
   * old cameras and GStreamer's rtspsrc expect). */
  gchar *h = answer ("Digest realm=\"testrealm@host.com\", "
      "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", "
      "opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"", "0a4f113b", "GET",
      "/dir/index.html", "Mufasa", "Circle Of Life");

  fail_unless_equals_string (h, "Digest username=\"Mufasa\", "
      "realm=\"testrealm@host.com\", "
      "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", uri=\"/dir/index.html\", "
      "response=\"670fd8c2df070c60b045671b8b24ff02\", "
      "opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"");
  g_free (h);
}

GST_END_TEST;

GST_START_TEST (test_basic)
{
  gchar *h = answer ("Basic realm=\"WallyWorld\"", NULL, "DESCRIBE",
      "rtsp://cam:554/s", "Aladdin", "open sesame");

  /* RFC 7617 §2 */
  fail_unless_equals_string (h, "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  g_free (h);

  /* ':' and non-ASCII in the password are carried as they are. */
  h = answer ("basic", NULL, "DESCRIBE", "rtsp://cam:554/s", "u", "a:b\xc3\xa9");
  fail_unless_equals_string (h, "Basic dTphOmLDqQ==");
  g_free (h);
}

GST_END_TEST;

GST_START_TEST (test_userhash)
{
  gchar *h = answer (RFC7616_CHALLENGE ("SHA-256") ", userhash=true",
      RFC7616_CNONCE, "GET", "/dir/index.html", "Mufasa", "Circle of Life");

  /* username = SHA-256("Mufasa:http-auth@example.org"); the response is the
   * same as without userhash (RFC 7616 §3.4.4). */
  fail_unless (g_str_has_prefix (h, "Digest username=\"a947aad205e80e429958a"
          "387394944c6b496301e79f89d35a4cc23b6ee12b5b6\", "));
  fail_unless (strstr (h, "response=\"753927fa0e85d155564e2e272a28d1802ca10d"
          "af4496794697cf8db5856cb6c1\"") != NULL);
  fail_unless (g_str_has_suffix (h, ", userhash=true"));
  fail_unless (strstr (h, "Mufasa") == NULL);
  g_free (h);
}

GST_END_TEST;

GST_START_TEST (test_quoting_in_answer)
{
  gchar *h = answer ("Digest realm=\"r\\\"1\", nonce=\"n\"", NULL, "OPTIONS",
      "rtsp://cam/s", "us\"er\\", "p");

  fail_unless (g_str_has_prefix (h,
          "Digest username=\"us\\\"er\\\\\", realm=\"r\\\"1\", nonce=\"n\", "
          "uri=\"rtsp://cam/s\", response=\""));
  g_free (h);
}

GST_END_TEST;

/* ------------------------------------------------------------------------ */
/* Session behaviour */

static const gchar *
param_in (const gchar * header, const gchar * name, gchar * buf, gsize size)
{
  gchar *key = g_strdup_printf (", %s=", name);
  const gchar *p = strstr (header, key);
  gsize n;

  fail_unless (p != NULL, "no %s in the answer", name);
  p += strlen (key);
  if (*p == '"')
    p++;
  n = strcspn (p, "\",");
  fail_unless (n < size);
  memcpy (buf, p, n);
  buf[n] = '\0';
  g_free (key);
  return buf;
}

GST_START_TEST (test_nc_increments)
{
  ArclyAuthSession *s = arcly_auth_session_new ();
  const gchar *values[] = { RFC7616_CHALLENGE ("MD5") };
  gchar *h1, *h2, *h3, buf[80];

  arcly_auth_session_set_cnonce (s, RFC7616_CNONCE);
  fail_if (arcly_auth_session_active (s));
  fail_unless (arcly_auth_session_authorization (s, "GET", "/", "u",
          "p") == NULL);
  fail_unless_equals_string (arcly_auth_session_describe (s), "none");
  fail_unless (arcly_auth_session_challenge (s, N (values)));
  fail_unless (arcly_auth_session_active (s));
  fail_unless_equals_string (arcly_auth_session_describe (s), "Digest MD5");

  h1 = arcly_auth_session_authorization (s, "GET", "/dir/index.html",
      "Mufasa", "Circle of Life");
  h2 = arcly_auth_session_authorization (s, "GET", "/dir/index.html",
      "Mufasa", "Circle of Life");
  fail_unless_equals_string (param_in (h1, "nc", buf, sizeof (buf)),
      "00000001");
  fail_unless_equals_string (param_in (h2, "nc", buf, sizeof (buf)),
      "00000002");
  /* hashlib: same vector with nc=00000002 */
  fail_unless_equals_string (param_in (h2, "response", buf, sizeof (buf)),
      "4b5d595ecf2db9df612ea5b45cd97101");
  /* The same challenge serves every later request without a 401. */
  h3 = arcly_auth_session_authorization (s, "SETUP",
      "rtsp://cam/s/trackID=1", "Mufasa", "Circle of Life");
  fail_unless_equals_string (param_in (h3, "nc", buf, sizeof (buf)),
      "00000003");
  fail_unless_equals_string (param_in (h3, "uri", buf, sizeof (buf)),
      "rtsp://cam/s/trackID=1");
  g_free (h1);
  g_free (h2);
  g_free (h3);
  arcly_auth_session_free (s);
}

GST_END_TEST;

GST_START_TEST (test_random_cnonce)
{
  ArclyAuthSession *s = arcly_auth_session_new ();
  const gchar *values[] = { "Digest realm=\"r\", nonce=\"n\", qop=auth" };
  gchar *h, c1[80], c2[80];

  fail_unless (arcly_auth_session_challenge (s, N (values)));
  h = arcly_auth_session_authorization (s, "OPTIONS", "rtsp://c/", "u", "p");
  param_in (h, "cnonce", c1, sizeof (c1));
  fail_unless (strlen (c1) >= 16);
  g_free (h);
  arcly_auth_session_free (s);

  s = arcly_auth_session_new ();
  fail_unless (arcly_auth_session_challenge (s, N (values)));
  h = arcly_auth_session_authorization (s, "OPTIONS", "rtsp://c/", "u", "p");
  param_in (h, "cnonce", c2, sizeof (c2));
  fail_if (strcmp (c1, c2) == 0);
  g_free (h);
  arcly_auth_session_free (s);
}

GST_END_TEST;

GST_START_TEST (test_strongest_choice)
{
  ArclyAuthSession *s = arcly_auth_session_new ();
  const gchar *both[] = {
    "Basic realm=\"cam\"",
    "Digest realm=\"cam\", nonce=\"n\", qop=\"auth\""
  };
  const gchar *multi[] = {
    "Digest realm=\"cam\", nonce=\"m\", algorithm=MD5, qop=\"auth\", "
        "Digest realm=\"cam\", nonce=\"s\", algorithm=SHA-256, qop=\"auth\""
  };
  gchar *h;

  fail_unless (arcly_auth_session_challenge (s, N (both)));
  fail_unless_equals_string (arcly_auth_session_describe (s), "Digest MD5");
  h = arcly_auth_session_authorization (s, "DESCRIBE", "rtsp://c/", "u", "p");
  fail_unless (g_str_has_prefix (h, "Digest "));
  g_free (h);
  arcly_auth_session_free (s);

  s = arcly_auth_session_new ();
  fail_unless (arcly_auth_session_challenge (s, N (multi)));
  fail_unless_equals_string (arcly_auth_session_describe (s),
      "Digest SHA-256");
  h = arcly_auth_session_authorization (s, "DESCRIBE", "rtsp://c/", "u", "p");
  fail_unless (strstr (h, "algorithm=SHA-256") != NULL);
  fail_unless (strstr (h, "nonce=\"s\"") != NULL);
  g_free (h);
  arcly_auth_session_free (s);

  /* Basic alone. */
  s = arcly_auth_session_new ();
  fail_unless (arcly_auth_session_challenge (s, N (both)));
  arcly_auth_session_free (s);
  {
    const gchar *basic[] = { "Basic realm=\"cam\"" };

    s = arcly_auth_session_new ();
    fail_unless (arcly_auth_session_challenge (s, N (basic)));
    fail_unless_equals_string (arcly_auth_session_describe (s), "Basic");
    arcly_auth_session_free (s);
  }
}

GST_END_TEST;

GST_START_TEST (test_stale_renewal)
{
  ArclyAuthSession *s = arcly_auth_session_new ();
  const gchar *initial[] = { "Digest realm=\"cam\", nonce=\"old\", qop=auth" };
  const gchar *stale[] = {
    "Digest realm=\"cam\", nonce=\"new\", qop=auth, stale=TRUE"
  };
  gchar *h, buf[80];

  arcly_auth_session_set_cnonce (s, "0a4f113b");
  fail_unless (arcly_auth_session_challenge (s, N (initial)));
  g_free (arcly_auth_session_authorization (s, "DESCRIBE", "rtsp://c/", "u",
          "p"));
  h = arcly_auth_session_authorization (s, "SETUP", "rtsp://c/", "u", "p");
  fail_unless_equals_string (param_in (h, "nc", buf, sizeof (buf)),
      "00000002");
  g_free (h);

  /* Much later the nonce expires: 401 stale=true renews, nc back to 1. */
  fail_unless (arcly_auth_session_challenge (s, N (stale)));
  h = arcly_auth_session_authorization (s, "GET_PARAMETER", "rtsp://c/", "u",
      "p");
  fail_unless_equals_string (param_in (h, "nonce", buf, sizeof (buf)), "new");
  fail_unless_equals_string (param_in (h, "nc", buf, sizeof (buf)),
      "00000001");
  g_free (h);
  /* Accepted: the next request goes on with the new nonce. */
  h = arcly_auth_session_authorization (s, "GET_PARAMETER", "rtsp://c/", "u",
      "p");
  fail_unless_equals_string (param_in (h, "nc", buf, sizeof (buf)),
      "00000002");
  g_free (h);
  arcly_auth_session_free (s);
}

GST_END_TEST;

GST_START_TEST (test_stale_forever_is_bounded)
{
  ArclyAuthSession *s = arcly_auth_session_new ();
  const gchar *initial[] = { "Digest realm=\"cam\", nonce=\"n0\", qop=auth" };
  guint i, retries = 0;

  fail_unless (arcly_auth_session_challenge (s, N (initial)));
  for (i = 1; i < 50; i++) {
    gchar *v = g_strdup_printf ("Digest realm=\"cam\", nonce=\"n%u\", "
        "qop=auth, stale=true", i);
    const gchar *values[] = { v };
    gboolean again;

    g_free (arcly_auth_session_authorization (s, "DESCRIBE", "rtsp://c/", "u",
            "p"));
    again = arcly_auth_session_challenge (s, N (values));
    g_free (v);
    if (!again)
      break;
    retries++;
  }
  fail_unless (retries >= 1 && retries <= 5, "%u retries", retries);
  arcly_auth_session_free (s);
}

GST_END_TEST;

GST_START_TEST (test_refused_twice)
{
  const gchar *digest[] = { "Digest realm=\"cam\", nonce=\"n\", qop=auth" };
  const gchar *basic[] = { "Basic realm=\"cam\"" };
  ArclyAuthSession *s;

  /* Same challenge after a try with credentials: wrong password. */
  s = arcly_auth_session_new ();
  fail_unless (arcly_auth_session_challenge (s, N (digest)));
  g_free (arcly_auth_session_authorization (s, "DESCRIBE", "rtsp://c/", "u",
          "wrong"));
  fail_if (arcly_auth_session_challenge (s, N (digest)));
  arcly_auth_session_free (s);

  s = arcly_auth_session_new ();
  fail_unless (arcly_auth_session_challenge (s, N (basic)));
  g_free (arcly_auth_session_authorization (s, "DESCRIBE", "rtsp://c/", "u",
          "wrong"));
  fail_if (arcly_auth_session_challenge (s, N (basic)));
  arcly_auth_session_free (s);

  /* A server handing out a fresh nonce with every 401 (no stale): one more
   * try, then refused — a wrong password never loops. */
  s = arcly_auth_session_new ();
  {
    const gchar *n1[] = { "Digest realm=\"cam\", nonce=\"a\"" };
    const gchar *n2[] = { "Digest realm=\"cam\", nonce=\"b\"" };
    const gchar *n3[] = { "Digest realm=\"cam\", nonce=\"c\"" };

    fail_unless (arcly_auth_session_challenge (s, N (n1)));
    g_free (arcly_auth_session_authorization (s, "DESCRIBE", "rtsp://c/",
            "u", "wrong"));
    fail_unless (arcly_auth_session_challenge (s, N (n2)));
    g_free (arcly_auth_session_authorization (s, "DESCRIBE", "rtsp://c/",
            "u", "wrong"));
    fail_if (arcly_auth_session_challenge (s, N (n3)));
  }
  arcly_auth_session_free (s);

  /* Nothing usable offered. */
  s = arcly_auth_session_new ();
  {
    const gchar *none[] = { "Negotiate abc", "Digest realm=\"x\"" };

    fail_if (arcly_auth_session_challenge (s, N (none)));
    fail_if (arcly_auth_session_active (s));
  }
  arcly_auth_session_free (s);
}

GST_END_TEST;

GST_START_TEST (test_header_injection_refused)
{
  ArclyAuthSession *s = arcly_auth_session_new ();
  const gchar *values[] = { "Digest realm=\"cam\", nonce=\"n\"" };

  fail_unless (arcly_auth_session_challenge (s, N (values)));
  fail_unless (arcly_auth_session_authorization (s, "DESCRIBE", "rtsp://c/",
          "u\r\nX-Evil: 1", "p") == NULL);
  fail_unless (arcly_auth_session_authorization (s, "DESCRIBE",
          "rtsp://c/\r\nX: y", "u", "p") == NULL);
  arcly_auth_session_free (s);
}

GST_END_TEST;

static Suite *
rtspauth_suite (void)
{
  Suite *s = suite_create ("rtspauth");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_parse_digest_full);
  tcase_add_test (tc, test_parse_syntax_variants);
  tcase_add_test (tc, test_parse_skips_unusable);
  tcase_add_test (tc, test_parse_several_headers_order);
  tcase_add_test (tc, test_parse_bounded);
  tcase_add_test (tc, test_parse_every_prefix);
  tcase_add_test (tc, test_rfc7616_md5);
  tcase_add_test (tc, test_rfc7616_sha256);
  tcase_add_test (tc, test_sess_variants);
  tcase_add_test (tc, test_rfc2617);
  tcase_add_test (tc, test_rfc2069_form);
  tcase_add_test (tc, test_basic);
  tcase_add_test (tc, test_userhash);
  tcase_add_test (tc, test_quoting_in_answer);
  tcase_add_test (tc, test_nc_increments);
  tcase_add_test (tc, test_random_cnonce);
  tcase_add_test (tc, test_strongest_choice);
  tcase_add_test (tc, test_stale_renewal);
  tcase_add_test (tc, test_stale_forever_is_bounded);
  tcase_add_test (tc, test_refused_twice);
  tcase_add_test (tc, test_header_injection_refused);
  return s;
}

GST_CHECK_MAIN (rtspauth);
