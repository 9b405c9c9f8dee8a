/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 *
 * This library is distributed in the hope that it will be useful,
 * but WITHOUT ANY WARRANTY; without even the implied warranty of
 * MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the GNU
 * Library General Public License for more details.
 *
 * You should have received a copy of the GNU Library General Public
 * License along with this library; if not, write to the
 * Free Software Foundation, Inc., 51 Franklin St, Fifth Floor,
 * Boston, MA 02110-1301, USA.
 */

/* RTSP client authentication.
 *
 * Challenge syntax (RFC 7235 §2.1, §4.1), as cameras really send it:
 *
 *   WWW-Authenticate: Digest realm="cam", nonce="a,b", qop="auth,auth-int",
 *                     algorithm=SHA-256, Basic realm="cam"
 *
 *   challenge  = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
 *   auth-param = token BWS "=" BWS ( token / quoted-string )
 *
 * Several challenges may share one header value, separated by commas, so a
 * comma only ends the current challenge when the next token is not followed
 * by '='.  Quoted strings may contain commas and backslash escapes.  Names
 * are case-insensitive; whitespace around '=' and ',' is tolerated.
 *
 * Responses: Basic is RFC 7617; Digest is RFC 7616 §3.4 (MD5, MD5-sess,
 * SHA-256, SHA-256-sess, qop=auth with nc and cnonce, opaque, userhash),
 * falling back to the RFC 2069 form (no qop, no nc/cnonce) when the server
 * did not offer qop — what older cameras and GStreamer's rtspsrc speak.
 *
 * Everything is bounded: a hostile header cannot make us allocate more than
 * a few KiB per challenge nor keep more than a few dozen challenges.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "rtspauth.h"

#include <stdarg.h>
#include <string.h>

#define MAX_VALUE_LEN      4096     /* one header value scanned */
#define MAX_PARAM_LEN      1024     /* one auth-param value kept */
#define MAX_PARAMS           32     /* auth-params per challenge */
#define MAX_CHALLENGES       16     /* challenges kept per response */
#define MAX_STALE_RENEWALS    3     /* stale=true in a row without success */

/* ------------------------------------------------------------------------ */
/* Challenge parsing */

typedef struct
{
  const gchar *p;
  const gchar *end;
} Cursor;

static gboolean
is_tchar (guchar c)
{
  /* RFC 7230 §3.2.6 tchar */
  return g_ascii_isalnum (c) || strchr ("!#$%&'*+-.^_`|~", c) != NULL;
}

static void
skip_ws (Cursor * c)
{
  while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\r'
          || *c->p == '\n'))
    c->p++;
}

static void
skip_ws_commas (Cursor * c)
{
  while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == ','
          || *c->p == '\r' || *c->p == '\n'))
    c->p++;
}

/* Returns the token length at the cursor (0 if none); does not advance. */
static gsize
peek_token (const Cursor * c)
{
  const gchar *q = c->p;

  while (q < c->end && *q != '\0' && is_tchar ((guchar) * q))
    q++;
  return (gsize) (q - c->p);
}

/* Parses a quoted-string at the cursor (which is on the opening quote) and
 * returns its unescaped value, or NULL when it is unterminated.  Values
 * longer than MAX_PARAM_LEN are truncated (they are never meaningful). */
static gchar *
parse_quoted (Cursor * c)
{
  GString *s = g_string_new (NULL);

  c->p++;                       /* opening quote */
  while (c->p < c->end) {
    gchar ch = *c->p++;

    if (ch == '"')
      return g_string_free (s, FALSE);
    if (ch == '\\' && c->p < c->end)
      ch = *c->p++;
    if (s->len < MAX_PARAM_LEN)
      g_string_append_c (s, ch);
  }
  g_string_free (s, TRUE);
  return NULL;
}

/* A token value (unquoted): everything up to whitespace or a comma. */
static gchar *
parse_token_value (Cursor * c)
{
  const gchar *start = c->p;
  gsize len;

  while (c->p < c->end && *c->p != ',' && *c->p != ' ' && *c->p != '\t'
      && *c->p != '\r' && *c->p != '\n')
    c->p++;
  len = (gsize) (c->p - start);
  return g_strndup (start, MIN (len, MAX_PARAM_LEN));
}

/* Values we echo inside a header must not carry control characters
 * (a CR LF would inject a header). */
