/* gst-arcly
 * Copyright (C) 2026 gst-arcly developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * HTTP validators of arcly-restream's origin: does a request's
 * If-None-Match name an object's entity tag (RFC 9110 §13.1.2)?  Pure code
 * over the header's bytes (untrusted), no allocation.
 */

#ifndef __RESTREAM_VALIDATORS_H__
#define __RESTREAM_VALIDATORS_H__

#include <glib.h>

G_BEGIN_DECLS

/* TRUE when the If-None-Match field value @list (@len bytes, not
 * necessarily NUL-terminated) is "*" or names @etag (an entity tag with its
 * quotes, e.g. "\"5f-1a\"") by weak comparison: a W/ prefix on either side
 * is ignored.  A malformed list matches nothing (the full response is
 * sent). */
gboolean restream_etag_list_matches (const gchar * list, gsize len,
                                     const gchar * etag);

G_END_DECLS

#endif
