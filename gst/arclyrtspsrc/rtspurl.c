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

/* rtsp:// URLs as cameras and users write them.
 *
 * Splitting follows RFC 3986 §3.2: the authority ends at the first '/', '?'
 * or '#', and the userinfo is everything up to the LAST '@' inside it, so a
 * password typed with a raw '@' ("admin:p@ss@cam") still works.  A raw '/',
 * '?' or '#' in a password cannot be told apart from the path: users must
 * percent-encode those (or use the user-id / user-pw properties).
 *
 * Nothing here ever puts credentials into an error message; every URL this
 * module builds for a request or for display is without userinfo.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "rtspurl.h"

#include <string.h>

/* Longest URL we accept: far above any camera's, small enough that a hostile
 * Content-Base cannot make us allocate much. */
#define ARCLY_RTSP_URL_MAX_LEN 4096

/* Bytes that can never appear in a URL we put on a request line: controls
 * and space would let a hostile string inject headers (CR LF) or break the
 * request line. */
static gboolean
is_forbidden_byte (guchar c)
{
  return c <= 0x20 || c == 0x7f;
}

static gboolean
has_forbidden_bytes (const gchar * s, gsize len)
{
  gsize i;

  for (i = 0; i < len; i++)
    if (is_forbidden_byte ((guchar) s[i]))
      return TRUE;
  return FALSE;
}

/* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) followed by "://".
 * Returns the scheme length, or 0 when @s does not start with one. */
