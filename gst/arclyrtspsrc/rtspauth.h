/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * RTSP client authentication: Basic (RFC 7617) and Digest (RFC 7616, also
 * the RFC 2069 form without qop that older cameras send): challenge parsing,
 * choice of the strongest offered scheme, and Authorization header values.
 * Pure code: no element code, no I/O, hashing with GChecksum.  Nothing here
 * logs; callers must never log what it returns.
 */

#ifndef __ARCLY_RTSP_AUTH_H__
#define __ARCLY_RTSP_AUTH_H__

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  ARCLY_AUTH_SCHEME_NONE = 0,
  ARCLY_AUTH_SCHEME_BASIC,
  ARCLY_AUTH_SCHEME_DIGEST,
} ArclyAuthScheme;

typedef enum
{
  ARCLY_DIGEST_MD5 = 0,
  ARCLY_DIGEST_MD5_SESS,
  ARCLY_DIGEST_SHA256,
  ARCLY_DIGEST_SHA256_SESS,
} ArclyDigestAlgorithm;

/* One parsed challenge (a WWW-Authenticate value may hold several). */
typedef struct
{
  ArclyAuthScheme scheme;
  ArclyDigestAlgorithm algorithm;
  gchar *realm;
  gchar *nonce;
  gchar *opaque;          /* NULL when absent */
  gboolean qop_auth;      /* the server offered qop=auth */
  gboolean stale;
  gboolean userhash;      /* RFC 7616 userhash=true */
} ArclyAuthChallenge;

/* Parses every challenge found in the WWW-Authenticate values (one header
 * may carry several challenges separated by commas; a response may carry
 * several headers).  Unknown schemes and algorithms are skipped.  Returns the
 * challenges in order of preference, strongest first: Digest SHA-256 >
 * Digest MD5 > Basic (equally strong ones in the server's order).  Never
 * NULL (empty when nothing usable was offered).  The array owns its
 * challenges: free it with g_ptr_array_unref(). */
GPtrArray * arcly_auth_parse_challenges (const gchar * const * values,
                                         guint n_values);
void        arcly_auth_challenge_free (ArclyAuthChallenge * challenge);

/* The state a client keeps per connection: the chosen challenge, the nonce
 * count and a cnonce.  Reusing it answers later requests without a new
 * round-trip (a camera is not asked twice per request). */
typedef struct _ArclyAuthSession ArclyAuthSession;

ArclyAuthSession * arcly_auth_session_new (void);
void               arcly_auth_session_free (ArclyAuthSession * session);

/* A 401 arrived with these WWW-Authenticate values.  Chooses the strongest
 * challenge.  Returns TRUE when retrying with credentials makes sense:
 * the first challenge, or a Digest challenge with stale=true (renew the
 * nonce, nc restarts at 1; at most 3 renewals in a row).  Returns FALSE
 * when the same credentials were already refused (a 401 without stale after
 * an authorized try) or nothing usable was offered.  Exception, for cameras
 * that rotate the nonce without stale=true: a first refusal carrying a
 * different nonce (or scheme) is retried once, never twice in a row.  Two
 * arcly_auth_session_authorization() calls without a challenge in between
 * mean the earlier request succeeded and reset these counters. */
gboolean arcly_auth_session_challenge (ArclyAuthSession * session,
                                       const gchar * const * values,
                                       guint n_values);

/* TRUE once a challenge was accepted, so every later request carries an
 * Authorization header. */
gboolean arcly_auth_session_active (ArclyAuthSession * session);

/* The Authorization header value for @method on @uri (the request URI,
 * without credentials).  Increments nc for Digest with qop.  NULL when no
 * challenge is active, or when @user, @uri or @method hold control
 * characters (they would inject header lines). */
gchar *  arcly_auth_session_authorization (ArclyAuthSession * session,
                                           const gchar * method,
                                           const gchar * uri,
                                           const gchar * user,
                                           const gchar * password);

/* For tests: fix the cnonce instead of a random one. */
void     arcly_auth_session_set_cnonce (ArclyAuthSession * session,
                                        const gchar * cnonce);

/* The scheme of the active challenge (NONE before one was accepted). */
ArclyAuthScheme arcly_auth_session_scheme (ArclyAuthSession * session);

/* The scheme name of the active challenge, for logs ("Digest SHA-256"). */
const gchar * arcly_auth_session_describe (ArclyAuthSession * session);

G_END_DECLS

#endif