static gboolean
is_header_safe (const gchar * s)
{
  for (; s && *s; s++) {
    guchar c = (guchar) * s;

    if ((c < 0x20 && c != '\t') || c == 0x7f)
      return FALSE;
  }
  return TRUE;
}

typedef struct
{
  ArclyAuthChallenge ch;
  gboolean have_algorithm;
  gboolean algorithm_known;
  gboolean have_qop;
  gboolean bad;
  gint order;
} ParsedChallenge;

static gboolean
parse_algorithm (const gchar * v, ArclyDigestAlgorithm * alg)
{
  if (g_ascii_strcasecmp (v, "MD5") == 0)
    *alg = ARCLY_DIGEST_MD5;
  else if (g_ascii_strcasecmp (v, "MD5-sess") == 0)
    *alg = ARCLY_DIGEST_MD5_SESS;
  else if (g_ascii_strcasecmp (v, "SHA-256") == 0)
    *alg = ARCLY_DIGEST_SHA256;
  else if (g_ascii_strcasecmp (v, "SHA-256-sess") == 0)
    *alg = ARCLY_DIGEST_SHA256_SESS;
  else
    return FALSE;
  return TRUE;
}

/* qop="auth,auth-int": is "auth" one of the listed options? */
static gboolean
qop_list_has_auth (const gchar * v)
{
  gchar **opts = g_strsplit_set (v, ", \t", -1);
  gboolean found = FALSE;
  gchar **o;

  for (o = opts; *o; o++)
    if (g_ascii_strcasecmp (*o, "auth") == 0)
      found = TRUE;
  g_strfreev (opts);
  return found;
}

static void
apply_param (ParsedChallenge * pc, const gchar * name, gsize name_len,
    gchar * value)
{
#define NAME_IS(n) (name_len == strlen (n) && \
      g_ascii_strncasecmp (name, n, name_len) == 0)
  if (!is_header_safe (value)) {
    pc->bad = TRUE;
    g_free (value);
    return;
  }
  if (NAME_IS ("realm")) {
    g_free (pc->ch.realm);
    pc->ch.realm = value;
  } else if (NAME_IS ("nonce")) {
    g_free (pc->ch.nonce);
    pc->ch.nonce = value;
  } else if (NAME_IS ("opaque")) {
    g_free (pc->ch.opaque);
    pc->ch.opaque = value;
  } else if (NAME_IS ("algorithm")) {
    pc->have_algorithm = TRUE;
    pc->algorithm_known = parse_algorithm (value, &pc->ch.algorithm);
    g_free (value);
  } else if (NAME_IS ("qop")) {
    pc->have_qop = TRUE;
    pc->ch.qop_auth = qop_list_has_auth (value);
    g_free (value);
  } else if (NAME_IS ("stale")) {
    pc->ch.stale = g_ascii_strcasecmp (value, "true") == 0;
    g_free (value);
  } else if (NAME_IS ("userhash")) {
    pc->ch.userhash = g_ascii_strcasecmp (value, "true") == 0;
    g_free (value);
  } else {
    /* domain, charset, and anything else: not needed. */
    g_free (value);
  }
#undef NAME_IS
}

/* Parses the auth-params following a scheme, up to the next challenge (a
 * token not followed by '=') or the end. */
static void
parse_params (Cursor * c, ParsedChallenge * pc)
{
  guint n = 0;

  for (;;) {
    const gchar *name;
    gsize name_len;
    Cursor save;
    gchar *value;

    skip_ws_commas (c);
    if (c->p >= c->end)
      return;
    save = *c;
    name = c->p;
    name_len = peek_token (c);
    if (name_len == 0) {
      /* Junk: skip one byte and carry on. */
      c->p++;
      continue;
    }
    c->p += name_len;
    skip_ws (c);
    if (c->p >= c->end || *c->p != '=') {
      /* A token without '=': the next challenge's scheme, or a token68
       * (which ends with '=' padding, handled below).  Rewind. */
      *c = save;
      return;
    }
    c->p++;                     /* '=' */
    /* token68 "abc==": more '=' right after; not used by Basic/Digest
     * challenges, skip the rest of it. */
    while (c->p < c->end && *c->p == '=')
      c->p++;
    skip_ws (c);
    if (c->p < c->end && *c->p == '"') {
      value = parse_quoted (c);
      if (value == NULL) {
        pc->bad = TRUE;         /* unterminated quote */
        c->p = c->end;
        return;
      }
    } else {
      value = parse_token_value (c);
    }
    if (++n > MAX_PARAMS) {
      g_free (value);
      continue;
    }
    apply_param (pc, name, name_len, value);
  }
}