static gsize
scheme_length (const gchar * s, gsize len)
{
  gsize i;

  if (len == 0 || !g_ascii_isalpha (s[0]))
    return 0;
  for (i = 1; i < len; i++) {
    if (g_ascii_isalnum (s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.')
      continue;
    break;
  }
  if (len - i >= 3 && s[i] == ':' && s[i + 1] == '/' && s[i + 2] == '/')
    return i;
  return 0;
}

/* Percent-decodes @len bytes.  An invalid escape ("%zz", a trailing '%') is
 * kept as it is: users type raw '%' in passwords.  A decoded NUL cannot be
 * carried in a C string and fails. */
static gchar *
percent_decode (const gchar * s, gsize len)
{
  GString *out = g_string_sized_new (len + 1);
  gsize i;

  for (i = 0; i < len; i++) {
    if (s[i] == '%' && i + 2 < len && g_ascii_isxdigit (s[i + 1])
        && g_ascii_isxdigit (s[i + 2])) {
      guchar c = (guchar) ((g_ascii_xdigit_value (s[i + 1]) << 4) |
          g_ascii_xdigit_value (s[i + 2]));

      if (c == 0) {
        g_string_free (out, TRUE);
        return NULL;
      }
      g_string_append_c (out, (gchar) c);
      i += 2;
    } else {
      g_string_append_c (out, s[i]);
    }
  }
  return g_string_free (out, FALSE);
}

/* Host name or IPv4 literal: RFC 3986 reg-name characters.  Percent escapes
 * are allowed but kept verbatim. */
static gboolean
is_valid_reg_name (const gchar * s, gsize len)
{
  gsize i;

  if (len == 0)
    return FALSE;
  for (i = 0; i < len; i++) {
    guchar c = (guchar) s[i];

    if (g_ascii_isalnum (c) || c == '-' || c == '.' || c == '_' || c == '~'
        || c == '%' || c == '!' || c == '$' || c == '&' || c == '\''
        || c == '(' || c == ')' || c == '*' || c == '+' || c == ',' || c == ';'
        || c == '=')
      continue;
    return FALSE;
  }
  return TRUE;
}

/* IPv6 literal between brackets (without them), optionally with a zone
 * ("fe80::1%25eth0", RFC 6874), or an IPvFuture. */
static gboolean
is_valid_ip_literal (const gchar * s, gsize len)
{
  gsize i;
  gboolean colon = FALSE;

  if (len == 0)
    return FALSE;
  for (i = 0; i < len; i++) {
    guchar c = (guchar) s[i];

    if (c == ':')
      colon = TRUE;
    else if (!(g_ascii_isalnum (c) || c == '.' || c == '%' || c == '-'
            || c == '_' || c == '~'))
      return FALSE;
  }
  return colon;
}

static gboolean
parse_port (const gchar * s, gsize len, guint16 * port)
{
  guint v = 0;
  gsize i;

  if (len == 0 || len > 5)
    return FALSE;
  for (i = 0; i < len; i++) {
    if (!g_ascii_isdigit (s[i]))
      return FALSE;
    v = v * 10 + (guint) (s[i] - '0');
  }
  if (v == 0 || v > 65535)
    return FALSE;
  *port = (guint16) v;
  return TRUE;
}

/* Splits the host[:port] part of an authority. */
static gboolean
parse_host_port (const gchar * s, gsize len, gchar ** host, guint16 * port,
    gboolean * have_port, GError ** error)
{
  const gchar *port_start = NULL;
  gsize host_len;
  const gchar *host_start;

  *have_port = FALSE;
  if (len > 0 && s[0] == '[') {
    const gchar *close = memchr (s, ']', len);

    if (close == NULL) {
      g_set_error_literal (error, G_URI_ERROR, G_URI_ERROR_BAD_HOST,
          "unterminated IPv6 address in URL");
      return FALSE;
    }
    host_start = s + 1;
    host_len = (gsize) (close - host_start);
    if (!is_valid_ip_literal (host_start, host_len)) {
      g_set_error_literal (error, G_URI_ERROR, G_URI_ERROR_BAD_HOST,
          "invalid IPv6 address in URL");
      return FALSE;
    }
    if (close + 1 < s + len) {
      if (close[1] != ':') {
        g_set_error_literal (error, G_URI_ERROR, G_URI_ERROR_BAD_HOST,
            "unexpected characters after IPv6 address in URL");
        return FALSE;
      }
      port_start = close + 2;
    }
  } else {
    const gchar *colon = memchr (s, ':', len);

    host_start = s;
    host_len = colon ? (gsize) (colon - s) : len;
    if (colon)
      port_start = colon + 1;
    if (!is_valid_reg_name (host_start, host_len)) {
      g_set_error_literal (error, G_URI_ERROR, G_URI_ERROR_BAD_HOST,
          host_len ? "invalid host in URL" : "URL has no host");
      return FALSE;
    }
  }

  if (port_start != NULL) {
    gsize port_len = (gsize) (s + len - port_start);

    /* "host:" with an empty port means the default (RFC 3986 §6.2.3). */
    if (port_len > 0) {
      if (!parse_port (port_start, port_len, port)) {
        g_set_error_literal (error, G_URI_ERROR, G_URI_ERROR_BAD_PORT,
            "invalid port in URL");
        return FALSE;
      }
      *have_port = TRUE;
    }
  }
  *host = g_strndup (host_start, host_len);
  return TRUE;
}

gboolean
arcly_rtsp_url_parse (const gchar * url, ArclyRtspUrl * out, GError ** error)
{
  gsize len, slen, auth_len;
  const gchar *p, *auth, *at = NULL, *hostport, *end;
  gchar *scheme = NULL, *host = NULL, *user = NULL, *password = NULL;
  guint16 port = 0;
  gboolean have_port = FALSE;
  gsize i;

  g_return_val_if_fail (out != NULL, FALSE);
  memset (out, 0, sizeof (*out));

  if (url == NULL) {
    g_set_error_literal (error, G_URI_ERROR, G_URI_ERROR_FAILED, "no URL");
    return FALSE;
  }
  len = strlen (url);
  if (len > ARCLY_RTSP_URL_MAX_LEN) {
    g_set_error_literal (error, G_URI_ERROR, G_URI_ERROR_FAILED,
        "URL too long");
    return FALSE;
  }
  if (has_forbidden_bytes (url, len)) {
    g_set_error_literal (error, G_URI_ERROR, G_URI_ERROR_FAILED,
        "URL contains spaces or control characters");
    return FALSE;
  }

  slen = scheme_length (url, len);
  if (slen == 0) {
    g_set_error_literal (error, G_URI_ERROR, G_URI_ERROR_BAD_SCHEME,
        "not an rtsp:// URL");
    return FALSE;
  }
  scheme = g_ascii_strdown (url, (gssize) slen);
  if (strcmp (scheme, "rtsp") != 0 && strcmp (scheme, "rtsps") != 0) {
    g_free (scheme);
    g_set_error_literal (error, G_URI_ERROR, G_URI_ERROR_BAD_SCHEME,
        "unsupported URL scheme (expected rtsp:// or rtsps://)");
    return FALSE;
  }

  auth = url + slen + 3;
  auth_len = strcspn (auth, "/?#");
  for (i = 0; i < auth_len; i++)
    if (auth[i] == '@')
      at = auth + i;

  if (at != NULL) {
    const gchar *colon = memchr (auth, ':', (gsize) (at - auth));
    gsize user_len = colon ? (gsize) (colon - auth) : (gsize) (at - auth);

    /* "rtsp://@host/" carries no credentials at all. */
    if (user_len > 0 || colon != NULL) {
      user = percent_decode (auth, user_len);
      if (user == NULL) {
        g_set_error_literal (error, G_URI_ERROR, G_URI_ERROR_BAD_USER,
            "invalid user name in URL");
        goto fail;
      }
    }
    if (colon != NULL) {
      password = percent_decode (colon + 1, (gsize) (at - colon - 1));
      if (password == NULL) {
        g_set_error_literal (error, G_URI_ERROR, G_URI_ERROR_BAD_PASSWORD,
            "invalid password in URL");
        goto fail;
      }
    }
    hostport = at + 1;
  } else {
    hostport = auth;
  }

  end = auth + auth_len;
  if (!parse_host_port (hostport, (gsize) (end - hostport), &host, &port,
          &have_port, error))
    goto fail;
  if (!have_port)
    port = strcmp (scheme, "rtsps") == 0 ? 322 : 554;

  /* Path and query; a fragment is never sent. */
  p = end;
  {
    gsize path_len = strcspn (p, "#");

    if (path_len == 0 || p[0] == '/')
      out->path = path_len ? g_strndup (p, path_len) : g_strdup ("/");
    else                        /* "rtsp://host?query" */
      out->path = g_strdup_printf ("/%.*s", (int) path_len, p);
  }

  out->scheme = scheme;
  out->host = host;
  out->port = port;
  out->user = user;
  out->password = password;
  /* The request URI adds the port when the URL has none: it must stay
   * within the bound too, so that it parses again (found by
   * fuzz_rtsp_url: 4093 bytes without a port made a 4097-byte one). */
  {
    gchar *req = arcly_rtsp_url_to_request_uri (out);
    gboolean too_long = strlen (req) > ARCLY_RTSP_URL_MAX_LEN;

    g_free (req);
    if (too_long) {
      arcly_rtsp_url_clear (out);
      g_set_error_literal (error, G_URI_ERROR, G_URI_ERROR_FAILED,
          "URL too long");
      return FALSE;
    }
  }
  return TRUE;

fail:
  g_free (scheme);
  g_free (host);
  g_free (user);
  if (password)
    memset (password, 0, strlen (password));
  g_free (password);
  return FALSE;
}

void
arcly_rtsp_url_clear (ArclyRtspUrl * url)
{
  if (url == NULL)
    return;
  g_clear_pointer (&url->scheme, g_free);
  g_clear_pointer (&url->host, g_free);
  g_clear_pointer (&url->path, g_free);
  g_clear_pointer (&url->user, g_free);
  if (url->password) {
    /* Do not leave the secret lying around in freed memory. */
    memset (url->password, 0, strlen (url->password));
    g_clear_pointer (&url->password, g_free);
  }
  url->port = 0;
}

gchar *
arcly_rtsp_url_to_request_uri (const ArclyRtspUrl * url)
{
  gboolean v6;

  g_return_val_if_fail (url != NULL && url->host != NULL, NULL);

  v6 = strchr (url->host, ':') != NULL;
  return g_strdup_printf ("%s://%s%s%s:%u%s",
      url->scheme ? url->scheme : "rtsp", v6 ? "[" : "", url->host,
      v6 ? "]" : "", (guint) url->port,
      url->path && url->path[0] == '/' ? url->path : "/");
}

/* Characters that end a URL inside free text (a log line, an error). */
static gboolean
ends_url_in_text (guchar c)
{
  return c <= 0x20 || c == 0x7f || c == '"' || c == '\'' || c == '<'
      || c == '>' || c == '`';
}

gchar *
arcly_rtsp_url_redact (const gchar * text)
{
  GString *out;
  const gchar *p;

  if (text == NULL)
    return NULL;

  out = g_string_sized_new (strlen (text) + 1);
  p = text;
  while (*p) {
    const gchar *sep = strstr (p, "://");
    const gchar *q, *at = NULL;

    if (sep == NULL) {
      g_string_append (out, p);
      break;
    }
    /* Copy through "://". */
    g_string_append_len (out, p, sep + 3 - p);
    q = sep + 3;

    /* Deliberately broader than the parser: here a false positive only
     * hides a host name in a log line, while a miss would leak a password
     * typed with a raw '/' or '?' in it.  The userinfo ends at the last '@'
     * before the end of the URL in the text. */
    for (; *q && !ends_url_in_text ((guchar) * q); q++) {
      if (*q == '@')
        at = q;
      /* Another URL glued on: stop, the outer loop handles it. */
      if (q[0] == ':' && q[1] == '/' && q[2] == '/' && q != sep)
        break;
    }
    p = at ? at + 1 : sep + 3;
  }
  return g_string_free (out, FALSE);
}

/* A URL split at string level (for resolution, where the base comes from a
 * server header and must be kept as written): prefix "scheme://host:port"
 * without userinfo, path (may be empty) and query (with its '?', may be
 * empty); the fragment is dropped. */
typedef struct
{
  GString *prefix;
  gchar *path;
  gchar *query;
} SplitUrl;

static gboolean
split_url (const gchar * url, SplitUrl * s)
{
  gsize len = strlen (url), slen, auth_len, i, path_len;
  const gchar *auth, *hostport, *rest;

  slen = scheme_length (url, len);
  if (slen == 0)
    return FALSE;
  auth = url + slen + 3;
  auth_len = strcspn (auth, "/?#");
  hostport = auth;
  for (i = 0; i < auth_len; i++)
    if (auth[i] == '@')
      hostport = auth + i + 1;

  s->prefix = g_string_new_len (url, (gssize) (slen + 3));
  g_string_append_len (s->prefix, hostport,
      (gssize) (auth + auth_len - hostport));
  rest = auth + auth_len;
  path_len = strcspn (rest, "?#");
  s->path = g_strndup (rest, path_len);
  rest += path_len;
  if (*rest == '?')
    s->query = g_strndup (rest, strcspn (rest, "#"));
  else
    s->query = g_strdup ("");
  return TRUE;
}

static void
split_url_clear (SplitUrl * s)
{
  if (s->prefix)
    g_string_free (s->prefix, TRUE);
  g_free (s->path);
  g_free (s->query);
}

static gchar *
join_split (SplitUrl * s)
{
  return g_strconcat (s->prefix->str, s->path, s->query, NULL);
}

/* RFC 3986 §5.2.4 remove_dot_segments, on an absolute path. */
static gchar *
remove_dot_segments (const gchar * path)
{
  gchar **segs = g_strsplit (path, "/", -1);
  GPtrArray *keep = g_ptr_array_new ();
  GString *out = g_string_new (NULL);
  guint i, n = g_strv_length (segs);
  gboolean trailing = FALSE;

  /* segs[0] is the empty string before the leading '/'. */
  for (i = 1; i < n; i++) {
    const gchar *seg = segs[i];

    trailing = FALSE;
    if (strcmp (seg, ".") == 0) {
      trailing = TRUE;
    } else if (strcmp (seg, "..") == 0) {
      if (keep->len > 0)
        g_ptr_array_remove_index (keep, keep->len - 1);
      trailing = TRUE;
    } else {
      g_ptr_array_add (keep, segs[i]);
    }
  }
  for (i = 0; i < keep->len; i++) {
    g_string_append_c (out, '/');
    g_string_append (out, g_ptr_array_index (keep, i));
  }
  if (trailing || out->len == 0)
    g_string_append_c (out, '/');
  g_ptr_array_unref (keep);
  g_strfreev (segs);
  return g_string_free (out, FALSE);
}

/* The result goes on a request line: refuse what could break it (a server
 * sending CR LF in a control URL would inject headers) or is absurdly long. */
static gchar *
check_result (gchar * url)
{
  gsize len = url ? strlen (url) : 0;

  if (url && (len > ARCLY_RTSP_URL_MAX_LEN || has_forbidden_bytes (url, len))) {
    g_free (url);
    return NULL;
  }
  return url;
}

gchar *
arcly_rtsp_url_resolve_control (const gchar * base, const gchar * control)
{
  SplitUrl b = { NULL, NULL, NULL };
  gchar *result = NULL;

  if (control != NULL && scheme_length (control, strlen (control)) > 0) {
    /* Absolute: as given, minus any userinfo (never send credentials on a
     * request line, and the Digest uri must not carry them). */
    SplitUrl c = { NULL, NULL, NULL };

    split_url (control, &c);
    result = join_split (&c);
    split_url_clear (&c);
    return check_result (result);
  }

  if (base == NULL || !split_url (base, &b)) {
    split_url_clear (&b);
    return NULL;
  }

  if (control == NULL || control[0] == '\0' || strcmp (control, "*") == 0) {
    result = join_split (&b);
  } else {
    gsize clen = strcspn (control, "?#");
    const gchar *cquery = control + clen;
    gchar *merged, *path;

    if (control[0] != '/' && b.query[0] != '\0'
        && b.query[strlen (b.query) - 1] == '/') {
      /* "rtsp://cam/live?ch=1/": the server ended its query with a slash
       * because it expects plain concatenation, as live555 and FFmpeg do
       * ("rtsp://cam/live?ch=1/track1"); give it exactly that. */
      result = g_strconcat (b.prefix->str, b.path, b.query, control, NULL);
      goto done;
    }
    if (control[0] == '/') {
      merged = g_strndup (control, clen);
    } else {
      /* The base is a directory: "rtsp://cam/stream" + "trackID=1" is
       * "rtsp://cam/stream/trackID=1" — what every camera means, although
       * RFC 3986 would replace the last segment. */
      const gchar *bp = b.path[0] ? b.path : "/";
      gboolean slash = bp[strlen (bp) - 1] == '/';

      merged = g_strdup_printf ("%s%s%.*s", bp, slash ? "" : "/", (int) clen,
          control);
    }
    path = remove_dot_segments (merged);
    g_free (merged);
    g_free (b.path);
    b.path = path;
    /* The control's own query wins; otherwise keep the base's query after
     * the path ("rtsp://cam/live?ch=1" + "track1" →
     * "rtsp://cam/live/track1?ch=1"), which is what servers that put
     * parameters in the query expect. */
    if (*cquery == '?') {
      g_free (b.query);
      b.query = g_strndup (cquery, strcspn (cquery, "#"));
    }
    result = join_split (&b);
  }
done:
  split_url_clear (&b);
  return check_result (result);
}

/* 1 for "rtsp", 2 for "rtsps" (any case) as the scheme of @s, else 0 */
static gint
rtsp_scheme_kind (const gchar * s)
{
  gsize slen = scheme_length (s, strlen (s));

  if (slen == 4 && g_ascii_strncasecmp (s, "rtsp", 4) == 0)
    return 1;
  if (slen == 5 && g_ascii_strncasecmp (s, "rtsps", 5) == 0)
    return 2;
  return 0;
}

gchar *
arcly_rtsp_url_resolve_location (const gchar * request_uri,
    const gchar * location)
{
  SplitUrl b = { NULL, NULL, NULL };
  gsize len, slen, clen;
  gchar *result = NULL, *merged, *path;
  gint kind;

  if (location == NULL || request_uri == NULL)
    return NULL;
  kind = rtsp_scheme_kind (request_uri);
  len = strlen (location);
  if (len == 0 || len > ARCLY_RTSP_URL_MAX_LEN
      || has_forbidden_bytes (location, len))
    return NULL;
  clen = strcspn (location, "#");
  slen = scheme_length (location, len);
  if (slen > 0) {
    gint to = rtsp_scheme_kind (location);

    /* only rtsp(s): another scheme is nothing this client can follow; and
     * never from rtsps to rtsp, which would drop the encryption */
    if (to == 0 || kind == 0 || to < kind)
      return NULL;
    return check_result (g_strndup (location, clen));
  }
  /* a relative Location only makes sense against an rtsp(s):// request */
  if (kind == 0 || !split_url (request_uri, &b)) {
    split_url_clear (&b);
    return NULL;
  }
  if (location[0] == '/' && location[1] == '/') {
    /* network-path reference: the request's scheme, a new authority */
    gsize s = scheme_length (b.prefix->str, b.prefix->len);

    result = g_strdup_printf ("%.*s:%.*s", (int) s, b.prefix->str,
        (int) clen, location);
    goto done;
  }
  {
    gsize plen = strcspn (location, "?#");
    const gchar *query = location + plen;

    if (location[0] == '/') {
      merged = g_strndup (location, plen);
    } else {
      /* RFC 3986 §5.2.3: the reference replaces the last segment */
      const gchar *bp = b.path[0] ? b.path : "/";
      const gchar *last = strrchr (bp, '/');

      merged = g_strdup_printf ("%.*s%.*s", (int) (last - bp + 1), bp,
          (int) plen, location);
    }
    path = remove_dot_segments (merged);
    g_free (merged);
    result = g_strdup_printf ("%s%s%.*s", b.prefix->str, path,
        (int) (*query == '?' ? strcspn (query, "#") : 0), query);
    g_free (path);
  }
done:
  split_url_clear (&b);
  return check_result (result);
}