static void
parsed_clear (ParsedChallenge * pc)
{
  g_free (pc->ch.realm);
  g_free (pc->ch.nonce);
  g_free (pc->ch.opaque);
  memset (pc, 0, sizeof (*pc));
}

/* Higher is stronger. */
static gint
challenge_rank (const ArclyAuthChallenge * ch)
{
  if (ch->scheme == ARCLY_AUTH_SCHEME_BASIC)
    return 0;
  switch (ch->algorithm) {
    case ARCLY_DIGEST_SHA256:
    case ARCLY_DIGEST_SHA256_SESS:
      return ch->qop_auth ? 4 : 3;
    case ARCLY_DIGEST_MD5:
    case ARCLY_DIGEST_MD5_SESS:
    default:
      return ch->qop_auth ? 2 : 1;
  }
}

/* Keeps the usable ones; takes ownership of @pc's strings either way. */
static void
finish_challenge (ParsedChallenge * pc, GPtrArray * out)
{
  ArclyAuthChallenge *ch;

  if (pc->bad || out->len >= MAX_CHALLENGES)
    goto skip;
  if (pc->ch.scheme == ARCLY_AUTH_SCHEME_DIGEST) {
    if (pc->ch.nonce == NULL || (pc->have_algorithm && !pc->algorithm_known))
      goto skip;
    /* qop offered, but only auth-int (which needs the body): unusable. */
    if (pc->have_qop && !pc->ch.qop_auth)
      goto skip;
  }
  if (pc->ch.realm == NULL)
    pc->ch.realm = g_strdup ("");

  ch = g_new0 (ArclyAuthChallenge, 1);
  *ch = pc->ch;
  if (ch->scheme == ARCLY_AUTH_SCHEME_BASIC) {
    /* Digest-only fields mean nothing for Basic. */
    g_clear_pointer (&ch->nonce, g_free);
    g_clear_pointer (&ch->opaque, g_free);
    ch->qop_auth = ch->stale = ch->userhash = FALSE;
    ch->algorithm = ARCLY_DIGEST_MD5;
  }
  g_ptr_array_add (out, ch);
  memset (pc, 0, sizeof (*pc));
  return;

skip:
  parsed_clear (pc);
}

static gint
compare_rank (gconstpointer a, gconstpointer b)
{
  const ArclyAuthChallenge *ca = *(ArclyAuthChallenge * const *) a;
  const ArclyAuthChallenge *cb = *(ArclyAuthChallenge * const *) b;

  return challenge_rank (cb) - challenge_rank (ca);
}

static void
parse_one_value (const gchar * value, GPtrArray * out)
{
  Cursor c;
  gsize len = strnlen (value, MAX_VALUE_LEN);

  c.p = value;
  c.end = value + len;

  for (;;) {
    gsize tlen;
    ParsedChallenge pc;

    skip_ws_commas (&c);
    if (c.p >= c.end)
      return;
    tlen = peek_token (&c);
    if (tlen == 0) {
      c.p++;                    /* junk byte */
      continue;
    }
    memset (&pc, 0, sizeof (pc));
    if (tlen == 5 && g_ascii_strncasecmp (c.p, "Basic", 5) == 0)
      pc.ch.scheme = ARCLY_AUTH_SCHEME_BASIC;
    else if (tlen == 6 && g_ascii_strncasecmp (c.p, "Digest", 6) == 0)
      pc.ch.scheme = ARCLY_AUTH_SCHEME_DIGEST;
    else
      pc.ch.scheme = ARCLY_AUTH_SCHEME_NONE;
    c.p += tlen;
    {
      /* A scheme followed by '=' is a stray auth-param: skip its value. */
      Cursor probe = c;

      skip_ws (&probe);
      if (probe.p < probe.end && *probe.p == '=') {
        c = probe;
        c.p++;
        skip_ws (&c);
        if (c.p < c.end && *c.p == '"') {
          gchar *v = parse_quoted (&c);

          if (v == NULL)
            return;
          g_free (v);
        } else {
          g_free (parse_token_value (&c));
        }
        continue;
      }
    }
    parse_params (&c, &pc);
    if (pc.ch.scheme == ARCLY_AUTH_SCHEME_NONE)
      parsed_clear (&pc);       /* unknown scheme: skipped */
    else
      finish_challenge (&pc, out);
  }
}

GPtrArray *
arcly_auth_parse_challenges (const gchar * const *values, guint n_values)
{
  GPtrArray *out =
      g_ptr_array_new_with_free_func ((GDestroyNotify)
      arcly_auth_challenge_free);
  guint i;

  for (i = 0; values != NULL && i < n_values; i++) {
    if (values[i] == NULL)
      continue;
    parse_one_value (values[i], out);
  }
  /* Strongest first; g_ptr_array_sort is a stable merge sort, so equally
   * strong challenges keep the server's order. */
  g_ptr_array_sort (out, compare_rank);
  return out;
}

void
arcly_auth_challenge_free (ArclyAuthChallenge * challenge)
{
  if (challenge == NULL)
    return;
  g_free (challenge->realm);
  g_free (challenge->nonce);
  g_free (challenge->opaque);
  g_free (challenge);
}

static ArclyAuthChallenge *
challenge_copy (const ArclyAuthChallenge * src)
{
  ArclyAuthChallenge *ch = g_new0 (ArclyAuthChallenge, 1);

  *ch = *src;
  ch->realm = g_strdup (src->realm);
  ch->nonce = g_strdup (src->nonce);
  ch->opaque = g_strdup (src->opaque);
  return ch;
}

/* ------------------------------------------------------------------------ */
/* Session */

struct _ArclyAuthSession
{
  ArclyAuthChallenge *active;   /* NULL until a challenge was accepted */
  guint32 nc;                   /* last nonce count sent with qop */
  gchar *cnonce;
  gboolean fixed_cnonce;        /* set by a test: never replaced */
  gboolean tried;               /* an Authorization was built for @active */
  gchar *tried_nonce;           /* the nonce of that try (Digest) */
  ArclyAuthScheme tried_scheme;
  gboolean last_was_authorization;      /* no challenge since the last one */
  guint refusals;               /* 401s after a try, since the last success */
  guint stale_renewals;         /* stale renewals since the last success */
};

ArclyAuthSession *
arcly_auth_session_new (void)
{
  return g_new0 (ArclyAuthSession, 1);
}

void
arcly_auth_session_free (ArclyAuthSession * session)
{
  if (session == NULL)
    return;
  arcly_auth_challenge_free (session->active);
  g_free (session->cnonce);
  g_free (session->tried_nonce);
  g_free (session);
}

static void
new_cnonce (ArclyAuthSession * session)
{
  if (session->fixed_cnonce && session->cnonce)
    return;
  g_free (session->cnonce);
  session->cnonce = g_strdup_printf ("%08x%08x%08x%08x", g_random_int (),
      g_random_int (), g_random_int (), g_random_int ());
}

static void
accept_challenge (ArclyAuthSession * session, const ArclyAuthChallenge * ch)
{
  arcly_auth_challenge_free (session->active);
  session->active = challenge_copy (ch);
  session->nc = 0;
  session->tried = FALSE;
  new_cnonce (session);
}

gboolean
arcly_auth_session_challenge (ArclyAuthSession * session,
    const gchar * const *values, guint n_values)
{
  GPtrArray *challenges;
  const ArclyAuthChallenge *best;
  gboolean ret = FALSE;

  g_return_val_if_fail (session != NULL, FALSE);

  session->last_was_authorization = FALSE;
  challenges = arcly_auth_parse_challenges (values, n_values);
  if (challenges->len == 0)
    goto done;
  best = g_ptr_array_index (challenges, 0);

  if (session->active == NULL || !session->tried) {
    /* First challenge (or a second 401 before we even tried). */
    accept_challenge (session, best);
    ret = TRUE;
    goto done;
  }

  /* We sent credentials and were answered 401 again. */
  session->refusals++;
  if (best->scheme == ARCLY_AUTH_SCHEME_DIGEST && best->stale) {
    /* RFC 7616 §3.3: stale=true means the credentials were right but the
     * nonce expired: retry with the new nonce, nc back to 1.  Bounded, so a
     * server that says stale forever cannot keep us looping. */
    if (session->stale_renewals < MAX_STALE_RENEWALS) {
      session->stale_renewals++;
      accept_challenge (session, best);
      ret = TRUE;
    }
  } else if (session->refusals == 1 && (best->scheme != session->tried_scheme
          || (best->scheme == ARCLY_AUTH_SCHEME_DIGEST
              && g_strcmp0 (best->nonce, session->tried_nonce) != 0))) {
    /* Some cameras rotate the nonce and answer 401 without stale=true (or
     * switch schemes): one more try with the fresh challenge, never two in
     * a row, so a wrong password still fails after at most three
     * requests. */
    accept_challenge (session, best);
    ret = TRUE;
  }

done:
  g_ptr_array_unref (challenges);
  return ret;
}

gboolean
arcly_auth_session_active (ArclyAuthSession * session)
{
  g_return_val_if_fail (session != NULL, FALSE);
  return session->active != NULL;
}

void
arcly_auth_session_set_cnonce (ArclyAuthSession * session,
    const gchar * cnonce)
{
  g_return_if_fail (session != NULL);
  g_free (session->cnonce);
  session->cnonce = g_strdup (cnonce);
  session->fixed_cnonce = cnonce != NULL;
}

ArclyAuthScheme
arcly_auth_session_scheme (ArclyAuthSession * session)
{
  g_return_val_if_fail (session != NULL, ARCLY_AUTH_SCHEME_NONE);
  return session->active ? session->active->scheme : ARCLY_AUTH_SCHEME_NONE;
}

const gchar *
arcly_auth_session_describe (ArclyAuthSession * session)
{
  g_return_val_if_fail (session != NULL, "none");
  if (session->active == NULL)
    return "none";
  if (session->active->scheme == ARCLY_AUTH_SCHEME_BASIC)
    return "Basic";
  switch (session->active->algorithm) {
    case ARCLY_DIGEST_MD5_SESS:
      return "Digest MD5-sess";
    case ARCLY_DIGEST_SHA256:
      return "Digest SHA-256";
    case ARCLY_DIGEST_SHA256_SESS:
      return "Digest SHA-256-sess";
    case ARCLY_DIGEST_MD5:
    default:
      return "Digest MD5";
  }
}

/* ------------------------------------------------------------------------ */
/* Authorization values */

static const gchar *
algorithm_name (ArclyDigestAlgorithm alg)
{
  switch (alg) {
    case ARCLY_DIGEST_MD5_SESS:
      return "MD5-sess";
    case ARCLY_DIGEST_SHA256:
      return "SHA-256";
    case ARCLY_DIGEST_SHA256_SESS:
      return "SHA-256-sess";
    case ARCLY_DIGEST_MD5:
    default:
      return "MD5";
  }
}

/* H(a:b:c...) in lower-case hex, the strings joined with ':'. */
static gchar *
digest_hash (ArclyDigestAlgorithm alg, const gchar * first, ...)
{
  GChecksumType type = (alg == ARCLY_DIGEST_SHA256
      || alg == ARCLY_DIGEST_SHA256_SESS) ? G_CHECKSUM_SHA256 : G_CHECKSUM_MD5;
  GChecksum *cs = g_checksum_new (type);
  const gchar *s;
  gboolean sep = FALSE;
  gchar *hex;
  va_list ap;

  va_start (ap, first);
  for (s = first; s != NULL; s = va_arg (ap, const gchar *)) {
    if (sep)
      g_checksum_update (cs, (const guchar *) ":", 1);
    g_checksum_update (cs, (const guchar *) s, (gssize) strlen (s));
    sep = TRUE;
  }
  va_end (ap);
  hex = g_strdup (g_checksum_get_string (cs));
  g_checksum_free (cs);
  return hex;
}

#define DIGEST_PREFIX "Digest "

/* Appends name="value" with '"' and '\' escaped (RFC 7230 quoted-pair),
 * preceded by ", " unless it is the first parameter after DIGEST_PREFIX. */
static void
append_quoted (GString * s, const gchar * name, const gchar * value)
{
  const gchar *p;
  gboolean first = s->len == strlen (DIGEST_PREFIX);

  g_string_append_printf (s, "%s%s=\"", first ? "" : ", ", name);
  for (p = value; *p; p++) {
    if (*p == '"' || *p == '\\')
      g_string_append_c (s, '\\');
    g_string_append_c (s, *p);
  }
  g_string_append_c (s, '"');
}

static gchar *
basic_authorization (const gchar * user, const gchar * password)
{
  gchar *plain = g_strdup_printf ("%s:%s", user, password);
  gchar *b64 = g_base64_encode ((const guchar *) plain, strlen (plain));
  gchar *ret = g_strconcat ("Basic ", b64, NULL);

  memset (plain, 0, strlen (plain));
  g_free (plain);
  g_free (b64);
  return ret;
}

static gchar *
digest_authorization (ArclyAuthSession * session, const gchar * method,
    const gchar * uri, const gchar * user, const gchar * password)
{
  const ArclyAuthChallenge *ch = session->active;
  ArclyDigestAlgorithm alg = ch->algorithm;
  gboolean sess = alg == ARCLY_DIGEST_MD5_SESS
      || alg == ARCLY_DIGEST_SHA256_SESS;
  gchar *ha1, *ha2, *response, nc[9];
  GString *s;

  if (session->cnonce == NULL)
    new_cnonce (session);

  ha1 = digest_hash (alg, user, ch->realm, password, NULL);
  if (sess) {
    /* RFC 7616 §3.4.2: A1 = H(user:realm:pass):nonce:cnonce */
    gchar *tmp = digest_hash (alg, ha1, ch->nonce, session->cnonce, NULL);

    memset (ha1, 0, strlen (ha1));
    g_free (ha1);
    ha1 = tmp;
  }
  ha2 = digest_hash (alg, method, uri, NULL);

  if (ch->qop_auth) {
    session->nc++;
    g_snprintf (nc, sizeof (nc), "%08x", session->nc);
    response = digest_hash (alg, ha1, ch->nonce, nc, session->cnonce, "auth",
        ha2, NULL);
  } else {
    /* RFC 2069 form */
    response = digest_hash (alg, ha1, ch->nonce, ha2, NULL);
  }

  s = g_string_new (DIGEST_PREFIX);
  if (ch->userhash) {
    /* RFC 7616 §3.4.4: username = H(user:realm) */
    gchar *uh = digest_hash (alg, user, ch->realm, NULL);

    g_string_append_printf (s, "username=\"%s\"", uh);
    g_free (uh);
  } else {
    append_quoted (s, "username", user);
  }
  append_quoted (s, "realm", ch->realm);
  append_quoted (s, "nonce", ch->nonce);
  append_quoted (s, "uri", uri);
  /* Old cameras speaking RFC 2069 expect no algorithm parameter. */
  if (ch->qop_auth || alg != ARCLY_DIGEST_MD5)
    g_string_append_printf (s, ", algorithm=%s", algorithm_name (alg));
  g_string_append_printf (s, ", response=\"%s\"", response);
  if (ch->qop_auth || sess)
    append_quoted (s, "cnonce", session->cnonce);
  if (ch->qop_auth)
    g_string_append_printf (s, ", qop=auth, nc=%s", nc);
  if (ch->opaque)
    append_quoted (s, "opaque", ch->opaque);
  if (ch->userhash)
    g_string_append (s, ", userhash=true");

  memset (ha1, 0, strlen (ha1));
  g_free (ha1);
  g_free (ha2);
  g_free (response);
  return g_string_free (s, FALSE);
}

gchar *
arcly_auth_session_authorization (ArclyAuthSession * session,
    const gchar * method, const gchar * uri, const gchar * user,
    const gchar * password)
{
  gchar *ret;

  g_return_val_if_fail (session != NULL, NULL);
  g_return_val_if_fail (method != NULL && uri != NULL, NULL);

  if (session->active == NULL)
    return NULL;
  if (user == NULL)
    user = "";
  if (password == NULL)
    password = "";
  /* Values that would break the header line (CR LF injection). */
  if (!is_header_safe (user) || !is_header_safe (uri)
      || !is_header_safe (method))
    return NULL;

  /* Two Authorization values in a row without a 401 in between: the
   * previous request was accepted. */
  if (session->last_was_authorization) {
    session->refusals = 0;
    session->stale_renewals = 0;
  }
  session->last_was_authorization = TRUE;

  if (session->active->scheme == ARCLY_AUTH_SCHEME_BASIC)
    ret = basic_authorization (user, password);
  else
    ret = digest_authorization (session, method, uri, user, password);

  session->tried = TRUE;
  session->tried_scheme = session->active->scheme;
  g_free (session->tried_nonce);
  session->tried_nonce = g_strdup (session->active->nonce);
  return ret;
}
